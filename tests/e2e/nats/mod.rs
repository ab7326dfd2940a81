//! NATS JetStream ingestion against a real `nats-server -js` that each test starts on a
//! free port with a temporary store (never the machine's own server on 4222), and a
//! real skillbrain server over a new lake.
//!
//! - `mod.rs`: the broker under test, a publishing client, reading the lake back.
//! - `broker.rs`: published events land once, a bad row is counted, a restart resumes
//!   where the lake is.
//! - `crash.rs`: the server killed at random moments while events arrive by NATS and
//!   by HTTP: every acknowledged event is stored exactly once.

mod broker;
mod crash;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use skillbrain::Server;

use crate::city::{BIN, City};

/// The subject of the table these tests fill.
const SUBJECT: &str = "skillbrain.talent_demand";

/// A `nats-server -js` of the test's own; killed, and its store removed, when dropped.
pub struct NatsServer {
    child: Child,
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
    _store: tempfile::TempDir,
}

impl NatsServer {
    /// Starts JetStream on a free loopback port with a store in a temporary folder, and
    /// waits until it takes connections. Fails (never skips) if `nats-server` is missing.
    pub fn start() -> NatsServer {
        let store = tempfile::Builder::new()
            .prefix("e2e-nats-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("a temporary folder");
        // Another process may take the free port before the server does: try again.
        for _ in 0..5 {
            let port = free_port();
            // Named, so that a server of another test on the same port is told apart.
            static STARTED: AtomicUsize = AtomicUsize::new(0);
            let nth = STARTED.fetch_add(1, Ordering::SeqCst);
            let name = format!("e2e-{}-{nth}", std::process::id());
            let mut child = Command::new(nats_server())
                .args([
                    "-js",
                    "-a",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    "-n",
                    &name,
                ])
                .arg("-sd")
                .arg(store.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot run nats-server ({e}): the broker tests need it; \
                         `bash scripts/test.sh` installs it and runs every test"
                    )
                });
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if serves_as(port, &name) {
                    let url = format!("nats://127.0.0.1:{port}");
                    return NatsServer {
                        child,
                        url,
                        _store: store,
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("nats-server did not start on a free port");
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the NATS server listening on `port` is the one named `name` (its greeting,
/// `INFO {…}`, names it).
fn serves_as(port: u16, name: &str) -> bool {
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut info = String::new();
    let _ = BufReader::new(stream).read_line(&mut info);
    info.contains(&format!(r#""server_name":"{name}""#))
}

/// `nats-server` on PATH, or where Debian puts it.
fn nats_server() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("nats-server"))
        .find(|path| path.is_file());
    on_path.unwrap_or_else(|| PathBuf::from("/usr/sbin/nats-server"))
}

/// A loopback port nobody listened on a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// A JetStream client on a runtime of its own, for the tests' plain threads.
pub struct Publisher {
    runtime: tokio::runtime::Runtime,
    js: async_nats::jetstream::Context,
}

impl Publisher {
    /// Connects to `url`.
    pub fn connect(url: &str) -> Publisher {
        // A worker of its own keeps the connection alive between publishes.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a Tokio runtime");
        let js = runtime.block_on(async {
            let client = async_nats::connect(url)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
            async_nats::jetstream::new(client)
        });
        Publisher { runtime, js }
    }

    /// Publishes `payload` to `subject` and waits for JetStream's acknowledgement;
    /// tries again (the same payload) until one comes. Returns the stream sequence.
    pub fn publish(&self, subject: &str, payload: String) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let sent = self.runtime.block_on(async {
                let ack = self
                    .js
                    .publish(subject.to_owned(), payload.clone().into())
                    .await?;
                Ok::<_, async_nats::Error>(ack.await?)
            });
            match sent {
                Ok(ack) => return ack.sequence,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("publishing to {subject} failed ({e}); trying again");
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("publishing to {subject} failed for 30 s: {e}"),
            }
        }
    }
}

/// One talent-demand row; `level` 9 makes it invalid.
fn demand(event: &str, level: i32) -> String {
    json!({
        "event_id": event, "period": "2026Q3", "region_code": "330382",
        "occupation_code": "6-31-01-03", "level": level, "openings": 7, "job_seekers": 3,
        "source": "e2e"
    })
    .to_string()
}

/// A folder with an empty lake.
fn empty_city() -> City {
    crate::city::empty("e2e-nats-lake-")
}

/// A skillbrain server over `city`'s lake, consuming `nats`, committing every 100 ms.
fn serve(city: &City, nats: &NatsServer) -> Server {
    let args = city.global_args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let env = [
        ("SKILLBRAIN_NATS__URL", nats.url.as_str()),
        ("SKILLBRAIN_NATS__COMMIT_INTERVAL_MS", "100"),
        ("SKILLBRAIN_LOG", "warn,buoyant_kernel=off"),
    ];
    Server::start_with_env(BIN, &refs, &env)
}

/// `(count(*), count(distinct event_id))` of `talent_demand`.
fn counts(city: &City) -> (u64, u64) {
    let out = city.cmd(&[
        "sql",
        "--format",
        "csv",
        "select count(*) as n, count(distinct event_id) as k from talent_demand",
    ]);
    let row = out
        .lines()
        .nth(1)
        .unwrap_or_else(|| panic!("no count in {out:?}"));
    let mut values = row.split(',').map(|v| v.trim().parse::<u64>().unwrap());
    (values.next().unwrap(), values.next().unwrap())
}

/// Every stored `event_id` of `talent_demand`.
fn stored_ids(city: &City) -> BTreeSet<String> {
    let out = city.cmd(&[
        "sql",
        "--format",
        "csv",
        "select event_id from talent_demand",
    ]);
    out.lines().skip(1).map(|l| l.trim().to_owned()).collect()
}

/// Waits until `talent_demand` holds `rows` rows (failing after `timeout`), then a
/// moment more, and checks that each event is there exactly once and nothing else is.
fn assert_stored_once(city: &City, expected: &BTreeSet<String>, timeout: Duration) {
    let want = expected.len() as u64;
    let deadline = Instant::now() + timeout;
    let mut seen = counts(city);
    while seen.0 < want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        seen = counts(city);
    }
    assert!(
        seen.0 >= want,
        "after {timeout:?} the lake holds {seen:?} of {want} events"
    );
    // Anything still in flight lands now, where the checks below see it.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(counts(city), (want, want), "each event once, and no other");
    assert!(
        stored_ids(city) == *expected,
        "the stored events are the published ones"
    );
}

/// The value of a counter in the Prometheus text of `base`'s `/metrics`.
fn metric(base: &str, name: &str, labels: &str) -> u64 {
    let (status, _, text) = skillbrain::get(&format!("{base}/metrics"), &[]);
    assert_eq!(status, 200, "{text}");
    let series = format!("{name}{{{labels}}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .map_or(0, |v| v.trim().parse().unwrap())
}
