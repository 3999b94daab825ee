//! The samples of one result: which exist, a one-row summary of each (for the
//! table: reward, status, turns, error), and a whole sample on demand. Rows
//! come from `samples/ID.json` when present, else from the last line of
//! `trajectories/ID.jsonl`, read from its end so a big file is not read whole.
//! A trajectory whose last line is broken (a writer killed mid-line) gives its
//! last valid line, with a warning saying so.
//! A text search reads every file of a sample a chunk at a time.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::filter::{self, Fields};

/// Largest sample file parsed whole.
pub const MAX_SAMPLE_FILE: u64 = 256 << 20;

#[derive(Debug, Clone, Serialize)]
pub struct SampleRow {
    pub id: String,
    pub index: usize,
    pub reward: Option<f64>,
    pub status: Option<String>,
    pub turns: usize,
    pub error: Option<String>,
    /// Why this sample's files could not be read, if they could not.
    pub malformed: Option<String>,
    /// Read, but not all of it: e.g. the trajectory's last line is broken and
    /// an earlier one is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The named parts of the reward, in the file's order: the Sample's
    /// `score.metrics`, else a `rewards` object (`{"correct": 1, "format": 0}`).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub components: serde_json::Map<String, Value>,
    /// The trajectory's metadata overlaid with the Sample's: what filters
    /// such as `metadata.difficulty == "hard"` read. Not sent with rows.
    #[serde(skip)]
    pub metadata: Value,
}

/// Fields every rollouts row has, besides its reward components and
/// `metadata.…`.
pub const ROW_FIELDS: [&str; 8] = [
    "id",
    "index",
    "reward",
    "status",
    "turns",
    "error",
    "malformed",
    "warning",
];

impl Fields for SampleRow {
    fn field(&self, path: &[String]) -> Option<Value> {
        let text = |s: &Option<String>| Some(s.clone().map_or(Value::Null, Value::String));
        let (first, rest) = path.split_first()?;
        match (first.as_str(), rest) {
            ("id", []) => Some(Value::String(self.id.clone())),
            ("index", []) => Some(self.index.into()),
            ("reward", []) => Some(self.reward.map_or(Value::Null, Value::from)),
            ("status", []) => text(&self.status),
            ("turns", []) => Some(self.turns.into()),
            ("error", []) => text(&self.error),
            ("malformed", []) => text(&self.malformed),
            ("warning", []) => text(&self.warning),
            ("metadata", rest) => filter::at(&self.metadata, rest),
            ("components" | "rewards", [name]) => self.components.get(name).cloned(),
            (name, []) => self.components.get(name).cloned(),
            _ => None,
        }
    }
}

/// Sample ids in a stable order: the report's `sample_ids` order when there
/// is one, then any other files, by name.
pub fn sample_ids(dir: &Path, report: Option<&Value>) -> Vec<String> {
    let mut ids: Vec<String> = report
        .and_then(|r| r.get("sample_ids"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut seen: std::collections::HashSet<String> = ids.iter().cloned().collect();
    let mut found = Vec::new();
    for (sub, ext) in [("samples", ".json"), ("trajectories", ".jsonl")] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(id) = name.strip_suffix(ext) {
                    if seen.insert(id.to_string()) {
                        found.push(id.to_string());
                    }
                }
            }
        }
    }
    found.sort();
    ids.extend(found);
    ids.retain(|id| crate::names::check_part(id).is_ok());
    ids
}

/// `samples/ID.json` of the result folder `dir`, if it exists and resolves
/// (symlinks followed) inside that folder: a link out is never read.
pub fn sample_path(dir: &Path, id: &str) -> Option<PathBuf> {
    crate::names::resolve_existing(dir, &format!("samples/{id}.json")).ok()
}

/// `trajectories/ID.jsonl`, under the same rule as [`sample_path`].
pub fn trajectory_path(dir: &Path, id: &str) -> Option<PathBuf> {
    crate::names::resolve_existing(dir, &format!("trajectories/{id}.jsonl")).ok()
}

/// The whole sample as one object: the Sample file if there is one (with its
/// trajectory filled from `trajectories/` when missing), else a Sample made
/// from the trajectory's last line.
pub fn load_sample(dir: &Path, id: &str) -> Result<Value, String> {
    load_sample_checked(dir, id).map(|(s, _)| s)
}

/// [`load_sample`], and a warning when the trajectory's last line was broken
/// and an earlier line stands in for it.
pub fn load_sample_checked(dir: &Path, id: &str) -> Result<(Value, Option<String>), String> {
    let sample = match sample_path(dir, id) {
        Some(p) => read_json_file(&p)?,
        None => None,
    };
    let (trajectory, warning) = match &sample {
        Some(s) if s.get("trajectory").is_some_and(Value::is_object) => (None, None),
        _ => match trajectory_path(dir, id) {
            Some(p) => match last_json_line(&p)? {
                Some((t, w)) => (Some(t), w),
                None => (None, None),
            },
            None => (None, None),
        },
    };
    match (sample, trajectory) {
        (Some(Value::Object(mut s)), t) => {
            if let Some(t) = t {
                s.insert("trajectory".into(), t);
            }
            Ok((Value::Object(s), warning))
        }
        (Some(_), _) => Err(format!("samples/{id}.json is not a JSON object")),
        (None, Some(t)) => Ok((serde_json::json!({ "id": id, "trajectory": t }), warning)),
        (None, None) => Err(format!("no files for sample {id}")),
    }
}

pub fn row(dir: &Path, id: &str, index: usize) -> SampleRow {
    let mut row = SampleRow {
        id: id.to_string(),
        index,
        reward: None,
        status: None,
        turns: 0,
        error: None,
        malformed: None,
        warning: None,
        components: serde_json::Map::new(),
        metadata: Value::Null,
    };
    match load_sample_checked(dir, id) {
        Ok((sample, warning)) => {
            row.warning = warning;
            let traj = sample.get("trajectory");
            row.reward = sample.get("reward").and_then(reward_value).or_else(|| {
                traj.and_then(|t| t.get("rewards").or_else(|| t.get("reward")))
                    .and_then(reward_value)
            });
            row.status = sample
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_string);
            row.components = components(&sample);
            row.metadata = metadata(&sample);
            row.turns = traj
                .and_then(|t| t.get("messages"))
                .and_then(Value::as_array)
                .map(|m| {
                    m.iter()
                        .filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
                        .count()
                })
                .unwrap_or(0);
            row.error = sample
                .get("metadata")
                .and_then(|m| m.get("error"))
                .or_else(|| sample.get("error"))
                .filter(|e| !e.is_null())
                .map(|e| {
                    e.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| e.to_string())
                });
        }
        Err(e) => row.malformed = Some(e),
    }
    row
}

/// The reward's named parts: the Sample's `score.metrics` (`name`,
/// `value`), else the first `reward`/`rewards` that is an object.
fn components(sample: &Value) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    if let Some(metrics) = sample.pointer("/score/metrics").and_then(Value::as_array) {
        for m in metrics {
            if let (Some(name), Some(v)) = (m.get("name").and_then(Value::as_str), m.get("value")) {
                out.insert(name.to_string(), v.clone());
            }
        }
        if !out.is_empty() {
            return out;
        }
    }
    let traj = sample.get("trajectory");
    let named = [
        sample.get("reward"),
        traj.and_then(|t| t.get("rewards")),
        traj.and_then(|t| t.get("reward")),
    ]
    .into_iter()
    .flatten()
    .find_map(Value::as_object);
    if let Some(m) = named {
        out.extend(
            m.iter()
                .filter(|(_, v)| v.is_number())
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    out
}

/// The trajectory's metadata with the Sample's on top.
fn metadata(sample: &Value) -> Value {
    let mut out = sample
        .pointer("/trajectory/metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(m) = sample.get("metadata").and_then(Value::as_object) {
        out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Value::Object(out)
}

/// A reward as one number: a number, or for an object of named rewards its
/// `total`/`reward` entry, else the sum of its numbers.
pub fn reward_value(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Object(m) => m
            .get("total")
            .or_else(|| m.get("reward"))
            .and_then(Value::as_f64)
            .or_else(|| {
                let nums: Vec<f64> = m.values().filter_map(Value::as_f64).collect();
                (!nums.is_empty()).then(|| nums.iter().sum())
            }),
        _ => None,
    }
}

fn read_json_file(path: &Path) -> Result<Option<Value>, String> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{name}: {e}")),
    };
    if meta.len() > MAX_SAMPLE_FILE {
        return Err(format!(
            "{name} is larger than {} MiB",
            MAX_SAMPLE_FILE >> 20
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{name}: {e}"))?;
    if bytes.is_empty() {
        return Err(format!("{name} is empty (0 bytes)"));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| format!("{name} is not valid JSON: {e}"))
}

/// Lines tried, from the end, for one that is valid JSON.
const MAX_BROKEN_LINES: usize = 16;

/// The last valid, non-empty line of a JSONL file (the final state of a
/// trajectory), read backwards from the end. When the last line is not valid
/// JSON (cut off mid-write), the last one that is, with a warning saying so.
fn last_json_line(path: &Path) -> Result<Option<(Value, Option<String>)>, String> {
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{name}: {e}")),
    };
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    if len == 0 {
        return Err(format!("{name} is empty (0 bytes)"));
    }
    let mut upto = len;
    let mut first_error: Option<String> = None;
    for skipped in 0..MAX_BROKEN_LINES {
        let Some((start, line)) = last_line(&mut f, upto, &name)? else {
            break;
        };
        match parse_line(&line, &name) {
            Ok(v) => {
                let warning = first_error.map(|e| {
                    format!(
                        "{e}; showing the last valid line ({skipped} broken line{} after it)",
                        if skipped == 1 { "" } else { "s" }
                    )
                });
                return Ok(Some((v, warning)));
            }
            Err(e) => {
                first_error.get_or_insert(e);
                upto = start;
            }
        }
    }
    Err(first_error.unwrap_or_else(|| format!("{name} has no lines")))
}

/// The last non-blank line of `f` before byte `upto`, and where it starts.
fn last_line(f: &mut File, upto: u64, name: &str) -> Result<Option<(u64, Vec<u8>)>, String> {
    let mut end = upto;
    let mut tail: Vec<u8> = Vec::new();
    let mut block = 64 * 1024u64;
    loop {
        let start = end.saturating_sub(block);
        let mut buf = vec![0u8; (end - start) as usize];
        f.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
        f.read_exact(&mut buf).map_err(|e| e.to_string())?;
        buf.extend_from_slice(&tail);
        tail = buf;
        end = start;
        let trimmed_len = tail
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |p| p + 1);
        if trimmed_len == 0 && start == 0 {
            return Ok(None);
        }
        if let Some(nl) = memchr::memrchr(b'\n', &tail[..trimmed_len]) {
            return Ok(Some((
                start + nl as u64 + 1,
                tail[nl + 1..trimmed_len].to_vec(),
            )));
        }
        if start == 0 {
            return Ok(Some((0, tail[..trimmed_len].to_vec())));
        }
        if tail.len() as u64 > MAX_SAMPLE_FILE {
            return Err(format!(
                "{name}: last line is larger than {} MiB",
                MAX_SAMPLE_FILE >> 20
            ));
        }
        block *= 2;
    }
}

fn parse_line(line: &[u8], name: &str) -> Result<Value, String> {
    serde_json::from_slice(line)
        .map_err(|e| format!("{name}: last line is not valid JSON (still being written?): {e}"))
}

/// Bytes read at a time by a text search: a file is never held whole, so
/// four searches over a 1 GB trajectory stay within a few MiB.
pub const SEARCH_CHUNK: usize = 256 << 10;

/// A text search through the files of samples: the needle is compared with
/// the raw bytes lower-cased as ASCII (`needle` must be lower-case already),
/// reading each file in chunks of [`SEARCH_CHUNK`] into one buffer kept for
/// every file searched. The last `needle.len() - 1` bytes of a chunk stay in
/// front of the next, so a match across two chunks is found.
pub struct TextSearch {
    finder: memchr::memmem::Finder<'static>,
    buf: Vec<u8>,
}

impl TextSearch {
    pub fn new(needle: &[u8]) -> Self {
        TextSearch {
            finder: memchr::memmem::Finder::new(needle).into_owned(),
            buf: Vec::new(),
        }
    }

    /// True if any file of the sample contains the needle. Only files that
    /// resolve inside `dir` are read ([`sample_path`], [`trajectory_path`]).
    pub fn in_sample(&mut self, dir: &Path, id: &str) -> bool {
        [sample_path(dir, id), trajectory_path(dir, id)]
            .iter()
            .flatten()
            .any(|p| self.in_file(p))
    }

    /// True if the file contains the needle; false if it cannot be read.
    fn in_file(&mut self, path: &Path) -> bool {
        File::open(path).is_ok_and(|f| self.in_reader(f))
    }

    /// True if what `r` yields contains the needle (ASCII case folded),
    /// read 256 KiB at a time; false if it cannot be read.
    pub fn in_reader(&mut self, mut f: impl Read) -> bool {
        let keep = self.finder.needle().len().saturating_sub(1);
        if self.buf.len() < keep + SEARCH_CHUNK {
            self.buf.resize(keep + SEARCH_CHUNK, 0);
        }
        let buf = &mut self.buf;
        // Bytes at the front of `buf` carried from the chunk before.
        let mut carried = 0;
        loop {
            let n = match f.read(&mut buf[carried..]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            };
            let end = carried + n;
            if n == 0 {
                // Only an empty needle can match what is left.
                return self.finder.find(&buf[..end]).is_some();
            }
            buf[carried..end].make_ascii_lowercase();
            if self.finder.find(&buf[..end]).is_some() {
                return true;
            }
            carried = keep.min(end);
            buf.copy_within(end - carried..end, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_from_samples_or_the_last_trajectory_line() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("samples")).unwrap();
        std::fs::create_dir_all(d.join("trajectories")).unwrap();
        std::fs::write(
            d.join("samples/a.json"),
            r#"{"id":"a","reward":1.0,"status":"completed","trajectory":{"messages":[{"role":"user"},{"role":"assistant"}]}}"#,
        )
        .unwrap();
        std::fs::write(
            d.join("trajectories/b.jsonl"),
            "{\"messages\":[],\"rewards\":0.0}\n{\"messages\":[{\"role\":\"assistant\"},{\"role\":\"assistant\"}],\"rewards\":{\"correct\":1,\"format\":0.5}}\n",
        )
        .unwrap();
        std::fs::write(
            d.join("trajectories/c.jsonl"),
            "{\"messages\":[]}\n{\"messa",
        )
        .unwrap();
        std::fs::write(
            d.join("samples/e.json"),
            r#"{"id":"e","status":"failed","metadata":{"error":"ProviderError[openai]: 429"},"trajectory":{"messages":[]}}"#,
        )
        .unwrap();
        let ids = sample_ids(d, Some(&serde_json::json!({"sample_ids": ["b", "a"]})));
        assert_eq!(ids, ["b", "a", "c", "e"]);
        let a = row(d, "a", 0);
        assert_eq!(
            (a.reward, a.turns, a.status.as_deref()),
            (Some(1.0), 1, Some("completed"))
        );
        let b = row(d, "b", 1);
        assert_eq!((b.reward, b.turns), (Some(1.5), 2));
        // Its last line cut off mid-write: the line before it, with a warning.
        let c = row(d, "c", 2);
        assert_eq!(c.malformed, None);
        let w = c.warning.unwrap();
        assert!(w.contains("still being written"), "{w}");
        assert!(
            w.contains("showing the last valid line (1 broken line after it)"),
            "{w}"
        );
        std::fs::write(d.join("trajectories/c.jsonl"), "{\"messa").unwrap();
        let c = row(d, "c", 2);
        assert!(c.malformed.unwrap().contains("still being written"));
        std::fs::write(d.join("trajectories/c.jsonl"), "\n \n").unwrap();
        assert!(row(d, "c", 2).malformed.unwrap().contains("has no lines"));
        let e = row(d, "e", 3);
        assert_eq!(e.error.as_deref(), Some("ProviderError[openai]: 429"));
        let mut search = TextSearch::new(b"providererror");
        assert!(search.in_sample(d, "e"));
        assert!(!search.in_sample(d, "a"));
    }

    #[test]
    fn a_search_finds_a_match_across_chunks_and_nothing_more() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("trajectories")).unwrap();
        let needle = b"needle-across-chunks";
        // The needle, in mixed case, split at every point over the first
        // chunk boundary (one file each), and once over the second.
        let splits = (1..needle.len()).map(|k| (SEARCH_CHUNK, k));
        for (i, (boundary, split)) in splits.chain([(2 * SEARCH_CHUNK, 7)]).enumerate() {
            let mut bytes = vec![b'x'; boundary - split];
            bytes.extend_from_slice(b"Needle-ACROSS-chunks");
            bytes.resize(boundary + SEARCH_CHUNK / 2, b'y');
            let id = format!("s{i}");
            std::fs::write(d.join(format!("trajectories/{id}.jsonl")), &bytes).unwrap();
            let mut search = TextSearch::new(needle);
            assert!(search.in_sample(d, &id), "split {split} at {boundary}");
            let mut other = TextSearch::new(b"needle-across-chunkz");
            assert!(!other.in_sample(d, &id), "split {split} at {boundary}");
        }
        // One file ending in the needle's start, another beginning with its
        // end, searched with one buffer: nothing is carried between files.
        std::fs::write(d.join("trajectories/head.jsonl"), b"xx needle-acr").unwrap();
        std::fs::write(d.join("trajectories/tail.jsonl"), b"oss-chunks xx").unwrap();
        let mut search = TextSearch::new(needle);
        assert!(!search.in_sample(d, "head") && !search.in_sample(d, "tail"));
        // Exactly as before for the edges: an empty file, an empty needle.
        std::fs::write(d.join("trajectories/empty.jsonl"), b"").unwrap();
        assert!(!TextSearch::new(b"a").in_sample(d, "empty"));
        assert!(TextSearch::new(b"").in_sample(d, "empty"));
    }
}
