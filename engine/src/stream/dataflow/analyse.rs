//! From a model's optimised logical plan to operators: [`build`] turns a subtree into a
//! [`Node`] when every node of it is one the dataflow keeps (or says why not), and
//! [`split`] finds the largest such subtrees worth keeping (the frontiers) and leaves
//! the rest of the plan (the top) to be computed again over their outputs.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use arrow::compute::SortOptions;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, DFSchemaRef, JoinType, NullEquality};
use datafusion::datasource::MemTable;
use datafusion::execution::SessionState;
use datafusion::logical_expr::expr::NullTreatment;
use datafusion::logical_expr::{Expr, LogicalPlan, Volatility};
use datafusion::physical_plan::PhysicalExpr;

use super::accumulate::{Agg, Kind, Number};
use super::aggregate::{AggregateNode, Spec};
use super::codec::Codec;
use super::join::{JoinNode, Side};
use super::node::{Node, Source};
use crate::pipeline::shared::{numbered, read_as};

/// What a table the models read is, for the dataflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// A canonical table of events: appended to, and growing with the history (its raw
    /// rows are never kept).
    Events,
    /// A canonical table of entities (workers, enterprises): appended to, bounded by
    /// the number of entities and their versions.
    Entities,
    /// Another model kept incrementally: changes by little as that model is refreshed.
    Model,
    /// Another model, recomputed in full: any of its rows may change at each refresh,
    /// so it is not kept in a join; it is aggregated from its changes, or read as it is
    /// by the top.
    Recomputed,
    /// A table that does not change while serving (reference data).
    Static,
}

/// What the analysis needs: the session (for physical expressions) and what each
/// table is (a name not listed is [`TableKind::Static`]).
pub struct Catalog<'a> {
    /// The session the models are planned in.
    pub state: &'a SessionState,
    /// Each changing table's kind, by name.
    pub kinds: &'a HashMap<String, TableKind>,
}

impl Catalog<'_> {
    fn kind(&self, name: &str) -> TableKind {
        self.kinds.get(name).copied().unwrap_or(TableKind::Static)
    }
}

/// A subtree turned into operators.
pub struct Built {
    /// The operators.
    pub node: Node,
    /// Whether its output is bounded by entities or groups, not by the history.
    pub bounded: bool,
    /// Whether its output only ever gains rows.
    pub inserts_only: bool,
    /// The changing tables it reads.
    pub sources: BTreeSet<String>,
}

type Why = std::result::Result<Built, String>;

fn physical(
    catalog: &Catalog,
    expr: &Expr,
    schema: &DFSchema,
) -> std::result::Result<Arc<dyn PhysicalExpr>, String> {
    check_stable(expr)?;
    catalog
        .state
        .create_physical_expr(expr.clone(), schema)
        .map_err(|e| format!("`{expr}`: {e}"))
}

fn arrow_schema(schema: &DFSchemaRef) -> SchemaRef {
    Arc::new(schema.as_arrow().clone())
}

fn codec_of(types: &[DataType]) -> std::result::Result<Codec, String> {
    Codec::new(types).map_err(|e| format!("rows of {types:?} cannot be kept: {e}"))
}

/// Turns `plan` into operators, or says which of its nodes the dataflow cannot keep.
pub fn build(plan: &LogicalPlan, catalog: &Catalog) -> Why {
    match plan {
        LogicalPlan::TableScan(scan) => {
            if scan.fetch.is_some() {
                return Err("a scan with a LIMIT".into());
            }
            let name = scan.table_name.table().to_string();
            let kind = catalog.kind(&name);
            let table_schema = scan.source.schema();
            let table_df =
                DFSchema::try_from_qualified_schema(scan.table_name.clone(), &table_schema)
                    .map_err(|e| e.to_string())?;
            let filters = (scan.filters.iter())
                .map(|f| physical(catalog, f, &table_df))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let node = Node::Source(Source {
                name: name.clone(),
                table_schema,
                filters,
                projection: scan.projection.clone(),
                schema: arrow_schema(&scan.projected_schema),
                plan: plan.clone(),
            });
            Ok(Built {
                node,
                bounded: !matches!(kind, TableKind::Events | TableKind::Recomputed),
                inserts_only: !matches!(kind, TableKind::Model | TableKind::Recomputed),
                sources: (kind != TableKind::Static)
                    .then_some(name)
                    .into_iter()
                    .collect(),
            })
        }
        LogicalPlan::Filter(f) => {
            let input = build(&f.input, catalog)?;
            let predicate = physical(catalog, &f.predicate, f.input.schema())?;
            Ok(Built {
                node: Node::Filter {
                    input: Box::new(input.node),
                    predicate,
                    plan: plan.clone(),
                },
                ..input
            })
        }
        LogicalPlan::Projection(p) => {
            let input = build(&p.input, catalog)?;
            let exprs = (p.expr.iter())
                .map(|e| physical(catalog, e, p.input.schema()))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(Built {
                node: Node::Project {
                    input: Box::new(input.node),
                    exprs,
                    schema: arrow_schema(&p.schema),
                    plan: plan.clone(),
                },
                ..input
            })
        }
        LogicalPlan::SubqueryAlias(a) => {
            let input = build(&a.input, catalog)?;
            Ok(Built {
                node: Node::Alias {
                    input: Box::new(input.node),
                    schema: arrow_schema(&a.schema),
                    plan: plan.clone(),
                },
                ..input
            })
        }
        LogicalPlan::Union(u) => {
            let mut inputs = Vec::with_capacity(u.inputs.len());
            let (mut bounded, mut inserts_only, mut sources) = (true, true, BTreeSet::new());
            for input in &u.inputs {
                let built = build(input, catalog)?;
                bounded &= built.bounded;
                inserts_only &= built.inserts_only;
                sources.extend(built.sources);
                inputs.push(built.node);
            }
            Ok(Built {
                node: Node::Union {
                    inputs,
                    schema: arrow_schema(&u.schema),
                    plan: plan.clone(),
                },
                bounded,
                inserts_only,
                sources,
            })
        }
        LogicalPlan::Aggregate(a) => aggregate(a, catalog),
        LogicalPlan::Join(j) => join(j, catalog),
        other => Err(format!("a {} node", other.display())),
    }
}

fn aggregate(a: &datafusion::logical_expr::Aggregate, catalog: &Catalog) -> Why {
    let input = build(&a.input, catalog)?;
    let in_df = a.input.schema();
    let in_arrow = arrow_schema(in_df);
    let schema = arrow_schema(&a.schema);
    let mut group = Vec::with_capacity(a.group_expr.len());
    for e in &a.group_expr {
        if matches!(e, Expr::GroupingSet(_)) {
            return Err("GROUPING SETS, CUBE or ROLLUP".into());
        }
        group.push(physical(catalog, e, in_df)?);
    }
    let group_types: Vec<DataType> = (schema.fields().iter().take(group.len()))
        .map(|f| f.data_type().clone())
        .collect();
    let mut aggs = Vec::with_capacity(a.aggr_expr.len());
    for (j, e) in a.aggr_expr.iter().enumerate() {
        let mut inner = e;
        while let Expr::Alias(alias) = inner {
            inner = alias.expr.as_ref();
        }
        let Expr::AggregateFunction(f) = inner else {
            return Err(format!("`{e}` is not a plain aggregate"));
        };
        let p = &f.params;
        let name = f.func.name().to_ascii_lowercase();
        let kind = match (name.as_str(), p.distinct) {
            ("count", true) => Kind::CountDistinct,
            ("count", false) => Kind::Count,
            ("sum", false) => Kind::Sum,
            ("avg" | "mean", false) => Kind::Avg,
            ("min", false) => Kind::Min,
            ("max", false) => Kind::Max,
            ("first_value", false) => Kind::First,
            ("last_value", false) => Kind::Last,
            (other, distinct) => {
                return Err(format!(
                    "aggregate `{other}{}` is not kept incrementally",
                    if distinct { " distinct" } else { "" }
                ));
            }
        };
        if p.null_treatment == Some(NullTreatment::IgnoreNulls) {
            return Err(format!("`{e}` ignores nulls"));
        }
        let [arg] = p.args.as_slice() else {
            return Err(format!("`{e}` does not have one argument"));
        };
        let ordered = matches!(kind, Kind::First | Kind::Last);
        if ordered && p.order_by.is_empty() {
            return Err(format!("`{e}` has no ORDER BY, so its value is arbitrary"));
        }
        if !ordered && !p.order_by.is_empty() {
            return Err(format!("`{e}` has an ORDER BY"));
        }
        let arg_phys = physical(catalog, arg, in_df)?;
        let arg_type = arg_phys.data_type(&in_arrow).map_err(|e| e.to_string())?;
        let output = schema.field(group.len() + j).data_type().clone();
        let number = match &arg_type {
            t if t.is_signed_integer() => Number::Signed,
            t if t.is_unsigned_integer() => Number::Unsigned,
            DataType::Float16 | DataType::Float32 | DataType::Float64 => Number::Float,
            DataType::Null => Number::Float,
            _ if matches!(kind, Kind::Sum | Kind::Avg) => {
                return Err(format!("`{e}` adds values of type {arg_type}"));
            }
            _ => Number::Float,
        };
        let keeps_values = matches!(
            kind,
            Kind::Min | Kind::Max | Kind::First | Kind::Last | Kind::CountDistinct
        );
        let value_codec = keeps_values
            .then(|| codec_of(std::slice::from_ref(&arg_type)))
            .transpose()?;
        let mut order = Vec::new();
        let mut order_columns = Vec::new();
        for sort in &p.order_by {
            let phys = physical(catalog, &sort.expr, in_df)?;
            let t = phys.data_type(&in_arrow).map_err(|e| e.to_string())?;
            order_columns.push((
                t,
                SortOptions {
                    descending: !sort.asc,
                    nulls_first: sort.nulls_first,
                },
            ));
            order.push(phys);
        }
        let order_codec = (!order.is_empty())
            .then(|| Codec::ordered(&order_columns).map_err(|e| e.to_string()))
            .transpose()?;
        let filter = (p.filter.as_deref())
            .map(|f| physical(catalog, f, in_df))
            .transpose()?;
        aggs.push(Agg {
            kind,
            arg: arg_phys,
            filter,
            order,
            order_codec,
            value_codec,
            number,
            output,
        });
    }
    let spec = Spec {
        group,
        group_codec: codec_of(&group_types)?,
        aggs,
        retracts: !input.inserts_only,
        schema,
    };
    Ok(Built {
        node: Node::Aggregate(Box::new(AggregateNode::new(input.node, spec))),
        bounded: true,
        inserts_only: false,
        sources: input.sources,
    })
}

fn join(j: &datafusion::logical_expr::Join, catalog: &Catalog) -> Why {
    use JoinType::*;
    if !matches!(
        j.join_type,
        Inner | Left | Right | Full | LeftSemi | LeftAnti | RightSemi | RightAnti
    ) {
        return Err(format!("a {} join", j.join_type));
    }
    if j.null_aware {
        return Err("a NOT IN subquery".into());
    }
    if j.on.is_empty() {
        return Err("a join without an equality (every row against every row)".into());
    }
    let left = build(&j.left, catalog)?;
    let right = build(&j.right, catalog)?;
    for side in [&left, &right] {
        if !side.bounded {
            let tables: Vec<&str> = side.sources.iter().map(String::as_str).collect();
            return Err(format!(
                "a join of the rows of {} (an event table's grow with the history; a model \
                 recomputed in full changes as a whole)",
                tables.join(", ")
            ));
        }
    }
    let (lschema, rschema) = (j.left.schema(), j.right.schema());
    let (larrow, rarrow) = (arrow_schema(lschema), arrow_schema(rschema));
    let mut lkeys = Vec::new();
    let mut rkeys = Vec::new();
    let mut key_types = Vec::new();
    for (l, r) in &j.on {
        let lk = physical(catalog, l, lschema)?;
        key_types.push(lk.data_type(&larrow).map_err(|e| e.to_string())?);
        lkeys.push(lk);
        rkeys.push(physical(catalog, r, rschema)?);
    }
    let pair_df = lschema.join(rschema).map_err(|e| e.to_string())?;
    let filter = (j.filter.as_ref())
        .map(|f| physical(catalog, f, &pair_df))
        .transpose()?;
    let types = |s: &SchemaRef| -> Vec<DataType> {
        s.fields().iter().map(|f| f.data_type().clone()).collect()
    };
    let mut sources = left.sources.clone();
    sources.extend(right.sources.iter().cloned());
    let node = JoinNode {
        left: Side::new(left.node, lkeys, codec_of(&types(&larrow))?),
        right: Side::new(right.node, rkeys, codec_of(&types(&rarrow))?),
        keys: codec_of(&key_types)?,
        filter,
        pair_schema: Arc::new(Schema::new(
            (larrow.fields().iter().chain(rarrow.fields().iter()))
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect::<Vec<Field>>(),
        )),
        join_type: j.join_type,
        nulls_match: j.null_equality == NullEquality::NullEqualsNull,
        schema: arrow_schema(&j.schema),
    };
    Ok(Built {
        node: Node::Join(Box::new(node)),
        bounded: true,
        inserts_only: false,
        sources,
    })
}

/// The name of the table standing for frontier `i` in the top.
pub fn frontier_table(i: usize) -> String {
    format!("__frontier_{i}")
}

/// A scan of frontier `i`'s (empty) table giving the same columns, with the same
/// qualifiers, as the subtree it stands for.
fn placeholder(i: usize, schema: &DFSchemaRef) -> datafusion::error::Result<LogicalPlan> {
    let columns = numbered(schema.as_arrow());
    let provider = Arc::new(MemTable::try_new(columns, vec![vec![]])?);
    read_as(&frontier_table(i), provider, schema)
}

/// What [`split`] found.
#[derive(Default)]
pub struct Split {
    /// The frontiers, by index.
    pub frontiers: Vec<Built>,
}

/// The models `plan` (a top) reads as they are.
pub fn models_read(plan: &LogicalPlan, catalog: &Catalog) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let _ = plan.apply(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let name = scan.table_name.table();
            if matches!(catalog.kind(name), TableKind::Model | TableKind::Recomputed) {
                out.insert(name.to_string());
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    out
}

/// The changing tables scanned anywhere under `plan`.
fn changing_tables(plan: &LogicalPlan, catalog: &Catalog) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let _ = plan.apply(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let name = scan.table_name.table();
            if catalog.kind(name) != TableKind::Static {
                out.insert(name.to_string());
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    out
}

/// `plan` with each largest subtree the dataflow keeps — bounded, stateful and reading
/// a changing table — replaced by a scan of its frontier table (the subtrees are pushed
/// to `found`). `why` is why the nearest ancestor could not be kept. A canonical table
/// scanned outside every frontier is an error saying why.
pub fn split(
    plan: &LogicalPlan,
    catalog: &Catalog,
    found: &mut Split,
    why: Option<&str>,
) -> std::result::Result<LogicalPlan, String> {
    if changing_tables(plan, catalog).is_empty() {
        return Ok(plan.clone());
    }
    let reason = match build(plan, catalog) {
        Ok(built) if built.bounded && built.node.stateful() => {
            let i = found.frontiers.len();
            let stand_in = placeholder(i, plan.schema()).map_err(|e| e.to_string())?;
            found.frontiers.push(built);
            return Ok(stand_in);
        }
        // Kept, but not worth keeping on its own (raw rows, or no state): what is
        // wrong is above it.
        Ok(built) => why.map(str::to_string).unwrap_or_else(|| {
            let tables: Vec<&str> = built.sources.iter().map(String::as_str).collect();
            format!(
                "the model gives the rows of {} as they are",
                tables.join(", ")
            )
        }),
        Err(reason) => reason,
    };
    if let LogicalPlan::TableScan(scan) = plan {
        let name = scan.table_name.table();
        if matches!(catalog.kind(name), TableKind::Model | TableKind::Recomputed) {
            return Ok(plan.clone());
        }
        return Err(format!(
            "`{name}` is read by a part that cannot be kept: {}",
            why.unwrap_or(&reason)
        ));
    }
    let inputs = (plan.inputs().into_iter())
        .map(|input| split(input, catalog, found, Some(&reason)))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    plan.with_new_exprs(plan.expressions(), inputs)
        .map_err(|e| e.to_string())
}

/// An error when `expr` calls a function whose result may change between calls, or
/// reads a subquery.
pub fn check_stable(expr: &Expr) -> std::result::Result<(), String> {
    let mut bad = None;
    let _ = expr.apply(|e| {
        if let Expr::ScalarFunction(f) = e
            && f.func.signature().volatility != Volatility::Immutable
        {
            bad = Some(format!(
                "`{}()`, which may give another value later",
                f.func.name()
            ));
            return Ok(TreeNodeRecursion::Stop);
        }
        if matches!(
            e,
            Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_)
        ) {
            bad = Some("a subquery".into());
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    bad.map_or(Ok(()), Err)
}
