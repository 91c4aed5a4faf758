//! `/Bulk` (RFC 7644 section 3.7): operations run one by one, each atomic on its own, through the
//! same code as their endpoints. `bulkId:x` references (in paths and anywhere in data) name what
//! an earlier POST of the request created; an operation whose reference is made later in the
//! request waits for it, and references that cannot be resolved fail their operation.
//! `failOnErrors` stops the request after that many failures.

use super::errors::ScimError;
use super::schema::{self, Kind, BULK_RESPONSE};
use super::Ctx;
use axum::http::StatusCode;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Most operations one request may hold.
pub const MAX_OPERATIONS: usize = 1000;

struct Operation {
    method: String,
    bulk_id: Option<String>,
    path: String,
    data: Value,
    version: Option<i64>,
}

fn read(body: &Value) -> Result<(Vec<Operation>, Option<u64>), ScimError> {
    let obj = schema::message(body, schema::BULK_REQUEST, true)?;
    let fail_on_errors = match schema::member(obj, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ScimError::invalid_value("failOnErrors must be a positive integer"))?,
        ),
    };
    let ops = schema::member(obj, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "Operations must be an array"))?;
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("tooMany"),
            format!("at most {MAX_OPERATIONS} operations in one request"),
        ));
    }
    let mut out = Vec::with_capacity(ops.len());
    let mut ids = std::collections::HashSet::new();
    for (i, o) in ops.iter().enumerate() {
        let o = o
            .as_object()
            .ok_or_else(|| ScimError::bad("invalidSyntax", format!("Operations[{i}] must be an object")))?;
        let text = |k: &str| schema::member(o, k).and_then(Value::as_str).map(str::to_owned);
        let method = text("method").map(|m| m.to_ascii_uppercase()).unwrap_or_default();
        if !matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
            return Err(ScimError::bad(
                "invalidSyntax",
                format!("Operations[{i}].method must be POST, PUT, PATCH or DELETE"),
            ));
        }
        let path =
            text("path").ok_or_else(|| ScimError::bad("invalidSyntax", format!("Operations[{i}].path is required")))?;
        let bulk_id = text("bulkId");
        if method == "POST" && bulk_id.is_none() {
            return Err(ScimError::bad("invalidSyntax", format!("Operations[{i}]: a POST needs a bulkId")));
        }
        if let Some(b) = &bulk_id {
            if !ids.insert(b.clone()) {
                return Err(ScimError::bad("invalidValue", format!("Operations[{i}]: bulkId '{b}' is used twice")));
            }
        }
        let version = text("version").map(|v| super::version_of(&v).unwrap_or(-1));
        let data = schema::member(o, "data").cloned().unwrap_or(Value::Null);
        out.push(Operation { method, bulk_id, path, data, version });
    }
    Ok((out, fail_on_errors))
}

/// The bulkIds a text or value refers to.
fn references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:") {
                out.push(id.to_owned());
            } else if let Some(pos) = s.find("/bulkId:") {
                out.push(s[pos + 8..].to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| references(i, out)),
        Value::Object(o) => o.values().for_each(|i| references(i, out)),
        _ => {}
    }
}

fn resolve(v: &mut Value, made: &HashMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:").and_then(|b| made.get(b)) {
                *s = id.clone();
            } else if let Some(pos) = s.find("/bulkId:") {
                if let Some(id) = made.get(&s[pos + 8..]) {
                    *s = format!("{}/{id}", &s[..pos]);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| resolve(i, made)),
        Value::Object(o) => o.values_mut().for_each(|i| resolve(i, made)),
        _ => {}
    }
}

/// `/Users`, `/Groups/{id}`: the resource type and id a path names.
fn target(path: &str) -> Result<(Kind, Option<String>), ScimError> {
    let p = path.trim_start_matches('/');
    let (head, id) = match p.split_once('/') {
        Some((h, i)) if !i.is_empty() && !i.contains('/') => (h, Some(i.to_owned())),
        Some(_) => return Err(ScimError::bad("invalidPath", format!("'{path}' is not a resource path"))),
        None => (p, None),
    };
    let kind = Kind::ALL.into_iter().find(|k| k.endpoint().eq_ignore_ascii_case(head));
    kind.map(|k| (k, id)).ok_or_else(|| ScimError::bad("invalidPath", format!("'{path}' names no resource type")))
}

pub async fn run(ctx: &Ctx<'_>, body: &Value) -> Result<Value, ScimError> {
    let (ops, fail_on_errors) = read(body)?;
    let mut made: HashMap<String, String> = HashMap::new();
    let mut failed_ids: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut results: Vec<Option<Value>> = vec![None; ops.len()];
    let mut errors = 0u64;
    let pending_ids: std::collections::HashSet<String> = ops.iter().filter_map(|o| o.bulk_id.clone()).collect();
    // Passes over the operations in order; one waiting for a later POST runs in a later pass.
    loop {
        let mut progressed = false;
        for (i, op) in ops.iter().enumerate() {
            if results[i].is_some() {
                continue;
            }
            if fail_on_errors.is_some_and(|n| errors >= n) {
                break;
            }
            let mut refs = Vec::new();
            references(&op.data, &mut refs);
            references(&Value::String(op.path.clone()), &mut refs);
            let unresolved: Vec<&String> = refs.iter().filter(|r| !made.contains_key(*r)).collect();
            let waits = unresolved
                .iter()
                .any(|r| pending_ids.contains(*r) && !failed_ids.contains(*r) && op.bulk_id.as_ref() != Some(*r));
            if waits {
                continue;
            }
            progressed = true;
            let outcome = if let Some(r) = unresolved.first() {
                Err(ScimError::new(
                    StatusCode::CONFLICT,
                    Some("invalidValue"),
                    format!("bulkId '{r}' names no resource created by this request"),
                ))
            } else {
                one(ctx, op, &made).await
            };
            let mut answer = Map::new();
            answer.insert("method".into(), op.method.clone().into());
            if let Some(b) = &op.bulk_id {
                answer.insert("bulkId".into(), b.clone().into());
            }
            match outcome {
                Ok((status, doc)) => {
                    answer.insert("status".into(), status.as_u16().to_string().into());
                    if let Some(d) = doc {
                        let meta = d.get("meta");
                        if let Some(l) = meta.and_then(|m| m.get("location")) {
                            answer.insert("location".into(), l.clone());
                        }
                        if let Some(v) = meta.and_then(|m| m.get("version")) {
                            answer.insert("version".into(), v.clone());
                        }
                        if let (Some(b), Some(id)) = (&op.bulk_id, d.get("id").and_then(Value::as_str)) {
                            made.insert(b.clone(), id.to_owned());
                        }
                    } else {
                        answer.insert("location".into(), format!("{}{}", ctx.base, op.path).into());
                    }
                }
                Err(e) => {
                    errors += 1;
                    if let Some(b) = &op.bulk_id {
                        failed_ids.insert(b.clone());
                    }
                    answer.insert("status".into(), e.status.as_u16().to_string().into());
                    answer.insert("response".into(), e.body());
                }
            }
            results[i] = Some(Value::Object(answer));
        }
        let stopped = fail_on_errors.is_some_and(|n| errors >= n);
        if stopped || !progressed || results.iter().all(Option::is_some) {
            break;
        }
    }
    // Operations left waiting wait on each other: a circle of references.
    if fail_on_errors.is_none_or(|n| errors < n) {
        for (i, op) in ops.iter().enumerate() {
            if results[i].is_none() {
                let e = ScimError::new(
                    StatusCode::CONFLICT,
                    Some("invalidValue"),
                    "the bulkId references of this operation form a circle",
                );
                let mut answer = json!({"method": op.method, "status": "409", "response": e.body()});
                if let Some(b) = &op.bulk_id {
                    answer["bulkId"] = b.clone().into();
                }
                results[i] = Some(answer);
            }
        }
    }
    Ok(json!({"schemas": [BULK_RESPONSE], "Operations": results.into_iter().flatten().collect::<Vec<_>>()}))
}

async fn one(
    ctx: &Ctx<'_>,
    op: &Operation,
    made: &HashMap<String, String>,
) -> Result<(StatusCode, Option<super::doc::Doc>), ScimError> {
    let mut path = Value::String(op.path.clone());
    resolve(&mut path, made);
    let (kind, id) = target(path.as_str().unwrap_or_default())?;
    let mut data = op.data.clone();
    resolve(&mut data, made);
    if matches!(op.method.as_str(), "POST" | "PUT" | "PATCH") && !data.is_object() {
        return Err(ScimError::bad("invalidSyntax", "data must be an object"));
    }
    match (op.method.as_str(), &id) {
        ("POST", Some(_)) => return Err(ScimError::bad("invalidPath", "a POST names a resource type, not a resource")),
        ("PUT" | "PATCH" | "DELETE", None) => {
            return Err(ScimError::bad("invalidPath", "the path must name a resource"))
        }
        _ => {}
    }
    super::run(ctx, kind, &op.method, id.as_deref(), &data, op.version).await
}
