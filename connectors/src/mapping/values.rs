//! The text of one cell made into the canonical value of its target, the way every
//! mapping does it.

use chrono::{DateTime, SecondsFormat};

use super::target::Target;
use crate::file::value::Cell;
use crate::identity::{mask_name, validate_national_id};
use crate::normalize::{Codes, clean, date, quote, trim};

/// A value of a mapped row, owned, typed as its canonical column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Microseconds since the epoch, UTC.
    Ts(i64),
}

impl Value {
    /// The value as the batch builder takes it.
    pub(crate) fn cell(&self) -> Cell<'_> {
        match self {
            Value::Null => Cell::Null,
            Value::Text(s) => Cell::Str(s),
            Value::Int(v) => Cell::Int(*v),
            Value::Float(v) => Cell::Float(*v),
            Value::Bool(v) => Cell::Bool(*v),
            Value::Ts(v) => Cell::Ts(*v),
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as text for the event ID's hash: codes and IDs as they are, numbers
    /// as Rust prints them (`88`, `92.5`), times in RFC 3339 UTC, null as nothing.
    pub(crate) fn canonical_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Text(s) => s.clone(),
            Value::Int(v) => v.to_string(),
            Value::Float(v) => v.to_string(),
            Value::Bool(v) => v.to_string(),
            Value::Ts(v) => DateTime::from_timestamp_micros(*v)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                .unwrap_or_else(|| v.to_string()),
        }
    }
}

/// The canonical value of `text` (not empty) for `target`, or why there is none.
/// The national ID is not handled here: it yields three values.
pub(crate) fn normalize(target: Target, text: &str, codes: &Codes) -> Result<Value, String> {
    match target {
        Target::Name => Ok(Value::Text(mask_name(text))),
        Target::RegionCode => codes.region(text).map(Value::Text).map_err(|r| r.reason),
        Target::OccupationCode => codes
            .occupation(text)
            .map(Value::Text)
            .map_err(|r| r.reason),
        Target::LevelAttempted => {
            let level = codes.level(text).map_err(|r| r.reason)?;
            match level.national_level {
                Some(n) => Ok(Value::Int(i64::from(n))),
                None => Err(format!(
                    "skill level {} has no national level (1 to 5), which an assessment \
                     attempts",
                    quote(trim(text))
                )),
            }
        }
        Target::TakenAt => date(text)
            .map(|t| Value::Ts(t.timestamp_micros()))
            .map_err(|r| r.reason),
        Target::TotalScore | Target::MaxScore => number(text).map(Value::Float),
        Target::Channel => channel(text).map(|c| Value::Text(c.to_owned())),
        Target::Passed => passed(text).map(Value::Bool),
        Target::NationalId
        | Target::WorkerId
        | Target::Gender
        | Target::BirthYear
        | Target::EventId
        | Target::AssessmentId
        | Target::EnterpriseId
        | Target::Position => free_text(text),
    }
}

/// Text kept as it is, trimmed, unless it is a national ID number, which is never
/// stored: an ID column mapped to `worker_id` (or anything else) by mistake is caught.
fn free_text(text: &str) -> Result<Value, String> {
    if looks_like_national_id(text) {
        return Err(
            "the value is a national ID number, which is never stored; map the \
                    ID column to national_id so that it is pseudonymised"
                .to_owned(),
        );
    }
    Ok(Value::Text(trim(text).to_owned()))
}

/// Whether `text` is a valid national ID number.
pub(crate) fn looks_like_national_id(text: &str) -> bool {
    validate_national_id(text).is_ok()
}

/// A score: a finite number, full-width digits folded.
pub(crate) fn number(text: &str) -> Result<f64, String> {
    let value = clean(text);
    value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("expected a number, got {}", quote(&value)))
}

/// `mobile` or `onsite`, also in the words exports use.
fn channel(text: &str) -> Result<&'static str, String> {
    let value = clean(text).to_ascii_lowercase();
    match value.as_str() {
        "mobile" | "移动端" | "手机" | "线上" => Ok("mobile"),
        "onsite" | "现场" | "线下" => Ok("onsite"),
        _ => Err(format!(
            "channel must be mobile (移动端, 手机, 线上) or onsite (现场, 线下), got {}",
            quote(&value)
        )),
    }
}

/// Whether the assessment was passed, as exports write it.
fn passed(text: &str) -> Result<bool, String> {
    let value = clean(text).to_ascii_lowercase();
    match value.as_str() {
        "true" | "1" | "yes" | "是" | "合格" | "通过" => Ok(true),
        "false" | "0" | "no" | "否" | "不合格" | "未通过" => Ok(false),
        _ => Err(format!(
            "passed must be 合格/不合格, 通过/未通过, 是/否, true/false or 1/0, got {}",
            quote(&value)
        )),
    }
}

/// The longest raw value kept in a rejection, in characters.
const RAW_CHARS: usize = 200;

/// A raw value for a rejection: at most 200 characters, the last `…` when cut.
pub(crate) fn truncate(raw: &str) -> String {
    match raw.char_indices().nth(RAW_CHARS) {
        Some(_) => {
            let cut = raw.char_indices().nth(RAW_CHARS - 1).map_or(0, |(i, _)| i);
            format!("{}…", &raw[..cut])
        }
        None => raw.to_owned(),
    }
}
