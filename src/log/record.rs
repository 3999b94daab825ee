//! The output record: one JSON line in a run's `log.jsonl`, and, unchanged, the
//! `data:` of one SSE event. The supervisor writes them; the server only counts
//! lines (a record's `seq` is its line number in the file) and forwards bytes,
//! so the hot path never re-parses or re-encodes what the supervisor wrote.

use serde::{Deserialize, Serialize};

/// Where a record's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
    /// Messages of devloop itself: the command line, exit status, warnings.
    Devloop,
}

/// One line of output, or a newer state of a line already sent (same `lineno`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputLine {
    pub stream: Stream,
    pub lineno: u64,
    pub text: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub partial: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub wrap: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What a record carries, tagged by `type` like the seed's SSE payloads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Payload {
    Stdout(OutputLine),
    Event {
        event: serde_json::Value,
    },
    /// What the run's process tree used, once a second.
    Metrics(Metrics),
}

/// One sample: a `{"type":"metrics", ...}` record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// CPU time used in the last interval, in % of one core.
    pub cpu_pct: f64,
    pub rss_bytes: u64,
    pub procs: u64,
    pub threads: u64,
    /// Bytes read from and written to storage by the live processes.
    pub read_bytes: u64,
    pub write_bytes: u64,
    #[serde(default)]
    pub gpus: Vec<GpuUse>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuUse {
    pub index: u32,
    /// Memory the run's processes hold on this GPU.
    pub mem_bytes: u64,
    /// The GPU's utilisation while the run's processes use it.
    pub util_pct: u32,
}

/// A record as stored: `seq` first so a reader can find it by prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    pub t: u64,
    #[serde(flatten)]
    pub payload: Payload,
}

impl Record {
    pub fn output(&self) -> Option<&OutputLine> {
        match &self.payload {
            Payload::Stdout(line) => Some(line),
            Payload::Event { .. } | Payload::Metrics(_) => None,
        }
    }
}

/// Wall-clock milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_json_has_seq_first_and_seed_type() {
        let r = Record {
            seq: 7,
            t: 1,
            payload: Payload::Stdout(OutputLine {
                stream: Stream::Stderr,
                lineno: 3,
                text: "a \u{0}\u{1b}[31mb".into(),
                partial: true,
                wrap: false,
            }),
        };
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.starts_with("{\"seq\":7,"), "{json}");
        assert!(json.contains("\"type\":\"stdout\""));
        assert!(json.contains("\"stream\":\"stderr\""));
        assert!(!json.contains("wrap"));
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), r);
    }
}
