//! Streaming: while `serve` runs, the models follow the commits.
//!
//! - `mod.rs`: [`Streaming`], the background tasks of a serving engine, and
//!   [`StreamOptions`].
//! - [`refresh`]: the [`Refresher`](refresh::Refresher): after commits, the models
//!   downstream of the changed tables, and only those, at most once per commit interval,
//!   in two lanes (incremental models; models recomputed in full).
//! - [`dataflow`]: which models are kept as a dataflow that takes in only the changes,
//!   and how.
//! - [`boards`]: the live competition boards fed from each commit of scores.
//! - [`maintain`]: compaction (Delta `OPTIMIZE`) and retention (`VACUUM`) of the tables.
//! - `tests.rs`: incremental models against full recomputes, refresh after commits.
//!
//! Every append announces its commit (with the new rows) through
//! [`Lake::subscribe`](crate::lake::Lake::subscribe); the tasks here listen.

pub mod boards;
pub mod dataflow;
pub mod maintain;
pub mod refresh;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::error::Result;
use crate::lake::Lake;
use crate::pipeline::Pipeline;
use crate::store::ModelStore;

pub use refresh::{Refreshed, Refresher};

/// How the models follow the commits, and how tables are maintained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    /// At most one refresh per this interval.
    pub commit_interval: Duration,
    /// Between maintenance runs; `None` turns maintenance off.
    pub maintain_interval: Option<Duration>,
    /// A table is compacted once it has this many data files.
    pub compact_min_files: usize,
    /// How long replaced files of canonical and quarantine tables are kept.
    pub retention: chrono::Duration,
    /// How long replaced files of model tables are kept.
    pub model_retention: chrono::Duration,
}

impl StreamOptions {
    /// The options of `[stream]`.
    pub fn from_config(config: &Config) -> Self {
        let s = &config.stream;
        StreamOptions {
            commit_interval: Duration::from_millis(s.commit_interval_ms),
            maintain_interval: (s.maintain_interval_s > 0)
                .then(|| Duration::from_secs(s.maintain_interval_s)),
            compact_min_files: s.compact_min_files.max(2),
            retention: chrono::Duration::hours(s.retention_hours as i64),
            model_retention: chrono::Duration::minutes(s.model_retention_minutes as i64),
        }
    }
}

/// The background tasks of a serving engine: the refreshers and table maintenance.
pub struct Streaming {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// The lane recomputing models in full, on threads of its own.
    recompute: Option<std::thread::JoinHandle<()>>,
}

impl Streaming {
    /// Starts following `lake`'s commits: the models of `pipeline` in `store` are
    /// refreshed after each, in two lanes ([`Refresher::lanes`]): the incremental models
    /// on this runtime, the ones recomputed in full on `stream.recompute_threads` threads
    /// of their own. The incremental models' state is built first (from the whole of
    /// each table), so this takes as long as computing them once. Unless `fresh` (the
    /// store's models were just computed from the current tables), every model is
    /// refreshed once at the start. With `boards`, the live competition boards are fed
    /// from each commit of scores. `refreshed` hears of every refresh (for tests and
    /// benchmarks).
    #[allow(clippy::too_many_arguments)]
    pub async fn start(
        config: &Config,
        lake: Arc<Lake>,
        reference: &[(String, String)],
        pipeline: Pipeline,
        store: Arc<ModelStore>,
        fresh: bool,
        boards: Option<boards::Restored>,
        refreshed: Option<tokio::sync::mpsc::UnboundedSender<Refreshed>>,
    ) -> Result<Streaming> {
        let options = StreamOptions::from_config(config);
        // Subscribed before the tables are read, so that no commit falls in between.
        let (commits, slow_commits) = (lake.subscribe(), lake.subscribe());
        let mut incremental = Refresher::new(
            config,
            lake.clone(),
            reference,
            pipeline.clone(),
            store.clone(),
            None,
        )
        .await?;
        let (fast, slow) = incremental.lanes();
        incremental.restrict(&fast);
        let mut recompute = if slow.is_empty() {
            None
        } else {
            let refresher = Refresher::new(
                config,
                lake.clone(),
                reference,
                pipeline.clone(),
                store.clone(),
                Some(&slow),
            )
            .await?;
            Some(refresher)
        };
        let mut built = incremental.rebuild_incremental().await?.models;
        if let Some(r) = &mut recompute {
            built.extend(r.rebuild_incremental().await?.models);
        }
        // The lanes hear of each other's publications from now on: the states just built
        // are the models as they were (or, unless `fresh`, every model is refreshed).
        let (published, slow_published) = (store.subscribe(), store.subscribe());
        if !fresh {
            incremental.mark_all_dirty();
            if let Some(r) = &mut recompute {
                r.mark_all_dirty();
            }
        }
        for (report, _) in &built {
            tracing::info!(model = %report.model, rows = report.rows, seconds = report.seconds, "incremental state built");
        }
        let (stop, stopped) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(incremental.run(
            commits,
            published,
            options.commit_interval,
            stopped.clone(),
            refreshed.clone(),
        ))];
        let recompute = match recompute {
            Some(refresher) => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(config.stream.recompute_threads.max(1))
                    .thread_name("skillbrain-recompute")
                    .enable_all()
                    .build()
                    .map_err(|e| crate::Error::Internal(format!("cannot start threads: {e}")))?;
                let stopped = stopped.clone();
                let interval = options.commit_interval;
                let thread = std::thread::Builder::new()
                    .name("skillbrain-recompute".into())
                    .spawn(move || {
                        runtime.block_on(refresher.run(
                            slow_commits,
                            slow_published,
                            interval,
                            stopped,
                            refreshed,
                        ))
                    })
                    .map_err(|e| crate::Error::Internal(format!("cannot start a thread: {e}")))?;
                Some(thread)
            }
            None => None,
        };
        if let Some(restored) = boards {
            tasks.push(tokio::spawn(boards::feed(
                lake.clone(),
                restored,
                stopped.clone(),
            )));
        }
        if let Some(every) = options.maintain_interval {
            let models = (pipeline.models.iter())
                .filter(|m| m.materialized == crate::pipeline::Materialized::Table)
                .map(|m| m.name.clone())
                .collect();
            tasks.push(tokio::spawn(maintain::run(
                lake, models, options, every, stopped,
            )));
        }
        Ok(Streaming {
            stop,
            tasks,
            recompute,
        })
    }

    /// Stops the tasks, letting a refresh or maintenance step in progress finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        if let Some(thread) = self.recompute {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}
