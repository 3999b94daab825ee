//! Whole-log search: `GET /api/runs/{id}/log/search` (see `log::search`).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{blocking, AppState};
use crate::error::{ApiError, ApiResult};
use crate::log::search::{self, Level, SearchError};
use crate::names::check_run_id;

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    regex: Option<String>,
    case: Option<String>,
    level: Option<String>,
    around: Option<u64>,
    offset: Option<usize>,
    limit: Option<usize>,
}

fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("1" | "true" | "on"))
}

/// `{total, index, offset, records, last_seq, complete}`: how many lines
/// match, how many of them come before line `around`, and the records of
/// `limit` (at most 2000) matches from match number `offset`.
pub async fn search(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<SearchParams>,
) -> ApiResult<Response> {
    check_run_id(&id)?;
    app.runs.get(&id)?;
    let level = Level::parse(p.level.as_deref().unwrap_or("")).map_err(ApiError::BadRequest)?;
    let query = search::Query {
        text: p.q,
        regex: flag(&p.regex),
        case_sensitive: flag(&p.case),
        level,
    };
    let runs = app.runs.clone();
    let body = blocking(move || {
        let folder = runs.folder(&id);
        // Whether the run had ended before the search read the log: then
        // the answer is final.
        let complete = folder.has_exit();
        let last_seq = runs.record_count(&id);
        let answer = search::search(
            &folder.log_path(),
            &query,
            p.around,
            p.offset.unwrap_or(0),
            p.limit.unwrap_or(0).min(2000),
        )
        .map_err(|e| match e {
            SearchError::Query(m) => ApiError::BadRequest(m),
            SearchError::Io(e) => ApiError::Internal(e.into()),
        })?;
        let mut out = format!(
            "{{\"total\":{},\"index\":{},\"offset\":{},\"last_seq\":{last_seq},\"complete\":{complete},\"records\":[",
            answer.total,
            answer.index.map_or("null".to_string(), |i| i.to_string()),
            answer.offset,
        )
        .into_bytes();
        for (i, r) in answer.records.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(r);
        }
        out.extend_from_slice(b"]}");
        Ok(out)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
