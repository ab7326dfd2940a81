//! The connectors' error type.

use std::path::PathBuf;

/// Result with the connectors' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while decoding and validating a source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A table name that is not one of the canonical tables.
    #[error(
        "unknown table '{0}'; the canonical tables are workers, enterprises, certifications, assessment_results, assessment_dimension_scores, competition_scores, training_records, mentorships, talent_demand"
    )]
    UnknownTable(String),
    /// A value in a source that cannot be landed; names where and why.
    #[error("{file}: line {line}, column '{column}': {reason}")]
    BadValue {
        /// The source file (or stream) name.
        file: String,
        /// 1-based line (for CSV: the physical line of the record; for Parquet: the row number).
        line: u64,
        /// The canonical column.
        column: String,
        /// What is wrong, in words a person can act on.
        reason: String,
    },
    /// A record that cannot be decoded at all (not UTF-8, not JSON, wrong number of
    /// fields), so no single column is to blame; names the line.
    #[error("{file}: line {line}: {reason}")]
    BadRecord {
        /// The source file (or stream) name.
        file: String,
        /// 1-based physical line of the record.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A file format name that is not one of the supported formats.
    #[error(
        "unknown file format '{0}'; the formats are csv, ndjson (also jsonl, json) and parquet"
    )]
    UnknownFormat(String),
    /// A source whose structure is wrong (missing header column, unreadable format).
    #[error("{file}: {reason}")]
    BadFile {
        /// The source file name.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A text encoding name that is not one of the supported encodings.
    #[error(
        "unknown encoding '{0}'; the encodings are utf-8 (also utf8) and gb18030 (also gbk, gb2312, cp936)"
    )]
    UnknownEncoding(String),
    /// A raw-table format name that is not one of the supported formats.
    #[error("unknown table format '{0}'; the formats are csv (also txt, tsv) and xlsx (also xlsm)")]
    UnknownRawFormat(String),
    /// A spreadsheet cell that cannot be read as text (an error value such as
    /// `#DIV/0!`, a value in a column without a header); names sheet, row and column.
    #[error("{file}: sheet '{sheet}', row {row}, column {column}: {reason}")]
    BadCell {
        /// The source file name.
        file: String,
        /// The sheet's name.
        sheet: String,
        /// 1-based row number in the sheet.
        row: u64,
        /// The column letter (`A`, `B`, …, `AA`, …).
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// A column mapping that cannot be used: not valid TOML, an unknown target, a
    /// required value without a source, or a default that is not a valid value.
    #[error("{}{reason}", mapping_prefix(.mapping))]
    BadMapping {
        /// The mapping's name; empty when the file is not readable far enough to tell.
        mapping: String,
        /// Every problem found, separated by `; `.
        reason: String,
    },
    /// A raw table whose headers do not fit a column mapping: a mapped column is
    /// missing, or a header is neither mapped nor ignored.
    #[error(
        "{}the headers do not fit mapping '{mapping}': {}",
        file_prefix(.file),
        header_problems(.missing, .unmapped)
    )]
    HeaderMismatch {
        /// The source file, when known.
        file: Option<String>,
        /// The mapping's name.
        mapping: String,
        /// Source columns the mapping requires that the file lacks.
        missing: Vec<String>,
        /// Headers of the file that the mapping neither maps nor ignores.
        unmapped: Vec<String>,
    },
    /// A connector's config that does not fit its type, or lacks a value decoding needs.
    #[error("connector '{connector}': {reason}")]
    BadConfig {
        /// The connector's name.
        connector: String,
        /// What is wrong, naming the key.
        reason: String,
    },
    /// A pushed body whose Content-Type is not one of the body formats, or whose charset
    /// is not UTF-8; says what was wrong (HTTP answers it with 415).
    #[error("{0}")]
    UnsupportedContentType(String),
    /// A file that cannot be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An Arrow error while building batches.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    /// A Parquet error while writing or reading.
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
}

fn mapping_prefix(mapping: &str) -> String {
    if mapping.is_empty() {
        "column mapping: ".to_owned()
    } else {
        format!("column mapping '{mapping}': ")
    }
}

fn file_prefix(file: &Option<String>) -> String {
    file.as_ref().map(|f| format!("{f}: ")).unwrap_or_default()
}

fn header_problems(missing: &[String], unmapped: &[String]) -> String {
    let quoted = |names: &[String]| {
        let names: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        names.join(", ")
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "the file lacks the mapped columns {} (list a column under optional if files may \
             leave it out)",
            quoted(missing)
        ));
    }
    if !unmapped.is_empty() {
        parts.push(format!(
            "the file has columns the mapping does not know: {} (map them, or list them under \
             ignore)",
            quoted(unmapped)
        ));
    }
    parts.join("; ")
}
