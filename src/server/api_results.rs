//! Result routes (the list is in `api_result_list`): one result's
//! summary and reward distribution, pages of samples, one sample ready to
//! read, and the comparison of two results.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, AppState};
use crate::error::ApiResult;
use crate::results::SampleQuery;
use crate::status::{ResultStatus, RunStatus};

/// A result without a report whose events have not changed for this long,
/// and no live run writing it, is shown as `incomplete`.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// Result folder name → (id, status) of the newest run that wrote it.
pub(super) fn run_links(app: &AppState) -> HashMap<String, (String, RunStatus)> {
    let mut links = HashMap::new();
    if let Ok(runs) = app.runs.list_indexed(10_000) {
        for run in runs.into_iter().rev() {
            if let Some(dir) = run.result_dir {
                if let Some(name) = std::path::Path::new(&dir).file_name() {
                    links.insert(
                        name.to_string_lossy().into_owned(),
                        (run.run_id, run.status),
                    );
                }
            }
        }
    }
    links
}

/// `running` only while something can still finish it: its run is active,
/// or (no known run) its events file changed recently.
pub(super) fn live_status(
    app: &AppState,
    summary: &mut crate::results::ResultSummary,
    run: Option<&(String, RunStatus)>,
) {
    if summary.status != ResultStatus::Running {
        return;
    }
    let alive = match run {
        Some((_, status)) => status.is_active(),
        None => std::fs::metadata(app.results.dir.join(&summary.name).join("events.jsonl"))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < STALE_AFTER),
    };
    if !alive {
        summary.status = ResultStatus::Incomplete;
        summary.error = Some("no report.json, and nothing is writing it any more".into());
    }
}

pub async fn get(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    if crate::results::inspect::Inspect::owns(&name) {
        return Ok(Json(super::api_inspect::get(&app, name).await?));
    }
    let results = app.results.clone();
    let n = name.clone();
    let (mut summary, report) = blocking(move || results.summary(&n)).await?;
    let link = run_links(&app).remove(&name);
    live_status(&app, &mut summary, link.as_ref());
    Ok(Json(
        json!({ "summary": summary, "report": report, "run_id": link.map(|(id, _)| id) }),
    ))
}

/// Reads every sample's row once (then cached): asked for separately so the
/// summary and the first page never wait for it.
pub async fn distribution(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<DistributionQuery>,
) -> ApiResult<Json<Value>> {
    let results = app.results.clone();
    Ok(Json(
        blocking(move || results.distribution(&name, q.of.as_deref())).await?,
    ))
}

#[derive(serde::Deserialize)]
pub struct DistributionQuery {
    /// The number to chart: `reward` (the default), a reward component, …
    of: Option<String>,
}

pub async fn samples(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<SampleQuery>,
) -> ApiResult<Json<Value>> {
    let results = app.results.clone();
    Ok(Json(blocking(move || results.samples(&name, &q)).await?))
}

/// What a result's view shows first, in one answer: its summary (as `get`),
/// the distribution charted (`of`) and a page of samples. The view shows
/// once all three are in, and Chromium spends ~6 ms on each request however
/// small (Resource Timing, on a 1 ms answer): one answer is ~7 ms sooner
/// than three. The summary failing fails the answer, with its status; the
/// other parts fail alone, under `errors` with the status and message their
/// own routes give. The distribution reads every sample's row (cached after):
/// when it takes longer than CHART_GRACE beyond the other two, the answer
/// goes without it (`pending: ["distribution"]`) and the page asks for it
/// by its own route: a big result's rows are drawn without waiting for its
/// chart (its tab then shows when the chart comes, or after 150 ms).
pub async fn opening(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(page): Query<SampleQuery>,
    Query(chart): Query<DistributionQuery>,
) -> ApiResult<Json<Value>> {
    let mut chart = tokio::spawn(distribution(
        State(app.clone()),
        Path(name.clone()),
        Query(chart),
    ));
    let (detail, page) = tokio::join!(
        get(State(app.clone()), Path(name.clone())),
        samples(State(app), Path(name), Query(page)),
    );
    let detail = detail?.0;
    let chart = match tokio::time::timeout(CHART_GRACE, &mut chart).await {
        Ok(Ok(chart)) => Some(chart),
        Ok(Err(failed)) => Some(Err(
            anyhow::anyhow!("reading the distribution: {failed}").into()
        )),
        Err(_) => None,
    };
    let pending: &[&str] = if chart.is_none() {
        &["distribution"]
    } else {
        &[]
    };
    let mut out = json!({ "detail": detail, "pending": pending });
    let mut errors = serde_json::Map::new();
    for (key, part) in [("distribution", chart), ("samples", Some(page))] {
        out[key] = match part {
            Some(Ok(Json(v))) => v,
            Some(Err(e)) => {
                let mut told = e.body();
                told["status"] = e.status().as_u16().into();
                errors.insert(key.into(), told);
                Value::Null
            }
            None => Value::Null,
        };
    }
    out["errors"] = Value::Object(errors);
    Ok(Json(out))
}

/// How long `opening` waits for the distribution once the summary and the
/// page are in: a chart slower than that is worth a request of its own
/// rather than holding the rows.
const CHART_GRACE: std::time::Duration = std::time::Duration::from_millis(20);

pub async fn sample(
    State(app): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    Query(q): Query<SampleQuery>,
) -> ApiResult<Json<Value>> {
    let results = app.results.clone();
    Ok(Json(
        blocking(move || results.sample(&name, &id, &q)).await?,
    ))
}

/// Deletes a result folder (a link to one: the link only). Refused while a
/// run that writes it is still going.
pub async fn delete(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    if let Some((id, status)) = run_links(&app).get(&name) {
        if status.is_active() {
            return Err(crate::error::ApiError::Conflict(format!(
                "run {id} is {status} and still writes {name:?}; stop it first"
            )));
        }
    }
    let results = app.results.clone();
    let n = name.clone();
    blocking(move || results.delete(&n)).await?;
    app.bus
        .send(json!({"type": "results_changed", "deleted": name}));
    Ok(Json(json!({ "deleted": true, "name": name })))
}

#[derive(Deserialize)]
pub struct CompareQuery {
    a: String,
    b: String,
}

pub async fn compare(
    State(app): State<AppState>,
    Query(q): Query<CompareQuery>,
) -> ApiResult<Json<Value>> {
    let results = app.results.clone();
    Ok(Json(blocking(move || results.compare(&q.a, &q.b)).await?))
}

pub async fn highlight_css() -> impl IntoResponse {
    static CSS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let css = CSS
        .get_or_init(crate::results::render::highlight_css)
        .clone();
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], css)
}
