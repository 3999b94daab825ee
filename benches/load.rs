//! `cargo bench --bench load`: N client threads, each on one keep-alive
//! loopback connection, hammer `GET /api/runs`, `/api/results` and
//! `/api/configs` for a bounded time (and at most a bounded number of
//! requests) while runs stream to SSE viewers. Prints requests/s and
//! p50/p99/max latency per route. Installs nothing; needs python3 (the
//! runs are the repo's `tests/workloads`).
//!
//! Knobs (environment): `LOAD_SECS` (10), `LOAD_THREADS` (8),
//! `LOAD_MAX_REQUESTS` (2,000,000), `LOAD_STREAMING_RUNS` (4),
//! `LOAD_VIEWERS` (20), `LOAD_RESULTS` (500), `LOAD_FINISHED_RUNS` (50).

// Until Cargo.toml declares it with `harness = false`, cargo discovers this
// file as a libtest bench, where `main` is unused.
#![cfg_attr(test, allow(dead_code))]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    port: u16,
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Conn {
            port,
            reader: BufReader::new(s),
        }
    }

    /// Sends one GET and reads the whole response; returns (status, body bytes).
    fn get(&mut self, path: &str) -> std::io::Result<(u16, usize)> {
        write!(
            self.reader.get_mut(),
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.port
        )?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut length = None;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let l = line.trim_end().to_ascii_lowercase();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l.strip_prefix("content-length:") {
                length = v.trim().parse().ok();
            } else if l.starts_with("transfer-encoding:") && l.contains("chunked") {
                chunked = true;
            } else if l.starts_with("connection:") && l.contains("close") {
                close = true;
            }
        }
        let mut body = 0;
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut buf = vec![0; n + 2];
                self.reader.read_exact(&mut buf)?;
                body += n;
                if n == 0 {
                    break;
                }
            }
        } else if let Some(n) = length {
            let mut buf = vec![0; n];
            self.reader.read_exact(&mut buf)?;
            body = n;
        }
        if close {
            *self = Conn::open(self.port);
        }
        Ok((status, body))
    }
}

fn workload(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/workloads")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn config(project: &Path, name: &str, program: &str, args: &[String]) {
    let argv: Vec<String> = std::iter::once(program.to_string())
        .chain(args.iter().cloned())
        .collect();
    std::fs::write(
        project.join("configs").join(name),
        format!(
            "import runpy, sys\nsys.argv = {argv:?}\nrunpy.run_path({:?}, run_name='__main__')\n",
            workload(program)
        ),
    )
    .unwrap();
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn launch(port: u16, config: &str) -> String {
    let body = format!("{{\"configName\":\"{config}\"}}");
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST /api/launch HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let at = resp.find("\"run_id\":\"").expect("launch failed") + 10;
    resp[at..at + resp[at..].find('"').unwrap()].to_string()
}

fn main() {
    let secs = env_or("LOAD_SECS", 10);
    let threads = env_or("LOAD_THREADS", 8);
    let max_requests = env_or("LOAD_MAX_REQUESTS", 2_000_000);
    let streaming = env_or("LOAD_STREAMING_RUNS", 4);
    let viewers = env_or("LOAD_VIEWERS", 20);
    let n_results = env_or("LOAD_RESULTS", 500);
    let finished = env_or("LOAD_FINISHED_RUNS", 50);

    let root = tempfile::tempdir().unwrap();
    let project = root.path();
    std::fs::create_dir_all(project.join("configs")).unwrap();
    std::fs::write(
        project.join("devloop.toml"),
        format!(
            "[launch]\ncommand = [\"python3\", \"{{config}}\"]\nmax_concurrent = {}\n",
            streaming + 1
        ),
    )
    .unwrap();
    for i in 0..50 {
        std::fs::write(
            project.join("configs").join(format!("{i:02}_exp.toml")),
            format!("lr = {i}e-4\n"),
        )
        .unwrap();
    }
    std::fs::write(project.join("configs/quick.py"), "print('quick')\n").unwrap();
    let ticks = (secs + 5) * 200;
    config(
        project,
        "tick.py",
        "ticker.py",
        &[
            "--rate".into(),
            "200".into(),
            "--count".into(),
            ticks.to_string(),
        ],
    );
    for i in 0..n_results {
        let dir = project.join("results").join(format!("eval_{i:05}"));
        std::fs::create_dir_all(dir.join("samples")).unwrap();
        std::fs::write(
            dir.join("report.json"),
            format!(
                r#"{{"eval_name":"eval_{}","total_samples":3,"summary_metrics":{{"mean_reward":{}}},"timestamp":"2026-11-25T10:00:00","sample_ids":["a","b","c"]}}"#,
                i % 20,
                (i % 100) as f64 / 100.0
            ),
        )
        .unwrap();
    }

    let (mut child, port) = common::start_server(project);
    for _ in 0..finished {
        launch(port, "quick.py");
    }
    // Let the quick runs finish so /api/runs lists finished and live runs.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut c = Conn::open(port);
    while Instant::now() < deadline {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut body = String::new();
        s.read_to_string(&mut body).unwrap();
        if !body.contains("\"queued\"") && !body.contains("\"running\"") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = c.get("/api/results"); // warm the results index
    let runs: Vec<String> = (0..streaming).map(|_| launch(port, "tick.py")).collect();

    let stop = Arc::new(AtomicBool::new(false));
    let streamed = Arc::new(AtomicU64::new(0));
    let viewer_handles: Vec<_> = (0..viewers)
        .map(|i| {
            let id = runs[i as usize % runs.len().max(1)].clone();
            let (stop, streamed) = (stop.clone(), streamed.clone());
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
                write!(
                    s,
                    "GET /api/runs/{id}/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
                )
                .unwrap();
                let mut r = BufReader::new(s);
                let mut line = String::new();
                while !stop.load(Ordering::Relaxed) {
                    line.clear();
                    match r.read_line(&mut line) {
                        Ok(0) => break,
                        Ok(_) => {
                            if line.starts_with("id: ") {
                                streamed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(_) => continue,
                    }
                }
            })
        })
        .collect();

    let routes = ["/api/runs", "/api/results", "/api/configs"];
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let end = started + Duration::from_secs(secs);
    let rss_before = common::rss_kib(child.id());
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let count = count.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::open(port);
                let mut lat: Vec<Vec<u64>> = vec![Vec::new(); routes.len()];
                let mut errors = 0u64;
                let mut i = t as usize;
                while Instant::now() < end && count.fetch_add(1, Ordering::Relaxed) < max_requests {
                    let r = i % routes.len();
                    i += 1;
                    let t0 = Instant::now();
                    match conn.get(routes[r]) {
                        Ok((200, _)) => lat[r].push(t0.elapsed().as_micros() as u64),
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            conn = Conn::open(port);
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all: Vec<Vec<u64>> = vec![Vec::new(); routes.len()];
    let mut errors = 0;
    for h in handles {
        let (lat, e) = h.join().unwrap();
        for (a, l) in all.iter_mut().zip(lat) {
            a.extend(l);
        }
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rss_after = common::rss_kib(child.id());
    stop.store(true, Ordering::Relaxed);
    for h in viewer_handles {
        let _ = h.join();
    }
    println!(
        "load: {threads} keep-alive client threads for {elapsed:.1} s while {streaming} runs stream \
         (200 lines/s each) to {viewers} SSE viewers; {n_results} results, {finished}+{streaming} runs, 51 configs"
    );
    let mut total = 0;
    let mut merged = Vec::new();
    for (route, lat) in routes.iter().zip(all.iter_mut()) {
        lat.sort_unstable();
        total += lat.len();
        merged.extend_from_slice(lat);
        println!(
            "  GET {route:<13} {:>7} req  {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            lat.len(),
            lat.len() as f64 / elapsed,
            percentile(lat, 0.50),
            percentile(lat, 0.99),
            lat.last().copied().unwrap_or(0) as f64 / 1000.0,
        );
    }
    merged.sort_unstable();
    println!(
        "  all               {total:>7} req  {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms; {errors} errors",
        total as f64 / elapsed,
        percentile(&merged, 0.50),
        percentile(&merged, 0.99),
    );
    println!(
        "  SSE records delivered meanwhile: {}; server RSS {rss_before} KiB -> {rss_after} KiB",
        streamed.load(Ordering::Relaxed)
    );
    for id in &runs {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "POST /api/runs/{id}/stop HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
    }
    let _ = c.get("/api/health");
    let _ = child.kill();
    let _ = child.wait();
}
