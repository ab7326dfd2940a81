use chrono::{DateTime, Utc};

use super::super::date;
use super::{codes, reason};

/// The UTC instant of an RFC 3339 literal, for expectations.
fn utc(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("test literal")
        .with_timezone(&Utc)
}

#[test]
fn every_date_spelling_is_accepted() {
    // A date alone is midnight China Standard Time, 16:00 UTC the day before.
    let midnight = utc("2026-11-27T16:00:00Z");
    for text in [
        "2026-11-28",
        "2026/11/28",
        "2026.11.28",
        "2026年11月28日",
        "2026年11月28",
        "20261128",
        "２０２６－１１－２８",
        " 2026-11-28\u{3000}",
    ] {
        assert_eq!(date(text), Ok(midnight), "{text}");
    }
    // 08:30 CST is 00:30 UTC.
    let half_past_eight = utc("2026-11-28T00:30:00Z");
    for text in [
        "2026-11-28 08:30",
        "2026-11-28 08:30:00",
        "2026-11-28T08:30",
        "2026/11/28 8:30",
        "2026年11月28日 08:30",
        "2026年11月28日08:30:00",
        "2026-11-28T08:30:00+08:00",
        "2026-11-28T08:30:00+0800",
        "2026-11-28T00:30:00Z",
        "2026-11-28t00:30:00z",
    ] {
        assert_eq!(date(text), Ok(half_past_eight), "{text}");
    }
    assert_eq!(date("2026/1/5"), Ok(utc("2026-01-04T16:00:00Z")));
    assert_eq!(
        date("2026-11-28T08:30:00.250-05:00"),
        Ok(utc("2026-11-28T13:30:00.250Z"))
    );
    assert_eq!(date("2024-02-29"), Ok(utc("2024-02-28T16:00:00Z")));
    assert_eq!(date("9999-12-31"), Ok(utc("9999-12-30T16:00:00Z")));
}

#[test]
fn excel_serial_days_count_as_excel_does() {
    // Serial 1 is 1900-01-01 (CST midnight = 1899-12-31 16:00 UTC); 59 is 1900-02-28.
    assert_eq!(date("1"), Ok(utc("1899-12-31T16:00:00Z")));
    assert_eq!(date("59"), Ok(utc("1900-02-27T16:00:00Z")));
    // 60 is Excel's 1900-02-29, which never was.
    assert!(reason(date("60")).contains("1900-02-29"));
    // From 61 on, days since 1899-12-30: 61 is 1900-03-01, 45658 is 2025-01-01.
    assert_eq!(date("61"), Ok(utc("1900-02-28T16:00:00Z")));
    assert_eq!(date("45658"), Ok(utc("2024-12-31T16:00:00Z")));
    // 45623 is 2024-11-27; .5 is noon CST, 04:00 UTC; .25 is 06:00 CST.
    assert_eq!(date("45623.5"), Ok(utc("2024-11-27T04:00:00Z")));
    assert_eq!(date("45623.25"), Ok(utc("2024-11-26T22:00:00Z")));
    assert_eq!(date("2958465"), Ok(utc("9999-12-30T16:00:00Z")));
    for text in [
        "0",
        "0.5",
        "2958466",
        "99999999999999999999",
        "2026",
        "2026.11",
    ] {
        assert!(date(text).is_err(), "{text}");
    }
    assert!(reason(date("2026")).contains("looks like a year"));
}

#[test]
fn impossible_or_unknown_dates_are_rejected() {
    for text in [
        "2026-02-30",
        "2025-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-11-28 24:00",
        "2026-11-28 08:60",
        "2026-11-28 08:30:60",
        "1899-12-31",
        "20260230",
    ] {
        let why = reason(date(text));
        assert!(
            why.contains(&format!("'{text}'")) && why.contains("not a real"),
            "{text}: {why}"
        );
    }
    for text in [
        "",
        "yesterday",
        "28/11/2026",
        "2026-11",
        "2026-11-28Z",
        "2026-11-28T",
        "2026-11/28",
        "2026-11-28 08:30 PM",
        "2026-11-28T08:30:00+08:00:00",
        "2026-11-28T08:30:00+081",
        "2026-11-28T08:30:00+8",
        "1.2.3",
    ] {
        assert!(date(text).is_err(), "{text}");
    }
    assert!(reason(date("yesterday")).contains("YYYY-MM-DD"));
}

#[test]
fn reasons_quote_at_most_sixty_characters() {
    let long = "x".repeat(500);
    let why = reason(date(&long));
    assert!(why.contains(&format!("'{}…'", "x".repeat(60))), "{why}");
    assert!(why.chars().count() < 400);
    assert!(reason(codes().region("a\nb")).contains("'a\\nb'"));
}
