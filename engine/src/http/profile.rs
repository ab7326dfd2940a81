//! `GET /v1/workers/{worker_id}/profile`: a worker's ability profile (能力画像), read from
//! the materialised model [`MODEL`] (one row per worker × ability dimension) in the model
//! store with Arrow kernels; no SQL is built from the request.
//!
//! The answer:
//! `{"worker_id", "occupation_code", "region_code", "dimensions": [{"dimension_code",
//! "dimension_name", "score", "occupation_median", "region_median", "percentile", "rank",
//! "weakest", "suggested_course": {"id", "name"} | null}, …], "weakest": [code, …]}`,
//! dimensions by `rank` (the model's `dimension_rank`, 1 = weakest), those without a
//! rank (never scored) last, ties by code; `weakest` lists the codes of the dimensions
//! the model marks weakest, in that order. `404` when the model has no row for the
//! worker, `503` while the model is not materialised; `ETag` is the model's version,
//! `304` on `If-None-Match`.

use arrow::array::{Array, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, ETAG};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::models::{Format, OrderBy, RowsQuery, etag, not_modified};
use super::rows;
use crate::store::ModelSnapshot;

/// The model the profile is read from.
pub const MODEL: &str = "ability_profile";

/// The profile route, to be nested under `/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/workers/{worker_id}/profile", get(profile))
}

async fn profile(
    State(state): State<AppState>,
    Path(worker_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let model = state.store.get(MODEL).ok_or_else(|| {
        ApiError::NotReady(format!(
            "the model `{MODEL}` is not materialised yet; profiles are served once it is"
        ))
    })?;
    let tag = etag(&model);
    let cache = [(ETAG, tag.clone()), (CACHE_CONTROL, "no-cache".to_owned())];
    if not_modified(&headers, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let rows = worker_rows(&model, &worker_id)?;
    if rows.num_rows() == 0 {
        return Err(ApiError::NotFound(format!(
            "no ability profile for worker `{worker_id}`"
        )));
    }
    Ok((cache, Json(answer(&worker_id, &rows)?)).into_response())
}

/// The worker's rows, by `dimension_rank`, then by the model's grain.
fn worker_rows(model: &ModelSnapshot, worker_id: &str) -> ApiResult<RecordBatch> {
    let query = RowsQuery {
        limit: usize::MAX,
        offset: 0,
        order_by: Some(OrderBy {
            column: "dimension_rank".to_owned(),
            descending: false,
        }),
        format: Format::Json,
        filters: vec![("worker_id".to_owned(), worker_id.to_owned())],
    };
    Ok(rows::select(model, &query)?.batch)
}

/// The JSON answer for one worker's ordered rows (at least one).
fn answer(worker_id: &str, rows: &RecordBatch) -> ApiResult<Value> {
    let occupation = text(rows, "occupation_code")?;
    let region = text(rows, "region_code")?;
    let code = text(rows, "dimension_code")?;
    let name = text(rows, "dimension_name")?;
    let course_id = text(rows, "suggested_course_id")?;
    let course_name = text(rows, "suggested_course_name")?;
    let score = number(rows, "score")?;
    let occupation_median = number(rows, "occupation_median")?;
    let region_median = number(rows, "region_median")?;
    let percentile = number(rows, "percentile")?;
    let rank = integer(rows, "dimension_rank")?;
    let weakest = flag(rows, "weakest")?;

    let mut dimensions = Vec::with_capacity(rows.num_rows());
    let mut weakest_codes = Vec::new();
    for i in 0..rows.num_rows() {
        let is_weakest = weakest.is_valid(i) && weakest.value(i);
        if is_weakest {
            weakest_codes.push(code[i].clone());
        }
        let suggested_course = match &course_id[i] {
            Value::Null => Value::Null,
            id => json!({ "id": id, "name": course_name[i] }),
        };
        dimensions.push(json!({
            "dimension_code": code[i],
            "dimension_name": name[i],
            "score": optional(&score, i),
            "occupation_median": optional(&occupation_median, i),
            "region_median": optional(&region_median, i),
            "percentile": optional(&percentile, i),
            "rank": rank.is_valid(i).then(|| rank.value(i)),
            "weakest": is_weakest,
            "suggested_course": suggested_course,
        }));
    }
    Ok(json!({
        "worker_id": worker_id,
        "occupation_code": occupation[0],
        "region_code": region[0],
        "dimensions": dimensions,
        "weakest": weakest_codes,
    }))
}

fn column(rows: &RecordBatch, name: &str, to: &DataType) -> ApiResult<arrow::array::ArrayRef> {
    let values = rows
        .column_by_name(name)
        .ok_or_else(|| ApiError::internal(format!("model `{MODEL}` has no column `{name}`")))?;
    Ok(cast(values, to)?)
}

/// A column as text values (`null` where empty).
fn text(rows: &RecordBatch, name: &str) -> ApiResult<Vec<Value>> {
    let values = column(rows, name, &DataType::Utf8)?;
    Ok(values
        .as_string::<i32>()
        .iter()
        .map(|v| v.map_or(Value::Null, Value::from))
        .collect())
}

fn number(rows: &RecordBatch, name: &str) -> ApiResult<Float64Array> {
    Ok(column(rows, name, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

fn integer(rows: &RecordBatch, name: &str) -> ApiResult<Int64Array> {
    Ok(column(rows, name, &DataType::Int64)?
        .as_primitive::<Int64Type>()
        .clone())
}

fn flag(rows: &RecordBatch, name: &str) -> ApiResult<BooleanArray> {
    Ok(column(rows, name, &DataType::Boolean)?.as_boolean().clone())
}

/// A float value, `null` when empty or not finite.
fn optional(values: &Float64Array, i: usize) -> Value {
    if values.is_null(i) {
        return Value::Null;
    }
    serde_json::Number::from_f64(values.value(i)).map_or(Value::Null, Value::Number)
}
