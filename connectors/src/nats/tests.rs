//! The NATS connector: body lines located back to their message, and batches decoded
//! through the [`Connector`] trait, bad rows quarantined with sequence and line.

use crate::file::{FileFormat, FileReadOptions, read_bytes_collecting};
use crate::quarantine::Quarantined;

use super::source::Body;
use super::*;

fn row(event: &str, level: i32) -> String {
    format!(
        r#"{{"event_id":"{event}","period":"2026Q3","region_code":"330382","occupation_code":"6-31-01-03","level":{level},"openings":5,"job_seekers":2}}"#
    )
}

fn message(sequence: u64, payload: impl Into<Bytes>) -> NatsMessage {
    NatsMessage {
        sequence,
        payload: payload.into(),
    }
}

#[test]
fn lines_map_back_to_their_message() {
    let mut body = Body::default();
    body.push(7, b"a\nb\n");
    body.push(8, b"");
    body.push(9, b"c");
    body.push(12, b"\xEF\xBB\xBFd\r\ne\n\nf");
    assert_eq!(body.bytes, b"a\nb\nc\nd\r\ne\n\nf\n");
    let located: Vec<_> = (0..=8).map(|l| body.locate(l)).collect();
    assert_eq!(
        located,
        [
            None,
            Some((7, 1)),
            Some((7, 2)),
            Some((9, 1)),
            Some((12, 1)),
            Some((12, 2)),
            Some((12, 3)),
            Some((12, 4)),
            None,
        ]
    );
}

#[test]
fn an_empty_batch_has_no_lines() {
    let body = Body::default();
    assert!(body.bytes.is_empty());
    assert_eq!(body.locate(1), None);
}

#[test]
fn a_rejected_row_names_its_message() {
    let mut body = Body::default();
    body.push(3, row("e1", 3).as_bytes());
    let two = format!("{}\n{}\n", row("e2", 3), row("e3", 9));
    body.push(5, two.as_bytes());
    body.push(6, b"{not json");
    let (batches, rejects) = read_bytes_collecting(
        Table::TalentDemand,
        "nats",
        body.bytes.clone(),
        FileFormat::Ndjson,
        &FileReadOptions::default(),
    )
    .unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 2);
    let located: Vec<_> = rejects.iter().map(|r| body.locate(r.line)).collect();
    assert_eq!(located, [Some((5, 2)), Some((6, 1))]);
    assert_eq!(rejects[0].column.as_deref(), Some("level"));
}

#[test]
fn a_batch_quarantines_bad_rows_with_their_sequence_and_line() {
    let two = format!("{}\n{}\n", row("e2", 3), row("e3", 9));
    let messages = vec![message(3, row("e1", 3)), message(5, two)];
    let config = NatsConnector
        .parse_config(toml::from_str("table = \"talent_demand\"").unwrap())
        .unwrap();
    assert_eq!(config.stream, "SKILLBRAIN");
    let read = FileReadOptions::default();
    let decoded = NatsConnector
        .decode(&config, &DecodeContext::canonical(&read), messages)
        .unwrap();
    let bad = Quarantined {
        source: "nats skillbrain.talent_demand (stream SKILLBRAIN)".into(),
        line: Some(2),
        offset: Some(5),
        column: Some("level".into()),
        raw_value: Some("9".into()),
        reason: "must be from 1 to 5, got 9".into(),
    };
    assert_eq!(decoded.quarantined.take(), [bad]);
    let batches = decoded.into_rows(Table::TalentDemand).unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
}

#[test]
fn subjects_follow_the_table_and_a_config_needs_one() {
    assert_eq!(subject(Table::TalentDemand), "skillbrain.talent_demand");
    let config = NatsConfig {
        stream: "OTHER".into(),
        ..NatsConfig::default()
    };
    let read = FileReadOptions::default();
    let e = NatsConnector
        .decode(&config, &DecodeContext::canonical(&read), Vec::new())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "connector 'nats': no table given; set table = \"<table>\""
    );
}
