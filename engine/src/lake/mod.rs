//! The lake: every canonical table and every materialised model is a Delta table under
//! one object-store root (a local folder by default, `s3://…` in real deployments).
//!
//! - `mod.rs`: [`Lake`]: opening tables, exactly-once appends (of one source, or of
//!   several groups counted apart), registering tables with DataFusion, writing and
//!   reading model outputs.
//! - `keys.rs`: idempotency keys and the per-table key set.
//! - `stream.rs`: streaming a source through deduplication into one commit.
//! - `quarantine.rs`: the quarantine table of each canonical table.
//!
//! One process writes a lake at a time; appends to one table are serialised inside it.
//! Each append is one Delta commit, so a reader sees all of a batch or none of it.

mod keys;
mod quarantine;
mod stream;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::prelude::SessionContext;
use deltalake::DeltaTable;
use deltalake::kernel::Transaction;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::protocol::SaveMode;
use futures::TryStreamExt;
use skillbrain_connectors::Table;
use url::Url;

pub use keys::{KeySet, Keys, row_hashes};
pub use stream::Source;

use crate::error::{Error, Result};

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppendOutcome {
    /// Rows newly stored.
    pub accepted: u64,
    /// Rows whose key was already stored (or repeated in the input) and were skipped.
    pub duplicates: u64,
    /// The table version after the append (the commit holding the rows, or the current
    /// version when every row was a duplicate).
    pub version: i64,
}

/// The lake root and its per-table writer state.
pub struct Lake {
    root: Url,
    storage_options: HashMap<String, String>,
    writers: Slots,
    quarantine_keys: Slots,
}

/// Per table, the stored keys (loaded on first use) behind a lock that serialises the
/// table's appends.
type Slots = Mutex<HashMap<Table, Arc<tokio::sync::Mutex<Option<KeySet>>>>>;

impl std::fmt::Debug for Lake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lake")
            .field("root", &self.root.as_str())
            .finish()
    }
}

impl Lake {
    /// Opens the lake at `root` (a directory URL ending in `/`) and makes sure every
    /// canonical table exists.
    pub async fn open(root: Url, storage_options: HashMap<String, String>) -> Result<Lake> {
        deltalake::aws::register_handlers(None);
        let lake = Lake {
            root,
            storage_options,
            writers: Mutex::new(HashMap::new()),
            quarantine_keys: Mutex::new(HashMap::new()),
        };
        for table in Table::ALL {
            lake.ensure_table(&lake.table_url(table.name())?, table.schema())
                .await?;
        }
        Ok(lake)
    }

    /// The lake root.
    pub fn root(&self) -> &Url {
        &self.root
    }

    /// URL of a canonical table.
    pub fn table_url(&self, name: &str) -> Result<Url> {
        self.root
            .join(&format!("{name}/"))
            .map_err(|e| Error::Config(format!("table {name}: {e}")))
    }

    /// URL of a model's materialised table.
    pub fn model_url(&self, name: &str) -> Result<Url> {
        self.root
            .join(&format!("models/{name}/"))
            .map_err(|e| Error::Config(format!("model {name}: {e}")))
    }

    async fn load(&self, url: &Url) -> Result<DeltaTable> {
        if url.scheme() == "file"
            && let Ok(path) = url.to_file_path()
        {
            std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        }
        Ok(
            DeltaTable::try_from_url_with_storage_options(
                url.clone(),
                self.storage_options.clone(),
            )
            .await?,
        )
    }

    async fn ensure_table(&self, url: &Url, schema: SchemaRef) -> Result<()> {
        let table = self.load(url).await?;
        if table.version().is_none() {
            table
                .write(vec![RecordBatch::new_empty(schema)])
                .with_save_mode(SaveMode::Append)
                .await?;
        }
        Ok(())
    }

    /// The current version of a canonical table.
    pub async fn version(&self, table: Table) -> Result<i64> {
        let t = self.load(&self.table_url(table.name())?).await?;
        Ok(version_of(&t))
    }

    /// Appends rows to a canonical table, exactly once per key: rows whose key is already
    /// stored, or repeated within `batches`, are skipped and counted. All new rows go in
    /// one commit. `txn` records an application transaction (`app_id`, `version`) in the
    /// same commit, for sources that resume from an offset.
    pub async fn append(
        &self,
        table: Table,
        batches: Vec<RecordBatch>,
        txn: Option<(String, i64)>,
    ) -> Result<AppendOutcome> {
        self.append_stream(table, Box::new(batches.into_iter().map(Ok)), txn)
            .await
    }

    /// Like [`Lake::append`], reading `source` as it goes: batches are deduplicated and
    /// written while the source is still being read, and committed together at the end.
    /// If the source fails, nothing is committed and its error is returned.
    pub async fn append_stream(
        &self,
        table: Table,
        source: Source,
        txn: Option<(String, i64)>,
    ) -> Result<AppendOutcome> {
        let (outcome, _) = self.append_tallied(table, source, txn).await?;
        Ok(outcome)
    }

    /// Appends several groups of rows (the batches of several pushed requests, say) in
    /// one commit, exactly once per key like [`Lake::append`], and counts each group
    /// apart. Groups are classified in order, so a key that a later group repeats is a
    /// duplicate of that later group. Returns each group's outcome (all with the same
    /// version) and the version: the commit holding the rows, or the current version when
    /// no group had a new row. If the commit fails, nothing is stored.
    pub async fn append_groups(
        &self,
        table: Table,
        groups: Vec<Vec<RecordBatch>>,
        txn: Option<(String, i64)>,
    ) -> Result<(Vec<AppendOutcome>, i64)> {
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        let source: Source = Box::new(groups.into_iter().flatten().map(Ok));
        let (total, per_batch) = self.append_tallied(table, source, txn).await?;
        let mut tallies = per_batch.into_iter();
        let outcomes = sizes
            .into_iter()
            .map(|batches| {
                let start = AppendOutcome {
                    version: total.version,
                    ..AppendOutcome::default()
                };
                tallies
                    .by_ref()
                    .take(batches)
                    .fold(start, |mut out, (accepted, duplicates)| {
                        out.accepted += accepted;
                        out.duplicates += duplicates;
                        out
                    })
            })
            .collect();
        Ok((outcomes, total.version))
    }

    /// [`Lake::append_stream`], also giving `(accepted, duplicates)` of each batch read.
    async fn append_tallied(
        &self,
        table: Table,
        source: Source,
        txn: Option<(String, i64)>,
    ) -> Result<(AppendOutcome, Vec<(u64, u64)>)> {
        let slot = slot_of(&self.writers, table)?;
        let mut guard = slot.lock().await;
        let keys = match guard.take() {
            Some(keys) => keys,
            None => self.load_keys(table).await?,
        };
        let (mut rx, reader) = stream::spawn_reader(table, source, keys);
        let first = rx.recv().await;
        let delta = self.load(&self.table_url(table.name())?).await?;
        let current = version_of(&delta);
        let written = match first {
            Some(Ok(first)) => {
                let plan = stream::channel_plan(table.schema(), first, rx)?;
                Some(
                    delta
                        .write(Vec::new())
                        .with_input_plan(plan)
                        .with_save_mode(SaveMode::Append)
                        .with_commit_properties(commit_properties(txn))
                        .await,
                )
            }
            // The source failed before any new row: the reader holds the error.
            Some(Err(_)) => None,
            // Every row was a duplicate (or there were none).
            None if txn.is_none() => None,
            None => Some(
                delta
                    .write(vec![RecordBatch::new_empty(table.schema())])
                    .with_save_mode(SaveMode::Append)
                    .with_commit_properties(commit_properties(txn))
                    .await,
            ),
        };
        let read = reader.await??;
        let mut keys = read.keys;
        if let Some(error) = read.error {
            *guard = Some(keys);
            return Err(error.into());
        }
        let version = match written {
            Some(Ok(table)) => {
                keys.commit(read.pending);
                version_of(&table)
            }
            Some(Err(e)) => {
                *guard = Some(keys);
                return Err(e.into());
            }
            None => current,
        };
        *guard = Some(keys);
        let outcome = AppendOutcome {
            accepted: read.accepted,
            duplicates: read.duplicates,
            version,
        };
        Ok((outcome, read.per_batch))
    }

    /// The last application-transaction version recorded for `app_id` on a table.
    pub async fn transaction_version(&self, table: Table, app_id: &str) -> Result<Option<i64>> {
        let t = self.load(&self.table_url(table.name())?).await?;
        let state = t.snapshot()?;
        Ok(state
            .transaction_version(t.log_store().as_ref(), app_id)
            .await?)
    }

    async fn load_keys(&self, table: Table) -> Result<KeySet> {
        let ctx = SessionContext::new();
        let provider = self.provider(&self.table_url(table.name())?, &ctx).await?;
        let mut stream = ctx
            .read_table(provider)?
            .select_columns(table.key_columns())?
            .execute_stream()
            .await?;
        let mut set = KeySet::default();
        while let Some(batch) = stream.try_next().await? {
            set.extend_from(&batch, table.key_columns())?;
        }
        tracing::debug!(table = table.name(), keys = set.len(), "loaded stored keys");
        Ok(set)
    }

    async fn provider(&self, url: &Url, ctx: &SessionContext) -> Result<Arc<dyn TableProvider>> {
        let table = self.load(url).await?;
        table.update_datafusion_session(&ctx.state())?;
        Ok(table.table_provider().await?)
    }

    /// Registers every canonical table with `ctx` under its name.
    pub async fn register_canonical(&self, ctx: &SessionContext) -> Result<()> {
        for table in Table::ALL {
            let provider = self.provider(&self.table_url(table.name())?, ctx).await?;
            ctx.register_table(table.name(), provider)?;
        }
        Ok(())
    }

    /// Replaces a model's materialised table with `batches`; returns the new version.
    pub async fn write_model(
        &self,
        name: &str,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<i64> {
        let table = self.load(&self.model_url(name)?).await?;
        let batches = if batches.is_empty() {
            vec![RecordBatch::new_empty(schema)]
        } else {
            batches
        };
        let written = table
            .write(batches)
            .with_save_mode(SaveMode::Overwrite)
            .with_schema_mode(deltalake::operations::write::SchemaMode::Overwrite)
            .await?;
        Ok(version_of(&written))
    }

    /// Reads a model's materialised table: its version and rows, or `None` if the model
    /// was never materialised.
    pub async fn read_model(
        &self,
        name: &str,
    ) -> Result<Option<(i64, SchemaRef, Vec<RecordBatch>)>> {
        let url = self.model_url(name)?;
        let table = self.load(&url).await?;
        if table.version().is_none() {
            return Ok(None);
        }
        let version = version_of(&table);
        let ctx = SessionContext::new();
        let provider = self.provider(&url, &ctx).await?;
        let df = ctx.read_table(provider)?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        Ok(Some((version, schema, batches)))
    }
}

/// A table's key set slot in `slots`, made empty on first use.
fn slot_of(slots: &Slots, table: Table) -> Result<Arc<tokio::sync::Mutex<Option<KeySet>>>> {
    let mut slots = slots
        .lock()
        .map_err(|_| Error::Internal("lake key set lock poisoned".into()))?;
    Ok(slots.entry(table).or_default().clone())
}

fn commit_properties(txn: Option<(String, i64)>) -> CommitProperties {
    let props = CommitProperties::default();
    match txn {
        Some((app_id, version)) => {
            props.with_application_transaction(Transaction::new(app_id, version))
        }
        None => props,
    }
}

/// A loaded table's version as a signed number (-1 when the table does not exist).
fn version_of(table: &DeltaTable) -> i64 {
    table
        .version()
        .map_or(-1, |v| i64::try_from(v).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
