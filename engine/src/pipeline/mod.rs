//! SQL pipelines: the models in `queries/`, their graph, checks and materialisation.
//!
//! - `model.rs`: one model file, its header and the tables it reads.
//! - `tests_decl.rs`: data tests declared in a header.
//! - `dag.rs`: dependency order, cycles and unknown tables.
//! - `session.rs`: the DataFusion session with canonical and reference tables.
//! - `run.rs`: running every model in order and materialising it with a version.
//! - [`joins`]: hash joins built on the input with fewer rows (a physical optimizer
//!   rule), and a row estimate DataFusion lacks.
//! - [`shared`]: the parts a model reads more than once (common table expressions)
//!   computed once; `repeats.rs` chooses them.
//! - [`sizes`]: how many rows a model reads, to run a model over small inputs in one
//!   partition.
//! - `compact.rs`: a model's rows made compact (plain strings, even batches) before they
//!   are kept.
//! - [`slt`]: the models' sqllogictest files (`<name>.slt` beside `<name>.sql`), each run
//!   against empty canonical tables holding its fixtures; the contract for model authors.

mod compact;
mod dag;
pub mod joins;
mod model;
mod repeats;
mod run;
pub mod session;
pub mod shared;
pub mod sizes;
pub mod slt;
mod tests_decl;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub use model::{Materialized, Model};
pub use run::RunReport;
pub(crate) use run::{model_error, publish, refresh_full};
pub use session::{reference_tables, session, session_with_versions};
pub use tests_decl::DeclaredTest;

use crate::error::{Error, Result};

/// Every model of a `queries/` folder, in dependency order.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The folder the models came from.
    pub root: PathBuf,
    /// The models, each after the models it reads.
    pub models: Vec<Model>,
}

impl Pipeline {
    /// Reads and orders every `.sql` file under `root`. `sources` are the tables that
    /// exist without a model.
    pub fn load(root: &Path, sources: &HashSet<String>) -> Result<Pipeline> {
        let mut files = Vec::new();
        collect_files(root, "sql", &mut files)?;
        if files.is_empty() {
            return Err(Error::Model {
                file: root.to_path_buf(),
                line: 0,
                reason: "no .sql model found".into(),
            });
        }
        files.sort();
        let mut models = Vec::with_capacity(files.len());
        for path in files {
            let sql = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            models.push(Model::parse(root, &path, sql)?);
        }
        Ok(Pipeline {
            root: root.to_path_buf(),
            models: dag::order(models, sources)?,
        })
    }
}

/// Appends every file under `dir` (at any depth) whose name ends in `.<extension>`.
fn collect_files(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            collect_files(&path, extension, out)?;
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
    Ok(())
}
