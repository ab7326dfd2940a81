//! The export connector through the [`Connector`] trait: a CSV export already
//! pseudonymised (a `worker_id` column) through a mapping written here, one record
//! rejected.

use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};

use super::*;
use crate::file::FileReadOptions;
use crate::identity::Pseudonymizer;
use crate::normalize::{Codes, LevelStep};
use crate::quarantine::Quarantined;
use crate::schema::Table;

const MAPPING: &str = r#"
name = "scores"
[defaults]
channel = "onsite"
[columns]
"编号" = "event_id"
"工号" = "worker_id"
"地区" = "region_code"
"工种" = "occupation_code"
"等级" = "level_attempted"
"日期" = "taken_at"
"总分" = "total_score"
"#;

/// Two records; the second (line 3) has a score that is not a number.
const EXPORT: &str = "编号,工号,地区,工种,等级,日期,总分\n\
    x1,w1,乐清市,电工,三级,2026-11-28,86.5\n\
    x2,w2,乐清市,电工,三级,2026-11-28,九十\n";

fn codes() -> Codes {
    let level = LevelStep {
        ladder_order: 4,
        name: "高级工".into(),
        alt_name: Some("三级".into()),
        national_level: Some(3),
    };
    Codes::new([("330382", "乐清市")], [("6-31-01-03", "电工")], [level])
}

fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    (batches.iter())
        .flat_map(|b| b.column_by_name(column).unwrap().as_string::<i32>().iter())
        .map(|v| v.unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn an_export_lands_its_tables_and_quarantines_its_bad_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scores.csv");
    std::fs::write(&path, EXPORT).unwrap();
    let mapping = Arc::new(Mapping::from_toml(MAPPING).unwrap());
    let config = ExportConnector
        .parse_config(toml::from_str("mapping = \"scores\"\nencoding = \"utf-8\"").unwrap())
        .unwrap();
    let (read, codes) = (FileReadOptions::default(), codes());
    let secret = Pseudonymizer::new(b"skillbrain-export-test-secret").unwrap();
    let ctx = DecodeContext {
        read: &read,
        codes: &codes,
        pseudonymizer: Some(&secret),
    };
    let input = ExportInput {
        path: path.clone(),
        mapping,
    };
    let decoded = ExportConnector.decode(&config, &ctx, input).unwrap();
    assert!(!decoded.is_streamed());
    assert_eq!(decoded.quarantine_table, Table::AssessmentResults);
    let tables: Vec<Table> = decoded.tables.iter().map(|(t, _)| *t).collect();
    assert_eq!(tables, [Table::Workers, Table::AssessmentResults]);
    let bad = Quarantined {
        source: path.display().to_string(),
        line: Some(3),
        offset: None,
        column: Some("总分".into()),
        raw_value: Some("九十".into()),
        reason: "expected a number, got '九十'".into(),
    };
    assert_eq!(decoded.quarantined.take(), [bad]);
    let workers = decoded.into_rows(Table::Workers).unwrap();
    assert_eq!(strings(&workers, "worker_id"), ["w1"]);
    assert_eq!(strings(&workers, "region_code"), ["330382"]);
}

#[test]
fn the_config_names_the_input_mapping_and_an_ascii_delimiter() {
    let mapping = Mapping::from_toml(MAPPING).unwrap();
    let options = RawOptions {
        encoding: Some(Encoding::Gb18030),
        sheet: None,
        delimiter: Some(b';'),
    };
    let config = ExportConfig::new(&mapping, Some(RawFormat::Csv), &options);
    assert_eq!(config.mapping, "scores");
    assert_eq!(config.raw_options().unwrap(), options);

    let config = ExportConfig {
        delimiter: Some('，'),
        ..ExportConfig::default()
    };
    let e = config.raw_options().unwrap_err();
    assert_eq!(
        e.to_string(),
        "connector 'export': delimiter '，' is not an ASCII character"
    );

    let (read, codes) = (FileReadOptions::default(), codes());
    let ctx = DecodeContext {
        read: &read,
        codes: &codes,
        pseudonymizer: None,
    };
    let config = ExportConfig {
        mapping: "assessment_export".into(),
        ..ExportConfig::default()
    };
    let input = ExportInput {
        path: "scores.csv".into(),
        mapping: Arc::new(mapping),
    };
    let e = ExportConnector.decode(&config, &ctx, input).unwrap_err();
    assert_eq!(
        e.to_string(),
        "connector 'export': the config names mapping 'assessment_export' but scores.csv is \
         read through 'scores'"
    );
}
