//! The refresher: after commits to canonical tables, refreshes the models downstream of
//! the tables that changed, and only those, at most once per commit interval.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use skillbrain_connectors::Table;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use crate::config::Config;
use crate::error::Result;
use crate::lake::{Committed, Lake};
use crate::pipeline::{self, Materialized, Pipeline, RunReport, model_error, publish};
use crate::store::{ModelStore, RefreshMode};
use crate::stream::incremental::{self, Incremental, States};

/// What one refresh did.
#[derive(Debug, Clone, Default)]
pub struct Refreshed {
    /// The tables whose commits it took in.
    pub tables: BTreeSet<String>,
    /// The refreshed table models, in order, with their mode.
    pub models: Vec<(RunReport, RefreshMode)>,
    /// Slow models whose turn was put off (see [`defer`]).
    pub deferred: Vec<String>,
}

/// A slow model waits this many times its refresh time after its last refresh.
const SLOW_WAIT: f64 = 4.0;

/// Whether a model recomputed in full that took `last_seconds` to refresh, `since` ago,
/// waits: one slower than `slow_seconds` is refreshed at most a fifth of the time, so
/// that the others behind it in the queue stay fresh after every commit. It catches up
/// later with what came meanwhile.
pub fn defer(last_seconds: f64, since: Duration, slow_seconds: f64) -> bool {
    last_seconds > slow_seconds && since.as_secs_f64() < last_seconds * SLOW_WAIT
}

/// The versions of the canonical tables registered, by table name.
fn source_versions(registered: &HashMap<Table, i64>) -> BTreeMap<String, i64> {
    (registered.iter())
        .map(|(t, v)| (t.name().to_string(), *v))
        .collect()
}

/// Keeps a pipeline's models fresh from the lake's commits.
pub struct Refresher {
    lake: Arc<Lake>,
    pipeline: Pipeline,
    store: Arc<ModelStore>,
    ctx: SessionContext,
    /// The version of each canonical table registered in `ctx`.
    registered: HashMap<Table, i64>,
    /// Announced commits not yet taken in, by table.
    pending: HashMap<Table, Vec<Arc<Committed>>>,
    /// Tables changed since the last refresh.
    dirty: BTreeSet<Table>,
    /// Tables some of whose commits were missed: their incremental models are rebuilt.
    lost: HashSet<Table>,
    /// Incremental models and their state.
    states: States,
    /// Why each other table model is recomputed in full.
    full: HashMap<String, String>,
    /// Each table model's last refresh: how long it took and when it ended.
    timings: HashMap<String, (f64, std::time::Instant)>,
    /// Slow models whose refresh was put off.
    deferred: BTreeSet<String>,
    /// What counts as slow (seconds), `stream.slow_model_seconds`.
    slow_seconds: f64,
}

impl Refresher {
    /// A refresher over the lake's current tables. `commits` must have been subscribed
    /// before the store's models were computed, so that no commit falls in between.
    pub async fn new(
        config: &Config,
        lake: Arc<Lake>,
        reference: &[(String, String)],
        pipeline: Pipeline,
        store: Arc<ModelStore>,
    ) -> Result<Refresher> {
        let (ctx, versions) = pipeline::session_with_versions(config, &lake, reference).await?;
        let registered = Table::ALL
            .iter()
            .map(|&t| (t, versions.get(t.name()).copied().unwrap_or(-1)))
            .collect();
        let mut refresher = Refresher {
            lake,
            pipeline,
            store,
            ctx,
            registered,
            pending: HashMap::new(),
            dirty: BTreeSet::new(),
            lost: HashSet::new(),
            states: HashMap::new(),
            full: HashMap::new(),
            timings: HashMap::new(),
            deferred: BTreeSet::new(),
            slow_seconds: config.stream.slow_model_seconds,
        };
        refresher.classify(config.target_partitions()).await?;
        Ok(refresher)
    }

    /// Decides each table model's refresh mode from its plan, registering the views and
    /// the models' current rows (from the store) on the way.
    async fn classify(&mut self, target_partitions: usize) -> Result<()> {
        for model in &self.pipeline.models {
            let df = self
                .ctx
                .sql(&model.sql)
                .await
                .map_err(|e| model_error(model, e))?;
            if model.materialized == Materialized::View {
                self.ctx.deregister_table(model.name.as_str())?;
                self.ctx
                    .register_table(model.name.as_str(), df.into_view())?;
                continue;
            }
            let plan = df
                .into_optimized_plan()
                .map_err(|e| model_error(model, e))?;
            let analysed = match incremental::plan(&self.ctx, &model.sql).await {
                Ok(plan) => Incremental::analyse(&plan, target_partitions),
                Err(e) => Err(format!("cannot plan it for analysis: {e}")),
            };
            match analysed {
                Ok(state) => {
                    tracing::info!(model = %model.name, table = state.table.name(), "refreshed incrementally");
                    self.states.insert(model.name.clone(), state);
                }
                Err(reason) => {
                    tracing::debug!(model = %model.name, %reason, "refreshed in full");
                    self.full.insert(model.name.clone(), reason);
                }
            }
            let snapshot = self.store.get(&model.name);
            let (schema, batches) = match &snapshot {
                Some(s) => (s.schema.clone(), s.batches.clone()),
                None => (Arc::new(plan.schema().as_arrow().clone()), Vec::new()),
            };
            self.ctx.deregister_table(model.name.as_str())?;
            self.ctx.register_table(
                model.name.as_str(),
                Arc::new(MemTable::try_new(schema, vec![batches])?),
            )?;
        }
        Ok(())
    }

    /// The refresh mode of every table model.
    pub fn modes(&self) -> Vec<(String, RefreshMode, Option<String>)> {
        (self.pipeline.models.iter())
            .filter(|m| m.materialized == Materialized::Table)
            .map(|m| match self.full.get(&m.name) {
                Some(reason) => (m.name.clone(), RefreshMode::Full, Some(reason.clone())),
                None => (m.name.clone(), RefreshMode::Incremental, None),
            })
            .collect()
    }

    /// Builds the state of every incremental model from the whole of its table and
    /// publishes the result.
    pub async fn rebuild_incremental(&mut self) -> Result<Refreshed> {
        let mut out = Refreshed::default();
        for model in &self.pipeline.models {
            let Some(state) = self.states.get_mut(&model.name) else {
                continue;
            };
            let started = std::time::Instant::now();
            let batches = state.rebuild(&self.ctx).await?;
            let schema = state.schema();
            let report = self.keep(model, schema, batches, started).await?;
            out.models.push((report, RefreshMode::Incremental));
        }
        Ok(out)
    }

    /// Publishes the new rows of an incremental model.
    async fn keep(
        &self,
        model: &crate::pipeline::Model,
        schema: arrow::datatypes::SchemaRef,
        batches: Vec<RecordBatch>,
        started: std::time::Instant,
    ) -> Result<RunReport> {
        publish(
            &self.ctx,
            &self.lake,
            &self.store,
            model,
            schema,
            batches,
            RefreshMode::Incremental,
            source_versions(&self.registered),
            started,
        )
        .await
    }

    /// Takes in one announcement from the lake.
    pub fn note(&mut self, message: std::result::Result<Arc<Committed>, RecvError>) {
        match message {
            Ok(c) => {
                self.dirty.insert(c.table);
                self.pending.entry(c.table).or_default().push(c);
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "the refresher fell behind the lake's commits; the incremental models are rebuilt"
                );
                for table in Table::ALL {
                    self.dirty.insert(table);
                    self.lost.insert(table);
                }
                self.pending.clear();
            }
            Err(RecvError::Closed) => {}
        }
    }

    /// Makes the next refresh take in every table: every model is refreshed.
    pub fn mark_all_dirty(&mut self) {
        self.dirty.extend(Table::ALL);
    }

    /// Whether commits wait to be taken in.
    pub fn is_dirty(&self) -> bool {
        !self.dirty.is_empty() || !self.deferred.is_empty()
    }

    /// Refreshes the models downstream of the tables changed since the last refresh,
    /// in dependency order: views planned again, incremental models merged with the
    /// new rows, the others recomputed.
    pub async fn refresh(&mut self) -> Result<Refreshed> {
        let dirty = std::mem::take(&mut self.dirty);
        let lost = std::mem::take(&mut self.lost);
        let mut out = Refreshed::default();
        // New rows of each changed table, if every commit's rows were announced.
        let mut new_rows: HashMap<Table, Option<Vec<RecordBatch>>> = HashMap::new();
        let mut changed: HashSet<String> = HashSet::new();
        for &table in &dirty {
            let before = self.registered.get(&table).copied().unwrap_or(-1);
            let now = self.lake.register_current(&self.ctx, table).await?;
            self.registered.insert(table, now);
            let commits = self.pending.remove(&table).unwrap_or_default();
            let (taken, later): (Vec<_>, Vec<_>) =
                commits.into_iter().partition(|c| c.version <= now);
            if !later.is_empty() {
                self.pending.insert(table, later);
                self.dirty.insert(table);
            }
            let mut rows = (!lost.contains(&table)).then(Vec::new);
            for c in taken.iter().filter(|c| c.version > before) {
                match (&mut rows, &c.rows) {
                    (Some(all), Some(these)) => all.extend(these.iter().cloned()),
                    _ => rows = None,
                }
            }
            new_rows.insert(table, rows);
            changed.insert(table.name().to_string());
            out.tables.insert(table.name().to_string());
        }
        for model in &self.pipeline.models {
            let due = self.deferred.contains(&model.name);
            if !due && !model.reads.iter().any(|t| changed.contains(t)) {
                continue;
            }
            let recomputed =
                model.materialized == Materialized::Table && !self.states.contains_key(&model.name);
            if recomputed
                && let Some((seconds, ended)) = self.timings.get(&model.name)
                && defer(*seconds, ended.elapsed(), self.slow_seconds)
            {
                self.deferred.insert(model.name.clone());
                out.deferred.push(model.name.clone());
                continue;
            }
            self.deferred.remove(&model.name);
            changed.insert(model.name.clone());
            let started = std::time::Instant::now();
            if let Some(state) = self.states.get_mut(&model.name) {
                let batches = match new_rows.get(&state.table) {
                    Some(Some(rows)) => state.apply(&self.ctx, rows).await?,
                    // Rows were missed, or the model reads a table that did not change
                    // (it cannot be: it reads one table); rebuild.
                    _ => state.rebuild(&self.ctx).await?,
                };
                let schema = state.schema();
                let report = self.keep(model, schema, batches, started).await?;
                out.models.push((report, RefreshMode::Incremental));
            } else if let Some(report) = pipeline::refresh_full(
                &self.ctx,
                &self.lake,
                &self.store,
                model,
                &source_versions(&self.registered),
            )
            .await?
            {
                let ended = std::time::Instant::now();
                self.timings
                    .insert(model.name.clone(), (report.seconds, ended));
                out.models.push((report, RefreshMode::Full));
            }
        }
        Ok(out)
    }

    /// Refreshes after commits until `stop` turns true: waits for a commit, gathers the
    /// commits of the rest of the interval (at most one refresh starts per
    /// `interval`), refreshes. A failed refresh is logged and tried again with the
    /// next commit.
    pub async fn run(
        mut self,
        mut commits: broadcast::Receiver<Arc<Committed>>,
        interval: Duration,
        mut stop: watch::Receiver<bool>,
        refreshed: Option<tokio::sync::mpsc::UnboundedSender<Refreshed>>,
    ) {
        let mut last = Instant::now() - interval;
        loop {
            if !self.is_dirty() {
                tokio::select! {
                    message = commits.recv() => {
                        if matches!(message, Err(RecvError::Closed)) {
                            return;
                        }
                        self.note(message);
                    }
                    _ = stop.changed() => return,
                }
            }
            let deadline = last + interval;
            loop {
                tokio::select! {
                    message = commits.recv() => {
                        if matches!(message, Err(RecvError::Closed)) {
                            return;
                        }
                        self.note(message);
                    }
                    _ = tokio::time::sleep_until(deadline) => break,
                    _ = stop.changed() => return,
                }
            }
            loop {
                match commits.try_recv() {
                    Ok(message) => self.note(Ok(message)),
                    Err(broadcast::error::TryRecvError::Lagged(n)) => {
                        self.note(Err(RecvError::Lagged(n)))
                    }
                    Err(_) => break,
                }
            }
            last = Instant::now();
            match self.refresh().await {
                Ok(done) => {
                    tracing::debug!(tables = ?done.tables, models = done.models.len(), seconds = last.elapsed().as_secs_f64(), "refreshed");
                    if let Some(tx) = &refreshed {
                        let _ = tx.send(done);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "refreshing the models failed; every model is refreshed again after the next commit");
                    self.lost.extend(Table::ALL);
                }
            }
        }
    }
}
