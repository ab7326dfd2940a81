//! Row-at-a-time construction of canonical batches, shared by the text formats.

use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanArray, BooleanBuilder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::compute::filter;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use super::rules::{RowValues, TableSpec};
use super::value::{Cell, Kind, parse_text};
use crate::error::Result;
use crate::schema::Table;

/// Builds the next batch before a first batch has shown how large they run.
const FIRST_CAPACITY: usize = 4096;

enum Column {
    Utf8(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Boolean(BooleanBuilder),
    Timestamp(TimestampMicrosecondBuilder),
}

impl Column {
    fn new(kind: Kind, rows: usize) -> Column {
        match kind {
            Kind::Utf8 => Column::Utf8(StringBuilder::with_capacity(rows, rows * 16)),
            Kind::Int32 => Column::Int32(Int32Builder::with_capacity(rows)),
            Kind::Int64 => Column::Int64(Int64Builder::with_capacity(rows)),
            Kind::Float64 => Column::Float64(Float64Builder::with_capacity(rows)),
            Kind::Boolean => Column::Boolean(BooleanBuilder::with_capacity(rows)),
            Kind::Timestamp => Column::Timestamp(
                TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            ),
        }
    }

    /// Appends a checked cell; `false` when the cell does not fit the column's type.
    fn append(&mut self, cell: Cell) -> bool {
        match (self, cell) {
            (Column::Utf8(b), Cell::Null) => b.append_null(),
            (Column::Int32(b), Cell::Null) => b.append_null(),
            (Column::Int64(b), Cell::Null) => b.append_null(),
            (Column::Float64(b), Cell::Null) => b.append_null(),
            (Column::Boolean(b), Cell::Null) => b.append_null(),
            (Column::Timestamp(b), Cell::Null) => b.append_null(),
            (Column::Utf8(b), Cell::Str(s)) => b.append_value(s),
            (Column::Int32(b), Cell::Int(v)) => match i32::try_from(v) {
                Ok(v) => b.append_value(v),
                Err(_) => return false,
            },
            (Column::Int64(b), Cell::Int(v)) => b.append_value(v),
            (Column::Float64(b), Cell::Float(v)) => b.append_value(v),
            (Column::Boolean(b), Cell::Bool(v)) => b.append_value(v),
            (Column::Timestamp(b), Cell::Ts(v)) => b.append_value(v),
            _ => return false,
        }
        true
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Utf8(b) => Arc::new(b.finish()),
            Column::Int32(b) => Arc::new(b.finish()),
            Column::Int64(b) => Arc::new(b.finish()),
            Column::Float64(b) => Arc::new(b.finish()),
            Column::Boolean(b) => Arc::new(b.finish()),
            Column::Timestamp(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::Utf8(b) => b.len(),
            Column::Int32(b) => b.len(),
            Column::Int64(b) => b.len(),
            Column::Float64(b) => b.len(),
            Column::Boolean(b) => b.len(),
            Column::Timestamp(b) => b.len(),
        }
    }
}

/// Collects checked rows of one table into batches of its canonical schema.
///
/// Every row pushes each column once, in canonical order, then calls
/// [`BatchBuilder::end_row`] — or [`BatchBuilder::discard_row`] when a value failed.
pub(crate) struct BatchBuilder {
    spec: TableSpec,
    schema: SchemaRef,
    columns: Vec<Column>,
    row: RowValues,
    rows: usize,
    max_rows: usize,
    /// Positions (in the batch being built) of discarded rows, left out by `finish`.
    discarded: Vec<usize>,
}

impl BatchBuilder {
    pub(crate) fn new(table: Table, max_rows: usize) -> BatchBuilder {
        let spec = TableSpec::new(table);
        let row = spec.row_values();
        let mut builder = BatchBuilder {
            schema: table.schema(),
            columns: Vec::new(),
            row,
            rows: 0,
            max_rows: max_rows.max(1),
            discarded: Vec::new(),
            spec,
        };
        builder.columns = builder.new_columns(FIRST_CAPACITY.min(builder.max_rows));
        builder
    }

    fn new_columns(&self, rows: usize) -> Vec<Column> {
        self.spec
            .columns
            .iter()
            .map(|c| Column::new(c.kind, rows))
            .collect()
    }

    pub(crate) fn spec(&self) -> &TableSpec {
        &self.spec
    }

    /// Whether the batch being built has reached its size.
    pub(crate) fn is_full(&self) -> bool {
        self.rows >= self.max_rows
    }

    /// Parses, checks and appends the text of column `i`; empty text is null.
    pub(crate) fn push_text(&mut self, i: usize, text: &str) -> Result<(), String> {
        let cell = parse_text(self.spec.columns[i].kind, text)?;
        self.push(i, cell)
    }

    /// Checks and appends a typed value of column `i`.
    pub(crate) fn push(&mut self, i: usize, cell: Cell) -> Result<(), String> {
        self.spec.check(i, cell, &mut self.row)?;
        if self.columns[i].append(cell) {
            Ok(())
        } else {
            Err(format!("expected {}", self.spec.columns[i].kind.expected()))
        }
    }

    /// Completes a row after every column was pushed: checks the rules across columns.
    pub(crate) fn end_row(&mut self) -> Result<(), (usize, String)> {
        self.spec.check_row(&self.row)?;
        self.rows += 1;
        Ok(())
    }

    /// Drops the row being built after one of its values or rules failed: the columns
    /// it already reached are completed with a null and the row is left out of the
    /// batch by [`BatchBuilder::finish`]. Does nothing when no column was pushed yet.
    pub(crate) fn discard_row(&mut self) {
        if self.columns.iter().all(|c| c.len() == self.rows) {
            return;
        }
        for column in &mut self.columns {
            if column.len() == self.rows {
                column.append(Cell::Null);
            }
        }
        self.discarded.push(self.rows);
        self.rows += 1;
    }

    /// The batch of the rows completed so far; `None` when there are none. A batch whose
    /// rows were all discarded is empty (not `None`, which means the end).
    pub(crate) fn finish(&mut self) -> Result<Option<RecordBatch>> {
        if self.rows == 0 {
            return Ok(None);
        }
        let consistent = self.columns.iter().all(|c| c.len() == self.rows);
        let next = self.new_columns(self.rows.min(self.max_rows));
        let mut columns = std::mem::replace(&mut self.columns, next);
        let rows = std::mem::take(&mut self.rows);
        let discarded = std::mem::take(&mut self.discarded);
        if !consistent {
            return Err(arrow::error::ArrowError::InvalidArgumentError(
                "a row was left incomplete".into(),
            )
            .into());
        }
        let mut arrays: Vec<ArrayRef> = columns.iter_mut().map(Column::finish).collect();
        if !discarded.is_empty() {
            let mut keep = vec![true; rows];
            for i in discarded {
                keep[i] = false;
            }
            let keep = BooleanArray::from(keep);
            arrays = (arrays.iter())
                .map(|a| filter(a, &keep))
                .collect::<Result<_, _>>()?;
        }
        Ok(Some(RecordBatch::try_new(self.schema.clone(), arrays)?))
    }
}
