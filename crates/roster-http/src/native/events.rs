//! `/events`: the audit trail, by page and by a stream that follows new events.

use super::errors::{ApiError, ProblemResponses};
use super::extract::{Authed, IdPath};
use super::wire::{Event, EventPage};
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use roster_core::audit::stream_cursor;
use roster_core::events::{EventFilter, Ordering, TextQuery};
use roster_core::{Caller, Directory};
use std::time::Duration;

/// How long a caught-up stream waits before looking for new events.
const POLL: Duration = Duration::from_millis(500);
/// How often an idle server-sent-event stream sends a comment, so proxies keep it open.
const KEEPALIVE_POLLS: u32 = 30;

/// The query parameters of `/events` and `/events/stream`; the filters may repeat.
#[derive(Default)]
struct EventParams {
    filter: EventFilter,
    ordering: Ordering,
    page_size: Option<u32>,
    cursor: Option<String>,
    follow: bool,
}

fn parse_params(raw: Option<&str>, stream: bool) -> Result<EventParams, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|e| ApiError::bad_request("request.query", e.to_string()))?;
    let mut p = EventParams { follow: true, ..EventParams::default() };
    let int = |k: &str, v: &str| {
        v.parse::<i64>().map_err(|_| ApiError::invalid_field(k, "must be an integer (epoch milliseconds)"))
    };
    let boolean = |k: &str, v: &str| match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::invalid_field(k, "must be true or false")),
    };
    for (k, v) in pairs {
        let f = &mut p.filter;
        match k.as_str() {
            "start_time" => f.start = Some(int(&k, &v)?),
            "end_time" => f.end = Some(int(&k, &v)?),
            "event_type" => f.types.push(v),
            "actor" => f.actors.push(v),
            "outcome" => f.outcomes.push(v),
            "service" => f.services.push(v),
            "correlation_id" => f.correlation_ids.push(v),
            "q" => f.text = TextQuery::parse(&v).map_err(|m| ApiError::invalid_field("q", m))?,
            "include_not_attested" => f.include_not_attested = boolean(&k, &v)?,
            "cursor" => p.cursor = Some(v),
            "ordering" if !stream => {
                p.ordering = match v.as_str() {
                    "asc" => Ordering::Asc,
                    "desc" => Ordering::Desc,
                    _ => return Err(ApiError::invalid_field("ordering", "must be asc or desc")),
                }
            }
            "page_size" if !stream => {
                p.page_size = Some(v.parse().map_err(|_| ApiError::invalid_field("page_size", "must be 1 to 1000"))?)
            }
            "follow" if stream => p.follow = boolean(&k, &v)?,
            _ => return Err(ApiError::bad_request("request.query", format!("unknown query parameter '{k}'"))),
        }
    }
    Ok(p)
}

/// The tenant's events by recorded time, newest first unless `ordering=asc`. `event_type`,
/// `actor` (id, display name or display id), `outcome`, `service` and `correlation_id` may
/// repeat and compare case-insensitively; `q` is a free-text query: terms are ANDed, `OR`
/// separates alternatives, `-term` excludes, `"a phrase"` must appear as written.
#[utoipa::path(get, path = "/events", security(("api_key" = ["events:read"])), tag = "events",
    params(
        ("start_time" = Option<i64>, Query, description = "Recorded at or after (epoch ms)"),
        ("end_time" = Option<i64>, Query, description = "Recorded before (epoch ms)"),
        ("ordering" = Option<String>, Query, description = "asc or desc (default)"),
        ("page_size" = Option<u32>, Query, description = "1 to 1000, default 100"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("event_type" = Option<Vec<String>>, Query, explode, description = "Event types (repeat for several)"),
        ("actor" = Option<Vec<String>>, Query, explode, description = "Actor ids, display names or display ids"),
        ("outcome" = Option<Vec<String>>, Query, explode, description = "SUCCESS, FAILURE, DENIED, ERROR"),
        ("service" = Option<Vec<String>>, Query, explode, description = "directory, auth"),
        ("correlation_id" = Option<Vec<String>>, Query, explode, description = "Request ids"),
        ("q" = Option<String>, Query, description = "Free text: `add_device OR device_credential_change -windows`"),
        ("include_not_attested" = Option<bool>, Query, description = "Also events holding unverified input"),
    ),
    responses((status = 200, description = "A page of events", body = EventPage), ProblemResponses))]
pub async fn list(
    State(s): State<AppState>,
    Authed(caller): Authed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = parse_params(raw.as_deref(), false)?;
    let page = s.directory.events(&caller, p.filter, p.ordering, p.page_size, p.cursor.as_deref()).await?;
    let events = page.events.into_iter().map(Event::from).collect();
    Ok(axum::Json(EventPage { events, next_cursor: page.next_cursor }).into_response())
}

/// One event.
#[utoipa::path(get, path = "/events/{id}", security(("api_key" = ["events:read"])), tag = "events",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The event", body = Event), ProblemResponses))]
pub async fn get(State(s): State<AppState>, Authed(caller): Authed, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(axum::Json(Event::from(s.directory.event(&caller, id).await?)).into_response())
}

/// The tenant's events as they are recorded, for a SIEM: server-sent events when the client
/// accepts `text/event-stream` (each `id:` is a cursor; `Last-Event-ID` resumes), else NDJSON
/// (each line carries its `cursor`). Starts after `cursor`, or with events recorded from now on;
/// resuming from the last cursor seen loses and repeats nothing. With `follow=false` the stream
/// ends once it has caught up. Takes the filters of `/events` except ordering and paging.
#[utoipa::path(get, path = "/events/stream", security(("api_key" = ["events:read"])), tag = "events",
    params(
        ("cursor" = Option<String>, Query, description = "Resume after this stream cursor"),
        ("follow" = Option<bool>, Query, description = "Keep waiting for new events (default true)"),
    ),
    responses((status = 200, description = "NDJSON or server-sent events", content_type = "application/x-ndjson", body = String), ProblemResponses))]
pub async fn stream(
    State(s): State<AppState>,
    Authed(caller): Authed,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut p = parse_params(raw.as_deref(), true)?;
    let sse =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/event-stream"));
    if sse && p.cursor.is_none() {
        p.cursor = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    }
    let filter = roster_core::audit::check_filter(p.filter)?;
    let start = s.directory.stream_start(&caller, p.cursor.as_deref()).await?;
    let until = if p.follow { None } else { Some(s.directory.stream_newest(&caller, &filter).await?) };
    let follower = Follower { directory: s.directory.clone(), caller, filter, at: start, sse, until, idle: 0 };
    let body = Body::from_stream(futures::stream::unfold(Some(follower), |f| async move { f?.next().await }));
    let content_type = if sse { "text/event-stream" } else { "application/x-ndjson" };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response())
}

/// One stream's reader: where it is, and what it writes.
struct Follower {
    directory: Directory,
    caller: Caller,
    filter: EventFilter,
    at: (i64, i64),
    sse: bool,
    /// Without following: the position to reach before the stream ends.
    until: Option<(i64, i64)>,
    idle: u32,
}

type Chunk = Result<Bytes, std::io::Error>;

impl Follower {
    /// The next chunk of the body, and the follower for the one after (None: the stream ends).
    async fn next(mut self) -> Option<(Chunk, Option<Follower>)> {
        loop {
            let batch = match self.directory.stream_events(&self.caller, &self.filter, self.at).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "event stream read failed");
                    return Some((Err(std::io::Error::other("the event stream failed")), None));
                }
            };
            if let Some(last) = batch.last() {
                self.at = (last.txid, last.seq);
                self.idle = 0;
                let mut out = Vec::with_capacity(batch.len() * 512);
                for e in batch {
                    if self.sse {
                        let cursor = stream_cursor(&e);
                        let json = serde_json::to_value(Event::from(e.event)).unwrap_or_default();
                        out.extend_from_slice(format!("id: {cursor}\nevent: event\ndata: {json}\n\n").as_bytes());
                    } else {
                        out.extend_from_slice(Event::stream_line(e).to_string().as_bytes());
                        out.push(b'\n');
                    }
                }
                return Some((Ok(Bytes::from(out)), Some(self)));
            }
            if self.until.is_some_and(|end| self.at >= end) {
                return None;
            }
            tokio::time::sleep(POLL).await;
            self.idle += 1;
            if self.sse && self.idle % KEEPALIVE_POLLS == 0 {
                return Some((Ok(Bytes::from_static(b": keepalive\n\n")), Some(self)));
            }
        }
    }
}
