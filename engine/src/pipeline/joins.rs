//! Which side of a hash join is built, by rows.
//!
//! DataFusion's join selection compares the byte sizes of the two inputs when both are
//! known, and Delta scans report their files' compressed sizes while in-memory tables
//! report their rows' in-memory size: a model's 200,000 rows then look larger than 10
//! million assessments, and the assessments become the hash table. Where the planner
//! knows nothing (a cross join with the data's `as_of`), it keeps the order of the SQL
//! and builds the preserved side of a left join, often the larger.
//!
//! - [`JoinSides`] (after DataFusion's own selection) builds every hash join on the
//!   input with fewer estimated rows, and broadcasts it (one shared hash table, the
//!   other input read in place) when it is small and the other at least four times as
//!   large; otherwise both inputs are partitioned by the key.
//!
//! Where DataFusion has no estimate of an input's rows, [`JoinSides`] makes one (see
//! `rows`).

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::{HashJoinExec, NestedLoopJoinExec, PartitionMode};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};

/// A hash join whose build side has at most this many rows is broadcast when the other
/// side has at least [`BROADCAST_RATIO`] times as many.
pub const BROADCAST_ROWS: usize = 2_000_000;

/// See [`BROADCAST_ROWS`].
pub const BROADCAST_RATIO: usize = 4;

/// Builds every hash join on its input with fewer estimated rows; see the module
/// documentation.
#[derive(Debug, Default)]
pub struct JoinSides;

/// The estimated rows of `plan`. Where DataFusion has no estimate: that of the input
/// of a filter, projection, repartition, sort or aggregate (each gives at most as many
/// rows as it reads); the product of a nested-loop join's inputs; for a hash join, the
/// larger input (of an inner join: a key joined to its own rows), or the preserved one.
fn rows(plan: &dyn ExecutionPlan) -> Option<usize> {
    let stats = StatisticsContext::new()
        .compute(plan, &StatisticsArgs::new())
        .ok();
    if let Some(rows) = stats.and_then(|s| s.num_rows.get_value().copied()) {
        return Some(rows);
    }
    let children = plan.children();
    let passes_through = plan.downcast_ref::<FilterExec>().is_some()
        || plan.downcast_ref::<ProjectionExec>().is_some()
        || plan.downcast_ref::<RepartitionExec>().is_some()
        || plan.downcast_ref::<CoalescePartitionsExec>().is_some()
        || plan.downcast_ref::<SortExec>().is_some()
        || plan.downcast_ref::<AggregateExec>().is_some();
    match children.as_slice() {
        [input] if passes_through => rows(input.as_ref()),
        [left, right] => {
            let (l, r) = (rows(left.as_ref())?, rows(right.as_ref())?);
            if plan.downcast_ref::<NestedLoopJoinExec>().is_some() {
                return Some(l.saturating_mul(r));
            }
            let join = plan.downcast_ref::<HashJoinExec>()?;
            use datafusion::common::JoinType::*;
            Some(match join.join_type() {
                Inner => l.max(r),
                Left | LeftSemi | LeftAnti | LeftMark => l,
                Right | RightSemi | RightAnti | RightMark => r,
                Full => l.saturating_add(r),
            })
        }
        _ => None,
    }
}

impl JoinSides {
    fn rewrite(&self, plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(join) = node.downcast_ref::<HashJoinExec>() else {
                return Ok(Transformed::no(node));
            };
            let mode = *join.partition_mode();
            if !matches!(
                mode,
                PartitionMode::Partitioned | PartitionMode::CollectLeft
            ) || join.null_aware
            {
                return Ok(Transformed::no(node));
            }
            let (Some(left), Some(right)) =
                (rows(join.left().as_ref()), rows(join.right().as_ref()))
            else {
                return Ok(Transformed::no(node));
            };
            let swap = right < left && join.join_type().supports_swap();
            let (build, probe) = if swap { (right, left) } else { (left, right) };
            let wanted =
                if build <= BROADCAST_ROWS && probe >= build.saturating_mul(BROADCAST_RATIO) {
                    PartitionMode::CollectLeft
                } else {
                    PartitionMode::Partitioned
                };
            if swap {
                Ok(Transformed::yes(join.swap_inputs(wanted)?))
            } else if wanted != mode {
                Ok(Transformed::yes(
                    join.builder().with_partition_mode(wanted).build_exec()?,
                ))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .data()
    }
}

impl PhysicalOptimizerRule for JoinSides {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.rewrite(plan)
    }

    fn name(&self) -> &str {
        "skillbrain_join_sides"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// DataFusion's physical optimizer rules with [`JoinSides`] right after its own join
/// selection.
pub fn physical_rules(
    defaults: &[Arc<dyn PhysicalOptimizerRule + Send + Sync>],
) -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let mut rules = Vec::with_capacity(defaults.len() + 1);
    for rule in defaults {
        rules.push(rule.clone());
        if rule.name() == "join_selection" {
            rules.push(Arc::new(JoinSides));
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
    use datafusion::datasource::MemTable;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
    use datafusion::physical_plan::ExecutionPlan;
    use datafusion::physical_plan::collect;
    use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode};
    use datafusion::prelude::{SessionConfig, SessionContext};
    use deltalake::DeltaTable;

    use super::*;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, false)]))
    }

    fn keys(keys: impl Iterator<Item = i64>) -> RecordBatch {
        let keys: Vec<i64> = keys.collect();
        RecordBatch::try_new(schema(), vec![Arc::new(Int64Array::from(keys))]).unwrap()
    }

    /// A session with `big`, a Delta table of 100,000 rows whose keys repeat in runs (0
    /// to 99, a thousand of each: a few kilobytes of Parquet), and `small`, 20,000 rows
    /// in memory (0 to 19,999: 160 kB), with or without [`JoinSides`].
    async fn session(dir: &std::path::Path, with_rule: bool) -> SessionContext {
        let defaults = PhysicalOptimizer::new().rules;
        let rules = if with_rule {
            physical_rules(&defaults)
        } else {
            defaults
        };
        let state = SessionStateBuilder::new()
            .with_config(SessionConfig::new().with_target_partitions(2))
            .with_default_features()
            .with_physical_optimizer_rules(rules)
            .build();
        let ctx = SessionContext::new_with_state(state);
        let url = url::Url::from_directory_path(dir).unwrap();
        let table = DeltaTable::try_from_url(url).await.unwrap();
        let table = if table.version().is_some() {
            table
        } else {
            table
                .write(vec![keys((0..100_000).map(|i| i / 1_000))])
                .await
                .unwrap()
        };
        table.update_datafusion_session(&ctx.state()).unwrap();
        ctx.register_table("big", table.table_provider().await.unwrap())
            .unwrap();
        let small = MemTable::try_new(schema(), vec![vec![keys(0..20_000)]]).unwrap();
        ctx.register_table("small", Arc::new(small)).unwrap();
        ctx
    }

    /// The rows of every hash join's build (left) input, with its mode.
    fn builds(plan: &Arc<dyn ExecutionPlan>, out: &mut Vec<(usize, PartitionMode)>) {
        if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
            out.push((
                rows(join.left().as_ref()).unwrap_or(0),
                *join.partition_mode(),
            ));
        }
        for child in plan.children() {
            builds(child, out);
        }
    }

    async fn plan_of(ctx: &SessionContext, sql: &str) -> Arc<dyn ExecutionPlan> {
        ctx.sql(sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_join_is_built_on_the_input_with_fewer_rows_not_fewer_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let sql = "select count(*) from big b join small s on s.k = b.k";
        // By bytes (DataFusion alone), the 100,000 compressed rows are the hash table.
        let plain = session(dir.path(), false).await;
        let mut found = Vec::new();
        builds(&plan_of(&plain, sql).await, &mut found);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 100_000, "{found:?}");
        // By rows, the 20,000, broadcast: the other input has five times as many.
        let ctx = session(dir.path(), true).await;
        let plan = plan_of(&ctx, sql).await;
        let mut found = Vec::new();
        builds(&plan, &mut found);
        assert_eq!(found, vec![(20_000, PartitionMode::CollectLeft)]);
        // The same rows: keys 0 to 99 of big, a thousand each, are in small.
        let with_rule = collect(plan, ctx.task_ctx()).await.unwrap();
        let count = with_rule[0]
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!(count.value(0), 100_000);
        let without = plain.sql(sql).await.unwrap().collect().await.unwrap();
        assert_eq!(with_rule, without);
    }

    #[tokio::test]
    async fn the_preserved_side_of_an_outer_join_may_be_probed() {
        let dir = tempfile::tempdir().unwrap();
        // Every row of big once, matched or not; built on small, read big in place.
        let sql = "select count(*), count(s.k) from big b left join small s on s.k = b.k";
        let ctx = session(dir.path(), true).await;
        let plan = plan_of(&ctx, sql).await;
        let mut found = Vec::new();
        builds(&plan, &mut found);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 20_000, "{found:?}");
        let rows = collect(plan, ctx.task_ctx()).await.unwrap();
        let all = rows[0]
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        let matched = rows[0]
            .column(1)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!((all.value(0), matched.value(0)), (100_000, 100_000));
    }
}
