//! A model: one `.sql` file in `queries/`, its header and the tables it reads.
//!
//! The header is the file's leading `--` comment block:
//! ```sql
//! -- name: talent_stock
//! -- description: Skilled workers by region, occupation and ladder step.
//! -- grain: region_code, occupation_code, ladder_order
//! -- tests: not_null(workers); accepted_values(high_skilled: true|false)
//! ```
//! `name`, `description` and `grain` are required; `name` must equal the file name.
//! `-- materialized: view` keeps a model as a view instead of a versioned table.

use std::path::{Path, PathBuf};

use datafusion::sql::parser::DFParser;
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::dialect::GenericDialect;

use crate::error::{Error, Result};
use crate::pipeline::tests_decl::DeclaredTest;

/// One SQL model.
#[derive(Debug, Clone)]
pub struct Model {
    /// The model's name (the file stem), the table name downstream models read.
    pub name: String,
    /// What the model holds, for the API and the docs.
    pub description: String,
    /// The columns that make a row unique.
    pub grain: Vec<String>,
    /// Declared data tests (the grain's uniqueness is always tested too).
    pub tests: Vec<DeclaredTest>,
    /// The SQL text (header included; comments are valid SQL).
    pub sql: String,
    /// The file it came from.
    pub path: PathBuf,
    /// The layer: the folder under `queries/` (`staging`, `talent`, …).
    pub layer: String,
    /// Tables the SQL reads (lower-case, bare names), CTEs excluded.
    pub reads: Vec<String>,
    /// How the model is kept: a versioned table (the default) or a view.
    pub materialized: Materialized,
}

/// How a model's result is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Materialized {
    /// Written to the lake with a version, kept in memory and served by the API.
    Table,
    /// Planned into the models that read it; neither stored nor served. For staging
    /// models that only rename or derive columns of a large source.
    View,
}

impl Model {
    /// Parses a model file. `root` is the `queries/` folder (for the layer name).
    pub fn parse(root: &Path, path: &Path, sql: String) -> Result<Model> {
        let err = |line: usize, reason: String| Error::Model {
            file: path.to_path_buf(),
            line,
            reason,
        };
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| err(0, "file name is not valid UTF-8".into()))?
            .to_string();
        let (mut name, mut description, mut grain, mut tests) = (None, None, None, Vec::new());
        let mut materialized = Materialized::Table;
        let mut header_end = 0;
        for (i, line) in sql.lines().enumerate() {
            let lineno = i + 1;
            let trimmed = line.trim();
            let Some(comment) = trimmed.strip_prefix("--") else {
                if trimmed.is_empty() && name.is_none() && description.is_none() {
                    continue;
                }
                header_end = lineno;
                break;
            };
            let comment = comment.trim();
            let Some((key, value)) = comment.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            if key.contains(char::is_whitespace) {
                continue;
            }
            match key {
                "name" => name = Some((lineno, value.to_string())),
                "description" => description = Some(value.to_string()),
                "grain" => {
                    let cols: Vec<String> = value
                        .split(',')
                        .map(|c| c.trim().to_ascii_lowercase())
                        .filter(|c| !c.is_empty())
                        .collect();
                    if cols.is_empty() {
                        return Err(err(lineno, "grain names no column".into()));
                    }
                    grain = Some(cols);
                }
                "tests" => {
                    for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                        tests.push(DeclaredTest::parse(part).map_err(|r| err(lineno, r))?);
                    }
                }
                "materialized" => {
                    materialized = match value {
                        "table" => Materialized::Table,
                        "view" => Materialized::View,
                        other => {
                            return Err(err(
                                lineno,
                                format!("materialized is 'table' or 'view', not '{other}'"),
                            ));
                        }
                    }
                }
                other => {
                    return Err(err(
                        lineno,
                        format!(
                            "unknown header key '{other}' (expected name, description, grain, tests, materialized)"
                        ),
                    ));
                }
            }
        }
        let (name_line, name) =
            name.ok_or_else(|| err(1, "missing header line '-- name: <model>'".into()))?;
        if name != stem {
            return Err(err(
                name_line,
                format!("model name '{name}' differs from the file name '{stem}.sql'"),
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(err(
                name_line,
                format!("model name '{name}' must be lower snake_case"),
            ));
        }
        let description =
            description.ok_or_else(|| err(1, "missing header line '-- description: …'".into()))?;
        let grain = grain.ok_or_else(|| err(1, "missing header line '-- grain: col, …'".into()))?;
        let reads = table_references(&sql).map_err(|reason| err(header_end.max(1), reason))?;
        let layer = path
            .parent()
            .and_then(|p| p.strip_prefix(root).ok())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Model {
            name,
            description,
            grain,
            tests,
            sql,
            path: path.to_path_buf(),
            layer,
            reads,
            materialized,
        })
    }

    /// The 1-based line where `table` is first read (for error messages), or 1.
    pub fn line_of(&self, table: &str) -> usize {
        let needle = table.to_ascii_lowercase();
        self.sql
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim_start().starts_with("--"))
            .find(|(_, l)| {
                l.to_ascii_lowercase()
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|w| w == needle)
            })
            .map_or(1, |(i, _)| i + 1)
    }
}

/// The tables a single SQL statement reads, CTE names excluded.
fn table_references(sql: &str) -> std::result::Result<Vec<String>, String> {
    let mut statements = DFParser::parse_sql_with_dialect(sql, &GenericDialect {})
        .map_err(|e| format!("SQL does not parse: {e}"))?;
    if statements.len() != 1 {
        return Err(format!(
            "a model holds exactly one SQL statement, found {}",
            statements.len()
        ));
    }
    let statement = statements.pop_front().expect("one statement");
    let (tables, _ctes) =
        resolve_table_references(&statement, true).map_err(|e| format!("SQL: {e}"))?;
    let mut names: Vec<String> = tables
        .iter()
        .map(|t| t.table().to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> Result<Model> {
        Model::parse(Path::new("q"), Path::new("q/talent/m.sql"), sql.to_string())
    }

    #[test]
    fn header_and_reads_are_parsed() {
        let m = parse(
            "-- name: m\n-- description: a model\n-- grain: a, B\n\nwith x as (select a from workers)\nselect x.a, y.b from x join stg_y y on x.a = y.a\n",
        )
        .unwrap();
        assert_eq!(m.grain, vec!["a", "b"]);
        assert_eq!(m.reads, vec!["stg_y", "workers"]);
        assert_eq!(m.layer, "talent");
        assert_eq!(m.line_of("stg_y"), 6);
        assert_eq!(m.materialized, Materialized::Table);
        let v = parse(
            "-- name: m\n-- description: d\n-- grain: a\n-- materialized: view\nselect 1 as a",
        )
        .unwrap();
        assert_eq!(v.materialized, Materialized::View);
        let e =
            parse("-- name: m\n-- description: d\n-- grain: a\n-- materialized: cube\nselect 1")
                .unwrap_err();
        assert!(e.to_string().contains(":4:"), "{e}");
    }

    #[test]
    fn missing_header_names_the_file_and_line() {
        let e = parse("select 1").unwrap_err().to_string();
        assert!(e.starts_with("q/talent/m.sql:1:"), "{e}");
        assert!(e.contains("name"), "{e}");
        let e = parse("-- name: m\n-- grain: a\nselect 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("description"), "{e}");
    }

    #[test]
    fn name_must_match_file_and_sql_must_parse() {
        let e = parse("-- name: other\n-- description: d\n-- grain: a\nselect 1").unwrap_err();
        assert!(e.to_string().contains(":1:"), "{e}");
        let e = parse("-- name: m\n-- description: d\n-- grain: a\nselect (1 from").unwrap_err();
        assert!(e.to_string().contains("does not parse"), "{e}");
    }
}
