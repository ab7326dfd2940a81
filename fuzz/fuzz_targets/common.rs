//! What every target shares. The library catches the panics of the Parquet and XLSX
//! readers itself (`catch_unwind`) and turns them into errors, so such a panic is not a
//! crash; a panic that escapes the library is, and is printed with its backtrace
//! before the process aborts. (libfuzzer-sys's own hook would abort on any panic.)

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use skillbrain_connectors::Table;
use skillbrain_connectors::file::{FileFormat, FileReadOptions, read_bytes_collecting};

thread_local! {
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`; aborts, which libFuzzer reports as a crash, only when a panic escapes it.
pub fn run(f: impl FnOnce()) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let trace = std::backtrace::Backtrace::force_capture();
            LAST.with(|last| *last.borrow_mut() = Some(format!("{info}\n{trace}")));
        }));
    });
    if panic::catch_unwind(AssertUnwindSafe(f)).is_err() {
        let message = LAST
            .with(|last| last.borrow_mut().take())
            .unwrap_or_default();
        eprintln!("a panic escaped the library: {message}");
        std::process::abort();
    }
}

#[allow(dead_code)] // not every target reads canonical input
/// A canonical input: the first byte picks the table, the rest is the body, read with
/// batches of 3 rows by `read` under [`run`].
pub fn canonical(data: &[u8], read: impl FnOnce(Table, &[u8], &FileReadOptions)) {
    run(|| {
        let Some((&pick, body)) = data.split_first() else {
            return;
        };
        let table = Table::ALL[usize::from(pick) % Table::ALL.len()];
        read(table, body, &FileReadOptions { batch_rows: 3 });
    });
}

/// [`canonical`] through `read_bytes_collecting` in `format`.
#[allow(dead_code)] // not every target reads a file format
pub fn canonical_format(data: &[u8], format: FileFormat) {
    canonical(data, |table, body, opts| {
        let name = format!("fuzz.{format}");
        let _ = read_bytes_collecting(table, &name, body.to_vec(), format, opts);
    });
}
