//! One sheet of an XLSX workbook as a raw table. calamine reads the sheet whole; the
//! first non-empty row is the header, and cells are rendered as text as they are
//! iterated: strings as they are, numbers as Rust prints them (`88`, `92.5`), booleans
//! `true`/`false`, date cells `YYYY-MM-DD HH:MM:SS` (time-only cells `HH:MM:SS`,
//! durations `H:MM:SS`; milliseconds appended when not zero), ISO date text as it is.
//! An error value (`#DIV/0!`) is an error naming its row and column.

use std::io::{Read, Seek, SeekFrom};
use std::panic::{self, AssertUnwindSafe};

use calamine::{Data, Range, Reader, SheetType, SheetVisible, Xlsx, XlsxError};

use super::rows::{self, Records, RowSource};
use super::{RawFormat, RawOptions, RawRecord, RawTable, detect};
use crate::error::{Error, Result};

/// Opens the sheet `opts.sheet` (or the first visible worksheet) of the workbook in
/// `input` and reads its header.
pub(super) fn open<RS: Read + Seek>(
    file: String,
    mut input: RS,
    opts: &RawOptions,
) -> Result<RawTable> {
    let bad_file = |reason: String| Error::BadFile {
        file: file.clone(),
        reason,
    };
    let io_error = |source| Error::Io {
        path: file.clone().into(),
        source,
    };
    let mut magic = Vec::with_capacity(8);
    input
        .by_ref()
        .take(8)
        .read_to_end(&mut magic)
        .map_err(io_error)?;
    input.seek(SeekFrom::Start(0)).map_err(io_error)?;
    if !magic.starts_with(b"PK\x03\x04") {
        return Err(bad_file(not_a_zip(&magic)));
    }
    let mut book: Xlsx<RS> = guarded(|| Xlsx::new(input)).map_err(&bad_file)?;
    let sheets = book.sheets_metadata().to_vec();
    let names = || {
        let quoted: Vec<String> = sheets.iter().map(|s| format!("'{}'", s.name)).collect();
        quoted.join(", ")
    };
    let sheet = match &opts.sheet {
        Some(want) if sheets.iter().any(|s| s.name == *want) => want.clone(),
        Some(want) => {
            return Err(bad_file(format!(
                "no sheet named '{want}'; the sheets are {}",
                names()
            )));
        }
        None => {
            let worksheet = |s: &&calamine::Sheet| matches!(s.typ, SheetType::WorkSheet);
            let visible = |s: &&calamine::Sheet| matches!(s.visible, SheetVisible::Visible);
            let first = (sheets.iter().filter(worksheet).find(visible))
                .or_else(|| sheets.iter().find(worksheet));
            match first {
                Some(sheet) => sheet.name.clone(),
                None => return Err(bad_file("the workbook has no worksheet".into())),
            }
        }
    };
    let range = guarded(|| book.worksheet_range(&sheet))
        .map_err(|reason| bad_file(format!("sheet '{sheet}' cannot be read: {reason}")))?;
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut rows = SheetRows {
        range,
        file,
        sheet,
        next: 0,
        top: u64::from(top),
        left,
        width: usize::MAX,
    };
    let header = loop {
        match rows.next_row()? {
            Some(row) if row.is_blank() => continue,
            Some(row) => break row,
            None => {
                return Err(Error::BadFile {
                    file: rows.file,
                    reason: format!(
                        "sheet '{}' is empty; expected a header row naming the columns",
                        rows.sheet
                    ),
                });
            }
        }
    };
    let width = header
        .fields
        .iter()
        .rposition(|f| !f.trim().is_empty())
        .map_or(0, |i| i + 1);
    let headers =
        rows::check_headers(&header.fields[..width], |i| rows.letter(i)).map_err(|reason| {
            Error::BadFile {
                file: rows.file.clone(),
                reason: format!(
                    "sheet '{}', row {} (the header): {reason}",
                    rows.sheet, header.line
                ),
            }
        })?;
    rows.width = width;
    Ok(RawTable {
        source: rows.file.clone(),
        format: RawFormat::Xlsx,
        encoding: None,
        delimiter: None,
        sheet: Some(rows.sheet.clone()),
        header_line: header.line,
        records: Box::new(Records::new(rows, width)),
        headers,
    })
}

/// What a file that should be XLSX but is not a ZIP archive is, as far as its first
/// bytes tell.
fn not_a_zip(magic: &[u8]) -> String {
    let what = if magic.is_empty() {
        "the file is empty"
    } else if magic.starts_with(b"\xD0\xCF\x11\xE0") {
        "it is a legacy Excel (.xls) or password-protected workbook: save it as .xlsx \
         without a password, or as CSV"
    } else if detect::looks_like_text(magic) {
        "it looks like text: a CSV file with an .xlsx name? Read it as csv"
    } else {
        "it is not a ZIP archive"
    };
    format!("not an XLSX workbook: {what}")
}

/// Runs a calamine call, turning its error, or a panic on malformed content, into a
/// reason a person can act on.
fn guarded<T>(f: impl FnOnce() -> Result<T, XlsxError>) -> Result<T, String> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(XlsxError::Zip(e))) => Err(format!(
            "not a readable XLSX workbook: the ZIP archive is damaged or cut short ({e})"
        )),
        Ok(Err(XlsxError::Io(e))) => Err(format!("not a readable XLSX workbook: {e}")),
        Ok(Err(e)) => Err(format!(
            "not a valid XLSX workbook (a ZIP archive of something else, or damaged): {e}"
        )),
        Err(_) => Err("not a valid XLSX workbook: its content is malformed".into()),
    }
}

struct SheetRows {
    range: Range<Data>,
    file: String,
    sheet: String,
    /// The next row, relative to the range's top.
    next: usize,
    /// The 0-based sheet row and column of the range's top left cell.
    top: u64,
    left: u32,
    /// The number of headers, once the header is read.
    width: usize,
}

impl SheetRows {
    /// The column letter of the range's `i`th column.
    fn letter(&self, i: usize) -> String {
        column_letter(u64::from(self.left) + i as u64)
    }

    fn bad_cell(&self, row: u64, column: usize, reason: String) -> Error {
        Error::BadCell {
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            row,
            column: self.letter(column),
            reason,
        }
    }
}

impl RowSource for SheetRows {
    fn next_row(&mut self) -> Result<Option<RawRecord>> {
        if self.next >= self.range.height() {
            return Ok(None);
        }
        let row = self.next;
        let line = self.top + row as u64 + 1;
        self.next += 1;
        let columns = self.range.width();
        let mut fields = Vec::with_capacity(columns.min(self.width));
        for i in 0..columns {
            let Some(cell) = self.range.get((row, i)) else {
                break;
            };
            let text = render(cell).map_err(|reason| self.bad_cell(line, i, reason))?;
            if i < self.width {
                fields.push(text);
            } else if !text.trim().is_empty() {
                return Err(self.bad_cell(
                    line,
                    i,
                    format!(
                        "'{text}' is in a column without a header; give the column a \
                         header or clear it (is a row above the header a title?)"
                    ),
                ));
            }
        }
        fields.resize(columns.min(self.width), String::new());
        Ok(Some(RawRecord { line, fields }))
    }
}

/// A cell as text, or why it has none.
fn render(cell: &Data) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_duration() => duration(dt.as_f64()),
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            let millis = if ms == 0 {
                String::new()
            } else {
                format!(".{ms:03}")
            };
            if (0.0..1.0).contains(&dt.as_f64()) {
                format!("{h:02}:{mi:02}:{s:02}{millis}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{millis}")
            }
        }
        Data::Error(e) => {
            return Err(format!(
                "the cell holds the error {e}; fix its formula or clear it"
            ));
        }
    })
}

/// A duration in days as `H:MM:SS`, hours unbounded.
fn duration(days: f64) -> String {
    if !days.is_finite() {
        return days.to_string();
    }
    let millis = (days.abs() * 86_400_000.0).round() as u64;
    let sign = if days < 0.0 && millis > 0 { "-" } else { "" };
    let (secs, ms) = (millis / 1000, millis % 1000);
    let text = format!(
        "{sign}{}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if ms == 0 {
        text
    } else {
        format!("{text}.{ms:03}")
    }
}

/// The letter of a 0-based column: `A`, …, `Z`, `AA`, ….
pub(super) fn column_letter(index: u64) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}
