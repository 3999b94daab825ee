//! Inspect AI logs beside rollouts results: `.eval` and `.json` logs found in
//! the Inspect log folder (`[paths] inspect_logs`, default `logs/`) at any
//! depth and at the top of `results/`. Each is named by its path from the
//! project (`logs/2026-…_arith_….eval`), which holds a `/` and so never
//! clashes with a result folder's name.
//!
//! A log is summarised once per change (size, mtime, inode: Inspect replaces
//! the file on every flush): its header (or, while it runs, its start
//! journal) for the list, its sample summaries for the samples table. A
//! sample is read from its own zip entry when opened. So a list of many
//! logs and the first page of a big one cost a few small entries each.

mod eval_zip;
mod json;
mod transcript;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::filter::{FieldSet, Fields};
use super::{low, SampleQuery};
use crate::error::{ApiError, ApiResult};

/// Deepest folder searched below the Inspect log folder.
const MAX_DEPTH: usize = 4;
/// Characters of a sample's input shown in the table.
const INPUT_PREVIEW: usize = 160;

struct Root {
    /// How names begin: the folder's path from the project.
    label: String,
    dir: PathBuf,
    /// Sub-folders searched (the log folder), or only the top (results/,
    /// whose sub-folders are rollouts results).
    deep: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Sig {
    len: u64,
    mtime_ns: i128,
    ino: u64,
}

fn sig(path: &Path) -> Option<Sig> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(Sig {
        len: m.len(),
        mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
        ino: m.ino(),
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Eval,
    Json,
}

/// One row of the samples table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `ID_epoch_N`, as Inspect names the sample's entry: unique in a log.
    pub id: String,
    pub index: usize,
    pub sample_id: String,
    pub epoch: u64,
    /// Scorer → `{value, answer, explanation}`.
    pub scores: Map<String, Value>,
    /// The headline scorer's value as a number (C/I/P/N, booleans and
    /// numbers as Inspect converts them), for sorting, filtering, comparing.
    pub reward: Option<f64>,
    /// `completed`, `error`, or `limit` (stopped by a limit).
    pub status: String,
    pub target: String,
    pub input: String,
    pub tokens: Option<u64>,
    pub time: Option<f64>,
    pub working_time: Option<f64>,
    pub error: Option<String>,
    pub limit: Option<String>,
    pub retries: u64,
    pub messages: Option<u64>,
}

/// Fields of every Inspect row, besides each scorer by name and
/// `scores.NAME.answer` and the like.
const ROW_FIELDS: [&str; 17] = [
    "id",
    "index",
    "sample_id",
    "epoch",
    "reward",
    "score",
    "status",
    "target",
    "input",
    "tokens",
    "time",
    "working_time",
    "error",
    "limit",
    "retries",
    "messages",
    "turns",
];

impl Fields for Row {
    fn field(&self, path: &[String]) -> Option<Value> {
        let text = |s: &Option<String>| Some(s.clone().map_or(Value::Null, Value::String));
        let num = |x: Option<f64>| Some(x.map_or(Value::Null, Value::from));
        let (first, rest) = path.split_first()?;
        match (first.as_str(), rest) {
            ("id", []) => Some(self.id.clone().into()),
            ("index", []) => Some(self.index.into()),
            ("sample_id", []) => Some(self.sample_id.clone().into()),
            ("epoch", []) => Some(self.epoch.into()),
            ("reward" | "score", []) => num(self.reward),
            ("status", []) => Some(self.status.clone().into()),
            ("target", []) => Some(self.target.clone().into()),
            ("input", []) => Some(self.input.clone().into()),
            ("tokens", []) => Some(self.tokens.map_or(Value::Null, Value::from)),
            ("time", []) => num(self.time),
            ("working_time", []) => num(self.working_time),
            ("error", []) => text(&self.error),
            ("limit", []) => text(&self.limit),
            ("retries", []) => Some(self.retries.into()),
            ("messages" | "turns", []) => Some(self.messages.map_or(Value::Null, Value::from)),
            // A scorer by name is its value; `scores.NAME.answer` and the
            // like reach the rest of what it gave.
            ("scores", [name]) => self.scores.get(name).and_then(|s| s.get("value")).cloned(),
            // The value as the histogram counts it (`C` is 1, `I` is 0), so a
            // bar of any scorer's chart can be a filter.
            ("scores", [name, n]) if n == "number" => Some(
                self.scores
                    .get(name)
                    .and_then(|s| s.get("value"))
                    .and_then(score_number)
                    .map_or(Value::Null, Value::from),
            ),
            ("scores", [name, rest @ ..]) => super::filter::at(self.scores.get(name)?, rest),
            (name, []) => self.scores.get(name).and_then(|s| s.get("value")).cloned(),
            _ => None,
        }
    }
}

/// Every scorer's name in a log's rows, in first-seen order.
fn scorer_names(rows: &[Row]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        for k in r.scores.keys() {
            if !ROW_FIELDS.contains(&k.as_str()) && !out.contains(k) {
                out.push(k.clone());
            }
        }
    }
    out
}

/// A log file as found: named, and why it cannot be served, if it cannot.
struct Found {
    name: String,
    path: PathBuf,
    problem: Option<String>,
}

struct Log {
    name: String,
    path: PathBuf,
    sig: Sig,
    format: Format,
    /// `header.json`-shaped, or why the log cannot be read.
    head: Result<Value, String>,
    /// Samples written so far (entries of an `.eval`, samples of a `.json`).
    written: usize,
    json: Option<Arc<json::JsonLog>>,
    rows: OnceLock<Result<Arc<Vec<Row>>, String>>,
}

pub struct Inspect {
    roots: Vec<Root>,
    logs: Mutex<HashMap<PathBuf, Arc<Log>>>,
    /// Set while a thread reads the newest logs' sample tables ahead.
    warming: Arc<std::sync::atomic::AtomicBool>,
}

/// How many of the newest logs have their sample table read as soon as
/// they are listed, so opening one shows its first page at once.
const WARM_NEWEST: usize = 3;

/// `ID_epoch_N` of a summary or sample.
pub fn sample_key(v: &Value) -> String {
    format!(
        "{}_epoch_{}",
        id_text(v.get("id")),
        v.get("epoch").and_then(Value::as_u64).unwrap_or(1)
    )
}

fn id_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A score value as a number, as Inspect's `value_to_float` reads it.
pub fn score_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "c" | "yes" | "true" => Some(1.0),
            "i" | "n" | "no" | "false" => Some(0.0),
            "p" => Some(0.5),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

fn first_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            // A list of messages: the first user message's text (the system
            // prompt is the same for every sample); a list of targets: all.
            if items.iter().all(Value::is_string) {
                return items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" | ");
            }
            let user = items
                .iter()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
                .or_else(|| items.first());
            user.and_then(|m| m.get("content"))
                .map(|c| match c {
                    Value::String(s) => s.clone(),
                    Value::Array(parts) => parts
                        .iter()
                        .filter_map(|p| p.get("text").and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join(" "),
                    _ => String::new(),
                })
                .unwrap_or_default()
        }
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn preview(s: &str, max: usize) -> String {
    // Only the start is shown: a long input is not flattened whole.
    let head = crate::names::truncate_bytes(s, max * 4 + 64);
    let flat: String = head.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None if head.len() < s.len() => format!("{flat}…"),
        None => flat,
    }
}

/// A row from a sample summary (`.eval`) or a whole sample (`.json`).
fn row(v: &Value, index: usize, headline: Option<&str>) -> Row {
    let scores: Map<String, Value> = v
        .get("scores")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, s)| {
                    (
                        k.clone(),
                        json!({"value": s.get("value"), "answer": s.get("answer"), "explanation": s.get("explanation")}),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let head = headline
        .filter(|h| scores.contains_key(*h))
        .or_else(|| scores.keys().next().map(String::as_str));
    let reward = head
        .and_then(|h| scores.get(h))
        .and_then(|s| s.get("value"))
        .and_then(score_number);
    let error = match v.get("error") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("message").map(|m| id_text(Some(m))),
        _ => None,
    };
    let limit = v.get("limit").filter(|l| !l.is_null()).map(|l| match l {
        Value::Object(o) => format!(
            "{} limit {}",
            id_text(o.get("type")),
            id_text(o.get("limit"))
        ),
        other => id_text(Some(other)),
    });
    let tokens = v
        .get("model_usage")
        .and_then(Value::as_object)
        .and_then(|m| {
            let sum: u64 = m
                .values()
                .filter_map(|u| u.get("total_tokens").and_then(Value::as_u64))
                .sum();
            (!m.is_empty()).then_some(sum)
        });
    let retries = match v.get("retries").or_else(|| v.get("error_retries")) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::Array(a)) => a.len() as u64,
        _ => 0,
    };
    Row {
        id: sample_key(v),
        index,
        sample_id: id_text(v.get("id")),
        epoch: v.get("epoch").and_then(Value::as_u64).unwrap_or(1),
        reward,
        status: if error.is_some() {
            "error".into()
        } else if limit.is_some() {
            "limit".into()
        } else {
            "completed".into()
        },
        scores,
        target: preview(&first_text(v.get("target").unwrap_or(&Value::Null)), 400),
        input: preview(
            &first_text(v.get("input").unwrap_or(&Value::Null)),
            INPUT_PREVIEW,
        ),
        tokens,
        time: v.get("total_time").and_then(Value::as_f64),
        working_time: v.get("working_time").and_then(Value::as_f64),
        error,
        limit,
        retries,
        messages: v.get("message_count").and_then(Value::as_u64).or_else(|| {
            v.get("messages")
                .and_then(Value::as_array)
                .map(|m| m.len() as u64)
        }),
    }
}

/// The scorer whose value is a sample's `reward`: the results' headline,
/// else the first scorer of the spec.
fn headline(header: &Value) -> Option<String> {
    header
        .pointer("/results/scores/0/name")
        .or_else(|| header.pointer("/eval/scorers/0/name"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

impl Log {
    fn load(name: String, path: PathBuf, sig: Sig) -> Log {
        let format = if path.extension().is_some_and(|e| e == "json") {
            Format::Json
        } else {
            Format::Eval
        };
        let mut log = Log {
            name,
            path,
            sig,
            format,
            head: Err(String::new()),
            written: 0,
            json: None,
            rows: OnceLock::new(),
        };
        match format {
            Format::Eval => match eval_zip::EvalZip::open(&log.path).and_then(|mut z| z.head()) {
                Ok(h) => {
                    log.head = Ok(h.header);
                    log.written = h.samples_written;
                }
                Err(e) => log.head = Err(e),
            },
            Format::Json => match json::read(&log.path) {
                Ok(j) => {
                    log.head = Ok(j.header.clone());
                    log.written = j.samples.len();
                    log.json = Some(Arc::new(j));
                }
                Err(e) => log.head = Err(e),
            },
        }
        log
    }

    fn rows(&self) -> Result<Arc<Vec<Row>>, String> {
        self.rows
            .get_or_init(|| {
                let header = self.head.as_ref().map_err(Clone::clone)?;
                let head = headline(header);
                let values: Vec<Value> = match (&self.json, self.format) {
                    (Some(j), _) => j
                        .samples
                        .iter()
                        .map(|raw| serde_json::from_str(raw.get()).unwrap_or(Value::Null))
                        .collect(),
                    (None, _) => eval_zip::EvalZip::open(&self.path)?.summaries()?,
                };
                Ok(Arc::new(
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| row(v, i, head.as_deref()))
                        .collect(),
                ))
            })
            .clone()
    }

    /// The entry in the results list.
    fn entry(&self) -> Value {
        let mtime_ms = (self.sig.mtime_ns / 1_000_000) as u64;
        let format = if self.format == Format::Eval {
            "eval"
        } else {
            "json"
        };
        let h = match &self.head {
            Ok(h) => h,
            Err(e) => {
                return json!({
                    "name": self.name, "kind": "inspect", "format": format,
                    "eval_name": self.name.rsplit('/').next().unwrap_or(&self.name),
                    "status": "malformed", "timestamp": null, "mtime_ms": mtime_ms,
                    "total_samples": null, "summary_metrics": {}, "dataset_path": null,
                    "error": e, "size": self.sig.len,
                });
            }
        };
        let eval = h.get("eval").cloned().unwrap_or(Value::Null);
        let s = |p: &str| h.pointer(p).and_then(Value::as_str).map(str::to_string);
        let epochs = h
            .pointer("/eval/config/epochs")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        let dataset_n = h
            .pointer("/eval/dataset/sample_ids")
            .and_then(Value::as_array)
            .map(|a| a.len() as u64)
            .or_else(|| h.pointer("/eval/dataset/samples").and_then(Value::as_u64));
        let total = h
            .pointer("/results/total_samples")
            .and_then(Value::as_u64)
            .or(dataset_n.map(|n| n * epochs));
        let mut metrics = Map::new();
        let mut scorers = Vec::new();
        for sc in h
            .pointer("/results/scores")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = id_text(sc.get("name"));
            let mut m = Map::new();
            for (k, v) in sc
                .get("metrics")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(x) = v.get("value").filter(|x| x.is_number()) {
                    metrics.insert(format!("{name}/{k}"), x.clone());
                    m.insert(k.clone(), x.clone());
                }
            }
            scorers.push(json!({"name": name, "metrics": m}));
        }
        let status = s("/status").unwrap_or_else(|| "started".into());
        json!({
            "name": self.name,
            "kind": "inspect",
            "format": format,
            "eval_name": eval.get("task").map(|t| id_text(Some(t))).unwrap_or_default(),
            "task": eval.get("task"),
            "task_file": eval.get("task_file"),
            "model": eval.get("model"),
            "status": status,
            "timestamp": eval.get("created"),
            "mtime_ms": mtime_ms,
            "total_samples": total,
            "done_samples": self.written,
            "epochs": epochs,
            "summary_metrics": metrics,
            "scorers": scorers,
            "dataset_path": eval.pointer("/dataset/name").or_else(|| eval.pointer("/dataset/location")),
            "error": h.pointer("/error/message").filter(|e| !e.is_null()),
            "started_at": h.pointer("/stats/started_at"),
            "completed_at": h.pointer("/stats/completed_at"),
            "model_usage": h.pointer("/stats/model_usage"),
            "size": self.sig.len,
        })
    }

    /// One whole sample as stored.
    fn sample_value(&self, row: &Row) -> Result<Value, String> {
        match &self.json {
            Some(j) => {
                let raw = j
                    .samples
                    .get(row.index)
                    .ok_or_else(|| "the sample is gone from the log".to_string())?;
                serde_json::from_str(raw.get()).map_err(|e| e.to_string())
            }
            None => eval_zip::EvalZip::open(&self.path)?.sample(&row.sample_id, row.epoch),
        }
    }
}

impl Inspect {
    /// `logs_dir`: the Inspect log folder; `results_dir`: searched at its
    /// top only. Both named by their path from `project`.
    pub fn new(project: &Path, logs_dir: &Path, results_dir: &Path) -> Inspect {
        let label = |dir: &Path, fallback: &str| match dir.strip_prefix(project) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
            _ => fallback.to_string(),
        };
        let mut roots = vec![Root {
            label: label(logs_dir, "inspect_logs"),
            dir: logs_dir.to_path_buf(),
            deep: true,
        }];
        if results_dir != logs_dir {
            roots.push(Root {
                label: label(results_dir, "results"),
                dir: results_dir.to_path_buf(),
                deep: false,
            });
        }
        Inspect {
            roots,
            logs: Mutex::new(HashMap::new()),
            warming: Arc::default(),
        }
    }

    /// True for names of Inspect logs: only they hold a `/`.
    pub fn owns(name: &str) -> bool {
        name.contains('/')
    }

    /// Every Inspect log file, in name order; one that cannot be served
    /// (a link out of its folder, a name that is not UTF-8) with the reason.
    fn find(&self) -> Vec<Found> {
        let mut out = Vec::new();
        for root in &self.roots {
            for (path, is_file) in files_of(root) {
                let Ok(rel_os) = path.strip_prefix(&root.dir) else {
                    continue;
                };
                let shown = rel_os.to_string_lossy();
                let is_json = shown.ends_with(".json") && !shown.ends_with("logs.json");
                // The name first: `results/` holds thousands of folders, each
                // a stat to tell it from a file.
                if !(shown.ends_with(".eval") || is_json) {
                    continue;
                }
                if !is_file && !path.is_file() {
                    continue;
                }
                let name = format!("{}/{shown}", root.label);
                let problem = match rel_os.to_str() {
                    None => Some("the file name is not valid UTF-8: rename it to open it".into()),
                    Some(rel) if crate::names::resolve_existing(&root.dir, rel).is_err() => {
                        Some(format!("a link out of {}/: never read", root.label))
                    }
                    Some(_) => None,
                };
                // Only a file inside the folder is read to tell what it is.
                if problem.is_none() && is_json && !json::looks_like_log(&path) {
                    continue;
                }
                out.push(Found {
                    name,
                    path,
                    problem,
                });
            }
        }
        out
    }

    /// The file of log `name`, which must lie in one of the roots.
    fn resolve(&self, name: &str) -> ApiResult<PathBuf> {
        let missing = || ApiError::NotFound(format!("no Inspect log {name:?}"));
        for root in &self.roots {
            let Some(rel) = name
                .strip_prefix(root.label.as_str())
                .and_then(|r| r.strip_prefix('/'))
            else {
                continue;
            };
            if !(rel.ends_with(".eval") || rel.ends_with(".json"))
                || (!root.deep && rel.contains('/'))
            {
                continue;
            }
            let path = crate::names::resolve_existing(&root.dir, rel).map_err(|_| missing())?;
            if path.is_file() {
                return Ok(path);
            }
        }
        Err(missing())
    }

    /// The log, read again if its file changed.
    fn log(&self, name: &str, path: PathBuf) -> Option<Arc<Log>> {
        let now = sig(&path)?;
        if let Some(l) = self
            .logs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&path)
            .filter(|l| l.sig == now && l.name == name)
        {
            return Some(l.clone());
        }
        let log = Arc::new(Log::load(name.to_string(), path.clone(), now));
        self.logs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path, log.clone());
        Some(log)
    }

    fn open(&self, name: &str) -> ApiResult<Arc<Log>> {
        let path = self.resolve(name)?;
        self.log(name, path)
            .ok_or_else(|| ApiError::NotFound(format!("no Inspect log {name:?}")))
    }

    /// List entries of every log (unreadable ones with their `error`).
    pub fn list(&self) -> Vec<Value> {
        let found = self.find();
        let entries: Vec<Value> = found
            .iter()
            .filter_map(|f| match &f.problem {
                Some(p) => Some(json!({
                    "name": f.name, "kind": "inspect", "eval_name": f.name, "status": "malformed",
                    "timestamp": null, "mtime_ms": 0, "total_samples": null, "summary_metrics": {},
                    "dataset_path": null, "error": p,
                })),
                None => self.log(&f.name, f.path.clone()).map(|l| l.entry()),
            })
            .collect();
        // Forget logs that are gone.
        let keep: std::collections::HashSet<&PathBuf> = found.iter().map(|f| &f.path).collect();
        self.logs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|p, _| keep.contains(p));
        self.warm_newest();
        entries
    }

    /// Reads the sample tables of the newest few logs on a thread of its
    /// own: a 1,000-sample log's summaries take ~80 ms to read, better spent
    /// while the user looks at the list than after the click.
    fn warm_newest(&self) {
        use std::sync::atomic::Ordering;
        let mut cold: Vec<Arc<Log>> = self
            .logs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            // A log still being written changes under us: read when asked.
            .filter(|l| {
                l.head
                    .as_ref()
                    .is_ok_and(|h| h.get("status").and_then(Value::as_str) != Some("started"))
            })
            .cloned()
            .collect();
        cold.sort_by_key(|l| std::cmp::Reverse(l.sig.mtime_ns));
        cold.truncate(WARM_NEWEST);
        cold.retain(|l| l.rows.get().is_none());
        if cold.is_empty() || self.warming.swap(true, Ordering::AcqRel) {
            return;
        }
        let warming = self.warming.clone();
        let spawned = std::thread::Builder::new()
            .name("inspect-warm".into())
            .spawn(move || {
                for log in cold {
                    let _ = log.rows();
                }
                warming.store(false, Ordering::Release);
            });
        if spawned.is_err() {
            self.warming.store(false, Ordering::Release);
        }
    }

    /// Changes whenever a log appears, goes, or is written.
    pub fn fingerprint(&self, h: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        for f in self.find() {
            f.name.hash(h);
            f.problem.hash(h);
            if f.problem.is_none() {
                sig(&f.path).hash(h);
            }
        }
    }

    /// `{summary, report}`: the list entry, and the header without its
    /// sample-sized parts.
    pub fn summary(&self, name: &str) -> ApiResult<(Value, Option<Value>)> {
        let log = self.open(name)?;
        let report = log.head.as_ref().ok().map(|h| {
            json!({ "eval": h.get("eval"), "plan": h.get("plan"), "results": h.get("results"), "stats": h.get("stats"), "error": h.get("error") })
        });
        Ok((log.entry(), report))
    }

    fn rows(&self, log: &Log) -> ApiResult<Arc<Vec<Row>>> {
        log.rows().map_err(|e| {
            ApiError::BadRequest(format!("cannot read the samples of {}: {e}", log.name))
        })
    }

    /// Positions of the rows that pass the query, in its order.
    fn select(&self, log: &Log, rows: &[Row], q: &SampleQuery) -> ApiResult<Vec<usize>> {
        let mut known = FieldSet {
            names: ROW_FIELDS.iter().map(|s| s.to_string()).collect(),
            open: vec!["scores"],
        };
        known.names.extend(scorer_names(rows));
        let expr = q.filter(&known, &["error"])?;
        let needle =
            q.q.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.to_ascii_lowercase());
        let mut hits: Vec<&Row> = rows
            .iter()
            .filter(|r| expr.as_ref().is_none_or(|f| f.matches(r)))
            .collect();
        if let Some(n) = needle {
            // The row's own text first; then the whole sample, read one
            // entry at a time.
            let mut zip = match log.format {
                Format::Eval => eval_zip::EvalZip::open(&log.path).ok(),
                Format::Json => None,
            };
            let mut search = super::samples::TextSearch::new(n.as_bytes());
            hits.retain(|r| {
                let own = serde_json::to_string(r)
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if own.contains(&n) {
                    return true;
                }
                match (&mut zip, &log.json) {
                    (Some(z), _) => z.entry_contains(&r.sample_id, r.epoch, &mut search),
                    (None, Some(j)) => j
                        .samples
                        .get(r.index)
                        .is_some_and(|raw| search.in_reader(raw.get().as_bytes())),
                    _ => false,
                }
            });
        }
        super::sort_rows(
            &mut hits,
            q.sort.as_deref(),
            |key| -> Option<super::Order<&Row>> {
                Some(match key {
                    "id" => Box::new(|a, b| {
                        natural(&a.sample_id, &b.sample_id).then(a.epoch.cmp(&b.epoch))
                    }),
                    "epoch" => Box::new(|a, b| a.epoch.cmp(&b.epoch)),
                    "reward" | "score" => Box::new(|a, b| low(a.reward).total_cmp(&low(b.reward))),
                    "tokens" => Box::new(|a, b| a.tokens.cmp(&b.tokens)),
                    "time" => Box::new(|a, b| low(a.time).total_cmp(&low(b.time))),
                    "status" => Box::new(|a, b| a.status.cmp(&b.status)),
                    "error" => Box::new(|a, b| a.error.is_none().cmp(&b.error.is_none())),
                    "turns" | "messages" => Box::new(|a, b| a.messages.cmp(&b.messages)),
                    k if known.names.contains(k) => super::filter::by_field(k),
                    _ => return None,
                })
            },
        )?;
        Ok(hits.iter().map(|r| r.index).collect())
    }

    pub fn samples(&self, name: &str, q: &SampleQuery) -> ApiResult<Value> {
        let log = self.open(name)?;
        let rows = self.rows(&log)?;
        let hits = self.select(&log, &rows, q)?;
        let limit = q.limit.unwrap_or(100).clamp(1, 1000);
        let total = hits.len();
        let offset = q.offset.unwrap_or(0).min(total);
        let page: Vec<&Row> = hits
            .iter()
            .skip(offset)
            .take(limit)
            .map(|&i| &rows[i])
            .collect();
        let scorers: Vec<String> = {
            let mut seen = Vec::new();
            for r in rows.iter() {
                for k in r.scores.keys() {
                    if !seen.contains(k) {
                        seen.push(k.clone());
                    }
                }
            }
            seen
        };
        Ok(
            json!({ "total": total, "all": rows.len(), "offset": offset, "samples": page, "scorers": scorers, "kind": "inspect" }),
        )
    }

    pub fn sample(&self, name: &str, key: &str, q: &SampleQuery) -> ApiResult<Value> {
        let log = self.open(name)?;
        let rows = self.rows(&log)?;
        let pos = rows
            .iter()
            .position(|r| r.id == key)
            .ok_or_else(|| ApiError::NotFound(format!("no sample {key:?} in {name:?}")))?;
        let order = self.select(&log, &rows, q)?;
        let nav = super::neighbours(order, rows.len(), pos, |i| rows[i].id.clone());
        let row = &rows[pos];
        let mut sample = match log.sample_value(row) {
            Ok(s) => s,
            Err(e) => {
                return Ok(
                    json!({ "id": key, "kind": "inspect", "row": row, "error": e, "messages": [], "transcript": [], "nav": nav }),
                )
            }
        };
        if let Some(att) = sample
            .get_mut("attachments")
            .map(Value::take)
            .and_then(|a| match a {
                Value::Object(o) => Some(o),
                _ => None,
            })
        {
            for k in [
                "messages", "events", "input", "output", "scores", "metadata", "error",
            ] {
                if let Some(v) = sample.get_mut(k) {
                    transcript::resolve_attachments(v, &att);
                }
            }
        }
        let messages: Vec<Value> = sample
            .get("messages")
            .and_then(Value::as_array)
            .map(|m| m.iter().map(transcript::message).collect())
            .unwrap_or_default();
        let (items, kinds) = transcript::transcript(&sample);
        // What the aside shows; the rest (messages, events, store) is above.
        let keep = [
            "id",
            "epoch",
            "target",
            "scores",
            "metadata",
            "model_usage",
            "started_at",
            "completed_at",
            "total_time",
            "working_time",
            "error",
            "limit",
            "error_retries",
            "uuid",
        ];
        let aside: Map<String, Value> = sample
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| keep.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(json!({
            "id": key,
            "kind": "inspect",
            "row": row,
            "sample": aside,
            "messages": messages,
            "transcript": items,
            "kinds": kinds,
            "nav": nav,
        }))
    }

    /// The histogram of the headline score (or of `of`: another scorer,
    /// tokens, time) and the rows' statuses, in the shape of a rollouts
    /// result's distribution.
    pub fn distribution(&self, name: &str, of: Option<&str>) -> ApiResult<Value> {
        let log = self.open(name)?;
        let rows = self.rows(&log)?;
        let mut numbers: Vec<String> = ["reward", "tokens", "time", "working_time", "messages"]
            .map(String::from)
            .into();
        numbers.extend(scorer_names(&rows));
        let of = super::histogram_of(of, &numbers)?;
        let path = [of.to_string()];
        Ok(super::distribution(
            rows.iter().map(|r| super::SampleFacts {
                value: r.field(&path).as_ref().and_then(score_number),
                status: &r.status,
                error: r.error.is_some(),
            }),
            of,
            &numbers,
        ))
    }

    /// Two logs sample by sample (same id and epoch): every scorer's value
    /// on each side, the headline score's delta; changed ones first.
    pub fn compare(&self, a: &str, b: &str) -> ApiResult<Value> {
        let (la, lb) = (self.open(a)?, self.open(b)?);
        let (ra, rb) = (self.rows(&la)?, self.rows(&lb)?);
        let by_id: HashMap<&str, &Row> = rb.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut seen = std::collections::HashSet::new();
        let mut pairs = Vec::new();
        let pair = |id: &str, x: Option<&Row>, y: Option<&Row>| {
            let (va, vb) = (x.and_then(|r| r.reward), y.and_then(|r| r.reward));
            let vals = |r: Option<&Row>| {
                r.map(|r| {
                    r.scores
                        .iter()
                        .map(|(k, s)| (k.clone(), s.get("value").cloned().unwrap_or(Value::Null)))
                        .collect::<Map<String, Value>>()
                })
            };
            let (sa, sb) = (vals(x), vals(y));
            let changed = va != vb || sa != sb || x.map(|r| &r.error) != y.map(|r| &r.error);
            json!({
                "id": id, "a": va, "b": vb, "delta": va.zip(vb).map(|(p, q)| q - p),
                "changed": changed, "scores_a": sa, "scores_b": sb,
                "error_a": x.and_then(|r| r.error.clone()), "error_b": y.and_then(|r| r.error.clone()),
            })
        };
        for r in ra.iter() {
            seen.insert(r.id.as_str());
            pairs.push(pair(&r.id, Some(r), by_id.get(r.id.as_str()).copied()));
        }
        for r in rb.iter().filter(|r| !seen.contains(r.id.as_str())) {
            pairs.push(pair(&r.id, None, Some(r)));
        }
        pairs.sort_by_key(|p| !p["changed"].as_bool().unwrap_or(false));
        let changed = pairs.iter().filter(|p| p["changed"] == true).count();
        let (ea, eb) = (la.entry(), lb.entry());
        let same_task = ea["task"].is_string() && ea["task"] == eb["task"];
        let same_dataset = same_task && ea["dataset_path"] == eb["dataset_path"];
        Ok(
            json!({ "a": ea, "b": eb, "kind": "inspect", "same_task": same_task, "same_dataset": same_dataset, "changed": changed, "pairs": pairs }),
        )
    }

    /// Removes the log file (a link: the link only).
    pub fn delete(&self, name: &str) -> ApiResult<()> {
        // Checked as any other request (inside a root, an Inspect log);
        // then the name itself is removed, not what a link points to.
        self.resolve(name)?;
        for root in &self.roots {
            if let Some(rel) = name.strip_prefix(&format!("{}/", root.label)) {
                let own = root.dir.join(rel);
                if own.exists() || own.is_symlink() {
                    std::fs::remove_file(&own)?;
                    return Ok(());
                }
            }
        }
        Err(ApiError::NotFound(format!("no Inspect log {name:?}")))
    }
}

/// Orders `q2` before `q10`: digit runs compare as numbers.
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let mut n = String::new();
                let mut m = String::new();
                while let Some(c) = x.peek().copied().filter(char::is_ascii_digit) {
                    n.push(c);
                    x.next();
                }
                while let Some(d) = y.peek().copied().filter(char::is_ascii_digit) {
                    m.push(d);
                    y.next();
                }
                let o = n
                    .trim_start_matches('0')
                    .len()
                    .cmp(&m.trim_start_matches('0').len())
                    .then_with(|| n.trim_start_matches('0').cmp(m.trim_start_matches('0')));
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(&d);
                }
                x.next();
                y.next();
            }
        }
    }
}

/// The entries of a root that may be logs, in name order, with whether the
/// directory listing already says each is a file; names starting with "."
/// are left out, at any depth (at the top of `results/`, so is any name
/// that is not `.eval` or `.json`). The top of `results/` is read alone: walkdir
/// opens and reads every sub-folder even at its depth limit, and there each
/// is a result folder (thousands of them).
fn files_of(root: &Root) -> Vec<(PathBuf, bool)> {
    if !root.deep {
        let mut out: Vec<(PathBuf, bool)> = std::fs::read_dir(&root.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.as_encoded_bytes();
                // Only these can be logs: the folders beside them are skipped unseen.
                (name.ends_with(b".eval") || name.ends_with(b".json")) && !name.starts_with(b".")
            })
            .map(|e| (e.path(), e.file_type().is_ok_and(|t| t.is_file())))
            .collect();
        out.sort_by(|a, b| a.0.file_name().cmp(&b.0.file_name()));
        return out;
    }
    walkdir::WalkDir::new(&root.dir)
        .min_depth(1)
        .max_depth(MAX_DEPTH)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !e.file_name().as_encoded_bytes().starts_with(b"."))
        .flatten()
        .map(|e| {
            let is_file = e.file_type().is_file();
            (e.into_path(), is_file)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_read_as_inspect_reads_them() {
        assert_eq!(score_number(&json!("C")), Some(1.0));
        assert_eq!(score_number(&json!("I")), Some(0.0));
        assert_eq!(score_number(&json!("P")), Some(0.5));
        assert_eq!(score_number(&json!(true)), Some(1.0));
        assert_eq!(score_number(&json!(0.25)), Some(0.25));
        assert_eq!(score_number(&json!({"a": 1})), None);
        assert_eq!(natural("q2", "q10"), std::cmp::Ordering::Less);
    }
}
