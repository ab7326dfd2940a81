//! The canonical tables: their names, Arrow schemas and idempotency keys.
//!
//! Every connector lands rows in one of these tables, with exactly these columns.
//! Times are UTC timestamps in microseconds; IDs are strings.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One of the nine canonical tables; in a connector's config, its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Table {
    /// Workers, a reference table keyed by `worker_id`; a newer `updated_at` supersedes.
    Workers,
    /// Enterprises, a reference table keyed by `enterprise_id`.
    Enterprises,
    /// Skill certificates issued to workers.
    Certifications,
    /// One row per assessment a worker took.
    AssessmentResults,
    /// The ability-dimension scores of an assessment.
    AssessmentDimensionScores,
    /// Marks given at competitions, per criterion, aspect and judge.
    CompetitionScores,
    /// Training courses attended.
    TrainingRecords,
    /// Mentor–apprentice (师带徒) agreements.
    Mentorships,
    /// Openings and job seekers per region, occupation, level and period.
    TalentDemand,
}

/// The timestamp type of every time column: microseconds, UTC.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}
fn int32(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Int32, nullable)
}
fn int64(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Int64, nullable)
}
fn float64(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Float64, nullable)
}
fn boolean(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Boolean, nullable)
}
fn ts(name: &str, nullable: bool) -> Field {
    Field::new(name, timestamp_type(), nullable)
}

impl Table {
    /// All canonical tables, in the order they are usually landed.
    pub const ALL: [Table; 9] = [
        Table::Enterprises,
        Table::Workers,
        Table::Certifications,
        Table::AssessmentResults,
        Table::AssessmentDimensionScores,
        Table::CompetitionScores,
        Table::TrainingRecords,
        Table::Mentorships,
        Table::TalentDemand,
    ];

    /// The table's snake_case name, as used in the lake, in SQL and in the API.
    pub fn name(self) -> &'static str {
        match self {
            Table::Workers => "workers",
            Table::Enterprises => "enterprises",
            Table::Certifications => "certifications",
            Table::AssessmentResults => "assessment_results",
            Table::AssessmentDimensionScores => "assessment_dimension_scores",
            Table::CompetitionScores => "competition_scores",
            Table::TrainingRecords => "training_records",
            Table::Mentorships => "mentorships",
            Table::TalentDemand => "talent_demand",
        }
    }

    /// The columns that identify a record: the same key landed twice is stored once.
    pub fn key_columns(self) -> &'static [&'static str] {
        match self {
            Table::Workers => &["worker_id", "updated_at"],
            Table::Enterprises => &["enterprise_id", "updated_at"],
            Table::AssessmentDimensionScores => &["event_id", "dimension_code"],
            _ => &["event_id"],
        }
    }

    /// The table's Arrow schema (shared, built once).
    pub fn schema(self) -> SchemaRef {
        static SCHEMAS: OnceLock<Vec<SchemaRef>> = OnceLock::new();
        let all = SCHEMAS.get_or_init(|| {
            Table::ALL
                .iter()
                .map(|t| Arc::new(Schema::new(t.fields())))
                .collect()
        });
        let i = Table::ALL.iter().position(|t| *t == self).unwrap_or(0);
        all[i].clone()
    }

    fn fields(self) -> Vec<Field> {
        match self {
            Table::Workers => vec![
                utf8("worker_id", false),
                utf8("name_masked", true),
                utf8("gender", true),
                int32("birth_year", true),
                utf8("region_code", false),
                utf8("enterprise_id", true),
                utf8("position", true),
                utf8("occupation_code", true),
                ts("updated_at", false),
            ],
            Table::Enterprises => vec![
                utf8("enterprise_id", false),
                utf8("name", true),
                utf8("region_code", false),
                utf8("industry", true),
                ts("updated_at", false),
            ],
            Table::Certifications => vec![
                utf8("event_id", false),
                utf8("worker_id", false),
                utf8("occupation_code", false),
                int32("level", true),
                int32("ladder_order", false),
                ts("issued_at", false),
                utf8("issuer", true),
            ],
            Table::AssessmentResults => vec![
                utf8("event_id", false),
                utf8("assessment_id", false),
                utf8("worker_id", false),
                utf8("enterprise_id", true),
                utf8("region_code", false),
                utf8("occupation_code", false),
                utf8("position", true),
                int32("level_attempted", false),
                utf8("channel", false),
                ts("taken_at", false),
                float64("total_score", false),
                float64("max_score", false),
                boolean("passed", false),
            ],
            Table::AssessmentDimensionScores => vec![
                utf8("event_id", false),
                utf8("dimension_code", false),
                float64("score", false),
                float64("max_score", false),
            ],
            Table::CompetitionScores => vec![
                utf8("event_id", false),
                utf8("competition_id", false),
                utf8("venue_id", false),
                utf8("contestant_id", false),
                int32("stage", false),
                utf8("criterion", false),
                utf8("aspect", false),
                utf8("kind", false),
                utf8("judge_id", true),
                float64("mark", false),
                float64("max_mark", false),
                ts("scored_at", false),
            ],
            Table::TrainingRecords => vec![
                utf8("event_id", false),
                utf8("worker_id", false),
                utf8("course_id", false),
                utf8("course_name", true),
                utf8("occupation_code", true),
                utf8("provider", true),
                float64("hours", false),
                ts("completed_at", false),
                boolean("completed", false),
            ],
            Table::Mentorships => vec![
                utf8("event_id", false),
                utf8("mentor_id", false),
                utf8("apprentice_id", false),
                utf8("occupation_code", false),
                ts("signed_at", false),
                int32("target_level", true),
                ts("ended_at", true),
            ],
            Table::TalentDemand => vec![
                utf8("event_id", false),
                utf8("period", false),
                utf8("region_code", false),
                utf8("occupation_code", false),
                int32("level", false),
                int64("openings", false),
                int64("job_seekers", false),
                utf8("source", true),
            ],
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Table {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Table::ALL
            .iter()
            .copied()
            .find(|t| t.name() == s)
            .ok_or_else(|| Error::UnknownTable(s.to_string()))
    }
}

impl TryFrom<String> for Table {
    type Error = Error;

    fn try_from(name: String) -> Result<Self> {
        name.parse()
    }
}

impl From<Table> for &'static str {
    fn from(table: Table) -> Self {
        table.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_parses_back_from_its_name() {
        for t in Table::ALL {
            assert_eq!(t.name().parse::<Table>().unwrap(), t);
        }
        assert!("payroll".parse::<Table>().is_err());
    }

    #[test]
    fn key_columns_are_non_null_columns_of_the_table() {
        for t in Table::ALL {
            let schema = t.schema();
            for k in t.key_columns() {
                let f = schema.field_with_name(k).unwrap();
                assert!(
                    !f.is_nullable(),
                    "{t}.{k} is a key and must not be nullable"
                );
            }
        }
    }
}
