//! Streaming an append into one Delta commit: batches are deduplicated on a blocking
//! thread as they are read and flow to the Delta writer through a bounded channel, so
//! a large file is never held in memory whole.

use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::datasource::provider_as_source;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use skillbrain_connectors::Table;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::lake::{KeySet, Keys};

/// Batches from a source; the first `Err` ends it.
pub type Source = Box<dyn Iterator<Item = skillbrain_connectors::Result<RecordBatch>> + Send>;

type Message = std::result::Result<RecordBatch, DataFusionError>;

/// What the deduplicating reader did, handed back when it ends.
pub struct ReadOutcome {
    /// The table's key set, as it was before the append.
    pub keys: KeySet,
    /// Keys of the rows sent on, to add once they are committed.
    pub pending: Keys,
    /// Rows sent on.
    pub accepted: u64,
    /// Rows skipped as duplicates.
    pub duplicates: u64,
    /// `(accepted, duplicates)` of each batch read, in order.
    pub per_batch: Vec<(u64, u64)>,
    /// The source's error, if it failed.
    pub error: Option<skillbrain_connectors::Error>,
    /// The rows sent on, when the caller asked for them and they stayed within its
    /// limit (`None` otherwise).
    pub kept: Option<Vec<RecordBatch>>,
}

/// Starts reading `source` on a blocking thread: new rows go to the returned receiver,
/// duplicates are counted and dropped. With `keep` set to a row limit, the new rows are
/// also kept for the caller (see [`ReadOutcome::kept`]) as long as there are no more
/// than that many.
pub fn spawn_reader(
    table: Table,
    source: Source,
    keys: KeySet,
    keep: Option<usize>,
) -> (
    mpsc::Receiver<Message>,
    tokio::task::JoinHandle<Result<ReadOutcome>>,
) {
    let (tx, rx) = mpsc::channel::<Message>(4);
    let handle = tokio::task::spawn_blocking(move || {
        let mut out = ReadOutcome {
            keys,
            pending: Keys::default(),
            accepted: 0,
            duplicates: 0,
            per_batch: Vec::new(),
            error: None,
            kept: keep.map(|_| Vec::new()),
        };
        let limit = keep.unwrap_or(0);
        for item in source {
            let batch = match item {
                Ok(b) => b,
                Err(e) => {
                    let _ = tx.blocking_send(Err(DataFusionError::Execution(
                        "the source failed; nothing is committed".into(),
                    )));
                    out.error = Some(e);
                    break;
                }
            };
            let kept = out
                .keys
                .classify(&batch, table.key_columns(), &mut out.pending)
                .and_then(|mask| Ok(filter_record_batch(&batch, &mask)?));
            let kept = match kept {
                Ok(kept) => kept,
                Err(e) => {
                    // Fail the writer too, so that the rows sent before are not committed.
                    let _ = tx.blocking_send(Err(DataFusionError::Execution(
                        "deduplication failed; nothing is committed".into(),
                    )));
                    return Err(e);
                }
            };
            let (accepted, duplicates) = (
                kept.num_rows() as u64,
                (batch.num_rows() - kept.num_rows()) as u64,
            );
            out.accepted += accepted;
            out.duplicates += duplicates;
            out.per_batch.push((accepted, duplicates));
            if out.accepted > limit as u64 {
                out.kept = None;
            }
            if let Some(rows) = out.kept.as_mut()
                && kept.num_rows() > 0
            {
                rows.push(kept.clone());
            }
            if kept.num_rows() > 0 && tx.blocking_send(Ok(kept)).is_err() {
                // The writer stopped (it failed); its error is reported by the caller.
                break;
            }
        }
        Ok(out)
    });
    (rx, handle)
}

/// A one-shot partition: the first batch already received, then the rest of the channel.
struct ChannelPartition {
    schema: SchemaRef,
    parts: Mutex<Option<(RecordBatch, mpsc::Receiver<Message>)>>,
}

impl std::fmt::Debug for ChannelPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChannelPartition")
    }
}

impl PartitionStream for ChannelPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = self.schema.clone();
        let Some((first, rx)) = self.parts.lock().ok().and_then(|mut p| p.take()) else {
            return Box::pin(RecordBatchStreamAdapter::new(
                schema,
                futures::stream::empty(),
            ));
        };
        let stream = futures::stream::unfold((Some(first), rx), |(first, mut rx)| async move {
            if let Some(batch) = first {
                return Some((Ok(batch), (None, rx)));
            }
            let next = rx.recv().await?;
            Some((next, (None, rx)))
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, stream))
    }
}

/// A logical plan scanning `first` and then everything `rx` delivers, once.
pub fn channel_plan(
    schema: SchemaRef,
    first: RecordBatch,
    rx: mpsc::Receiver<Message>,
) -> Result<LogicalPlan> {
    let partition = ChannelPartition {
        schema: schema.clone(),
        parts: Mutex::new(Some((first, rx))),
    };
    let table = StreamingTable::try_new(schema, vec![Arc::new(partition)])?;
    let plan =
        LogicalPlanBuilder::scan("incoming", provider_as_source(Arc::new(table)), None)?.build()?;
    Ok(plan)
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Internal(format!("the reader thread failed: {e}"))
    }
}
