//! The competition played: its marking scheme, the venues and their judge panels, the
//! contestants, and every mark grouped into the pushes that deliver it, in order. All of
//! it is drawn from the seed; nothing here reads the clock or touches the network.
//!
//! Stages are played one after the other at every venue at once. Within a stage each
//! venue marks one criterion at a time across its contestants (in a drawn order), and
//! sends what it has marked in small pushes: one to three contestants' marks of that
//! criterion each, the venues taking turns. A contestant may withdraw before a stage
//! after the first and gets no mark from then on.

use std::collections::{HashSet, VecDeque};

use serde_json::{Value, json};

use super::SimulationOptions;
use skillbrain_datasets::generate::rng::{Rng, hash_str, mix64};

/// Judges on each venue's panel.
pub(crate) const JUDGES: usize = 3;
/// The highest mark a judge gives.
pub(crate) const JUDGE_MAX: f64 = 3.0;
/// The most stages a competition is played with.
const MAX_STAGES: usize = 20;
/// The chance that a contestant withdraws before each stage after the first.
const WITHDRAW: f64 = 0.05;
/// The most contestants' marks of one criterion a push carries.
const MAX_PER_PUSH: usize = 3;

/// How an aspect is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// One mark between 0 and the aspect's maximum (`M`).
    Measurement,
    /// A 0–3 mark from each judge of the venue's panel (`J`).
    Judgement,
}

impl Kind {
    /// The `kind` column's value.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Kind::Measurement => "M",
            Kind::Judgement => "J",
        }
    }
}

/// One aspect of the marking scheme.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Aspect {
    /// The stage (1-based) the aspect is marked in.
    pub(crate) stage: i32,
    /// The criterion: `A`, `B`, …, lettered across the stages.
    pub(crate) criterion: String,
    /// The aspect: the criterion and a number, `A1`.
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// The aspect's weight in the total.
    pub(crate) max_mark: f64,
}

/// A venue and its judge panel.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Venue {
    /// `V1`, `V2`, …
    pub(crate) id: String,
    /// `<venue>-J1`, `<venue>-J2`, `<venue>-J3`.
    pub(crate) judges: Vec<String>,
}

/// A contestant, where they compete and how far they get.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Contestant {
    /// A worker_id.
    pub(crate) id: String,
    /// Index into [`Schedule::venues`].
    pub(crate) venue: usize,
    /// Stages played (1 to the number of stages).
    pub(crate) stages: i32,
}

/// One row of `competition_scores`, by reference to the schedule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mark {
    /// Deterministic, so that a mark sent again is recognised as a duplicate.
    pub(crate) event_id: String,
    /// Index into [`Schedule::contestants`].
    pub(crate) contestant: usize,
    /// Index into [`Schedule::aspects`].
    pub(crate) aspect: usize,
    /// Index into the venue's judges; `None` for a measurement.
    pub(crate) judge: Option<usize>,
    pub(crate) mark: f64,
}

/// The marks one request sends, all from one venue.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Push {
    /// Index into [`Schedule::venues`].
    pub(crate) venue: usize,
    pub(crate) stage: i32,
    pub(crate) marks: Vec<Mark>,
}

/// The whole competition, as it will be pushed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schedule {
    pub(crate) competition_id: String,
    pub(crate) venues: Vec<Venue>,
    pub(crate) contestants: Vec<Contestant>,
    pub(crate) aspects: Vec<Aspect>,
    pub(crate) pushes: Vec<Push>,
}

impl Schedule {
    /// The rows of `push` as NDJSON, each stamped `scored_at`.
    pub(crate) fn ndjson(&self, push: &Push, scored_at: &str) -> String {
        let mut out = String::new();
        for mark in &push.marks {
            out.push_str(&self.row(mark, scored_at).to_string());
            out.push('\n');
        }
        out
    }

    /// One mark in the canonical columns of `competition_scores`.
    pub(crate) fn row(&self, mark: &Mark, scored_at: &str) -> Value {
        let contestant = &self.contestants[mark.contestant];
        let venue = &self.venues[contestant.venue];
        let aspect = &self.aspects[mark.aspect];
        json!({
            "event_id": mark.event_id,
            "competition_id": self.competition_id,
            "venue_id": venue.id,
            "contestant_id": contestant.id,
            "stage": aspect.stage,
            "criterion": aspect.criterion,
            "aspect": aspect.name,
            "kind": aspect.kind.code(),
            "judge_id": mark.judge.map(|j| venue.judges[j].as_str()),
            "mark": mark.mark,
            "max_mark": aspect.max_mark,
            "scored_at": scored_at,
        })
    }

    /// Rows in all pushes.
    pub(crate) fn rows(&self) -> usize {
        self.pushes.iter().map(|p| p.marks.len()).sum()
    }
}

/// Plays the competition `options` describe among `contestants` (duplicates ignored; at
/// most `options.contestants` of them, drawn by the seed).
pub(crate) fn plan(contestants: &[String], options: &SimulationOptions) -> Schedule {
    let mut rng = Rng::new(mix64(options.seed) ^ hash_str(&options.competition_id));
    let venue_count = options.venues.max(1);
    let stage_count = options.stages.clamp(1, MAX_STAGES) as i32;

    let venues: Vec<Venue> = (1..=venue_count)
        .map(|v| {
            let id = format!("V{v}");
            let judges = (1..=JUDGES).map(|j| format!("{id}-J{j}")).collect();
            Venue { id, judges }
        })
        .collect();
    // A judge's leniency, the same on every aspect.
    let bias: Vec<Vec<f64>> = venues
        .iter()
        .map(|_| (0..JUDGES).map(|_| rng.normal_with(0.0, 0.25)).collect())
        .collect();

    let mut seen = HashSet::new();
    let mut pool: Vec<&str> = contestants
        .iter()
        .map(String::as_str)
        .filter(|id| seen.insert(*id))
        .collect();
    rng.shuffle(&mut pool);
    pool.truncate(options.contestants);
    let mut skill = Vec::with_capacity(pool.len());
    let contestants: Vec<Contestant> = pool
        .iter()
        .enumerate()
        .map(|(k, id)| {
            skill.push(rng.normal());
            let mut stages = 1;
            while stages < stage_count && !rng.chance(WITHDRAW) {
                stages += 1;
            }
            Contestant {
                id: (*id).to_owned(),
                venue: k % venue_count,
                stages,
            }
        })
        .collect();

    let aspects = scheme(&mut rng, stage_count);
    let mut schedule = Schedule {
        competition_id: options.competition_id.clone(),
        venues,
        contestants,
        aspects,
        pushes: Vec::new(),
    };
    for stage in 1..=stage_count {
        let mut criteria: Vec<&str> = Vec::new();
        for a in schedule.aspects.iter().filter(|a| a.stage == stage) {
            if criteria.last() != Some(&a.criterion.as_str()) {
                criteria.push(&a.criterion);
            }
        }
        // Per venue, each contestant's marks of one criterion, in marking order.
        let mut queues: Vec<VecDeque<Vec<Mark>>> = vec![VecDeque::new(); venue_count];
        for criterion in &criteria {
            for (v, queue) in queues.iter_mut().enumerate() {
                let mut at_venue: Vec<usize> = (0..schedule.contestants.len())
                    .filter(|&c| {
                        let who = &schedule.contestants[c];
                        who.venue == v && who.stages >= stage
                    })
                    .collect();
                rng.shuffle(&mut at_venue);
                for c in at_venue {
                    let marks = mark_criterion(&schedule, &mut rng, c, criterion, skill[c], &bias);
                    queue.push_back(marks);
                }
            }
        }
        while queues.iter().any(|q| !q.is_empty()) {
            for (venue, queue) in queues.iter_mut().enumerate() {
                if queue.is_empty() {
                    continue;
                }
                let n = (1 + rng.index(MAX_PER_PUSH)).min(queue.len());
                let marks = queue.drain(..n).flatten().collect();
                schedule.pushes.push(Push {
                    venue,
                    stage,
                    marks,
                });
            }
        }
    }
    schedule
}

/// The marking scheme: per stage two or three criteria of two to four aspects each; a
/// criterion's first aspect is measured, its second judged, the others judged about a
/// third of the time.
fn scheme(rng: &mut Rng, stages: i32) -> Vec<Aspect> {
    let mut out = Vec::new();
    let mut letter = 0;
    for stage in 1..=stages {
        for _ in 0..2 + rng.index(2) {
            let criterion = criterion_name(letter);
            letter += 1;
            for k in 1..=2 + rng.index(3) {
                let judged = k == 2 || (k > 2 && rng.chance(0.35));
                let (kind, maxima): (Kind, &[f64]) = if judged {
                    (Kind::Judgement, &[1.0, 2.0, 3.0])
                } else {
                    (Kind::Measurement, &[0.5, 1.0, 1.5, 2.0, 3.0])
                };
                out.push(Aspect {
                    stage,
                    criterion: criterion.clone(),
                    name: format!("{criterion}{k}"),
                    kind,
                    max_mark: *rng.pick(maxima),
                });
            }
        }
    }
    out
}

/// `A`, …, `Z`, `AA`, `AB`, … for 0, 1, …
fn criterion_name(mut n: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Contestant `c`'s marks on every aspect of `criterion`: one per measurement, one per
/// judge of the venue's panel per judgement.
fn mark_criterion(
    schedule: &Schedule,
    rng: &mut Rng,
    c: usize,
    criterion: &str,
    skill: f64,
    bias: &[Vec<f64>],
) -> Vec<Mark> {
    let contestant = &schedule.contestants[c];
    let venue = &schedule.venues[contestant.venue];
    let mut marks = Vec::new();
    for (i, aspect) in schedule.aspects.iter().enumerate() {
        if aspect.criterion != criterion {
            continue;
        }
        let event = |who: &str| {
            let (competition, stage) = (&schedule.competition_id, aspect.stage);
            format!(
                "{competition}-{stage}-{}-{}-{who}",
                contestant.id, aspect.name
            )
        };
        match aspect.kind {
            Kind::Measurement => {
                let z = 0.6 + 1.1 * skill + rng.normal_with(0.0, 0.7);
                let share = 1.0 / (1.0 + (-z).exp());
                let mark = ((aspect.max_mark * share * 10.0).round() / 10.0).min(aspect.max_mark);
                marks.push(Mark {
                    event_id: event("M"),
                    contestant: c,
                    aspect: i,
                    judge: None,
                    mark,
                });
            }
            Kind::Judgement => {
                let quality = rng
                    .normal_with(1.6 + 0.7 * skill, 0.5)
                    .clamp(0.0, JUDGE_MAX);
                for (j, judge) in venue.judges.iter().enumerate() {
                    let mark = rng
                        .normal_with(quality + bias[contestant.venue][j], 0.45)
                        .round()
                        .clamp(0.0, JUDGE_MAX)
                        .abs(); // -0.0 rounded from a small negative draw is 0
                    marks.push(Mark {
                        event_id: event(judge),
                        contestant: c,
                        aspect: i,
                        judge: Some(j),
                        mark,
                    });
                }
            }
        }
    }
    marks
}
