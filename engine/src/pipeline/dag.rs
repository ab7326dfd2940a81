//! The model graph: dependencies come from the tables each model reads; the order is a
//! topological sort, and a cycle or an unknown table is an error naming file and line.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::error::{Error, Result};
use crate::pipeline::model::Model;

/// Orders `models` so that each comes after the models it reads. `sources` are the
/// tables that exist without a model (canonical and reference tables).
pub fn order(models: Vec<Model>, sources: &HashSet<String>) -> Result<Vec<Model>> {
    let mut by_name: BTreeMap<String, Model> = BTreeMap::new();
    for m in models {
        if sources.contains(&m.name) {
            return Err(Error::Model {
                file: m.path.clone(),
                line: 1,
                reason: format!("model name '{}' is already a source table", m.name),
            });
        }
        if let Some(prev) = by_name.get(&m.name) {
            return Err(Error::Model {
                file: m.path.clone(),
                line: 1,
                reason: format!(
                    "model '{}' is also defined in {}",
                    m.name,
                    prev.path.display()
                ),
            });
        }
        by_name.insert(m.name.clone(), m);
    }
    for m in by_name.values() {
        for t in &m.reads {
            if !sources.contains(t) && !by_name.contains_key(t) {
                return Err(Error::Model {
                    file: m.path.clone(),
                    line: m.line_of(t),
                    reason: format!("unknown table '{t}': neither a source table nor a model"),
                });
            }
        }
    }
    // Kahn's algorithm, names in sorted order for a stable result.
    let deps = |m: &Model| -> BTreeSet<String> {
        m.reads
            .iter()
            .filter(|t| by_name.contains_key(*t))
            .cloned()
            .collect()
    };
    let mut remaining: BTreeMap<String, BTreeSet<String>> = by_name
        .values()
        .map(|m| (m.name.clone(), deps(m)))
        .collect();
    let mut ordered = Vec::with_capacity(by_name.len());
    while !remaining.is_empty() {
        let ready: Vec<String> = remaining
            .iter()
            .filter(|(_, d)| d.is_empty())
            .map(|(n, _)| n.clone())
            .collect();
        if ready.is_empty() {
            let (first, _) = remaining.iter().next().expect("non-empty");
            let cycle = find_cycle(first, &remaining);
            let m = &by_name[&cycle[0]];
            return Err(Error::Model {
                file: m.path.clone(),
                line: m.line_of(&cycle[1 % cycle.len()]),
                reason: format!("models form a cycle: {}", cycle.join(" -> ")),
            });
        }
        for n in &ready {
            remaining.remove(n);
        }
        for d in remaining.values_mut() {
            for n in &ready {
                d.remove(n);
            }
        }
        ordered.extend(ready);
    }
    Ok(ordered
        .into_iter()
        .map(|n| by_name.remove(&n).expect("known"))
        .collect())
}

/// Follows unresolved dependencies from `start` until a name repeats.
fn find_cycle(start: &str, remaining: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut path = vec![start.to_string()];
    loop {
        let last = path.last().expect("non-empty");
        let next = remaining[last]
            .iter()
            .next()
            .expect("unresolved dependency")
            .clone();
        if let Some(pos) = path.iter().position(|p| *p == next) {
            let mut cycle = path[pos..].to_vec();
            cycle.push(next);
            return cycle;
        }
        path.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn model(name: &str, sql_body: &str) -> Model {
        let sql = format!("-- name: {name}\n-- description: d\n-- grain: a\n{sql_body}\n");
        Model::parse(
            Path::new("q"),
            &Path::new("q/x").join(format!("{name}.sql")),
            sql,
        )
        .unwrap()
    }

    fn sources() -> HashSet<String> {
        ["workers".to_string()].into_iter().collect()
    }

    #[test]
    fn models_come_after_what_they_read() {
        let ms = vec![
            model("c", "select a from b join a using (a)"),
            model("b", "select a from a"),
            model("a", "select 1 as a from workers"),
        ];
        let names: Vec<_> = order(ms, &sources())
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, vec!["a", "b", "c"]);
    }

    #[test]
    fn a_cycle_is_rejected_with_file_and_line() {
        let ms = vec![
            model("a", "select a from\n b"),
            model("b", "select a from a"),
        ];
        let e = order(ms, &sources()).unwrap_err().to_string();
        assert!(e.contains("cycle: a -> b -> a"), "{e}");
        assert!(e.starts_with("q/x/a.sql:5:"), "{e}");
    }

    #[test]
    fn an_unknown_table_is_rejected_with_file_and_line() {
        let e = order(vec![model("a", "select a\nfrom payroll")], &sources())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("q/x/a.sql:5:"), "{e}");
        assert!(e.contains("unknown table 'payroll'"), "{e}");
    }
}
