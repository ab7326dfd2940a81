//! The DataFusion session the models run in: canonical tables from the lake and the
//! reference tables (`ref_<file>`) from the reference CSVs.

use std::collections::{BTreeMap, HashSet};
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use arrow::csv::ReaderBuilder;
use arrow::csv::reader::Format;
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::prelude::{SessionConfig, SessionContext};
use skillbrain_connectors::Table;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::pipeline::joins;

/// The reference tables as (`ref_<name>`, CSV text): the built-in data, or the CSV files
/// of `config.reference_dir`.
pub fn reference_tables(config: &Config) -> Result<Vec<(String, String)>> {
    if config.reference_dir.is_empty() {
        return Ok(skillbrain_datasets::embedded_csv()
            .iter()
            .map(|(name, text)| (format!("ref_{name}"), text.to_string()))
            .collect());
    }
    let dir = Path::new(&config.reference_dir);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.extension().is_some_and(|e| e == "csv")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            out.push((format!("ref_{stem}"), text));
        }
    }
    out.sort();
    Ok(out)
}

/// Names of every source table: canonical and reference.
pub fn source_names(reference: &[(String, String)]) -> HashSet<String> {
    Table::ALL
        .iter()
        .map(|t| t.name().to_string())
        .chain(reference.iter().map(|(n, _)| n.clone()))
        .collect()
}

/// A session with `target_partitions`, the lake's canonical tables and the reference
/// tables registered.
pub async fn session(
    config: &Config,
    lake: &Lake,
    reference: &[(String, String)],
) -> Result<SessionContext> {
    Ok(session_with_versions(config, lake, reference).await?.0)
}

/// [`session`], with the version of each canonical table it registered, by name.
pub async fn session_with_versions(
    config: &Config,
    lake: &Lake,
    reference: &[(String, String)],
) -> Result<(SessionContext, BTreeMap<String, i64>)> {
    let mut cfg = SessionConfig::new()
        .with_target_partitions(config.target_partitions())
        .with_information_schema(true);
    for (key, value) in &config.engine.datafusion {
        cfg.options_mut()
            .set(key, value)
            .map_err(|e| Error::Config(format!("[engine.datafusion] {key} = {value:?}: {e}")))?;
    }
    let mut runtime = RuntimeEnvBuilder::new();
    if config.engine.memory_limit_mb > 0 {
        let bytes = config.engine.memory_limit_mb.saturating_mul(1 << 20);
        runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(bytes)));
    }
    let rules = joins::physical_rules(&PhysicalOptimizer::new().rules);
    let state = SessionStateBuilder::new()
        .with_config(cfg)
        .with_runtime_env(runtime.build_arc()?)
        .with_default_features()
        .with_physical_optimizer_rules(rules)
        .build();
    let ctx = SessionContext::new_with_state(state);
    let versions = lake.register_canonical(&ctx).await?;
    for (name, text) in reference {
        register_csv_text(&ctx, name, text)?;
    }
    Ok((ctx, versions))
}

/// Registers CSV text (header row, types inferred) as an in-memory table.
pub(crate) fn register_csv_text(ctx: &SessionContext, name: &str, text: &str) -> Result<()> {
    let format = Format::default().with_header(true);
    let (schema, _) = format
        .infer_schema(Cursor::new(text.as_bytes()), None)
        .map_err(|e| Error::Config(format!("reference table {name}: {e}")))?;
    // Codes are strings even when they look like numbers (GB/T 2260 region codes).
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            if f.name() == "code" || f.name().ends_with("_code") {
                Field::new(f.name(), DataType::Utf8, true)
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let reader = ReaderBuilder::new(schema.clone())
        .with_format(format)
        .build(Cursor::new(text.as_bytes()))?;
    let batches = reader.collect::<std::result::Result<Vec<_>, _>>()?;
    ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![batches])?))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::lake_root_url;

    async fn lake() -> (tempfile::TempDir, Lake) {
        let dir = tempfile::tempdir().unwrap();
        let root = lake_root_url(dir.path().to_str().unwrap()).unwrap();
        (dir, Lake::open(root, HashMap::new()).await.unwrap())
    }

    #[tokio::test]
    async fn datafusion_settings_and_the_memory_limit_reach_the_session() {
        let (_dir, lake) = lake().await;
        let mut config = Config::load(None).unwrap();
        config.engine.memory_limit_mb = 64;
        config.engine.datafusion.insert(
            "datafusion.optimizer.join_reordering".into(),
            "false".into(),
        );
        let ctx = session(&config, &lake, &[]).await.unwrap();
        let state = ctx.state();
        assert!(!state.config().options().optimizer.join_reordering);
        let pool = state.runtime_env().memory_pool.memory_limit();
        assert!(
            matches!(pool, datafusion::execution::memory_pool::MemoryLimit::Finite(n) if n == 64 << 20),
            "the pool is not limited to 64 MiB"
        );
    }

    #[tokio::test]
    async fn an_unknown_datafusion_setting_is_an_error_naming_it() {
        let (_dir, lake) = lake().await;
        let mut config = Config::load(None).unwrap();
        config
            .engine
            .datafusion
            .insert("datafusion.optimizer.no_such_thing".into(), "1".into());
        let Err(error) = session(&config, &lake, &[]).await else {
            panic!("an unknown setting was accepted");
        };
        let error = error.to_string();
        assert!(
            error.contains("[engine.datafusion] datafusion.optimizer.no_such_thing"),
            "{error}"
        );
    }
}
