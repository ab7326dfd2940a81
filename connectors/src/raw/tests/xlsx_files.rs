//! XLSX sheets written here, and files with an .xlsx name that are not workbooks.

use std::io::Write;

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, XlsxError};

use super::*;

fn xlsx(bytes: Vec<u8>, sheet: Option<&str>) -> Result<RawTable> {
    let opts = RawOptions {
        sheet: sheet.map(String::from),
        ..RawOptions::default()
    };
    read_raw_bytes("t.xlsx", bytes, RawFormat::Xlsx, &opts)
}

fn build() -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let time = Format::new().set_num_format("hh:mm:ss");
    let bold = Format::new().set_bold();

    let sheet = book.add_worksheet();
    sheet.set_name("成绩")?;
    // Row 1 empty; the header on row 2, padded as people type it.
    for (col, name) in [
        "姓名",
        " 工种\u{3000}",
        "总分",
        "合格",
        "考核日期",
        "开始时间",
        "\u{feff}备注",
    ]
    .into_iter()
    .enumerate()
    {
        sheet.write_string(1, col as u16, name)?;
    }
    sheet.write_string(2, 0, "张三")?;
    sheet.write_string(2, 1, "电工")?;
    sheet.write_number(2, 2, 88)?;
    sheet.write_boolean(2, 3, true)?;
    sheet.write_datetime_with_format(2, 4, ExcelDateTime::from_ymd(2025, 6, 1)?, &date)?;
    sheet.write_datetime_with_format(2, 5, ExcelDateTime::from_hms(8, 30, 0)?, &time)?;
    // Row 4 empty, between records.
    sheet.write_string(4, 0, "李四")?;
    sheet.write_string(4, 1, "焊工")?;
    sheet.write_number(4, 2, 92.5)?;
    sheet.write_boolean(4, 3, false)?;
    let taken = ExcelDateTime::from_ymd(2025, 6, 2)?.and_hms(13, 45, 0)?;
    sheet.write_datetime_with_format(4, 4, taken, &datetime)?;
    sheet.write_string(4, 6, "补考")?;
    sheet.write_number(5, 0, 330_382_199_001_011_234_f64)?;
    sheet.write_number(5, 2, 0.1)?;
    // Formatted but empty cells below: blank rows at the end.
    sheet.write_blank(8, 0, &bold)?;
    sheet.write_string(9, 2, " ")?;

    let sheet = book.add_worksheet();
    sheet.set_name("附表")?;
    sheet.write_string(0, 1, "单位")?;
    sheet.write_string(0, 2, "人数")?;
    sheet.write_string(1, 1, "正泰")?;
    sheet.write_number(1, 2, 12)?;

    let sheet = book.add_worksheet();
    sheet.set_name("错误")?;
    sheet.write_string(0, 0, "姓名")?;
    sheet.write_string(0, 1, "总分")?;
    sheet.write_string(1, 0, "张三")?;
    sheet.write_formula(1, 1, Formula::new("=1/0").set_result("#DIV/0!"))?;

    let sheet = book.add_worksheet();
    sheet.set_name("无表头")?;
    sheet.write_string(0, 0, "姓名")?;
    sheet.write_string(1, 0, "张三")?;
    sheet.write_string(1, 2, "备注")?;

    let sheet = book.add_worksheet();
    sheet.set_name("重复")?;
    sheet.write_string(0, 0, "姓名")?;
    sheet.write_string(0, 2, "姓名")?;
    sheet.write_string(0, 3, "总分")?;

    book.add_worksheet().set_name("空")?;
    book.save_to_buffer()
}

/// A workbook of six sheets: 成绩 (the data), 附表, 错误 (a `#DIV/0!`), 无表头 (a value
/// right of the header), 重复 (a duplicate header) and 空 (empty).
pub(super) fn workbook() -> Vec<u8> {
    build().unwrap()
}

#[test]
fn the_first_sheet_is_read_with_cells_as_text() {
    let table = xlsx(workbook(), None).unwrap();
    assert_eq!(table.format, RawFormat::Xlsx);
    assert_eq!(table.sheet.as_deref(), Some("成绩"));
    assert_eq!(table.encoding, None);
    assert_eq!(table.header_line, 2);
    assert_eq!(
        table.headers,
        [
            "姓名",
            "工种",
            "总分",
            "合格",
            "考核日期",
            "开始时间",
            "备注"
        ]
    );
    assert_eq!(
        rows(table).unwrap(),
        [
            (
                3,
                strings(&[
                    "张三",
                    "电工",
                    "88",
                    "true",
                    "2025-06-01 00:00:00",
                    "08:30:00",
                    ""
                ])
            ),
            (4, strings(&["", "", "", "", "", "", ""])),
            (
                5,
                strings(&[
                    "李四",
                    "焊工",
                    "92.5",
                    "false",
                    "2025-06-02 13:45:00",
                    "",
                    "补考"
                ])
            ),
            // An ID typed as a number has lost digits in the float; as Rust prints it.
            (
                6,
                strings(&["330382199001011260", "", "0.1", "", "", "", ""])
            ),
        ]
    );
}

#[test]
fn a_named_sheet_is_read_from_where_its_cells_start() {
    let table = xlsx(workbook(), Some("附表")).unwrap();
    assert_eq!(table.sheet.as_deref(), Some("附表"));
    assert_eq!(table.headers, ["单位", "人数"]);
    assert_eq!(rows(table).unwrap(), [(2, strings(&["正泰", "12"]))]);
}

#[test]
fn a_missing_sheet_lists_the_sheets() {
    let e = xlsx(workbook(), Some("Sheet1")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.xlsx: no sheet named 'Sheet1'; the sheets are '成绩', '附表', '错误', '无表头', '重复', '空'"
    );
}

#[test]
fn an_error_cell_names_its_row_and_column() {
    let (read, e) = rows_then_error(xlsx(workbook(), Some("错误")).unwrap());
    assert!(read.is_empty());
    assert_eq!(
        e.to_string(),
        "t.xlsx: sheet '错误', row 2, column B: the cell holds the error #DIV/0!; fix its \
         formula or clear it"
    );
}

#[test]
fn a_value_right_of_the_header_names_its_cell() {
    let (_, e) = rows_then_error(xlsx(workbook(), Some("无表头")).unwrap());
    let Error::BadCell { row, column, .. } = &e else {
        panic!("expected a cell error, got {e:?}");
    };
    assert_eq!((*row, column.as_str()), (2, "C"));
    assert!(
        e.to_string()
            .contains("'备注' is in a column without a header"),
        "{e}"
    );
}

#[test]
fn empty_and_duplicate_headers_name_their_columns() {
    let e = xlsx(workbook(), Some("重复")).unwrap_err().to_string();
    assert!(e.contains("sheet '重复', row 1 (the header)"), "{e}");
    assert!(e.contains("no name in column B"), "{e}");
    assert!(e.contains("'姓名' (columns A, C)"), "{e}");
}

#[test]
fn an_empty_sheet_is_an_error() {
    let e = xlsx(workbook(), Some("空")).unwrap_err().to_string();
    assert!(e.contains("sheet '空' is empty"), "{e}");
}

#[test]
fn a_hidden_first_sheet_is_passed_over() -> Result<(), XlsxError> {
    let mut book = Workbook::new();
    let hidden = book.add_worksheet();
    hidden.set_name("代码表")?.set_hidden(true);
    hidden.write_string(0, 0, "代码")?;
    let shown = book.add_worksheet().set_name("成绩")?.set_active(true);
    shown.write_string(0, 0, "姓名")?;
    let table = xlsx(book.save_to_buffer()?, None).unwrap();
    assert_eq!(table.sheet.as_deref(), Some("成绩"));
    Ok(())
}

#[test]
fn files_that_are_not_workbooks_are_refused_clearly() {
    let cases: [(Vec<u8>, &str); 5] = [
        (Vec::new(), "the file is empty"),
        (gbk(EXPORT), "a CSV file with an .xlsx name"),
        (EXPORT.as_bytes().to_vec(), "a CSV file with an .xlsx name"),
        (
            b"\x00\x01\x02\xFF".to_vec(),
            "not an XLSX workbook: it is not a ZIP archive",
        ),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec(),
            "legacy Excel (.xls)",
        ),
    ];
    for (bytes, expected) in cases {
        let e = xlsx(bytes, None).unwrap_err();
        assert!(matches!(e, Error::BadFile { .. }), "{e:?}");
        assert!(e.to_string().contains(expected), "{e}");
    }
    let e = xlsx(
        b"PK\x03\x04 this is not a zip archive at all".to_vec(),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("damaged or cut short"), "{e}");
}

#[test]
fn a_zip_of_something_else_is_not_a_workbook() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("成绩.csv", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(EXPORT.as_bytes()).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let e = xlsx(bytes, None).unwrap_err();
    assert!(matches!(e, Error::BadFile { .. }), "{e:?}");
    assert!(e.to_string().contains("not a valid XLSX workbook"), "{e}");
}

#[test]
fn a_truncated_workbook_is_an_error_at_every_length() {
    let bytes = workbook();
    let step = (bytes.len() / 60).max(1);
    for len in (0..bytes.len()).step_by(step) {
        let result = xlsx(bytes[..len].to_vec(), None).and_then(|t| rows(t).map(|_| ()));
        assert!(result.is_err(), "cut at {len} of {} was read", bytes.len());
    }
}

#[test]
fn a_damaged_workbook_never_panics() {
    // Flip bytes through the whole archive; any outcome but a panic will do.
    let bytes = workbook();
    let step = (bytes.len() / 80).max(1);
    for at in (0..bytes.len()).step_by(step) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5A;
        if let Ok(table) = xlsx(damaged, None) {
            let _ = table.count();
        }
    }
}

#[test]
fn open_raw_reads_a_workbook_by_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("成绩.xlsx");
    std::fs::write(&path, workbook()).unwrap();
    let table = open_raw(&path, None, &RawOptions::default()).unwrap();
    assert_eq!(table.source, path.display().to_string());
    assert_eq!(table.count(), 4);

    let (_, e) = rows_then_error(
        open_raw(
            &path,
            None,
            &RawOptions {
                sheet: Some("错误".into()),
                ..RawOptions::default()
            },
        )
        .unwrap(),
    );
    assert!(
        e.to_string().starts_with(&format!(
            "{}: sheet '错误', row 2, column B",
            path.display()
        )),
        "{e}"
    );
}
