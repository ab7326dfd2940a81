//! Tests of the generator: the files (formats, determinism, schemas), referential
//! integrity, and whether the city looks like the design says it should.

use std::path::Path;

use skillbrain_connectors::Table;

use super::*;

mod files;
mod integrity;
mod realism;

fn opts(dir: &Path, workers: u64, seed: u64, format: Format) -> GenerateOptions {
    GenerateOptions {
        workers,
        seed,
        out: dir.to_path_buf(),
        format,
        assessments: None,
        progress: false,
    }
}

fn city_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A CSV table read back: header and records.
struct Rows {
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Rows {
    fn read(dir: &Path, table: Table) -> Rows {
        let mut r = csv::Reader::from_path(dir.join(format!("{}.csv", table.name()))).unwrap();
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r.records().map(Result::unwrap).collect();
        Rows { header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let c = self.col(name);
        self.rows.iter().map(move |r| &r[c])
    }
}
