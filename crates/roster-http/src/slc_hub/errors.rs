//! The dialect's error answer, `{"error": "..."}` (the shape the vendor's password validation
//! answers), mapped from core errors in this one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::CoreError;

#[derive(Debug)]
pub struct SlcError {
    status: StatusCode,
    message: String,
}

impl SlcError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

/// A core field's name as the vendor's records name it.
fn wire_field(field: &str) -> &str {
    match field {
        "user_name" => "userName",
        "display_name" => "displayName",
        "external_id" => "externalId",
        "unix_user_name" => "unixUserName",
        "unix_home_directory" => "unixHomeDirectory",
        "user_principal_name" => "userPrincipalName",
        "inactive_reason" => "inactiveReason",
        "current_password" => "currentPassword",
        other => other,
    }
}

impl From<CoreError> for SlcError {
    fn from(e: CoreError) -> Self {
        let status = match &e {
            CoreError::NotFound { .. } => StatusCode::NOT_FOUND,
            CoreError::Unique { .. } | CoreError::Cycle | CoreError::Conflict(_) | CoreError::VersionMismatch => {
                StatusCode::CONFLICT
            }
            CoreError::Unauthenticated => StatusCode::UNAUTHORIZED,
            CoreError::Forbidden | CoreError::PasswordMustChange => StatusCode::FORBIDDEN,
            CoreError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            CoreError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            CoreError::Internal(m) => {
                tracing::error!(cause = %m, "internal error");
                return Self::new(StatusCode::INTERNAL_SERVER_ERROR, "The server could not complete the request.");
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let message = match e {
            CoreError::NotFound { what } => format!("{} not found", crate::capitalised(what)),
            CoreError::Validation(errs) => {
                errs.iter().map(|f| format!("{}: {}", wire_field(&f.field), f.message)).collect::<Vec<_>>().join("; ")
            }
            CoreError::Unique { field } => format!("{} is already taken", wire_field(field)),
            other => other.to_string(),
        };
        Self::new(status, message)
    }
}

impl From<crate::body::BodyProblem> for SlcError {
    fn from(p: crate::body::BodyProblem) -> Self {
        use crate::body::BodyProblem;
        match p {
            BodyProblem::NotJson => {
                Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Expected Content-Type: application/json")
            }
            BodyProblem::TooLarge => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large"),
            BodyProblem::Malformed(msg) => Self::bad_request(msg),
            BodyProblem::Field { param, message } => Self::bad_request(format!("{param}: {message}")),
        }
    }
}

impl IntoResponse for SlcError {
    fn into_response(self) -> Response {
        crate::audit::Refused::single(self.status, "error", self.message)
    }
}

pub async fn not_found() -> SlcError {
    SlcError::new(StatusCode::NOT_FOUND, "No such resource in the SLC Hub API")
}

pub async fn method_not_allowed() -> SlcError {
    SlcError::new(StatusCode::METHOD_NOT_ALLOWED, "This method is not allowed on this resource")
}
