//! Run routes: launch (seed shape), list, get, stop, delete, log download and
//! paging, and the live stream.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, ApiJson, AppState};
use crate::api::{LaunchReply, LaunchRequest, RunsReply};
use crate::error::{ApiError, ApiResult};
use crate::names::check_run_id;

pub async fn launch(
    State(app): State<AppState>,
    ApiJson(req): ApiJson<LaunchRequest>,
) -> ApiResult<Json<LaunchReply>> {
    let (runs, settings) = (app.runs.clone(), app.settings.clone());
    let run = blocking(move || {
        crate::names::check_relative(&req.config_name)?;
        let name = crate::configs::resolve_name(&settings, &req.config_name)?;
        // An invalid config is refused before anything starts.
        if let Ok(file) = crate::configs::read(&settings, &name) {
            let check = crate::configs::validate(&settings, &name, &file.content);
            if let Some(p) = check.problems.first() {
                let at = match (p.line, p.column) {
                    (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
                    (Some(l), None) => format!(" (line {l})"),
                    _ => String::new(),
                };
                return Err(ApiError::BadRequest(format!(
                    "{name} is not valid{at}: {}",
                    p.message
                )));
            }
        }
        runs.launch(&name, req.target.as_deref())
    })
    .await?;
    Ok(Json(LaunchReply {
        success: true,
        run_id: run.run_id.clone(),
        command: crate::supervisor::display_command(&run.command),
        status: run.status,
        run,
    }))
}

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<usize>,
}

pub async fn list(
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<RunsReply>> {
    let runs = app.runs.list(q.limit.unwrap_or(500).min(10_000))?;
    Ok(Json(RunsReply { runs }))
}

pub async fn get(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(
        serde_json::to_value(app.runs.get(&id)?).map_err(anyhow::Error::from)?,
    ))
}

pub async fn stop(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(
        serde_json::to_value(app.runs.stop(&id)?).map_err(anyhow::Error::from)?,
    ))
}

pub async fn delete(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    app.runs.delete(&id)?;
    Ok(Json(json!({ "deleted": true, "run_id": id })))
}

#[derive(Deserialize)]
pub struct StreamQuery {
    after: Option<u64>,
    /// `1` or `true`: one event per read of many records (see `stream::run_stream`).
    batch: Option<String>,
}

pub async fn stream(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    open_stream(app, id, q, headers, false)
}

/// The prototype's route: the same stream, whose output events also carry
/// `line` (the text), since the prototype's page reads `data.line`.
pub async fn seed_stream(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    open_stream(app, id, q, headers, true)
}

fn open_stream(
    app: AppState,
    id: String,
    q: StreamQuery,
    headers: HeaderMap,
    seed_line: bool,
) -> ApiResult<Response> {
    app.runs.get(&id)?;
    // EventSource resends the URL it started with, so its header wins.
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim().parse::<u64>().map_err(|_| {
                ApiError::BadRequest(format!("Last-Event-ID {v:?} is not a record number"))
            })
        })
        .transpose()?;
    let after = last_event_id.or(q.after).unwrap_or(0);
    Ok(super::stream::run_stream(
        app.runs.clone(),
        app.watchers.clone(),
        id,
        after,
        super::stream::Shape {
            batch: matches!(q.batch.as_deref(), Some("1" | "true")),
            seed_line,
        },
    ))
}

#[derive(Deserialize)]
pub struct LogQuery {
    format: Option<String>,
    after: Option<u64>,
    limit: Option<usize>,
}

pub async fn log(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LogQuery>,
    req: axum::extract::Request,
) -> ApiResult<Response> {
    check_run_id(&id)?;
    let run = app.runs.get(&id)?;
    match q.format.as_deref() {
        None | Some("text") | Some("raw") => {
            let (style, kind) = if q.format.as_deref() == Some("raw") {
                (crate::log::TextStyle::Raw, "raw")
            } else {
                (crate::log::TextStyle::Plain, "text")
            };
            let disposition = format!(
                "attachment; filename=\"{}-{}.log\"",
                sanitize(&run.config_name),
                id
            );
            let folder = app.runs.folder(&id);
            if folder.has_exit() {
                // A finished log never changes: made into a file once, it is
                // served with `Range` and conditional requests.
                let file = folder.dir.join(format!("log.{kind}.txt"));
                let log = folder.log_path();
                let text = file.clone();
                blocking(move || Ok(write_text_file(&log, &text, style)?)).await?;
                let mut resp =
                    tower::ServiceExt::oneshot(tower_http::services::ServeFile::new(file), req)
                        .await
                        .map_err(|e| ApiError::Internal(e.into()))?
                        .into_response();
                if let Ok(v) = header::HeaderValue::from_str(&disposition) {
                    resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
                }
                return Ok(resp);
            }
            let path = folder.log_path();
            // Streamed in chunks as it is produced: a 1 GB log never sits
            // in server memory, and a client that stops reading stops it.
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(2);
            tokio::task::spawn_blocking(move || {
                let mut out = ChunkWriter {
                    tx,
                    buf: Vec::new(),
                };
                let result =
                    crate::log::write_text(&path, &mut out, style).and_then(|_| out.flush_chunk());
                if let Err(e) = result {
                    let _ = out.tx.blocking_send(Err(e));
                }
            });
            let text =
                axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        "text/plain; charset=utf-8".to_string(),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                text,
            )
                .into_response())
        }
        Some("json") => {
            let after = q.after.unwrap_or(0);
            let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
            let runs = app.runs.clone();
            let page = blocking(move || {
                let folder = runs.folder(&id);
                let complete = folder.has_exit();
                let index = runs.log_index(&id);
                Ok(crate::log::json_page(
                    &folder.log_path(),
                    &index,
                    after,
                    limit,
                    complete,
                )?)
            })
            .await?;
            Ok(([(header::CONTENT_TYPE, "application/json")], page).into_response())
        }
        Some(other) => Err(ApiError::BadRequest(format!(
            "unknown format {other:?}; use text, raw or json"
        ))),
    }
}

/// Writes the text of a finished log to `file` once (again only if the log
/// is newer, as after an index rebuild).
fn write_text_file(
    log: &std::path::Path,
    file: &std::path::Path,
    style: crate::log::TextStyle,
) -> anyhow::Result<()> {
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(made), Some(log_time)) = (modified(file), modified(log)) {
        if made >= log_time {
            return Ok(());
        }
    }
    let dir = file.parent().unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".devloop-")
        .suffix(".partial")
        .tempfile_in(dir)?;
    {
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        crate::log::write_text(log, &mut out, style)?;
        std::io::Write::flush(&mut out)?;
    }
    tmp.persist(file)?;
    Ok(())
}

/// An `io::Write` that hands 64 KiB chunks to a response body.
struct ChunkWriter {
    tx: tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChunkWriter {
    fn flush_chunk(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = bytes::Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush_chunk()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
