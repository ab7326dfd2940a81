//! Typed values of the canonical columns, and parsing text into them the same way for
//! every text format.

use arrow::datatypes::DataType;

/// The Arrow type of a canonical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Utf8,
    Int32,
    Int64,
    Float64,
    Boolean,
    Timestamp,
}

impl Kind {
    pub(crate) fn of(data_type: &DataType) -> Kind {
        match data_type {
            DataType::Int32 => Kind::Int32,
            DataType::Int64 => Kind::Int64,
            DataType::Float64 => Kind::Float64,
            DataType::Boolean => Kind::Boolean,
            DataType::Timestamp(..) => Kind::Timestamp,
            _ => Kind::Utf8,
        }
    }

    /// What a value of this kind looks like, for error messages.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Kind::Utf8 => "text",
            Kind::Int32 | Kind::Int64 => "a whole number",
            Kind::Float64 => "a finite number",
            Kind::Boolean => "true, false, 1 or 0",
            Kind::Timestamp => {
                "a timestamp like 2025-06-01T08:30:00Z, 2025-06-01T08:30:00+08:00, \
                 2025-06-01 08:30:00 (UTC) or 2025-06-01"
            }
        }
    }
}

/// One value, typed by its column's [`Kind`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Microseconds since the epoch, UTC.
    Ts(i64),
}

/// Parses the text of one value; empty text is null.
pub(crate) fn parse_text(kind: Kind, s: &str) -> Result<Cell<'_>, String> {
    if s.is_empty() {
        return Ok(Cell::Null);
    }
    let parsed = match kind {
        Kind::Utf8 => Some(Cell::Str(s)),
        Kind::Int32 => s.parse::<i32>().ok().map(|v| Cell::Int(v.into())),
        Kind::Int64 => s.parse::<i64>().ok().map(Cell::Int),
        Kind::Float64 => s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Cell::Float),
        Kind::Boolean => parse_bool(s).map(Cell::Bool),
        Kind::Timestamp => parse_timestamp(s.as_bytes()).map(Cell::Ts),
    };
    parsed.ok_or_else(|| type_error(kind, s))
}

/// "expected …, got "…"" for a value that is not of the column's type.
pub(crate) fn type_error(kind: Kind, raw: &str) -> String {
    if matches!(kind, Kind::Int32) && raw.parse::<i64>().is_ok() {
        return format!(
            "expected a whole number that fits in 32 bits, got {}",
            quote(raw)
        );
    }
    format!("expected {}, got {}", kind.expected(), quote(raw))
}

/// Quotes a raw value for a message, shortened to 60 characters.
pub(crate) fn quote(raw: &str) -> String {
    const MAX: usize = 60;
    match raw.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &raw[..cut]),
        None => format!("{raw:?}"),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" => Some(true),
        "0" => Some(false),
        _ if s.eq_ignore_ascii_case("true") => Some(true),
        _ if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = b.get(at..at + n)?;
    part.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS[.f]` (UTC) and RFC 3339 with `Z` or an
/// offset into microseconds since the epoch, UTC.
pub(crate) fn parse_timestamp(b: &[u8]) -> Option<i64> {
    let (y, m, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if b[4] != b'-' || b[7] != b'-' || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let day_micros = days_from_civil(y, m, d) * 86_400_000_000;
    if b.len() == 10 {
        return Some(day_micros);
    }
    let sep = b[10];
    let (hh, mm, ss) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if !matches!(sep, b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let mut pos = 19;
    let mut frac = 0i64;
    if b.get(pos) == Some(&b'.') {
        let start = pos + 1;
        let n = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        frac = digits(b, start, n.min(6))? * 10i64.pow(6 - n.min(6) as u32);
        pos = start + n;
    }
    let offset = match &b[pos..] {
        [] if sep == b' ' => 0,
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (oh, om) = (digits(b, pos + 1, 2)?, digits(b, pos + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = oh * 3600 + om * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    Some(day_micros + (hh * 3600 + mm * 60 + ss - offset) * 1_000_000 + frac)
}
