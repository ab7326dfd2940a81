//! Ingest: the same file twice is stored once; a bad row is quarantined with its file,
//! line and column while the good rows land; a file that cannot be read at all fails
//! the command, naming it, and the other files still land.

use crate::city::{generate, run};

fn count(city: &crate::city::City, table: &str) -> i64 {
    let out = city.cmd(&[
        "sql",
        "--format",
        "csv",
        &format!("select count(*) as n from {table}"),
    ]);
    out.lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count in {out:?}"))
}

#[test]
fn ingesting_the_same_files_twice_leaves_row_counts_unchanged() {
    let city = generate(300, 11);
    let files = city.files();
    let files = files.to_str().unwrap();
    let counts_now = || -> Vec<i64> {
        let tables = [
            "workers",
            "assessment_results",
            "assessment_dimension_scores",
            "talent_demand",
        ];
        tables.iter().map(|t| count(&city, t)).collect()
    };
    let first = city.cmd(&["ingest", files]);
    let counts = counts_now();
    let expected_workers = skillbrain::read_csv(&city.files().join("workers.csv")).len() as i64;
    assert_eq!(counts[0], expected_workers, "every worker row landed once");
    let second = city.cmd(&["ingest", files]);
    assert!(
        second.contains("ingested 0 rows"),
        "second ingest stores nothing: {second}\nfirst: {first}"
    );
    let again = counts_now();
    assert_eq!(counts, again);

    // The same rows again in another format are still duplicates.
    let ndjson = city.dir.join("again.ndjson");
    let assessments = skillbrain::read_csv(&city.files().join("talent_demand.csv"));
    let lines: Vec<String> = assessments
        .iter()
        .take(5)
        .map(|r| {
            serde_json::json!({
                "event_id": r["event_id"], "period": r["period"], "region_code": r["region_code"],
                "occupation_code": r["occupation_code"], "level": r["level"].parse::<i64>().unwrap(),
                "openings": r["openings"].parse::<i64>().unwrap(),
                "job_seekers": r["job_seekers"].parse::<i64>().unwrap(), "source": r["source"],
            })
            .to_string()
        })
        .collect();
    std::fs::write(&ndjson, lines.join("\n")).unwrap();
    let out = city.cmd(&[
        "ingest",
        "--table",
        "talent_demand",
        ndjson.to_str().unwrap(),
    ]);
    assert!(
        out.contains("0 accepted, 0 rejected, 5 duplicates"),
        "{out}"
    );
}

#[test]
fn a_bad_row_is_quarantined_naming_file_line_and_column_and_the_rest_lands() {
    let city = generate(50, 3);
    let bad = city.dir.join("bad_assessments.csv");
    let good = skillbrain::read_csv(&city.files().join("assessment_results.csv"));
    let header = "event_id,assessment_id,worker_id,enterprise_id,region_code,occupation_code,position,level_attempted,channel,taken_at,total_score,max_score,passed";
    let row = |r: &std::collections::HashMap<String, String>, taken: &str| {
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r["event_id"],
            r["assessment_id"],
            r["worker_id"],
            r["enterprise_id"],
            r["region_code"],
            r["occupation_code"],
            r["position"],
            r["level_attempted"],
            r["channel"],
            taken,
            r["total_score"],
            r["max_score"],
            r["passed"]
        )
    };
    let text = format!(
        "{header}\n{}\n{}\n",
        row(&good[0], &good[0]["taken_at"]),
        row(&good[1], "2026-13-45")
    );
    std::fs::write(&bad, text).unwrap();
    let mut args = city.global_args();
    args.extend([
        "ingest".into(),
        "--table".into(),
        "assessment_results".into(),
    ]);
    args.push(bad.to_string_lossy().into_owned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let landed = |refs: &[&str]| {
        let out = run(refs);
        assert_eq!(
            out.status.code(),
            Some(2),
            "a file with a rejected row lands the rest and exits 2: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = landed(&refs);
    assert!(
        said.contains("1 accepted, 1 rejected, 0 duplicates"),
        "{said}"
    );
    let rejected = said
        .lines()
        .find(|l| l.trim_start().starts_with("rejected"))
        .unwrap_or_else(|| panic!("a rejected line: {said}"));
    assert!(
        rejected.contains("bad_assessments.csv"),
        "names the file: {rejected}"
    );
    assert!(rejected.contains("line 3"), "names the line: {rejected}");
    assert!(
        rejected.contains("taken_at"),
        "names the column: {rejected}"
    );
    assert!(!said.contains("panicked"), "{said}");
    assert_eq!(
        count(&city, "assessment_results"),
        1,
        "the good row is stored"
    );

    let listed = city.cmd(&[
        "quarantine",
        "--table",
        "assessment_results",
        "--format",
        "json",
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(rows[0]["line"], 3);
    assert_eq!(rows[0]["column"], "taken_at");
    assert_eq!(rows[0]["raw_value"], "2026-13-45");
    assert!(
        rows[0]["source"]
            .as_str()
            .unwrap()
            .ends_with("bad_assessments.csv")
    );
    assert!(!rows[0]["reason"].as_str().unwrap().is_empty());

    // Again: nothing new stored, the rejection not quarantined twice.
    let said = landed(&refs);
    assert!(
        said.contains("0 accepted, 1 rejected, 1 duplicates"),
        "{said}"
    );
    let listed = city.cmd(&["quarantine", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(count(&city, "assessment_results"), 1);
}

#[test]
fn a_file_that_cannot_be_read_fails_naming_it_and_the_other_files_land() {
    let city = generate(40, 4);
    let broken = city.dir.join("workers.csv");
    std::fs::write(&broken, "worker_id,nickname\nw1,x\n").unwrap();
    let good = city.files().join("enterprises.csv");
    let mut args = city.global_args();
    args.extend(["ingest".to_string(), broken.to_string_lossy().into_owned()]);
    args.push(good.to_string_lossy().into_owned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&refs);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("workers.csv"), "names the file: {stderr}");
    assert!(stderr.contains("nickname"), "names the column: {stderr}");
    let enterprises = skillbrain::read_csv(&good).len() as i64;
    assert_eq!(
        count(&city, "enterprises"),
        enterprises,
        "the good file landed"
    );
    assert_eq!(count(&city, "workers"), 0);
}
