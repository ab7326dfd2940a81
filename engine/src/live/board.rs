//! One competition's standings, kept in memory and updated row by row: the state behind
//! the live leaderboard.
//!
//! The arithmetic is that of the SQL models `competition_marks` and `competition_results`
//! (`queries/competition/`), done incrementally:
//!
//! - [`Board::add`] files one score row (once per `event_id`) under its aspect (competition × stage ×
//!   contestant × criterion × aspect × kind × max_mark, as the model groups them): a
//!   judgement (`J`) row under its judge (a missing `judge_id` is one more judge), a
//!   measurement (`M`) row into the aspect's mean. Rows of any other kind are counted
//!   but mark nothing, as in the model.
//! - [`Board::rank`] recomputes the totals of the contestants touched since the last
//!   call, then the competition's median, MAD, standardised scores, ranks and medals
//!   over every contestant (a sort: O(n log n)), and answers the entries that changed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int32Type};
use arrow::error::ArrowError;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_128;

use crate::error::Result;

/// One contestant's line on the leaderboard: the columns of the `competition_results`
/// model, with the same names and meanings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The competition.
    pub competition_id: String,
    /// The contestant (a `worker_id`).
    pub contestant_id: String,
    /// The venue of the highest stage reached (the greatest `venue_id` if several).
    pub venue_id: String,
    /// The sum of the contestant's aspect marks, rounded to 6 decimals.
    pub raw_total: f64,
    /// The sum of `max_mark` over every aspect marked in the competition so far.
    pub max_possible: f64,
    /// Stages in which the contestant has any mark.
    pub stages_completed: i64,
    /// The highest of them.
    pub highest_stage: i32,
    /// Stages of the competition with any mark by anyone so far.
    pub stages_total: i64,
    /// Stage progress (闯关进度): `stages_completed / stages_total`.
    pub progress: f64,
    /// The median `raw_total` of the competition (of an even count, the mean of the two
    /// middle values).
    pub median_raw_total: f64,
    /// The median absolute deviation from it (same rule).
    pub mad_raw_total: f64,
    /// `700 + 40 × (raw_total − median) / (1.4826 × MAD)`; 700 when the MAD is 0.
    pub standardised_score: f64,
    /// Rank by `raw_total`, descending, in the competition (1, 2, 2, 4 on ties).
    pub overall_rank: u64,
    /// The same within the contestant's venue.
    pub venue_rank: u64,
    /// `gold`, `silver` or `bronze` for overall rank 1, 2 or 3.
    pub medal: Option<&'static str>,
    /// A medallion for excellence: standardised score ≥ 700 and no medal.
    pub medallion: bool,
}

/// A competition's whole leaderboard at one event id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leaderboard {
    /// The competition.
    pub competition_id: String,
    /// The id of the last change applied: the number of score rows (distinct
    /// `event_id`s) applied to the competition, so the same lake gives the same id after
    /// a restart.
    pub event_id: u64,
    /// Every contestant, by `overall_rank`, then `contestant_id`.
    pub contestants: Vec<Entry>,
}

/// The columns of a `competition_scores` batch, cast to the canonical types.
pub(crate) struct Scores {
    event_id: StringArray,
    competition_id: StringArray,
    venue_id: StringArray,
    contestant_id: StringArray,
    stage: Int32Array,
    criterion: StringArray,
    aspect: StringArray,
    kind: StringArray,
    judge_id: StringArray,
    mark: Float64Array,
    max_mark: Float64Array,
}

/// One row of [`Scores`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Score<'a> {
    pub event_id: &'a str,
    pub competition_id: &'a str,
    pub venue_id: &'a str,
    pub contestant_id: &'a str,
    pub stage: i32,
    pub criterion: &'a str,
    pub aspect: &'a str,
    pub kind: &'a str,
    pub judge_id: Option<&'a str>,
    pub mark: f64,
    pub max_mark: f64,
}

impl Scores {
    /// Reads the columns the leaderboard needs, by name; a string column may be any
    /// string type (a scan of the lake may give views). Only `judge_id` may hold nulls.
    pub(crate) fn new(batch: &RecordBatch) -> Result<Self> {
        let column = |name: &str, to: &DataType, nullable: bool| {
            let column = batch.column_by_name(name).ok_or_else(|| {
                ArrowError::SchemaError(format!("competition_scores: no column `{name}`"))
            })?;
            if !nullable && column.null_count() > 0 {
                return Err(ArrowError::InvalidArgumentError(format!(
                    "competition_scores: `{name}` holds a null"
                )));
            }
            cast(column, to)
        };
        let text = |name: &str, nullable: bool| {
            column(name, &DataType::Utf8, nullable).map(|c| c.as_string::<i32>().clone())
        };
        let number = |name: &str| {
            column(name, &DataType::Float64, false).map(|c| c.as_primitive::<Float64Type>().clone())
        };
        Ok(Self {
            event_id: text("event_id", false)?,
            competition_id: text("competition_id", false)?,
            venue_id: text("venue_id", false)?,
            contestant_id: text("contestant_id", false)?,
            stage: column("stage", &DataType::Int32, false)?
                .as_primitive::<Int32Type>()
                .clone(),
            criterion: text("criterion", false)?,
            aspect: text("aspect", false)?,
            kind: text("kind", false)?,
            judge_id: text("judge_id", true)?,
            mark: number("mark")?,
            max_mark: number("max_mark")?,
        })
    }

    /// The number of rows.
    pub(crate) fn len(&self) -> usize {
        self.competition_id.len()
    }

    /// Row `i` (less than [`len`](Self::len)).
    pub(crate) fn row(&self, i: usize) -> Score<'_> {
        Score {
            event_id: self.event_id.value(i),
            competition_id: self.competition_id.value(i),
            venue_id: self.venue_id.value(i),
            contestant_id: self.contestant_id.value(i),
            stage: self.stage.value(i),
            criterion: self.criterion.value(i),
            aspect: self.aspect.value(i),
            kind: self.kind.value(i),
            judge_id: self.judge_id.is_valid(i).then(|| self.judge_id.value(i)),
            mark: self.mark.value(i),
            max_mark: self.max_mark.value(i),
        }
    }
}

/// A judgement (`J`) or a measurement (`M`) aspect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Judged,
    Measured,
}

/// What the model groups an aspect's rows by (besides competition and contestant).
/// `max_mark` is kept as bits so that the key orders and compares exactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct AspectKey {
    stage: i32,
    criterion: String,
    aspect: String,
    kind: Kind,
    max_mark: u64,
}

/// A running mean, as SQL's `avg` computes it: the sum over the count.
#[derive(Debug, Default, Clone, Copy)]
struct Mean {
    sum: f64,
    count: u64,
}

impl Mean {
    fn add(&mut self, value: f64) {
        self.sum += value;
        self.count += 1;
    }

    fn value(&self) -> f64 {
        self.sum / self.count as f64
    }
}

/// The rows behind one aspect mark.
#[derive(Debug)]
enum Aspect {
    /// Per judge (`None`: rows without a `judge_id`, one more judge), the mean of their
    /// 0–3 marks.
    Judged(BTreeMap<Option<String>, Mean>),
    /// The mean of the measured marks.
    Measured(Mean),
}

impl Aspect {
    /// The aspect's mark: the judges' mean / 3 × `max_mark`, or the measured mean.
    fn mark(&self, max_mark: f64) -> f64 {
        match self {
            Aspect::Judged(judges) => {
                let mean = judges.values().map(Mean::value).sum::<f64>() / judges.len() as f64;
                mean / 3.0 * max_mark
            }
            Aspect::Measured(mean) => mean.value(),
        }
    }
}

/// One contestant's marks.
#[derive(Debug, Default)]
struct Contestant {
    aspects: BTreeMap<AspectKey, Aspect>,
    /// Per stage with any mark, the greatest venue it was marked at.
    stages: BTreeMap<i32, String>,
    raw_total: f64,
}

impl Contestant {
    fn total(&self) -> f64 {
        let sum: f64 = self
            .aspects
            .iter()
            .map(|(key, aspect)| aspect.mark(f64::from_bits(key.max_mark)))
            .sum();
        round6(sum)
    }
}

/// The entries of `after` that differ from those of `before` (or are not there), in
/// `after`'s order.
fn changed(before: &Leaderboard, after: &Leaderboard) -> Vec<Entry> {
    let before: HashMap<&str, &Entry> = before
        .contestants
        .iter()
        .map(|e| (e.contestant_id.as_str(), e))
        .collect();
    after
        .contestants
        .iter()
        .filter(|e| before.get(e.contestant_id.as_str()) != Some(e))
        .cloned()
        .collect()
}

/// SQL's `round(x, 6)` on a float, computed as DataFusion does.
fn round6(x: f64) -> f64 {
    const FACTOR: f64 = 1e6;
    (x * FACTOR).round() / FACTOR
}

/// SQL's `median` on floats: the middle value of a sorted slice, of an even count the
/// mean of the two middle ones. `sorted` is not empty.
fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// One competition's state.
#[derive(Debug)]
pub(crate) struct Board {
    competition_id: String,
    /// The (hashed) `event_id` of every row applied: a row is applied once.
    events: HashSet<u128>,
    /// Score rows applied: the event id.
    rows: u64,
    /// Per (stage, criterion, aspect), the greatest `max_mark` given to it.
    scheme: BTreeMap<(i32, String, String), f64>,
    contestants: HashMap<String, Contestant>,
    /// Contestants whose total must be recomputed by the next [`rank`](Self::rank).
    touched: HashSet<String>,
    standings: Arc<Leaderboard>,
}

impl Board {
    pub(crate) fn new(competition_id: &str) -> Self {
        Self {
            competition_id: competition_id.to_owned(),
            events: HashSet::new(),
            rows: 0,
            scheme: BTreeMap::new(),
            contestants: HashMap::new(),
            touched: HashSet::new(),
            standings: Arc::new(Leaderboard {
                competition_id: competition_id.to_owned(),
                event_id: 0,
                contestants: Vec::new(),
            }),
        }
    }

    /// The event id of the standings: score rows applied so far.
    pub(crate) fn event_id(&self) -> u64 {
        self.standings.event_id
    }

    /// The standings as of the last [`rank`](Self::rank).
    pub(crate) fn standings(&self) -> Arc<Leaderboard> {
        self.standings.clone()
    }

    /// Files one row of this competition, unless a row with its `event_id` was filed
    /// already (answers whether it was new); the standings change at the next
    /// [`rank`](Self::rank).
    pub(crate) fn add(&mut self, score: &Score<'_>) -> bool {
        if !self.events.insert(xxh3_128(score.event_id.as_bytes())) {
            return false;
        }
        self.rows += 1;
        let kind = match score.kind {
            "J" => Kind::Judged,
            "M" => Kind::Measured,
            _ => return true,
        };
        // One key for 0.0 and -0.0, as SQL groups them.
        let max_mark = if score.max_mark == 0.0 {
            0.0
        } else {
            score.max_mark
        };
        let scheme = self
            .scheme
            .entry((
                score.stage,
                score.criterion.to_owned(),
                score.aspect.to_owned(),
            ))
            .or_insert(max_mark);
        *scheme = scheme.max(max_mark);

        let contestant = self
            .contestants
            .entry(score.contestant_id.to_owned())
            .or_default();
        let key = AspectKey {
            stage: score.stage,
            criterion: score.criterion.to_owned(),
            aspect: score.aspect.to_owned(),
            kind,
            max_mark: max_mark.to_bits(),
        };
        let aspect = contestant.aspects.entry(key).or_insert_with(|| match kind {
            Kind::Judged => Aspect::Judged(BTreeMap::new()),
            Kind::Measured => Aspect::Measured(Mean::default()),
        });
        match aspect {
            Aspect::Judged(judges) => judges
                .entry(score.judge_id.map(str::to_owned))
                .or_default()
                .add(score.mark),
            Aspect::Measured(mean) => mean.add(score.mark),
        }
        let venue = contestant.stages.entry(score.stage).or_default();
        if score.venue_id > venue.as_str() {
            score.venue_id.clone_into(venue);
        }
        if !self.touched.contains(score.contestant_id) {
            self.touched.insert(score.contestant_id.to_owned());
        }
        true
    }

    /// Recomputes the standings after the rows added since the last call; answers the
    /// entries that differ from the previous standings (new contestants included), in
    /// leaderboard order.
    pub(crate) fn rank(&mut self) -> Vec<Entry> {
        for id in self.touched.drain() {
            if let Some(contestant) = self.contestants.get_mut(&id) {
                contestant.raw_total = contestant.total();
            }
        }
        let standings = Arc::new(Leaderboard {
            competition_id: self.competition_id.clone(),
            event_id: self.rows,
            contestants: self.entries(),
        });
        let changed = changed(&self.standings, &standings);
        self.standings = standings;
        changed
    }

    /// Every contestant's entry, in leaderboard order.
    fn entries(&self) -> Vec<Entry> {
        // Every contestant here has a mark: rows of another kind file nothing.
        let mut order: Vec<(&String, &Contestant)> = self.contestants.iter().collect();
        if order.is_empty() {
            return Vec::new();
        }
        order.sort_by(|(a_id, a), (b_id, b)| {
            b.raw_total
                .total_cmp(&a.raw_total)
                .then_with(|| a_id.cmp(b_id))
        });

        let max_possible: f64 = self.scheme.values().sum();
        let mut stages_total = 0_i64;
        let mut last_stage = None;
        for (stage, _, _) in self.scheme.keys() {
            if last_stage != Some(*stage) {
                stages_total += 1;
                last_stage = Some(*stage);
            }
        }

        let mut totals: Vec<f64> = order.iter().map(|(_, c)| c.raw_total).collect();
        totals.sort_by(f64::total_cmp);
        let median_raw = median(&totals);
        let mut deviations: Vec<f64> = totals.iter().map(|t| (t - median_raw).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        let mad = median(&deviations);

        // Per venue: (contestants seen, the last total, its rank).
        let mut venues: HashMap<&str, (u64, f64, u64)> = HashMap::new();
        let mut previous: Option<(f64, u64)> = None;
        let mut entries = Vec::with_capacity(order.len());
        for (i, (id, contestant)) in order.iter().enumerate() {
            let raw = contestant.raw_total;
            let overall_rank = match previous {
                Some((total, rank)) if total == raw => rank,
                _ => i as u64 + 1,
            };
            previous = Some((raw, overall_rank));

            let (&highest_stage, venue_id) = contestant
                .stages
                .last_key_value()
                .expect("a contestant with a mark has a stage");
            let venue = venues.entry(venue_id.as_str()).or_insert((0, f64::NAN, 0));
            venue.0 += 1;
            if venue.1 != raw {
                venue.2 = venue.0;
            }
            venue.1 = raw;
            let venue_rank = venue.2;

            let standardised_score = if mad == 0.0 {
                700.0
            } else {
                700.0 + 40.0 * (raw - median_raw) / (1.4826 * mad)
            };
            let medal = match overall_rank {
                1 => Some("gold"),
                2 => Some("silver"),
                3 => Some("bronze"),
                _ => None,
            };
            let stages_completed = contestant.stages.len() as i64;
            entries.push(Entry {
                competition_id: self.competition_id.clone(),
                contestant_id: (*id).clone(),
                venue_id: venue_id.clone(),
                raw_total: raw,
                max_possible,
                stages_completed,
                highest_stage,
                stages_total,
                progress: stages_completed as f64 / stages_total as f64,
                median_raw_total: median_raw,
                mad_raw_total: mad,
                standardised_score,
                overall_rank,
                venue_rank,
                medal,
                medallion: standardised_score >= 700.0 && overall_rank > 3,
            });
        }
        entries
    }
}
