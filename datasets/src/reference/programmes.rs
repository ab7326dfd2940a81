//! Programme targets: what a union set out to reach in a year (mentor–apprentice pairs
//! signed, apprentices up a level, …), per region, with the text each number comes from.
//!
//! The targets are the yardstick of the `programme_progress` model, which counts the
//! same metric in the lake. A target's region is a GB/T 2260 code but need not be one of
//! the city's regions: a union elsewhere may be the one that stated it.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::PROGRAMME_TARGETS_FILE;
use crate::error::{Error, Result};

/// One yearly target of a programme in one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeTarget {
    /// ASCII code of the programme, e.g. `wuqian_mentoring`.
    pub programme: String,
    /// Chinese name of the programme.
    pub programme_name: String,
    /// The year the target is for.
    pub year: i32,
    /// Six-digit GB/T 2260 code: a city for a city-wide target, or a district.
    pub region_code: String,
    /// Chinese name of the region.
    pub region_name: String,
    /// What is counted, e.g. `mentorship_pairs_signed`.
    pub metric: String,
    /// The number to reach (a minimum).
    pub target: f64,
    /// The unit the source states it in, e.g. `对`, `人`.
    pub unit: String,
    /// Where the number comes from: document, line and the quoted words.
    pub source: String,
}

/// Checks the targets: codes well formed, positive numbers, a source for each, and one
/// row per programme, year, region and metric.
pub(super) fn validate(targets: &[ProgrammeTarget]) -> Result<()> {
    let err = |reason: String| Err(Error::reference(PROGRAMME_TARGETS_FILE, reason));
    let mut keys = HashSet::new();
    for t in targets {
        let what = format!("{} {} {} {}", t.programme, t.year, t.region_code, t.metric);
        if !is_snake_ascii(&t.programme) || !is_snake_ascii(&t.metric) {
            return err(format!(
                "{what}: programme and metric must be lower-case ASCII words joined by '_'"
            ));
        }
        if t.region_code.len() != 6 || !t.region_code.bytes().all(|b| b.is_ascii_digit()) {
            return err(format!("{what}: region code is not six digits"));
        }
        if !(1949..=2100).contains(&t.year) {
            return err(format!("{what}: year {} is out of range", t.year));
        }
        if !(t.target.is_finite() && t.target > 0.0) {
            return err(format!("{what}: target {} must be above 0", t.target));
        }
        if t.source.trim().is_empty() {
            return err(format!("{what}: no source given"));
        }
        if !keys.insert((&t.programme, t.year, &t.region_code, &t.metric)) {
            return err(format!("{what}: appears twice"));
        }
    }
    Ok(())
}

fn is_snake_ascii(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
