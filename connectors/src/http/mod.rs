//! The HTTP connector: a body pushed to `POST /v1/ingest/{table}`, in the canonical
//! columns of one table, written as NDJSON, a JSON array of objects or CSV as its
//! `Content-Type` says. The whole body is read; each bad row is left out and
//! quarantined by its line (a JSON array's element by index + 1), the source named
//! `POST /v1/ingest/<table> body <16 hex digits of the body's xxh3_64>`, so that the
//! same body pushed again names the same source. The server (limits, statuses,
//! commits) stays in the engine; an unsupported `Content-Type` is the typed error
//! [`Error::UnsupportedContentType`](crate::Error::UnsupportedContentType), which the
//! engine answers with 415.
//!
//! # Layout
//! - `mod.rs`: [`HttpConnector`], its [`HttpConfig`] and [`HttpBody`].
//! - `source.rs`: [`BodyFormat`] from the `Content-Type` ([`body_format`]), the body's
//!   source name ([`body_origin`]), and decoding.
//! - `tests.rs`: content types, and bodies with bad rows.

mod source;

#[cfg(test)]
mod tests;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::connector::{Connector, DecodeContext, Decoded};
use crate::error::Result;
use crate::schema::Table;

pub use source::{BodyFormat, NDJSON_TYPES, body_format, body_origin};

/// The HTTP connector.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpConnector;

/// What a pushed body is read as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// The table whose canonical columns the body has (required).
    pub table: Option<Table>,
}

/// A pushed body and the value of its `Content-Type` header.
#[derive(Debug, Clone)]
pub struct HttpBody {
    /// The header's value as sent, if there was one.
    pub content_type: Option<Vec<u8>>,
    /// The body.
    pub body: Bytes,
}

/// The connector's name.
const NAME: &str = "http";

impl Connector for HttpConnector {
    type Config = HttpConfig;
    type Input = HttpBody;

    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "a pushed body in the canonical columns of one table: NDJSON, a JSON array of \
         objects or CSV, as its Content-Type says"
    }

    fn decode(
        &self,
        config: &HttpConfig,
        ctx: &DecodeContext<'_>,
        input: HttpBody,
    ) -> Result<Decoded> {
        source::decode(config, ctx, input)
    }
}
