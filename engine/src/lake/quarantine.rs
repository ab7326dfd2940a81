//! The quarantine tables: `<lake>/quarantine/<table>/`, one Delta table per canonical
//! table, made on the first rejected row. Rows are keyed by `reject_id`, so the same
//! rejection quarantined again (a file landed again after a crash) is stored once.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use datafusion::prelude::SessionContext;
use deltalake::protocol::SaveMode;
use futures::TryStreamExt;
use skillbrain_connectors::Table;
use skillbrain_connectors::quarantine::{self, Quarantined};
use url::Url;

use super::{KeySet, Keys, Lake, slot_of, version_of};
use crate::error::{Error, Result};

const KEY: &[&str] = &["reject_id"];

impl Lake {
    /// URL of a canonical table's quarantine table.
    pub fn quarantine_url(&self, table: Table) -> Result<Url> {
        self.root
            .join(&format!("quarantine/{}/", table.name()))
            .map_err(|e| Error::Config(format!("quarantine of {}: {e}", table.name())))
    }

    /// Stores rejected rows of `table` in its quarantine table, in one commit, each
    /// rejection once; returns how many were newly stored.
    pub async fn quarantine(&self, table: Table, rows: &[Quarantined]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let slot = slot_of(&self.quarantine_keys, table)?;
        let mut guard = slot.lock().await;
        let keys = match guard.take() {
            Some(keys) => keys,
            None => self.load_quarantine_keys(table).await?,
        };
        let now = chrono::Utc::now().timestamp_micros();
        let batch = quarantine::to_batch(rows, now);
        let mut pending = Keys::default();
        let mask = match keys.classify(&batch, KEY, &mut pending) {
            Ok(mask) => mask,
            Err(e) => {
                *guard = Some(keys);
                return Err(e);
            }
        };
        let fresh = filter_record_batch(&batch, &mask)?;
        if fresh.num_rows() == 0 {
            *guard = Some(keys);
            return Ok(0);
        }
        let stored = fresh.num_rows() as u64;
        let written = match self.load(&self.quarantine_url(table)?).await {
            Ok(delta) => delta
                .write(vec![fresh])
                .with_save_mode(SaveMode::Append)
                .await
                .map_err(Error::from),
            Err(e) => Err(e),
        };
        let mut keys = keys;
        if written.is_ok() {
            keys.commit(pending);
        }
        *guard = Some(keys);
        written?;
        Ok(stored)
    }

    async fn load_quarantine_keys(&self, table: Table) -> Result<KeySet> {
        let mut set = KeySet::default();
        if let Some((_, batches)) = self.read_quarantine(table).await? {
            for batch in batches {
                set.extend_from(&batch, KEY)?;
            }
        }
        Ok(set)
    }

    /// Every quarantined row of `table`, oldest first; `None` when nothing of it was
    /// ever quarantined.
    pub async fn read_quarantine(
        &self,
        table: Table,
    ) -> Result<Option<(SchemaRef, Vec<RecordBatch>)>> {
        let url = self.quarantine_url(table)?;
        if url.scheme() == "file"
            && let Ok(path) = url.to_file_path()
            && !path.join("_delta_log").exists()
        {
            return Ok(None);
        }
        let delta = self.load(&url).await?;
        if version_of(&delta) < 0 {
            return Ok(None);
        }
        let ctx = SessionContext::new();
        let provider = self.provider(&url, &ctx).await?;
        let df = ctx.read_table(provider)?.sort(vec![
            datafusion::prelude::col("quarantined_at").sort(true, true),
            datafusion::prelude::col("source").sort(true, true),
            datafusion::prelude::col("line").sort(true, true),
        ])?;
        let mut stream = df.execute_stream().await?;
        let mut batches = Vec::new();
        while let Some(batch) = stream.try_next().await? {
            batches.push(batch);
        }
        Ok(Some((Arc::clone(&quarantine::schema()), batches)))
    }
}
