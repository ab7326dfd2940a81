//! A live competition held at two venues (异地同赛) on a real server: venue V1's marks
//! are pushed over HTTP and venue V2's published to NATS JetStream; the leaderboard and
//! its Server-Sent Events stream are read by real HTTP clients, one of which reconnects
//! with `Last-Event-ID`; the server is restarted in the middle of the competition. The
//! expected standings are worked out by hand below. Also: a pushed assessment shows in
//! the incremental model `assessment_activity` without anyone running the pipeline.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skillbrain::{Server, get, post};

use crate::city::{BIN, City};
use crate::nats::{NatsServer, Publisher};

const COMPETITION: &str = "C-E2E";

/// One event of an SSE stream.
#[derive(Debug, Clone, PartialEq)]
struct SseEvent {
    id: u64,
    kind: String,
    data: Value,
}

/// Reads `url` as an event stream on a thread of its own, sending each event on.
fn subscribe(url: &str, last_event_id: Option<u64>) -> mpsc::Receiver<SseEvent> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(url).header("Accept", "text/event-stream");
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    let response = request.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(response.status().as_u16(), 200, "GET {url}");
    let content_type = response.headers().get("content-type").cloned();
    assert!(
        content_type.is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream")),
        "not an event stream"
    );
    let (tx, rx) = mpsc::channel();
    let reader = BufReader::new(response.into_body().into_reader());
    std::thread::spawn(move || {
        let (mut id, mut kind, mut data) = (None, String::new(), String::new());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if line.is_empty() {
                if let Some(id) = id.take() {
                    let data: Value = serde_json::from_str(&data).expect("JSON data");
                    let event = SseEvent {
                        id,
                        kind: std::mem::take(&mut kind),
                        data,
                    };
                    if tx.send(event).is_err() {
                        return;
                    }
                }
                data.clear();
            } else if let Some(v) = line.strip_prefix("id:") {
                id = Some(v.trim().parse::<u64>().expect("a numeric event id"));
            } else if let Some(v) = line.strip_prefix("event:") {
                kind = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.strip_prefix(' ').unwrap_or(v));
            }
        }
    });
    rx
}

/// Events of `rx` until `done` says the last one is enough (or 60 s pass).
fn events_until(rx: &mpsc::Receiver<SseEvent>, done: impl Fn(&SseEvent) -> bool) -> Vec<SseEvent> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut out = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(event) => {
                let stop = done(&event);
                out.push(event);
                if stop {
                    return out;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    panic!("the stream ended or stalled; events so far: {out:#?}");
}

/// One mark as a canonical `competition_scores` row.
fn mark(contestant: &str, venue: &str, aspect: &str, judge: Option<&str>, value: f64) -> Value {
    let (kind, max) = if aspect == "A1" {
        ("M", 10.0)
    } else {
        ("J", 6.0)
    };
    json!({
        "event_id": format!("{COMPETITION}-{contestant}-{aspect}-{}", judge.unwrap_or("M")),
        "competition_id": COMPETITION, "venue_id": venue, "contestant_id": contestant,
        "stage": 1, "criterion": "A", "aspect": aspect, "kind": kind, "judge_id": judge,
        "mark": value, "max_mark": max, "scored_at": "2026-11-28T09:00:00Z"
    })
}

/// Every mark of a contestant: measurement A1 (of 10) and judgement A2 (of 6, three
/// judges marking 0–3).
fn marks(contestant: &str, venue: &str, measured: f64, judged: [f64; 3]) -> Vec<Value> {
    let mut rows = vec![mark(contestant, venue, "A1", None, measured)];
    for (i, j) in judged.iter().enumerate() {
        let judge = format!("{venue}-J{}", i + 1);
        rows.push(mark(contestant, venue, "A2", Some(&judge), *j));
    }
    rows
}

fn ndjson(rows: &[Value]) -> String {
    rows.iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `(contestant, venue, total, overall rank, venue rank, medal)`.
type Standing = (
    &'static str,
    &'static str,
    f64,
    i64,
    i64,
    Option<&'static str>,
);

/// The standings worked out by hand. Totals = A1 + mean(judges) / 3 × 6:
/// a 8 + 6 = 14, b 6 + 4 = 10, c 6 + 4 = 10, d 9 + 2 = 11, e 3 + 6 = 9, f 7 + 0 = 7.
/// Overall: a 1 gold, d 2 silver, b and c 3 (both bronze), e 5, f 6. Venues: V1 a 1,
/// b 2, c 2; V2 d 1, e 2, f 3. Median of 7, 9, 10, 10, 11, 14 = 10; deviations 3, 1,
/// 0, 0, 1, 4, whose median is 1 = MAD; standardised = 700 + 40 × (total − 10) / 1.4826.
fn expected() -> Vec<Standing> {
    vec![
        ("a", "V1", 14.0, 1, 1, Some("gold")),
        ("d", "V2", 11.0, 2, 1, Some("silver")),
        ("b", "V1", 10.0, 3, 2, Some("bronze")),
        ("c", "V1", 10.0, 3, 2, Some("bronze")),
        ("e", "V2", 9.0, 5, 2, None),
        ("f", "V2", 7.0, 6, 3, None),
    ]
}

/// Checks leaderboard entries (or `competition_results` rows) against [`expected`].
fn assert_standings(entries: &[Value], what: &str) {
    let by_id: BTreeMap<String, &Value> = entries
        .iter()
        .map(|e| (e["contestant_id"].as_str().unwrap().to_owned(), e))
        .collect();
    assert_eq!(by_id.len(), 6, "{what}: {entries:#?}");
    for (who, venue, total, rank, venue_rank, medal) in expected() {
        let e = by_id[&contestant(who)];
        let f = |k: &str| e[k].as_f64().unwrap_or(f64::NAN);
        assert_eq!(e["venue_id"], venue, "{what} {who}");
        assert!((f("raw_total") - total).abs() < 1e-9, "{what} {who}: {e}");
        assert_eq!(e["overall_rank"].as_i64(), Some(rank), "{what} {who}");
        assert_eq!(e["venue_rank"].as_i64(), Some(venue_rank), "{what} {who}");
        assert_eq!(e["medal"].as_str(), medal, "{what} {who}");
        let standardised = 700.0 + 40.0 * (total - 10.0) / 1.4826;
        assert!(
            (f("standardised_score") - standardised).abs() < 1e-6,
            "{what} {who}: {e}"
        );
        assert!((f("median_raw_total") - 10.0).abs() < 1e-9, "{what} {who}");
        assert!((f("mad_raw_total") - 1.0).abs() < 1e-9, "{what} {who}");
        assert_eq!(e["medallion"], false, "{what} {who}");
        assert!((f("progress") - 1.0).abs() < 1e-9, "{what} {who}");
    }
}

/// The worker id of a contestant of the test (workers pushed by the test itself).
fn contestant(who: &str) -> String {
    format!("w-e2e-{who}")
}

fn contestants_rows() -> String {
    ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|who| {
            json!({
                "worker_id": contestant(who), "region_code": "330382",
                "occupation_code": "6-31-01-03", "updated_at": "2026-01-01T00:00:00Z"
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn serve(city: &City, nats: &NatsServer) -> Server {
    let args = city.global_args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let env = [
        ("SKILLBRAIN_NATS__URL", nats.url.as_str()),
        ("SKILLBRAIN_NATS__COMMIT_INTERVAL_MS", "50"),
        ("SKILLBRAIN_STREAM__COMMIT_INTERVAL_MS", "100"),
        ("SKILLBRAIN_LOG", "warn,buoyant_kernel=off"),
    ];
    Server::start_with_env(BIN, &refs, &env)
}

fn push(base: &str, table: &str, body: &str) -> Value {
    let (status, answer) = post(
        &format!("{base}/v1/ingest/{table}"),
        "application/x-ndjson",
        body,
    );
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["rejected"], json!([]), "{answer}");
    answer
}

fn leaderboard(base: &str) -> Option<Value> {
    let url = format!("{base}/v1/competitions/{COMPETITION}/leaderboard");
    let (status, _, body) = get(&url, &[]);
    match status {
        200 => Some(serde_json::from_str(&body).unwrap()),
        404 => None,
        other => panic!("GET {url}: {other} {body}"),
    }
}

/// Waits until the leaderboard holds `n` contestants whose marks are all in (progress
/// 1 and, for a contestant of V2, its judges' marks too).
fn wait_for(base: &str, n: usize, total_marks: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(board) = leaderboard(base)
            && board["contestants"].as_array().map_or(0, Vec::len) == n
            && board["event_id"].as_u64() == Some(total_marks as u64)
        {
            return board;
        }
        assert!(
            Instant::now() < deadline,
            "the leaderboard did not fill: {:?}",
            leaderboard(base)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_live_competition_at_two_venues_over_http_and_nats_with_sse_and_a_restart() {
    let nats = NatsServer::start();
    let city = crate::city::empty("e2e-live-");
    let mut server = serve(&city, &nats);
    let base = server.base.clone();
    push(&base, "workers", &contestants_rows());
    assert_eq!(
        leaderboard(&base),
        None,
        "no competition before its first mark"
    );

    // A screen opened before the first mark.
    let stream_url = format!("{base}/v1/competitions/{COMPETITION}/stream");
    let screen = subscribe(&stream_url, None);

    // V1 over HTTP, one contestant per push: a, b.
    push(
        &base,
        "competition_scores",
        &ndjson(&marks("w-e2e-a", "V1", 8.0, [3.0, 3.0, 3.0])),
    );
    push(
        &base,
        "competition_scores",
        &ndjson(&marks("w-e2e-b", "V1", 6.0, [2.0, 2.0, 2.0])),
    );
    // V2 over NATS: d.
    let publisher = Publisher::connect(&nats.url);
    publisher.publish(
        "skillbrain.competition_scores",
        ndjson(&marks("w-e2e-d", "V2", 9.0, [1.0, 1.0, 1.0])),
    );
    let first = wait_for(&base, 3, 12);
    assert_eq!(first["contestants"][0]["contestant_id"], "w-e2e-a");

    // The screen: a snapshot (when the first marks came), then changes, ids increasing,
    // up to the id of the leaderboard.
    let seen = events_until(&screen, |e| e.id == 12);
    assert_eq!(seen[0].kind, "snapshot", "{seen:#?}");
    assert!(seen.windows(2).all(|w| w[0].id < w[1].id), "{seen:#?}");
    assert!(seen[1..].iter().all(|e| e.kind == "change"), "{seen:#?}");
    let first_change = seen[1].id;

    // A screen that reconnects after the first change gets exactly what came after it.
    let again = subscribe(&stream_url, Some(first_change));
    let resumed = events_until(&again, |e| e.id == 12);
    let after: Vec<&SseEvent> = seen.iter().filter(|e| e.id > first_change).collect();
    assert_eq!(
        resumed.iter().collect::<Vec<_>>(),
        after,
        "resumed after {first_change}"
    );

    // The server restarts in the middle of the competition: the board is rebuilt from
    // the lake, equal to what it was.
    let status = server.interrupt(Duration::from_secs(60));
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    let mut server = serve(&city, &nats);
    let base = server.base.clone();
    let rebuilt = leaderboard(&base).expect("the board after a restart");
    assert_eq!(rebuilt["contestants"], first["contestants"]);
    assert_eq!(rebuilt["event_id"], first["event_id"]);
    // A screen that reconnects with an id from before the restart gets a snapshot.
    let stream_url = format!("{base}/v1/competitions/{COMPETITION}/stream");
    let reconnected = subscribe(&stream_url, Some(first_change));
    let snapshot = events_until(&reconnected, |_| true);
    assert_eq!(snapshot[0].kind, "snapshot", "{snapshot:#?}");
    assert_eq!(snapshot[0].data["contestants"], first["contestants"]);

    // The rest: c over HTTP, e and f over NATS (f's marks twice: stored once).
    push(
        &base,
        "competition_scores",
        &ndjson(&marks("w-e2e-c", "V1", 6.0, [2.0, 2.0, 2.0])),
    );
    publisher.publish(
        "skillbrain.competition_scores",
        ndjson(&marks("w-e2e-e", "V2", 3.0, [3.0, 3.0, 3.0])),
    );
    let f = ndjson(&marks("w-e2e-f", "V2", 7.0, [0.0, 0.0, 0.0]));
    publisher.publish("skillbrain.competition_scores", f.clone());
    publisher.publish("skillbrain.competition_scores", f);
    let last = wait_for(&base, 6, 24);
    assert_standings(last["contestants"].as_array().unwrap(), "leaderboard");
    let ranks: Vec<i64> = (last["contestants"].as_array().unwrap().iter())
        .map(|e| e["overall_rank"].as_i64().unwrap())
        .collect();
    assert_eq!(ranks, [1, 2, 3, 3, 5, 6], "ordered by rank");
    // The reconnected screen saw every change up to the end.
    let rest = events_until(&reconnected, |e| e.id == 24);
    assert!(rest.iter().all(|e| e.kind == "change"), "{rest:#?}");

    // The SQL model catches up on its own (refreshed after the commits) and agrees.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let url = format!("{base}/v1/models/competition_results?competition_id={COMPETITION}");
        let (status, _, body) = get(&url, &[]);
        assert_eq!(status, 200, "{body}");
        let page: Value = serde_json::from_str(&body).unwrap();
        let rows = page["rows"].as_array().cloned().unwrap_or_default();
        if rows.len() == 6 {
            assert_standings(&rows, "competition_results");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "competition_results did not catch up: {page}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = server.interrupt(Duration::from_secs(60));
}

#[test]
fn a_pushed_assessment_shows_in_the_incremental_model_without_a_run() {
    let nats = NatsServer::start();
    let city = crate::city::empty("e2e-fresh-");
    let server = serve(&city, &nats);
    let base = server.base.clone();
    let (status, _, body) = get(&format!("{base}/v1/models"), &[]);
    assert_eq!(status, 200);
    let models: Value = serde_json::from_str(&body).unwrap();
    let mode = |name: &str| {
        (models["models"].as_array().unwrap().iter())
            .find(|m| m["name"] == name)
            .map(|m| m["refresh_mode"].clone())
    };
    assert_eq!(mode("assessment_activity"), Some(json!("incremental")));
    assert_eq!(mode("talent_stock"), Some(json!("incremental")));
    assert_eq!(mode("talent_db"), Some(json!("full")));

    let assessment = |id: &str, score: i64| {
        json!({
            "event_id": id, "assessment_id": id, "worker_id": "w-1", "enterprise_id": "e-1",
            "region_code": "330382", "occupation_code": "6-31-01-03", "position": "装配",
            "level_attempted": 3, "channel": "mobile", "taken_at": "2026-11-28T08:00:00Z",
            "total_score": score, "max_score": 100, "passed": score >= 60
        })
        .to_string()
    };
    let url = format!("{base}/v1/models/assessment_activity?region_code=330382&channel=mobile");
    let read = || -> Option<(i64, f64)> {
        let (status, _, body) = get(&url, &[]);
        assert_eq!(status, 200, "{body}");
        let page: Value = serde_json::from_str(&body).unwrap();
        let row = page["rows"].as_array()?.first()?.clone();
        Some((row["assessments"].as_i64()?, row["avg_score_pct"].as_f64()?))
    };
    for (n, (id, score), want) in [(1, ("x1", 70), 70.0), (2, ("x2", 90), 80.0)] {
        let commit = push(&base, "assessment_results", &assessment(id, score))["commit"].clone();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some((count, avg)) = read()
                && count == n
            {
                assert!((avg - want).abs() < 1e-9, "average {avg}, want {want}");
                // /v1/models says which version of the table the model reflects.
                let (_, _, body) = get(&format!("{base}/v1/models"), &[]);
                let models: Value = serde_json::from_str(&body).unwrap();
                let model = (models["models"].as_array().unwrap().iter())
                    .find(|m| m["name"] == "assessment_activity")
                    .unwrap()
                    .clone();
                let reflected = model["source_versions"]["assessment_results"].as_i64();
                assert!(
                    reflected >= commit.as_i64(),
                    "{model} after commit {commit}"
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the model did not show assessment {n}: {:?}",
                read()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn a_server_over_models_just_computed_does_not_compute_them_again() {
    // The shared city was ingested and `run`: each model table records the versions of
    // the canonical tables it reflects, which are the tables' current versions.
    let city = crate::city::shared();
    let args = city.global_args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let server =
        Server::start_with_env(BIN, &refs, &[("SKILLBRAIN_LOG", "warn,buoyant_kernel=off")]);
    // A refresh at start would have replaced the first models within this time.
    std::thread::sleep(Duration::from_secs(3));
    let (status, _, body) = get(&format!("{}/v1/models", server.base), &[]);
    assert_eq!(status, 200, "{body}");
    let models: Value = serde_json::from_str(&body).unwrap();
    let models = models["models"].as_array().unwrap();
    assert!(models.len() >= 17, "{models:#?}");
    for m in models {
        // An incremental model's state is built at start (and published with it).
        if m["refresh_mode"] == "incremental" {
            continue;
        }
        // Read back from the lake: no refresh time of this process.
        assert_eq!(
            m["refresh_seconds"],
            json!(0.0),
            "{} was computed again",
            m["name"]
        );
        let sources = m["source_versions"].as_object().unwrap();
        assert_eq!(
            sources.len(),
            9,
            "{} without its source versions: {m}",
            m["name"]
        );
        assert!(sources["assessment_results"].as_i64().unwrap() >= 1, "{m}");
    }
}
