//! Parquet in canonical columns: matched by name, cast to the canonical types where the
//! cast keeps every value; rows are numbered from 1 in file order.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ::parquet::arrow::ProjectionMask;
use ::parquet::arrow::arrow_reader::{
    ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use ::parquet::file::metadata::ParquetMetaData;
use ::parquet::file::reader::ChunkReader;
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, PrimitiveArray, StringArray, new_null_array,
};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{CastOptions, cast_with_options, nullif};
use arrow::datatypes::{
    DataType, Float64Type, Int32Type, Int64Type, SchemaRef, TimestampMicrosecondType,
};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use super::rules::TableSpec;
use super::value::{Cell, Kind, quote};
use super::{BatchSource, Batches, FileReadOptions, Stream};
use crate::error::{Error, Result};
use crate::schema::Table;

/// Opens `input`, checks its columns against `table` and returns its batches.
pub(super) fn batches<T: ChunkReader + 'static>(
    table: Table,
    file: String,
    input: T,
    opts: &FileReadOptions,
) -> Result<Batches> {
    let bad_file = |reason: String| Error::BadFile {
        file: file.clone(),
        reason,
    };
    let len = input.len();
    if len == 0 {
        return Err(bad_file(
            "the file is empty; expected a Parquet file".into(),
        ));
    }
    // The Arrow schema a writer may embed is not read: types come from the Parquet
    // schema itself, and a corrupt embedded schema cannot reach the IPC decoder.
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    let builder = guarded(|| ParquetRecordBatchReaderBuilder::try_new_with_options(input, options))
        .and_then(|built| built.map_err(|e| e.to_string()))
        .and_then(|built| check_chunks(built.metadata(), len).map(|()| built))
        .map_err(|e| bad_file(format!("not a readable Parquet file: {e}")))?;
    let spec = TableSpec::new(table);
    let mut present = vec![false; spec.columns.len()];
    let (mut roots, mut unknown) = (Vec::new(), Vec::new());
    for (root, field) in builder.schema().fields().iter().enumerate() {
        let Some(i) = spec.index_of(field.name()) else {
            unknown.push(format!("'{}'", field.name()));
            continue;
        };
        let column = &spec.columns[i];
        if present[i] {
            return Err(bad_file(format!("column '{}' appears twice", column.name)));
        }
        if !castable(field.data_type(), column.kind) {
            return Err(bad_file(format!(
                "column '{}' has type {}, which cannot be read as {}",
                column.name,
                field.data_type(),
                column.kind.expected()
            )));
        }
        present[i] = true;
        roots.push(root);
    }
    if !unknown.is_empty() {
        let (table, list) = (spec.table, spec.column_list());
        let unknown = unknown.join(", ");
        return Err(bad_file(format!(
            "unknown columns {unknown}; the columns of {table} are {list}"
        )));
    }
    let missing: Vec<&str> = (spec.columns.iter().zip(&present))
        .filter(|(c, present)| !c.nullable && !**present)
        .map(|(c, _)| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(bad_file(format!(
            "required columns {} are missing",
            missing.join(", ")
        )));
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let builder = builder
        .with_projection(mask)
        .with_batch_size(opts.batch_rows.max(1));
    let reader = guarded(|| builder.build())
        .and_then(|built| built.map_err(|e| e.to_string()))
        .map_err(|e| bad_file(format!("not a readable Parquet file: {e}")))?;
    let source = ParquetSource {
        reader,
        spec,
        schema: table.schema(),
        file,
        rows: 0,
    };
    Ok(Stream::boxed(source))
}

/// Whether a column of type `from` may be read into a column of `kind`.
fn castable(from: &DataType, kind: Kind) -> bool {
    use DataType as T;
    let text = |t: &DataType| matches!(t, T::Utf8 | T::LargeUtf8 | T::Utf8View);
    match (kind, from) {
        (_, T::Null) => true,
        (Kind::Utf8, T::Dictionary(_, values)) => text(values),
        (Kind::Utf8, t) => text(t),
        (Kind::Int32 | Kind::Int64, t) => t.is_integer(),
        (Kind::Float64, t) => {
            t.is_integer() || t.is_floating() || matches!(t, T::Decimal128(..) | T::Decimal256(..))
        }
        (Kind::Boolean, t) => matches!(t, T::Boolean),
        (Kind::Timestamp, t) => matches!(t, T::Timestamp(..) | T::Date32 | T::Date64),
    }
}

/// Checks that every column chunk lies inside the file, which the reader assumes.
fn check_chunks(metadata: &ParquetMetaData, len: u64) -> Result<(), String> {
    for column in metadata
        .row_groups()
        .iter()
        .flat_map(|group| group.columns())
    {
        let start = column
            .dictionary_page_offset()
            .unwrap_or(column.data_page_offset());
        let (start, size) = (
            u64::try_from(start),
            u64::try_from(column.compressed_size()),
        );
        match (start, size) {
            (Ok(start), Ok(size)) if start.saturating_add(size) <= len => {}
            _ => {
                return Err(format!(
                    "the data of column {} lies outside the file",
                    column.column_path()
                ));
            }
        }
    }
    Ok(())
}

/// Runs the Parquet reader, turning a panic on a corrupt file into an error.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let detail = (panic.downcast_ref::<&str>().copied())
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("the reader failed");
        format!("the file is corrupt ({detail})")
    })
}

struct ParquetSource {
    reader: ParquetRecordBatchReader,
    spec: TableSpec,
    schema: SchemaRef,
    file: String,
    /// Rows read before the current batch.
    rows: u64,
}

impl ParquetSource {
    fn bad_value(&self, row: usize, column: usize, reason: String) -> Error {
        let line = self.rows + row as u64 + 1;
        let column = self.spec.columns[column].name.clone();
        Error::BadValue {
            file: self.file.clone(),
            line,
            column,
            reason,
        }
    }

    /// Column `i` of `batch` in its canonical type, or all null when absent.
    fn column(&self, batch: &RecordBatch, i: usize) -> Result<ArrayRef> {
        let target = self.schema.field(i).data_type();
        let Some(source) = batch.column_by_name(&self.spec.columns[i].name) else {
            return Ok(new_null_array(target, batch.num_rows()));
        };
        let mut array = source.clone();
        if source.data_type() != target {
            let options = CastOptions {
                safe: true,
                ..Default::default()
            };
            array = cast_with_options(source, target, &options)
                .map_err(|e| self.bad_value(0, i, format!("cannot be read: {e}")))?;
            let source_nulls = source.logical_nulls();
            let lost = (0..source.len())
                .find(|&r| source_nulls.as_ref().is_none_or(|n| n.is_valid(r)) && array.is_null(r));
            if let Some(r) = lost {
                let raw = ArrayFormatter::try_new(source.as_ref(), &FormatOptions::default())
                    .map(|f| f.value(r).to_string())
                    .unwrap_or_default();
                let kind = self.spec.columns[i].kind;
                let reason = format!("expected {}, got {}", kind.expected(), quote(&raw));
                return Err(self.bad_value(r, i, reason));
            }
        }
        if let Some(text) = array.as_string_opt::<i32>() {
            let empty = eq(text, &StringArray::new_scalar(""))?;
            if empty.true_count() > 0 {
                array = nullif(&array, &empty)?;
            }
        }
        Ok(array)
    }

    /// Checks every row of the converted columns.
    fn validate(&self, arrays: &[ArrayRef]) -> Result<()> {
        let views: Vec<View> = arrays.iter().map(|a| View::of(a.as_ref())).collect();
        let mut row = self.spec.row_values();
        let rows = arrays.first().map_or(0, |a| a.len());
        for r in 0..rows {
            for (i, view) in views.iter().enumerate() {
                let cell = view.cell(r);
                self.spec
                    .check(i, cell, &mut row)
                    .map_err(|reason| self.bad_value(r, i, reason))?;
            }
            self.spec
                .check_row(&row)
                .map_err(|(i, reason)| self.bad_value(r, i, reason))?;
        }
        Ok(())
    }
}

/// A canonical-typed array, downcast once per batch.
enum View<'a> {
    Utf8(&'a StringArray),
    Int32(&'a PrimitiveArray<Int32Type>),
    Int64(&'a PrimitiveArray<Int64Type>),
    Float64(&'a PrimitiveArray<Float64Type>),
    Boolean(&'a BooleanArray),
    Timestamp(&'a PrimitiveArray<TimestampMicrosecondType>),
    Other,
}

impl<'a> View<'a> {
    fn of(array: &'a dyn Array) -> View<'a> {
        let view = (array.as_string_opt().map(View::Utf8))
            .or_else(|| array.as_primitive_opt().map(View::Int32))
            .or_else(|| array.as_primitive_opt().map(View::Int64))
            .or_else(|| array.as_primitive_opt().map(View::Float64))
            .or_else(|| array.as_boolean_opt().map(View::Boolean))
            .or_else(|| array.as_primitive_opt().map(View::Timestamp));
        view.unwrap_or(View::Other)
    }

    /// The value at row `r`.
    fn cell(&self, r: usize) -> Cell<'a> {
        match self {
            View::Utf8(a) if a.is_valid(r) => Cell::Str(a.value(r)),
            View::Int32(a) if a.is_valid(r) => Cell::Int(a.value(r).into()),
            View::Int64(a) if a.is_valid(r) => Cell::Int(a.value(r)),
            View::Float64(a) if a.is_valid(r) => Cell::Float(a.value(r)),
            View::Boolean(a) if a.is_valid(r) => Cell::Bool(a.value(r)),
            View::Timestamp(a) if a.is_valid(r) => Cell::Ts(a.value(r)),
            _ => Cell::Null,
        }
    }
}

impl BatchSource for ParquetSource {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let problem = match guarded(|| self.reader.next()) {
            Ok(None) => return Ok(None),
            Ok(Some(Ok(batch))) => Ok(batch),
            Ok(Some(Err(e))) => Err(e.to_string()),
            Err(e) => Err(e),
        };
        let batch = problem.map_err(|e| Error::BadFile {
            file: self.file.clone(),
            reason: format!("cannot read the rows after row {}: {e}", self.rows),
        })?;
        let arrays = (0..self.spec.columns.len())
            .map(|i| self.column(&batch, i))
            .collect::<Result<Vec<_>>>()?;
        self.validate(&arrays)?;
        self.rows += batch.num_rows() as u64;
        Ok(Some(RecordBatch::try_new(self.schema.clone(), arrays)?))
    }
}
