//! Queries (RFC 7644 section 3.4.2): `filter`, `sortBy`/`sortOrder`, `startIndex`/`count` and
//! `attributes`/`excludedAttributes`, from a query string or a SearchRequest body, answered as a
//! ListResponse; and the projection of documents onto the attributes asked for.

use super::doc::Doc;
use super::errors::ScimError;
use super::schema::{self, Kind, LIST};
use super::{filter, groups, users, Ctx};
use roster_core::directory::ListRequest;
use roster_core::filter::{Filter, FilterError};
use roster_core::model::Deleted;
use roster_core::page::{Sort, MAX_LIMIT, MAX_OFFSET};
use roster_core::schema::Resource;
use serde_json::{json, Map, Value};

/// A page when the client names no count.
pub const DEFAULT_COUNT: u32 = 100;

/// What a query asks, as read from the wire.
#[derive(Debug, Default)]
pub struct Query {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub descending: bool,
    pub start_index: u64,
    pub count: u32,
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

fn number(name: &str, v: &Value) -> Result<i64, ScimError> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    n.ok_or_else(|| ScimError::invalid_value(format!("{name} must be an integer")))
}

fn names(name: &str, v: &Value) -> Result<Vec<String>, ScimError> {
    let bad = || ScimError::invalid_value(format!("{name} must be a list of attribute names"));
    let list: Vec<String> = match v {
        Value::String(s) => s.split(',').map(|p| p.trim().to_owned()).collect(),
        Value::Array(items) => {
            items.iter().map(|i| i.as_str().map(str::to_owned).ok_or_else(bad)).collect::<Result<_, _>>()?
        }
        _ => return Err(bad()),
    };
    Ok(list.into_iter().filter(|p| !p.is_empty()).collect())
}

impl Query {
    /// From name/value pairs (a query string's, or a SearchRequest's members).
    pub fn read<'a>(pairs: impl Iterator<Item = (&'a str, Value)>) -> Result<Query, ScimError> {
        let mut q = Query { start_index: 1, count: DEFAULT_COUNT, ..Query::default() };
        for (k, v) in pairs {
            match k.to_ascii_lowercase().as_str() {
                "filter" => {
                    q.filter = Some(
                        v.as_str()
                            .ok_or_else(|| ScimError::bad("invalidFilter", "filter must be a string"))?
                            .to_owned(),
                    )
                }
                "sortby" => {
                    q.sort_by =
                        Some(v.as_str().ok_or_else(|| ScimError::invalid_value("sortBy must be a string"))?.to_owned())
                }
                "sortorder" => {
                    q.descending = match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                        Some("ascending") => false,
                        Some("descending") => true,
                        _ => return Err(ScimError::invalid_value("sortOrder must be ascending or descending")),
                    }
                }
                // Below 1 means 1 (RFC 7644 section 3.4.2.4).
                "startindex" => q.start_index = number("startIndex", &v)?.max(1) as u64,
                // Negative means 0; more than a page holds is a full page.
                "count" => q.count = number("count", &v)?.clamp(0, i64::from(MAX_LIMIT)) as u32,
                "attributes" => q.attributes = names("attributes", &v)?,
                "excludedattributes" => q.excluded = names("excludedAttributes", &v)?,
                // `schemas` and parameters SCIM does not define are not ours to refuse.
                _ => {}
            }
        }
        if q.start_index - 1 > u64::from(MAX_OFFSET) {
            return Err(ScimError::invalid_value(format!(
                "startIndex must be at most {}; narrow the query with a filter instead",
                u64::from(MAX_OFFSET) + 1
            )));
        }
        Ok(q)
    }

    pub fn from_query_string(raw: Option<&str>) -> Result<Query, ScimError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
            .map_err(|_| ScimError::invalid_value("the query string is not valid"))?;
        Query::read(pairs.iter().map(|(k, v)| (k.as_str(), Value::String(v.clone()))))
    }

    pub fn from_search(body: &Value) -> Result<Query, ScimError> {
        let obj = schema::message(body, schema::SEARCH, false)?;
        Query::read(obj.iter().map(|(k, v)| (k.as_str(), v.clone())))
    }

    /// The response's projection.
    pub fn projection(&self) -> Projection {
        Projection { attributes: self.attributes.clone(), excluded: self.excluded.clone() }
    }
}

/// The core sort a SCIM sortBy names.
fn sort(kind: Kind, sort_by: Option<&str>, descending: bool) -> Result<Sort, ScimError> {
    let resource = resource(kind);
    let Some(by) = sort_by else {
        return Ok(Sort { attr: resource.default_sort(), desc: descending });
    };
    let lower = by.to_ascii_lowercase();
    let core = kind.schema().to_ascii_lowercase();
    let lower = lower.strip_prefix(&core).map(|r| r.trim_start_matches(':').to_owned()).unwrap_or(lower);
    let name = match (kind, lower.as_str()) {
        (Kind::User, "username") => "user_name",
        (Kind::User, "displayname") => "display_name",
        (Kind::User, "name.givenname") => "given_name",
        (Kind::User, "name.familyname") => "family_name",
        (Kind::User, "emails" | "emails.value") => "email",
        (Kind::Group, "displayname") => "name",
        (_, "meta.created") => "created",
        (_, "meta.lastmodified") => "modified",
        _ => {
            let sortable = match kind {
                Kind::User => "userName, displayName, name.givenName, name.familyName, emails.value, meta.created, meta.lastModified",
                Kind::Group => "displayName, meta.created, meta.lastModified",
            };
            return Err(ScimError::invalid_value(format!(
                "cannot sort {}s by '{by}'; sortable: {sortable}",
                kind.name()
            )));
        }
    };
    Ok(Sort::parse(Some(name), resource).map(|s| Sort { desc: descending, ..s })?)
}

fn resource(kind: Kind) -> Resource {
    match kind {
        Kind::User => Resource::User,
        Kind::Group => Resource::Group,
    }
}

/// One resource type's page: its documents and how many match in all.
pub async fn page(
    ctx: &Ctx<'_>,
    kind: Kind,
    q: &Query,
    filter: Option<Filter>,
    offset: u64,
    limit: u32,
) -> Result<(Vec<Doc>, u64), ScimError> {
    let sort = sort(kind, q.sort_by.as_deref(), q.descending)?;
    let req = ListRequest {
        filter,
        sort,
        // A count of 0 asks only for totalResults: one row is read for it.
        limit: limit.max(1),
        cursor: None,
        offset: u32::try_from(offset).unwrap_or(MAX_OFFSET),
        count: true,
        deleted: Deleted::Exclude,
    };
    let dir = ctx.directory();
    let (mut docs, total) = match kind {
        Kind::User => {
            let p = dir.list_users(ctx.caller, req).await?;
            (users::documents(ctx, &p.items).await?, p.total)
        }
        Kind::Group => {
            let p = dir.list_groups(ctx.caller, req).await?;
            let members = q.projection().wants("members");
            (groups::documents(ctx, &p.items, members).await?, p.total)
        }
    };
    docs.truncate(limit as usize);
    Ok((docs, total.unwrap_or_default()))
}

/// The filter of a query for one resource type; None when the query has none.
pub fn parse_filter(kind: Kind, q: &Query) -> Result<Option<Filter>, FilterError> {
    q.filter.as_deref().map(|f| filter::parse(kind, f)).transpose()
}

pub fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// A query of one resource type's endpoint.
pub async fn query(ctx: &Ctx<'_>, kind: Kind, q: &Query) -> Result<Value, ScimError> {
    ctx.caller.require(match kind {
        Kind::User => roster_core::access::Permission::UsersRead,
        Kind::Group => roster_core::access::Permission::GroupsRead,
    })?;
    let filter = parse_filter(kind, q)?;
    let (docs, total) = page(ctx, kind, q, filter, q.start_index - 1, q.count).await?;
    let proj = q.projection();
    Ok(list_response(total, q.start_index, docs.into_iter().map(|d| Value::Object(proj.apply(d))).collect()))
}

/// A query at the root: users, then groups, as one list. A filter naming an attribute one type
/// does not have selects none of that type.
pub async fn query_all(ctx: &Ctx<'_>, q: &Query) -> Result<Value, ScimError> {
    use roster_core::access::Permission;
    ctx.caller.require(Permission::UsersRead)?;
    ctx.caller.require(Permission::GroupsRead)?;
    let mut parsed = Vec::new();
    let mut first_error = None;
    for kind in Kind::ALL {
        match parse_filter(kind, q) {
            Ok(f) => parsed.push((kind, f)),
            Err(e @ (FilterError::UnknownAttribute(_) | FilterError::NotFilterable(_))) => {
                first_error.get_or_insert(e);
                parsed.push((kind, Some(Filter::nothing())));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let (Some(e), true) = (first_error, parsed.iter().all(|(_, f)| f.as_ref() == Some(&Filter::nothing()))) {
        return Err(e.into());
    }
    if q.sort_by.is_some() {
        return Err(ScimError::invalid_value(
            "a query of every resource type cannot be sorted; query /Users or /Groups",
        ));
    }
    let mut skip = q.start_index - 1;
    let mut want = q.count;
    let mut total = 0;
    let mut out = Vec::new();
    let proj = q.projection();
    for (kind, f) in parsed {
        let (docs, n) = page(ctx, kind, q, f, skip, want).await?;
        total += n;
        skip = skip.saturating_sub(n);
        want -= docs.len().min(want as usize) as u32;
        out.extend(docs.into_iter().map(|d| Value::Object(proj.apply(d))));
    }
    Ok(list_response(total, q.start_index, out))
}

/// Which attributes a response holds.
#[derive(Debug, Default, Clone)]
pub struct Projection {
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

/// A requested path split into (extension or core, attribute, sub-attribute), lower-cased.
fn split(path: &str) -> (Option<String>, String, Option<String>) {
    let lower = path.to_ascii_lowercase();
    for urn in [schema::USER, schema::GROUP, schema::ENTERPRISE] {
        let u = urn.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix(&u) {
            let rest = rest.trim_start_matches(':');
            let ext = (urn == schema::ENTERPRISE).then(|| urn.to_owned());
            if rest.is_empty() {
                return (ext, String::new(), None);
            }
            let (a, s) = match rest.split_once('.') {
                Some((a, s)) => (a.to_owned(), Some(s.to_owned())),
                None => (rest.to_owned(), None),
            };
            return (ext, a, s);
        }
    }
    match lower.split_once('.') {
        Some((a, s)) => (None, a.to_owned(), Some(s.to_owned())),
        None => (None, lower, None),
    }
}

impl Projection {
    /// Whether the response holds an attribute of the core schema at all.
    pub fn wants(&self, name: &str) -> bool {
        let n = name.to_ascii_lowercase();
        if self.excluded.iter().any(|p| split(p) == (None, n.clone(), None)) {
            return false;
        }
        self.attributes.is_empty() || self.attributes.iter().any(|p| split(p).1 == n)
    }

    pub fn apply(&self, mut d: Doc) -> Doc {
        if self.attributes.is_empty() && self.excluded.is_empty() {
            return d;
        }
        let always = |k: &str| k == "id" || k == "schemas";
        if !self.attributes.is_empty() {
            let asked: Vec<_> = self.attributes.iter().map(|p| split(p)).collect();
            d = d
                .into_iter()
                .filter_map(|(k, v)| {
                    if always(&k) {
                        return Some((k, v));
                    }
                    let lk = k.to_ascii_lowercase();
                    let wanted: Vec<_> = asked
                        .iter()
                        .filter(|(ext, a, _)| match ext {
                            Some(e) => e.eq_ignore_ascii_case(&k),
                            None => *a == lk,
                        })
                        .collect();
                    if wanted.is_empty() {
                        return None;
                    }
                    // Of an extension, the attributes asked; of a core attribute, its sub-attributes
                    // (an empty name: all of it).
                    let members: Vec<String> = wanted
                        .iter()
                        .map(|(ext, a, s)| if ext.is_some() { a.clone() } else { s.clone().unwrap_or_default() })
                        .collect();
                    Some((k, keep_members(v, &members)))
                })
                .collect();
        }
        for p in &self.excluded {
            let (ext, a, s) = split(p);
            let key = match &ext {
                Some(e) => d.keys().find(|k| k.eq_ignore_ascii_case(e)).cloned(),
                None => d.keys().find(|k| k.eq_ignore_ascii_case(&a)).cloned(),
            };
            let Some(key) = key else { continue };
            if always(&key) {
                continue;
            }
            let inner = if ext.is_some() { (!a.is_empty()).then_some(a.clone()) } else { s.clone() };
            match inner {
                None => {
                    d.remove(&key);
                }
                Some(sub) => {
                    if let Some(v) = d.get_mut(&key) {
                        drop_member(v, &sub);
                    }
                }
            }
        }
        d
    }
}

/// Keeps only the named members of an object (or of every element of an array); an empty list keeps all.
fn keep_members(v: Value, wanted: &[String]) -> Value {
    if wanted.is_empty() || wanted.iter().any(String::is_empty) {
        return v;
    }
    let keep = |o: Map<String, Value>| -> Value {
        Value::Object(o.into_iter().filter(|(k, _)| wanted.iter().any(|w| w.eq_ignore_ascii_case(k))).collect())
    };
    match v {
        Value::Object(o) => keep(o),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Object(o) => keep(o),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

fn drop_member(v: &mut Value, name: &str) {
    match v {
        Value::Object(o) => o.retain(|k, _| !k.eq_ignore_ascii_case(name)),
        Value::Array(items) => items.iter_mut().for_each(|i| drop_member(i, name)),
        _ => {}
    }
}
