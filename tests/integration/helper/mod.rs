//! Test fixtures: a temporary project, the real `devloop` binary serving it on
//! a free loopback port, an HTTP client and an SSE reader, and `wait_for`,
//! which polls a condition under one global timeout instead of sleeping.

#![allow(dead_code)]

pub mod chaos;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const TIMEOUT: Duration = Duration::from_secs(60);

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_devloop")
}

pub fn workload(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/workloads")
        .join(name);
    assert!(p.exists(), "workload {} missing", p.display());
    p
}

/// Polls `f` until it returns `Some`, panicking with `what` after [`TIMEOUT`].
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A project whose command runs each config with `python3 CONFIG`.
    pub fn new(extra_toml: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("configs")).unwrap();
        std::fs::write(
            dir.path().join("devloop.toml"),
            format!("[launch]\ncommand = [\"python3\", \"{{config}}\"]\nstop_grace_secs = 1\n{extra_toml}"),
        )
        .unwrap();
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self, name: &str, body: &str) -> &Self {
        std::fs::write(self.path().join("configs").join(name), body).unwrap();
        self
    }

    /// A config that runs one of the workloads in `tests/workloads` with arguments.
    pub fn workload_config(&self, name: &str, workload_name: &str, args: &[&str]) -> &Self {
        let argv: Vec<String> = std::iter::once(workload_name.to_string())
            .chain(args.iter().map(|a| a.to_string()))
            .collect();
        self.config(
            name,
            &format!(
                "import runpy, sys\nsys.argv = {argv:?}\nrunpy.run_path({:?}, run_name='__main__')\n",
                workload(workload_name).to_string_lossy()
            ),
        )
    }
}

pub struct Server {
    pub child: Child,
    pub url: String,
    pub port: u16,
    pub project: PathBuf,
}

impl Server {
    pub fn start(project: &Path) -> Server {
        Self::start_on(project, 0)
    }

    pub fn start_on(project: &Path, port: u16) -> Server {
        Self::start_with(project, &["--port", &port.to_string()]).0
    }

    /// `devloop serve --project PROJECT ARGS...`; also returns the first line
    /// it printed (the URL, with `?token=` when it has one).
    pub fn start_with(project: &Path, args: &[&str]) -> (Server, String) {
        let mut child = Command::new(bin())
            .args(["serve", "--project"])
            .arg(project)
            .args(args)
            .env_remove("DEVLOOP_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting devloop serve");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {first:?}"))
            .split('?')
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_string();
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        let server = Server {
            child,
            url,
            port,
            project: project.to_path_buf(),
        };
        (server, first)
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        respond(ureq::get(&format!("{}{path}", self.url)).call())
    }

    pub fn get_text(&self, path: &str) -> String {
        ureq::get(&format!("{}{path}", self.url))
            .call()
            .unwrap()
            .into_string()
            .unwrap()
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        respond(ureq::post(&format!("{}{path}", self.url)).send_json(body))
    }

    pub fn put(&self, path: &str, body: Value) -> (u16, Value) {
        respond(ureq::put(&format!("{}{path}", self.url)).send_json(body))
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        respond(ureq::delete(&format!("{}{path}", self.url)).call())
    }

    /// Launches a config and returns its run id.
    pub fn launch(&self, config: &str) -> String {
        let (code, body) = self.post("/api/launch", serde_json::json!({ "configName": config }));
        assert_eq!(code, 200, "launch failed: {body}");
        body["run_id"].as_str().unwrap().to_string()
    }

    pub fn run(&self, id: &str) -> Value {
        let (code, body) = self.get(&format!("/api/runs/{id}"));
        assert_eq!(code, 200, "{body}");
        body
    }

    pub fn wait_status(&self, id: &str, pred: impl Fn(&str) -> bool) -> Value {
        wait_for(&format!("status of {id}"), || {
            let run = self.run(id);
            pred(run["status"].as_str().unwrap()).then_some(run)
        })
    }

    pub fn wait_ended(&self, id: &str) -> Value {
        self.wait_status(id, |s| !matches!(s, "queued" | "pending" | "running"))
    }

    /// Reads the whole stream of a run (until `complete`).
    pub fn stream_all(&self, id: &str, after: Option<u64>) -> Sse {
        let mut sse = Sse::open(&self.url, id, after, None);
        sse.read_until_complete();
        sse
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn respond(r: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    match r {
        Ok(resp) => (resp.status(), resp.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(code, resp)) => (code, resp.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("request failed: {e}"),
    }
}

/// One SSE connection and what it has received so far.
pub struct Sse {
    reader: Box<dyn BufRead + Send>,
    pub events: Vec<(Option<u64>, Value)>,
}

impl Sse {
    pub fn open(base: &str, id: &str, after: Option<u64>, last_event_id: Option<u64>) -> Sse {
        let mut url = format!("{base}/api/runs/{id}/stream");
        if let Some(a) = after {
            url.push_str(&format!("?after={a}"));
        }
        let mut req = ureq::get(&url);
        if let Some(l) = last_event_id {
            req = req.set("Last-Event-ID", &l.to_string());
        }
        Self::from_response(req.call().expect("stream"))
    }

    pub fn from_response(resp: ureq::Response) -> Sse {
        assert_eq!(resp.header("content-type"), Some("text/event-stream"));
        Sse {
            reader: Box::new(BufReader::new(resp.into_reader())),
            events: Vec::new(),
        }
    }

    /// Reads the next event; `None` at the end of the stream.
    pub fn next_event(&mut self) -> Option<(Option<u64>, Value)> {
        let ev = read_sse_event(&mut self.reader, |_| {})?;
        self.events.push(ev.clone());
        Some(ev)
    }

    pub fn read_until(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Value {
        loop {
            let (_, v) = self.next_event().expect("stream ended early");
            if pred(&v) {
                return v;
            }
        }
    }

    pub fn read_until_complete(&mut self) -> Value {
        self.read_until(|v| v["type"] == "complete")
    }

    /// The output records received (type stdout), in order.
    pub fn records(&self) -> Vec<&Value> {
        self.events
            .iter()
            .map(|(_, v)| v)
            .filter(|v| v["type"] == "stdout")
            .collect()
    }

    pub fn seqs(&self) -> Vec<u64> {
        self.events.iter().filter_map(|(id, _)| *id).collect()
    }

    /// Final text of every display line of `stream`, in line order.
    pub fn final_lines(&self, stream: &str) -> Vec<String> {
        let mut lines = std::collections::BTreeMap::new();
        for r in self.records() {
            if r["stream"] == stream {
                lines.insert(
                    r["lineno"].as_u64().unwrap(),
                    r["text"].as_str().unwrap().to_string(),
                );
            }
        }
        lines.into_values().collect()
    }
}

/// Reads one SSE event (`id:` and JSON `data:` up to a blank line) from
/// `reader`, handing `:` comment lines to `on_comment`; `None` at the end.
pub fn read_sse_event(
    reader: &mut impl BufRead,
    mut on_comment: impl FnMut(&str),
) -> Option<(Option<u64>, Value)> {
    let mut id = None;
    let mut data: Option<String> = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches('\n');
        if line.is_empty() {
            match data.take() {
                Some(d) => return Some((id, serde_json::from_str(&d).expect("data is JSON"))),
                None => continue,
            }
        }
        if let Some(c) = line.strip_prefix(':') {
            on_comment(c.trim());
        } else if let Some(v) = line.strip_prefix("id: ") {
            id = Some(v.parse().expect("id is a number"));
        } else if let Some(v) = line.strip_prefix("data: ") {
            data = Some(v.to_string());
        }
    }
}

/// Processes whose parent is `pid`.
pub fn is_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat[stat.rfind(')').unwrap() + 2..].chars().next();
            state != Some('Z') && state != Some('X')
        }
        Err(_) => false,
    }
}

pub fn exists_as_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| stat[stat.rfind(')').unwrap() + 2..].starts_with('Z'))
        .unwrap_or(false)
}

/// `GET /api/events`, read on a thread so a test can wait for a notice.
pub struct ProjectEvents {
    rx: std::sync::mpsc::Receiver<Value>,
}

impl ProjectEvents {
    pub fn open(base: &str) -> ProjectEvents {
        let resp = ureq::get(&format!("{base}/api/events"))
            .call()
            .expect("events");
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = BufReader::new(resp.into_reader());
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { return };
                if let Some(data) = line.strip_prefix("data: ") {
                    if let Ok(v) = serde_json::from_str(data) {
                        if tx.send(v).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        ProjectEvents { rx }
    }

    /// True if an event matching `pred` arrives within `within`.
    pub fn try_wait(&mut self, within: Duration, mut pred: impl FnMut(&Value) -> bool) -> bool {
        let deadline = Instant::now() + within;
        while let Ok(v) = self
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if pred(&v) {
                return true;
            }
        }
        false
    }

    pub fn wait_for(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .rx
                .recv_timeout(left)
                .expect("timed out waiting for a project event");
            if pred(&v) {
                return v;
            }
        }
    }
}
