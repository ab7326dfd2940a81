//! The shared test city: generated once (CSV), ingested and run, reused by the tests
//! that only read it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_skillbrain");

/// The repository's `queries/` folder.
pub fn queries() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("queries")
}

/// Runs the binary with `args`; returns its output (whatever the exit status).
pub fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("SKILLBRAIN_LOG", "warn")
        .output()
        .expect("the skillbrain binary runs")
}

/// Runs the binary and fails the test with its stderr unless it succeeds.
pub fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "skillbrain {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A generated, ingested and refreshed city.
pub struct City {
    /// The folder holding `city/` (CSV files) and `lake/`.
    pub dir: PathBuf,
}

impl City {
    /// The generated CSV files.
    pub fn files(&self) -> PathBuf {
        self.dir.join("city")
    }

    /// `--lake DIR --queries DIR`, for commands on this city.
    pub fn global_args(&self) -> Vec<String> {
        vec![
            "--lake".into(),
            self.dir.join("lake").to_string_lossy().into_owned(),
            "--queries".into(),
            queries().to_string_lossy().into_owned(),
        ]
    }

    /// Runs `skillbrain <global args> <args>` and returns stdout.
    pub fn cmd(&self, args: &[&str]) -> String {
        let mut all: Vec<String> = self.global_args();
        all.extend(args.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        run_ok(&refs)
    }
}

/// A new folder for a city and its lake, nothing in it yet; under cargo's per-target
/// temporary folder, so that runs leave nothing in /tmp.
pub fn empty(prefix: &str) -> City {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a temporary folder")
        .keep();
    City { dir }
}

/// Generates `workers` workers as CSV into a new temporary folder.
pub fn generate(workers: u64, seed: u64) -> City {
    let City { dir } = empty("e2e-");
    let out = dir.join("city");
    run_ok(&[
        "generate",
        "--workers",
        &workers.to_string(),
        "--seed",
        &seed.to_string(),
        "--format",
        "csv",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    City { dir }
}

/// The city most tests read: 1500 workers, ingested from CSV and refreshed once.
pub fn shared() -> &'static City {
    static CITY: OnceLock<City> = OnceLock::new();
    CITY.get_or_init(|| {
        let city = generate(1500, 7);
        let files = city.files();
        city.cmd(&["ingest", files.to_str().expect("utf-8 path")]);
        city.cmd(&["run"]);
        city
    })
}
