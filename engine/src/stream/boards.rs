//! Feeding the live competition boards: each commit's new `competition_scores` rows are
//! applied to the [`Boards`] as soon as the commit is durable, before the append
//! returns to whoever pushed the rows, without running any SQL.

use std::sync::Arc;

use skillbrain_connectors::Table;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use crate::error::Result;
use crate::lake::{Committed, Lake};
use crate::live::Boards;

/// The boards rebuilt from the lake, with the commits that come after the version read.
pub struct Restored {
    /// The boards as of `version`.
    pub boards: Arc<Boards>,
    /// The `competition_scores` version they reflect.
    pub version: i64,
    /// Announcements from before that version was read (those at or below it are
    /// skipped when applied).
    pub commits: broadcast::Receiver<Arc<Committed>>,
}

/// Rebuilds the boards from the lake's `competition_scores`, subscribing to the commits
/// first so that none falls between the read and the feed.
pub async fn restore(lake: &Lake) -> Result<Restored> {
    let commits = lake.subscribe();
    let (version, batches) = lake.read_table(Table::CompetitionScores).await?;
    Ok(Restored {
        boards: Boards::restored(&batches)?,
        version,
        commits,
    })
}

/// Applies every later commit of `competition_scores` to the boards until `stop`. A
/// commit announced without its rows (too many), or commits missed by falling behind,
/// make the boards be rebuilt from the table (each row counts once either way).
pub async fn feed(lake: Arc<Lake>, restored: Restored, mut stop: watch::Receiver<bool>) {
    let Restored {
        boards,
        version,
        mut commits,
    } = restored;
    loop {
        let message = tokio::select! {
            message = commits.recv() => message,
            _ = stop.changed() => return,
        };
        let applied = match message {
            Ok(c) if c.table == Table::CompetitionScores && c.version > version => match &c.rows {
                Some(rows) => boards.apply_commit(rows),
                None => rebuild(&lake, &boards).await,
            },
            Ok(_) => Ok(()),
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "the live boards fell behind the lake's commits; rebuilding them"
                );
                rebuild(&lake, &boards).await
            }
            Err(RecvError::Closed) => return,
        };
        if let Err(e) = applied {
            tracing::error!(error = %e, "the live boards could not take a commit of scores in");
        }
    }
}

/// Rebuilds the boards from every stored score.
async fn rebuild(lake: &Lake, boards: &Boards) -> Result<()> {
    let (_, batches) = lake.read_table(Table::CompetitionScores).await?;
    boards.rebuild(&batches)
}
