//! Inspect AI logs in the result routes: their list entries (with the run
//! that wrote each, when devloop launched it) and one log's summary. The
//! samples, sample, distribution and compare routes reach them through
//! `Results`, which hands names holding a `/` to `results::inspect`.

use serde_json::{json, Value};

use super::{blocking, AppState};
use crate::error::ApiResult;
use crate::runs::Run;

/// The run that wrote an Inspect log: one that runs Inspect and was going
/// when the log was created (Inspect's `created`, whole seconds). Of
/// several, the one whose command names the log's task file, else the
/// latest started before it.
fn writer<'a>(runs: &'a [Run], entry: &Value) -> Option<&'a Run> {
    let created = entry
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis() as u64)?;
    let task_file = entry
        .get("task_file")
        .and_then(Value::as_str)
        .and_then(|f| std::path::Path::new(f).file_name())
        .map(|f| f.to_string_lossy().into_owned());
    let candidates: Vec<&Run> = runs
        .iter()
        .filter(|r| r.command.iter().any(|a| a.contains("inspect")))
        .filter(|r| {
            r.started_at.is_some_and(|s| {
                s <= created + 1000 && r.ended_at.is_none_or(|e| created <= e + 1000)
            })
        })
        .collect();
    candidates
        .iter()
        .find(|r| {
            task_file
                .as_ref()
                .is_some_and(|f| r.command.iter().any(|a| a.contains(f.as_str())))
        })
        .or_else(|| candidates.iter().max_by_key(|r| r.started_at))
        .copied()
}

fn link(entry: &mut Value, runs: &[Run]) {
    let run = writer(runs, entry);
    entry["run_id"] = json!(run.map(|r| &r.run_id));
    // A log still "started" whose run has ended will never finish.
    if entry["status"] == "started" {
        if let Some(r) = run.filter(|r| !r.status.is_active()) {
            entry["error"] = json!(format!(
                "the log was left unfinished: its run {} is {}",
                r.run_id, r.status
            ));
        }
    }
}

pub async fn entries(app: &AppState) -> ApiResult<Vec<Value>> {
    let results = app.results.clone();
    let mut list = blocking(move || Ok(results.inspect.list())).await?;
    let runs = app.runs.list_indexed(10_000).unwrap_or_default();
    for e in &mut list {
        link(e, &runs);
    }
    Ok(list)
}

pub async fn get(app: &AppState, name: String) -> ApiResult<Value> {
    let results = app.results.clone();
    let (mut summary, report) = blocking(move || results.inspect.summary(&name)).await?;
    let runs = app.runs.list_indexed(10_000).unwrap_or_default();
    link(&mut summary, &runs);
    let run_id = summary["run_id"].clone();
    Ok(json!({ "summary": summary, "report": report, "run_id": run_id }))
}
