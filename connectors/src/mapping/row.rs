//! One raw record made into the values of its table rows, or the first problem with it.

use sha2::{Digest, Sha256};

use super::MappingContext;
use super::bind::{BoundMapping, Role};
use super::format::EventIdRule;
use super::target::Target;
use super::values::{Value, normalize, number};
use crate::error::{Error, Result};
use crate::identity::validate_national_id;
use crate::normalize::trim;
use crate::raw::RawRecord;

/// The `max_score` of a score without one.
const DEFAULT_MAX_SCORE: f64 = 100.0;

/// Why an ID number that a spreadsheet stored as a number is wrong.
const NUMBER_ID: &str = "the ID number was stored as a number, and spreadsheets keep only 15 \
     significant digits of a number (the last digits became 000 or an exponent); format the \
     ID column as text and type the numbers again";

/// Whether a national ID cell looks like a spreadsheet number: 18 digits ending in 000
/// (15 significant digits kept), or written with an exponent (`3.30382E+17`).
fn stored_as_number(text: &str) -> bool {
    let text = trim(text);
    let all_digits = text.len() == 18 && text.bytes().all(|b| b.is_ascii_digit());
    let exponent = text.contains(['E', 'e'])
        && text
            .replace(['E', 'e', '+', '.'], "")
            .bytes()
            .all(|b| b.is_ascii_digit());
    (all_digits && text.ends_with("000")) || exponent
}

/// Who is to blame for a problem: the whole row, a target or a dimension's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blame {
    Row,
    Target(Target),
    Field(usize),
}

/// The first problem of a row.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) blame: Blame,
    pub(crate) reason: String,
}

impl Problem {
    fn new(blame: Blame, reason: impl Into<String>) -> Problem {
        Problem {
            blame,
            reason: reason.into(),
        }
    }
}

/// The values of one mapped record: one per target, and its dimension scores.
#[derive(Debug)]
pub(crate) struct MappedRow {
    pub(crate) values: [Value; Target::COUNT],
    /// (field, dimension code index, score).
    pub(crate) dimensions: Vec<(usize, usize, f64)>,
}

impl MappedRow {
    pub(crate) fn get(&self, target: Target) -> &Value {
        &self.values[target.index()]
    }

    fn set(&mut self, target: Target, value: Value) {
        self.values[target.index()] = value;
    }
}

/// Maps records with one bound mapping and its defaults, checked once.
pub(crate) struct RowMapper<'a> {
    pub(crate) bound: &'a BoundMapping,
    ctx: &'a MappingContext<'a>,
    defaults: [Value; Target::COUNT],
    pub(crate) dimension_max_score: f64,
}

impl<'a> RowMapper<'a> {
    /// Checks the mapping's defaults against the code sets: a bad default fails the
    /// whole file rather than every row of it.
    pub(crate) fn new(bound: &'a BoundMapping, ctx: &'a MappingContext<'a>) -> Result<Self> {
        let mapping = &bound.mapping;
        let mut defaults: [Value; Target::COUNT] = std::array::from_fn(|_| Value::Null);
        let mut problems = Vec::new();
        for (&target, text) in &mapping.defaults {
            match normalize(target, text, ctx.codes) {
                Ok(value) => defaults[target.index()] = value,
                Err(why) => problems.push(format!("[defaults] {}: {why}", target.name())),
            }
        }
        if !problems.is_empty() {
            return Err(Error::BadMapping {
                mapping: mapping.name.clone(),
                reason: problems.join("; "),
            });
        }
        let dimension_max_score = (mapping.dimension_max_score)
            .or(defaults[Target::MaxScore.index()].as_f64())
            .unwrap_or(DEFAULT_MAX_SCORE);
        Ok(RowMapper {
            bound,
            ctx,
            defaults,
            dimension_max_score,
        })
    }

    /// The values of `record`: its cells normalised in the order of the file, then
    /// what is derived or defaulted; the first problem rejects the record.
    pub(crate) fn map(&self, record: &RawRecord) -> Result<MappedRow, Problem> {
        if record.is_blank() {
            return Err(Problem::new(Blame::Row, "the row is blank"));
        }
        let mut row = MappedRow {
            values: std::array::from_fn(|_| Value::Null),
            dimensions: Vec::new(),
        };
        for (i, (role, text)) in self.bound.roles.iter().zip(&record.fields).enumerate() {
            if trim(text).is_empty() {
                continue;
            }
            match *role {
                Role::Ignored => {}
                Role::Dimension(code) => {
                    let score = number(text).map_err(|why| Problem::new(Blame::Field(i), why))?;
                    row.dimensions.push((i, code, score));
                }
                Role::Column(Target::NationalId) => {
                    let id = validate_national_id(text).map_err(|r| {
                        let reason = match stored_as_number(text) {
                            true => NUMBER_ID.to_owned(),
                            false => r.reason,
                        };
                        Problem::new(Blame::Target(Target::NationalId), reason)
                    })?;
                    let worker_id = self.ctx.pseudonymizer.worker_id(&id);
                    row.set(Target::WorkerId, Value::Text(worker_id));
                    row.set(Target::Gender, Value::Text(id.gender().as_str().into()));
                    row.set(Target::BirthYear, Value::Int(id.birth_year().into()));
                }
                Role::Column(target) => {
                    let value = normalize(target, text, self.ctx.codes)
                        .map_err(|why| Problem::new(Blame::Target(target), why))?;
                    row.set(target, value);
                }
            }
        }
        self.fill(&mut row)?;
        Ok(row)
    }

    /// Defaults, the region (from the enterprise, else the default), `max_score`,
    /// `passed` and the event ID.
    fn fill(&self, row: &mut MappedRow) -> Result<(), Problem> {
        for target in Target::ALL {
            if row.get(target).is_null() && target != Target::RegionCode {
                row.set(target, self.defaults[target.index()].clone());
            }
        }
        if row.get(Target::RegionCode).is_null() {
            let mut region = self.region_of_enterprise(row)?;
            if region.is_null() {
                region = self.defaults[Target::RegionCode.index()].clone();
            }
            row.set(Target::RegionCode, region);
        }
        if row.get(Target::RegionCode).is_null() {
            return Err(Problem::new(
                Blame::Target(Target::RegionCode),
                self.no_region(row),
            ));
        }
        if row.get(Target::MaxScore).is_null() {
            row.set(Target::MaxScore, Value::Float(DEFAULT_MAX_SCORE));
        }
        if row.get(Target::Passed).is_null()
            && let (Some(total), Some(max)) = (
                row.get(Target::TotalScore).as_f64(),
                row.get(Target::MaxScore).as_f64(),
            )
        {
            // 60% of the maximum, compared exactly for whole-number scores.
            row.set(Target::Passed, Value::Bool(total * 10.0 >= max * 6.0));
        }
        if let EventIdRule::Hash { from, prefix } = &self.bound.mapping.event_id {
            let id = event_id(row, from, prefix);
            row.set(Target::EventId, Value::Text(id));
        }
        if row.get(Target::AssessmentId).is_null() {
            let id = row.get(Target::EventId).clone();
            row.set(Target::AssessmentId, id);
        }
        Ok(())
    }

    /// The region of the row's enterprise, when the context knows it.
    fn region_of_enterprise(&self, row: &MappedRow) -> Result<Value, Problem> {
        let (Some(lookup), Some(enterprise)) = (
            self.ctx.region_of_enterprise,
            row.get(Target::EnterpriseId).as_text(),
        ) else {
            return Ok(Value::Null);
        };
        let Some(region) = lookup(enterprise) else {
            return Ok(Value::Null);
        };
        match self.ctx.codes.region(&region) {
            Ok(code) => Ok(Value::Text(code)),
            Err(r) => Err(Problem::new(
                Blame::Target(Target::RegionCode),
                format!(
                    "the region of enterprise '{enterprise}' in the reference data is not \
                     usable: {}",
                    r.reason
                ),
            )),
        }
    }

    /// Why a row has no region, and what would give it one.
    fn no_region(&self, row: &MappedRow) -> String {
        let (field, label) = self.bound.label(Target::RegionCode);
        let mut why = match field {
            Some(_) => format!("the region ({label}) is empty"),
            None => match self.bound.mapping.source_of(Target::RegionCode) {
                Some(_) => format!("the file has no column {label}"),
                None => "the mapping has no region column".to_owned(),
            },
        };
        match row.get(Target::EnterpriseId).as_text() {
            Some(e) if self.ctx.region_of_enterprise.is_some() => {
                why.push_str(&format!(" and enterprise '{e}' has no known region"));
            }
            _ => {}
        }
        why.push_str(
            "; every assessment needs a region: fill it in, or set region_code under [defaults]",
        );
        why
    }
}

/// `prefix` and the first 16 bytes of SHA-256 over `name=value` of each target of
/// `from`, separated by U+001F, in hexadecimal.
fn event_id(row: &MappedRow, from: &[Target], prefix: &str) -> String {
    let mut hasher = Sha256::new();
    for (i, target) in from.iter().enumerate() {
        if i > 0 {
            hasher.update([0x1f]);
        }
        hasher.update(target.name().as_bytes());
        hasher.update(b"=");
        hasher.update(row.get(*target).canonical_text().as_bytes());
    }
    let digest = hasher.finalize();
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    for byte in &digest[..16] {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}
