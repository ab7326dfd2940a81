//! The mapping file: TOML read into a [`Mapping`] and checked before any file is read.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::sections::{
    EventIdFile, Problems, check_sources, header_list, read_columns, read_defaults,
    read_dimensions, read_event_id,
};
use super::target::Target;
use crate::error::{Error, Result};
use crate::schema::Table;

/// The only `source_timezone` accepted: what [`crate::normalize::date`] assumes.
const CHINA_STANDARD_TIME: &str = "+08:00";

/// The file as written, before any check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    name: String,
    source_timezone: Option<String>,
    #[serde(default)]
    optional: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    dimension_max_score: Option<f64>,
    #[serde(default)]
    defaults: BTreeMap<String, toml::Value>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
    event_id: Option<EventIdFile>,
}

/// How a row's `event_id` is found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EventIdRule {
    /// A source column is mapped to `event_id`.
    Column,
    /// The SHA-256 of the named values, prefixed.
    Hash { from: Vec<Target>, prefix: String },
}

/// A column mapping: how the headers of one kind of export become canonical columns.
/// Read with [`Mapping::from_toml`]; the format is described in [the module](super).
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub(crate) name: String,
    /// Source header → target, by header.
    pub(crate) columns: BTreeMap<String, Target>,
    /// Source header → dimension code, by header.
    pub(crate) dimensions: BTreeMap<String, String>,
    pub(crate) optional: BTreeSet<String>,
    pub(crate) ignore: BTreeSet<String>,
    /// Target → its default value as written (checked when a file is mapped).
    pub(crate) defaults: BTreeMap<Target, String>,
    pub(crate) dimension_max_score: Option<f64>,
    pub(crate) event_id: EventIdRule,
}

impl Mapping {
    /// Reads and checks a mapping file. Every problem found is reported at once, in
    /// one [`Error::BadMapping`].
    pub fn from_toml(text: &str) -> Result<Mapping> {
        let file: MappingFile = toml::from_str(text).map_err(|e| Error::BadMapping {
            mapping: String::new(),
            reason: format!("not a valid mapping file: {}", e.to_string().trim_end()),
        })?;
        let name = file.name.trim().to_owned();
        let mut problems = Problems::default();
        if name.is_empty() {
            problems.add("'name' is empty; give the mapping a name to show in reports");
        }
        if let Some(tz) = &file.source_timezone
            && tz.trim() != CHINA_STANDARD_TIME
        {
            problems.add(format!(
                "source_timezone '{tz}' is not supported: times without an offset are read \
                 as China Standard Time, so the only value is \"{CHINA_STANDARD_TIME}\""
            ));
        }
        let columns = read_columns(&file.columns, &mut problems);
        let dimensions = read_dimensions(&file.dimensions, &columns, &mut problems);
        let sources = |s: &str| columns.contains_key(s) || dimensions.contains_key(s);
        let optional = header_list("optional", &file.optional, &mut problems);
        for header in optional.iter().filter(|h| !sources(h)) {
            problems.add(format!(
                "optional '{header}' is not a source column under [columns] or [dimensions]"
            ));
        }
        let ignore = header_list("ignore", &file.ignore, &mut problems);
        for header in ignore.iter().filter(|h| sources(h)) {
            problems.add(format!("'{header}' is both mapped and ignored"));
        }
        let defaults = read_defaults(&file.defaults, &mut problems);
        check_sources(&columns, &defaults, &mut problems);
        let event_id = read_event_id(file.event_id, &columns, &mut problems);
        let dimension_max_score = file.dimension_max_score;
        if dimension_max_score.is_some_and(|m| !(m.is_finite() && m > 0.0)) {
            problems.add("dimension_max_score must be a number above 0");
        }
        problems.into_result(&name)?;
        Ok(Mapping {
            name,
            columns,
            dimensions,
            optional,
            ignore,
            defaults,
            dimension_max_score,
            event_id,
        })
    }

    /// The mapping's name, as reports show it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tables a mapped row lands in, in landing order: `workers`,
    /// `assessment_results` and, when dimensions are listed, `assessment_dimension_scores`.
    pub fn tables(&self) -> Vec<Table> {
        let mut tables = vec![Table::Workers, Table::AssessmentResults];
        if !self.dimensions.is_empty() {
            tables.push(Table::AssessmentDimensionScores);
        }
        tables
    }

    /// The source header mapped to `target`, if any.
    pub(crate) fn source_of(&self, target: Target) -> Option<&str> {
        (self.columns.iter())
            .find(|(_, t)| **t == target)
            .map(|(header, _)| header.as_str())
    }
}
