//! Listing requests and keyset paging: sort orders, opaque cursors and pages.

use crate::error::CoreError;
use crate::filter::{Filter, Value};
use crate::model::Deleted;
use crate::schema::{Attr, AttrType, Resource};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;
/// Deepest offset a listing pages to: past it, a cursor pages without rereading what it skips.
pub const MAX_OFFSET: u32 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sort {
    pub attr: &'static Attr,
    pub desc: bool,
}

impl Sort {
    /// Parses `name` or `-name` against a resource's sortable attributes.
    pub fn parse(text: Option<&str>, resource: Resource) -> Result<Sort, CoreError> {
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return Ok(Sort { attr: resource.default_sort(), desc: false });
        };
        let (name, desc) = match text.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (text.strip_prefix('+').unwrap_or(text), false),
        };
        match resource.attr(name) {
            Some(attr) if attr.sortable => Ok(Sort { attr, desc }),
            _ => {
                let sortable: Vec<&str> = resource.attrs().iter().filter(|a| a.sortable).map(|a| a.name).collect();
                Err(CoreError::invalid("sort", format!("cannot sort by '{name}'; sortable: {}", sortable.join(", "))))
            }
        }
    }
}

/// The position after which a page starts: the last row's sort key and id.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    pub key: Value,
    pub id: Uuid,
}

/// A listing as the store runs it.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    pub sort: Sort,
    /// Rows wanted; the store fetches one more to learn whether a next page exists.
    pub limit: u32,
    pub after: Option<After>,
    /// Rows skipped before the page.
    pub offset: u32,
    pub count: bool,
    pub deleted: Deleted,
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub total: Option<u64>,
}

/// What the store answers: up to `limit + 1` rows, so the core can tell whether more follow.
#[derive(Debug, Clone)]
pub struct Rows<T> {
    pub items: Vec<T>,
    pub total: Option<u64>,
}

/// The cursor as carried inside its opaque base64url form.
#[derive(Debug, Serialize, Deserialize)]
struct CursorBody {
    /// Sort attribute, `-` prefixed when descending.
    s: String,
    /// Fingerprint of the filter and deletion mode the cursor was made for.
    f: String,
    /// The sort key: string, integer or millisecond timestamp.
    k: serde_json::Value,
    i: Uuid,
}

/// A fingerprint of what a listing selects, so a cursor cannot be replayed against another query.
pub fn fingerprint(filter: Option<&Filter>, deleted: Deleted) -> String {
    let mut h = Sha256::new();
    h.update(format!("{filter:?}|{deleted:?}").as_bytes());
    hex::encode(&h.finalize()[..8])
}

fn sort_label(sort: &Sort) -> String {
    if sort.desc {
        format!("-{}", sort.attr.name)
    } else {
        sort.attr.name.to_owned()
    }
}

pub fn encode_cursor(sort: &Sort, fp: &str, after: &After) -> String {
    let k = match &after.key {
        Value::Text(s) | Value::Folded(s) => serde_json::Value::from(s.as_str()),
        Value::Int(n) => serde_json::Value::from(*n),
        Value::Time(t) => serde_json::Value::from(t.timestamp_millis()),
        Value::Bool(b) => serde_json::Value::from(*b),
        Value::Uuid(u) => serde_json::Value::from(u.to_string()),
        Value::Json(v) => v.clone(),
    };
    let body = CursorBody { s: sort_label(sort), f: fp.to_owned(), k, i: after.id };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap_or_default())
}

/// Decodes a cursor, refusing one made for another sort or query.
pub fn decode_cursor(text: &str, sort: &Sort, fp: &str) -> Result<After, CoreError> {
    if text.len() > 1024 {
        return Err(CoreError::Cursor);
    }
    let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).map_err(|_| CoreError::Cursor)?;
    let body: CursorBody = serde_json::from_slice(&bytes).map_err(|_| CoreError::Cursor)?;
    if body.s != sort_label(sort) || body.f != fp {
        return Err(CoreError::Cursor);
    }
    let key = match sort.attr.ty {
        AttrType::Int => body.k.as_i64().map(Value::Int),
        AttrType::Time => body.k.as_i64().and_then(DateTime::from_timestamp_millis).map(Value::Time),
        AttrType::Text | AttrType::CaseInsensitive => {
            body.k.as_str().filter(|s| !s.contains('\0')).map(|s| Value::Text(s.to_owned()))
        }
        _ => None,
    }
    .ok_or(CoreError::Cursor)?;
    Ok(After { key, id: body.i })
}

/// Checks a page size: absent means the default, otherwise 1..=MAX_LIMIT.
pub fn check_limit(limit: Option<i64>) -> Result<u32, CoreError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => Ok(n as u32),
        Some(_) => Err(CoreError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_is_bound_to_its_query() {
        let sort = Sort::parse(Some("-user_name"), Resource::User).unwrap();
        let after = After { key: Value::Text("alice".into()), id: Uuid::now_v7() };
        let c = encode_cursor(&sort, "fp1", &after);
        assert_eq!(decode_cursor(&c, &sort, "fp1").unwrap(), after);
        assert!(matches!(decode_cursor(&c, &sort, "fp2"), Err(CoreError::Cursor)));
        let other = Sort::parse(Some("user_name"), Resource::User).unwrap();
        assert!(matches!(decode_cursor(&c, &other, "fp1"), Err(CoreError::Cursor)));
        assert!(matches!(decode_cursor("not a cursor!", &sort, "fp1"), Err(CoreError::Cursor)));
    }

    #[test]
    fn sort_names_only_sortable_attributes() {
        assert!(Sort::parse(Some("claims"), Resource::User).is_err());
        assert!(Sort::parse(Some("created"), Resource::Group).is_ok());
    }
}
