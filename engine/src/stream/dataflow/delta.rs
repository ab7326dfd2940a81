//! A change to a relation: rows, each with a weight (how many times it is inserted;
//! negative: deleted).

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions};
use arrow::compute::{cast, concat_batches, filter_record_batch};
use arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};

/// Rows of one schema with a weight each: `+n` inserts the row `n` times, `-n` deletes
/// it `n` times. A change that does nothing has no rows.
#[derive(Debug, Clone)]
pub struct Delta {
    /// The rows.
    pub batch: RecordBatch,
    /// One weight per row, never 0 once consolidated.
    pub weights: Vec<i64>,
}

impl Delta {
    /// No change.
    pub fn empty(schema: SchemaRef) -> Delta {
        Delta {
            batch: RecordBatch::new_empty(schema),
            weights: Vec::new(),
        }
    }

    /// Every row of `batch` inserted once.
    pub fn inserts(batch: RecordBatch) -> Delta {
        let weights = vec![1; batch.num_rows()];
        Delta { batch, weights }
    }

    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Its number of rows.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// The same weights over other columns (as many rows).
    pub fn with_batch(&self, batch: RecordBatch) -> Delta {
        Delta {
            batch,
            weights: self.weights.clone(),
        }
    }

    /// The rows where `mask` is true.
    pub fn filter(&self, mask: &BooleanArray) -> Result<Delta> {
        let batch = filter_record_batch(&self.batch, mask)?;
        let weights = (self.weights.iter().zip(mask.iter()))
            .filter(|(_, keep)| *keep == Some(true))
            .map(|(w, _)| *w)
            .collect();
        Ok(Delta { batch, weights })
    }

    /// Every part, one after another, in `schema` (columns cast by position).
    pub fn concat(schema: &SchemaRef, parts: &[Delta]) -> Result<Delta> {
        let batches = (parts.iter())
            .filter(|p| !p.is_empty())
            .map(|p| positional(&p.batch, schema))
            .collect::<Result<Vec<_>>>()?;
        let batch = concat_batches(schema, &batches)?;
        let weights = parts
            .iter()
            .flat_map(|p| p.weights.iter().copied())
            .collect();
        Ok(Delta { batch, weights })
    }
}

/// `batch` with the columns of `schema`, by position, cast where the types differ.
pub fn positional(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if batch.num_columns() != schema.fields().len() {
        return Err(DataFusionError::Internal(format!(
            "a batch of {} columns where {} were expected",
            batch.num_columns(),
            schema.fields().len()
        )));
    }
    with_columns(schema, batch.columns().to_vec(), batch.num_rows())
}

/// `batch` with the columns of `schema`, by name, cast where the types differ.
pub fn by_name(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = (schema.fields().iter())
        .map(|f| {
            let column = batch.column_by_name(f.name()).ok_or_else(|| {
                DataFusionError::Internal(format!("column {} missing from a change", f.name()))
            })?;
            Ok(Arc::clone(column))
        })
        .collect::<Result<Vec<_>>>()?;
    with_columns(schema, columns, batch.num_rows())
}

/// A batch of `columns` in `schema` (each cast to its field's type where it differs),
/// also when there are no columns.
pub fn with_columns(
    schema: &SchemaRef,
    columns: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch> {
    let columns = (schema.fields().iter().zip(&columns))
        .map(|(f, c)| cast_to(c, f.data_type()))
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &options,
    )?)
}

fn cast_to(column: &ArrayRef, to: &arrow::datatypes::DataType) -> Result<ArrayRef> {
    if column.data_type() == to {
        Ok(Arc::clone(column))
    } else {
        Ok(cast(column, to)?)
    }
}

/// The change that turns the rows of `old` into those of `new` (as multisets), in
/// `schema` (the columns of both, by name).
pub fn diff(schema: &SchemaRef, old: &[RecordBatch], new: &[RecordBatch]) -> Result<Delta> {
    use std::collections::HashMap;
    let types: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    let codec = super::codec::Codec::new(&types)?;
    let mut counts: HashMap<Box<[u8]>, i64> = HashMap::new();
    for (batches, sign) in [(old, -1), (new, 1)] {
        for batch in batches {
            let batch = by_name(batch, schema)?;
            let rows = codec.encode(batch.columns(), batch.num_rows())?;
            for i in 0..batch.num_rows() {
                *counts.entry(rows.row(i).into()).or_default() += sign;
            }
        }
    }
    let changed: Vec<(Box<[u8]>, i64)> = counts.into_iter().filter(|(_, w)| *w != 0).collect();
    let columns = codec.decode(changed.iter().map(|(r, _)| &r[..]))?;
    let batch = with_columns(schema, columns, changed.len())?;
    Ok(Delta {
        batch,
        weights: changed.into_iter().map(|(_, w)| w).collect(),
    })
}
