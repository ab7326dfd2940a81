//! The equi-join operator: both inputs kept, indexed by the join key; a step recomputes
//! the output of every key either input changed, before and after the change, and
//! gives the difference. Inner, left, right, full, semi and anti joins; a residual
//! filter is applied to each candidate pair. A row whose key has a null never matches
//! (unless the join matches nulls, as `IS NOT DISTINCT FROM` does).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::SchemaRef;
use datafusion::common::JoinType;
use datafusion::error::Result;
use datafusion::physical_plan::PhysicalExpr;
use datafusion::prelude::SessionContext;

use super::codec::Codec;
use super::delta::{Delta, with_columns};
use super::node::{Changes, Node, evaluate_mask};

/// A multiset of rows (as bytes) with their counts.
type Bag = HashMap<Box<[u8]>, i64>;

/// A row's key (`None` when it cannot match) and the row, as bytes.
type Keyed = (Option<Box<[u8]>>, Box<[u8]>);

/// Output rows being gathered: (left row, right row) with their summed weight.
type Gathered = HashMap<(Option<Box<[u8]>>, Option<Box<[u8]>>), i64>;

/// One side of a join.
pub struct Side {
    /// The input.
    pub input: Node,
    /// The key expressions over the input's columns.
    pub keys: Vec<Arc<dyn PhysicalExpr>>,
    /// The input's rows as bytes.
    pub rows: Codec,
    /// Rows by key.
    by_key: HashMap<Box<[u8]>, Bag>,
    /// Rows with a null in their key (they match nothing).
    unmatched: Bag,
}

impl Side {
    /// A side with no rows yet.
    pub fn new(input: Node, keys: Vec<Arc<dyn PhysicalExpr>>, rows: Codec) -> Side {
        Side {
            input,
            keys,
            rows,
            by_key: HashMap::new(),
            unmatched: HashMap::new(),
        }
    }

    /// Each row's key (`None` when it cannot match) and the row itself, as bytes.
    fn encode(&self, codec: &Codec, nulls_match: bool, batch: &RecordBatch) -> Result<Vec<Keyed>> {
        let n = batch.num_rows();
        let keys: Vec<ArrayRef> = (self.keys.iter())
            .map(|k| k.evaluate(batch)?.into_array(n))
            .collect::<Result<_>>()?;
        let encoded_keys = codec.encode(&keys, n)?;
        let rows = self.rows.encode(batch.columns(), n)?;
        Ok((0..n)
            .map(|i| {
                let null = !nulls_match && keys.iter().any(|k| k.is_null(i));
                let key = (!null).then(|| Box::from(encoded_keys.row(i)));
                (key, Box::from(rows.row(i)))
            })
            .collect())
    }

    /// Adds `weight` copies of a row.
    fn add(&mut self, key: Option<Box<[u8]>>, row: Box<[u8]>, weight: i64) {
        let bag = match key {
            Some(key) => self.by_key.entry(key).or_default(),
            None => &mut self.unmatched,
        };
        bump(bag, row, weight);
    }

    /// Drops the emptied bag of `key`.
    fn tidy(&mut self, key: &[u8]) {
        if self.by_key.get(key).is_some_and(HashMap::is_empty) {
            self.by_key.remove(key);
        }
    }
}

/// Adds `weight` copies of `row` to `bag`, dropping it at a count of 0.
pub fn bump(bag: &mut Bag, row: Box<[u8]>, weight: i64) {
    use std::collections::hash_map::Entry;
    match bag.entry(row) {
        Entry::Occupied(mut e) => {
            *e.get_mut() += weight;
            if *e.get() == 0 {
                e.remove();
            }
        }
        Entry::Vacant(e) => {
            if weight != 0 {
                e.insert(weight);
            }
        }
    }
}

/// An equi-join with both inputs kept.
pub struct JoinNode {
    /// The left input.
    pub left: Side,
    /// The right input.
    pub right: Side,
    /// The key, as bytes (the left keys' types).
    pub keys: Codec,
    /// A residual filter over the left columns followed by the right ones.
    pub filter: Option<Arc<dyn PhysicalExpr>>,
    /// Left columns followed by right ones: what the filter reads.
    pub pair_schema: SchemaRef,
    /// Which rows the join gives.
    pub join_type: JoinType,
    /// Whether null keys match each other.
    pub nulls_match: bool,
    /// The join's output.
    pub schema: SchemaRef,
}

impl JoinNode {
    /// The output columns.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Builds both sides from their inputs' whole current output.
    pub async fn init(&mut self, ctx: &SessionContext) -> Result<()> {
        for left in [true, false] {
            let (side, keys, nulls_match) = if left {
                (&mut self.left, &self.keys, self.nulls_match)
            } else {
                (&mut self.right, &self.keys, self.nulls_match)
            };
            side.input.init(ctx).await?;
            side.by_key.clear();
            side.unmatched.clear();
            let mut rows = Vec::new();
            {
                let input = &side.input;
                let mut sink = |batch: RecordBatch| {
                    rows.push(batch);
                    Ok(())
                };
                input.each_full(ctx, &mut sink).await?;
            }
            for batch in rows {
                for (key, row) in side.encode(keys, nulls_match, &batch)? {
                    side.add(key, row, 1);
                }
            }
        }
        Ok(())
    }

    /// The join's changes in a step.
    pub fn step(&mut self, changes: &Changes) -> Result<Delta> {
        let dl = self.left.input.step(changes)?;
        let dr = self.right.input.step(changes)?;
        if dl.is_empty() && dr.is_empty() {
            return Ok(Delta::empty(self.schema.clone()));
        }
        let lrows = self.left.encode(&self.keys, self.nulls_match, &dl.batch)?;
        let rrows = self.right.encode(&self.keys, self.nulls_match, &dr.batch)?;
        let affected: HashSet<Box<[u8]>> = (lrows.iter().chain(&rrows))
            .filter_map(|(k, _)| k.clone())
            .collect();
        let mut out = Gathered::new();
        self.gather(affected.iter().map(|k| &k[..]), -1, &mut out)?;
        let (left_open, right_open) = self.unmatched_sides();
        for ((key, row), w) in lrows.into_iter().zip(&dl.weights) {
            if key.is_none() && left_open {
                *out.entry((Some(row.clone()), None)).or_default() += w;
            }
            self.left.add(key, row, *w);
        }
        for ((key, row), w) in rrows.into_iter().zip(&dr.weights) {
            if key.is_none() && right_open {
                *out.entry((None, Some(row.clone()))).or_default() += w;
            }
            self.right.add(key, row, *w);
        }
        for key in &affected {
            self.left.tidy(key);
            self.right.tidy(key);
        }
        self.gather(affected.iter().map(|k| &k[..]), 1, &mut out)?;
        self.build(out)
    }

    /// The join's whole current output.
    pub fn full(&self) -> Result<Vec<RecordBatch>> {
        let keys: HashSet<&[u8]> = (self.left.by_key.keys().chain(self.right.by_key.keys()))
            .map(|k| &k[..])
            .collect();
        let mut out = Gathered::new();
        self.gather(keys.into_iter(), 1, &mut out)?;
        let (left_open, right_open) = self.unmatched_sides();
        if left_open {
            for (row, w) in &self.left.unmatched {
                *out.entry((Some(row.clone()), None)).or_default() += w;
            }
        }
        if right_open {
            for (row, w) in &self.right.unmatched {
                *out.entry((None, Some(row.clone()))).or_default() += w;
            }
        }
        let delta = self.build(out)?;
        Ok(vec![expand(&delta)?])
    }

    /// Whether rows of the left (right) side that match nothing are part of the output.
    fn unmatched_sides(&self) -> (bool, bool) {
        use JoinType::*;
        (
            matches!(self.join_type, Left | Full | LeftAnti),
            matches!(self.join_type, Right | Full | RightAnti),
        )
    }

    /// Adds `sign` × the output of `keys` (from both sides as they are now) to `out`.
    fn gather<'a>(
        &self,
        keys: impl Iterator<Item = &'a [u8]>,
        sign: i64,
        out: &mut Gathered,
    ) -> Result<()> {
        let empty = Bag::new();
        let mut lefts: Vec<(&[u8], i64)> = Vec::new();
        let mut rights: Vec<(&[u8], i64)> = Vec::new();
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for key in keys {
            let l = self.left.by_key.get(key).unwrap_or(&empty);
            let r = self.right.by_key.get(key).unwrap_or(&empty);
            let (l0, r0) = (lefts.len(), rights.len());
            lefts.extend(l.iter().map(|(row, w)| (&row[..], *w)));
            rights.extend(r.iter().map(|(row, w)| (&row[..], *w)));
            for li in l0..lefts.len() {
                for ri in r0..rights.len() {
                    pairs.push((li, ri));
                }
            }
        }
        let passes = self.passes(&lefts, &rights, &pairs)?;
        let mut left_matched = vec![false; lefts.len()];
        let mut right_matched = vec![false; rights.len()];
        use JoinType::*;
        let pairs_out = matches!(self.join_type, Inner | Left | Right | Full);
        for (&(li, ri), pass) in pairs.iter().zip(passes) {
            if !pass {
                continue;
            }
            left_matched[li] = true;
            right_matched[ri] = true;
            if pairs_out {
                let (l, wl) = lefts[li];
                let (r, wr) = rights[ri];
                *out.entry((Some(l.into()), Some(r.into()))).or_default() += sign * wl * wr;
            }
        }
        let (left_open, right_open) = self.unmatched_sides();
        let left_kept = |matched: bool| match self.join_type {
            LeftSemi => matched,
            _ => left_open && !matched,
        };
        let right_kept = |matched: bool| match self.join_type {
            RightSemi => matched,
            _ => right_open && !matched,
        };
        for (&(l, w), matched) in lefts.iter().zip(left_matched) {
            if left_kept(matched) {
                *out.entry((Some(l.into()), None)).or_default() += sign * w;
            }
        }
        for (&(r, w), matched) in rights.iter().zip(right_matched) {
            if right_kept(matched) {
                *out.entry((None, Some(r.into()))).or_default() += sign * w;
            }
        }
        Ok(())
    }

    /// Whether each candidate pair passes the residual filter.
    fn passes(
        &self,
        lefts: &[(&[u8], i64)],
        rights: &[(&[u8], i64)],
        pairs: &[(usize, usize)],
    ) -> Result<Vec<bool>> {
        let Some(filter) = &self.filter else {
            return Ok(vec![true; pairs.len()]);
        };
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let mut columns = self
            .left
            .rows
            .decode(pairs.iter().map(|&(l, _)| lefts[l].0))?;
        columns.extend(
            self.right
                .rows
                .decode(pairs.iter().map(|&(_, r)| rights[r].0))?,
        );
        let batch = with_columns(&self.pair_schema, columns, pairs.len())?;
        let mask = evaluate_mask(filter.as_ref(), &batch)?;
        Ok((0..pairs.len())
            .map(|i| mask.is_valid(i) && mask.value(i))
            .collect())
    }

    /// The gathered rows as a change (rows whose weights cancelled left out).
    fn build(&self, out: Gathered) -> Result<Delta> {
        let rows: Vec<_> = out.into_iter().filter(|(_, w)| *w != 0).collect();
        if rows.is_empty() {
            return Ok(Delta::empty(self.schema.clone()));
        }
        let null_left = self.left.rows.null_row();
        let null_right = self.right.rows.null_row();
        use JoinType::*;
        let mut columns = Vec::new();
        if !matches!(self.join_type, RightSemi | RightAnti) {
            columns.extend(
                self.left.rows.decode(
                    rows.iter()
                        .map(|((l, _), _)| l.as_deref().unwrap_or(null_left)),
                )?,
            );
        }
        if !matches!(self.join_type, LeftSemi | LeftAnti) {
            columns.extend(
                self.right.rows.decode(
                    rows.iter()
                        .map(|((_, r), _)| r.as_deref().unwrap_or(null_right)),
                )?,
            );
        }
        let batch = with_columns(&self.schema, columns, rows.len())?;
        let weights = rows.iter().map(|(_, w)| *w).collect();
        Ok(Delta { batch, weights })
    }
}

/// The rows of a change of positive weights, each repeated as often as its weight.
pub fn expand(delta: &Delta) -> Result<RecordBatch> {
    if delta.weights.iter().all(|w| *w == 1) {
        return Ok(delta.batch.clone());
    }
    let indices: arrow::array::UInt32Array = (delta.weights.iter().enumerate())
        .flat_map(|(i, w)| std::iter::repeat_n(i as u32, (*w).max(0) as usize))
        .collect();
    Ok(arrow::compute::take_record_batch(&delta.batch, &indices)?)
}
