//! Incremental refresh of aggregate models.
//!
//! A model qualifies when its optimised plan is an aggregate over one append-only
//! canonical table, with only projections, filters and aliases between the table and the
//! aggregate, every aggregate one of `count`, `count(distinct …)`, `sum`, `min`, `max`
//! and `avg` (no other `DISTINCT`, no `FILTER` or `ORDER BY` inside it), no function
//! whose result can change from one call to the next (`now()`, `random()`), and only
//! renames above it. Such a model is kept as a *state*: per group, each aggregate's
//! partial value (`avg` as its sum and count), and for each `count(distinct x)` the set
//! of distinct `(group, x)`. New rows are aggregated on their own into a partial state,
//! merged with the old one by group (counts and sums added, minima and maxima compared,
//! sets united), and the model's rows are the finished state. Any other model is
//! recomputed in full.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::TableReference;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    Aggregate, Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder, Volatility, cast as cast_expr,
};
use datafusion::prelude::{SessionConfig, SessionContext};
use skillbrain_connectors::Table;

use crate::error::{Error, Result};

/// An aggregate the state keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Count,
    Sum,
    Min,
    Max,
    Avg,
    /// `count(distinct x)`: counted from its set of distinct values.
    CountDistinct,
}

/// Where a column of the model comes from.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// The i-th grouping expression.
    Group(usize),
    /// The j-th aggregate.
    Agg(usize),
}

/// An aggregate model kept from its state; see the module documentation.
#[derive(Debug)]
pub struct Incremental {
    /// The canonical table it reads.
    pub table: Table,
    /// The table's name in the plan.
    table_name: TableReference,
    /// The aggregate's input, as planned (scanning the whole table).
    input: LogicalPlan,
    /// The grouping expressions.
    group: Vec<Expr>,
    /// The aggregates: kind and the expression as planned.
    aggs: Vec<(Kind, Expr)>,
    /// The model's columns: name and origin.
    outputs: Vec<(String, Slot)>,
    /// The model's schema (what a full recompute gives).
    schema: SchemaRef,
    /// The state: grouping columns `__g<i>`, then each aggregate's partial columns.
    state: Vec<RecordBatch>,
    /// Per `count(distinct x)` aggregate (by index): the distinct `(__g…, __v)` rows.
    sets: HashMap<usize, Vec<RecordBatch>>,
    /// Partitions of the sessions that merge and finish states.
    target_partitions: usize,
}

impl Incremental {
    /// Analyses an optimised model plan; `None` (with the reason) when the model must be
    /// recomputed in full.
    pub fn analyse(
        plan: &LogicalPlan,
        target_partitions: usize,
    ) -> std::result::Result<Incremental, String> {
        let (map, aggregate) = peel(plan)?;
        let n = aggregate.group_expr.len();
        let outputs = plan
            .schema()
            .fields()
            .iter()
            .zip(&map)
            .map(|(field, &i)| {
                let slot = if i < n {
                    Slot::Group(i)
                } else {
                    Slot::Agg(i - n)
                };
                (field.name().clone(), slot)
            })
            .collect();
        let mut group = Vec::with_capacity(n);
        for e in &aggregate.group_expr {
            if matches!(e, Expr::GroupingSet(_)) {
                return Err("GROUPING SETS, CUBE and ROLLUP are recomputed".into());
            }
            check_stable(e)?;
            group.push(e.clone());
        }
        let mut aggs = Vec::with_capacity(aggregate.aggr_expr.len());
        for e in &aggregate.aggr_expr {
            let mut inner = e;
            while let Expr::Alias(a) = inner {
                inner = a.expr.as_ref();
            }
            let Expr::AggregateFunction(f) = inner else {
                return Err(format!("`{e}` is not a plain aggregate"));
            };
            let p = &f.params;
            let name = f.func.name().to_ascii_lowercase();
            let counts_distinct = p.distinct && name == "count" && p.args.len() == 1;
            if (p.distinct && !counts_distinct) || p.filter.is_some() || !p.order_by.is_empty() {
                return Err(format!(
                    "`{e}` has DISTINCT, FILTER or ORDER BY, which a merge cannot keep"
                ));
            }
            let kind = match name.as_str() {
                "count" if counts_distinct => Kind::CountDistinct,
                "count" => Kind::Count,
                "sum" => Kind::Sum,
                "min" => Kind::Min,
                "max" => Kind::Max,
                "avg" | "mean" => Kind::Avg,
                other => return Err(format!("aggregate `{other}` is not mergeable")),
            };
            for arg in &p.args {
                check_stable(arg)?;
            }
            if kind == Kind::Avg
                && let [arg] = p.args.as_slice()
                && let Ok(DataType::Decimal128(..) | DataType::Decimal256(..)) =
                    arg.get_type(aggregate.input.schema().as_ref())
            {
                return Err("avg of a decimal is recomputed".into());
            }
            aggs.push((kind, inner.clone()));
        }
        let table_name = source_table(&aggregate.input)?;
        let table: Table = table_name
            .table()
            .parse()
            .map_err(|_| format!("`{table_name}` is not a canonical (append-only) table"))?;
        Ok(Incremental {
            table,
            table_name,
            input: aggregate.input.as_ref().clone(),
            group,
            aggs,
            outputs,
            schema: Arc::new(plan.schema().as_arrow().clone()),
            state: Vec::new(),
            sets: HashMap::new(),
            target_partitions,
        })
    }

    /// The model's schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Computes the state over the whole table in `ctx` and returns the model's rows.
    pub async fn rebuild(&mut self, ctx: &SessionContext) -> Result<Vec<RecordBatch>> {
        self.state = self.partial(ctx, self.input.clone()).await?;
        self.sets = self.distinct_sets(ctx, &self.input).await?;
        self.finish().await
    }

    /// Merges `rows` (new rows of the table, in its canonical schema) into the state and
    /// returns the model's rows.
    pub async fn apply(
        &mut self,
        ctx: &SessionContext,
        rows: &[RecordBatch],
    ) -> Result<Vec<RecordBatch>> {
        if rows.iter().all(|b| b.num_rows() == 0) {
            return self.finish().await;
        }
        let input = self.input_over(rows)?;
        let partial = self.partial(ctx, input.clone()).await?;
        let sets = self.distinct_sets(ctx, &input).await?;
        let merged = self.merge(partial).await?;
        self.state = merged;
        for (j, new) in sets {
            let old = self.sets.remove(&j).unwrap_or_default();
            self.sets.insert(j, union_distinct(old, new).await?);
        }
        self.finish().await
    }

    /// The aggregate input with the table scan replaced by a scan of `rows`.
    fn input_over(&self, rows: &[RecordBatch]) -> Result<LogicalPlan> {
        let name = self.table_name.clone();
        let rows = rows.to_vec();
        let replaced = self.input.clone().transform_up(|node| {
            let LogicalPlan::TableScan(scan) = &node else {
                return Ok(Transformed::no(node));
            };
            if scan.table_name != name {
                return Ok(Transformed::no(node));
            }
            let schema = scan.source.schema();
            let batches = rows
                .iter()
                .map(|b| conform(b, &schema))
                .collect::<datafusion::error::Result<Vec<_>>>()?;
            let table = MemTable::try_new(schema, vec![batches])?;
            let mut builder = LogicalPlanBuilder::scan(
                scan.table_name.clone(),
                provider_as_source(Arc::new(table)),
                scan.projection.clone(),
            )?;
            if let Some(filter) = conjunction(scan.filters.clone()) {
                builder = builder.filter(filter)?;
            }
            Ok(Transformed::yes(builder.build()?))
        })?;
        Ok(replaced.data)
    }

    /// The state of `input`: the grouping columns and each aggregate's partial columns.
    async fn partial(&self, ctx: &SessionContext, input: LogicalPlan) -> Result<Vec<RecordBatch>> {
        let group: Vec<Expr> = (self.group.iter().enumerate())
            .map(|(i, e)| e.clone().alias(format!("__g{i}")))
            .collect();
        let mut state = Vec::new();
        for (j, (kind, e)) in self.aggs.iter().enumerate() {
            match kind {
                Kind::Avg => {
                    let Expr::AggregateFunction(f) = e else {
                        unreachable!("checked in analyse")
                    };
                    let arg = f.params.args[0].clone();
                    state.push(
                        sum(cast_expr(arg.clone(), DataType::Float64)).alias(format!("__a{j}_s")),
                    );
                    state.push(count(arg).alias(format!("__a{j}_c")));
                }
                // Counted from its set when finished.
                Kind::CountDistinct => {}
                _ => state.push(e.clone().alias(format!("__a{j}"))),
            }
        }
        let plan = LogicalPlanBuilder::from(input)
            .aggregate(group, state)?
            .build()?;
        Ok(ctx.execute_logical_plan(plan).await?.collect().await?)
    }

    /// For each `count(distinct x)`: the distinct `(group, x)` rows of `input`.
    async fn distinct_sets(
        &self,
        ctx: &SessionContext,
        input: &LogicalPlan,
    ) -> Result<HashMap<usize, Vec<RecordBatch>>> {
        let mut sets = HashMap::new();
        for (j, (kind, e)) in self.aggs.iter().enumerate() {
            if *kind != Kind::CountDistinct {
                continue;
            }
            let Expr::AggregateFunction(f) = e else {
                unreachable!("checked in analyse")
            };
            let mut keys: Vec<Expr> = (self.group.iter().enumerate())
                .map(|(i, g)| g.clone().alias(format!("__g{i}")))
                .collect();
            keys.push(f.params.args[0].clone().alias("__v"));
            let plan = LogicalPlanBuilder::from(input.clone())
                .aggregate(keys, Vec::<Expr>::new())?
                .build()?;
            sets.insert(j, ctx.execute_logical_plan(plan).await?.collect().await?);
        }
        Ok(sets)
    }

    /// A session for merging and finishing states.
    fn scratch(&self) -> SessionContext {
        SessionContext::new_with_config(
            SessionConfig::new().with_target_partitions(self.target_partitions.max(1)),
        )
    }

    /// The old state merged with `partial`, group by group.
    async fn merge(&self, partial: Vec<RecordBatch>) -> Result<Vec<RecordBatch>> {
        let Some(schema) = partial.first().map(RecordBatch::schema) else {
            return Ok(self.state.clone());
        };
        let old: Vec<RecordBatch> = (self.state.iter())
            .map(|b| conform(b, &schema))
            .collect::<datafusion::error::Result<_>>()?;
        let ctx = self.scratch();
        ctx.register_table(
            "old_state",
            Arc::new(MemTable::try_new(schema.clone(), vec![old])?),
        )?;
        ctx.register_table(
            "new_state",
            Arc::new(MemTable::try_new(schema.clone(), vec![partial])?),
        )?;
        let mut select = Vec::new();
        let mut keys = Vec::new();
        for field in schema.fields() {
            let name = field.name();
            let quoted = quote(name);
            if name.starts_with("__g") {
                select.push(quoted.clone());
                keys.push(quoted);
                continue;
            }
            let j: usize = name[3..]
                .split('_')
                .next()
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| Error::Internal(format!("state column {name}")))?;
            let merge = match self.aggs[j].0 {
                Kind::Count | Kind::Sum | Kind::Avg | Kind::CountDistinct => "sum",
                Kind::Min => "min",
                Kind::Max => "max",
            };
            select.push(format!("{merge}({quoted}) as {quoted}"));
        }
        let mut sql = format!(
            "select {} from (select * from old_state union all select * from new_state)",
            select.join(", ")
        );
        if !keys.is_empty() {
            sql.push_str(&format!(" group by {}", keys.join(", ")));
        }
        Ok(ctx.sql(&sql).await?.collect().await?)
    }

    /// The model's rows from the state.
    async fn finish(&self) -> Result<Vec<RecordBatch>> {
        let Some(schema) = self.state.first().map(RecordBatch::schema) else {
            return Ok(Vec::new());
        };
        let ctx = self.scratch();
        ctx.register_table(
            "state",
            Arc::new(MemTable::try_new(schema, vec![self.state.clone()])?),
        )?;
        // Each distinct count, per group, joined to the state on the grouping columns
        // (NULL matching NULL, as grouping does).
        let mut from = "state".to_string();
        let mut joined = std::collections::HashSet::new();
        for (j, set) in &self.sets {
            let Some(schema) = set.first().map(RecordBatch::schema) else {
                continue;
            };
            joined.insert(*j);
            let name = format!("set{j}");
            ctx.register_table(
                &name,
                Arc::new(MemTable::try_new(schema, vec![set.clone()])?),
            )?;
            let keys: Vec<String> = (0..self.group.len())
                .map(|i| quote(&format!("__g{i}")))
                .collect();
            let counted = format!(
                "(select {keys}{comma} count(__v) as {c} from {name}{group_by})",
                keys = keys.join(", "),
                comma = if keys.is_empty() { "" } else { "," },
                c = quote(&format!("__a{j}")),
                group_by = if keys.is_empty() {
                    String::new()
                } else {
                    format!(" group by {}", keys.join(", "))
                },
            );
            let on: Vec<String> = keys
                .iter()
                .map(|k| format!("state.{k} is not distinct from d{j}.{k}"))
                .collect();
            from = if on.is_empty() {
                format!("{from} cross join {counted} d{j}")
            } else {
                format!("{from} left join {counted} d{j} on {}", on.join(" and "))
            };
        }
        let select: Vec<String> = (self.outputs.iter())
            .map(|(name, slot)| {
                let value = match *slot {
                    Slot::Agg(j) if self.aggs[j].0 == Kind::Avg => format!(
                        "case when state.{c} = 0 then null else state.{s} / cast(state.{c} as double) end",
                        s = quote(&format!("__a{j}_s")),
                        c = quote(&format!("__a{j}_c")),
                    ),
                    Slot::Agg(j)
                        if self.aggs[j].0 == Kind::CountDistinct && !joined.contains(&j) =>
                    {
                        "cast(0 as bigint)".to_string()
                    }
                    Slot::Agg(j) if self.aggs[j].0 == Kind::CountDistinct => {
                        format!("coalesce(d{j}.{c}, 0)", c = quote(&format!("__a{j}")))
                    }
                    Slot::Agg(j) => format!("state.{}", quote(&format!("__a{j}"))),
                    Slot::Group(i) => format!("state.{}", quote(&format!("__g{i}"))),
                };
                format!("{value} as {}", quote(name))
            })
            .collect();
        let batches = ctx
            .sql(&format!("select {} from {from}", select.join(", ")))
            .await?
            .collect()
            .await?;
        batches
            .iter()
            .map(|b| conform(b, &self.schema).map_err(Error::from))
            .collect()
    }
}

/// The optimised plan of `sql` in `ctx` as [`Incremental::analyse`] reads it: without
/// the rewrite of a single `count(distinct …)` into nested aggregates, which would hide
/// the one aggregate over the table.
pub async fn plan(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<LogicalPlan> {
    let state = ctx.state();
    let rules: Vec<_> = (state.optimizers().iter())
        .filter(|r| r.name() != "single_distinct_aggregation_to_group_by")
        .cloned()
        .collect();
    let state = datafusion::execution::SessionStateBuilder::new_from_existing(state)
        .with_optimizer_rules(rules)
        .build();
    let plan = state.create_logical_plan(sql).await?;
    state.optimize(&plan)
}

/// The distinct rows of `old` and `new` together.
async fn union_distinct(old: Vec<RecordBatch>, new: Vec<RecordBatch>) -> Result<Vec<RecordBatch>> {
    let Some(schema) = new.first().or(old.first()).map(RecordBatch::schema) else {
        return Ok(Vec::new());
    };
    let rows: Vec<RecordBatch> = (old.iter().chain(&new))
        .map(|b| conform(b, &schema))
        .collect::<datafusion::error::Result<_>>()?;
    let ctx = SessionContext::new();
    ctx.register_table("rows", Arc::new(MemTable::try_new(schema, vec![rows])?))?;
    Ok(ctx
        .sql("select distinct * from rows")
        .await?
        .collect()
        .await?)
}

/// `name` as a quoted SQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `batch` with the columns of `schema`, by name, cast where the types differ.
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> datafusion::error::Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            let column = batch.column_by_name(f.name()).ok_or_else(|| {
                datafusion::error::DataFusionError::Internal(format!(
                    "column {} missing from a batch",
                    f.name()
                ))
            })?;
            if column.data_type() == f.data_type() {
                Ok(column.clone())
            } else {
                Ok(cast(column, f.data_type())?)
            }
        })
        .collect::<datafusion::error::Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// The positions of the plan's columns in the aggregate's output, through renames.
fn peel(plan: &LogicalPlan) -> std::result::Result<(Vec<usize>, &Aggregate), String> {
    match plan {
        LogicalPlan::Aggregate(a) => Ok(((0..a.schema.fields().len()).collect(), a)),
        LogicalPlan::SubqueryAlias(s) => peel(&s.input),
        LogicalPlan::Projection(p) => {
            let (inner, aggregate) = peel(&p.input)?;
            let mut map = Vec::with_capacity(p.expr.len());
            for e in &p.expr {
                let mut unaliased = e;
                while let Expr::Alias(a) = unaliased {
                    unaliased = a.expr.as_ref();
                }
                let Expr::Column(column) = unaliased else {
                    return Err(format!("`{e}` above the aggregate is not a rename"));
                };
                let i = (p.input.schema().index_of_column(column))
                    .map_err(|e| format!("column {column}: {e}"))?;
                map.push(inner[i]);
            }
            Ok((map, aggregate))
        }
        other => Err(format!(
            "the plan has a {} above its aggregate",
            other.display()
        )),
    }
}

/// The one table the aggregate's input scans, through projections, filters and aliases.
fn source_table(input: &LogicalPlan) -> std::result::Result<TableReference, String> {
    let mut found: Option<TableReference> = None;
    let mut problem: Option<String> = None;
    let _ = input.apply(|node| {
        let bad = match node {
            LogicalPlan::Projection(p) => p.expr.iter().find_map(|e| check_stable(e).err()),
            LogicalPlan::Filter(f) => check_stable(&f.predicate).err(),
            LogicalPlan::SubqueryAlias(_) => None,
            LogicalPlan::TableScan(scan) => {
                if scan.fetch.is_some() {
                    Some("a LIMIT under the aggregate".to_string())
                } else if let Some(e) = scan.filters.iter().find_map(|e| check_stable(e).err()) {
                    Some(e)
                } else if found.replace(scan.table_name.clone()).is_some() {
                    Some("the aggregate reads more than one table".to_string())
                } else {
                    None
                }
            }
            other => Some(format!("a {} under the aggregate", other.display())),
        };
        if let Some(reason) = bad {
            problem = Some(reason);
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    if let Some(reason) = problem {
        return Err(reason);
    }
    found.ok_or_else(|| "the aggregate reads no table".to_string())
}

/// An error when `expr` calls a function whose result may change between calls.
fn check_stable(expr: &Expr) -> std::result::Result<(), String> {
    let mut bad = None;
    let _ = expr.apply(|e| {
        if let Expr::ScalarFunction(f) = e
            && f.func.signature().volatility != Volatility::Immutable
        {
            bad = Some(format!(
                "`{}()` may give another value later, so old rows cannot be kept",
                f.func.name()
            ));
            return Ok(TreeNodeRecursion::Stop);
        }
        if matches!(
            e,
            Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_)
        ) {
            bad = Some("a subquery reads another table".into());
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    bad.map_or(Ok(()), Err)
}

/// The incremental models of a pipeline by name, once analysed.
pub type States = HashMap<String, Incremental>;
