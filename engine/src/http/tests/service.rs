//! Health, readiness, metrics, the OpenAPI document and the server over TCP.

use std::sync::atomic::Ordering;

use axum::http::{StatusCode, header};
use serde_json::json;

use super::{bytes, get_json, send, test_app};
use crate::http::{AppState, serve};

#[tokio::test]
async fn health_and_readiness() {
    let (state, app) = test_app();
    assert_eq!(
        get_json(&app, "/healthz").await,
        (StatusCode::OK, json!({ "status": "ok" }))
    );
    let (status, body) = get_json(&app, "/readyz").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::SERVICE_UNAVAILABLE, &json!("not_ready"))
    );
    state.ready.store(true, Ordering::Release);
    assert_eq!(get_json(&app, "/readyz").await.0, StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_expose_engine_counters() {
    let (state, app) = test_app();
    send(&app, "/v1/models/talent_stock", None).await;
    send(&app, "/v1/models/nope", None).await;
    state.metrics.record_ingest("assessment_results", 10, 2);
    state.metrics.record_refresh("talent_stock", 0.2);

    let response = send(&app, "/metrics", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(bytes(response).await.to_vec()).unwrap();
    for line in [
        r#"skillbrain_http_requests_total{method="GET",route="/v1/models/{name}",status="200"} 1"#,
        r#"skillbrain_http_requests_total{method="GET",route="/v1/models/{name}",status="404"} 1"#,
        r#"skillbrain_model_rows{model="talent_stock"} 5"#,
        r#"skillbrain_model_version{model="talent_stock"} 7"#,
        r#"skillbrain_ingested_rows_total{table="assessment_results"} 10"#,
        r#"skillbrain_duplicate_rows_total{table="assessment_results"} 2"#,
        r#"skillbrain_model_refresh_duration_seconds_count{model="talent_stock"} 1"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    assert!(text.contains("skillbrain_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn openapi_describes_the_routes() {
    let (_, app) = test_app();
    let (status, body) = get_json(&app, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["openapi"], "3.1.0");
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/models",
        "/v1/models/{name}",
    ] {
        assert!(body["paths"][path]["get"].is_object(), "{path}");
    }
}

#[tokio::test]
async fn serve_answers_over_tcp_and_stops_on_shutdown() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, AppState::new(), async {
        stopped.await.ok();
    }));

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
