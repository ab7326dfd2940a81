//! The engine's error type.

use std::path::PathBuf;

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in the lake, the pipelines or the configuration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Decoding or validating a source failed (names file, line and column).
    #[error(transparent)]
    Connector(#[from] skillbrain_connectors::Error),
    /// The synthetic city generator or the reference data failed.
    #[error(transparent)]
    Datasets(#[from] skillbrain_datasets::Error),
    /// A Delta Lake operation failed.
    #[error("lake: {0}")]
    Delta(#[from] deltalake::DeltaTableError),
    /// A DataFusion planning or execution error.
    #[error("sql: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// An Arrow error.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    /// A model file is malformed or the model graph is wrong; names the file and line.
    #[error("{file}:{line}: {reason}")]
    Model {
        /// The `.sql` file.
        file: PathBuf,
        /// 1-based line (0 when the whole file is concerned).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A model's declared test failed on the current data.
    #[error("model {model}: test `{test}` failed: {detail}")]
    ModelTest {
        /// The model name.
        model: String,
        /// The test as declared in the header.
        test: String,
        /// The offending rows, rendered.
        detail: String,
    },
    /// The configuration is invalid.
    #[error("config: {0}")]
    Config(String),
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The message broker (NATS JetStream) could not be reached or refused a request.
    #[error("broker: {0}")]
    Broker(String),
    /// A failure inside the engine that no input explains (a task that died).
    #[error("internal: {0}")]
    Internal(String),
    /// A name that is neither a canonical table nor a model.
    #[error("not found: {0}")]
    NotFound(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
