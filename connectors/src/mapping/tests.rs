//! Column mappings tested on exports built here: the shipped mapping over a GBK CSV and
//! an XLSX workbook, expected rows written out by hand; then the mapping file's errors.
//!
//! Expected worker IDs are HMAC-SHA256 computed apart from this crate (Python's `hmac`,
//! key `skillbrain-mapping-test-secret`, first 16 bytes in hex after `w`); expected event
//! IDs are SHA-256 of `worker_id=…␟occupation_code=…␟taken_at=…` likewise.

mod exports;
mod mapping_files;

use arrow::array::{Array, TimestampMicrosecondArray};
use arrow::datatypes::DataType;
use arrow::util::display::array_value_to_string;
use chrono::{DateTime, SecondsFormat};

use super::*;
use crate::normalize::LevelStep;
use crate::raw::{RawFormat, RawOptions, RawTable, read_raw_bytes};

/// The shipped mapping for assessment exports.
const SHIPPED: &str = include_str!("../../mappings/assessment_export.toml");

/// The headers of the exports in these tests.
const HEADER: &str = "姓名,身份证号,单位,所在地区,工种,技能等级,考核日期,总分,\
    出光排障能力,通电及装软件,气路风门装调,识图焊接接线,电气基础知识";

/// Four records: two good, one with a mistyped ID check character (the right one is X),
/// one with an occupation that is not in the reference data.
const EXPORT: &str = "\
姓名,身份证号,单位,所在地区,工种,技能等级,考核日期,总分,出光排障能力,通电及装软件,气路风门装调,识图焊接接线,电气基础知识
张小明,330382199003151233,正泰电器,乐清市,激光设备安装调试员,三级,2026年11月28日,86.5,90,85,80,88,86
欧阳娜娜,330302198511200023,德力西电气,鹿城区,6-25-04-04,四级,2026-11-28 09:30,58,60,55,,62,50
李四,330324199507084512,华峰集团,瑞安市,激光设备安装调试员,三级,2026年11月28日,75,70,70,70,70,70
赵六,330381198801013627,华峰集团,瑞安市,电焊工,三级,2026年11月28日,80,80,80,80,80,80
";

/// Every national ID in the exports, as typed.
const IDS: [&str; 4] = [
    "330382199003151233",
    "330302198511200023",
    "330324199507084512",
    "330381198801013627",
];

/// The worker IDs of the two good records (HMAC computed apart).
const ZHANG: &str = "wed989995e6b37cfdfc922a1cb9bedf3a";
const OUYANG: &str = "waf87b0909afbfbf2aa13fa37730f1a8b";

/// Their event IDs (SHA-256 computed apart).
const ZHANG_EVENT: &str = "asr-x-c4961ccb14ab8d213b908e11bfad5ff5";
const OUYANG_EVENT: &str = "asr-x-f54a4452e50472a197e8dd3017edd645";

/// Some of Wenzhou's regions, occupations and the skill-level ladder, as in `datasets/`.
fn codes() -> Codes {
    let regions = [
        ("330300", "温州市"),
        ("330302", "鹿城区"),
        ("330303", "龙湾区"),
        ("330324", "永嘉县"),
        ("330381", "瑞安市"),
        ("330382", "乐清市"),
    ];
    let occupations = [
        ("6-31-01-03", "电工"),
        ("6-18-02-04", "焊工"),
        ("6-25-04-04", "激光设备安装调试员"),
    ];
    let step = |order: u8, name: &str, alt: Option<&str>, national: Option<u8>| LevelStep {
        ladder_order: order,
        name: name.to_owned(),
        alt_name: alt.map(str::to_owned),
        national_level: national,
    };
    let levels = [
        step(1, "学徒工", None, None),
        step(2, "初级工", Some("五级"), Some(5)),
        step(3, "中级工", Some("四级"), Some(4)),
        step(4, "高级工", Some("三级"), Some(3)),
        step(5, "技师", Some("二级"), Some(2)),
        step(6, "高级技师", Some("一级"), Some(1)),
    ];
    Codes::new(regions, occupations, levels)
}

fn pseudonymizer() -> Pseudonymizer {
    Pseudonymizer::new(b"skillbrain-mapping-test-secret").expect("long enough")
}

fn shipped() -> Mapping {
    Mapping::from_toml(SHIPPED).expect("the shipped mapping is valid")
}

/// `text` in GBK, as Excel in China saves "CSV".
fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable, "{text} has characters GB18030 cannot encode");
    bytes.into_owned()
}

fn csv(name: &str, bytes: Vec<u8>) -> RawTable {
    read_raw_bytes(name, bytes, RawFormat::Csv, &RawOptions::default()).expect("a raw table")
}

/// Maps `raw` with `mapping`, the test codes and secret, and no enterprise regions.
fn map(raw: RawTable, mapping: &Mapping) -> Result<MappedOutput, crate::Error> {
    let (codes, pseudonymizer) = (codes(), pseudonymizer());
    let ctx = MappingContext {
        codes: &codes,
        pseudonymizer: &pseudonymizer,
        region_of_enterprise: None,
    };
    map_records(raw, mapping, &ctx, 1024)
}

/// Every row of `table`, each value as Arrow displays it (null as empty).
fn rows(out: &MappedOutput, table: Table) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for batch in out.batches_of(table) {
        assert_eq!(
            batch.schema(),
            table.schema(),
            "{table} has its canonical schema"
        );
        for row in 0..batch.num_rows() {
            let values = batch.columns().iter().map(|a| display(a, row)).collect();
            rows.push(values);
        }
    }
    rows
}

/// A value as text: null as empty, times in RFC 3339 UTC, others as Arrow shows them.
fn display(array: &dyn Array, row: usize) -> String {
    if array.is_null(row) {
        return String::new();
    }
    if let DataType::Timestamp(..) = array.data_type() {
        let micros = (array.as_any().downcast_ref::<TimestampMicrosecondArray>())
            .expect("microseconds")
            .value(row);
        let time = DateTime::from_timestamp_micros(micros).expect("in range");
        return time.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    }
    array_value_to_string(array, row).expect("displayable")
}

/// One column of `table`, as [`rows`] shows it.
fn column(out: &MappedOutput, table: Table, name: &str) -> Vec<String> {
    let i = table.schema().index_of(name).expect("a column");
    rows(out, table).into_iter().map(|r| r[i].clone()).collect()
}

/// `expected` rows written as `&str`.
fn owned(expected: &[&[&str]]) -> Vec<Vec<String>> {
    (expected.iter())
        .map(|r| r.iter().map(|v| (*v).to_owned()).collect())
        .collect()
}
