//! One result folder's summary, read tolerantly: fields may be missing or
//! extra, files may be half-written. Whatever is wrong is described in
//! `error`; the result is still listed.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fsutil::mtime_ms;
use crate::status::ResultStatus;

/// Largest `report.json` read (a report with a huge `sample_ids` list is
/// still far below this).
const MAX_REPORT: u64 = 64 << 20;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResultSummary {
    pub name: String,
    /// `eval_name`, or the older `config_name`, or the folder name.
    pub eval_name: String,
    /// "complete" (has report.json), "running" (events but no report yet),
    /// "malformed" (something is wrong; see `error`), "empty".
    pub status: ResultStatus,
    pub timestamp: Option<String>,
    pub mtime_ms: u64,
    pub total_samples: Option<u64>,
    pub summary_metrics: serde_json::Map<String, Value>,
    pub dataset_path: Option<String>,
    pub error: Option<String>,
}

/// A signature that changes whenever the files that make the summary change.
pub fn signature(dir: &Path) -> String {
    let stat = |name: &str| {
        std::fs::metadata(dir.join(name))
            .ok()
            .map(|m| format!("{}:{}", mtime_ms(&m), m.len()))
            .unwrap_or_default()
    };
    let dir_mtime = std::fs::metadata(dir).map(|m| mtime_ms(&m)).unwrap_or(0);
    format!(
        "{dir_mtime}|{}|{}",
        stat("report.json"),
        stat("events.jsonl")
    )
}

/// The part of [`signature`] a listed summary depends on: the events file
/// only matters while there is no report, so a finished result costs two
/// stats, not three.
pub fn list_signature(dir: &Path) -> String {
    let dir_mtime = std::fs::metadata(dir).map(|m| mtime_ms(&m)).unwrap_or(0);
    match std::fs::metadata(dir.join("report.json")) {
        Ok(m) => format!("{dir_mtime}|{}:{}", mtime_ms(&m), m.len()),
        Err(_) => {
            let events = std::fs::metadata(dir.join("events.jsonl"))
                .map(|m| format!("{}:{}", mtime_ms(&m), m.len()))
                .unwrap_or_default();
            format!("{dir_mtime}||{events}")
        }
    }
}

/// A folder whose name is not UTF-8 cannot be named in a URL or JSON, so it
/// is listed with what to do instead of being left out.
pub fn unreadable_name(raw: &std::ffi::OsStr) -> ResultSummary {
    let shown = raw.to_string_lossy().into_owned();
    ResultSummary {
        name: shown.clone(),
        eval_name: shown,
        status: ResultStatus::Malformed,
        timestamp: None,
        mtime_ms: 0,
        total_samples: None,
        summary_metrics: Default::default(),
        dataset_path: None,
        error: Some("the folder name is not valid UTF-8: rename it to open it".into()),
    }
}

pub fn read_summary(dir: &Path, name: &str) -> ResultSummary {
    let mut s = ResultSummary {
        name: name.to_string(),
        eval_name: name.to_string(),
        status: ResultStatus::Empty,
        timestamp: None,
        mtime_ms: std::fs::metadata(dir).map(|m| mtime_ms(&m)).unwrap_or(0),
        total_samples: None,
        summary_metrics: Default::default(),
        dataset_path: None,
        error: None,
    };
    let report_path = match crate::names::resolve_existing(dir, "report.json") {
        Ok(p) => p,
        Err(_) if dir.join("report.json").is_symlink() => {
            s.status = ResultStatus::Malformed;
            s.error = Some("report.json points outside the result folder".into());
            return s;
        }
        Err(_) => dir.join("report.json"),
    };
    match read_report(&report_path) {
        Ok(Some(report)) => {
            s.status = ResultStatus::Complete;
            apply_report(&mut s, &report);
        }
        Ok(None) => {
            let has_nothing = std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
            if dir.join("events.jsonl").exists() {
                s.status = ResultStatus::Running;
            } else if has_nothing {
                // A folder a run has just made: nothing wrong with it yet.
            } else if !dir.join("trajectories").is_dir() && !dir.join("samples").is_dir() {
                s.status = ResultStatus::Malformed;
                s.error = Some("no report.json, events.jsonl, trajectories/ or samples/".into());
            }
            if s.status != ResultStatus::Malformed {
                s.total_samples = count_files(&dir.join("trajectories"))
                    .or_else(|| count_files(&dir.join("samples")));
            }
        }
        Err(e) => {
            s.status = ResultStatus::Malformed;
            s.error = Some(e);
        }
    }
    s
}

/// The report as JSON, if it is one and lies inside the result folder.
pub fn report_value(dir: &Path) -> Option<Value> {
    let path = crate::names::resolve_existing(dir, "report.json").ok()?;
    read_report(&path).ok().flatten()
}

fn read_report(path: &Path) -> Result<Option<Value>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("report.json: {e}")),
    };
    if meta.len() == 0 {
        return Err("report.json is empty (0 bytes)".into());
    }
    if meta.len() > MAX_REPORT {
        return Err(format!(
            "report.json is larger than {} MiB",
            MAX_REPORT >> 20
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("report.json: {e}"))?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("report.json is not valid JSON: {e}"))?;
    if !value.is_object() {
        return Err("report.json is not a JSON object".into());
    }
    Ok(Some(value))
}

fn apply_report(s: &mut ResultSummary, r: &Value) {
    if let Some(name) = r
        .get("eval_name")
        .or_else(|| r.get("config_name"))
        .and_then(Value::as_str)
    {
        s.eval_name = name.to_string();
    }
    s.timestamp = r
        .get("timestamp")
        .and_then(Value::as_str)
        .map(str::to_string);
    s.total_samples = r.get("total_samples").and_then(Value::as_u64).or_else(|| {
        r.get("sample_ids")
            .and_then(Value::as_array)
            .map(|a| a.len() as u64)
    });
    s.dataset_path = r
        .get("dataset_path")
        .and_then(Value::as_str)
        .map(str::to_string);
    match r.get("summary_metrics") {
        Some(Value::Object(m)) => {
            s.summary_metrics = m
                .iter()
                .filter(|(_, v)| v.is_number())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
        }
        Some(_) => s.error = Some("summary_metrics is not an object".into()),
        None => {}
    }
}

fn count_files(dir: &Path) -> Option<u64> {
    Some(std::fs::read_dir(dir).ok()?.flatten().count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_reports_are_described_not_fatal() {
        let root = tempfile::tempdir().unwrap();
        let case = |name: &str, report: Option<&[u8]>| {
            let dir = root.path().join(name);
            std::fs::create_dir_all(dir.join("trajectories")).unwrap();
            if let Some(r) = report {
                std::fs::write(dir.join("report.json"), r).unwrap();
            }
            read_summary(&dir, name)
        };
        let ok = case("ok", Some(br#"{"config_name":"old","summary_metrics":{"mean_reward":0.5,"note":"x"},"sample_ids":["a","b"]}"#));
        assert_eq!(
            (ok.status, ok.eval_name.as_str(), ok.total_samples),
            (ResultStatus::Complete, "old", Some(2))
        );
        assert_eq!(ok.summary_metrics.len(), 1);
        let empty = case("zero", Some(b""));
        assert_eq!(empty.status, ResultStatus::Malformed);
        assert!(empty.error.unwrap().contains("0 bytes"));
        let half = case("half", Some(br#"{"eval_name": "x", "summ"#));
        assert!(half.error.unwrap().contains("not valid JSON"));
        let list = case("list", Some(b"[1,2]"));
        assert!(list.error.unwrap().contains("not a JSON object"));
        let none = case("none", None);
        assert_eq!(none.status, ResultStatus::Empty);
    }
}
