//! The HTTP API: [`app`] builds the axum router over an [`AppState`], [`serve`] runs it.
//!
//! # Layout
//! - `mod.rs`: [`AppState`], [`app`] and [`serve`].
//! - [`error`]: [`ApiError`], every failure as a status and `{"error": {"code", "message"}}`.
//! - [`health`]: `GET /healthz`, `GET /readyz`.
//! - [`metrics`]: [`Metrics`] (the Prometheus registry), `GET /metrics` and the
//!   middleware that counts requests by route template.
//! - [`models`]: `GET /v1/models`, `GET /v1/models/{name}` (parameters, ETag/304).
//! - [`profile`]: `GET /v1/workers/{worker_id}/profile`: a worker's ability profile from
//!   the `ability_profile` model (ETag/304; 404 unknown worker, 503 model not yet there).
//! - [`ingest`]: `POST /v1/ingest/{table}`: pushed rows decoded by the `http` connector
//!   of `skillbrain_connectors`, each bad row reported; the 413 and 415 answers.
//! - [`live`]: `GET /v1/competitions/{id}/leaderboard` and `…/stream` (SSE), from
//!   [`crate::live::Boards`].
//! - [`rows`]: filtering, ordering and paging a model's rows; JSON, CSV and Arrow encodings.
//! - [`openapi`]: `GET /openapi.json`.
//! - `tests/`: the router tested in-process, and once over TCP.

pub mod error;
pub mod health;
pub mod ingest;
pub mod live;
pub mod metrics;
pub mod models;
pub mod openapi;
pub mod profile;
pub mod rows;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::middleware;

pub use error::{ApiError, ApiResult};
pub use metrics::Metrics;

use crate::ingest::IngestService;
use crate::store::ModelStore;

/// What every handler shares; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The models being served.
    pub store: Arc<ModelStore>,
    /// The Prometheus registry.
    pub metrics: Arc<Metrics>,
    /// Set once the engine has loaded its models; `/readyz` answers 503 until then.
    pub ready: Arc<AtomicBool>,
    /// Lands pushed rows; `POST /v1/ingest/{table}` answers 503 without it.
    pub ingest: Option<Arc<IngestService>>,
    /// The live competition leaderboards; `/v1/competitions/…` answers 503 without them.
    pub live: Option<Arc<crate::live::Boards>>,
}

impl AppState {
    /// An empty store, fresh metrics, not ready, no ingest, no live leaderboards.
    pub fn new() -> Self {
        Self {
            store: Arc::new(ModelStore::new()),
            metrics: Arc::new(Metrics::new()),
            ready: Arc::new(AtomicBool::new(false)),
            ingest: None,
            live: None,
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

/// The API router: every route, JSON 404/405 fallbacks and the metrics middleware.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(openapi::router())
        .nest(
            "/v1",
            models::router()
                .merge(profile::router())
                .merge(ingest::router())
                .merge(live::router()),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Serves [`app`] on `listener` until `shutdown` completes, then drains open requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving the HTTP API");
    }
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
