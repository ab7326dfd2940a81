//! The HTTP connector through the [`Connector`] trait: which `Content-Type`s are read
//! how, and bodies whose bad rows are quarantined under the body's source.

use arrow::array::{AsArray, RecordBatch};

use super::*;
use crate::Error;
use crate::file::FileReadOptions;
use crate::quarantine::Quarantined;

fn format(content_type: &str) -> Result<BodyFormat> {
    body_format(Some(content_type.as_bytes()))
}

fn unsupported(result: Result<BodyFormat>) -> String {
    match result {
        Err(Error::UnsupportedContentType(what)) => what,
        other => panic!("expected an unsupported content type, got {other:?}"),
    }
}

fn decode(content_type: &str, body: &str) -> Result<Decoded> {
    let config = HttpConfig {
        table: Some(Table::TalentDemand),
    };
    let input = HttpBody {
        content_type: Some(content_type.as_bytes().to_vec()),
        body: Bytes::from(body.to_owned()),
    };
    let read = FileReadOptions::default();
    HttpConnector.decode(&config, &DecodeContext::canonical(&read), input)
}

fn event_ids(batches: &[RecordBatch]) -> Vec<&str> {
    (batches.iter())
        .flat_map(|b| b.column(0).as_string::<i32>().iter().flatten())
        .collect()
}

#[test]
fn the_content_type_names_the_body_format() {
    assert_eq!(format("application/x-ndjson").unwrap(), BodyFormat::Ndjson);
    assert_eq!(format("Application/JSONL").unwrap(), BodyFormat::Ndjson);
    assert_eq!(
        format("application/json; charset=\"UTF-8\"").unwrap(),
        BodyFormat::JsonArray
    );
    assert_eq!(format("text/csv;charset=utf8").unwrap(), BodyFormat::Csv);
    assert_eq!(
        unsupported(body_format(None)),
        "the request has no Content-Type"
    );
    assert_eq!(
        unsupported(body_format(Some(b"text/csv\xff"))),
        "the Content-Type is not readable"
    );
    assert_eq!(
        unsupported(format("text/csv; charset=gbk")),
        "charset 'gbk' is not supported"
    );
    assert_eq!(
        unsupported(format("text/plain")),
        "Content-Type 'text/plain' is not supported"
    );
}

#[test]
fn a_bad_element_of_a_json_array_is_quarantined_by_its_index() {
    let body = r#"[{"event_id":"d1","period":"2026Q3","region_code":"330382","occupation_code":"6-31-01-03","level":3,"openings":12,"job_seekers":4},
        {"event_id":"d2","period":"2026Q3","region_code":"330382","occupation_code":"6-31-01-03","level":3,"openings":-1,"job_seekers":4}]"#;
    let decoded = decode("application/json", body).unwrap();
    assert_eq!(decoded.quarantine_table, Table::TalentDemand);
    let rows = decoded.quarantined.take();
    let source = &rows[0].source;
    let hash = source
        .strip_prefix("POST /v1/ingest/talent_demand body ")
        .unwrap();
    assert!(hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(source, &body_origin(Table::TalentDemand, body.as_bytes()));
    assert_ne!(source, &body_origin(Table::TalentDemand, b"[]"));
    let bad = Quarantined {
        source: source.clone(),
        line: Some(2),
        offset: None,
        column: Some("openings".into()),
        raw_value: Some("-1".into()),
        reason: "must be zero or more, got -1".into(),
    };
    assert_eq!(rows, [bad]);
    let batches = decoded.into_rows(Table::TalentDemand).unwrap();
    assert_eq!(event_ids(&batches), ["d1"]);
}

#[test]
fn a_csv_body_reads_its_rows_and_an_unknown_type_is_refused() {
    let body = "event_id,period,region_code,occupation_code,level,openings,job_seekers\n\
        d1,2026Q3,330382,6-31-01-03,3,12,4\n\
        d2,2026Q3,330382,6-31-01-03,3,12,4\n";
    let decoded = decode("text/csv", body).unwrap();
    assert!(decoded.quarantined.is_empty());
    let batches = decoded.into_rows(Table::TalentDemand).unwrap();
    assert_eq!(event_ids(&batches), ["d1", "d2"]);
    let e = decode("text/xml", body).unwrap_err();
    assert_eq!(e.to_string(), "Content-Type 'text/xml' is not supported");
}
