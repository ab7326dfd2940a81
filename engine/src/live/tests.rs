//! The live leaderboard: hand-worked fixtures (those of
//! `queries/competition/competition_results.slt`), the feed's ids, log and
//! subscriptions, random competitions checked against the `competition_results` model
//! run by DataFusion over the same rows, and the two HTTP routes in-process.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int32Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use datafusion::dataframe::DataFrameWriteOptions;
use futures::StreamExt;
use serde_json::Value;
use skillbrain_connectors::Table;
use tower::ServiceExt;

use super::*;
use crate::config::Config;
use crate::http::{AppState, app};
use crate::pipeline::session::source_names;
use crate::pipeline::{Pipeline, reference_tables, slt};

/// `(event_id, competition_id, venue_id, contestant_id, stage, criterion, aspect, kind,
/// judge_id, mark, max_mark)`; `scored_at` is the same for every row.
type Row = (
    String,
    String,
    String,
    String,
    i32,
    String,
    String,
    String,
    Option<String>,
    f64,
    f64,
);

/// Rows written as the `.slt` fixtures write them, one a line: `competition_id venue_id
/// contestant_id stage criterion aspect kind judge_id mark max_mark` (`-`: no judge).
/// Each row gets a fresh event id.
fn scores(text: &str) -> Vec<Row> {
    static EVENTS: AtomicUsize = AtomicUsize::new(0);
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(f.len(), 10, "{line}");
            let event = EVENTS.fetch_add(1, Ordering::Relaxed);
            (
                format!("t{event}"),
                f[0].into(),
                f[1].into(),
                f[2].into(),
                f[3].parse().unwrap(),
                f[4].into(),
                f[5].into(),
                f[6].into(),
                (f[7] != "-").then(|| f[7].into()),
                f[8].parse().unwrap(),
                f[9].parse().unwrap(),
            )
        })
        .collect()
}

/// `rows` as a batch of the canonical `competition_scores` schema.
fn batch(rows: &[Row]) -> RecordBatch {
    let text = |f: fn(&Row) -> &str| {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f))) as ArrayRef
    };
    let columns: Vec<ArrayRef> = vec![
        text(|r| &r.0),
        text(|r| &r.1),
        text(|r| &r.2),
        text(|r| &r.3),
        Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.4))),
        text(|r| &r.5),
        text(|r| &r.6),
        text(|r| &r.7),
        Arc::new(StringArray::from_iter(rows.iter().map(|r| r.8.as_deref()))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.9))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.10))),
        Arc::new(
            TimestampMicrosecondArray::from(vec![1_777_597_200_000_000; rows.len()])
                .with_timezone("UTC"),
        ),
    ];
    RecordBatch::try_new(Table::CompetitionScores.schema(), columns).unwrap()
}

/// The fixture of `queries/competition/competition_results.slt`, in its order: C1
/// (rows 1 to 41: three stages, two venues, Q's missing judge, Q and R tied), C2 (MAD 0)
/// and C3 (a judge who marked twice).
fn fixture() -> Vec<Row> {
    scores(
        "
        C1 V1 wP 1 A A1 J J1 3 3
        C1 V1 wP 1 A A1 J J2 3 3
        C1 V1 wP 1 A A1 J J3 3 3
        C1 V1 wP 1 A A2 M -  2.0 2
        C1 V1 wP 2 B B1 M -  2.5 3
        C1 V1 wP 2 B B2 J J1 3 1.5
        C1 V1 wP 2 B B2 J J2 3 1.5
        C1 V1 wP 2 B B2 J J3 2 1.5
        C1 V1 wP 3 C C1 J J1 3 2
        C1 V1 wP 3 C C1 J J2 2 2
        C1 V1 wP 3 C C1 J J3 1 2
        C1 V1 wQ 1 A A1 J J1 2 3
        C1 V1 wQ 1 A A1 J J2 2 3
        C1 V1 wQ 1 A A1 J J3 1 3
        C1 V1 wQ 1 A A2 M -  1.5 2
        C1 V1 wQ 2 B B1 M -  2.0 3
        C1 V1 wQ 2 B B2 J J1 2 1.5
        C1 V1 wQ 2 B B2 J J2 2 1.5
        C1 V1 wQ 2 B B2 J J3 2 1.5
        C1 V1 wQ 3 C C1 J J1 2 2
        C1 V1 wQ 3 C C1 J J3 3 2
        C1 V2 wR 1 A A1 J J1 3 3
        C1 V2 wR 1 A A1 J J2 2 3
        C1 V2 wR 1 A A1 J J3 2 3
        C1 V2 wR 1 A A2 M -  1.0 2
        C1 V2 wR 1 A A2 M -  2.0 2
        C1 V2 wR 2 B B1 M -  2.0 3
        C1 V2 wR 2 B B2 J J1 1 1.5
        C1 V2 wR 2 B B2 J J2 1 1.5
        C1 V2 wR 2 B B2 J J3 2 1.5
        C1 V2 wR 3 C C1 J J1 2 2
        C1 V2 wR 3 C C1 J J2 2 2
        C1 V2 wR 3 C C1 J J3 2 2
        C1 V2 wS 1 A A1 J J1 2 3
        C1 V2 wS 1 A A1 J J2 0 3
        C1 V2 wS 1 A A1 J J3 0 3
        C1 V2 wS 1 A A2 M -  1.0 2
        C1 V2 wS 2 B B1 M -  1.5 3
        C1 V2 wS 2 B B2 J J1 1 1.5
        C1 V2 wS 2 B B2 J J2 0 1.5
        C1 V2 wS 2 B B2 J J3 0 1.5
        C2 V1 wP  1 X X1 M - 12 15
        C2 V2 wK2 1 X X1 M - 12 15
        C2 V1 wK3 1 X X1 M - 11 15
        C2 V1 wK4 1 X X1 M - 10 15
        C2 V2 wK5 1 X X1 M - 10 15
        C2 V2 wK6 1 X X1 M - 10 15
        C2 V1 wK7 1 X X1 M - 10 15
        C3 V1 wP  1 A A1 J J1 1 3
        C3 V1 wP  1 A A1 J J1 2 3
        C3 V1 wP  1 A A1 J J2 3 3
    ",
    )
}

fn boards_of(rows: &[Row]) -> Arc<Boards> {
    let boards = Boards::new();
    boards.apply(&batch(rows)).unwrap();
    boards
}

fn entry<'a>(board: &'a Leaderboard, contestant: &str) -> &'a Entry {
    board
        .contestants
        .iter()
        .find(|e| e.contestant_id == contestant)
        .unwrap_or_else(|| panic!("{contestant} is not on {}", board.competition_id))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(close(actual, expected), "{what}: {actual} != {expected}");
}

#[test]
fn ties_share_a_rank_and_a_medal_and_the_next_rank_is_skipped() {
    let boards = boards_of(&fixture());
    let c1 = boards.leaderboard("C1").unwrap();
    let order: Vec<(&str, u64, Option<&str>)> = c1
        .contestants
        .iter()
        .map(|e| (e.contestant_id.as_str(), e.overall_rank, e.medal))
        .collect();
    assert_eq!(
        order,
        [
            ("wP", 1, Some("gold")),
            ("wQ", 2, Some("silver")),
            ("wR", 2, Some("silver")),
            ("wS", 4, None),
        ]
    );
    assert_eq!(entry(&c1, "wP").raw_total, 10.166667);
    assert_eq!(entry(&c1, "wR").raw_total, 7.833333);
    assert_close(entry(&c1, "wP").max_possible, 11.5, "max_possible");
    assert_close(entry(&c1, "wP").median_raw_total, 7.833333, "median");
    assert_close(entry(&c1, "wP").mad_raw_total, 1.166667, "mad");
    assert_close(
        entry(&c1, "wP").standardised_score,
        700.0 + 40.0 * 2.333334 / (1.4826 * 1.166667),
        "P standardised",
    );
    assert_eq!(entry(&c1, "wQ").standardised_score, 700.0);
    assert!((entry(&c1, "wS").standardised_score - 595.9357).abs() < 1e-4);
    assert!(c1.contestants.iter().all(|e| !e.medallion));
    assert_eq!(c1.event_id, 41);
}

#[test]
fn a_missing_judge_is_left_out_of_the_mean() {
    let boards = boards_of(&fixture());
    let c1 = boards.leaderboard("C1").unwrap();
    // Q: A1 5/3 + A2 1.5 + B1 2 + B2 1 + C1 (2+3)/2/3 × 2 = 5/3; not (2+0+3)/3.
    assert_eq!(entry(&c1, "wQ").raw_total, 7.833333);

    // A judgement row without a judge_id is one more judge: (2 + 0 + 1) / 3 / 3 × 3 = 1.
    let boards = boards_of(&scores(
        "
        C4 V1 wP 1 A A1 J J1 2 3
        C4 V1 wP 1 A A1 J -  0 3
        C4 V1 wP 1 A A1 J J2 1 3
    ",
    ));
    assert_eq!(
        boards.leaderboard("C4").unwrap().contestants[0].raw_total,
        1.0
    );
}

#[test]
fn a_mad_of_zero_gives_everyone_700_and_medallions_to_those_without_a_medal() {
    let boards = boards_of(&fixture());
    let c2 = boards.leaderboard("C2").unwrap();
    type Line<'a> = (&'a str, &'a str, u64, u64, Option<&'a str>, bool);
    let lines: Vec<Line> = c2
        .contestants
        .iter()
        .map(|e| {
            assert_eq!(e.standardised_score, 700.0);
            assert_eq!(e.mad_raw_total, 0.0);
            assert_eq!(e.median_raw_total, 10.0);
            let id = e.contestant_id.as_str();
            (
                id,
                e.venue_id.as_str(),
                e.overall_rank,
                e.venue_rank,
                e.medal,
                e.medallion,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("wK2", "V2", 1, 1, Some("gold"), false),
            ("wP", "V1", 1, 1, Some("gold"), false),
            ("wK3", "V1", 3, 2, Some("bronze"), false),
            ("wK4", "V1", 4, 3, None, true),
            ("wK5", "V2", 4, 2, None, true),
            ("wK6", "V2", 4, 2, None, true),
            ("wK7", "V1", 4, 3, None, true),
        ]
    );
}

#[test]
fn two_venues_merge_into_one_ranking_and_rank_apart() {
    let boards = boards_of(&fixture());
    let c1 = boards.leaderboard("C1").unwrap();
    let venues: Vec<(&str, &str, u64)> = c1
        .contestants
        .iter()
        .map(|e| (e.contestant_id.as_str(), e.venue_id.as_str(), e.venue_rank))
        .collect();
    assert_eq!(
        venues,
        [
            ("wP", "V1", 1),
            ("wQ", "V1", 2),
            ("wR", "V2", 1),
            ("wS", "V2", 2)
        ]
    );
}

#[test]
fn repeated_judge_marks_are_averaged_before_the_panel() {
    let boards = boards_of(&fixture());
    let c3 = boards.leaderboard("C3").unwrap();
    // J1 (1 + 2) / 2 = 1.5, J2 3: (1.5 + 3) / 2 / 3 × 3 = 2.25, not (1 + 2 + 3) / 3 = 2.
    assert_eq!(c3.contestants[0].raw_total, 2.25);
    assert_eq!(c3.contestants[0].medal, Some("gold"));
}

#[test]
fn a_contestant_advancing_stages_moves_progress_and_venue() {
    let boards = boards_of(&scores(
        "
        CA V1 wA 1 K K1 M - 4 5
        CA V2 wB 1 K K1 M - 3 5
    ",
    ));
    let board = boards.leaderboard("CA").unwrap();
    let a = entry(&board, "wA");
    assert_eq!(
        (a.stages_completed, a.stages_total, a.progress),
        (1, 1, 1.0)
    );

    // A moves on to stage 2, marked at venue V3: its venue follows its highest stage.
    boards
        .apply(&batch(&scores("CA V3 wA 2 K K2 M - 1 5")))
        .unwrap();
    let board = boards.leaderboard("CA").unwrap();
    let (a, b) = (entry(&board, "wA"), entry(&board, "wB"));
    assert_eq!((a.venue_id.as_str(), a.highest_stage), ("V3", 2));
    assert_eq!(
        (a.stages_completed, a.stages_total, a.progress),
        (2, 2, 1.0)
    );
    assert_eq!(
        (b.stages_completed, b.stages_total, b.progress),
        (1, 2, 0.5)
    );
    assert_close(a.max_possible, 10.0, "max_possible");
    assert_eq!((a.venue_rank, b.venue_rank), (1, 1));
}

#[test]
fn rows_in_many_small_batches_give_the_board_of_one_batch() {
    let rows = fixture();
    let whole = boards_of(&rows);
    let pieces = Boards::new();
    let (mut start, mut size) = (0, 0);
    while start < rows.len() {
        size += 1;
        let end = (start + size % 5 + 1).min(rows.len());
        pieces.apply(&batch(&rows[start..end])).unwrap();
        start = end;
    }
    assert_eq!(pieces.competition_ids(), ["C1", "C2", "C3"]);
    for id in pieces.competition_ids() {
        assert_eq!(pieces.leaderboard(&id), whole.leaderboard(&id), "{id}");
    }
    let restored = Boards::restored(&[batch(&rows)]).unwrap();
    for id in restored.competition_ids() {
        assert_eq!(restored.leaderboard(&id), whole.leaderboard(&id), "{id}");
    }
}

// ---- the feed ----

fn changes(updates: &[Update]) -> Vec<(u64, u64, usize)> {
    updates
        .iter()
        .map(|u| match u {
            Update::Change(c) => (c.previous_event_id, c.event_id, c.contestants.len()),
            Update::Snapshot { .. } => panic!("a snapshot where changes were expected"),
        })
        .collect()
}

fn snapshot_reason(updates: &[Update]) -> (SnapshotReason, u64) {
    match updates {
        [
            Update::Snapshot {
                leaderboard,
                reason,
            },
        ] => (*reason, leaderboard.event_id),
        other => panic!("expected one snapshot, got {other:?}"),
    }
}

#[test]
fn a_change_lists_only_the_entries_that_changed() {
    let rows = fixture();
    let boards = Boards::new();
    // C2 without K7: totals 12, 12, 11, 10, 10, 10, median 10.5, MAD 0.5. With K7's 10
    // the median is 10 and the MAD 0: every standardised score moves to 700. Then a
    // second measurement of 12 for K3 (mean 11.5) moves only K3's total.
    let c2: Vec<Row> = rows.iter().filter(|r| r.1 == "C2").cloned().collect();
    boards.apply(&batch(&c2[..6])).unwrap();
    boards.apply(&batch(&c2[6..])).unwrap();
    boards
        .apply(&batch(&scores("C2 V1 wK3 1 X X1 M - 12 15")))
        .unwrap();
    let updates = boards.events_since("C2", Some(0)).unwrap();
    assert_eq!(changes(&updates), [(0, 6, 6), (6, 7, 7), (7, 8, 1)]);
    let board = boards.leaderboard("C2").unwrap();
    assert_eq!(entry(&board, "wK3").raw_total, 11.5);

    // A mark for wS in C1 touches only the entries whose values move.
    let c1: Vec<Row> = rows.iter().filter(|r| r.1 == "C1").cloned().collect();
    boards.apply(&batch(&c1)).unwrap();
    boards
        .apply(&batch(&scores("C1 V2 wS 1 A A2 M - 1.0 2")))
        .unwrap();
    let last = boards.events_since("C1", Some(41)).unwrap();
    // S's A2 stays 1.0 (mean of 1.0 and 1.0): nothing changed.
    assert_eq!(changes(&last), [(41, 42, 0)]);
}

#[test]
fn events_since_replays_the_log_or_answers_a_snapshot() {
    let rows = fixture();
    let boards = Boards::new();
    for chunk in rows.chunks(10) {
        boards.apply(&batch(chunk)).unwrap();
    }
    // C1's 41 rows came in commits ending at rows 10, 20, 30, 40 and 41.
    let all = boards.events_since("C1", Some(0)).unwrap();
    let ids: Vec<u64> = all.iter().map(Update::event_id).collect();
    assert_eq!(ids, [10, 20, 30, 40, 41]);
    assert_eq!(
        changes(&boards.events_since("C1", Some(30)).unwrap())
            .iter()
            .map(|c| (c.0, c.1))
            .collect::<Vec<_>>(),
        [(30, 40), (40, 41)]
    );
    assert!(boards.events_since("C1", Some(41)).unwrap().is_empty());
    assert_eq!(
        snapshot_reason(&boards.events_since("C1", None).unwrap()),
        (SnapshotReason::Connect, 41)
    );
    // 25 is no id that was sent; 99 is beyond the board.
    for unknown in [25, 99] {
        assert_eq!(
            snapshot_reason(&boards.events_since("C1", Some(unknown)).unwrap()),
            (SnapshotReason::NotInLog, 41)
        );
    }
    assert!(boards.events_since("nope", None).is_none());
}

#[test]
fn after_a_restart_old_ids_get_a_snapshot_and_new_ones_resume() {
    let rows = fixture();
    let live = Boards::new();
    for chunk in rows.chunks(7) {
        live.apply(&batch(chunk)).unwrap();
    }
    let restored = Boards::restored(&[batch(&rows)]).unwrap();
    assert_eq!(restored.leaderboard("C1"), live.leaderboard("C1"));
    for last in [0, 35, 41] {
        assert_eq!(
            snapshot_reason(&restored.events_since("C1", Some(last)).unwrap()),
            (SnapshotReason::NotInLog, 41),
            "Last-Event-ID {last}"
        );
    }
    restored
        .apply(&batch(&scores("C1 V2 wS 3 C C1 J J1 3 2")))
        .unwrap();
    let after = restored.events_since("C1", Some(42)).unwrap();
    assert!(after.is_empty());
    assert_eq!(
        snapshot_reason(&restored.events_since("C1", Some(41)).unwrap()),
        (SnapshotReason::NotInLog, 42)
    );
}

#[test]
fn the_log_keeps_its_limit_and_older_ids_get_a_snapshot() {
    let boards = Boards::new();
    let total = feed::LOG_EVENTS as u64 + 10;
    for _ in 0..total {
        boards
            .apply(&batch(&scores("CL V1 wA 1 A A1 M - 1 2")))
            .unwrap();
    }
    let oldest = total - feed::LOG_EVENTS as u64;
    assert_eq!(
        boards.events_since("CL", Some(oldest)).unwrap().len(),
        feed::LOG_EVENTS
    );
    assert_eq!(
        snapshot_reason(&boards.events_since("CL", Some(oldest - 1)).unwrap()),
        (SnapshotReason::NotInLog, total)
    );
}

#[tokio::test]
async fn a_subscriber_gets_every_change_once_even_when_it_lags() {
    let boards = Boards::new();
    boards
        .apply(&batch(&scores("CS V1 wA 1 A A1 M - 1 2")))
        .unwrap();
    let mut subscription = boards.subscribe("CS", None).unwrap();
    let first = subscription.next().await.unwrap();
    assert_eq!(snapshot_reason(&[first]), (SnapshotReason::Connect, 1));

    // More commits than the broadcast holds, before the subscriber reads any.
    for i in 1..=600 {
        let row = format!("CS V1 w{} 1 A A1 M - {} 2", i % 40, i % 3);
        boards.apply(&batch(&scores(&row))).unwrap();
    }
    let mut expected = 1;
    while expected < 601 {
        let update = tokio::time::timeout(Duration::from_secs(5), subscription.next())
            .await
            .unwrap()
            .unwrap();
        match update {
            Update::Change(change) => {
                assert_eq!(change.previous_event_id, expected);
                expected = change.event_id;
            }
            Update::Snapshot { .. } => panic!("the log holds every change: no snapshot"),
        }
    }
    assert_eq!(subscription.last_event_id(), 601);
}

#[tokio::test]
async fn a_stream_opened_before_the_first_score_starts_when_it_arrives() {
    let boards = Boards::new();
    let waiting = tokio::spawn({
        let boards = boards.clone();
        async move {
            let mut s = boards.wait_subscribe("CW", None).await;
            s.next().await.unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    boards
        .apply(&batch(&scores("CW V1 wA 1 A A1 M - 1 2")))
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(snapshot_reason(&[first]), (SnapshotReason::Connect, 1));
}

#[test]
fn a_commit_in_several_batches_is_one_change_and_a_rebuild_publishes_the_difference() {
    let rows = fixture();
    let c1: Vec<Row> = rows.iter().filter(|r| r.1 == "C1").cloned().collect();
    let boards = Boards::new();
    boards
        .apply_commit(&[batch(&c1[..10]), batch(&c1[10..20])])
        .unwrap();
    assert_eq!(
        changes(&boards.events_since("C1", Some(0)).unwrap()),
        [(0, 20, 2)]
    );

    // A follower that missed commits reads every row again: one change to the end.
    let all = [batch(&rows[..30]), batch(&rows[30..])];
    boards.rebuild(&all).unwrap();
    let after = boards.events_since("C1", Some(20)).unwrap();
    assert_eq!(changes(&after), [(20, 41, 4)]);
    let whole = boards_of(&rows);
    for id in ["C1", "C2", "C3"] {
        assert_eq!(boards.leaderboard(id), whole.leaderboard(id), "{id}");
    }
    // C2 and C3 are new: their first change holds everyone.
    assert_eq!(
        changes(&boards.events_since("C2", Some(0)).unwrap()),
        [(0, 7, 7)]
    );
    // The same rows again change nothing.
    boards.rebuild(&all).unwrap();
    assert!(boards.events_since("C1", Some(41)).unwrap().is_empty());
}

#[tokio::test]
async fn boards_from_the_lake_equal_the_boards_built_live() {
    let dir = tempfile::tempdir().unwrap();
    let root = crate::config::lake_root_url(dir.path().to_str().unwrap()).unwrap();
    let lake = crate::lake::Lake::open(root, std::collections::HashMap::new())
        .await
        .unwrap();
    let rows = fixture();
    let live = Boards::new();
    for part in [&rows[..25], &rows[25..]] {
        let stored = lake
            .append(Table::CompetitionScores, vec![batch(part)], None)
            .await
            .unwrap();
        assert_eq!(stored.accepted, part.len() as u64);
        live.apply(&batch(part)).unwrap();
    }
    let restored = Boards::from_lake(&lake).await.unwrap();
    assert_eq!(restored.competition_ids(), ["C1", "C2", "C3"]);
    for id in restored.competition_ids() {
        assert_eq!(restored.leaderboard(&id), live.leaderboard(&id), "{id}");
    }
}

// ---- against the SQL model ----

/// splitmix64: a small, seeded generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// One aspect of a random competition's marking scheme.
struct Aspect {
    stage: i32,
    criterion: String,
    aspect: String,
    judged: bool,
    max_mark: f64,
}

/// A competition of `contestants` over several venues and stages, each stage with
/// judged aspects (three judges, now and then one missing, one marking twice or one
/// without a judge_id) and measured ones (now and then marked twice); some contestants
/// stop early, some change venue, and some are the twin of the one before (the same
/// marks: a tie, at the same venue or not). Event ids are `<id>-<n>`.
fn random_competition(rng: &mut Rng, id: &str, contestants: usize) -> Vec<Row> {
    let stages = 2 + rng.below(3) as i32;
    let venues = 1 + rng.below(3);
    let mut scheme = Vec::new();
    for stage in 1..=stages {
        for c in 0..2 {
            let criterion = format!("S{stage}C{c}");
            for a in 0..(1 + rng.below(3)) {
                let judged = rng.chance(60);
                let max_mark = if judged {
                    [1.5, 2.0, 3.0, 4.5][rng.below(4) as usize]
                } else {
                    [2.0, 3.0, 5.0][rng.below(3) as usize]
                };
                let aspect = format!("{criterion}A{a}");
                let criterion = criterion.clone();
                scheme.push(Aspect {
                    stage,
                    criterion,
                    aspect,
                    judged,
                    max_mark,
                });
            }
        }
    }
    let mut rows: Vec<Row> = Vec::new();
    for p in 0..contestants {
        let contestant = format!("w{p:03}");
        if p > 0 && rng.chance(12) {
            let twin = format!("w{:03}", p - 1);
            let moved = rng
                .chance(50)
                .then(|| format!("V{}", 1 + rng.below(venues)));
            let marks: Vec<Row> = rows.iter().filter(|r| r.3 == twin).cloned().collect();
            for mut r in marks {
                r.3.clone_from(&contestant);
                if let Some(venue) = &moved {
                    r.2.clone_from(venue);
                }
                rows.push(r);
            }
            continue;
        }
        let mut venue = format!("V{}", 1 + rng.below(venues));
        let reached = if rng.chance(75) {
            stages
        } else {
            1 + rng.below(stages as u64) as i32
        };
        for a in scheme.iter().filter(|a| a.stage <= reached) {
            if a.stage > 1 && rng.chance(3) {
                venue = format!("V{}", 1 + rng.below(venues));
            }
            let mut push = |judge: Option<&str>, mark: f64| {
                let kind = if a.judged { "J" } else { "M" };
                rows.push((
                    String::new(),
                    id.to_owned(),
                    venue.clone(),
                    contestant.clone(),
                    a.stage,
                    a.criterion.clone(),
                    a.aspect.clone(),
                    kind.to_owned(),
                    judge.map(str::to_owned),
                    mark,
                    a.max_mark,
                ));
            };
            if a.judged {
                let mut marked = 0;
                for judge in ["J1", "J2", "J3"] {
                    if rng.chance(8) && marked < 2 {
                        continue;
                    }
                    marked += 1;
                    for _ in 0..if rng.chance(6) { 2 } else { 1 } {
                        push(Some(judge), rng.below(4) as f64);
                    }
                }
                if rng.chance(2) {
                    push(None, rng.below(4) as f64);
                }
            } else {
                for _ in 0..if rng.chance(8) { 2 } else { 1 } {
                    push(None, a.max_mark * rng.below(5) as f64 / 4.0);
                }
            }
        }
    }
    for (n, row) in rows.iter_mut().enumerate() {
        row.0 = format!("{id}-{n}");
    }
    rows
}

/// The rows of the `competition_results` model over `batches`, computed by DataFusion
/// with the real `queries/` (the session the `.slt` files run in).
async fn sql_results(batches: &[RecordBatch]) -> RecordBatch {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../queries");
    let reference = reference_tables(&Config::load(None).unwrap()).unwrap();
    let pipeline = Pipeline::load(&root, &source_names(&reference)).unwrap();
    let ctx = slt::session(&pipeline, &reference).await.unwrap();
    for batch in batches {
        ctx.read_batch(batch.clone())
            .unwrap()
            .write_table(
                Table::CompetitionScores.name(),
                DataFrameWriteOptions::new(),
            )
            .await
            .unwrap();
    }
    let results = ctx
        .sql("select * from competition_results")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    arrow::compute::concat_batches(&results[0].schema(), &results).unwrap()
}

/// Checks every row of the model against the boards, and that they hold no other row.
fn assert_same_as_sql(boards: &Boards, sql: &RecordBatch) {
    let text = |name: &str| {
        let c = cast(sql.column_by_name(name).unwrap(), &DataType::Utf8).unwrap();
        (0..c.len())
            .map(|i| {
                c.is_valid(i)
                    .then(|| c.as_string::<i32>().value(i).to_owned())
            })
            .collect::<Vec<_>>()
    };
    let float = |name: &str| {
        let c = cast(sql.column_by_name(name).unwrap(), &DataType::Float64).unwrap();
        c.as_primitive::<Float64Type>().values().to_vec()
    };
    let int = |name: &str| {
        let c = cast(sql.column_by_name(name).unwrap(), &DataType::Int64).unwrap();
        c.as_primitive::<Int64Type>().values().to_vec()
    };
    let (competition, contestant, venue, medal) = (
        text("competition_id"),
        text("contestant_id"),
        text("venue_id"),
        text("medal"),
    );
    let medallion = sql
        .column_by_name("medallion")
        .unwrap()
        .as_boolean()
        .clone();
    let floats = [
        "raw_total",
        "max_possible",
        "progress",
        "median_raw_total",
        "mad_raw_total",
        "standardised_score",
    ]
    .map(|name| (name, float(name)));
    let ints = [
        "stages_completed",
        "highest_stage",
        "stages_total",
        "overall_rank",
        "venue_rank",
    ]
    .map(|name| (name, int(name)));
    let mut on_boards = 0;
    for id in boards.competition_ids() {
        on_boards += boards.leaderboard(&id).unwrap().contestants.len();
    }
    assert_eq!(sql.num_rows(), on_boards, "rows of competition_results");
    for i in 0..sql.num_rows() {
        let (c, p) = (
            competition[i].as_deref().unwrap(),
            contestant[i].as_deref().unwrap(),
        );
        let board = boards.leaderboard(c).unwrap();
        let e = entry(&board, p);
        let what = format!("{c} {p}");
        assert_eq!(
            Some(e.venue_id.as_str()),
            venue[i].as_deref(),
            "{what} venue_id"
        );
        assert_eq!(e.medal, medal[i].as_deref(), "{what} medal");
        assert_eq!(e.medallion, medallion.value(i), "{what} medallion");
        let mine = [
            e.raw_total,
            e.max_possible,
            e.progress,
            e.median_raw_total,
            e.mad_raw_total,
            e.standardised_score,
        ];
        for ((name, values), value) in floats.iter().zip(mine) {
            assert_close(value, values[i], &format!("{what} {name}"));
        }
        let mine = [
            e.stages_completed,
            i64::from(e.highest_stage),
            e.stages_total,
            e.overall_rank as i64,
            e.venue_rank as i64,
        ];
        for ((name, values), value) in ints.iter().zip(mine) {
            assert_eq!(value, values[i], "{what} {name}");
        }
    }
}

#[tokio::test]
async fn the_slt_fixture_equals_the_sql_model() {
    let rows = fixture();
    let boards = boards_of(&rows);
    assert_same_as_sql(&boards, &sql_results(&[batch(&rows)]).await);
}

#[tokio::test]
async fn random_competitions_in_small_batches_equal_the_sql_model() {
    for seed in [7, 2026] {
        let mut rng = Rng(seed);
        let mut rows = random_competition(&mut rng, "CX", 60);
        rows.extend(random_competition(&mut rng, "CY", 25));
        // Any order: shuffle, then apply in batches of 1 to 25 rows.
        for i in (1..rows.len()).rev() {
            rows.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let boards = Boards::new();
        let mut batches = Vec::new();
        let mut start = 0;
        while start < rows.len() {
            let end = (start + 1 + rng.below(25) as usize).min(rows.len());
            batches.push(batch(&rows[start..end]));
            boards.apply(batches.last().unwrap()).unwrap();
            start = end;
        }
        let sql = sql_results(&batches).await;
        assert!(sql.num_rows() > 80, "seed {seed}: {} rows", sql.num_rows());
        assert_same_as_sql(&boards, &sql);
        // Ties happen, and the rebuild from the lake's rows gives the same boards.
        let board = boards.leaderboard("CX").unwrap();
        let ranks: std::collections::HashSet<u64> =
            board.contestants.iter().map(|e| e.overall_rank).collect();
        assert!(ranks.len() < board.contestants.len(), "seed {seed}: no tie");
        let restored = Boards::restored(&batches).unwrap();
        assert_same_as_sql(&restored, &sql);
        assert_eq!(restored.leaderboard("CX").unwrap().event_id, board.event_id);
    }
}

// ---- over HTTP ----

fn http_app(boards: &Arc<Boards>) -> axum::Router {
    let mut state = AppState::new();
    state.live = Some(boards.clone());
    app(state)
}

async fn get(
    app: &axum::Router,
    uri: &str,
    last_event_id: Option<&str>,
) -> axum::response::Response {
    let mut request = Request::get(uri);
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id);
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn json(response: axum::response::Response) -> Value {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// One server-sent event: `(id, event, data)`.
type Sent = (String, String, Value);

/// Reads the events of an SSE body as they come.
struct Events {
    body: axum::body::BodyDataStream,
    buffer: String,
}

impl Events {
    fn new(response: axum::response::Response) -> Self {
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        Self {
            body: response.into_body().into_data_stream(),
            buffer: String::new(),
        }
    }

    /// The next event that is not a comment; fails after 5 s.
    async fn next(&mut self) -> Sent {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !event.is_empty() {
                    return (id, event, serde_json::from_str(&data).unwrap());
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.body.next())
                .await
                .expect("an event within 5 s")
                .expect("the stream is open")
                .unwrap();
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Whether no event comes within `wait`.
    async fn quiet(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.next()).await.is_err()
    }
}

#[tokio::test]
async fn http_leaderboard_answers_the_standings_404_and_304() {
    let boards = boards_of(&fixture());
    let app = http_app(&boards);
    let response = get(&app, "/v1/competitions/C1/leaderboard", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::ETAG], "\"41\"");
    let body = json(response).await;
    assert_eq!(body["competition_id"], "C1");
    assert_eq!(body["event_id"], 41);
    let first = &body["contestants"][0];
    assert_eq!(first["contestant_id"], "wP");
    assert_eq!(first["medal"], "gold");
    assert_eq!(first["raw_total"], 10.166667);
    assert_eq!(body["contestants"][3]["medal"], Value::Null);

    let mut request = Request::get("/v1/competitions/C1/leaderboard");
    request = request.header(header::IF_NONE_MATCH, "\"41\"");
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);

    let response = get(&app, "/v1/competitions/none/leaderboard", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(response).await["error"]["code"], "not_found");

    let without = app_without_live();
    let response = get(&without, "/v1/competitions/C1/leaderboard", None).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let response = get(&without, "/v1/competitions/C1/stream", None).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

fn app_without_live() -> axum::Router {
    app(AppState::new())
}

#[tokio::test]
async fn http_stream_sends_a_snapshot_then_changes_and_resumes_from_last_event_id() {
    let rows = fixture();
    let c1: Vec<Row> = rows.iter().filter(|r| r.1 == "C1").cloned().collect();
    let boards = boards_of(&c1[..30]);
    let app = http_app(&boards);

    let mut events = Events::new(get(&app, "/v1/competitions/C1/stream", None).await);
    let (id, event, data) = events.next().await;
    assert_eq!((id.as_str(), event.as_str()), ("30", "snapshot"));
    assert_eq!(data["reason"], "connect");
    assert_eq!(data["event_id"], 30);
    assert_eq!(data["contestants"].as_array().unwrap().len(), 3);

    boards.apply(&batch(&c1[30..35])).unwrap();
    boards.apply(&batch(&c1[35..])).unwrap();
    let (id, event, data) = events.next().await;
    assert_eq!((id.as_str(), event.as_str()), ("35", "change"));
    assert_eq!(data["previous_event_id"], 30);
    let (id, _, data) = events.next().await;
    assert_eq!(id, "41");
    assert_eq!(data["previous_event_id"], 35);
    assert!(events.quiet(Duration::from_millis(100)).await);

    // A screen that saw 30 reconnects: exactly the two changes after it, no snapshot.
    let mut resumed = Events::new(get(&app, "/v1/competitions/C1/stream", Some("30")).await);
    let sent: Vec<(String, String)> = vec![resumed.next().await, resumed.next().await]
        .into_iter()
        .map(|(id, event, _)| (id, event))
        .collect();
    assert_eq!(
        sent,
        [
            ("35".into(), "change".into()),
            ("41".into(), "change".into())
        ]
    );
    assert!(resumed.quiet(Duration::from_millis(100)).await);

    // An id the log cannot resume from (never sent, or garbage): a snapshot, saying so.
    for last in ["12", "soon"] {
        let mut events = Events::new(get(&app, "/v1/competitions/C1/stream", Some(last)).await);
        let (id, event, data) = events.next().await;
        assert_eq!((id.as_str(), event.as_str()), ("41", "snapshot"), "{last}");
        assert_eq!(data["reason"], "not_in_log");
        assert_eq!(data["contestants"].as_array().unwrap().len(), 4);
    }

    // After a restart the boards are rebuilt from the same rows: same id, and the screen
    // that saw 41 is sent a snapshot rather than nothing.
    let restarted = http_app(&Boards::restored(&[batch(&c1)]).unwrap());
    let mut events = Events::new(get(&restarted, "/v1/competitions/C1/stream", Some("41")).await);
    let (id, event, _) = events.next().await;
    assert_eq!((id.as_str(), event.as_str()), ("41", "snapshot"));
}

#[tokio::test]
async fn http_stream_on_a_competition_without_scores_waits_for_them() {
    let boards = Boards::new();
    let app = http_app(&boards);
    let mut events = Events::new(get(&app, "/v1/competitions/C3/stream", None).await);
    assert!(events.quiet(Duration::from_millis(100)).await);
    let c3: Vec<Row> = fixture().into_iter().filter(|r| r.1 == "C3").collect();
    boards.apply(&batch(&c3)).unwrap();
    let (id, event, data) = events.next().await;
    assert_eq!((id.as_str(), event.as_str()), ("3", "snapshot"));
    assert_eq!(data["contestants"][0]["raw_total"], 2.25);
}
