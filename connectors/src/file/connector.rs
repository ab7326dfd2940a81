//! [`FileConnector`]: a file in the canonical columns of one table (CSV, NDJSON,
//! Parquet) as a [`Connector`]. It streams: the batches are read as they are iterated,
//! and each bad row of a CSV or NDJSON file is quarantined, named by the file's path and
//! line, as the batches pass it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Batches, FileFormat, Rejects, read_file_collecting};
use crate::connector::{
    Connector, DecodeContext, Decoded, SharedRows, TableBatches, required_table,
};
use crate::error::Result;
use crate::quarantine::Quarantined;
use crate::schema::Table;

/// The file connector.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileConnector;

/// What a file is read as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// The table whose canonical columns the file has (required).
    pub table: Option<Table>,
    /// The format; `None` takes it from the extension.
    pub format: Option<FileFormat>,
}

/// The connector's name.
const NAME: &str = "file";

impl Connector for FileConnector {
    type Config = FileConfig;
    type Input = PathBuf;

    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "a file in the canonical columns of one table: CSV, NDJSON or Parquet"
    }

    /// Opens the file and checks its structure (the CSV header, the Parquet footer) now;
    /// the rows are read as the batches are iterated.
    fn decode(
        &self,
        config: &FileConfig,
        ctx: &DecodeContext<'_>,
        path: PathBuf,
    ) -> Result<Decoded> {
        let table = required_table(NAME, config.table)?;
        let (batches, rejects) = read_file_collecting(table, &path, config.format, ctx.read)?;
        let quarantined = SharedRows::default();
        let batches = Quarantining {
            batches,
            rejects,
            source: path.display().to_string(),
            quarantined: quarantined.clone(),
        };
        Ok(Decoded {
            tables: vec![(table, TableBatches::Streamed(Box::new(batches)))],
            quarantine_table: table,
            quarantined,
        })
    }
}

/// The batches of a collecting read, moving the rows it left out into the quarantine
/// rows after each batch (and at the end).
struct Quarantining {
    batches: Batches,
    rejects: Rejects,
    source: String,
    quarantined: SharedRows<Quarantined>,
}

impl Iterator for Quarantining {
    type Item = <Batches as Iterator>::Item;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.batches.next();
        let rows = self.rejects.take();
        if !rows.is_empty() {
            (self.quarantined).extend(
                rows.iter()
                    .map(|r| Quarantined::from_reject(&self.source, r)),
            );
        }
        next
    }
}
