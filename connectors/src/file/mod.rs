//! The file connector: reads a file whose columns already carry the canonical names
//! of a table and yields validated Arrow batches with exactly that table's schema.
//!
//! Reading is lazy: [`read_file`] and [`read_bytes`] check the structure up front (the
//! CSV header, the Parquet footer and column types) and return an iterator of batches;
//! the first bad row ends it with an error naming the file, line and column.
//! [`read_bytes_collecting`] reads a whole body instead, leaving out each bad row and
//! reporting it as a [`RowReject`] (for pushed events, where the good rows land).
//!
//! # Layout
//! - `mod.rs`: [`FileFormat`], [`FileReadOptions`], [`read_file`], [`read_file_collecting`]
//!   and its [`Rejects`], [`read_bytes`].
//! - `collect.rs`: [`read_bytes_collecting`], [`read_json_array_collecting`], [`RowReject`].
//! - `csv.rs`: CSV with a header row (UTF-8, an optional BOM).
//! - `ndjson.rs`: one JSON object per line.
//! - `parquet.rs`: Parquet, columns matched by name and cast where lossless.
//! - `value.rs`: typed values, and parsing text into them.
//! - `rules.rs`: the rules every row obeys: required values, domains, cross-column.
//! - `builder.rs`: row-at-a-time construction of batches for the text formats.
//! - `connector.rs`: [`FileConnector`] and its [`FileConfig`]: a file as a
//!   [`Connector`](crate::connector::Connector), its bad rows quarantined as it streams.
//! - `tests.rs`: round trips of every table in every format, the errors, collecting
//!   reads, and the connector.

pub(crate) mod builder;
mod collect;
mod connector;
pub(crate) mod csv;
mod ndjson;
mod parquet;
pub(crate) mod rules;
pub(crate) mod value;

#[cfg(test)]
mod tests;

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::str::FromStr;

use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::connector::SharedRows;
use crate::error::{Error, Result};
use crate::schema::Table;

pub use collect::{RowReject, raw_excerpt, read_bytes_collecting, read_json_array_collecting};
pub use connector::{FileConfig, FileConnector};

/// The batches of one file, read lazily; the first `Err` ends the iteration.
pub type Batches = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// A file format the connector reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// Comma-separated values with a header row of canonical column names.
    Csv,
    /// Newline-delimited JSON: one object per line, keys are canonical column names.
    #[serde(alias = "jsonl", alias = "json")]
    Ndjson,
    /// Apache Parquet.
    Parquet,
}

impl FileFormat {
    /// The format named by a path's extension: `.csv`, `.ndjson`, `.jsonl`, `.json` or
    /// `.parquet` (any case).
    pub fn from_path(path: &Path) -> Result<FileFormat> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        ext.parse().map_err(|_| Error::BadFile {
            file: path.display().to_string(),
            reason: "cannot tell the format from the extension; use .csv, .ndjson, .jsonl, \
                     .json or .parquet, or name the format"
                .into(),
        })
    }

    /// The format's name, as [`FromStr`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Ndjson => "ndjson",
            FileFormat::Parquet => "parquet",
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FileFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(FileFormat::Csv),
            "ndjson" | "jsonl" | "json" => Ok(FileFormat::Ndjson),
            "parquet" => Ok(FileFormat::Parquet),
            _ => Err(Error::UnknownFormat(s.to_string())),
        }
    }
}

/// How files are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReadOptions {
    /// The most rows in one batch (default 65 536; 0 counts as 1).
    pub batch_rows: usize,
}

impl Default for FileReadOptions {
    fn default() -> Self {
        FileReadOptions { batch_rows: 65_536 }
    }
}

/// Reads a file of `table` in canonical columns. The format comes from the extension
/// unless given. Errors name the file as `path` is written.
pub fn read_file(
    table: Table,
    path: &Path,
    format: Option<FileFormat>,
    opts: &FileReadOptions,
) -> Result<Batches> {
    let (format, name, file) = open_file(path, format)?;
    match format {
        FileFormat::Csv => csv::batches(table, name, text_input(path, file)?, opts),
        FileFormat::Ndjson => ndjson::batches(table, name, text_input(path, file)?, opts),
        FileFormat::Parquet => parquet::batches(table, name, file, opts),
    }
}

/// The format (given, or from the extension), the name errors give and the opened file.
fn open_file(path: &Path, format: Option<FileFormat>) -> Result<(FileFormat, String, File)> {
    let format = match format {
        Some(format) => format,
        None => FileFormat::from_path(path)?,
    };
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((format, path.display().to_string(), file))
}

/// A text file without its byte-order mark.
fn text_input(path: &Path, file: File) -> Result<io::Chain<io::Cursor<Vec<u8>>, File>> {
    without_bom(file).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a file of `table` like [`read_file`], but a bad row of a CSV or NDJSON file is
/// left out and listed in the [`Rejects`] instead of ending the batches; an error of the
/// whole file (a bad header, an unreadable file, and any bad row of a Parquet file,
/// whose rows are not read one by one) still ends them.
pub fn read_file_collecting(
    table: Table,
    path: &Path,
    format: Option<FileFormat>,
    opts: &FileReadOptions,
) -> Result<(Batches, Rejects)> {
    let (format, name, file) = open_file(path, format)?;
    match format {
        FileFormat::Csv => csv::batches_collecting(table, name, text_input(path, file)?, opts),
        FileFormat::Ndjson => Ok(ndjson::batches_collecting(
            table,
            name,
            text_input(path, file)?,
            opts,
        )),
        FileFormat::Parquet => Ok((
            parquet::batches(table, name, file, opts)?,
            Rejects::default(),
        )),
    }
}

/// Reads a file of `table` held in memory (an HTTP body, say); `source` names it in
/// errors.
pub fn read_bytes(
    table: Table,
    source: &str,
    bytes: impl Into<Bytes>,
    format: FileFormat,
    opts: &FileReadOptions,
) -> Result<Batches> {
    let mut bytes: Bytes = bytes.into();
    let name = source.to_string();
    if format != FileFormat::Parquet && bytes.starts_with(BOM) {
        bytes = bytes.slice(BOM.len()..);
    }
    match format {
        FileFormat::Csv => csv::batches(table, name, io::Cursor::new(bytes), opts),
        FileFormat::Ndjson => ndjson::batches(table, name, io::Cursor::new(bytes), opts),
        FileFormat::Parquet => parquet::batches(table, name, bytes, opts),
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The reader without a leading UTF-8 byte order mark.
fn without_bom<R: Read>(mut input: R) -> io::Result<io::Chain<io::Cursor<Vec<u8>>, R>> {
    let mut head = [0u8; 3];
    let mut n = 0;
    while n < head.len() {
        match input.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let keep = if head[..n] == *BOM {
        Vec::new()
    } else {
        head[..n].to_vec()
    };
    Ok(io::Cursor::new(keep).chain(input))
}

/// A source of batches, driven by [`Stream`].
trait BatchSource: Send {
    /// The next batch; `None` at the end.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>>;

    /// The rows left out so far by a collecting read (none for a plain one).
    fn take_rejects(&mut self) -> Vec<RowReject> {
        Vec::new()
    }
}

/// Iterates a [`BatchSource`] and stops (dropping it) at its end or first error; in a
/// collecting read, moves the rows left out into the shared list after each batch.
struct Stream<S> {
    source: Option<S>,
    rejects: Option<Rejects>,
}

impl<S: BatchSource + 'static> Stream<S> {
    fn boxed(source: S) -> Batches {
        Box::new(Stream {
            source: Some(source),
            rejects: None,
        })
    }

    fn collecting(source: S) -> (Batches, Rejects) {
        let rejects = Rejects::default();
        let stream = Stream {
            source: Some(source),
            rejects: Some(rejects.clone()),
        };
        (Box::new(stream), rejects)
    }
}

impl<S: BatchSource> Iterator for Stream<S> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let source = self.source.as_mut()?;
        let result = source.next_batch();
        if let Some(rejects) = &self.rejects {
            rejects.extend(source.take_rejects());
        }
        match result {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => {
                self.source = None;
                None
            }
            Err(e) => {
                self.source = None;
                Some(Err(e))
            }
        }
    }
}

/// The rows a collecting read of a file left out, shared with its batches: filled as
/// the batches are read, complete once they end.
pub type Rejects = SharedRows<RowReject>;
