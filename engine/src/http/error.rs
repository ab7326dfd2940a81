//! [`ApiError`]: every failure of the API as a status and a JSON body
//! `{"error": {"code", "message"}}`.

use std::fmt::Display;

use axum::Json;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The result of a handler.
pub type ApiResult<T, E = ApiError> = std::result::Result<T, E>;

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: an unknown parameter, a value out of range (400).
    #[error("{0}")]
    BadRequest(String),
    /// The resource or route does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not for this method (405).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The engine has not finished starting (503).
    #[error("{0}")]
    NotReady(String),
    /// A bug or an environment failure (500). The detail is logged, never answered.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 500 whose `detail` is logged when answered and never shown to the client.
    pub fn internal(detail: impl Display) -> Self {
        Self::Internal(detail.to_string())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::NotReady(_) => "not_ready",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<arrow::error::ArrowError> for ApiError {
    fn from(e: arrow::error::ArrowError) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = match &self {
            Self::Internal(detail) => {
                tracing::error!(error = %detail, "internal error while answering a request");
                "internal server error".to_owned()
            }
            other => other.to_string(),
        };
        let body = json!({ "error": { "code": self.code(), "message": message } });
        (self.status(), Json(body)).into_response()
    }
}

/// The router's fallback: any route that does not exist.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

/// The router's answer to a known route called with the wrong method.
pub async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("method not allowed on {}", uri.path()))
}
