//! Reading the audit trail: pages by recorded time, single events, a follower's stream, the
//! refusals faces report, and retention.

use crate::directory::{Caller, Directory};
use crate::error::CoreError;
use crate::events::{Event, EventData, EventFilter, EventQuery, EventType, Ordering, Outcome, StoredEvent};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;
/// Most events one stream read answers.
pub const STREAM_BATCH: u32 = 500;
/// Most values one repeated filter parameter may list.
pub const MAX_FILTER_VALUES: usize = 100;

/// One page of events and the cursor of the next, if there is one.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub events: Vec<Event>,
    pub next_cursor: Option<String>,
}

/// A page position, as carried inside the opaque cursor.
#[derive(Serialize, Deserialize)]
struct PageCursor {
    /// "asc" or "desc": a cursor continues the order it was made in.
    o: String,
    r: i64,
    s: i64,
}

/// A stream position, as carried inside the opaque stream cursor.
#[derive(Serialize, Deserialize)]
struct StreamCursor {
    t: i64,
    s: i64,
}

fn encode<T: Serialize>(v: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap_or_default())
}

fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Option<T> {
    if text.len() > 512 {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
}

fn order_name(o: Ordering) -> &'static str {
    match o {
        Ordering::Asc => "asc",
        Ordering::Desc => "desc",
    }
}

/// The stream cursor that follows an event.
pub fn stream_cursor(e: &StoredEvent) -> String {
    encode(&StreamCursor { t: e.txid, s: e.seq })
}

/// A filter checked against the catalogue and limits; names are normalised for comparison.
pub fn check_filter(mut f: EventFilter) -> Result<EventFilter, CoreError> {
    for (field, list) in [
        ("event_type", &f.types),
        ("actor", &f.actors),
        ("outcome", &f.outcomes),
        ("service", &f.services),
        ("correlation_id", &f.correlation_ids),
    ] {
        if list.len() > MAX_FILTER_VALUES {
            return Err(CoreError::invalid(field, format!("at most {MAX_FILTER_VALUES} values")));
        }
        // No recorded value holds NUL, and PostgreSQL cannot even compare with one.
        if list.iter().any(|v| v.contains('\0')) {
            return Err(CoreError::invalid(field, "must not contain NUL characters"));
        }
    }
    for t in &mut f.types {
        *t = t.to_uppercase();
        if EventType::parse(t).is_none() {
            return Err(CoreError::invalid("event_type", format!("unknown event type '{t}'")));
        }
    }
    for o in &mut f.outcomes {
        *o = o.to_uppercase();
        if Outcome::parse(o).is_none() {
            return Err(CoreError::invalid(
                "outcome",
                format!("unknown outcome '{o}'; one of {}", Outcome::ALL.join(", ")),
            ));
        }
    }
    for s in &mut f.services {
        *s = s.to_lowercase();
    }
    for v in f.actors.iter_mut().chain(f.correlation_ids.iter_mut()) {
        *v = v.to_lowercase();
    }
    if let (Some(s), Some(e)) = (f.start, f.end) {
        if e < s {
            return Err(CoreError::invalid("end_time", "must not be before start_time"));
        }
    }
    Ok(f)
}

impl Directory {
    /// A page of the caller's tenant's events, newest or oldest first by recorded time.
    pub async fn events(
        &self,
        caller: &Caller,
        filter: EventFilter,
        ordering: Ordering,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<EventPage, CoreError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(CoreError::invalid("page_size", format!("must be 1 to {MAX_PAGE}")));
        }
        let after = match cursor {
            Some(c) => {
                let p: PageCursor = decode(c).ok_or(CoreError::Cursor)?;
                if p.o != order_name(ordering) {
                    return Err(CoreError::Cursor);
                }
                Some((p.r, p.s))
            }
            None => None,
        };
        let query = EventQuery { filter: check_filter(filter)?, ordering, limit, after };
        let mut rows = self.store.list_events(caller.tenant_id, &query).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match (more, rows.last()) {
            (true, Some(last)) => {
                Some(encode(&PageCursor { o: order_name(ordering).into(), r: last.event.recorded, s: last.seq }))
            }
            _ => None,
        };
        Ok(EventPage { events: rows.into_iter().map(|r| r.event).collect(), next_cursor })
    }

    pub async fn event(&self, caller: &Caller, id: Uuid) -> Result<Event, CoreError> {
        let found = self.store.event(caller.tenant_id, id).await?;
        found.map(|r| r.event).ok_or(CoreError::NotFound { what: "event" })
    }

    /// Where a follower of the caller's tenant's events starts: after the given stream cursor,
    /// or with the events recorded from now on.
    pub async fn stream_start(&self, caller: &Caller, cursor: Option<&str>) -> Result<(i64, i64), CoreError> {
        match cursor {
            Some(c) => decode::<StreamCursor>(c).map(|p| (p.t, p.s)).ok_or(CoreError::Cursor),
            None => Ok(self.store.stream_head(caller.tenant_id).await?),
        }
    }

    /// The position of the newest event the filter selects, committed now: a stream that stops when caught up
    /// reads until it has passed it (on PostgreSQL a committed event may be held back a moment
    /// while an older transaction is still open).
    pub async fn stream_newest(&self, caller: &Caller, filter: &EventFilter) -> Result<(i64, i64), CoreError> {
        Ok(self.store.stream_newest(caller.tenant_id, filter).await?)
    }

    /// The next events after a stream position, in the order a follower sees them.
    pub async fn stream_events(
        &self,
        caller: &Caller,
        filter: &EventFilter,
        after: (i64, i64),
    ) -> Result<Vec<StoredEvent>, CoreError> {
        Ok(self.store.stream_events(caller.tenant_id, filter, after, STREAM_BATCH).await?)
    }

    /// Records a request the face refused (or failed) for an authenticated caller, in its own
    /// transaction. Not attested: the message may echo what the client sent.
    pub async fn record_refusal(
        &self,
        caller: &Caller,
        event_type: EventType,
        outcome: Outcome,
        data: EventData,
    ) -> Result<(), CoreError> {
        let event = caller.event(event_type, data).outcome(outcome).unattested();
        Ok(self.store.record_events(&[event]).await?)
    }

    /// Removes up to `batch` events recorded more than `max_age_days` ago; answers how many
    /// went. The caller repeats, pausing between batches, so writers are not held up.
    pub async fn prune_events(&self, max_age_days: u32, batch: u32) -> Result<u64, CoreError> {
        let before = crate::events::now_millis() - i64::from(max_age_days) * 86_400_000;
        Ok(self.store.prune_events(before, batch).await?)
    }
}
