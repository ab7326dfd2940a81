//! `GET /v1/workers/{worker_id}/profile` over a hand-built `ability_profile` snapshot.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use axum::Router;
use axum::http::{StatusCode, header};
use chrono::Utc;
use serde_json::json;

use super::{bytes, get_json, send, test_app};
use crate::http::{AppState, app};
use crate::store::ModelSnapshot;

/// `(worker_id, dimension_code, dimension_name, score, occupation_median, region_median,
/// percentile, dimension_rank, weakest, suggested course (id, name))`.
type Row<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<f64>,
    f64,
    Option<f64>,
    Option<f64>,
    Option<i32>,
    bool,
    Option<(&'a str, &'a str)>,
);

const ELC_01: &str = "电工基础知识";
const ELC_02: &str = "低压电器安装与接线";
const ELC_03: &str = "电力拖动与控制线路";
const ELC_04: &str = "PLC编程与调试";

/// As the model makes it: rank 1 is the weakest dimension (ties by code, all of them
/// `weakest`), an unscored dimension has no score, percentile or rank. Two batches;
/// `w1`'s four dimensions are split between them and out of rank order.
fn ability_profile() -> ModelSnapshot {
    let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    let number = |name: &str, nullable| Field::new(name, DataType::Float64, nullable);
    let schema = Arc::new(Schema::new(vec![
        text("worker_id", false),
        text("occupation_code", false),
        text("region_code", false),
        text("dimension_code", false),
        text("dimension_name", true),
        number("score", true),
        number("occupation_median", true),
        number("region_median", true),
        number("percentile", true),
        Field::new("dimension_rank", DataType::Int32, true),
        Field::new("weakest", DataType::Boolean, false),
        text("suggested_course_id", true),
        text("suggested_course_name", true),
    ]));
    let batch = |rows: &[Row]| {
        let strings = |values: Vec<&str>| Arc::new(StringArray::from(values)) as ArrayRef;
        let columns: Vec<ArrayRef> = vec![
            strings(rows.iter().map(|r| r.0).collect()),
            strings(vec!["6-31-01-03"; rows.len()]),
            strings(vec!["330382"; rows.len()]),
            strings(rows.iter().map(|r| r.1).collect()),
            strings(rows.iter().map(|r| r.2).collect()),
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.3))),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.4))),
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.5))),
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.6))),
            Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.7))),
            Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.8)))),
            Arc::new(StringArray::from_iter(
                rows.iter().map(|r| r.9.map(|c| c.0)),
            )),
            Arc::new(StringArray::from_iter(
                rows.iter().map(|r| r.9.map(|c| c.1)),
            )),
        ];
        RecordBatch::try_new(schema.clone(), columns).unwrap()
    };
    let plc = Some(("C-ELC-02", "PLC编程与调试提升班"));
    let wiring = Some(("C-ELC-01", "低压电器安装与接线实训"));
    #[rustfmt::skip]
    let rows: [Row; 5] = [
        ("w1", "ELC-03", ELC_03, None, 70.0, Some(68.0), None, None, false, None),
        ("w2", "ELC-01", ELC_01, Some(88.0), 80.0, Some(78.0), Some(0.9), Some(1), true, None),
        ("w1", "ELC-04", ELC_04, Some(62.0), 72.0, None, Some(0.25), Some(2), true, plc),
        ("w1", "ELC-01", ELC_01, Some(91.5), 80.0, Some(78.0), Some(0.85), Some(3), false, None),
        ("w1", "ELC-02", ELC_02, Some(62.0), 75.0, Some(70.0), Some(0.2), Some(1), true, wiring),
    ];
    ModelSnapshot {
        name: "ability_profile".into(),
        description: "Each worker's ability dimensions beside the medians".into(),
        grain: vec!["worker_id".into(), "dimension_code".into()],
        version: 12,
        refreshed_at: Utc::now(),
        refresh_mode: Default::default(),
        source_versions: Default::default(),
        refresh_seconds: 0.0,
        batches: vec![batch(&rows[..3]), batch(&rows[3..])],
        schema,
    }
}

fn profile_app() -> Router {
    let state = AppState::new();
    state.store.publish(ability_profile());
    app(state)
}

#[tokio::test]
async fn profile_lists_dimensions_by_rank_with_medians_courses_and_weakest() {
    let app = profile_app();
    let response = send(&app, "/v1/workers/w1/profile", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&bytes(response).await).unwrap();
    assert_eq!(
        body,
        json!({
            "worker_id": "w1",
            "occupation_code": "6-31-01-03",
            "region_code": "330382",
            "dimensions": [
                { "dimension_code": "ELC-02", "dimension_name": ELC_02, "score": 62.0,
                  "occupation_median": 75.0, "region_median": 70.0, "percentile": 0.2,
                  "rank": 1, "weakest": true,
                  "suggested_course": { "id": "C-ELC-01", "name": "低压电器安装与接线实训" } },
                { "dimension_code": "ELC-04", "dimension_name": ELC_04, "score": 62.0,
                  "occupation_median": 72.0, "region_median": null, "percentile": 0.25,
                  "rank": 2, "weakest": true,
                  "suggested_course": { "id": "C-ELC-02", "name": "PLC编程与调试提升班" } },
                { "dimension_code": "ELC-01", "dimension_name": ELC_01, "score": 91.5,
                  "occupation_median": 80.0, "region_median": 78.0, "percentile": 0.85,
                  "rank": 3, "weakest": false, "suggested_course": null },
                { "dimension_code": "ELC-03", "dimension_name": ELC_03, "score": null,
                  "occupation_median": 70.0, "region_median": 68.0, "percentile": null,
                  "rank": null, "weakest": false, "suggested_course": null }
            ],
            "weakest": ["ELC-02", "ELC-04"]
        })
    );

    let (_, other) = get_json(&app, "/v1/workers/w2/profile").await;
    assert_eq!(other["dimensions"].as_array().unwrap().len(), 1);
    assert_eq!(other["weakest"], json!(["ELC-01"]));
}

#[tokio::test]
async fn profile_etag_is_the_model_version_and_if_none_match_gives_an_empty_304() {
    const PROFILE: &str = "/v1/workers/w1/profile";
    const TAG: &str = "\"ability_profile@12\"";
    let app = profile_app();
    let response = send(&app, PROFILE, None).await;
    assert_eq!(response.headers()[header::ETAG], TAG);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");

    let cached = send(&app, PROFILE, Some(TAG)).await;
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(cached.headers()[header::ETAG], TAG);
    assert!(bytes(cached).await.is_empty());

    let stale = send(&app, PROFILE, Some("\"ability_profile@11\"")).await;
    assert_eq!(stale.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_worker_without_rows_is_a_json_404() {
    let app = profile_app();
    // `w` is a prefix of the stored IDs: only an equal ID matches.
    for worker in ["nobody", "w"] {
        let (status, body) = get_json(&app, &format!("/v1/workers/{worker}/profile")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{worker}");
        assert_eq!(
            body["error"],
            json!({
                "code": "not_found",
                "message": format!("no ability profile for worker `{worker}`")
            })
        );
    }
}

#[tokio::test]
async fn profile_is_503_until_ability_profile_is_materialised() {
    let (_, app) = test_app();
    let (status, body) = get_json(&app, "/v1/workers/w1/profile").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "not_ready");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("`ability_profile`"), "{message}");
}

#[tokio::test]
async fn openapi_describes_the_profile() {
    let (_, app) = test_app();
    let (_, body) = get_json(&app, "/openapi.json").await;
    let path = &body["paths"]["/v1/workers/{worker_id}/profile"]["get"];
    for status in ["200", "304", "404", "503"] {
        assert!(path["responses"][status].is_object(), "{status}");
    }
    let profile = &body["components"]["schemas"]["AbilityProfile"];
    assert_eq!(
        profile["properties"]["dimensions"]["items"]["required"]
            .as_array()
            .unwrap()
            .len(),
        9
    );
}
