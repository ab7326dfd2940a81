//! The city model: districts, industries, occupations, enterprises and workers.
//!
//! Only what other tables need to agree on is kept per worker (a few bytes: enterprise,
//! district, occupation, ladder step, ability); names, positions, certificates and
//! courses are re-derived from the worker's own random stream whenever a table needs them.

use std::collections::HashMap;

use super::profile::{ELECTRICAL, ELECTRICAL_HUBS};
use super::rng::{Rng, mix64};
use crate::error::{Error, Result};
use crate::reference::Reference;

mod ladder;
mod resolve;

pub(crate) use ladder::Ladder;

/// Random stream numbers, one per kind of thing generated.
pub(crate) mod stream {
    pub const ENTERPRISE: u64 = 1;
    pub const WORKER: u64 = 2;
    pub const PROFILE: u64 = 3;
    pub const CERTIFICATE: u64 = 4;
    pub const TRAINING: u64 = 5;
    pub const ASSESSMENT: u64 = 6;
    pub const MENTORSHIP: u64 = 7;
    pub const COMPETITION: u64 = 8;
    pub const DEMAND: u64 = 9;
    pub const OCCUPATION: u64 = 10;
}

/// Marks a worker without an enterprise (灵活就业).
pub(crate) const NO_ENTERPRISE: u32 = u32::MAX;
/// Marks an enterprise without a systematically weak dimension.
pub(crate) const NO_WEAK: u8 = u8::MAX;

/// A district with its size, skill effect and industry mix.
pub(crate) struct District {
    pub code: String,
    /// The name without its 市/区/县 suffix, used in enterprise names.
    pub short: String,
    pub weight: f64,
    pub skill: f64,
    pub mobile: f64,
    /// Weight of each industry (index into `City::industries`).
    pub industries: Vec<f64>,
}

pub(crate) struct Industry {
    pub name: &'static str,
    pub suffixes: &'static [&'static str],
    /// Weight of each occupation (index into `City::occupations`).
    pub occupations: Vec<f64>,
}

pub(crate) struct Dim {
    pub code: String,
    pub weight: f64,
    /// How much easier (positive) or harder this dimension is than the occupation's mean.
    pub offset: f64,
}

pub(crate) struct Occupation {
    pub code: String,
    pub skill: f64,
    pub female: f64,
    pub shortage: f64,
    pub positions: Vec<String>,
    pub dims: Vec<Dim>,
    /// Indices into `Reference::courses`.
    pub courses: Vec<usize>,
}

pub(crate) struct Enterprise {
    pub district: u16,
    pub industry: u8,
    pub quality: f32,
    /// Which dimension slot (modulo an occupation's dimension count) the enterprise's
    /// workers are weak in, or [`NO_WEAK`].
    pub weak_slot: u8,
    pub weak_penalty: f32,
}

pub(crate) struct Worker {
    pub enterprise: u32,
    pub district: u16,
    pub occupation: u16,
    /// Current step on the skill ladder (1-based).
    pub ladder: u8,
    pub female: bool,
    pub birth_year: u16,
    /// Latent ability, standard normal.
    pub ability: f32,
    /// Relative number of assessments the worker takes (0 = none).
    pub assess_weight: u8,
}

pub(crate) struct City<'r> {
    pub seed: u64,
    pub reference: &'r Reference,
    pub districts: Vec<District>,
    pub industries: Vec<Industry>,
    pub occupations: Vec<Occupation>,
    pub ladder: Ladder,
    pub enterprises: Vec<Enterprise>,
    pub workers: Vec<Worker>,
}

impl<'r> City<'r> {
    /// Builds the enterprises and workers of a city of `workers` workers.
    pub fn build(reference: &'r Reference, seed: u64, workers: u64) -> Result<City<'r>> {
        if workers == 0 || workers > u64::from(u32::MAX - 1) {
            return Err(Error::InvalidOption(format!(
                "workers must be between 1 and {}, got {workers}",
                u32::MAX - 1
            )));
        }
        let occupations = resolve::occupations(reference, seed);
        let index: HashMap<&str, usize> = occupations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.code.as_str(), i))
            .collect();
        let industries = resolve::industries(&index, occupations.len());
        let districts = resolve::districts(reference, &industries);
        let mut city = City {
            seed,
            reference,
            districts,
            industries,
            occupations,
            ladder: Ladder::new(reference)?,
            enterprises: Vec::new(),
            workers: Vec::new(),
        };
        city.build_enterprises(workers.div_ceil(40));
        city.build_workers(workers);
        Ok(city)
    }

    fn build_enterprises(&mut self, n: u64) {
        let weights: Vec<f64> = self.districts.iter().map(|d| d.weight).collect();
        self.enterprises = (0..n)
            .map(|e| {
                let mut rng = Rng::stream(self.seed, stream::ENTERPRISE, e);
                let district = rng.weighted(&weights);
                let industry = rng.weighted(&self.districts[district].industries);
                let quality = rng.normal_with(0.0, 0.35) as f32;
                let (weak_slot, weak_penalty) = if rng.chance(0.3) {
                    (rng.range(0, 8) as u8, rng.range_f64(10.0, 15.0) as f32)
                } else {
                    (NO_WEAK, 0.0)
                };
                Enterprise {
                    district: district as u16,
                    industry: industry as u8,
                    quality,
                    weak_slot,
                    weak_penalty,
                }
            })
            .collect();
    }

    fn build_workers(&mut self, n: u64) {
        let district_weights: Vec<f64> = self.districts.iter().map(|d| d.weight).collect();
        let mut cum = Vec::with_capacity(self.enterprises.len());
        let mut total = 0.0;
        for e in 0..self.enterprises.len() {
            total += Rng::stream(self.seed, stream::ENTERPRISE, e as u64 ^ (1 << 40))
                .normal()
                .exp();
            cum.push(total);
        }
        let mut workers = Vec::with_capacity(n as usize);
        for i in 0..n {
            let mut rng = Rng::stream(self.seed, stream::WORKER, i);
            let (enterprise, district, industry) = if rng.chance(0.97) {
                let x = rng.uniform() * total;
                let e = cum.partition_point(|c| *c <= x).min(cum.len() - 1);
                let ent = &self.enterprises[e];
                let district = if rng.chance(0.88) {
                    usize::from(ent.district)
                } else {
                    rng.weighted(&district_weights)
                };
                (e as u32, district, usize::from(ent.industry))
            } else {
                let district = rng.weighted(&district_weights);
                (
                    NO_ENTERPRISE,
                    district,
                    rng.weighted(&self.districts[district].industries),
                )
            };
            let occupation = rng.weighted(&self.industries[industry].occupations);
            let occ = &self.occupations[occupation];
            let dist = &self.districts[district];
            let female = rng.chance(occ.female);
            let age = rng.normal_with(38.0, 9.5).round().clamp(19.0, 60.0);
            let mut eta = dist.skill + occ.skill + 0.04 * (age - 38.0);
            if ELECTRICAL.contains(&occ.code.as_str())
                && ELECTRICAL_HUBS.contains(&dist.code.as_str())
            {
                eta += 0.3;
            }
            if age < 24.0 {
                eta -= 0.6;
            }
            if enterprise != NO_ENTERPRISE {
                eta += f64::from(self.enterprises[enterprise as usize].quality);
            }
            let ladder = self.ladder.draw(&mut rng, eta);
            let ability = rng.normal() as f32;
            let assess_weight = if rng.chance(0.12) {
                0
            } else {
                1 + rng.weighted(&[30.0, 25.0, 18.0, 12.0, 8.0, 7.0]) as u8
            };
            workers.push(Worker {
                enterprise,
                district: district as u16,
                occupation: occupation as u16,
                ladder,
                female,
                birth_year: (2026.0 - age) as u16,
                ability,
                assess_weight,
            });
        }
        self.workers = workers;
    }

    /// The pseudonymous ID of worker `i`: `w` and 16 hex digits, unique per index.
    pub fn worker_id(i: usize) -> String {
        format!("w{:016x}", mix64(i as u64 ^ 0x5EED_0000_0000))
    }

    /// The ID of enterprise `e`.
    pub fn enterprise_id(e: u32) -> String {
        format!("ent-{:06}", e + 1)
    }
}
