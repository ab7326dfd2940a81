//! Pushed ingest with group commit: [`IngestService`] lands the validated rows of many
//! concurrent requests. One writer task per table takes the first waiting request,
//! gathers the requests that arrive within a short window (or until a row limit), lands
//! them all in one Delta commit with [`Lake::append_groups`], and answers each request
//! with its own counts once the commit is durable. Throughput therefore does not fall to
//! one commit per request, and nothing is acknowledged before it is stored.
//!
//! Decoding a source (files, exports, pushed bodies, messages) into canonical batches
//! and quarantine rows is the connectors' (`skillbrain_connectors::connector`); what
//! stays here is transport and commits.
//!
//! # Layout
//! - `mod.rs`: [`IngestService`] (one channel per table, started on first use) and
//!   [`IngestOptions`].
//! - [`files`]: the [`Lander`](files::Lander): landing what the `file` and `export`
//!   connectors decode (canonical files, or exports through a column mapping) with
//!   their rejected rows quarantined, for `skillbrain ingest` and the drop folder.
//! - [`inbox`]: the drop folder `serve` watches.
//! - `group.rs`: the writer task: gathering a group, committing it, answering.
//! - [`nats`]: NATS JetStream ingestion, a durable consumer per table, landing each
//!   batch of messages the `nats` connector decodes with its last stream sequence in one
//!   commit (beside the pushes: the lake serialises the appends to a table).
//! - `tests.rs`: group commit on a real lake.

pub mod files;
mod group;
pub mod inbox;
pub mod nats;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::array::RecordBatch;
use skillbrain_connectors::Table;
use skillbrain_connectors::file::FileReadOptions;
use skillbrain_connectors::quarantine::Quarantined;
use tokio::sync::{mpsc, oneshot};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::lake::{AppendOutcome, Lake};

/// Requests that may wait for a table's writer before a push waits to be queued.
const QUEUE: usize = 1024;

/// How pushed bodies are read and grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestOptions {
    /// The largest body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a writer gathers requests after the first of a group.
    pub group_commit: Duration,
    /// A group stops gathering at this many rows.
    pub max_batch_rows: usize,
    /// Rows per batch when a body is read.
    pub batch_rows: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_body_bytes: 64 << 20,
            group_commit: Duration::from_millis(20),
            max_batch_rows: 200_000,
            batch_rows: FileReadOptions::default().batch_rows,
        }
    }
}

impl IngestOptions {
    /// The options `[ingest]` and `[engine] batch_rows` configure.
    pub fn from_config(config: &Config) -> Self {
        IngestOptions {
            max_body_bytes: config.ingest.max_body_bytes,
            group_commit: Duration::from_millis(config.ingest.group_commit_ms),
            max_batch_rows: config.ingest.max_batch_rows.max(1),
            batch_rows: config.engine.batch_rows,
        }
    }

    /// How a body is read.
    pub fn read_options(&self) -> FileReadOptions {
        FileReadOptions {
            batch_rows: self.batch_rows,
        }
    }
}

/// Lands pushed rows in the lake, sharing commits between concurrent requests.
pub struct IngestService {
    lake: Arc<Lake>,
    options: IngestOptions,
    writers: Mutex<HashMap<Table, mpsc::Sender<group::Request>>>,
}

impl std::fmt::Debug for IngestService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestService")
            .field("lake", &self.lake)
            .field("options", &self.options)
            .finish()
    }
}

impl IngestService {
    /// A service over `lake`; each table's writer task starts on its first push (inside
    /// the calling Tokio runtime) and stops when the service is dropped, after answering
    /// what was queued.
    pub fn new(lake: Arc<Lake>, options: IngestOptions) -> Self {
        IngestService {
            lake,
            options,
            writers: Mutex::new(HashMap::new()),
        }
    }

    /// The options the service was built with.
    pub fn options(&self) -> &IngestOptions {
        &self.options
    }

    /// Lands `batches` (validated rows of `table`) exactly once per key, in a commit
    /// shared with the requests pushed about the same time. Answers once that commit is
    /// durable: this request's own accepted and duplicate rows and the commit's version
    /// (the table's current version when no row of the group was new). If the commit
    /// fails, nothing of the group is stored and every request of it gets the error.
    pub async fn push(&self, table: Table, batches: Vec<RecordBatch>) -> Result<AppendOutcome> {
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        let (reply, answer) = oneshot::channel();
        let request = group::Request {
            rows,
            batches,
            reply,
        };
        let request = match self.writer(table, false)?.send(request).await {
            Ok(()) => None,
            // The writer task is gone (it panicked): start another and queue there.
            Err(mpsc::error::SendError(request)) => Some(request),
        };
        if let Some(request) = request {
            self.writer(table, true)?
                .send(request)
                .await
                .map_err(|_| Error::Internal(format!("the {table} ingest writer stopped")))?;
        }
        match answer.await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(reason)) => Err(Error::Internal(format!(
                "the commit of pushed {table} rows failed: {reason}"
            ))),
            Err(_) => Err(Error::Internal(format!(
                "the {table} ingest writer stopped before answering"
            ))),
        }
    }

    /// Keeps rejected rows of `table` in its quarantine (each rejection once); returns
    /// how many were newly stored.
    pub async fn quarantine(&self, table: Table, rows: &[Quarantined]) -> Result<u64> {
        self.lake.quarantine(table, rows).await
    }

    /// The channel of `table`'s writer task, started if there is none (or, with
    /// `restart`, if the one there has stopped).
    fn writer(&self, table: Table, restart: bool) -> Result<mpsc::Sender<group::Request>> {
        let mut writers = self
            .writers
            .lock()
            .map_err(|_| Error::Internal("ingest writer map poisoned".into()))?;
        if let Some(tx) = writers.get(&table)
            && !(restart && tx.is_closed())
        {
            return Ok(tx.clone());
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let writer = group::Writer {
            table,
            lake: self.lake.clone(),
            window: self.options.group_commit,
            max_rows: self.options.max_batch_rows,
        };
        tokio::spawn(writer.run(rx));
        writers.insert(table, tx.clone());
        Ok(tx)
    }
}
