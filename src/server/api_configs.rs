//! Config routes: list (with each config's last run), read, save with
//! conflict detection, copy, delete, validate, and a run's config snapshot.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, ApiJson, AppState};
use crate::configs;
use crate::error::{ApiError, ApiResult};

pub async fn list(State(app): State<AppState>) -> ApiResult<Json<Value>> {
    let dir = app.settings.configs_dir.clone();
    let mut configs = blocking(move || Ok(configs::list(&dir))).await?;
    let runs = app.runs.list_indexed(10_000)?;
    for c in &mut configs {
        if let Some(run) = runs.iter().find(|r| r.config_name == c.name) {
            c.last_run = Some(json!({
                "run_id": run.run_id, "status": run.status,
                "created_at": run.created_at, "ended_at": run.ended_at, "exit_code": run.exit_code,
            }));
        }
    }
    Ok(Json(json!({ "configs": configs })))
}

pub async fn read(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let settings = app.settings.clone();
    let file = blocking(move || configs::read(&settings, &name)).await?;
    let suggested = configs::suggest_name(&app.settings, &file.name);
    let mut v = serde_json::to_value(file).map_err(anyhow::Error::from)?;
    v["suggested_copy_name"] = json!(suggested);
    Ok(Json(v))
}

#[derive(Deserialize)]
pub struct SaveRequest {
    content: String,
    /// The version the editor started from; absent for a new file.
    base_version: Option<String>,
    #[serde(default)]
    force: bool,
}

pub async fn save(
    State(app): State<AppState>,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<SaveRequest>,
) -> ApiResult<Json<Value>> {
    let settings = app.settings.clone();
    let file = blocking(move || {
        configs::save(
            &settings,
            &name,
            &req.content,
            req.base_version.as_deref(),
            req.force,
        )
    })
    .await?;
    written(&app, file)
}

/// Tells every page a config was written, and answers with it.
fn written(app: &AppState, file: configs::ConfigFile) -> ApiResult<Json<Value>> {
    app.bus
        .send(json!({"type": "configs_changed", "name": file.name}));
    Ok(Json(
        serde_json::to_value(file).map_err(anyhow::Error::from)?,
    ))
}

pub async fn delete(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let settings = app.settings.clone();
    let n = name.clone();
    blocking(move || configs::delete(&settings, &n)).await?;
    app.bus
        .send(json!({"type": "configs_changed", "name": name}));
    Ok(Json(json!({ "deleted": true, "name": name })))
}

#[derive(Deserialize)]
pub struct CopyRequest {
    new_name: String,
}

pub async fn copy(
    State(app): State<AppState>,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<CopyRequest>,
) -> ApiResult<Json<Value>> {
    let settings = app.settings.clone();
    let file = blocking(move || configs::copy(&settings, &name, &req.new_name)).await?;
    written(&app, file)
}

#[derive(Deserialize)]
pub struct ValidateRequest {
    name: String,
    /// Unsaved text to check; the file on disk when absent.
    content: Option<String>,
}

pub async fn validate(
    State(app): State<AppState>,
    ApiJson(req): ApiJson<ValidateRequest>,
) -> ApiResult<Json<Value>> {
    crate::names::check_relative(&req.name)?;
    let settings = app.settings.clone();
    let v = blocking(move || {
        let content = match req.content {
            Some(c) => c,
            None => configs::read(&settings, &req.name)?.content,
        };
        Ok(configs::validate(&settings, &req.name, &content))
    })
    .await?;
    Ok(Json(serde_json::to_value(v).map_err(anyhow::Error::from)?))
}

/// The config exactly as the run used it.
pub async fn run_config(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let run = app.runs.get(&id)?;
    let path = app.runs.folder(&id).config_dir().join(&run.config_name);
    let content = std::fs::read_to_string(&path).map_err(|_| {
        ApiError::NotFound(format!(
            "run {id} has no config snapshot (it never started)"
        ))
    })?;
    Ok(Json(
        json!({ "run_id": id, "name": run.config_name, "content": content }),
    ))
}
