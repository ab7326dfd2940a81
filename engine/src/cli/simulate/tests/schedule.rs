//! The schedule: deterministic, complete, within the marking rules.

use std::collections::{HashMap, HashSet};

use skillbrain_connectors::Table;

use super::{expected_rows, options, workers};
use crate::cli::simulate::SimulationOptions;
use crate::cli::simulate::schedule::{JUDGE_MAX, Kind, plan};

#[test]
fn the_same_seed_plays_the_same_competition() {
    let a = plan(&workers(40), &options(7));
    assert_eq!(a, plan(&workers(40), &options(7)));
    assert_ne!(a, plan(&workers(40), &options(8)));
    assert_eq!(a.rows(), expected_rows(&a));
}

#[test]
fn venues_stages_and_contestants_are_as_asked() {
    let mut given = workers(40);
    given.extend(workers(5)); // repeated ids compete once
    let s = plan(&given, &options(1));
    assert_eq!(s.contestants.len(), 30);
    let ids: HashSet<&str> = s.contestants.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 30);
    let venues: Vec<&str> = s.venues.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(venues, ["V1", "V2", "V3"]);
    for v in 0..3 {
        assert_eq!(s.contestants.iter().filter(|c| c.venue == v).count(), 10);
    }
    let stages: HashSet<i32> = s.aspects.iter().map(|a| a.stage).collect();
    assert_eq!(stages, HashSet::from([1, 2, 3]));
    assert!(s.contestants.iter().all(|c| (1..=3).contains(&c.stages)));
    for stage in 1..=3 {
        let of_stage = s.aspects.iter().filter(|a| a.stage == stage);
        let kinds: HashSet<Kind> = of_stage.map(|a| a.kind).collect();
        assert_eq!(
            kinds.len(),
            2,
            "stage {stage} has both measured and judged aspects"
        );
    }

    let few = plan(
        &workers(4),
        &SimulationOptions {
            venues: 0,
            ..options(1)
        },
    );
    assert_eq!((few.contestants.len(), few.venues.len()), (4, 1));
}

#[test]
fn every_contestant_gets_every_aspect_of_every_stage_reached() {
    for seed in 0..20 {
        let s = plan(&workers(30), &options(seed));
        let mut got: HashMap<(usize, usize), Vec<Option<usize>>> = HashMap::new();
        for mark in s.pushes.iter().flat_map(|p| &p.marks) {
            got.entry((mark.contestant, mark.aspect))
                .or_default()
                .push(mark.judge);
        }
        for (c, contestant) in s.contestants.iter().enumerate() {
            for (a, aspect) in s.aspects.iter().enumerate() {
                let mut judges = got.remove(&(c, a)).unwrap_or_default();
                judges.sort();
                let want = match aspect.kind {
                    _ if aspect.stage > contestant.stages => vec![],
                    Kind::Measurement => vec![None],
                    Kind::Judgement => vec![Some(0), Some(1), Some(2)],
                };
                assert_eq!(
                    judges, want,
                    "seed {seed}, {} on {}",
                    contestant.id, aspect.name
                );
            }
        }
        assert!(got.is_empty(), "marks of no contestant or aspect: {got:?}");
        assert_eq!(s.rows(), expected_rows(&s));
    }
}

#[test]
fn judgement_marks_come_from_the_three_judges_of_the_venue_panel() {
    let s = plan(&workers(30), &options(3));
    let mut all_judges = HashSet::new();
    for venue in &s.venues {
        assert_eq!(venue.judges.len(), 3);
        for judge in &venue.judges {
            assert!(judge.starts_with(&format!("{}-J", venue.id)), "{judge}");
            assert!(
                all_judges.insert(judge.clone()),
                "{judge} sits on two panels"
            );
        }
    }
    let mut judged = 0;
    for seed in 0..20 {
        let s = plan(&workers(30), &options(seed));
        for mark in s.pushes.iter().flat_map(|p| &p.marks) {
            let row = s.row(mark, "2026-11-20T09:00:00Z");
            let venue = &s.venues[s.contestants[mark.contestant].venue];
            assert_eq!(row["venue_id"], venue.id.as_str());
            if s.aspects[mark.aspect].kind != Kind::Judgement {
                continue;
            }
            judged += 1;
            assert_eq!(row["kind"], "J");
            assert_eq!(row["judge_id"], venue.judges[mark.judge.unwrap()].as_str());
            assert!((0.0..=JUDGE_MAX).contains(&mark.mark), "{}", mark.mark);
            assert_eq!(mark.mark.fract(), 0.0, "{}", mark.mark);
            assert!(mark.mark.is_sign_positive(), "seed {seed}: {}", mark.mark);
        }
    }
    assert!(judged > 0);
}

#[test]
fn measurement_marks_lie_between_zero_and_the_aspect_maximum() {
    for seed in 0..20 {
        let s = plan(&workers(30), &options(seed));
        for mark in s.pushes.iter().flat_map(|p| &p.marks) {
            let aspect = &s.aspects[mark.aspect];
            if aspect.kind == Kind::Measurement {
                assert_eq!(mark.judge, None);
                assert!(
                    (0.0..=aspect.max_mark).contains(&mark.mark) && mark.mark.is_sign_positive(),
                    "{} of {}",
                    mark.mark,
                    aspect.max_mark
                );
                let row = s.row(mark, "2026-11-20T09:00:00Z");
                assert_eq!((&row["kind"], &row["judge_id"]), (&"M".into(), &().into()));
            }
        }
    }
}

#[test]
fn event_ids_are_unique_and_name_what_is_marked() {
    let s = plan(&workers(30), &options(5));
    let mut ids = HashSet::new();
    for mark in s.pushes.iter().flat_map(|p| &p.marks) {
        assert!(ids.insert(mark.event_id.as_str()), "{}", mark.event_id);
        let contestant = &s.contestants[mark.contestant].id;
        let aspect = &s.aspects[mark.aspect];
        let prefix = format!("CMP-TEST-{}-{contestant}-{}-", aspect.stage, aspect.name);
        assert!(mark.event_id.starts_with(&prefix), "{}", mark.event_id);
    }
    assert_eq!(ids.len(), s.rows());
}

#[test]
fn stages_are_played_in_order_in_small_pushes_from_one_venue() {
    let s = plan(&workers(30), &options(9));
    let stages: Vec<i32> = s.pushes.iter().map(|p| p.stage).collect();
    assert!(stages.windows(2).all(|w| w[0] <= w[1]), "{stages:?}");
    for push in &s.pushes {
        assert!(!push.marks.is_empty());
        let mut who = HashSet::new();
        for mark in &push.marks {
            assert_eq!(s.contestants[mark.contestant].venue, push.venue);
            assert_eq!(s.aspects[mark.aspect].stage, push.stage);
            who.insert(mark.contestant);
        }
        assert!(who.len() <= 3, "{} contestants in one push", who.len());
    }
    let venues: HashSet<usize> = s.pushes.iter().take(3).map(|p| p.venue).collect();
    assert_eq!(venues.len(), 3, "the venues take turns");
}

#[test]
fn rows_have_the_canonical_columns_of_competition_scores() {
    let s = plan(&workers(3), &options(2));
    let row = s.row(&s.pushes[0].marks[0], "2026-11-20T09:00:00Z");
    let mut columns: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    columns.sort();
    let schema = Table::CompetitionScores.schema();
    let mut canonical: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    canonical.sort();
    assert_eq!(columns, canonical);
    let body = s.ndjson(&s.pushes[0], "2026-11-20T09:00:00Z");
    assert_eq!(body.lines().count(), s.pushes[0].marks.len());
}

#[test]
fn criteria_are_lettered_past_z() {
    let s = plan(
        &workers(3),
        &SimulationOptions {
            stages: 20,
            ..options(4)
        },
    );
    let criteria: Vec<&str> = s.aspects.iter().map(|a| a.criterion.as_str()).collect();
    assert_eq!(criteria[0], "A");
    assert!(criteria.contains(&"Z") && criteria.contains(&"AA"));
    let distinct: HashSet<&str> = criteria.iter().copied().collect();
    let stages: HashSet<(i32, &str)> = s
        .aspects
        .iter()
        .map(|a| (a.stage, a.criterion.as_str()))
        .collect();
    assert_eq!(
        distinct.len(),
        stages.len(),
        "a criterion belongs to one stage"
    );
}
