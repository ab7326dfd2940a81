//! Scrubbing free text: any valid national ID number inside a message or a raw value is
//! replaced by its masked form before the text is stored or shown.

use super::national_id::{mask_national_id, validate_national_id};

/// `text` with every valid 18-character national ID number in it (17 digits and a
/// digit or `X`, not inside a longer run of digits) replaced by its masked form
/// `330382********1233`. Text without one comes back unchanged.
pub fn scrub_national_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i + 18 <= bytes.len() {
        let starts_run = i == 0 || !bytes[i - 1].is_ascii_digit();
        if starts_run && is_id_shape(&bytes[i..i + 18]) {
            let ends_run = bytes.get(i + 18).is_none_or(|b| !b.is_ascii_alphanumeric());
            let candidate = &text[i..i + 18];
            if ends_run && validate_national_id(candidate).is_ok() {
                out.push_str(&text[copied..i]);
                out.push_str(&mask_national_id(candidate));
                i += 18;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

fn is_id_shape(window: &[u8]) -> bool {
    window[..17].iter().all(u8::is_ascii_digit)
        && (window[17].is_ascii_digit() || window[17] == b'X' || window[17] == b'x')
}

#[cfg(test)]
mod tests {
    use super::scrub_national_ids;

    // 11010519491231002X is the standard's worked example; its check character is X.
    #[test]
    fn masks_a_valid_number_inside_text() {
        assert_eq!(
            scrub_national_ids("got \"11010519491231002X\" in worker_id"),
            "got \"110105********002X\" in worker_id"
        );
    }

    #[test]
    fn leaves_invalid_numbers_and_longer_runs() {
        // A wrong check character is not a valid number.
        assert_eq!(
            scrub_national_ids("110105194912310021"),
            "110105194912310021"
        );
        // Nineteen digits are not an ID.
        assert_eq!(
            scrub_national_ids("1110105194912310029"),
            "1110105194912310029"
        );
        assert_eq!(scrub_national_ids("短文本"), "短文本");
    }
}
