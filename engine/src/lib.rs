//! skillbrain-engine: the lake, the SQL pipelines, the HTTP API and the CLI of skillbrain.
//!
//! # Layout
//! - [`config`]: layered configuration (embedded defaults, a file, `SKILLBRAIN_` variables).
//! - [`lake`]: canonical tables as Delta tables on an object store; atomic, exactly-once appends.
//! - [`pipeline`]: SQL models in `queries/`: headers, the DAG, checks and materialisation.
//! - [`store`]: the in-memory snapshot of every materialised model that the API serves.
//! - [`ingest`]: pushed rows landed with group commit (what `POST /v1/ingest/{table}` uses),
//!   and NATS JetStream ingestion.
//! - [`http`]: the axum API (`/healthz`, `/readyz`, `/metrics`, `/v1/models…`, `/v1/ingest/…`,
//!   `/v1/workers/{id}/profile`).
//! - [`live`]: the live competition leaderboard: standings in memory, updated per commit,
//!   and the feed of their changes.
//! - [`stream`]: while serving, the models downstream of each commit refreshed (incrementally
//!   where the plan allows), the live boards fed, the tables compacted and vacuumed.
//! - [`cli`]: the `skillbrain` command line (`demo`, `generate`, `ingest`, `run`, `replay`,
//!   `check`, `serve`).
//! - [`error`]: the crate's error type.

pub mod cli;
pub mod config;
pub mod error;
pub mod http;
pub mod ingest;
pub mod lake;
pub mod live;
pub mod pipeline;
pub mod store;
pub mod stream;

pub use error::{Error, Result};
