//! Date normalisation (`normalize::date`) on any text. Never a panic; a rejection's
//! reason stays short whatever the input.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use skillbrain_connectors::normalize::date;

fuzz_target!(|data: &[u8]| {
    common::run(|| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        if let Err(reject) = date(text) {
            assert!(reject.reason.chars().count() < 1000, "{}", reject.reason);
        }
    });
});
