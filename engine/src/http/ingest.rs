//! `POST /v1/ingest/{table}`: rows pushed as NDJSON, a JSON array of objects or CSV, in
//! the canonical columns of a table. Rows are checked by the file connector's rules; a
//! bad row is reported with its line and reason and the good rows land. The answer
//! comes once the rows are committed (shared with concurrent requests by the
//! [`IngestService`](crate::ingest::IngestService)):
//! `{"accepted", "rejected": [{"line", "column", "reason"}], "duplicates", "commit"}`.
//! Rejected rows are also kept in the table's quarantine, their source named
//! `POST /v1/ingest/<table> body <hash of the body>`.

use arrow::array::RecordBatch;
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
use skillbrain_connectors::file::{
    FileFormat, FileReadOptions, RowReject, read_bytes_collecting, read_json_array_collecting,
};
use skillbrain_connectors::quarantine::Quarantined;
use skillbrain_connectors::{Error as ConnectorError, Table};

use super::AppState;
use super::error::ApiError;

/// The media types of NDJSON, all read alike.
const NDJSON_TYPES: [&str; 4] = [
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
];

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

/// How a body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFormat {
    Ndjson,
    JsonArray,
    Csv,
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

/// The body's format from its `Content-Type` (any `charset` must be UTF-8).
fn body_format(headers: &HeaderMap) -> Result<BodyFormat, Refusal> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(Refusal::Unsupported(
            "the request has no Content-Type".into(),
        ));
    };
    let value = value
        .to_str()
        .map_err(|_| Refusal::Unsupported("the Content-Type is not readable".into()))?;
    let mut parts = value.split(';').map(str::trim);
    let media = parts.next().unwrap_or_default().to_ascii_lowercase();
    for param in parts {
        let (name, charset) = param.split_once('=').unwrap_or((param, ""));
        let charset = charset.trim_matches('"');
        if name.trim().eq_ignore_ascii_case("charset")
            && !charset.eq_ignore_ascii_case("utf-8")
            && !charset.eq_ignore_ascii_case("utf8")
        {
            let what = format!("charset '{charset}' is not supported");
            return Err(Refusal::Unsupported(what));
        }
    }
    match media.as_str() {
        "application/json" => Ok(BodyFormat::JsonArray),
        "text/csv" => Ok(BodyFormat::Csv),
        m if NDJSON_TYPES.contains(&m) => Ok(BodyFormat::Ndjson),
        _ => Err(Refusal::Unsupported(format!(
            "Content-Type '{value}' is not supported"
        ))),
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

/// Reads a body on a blocking thread: its good rows and its rejects. A body unreadable
/// as a whole is a 400.
async fn read_rows(
    table: Table,
    format: BodyFormat,
    bytes: Bytes,
    opts: FileReadOptions,
) -> Result<(Vec<RecordBatch>, Vec<RowReject>), ApiError> {
    let read = tokio::task::spawn_blocking(move || match format {
        BodyFormat::JsonArray => read_json_array_collecting(table, "body", &bytes, &opts),
        BodyFormat::Ndjson => {
            read_bytes_collecting(table, "body", bytes, FileFormat::Ndjson, &opts)
        }
        BodyFormat::Csv => read_bytes_collecting(table, "body", bytes, FileFormat::Csv, &opts),
    })
    .await
    .map_err(|e| ApiError::internal(format!("reading a pushed body failed: {e}")))?;
    read.map_err(|e| match e {
        ConnectorError::BadFile { .. }
        | ConnectorError::BadRecord { .. }
        | ConnectorError::BadValue { .. } => ApiError::BadRequest(e.to_string()),
        other => ApiError::internal(other),
    })
}

/// How a pushed body is named in the quarantine: the route and a hash of the body, so
/// that the same body pushed again names the same source.
fn body_origin(table: Table, bytes: &[u8]) -> String {
    let hash = xxhash_rust::xxh3::xxh3_64(bytes);
    format!("POST /v1/ingest/{table} body {hash:016x}")
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
    let format = body_format(&headers)?;
    let bytes = read_body(&headers, body, service.options().max_body_bytes).await?;
    let origin = body_origin(table, &bytes);
    let (batches, rejected) =
        read_rows(table, format, bytes, service.options().read_options()).await?;
    // Quarantined before the rows are pushed, so that the answer finds both durable.
    let quarantined: Vec<Quarantined> = (rejected.iter())
        .map(|r| Quarantined::from_reject(&origin, r))
        .collect();
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
