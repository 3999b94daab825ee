//! `cargo bench --bench targets`: runs on other machines, against the test
//! sshd and single-node Slurm (`tests/targets/*.sh up`, as root). Prints:
//! launch → first line at an SSE client, here, on the ssh target and on
//! Slurm (idle node), cold (binary placed) and warm; throughput of a flood on
//! the ssh target as a ratio of the same flood here; how long replication
//! takes to catch up after the target was unreachable for 30 s.
//! Parts: `first`, `throughput`, `catchup`. BENCH_FLOOD_LINES (1000000),
//! BENCH_DROP_SECS (30) lower the sizes.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/targets")
        .join(name)
}

fn ssh_env() -> Option<(String, String)> {
    let out = Command::new("bash")
        .arg(script("sshd.sh"))
        .arg("env")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("export {k}=")))
            .map(|v| v.trim_matches(['"', '\'']).to_string())
    };
    Some((get("DEVLOOP_SSH_HOST")?, get("DEVLOOP_SSH_CONFIG")?))
}

struct Bench {
    project: tempfile::TempDir,
    _cluster: tempfile::TempDir,
    child: std::process::Child,
    port: u16,
}

impl Bench {
    fn new() -> Option<Bench> {
        let (host, config) = ssh_env()?;
        let project = tempfile::tempdir().unwrap();
        let cluster = tempfile::Builder::new()
            .prefix("devloop-bench-cluster-")
            .tempdir_in("/var/tmp")
            .unwrap();
        let p = project.path();
        std::fs::create_dir_all(p.join("configs")).unwrap();
        std::fs::create_dir_all(p.join("workloads")).unwrap();
        for w in ["flood.py", "ticker.py"] {
            std::fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/workloads")
                    .join(w),
                p.join("workloads").join(w),
            )
            .unwrap();
        }
        std::fs::write(
            p.join("devloop.toml"),
            format!(
                "[launch]\ncommand = [\"python3\", \"{{config}}\"]\nmax_concurrent = 4\n\
                 [targets.box]\nssh = \"{host}\"\nssh_config = \"{config}\"\nlost_after_secs = 3600\n\
                 [targets.cluster]\nslurm = [\"--partition=debug\"]\nworkdir = \"{}\"\n",
                cluster.path().join("work").display()
            ),
        )
        .unwrap();
        let (child, port) = common::start_server(p);
        Some(Bench {
            project,
            _cluster: cluster,
            child,
            port,
        })
    }

    fn config(&self, name: &str, body: &str) {
        std::fs::write(self.project.path().join("configs").join(name), body).unwrap();
    }

    fn request(&self, method: &str, path: &str, body: &str) -> TcpStream {
        common::request(self.port, method, path, body)
    }

    fn launch(&self, config: &str, target: &str) -> String {
        let body = format!("{{\"configName\":\"{config}\",\"target\":\"{target}\"}}");
        let mut s = self.request("POST", "/api/launch", &body);
        let mut resp = String::new();
        std::io::Read::read_to_string(&mut s, &mut resp).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&resp[resp.find("\r\n\r\n").unwrap() + 4..]).unwrap();
        v["run_id"]
            .as_str()
            .unwrap_or_else(|| panic!("launch: {v}"))
            .to_string()
    }

    /// Launch → the first line the program printed, at an SSE client.
    fn first_line(&self, target: &str) -> Duration {
        let start = Instant::now();
        let id = self.launch("hello.py", target);
        let stream = self.request("GET", &format!("/api/runs/{id}/stream"), "");
        let mut r = std::io::BufReader::new(stream);
        let mut line = String::new();
        loop {
            line.clear();
            if std::io::BufRead::read_line(&mut r, &mut line).unwrap_or(0) == 0 {
                panic!("stream of {id} ended before its first line");
            }
            if line.contains("\"text\":\"hello first\"") {
                return start.elapsed();
            }
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn first(b: &Bench) {
    b.config("hello.py", "print('hello first', flush=True)\n");
    println!("first line: launch → the program's first line at an SSE client");
    for target in ["local", "box", "cluster"] {
        let cold = b.first_line(target);
        let mut warm: Vec<f64> = (0..3)
            .map(|_| b.first_line(target).as_secs_f64() * 1000.0)
            .collect();
        warm.sort_by(|a, c| a.partial_cmp(c).unwrap());
        println!(
            "  {target:<8} first launch {:.0} ms (binary placed), then median {:.0} ms (of 3)",
            cold.as_secs_f64() * 1000.0,
            warm[1]
        );
    }
}

fn throughput(b: &Bench) {
    let lines = env_num("BENCH_FLOOD_LINES", 1_000_000);
    b.config(
        "flood.py",
        &format!("import runpy, sys\nsys.argv = ['flood.py', '--lines', '{lines}', '--bytes', '100']\nrunpy.run_path('workloads/flood.py', run_name='__main__')\n"),
    );
    let mut took = Vec::new();
    for target in ["local", "box"] {
        let start = Instant::now();
        let id = b.launch("flood.py", target);
        let n = common::count_in_stream(
            b.request("GET", &format!("/api/runs/{id}/stream"), ""),
            b"\"stream\":\"stdout\"",
        );
        let t = start.elapsed().as_secs_f64();
        println!(
            "  {target:<6} {n} lines in {t:.2}s = {:.0} lines/s",
            n as f64 / t
        );
        took.push(t);
    }
    println!(
        "throughput: the ssh target at {:.0}% of local (launch → last record at an SSE client)",
        100.0 * took[0] / took[1]
    );
}

fn catchup(b: &Bench) {
    let drop_secs = env_num("BENCH_DROP_SECS", 30);
    b.config(
        "tick.py",
        &format!("import runpy, sys\nsys.argv = ['ticker.py', '--rate', '200', '--count', '{}']\nrunpy.run_path('workloads/ticker.py', run_name='__main__')\n", 200 * (drop_secs + 20)),
    );
    let id = b.launch("tick.py", "box");
    let local = b
        .project
        .path()
        .join(".devloop/runs")
        .join(&id)
        .join("log.jsonl");
    let remote = Path::new("/home/devloop-remote/devloop")
        .join(b.project.path().file_name().unwrap())
        .join(".devloop/runs")
        .join(&id)
        .join("log.jsonl");
    let count = |p: &Path| {
        std::fs::read(p)
            .map(|b| b.iter().filter(|c| **c == b'\n').count())
            .unwrap_or(0)
    };
    while count(&local) < 200 {
        std::thread::sleep(Duration::from_millis(50));
    }
    let down = Command::new("bash")
        .arg(script("sshd.sh"))
        .arg("down")
        .status()
        .unwrap();
    assert!(down.success());
    let drop_start = Instant::now();
    std::thread::sleep(Duration::from_secs(drop_secs));
    let behind = count(&remote).saturating_sub(count(&local));
    let up = Command::new("bash")
        .arg(script("sshd.sh"))
        .arg("up")
        .status()
        .unwrap();
    assert!(up.success());
    let back = Instant::now();
    loop {
        let (l, r) = (count(&local), count(&remote));
        if l >= r && r > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "catch-up: ssh target unreachable for {:.0}s while the run wrote on ({behind} records behind): caught up {:.2}s after it answered again",
        drop_start.elapsed().as_secs_f64() - back.elapsed().as_secs_f64(),
        back.elapsed().as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| args.is_empty() || args.iter().any(|a| name.contains(a.as_str()));
    let Some(b) = Bench::new() else {
        println!("targets: the test sshd is not up; run tests/targets/sshd.sh up and slurm.sh up as root");
        return;
    };
    if want("first") {
        first(&b);
    }
    if want("throughput") {
        throughput(&b);
    }
    if want("catchup") {
        catchup(&b);
    }
}
