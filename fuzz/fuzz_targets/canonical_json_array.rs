//! A JSON array of canonical objects through `read_json_array_collecting`: the first
//! byte picks the table, the rest is the body. Never a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use skillbrain_connectors::file::read_json_array_collecting;

fuzz_target!(|data: &[u8]| {
    common::canonical(data, |table, body, opts| {
        let _ = read_json_array_collecting(table, "fuzz.json", body, opts);
    });
});
