//! Competition scores, after WorldSkills practice: each competition has stages, each
//! stage criteria (A, B, C, …), each criterion aspects; a measurement aspect (`M`) gets
//! one mark between 0 and its maximum, a judgement aspect (`J`) gets a 0–3 mark from each
//! of three judges. Contestants compete at several venues at once (异地同赛).

use std::collections::HashMap;

use super::city::{City, stream};
use super::rng::{Rng, round1};
use super::sink::{TableWriter, Value};
use super::time::{HOUR, MINUTE, date};
use crate::error::Result;

/// A competition to stage if its occupation has enough workers.
struct Spec {
    id: &'static str,
    occupation: &'static str,
    date: (i32, u32, u32),
    venues: usize,
    contestants: usize,
}

const COMPETITIONS: &[Spec] = &[
    Spec {
        id: "CMP-2025-ELC",
        occupation: "6-31-01-03",
        date: (2025, 5, 17),
        venues: 3,
        contestants: 48,
    },
    Spec {
        id: "CMP-2025-INS",
        occupation: "2-06-10-03",
        date: (2025, 9, 20),
        venues: 2,
        contestants: 24,
    },
    Spec {
        id: "CMP-2026-LSR",
        occupation: "6-25-04-04",
        date: (2026, 6, 13),
        venues: 2,
        contestants: 30,
    },
    Spec {
        id: "CMP-2026-WLD",
        occupation: "6-18-02-04",
        date: (2026, 10, 24),
        venues: 3,
        contestants: 40,
    },
];

/// Fewest contestants a competition is held with.
const MIN_CONTESTANTS: usize = 3;
const STAGES: i32 = 3;
const JUDGES: [&str; 3] = ["J1", "J2", "J3"];

struct Aspect {
    name: String,
    criterion: String,
    judged: bool,
    max_mark: f64,
}

/// Writes the competitions' marks (at least two competitions when the city is big
/// enough to field them).
pub(crate) fn write_competitions(city: &City, out: &mut TableWriter) -> Result<()> {
    let mut by_occupation: HashMap<&str, Vec<u32>> = HashMap::new();
    for (i, w) in city.workers.iter().enumerate() {
        let code = city.occupations[usize::from(w.occupation)].code.as_str();
        by_occupation.entry(code).or_default().push(i as u32);
    }
    let mut held: Vec<(String, &str, i64, usize, usize)> = COMPETITIONS
        .iter()
        .filter(|s| {
            by_occupation
                .get(s.occupation)
                .is_some_and(|v| v.len() >= MIN_CONTESTANTS)
        })
        .map(|s| {
            (
                s.id.to_string(),
                s.occupation,
                date(s.date.0, s.date.1, s.date.2),
                s.venues,
                s.contestants,
            )
        })
        .collect();
    if held.len() < 2 {
        let mut others: Vec<(&str, usize)> = by_occupation
            .iter()
            .filter(|(code, v)| v.len() >= MIN_CONTESTANTS && !held.iter().any(|h| h.1 == **code))
            .map(|(code, v)| (*code, v.len()))
            .collect();
        others.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (k, (code, _)) in others.into_iter().take(2 - held.len()).enumerate() {
            held.push((
                format!("CMP-2026-{:02}", k + 1),
                code,
                date(2026, 3 + k as u32, 21),
                2,
                24,
            ));
        }
    }
    let mut n = 0u64;
    for (c, (id, occupation, day, venues, wanted)) in held.iter().enumerate() {
        let mut rng = Rng::stream(city.seed, stream::COMPETITION, c as u64);
        let candidates = &by_occupation[occupation];
        let mut pool: Vec<u32> = candidates
            .iter()
            .copied()
            .filter(|i| city.workers[*i as usize].ladder >= 3)
            .collect();
        if pool.len() < *wanted {
            pool = candidates.clone();
        }
        let count = (*wanted).min(pool.len());
        for k in 0..count {
            let j = k + rng.index(pool.len() - k);
            pool.swap(k, j);
        }
        pool.truncate(count);
        let aspects = layout(&mut rng);
        let bias: Vec<f64> = JUDGES.iter().map(|_| rng.normal_with(0.0, 0.25)).collect();
        let skill: Vec<f64> = pool
            .iter()
            .map(|i| {
                let w = &city.workers[*i as usize];
                f64::from(w.ability)
                    + 0.35 * (f64::from(w.ladder) - 4.0)
                    + rng.normal_with(0.0, 0.4)
            })
            .collect();
        let finishes: Vec<bool> = pool.iter().map(|_| !rng.chance(0.06)).collect();
        for stage in 1..=STAGES {
            for (k, worker) in pool.iter().enumerate() {
                if stage == STAGES && !finishes[k] {
                    continue;
                }
                let contestant = City::worker_id(*worker as usize);
                let venue = format!("V{}", 1 + k % venues);
                let mut at =
                    day + 30 * MINUTE + i64::from(stage - 1) * 3 * HOUR + (k as i64 % 20) * MINUTE;
                for a in aspects.iter().filter(|a| a.stage == stage) {
                    at += rng.range(1, 4) as i64 * MINUTE;
                    let z = skill[k];
                    let mut row = |judge: Option<&str>, mark: f64| -> Result<()> {
                        n += 1;
                        out.push(&[
                            Value::Str(&format!("cmp-{n:09}")),
                            Value::Str(id),
                            Value::Str(&venue),
                            Value::Str(&contestant),
                            Value::I32(stage),
                            Value::Str(&a.aspect.criterion),
                            Value::Str(&a.aspect.name),
                            Value::Str(if a.aspect.judged { "J" } else { "M" }),
                            judge.into(),
                            Value::F64(mark),
                            Value::F64(a.aspect.max_mark),
                            Value::Ts(at),
                        ])
                    };
                    if a.aspect.judged {
                        let quality = rng.normal_with(1.6 + 0.7 * z, 0.5).clamp(0.0, 3.0);
                        for (j, judge) in JUDGES.iter().enumerate() {
                            let mark = rng
                                .normal_with(quality + bias[j], 0.45)
                                .round()
                                .clamp(0.0, 3.0);
                            row(Some(judge), mark)?;
                        }
                    } else {
                        let p = 1.0 / (1.0 + (-(0.6 + 1.1 * z + rng.normal_with(0.0, 0.7))).exp());
                        row(None, round1(a.aspect.max_mark * p))?;
                    }
                }
            }
        }
    }
    Ok(())
}

struct StagedAspect {
    stage: i32,
    aspect: Aspect,
}

/// The marking scheme of one competition: criteria lettered across stages, three to
/// five aspects each, about a third of them judged.
fn layout(rng: &mut Rng) -> Vec<StagedAspect> {
    let mut out = Vec::new();
    let mut letter = b'A';
    for stage in 1..=STAGES {
        for _ in 0..2 + rng.index(2) {
            let criterion = (letter as char).to_string();
            letter += 1;
            for k in 1..=3 + rng.index(3) {
                let judged = rng.chance(0.35);
                let marks: &[f64] = if judged {
                    &[1.0, 2.0, 3.0]
                } else {
                    &[0.5, 1.0, 1.5, 2.0, 3.0]
                };
                let aspect = Aspect {
                    name: format!("{criterion}{k}"),
                    criterion: criterion.clone(),
                    judged,
                    max_mark: *rng.pick(marks),
                };
                out.push(StagedAspect { stage, aspect });
            }
        }
    }
    out
}
