//! Raw CSV bytes through the shipped assessment-export mapping and `map_records`, with
//! the embedded reference data. Never a panic; no rejection carries more than 201
//! characters of raw value.
#![no_main]

mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use skillbrain_connectors::identity::Pseudonymizer;
use skillbrain_connectors::mapping::{Mapping, MappingContext, map_records};
use skillbrain_connectors::normalize::{Codes, LevelStep};
use skillbrain_connectors::raw::{RawFormat, RawOptions, read_raw_bytes};

const MAPPING: &str = include_str!("../../connectors/mappings/assessment_export.toml");
const REGIONS: &str = include_str!("../../datasets/data/regions.csv");
const OCCUPATIONS: &str = include_str!("../../datasets/data/occupations.csv");
const LEVELS: &str = include_str!("../../datasets/data/skill_levels.csv");

/// The rows of a small reference CSV, header skipped (no quoted fields in these files).
fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().skip(1).map(|line| line.split(',').collect())
}

fn setup() -> &'static (Mapping, Codes, Pseudonymizer) {
    static SETUP: OnceLock<(Mapping, Codes, Pseudonymizer)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let mapping = Mapping::from_toml(MAPPING).expect("the shipped mapping");
        let pairs = |text| rows(text).map(|r| (r[0].to_owned(), r[1].to_owned()));
        let levels = rows(LEVELS).map(|r| LevelStep {
            ladder_order: r[0].parse().expect("a ladder order"),
            name: r[1].to_owned(),
            alt_name: Some(r[2].to_owned()).filter(|a| !a.is_empty()),
            national_level: r[3].parse().ok(),
        });
        let codes = Codes::new(pairs(REGIONS), pairs(OCCUPATIONS), levels);
        let secret = Pseudonymizer::new(b"skillbrain-fuzz-secret-0123456789").expect("long enough");
        (mapping, codes, secret)
    })
}

fuzz_target!(|data: &[u8]| {
    common::run(|| {
        let (mapping, codes, pseudonymizer) = setup();
        let ctx = MappingContext {
            codes,
            pseudonymizer,
            region_of_enterprise: None,
        };
        let opts = RawOptions::default();
        let Ok(raw) = read_raw_bytes("fuzz.csv", data.to_vec(), RawFormat::Csv, &opts) else {
            return;
        };
        if let Ok(out) = map_records(raw, mapping, &ctx, 4) {
            for reject in &out.rejects {
                assert!(reject.raw_value.chars().count() <= 201, "{reject:?}");
            }
            assert!(out.rows_accepted() <= out.rows_read);
        }
    });
});
