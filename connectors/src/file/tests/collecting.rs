//! Collecting reads: bad rows are left out and reported with their line, the good rows
//! read exactly as a plain read of a body without the bad rows.

use super::*;

fn collect(table: Table, format: FileFormat, body: &str, rows: usize) -> Collected {
    let opts = FileReadOptions { batch_rows: rows };
    read_bytes_collecting(table, "body", body.as_bytes().to_vec(), format, &opts).unwrap()
}

type Collected = (Vec<RecordBatch>, Vec<RowReject>);

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

fn concat(table: Table, batches: &[RecordBatch]) -> RecordBatch {
    concat_batches(&table.schema(), batches).unwrap()
}

/// `(line, column)` of each reject.
fn lines(rejects: &[RowReject]) -> Vec<(u64, Option<&str>)> {
    rejects
        .iter()
        .map(|r| (r.line, r.column.as_deref()))
        .collect()
}

const DIM_HEADER: &str = "event_id,dimension_code,score,max_score\n";

#[test]
fn every_fixture_collects_like_a_plain_read_with_no_rejects() {
    for (table, csv, ndjson) in FIXTURES {
        for (format, text) in [(FileFormat::Csv, csv), (FileFormat::Ndjson, ndjson)] {
            let (batches, rejects) = collect(table, format, text, 65_536);
            assert!(rejects.is_empty(), "{table} {format}: {rejects:?}");
            assert_eq!(
                concat(table, &batches),
                read(table, format, text.as_bytes())
            );
        }
    }
}

#[test]
fn bad_csv_records_are_reported_by_line_and_the_others_land() {
    let body = format!(
        "{DIM_HEADER}a1,D1,18.5,20\n\
         a1,D2,-1,20\n\
         a2,D1,7,20\n\
         a2,D2,21,20\n\
         a3,D1,1\n\
         a3,D2,\"3\n4\",20\n\
         ,D3,1,20\n\
         a4,D1,2,20\n"
    );
    let (batches, rejects) = collect(
        Table::AssessmentDimensionScores,
        FileFormat::Csv,
        &body,
        65_536,
    );
    assert_eq!(
        lines(&rejects),
        [
            (3, Some("score")),
            (5, Some("score")),
            (6, None),
            (7, Some("score")),
            (9, Some("event_id")),
        ]
    );
    assert!(
        rejects[0].reason.contains("must be zero or more"),
        "{rejects:?}"
    );
    assert!(rejects[1].reason.contains("greater than max_score"));
    assert!(rejects[2].reason.contains("expected 4 fields"));
    assert!(rejects[4].reason.contains("required value is missing"));
    let good = format!("{DIM_HEADER}a1,D1,18.5,20\na2,D1,7,20\na4,D1,2,20\n");
    assert_eq!(
        concat(Table::AssessmentDimensionScores, &batches),
        read(
            Table::AssessmentDimensionScores,
            FileFormat::Csv,
            good.as_bytes()
        )
    );
}

#[test]
fn bad_ndjson_lines_are_reported_by_line_blank_lines_counted() {
    let body = r#"{"event_id":"a1","dimension_code":"D1","score":18.5,"max_score":20}
{"event_id":"a1","dimension_code":"D2","score":"x","max_score":20}

{"event_id":"a2" "dimension_code":"D1"}
{"event_id":"a2","dimension_code":"D2","score":1,"max_score":20,"extra":1}
[1, 2]
{"event_id":"a3","dimension_code":"D1","score":30,"max_score":20}
{"event_id":"a3","dimension_code":"D2","score":3,"max_score":20}
"#;
    let (batches, rejects) = collect(
        Table::AssessmentDimensionScores,
        FileFormat::Ndjson,
        body,
        65_536,
    );
    assert_eq!(
        lines(&rejects),
        [
            (2, Some("score")),
            (4, None),
            (5, Some("extra")),
            (6, None),
            (7, Some("score")),
        ]
    );
    assert!(rejects[1].reason.starts_with("not a JSON object"));
    assert_eq!(rows(&batches), 2);
}

#[test]
fn a_batch_of_only_bad_rows_does_not_end_the_read() {
    let body =
        format!("{DIM_HEADER}a1,D1,-1,20\na1,D2,-1,20\na2,D1,1,20\na2,D2,-1,20\na3,D1,1,20\n");
    let (batches, rejects) = collect(Table::AssessmentDimensionScores, FileFormat::Csv, &body, 2);
    assert_eq!(rejects.len(), 3);
    assert_eq!(rows(&batches), 2);
    assert!(
        batches
            .iter()
            .all(|b| b.num_rows() > 0 && b.num_rows() <= 2)
    );
}

#[test]
fn a_line_too_long_is_reported_and_the_next_line_read() {
    let long = format!(
        r#"{{"event_id":"{}","dimension_code":"D1","score":1,"max_score":2}}"#,
        "x".repeat(17 << 20)
    );
    let body = format!(
        "{long}\n{}\n",
        r#"{"event_id":"a2","dimension_code":"D1","score":1,"max_score":2}"#
    );
    let (batches, rejects) = collect(
        Table::AssessmentDimensionScores,
        FileFormat::Ndjson,
        &body,
        65_536,
    );
    assert_eq!(lines(&rejects), [(1, None)]);
    assert!(rejects[0].reason.contains("longer than 16 MiB"));
    assert_eq!(rows(&batches), 1);
}

#[test]
fn structural_errors_still_fail_the_whole_body() {
    let opts = FileReadOptions::default();
    let table = Table::AssessmentDimensionScores;
    let header = read_bytes_collecting(
        table,
        "body",
        "event_id,nope\na1,1\n",
        FileFormat::Csv,
        &opts,
    );
    assert!(matches!(header, Err(Error::BadFile { .. })), "{header:?}");
    let empty = read_bytes_collecting(table, "body", "", FileFormat::Csv, &opts);
    assert!(matches!(empty, Err(Error::BadFile { .. })));
    for body in [r#"{"event_id":"a1"}"#, "[{}", "[1,]", "[] []"] {
        let e = read_json_array_collecting(table, "body", body, &opts).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("body: expected a JSON array of objects"),
            "{body}: {e}"
        );
    }
}

#[test]
fn json_array_elements_are_checked_as_ndjson_lines_numbered_from_one() {
    let body = "\u{feff}[\n  {\"event_id\": \"a1\", \"dimension_code\": \"D1\",\n   \"score\": 18.5, \"max_score\": 20},\n  5,\n  {\"event_id\": \"a2\", \"dimension_code\": \"D1\", \"score\": 1e1, \"max_score\": 2},\n  {\"event_id\": \"a3\", \"event_id\": \"a4\", \"dimension_code\": \"D1\", \"score\": 1, \"max_score\": 2},\n  {\"event_id\": \"a\\\"5\\n\", \"dimension_code\": \"D\\u00e9\", \"score\": 0, \"max_score\": 1, \"ignored\": null},\n  {\"event_id\": \"a6\", \"dimension_code\": \"D1\", \"score\": 0, \"max_score\": 1}\n]\n";
    let opts = FileReadOptions::default();
    let table = Table::AssessmentDimensionScores;
    let (batches, rejects) = read_json_array_collecting(table, "body", body, &opts).unwrap();
    assert_eq!(
        lines(&rejects),
        [
            (2, None),
            (3, Some("score")),
            (4, Some("event_id")),
            (5, Some("ignored"))
        ]
    );
    assert!(
        rejects[0].reason.contains("expected a JSON object"),
        "{rejects:?}"
    );
    assert!(rejects[1].reason.contains("10 is greater than max_score 2"));
    assert!(rejects[2].reason.contains("appears twice"));
    let ndjson = r#"{"event_id":"a1","dimension_code":"D1","score":18.5,"max_score":20}
{"event_id":"a6","dimension_code":"D1","score":0,"max_score":1}"#;
    assert_eq!(
        concat(table, &batches),
        read(table, FileFormat::Ndjson, ndjson.as_bytes())
    );

    let escaped = "[{\"event_id\": \"a\\\"5\\n\", \"dimension_code\": \"D\\u00e9\", \"score\": 0, \"max_score\": 1}]";
    let (batches, rejects) = read_json_array_collecting(table, "body", escaped, &opts).unwrap();
    assert!(rejects.is_empty(), "{rejects:?}");
    let ids = batches[0].column(0).as_string::<i32>();
    assert_eq!(ids.value(0), "a\"5\n");
    assert_eq!(batches[0].column(1).as_string::<i32>().value(0), "Dé");
    let (batches, rejects) = read_json_array_collecting(table, "body", " [ ] ", &opts).unwrap();
    assert!(batches.is_empty() && rejects.is_empty());
}
