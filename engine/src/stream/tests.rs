//! Streaming on a real lake in a temporary folder, with the real models of `queries/`:
//! incremental models against full recomputes after many small commits, refreshing
//! only what is downstream, compaction keeping every row, replay as of a version.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, RecordBatch, StringArray};
use arrow::compute::concat_batches;
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use skillbrain_connectors::Table;
use skillbrain_datasets::generate::{Format, GenerateOptions, generate};
use skillbrain_datasets::reference::Reference;

use crate::cli::Context;
use crate::config::Config;
use crate::lake::AsOf;
use crate::store::{ModelStore, RefreshMode};
use crate::stream::Refresher;
use crate::stream::StreamOptions;
use crate::stream::maintain::maintain_once;

/// A generated city (Parquet, one file per table) in `dir`.
fn city(dir: &Path, workers: u64, assessments: u64) -> PathBuf {
    let out = dir.join("city");
    let options = GenerateOptions {
        workers,
        seed: 7,
        out: out.clone(),
        format: Format::Parquet,
        assessments: Some(assessments),
        progress: false,
    };
    generate(&options, &Reference::embedded()).unwrap();
    out
}

fn read(city: &Path, table: Table) -> Vec<RecordBatch> {
    let file = std::fs::File::open(city.join(format!("{}.parquet", table.name()))).unwrap();
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .with_batch_size(8192)
        .build()
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// `batches` cut into pieces of `rows` rows.
fn pieces(batches: &[RecordBatch], rows: usize) -> Vec<RecordBatch> {
    let all = concat_batches(&batches[0].schema(), batches).unwrap();
    (0..all.num_rows())
        .step_by(rows)
        .map(|i| all.slice(i, rows.min(all.num_rows() - i)))
        .collect()
}

async fn context(dir: &Path) -> Context {
    let mut config = Config::load(None).unwrap();
    config.lake_url = dir.join("lake").to_string_lossy().into_owned();
    config.queries_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../queries");
    config.engine.target_partitions = 2;
    Context::open_config(config).await.unwrap()
}

/// A value as compared: floats apart, everything else as displayed.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Cell {
    Float(f64),
    Text(String),
    Null,
}

/// Every row of a model's batches, keyed by its grain columns.
fn keyed(batches: &[RecordBatch], grain: &[String]) -> BTreeMap<String, Vec<(String, Cell)>> {
    let mut out = BTreeMap::new();
    let options = FormatOptions::default();
    for batch in batches {
        let schema = batch.schema();
        let formatters: Vec<_> = (batch.columns().iter())
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            let mut key = Vec::new();
            let mut cells = Vec::new();
            for (i, field) in schema.fields().iter().enumerate() {
                let column = batch.column(i);
                let cell = if column.is_null(row) {
                    Cell::Null
                } else if matches!(field.data_type(), DataType::Float64 | DataType::Float32) {
                    let text = formatters[i].value(row).to_string();
                    Cell::Float(text.parse().unwrap())
                } else {
                    Cell::Text(formatters[i].value(row).to_string())
                };
                if grain.contains(field.name()) {
                    key.push(format!("{cell:?}"));
                }
                cells.push((field.name().clone(), cell));
            }
            assert!(
                out.insert(key.join("|"), cells).is_none(),
                "grain not unique"
            );
        }
    }
    out
}

/// Asserts two results of a model hold the same rows: floats to 1e-9 relative.
fn assert_same(name: &str, grain: &[String], got: &[RecordBatch], want: &[RecordBatch]) {
    let (got, want) = (keyed(got, grain), keyed(want, grain));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{name}: not the same groups"
    );
    for (key, row) in &want {
        for ((column, g), (_, w)) in got[key].iter().zip(row) {
            let same = match (g, w) {
                (Cell::Float(a), Cell::Float(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1e-9),
                _ => g == w,
            };
            assert!(
                same,
                "{name} {key} {column}: incremental {g:?}, recomputed {w:?}"
            );
        }
    }
}

/// The sum of `assessment_activity.assessments` in `store`.
fn assessments_counted(store: &ModelStore) -> i64 {
    let activity = store.get("assessment_activity").unwrap();
    (activity.batches.iter())
        .map(|b| {
            let i = b.schema().index_of("assessments").unwrap();
            let c = b.column(i).as_any();
            let c = c.downcast_ref::<arrow::array::Int64Array>().unwrap();
            c.iter().map(|v| v.unwrap()).sum::<i64>()
        })
        .sum()
}

/// Recomputes every model from the lake in a fresh session, into a fresh store.
async fn recompute(ctx: &Context) -> ModelStore {
    let store = ModelStore::new();
    let session = ctx.session().await.unwrap();
    ctx.pipeline
        .run(&session, &ctx.lake, &store, false, &Default::default())
        .await
        .unwrap();
    store
}

async fn land_all_but_assessments(ctx: &Context, city: &Path) {
    for table in Table::ALL {
        if table != Table::AssessmentResults {
            ctx.lake
                .append(table, read(city, table), None)
                .await
                .unwrap();
        }
    }
}

async fn refresher(ctx: &Context) -> Refresher {
    let mut refresher = Refresher::new(
        &ctx.config,
        ctx.lake.clone(),
        &ctx.reference,
        ctx.pipeline.clone(),
        ctx.store.clone(),
        None,
    )
    .await
    .unwrap();
    refresher.rebuild_incremental().await.unwrap();
    refresher
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_models_equal_a_full_recompute_after_many_small_commits() {
    let dir = tempfile::tempdir().unwrap();
    let city = city(dir.path(), 200, 2_000);
    let ctx = context(dir.path()).await;
    land_all_but_assessments(&ctx, &city).await;
    let assessments = pieces(&read(&city, Table::AssessmentResults), 70);
    // A first part is there before the refresher starts.
    let (before, after) = assessments.split_at(5);
    ctx.lake
        .append(Table::AssessmentResults, before.to_vec(), None)
        .await
        .unwrap();
    let mut commits = ctx.lake.subscribe();
    let mut refresher = refresher(&ctx).await;
    let described = refresher.modes();
    let modes: HashMap<String, RefreshMode> = (described.iter())
        .map(|(name, mode, _)| (name.clone(), *mode))
        .collect();
    assert_eq!(
        modes["assessment_activity"],
        RefreshMode::Incremental,
        "{described:?}"
    );
    assert_eq!(modes["talent_stock"], RefreshMode::Incremental);
    let incremental: Vec<String> = (modes.iter())
        .filter(|(_, m)| **m == RefreshMode::Incremental)
        .map(|(n, _)| n.clone())
        .collect();

    // Many small commits, a refresh after every few; some rows sent twice.
    for (i, piece) in after.iter().enumerate() {
        let mut batches = vec![piece.clone()];
        if i % 4 == 1 {
            batches.push(after[i - 1].clone());
        }
        ctx.lake
            .append(Table::AssessmentResults, batches, None)
            .await
            .unwrap();
        if i % 3 == 2 || i + 1 == after.len() {
            while let Ok(c) = commits.try_recv() {
                refresher.note(Ok(c));
            }
            let done = refresher.refresh().await.unwrap();
            let names: Vec<&str> = done.models.iter().map(|(r, _)| r.model.as_str()).collect();
            assert!(names.contains(&"assessment_activity"), "{names:?}");
            assert!(!names.contains(&"competition_results"), "{names:?}");
        }
    }

    let full = recompute(&ctx).await;
    for name in &incremental {
        let model = (ctx.pipeline.models.iter())
            .find(|m| &m.name == name)
            .unwrap();
        let got = ctx.store.get(name).unwrap();
        assert_eq!(got.refresh_mode, RefreshMode::Incremental);
        let want = full.get(name).unwrap();
        assert_same(name, &model.grain, &got.batches, &want.batches);
    }
    // And the sum of the counts is every assessment once, counted apart from the engine.
    let stored: usize = read(&city, Table::AssessmentResults)
        .iter()
        .map(RecordBatch::num_rows)
        .sum();
    let counted = assessments_counted(&ctx.store);
    assert_eq!(counted as usize, stored);
}

/// New versions of `count` workers from `offset` on: moved to the region of the worker
/// `count` rows further, on another position, `seconds` after their latest version.
fn moved_workers(workers: &RecordBatch, offset: usize, count: usize, seconds: i64) -> RecordBatch {
    use arrow::array::TimestampMicrosecondArray;
    let schema = workers.schema();
    let n = workers.num_rows();
    let rows = workers.slice(offset % (n - 2 * count), count);
    let regions = workers.slice(offset % (n - 2 * count) + count, count);
    let columns = (schema.fields().iter().enumerate())
        .map(|(i, f)| -> Arc<dyn Array> {
            match f.name().as_str() {
                "region_code" => regions.column(i).clone(),
                "position" => Arc::new(StringArray::from(vec!["调岗"; count])),
                "updated_at" => {
                    let at = rows.column(i).as_any();
                    let at = at.downcast_ref::<TimestampMicrosecondArray>().unwrap();
                    Arc::new(
                        at.iter()
                            .map(|t| t.map(|t| t + seconds * 1_000_000))
                            .collect::<TimestampMicrosecondArray>()
                            .with_timezone("UTC"),
                    )
                }
                _ => rows.column(i).clone(),
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_incremental_model_follows_commits_to_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let city = city(dir.path(), 200, 1_500);
    let ctx = context(dir.path()).await;
    // Half of each event table first; the rest comes in small commits.
    let mut rest: HashMap<Table, Vec<RecordBatch>> = HashMap::new();
    for table in Table::ALL {
        let rows = read(&city, table);
        if matches!(table, Table::Workers | Table::Enterprises) {
            ctx.lake.append(table, rows, None).await.unwrap();
            continue;
        }
        // About 20 later pieces of each table.
        let total: usize = rows.iter().map(RecordBatch::num_rows).sum();
        let all = pieces(&rows, (total / 40).max(1));
        let (first, later) = all.split_at(all.len() / 2);
        ctx.lake.append(table, first.to_vec(), None).await.unwrap();
        rest.insert(table, later.to_vec());
    }
    let mut commits = ctx.lake.subscribe();
    let mut refresher = refresher(&ctx).await;
    let modes: HashMap<String, RefreshMode> = (refresher.modes().into_iter())
        .map(|(name, mode, _)| (name, mode))
        .collect();
    for name in [
        "talent_stock",
        "stg_workers",
        "talent_gap",
        "competition_results",
    ] {
        assert_eq!(modes[name], RefreshMode::Incremental, "{name}");
    }
    let workers = concat_batches(&Table::Workers.schema(), &read(&city, Table::Workers)).unwrap();
    let mut step = 0;
    while rest.values().any(|r| !r.is_empty()) {
        step += 1;
        for (table, later) in rest.iter_mut() {
            if let Some(piece) = later.pop() {
                // Now and then a piece twice: stored once.
                let mut batches = vec![piece.clone()];
                if step % 5 == 0 {
                    batches.push(piece);
                }
                ctx.lake.append(*table, batches, None).await.unwrap();
            }
        }
        if step % 3 == 0 {
            let moved = moved_workers(&workers, step * 7, 4, step as i64);
            ctx.lake
                .append(Table::Workers, vec![moved], None)
                .await
                .unwrap();
        }
        if step % 2 == 0 {
            while let Ok(c) = commits.try_recv() {
                refresher.note(Ok(c));
            }
            refresher.refresh().await.unwrap();
        }
    }
    while let Ok(c) = commits.try_recv() {
        refresher.note(Ok(c));
    }
    refresher.refresh().await.unwrap();
    let full = recompute(&ctx).await;
    for (name, mode) in &modes {
        if *mode != RefreshMode::Incremental {
            continue;
        }
        let model = (ctx.pipeline.models.iter())
            .find(|m| &m.name == name)
            .unwrap();
        let got = ctx.store.get(name).unwrap();
        assert_eq!(got.refresh_mode, RefreshMode::Incremental, "{name}");
        let want = full.get(name).unwrap();
        assert!(want.rows() > 0, "{name} has no rows to compare");
        assert_same(name, &model.grain, &got.batches, &want.batches);
    }
}

/// One measurement mark of a new competition for `contestant`.
fn one_score(schema: arrow::datatypes::SchemaRef, contestant: &str) -> RecordBatch {
    use arrow::array::{Float64Array, Int32Array, TimestampMicrosecondArray};
    let text = |v: &str| Arc::new(StringArray::from(vec![v])) as Arc<dyn Array>;
    RecordBatch::try_new(
        schema,
        vec![
            text("s1"),
            text("C-LIVE"),
            text("V1"),
            text(contestant),
            Arc::new(Int32Array::from(vec![1])),
            text("A"),
            text("A1"),
            text("M"),
            Arc::new(StringArray::from(vec![None::<&str>])),
            Arc::new(Float64Array::from(vec![2.5])),
            Arc::new(Float64Array::from(vec![5.0])),
            Arc::new(
                TimestampMicrosecondArray::from(vec![1_780_000_000_000_000]).with_timezone("UTC"),
            ),
        ],
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_refreshes_only_the_models_downstream_of_its_table() {
    let dir = tempfile::tempdir().unwrap();
    let city = city(dir.path(), 100, 500);
    let ctx = context(dir.path()).await;
    land_all_but_assessments(&ctx, &city).await;
    ctx.lake
        .append(
            Table::AssessmentResults,
            read(&city, Table::AssessmentResults),
            None,
        )
        .await
        .unwrap();
    let mut commits = ctx.lake.subscribe();
    let mut refresher = refresher(&ctx).await;

    // One new score of a new competition.
    let schema = Table::CompetitionScores.schema();
    let contestant = {
        let workers = read(&city, Table::Workers);
        let ids = workers[0].column(0).as_any();
        ids.downcast_ref::<StringArray>()
            .unwrap()
            .value(0)
            .to_owned()
    };
    let batch = one_score(schema, &contestant);
    ctx.lake
        .append(Table::CompetitionScores, vec![batch], None)
        .await
        .unwrap();
    while let Ok(c) = commits.try_recv() {
        refresher.note(Ok(c));
    }
    let done = refresher.refresh().await.unwrap();
    let mut names: Vec<&str> = done.models.iter().map(|(r, _)| r.model.as_str()).collect();
    names.sort();
    // By hand from the models' `from` clauses: competition_scores feeds the view
    // stg_competition_scores, which competition_marks, judge_bias, judge_consistency
    // and talent_db read; competition_results reads competition_marks, talent_db reads
    // competition_results, and enterprise_skill_structure reads talent_db.
    let want = [
        "competition_marks",
        "competition_results",
        "enterprise_skill_structure",
        "judge_bias",
        "judge_consistency",
        "talent_db",
    ];
    assert_eq!(names, want, "{names:?}");
    assert_eq!(
        done.tables.iter().collect::<Vec<_>>(),
        ["competition_scores"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_and_vacuum_keep_every_row_and_every_result() {
    let dir = tempfile::tempdir().unwrap();
    let city = city(dir.path(), 100, 1_000);
    let ctx = context(dir.path()).await;
    land_all_but_assessments(&ctx, &city).await;
    for piece in pieces(&read(&city, Table::AssessmentResults), 40) {
        ctx.lake
            .append(Table::AssessmentResults, vec![piece], None)
            .await
            .unwrap();
    }
    let files = |table: &str| -> usize {
        std::fs::read_dir(dir.path().join("lake").join(table))
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().ends_with(".parquet")
            })
            .count()
    };
    let before_files = files("assessment_results");
    assert!(before_files >= 25, "{before_files} files");
    let before = recompute(&ctx).await;
    let models: Vec<String> = before.list().iter().map(|s| s.name.clone()).collect();
    let options = StreamOptions {
        compact_min_files: 10,
        retention: chrono::Duration::zero(),
        model_retention: chrono::Duration::zero(),
        ..StreamOptions::from_config(&ctx.config)
    };
    let done = maintain_once(&ctx.lake, &models, &options).await.unwrap();
    assert!(done.compacted >= 1, "{done:?}");
    assert!(done.files_deleted >= before_files, "{done:?}");
    // Every model table got a checkpoint of its version; the next run has none to make.
    assert_eq!(done.checkpoints, models.len(), "{done:?}");
    let again = maintain_once(&ctx.lake, &models, &options).await.unwrap();
    assert_eq!(again.checkpoints, 0, "{again:?}");
    for name in &models {
        let stored = ctx.lake.read_model(name).await.unwrap().unwrap();
        let published = before.get(name).unwrap();
        assert_eq!(stored.version, published.version, "{name}");
        assert_same(name, &published.grain, &stored.batches, &published.batches);
    }
    let after_files = files("assessment_results");
    assert!(after_files < 5, "{after_files} files after compaction");
    let after = recompute(&ctx).await;
    for model in ctx.table_models() {
        assert_same(
            &model.name,
            &model.grain,
            &after.get(&model.name).unwrap().batches,
            &before.get(&model.name).unwrap().batches,
        );
    }
    let rows: usize = read(&city, Table::AssessmentResults)
        .iter()
        .map(RecordBatch::num_rows)
        .sum();
    let counted = ctx
        .sql("select count(*) as n, count(distinct event_id) as d from assessment_results")
        .await
        .unwrap();
    let n = counted[0].column(0).as_any();
    let n = n
        .downcast_ref::<arrow::array::Int64Array>()
        .unwrap()
        .value(0);
    let d = counted[0].column(1).as_any();
    let d = d
        .downcast_ref::<arrow::array::Int64Array>()
        .unwrap()
        .value(0);
    assert_eq!((n as usize, d as usize), (rows, rows));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_rebuilds_the_models_as_of_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let city = city(dir.path(), 100, 600);
    let ctx = context(dir.path()).await;
    land_all_but_assessments(&ctx, &city).await;
    let all = pieces(&read(&city, Table::AssessmentResults), 200);
    // Version 0 is the empty table; 1, 2 and 3 each add 200 rows.
    for piece in &all {
        ctx.lake
            .append(Table::AssessmentResults, vec![piece.clone()], None)
            .await
            .unwrap();
    }
    let reports = ctx.replay(AsOf::Version(1)).await.unwrap();
    assert!(reports.iter().any(|r| r.model == "assessment_activity"));
    let counted = assessments_counted(&ctx.store);
    assert_eq!(counted, 200, "as of version 1: the first 200 rows");
    // The other tables were written once (version 1): as of version 2 is an error
    // naming the first table that has no such version.
    let error = ctx.replay(AsOf::Version(2)).await.unwrap_err().to_string();
    assert!(error.contains("has versions 0 to 1 only"), "{error}");
}

/// `(event_id, worker_id, position, total_score)` of an assessment.
type Assessment<'a> = (&'a str, &'a str, Option<&'a str>, f64);

/// Assessments of [`Assessment`]s; the other columns fixed.
fn assessments(rows: &[Assessment]) -> RecordBatch {
    use arrow::array::{BooleanArray, Float64Array, Int32Array, TimestampMicrosecondArray};
    let schema = Table::AssessmentResults.schema();
    let n = rows.len();
    let text = |f: &dyn Fn(&Assessment) -> Option<String>| {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>())) as Arc<dyn Array>
    };
    let fixed = |v: &str| Arc::new(StringArray::from(vec![v; n])) as Arc<dyn Array>;
    let columns: Vec<Arc<dyn Array>> = schema
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            "event_id" => text(&|r| Some(r.0.to_string())),
            "assessment_id" => text(&|r| Some(r.0.to_string())),
            "worker_id" => text(&|r| Some(r.1.to_string())),
            "position" => text(&|r| r.2.map(str::to_string)),
            "total_score" => {
                Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.3))) as _
            }
            "max_score" => Arc::new(Float64Array::from(vec![100.0; n])) as _,
            "level_attempted" => Arc::new(Int32Array::from(vec![3; n])) as _,
            "passed" => Arc::new(BooleanArray::from(vec![true; n])) as _,
            "taken_at" => Arc::new(
                TimestampMicrosecondArray::from(vec![1_780_000_000_000_000; n])
                    .with_timezone("UTC"),
            ) as _,
            "channel" => fixed("mobile"),
            "occupation_code" => fixed("6-31-01-03"),
            _ => fixed("x"),
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

/// An aggregate with `count(distinct …)`, kept incrementally over batches, against the
/// counts worked out by hand (a NULL position is a group of its own), and a global one.
#[tokio::test]
async fn count_distinct_is_kept_incrementally() {
    use crate::stream::dataflow::{Changes, Dataflow, Delta, TableKind};
    let ctx = datafusion::prelude::SessionContext::new();
    let schema = Table::AssessmentResults.schema();
    let first = assessments(&[
        ("e1", "w1", Some("装配"), 60.0),
        ("e2", "w1", Some("装配"), 80.0),
        ("e3", "w2", Some("装配"), 70.0),
        ("e4", "w3", None, 50.0),
    ]);
    let table =
        datafusion::datasource::MemTable::try_new(schema.clone(), vec![vec![first]]).unwrap();
    ctx.register_table("assessment_results", Arc::new(table))
        .unwrap();
    let grouped = "select position, count(distinct worker_id) as workers, count(*) as n, \
                   avg(total_score) as mean from assessment_results group by position";
    let global = "select count(distinct worker_id) as workers, sum(total_score) as total \
                  from assessment_results";
    let kinds = HashMap::from([("assessment_results".to_string(), TableKind::Events)]);
    let mut models = Vec::new();
    for sql in [grouped, global] {
        let plan = ctx.sql(sql).await.unwrap().into_optimized_plan().unwrap();
        let mut model = Dataflow::analyse(&plan, &ctx, &kinds).unwrap();
        model.rebuild(&ctx).await.unwrap();
        models.push(model);
    }
    // w1 again and a new w4 as 装配; w3 again with no position.
    let second = assessments(&[
        ("e5", "w1", Some("装配"), 90.0),
        ("e6", "w4", Some("装配"), 100.0),
        ("e7", "w3", None, 30.0),
    ]);
    let changes = Changes::from([(
        "assessment_results".to_string(),
        vec![Delta::inserts(second)],
    )]);
    let grouped_rows = models[0].apply(&ctx, &changes).await.unwrap();
    let global_rows = models[1].apply(&ctx, &changes).await.unwrap();
    let mut got: Vec<String> = keyed(&grouped_rows, &["position".to_string()])
        .into_values()
        .map(|row| format!("{row:?}"))
        .collect();
    got.sort();
    // 装配: workers w1, w2, w4 = 3; rows 5; mean (60 + 80 + 70 + 90 + 100) / 5 = 80.
    // NULL position: w3 = 1 worker; rows 2; mean (50 + 30) / 2 = 40.
    let want = [
        r#"[("position", Null), ("workers", Text("1")), ("n", Text("2")), ("mean", Float(40.0))]"#,
        r#"[("position", Text("装配")), ("workers", Text("3")), ("n", Text("5")), ("mean", Float(80.0))]"#,
    ];
    assert_eq!(got, want);
    // All: w1 … w4 = 4 workers; total 60 + 80 + 70 + 50 + 90 + 100 + 30 = 480.
    let all = keyed(&global_rows, &[]);
    let row = all.values().next().unwrap();
    assert_eq!(
        format!("{row:?}"),
        r#"[("workers", Text("4")), ("total", Float(480.0))]"#
    );
}

#[test]
fn a_slow_model_waits_four_times_its_refresh_time() {
    use crate::stream::refresh::defer;
    use std::time::Duration;
    // Models up to the threshold (2.5 s here) never wait.
    assert!(!defer(2.4, Duration::ZERO, 2.5));
    // A 3 s model waits 12 s after its last refresh, then goes.
    assert!(defer(3.0, Duration::from_secs(11), 2.5));
    assert!(!defer(3.0, Duration::from_secs(12), 2.5));
}

/// What a model reads, as the pipeline keeps it.
fn reads(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// The refresh order: `b` reads `a`; `c` reads only tables. With `a` slow, `c` goes
/// before it; `b` still after `a`. With no timings yet, the given order is kept.
#[test]
fn quick_models_are_refreshed_before_slow_ones_they_do_not_read() {
    use crate::stream::refresh::quickest_first;
    let (a, b, c) = (
        reads(&["assessment_results"]),
        reads(&["a"]),
        reads(&["workers"]),
    );
    let models: Vec<(&str, &[String])> = vec![("a", &a), ("b", &b), ("c", &c)];
    let cost = |name: &str| match name {
        "a" => 1.2,
        "b" => 0.1,
        _ => 0.3,
    };
    assert_eq!(quickest_first(&models, cost), vec![2, 0, 1]);
    assert_eq!(quickest_first(&models, |_| 0.0), vec![0, 1, 2]);
    // A model read by a quick one comes first even when it is slow.
    let (d, e) = (reads(&["c"]), reads(&[]));
    let models: Vec<(&str, &[String])> = vec![("c", &c), ("d", &d), ("e", &e)];
    let cost = |name: &str| if name == "c" { 5.0 } else { 0.1 };
    assert_eq!(quickest_first(&models, cost), vec![2, 0, 1]);
}

/// Which models get a lane of their own: `big` (rows 300 > 100) is read by nothing;
/// `wide` is as large but `reader` reads it; `small` is read by nothing but holds 50
/// rows; `unknown` has never been published. A threshold of 0 turns the lane off.
#[test]
fn only_large_models_nothing_reads_get_a_lane_of_their_own() {
    use crate::stream::refresh::large_leaves;
    let (tables, wide) = (reads(&["assessment_results"]), reads(&["wide"]));
    let models: Vec<(&str, &[String])> = vec![
        ("big", &tables),
        ("wide", &tables),
        ("reader", &wide),
        ("small", &tables),
        ("unknown", &tables),
    ];
    let rows = |name: &str| match name {
        "big" | "wide" => Some(300),
        "reader" => Some(1_000),
        "small" => Some(50),
        _ => None,
    };
    let large = large_leaves(&models, rows, 100);
    assert_eq!(large, ["big".to_string(), "reader".to_string()].into());
    // Exactly at the threshold is not more than it.
    assert_eq!(
        large_leaves(&models, rows, 300),
        ["reader".to_string()].into()
    );
    assert!(large_leaves(&models, rows, 0).is_empty());
}
