//! A batch of messages read as one NDJSON body: each payload's lines follow the
//! previous payload's, and [`Body::locate`] turns a line of the body back into the
//! message that holds it and the line within that message.

/// Byte-order mark, dropped at the start of a payload.
const BOM: &[u8] = b"\xEF\xBB\xBF";

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

#[cfg(test)]
mod tests {
    use skillbrain_connectors::Table;
    use skillbrain_connectors::file::{FileFormat, FileReadOptions, read_bytes_collecting};

    use super::*;

    fn row(event: &str, level: i32) -> String {
        format!(
            r#"{{"event_id":"{event}","period":"2026Q3","region_code":"330382","occupation_code":"6-31-01-03","level":{level},"openings":5,"job_seekers":2}}"#
        )
    }

    #[test]
    fn lines_map_back_to_their_message() {
        let mut body = Body::default();
        body.push(7, b"a\nb\n");
        body.push(8, b"");
        body.push(9, b"c");
        body.push(12, b"\xEF\xBB\xBFd\r\ne\n\nf");
        assert_eq!(body.bytes, b"a\nb\nc\nd\r\ne\n\nf\n");
        let located: Vec<_> = (0..=8).map(|l| body.locate(l)).collect();
        assert_eq!(
            located,
            [
                None,
                Some((7, 1)),
                Some((7, 2)),
                Some((9, 1)),
                Some((12, 1)),
                Some((12, 2)),
                Some((12, 3)),
                Some((12, 4)),
                None,
            ]
        );
    }

    #[test]
    fn an_empty_batch_has_no_lines() {
        let body = Body::default();
        assert!(body.bytes.is_empty());
        assert_eq!(body.locate(1), None);
    }

    #[test]
    fn a_rejected_row_names_its_message() {
        let mut body = Body::default();
        body.push(3, row("e1", 3).as_bytes());
        let two = format!("{}\n{}\n", row("e2", 3), row("e3", 9));
        body.push(5, two.as_bytes());
        body.push(6, b"{not json");
        let (batches, rejects) = read_bytes_collecting(
            Table::TalentDemand,
            "nats",
            body.bytes.clone(),
            FileFormat::Ndjson,
            &FileReadOptions::default(),
        )
        .unwrap();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 2);
        let located: Vec<_> = rejects.iter().map(|r| body.locate(r.line)).collect();
        assert_eq!(located, [Some((5, 2)), Some((6, 1))]);
        assert_eq!(rejects[0].column.as_deref(), Some("level"));
    }
}
