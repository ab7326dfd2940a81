//! The sections of a mapping file, each read and checked, problems collected.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::format::EventIdRule;
use super::target::Target;
use crate::error::{Error, Result};

/// `[event_id]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventIdFile {
    from: Vec<String>,
    #[serde(default)]
    prefix: String,
}

/// The problems of a mapping file, reported together.
#[derive(Default)]
pub(super) struct Problems(Vec<String>);

impl Problems {
    pub(super) fn add(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    pub(super) fn into_result(self, name: &str) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(Error::BadMapping {
            mapping: name.to_owned(),
            reason: self.0.join("; "),
        })
    }
}

/// `[columns]`: trimmed headers, known targets, one column per target.
pub(super) fn read_columns(
    raw: &BTreeMap<String, String>,
    problems: &mut Problems,
) -> BTreeMap<String, Target> {
    let mut columns = BTreeMap::new();
    let mut by_target: BTreeMap<Target, &str> = BTreeMap::new();
    for (header, target) in raw {
        let header = header.trim();
        if header.is_empty() {
            problems.add("[columns] has an empty source header");
            continue;
        }
        if columns.contains_key(header) {
            problems.add(format!("[columns] lists '{header}' twice"));
            continue;
        }
        match Target::parse(target.trim()) {
            Ok(t) => {
                if let Some(first) = by_target.insert(t, header) {
                    problems.add(format!(
                        "[columns] maps both '{first}' and '{header}' to {}; a target takes one column",
                        t.name()
                    ));
                }
                columns.insert(header.to_owned(), t);
            }
            Err(why) => problems.add(format!("[columns] '{header}': {why}")),
        }
    }
    columns
}

/// `[dimensions]`: headers not already under `[columns]`, each with its own code.
pub(super) fn read_dimensions(
    raw: &BTreeMap<String, String>,
    columns: &BTreeMap<String, Target>,
    problems: &mut Problems,
) -> BTreeMap<String, String> {
    let mut dimensions = BTreeMap::new();
    let mut codes: BTreeMap<&str, &str> = BTreeMap::new();
    for (header, code) in raw {
        let (header, code) = (header.trim(), code.trim());
        if header.is_empty() {
            problems.add("[dimensions] has an empty source header");
        } else if columns.contains_key(header) {
            problems.add(format!(
                "'{header}' is under both [columns] and [dimensions]"
            ));
        } else if code.is_empty() || code.chars().any(|c| c.is_whitespace() || c.is_control()) {
            problems.add(format!(
                "[dimensions] '{header}': '{code}' is not a dimension code like LSR-01"
            ));
        } else if let Some(first) = codes.insert(code, header) {
            problems.add(format!(
                "[dimensions] maps both '{first}' and '{header}' to {code}"
            ));
        } else {
            dimensions.insert(header.to_owned(), code.to_owned());
        }
    }
    dimensions
}

/// `optional` or `ignore`: trimmed, non-empty headers.
pub(super) fn header_list(key: &str, raw: &[String], problems: &mut Problems) -> BTreeSet<String> {
    let headers: BTreeSet<String> = raw.iter().map(|h| h.trim().to_owned()).collect();
    if headers.contains("") {
        problems.add(format!("{key} lists an empty header"));
    }
    headers.into_iter().filter(|h| !h.is_empty()).collect()
}

/// `[defaults]`: targets that can be the same for a whole file, with scalar values.
pub(super) fn read_defaults(
    raw: &BTreeMap<String, toml::Value>,
    problems: &mut Problems,
) -> BTreeMap<Target, String> {
    let mut defaults = BTreeMap::new();
    for (key, value) in raw {
        let target = match Target::parse(key.trim()) {
            Ok(t) if t.defaultable() => t,
            Ok(t) => {
                problems.add(format!(
                    "[defaults] cannot give {}: it differs from row to row",
                    t.name()
                ));
                continue;
            }
            Err(why) => {
                problems.add(format!("[defaults] '{key}': {why}"));
                continue;
            }
        };
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => {
                problems.add(format!("[defaults] {key} must be a string or a number"));
                continue;
            }
        };
        defaults.insert(target, text);
    }
    defaults
}

/// Every value an `assessment_results` row requires has a source.
pub(super) fn check_sources(
    columns: &BTreeMap<String, Target>,
    defaults: &BTreeMap<Target, String>,
    problems: &mut Problems,
) {
    let mapped = |t: Target| columns.values().any(|c| *c == t);
    match (mapped(Target::NationalId), mapped(Target::WorkerId)) {
        (true, true) => problems.add(
            "[columns] maps both national_id and worker_id; map the ID column to national_id \
             (or, for an export already pseudonymised, the worker ID column to worker_id)",
        ),
        (false, false) => problems.add(
            "[columns] maps no column to national_id (or worker_id); every row needs a worker",
        ),
        _ => {}
    }
    let required = [
        Target::OccupationCode,
        Target::LevelAttempted,
        Target::Channel,
        Target::TakenAt,
        Target::TotalScore,
    ];
    for t in required {
        if !mapped(t) && !defaults.contains_key(&t) {
            let fix = if t.defaultable() {
                format!("map a column to it or set {} under [defaults]", t.name())
            } else {
                "map a column to it".to_owned()
            };
            problems.add(format!(
                "assessment_results.{} has no source; {fix}",
                t.name()
            ));
        }
    }
}

/// `[event_id]`, or a column mapped to `event_id`; exactly one of them.
pub(super) fn read_event_id(
    raw: Option<EventIdFile>,
    columns: &BTreeMap<String, Target>,
    problems: &mut Problems,
) -> EventIdRule {
    let mapped = columns.values().any(|t| *t == Target::EventId);
    let Some(raw) = raw else {
        if !mapped {
            problems.add(
                "no [event_id] and no column mapped to event_id; add [event_id] with \
                 from = [...] naming the values that identify an assessment",
            );
        }
        return EventIdRule::Column;
    };
    if mapped {
        problems.add("a column is mapped to event_id, so [event_id] must be left out");
        return EventIdRule::Column;
    }
    let mut from = Vec::new();
    for name in &raw.from {
        match Target::parse(name.trim()) {
            Ok(t) if !t.hashable() => problems.add(format!(
                "[event_id] from cannot use {}; use values of the assessment such as \
                 worker_id, occupation_code and taken_at",
                t.name()
            )),
            Ok(t) if from.contains(&t) => {
                problems.add(format!("[event_id] from names {} twice", t.name()));
            }
            Ok(t) => from.push(t),
            Err(why) => problems.add(format!("[event_id] from '{name}': {why}")),
        }
    }
    if raw.from.is_empty() {
        problems.add("[event_id] from is empty; name the values that identify an assessment");
    }
    if raw
        .prefix
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        problems.add("[event_id] prefix must not contain spaces or control characters");
    }
    EventIdRule::Hash {
        from,
        prefix: raw.prefix,
    }
}
