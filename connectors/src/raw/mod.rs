//! Raw tables: a grid of text with a header row, whatever its container, read as
//! records that keep their position, so that a column-mapping layer can map the
//! headers a person typed (姓名, 身份证号, 技能等级, …) to canonical columns.
//!
//! Nothing here knows the canonical tables: headers are cleaned and checked (no empty
//! or duplicate names), fields are text exactly as the source holds them.
//!
//! - CSV is UTF-8 (with or without a byte-order mark) or GB18030, of which GBK and
//!   GB2312 are subsets: what Excel in China writes as "CSV". The encoding is detected
//!   from the first megabyte (longer while the file is pure ASCII) unless given, and the
//!   rest is decoded as it streams: the file is never held in memory whole. A byte the
//!   encoding cannot decode, a control character or a byte-order mark past the start
//!   ends the records with an error naming the line. The delimiter (`,`, `;` or tab)
//!   is detected from the header line unless given.
//! - XLSX is one sheet, read whole by calamine; the first non-empty row is the header.
//!
//! In both, a row whose fields are all empty (or white space) is blank: blank rows
//! before the header are passed over, blank rows between records are yielded
//! header-wide with every field empty (so a later layer sees, and can report, the
//! gap), blank rows at the end are dropped. In CSV a line with nothing on it at all is
//! not a row and is skipped wherever it is; line numbers still count it.
//!
//! # Layout
//! - `mod.rs`: [`Encoding`], [`RawFormat`], [`RawOptions`], [`RawRecord`], [`RawTable`],
//!   [`open_raw`], [`read_raw_bytes`].
//! - `detect.rs`: what the first bytes tell: byte-order marks, other containers, the
//!   encoding, the delimiter.
//! - `decode.rs`: a reader that decodes to UTF-8 as it streams and stops at the first
//!   bad byte.
//! - `csv.rs`: CSV rows.
//! - `xlsx.rs`: one sheet of an XLSX workbook, cells rendered as text.
//! - `rows.rs`: what the formats share: header cleaning and checks, blank rows.
//! - `tests.rs`, `tests/`: fixtures built in the tests, and every error a person sees.

mod csv;
mod decode;
mod detect;
mod rows;
mod xlsx;

#[cfg(test)]
mod tests;

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// GB18030; GBK and GB2312 are subsets, so it reads those too.
    #[serde(rename = "gb18030", alias = "gbk", alias = "gb2312", alias = "cp936")]
    Gb18030,
}

impl Encoding {
    /// The encoding's name, as [`FromStr`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Gb18030 => "gb18030",
        }
    }

    fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Gb18030 => encoding_rs::GB18030,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Encoding {
    type Err = Error;

    /// `utf-8` (also `utf8`), `gb18030` (also `gbk`, `gb2312`, `cp936`), any case.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "gb18030" | "gbk" | "gb2312" | "cp936" => Ok(Encoding::Gb18030),
            _ => Err(Error::UnknownEncoding(s.to_string())),
        }
    }
}

/// The container of a raw table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawFormat {
    /// Delimited text with a header row.
    #[serde(alias = "txt", alias = "tsv")]
    Csv,
    /// An Excel 2007+ workbook (also macro-enabled `.xlsm`).
    #[serde(alias = "xlsm")]
    Xlsx,
}

impl RawFormat {
    /// The format named by a path's extension, any case: `.csv`, `.txt`, `.tsv` or
    /// `.xlsx`, `.xlsm`.
    pub fn from_path(path: &Path) -> Result<RawFormat> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let file = path.display().to_string();
        match ext.to_ascii_lowercase().as_str() {
            "xls" => Err(Error::BadFile {
                file,
                reason: "legacy Excel .xls files are not read; save the sheet as .xlsx or CSV"
                    .into(),
            }),
            ext => ext.parse().map_err(|_| Error::BadFile {
                file,
                reason: "cannot tell the format from the extension; use .csv, .txt, .tsv, \
                         .xlsx or .xlsm, or name the format"
                    .into(),
            }),
        }
    }

    /// The format's name, as [`FromStr`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            RawFormat::Csv => "csv",
            RawFormat::Xlsx => "xlsx",
        }
    }
}

impl fmt::Display for RawFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RawFormat {
    type Err = Error;

    /// `csv` (also `txt`, `tsv`) or `xlsx` (also `xlsm`), any case.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" | "txt" | "tsv" => Ok(RawFormat::Csv),
            "xlsx" | "xlsm" => Ok(RawFormat::Xlsx),
            _ => Err(Error::UnknownRawFormat(s.to_string())),
        }
    }
}

/// How a raw table is read; the default detects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOptions {
    /// CSV: the text encoding; `None` detects it.
    pub encoding: Option<Encoding>,
    /// XLSX: the sheet's name; `None` reads the first visible worksheet.
    pub sheet: Option<String>,
    /// CSV: the delimiter byte; `None` detects `,`, `;` or tab from the header line.
    pub delimiter: Option<u8>,
}

/// One row of a raw table, with where it is in its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// CSV: the 1-based physical line where the record starts; XLSX: the 1-based row
    /// number in the sheet.
    pub line: u64,
    /// The fields, as many as there are headers, as text exactly as the source has them.
    pub fields: Vec<String>,
}

impl RawRecord {
    /// Whether every field is empty or white space.
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }
}

/// The records of a raw table, read lazily; the first `Err` ends the iteration.
pub type RawRecords = Box<dyn Iterator<Item = Result<RawRecord>> + Send>;

/// A raw table: its headers, read when it is opened, and its records, read as the
/// table is iterated.
pub struct RawTable {
    /// The source's name, as errors give it.
    pub source: String,
    /// The container it was read from.
    pub format: RawFormat,
    /// CSV: the encoding given or detected; XLSX: `None`.
    pub encoding: Option<Encoding>,
    /// CSV: the delimiter given or detected; XLSX: `None`.
    pub delimiter: Option<u8>,
    /// XLSX: the sheet read; CSV: `None`.
    pub sheet: Option<String>,
    /// The line (CSV) or sheet row (XLSX) of the header.
    pub header_line: u64,
    /// The header names: trimmed of white space (full-width too) and byte-order marks,
    /// none empty, no two alike.
    pub headers: Vec<String>,
    records: RawRecords,
}

impl RawTable {
    /// The records, for a caller that wants them apart from the headers.
    pub fn into_records(self) -> RawRecords {
        self.records
    }
}

impl Iterator for RawTable {
    type Item = Result<RawRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        self.records.next()
    }
}

impl fmt::Debug for RawTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawTable")
            .field("source", &self.source)
            .field("format", &self.format)
            .field("encoding", &self.encoding)
            .field("delimiter", &self.delimiter.map(char::from))
            .field("sheet", &self.sheet)
            .field("header_line", &self.header_line)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// Opens a raw table from a file. The format comes from the extension unless given.
/// The header is read and checked now, the records as the table is iterated. Errors
/// name the file as `path` is written.
pub fn open_raw(path: &Path, format: Option<RawFormat>, opts: &RawOptions) -> Result<RawTable> {
    let format = match format {
        Some(format) => format,
        None => RawFormat::from_path(path)?,
    };
    let name = path.display().to_string();
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io_error)?;
    match format {
        RawFormat::Csv => {
            let (head, eof) = detect::read_head(&mut file).map_err(io_error)?;
            csv::open(name, head, eof, file, opts)
        }
        RawFormat::Xlsx => xlsx::open(name, BufReader::new(file), opts),
    }
}

/// Reads a raw table held in memory (an HTTP body, say); `source` names it in errors.
pub fn read_raw_bytes(
    source: &str,
    bytes: Vec<u8>,
    format: RawFormat,
    opts: &RawOptions,
) -> Result<RawTable> {
    let name = source.to_string();
    match format {
        RawFormat::Csv => csv::open(name, bytes, true, io::empty(), opts),
        RawFormat::Xlsx => xlsx::open(name, io::Cursor::new(bytes), opts),
    }
}
