//! The shipped mapping over a GBK CSV export and the same export as an XLSX workbook.

use rust_xlsxwriter::{Workbook, XlsxError};

use super::*;

fn export() -> MappedOutput {
    map(csv("成绩导出.csv", gbk(EXPORT)), &shipped()).expect("mapped")
}

#[test]
fn good_rows_become_canonical_rows_of_three_tables() {
    let out = export();
    assert_eq!(out.rows_read, 4);
    assert_eq!(out.rows_accepted(), 2);
    let tables: Vec<Table> = out.batches.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        tables,
        [
            Table::Workers,
            Table::AssessmentResults,
            Table::AssessmentDimensionScores
        ]
    );
    let t1 = "2026-11-27T16:00:00Z";
    let t2 = "2026-11-28T01:30:00Z";
    let results: &[&[&str]] = &[
        &[
            ZHANG_EVENT,
            ZHANG_EVENT,
            ZHANG,
            "正泰电器",
            "330382",
            "6-25-04-04",
            "",
            "3",
            "onsite",
            t1,
            "86.5",
            "100.0",
            "true",
        ],
        &[
            OUYANG_EVENT,
            OUYANG_EVENT,
            OUYANG,
            "德力西电气",
            "330302",
            "6-25-04-04",
            "",
            "4",
            "onsite",
            t2,
            "58.0",
            "100.0",
            "false",
        ],
    ];
    assert_eq!(rows(&out, Table::AssessmentResults), owned(results));
    let workers: &[&[&str]] = &[
        &[
            ZHANG,
            "张*明",
            "M",
            "1990",
            "330382",
            "正泰电器",
            "",
            "6-25-04-04",
            t1,
        ],
        &[
            OUYANG,
            "欧**娜",
            "F",
            "1985",
            "330302",
            "德力西电气",
            "",
            "6-25-04-04",
            t2,
        ],
    ];
    assert_eq!(rows(&out, Table::Workers), owned(workers));
    let dimensions: &[&[&str]] = &[
        &[ZHANG_EVENT, "LSR-01", "90.0", "100.0"],
        &[ZHANG_EVENT, "LSR-02", "85.0", "100.0"],
        &[ZHANG_EVENT, "LSR-03", "80.0", "100.0"],
        &[ZHANG_EVENT, "LSR-04", "88.0", "100.0"],
        &[ZHANG_EVENT, "LSR-05", "86.0", "100.0"],
        // 气路风门装调 (LSR-03) is empty: no row.
        &[OUYANG_EVENT, "LSR-01", "60.0", "100.0"],
        &[OUYANG_EVENT, "LSR-02", "55.0", "100.0"],
        &[OUYANG_EVENT, "LSR-04", "62.0", "100.0"],
        &[OUYANG_EVENT, "LSR-05", "50.0", "100.0"],
    ];
    assert_eq!(
        rows(&out, Table::AssessmentDimensionScores),
        owned(dimensions)
    );
}

#[test]
fn bad_id_and_unknown_occupation_are_rejected_whole() {
    let out = export();
    assert_eq!(out.rejects.len(), 2);
    let id = &out.rejects[0];
    assert_eq!(
        (id.source.as_str(), id.line, id.column.as_str()),
        ("成绩导出.csv", 4, "身份证号")
    );
    assert_eq!(id.raw_value, "330324********4512");
    assert!(id.reason.contains("check character"), "{}", id.reason);
    let occupation = &out.rejects[1];
    assert_eq!((occupation.line, occupation.column.as_str()), (5, "工种"));
    assert_eq!(occupation.raw_value, "电焊工");
    assert!(
        occupation.reason.contains("unknown occupation '电焊工'"),
        "{}",
        occupation.reason
    );
    // Neither rejected record left a row in any table: only the two good workers.
    let workers = column(&out, Table::Workers, "worker_id");
    assert_eq!(workers, [ZHANG, OUYANG]);
    let events = column(&out, Table::AssessmentDimensionScores, "event_id");
    assert!(events.iter().all(|e| e == ZHANG_EVENT || e == OUYANG_EVENT));
}

#[test]
fn the_raw_national_id_appears_nowhere() {
    let out = export();
    let mut texts = vec![format!("{out:?}")];
    for (_, batch) in &out.batches {
        for array in batch.columns() {
            for row in 0..batch.num_rows() {
                texts.push(display(array, row));
            }
        }
    }
    for r in &out.rejects {
        texts.extend([&r.source, &r.column, &r.raw_value, &r.reason].map(String::clone));
    }
    for id in IDS {
        // The whole number, and its birth date part, which the masked form hides.
        for needle in [id, &id[6..14]] {
            assert!(
                texts.iter().all(|t| !t.contains(needle)),
                "{needle} is in the output"
            );
        }
    }
}

#[test]
fn the_same_file_mapped_twice_gives_the_same_event_ids() {
    let first = column(&export(), Table::AssessmentResults, "event_id");
    let second = column(&export(), Table::AssessmentResults, "event_id");
    assert_eq!(first, [ZHANG_EVENT, OUYANG_EVENT]);
    assert_eq!(first, second);
}

#[test]
fn small_batches_stay_grouped_by_table() {
    let (codes, pseudonymizer) = (codes(), pseudonymizer());
    let ctx = MappingContext {
        codes: &codes,
        pseudonymizer: &pseudonymizer,
        region_of_enterprise: None,
    };
    let raw = csv("成绩导出.csv", gbk(EXPORT));
    let out = map_records(raw, &shipped(), &ctx, 2).expect("mapped");
    let sizes: Vec<(Table, usize)> = (out.batches.iter())
        .map(|(t, b)| (*t, b.num_rows()))
        .collect();
    let dims = Table::AssessmentDimensionScores;
    assert_eq!(
        sizes,
        [
            (Table::Workers, 2),
            (Table::AssessmentResults, 2),
            (dims, 2),
            (dims, 2),
            (dims, 2),
            (dims, 2),
            (dims, 1)
        ]
    );
    assert_eq!(rows(&out, dims), rows(&export(), dims));
}

/// The CSV export as a workbook: numbers as numbers, 考核日期 as Excel serial days
/// without a date format (46354 is 2026-11-28; .395833… is 09:30).
fn workbook() -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let lines: Vec<Vec<&str>> = EXPORT.lines().map(|l| l.split(',').collect()).collect();
    for (r, fields) in lines.iter().enumerate() {
        for (c, field) in fields.iter().enumerate() {
            let (row, col) = (r as u32, c as u16);
            let date_column = c == 6;
            match field.parse::<f64>() {
                _ if field.is_empty() => {}
                _ if date_column && r > 0 => {
                    let serial = if field.contains("09:30") {
                        46354.0 + 9.5 / 24.0
                    } else {
                        46354.0
                    };
                    sheet.write_number(row, col, serial)?;
                }
                // National IDs are text in any export that keeps them whole.
                Ok(n) if c != 1 => {
                    sheet.write_number(row, col, n)?;
                }
                _ => {
                    sheet.write_string(row, col, *field)?;
                }
            }
        }
    }
    book.save_to_buffer()
}

#[test]
fn an_xlsx_export_with_excel_serial_dates_maps_the_same() {
    let bytes = workbook().expect("a workbook");
    let raw = read_raw_bytes(
        "成绩导出.xlsx",
        bytes,
        RawFormat::Xlsx,
        &RawOptions::default(),
    )
    .expect("a raw table");
    let out = map(raw, &shipped()).expect("mapped");
    let csv = export();
    for table in shipped().tables() {
        assert_eq!(rows(&out, table), rows(&csv, table), "{table}");
    }
    let rejects: Vec<(u64, &str, &str)> = (out.rejects.iter())
        .map(|r| (r.line, r.column.as_str(), r.raw_value.as_str()))
        .collect();
    assert_eq!(
        rejects,
        [(4, "身份证号", "330324********4512"), (5, "工种", "电焊工")]
    );
}
