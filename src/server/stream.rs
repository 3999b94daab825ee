//! Server-Sent Events: a run's records (`GET /api/runs/{id}/stream`) and
//! project-wide change notices (`GET /api/events`). Each viewer has its own
//! task and its own file cursor and hands the body at most a few chunks
//! ahead: a viewer that stops reading stops its own task and nobody else's,
//! and server memory does not grow with the size of the output.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::log_watch::LogWatchers;
use crate::runs::Runs;

const HEARTBEAT: Duration = Duration::from_secs(15);
/// A safety net: viewers look at the file this often even without a notice.
const RECHECK: Duration = Duration::from_secs(1);
const CHUNK: usize = 64 * 1024;

type Tx = mpsc::Sender<Result<Bytes, Infallible>>;

fn sse_response(rx: mpsc::Receiver<Result<Bytes, Infallible>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(ReceiverStream::new(rx)),
    )
        .into_response()
}

fn data_event(json: &serde_json::Value) -> Bytes {
    Bytes::from(format!("data: {json}\n\n"))
}

/// How records are put into events.
#[derive(Clone, Copy)]
pub struct Shape {
    /// One event per read of many records.
    pub batch: bool,
    /// Output events also carry `line`, the text (the prototype's page).
    pub seed_line: bool,
}

/// Streams the records of run `id` after seq `after`, then live ones, then
/// `complete` once the run has ended. With `batch`, each event carries every
/// record read at once (`{"type":"batch","records":[...]}`, `id:` the last
/// seq): a browser's EventSource handles far fewer, bigger events much faster
/// than a million small ones.
pub fn run_stream(
    runs: Arc<Runs>,
    watchers: LogWatchers,
    id: String,
    after: u64,
    shape: Shape,
) -> Response {
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        if let Err(e) = produce(runs, watchers, id, after, shape, &tx).await {
            tracing::warn!("stream ended: {e:#}");
            let msg = serde_json::json!({"type": "error", "message": format!("{e:#}")});
            let _ = tx.send(Ok(data_event(&msg))).await;
        }
    });
    sse_response(rx)
}

async fn produce(
    runs: Arc<Runs>,
    watchers: LogWatchers,
    id: String,
    after: u64,
    shape: Shape,
    tx: &Tx,
) -> anyhow::Result<()> {
    let batch = shape.batch;
    let folder = runs.folder(&id);
    let sub = watchers.subscribe(&folder.dir);
    let mut changes = sub.rx.clone();
    let run = runs.get(&id).map_err(|e| anyhow::anyhow!("{e}"))?;
    let status = serde_json::json!({"type": "status", "run": run});
    if tx.send(Ok(data_event(&status))).await.is_err() {
        return Ok(());
    }
    let index = runs.log_index(&id);
    let mut cursor = crate::log::Cursor::after(&folder.log_path(), &index, after)?;
    let mut last_sent = Instant::now();
    let mut ended = false;
    loop {
        let mut out = Vec::new();
        let mut last = 0;
        let read = cursor.read(CHUNK, |s, raw| {
            use std::io::Write;
            if !batch {
                let _ = write!(out, "id: {s}\ndata: ");
                match shape.seed_line.then(|| with_line(raw)).flatten() {
                    Some(v) => out.extend_from_slice(&v),
                    None => out.extend_from_slice(raw),
                }
                out.extend_from_slice(b"\n\n");
            } else {
                out.extend_from_slice(if last == 0 {
                    b"data: {\"type\":\"batch\",\"records\":["
                } else {
                    b","
                });
                out.extend_from_slice(raw);
                last = s;
            }
            true
        })?;
        if last > 0 {
            use std::io::Write;
            let _ = write!(out, "]}}\nid: {last}\n\n");
        }
        if !out.is_empty() {
            if tx.send(Ok(Bytes::from(out))).await.is_err() {
                return Ok(());
            }
            last_sent = Instant::now();
            continue;
        }
        if read > 0 {
            continue;
        }
        if ended {
            let exit = folder.read_exit().unwrap_or_default();
            let (r, run_id) = (runs.clone(), id.clone());
            let run = tokio::task::spawn_blocking(move || r.get(&run_id).ok())
                .await
                .ok()
                .flatten();
            let complete = crate::api::Complete {
                exit_code: exit.exit_code,
                signal: exit.signal,
                status: exit.status(),
                run,
            };
            let mut v = serde_json::to_value(&complete)?;
            v["type"] = "complete".into();
            let _ = tx.send(Ok(data_event(&v))).await;
            return Ok(());
        }
        if !folder.dir.exists() {
            anyhow::bail!("run {id} was deleted");
        }
        if folder.has_exit() {
            // The supervisor writes exit.json after its last record: read once
            // more, then finish.
            ended = true;
            continue;
        }
        if last_sent.elapsed() >= HEARTBEAT {
            if tx
                .send(Ok(Bytes::from_static(b": keepalive\n\n")))
                .await
                .is_err()
            {
                return Ok(());
            }
            last_sent = Instant::now();
        }
        tokio::select! {
            _ = changes.changed() => {}
            _ = tokio::time::sleep(RECHECK) => {}
            _ = tx.closed() => return Ok(()),
        }
    }
}

/// An output record with `line` added beside `text`; `None` for records
/// without text (events), which pass through unchanged.
fn with_line(raw: &[u8]) -> Option<Vec<u8>> {
    let mut v: serde_json::Value = serde_json::from_slice(raw).ok()?;
    let text = v.get("text")?.clone();
    v.as_object_mut()?.insert("line".into(), text);
    serde_json::to_vec(&v).ok()
}

/// Project-wide change notices. A viewer that fell too far behind gets
/// `resync` and should re-read what it shows.
pub fn project_events(bus: &crate::bus::Bus) -> Response {
    let mut sub = bus.subscribe();
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        if tx
            .send(Ok(Bytes::from_static(b": connected\n\n")))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let chunk = tokio::select! {
                msg = sub.recv() => match msg {
                    Ok(text) => Bytes::from(format!("data: {text}\n\n")),
                    Err(broadcast::error::RecvError::Lagged(_)) => Bytes::from_static(b"data: {\"type\":\"resync\"}\n\n"),
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tokio::time::sleep(HEARTBEAT) => Bytes::from_static(b": keepalive\n\n"),
                _ = tx.closed() => return,
            };
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
    });
    sse_response(rx)
}
