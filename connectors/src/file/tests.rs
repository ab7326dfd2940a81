//! Round trips of every table in every format, the errors a person sees, and the file
//! connector (`tests/connector.rs`).

use std::sync::Arc;

use ::parquet::arrow::ArrowWriter;
use arrow::array::{Array, AsArray, Int64Array, LargeStringArray, RecordBatch, StringViewArray};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Int32Type, Schema, TimestampMicrosecondType};

use super::*;

/// Each table's rows, once as CSV and once as NDJSON: the same values written differently.
const FIXTURES: [(Table, &str, &str); 9] = [
    (
        Table::Workers,
        "worker_id,name_masked,gender,birth_year,region_code,enterprise_id,position,occupation_code,updated_at\n\
      w1,张*明,M,1988,330382,e1,装配,6-31-01-03,2025-06-01T08:30:00Z\n\
      w2,,,,330302,,,,2025-06-01\n",
        r#"{"worker_id":"w1","name_masked":"张*明","gender":"M","birth_year":1988,"region_code":"330382","enterprise_id":"e1","position":"装配","occupation_code":"6-31-01-03","updated_at":"2025-06-01T08:30:00Z"}
        {"worker_id":"w2","region_code":"330302","updated_at":"2025-06-01","gender":null}"#,
    ),
    (
        Table::Enterprises,
        "enterprise_id,name,region_code,industry,updated_at\n\
      e1,正泰电器,330382,electrical,2025-06-01 08:30:00\n\
      e2,,330302,,2025-06-01T16:30:00+08:00\n",
        "{\"enterprise_id\":\"e1\",\"name\":\"正泰电器\",\"region_code\":\"330382\",\"industry\":\"electrical\",\"updated_at\":\"2025-06-01T08:30:00Z\"}\r\n\
      \n\
      {\"enterprise_id\":\"e2\",\"region_code\":\"330302\",\"updated_at\":\"2025-06-01T08:30:00.000Z\"}\n",
    ),
    (
        Table::Certifications,
        "event_id,worker_id,occupation_code,level,ladder_order,issued_at,issuer\n\
      c1,w1,6-31-01-03,3,4,2024-12-01,人社局\n\
      c2,w2,6-18-02-04,,8,2025-01-01T00:00:00.5Z,\n",
        r#"{"event_id":"c1","worker_id":"w1","occupation_code":"6-31-01-03","level":3,"ladder_order":"4","issued_at":"2024-12-01","issuer":"人社局"}
        {"event_id":"c2","worker_id":"w2","occupation_code":"6-18-02-04","level":null,"ladder_order":8,"issued_at":"2025-01-01T08:00:00.500+08:00"}"#,
    ),
    (
        Table::AssessmentResults,
        "event_id,assessment_id,worker_id,enterprise_id,region_code,occupation_code,position,level_attempted,channel,taken_at,total_score,max_score,passed\n\
      a1,as1,w1,e1,330382,6-31-01-03,装配,3,onsite,2025-06-01T08:30:00.000000Z,86.5,100,true\n\
      a2,as1,w2,,330302,6-31-01-03,,4,mobile,2025-06-01T09:00:00+08:00,59,100,0\n",
        r#"{"event_id":"a1","assessment_id":"as1","worker_id":"w1","enterprise_id":"e1","region_code":"330382","occupation_code":"6-31-01-03","position":"装配","level_attempted":3,"channel":"onsite","taken_at":"2025-06-01 08:30:00","total_score":86.5,"max_score":100,"passed":true}
        {"event_id":"a2","assessment_id":"as1","worker_id":"w2","region_code":"330302","occupation_code":"6-31-01-03","level_attempted":4,"channel":"mobile","taken_at":"2025-06-01T01:00:00Z","total_score":"59","max_score":100.0,"passed":false}"#,
    ),
    (
        Table::AssessmentDimensionScores,
        "event_id,dimension_code,score,max_score\na1,D1,18.5,20\na1,D2,0,20\n",
        r#"{"event_id":"a1","dimension_code":"D1","score":18.5,"max_score":20}
        {"max_score":20,"score":0,"dimension_code":"D2","event_id":"a1"}"#,
    ),
    (
        Table::CompetitionScores,
        "event_id,competition_id,venue_id,contestant_id,stage,criterion,aspect,kind,judge_id,mark,max_mark,scored_at\n\
      s1,k1,v1,w1,1,A,A1,M,,1.5,2,2025-06-01T10:00:00Z\n\
      s2,k1,v2,w1,1,A,A2,J,j1,3,1.5,2025-06-01T10:05:00Z\n",
        r#"{"event_id":"s1","competition_id":"k1","venue_id":"v1","contestant_id":"w1","stage":1,"criterion":"A","aspect":"A1","kind":"M","mark":1.5,"max_mark":2,"scored_at":"2025-06-01T10:00:00Z"}
        {"event_id":"s2","competition_id":"k1","venue_id":"v2","contestant_id":"w1","stage":1,"criterion":"A","aspect":"A2","kind":"J","judge_id":"j1","mark":3,"max_mark":1.5,"scored_at":"2025-06-01T10:05:00Z"}"#,
    ),
    (
        Table::TrainingRecords,
        "event_id,worker_id,course_id,course_name,occupation_code,provider,hours,completed_at,completed\n\
      t1,w1,co1,\"PLC 编程, 初级\",6-31-01-03,技师学院,16,2025-03-01,TRUE\n\
      t2,w2,co2,,,,\"7.5\",2025-03-02 12:00:00,false\n",
        r#"{"event_id":"t1","worker_id":"w1","course_id":"co1","course_name":"PLC \u7f16\u7a0b, 初级","occupation_code":"6-31-01-03","provider":"技师学院","hours":16,"completed_at":"2025-03-01","completed":"1"}
        {"event_id":"t2","worker_id":"w2","course_id":"co2","course_name":"","hours":7.5,"completed_at":"2025-03-02T12:00:00Z","completed":false}"#,
    ),
    (
        Table::Mentorships,
        "event_id,mentor_id,apprentice_id,occupation_code,signed_at,target_level,ended_at\n\
      m1,w1,w2,6-31-01-03,2024-01-01,3,\n\
      m2,w1,w3,6-31-01-03,2024-01-01,,2025-01-01\n",
        r#"{"event_id":"m1","mentor_id":"w1","apprentice_id":"w2","occupation_code":"6-31-01-03","signed_at":"2024-01-01","target_level":3}
        {"event_id":"m2","mentor_id":"w1","apprentice_id":"w3","occupation_code":"6-31-01-03","signed_at":"2024-01-01","ended_at":"2025-01-01"}"#,
    ),
    (
        Table::TalentDemand,
        "event_id,period,region_code,occupation_code,level,openings,job_seekers,source\n\
      d1,2026Q3,330382,6-31-01-03,3,120,40,人社局\n\
      d2,2026Q3,330302,6-18-02-04,5,0,0,\n",
        r#"{"event_id":"d1","period":"2026Q3","region_code":"330382","occupation_code":"6-31-01-03","level":3,"openings":120,"job_seekers":40,"source":"人社局"}
        {"event_id":"d2","period":"2026Q3","region_code":"330302","occupation_code":"6-18-02-04","level":5,"openings":0,"job_seekers":0}"#,
    ),
];

fn read_with(
    table: Table,
    format: FileFormat,
    bytes: &[u8],
    rows: usize,
) -> Result<Vec<RecordBatch>> {
    let opts = FileReadOptions { batch_rows: rows };
    read_bytes(table, "fixture", bytes.to_vec(), format, &opts)?.collect()
}

fn read(table: Table, format: FileFormat, bytes: &[u8]) -> RecordBatch {
    let batches = read_with(table, format, bytes, 65_536).unwrap();
    concat_batches(&table.schema(), &batches).unwrap()
}

fn error(table: Table, format: FileFormat, bytes: &[u8]) -> Error {
    read_with(table, format, bytes, 65_536).unwrap_err()
}

fn assert_bad_value(e: Error, want_line: u64, want_column: &str, want_reason: &str) {
    match e {
        Error::BadValue {
            file,
            line,
            column,
            reason,
        } => {
            assert_eq!(
                (file.as_str(), line, column.as_str()),
                ("fixture", want_line, want_column),
                "{reason}"
            );
            assert!(
                reason.contains(want_reason),
                "reason {reason:?} lacks {want_reason:?}"
            );
        }
        other => panic!("expected a bad value, got {other}"),
    }
}

fn parquet_bytes(batch: &RecordBatch) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
    buf
}

#[test]
fn every_table_round_trips_through_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for (table, csv, ndjson) in FIXTURES {
        let from_csv = read(table, FileFormat::Csv, csv.as_bytes());
        assert_eq!(from_csv.schema(), table.schema(), "{table}");
        assert_eq!(from_csv.num_rows(), 2, "{table}");
        assert_eq!(
            read(table, FileFormat::Ndjson, ndjson.as_bytes()),
            from_csv,
            "{table}"
        );
        let parquet = parquet_bytes(&from_csv);
        assert_eq!(
            read(table, FileFormat::Parquet, &parquet),
            from_csv,
            "{table}"
        );
        for (ext, bytes) in [
            ("csv", csv.as_bytes()),
            ("jsonl", ndjson.as_bytes()),
            ("parquet", &parquet),
        ] {
            let path = dir.path().join(format!("{table}.{ext}"));
            std::fs::write(&path, bytes).unwrap();
            let batches: Vec<_> = read_file(table, &path, None, &FileReadOptions::default())
                .unwrap()
                .collect::<Result<_>>()
                .unwrap();
            assert_eq!(
                concat_batches(&table.schema(), &batches).unwrap(),
                from_csv,
                "{path:?}"
            );
        }
    }
}

#[test]
fn values_land_typed_and_in_utc() {
    let (table, csv, _) = FIXTURES[3];
    let batch = read(table, FileFormat::Csv, csv.as_bytes());
    let taken = batch
        .column_by_name("taken_at")
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>();
    assert_eq!(taken.value(0), 1_748_766_600_000_000); // 2025-06-01T08:30:00Z
    assert_eq!(taken.value(1), 1_748_739_600_000_000); // 2025-06-01T01:00:00Z
    assert!(batch.column_by_name("enterprise_id").unwrap().is_null(1));
    let passed = batch.column_by_name("passed").unwrap().as_boolean();
    assert!(passed.value(0) && !passed.value(1));
}

#[test]
fn timestamps_accept_the_documented_forms_only() {
    use super::value::parse_timestamp as ts;
    let utc = ts(b"2025-06-01T00:30:00Z").unwrap();
    assert_eq!(ts(b"2025-06-01T08:30:00+08:00"), Some(utc));
    assert_eq!(ts(b"2025-05-31T23:30:00-01:00"), Some(utc));
    assert_eq!(ts(b"2025-06-01 00:30:00"), Some(utc));
    assert_eq!(ts(b"2025-06-01T00:30:00.123456789Z"), Some(utc + 123_456));
    assert_eq!(ts(b"1970-01-01"), Some(0));
    assert_eq!(ts(b"2024-02-29"), Some(1_709_164_800_000_000));
    for bad in [
        "2025-02-29",
        "2025-13-01",
        "2025-06-01T24:00:00Z",
        "2025-06-01T08:30:00",
        "2025-6-1",
        "2025-06-01T08:30Z",
        "2025-06-01T08:30:00+0800",
        "2025-06-01T08:30:00.Z",
        "",
    ] {
        assert_eq!(ts(bad.as_bytes()), None, "{bad}");
    }
}

#[test]
fn csv_columns_in_another_order_with_a_bom_read_the_same() {
    let text = "\u{FEFF}max_score,score,dimension_code,event_id\r\n20,18.5,D1,a1\r\n20,0,D2,a1\r\n";
    let (table, csv, _) = FIXTURES[4];
    assert_eq!(
        read(table, FileFormat::Csv, text.as_bytes()),
        read(table, FileFormat::Csv, csv.as_bytes())
    );
    let ndjson = format!("\u{FEFF}{}", FIXTURES[4].2);
    assert_eq!(
        read(table, FileFormat::Ndjson, ndjson.as_bytes()).num_rows(),
        2
    );
}

#[test]
fn batches_hold_at_most_batch_rows() {
    let text =
        "event_id,dimension_code,score,max_score\na,D,1,2\nb,D,1,2\nc,D,1,2\nd,D,1,2\ne,D,1,2\n";
    for format in [FileFormat::Csv, FileFormat::Parquet] {
        let bytes = match format {
            FileFormat::Parquet => parquet_bytes(&read(
                Table::AssessmentDimensionScores,
                FileFormat::Csv,
                text.as_bytes(),
            )),
            _ => text.as_bytes().to_vec(),
        };
        let batches = read_with(Table::AssessmentDimensionScores, format, &bytes, 2).unwrap();
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
            [2, 2, 1],
            "{format}"
        );
    }
}

#[test]
fn formats_come_from_extensions_and_names() {
    let from = |p: &str| FileFormat::from_path(Path::new(p)).ok();
    assert_eq!(from("a/b.CSV"), Some(FileFormat::Csv));
    assert_eq!(from("x.jsonl"), Some(FileFormat::Ndjson));
    assert_eq!(from("x.json"), Some(FileFormat::Ndjson));
    assert_eq!(from("x.parquet"), Some(FileFormat::Parquet));
    assert_eq!(from("x.xlsx"), None);
    assert_eq!("ndjson".parse::<FileFormat>().unwrap(), FileFormat::Ndjson);
    assert!(matches!(
        "tsv".parse::<FileFormat>(),
        Err(Error::UnknownFormat(_))
    ));
}

/// Prints the CSV read rate of assessment_results; meaningful in an optimized build:
/// `cargo test -p skillbrain-connectors --release csv_read_rate -- --ignored --nocapture`.
#[test]
#[ignore]
fn csv_read_rate() {
    let (table, csv, _) = FIXTURES[3];
    let (header, rows) = csv.split_once('\n').unwrap();
    let mut text = format!("{header}\n");
    while text.len() < 64 << 20 {
        text.push_str(rows);
    }
    let start = std::time::Instant::now();
    let batches = read_with(table, FileFormat::Csv, text.as_bytes(), 65_536).unwrap();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let rate = rows as f64 / start.elapsed().as_secs_f64();
    println!("{rows} rows of {table} at {rate:.0} rows/s");
}

mod collecting;
mod connector;
mod errors;
mod parquet_files;
