//! skillbrain-connectors: the canonical schemas and the connectors that turn sources
//! (files, pushed events, a broker) into validated Arrow batches of those schemas.
//!
//! # Layout
//! - [`schema`]: the nine canonical tables, their columns and idempotency keys.
//! - [`error`]: the crate's error type; every decoding error names file, line and column.
//! - [`file`]: the file connector: CSV, NDJSON and Parquet in canonical columns.
//! - [`normalize`]: region, occupation and skill-level codes and dates, normalised or
//!   rejected with a reason.
//! - [`identity`]: national ID validation, pseudonymous worker IDs and masked names.
//! - [`raw`]: raw tables: CSV (UTF-8 or GBK) and XLSX sheets as text records with their
//!   line, for mapping a person's headers to canonical columns.
//! - [`mapping`]: column mappings (TOML) from a raw table's headers to canonical columns:
//!   an assessment export becomes `workers`, `assessment_results` and
//!   `assessment_dimension_scores` rows, every rejected row reported.
//! - [`quarantine`]: the rows every connector rejects, as the quarantine tables keep them.

pub mod error;
pub mod file;
pub mod identity;
pub mod mapping;
pub mod normalize;
pub mod quarantine;
pub mod raw;
pub mod schema;

pub use error::{Error, Result};
pub use schema::Table;
