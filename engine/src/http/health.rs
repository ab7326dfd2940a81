//! `GET /healthz` (the process answers) and `GET /readyz` (the engine has loaded its
//! models and may take traffic).

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};

/// The health routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    if state.ready.load(Ordering::Acquire) {
        Ok(Json(json!({ "status": "ready" })))
    } else {
        Err(ApiError::NotReady(
            "the engine is still starting: models are not loaded yet".to_owned(),
        ))
    }
}
