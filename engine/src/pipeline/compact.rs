//! A model's rows made compact before they are kept: string and binary views keep alive
//! every buffer their values were sliced from (often whole Parquet pages of the tables
//! read), so they are copied into buffers of their own; and the batches are evened out
//! into a few of about `BATCH_ROWS` rows.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{BinaryViewType, DataType, SchemaRef, StringViewType};

use crate::error::Result;

/// Rows per batch of a compacted model.
const BATCH_ROWS: usize = 65_536;

/// `column` with its views' bytes copied into buffers of their own.
fn own_buffers(column: &ArrayRef) -> ArrayRef {
    match column.data_type() {
        DataType::Utf8View => Arc::new(column.as_byte_view::<StringViewType>().gc()),
        DataType::BinaryView => Arc::new(column.as_byte_view::<BinaryViewType>().gc()),
        _ => column.clone(),
    }
}

/// The rows of `batches` (of `schema`) with views in buffers of their own, in batches of
/// about [`BATCH_ROWS`] rows; returns their schema.
pub fn compact(
    schema: &SchemaRef,
    batches: Vec<RecordBatch>,
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let schema = batches.first().map_or(schema.clone(), |b| b.schema());
    let mut out = Vec::new();
    let mut pending: Vec<RecordBatch> = Vec::new();
    let mut rows = 0;
    let flush = |pending: &mut Vec<RecordBatch>, out: &mut Vec<RecordBatch>| -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let joined = concat_batches(&schema, pending.iter())?;
        pending.clear();
        let columns: Vec<ArrayRef> = joined.columns().iter().map(own_buffers).collect();
        out.push(RecordBatch::try_new(schema.clone(), columns)?);
        Ok(())
    };
    for batch in batches {
        if batch.num_rows() == 0 {
            continue;
        }
        rows += batch.num_rows();
        pending.push(batch);
        if rows >= BATCH_ROWS {
            flush(&mut pending, &mut out)?;
            rows = 0;
        }
    }
    flush(&mut pending, &mut out)?;
    Ok((schema, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringViewArray};
    use arrow::datatypes::{Field, Schema};

    #[test]
    fn views_get_buffers_of_their_own_and_small_batches_are_joined() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8View, true),
            Field::new("n", DataType::Int32, false),
        ]));
        // A big array of long strings, of which each batch keeps two values.
        let long: Vec<String> = (0..1000)
            .map(|i| format!("a value long enough to be kept apart {i}"))
            .collect();
        let big = StringViewArray::from_iter_values(long.iter());
        let bytes =
            |a: &StringViewArray| -> usize { a.data_buffers().iter().map(|b| b.len()).sum() };
        let batch = |from: i32| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(big.slice(from as usize, 2)),
                    Arc::new(Int32Array::from(vec![from, from + 1])),
                ],
            )
            .unwrap()
        };
        let (out_schema, out) = compact(&schema, vec![batch(0), batch(2), batch(4)]).unwrap();
        assert_eq!(out_schema.field(0).data_type(), &DataType::Utf8View);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].num_rows(), 6);
        let strings = out[0].column(0).as_string_view();
        assert_eq!(strings.value(5), long[5]);
        // Six values kept, not the thousand they were sliced from.
        assert!(
            bytes(strings) < bytes(&big) / 50,
            "{} of {}",
            bytes(strings),
            bytes(&big)
        );
        let n = out[0]
            .column(1)
            .as_any()
            .downcast_ref::<Int32Array>()
            .unwrap();
        assert_eq!(n.values().to_vec(), vec![0, 1, 2, 3, 4, 5]);
    }
}
