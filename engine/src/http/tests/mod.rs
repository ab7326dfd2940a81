//! The router tested in-process with `tower::ServiceExt::oneshot`, and once over TCP.
//!
//! # Layout
//! - `mod.rs`: the `talent_stock` fixture and request helpers.
//! - `models.rs`: `/v1/models…`: listing, filters, paging, formats, ETag/304, errors.
//! - `profile.rs`: `GET /v1/workers/{worker_id}/profile` over an `ability_profile` fixture.
//! - `ingest.rs`: `POST /v1/ingest/{table}` over a real lake: formats, rejects, refusals.
//! - `service.rs`: health, readiness, metrics, OpenAPI and the real server.

mod ingest;
mod models;
mod profile;
mod service;

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int32Array, Int64Array, StringArray};
use arrow::array::{RecordBatch, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use tower::ServiceExt;

use super::{AppState, app};
use crate::store::ModelSnapshot;

/// 2026-11-01T00:00:00Z in microseconds.
const AS_OF: i64 = 1_793_491_200_000_000;

/// `(region_code, occupation_code, ladder_order, workers, high_skill_share)`.
type Row<'a> = (&'a str, &'a str, i32, Option<i64>, Option<f64>);

/// `(region_code, occupation_code, ladder_order, workers)` of an answered row.
type Key = (String, String, i64, Option<i64>);

fn talent_stock() -> ModelSnapshot {
    let schema = Arc::new(Schema::new(vec![
        Field::new("region_code", DataType::Utf8, false),
        Field::new("occupation_code", DataType::Utf8, false),
        Field::new("ladder_order", DataType::Int32, false),
        Field::new("workers", DataType::Int64, true),
        Field::new("high_skill_share", DataType::Float64, true),
        Field::new(
            "as_of",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
    ]));
    let batch = |rows: &[Row]| {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.2))),
            Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.3))),
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.4))),
            Arc::new(TimestampMicrosecondArray::from(vec![AS_OF; rows.len()]).with_timezone("UTC")),
        ];
        RecordBatch::try_new(schema.clone(), columns).unwrap()
    };
    ModelSnapshot {
        name: "talent_stock".into(),
        description: "Workers by region, occupation and level".into(),
        grain: vec![
            "region_code".into(),
            "occupation_code".into(),
            "ladder_order".into(),
        ],
        version: 7,
        refreshed_at: Utc.with_ymd_and_hms(2026, 11, 2, 8, 30, 0).unwrap(),
        refresh_mode: Default::default(),
        source_versions: Default::default(),
        refresh_seconds: 0.0,
        batches: vec![
            batch(&[
                ("330382", "6-31-01-03", 3, Some(12), Some(0.25)),
                ("330302", "6-18-02-04", 5, None, None),
            ]),
            batch(&[
                ("330382", "6-31-01-03", 2, Some(4), Some(0.5)),
                ("330382", "6-18-02-04", 3, Some(7), None),
                ("330302", "6-31-01-03", 1, Some(20), Some(1.0)),
            ]),
        ],
        schema,
    }
}

fn test_app() -> (AppState, Router) {
    let state = AppState::new();
    state.store.publish(talent_stock());
    (state.clone(), app(state))
}

async fn send(app: &Router, uri: &str, if_none_match: Option<&str>) -> Response {
    let mut request = Request::get(uri);
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn bytes(response: Response) -> Bytes {
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
}

async fn get_json(app: &Router, uri: &str) -> (StatusCode, Value) {
    let response = send(app, uri, None).await;
    let status = response.status();
    (
        status,
        serde_json::from_slice(&bytes(response).await).unwrap(),
    )
}

/// `(region_code, occupation_code, ladder_order, workers)` of each answered row.
fn keys(body: &Value) -> Vec<Key> {
    let rows = body["rows"].as_array().unwrap();
    let key = |r: &Value| {
        let text = |c: &str| r[c].as_str().unwrap().to_owned();
        (
            text("region_code"),
            text("occupation_code"),
            r["ladder_order"].as_i64().unwrap(),
            r["workers"].as_i64(),
        )
    };
    rows.iter().map(key).collect()
}

fn key(region: &str, occupation: &str, ladder: i64, workers: Option<i64>) -> Key {
    (region.into(), occupation.into(), ladder, workers)
}
