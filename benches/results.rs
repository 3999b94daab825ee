//! `cargo bench --bench results`: listing 10,000 result folders (cold and
//! warm index), the first page of a 10,000-sample result, and a text search
//! across ~100 MB of trajectories, through the real server. Prints figures.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

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
