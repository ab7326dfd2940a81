//! The rules every row of a table obeys, whatever format it came in: required values,
//! domain rules on single columns, and rules across the columns of a row.

use super::value::{Cell, Kind, quote};
use crate::schema::Table;

/// A domain rule on one column's values.
#[derive(Debug, Clone, Copy)]
enum Rule {
    None,
    NonNegative,
    OneOf(&'static [&'static str]),
    Range(i64, i64),
    Period,
    OccupationCode,
    RegionCode,
}

impl Rule {
    fn of(column: &str) -> Rule {
        match column {
            "total_score" | "max_score" | "score" | "mark" | "max_mark" | "hours" | "openings"
            | "job_seekers" => Rule::NonNegative,
            "channel" => Rule::OneOf(&["mobile", "onsite"]),
            "kind" => Rule::OneOf(&["M", "J"]),
            "level" | "level_attempted" | "target_level" => Rule::Range(1, 5),
            "ladder_order" => Rule::Range(1, 8),
            "period" => Rule::Period,
            "occupation_code" => Rule::OccupationCode,
            "region_code" => Rule::RegionCode,
            _ => Rule::None,
        }
    }
}

/// A canonical column: name, type, nullability and domain rule.
#[derive(Debug)]
pub(crate) struct ColumnSpec {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) nullable: bool,
    rule: Rule,
}

/// The numbers of the row being checked, kept for the rules across columns.
#[derive(Debug)]
pub(crate) struct RowValues {
    nums: Vec<f64>,
    judgement: bool,
}

/// The columns and rules of one canonical table.
#[derive(Debug)]
pub(crate) struct TableSpec {
    pub(crate) table: Table,
    pub(crate) columns: Vec<ColumnSpec>,
    /// Pairs (a, b) where a row must have a <= b.
    not_greater: Vec<(usize, usize)>,
    /// (kind, mark): a judgement row (kind J) has a mark of 0, 1, 2 or 3.
    judgement: Option<(usize, usize)>,
}

impl TableSpec {
    pub(crate) fn new(table: Table) -> TableSpec {
        let columns: Vec<ColumnSpec> = (table.schema().fields().iter())
            .map(|f| ColumnSpec {
                name: f.name().clone(),
                kind: Kind::of(f.data_type()),
                nullable: f.is_nullable(),
                rule: Rule::of(f.name()),
            })
            .collect();
        let index = |name: &str| columns.iter().position(|c| c.name == name);
        let pair = |a, b| Some((index(a)?, index(b)?));
        let not_greater = [
            ("total_score", "max_score"),
            ("score", "max_score"),
            ("mark", "max_mark"),
        ];
        let not_greater = not_greater
            .into_iter()
            .filter_map(|(a, b)| pair(a, b))
            .collect();
        let judgement = pair("kind", "mark");
        TableSpec {
            table,
            columns,
            not_greater,
            judgement,
        }
    }

    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column names, comma-separated, for messages.
    pub(crate) fn column_list(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
        names.join(", ")
    }

    pub(crate) fn row_values(&self) -> RowValues {
        RowValues {
            nums: vec![f64::NAN; self.columns.len()],
            judgement: false,
        }
    }

    /// Checks one value of column `i` and notes it for [`TableSpec::check_row`].
    pub(crate) fn check(&self, i: usize, cell: Cell, row: &mut RowValues) -> Result<(), String> {
        let col = &self.columns[i];
        row.nums[i] = f64::NAN;
        if self.judgement.is_some_and(|(k, _)| k == i) {
            row.judgement = matches!(cell, Cell::Str("J"));
        }
        match (cell, col.rule) {
            (Cell::Null | Cell::Str(""), _) if !col.nullable => {
                return Err("required value is missing".into());
            }
            (Cell::Float(v), _) if !v.is_finite() => {
                return Err(format!("expected {}, got {v}", Kind::Float64.expected()));
            }
            (Cell::Float(v), Rule::NonNegative) if v < 0.0 => {
                return Err(format!("must be zero or more, got {v}"));
            }
            (Cell::Int(v), Rule::NonNegative) if v < 0 => {
                return Err(format!("must be zero or more, got {v}"));
            }
            (Cell::Int(v), Rule::Range(lo, hi)) if v < lo || v > hi => {
                return Err(format!("must be from {lo} to {hi}, got {v}"));
            }
            (Cell::Str(s), Rule::OneOf(set)) if !set.contains(&s) => {
                return Err(format!(
                    "must be one of {}, got {}",
                    set.join(", "),
                    quote(s)
                ));
            }
            (Cell::Str(s), Rule::Period) if !is_period(s.as_bytes()) => {
                return Err(format!("expected a period like 2026Q3, got {}", quote(s)));
            }
            (Cell::Str(s), Rule::OccupationCode) if !is_occupation_code(s.as_bytes()) => {
                return Err(format!(
                    "expected an occupation code like 6-31-01-03, got {}",
                    quote(s)
                ));
            }
            (Cell::Str(s), Rule::RegionCode) if !is_region_code(s.as_bytes()) => {
                return Err(format!("expected a 6-digit region code, got {}", quote(s)));
            }
            (Cell::Int(v), _) => row.nums[i] = v as f64,
            (Cell::Float(v), _) => row.nums[i] = v,
            _ => {}
        }
        Ok(())
    }

    /// Checks the rules across columns once every column of the row has been checked;
    /// on failure gives the column to blame and the reason.
    pub(crate) fn check_row(&self, row: &RowValues) -> Result<(), (usize, String)> {
        let judged = self
            .judgement
            .filter(|_| row.judgement)
            .map(|(_, mark)| mark);
        if let Some(mark) = judged {
            let v = row.nums[mark];
            if ![0.0, 1.0, 2.0, 3.0].contains(&v) {
                return Err((
                    mark,
                    format!("a judgement mark (kind J) must be 0, 1, 2 or 3, got {v}"),
                ));
            }
        }
        for &(a, b) in &self.not_greater {
            let (x, y) = (row.nums[a], row.nums[b]);
            if judged != Some(a) && x > y {
                let (na, nb) = (&self.columns[a].name, &self.columns[b].name);
                return Err((a, format!("{na} {x} is greater than {nb} {y}")));
            }
        }
        Ok(())
    }
}

fn is_period(b: &[u8]) -> bool {
    b.len() == 6
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'Q'
        && (b'1'..=b'4').contains(&b[5])
}

fn is_occupation_code(b: &[u8]) -> bool {
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            1 | 4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn is_region_code(b: &[u8]) -> bool {
    b.len() == 6 && b.iter().all(u8::is_ascii_digit)
}
