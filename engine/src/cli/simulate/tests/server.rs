//! Whole competitions pushed to a server on 127.0.0.1:0 whose ingest lands in a lake in
//! a temporary folder.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::Int64Array;
use datafusion::prelude::SessionContext;

use super::{expected_rows, options, workers};
use crate::cli::simulate::client::{Endpoint, post};
use crate::cli::simulate::schedule::plan;
use crate::cli::simulate::{SimulationOptions, contestants_from_lake, simulate};
use crate::config::lake_root_url;
use crate::http::{AppState, serve};
use crate::ingest::{IngestOptions, IngestService};
use crate::lake::Lake;

/// A server on 127.0.0.1:0 whose ingest lands in a new lake, and how to stop it.
struct Server {
    _dir: tempfile::TempDir,
    lake: Arc<Lake>,
    base_url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let root = lake_root_url(dir.path().to_str().unwrap()).unwrap();
    let lake = Arc::new(Lake::open(root, HashMap::new()).await.unwrap());
    let options = IngestOptions {
        group_commit: Duration::from_millis(5),
        ..IngestOptions::default()
    };
    let mut state = AppState::new();
    state.ingest = Some(Arc::new(IngestService::new(lake.clone(), options)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state, async {
        stopped.await.ok();
    }));
    Server {
        _dir: dir,
        lake,
        base_url,
        stop,
        task,
    }
}

impl Server {
    async fn count(&self, table: &str) -> i64 {
        let ctx = SessionContext::new();
        self.lake.register_canonical(&ctx).await.unwrap();
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

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

/// Lands 17 workers through the ingest route: 14 of one occupation, 3 of another.
async fn land_workers(server: &Server) {
    let endpoint = Endpoint::parse(&server.base_url).unwrap();
    let mut body = String::new();
    for i in 1..=17 {
        let occupation = if i <= 14 { "6-31-01-03" } else { "2-06-10-03" };
        let row = serde_json::json!({
            "worker_id": format!("W{i:05}"),
            "region_code": "330382",
            "occupation_code": occupation,
            "updated_at": "2026-01-01T00:00:00Z",
        });
        body.push_str(&format!("{row}\n"));
    }
    let path = "/v1/ingest/workers";
    let answer = post(
        &endpoint,
        path,
        "application/x-ndjson",
        None,
        body.as_bytes(),
    )
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&answer.body);
    assert_eq!(answer.status, 200, "{text}");
    assert!(text.contains(r#""accepted":17"#), "{text}");
}

#[tokio::test]
async fn a_competition_lands_every_mark_once_and_a_rerun_adds_nothing() {
    let server = start_server().await;
    land_workers(&server).await;
    let contestants = contestants_from_lake(&server.lake, 12).await.unwrap();
    assert_eq!(
        contestants,
        workers(12),
        "12 of the trade with the most workers"
    );

    let options = SimulationOptions {
        competition_id: "CMP-LIVE-TEST".into(),
        venues: 2,
        stages: 2,
        contestants: 12,
        pace: Duration::ZERO,
        seed: 11,
        token: None,
    };
    let schedule = plan(&contestants, &options);
    let rows = expected_rows(&schedule);
    assert!(rows > 50, "{rows}");

    let never = std::future::pending::<()>();
    let first = simulate(
        &server.base_url,
        contestants.clone(),
        options.clone(),
        never,
    )
    .await
    .unwrap();
    assert_eq!(server.count("competition_scores").await, rows as i64);
    assert!(first.finished);
    assert_eq!(first.pushes, schedule.pushes.len() as u64);
    assert_eq!(
        (first.failed, first.rows_rejected, first.duplicates),
        (0, 0, 0)
    );
    assert_eq!(first.rows_accepted, rows as u64);

    let again = simulate(
        &server.base_url,
        contestants,
        options,
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(server.count("competition_scores").await, rows as i64);
    assert_eq!((again.rows_accepted, again.duplicates), (0, rows as u64));
    server.stop().await;
}

#[tokio::test]
async fn shutdown_stops_a_competition_between_pushes() {
    let server = start_server().await;
    let options = SimulationOptions {
        pace: Duration::from_secs(3600),
        ..options(1)
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        stopped.await.ok();
    };
    let url = server.base_url.clone();
    let run = tokio::spawn(async move { simulate(&url, workers(6), options, shutdown).await });
    // The first push is sent at once; the second would wait an hour.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while server.count("competition_scores").await == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no first push");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(()).unwrap();
    let report = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("stopped")
        .unwrap()
        .unwrap();
    assert!(!report.finished);
    assert_eq!((report.pushes, report.failed), (1, 0));
    assert!(report.rows_accepted > 0);
    server.stop().await;
}

#[tokio::test]
async fn an_unreachable_server_is_counted_not_fatal() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let options = SimulationOptions {
        contestants: 1,
        stages: 1,
        venues: 1,
        ..options(1)
    };
    let schedule = plan(&workers(1), &options);
    let report = simulate(&base_url, workers(1), options, std::future::pending())
        .await
        .unwrap();
    assert!(report.finished);
    let pushes = schedule.pushes.len() as u64;
    assert_eq!(
        (report.pushes, report.failed, report.rows_accepted),
        (pushes, pushes, 0)
    );
}

#[tokio::test]
async fn no_contestant_is_an_error() {
    let err = simulate(
        "http://127.0.0.1:1",
        vec![],
        options(1),
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("no contestants"), "{err}");
}
