//! Exports through a column mapping: an HR export as GBK CSV and the same rows as XLSX
//! land through `skillbrain ingest --mapping assessment_export`; bad records are
//! quarantined with a masked raw value; no national ID number reaches the lake.

use std::path::Path;
use std::process::{Command, Output};

use crate::city::{BIN, City, empty};

/// The pseudonymisation secret of these tests.
const SECRET: &str = "e2e-export-secret-0123456789";

/// An 18-character national ID: `first17` and its GB 11643 check character, computed
/// here from the standard's weights.
fn national_id(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = (first17.chars())
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).expect("digits") * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{first17}{check}")
}

/// The same ID with a wrong check character.
fn broken(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    format!("{}{wrong}", &id[..17])
}

struct Export {
    ids: Vec<String>,
    rows: Vec<Vec<String>>,
}

const HEADERS: [&str; 14] = [
    "序号",
    "姓名",
    "身份证号",
    "单位",
    "所在地区",
    "工种",
    "技能等级",
    "考核日期",
    "总分",
    "出光排障能力",
    "通电及装软件",
    "气路风门装调",
    "识图焊接接线",
    "电气基础知识",
];

/// Four records: two good (高级工 and 三级 are both level 3), one with a broken ID,
/// one with a level that does not exist.
fn export() -> Export {
    let ids = vec![
        national_id("33038219900101123"),
        national_id("33030219851231456"),
        broken(&national_id("33032419920615789")),
        national_id("33038119780310246"),
    ];
    let row = |n: &str, name: &str, id: &str, level: &str, date: &str, total: &str| {
        let mut r: Vec<String> = [n, name, id, "E-LQ-001", "乐清市", "激光设备安装调试员"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        r.extend([level, date, total, "90", "85", "80", "92", "87"].map(String::from));
        r
    };
    let rows = vec![
        row("1", "张小明", &ids[0], "高级工", "2026年11月28日", "88"),
        row("2", "李四", &ids[1], "三级", "2026/11/27", "75.5"),
        row("3", "王五", &ids[2], "高级工", "2026-11-26", "66"),
        row("4", "欧阳小明", &ids[3], "九级", "2026-11-25", "70"),
    ];
    Export { ids, rows }
}

fn write_gbk_csv(path: &Path, export: &Export) {
    let mut text = HEADERS.join(",");
    text.push_str("\r\n");
    for r in &export.rows {
        text.push_str(&r.join(","));
        text.push_str("\r\n");
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable, "the fixture is GBK-encodable");
    std::fs::write(path, bytes).unwrap();
}

/// The same records as XLSX, dates as Excel serial numbers (46354 is 2026-11-28).
fn write_xlsx(path: &Path, export: &Export) {
    let serials = [46354.0, 46353.0, 46352.0, 46351.0];
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("考核结果").unwrap();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (i, r) in export.rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, value) in r.iter().enumerate() {
            let c16 = c as u16;
            match HEADERS[c] {
                "考核日期" => sheet.write_number(row, c16, serials[i]).map(|_| ()),
                "总分" | "出光排障能力" | "通电及装软件" | "气路风门装调" | "识图焊接接线"
                | "电气基础知识" => sheet
                    .write_number(row, c16, value.parse::<f64>().unwrap())
                    .map(|_| ()),
                _ => sheet.write_string(row, c16, value).map(|_| ()),
            }
            .unwrap();
        }
    }
    book.save(path).unwrap();
}

fn skillbrain(city: &City, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(city.global_args())
        .args(args)
        .env("SKILLBRAIN_LOG", "warn")
        .env("SKILLBRAIN_IDENTITY__SECRET", SECRET)
        .output()
        .expect("the skillbrain binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every byte under `dir`, file by file.
fn files_under(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
}

#[test]
fn a_gbk_export_and_the_same_rows_as_xlsx_land_once_with_rejects_quarantined() {
    let city = empty("e2e-export-");
    let export = export();
    let csv = city.dir.join("hr-export.csv");
    write_gbk_csv(&csv, &export);

    let out = skillbrain(
        &city,
        &[
            "ingest",
            "--mapping",
            "assessment_export",
            csv.to_str().unwrap(),
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "rows were rejected: {said}");
    assert!(
        said.contains("2 accepted, 2 rejected, 0 duplicates"),
        "{said}"
    );
    for id in &export.ids {
        assert!(
            !said.contains(id.as_str()),
            "an ID number was printed: {said}"
        );
    }

    let workers = city.cmd(&[
        "sql",
        "--format",
        "csv",
        "select worker_id, name_masked, gender, birth_year from workers order by birth_year",
    ]);
    let lines: Vec<&str> = workers.lines().skip(1).collect();
    assert_eq!(lines.len(), 2, "{workers}");
    // 330302 1985-12-31, sequence 456 (even: female); 330382 1990-01-01, 123 (odd: male).
    let fields: Vec<Vec<&str>> = lines.iter().map(|l| l.split(',').collect()).collect();
    assert_eq!(&fields[0][1..], ["李*", "F", "1985"], "{workers}");
    assert_eq!(&fields[1][1..], ["张*明", "M", "1990"], "{workers}");
    for f in &fields {
        let id = f[0];
        assert!(
            id.len() == 33 && id.starts_with('w') && id[1..].chars().all(|c| c.is_ascii_hexdigit()),
            "a pseudonymous worker_id: {id}"
        );
    }
    let results = city.cmd(&[
        "sql",
        "--format",
        "csv",
        "select level_attempted, region_code, occupation_code, total_score from assessment_results order by total_score",
    ]);
    assert_eq!(
        results.lines().skip(1).collect::<Vec<_>>(),
        ["3,330382,6-25-04-04,75.5", "3,330382,6-25-04-04,88.0"],
        "{results}"
    );
    let dims = city.cmd(&[
        "sql",
        "--format",
        "csv",
        "select count(*) as n, sum(score) as s from assessment_dimension_scores",
    ]);
    assert_eq!(
        dims.lines().nth(1),
        Some("10,868.0"),
        "5 dimensions x 2 records: {dims}"
    );

    let listed = skillbrain(
        &city,
        &[
            "quarantine",
            "--table",
            "assessment_results",
            "--format",
            "json",
        ],
    );
    assert!(listed.status.success(), "{}", text(&listed));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let by_line = |line: i64| rows.iter().find(|r| r["line"] == line).expect("a row");
    let bad_id = by_line(4);
    assert_eq!(bad_id["column"], "身份证号");
    let masked = format!("{}********{}", &export.ids[2][..6], &export.ids[2][14..]);
    assert_eq!(bad_id["raw_value"], masked.as_str());
    assert!(
        bad_id["reason"]
            .as_str()
            .unwrap()
            .contains("check character"),
        "{bad_id}"
    );
    assert!(
        bad_id["source"]
            .as_str()
            .unwrap()
            .ends_with("hr-export.csv")
    );
    let bad_level = by_line(5);
    assert_eq!(bad_level["column"], "技能等级");
    assert_eq!(bad_level["raw_value"], "九级");

    // The same records as a spreadsheet, dates as Excel serials: the same event IDs.
    let xlsx = city.dir.join("hr-export.xlsx");
    write_xlsx(&xlsx, &export);
    let out = skillbrain(
        &city,
        &[
            "ingest",
            "--mapping",
            "assessment_export",
            "--sheet",
            "考核结果",
            xlsx.to_str().unwrap(),
        ],
    );
    let said = text(&out);
    assert!(
        said.contains("0 accepted, 2 rejected, 2 duplicates"),
        "{said}"
    );
    let listed = skillbrain(&city, &["quarantine", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows.len(), 4, "two rejects from each file: {rows:?}");

    // Landing the CSV again stores nothing twice, rejects included.
    let again = skillbrain(
        &city,
        &[
            "ingest",
            "--mapping",
            "assessment_export",
            csv.to_str().unwrap(),
        ],
    );
    assert!(
        text(&again).contains("0 accepted, 2 rejected, 2 duplicates"),
        "{}",
        text(&again)
    );
    let listed = skillbrain(&city, &["quarantine", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");

    // No ID number, valid or not, anywhere in the lake.
    let mut files = Vec::new();
    files_under(&city.dir.join("lake"), &mut files);
    assert!(files.len() > 10, "the lake has files");
    for (name, bytes) in &files {
        for id in &export.ids {
            let found = bytes.windows(id.len()).any(|w| w == id.as_bytes());
            assert!(!found, "{name} holds the ID number {id}");
        }
    }
}

#[test]
fn an_export_without_a_secret_is_refused_with_what_to_set() {
    let city = empty("e2e-export-nosecret-");
    let csv = city.dir.join("hr.csv");
    write_gbk_csv(&csv, &export());
    let out = Command::new(BIN)
        .args(city.global_args())
        .args([
            "ingest",
            "--mapping",
            "assessment_export",
            csv.to_str().unwrap(),
        ])
        .env("SKILLBRAIN_LOG", "warn")
        .env_remove("SKILLBRAIN_IDENTITY__SECRET")
        .output()
        .unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("identity.secret"), "{said}");
    assert!(said.contains("hr.csv"), "{said}");
}
