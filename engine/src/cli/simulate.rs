//! A simulated live competition, for `skillbrain demo`: a WorldSkills-style competition
//! held at several venues at once (异地同赛), whose marks are pushed to a running
//! server through `POST /v1/ingest/competition_scores`, the real ingest path, a few
//! contestants at a time, so that the live leaderboard moves on its own.
//!
//! The competition is drawn from a seed: the marking scheme (criteria `A`, `B`, … of
//! measured `M` and judged `J` aspects), each venue's panel of three judges, who
//! competes where and every mark. Event ids are derived from what a mark is
//! (`<competition>-<stage>-<contestant>-<aspect>-<judge or M>`), so a demo started again
//! sends the same ids and the lake stores each mark once. Only `scored_at` is the time
//! of the push.
//!
//! # Layout
//! - `simulate.rs`: [`SimulationOptions`], [`simulate`], its [`SimulationReport`], and
//!   [`contestants_from_lake`].
//! - `schedule.rs`: the venues, contestants, marking scheme, marks and pushes.
//! - `client.rs`: the HTTP/1.1 `POST` each push is sent with.
//! - `tests/`: the schedule's properties, the client's parsing, whole competitions
//!   pushed to a server over TCP.

mod client;
mod schedule;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::Context as _;
use arrow::array::{Array, StringArray};
use arrow::datatypes::DataType;
use chrono::{SecondsFormat, Utc};
use datafusion::prelude::SessionContext;
use serde::Deserialize;

use crate::lake::Lake;

/// The route every push goes to.
const INGEST_PATH: &str = "/v1/ingest/competition_scores";
/// Attempts per push when the server cannot be reached or answers 5xx.
const ATTEMPTS: u32 = 3;
/// The wait before a second attempt; doubled before a third.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// What competition to play and how fast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulationOptions {
    /// The `competition_id` of every mark.
    pub competition_id: String,
    /// Venues competing at once (at least one), `V1`, `V2`, …
    pub venues: usize,
    /// Stages, played in order (1 to 20).
    pub stages: usize,
    /// The most contestants, drawn from those given.
    pub contestants: usize,
    /// The wait between two pushes; zero sends them back to back.
    pub pace: Duration,
    /// The same seed plays the same competition.
    pub seed: u64,
    /// Sent as `Authorization: Bearer <token>` when set.
    pub token: Option<String>,
}

impl Default for SimulationOptions {
    fn default() -> Self {
        SimulationOptions {
            competition_id: "CMP-LIVE".to_owned(),
            venues: 3,
            stages: 3,
            contestants: 30,
            pace: Duration::from_secs(1),
            seed: 42,
            token: None,
        }
    }
}

/// What a simulation sent and what the server made of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimulationReport {
    /// Pushes sent, each counted once however many attempts it took.
    pub pushes: u64,
    /// Pushes without a 2xx answer after every attempt; none of their rows is counted
    /// below.
    pub failed: u64,
    /// Rows the server stored.
    pub rows_accepted: u64,
    /// Rows the server rejected (and quarantined).
    pub rows_rejected: u64,
    /// Rows the server already had, stored once.
    pub duplicates: u64,
    /// Every push was sent: the competition is over. `false` when `shutdown` stopped it.
    pub finished: bool,
}

/// The answer of `POST /v1/ingest/{table}`.
#[derive(Debug, Deserialize)]
struct IngestAnswer {
    accepted: u64,
    #[serde(default)]
    rejected: Vec<RejectedRow>,
    #[serde(default)]
    duplicates: u64,
}

/// A row the server left out.
#[derive(Debug, Deserialize)]
struct RejectedRow {
    line: u64,
    #[serde(default)]
    column: Option<String>,
    reason: String,
}

/// Plays a live competition against the server at `base_url` (e.g.
/// `http://127.0.0.1:8080`) among `contestants` (worker_ids; at most
/// `options.contestants` of them take part), pushing its marks at `options.pace`
/// until the competition is over or `shutdown` completes.
///
/// A push the server refuses, or whose rows it rejects, is logged and counted, and the
/// competition goes on; a push that cannot be delivered is tried again twice. Fails
/// only when `base_url` is not an `http://` URL or no contestant is given.
pub async fn simulate(
    base_url: &str,
    contestants: Vec<String>,
    options: SimulationOptions,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<SimulationReport> {
    let endpoint = client::Endpoint::parse(base_url)?;
    let schedule = schedule::plan(&contestants, &options);
    anyhow::ensure!(
        !schedule.contestants.is_empty(),
        "no contestants for the competition {}",
        options.competition_id
    );
    let stages = schedule.pushes.last().map_or(0, |p| p.stage);
    tracing::info!(
        competition = %schedule.competition_id,
        venues = schedule.venues.len(),
        stages,
        contestants = schedule.contestants.len(),
        pushes = schedule.pushes.len(),
        rows = schedule.rows(),
        url = %endpoint.url(INGEST_PATH),
        "live competition started"
    );
    let mut shutdown = std::pin::pin!(shutdown);
    let mut report = SimulationReport::default();
    let token = options.token.as_deref();
    for (i, push) in schedule.pushes.iter().enumerate() {
        if i > 0
            && !options.pace.is_zero()
            && unless(&mut shutdown, tokio::time::sleep(options.pace))
                .await
                .is_none()
        {
            return Ok(stopped(&schedule.competition_id, report));
        }
        let scored_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let body = schedule.ndjson(push, &scored_at);
        let Some(delivered) = unless(&mut shutdown, deliver(&endpoint, token, &body)).await else {
            return Ok(stopped(&schedule.competition_id, report));
        };
        report.pushes += 1;
        let venue = &schedule.venues[push.venue].id;
        match delivered {
            Ok(answer) => {
                report.rows_accepted += answer.accepted;
                report.duplicates += answer.duplicates;
                report.rows_rejected += answer.rejected.len() as u64;
                for row in &answer.rejected {
                    let event_id = usize::try_from(row.line)
                        .ok()
                        .and_then(|line| push.marks.get(line.checked_sub(1)?))
                        .map_or("?", |m| m.event_id.as_str());
                    tracing::warn!(
                        %venue,
                        event_id,
                        line = row.line,
                        column = row.column.as_deref().unwrap_or(""),
                        reason = %row.reason,
                        "a simulated mark was rejected"
                    );
                }
                tracing::debug!(
                    %venue,
                    stage = push.stage,
                    accepted = answer.accepted,
                    duplicates = answer.duplicates,
                    "marks pushed"
                );
            }
            Err(why) => {
                report.failed += 1;
                tracing::warn!(
                    %venue,
                    stage = push.stage,
                    rows = push.marks.len(),
                    "a push of simulated marks failed: {why}"
                );
            }
        }
        let next_stage = schedule.pushes.get(i + 1).map(|p| p.stage);
        if next_stage != Some(push.stage) {
            tracing::info!(
                competition = %schedule.competition_id,
                stage = push.stage,
                stages,
                "stage marked at every venue"
            );
        }
    }
    report.finished = true;
    tracing::info!(
        competition = %schedule.competition_id,
        pushes = report.pushes,
        failed = report.failed,
        accepted = report.rows_accepted,
        rejected = report.rows_rejected,
        duplicates = report.duplicates,
        "live competition over"
    );
    Ok(report)
}

/// Up to `n` worker_ids from the lake's `workers` to compete, in worker_id order, all of
/// the occupation with the most workers (a competition is held in one trade).
pub async fn contestants_from_lake(lake: &Lake, n: usize) -> anyhow::Result<Vec<String>> {
    let ctx = SessionContext::new();
    lake.register_canonical(&ctx).await?;
    let query = format!(
        "select distinct worker_id from workers where occupation_code = (\
           select occupation_code from workers where occupation_code is not null \
           group by occupation_code order by count(distinct worker_id) desc, occupation_code \
           limit 1) \
         order by worker_id limit {n}"
    );
    let batches = ctx
        .sql(&query)
        .await?
        .collect()
        .await
        .context("cannot read the workers to compete")?;
    let mut ids = Vec::new();
    for batch in &batches {
        let column = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
        let Some(values) = column.as_any().downcast_ref::<StringArray>() else {
            anyhow::bail!("worker_id is not text");
        };
        ids.extend(values.iter().flatten().map(str::to_owned));
    }
    Ok(ids)
}

/// The report of a competition `shutdown` stopped.
fn stopped(competition: &str, report: SimulationReport) -> SimulationReport {
    tracing::info!(
        competition,
        pushes = report.pushes,
        "live competition stopped before its end"
    );
    report
}

/// `work`'s output, or `None` if `shutdown` completes first.
async fn unless<S, T>(shutdown: &mut Pin<&mut S>, work: impl Future<Output = T>) -> Option<T>
where
    S: Future<Output = ()>,
{
    tokio::select! {
        biased;
        () = shutdown.as_mut() => None,
        out = work => Some(out),
    }
}

/// Sends one push, trying again when the server cannot be reached or answers 5xx; the
/// answer, or why there is none.
async fn deliver(
    endpoint: &client::Endpoint,
    token: Option<&str>,
    body: &str,
) -> Result<IngestAnswer, String> {
    let mut attempt = 1;
    loop {
        let (retry, why) = match client::post(
            endpoint,
            INGEST_PATH,
            "application/x-ndjson",
            token,
            body.as_bytes(),
        )
        .await
        {
            Ok(answer) if (200..300).contains(&answer.status) => {
                return serde_json::from_slice(&answer.body)
                    .map_err(|e| format!("unreadable answer ({}): {e}", answer.status));
            }
            Ok(answer) => {
                let text = String::from_utf8_lossy(&answer.body);
                let text: String = text.chars().take(300).collect();
                (
                    answer.status >= 500,
                    format!("answered {}: {text}", answer.status),
                )
            }
            Err(e) => (true, format!("{}: {e}", endpoint.url(INGEST_PATH))),
        };
        if !retry || attempt == ATTEMPTS {
            return Err(why);
        }
        tracing::debug!(attempt, "a push failed and is tried again: {why}");
        tokio::time::sleep(RETRY_AFTER * 2u32.pow(attempt - 1)).await;
        attempt += 1;
    }
}
