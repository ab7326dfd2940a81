use std::fs::File;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use skillbrain_connectors::Table;

use super::super::rng::round1;
use super::*;

#[test]
fn format_parses_from_its_name() {
    assert_eq!("parquet".parse::<Format>().unwrap(), Format::Parquet);
    assert_eq!("CSV".parse::<Format>().unwrap(), Format::Csv);
    assert_eq!("ndjson".parse::<Format>().unwrap().ext(), "ndjson");
    assert!(matches!(
        "xlsx".parse::<Format>(),
        Err(Error::UnknownFormat(_))
    ));
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    let reference = Reference::embedded();
    for format in [Format::Parquet, Format::Csv, Format::Ndjson] {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        generate(&opts(a.path(), 400, 7, format), &reference).unwrap();
        generate(&opts(b.path(), 400, 7, format), &reference).unwrap();
        generate(&opts(c.path(), 400, 8, format), &reference).unwrap();
        let (fa, fb, fc) = (
            city_files(a.path()),
            city_files(b.path()),
            city_files(c.path()),
        );
        assert_eq!(fa.len(), 9);
        assert!(fa == fb, "{format}: same seed, different bytes");
        for ((name, x), (_, y)) in fa.iter().zip(&fc) {
            assert_ne!(x, y, "{format}: {name} did not change with the seed");
        }
    }
}

#[test]
fn every_table_is_written_and_reads_back_with_the_canonical_schema() {
    let reference = Reference::embedded();
    for format in [Format::Parquet, Format::Csv, Format::Ndjson] {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(&opts(dir.path(), 300, 1, format), &reference).unwrap();
        assert_eq!(summary.rows.len(), 9);
        for (i, table) in Table::ALL.into_iter().enumerate() {
            let path = dir
                .path()
                .join(format!("{}.{}", table.name(), format.ext()));
            assert_eq!(summary.files[i], path);
            let expected = summary.rows_of(table);
            assert!(expected > 0, "{table} is empty");
            let schema = table.schema();
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            let rows = match format {
                Format::Parquet => {
                    let reader =
                        ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap())
                            .unwrap();
                    assert_eq!(reader.schema().fields(), schema.fields(), "{table}");
                    reader
                        .build()
                        .unwrap()
                        .map(|b| b.unwrap().num_rows() as u64)
                        .sum()
                }
                Format::Csv => {
                    let text = std::fs::read_to_string(&path).unwrap();
                    assert!(!text.starts_with('\u{feff}'));
                    let rows = Rows::read(dir.path(), table);
                    assert_eq!(rows.header, names, "{table}");
                    rows.rows.len() as u64
                }
                Format::Ndjson => {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for line in text.lines() {
                        let v: serde_json::Map<String, serde_json::Value> =
                            serde_json::from_str(line).unwrap();
                        let keys: Vec<&str> = v.keys().map(String::as_str).collect();
                        let mut sorted = names.clone();
                        sorted.sort();
                        assert_eq!(keys, sorted, "{table}");
                    }
                    text.lines().count() as u64
                }
            };
            assert_eq!(rows, expected, "{format} {table}");
        }
    }
}

#[test]
fn csv_cells_use_the_agreed_text_forms() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        &opts(dir.path(), 200, 3, Format::Csv),
        &Reference::embedded(),
    )
    .unwrap();
    let results = Rows::read(dir.path(), Table::AssessmentResults);
    let taken = results.values("taken_at").next().unwrap().to_string();
    assert_eq!(taken.len(), "2025-06-01T08:30:00.000000Z".len(), "{taken}");
    assert!(taken.ends_with('Z') && taken.contains('T'));
    assert!(
        results
            .values("passed")
            .all(|v| v == "true" || v == "false")
    );
    assert!(
        results
            .values("channel")
            .all(|v| v == "mobile" || v == "onsite")
    );
    for v in results.values("total_score") {
        let x: f64 = v.parse().unwrap();
        assert_eq!(format!("{}", round1(x)), v);
    }
    let certs = Rows::read(dir.path(), Table::Certifications);
    let (level, order) = (certs.col("level"), certs.col("ladder_order"));
    for r in &certs.rows {
        let step: u8 = r[order].parse().unwrap();
        assert_eq!(
            r[level].is_empty(),
            matches!(step, 1 | 7 | 8),
            "step {step} level '{}'",
            &r[level]
        );
    }
}

#[test]
fn a_small_city_and_zero_workers() {
    let reference = Reference::embedded();
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&opts(dir.path(), 20, 1, Format::Parquet), &reference).unwrap();
    assert_eq!(summary.rows_of(Table::AssessmentResults), 60);
    assert!(matches!(
        generate(&opts(dir.path(), 0, 1, Format::Parquet), &reference),
        Err(Error::InvalidOption(_))
    ));
}
