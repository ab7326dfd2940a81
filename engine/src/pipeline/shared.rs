//! Shared parts of a model computed once: a common table expression that a model reads
//! more than once is planned into each place it is read, and computed again at each.
//! Before a model runs, every largest subtree of its plan that occurs more than once
//! and is worth keeping (it joins or aggregates; it is deterministic and reads nothing
//! of an enclosing query) is computed once and its rows read in each place.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchemaRef};
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::error::Result;
use datafusion::logical_expr::{
    Expr, LogicalPlan, LogicalPlanBuilder, TableScanBuilder, Volatility,
};
use datafusion::prelude::SessionContext;

/// The plan of `sql` in `ctx`, with each repeated part worth keeping computed (now)
/// and read from memory in every place it occurs.
pub async fn plan_sharing(ctx: &SessionContext, sql: &str) -> Result<LogicalPlan> {
    let plan = ctx.state().create_logical_plan(sql).await?;
    let shared = repeated(&plan);
    if shared.is_empty() {
        return Ok(plan);
    }
    let mut stand_ins: HashMap<LogicalPlan, LogicalPlan> = HashMap::new();
    for (i, part) in shared.into_iter().enumerate() {
        let batches = ctx
            .execute_logical_plan(part.clone())
            .await?
            .collect()
            .await?;
        let columns = numbered(part.schema().as_arrow());
        // Views copied out of the pages they point into: the table's size, which the
        // planner compares to choose join sides, is then that of its rows.
        let (_, batches) = super::compact::compact(&columns, batches)
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        let batches = (batches.into_iter())
            .map(|b| RecordBatch::try_new(columns.clone(), b.columns().to_vec()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let table = MemTable::try_new(columns, vec![batches])?;
        let stand_in = read_as(&format!("__shared_{i}"), Arc::new(table), part.schema())?;
        stand_ins.insert(part, stand_in);
    }
    let rewritten = plan.transform_down(|node| match stand_ins.get(&node) {
        Some(stand_in) => Ok(Transformed::new(
            stand_in.clone(),
            true,
            TreeNodeRecursion::Jump,
        )),
        None => Ok(Transformed::no(node)),
    })?;
    Ok(rewritten.data)
}

/// The largest subtrees of `plan` that occur more than once and are worth keeping, in
/// the order first met.
fn repeated(plan: &LogicalPlan) -> Vec<LogicalPlan> {
    let mut counts: HashMap<&LogicalPlan, usize> = HashMap::new();
    count(plan, &mut counts);
    let mut out: Vec<LogicalPlan> = Vec::new();
    pick(plan, &counts, &mut out);
    out
}

fn count<'a>(plan: &'a LogicalPlan, counts: &mut HashMap<&'a LogicalPlan, usize>) {
    *counts.entry(plan).or_default() += 1;
    for input in plan.inputs() {
        count(input, counts);
    }
}

fn pick(plan: &LogicalPlan, counts: &HashMap<&LogicalPlan, usize>, out: &mut Vec<LogicalPlan>) {
    if counts.get(plan).copied().unwrap_or(0) > 1 && worth_keeping(plan) {
        if !out.contains(plan) {
            out.push(plan.clone());
        }
        return;
    }
    for input in plan.inputs() {
        pick(input, counts, out);
    }
}

/// Whether computing `plan` once is worth it and gives the same rows as computing it in
/// each place: it joins or aggregates, calls nothing whose result may change between
/// calls, and reads no column of an enclosing query.
fn worth_keeping(plan: &LogicalPlan) -> bool {
    let mut costly = false;
    let mut safe = true;
    let _ = plan.apply_with_subqueries(|node| {
        if matches!(
            node,
            LogicalPlan::Aggregate(_) | LogicalPlan::Join(_) | LogicalPlan::Window(_)
        ) {
            costly = true;
        }
        for expr in node.expressions() {
            let _ = expr.apply(|e| {
                let unstable = matches!(e, Expr::ScalarFunction(f)
                    if f.func.signature().volatility != Volatility::Immutable);
                if unstable || matches!(e, Expr::OuterReferenceColumn(..)) {
                    safe = false;
                    return Ok(TreeNodeRecursion::Stop);
                }
                Ok(TreeNodeRecursion::Continue)
            });
        }
        Ok(if safe {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    costly && safe
}

/// `schema`'s columns renamed `c0`, `c1`, … (a plan's output may repeat a name under two
/// qualifiers).
pub fn numbered(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new(
        (schema.fields().iter().enumerate())
            .map(|(k, f)| Field::new(format!("c{k}"), f.data_type().clone(), f.is_nullable()))
            .collect::<Vec<_>>(),
    ))
}

/// A scan of `provider` (whose columns are [`numbered`] after `schema`) named `table`,
/// giving the columns of `schema` under their qualifiers: what stands for a subtree
/// whose rows are computed elsewhere.
pub fn read_as(
    table: &str,
    provider: Arc<dyn datafusion::catalog::TableProvider>,
    schema: &DFSchemaRef,
) -> Result<LogicalPlan> {
    let scan = TableScanBuilder::new(table, provider_as_source(provider)).build()?;
    let exprs: Vec<Expr> = (schema.iter().enumerate())
        .map(|(k, (qualifier, field))| {
            Expr::Column(Column::new(Some(table), format!("c{k}")))
                .alias_qualified(qualifier.cloned(), field.name())
        })
        .collect();
    LogicalPlanBuilder::from(LogicalPlan::TableScan(scan))
        .project(exprs)?
        .build()
}
