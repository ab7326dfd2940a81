//! The models' sqllogictest files: `queries/<layer>/<name>.slt`, run by the
//! [`sqllogictest`] crate against DataFusion.
//!
//! # The contract model authors rely on
//!
//! - Every model `queries/<layer>/<name>.sql` has `queries/<layer>/<name>.slt` beside it.
//!   A unit test in the engine (`cargo test -p skillbrain-engine slt`) finds every `.slt`
//!   under the queries dir (the crate's `../queries`), runs each file in a fresh
//!   DataFusion `SessionContext`, and fails naming the file, the record's line and the
//!   difference; it also fails if a model has no `.slt` file (listing them all), so every
//!   model must have one.
//! - In that context: the reference tables `ref_regions`, `ref_occupations`,
//!   `ref_skill_levels`, `ref_dimensions`, `ref_courses` (and any other CSV the engine's
//!   built-in reference data holds) are registered by the same code as in the real
//!   session ([`reference_tables`](super::reference_tables)), so they hold the real rows;
//!   every canonical table (`skillbrain_connectors::Table::ALL`, with its canonical
//!   schema) is registered as an EMPTY in-memory table that accepts
//!   `insert into <table> values (...)` (and `delete from <table> where ...`); then every
//!   model of the pipeline ([`Pipeline::load`] on the queries dir), whatever its
//!   `materialized`, is registered as a view in dependency order, so that a query reads
//!   the fixtures inserted before it. Views read their tables when queried, not when
//!   registered: rows inserted at any point are seen by every later query, and inserts
//!   accumulate through the file (`delete from <table>` starts a table again).
//! - Insert a value for every column of a table, in the canonical order
//!   (`connectors/src/schema.rs`), or name the columns
//!   (`insert into workers (worker_id, region_code, occupation_code, updated_at) values …`);
//!   columns left out are NULL, and a NULL in a column the lake never holds empty (an ID,
//!   a code, a time, a score) fails the insert, as it would fail ingestion.
//! - Timestamps in fixtures: the time columns are `Timestamp(µs, "UTC")` and a string
//!   literal is cast on insert, so
//!   `insert into assessment_results values (..., '2026-03-01T08:00:00Z', ...)` works.
//!   So do `'2026-03-01T08:00:00'` and `'2026-03-01 08:00:00'` (read as UTC),
//!   `'2026-03-01T16:00:00+08:00'` (converted to 08:00 UTC), `'2026-03-01'` (midnight
//!   UTC) and `timestamp '2026-03-01 08:00:00'`. Integers, decimals and strings are cast to
//!   the column's type the same way (`80` into a `Float64` score, `3` into an `Int32`
//!   level).
//! - Results are compared as sqllogictest does, with its default validator: each row's
//!   values are joined by one space, white space is collapsed, and the lines are compared
//!   in order. Write `query <types> rowsort` unless the query has an `order by`: it sorts
//!   the actual rows (column by column, as text, so `10` comes before `9` and `mentors`
//!   before `mentorship_pairs`) but not the expected ones, so write the expected rows in
//!   that order. The type letters are not checked; by convention `T` text,
//!   `I` integer, `R` float or decimal, `B` boolean, `D` date or time. Values are printed
//!   so that they can be written by hand:
//!   - every float (`Float16/32/64`) and decimal is rounded to exactly 4 decimals:
//!     `0.5` → `0.5000`, `2` → `2.0000`, `2/3` → `0.6667`, `-0.00001` → `0.0000`;
//!     `NaN`, `Infinity`, `-Infinity` as written;
//!   - NULL → `NULL`; the empty string → `(empty)`; booleans `true` / `false`;
//!   - `Timestamp(µs, "UTC")` → `2026-03-01T08:00:00Z` (fractional seconds only when
//!     not zero), a timestamp without time zone → `2026-03-01T08:00:00`, a date →
//!     `2026-03-01`; everything else as Arrow displays it.
//! - A `statement ok` may be any SQL; `statement count N` checks the rows an insert or
//!   delete touched; `statement error <regex>` and `query error <regex>` check a
//!   failure. Every sqllogictest record works (`halt`, `skipif`, `include`, …), but
//!   there is no `--complete`: write the expected rows from what the model is meant to
//!   compute.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt64Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use skillbrain_connectors::Table;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Record, Runner, TestError};

use super::session::{register_csv_text, source_names};
use super::{Pipeline, collect_files};
use crate::error::{Error, Result};

/// Decimals every float and decimal is rounded to in query results.
pub const FLOAT_DECIMALS: usize = 4;

/// What running every `.slt` file of a queries folder found.
#[derive(Debug, Default)]
pub struct SltReport {
    /// Every `.slt` file run, in path order.
    pub files: Vec<PathBuf>,
    /// Each file that failed, with the failure: its first failing record's line and the
    /// difference, or why the file could not run.
    pub failures: Vec<(PathBuf, String)>,
    /// Every model file without a `.slt` file beside it.
    pub missing: Vec<PathBuf>,
}

impl SltReport {
    /// Whether every file passed and every model has a file.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.missing.is_empty()
    }
}

impl std::fmt::Display for SltReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let failed = self.failures.len();
        writeln!(
            f,
            "{} .slt files, {} passed, {failed} failed",
            self.files.len(),
            self.files.len() - failed
        )?;
        for (file, failure) in &self.failures {
            writeln!(f, "\n{} failed:\n{failure}", file.display())?;
        }
        if !self.missing.is_empty() {
            writeln!(
                f,
                "\n{} models have no .slt file beside them:",
                self.missing.len()
            )?;
            for model in &self.missing {
                writeln!(f, "  {}", model.display())?;
            }
        }
        Ok(())
    }
}

/// Loads the pipeline under `root`, runs every `.slt` file there, each in a fresh
/// session, and lists the models without one. `reference` is
/// [`reference_tables`](super::reference_tables). An error means the pipeline itself
/// does not load (a bad header, a cycle); a failing file is in the report.
pub async fn run_all(root: &Path, reference: &[(String, String)]) -> Result<SltReport> {
    let pipeline = Pipeline::load(root, &source_names(reference))?;
    let mut report = SltReport {
        files: slt_files(root)?,
        missing: models_without_slt(&pipeline),
        ..SltReport::default()
    };
    for file in &report.files {
        if let Err(failure) = run_file(file, &pipeline, reference).await {
            report.failures.push((file.clone(), failure));
        }
    }
    Ok(report)
}

/// Runs one `.slt` file in a fresh [`session`]; the failure is rendered without colour:
/// the record's kind, SQL and difference, then `at <file>:<line>`.
pub async fn run_file(
    file: &Path,
    pipeline: &Pipeline,
    reference: &[(String, String)],
) -> std::result::Result<(), String> {
    let records = sqllogictest::parse_file(file).map_err(failure)?;
    run_records(records, pipeline, reference).await
}

/// Runs an `.slt` script given as text (named `name` in failures), as [`run_file`] does.
pub async fn run_script(
    name: &str,
    script: &str,
    pipeline: &Pipeline,
    reference: &[(String, String)],
) -> std::result::Result<(), String> {
    let records = sqllogictest::parse_with_name(script, name).map_err(failure)?;
    run_records(records, pipeline, reference).await
}

async fn run_records(
    records: Vec<Record<DefaultColumnType>>,
    pipeline: &Pipeline,
    reference: &[(String, String)],
) -> std::result::Result<(), String> {
    let ctx = session(pipeline, reference)
        .await
        .map_err(|e| format!("the session could not be set up: {e}"))?;
    let mut runner = Runner::new(move || {
        let ctx = ctx.clone();
        async move { Ok::<_, DataFusionError>(SltDb { ctx }) }
    });
    let outcome = runner.run_multi_async(records).await;
    runner.shutdown_async().await;
    outcome.map_err(failure)
}

/// A parse or test failure as text, without colour: what failed, then `at <file>:<line>`.
fn failure(e: impl Into<TestError>) -> String {
    e.into().display(false).to_string()
}

/// A session for one `.slt` file: the reference tables, an empty in-memory table per
/// canonical table, and every model as a view, in dependency order.
pub async fn session(
    pipeline: &Pipeline,
    reference: &[(String, String)],
) -> Result<SessionContext> {
    let state = SessionStateBuilder::new()
        .with_config(SessionConfig::new().with_information_schema(true))
        .with_default_features()
        .build();
    let ctx = SessionContext::new_with_state(state);
    for (name, text) in reference {
        register_csv_text(&ctx, name, text)?;
    }
    for table in Table::ALL {
        let empty = MemTable::try_new(table.schema(), vec![Vec::new()])?;
        ctx.register_table(table.name(), Arc::new(empty))?;
    }
    for model in &pipeline.models {
        let view = ctx.sql(&model.sql).await.map_err(|e| Error::Model {
            file: model.path.clone(),
            line: 0,
            reason: e.to_string(),
        })?;
        ctx.register_table(model.name.as_str(), view.into_view())?;
    }
    Ok(ctx)
}

/// Every `.slt` file under `root`, in path order.
pub fn slt_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    collect_files(root, "slt", &mut files)?;
    files.sort();
    Ok(files)
}

/// The model files of `pipeline` that have no `.slt` file beside them, in path order.
pub fn models_without_slt(pipeline: &Pipeline) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = pipeline
        .models
        .iter()
        .map(|m| m.path.clone())
        .filter(|sql| !sql.with_extension("slt").is_file())
        .collect();
    missing.sort();
    missing
}

/// One `.slt` file's connection: a DataFusion session.
struct SltDb {
    ctx: SessionContext,
}

#[async_trait::async_trait]
impl AsyncDB for SltDb {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    async fn run(
        &mut self,
        sql: &str,
    ) -> std::result::Result<DBOutput<Self::ColumnType>, Self::Error> {
        let df = self.ctx.sql(sql).await?;
        let plan = df.logical_plan().clone();
        let schema = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        match plan {
            LogicalPlan::Dml(_) | LogicalPlan::Copy(_) => {
                Ok(DBOutput::StatementComplete(rows_written(&batches)))
            }
            LogicalPlan::Ddl(_) | LogicalPlan::Statement(_) => Ok(DBOutput::StatementComplete(0)),
            _ => {
                let types = schema
                    .fields()
                    .iter()
                    .map(|f| column_type(f.data_type()))
                    .collect();
                let mut rows = Vec::new();
                for batch in &batches {
                    rows.extend(render(batch)?);
                }
                Ok(DBOutput::Rows { types, rows })
            }
        }
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "datafusion"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

/// The `count` an insert, delete or copy answers.
fn rows_written(batches: &[RecordBatch]) -> u64 {
    batches
        .iter()
        .filter_map(|b| b.column_by_name("count"))
        .filter_map(|c| c.as_any().downcast_ref::<UInt64Array>())
        .flat_map(|c| c.iter().flatten())
        .sum()
}

fn column_type(data_type: &DataType) -> DefaultColumnType {
    match data_type {
        t if t.is_integer() => DefaultColumnType::Integer,
        t if t.is_floating() || is_decimal(t) => DefaultColumnType::FloatingPoint,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DefaultColumnType::Text,
        _ => DefaultColumnType::Any,
    }
}

fn is_decimal(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..)
    )
}

/// Renders a batch's rows as the module documentation says.
fn render(batch: &RecordBatch) -> std::result::Result<Vec<Vec<String>>, DataFusionError> {
    let columns = batch
        .columns()
        .iter()
        .map(render_column)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((0..batch.num_rows())
        .map(|row| columns.iter().map(|c| c[row].clone()).collect())
        .collect())
}

fn render_column(column: &ArrayRef) -> std::result::Result<Vec<String>, DataFusionError> {
    let data_type = column.data_type();
    if data_type.is_floating() || is_decimal(data_type) {
        let floats = cast(column, &DataType::Float64)?;
        return Ok(floats
            .as_primitive::<Float64Type>()
            .iter()
            .map(|v| v.map_or_else(|| "NULL".to_owned(), format_float))
            .collect());
    }
    let options = FormatOptions::default().with_null("NULL");
    let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
    let is_text = matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    );
    Ok((0..column.len())
        .map(|i| {
            let text = formatter.value(i).to_string();
            if is_text && text.is_empty() {
                "(empty)".to_owned()
            } else {
                text
            }
        })
        .collect())
}

/// A float rounded to [`FLOAT_DECIMALS`] decimals; no negative zero.
pub fn format_float(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let text = format!("{value:.FLOAT_DECIMALS$}");
    match text.strip_prefix('-') {
        Some(magnitude) if magnitude.bytes().all(|b| b == b'0' || b == b'.') => {
            magnitude.to_owned()
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;
    use crate::pipeline::reference_tables;

    fn reference() -> Vec<(String, String)> {
        reference_tables(&Config::load(None).unwrap()).unwrap()
    }

    /// The contract's test: every `.slt` file of `queries/` passes and every model has one.
    #[tokio::test]
    async fn queries_slt_files_pass_and_every_model_has_one() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../queries")
            .canonicalize()
            .unwrap();
        let report = run_all(&root, &reference()).await.unwrap();
        assert!(report.passed(), "{report}");
        assert!(
            !report.files.is_empty(),
            "no .slt file under {}",
            root.display()
        );
    }

    /// A queries folder of two models: a view over `workers` and a table reading it.
    fn tiny_queries() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "staging/stg_w.sql",
            "-- name: stg_w\n-- description: d\n-- grain: worker_id\n-- materialized: view\n\
             select worker_id, region_code, birth_year, updated_at from workers\n",
        );
        write(
            "talent/by_region.sql",
            "-- name: by_region\n-- description: d\n-- grain: region_code\n\
             select region_code, count(*) as workers, avg(birth_year) as mean_birth_year,\n\
             max(updated_at) as last_update from stg_w group by region_code\n",
        );
        dir
    }

    async fn run(script: &str) -> std::result::Result<(), String> {
        let dir = tiny_queries();
        let reference = reference();
        let pipeline = Pipeline::load(dir.path(), &source_names(&reference)).unwrap();
        run_script("case.slt", script, &pipeline, &reference).await
    }

    #[tokio::test]
    async fn slt_views_see_rows_inserted_after_they_were_registered() {
        let script = "\
query I
select count(*) from by_region
----
0

statement count 2
insert into workers (worker_id, region_code, birth_year, updated_at) values
  ('w1', '330382', 1990, '2026-01-01T00:00:00Z'),
  ('w2', '330382', 1993, '2026-02-01T00:00:00Z')

query TIR rowsort
select region_code, workers, mean_birth_year from by_region
----
330382 2 1991.5000

statement ok
insert into workers (worker_id, region_code, updated_at) values ('w3', '330302', '2026-03-01T00:00:00Z')

query TIR rowsort
select region_code, workers, mean_birth_year from by_region
----
330302 1 NULL
330382 2 1991.5000

statement count 1
delete from workers where worker_id = 'w1'

query TI rowsort
select region_code, workers from by_region
----
330302 1
330382 1
";
        run(script).await.unwrap();
    }

    #[tokio::test]
    async fn slt_timestamp_strings_cast_on_insert() {
        let script = "\
statement ok
insert into workers (worker_id, region_code, updated_at) values
  ('a', '1', '2026-03-01T08:00:00Z'),
  ('b', '2', '2026-03-01T08:00:00'),
  ('c', '3', '2026-03-01 08:00:00'),
  ('d', '4', '2026-03-01T16:00:00+08:00'),
  ('e', '5', '2026-03-01'),
  ('f', '6', timestamp '2026-03-01 08:00:00.5')

query TD rowsort
select region_code, last_update from by_region
----
1 2026-03-01T08:00:00Z
2 2026-03-01T08:00:00Z
3 2026-03-01T08:00:00Z
4 2026-03-01T08:00:00Z
5 2026-03-01T00:00:00Z
6 2026-03-01T08:00:00.500Z

query D
select arrow_cast(max(updated_at), 'Timestamp(Microsecond, None)') from workers
----
2026-03-01T08:00:00.500

statement error non-nullable
insert into workers (worker_id, region_code) values ('g', '7')
";
        run(script).await.unwrap();
    }

    #[tokio::test]
    async fn slt_values_are_printed_as_documented() {
        let script = "\
query RRRRRTTB
select 2.0 / 3, cast(0.5 as double), 2.0, -0.00001, cast(1.25 as decimal(10, 2)), '', null, true
----
0.6667 0.5000 2.0000 0.0000 1.2500 (empty) NULL true

query T
select name from ref_regions where code = '330382'
----
乐清市
";
        run(script).await.unwrap();
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(format_float(-1.23456), "-1.2346");
    }

    #[tokio::test]
    async fn slt_failure_names_the_file_the_line_and_the_difference() {
        let script = "\
statement ok
insert into workers (worker_id, region_code, updated_at) values ('w1', '330382', '2026-01-01T00:00:00Z')

query TI
select region_code, workers from by_region
----
330382 2
";
        let failure = run(script).await.unwrap_err();
        assert!(failure.contains("at case.slt:4"), "{failure}");
        assert!(failure.contains("query result mismatch"), "{failure}");
        assert!(failure.contains("-   330382 2"), "{failure}");
        assert!(failure.contains("+   330382 1"), "{failure}");
    }

    #[tokio::test]
    async fn slt_run_all_reports_failing_files_and_models_without_one() {
        let dir = tiny_queries();
        std::fs::write(
            dir.path().join("talent/by_region.slt"),
            "query I\nselect count(*) from by_region\n----\n1\n",
        )
        .unwrap();
        let report = run_all(dir.path(), &reference()).await.unwrap();
        assert!(!report.passed());
        assert_eq!(report.files, [dir.path().join("talent/by_region.slt")]);
        assert_eq!(report.missing, [dir.path().join("staging/stg_w.sql")]);
        let text = report.to_string();
        assert!(
            text.starts_with("1 .slt files, 0 passed, 1 failed"),
            "{text}"
        );
        assert!(text.contains("by_region.slt:1"), "{text}");
        assert!(text.contains("1 models have no .slt file"), "{text}");
        assert!(text.contains("staging/stg_w.sql"), "{text}");
    }
}
