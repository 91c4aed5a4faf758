//! The dialect's error answer, `{code, message, details[{value, msg, param, location}]}`, mapped
//! from core errors in this one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::CoreError;
use serde::Serialize;

/// One problem with one input.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    pub msg: String,
    pub param: String,
    /// Where the input was: `body`, `query` or `params` (the path).
    pub location: &'static str,
}

#[derive(Debug)]
pub struct MattrError {
    status: StatusCode,
    message: String,
    details: Vec<Detail>,
}

impl MattrError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), details: Vec::new() }
    }

    /// A 400 naming the input that is wrong.
    pub fn invalid(
        location: &'static str,
        param: &str,
        value: Option<serde_json::Value>,
        msg: impl Into<String>,
    ) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: "Validation Error".into(),
            details: vec![Detail { value, msg: msg.into(), param: param.into(), location }],
        }
    }

    fn code(&self) -> &'static str {
        match self.status {
            StatusCode::BAD_REQUEST => "BadRequest",
            StatusCode::UNAUTHORIZED => "Unauthorized",
            StatusCode::FORBIDDEN => "Forbidden",
            StatusCode::NOT_FOUND => "NotFound",
            StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
            StatusCode::CONFLICT => "Conflict",
            StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLarge",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
            StatusCode::TOO_MANY_REQUESTS => "TooManyRequests",
            StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
            _ => "InternalServerError",
        }
    }
}

/// A core field's name as the vendor's body names it.
fn wire_param(field: &str) -> String {
    match field {
        "federated_identity.provider_id" => "authenticationProvider.providerId".into(),
        "federated_identity.subject_id" => "authenticationProvider.subjectId".into(),
        "federated_identity.url" => "authenticationProvider.url".into(),
        "federated_provider_id" => "authenticationProvider.providerId".into(),
        "federated_subject_id" => "authenticationProvider.subjectId".into(),
        "federated_url" => "authenticationProvider.url".into(),
        other => other.to_owned(),
    }
}

impl From<CoreError> for MattrError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound { what } => {
                Self::new(StatusCode::NOT_FOUND, format!("{} not found", crate::capitalised(what)))
            }
            CoreError::Validation(errs) => Self {
                status: StatusCode::BAD_REQUEST,
                message: "Validation Error".into(),
                details: errs
                    .into_iter()
                    .map(|f| Detail { value: None, msg: f.message, param: wire_param(&f.field), location: "body" })
                    .collect(),
            },
            CoreError::Cursor => Self::invalid("query", "cursor", None, "the cursor is not one this listing gave"),
            CoreError::Filter(f) => Self::invalid("body", "claims", None, f.to_string()),
            CoreError::Unique { field } => {
                let param = if field == "federated_identity" { "authenticationProvider" } else { field };
                Self::new(StatusCode::CONFLICT, format!("A user with this {param} already exists"))
            }
            CoreError::Unauthenticated => Self::new(StatusCode::UNAUTHORIZED, "Unauthorized"),
            CoreError::Forbidden => Self::new(StatusCode::FORBIDDEN, "The token does not allow this operation"),
            CoreError::PasswordMustChange => Self::new(StatusCode::FORBIDDEN, "The password must be changed first"),
            CoreError::RateLimited { .. } => Self::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
            CoreError::Busy => Self::new(StatusCode::SERVICE_UNAVAILABLE, "The server is busy; try again"),
            CoreError::Internal(m) => {
                tracing::error!(cause = %m, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "The server could not complete the request")
            }
            other @ (CoreError::Cycle | CoreError::Conflict(_) | CoreError::VersionMismatch) => {
                Self::new(StatusCode::CONFLICT, other.to_string())
            }
            other => Self::new(StatusCode::BAD_REQUEST, other.to_string()),
        }
    }
}

impl From<crate::body::BodyProblem> for MattrError {
    fn from(p: crate::body::BodyProblem) -> Self {
        use crate::body::BodyProblem;
        match p {
            BodyProblem::NotJson => {
                Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Expected Content-Type: application/json")
            }
            BodyProblem::TooLarge => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large"),
            BodyProblem::Malformed(msg) => Self::invalid("body", "body", None, msg),
            BodyProblem::Field { param, message } => Self::invalid("body", &param, None, message),
        }
    }
}

impl IntoResponse for MattrError {
    fn into_response(self) -> Response {
        let code = self.code();
        let body = serde_json::json!({ "code": code, "message": self.message, "details": self.details });
        crate::audit::Refused { code: code.to_owned(), message: self.message }.respond(self.status, body)
    }
}

pub async fn not_found() -> MattrError {
    MattrError::new(StatusCode::NOT_FOUND, "No such resource in the MATTR VII API")
}

pub async fn method_not_allowed() -> MattrError {
    MattrError::new(StatusCode::METHOD_NOT_ALLOWED, "This method is not allowed on this resource")
}
