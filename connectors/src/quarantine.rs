//! Quarantine: every row a connector rejects, kept with where it came from and why, so
//! that a person can find it in the source and fix it. Each canonical table has its own
//! quarantine table with these columns:
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `reject_id` | Utf8 | idempotency key: a hash of everything below but the time |
//! | `source` | Utf8 | the file, the pushed body or the broker subject |
//! | `line` | Int64 | 1-based line (CSV, NDJSON), sheet row (XLSX) or element (JSON array) |
//! | `offset` | Int64 | the broker's stream sequence of the message, when there is one |
//! | `column` | Utf8 | the column (canonical or source header) to blame, if one is |
//! | `raw_value` | Utf8 | that column's raw text, or the record's; ≤ 200 chars, ID numbers masked |
//! | `reason` | Utf8 | what is wrong, in words a person can act on |
//! | `quarantined_at` | Timestamp(µs, UTC) | when the row was quarantined |
//!
//! The same rejection quarantined twice (a file landed again after a crash) has the same
//! `reject_id` and is stored once.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::Serialize;

use crate::file::{RowReject, raw_excerpt};
use crate::identity::scrub_national_ids;
use crate::mapping::Rejected;
use crate::schema::timestamp_type;

/// One rejected row, as the quarantine keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    /// The file, the pushed body or the broker subject the row came from.
    pub source: String,
    /// 1-based line, sheet row or array element, when known.
    pub line: Option<u64>,
    /// The broker's stream sequence, when the row came from a broker.
    pub offset: Option<u64>,
    /// The column to blame, if a single one is.
    pub column: Option<String>,
    /// The raw text of that column, or of the whole record.
    pub raw_value: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl Quarantined {
    /// A reject of a collecting read of `source`.
    pub fn from_reject(source: &str, reject: &RowReject) -> Quarantined {
        Quarantined {
            source: source.to_owned(),
            line: Some(reject.line),
            offset: None,
            column: reject.column.clone(),
            raw_value: reject.value.clone(),
            reason: reject.reason.clone(),
        }
    }

    /// A record a column mapping rejected.
    pub fn from_mapping(rejected: &Rejected) -> Quarantined {
        let column = Some(rejected.column.clone()).filter(|c| !c.is_empty());
        Quarantined {
            source: rejected.source.clone(),
            line: Some(rejected.line),
            offset: None,
            column,
            raw_value: Some(rejected.raw_value.clone()),
            reason: rejected.reason.clone(),
        }
    }

    /// The idempotency key: 32 hexadecimal digits of a hash of every field.
    pub fn reject_id(&self) -> String {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut part = |bytes: &[u8]| {
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        part(self.source.as_bytes());
        part(&self.line.map_or(-1, |l| l as i64).to_le_bytes());
        part(&self.offset.map_or(-1, |o| o as i64).to_le_bytes());
        part(self.column.as_deref().unwrap_or("\u{0}").as_bytes());
        part(self.raw_value.as_deref().unwrap_or("\u{0}").as_bytes());
        part(self.reason.as_bytes());
        format!("{:032x}", h.digest128())
    }
}

/// The schema of every quarantine table.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(Schema::new(vec![
                Field::new("reject_id", DataType::Utf8, false),
                Field::new("source", DataType::Utf8, false),
                Field::new("line", DataType::Int64, true),
                Field::new("offset", DataType::Int64, true),
                Field::new("column", DataType::Utf8, true),
                Field::new("raw_value", DataType::Utf8, true),
                Field::new("reason", DataType::Utf8, false),
                Field::new("quarantined_at", timestamp_type(), false),
            ]))
        })
        .clone()
}

/// The rows as one batch of [`schema`], stamped `at` (microseconds since the epoch).
/// Every text is scrubbed of national ID numbers and the raw value cut to 200
/// characters once more, whatever the connector did.
pub fn to_batch(rows: &[Quarantined], at_micros: i64) -> RecordBatch {
    let text = |f: &dyn Fn(&Quarantined) -> Option<String>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<StringArray>())
    };
    let int = |f: &dyn Fn(&Quarantined) -> Option<u64>| -> ArrayRef {
        let values = rows
            .iter()
            .map(|r| f(r).map(|v| i64::try_from(v).unwrap_or(i64::MAX)));
        Arc::new(values.collect::<Int64Array>())
    };
    let columns = vec![
        text(&|r| Some(r.reject_id())),
        text(&|r| Some(scrub_national_ids(&r.source))),
        int(&|r| r.line),
        int(&|r| r.offset),
        text(&|r| r.column.clone()),
        text(&|r| r.raw_value.as_deref().map(raw_excerpt)),
        text(&|r| Some(scrub_national_ids(&r.reason))),
        Arc::new(TimestampMicrosecondArray::from(vec![at_micros; rows.len()]).with_timezone("UTC")),
    ];
    RecordBatch::try_new(schema(), columns).expect("columns built to the quarantine schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(reason: &str) -> Quarantined {
        Quarantined {
            source: "a.csv".into(),
            line: Some(3),
            offset: None,
            column: Some("total_score".into()),
            raw_value: Some("120 (11010519491231002X)".into()),
            reason: reason.into(),
        }
    }

    #[test]
    fn the_key_depends_on_every_field_but_time() {
        assert_eq!(row("too high").reject_id(), row("too high").reject_id());
        assert_ne!(row("too high").reject_id(), row("too low").reject_id());
        let mut other = row("too high");
        other.line = Some(4);
        assert_ne!(other.reject_id(), row("too high").reject_id());
    }

    #[test]
    fn a_batch_masks_id_numbers() {
        let batch = to_batch(&[row("got 11010519491231002X")], 0);
        let raw = batch
            .column(5)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(raw.value(0), "120 (110105********002X)");
        let reason = batch
            .column(6)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(reason.value(0), "got 110105********002X");
        assert_eq!(batch.num_rows(), 1);
    }
}
