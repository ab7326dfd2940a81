//! Incremental models: a model's plan run as a dataflow that turns the changes of the
//! tables it reads into the changes of its parts, so that a refresh after a commit
//! costs what the commit touched, not what the history holds.
//!
//! [`Dataflow::analyse`] reads a model's optimised logical plan and finds its
//! *frontiers*: the largest subtrees that read a changing table (a canonical table or
//! another model), keep state (a join or an aggregate), and are made only of
//! - scans, filters, projections, aliases and unions (no state);
//! - equi-joins (inner, outer, semi, anti, with a residual filter), both inputs kept and
//!   indexed by the key, where neither input is the raw rows of an event table (they
//!   grow with the history): an aggregate, an entity table (`workers`, `enterprises`),
//!   a model or reference data;
//! - aggregates of `count`, `sum`, `avg`, `min`, `max`, `count(distinct)`, and
//!   `first_value` / `last_value` with an `ORDER BY` (the latest row of a group), with
//!   `FILTER` clauses;
//! - deterministic expressions (no `now()`, `random()` or subquery).
//!
//! Everything above the frontiers — windows, sorts, medians, joins with a changing
//! `as_of` — is the *top*: after each change DataFusion computes it again over the
//! frontiers' current outputs (which are small: groups and entities). A model is kept
//! this way when every canonical table it reads is inside a frontier; otherwise it is
//! recomputed in full, and [`Dataflow::analyse`] says why.
//!
//! - [`delta`]: a change to a relation (rows with weights).
//! - [`codec`]: rows as bytes, the form in which operators keep them.
//! - [`node`]: the operators, and stateless ones; [`join`] and [`aggregate`] (with
//!   [`accumulate`], what each aggregate function keeps) hold state.
//! - [`analyse`]: from a plan to operators, frontiers and the top.
//! - `tests.rs`: operators against DataFusion on the same rows after random changes.

pub mod accumulate;
pub mod aggregate;
pub mod analyse;
pub mod codec;
pub mod delta;
pub mod join;
pub mod node;

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::collect;
use datafusion::prelude::SessionContext;

pub use analyse::TableKind;
pub use delta::Delta;
pub use node::Changes;

use crate::pipeline::shared::numbered;
use analyse::{Catalog, Split, frontier_table, models_read, split};
use delta::positional;
use node::{Node, with_current_tables};

/// A model kept as a dataflow: its frontiers' state, and the top computed over them.
pub struct Dataflow {
    /// The frontiers, by index (frontier `i` is the table `__frontier_i` of the top).
    frontiers: Vec<Node>,
    /// The schema of each frontier's table.
    frontier_schemas: Vec<SchemaRef>,
    /// The model's plan with each frontier replaced by a scan of its table.
    top: LogicalPlan,
    /// The changing tables whose changes the frontiers take.
    takes: BTreeSet<String>,
    /// The models the top reads as they are.
    top_reads: BTreeSet<String>,
    /// The model's columns.
    schema: SchemaRef,
}

impl std::fmt::Debug for Dataflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataflow")
            .field("frontiers", &self.frontiers.len())
            .field("takes", &self.takes)
            .field("top_reads", &self.top_reads)
            .finish()
    }
}

impl Dataflow {
    /// The dataflow of a model's optimised plan, or why the model is recomputed in
    /// full. `kinds` says what each changing table is (another name: reference data).
    pub fn analyse(
        plan: &LogicalPlan,
        ctx: &SessionContext,
        kinds: &HashMap<String, TableKind>,
    ) -> std::result::Result<Dataflow, String> {
        let state = ctx.state();
        let catalog = Catalog {
            state: &state,
            kinds,
        };
        let mut found = Split::default();
        let top = split(plan, &catalog, &mut found, None)?;
        let top_reads = models_read(&top, &catalog);
        if found.frontiers.is_empty() {
            return Err("no part of it reads a changing table and keeps state".into());
        }
        let mut takes = BTreeSet::new();
        for built in &found.frontiers {
            takes.extend(built.sources.iter().cloned());
        }
        let frontier_schemas = (found.frontiers.iter())
            .map(|b| numbered(&b.node.schema()))
            .collect();
        Ok(Dataflow {
            frontiers: found.frontiers.into_iter().map(|b| b.node).collect(),
            frontier_schemas,
            schema: Arc::new(plan.schema().as_arrow().clone()),
            top,
            takes,
            top_reads,
        })
    }

    /// The changing tables whose changes a refresh takes in.
    pub fn takes(&self) -> &BTreeSet<String> {
        &self.takes
    }

    /// The models the top reads as they are (no change of theirs is needed).
    pub fn top_reads(&self) -> &BTreeSet<String> {
        &self.top_reads
    }

    /// How many frontiers it keeps.
    pub fn frontiers(&self) -> usize {
        self.frontiers.len()
    }

    /// The model's columns.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Builds every frontier's state from the tables registered in `ctx` and returns the
    /// model's rows.
    pub async fn rebuild(&mut self, ctx: &SessionContext) -> Result<Vec<RecordBatch>> {
        for frontier in &mut self.frontiers {
            frontier.init(ctx).await?;
        }
        self.output(ctx).await
    }

    /// Takes in `changes` (those of the tables the model reads since the last step) and
    /// returns the model's rows.
    pub async fn apply(
        &mut self,
        ctx: &SessionContext,
        changes: &Changes,
    ) -> Result<Vec<RecordBatch>> {
        for frontier in &mut self.frontiers {
            frontier.step(changes)?;
        }
        self.output(ctx).await
    }

    /// The model's rows: the top over the frontiers' outputs.
    async fn output(&self, ctx: &SessionContext) -> Result<Vec<RecordBatch>> {
        let mut replaced: HashMap<String, Arc<dyn TableProvider>> = HashMap::new();
        for (i, frontier) in self.frontiers.iter().enumerate() {
            let schema = &self.frontier_schemas[i];
            let batches = (frontier.full(ctx).await?.iter())
                .map(|b| positional(b, schema))
                .collect::<Result<Vec<_>>>()?;
            let table = MemTable::try_new(schema.clone(), vec![batches])?;
            replaced.insert(frontier_table(i), Arc::new(table));
        }
        let plan = with_current_tables(&self.top, ctx, &replaced).await?;
        let state = ctx.state();
        let physical = state
            .query_planner()
            .create_physical_plan(&plan, &state)
            .await?;
        let batches = collect(physical, ctx.task_ctx()).await?;
        (batches.iter())
            .filter(|b| b.num_rows() > 0)
            .map(|b| positional(b, &self.schema))
            .collect()
    }
}
