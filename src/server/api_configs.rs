//! Config routes: the list the launcher picks from.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

use super::AppState;
use crate::error::ApiResult;

pub const CONFIG_EXTENSIONS: [&str; 5] = ["py", "toml", "yaml", "yml", "json"];

#[derive(Serialize)]
pub struct ConfigEntry {
    name: String,
    ext: String,
    size: u64,
    mtime_ms: u64,
}

pub async fn list(State(app): State<AppState>) -> ApiResult<Json<Value>> {
    let dir = app.runs.settings.configs_dir.clone();
    let configs = tokio::task::spawn_blocking(move || list_configs(&dir))
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    Ok(Json(json!({ "configs": configs })))
}

/// Configs under `dir` (one level of sub-folders), names starting with `_`
/// or `.` hidden, sorted by name.
fn list_configs(dir: &std::path::Path) -> Vec<ConfigEntry> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new(), 0)];
    while let Some((path, prefix, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('_') || name.starts_with('.') {
                continue;
            }
            let rel = format!("{prefix}{name}");
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if depth < 2 {
                    stack.push((entry.path(), format!("{rel}/"), depth + 1));
                }
                continue;
            }
            let ext = name
                .rsplit_once('.')
                .map(|(_, e)| e.to_string())
                .unwrap_or_default();
            if !CONFIG_EXTENSIONS.contains(&ext.as_str())
                || crate::names::check_relative(&rel).is_err()
            {
                continue;
            }
            let mtime_ms = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            out.push(ConfigEntry {
                name: rel,
                ext,
                size: meta.len(),
                mtime_ms,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
