//! What CSV and XLSX share: cleaning and checking header names, and the rule for
//! blank rows.

use std::collections::VecDeque;

use super::RawRecord;
use crate::error::Result;

/// A header name as a person means it: without surrounding white space (the
/// full-width space U+3000 and no-break spaces too), byte-order marks or zero-width
/// spaces.
pub(super) fn clean_header(name: &str) -> String {
    name.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}'))
        .to_string()
}

/// Cleans `names` and checks that none is empty and no two are alike; the error names
/// the offenders, each column given by `column` (a number for CSV, a letter for XLSX).
pub(super) fn check_headers(
    names: &[String],
    column: impl Fn(usize) -> String,
) -> Result<Vec<String>, String> {
    let names: Vec<String> = names.iter().map(|n| clean_header(n)).collect();
    let mut problems = Vec::new();
    let empty: Vec<String> = (names.iter().enumerate())
        .filter(|(_, n)| n.is_empty())
        .map(|(i, _)| column(i))
        .collect();
    if !empty.is_empty() {
        problems.push(format!(
            "the header has no name in column{} {}",
            plural(empty.len()),
            empty.join(", ")
        ));
    }
    let mut duplicates = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let first = names.iter().position(|n| n == name);
        if name.is_empty() || first != Some(i) {
            continue;
        }
        let columns: Vec<String> = (names.iter().enumerate())
            .filter(|(_, n)| *n == name)
            .map(|(j, _)| column(j))
            .collect();
        if columns.len() > 1 {
            duplicates.push(format!("'{name}' (columns {})", columns.join(", ")));
        }
    }
    if !duplicates.is_empty() {
        problems.push(format!(
            "the header names {} more than once",
            duplicates.join(", ")
        ));
    }
    if problems.is_empty() {
        Ok(names)
    } else {
        Err(format!(
            "{}; give every column one name of its own",
            problems.join("; ")
        ))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The rows of one format, before the shared rules: every row, blank or not, each of
/// header width unless blank.
pub(super) trait RowSource: Send {
    /// The next row; `None` at the end.
    fn next_row(&mut self) -> Result<Option<RawRecord>>;
}

/// Iterates a [`RowSource`]: blank rows between records are yielded header-wide with
/// every field empty, blank rows at the end are dropped, and the first error ends the
/// iteration.
pub(super) struct Records<S> {
    source: Option<S>,
    width: usize,
    /// Lines of blank rows not yet known to be followed by a record.
    blanks: VecDeque<u64>,
    /// The record after `blanks`, yielded once they are.
    held: Option<RawRecord>,
}

impl<S: RowSource> Records<S> {
    pub(super) fn new(source: S, width: usize) -> Records<S> {
        Records {
            source: Some(source),
            width,
            blanks: VecDeque::new(),
            held: None,
        }
    }
}

impl<S: RowSource> Iterator for Records<S> {
    type Item = Result<RawRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.held.is_some() {
                if let Some(line) = self.blanks.pop_front() {
                    let fields = vec![String::new(); self.width];
                    return Some(Ok(RawRecord { line, fields }));
                }
                return self.held.take().map(Ok);
            }
            let source = self.source.as_mut()?;
            match source.next_row() {
                Ok(Some(row)) if row.is_blank() => self.blanks.push_back(row.line),
                Ok(Some(row)) => self.held = Some(row),
                Ok(None) => {
                    self.source = None;
                    self.blanks.clear();
                    return None;
                }
                Err(e) => {
                    self.source = None;
                    self.blanks.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}
