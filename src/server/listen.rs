//! Accepting connections, so that no client can starve the server: request
//! headers must arrive within [`HEADER_TIMEOUT`], at most
//! [`MAX_CONNECTIONS`] are open at once (past that a client is told so and
//! closed, instead of waiting unanswered), the soft open-file limit is raised
//! to the hard one at start, a failed `accept` (out of file descriptors)
//! backs off instead of spinning, and memory is given back to the system
//! once many connections have closed.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// A client that has not sent a whole request head by then is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// What a connection buffers ahead of its client, at most.
const MAX_BUFFERED: usize = 32 * 1024;
/// Open connections at most (SSE viewers included).
pub const MAX_CONNECTIONS: usize = 8192;

/// Raises the soft limit on open files to the hard limit; returns the new
/// soft limit.
pub fn raise_fd_limit() -> u64 {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => {
            if setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
                hard
            } else {
                soft
            }
        }
        Ok((soft, _)) => soft,
        Err(_) => 0,
    }
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::spawn(give_back_memory(slots.clone()));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => return Ok(()),
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Usually EMFILE: wait for connections to close.
                tracing::warn!("accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            // hyper buffers a body up to `max_buf_size` (400 KiB by default)
            // ahead of a slow client; a stream chunk at a time is plenty.
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .writev(true)
                .max_buf_size(MAX_BUFFERED);
            let _ = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Once connections have closed, returns the memory they used to the
/// system: glibc's malloc keeps freed memory in its arenas (a thousand
/// stalled viewers that left kept ~200 MB resident without this).
async fn give_back_memory(slots: Arc<Semaphore>) {
    let mut open_before = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let open = MAX_CONNECTIONS - slots.available_permits();
        if open + 16 < open_before {
            let _ = tokio::task::spawn_blocking(trim).await;
        }
        open_before = open;
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

/// Tells a client past the connection cap why it is turned away.
async fn refuse(mut stream: TcpStream) {
    let body = format!(
        "{{\"error\":\"the server has {MAX_CONNECTIONS} connections open, its most; try again\"}}"
    );
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(reply.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}
