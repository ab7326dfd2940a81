//! What an incremental aggregate keeps per group for each aggregate function, and how a
//! row (with its weight) changes it.
//!
//! | function | kept | a deletion |
//! | --- | --- | --- |
//! | `count` | the count | subtracted |
//! | `sum`, `avg` | the sum (exact for integers, compensated for floats) and the count of values | subtracted |
//! | `min`, `max`, `first_value`, `last_value` (`ORDER BY`) | the best value so far; over an input that can delete, every value with its count | removed from the counts |
//! | `count(distinct)` | every value with its count | removed from the counts |

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, UInt64Array,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type, UInt64Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::PhysicalExpr;

use super::codec::{Codec, Encoded};
use super::node::evaluate_mask;

/// An aggregate function the dataflow keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `count(x)`, `count(*)`.
    Count,
    /// `sum(x)` of integers or floats.
    Sum,
    /// `avg(x)` of integers or floats.
    Avg,
    /// `min(x)`.
    Min,
    /// `max(x)`.
    Max,
    /// `first_value(x ORDER BY …)`.
    First,
    /// `last_value(x ORDER BY …)`.
    Last,
    /// `count(DISTINCT x)`.
    CountDistinct,
}

/// How the numbers of a `sum` or `avg` are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    /// Signed integers, added exactly.
    Signed,
    /// Unsigned integers, added exactly.
    Unsigned,
    /// Floats, added with compensation.
    Float,
}

/// One aggregate of an aggregate node.
pub struct Agg {
    /// The function.
    pub kind: Kind,
    /// Its argument over the input's columns (`count(*)` counts a literal).
    pub arg: Arc<dyn PhysicalExpr>,
    /// Its `FILTER (WHERE …)`.
    pub filter: Option<Arc<dyn PhysicalExpr>>,
    /// The `ORDER BY` of `first_value` and `last_value`.
    pub order: Vec<Arc<dyn PhysicalExpr>>,
    /// The order keys as bytes that order as the keys do.
    pub order_codec: Option<Codec>,
    /// The argument as bytes (for the functions that keep values).
    pub value_codec: Option<Codec>,
    /// How `sum` and `avg` add.
    pub number: Number,
    /// The result type.
    pub output: DataType,
}

/// A float sum with Neumaier's compensation, so that adding and removing the same
/// values comes back to the same sum.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FloatSum {
    sum: f64,
    compensation: f64,
}

impl FloatSum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// A pair of order key and value, as bytes.
type Ranked = (Box<[u8]>, Box<[u8]>);

/// What one aggregate keeps for one group.
#[derive(Debug, Clone)]
pub enum Acc {
    /// A count.
    Count(i64),
    /// An exact integer sum and how many values it holds.
    Int(i128, i64),
    /// A float sum and how many values it holds.
    Float(FloatSum, i64),
    /// The best (order key, value) so far, over an input that only inserts.
    Best(Option<Ranked>),
    /// Every (order key, value) with its count.
    Ranks(BTreeMap<Ranked, i64>),
    /// Every distinct value with its count.
    Distinct(HashMap<Box<[u8]>, i64>),
}

/// An aggregate's result for a group, comparable to the previous one.
#[derive(Debug, Clone)]
pub enum Out {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i128),
    /// A float.
    Float(f64),
    /// A value as bytes of the aggregate's value codec.
    Bytes(Box<[u8]>),
}

impl PartialEq for Out {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Out::Null, Out::Null) => true,
            (Out::Int(a), Out::Int(b)) => a == b,
            (Out::Float(a), Out::Float(b)) => a.to_bits() == b.to_bits(),
            (Out::Bytes(a), Out::Bytes(b)) => a == b,
            _ => false,
        }
    }
}

/// An aggregate's inputs evaluated over one batch.
pub struct Prepared {
    /// Rows the `FILTER` keeps (all when there is none).
    mask: Option<BooleanArray>,
    /// The argument, for validity and numbers.
    arg: ArrayRef,
    /// The argument as bytes, for the functions that keep values.
    values: Option<Encoded>,
    /// The order keys as bytes.
    order: Option<Encoded>,
}

impl Agg {
    /// The state of a new group.
    pub fn start(&self, retracts: bool) -> Acc {
        match self.kind {
            Kind::Count => Acc::Count(0),
            Kind::Sum | Kind::Avg if self.number == Number::Float || self.kind == Kind::Avg => {
                Acc::Float(FloatSum::default(), 0)
            }
            Kind::Sum | Kind::Avg => Acc::Int(0, 0),
            Kind::Min | Kind::Max | Kind::First | Kind::Last if retracts => {
                Acc::Ranks(BTreeMap::new())
            }
            Kind::Min | Kind::Max | Kind::First | Kind::Last => Acc::Best(None),
            Kind::CountDistinct => Acc::Distinct(HashMap::new()),
        }
    }

    /// Evaluates the aggregate's inputs over `batch`.
    pub fn prepare(&self, batch: &RecordBatch) -> Result<Prepared> {
        let n = batch.num_rows();
        let mask = match &self.filter {
            Some(f) => Some(evaluate_mask(f.as_ref(), batch)?),
            None => None,
        };
        let mut arg = self.arg.evaluate(batch)?.into_array(n)?;
        if matches!(self.kind, Kind::Sum | Kind::Avg) {
            let to = match (self.number, self.kind) {
                (Number::Float, _) | (_, Kind::Avg) => DataType::Float64,
                (Number::Signed, _) => DataType::Int64,
                (Number::Unsigned, _) => DataType::UInt64,
            };
            if arg.data_type() != &to {
                arg = cast(&arg, &to)?;
            }
        }
        let values = match &self.value_codec {
            Some(c) => Some(c.encode(std::slice::from_ref(&arg), n)?),
            None => None,
        };
        let order = match &self.order_codec {
            Some(c) => {
                let keys = (self.order.iter())
                    .map(|e| e.evaluate(batch)?.into_array(n))
                    .collect::<Result<Vec<_>>>()?;
                Some(c.encode(&keys, n)?)
            }
            None => None,
        };
        Ok(Prepared {
            mask,
            arg,
            values,
            order,
        })
    }

    /// Adds row `i` of `p`, `weight` times, to `acc`.
    pub fn update(&self, acc: &mut Acc, p: &Prepared, i: usize, weight: i64) -> Result<()> {
        if let Some(mask) = &p.mask
            && !(mask.is_valid(i) && mask.value(i))
        {
            return Ok(());
        }
        let respects_nulls = matches!(self.kind, Kind::First | Kind::Last);
        if !respects_nulls && p.arg.is_null(i) {
            return Ok(());
        }
        match acc {
            Acc::Count(n) => *n += weight,
            Acc::Int(sum, n) => {
                let x = match self.number {
                    Number::Unsigned => p.arg.as_primitive::<UInt64Type>().value(i) as i128,
                    _ => p.arg.as_primitive::<Int64Type>().value(i) as i128,
                };
                *sum += x * weight as i128;
                *n += weight;
            }
            Acc::Float(sum, n) => {
                let x = p.arg.as_primitive::<Float64Type>().value(i);
                sum.add(x * weight as f64);
                *n += weight;
            }
            Acc::Best(best) => {
                if weight < 0 {
                    return Err(DataFusionError::Internal(
                        "a deletion reached an aggregate that keeps only the best value".into(),
                    ));
                }
                let candidate = self.ranked(p, i);
                let better = match best {
                    None => true,
                    Some(b) => match self.kind {
                        Kind::Min | Kind::First => candidate < *b,
                        _ => candidate > *b,
                    },
                };
                if better {
                    *best = Some(candidate);
                }
            }
            Acc::Ranks(ranks) => {
                let candidate = self.ranked(p, i);
                let count = ranks.entry(candidate.clone()).or_insert(0);
                *count += weight;
                if *count == 0 {
                    ranks.remove(&candidate);
                }
            }
            Acc::Distinct(values) => {
                let value: Box<[u8]> = self.value_bytes(p, i).into();
                let count = values.entry(value.clone()).or_insert(0);
                *count += weight;
                if *count == 0 {
                    values.remove(&value);
                }
            }
        }
        Ok(())
    }

    fn value_bytes<'a>(&self, p: &'a Prepared, i: usize) -> &'a [u8] {
        p.values.as_ref().map_or(&[], |v| v.row(i))
    }

    /// Row `i` as (order key, value): for `min` and `max` the value is its own key.
    fn ranked(&self, p: &Prepared, i: usize) -> Ranked {
        let value: Box<[u8]> = self.value_bytes(p, i).into();
        match &p.order {
            Some(order) => (order.row(i).into(), value),
            None => (value, Box::default()),
        }
    }

    /// The aggregate's result for a group.
    pub fn result(&self, acc: &Acc) -> Out {
        let pick = |r: &Ranked| -> Out {
            match self.kind {
                Kind::First | Kind::Last => Out::Bytes(r.1.clone()),
                _ => Out::Bytes(r.0.clone()),
            }
        };
        match acc {
            Acc::Count(n) => Out::Int(*n as i128),
            Acc::Int(_, 0) | Acc::Float(_, 0) => Out::Null,
            Acc::Int(sum, _) => Out::Int(*sum),
            Acc::Float(sum, n) if self.kind == Kind::Avg => Out::Float(sum.value() / *n as f64),
            Acc::Float(sum, _) => Out::Float(sum.value()),
            Acc::Best(None) => Out::Null,
            Acc::Best(Some(r)) => pick(r),
            Acc::Ranks(ranks) => {
                let best = match self.kind {
                    Kind::Min | Kind::First => ranks.first_key_value(),
                    _ => ranks.last_key_value(),
                };
                best.map_or(Out::Null, |(r, _)| pick(r))
            }
            Acc::Distinct(values) => Out::Int(values.len() as i128),
        }
    }

    /// The results of many groups as one column.
    pub fn column(&self, outs: &[&Out]) -> Result<ArrayRef> {
        let int = |o: &&Out| match o {
            Out::Int(v) => Some(*v),
            _ => None,
        };
        let column: ArrayRef = match &self.output {
            _ if self.value_codec.is_some() && self.kind != Kind::CountDistinct => {
                let codec = self.value_codec.as_ref().ok_or_else(|| {
                    DataFusionError::Internal("an aggregate of values without a codec".into())
                })?;
                let null = codec.null_row();
                let rows = outs.iter().map(|o| match o {
                    Out::Bytes(b) => &b[..],
                    _ => null,
                });
                codec
                    .decode(rows)?
                    .pop()
                    .ok_or_else(|| DataFusionError::Internal("no value column".into()))?
            }
            DataType::Int64 => {
                let values = (outs.iter().map(int))
                    .map(|v| v.map(i64::try_from).transpose())
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|_| DataFusionError::Execution("an integer sum overflowed".into()))?;
                Arc::new(Int64Array::from(values))
            }
            DataType::UInt64 => {
                let values = (outs.iter().map(int))
                    .map(|v| v.map(u64::try_from).transpose())
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|_| DataFusionError::Execution("an integer sum overflowed".into()))?;
                Arc::new(UInt64Array::from(values))
            }
            DataType::Float64 => Arc::new(Float64Array::from(
                (outs.iter())
                    .map(|o| match o {
                        Out::Float(v) => Some(*v),
                        Out::Int(v) => Some(*v as f64),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            )),
            other => {
                return Err(DataFusionError::Internal(format!(
                    "an aggregate result of type {other}"
                )));
            }
        };
        if column.data_type() == &self.output {
            Ok(column)
        } else {
            Ok(cast(&column, &self.output)?)
        }
    }
}
