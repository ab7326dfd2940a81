//! `serve` and `demo`: the HTTP API over the current models, and the demo that prepares
//! a city for it.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;
use skillbrain_connectors::Table;
use skillbrain_datasets::generate::{Format, GenerateOptions, generate};
use skillbrain_datasets::reference::Reference;

use crate::cli::simulate::{self, SimulationOptions};
use crate::cli::{Cli, Context, DemoArgs};
use crate::config::Config;
use crate::http::metrics::Metrics;
use crate::http::{self, AppState};
use crate::ingest::files::{FileKind, Lander};
use crate::ingest::inbox::{Inbox, InboxOptions};
use crate::ingest::nats::{NatsIngest, NatsOptions};
use crate::ingest::{IngestOptions, IngestService};
use crate::stream::{self, Streaming};

/// Serves the API until Ctrl-C. Models not yet materialised are refreshed first. With
/// `[nats] url` set, the tables' NATS JetStream subjects are consumed meanwhile; with
/// `[inbox] dir` set, the drop folder is watched, with `lander` when the caller has one.
pub async fn serve(
    ctx: Context,
    bind: Option<String>,
    lander: Option<Arc<Lander>>,
    simulation: Option<SimulationOptions>,
) -> anyhow::Result<()> {
    let loaded = ctx.load_store().await?;
    let tables = ctx.table_models().count();
    let computed = loaded < tables;
    if computed {
        ctx.run_models(false).await?;
    }
    // Models read back from the lake are refreshed once at the start, unless they
    // reflect the tables as they are.
    let fresh = computed || ctx.store_is_current().await?;
    let restored = stream::boards::restore(&ctx.lake)
        .await
        .context("cannot rebuild the live competition boards from the lake")?;
    let boards = restored.boards.clone();
    let streaming = Streaming::start(
        &ctx.config,
        ctx.lake.clone(),
        &ctx.reference,
        ctx.pipeline.clone(),
        ctx.store.clone(),
        fresh,
        Some(restored),
        None,
    )
    .await
    .context("cannot start refreshing the models after commits")?;
    let bind = bind.unwrap_or_else(|| ctx.config.http.bind.clone());
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    let metrics = Arc::new(Metrics::new());
    metrics.observe_store(&ctx.store);
    let ingest = IngestService::new(ctx.lake.clone(), IngestOptions::from_config(&ctx.config));
    let nats = match NatsOptions::from_config(&ctx.config) {
        Some(options) => {
            let (url, stream) = (options.display_url(), options.stream.clone());
            let nats = NatsIngest::start(ctx.lake.clone(), metrics.clone(), options)
                .await
                .with_context(|| format!("cannot start NATS ingestion from {url}"))?;
            println!(
                "skillbrain consuming NATS JetStream at {url} (stream {stream}, subjects skillbrain.<table>)"
            );
            Some(nats)
        }
        None => None,
    };
    let inbox = match InboxOptions::from_config(&ctx.config) {
        Some(options) => {
            let lander = match lander {
                Some(lander) => lander,
                None => Arc::new(Lander::from_config(&ctx.config, ctx.lake.clone())?),
            };
            let dir = options.dir.display().to_string();
            let inbox = Inbox::start(lander, options)?;
            println!(
                "skillbrain watching the drop folder {dir} (landed files move to done/, others to failed/)"
            );
            Some(inbox)
        }
        None => None,
    };
    let state = AppState {
        store: ctx.store.clone(),
        metrics,
        ready: Arc::new(AtomicBool::new(true)),
        ingest: Some(Arc::new(ingest)),
        live: Some(boards.clone()),
    };
    println!("skillbrain serving on http://{addr}/  (Ctrl-C to stop)");
    print_urls(&addr.to_string());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let simulated = match simulation {
        Some(options) => Some(start_simulation(&ctx, addr, options, stopped).await?),
        None => None,
    };
    let served = http::serve(listener, state, async move {
        let _ = tokio::signal::ctrl_c().await;
        boards.close();
    })
    .await;
    let _ = stop.send(true);
    if let Some(simulated) = simulated {
        let _ = simulated.await;
    }
    if let Some(nats) = nats {
        nats.shutdown().await;
    }
    if let Some(inbox) = inbox {
        inbox.shutdown().await;
    }
    streaming.shutdown().await;
    served?;
    Ok(())
}

/// Starts the simulated competition against this server (at `addr`) with the lake's
/// workers as contestants; it stops when `stop` turns true or the competition is over.
async fn start_simulation(
    ctx: &Context,
    addr: std::net::SocketAddr,
    options: SimulationOptions,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let contestants = simulate::contestants_from_lake(&ctx.lake, options.contestants).await?;
    let port = addr.port();
    let base = format!("http://127.0.0.1:{port}");
    let id = options.competition_id.clone();
    println!(
        "a simulated competition {id} at {} venues is pushing marks: watch \
         {base}/v1/competitions/{id}/leaderboard and {base}/v1/competitions/{id}/stream",
        options.venues
    );
    Ok(tokio::spawn(async move {
        let shutdown = async move {
            let _ = stop.changed().await;
        };
        match simulate::simulate(&base, contestants, options, shutdown).await {
            Ok(report) => tracing::info!(?report, "the simulated competition ended"),
            Err(e) => tracing::warn!(error = %e, "the simulated competition could not run"),
        }
    }))
}

fn print_urls(addr: &str) {
    let base = format!("http://{addr}");
    println!("try:");
    for path in [
        "/healthz",
        "/v1/models",
        "/v1/models/talent_stock?region_code=330382&limit=20",
        "/v1/models/talent_stock?occupation_code=6-31-01-03&format=csv",
        "/v1/models/talent_gap?period=2026Q3&order_by=-gap&limit=10",
        "/metrics",
        "/openapi.json",
    ] {
        println!("  curl '{base}{path}'");
    }
}

/// Generates a city (unless one is already there), ingests it, refreshes every model
/// and serves the API.
pub async fn demo(cli: &Cli, args: &DemoArgs) -> anyhow::Result<()> {
    let city = args.dir.join("city");
    if !city.join("workers.parquet").exists() {
        println!(
            "generating a city of {} workers in {}",
            args.workers,
            city.display()
        );
        let opts = GenerateOptions {
            workers: args.workers,
            seed: args.seed,
            out: city.clone(),
            format: Format::Parquet,
            assessments: None,
            progress: true,
        };
        let city_out = city.clone();
        tokio::task::spawn_blocking(move || {
            generate(&opts, &Reference::embedded()).map(|_| city_out)
        })
        .await??;
    }
    let mut config = Config::load(cli.config.as_deref())?;
    config.lake_url = match &cli.lake {
        Some(l) => l.clone(),
        None => args.dir.join("lake").to_string_lossy().into_owned(),
    };
    if let Some(q) = &cli.queries {
        config.queries_dir = q.clone();
    }
    if config.identity.secret.is_empty() && config.identity.secret_file.is_empty() {
        let path = demo_secret(&args.dir)?;
        config.identity.secret_file = path.to_string_lossy().into_owned();
    }
    if config.inbox.dir.is_empty() {
        config.inbox.dir = args.dir.join("inbox").to_string_lossy().into_owned();
    }
    let ctx = Context::open_config(config).await?;
    println!("landing the city in the lake at {}", ctx.lake.root());
    let lander = Arc::new(Lander::from_config(&ctx.config, ctx.lake.clone())?);
    for table in Table::ALL {
        let file = city.join(format!("{}.parquet", table.name()));
        let kind = FileKind::Canonical {
            table,
            format: None,
        };
        let report = lander.land(&file, &kind).await?;
        println!(
            "  {:<30} {:>9} accepted {:>9} duplicates  v{}",
            table.name(),
            report.accepted(),
            report.duplicates(),
            report.tables.first().map_or(-1, |t| t.version)
        );
    }
    println!("refreshing {} models", ctx.pipeline.models.len());
    for r in ctx.run_models(true).await? {
        println!(
            "  {:<30} {:>9} rows  v{:<4} {:.2}s",
            r.model, r.rows, r.version, r.seconds
        );
    }
    if args.no_serve {
        return Ok(());
    }
    let simulation = (!args.no_competition).then(|| SimulationOptions {
        pace: std::time::Duration::from_millis(args.competition_pace_ms),
        ..SimulationOptions::default()
    });
    serve(ctx, args.bind.clone(), Some(lander), simulation).await
}

/// The demo's pseudonymisation secret: `<dir>/identity.secret`, made (32 random bytes,
/// hexadecimal, readable by the owner only) on the first run and kept after that.
fn demo_secret(dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let path = dir.join("identity.secret");
    if path.exists() {
        println!("using the pseudonymisation secret in {}", path.display());
        return Ok(path);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
    let mut bytes = [0u8; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)
        .context("cannot read /dev/urandom for a secret")?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, hex.as_bytes())?;
    println!(
        "made a pseudonymisation secret in {} (identity.secret_file): national ID numbers \
         become worker IDs with it; keep it, or the same person gets a new worker_id",
        path.display()
    );
    Ok(path)
}
