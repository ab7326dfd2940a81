//! Streaming: while `serve` runs, the models follow the commits.
//!
//! - `mod.rs`: [`Streaming`], the background tasks of a serving engine, and
//!   [`StreamOptions`].
//! - [`refresh`]: the [`Refresher`](refresh::Refresher): after commits, the models
//!   downstream of the changed tables, and only those, at most once per commit interval,
//!   in lanes (incremental models; large incremental models nothing reads; models
//!   recomputed in full).
//! - [`dataflow`]: which models are kept as a dataflow that takes in only the changes,
//!   and how.
//! - [`boards`]: the live competition boards fed from each commit of scores.
//! - `lane.rs`: a background lane on threads of its own, at a lower priority.
//! - [`maintain`]: compaction (Delta `OPTIMIZE`) and retention (`VACUUM`) of the tables.
//! - `tests.rs`: incremental models against full recomputes, refresh after commits.
//!
//! Every append announces its commit (with the new rows) through
//! [`Lake::subscribe`](crate::lake::Lake::subscribe); the tasks here listen.

pub mod boards;
pub mod dataflow;
mod lane;
pub mod maintain;
pub mod refresh;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::error::Result;
use crate::lake::{Committed, Lake};
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

/// The background work of a serving engine: the refreshers and table maintenance.
pub struct Streaming {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// The refresh lanes, each on threads of its own.
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Streaming {
    /// Starts following `lake`'s commits: the models of `pipeline` in `store` are
    /// refreshed after each, in lanes ([`Refresher::lanes`]), each on threads of its
    /// own: the incremental models; the ones recomputed in full (on
    /// `stream.recompute_threads` threads); the large incremental models nothing reads
    /// (more than `stream.large_model_rows` rows in `store` now). The threads of the last
    /// two, the background lanes, run `stream.background_nice` steps below normal
    /// priority. The incremental models' state is built first (from the whole of
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
        let (commits, slow_commits, large_commits) =
            (lake.subscribe(), lake.subscribe(), lake.subscribe());
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
        let large = incremental.large_leaves(&fast, config.stream.large_model_rows);
        incremental.restrict(&fast.difference(&large).cloned().collect());
        // A refresher of some of the models, none when there are none.
        let lane = |members: HashSet<String>| {
            let (lake, pipeline, store) = (lake.clone(), pipeline.clone(), store.clone());
            async move {
                if members.is_empty() {
                    return Ok(None);
                }
                let r = Refresher::new(config, lake, reference, pipeline, store, Some(&members));
                r.await.map(Some)
            }
        };
        let mut large = lane(large).await?;
        let mut recompute = lane(slow).await?;
        let mut built = incremental.rebuild_incremental().await?.models;
        if let Some(r) = &mut large {
            built.extend(r.rebuild_incremental().await?.models);
        }
        if let Some(r) = &mut recompute {
            built.extend(r.rebuild_incremental().await?.models);
        }
        // The lanes hear of each other's publications from now on: the states just built
        // are the models as they were (or, unless `fresh`, every model is refreshed).
        let (published, slow_published, large_published) =
            (store.subscribe(), store.subscribe(), store.subscribe());
        if !fresh {
            incremental.mark_all_dirty();
            for r in [&mut large, &mut recompute].into_iter().flatten() {
                r.mark_all_dirty();
            }
        }
        for (report, _) in &built {
            tracing::info!(model = %report.model, rows = report.rows, seconds = report.seconds, "incremental state built");
        }
        let (stop, stopped) = watch::channel(false);
        // Each lane on threads of its own: a refresh is not queued behind the requests
        // the server's runtime answers, nor they behind it.
        let interval = options.commit_interval;
        let start = |name: &str,
                     threads: usize,
                     nice: i32,
                     refresher: Refresher,
                     commits: broadcast::Receiver<Arc<Committed>>,
                     published: broadcast::Receiver<String>| {
            let (stopped, refreshed) = (stopped.clone(), refreshed.clone());
            lane::spawn(name, threads, nice, move || {
                refresher.run(commits, published, interval, stopped, refreshed)
            })
        };
        let nice = config.stream.background_nice;
        let mut threads = vec![start(
            "skillbrain-refresh",
            2,
            0,
            incremental,
            commits,
            published,
        )?];
        if let Some(refresher) = large {
            let names: Vec<String> = refresher.modes().into_iter().map(|(n, ..)| n).collect();
            tracing::info!(models = ?names, "large incremental models refreshed on a lane of their own");
            threads.push(start(
                "skillbrain-large",
                1,
                nice,
                refresher,
                large_commits,
                large_published,
            )?);
        }
        if let Some(refresher) = recompute {
            let workers = config.stream.recompute_threads;
            threads.push(start(
                "skillbrain-recompute",
                workers,
                nice,
                refresher,
                slow_commits,
                slow_published,
            )?);
        }
        let mut tasks = Vec::new();
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
            threads,
        })
    }

    /// Stops the tasks, letting a refresh or maintenance step in progress finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        for thread in self.threads {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}
