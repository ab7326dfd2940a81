//! The skill ladder as the generator uses it: drawing a worker's step and the national
//! level they are assessed at.

use super::super::rng::Rng;
use crate::error::{Error, Result};
use crate::reference::{LEVELS_FILE, Reference};

/// Share of each ladder step in a neutral district and occupation (28% high-skilled; the
/// districts' and occupations' effects bring the city to about 30%).
const LADDER_SHARES: [f64; 8] = [0.10, 0.28, 0.34, 0.16, 0.075, 0.03, 0.01, 0.005];

/// The skill ladder as the generator uses it.
pub(crate) struct Ladder {
    pub steps: u8,
    /// National level by ladder order (index 0 unused).
    pub national: Vec<Option<u8>>,
    thresholds: Vec<f64>,
}

impl Ladder {
    pub(super) fn new(reference: &Reference) -> Result<Ladder> {
        let steps = reference.levels.len() as u8;
        if !reference.levels.iter().any(|l| l.national_level.is_some()) {
            let reason = "the ladder has no step with a national level";
            return Err(Error::reference(LEVELS_FILE, reason));
        }
        let shares: Vec<f64> = if steps == 8 {
            LADDER_SHARES.to_vec()
        } else {
            (0..steps).map(|i| f64::from(steps - i)).collect()
        };
        let total: f64 = shares.iter().sum();
        let mut cum = 0.0;
        let mut thresholds = Vec::new();
        for s in &shares[..shares.len() - 1] {
            cum += s / total;
            thresholds.push((cum / (1.0 - cum)).ln());
        }
        let mut national = vec![None];
        national.extend(reference.levels.iter().map(|l| l.national_level));
        Ok(Ladder {
            steps,
            national,
            thresholds,
        })
    }

    /// A ladder step drawn by ordered logit with location `eta`.
    pub(super) fn draw(&self, rng: &mut Rng, eta: f64) -> u8 {
        let z = rng.logistic() + eta;
        1 + self.thresholds.iter().filter(|t| **t < z).count() as u8
    }

    /// The national level a worker on `step` is assessed at: the step's own, or the
    /// nearest one below (学徒工 → 5) or above (特级技师 → 1).
    pub fn assessed_level(&self, step: u8) -> u8 {
        let step = usize::from(step);
        if let Some(n) = self.national[step] {
            return n;
        }
        let below = self.national[1..step].iter().rev().flatten().next();
        let above = self.national[step..].iter().flatten().next();
        match (below, above) {
            (Some(b), _) if above.is_none() => *b,
            (_, Some(a)) => *a,
            _ => 5,
        }
    }
}
