use super::*;
use crate::error::Error;

#[test]
fn embedded_reference_loads_with_wenzhou_and_twelve_districts() {
    let r = Reference::embedded();
    assert_eq!(r.city().unwrap().code, "330300");
    assert_eq!(r.districts().len(), 12);
    assert_eq!(r.region("330382").unwrap().name, "乐清市");
    assert!(r.occupations.len() >= 12);
}

#[test]
fn every_occupation_has_four_dimensions_whose_weights_sum_to_one() {
    let r = Reference::embedded();
    for o in &r.occupations {
        let dims = r.dimensions_for(&o.code);
        assert!(dims.len() >= 4, "{} has {} dimensions", o.code, dims.len());
        let sum: f64 = dims.iter().map(|d| d.weight).sum();
        assert!((sum - 1.0).abs() <= 1e-9, "{} weights sum to {sum}", o.code);
    }
}

#[test]
fn laser_assembler_is_scored_on_the_five_dimensions_of_the_article() {
    let r = Reference::embedded();
    let names: Vec<_> = r
        .dimensions_for("6-25-04-04")
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "出光排障能力",
            "通电及装软件",
            "气路风门装调",
            "识图焊接接线",
            "电气基础知识"
        ]
    );
}

#[test]
fn ladder_has_eight_steps_and_high_skill_starts_at_senior_worker() {
    let r = Reference::embedded();
    assert_eq!(r.levels.len(), 8);
    assert_eq!(r.level_by_ladder(1).unwrap().name, "学徒工");
    assert_eq!(r.level_by_ladder(4).unwrap().national_level, Some(3));
    assert_eq!(r.ladder_for_national(1).unwrap().name, "高级技师");
    assert_eq!(r.level_by_name("三级").unwrap().ladder_order, 4);
    assert_eq!(r.level_by_name("技师").unwrap().national_level, Some(2));
    assert_eq!(r.level_by_name("5").unwrap().name, "初级工");
    for l in &r.levels {
        assert_eq!(l.high_skilled, l.ladder_order >= 4, "{}", l.name);
    }
    let national: Vec<_> = r.levels.iter().filter_map(|l| l.national_level).collect();
    assert_eq!(national, [5, 4, 3, 2, 1]);
}

#[test]
fn embedded_csv_gives_every_reference_table_with_its_header() {
    let tables = embedded_csv();
    let names: Vec<_> = tables.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "regions",
            "occupations",
            "skill_levels",
            "dimensions",
            "courses",
            "programme_targets"
        ]
    );
    assert!(tables[0].1.starts_with("code,name,parent_code,level\n"));
    assert!(tables[5].1.starts_with(
        "programme,programme_name,year,region_code,region_name,metric,target,unit,source\n"
    ));
}

#[test]
fn programme_targets_quote_the_article_for_every_number() {
    let r = Reference::embedded();
    let targets: Vec<_> = r
        .programme_targets
        .iter()
        .map(|t| (t.metric.as_str(), t.target, t.year, t.region_code.as_str()))
        .collect();
    assert_eq!(
        targets,
        [
            ("mentors", 1000.0, 2022, "210100"),
            ("mentorship_pairs_signed", 1000.0, 2022, "210100"),
            ("apprentices_level_up", 100.0, 2022, "210100"),
        ]
    );
    for t in &r.programme_targets {
        assert!(t.source.contains(" line "), "{}", t.source);
        let number = (t.target as u64).to_string();
        let quoted = t.source.contains(&number) || t.source.contains("千名");
        assert!(quoted, "{} does not quote {number}", t.source);
    }
}

#[test]
fn every_course_names_a_dimension_of_its_occupation() {
    let r = Reference::embedded();
    assert!(!r.courses.is_empty());
    for o in &r.occupations {
        assert!(
            !r.courses_for(&o.code).is_empty(),
            "{} has no course",
            o.code
        );
    }
}

#[test]
fn from_dir_reads_the_same_files_and_rejects_bad_weights() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        (REGIONS_FILE, REGIONS_CSV),
        (OCCUPATIONS_FILE, OCCUPATIONS_CSV),
        (LEVELS_FILE, LEVELS_CSV),
        (DIMENSIONS_FILE, DIMENSIONS_CSV),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let r = Reference::from_dir(dir.path()).unwrap();
    assert!(r.courses.is_empty());
    assert!(r.programme_targets.is_empty());
    assert_eq!(r.occupations, Reference::embedded().occupations);

    std::fs::write(
        dir.path().join(PROGRAMME_TARGETS_FILE),
        PROGRAMME_TARGETS_CSV,
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.csv"), "anything,else\n1,2\n").unwrap();
    let r = Reference::from_dir(dir.path()).unwrap();
    assert_eq!(r.programme_targets, Reference::embedded().programme_targets);

    let twice = format!(
        "{PROGRAMME_TARGETS_CSV}{}",
        PROGRAMME_TARGETS_CSV.lines().nth(1).unwrap()
    );
    std::fs::write(dir.path().join(PROGRAMME_TARGETS_FILE), twice).unwrap();
    let err = Reference::from_dir(dir.path()).unwrap_err();
    assert!(err.to_string().contains("appears twice"), "{err}");
    std::fs::remove_file(dir.path().join(PROGRAMME_TARGETS_FILE)).unwrap();

    let broken = DIMENSIONS_CSV.replace("LSR-01,出光排障能力,0.25", "LSR-01,出光排障能力,0.5");
    std::fs::write(dir.path().join(DIMENSIONS_FILE), broken).unwrap();
    let err = Reference::from_dir(dir.path()).unwrap_err();
    assert!(err.to_string().contains("6-25-04-04"), "{err}");

    let missing = tempfile::tempdir().unwrap();
    assert!(matches!(
        Reference::from_dir(missing.path()),
        Err(Error::Io { .. })
    ));
}
