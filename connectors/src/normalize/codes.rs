//! Region and occupation codes, looked up in reference data the caller supplies.

use std::collections::{BTreeMap, HashMap};

use super::level::{Ladder, Level, LevelStep};
use super::{Reject, clean, did_you_mean, nearest, quote};

/// Administrative suffixes a region name may be given without (`乐清` for `乐清市`), longest
/// first so that `自治县` is stripped whole.
const REGION_SUFFIXES: [&str; 14] = [
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "新区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
];

/// The code sets values are normalised against: regions (GB/T 2260), occupations (the
/// national occupational classification, `X-XX-XX-XX`) and the skill-level ladder.
///
/// Built by the caller from reference data, so that this crate does not depend on where
/// that data lives. Codes and names are trimmed; a name given to two codes is ambiguous and
/// only accepted as a code.
#[derive(Debug, Clone, Default)]
pub struct Codes {
    /// Region code → name.
    regions: BTreeMap<String, String>,
    /// Full region name → codes.
    region_names: HashMap<String, Vec<String>>,
    /// Region name without its administrative suffix → codes.
    region_short_names: HashMap<String, Vec<String>>,
    /// Occupation code → name.
    occupations: BTreeMap<String, String>,
    /// Occupation name → codes.
    occupation_names: HashMap<String, Vec<String>>,
    /// The skill-level ladder and its spellings.
    ladder: Ladder,
}

impl Codes {
    /// Code sets from `(code, name)` pairs of regions and occupations and the steps of the
    /// skill-level ladder.
    pub fn new(
        regions: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
        occupations: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
        levels: impl IntoIterator<Item = LevelStep>,
    ) -> Self {
        let mut codes = Codes {
            ladder: Ladder::new(levels),
            ..Codes::default()
        };
        for (code, name) in regions {
            let (code, name) = (clean(&code.into()), clean(&name.into()));
            if code.is_empty() {
                continue;
            }
            if !name.is_empty() {
                add(&mut codes.region_names, &name, &code);
                if let Some(short) = region_short_name(&name) {
                    add(&mut codes.region_short_names, short, &code);
                }
            }
            codes.regions.entry(code).or_insert(name);
        }
        for (code, name) in occupations {
            let code = clean(&code.into());
            let code = occupation_code(&code).unwrap_or(code);
            let name = clean(&name.into());
            if code.is_empty() {
                continue;
            }
            if !name.is_empty() {
                add(&mut codes.occupation_names, &name, &code);
            }
            codes.occupations.entry(code).or_insert(name);
        }
        codes
    }

    /// The region code for a 6-digit code, a full name (`乐清市`) or, when only one region
    /// has it, a name without its administrative suffix (`乐清`). A full name wins over a
    /// short one.
    pub fn region(&self, text: &str) -> Result<String, Reject> {
        let value = clean(text);
        if value.is_empty() {
            return Err(Reject::new(
                "empty region; give a 6-digit region code (GB/T 2260) or a region name",
            ));
        }
        if value.chars().all(|c| c.is_ascii_digit()) {
            if value.len() != 6 {
                return Err(Reject::new(format!(
                    "region code {} has {} digits; region codes (GB/T 2260) have 6",
                    quote(&value),
                    value.chars().count()
                )));
            }
            if self.regions.contains_key(&value) {
                return Ok(value);
            }
            let hint = nearest(&value, self.regions.keys().map(String::as_str), 1);
            return Err(Reject::new(format!(
                "unknown region code {}{}",
                quote(&value),
                or_reference(&hint, "regions")
            )));
        }
        let found = self
            .region_names
            .get(&value)
            .or_else(|| self.region_short_names.get(&value));
        match found.map(Vec::as_slice) {
            Some([code]) => Ok(code.clone()),
            Some(codes) => Err(Reject::new(format!(
                "region name {} is ambiguous: it may be {}; give the 6-digit code",
                quote(&value),
                self.list(codes, &self.regions)
            ))),
            None => {
                let hint = nearest(&value, self.regions.values().map(String::as_str), 1);
                Err(Reject::new(format!(
                    "unknown region {}{}",
                    quote(&value),
                    or_reference(&hint, "regions")
                )))
            }
        }
    }

    /// The occupation code for a code `X-XX-XX-XX` (full-width digits and dashes folded;
    /// also written as its 7 digits without dashes, `6310103`) or the exact occupation name
    /// (`电工`).
    pub fn occupation(&self, text: &str) -> Result<String, Reject> {
        let value = clean(text);
        if value.is_empty() {
            return Err(Reject::new(
                "empty occupation; give an occupation code X-XX-XX-XX or its exact name",
            ));
        }
        if let Some(code) = occupation_code(&value) {
            if self.occupations.contains_key(&code) {
                return Ok(code);
            }
            let hint = nearest(&code, self.occupations.keys().map(String::as_str), 1);
            return Err(Reject::new(format!(
                "unknown occupation code {}{}",
                quote(&value),
                or_reference(&hint, "occupations")
            )));
        }
        match self.occupation_names.get(&value).map(Vec::as_slice) {
            Some([code]) => Ok(code.clone()),
            Some(codes) => Err(Reject::new(format!(
                "occupation name {} is ambiguous: it may be {}; give the code",
                quote(&value),
                self.list(codes, &self.occupations)
            ))),
            None if value.chars().any(|c| c.is_ascii_digit()) => Err(Reject::new(format!(
                "{} is not an occupation code; codes are written X-XX-XX-XX, e.g. 6-31-01-03",
                quote(&value)
            ))),
            None => {
                let names = self.occupations.values().map(String::as_str);
                let hint = nearest(&value, names, 1);
                Err(Reject::new(format!(
                    "unknown occupation {}{}",
                    quote(&value),
                    or_reference(&hint, "occupations")
                )))
            }
        }
    }

    /// The skill level for any of its spellings; see [`LevelStep`] for what is accepted.
    pub fn level(&self, text: &str) -> Result<Level, Reject> {
        self.ladder.resolve(text)
    }

    /// The name of a known region code.
    pub fn region_name(&self, code: &str) -> Option<&str> {
        self.regions.get(code).map(String::as_str)
    }

    /// The name of a known occupation code.
    pub fn occupation_name(&self, code: &str) -> Option<&str> {
        self.occupations.get(code).map(String::as_str)
    }

    /// `名 (code), 名 (code)` for the candidates of an ambiguous name.
    fn list(&self, codes: &[String], names: &BTreeMap<String, String>) -> String {
        let items: Vec<String> = codes
            .iter()
            .map(|code| match names.get(code) {
                Some(name) => format!("{name} ({code})"),
                None => code.clone(),
            })
            .collect();
        items.join(", ")
    }
}

/// Records that `key` names `code`, once.
fn add(index: &mut HashMap<String, Vec<String>>, key: &str, code: &str) {
    let codes = index.entry(key.to_owned()).or_default();
    if !codes.iter().any(|c| c == code) {
        codes.push(code.to_owned());
    }
}

/// `name` without its administrative suffix, when at least two characters remain.
fn region_short_name(name: &str) -> Option<&str> {
    REGION_SUFFIXES.iter().find_map(|suffix| {
        name.strip_suffix(suffix)
            .filter(|short| short.chars().count() >= 2)
    })
}

/// The canonical form `X-XX-XX-XX` of an occupation code written with dashes or as its
/// 7 digits; `None` for anything else.
fn occupation_code(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    match bytes.len() {
        10 if [0, 2, 3, 5, 6, 8, 9].into_iter().all(digit)
            && [1, 4, 7].into_iter().all(|i| bytes[i] == b'-') =>
        {
            Some(value.to_owned())
        }
        7 if (0..7).all(digit) => Some(format!(
            "{}-{}-{}-{}",
            &value[0..1],
            &value[1..3],
            &value[3..5],
            &value[5..7]
        )),
        _ => None,
    }
}

/// The hint ending a reason: suggestions if any, else a pointer to the reference data.
fn or_reference(hint: &[&str], table: &str) -> String {
    if hint.is_empty() {
        format!("; it is not in the {table} reference data")
    } else {
        did_you_mean(hint)
    }
}
