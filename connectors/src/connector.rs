//! The connector trait and the registry: every source is a [`Connector`] that decodes one
//! unit of input (a file, an export, a pushed body, a batch of broker messages) into
//! [`Decoded`]: per table, batches of canonical rows, and the rows it rejected as the
//! quarantine keeps them. A connector lands nothing: the engine owns the transport (the
//! HTTP server, the NATS client, the drop folder) and the lake's commits.
//!
//! | connector | input | config |
//! | --- | --- | --- |
//! | [`file`](crate::file::FileConnector) | a path | `table`, `format` |
//! | [`export`](crate::export::ExportConnector) | a path and its column mapping | `mapping`, `format`, `encoding`, `sheet`, `delimiter` |
//! | [`http`](crate::http::HttpConnector) | a body and its Content-Type | `table` |
//! | [`nats`](crate::nats::NatsConnector) | messages with their stream sequences | `table`, `stream` |
//!
//! Each has a serde config, read from TOML by [`Connector::parse_config`]. [`registry`]
//! lists them by name as [`ErasedConnector`]s, which can say what they are and check a
//! config without knowing its type.

use std::fmt;
use std::sync::{Arc, LazyLock, Mutex};

use arrow::record_batch::RecordBatch;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::export::ExportConnector;
use crate::file::{Batches, FileConnector, FileReadOptions};
use crate::http::HttpConnector;
use crate::identity::Pseudonymizer;
use crate::nats::NatsConnector;
use crate::normalize::Codes;
use crate::quarantine::Quarantined;
use crate::schema::Table;

/// A source: decodes a unit of its input into canonical batches and quarantine rows.
pub trait Connector: Send + Sync {
    /// What a source of this kind is read as (its table, format, …), from TOML.
    type Config: DeserializeOwned + Serialize + Default + fmt::Debug;
    /// One unit of input: what one call of [`decode`](Connector::decode) reads.
    type Input;

    /// The connector's name in the [`registry`].
    fn name(&self) -> &'static str;

    /// One line saying what the connector reads.
    fn description(&self) -> &'static str;

    /// The config in `config` (a TOML table; a missing key takes its default, an
    /// unknown key is an error naming it).
    fn parse_config(&self, config: toml::Value) -> Result<Self::Config> {
        config
            .try_into()
            .map_err(|e: toml::de::Error| bad_config(self.name(), e.message().trim_end()))
    }

    /// Decodes `input` as `config` says. An error of the whole input (a bad header, an
    /// unreadable file) fails; a bad row is left out and quarantined, the others kept.
    fn decode(
        &self,
        config: &Self::Config,
        ctx: &DecodeContext<'_>,
        input: Self::Input,
    ) -> Result<Decoded>;
}

/// What decoding needs besides the config and the input.
#[derive(Clone, Copy)]
pub struct DecodeContext<'a> {
    /// How files and bodies are read (rows per batch).
    pub read: &'a FileReadOptions,
    /// Regions, occupations and skill levels that exports are normalised against.
    pub codes: &'a Codes,
    /// Derives `worker_id` from a national ID; an export with IDs needs it.
    pub pseudonymizer: Option<&'a Pseudonymizer>,
}

impl<'a> DecodeContext<'a> {
    /// The context of a source in canonical columns, which needs neither code sets nor
    /// the secret (the codes are empty).
    pub fn canonical(read: &'a FileReadOptions) -> DecodeContext<'a> {
        static NO_CODES: LazyLock<Codes> = LazyLock::new(Codes::default);
        DecodeContext {
            read,
            codes: &NO_CODES,
            pseudonymizer: None,
        }
    }
}

impl fmt::Debug for DecodeContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeContext")
            .field("read", self.read)
            .field("codes", &"Codes { .. }")
            .field("pseudonymizer", &self.pseudonymizer)
            .finish()
    }
}

/// What a connector decoded from one unit of input.
#[derive(Debug)]
pub struct Decoded {
    /// Each table's batches, in the order they are to be landed.
    pub tables: Vec<(Table, TableBatches)>,
    /// The table whose quarantine keeps the rejected rows.
    pub quarantine_table: Table,
    /// The rejected rows: filled as the batches are read, complete once they end.
    pub quarantined: SharedRows<Quarantined>,
}

impl Decoded {
    /// Batches of one table and its rejected rows, all in memory.
    pub fn in_memory(table: Table, batches: Vec<RecordBatch>, rows: Vec<Quarantined>) -> Self {
        Decoded {
            tables: vec![(table, TableBatches::InMemory(batches))],
            quarantine_table: table,
            quarantined: SharedRows::new(rows),
        }
    }

    /// Whether some batches are still to be read: then the rejected rows are complete
    /// only once they are.
    pub fn is_streamed(&self) -> bool {
        (self.tables.iter()).any(|(_, b)| matches!(b, TableBatches::Streamed(_)))
    }

    /// Every batch of `table`, read to the end (none when there are none).
    pub fn into_rows(self, table: Table) -> Result<Vec<RecordBatch>> {
        (self.tables.into_iter())
            .filter(|(t, _)| *t == table)
            .flat_map(|(_, batches)| batches.into_batches())
            .collect()
    }
}

/// The batches of one table: read lazily from a file, or already in memory.
pub enum TableBatches {
    /// Read as they are iterated; the first `Err` ends them.
    Streamed(Batches),
    /// Read whole.
    InMemory(Vec<RecordBatch>),
}

impl TableBatches {
    /// The batches as an iterator, whichever they are.
    pub fn into_batches(self) -> Batches {
        match self {
            TableBatches::Streamed(batches) => batches,
            TableBatches::InMemory(batches) => Box::new(batches.into_iter().map(Ok)),
        }
    }
}

impl fmt::Debug for TableBatches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableBatches::Streamed(_) => f.write_str("Streamed(..)"),
            TableBatches::InMemory(batches) => f
                .debug_tuple("InMemory")
                .field(&format_args!("{} batches", batches.len()))
                .finish(),
        }
    }
}

/// Rows a reader shares with its caller: filled as the batches are read, complete once
/// they end.
#[derive(Debug)]
pub struct SharedRows<T>(Arc<Mutex<Vec<T>>>);

impl<T> SharedRows<T> {
    /// A list holding `rows`.
    pub fn new(rows: Vec<T>) -> Self {
        SharedRows(Arc::new(Mutex::new(rows)))
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, Vec<T>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds rows at the end.
    pub(crate) fn extend(&self, more: impl IntoIterator<Item = T>) {
        self.rows().extend(more);
    }

    /// The rows so far, taken out of the list.
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.rows())
    }

    /// How many rows there are so far, not yet taken.
    pub fn len(&self) -> usize {
        self.rows().len()
    }

    /// Whether there is no row (or all were taken).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Clone for SharedRows<T> {
    fn clone(&self) -> Self {
        SharedRows(self.0.clone())
    }
}

impl<T> Default for SharedRows<T> {
    fn default() -> Self {
        SharedRows::new(Vec::new())
    }
}

/// A connector whose config type is hidden, as the [`registry`] lists it.
pub trait ErasedConnector: Send + Sync {
    /// The connector's name.
    fn name(&self) -> &'static str;

    /// One line saying what the connector reads.
    fn description(&self) -> &'static str;

    /// Checks that `config` is a valid config of this connector.
    fn check_config(&self, config: toml::Value) -> Result<()>;

    /// The default config, as TOML (keys without a default are left out).
    fn default_config(&self) -> toml::Value;
}

impl<C: Connector> ErasedConnector for C {
    fn name(&self) -> &'static str {
        Connector::name(self)
    }

    fn description(&self) -> &'static str {
        Connector::description(self)
    }

    fn check_config(&self, config: toml::Value) -> Result<()> {
        self.parse_config(config).map(|_| ())
    }

    fn default_config(&self) -> toml::Value {
        toml::Value::try_from(C::Config::default())
            .unwrap_or_else(|_| toml::Value::Table(toml::Table::new()))
    }
}

/// Every connector, by name: `file`, `export`, `http`, `nats`.
pub fn registry() -> Vec<&'static dyn ErasedConnector> {
    vec![
        &FileConnector,
        &ExportConnector,
        &HttpConnector,
        &NatsConnector,
    ]
}

/// The connector called `name`, if there is one.
pub fn connector(name: &str) -> Option<&'static dyn ErasedConnector> {
    registry().into_iter().find(|c| c.name() == name)
}

/// An error of `connector`'s config.
pub(crate) fn bad_config(connector: &str, reason: impl Into<String>) -> Error {
    Error::BadConfig {
        connector: connector.to_owned(),
        reason: reason.into(),
    }
}

/// The table a config names, or an error naming the connector when it names none.
pub(crate) fn required_table(connector: &str, table: Option<Table>) -> Result<Table> {
    table.ok_or_else(|| bad_config(connector, "no table given; set table = \"<table>\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_lists_every_connector_by_name() {
        let names: Vec<&str> = registry().iter().map(|c| c.name()).collect();
        assert_eq!(names, ["file", "export", "http", "nats"]);
        for c in registry() {
            assert!(!c.description().is_empty(), "{}", c.name());
            assert!(c.check_config(c.default_config()).is_ok(), "{}", c.name());
        }
        assert_eq!(connector("nats").map(|c| c.name()), Some("nats"));
        assert!(connector("kafka").is_none());
    }

    #[test]
    fn a_bad_config_names_the_connector_and_the_key() {
        let config: toml::Value = toml::from_str("table = \"workers\"\nfromat = \"csv\"").unwrap();
        let e = connector("file").unwrap().check_config(config).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("connector 'file': "), "{text}");
        assert!(text.contains("fromat"), "{text}");
        let config: toml::Value = toml::from_str("table = \"worker\"").unwrap();
        let e = connector("http").unwrap().check_config(config).unwrap_err();
        assert!(e.to_string().contains("unknown table 'worker'"), "{e}");
    }

    #[test]
    fn shared_rows_are_taken_once() {
        let rows = SharedRows::new(vec![1, 2]);
        let other = rows.clone();
        other.extend([3]);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows.take(), [1, 2, 3]);
        assert!(other.is_empty());
    }
}
