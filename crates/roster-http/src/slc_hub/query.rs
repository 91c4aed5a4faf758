//! The listing parameters of the dialect: `filter[<field>][<OP>]`, `page[offset]`, `page[limit]`,
//! `sort`, `fields` and `excludeFields`, turned into the core's filter language and a page request.

use super::errors::SlcError;
use roster_core::directory::ListRequest;
use roster_core::filter::{self, CmpOp, Cond, Filter, Target, Value};
use roster_core::model::Deleted;
use roster_core::page::{Sort, MAX_LIMIT};
use roster_core::schema::Resource;

/// What a filterable field stands for in the core.
#[derive(Debug, Clone, Copy)]
pub enum Meaning {
    /// A catalogue attribute, by its core name.
    Attr(&'static str),
    /// `status eq <this>` (true) or `ne` (false).
    Status(&'static str),
    /// A temporary lock holds now.
    Locked,
    /// A flag no record of this resource has set (`system` on users).
    Never,
    /// `deleted`: EQ chooses live, deleted or all records; LT and GT test the time.
    Deleted,
    /// A principal's type, `User` or `Group`.
    Kind,
    /// EQ true or false: the attribute is present or not.
    Present(&'static str),
    /// Either attribute passes the test (a principal's display name, or its name when it has none).
    Either(&'static str, &'static str),
}

/// A field a listing filters on: the vendor's name, its meaning, the operators it takes.
pub struct Field {
    pub wire: &'static str,
    pub meaning: Meaning,
    pub ops: &'static [&'static str],
}

/// What one resource's listing understands.
pub struct Catalogue {
    pub resource: Resource,
    pub fields: &'static [Field],
    /// Sort names (without `-`) and their core attributes.
    pub sorts: &'static [(&'static str, &'static str)],
    /// The names `fields` and `excludeFields` may hold.
    pub projectable: &'static [&'static str],
}

const TEXT: &[&str] = &["EQ", "CO", "SW", "IN"];
const FLAG: &[&str] = &["EQ"];
const TIME: &[&str] = &["LT", "GT"];

pub static USERS: Catalogue = Catalogue {
    resource: Resource::User,
    fields: &[
        Field { wire: "_id", meaning: Meaning::Attr("id"), ops: &["EQ", "IN"] },
        Field { wire: "userName", meaning: Meaning::Attr("user_name"), ops: TEXT },
        Field { wire: "displayName", meaning: Meaning::Attr("display_name"), ops: TEXT },
        Field { wire: "email", meaning: Meaning::Attr("email"), ops: TEXT },
        Field { wire: "externalId", meaning: Meaning::Attr("external_id"), ops: &["PR", "EQ"] },
        Field { wire: "active", meaning: Meaning::Status("active"), ops: FLAG },
        Field { wire: "invitationPending", meaning: Meaning::Status("invited"), ops: FLAG },
        Field { wire: "temporarilyLocked", meaning: Meaning::Locked, ops: FLAG },
        Field { wire: "system", meaning: Meaning::Never, ops: FLAG },
        Field { wire: "deleted", meaning: Meaning::Deleted, ops: &["EQ", "LT", "GT"] },
        Field { wire: "_created", meaning: Meaning::Attr("created"), ops: TIME },
        Field { wire: "_modified", meaning: Meaning::Attr("modified"), ops: TIME },
    ],
    sorts: &[
        ("userName", "user_name"),
        ("displayName", "display_name"),
        ("_created", "created"),
        ("_modified", "modified"),
    ],
    projectable: &[
        "_id",
        "_created",
        "_modified",
        "externalId",
        "userName",
        "displayName",
        "active",
        "email",
        "unixHomeDirectory",
        "unixUserName",
        "userPrincipalName",
        "invitationPending",
        "deleted",
    ],
};

pub static GROUPS: Catalogue = Catalogue {
    resource: Resource::Group,
    fields: &[
        Field { wire: "_id", meaning: Meaning::Attr("id"), ops: &["EQ", "IN"] },
        Field { wire: "name", meaning: Meaning::Attr("name"), ops: TEXT },
        Field { wire: "externalId", meaning: Meaning::Attr("external_id"), ops: &["PR", "EQ"] },
        Field { wire: "system", meaning: Meaning::Attr("system"), ops: FLAG },
        Field { wire: "_created", meaning: Meaning::Attr("created"), ops: TIME },
        Field { wire: "_modified", meaning: Meaning::Attr("modified"), ops: TIME },
    ],
    sorts: &[("name", "name"), ("_created", "created"), ("_modified", "modified")],
    projectable: &["_id", "_created", "_modified", "externalId", "name"],
};

pub static PRINCIPALS: Catalogue = Catalogue {
    resource: Resource::Principal,
    fields: &[
        Field { wire: "_id", meaning: Meaning::Attr("id"), ops: &["EQ", "IN"] },
        Field { wire: "_type", meaning: Meaning::Kind, ops: FLAG },
        Field { wire: "displayName", meaning: Meaning::Either("display_name", "name"), ops: &["EQ", "CO", "SW"] },
        Field { wire: "external", meaning: Meaning::Present("external_id"), ops: FLAG },
        Field { wire: "system", meaning: Meaning::Never, ops: FLAG },
        Field { wire: "deleted", meaning: Meaning::Deleted, ops: &["EQ", "LT", "GT"] },
    ],
    sorts: &[("displayName", "name")],
    projectable: &[],
};

pub const DEFAULT_LIMIT: u32 = 100;

/// Which fields of each record to answer.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Projection {
    keep: Option<Vec<String>>,
    drop: Vec<String>,
}

impl Projection {
    /// Removes from a record what the projection leaves out.
    pub fn apply(&self, record: &mut serde_json::Value) {
        let Some(map) = record.as_object_mut() else { return };
        if let Some(keep) = &self.keep {
            map.retain(|k, _| keep.iter().any(|f| f == k));
        }
        for d in &self.drop {
            map.remove(d);
        }
    }
}

/// A listing request as the core takes it, and the projection of its records.
#[derive(Debug)]
pub struct Listing {
    pub request: ListRequest,
    pub projection: Projection,
}

/// The pairs of a query string; a malformed one is a 400.
pub fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, SlcError> {
    serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|_| SlcError::bad_request("the query string is not form-encoded"))
}

/// The names a `fields` or `excludeFields` parameter lists (repeated or comma-separated).
fn names(cat: &Catalogue, key: &str, value: &str, into: &mut Vec<String>) -> Result<(), SlcError> {
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !cat.projectable.contains(&name) {
            return Err(SlcError::bad_request(format!("{key}: unknown field '{name}'")));
        }
        into.push(name.to_owned());
    }
    Ok(())
}

/// Only the projection parameters (for single-record reads).
pub fn projection(raw: Option<&str>, cat: &Catalogue) -> Result<Projection, SlcError> {
    let mut p = Projection::default();
    for (k, v) in pairs(raw)? {
        match k.as_str() {
            "fields" => names(cat, &k, &v, p.keep.get_or_insert_with(Vec::new))?,
            "excludeFields" => names(cat, &k, &v, &mut p.drop)?,
            other => return Err(SlcError::bad_request(format!("unknown query parameter '{other}'"))),
        }
    }
    Ok(p)
}

fn boolean(key: &str, v: &str) -> Result<bool, SlcError> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SlcError::bad_request(format!("{key} must be true or false, not '{v}'"))),
    }
}

fn number(key: &str, v: &str, range: std::ops::RangeInclusive<u32>) -> Result<u32, SlcError> {
    v.trim().parse::<u32>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
        SlcError::bad_request(format!("{key} must be a whole number from {} to {}", range.start(), range.end()))
    })
}

/// The test a status flag asks for.
fn status_is(status: &'static str, wanted: bool) -> Result<Filter, SlcError> {
    let op = if wanted { CmpOp::Eq } else { CmpOp::Ne };
    Ok(filter::attr_test(Resource::User, "status", op, &[status]).map_err(roster_core::CoreError::from)?)
}

fn attr(resource: Resource, name: &str) -> Result<&'static roster_core::schema::Attr, SlcError> {
    resource.attr(name).ok_or_else(|| SlcError::from(roster_core::CoreError::Internal(format!("no attribute {name}"))))
}

/// Parses a listing's query string.
pub fn listing(raw: Option<&str>, cat: &Catalogue) -> Result<Listing, SlcError> {
    let mut tests: Vec<Filter> = Vec::new();
    let mut deleted: Option<Deleted> = None;
    let mut deleted_time = false;
    let (mut offset, mut limit, mut sort, mut projection) = (0, DEFAULT_LIMIT, None, Projection::default());
    // IN takes repeated parameters as well as comma lists: gather the values of each test first.
    let mut grouped: Vec<(String, String, Vec<String>)> = Vec::new();
    for (k, v) in pairs(raw)? {
        if let Some(rest) = k.strip_prefix("filter[") {
            let (field, op) = rest
                .strip_suffix(']')
                .and_then(|r| r.split_once("]["))
                .ok_or_else(|| SlcError::bad_request(format!("'{k}' is not filter[<field>][<operator>]")))?;
            match grouped.iter_mut().find(|(f, o, _)| f == field && o == op) {
                Some((_, _, values)) => values.push(v),
                None => grouped.push((field.to_owned(), op.to_owned(), vec![v])),
            }
            continue;
        }
        match k.as_str() {
            "page[offset]" => offset = number(&k, &v, 0..=roster_core::page::MAX_OFFSET)?,
            "page[limit]" => limit = number(&k, &v, 1..=MAX_LIMIT)?,
            "sort" => sort = Some(v),
            "fields" => names(cat, &k, &v, projection.keep.get_or_insert_with(Vec::new))?,
            "excludeFields" => names(cat, &k, &v, &mut projection.drop)?,
            other => return Err(SlcError::bad_request(format!("unknown query parameter '{other}'"))),
        }
    }
    for (wire, op, values) in grouped {
        let key = format!("filter[{wire}][{op}]");
        let field = cat
            .fields
            .iter()
            .find(|f| f.wire == wire)
            .ok_or_else(|| SlcError::bad_request(format!("{key}: unknown field '{wire}'")))?;
        if !field.ops.contains(&op.as_str()) {
            return Err(SlcError::bad_request(format!(
                "{key}: unknown operator '{op}' for {wire} (it takes {})",
                field.ops.join(", ")
            )));
        }
        let values: Vec<&str> = if op == "IN" {
            values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()).collect()
        } else if values.len() > 1 {
            return Err(SlcError::bad_request(format!("{key} is given more than once")));
        } else {
            values.iter().map(String::as_str).collect()
        };
        let one = values.first().copied().unwrap_or_default();
        let core = |e: roster_core::filter::FilterError| SlcError::bad_request(format!("{key}: {e}"));
        let test = match (field.meaning, op.as_str()) {
            (Meaning::Deleted, "EQ") => {
                deleted = Some(match one {
                    "deletedOnly" => Deleted::Only,
                    "notDeletedOnly" => Deleted::Exclude,
                    "all" => Deleted::Include,
                    _ => {
                        return Err(SlcError::bad_request(format!("{key} must be deletedOnly, notDeletedOnly or all")))
                    }
                });
                continue;
            }
            (Meaning::Deleted, _) => {
                deleted_time = true;
                time_test(cat.resource, "deleted", &op, one).map_err(core)?
            }
            (Meaning::Status(status), _) => status_is(status, boolean(&key, one)?)?,
            (Meaning::Kind, _) => {
                let kind = match one {
                    "User" => "user",
                    "Group" => "group",
                    _ => return Err(SlcError::bad_request(format!("{key} must be User or Group"))),
                };
                filter::attr_test(cat.resource, "kind", CmpOp::Eq, &[kind]).map_err(core)?
            }
            (Meaning::Present(name), _) => {
                let present = filter::attr_present(cat.resource, name).map_err(core)?;
                if boolean(&key, one)? {
                    present
                } else {
                    Filter::Not(Box::new(present))
                }
            }
            (Meaning::Never, _) => {
                if boolean(&key, one)? {
                    // Nothing has it: a test no record passes.
                    Filter::Not(Box::new(filter::attr_present(cat.resource, "id").map_err(core)?))
                } else {
                    continue;
                }
            }
            (Meaning::Locked, _) => {
                let until = Target::Attr(attr(cat.resource, "locked_until")?);
                let now = Value::Time(roster_core::model::now());
                if boolean(&key, one)? {
                    Filter::Test { target: until, cond: Cond::Cmp(CmpOp::Gt, now) }
                } else {
                    Filter::Or(vec![
                        Filter::Not(Box::new(Filter::Test { target: until.clone(), cond: Cond::Present })),
                        Filter::Test { target: until, cond: Cond::Cmp(CmpOp::Le, now) },
                    ])
                }
            }
            (Meaning::Either(a, b), _) => {
                let cmp = text_op(&op);
                Filter::Or(vec![
                    filter::attr_test(cat.resource, a, cmp, &values).map_err(core)?,
                    filter::attr_test(cat.resource, b, cmp, &values).map_err(core)?,
                ])
            }
            (Meaning::Attr(name), "PR") => {
                let present = filter::attr_present(cat.resource, name).map_err(core)?;
                if boolean(&key, one)? {
                    present
                } else {
                    Filter::Not(Box::new(present))
                }
            }
            (Meaning::Attr(name), "LT" | "GT") => time_test(cat.resource, name, &op, one).map_err(core)?,
            (Meaning::Attr(name), _) => {
                let cmp = text_op(&op);
                filter::attr_test(cat.resource, name, cmp, &values).map_err(core)?
            }
        };
        tests.push(test);
    }
    let sort = match sort.as_deref() {
        None | Some("") => Sort::parse(None, cat.resource)?,
        Some(text) => {
            let (name, desc) = text.strip_prefix('-').map_or((text, false), |n| (n, true));
            let (_, core) = cat
                .sorts
                .iter()
                .find(|(wire, _)| *wire == name)
                .ok_or_else(|| SlcError::bad_request(format!("sort: unknown field '{text}'")))?;
            Sort::parse(Some(&format!("{}{core}", if desc { "-" } else { "" })), cat.resource)?
        }
    };
    let deleted = deleted.unwrap_or(if deleted_time { Deleted::Include } else { Deleted::Exclude });
    let request = ListRequest { filter: Filter::all(tests), sort, limit, cursor: None, offset, count: true, deleted };
    Ok(Listing { request, projection })
}

/// The comparison a text operator names (IN is equality with several values).
fn text_op(op: &str) -> CmpOp {
    match op {
        "CO" => CmpOp::Co,
        "SW" => CmpOp::Sw,
        _ => CmpOp::Eq,
    }
}

/// `<attr> lt|gt <RFC 3339 time>`.
fn time_test(resource: Resource, name: &str, op: &str, value: &str) -> Result<Filter, filter::FilterError> {
    let op = if op == "LT" { CmpOp::Lt } else { CmpOp::Gt };
    filter::attr_test(resource, name, op, &[value])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<Listing, String> {
        listing(Some(q), &USERS).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn filters_sort_paging_and_projection() {
        let l = parse("filter[userName][SW]=Al&filter[_id][IN]=01a20a93-1734-77d7-8ed5-d370584d7774,01a20a93-1734-77d7-8ed5-d370584d7775&sort=-_created&page[offset]=20&page[limit]=10&fields=userName,_id&excludeFields=_id").unwrap();
        let Some(Filter::And(tests)) = &l.request.filter else { panic!("{:?}", l.request.filter) };
        assert_eq!(tests.len(), 2);
        assert!(matches!(&tests[0], Filter::Test { cond: Cond::Cmp(CmpOp::Sw, Value::Text(t)), .. } if t == "al"));
        assert!(matches!(&tests[1], Filter::Test { cond: Cond::In(v), .. } if v.len() == 2));
        assert_eq!((l.request.offset, l.request.limit, l.request.sort.desc), (20, 10, true));
        assert_eq!(l.request.sort.attr.name, "created");
        let mut user = serde_json::json!({"_id": "x", "userName": "al", "email": "a@b"});
        l.projection.apply(&mut user);
        assert_eq!(user, serde_json::json!({"userName": "al"}));
    }

    #[test]
    fn in_takes_repeated_parameters_and_deleted_chooses_records() {
        let l = parse("filter[userName][IN]=a&filter[userName][IN]=b,c&filter[deleted][EQ]=deletedOnly").unwrap();
        assert!(matches!(&l.request.filter, Some(Filter::Test { cond: Cond::In(v), .. }) if v.len() == 3));
        assert_eq!(l.request.deleted, Deleted::Only);
        assert_eq!(parse("filter[deleted][LT]=2026-01-01T00:00:00Z").unwrap().request.deleted, Deleted::Include);
        assert_eq!(parse("").unwrap().request.deleted, Deleted::Exclude);
        assert!(parse("filter[system][EQ]=false").unwrap().request.filter.is_none());
    }

    #[test]
    fn unknown_fields_operators_and_values_are_named() {
        for (q, named) in [
            ("filter[shoeSize][EQ]=9", "shoeSize"),
            ("filter[userName][LT]=a", "'LT'"),
            ("filter[active][EQ]=yes", "filter[active][EQ]"),
            ("filter[_created][GT]=yesterday", "filter[_created][GT]"),
            ("filter[_id][EQ]=nope", "filter[_id][EQ]"),
            ("filter[deleted][EQ]=some", "filter[deleted][EQ]"),
            ("filter[userName]=a", "filter[userName]"),
            ("filter[userName][EQ]=a&filter[userName][EQ]=b", "more than once"),
            ("sort=-shoeSize", "sort"),
            ("page[limit]=0", "page[limit]"),
            ("page[limit]=1001", "page[limit]"),
            ("page[offset]=-1", "page[offset]"),
            ("fields=password", "password"),
            ("colour=blue", "colour"),
        ] {
            let e = parse(q).expect_err(q);
            assert!(e.contains(named), "{q}: {e}");
        }
    }
}
