//! NDJSON in canonical columns: one JSON object per line (blank lines skipped), keys
//! are column names, a missing key or `null` is null.

use std::borrow::Cow;
use std::fmt;
use std::io::{BufRead, BufReader, ErrorKind, Read};

use arrow::record_batch::RecordBatch;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::builder::BatchBuilder;
use super::collect::{Collected, drain, skip_bad_row};
use super::rules::TableSpec;
use super::value::{Cell, Kind, parse_text, type_error};
use super::{BatchSource, Batches, FileReadOptions, Rejects, RowReject, Stream};
use crate::error::{Error, Result};
use crate::schema::Table;

/// The longest line read; a longer one is an error rather than unbounded memory.
const MAX_LINE: usize = 16 << 20;

/// The batches of `input` (BOM already removed).
pub(super) fn batches<R: Read + Send + 'static>(
    table: Table,
    file: String,
    input: R,
    opts: &FileReadOptions,
) -> Result<Batches> {
    Ok(Stream::boxed(open(table, file, input, opts)))
}

/// The batches of `input` (BOM already removed), which leave out each bad line and list
/// it in the [`Rejects`].
pub(super) fn batches_collecting<R: Read + Send + 'static>(
    table: Table,
    file: String,
    input: R,
    opts: &FileReadOptions,
) -> (Batches, Rejects) {
    let mut source = open(table, file, input, opts);
    source.rejects = Some(Vec::new());
    Stream::collecting(source)
}

/// Every object of `input` (BOM already removed), leaving out and reporting each bad line.
pub(super) fn collect<R: Read + Send>(
    table: Table,
    file: String,
    input: R,
    opts: &FileReadOptions,
) -> Result<Collected> {
    let mut source = open(table, file, input, opts);
    source.rejects = Some(Vec::new());
    drain(source)
}

fn open<R: Read>(table: Table, file: String, input: R, opts: &FileReadOptions) -> NdjsonSource<R> {
    NdjsonSource {
        input: BufReader::with_capacity(1 << 16, input),
        buf: Vec::new(),
        line: 0,
        out: BatchBuilder::new(table, opts.batch_rows),
        file,
        eof: false,
        overlong: false,
        rejects: None,
    }
}

struct NdjsonSource<R> {
    input: BufReader<R>,
    buf: Vec<u8>,
    /// The 1-based number of the line in `buf`.
    line: u64,
    out: BatchBuilder,
    file: String,
    eof: bool,
    /// The line in `buf` was too long and its rest is still to be skipped.
    overlong: bool,
    /// In a collecting read, the lines left out so far.
    rejects: Option<Vec<RowReject>>,
}

impl<R: Read> NdjsonSource<R> {
    fn bad_record(&self, reason: String) -> Error {
        Error::BadRecord {
            file: self.file.clone(),
            line: self.line,
            reason,
        }
    }

    fn bad_column(&self, i: usize, reason: String) -> Error {
        self.bad_value(self.out.spec().columns[i].name.clone(), reason)
    }

    fn bad_value(&self, column: String, reason: String) -> Error {
        Error::BadValue {
            file: self.file.clone(),
            line: self.line,
            column,
            reason,
        }
    }

    /// Reads the next physical line into `buf`, without its newline; `false` at the end.
    fn read_line(&mut self) -> Result<bool> {
        if std::mem::take(&mut self.overlong) {
            self.skip_line()?;
        }
        self.buf.clear();
        self.line += 1;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(Error::Io {
                        path: self.file.clone().into(),
                        source,
                    });
                }
            };
            if chunk.is_empty() {
                return Ok(!self.buf.is_empty());
            }
            let (take, newline) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i, 1),
                None => (chunk.len(), 0),
            };
            if self.buf.len() + take > MAX_LINE {
                self.overlong = true;
                return Err(self.bad_record("the line is longer than 16 MiB".into()));
            }
            self.buf.extend_from_slice(&chunk[..take]);
            self.input.consume(take + newline);
            if newline == 1 {
                return Ok(true);
            }
        }
    }

    /// Consumes the input up to and including the next newline (the rest of a line too
    /// long to read).
    fn skip_line(&mut self) -> Result<()> {
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(Error::Io {
                        path: self.file.clone().into(),
                        source,
                    });
                }
            };
            if chunk.is_empty() {
                return Ok(());
            }
            match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    self.input.consume(i + 1);
                    return Ok(());
                }
                None => {
                    let n = chunk.len();
                    self.input.consume(n);
                }
            }
        }
    }

    /// Reads, checks and appends one object; `false` at the end of the input.
    fn read_row(&mut self) -> Result<bool> {
        let text = loop {
            if !self.read_line()? {
                return Ok(false);
            }
            let bytes = self.buf.strip_suffix(b"\r").unwrap_or(&self.buf);
            if bytes.trim_ascii().is_empty() {
                continue;
            }
            match std::str::from_utf8(bytes) {
                Ok(text) => break text,
                Err(e) => {
                    let at = e.valid_up_to() + 1;
                    return Err(self.bad_record(format!("not valid UTF-8 (bad byte {at})")));
                }
            }
        };
        let mut json = serde_json::Deserializer::from_str(text);
        let row = RowSeed(self.out.spec())
            .deserialize(&mut json)
            .and_then(|row| {
                json.end()?;
                Ok(row)
            });
        let row = row.map_err(|e| self.bad_record(json_reason(&e)))?;
        let spec = self.out.spec();
        match row.problem {
            Some(Problem::Unknown(key)) => {
                let (table, list) = (spec.table, spec.column_list());
                let reason = format!("unknown column; the columns of {table} are {list}");
                return Err(self.bad_value(key, reason));
            }
            Some(Problem::Twice(i)) => {
                return Err(self.bad_column(i, "the key appears twice in the object".into()));
            }
            None => {}
        }
        for (i, json) in row.cells.iter().enumerate() {
            let kind = self.out.spec().columns[i].kind;
            let pushed = match json {
                Some(json) => to_cell(kind, json).and_then(|cell| self.out.push(i, cell)),
                None => self.out.push(i, Cell::Null),
            };
            pushed.map_err(|reason| self.bad_column(i, reason))?;
        }
        self.out
            .end_row()
            .map_err(|(i, reason)| self.bad_column(i, reason))?;
        Ok(true)
    }
}

impl<R: Read + Send> BatchSource for NdjsonSource<R> {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        while !self.eof && !self.out.is_full() {
            match self.read_row() {
                Ok(more) => self.eof = !more,
                Err(e) => {
                    let line = &self.buf;
                    let raw = |column: Option<&str>| raw_value(line, column);
                    skip_bad_row(&mut self.rejects, &mut self.out, e, raw)?
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

/// The raw text of key `column` in the JSON object on `line` (a string without its
/// quotes, any other value as JSON), or the whole line when `column` is `None` or the
/// line is not an object holding that key.
fn raw_value(line: &[u8], column: Option<&str>) -> Option<String> {
    let whole = || {
        Some(
            String::from_utf8_lossy(line)
                .trim_end_matches('\r')
                .to_owned(),
        )
    };
    let Some(column) = column else {
        return whole();
    };
    let object: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(line) {
        Ok(object) => object,
        Err(_) => return whole(),
    };
    match object.get(column) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(value) => Some(value.to_string()),
        None => whole(),
    }
}

/// serde_json's message without its "at line 1 column n", which would mislead here.
fn json_reason(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = message.strip_suffix(&suffix).unwrap_or(&message);
    format!(
        "not a JSON object: {message} (at byte {} of the line)",
        e.column()
    )
}

/// The typed cell of a JSON value in a column of `kind`.
fn to_cell<'a>(kind: Kind, json: &'a Json<'a>) -> Result<Cell<'a>, String> {
    let wrong = |got: String| {
        let expected = if kind == Kind::Utf8 {
            "a JSON string"
        } else {
            kind.expected()
        };
        format!("expected {expected}, got {got}")
    };
    match *json {
        Json::Null => Ok(Cell::Null),
        Json::Str(ref s) => parse_text(kind, s),
        Json::Bool(v) if kind == Kind::Boolean => Ok(Cell::Bool(v)),
        Json::Bool(v) => Err(wrong(v.to_string())),
        Json::Int(v) => match kind {
            Kind::Float64 => Ok(Cell::Float(v as f64)),
            Kind::Int64 => i64::try_from(v)
                .map(Cell::Int)
                .map_err(|_| wrong(format!("the number {v}"))),
            Kind::Int32 => match i32::try_from(v) {
                Ok(v) => Ok(Cell::Int(v.into())),
                Err(_) => Err(type_error(kind, &v.to_string())),
            },
            _ => Err(wrong(format!("the number {v}"))),
        },
        Json::Float(v) if kind == Kind::Float64 => Ok(Cell::Float(v)),
        Json::Float(v) => Err(wrong(format!("the number {v}"))),
        Json::Object => Err(wrong("a JSON object".into())),
        Json::Array => Err(wrong("a JSON array".into())),
    }
}

/// One JSON value, strings borrowed from the line where they need no unescaping.
enum Json<'a> {
    Null,
    Str(Cow<'a, str>),
    Int(i128),
    Float(f64),
    Bool(bool),
    Object,
    Array,
}

impl<'de> de::Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(Json::Int(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json<'de>, E> {
        Ok(Json::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Json::Object)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Json::Array)
    }
}

/// A line's object: each canonical column's value, and the first key that is wrong.
struct Row<'a> {
    cells: Vec<Option<Json<'a>>>,
    problem: Option<Problem>,
}

enum Problem {
    Unknown(String),
    Twice(usize),
}

/// Deserializes a line's object straight into canonical columns.
struct RowSeed<'s>(&'s TableSpec);

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = Row<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Row<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = Row<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row<'de>, A::Error> {
        let mut row = Row {
            cells: self.0.columns.iter().map(|_| None).collect(),
            problem: None,
        };
        while let Some(key) = map.next_key::<Json<'de>>()? {
            let Json::Str(key) = key else {
                return Err(de::Error::custom("a key that is not a string"));
            };
            match self.0.index_of(&key) {
                Some(i) if row.cells[i].is_none() => row.cells[i] = Some(map.next_value()?),
                found => {
                    map.next_value::<IgnoredAny>()?;
                    let problem = match found {
                        Some(i) => Problem::Twice(i),
                        None => Problem::Unknown(key.into_owned()),
                    };
                    row.problem.get_or_insert(problem);
                }
            }
        }
        Ok(row)
    }
}
