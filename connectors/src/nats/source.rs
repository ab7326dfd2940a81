//! A batch of messages read as one NDJSON body: each payload's lines follow the
//! previous payload's, and [`Body::locate`] turns a line of the body back into the
//! message that holds it and the line within that message, for the quarantine rows.

use super::{NAME, NatsConfig, NatsMessage, subject};
use crate::connector::{DecodeContext, Decoded, required_table};
use crate::error::Result;
use crate::file::{FileFormat, read_bytes_collecting};
use crate::quarantine::Quarantined;

/// Byte-order mark, dropped at the start of a payload.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How errors of a batch name it.
const SOURCE: &str = "nats";

/// The payloads of a batch joined into one NDJSON body.
#[derive(Debug, Default)]
pub(super) struct Body {
    /// The body: every payload, each ending with a newline.
    pub(super) bytes: Vec<u8>,
    /// `(first body line, stream sequence)` of each payload with at least one line, in
    /// body order (lines are 1-based).
    starts: Vec<(u64, u64)>,
    /// Lines in the body.
    lines: u64,
}

impl Body {
    /// Appends the payload of the message at stream sequence `sequence`.
    pub(super) fn push(&mut self, sequence: u64, payload: &[u8]) {
        let payload = payload.strip_prefix(BOM).unwrap_or(payload);
        if payload.is_empty() {
            return;
        }
        let mut lines = payload.iter().filter(|&&b| b == b'\n').count() as u64;
        self.starts.push((self.lines + 1, sequence));
        self.bytes.extend_from_slice(payload);
        if !payload.ends_with(b"\n") {
            self.bytes.push(b'\n');
            lines += 1;
        }
        self.lines += lines;
    }

    /// The stream sequence of the message holding body line `line` (1-based), and the
    /// line's number within that message; `None` past the end.
    pub(super) fn locate(&self, line: u64) -> Option<(u64, u64)> {
        if line == 0 || line > self.lines {
            return None;
        }
        let i = self.starts.partition_point(|&(start, _)| start <= line);
        let (start, sequence) = self.starts[i.checked_sub(1)?];
        Some((sequence, line - start + 1))
    }
}

/// Reads `messages` as one NDJSON body: the good rows in memory, each bad row
/// quarantined with its message's stream sequence and its line in that message.
pub(super) fn decode(
    config: &NatsConfig,
    ctx: &DecodeContext<'_>,
    messages: &[NatsMessage],
) -> Result<Decoded> {
    let table = required_table(NAME, config.table)?;
    let mut body = Body::default();
    for message in messages {
        body.push(message.sequence, &message.payload);
    }
    let bytes = std::mem::take(&mut body.bytes);
    let (batches, rejects) =
        read_bytes_collecting(table, SOURCE, bytes, FileFormat::Ndjson, ctx.read)?;
    let origin = format!("nats {} (stream {})", subject(table), config.stream);
    let rows = (rejects.iter())
        .map(|reject| {
            let (sequence, line) = body.locate(reject.line).unwrap_or((0, reject.line));
            Quarantined {
                line: Some(line),
                offset: Some(sequence),
                ..Quarantined::from_reject(&origin, reject)
            }
        })
        .collect();
    Ok(Decoded::in_memory(table, batches, rows))
}
