//! The mapping file's errors, header binding, and the rules rows are checked against.

use super::*;
use crate::Error;

/// The shipped mapping with `from` replaced by `to` (which must change it).
fn edited(from: &str, to: &str) -> String {
    assert!(SHIPPED.contains(from), "the shipped mapping has {from:?}");
    SHIPPED.replacen(from, to, 1)
}

fn mapping_error(text: &str) -> String {
    match Mapping::from_toml(text) {
        Err(e @ Error::BadMapping { .. }) => e.to_string(),
        other => panic!("expected a bad mapping, got {other:?}"),
    }
}

/// The export's header and `records`, UTF-8.
fn export(records: &[&str]) -> RawTable {
    let text = format!("{HEADER}\n{}\n", records.join("\n"));
    csv("t.csv", text.into_bytes())
}

#[test]
fn the_shipped_mapping_lands_three_tables() {
    let mapping = shipped();
    assert_eq!(mapping.name(), "assessment_export");
    assert_eq!(
        mapping.tables(),
        [
            Table::Workers,
            Table::AssessmentResults,
            Table::AssessmentDimensionScores
        ]
    );
}

#[test]
fn unknown_and_misused_targets_are_named_with_a_hint() {
    let why = mapping_error(&edited("\"name\"", "\"姓名x\""));
    assert!(
        why.starts_with("column mapping 'assessment_export': "),
        "{why}"
    );
    assert!(
        why.contains("'姓名': unknown target '姓名x'; the targets are name,"),
        "{why}"
    );
    let why = mapping_error(&edited("\"name\"", "\"name_masked\""));
    assert!(why.contains("map the name column to 'name'"), "{why}");
    let why = mapping_error(&edited("\"name\"", "\"gender\""));
    assert!(why.contains("derived from the national ID"), "{why}");
    let why = mapping_error(&edited("\"name\"", "\"course_name\""));
    assert!(why.contains("a column of training_records"), "{why}");
    let why = mapping_error(&edited("\"enterprise_id\"", "\"region_code\""));
    assert!(
        why.contains("maps both '单位' and '所在地区' to region_code"),
        "{why}"
    );
}

#[test]
fn missing_sources_and_settings_are_all_reported() {
    let without_event_id = SHIPPED.split("[event_id]").next().expect("a first part");
    let text = without_event_id
        .replace("\"身份证号\" = \"national_id\"\n", "")
        .replace("\"考核日期\" = \"taken_at\"\n", "")
        .replace(
            "source_timezone = \"+08:00\"",
            "source_timezone = \"+09:00\"",
        );
    let why = mapping_error(&text);
    for part in [
        "source_timezone '+09:00' is not supported",
        "maps no column to national_id",
        "assessment_results.taken_at has no source",
        "no [event_id] and no column mapped to event_id",
    ] {
        assert!(why.contains(part), "{part:?} not in {why}");
    }
    let why = mapping_error(&edited("\"taken_at\"]", "\"passed\"]"));
    assert!(why.contains("[event_id] from cannot use passed"), "{why}");
    let why = mapping_error(&edited("channel = \"onsite\"", "total_score = 60"));
    assert!(why.contains("[defaults] cannot give total_score"), "{why}");
}

#[test]
fn toml_errors_and_unknown_keys_are_bad_mappings() {
    let why = mapping_error("name = \"x\"\n[columns\n");
    assert!(
        why.starts_with("column mapping: not a valid mapping file: "),
        "{why}"
    );
    let why = mapping_error(&edited("ignore", "ignored"));
    assert!(why.contains("unknown field `ignored`"), "{why}");
}

#[test]
fn a_missing_required_header_fails_the_file() {
    let header = HEADER.replace(",考核日期", "").replace(",所在地区", "");
    let raw = csv("t.csv", format!("{header}\n").into_bytes());
    let err = map(raw, &shipped()).expect_err("考核日期 is required");
    let Error::HeaderMismatch {
        file,
        missing,
        unmapped,
        ..
    } = &err
    else {
        panic!("expected a header mismatch, got {err:?}");
    };
    // 所在地区 is optional: not missing.
    assert_eq!(
        (file.as_deref(), missing.as_slice()),
        (Some("t.csv"), &["考核日期".to_owned()][..])
    );
    assert!(unmapped.is_empty());
    assert_eq!(
        err.to_string(),
        "t.csv: the headers do not fit mapping 'assessment_export': the file lacks the mapped \
         columns '考核日期' (list a column under optional if files may leave it out)"
    );
}

#[test]
fn an_unmapped_header_fails_the_file_unless_ignored() {
    let headers: Vec<String> = format!("序号,{HEADER},联系电话")
        .split(',')
        .map(String::from)
        .collect();
    let err = shipped()
        .bind(&headers)
        .expect_err("联系电话 is not mapped");
    assert_eq!(
        err.to_string(),
        "the headers do not fit mapping 'assessment_export': the file has columns the mapping \
         does not know: '联系电话' (map them, or list them under ignore)"
    );
    let bound = shipped()
        .bind(&headers[..headers.len() - 1])
        .expect("序号 is ignored");
    assert!(bound.absent().is_empty());
    let without_region: Vec<String> = headers.into_iter().filter(|h| h != "所在地区").collect();
    let bound = shipped()
        .bind(&without_region[..without_region.len() - 1])
        .expect("optional");
    assert_eq!(bound.absent(), ["所在地区"]);
}

#[test]
fn scores_above_their_maximum_blank_rows_and_bad_levels_are_rejected() {
    let good =
        "王五,330382199003151233,正泰电器,乐清,6-25-04-04,高级工,2026-11-28,60,60,60,60,60,60";
    let raw = export(&[
        &good.replace(",60,60,60,60,60,60", ",105,60,60,60,60,60"),
        &good.replace(",60,60,60,60,60,60", ",60,120,60,60,60,60"),
        &good.replace(",60,60,60,60,60,60", ",-3,0,0,0,0,0"),
        ",,,,,,,,,,,,",
        &good.replace("高级工", "学徒工"),
        &good.replace(",60,60,60,60,60,60", ",88分,60,60,60,60,60"),
        good,
    ]);
    let out = map(raw, &shipped()).expect("mapped");
    let rejects: Vec<(u64, &str, &str, &str)> = (out.rejects.iter())
        .map(|r| {
            (
                r.line,
                r.column.as_str(),
                r.raw_value.as_str(),
                r.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rejects,
        [
            (
                2,
                "总分",
                "105",
                "total_score 105 is greater than max_score 100"
            ),
            (
                3,
                "出光排障能力",
                "120",
                "score 120 is greater than max_score 100"
            ),
            (4, "总分", "-3", "total_score: must be zero or more, got -3"),
            (5, "", "", "the row is blank"),
            (
                6,
                "技能等级",
                "学徒工",
                "skill level '学徒工' has no national level (1 to 5), which an assessment attempts"
            ),
            (7, "总分", "88分", "expected a number, got '88分'"),
        ]
    );
    assert_eq!((out.rows_read, out.rows_accepted()), (7, 1));
    // 60 of 100 passes; the region name 乐清 without 市 is 330382.
    let result = &rows(&out, Table::AssessmentResults)[0];
    assert_eq!(
        (result[4].as_str(), result[12].as_str()),
        ("330382", "true")
    );
}

#[test]
fn a_missing_region_comes_from_the_enterprise_or_rejects_the_row() {
    let header = HEADER.replace(",所在地区", "");
    let text = format!(
        "{header}\n\
         张小明,330382199003151233,正泰电器,电工,三级,2026-11-28,86,90,85,80,88,86\n\
         欧阳娜娜,330302198511200023,无名厂,电工,三级,2026-11-28,86,90,85,80,88,86\n"
    );
    let (codes, pseudonymizer) = (codes(), pseudonymizer());
    let lookup = |enterprise: &str| (enterprise == "正泰电器").then(|| "乐清市".to_owned());
    let ctx = MappingContext {
        codes: &codes,
        pseudonymizer: &pseudonymizer,
        region_of_enterprise: Some(&lookup),
    };
    let out = map_records(csv("t.csv", text.into_bytes()), &shipped(), &ctx, 10).expect("mapped");
    assert_eq!(column(&out, Table::Workers, "region_code"), ["330382"]);
    let reject = &out.rejects[0];
    assert_eq!((reject.line, reject.column.as_str()), (3, "所在地区"));
    assert_eq!(
        reject.reason,
        "the file has no column 所在地区 and enterprise '无名厂' has no known region; every \
         assessment needs a region: fill it in, or set region_code under [defaults]"
    );
}

#[test]
fn a_bad_default_fails_the_file_before_any_row() {
    let mapping = Mapping::from_toml(&edited("\"onsite\"", "\"邮寄\"")).expect("valid TOML");
    let err = map(export(&[]), &mapping).expect_err("邮寄 is not a channel");
    assert_eq!(
        err.to_string(),
        "column mapping 'assessment_export': [defaults] channel: channel must be mobile \
         (移动端, 手机, 线上) or onsite (现场, 线下), got '邮寄'"
    );
}

#[test]
fn a_mapped_passed_column_and_worker_id_are_taken_as_they_are_unless_a_national_id() {
    let text = edited(
        "\"身份证号\" = \"national_id\"",
        "\"工号\" = \"worker_id\"\n\"结果\" = \"passed\"",
    );
    let mapping = Mapping::from_toml(&text).expect("valid");
    let header = HEADER.replace("身份证号", "工号");
    let raw = csv(
        "t.csv",
        format!(
            "{header},结果\n\
             ,w1,正泰电器,乐清市,电工,3,2026-11-28,50,,,,,,合格\n\
             ,{},正泰电器,乐清市,电工,3,2026-11-28,50,,,,,,合格\n",
            IDS[0]
        )
        .into_bytes(),
    );
    let out = map(raw, &mapping).expect("mapped");
    // A national ID in the worker_id column is caught, not stored.
    let reject = &out.rejects[..];
    assert_eq!(reject.len(), 1, "{reject:?}");
    assert_eq!(
        (reject[0].column.as_str(), reject[0].raw_value.as_str()),
        ("工号", "330382********1233")
    );
    assert!(
        reject[0]
            .reason
            .starts_with("the value is a national ID number")
    );
    assert!(!format!("{out:?}").contains(IDS[0]));
    let result = &rows(&out, Table::AssessmentResults)[0];
    assert_eq!((result[2].as_str(), result[12].as_str()), ("w1", "true"));
    // No name, gender or birth year without a national ID; no dimension scores.
    let worker = &rows(&out, Table::Workers)[0];
    assert_eq!(&worker[..4], ["w1", "", "", ""]);
    assert_eq!(out.batches_of(Table::AssessmentDimensionScores).count(), 0);
}

#[test]
fn the_documented_example_is_a_valid_mapping() {
    let doc = include_str!("../mod.rs");
    let start = doc.find("//! ```toml\n").expect("a TOML example") + "//! ```toml\n".len();
    let example: Vec<&str> = (doc[start..].lines())
        .take_while(|l| *l != "//! ```")
        .map(|l| l.strip_prefix("//!").unwrap_or(l).trim_start_matches(' '))
        .collect();
    let mapping = Mapping::from_toml(&example.join("\n")).expect("the example is valid");
    assert_eq!(mapping.dimension_max_score, Some(100.0));
    let mut shipped = shipped();
    shipped.dimensions.retain(|_, code| code == "LSR-01");
    shipped.dimension_max_score = Some(100.0);
    assert_eq!(
        mapping, shipped,
        "the example is the shipped mapping, abridged"
    );
}
