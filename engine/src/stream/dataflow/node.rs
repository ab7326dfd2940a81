//! The operators of a dataflow and what every one of them does: take the changes of
//! its inputs in a step and give its own ([`Node::step`]), build its state from the
//! inputs' whole contents ([`Node::init`]), and give its whole current output
//! ([`Node::full`]). Scans, filters, projections, aliases and unions keep no state;
//! joins ([`super::join`]) and aggregates ([`super::aggregate`]) do.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, BooleanArray, RecordBatch};
use arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::provider_as_source;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{LogicalPlan, TableScanBuilder};
use datafusion::physical_plan::PhysicalExpr;
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use futures::future::BoxFuture;

use super::aggregate::AggregateNode;
use super::delta::{Delta, by_name, positional, with_columns};
use super::join::JoinNode;

/// The changes of a step: per changing table (canonical table or model, by name), the
/// changes to its rows, in that table's own columns.
pub type Changes = HashMap<String, Vec<Delta>>;

/// One operator and its inputs.
pub enum Node {
    /// A scan of a table: its changes come from outside.
    Source(Source),
    /// Rows where a predicate is true.
    Filter {
        input: Box<Node>,
        predicate: Arc<dyn PhysicalExpr>,
        plan: LogicalPlan,
    },
    /// Expressions of each row.
    Project {
        input: Box<Node>,
        exprs: Vec<Arc<dyn PhysicalExpr>>,
        schema: SchemaRef,
        plan: LogicalPlan,
    },
    /// The same rows under another name.
    Alias {
        input: Box<Node>,
        schema: SchemaRef,
        plan: LogicalPlan,
    },
    /// The rows of every input.
    Union {
        inputs: Vec<Node>,
        schema: SchemaRef,
        plan: LogicalPlan,
    },
    /// An equi-join.
    Join(Box<JoinNode>),
    /// A grouped aggregate.
    Aggregate(Box<AggregateNode>),
}

/// A scan of one table: a canonical table, a model or a reference table (which never
/// changes).
pub struct Source {
    /// The table's name, under which its changes arrive.
    pub name: String,
    /// The provider's columns, which the changes are given in.
    pub table_schema: SchemaRef,
    /// Filters pushed into the scan, over `table_schema`.
    pub filters: Vec<Arc<dyn PhysicalExpr>>,
    /// The columns read, by index into `table_schema`.
    pub projection: Option<Vec<usize>>,
    /// The scan's output.
    pub schema: SchemaRef,
    /// The scan itself.
    pub plan: LogicalPlan,
}

impl Source {
    fn step(&self, changes: &Changes) -> Result<Delta> {
        let Some(parts) = changes.get(&self.name) else {
            return Ok(Delta::empty(self.schema.clone()));
        };
        let mut out = Vec::with_capacity(parts.len());
        for part in parts.iter().filter(|p| !p.is_empty()) {
            let mut delta = part.with_batch(by_name(&part.batch, &self.table_schema)?);
            for filter in &self.filters {
                let mask = evaluate_mask(filter.as_ref(), &delta.batch)?;
                delta = delta.filter(&mask)?;
            }
            let columns = match &self.projection {
                Some(indices) => indices
                    .iter()
                    .map(|&i| Arc::clone(delta.batch.column(i)))
                    .collect(),
                None => delta.batch.columns().to_vec(),
            };
            let batch = with_columns(&self.schema, columns, delta.len())?;
            out.push(delta.with_batch(batch));
        }
        Delta::concat(&self.schema, &out)
    }
}

/// The rows of `batch` where `predicate` is true (null counts as false).
pub fn evaluate_mask(predicate: &dyn PhysicalExpr, batch: &RecordBatch) -> Result<BooleanArray> {
    let value = predicate.evaluate(batch)?.into_array(batch.num_rows())?;
    let mask = value
        .as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| DataFusionError::Internal("a predicate that is not boolean".into()))?;
    Ok(mask.clone())
}

/// `exprs` evaluated over `batch`, as a batch of `schema`.
fn project(
    exprs: &[Arc<dyn PhysicalExpr>],
    schema: &SchemaRef,
    batch: &RecordBatch,
) -> Result<RecordBatch> {
    let columns = (exprs.iter())
        .map(|e| e.evaluate(batch)?.into_array(batch.num_rows()))
        .collect::<Result<Vec<_>>>()?;
    with_columns(schema, columns, batch.num_rows())
}

impl Node {
    /// The node's output columns.
    pub fn schema(&self) -> SchemaRef {
        match self {
            Node::Source(s) => s.schema.clone(),
            Node::Filter { input, .. } => input.schema(),
            Node::Project { schema, .. }
            | Node::Alias { schema, .. }
            | Node::Union { schema, .. } => schema.clone(),
            Node::Join(j) => j.schema(),
            Node::Aggregate(a) => a.schema(),
        }
    }

    /// Whether the node or one below keeps state (a join or an aggregate).
    pub fn stateful(&self) -> bool {
        match self {
            Node::Source(_) => false,
            Node::Filter { input, .. }
            | Node::Project { input, .. }
            | Node::Alias { input, .. } => input.stateful(),
            Node::Union { inputs, .. } => inputs.iter().any(Node::stateful),
            Node::Join(_) | Node::Aggregate(_) => true,
        }
    }

    /// The plan of the node's subtree.
    fn plan(&self) -> Option<&LogicalPlan> {
        match self {
            Node::Source(s) => Some(&s.plan),
            Node::Filter { plan, .. }
            | Node::Project { plan, .. }
            | Node::Alias { plan, .. }
            | Node::Union { plan, .. } => Some(plan),
            Node::Join(_) | Node::Aggregate(_) => None,
        }
    }

    /// The node's changes in a step where its tables changed by `changes`.
    pub fn step(&mut self, changes: &Changes) -> Result<Delta> {
        match self {
            Node::Source(s) => s.step(changes),
            Node::Filter {
                input, predicate, ..
            } => {
                let delta = input.step(changes)?;
                if delta.is_empty() {
                    return Ok(delta);
                }
                let mask = evaluate_mask(predicate.as_ref(), &delta.batch)?;
                delta.filter(&mask)
            }
            Node::Project {
                input,
                exprs,
                schema,
                ..
            } => {
                let delta = input.step(changes)?;
                if delta.is_empty() {
                    return Ok(Delta::empty(schema.clone()));
                }
                let batch = project(exprs, schema, &delta.batch)?;
                Ok(delta.with_batch(batch))
            }
            Node::Alias { input, schema, .. } => {
                let delta = input.step(changes)?;
                let batch = positional(&delta.batch, schema)?;
                Ok(delta.with_batch(batch))
            }
            Node::Union { inputs, schema, .. } => {
                let parts = (inputs.iter_mut())
                    .map(|i| i.step(changes))
                    .collect::<Result<Vec<_>>>()?;
                Delta::concat(schema, &parts)
            }
            Node::Join(j) => j.step(changes),
            Node::Aggregate(a) => a.step(changes),
        }
    }

    /// Builds the state of every join and aggregate from the whole current contents
    /// of the tables in `ctx`.
    pub fn init<'a>(&'a mut self, ctx: &'a SessionContext) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match self {
                Node::Source(_) => Ok(()),
                Node::Filter { input, .. }
                | Node::Project { input, .. }
                | Node::Alias { input, .. } => input.init(ctx).await,
                Node::Union { inputs, .. } => {
                    for input in inputs {
                        input.init(ctx).await?;
                    }
                    Ok(())
                }
                Node::Join(j) => j.init(ctx).await,
                Node::Aggregate(a) => a.init(ctx).await,
            }
        })
    }

    /// Feeds the node's whole current output, batch by batch, to `sink`.
    pub fn each_full<'a>(
        &'a self,
        ctx: &'a SessionContext,
        sink: &'a mut (dyn FnMut(RecordBatch) -> Result<()> + Send),
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if !self.stateful() {
                let plan = self.plan().ok_or_else(|| {
                    DataFusionError::Internal("a stateless node without a plan".into())
                })?;
                let plan = with_current_tables(plan, ctx, &HashMap::new()).await?;
                let mut stream = ctx
                    .execute_logical_plan(plan)
                    .await?
                    .execute_stream()
                    .await?;
                while let Some(batch) = stream.try_next().await? {
                    sink(positional(&batch, &self.schema())?)?;
                }
                return Ok(());
            }
            match self {
                Node::Source(_) => unreachable!("a source keeps no state"),
                Node::Filter {
                    input, predicate, ..
                } => {
                    let mut inner = |batch: RecordBatch| {
                        let mask = evaluate_mask(predicate.as_ref(), &batch)?;
                        sink(arrow::compute::filter_record_batch(&batch, &mask)?)
                    };
                    input.each_full(ctx, &mut inner).await
                }
                Node::Project {
                    input,
                    exprs,
                    schema,
                    ..
                } => {
                    let mut inner = |batch: RecordBatch| sink(project(exprs, schema, &batch)?);
                    input.each_full(ctx, &mut inner).await
                }
                Node::Alias { input, schema, .. } => {
                    let mut inner = |batch: RecordBatch| sink(positional(&batch, schema)?);
                    input.each_full(ctx, &mut inner).await
                }
                Node::Union { inputs, schema, .. } => {
                    for input in inputs {
                        let mut inner = |batch: RecordBatch| sink(positional(&batch, schema)?);
                        input.each_full(ctx, &mut inner).await?;
                    }
                    Ok(())
                }
                Node::Join(j) => {
                    for batch in j.full()? {
                        sink(batch)?;
                    }
                    Ok(())
                }
                Node::Aggregate(a) => {
                    for batch in a.full()? {
                        sink(batch)?;
                    }
                    Ok(())
                }
            }
        })
    }

    /// The node's whole current output.
    pub async fn full(&self, ctx: &SessionContext) -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        let mut sink = |batch: RecordBatch| {
            if batch.num_rows() > 0 {
                out.push(batch);
            }
            Ok(())
        };
        self.each_full(ctx, &mut sink).await?;
        Ok(out)
    }
}

/// `plan` with every table scan reading the table registered under its name in `ctx`
/// now (or, for a name in `replaced`, that provider): a plan keeps the provider it was
/// planned with, and a refreshed table is registered anew.
pub async fn with_current_tables(
    plan: &LogicalPlan,
    ctx: &SessionContext,
    replaced: &HashMap<String, Arc<dyn TableProvider>>,
) -> Result<LogicalPlan> {
    let mut names = Vec::new();
    plan.apply(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            names.push(scan.table_name.clone());
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    })?;
    let mut providers: HashMap<String, Arc<dyn TableProvider>> = replaced.clone();
    for name in names {
        let key = name.table().to_string();
        if !providers.contains_key(&key)
            && let Ok(provider) = ctx.table_provider(name.clone()).await
        {
            providers.insert(key, provider);
        }
    }
    let rewritten = plan.clone().transform_up(|node| {
        let LogicalPlan::TableScan(scan) = &node else {
            return Ok(Transformed::no(node));
        };
        let Some(provider) = providers.get(scan.table_name.table()) else {
            return Ok(Transformed::no(node));
        };
        let scan = TableScanBuilder::new(
            scan.table_name.clone(),
            provider_as_source(provider.clone()),
        )
        .with_projection(scan.projection.clone())
        .with_filters(scan.filters.clone())
        .with_fetch(scan.fetch)
        .build()?;
        Ok(Transformed::yes(LogicalPlan::TableScan(scan)))
    })?;
    Ok(rewritten.data)
}
