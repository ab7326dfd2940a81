//! Resolving the Wenzhou profiles against a reference: unknown codes get neutral
//! defaults, industries without a known occupation are dropped.

use std::collections::HashMap;

use super::super::profile::{self, DistrictProfile, INDUSTRIES, IndustryProfile};
use super::super::rng::Rng;
use super::{Dim, District, Industry, Occupation, stream};
use crate::reference::Reference;

pub(super) fn occupations(reference: &Reference, seed: u64) -> Vec<Occupation> {
    reference
        .occupations
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let p = profile::occupation_profile(&o.code);
            let mut rng = Rng::stream(seed, stream::OCCUPATION, i as u64);
            let dims = reference
                .dimensions_for(&o.code)
                .into_iter()
                .map(|d| Dim {
                    code: d.dimension_code.clone(),
                    weight: d.weight,
                    offset: rng.normal_with(0.0, 3.0),
                })
                .collect();
            let courses = reference
                .courses
                .iter()
                .enumerate()
                .filter(|(_, c)| c.occupation_code == o.code)
                .map(|(i, _)| i)
                .collect();
            Occupation {
                code: o.code.clone(),
                skill: p.map_or(0.0, |p| p.skill),
                female: p.map_or(0.2, |p| p.female),
                shortage: p.map_or(1.0, |p| p.shortage),
                positions: match p {
                    Some(p) => p.positions.iter().map(|s| s.to_string()).collect(),
                    None => vec![o.name.clone()],
                },
                dims,
                courses,
            }
        })
        .collect()
}

pub(super) fn industries(index: &HashMap<&str, usize>, n: usize) -> Vec<Industry> {
    let resolve = |p: &IndustryProfile| -> Vec<f64> {
        let mut w = vec![0.0; n];
        for (code, weight) in p.occupations {
            if let Some(i) = index.get(code) {
                w[*i] += weight;
            }
        }
        w
    };
    let mut out: Vec<Industry> = INDUSTRIES
        .iter()
        .map(|p| Industry {
            name: p.name,
            suffixes: p.suffixes,
            occupations: resolve(p),
        })
        .filter(|i| i.occupations.iter().any(|w| *w > 0.0))
        .collect();
    if out.is_empty() {
        out.push(Industry {
            name: "制造业",
            suffixes: &["有限公司"],
            occupations: vec![1.0; n],
        });
    }
    out
}

pub(super) fn districts(reference: &Reference, industries: &[Industry]) -> Vec<District> {
    reference
        .districts()
        .into_iter()
        .map(|r| {
            let p: Option<&DistrictProfile> = profile::district_profile(&r.code);
            let mut weights: Vec<f64> = industries
                .iter()
                .map(|i| {
                    p.and_then(|p| p.industries.iter().find(|(n, _)| *n == i.name))
                        .map_or(0.0, |(_, w)| *w)
                })
                .collect();
            if weights.iter().all(|w| *w == 0.0) {
                weights = vec![1.0; industries.len()];
            }
            let short = r.name.trim_end_matches(['市', '区', '县']);
            District {
                code: r.code.clone(),
                short: if short.is_empty() {
                    r.name.clone()
                } else {
                    short.to_string()
                },
                weight: p.map_or(1.0, |p| p.weight),
                skill: p.map_or(0.0, |p| p.skill),
                mobile: p.map_or(0.6, |p| p.mobile),
                industries: weights,
            }
        })
        .collect()
}
