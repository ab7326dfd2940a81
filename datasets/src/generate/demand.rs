//! Talent demand: openings and job seekers per quarter × district × occupation ×
//! national level, 2025Q1–2026Q3.
//!
//! Openings follow where the city's workers are (district size, occupation mix), hiring
//! peaks after the Spring Festival (Q1) and grows slowly; job seekers are openings divided
//! by the occupation's tightness, which is higher for the upper levels. Electricians,
//! welders and laser-equipment fitters are short; insurance claims staff are not.

use super::city::{City, stream};
use super::profile::DEMAND_SOURCES;
use super::rng::Rng;
use super::sink::{TableWriter, Value};
use crate::error::Result;

/// The quarters reported, as (year, quarter).
const PERIODS: [(i32, u32); 7] = [
    (2025, 1),
    (2025, 2),
    (2025, 3),
    (2025, 4),
    (2026, 1),
    (2026, 2),
    (2026, 3),
];
/// Hiring by quarter of the year.
const SEASON: [f64; 4] = [1.25, 1.0, 0.95, 0.9];
/// Share of openings by national level (index = level number; 0 unused).
const LEVEL_SHARE: [f64; 6] = [0.0, 0.06, 0.12, 0.22, 0.3, 0.3];
/// Chance a level's row is missing from a report (few report the top levels).
const LEVEL_SKIP: [f64; 6] = [0.0, 0.55, 0.35, 0.15, 0.1, 0.1];

/// Writes the talent-demand rows.
pub(crate) fn write_demand(city: &City, out: &mut TableWriter) -> Result<()> {
    let (nd, no) = (city.districts.len(), city.occupations.len());
    let mut counts = vec![0.0f64; nd * no];
    for w in &city.workers {
        counts[usize::from(w.district) * no + usize::from(w.occupation)] += 1.0;
    }
    let mean_weight = city.districts.iter().map(|d| d.weight).sum::<f64>() / nd as f64;
    let mut combo = 0u64;
    let mut n = 0u64;
    for (p, (year, quarter)) in PERIODS.iter().enumerate() {
        let period = format!("{year}Q{quarter}");
        let trend = SEASON[(*quarter - 1) as usize] * (1.0 + 0.03 * p as f64);
        for (d, district) in city.districts.iter().enumerate() {
            let row_counts = &counts[d * no..(d + 1) * no];
            let mean_count = row_counts.iter().sum::<f64>() / no as f64;
            for (o, occ) in city.occupations.iter().enumerate() {
                let occ_factor = (row_counts[o] + 1.0) / (mean_count + 1.0);
                for level in 1..=5usize {
                    combo += 1;
                    let mut rng = Rng::stream(city.seed, stream::DEMAND, combo);
                    let skip = if row_counts[o] == 0.0 {
                        0.7
                    } else {
                        LEVEL_SKIP[level]
                    };
                    if rng.chance(skip) {
                        continue;
                    }
                    let mean = 30.0 * district.weight / mean_weight
                        * occ_factor
                        * LEVEL_SHARE[level]
                        * trend;
                    let openings = (mean * rng.normal_with(0.0, 0.25).exp()).round();
                    let tightness = occ.shortage * (1.0 + 0.1 * (5 - level) as f64);
                    let mut seekers = (mean / tightness * rng.normal_with(0.0, 0.3).exp()).round();
                    if level <= 2 && rng.chance(0.25) {
                        seekers = 0.0;
                    }
                    n += 1;
                    out.push(&[
                        Value::Str(&format!("tdm-{n:09}")),
                        Value::Str(&period),
                        Value::Str(&district.code),
                        Value::Str(&occ.code),
                        Value::I32(level as i32),
                        Value::I64(openings as i64),
                        Value::I64(seekers as i64),
                        Value::Str(rng.weighted_pick(DEMAND_SOURCES)),
                    ])?;
                }
            }
        }
    }
    Ok(())
}
