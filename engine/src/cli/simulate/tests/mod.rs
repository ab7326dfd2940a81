//! The simulation's tests.
//!
//! # Layout
//! - `mod.rs`: the helpers: contestants, options, the rows a schedule must produce.
//! - `schedule.rs`: the schedule's properties, for many seeds.
//! - `client.rs`: base URLs and answers as the client reads them.
//! - `server.rs`: whole competitions pushed to a real server over TCP, into a lake in a
//!   temporary folder.

mod client;
mod schedule;
mod server;

use std::time::Duration;

use super::SimulationOptions;
use super::schedule::{Kind, Schedule};

fn workers(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("W{i:05}")).collect()
}

fn options(seed: u64) -> SimulationOptions {
    SimulationOptions {
        competition_id: "CMP-TEST".into(),
        venues: 3,
        stages: 3,
        contestants: 30,
        pace: Duration::ZERO,
        seed,
        token: None,
    }
}

/// Rows the competition must produce, counted from the contestants and the marking
/// scheme alone: per stage reached, one per measured aspect, three per judged one.
fn expected_rows(schedule: &Schedule) -> usize {
    let per_stage = |stage: i32| -> usize {
        let aspects = schedule.aspects.iter().filter(|a| a.stage == stage);
        aspects
            .map(|a| match a.kind {
                Kind::Measurement => 1,
                Kind::Judgement => 3,
            })
            .sum()
    };
    let contestants = schedule.contestants.iter();
    contestants
        .map(|c| (1..=c.stages).map(per_stage).sum::<usize>())
        .sum()
}
