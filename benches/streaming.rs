//! `cargo bench --bench streaming`: throughput, latency and memory of the run
//! output path (supervisor → log file → server → SSE client) on the
//! workloads in `tests/workloads`. Prints figures; asserts nothing about timing.
//!
//! Sizes can be lowered for a quick look: BENCH_FLOOD_LINES (default
//! 1000000), BENCH_MEM_BYTES (default 1 GiB), BENCH_VIEWERS (default 100).

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn workloads() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/workloads")
}

struct Server {
    child: Child,
    port: u16,
    project: tempfile::TempDir,
}

impl Server {
    fn start(command: &[String]) -> Server {
        let project = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(project.path().join("configs")).unwrap();
        std::fs::write(project.path().join("configs/run.py"), "").unwrap();
        let cmd: Vec<String> = command.iter().map(|c| format!("{c:?}")).collect();
        std::fs::write(
            project.path().join("devloop.toml"),
            format!(
                "[launch]\ncommand = [{}]\nmax_concurrent = 4\n",
                cmd.join(", ")
            ),
        )
        .unwrap();
        let (child, port) = common::start_server(project.path());
        Server {
            child,
            port,
            project,
        }
    }

    fn request(&self, method: &str, path: &str, body: &str) -> TcpStream {
        common::request(self.port, method, path, body)
    }

    fn launch(&self) -> String {
        let mut s = self.request("POST", "/api/launch", r#"{"configName":"run.py"}"#);
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let body = &resp[resp.find("\r\n\r\n").unwrap() + 4..];
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["run_id"].as_str().unwrap().to_string()
    }

    fn stream(&self, id: &str) -> BufReader<TcpStream> {
        BufReader::with_capacity(
            1 << 20,
            self.request("GET", &format!("/api/runs/{id}/stream"), ""),
        )
    }

    fn supervisor_pid(&self, id: &str) -> Option<i32> {
        let p = self
            .project
            .path()
            .join(".devloop/runs")
            .join(id)
            .join("supervisor.json");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).ok()?).ok()?;
        v["pid"].as_i64().map(|p| p as i32)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Peak resident memory in MiB (VmHWM) of a live process.
fn peak_rss_mib(pid: i32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Reads SSE until `complete`, calling `f` on each data payload.
fn read_stream(mut r: impl BufRead, mut f: impl FnMut(&str)) -> u64 {
    let mut line = String::new();
    let mut n = 0;
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return n;
        }
        if let Some(data) = line.strip_prefix("data: ") {
            if data.contains("\"type\":\"complete\"") {
                return n;
            }
            n += 1;
            f(data);
        }
    }
}

fn throughput() {
    let lines = env_num("BENCH_FLOOD_LINES", 1_000_000);
    let flood = workloads().join("flood.py");
    let args = [
        "--lines".to_string(),
        lines.to_string(),
        "--bytes".into(),
        "100".into(),
    ];

    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "python3 {} {} | wc -l",
            flood.display(),
            args.join(" ")
        ))
        .output()
        .unwrap();
    let ceiling = start.elapsed();
    let counted: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);

    let mut command = vec!["python3".to_string(), flood.to_string_lossy().into_owned()];
    command.extend(args.iter().cloned());
    let server = Server::start(&command);
    let start = Instant::now();
    let id = server.launch();
    let stdout_lines = common::count_in_stream(server.stream(&id), b"\"stream\":\"stdout\"");
    let took = start.elapsed();
    println!("throughput: flood.py --lines {lines} --bytes 100");
    println!(
        "  ceiling (python | wc -l): {counted} lines in {:.2}s = {:.0} lines/s",
        ceiling.as_secs_f64(),
        counted as f64 / ceiling.as_secs_f64()
    );
    println!(
        "  devloop launch → last record at an SSE client: {stdout_lines} lines in {:.2}s = {:.0} lines/s ({:.0}% of ceiling)",
        took.as_secs_f64(),
        stdout_lines as f64 / took.as_secs_f64(),
        100.0 * ceiling.as_secs_f64() / took.as_secs_f64()
    );
}

fn latency() {
    let command = vec![
        "python3".to_string(),
        workloads().join("ticker.py").to_string_lossy().into_owned(),
        "--rate".into(),
        "200".into(),
        "--count".into(),
        "2000".into(),
    ];
    let server = Server::start(&command);
    let id = server.launch();
    let mut lat_us: Vec<f64> = Vec::new();
    read_stream(server.stream(&id), |d| {
        let Some(pos) = d.find("\"text\":\"tick ") else {
            return;
        };
        let recv = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i128;
        let text = &d[pos + 8..];
        let sent: i128 = text
            .split(['"', ' '])
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        lat_us.push((recv - sent) as f64 / 1000.0);
    });
    lat_us.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| lat_us[((lat_us.len() as f64 - 1.0) * p) as usize];
    println!("latency: ticker.py --rate 200 --count 2000, producer write → SSE client receipt");
    println!(
        "  n={} p50={:.0}µs p99={:.0}µs max={:.0}µs",
        lat_us.len(),
        pct(0.5),
        pct(0.99),
        lat_us.last().unwrap()
    );
}

fn memory() {
    let bytes = env_num("BENCH_MEM_BYTES", 1 << 30);
    let viewers = env_num("BENCH_VIEWERS", 100) as usize;
    let lines = bytes / 100;
    let command = flood_command(lines);
    let server = Server::start(&command);
    let id = server.launch();
    // One viewer asks for the stream and never reads it.
    let stalled = server.stream(&id);
    let start = Instant::now();
    let handles: Vec<_> = (0..viewers.saturating_sub(1))
        .map(|_| {
            let r = server.stream(&id);
            std::thread::spawn(move || {
                let n = common::count_in_stream(r, b"\nid: ");
                (n, Instant::now())
            })
        })
        .collect();
    let sup = loop {
        if let Some(pid) = server.supervisor_pid(&id) {
            break pid;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut sup_peak = 0.0f64;
    let mut server_peak = 0.0f64;
    let sampler_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let run_end = loop {
        sup_peak = sup_peak.max(peak_rss_mib(sup).unwrap_or(0.0));
        server_peak = server_peak.max(peak_rss_mib(server.child.id() as i32).unwrap_or(0.0));
        let exit = server
            .project
            .path()
            .join(".devloop/runs")
            .join(&id)
            .join("exit.json");
        if exit.exists() {
            break start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let results: Vec<(u64, Instant)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    server_peak = server_peak.max(peak_rss_mib(server.child.id() as i32).unwrap_or(0.0));
    sampler_done.store(true, std::sync::atomic::Ordering::Relaxed);
    let last = results
        .iter()
        .map(|(_, t)| *t)
        .max()
        .unwrap_or_else(Instant::now);
    let min_records = results.iter().map(|(n, _)| *n).min().unwrap_or(0);
    drop(stalled);
    println!(
        "memory: {:.2} GiB of output ({lines} lines) to {viewers} viewers, one stalled",
        bytes as f64 / (1u64 << 30) as f64
    );
    println!("  run finished in {:.1}s; all {} reading viewers done after {:.1}s, each got ≥ {min_records} records",
        run_end.as_secs_f64(), results.len(), (last - start).as_secs_f64());
    println!("  peak RSS: server {server_peak:.1} MiB, supervisor {sup_peak:.1} MiB");
}

/// `flood.py` printing `lines` lines of 100 bytes.
fn flood_command(lines: u64) -> Vec<String> {
    vec![
        "python3".to_string(),
        workloads().join("flood.py").to_string_lossy().into_owned(),
        "--lines".into(),
        lines.to_string(),
        "--bytes".into(),
        "100".into(),
    ]
}

/// Stalled viewers: many clients open the stream of a finished run and never
/// read. Prints the server's memory per stalled viewer, and what is given
/// back once they are gone.
fn stalled() {
    let viewers = env_num("BENCH_STALLED", 1000) as usize;
    let lines = env_num("BENCH_STALLED_LINES", 20_000);
    let command = flood_command(lines);
    let server = Server::start(&command);
    let id = server.launch();
    let exit = server
        .project
        .path()
        .join(".devloop/runs")
        .join(&id)
        .join("exit.json");
    while !exit.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
    // One full read first, so the log index and caches exist before counting.
    let n = common::count_in_stream(server.stream(&id), b"\nid: ");
    let pid = server.child.id();
    std::thread::sleep(Duration::from_millis(500));
    let before = common::rss_kib(pid);
    let streams: Vec<BufReader<TcpStream>> = (0..viewers).map(|_| server.stream(&id)).collect();
    // Until the server has filled what it will buffer for them.
    let mut with = 0;
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(250));
        let now = common::rss_kib(pid);
        if now <= with + 256 && with > 0 {
            break;
        }
        with = now;
    }
    let with = common::rss_kib(pid).max(with);
    drop(streams);
    std::thread::sleep(Duration::from_secs(3));
    let after = common::rss_kib(pid);
    println!("stalled: {viewers} viewers open the stream of a finished {lines}-line run ({n} records) and never read");
    println!(
        "  server RSS: {:.1} MiB before, {:.1} MiB with them ({:.1} KiB per stalled viewer), {:.1} MiB 3 s after they left",
        before as f64 / 1024.0,
        with as f64 / 1024.0,
        with.saturating_sub(before) as f64 / viewers as f64,
        after as f64 / 1024.0
    );
}

/// What sampling costs: the supervisor's own CPU while its run is a tree of
/// 100 idle processes (it walks and reads /proc for all of them each second).
fn sampler() {
    let secs = env_num("BENCH_SAMPLER_SECS", 10);
    let script = format!(
        "import subprocess, time\nkids = [subprocess.Popen(['sleep', '{}']) for _ in range(99)]\nprint('tree up', flush=True)\ntime.sleep({})\n",
        secs + 5,
        secs + 3
    );
    let command = vec!["python3".to_string(), "-c".to_string(), script];
    let server = Server::start(&command);
    let id = server.launch();
    let sup = loop {
        if let Some(pid) = server.supervisor_pid(&id) {
            break pid;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    std::thread::sleep(Duration::from_secs(2));
    let ticks = |pid: i32| -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let t: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
            + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        t / 100.0
    };
    let (c0, t0) = (ticks(sup), Instant::now());
    std::thread::sleep(Duration::from_secs(secs));
    let (c1, t1) = (ticks(sup), Instant::now());
    println!("sampler: the supervisor of a 100-process tree, sampling it every second");
    println!(
        "  supervisor CPU {:.2}% of one core over {:.0}s",
        100.0 * (c1 - c0) / (t1 - t0).as_secs_f64(),
        (t1 - t0).as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes --bench; filters pick parts: throughput, latency, memory, stalled, sampler.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| args.is_empty() || args.iter().any(|a| name.contains(a.as_str()));
    if want("throughput") {
        throughput();
    }
    if want("latency") {
        latency();
    }
    if want("memory") {
        memory();
    }
    if want("stalled") {
        stalled();
    }
    if want("sampler") {
        sampler();
    }
}
