//! Parquet files written by other tools: columns cast by name, rows checked by number.

use arrow::array::{ArrayRef, TimestampNanosecondArray};

use super::*;

/// talent_demand with Int64 level and counts, LargeUtf8 and Utf8View text, and times in
/// nanoseconds at +08:00.
pub(super) fn loose_talent_demand(level: i64) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("event_id", DataType::LargeUtf8, true),
        Field::new("period", DataType::Utf8View, false),
        Field::new("region_code", DataType::Utf8, false),
        Field::new("occupation_code", DataType::Utf8, false),
        Field::new("level", DataType::Int64, false),
        Field::new("openings", DataType::Int32, false),
        Field::new("job_seekers", DataType::Int64, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(LargeStringArray::from(vec!["d1", "d2"])),
        Arc::new(StringViewArray::from(vec!["2026Q3", "2026Q3"])),
        Arc::new(arrow::array::StringArray::from(vec!["330382", "330302"])),
        Arc::new(arrow::array::StringArray::from(vec![
            "6-31-01-03",
            "6-18-02-04",
        ])),
        Arc::new(Int64Array::from(vec![3, level])),
        Arc::new(arrow::array::Int32Array::from(vec![120, 0])),
        Arc::new(Int64Array::from(vec![40, 0])),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).unwrap()
}

#[test]
fn parquet_columns_are_cast_to_the_canonical_types() {
    let batch = read(
        Table::TalentDemand,
        FileFormat::Parquet,
        &parquet_bytes(&loose_talent_demand(5)),
    );
    assert_eq!(batch.schema(), Table::TalentDemand.schema());
    assert_eq!(
        batch
            .column_by_name("level")
            .unwrap()
            .as_primitive::<Int32Type>()
            .values(),
        &[3, 5]
    );
    assert_eq!(batch.column_by_name("source").unwrap().null_count(), 2);
    let expected = read(
        Table::TalentDemand,
        FileFormat::Csv,
        FIXTURES[8].1.as_bytes(),
    );
    assert_eq!(batch.columns()[..7], expected.columns()[..7]);

    let updated =
        TimestampNanosecondArray::from(vec![1_748_766_600_000_000_000, 1_748_766_600_000_000_123]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(arrow::array::StringArray::from(vec!["e1", "e2"])),
        Arc::new(arrow::array::StringArray::from(vec!["330382", "330302"])),
        Arc::new(updated.with_timezone("+08:00")),
    ];
    let schema = Schema::new(vec![
        Field::new("enterprise_id", DataType::Utf8, false),
        Field::new("region_code", DataType::Utf8, false),
        Field::new("updated_at", columns[2].data_type().clone(), false),
    ]);
    let loose = RecordBatch::try_new(Arc::new(schema), columns).unwrap();
    let batch = read(
        Table::Enterprises,
        FileFormat::Parquet,
        &parquet_bytes(&loose),
    );
    let expected = read(
        Table::Enterprises,
        FileFormat::Csv,
        FIXTURES[1].1.as_bytes(),
    );
    assert_eq!(
        batch.column_by_name("updated_at"),
        expected.column_by_name("updated_at")
    );
}

#[test]
fn parquet_values_are_checked_by_row() {
    let e = error(
        Table::TalentDemand,
        FileFormat::Parquet,
        &parquet_bytes(&loose_talent_demand(1 << 40)),
    );
    assert_bad_value(e, 2, "level", r#"got "1099511627776""#);
    let e = error(
        Table::TalentDemand,
        FileFormat::Parquet,
        &parquet_bytes(&loose_talent_demand(7)),
    );
    assert_bad_value(e, 2, "level", "must be from 1 to 5, got 7");
}

#[test]
fn unreadable_parquet_is_a_bad_file() {
    let good = parquet_bytes(&loose_talent_demand(3));
    let mut garbage = b"not parquet at all".to_vec();
    garbage.extend_from_slice(b"\x10\x00\x00\x00PAR1");
    for bytes in [
        &good[..good.len() / 2],
        &good[good.len() / 2..],
        &garbage[..],
        b"",
    ] {
        let e = error(Table::TalentDemand, FileFormat::Parquet, bytes);
        assert!(
            matches!(e, Error::BadFile { ref reason, .. } if reason.contains("Parquet")),
            "{e}"
        );
    }
    let e = error(Table::Certifications, FileFormat::Parquet, &good);
    assert!(
        matches!(e, Error::BadFile { ref reason, .. } if reason.contains("unknown columns 'period'")),
        "{e}"
    );
}

#[test]
fn parquet_structure_and_nulls_are_checked() {
    let batch = loose_talent_demand(3);
    let bad_file = |batch: &RecordBatch| match error(
        Table::TalentDemand,
        FileFormat::Parquet,
        &parquet_bytes(batch),
    ) {
        Error::BadFile { reason, .. } => reason,
        other => panic!("expected a bad file, got {other}"),
    };
    assert!(
        bad_file(&batch.project(&[0, 1, 2, 3, 4, 5]).unwrap())
            .contains("required columns job_seekers are missing")
    );
    let mut columns = batch.columns().to_vec();
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    columns[5] = Arc::new(arrow::array::StringArray::from(vec!["120", "0"]));
    fields[5] = Field::new("openings", DataType::Utf8, false);
    let typed =
        RecordBatch::try_new(Arc::new(Schema::new(fields.clone())), columns.clone()).unwrap();
    assert!(
        bad_file(&typed)
            .contains("column 'openings' has type Utf8, which cannot be read as a whole number")
    );
    columns[5] = batch.column(5).clone();
    fields[5] = batch.schema().field(5).clone();
    columns[0] = Arc::new(LargeStringArray::from(vec![Some("d1"), None]));
    let nulls = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let e = error(
        Table::TalentDemand,
        FileFormat::Parquet,
        &parquet_bytes(&nulls),
    );
    assert_bad_value(e, 2, "event_id", "required value is missing");
}
