//! The live competition leaderboard (issue 5, item 3): per competition, standings held
//! in memory and updated from each committed batch of `competition_scores` rows, with
//! no SQL run per event, and a feed of the changes that the big screen follows over SSE.
//!
//! The standings equal the rows of the `competition_results` model over the same score
//! rows: merged ranking across venues, rank within venue, stage progress, standardised
//! score, medals and medallions.
//!
//! # Use
//!
//! - At start-up, [`Boards::from_lake`] (or [`Boards::restored`] over the rows of
//!   `competition_scores`) rebuilds every competition from the lake; with no lake,
//!   [`Boards::new`].
//! - After each commit to `competition_scores`, [`Boards::apply`] (or
//!   [`Boards::apply_commit`]) with the rows that commit newly stored (deduplicated),
//!   once per commit. A row is applied once per `event_id`: a follower that missed
//!   commits, or is unsure, may call [`Boards::rebuild`] with every row of the table.
//! - [`Boards::leaderboard`] answers a competition's standings,
//!   [`Boards::subscribe`] / [`Boards::wait_subscribe`] follow its changes, and
//!   [`Boards::events_since`] answers what a client at some event id missed.
//!
//! Event ids are per competition: the number of score rows (distinct `event_id`s)
//! applied to it (see
//! [`feed`] for what a reconnecting client is sent).
//!
//! # Layout
//! - `mod.rs`: [`Boards`], every competition by id, and [`Competition`], one board with
//!   its feed behind one lock.
//! - [`board`]: one competition's state, the rows filed under their aspects, and the
//!   ranking ([`Leaderboard`], [`Entry`]).
//! - [`feed`]: event ids, the log of [`Change`]s, the broadcast and [`Subscription`].
//! - `tests.rs`: hand-worked fixtures, and random competitions checked against the SQL
//!   models.

pub mod board;
pub mod feed;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use arrow::array::RecordBatch;
use skillbrain_connectors::Table;
use tokio::sync::{broadcast, watch};

pub use board::{Entry, Leaderboard};
pub use feed::{Change, SnapshotReason, Subscription, Update};

use crate::error::Result;
use crate::lake::Lake;
use board::{Board, Scores};
use feed::Feed;

/// Every competition's live board.
#[derive(Debug)]
pub struct Boards {
    competitions: RwLock<HashMap<String, Arc<Competition>>>,
    /// Bumped when a competition appears, for streams opened before it did.
    appeared: watch::Sender<u64>,
    /// Serialises [`apply`](Self::apply): one commit at a time.
    applying: Mutex<()>,
    /// Turned true when the server shuts down: open streams end.
    closed: watch::Sender<bool>,
}

impl Default for Boards {
    fn default() -> Self {
        Self {
            competitions: RwLock::new(HashMap::new()),
            appeared: watch::channel(0).0,
            applying: Mutex::new(()),
            closed: watch::channel(false).0,
        }
    }
}

impl Boards {
    /// No competition yet.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Ends every open stream (the server is shutting down).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Completes once [`close`](Self::close) is called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closed = self.closed.subscribe();
        async move {
            let _ = closed.wait_for(|c| *c).await;
        }
    }

    /// Boards rebuilt from every stored row of `competition_scores` (in any order):
    /// each competition's event id is its row count, and no client may resume from an
    /// id at or below it (it is sent a snapshot).
    pub fn restored(batches: &[RecordBatch]) -> Result<Arc<Self>> {
        let competitions = build(batches)?
            .into_iter()
            .map(|(id, board)| (id, Arc::new(Competition::new(board, Feed::new(None)))))
            .collect();
        Ok(Arc::new(Self {
            competitions: RwLock::new(competitions),
            ..Self::default()
        }))
    }

    /// Boards rebuilt from the lake's `competition_scores` table, as
    /// [`restored`](Self::restored).
    pub async fn from_lake(lake: &Lake) -> Result<Arc<Self>> {
        let (_, batches) = lake.read_table(Table::CompetitionScores).await?;
        Self::restored(&batches)
    }

    /// Applies the rows one commit newly stored in `competition_scores` (canonical
    /// columns; any number of competitions): each competition present is re-ranked once
    /// and publishes one [`Change`] listing the entries that changed. A batch without a
    /// needed column, or with a null where the lake holds none, changes nothing.
    pub fn apply(&self, batch: &RecordBatch) -> Result<()> {
        self.apply_commit(std::slice::from_ref(batch))
    }

    /// As [`apply`](Self::apply), for a commit whose rows come in several batches: one
    /// change per competition for all of them. Rows whose `event_id` was applied before
    /// are skipped; a competition without a new row publishes nothing.
    pub fn apply_commit(&self, batches: &[RecordBatch]) -> Result<()> {
        let scores = batches
            .iter()
            .map(Scores::new)
            .collect::<Result<Vec<_>>>()?;
        let _one_at_a_time = lock(&self.applying);
        let mut rows: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
        for (b, batch) in scores.iter().enumerate() {
            for i in 0..batch.len() {
                rows.entry(batch.row(i).competition_id)
                    .or_default()
                    .push((b, i));
            }
        }
        for (id, rows) in rows {
            match self.competition(id) {
                Some(competition) => competition.apply(&scores, &rows),
                None => self.add_competition(id, |c| c.apply(&scores, &rows)),
            }
        }
        Ok(())
    }

    /// Brings every competition up to all the rows of `competition_scores` (read again
    /// from the lake), for a follower of the lake's commits that missed some, or was
    /// told of a commit without its rows: the rows already applied are skipped (by
    /// `event_id`), and each competition with new rows publishes one change, as
    /// [`apply_commit`](Self::apply_commit) does (it is the same call).
    pub fn rebuild(&self, batches: &[RecordBatch]) -> Result<()> {
        self.apply_commit(batches)
    }

    /// Adds a competition, filled by `fill` before it is shown, so nobody sees it empty.
    fn add_competition(&self, id: &str, fill: impl FnOnce(&Competition)) {
        let competition = Arc::new(Competition::new(Board::new(id), Feed::new(Some(0))));
        fill(&competition);
        write(&self.competitions).insert(id.to_owned(), competition);
        self.appeared.send_modify(|n| *n += 1);
    }

    /// The competition's standings; `None` for a competition without rows.
    pub fn leaderboard(&self, competition_id: &str) -> Option<Arc<Leaderboard>> {
        self.competition(competition_id).map(|c| c.leaderboard())
    }

    /// The ids of every competition, sorted.
    pub fn competition_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = read(&self.competitions).keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Follows a competition for a client that last saw `last_event_id` (`None`: a first
    /// connection, answered with a snapshot); `None` for an unknown competition.
    pub fn subscribe(
        &self,
        competition_id: &str,
        last_event_id: Option<u64>,
    ) -> Option<Subscription> {
        self.competition(competition_id)
            .map(|c| Subscription::new(c, last_event_id))
    }

    /// As [`subscribe`](Self::subscribe), waiting for the competition's first rows when
    /// it has none yet.
    pub async fn wait_subscribe(
        &self,
        competition_id: &str,
        last_event_id: Option<u64>,
    ) -> Subscription {
        let mut appeared = self.appeared.subscribe();
        loop {
            if let Some(subscription) = self.subscribe(competition_id, last_event_id) {
                return subscription;
            }
            if appeared.changed().await.is_err() {
                // The boards are gone (cannot happen while borrowed): wait for ever.
                std::future::pending::<()>().await;
            }
        }
    }

    /// What a client at `last_event_id` needs to be current: the changes after it, or a
    /// snapshot when they are not in the log (or `last_event_id` is `None`). `None` for
    /// an unknown competition.
    pub fn events_since(
        &self,
        competition_id: &str,
        last_event_id: Option<u64>,
    ) -> Option<Vec<Update>> {
        self.competition(competition_id)
            .map(|c| c.since(last_event_id))
    }

    fn competition(&self, competition_id: &str) -> Option<Arc<Competition>> {
        read(&self.competitions).get(competition_id).cloned()
    }
}

/// One competition: its board and its feed, changed together under one lock, so that a
/// subscriber that subscribes and reads the log under it misses nothing.
#[derive(Debug)]
pub struct Competition {
    live: Mutex<Live>,
}

#[derive(Debug)]
struct Live {
    board: Board,
    feed: Feed,
}

impl Competition {
    fn new(board: Board, feed: Feed) -> Self {
        Self {
            live: Mutex::new(Live { board, feed }),
        }
    }

    /// The current standings.
    pub fn leaderboard(&self) -> Arc<Leaderboard> {
        lock(&self.live).board.standings()
    }

    /// Files `rows` (batch, row) of `scores`, re-ranks and publishes the change, unless
    /// every row was applied before.
    fn apply(&self, scores: &[Scores], rows: &[(usize, usize)]) {
        let mut live = lock(&self.live);
        let previous_event_id = live.board.event_id();
        let mut new = false;
        for &(b, i) in rows {
            new |= live.board.add(&scores[b].row(i));
        }
        if !new {
            return;
        }
        let contestants = live.board.rank();
        let standings = live.board.standings();
        live.feed.publish(Arc::new(Change {
            competition_id: standings.competition_id.clone(),
            event_id: standings.event_id,
            previous_event_id,
            contestants,
        }));
    }

    /// A receiver of the changes to come and what the client at `last` needs before
    /// them, read together.
    pub(crate) fn subscribe(
        &self,
        last: Option<u64>,
    ) -> (broadcast::Receiver<Arc<Change>>, Vec<Update>) {
        let live = lock(&self.live);
        let receiver = live.feed.subscribe();
        (receiver, Self::since_locked(&live, last))
    }

    /// What the client at `last` needs to be current.
    pub(crate) fn since(&self, last: Option<u64>) -> Vec<Update> {
        Self::since_locked(&lock(&self.live), last)
    }

    fn since_locked(live: &Live, last: Option<u64>) -> Vec<Update> {
        let changes = last.and_then(|last| live.feed.since(last));
        match changes {
            Some(changes) => changes.into_iter().map(Update::Change).collect(),
            None => vec![Update::Snapshot {
                leaderboard: live.board.standings(),
                reason: match last {
                    None => SnapshotReason::Connect,
                    Some(_) => SnapshotReason::NotInLog,
                },
            }],
        }
    }
}

/// A ranked board per competition of `batches`.
fn build(batches: &[RecordBatch]) -> Result<BTreeMap<String, Board>> {
    let mut boards: BTreeMap<String, Board> = BTreeMap::new();
    for batch in batches {
        let scores = Scores::new(batch)?;
        for i in 0..scores.len() {
            let score = scores.row(i);
            if !boards.contains_key(score.competition_id) {
                let board = Board::new(score.competition_id);
                boards.insert(score.competition_id.to_owned(), board);
            }
            if let Some(board) = boards.get_mut(score.competition_id) {
                board.add(&score);
            }
        }
    }
    for board in boards.values_mut() {
        board.rank();
    }
    Ok(boards)
}

/// Locks `mutex`; a panic while it was held leaves the state as it was then.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
