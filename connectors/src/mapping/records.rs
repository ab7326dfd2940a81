//! [`map_records`]: a raw table through a mapping into canonical batches and rejections.

use arrow::record_batch::RecordBatch;

use super::bind::{BoundMapping, Role};
use super::row::{Blame, MappedRow, Problem, RowMapper};
use super::target::Target;
use super::values::{Value, looks_like_national_id, truncate};
use super::{MappedOutput, Mapping, MappingContext, Rejected};
use crate::error::{Error, Result};
use crate::file::builder::BatchBuilder;
use crate::file::rules::TableSpec;
use crate::identity::mask_name;
use crate::identity::mask_national_id;
use crate::normalize::trim;
use crate::raw::{RawRecord, RawTable};
use crate::schema::Table;

/// Maps every record of `raw` with `mapping`: each record becomes one
/// `assessment_results` row, one `workers` row and one `assessment_dimension_scores`
/// row per dimension score it has, or, if any of its values fails, a [`Rejected`]
/// naming the first problem, and none of its rows. Batches hold at most `batch_rows`
/// rows (0 counts as 1) and come grouped by table, in the order of
/// [`Mapping::tables`].
///
/// Errors, which fail the whole file: headers that do not fit the mapping
/// ([`Error::HeaderMismatch`]), a default that is not a valid value
/// ([`Error::BadMapping`]), and a raw table that cannot be read to its end (a byte
/// the encoding cannot decode, a spreadsheet error cell), since the records after it
/// are unknown.
pub fn map_records(
    raw: RawTable,
    mapping: &Mapping,
    ctx: &MappingContext,
    batch_rows: usize,
) -> Result<MappedOutput> {
    let source = raw.source.clone();
    let bound = mapping
        .bind(&raw.headers)
        .map_err(|e| in_file(e, &source))?;
    let mapper = RowMapper::new(&bound, ctx)?;
    let mut sink = Sink::new(&bound, batch_rows);
    let mut rejects = Vec::new();
    let mut rows_read = 0;
    for record in raw {
        let record = record?;
        rows_read += 1;
        let checked = mapper.map(&record).and_then(|row| {
            let rows = sink.rows(&mapper, &row);
            sink.check(&rows).map(|()| rows)
        });
        match checked {
            Ok(rows) => sink.push(&rows, &source, record.line)?,
            Err(problem) => rejects.push(rejected(&bound, &source, &record, problem)),
        }
    }
    Ok(MappedOutput {
        batches: sink.finish()?,
        rejects,
        rows_read,
    })
}

/// A header mismatch placed in its file.
fn in_file(error: Error, source: &str) -> Error {
    match error {
        Error::HeaderMismatch {
            file: None,
            mapping,
            missing,
            unmapped,
        } => Error::HeaderMismatch {
            file: Some(source.to_owned()),
            mapping,
            missing,
            unmapped,
        },
        other => other,
    }
}

/// The rejection of `record` for `problem`, naming the source header to blame.
fn rejected(bound: &BoundMapping, source: &str, record: &RawRecord, problem: Problem) -> Rejected {
    let (field, column) = match problem.blame {
        Blame::Row => (None, String::new()),
        Blame::Field(i) => (Some(i), bound.headers[i].clone()),
        Blame::Target(target) => bound.label(source_target(bound, target)),
    };
    let raw = (field.and_then(|i| record.fields.get(i))).map_or("", String::as_str);
    let raw_value = match field.map(|i| bound.roles[i]) {
        _ if trim(raw).is_empty() => String::new(),
        Some(Role::Column(Target::NationalId)) => mask_national_id(raw),
        _ if looks_like_national_id(raw) => mask_national_id(raw),
        Some(Role::Column(Target::Name)) => truncate(&mask_name(raw)),
        _ => truncate(raw),
    };
    Rejected {
        source: source.to_owned(),
        line: record.line,
        column,
        raw_value,
        reason: problem.reason,
    }
}

/// The target whose source column is to blame for a problem with `target`'s value.
fn source_target(bound: &BoundMapping, target: Target) -> Target {
    let mapped = |t: Target| bound.mapping.source_of(t).is_some();
    match target {
        Target::WorkerId | Target::Gender | Target::BirthYear if mapped(Target::NationalId) => {
            Target::NationalId
        }
        Target::Passed if !mapped(Target::Passed) => Target::TotalScore,
        other => other,
    }
}

/// The rows of one record, table by table: values in canonical column order and who
/// is to blame for each.
struct TableRow {
    table: usize,
    values: Vec<Value>,
    blame: Vec<Blame>,
}

/// One table's builder, the target feeding each of its columns and its batches.
struct Out {
    builder: BatchBuilder,
    feeds: Vec<Option<Target>>,
    batches: Vec<RecordBatch>,
}

/// The tables of a mapping, in [`Mapping::tables`] order.
struct Sink {
    outs: Vec<Out>,
}

impl Sink {
    fn new(bound: &BoundMapping, batch_rows: usize) -> Sink {
        let outs = (bound.mapping.tables().into_iter())
            .map(|table| {
                let builder = BatchBuilder::new(table, batch_rows);
                let feeds = (builder.spec().columns.iter())
                    .map(|c| Target::feeding(&c.name))
                    .collect();
                Out {
                    builder,
                    feeds,
                    batches: Vec::new(),
                }
            })
            .collect();
        Sink { outs }
    }

    /// The table rows of a mapped record.
    fn rows(&self, mapper: &RowMapper, row: &MappedRow) -> Vec<TableRow> {
        let mut rows = Vec::with_capacity(2 + row.dimensions.len());
        for (t, out) in self.outs.iter().enumerate() {
            if out.builder.spec().table == Table::AssessmentDimensionScores {
                let event_id = row.get(Target::EventId);
                for &(field, code, score) in &row.dimensions {
                    let code = mapper.bound.dimension_codes[code].clone();
                    rows.push(TableRow {
                        table: t,
                        values: vec![
                            event_id.clone(),
                            Value::Text(code),
                            Value::Float(score),
                            Value::Float(mapper.dimension_max_score),
                        ],
                        blame: vec![
                            Blame::Target(Target::EventId),
                            Blame::Field(field),
                            Blame::Field(field),
                            Blame::Field(field),
                        ],
                    });
                }
                continue;
            }
            let feeds = out.feeds.iter();
            rows.push(TableRow {
                table: t,
                values: feeds.clone().map(|f| value_of(row, *f)).collect(),
                blame: feeds.map(|f| f.map_or(Blame::Row, Blame::Target)).collect(),
            });
        }
        rows
    }

    /// Checks every row of a record against its table's rules, before any is pushed:
    /// a record lands whole or not at all.
    fn check(&self, rows: &[TableRow]) -> Result<(), Problem> {
        for row in rows {
            check_row(self.outs[row.table].builder.spec(), row)?;
        }
        Ok(())
    }

    /// Appends the checked rows of the record at `line`.
    fn push(&mut self, rows: &[TableRow], source: &str, line: u64) -> Result<()> {
        for row in rows {
            let out = &mut self.outs[row.table];
            let refused = |reason: String| Error::BadRecord {
                file: source.to_owned(),
                line,
                reason: format!("a checked value was refused by the batch builder: {reason}"),
            };
            for (i, value) in row.values.iter().enumerate() {
                out.builder.push(i, value.cell()).map_err(refused)?;
            }
            out.builder.end_row().map_err(|(_, why)| refused(why))?;
            if out.builder.is_full()
                && let Some(batch) = out.builder.finish()?
            {
                out.batches.push(batch);
            }
        }
        Ok(())
    }

    /// Every table's batches, grouped by table.
    fn finish(mut self) -> Result<Vec<(Table, RecordBatch)>> {
        let mut batches = Vec::new();
        for out in &mut self.outs {
            if let Some(batch) = out.builder.finish()? {
                out.batches.push(batch);
            }
            let table = out.builder.spec().table;
            batches.extend(out.batches.drain(..).map(|b| (table, b)));
        }
        Ok(batches)
    }
}

/// The value of a canonical column fed by `feed`.
fn value_of(row: &MappedRow, feed: Option<Target>) -> Value {
    feed.map_or(Value::Null, |t| row.get(t).clone())
}

/// A row's values against its table's rules: required values, domains and the rules
/// across columns (a score not above its maximum).
fn check_row(spec: &TableSpec, row: &TableRow) -> Result<(), Problem> {
    let problem = |i: usize, reason: String| Problem {
        blame: row.blame[i],
        reason,
    };
    let mut values = spec.row_values();
    for (i, value) in row.values.iter().enumerate() {
        let column = &spec.columns[i];
        if value.is_null() && !column.nullable {
            return Err(problem(
                i,
                format!("empty: {}.{} requires a value", spec.table, column.name),
            ));
        }
        (spec.check(i, value.cell(), &mut values))
            .map_err(|why| problem(i, format!("{}: {why}", column.name)))?;
    }
    spec.check_row(&values).map_err(|(i, why)| problem(i, why))
}
