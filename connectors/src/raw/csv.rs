//! CSV rows: the encoding and delimiter detected (or given), the text decoded as it
//! streams, the header row read and checked up front. Records end at a line feed; a
//! carriage return before it is dropped, so CRLF and LF files read alike.

use std::io::Read;

use csv::{Reader, ReaderBuilder, StringRecord, Terminator};

use super::decode::DecodingReader;
use super::rows::{self, Records, RowSource};
use super::{RawFormat, RawOptions, RawRecord, RawTable, detect};
use crate::error::{Error, Result};
use crate::file::csv::wrong_width_cause;

/// Opens a CSV file that starts with `head` and goes on with `rest` (nothing more when
/// `eof`), and reads its header.
pub(super) fn open<R: Read + Send + 'static>(
    file: String,
    head: Vec<u8>,
    eof: bool,
    rest: R,
    opts: &RawOptions,
) -> Result<RawTable> {
    let (encoding, skip) = detect::encoding(&file, &head, eof, opts.encoding)?;
    let delimiter = match opts.delimiter {
        Some(delimiter) => detect::check_delimiter(&file, delimiter)?,
        None => detect::delimiter(&head[skip..]),
    };
    let text = DecodingReader::new(file.clone(), encoding, head, skip, rest);
    let reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .terminator(Terminator::Any(b'\n'))
        .buffer_capacity(1 << 16)
        .from_reader(text);
    let mut rows = CsvRows {
        reader,
        record: StringRecord::new(),
        file,
        width: None,
    };
    let header = loop {
        match rows.next_row()? {
            Some(row) if row.is_blank() => continue,
            Some(row) => break row,
            None => {
                return Err(Error::BadFile {
                    file: rows.file,
                    reason: "the file is empty; expected a header row naming the columns".into(),
                });
            }
        }
    };
    let headers =
        rows::check_headers(&header.fields, |i| (i + 1).to_string()).map_err(|reason| {
            Error::BadRecord {
                file: rows.file.clone(),
                line: header.line,
                reason,
            }
        })?;
    rows.width = Some(headers.len());
    Ok(RawTable {
        source: rows.file.clone(),
        format: RawFormat::Csv,
        encoding: Some(encoding),
        delimiter: Some(delimiter),
        sheet: None,
        header_line: header.line,
        records: Box::new(Records::new(rows, headers.len())),
        headers,
    })
}

struct CsvRows<R> {
    reader: Reader<DecodingReader<R>>,
    record: StringRecord,
    file: String,
    /// The number of headers, once the header is read.
    width: Option<usize>,
}

impl<R: Read + Send> RowSource for CsvRows<R> {
    fn next_row(&mut self) -> Result<Option<RawRecord>> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return Ok(None),
                // An empty line of a CRLF file; the reader skips those of an LF file.
                Ok(true) if self.record.len() == 1 && &self.record[0] == "\r" => {}
                Ok(true) => break,
                Err(e) => return Err(self.error(e)),
            }
        }
        let line = self.line();
        let mut fields: Vec<String> = self.record.iter().map(str::to_string).collect();
        if let Some(last) = fields.last_mut()
            && last.ends_with('\r')
        {
            last.pop();
        }
        let row = RawRecord { line, fields };
        match self.width {
            Some(width) if row.fields.len() != width && !row.is_blank() => Err(Error::BadRecord {
                file: self.file.clone(),
                line,
                reason: width_reason(&row.fields, width, self.ends_file()),
            }),
            _ => Ok(Some(row)),
        }
    }
}

impl<R: Read> CsvRows<R> {
    /// Whether the record just read ends the file.
    fn ends_file(&self) -> bool {
        let end = self.reader.position().byte();
        matches!(self.reader.get_ref().end(), Some((total, _)) if end == total)
    }

    /// The physical line where the record just read starts. The CSV reader's own start
    /// position is where it began looking, before the blank lines it skips, so the line
    /// is counted back from where the record ends: past its terminating line feed
    /// (unless it ends the file without one) and the line feeds inside its fields.
    fn line(&self) -> u64 {
        let end = self.reader.position();
        let inside: usize = (self.record.iter())
            .map(|field| memchr::memchr_iter(b'\n', field.as_bytes()).count())
            .sum();
        let terminated = match self.reader.get_ref().end() {
            Some((total, last)) if end.byte() == total => last == Some(b'\n'),
            _ => true,
        };
        end.line()
            .saturating_sub(inside as u64 + u64::from(terminated))
            .max(1)
    }

    /// The crate's error for a CSV reader's error: the decoder's reason when decoding
    /// stopped, else the file or line at fault.
    fn error(&mut self, e: csv::Error) -> Error {
        let line = e.position().map_or(0, |p| p.line());
        let reason = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(source) => match self.reader.get_mut().take_error() {
                Some(stop) => stop,
                None => Error::Io {
                    path: self.file.clone().into(),
                    source,
                },
            },
            _ => Error::BadRecord {
                file: self.file.clone(),
                line,
                reason,
            },
        }
    }
}

/// Why a record has `fields.len()` fields where the header has `width`: what the
/// record's shape tells ([`wrong_width_cause`]: a missing closing quote, a file cut off
/// short), else an unquoted delimiter or a title line.
fn width_reason(fields: &[String], width: usize, at_end: bool) -> String {
    let found = fields.len();
    let spanning = fields
        .iter()
        .map(|f| f.matches('\n').count())
        .max()
        .unwrap_or(0)
        + 1;
    match wrong_width_cause(spanning, at_end && found < width) {
        Some(cause) => format!("{found} fields, but the header has {width}: {cause}"),
        None => format!(
            "{found} fields, but the header has {width}; is a value holding the delimiter \
             without quotes around it, or is a line above the header a title?"
        ),
    }
}
