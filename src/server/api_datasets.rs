//! Dataset routes: the list with row counts, and paged previews.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, AppState};
use crate::error::ApiResult;

pub async fn list(State(app): State<AppState>) -> ApiResult<Json<Value>> {
    let (ds, dir) = (app.datasets.clone(), app.settings.datasets_dir.clone());
    let list = blocking(move || Ok(ds.list(&dir))).await?;
    Ok(Json(json!({ "datasets": list })))
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    offset: Option<u64>,
    limit: Option<usize>,
}

pub async fn preview(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<PreviewQuery>,
) -> ApiResult<Json<Value>> {
    let (ds, dir) = (app.datasets.clone(), app.settings.datasets_dir.clone());
    Ok(Json(
        blocking(move || ds.preview(&dir, &name, q.offset.unwrap_or(0), q.limit.unwrap_or(50)))
            .await?,
    ))
}
