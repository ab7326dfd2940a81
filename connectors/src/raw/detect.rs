//! What the first bytes of a CSV file tell: a byte-order mark, a container that is not
//! text at all, the encoding, the delimiter.
//!
//! Every byte that matters here (control characters, line feeds, quotes, delimiters)
//! is ASCII, and neither UTF-8 nor GB18030 uses ASCII bytes inside a multi-byte
//! character, so the raw bytes are scanned before any decoding.

use std::io::{self, Read};

use encoding_rs::DecoderResult;

use super::Encoding;
use crate::error::{Error, Result};

/// The UTF-8 byte-order mark.
pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";
/// A UTF-8 byte-order mark at the start of a line: the start of another file appended
/// to this one, whatever this one's encoding.
pub(super) const LINE_BOM: &[u8] = b"\n\xEF\xBB\xBF";
/// How much of a file the encoding is detected from.
const HEAD: usize = 1 << 20;
/// How far a pure-ASCII start is read on, looking for the first byte that tells.
const ASCII_HEAD: usize = 16 << 20;

/// Reads the head of `input`: a megabyte, or on while it is pure ASCII, up to
/// [`ASCII_HEAD`]; and whether that is the whole input.
pub(super) fn read_head<R: Read>(input: &mut R) -> io::Result<(Vec<u8>, bool)> {
    let mut head = Vec::new();
    let mut want = HEAD;
    loop {
        let before = head.len();
        let got = input
            .by_ref()
            .take((want - before) as u64)
            .read_to_end(&mut head)?;
        if head.len() < want {
            return Ok((head, true));
        }
        if got == 0 || want >= ASCII_HEAD || !head[before..].is_ascii() {
            return Ok((head, false));
        }
        want += HEAD;
    }
}

/// The encoding of a file that starts with `head`, and how many bytes of byte-order
/// mark to skip. `eof` says whether `head` is the whole file.
pub(super) fn encoding(
    file: &str,
    head: &[u8],
    eof: bool,
    given: Option<Encoding>,
) -> Result<(Encoding, usize)> {
    let bad_file = |reason: &str| Error::BadFile {
        file: file.to_string(),
        reason: reason.to_string(),
    };
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(bad_file(
            "UTF-16 is not supported; save as UTF-8 or GBK CSV",
        ));
    }
    if head.starts_with(b"PK\x03\x04") {
        return Err(bad_file(
            "this is a ZIP archive, not CSV text: an .xlsx workbook with a .csv name? \
             Read it as xlsx",
        ));
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Err(bad_file(
            "this is a legacy Excel (.xls) or password-protected workbook, not CSV text; \
             save the sheet as .xlsx or CSV",
        ));
    }
    if let Some(at) = first_control(head) {
        return Err(binary(file, head, at));
    }
    if memchr::memchr(b'\n', head).is_none()
        && memchr::memchr(b'\r', head).is_some_and(|at| at + 1 < head.len())
    {
        return Err(bad_file(
            "lines end with a carriage return alone (old Mac line endings); save the file \
             again as CSV with Windows or Unix line endings",
        ));
    }
    if let Some(at) = memchr::memmem::find(head, LINE_BOM) {
        return Err(mid_bom(file, line_at(head, at + 1)));
    }
    let bom = head.starts_with(BOM);
    match given {
        Some(Encoding::Gb18030) if bom => Err(bad_file(
            "the file starts with a UTF-8 byte-order mark, but encoding gb18030 was asked \
             for; read it as utf-8",
        )),
        Some(Encoding::Utf8) => Ok((Encoding::Utf8, if bom { BOM.len() } else { 0 })),
        Some(Encoding::Gb18030) => Ok((Encoding::Gb18030, 0)),
        None if bom => Ok((Encoding::Utf8, BOM.len())),
        None => {
            let Some(utf8) = utf8_error(head, eof) else {
                return Ok((Encoding::Utf8, 0));
            };
            let Some(gb) = gb18030_error(head, eof) else {
                return Ok((Encoding::Gb18030, 0));
            };
            // Blame the line where the reading that went further stopped: a UTF-8 file
            // with one GBK line fails as GBK early and as UTF-8 only at that line.
            let (line, reason) = if utf8 >= gb {
                let reason = format!(
                    "the file is neither UTF-8 nor GB18030/GBK: it reads as UTF-8 up to this \
                     line (a bad byte at byte offset {utf8}) and as GBK only up to byte offset \
                     {gb}; it mixes encodings, as when lines from a GBK program were pasted \
                     in, or it is not text; save the whole file as UTF-8 CSV"
                );
                (line_at(head, utf8), reason)
            } else {
                let reason = format!(
                    "the file is neither UTF-8 nor GB18030/GBK: it reads as GBK up to this \
                     line (a bad byte at byte offset {gb}) and as UTF-8 only up to byte offset \
                     {utf8}; it mixes encodings or it is not text; save it as UTF-8 CSV"
                );
                (line_at(head, gb), reason)
            };
            Err(Error::BadRecord {
                file: file.to_string(),
                line,
                reason,
            })
        }
    }
}

/// The error for a byte-order mark past the start of the file, on `line`.
pub(super) fn mid_bom(file: &str, line: u64) -> Error {
    Error::BadRecord {
        file: file.to_string(),
        line,
        reason: "a byte-order mark in the middle of the file: were two files concatenated? \
                 Remove it, and any second header row after it"
            .into(),
    }
}

/// The error for a control character at `at` in `bytes`, whose first byte is at file
/// offset 0 and on line 1.
pub(super) fn binary(file: &str, bytes: &[u8], at: usize) -> Error {
    control_error(file, line_at(bytes, at), at as u64, bytes[at])
}

/// The error for a control character `byte` at `offset` on `line`.
pub(super) fn control_error(file: &str, line: u64, offset: u64, byte: u8) -> Error {
    Error::BadRecord {
        file: file.to_string(),
        line,
        reason: format!(
            "a control character 0x{byte:02X} at byte offset {offset}: this is not CSV text \
             (a binary file, UTF-16 without a byte-order mark, or a spreadsheet with a \
             .csv name?)"
        ),
    }
}

/// The first byte in `bytes` that is a control character other than tab, line feed and
/// carriage return: text never has one, binary files nearly always do.
pub(super) fn first_control(bytes: &[u8]) -> Option<usize> {
    bytes
        .iter()
        .position(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7F)
}

/// The 1-based line of byte `at` in `bytes`.
pub(super) fn line_at(bytes: &[u8], at: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &bytes[..at.min(bytes.len())]).count() as u64
}

/// Whether `bytes`, the start of a file, look like text in one of the encodings read.
pub(super) fn looks_like_text(bytes: &[u8]) -> bool {
    first_control(bytes).is_none()
        && (utf8_error(bytes, false).is_none() || gb18030_error(bytes, false).is_none())
}

/// Where `bytes` stops being UTF-8, if it does; a character cut off at the end counts
/// as bad only when `eof`.
fn utf8_error(bytes: &[u8], eof: bool) -> Option<usize> {
    match std::str::from_utf8(bytes) {
        Ok(_) => None,
        Err(e) if e.error_len().is_none() && !eof => None,
        Err(e) => Some(e.valid_up_to()),
    }
}

/// Where `bytes` stops being GB18030, if it does; as [`utf8_error`].
fn gb18030_error(bytes: &[u8], eof: bool) -> Option<usize> {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut out = vec![0u8; 1 << 16];
    let mut done = 0;
    loop {
        let (result, read, _) =
            decoder.decode_to_utf8_without_replacement(&bytes[done..], &mut out, eof);
        match result {
            DecoderResult::InputEmpty => return None,
            DecoderResult::OutputFull => done += read,
            DecoderResult::Malformed(bad, after) => {
                return Some((done + read).saturating_sub(bad as usize + after as usize));
            }
        }
    }
}

/// The delimiter of a CSV file starting with `head` (past any byte-order mark): the one
/// of `,`, tab and `;` found most often outside quotes in the first line; `,` when
/// none is there. A tie goes to the earlier in that list.
pub(super) fn delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b'\t' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..counts.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    [b',', b'\t', b';'][best]
}

/// Checks a delimiter that was given: one ASCII byte that is not a quote, a line break
/// or a letter or digit.
pub(super) fn check_delimiter(file: &str, delimiter: u8) -> Result<u8> {
    if delimiter.is_ascii()
        && !delimiter.is_ascii_alphanumeric()
        && first_control(&[delimiter]).is_none()
        && !matches!(delimiter, b'"' | b'\n' | b'\r')
    {
        return Ok(delimiter);
    }
    Err(Error::BadFile {
        file: file.to_string(),
        reason: format!(
            "the delimiter 0x{delimiter:02X} cannot be used; give one ASCII punctuation \
             character, a space or a tab"
        ),
    })
}
