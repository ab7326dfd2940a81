//! End-to-end tests of the `skillbrain` binary: a small synthetic city is generated,
//! landed in a real Delta lake, the models are run, and the results are compared with
//! values computed here independently from the generated files; the HTTP API is
//! exercised on a real server.
//!
//! - `city.rs`: the shared prepared city and the binary runner.
//! - `ingest.rs`: exactly-once ingest, quarantined rows and files that cannot be read.
//! - `exports.rs`: GBK CSV and XLSX exports through the shipped column mapping.
//! - `inbox.rs`: the drop folder, also with the server killed while landing.
//! - `models.rs`: `talent_stock` and `talent_gap` against independent computations.
//! - `http.rs`: the HTTP API over a real server.
//! - `push.rs`: `POST /v1/ingest/{table}` from 16 threads at once: every acknowledged
//!   row stored exactly once.
//! - `nats/`: NATS JetStream ingestion against a `nats-server -js` of the test's own:
//!   events land once, a restart resumes where the lake is, and 20 kills at random
//!   moments lose and double nothing acknowledged by NATS or HTTP.
//! - `bad_input.rs`: the corpus of `tests/fixtures/bad/` through `ingest` and pushes,
//!   and a 10 MB line.
//! - `live.rs`: a live competition at two venues over HTTP and NATS, its leaderboard
//!   and SSE stream read by real clients (reconnecting with `Last-Event-ID`), a restart
//!   in the middle; a pushed assessment showing in an incremental model on its own.
//! - `check.rs`: `skillbrain check` on good and broken model folders.
//! - `demo.rs`: the demo command, twice.

mod bad_input;
mod check;
mod city;
mod demo;
mod exports;
mod http;
mod inbox;
mod ingest;
mod live;
mod models;
mod nats;
mod push;
