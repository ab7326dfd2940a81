//! [`Metrics`]: the engine's Prometheus registry, `GET /metrics`, and the middleware
//! that counts and times every request by its route template.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text::{self, CONTENT_TYPE};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::store::ModelStore;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabels {
    table: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    table: String,
    source: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The engine's metrics, in a registry of their own (no global recorder).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: HistogramFamily<RouteLabels>,
    model_rows: Family<ModelLabels, Gauge>,
    model_version: Family<ModelLabels, Gauge>,
    refresh_seconds: HistogramFamily<ModelLabels>,
    ingested_rows: Family<TableLabels, Counter>,
    duplicate_rows: Family<TableLabels, Counter>,
    rejected_rows: Family<SourceLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn seconds_histogram() -> Histogram {
    // 1 ms … ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Metrics {
    /// A registry with every metric registered and no samples yet.
    pub fn new() -> Self {
        let mut metrics = Self {
            registry: Registry::default(),
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(seconds_histogram),
            model_rows: Family::default(),
            model_version: Family::default(),
            refresh_seconds: Family::new_with_constructor(seconds_histogram),
            ingested_rows: Family::default(),
            duplicate_rows: Family::default(),
            rejected_rows: Family::default(),
        };
        let r = &mut metrics.registry;
        r.register(
            "skillbrain_http_requests",
            "HTTP requests answered, by method, route template and status",
            metrics.requests.clone(),
        );
        r.register(
            "skillbrain_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            metrics.request_seconds.clone(),
        );
        r.register(
            "skillbrain_model_rows",
            "Rows in the served snapshot of each model",
            metrics.model_rows.clone(),
        );
        r.register(
            "skillbrain_model_version",
            "Delta version of the served snapshot of each model",
            metrics.model_version.clone(),
        );
        r.register(
            "skillbrain_model_refresh_duration_seconds",
            "Time to refresh a model",
            metrics.refresh_seconds.clone(),
        );
        r.register(
            "skillbrain_ingested_rows",
            "Rows accepted into each canonical table",
            metrics.ingested_rows.clone(),
        );
        r.register(
            "skillbrain_duplicate_rows",
            "Rows received again for each canonical table and stored once",
            metrics.duplicate_rows.clone(),
        );
        r.register(
            "skillbrain_rejected_rows",
            "Rows left out of each canonical table as invalid, by source",
            metrics.rejected_rows.clone(),
        );
        metrics
    }

    /// Counts an ingest into `table`: `accepted` new rows and `duplicates` already stored.
    pub fn record_ingest(&self, table: &str, accepted: u64, duplicates: u64) {
        let labels = TableLabels {
            table: table.to_owned(),
        };
        self.ingested_rows.get_or_create(&labels).inc_by(accepted);
        self.duplicate_rows
            .get_or_create(&labels)
            .inc_by(duplicates);
    }

    /// Counts `rows` rows of `table` left out as invalid, received from `source`.
    pub fn record_rejected(&self, table: &str, source: &str, rows: u64) {
        let labels = SourceLabels {
            table: table.to_owned(),
            source: source.to_owned(),
        };
        self.rejected_rows.get_or_create(&labels).inc_by(rows);
    }

    /// Records that refreshing `model` took `seconds`.
    pub fn record_refresh(&self, model: &str, seconds: f64) {
        let labels = ModelLabels {
            model: model.to_owned(),
        };
        self.refresh_seconds.get_or_create(&labels).observe(seconds);
    }

    /// Counts one answered request and its duration.
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        let route_labels = RouteLabels { method, route };
        self.request_seconds
            .get_or_create(&route_labels)
            .observe(seconds);
        let RouteLabels { method, route } = route_labels;
        let labels = RequestLabels {
            method,
            route,
            status,
        };
        self.requests.get_or_create(&labels).inc();
    }

    /// Sets the per-model gauges from the snapshots currently in `store`.
    pub fn observe_store(&self, store: &ModelStore) {
        for snapshot in store.list() {
            let labels = ModelLabels {
                model: snapshot.name.clone(),
            };
            let rows = i64::try_from(snapshot.rows()).unwrap_or(i64::MAX);
            self.model_rows.get_or_create(&labels).set(rows);
            self.model_version
                .get_or_create(&labels)
                .set(snapshot.version);
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The `/metrics` route.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

async fn scrape(State(state): State<AppState>) -> ApiResult<Response> {
    state.metrics.observe_store(&state.store);
    let text = state.metrics.encode().map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

/// Middleware: counts and times every request, labelled by the matched route template
/// (`/v1/models/{name}`), never by the raw path, so a scan cannot blow up the series.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = match *req.method() {
        Method::GET
        | Method::HEAD
        | Method::POST
        | Method::PUT
        | Method::PATCH
        | Method::DELETE
        | Method::OPTIONS => req.method().as_str().to_owned(),
        _ => "other".to_owned(),
    };
    let response = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    metrics.record_request(&method, &route, response.status().as_u16(), seconds);
    response
}
