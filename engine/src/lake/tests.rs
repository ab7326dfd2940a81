//! Lake tests on real Delta tables in a temporary folder.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Float64Array, RecordBatch, StringArray};
use datafusion::prelude::SessionContext;
use skillbrain_connectors::Table;

use super::Lake;
use crate::config::lake_root_url;

fn dimension_rows(rows: &[(&str, &str, f64)]) -> RecordBatch {
    let schema = Table::AssessmentDimensionScores.schema();
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2))),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|_| 100.0))),
        ],
    )
    .unwrap()
}

async fn count(lake: &Lake, table: Table) -> i64 {
    let ctx = SessionContext::new();
    lake.register_canonical(&ctx).await.unwrap();
    let batches = ctx
        .sql(&format!("select count(*) from {}", table.name()))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>()
        .unwrap()
        .value(0)
}

#[tokio::test]
async fn duplicate_keys_are_stored_once_across_commits_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let root = lake_root_url(dir.path().join("lake").to_str().unwrap()).unwrap();
    let lake = Lake::open(root.clone(), HashMap::new()).await.unwrap();
    assert_eq!(count(&lake, Table::AssessmentDimensionScores).await, 0);

    let first = dimension_rows(&[("e1", "D1", 80.0), ("e1", "D2", 70.0), ("e1", "D1", 80.0)]);
    let out = lake
        .append(Table::AssessmentDimensionScores, vec![first.clone()], None)
        .await
        .unwrap();
    assert_eq!((out.accepted, out.duplicates), (2, 1));

    let again = lake
        .append(Table::AssessmentDimensionScores, vec![first], None)
        .await
        .unwrap();
    assert_eq!((again.accepted, again.duplicates), (0, 3));
    assert_eq!(
        again.version, out.version,
        "an all-duplicate append makes no commit"
    );

    drop(lake);
    let reopened = Lake::open(root, HashMap::new()).await.unwrap();
    let mixed = dimension_rows(&[("e1", "D2", 70.0), ("e2", "D1", 50.0)]);
    let out2 = reopened
        .append(Table::AssessmentDimensionScores, vec![mixed], None)
        .await
        .unwrap();
    assert_eq!((out2.accepted, out2.duplicates), (1, 1));
    assert_eq!(out2.version, out.version + 1);
    assert_eq!(count(&reopened, Table::AssessmentDimensionScores).await, 3);
}

#[tokio::test]
async fn application_transaction_is_committed_with_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let root = lake_root_url(dir.path().to_str().unwrap()).unwrap();
    let lake = Lake::open(root, HashMap::new()).await.unwrap();
    let table = Table::AssessmentDimensionScores;
    assert_eq!(lake.transaction_version(table, "nats").await.unwrap(), None);
    lake.append(
        table,
        vec![dimension_rows(&[("e9", "D1", 1.0)])],
        Some(("nats".into(), 41)),
    )
    .await
    .unwrap();
    assert_eq!(
        lake.transaction_version(table, "nats").await.unwrap(),
        Some(41)
    );
}

#[tokio::test]
async fn a_model_is_overwritten_and_read_back_with_its_version() {
    let dir = tempfile::tempdir().unwrap();
    let root = lake_root_url(dir.path().to_str().unwrap()).unwrap();
    let lake = Lake::open(root, HashMap::new()).await.unwrap();
    assert!(lake.read_model("m").await.unwrap().is_none());
    let b = dimension_rows(&[("a", "x", 1.0), ("b", "y", 2.0)]);
    let sources: std::collections::BTreeMap<String, i64> = [
        ("workers".to_string(), 3),
        ("certifications".to_string(), 7),
    ]
    .into();
    let v1 = lake
        .write_model("m", b.schema(), vec![b.clone()], &sources)
        .await
        .unwrap();
    let stored = lake.read_model("m").await.unwrap().unwrap();
    assert_eq!(stored.source_versions, sources);
    let later: std::collections::BTreeMap<String, i64> = [("workers".to_string(), 4)].into();
    let v2 = lake
        .write_model("m", b.schema(), vec![b.slice(0, 1)], &later)
        .await
        .unwrap();
    assert_eq!(v2, v1 + 1);
    let stored = lake.read_model("m").await.unwrap().unwrap();
    assert_eq!(stored.version, v2);
    assert_eq!(
        stored.batches.iter().map(|b| b.num_rows()).sum::<usize>(),
        1
    );
    // The versions of the current version of the model, not of an older one.
    assert_eq!(stored.source_versions, later);
    // A model never materialised has nothing, versions included.
    assert!(lake.read_model("never").await.unwrap().is_none());
}

/// A model refreshed a hundred times gets its checkpoint at version 99 in the background,
/// not in the commit; `checkpoint` (maintenance) writes one at the current version,
/// once, and the table read back from it holds the last rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_follows_every_hundredth_version() {
    let dir = tempfile::tempdir().unwrap();
    let root = lake_root_url(dir.path().to_str().unwrap()).unwrap();
    let lake = Lake::open(root, HashMap::new()).await.unwrap();
    let b = dimension_rows(&[("a", "x", 1.0), ("b", "y", 2.0), ("c", "z", 3.0)]);
    let none = std::collections::BTreeMap::new();
    let mut last = 0;
    // Versions 0 to 98.
    for i in 0..99 {
        let rows = b.slice(0, 1 + i % 3);
        last = lake
            .write_model("m", b.schema(), vec![rows], &none)
            .await
            .unwrap();
    }
    assert_eq!(last, 98);
    let log = dir.path().join("models/m/_delta_log");
    let checkpoints = || -> Vec<String> {
        let mut names: Vec<String> = (std::fs::read_dir(&log).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("checkpoint.parquet"))
            .collect();
        names.sort();
        names
    };
    assert_eq!(checkpoints(), Vec::<String>::new());
    // The hundredth version (99): its checkpoint follows the commit.
    let v99 = b.slice(0, 2);
    assert_eq!(
        lake.write_model("m", b.schema(), vec![v99], &none)
            .await
            .unwrap(),
        99
    );
    let want = vec!["00000000000000000099.checkpoint.parquet".to_string()];
    let waited = std::time::Instant::now();
    while checkpoints() != want {
        assert!(
            waited.elapsed().as_secs() < 30,
            "no checkpoint: {:?}",
            checkpoints()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let url = lake.model_url("m").unwrap();
    assert!(
        !lake.checkpoint(&url).await.unwrap(),
        "one at version 99 already"
    );
    let v100 = b.slice(0, 3);
    lake.write_model("m", b.schema(), vec![v100], &none)
        .await
        .unwrap();
    assert!(lake.checkpoint(&url).await.unwrap());
    assert_eq!(
        checkpoints().last().unwrap(),
        "00000000000000000100.checkpoint.parquet"
    );
    let stored = lake.read_model("m").await.unwrap().unwrap();
    assert_eq!(stored.version, 100);
    assert_eq!(
        stored.batches.iter().map(|b| b.num_rows()).sum::<usize>(),
        3
    );
    // Expiring the logs of versions older than no time: everything before the
    // checkpoint at 100 goes (commits 0 to 99 and the checkpoint at 99: 101 files), and
    // the table reads as before.
    let commits = || -> usize {
        (std::fs::read_dir(&log).unwrap())
            .filter(|e| (e.as_ref().unwrap().file_name().to_string_lossy()).ends_with(".json"))
            .count()
    };
    assert_eq!(commits(), 101);
    let expired = lake.expire_logs(&url, Some(chrono::Duration::zero())).await;
    assert_eq!(expired.unwrap(), 101);
    assert_eq!(commits(), 1);
    assert_eq!(checkpoints(), ["00000000000000000100.checkpoint.parquet"]);
    let again = lake.read_model("m").await.unwrap().unwrap();
    assert_eq!(again.version, 100);
    assert_same_rows(&again.batches, &stored.batches);
    // With the table's own retention (30 days) nothing is old enough.
    assert_eq!(lake.expire_logs(&url, None).await.unwrap(), 0);
    // A table never written has nothing to checkpoint.
    assert!(
        !lake
            .checkpoint(&lake.model_url("never").unwrap())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_source_that_fails_midway_commits_nothing_and_leaves_its_keys_unclaimed() {
    let dir = tempfile::tempdir().unwrap();
    let root = lake_root_url(dir.path().to_str().unwrap()).unwrap();
    let lake = Lake::open(root, HashMap::new()).await.unwrap();
    let table = Table::AssessmentDimensionScores;
    let before = lake.version(table).await.unwrap();
    let good = dimension_rows(&[("e1", "D1", 1.0), ("e2", "D1", 2.0)]);
    let failing: super::Source = Box::new(
        vec![
            Ok(good.clone()),
            Err(skillbrain_connectors::Error::BadValue {
                file: "f.csv".into(),
                line: 7,
                column: "score".into(),
                reason: "not a number".into(),
            }),
        ]
        .into_iter(),
    );
    let err = lake.append_stream(table, failing, None).await.unwrap_err();
    assert!(
        err.to_string().contains("f.csv: line 7, column 'score'"),
        "{err}"
    );
    assert_eq!(lake.version(table).await.unwrap(), before, "no commit");
    assert_eq!(count(&lake, table).await, 0);

    let out = lake.append(table, vec![good], None).await.unwrap();
    assert_eq!(
        (out.accepted, out.duplicates),
        (2, 0),
        "the rows were never stored"
    );
}

#[tokio::test]
async fn many_batches_land_in_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let root = lake_root_url(dir.path().to_str().unwrap()).unwrap();
    let lake = Lake::open(root, HashMap::new()).await.unwrap();
    let table = Table::AssessmentDimensionScores;
    let before = lake.version(table).await.unwrap();
    let ids: Vec<String> = (0..50).map(|i| format!("e{i}")).collect();
    let batches: Vec<RecordBatch> = ids
        .chunks(5)
        .map(|c| {
            let rows: Vec<(&str, &str, f64)> =
                c.iter().map(|id| (id.as_str(), "D1", 1.0)).collect();
            dimension_rows(&rows)
        })
        .collect();
    let out = lake.append(table, batches, None).await.unwrap();
    assert_eq!(out.accepted, 50);
    assert_eq!(out.version, before + 1);
    assert_eq!(count(&lake, table).await, 50);
}

/// The same rows, in any order (as their debug text, sorted).
fn assert_same_rows(a: &[RecordBatch], b: &[RecordBatch]) {
    let rows = |batches: &[RecordBatch]| -> Vec<String> {
        let text = arrow::util::pretty::pretty_format_batches(batches)
            .unwrap()
            .to_string();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(rows(a), rows(b));
}
