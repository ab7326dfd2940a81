//! A reader that decodes UTF-8 or GB18030 to UTF-8 as it streams, a chunk at a time,
//! and stops at the first byte that the encoding cannot decode, the first control
//! character and the first byte-order mark past the start of the file.
//!
//! What it yields before a stop is the text up to it, so the records before the bad
//! line are read; the stop itself is an `io::Error` whose cause [`DecodingReader::take_error`]
//! gives as the crate's [`Error`], naming the line and byte offset.

use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult};

use super::Encoding;
use super::detect::{self, BOM, LINE_BOM};
use crate::error::Error;

/// How many raw bytes are decoded at a time.
const CHUNK: usize = 1 << 16;

pub(super) struct DecodingReader<R> {
    file: String,
    encoding: Encoding,
    decoder: Decoder,
    input: io::Chain<io::Cursor<Vec<u8>>, R>,
    /// Raw bytes read but not yet decoded: `raw[..carry]` were held back from the last
    /// chunk because they might start a [`LINE_BOM`].
    raw: Vec<u8>,
    carry: usize,
    /// The file offset of `raw[0]`.
    offset: u64,
    /// The 1-based line of `raw[0]`.
    line: u64,
    /// Decoded text not yet read, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    /// How many bytes of text have been decoded in all, and the last of them.
    produced: u64,
    last_byte: Option<u8>,
    /// Why decoding stopped, once the text before the stop has been read.
    stop: Option<Error>,
    /// The stop, once it has been raised as an `io::Error`.
    raised: Option<Error>,
    done: bool,
}

impl<R: Read> DecodingReader<R> {
    /// Decodes `head` from byte `skip` on (past a byte-order mark), then `rest`.
    pub(super) fn new(
        file: String,
        encoding: Encoding,
        head: Vec<u8>,
        skip: usize,
        rest: R,
    ) -> DecodingReader<R> {
        let mut head = io::Cursor::new(head);
        head.set_position(skip as u64);
        DecodingReader {
            file,
            encoding,
            decoder: encoding.codec().new_decoder_without_bom_handling(),
            input: head.chain(rest),
            raw: vec![0; CHUNK],
            carry: 0,
            offset: skip as u64,
            line: 1,
            out: Vec::new(),
            out_pos: 0,
            produced: 0,
            last_byte: None,
            stop: None,
            raised: None,
            done: false,
        }
    }

    /// Why reading failed with `ErrorKind::InvalidData`, if it was the text's fault.
    pub(super) fn take_error(&mut self) -> Option<Error> {
        self.raised.take()
    }

    /// Once the input has been decoded to its end: how many bytes of text it made, and
    /// the last of them.
    pub(super) fn end(&self) -> Option<(u64, Option<u8>)> {
        (self.done && self.stop.is_none() && self.raised.is_none())
            .then_some((self.produced, self.last_byte))
    }

    /// Reads and decodes the next chunk into `out`.
    fn fill(&mut self) -> io::Result<()> {
        let mut raw = std::mem::take(&mut self.raw);
        let got = loop {
            match self.input.read(&mut raw[self.carry..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.raw = raw;
                    return Err(e);
                }
            }
        };
        let len = self.carry + got;
        let last = got == 0;
        let keep = if last || self.encoding != Encoding::Gb18030 {
            0
        } else {
            held_back(&raw[..len])
        };
        let end = len - keep;
        self.decode(&raw[..end], last);
        self.offset += end as u64;
        self.line += memchr::memchr_iter(b'\n', &raw[..end]).count() as u64;
        raw.copy_within(end..len, 0);
        self.carry = keep;
        self.raw = raw;
        self.done = last || self.stop.is_some();
        Ok(())
    }

    /// Decodes `raw` into `out`, up to the first reason to stop, which it keeps.
    fn decode(&mut self, raw: &[u8], last: bool) {
        let mut end = raw.len();
        if let Some(at) = detect::first_control(raw) {
            end = at;
            self.stop = Some(detect::control_error(
                &self.file,
                self.line_of(raw, at),
                self.offset + at as u64,
                raw[at],
            ));
        }
        if self.encoding == Encoding::Gb18030
            && let Some(at) = memchr::memmem::find(&raw[..end], LINE_BOM)
        {
            end = at + 1;
            self.stop = Some(detect::mid_bom(&self.file, self.line_of(raw, end)));
        }
        self.out.clear();
        self.out_pos = 0;
        let mut done = 0;
        loop {
            let room = self
                .decoder
                .max_utf8_buffer_length_without_replacement(end - done)
                .unwrap_or(CHUNK * 4)
                .max(16);
            let start = self.out.len();
            self.out.resize(start + room, 0);
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &raw[done..end],
                &mut self.out[start..],
                last && self.stop.is_none(),
            );
            self.out.truncate(start + written);
            done += read;
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, after) => {
                    let at = done.saturating_sub(bad as usize + after as usize);
                    self.stop =
                        Some(self.malformed(self.line_of(raw, at), self.offset + at as u64));
                    break;
                }
            }
        }
        if let Some(at) = memchr::memmem::find(&self.out, BOM) {
            let line = self.line + memchr::memchr_iter(b'\n', &self.out[..at]).count() as u64;
            self.out.truncate(at);
            self.stop = Some(detect::mid_bom(&self.file, line));
        }
        self.produced += self.out.len() as u64;
        if let Some(&byte) = self.out.last() {
            self.last_byte = Some(byte);
        }
    }

    fn line_of(&self, raw: &[u8], at: usize) -> u64 {
        self.line + detect::line_at(raw, at) - 1
    }

    fn malformed(&self, line: u64, offset: u64) -> Error {
        let reason = match self.encoding {
            Encoding::Utf8 => format!(
                "a byte that is not UTF-8 at byte offset {offset}; if the file was saved \
                 as GBK, read it with encoding gb18030"
            ),
            Encoding::Gb18030 => format!(
                "a byte that is not GB18030/GBK at byte offset {offset}; the file mixes \
                 encodings or is damaged: save it again as UTF-8 CSV"
            ),
        };
        Error::BadRecord {
            file: self.file.clone(),
            line,
            reason,
        }
    }
}

/// How many bytes at the end of `raw` might start a [`LINE_BOM`] that the next chunk
/// completes.
fn held_back(raw: &[u8]) -> usize {
    (1..LINE_BOM.len())
        .rev()
        .find(|&n| raw.ends_with(&LINE_BOM[..n]))
        .unwrap_or(0)
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.out_pos);
                buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if let Some(stop) = self.stop.take() {
                self.raised = Some(stop);
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the text cannot be decoded",
                ));
            }
            if self.done {
                return Ok(0);
            }
            self.fill()?;
        }
    }
}
