//! The `skillbrain` command line: `demo`, `generate`, `ingest`, `quarantine`, `run`,
//! `replay`, `check`, `serve`, `sql`.
//!
//! - `mod.rs`: arguments and dispatch; errors become a message and a non-zero exit.
//! - `context.rs`: what every command opens: configuration, lake, reference data, models.
//! - `ingest.rs`: landing files in the lake.
//! - `quarantine.rs`: listing quarantined rows.
//! - `serve.rs`: the HTTP server, and the demo that feeds it.
//! - [`simulate`]: the demo's simulated live competition, pushing marks over HTTP.

mod context;
mod ingest;
mod quarantine;
mod serve;
pub mod simulate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use context::Context;

/// skillbrain: a stream-processing skill analytics engine.
#[derive(Debug, Parser)]
#[command(name = "skillbrain", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML); defaults to ./skillbrain.toml when present.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Lake location (folder, file:// or s3:// URL); overrides the configuration.
    #[arg(long, global = true)]
    pub lake: Option<String>,
    /// Folder of SQL models; overrides the configuration.
    #[arg(long, global = true)]
    pub queries: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a city, ingest it, run every model and serve the API.
    Demo(DemoArgs),
    /// Write a synthetic city: all nine canonical tables.
    Generate(GenerateArgs),
    /// Land files in the lake, exactly once: canonical Parquet, CSV or NDJSON, or
    /// exports (CSV in UTF-8 or GBK, XLSX) through a column mapping. Rejected rows are
    /// quarantined; the exit status is 2 when any were.
    Ingest(IngestArgs),
    /// List quarantined rows: where each came from and why it was rejected.
    Quarantine(QuarantineArgs),
    /// Refresh every model.
    Run,
    /// Rebuild every model from the lake as it was at a version or a moment (for a
    /// backfill after a model changed); the results become the models' next versions.
    Replay(ReplayArgs),
    /// Parse and plan every model and run its declared tests on the current data.
    Check,
    /// Serve the HTTP API over the current models.
    Serve(ServeArgs),
    /// Run one read-only SQL query over the lake and the models and print the result.
    Sql {
        /// Output: table, csv or json.
        #[arg(long, default_value = "table")]
        format: String,
        /// The query.
        query: String,
    },
}

/// `generate` arguments.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of workers.
    #[arg(long, default_value_t = 20_000)]
    pub workers: u64,
    /// Random seed; the same seed writes the same city.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// parquet, csv or ndjson.
    #[arg(long, default_value = "parquet")]
    pub format: String,
    /// Total assessment events (default: three per worker).
    #[arg(long)]
    pub assessments: Option<u64>,
}

/// `ingest` arguments.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Target table; when omitted, each file's name (e.g. `workers.csv`) names it.
    #[arg(long)]
    pub table: Option<String>,
    /// Source format (csv, ndjson, parquet; with --mapping: csv or xlsx); by default
    /// from the extension.
    #[arg(long)]
    pub format: Option<String>,
    /// Read the files as exports through this column mapping: a built-in name
    /// (assessment_export), a name from ingest.mappings_dir, or a .toml file.
    #[arg(long)]
    pub mapping: Option<String>,
    /// With --mapping: the CSV encoding (utf-8, gbk, gb18030); detected by default.
    #[arg(long)]
    pub encoding: Option<String>,
    /// With --mapping: the XLSX sheet to read; the first by default.
    #[arg(long)]
    pub sheet: Option<String>,
    /// Files, or folders whose files are all landed.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `quarantine` arguments.
#[derive(Debug, Args)]
pub struct QuarantineArgs {
    /// Only this table's quarantine; every table's by default.
    #[arg(long)]
    pub table: Option<String>,
    /// At most this many rows per table, newest last.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Output: table, csv or json.
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// `replay` arguments.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A table version (every canonical table read at that version) or a moment
    /// (RFC 3339, like 2026-11-28T08:00:00Z, or a date, read as its midnight UTC).
    #[arg(long = "from", value_parser = parse_as_of)]
    pub from: crate::lake::AsOf,
}

/// Parses `--from`: a version number, an RFC 3339 time or a date.
fn parse_as_of(text: &str) -> Result<crate::lake::AsOf, String> {
    use crate::lake::AsOf;
    if let Ok(v) = text.parse::<i64>() {
        return if v >= 0 {
            Ok(AsOf::Version(v))
        } else {
            Err(format!("a version is 0 or more, got {v}"))
        };
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(AsOf::Time(t.with_timezone(&chrono::Utc)));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(AsOf::Time(d.and_time(chrono::NaiveTime::MIN).and_utc()));
    }
    Err(format!(
        "`{text}` is neither a version number, an RFC 3339 time (2026-11-28T08:00:00Z) nor a date (2026-11-28)"
    ))
}

/// `serve` arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (overrides the configuration).
    #[arg(long)]
    pub bind: Option<String>,
}

/// `demo` arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of workers in the generated city.
    #[arg(long, default_value_t = 20_000)]
    pub workers: u64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Folder for the generated city and (unless --lake is given) the lake.
    #[arg(long, default_value = "data/demo")]
    pub dir: PathBuf,
    /// Address to listen on (overrides the configuration).
    #[arg(long)]
    pub bind: Option<String>,
    /// Stop after preparing the data instead of serving (for scripts).
    #[arg(long)]
    pub no_serve: bool,
    /// Serve without the simulated live competition.
    #[arg(long)]
    pub no_competition: bool,
    /// Milliseconds between two pushes of the simulated competition's marks.
    #[arg(long, default_value_t = 1000)]
    pub competition_pace_ms: u64,
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<ingest::RowsRejected>() {
            Some(rejected) => {
                eprintln!("warning: {rejected}");
                ExitCode::from(ingest::EXIT_ROWS_REJECTED)
            }
            None => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// The log filter unless `SKILLBRAIN_LOG` sets one. The Delta kernel logs an error
/// each time a table is looked up before its first commit, which opening a new lake
/// does for every table on purpose; that one module is kept quiet.
const DEFAULT_LOG: &str = "warn,skillbrain_engine=info,buoyant_kernel::snapshot::builder=off";

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SKILLBRAIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Generate(args) => {
            ingest::generate(args)?;
            Ok(())
        }
        Command::Demo(args) => serve::demo(&cli, args).await,
        Command::Ingest(args) => {
            let ctx = Context::open(&cli).await?;
            ingest::ingest(&ctx, args).await
        }
        Command::Quarantine(args) => {
            let ctx = Context::open(&cli).await?;
            quarantine::list(&ctx, args).await
        }
        Command::Run | Command::Replay(_) => {
            let ctx = Context::open(&cli).await?;
            let reports = match &cli.command {
                Command::Replay(args) => {
                    println!("rebuilding the models from the lake as of {}", args.from);
                    ctx.replay(args.from).await?
                }
                _ => ctx.run_models(true).await?,
            };
            println!(
                "{:<32} {:>10} {:>7} {:>9} {:>9}",
                "model", "rows", "version", "query_s", "total_s"
            );
            for r in &reports {
                println!(
                    "{:<32} {:>10} {:>7} {:>9.3} {:>9.3}",
                    r.model, r.rows, r.version, r.query_seconds, r.seconds
                );
            }
            let total: f64 = reports.iter().map(|r| r.seconds).sum();
            println!("{} models refreshed in {total:.3}s", reports.len());
            Ok(())
        }
        Command::Check => {
            let ctx = Context::open(&cli).await?;
            let tests = ctx.check().await?;
            println!(
                "{} models parsed and planned; {tests} tests passed",
                ctx.pipeline.models.len()
            );
            Ok(())
        }
        Command::Serve(args) => {
            let ctx = Context::open(&cli).await?;
            serve::serve(ctx, args.bind.clone(), None, None).await
        }
        Command::Sql { query, format } => {
            let ctx = Context::open(&cli).await?;
            let batches = ctx.sql(query).await?;
            print_batches(&batches, format)
        }
    }
}

pub(crate) fn print_batches(
    batches: &[arrow::array::RecordBatch],
    format: &str,
) -> anyhow::Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        "table" => writeln!(
            out,
            "{}",
            arrow::util::pretty::pretty_format_batches(batches)?
        )?,
        "csv" => {
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            for b in batches {
                w.write(b)?;
            }
        }
        "json" if batches.iter().all(|b| b.num_rows() == 0) => writeln!(out, "[]")?,
        "json" => {
            let mut w = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::JsonArray>(&mut out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            writeln!(out)?;
        }
        other => anyhow::bail!("unknown output format '{other}' (table, csv or json)"),
    }
    Ok(())
}
