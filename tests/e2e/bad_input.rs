//! The bad-input corpus of `tests/fixtures/bad/` through the real binary: every case of
//! `cases.toml` through `skillbrain ingest` (a fresh lake each), and every canonical
//! text case through `POST /v1/ingest/{table}` of one server, which must answer each
//! with its rejection and stay up. A 10 MB single line goes both ways too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use skillbrain::Server;

use crate::city::{BIN, empty};

const SECRET: &str = "e2e-bad-input-secret-0123456789";

#[derive(Debug, Deserialize)]
struct Manifest {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    file: Option<String>,
    table: Option<String>,
    format: Option<String>,
    mapping: Option<String>,
    encoding: Option<String>,
    file_error: Option<toml::Value>,
    accepted: Option<u64>,
    #[serde(default)]
    rejects: Vec<Expected>,
    #[serde(default)]
    duplicate_keys: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
struct Expected {
    line: u64,
    column: String,
    reason: String,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")
}

fn manifest() -> Vec<Case> {
    let path = corpus().join("cases.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the corpus manifest {} is missing: {e}", path.display()));
    let manifest: Manifest = toml::from_str(&text).expect("cases.toml parses");
    assert!(manifest.case.len() >= 20, "the corpus has its cases");
    manifest.case
}

fn substrings(v: &toml::Value) -> Vec<String> {
    match v {
        toml::Value::String(s) => vec![s.clone()],
        toml::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().expect("strings").to_owned())
            .collect(),
        other => panic!("file_error must be a string or a list, not {other}"),
    }
}

/// The ingest arguments of a case, or `None` for a case the command line does not read
/// (a JSON array, which only a push sends).
fn ingest_args(case: &Case, file: &Path) -> Option<Vec<String>> {
    let mut args = vec!["ingest".to_owned()];
    match (&case.table, &case.format, &case.mapping) {
        (_, Some(format), _) if format == "json_array" => return None,
        (Some(table), Some(format), None) => {
            args.extend([
                "--table".into(),
                table.clone(),
                "--format".into(),
                format.clone(),
            ]);
        }
        (None, None, Some(mapping)) => {
            args.extend(["--mapping".into(), mapping.clone()]);
            if let Some(e) = &case.encoding {
                args.extend(["--encoding".into(), e.clone()]);
            }
        }
        _ => panic!("{}: neither a canonical file nor an export", case.name),
    }
    args.push(file.to_string_lossy().into_owned());
    Some(args)
}

#[test]
fn every_corpus_file_gets_its_rejection_from_skillbrain_ingest() {
    let mut failures = Vec::new();
    for case in manifest() {
        let Some(file) = &case.file else {
            continue; // generated cases: see the 10 MB test below
        };
        let path = corpus().join(file);
        let Some(args) = ingest_args(&case, &path) else {
            continue;
        };
        let city = empty("e2e-bad-");
        let out = Command::new(BIN)
            .args(city.global_args())
            .args(&args)
            .env("SKILLBRAIN_LOG", "warn")
            .env("SKILLBRAIN_IDENTITY__SECRET", SECRET)
            .output()
            .expect("the binary runs");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        let mut problems = Vec::new();
        if stderr.contains("panicked") || stdout.contains("panicked") {
            problems.push("panicked".to_owned());
        }
        let code = out.status.code();
        if let Some(expected) = &case.file_error {
            if code != Some(1) {
                problems.push(format!("exit {code:?}, expected 1"));
            }
            if !stderr.contains(file.as_str()) {
                problems.push("the error does not name the file".into());
            }
            for s in substrings(expected) {
                if !stderr.contains(&s) {
                    problems.push(format!("the error lacks {s:?}"));
                }
            }
        } else {
            let table = case.table.clone().unwrap_or("assessment_results".into());
            let dups = case.duplicate_keys.get(&table).copied().unwrap_or(0);
            let accepted = case.accepted.unwrap_or(0) - dups;
            let summary = format!("{accepted} accepted, {} rejected", case.rejects.len());
            if !stdout.contains(&summary) {
                problems.push(format!("the summary lacks {summary:?}"));
            }
            let want = if case.rejects.is_empty() { 0 } else { 2 };
            if code != Some(want) {
                problems.push(format!("exit {code:?}, expected {want}"));
            }
            for r in case.rejects.iter().take(20) {
                let shown = stdout.lines().any(|l| {
                    l.trim_start().starts_with("rejected")
                        && l.contains(&format!("line {}", r.line))
                        && (r.column.is_empty() || l.contains(&format!("'{}'", r.column)))
                        && l.contains(&r.reason)
                });
                if !shown {
                    problems.push(format!("no rejection line for {r:?}"));
                }
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{} ({file}): {}\nstdout: {stdout}\nstderr: {stderr}",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn content_type(format: &str) -> Option<&'static str> {
    match format {
        "csv" => Some("text/csv"),
        "ndjson" => Some("application/x-ndjson"),
        "json_array" => Some("application/json"),
        _ => None,
    }
}

#[test]
fn every_canonical_text_case_pushed_gets_its_answer_and_the_server_stays_up() {
    let city = empty("e2e-bad-push-");
    let args = city.global_args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start(BIN, &refs);
    let mut failures = Vec::new();
    let mut pushed = 0;
    for case in manifest() {
        let (Some(file), Some(table), Some(format)) = (&case.file, &case.table, &case.format)
        else {
            continue;
        };
        let Some(ct) = content_type(format) else {
            continue;
        };
        pushed += 1;
        let body = std::fs::read(corpus().join(file)).unwrap();
        let url = format!("{}/v1/ingest/{table}", server.base);
        let response = skillbrain::agent()
            .post(&url)
            .header("Content-Type", ct)
            .send(&body[..]);
        let (status, text) = match response {
            Ok(mut r) => (
                r.status().as_u16(),
                r.body_mut().read_to_string().unwrap_or_default(),
            ),
            Err(e) => {
                failures.push(format!("{}: no answer: {e}", case.name));
                continue;
            }
        };
        let mut problems = Vec::new();
        if case.file_error.is_some() {
            let error: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            if status != 400 || error["error"]["message"].as_str().is_none() {
                problems.push(format!("expected a JSON 400, got {status} {text}"));
            }
        } else {
            let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let stored = answer["accepted"].as_u64().unwrap_or(0)
                + answer["duplicates"].as_u64().unwrap_or(0);
            if status != 200 || stored != case.accepted.unwrap_or(0) {
                problems.push(format!(
                    "expected 200 with {:?} rows, got {status} {text}",
                    case.accepted
                ));
            }
            let lines: Vec<u64> = (answer["rejected"].as_array().cloned().unwrap_or_default())
                .iter()
                .filter_map(|r| r["line"].as_u64())
                .collect();
            let want: Vec<u64> = case.rejects.iter().map(|r| r.line).collect();
            if lines != want {
                problems.push(format!("rejected lines {lines:?}, expected {want:?}"));
            }
        }
        let (health, _, _) = skillbrain::get(&format!("{}/healthz", server.base), &[]);
        if health != 200 {
            problems.push(format!("/healthz answered {health} afterwards"));
        }
        if !problems.is_empty() {
            failures.push(format!("{} ({file}): {}", case.name, problems.join("; ")));
        }
    }
    assert!(pushed >= 10, "the corpus has canonical text cases to push");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One NDJSON line of 10 MB (a valid row with a huge unknown key) and a good line.
fn ten_mb_body() -> String {
    let blob: String = "0123456789abcdef".repeat(10 << 16);
    let row = |id: &str, extra: &str| {
        format!(
            "{{\"event_id\":\"{id}\",\"worker_id\":\"w-{id}\",\"course_id\":\"C-ELC-01\",\
             \"hours\":8,\"completed_at\":\"2026-03-01\",\"completed\":true{extra}}}"
        )
    };
    format!(
        "{}\n{}\n",
        row("big", &format!(",\"photo\":\"{blob}\"")),
        row("small", "")
    )
}

#[test]
fn a_10_mb_line_is_rejected_by_line_over_http_and_from_a_file() {
    let city = empty("e2e-bad-10mb-");
    let body = ten_mb_body();
    assert!(body.len() > 10 << 20);
    let file = city.dir.join("training_records.ndjson");
    std::fs::write(&file, &body).unwrap();
    let out = Command::new(BIN)
        .args(city.global_args())
        .args(["ingest", file.to_str().unwrap()])
        .env("SKILLBRAIN_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("1 accepted, 1 rejected"), "{stdout}");
    assert!(stdout.contains("line 1, column 'photo'"), "{stdout}");
    assert!(
        stdout.len() < 10_000,
        "the rejection does not echo the line"
    );

    let other = empty("e2e-bad-10mb-push-");
    let args = other.global_args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start(BIN, &refs);
    let (status, text) = skillbrain::post(
        &format!("{}/v1/ingest/training_records", server.base),
        "application/x-ndjson",
        &body,
    );
    assert_eq!(status, 200, "{}", &text[..text.len().min(500)]);
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["accepted"], 1);
    assert_eq!(answer["rejected"][0]["line"], 1);
    assert_eq!(answer["rejected"][0]["column"], "photo");
    assert!(text.len() < 10_000, "the answer does not echo the line");
    let (health, _, _) = skillbrain::get(&format!("{}/healthz", server.base), &[]);
    assert_eq!(health, 200);
}
