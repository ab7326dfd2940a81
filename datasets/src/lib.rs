//! skillbrain-datasets: the reference data every connector and model resolves codes
//! against, and a synthetic city generator that writes all nine canonical tables.
//!
//! The reference data of Wenzhou (温州市) is compiled in: its twelve districts (GB/T 2260),
//! occupations of the national occupational classification (2022), the eight-step skill
//! ladder with the five national levels, each occupation's weighted ability dimensions,
//! training courses, and the trade unions' programme targets (`programme_targets.csv`;
//! the ones stated in the source article are Shenyang's, region 210100). Another city
//! is the same CSV files in a folder.
//!
//! ```no_run
//! use skillbrain_datasets::{generate, Format, GenerateOptions, Reference};
//!
//! let reference = Reference::embedded();
//! let mut opts = GenerateOptions::new("city", 10_000);
//! opts.format = Format::Csv;
//! let summary = generate(&opts, &reference)?;
//! println!("{:?}", summary.rows);
//! # Ok::<(), skillbrain_datasets::Error>(())
//! ```
//!
//! # Layout
//! - [`reference`](mod@reference): typed reference tables ([`Reference`], [`Region`],
//!   [`Occupation`], [`SkillLevel`], [`Dimension`], [`Course`]), loaded from the
//!   embedded CSVs in `data/` or from a folder; [`embedded_csv`] gives the raw CSVs.
//! - [`generate`](mod@generate): the synthetic city generator ([`generate()`],
//!   [`GenerateOptions`], [`Format`]); its modules build the city model, draw from a
//!   seeded generator and stream Arrow batches to Parquet, CSV or NDJSON.
//! - [`error`]: the crate's [`Error`] and [`Result`].

pub mod error;
pub mod generate;
pub mod reference;

pub use error::{Error, Result};
pub use generate::{Format, GenerateOptions, GenerateSummary, generate};
pub use reference::{
    Course, Dimension, Occupation, Reference, Region, RegionLevel, SkillLevel, embedded_csv,
};
