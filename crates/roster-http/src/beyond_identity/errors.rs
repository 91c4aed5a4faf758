//! The dialect's error answer, `{"message": "..."}`, mapped from core errors in this one place.
//! The vendor's own texts where its document gives one: `User unauthorized.` (401),
//! `Authorization token is not active` (403) and `Malformed request: <what>` (400).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::CoreError;

#[derive(Debug)]
pub struct BiError {
    status: StatusCode,
    message: String,
}

impl BiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    /// A 400 saying what is wrong with the request.
    pub fn malformed(what: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, format!("Malformed request: {what}"))
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "User unauthorized.")
    }

    pub fn inactive_token() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Authorization token is not active")
    }
}

impl From<CoreError> for BiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound { what } => {
                Self::new(StatusCode::NOT_FOUND, format!("{} not found.", crate::capitalised(what)))
            }
            CoreError::Validation(errs) => {
                let what: Vec<String> = errs.iter().map(|f| format!("{} {}", f.field, f.message)).collect();
                Self::malformed(what.join("; "))
            }
            CoreError::Cursor => Self::malformed("cursor is not one this query gave"),
            CoreError::Unique { field } => {
                Self::new(StatusCode::CONFLICT, format!("A user with this {field} already exists."))
            }
            CoreError::Unauthenticated => Self::unauthorized(),
            CoreError::Forbidden => Self::new(StatusCode::FORBIDDEN, "The token does not allow this operation."),
            CoreError::PasswordMustChange => Self::new(StatusCode::FORBIDDEN, "The password must be changed first."),
            CoreError::RateLimited { what, .. } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, format!("Too many {what}; try again later."))
            }
            CoreError::Busy => Self::new(StatusCode::SERVICE_UNAVAILABLE, "The server is busy; try again shortly."),
            CoreError::Internal(m) => {
                tracing::error!(cause = %m, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "The server could not complete the request.")
            }
            other @ (CoreError::Cycle | CoreError::Conflict(_) | CoreError::VersionMismatch) => {
                Self::new(StatusCode::CONFLICT, other.to_string())
            }
            other => Self::malformed(other),
        }
    }
}

impl From<crate::body::BodyProblem> for BiError {
    fn from(p: crate::body::BodyProblem) -> Self {
        use crate::body::BodyProblem;
        match p {
            BodyProblem::NotJson => {
                Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Expected Content-Type: application/json.")
            }
            BodyProblem::TooLarge => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large."),
            BodyProblem::Malformed(msg) => Self::malformed(msg),
            BodyProblem::Field { param, message } => Self::malformed(format!("{param}: {message}")),
        }
    }
}

impl IntoResponse for BiError {
    fn into_response(self) -> Response {
        crate::audit::Refused::single(self.status, "message", self.message)
    }
}

pub async fn not_found() -> BiError {
    BiError::new(StatusCode::NOT_FOUND, "No such resource in the Beyond Identity API.")
}

pub async fn method_not_allowed() -> BiError {
    BiError::new(StatusCode::METHOD_NOT_ALLOWED, "This method is not allowed on this resource.")
}
