//! Which encoding a CSV file is read in, and the files that are not text.

use super::*;

#[test]
fn gbk_csv_is_detected_and_decoded() {
    let table = detect(gbk(EXPORT)).unwrap();
    assert_eq!(table.encoding, Some(Encoding::Gb18030));
    assert_eq!(table.delimiter, Some(b','));
    assert_eq!(table.headers, EXPORT_HEADERS);
    assert_eq!(table.header_line, 1);
    let rows = rows(table).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        (
            2,
            strings(&[
                "张三",
                "330382199001011234",
                "正泰电器",
                "电工",
                "高级工",
                "2025-06-01",
                "88"
            ])
        )
    );
    assert_eq!(rows[1].0, 3);
    assert_eq!(rows[1].1[4], "三级");
}

#[test]
fn utf8_with_a_bom_is_detected_and_the_bom_dropped() {
    let table = detect([b"\xEF\xBB\xBF", EXPORT.as_bytes()].concat()).unwrap();
    assert_eq!(table.encoding, Some(Encoding::Utf8));
    assert_eq!(table.headers, EXPORT_HEADERS);
    assert_eq!(rows(table).unwrap()[1].1[0], "李四");
}

#[test]
fn utf8_without_a_bom_is_detected() {
    let table = detect(EXPORT).unwrap();
    assert_eq!(table.encoding, Some(Encoding::Utf8));
    assert_eq!(table.headers, EXPORT_HEADERS);
    assert_eq!(rows(table).unwrap().len(), 2);
}

#[test]
fn text_valid_in_both_encodings_is_utf8_unless_an_encoding_is_given() {
    // Every byte pair of these UTF-8 characters is also a GB18030 character.
    let text = "姓名,总分\n张三,88\n";
    let bytes = text.as_bytes().to_vec();
    let (as_gb, _, had_errors) = encoding_rs::GB18030.decode(&bytes);
    assert!(!had_errors);
    let as_gb = as_gb.into_owned();

    let detected = detect(bytes.clone()).unwrap();
    assert_eq!(detected.encoding, Some(Encoding::Utf8));
    assert_eq!(detected.headers, ["姓名", "总分"]);

    let opts = RawOptions {
        encoding: Some(Encoding::Gb18030),
        ..RawOptions::default()
    };
    let forced = read_csv(bytes, &opts).unwrap();
    assert_eq!(forced.encoding, Some(Encoding::Gb18030));
    let expected: Vec<String> = as_gb
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(String::from)
        .collect();
    assert_eq!(forced.headers, expected);
}

#[test]
fn utf8_given_for_a_gbk_file_stops_at_the_first_bad_line() {
    let opts = RawOptions {
        encoding: Some(Encoding::Utf8),
        ..RawOptions::default()
    };
    let table = read_csv(gbk("name,unit\nzhang,a\n李四,b\n"), &opts).unwrap();
    let (read, e) = rows_then_error(table);
    assert_eq!(read.len(), 1);
    assert_eq!(line_of(&e), 3);
    let message = e.to_string();
    assert!(message.starts_with("t.csv: line 3: "), "{message}");
    assert!(message.contains("byte offset 18"), "{message}");
    assert!(message.contains("encoding gb18030"), "{message}");
}

/// A UTF-8 header, then `rows` lines of ASCII: longer than the detected head.
fn long_file(header: &str, rows: usize) -> Vec<u8> {
    let mut bytes = header.as_bytes().to_vec();
    for _ in 0..rows {
        bytes.extend_from_slice(b"zhang,88\n");
    }
    bytes
}

#[test]
fn utf8_is_verified_past_the_detected_head() {
    let mut bytes = long_file("姓名,总分\n", 130_000);
    let offset = bytes.len();
    bytes.extend(gbk("李四,90\n"));
    let table = streamed(bytes, &RawOptions::default()).unwrap();
    assert_eq!(table.encoding, Some(Encoding::Utf8));
    let (read, e) = rows_then_error(table);
    assert_eq!(read.len(), 130_000);
    assert_eq!(line_of(&e), 130_002);
    assert!(
        e.to_string().contains(&format!("byte offset {offset}")),
        "{e}"
    );
}

#[test]
fn gbk_after_a_long_ascii_start_is_still_detected() {
    let mut bytes = long_file("name,score\n", 150_000);
    bytes.extend(gbk("李四,90\n"));
    let table = streamed(bytes, &RawOptions::default()).unwrap();
    assert_eq!(table.encoding, Some(Encoding::Gb18030));
    let rows = rows(table).unwrap();
    assert_eq!(rows.last().unwrap(), &(150_002, strings(&["李四", "90"])));
}

#[test]
fn a_control_character_past_the_head_stops_the_records_at_its_line() {
    let mut bytes = long_file("姓名,总分\n", 130_000);
    bytes.extend_from_slice(b"li,\x01\n");
    let (read, e) = rows_then_error(streamed(bytes, &RawOptions::default()).unwrap());
    assert_eq!(read.len(), 130_000);
    assert_eq!(line_of(&e), 130_002);
    assert!(e.to_string().contains("control character 0x01"), "{e}");
}

#[test]
fn a_bom_in_the_middle_names_its_line() {
    // Two UTF-8 exports with byte-order marks, concatenated: found in the head.
    let part = [
        b"\xEF\xBB\xBF".as_slice(),
        "姓名,总分\n张三,88\n".as_bytes(),
    ]
    .concat();
    let e = detect(part.repeat(2)).unwrap_err();
    assert_eq!(line_of(&e), 3);
    assert!(
        e.to_string()
            .contains("a byte-order mark in the middle of the file: were two files concatenated?"),
        "{e}"
    );

    // Inside a line of a UTF-8 file: found while decoding.
    let (read, e) = rows_then_error(detect("a,b\n1,2\n3,\u{feff}4\n").unwrap());
    assert_eq!(read.len(), 1);
    assert_eq!(line_of(&e), 3);

    // A UTF-8 export appended to a GBK one: found in the detected head.
    let mixed = [gbk("姓名,总分\n张三,88\n"), part.clone()].concat();
    let e = detect(mixed).unwrap_err();
    assert_eq!(line_of(&e), 3);
    assert!(
        e.to_string().contains("byte-order mark in the middle"),
        "{e}"
    );

    // The same past the head of a GBK file: found while streaming.
    let mut long = gbk("姓名,总分\n");
    long.extend(long_file("", 130_000));
    long.extend_from_slice(&part);
    let opts = RawOptions {
        encoding: Some(Encoding::Gb18030),
        ..RawOptions::default()
    };
    let (read, e) = rows_then_error(streamed(long, &opts).unwrap());
    assert_eq!(read.len(), 130_000);
    assert_eq!(line_of(&e), 130_002);
}

#[test]
fn a_bom_split_across_decoded_chunks_is_found() {
    use std::io::Read;
    // The decoder reads 64 KiB at a time; put the mark at and around that boundary.
    for start in (1 << 16) - 5..(1 << 16) + 2 {
        let mut bytes = vec![b'a'; start];
        bytes.extend_from_slice(b"\n\xEF\xBB\xBFb\n");
        let mut reader = decode::DecodingReader::new(
            "t.csv".into(),
            Encoding::Gb18030,
            bytes,
            0,
            std::io::empty(),
        );
        let mut text = Vec::new();
        assert!(reader.read_to_end(&mut text).is_err(), "start {start}");
        let e = reader.take_error().unwrap();
        assert_eq!(line_of(&e), 2, "start {start}");
        assert!(e.to_string().contains("byte-order mark"), "{e}");
        assert_eq!(text.len(), start + 1, "the text before the mark is read");
    }
}

#[test]
fn utf16_is_rejected() {
    for bom in [b"\xFF\xFE", b"\xFE\xFF"] {
        let (text, _, _) = encoding_rs::UTF_16LE.encode("姓名,总分\n");
        let e = detect([bom.as_slice(), &text].concat()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: UTF-16 is not supported; save as UTF-8 or GBK CSV"
        );
    }
}

#[test]
fn bytes_in_neither_encoding_name_the_line_and_offset() {
    let e = detect(b"a,b\n1,\xFF\n".to_vec()).unwrap_err();
    assert_eq!(line_of(&e), 2);
    let message = e.to_string();
    assert!(message.contains("neither UTF-8"), "{message}");
    assert!(message.contains("byte offset 6"), "{message}");

    // A GBK character cut off at the end of the file.
    let e = detect(b"a,b\n1,\xD5".to_vec()).unwrap_err();
    assert_eq!(line_of(&e), 2);
}

#[test]
fn gb18030_given_for_a_file_with_a_utf8_bom_is_an_error() {
    let opts = RawOptions {
        encoding: Some(Encoding::Gb18030),
        ..RawOptions::default()
    };
    let e = read_csv([b"\xEF\xBB\xBF", EXPORT.as_bytes()].concat(), &opts).unwrap_err();
    assert!(e.to_string().contains("read it as utf-8"), "{e}");
}

#[test]
fn binary_files_are_rejected_as_not_text() {
    let e = detect(b"a,b\n1,\x002\n".to_vec()).unwrap_err();
    assert_eq!(line_of(&e), 2);
    assert!(e.to_string().contains("control character 0x00"), "{e}");

    let e = detect(b"PK\x03\x04\x14\x00\x00\x00".to_vec()).unwrap_err();
    assert!(e.to_string().contains("ZIP archive"), "{e}");

    let e = detect(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00".to_vec()).unwrap_err();
    assert!(e.to_string().contains("legacy Excel (.xls)"), "{e}");
}

#[test]
fn random_bytes_never_panic_and_are_rejected_or_flagged() {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut rejected = 0;
    for round in 0..400 {
        let len = (next() % 4096) as usize;
        // Half the rounds only bytes of 0x20 and above, which pass the control check.
        let floor = if round % 2 == 0 { 0 } else { 0x20 };
        let bytes: Vec<u8> = (0..len)
            .map(|_| (floor + next() % (256 - floor)) as u8)
            .collect();
        let has_control = detect::first_control(&bytes).is_some();
        match detect(bytes) {
            Ok(table) => {
                assert!(
                    !has_control || len == 0,
                    "round {round}: binary read as text"
                );
                assert!(table.encoding.is_some());
                let _ = table.count();
            }
            Err(_) => rejected += 1,
        }
    }
    assert!(
        rejected > 300,
        "only {rejected} of 400 random files rejected"
    );
}
