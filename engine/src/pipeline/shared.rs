//! Shared parts of a model computed once: a common table expression that a model reads
//! more than once is planned into each place it is read, and computed again at each.
//! Before a model runs, every subtree of its plan that occurs more than once and is worth
//! keeping (it joins, aggregates or computes a window; it is deterministic and reads
//! nothing of an enclosing query) is computed once and its rows read in each place. A
//! part read by two shared parts (a common table expression under two others) is
//! computed once too, before them.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchemaRef};
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, TableScanBuilder};
use datafusion::prelude::SessionContext;

/// The plan of `sql` in `ctx`, with each repeated part worth keeping computed (now)
/// and read from memory in every place it occurs.
pub async fn plan_sharing(ctx: &SessionContext, sql: &str) -> Result<LogicalPlan> {
    let plan = ctx.state().create_logical_plan(sql).await?;
    let shared = super::repeats::shared_parts(&plan);
    if shared.is_empty() {
        return Ok(plan);
    }
    let mut stand_ins: HashMap<LogicalPlan, LogicalPlan> = HashMap::new();
    for (i, part) in shared.into_iter().enumerate() {
        let started = std::time::Instant::now();
        let computed = substitute(part.clone(), &stand_ins)?;
        let batches = ctx.execute_logical_plan(computed).await?.collect().await?;
        tracing::debug!(
            part = i,
            rows = batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
            seconds = started.elapsed().as_secs_f64(),
            "shared part computed"
        );
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
    substitute(plan, &stand_ins)
}

/// `plan` with each subtree that has a stand-in replaced by it, the largest first.
fn substitute(
    plan: LogicalPlan,
    stand_ins: &HashMap<LogicalPlan, LogicalPlan>,
) -> Result<LogicalPlan> {
    if stand_ins.is_empty() {
        return Ok(plan);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::util::pretty::pretty_format_batches;
    use datafusion::datasource::MemTable;
    use datafusion::logical_expr::LogicalPlan;
    use datafusion::prelude::SessionContext;

    use super::plan_sharing;
    use crate::pipeline::repeats::shared_parts;

    /// A session with `t(k, v)`: k = 0..40 by tens, v = 1..=40.
    fn session() -> SessionContext {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("v", DataType::Int64, false),
        ]));
        let k: Vec<i64> = (0..40).map(|i| i / 10).collect();
        let v: Vec<i64> = (1..=40).collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int64Array::from(k)), Arc::new(Int64Array::from(v))],
        )
        .unwrap();
        let ctx = SessionContext::new();
        let table = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        ctx
    }

    /// `base` is read by `pairs` (twice) and by `counts`; `pairs` is read twice, and
    /// `positive` (a filter over `base`) twice.
    const SQL: &str = "
        with base as (select k, sum(v) as s from t group by k),
        pairs as (
            select b1.k, b1.s + b2.s as s2
            from base b1 join base b2 on b1.k = b2.k
        ),
        counts as (select k, count(*) as n from base group by k),
        positive as (select k, s from base where s > 0)
        select p1.k, p1.s2, p2.s2 as again, c.n, x.s, y.s as s_again
        from pairs p1
        join pairs p2 on p1.k = p2.k
        join counts c on c.k = p1.k
        join positive x on x.k = p1.k
        join positive y on y.k = p1.k";

    fn describe(part: &LogicalPlan) -> String {
        part.display_indent().to_string()
    }

    #[tokio::test]
    async fn a_part_read_by_two_shared_parts_is_computed_once_and_wrappers_not_at_all() {
        let ctx = session();
        let plan = ctx.state().create_logical_plan(SQL).await.unwrap();
        let parts = shared_parts(&plan);
        let shown: Vec<String> = parts.iter().map(describe).collect();
        // `base` (the aggregate) and `pairs` (the join over it), `base` first; neither an
        // alias nor `positive`, a filter over `base`, which is cheap once `base` is kept.
        assert_eq!(parts.len(), 2, "{shown:#?}");
        assert!(
            shown[0].starts_with("Projection: t.k, sum(t.v) AS s"),
            "{shown:#?}"
        );
        assert!(shown[0].contains("Aggregate"), "{shown:#?}");
        assert!(shown[1].contains("Inner Join"), "{shown:#?}");
        assert!(
            shown[1].contains("sum(t.v) AS s"),
            "pairs holds base: {shown:#?}"
        );
        for part in &parts {
            assert!(!matches!(part, LogicalPlan::SubqueryAlias(_)), "{shown:#?}");
        }
    }

    #[tokio::test]
    async fn shared_parts_give_the_rows_of_the_plain_query() {
        let ctx = session();
        let plain = ctx.sql(&format!("{SQL} order by k")).await.unwrap();
        let plain = pretty_format_batches(&plain.collect().await.unwrap())
            .unwrap()
            .to_string();
        let shared = plan_sharing(&ctx, &format!("{SQL} order by k"))
            .await
            .unwrap();
        let shared = ctx.execute_logical_plan(shared).await.unwrap();
        let shared = pretty_format_batches(&shared.collect().await.unwrap())
            .unwrap()
            .to_string();
        assert_eq!(shared, plain);
        // Worked out by hand: k = 0 sums 1..=10 = 55, k = 1 sums 11..=20 = 155, …; each
        // pair doubles it; one row per k in counts.
        let expected = "\
+---+-----+-------+---+-----+---------+
| k | s2  | again | n | s   | s_again |
+---+-----+-------+---+-----+---------+
| 0 | 110 | 110   | 1 | 55  | 55      |
| 1 | 310 | 310   | 1 | 155 | 155     |
| 2 | 510 | 510   | 1 | 255 | 255     |
| 3 | 710 | 710   | 1 | 355 | 355     |
+---+-----+-------+---+-----+---------+";
        assert_eq!(shared, expected);
    }
}
