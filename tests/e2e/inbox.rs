//! The drop folder of `skillbrain serve`: dropped files land once and move to `done/`
//! or `failed/` with a report; a server killed while landing, and started again,
//! neither loses nor repeats a file or a row.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use skillbrain::Server;

use crate::city::{BIN, City, generate};

const SECRET: &str = "e2e-inbox-secret-0123456789";

fn start(city: &City, inbox: &Path) -> Server {
    let args = city.global_args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let dir = inbox.to_str().unwrap();
    Server::start_with_env(
        BIN,
        &refs,
        &[
            ("SKILLBRAIN_INBOX__DIR", dir),
            ("SKILLBRAIN_INBOX__POLL_MS", "100"),
            ("SKILLBRAIN_INBOX__SETTLE_MS", "200"),
            ("SKILLBRAIN_IDENTITY__SECRET", SECRET),
            ("SKILLBRAIN_LOG", "warn"),
        ],
    )
}

/// Files under `dir` (recursively), relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Waits until nothing waits in the inbox (outside done/ and failed/).
fn wait_until_empty(inbox: &Path, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let waiting: Vec<String> = files(inbox)
            .into_iter()
            .filter(|f| !f.starts_with("done/") && !f.starts_with("failed/"))
            .collect();
        if waiting.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "files still waiting after {timeout:?}: {waiting:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn count(city: &City, sql: &str) -> i64 {
    let out = city.cmd(&["sql", "--format", "csv", sql]);
    out.lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count in {out:?}"))
}

/// Copies a file into the inbox as a copy tool would: under a `.part` name, then renamed.
fn drop_file(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    let part = PathBuf::from(format!("{}.part", to.display()));
    std::fs::copy(from, &part).unwrap();
    std::fs::rename(&part, to).unwrap();
}

fn report(inbox: &Path, status: &str, ends_with: &str) -> serde_json::Value {
    let all = files(inbox);
    let name = all
        .iter()
        .find(|f| f.starts_with(status) && f.ends_with(&format!("{ends_with}.report.json")))
        .unwrap_or_else(|| panic!("no {status} report for {ends_with} in {all:?}"));
    serde_json::from_slice(&std::fs::read(inbox.join(name)).unwrap()).unwrap()
}

#[test]
fn dropped_files_land_once_and_move_to_done_or_failed_with_a_report() {
    let city = generate(120, 21);
    let inbox = city.dir.join("inbox");
    let server = start(&city, &inbox);
    let workers = skillbrain::read_csv(&city.files().join("workers.csv")).len();
    let results = skillbrain::read_csv(&city.files().join("assessment_results.csv")).len();

    drop_file(
        &city.files().join("workers.csv"),
        &inbox.join("workers.csv"),
    );
    drop_file(
        &city.files().join("assessment_results.csv"),
        &inbox.join("assessment_results/day-1.csv"),
    );
    std::fs::write(
        inbox.join("talent_demand-broken.csv"),
        b"\x00\x01\xffPK garbage\n\x02",
    )
    .unwrap();
    std::fs::create_dir_all(inbox.join("payroll")).unwrap();
    std::fs::write(inbox.join("payroll/x.csv"), "a,b\n1,2\n").unwrap();
    wait_until_empty(&inbox, Duration::from_secs(60));
    drop(server);

    let done = report(&inbox, "done/", "workers.csv");
    assert_eq!(done["status"], "done");
    assert_eq!(
        done["report"]["tables"][0]["accepted"], workers as u64,
        "{done}"
    );
    let day = report(&inbox, "done/assessment_results/", "day-1.csv");
    assert_eq!(
        day["report"]["tables"][0]["accepted"], results as u64,
        "{day}"
    );
    assert_eq!(day["report"]["rejected"], 0);

    let broken = report(&inbox, "failed/", "talent_demand-broken.csv");
    let why = broken["error"].as_str().unwrap();
    assert!(
        why.contains("talent_demand-broken.csv"),
        "names the file: {why}"
    );
    let payroll = report(&inbox, "failed/payroll/", "x.csv");
    assert!(
        payroll["error"].as_str().unwrap().contains("payroll"),
        "{payroll}"
    );

    assert_eq!(count(&city, "select count(*) from workers"), workers as i64);
    assert_eq!(
        count(&city, "select count(*) from assessment_results"),
        results as i64
    );
    // Each file and its report, nothing else.
    let moved: Vec<String> = files(&inbox);
    assert_eq!(moved.len(), 8, "{moved:?}");
}

/// A pseudo-random number from the clock, for kill moments.
fn jitter(max_ms: u64) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    Duration::from_millis(nanos % max_ms.max(1))
}

#[test]
fn a_server_killed_while_landing_neither_loses_nor_repeats_a_file() {
    let city = generate(2000, 23);
    let inbox = city.dir.join("inbox");
    let source = skillbrain::read_csv(&city.files().join("assessment_results.csv"));
    let header = std::fs::read_to_string(city.files().join("assessment_results.csv")).unwrap();
    let header = header.lines().next().unwrap().to_owned();
    let body: Vec<String> = std::fs::read_to_string(city.files().join("assessment_results.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(String::from)
        .collect();
    // Six files of the assessment rows, dropped two per round.
    let parts: Vec<PathBuf> = body
        .chunks(body.len().div_ceil(6))
        .enumerate()
        .map(|(i, chunk)| {
            let p = city.dir.join(format!("part-{i}.csv"));
            std::fs::write(&p, format!("{header}\n{}\n", chunk.join("\n"))).unwrap();
            p
        })
        .collect();
    for (round, pair) in parts.chunks(2).enumerate() {
        let server = start(&city, &inbox);
        for p in pair {
            let name = p.file_name().unwrap();
            drop_file(p, &inbox.join("assessment_results").join(name));
        }
        std::thread::sleep(Duration::from_millis(250) + jitter(700));
        drop(server); // SIGKILL, wherever it is
        eprintln!("round {round}: killed");
    }
    let server = start(&city, &inbox);
    wait_until_empty(&inbox, Duration::from_secs(120));
    drop(server);

    let moved = files(&inbox);
    for p in &parts {
        let name = p.file_name().unwrap().to_str().unwrap();
        let landed: Vec<&String> = moved
            .iter()
            .filter(|f| f.starts_with("done/") && f.ends_with(name))
            .collect();
        assert_eq!(landed.len(), 1, "{name} is in done/ once: {moved:?}");
    }
    assert!(!moved.iter().any(|f| f.starts_with("failed/")), "{moved:?}");
    let rows = count(&city, "select count(*) from assessment_results");
    let distinct = count(
        &city,
        "select count(distinct event_id) from assessment_results",
    );
    assert_eq!(rows, source.len() as i64, "every row landed");
    assert_eq!(distinct, rows, "no row twice");
}
