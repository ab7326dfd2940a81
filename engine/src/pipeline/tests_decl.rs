//! Data tests declared in a model's header (`-- tests:`), like dbt's generic tests.
//!
//! - `unique(a, b)`: no two rows share these columns (the grain is always tested);
//! - `not_null(a, b)`: these columns are never null;
//! - `accepted_values(col: v1|v2)`: `col` holds only these values (or null);
//! - `relationships(col -> table.col)`: every non-null `col` exists in `table.col`.

use std::fmt;

/// One declared test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredTest {
    /// The columns form a unique key.
    Unique(Vec<String>),
    /// The columns are never null.
    NotNull(Vec<String>),
    /// The column holds only these values.
    AcceptedValues(String, Vec<String>),
    /// Every value of the column exists in another table's column.
    Relationships {
        /// The column of this model.
        column: String,
        /// The table or model referred to.
        table: String,
        /// Its column.
        to: String,
    },
}

fn ident(s: &str) -> Result<String, String> {
    let s = s.trim().to_ascii_lowercase();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(s)
    } else {
        Err(format!("'{s}' is not a column or table name"))
    }
}

fn idents(s: &str) -> Result<Vec<String>, String> {
    s.split(',').map(ident).collect()
}

impl DeclaredTest {
    /// Parses one test, e.g. `not_null(a, b)`.
    pub fn parse(text: &str) -> Result<DeclaredTest, String> {
        let (kind, rest) = text
            .split_once('(')
            .ok_or_else(|| format!("test '{text}' should look like kind(args)"))?;
        let args = rest
            .trim_end()
            .strip_suffix(')')
            .ok_or_else(|| format!("test '{text}' lacks a closing ')'"))?;
        match kind.trim() {
            "unique" => Ok(DeclaredTest::Unique(idents(args)?)),
            "not_null" => Ok(DeclaredTest::NotNull(idents(args)?)),
            "accepted_values" => {
                let (col, values) = args
                    .split_once(':')
                    .ok_or_else(|| format!("accepted_values needs 'col: a|b', got '{args}'"))?;
                let values: Vec<String> = values.split('|').map(|v| v.trim().to_string()).collect();
                if values.iter().any(|v| v.contains('\'')) {
                    return Err("accepted values may not contain quotes".into());
                }
                Ok(DeclaredTest::AcceptedValues(ident(col)?, values))
            }
            "relationships" => {
                let (col, target) = args.split_once("->").ok_or_else(|| {
                    format!("relationships needs 'col -> table.col', got '{args}'")
                })?;
                let (table, to) = target
                    .split_once('.')
                    .ok_or_else(|| format!("relationships target '{target}' needs table.col"))?;
                Ok(DeclaredTest::Relationships {
                    column: ident(col)?,
                    table: ident(table)?,
                    to: ident(to)?,
                })
            }
            other => Err(format!(
                "unknown test '{other}' (expected unique, not_null, accepted_values, relationships)"
            )),
        }
    }

    /// A query returning up to 5 offending rows of `model` (no rows = the test passes).
    pub fn failing_rows_sql(&self, model: &str) -> String {
        match self {
            DeclaredTest::Unique(cols) => {
                let c = cols.join(", ");
                format!(
                    "select {c}, count(*) as n from {model} group by {c} having count(*) > 1 limit 5"
                )
            }
            DeclaredTest::NotNull(cols) => {
                let cond: Vec<String> = cols.iter().map(|c| format!("{c} is null")).collect();
                format!("select * from {model} where {} limit 5", cond.join(" or "))
            }
            DeclaredTest::AcceptedValues(col, values) => {
                let list: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
                format!(
                    "select {col}, count(*) as n from {model} where {col} is not null and cast({col} as varchar) not in ({}) group by {col} limit 5",
                    list.join(", ")
                )
            }
            DeclaredTest::Relationships { column, table, to } => format!(
                "select m.{column}, count(*) as n from {model} m left join (select distinct {to} from {table}) r on m.{column} = r.{to} where m.{column} is not null and r.{to} is null group by m.{column} limit 5"
            ),
        }
    }
}

impl fmt::Display for DeclaredTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeclaredTest::Unique(c) => write!(f, "unique({})", c.join(", ")),
            DeclaredTest::NotNull(c) => write!(f, "not_null({})", c.join(", ")),
            DeclaredTest::AcceptedValues(c, v) => {
                write!(f, "accepted_values({c}: {})", v.join("|"))
            }
            DeclaredTest::Relationships { column, table, to } => {
                write!(f, "relationships({column} -> {table}.{to})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_parse_and_print_back() {
        for text in [
            "unique(a, b)",
            "not_null(workers)",
            "accepted_values(kind: M|J)",
            "relationships(region_code -> ref_regions.code)",
        ] {
            assert_eq!(DeclaredTest::parse(text).unwrap().to_string(), text);
        }
        assert!(DeclaredTest::parse("unique(a; drop table x)").is_err());
        assert!(DeclaredTest::parse("accepted_values(a: x'y)").is_err());
        assert!(DeclaredTest::parse("sometimes(a)").is_err());
    }
}
