//! National ID numbers (居民身份证号码) per GB 11643-1999.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::normalize::{Reject, clean};

/// Weights of the first 17 digits in the check sum (ISO 7064 MOD 11-2: 2^(17-i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character for each remainder of the weighted sum modulo 11.
const CHECK: [u8; 11] = *b"10X98765432";

/// The first two digits of a region code that may begin a national ID: the provinces of
/// GB/T 2260, 71 Taiwan, 81 Hong Kong, 82 Macao, 83 (residence permits of Taiwan
/// residents) and 91 (foreigners' permanent residence ID cards of 2023).
const PROVINCES: [u8; 36] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91,
];

/// A validated 18-character national ID number.
///
/// The number itself is private: there is no `Display`, no `Serialize` and no accessor;
/// `Debug` prints the masked form. Use [`Pseudonymizer::worker_id`](super::Pseudonymizer)
/// to derive the stored identifier.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NationalId {
    /// The 18 characters, check character upper-case.
    number: String,
    /// The birth date of characters 7–14.
    birth: NaiveDate,
}

/// Sex as the national ID records it (the parity of its 17th digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    /// Odd 17th digit.
    Male,
    /// Even 17th digit.
    Female,
}

impl Gender {
    /// `M` or `F`, as the `workers.gender` column holds it.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "M",
            Gender::Female => "F",
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl NationalId {
    /// The year of birth.
    pub fn birth_year(&self) -> i32 {
        self.birth.year()
    }

    /// The date of birth.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }

    /// Male for an odd 17th digit, female for an even one.
    pub fn gender(&self) -> Gender {
        match self.number.as_bytes().get(16) {
            // b'0' is even, so a digit's byte has the digit's parity.
            Some(d) if d % 2 == 1 => Gender::Male,
            _ => Gender::Female,
        }
    }

    /// The number with its birth date hidden: the first 6 and last 4 characters around
    /// `********`.
    pub fn masked(&self) -> String {
        mask(&self.number.chars().collect::<Vec<_>>())
    }

    /// The 18 characters, upper-case, for the keyed hash.
    pub(super) fn as_str(&self) -> &str {
        &self.number
    }
}

impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NationalId").field(&self.masked()).finish()
    }
}

/// `text` as a national ID number, with a birth date from 1900 to 2100.
///
/// Surrounding whitespace is trimmed, full-width digits are folded and a lower-case `x`
/// check character is accepted. The rules, checked in this order: 18 characters (15-digit
/// numbers of the old format are rejected), 17 digits and a digit or `X`, a province code
/// in the first two digits, a real birth date in characters 7–14, and the check character
/// of GB 11643-1999 (ISO 7064 MOD 11-2). Reasons never quote more than the masked number.
pub fn validate_national_id(text: &str) -> Result<NationalId, Reject> {
    validate(text, NaiveDate::from_ymd_opt(2100, 12, 31))
}

/// As [`validate_national_id`], also rejecting a birth date after `today`.
pub fn validate_national_id_on(text: &str, today: NaiveDate) -> Result<NationalId, Reject> {
    validate(text, Some(today))
}

/// The checks of [`validate_national_id`], with `latest` the last possible birth date.
fn validate(text: &str, latest: Option<NaiveDate>) -> Result<NationalId, Reject> {
    let value = clean(text);
    let chars: Vec<char> = value.chars().map(|c| c.to_ascii_uppercase()).collect();
    if chars.is_empty() {
        return Err(Reject::new("empty national ID number"));
    }
    if chars.len() == 15 && chars.iter().all(char::is_ascii_digit) {
        return Err(Reject::new(
            "15-digit national ID numbers are not accepted; use the 18-digit number",
        ));
    }
    if chars.len() != 18 {
        return Err(Reject::new(format!(
            "a national ID number has 18 characters; this value has {}",
            chars.len()
        )));
    }
    let fail = |what: &str| Reject::new(format!("national ID {}: {what}", mask(&chars)));
    if let Some(at) = chars[..17].iter().position(|c| !c.is_ascii_digit()) {
        return Err(fail(&format!(
            "character {} is not a digit; the first 17 characters are digits",
            at + 1
        )));
    }
    if !(chars[17].is_ascii_digit() || chars[17] == 'X') {
        return Err(fail("the last character is neither a digit nor X"));
    }
    // All 18 characters are ASCII from here on.
    let number: String = chars.iter().collect();
    let digits: Vec<u32> = number
        .bytes()
        .map(|b| u32::from(b.wrapping_sub(b'0')))
        .collect();
    let province = digits[0] * 10 + digits[1];
    if !PROVINCES.iter().any(|&p| u32::from(p) == province) {
        return Err(fail(
            "the first two digits are not a province code (GB/T 2260)",
        ));
    }
    let part = |from: usize, to: usize| digits[from..to].iter().fold(0, |n, d| n * 10 + d);
    let year = i32::try_from(part(6, 10)).unwrap_or(0);
    let Some(birth) = NaiveDate::from_ymd_opt(year, part(10, 12), part(12, 14)) else {
        return Err(fail("the birth date (characters 7–14) is not a real date"));
    };
    if birth.year() < 1900 {
        return Err(fail("the birth date (characters 7–14) is before 1900"));
    }
    if let Some(latest) = latest.filter(|&latest| birth > latest) {
        return Err(fail(&format!(
            "the birth date (characters 7–14) is later than {latest}"
        )));
    }
    let sum: u32 = digits[..17].iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    let expected = CHECK[(sum % 11) as usize];
    if number.as_bytes()[17] != expected {
        return Err(fail(
            "the check character does not match the first 17 digits (GB 11643-1999); \
             look for a mistyped digit",
        ));
    }
    Ok(NationalId { number, birth })
}

/// A national ID as it may be shown (in a rejection, a log): the first 6 and last 4 of
/// an 18-character number around `********`, and nothing of any other length.
pub fn mask_national_id(raw: &str) -> String {
    let chars: Vec<char> = crate::normalize::clean(raw).chars().collect();
    mask(&chars)
}

/// The first 6 and last 4 characters of an 18-character number around `********`; other
/// lengths are not shown at all.
fn mask(chars: &[char]) -> String {
    if chars.len() != 18 {
        return "********".to_owned();
    }
    let mut out: String = chars[..6].iter().collect();
    out.push_str("********");
    out.extend(&chars[14..]);
    out
}
