//! `loadgen steady` and `loadgen refresh`, for `bench/freshness.sh`.
//!
//! - `loadgen steady`: open-loop HTTP pushes of assessment_results at a target rate
//!   (request k of R rows is sent at start + k × R / rate, whether or not earlier ones
//!   were answered, by whichever of C client threads is free), and meanwhile two probes:
//!   - freshness: about every `--probe-every-ms`, one push's answer (its `commit` V,
//!     acknowledged at t) is followed by polling `GET /v1/models` every `--poll-ms`
//!     until the model's `source_versions.<table>` is at least V; t_visible − t;
//!   - scores: a competition of its own with one probe contestant; every
//!     `--score-every-ms` one measurement row (mark 1 of 1, a new aspect each time) is
//!     pushed to `/v1/ingest/competition_scores`, so after push i the contestant's
//!     `raw_total` is i; an SSE client on `/v1/competitions/{id}/stream` notes when each
//!     event arrives; t(first event with raw_total ≥ i) − t(ack of push i), negative
//!     when the event came before the answer.
//! - `loadgen refresh`: on an idle server, pushes one body of `--rows` rows, waits until
//!   every model named in `--models` reflects its commit and prints each one's
//!   `refresh_seconds` and `refresh_mode`; then waits for the server to be idle again;
//!   `--repeat` times.
//! - `loadgen idle`: waits until the server is idle (see [`wait_idle`]).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{Opts, Res, Rows, pct};

fn agent(timeout: Option<Duration>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(timeout)
        .build()
        .into()
}

/// POSTs `body` as NDJSON; the answer's JSON on status 200.
pub(crate) fn post(
    agent: &ureq::Agent,
    url: &str,
    body: &[u8],
) -> Result<serde_json::Value, String> {
    let mut r = agent
        .post(url)
        .header("Content-Type", "application/x-ndjson")
        .send(body)
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let text = r
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("status {status}: {}", &text[..text.len().min(300)]));
    }
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// `GET /v1/models`: the list of models.
fn models(agent: &ureq::Agent, base: &str) -> Result<Vec<serde_json::Value>, String> {
    let mut r = agent
        .get(format!("{base}/v1/models"))
        .call()
        .map_err(|e| e.to_string())?;
    let text = r
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(v["models"].as_array().cloned().unwrap_or_default())
}

/// The `source_versions.<table>` of a model entry: `Err` when the server does not
/// report source versions at all, `Ok(None)` when the model has none for that table.
fn source_version(entry: &serde_json::Value, table: &str) -> Result<Option<i64>, String> {
    match entry.get("source_versions") {
        Some(serde_json::Value::Object(m)) => Ok(m.get(table).and_then(|v| v.as_i64())),
        _ => Err(format!(
            "model `{}` has no source_versions in GET /v1/models: this server cannot say \
             which commit its rows reflect",
            entry["name"].as_str().unwrap_or("?")
        )),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Signed milliseconds from `a` to `b`.
fn signed_ms(a: Instant, b: Instant) -> f64 {
    if b >= a { ms(b - a) } else { -ms(a - b) }
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn median(v: &[f64]) -> f64 {
    let s = sorted(v.to_vec());
    if s.is_empty() {
        return f64::NAN;
    }
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// What one load client saw.
#[derive(Default)]
struct Tally {
    /// Ack − send, per answered request.
    ack_ms: Vec<f64>,
    /// Ack − the request's scheduled time (includes waiting for a free client).
    sched_ms: Vec<f64>,
    /// How late each request was sent after its scheduled time.
    late_ms: Vec<f64>,
    accepted: u64,
    duplicates: u64,
    rejected: u64,
    errors: u64,
    first_error: Option<String>,
    commits: Vec<i64>,
    last_ack: Option<Instant>,
}

/// An answered push followed until the model shows it.
struct Probe {
    commit: i64,
    acked: Instant,
}

/// What the freshness poller saw.
#[derive(Default)]
struct Freshness {
    /// t_visible − t_ack per probe; +inf for one never seen.
    visible_ms: Vec<f64>,
    unresolved: usize,
    polls: usize,
    poll_ms: Vec<f64>,
    /// Per model: (version, refresh_seconds, refresh_mode, first seen) of every version
    /// seen.
    versions: std::collections::BTreeMap<String, Vec<(i64, f64, String, Instant)>>,
    error: Option<String>,
}

/// An SSE event of the score stream: when it arrived, its kind, the probe's raw_total.
struct SseEvent {
    at: Instant,
    kind: String,
    raw_total: Option<f64>,
}

/// An answered score push: its number i (raw_total after it = i), ack time, commit.
struct ScorePush {
    i: usize,
    sent: Instant,
    acked: Instant,
    commit: i64,
}

pub fn steady(opts: &Opts) -> Res<()> {
    let base = opts.required("url")?.trim_end_matches('/').to_owned();
    let table = opts.str("table", "assessment_results");
    let url = format!("{base}/v1/ingest/{table}");
    let rate = opts.num("rate", 50_000).max(1) as f64;
    let seconds = opts.num("seconds", 60) as f64;
    let clients = opts.num("clients", 16).max(1);
    let rows_per = opts.num("rows-per-request", 1000).max(1);
    let model = opts.str("model", "talent_stock");
    let probe_every = Duration::from_millis(opts.num("probe-every-ms", 200) as u64);
    let poll_every = Duration::from_millis(opts.num("poll-ms", 20).max(1) as u64);
    let score_every_ms = opts.num("score-every-ms", 100);
    let warmup = Duration::from_secs(opts.num("warmup-s", 5) as u64);
    let drain = Duration::from_secs(opts.num("drain-s", 30) as u64);
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let competition = opts.str("competition", &format!("FRESH-{stamp}"));
    let rows = Arc::new(Rows::load(
        &opts.required("template")?,
        opts.str("prefix", &format!("steady-{stamp}")),
    )?);

    let requests = ((rate * seconds) / rows_per as f64).round().max(1.0) as usize;
    let interval = Duration::from_secs_f64(rows_per as f64 / rate);
    eprintln!(
        "loadgen steady: {requests} requests of {rows_per} rows, one every {:.2} ms ({rate} events/s \
         for {seconds} s), {clients} clients -> {url}; freshness of `{model}` every {} ms after \
         {} s; scores every {score_every_ms} ms to competition {competition}",
        ms(interval),
        probe_every.as_millis(),
        warmup.as_secs()
    );

    // The freshness probe: exits when `load_done` and nothing is pending, or after `drain`.
    let (probe_tx, probe_rx) = mpsc::channel::<Probe>();
    let load_done = Arc::new(AtomicBool::new(false));
    let freshness = {
        let (base, model, table, load_done) = (
            base.clone(),
            model.clone(),
            table.clone(),
            load_done.clone(),
        );
        std::thread::spawn(move || {
            poll_freshness(
                &base, &model, &table, probe_rx, poll_every, &load_done, drain,
            )
        })
    };

    // The score probe: an SSE reader, then the pusher.
    let score_stop = Arc::new(AtomicBool::new(false));
    let events: Arc<Mutex<Vec<SseEvent>>> = Arc::default();
    let contestant = "probe-contestant".to_owned();
    let score_thread = if score_every_ms > 0 {
        let connected = Arc::new(AtomicBool::new(false));
        {
            let stream_url = format!("{base}/v1/competitions/{competition}/stream");
            let (events, connected, contestant) =
                (events.clone(), connected.clone(), contestant.clone());
            // Not joined: it blocks on the stream until the process exits.
            std::thread::spawn(move || {
                if let Err(e) = read_sse(&stream_url, &contestant, &events, &connected) {
                    eprintln!("loadgen steady: the SSE stream ended: {e}");
                }
            });
        }
        let wait_until = Instant::now() + Duration::from_secs(10);
        while !connected.load(Ordering::Acquire) && Instant::now() < wait_until {
            std::thread::sleep(Duration::from_millis(10));
        }
        if !connected.load(Ordering::Acquire) {
            return Err("the SSE stream did not answer within 10 s".into());
        }
        let (base, competition, contestant, stop) = (
            base.clone(),
            competition.clone(),
            contestant.clone(),
            score_stop.clone(),
        );
        Some(std::thread::spawn(move || {
            push_scores(
                &base,
                &competition,
                &contestant,
                Duration::from_millis(score_every_ms as u64),
                &stop,
            )
        }))
    } else {
        None
    };

    // The load, open loop.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    // Milliseconds since `started` when the next freshness probe is due.
    let probe_due = Arc::new(AtomicU64::new(warmup.as_millis() as u64));
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (rows, next, url, probe_due, probe_tx) = (
                rows.clone(),
                next.clone(),
                url.clone(),
                probe_due.clone(),
                probe_tx.clone(),
            );
            let probe_every = probe_every.as_millis() as u64;
            std::thread::spawn(move || {
                let agent = agent(Some(Duration::from_secs(120)));
                let mut tally = Tally::default();
                let mut body = Vec::with_capacity(rows_per * 360);
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= requests {
                        break;
                    }
                    let due = started + interval.mul_f64(k as f64);
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    body.clear();
                    for n in k * rows_per..(k + 1) * rows_per {
                        rows.push(&mut body, n);
                    }
                    let sent = Instant::now();
                    tally.late_ms.push(ms(sent.saturating_duration_since(due)));
                    match post(&agent, &url, &body) {
                        Ok(v) => {
                            let acked = Instant::now();
                            tally.ack_ms.push(ms(acked - sent));
                            tally.sched_ms.push(ms(acked - due));
                            tally.last_ack = Some(acked);
                            tally.accepted += v["accepted"].as_u64().unwrap_or(0);
                            tally.duplicates += v["duplicates"].as_u64().unwrap_or(0);
                            let rejected = v["rejected"].as_array().map_or(0, Vec::len) as u64;
                            if rejected > 0 && tally.first_error.is_none() {
                                tally.first_error = Some(format!("rejected: {}", v["rejected"]));
                            }
                            tally.rejected += rejected;
                            let commit = v["commit"].as_i64().unwrap_or(-1);
                            tally.commits.push(commit);
                            let at = (acked - started).as_millis() as u64;
                            let due_probe = probe_due.load(Ordering::Relaxed);
                            if commit >= 0
                                && at >= due_probe
                                && probe_due
                                    .compare_exchange(
                                        due_probe,
                                        at + probe_every,
                                        Ordering::Relaxed,
                                        Ordering::Relaxed,
                                    )
                                    .is_ok()
                            {
                                let _ = probe_tx.send(Probe { commit, acked });
                            }
                        }
                        Err(e) => {
                            tally.errors += 1;
                            tally.first_error.get_or_insert(e);
                        }
                    }
                }
                tally
            })
        })
        .collect();
    drop(probe_tx);
    let tallies: Vec<Tally> = handles
        .into_iter()
        .map(|h| h.join().expect("client thread"))
        .collect();
    let load_end = Instant::now();
    load_done.store(true, Ordering::Release);
    score_stop.store(true, Ordering::Release);
    let pushes = match score_thread {
        Some(t) => t.join().expect("score thread")?,
        None => Vec::new(),
    };
    let fresh = freshness.join().expect("freshness thread");
    // Give the last score event a moment to arrive.
    std::thread::sleep(Duration::from_millis(500));

    // --- the load ---
    let cat =
        |f: fn(&Tally) -> &Vec<f64>| sorted(tallies.iter().flat_map(|t| f(t).clone()).collect());
    let (ack, sched, late) = (
        cat(|t| &t.ack_ms),
        cat(|t| &t.sched_ms),
        cat(|t| &t.late_ms),
    );
    let sum = |f: fn(&Tally) -> u64| tallies.iter().map(f).sum::<u64>();
    let (accepted, duplicates, rejected, errors) = (
        sum(|t| t.accepted),
        sum(|t| t.duplicates),
        sum(|t| t.rejected),
        sum(|t| t.errors),
    );
    let last_ack = tallies
        .iter()
        .filter_map(|t| t.last_ack)
        .max()
        .unwrap_or(load_end);
    let wall = (last_ack - started).as_secs_f64();
    let mut commits: Vec<i64> = tallies.iter().flat_map(|t| t.commits.clone()).collect();
    commits.sort_unstable();
    commits.dedup();
    if let Some(e) = tallies.iter().find_map(|t| t.first_error.clone()) {
        eprintln!("loadgen steady: first problem: {}", &e[..e.len().min(500)]);
    }
    let sent = (requests * rows_per) as u64;
    println!(
        "RESULT mode=steady target_events_per_s={rate:.0} seconds={seconds} clients={clients} \
         rows_per_request={rows_per} requests={requests} sent={sent} accepted={accepted} \
         duplicates={duplicates} rejected={rejected} errors={errors} wall_s={wall:.3} \
         events_per_s={:.0} ack_p50_ms={:.1} ack_p99_ms={:.1} ack_max_ms={:.1} \
         sched_p50_ms={:.1} sched_p99_ms={:.1} late_p99_ms={:.1} late_max_ms={:.1} commits={} \
         rows_per_commit={:.0} ok={}",
        accepted as f64 / wall,
        pct(&ack, 50.0),
        pct(&ack, 99.0),
        ack.last().copied().unwrap_or(f64::NAN),
        pct(&sched, 50.0),
        pct(&sched, 99.0),
        pct(&late, 99.0),
        late.last().copied().unwrap_or(f64::NAN),
        commits.len(),
        accepted as f64 / commits.len().max(1) as f64,
        accepted == sent && errors == 0 && rejected == 0 && duplicates == 0
    );

    // --- freshness ---
    if let Some(e) = &fresh.error {
        eprintln!("loadgen steady: freshness probe: {e}");
    }
    let vis = sorted(fresh.visible_ms.clone());
    let p99 = pct(&vis, 99.0);
    let refreshes = fresh
        .versions
        .get(&model)
        .map_or(0, |v| v.len().saturating_sub(1));
    let model_secs: Vec<f64> = fresh
        .versions
        .get(&model)
        .map(|v| v.iter().skip(1).map(|x| x.1).collect())
        .unwrap_or_default();
    // Between two refreshes of the model, as the poller saw them appear.
    let model_gaps: Vec<f64> = fresh
        .versions
        .get(&model)
        .map(|v| {
            v.windows(2)
                .skip(1)
                .map(|w| (w[1].3 - w[0].3).as_secs_f64())
                .collect()
        })
        .unwrap_or_default();
    println!(
        "RESULT mode=freshness model={model} table={table} probes={} visible={} unresolved={} \
         p50_ms={:.1} p99_ms={:.1} max_ms={:.1} min_ms={:.1} polls={} poll_p50_ms={:.1} \
         model_refreshes={refreshes} model_refresh_p50_s={:.3} model_refresh_max_s={:.3} \
         model_refresh_interval_p50_s={:.3} target_p99_ms=1000 met={}",
        vis.len(),
        vis.len() - fresh.unresolved,
        fresh.unresolved,
        pct(&vis, 50.0),
        p99,
        vis.last().copied().unwrap_or(f64::NAN),
        vis.first().copied().unwrap_or(f64::NAN),
        fresh.polls,
        median(&fresh.poll_ms),
        median(&model_secs),
        model_secs.iter().copied().fold(f64::NAN, f64::max),
        median(&model_gaps),
        fresh.error.is_none() && !vis.is_empty() && p99 <= 1000.0
    );
    for (name, versions) in &fresh.versions {
        if versions.len() < 2 {
            continue;
        }
        let secs: Vec<f64> = versions.iter().skip(1).map(|x| x.1).collect();
        println!(
            "REFRESH model={name} mode={} refreshes={} p50_s={:.3} max_s={:.3}",
            versions.last().map_or("?", |x| x.2.as_str()),
            secs.len(),
            median(&secs),
            secs.iter().copied().fold(f64::NAN, f64::max)
        );
    }

    // --- scores ---
    if score_every_ms > 0 {
        let events = events.lock().expect("events");
        let mut deltas = Vec::new();
        let mut ack_ms = Vec::new();
        let mut missing = 0;
        // The first push creates the competition (the stream starts with a snapshot):
        // left out.
        for p in pushes.iter().filter(|p| p.i >= 2) {
            ack_ms.push(ms(p.acked - p.sent));
            let seen = events
                .iter()
                .find(|e| e.raw_total.is_some_and(|r| r >= p.i as f64 - 1e-6));
            match seen {
                Some(e) => deltas.push(signed_ms(p.acked, e.at)),
                None => missing += 1,
            }
        }
        let commits = {
            let mut c: Vec<i64> = pushes.iter().map(|p| p.commit).collect();
            c.dedup();
            c.len()
        };
        let d = sorted(deltas);
        let a = sorted(ack_ms);
        let changes = events.iter().filter(|e| e.kind == "change").count();
        let p99 = pct(&d, 99.0);
        println!(
            "RESULT mode=score competition={competition} pushes={} measured={} missing={missing} \
             commits={commits} sse_events={} sse_changes={changes} p50_ms={:.1} p99_ms={:.1} \
             min_ms={:.1} max_ms={:.1} score_ack_p50_ms={:.1} score_ack_p99_ms={:.1} \
             target_p99_ms=100 met={}",
            pushes.len(),
            d.len(),
            events.len(),
            pct(&d, 50.0),
            p99,
            d.first().copied().unwrap_or(f64::NAN),
            d.last().copied().unwrap_or(f64::NAN),
            pct(&a, 50.0),
            pct(&a, 99.0),
            missing == 0 && !d.is_empty() && p99 <= 100.0
        );
    }
    Ok(())
}

/// Polls `GET /v1/models` every `every`, resolving probes as the model's source version
/// of `table` reaches their commit.
fn poll_freshness(
    base: &str,
    model: &str,
    table: &str,
    probes: mpsc::Receiver<Probe>,
    every: Duration,
    load_done: &AtomicBool,
    drain: Duration,
) -> Freshness {
    let agent = agent(Some(Duration::from_secs(30)));
    let mut out = Freshness::default();
    let mut pending: Vec<Probe> = Vec::new();
    let mut closed = false;
    let mut drain_until: Option<Instant> = None;
    loop {
        let tick = Instant::now();
        loop {
            match probes.try_recv() {
                Ok(p) => pending.push(p),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        if load_done.load(Ordering::Acquire) && closed {
            let until = *drain_until.get_or_insert(tick + drain);
            if pending.is_empty() || tick > until {
                break;
            }
        }
        let list = match models(&agent, base) {
            Ok(l) => l,
            Err(e) => {
                out.error.get_or_insert(format!("GET /v1/models: {e}"));
                std::thread::sleep(every);
                continue;
            }
        };
        let seen = Instant::now();
        out.polls += 1;
        out.poll_ms.push(ms(seen - tick));
        for entry in &list {
            let name = entry["name"].as_str().unwrap_or("?").to_owned();
            let version = entry["version"].as_i64().unwrap_or(-1);
            let versions = out.versions.entry(name).or_default();
            if versions.last().map(|v| v.0) != Some(version) {
                versions.push((
                    version,
                    entry["refresh_seconds"].as_f64().unwrap_or(f64::NAN),
                    entry["refresh_mode"].as_str().unwrap_or("?").to_owned(),
                    seen,
                ));
            }
        }
        let Some(entry) = list.iter().find(|e| e["name"].as_str() == Some(model)) else {
            out.error = Some(format!("GET /v1/models lists no model `{model}`"));
            break;
        };
        let reflected = match source_version(entry, table) {
            Ok(v) => v.unwrap_or(-1),
            Err(e) => {
                out.error = Some(e);
                break;
            }
        };
        pending.retain(|p| {
            if p.commit <= reflected {
                out.visible_ms.push(ms(seen - p.acked));
                false
            } else {
                true
            }
        });
        let spent = tick.elapsed();
        if spent < every {
            std::thread::sleep(every - spent);
        }
    }
    // Probes still pending were never seen: counted as infinitely late.
    out.unresolved = pending.len();
    out.visible_ms
        .extend(std::iter::repeat_n(f64::INFINITY, pending.len()));
    out
}

/// Pushes one measurement row for `contestant` every `every` until `stop`.
fn push_scores(
    base: &str,
    competition: &str,
    contestant: &str,
    every: Duration,
    stop: &AtomicBool,
) -> Res<Vec<ScorePush>> {
    let url = format!("{base}/v1/ingest/competition_scores");
    let agent = agent(Some(Duration::from_secs(60)));
    let mut out = Vec::new();
    let begin = Instant::now();
    let mut i = 0usize;
    while !stop.load(Ordering::Acquire) {
        i += 1;
        let due = begin + every.mul_f64((i - 1) as f64);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let body = format!(
            "{{\"event_id\":\"{competition}-{i:06}\",\"competition_id\":\"{competition}\",\
             \"venue_id\":\"V1\",\"contestant_id\":\"{contestant}\",\"stage\":1,\
             \"criterion\":\"A\",\"aspect\":\"P{i:06}\",\"kind\":\"M\",\"judge_id\":null,\
             \"mark\":1.0,\"max_mark\":1.0,\"scored_at\":\"2026-11-28T12:00:00Z\"}}\n"
        );
        let sent = Instant::now();
        let v = post(&agent, &url, body.as_bytes()).map_err(|e| format!("score push {i}: {e}"))?;
        let acked = Instant::now();
        if v["accepted"].as_u64() != Some(1) {
            return Err(format!("score push {i} was not accepted: {v}").into());
        }
        out.push(ScorePush {
            i,
            sent,
            acked,
            commit: v["commit"].as_i64().unwrap_or(-1),
        });
    }
    Ok(out)
}

/// Reads the SSE stream, noting each event's arrival and the probe contestant's
/// raw_total in it.
fn read_sse(
    url: &str,
    contestant: &str,
    events: &Mutex<Vec<SseEvent>>,
    connected: &AtomicBool,
) -> Res<()> {
    use std::io::BufRead;
    let response = agent(None)
        .get(url)
        .header("Accept", "text/event-stream")
        .call()?;
    if response.status().as_u16() != 200 {
        return Err(format!("GET {url}: status {}", response.status()).into());
    }
    connected.store(true, Ordering::Release);
    let mut reader = std::io::BufReader::new(response.into_body().into_reader());
    let (mut kind, mut data) = (String::new(), String::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let text = line.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !data.is_empty() {
                let at = Instant::now();
                let v: serde_json::Value = serde_json::from_str(&data)?;
                let raw_total = v["contestants"].as_array().and_then(|c| {
                    c.iter()
                        .find(|e| e["contestant_id"].as_str() == Some(contestant))
                        .and_then(|e| e["raw_total"].as_f64())
                });
                events.lock().expect("events").push(SseEvent {
                    at,
                    kind: std::mem::take(&mut kind),
                    raw_total,
                });
            }
            kind.clear();
            data.clear();
        } else if let Some(rest) = text.strip_prefix("event:") {
            kind = rest.trim().to_owned();
        } else if let Some(rest) = text.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        }
    }
}

/// Waits until the server refreshes nothing: every model has been refreshed since the
/// server started (its `source_versions` is not empty: a model read back from the lake
/// has none, and `serve` refreshes every model once at start), and no model's version
/// has changed for `quiet` or for 1.5 × the longest `refresh_seconds` any model reports,
/// whichever is longer (refreshes run one model after another, so a pause longer than
/// any one refresh means the round is over). Returns the seconds waited.
fn wait_idle(agent: &ureq::Agent, base: &str, quiet: Duration, timeout: Duration) -> Res<f64> {
    let begin = Instant::now();
    let mut last: Option<Vec<(String, i64)>> = None;
    let mut changed = Instant::now();
    loop {
        let list = models(agent, base)?;
        let now = Instant::now();
        let versions: Vec<(String, i64)> = list
            .iter()
            .map(|e| {
                let name = e["name"].as_str().unwrap_or("?").to_owned();
                (name, e["version"].as_i64().unwrap_or(-1))
            })
            .collect();
        if last.as_ref() != Some(&versions) {
            last = Some(versions);
            changed = now;
        }
        let all_refreshed = list.iter().all(|e| {
            e["source_versions"]
                .as_object()
                .is_some_and(|m| !m.is_empty())
        });
        let longest = list
            .iter()
            .filter_map(|e| e["refresh_seconds"].as_f64())
            .fold(0.0, f64::max);
        let needed = quiet.max(Duration::from_secs_f64(1.5 * longest));
        if all_refreshed && now - changed >= needed {
            return Ok((now - begin).as_secs_f64());
        }
        if now - begin > timeout {
            return Err(format!(
                "the server was not idle within {} s (every model refreshed since start: \
                 {all_refreshed})",
                timeout.as_secs()
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn idle(opts: &Opts) -> Res<()> {
    let base = opts.required("url")?.trim_end_matches('/').to_owned();
    let quiet = Duration::from_secs(opts.num("quiet-s", 2) as u64);
    let timeout = Duration::from_secs(opts.num("timeout-s", 900) as u64);
    let waited = wait_idle(&agent(Some(Duration::from_secs(60))), &base, quiet, timeout)?;
    println!("RESULT mode=idle waited_s={waited:.1}");
    Ok(())
}

/// One body of `--rows` rows on an idle server, `--repeat` times: how long each model of
/// `--models` took to refresh after it, and in which mode.
pub fn refresh(opts: &Opts) -> Res<()> {
    let base = opts.required("url")?.trim_end_matches('/').to_owned();
    let table = opts.str("table", "assessment_results");
    let url = format!("{base}/v1/ingest/{table}");
    let rows_n = opts.num("rows", 10_000).max(1);
    let repeat = opts.num("repeat", 3).max(1);
    let quiet = Duration::from_secs(opts.num("quiet-s", 2) as u64);
    let timeout = Duration::from_secs(opts.num("timeout-s", 900) as u64);
    let names: Vec<String> = opts
        .str("models", "talent_stock,assessment_activity")
        .split(',')
        .map(str::to_owned)
        .collect();
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let rows = Rows::load(
        &opts.required("template")?,
        opts.str("prefix", &format!("refresh-{stamp}")),
    )?;
    let agent = agent(Some(Duration::from_secs(timeout.as_secs())));
    for run in 1..=repeat {
        let waited = wait_idle(&agent, &base, quiet, timeout)?;
        eprintln!(
            "loadgen refresh: run {run} after {waited:.1} s waiting for the server to be idle"
        );
        let body = rows.bodies(1, rows_n, (run - 1) * rows_n).remove(0);
        let sent = Instant::now();
        let v = post(&agent, &url, &body).map_err(|e| format!("push: {e}"))?;
        let acked = Instant::now();
        let commit = v["commit"].as_i64().ok_or("the answer has no commit")?;
        let accepted = v["accepted"].as_u64().unwrap_or(0);
        let mut done: Vec<Option<(f64, f64, String, i64)>> = vec![None; names.len()];
        while done.iter().any(Option::is_none) {
            if acked.elapsed() > timeout {
                return Err(format!(
                    "run {run}: not every model reflects commit {commit} after {} s",
                    timeout.as_secs()
                )
                .into());
            }
            let list = models(&agent, &base)?;
            let seen = Instant::now();
            for (slot, name) in done.iter_mut().zip(&names) {
                if slot.is_some() {
                    continue;
                }
                let entry = list
                    .iter()
                    .find(|e| e["name"].as_str() == Some(name.as_str()))
                    .ok_or_else(|| format!("GET /v1/models lists no model `{name}`"))?;
                if source_version(entry, &table)?.is_some_and(|s| s >= commit) {
                    *slot = Some((
                        ms(seen - acked),
                        entry["refresh_seconds"].as_f64().unwrap_or(f64::NAN),
                        entry["refresh_mode"].as_str().unwrap_or("?").to_owned(),
                        entry["rows"].as_i64().unwrap_or(-1),
                    ));
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for (name, slot) in names.iter().zip(done) {
            let (visible_ms, secs, mode, model_rows) = slot.expect("every model done");
            println!(
                "RESULT mode=refresh run={run} rows={rows_n} accepted={accepted} commit={commit} \
                 ack_ms={:.1} model={name} refresh_mode={mode} refresh_s={secs:.4} \
                 visible_ms={visible_ms:.1} model_rows={model_rows}",
                ms(acked - sent)
            );
        }
    }
    wait_idle(&agent, &base, quiet, timeout)?;
    Ok(())
}
