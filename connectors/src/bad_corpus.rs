//! The bad-input corpus of `tests/fixtures/bad/`: every case of its `cases.toml` read
//! through the library the way the engine reads it (canonical files by a collecting
//! read, exports through the raw reader and the shipped mapping) and checked against
//! the rejection written down by hand; the 10 MiB cases are built here. A case that
//! panics, or whose file is missing, fails with the case's name. `BAD_CORPUS_SHOW=1`
//! prints what each case gave.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::TimestampMicrosecondType;
use arrow::record_batch::RecordBatch;
use arrow::util::display::array_value_to_string;
use serde::Deserialize;

use crate::file::{FileFormat, FileReadOptions, read_bytes_collecting, read_json_array_collecting};
use crate::identity::Pseudonymizer;
use crate::mapping::{Mapping, MappingContext, map_records};
use crate::normalize::{Codes, LevelStep};
use crate::raw::{RawFormat, RawOptions, read_raw_bytes};
use crate::schema::Table;

/// The reference data the engine embeds (`skillbrain-datasets`).
const REGIONS: &str = include_str!("../../datasets/data/regions.csv");
const OCCUPATIONS: &str = include_str!("../../datasets/data/occupations.csv");
const LEVELS: &str = include_str!("../../datasets/data/skill_levels.csv");

/// The export header of the shipped mapping.
const EXPORT_HEADER: &str = "姓名,身份证号,单位,所在地区,工种,技能等级,考核日期,总分,\
    出光排障能力,通电及装软件,气路风门装调,识图焊接接线,电气基础知识\n";
const TRAINING_HEADER: &str = "event_id,worker_id,course_id,course_name,occupation_code,\
    provider,hours,completed_at,completed\n";

/// The size of the generated inputs: 10 MiB.
const TEN_MIB: usize = 10 << 20;

/// The longest reason and raw value a rejection may carry, in characters.
const MAX_REASON: usize = 500;
const MAX_RAW_VALUE: usize = 201;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/bad")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    case: Vec<Case>,
}

/// One case of `cases.toml`; the file's header comment says what each key means.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    file: Option<String>,
    generated: Option<String>,
    table: Option<String>,
    format: Option<String>,
    mapping: Option<String>,
    encoding: Option<String>,
    file_error: Option<Substrings>,
    accepted: Option<u64>,
    #[serde(default)]
    rejects: Vec<Expected>,
    #[serde(default)]
    duplicate_keys: BTreeMap<String, u64>,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Substrings {
    One(String),
    All(Vec<String>),
}

impl Substrings {
    fn all(&self) -> Vec<&str> {
        match self {
            Substrings::One(s) => vec![s],
            Substrings::All(list) => list.iter().map(String::as_str).collect(),
        }
    }
}

/// A rejected row as the manifest expects it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    line: u64,
    column: String,
    reason: String,
    raw_value: Option<String>,
}

/// A rejected row as the library reported it.
#[derive(Debug)]
struct Got {
    line: u64,
    column: String,
    reason: String,
    raw_value: Option<String>,
}

/// What reading a case's input gave.
enum Outcome {
    FileError(String),
    Rows {
        accepted: u64,
        rejects: Vec<Got>,
        batches: Vec<(Table, RecordBatch)>,
    },
}

fn manifest() -> Manifest {
    let path = corpus().join("cases.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid: {e}", path.display()))
}

/// Runs the cases `which` selects; fails listing every case that failed.
fn run_cases(which: impl Fn(&Case) -> bool) {
    let manifest = manifest();
    let cases: Vec<&Case> = manifest.case.iter().filter(|c| which(c)).collect();
    assert!(!cases.is_empty(), "no case selected");
    let mut failed = Vec::new();
    for case in &cases {
        let problems = match catch_unwind(AssertUnwindSafe(|| run_case(case))) {
            Ok(problems) => problems,
            Err(panic) => vec![format!("PANICKED: {}", panic_text(panic.as_ref()))],
        };
        if !problems.is_empty() {
            let note = case
                .note
                .as_deref()
                .map_or(String::new(), |n| format!(" ({n})"));
            failed.push(format!(
                "case '{}'{note}:\n    {}",
                case.name,
                problems.join("\n    ")
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    (panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// The problems of one case; empty when it behaves as written down.
fn run_case(case: &Case) -> Vec<String> {
    let outcome = input(case).and_then(|(source, bytes)| {
        let outcome = read(case, &source, bytes)?;
        Ok((source, outcome))
    });
    match outcome {
        Ok((source, outcome)) => {
            if std::env::var_os("BAD_CORPUS_SHOW").is_some() {
                eprintln!("[{}] {}", case.name, describe(&outcome));
            }
            check(case, &source, outcome)
        }
        Err(problem) => vec![problem],
    }
}

/// What a read gave, for `BAD_CORPUS_SHOW=1`.
fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::FileError(message) => format!("file error: {message}"),
        Outcome::Rows {
            accepted, rejects, ..
        } => {
            let rejects: Vec<String> = (rejects.iter())
                .map(|r| format!("\n    line {} '{}': {}", r.line, r.column, r.reason))
                .collect();
            format!("{accepted} accepted{}", rejects.concat())
        }
    }
}

/// The case's source name and bytes.
fn input(case: &Case) -> Result<(String, Vec<u8>), String> {
    match (&case.file, &case.generated) {
        (Some(file), None) => {
            let path = corpus().join(file);
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("the file {} is missing: {e}", path.display()))?;
            Ok((file.clone(), bytes))
        }
        (None, Some(name)) => generate(name),
        _ => Err("give exactly one of `file` and `generated`".into()),
    }
}

fn read(case: &Case, source: &str, bytes: Vec<u8>) -> Result<Outcome, String> {
    match (&case.table, &case.format, &case.mapping) {
        (Some(table), Some(format), None) => canonical(table, format, source, bytes),
        (None, None, Some(mapping)) => export(mapping, case.encoding.as_deref(), source, bytes),
        _ => Err("give `table` and `format`, or `mapping`".into()),
    }
}

/// A canonical file through a collecting read.
fn canonical(table: &str, format: &str, source: &str, bytes: Vec<u8>) -> Result<Outcome, String> {
    let table: Table = table.parse().map_err(|e| format!("{e}"))?;
    let opts = FileReadOptions { batch_rows: 2 };
    let read = match format {
        "json_array" => read_json_array_collecting(table, source, &bytes, &opts),
        "csv" | "ndjson" | "parquet" => {
            let format: FileFormat = format.parse().map_err(|e| format!("{e}"))?;
            read_bytes_collecting(table, source, bytes, format, &opts)
        }
        other => return Err(format!("unknown format '{other}'")),
    };
    Ok(match read {
        Err(e) => Outcome::FileError(e.to_string()),
        Ok((batches, rejects)) => Outcome::Rows {
            accepted: batches.iter().map(|b| b.num_rows() as u64).sum(),
            rejects: (rejects.into_iter())
                .map(|r| Got {
                    line: r.line,
                    column: r.column.unwrap_or_default(),
                    reason: r.reason,
                    raw_value: None,
                })
                .collect(),
            batches: batches.into_iter().map(|b| (table, b)).collect(),
        },
    })
}

/// An export through the raw reader and a mapping of `connectors/mappings/`.
fn export(
    mapping: &str,
    encoding: Option<&str>,
    source: &str,
    bytes: Vec<u8>,
) -> Result<Outcome, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("mappings/{mapping}.toml"));
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mapping = Mapping::from_toml(&text).map_err(|e| e.to_string())?;
    let format = RawFormat::from_path(Path::new(source)).map_err(|e| e.to_string())?;
    let encoding = (encoding.map(str::parse).transpose()).map_err(|e| format!("{e}"))?;
    let opts = RawOptions {
        encoding,
        ..RawOptions::default()
    };
    let (codes, pseudonymizer) = (codes(), pseudonymizer());
    let ctx = MappingContext {
        codes: &codes,
        pseudonymizer: &pseudonymizer,
        region_of_enterprise: None,
    };
    let mapped = read_raw_bytes(source, bytes, format, &opts)
        .and_then(|raw| map_records(raw, &mapping, &ctx, 2));
    Ok(match mapped {
        Err(e) => Outcome::FileError(e.to_string()),
        Ok(out) => Outcome::Rows {
            accepted: out.rows_accepted(),
            rejects: (out.rejects.into_iter())
                .map(|r| Got {
                    line: r.line,
                    column: r.column,
                    reason: r.reason,
                    raw_value: Some(r.raw_value),
                })
                .collect(),
            batches: out.batches,
        },
    })
}

/// Regions, occupations and the skill-level ladder of `datasets/data/`.
fn codes() -> Codes {
    let rows = |text: &str| -> Vec<Vec<String>> {
        (csv::Reader::from_reader(text.as_bytes()).records())
            .map(|r| {
                r.expect("a reference row")
                    .iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    };
    let pairs = |text| rows(text).into_iter().map(|r| (r[0].clone(), r[1].clone()));
    let levels = rows(LEVELS).into_iter().map(|r| LevelStep {
        ladder_order: r[0].parse().expect("a ladder order"),
        name: r[1].clone(),
        alt_name: Some(r[2].clone()).filter(|a| !a.is_empty()),
        national_level: r[3].parse().ok(),
    });
    Codes::new(pairs(REGIONS), pairs(OCCUPATIONS), levels)
}

fn pseudonymizer() -> Pseudonymizer {
    Pseudonymizer::new(b"skillbrain-bad-corpus-test-secret").expect("long enough")
}

/// Compares an outcome with the case; every difference is a problem.
fn check(case: &Case, source: &str, outcome: Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    match (&case.file_error, case.accepted, outcome) {
        (Some(_), Some(_), _) => problems.push("give `file_error` or `accepted`, not both".into()),
        (None, None, _) => problems.push("give `file_error` or `accepted`".into()),
        (Some(expected), None, Outcome::FileError(message)) => {
            // The substrings are looked for past the file's name, which may hold them.
            let rest = message.replacen(source, "", 1);
            if rest == message {
                problems.push(format!("the error does not name {source}: {message}"));
            }
            for want in expected.all() {
                if !rest.contains(want) {
                    problems.push(format!("the error does not contain '{want}': {message}"));
                }
            }
        }
        (
            Some(expected),
            None,
            Outcome::Rows {
                accepted, rejects, ..
            },
        ) => problems.push(format!(
            "expected the whole file to fail with {:?}, but {accepted} rows were accepted \
             and {} rejected: {rejects:?}",
            expected.all(),
            rejects.len()
        )),
        (None, Some(_), Outcome::FileError(message)) => {
            problems.push(format!(
                "expected rows, but the whole file failed: {message}"
            ));
        }
        (
            None,
            Some(want),
            Outcome::Rows {
                accepted,
                rejects,
                batches,
            },
        ) => {
            if accepted != want {
                problems.push(format!("accepted {accepted} rows, expected {want}"));
            }
            check_rejects(&case.rejects, &rejects, &mut problems);
            let duplicates = duplicate_keys(&batches);
            if duplicates != case.duplicate_keys {
                problems.push(format!(
                    "duplicate keys {duplicates:?}, expected {:?}",
                    case.duplicate_keys
                ));
            }
        }
    }
    problems
}

fn check_rejects(expected: &[Expected], got: &[Got], problems: &mut Vec<String>) {
    for (i, got) in got.iter().enumerate() {
        let size = got.reason.chars().count();
        if size > MAX_REASON {
            problems.push(format!("reject {i}: a reason of {size} characters"));
        }
        let raw = got.raw_value.as_deref().unwrap_or("").chars().count();
        if raw > MAX_RAW_VALUE {
            problems.push(format!("reject {i}: a raw value of {raw} characters"));
        }
    }
    if expected.len() != got.len() {
        problems.push(format!(
            "{} rejects, expected {}: {got:?}",
            got.len(),
            expected.len()
        ));
    }
    for (want, got) in expected.iter().zip(got) {
        let raw_ok = (want.raw_value.as_ref()).is_none_or(|v| got.raw_value.as_ref() == Some(v));
        if got.line != want.line
            || got.column != want.column
            || !got.reason.contains(&want.reason)
            || !raw_ok
        {
            problems.push(format!("expected {want:?}, got {got:?}"));
        }
    }
}

/// Per table, the rows whose idempotency key an earlier row already has.
fn duplicate_keys(batches: &[(Table, RecordBatch)]) -> BTreeMap<String, u64> {
    let mut seen: HashMap<Table, HashSet<String>> = HashMap::new();
    let mut duplicates = BTreeMap::new();
    for (table, batch) in batches {
        let columns: Vec<usize> = (table.key_columns().iter())
            .map(|c| batch.schema().index_of(c).expect("a key column"))
            .collect();
        for row in 0..batch.num_rows() {
            let key: Vec<String> = (columns.iter())
                .map(|&c| key_text(batch.column(c).as_ref(), row))
                .collect();
            if !seen.entry(*table).or_default().insert(key.join("\u{1f}")) {
                *duplicates.entry(table.name().to_owned()).or_insert(0) += 1;
            }
        }
    }
    duplicates
}

/// A key value as text; times as their microseconds (Arrow cannot display a named
/// zone without chrono-tz).
fn key_text(array: &dyn Array, row: usize) -> String {
    match array.as_primitive_opt::<TimestampMicrosecondType>() {
        Some(times) => times.value(row).to_string(),
        None => array_value_to_string(array, row).expect("displayable"),
    }
}

/// The inputs too large to commit, described in `cases.toml`.
fn generate(name: &str) -> Result<(String, Vec<u8>), String> {
    let training = |id: &str, hours: &str, extra: &str| {
        format!(
            "{{\"event_id\":\"{id}\",\"worker_id\":\"w-{id}\",\"course_id\":\"C-ELC-01\",\
             \"hours\":{hours},\"completed_at\":\"2026-03-01\",\"completed\":true{extra}}}\n"
        )
    };
    let export_row = |name: &str, id: &str, total: &str| {
        format!(
            "{name},{id},正泰电器,乐清市,激光设备安装调试员,三级,2026-11-28,{total},80,80,80,80,80\n"
        )
    };
    match name {
        "ndjson_10mb_line" => {
            let photo: String = (b'A'..=b'Z')
                .map(char::from)
                .cycle()
                .take(TEN_MIB)
                .collect();
            let mut body = training("t1", "16", &format!(",\"photo\":\"{photo}\""));
            body.push_str(&training("t2", "8", ""));
            Ok(("ten_mib_line.ndjson".into(), body.into_bytes()))
        }
        "csv_10mb_field" => {
            let field = "1234567890,\n".repeat(873_814);
            assert!(field.len() >= TEN_MIB);
            let row = |id: &str, hours: &str| {
                format!("{id},w-{id},C-ELC-01,,6-31-01-03,,{hours},2026-03-01,true\n")
            };
            let mut body = TRAINING_HEADER.to_owned();
            body.push_str(&row("t1", &format!("\"{field}\"")));
            body.push_str(&row("t2", "8"));
            body.push_str(&row("t3", "-1"));
            Ok(("ten_mib_field.csv".into(), body.into_bytes()))
        }
        "export_10mb_field" => {
            let mut body = EXPORT_HEADER.to_owned();
            body.push_str(&export_row(
                "张小明",
                "330382198001101019",
                &"1".repeat(TEN_MIB),
            ));
            body.push_str(&export_row("李华", "33038219810211103X", "80"));
            Ok(("ten_mib_export.csv".into(), body.into_bytes()))
        }
        other => Err(format!("no generator named '{other}'")),
    }
}

#[test]
fn every_file_case_gives_the_rejection_written_down() {
    run_cases(|case| case.generated.is_none());
}

#[test]
fn every_generated_case_gives_the_rejection_written_down() {
    run_cases(|case| case.generated.is_some());
}

#[test]
fn every_corpus_file_has_a_case_and_a_line_in_the_readme() {
    let manifest = manifest();
    let readme = std::fs::read_to_string(corpus().join("README.md")).expect("README.md");
    let used: HashSet<&str> = manifest
        .case
        .iter()
        .filter_map(|c| c.file.as_deref())
        .collect();
    let mut names = HashSet::new();
    for case in &manifest.case {
        assert!(
            names.insert(&case.name),
            "two cases are named '{}'",
            case.name
        );
    }
    let entries = std::fs::read_dir(corpus()).expect("the corpus folder");
    for entry in entries {
        let name = entry
            .expect("an entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name == "README.md" || name == "cases.toml" {
            continue;
        }
        assert!(
            used.contains(name.as_str()),
            "{name} has no case in cases.toml"
        );
        assert!(
            readme.contains(&format!("`{name}`")),
            "README.md does not describe {name}"
        );
    }
}
