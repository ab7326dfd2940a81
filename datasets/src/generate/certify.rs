//! Certificates (a worker's history up the ladder) and mentorships (师带徒).

use std::collections::HashMap;

use super::city::{City, NO_ENTERPRISE, stream};
use super::profile::{APPRENTICE_ISSUER, ISSUERS, TOP_ISSUER};
use super::rng::Rng;
use super::sink::{TableWriter, Value};
use super::time::{DAY, END, MONTH, START, YEAR, date, working_time};
use crate::error::Result;

/// Who issued a certificate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Issuer {
    /// The worker's own enterprise (企业自主评价).
    Enterprise,
    Named(&'static str),
}

/// One certificate: the ladder step it attests and when it was issued.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Certificate {
    pub step: u8,
    pub issued_at: i64,
    pub issuer: Issuer,
}

impl City<'_> {
    /// The certificates of worker `i`, oldest first; the last is the current step.
    /// Empty for workers who hold none.
    pub(crate) fn certificates(&self, i: usize) -> Vec<Certificate> {
        let w = &self.workers[i];
        let mut rng = Rng::stream(self.seed, stream::CERTIFICATE, i as u64);
        let employed = w.enterprise != NO_ENTERPRISE;
        let adult = date(i32::from(w.birth_year) + 18, 7, 1);
        if w.ladder == 1 {
            if !rng.chance(0.3) {
                return Vec::new();
            }
            let issuer = if employed {
                Issuer::Enterprise
            } else {
                Issuer::Named(APPRENTICE_ISSUER)
            };
            let issued_at = working_time(&mut rng, START.max(adult), END);
            return vec![Certificate {
                step: 1,
                issued_at,
                issuer,
            }];
        }
        if !rng.chance(0.88) {
            return Vec::new();
        }
        let earlier = rng.weighted(&[0.35, 0.35, 0.2, 0.1]) as u8;
        let first = w.ladder.saturating_sub(earlier).max(2);
        let lo = if rng.chance(0.45) {
            START
        } else {
            date(2012, 1, 1)
        };
        let lo = lo.max(adult + YEAR).min(END - 30 * DAY);
        let mut at = working_time(&mut rng, lo, END);
        let mut out = Vec::new();
        for step in (first..=w.ladder).rev() {
            if at < adult {
                break;
            }
            let issuer = match self
                .ladder
                .national
                .get(usize::from(step))
                .copied()
                .flatten()
            {
                None => Issuer::Named(TOP_ISSUER),
                Some(_) if employed && rng.chance(0.3) => Issuer::Enterprise,
                Some(_) => Issuer::Named(rng.weighted_pick(ISSUERS)),
            };
            out.push(Certificate {
                step,
                issued_at: at,
                issuer,
            });
            at -= rng.range(18, 48) as i64 * MONTH + rng.range(0, 30) as i64 * DAY;
        }
        out.reverse();
        out
    }
}

/// Writes every worker's certificates.
pub(crate) fn write_certifications(city: &City, out: &mut TableWriter) -> Result<()> {
    let mut n = 0u64;
    let mut enterprise_names: HashMap<u32, String> = HashMap::new();
    for (i, w) in city.workers.iter().enumerate() {
        let certificates = city.certificates(i);
        if certificates.is_empty() {
            continue;
        }
        let id = City::worker_id(i);
        let occupation = &city.occupations[usize::from(w.occupation)].code;
        for c in certificates {
            n += 1;
            let event_id = format!("crt-{n:09}");
            let issuer: &str = match c.issuer {
                Issuer::Named(name) => name,
                Issuer::Enterprise => {
                    if enterprise_names.len() > 4096 {
                        enterprise_names.clear();
                    }
                    enterprise_names
                        .entry(w.enterprise)
                        .or_insert_with(|| city.enterprise_name(w.enterprise))
                }
            };
            let level = city.ladder.national[usize::from(c.step)];
            out.push(&[
                Value::Str(&event_id),
                Value::Str(&id),
                Value::Str(occupation),
                level.map_or(Value::Null, |l| Value::I32(i32::from(l))),
                Value::I32(i32::from(c.step)),
                Value::Ts(c.issued_at),
                Value::Str(issuer),
            ])?;
        }
    }
    Ok(())
}

/// Writes mentorships: ~5% of workers on the lower steps are apprentices of a mentor of
/// the same occupation at 技师 or above (or at least a higher step), preferably from the
/// same district. Some apprentices rose a step within a year of signing.
pub(crate) fn write_mentorships(city: &City, out: &mut TableWriter) -> Result<()> {
    let mentor_step = 5.min(city.ladder.steps);
    let mut by_occupation: HashMap<u16, Vec<u32>> = HashMap::new();
    let mut by_district: HashMap<(u16, u16), Vec<u32>> = HashMap::new();
    for (i, w) in city.workers.iter().enumerate() {
        if w.ladder >= mentor_step {
            by_occupation
                .entry(w.occupation)
                .or_default()
                .push(i as u32);
            by_district
                .entry((w.occupation, w.district))
                .or_default()
                .push(i as u32);
        }
    }
    let mut n = 0u64;
    for (i, w) in city.workers.iter().enumerate() {
        if w.ladder >= mentor_step || w.ladder > 4 {
            continue;
        }
        let mut rng = Rng::stream(city.seed, stream::MENTORSHIP, i as u64);
        if !rng.chance(if w.ladder <= 3 { 0.075 } else { 0.02 }) {
            continue;
        }
        let local = by_district.get(&(w.occupation, w.district));
        let pool = match (local, by_occupation.get(&w.occupation)) {
            (Some(l), _) if rng.chance(0.7) => l,
            (_, Some(all)) => all,
            _ => continue,
        };
        let mentor = pool[rng.index(pool.len())] as usize;
        let last = city.certificates(i).last().copied();
        let (signed_at, target_step) = match last {
            Some(c)
                if c.step == w.ladder
                    && c.step >= 2
                    && c.issued_at >= START + 6 * MONTH
                    && rng.chance(0.6) =>
            {
                let before = rng.range(2, 11) as i64 * MONTH + rng.range(0, 30) as i64 * DAY;
                (c.issued_at - before, w.ladder)
            }
            _ => (working_time(&mut rng, START, END - 30 * DAY), w.ladder + 1),
        };
        let target = city
            .ladder
            .national
            .get(usize::from(target_step))
            .copied()
            .flatten();
        let ended_at = if rng.chance(0.35) {
            let end = signed_at + rng.range(12, 25) as i64 * MONTH;
            (end < END).then_some(end)
        } else {
            None
        };
        n += 1;
        let event_id = format!("mnt-{n:09}");
        let occupation = &city.occupations[usize::from(w.occupation)].code;
        out.push(&[
            Value::Str(&event_id),
            Value::Str(&City::worker_id(mentor)),
            Value::Str(&City::worker_id(i)),
            Value::Str(occupation),
            Value::Ts(signed_at),
            target.map_or(Value::Null, |l| Value::I32(i32::from(l))),
            ended_at.map_or(Value::Null, Value::Ts),
        ])?;
    }
    Ok(())
}
