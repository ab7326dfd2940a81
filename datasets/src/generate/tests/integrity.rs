use std::collections::{HashMap, HashSet};

use skillbrain_connectors::Table;

use super::super::rng::round1;
use super::*;

#[test]
fn ids_referenced_across_tables_exist() {
    let reference = Reference::embedded();
    let dir = tempfile::tempdir().unwrap();
    generate(&opts(dir.path(), 600, 11, Format::Csv), &reference).unwrap();
    let d = dir.path();
    let districts: HashSet<&str> = reference
        .districts()
        .iter()
        .map(|r| r.code.as_str())
        .collect();
    let occupations: HashSet<&str> = reference
        .occupations
        .iter()
        .map(|o| o.code.as_str())
        .collect();

    let enterprises = Rows::read(d, Table::Enterprises);
    let enterprise_ids: HashSet<&str> = enterprises.values("enterprise_id").collect();
    assert_eq!(enterprise_ids.len(), enterprises.rows.len());
    assert!(
        enterprises
            .values("region_code")
            .all(|c| districts.contains(c))
    );

    let workers = Rows::read(d, Table::Workers);
    let worker_ids: HashSet<&str> = workers.values("worker_id").collect();
    assert_eq!(worker_ids.len(), 600);
    assert!(workers.rows.len() > 600, "no worker has a newer version");
    assert!(
        worker_ids
            .iter()
            .all(|id| id.len() == 17 && id.starts_with('w'))
    );
    assert!(
        workers
            .values("enterprise_id")
            .all(|e| e.is_empty() || enterprise_ids.contains(e))
    );
    assert!(workers.values("region_code").all(|c| districts.contains(c)));
    assert!(
        workers
            .values("occupation_code")
            .all(|c| occupations.contains(c))
    );
    assert!(workers.values("name_masked").all(|n| n.contains('*')));
    let occupation_of: HashMap<&str, &str> = workers
        .values("worker_id")
        .zip(workers.values("occupation_code"))
        .collect();

    let certs = Rows::read(d, Table::Certifications);
    assert!(certs.values("worker_id").all(|w| worker_ids.contains(w)));
    let certified: HashSet<&str> = certs.values("worker_id").collect();
    assert!(
        certified.len() > 300 && certified.len() < 600,
        "{} certified",
        certified.len()
    );

    let results = Rows::read(d, Table::AssessmentResults);
    assert_eq!(results.rows.len(), 1800);
    let events: HashSet<&str> = results.values("event_id").collect();
    assert_eq!(events.len(), results.rows.len());
    assert!(results.values("worker_id").all(|w| worker_ids.contains(w)));
    assert!(
        results
            .values("enterprise_id")
            .all(|e| e.is_empty() || enterprise_ids.contains(e))
    );
    for l in results.values("level_attempted") {
        assert!((1..=5).contains(&l.parse::<i32>().unwrap()));
    }

    let weights: HashMap<&str, (&str, f64)> = reference
        .dimensions
        .iter()
        .map(|x| {
            (
                x.dimension_code.as_str(),
                (x.occupation_code.as_str(), x.weight),
            )
        })
        .collect();
    let scores = Rows::read(d, Table::AssessmentDimensionScores);
    let mut weighted: HashMap<&str, f64> = HashMap::new();
    for (e, (code, s)) in scores
        .values("event_id")
        .zip(scores.values("dimension_code").zip(scores.values("score")))
    {
        assert!(
            events.contains(e),
            "dimension score of unknown assessment {e}"
        );
        *weighted.entry(e).or_default() += weights[code].1 * s.parse::<f64>().unwrap();
    }
    let (ev, w, occ, total) = (
        results.col("event_id"),
        results.col("worker_id"),
        results.col("occupation_code"),
        results.col("total_score"),
    );
    for r in &results.rows {
        assert_eq!(occupation_of[&r[w]], &r[occ]);
        assert_eq!(
            round1(weighted[&r[ev]]),
            r[total].parse::<f64>().unwrap(),
            "{}",
            &r[ev]
        );
    }
    for (e, code) in scores
        .values("event_id")
        .zip(scores.values("dimension_code"))
    {
        let r = results.rows.iter().find(|r| &r[ev] == e).unwrap();
        assert_eq!(weights[code].0, &r[occ]);
    }

    let training = Rows::read(d, Table::TrainingRecords);
    let courses: HashSet<&str> = reference
        .courses
        .iter()
        .map(|c| c.course_id.as_str())
        .collect();
    assert!(training.values("worker_id").all(|w| worker_ids.contains(w)));
    assert!(training.values("course_id").all(|c| courses.contains(c)));

    let mentorships = Rows::read(d, Table::Mentorships);
    for (m, a) in mentorships
        .values("mentor_id")
        .zip(mentorships.values("apprentice_id"))
    {
        assert!(worker_ids.contains(m) && worker_ids.contains(a) && m != a);
        assert_eq!(occupation_of[m], occupation_of[a]);
    }

    let competition = Rows::read(d, Table::CompetitionScores);
    assert!(
        competition
            .values("contestant_id")
            .all(|w| worker_ids.contains(w))
    );

    let demand = Rows::read(d, Table::TalentDemand);
    assert!(demand.values("region_code").all(|c| districts.contains(c)));
    assert!(
        demand
            .values("occupation_code")
            .all(|c| occupations.contains(c))
    );

    for table in Table::ALL {
        if table.key_columns() == ["event_id"] {
            let rows = Rows::read(d, table);
            let ids: HashSet<&str> = rows.values("event_id").collect();
            assert_eq!(ids.len(), rows.rows.len(), "{table}: duplicate event_id");
        }
    }
}
