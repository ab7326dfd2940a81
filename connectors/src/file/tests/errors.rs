//! Every rejected input names the file, the line and the column, and says what is wrong.

use super::*;

const HEADER: &str = "event_id,assessment_id,worker_id,enterprise_id,region_code,occupation_code,position,level_attempted,channel,taken_at,total_score,max_score,passed\n";
const GOOD: &str =
    "a1,as1,w1,e1,330382,6-31-01-03,装配,3,onsite,2025-06-01T08:30:00Z,86.5,100,true";

/// A good assessment row on line 2, and on line 3 the same with one field replaced.
fn assessment_with(column: &str, value: &str) -> String {
    let header: Vec<&str> = HEADER.trim_end().split(',').collect();
    let mut fields: Vec<&str> = GOOD.split(',').collect();
    fields[header.iter().position(|h| *h == column).unwrap()] = value;
    format!("{HEADER}{GOOD}\n{}\n", fields.join(","))
}

#[test]
fn csv_values_break_the_rules_on_the_named_line_and_column() {
    let long = "x".repeat(100);
    let cases = [
        ("taken_at", "2025-02-30", "expected a timestamp like"),
        ("taken_at", "2025-02-30", r#"got "2025-02-30""#),
        (
            "taken_at",
            long.as_str(),
            &format!("got \"{}\"…", "x".repeat(60)),
        ),
        ("total_score", "-1", "must be zero or more, got -1"),
        (
            "total_score",
            "101",
            "total_score 101 is greater than max_score 100",
        ),
        ("total_score", "NaN", "expected a finite number"),
        ("max_score", "inf", "expected a finite number"),
        ("channel", "web", "must be one of mobile, onsite"),
        ("level_attempted", "6", "must be from 1 to 5, got 6"),
        ("level_attempted", "3.0", "expected a whole number"),
        ("level_attempted", "99999999999", "fits in 32 bits"),
        ("passed", "yes", "expected true, false, 1 or 0"),
        ("worker_id", "", "required value is missing"),
        ("region_code", "33038", "6-digit region code"),
        (
            "occupation_code",
            "6-31-1-03",
            "occupation code like 6-31-01-03",
        ),
    ];
    for (column, value, reason) in cases {
        let text = assessment_with(column, value);
        let e = error(Table::AssessmentResults, FileFormat::Csv, text.as_bytes());
        assert_bad_value(e, 3, column, reason);
    }
}

#[test]
fn rules_of_the_other_tables_are_checked() {
    let cases = [
        (
            Table::CompetitionScores,
            "event_id,competition_id,venue_id,contestant_id,stage,criterion,aspect,kind,mark,max_mark,scored_at\ns,k,v,w,1,A,A1,J,4,10,2025-06-01",
            "mark",
            "must be 0, 1, 2 or 3, got 4",
        ),
        (
            Table::CompetitionScores,
            "event_id,competition_id,venue_id,contestant_id,stage,criterion,aspect,kind,mark,max_mark,scored_at\ns,k,v,w,1,A,A1,M,3,2,2025-06-01",
            "mark",
            "mark 3 is greater than max_mark 2",
        ),
        (
            Table::CompetitionScores,
            "event_id,competition_id,venue_id,contestant_id,stage,criterion,aspect,kind,mark,max_mark,scored_at\ns,k,v,w,1,A,A1,X,1,2,2025-06-01",
            "kind",
            "must be one of M, J",
        ),
        (
            Table::TalentDemand,
            "event_id,period,region_code,occupation_code,level,openings,job_seekers\nd,2026Q5,330382,6-31-01-03,3,1,1",
            "period",
            "like 2026Q3",
        ),
        (
            Table::TalentDemand,
            "event_id,period,region_code,occupation_code,level,openings,job_seekers\nd,2026Q1,330382,6-31-01-03,3,-1,1",
            "openings",
            "zero or more",
        ),
        (
            Table::Certifications,
            "event_id,worker_id,occupation_code,ladder_order,issued_at\nc,w,6-31-01-03,9,2025-01-01",
            "ladder_order",
            "from 1 to 8",
        ),
        (
            Table::AssessmentDimensionScores,
            "event_id,dimension_code,score,max_score\na,D,21,20",
            "score",
            "score 21 is greater than max_score 20",
        ),
        (
            Table::TrainingRecords,
            "event_id,worker_id,course_id,hours,completed_at,completed\nt,w,c,-2,2025-01-01,1",
            "hours",
            "zero or more",
        ),
    ];
    for (table, text, column, reason) in cases {
        assert_bad_value(
            error(table, FileFormat::Csv, text.as_bytes()),
            2,
            column,
            reason,
        );
    }
}

#[test]
fn csv_structure_errors_name_the_problem() {
    let bad_file = |text: &str| match error(
        Table::AssessmentDimensionScores,
        FileFormat::Csv,
        text.as_bytes(),
    ) {
        Error::BadFile { file, reason } if file == "fixture" => reason,
        other => panic!("expected a bad file, got {other}"),
    };
    assert!(
        bad_file("event_id,dimension_code,score,max_score,grade,note\n")
            .contains("unknown columns 'grade', 'note'")
    );
    assert!(
        bad_file("event_id,dimension_code,score\n").contains("lacks required columns max_score")
    );
    assert!(
        bad_file("event_id,event_id,dimension_code,score,max_score\n")
            .contains("'event_id' appears twice")
    );
    assert!(bad_file("").contains("empty"));
    let e = error(
        Table::AssessmentDimensionScores,
        FileFormat::Csv,
        b"event_id,dimension\xff_code\n",
    );
    assert!(
        matches!(e, Error::BadFile { ref reason, .. } if reason.contains("not valid UTF-8")),
        "{e}"
    );
    let e = error(
        Table::AssessmentDimensionScores,
        FileFormat::Csv,
        b"event_id,dimension_code,score,max_score\na,D,1,2\na,D,1\n",
    );
    assert!(
        matches!(e, Error::BadRecord { line: 3, ref reason, .. } if reason.contains("expected 4 fields")),
        "{e}"
    );
}

#[test]
fn csv_lines_are_physical_lines() {
    let text = "event_id,dimension_code,score,max_score\n\"a\nb\",D,1,2\nc,D,x,2\n";
    let e = error(
        Table::AssessmentDimensionScores,
        FileFormat::Csv,
        text.as_bytes(),
    );
    assert_bad_value(e, 4, "score", r#"expected a finite number, got "x""#);
}

#[test]
fn a_missing_nullable_column_is_all_null() {
    let text =
        "event_id,worker_id,occupation_code,ladder_order,issued_at\nc,w,6-31-01-03,8,2025-01-01\n";
    let batch = read(Table::Certifications, FileFormat::Csv, text.as_bytes());
    assert_eq!(batch.column_by_name("level").unwrap().null_count(), 1);
    assert_eq!(batch.column_by_name("issuer").unwrap().null_count(), 1);
}

#[test]
fn invalid_utf8_names_the_line() {
    let csv = b"event_id,dimension_code,score,max_score\na,D,1,2\na,D\xff\xfe,1,2\n";
    let e = error(Table::AssessmentDimensionScores, FileFormat::Csv, csv);
    assert_bad_value(e, 3, "dimension_code", "not valid UTF-8");
    let ndjson = b"{\"event_id\":\"a\",\"dimension_code\":\"D\",\"score\":1,\"max_score\":2}\n{\"event_id\":\"\xff\"}\n";
    let e = error(Table::AssessmentDimensionScores, FileFormat::Ndjson, ndjson);
    assert!(
        matches!(e, Error::BadRecord { line: 2, ref reason, .. } if reason.contains("UTF-8")),
        "{e}"
    );
}

#[test]
fn ndjson_errors_name_the_physical_line_and_key() {
    let table = Table::AssessmentDimensionScores;
    let good = r#"{"event_id":"a","dimension_code":"D","score":1,"max_score":2}"#;
    let line3 = |bad: &str| format!("{good}\n\n{bad}\n").into_bytes();
    let e = error(
        table,
        FileFormat::Ndjson,
        &line3(r#"{"event_id":"a","dimension_code":"D","score":1,"max_score":2,"grade":"A"}"#),
    );
    assert_bad_value(e, 3, "grade", "unknown column");
    let cases = [
        (
            r#"{"event_id":"a","dimension_code":"D","score":"high","max_score":2}"#,
            "score",
            r#"expected a finite number, got "high""#,
        ),
        (
            r#"{"event_id":"a","dimension_code":7,"score":1,"max_score":2}"#,
            "dimension_code",
            "expected a JSON string, got the number 7",
        ),
        (
            r#"{"event_id":"a","dimension_code":"D","score":1,"max_score":2,"score":3}"#,
            "score",
            "appears twice",
        ),
        (
            r#"{"event_id":"a","dimension_code":"D","max_score":2}"#,
            "score",
            "required value is missing",
        ),
        (
            r#"{"event_id":"a","dimension_code":"D","score":[1],"max_score":2}"#,
            "score",
            "got a JSON array",
        ),
        (
            r#"{"event_id":"a","dimension_code":"D","score":-0.5,"max_score":2}"#,
            "score",
            "zero or more",
        ),
    ];
    for (bad, column, reason) in cases {
        assert_bad_value(
            error(table, FileFormat::Ndjson, &line3(bad)),
            3,
            column,
            reason,
        );
    }
    let level = r#"{"event_id":"c","worker_id":"w","occupation_code":"6-31-01-03","level":3.5,"ladder_order":4,"issued_at":"2025-01-01"}"#;
    assert_bad_value(
        error(Table::Certifications, FileFormat::Ndjson, level.as_bytes()),
        1,
        "level",
        "expected a whole number, got the number 3.5",
    );
    for bad in ["{\"event_id\":", "[1,2]", "{} {}", "{\"event_id\":\"a\"} x"] {
        let e = error(table, FileFormat::Ndjson, &line3(bad));
        assert!(
            matches!(e, Error::BadRecord { line: 3, ref reason, .. } if reason.contains("not a JSON object")),
            "{bad}: {e}"
        );
    }
}

#[test]
fn an_overlong_ndjson_line_is_refused() {
    let mut text = b"{\"event_id\":\"".to_vec();
    text.resize(text.len() + (17 << 20), b'a');
    let e = error(Table::AssessmentDimensionScores, FileFormat::Ndjson, &text);
    assert!(
        matches!(e, Error::BadRecord { line: 1, ref reason, .. } if reason.contains("16 MiB")),
        "{e}"
    );
}

#[test]
fn garbage_input_is_an_error_never_a_panic() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let good = parquet_bytes(&super::parquet_files::loose_talent_demand(3));
    for round in 0..200 {
        let mut bytes: Vec<u8> = (0..(round * 7) % 500)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        if round % 2 == 0 {
            let at = (state as usize) % good.len();
            bytes = good.clone();
            bytes[at] ^= (state >> 8) as u8 | 1;
        }
        for format in [FileFormat::Csv, FileFormat::Ndjson, FileFormat::Parquet] {
            let _ = read_with(Table::TalentDemand, format, &bytes, 1);
        }
    }
}
