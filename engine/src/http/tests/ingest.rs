//! `POST /v1/ingest/{table}` over a real lake in a temporary folder.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::Int64Array;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use datafusion::prelude::SessionContext;
use serde_json::{Value, json};
use skillbrain_connectors::Table;
use tower::ServiceExt;

use super::{bytes, get_json, send};
use crate::config::lake_root_url;
use crate::http::{AppState, app};
use crate::ingest::{IngestOptions, IngestService};
use crate::lake::Lake;

const URI: &str = "/v1/ingest/assessment_dimension_scores";
const NDJSON: &str = "application/x-ndjson";

/// An app whose ingest lands in a new lake; bodies are limited to 4 KiB.
async fn ingest_app() -> (tempfile::TempDir, Arc<Lake>, AppState, Router) {
    let dir = tempfile::tempdir().unwrap();
    let root = lake_root_url(dir.path().to_str().unwrap()).unwrap();
    let lake = Arc::new(Lake::open(root, HashMap::new()).await.unwrap());
    let options = IngestOptions {
        max_body_bytes: 4096,
        group_commit: Duration::from_millis(5),
        ..IngestOptions::default()
    };
    let mut state = AppState::new();
    state.ingest = Some(Arc::new(IngestService::new(lake.clone(), options)));
    (dir, lake, state.clone(), app(state))
}

async fn post(
    app: &Router,
    uri: &str,
    content_type: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = Request::post(uri);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    (
        status,
        serde_json::from_slice(&bytes(response).await).unwrap(),
    )
}

async fn count(lake: &Lake, table: &str) -> i64 {
    let ctx = SessionContext::new();
    lake.register_canonical(&ctx).await.unwrap();
    let batches = ctx
        .sql(&format!("select count(*) from {table}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let values = batches[0].column(0).as_any();
    values.downcast_ref::<Int64Array>().unwrap().value(0)
}

fn ndjson_line(event: &str, dimension: &str, score: f64) -> String {
    json!({ "event_id": event, "dimension_code": dimension, "score": score, "max_score": 20 })
        .to_string()
}

#[tokio::test]
async fn ndjson_json_array_and_csv_bodies_land() {
    let (_dir, lake, _, app) = ingest_app().await;
    let ndjson = [("a1", "D1"), ("a1", "D2"), ("a2", "D1")]
        .map(|(e, d)| ndjson_line(e, d, 10.0))
        .join("\n");
    let (status, first) = post(&app, URI, Some(NDJSON), &ndjson).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (&first["accepted"], &first["duplicates"], &first["rejected"]),
        (&json!(3), &json!(0), &json!([]))
    );

    let array = r#"[{"event_id": "a3", "dimension_code": "D1", "score": 1, "max_score": 2},
                    {"event_id": "a3", "dimension_code": "D2", "score": 2, "max_score": 2}]"#;
    let (status, second) = post(&app, URI, Some("application/json"), array).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["accepted"], 2);

    let csv = "event_id,dimension_code,score,max_score\na4,D1,1,2\na4,D2,0,2\n";
    let (status, third) = post(&app, URI, Some("text/csv; charset=utf-8"), csv).await;
    assert_eq!(status, StatusCode::OK, "{third}");
    assert_eq!(third["accepted"], 2);

    let versions = [&first, &second, &third].map(|a| a["commit"].as_i64().unwrap());
    assert!(
        versions[0] < versions[1] && versions[1] < versions[2],
        "{versions:?}"
    );
    assert_eq!(count(&lake, "assessment_dimension_scores").await, 7);
}

#[tokio::test]
async fn a_bad_row_is_reported_by_line_and_the_others_land_once() {
    let (_dir, lake, _, app) = ingest_app().await;
    let body = [
        ndjson_line("a1", "D1", 10.0),
        ndjson_line("a1", "D2", 10.0),
        ndjson_line("a1", "D3", 30.0),
        ndjson_line("a2", "D1", 10.0),
        ndjson_line("a2", "D2", 10.0),
    ]
    .join("\n");
    let (status, answer) = post(&app, URI, Some(NDJSON), &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (&answer["accepted"], &answer["duplicates"]),
        (&json!(4), &json!(0))
    );
    assert_eq!(
        answer["rejected"],
        json!([{ "line": 3, "column": "score", "reason": "score 30 is greater than max_score 20" }])
    );
    assert_eq!(count(&lake, "assessment_dimension_scores").await, 4);

    let (status, again) = post(
        &app,
        URI,
        Some("application/x-ndjson; charset=UTF-8"),
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (&again["accepted"], &again["duplicates"]),
        (&json!(0), &json!(4))
    );
    assert_eq!(again["rejected"], answer["rejected"]);
    assert_eq!(again["commit"], answer["commit"], "nothing new, no commit");
    assert_eq!(count(&lake, "assessment_dimension_scores").await, 4);

    // The bad row is in the quarantine once, though pushed twice.
    let (_, batches) = lake
        .read_quarantine(Table::AssessmentDimensionScores)
        .await
        .unwrap()
        .expect("a quarantine table");
    let rows = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(rows.num_rows(), 1);
    let text = |name: &str| {
        let column = rows.column_by_name(name).unwrap();
        arrow::util::display::array_value_to_string(column, 0).unwrap()
    };
    assert!(
        text("source").starts_with("POST /v1/ingest/assessment_dimension_scores body "),
        "{}",
        text("source")
    );
    assert_eq!(text("line"), "3");
    assert_eq!(text("column"), "score");
    assert_eq!(text("raw_value"), "30.0");
    assert_eq!(text("reason"), "score 30 is greater than max_score 20");

    let metrics =
        String::from_utf8(bytes(send(&app, "/metrics", None).await).await.to_vec()).unwrap();
    for line in [
        r#"skillbrain_ingested_rows_total{table="assessment_dimension_scores"} 4"#,
        r#"skillbrain_duplicate_rows_total{table="assessment_dimension_scores"} 4"#,
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing `{line}` in\n{metrics}"
        );
    }
}

#[tokio::test]
async fn every_row_rejected_still_answers_the_current_commit() {
    let (_dir, lake, _, app) = ingest_app().await;
    let body = "{\"event_id\": \"a1\"}\nnot json\n";
    let (status, answer) = post(&app, URI, Some(NDJSON), body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 0);
    let lines: Vec<&Value> = answer["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["line"])
        .collect();
    assert_eq!(lines, [&json!(1), &json!(2)]);
    assert!(answer["rejected"][1].get("column").is_none());
    let version = lake
        .version(skillbrain_connectors::Table::AssessmentDimensionScores)
        .await
        .unwrap();
    assert_eq!(answer["commit"], version);
}

#[tokio::test]
async fn refusals_are_json_with_the_right_status() {
    let (_dir, lake, _, app) = ingest_app().await;
    let big = ndjson_line("a1", "D1", 1.0).repeat(100);
    let mut cases = vec![
        (
            "/v1/ingest/payroll",
            Some(NDJSON),
            "",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            URI,
            Some(NDJSON),
            big.as_str(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            URI,
            Some("text/plain"),
            "x",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            URI,
            None,
            "x",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            URI,
            Some("text/csv; charset=gbk"),
            "x",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            URI,
            Some("text/csv"),
            "event_id,salary\n",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            URI,
            Some("application/json"),
            "{\"event_id\": 1}",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    cases.push((
        URI,
        Some("application/json"),
        "[1,",
        StatusCode::BAD_REQUEST,
        "bad_request",
    ));
    for (uri, content_type, body, status, code) in cases {
        let (got, answer) = post(&app, uri, content_type, body).await;
        assert_eq!(
            (got, &answer["error"]["code"]),
            (status, &json!(code)),
            "{uri} {content_type:?}: {answer}"
        );
        assert!(answer["error"]["message"].is_string());
    }
    let (status, answer) = post(&app, URI, Some("text/csv"), "event_id,salary\n").await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown columns 'salary'"),
        "{status} {answer}"
    );

    // The limit holds without a Content-Length too (a streamed body).
    let chunks: Vec<Result<String, std::io::Error>> =
        (0..100).map(|_| Ok(ndjson_line("a1", "D1", 1.0))).collect();
    let request = Request::post(URI)
        .header(header::CONTENT_TYPE, NDJSON)
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let (status, _) = get_json(&app, URI).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(count(&lake, "assessment_dimension_scores").await, 0);
}

#[tokio::test]
async fn without_an_ingest_service_the_route_is_not_ready() {
    let app = app(AppState::new());
    let (status, answer) = post(&app, URI, Some(NDJSON), &ndjson_line("a1", "D1", 1.0)).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (StatusCode::SERVICE_UNAVAILABLE, &json!("not_ready"))
    );
}

#[tokio::test]
async fn openapi_describes_the_ingest_route() {
    let app = app(AppState::new());
    let (_, body) = get_json(&app, "/openapi.json").await;
    let post = &body["paths"]["/v1/ingest/{table}"]["post"];
    for status in ["200", "400", "404", "413", "415", "503"] {
        assert!(post["responses"][status].is_object(), "{status}");
    }
    assert!(body["components"]["schemas"]["IngestAnswer"].is_object());
}
