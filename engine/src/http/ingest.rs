//! `POST /v1/ingest/{table}`: rows pushed as NDJSON, a JSON array of objects or CSV, in
//! the canonical columns of a table. The `http` connector of `skillbrain_connectors`
//! decodes the body (its format from the `Content-Type`, every row checked by the file
//! connector's rules); this route adds what is HTTP: the body limit (413), the
//! `Content-Type` refused before the body is read (415), the answer. A bad row is
//! reported with its line and reason and the good rows land. The answer comes once the
//! rows are committed (shared with concurrent requests by the
//! [`IngestService`](crate::ingest::IngestService)):
//! `{"accepted", "rejected": [{"line", "column", "reason"}], "duplicates", "commit"}`.
//! Rejected rows are also kept in the table's quarantine, their source named
//! `POST /v1/ingest/<table> body <hash of the body>`.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bytes::BytesMut;
use futures::StreamExt;
use serde::Serialize;
use serde_json::json;
use skillbrain_connectors::connector::{Connector, DecodeContext, Decoded};
use skillbrain_connectors::file::{FileReadOptions, RowReject};
use skillbrain_connectors::http::{HttpBody, HttpConfig, HttpConnector, body_format};
use skillbrain_connectors::quarantine::Quarantined;
use skillbrain_connectors::{Error as ConnectorError, Table};

use super::AppState;
use super::error::ApiError;

/// The ingest route (under `/v1`).
pub fn router() -> Router<AppState> {
    Router::new().route("/ingest/{table}", post(ingest))
}

/// The answer to a push.
#[derive(Debug, Serialize)]
struct Answer {
    /// Rows newly stored.
    accepted: u64,
    /// Rows left out, with line and reason.
    rejected: Vec<RowReject>,
    /// Rows already stored (or repeated), stored once.
    duplicates: u64,
    /// The table version holding the rows.
    commit: i64,
}

/// Why a push is not taken: an [`ApiError`], or one of the two statuses only this
/// route answers, in the same JSON shape.
#[derive(Debug)]
enum Refusal {
    /// Any status of [`ApiError`].
    Api(ApiError),
    /// The body is larger than the limit (413).
    TooLarge(usize),
    /// The Content-Type is not one of the body formats (415); says what was wrong.
    Unsupported(String),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Api(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Refusal::Api(e) => return e.into_response(),
            Refusal::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {limit} bytes; split it into several requests"),
            ),
            Refusal::Unsupported(what) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "{what}; send application/x-ndjson (one JSON object per line), \
                     application/json (an array of objects) or text/csv (a header row), in UTF-8"
                ),
            ),
        };
        let body = json!({ "error": { "code": code, "message": message } });
        (status, Json(body)).into_response()
    }
}

impl From<ConnectorError> for Refusal {
    /// An unsupported `Content-Type` is a 415, a body unreadable as a whole a 400, any
    /// other failure a 500.
    fn from(e: ConnectorError) -> Self {
        match e {
            ConnectorError::UnsupportedContentType(what) => Refusal::Unsupported(what),
            ConnectorError::BadFile { .. }
            | ConnectorError::BadRecord { .. }
            | ConnectorError::BadValue { .. } => ApiError::BadRequest(e.to_string()).into(),
            other => ApiError::internal(other).into(),
        }
    }
}

/// The whole body, or a 413 as soon as it passes `limit` bytes.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Refusal> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Refusal::TooLarge(limit));
    }
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("the body could not be read: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(Refusal::TooLarge(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Decodes a body with the `http` connector on a blocking thread: its good rows and
/// its quarantine rows.
async fn decode(table: Table, body: HttpBody, read: FileReadOptions) -> Result<Decoded, Refusal> {
    let config = HttpConfig { table: Some(table) };
    let decoded = tokio::task::spawn_blocking(move || {
        HttpConnector.decode(&config, &DecodeContext::canonical(&read), body)
    })
    .await
    .map_err(|e| ApiError::internal(format!("reading a pushed body failed: {e}")))?;
    Ok(decoded?)
}

/// A quarantined row as the answer reports it: line, column and reason.
fn reported(row: &Quarantined) -> RowReject {
    RowReject {
        line: row.line.unwrap_or(0),
        column: row.column.clone(),
        reason: row.reason.clone(),
        value: row.raw_value.clone(),
    }
}

async fn ingest(
    State(state): State<AppState>,
    Path(table): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Answer>, Refusal> {
    let table: Table = table
        .parse()
        .map_err(|e: ConnectorError| ApiError::NotFound(e.to_string()))?;
    let Some(service) = state.ingest.clone() else {
        let message = "ingest is not available: this server has no lake writer".to_owned();
        return Err(ApiError::NotReady(message).into());
    };
    let content_type = (headers.get(header::CONTENT_TYPE)).map(|v| v.as_bytes().to_vec());
    // Refused before the body is read.
    body_format(content_type.as_deref())?;
    let bytes = read_body(&headers, body, service.options().max_body_bytes).await?;
    let input = HttpBody {
        content_type,
        body: bytes,
    };
    let decoded = decode(table, input, service.options().read_options()).await?;
    // Quarantined before the rows are pushed, so that the answer finds both durable.
    let quarantined = decoded.quarantined.take();
    let batches = decoded.into_rows(table)?;
    let rejected: Vec<RowReject> = quarantined.iter().map(reported).collect();
    service
        .quarantine(table, &quarantined)
        .await
        .map_err(ApiError::internal)?;
    let outcome = service
        .push(table, batches)
        .await
        .map_err(ApiError::internal)?;
    state
        .metrics
        .record_ingest(table.name(), outcome.accepted, outcome.duplicates);
    tracing::debug!(
        table = table.name(),
        accepted = outcome.accepted,
        duplicates = outcome.duplicates,
        rejected = rejected.len(),
        commit = outcome.version,
        "ingest answered"
    );
    Ok(Json(Answer {
        accepted: outcome.accepted,
        rejected,
        duplicates: outcome.duplicates,
        commit: outcome.version,
    }))
}
