//! Server-Sent Events: a run's records (`GET /api/runs/{id}/stream`) and
//! project-wide change notices (`GET /api/events`). Each viewer has its own
//! file cursor, and its body is pulled: the next chunk is read from the log
//! only when the connection asks for it. A viewer that stops reading holds
//! one chunk (about 70 KiB in all) and costs nobody else anything, and server
//! memory does not grow with the size of the output.

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
/// Bytes of log read per chunk. With one chunk waiting in the channel and
/// one in the connection's buffer, a viewer that stops reading holds about
/// two of these.
const CHUNK: usize = 32 * 1024;

fn sse_body(body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        body,
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
///
/// The body is pulled: a chunk is read from the log only when the connection
/// asks for the next one, so a viewer that stops reading holds one chunk in
/// its connection's buffer and nothing else.
pub fn run_stream(
    runs: Arc<Runs>,
    watchers: LogWatchers,
    id: String,
    after: u64,
    shape: Shape,
) -> Response {
    let viewer = Viewer::Starting {
        runs,
        watchers,
        id,
        after,
        shape,
    };
    let body = futures_util::stream::unfold(viewer, |viewer| async move {
        let mut viewer = viewer;
        match viewer.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, Infallible>(chunk), viewer)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("stream ended: {e:#}");
                let msg = serde_json::json!({"type": "error", "message": format!("{e:#}")});
                Some((Ok(data_event(&msg)), Viewer::Done))
            }
        }
    });
    sse_body(Body::from_stream(body))
}

/// One viewer's stream of a run.
enum Viewer {
    Starting {
        runs: Arc<Runs>,
        watchers: LogWatchers,
        id: String,
        after: u64,
        shape: Shape,
    },
    Reading(Box<Reading>),
    Done,
}

struct Reading {
    runs: Arc<Runs>,
    id: String,
    folder: crate::runs::folder::RunFolder,
    shape: Shape,
    /// Kept so the run's folder stays watched while someone views it.
    _sub: super::log_watch::Subscription,
    changes: tokio::sync::watch::Receiver<u64>,
    cursor: crate::log::Cursor,
    last_sent: Instant,
    /// The run has ended: read to the end once more, then `complete`.
    ended: bool,
    /// `complete` was sent.
    done: bool,
}

impl Viewer {
    async fn next_chunk(&mut self) -> anyhow::Result<Option<Bytes>> {
        match std::mem::replace(self, Viewer::Done) {
            Viewer::Done => Ok(None),
            Viewer::Starting {
                runs,
                watchers,
                id,
                after,
                shape,
            } => {
                let folder = runs.folder(&id);
                let sub = watchers.subscribe(&folder.dir);
                let changes = sub.rx.clone();
                let run = runs.get(&id).map_err(|e| anyhow::anyhow!("{e}"))?;
                let index = runs.log_index(&id);
                let cursor = crate::log::Cursor::after(&folder.log_path(), &index, after)?;
                *self = Viewer::Reading(Box::new(Reading {
                    runs,
                    id,
                    folder,
                    shape,
                    _sub: sub,
                    changes,
                    cursor,
                    last_sent: Instant::now(),
                    ended: false,
                    done: false,
                }));
                let status = serde_json::json!({"type": "status", "run": run});
                Ok(Some(data_event(&status)))
            }
            Viewer::Reading(mut r) => {
                let chunk = r.next_chunk().await?;
                if !r.done {
                    *self = Viewer::Reading(r);
                }
                Ok(chunk)
            }
        }
    }
}

impl Reading {
    /// The next chunk: records, a keepalive after a quiet while, or, once
    /// the run has ended and everything was read, `complete` (then `done`).
    async fn next_chunk(&mut self) -> anyhow::Result<Option<Bytes>> {
        loop {
            let (out, read) = self.read_chunk()?;
            if !out.is_empty() {
                self.last_sent = Instant::now();
                return Ok(Some(out));
            }
            if read > 0 {
                continue;
            }
            if self.ended {
                self.done = true;
                return Ok(Some(self.complete().await?));
            }
            if !self.folder.dir.exists() {
                anyhow::bail!("run {} was deleted", self.id);
            }
            if self.folder.has_exit() {
                // The supervisor writes exit.json after its last record:
                // read once more, then finish.
                self.ended = true;
                continue;
            }
            let quiet = self.last_sent.elapsed();
            if quiet >= HEARTBEAT {
                self.last_sent = Instant::now();
                return Ok(Some(Bytes::from_static(b": keepalive\n\n")));
            }
            tokio::select! {
                _ = self.changes.changed() => {}
                _ = tokio::time::sleep(RECHECK.min(HEARTBEAT - quiet)) => {}
            }
        }
    }

    /// Reads up to [`CHUNK`] bytes of records into SSE events; also returns
    /// how many bytes were read (more than zero with no event: a line is
    /// still being written).
    fn read_chunk(&mut self) -> anyhow::Result<(Bytes, usize)> {
        let shape = self.shape;
        // Sized for a chunk and its event framing, so it never doubles.
        let mut out = Vec::with_capacity(CHUNK + CHUNK / 4);
        let mut last = 0;
        let read = self.cursor.read(CHUNK, |s, raw| {
            use std::io::Write;
            if !shape.batch {
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
        Ok((Bytes::from(out), read))
    }

    async fn complete(&self) -> anyhow::Result<Bytes> {
        let exit = self.folder.read_exit().unwrap_or_default();
        let (r, run_id) = (self.runs.clone(), self.id.clone());
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
        Ok(data_event(&v))
    }
}

/// An output record with `line` added beside `text`; `None` for records
/// without text (events), which pass through unchanged.
fn with_line(raw: &[u8]) -> Option<Vec<u8>> {
    use serde::Deserialize;
    // Spliced, not parsed and written again: the text's JSON is copied as
    // it stands into a `line` field before the closing brace.
    memchr::memmem::find(raw, b"\"type\":\"stdout\"")?;
    let at = memchr::memmem::find(raw, b"\"text\":")? + 7;
    let mut de = serde_json::Deserializer::from_slice(&raw[at..]);
    let text = <&serde_json::value::RawValue>::deserialize(&mut de).ok()?;
    let body = raw.strip_suffix(b"}")?;
    let mut out = Vec::with_capacity(raw.len() + text.get().len() + 8);
    out.extend_from_slice(body);
    out.extend_from_slice(b",\"line\":");
    out.extend_from_slice(text.get().as_bytes());
    out.push(b'}');
    Some(out)
}

/// Project-wide change notices. The first is `hello` with the bus's count
/// as the feed starts (every later notice is delivered): a viewer whose
/// lists were read at that count has missed nothing. A viewer that fell
/// too far behind gets `resync` and should re-read what it shows.
pub fn project_events(bus: &crate::bus::Bus) -> Response {
    let mut sub = bus.subscribe();
    let hello = serde_json::json!({"type": "hello", "seq": bus.mark()});
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(16);
    tokio::spawn(async move {
        if tx
            .send(Ok(Bytes::from(format!("data: {hello}\n\n"))))
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
    sse_body(Body::from_stream(ReceiverStream::new(rx)))
}
