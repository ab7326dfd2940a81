//! Layered configuration: the embedded `config/default.toml`, then a TOML file, then
//! `SKILLBRAIN_`-prefixed environment variables (`__` separates nested keys).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;
use url::Url;

use crate::error::{Error, Result};

const DEFAULTS: &str = include_str!("../config/default.toml");

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    /// Folder, `file://` or `s3://` URL of the lake.
    pub lake_url: String,
    /// Folder of SQL models.
    pub queries_dir: PathBuf,
    /// Folder of reference CSVs; empty for the built-in data.
    pub reference_dir: String,
    /// HTTP settings.
    pub http: HttpConfig,
    /// Query engine settings.
    pub engine: EngineConfig,
    /// S3 settings for `s3://` lakes.
    pub s3: S3Config,
    /// `POST /v1/ingest/{table}`: body limit and group commit.
    pub ingest: IngestConfig,
    /// NATS JetStream ingestion (off while `nats.url` is empty).
    pub nats: NatsConfig,
    /// The secret that turns national ID numbers into worker IDs.
    pub identity: IdentityConfig,
    /// The drop folder `serve` watches (off while `inbox.dir` is empty).
    pub inbox: InboxConfig,
    /// Refreshing models after commits, and keeping tables compact, while serving.
    pub stream: StreamConfig,
}

/// Streaming: model refresh after commits, compaction and retention.
#[derive(Debug, Clone, Deserialize)]
pub struct StreamConfig {
    /// At most one refresh of the changed models per this many milliseconds.
    pub commit_interval_ms: u64,
    /// Seconds between table maintenance runs; 0 turns maintenance off.
    pub maintain_interval_s: u64,
    /// A table is compacted once it has this many data files.
    pub compact_min_files: usize,
    /// Files of canonical and quarantine tables are kept this long after no longer
    /// being current (hours).
    pub retention_hours: u64,
    /// Files of model tables are kept this long after no longer being current (minutes).
    pub model_retention_minutes: u64,
    /// A model recomputed in full whose refresh takes longer than this (seconds) waits
    /// four times its refresh time between refreshes.
    pub slow_model_seconds: f64,
    /// Threads of the lane that recomputes models in full (at least 1).
    pub recompute_threads: usize,
    /// An incremental model that no other model reads and that holds more than this
    /// many rows when serving starts is refreshed on a lane of its own (0 = never).
    pub large_model_rows: usize,
    /// How many steps below normal priority (Linux nice) the threads of the lanes of
    /// large incremental models and of models recomputed in full run (0 = the same).
    pub background_nice: i32,
}

/// The pseudonymisation secret: inline, or in a file (the file wins when both are set).
#[derive(Debug, Clone, Deserialize)]
pub struct IdentityConfig {
    /// The secret itself (at least 16 bytes); keep it out of files others can read.
    pub secret: String,
    /// A file holding the secret (trailing white space ignored).
    pub secret_file: String,
}

/// The drop folder.
#[derive(Debug, Clone, Deserialize)]
pub struct InboxConfig {
    /// The folder to watch; empty turns the drop folder off.
    pub dir: String,
    /// How often the folder is looked at (milliseconds).
    pub poll_ms: u64,
    /// A file is landed once its size and modification time have not changed for this
    /// long (milliseconds), so that a file still being copied in is not read half-way.
    pub settle_ms: u64,
}

/// HTTP settings.
#[derive(Debug, Clone, Deserialize)]
pub struct HttpConfig {
    /// Address to listen on.
    pub bind: String,
}

/// Query engine settings.
#[derive(Debug, Clone, Deserialize)]
pub struct EngineConfig {
    /// DataFusion target partitions; 0 = number of cores.
    pub target_partitions: usize,
    /// Rows per batch when reading sources.
    pub batch_rows: usize,
    /// Memory the models' queries may hold at once (MiB), spilling beyond; 0 = no limit.
    pub memory_limit_mb: usize,
    /// DataFusion settings by name (`datafusion.execution.batch_size` = `"8192"`).
    #[serde(default)]
    pub datafusion: std::collections::BTreeMap<String, String>,
}

/// Settings of `POST /v1/ingest/{table}`.
#[derive(Debug, Clone, Deserialize)]
pub struct IngestConfig {
    /// The largest body accepted, in bytes; a larger one is answered 413.
    pub max_body_bytes: usize,
    /// How long a table's writer waits, after the first request of a group, for more
    /// requests to share its commit (milliseconds).
    pub group_commit_ms: u64,
    /// A group stops growing at this many rows (one request larger than this is a group
    /// on its own).
    pub max_batch_rows: usize,
    /// A folder of column mappings (`<name>.toml`) besides the built-in ones; empty for
    /// the built-in ones only.
    pub mappings_dir: String,
}

/// NATS JetStream ingestion: a durable pull consumer per canonical table on subject
/// `skillbrain.<table>`, landing each batch of messages in one commit.
#[derive(Debug, Clone, Deserialize)]
pub struct NatsConfig {
    /// The server URL (`nats://127.0.0.1:4222`); empty turns broker ingestion off.
    pub url: String,
    /// The JetStream stream holding the `skillbrain.>` subjects (created if missing).
    pub stream: String,
    /// A table's commit holds at most this many messages.
    pub max_batch_messages: usize,
    /// How long a table's consumer gathers messages for one commit (milliseconds).
    pub commit_interval_ms: u64,
}

/// S3-compatible storage settings.
#[derive(Debug, Clone, Deserialize)]
pub struct S3Config {
    /// Endpoint URL (MinIO and friends); empty for AWS.
    pub endpoint: String,
    /// Region; empty for the default.
    pub region: String,
    /// Access key id; empty to use the environment.
    pub access_key_id: String,
    /// Secret access key; empty to use the environment.
    pub secret_access_key: String,
    /// Allow plain HTTP endpoints.
    pub allow_http: bool,
}

impl Config {
    /// Loads defaults, then `file` (if given, it must exist; else `./skillbrain.toml` if
    /// present), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config> {
        let mut fig = Figment::from(Toml::string(DEFAULTS));
        match file {
            Some(path) if !path.exists() => {
                return Err(Error::Config(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            Some(path) => fig = fig.merge(Toml::file(path)),
            None if Path::new("skillbrain.toml").exists() => {
                fig = fig.merge(Toml::file("skillbrain.toml"))
            }
            None => {}
        }
        fig = fig.merge(Env::prefixed("SKILLBRAIN_").split("__"));
        fig.extract().map_err(|e| Error::Config(e.to_string()))
    }

    /// The lake root as a URL (a folder is made absolute and created).
    pub fn lake_root(&self) -> Result<Url> {
        lake_root_url(&self.lake_url)
    }

    /// Storage options passed to the object store (only for `s3://` lakes).
    pub fn storage_options(&self) -> HashMap<String, String> {
        let mut opts = HashMap::new();
        let s3 = &self.s3;
        let mut put = |k: &str, v: &str| {
            if !v.is_empty() {
                opts.insert(k.to_string(), v.to_string());
            }
        };
        put("aws_endpoint", &s3.endpoint);
        put("aws_region", &s3.region);
        put("aws_access_key_id", &s3.access_key_id);
        put("aws_secret_access_key", &s3.secret_access_key);
        if s3.allow_http {
            opts.insert("aws_allow_http".into(), "true".into());
        }
        if self.lake_url.starts_with("s3://") {
            // A single writer per lake: no external lock table is needed.
            opts.insert("aws_s3_allow_unsafe_rename".into(), "true".into());
        }
        opts
    }

    /// DataFusion target partitions (0 resolved to the number of cores).
    pub fn target_partitions(&self) -> usize {
        match self.engine.target_partitions {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}

/// Turns a folder path or URL into the lake root URL (always ending in `/`).
pub fn lake_root_url(spec: &str) -> Result<Url> {
    let url = if spec.contains("://") {
        Url::parse(spec).map_err(|e| Error::Config(format!("lake_url '{spec}': {e}")))?
    } else {
        let path = Path::new(spec);
        std::fs::create_dir_all(path).map_err(|e| Error::io(path, e))?;
        let abs = path.canonicalize().map_err(|e| Error::io(path, e))?;
        Url::from_directory_path(&abs)
            .map_err(|_| Error::Config(format!("lake_url '{spec}' is not a usable folder")))?
    };
    let mut url = url;
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)]
    fn defaults_load_and_env_overrides() {
        let cfg = Config::load(None).unwrap();
        assert_eq!(cfg.http.bind, "127.0.0.1:8080");
        assert_eq!(cfg.queries_dir, PathBuf::from("queries"));
        assert_eq!(cfg.ingest.max_body_bytes, 64 << 20);
        assert_eq!(cfg.ingest.group_commit_ms, 20);
        assert_eq!(cfg.ingest.max_batch_rows, 200_000);
        assert_eq!(cfg.nats.url, "");
        assert_eq!(cfg.nats.stream, "SKILLBRAIN");
        assert_eq!(cfg.nats.max_batch_messages, 1_000);
        assert_eq!(cfg.nats.commit_interval_ms, 500);
        figment::Jail::expect_with(|jail| {
            jail.set_env("SKILLBRAIN_HTTP__BIND", "127.0.0.1:9999");
            jail.set_env("SKILLBRAIN_INGEST__GROUP_COMMIT_MS", "5");
            jail.set_env("SKILLBRAIN_NATS__URL", "nats://127.0.0.1:4333");
            let cfg = Config::load(None).unwrap();
            assert_eq!(cfg.http.bind, "127.0.0.1:9999");
            assert_eq!(cfg.ingest.group_commit_ms, 5);
            assert_eq!(cfg.nats.url, "nats://127.0.0.1:4333");
            Ok(())
        });
    }

    #[test]
    fn missing_config_file_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/skillbrain.toml"))).unwrap_err();
        assert!(err.to_string().contains("does not exist"));
    }

    #[test]
    fn folder_becomes_a_directory_url() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("lake");
        let url = lake_root_url(sub.to_str().unwrap()).unwrap();
        assert_eq!(url.scheme(), "file");
        assert!(url.path().ends_with("/lake/"));
        let s3 = lake_root_url("s3://bucket/prefix").unwrap();
        assert_eq!(s3.as_str(), "s3://bucket/prefix/");
    }
}
