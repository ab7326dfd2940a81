//! `generate` and `ingest`: writing a synthetic city and landing files in the lake
//! (canonical files, or exports through a column mapping), rejected rows quarantined.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use skillbrain_connectors::Table;
use skillbrain_connectors::file::FileFormat;
use skillbrain_connectors::raw::{Encoding, RawFormat, RawOptions};
use skillbrain_datasets::generate::{Format, GenerateOptions, generate as generate_city};
use skillbrain_datasets::reference::Reference;

use crate::cli::{Context, GenerateArgs, IngestArgs};
use crate::ingest::files::{FileKind, FileReport, Lander};

/// Writes a synthetic city as `generate` asks.
pub fn generate(args: &GenerateArgs) -> anyhow::Result<()> {
    let format: Format = args.format.parse()?;
    let opts = GenerateOptions {
        workers: args.workers,
        seed: args.seed,
        out: args.out.clone(),
        format,
        assessments: args.assessments,
        progress: true,
    };
    let started = Instant::now();
    let summary = generate_city(&opts, &Reference::embedded())?;
    for (table, rows) in &summary.rows {
        println!("{:<30} {rows:>12} rows", table.name());
    }
    println!(
        "city written to {} in {:.1}s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The files named on the command line, folders expanded (sorted, canonical tables first
/// in their usual order when the table comes from the file name).
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file())
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn table_of(path: &Path, explicit: Option<&str>) -> anyhow::Result<Table> {
    if let Some(t) = explicit {
        return Ok(t.parse()?);
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    stem.parse().with_context(|| {
        format!(
            "{}: cannot tell the table from the file name; pass --table",
            path.display()
        )
    })
}

/// Exit status of `ingest` when every file landed but some rows were rejected (and
/// quarantined); an error is 1.
pub const EXIT_ROWS_REJECTED: u8 = 2;

/// `ingest` landed every file, but some rows were rejected and quarantined.
#[derive(Debug)]
pub struct RowsRejected(pub u64);

impl std::fmt::Display for RowsRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} rows were rejected and quarantined; `skillbrain quarantine` lists them",
            self.0
        )
    }
}

impl std::error::Error for RowsRejected {}

/// How the files of `ingest` are read.
fn kind_of(lander: &Lander, args: &IngestArgs, path: &Path) -> anyhow::Result<FileKind> {
    if let Some(name) = &args.mapping {
        let format = args
            .format
            .as_deref()
            .map(str::parse::<RawFormat>)
            .transpose()?;
        let options = RawOptions {
            encoding: args
                .encoding
                .as_deref()
                .map(str::parse::<Encoding>)
                .transpose()?,
            sheet: args.sheet.clone(),
            delimiter: None,
        };
        return Ok(FileKind::Export {
            mapping: lander.mapping(name)?,
            format,
            options,
        });
    }
    if args.encoding.is_some() || args.sheet.is_some() {
        bail!("--encoding and --sheet are for exports read through --mapping");
    }
    let format = args
        .format
        .as_deref()
        .map(str::parse::<FileFormat>)
        .transpose()?;
    let is_sheet = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"));
    if is_sheet && format.is_none() {
        bail!(
            "{}: a spreadsheet is an export; name its column mapping with --mapping \
             (built in: assessment_export)",
            path.display()
        );
    }
    Ok(FileKind::Canonical {
        table: table_of(path, args.table.as_deref())?,
        format,
    })
}

/// Prints what landing a file did, and its first rejections.
pub fn print_report(report: &FileReport, secs: f64) {
    let tables: Vec<String> = (report.tables.iter())
        .map(|t| format!("{} v{}", t.table, t.version))
        .collect();
    println!(
        "{}: {} accepted, {} rejected, {} duplicates -> {} ({:.0} rows/s)",
        report.file,
        report.accepted(),
        report.rejected,
        report.duplicates(),
        tables.join(", "),
        (report.accepted() + report.duplicates() + report.rejected) as f64 / secs.max(1e-9)
    );
    for r in &report.first_rejects {
        let at = r.line.map(|l| format!("line {l}")).unwrap_or_default();
        let column = (r.column.as_deref())
            .map(|c| format!(", column '{c}'"))
            .unwrap_or_default();
        println!("  rejected {}: {at}{column}: {}", r.source, r.reason);
    }
    if report.rejected > report.first_rejects.len() as u64 {
        println!(
            "  ... and {} more; `skillbrain quarantine --table {}` lists them all",
            report.rejected - report.first_rejects.len() as u64,
            quarantine_table(report)
        );
    }
}

/// The table whose quarantine holds a report's rejections.
fn quarantine_table(report: &FileReport) -> &str {
    if report.read_as.starts_with("mapping ") {
        Table::AssessmentResults.name()
    } else {
        &report.read_as
    }
}

/// Lands every file as `ingest` asks. A file that cannot be landed at all is reported
/// and the others still land; the command then fails. Rows rejected are quarantined
/// and make the command end with [`RowsRejected`].
pub async fn ingest(ctx: &Context, args: &IngestArgs) -> anyhow::Result<()> {
    let lander = Lander::from_config(&ctx.config, ctx.lake.clone())?;
    let files = expand(&args.files)?;
    if files.is_empty() {
        bail!("no file to ingest");
    }
    let mut jobs = Vec::with_capacity(files.len());
    for f in &files {
        jobs.push((kind_of(&lander, args, f)?, f.clone()));
    }
    jobs.sort_by_key(|(kind, _)| match kind {
        FileKind::Canonical { table, .. } => Table::ALL.iter().position(|x| x == table),
        FileKind::Export { .. } => None,
    });
    let (mut accepted, mut duplicates, mut rejected) = (0u64, 0u64, 0u64);
    let mut failed = Vec::new();
    let started = Instant::now();
    for (kind, file) in jobs {
        let t0 = Instant::now();
        match lander.land(&file, &kind).await {
            Ok(report) => {
                print_report(&report, t0.elapsed().as_secs_f64());
                accepted += report.accepted();
                duplicates += report.duplicates();
                rejected += report.rejected;
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed.push(file.display().to_string());
            }
        }
    }
    println!(
        "ingested {accepted} rows ({rejected} rejected and quarantined, {duplicates} duplicates \
         skipped) in {:.2}s",
        started.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        bail!(
            "{} of {} files could not be landed: {}",
            failed.len(),
            files.len(),
            failed.join(", ")
        );
    }
    if rejected > 0 {
        return Err(RowsRejected(rejected).into());
    }
    Ok(())
}
