//! The dialect's error answers: the status the vendor's server uses and a JSON string saying
//! what is wrong, mapped from core errors in this one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::connectors::DirectoryError;
use roster_core::CoreError;

#[derive(Debug)]
pub struct BtError {
    status: StatusCode,
    message: String,
}

impl BtError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "User not authenticated; sign in with POST Auth/SignAppin")
    }
}

impl From<CoreError> for BtError {
    fn from(e: CoreError) -> Self {
        let status = match &e {
            CoreError::NotFound { .. } => StatusCode::NOT_FOUND,
            CoreError::Validation(_) | CoreError::Filter(_) | CoreError::Cursor | CoreError::InvalidLink => {
                StatusCode::BAD_REQUEST
            }
            CoreError::Unique { .. } | CoreError::Cycle | CoreError::Conflict(_) | CoreError::VersionMismatch => {
                StatusCode::CONFLICT
            }
            CoreError::Unauthenticated => StatusCode::UNAUTHORIZED,
            CoreError::Forbidden | CoreError::PasswordMustChange => StatusCode::FORBIDDEN,
            CoreError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            CoreError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            CoreError::Directory(DirectoryError::NotFound) => StatusCode::NOT_FOUND,
            CoreError::Directory(DirectoryError::TimedOut(_)) => StatusCode::GATEWAY_TIMEOUT,
            CoreError::Directory(DirectoryError::Settings(_) | DirectoryError::InvalidCredentials) => {
                StatusCode::BAD_REQUEST
            }
            CoreError::Directory(DirectoryError::Ambiguous | DirectoryError::AccountDisabled) => StatusCode::CONFLICT,
            CoreError::Directory(_) => StatusCode::BAD_GATEWAY,
            CoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match e {
            CoreError::Internal(m) => {
                tracing::error!(cause = %m, "internal error");
                "The server could not complete the request".to_owned()
            }
            CoreError::Validation(errs) => {
                errs.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
            }
            CoreError::Unauthenticated => return BtError::unauthorized(),
            other => other.to_string(),
        };
        BtError { status, message }
    }
}

impl IntoResponse for BtError {
    fn into_response(self) -> Response {
        let body = serde_json::Value::String(self.message.clone());
        crate::audit::Refused { code: self.status.as_u16().to_string(), message: self.message }
            .respond(self.status, body)
    }
}

pub async fn not_found() -> BtError {
    BtError::new(StatusCode::NOT_FOUND, "No such resource in the BeyondInsight API v3")
}
