//! skillbrain-connectors: the canonical schemas and the connectors that turn sources
//! (files, pushed events, a broker) into validated Arrow batches of those schemas.
//!
//! # Layout
//! - [`schema`]: the nine canonical tables, their columns and idempotency keys.
//! - [`error`]: the crate's error type; every decoding error names file, line and column.
//! - [`file`]: the file connector: CSV, NDJSON and Parquet in canonical columns.

pub mod error;
pub mod file;
pub mod schema;

pub use error::{Error, Result};
pub use schema::Table;
