//! Raw tables from fixtures built in the tests: CSV in GBK and UTF-8, XLSX workbooks
//! written here, and files that are neither; every error a person sees.

mod csv_files;
mod encodings;
mod xlsx_files;

use super::*;

/// An assessment export as a training centre sends it.
const EXPORT: &str = "姓名,身份证号,单位,工种,技能等级,考核日期,总分\n\
    张三,330382199001011234,正泰电器,电工,高级工,2025-06-01,88\n\
    李四,33038219920202123X,德力西,焊工,三级,2025-06-02,92.5\n";

/// The export's headers.
const EXPORT_HEADERS: [&str; 7] = [
    "姓名",
    "身份证号",
    "单位",
    "工种",
    "技能等级",
    "考核日期",
    "总分",
];

/// `text` in GBK, as Excel in China saves "CSV".
fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable, "{text} has characters GB18030 cannot encode");
    bytes.into_owned()
}

/// Reads CSV bytes named `t.csv`.
fn read_csv(bytes: impl Into<Vec<u8>>, opts: &RawOptions) -> Result<RawTable> {
    read_raw_bytes("t.csv", bytes.into(), RawFormat::Csv, opts)
}

/// Reads CSV bytes named `t.csv` as [`open_raw`] reads a file: the encoding detected
/// from the head, the rest decoded as it streams.
fn streamed(bytes: Vec<u8>, opts: &RawOptions) -> Result<RawTable> {
    let mut input = std::io::Cursor::new(bytes);
    let (head, eof) = detect::read_head(&mut input).unwrap();
    super::csv::open("t.csv".into(), head, eof, input, opts)
}

/// Reads CSV bytes with everything detected.
fn detect(bytes: impl Into<Vec<u8>>) -> Result<RawTable> {
    read_csv(bytes, &RawOptions::default())
}

/// The records of `table` as (line, fields), up to the first error.
fn rows(table: RawTable) -> Result<Vec<(u64, Vec<String>)>> {
    table.map(|r| r.map(|r| (r.line, r.fields))).collect()
}

/// The records of `table` that were read before its error, and the error.
fn rows_then_error(table: RawTable) -> (Vec<RawRecord>, Error) {
    let mut read = Vec::new();
    for record in table {
        match record {
            Ok(record) => read.push(record),
            Err(e) => return (read, e),
        }
    }
    panic!("expected an error after {} records", read.len());
}

/// A row of strings, for comparing with fields.
fn strings(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| f.to_string()).collect()
}

/// The line of a record-level error, and its message.
fn line_of(e: &Error) -> u64 {
    match e {
        Error::BadRecord { line, .. } => *line,
        other => panic!("expected a record error, got {other:?}"),
    }
}

#[test]
fn column_letters_count_like_a_spreadsheet() {
    let letters: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702, 16_383]
        .into_iter()
        .map(xlsx::column_letter)
        .collect();
    assert_eq!(
        letters,
        ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]
    );
}

#[test]
fn encodings_and_formats_parse_by_their_names() {
    for (name, encoding) in [
        ("utf-8", Encoding::Utf8),
        ("UTF8", Encoding::Utf8),
        ("gb18030", Encoding::Gb18030),
        ("GBK", Encoding::Gb18030),
        ("gb2312", Encoding::Gb18030),
        ("cp936", Encoding::Gb18030),
    ] {
        assert_eq!(name.parse::<Encoding>().unwrap(), encoding, "{name}");
    }
    let e = "latin1".parse::<Encoding>().unwrap_err();
    assert!(e.to_string().contains("unknown encoding 'latin1'"), "{e}");
    for (name, format) in [
        ("csv", RawFormat::Csv),
        ("TXT", RawFormat::Csv),
        ("tsv", RawFormat::Csv),
        ("xlsx", RawFormat::Xlsx),
        ("XLSM", RawFormat::Xlsx),
    ] {
        assert_eq!(name.parse::<RawFormat>().unwrap(), format, "{name}");
    }
    assert!(matches!(
        "pdf".parse::<RawFormat>(),
        Err(Error::UnknownRawFormat(_))
    ));
    let from_path = |p: &str| RawFormat::from_path(std::path::Path::new(p));
    assert_eq!(from_path("成绩.CSV").unwrap(), RawFormat::Csv);
    assert_eq!(from_path("a/b.xlsx").unwrap(), RawFormat::Xlsx);
    let e = from_path("成绩.xls").unwrap_err().to_string();
    assert!(e.contains("legacy Excel .xls"), "{e}");
    let e = from_path("成绩").unwrap_err().to_string();
    assert!(e.contains("cannot tell the format"), "{e}");
    assert_eq!(Encoding::Gb18030.to_string(), "gb18030");
    assert_eq!(RawFormat::Xlsx.to_string(), "xlsx");
}
