//! Dates and times as sources write them, normalised to UTC.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::{Reject, clean, quote};

/// China Standard Time, UTC+8: the zone of every local time without an offset.
const CST_SECONDS: i32 = 8 * 3600;

/// The largest Excel serial day number, 9999-12-31.
const MAX_SERIAL: u32 = 2_958_465;

/// The earliest and latest years accepted, Excel's range.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// The instant `text` names, in UTC.
///
/// Accepted, after trimming and folding full-width characters:
/// - dates `2026-11-28`, `2026/11/28`, `2026.11.28`, `2026年11月28日` (the `日` optional),
///   month and day with one or two digits (`2026/1/5`), and 8 digits `20261128`;
/// - any of these followed by a time `08:30`, `08:30:00` or `08:30:00.250`, separated by
///   spaces or `T` (after `日` the space may be left out);
/// - RFC 3339: a date, `T`, a time and an offset `Z`, `+08:00`, `+0800` or `+08`;
/// - Excel serial day numbers `45623` or `45623.5` (days since 1899-12-30, the fraction
///   being the time of day), from 1 (1900-01-01) to 2958465 (9999-12-31). Like Excel,
///   serials below 60 count from 1899-12-31, because Excel holds 1900 to be a leap year;
///   60, Excel's fictitious 1900-02-29, is rejected.
///
/// **A date or time without an offset is China Standard Time (UTC+8)** and is converted to
/// UTC: `2026-11-28` is `2026-11-27T16:00:00Z`, `2026-11-28 08:30` is `2026-11-28T00:30:00Z`.
/// To get the local date back, add 8 hours before taking the date.
///
/// Rejected: impossible dates and times (`2026-02-30`, `24:00`), years before 1900 or after
/// 9999, and a number whose whole part is 1900 to 2100 (`2026`, `2026.11`), which is more
/// likely a year than an Excel serial day in 1905.
pub fn date(text: &str) -> Result<DateTime<Utc>, Reject> {
    let value = clean(text);
    if value.is_empty() {
        return Err(Reject::new("empty date; a date is required"));
    }
    if value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && let Some(result) = number(&value)
    {
        return result;
    }
    let chars: Vec<char> = value.chars().take(64).collect();
    let parsed = if chars.len() < 64 {
        Parser { chars, pos: 0 }.date_time()
    } else {
        None
    };
    let Some(Parsed { date, time, offset }) = parsed else {
        return Err(Reject::new(format!(
            "{} is not a date; write YYYY-MM-DD (or with / . 年月日), optionally followed by \
             HH:MM[:SS] (China Standard Time unless an offset such as +08:00 or Z follows), \
             or an Excel serial day number",
            quote(&value)
        )));
    };
    let Some(day) =
        NaiveDate::from_ymd_opt(date.0, date.1, date.2).filter(|_| YEARS.contains(&date.0))
    else {
        return Err(impossible(
            &value,
            "not a real calendar date between 1900 and 9999",
        ));
    };
    let Some(time) = NaiveTime::from_hms_nano_opt(time.0, time.1, time.2, time.3) else {
        return Err(impossible(&value, "not a real time of day"));
    };
    let offset = match offset {
        None => CST_SECONDS,
        Some(seconds) if seconds.abs() <= 14 * 3600 => seconds,
        Some(_) => return Err(impossible(&value, "an offset beyond ±14:00")),
    };
    to_utc(day.and_time(time), offset).ok_or_else(|| impossible(&value, "out of range"))
}

/// A date from an all-digit value: `YYYYMMDD` or an Excel serial; `None` to parse it as
/// text instead (`2026.11.28`).
fn number(value: &str) -> Option<Result<DateTime<Utc>, Reject>> {
    let (whole, fraction) = match value.split_once('.') {
        Some((w, f)) if !f.contains('.') && !w.is_empty() && !f.is_empty() => (w, Some(f)),
        Some(_) => return None,
        None => (value, None),
    };
    if fraction.is_none() && whole.len() == 8 {
        let ymd: (i32, u32, u32) = (
            whole[..4].parse().ok()?,
            whole[4..6].parse().ok()?,
            whole[6..].parse().ok()?,
        );
        let day = NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2).filter(|_| YEARS.contains(&ymd.0));
        return Some(match day {
            Some(day) => to_utc(day.and_time(NaiveTime::MIN), CST_SECONDS)
                .ok_or_else(|| impossible(value, "out of range")),
            None => Err(impossible(
                value,
                "not a real calendar date between 1900 and 9999",
            )),
        });
    }
    let year: Option<u32> = whole.parse().ok().filter(|_| whole.len() == 4);
    if year.is_some_and(|y| (1900..=2100).contains(&y)) {
        return Some(Err(Reject::new(format!(
            "{} looks like a year, not a date; give the full date (YYYY-MM-DD)",
            quote(value)
        ))));
    }
    Some(serial(value, whole, fraction))
}

/// The instant of an Excel serial day number `whole.fraction`, in China Standard Time.
fn serial(value: &str, whole: &str, fraction: Option<&str>) -> Result<DateTime<Utc>, Reject> {
    let out_of_range = || {
        Reject::new(format!(
            "{} is not a date: as an Excel serial day number it is outside 1 (1900-01-01) to \
             {MAX_SERIAL} (9999-12-31)",
            quote(value)
        ))
    };
    let days: u32 = match whole.trim_start_matches('0') {
        "" => 0,
        w if w.len() > 7 => return Err(out_of_range()),
        w => w.parse().map_err(|_| out_of_range())?,
    };
    if !(1..=MAX_SERIAL).contains(&days) {
        return Err(out_of_range());
    }
    if days == 60 {
        return Err(Reject::new(format!(
            "{} is Excel's serial day for 1900-02-29, a day that did not exist (Excel counts \
             1900 as a leap year); give the date as YYYY-MM-DD",
            quote(value)
        )));
    }
    // Below 60, Excel's days start one day later, having no fictitious leap day behind them.
    let epoch = if days < 60 {
        (1899, 12, 31)
    } else {
        (1899, 12, 30)
    };
    let millis = match fraction {
        // Digits past the 12th change nothing at millisecond precision.
        Some(f) => {
            let f = &f[..f.len().min(12)];
            let part: f64 = format!("0.{f}").parse().map_err(|_| out_of_range())?;
            (part * 86_400_000.0).round() as i64
        }
        None => 0,
    };
    let local = NaiveDate::from_ymd_opt(epoch.0, epoch.1, epoch.2)
        .and_then(|e| e.checked_add_signed(Duration::days(i64::from(days))))
        .map(|d| d.and_time(NaiveTime::MIN))
        .and_then(|dt| dt.checked_add_signed(Duration::milliseconds(millis)))
        .filter(|dt| YEARS.contains(&chrono::Datelike::year(dt)))
        .ok_or_else(out_of_range)?;
    to_utc(local, CST_SECONDS).ok_or_else(out_of_range)
}

/// `local` at an offset of `seconds` east of UTC, in UTC.
fn to_utc(local: NaiveDateTime, seconds: i32) -> Option<DateTime<Utc>> {
    let offset = FixedOffset::east_opt(seconds)?;
    local
        .checked_sub_signed(Duration::seconds(i64::from(offset.local_minus_utc())))
        .map(|utc| utc.and_utc())
}

/// A rejection for a value that has a date's shape but not a possible value.
fn impossible(value: &str, what: &str) -> Reject {
    Reject::new(format!("{} is {what}", quote(value)))
}

/// The parts of a textual date and time, not yet checked for being possible.
struct Parsed {
    /// Year, month, day.
    date: (i32, u32, u32),
    /// Hour, minute, second, nanosecond.
    time: (u32, u32, u32, u32),
    /// Seconds east of UTC, when an offset was given.
    offset: Option<i32>,
}

/// A cursor over the characters of a date.
struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    /// The whole input as a date, a time and an offset; `None` if it has another shape.
    fn date_time(mut self) -> Option<Parsed> {
        let year = self.digits(4, 4)?;
        let sep = self.next()?;
        let close = match sep {
            '-' | '/' | '.' => sep,
            '年' => '月',
            _ => return None,
        };
        let month = self.digits(1, 2)?;
        self.expect(close)?;
        let day = self.digits(1, 2)?;
        let mut parsed = Parsed {
            date: (i32::try_from(year).ok()?, month, day),
            time: (0, 0, 0, 0),
            offset: None,
        };
        let after_day = sep == '年' && self.eat('日');
        if self.at_end() {
            return Some(parsed);
        }
        let spaced = self.skip_spaces();
        if !spaced && !self.eat('T') && !self.eat('t') && !after_day {
            return None;
        }
        parsed.time = self.time()?;
        self.skip_spaces();
        if !self.at_end() {
            parsed.offset = Some(self.offset()?);
        }
        self.at_end().then_some(parsed)
    }

    /// `H[H]:MM[:SS[.fraction]]`.
    fn time(&mut self) -> Option<(u32, u32, u32, u32)> {
        let hour = self.digits(1, 2)?;
        self.expect(':')?;
        let minute = self.digits(2, 2)?;
        let (mut second, mut nano) = (0, 0);
        if self.eat(':') {
            second = self.digits(2, 2)?;
            if self.eat('.') || self.eat(',') {
                let start = self.pos;
                let fraction = self.digits(1, 9)?;
                let width = u32::try_from(self.pos - start).ok()?;
                nano = fraction * 10u32.pow(9 - width);
            }
        }
        Some((hour, minute, second, nano))
    }

    /// `Z`, or a sign and `HH:MM`, `HHMM` or `HH`, as seconds east of UTC.
    fn offset(&mut self) -> Option<i32> {
        if self.eat('Z') || self.eat('z') {
            return Some(0);
        }
        let sign = match self.next()? {
            '+' => 1,
            '-' => -1,
            _ => return None,
        };
        let hours = self.digits(2, 2)?;
        let minutes = if self.eat(':') {
            self.digits(2, 2)?
        } else {
            self.digits(2, 2).unwrap_or(0)
        };
        if minutes >= 60 {
            return None;
        }
        Some(sign * i32::try_from(hours * 3600 + minutes * 60).ok()?)
    }

    /// A number of `min` to `max` ASCII digits (as many as there are, up to `max`); on
    /// `None` the cursor has not moved.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.pos;
        let mut n: u32 = 0;
        while self.pos - start < max {
            let Some(d) = self.chars.get(self.pos).and_then(|c| c.to_digit(10)) else {
                break;
            };
            n = n * 10 + d;
            self.pos += 1;
        }
        if self.pos - start < min {
            self.pos = start;
            return None;
        }
        Some(n)
    }

    fn next(&mut self) -> Option<char> {
        let c = *self.chars.get(self.pos)?;
        self.pos += 1;
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.chars.get(self.pos) == Some(&c);
        self.pos += usize::from(found);
        found
    }

    fn expect(&mut self, c: char) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// Skips whitespace; whether there was any.
    fn skip_spaces(&mut self) -> bool {
        let start = self.pos;
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }
}
