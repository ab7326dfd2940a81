//! CSV structure: delimiters, headers, field counts, blank rows, files on disk.

use super::*;

#[test]
fn a_wrong_field_count_names_the_physical_line() {
    let table = detect("a,b,c\n1,\"two\nlines\",3\n4,5\n").unwrap();
    let (read, e) = rows_then_error(table);
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].line, 2);
    assert_eq!(read[0].fields[1], "two\nlines");
    assert_eq!(line_of(&e), 4);
    assert!(
        e.to_string()
            .starts_with("t.csv: line 4: 2 fields, but the header has 3"),
        "{e}"
    );
}

#[test]
fn semicolon_and_tab_delimiters_are_detected() {
    let table = detect("姓名;单位;总分\n张三;\"正泰;电器\";88\n").unwrap();
    assert_eq!(table.delimiter, Some(b';'));
    assert_eq!(table.headers, ["姓名", "单位", "总分"]);
    assert_eq!(
        rows(table).unwrap()[0].1,
        strings(&["张三", "正泰;电器", "88"])
    );

    let table = detect(gbk("姓名\t单位\n张三\t正泰, 电器\n")).unwrap();
    assert_eq!(table.delimiter, Some(b'\t'));
    assert_eq!(rows(table).unwrap()[0].1, strings(&["张三", "正泰, 电器"]));

    // Most often outside quotes wins; a comma inside quotes does not count.
    let table = detect("\"a,b,c\";d;e\n1;2;3\n").unwrap();
    assert_eq!(table.delimiter, Some(b';'));
    assert_eq!(table.headers, ["a,b,c", "d", "e"]);

    let table = detect("姓名\n张三\n").unwrap();
    assert_eq!(table.delimiter, Some(b','));
}

#[test]
fn a_given_delimiter_is_used_and_a_bad_one_refused() {
    let opts = |d: u8| RawOptions {
        delimiter: Some(d),
        ..RawOptions::default()
    };
    let table = read_csv("a|b,c\n1|2,3\n", &opts(b'|')).unwrap();
    assert_eq!(table.headers, ["a", "b,c"]);
    for bad in [b'"', b'\n', b'a', 0xE5] {
        let e = read_csv("a,b\n", &opts(bad)).unwrap_err();
        assert!(e.to_string().contains("cannot be used"), "{e}");
    }
}

#[test]
fn headers_are_trimmed_of_spaces_full_width_too() {
    let table = detect(gbk(" 姓名\u{3000},\u{3000}单位 ,\t总分\n张三,正泰,88\n")).unwrap();
    assert_eq!(table.headers, ["姓名", "单位", "总分"]);
}

#[test]
fn empty_and_duplicate_headers_are_listed() {
    let e = detect("姓名,,单位,姓名 ,\u{3000}\n1,2,3,4,5\n").unwrap_err();
    assert_eq!(line_of(&e), 1);
    let message = e.to_string();
    assert!(message.contains("no name in columns 2, 5"), "{message}");
    assert!(message.contains("'姓名' (columns 1, 4)"), "{message}");
}

#[test]
fn blank_rows_between_records_are_kept_and_trailing_ones_dropped() {
    let table = detect("a,b\n1,2\n,\n \t, \n3,4\n,\n,,,\n\n").unwrap();
    assert_eq!(
        rows(table).unwrap(),
        [
            (2, strings(&["1", "2"])),
            (3, strings(&["", ""])),
            (4, strings(&["", ""])),
            (5, strings(&["3", "4"])),
        ]
    );
}

#[test]
fn blank_rows_before_the_header_are_skipped() {
    let table = detect(",,\n\na,b,c\n1,2,3\n").unwrap();
    assert_eq!(table.header_line, 3);
    assert_eq!(rows(table).unwrap(), [(4, strings(&["1", "2", "3"]))]);
}

#[test]
fn an_empty_file_is_an_error_and_a_header_alone_has_no_records() {
    for empty in [&b""[..], b"\xEF\xBB\xBF", b"\n\n", b",,\r\n"] {
        let e = detect(empty.to_vec()).unwrap_err();
        assert!(e.to_string().contains("the file is empty"), "{e}");
    }
    assert!(rows(detect("a,b\n").unwrap()).unwrap().is_empty());
    assert!(rows(detect("a,b").unwrap()).unwrap().is_empty());
}

#[test]
fn crlf_lines_and_a_missing_last_line_feed_are_read() {
    let table = detect(gbk("姓名,总分\r\n张三,88\r\n李四,90")).unwrap();
    assert_eq!(
        rows(table).unwrap(),
        [(2, strings(&["张三", "88"])), (3, strings(&["李四", "90"]))]
    );
}

#[test]
fn fields_are_kept_as_the_file_has_them() {
    let table = detect("a,b\n  张三 ,\"=\"\"x\"\"\"\n").unwrap();
    assert_eq!(rows(table).unwrap()[0].1, strings(&["  张三 ", "=\"x\""]));
}

#[test]
fn open_raw_reads_a_file_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("成绩.csv");
    std::fs::write(&path, gbk(EXPORT)).unwrap();
    let table = open_raw(&path, None, &RawOptions::default()).unwrap();
    assert_eq!(table.source, path.display().to_string());
    assert_eq!(table.format, RawFormat::Csv);
    assert_eq!(table.encoding, Some(Encoding::Gb18030));
    assert_eq!(table.headers, EXPORT_HEADERS);
    assert_eq!(table.count(), 2);

    // The wrong field count on line 3 names the file as it was given.
    std::fs::write(&path, gbk("姓名,总分\n张三,88\n李四\n")).unwrap();
    let (_, e) =
        rows_then_error(open_raw(&path, Some(RawFormat::Csv), &RawOptions::default()).unwrap());
    assert!(
        e.to_string()
            .starts_with(&format!("{}: line 3: ", path.display())),
        "{e}"
    );

    let missing = dir.path().join("无.csv");
    let e = open_raw(&missing, None, &RawOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
}

#[test]
fn a_workbook_with_a_csv_name_is_refused_as_not_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("成绩.csv");
    std::fs::write(&path, super::xlsx_files::workbook()).unwrap();
    let e = open_raw(&path, None, &RawOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("an .xlsx workbook with a .csv name"),
        "{e}"
    );
}

#[test]
fn lines_are_physical_lines_whatever_the_line_endings() {
    let lf = "a,b\n\n\n1,\"two\nlines\"\n\n3,4\n5,6";
    let crlf = lf.replace('\n', "\r\n");
    for text in [lf.to_string(), crlf] {
        let table = detect(text.clone()).unwrap();
        assert_eq!(table.headers, ["a", "b"]);
        let rows = rows(table).unwrap();
        let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [4, 7, 8], "{text:?}");
        assert_eq!(rows[1].1, strings(&["3", "4"]), "{text:?}");
        assert_eq!(rows[2].1, strings(&["5", "6"]), "{text:?}");
        assert!(rows[0].1[1].starts_with("two") && rows[0].1[1].ends_with("lines"));
    }
}

#[test]
fn old_mac_line_endings_are_refused() {
    let e = detect("a,b\r1,2\r").unwrap_err();
    assert!(e.to_string().contains("carriage return alone"), "{e}");
    // A header alone, ended by a carriage return, is still a header.
    assert_eq!(detect("a,b\r").unwrap().headers, ["a", "b"]);
}
