//! The NATS connector: a batch of JetStream messages of one table's subject
//! `skillbrain.<table>`, each holding one NDJSON row or several in the table's canonical
//! columns, read as one NDJSON body. Each bad row is quarantined under
//! `nats skillbrain.<table> (stream S)` with its message's stream sequence as `offset`
//! and its line within that message. The client (fetching, acknowledging, the commit
//! that records the last sequence) stays in the engine.
//!
//! # Layout
//! - `mod.rs`: [`NatsConnector`], its [`NatsConfig`] and [`NatsMessage`]; subject
//!   naming ([`SUBJECT_PREFIX`], [`subject`]).
//! - `source.rs`: the messages joined into one body, a body line located back to its
//!   message, and decoding.
//! - `tests.rs`: locating lines, and batches with bad rows.

mod source;

#[cfg(test)]
mod tests;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::connector::{Connector, DecodeContext, Decoded};
use crate::error::Result;
use crate::schema::Table;

/// The first token of every subject: a table's rows go to `skillbrain.<table>`.
pub const SUBJECT_PREFIX: &str = "skillbrain";

/// The stream of the subjects unless the config names another.
pub const DEFAULT_STREAM: &str = "SKILLBRAIN";

/// The subject a table's rows are published to.
pub fn subject(table: Table) -> String {
    format!("{SUBJECT_PREFIX}.{}", table.name())
}

/// The NATS connector.
#[derive(Debug, Clone, Copy, Default)]
pub struct NatsConnector;

/// Which table's messages a batch holds, and the stream they come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NatsConfig {
    /// The table whose subject the messages come from (required).
    pub table: Option<Table>,
    /// The JetStream stream, as quarantine rows name it.
    pub stream: String,
}

impl Default for NatsConfig {
    fn default() -> Self {
        NatsConfig {
            table: None,
            stream: DEFAULT_STREAM.to_owned(),
        }
    }
}

/// One message: its stream sequence and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsMessage {
    /// The message's sequence in its stream.
    pub sequence: u64,
    /// One JSON object per line (a byte-order mark at the start is dropped).
    pub payload: Bytes,
}

/// The connector's name.
const NAME: &str = "nats";

impl Connector for NatsConnector {
    type Config = NatsConfig;
    type Input = Vec<NatsMessage>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "a batch of NATS JetStream messages of subject skillbrain.<table>, one NDJSON row \
         or several each"
    }

    fn decode(
        &self,
        config: &NatsConfig,
        ctx: &DecodeContext<'_>,
        messages: Vec<NatsMessage>,
    ) -> Result<Decoded> {
        source::decode(config, ctx, &messages)
    }
}
