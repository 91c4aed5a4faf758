//! A resource between the wire and core: a JSON object with the schema's own attribute names,
//! every value checked against the attribute's characteristics. Incoming names are matched
//! without regard to case; read-only attributes a client sends are ignored (RFC 7643 section 7).

use super::errors::ScimError;
use super::schema::{self, Attr, Kind, Mutability, Ty, ENTERPRISE_ATTRS};
use serde_json::{Map, Value};

pub type Doc = Map<String, Value>;

/// Longest string value taken.
const MAX_TEXT: usize = 2048;
/// Most values of one multi-valued attribute.
const MAX_VALUES: usize = 100;

/// A string that names a boolean, as some providers send them ("True", "False").
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// One value of an attribute (one element, for a multi-valued one); None when it is empty.
pub fn check_single(a: &Attr, v: &Value, at: &str) -> Result<Option<Value>, ScimError> {
    let wrong = |what: &str| ScimError::invalid_value(format!("{at} must be {what}"));
    match (a.ty, v) {
        (_, Value::Null) => Ok(None),
        (Ty::String | Ty::Reference, Value::String(s)) => {
            if s.len() > MAX_TEXT {
                return Err(ScimError::invalid_value(format!("{at} is longer than {MAX_TEXT} bytes")));
            }
            if s.contains('\0') {
                return Err(wrong("text without the NUL character"));
            }
            Ok(Some(v.clone()))
        }
        (Ty::String | Ty::Reference, _) => Err(wrong("a string")),
        (Ty::Boolean, v) => boolean(v).map(|b| Some(Value::Bool(b))).ok_or_else(|| wrong("true or false")),
        (Ty::Complex, Value::Object(obj)) => {
            let mut out = Map::new();
            for (k, v) in obj {
                let sub = schema::find(a.sub, k)
                    .ok_or_else(|| ScimError::invalid_value(format!("{at} has no sub-attribute '{k}'")))?;
                if sub.mutability == Mutability::ReadOnly {
                    continue;
                }
                if let Some(v) = check_single(sub, v, &format!("{at}.{}", sub.name))? {
                    out.insert(sub.name.to_owned(), v);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
        // Entra sends a manager as its id alone: a scalar is the `value` of a complex attribute that has one.
        (Ty::Complex, Value::String(_) | Value::Number(_) | Value::Bool(_))
            if schema::find(a.sub, "value").is_some() =>
        {
            check_single(a, &serde_json::json!({ "value": v }), at)
        }
        (Ty::Complex, _) => Err(wrong("an object")),
    }
}

/// An attribute's value: for a multi-valued one, an array (a single value is taken as one).
pub fn check_value(a: &Attr, v: &Value, at: &str) -> Result<Option<Value>, ScimError> {
    if !a.multi {
        return check_single(a, v, at);
    }
    let items: &[Value] = match v {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        single => std::slice::from_ref(single),
    };
    if items.len() > MAX_VALUES {
        return Err(ScimError::invalid_value(format!("{at} has more than {MAX_VALUES} values")));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if let Some(v) = check_single(a, item, &format!("{at}[{i}]"))? {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// Sets (or, for an empty value, removes) a checked attribute in an object.
fn put(obj: &mut Doc, a: &Attr, v: &Value, at: &str) -> Result<(), ScimError> {
    if a.mutability == Mutability::ReadOnly {
        return Ok(());
    }
    match check_value(a, v, at)? {
        Some(v) => obj.insert(a.name.to_owned(), v),
        None => obj.remove(a.name),
    };
    Ok(())
}

/// The extension schema a name belongs to (`urn:...:enterprise:2.0:User`), if it is one of
/// `kind`'s, with what follows it (`:department`, or nothing).
pub fn extension_of(kind: Kind, name: &str) -> Option<(&'static str, &str)> {
    kind.extensions().iter().find_map(|urn| {
        let head = name.get(..urn.len())?;
        head.eq_ignore_ascii_case(urn).then(|| (*urn, &name[urn.len()..]))
    })
}

/// A whole resource as a client sends it (POST, PUT, a Bulk operation's data), checked.
pub fn check_resource(kind: Kind, body: &Value) -> Result<Doc, ScimError> {
    let obj = body.as_object().ok_or_else(|| ScimError::bad("invalidSyntax", "the body must be a JSON object"))?;
    let mut doc = Doc::new();
    for (k, v) in obj {
        if k.eq_ignore_ascii_case("schemas") {
            check_schemas(kind, v)?;
            continue;
        }
        if k.eq_ignore_ascii_case("meta") {
            continue;
        }
        if let Some((urn, rest)) = extension_of(kind, k) {
            let ext = doc.entry(urn).or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(ext) = ext else { continue };
            if rest.is_empty() {
                let Value::Object(fields) = v else {
                    if v.is_null() {
                        continue;
                    }
                    return Err(ScimError::invalid_value(format!("{urn} must be an object")));
                };
                for (name, v) in fields.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("schemas")) {
                    let a = ext_attr(name)?;
                    put(ext, a, v, a.name)?;
                }
            } else {
                // The flattened form some providers send: `urn:...:User:department`.
                let a = ext_attr(rest.trim_start_matches(':'))?;
                put(ext, a, v, a.name)?;
            }
            continue;
        }
        let a = schema::find(kind.attrs(), k)
            .ok_or_else(|| ScimError::invalid_value(format!("a {} has no attribute '{k}'", kind.name())))?;
        put(&mut doc, a, v, a.name)?;
    }
    doc.retain(|_, v| !matches!(v, Value::Object(o) if o.is_empty()));
    Ok(doc)
}

fn ext_attr(name: &str) -> Result<&'static Attr, ScimError> {
    schema::find(&ENTERPRISE_ATTRS, name)
        .ok_or_else(|| ScimError::invalid_value(format!("the enterprise extension has no attribute '{name}'")))
}

fn check_schemas(kind: Kind, v: &Value) -> Result<(), ScimError> {
    let Some(list) = v.as_array() else {
        return Err(ScimError::invalid_value("schemas must be an array of schema URNs"));
    };
    for s in list {
        let s = s.as_str().ok_or_else(|| ScimError::invalid_value("schemas must be an array of schema URNs"))?;
        let known =
            s.eq_ignore_ascii_case(kind.schema()) || kind.extensions().iter().any(|e| e.eq_ignore_ascii_case(s));
        if !known {
            return Err(ScimError::invalid_value(format!("a {} does not take the schema {s}", kind.name())));
        }
    }
    Ok(())
}

/// A string attribute of a document.
pub fn text<'a>(doc: &'a Doc, name: &str) -> Option<&'a str> {
    doc.get(name).and_then(Value::as_str)
}
