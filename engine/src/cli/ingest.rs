//! `generate` and `ingest`: writing a synthetic city and landing files in the lake.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use skillbrain_connectors::Table;
use skillbrain_connectors::file::{FileFormat, FileReadOptions, read_file};
use skillbrain_datasets::generate::{Format, GenerateOptions, generate as generate_city};
use skillbrain_datasets::reference::Reference;

use crate::cli::{Context, GenerateArgs, IngestArgs};
use crate::lake::AppendOutcome;

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

/// Lands one file in its table as one commit.
pub async fn ingest_file(
    ctx: &Context,
    table: Table,
    path: &Path,
    format: Option<FileFormat>,
) -> anyhow::Result<AppendOutcome> {
    let opts = FileReadOptions {
        batch_rows: ctx.config.engine.batch_rows,
    };
    let source = read_file(table, path, format, &opts)?;
    Ok(ctx.lake.append_stream(table, source, None).await?)
}

/// Lands every file as `ingest` asks; stops at the first bad file.
pub async fn ingest(ctx: &Context, args: &IngestArgs) -> anyhow::Result<()> {
    let format = args
        .format
        .as_deref()
        .map(str::parse::<FileFormat>)
        .transpose()?;
    let files = expand(&args.files)?;
    if files.is_empty() {
        bail!("no file to ingest");
    }
    let mut jobs = Vec::with_capacity(files.len());
    for f in &files {
        jobs.push((table_of(f, args.table.as_deref())?, f.clone()));
    }
    jobs.sort_by_key(|(t, _)| Table::ALL.iter().position(|x| x == t));
    let (mut accepted, mut duplicates) = (0u64, 0u64);
    let started = Instant::now();
    for (table, file) in jobs {
        let t0 = Instant::now();
        let out = ingest_file(ctx, table, &file, format).await?;
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "{}: {} accepted, {} duplicates -> {} v{} ({:.0} rows/s)",
            file.display(),
            out.accepted,
            out.duplicates,
            table.name(),
            out.version,
            (out.accepted + out.duplicates) as f64 / secs.max(1e-9)
        );
        accepted += out.accepted;
        duplicates += out.duplicates;
    }
    println!(
        "ingested {accepted} rows ({duplicates} duplicates skipped) in {:.2}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
