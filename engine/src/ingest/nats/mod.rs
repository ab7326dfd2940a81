//! NATS JetStream ingestion: each canonical table has a durable pull consumer
//! (`skillbrain-<table>`) on subject `skillbrain.<table>` of one stream. A message holds
//! one NDJSON row or several (one JSON object per line) in the table's canonical columns.
//!
//! A table's task fetches up to `max_batch_messages` messages, or what arrives within
//! `commit_interval`, decodes them with the `nats` connector of `skillbrain_connectors`
//! (one NDJSON body, each bad row located by stream sequence and line), and lands the
//! good rows in one Delta commit that also records the application
//! transaction `("nats:<stream>:<table>", last stream sequence)`. Only then are the
//! messages acknowledged. The lake, not the consumer, holds the position: at start-up,
//! and after any failure, the consumer is created afresh to deliver from the recorded
//! sequence + 1, so a crash between the commit and the acks neither loses a message
//! nor lands one twice; a message at or below the recorded sequence is acknowledged
//! without landing. Rejected rows are quarantined, logged with their message's sequence
//! and counted in `skillbrain_rejected_rows{source="nats"}`; their messages are
//! acknowledged too.
//! Stream sequences must only grow: a stream made anew starts again at 1, so it needs
//! a name of its own (the application id carries the stream's name).
//!
//! # Layout
//! - `mod.rs`: [`NatsOptions`], [`NatsIngest`] (connecting, the stream, one task per
//!   table), consumer and application names; the subject names are the connector's
//!   ([`subject`]).
//! - `consumer.rs`: a table's loop: resume from the lake, fetch, decode with the
//!   connector, commit, acknowledge.

mod consumer;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use skillbrain_connectors::Table;
use skillbrain_connectors::file::FileReadOptions;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::Metrics;
use crate::lake::Lake;

pub use skillbrain_connectors::nats::{SUBJECT_PREFIX, subject};

/// How long connecting to the server may take at start-up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What `[nats]` configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsOptions {
    /// The server URL.
    pub url: String,
    /// The stream holding `skillbrain.>`.
    pub stream: String,
    /// A commit holds at most this many messages.
    pub max_batch_messages: usize,
    /// How long a table's consumer gathers messages for one commit.
    pub commit_interval: Duration,
    /// How message bodies are read.
    pub read: FileReadOptions,
}

impl NatsOptions {
    /// The options of `[nats]`, or `None` when `nats.url` is empty (ingestion off).
    pub fn from_config(config: &Config) -> Option<NatsOptions> {
        let nats = &config.nats;
        let url = nats.url.trim();
        if url.is_empty() {
            return None;
        }
        Some(NatsOptions {
            url: url.to_owned(),
            stream: nats.stream.clone(),
            max_batch_messages: nats.max_batch_messages.max(1),
            // The server wants a pull request to expire after at least a millisecond.
            commit_interval: Duration::from_millis(nats.commit_interval_ms.max(10)),
            read: FileReadOptions {
                batch_rows: config.engine.batch_rows,
            },
        })
    }

    /// The URL without any password or token, for logs.
    pub fn display_url(&self) -> String {
        redact(&self.url)
    }
}

/// The durable consumer of a table.
pub fn consumer_name(table: Table) -> String {
    format!("{SUBJECT_PREFIX}-{}", table.name())
}

/// The application id under which a table's commits record the last stream sequence.
pub fn app_id(stream: &str, table: Table) -> String {
    format!("nats:{stream}:{}", table.name())
}

/// NATS ingestion running: one task per canonical table, until [`NatsIngest::shutdown`].
#[derive(Debug)]
pub struct NatsIngest {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl NatsIngest {
    /// Connects, creates the stream if it is missing (subjects `skillbrain.>`, file
    /// storage) and starts a consumer task per table. Fails if the server cannot be
    /// reached; once started, a task rides out broker and lake failures by backing off
    /// and resuming from the lake.
    pub async fn start(
        lake: Arc<Lake>,
        metrics: Arc<Metrics>,
        options: NatsOptions,
    ) -> Result<NatsIngest> {
        let shown = options.display_url();
        let client = async_nats::ConnectOptions::new()
            .name("skillbrain")
            .connection_timeout(CONNECT_TIMEOUT)
            .connect(options.url.as_str())
            .await
            .map_err(|e| Error::Broker(format!("cannot connect to {shown}: {e}")))?;
        let js = jetstream::new(client);
        let wanted = format!("{SUBJECT_PREFIX}.>");
        let config = stream::Config {
            name: options.stream.clone(),
            subjects: vec![wanted.clone()],
            storage: stream::StorageType::File,
            ..Default::default()
        };
        let mut stream = js.get_or_create_stream(config).await.map_err(|e| {
            Error::Broker(format!(
                "cannot create or open stream {}: {e}",
                options.stream
            ))
        })?;
        let subjects = stream
            .info()
            .await
            .map(|info| info.config.subjects.clone())
            .unwrap_or_default();
        if !subjects.contains(&wanted) {
            tracing::warn!(
                stream = options.stream,
                ?subjects,
                "the stream does not take {wanted}; tables whose subject it lacks get nothing"
            );
        }
        tracing::info!(
            url = shown,
            stream = options.stream,
            "consuming NATS JetStream subjects {wanted}"
        );
        let (stop, stopped) = watch::channel(false);
        let tasks = Table::ALL
            .into_iter()
            .map(|table| {
                let consumer = consumer::TableConsumer {
                    table,
                    lake: lake.clone(),
                    metrics: metrics.clone(),
                    stream: stream.clone(),
                    app_id: app_id(&options.stream, table),
                    options: options.clone(),
                };
                tokio::spawn(consumer.run(stopped.clone()))
            })
            .collect();
        Ok(NatsIngest { stop, tasks })
    }

    /// Stops every table's task: a commit under way finishes and its messages are
    /// acknowledged; messages fetched but not committed are left to be delivered again.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a NATS consumer task failed");
            }
        }
        tracing::info!("NATS ingestion stopped");
    }
}

/// `url` with any password (or a bare token) replaced by `***`.
fn redact(url: &str) -> String {
    url.split(',')
        .map(|one| match url::Url::parse(one) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("***"));
                parsed.to_string()
            }
            Ok(mut parsed) if !parsed.username().is_empty() => {
                let _ = parsed.set_username("***");
                parsed.to_string()
            }
            _ => one.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_table() {
        let table = Table::TalentDemand;
        assert_eq!(subject(table), "skillbrain.talent_demand");
        assert_eq!(consumer_name(table), "skillbrain-talent_demand");
        assert_eq!(app_id("SKILLBRAIN", table), "nats:SKILLBRAIN:talent_demand");
    }

    #[test]
    fn an_empty_url_turns_ingestion_off() {
        let mut config = Config::load(None).unwrap();
        assert_eq!(NatsOptions::from_config(&config), None);
        config.nats.url = "nats://127.0.0.1:4333".into();
        config.nats.commit_interval_ms = 0;
        let options = NatsOptions::from_config(&config).unwrap();
        assert_eq!(options.stream, "SKILLBRAIN");
        assert_eq!(options.max_batch_messages, 1_000);
        assert_eq!(options.commit_interval, Duration::from_millis(10));
    }

    #[test]
    fn secrets_are_left_out_of_the_shown_url() {
        assert_eq!(redact("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
        assert_eq!(
            redact("nats://user:pw@host:4222,nats://tok@other:4222"),
            "nats://user:***@host:4222,nats://***@other:4222"
        );
    }
}
