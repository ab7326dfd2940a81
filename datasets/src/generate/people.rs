//! The reference tables: enterprises and workers (with a newer version of ~2% of workers).

use super::city::{City, NO_ENTERPRISE, stream};
use super::profile::{BRAND_CHARS, FEMALE_CHARS, MALE_CHARS, SURNAMES};
use super::rng::Rng;
use super::sink::{TableWriter, Value};
use super::time::{DAY, END, MONTH, START, working_time};
use crate::error::Result;

/// Share of workers whose record is updated later (a second, newer row).
const UPDATED_SHARE: f64 = 0.02;

/// What a worker's record says, derived from the worker's own random stream.
pub(crate) struct Profile {
    pub name_masked: String,
    pub position: String,
    pub updated_at: i64,
    /// A later version of the record: when, and the new position.
    pub update: Option<(i64, String)>,
}

impl Profile {
    /// The position the worker holds at time `t`.
    pub fn position_at(&self, t: i64) -> &str {
        match &self.update {
            Some((at, position)) if t >= *at => position,
            _ => &self.position,
        }
    }
}

impl City<'_> {
    /// The record of worker `i`.
    pub(crate) fn profile(&self, i: usize) -> Profile {
        let w = &self.workers[i];
        let occ = &self.occupations[usize::from(w.occupation)];
        let mut rng = Rng::stream(self.seed, stream::PROFILE, i as u64);
        let surname = rng.weighted_pick(SURNAMES);
        let given = if w.female { FEMALE_CHARS } else { MALE_CHARS };
        let name_masked = if rng.chance(0.8) {
            format!("{surname}*{}", rng.pick(given))
        } else {
            format!("{surname}*")
        };
        let position = rng.pick(&occ.positions).clone();
        let updated_at = working_time(&mut rng, START, START + 18 * MONTH);
        let update = rng.chance(UPDATED_SHARE).then(|| {
            let at = working_time(&mut rng, updated_at + DAY, END);
            let others: Vec<&String> = occ.positions.iter().filter(|p| **p != position).collect();
            let new = if others.is_empty() || rng.chance(0.3) {
                format!("{position}班组长")
            } else {
                rng.pick(&others).to_string()
            };
            (at, new)
        });
        Profile {
            name_masked,
            position,
            updated_at,
            update,
        }
    }

    /// The name of enterprise `e`, e.g. `乐清宏达电气有限公司`.
    pub(crate) fn enterprise_name(&self, e: u32) -> String {
        let ent = &self.enterprises[e as usize];
        let mut rng = Rng::stream(self.seed, stream::ENTERPRISE, u64::from(e) ^ (1 << 41));
        let district = &self.districts[usize::from(ent.district)];
        let industry = &self.industries[usize::from(ent.industry)];
        let (a, b) = (rng.pick(BRAND_CHARS), rng.pick(BRAND_CHARS));
        let suffix = rng.pick(industry.suffixes);
        format!("{}{a}{b}{suffix}", district.short)
    }

    /// When enterprise `e` was registered on the platform.
    fn enterprise_updated_at(&self, e: u32) -> i64 {
        let mut rng = Rng::stream(self.seed, stream::ENTERPRISE, u64::from(e) ^ (1 << 42));
        working_time(&mut rng, START, START + 3 * MONTH)
    }

    /// The enterprise ID of worker `i`, if employed.
    pub(crate) fn worker_enterprise_id(&self, i: usize) -> Option<String> {
        let e = self.workers[i].enterprise;
        (e != NO_ENTERPRISE).then(|| City::enterprise_id(e))
    }
}

/// Writes one row per enterprise.
pub(crate) fn write_enterprises(city: &City, out: &mut TableWriter) -> Result<()> {
    for (e, ent) in city.enterprises.iter().enumerate() {
        let e = e as u32;
        let id = City::enterprise_id(e);
        let name = city.enterprise_name(e);
        let district = &city.districts[usize::from(ent.district)];
        let industry = city.industries[usize::from(ent.industry)].name;
        out.push(&[
            Value::Str(&id),
            Value::Str(&name),
            Value::Str(&district.code),
            Value::Str(industry),
            Value::Ts(city.enterprise_updated_at(e)),
        ])?;
    }
    Ok(())
}

/// Writes one row per worker, followed by the newer version of an updated record.
pub(crate) fn write_workers(city: &City, out: &mut TableWriter) -> Result<()> {
    for (i, w) in city.workers.iter().enumerate() {
        let id = City::worker_id(i);
        let profile = city.profile(i);
        let enterprise = city.worker_enterprise_id(i);
        let region = &city.districts[usize::from(w.district)].code;
        let occupation = &city.occupations[usize::from(w.occupation)].code;
        let gender = if w.female { "F" } else { "M" };
        let mut row = |position: &str, at: i64| {
            out.push(&[
                Value::Str(&id),
                Value::Str(&profile.name_masked),
                Value::Str(gender),
                Value::I32(i32::from(w.birth_year)),
                Value::Str(region),
                enterprise.as_deref().into(),
                Value::Str(position),
                Value::Str(occupation),
                Value::Ts(at),
            ])
        };
        row(&profile.position, profile.updated_at)?;
        if let Some((at, position)) = &profile.update {
            row(position, *at)?;
        }
    }
    Ok(())
}
