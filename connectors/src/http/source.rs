//! Decoding a pushed body: its format from the `Content-Type`, then a collecting read
//! (every good row, each bad row's line and reason), the bad rows as quarantine rows of
//! the body's source.

use super::{HttpBody, HttpConfig, NAME};
use crate::connector::{DecodeContext, Decoded, required_table};
use crate::error::{Error, Result};
use crate::file::{FileFormat, read_bytes_collecting, read_json_array_collecting};
use crate::quarantine::Quarantined;
use crate::schema::Table;

/// The media types of NDJSON, all read alike.
pub const NDJSON_TYPES: [&str; 4] = [
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
];

/// How errors of a body name it.
const BODY: &str = "body";

/// How a body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// One JSON object per line (any of [`NDJSON_TYPES`]).
    Ndjson,
    /// A JSON array of objects (`application/json`).
    JsonArray,
    /// CSV with a header row (`text/csv`).
    Csv,
}

/// The body's format from the value of its `Content-Type` (`None` when there is none);
/// any `charset` must be UTF-8. Anything else is [`Error::UnsupportedContentType`],
/// saying what was wrong.
pub fn body_format(content_type: Option<&[u8]>) -> Result<BodyFormat> {
    let unsupported = |what: String| Error::UnsupportedContentType(what);
    let Some(value) = content_type else {
        return Err(unsupported("the request has no Content-Type".into()));
    };
    // What an HTTP header value may hold as text: visible ASCII and tabs.
    let visible = value.iter().all(|&b| b == b'\t' || (32..127).contains(&b));
    let value = std::str::from_utf8(value)
        .ok()
        .filter(|_| visible)
        .ok_or_else(|| unsupported("the Content-Type is not readable".into()))?;
    let mut parts = value.split(';').map(str::trim);
    let media = parts.next().unwrap_or_default().to_ascii_lowercase();
    for param in parts {
        let (name, charset) = param.split_once('=').unwrap_or((param, ""));
        let charset = charset.trim_matches('"');
        if name.trim().eq_ignore_ascii_case("charset")
            && !charset.eq_ignore_ascii_case("utf-8")
            && !charset.eq_ignore_ascii_case("utf8")
        {
            return Err(unsupported(format!("charset '{charset}' is not supported")));
        }
    }
    match media.as_str() {
        "application/json" => Ok(BodyFormat::JsonArray),
        "text/csv" => Ok(BodyFormat::Csv),
        m if NDJSON_TYPES.contains(&m) => Ok(BodyFormat::Ndjson),
        _ => Err(unsupported(format!(
            "Content-Type '{value}' is not supported"
        ))),
    }
}

/// How a pushed body is named in the quarantine: the route and a hash of the body, so
/// that the same body pushed again names the same source.
pub fn body_origin(table: Table, bytes: &[u8]) -> String {
    let hash = xxhash_rust::xxh3::xxh3_64(bytes);
    format!("POST /v1/ingest/{table} body {hash:016x}")
}

/// Reads the whole body: its good rows in memory, its bad rows quarantined. A body
/// unreadable as a whole (a bad CSV header, not a JSON array) fails.
pub(super) fn decode(
    config: &HttpConfig,
    ctx: &DecodeContext<'_>,
    input: HttpBody,
) -> Result<Decoded> {
    let table = required_table(NAME, config.table)?;
    let format = body_format(input.content_type.as_deref())?;
    let origin = body_origin(table, &input.body);
    let (batches, rejects) = match format {
        BodyFormat::JsonArray => read_json_array_collecting(table, BODY, &input.body, ctx.read),
        BodyFormat::Ndjson => {
            read_bytes_collecting(table, BODY, input.body, FileFormat::Ndjson, ctx.read)
        }
        BodyFormat::Csv => {
            read_bytes_collecting(table, BODY, input.body, FileFormat::Csv, ctx.read)
        }
    }?;
    let rows = (rejects.iter())
        .map(|r| Quarantined::from_reject(&origin, r))
        .collect();
    Ok(Decoded::in_memory(table, batches, rows))
}
