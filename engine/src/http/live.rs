//! The live competition leaderboard over HTTP, served from [`Boards`] (the in-memory
//! standings; no SQL per request):
//!
//! - `GET /v1/competitions/{id}/leaderboard`: `{"competition_id", "event_id",
//!   "contestants": [...]}`, each contestant with the columns of the
//!   `competition_results` model, by `overall_rank` then `contestant_id`. `ETag` is the
//!   event id, `304` on `If-None-Match`; `404` for a competition without scores.
//! - `GET /v1/competitions/{id}/stream`: Server-Sent Events. Every event has an `id:`
//!   (the competition's event id, see [`crate::live::feed`]). A client that sends no
//!   `Last-Event-ID` first gets `event: snapshot`, the leaderboard as above plus
//!   `"reason": "connect"`; one that sends `Last-Event-ID` gets exactly the events
//!   after it, or, when the log no longer holds that id (it is older than the log keeps,
//!   from before a restart, or not a number), a snapshot with `"reason": "not_in_log"`.
//!   Then one `event: change` per commit that touched the competition:
//!   `{"competition_id", "event_id", "previous_event_id", "contestants": [the entries
//!   that changed]}`. A comment line every 15 s keeps the connection open. A stream on
//!   a competition without scores yet stays open and starts with a snapshot when its
//!   first scores arrive (a screen may be opened before the first mark).
//!
//! Both answer `503` when the engine runs without live boards.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, ETAG};
use axum::http::{HeaderName, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use serde::Serialize;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::models::not_modified;
use crate::live::{Boards, Leaderboard, SnapshotReason, Update};

/// How often an idle stream sends a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// The competition routes, to be nested under `/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/competitions/{id}/leaderboard", get(leaderboard))
        .route("/competitions/{id}/stream", get(stream))
}

fn boards(state: &AppState) -> ApiResult<Arc<Boards>> {
    state.live.clone().ok_or_else(|| {
        ApiError::NotReady("the live competition leaderboard is not running".to_owned())
    })
}

async fn leaderboard(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let board = boards(&state)?.leaderboard(&id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no competition `{id}`: no score has arrived for it"
        ))
    })?;
    let tag = format!("\"{}\"", board.event_id);
    let cache = [(ETAG, tag.clone()), (CACHE_CONTROL, "no-cache".to_owned())];
    if not_modified(&headers, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((cache, axum::Json(&*board)).into_response())
}

async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let boards = boards(&state)?;
    let last = last_event_id(&headers);
    let closed = boards.closed();
    let events = futures::stream::once(async move { boards.wait_subscribe(&id, last).await })
        .flat_map(|subscription| {
            futures::stream::unfold(subscription, |mut subscription| async move {
                let update = subscription.next().await?;
                Some((event(&update), subscription))
            })
        })
        // A server shutting down ends its streams, or it would wait for them for ever.
        .take_until(closed);
    let keep_alive = KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive");
    Ok(Sse::new(events).keep_alive(keep_alive).into_response())
}

/// The client's `Last-Event-ID`. One that is not a number names no event we sent: it is
/// read as an id the log cannot hold, so the client gets a snapshot.
fn last_event_id(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(LAST_EVENT_ID)?;
    let id = value.to_str().ok().map(str::trim);
    Some(id.and_then(|id| id.parse().ok()).unwrap_or(u64::MAX))
}

/// The data of a `snapshot` event: the leaderboard and why it is sent.
#[derive(Serialize)]
struct Snapshot<'a> {
    reason: SnapshotReason,
    #[serde(flatten)]
    leaderboard: &'a Leaderboard,
}

fn event(update: &Update) -> Result<Event, axum::Error> {
    let event = Event::default().id(update.event_id().to_string());
    match update {
        Update::Snapshot {
            leaderboard,
            reason,
        } => event.event("snapshot").json_data(Snapshot {
            reason: *reason,
            leaderboard,
        }),
        Update::Change(change) => event.event("change").json_data(&**change),
    }
}
