//! How many rows a model reads, to choose its partitions: a model over small inputs runs
//! in one partition (no repartitioning and merging, which cost more than they save on a
//! few thousand rows), the others in `engine.target_partitions`.

use std::collections::{BTreeMap, HashMap};

use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::SessionContext;
use skillbrain_connectors::Table;

use crate::lake::Lake;
use crate::pipeline::{Materialized, Model, Pipeline};

/// A model reading at most this many rows in all runs in one partition.
pub const SMALL_INPUT_ROWS: u64 = 200_000;

/// Rows of the tables models read: canonical tables and models, by name.
#[derive(Debug, Default, Clone)]
pub struct Sizes {
    rows: HashMap<String, u64>,
}

impl Sizes {
    /// The canonical tables' rows at `versions` (those the lake counted when it
    /// registered them).
    pub fn canonical(lake: &Lake, versions: &BTreeMap<String, i64>) -> Sizes {
        let mut sizes = Sizes::default();
        for table in Table::ALL {
            if let Some(rows) = versions
                .get(table.name())
                .and_then(|&v| lake.rows_at(table, v))
            {
                sizes.set(table.name(), rows);
            }
        }
        sizes
    }

    /// Records a table's rows.
    pub fn set(&mut self, name: &str, rows: u64) {
        self.rows.insert(name.to_string(), rows);
    }

    /// The rows `model` reads: its tables' rows, views counted by what they read,
    /// reference data as nothing; `None` when one is not known.
    pub fn input_rows(&self, model: &Model, pipeline: &Pipeline) -> Option<u64> {
        let mut total = 0;
        for name in &model.reads {
            if let Some(rows) = self.rows.get(name) {
                total += rows;
            } else if let Some(view) = (pipeline.models.iter())
                .find(|m| &m.name == name && m.materialized == Materialized::View)
            {
                total += self.input_rows(view, pipeline)?;
            } else if name.starts_with("ref_") {
                continue;
            } else {
                return None;
            }
        }
        Some(total)
    }

    /// The partitions to run `model` in: one over small inputs, else `default`.
    pub fn partitions(&self, model: &Model, pipeline: &Pipeline, default: usize) -> usize {
        match self.input_rows(model, pipeline) {
            Some(rows) if rows <= SMALL_INPUT_ROWS => 1,
            _ => default,
        }
    }
}

/// `ctx` with `partitions` target partitions, sharing its tables.
pub fn with_partitions(ctx: &SessionContext, partitions: usize) -> SessionContext {
    if ctx.state().config().target_partitions() == partitions {
        return ctx.clone();
    }
    let state = ctx.state();
    // Not a new default catalog: the tables are those of `ctx`.
    let config = (state.config().clone())
        .with_target_partitions(partitions)
        .with_create_default_catalog_and_schema(false);
    SessionContext::new_with_state(
        SessionStateBuilder::new_from_existing(state)
            .with_config(config)
            .build(),
    )
}
