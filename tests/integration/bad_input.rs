//! Bad input through the real supervisor: a run appends hostile lines to
//! `$DEVLOOP_EVENTS`, cut at random byte positions and written with pauses,
//! so the events tail sees them in every possible piece. Every well-formed
//! event must arrive once and in order, every bad line must become exactly
//! one warning naming its line, and the log must stay well-formed.
//! (`devloop::supervisor::events` is private, so this is also how its
//! tail is property-tested until it is made public for `fuzz/`.)

use serde_json::{json, Value};

use crate::helper::chaos::{final_lines, read_log, Rng};
use crate::helper::{Project, Server};

/// Writes `pieces` to the events file one by one, pausing `pauses[i]` ms
/// after piece i, from a config that reads them from a file.
fn events_config(p: &Project, name: &str, pieces: &[(Vec<u8>, u64)]) {
    let data = p.path().join(format!("{name}.pieces"));
    let mut bytes = Vec::new();
    for (piece, pause) in pieces {
        bytes.extend_from_slice(&(piece.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&(*pause as u32).to_le_bytes());
        bytes.extend_from_slice(piece);
    }
    std::fs::write(&data, bytes).unwrap();
    p.config(
        name,
        &format!(
            "import os, struct, time\ndata = open({:?}, 'rb').read()\n\
             f = open(os.environ['DEVLOOP_EVENTS'], 'ab', buffering=0)\ni = 0\n\
             while i < len(data):\n    n, pause = struct.unpack_from('<II', data, i); i += 8\n    \
             f.write(data[i:i + n]); i += n\n    if pause: time.sleep(pause / 1000)\n\
             print('wrote', len(data), flush=True)\n",
            data.to_string_lossy()
        ),
    );
}

/// The kinds of lines a careless or hostile run writes.
fn random_line(rng: &mut Rng, i: usize) -> (Vec<u8>, Option<Value>, bool) {
    // (bytes without newline, the event if valid, is it a bad line)
    match rng.range(0, 14) {
        0..=4 => {
            let v = json!({"type": "progress", "done": i, "total": 1000});
            (v.to_string().into_bytes(), Some(v), false)
        }
        5 => {
            let v = json!({"type": "token", "sample_id": format!("s{i}"), "content": "é🚀\u{0}\u{1b}[31m\"\\"});
            (v.to_string().into_bytes(), Some(v), false)
        }
        6 => {
            let v = json!({"type": "unknown_kind", "nested": {"a": [1, 2, {"b": null}]}});
            (v.to_string().into_bytes(), Some(v), false)
        }
        7 => {
            // CRLF: the \r is JSON whitespace.
            let v = json!({"type": "crlf", "i": i});
            let mut b = v.to_string().into_bytes();
            b.push(b'\r');
            (b, Some(v), false)
        }
        8 => (b"not json at all".to_vec(), None, true),
        9 => (b"[1, 2, 3]".to_vec(), None, true),
        10 => (br#"{"no_type": true}"#.to_vec(), None, true),
        11 => (
            b"{\"type\": \"token\", \"content\": \"\xff\xfe\"}".to_vec(),
            None,
            true,
        ),
        12 => (br#"{"type": "progr"#.to_vec(), None, true),
        _ => (
            rng.range(0, 3)
                .to_string()
                .replace('0', "")
                .replace('1', "   ")
                .replace('2', "\t")
                .into_bytes(),
            None,
            false,
        ),
    }
}

fn hostile_events(lines: usize, seed_note: &str) {
    let mut rng = Rng::new(seed_note);
    let mut stream = Vec::new();
    let mut want_events = Vec::new();
    let mut want_bad_lines = Vec::new();
    for i in 1..=lines {
        let (bytes, event, bad) = random_line(&mut rng, i);
        stream.extend_from_slice(&bytes);
        if i < lines {
            stream.push(b'\n');
        }
        if let Some(v) = event {
            want_events.push(v);
        }
        if bad {
            want_bad_lines.push(i);
        }
    }
    // Cut the bytes at random places, sometimes pausing long enough for the
    // supervisor to read a half line.
    let mut pieces = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        let n = (rng.range(1, 400) as usize).min(stream.len() - at);
        let pause = if rng.chance(6) { rng.range(5, 60) } else { 0 };
        pieces.push((stream[at..at + n].to_vec(), pause));
        at += n;
    }
    let p = Project::new("");
    events_config(&p, "ev.py", &pieces);
    let s = Server::start(p.path());
    let id = s.launch("ev.py");
    let sse = s.stream_all(&id, None);
    let log = read_log(p.path(), &id);
    let got: Vec<Value> = log
        .iter()
        .filter(|r| r["type"] == "event")
        .map(|r| r["event"].clone())
        .collect();
    assert_eq!(got.len(), want_events.len(), "events received");
    assert_eq!(got, want_events, "events changed or reordered");
    let notes = final_lines(&log, "devloop");
    let warned: Vec<usize> = notes
        .iter()
        .filter_map(|n| {
            let rest = n.split("events line ").nth(1)?;
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .collect();
    assert_eq!(
        warned, want_bad_lines,
        "one warning per bad line, naming it: {notes:?}"
    );
    // The stream carried exactly the log.
    assert_eq!(sse.seqs(), (1..=log.len() as u64).collect::<Vec<_>>());
    assert_eq!(s.wait_ended(&id)["status"], "succeeded");
    eprintln!(
        "hostile events: {lines} lines in {} pieces, {} events, {} warnings",
        pieces.len(),
        want_events.len(),
        want_bad_lines.len()
    );
}

#[test]
fn hostile_events_lines_in_random_pieces_give_every_event_once_and_one_warning_per_bad_line() {
    hostile_events(400, "hostile_events");
}

#[test]
#[ignore = "long: run with --ignored"]
fn hostile_events_long() {
    hostile_events(20_000, "hostile_events_long");
}

/// Waits for a run to end, with a per-request timeout, so a server that
/// stops answering fails the test instead of hanging it.
fn wait_ended_or_hang(s: &Server, id: &str) -> Value {
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(20))
        .build();
    crate::helper::wait_for(&format!("{id} to end"), || {
        let run: Value = match agent.get(&format!("{}/api/runs/{id}", s.url)).call() {
            Ok(r) => r.into_json().unwrap(),
            Err(e) => panic!("GET /api/runs/{id} got no answer in 20 s ({e}): the server hangs"),
        };
        (!matches!(run["status"].as_str(), Some("queued" | "running"))).then_some(run)
    })
}

#[test]
fn an_event_line_over_the_limit_is_skipped_however_it_arrives() {
    // A 1.5 MiB event, once in a single write and once in pauses: both must
    // be refused the same way ("longer ones are reported and skipped").
    let big = json!({"type": "big", "pad": "x".repeat(3 << 19)}).to_string();
    let small = json!({"type": "after"}).to_string();
    let p = Project::new("");
    let whole = vec![(format!("{big}\n{small}\n").into_bytes(), 0)];
    let mut cut = Vec::new();
    for chunk in big.as_bytes().chunks(256 << 10) {
        cut.push((chunk.to_vec(), 30));
    }
    cut.push((format!("\n{small}\n").into_bytes(), 0));
    events_config(&p, "whole.py", &whole);
    events_config(&p, "cut.py", &cut);
    let s = Server::start(p.path());
    for config in ["cut.py", "whole.py"] {
        let id = s.launch(config);
        wait_ended_or_hang(&s, &id);
        let log = read_log(p.path(), &id);
        let kinds: Vec<String> = log
            .iter()
            .filter(|r| r["type"] == "event")
            .map(|r| r["event"]["type"].as_str().unwrap().to_string())
            .collect();
        let notes = final_lines(&log, "devloop");
        assert_eq!(
            kinds,
            ["after"],
            "{config}: events {kinds:?}, notes {notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains("longer than")),
            "{config}: no warning: {notes:?}"
        );
    }
}

#[test]
fn a_record_longer_than_one_mib_does_not_hang_the_server() {
    // An event just under the 1 MiB events-line limit, written in pieces so
    // the limit is enforced, becomes a log record just over 1 MiB (the
    // record adds seq, t, type). The server's log index must still scan it.
    let event = json!({"type": "big", "pad": "x".repeat((1 << 20) - 64)}).to_string();
    assert!(event.len() < 1 << 20);
    let p = Project::new("");
    let pieces: Vec<(Vec<u8>, u64)> = event
        .as_bytes()
        .chunks(200 << 10)
        .map(|c| (c.to_vec(), 20))
        .chain([(b"\n".to_vec(), 0)])
        .collect();
    events_config(&p, "big.py", &pieces);
    let s = Server::start(p.path());
    let id = s.launch("big.py");
    let run = wait_ended_or_hang(&s, &id);
    assert_eq!(run["status"], "succeeded");
    let log = read_log(p.path(), &id);
    let longest = std::fs::read(crate::helper::chaos::run_dir(p.path(), &id).join("log.jsonl"))
        .unwrap()
        .split(|&b| b == b'\n')
        .map(<[u8]>::len)
        .max()
        .unwrap();
    eprintln!("longest record: {longest} bytes");
    assert_eq!(run["records"].as_u64(), Some(log.len() as u64));
    assert!(log.iter().any(|r| r["event"]["type"] == "big"));
}
