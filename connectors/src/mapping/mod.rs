//! Column mappings: the headers a person typed in an export (姓名, 身份证号, 技能等级, …)
//! mapped to canonical columns, so that a [raw table](crate::raw) becomes rows of
//! `workers`, `assessment_results` and `assessment_dimension_scores`, every rejected row
//! reported with its line, source column and reason.
//!
//! # The mapping file
//!
//! A mapping is a small TOML file, one per kind of export. Every key is shown here; the
//! mapping shipped as `connectors/mappings/assessment_export.toml` is this one without
//! `dimension_max_score` and with all five dimensions of 6-25-04-04 激光设备安装调试员:
//!
//! ```toml
//! name = "assessment_export"      # shown in reports and errors
//! source_timezone = "+08:00"      # optional; times without an offset are China
//!                                 # Standard Time, and "+08:00" is the only value
//! optional = ["所在地区"]          # mapped columns a file may leave out
//! ignore = ["序号"]               # headers read past without mapping them
//! dimension_max_score = 100       # optional: max_score of every dimension row
//!                                 # (default: [defaults] max_score, else 100)
//!
//! [defaults]                      # values where the file has no column or an empty cell
//! channel = "onsite"
//! max_score = 100
//!
//! [columns]                       # source header = canonical column or role
//! "姓名" = "name"                 # role: masked (张小明 → 张*明) into workers.name_masked
//! "身份证号" = "national_id"      # role: → worker_id, gender, birth_year; never stored
//! "单位" = "enterprise_id"
//! "所在地区" = "region_code"      # a code or a name (乐清市, 乐清)
//! "工种" = "occupation_code"      # a code (6-25-04-04) or the exact name
//! "技能等级" = "level_attempted"  # 三级, 高级工, 3 … → the national level 1–5
//! "考核日期" = "taken_at"         # 2026年11月28日, 2026-11-28 09:30, an Excel serial …
//! "总分" = "total_score"
//!
//! [dimensions]                    # source header = ability dimension code
//! "出光排障能力" = "LSR-01"        # one assessment_dimension_scores row per non-empty cell
//!
//! [event_id]                      # a deterministic event_id: a re-sent file is stored once
//! from = ["worker_id", "occupation_code", "taken_at"]
//! prefix = "asr-x-"
//! ```
//!
//! - **Targets** under `[columns]`: the roles `name` and `national_id`, and the columns
//!   `worker_id` (for an export already pseudonymised, instead of `national_id`),
//!   `event_id`, `assessment_id`, `enterprise_id`, `region_code`, `occupation_code`,
//!   `position`, `level_attempted`, `channel` (`mobile`/`onsite`, also 移动端, 手机, 线上 /
//!   现场, 线下), `taken_at`, `total_score`, `max_score` and `passed` (合格/不合格,
//!   通过/未通过, 是/否, true/false, 1/0). Each target takes at most one column; `gender`
//!   and `birth_year` come from the national ID only.
//! - **Required**: `national_id` or `worker_id`; a column or a default for
//!   `occupation_code`, `level_attempted`, `channel`, `taken_at`; a column for
//!   `total_score`; `[event_id]` unless a column is mapped to `event_id`.
//! - **`[defaults]`** may give `enterprise_id`, `region_code`, `occupation_code`,
//!   `position`, `level_attempted`, `channel`, `taken_at` and `max_score`. They are
//!   normalised like cells when a file is mapped, and a bad one fails the whole file.
//! - **Derived**: `assessment_id` is the `event_id` unless mapped; `passed` is
//!   `total_score >= 60%` of `max_score` unless mapped (or the cell is empty);
//!   `max_score` is 100 unless mapped or defaulted; `workers.updated_at` is `taken_at`.
//!   An empty region is taken from the enterprise when
//!   [`MappingContext::region_of_enterprise`] knows it, else from `[defaults]`; a row
//!   still without one is rejected.
//! - **`[event_id]`**: `from` names values of the `assessment_results` row (any target
//!   but the roles, `event_id` and `passed`; `worker_id` is the pseudonym), taken after
//!   normalisation, so that `三级` and `高级工`, or a date typed and the same date as an
//!   Excel serial, give the same ID. The ID is `prefix` followed by 32 hexadecimal digits:
//!   the first 16 bytes of SHA-256 over `name=value` for each entry, in order, joined by
//!   U+001F (codes as stored, numbers as `88` or `92.5`, times as RFC 3339 UTC such as
//!   `2026-11-27T16:00:00Z`, an empty value as nothing).
//!
//! # Binding and rows
//!
//! [`Mapping::bind`] matches a file's headers, trimmed, exactly: a mapped column missing
//! (unless `optional`) or a header neither mapped nor under `ignore` fails the file with
//! [`Error::HeaderMismatch`](crate::Error::HeaderMismatch), listing them all.
//! [`map_records`] then maps each record: cells in the order of the file, then what is
//! derived or defaulted, then the canonical rules of each table (the file connector's:
//! required values, scores zero or more and not above their maximum, …). A record with
//! any problem is rejected whole, with the first problem; a blank row is rejected too.
//! A rejection names the source header to blame (for a value that came from no column,
//! the header the mapping names for it, else its canonical name; empty for a blank row)
//! and keeps at most 200 characters of the raw value. A national ID is never kept: its
//! column's raw value shows only the masked form `330382********1233`, and a valid ID
//! number in any other text column (an ID column mapped to `worker_id` by mistake) is
//! rejected, and masked likewise.
//!
//! # Layout
//! - `mod.rs`: [`MappingContext`], [`RegionOfEnterprise`], [`MappedOutput`], [`Rejected`].
//! - `format.rs`: [`Mapping`], read from TOML and checked.
//! - `sections.rs`: each section of the file read and checked, problems collected.
//! - `target.rs`: what a column can be mapped to.
//! - `bind.rs`: [`BoundMapping`], a mapping matched to a file's headers.
//! - `values.rs`: one cell normalised for its target; raw values for rejections.
//! - `row.rs`: one record into its values, derived values and the event ID.
//! - `records.rs`: [`map_records`]: rows checked and built into batches.
//! - `tests.rs`, `tests/`: GBK CSV and XLSX exports through the shipped mapping.

mod bind;
mod format;
mod records;
mod row;
mod sections;
mod target;
mod values;

#[cfg(test)]
mod tests;

use std::fmt;

use arrow::record_batch::RecordBatch;
use serde::Serialize;

use crate::identity::Pseudonymizer;
use crate::normalize::Codes;
use crate::schema::Table;

pub use bind::BoundMapping;
pub use format::Mapping;
pub use records::map_records;

/// Looks up the region (a code or a name) of an enterprise ID; `None` when unknown.
pub type RegionOfEnterprise<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What mapping needs besides the mapping: the code sets, the secret that derives
/// worker IDs and, optionally, where enterprises are.
#[derive(Clone, Copy)]
pub struct MappingContext<'a> {
    /// Regions, occupations and skill levels values are normalised against.
    pub codes: &'a Codes,
    /// Derives `worker_id` from a national ID.
    pub pseudonymizer: &'a Pseudonymizer,
    /// The region (a code or a name) of an enterprise ID, for rows without a region.
    pub region_of_enterprise: Option<RegionOfEnterprise<'a>>,
}

impl fmt::Debug for MappingContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappingContext")
            .field("codes", &"Codes { .. }")
            .field("pseudonymizer", self.pseudonymizer)
            .field("region_of_enterprise", &self.region_of_enterprise.is_some())
            .finish()
    }
}

/// The result of mapping a raw table.
#[derive(Debug, Clone)]
pub struct MappedOutput {
    /// Batches with exactly the canonical schemas, grouped by table in the order of
    /// [`Mapping::tables`]; a table without rows has none.
    pub batches: Vec<(Table, RecordBatch)>,
    /// Every rejected record, in the order of the file.
    pub rejects: Vec<Rejected>,
    /// The records read, blank rows between records included.
    pub rows_read: u64,
}

impl MappedOutput {
    /// The records that were mapped: those read less those rejected.
    pub fn rows_accepted(&self) -> u64 {
        self.rows_read.saturating_sub(self.rejects.len() as u64)
    }

    /// The batches of one table.
    pub fn batches_of(&self, table: Table) -> impl Iterator<Item = &RecordBatch> {
        (self.batches.iter())
            .filter(move |(t, _)| *t == table)
            .map(|(_, batch)| batch)
    }
}

/// A record that was not mapped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The source, as the raw table names it.
    pub source: String,
    /// The record's line (CSV) or sheet row (XLSX), 1-based.
    pub line: u64,
    /// The source header to blame; empty when the row as a whole is (a blank row).
    pub column: String,
    /// The raw value of that column, at most 200 characters; for the national ID
    /// column, or any value that is a national ID number, only its masked form; for the
    /// name column the masked name.
    pub raw_value: String,
    /// What is wrong, in words a person can act on.
    pub reason: String,
}
