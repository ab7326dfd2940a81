//! The changes of one competition's leaderboard: event ids, the in-memory log a client
//! resumes from, and the broadcast that live subscribers follow.
//!
//! # Event ids
//!
//! A change's id is the number of score rows (distinct `event_id`s) applied to its
//! competition once the change is in: ids increase with every change, and the lake,
//! which stores each `event_id` once, gives the same id after a restart. The log keeps the recent changes ([`LOG_EVENTS`] of them, fewer
//! when they hold more than [`LOG_ENTRIES`] entries). A client that last saw id `L` is
//! sent exactly the changes after `L` when `L` is the id of a logged change or the id the
//! log starts from; otherwise (older than the log, from before a restart, unknown) it is
//! sent a snapshot, saying so. After a restart the log starts empty at the rebuilt id and
//! no id may resume from it: a client that last saw an id at or below it gets a snapshot.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::Competition;
use super::board::{Entry, Leaderboard};

/// Changes kept per competition for clients that reconnect.
pub const LOG_EVENTS: usize = 1024;
/// Entries kept in the log per competition; older changes are dropped beyond it (the
/// newest change is always kept).
pub const LOG_ENTRIES: usize = 200_000;
/// Changes a subscriber may fall behind before it recovers from the log.
const CHANNEL: usize = 256;

/// What one applied commit changed in a competition: an SSE `change` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The competition.
    pub competition_id: String,
    /// This change's id.
    pub event_id: u64,
    /// The id of the standings it applies to (the previous change's id).
    pub previous_event_id: u64,
    /// The contestants whose entry changed (new ones included), in leaderboard order.
    pub contestants: Vec<Entry>,
}

/// Why a client is sent the whole leaderboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotReason {
    /// The client named no last event id: a first connection.
    Connect,
    /// The client's last event id cannot be resumed from the log: older than the log
    /// keeps, from before a restart, or unknown.
    NotInLog,
}

/// What a subscriber is sent next.
#[derive(Debug, Clone)]
pub enum Update {
    /// The whole leaderboard (an SSE `snapshot` event).
    Snapshot {
        /// The leaderboard; its `event_id` is the event's id.
        leaderboard: Arc<Leaderboard>,
        /// Why a snapshot and not the changes.
        reason: SnapshotReason,
    },
    /// One change (an SSE `change` event).
    Change(Arc<Change>),
}

impl Update {
    /// The event id the client is at once it has this update.
    pub fn event_id(&self) -> u64 {
        match self {
            Update::Snapshot { leaderboard, .. } => leaderboard.event_id,
            Update::Change(change) => change.event_id,
        }
    }
}

/// One competition's log of changes and its broadcast.
#[derive(Debug)]
pub(crate) struct Feed {
    log: VecDeque<Arc<Change>>,
    /// Entries held by `log`.
    logged: usize,
    /// The id the log starts from when a client at that id may resume (the board was
    /// built live from nothing, or older changes were dropped); `None` after a restart.
    origin: Option<u64>,
    sender: broadcast::Sender<Arc<Change>>,
}

impl Feed {
    /// An empty feed; `origin` as the field says.
    pub(crate) fn new(origin: Option<u64>) -> Self {
        Self {
            log: VecDeque::new(),
            logged: 0,
            origin,
            sender: broadcast::channel(CHANNEL).0,
        }
    }

    /// Logs `change` (dropping the oldest changes beyond the limits) and sends it to the
    /// subscribers.
    pub(crate) fn publish(&mut self, change: Arc<Change>) {
        self.logged += change.contestants.len();
        self.log.push_back(change.clone());
        while self.log.len() > 1 && (self.log.len() > LOG_EVENTS || self.logged > LOG_ENTRIES) {
            if let Some(dropped) = self.log.pop_front() {
                self.logged -= dropped.contestants.len();
                self.origin = Some(dropped.event_id);
            }
        }
        // No subscriber is not an error.
        let _ = self.sender.send(change);
    }

    /// A receiver of every change published from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.sender.subscribe()
    }

    /// The changes after `last`, or `None` when `last` cannot be resumed from the log.
    pub(crate) fn since(&self, last: u64) -> Option<Vec<Arc<Change>>> {
        let logged = self.log.binary_search_by_key(&last, |c| c.event_id).is_ok();
        if !logged && self.origin != Some(last) {
            return None;
        }
        let after = self.log.partition_point(|c| c.event_id <= last);
        Some(self.log.range(after..).cloned().collect())
    }
}

/// A client following one competition: first a snapshot or the changes it missed, then
/// every change once, in order. It never skips a change: if it falls behind the
/// broadcast, it recovers from the log, or from a snapshot when the log has moved on.
#[derive(Debug)]
pub struct Subscription {
    competition: Arc<Competition>,
    receiver: broadcast::Receiver<Arc<Change>>,
    pending: VecDeque<Update>,
    /// The id the client is at once it has the pending updates.
    last: u64,
}

impl Subscription {
    /// Subscribes to `competition` for a client that last saw `last_event_id`.
    pub(crate) fn new(competition: Arc<Competition>, last_event_id: Option<u64>) -> Self {
        let (receiver, pending) = competition.subscribe(last_event_id);
        let last = pending
            .last()
            .map(Update::event_id)
            .or(last_event_id)
            .unwrap_or(0);
        Self {
            competition,
            receiver,
            pending: pending.into(),
            last,
        }
    }

    /// The next update; `None` once the competition is gone.
    pub async fn next(&mut self) -> Option<Update> {
        loop {
            if let Some(update) = self.pending.pop_front() {
                return Some(update);
            }
            match self.receiver.recv().await {
                Ok(change) if change.event_id <= self.last => {} // seen already
                Ok(change) if change.previous_event_id == self.last => {
                    self.last = change.event_id;
                    return Some(Update::Change(change));
                }
                Ok(_) | Err(RecvError::Lagged(_)) => self.recover(),
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// The id of the last update handed out (or of the client's last event id before).
    pub fn last_event_id(&self) -> u64 {
        self.last
    }

    /// Queues what the log holds after `last`, or a snapshot.
    fn recover(&mut self) {
        let updates = self.competition.since(Some(self.last));
        if let Some(update) = updates.last() {
            self.last = update.event_id();
        }
        self.pending.extend(updates);
    }
}
