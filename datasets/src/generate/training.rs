//! Training records: about a third of workers take one to three courses of their
//! occupation; enterprises steer their workers to courses on their weak dimension.

use super::city::{City, NO_ENTERPRISE, NO_WEAK, stream};
use super::rng::{Rng, hash_str, round1};
use super::sink::{TableWriter, Value};
use super::time::{DAY, END, MONTH, START, working_time};
use crate::error::Result;

/// Standard course lengths in hours; a course's length is fixed by its ID.
const COURSE_HOURS: [f64; 9] = [8.0, 16.0, 24.0, 32.0, 40.0, 48.0, 64.0, 80.0, 120.0];

/// One course a worker took.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Training {
    /// Index into `Reference::courses`.
    pub course: usize,
    /// Index of the course's dimension among the occupation's dimensions.
    pub dim: Option<usize>,
    pub completed_at: i64,
    pub hours: f64,
    pub completed: bool,
}

impl City<'_> {
    /// The courses worker `i` took, oldest first.
    pub(crate) fn trainings(&self, i: usize) -> Vec<Training> {
        let w = &self.workers[i];
        let occ = &self.occupations[usize::from(w.occupation)];
        if occ.courses.is_empty() {
            return Vec::new();
        }
        let mut rng = Rng::stream(self.seed, stream::TRAINING, i as u64);
        let weak_dim = match self.enterprises.get(w.enterprise as usize) {
            Some(e)
                if w.enterprise != NO_ENTERPRISE
                    && e.weak_slot != NO_WEAK
                    && !occ.dims.is_empty() =>
            {
                Some(usize::from(e.weak_slot) % occ.dims.len())
            }
            _ => None,
        };
        let p = if weak_dim.is_some() { 0.45 } else { 0.33 };
        if !rng.chance(p) {
            return Vec::new();
        }
        let dim_of = |course: usize| {
            let code = self.reference.courses[course].dimension_code.as_deref()?;
            occ.dims.iter().position(|d| d.code == code)
        };
        let targeted: Vec<usize> = occ
            .courses
            .iter()
            .copied()
            .filter(|c| weak_dim.is_some() && dim_of(*c) == weak_dim)
            .collect();
        let count = 1 + rng.weighted(&[6.0, 3.0, 1.0]);
        let mut out: Vec<Training> = (0..count)
            .map(|_| {
                let course = if !targeted.is_empty() && rng.chance(0.6) {
                    *rng.pick(&targeted)
                } else {
                    *rng.pick(&occ.courses)
                };
                let standard = COURSE_HOURS
                    [(hash_str(&self.reference.courses[course].course_id) % 9) as usize];
                let completed = rng.chance(0.9);
                let hours = if completed {
                    standard
                } else {
                    round1(standard * rng.range_f64(0.2, 0.8))
                };
                let completed_at = working_time(&mut rng, START + MONTH, END - 7 * DAY);
                Training {
                    course,
                    dim: dim_of(course),
                    completed_at,
                    hours,
                    completed,
                }
            })
            .collect();
        out.sort_by_key(|t| t.completed_at);
        out
    }
}

/// Writes every worker's training records.
pub(crate) fn write_training(city: &City, out: &mut TableWriter) -> Result<()> {
    let mut n = 0u64;
    for i in 0..city.workers.len() {
        let trainings = city.trainings(i);
        if trainings.is_empty() {
            continue;
        }
        let id = City::worker_id(i);
        for t in trainings {
            n += 1;
            let event_id = format!("trn-{n:09}");
            let course = &city.reference.courses[t.course];
            out.push(&[
                Value::Str(&event_id),
                Value::Str(&id),
                Value::Str(&course.course_id),
                Value::Str(&course.course_name),
                Value::Str(&course.occupation_code),
                Value::Str(&course.provider),
                Value::F64(t.hours),
                Value::Ts(t.completed_at),
                Value::Bool(t.completed),
            ])?;
        }
    }
    Ok(())
}
