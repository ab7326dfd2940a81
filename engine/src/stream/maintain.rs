//! Table maintenance while serving: micro-batches leave many small files, and every
//! model refresh rewrites its table. Periodically, each canonical and quarantine table
//! with many files is compacted (Delta `OPTIMIZE`: rows rewritten into fewer files in a
//! new version, none changed), each model table gets a checkpoint of its current
//! version (refreshes write none), and files that no version younger than the retention
//! needs are deleted (`VACUUM`), log files with them (model tables: those older than
//! `stream.model_retention_minutes`; the others: Delta's 30 days). Readers keep reading
//! the snapshot they opened and writers keep appending; a compaction whose commit
//! conflicts is tried again the next time.

use std::time::Duration;

use std::sync::Arc;

use skillbrain_connectors::Table;
use tokio::sync::watch;
use url::Url;

use crate::error::Result;
use crate::lake::Lake;
use crate::stream::StreamOptions;

/// What one maintenance run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Maintained {
    /// Tables compacted.
    pub compacted: usize,
    /// Small files replaced by compaction.
    pub files_removed: u64,
    /// Files written by compaction.
    pub files_added: u64,
    /// Files deleted by vacuum.
    pub files_deleted: usize,
    /// Model tables given a checkpoint.
    pub checkpoints: usize,
    /// Log files deleted (of versions older than the retention, before a checkpoint).
    pub logs_deleted: usize,
}

/// Maintains every table once: compacts the canonical and quarantine tables that have
/// `options.compact_min_files` files or more, then vacuums them and deletes their expired
/// log files; gives each model table a checkpoint of its current version, vacuums it and
/// deletes its log files older than `options.model_retention`.
pub async fn maintain_once(
    lake: &Lake,
    models: &[String],
    options: &StreamOptions,
) -> Result<Maintained> {
    let mut done = Maintained::default();
    let mut appended: Vec<Url> = Vec::new();
    for table in Table::ALL {
        appended.push(lake.table_url(table.name())?);
        appended.push(lake.quarantine_url(table)?);
    }
    for url in &appended {
        let (removed, added) = lake.compact(url, options.compact_min_files).await?;
        if removed > 0 {
            done.compacted += 1;
            done.files_removed += removed;
            done.files_added += added;
        }
        done.files_deleted += lake.vacuum(url, options.retention).await?;
        done.logs_deleted += lake.expire_logs(url, None).await?;
    }
    for name in models {
        let url = lake.model_url(name)?;
        done.checkpoints += usize::from(lake.checkpoint(&url).await?);
        done.files_deleted += lake.vacuum(&url, options.model_retention).await?;
        // A model's older versions go with their files.
        done.logs_deleted += lake
            .expire_logs(&url, Some(options.model_retention))
            .await?;
    }
    Ok(done)
}

/// Maintains the tables every `every` until `stop` turns true. Failures are logged.
pub async fn run(
    lake: Arc<Lake>,
    models: Vec<String>,
    options: StreamOptions,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        match maintain_once(&lake, &models, &options).await {
            Ok(done) => tracing::info!(
                compacted = done.compacted,
                files_removed = done.files_removed,
                files_added = done.files_added,
                files_deleted = done.files_deleted,
                checkpoints = done.checkpoints,
                logs_deleted = done.logs_deleted,
                "tables maintained"
            ),
            Err(e) => tracing::warn!(error = %e, "table maintenance failed; tried again later"),
        }
    }
}
