//! An XLSX workbook as a raw table (`read_raw_bytes` with the xlsx format), every record
//! read to the end or the first error. Never a panic; every record is as wide as the
//! header.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use skillbrain_connectors::raw::{RawFormat, RawOptions, read_raw_bytes};

fuzz_target!(|data: &[u8]| {
    common::run(|| {
        let opts = RawOptions::default();
        let Ok(table) = read_raw_bytes("fuzz.xlsx", data.to_vec(), RawFormat::Xlsx, &opts) else {
            return;
        };
        let width = table.headers.len();
        for record in table {
            match record {
                Ok(record) => assert_eq!(record.fields.len(), width, "row {}", record.line),
                Err(_) => break,
            }
        }
    });
});
