//! Writing one canonical table to a file, a batch at a time.
//!
//! Rows are appended to Arrow builders of the table's canonical schema; every
//! [`BATCH_ROWS`] rows the builders become a `RecordBatch` that goes to the file (Parquet
//! through `ArrowWriter`; CSV and NDJSON are printed from the batch). Memory stays
//! bounded by one batch per open table whatever the size of the city.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use skillbrain_connectors::Table;

use super::Format;
use super::text::{cell_text, json_line};
use crate::error::{Error, Result};

/// Rows per record batch.
pub(crate) const BATCH_ROWS: usize = 65_536;
/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 512 * 1024;

/// One cell of a row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Null,
    Str(&'a str),
    I32(i32),
    I64(i64),
    F64(f64),
    Bool(bool),
    /// Microseconds since the Unix epoch, UTC.
    Ts(i64),
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Value::Null, Value::Str)
    }
}

enum Column {
    Utf8(StringBuilder),
    I32(Int32Builder),
    I64(Int64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Ts(TimestampMicrosecondBuilder),
}

impl Column {
    fn new(data_type: &DataType) -> Option<Column> {
        let n = BATCH_ROWS;
        Some(match data_type {
            DataType::Utf8 => Column::Utf8(StringBuilder::with_capacity(n, n * 16)),
            DataType::Int32 => Column::I32(Int32Builder::with_capacity(n)),
            DataType::Int64 => Column::I64(Int64Builder::with_capacity(n)),
            DataType::Float64 => Column::F64(Float64Builder::with_capacity(n)),
            DataType::Boolean => Column::Bool(BooleanBuilder::with_capacity(n)),
            DataType::Timestamp(TimeUnit::Microsecond, tz) => Column::Ts(
                TimestampMicrosecondBuilder::with_capacity(n).with_timezone_opt(tz.clone()),
            ),
            _ => return None,
        })
    }

    /// Appends `v`; false if it does not fit the column's type.
    fn append(&mut self, v: Value<'_>) -> bool {
        match (self, v) {
            (Column::Utf8(b), Value::Str(s)) => b.append_value(s),
            (Column::I32(b), Value::I32(x)) => b.append_value(x),
            (Column::I64(b), Value::I64(x)) => b.append_value(x),
            (Column::F64(b), Value::F64(x)) => b.append_value(x),
            (Column::Bool(b), Value::Bool(x)) => b.append_value(x),
            (Column::Ts(b), Value::Ts(x)) => b.append_value(x),
            (Column::Utf8(b), Value::Null) => b.append_null(),
            (Column::I32(b), Value::Null) => b.append_null(),
            (Column::I64(b), Value::Null) => b.append_null(),
            (Column::F64(b), Value::Null) => b.append_null(),
            (Column::Bool(b), Value::Null) => b.append_null(),
            (Column::Ts(b), Value::Null) => b.append_null(),
            _ => return false,
        }
        true
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Utf8(b) => Arc::new(b.finish()),
            Column::I32(b) => Arc::new(b.finish()),
            Column::I64(b) => Arc::new(b.finish()),
            Column::F64(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Ts(b) => Arc::new(b.finish()),
        }
    }
}

enum Out {
    Parquet(Box<ArrowWriter<BufWriter<File>>>),
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Ndjson(BufWriter<File>),
}

/// An open output file of one canonical table.
pub(crate) struct TableWriter {
    table: Table,
    schema: SchemaRef,
    columns: Vec<Column>,
    pending: usize,
    rows: u64,
    out: Out,
    path: PathBuf,
    text: String,
    record: csv::ByteRecord,
}

impl TableWriter {
    /// Creates `<dir>/<table>.<ext>`, writing the CSV header at once.
    pub(crate) fn create(dir: &Path, table: Table, format: Format) -> Result<TableWriter> {
        let schema = table.schema();
        let path = dir.join(format!("{}.{}", table.name(), format.ext()));
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let file = BufWriter::with_capacity(1 << 20, file);
        let out = match format {
            Format::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                    .build();
                Out::Parquet(Box::new(ArrowWriter::try_new(
                    file,
                    schema.clone(),
                    Some(props),
                )?))
            }
            Format::Csv => {
                let mut w = csv::WriterBuilder::new().from_writer(file);
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                w.write_record(&names).map_err(|source| Error::CsvWrite {
                    path: path.clone(),
                    source,
                })?;
                Out::Csv(Box::new(w))
            }
            Format::Ndjson => Out::Ndjson(file),
        };
        let columns = schema
            .fields()
            .iter()
            .map(|f| {
                Column::new(f.data_type()).ok_or_else(|| Error::Schema {
                    table: table.name().into(),
                    column: f.name().clone(),
                    reason: format!("type {} is not supported by the generator", f.data_type()),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TableWriter {
            table,
            schema,
            columns,
            pending: 0,
            rows: 0,
            out,
            path,
            text: String::new(),
            record: csv::ByteRecord::new(),
        })
    }

    /// Appends one row, in schema order; writes a batch when enough rows are pending.
    pub(crate) fn push(&mut self, row: &[Value<'_>]) -> Result<()> {
        if row.len() != self.columns.len() {
            return Err(self.schema_error(0, format!("row has {} cells", row.len())));
        }
        for (i, (column, value)) in self.columns.iter_mut().zip(row).enumerate() {
            if !column.append(*value) {
                let reason = format!("value {value:?} does not fit");
                return Err(self.schema_error(i, reason));
            }
        }
        self.pending += 1;
        self.rows += 1;
        if self.pending >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn schema_error(&self, column: usize, reason: String) -> Error {
        Error::Schema {
            table: self.table.name().into(),
            column: self.schema.field(column).name().clone(),
            reason,
        }
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending == 0 {
            return Ok(());
        }
        self.pending = 0;
        let arrays = self.columns.iter_mut().map(Column::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        let io = |path: &Path, e| Error::io(path, e);
        match &mut self.out {
            Out::Parquet(w) => w.write(&batch)?,
            Out::Csv(w) => {
                for row in 0..batch.num_rows() {
                    self.record.clear();
                    for array in batch.columns() {
                        self.text.clear();
                        if array.is_valid(row) {
                            cell_text(array.as_ref(), row, &mut self.text);
                        }
                        self.record.push_field(self.text.as_bytes());
                    }
                    w.write_byte_record(&self.record)
                        .map_err(|source| Error::CsvWrite {
                            path: self.path.clone(),
                            source,
                        })?;
                }
            }
            Out::Ndjson(w) => {
                for row in 0..batch.num_rows() {
                    self.text.clear();
                    json_line(&batch, row, &mut self.text);
                    w.write_all(self.text.as_bytes())
                        .map_err(|e| io(&self.path, e))?;
                }
            }
        }
        Ok(())
    }

    /// Writes what is pending, closes the file and returns its path and row count.
    pub(crate) fn finish(mut self) -> Result<(PathBuf, u64)> {
        self.flush()?;
        let path = self.path.clone();
        match self.out {
            Out::Parquet(w) => {
                w.close()?;
            }
            Out::Csv(w) => {
                let inner = w
                    .into_inner()
                    .map_err(|e| Error::io(&path, e.into_error()))?;
                finish_file(inner, &path)?;
            }
            Out::Ndjson(w) => finish_file(w, &path)?,
        }
        Ok((path, self.rows))
    }
}

fn finish_file(w: BufWriter<File>, path: &Path) -> Result<()> {
    w.into_inner()
        .map(drop)
        .map_err(|e| Error::io(path, e.into_error()))
}
