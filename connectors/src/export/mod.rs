//! The export connector: a spreadsheet a person made (CSV in UTF-8 or GBK, XLSX) read
//! through a [column mapping](crate::mapping) into `workers`, `assessment_results` and
//! `assessment_dimension_scores` rows. An export is read whole; each rejected record is
//! quarantined in `assessment_results`' quarantine, named by the file and its line (or
//! sheet row) with the source header to blame.
//!
//! # Layout
//! - `mod.rs`: [`ExportConnector`], its [`ExportConfig`] and [`ExportInput`].
//! - `source.rs`: decoding: the [raw table](crate::raw) opened, mapped with
//!   [`map_records`](crate::mapping::map_records), rejects turned into quarantine rows.
//! - `tests.rs`: a small export through a mapping written in the test.

mod source;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::connector::{Connector, DecodeContext, Decoded, bad_config};
use crate::error::Result;
use crate::mapping::Mapping;
use crate::raw::{Encoding, RawFormat, RawOptions};

/// The export connector.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportConnector;

/// How an export is read; every value left out is detected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportConfig {
    /// The name of the column mapping the export is read through (the mapping itself
    /// comes with the [`ExportInput`]); when given, it must be the input's.
    pub mapping: String,
    /// The container; `None` takes it from the extension.
    pub format: Option<RawFormat>,
    /// CSV: the text encoding.
    pub encoding: Option<Encoding>,
    /// XLSX: the sheet; `None` reads the first visible worksheet.
    pub sheet: Option<String>,
    /// CSV: the delimiter, an ASCII character.
    pub delimiter: Option<char>,
}

impl ExportConfig {
    /// The config that reads an export through `mapping` as `format` and `options` say.
    pub fn new(mapping: &Mapping, format: Option<RawFormat>, options: &RawOptions) -> Self {
        ExportConfig {
            mapping: mapping.name().to_owned(),
            format,
            encoding: options.encoding,
            sheet: options.sheet.clone(),
            delimiter: options.delimiter.map(char::from),
        }
    }

    /// How the raw table is read.
    pub fn raw_options(&self) -> Result<RawOptions> {
        let delimiter = match self.delimiter {
            Some(c) => Some(u8::try_from(c).ok().filter(u8::is_ascii).ok_or_else(|| {
                bad_config(NAME, format!("delimiter '{c}' is not an ASCII character"))
            })?),
            None => None,
        };
        Ok(RawOptions {
            encoding: self.encoding,
            sheet: self.sheet.clone(),
            delimiter,
        })
    }
}

/// An export and the mapping it is read through.
#[derive(Debug, Clone)]
pub struct ExportInput {
    /// The file; errors and quarantine rows name it as written.
    pub path: PathBuf,
    /// The column mapping.
    pub mapping: Arc<Mapping>,
}

/// The connector's name.
const NAME: &str = "export";

impl Connector for ExportConnector {
    type Config = ExportConfig;
    type Input = ExportInput;

    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "an export (CSV in UTF-8 or GBK, XLSX) read through a column mapping into workers, \
         assessment_results and assessment_dimension_scores"
    }

    fn decode(
        &self,
        config: &ExportConfig,
        ctx: &DecodeContext<'_>,
        input: ExportInput,
    ) -> Result<Decoded> {
        source::decode(config, ctx, input)
    }
}
