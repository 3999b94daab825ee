//! The HTTP server: `router(state)` builds every route behind the security
//! guard; `serve(listener, ...)` runs it on a pre-bound listener until a
//! shutdown signal, closing open streams so an exit never hangs.

mod api_configs;
mod api_datasets;
mod api_inspect;
mod api_log;
mod api_result_list;
mod api_results;
mod api_runs;
mod assets;
mod file_watch;
mod first_paint;
pub mod listen;
mod log_watch;
pub mod security;
mod stream;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, State};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::error::ApiError;
use crate::runs::Runs;
pub use file_watch::watch_files;
pub use log_watch::LogWatchers;
use security::Guard;

/// Largest request body accepted (a config file is the largest thing sent).
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// What handlers share, by role: the project's settings, the change bus,
/// runs, results, datasets, and the watchers that wake log viewers.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<crate::settings::Settings>,
    pub bus: crate::bus::Bus,
    pub runs: Arc<Runs>,
    pub results: Arc<crate::results::Results>,
    pub datasets: Arc<crate::datasets::Datasets>,
    pub watchers: LogWatchers,
    pub ui_dir: Option<PathBuf>,
}

/// `Json` whose rejections use our error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rej: JsonRejection) -> Self {
        if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!("request body is larger than {MAX_BODY} bytes"))
        } else {
            ApiError::BadRequest(rej.body_text())
        }
    }
}

/// Runs file and database work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> crate::error::ApiResult<T> + Send + 'static,
) -> crate::error::ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
}

async fn health(State(app): State<AppState>) -> Json<crate::api::HealthReply> {
    Json(crate::api::HealthReply {
        ok: true,
        version: env!("CARGO_PKG_VERSION").into(),
        project: app.settings.project.clone(),
        configs_dir: app.settings.configs_dir.clone(),
        max_concurrent: app.settings.max_concurrent,
    })
}

/// The targets of `devloop.toml`, each checked now (in parallel).
async fn targets(State(app): State<AppState>) -> crate::error::ApiResult<Json<serde_json::Value>> {
    let targets = app.settings.targets.clone();
    let list = blocking(move || Ok(crate::targets::status::check_all(&targets))).await?;
    Ok(Json(serde_json::json!({ "targets": list })))
}

async fn events(State(app): State<AppState>) -> axum::response::Response {
    stream::project_events(&app.bus)
}

/// Every API answer says how many change notices had been sent when it
/// began (`bus.rs`): the page compares it with its event feed's `hello`.
async fn seq_mark(
    State(app): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mark = app.bus.mark();
    let mut resp = next.run(req).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(&mark) {
        resp.headers_mut().insert(crate::bus::SEQ_HEADER, v);
    }
    resp
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound("no such API route".into())
}

pub fn router(state: AppState, guard: Guard) -> Router {
    let api = Router::new()
        .route("/api/health", get(health))
        .route("/api/configs", get(api_configs::list))
        .route("/api/configs/validate", post(api_configs::validate))
        .route(
            "/api/configs/{*name}",
            get(api_configs::read)
                .put(api_configs::save)
                .post(api_configs::copy)
                .delete(api_configs::delete),
        )
        .route("/api/runs/{id}/config", get(api_configs::run_config))
        .route("/api/datasets", get(api_datasets::list))
        .route("/api/datasets/{name}", get(api_datasets::preview))
        .route("/api/launch", post(api_runs::launch))
        .route("/api/targets", get(targets))
        .route("/api/runs", get(api_runs::list))
        .route(
            "/api/runs/{id}",
            get(api_runs::get).delete(api_runs::delete),
        )
        .route("/api/runs/{id}/stop", post(api_runs::stop))
        .route("/api/runs/{id}/log", get(api_runs::log))
        .route("/api/runs/{id}/log/search", get(api_log::search))
        .route("/api/runs/{id}/stream", get(api_runs::stream))
        .route("/api/stream/{id}", get(api_runs::seed_stream))
        .route("/api/events", get(events))
        .route("/api/results", get(api_result_list::list))
        .route(
            "/api/results/{name}",
            get(api_results::get).delete(api_results::delete),
        )
        .route(
            "/api/results/{name}/distribution",
            get(api_results::distribution),
        )
        .route("/api/results/{name}/opening", get(api_results::opening))
        .route("/api/results/{name}/samples", get(api_results::samples))
        .route("/api/results/{name}/samples/{id}", get(api_results::sample))
        .route("/api/compare", get(api_results::compare))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            seq_mark,
        ));
    Router::new()
        .merge(api)
        .route("/", get(assets::index))
        .route("/highlight.css", get(api_results::highlight_css))
        .route("/assets/{*path}", get(assets::asset))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // gzip or brotli for the page and big JSON (the results list of
        // 20,000 results is 4.75 MB); never for event streams.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(guard),
            security::guard,
        ))
        .layer(axum::middleware::from_fn(assets::security_headers))
        .with_state(state)
}

/// Serves until SIGINT/SIGTERM.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    guard: Guard,
) -> anyhow::Result<()> {
    listen::serve(listener, router(state, guard), shutdown_signal()).await
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down; runs keep going under their supervisors");
    // Open SSE streams never end by themselves: don't wait for them.
    tokio::spawn(async {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        std::process::exit(0);
    });
}
