//! PATCH (RFC 7644 section 3.5.2) on a resource's document: paths with sub-attributes, value
//! filters and extension URNs; add, remove and replace; and the forms the big providers send
//! (operation names in any case, booleans as "True"/"False", `remove` of members by value, a path
//! inside the value of a path-less operation, a filtered path that matches nothing creating the
//! element it describes).

use super::doc::{self, Doc};
use super::errors::ScimError;
use super::filter;
use super::schema::{self, Attr, Kind, Mutability, Ty, ENTERPRISE_ATTRS};
use roster_core::filter::Filter;
use serde_json::{Map, Value};

/// Most operations one PATCH request may hold.
pub const MAX_OPERATIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Replace,
}

/// One operation as read from the request.
#[derive(Debug, Clone)]
pub struct Operation {
    pub op: Op,
    pub path: Option<String>,
    pub value: Option<Value>,
}

/// A PatchOp body's operations.
pub fn operations(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let obj = schema::message(body, schema::PATCH_OP, false)?;
    let ops = schema::member(obj, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "Operations must be an array of operations"))?;
    if ops.is_empty() {
        return Err(ScimError::bad("invalidSyntax", "Operations is empty"));
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            Some("tooMany"),
            format!("at most {MAX_OPERATIONS} operations in one PATCH"),
        ));
    }
    ops.iter()
        .enumerate()
        .map(|(i, o)| {
            let o = o
                .as_object()
                .ok_or_else(|| ScimError::bad("invalidSyntax", format!("Operations[{i}] must be an object")))?;
            let name = schema::member(o, "op").and_then(Value::as_str).unwrap_or_default();
            let op = match name.to_ascii_lowercase().as_str() {
                "add" => Op::Add,
                "remove" => Op::Remove,
                "replace" => Op::Replace,
                _ => {
                    return Err(ScimError::bad(
                        "invalidSyntax",
                        format!("Operations[{i}].op must be add, remove or replace, not '{name}'"),
                    ))
                }
            };
            let path = match schema::member(o, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.trim().is_empty() => None,
                Some(Value::String(p)) => Some(p.trim().to_owned()),
                Some(_) => return Err(ScimError::bad("invalidPath", format!("Operations[{i}].path must be a string"))),
            };
            let value = schema::member(o, "value").cloned();
            if op != Op::Remove && value.is_none() {
                return Err(ScimError::bad("invalidValue", format!("Operations[{i}] ({name}) needs a value")));
            }
            if op == Op::Remove && path.is_none() {
                return Err(ScimError::bad("noTarget", format!("Operations[{i}] (remove) needs a path")));
            }
            Ok(Operation { op, path, value })
        })
        .collect()
}

/// A parsed PATCH path.
#[derive(Debug)]
pub struct Path {
    /// The extension the attribute belongs to.
    pub extension: Option<&'static str>,
    /// None: the whole extension object.
    pub attr: Option<&'static Attr>,
    pub filter: Option<Filter>,
    pub sub: Option<&'static Attr>,
}

fn invalid_path(text: &str, why: &str) -> ScimError {
    ScimError::bad("invalidPath", format!("path '{text}': {why}"))
}

pub fn parse_path(kind: Kind, text: &str) -> Result<Path, ScimError> {
    let (extension, attrs, rest): (Option<&'static str>, &'static [Attr], &str) = match doc::extension_of(kind, text) {
        Some((urn, rest)) => match rest.strip_prefix(':') {
            Some(r) => (Some(urn), &ENTERPRISE_ATTRS, r),
            None if rest.is_empty() => return Ok(Path { extension: Some(urn), attr: None, filter: None, sub: None }),
            None => return Err(invalid_path(text, "unknown schema")),
        },
        None => {
            let core = kind.schema();
            let rest = match text.get(..core.len()) {
                Some(head) if head.eq_ignore_ascii_case(core) => text[core.len()..].trim_start_matches(':'),
                _ => text,
            };
            (None, kind.attrs(), rest)
        }
    };
    let (name, filter_text, sub_name) = match rest.find('[') {
        Some(open) => {
            let close = rest.rfind(']').ok_or_else(|| invalid_path(text, "'[' without ']'"))?;
            if close < open {
                return Err(invalid_path(text, "']' before '['"));
            }
            let after = &rest[close + 1..];
            let sub = match after {
                "" => None,
                s => Some(s.strip_prefix('.').ok_or_else(|| invalid_path(text, "expected '.' after ']'"))?),
            };
            (&rest[..open], Some(&rest[open + 1..close]), sub)
        }
        None => match rest.split_once('.') {
            Some((n, s)) => (n, None, Some(s)),
            None => (rest, None, None),
        },
    };
    let attr = schema::find(attrs, name).ok_or_else(|| invalid_path(text, "no such attribute"))?;
    let filter = match filter_text {
        Some(_) if !attr.multi => return Err(invalid_path(text, &format!("{} is not multi-valued", attr.name))),
        Some(f) => {
            Some(filter::parse_element(f).map_err(|e| ScimError::bad("invalidFilter", format!("path '{text}': {e}")))?)
        }
        None => None,
    };
    let sub = match sub_name {
        Some(s) => Some(schema::find(attr.sub, s).ok_or_else(|| invalid_path(text, "no such sub-attribute"))?),
        None => None,
    };
    Ok(Path { extension, attr: Some(attr), filter, sub })
}

fn read_only(name: &str) -> ScimError {
    ScimError::bad("mutability", format!("{name} is read-only"))
}

/// An operation as operations with paths: a path-less one's value is an object of attributes (or
/// of paths, as some providers send), an extension's object taken attribute by attribute.
pub fn expand(kind: Kind, op: Operation) -> Result<Vec<Operation>, ScimError> {
    if op.path.is_some() {
        return Ok(vec![op]);
    }
    let Some(Value::Object(fields)) = op.value else {
        return Err(ScimError::invalid_value("an operation without a path needs an object value"));
    };
    let mut out = Vec::with_capacity(fields.len());
    for (k, v) in fields {
        let one = |path: String, value: Value| Operation { op: op.op, path: Some(path), value: Some(value) };
        if let Some((urn, "")) = doc::extension_of(kind, &k) {
            let Value::Object(inner) = v else {
                return Err(ScimError::invalid_value(format!("{urn} must be an object")));
            };
            // Some clients write the extension object with its own `schemas`.
            out.extend(
                inner
                    .into_iter()
                    .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
                    .map(|(k, v)| one(format!("{urn}:{k}"), v)),
            );
        } else if !["schemas", "meta", "id"].iter().any(|skip| k.eq_ignore_ascii_case(skip)) {
            out.push(one(k, v));
        }
    }
    Ok(out)
}

/// Applies one operation to a document.
pub fn apply(kind: Kind, doc: &mut Doc, op: &Operation) -> Result<(), ScimError> {
    let Some(path) = &op.path else {
        for one in expand(kind, op.clone())? {
            apply(kind, doc, &one)?;
        }
        return Ok(());
    };
    let p = parse_path(kind, path)?;
    let value = op.value.as_ref().unwrap_or(&Value::Null);
    let container: &mut Doc = match p.extension {
        Some(urn) => {
            let ext = doc.entry(urn).or_insert_with(|| Value::Object(Map::new()));
            if !ext.is_object() {
                *ext = Value::Object(Map::new());
            }
            ext.as_object_mut().ok_or_else(|| ScimError::invalid_value("extension"))?
        }
        None => doc,
    };
    let Some(attr) = p.attr else {
        // The whole extension object.
        let urn = p.extension.unwrap_or_default();
        return match op.op {
            Op::Remove => {
                container.clear();
                Ok(())
            }
            _ => apply(kind, doc, &Operation { op: op.op, path: None, value: Some(serde_json::json!({ urn: value })) }),
        };
    };
    if attr.mutability == Mutability::ReadOnly || p.sub.is_some_and(|s| s.mutability == Mutability::ReadOnly) {
        return Err(read_only(path));
    }
    match (&p.filter, p.sub) {
        (None, None) => whole(container, attr, op.op, value, path),
        (None, Some(sub)) => sub_attribute(container, attr, sub, op.op, value, path),
        (Some(f), sub) => filtered(container, attr, f, sub, op.op, value, path),
    }
}

/// add, remove or replace of a whole attribute.
fn whole(container: &mut Doc, attr: &'static Attr, op: Op, value: &Value, path: &str) -> Result<(), ScimError> {
    match op {
        Op::Remove if attr.multi && !value.is_null() => {
            // Remove the listed values (how some providers remove group members).
            let gone = doc::check_value(attr, value, path)?.unwrap_or(Value::Array(Vec::new()));
            if let Some(Value::Array(items)) = container.get_mut(attr.name) {
                let gone = gone.as_array().cloned().unwrap_or_default();
                items.retain(|item| !gone.iter().any(|g| same_value(g, item)));
            }
        }
        Op::Remove => {
            if attr.name == "password" {
                return Err(ScimError::bad("mutability", "a password cannot be removed; set a new one instead"));
            }
            container.remove(attr.name);
        }
        Op::Replace => match doc::check_value(attr, value, path)? {
            Some(v) => {
                container.insert(attr.name.to_owned(), v);
            }
            None => {
                container.remove(attr.name);
            }
        },
        Op::Add => {
            let Some(v) = doc::check_value(attr, value, path)? else { return Ok(()) };
            match (container.get_mut(attr.name), v) {
                (Some(Value::Array(items)), Value::Array(new)) => {
                    for n in new {
                        if !items.iter().any(|i| same_value(i, &n)) {
                            items.push(n);
                        }
                    }
                }
                (Some(Value::Object(old)), Value::Object(new)) if attr.ty == Ty::Complex => old.extend(new),
                (_, v) => {
                    container.insert(attr.name.to_owned(), v);
                }
            }
        }
    }
    Ok(())
}

/// Elements are the same value when they are equal or, for elements with a `value`, when those
/// are (case-insensitively for text).
fn same_value(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a.get("value"), b.get("value")) {
        (Some(Value::String(x)), Some(Value::String(y))) => x.eq_ignore_ascii_case(y),
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// add, remove or replace of `attr.sub`: of the complex attribute, or of every element.
fn sub_attribute(
    container: &mut Doc,
    attr: &'static Attr,
    sub: &'static Attr,
    op: Op,
    value: &Value,
    path: &str,
) -> Result<(), ScimError> {
    let v = if op == Op::Remove { None } else { doc::check_single(sub, value, path)? };
    let set = |obj: &mut Map<String, Value>| match &v {
        Some(v) => {
            obj.insert(sub.name.to_owned(), v.clone());
        }
        None => {
            obj.remove(sub.name);
        }
    };
    if attr.multi {
        let items = container.entry(attr.name).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = items {
            if items.is_empty() && v.is_some() {
                items.push(Value::Object(Map::new()));
            }
            items.iter_mut().filter_map(Value::as_object_mut).for_each(set);
            items.retain(|i| i.as_object().is_some_and(|o| !o.is_empty()));
        }
    } else {
        let obj = container.entry(attr.name).or_insert_with(|| Value::Object(Map::new()));
        if !obj.is_object() {
            *obj = Value::Object(Map::new());
        }
        if let Some(o) = obj.as_object_mut() {
            set(o);
        }
    }
    tidy(container, attr.name);
    Ok(())
}

/// An operation on the elements a value filter selects.
fn filtered(
    container: &mut Doc,
    attr: &'static Attr,
    f: &Filter,
    sub: Option<&'static Attr>,
    op: Op,
    value: &Value,
    path: &str,
) -> Result<(), ScimError> {
    let new: Option<Value> = match (op, sub) {
        (Op::Remove, _) => None,
        (_, Some(s)) => doc::check_single(s, value, path)?,
        (_, None) => doc::check_single(attr, value, path)?,
    };
    let items = container.entry(attr.name).or_insert_with(|| Value::Array(Vec::new()));
    if !items.is_array() {
        *items = Value::Array(Vec::new());
    }
    let Value::Array(items) = items else { return Ok(()) };
    let hits: Vec<usize> = (0..items.len()).filter(|i| filter::matches(f, &items[*i])).collect();
    if hits.is_empty() {
        if op == Op::Remove {
            // Nothing to remove: the attribute is already as asked.
            tidy(container, attr.name);
            return Ok(());
        }
        let mut element = filter::described(f)
            .ok_or_else(|| ScimError::bad("noTarget", format!("path '{path}' selects no value")))?;
        match (sub, new) {
            (Some(s), Some(v)) => {
                element.insert(s.name.to_owned(), v);
            }
            (None, Some(Value::Object(o))) => element.extend(o),
            _ => {}
        }
        let element = doc::check_single(attr, &Value::Object(element), path)?;
        items.extend(element);
        return Ok(());
    }
    for i in hits.into_iter().rev() {
        match (op, sub, &new) {
            (Op::Remove, None, _) => {
                items.remove(i);
            }
            (_, Some(s), v) => {
                if let Some(o) = items[i].as_object_mut() {
                    match v {
                        Some(v) => o.insert(s.name.to_owned(), v.clone()),
                        None => o.remove(s.name),
                    };
                }
            }
            (Op::Replace, None, Some(v)) => items[i] = v.clone(),
            (Op::Add, None, Some(Value::Object(v))) => {
                if let Some(o) = items[i].as_object_mut() {
                    o.extend(v.clone());
                }
            }
            _ => {}
        }
    }
    tidy(container, attr.name);
    Ok(())
}

/// Drops an attribute left empty.
fn tidy(container: &mut Doc, name: &str) {
    let empty = match container.get(name) {
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    };
    if empty {
        container.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paths_name_attributes_filters_and_extensions() {
        let p = parse_path(Kind::User, r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(
            (p.attr.map(|a| a.name), p.sub.map(|a| a.name), p.filter.is_some()),
            (Some("emails"), Some("value"), true)
        );
        let p =
            parse_path(Kind::User, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value").unwrap();
        assert_eq!(
            (p.extension, p.attr.map(|a| a.name), p.sub.map(|a| a.name)),
            (Some(schema::ENTERPRISE), Some("manager"), Some("value"))
        );
        let p = parse_path(Kind::User, "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:NAME.GIVENNAME").unwrap();
        assert_eq!((p.attr.map(|a| a.name), p.sub.map(|a| a.name)), (Some("name"), Some("givenName")));
        for bad in ["nope", "name.nope", "userName[value pr]", "emails[value pr", "emails]x[", "emails[value pr]value"]
        {
            assert_eq!(parse_path(Kind::User, bad).map(|_| ()).unwrap_err().status, 400, "{bad}");
        }
    }

    proptest! {
        // Whatever the path, parsing answers Ok or a 400: it never panics.
        #[test]
        fn paths_never_panic(s in "\\PC{0,60}") {
            for kind in Kind::ALL {
                if let Err(e) = parse_path(kind, &s) {
                    prop_assert_eq!(e.status.as_u16(), 400);
                }
            }
        }

        // Whatever the operations, applying them to a document answers Ok or a 4xx.
        #[test]
        fn operations_never_panic(path in r#"(emails|members|name|urn:ietf:params:scim:schemas:extension:enterprise:2.0:User)?(\.value|\[value eq "a"\]|\[type pr\]\.display)?"#,
                                  op in prop_oneof![Just(Op::Add), Just(Op::Remove), Just(Op::Replace)],
                                  value in prop_oneof![Just(Value::Null), Just(serde_json::json!("a")), Just(serde_json::json!([{"value": "a"}])), Just(serde_json::json!({"value": "b", "type": "work"}))]) {
            for kind in Kind::ALL {
                let mut d = Doc::new();
                d.insert("emails".into(), serde_json::json!([{"value": "a", "type": "work"}]));
                let path = (!path.is_empty()).then(|| path.clone());
                if let Err(e) = apply(kind, &mut d, &Operation { op, path, value: Some(value.clone()) }) {
                    prop_assert!(e.status.is_client_error());
                }
            }
        }
    }
}
