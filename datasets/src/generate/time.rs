//! Fixed time frame of a generated city and the RFC 3339 text of timestamps.
//!
//! Generated data never looks at the wall clock: every event falls between [`START`]
//! (2024-01-01) and [`END`] (2026-11-01, exclusive), in microseconds since the Unix epoch.

use std::fmt::Write;

use super::rng::Rng;

/// One second in microseconds.
pub(crate) const SECOND: i64 = 1_000_000;
/// One minute in microseconds.
pub(crate) const MINUTE: i64 = 60 * SECOND;
/// One hour in microseconds.
pub(crate) const HOUR: i64 = 60 * MINUTE;
/// One day in microseconds.
pub(crate) const DAY: i64 = 24 * HOUR;
/// A month of 30 days in microseconds (whole days keep times of day intact).
pub(crate) const MONTH: i64 = 30 * DAY;
/// A year of 365 days in microseconds.
pub(crate) const YEAR: i64 = 365 * DAY;

/// 2024-01-01T00:00:00Z, the first instant of generated events.
pub(crate) const START: i64 = 1_704_067_200 * SECOND;
/// 2026-11-01T00:00:00Z, just after the last instant of generated events.
pub(crate) const END: i64 = 1_793_491_200 * SECOND;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

/// Midnight UTC of a date, in microseconds.
pub(crate) fn date(y: i32, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d) * DAY
}

/// The (year, month) of a timestamp.
pub(crate) fn year_month(us: i64) -> (i32, u32) {
    let (y, m, _) = civil_from_days(us.div_euclid(DAY));
    (y, m)
}

/// Appends `us` as RFC 3339 UTC with microseconds, e.g. `2025-06-01T08:30:00.000000Z`.
pub(crate) fn write_rfc3339(us: i64, out: &mut String) {
    let (y, m, d) = civil_from_days(us.div_euclid(DAY));
    let in_day = us.rem_euclid(DAY);
    let (h, rest) = (in_day / HOUR, in_day % HOUR);
    let (min, rest) = (rest / MINUTE, rest % MINUTE);
    let (s, micros) = (rest / SECOND, rest % SECOND);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{micros:06}Z"
    );
}

/// A time during Beijing working hours (08:00–18:00, i.e. 00:00–10:00 UTC), on a day
/// drawn uniformly from `[from, to)`, to the minute.
pub(crate) fn working_time(rng: &mut Rng, from: i64, to: i64) -> i64 {
    let first = from.div_euclid(DAY);
    let last = (to - 1).div_euclid(DAY).max(first);
    let day = rng.range(first as u64, last as u64 + 1) as i64;
    let t = day * DAY + rng.range(0, 10 * 60) as i64 * MINUTE;
    t.clamp(from, (to - 1).max(from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_constants_are_the_dates_they_name() {
        assert_eq!(date(2024, 1, 1), START);
        assert_eq!(date(2026, 11, 1), END);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn timestamps_print_as_rfc3339_with_microseconds() {
        let mut s = String::new();
        write_rfc3339(date(2025, 6, 1) + 8 * HOUR + 30 * MINUTE + 7, &mut s);
        assert_eq!(s, "2025-06-01T08:30:00.000007Z");
        for us in [START, END - 1, date(1999, 12, 31) + 3 * SECOND] {
            let mut ours = String::new();
            write_rfc3339(us, &mut ours);
            let theirs = chrono::DateTime::from_timestamp_micros(us)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string();
            assert_eq!(ours, theirs);
        }
    }
}
