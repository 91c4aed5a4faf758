//! Reading a JSON object body for the dialects: every way it can be wrong, named, so each face
//! answers it in its own error envelope.

use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// What is wrong with a body.
#[derive(Debug)]
pub enum BodyProblem {
    /// The content type is not JSON (415).
    NotJson,
    /// Longer than the server takes (413).
    TooLarge,
    /// Not JSON, not an object, or unreadable; `param` is `body`.
    Malformed(String),
    /// One field is missing or of the wrong shape: its path (`a.b`) and what is wrong.
    Field { param: String, message: String },
}

/// The request's body as JSON of any shape (an object, an array...).
pub async fn json_value(req: Request, state: &AppState) -> Result<serde_json::Value, BodyProblem> {
    if !crate::is_json(req.headers()) {
        return Err(BodyProblem::NotJson);
    }
    let bytes = match axum::body::Bytes::from_request(req, state).await {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(BodyProblem::TooLarge),
        Err(e) => return Err(BodyProblem::Malformed(e.body_text())),
    };
    serde_json::from_slice(&bytes).map_err(|e| BodyProblem::Malformed(format!("the body is not JSON: {e}")))
}

/// The request's body as a `T`, read from a JSON object.
pub async fn json_object<T: DeserializeOwned>(req: Request, state: &AppState) -> Result<T, BodyProblem> {
    let value = json_value(req, state).await?;
    if !value.is_object() {
        return Err(BodyProblem::Malformed("the body must be a JSON object".into()));
    }
    from_value(value)
}

/// A JSON object read as a `T`, naming the failing field by its path.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, BodyProblem> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let (path, message) = (e.path().to_string(), e.inner().to_string());
        let at = |name: &str| if path == "." { name.to_owned() } else { format!("{path}.{name}") };
        // serde reports a missing field at its parent; name the field itself.
        match message.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
            Some(field) => BodyProblem::Field { param: at(field), message },
            None if path == "." => BodyProblem::Malformed(message),
            None => BodyProblem::Field { param: path, message },
        }
    })
}
