use std::collections::{HashMap, HashSet};

use skillbrain_connectors::Table;

use super::super::city::{self, City};
use super::*;

#[test]
fn about_thirty_percent_are_high_skilled_more_in_yueqing_than_wencheng() {
    let reference = Reference::embedded();
    let city = City::build(&reference, 5, 40_000).unwrap();
    let high = |w: &&&city::Worker| reference.level_by_ladder(w.ladder).unwrap().high_skilled;
    let share = |ws: Vec<&city::Worker>| ws.iter().filter(high).count() as f64 / ws.len() as f64;
    let overall = share(city.workers.iter().collect());
    assert!(
        (0.2..=0.4).contains(&overall),
        "high-skilled share {overall}"
    );
    let in_district = |code: &str| {
        let d = city.districts.iter().position(|d| d.code == code).unwrap() as u16;
        share(city.workers.iter().filter(|w| w.district == d).collect())
    };
    assert!(in_district("330382") > in_district("330328") + 0.05);
    let steps: HashSet<u8> = city.workers.iter().map(|w| w.ladder).collect();
    assert_eq!(steps.len(), 8, "every ladder step occurs");
}

#[test]
fn scores_rise_with_level_and_demand_differs_by_occupation() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        &opts(dir.path(), 4000, 2, Format::Csv),
        &Reference::embedded(),
    )
    .unwrap();
    let results = Rows::read(dir.path(), Table::AssessmentResults);
    let mut by_level: HashMap<i32, (f64, f64)> = HashMap::new();
    for (l, s) in results
        .values("level_attempted")
        .zip(results.values("total_score"))
    {
        let e = by_level.entry(l.parse().unwrap()).or_default();
        e.0 += s.parse::<f64>().unwrap();
        e.1 += 1.0;
    }
    let mean = |levels: &[i32]| {
        let (s, n) = levels
            .iter()
            .filter_map(|l| by_level.get(l))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        s / n
    };
    let (high, low) = (mean(&[1, 2, 3]), mean(&[5]));
    assert!(
        high > low + 5.0,
        "mean score at levels 1–3 {high}, at level 5 {low}"
    );
    let mobile = results.values("channel").filter(|c| *c == "mobile").count() as f64
        / results.rows.len() as f64;
    assert!((0.5..0.7).contains(&mobile), "mobile share {mobile}");

    let demand = Rows::read(dir.path(), Table::TalentDemand);
    let mut totals: HashMap<&str, (i64, i64)> = HashMap::new();
    for ((o, open), seek) in demand
        .values("occupation_code")
        .zip(demand.values("openings"))
        .zip(demand.values("job_seekers"))
    {
        let t = totals.entry(o).or_default();
        t.0 += open.parse::<i64>().unwrap();
        t.1 += seek.parse::<i64>().unwrap();
    }
    let ratio = |o: &str| totals[o].0 as f64 / totals[o].1 as f64;
    for short in ["6-31-01-03", "6-18-02-04", "6-25-04-04"] {
        assert!(ratio(short) > 1.2, "{short}: ratio {}", ratio(short));
    }
    assert!(
        ratio("2-06-10-03") < 1.0,
        "insurance claims ratio {}",
        ratio("2-06-10-03")
    );
    assert!(demand.values("job_seekers").any(|s| s == "0"));
    let periods: HashSet<&str> = demand.values("period").collect();
    assert_eq!(periods.len(), 7);
    assert!(periods.contains("2025Q1") && periods.contains("2026Q3"));
}

#[test]
fn training_raises_later_scores() {
    let reference = Reference::embedded();
    let city = City::build(&reference, 9, 6000).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path(), 6000, 9, Format::Csv);
    o.assessments = Some(60_000);
    generate(&o, &reference).unwrap();
    let results = Rows::read(dir.path(), Table::AssessmentResults);
    let index: HashMap<String, usize> = (0..city.workers.len())
        .map(|i| (City::worker_id(i), i))
        .collect();
    let (mut before, mut after) = ((0.0, 0.0), (0.0, 0.0));
    let (w, t, s) = (
        results.col("worker_id"),
        results.col("taken_at"),
        results.col("total_score"),
    );
    let mut first_training: HashMap<usize, Option<String>> = HashMap::new();
    for r in &results.rows {
        let i = index[&r[w]];
        let first = first_training.entry(i).or_insert_with(|| {
            city.trainings(i).iter().find(|x| x.completed).map(|x| {
                let mut text = String::new();
                super::super::time::write_rfc3339(x.completed_at, &mut text);
                text
            })
        });
        if let Some(first) = first {
            let side = if r[t] > **first {
                &mut after
            } else {
                &mut before
            };
            side.0 += r[s].parse::<f64>().unwrap();
            side.1 += 1.0;
        }
    }
    let (b, a) = (before.0 / before.1, after.0 / after.1);
    assert!(a > b + 3.5, "mean before training {b}, after {a}");
}

#[test]
fn competitions_span_venues_stages_and_three_judges() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        &opts(dir.path(), 3000, 4, Format::Csv),
        &Reference::embedded(),
    )
    .unwrap();
    let rows = Rows::read(dir.path(), Table::CompetitionScores);
    let competitions: HashSet<&str> = rows.values("competition_id").collect();
    assert!(competitions.len() >= 2);
    let (c, v, st, kind, judge, mark, max) = (
        rows.col("competition_id"),
        rows.col("venue_id"),
        rows.col("stage"),
        rows.col("kind"),
        rows.col("judge_id"),
        rows.col("mark"),
        rows.col("max_mark"),
    );
    for id in &competitions {
        let mine: Vec<_> = rows.rows.iter().filter(|r| &r[c] == *id).collect();
        assert!(
            mine.iter().map(|r| &r[v]).collect::<HashSet<_>>().len() >= 2,
            "{id}: one venue"
        );
        assert_eq!(
            mine.iter().map(|r| &r[st]).collect::<HashSet<_>>().len(),
            3,
            "{id}: stages"
        );
    }
    for r in &rows.rows {
        let (m, mx): (f64, f64) = (r[mark].parse().unwrap(), r[max].parse().unwrap());
        match &r[kind] {
            "M" => assert!(r[judge].is_empty() && (0.0..=mx).contains(&m)),
            "J" => assert!(
                ["J1", "J2", "J3"].contains(&&r[judge])
                    && m.fract() == 0.0
                    && (0.0..=3.0).contains(&m)
            ),
            k => panic!("kind {k}"),
        }
    }
}
