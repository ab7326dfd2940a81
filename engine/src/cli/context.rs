//! What every command opens: the configuration, the lake, the reference tables, the
//! models, and the store the API serves from.

use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;

use crate::cli::Cli;
use crate::config::Config;
use crate::error::Result;
use crate::lake::Lake;
use crate::pipeline::{self, Pipeline, RunReport};
use crate::store::{ModelSnapshot, ModelStore};

/// An opened skillbrain: configuration, lake, models and the served store.
pub struct Context {
    /// The effective configuration.
    pub config: Config,
    /// The lake.
    pub lake: Arc<Lake>,
    /// Reference tables as (`ref_<name>`, CSV text).
    pub reference: Vec<(String, String)>,
    /// The models in dependency order.
    pub pipeline: Pipeline,
    /// Materialised models, as served.
    pub store: Arc<ModelStore>,
}

impl Context {
    /// Opens what the command line names: configuration with its overrides, the lake
    /// (creating the canonical tables if needed) and the models.
    pub async fn open(cli: &Cli) -> Result<Context> {
        let mut config = Config::load(cli.config.as_deref())?;
        if let Some(lake) = &cli.lake {
            config.lake_url = lake.clone();
        }
        if let Some(q) = &cli.queries {
            config.queries_dir = q.clone();
        }
        Context::open_config(config).await
    }

    /// Opens a context from a configuration.
    pub async fn open_config(config: Config) -> Result<Context> {
        let reference = pipeline::reference_tables(&config)?;
        let sources = pipeline::session::source_names(&reference);
        let pipeline = Pipeline::load(&config.queries_dir, &sources)?;
        let lake = Lake::open(config.lake_root()?, config.storage_options()).await?;
        Ok(Context {
            config,
            lake: Arc::new(lake),
            reference,
            pipeline,
            store: Arc::new(ModelStore::new()),
        })
    }

    /// A fresh session over the lake's current tables and the reference tables.
    pub async fn session(&self) -> Result<SessionContext> {
        pipeline::session(&self.config, &self.lake, &self.reference).await
    }

    /// Refreshes every model and publishes it to the store.
    pub async fn run_models(&self, progress: bool) -> Result<Vec<RunReport>> {
        let (ctx, versions) =
            pipeline::session_with_versions(&self.config, &self.lake, &self.reference).await?;
        self.pipeline
            .run(&ctx, &self.lake, &self.store, progress, &versions)
            .await
    }

    /// Whether every table model was loaded with source versions equal to the canonical
    /// tables' current versions (nothing to refresh).
    pub async fn store_is_current(&self) -> Result<bool> {
        let versions = self.lake.canonical_versions().await?;
        Ok(self.table_models().all(|m| {
            self.store
                .get(&m.name)
                .is_some_and(|s| s.source_versions == versions)
        }))
    }

    /// Refreshes every model from the canonical tables as they were at `at`, and
    /// publishes the results as the models' next versions.
    pub async fn replay(&self, at: crate::lake::AsOf) -> Result<Vec<RunReport>> {
        let ctx = self.session().await?;
        self.lake.register_as_of(&ctx, at).await?;
        let unknown = std::collections::BTreeMap::new();
        self.pipeline
            .run(&ctx, &self.lake, &self.store, true, &unknown)
            .await
    }

    /// Plans every model, then runs the declared tests of every materialised model.
    /// Returns the number of tests that passed.
    pub async fn check(&self) -> Result<usize> {
        let planning = self.session().await?;
        self.pipeline.plan_all(&planning).await?;
        let loaded = self.load_store().await?;
        let tables = self.table_models().count();
        if loaded < tables {
            eprintln!(
                "note: {} of {tables} table models are not materialised yet; their data tests run after `skillbrain run`",
                tables - loaded,
            );
        }
        let ctx = self.session().await?;
        for snapshot in self.store.list() {
            let table = datafusion::datasource::MemTable::try_new(
                snapshot.schema.clone(),
                vec![snapshot.batches.clone()],
            )?;
            ctx.register_table(snapshot.name.as_str(), Arc::new(table))?;
        }
        // Views read what is registered: tests run on them only when all they need is there.
        let available = Pipeline {
            root: self.pipeline.root.clone(),
            models: self
                .pipeline
                .models
                .iter()
                .filter(|m| loaded == tables || self.store.get(&m.name).is_some())
                .cloned()
                .collect(),
        };
        available.register_views(&ctx).await?;
        let materialised = available;
        materialised.test_all(&ctx).await
    }

    /// Loads every materialised model from the lake into the store; returns how many.
    pub async fn load_store(&self) -> Result<usize> {
        let mut loaded = 0;
        for model in self.table_models() {
            if let Some(stored) = self.lake.read_model(&model.name).await? {
                let schema = (stored.batches.first()).map_or(stored.schema, |b| b.schema());
                self.store.publish(ModelSnapshot {
                    name: model.name.clone(),
                    description: model.description.clone(),
                    grain: model.grain.clone(),
                    version: stored.version,
                    refreshed_at: chrono::Utc::now(),
                    refresh_mode: Default::default(),
                    source_versions: stored.source_versions,
                    refresh_seconds: 0.0,
                    schema,
                    batches: stored.batches,
                });
                loaded += 1;
            }
        }
        Ok(loaded)
    }

    /// The models kept as versioned tables.
    pub fn table_models(&self) -> impl Iterator<Item = &pipeline::Model> {
        self.pipeline
            .models
            .iter()
            .filter(|m| m.materialized == pipeline::Materialized::Table)
    }

    /// Runs one read-only query over the lake and the reference tables (models are read
    /// from their materialised tables).
    pub async fn sql(&self, query: &str) -> Result<Vec<RecordBatch>> {
        let ctx = self.session().await?;
        for model in self.table_models() {
            if let Some(stored) = self.lake.read_model(&model.name).await? {
                let schema = (stored.batches.first()).map_or(stored.schema, |b| b.schema());
                let table =
                    datafusion::datasource::MemTable::try_new(schema, vec![stored.batches])?;
                ctx.register_table(model.name.as_str(), Arc::new(table))?;
            }
        }
        self.pipeline.register_views(&ctx).await?;
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        Ok(ctx
            .sql_with_options(query, options)
            .await?
            .collect()
            .await?)
    }
}
