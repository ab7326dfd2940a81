//! `GET /v1/models` (every served model) and `GET /v1/models/{name}` (its rows, as
//! JSON, CSV or an Arrow IPC stream), with the query parameters and the ETag logic.

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::rows;
use crate::store::ModelSnapshot;

/// Rows answered when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 1000;
/// The largest `limit` a request may ask for.
pub const MAX_LIMIT: usize = 100_000;

/// The model routes, to be nested under `/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/models", get(list))
        .route("/models/{name}", get(model_rows))
}

async fn list(State(state): State<AppState>) -> Json<Value> {
    let models: Vec<Value> = state.store.list().iter().map(|s| describe(s)).collect();
    Json(json!({ "models": models }))
}

fn describe(snapshot: &ModelSnapshot) -> Value {
    let columns: Vec<Value> = snapshot
        .schema
        .fields()
        .iter()
        .map(|f| json!({ "name": f.name(), "type": f.data_type().to_string() }))
        .collect();
    json!({
        "name": snapshot.name,
        "description": snapshot.description,
        "grain": snapshot.grain,
        "columns": columns,
        "version": snapshot.version,
        "refreshed_at": snapshot.refreshed_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        "refresh_mode": snapshot.refresh_mode.as_str(),
        "refresh_seconds": snapshot.refresh_seconds,
        "source_versions": snapshot.source_versions,
        "rows": snapshot.rows(),
    })
}

/// How `GET /v1/models/{name}` encodes its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`: the page's metadata and the rows as objects.
    Json,
    /// `text/csv` with a header row.
    Csv,
    /// `application/vnd.apache.arrow.stream`.
    Arrow,
}

/// The column to order by, before the grain columns that break ties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// A column of the model.
    pub column: String,
    /// `-column` in the request.
    pub descending: bool,
}

/// The validated query of `GET /v1/models/{name}`.
#[derive(Debug, Clone)]
pub struct RowsQuery {
    /// Rows to answer at most.
    pub limit: usize,
    /// Matching rows to skip, in order.
    pub offset: usize,
    /// The requested order; `None` orders by the grain columns only.
    pub order_by: Option<OrderBy>,
    /// The response encoding.
    pub format: Format,
    /// Equality filters `(grain column, value)`; a row matches when all do.
    pub filters: Vec<(String, String)>,
}

impl RowsQuery {
    /// Parses a raw query string against `model`, rejecting anything it does not know.
    pub fn parse(raw: &str, model: &ModelSnapshot) -> ApiResult<Self> {
        let mut query = Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
            order_by: None,
            format: Format::Json,
            filters: Vec::new(),
        };
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            if seen.iter().any(|k| *k == key) {
                return Err(bad(format!("parameter `{key}` is given more than once")));
            }
            seen.push(key.to_string());
            match &*key {
                "limit" => query.limit = parse_count("limit", &value, MAX_LIMIT)?,
                "offset" => query.offset = parse_count("offset", &value, usize::MAX)?,
                "order_by" => query.order_by = Some(parse_order_by(&value, model)?),
                "format" => query.format = parse_format(&value)?,
                column if model.grain.iter().any(|g| g == column) => {
                    query.filters.push((key.to_string(), value.into_owned()));
                }
                other => {
                    return Err(bad(format!(
                        "unknown parameter `{other}`: model `{}` can be filtered only on its \
                         grain columns ({}); the other parameters are limit, offset, order_by \
                         and format",
                        model.name,
                        model.grain.join(", ")
                    )));
                }
            }
        }
        Ok(query)
    }
}

fn bad(message: String) -> ApiError {
    ApiError::BadRequest(message)
}

fn parse_count(name: &str, value: &str, max: usize) -> ApiResult<usize> {
    match value.parse::<usize>() {
        Ok(n) if n <= max => Ok(n),
        _ if max == usize::MAX => Err(bad(format!(
            "`{name}` must be a non-negative integer, got `{value}`"
        ))),
        _ => Err(bad(format!(
            "`{name}` must be an integer from 0 to {max}, got `{value}`"
        ))),
    }
}

fn parse_order_by(value: &str, model: &ModelSnapshot) -> ApiResult<OrderBy> {
    let (column, descending) = match value.strip_prefix('-') {
        Some(column) => (column, true),
        None => (value, false),
    };
    if model.schema.column_with_name(column).is_none() {
        let columns: Vec<&str> = model
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        return Err(bad(format!(
            "`order_by`: model `{}` has no column `{column}`; its columns are {}",
            model.name,
            columns.join(", ")
        )));
    }
    Ok(OrderBy {
        column: column.to_owned(),
        descending,
    })
}

fn parse_format(value: &str) -> ApiResult<Format> {
    match value {
        "json" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        "arrow" => Ok(Format::Arrow),
        other => Err(bad(format!(
            "`format` must be json, csv or arrow, got `{other}`"
        ))),
    }
}

/// The ETag of a snapshot: `"<name>@<version>"`.
pub fn etag(model: &ModelSnapshot) -> String {
    format!("\"{}@{}\"", model.name, model.version)
}

/// Whether any `If-None-Match` header lists `etag` (weakly compared) or is `*`.
pub(crate) fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

async fn model_rows(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let model = state
        .store
        .get(&name)
        .ok_or_else(|| ApiError::NotFound(format!("no model named `{name}`")))?;
    let query = RowsQuery::parse(raw.as_deref().unwrap_or_default(), &model)?;

    let tag = etag(&model);
    let mut cache = HeaderMap::new();
    cache.insert(
        ETAG,
        HeaderValue::from_bytes(tag.as_bytes()).map_err(ApiError::internal)?,
    );
    cache.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if not_modified(&headers, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }

    let page = rows::select(&model, &query)?;
    let (content_type, body) = rows::encode(&model, &query, &page)?;
    cache.insert("x-total-count", HeaderValue::from(page.total));
    Ok((cache, [(CONTENT_TYPE, content_type)], body).into_response())
}
