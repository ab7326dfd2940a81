//! Generates a synthetic city and prints the rows written per table.
//!
//! `cargo run -p skillbrain-datasets --example generate_city -- <out> [workers] [assessments] [format] [seed]`

use std::process::ExitCode;

use skillbrain_datasets::{Format, GenerateOptions, Reference, generate};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("usage: generate_city <out> [workers] [assessments] [parquet|csv|ndjson] [seed]");
        return ExitCode::FAILURE;
    };
    let number = |i: usize| args.get(i).and_then(|s| s.parse::<u64>().ok());
    let mut opts = GenerateOptions::new(out, number(1).unwrap_or(10_000));
    opts.assessments = number(2);
    opts.seed = number(4).unwrap_or(42);
    opts.progress = true;
    if let Some(format) = args.get(3) {
        match format.parse::<Format>() {
            Ok(f) => opts.format = f,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    match generate(&opts, &Reference::embedded()) {
        Ok(summary) => {
            for (table, rows) in &summary.rows {
                println!("{:<28} {rows:>12}", table.name());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
