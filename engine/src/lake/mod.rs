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

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::prelude::SessionContext;
use deltalake::DeltaTable;
use deltalake::kernel::Transaction;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::protocol::SaveMode;
use futures::{StreamExt, TryStreamExt};
use skillbrain_connectors::Table;
use url::Url;

pub use keys::{KeySet, Keys, row_hashes};
pub use stream::Source;

use crate::error::{Error, Result};

/// A commit that added rows to a canonical table, as [`Lake::subscribe`] announces it.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The table.
    pub table: Table,
    /// The version the commit made.
    pub version: i64,
    /// How many rows it added.
    pub accepted: u64,
    /// The rows it added, or `None` when there were more than [`COMMITTED_ROWS`] (a
    /// subscriber then reads the table).
    pub rows: Option<Vec<RecordBatch>>,
}

/// A point in the lake's history: one version of every table, or a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// This version of each table.
    Version(i64),
    /// The versions current at this moment.
    Time(chrono::DateTime<chrono::Utc>),
}

impl std::fmt::Display for AsOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AsOf::Version(v) => write!(f, "version {v}"),
            AsOf::Time(t) => write!(f, "{}", t.to_rfc3339()),
        }
    }
}

/// A model's materialised table as read back.
#[derive(Debug, Clone)]
pub struct StoredModel {
    /// Its Delta version.
    pub version: i64,
    /// Its schema.
    pub schema: SchemaRef,
    /// Its rows.
    pub batches: Vec<RecordBatch>,
    /// The canonical table versions its rows reflect, as recorded when it was written
    /// (empty when none were).
    pub source_versions: BTreeMap<String, i64>,
}

/// The commit metadata key of a model table's source versions.
const SOURCE_VERSIONS: &str = "skillbrain.source_versions";

/// The most rows a [`Committed`] announcement carries.
pub const COMMITTED_ROWS: usize = 1_000_000;

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
    commits: tokio::sync::broadcast::Sender<Arc<Committed>>,
    /// The rows of each canonical table at the versions registered so far.
    rows: Mutex<HashMap<(Table, i64), u64>>,
    /// Each table as last read or written here, by URL: brought up to date (its new
    /// commits read) when next used, instead of loaded again from its whole log.
    tables: Mutex<HashMap<String, DeltaTable>>,
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
            commits: tokio::sync::broadcast::channel(4096).0,
            rows: Mutex::new(HashMap::new()),
            tables: Mutex::new(HashMap::new()),
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

    /// The table at `url` as it is now: the copy kept from its last use, brought up to
    /// date, or (the first time, or when its log cannot be followed) loaded.
    async fn load_latest(&self, url: &Url) -> Result<DeltaTable> {
        let kept = (self.tables.lock().ok()).and_then(|t| t.get(url.as_str()).cloned());
        let table = match kept {
            Some(mut table) => match table.update_incremental(None).await {
                Ok(()) => table,
                Err(e) => {
                    tracing::debug!(table = %url, error = %e, "the kept table could not be updated; loading it");
                    self.load(url).await?
                }
            },
            None => self.load(url).await?,
        };
        self.keep(url, &table);
        Ok(table)
    }

    /// After a commit made `written` (committed without a checkpoint): keeps it for the
    /// next [`Lake::load_latest`], and every [`CHECKPOINT_EVERY`]th version writes a
    /// checkpoint of it in the background. Writing one replays the commits before it;
    /// done in the commit, it held up the append or the model refresh that made it.
    fn committed(&self, url: &Url, written: &DeltaTable) {
        self.keep(url, written);
        let Some(version) = written.version() else {
            return;
        };
        if (version + 1) % CHECKPOINT_EVERY != 0 {
            return;
        }
        let (table, url) = (written.clone(), url.to_string());
        // Outside a runtime (never, in practice) the checkpoint is left to maintenance.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = deltalake::checkpoints::create_checkpoint(&table, None).await {
                    tracing::warn!(table = %url, version, error = %e, "cannot write a checkpoint; table maintenance will");
                }
            });
        }
    }

    /// Keeps `table` for the next [`Lake::load_latest`] of `url`, unless a newer
    /// version is kept already.
    fn keep(&self, url: &Url, table: &DeltaTable) {
        if table.version().is_none() {
            return;
        }
        if let Ok(mut tables) = self.tables.lock() {
            let newer = (tables.get(url.as_str())).is_none_or(|t| t.version() < table.version());
            if newer {
                tables.insert(url.to_string(), table.clone());
            }
        }
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

    /// Announcements of every later commit that adds rows to a canonical table, in commit
    /// order per table, sent once the commit is durable (before the append returns). A
    /// receiver that falls more than 4096 commits behind gets `Lagged` and must read the
    /// tables again.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Committed>> {
        self.commits.subscribe()
    }

    /// The current version of a canonical table.
    pub async fn version(&self, table: Table) -> Result<i64> {
        let t = self.load_latest(&self.table_url(table.name())?).await?;
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
        let keep = (self.commits.receiver_count() > 0).then_some(COMMITTED_ROWS);
        let (mut rx, reader) = stream::spawn_reader(table, source, keys, keep);
        let first = rx.recv().await;
        let url = self.table_url(table.name())?;
        let delta = self.load_latest(&url).await?;
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
            Some(Ok(written)) => {
                keys.commit(read.pending);
                self.committed(&url, &written);
                let version = version_of(&written);
                if read.accepted > 0 {
                    // No receiver is not an error: nobody is listening.
                    let _ = self.commits.send(Arc::new(Committed {
                        table,
                        version,
                        accepted: read.accepted,
                        rows: read.kept,
                    }));
                }
                version
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

    /// Registers (or registers again) one canonical table with `ctx` at its current
    /// version; returns that version.
    pub async fn register_current(&self, ctx: &SessionContext, table: Table) -> Result<i64> {
        let delta = self.load_latest(&self.table_url(table.name())?).await?;
        let version = version_of(&delta);
        if let Ok(snapshot) = delta.snapshot() {
            let rows: u64 = (snapshot.log_data().iter())
                .map(|f| f.num_records().unwrap_or(0) as u64)
                .sum();
            if let Ok(mut known) = self.rows.lock() {
                known.insert((table, version), rows);
            }
        }
        delta.update_datafusion_session(&ctx.state())?;
        let provider = delta.table_provider().await?;
        ctx.deregister_table(table.name())?;
        ctx.register_table(table.name(), provider)?;
        Ok(version)
    }

    /// How many rows a canonical table has at `version`, if that version was registered
    /// (by the counts of its files in the Delta log).
    pub fn rows_at(&self, table: Table, version: i64) -> Option<u64> {
        self.rows.lock().ok()?.get(&(table, version)).copied()
    }

    /// Every row of a canonical table at its current version, with that version.
    pub async fn read_table(&self, table: Table) -> Result<(i64, Vec<RecordBatch>)> {
        let ctx = SessionContext::new();
        let version = self.register_current(&ctx, table).await?;
        let batches = ctx.table(table.name()).await?.collect().await?;
        Ok((version, batches))
    }

    /// Registers every canonical table with `ctx` as it was at `at`. A table that did not
    /// exist yet then is an error naming it.
    pub async fn register_as_of(&self, ctx: &SessionContext, at: AsOf) -> Result<()> {
        for table in Table::ALL {
            let mut delta = self.load(&self.table_url(table.name())?).await?;
            let latest = version_of(&delta);
            let loaded = match at {
                AsOf::Version(v) if v > latest => Err(format!(
                    "table {} has versions 0 to {latest} only",
                    table.name()
                )),
                AsOf::Version(v) => delta.load_version(v as _).await.map_err(|e| e.to_string()),
                AsOf::Time(t) => delta.load_with_datetime(t).await.map_err(|e| e.to_string()),
            };
            loaded.map_err(|reason| {
                Error::Config(format!(
                    "cannot read table {} as of {at}: {reason}",
                    table.name()
                ))
            })?;
            delta.update_datafusion_session(&ctx.state())?;
            ctx.deregister_table(table.name())?;
            ctx.register_table(table.name(), delta.table_provider().await?)?;
        }
        Ok(())
    }

    /// Compacts a table's small files into larger ones (Delta `OPTIMIZE`) when it has at
    /// least `min_files` files; returns `(files removed, files added)`. Readers keep
    /// their snapshot and appends go on: the optimisation rewrites rows, it does not
    /// change them, and a commit that conflicts is given up and tried the next time.
    pub async fn compact(&self, url: &Url, min_files: usize) -> Result<(u64, u64)> {
        let table = self.load(url).await?;
        if table.version().is_none() || table.snapshot()?.log_data().num_files() < min_files {
            return Ok((0, 0));
        }
        let (_, metrics) = table.optimize().await?;
        Ok((metrics.num_files_removed, metrics.num_files_added))
    }

    /// Deletes files no version younger than `retention` needs (Delta `VACUUM`); returns
    /// how many were deleted.
    pub async fn vacuum(&self, url: &Url, retention: chrono::Duration) -> Result<usize> {
        let table = self.load(url).await?;
        if table.version().is_none() {
            return Ok(0);
        }
        let (_, metrics) = table
            .vacuum()
            .with_retention_period(retention)
            .with_enforce_retention_duration(false)
            .await?;
        Ok(metrics.files_deleted.len())
    }

    /// Writes a checkpoint of the table at `url` at its current version (its state in one
    /// Parquet file, so that opening it reads no older commit), unless it has one there
    /// or has no version; returns whether it wrote one.
    pub async fn checkpoint(&self, url: &Url) -> Result<bool> {
        use object_store::ObjectStoreExt as _;
        let table = self.load_latest(url).await?;
        let Some(version) = table.version() else {
            return Ok(false);
        };
        let path =
            object_store::path::Path::from(format!("_delta_log/{version:020}.checkpoint.parquet"));
        let store = table.log_store().object_store(None);
        match store.head(&path).await {
            Ok(_) => return Ok(false),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(deltalake::DeltaTableError::from(e).into()),
        }
        deltalake::checkpoints::create_checkpoint(&table, None).await?;
        Ok(true)
    }

    /// Deletes the log files of the table at `url` that no version younger than
    /// `retention` needs and that a checkpoint makes unnecessary (with `None`, the
    /// table's own log retention: Delta's 30 days); returns how many. A version older
    /// than that can no longer be read.
    pub async fn expire_logs(
        &self,
        url: &Url,
        retention: Option<chrono::Duration>,
    ) -> Result<usize> {
        let table = self.load_latest(url).await?;
        if table.version().is_none() {
            return Ok(0);
        }
        let deleted = match retention {
            None => deltalake::checkpoints::cleanup_metadata(&table, None).await?,
            Some(retention) => {
                let version = table.snapshot()?.version();
                let cutoff = (chrono::Utc::now() - retention).timestamp_millis();
                let store = table.log_store();
                deltalake::checkpoints::cleanup_expired_logs_for(
                    version,
                    store.as_ref(),
                    cutoff,
                    None,
                )
                .await?
            }
        };
        Ok(deleted)
    }

    /// Registers every canonical table with `ctx` under its name, each at its current
    /// version; returns those versions by table name.
    pub async fn register_canonical(&self, ctx: &SessionContext) -> Result<BTreeMap<String, i64>> {
        let mut versions = BTreeMap::new();
        for table in Table::ALL {
            let version = self.register_current(ctx, table).await?;
            versions.insert(table.name().to_string(), version);
        }
        Ok(versions)
    }

    /// Replaces a model's materialised table with `batches`; returns the new version.
    /// `source_versions` (the version of each canonical table the rows reflect, when
    /// known) is kept in the commit, and read back by [`Lake::read_model`].
    pub async fn write_model(
        &self,
        name: &str,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
        source_versions: &BTreeMap<String, i64>,
    ) -> Result<i64> {
        let url = self.model_url(name)?;
        let table = self.load_latest(&url).await?;
        let batches = if batches.is_empty() {
            vec![RecordBatch::new_empty(schema)]
        } else {
            batches
        };
        let mut props = commit_properties(None);
        if !source_versions.is_empty() {
            props = props.with_metadata([(
                SOURCE_VERSIONS.to_string(),
                serde_json::json!(source_versions),
            )]);
        }
        let written = table
            .write(batches)
            .with_save_mode(SaveMode::Overwrite)
            .with_schema_mode(deltalake::operations::write::SchemaMode::Overwrite)
            .with_commit_properties(props)
            .await?;
        self.committed(&url, &written);
        Ok(version_of(&written))
    }

    /// The current version of every canonical table, by name.
    pub async fn canonical_versions(&self) -> Result<BTreeMap<String, i64>> {
        let mut out = BTreeMap::new();
        for table in Table::ALL {
            out.insert(table.name().to_string(), self.version(table).await?);
        }
        Ok(out)
    }

    /// Reads a model's materialised table: its version, rows and recorded source
    /// versions, or `None` if the model was never materialised.
    pub async fn read_model(&self, name: &str) -> Result<Option<StoredModel>> {
        let table = self.load(&self.model_url(name)?).await?;
        if table.version().is_none() {
            return Ok(None);
        }
        let version = version_of(&table);
        let latest = table.history(Some(1)).next().await.transpose()?;
        let source_versions = latest
            .and_then(|commit| commit.info.get(SOURCE_VERSIONS).cloned())
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        let ctx = SessionContext::new();
        table.update_datafusion_session(&ctx.state())?;
        let df = ctx.read_table(table.table_provider().await?)?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        Ok(Some(StoredModel {
            version,
            schema,
            batches,
            source_versions,
        }))
    }
}

/// A table's key set slot in `slots`, made empty on first use.
fn slot_of(slots: &Slots, table: Table) -> Result<Arc<tokio::sync::Mutex<Option<KeySet>>>> {
    let mut slots = slots
        .lock()
        .map_err(|_| Error::Internal("lake key set lock poisoned".into()))?;
    Ok(slots.entry(table).or_default().clone())
}

/// A table gets a checkpoint every this many versions (Delta's default interval).
const CHECKPOINT_EVERY: u64 = 100;

/// The properties of a commit (an append, with its transaction if any; a model write):
/// the checkpoint is written in the background ([`Lake::committed`]), and expired log files are deleted by maintenance
/// ([`Lake::expire_logs`]): Delta looks for them after every commit by listing the whole
/// log, which grows with every version.
fn commit_properties(txn: Option<(String, i64)>) -> CommitProperties {
    let props = CommitProperties::default()
        .with_create_checkpoint(false)
        .with_cleanup_expired_logs(Some(false));
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
