//! Helpers for the robustness suites: a seeded random source (the seed is
//! printed so a failure can be replayed with `DEVLOOP_TEST_SEED`), checks on
//! a run's `log.jsonl` as the supervisor wrote it, a raw SSE reader that also
//! sees comments, and a small tmpfs for disk-full tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../../common/rng.rs"]
mod rng;
pub use rng::Rng;

pub fn run_dir(project: &Path, id: &str) -> PathBuf {
    project.join(".devloop/runs").join(id)
}

/// Waits until the run's stdout, as its log holds it so far, satisfies
/// `done` (e.g. has a line, or enough lines); returns those lines.
pub fn wait_for_output(
    project: &Path,
    id: &str,
    what: &str,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    crate::helper::wait_for(what, || {
        run_dir(project, id)
            .join("log.jsonl")
            .exists()
            .then_some(())?;
        let lines = final_lines(&read_log(project, id), "stdout");
        done(&lines).then_some(lines)
    })
}

/// Every record of a run's `log.jsonl`, checked: each line is a JSON
/// object and `seq` is its line number (1, 2, 3, ... without gaps).
pub fn read_log(project: &Path, id: &str) -> Vec<Value> {
    let path = run_dir(project, id).join("log.jsonl");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    check_log_bytes(&bytes, &path.display().to_string())
}

pub fn check_log_bytes(bytes: &[u8], what: &str) -> Vec<Value> {
    let mut records = Vec::new();
    if !bytes.is_empty() {
        assert!(bytes.ends_with(b"\n"), "{what}: the last record is cut off");
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        if bytes.is_empty() {
            break;
        }
        let v: Value = serde_json::from_slice(line).unwrap_or_else(|e| {
            panic!(
                "{what}: line {} is not JSON ({e}): {:?}",
                i + 1,
                String::from_utf8_lossy(&line[..line.len().min(200)])
            )
        });
        assert_eq!(
            v["seq"].as_u64(),
            Some(i as u64 + 1),
            "{what}: line {} has seq {}",
            i + 1,
            v["seq"]
        );
        records.push(v);
    }
    records
}

/// Final text of every display line of `stream`, in line order.
pub fn final_lines(records: &[Value], stream: &str) -> Vec<String> {
    let mut lines = BTreeMap::new();
    for r in records {
        if r["type"] == "stdout" && r["stream"] == stream {
            lines.insert(
                r["lineno"].as_u64().unwrap(),
                r["text"].as_str().unwrap().to_string(),
            );
        }
    }
    lines.into_values().collect()
}

/// The supervisor's pid, once it has written `supervisor.json`.
pub fn supervisor_pid(project: &Path, id: &str) -> i32 {
    let path = run_dir(project, id).join("supervisor.json");
    super::wait_for("supervisor.json", || {
        let text = std::fs::read_to_string(&path).ok()?;
        serde_json::from_str::<Value>(&text).ok()?["pid"]
            .as_i64()
            .map(|p| p as i32)
    })
}

/// Resident memory of a process in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// One SSE connection read line by line, comments included.
pub struct RawSse {
    reader: BufReader<Box<dyn std::io::Read + Send + Sync>>,
    /// (time received, comment text) for every `:` line.
    pub comments: Vec<(Instant, String)>,
    /// (time received, id, data) for every event.
    pub events: Vec<(Instant, Option<u64>, Value)>,
}

impl RawSse {
    pub fn open(url: &str, last_event_id: Option<u64>) -> RawSse {
        Self::try_open(url, last_event_id).expect("stream")
    }

    /// Opens the stream; an error where the server is not (yet) there.
    pub fn try_open(url: &str, last_event_id: Option<u64>) -> Result<RawSse, String> {
        let agent = ureq::AgentBuilder::new()
            .timeout_read(Duration::from_secs(60))
            .build();
        let mut req = agent.get(url);
        if let Some(l) = last_event_id {
            req = req.set("Last-Event-ID", &l.to_string());
        }
        let resp = req.call().map_err(|e| e.to_string())?;
        Ok(RawSse {
            reader: BufReader::new(resp.into_reader()),
            comments: Vec::new(),
            events: Vec::new(),
        })
    }

    /// Reads the next event (recording comments on the way); `None` at the end.
    pub fn next_event(&mut self) -> Option<(Option<u64>, Value)> {
        let comments = &mut self.comments;
        let (id, v) = super::read_sse_event(&mut self.reader, |c| {
            comments.push((Instant::now(), c.to_string()))
        })?;
        self.events.push((Instant::now(), id, v.clone()));
        Some((id, v))
    }

    pub fn seqs(&self) -> Vec<u64> {
        self.events.iter().filter_map(|(_, id, _)| *id).collect()
    }
}

/// A tmpfs of a few MiB, unmounted on drop.
pub struct Tmpfs {
    pub dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (with the reason printed) where mounting is not permitted.
    pub fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: mount -t tmpfs is not permitted here: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}
