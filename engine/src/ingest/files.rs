//! Landing files, for `skillbrain ingest` and the drop folder alike: a file in the
//! canonical columns of one table (CSV, NDJSON, Parquet), or an export (CSV in UTF-8 or
//! GBK, XLSX) read through a column mapping into `workers`, `assessment_results` and
//! `assessment_dimension_scores`. The connectors decode (the `file` and `export`
//! connectors of `skillbrain_connectors`); the [`Lander`] lands what they decoded: good
//! rows exactly once per key, one commit per table; every rejected row in the
//! quarantine the connector names; the report counts accepted, rejected and duplicate
//! rows.
//!
//! A canonical file streams: its rows are committed while it is read, and rejects are
//! quarantined after that commit. An export is read whole (exports are spreadsheets a
//! person made), mapped, and its rejects quarantined before the rows land. Either way a
//! file landed again after a crash neither repeats a row nor a rejection.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use skillbrain_connectors::Table;
use skillbrain_connectors::connector::{Connector, DecodeContext, Decoded};
use skillbrain_connectors::export::{ExportConfig, ExportConnector, ExportInput};
use skillbrain_connectors::file::{FileConfig, FileConnector, FileFormat, FileReadOptions};
use skillbrain_connectors::identity::{MIN_SECRET_BYTES, Pseudonymizer};
use skillbrain_connectors::mapping::Mapping;
use skillbrain_connectors::normalize::{Codes, LevelStep};
use skillbrain_connectors::quarantine::Quarantined;
use skillbrain_connectors::raw::{RawFormat, RawOptions};
use skillbrain_datasets::reference::Reference;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::lake::{AppendOutcome, Lake};

/// The column mappings built into the binary, as (name, TOML).
pub const BUILT_IN_MAPPINGS: [(&str, &str); 1] = [(
    "assessment_export",
    include_str!("../../../connectors/mappings/assessment_export.toml"),
)];

/// How a file is read.
#[derive(Debug, Clone)]
pub enum FileKind {
    /// Canonical columns of one table; the format from the extension unless given.
    Canonical {
        /// The table.
        table: Table,
        /// The format, if not from the extension.
        format: Option<FileFormat>,
    },
    /// An export read through a column mapping.
    Export {
        /// The mapping.
        mapping: Arc<Mapping>,
        /// The container, if not from the extension.
        format: Option<RawFormat>,
        /// Encoding, sheet and delimiter, each detected when not given.
        options: RawOptions,
    },
}

/// What landing one file did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    /// The file as named.
    pub file: String,
    /// What it was read as: a table's name, or `mapping <name>`.
    pub read_as: String,
    /// Each table landed in, with its rows newly stored, duplicates and version.
    pub tables: Vec<TableOutcome>,
    /// Rows rejected (and quarantined).
    pub rejected: u64,
    /// The first rejections, for a person to read (all are in the quarantine).
    pub first_rejects: Vec<Quarantined>,
}

/// One table's part of a [`FileReport`].
#[derive(Debug, Clone, Serialize)]
pub struct TableOutcome {
    /// The table.
    pub table: String,
    /// Rows newly stored.
    pub accepted: u64,
    /// Rows already stored, or repeated in the file.
    pub duplicates: u64,
    /// The table's version after the append.
    pub version: i64,
}

impl FileReport {
    /// Rows newly stored in the main table: a canonical file's only table, or an
    /// export's `assessment_results` (one row per record).
    pub fn accepted(&self) -> u64 {
        self.main_table().map_or(0, |t| t.accepted)
    }

    /// Duplicate rows of the main table.
    pub fn duplicates(&self) -> u64 {
        self.main_table().map_or(0, |t| t.duplicates)
    }

    /// The table that counts a file's records: its only table, or `assessment_results`.
    fn main_table(&self) -> Option<&TableOutcome> {
        (self.tables.iter())
            .find(|t| t.table == Table::AssessmentResults.name())
            .or(self.tables.first())
    }

    fn add(&mut self, table: Table, outcome: AppendOutcome) {
        self.tables.push(TableOutcome {
            table: table.name().to_owned(),
            accepted: outcome.accepted,
            duplicates: outcome.duplicates,
            version: outcome.version,
        });
    }
}

/// How many rejections a report shows.
const SHOWN_REJECTS: usize = 20;

/// Lands files in a lake.
pub struct Lander {
    lake: Arc<Lake>,
    read: FileReadOptions,
    codes: Arc<Codes>,
    pseudonymizer: Option<Arc<Pseudonymizer>>,
    mappings: BTreeMap<String, Arc<Mapping>>,
}

impl std::fmt::Debug for Lander {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lander")
            .field("lake", &self.lake)
            .field("mappings", &self.mappings.keys().collect::<Vec<_>>())
            .field("secret", &self.pseudonymizer.is_some())
            .finish()
    }
}

impl Lander {
    /// A lander over `lake` with what `config` gives: reference codes, the
    /// pseudonymisation secret (if set) and the mappings (built-in and
    /// `ingest.mappings_dir`).
    pub fn from_config(config: &Config, lake: Arc<Lake>) -> Result<Lander> {
        let reference = if config.reference_dir.is_empty() {
            Reference::embedded()
        } else {
            Reference::from_dir(&config.reference_dir)?
        };
        Ok(Lander {
            lake,
            read: FileReadOptions {
                batch_rows: config.engine.batch_rows,
            },
            codes: Arc::new(codes_of(&reference)),
            pseudonymizer: load_secret(config)?.map(Arc::new),
            mappings: load_mappings(&config.ingest.mappings_dir)?,
        })
    }

    /// The mapping called `name`, or a mapping file's path.
    pub fn mapping(&self, name: &str) -> Result<Arc<Mapping>> {
        if let Some(m) = self.mappings.get(name) {
            return Ok(m.clone());
        }
        let path = Path::new(name);
        if path.extension().is_some_and(|e| e == "toml") && path.exists() {
            return Ok(Arc::new(read_mapping(path)?));
        }
        let known: Vec<&str> = self.mappings.keys().map(String::as_str).collect();
        Err(Error::Config(format!(
            "no column mapping '{name}'; the mappings are {} (or give a .toml file)",
            known.join(", ")
        )))
    }

    /// The mapping called `name`, if there is one (no files).
    pub fn named_mapping(&self, name: &str) -> Option<Arc<Mapping>> {
        self.mappings.get(name).cloned()
    }

    /// Lands one file as `kind` says.
    pub async fn land(&self, path: &Path, kind: &FileKind) -> Result<FileReport> {
        match kind {
            FileKind::Canonical { table, format } => {
                self.land_canonical(path, *table, *format).await
            }
            FileKind::Export {
                mapping,
                format,
                options,
            } => {
                self.land_export(path, mapping.clone(), *format, options.clone())
                    .await
            }
        }
    }

    async fn land_canonical(
        &self,
        path: &Path,
        table: Table,
        format: Option<FileFormat>,
    ) -> Result<FileReport> {
        let config = FileConfig {
            table: Some(table),
            format,
        };
        let ctx = DecodeContext::canonical(&self.read);
        let decoded = FileConnector.decode(&config, &ctx, path.to_owned())?;
        self.land_decoded(path, table.name().to_owned(), decoded)
            .await
    }

    async fn land_export(
        &self,
        path: &Path,
        mapping: Arc<Mapping>,
        format: Option<RawFormat>,
        options: RawOptions,
    ) -> Result<FileReport> {
        let Some(pseudonymizer) = self.pseudonymizer.clone() else {
            return Err(Error::Config(format!(
                "{}: an export through mapping '{}' needs the pseudonymisation secret; set \
                 identity.secret (at least {MIN_SECRET_BYTES} bytes) or identity.secret_file \
                 in the config, or SKILLBRAIN_IDENTITY__SECRET",
                path.display(),
                mapping.name()
            )));
        };
        let read_as = format!("mapping {}", mapping.name());
        let config = ExportConfig::new(&mapping, format, &options);
        let input = ExportInput {
            path: path.to_owned(),
            mapping,
        };
        let (codes, read) = (self.codes.clone(), self.read.clone());
        let decoded = tokio::task::spawn_blocking(move || {
            let ctx = DecodeContext {
                read: &read,
                codes: &codes,
                pseudonymizer: Some(&pseudonymizer),
            };
            ExportConnector.decode(&config, &ctx, input)
        })
        .await
        .map_err(|e| Error::Internal(format!("mapping {} failed: {e}", path.display())))??;
        self.land_decoded(path, read_as, decoded).await
    }

    /// Lands what a connector decoded from `path`: each table in one commit, and the
    /// rejected rows in the quarantine, before the rows when they are already complete
    /// (read whole), after the commit when they are known only once the rows streamed.
    async fn land_decoded(
        &self,
        path: &Path,
        read_as: String,
        decoded: Decoded,
    ) -> Result<FileReport> {
        let streamed = decoded.is_streamed();
        let Decoded {
            tables,
            quarantine_table,
            quarantined,
        } = decoded;
        let mut rows = Vec::new();
        if !streamed {
            rows = quarantined.take();
            self.lake.quarantine(quarantine_table, &rows).await?;
        }
        let mut report = FileReport {
            file: path.display().to_string(),
            read_as,
            ..FileReport::default()
        };
        for (table, batches) in tables {
            let outcome = (self.lake)
                .append_stream(table, batches.into_batches(), None)
                .await?;
            report.add(table, outcome);
        }
        if streamed {
            rows = quarantined.take();
            self.lake.quarantine(quarantine_table, &rows).await?;
        }
        report.rejected = rows.len() as u64;
        report.first_rejects = rows.into_iter().take(SHOWN_REJECTS).collect();
        Ok(report)
    }
}

/// The code sets of a city's reference data.
pub fn codes_of(reference: &Reference) -> Codes {
    let regions = (reference.regions.iter()).map(|r| (r.code.clone(), r.name.clone()));
    let occupations = (reference.occupations.iter()).map(|o| (o.code.clone(), o.name.clone()));
    let levels = reference.levels.iter().map(|l| LevelStep {
        ladder_order: l.ladder_order,
        name: l.name.clone(),
        alt_name: l.alt_name.clone(),
        national_level: l.national_level,
    });
    Codes::new(regions, occupations, levels)
}

/// The pseudonymiser `identity` configures, if a secret is set.
fn load_secret(config: &Config) -> Result<Option<Pseudonymizer>> {
    let identity = &config.identity;
    let secret = if !identity.secret_file.is_empty() {
        let path = PathBuf::from(&identity.secret_file);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        text.trim_end().to_owned()
    } else {
        identity.secret.clone()
    };
    if secret.is_empty() {
        return Ok(None);
    }
    Pseudonymizer::new(secret.as_bytes())
        .map(Some)
        .map_err(|e| Error::Config(format!("identity secret: {e}")))
}

/// The built-in mappings, then those of `dir` (a file there replaces a built-in one of
/// the same name).
fn load_mappings(dir: &str) -> Result<BTreeMap<String, Arc<Mapping>>> {
    let mut out = BTreeMap::new();
    for (name, text) in BUILT_IN_MAPPINGS {
        let mapping = Mapping::from_toml(text)?;
        out.insert(name.to_owned(), Arc::new(mapping));
    }
    if dir.is_empty() {
        return Ok(out);
    }
    let folder = Path::new(dir);
    let entries = std::fs::read_dir(folder).map_err(|e| Error::io(folder, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io(folder, e))?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let mapping = read_mapping(&path)?;
            out.insert(mapping.name().to_owned(), Arc::new(mapping));
        }
    }
    Ok(out)
}

fn read_mapping(path: &Path) -> Result<Mapping> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Mapping::from_toml(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}
