//! `cargo bench --bench results`: listing 10,000 result folders (cold, warm,
//! a page of 200 as the page asks, after a restart), the first page of a 10,000-sample result, and a text search
//! across ~100 MB of trajectories, through the real server; then the
//! server's peak memory while four searches at once read one ~1 GB
//! trajectory file. Prints figures; asserts nothing about timing.
//!
//! Arguments pick parts: `listing`, `bigfile` (`cargo bench --bench results
//! -- bigfile`). BENCH_BIGFILE_MB (default 1024) sets the size of the big
//! trajectory file.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn get(port: u16, path: &str) -> (f64, usize) {
    let t = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut body = Vec::new();
    s.read_to_end(&mut body).unwrap();
    (t.elapsed().as_secs_f64() * 1000.0, body.len())
}

fn main() {
    // `cargo bench` passes --bench; other arguments pick parts.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| args.is_empty() || args.iter().any(|a| name.contains(a.as_str()));
    if want("listing") {
        listing();
    }
    if want("bigfile") {
        bigfile();
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One result whose one sample has a trajectory of BENCH_BIGFILE_MB MiB;
/// four searches at once over it, for a word near its end and for one that
/// is nowhere, while the server's resident memory is sampled.
fn bigfile() {
    let mib = env_num("BENCH_BIGFILE_MB", 1024).max(1);
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("results/huge");
    std::fs::create_dir_all(dir.join("trajectories")).unwrap();
    std::fs::write(
        dir.join("report.json"),
        r#"{"eval_name":"huge","total_samples":1,"sample_ids":["s0"]}"#,
    )
    .unwrap();
    let t = Instant::now();
    // ~1 MiB of identical JSON lines, written `mib` times; the last line
    // (the sample's final state) holds the word searched for.
    let line = format!(
        "{{\"messages\":[{{\"role\":\"user\",\"content\":\"{}\"}}],\"rewards\":0.0}}\n",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(16)
    );
    let block = line.repeat((1 << 20) / line.len());
    {
        let f = std::fs::File::create(dir.join("trajectories/s0.jsonl")).unwrap();
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        for _ in 0..mib {
            w.write_all(block.as_bytes()).unwrap();
        }
        w.write_all(
            b"{\"messages\":[{\"role\":\"assistant\",\"content\":\"The Needle-Near-The-End\"}],\"rewards\":1.0}\n",
        )
        .unwrap();
        w.flush().unwrap();
    }
    let size = std::fs::metadata(dir.join("trajectories/s0.jsonl"))
        .unwrap()
        .len();
    println!(
        "bigfile: one {:.2} GiB trajectory written in {:.1}s",
        size as f64 / (1u64 << 30) as f64,
        t.elapsed().as_secs_f64()
    );

    let (mut child, port) = common::start_server(root.path());
    let pid = child.id();
    // The table of rows (read from the trajectory's last line) first.
    get(port, "/api/results/huge/samples?sort=id");
    std::thread::sleep(Duration::from_millis(300));
    let idle = common::rss_kib(pid) as f64 / 1024.0;
    println!("  server RSS before searching: {idle:.1} MiB");
    for (what, needle, want) in [
        ("a word near the end", "needle-near-the-END", 1),
        ("a word that is nowhere", "no-such-word-anywhere", 0),
    ] {
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut peak = 0;
                while !stop.load(Ordering::Relaxed) {
                    peak = peak.max(common::rss_kib(pid));
                    std::thread::sleep(Duration::from_millis(5));
                }
                peak.max(common::rss_kib(pid))
            })
        };
        let read_before = read_bytes(pid);
        let start = Instant::now();
        let searches: Vec<_> = (0..4)
            .map(|_| {
                let path = format!("/api/results/huge/samples?q={needle}");
                std::thread::spawn(move || {
                    let t = Instant::now();
                    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                    write!(
                        s,
                        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    )
                    .unwrap();
                    let mut body = String::new();
                    s.read_to_string(&mut body).unwrap();
                    (t.elapsed().as_secs_f64(), body)
                })
            })
            .collect();
        let each: Vec<(f64, String)> = searches.into_iter().map(|h| h.join().unwrap()).collect();
        let all = start.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let peak = sampler.join().unwrap() as f64 / 1024.0;
        let read = (read_bytes(pid) - read_before) as f64 / (1u64 << 30) as f64;
        for (_, body) in &each {
            assert!(
                body.contains(&format!("\"total\":{want}")),
                "search for {needle:?} should find {want}: {}",
                &body[..body.len().min(400)]
            );
        }
        let slowest = each.iter().map(|(s, _)| *s).fold(0.0, f64::max);
        println!(
            "  4 searches at once for {what}: all done in {all:.2}s (slowest {slowest:.2}s), server peak RSS {peak:.1} MiB, {read:.2} GiB read"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let _ = child.kill();
    let _ = child.wait();
    drop(root);
}

/// Bytes a process has read so far (`rchar` of /proc/PID/io).
fn read_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("rchar:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

fn listing() {
    let root = tempfile::tempdir().unwrap();
    let results = root.path().join("results");
    let t = Instant::now();
    for i in 0..10_000 {
        let dir = results.join(format!("eval_{i:05}"));
        std::fs::create_dir_all(dir.join("trajectories")).unwrap();
        std::fs::write(
            dir.join("report.json"),
            format!(
                r#"{{"eval_name":"eval_{}","total_samples":10,"summary_metrics":{{"mean_reward":{}}},"timestamp":"2026-11-25T10:00:00","sample_ids":[]}}"#,
                i % 20,
                (i % 100) as f64 / 100.0
            ),
        )
        .unwrap();
    }
    // One big result: 10,000 samples, ~10 KB each (~100 MB).
    let big = results.join("big");
    std::fs::create_dir_all(big.join("trajectories")).unwrap();
    let filler = "lorem ipsum dolor sit amet ".repeat(370);
    for i in 0..10_000 {
        let needle = if i == 7777 { " the-rare-needle " } else { "" };
        let line = format!(
            r#"{{"messages":[{{"role":"user","content":"q{i}"}},{{"role":"assistant","content":"{filler}{needle}"}}],"rewards":{}}}"#,
            (i % 3) as f64 / 2.0
        );
        std::fs::write(big.join(format!("trajectories/s{i:05}.jsonl")), line + "\n").unwrap();
    }
    std::fs::write(
        big.join("report.json"),
        r#"{"eval_name":"big","total_samples":10000}"#,
    )
    .unwrap();
    println!(
        "setup: 10,001 result folders written in {:.1}s",
        t.elapsed().as_secs_f64()
    );

    let (mut child, port) = common::start_server(root.path());
    let (cold, bytes) = get(port, "/api/results");
    let (warm, _) = get(port, "/api/results");
    let (warm2, _) = get(port, "/api/results");
    println!(
        "list 10,001 results: cold {cold:.0} ms, warm {warm:.0} / {warm2:.0} ms ({} KiB)",
        bytes / 1024
    );
    let (page, page_bytes) = get(port, "/api/results?limit=200");
    let (page2, _) = get(port, "/api/results?limit=200");
    let (filtered, _) = get(port, "/api/results?q=eval_7&limit=200");
    println!(
        "  the page's first 200 (paged): {page:.0} / {page2:.0} ms ({} KiB); filtered by text: {filtered:.0} ms",
        page_bytes / 1024
    );
    let _ = child.kill();
    let _ = child.wait();
    let (mut child, port) = common::start_server(root.path());
    let (restart, _) = get(port, "/api/results");
    println!("list after a server restart (index on disk): {restart:.0} ms");

    let (first, _) = get(port, "/api/results/big/samples?limit=50");
    println!("10,000-sample result, first page of 50: {first:.0} ms");
    let (dist, _) = get(port, "/api/results/big/distribution");
    println!("  reward distribution (reads every sample once): {dist:.0} ms");
    let (sorted, _) = get(port, "/api/results/big/samples?sort=-reward&limit=50");
    println!("  sorted by reward (rows cached): {sorted:.0} ms");
    let (search, body) = get(port, "/api/results/big/samples?q=the-rare-needle");
    let total_mb = 10_000.0 * 10.0 / 1024.0;
    println!("text search across ~{total_mb:.0} MB of trajectories: {search:.0} ms ({body} bytes of answer)");
    let _ = child.kill();
    let _ = child.wait();
}
