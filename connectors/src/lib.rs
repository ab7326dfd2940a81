//! skillbrain-connectors: the canonical schemas and the connectors that turn sources
//! (files, exports, pushed events, a broker) into validated Arrow batches of those
//! schemas and quarantine rows. Transport and commits (the HTTP server, the NATS client,
//! the drop folder, the lake) are the engine's.
//!
//! # Layout
//! - [`connector`]: the [`Connector`] trait, [`DecodeContext`], [`Decoded`], the
//!   type-erased [`ErasedConnector`] and the [`registry`] of connectors by name.
//! - [`file`](mod@file): the `file` connector: CSV, NDJSON and Parquet in canonical
//!   columns (and the readers every canonical source shares).
//! - [`export`]: the `export` connector: CSV (UTF-8, GBK) and XLSX exports through a
//!   column mapping.
//! - [`http`]: the `http` connector: a pushed body (NDJSON, JSON array, CSV) as its
//!   Content-Type says.
//! - [`nats`]: the `nats` connector: a batch of JetStream messages as one NDJSON body,
//!   each bad row located by stream sequence and line; subject naming.
//! - [`schema`]: the nine canonical tables, their columns and idempotency keys.
//! - [`error`]: the crate's error type; every decoding error names file, line and column.
//! - [`normalize`]: region, occupation and skill-level codes and dates, normalised or
//!   rejected with a reason.
//! - [`identity`]: national ID validation, pseudonymous worker IDs and masked names.
//! - [`raw`]: raw tables: CSV (UTF-8 or GBK) and XLSX sheets as text records with their
//!   line, for mapping a person's headers to canonical columns.
//! - [`mapping`]: column mappings (TOML) from a raw table's headers to canonical columns:
//!   an assessment export becomes `workers`, `assessment_results` and
//!   `assessment_dimension_scores` rows, every rejected row reported.
//! - [`quarantine`]: the rows every connector rejects, as the quarantine tables keep them.

pub mod connector;
pub mod error;
pub mod export;
pub mod file;
pub mod http;
pub mod identity;
pub mod mapping;
pub mod nats;
pub mod normalize;
pub mod quarantine;
pub mod raw;
pub mod schema;

#[cfg(test)]
mod bad_corpus;

pub use connector::{Connector, DecodeContext, Decoded, ErasedConnector, registry};
pub use error::{Error, Result};
pub use schema::Table;
