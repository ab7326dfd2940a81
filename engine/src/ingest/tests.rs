//! Group commit on a real lake in a temporary folder.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::prelude::SessionContext;
use skillbrain_connectors::Table;

use super::{IngestOptions, IngestService};
use crate::config::lake_root_url;
use crate::lake::{AppendOutcome, Lake};

const TABLE: Table = Table::AssessmentDimensionScores;

async fn lake() -> (tempfile::TempDir, Arc<Lake>) {
    let dir = tempfile::tempdir().unwrap();
    let root = lake_root_url(dir.path().to_str().unwrap()).unwrap();
    let lake = Lake::open(root, HashMap::new()).await.unwrap();
    (dir, Arc::new(lake))
}

fn service(lake: &Arc<Lake>, window_ms: u64, max_batch_rows: usize) -> Arc<IngestService> {
    let options = IngestOptions {
        group_commit: Duration::from_millis(window_ms),
        max_batch_rows,
        ..IngestOptions::default()
    };
    Arc::new(IngestService::new(lake.clone(), options))
}

/// Dimension scores of events `e{from}` … `e{to - 1}`.
fn rows(from: usize, to: usize) -> RecordBatch {
    let ids: Vec<String> = (from..to).map(|i| format!("e{i}")).collect();
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            Arc::new(StringArray::from_iter_values(&ids)),
            Arc::new(StringArray::from_iter_values(ids.iter().map(|_| "D1"))),
            Arc::new(Float64Array::from_iter_values(ids.iter().map(|_| 1.0))),
            Arc::new(Float64Array::from_iter_values(ids.iter().map(|_| 2.0))),
        ],
    )
    .unwrap()
}

async fn count(lake: &Lake) -> i64 {
    let ctx = SessionContext::new();
    lake.register_canonical(&ctx).await.unwrap();
    let sql = format!(
        "select count(*), count(distinct event_id) from {}",
        TABLE.name()
    );
    let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let column = |i: usize| {
        let values = batches[0].column(i).as_any();
        values.downcast_ref::<Int64Array>().unwrap().value(0)
    };
    assert_eq!(column(0), column(1), "a key is stored twice");
    column(0)
}

/// `n` concurrent pushes, push `t` carrying the 100 rows `t*100 .. t*100+100`.
fn push_concurrently(
    service: &Arc<IngestService>,
    n: usize,
) -> Vec<tokio::task::JoinHandle<crate::Result<AppendOutcome>>> {
    (0..n)
        .map(|t| {
            let service = service.clone();
            tokio::spawn(async move {
                service
                    .push(TABLE, vec![rows(t * 100, t * 100 + 100)])
                    .await
            })
        })
        .collect()
}

fn counts(out: &AppendOutcome) -> (u64, u64) {
    (out.accepted, out.duplicates)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_share_commits_and_each_gets_its_own_counts() {
    let (_dir, lake) = lake().await;
    let service = service(&lake, 200, 200_000);
    let before = lake.version(TABLE).await.unwrap();
    let tasks = push_concurrently(&service, 16);
    let mut versions = BTreeSet::new();
    for task in tasks {
        let out = task.await.unwrap().unwrap();
        assert_eq!(counts(&out), (100, 0));
        assert!(out.version > before);
        versions.insert(out.version);
    }
    assert!(
        versions.len() < 16,
        "16 requests made {} commits",
        versions.len()
    );
    assert_eq!(
        lake.version(TABLE).await.unwrap(),
        before + versions.len() as i64
    );
    assert_eq!(count(&lake).await, 1600);
}

#[tokio::test]
async fn a_key_repeated_across_requests_of_one_commit_is_the_later_ones_duplicate() {
    let (_dir, lake) = lake().await;
    let service = service(&lake, 300, 200_000);
    let first = tokio::spawn({
        let service = service.clone();
        async move { service.push(TABLE, vec![rows(0, 10)]).await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Repeats e5…e9 of the first request, and e12 within itself.
    let second = service
        .push(TABLE, vec![rows(5, 15), rows(12, 13)])
        .await
        .unwrap();
    let first = first.await.unwrap();
    assert_eq!(counts(&first), (10, 0));
    assert_eq!(counts(&second), (5, 6));
    assert_eq!(first.version, second.version, "one commit");
    assert_eq!(count(&lake).await, 15);

    let again = service.push(TABLE, vec![rows(0, 15)]).await.unwrap();
    assert_eq!(counts(&again), (0, 15));
    assert_eq!(again.version, first.version, "nothing new, no commit");
    let empty = service.push(TABLE, Vec::new()).await.unwrap();
    assert_eq!(
        (counts(&empty), empty.version),
        ((0, 0), lake.version(TABLE).await.unwrap())
    );
}

#[tokio::test]
async fn a_group_stops_gathering_at_max_batch_rows() {
    let (_dir, lake) = lake().await;
    let service = service(&lake, 300, 150);
    let tasks = push_concurrently(&service, 3);
    let mut versions = BTreeSet::new();
    for task in tasks {
        let out = task.await.unwrap().unwrap();
        assert_eq!(counts(&out), (100, 0));
        versions.insert(out.version);
    }
    assert_eq!(versions.len(), 3, "two requests would pass 150 rows");
    assert_eq!(count(&lake).await, 300);
}

#[tokio::test]
async fn a_failed_commit_fails_every_request_of_its_group_and_stores_nothing() {
    let (_dir, lake) = lake().await;
    let service = service(&lake, 300, 200_000);
    let before = lake.version(TABLE).await.unwrap();
    let good = tokio::spawn({
        let service = service.clone();
        async move { service.push(TABLE, vec![rows(0, 10)]).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Rows of another table: their key columns are missing, so the commit fails.
    let other = RecordBatch::new_empty(Table::Workers.schema());
    let bad = service.push(TABLE, vec![other]).await;
    assert!(bad.is_err());
    let good = good.await.unwrap();
    assert!(good.is_err(), "shared the failed commit: {good:?}");
    assert_eq!(lake.version(TABLE).await.unwrap(), before);
    assert_eq!(count(&lake).await, 0);

    let retry = service.push(TABLE, vec![rows(0, 10)]).await.unwrap();
    assert_eq!(counts(&retry), (10, 0), "no key was claimed by the failure");
}

#[tokio::test]
async fn append_groups_counts_each_group_in_order_in_one_commit() {
    let (_dir, lake) = lake().await;
    lake.append(TABLE, vec![rows(0, 2)], None).await.unwrap();
    let before = lake.version(TABLE).await.unwrap();
    let groups = vec![
        vec![rows(0, 4), rows(3, 6)],
        vec![],
        vec![rows(5, 8)],
        vec![rows(0, 1)],
    ];
    let (outcomes, version) = lake.append_groups(TABLE, groups, None).await.unwrap();
    let got: Vec<_> = outcomes.iter().map(counts).collect();
    assert_eq!(got, [(4, 3), (0, 0), (2, 1), (0, 1)]);
    assert_eq!(version, before + 1);
    assert!(outcomes.iter().all(|o| o.version == version));
    assert_eq!(count(&lake).await, 8);
}
