//! National ID validation (`identity::validate_national_id`) and the worker ID derived
//! from a valid one, on any text. Never a panic; a rejection never quotes a number of
//! ten or more digits that was given.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use skillbrain_connectors::identity::{Pseudonymizer, mask_national_id, validate_national_id};

fuzz_target!(|data: &[u8]| {
    common::run(|| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let _ = mask_national_id(text);
        match validate_national_id(text) {
            Ok(id) => {
                assert!((1900..=2100).contains(&id.birth_year()));
                assert_eq!(id.masked().chars().count(), 18);
                let secret =
                    Pseudonymizer::new(b"skillbrain-fuzz-secret-0123456789").expect("long");
                assert_eq!(secret.worker_id(&id).len(), 33);
            }
            Err(reject) => {
                let digits = text.trim();
                if digits.len() >= 10 && digits.bytes().all(|b| b.is_ascii_digit()) {
                    assert!(!reject.reason.contains(digits), "{}", reject.reason);
                }
            }
        }
    });
});
