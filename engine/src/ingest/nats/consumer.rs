//! One table's loop. A session reads the last stream sequence the lake recorded for the
//! table, creates the durable consumer afresh to deliver from the next one, then fetches
//! a batch, lands it in one commit that records the batch's last sequence, and
//! acknowledges it, over and over. Any failure (the broker, the lake, a delivery that
//! never arrived) ends the session without acknowledging what is not committed; after a
//! pause the next session resumes from the lake, so nothing is lost or landed twice.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::Message;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::stream::{ConsumerErrorKind, Stream};
use futures::StreamExt;
use skillbrain_connectors::Table;
use skillbrain_connectors::connector::{Connector, DecodeContext};
use skillbrain_connectors::nats::{NatsConfig, NatsConnector, NatsMessage};
use tokio::sync::watch;

use super::{NatsOptions, consumer_name, subject};
use crate::error::{Error, Result};
use crate::http::Metrics;
use crate::lake::Lake;

/// How long the server waits for an acknowledgement before delivering a message again:
/// longer than any commit, since the acknowledgements follow the commit.
const ACK_WAIT: Duration = Duration::from_secs(300);

/// The pause after a first failure; it doubles with each failure in a row.
const PAUSE_MIN: Duration = Duration::from_millis(100);

/// The longest pause between failures.
const PAUSE_MAX: Duration = Duration::from_secs(10);

/// The source of rejected rows in the metrics.
const SOURCE: &str = "nats";

/// The consumer of one table.
pub(super) struct TableConsumer {
    pub(super) table: Table,
    pub(super) lake: Arc<Lake>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) stream: Stream,
    /// The application id of this table's commits.
    pub(super) app_id: String,
    pub(super) options: NatsOptions,
}

/// A fetched message not yet in the lake, with its stream sequence.
type Fresh = (u64, Message);

impl TableConsumer {
    /// Runs sessions until `stop` turns true (or its sender is gone), pausing after each
    /// failure.
    pub(super) async fn run(self, mut stop: watch::Receiver<bool>) {
        let table = self.table.name();
        let mut pause = PAUSE_MIN;
        while !*stop.borrow() {
            let failure = match self.session(&mut stop, &mut pause).await {
                Ok(()) => break,
                Err(e) => e,
            };
            tracing::warn!(
                table,
                error = %failure,
                retry_in_ms = pause.as_millis() as u64,
                "NATS ingestion stopped short; it resumes from the lake"
            );
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => break,
            }
            pause = (pause * 2).min(PAUSE_MAX);
        }
        tracing::debug!(table, "NATS consumer stopped");
    }

    /// Resumes from the lake and lands batch after batch until stopped (`Ok`) or a
    /// failure (`Err`). Each commit resets `pause`.
    async fn session(&self, stop: &mut watch::Receiver<bool>, pause: &mut Duration) -> Result<()> {
        let table = self.table.name();
        let recorded = self
            .lake
            .transaction_version(self.table, &self.app_id)
            .await?;
        let mut landed = recorded.map_or(0, |v| u64::try_from(v).unwrap_or(0));
        let consumer = self.recreate_consumer(landed).await?;
        tracing::debug!(table, from_sequence = landed + 1, "NATS consumer resumed");
        // The consumer numbers its deliveries 1, 2, 3, …: a gap is a delivery lost on
        // the way (to a pull request that had already ended), which the server would
        // only send again after ACK_WAIT, behind later messages.
        let mut delivered = 0;
        loop {
            let messages = tokio::select! {
                fetched = self.fetch(&consumer) => fetched?,
                _ = stop.changed() => return Ok(()),
            };
            let (mut fresh, mut old) = (Vec::new(), Vec::new());
            for message in messages {
                let info = message
                    .info()
                    .map_err(|e| broker("a message without JetStream metadata", e))?;
                let (delivery, sequence) = (info.consumer_sequence, info.stream_sequence);
                if delivery != delivered + 1 {
                    return Err(Error::Broker(format!(
                        "delivery {} of consumer {} never arrived (the next was {delivery})",
                        delivered + 1,
                        consumer_name(self.table)
                    )));
                }
                delivered = delivery;
                if sequence <= landed {
                    old.push(message);
                } else {
                    fresh.push((sequence, message));
                }
            }
            // Delivered again after their commit: already in the lake.
            acknowledge(self.table, old).await;
            if fresh.is_empty() {
                continue;
            }
            landed = self.commit(&fresh).await?;
            *pause = PAUSE_MIN;
            acknowledge(self.table, fresh.into_iter().map(|(_, m)| m).collect()).await;
            if *stop.borrow() {
                return Ok(());
            }
        }
    }

    /// Deletes the table's durable consumer if there is one and creates it again to
    /// deliver from stream sequence `landed + 1`: whatever the old one had delivered
    /// and not seen acknowledged is delivered again, in order.
    async fn recreate_consumer(&self, landed: u64) -> Result<PullConsumer> {
        let name = consumer_name(self.table);
        match self.stream.delete_consumer(&name).await {
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ConsumerErrorKind::JetStream(j) if j.code() == 404) => {}
            Err(e) => return Err(broker(&format!("cannot delete consumer {name}"), e)),
        }
        let max_batch = self.options.max_batch_messages;
        let config = pull::Config {
            durable_name: Some(name.clone()),
            description: Some(format!("skillbrain lands {} in its lake", self.table)),
            deliver_policy: DeliverPolicy::ByStartSequence {
                start_sequence: landed + 1,
            },
            ack_policy: AckPolicy::Explicit,
            ack_wait: ACK_WAIT,
            filter_subject: subject(self.table),
            max_ack_pending: i64::try_from(max_batch.saturating_mul(2)).unwrap_or(i64::MAX),
            ..Default::default()
        };
        self.stream
            .create_consumer(config)
            .await
            .map_err(|e| broker(&format!("cannot create consumer {name}"), e))
    }

    /// Up to `max_batch_messages` messages, or those arriving within `commit_interval`.
    async fn fetch(&self, consumer: &PullConsumer) -> Result<Vec<Message>> {
        let mut batch = consumer
            .batch()
            .max_messages(self.options.max_batch_messages)
            .expires(self.options.commit_interval)
            .messages()
            .await
            .map_err(|e| broker("cannot request messages", e))?;
        let mut messages = Vec::new();
        while let Some(message) = batch.next().await {
            messages.push(message.map_err(|e| broker("fetching messages failed", e))?);
        }
        Ok(messages)
    }

    /// Decodes `fresh` with the `nats` connector (one NDJSON body) and lands its good
    /// rows in one commit that records the last stream sequence; returns that sequence.
    /// Rejected rows are quarantined, logged with their message's sequence and counted.
    async fn commit(&self, fresh: &[Fresh]) -> Result<u64> {
        let table = self.table;
        let last = fresh
            .iter()
            .map(|(sequence, _)| *sequence)
            .max()
            .unwrap_or(0);
        let messages: Vec<NatsMessage> = (fresh.iter())
            .map(|(sequence, message)| NatsMessage {
                sequence: *sequence,
                payload: message.payload.clone(),
            })
            .collect();
        let config = NatsConfig {
            table: Some(table),
            stream: self.options.stream.clone(),
        };
        let read = self.options.read.clone();
        let decoded = tokio::task::spawn_blocking(move || {
            NatsConnector.decode(&config, &DecodeContext::canonical(&read), messages)
        })
        .await
        .map_err(|e| Error::Internal(format!("reading NATS messages failed: {e}")))??;
        let quarantined = decoded.quarantined.take();
        for row in &quarantined {
            tracing::warn!(
                table = table.name(),
                stream = self.options.stream,
                sequence = row.offset.unwrap_or(0),
                line = row.line.unwrap_or(0),
                column = row.column.as_deref().unwrap_or(""),
                reason = row.reason,
                "a row of a NATS message was rejected"
            );
        }
        let batches = decoded.into_rows(table)?;
        // Before the commit that records the sequence: a crash in between quarantines
        // the same rows again, which the quarantine stores once.
        self.lake.quarantine(table, &quarantined).await?;
        let txn = Some((self.app_id.clone(), i64::try_from(last).unwrap_or(i64::MAX)));
        let lake = self.lake.clone();
        // On a task of its own, so that a panic fails this commit, not the consumer.
        let outcome = tokio::spawn(async move { lake.append(table, batches, txn).await })
            .await
            .map_err(|e| Error::Internal(format!("the commit task failed: {e}")))??;
        let rejected = quarantined.len() as u64;
        self.metrics
            .record_ingest(table.name(), outcome.accepted, outcome.duplicates);
        self.metrics.record_rejected(table.name(), SOURCE, rejected);
        tracing::debug!(
            table = table.name(),
            messages = fresh.len(),
            sequence = last,
            accepted = outcome.accepted,
            duplicates = outcome.duplicates,
            rejected,
            commit = outcome.version,
            "NATS batch committed"
        );
        Ok(last)
    }
}

/// Acknowledges `messages` in order. The last acknowledgement waits for the server's
/// answer, which it sends after handling the earlier ones of the same connection. A
/// failure is only logged: the message is delivered again later and, being at or below
/// the recorded sequence, acknowledged without landing.
async fn acknowledge(table: Table, messages: Vec<Message>) {
    let Some((last, rest)) = messages.split_last() else {
        return;
    };
    let mut failed = 0;
    let mut error = None;
    for message in rest {
        if let Err(e) = message.ack().await {
            failed += 1;
            error = Some(e);
        }
    }
    if let Err(e) = last.double_ack().await {
        failed += 1;
        error = Some(e);
    }
    if let Some(e) = error {
        tracing::warn!(
            table = table.name(),
            failed,
            error = %e,
            "acknowledging committed NATS messages failed; they will be delivered again and skipped"
        );
    }
}

/// A broker error with what was being done.
fn broker(doing: &str, e: impl std::fmt::Display) -> Error {
    Error::Broker(format!("{doing}: {e}"))
}
