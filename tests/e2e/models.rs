//! `talent_stock` and `talent_gap` compared with values computed here, directly from
//! the generated CSV files, with plain Rust maps (no SQL).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use skillbrain::read_csv;

use crate::city::shared;

type Row = HashMap<String, String>;

/// The current row per worker: the one with the latest updated_at.
fn current_workers(rows: &[Row]) -> HashMap<String, &Row> {
    let mut latest: HashMap<String, &Row> = HashMap::new();
    for r in rows {
        let id = r["worker_id"].clone();
        match latest.get(&id) {
            Some(prev) if prev["updated_at"] >= r["updated_at"] => {}
            _ => {
                latest.insert(id, r);
            }
        }
    }
    latest
}

/// (region, occupation, ladder) → (workers, assessed, sum of latest score_pct).
type StockKey = (String, String, i64);

pub(crate) fn expected_stock() -> BTreeMap<StockKey, (i64, i64, f64)> {
    let dir = shared().files();
    let workers = read_csv(&dir.join("workers.csv"));
    let certs = read_csv(&dir.join("certifications.csv"));
    let assessments = read_csv(&dir.join("assessment_results.csv"));

    let mut best_step: HashMap<(String, String), i64> = HashMap::new();
    for c in &certs {
        let step: i64 = c["ladder_order"].parse().unwrap();
        let e = best_step
            .entry((c["worker_id"].clone(), c["occupation_code"].clone()))
            .or_insert(step);
        *e = (*e).max(step);
    }
    // Latest assessment per (worker, occupation); the best score among ties.
    let mut latest: HashMap<(String, String), (String, f64)> = HashMap::new();
    for a in &assessments {
        let pct = 100.0 * a["total_score"].parse::<f64>().unwrap()
            / a["max_score"].parse::<f64>().unwrap();
        let key = (a["worker_id"].clone(), a["occupation_code"].clone());
        let t = a["taken_at"].clone();
        match latest.get(&key) {
            Some((pt, ps)) if *pt > t || (*pt == t && *ps >= pct) => {}
            _ => {
                latest.insert(key, (t, pct));
            }
        }
    }
    let mut out: BTreeMap<StockKey, (i64, i64, f64)> = BTreeMap::new();
    for (id, w) in current_workers(&workers) {
        let occ = w["occupation_code"].clone();
        if occ.is_empty() {
            continue;
        }
        let Some(step) = best_step.get(&(id.clone(), occ.clone())) else {
            continue;
        };
        let e = out
            .entry((w["region_code"].clone(), occ.clone(), *step))
            .or_insert((0, 0, 0.0));
        e.0 += 1;
        if let Some((_, pct)) = latest.get(&(id, occ)) {
            e.1 += 1;
            e.2 += pct;
        }
    }
    out
}

fn model_rows(name: &str) -> Vec<serde_json::Map<String, Value>> {
    let city = shared();
    let csv_text = city.cmd(&["sql", "--format", "json", &format!("select * from {name}")]);
    let v: Value = serde_json::from_str(&csv_text).expect("sql --format json prints JSON");
    v.as_array()
        .expect("an array of rows")
        .iter()
        .map(|r| r.as_object().expect("a row object").clone())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn talent_stock_matches_an_independent_computation() {
    let expected = expected_stock();
    assert!(
        expected.len() > 20,
        "the test city is too small to mean much"
    );
    let rows = model_rows("talent_stock");
    assert_eq!(
        rows.len(),
        expected.len(),
        "one row per region × occupation × step"
    );

    // High-skill share per region × occupation, from the expected counts.
    let mut totals: HashMap<(String, String), (i64, i64)> = HashMap::new();
    for ((region, occ, step), (n, _, _)) in &expected {
        let t = totals.entry((region.clone(), occ.clone())).or_default();
        t.0 += n;
        if *step >= 4 {
            t.1 += n;
        }
    }
    for r in &rows {
        let key = (
            r["region_code"].as_str().unwrap().to_string(),
            r["occupation_code"].as_str().unwrap().to_string(),
            r["ladder_order"].as_i64().unwrap(),
        );
        let (n, assessed, sum) = expected
            .get(&key)
            .unwrap_or_else(|| panic!("unexpected row {key:?}"));
        assert_eq!(r["workers"].as_i64().unwrap(), *n, "{key:?} workers");
        assert_eq!(
            r["assessed_workers"].as_i64().unwrap(),
            *assessed,
            "{key:?} assessed"
        );
        if *assessed > 0 {
            let avg = r["avg_latest_score"].as_f64().unwrap();
            assert!(
                close(avg, sum / *assessed as f64),
                "{key:?} avg {avg} vs {}",
                sum / *assessed as f64
            );
        } else {
            assert!(r["avg_latest_score"].is_null());
        }
        let (all, high) = totals[&(key.0.clone(), key.1.clone())];
        let share = r["high_skill_share"].as_f64().unwrap();
        assert!(
            close(share, high as f64 / all as f64),
            "{key:?} share {share}"
        );
        assert_eq!(r["high_skilled"].as_bool().unwrap(), key.2 >= 4);
    }
    // The city as a whole is plausible: roughly 30% high-skilled.
    let (all, high) = totals.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let share = high as f64 / all as f64;
    assert!(
        (0.15..0.45).contains(&share),
        "city-wide high-skill share {share}"
    );
}

#[test]
fn talent_gap_matches_an_independent_computation() {
    let dir = shared().files();
    let demand = read_csv(&dir.join("talent_demand.csv"));
    let mut expected: BTreeMap<(String, String, i64, String), (i64, i64)> = BTreeMap::new();
    for d in &demand {
        let key = (
            d["region_code"].clone(),
            d["occupation_code"].clone(),
            d["level"].parse().unwrap(),
            d["period"].clone(),
        );
        let e = expected.entry(key).or_default();
        e.0 += d["openings"].parse::<i64>().unwrap();
        e.1 += d["job_seekers"].parse::<i64>().unwrap();
    }
    // Certified workers per region × occupation × national level: ladder steps 2..=6
    // are national levels 5..=1.
    let mut certified: HashMap<(String, String, i64), i64> = HashMap::new();
    for ((region, occ, step), (n, _, _)) in expected_stock() {
        if (2..=6).contains(&step) {
            *certified.entry((region, occ, 7 - step)).or_default() += n;
        }
    }
    let rows = model_rows("talent_gap");
    assert_eq!(rows.len(), expected.len());
    let mut zero_seekers = 0;
    let mut shortages = 0;
    for r in &rows {
        let key = (
            r["region_code"].as_str().unwrap().to_string(),
            r["occupation_code"].as_str().unwrap().to_string(),
            r["level"].as_i64().unwrap(),
            r["period"].as_str().unwrap().to_string(),
        );
        let (openings, seekers) = expected[&key];
        assert_eq!(r["openings"].as_i64().unwrap(), openings, "{key:?}");
        assert_eq!(r["job_seekers"].as_i64().unwrap(), seekers, "{key:?}");
        assert_eq!(r["gap"].as_i64().unwrap(), openings - seekers, "{key:?}");
        if seekers == 0 {
            zero_seekers += 1;
            assert!(
                r["vacancy_ratio"].is_null(),
                "{key:?}: ratio must be null without seekers"
            );
        } else {
            let ratio = r["vacancy_ratio"].as_f64().unwrap();
            assert!(close(ratio, openings as f64 / seekers as f64), "{key:?}");
        }
        if openings > seekers {
            shortages += 1;
        }
        let cert = certified
            .get(&(key.0.clone(), key.1.clone(), key.2))
            .copied()
            .unwrap_or(0);
        assert_eq!(r["certified_workers"].as_i64().unwrap(), cert, "{key:?}");
    }
    assert!(
        zero_seekers > 0,
        "the city should exercise a period without seekers"
    );
    assert!(
        shortages > 0 && shortages < rows.len(),
        "demand above supply for some, below for others"
    );
}
