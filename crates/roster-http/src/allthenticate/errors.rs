//! The dialect's error answer, `{"error": "..."}`, mapped from core errors in this one place:
//! 400 for every refusal the vendor documents as "200/400", 404 for a user that is not in the
//! organisation, 401/403 for the key.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::CoreError;

#[derive(Debug)]
pub struct AtError {
    status: StatusCode,
    message: String,
}

impl AtError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn no_user() -> Self {
        Self::new(StatusCode::NOT_FOUND, "User not found in your organization")
    }
}

/// A core field's name as this API's parameters name it.
fn wire_field(field: &str) -> std::borrow::Cow<'_, str> {
    match field.strip_prefix("computer_user_names") {
        Some(rest) => format!("computer_usernames{rest}").into(),
        None => field.into(),
    }
}

impl From<CoreError> for AtError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound { what: "user" } => Self::no_user(),
            CoreError::NotFound { what } => {
                Self::new(StatusCode::NOT_FOUND, format!("{} not found", crate::capitalised(what)))
            }
            CoreError::Validation(errs) => Self::bad_request(
                errs.iter().map(|f| format!("{}: {}", wire_field(&f.field), f.message)).collect::<Vec<_>>().join("; "),
            ),
            CoreError::Unique { field: "computer_user_name" } => {
                Self::bad_request("computer_usernames: a name is already used by another user of your organization")
            }
            CoreError::Unique { field } => Self::bad_request(format!("{field} is already used in your organization")),
            CoreError::Unauthenticated => Self::new(StatusCode::UNAUTHORIZED, "A valid API key is required"),
            CoreError::Forbidden => Self::new(StatusCode::FORBIDDEN, "The API key does not allow this operation"),
            CoreError::PasswordMustChange => Self::new(StatusCode::FORBIDDEN, "The password must be changed first"),
            CoreError::RateLimited { what, .. } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, format!("Too many {what}; try again later"))
            }
            CoreError::Busy => Self::new(StatusCode::SERVICE_UNAVAILABLE, "The server is busy; try again shortly"),
            CoreError::Internal(m) => {
                tracing::error!(cause = %m, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "The server could not complete the request")
            }
            other => Self::bad_request(other.to_string()),
        }
    }
}

impl From<crate::body::BodyProblem> for AtError {
    fn from(p: crate::body::BodyProblem) -> Self {
        use crate::body::BodyProblem;
        match p {
            BodyProblem::NotJson => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send parameters as JSON (application/json), form fields (application/x-www-form-urlencoded) or in the query string",
            ),
            BodyProblem::TooLarge => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large"),
            BodyProblem::Malformed(msg) => Self::bad_request(msg),
            BodyProblem::Field { param, message } => Self::bad_request(format!("{param}: {message}")),
        }
    }
}

impl IntoResponse for AtError {
    fn into_response(self) -> Response {
        crate::audit::Refused::single(self.status, "error", self.message)
    }
}

pub async fn not_found() -> AtError {
    AtError::new(StatusCode::NOT_FOUND, "No such endpoint in the Allthenticate API")
}

pub async fn method_not_allowed() -> AtError {
    AtError::new(StatusCode::METHOD_NOT_ALLOWED, "This method is not allowed on this endpoint")
}
