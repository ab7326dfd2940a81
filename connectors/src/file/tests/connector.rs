//! The file connector through the [`Connector`] trait: a CSV file streams, and its bad
//! rows are quarantined under the file's path and line as the batches pass them.

use crate::connector::{Connector, DecodeContext, TableBatches};
use crate::quarantine::Quarantined;

use super::*;

/// Three rows of `talent_demand`; the second (line 3) has a level outside 1–5.
const DEMAND: &str = "event_id,period,region_code,occupation_code,level,openings,job_seekers\n\
    d1,2026Q3,330382,6-31-01-03,3,12,4\n\
    d2,2026Q3,330382,6-31-01-03,9,12,4\n\
    d3,2026Q3,330302,6-18-02-04,5,0,0\n";

fn event_ids(batch: &RecordBatch) -> Vec<String> {
    let ids = batch.column(0).as_string::<i32>();
    ids.iter().flatten().map(str::to_owned).collect()
}

#[test]
fn a_file_streams_and_quarantines_each_bad_row_as_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demand.csv");
    std::fs::write(&path, DEMAND).unwrap();
    let read = FileReadOptions { batch_rows: 1 };
    let config = FileConfig {
        table: Some(Table::TalentDemand),
        format: None,
    };
    let ctx = DecodeContext::canonical(&read);
    let mut decoded = FileConnector.decode(&config, &ctx, path.clone()).unwrap();
    assert!(decoded.is_streamed());
    assert_eq!(decoded.quarantine_table, Table::TalentDemand);
    let (table, batches) = decoded.tables.pop().unwrap();
    assert_eq!(table, Table::TalentDemand);
    assert!(matches!(batches, TableBatches::Streamed(_)));
    let mut batches = batches.into_batches();

    assert_eq!(event_ids(&batches.next().unwrap().unwrap()), ["d1"]);
    assert!(decoded.quarantined.is_empty());
    let rest: Vec<String> = batches.flat_map(|b| event_ids(&b.unwrap())).collect();
    assert_eq!(rest, ["d3"]);
    let bad = Quarantined {
        source: path.display().to_string(),
        line: Some(3),
        offset: None,
        column: Some("level".into()),
        raw_value: Some("9".into()),
        reason: "must be from 1 to 5, got 9".into(),
    };
    assert_eq!(decoded.quarantined.take(), [bad]);
}

#[test]
fn the_config_comes_from_toml_and_names_the_table() {
    let toml = toml::from_str("table = \"talent_demand\"\nformat = \"jsonl\"").unwrap();
    let config = FileConnector.parse_config(toml).unwrap();
    let want = FileConfig {
        table: Some(Table::TalentDemand),
        format: Some(FileFormat::Ndjson),
    };
    assert_eq!(config, want);

    let read = FileReadOptions::default();
    let ctx = DecodeContext::canonical(&read);
    let e = FileConnector
        .decode(&FileConfig::default(), &ctx, "demand.csv".into())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "connector 'file': no table given; set table = \"<table>\""
    );
}
