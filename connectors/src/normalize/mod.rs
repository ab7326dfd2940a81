//! Normalisation of the values sources spell in many ways: region and occupation names or
//! codes, skill levels and dates.
//!
//! Every function here is pure, never panics and either returns the canonical value or a
//! [`Reject`] whose reason a person can act on. Nothing is guessed: a value that could mean
//! two things, or that is close to a known value without being one, is rejected, and the
//! reason names the nearest known values where that helps.
//!
//! Before matching, text is cleaned the same way everywhere: surrounding whitespace
//! (including the full-width space U+3000, no-break spaces and byte-order marks) is trimmed,
//! and full-width ASCII forms (`３`, `－`, `／`, `：`) and dash look-alikes (`‐`, `–`, `—`,
//! `−`) are folded to their ASCII forms.
//!
//! # Layout
//! - [`Codes`] (`codes.rs`): regions and occupations, built by the caller from reference data.
//! - [`Level`], [`LevelStep`] (`level.rs`): the skill-level ladder and its spellings.
//! - [`date`] (`date.rs`): dates and times, including Excel serial day numbers.

mod codes;
mod date;
mod level;
#[cfg(test)]
mod tests;

pub use codes::Codes;
pub use date::date;
pub use level::{Level, LevelStep};

use std::fmt;

/// Why a value was not accepted, in words a person can act on.
///
/// Reasons are in English and quote the offending value (at most 60 characters of it),
/// except where the value is personal data (national IDs), which is never echoed in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// What is wrong and, where possible, what would be accepted.
    pub reason: String,
}

impl Reject {
    /// A rejection with the given reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Reject {
            reason: reason.into(),
        }
    }

    /// The connectors' [`Error::BadValue`](crate::Error::BadValue) for this rejection,
    /// placed at a source, line and canonical column.
    pub fn into_bad_value(
        self,
        file: impl Into<String>,
        line: u64,
        column: impl Into<String>,
    ) -> crate::Error {
        crate::Error::BadValue {
            file: file.into(),
            line,
            column: column.into(),
            reason: self.reason,
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Reject {}

/// The longest part of a value quoted in a reason, in characters.
const QUOTE_CHARS: usize = 60;

/// `value` in single quotes for a reason: at most 60 characters (then `…`), with control
/// characters escaped so a reason stays on one line.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(4 * QUOTE_CHARS) + 2);
    out.push('\'');
    for (i, c) in value.chars().enumerate() {
        if i == QUOTE_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Whether `c` is trimmed from the ends of a value: Unicode whitespace (which includes the
/// full-width space U+3000 and U+00A0), zero-width spaces and the byte-order mark.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}')
}

/// `text` with blanks trimmed from both ends.
pub(crate) fn trim(text: &str) -> &str {
    text.trim_matches(is_blank)
}

/// The ASCII form of a full-width ASCII character or a dash look-alike; other characters
/// unchanged.
pub(crate) fn fold_char(c: char) -> char {
    match c {
        // Full-width forms of ASCII '!'..='~' sit 0xFEE0 above them.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' => '-',
        _ => c,
    }
}

/// `text` trimmed, with full-width ASCII and dash look-alikes folded to ASCII.
pub(crate) fn clean(text: &str) -> String {
    trim(text).chars().map(fold_char).collect()
}

/// The known names closest to `value` (at most three, closest first), for a reason's hint.
/// Empty when nothing is close or `value` is too long to compare.
///
/// A known name within `limit` edits counts as close, and so does one that contains a
/// `value` of two characters or more (`景宁` is close to `景宁畲族自治县`).
pub(crate) fn nearest<'a>(
    value: &str,
    known: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Vec<&'a str> {
    let chars: Vec<char> = value.chars().collect();
    if chars.is_empty() || chars.len() > 30 {
        return Vec::new();
    }
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .filter_map(|name| {
            if chars.len() >= 2 && name.contains(value) {
                return Some((1, name));
            }
            let d = edit_distance(&chars, name);
            (d <= limit).then_some((d, name))
        })
        .collect();
    scored.sort_unstable();
    scored.dedup();
    scored.into_iter().take(3).map(|(_, name)| name).collect()
}

/// Levenshtein distance between `a` and `b`, counted in characters.
fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            row[j + 1] = substitute.min(prev[j + 1] + 1).min(row[j] + 1);
        }
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

/// `"; did you mean 'a' or 'b'?"` for a non-empty list of suggestions, else `""`.
pub(crate) fn did_you_mean(suggestions: &[&str]) -> String {
    match suggestions {
        [] => String::new(),
        [only] => format!("; did you mean {}?", quote(only)),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|s| quote(s)).collect();
            format!("; did you mean {} or {}?", init.join(", "), quote(last))
        }
    }
}
