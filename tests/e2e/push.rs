//! `POST /v1/ingest/{table}` on a real server over a new lake: NDJSON pushed from 16
//! threads at once is stored exactly once per acknowledged row, concurrent requests
//! share commits, and a bad row is reported by line while the others land.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use skillbrain::{Server, post};

use crate::city::{BIN, City};

const THREADS: usize = 16;
const REQUESTS: usize = 3;
const ROWS: usize = 40;
const NDJSON: &str = "application/x-ndjson";

/// A folder with an empty lake (no city is generated).
fn empty_city() -> City {
    crate::city::empty("e2e-push-")
}

fn line(event: &str, dimension: &str, score: f64) -> String {
    json!({ "event_id": event, "dimension_code": dimension, "score": score, "max_score": 20.0 })
        .to_string()
}

/// `(count(*), count of distinct keys)` of the dimension scores, read by `skillbrain sql`.
fn stored(city: &City) -> (u64, u64) {
    let out = city.cmd(&[
        "sql",
        "--format",
        "csv",
        "select count(*) as n, count(distinct event_id || '/' || dimension_code) as k \
         from assessment_dimension_scores",
    ]);
    let row = out
        .lines()
        .nth(1)
        .unwrap_or_else(|| panic!("no count in {out:?}"));
    let mut values = row.split(',').map(|v| v.trim().parse::<u64>().unwrap());
    (values.next().unwrap(), values.next().unwrap())
}

fn push(url: &str, body: &str) -> Value {
    let (status, answer) = post(url, NDJSON, body);
    assert_eq!(status, 200, "{answer}");
    serde_json::from_str(&answer).unwrap()
}

#[test]
fn rows_pushed_from_16_threads_are_stored_exactly_once() {
    let city = empty_city();
    let args = city.global_args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start(BIN, &refs);
    let url = format!("{}/v1/ingest/assessment_dimension_scores", server.base);

    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let (mut accepted, mut commits) = (0, Vec::new());
                let mut bodies = Vec::new();
                for r in 0..REQUESTS {
                    // The thread's own rows, and one row every thread sends.
                    let mut lines: Vec<String> = (0..ROWS)
                        .map(|i| line(&format!("t{t}-r{r}-e{i}"), "D1", 1.0))
                        .collect();
                    lines.push(line(&format!("shared-{r}"), "D1", 2.0));
                    let body = lines.join("\n");
                    let answer = push(&url, &body);
                    assert_eq!(answer["rejected"], json!([]), "{answer}");
                    let (a, d) = (
                        answer["accepted"].as_u64().unwrap(),
                        answer["duplicates"].as_u64().unwrap(),
                    );
                    assert_eq!(a + d, ROWS as u64 + 1, "{answer}");
                    accepted += a;
                    commits.push(answer["commit"].as_i64().unwrap());
                    bodies.push(body);
                }
                // Everything again: all duplicates.
                let again = push(&url, &bodies.join("\n"));
                assert_eq!(again["accepted"], 0, "{again}");
                (accepted, commits)
            })
        })
        .collect();
    let mut accepted = 0;
    let mut commits = BTreeSet::new();
    for thread in threads {
        let (a, c) = thread.join().expect("a pushing thread");
        accepted += a;
        commits.extend(c);
    }
    let expected = (THREADS * REQUESTS * ROWS + REQUESTS) as u64;
    assert_eq!(accepted, expected, "each shared row is accepted once");
    assert!(
        commits.len() < THREADS * REQUESTS,
        "{} requests made {} commits",
        THREADS * REQUESTS,
        commits.len()
    );
    assert_eq!(stored(&city), (expected, expected));

    // A bad row on line 3 is reported; the others land.
    let body = [
        line("bad-1", "D1", 1.0),
        line("bad-1", "D2", 1.0),
        line("bad-1", "D3", 21.0),
        line("bad-2", "D1", 1.0),
    ]
    .join("\n");
    let answer = push(&url, &body);
    assert_eq!(answer["accepted"], 3, "{answer}");
    assert_eq!(answer["rejected"][0]["line"], 3, "{answer}");
    assert_eq!(answer["rejected"][0]["column"], "score", "{answer}");
    assert_eq!(answer["rejected"].as_array().unwrap().len(), 1);
    assert_eq!(stored(&city), (expected + 3, expected + 3));

    let (status, text) = post(&url, "text/plain", "x");
    assert_eq!(status, 415, "{text}");
}
