//! Canonical CSV through a collecting read: the first byte picks the table, the rest is
//! the body. Any input must give rows and rejects or an error, never a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use skillbrain_connectors::file::FileFormat;

fuzz_target!(|data: &[u8]| common::canonical_format(data, FileFormat::Csv));
