//! The grouped aggregate operator: per group, a count of its rows and what each
//! aggregate keeps ([`super::accumulate`]). A step applies the input's changes to the
//! groups they touch and gives, for each group whose result changed, its old row
//! deleted and its new row inserted. The whole output is kept as a batch too, mended at
//! each step (the changed groups' rows filtered out, their new rows appended), so that
//! reading it costs what the step changed, not a conversion of every group.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch};
use arrow::compute::{concat_batches, filter_record_batch};
use arrow::datatypes::SchemaRef;
use datafusion::error::Result;
use datafusion::physical_plan::PhysicalExpr;
use datafusion::prelude::SessionContext;

use super::accumulate::{Acc, Agg, Out};
use super::codec::Codec;
use super::delta::{Delta, with_columns};
use super::node::{Changes, Node};

/// What an aggregate computes: groups and aggregates.
pub struct Spec {
    /// The grouping expressions over the input's columns (none: one group).
    pub group: Vec<Arc<dyn PhysicalExpr>>,
    /// The group key as bytes.
    pub group_codec: Codec,
    /// The aggregates.
    pub aggs: Vec<Agg>,
    /// Whether the input may delete rows (then extremes keep every value).
    pub retracts: bool,
    /// The output: the grouping columns, then the aggregates.
    pub schema: SchemaRef,
}

/// Per group touched in a step, its results before the step (`None`: it did not exist).
type Touched = HashMap<Box<[u8]>, Option<Vec<Out>>>;

/// One group: how many input rows it has, and each aggregate's state.
struct Group {
    rows: i64,
    accs: Vec<Acc>,
}

/// A grouped aggregate and its groups.
pub struct AggregateNode {
    /// The input.
    pub input: Node,
    /// What it computes.
    pub spec: Spec,
    groups: HashMap<Box<[u8]>, Group>,
    /// The output as it stands, with each row's group key (built when the state is built,
    /// none after a reset).
    output: Option<Output>,
}

/// An aggregate's whole output: one row per group with rows, and each row's key.
struct Output {
    batch: RecordBatch,
    keys: Vec<Box<[u8]>>,
}

impl Spec {
    fn global(&self) -> bool {
        self.group.is_empty()
    }

    fn new_group(&self) -> Group {
        Group {
            rows: 0,
            accs: self.aggs.iter().map(|a| a.start(self.retracts)).collect(),
        }
    }

    fn results(&self, group: &Group) -> Vec<Out> {
        (self.aggs.iter().zip(&group.accs))
            .map(|(a, acc)| a.result(acc))
            .collect()
    }

    /// Applies `batch` (row i `weights[i]` times) to `groups`; with `touched`, records
    /// the results of each group as they were before its first change.
    fn update(
        &self,
        groups: &mut HashMap<Box<[u8]>, Group>,
        batch: &RecordBatch,
        weights: &[i64],
        mut touched: Option<&mut Touched>,
    ) -> Result<()> {
        let n = batch.num_rows();
        let keys: Vec<ArrayRef> = (self.group.iter())
            .map(|g| g.evaluate(batch)?.into_array(n))
            .collect::<Result<_>>()?;
        let keys = self.group_codec.encode(&keys, n)?;
        let prepared = (self.aggs.iter())
            .map(|a| a.prepare(batch))
            .collect::<Result<Vec<_>>>()?;
        for (i, &weight) in weights.iter().enumerate().take(n) {
            let key = keys.row(i);
            let group = match groups.get_mut(key) {
                Some(group) => {
                    if let Some(t) = touched.as_deref_mut()
                        && !t.contains_key(key)
                    {
                        t.insert(key.into(), Some(self.results(group)));
                    }
                    group
                }
                None => {
                    if let Some(t) = touched.as_deref_mut() {
                        t.entry(key.into()).or_insert(None);
                    }
                    groups.entry(key.into()).or_insert_with(|| self.new_group())
                }
            };
            group.rows += weight;
            for ((agg, acc), p) in self.aggs.iter().zip(&mut group.accs).zip(&prepared) {
                agg.update(acc, p, i, weight)?;
            }
        }
        Ok(())
    }

    /// Rows of (group key, results), as a batch of the output.
    fn rows(&self, rows: &[(&[u8], &[Out])]) -> Result<RecordBatch> {
        let mut columns = self.group_codec.decode(rows.iter().map(|(k, _)| *k))?;
        for (j, agg) in self.aggs.iter().enumerate() {
            let outs: Vec<&Out> = rows.iter().map(|(_, r)| &r[j]).collect();
            columns.push(agg.column(&outs)?);
        }
        with_columns(&self.schema, columns, rows.len())
    }
}

impl AggregateNode {
    /// An aggregate with no rows seen.
    pub fn new(input: Node, spec: Spec) -> AggregateNode {
        let mut node = AggregateNode {
            input,
            spec,
            groups: HashMap::new(),
            output: None,
        };
        node.reset();
        node
    }

    /// Forgets every group (an aggregate without grouping keeps its one group).
    fn reset(&mut self) {
        self.output = None;
        self.groups.clear();
        if self.spec.global() {
            self.groups.insert(Box::default(), self.spec.new_group());
        }
    }

    /// The output columns.
    pub fn schema(&self) -> SchemaRef {
        self.spec.schema.clone()
    }

    /// Builds the groups from the input's whole current output.
    pub async fn init(&mut self, ctx: &SessionContext) -> Result<()> {
        self.reset();
        self.input.init(ctx).await?;
        let AggregateNode {
            input,
            spec,
            groups,
            ..
        } = self;
        let mut sink = |batch: RecordBatch| {
            let ones = vec![1; batch.num_rows()];
            spec.update(groups, &batch, &ones, None)
        };
        input.each_full(ctx, &mut sink).await?;
        self.output = Some(self.whole()?);
        Ok(())
    }

    /// The aggregate's changes in a step.
    pub fn step(&mut self, changes: &Changes) -> Result<Delta> {
        let delta = self.input.step(changes)?;
        if delta.is_empty() {
            return Ok(Delta::empty(self.spec.schema.clone()));
        }
        let mut touched = HashMap::new();
        self.spec.update(
            &mut self.groups,
            &delta.batch,
            &delta.weights,
            Some(&mut touched),
        )?;
        let mut old_rows = Vec::new();
        let mut new_rows = Vec::new();
        for (key, old) in touched {
            let new = match self.groups.get(&key) {
                Some(g) if g.rows > 0 || self.spec.global() => Some(self.spec.results(g)),
                _ => None,
            };
            if new.is_none() {
                self.groups.remove(&key);
            }
            if old == new {
                continue;
            }
            if let Some(old) = old {
                old_rows.push((key.clone(), old));
            }
            if let Some(new) = new {
                new_rows.push((key, new));
            }
        }
        let rows: Vec<(&[u8], &[Out])> = (old_rows.iter().chain(&new_rows))
            .map(|(k, r)| (&k[..], &r[..]))
            .collect();
        let batch = self.spec.rows(&rows)?;
        let weights = (old_rows.iter().map(|_| -1))
            .chain(new_rows.iter().map(|_| 1))
            .collect();
        if let Some(output) = &mut self.output {
            let gone: HashSet<&[u8]> = old_rows.iter().map(|(k, _)| &k[..]).collect();
            let added = batch.slice(old_rows.len(), new_rows.len());
            output.mend(&gone, &added, new_rows.into_iter().map(|(k, _)| k))?;
        }
        Ok(Delta { batch, weights })
    }

    /// Every group's row.
    pub fn full(&self) -> Result<Vec<RecordBatch>> {
        match &self.output {
            Some(output) => Ok(vec![output.batch.clone()]),
            None => Ok(vec![self.whole()?.batch]),
        }
    }

    /// Every group's row, from the groups.
    fn whole(&self) -> Result<Output> {
        let results: Vec<(&[u8], Vec<Out>)> = (self.groups.iter())
            .filter(|(_, g)| g.rows > 0 || self.spec.global())
            .map(|(k, g)| (&k[..], self.spec.results(g)))
            .collect();
        let rows: Vec<(&[u8], &[Out])> = results.iter().map(|(k, r)| (*k, &r[..])).collect();
        Ok(Output {
            batch: self.spec.rows(&rows)?,
            keys: results.iter().map(|(k, _)| Box::from(*k)).collect(),
        })
    }
}

impl Output {
    /// Drops the rows of the groups in `gone` and appends `added`, whose rows are those
    /// of the groups `keys`, in order.
    fn mend(
        &mut self,
        gone: &HashSet<&[u8]>,
        added: &RecordBatch,
        keys: impl Iterator<Item = Box<[u8]>>,
    ) -> Result<()> {
        let mut batch = self.batch.clone();
        if !gone.is_empty() {
            let keep: BooleanArray = (self.keys.iter())
                .map(|k| Some(!gone.contains(&k[..])))
                .collect();
            batch = filter_record_batch(&batch, &keep)?;
            self.keys.retain(|k| !gone.contains(&k[..]));
        }
        if added.num_rows() > 0 {
            batch = concat_batches(&batch.schema(), [&batch, added])?;
            self.keys.extend(keys);
        }
        self.batch = batch;
        Ok(())
    }
}
