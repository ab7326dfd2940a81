//! The synthetic city generator.
//!
//! [`generate`] writes one file per canonical table, `<out>/<table>.<ext>`, with the
//! canonical columns, from a seed: the same options give the same bytes. The data is
//! plausible rather than uniform — districts, industries and occupations differ in skill,
//! scores rise with the ladder step and after training, some enterprises are weak in one
//! dimension, some occupations are short of workers — so that every indicator of the
//! design has something to find.
//!
//! Memory stays small whatever the number of assessments: a few bytes per worker and
//! enterprise, and one Arrow batch per open table.
//!
//! # Layout
//! - `mod.rs`: [`Format`], [`GenerateOptions`], [`GenerateSummary`], [`generate`].
//! - [`rng`]: the seeded generator (xoshiro256** with SplitMix64 seeding), one stream
//!   per kind of thing and item, so each table can be re-derived independently; public
//!   for the engine's simulated competition.
//! - `time.rs`: the fixed time frame (2024-01-01 to 2026-10-31 UTC) and RFC 3339 text.
//! - `profile.rs`: what makes the city Wenzhou-like (district sizes and skill, industries,
//!   occupations' positions and tightness, names).
//! - `city/`: the city model (enterprises, workers, the ladder draw).
//! - `people.rs`, `certify.rs`, `training.rs`, `assess.rs`, `competition.rs`,
//!   `demand.rs`: one writer per table (or pair of tables).
//! - `sink.rs`, `text.rs`: streaming Arrow batches to Parquet, CSV and NDJSON.

mod assess;
mod certify;
mod city;
mod competition;
mod demand;
mod people;
mod profile;
pub mod rng;
mod sink;
mod text;
mod time;
mod training;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use indicatif::{ProgressBar, ProgressStyle};
use skillbrain_connectors::Table;

use crate::error::{Error, Result};
use crate::reference::Reference;
use city::City;
use sink::TableWriter;

/// The file format of generated tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Apache Parquet with the canonical Arrow schema (Snappy-compressed).
    #[default]
    Parquet,
    /// CSV: a header of canonical column names, RFC 4180 quoting, UTF-8 without BOM,
    /// RFC 3339 UTC timestamps with microseconds, `true`/`false`, empty field = null.
    Csv,
    /// One JSON object per line with canonical keys; timestamps as RFC 3339 strings.
    Ndjson,
}

impl Format {
    /// The file extension: `parquet`, `csv` or `ndjson`.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ext())
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Ok(Format::Parquet),
            "csv" => Ok(Format::Csv),
            "ndjson" | "jsonl" | "json" => Ok(Format::Ndjson),
            _ => Err(Error::UnknownFormat(s.to_string())),
        }
    }
}

/// What to generate and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of workers in the city (enterprises: one per 40 workers).
    pub workers: u64,
    /// Seed of every random draw.
    pub seed: u64,
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Output format.
    pub format: Format,
    /// Total number of assessment events; `workers * 3` when `None`.
    pub assessments: Option<u64>,
    /// Show a progress bar over the assessment events.
    pub progress: bool,
}

impl GenerateOptions {
    /// Options for a city of `workers` workers written to `out` as Parquet, seed 42.
    pub fn new(out: impl Into<PathBuf>, workers: u64) -> Self {
        GenerateOptions {
            workers,
            seed: 42,
            out: out.into(),
            format: Format::Parquet,
            assessments: None,
            progress: false,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Rows written per table, in [`Table::ALL`] order.
    pub rows: Vec<(Table, u64)>,
    /// The files written, in [`Table::ALL`] order.
    pub files: Vec<PathBuf>,
}

impl GenerateSummary {
    /// Rows written to `table` (0 if it was not written).
    pub fn rows_of(&self, table: Table) -> u64 {
        self.rows
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }
}

/// Generates a synthetic city and writes all nine canonical tables to `opts.out`.
pub fn generate(opts: &GenerateOptions, reference: &Reference) -> Result<GenerateSummary> {
    let city = City::build(reference, opts.seed, opts.workers)?;
    std::fs::create_dir_all(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
    let total = opts.assessments.unwrap_or(opts.workers.saturating_mul(3));
    let mut written: Vec<(Table, PathBuf, u64)> = Vec::new();
    let mut finish = |w: TableWriter, table: Table| -> Result<()> {
        let (path, rows) = w.finish()?;
        written.push((table, path, rows));
        Ok(())
    };
    for table in Table::ALL {
        if table == Table::AssessmentDimensionScores {
            continue;
        }
        let mut w = TableWriter::create(&opts.out, table, opts.format)?;
        match table {
            Table::Enterprises => people::write_enterprises(&city, &mut w)?,
            Table::Workers => people::write_workers(&city, &mut w)?,
            Table::Certifications => certify::write_certifications(&city, &mut w)?,
            Table::AssessmentResults => {
                let mut scores =
                    TableWriter::create(&opts.out, Table::AssessmentDimensionScores, opts.format)?;
                let bar = progress_bar(opts.progress, total);
                assess::write_assessments(&city, total, &mut w, &mut scores, &bar)?;
                bar.finish_and_clear();
                finish(scores, Table::AssessmentDimensionScores)?;
            }
            Table::CompetitionScores => competition::write_competitions(&city, &mut w)?,
            Table::TrainingRecords => training::write_training(&city, &mut w)?,
            Table::Mentorships => certify::write_mentorships(&city, &mut w)?,
            Table::TalentDemand => demand::write_demand(&city, &mut w)?,
            Table::AssessmentDimensionScores => {}
        }
        finish(w, table)?;
    }
    let mut summary = GenerateSummary::default();
    for table in Table::ALL {
        if let Some((_, path, rows)) = written.iter().find(|(t, _, _)| *t == table) {
            summary.rows.push((table, *rows));
            summary.files.push(path.clone());
        }
    }
    Ok(summary)
}

fn progress_bar(visible: bool, total: u64) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{spinner} assessments {bar:40} {human_pos}/{human_len} ({per_sec}, {eta} left)",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(total).with_style(style)
}
