//! The parameters of a call, which the vendor's clients send as a JSON body, as form fields or in
//! the query string, with lists as JSON arrays or as serialized JSON strings and booleans as
//! true/false/1/0 in any case. Every getter names the parameter at fault.

use super::errors::AtError;
use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde_json::{Map, Value};

const FORM: &str = "application/x-www-form-urlencoded";

/// The parameters of one call, from the query string and the body together.
pub struct Params(Map<String, Value>);

fn insert(map: &mut Map<String, Value>, name: String, value: Value) -> Result<(), AtError> {
    if map.contains_key(&name) {
        return Err(AtError::bad_request(format!("{name} is given more than once")));
    }
    map.insert(name, value);
    Ok(())
}

fn form(map: &mut Map<String, Value>, text: &[u8]) -> Result<(), AtError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(text)
        .map_err(|e| AtError::bad_request(format!("the parameters cannot be read: {e}")))?;
    for (k, v) in pairs {
        insert(map, k, Value::String(v))?;
    }
    Ok(())
}

impl FromRequest<AppState> for Params {
    type Rejection = AtError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut map = Map::new();
        form(&mut map, req.uri().query().unwrap_or_default().as_bytes())?;
        let json = crate::is_json(req.headers());
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let is_form = content_type.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case(FORM);
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(crate::body::BodyProblem::TooLarge.into())
            }
            Err(e) => return Err(AtError::bad_request(e.body_text())),
        };
        // No body (clients send a JSON content type on a GET too): the query string is all.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Params(map));
        }
        if json {
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(fields)) => {
                    for (k, v) in fields {
                        insert(&mut map, k, v)?;
                    }
                }
                Ok(_) => return Err(AtError::bad_request("the body must be a JSON object")),
                Err(e) => return Err(AtError::bad_request(format!("the body is not JSON: {e}"))),
            }
        } else if is_form {
            form(&mut map, &bytes)?;
        } else {
            return Err(crate::body::BodyProblem::NotJson.into());
        }
        Ok(Params(map))
    }
}

impl Params {
    /// Refuses parameters this endpoint does not take, naming the ones it does.
    pub fn only(&self, known: &[&str]) -> Result<(), AtError> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => {
                Err(AtError::bad_request(format!("unknown parameter {k}; this endpoint takes {}", known.join(", "))))
            }
            None => Ok(()),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|v| !v.is_null())
    }

    /// A required positive integer (a JSON number or a string of digits).
    pub fn id(&self, name: &str) -> Result<i64, AtError> {
        let bad = || AtError::bad_request(format!("{name} must be a positive integer"));
        let n = match self.0.get(name) {
            None | Some(Value::Null) => return Err(AtError::bad_request(format!("{name} is required"))),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(bad)?,
            Some(Value::String(s)) if !s.trim().is_empty() && s.trim().bytes().all(|b| b.is_ascii_digit()) => {
                s.trim().parse().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
        };
        if n < 1 {
            return Err(bad());
        }
        Ok(n)
    }

    /// A required non-empty string.
    pub fn text(&self, name: &str) -> Result<String, AtError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Err(AtError::bad_request(format!("{name} is required"))),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            Some(_) => Err(AtError::bad_request(format!("{name} must be a non-empty string"))),
        }
    }

    /// An optional boolean: true/false/1/0 in any case, as JSON or text; absent is false.
    pub fn flag(&self, name: &str) -> Result<bool, AtError> {
        let bad = || AtError::bad_request(format!("{name} must be true or false (or 1 or 0)"));
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(0) => Ok(false),
                Some(1) => Ok(true),
                _ => Err(bad()),
            },
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(bad()),
            },
            Some(_) => Err(bad()),
        }
    }

    /// A required list: a JSON array, or a string holding one (a serialized JSON array).
    pub fn list(&self, name: &str) -> Result<Vec<Value>, AtError> {
        let bad = || AtError::bad_request(format!("{name} must be a JSON array (or a string holding one)"));
        match self.0.get(name) {
            None | Some(Value::Null) => Err(AtError::bad_request(format!("{name} is required"))),
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(Value::String(s)) => match serde_json::from_str(s) {
                Ok(Value::Array(items)) => Ok(items),
                _ => Err(bad()),
            },
            Some(_) => Err(bad()),
        }
    }

    /// An optional list (absent: empty).
    pub fn opt_list(&self, name: &str) -> Result<Vec<Value>, AtError> {
        if self.has(name) {
            self.list(name)
        } else {
            Ok(Vec::new())
        }
    }
}

/// Refuses a list entry with fields other than `known`.
pub fn entry_fields(name: &str, i: usize, entry: &Value, known: &[&str]) -> Result<(), AtError> {
    match entry.as_object().and_then(|m| m.keys().find(|k| !known.contains(&k.as_str()))) {
        Some(k) => {
            Err(AtError::bad_request(format!("{name}[{i}]: unknown field {k}; an entry has {}", known.join(", "))))
        }
        None => Ok(()),
    }
}

/// The string of a list entry's field (`name[i].field`), required or not.
pub fn entry_text(name: &str, i: usize, entry: &Value, field: &str, required: bool) -> Result<Option<String>, AtError> {
    let at = || format!("{name}[{i}]");
    let Value::Object(map) = entry else {
        return Err(AtError::bad_request(format!("{}: each entry must be an object with {field}", at())));
    };
    match map.get(field) {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        // An integer where the vendor documents an integer string is taken as written.
        Some(Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(AtError::bad_request(format!("{}.{field} is required", at()))),
        Some(_) => Err(AtError::bad_request(format!("{}.{field} must be a string", at()))),
    }
}
