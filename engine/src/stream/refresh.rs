//! The refresher: after commits to canonical tables (and publications of models it
//! reads but does not keep), refreshes the models downstream of what changed, and only
//! those, at most once per commit interval. A model kept as a [`Dataflow`] takes in
//! only the changes; the others are recomputed.
//!
//! A serving engine runs its refreshers in *lanes* ([`Refresher::lanes`]): one for the
//! incremental models (and only those reading nothing but canonical tables, views and
//! each other), one for every model recomputed in full (and what reads them), on its
//! own threads, and one for the large incremental models nothing reads
//! ([`Refresher::large_leaves`]). A slow recompute then neither holds up nor starves the
//! incremental models, nor does rewriting a large one hold up the small ones; each lane
//! hears of the others' publications through the model store.

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
use crate::pipeline::{self, Materialized, Model, Pipeline, RunReport, model_error, publish};
use crate::store::{ModelSnapshot, ModelStore, RefreshMode};
use crate::stream::dataflow::delta::diff;
use crate::stream::dataflow::{Changes, Dataflow, Delta, TableKind};

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

/// What each table a model may read is, for the dataflow.
fn table_kinds(pipeline: &Pipeline) -> HashMap<String, TableKind> {
    let mut kinds: HashMap<String, TableKind> = (Table::ALL.iter())
        .map(|t| {
            let kind = match t {
                Table::Workers | Table::Enterprises => TableKind::Entities,
                _ => TableKind::Events,
            };
            (t.name().to_string(), kind)
        })
        .collect();
    for model in &pipeline.models {
        if model.materialized == Materialized::Table {
            kinds.insert(model.name.clone(), TableKind::Model);
        }
    }
    kinds
}

/// An incremental model: its dataflow and the version of each model it last took in.
struct Flow {
    dataflow: Dataflow,
    seen: HashMap<String, Option<Arc<ModelSnapshot>>>,
}

/// Keeps some of a pipeline's models fresh from the lake's commits.
pub struct Refresher {
    lake: Arc<Lake>,
    pipeline: Pipeline,
    store: Arc<ModelStore>,
    ctx: SessionContext,
    /// The table models this refresher keeps.
    members: HashSet<String>,
    /// The version of each canonical table registered in `ctx`.
    registered: HashMap<Table, i64>,
    /// Announced commits not yet taken in, by table.
    pending: HashMap<Table, Vec<Arc<Committed>>>,
    /// Tables changed since the last refresh.
    dirty: BTreeSet<Table>,
    /// Tables some of whose commits were missed: the dataflows reading them are rebuilt.
    lost: HashSet<Table>,
    /// Models kept elsewhere, read here, published since the last refresh.
    foreign: BTreeSet<String>,
    /// Incremental models.
    flows: HashMap<String, Flow>,
    /// Dataflows whose state cannot be trusted (a refresh failed): rebuilt when next due.
    broken: HashSet<String>,
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
    /// A refresher of `members` (every table model when `None`) over the lake's current
    /// tables. The commits and publications it hears must have been subscribed to
    /// before the store's models were computed, so that none falls in between.
    pub async fn new(
        config: &Config,
        lake: Arc<Lake>,
        reference: &[(String, String)],
        pipeline: Pipeline,
        store: Arc<ModelStore>,
        members: Option<&HashSet<String>>,
    ) -> Result<Refresher> {
        let (ctx, versions) = pipeline::session_with_versions(config, &lake, reference).await?;
        let registered = Table::ALL
            .iter()
            .map(|&t| (t, versions.get(t.name()).copied().unwrap_or(-1)))
            .collect();
        let members = match members {
            Some(m) => m.clone(),
            None => (pipeline.models.iter())
                .filter(|m| m.materialized == Materialized::Table)
                .map(|m| m.name.clone())
                .collect(),
        };
        let mut refresher = Refresher {
            lake,
            pipeline,
            store,
            ctx,
            members,
            registered,
            pending: HashMap::new(),
            dirty: BTreeSet::new(),
            lost: HashSet::new(),
            foreign: BTreeSet::new(),
            flows: HashMap::new(),
            broken: HashSet::new(),
            full: HashMap::new(),
            timings: HashMap::new(),
            deferred: BTreeSet::new(),
            slow_seconds: config.stream.slow_model_seconds,
        };
        refresher.classify().await?;
        Ok(refresher)
    }

    /// Decides each member's refresh mode from its plan, registering the views and the
    /// models' current rows (from the store) on the way.
    async fn classify(&mut self) -> Result<()> {
        let mut kinds = table_kinds(&self.pipeline);
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
            if self.register_stored(&model.name)?.is_none() {
                let schema = Arc::new(plan.schema().as_arrow().clone());
                self.ctx.deregister_table(model.name.as_str())?;
                self.ctx.register_table(
                    model.name.as_str(),
                    Arc::new(MemTable::try_new(schema, vec![vec![]])?),
                )?;
            }
            let analysed = Dataflow::analyse(&plan, &self.ctx, &kinds);
            if analysed.is_err() {
                // What reads it sees it change as a whole.
                kinds.insert(model.name.clone(), TableKind::Recomputed);
            }
            if !self.members.contains(&model.name) {
                continue;
            }
            match analysed {
                Ok(dataflow) => {
                    tracing::info!(model = %model.name, takes = ?dataflow.takes(), frontiers = dataflow.frontiers(), "refreshed incrementally");
                    let flow = Flow {
                        dataflow,
                        seen: HashMap::new(),
                    };
                    self.flows.insert(model.name.clone(), flow);
                }
                Err(reason) => {
                    tracing::debug!(model = %model.name, %reason, "refreshed in full");
                    self.full.insert(model.name.clone(), reason);
                }
            }
        }
        Ok(())
    }

    /// Registers the store's current rows of a table model in `ctx` (none when it has
    /// never been published: its planned schema, no rows).
    fn register_stored(&self, name: &str) -> Result<Option<Arc<ModelSnapshot>>> {
        let snapshot = self.store.get(name);
        let Some(s) = &snapshot else {
            return Ok(None);
        };
        self.ctx.deregister_table(name)?;
        self.ctx.register_table(
            name,
            Arc::new(MemTable::try_new(
                s.schema.clone(),
                vec![s.batches.clone()],
            )?),
        )?;
        Ok(snapshot)
    }

    /// The refresh mode of every member, with why it is recomputed.
    pub fn modes(&self) -> Vec<(String, RefreshMode, Option<String>)> {
        (self.pipeline.models.iter())
            .filter(|m| self.members.contains(&m.name))
            .map(|m| match self.full.get(&m.name) {
                Some(reason) => (m.name.clone(), RefreshMode::Full, Some(reason.clone())),
                None => (m.name.clone(), RefreshMode::Incremental, None),
            })
            .collect()
    }

    /// Splits the table models into two lanes: the incremental ones that read (through
    /// other models) no model recomputed in full, and the rest.
    pub fn lanes(&self) -> (HashSet<String>, HashSet<String>) {
        let mut fast = HashSet::new();
        let tables: HashSet<&str> = (self.pipeline.models.iter())
            .filter(|m| m.materialized == Materialized::Table)
            .map(|m| m.name.as_str())
            .collect();
        for model in &self.pipeline.models {
            if !self.flows.contains_key(&model.name) {
                continue;
            }
            let upstream_fast = (model.reads.iter())
                .filter(|r| tables.contains(r.as_str()))
                .all(|r| fast.contains(r));
            if upstream_fast {
                fast.insert(model.name.clone());
            }
        }
        let slow = tables
            .into_iter()
            .filter(|m| !fast.contains(*m))
            .map(str::to_string)
            .collect();
        (fast, slow)
    }

    /// Of the models in `lane` (incremental ones), those that no other model reads and that
    /// hold more than `min_rows` rows in the store (none when `min_rows` is 0): see
    /// [`large_leaves`].
    pub fn large_leaves(&self, lane: &HashSet<String>, min_rows: usize) -> HashSet<String> {
        let rows = |name: &str| self.store.get(name).map(|s| s.rows());
        (large_leaves(&self.graph(), rows, min_rows).into_iter())
            .filter(|name| lane.contains(name))
            .collect()
    }

    /// Each model of the pipeline, in its order, with what it reads.
    fn graph(&self) -> Vec<(&str, &[String])> {
        (self.pipeline.models.iter())
            .map(|m| (m.name.as_str(), m.reads.as_slice()))
            .collect()
    }

    /// Keeps only `members` (dropping the state of the others).
    pub fn restrict(&mut self, members: &HashSet<String>) {
        self.members = members.clone();
        self.flows.retain(|name, _| members.contains(name));
        self.full.retain(|name, _| members.contains(name));
    }

    /// Builds the state of every incremental member from the whole of what it reads and
    /// publishes the result.
    pub async fn rebuild_incremental(&mut self) -> Result<Refreshed> {
        let mut out = Refreshed::default();
        let models: Vec<Model> = (self.pipeline.models.iter())
            .filter(|m| self.flows.contains_key(&m.name))
            .cloned()
            .collect();
        for model in &models {
            if let Some(report) = self.refresh_flow(model, None).await? {
                out.models.push((report, RefreshMode::Incremental));
            }
        }
        Ok(out)
    }

    /// Refreshes an incremental model: with `rows` (the new rows of each changed
    /// canonical table, by table), takes in those and the changes of the models it
    /// reads; without, rebuilds its state. `None` when nothing it reads changed since
    /// it was published (it is not written again).
    async fn refresh_flow(
        &mut self,
        model: &Model,
        rows: Option<&HashMap<Table, Option<Vec<RecordBatch>>>>,
    ) -> Result<Option<RunReport>> {
        let started = std::time::Instant::now();
        let flow = self.flows.get(&model.name).expect("a flow of the model");
        let mut changes = Changes::new();
        let mut rebuild = rows.is_none() || self.broken.contains(&model.name);
        let mut seen = HashMap::new();
        let models_read: Vec<String> = (flow.dataflow.takes().iter())
            .chain(flow.dataflow.top_reads())
            .filter(|t| t.parse::<Table>().is_err())
            .cloned()
            .collect();
        for name in &models_read {
            let current = self.store.get(name);
            let taken = flow.dataflow.takes().contains(name);
            if taken && !rebuild {
                let before = flow.seen.get(name).cloned().flatten();
                if !same_snapshot(before.as_ref(), current.as_ref()) {
                    match model_change(before.as_deref(), current.as_deref()) {
                        Some(delta) => {
                            changes.insert(name.clone(), vec![delta]);
                        }
                        None => rebuild = true,
                    }
                }
            }
            seen.insert(name.clone(), current);
        }
        if let Some(rows) = rows {
            for taken in flow.dataflow.takes() {
                let Ok(table) = taken.parse::<Table>() else {
                    continue;
                };
                match rows.get(&table) {
                    Some(Some(batches)) => {
                        let deltas = batches.iter().cloned().map(Delta::inserts).collect();
                        changes.insert(taken.clone(), deltas);
                    }
                    Some(None) => rebuild = true,
                    None => {}
                }
            }
        }
        let same = |name: &String| {
            let before = flow.seen.get(name).and_then(Option::as_ref);
            seen.get(name)
                .is_some_and(|now| same_snapshot(before, now.as_ref()))
        };
        let unchanged = !rebuild
            && (changes.values()).all(|deltas| deltas.iter().all(Delta::is_empty))
            && flow.dataflow.top_reads().iter().all(same)
            && self.store.get(&model.name).is_some();
        if unchanged {
            return Ok(None);
        }
        for name in &models_read {
            self.register_stored(name)?;
        }
        let flow = self
            .flows
            .get_mut(&model.name)
            .expect("a flow of the model");
        self.broken.insert(model.name.clone());
        let batches = if rebuild {
            flow.dataflow.rebuild(&self.ctx).await
        } else {
            flow.dataflow.apply(&self.ctx, &changes).await
        }
        .map_err(|e| model_error(model, e))?;
        flow.seen = seen;
        self.broken.remove(&model.name);
        let schema = flow.dataflow.schema();
        let schema = batches.first().map_or(schema, |b| b.schema());
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
        .map(Some)
    }

    /// The partitions to recompute `model` in, by what it reads now.
    fn partitions(&self, model: &Model) -> usize {
        let mut sizes =
            pipeline::sizes::Sizes::canonical(&self.lake, &source_versions(&self.registered));
        for snapshot in self.store.list() {
            sizes.set(&snapshot.name, snapshot.rows() as u64);
        }
        let default = self.ctx.state().config().target_partitions();
        sizes.partitions(model, &self.pipeline, default)
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

    /// Takes in one publication from the model store: a model kept elsewhere that a
    /// member reads makes the next refresh take it in.
    pub fn note_published(&mut self, message: std::result::Result<String, RecvError>) {
        let read = |name: &str| {
            (self.pipeline.models.iter())
                .any(|m| self.members.contains(&m.name) && m.reads.iter().any(|r| r == name))
        };
        match message {
            Ok(name) if !self.members.contains(&name) && read(&name) => {
                self.foreign.insert(name);
            }
            Ok(_) | Err(RecvError::Closed) => {}
            Err(RecvError::Lagged(_)) => {
                for model in &self.pipeline.models {
                    if model.materialized == Materialized::Table
                        && !self.members.contains(&model.name)
                        && read(&model.name)
                    {
                        self.foreign.insert(model.name.clone());
                    }
                }
            }
        }
    }

    /// Makes the next refresh take in every table: every model is refreshed.
    pub fn mark_all_dirty(&mut self) {
        self.dirty.extend(Table::ALL);
    }

    /// Whether commits or publications wait to be taken in.
    pub fn is_dirty(&self) -> bool {
        !self.dirty.is_empty() || !self.deferred.is_empty() || !self.foreign.is_empty()
    }

    /// Refreshes the members downstream of the tables and models changed since the last
    /// refresh, in dependency order: views planned again, incremental models fed the
    /// changes, the others recomputed.
    pub async fn refresh(&mut self) -> Result<Refreshed> {
        let result = self.refresh_changed().await;
        if result.is_err() {
            // A dataflow may have taken in part of the changes: rebuild them all.
            self.broken.extend(self.flows.keys().cloned());
        }
        result
    }

    /// The models in the order of [`quickest_first`], by each one's last refresh.
    fn refresh_order(&self) -> Vec<Model> {
        let cost = |name: &str| self.timings.get(name).map_or(0.0, |(s, _)| *s);
        (quickest_first(&self.graph(), cost).into_iter())
            .map(|i| self.pipeline.models[i].clone())
            .collect()
    }

    async fn refresh_changed(&mut self) -> Result<Refreshed> {
        let dirty = std::mem::take(&mut self.dirty);
        let lost = std::mem::take(&mut self.lost);
        let foreign = std::mem::take(&mut self.foreign);
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
        for name in foreign {
            self.register_stored(&name)?;
            changed.insert(name);
        }
        let models = self.refresh_order();
        for model in &models {
            let view = model.materialized == Materialized::View;
            if !view && !self.members.contains(&model.name) {
                continue;
            }
            let due = self.deferred.contains(&model.name)
                || self.broken.contains(&model.name)
                || model.reads.iter().any(|t| changed.contains(t));
            if !due {
                continue;
            }
            let incremental = self.flows.contains_key(&model.name);
            if !view
                && !incremental
                && let Some((seconds, ended)) = self.timings.get(&model.name)
                && defer(*seconds, ended.elapsed(), self.slow_seconds)
            {
                self.deferred.insert(model.name.clone());
                out.deferred.push(model.name.clone());
                continue;
            }
            self.deferred.remove(&model.name);
            changed.insert(model.name.clone());
            if incremental {
                match self.refresh_flow(model, Some(&new_rows)).await? {
                    Some(report) => {
                        let ended = std::time::Instant::now();
                        self.timings
                            .insert(model.name.clone(), (report.seconds, ended));
                        out.models.push((report, RefreshMode::Incremental));
                    }
                    // Unchanged: what reads it need not be refreshed for it.
                    None => {
                        changed.remove(&model.name);
                    }
                }
            } else if let Some(report) = pipeline::refresh_full(
                &self.ctx,
                &self.lake,
                &self.store,
                model,
                &source_versions(&self.registered),
                self.partitions(model),
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

    /// Refreshes after commits and publications until `stop` turns true: waits for one,
    /// gathers those of the rest of the interval (at most one refresh starts per
    /// `interval`), refreshes. A failed refresh is logged and tried again with the next
    /// commit.
    pub async fn run(
        mut self,
        mut commits: broadcast::Receiver<Arc<Committed>>,
        mut published: broadcast::Receiver<String>,
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
                    message = published.recv() => self.note_published(message),
                    _ = stop.changed() => return,
                }
                if !self.is_dirty() {
                    continue;
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
                    message = published.recv() => self.note_published(message),
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
            loop {
                match published.try_recv() {
                    Ok(name) => self.note_published(Ok(name)),
                    Err(broadcast::error::TryRecvError::Lagged(n)) => {
                        self.note_published(Err(RecvError::Lagged(n)))
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
                    tracing::error!(error = %e, "refreshing the models failed; they are refreshed again after the next commit");
                    self.lost.extend(Table::ALL);
                }
            }
        }
    }
}

/// The change from one published version of a model to the next (`None` when their
/// columns differ: the reader is rebuilt).
fn model_change(before: Option<&ModelSnapshot>, now: Option<&ModelSnapshot>) -> Option<Delta> {
    let schema = now.or(before)?.schema.clone();
    if let (Some(b), Some(n)) = (before, now)
        && b.schema.fields() != n.schema.fields()
    {
        return None;
    }
    let empty = Vec::new();
    let old = before.map_or(&empty, |s| &s.batches);
    let new = now.map_or(&empty, |s| &s.batches);
    diff(&schema, old, new).ok()
}

/// Indices of `models` (name, what it reads) in an order that respects what each reads
/// (a model after the models it reads) and, among those whose inputs are done, takes the
/// one of least `cost` first (the earliest of equals): a quick model is not held up
/// behind a slow one it does not read. Reads that are not in `models` (tables) do not
/// order anything; should the reads form a cycle, the given order is kept for it.
pub(crate) fn quickest_first(
    models: &[(&str, &[String])],
    cost: impl Fn(&str) -> f64,
) -> Vec<usize> {
    let names: HashSet<&str> = models.iter().map(|(name, _)| *name).collect();
    let mut done: HashSet<&str> = HashSet::new();
    let mut left: Vec<usize> = (0..models.len()).collect();
    let mut out = Vec::with_capacity(models.len());
    while !left.is_empty() {
        let ready = |i: usize| {
            (models[i].1.iter()).all(|r| !names.contains(r.as_str()) || done.contains(r.as_str()))
        };
        let next = (left.iter().enumerate())
            .filter(|(_, i)| ready(**i))
            .min_by(|(_, a), (_, b)| cost(models[**a].0).total_cmp(&cost(models[**b].0)))
            .map_or(0, |(at, _)| at);
        let i = left.remove(next);
        done.insert(models[i].0);
        out.push(i);
    }
    out
}

/// The models (name, what it reads) that no model reads and whose `rows` are more than
/// `min_rows` (none when `min_rows` is 0; a model with no rows known is not large).
/// Rewriting such a model after each commit takes long, and nothing waits for it: it can
/// be refreshed on a lane of its own without holding up the others.
pub(crate) fn large_leaves(
    models: &[(&str, &[String])],
    rows: impl Fn(&str) -> Option<usize>,
    min_rows: usize,
) -> HashSet<String> {
    if min_rows == 0 {
        return HashSet::new();
    }
    let read: HashSet<&str> = (models.iter())
        .flat_map(|(_, reads)| reads.iter().map(String::as_str))
        .collect();
    (models.iter())
        .filter(|(name, _)| !read.contains(name) && rows(name).is_some_and(|n| n > min_rows))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Whether two looks at a model found the same publication (or both found none).
fn same_snapshot(a: Option<&Arc<ModelSnapshot>>, b: Option<&Arc<ModelSnapshot>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}
