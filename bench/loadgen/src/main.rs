//! Load generator for `bench/connectors.sh`.
//!
//! - `loadgen http`: C client threads POST pre-built NDJSON bodies of assessment_results
//!   rows (unique event_ids) to `/v1/ingest/assessment_results`; prints events/s and the
//!   p50/p99 request (= ack) latency, and checks the answers' counts.
//! - `loadgen sink`: a trivial HTTP server that answers every POST with the body's line
//!   count as `accepted`, to show what `loadgen http` can drive on this machine.
//! - `loadgen nats`: P publishers publish rows to `skillbrain.assessment_results` (R rows
//!   per message) with JetStream publish acks in flight up to a window; then (unless
//!   `--lake` is absent) waits until the lake's Delta log has a NATS commit holding the
//!   last stream sequence and computes each message's commit − publish latency.
//! - `loadgen drain`: the broker side of skillbrain's NATS consumer alone: a durable pull
//!   consumer configured like skillbrain's fetches batches (max messages, expiry) and
//!   acknowledges them the same way, with no lake; prints messages/s and the time split
//!   between fetching and acknowledging.
//! - `loadgen steady` and `loadgen refresh` (in `steady.rs`, for `bench/freshness.sh`):
//!   an open-loop push at a steady rate with a freshness probe on a model and a score
//!   probe on the live SSE stream; one batch on an idle server and each model's refresh
//!   time after it; `loadgen idle` waits until the server refreshes nothing.
//!
//! Rows come from a template NDJSON file (`skillbrain generate --format ndjson`'s
//! `assessment_results.ndjson`): each generated row is a template row with a fresh
//! `event_id`, so every code is a valid one. Output: `key=value` pairs on one line
//! starting with `RESULT`, for the script to read.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

mod steady;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first().cloned() else {
        eprintln!("usage: loadgen http|sink|nats|drain|steady|refresh|idle --key value ...");
        std::process::exit(2);
    };
    let opts = Opts::parse(&args[1..]);
    let result = match cmd.as_str() {
        "http" => http(&opts),
        "sink" => sink(&opts),
        "nats" => nats(&opts),
        "drain" => drain(&opts),
        "steady" => steady::steady(&opts),
        "refresh" => steady::refresh(&opts),
        "idle" => steady::idle(&opts),
        _ => Err(format!("unknown command {cmd}").into()),
    };
    if let Err(e) = result {
        eprintln!("loadgen {cmd}: {e}");
        std::process::exit(1);
    }
}

/// `--key value` pairs.
struct Opts(HashMap<String, String>);

impl Opts {
    fn parse(args: &[String]) -> Opts {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(k) = it.next() {
            let key = k.trim_start_matches("--").to_owned();
            let value = it.next().cloned().unwrap_or_default();
            map.insert(key, value);
        }
        Opts(map)
    }
    fn str(&self, key: &str, default: &str) -> String {
        self.0
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }
    fn num(&self, key: &str, default: usize) -> usize {
        self.0
            .get(key)
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("--{key} wants a number"))
            })
            .unwrap_or(default)
    }
    fn required(&self, key: &str) -> Res<String> {
        self.0
            .get(key)
            .cloned()
            .ok_or_else(|| format!("--{key} is required").into())
    }
}

/// Template rows without their event_id: each is the JSON object's text after `{`,
/// so that a row is `{"event_id":"<id>",` + rest.
struct Rows {
    rests: Vec<String>,
    prefix: String,
}

impl Rows {
    fn load(path: &str, prefix: String) -> Res<Rows> {
        let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
        let mut rests = Vec::new();
        for line in std::io::BufReader::new(file).lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let mut v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&line)?;
            v.remove("event_id");
            let text = serde_json::to_string(&v)?;
            rests.push(text[1..].to_owned());
            if rests.len() >= 10_000 {
                break;
            }
        }
        if rests.is_empty() {
            return Err(format!("{path} holds no row").into());
        }
        Ok(Rows { rests, prefix })
    }

    /// Appends row number `n` (its event_id is `<prefix>-<n>`), newline-terminated.
    fn push(&self, out: &mut Vec<u8>, n: usize) {
        use std::io::Write;
        let rest = &self.rests[n % self.rests.len()];
        let _ = writeln!(out, "{{\"event_id\":\"{}-{n:010}\",{rest}", self.prefix);
    }

    /// `count` bodies of `rows` rows each, rows numbered from `first`.
    fn bodies(&self, count: usize, rows: usize, first: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(count);
        let mut n = first;
        for _ in 0..count {
            let mut body = Vec::with_capacity(rows * 340);
            for _ in 0..rows {
                self.push(&mut body, n);
                n += 1;
            }
            out.push(body);
        }
        out
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// What one client thread saw.
#[derive(Default)]
struct ClientTally {
    latencies_ms: Vec<f64>,
    accepted: u64,
    duplicates: u64,
    rejected: u64,
    errors: u64,
    first_error: Option<String>,
    commits: Vec<i64>,
}

fn http(opts: &Opts) -> Res<()> {
    let url = format!(
        "{}/v1/ingest/{}",
        opts.required("url")?.trim_end_matches('/'),
        opts.str("table", "assessment_results")
    );
    let clients = opts.num("clients", 16);
    let requests = opts.num("requests", 1000);
    let rows = opts.num("rows", 1000);
    let rows_src = Rows::load(
        &opts.required("template")?,
        opts.str("prefix", "bench-http"),
    )?;
    let t = Instant::now();
    let bodies = Arc::new(rows_src.bodies(requests, rows, 0));
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    eprintln!(
        "loadgen http: {requests} bodies of {rows} rows ({:.1} MiB) built in {:.1}s; {clients} clients -> {url}",
        bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (bodies, next, url) = (bodies.clone(), next.clone(), url.clone());
            std::thread::spawn(move || {
                let config = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(300)))
                    .build();
                let agent: ureq::Agent = config.into();
                let mut tally = ClientTally::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= bodies.len() {
                        break;
                    }
                    let t0 = Instant::now();
                    let answer = steady::post(&agent, &url, &bodies[i][..]);
                    let ms = t0.elapsed().as_secs_f64() * 1000.0;
                    match answer {
                        Ok(v) => {
                            tally.latencies_ms.push(ms);
                            tally.accepted += v["accepted"].as_u64().unwrap_or(0);
                            tally.duplicates += v["duplicates"].as_u64().unwrap_or(0);
                            let rejected = v["rejected"].as_array().map_or(0, Vec::len) as u64;
                            if rejected > 0 && tally.first_error.is_none() {
                                tally.first_error = Some(format!("rejected: {}", v["rejected"]));
                            }
                            tally.rejected += rejected;
                            tally.commits.push(v["commit"].as_i64().unwrap_or(-1));
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
    let tallies: Vec<ClientTally> = handles
        .into_iter()
        .map(|h| h.join().expect("client thread"))
        .collect();
    let wall = started.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = tallies
        .iter()
        .flat_map(|t| t.latencies_ms.clone())
        .collect();
    lat.sort_by(f64::total_cmp);
    let sum = |f: fn(&ClientTally) -> u64| tallies.iter().map(f).sum::<u64>();
    let (accepted, duplicates, rejected, errors) = (
        sum(|t| t.accepted),
        sum(|t| t.duplicates),
        sum(|t| t.rejected),
        sum(|t| t.errors),
    );
    let mut commits: Vec<i64> = tallies.iter().flat_map(|t| t.commits.clone()).collect();
    commits.sort_unstable();
    commits.dedup();
    if let Some(e) = tallies.iter().find_map(|t| t.first_error.clone()) {
        eprintln!("loadgen http: first problem: {}", &e[..e.len().min(500)]);
    }
    let sent = (requests * rows) as u64;
    println!(
        "RESULT mode=http sent={sent} accepted={accepted} duplicates={duplicates} rejected={rejected} \
         errors={errors} requests={requests} rows_per_request={rows} clients={clients} wall_s={wall:.3} \
         events_per_s={:.0} p50_ms={:.1} p99_ms={:.1} max_ms={:.1} commits={} ok={}",
        accepted as f64 / wall,
        pct(&lat, 50.0),
        pct(&lat, 99.0),
        lat.last().copied().unwrap_or(f64::NAN),
        commits.len(),
        accepted == sent && errors == 0 && rejected == 0 && duplicates == 0
    );
    Ok(())
}

/// A trivial ingest endpoint: reads the body, answers its line count as accepted.
fn sink(opts: &Opts) -> Res<()> {
    use http_body_util::{BodyExt, Full};
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    let bind = opts.required("bind")?;
    let threads = opts.num("threads", 1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&bind).await?;
        eprintln!("loadgen sink listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                let service = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let body = req.into_body().collect().await?.to_bytes();
                    let lines = body.iter().filter(|&&b| b == b'\n').count();
                    let answer = format!(
                        "{{\"accepted\":{lines},\"rejected\":[],\"duplicates\":0,\"commit\":0}}"
                    );
                    let response = hyper::Response::builder()
                        .header("Content-Type", "application/json")
                        .body(Full::new(Bytes::from(answer)))
                        .expect("response");
                    Ok::<_, hyper::Error>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
        #[allow(unreachable_code)]
        Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    })
}

/// One published message: when it was published and acknowledged, its stream sequence.
#[derive(Clone, Copy)]
struct Published {
    at_ms: f64,
    acked_ms: f64,
    seq: u64,
}

/// A NATS commit read from the Delta log.
struct Commit {
    txn: u64,
    ts_ms: f64,
    rows: u64,
}

fn nats(opts: &Opts) -> Res<()> {
    let url = opts.required("url")?;
    let messages = opts.num("messages", 100_000);
    let rows_per = opts.num("rows-per-msg", 1);
    let publishers = opts.num("publishers", 2).max(1);
    let window = opts.num("window", 4096).max(1);
    let stream = opts.str("stream", "SKILLBRAIN");
    let subject = opts.str("subject", "skillbrain.assessment_results");
    let lake = opts.0.get("lake").cloned();
    let create_stream = opts.0.contains_key("create-stream");
    let timeout = Duration::from_secs(opts.num("timeout", 600) as u64);
    let rows_src = Rows::load(
        &opts.required("template")?,
        opts.str("prefix", "bench-nats"),
    )?;
    let t = Instant::now();
    let payloads: Vec<Bytes> = rows_src
        .bodies(messages, rows_per, 0)
        .into_iter()
        .map(|mut b| {
            b.pop(); // the last newline
            Bytes::from(b)
        })
        .collect();
    let bytes: usize = payloads.iter().map(Bytes::len).sum();
    eprintln!(
        "loadgen nats: {messages} messages of {rows_per} rows ({:.1} MiB) built in {:.1}s; \
         {publishers} publishers, window {window} -> {url} {subject}",
        bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (published, pub_wall) = rt.block_on(publish_all(
        url,
        stream.clone(),
        subject,
        payloads,
        publishers,
        window,
        create_stream,
    ))?;
    let events = (messages * rows_per) as u64;
    let first_ms = published
        .iter()
        .map(|p| p.at_ms)
        .fold(f64::INFINITY, f64::min);
    let mut seqs: Vec<u64> = published.iter().map(|p| p.seq).collect();
    seqs.sort_unstable();
    let distinct = {
        let mut s = seqs.clone();
        s.dedup();
        s.len()
    };
    let last_seq = *seqs.last().unwrap_or(&0);
    let mut pub_ack: Vec<f64> = published.iter().map(|p| p.acked_ms - p.at_ms).collect();
    pub_ack.sort_by(f64::total_cmp);
    let publish_line = format!(
        "published={messages} events={events} distinct_seqs={distinct} first_seq={} last_seq={last_seq} \
         publish_wall_s={pub_wall:.3} publish_events_per_s={:.0} publish_msgs_per_s={:.0} \
         puback_p50_ms={:.1} puback_p99_ms={:.1}",
        seqs.first().unwrap_or(&0),
        events as f64 / pub_wall,
        messages as f64 / pub_wall,
        pct(&pub_ack, 50.0),
        pct(&pub_ack, 99.0),
    );
    let Some(lake) = lake else {
        println!("RESULT mode=nats-publish {publish_line}");
        return Ok(());
    };
    // Wait until a NATS commit holds the last sequence.
    let app_id = format!("nats:{stream}:assessment_results");
    let log_dir = std::path::Path::new(&lake).join("assessment_results/_delta_log");
    let deadline = Instant::now() + timeout;
    let mut cache: HashMap<String, Option<Commit>> = HashMap::new();
    let commits = loop {
        let commits = read_commits(&log_dir, &app_id, &mut cache)?;
        if commits.last().is_some_and(|c| c.txn >= last_seq) {
            break commits;
        }
        if Instant::now() > deadline {
            let got = commits.last().map_or(0, |c| c.txn);
            println!(
                "RESULT mode=nats {publish_line} landed_seq={got} ok=false timeout_s={}",
                timeout.as_secs()
            );
            return Err(
                format!("timed out: the lake holds up to sequence {got} of {last_seq}").into(),
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut latencies: Vec<f64> = Vec::with_capacity(published.len());
    for p in &published {
        let i = commits.partition_point(|c| c.txn < p.seq);
        latencies.push(commits[i].ts_ms - p.at_ms);
    }
    latencies.sort_by(f64::total_cmp);
    let end_ms = commits
        .iter()
        .find(|c| c.txn >= last_seq)
        .map(|c| c.ts_ms)
        .unwrap_or(f64::NAN);
    let wall = (end_ms - first_ms) / 1000.0;
    let lake_rows: u64 = commits.iter().map(|c| c.rows).sum();
    println!(
        "RESULT mode=nats {publish_line} commits={} lake_rows_in_nats_commits={lake_rows} wall_s={wall:.3} \
         events_per_s={:.0} p50_ms={:.1} p99_ms={:.1} max_ms={:.1} min_ms={:.1} ok={}",
        commits.len(),
        events as f64 / wall,
        pct(&latencies, 50.0),
        pct(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN),
        latencies.first().copied().unwrap_or(f64::NAN),
        distinct == messages && lake_rows == events
    );
    Ok(())
}

async fn publish_all(
    url: String,
    stream: String,
    subject: String,
    payloads: Vec<Bytes>,
    publishers: usize,
    window: usize,
    create_stream: bool,
) -> Res<(Vec<Published>, f64)> {
    use async_nats::jetstream;
    if create_stream {
        let client = async_nats::connect(url.as_str()).await?;
        let js = jetstream::new(client);
        js.get_or_create_stream(jetstream::stream::Config {
            name: stream.clone(),
            subjects: vec!["skillbrain.>".into()],
            storage: jetstream::stream::StorageType::File,
            ..Default::default()
        })
        .await?;
    }
    let total = payloads.len();
    let payloads = Arc::new(payloads);
    let per = total.div_ceil(publishers);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..publishers {
        let (lo, hi) = (p * per, ((p + 1) * per).min(total));
        let (url, subject, payloads) = (url.clone(), subject.clone(), payloads.clone());
        let inflight = window.div_ceil(publishers).max(1);
        tasks.push(tokio::spawn(async move {
            let client = async_nats::ConnectOptions::new()
                .name("skillbrain-loadgen")
                .connect(url.as_str())
                .await?;
            let js = jetstream::ContextBuilder::new()
                .max_ack_inflight(inflight)
                .backpressure_on_inflight(true)
                .timeout(Duration::from_secs(60))
                .build(client);
            let (tx, mut rx) =
                tokio::sync::mpsc::channel::<(usize, f64, jetstream::context::PublishAckFuture)>(
                    inflight,
                );
            let collector = tokio::spawn(async move {
                let mut out = Vec::with_capacity(hi - lo);
                while let Some((i, at_ms, ack)) = rx.recv().await {
                    let ack = ack.await?;
                    out.push((
                        i,
                        Published {
                            at_ms,
                            acked_ms: now_ms(),
                            seq: ack.sequence,
                        },
                    ));
                }
                Ok::<_, async_nats::jetstream::context::PublishError>(out)
            });
            for i in lo..hi {
                let at_ms = now_ms();
                let ack = js.publish(subject.clone(), payloads[i].clone()).await?;
                if tx.send((i, at_ms, ack)).await.is_err() {
                    break;
                }
            }
            drop(tx);
            let out = collector.await??;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(out)
        }));
    }
    let mut all = vec![
        Published {
            at_ms: 0.0,
            acked_ms: 0.0,
            seq: 0
        };
        total
    ];
    for t in tasks {
        for (i, p) in t.await?? {
            all[i] = p;
        }
    }
    Ok((all, started.elapsed().as_secs_f64()))
}

/// The NATS commits of the Delta log (those with a `txn` of `app_id`), by txn version.
fn read_commits(
    dir: &std::path::Path,
    app_id: &str,
    cache: &mut HashMap<String, Option<Commit>>,
) -> Res<Vec<Commit>> {
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.starts_with('.') || cache.contains_key(&name) {
            continue;
        }
        let text = match std::fs::read_to_string(dir.join(&name)) {
            Ok(t) => t,
            Err(_) => continue,
        };
        let (mut txn, mut ts, mut rows) = (None, None, 0u64);
        for line in text.lines() {
            let v: serde_json::Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(_) => continue,
            };
            if let Some(t) = v.get("txn")
                && t["appId"].as_str() == Some(app_id)
            {
                txn = t["version"].as_u64();
            }
            if let Some(c) = v.get("commitInfo") {
                ts = c["timestamp"].as_f64();
            }
            if let Some(a) = v.get("add") {
                let stats = a["stats"].as_str().unwrap_or("{}");
                let stats: serde_json::Value = serde_json::from_str(stats).unwrap_or_default();
                rows += stats["numRecords"].as_u64().unwrap_or(0);
            }
        }
        let commit = match (txn, ts) {
            (Some(txn), Some(ts_ms)) => Some(Commit { txn, ts_ms, rows }),
            // Not read whole yet (no commitInfo): read it again at the next poll.
            (_, None) => continue,
            _ => None,
        };
        cache.insert(name, commit);
    }
    let mut commits: Vec<Commit> = cache
        .values()
        .flatten()
        .map(|c| Commit {
            txn: c.txn,
            ts_ms: c.ts_ms,
            rows: c.rows,
        })
        .collect();
    commits.sort_by_key(|c| c.txn);
    Ok(commits)
}

/// Consumes `--messages` messages of `--stream` like skillbrain's NATS consumer does, but
/// lands nothing: fetch a batch, acknowledge each message, double-ack the last.
fn drain(opts: &Opts) -> Res<()> {
    use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
    use futures::StreamExt;
    let url = opts.required("url")?;
    let stream_name = opts.str("stream", "SKILLBRAIN");
    let subject = opts.str("subject", "skillbrain.assessment_results");
    let want = opts.num("messages", 100_000);
    let batch = opts.num("batch", 10_000);
    let expires = Duration::from_millis(opts.num("expires-ms", 500) as u64);
    let max_bytes = opts.num("max-bytes", 0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let client = async_nats::connect(url.as_str()).await?;
        let js = async_nats::jetstream::new(client);
        let stream = js.get_stream(&stream_name).await?;
        let consumer = stream
            .create_consumer(pull::Config {
                durable_name: Some("loadgen-drain".into()),
                deliver_policy: DeliverPolicy::All,
                ack_policy: AckPolicy::Explicit,
                ack_wait: Duration::from_secs(300),
                filter_subject: subject,
                max_ack_pending: (batch * 2) as i64,
                ..Default::default()
            })
            .await?;
        let started = Instant::now();
        let (mut got, mut batches) = (0usize, 0usize);
        let (mut fetch_s, mut ack_s) = (0f64, 0f64);
        while got < want {
            let t0 = Instant::now();
            let mut messages = Vec::new();
            let mut request = consumer.batch().max_messages(batch).expires(expires);
            if max_bytes > 0 {
                request = request.max_bytes(max_bytes);
            }
            let mut b = request.messages().await?;
            while let Some(m) = b.next().await {
                let m = match m {
                    Ok(m) => m,
                    // The batch reached max_bytes: the server ends it with a 409.
                    Err(e) if max_bytes > 0 && e.to_string().contains("MaxBytes") => break,
                    Err(e) => return Err(e),
                };
                let _ = m.info()?;
                messages.push(m);
            }
            let t1 = Instant::now();
            fetch_s += (t1 - t0).as_secs_f64();
            if let Some((last, rest)) = messages.split_last() {
                for m in rest {
                    m.ack().await?;
                }
                last.double_ack().await?;
                batches += 1;
            }
            ack_s += t1.elapsed().as_secs_f64();
            got += messages.len();
        }
        let wall = started.elapsed().as_secs_f64();
        println!(
            "RESULT mode=drain messages={got} batches={batches} wall_s={wall:.3} msgs_per_s={:.0} \
             fetch_s={fetch_s:.3} ack_s={ack_s:.3}",
            got as f64 / wall
        );
        Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    })
}
