//! Running the pipeline: each model in dependency order, materialised as a Delta table
//! with a version and published to the model store; and checking it: planning every
//! model and running its declared tests on the current data.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use chrono::Utc;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::pipeline::sizes::{Sizes, with_partitions};
use crate::pipeline::{DeclaredTest, Materialized, Model, Pipeline};
use crate::store::{ModelSnapshot, ModelStore, RefreshMode};

/// What refreshing one model did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The model.
    pub model: String,
    /// Rows materialised.
    pub rows: usize,
    /// The Delta version of the model's table after the refresh.
    pub version: i64,
    /// Wall-clock seconds computing the result (planning and execution).
    pub query_seconds: f64,
    /// Wall-clock seconds in all (query, commit to the lake, publish).
    pub seconds: f64,
}

fn bar(len: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn replace_table(
    ctx: &SessionContext,
    name: &str,
    batches: &[RecordBatch],
    schema: arrow::datatypes::SchemaRef,
) -> Result<()> {
    ctx.deregister_table(name)?;
    let schema = batches.first().map_or(schema, |b| b.schema());
    ctx.register_table(
        name,
        Arc::new(MemTable::try_new(schema, vec![batches.to_vec()])?),
    )?;
    Ok(())
}

impl Pipeline {
    /// Refreshes every model in order: runs its SQL in `ctx` (which must hold the source
    /// tables), writes the result to the lake, makes it readable downstream and publishes
    /// it to `store`.
    /// `source_versions`: the version of each canonical table registered in `ctx`, when
    /// known, kept with each model.
    pub async fn run(
        &self,
        ctx: &SessionContext,
        lake: &Lake,
        store: &ModelStore,
        progress: bool,
        source_versions: &BTreeMap<String, i64>,
    ) -> Result<Vec<RunReport>> {
        let bar = bar(self.models.len(), progress);
        bar.set_prefix("models");
        let mut reports = Vec::with_capacity(self.models.len());
        let mut sizes = Sizes::canonical(lake, source_versions);
        let default = ctx.state().config().target_partitions();
        for model in &self.models {
            bar.set_message(model.name.clone());
            let partitions = sizes.partitions(model, self, default);
            if let Some(report) =
                refresh_full(ctx, lake, store, model, source_versions, partitions).await?
            {
                sizes.set(&model.name, report.rows as u64);
                reports.push(report);
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        Ok(reports)
    }

    /// Plans every model (without running it) so that SQL errors, unknown columns and
    /// type errors surface with the model's file. Leaves an empty table per model in `ctx`.
    pub async fn plan_all(&self, ctx: &SessionContext) -> Result<()> {
        for model in &self.models {
            let df = ctx
                .sql(&model.sql)
                .await
                .map_err(|e| model_error(model, e))?;
            let schema = Arc::new(df.schema().as_arrow().clone());
            for col in &model.grain {
                if schema.field_with_name(col).is_err() {
                    return Err(Error::Model {
                        file: model.path.clone(),
                        line: 1,
                        reason: format!("grain column '{col}' is not a column of the model"),
                    });
                }
            }
            if model.materialized == Materialized::View {
                ctx.deregister_table(model.name.as_str())?;
                ctx.register_table(model.name.as_str(), df.into_view())?;
            } else {
                replace_table(ctx, &model.name, &[], schema)?;
            }
        }
        Ok(())
    }

    /// Registers every view model in `ctx`, in order (the tables they read must be there).
    pub async fn register_views(&self, ctx: &SessionContext) -> Result<()> {
        for model in self
            .models
            .iter()
            .filter(|m| m.materialized == Materialized::View)
        {
            let df = ctx
                .sql(&model.sql)
                .await
                .map_err(|e| model_error(model, e))?;
            ctx.deregister_table(model.name.as_str())?;
            ctx.register_table(model.name.as_str(), df.into_view())?;
        }
        Ok(())
    }

    /// Runs every declared test (and the grain's uniqueness) against the models' tables
    /// in `ctx`; the first failure names the model, the test and the offending rows.
    pub async fn test_all(&self, ctx: &SessionContext) -> Result<usize> {
        let mut count = 0;
        for model in &self.models {
            let grain = DeclaredTest::Unique(model.grain.clone());
            for test in std::iter::once(&grain).chain(model.tests.iter()) {
                let sql = test.failing_rows_sql(&model.name);
                let rows = ctx
                    .sql(&sql)
                    .await
                    .map_err(|e| model_error(model, e))?
                    .collect()
                    .await
                    .map_err(|e| model_error(model, e))?;
                if rows.iter().any(|b| b.num_rows() > 0) {
                    let detail = pretty_format_batches(&rows)
                        .map(|t| format!("offending rows:\n{t}"))
                        .unwrap_or_else(|e| e.to_string());
                    return Err(Error::ModelTest {
                        model: model.name.clone(),
                        test: test.to_string(),
                        detail,
                    });
                }
                count += 1;
            }
        }
        Ok(count)
    }
}

/// Refreshes one model from all of its inputs in `ctx`: a view is planned again and
/// registered; a table model is computed (in `partitions` partitions) and
/// [`publish`]ed. Returns the report of a table model.
pub(crate) async fn refresh_full(
    ctx: &SessionContext,
    lake: &Lake,
    store: &ModelStore,
    model: &Model,
    source_versions: &BTreeMap<String, i64>,
    partitions: usize,
) -> Result<Option<RunReport>> {
    let started = Instant::now();
    let session = if model.materialized == Materialized::View {
        ctx.clone()
    } else {
        with_partitions(ctx, partitions)
    };
    if model.materialized == Materialized::View {
        let df = session
            .sql(&model.sql)
            .await
            .map_err(|e| model_error(model, e))?;
        ctx.deregister_table(model.name.as_str())?;
        ctx.register_table(model.name.as_str(), df.into_view())?;
        return Ok(None);
    }
    let plan = super::shared::plan_sharing(&session, &model.sql)
        .await
        .map_err(|e| model_error(model, e))?;
    let df = datafusion::dataframe::DataFrame::new(session.state(), plan);
    let schema = Arc::new(df.schema().as_arrow().clone());
    // SKILLBRAIN_EXPLAIN=<model>: print the model's plan with the metrics of a run (the
    // model is run once more for it), to see where its time goes.
    if std::env::var("SKILLBRAIN_EXPLAIN").is_ok_and(|m| m == model.name) {
        let explained = df.clone().explain(false, true)?.collect().await?;
        eprintln!("{}", pretty_format_batches(&explained)?);
    }
    let shared_seconds = started.elapsed().as_secs_f64();
    let batches = df.collect().await.map_err(|e| model_error(model, e))?;
    tracing::debug!(
        model = %model.name,
        shared_seconds,
        seconds = started.elapsed().as_secs_f64(),
        "model computed"
    );
    let report = publish(
        ctx,
        lake,
        store,
        model,
        schema,
        batches,
        RefreshMode::Full,
        source_versions.clone(),
        started,
    )
    .await?;
    Ok(Some(report))
}

/// Keeps a table model's new rows: writes them to the lake as the model's next
/// version, makes them readable downstream in `ctx` and publishes them to `store`.
/// `started` is when the refresh began.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn publish(
    ctx: &SessionContext,
    lake: &Lake,
    store: &ModelStore,
    model: &Model,
    schema: arrow::datatypes::SchemaRef,
    batches: Vec<RecordBatch>,
    refresh_mode: RefreshMode,
    source_versions: BTreeMap<String, i64>,
    started: Instant,
) -> Result<RunReport> {
    let query_seconds = started.elapsed().as_secs_f64();
    let (schema, batches) = super::compact::compact(&schema, batches)?;
    let version = lake
        .write_model(
            &model.name,
            schema.clone(),
            batches.clone(),
            &source_versions,
        )
        .await?;
    replace_table(ctx, &model.name, &batches, schema.clone())?;
    let snapshot = ModelSnapshot {
        name: model.name.clone(),
        description: model.description.clone(),
        grain: model.grain.clone(),
        version,
        refreshed_at: Utc::now(),
        refresh_mode,
        source_versions,
        refresh_seconds: started.elapsed().as_secs_f64(),
        schema: batches.first().map_or(schema, |b| b.schema()),
        batches,
    };
    let rows = snapshot.rows();
    store.publish(snapshot);
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(model = %model.name, rows, version, query_seconds, seconds, mode = refresh_mode.as_str(), "model refreshed");
    Ok(RunReport {
        model: model.name.clone(),
        rows,
        version,
        query_seconds,
        seconds,
    })
}

pub(crate) fn model_error(model: &Model, e: datafusion::error::DataFusionError) -> Error {
    Error::Model {
        file: model.path.clone(),
        line: 0,
        reason: e.to_string(),
    }
}
