//! Consistency checks of reference data: codes well formed and unique, references
//! between files resolved, weights summing to 1 (programme targets are checked in
//! `programmes.rs`).

use std::collections::{HashMap, HashSet};

use super::{
    COURSES_FILE, DIMENSIONS_FILE, LEVELS_FILE, OCCUPATIONS_FILE, REGIONS_FILE, Reference,
};
use crate::error::{Error, Result};

/// How far the weights of one occupation's dimensions may stray from 1.
const WEIGHT_TOLERANCE: f64 = 1e-6;

impl Reference {
    pub(super) fn validate(&self) -> Result<()> {
        let mut codes = HashSet::new();
        for r in &self.regions {
            if r.code.len() != 6 || !r.code.bytes().all(|b| b.is_ascii_digit()) {
                let reason = format!("region code '{}' is not six digits", r.code);
                return Err(Error::reference(REGIONS_FILE, reason));
            }
            if !codes.insert(r.code.as_str()) {
                let reason = format!("region code '{}' appears twice", r.code);
                return Err(Error::reference(REGIONS_FILE, reason));
            }
        }
        for r in &self.regions {
            if let Some(p) = &r.parent_code
                && !codes.contains(p.as_str())
            {
                let reason = format!("region {} names unknown parent '{p}'", r.code);
                return Err(Error::reference(REGIONS_FILE, reason));
            }
        }
        if self.districts().is_empty() {
            return Err(Error::reference(
                REGIONS_FILE,
                "no region of level district",
            ));
        }

        let mut occupations = HashSet::new();
        for o in &self.occupations {
            if !is_occupation_code(&o.code) {
                let reason = format!("occupation code '{}' is not X-XX-XX-XX", o.code);
                return Err(Error::reference(OCCUPATIONS_FILE, reason));
            }
            if !occupations.insert(o.code.as_str()) {
                let reason = format!("occupation code '{}' appears twice", o.code);
                return Err(Error::reference(OCCUPATIONS_FILE, reason));
            }
        }
        if occupations.is_empty() {
            return Err(Error::reference(OCCUPATIONS_FILE, "no occupations"));
        }

        self.validate_levels()?;
        self.validate_dimensions(&occupations)?;
        self.validate_courses(&occupations)?;
        super::programmes::validate(&self.programme_targets)
    }

    fn validate_levels(&self) -> Result<()> {
        let mut national = HashSet::new();
        for (i, l) in self.levels.iter().enumerate() {
            if usize::from(l.ladder_order) != i + 1 {
                let reason = format!(
                    "ladder orders must run 1, 2, 3, … without gaps; found {} at step {}",
                    l.ladder_order,
                    i + 1
                );
                return Err(Error::reference(LEVELS_FILE, reason));
            }
            if let Some(n) = l.national_level
                && !national.insert(n)
            {
                let reason = format!("national level {n} is given to two steps");
                return Err(Error::reference(LEVELS_FILE, reason));
            }
        }
        if self.levels.is_empty() {
            return Err(Error::reference(LEVELS_FILE, "no skill levels"));
        }
        Ok(())
    }

    fn validate_dimensions(&self, occupations: &HashSet<&str>) -> Result<()> {
        let mut sums: HashMap<&str, f64> = HashMap::new();
        let mut codes = HashSet::new();
        for d in &self.dimensions {
            if !occupations.contains(d.occupation_code.as_str()) {
                let reason = format!(
                    "dimension {} names unknown occupation '{}'",
                    d.dimension_code, d.occupation_code
                );
                return Err(Error::reference(DIMENSIONS_FILE, reason));
            }
            if !d.dimension_code.is_ascii() || d.dimension_code.is_empty() {
                let reason = format!(
                    "dimension code '{}' must be non-empty ASCII",
                    d.dimension_code
                );
                return Err(Error::reference(DIMENSIONS_FILE, reason));
            }
            if !codes.insert(d.dimension_code.as_str()) {
                let reason = format!("dimension code '{}' appears twice", d.dimension_code);
                return Err(Error::reference(DIMENSIONS_FILE, reason));
            }
            if !(d.weight > 0.0 && d.weight <= 1.0) {
                let reason = format!(
                    "dimension {} has weight {}, expected (0, 1]",
                    d.dimension_code, d.weight
                );
                return Err(Error::reference(DIMENSIONS_FILE, reason));
            }
            *sums.entry(d.occupation_code.as_str()).or_default() += d.weight;
        }
        for o in &self.occupations {
            if let Some(sum) = sums.get(o.code.as_str())
                && (sum - 1.0).abs() > WEIGHT_TOLERANCE
            {
                let reason = format!("the weights of occupation {} sum to {sum}, not 1", o.code);
                return Err(Error::reference(DIMENSIONS_FILE, reason));
            }
        }
        Ok(())
    }

    fn validate_courses(&self, occupations: &HashSet<&str>) -> Result<()> {
        let mut ids = HashSet::new();
        for c in &self.courses {
            if !ids.insert(c.course_id.as_str()) {
                let reason = format!("course id '{}' appears twice", c.course_id);
                return Err(Error::reference(COURSES_FILE, reason));
            }
            if !occupations.contains(c.occupation_code.as_str()) {
                let reason = format!(
                    "course {} names unknown occupation '{}'",
                    c.course_id, c.occupation_code
                );
                return Err(Error::reference(COURSES_FILE, reason));
            }
            if let Some(dim) = &c.dimension_code
                && !self
                    .dimensions
                    .iter()
                    .any(|d| &d.dimension_code == dim && d.occupation_code == c.occupation_code)
            {
                let reason = format!(
                    "course {} names dimension '{dim}', which is not a dimension of {}",
                    c.course_id, c.occupation_code
                );
                return Err(Error::reference(COURSES_FILE, reason));
            }
        }
        Ok(())
    }
}
/// Whether `code` has the form `X-XX-XX-XX` with digits.
fn is_occupation_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            1 | 4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}
