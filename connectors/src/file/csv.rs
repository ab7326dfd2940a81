//! CSV in canonical columns: a header row naming the columns in any order, UTF-8
//! records, an empty field for null.

use std::io::Read;

use arrow::record_batch::RecordBatch;
use csv::{ByteRecord, Reader, ReaderBuilder};

use super::builder::BatchBuilder;
use super::collect::{Collected, drain, skip_bad_row};
use super::rules::TableSpec;
use super::{BatchSource, Batches, FileReadOptions, Rejects, RowReject, Stream};
use crate::error::{Error, Result};
use crate::schema::Table;

/// Reads the header of `input` (BOM already removed) and returns its batches.
pub(super) fn batches<R: Read + Send + 'static>(
    table: Table,
    file: String,
    input: R,
    opts: &FileReadOptions,
) -> Result<Batches> {
    Ok(Stream::boxed(open(table, file, input, opts)?))
}

/// Reads the header of `input` (BOM already removed) and returns its batches, which
/// leave out each bad record and list it in the [`Rejects`].
pub(super) fn batches_collecting<R: Read + Send + 'static>(
    table: Table,
    file: String,
    input: R,
    opts: &FileReadOptions,
) -> Result<(Batches, Rejects)> {
    let mut source = open(table, file, input, opts)?;
    source.rejects = Some(Vec::new());
    Ok(Stream::collecting(source))
}

/// Reads the header and every record of `input` (BOM already removed), leaving out and
/// reporting each bad record.
pub(super) fn collect<R: Read + Send>(
    table: Table,
    file: String,
    input: R,
    opts: &FileReadOptions,
) -> Result<Collected> {
    let mut source = open(table, file, input, opts)?;
    source.rejects = Some(Vec::new());
    drain(source)
}

/// Reads and checks the header of `input`.
fn open<R: Read>(
    table: Table,
    file: String,
    input: R,
    opts: &FileReadOptions,
) -> Result<CsvSource<R>> {
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(input);
    let out = BatchBuilder::new(table, opts.batch_rows);
    let mut record = ByteRecord::new();
    let bad_file = |reason: String| Error::BadFile {
        file: file.clone(),
        reason,
    };
    if !reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(&file, e))?
    {
        return Err(bad_file(
            "the file is empty; expected a header row naming the columns".into(),
        ));
    }
    let sources = map_header(&out, &record).map_err(bad_file)?;
    let fields = record.len();
    let source = CsvSource {
        reader,
        record,
        fields,
        sources,
        out,
        file,
        eof: false,
        rejects: None,
        peeked: None,
    };
    Ok(source)
}

/// For each canonical column, the index of its field in the header (if present).
fn map_header(out: &BatchBuilder, header: &ByteRecord) -> Result<Vec<Option<usize>>, String> {
    let spec = out.spec();
    let mut sources = vec![None; spec.columns.len()];
    let mut unknown = Vec::new();
    for (field, raw) in header.iter().enumerate() {
        let name = std::str::from_utf8(raw)
            .map_err(|_| "the header row is not valid UTF-8".to_string())?
            .trim();
        match spec.index_of(name) {
            Some(i) if sources[i].is_some() => {
                return Err(format!("column '{name}' appears twice in the header"));
            }
            Some(i) => sources[i] = Some(field),
            None => unknown.push(format!("'{name}'")),
        }
    }
    if !unknown.is_empty() {
        return Err(format!(
            "unknown columns {} in the header; the columns of {} are {}",
            unknown.join(", "),
            spec.table,
            spec.column_list()
        ));
    }
    let missing: Vec<&str> = (spec.columns.iter().zip(&sources))
        .filter(|(c, s)| !c.nullable && s.is_none())
        .map(|(c, _)| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the header lacks required columns {}",
            missing.join(", ")
        ));
    }
    Ok(sources)
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a record may have the wrong number of fields, when its shape tells: a field
/// running over several lines (`spanning_lines` > 1: a quoted field whose closing quote
/// is missing swallows the lines after it), or a record that ends the file (a file cut
/// off). Shared by the canonical and the raw CSV readers.
pub(crate) fn wrong_width_cause(spanning_lines: usize, at_end: bool) -> Option<String> {
    if spanning_lines > 1 {
        Some(format!(
            "a quoted field here runs over {spanning_lines} lines, so its closing quote is \
             probably missing and the lines after it were read into this record"
        ))
    } else if at_end {
        Some(
            "the file ends in this record: it was cut off, mid-record or inside a quoted field"
                .into(),
        )
    } else {
        None
    }
}

/// The most lines any field of `record` runs over.
fn spanning_lines(record: &ByteRecord) -> usize {
    let newlines = record.iter().map(|f| memchr::memchr_iter(b'\n', f).count());
    newlines.max().unwrap_or(0) + 1
}

fn csv_error(file: &str, e: csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line());
    let reason = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::Io {
            path: file.into(),
            source,
        },
        _ => Error::BadRecord {
            file: file.to_string(),
            line,
            reason,
        },
    }
}

/// The raw text of `column` in `record` (empty when the file has no such field), or
/// the whole record joined by commas when `column` is `None`.
fn raw_field(
    record: &ByteRecord,
    sources: &[Option<usize>],
    spec: &TableSpec,
    column: Option<&str>,
) -> Option<String> {
    let text = |raw: &[u8]| String::from_utf8_lossy(raw).into_owned();
    match column {
        Some(name) => {
            let field = spec.index_of(name).and_then(|i| sources[i]);
            Some(
                field
                    .and_then(|f| record.get(f))
                    .map(text)
                    .unwrap_or_default(),
            )
        }
        None => {
            let fields: Vec<String> = record.iter().map(text).collect();
            Some(fields.join(","))
        }
    }
}

struct CsvSource<R> {
    reader: Reader<R>,
    record: ByteRecord,
    /// The number of fields in the header; every record has as many.
    fields: usize,
    sources: Vec<Option<usize>>,
    out: BatchBuilder,
    file: String,
    eof: bool,
    /// In a collecting read, the records left out so far.
    rejects: Option<Vec<RowReject>>,
    /// A record read ahead (to tell whether a short record ends the file), or the end
    /// (`Some(None)`), to be taken before reading on.
    peeked: Option<Option<ByteRecord>>,
}

impl<R: Read> CsvSource<R> {
    fn bad_record(&self, line: u64, reason: String) -> Error {
        Error::BadRecord {
            file: self.file.clone(),
            line,
            reason,
        }
    }

    /// Reads the next record into `self.record`; `false` at the end.
    fn next_record(&mut self) -> Result<bool> {
        match self.peeked.take() {
            Some(Some(record)) => {
                self.record = record;
                Ok(true)
            }
            Some(None) => Ok(false),
            None => (self.reader.read_byte_record(&mut self.record))
                .map_err(|e| csv_error(&self.file, e)),
        }
    }

    /// Whether the record just read is the last one: reads ahead one record and keeps it.
    fn at_end(&mut self) -> bool {
        let mut next = ByteRecord::new();
        match self.reader.read_byte_record(&mut next) {
            Ok(true) => {
                self.peeked = Some(Some(next));
                false
            }
            Ok(false) => {
                self.peeked = Some(None);
                true
            }
            // The error comes again when reading on.
            Err(_) => false,
        }
    }

    fn bad_value(&self, line: u64, column: usize, reason: String) -> Error {
        let column = self.out.spec().columns[column].name.clone();
        Error::BadValue {
            file: self.file.clone(),
            line,
            column,
            reason,
        }
    }

    /// Reads, checks and appends one record; `false` at the end of the file.
    fn read_row(&mut self) -> Result<bool> {
        if !self.next_record()? {
            return Ok(false);
        }
        let line = self.record.position().map_or(0, |p| p.line());
        if memchr::memmem::find(self.record.as_slice(), BOM).is_some() {
            return Err(self.bad_record(
                line,
                "a byte-order mark in the middle of the file, as where two files were \
                 joined; remove it (and a second header row after it)"
                    .into(),
            ));
        }
        if self.record.len() != self.fields {
            let mut reason = format!(
                "expected {} fields as in the header, found {}",
                self.fields,
                self.record.len()
            );
            let at_end = self.record.len() < self.fields && self.at_end();
            if let Some(cause) = wrong_width_cause(spanning_lines(&self.record), at_end) {
                reason.push_str("; ");
                reason.push_str(&cause);
            }
            return Err(self.bad_record(line, reason));
        }
        for (i, source) in self.sources.iter().enumerate() {
            let raw = source.and_then(|f| self.record.get(f)).unwrap_or_default();
            let pushed = match std::str::from_utf8(raw) {
                Ok(text) => self.out.push_text(i, text),
                Err(e) => Err(format!(
                    "not valid UTF-8 text (bad byte at offset {} of the field)",
                    e.valid_up_to()
                )),
            };
            if let Err(reason) = pushed {
                return Err(self.bad_value(line, i, reason));
            }
        }
        self.out
            .end_row()
            .map_err(|(i, reason)| self.bad_value(line, i, reason))?;
        Ok(true)
    }
}

impl<R: Read + Send> BatchSource for CsvSource<R> {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        while !self.eof && !self.out.is_full() {
            match self.read_row() {
                Ok(more) => self.eof = !more,
                Err(e) => {
                    let raw = |column: Option<&str>| {
                        raw_field(&self.record, &self.sources, self.out.spec(), column)
                    };
                    let value = match (&self.rejects, RowReject::of(&e)) {
                        (Some(_), Some(reject)) => raw(reject.column.as_deref()),
                        _ => None,
                    };
                    skip_bad_row(&mut self.rejects, &mut self.out, e, |_| value)?
                }
            }
        }
        self.out.finish()
    }

    fn take_rejects(&mut self) -> Vec<RowReject> {
        self.rejects
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }
}
