//! The crate's error type.

use std::path::PathBuf;

/// Result with the datasets' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while loading reference data or generating a city.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder that cannot be opened, read, created or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A reference CSV that cannot be parsed (bad header, bad number, wrong column count).
    #[error("{file}: {source}")]
    Csv {
        /// The reference file name.
        file: String,
        /// The underlying CSV error, which names the line.
        source: csv::Error,
    },
    /// Reference data that parses but does not hang together (an unknown code, weights
    /// that do not sum to 1, a duplicate key).
    #[error("{file}: {reason}")]
    Reference {
        /// The reference file name.
        file: String,
        /// What is wrong, in words a person can act on.
        reason: String,
    },
    /// An output format name other than `parquet`, `csv` or `ndjson`.
    #[error("unknown format '{0}'; expected parquet, csv or ndjson")]
    UnknownFormat(String),
    /// Generator options that cannot produce a city (for example zero workers).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A row that does not fit the table's canonical schema (a bug in the generator).
    #[error("{table}.{column}: {reason}")]
    Schema {
        /// The canonical table.
        table: String,
        /// The column.
        column: String,
        /// What does not fit.
        reason: String,
    },
    /// An Arrow error while building batches.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    /// A Parquet error while writing.
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A CSV error while writing an output file.
    #[error("writing {path}: {source}")]
    CsvWrite {
        /// The output file.
        path: PathBuf,
        /// The underlying error.
        source: csv::Error,
    },
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A reference-data consistency error.
    pub(crate) fn reference(file: &str, reason: impl Into<String>) -> Self {
        Error::Reference {
            file: file.to_string(),
            reason: reason.into(),
        }
    }
}
