//! Decoding an export: the raw table opened as the config says, every record mapped,
//! the batches grouped by table in the mapping's landing order and the rejected records
//! turned into quarantine rows of `assessment_results`.

use super::{ExportConfig, ExportInput, NAME};
use crate::connector::{DecodeContext, Decoded, SharedRows, TableBatches, bad_config};
use crate::error::Result;
use crate::mapping::{MappingContext, map_records};
use crate::quarantine::Quarantined;
use crate::raw::open_raw;
use crate::schema::Table;

/// Reads `input` whole through its mapping.
pub(super) fn decode(
    config: &ExportConfig,
    ctx: &DecodeContext<'_>,
    input: ExportInput,
) -> Result<Decoded> {
    let ExportInput { path, mapping } = input;
    if !config.mapping.is_empty() && config.mapping != mapping.name() {
        return Err(bad_config(
            NAME,
            format!(
                "the config names mapping '{}' but {} is read through '{}'",
                config.mapping,
                path.display(),
                mapping.name()
            ),
        ));
    }
    let Some(pseudonymizer) = ctx.pseudonymizer else {
        return Err(bad_config(
            NAME,
            format!(
                "{}: an export through mapping '{}' needs the pseudonymisation secret",
                path.display(),
                mapping.name()
            ),
        ));
    };
    let raw = open_raw(&path, config.format, &config.raw_options()?)?;
    let mapping_ctx = MappingContext {
        codes: ctx.codes,
        pseudonymizer,
        region_of_enterprise: None,
    };
    let mapped = map_records(raw, &mapping, &mapping_ctx, ctx.read.batch_rows)?;
    let rows: Vec<Quarantined> = (mapped.rejects.iter())
        .map(Quarantined::from_mapping)
        .collect();
    let mut tables: Vec<_> = (mapping.tables().into_iter())
        .map(|table| (table, Vec::new()))
        .collect();
    for (table, batch) in mapped.batches {
        if let Some((_, batches)) = tables.iter_mut().find(|(t, _)| *t == table) {
            batches.push(batch);
        }
    }
    Ok(Decoded {
        tables: (tables.into_iter())
            .map(|(table, batches)| (table, TableBatches::InMemory(batches)))
            .collect(),
        quarantine_table: Table::AssessmentResults,
        quarantined: SharedRows::new(rows),
    })
}
