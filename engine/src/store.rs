//! The in-memory snapshot of every materialised SQL model that the API serves.
//!
//! The pipeline materialises a model into its Delta table, reads the result back and
//! [`ModelStore::publish`]es it as one immutable [`ModelSnapshot`]. Readers take an
//! `Arc` to a snapshot and keep serving it while a newer version replaces it, so a
//! request never sees half of a refresh.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};

/// One materialised model at one Delta version: its metadata and all of its rows.
#[derive(Debug, Clone)]
pub struct ModelSnapshot {
    /// The model's name (its `-- name:` header), unique in the store.
    pub name: String,
    /// The `-- description:` header, for people reading `/v1/models`.
    pub description: String,
    /// The columns that make a row unique; the API allows filters on these only.
    pub grain: Vec<String>,
    /// The Delta version of the model's materialised table.
    pub version: i64,
    /// When this version was materialised.
    pub refreshed_at: DateTime<Utc>,
    /// How the model is kept fresh while the engine streams.
    pub refresh_mode: RefreshMode,
    /// The Delta version of each canonical table this version of the model reflects
    /// (empty when not known: a model read back from the lake).
    pub source_versions: BTreeMap<String, i64>,
    /// How long computing and keeping this version took, in seconds (0 when not known).
    pub refresh_seconds: f64,
    /// The schema every batch shares.
    pub schema: SchemaRef,
    /// The rows, in no particular order.
    pub batches: Vec<RecordBatch>,
}

/// How a model is refreshed after a commit to what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefreshMode {
    /// Computed again from all of its inputs.
    #[default]
    Full,
    /// Kept from its previous state and the rows added since (an aggregate of mergeable
    /// functions over one append-only table).
    Incremental,
}

impl RefreshMode {
    /// `full` or `incremental`.
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshMode::Full => "full",
            RefreshMode::Incremental => "incremental",
        }
    }
}

impl ModelSnapshot {
    /// The number of rows across all batches.
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// The latest snapshot of every model, by name. Cheap to read from many tasks at once.
#[derive(Debug)]
pub struct ModelStore {
    models: RwLock<BTreeMap<String, Arc<ModelSnapshot>>>,
    published: tokio::sync::broadcast::Sender<String>,
}

impl Default for ModelStore {
    fn default() -> Self {
        ModelStore {
            models: RwLock::default(),
            published: tokio::sync::broadcast::channel(1024).0,
        }
    }
}

impl ModelStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `snapshot` the current version of its model, replacing any older one, and
    /// announces the model's name to every subscriber.
    pub fn publish(&self, snapshot: ModelSnapshot) {
        let name = snapshot.name.clone();
        {
            let mut models = self.models.write().unwrap_or_else(PoisonError::into_inner);
            models.insert(name.clone(), Arc::new(snapshot));
        }
        // Nobody listening is not an error.
        let _ = self.published.send(name);
    }

    /// The names of the models published from now on, in order (a receiver that falls
    /// more than 1024 behind gets `Lagged`).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.published.subscribe()
    }

    /// The current snapshot of the model called `name`, if it was ever published.
    pub fn get(&self, name: &str) -> Option<Arc<ModelSnapshot>> {
        let models = self.models.read().unwrap_or_else(PoisonError::into_inner);
        models.get(name).cloned()
    }

    /// Every current snapshot, ordered by model name.
    pub fn list(&self) -> Vec<Arc<ModelSnapshot>> {
        let models = self.models.read().unwrap_or_else(PoisonError::into_inner);
        models.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    fn snapshot(name: &str, version: i64, rows: i64) -> ModelSnapshot {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let column = Arc::new(Int64Array::from_iter_values(0..rows));
        ModelSnapshot {
            name: name.to_owned(),
            description: String::new(),
            grain: vec!["n".to_owned()],
            version,
            refreshed_at: Utc::now(),
            refresh_mode: RefreshMode::Full,
            source_versions: BTreeMap::new(),
            refresh_seconds: 0.0,
            batches: vec![RecordBatch::try_new(schema.clone(), vec![column]).unwrap()],
            schema,
        }
    }

    #[test]
    fn publish_replaces_the_older_version_and_list_is_sorted_by_name() {
        let store = ModelStore::new();
        store.publish(snapshot("talent_stock", 1, 3));
        store.publish(snapshot("gap", 4, 2));
        store.publish(snapshot("talent_stock", 2, 5));

        let current = store.get("talent_stock").unwrap();
        assert_eq!((current.version, current.rows()), (2, 5));
        let names: Vec<_> = store.list().iter().map(|s| s.name.clone()).collect();
        assert_eq!(names, ["gap", "talent_stock"]);
        assert!(store.get("missing").is_none());
    }
}
