//! A table's writer task: it takes the first waiting request, gathers more for up to
//! the group-commit window or until the row limit, lands the group in one commit and
//! answers every request of it.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use skillbrain_connectors::Table;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout_at};

use crate::lake::{AppendOutcome, Lake};

/// What a request is answered: its own counts and the commit's version, or why the
/// commit failed (for the log; the client sees a generic error).
pub(super) type Reply = std::result::Result<AppendOutcome, String>;

/// One pushed body's validated rows, waiting for a commit.
pub(super) struct Request {
    /// Rows in `batches`.
    pub(super) rows: usize,
    /// The rows, in body order.
    pub(super) batches: Vec<RecordBatch>,
    /// Where the answer goes.
    pub(super) reply: oneshot::Sender<Reply>,
}

/// The writer of one table.
pub(super) struct Writer {
    pub(super) table: Table,
    pub(super) lake: Arc<Lake>,
    /// How long a group gathers after its first request.
    pub(super) window: Duration,
    /// A group stops gathering at this many rows.
    pub(super) max_rows: usize,
}

impl Writer {
    /// Commits group after group until every sender is gone and the queue is empty.
    pub(super) async fn run(self, mut queue: mpsc::Receiver<Request>) {
        let mut next = None;
        loop {
            let first = match next.take() {
                Some(first) => first,
                None => match queue.recv().await {
                    Some(first) => first,
                    None => break,
                },
            };
            let group = self.gather(first, &mut queue, &mut next).await;
            self.commit(group).await;
        }
        tracing::debug!(table = self.table.name(), "ingest writer stopped");
    }

    /// The group that `first` opens: requests arriving within the window, while the
    /// group stays within `max_rows`. A request that would overflow it is left in
    /// `next`, to open the following group.
    async fn gather(
        &self,
        first: Request,
        queue: &mut mpsc::Receiver<Request>,
        next: &mut Option<Request>,
    ) -> Vec<Request> {
        let deadline = Instant::now() + self.window;
        let mut rows = first.rows;
        let mut group = vec![first];
        while rows < self.max_rows {
            match timeout_at(deadline, queue.recv()).await {
                Ok(Some(request)) if rows + request.rows > self.max_rows => {
                    *next = Some(request);
                    break;
                }
                Ok(Some(request)) => {
                    rows += request.rows;
                    group.push(request);
                }
                // The window closed, or every sender is gone.
                Ok(None) | Err(_) => break,
            }
        }
        group
    }

    /// Lands `group` in one commit and answers each request; on failure, answers each
    /// with the error and acknowledges nothing.
    async fn commit(&self, group: Vec<Request>) {
        let (requests, rows) = (group.len(), group.iter().map(|r| r.rows).sum::<usize>());
        let (groups, replies): (Vec<_>, Vec<_>) =
            group.into_iter().map(|r| (r.batches, r.reply)).unzip();
        let (table, lake) = (self.table, self.lake.clone());
        let started = std::time::Instant::now();
        // On a task of its own, so that a panic fails this group, not the writer.
        let committed = tokio::spawn(async move { lake.append_groups(table, groups, None).await })
            .await
            .map_err(|e| format!("the commit task failed: {e}"))
            .and_then(|r| r.map_err(|e| e.to_string()));
        match committed {
            Ok((outcomes, version)) => {
                tracing::debug!(
                    table = table.name(),
                    requests,
                    rows,
                    version,
                    seconds = started.elapsed().as_secs_f64(),
                    "group commit"
                );
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    // A client that went away is not answered; its rows are stored.
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(reason) => {
                tracing::error!(
                    table = table.name(),
                    requests,
                    rows,
                    error = %reason,
                    "group commit failed; nothing of the group is stored"
                );
                for reply in replies {
                    let _ = reply.send(Err(reason.clone()));
                }
            }
        }
    }
}
