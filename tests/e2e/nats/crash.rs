//! The server is SIGKILLed at random moments (a seeded PRNG picks each) while a thread
//! publishes events to NATS and another pushes them over HTTP; each is started again at
//! once. Both clients retry what was not acknowledged, as real ones do, and count an
//! event only once its publish was acknowledged by JetStream or its push answered 200.
//! At the end every acknowledged event is in the lake exactly once, and nothing else.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;
use skillbrain::agent;

use super::{NatsServer, Publisher, SUBJECT, assert_stored_once, demand, empty_city, serve};

/// Kills and restarts of the server.
const ROUNDS: usize = 20;
/// The seed of the moments the server is killed at; `CRASH_SEED` (decimal) picks another.
const SEED: u64 = 0x5eed_2026;
/// A server lives this long (plus a random share of `LIFE_SPREAD_MS`) after it serves.
const LIFE_MIN_MS: u64 = 100;
const LIFE_SPREAD_MS: u64 = 600;
/// Bounds on each client, whatever happens.
const MAX_MESSAGES: usize = 20_000;
const MAX_REQUESTS: usize = 5_000;
const HTTP_ROWS: usize = 4;
/// Threads pushing over HTTP at once (their requests share commits).
const PUSHERS: usize = 3;
/// Seconds the last server has to answer a request after the kills are over.
const ANSWER_S: u64 = 60;
/// Seconds a request may wait in all, kills included, before the test gives up on it.
const GIVE_UP_S: u64 = 900;

/// xorshift64*: enough randomness for picking moments, the same for the same seed.
struct Prng(u64);

impl Prng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Publishes messages of one to three events until `stop`; every tenth message repeats
/// an event of the one before. Returns the events whose publish was acknowledged.
fn publisher(url: String, stop: Arc<AtomicBool>) -> JoinHandle<BTreeSet<String>> {
    thread::spawn(move || {
        let publisher = Publisher::connect(&url);
        let mut acked = BTreeSet::new();
        let mut last = String::new();
        for m in 0..MAX_MESSAGES {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let mut ids: Vec<String> = (0..1 + m % 3).map(|i| format!("n{m}-{i}")).collect();
            if m % 10 == 9 {
                ids.push(last.clone());
            }
            let lines: Vec<String> = ids.iter().map(|id| demand(id, 3)).collect();
            publisher.publish(SUBJECT, lines.join("\n"));
            last = ids[0].clone();
            acked.extend(ids);
            thread::sleep(Duration::from_millis(3));
        }
        acked
    })
}

/// Pushes requests of `HTTP_ROWS` events to whichever server is up until `stop`,
/// sending each again until it is answered 200. Returns the events answered.
///
/// While the server is being killed a request may go unanswered through several short
/// lives (a debug build on a busy machine takes seconds to start); once the kills are
/// over (`stop`), the last server must answer it within `ANSWER_S`.
fn pusher(
    t: usize,
    base: Arc<Mutex<Option<String>>>,
    stop: Arc<AtomicBool>,
) -> JoinHandle<BTreeSet<String>> {
    thread::spawn(move || {
        let agent = agent();
        let mut acked = BTreeSet::new();
        for r in 0..MAX_REQUESTS {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let ids: Vec<String> = (0..HTTP_ROWS).map(|i| format!("h{t}-{r}-{i}")).collect();
            let body: Vec<String> = ids.iter().map(|id| demand(id, 2)).collect();
            let body = body.join("\n");
            let sent = Instant::now();
            let mut settled: Option<Instant> = None;
            loop {
                let url = base.lock().unwrap().clone();
                let url = url.map(|b| format!("{b}/v1/ingest/talent_demand"));
                let answer = url.and_then(|url| {
                    let mut resp = agent
                        .post(&url)
                        .header("Content-Type", "application/x-ndjson")
                        .send(&body)
                        .ok()?;
                    let ok = resp.status().as_u16() == 200;
                    let text = resp.body_mut().read_to_string().ok()?;
                    ok.then(|| serde_json::from_str::<Value>(&text).unwrap())
                });
                if let Some(answer) = answer {
                    let stored = answer["accepted"].as_u64().unwrap()
                        + answer["duplicates"].as_u64().unwrap();
                    assert_eq!(stored, HTTP_ROWS as u64, "{answer}");
                    acked.extend(ids);
                    break;
                }
                if stop.load(Ordering::SeqCst) {
                    let since = *settled.get_or_insert_with(Instant::now);
                    assert!(
                        since.elapsed() < Duration::from_secs(ANSWER_S),
                        "request {r} unanswered {ANSWER_S} s after the last restart"
                    );
                }
                assert!(
                    sent.elapsed() < Duration::from_secs(GIVE_UP_S),
                    "request {r} unanswered for {GIVE_UP_S} s"
                );
                thread::sleep(Duration::from_millis(20));
            }
            thread::sleep(Duration::from_millis(5));
        }
        acked
    })
}

#[test]
fn events_from_nats_and_http_survive_20_kills_exactly_once() {
    let started = Instant::now();
    let nats = NatsServer::start();
    let city = empty_city();
    let mut server = serve(&city, &nats);
    let base = Arc::new(Mutex::new(Some(server.base.clone())));
    let stop = Arc::new(AtomicBool::new(false));
    let published = publisher(nats.url.clone(), stop.clone());
    let pushed: Vec<_> = (0..PUSHERS)
        .map(|t| pusher(t, base.clone(), stop.clone()))
        .collect();

    let seed = std::env::var("CRASH_SEED").map_or(SEED, |s| s.parse().expect("a decimal seed"));
    let mut prng = Prng(seed.max(1));
    for _ in 0..ROUNDS {
        let life = LIFE_MIN_MS + prng.next() % LIFE_SPREAD_MS;
        thread::sleep(Duration::from_millis(life));
        *base.lock().unwrap() = None;
        drop(server); // SIGKILL
        server = serve(&city, &nats);
        *base.lock().unwrap() = Some(server.base.clone());
    }
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let from_nats = published.join().expect("the publishing thread");
    let mut from_http = BTreeSet::new();
    for thread in pushed {
        from_http.extend(thread.join().expect("a pushing thread"));
    }
    assert!(!from_nats.is_empty() && !from_http.is_empty());
    let expected: BTreeSet<String> = from_nats.union(&from_http).cloned().collect();

    assert_stored_once(&city, &expected, Duration::from_secs(60));
    eprintln!(
        "{ROUNDS} kills (seed {seed}): {} events published, {} pushed, all stored once, \
         in {:.1?}",
        from_nats.len(),
        from_http.len(),
        started.elapsed()
    );
    drop(server);
}
