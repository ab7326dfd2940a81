//! Collecting reads: every good row of a body, and each bad row's line and reason,
//! instead of stopping at the first bad row. Rows obey exactly the rules of
//! [`read_bytes`](super::read_bytes); only what happens to a bad row differs. An error
//! of the whole body (a bad CSV header, a JSON array that does not parse) still fails.

use std::fmt;
use std::io;

use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use serde::Serialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::builder::BatchBuilder;
use super::{BOM, BatchSource, FileFormat, FileReadOptions, csv, ndjson, parquet};
use crate::error::{Error, Result};
use crate::schema::Table;

/// A row a collecting read left out: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowReject {
    /// 1-based line of the body: for CSV the physical line where the record starts, for
    /// NDJSON the line, for a JSON array the element's index + 1.
    pub line: u64,
    /// The canonical column to blame, when a single one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What is wrong, in words a person can act on.
    pub reason: String,
    /// The raw text of the blamed value, or of the whole record when no single column
    /// is to blame: at most 200 characters, national ID numbers masked. Kept for the
    /// quarantine; not part of a push's answer.
    #[serde(skip)]
    pub value: Option<String>,
}

/// The most characters of a raw value a reject keeps.
const RAW_CHARS: usize = 200;

/// `raw` cut to [`RAW_CHARS`] characters (an ellipsis marks a cut) with national ID
/// numbers masked: what a reject may keep of a value.
pub fn raw_excerpt(raw: &str) -> String {
    let cut = match raw.char_indices().nth(RAW_CHARS) {
        Some((i, _)) => format!("{}…", &raw[..i]),
        None => raw.to_owned(),
    };
    crate::identity::scrub_national_ids(&cut)
}

impl RowReject {
    /// The reject `e` describes when it concerns one row only ([`Error::BadValue`],
    /// [`Error::BadRecord`]); `None` for an error of the whole source.
    pub fn of(e: &Error) -> Option<RowReject> {
        match e {
            Error::BadValue {
                line,
                column,
                reason,
                ..
            } => Some(RowReject {
                line: *line,
                column: Some(column.clone()),
                reason: reason.clone(),
                value: None,
            }),
            Error::BadRecord { line, reason, .. } => Some(RowReject {
                line: *line,
                column: None,
                reason: reason.clone(),
                value: None,
            }),
            _ => None,
        }
    }
}

/// The good rows of a body in batches, and the rows left out, in body order.
pub type Collected = (Vec<RecordBatch>, Vec<RowReject>);

/// Reads a whole body of `table` in canonical columns, leaving out each bad row and
/// reporting it; `source` names the body in errors. Errors of the whole body (an empty
/// CSV, a bad header, an I/O error) fail. Parquet has no rows to skip: a bad row fails
/// the whole read, as in [`read_bytes`](super::read_bytes).
pub fn read_bytes_collecting(
    table: Table,
    source: &str,
    bytes: impl Into<Bytes>,
    format: FileFormat,
    opts: &FileReadOptions,
) -> Result<Collected> {
    let mut bytes: Bytes = bytes.into();
    let name = source.to_string();
    if format != FileFormat::Parquet && bytes.starts_with(BOM) {
        bytes = bytes.slice(BOM.len()..);
    }
    match format {
        FileFormat::Csv => csv::collect(table, name, io::Cursor::new(bytes), opts),
        FileFormat::Ndjson => ndjson::collect(table, name, io::Cursor::new(bytes), opts),
        FileFormat::Parquet => {
            let batches = parquet::batches(table, name, bytes, opts)?;
            Ok((batches.collect::<Result<_>>()?, Vec::new()))
        }
    }
}

/// Reads a JSON array of objects in canonical columns like [`read_bytes_collecting`]
/// reads NDJSON: element `i` is checked as line `i + 1`. A body that is not a JSON
/// array fails; an element that is not a valid row (not an object, say) is reported.
pub fn read_json_array_collecting(
    table: Table,
    source: &str,
    bytes: impl AsRef<[u8]>,
    opts: &FileReadOptions,
) -> Result<Collected> {
    let bytes = bytes.as_ref();
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let lines = array_lines(bytes).map_err(|e| Error::BadFile {
        file: source.to_string(),
        reason: format!("expected a JSON array of objects: {e}"),
    })?;
    read_bytes_collecting(table, source, lines, FileFormat::Ndjson, opts)
}

/// Reads `source` to its end, keeping the non-empty batches and the rejects.
pub(super) fn drain(mut source: impl BatchSource) -> Result<Collected> {
    let mut batches = Vec::new();
    while let Some(batch) = source.next_batch()? {
        if batch.num_rows() > 0 {
            batches.push(batch);
        }
    }
    Ok((batches, source.take_rejects()))
}

/// After a row failed with `e`: in a collecting read (`rejects` is `Some`) an error of
/// that row is recorded and the row dropped from `out`; any other error is returned.
/// `raw` gives the raw text of a column of the row (`Some(name)`) or of the whole row
/// (`None`), for the reject's [`value`](RowReject::value).
pub(super) fn skip_bad_row(
    rejects: &mut Option<Vec<RowReject>>,
    out: &mut BatchBuilder,
    e: Error,
    raw: impl FnOnce(Option<&str>) -> Option<String>,
) -> Result<()> {
    match (rejects, RowReject::of(&e)) {
        (Some(rejects), Some(mut reject)) => {
            out.discard_row();
            reject.value = raw(reject.column.as_deref()).map(|v| raw_excerpt(&v));
            rejects.push(reject);
            Ok(())
        }
        _ => Err(e),
    }
}

/// The elements of a JSON array, re-encoded one per line (JSON text has no raw newline
/// outside whitespace, and whitespace is not copied). Keys keep their order and
/// repeats, so the NDJSON reader judges each element as it was sent.
fn array_lines(bytes: &[u8]) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut json = serde_json::Deserializer::from_slice(bytes);
    json.deserialize_seq(Lines(&mut out))?;
    json.end()?;
    Ok(out)
}

/// Writes each element of the array as one line.
struct Lines<'a>(&'a mut Vec<u8>);

impl<'de> Visitor<'de> for Lines<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Transcode(self.0))?.is_some() {
            self.0.push(b'\n');
        }
        Ok(())
    }
}

/// Copies one JSON value to the output, compactly.
struct Transcode<'a>(&'a mut Vec<u8>);

impl Transcode<'_> {
    fn json<E: de::Error>(self, value: impl Serialize) -> Result<(), E> {
        serde_json::to_writer(self.0, &value).map_err(E::custom)
    }
}

impl<'de> DeserializeSeed<'de> for Transcode<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Transcode<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.extend_from_slice(b"null");
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.json(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.json(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.json(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.json(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.json(v)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.push(b'[');
        let mut first = true;
        loop {
            let mark = self.0.len();
            if !first {
                self.0.push(b',');
            }
            if seq.next_element_seed(Transcode(self.0))?.is_none() {
                self.0.truncate(mark);
                break;
            }
            first = false;
        }
        self.0.push(b']');
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.push(b'{');
        let mut first = true;
        loop {
            let mark = self.0.len();
            if !first {
                self.0.push(b',');
            }
            if map.next_key_seed(Transcode(self.0))?.is_none() {
                self.0.truncate(mark);
                break;
            }
            self.0.push(b':');
            map.next_value_seed(Transcode(self.0))?;
            first = false;
        }
        self.0.push(b'}');
        Ok(())
    }
}
