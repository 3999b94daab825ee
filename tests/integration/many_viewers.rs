//! Streams: hundreds of SSE viewers on concurrent runs, a third
//! of them dropping and resuming with `Last-Event-ID` (or `?after=`) at
//! random; every viewer must see every record exactly once. Viewers that
//! open a stream and never read must not hold up the runs or anyone else.
//!
//! Long variant: `cargo test --test integration streams -- --ignored`.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::helper::chaos::{read_log, rss_kib, RawSse, Rng};
use crate::helper::{Project, Server, Sse};

/// One viewer: joins after `join_ms`, reads its run's stream to the end,
/// dropping the connection after each of `drops` (a count of events) and
/// resuming after the last seq it saw. Returns the seqs it received.
fn viewer(
    base: String,
    id: String,
    join_ms: u64,
    drops: Vec<u64>,
    batch: bool,
    by_query: bool,
) -> Vec<u64> {
    std::thread::sleep(Duration::from_millis(join_ms));
    let mut seqs: Vec<u64> = Vec::new();
    let mut drops = drops.into_iter();
    let mut next_drop = drops.next();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "viewer of {id} ran out of time");
        let last = seqs.last().copied();
        let mut url = format!("{base}/api/runs/{id}/stream");
        let mut params = Vec::new();
        if batch {
            params.push("batch=1".to_string());
        }
        if let (true, Some(l)) = (by_query, last) {
            params.push(format!("after={l}"));
        }
        if !params.is_empty() {
            url = format!("{url}?{}", params.join("&"));
        }
        let mut sse = RawSse::open(&url, if by_query { None } else { last });
        let mut read = 0u64;
        let mut dropped = false;
        while let Some((_, v)) = sse.next_event() {
            match v["type"].as_str() {
                Some("stdout" | "event" | "metrics") => seqs.push(v["seq"].as_u64().unwrap()),
                Some("batch") => seqs.extend(
                    v["records"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["seq"].as_u64().unwrap()),
                ),
                Some("complete") => return seqs,
                _ => {}
            }
            read += 1;
            if next_drop.is_some_and(|d| read >= d) {
                next_drop = drops.next();
                dropped = true;
                break; // drop the connection mid-stream
            }
        }
        assert!(dropped, "the stream of {id} ended without complete");
    }
}

fn many_viewers(runs: usize, viewers: usize, scale: u64) {
    let mut rng = Rng::new("many_viewers");
    let p = Project::new(&format!("max_concurrent = {runs}\n"));
    let s = Server::start(p.path());
    let mut ids = Vec::new();
    for k in 0..runs {
        let name = format!("run{k}.py");
        if k % 2 == 0 {
            let count = (rng.range(200, 500) * scale).to_string();
            p.workload_config(&name, "ticker.py", &["--rate", "200", "--count", &count]);
        } else {
            let lines = (rng.range(1000, 3000) * scale).to_string();
            p.workload_config(&name, "flood.py", &["--lines", &lines, "--bytes", "60"]);
        }
        ids.push(s.launch(&name));
    }
    let started = Instant::now();
    let mut handles = Vec::new();
    let mut droppers = 0;
    for i in 0..viewers {
        let id = ids[i % runs].clone();
        let join_ms = rng.range(0, 2500);
        let drops: Vec<u64> = if i % 3 == 0 {
            droppers += 1;
            (0..rng.range(1, 6)).map(|_| rng.range(1, 150)).collect()
        } else {
            Vec::new()
        };
        let batch = rng.chance(4);
        let by_query = rng.chance(3);
        let base = s.url.clone();
        handles.push((
            id.clone(),
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || viewer(base, id, join_ms, drops, batch, by_query))
                .unwrap(),
        ));
    }
    let mut checked = 0usize;
    let mut logs = std::collections::HashMap::new();
    for (id, h) in handles {
        let seqs = h.join().expect("a viewer failed");
        let total = *logs.entry(id.clone()).or_insert_with(|| {
            let run = s.wait_ended(&id);
            assert_eq!(run["status"], "succeeded", "{run}");
            read_log(p.path(), &id).len() as u64
        });
        assert_eq!(
            seqs,
            (1..=total).collect::<Vec<_>>(),
            "a viewer of {id} saw a gap, a duplicate or disorder"
        );
        checked += seqs.len();
    }
    eprintln!(
        "many_viewers: {viewers} viewers ({droppers} dropping and resuming) on {runs} runs, \
         {checked} records checked in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn two_hundred_viewers_some_reconnecting_each_see_every_record_once() {
    many_viewers(10, 200, 1);
}

#[test]
#[ignore = "long: run with --ignored"]
fn many_viewers_long() {
    many_viewers(10, 400, 10);
}

/// Opens a stream and never reads it; the socket stays open until dropped.
fn stalled(port: u16, id: &str) -> TcpStream {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.write_all(
        format!("GET /api/runs/{id}/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes(),
    )
    .unwrap();
    conn
}

#[test]
fn stalled_viewers_never_hold_up_runs_or_other_viewers() {
    let p = Project::new("max_concurrent = 4\n");
    p.workload_config(
        "flood.py",
        "flood.py",
        &["--lines", "200000", "--bytes", "100"],
    );
    p.workload_config("tick.py", "ticker.py", &["--rate", "200", "--count", "400"]);
    let s = Server::start(p.path());
    // A baseline: the flood alone.
    let alone = s.launch("flood.py");
    let alone_run = s.wait_ended(&alone);

    let flood = s.launch("flood.py");
    let tick = s.launch("tick.py");
    let mut stalled_conns: Vec<TcpStream> = (0..20).map(|_| stalled(s.port, &flood)).collect();
    stalled_conns.extend((0..10).map(|_| stalled(s.port, &tick)));
    stalled_conns.extend((0..5).map(|_| stalled(s.port, &alone)));
    let rss_before = rss_kib(s.child.id());
    // Readers that do read, started after the stalled ones.
    let readers: Vec<_> = [&flood, &tick, &alone]
        .into_iter()
        .map(|id| {
            let (base, id) = (s.url.clone(), id.clone());
            std::thread::spawn(move || {
                let url = format!("{base}/api/runs/{id}/stream?batch=1");
                let mut sse = RawSse::open(&url, None);
                let mut seqs = Vec::new();
                while let Some((_, v)) = sse.next_event() {
                    if v["type"] == "batch" {
                        seqs.extend(
                            v["records"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|r| r["seq"].as_u64().unwrap()),
                        );
                    }
                    if v["type"] == "complete" {
                        break;
                    }
                }
                (id, seqs)
            })
        })
        .collect();
    // The runs end while 35 viewers sit on full sockets.
    let flood_run = s.wait_ended(&flood);
    let tick_run = s.wait_ended(&tick);
    assert_eq!(flood_run["status"], "succeeded");
    assert_eq!(tick_run["status"], "succeeded");
    // The API answers meanwhile.
    assert_eq!(s.get("/api/runs").0, 200);
    let mut late = Sse::open(&s.url, &tick, None, None);
    late.read_until_complete();
    for r in readers {
        let (id, seqs) = r.join().unwrap();
        let total = read_log(p.path(), &id).len() as u64;
        assert_eq!(seqs, (1..=total).collect::<Vec<_>>(), "reader of {id}");
    }
    assert_eq!(
        late.seqs(),
        (1..=read_log(p.path(), &tick).len() as u64).collect::<Vec<_>>()
    );
    let rss_stalled = rss_kib(s.child.id());
    let took =
        |r: &serde_json::Value| r["ended_at"].as_u64().unwrap() - r["started_at"].as_u64().unwrap();
    eprintln!(
        "stalled viewers: flood of 20 MB took {} ms alone, {} ms with 20 stalled viewers; \
         server RSS {rss_before} KiB -> {rss_stalled} KiB with 35 stalled",
        took(&alone_run),
        took(&flood_run)
    );
    // Once the stalled sockets go away, the server still serves.
    for c in &mut stalled_conns {
        let _ = c.shutdown(std::net::Shutdown::Both);
    }
    drop(stalled_conns);
    let again = s.launch("tick.py");
    let sse = s.stream_all(&again, None);
    assert_eq!(sse.final_lines("stdout").len(), 400);
}
