//! Assessment results and their ability-dimension scores, streamed worker by worker.
//!
//! A worker's dimension score rises with the ladder step and the worker's ability, a
//! little with time, after a completed course (most on the course's dimension), and falls
//! on the dimension the worker's enterprise is weak in and when the worker attempts the
//! level above their own. The total is the weighted sum of the rounded dimension scores.

use std::fmt::Write;

use indicatif::ProgressBar;

use super::city::{City, NO_WEAK, stream};
use super::rng::{Rng, round1};
use super::sink::{TableWriter, Value};
use super::time::{END, START, YEAR, working_time, year_month};
use super::training::Training;
use crate::error::Result;

/// Every score is out of 100.
const MAX_SCORE: f64 = 100.0;
/// Pass mark of an assessment.
const PASS_MARK: f64 = 60.0;

/// Writes `total` assessments, shared among workers in proportion to their weight.
pub(crate) fn write_assessments(
    city: &City,
    total: u64,
    results: &mut TableWriter,
    scores: &mut TableWriter,
    bar: &ProgressBar,
) -> Result<()> {
    let uniform = city.workers.iter().all(|w| w.assess_weight == 0);
    let weight = |w: &super::city::Worker| {
        if uniform {
            1
        } else {
            u128::from(w.assess_weight)
        }
    };
    let weight_total: u128 = city.workers.iter().map(weight).sum();
    let mut cum: u128 = 0;
    let mut n: u64 = 0;
    let mut event_id = String::new();
    let mut assessment_id = String::new();
    let mut dim_scores: Vec<f64> = Vec::new();
    for (i, w) in city.workers.iter().enumerate() {
        let before = cum * u128::from(total) / weight_total;
        cum += weight(w);
        let count = (cum * u128::from(total) / weight_total - before) as u64;
        if count == 0 {
            continue;
        }
        let occ = &city.occupations[usize::from(w.occupation)];
        let district = &city.districts[usize::from(w.district)];
        let worker_id = City::worker_id(i);
        let enterprise_id = city.worker_enterprise_id(i);
        let profile = city.profile(i);
        let trainings = city.trainings(i);
        let weak = city
            .enterprises
            .get(w.enterprise as usize)
            .filter(|e| e.weak_slot != NO_WEAK && !occ.dims.is_empty())
            .map(|e| {
                (
                    usize::from(e.weak_slot) % occ.dims.len(),
                    f64::from(e.weak_penalty),
                )
            });
        let own_level = city.ladder.assessed_level(w.ladder);
        let mut rng = Rng::stream(city.seed, stream::ASSESSMENT, i as u64);
        let span = (END - START) as i128;
        for j in 0..count {
            let lo = START + (span * i128::from(j) / i128::from(count)) as i64;
            let hi = START + (span * i128::from(j + 1) / i128::from(count)) as i64;
            let taken_at = working_time(&mut rng, lo, hi);
            let reach = w.ladder >= 2 && own_level > 1 && rng.chance(0.3);
            let attempted = if reach { own_level - 1 } else { own_level };
            let mobile = rng.chance(district.mobile);
            let done = |t: &&Training| t.completed && t.completed_at < taken_at;
            let years = (taken_at - START) as f64 / YEAR as f64;
            let mut base =
                55.0 + 4.5 * f64::from(w.ladder - 1) + 6.0 * f64::from(w.ability) + 1.2 * years;
            if reach {
                base -= 5.0;
            }
            if trainings.iter().any(|t| done(&t)) {
                base += 3.0;
            }
            dim_scores.clear();
            let mut total_score = 0.0;
            for (d, dim) in occ.dims.iter().enumerate() {
                let mut mu = base + dim.offset;
                if trainings.iter().filter(done).any(|t| t.dim == Some(d)) {
                    mu += 6.0;
                }
                if let Some((slot, penalty)) = weak
                    && slot == d
                {
                    mu -= penalty;
                }
                let s = round1(rng.normal_with(mu, 7.0).clamp(0.0, MAX_SCORE));
                total_score += dim.weight * s;
                dim_scores.push(s);
            }
            if occ.dims.is_empty() {
                total_score = rng.normal_with(base, 8.0).clamp(0.0, MAX_SCORE);
            }
            let total_score = round1(total_score);

            n += 1;
            event_id.clear();
            let _ = write!(event_id, "asr-{n:09}");
            assessment_id.clear();
            let (y, m) = year_month(taken_at);
            let venue = if mobile { "m" } else { district.code.as_str() };
            let _ = write!(assessment_id, "as-{}-{y}{m:02}-{venue}", occ.code);
            results.push(&[
                Value::Str(&event_id),
                Value::Str(&assessment_id),
                Value::Str(&worker_id),
                enterprise_id.as_deref().into(),
                Value::Str(&district.code),
                Value::Str(&occ.code),
                Value::Str(profile.position_at(taken_at)),
                Value::I32(i32::from(attempted)),
                Value::Str(if mobile { "mobile" } else { "onsite" }),
                Value::Ts(taken_at),
                Value::F64(total_score),
                Value::F64(MAX_SCORE),
                Value::Bool(total_score >= PASS_MARK),
            ])?;
            for (dim, s) in occ.dims.iter().zip(&dim_scores) {
                scores.push(&[
                    Value::Str(&event_id),
                    Value::Str(&dim.code),
                    Value::F64(*s),
                    Value::F64(MAX_SCORE),
                ])?;
            }
        }
        bar.inc(count);
    }
    Ok(())
}
