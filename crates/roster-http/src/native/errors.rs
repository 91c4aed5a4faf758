//! The native face's error envelope: RFC 9457 problem details with a stable `code`, and the one
//! mapping from core errors to HTTP statuses.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_core::connectors::DirectoryError;
use roster_core::{CoreError, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `user.not_found`, `validation`, `conflict.version`.
    pub code: String,
    /// For validation problems: each offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorDoc>)]
    pub errors: Vec<FieldError>,
}

/// One offending field.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FieldError)]
pub struct FieldErrorDoc {
    pub field: String,
    pub message: String,
}

/// An error answered by the native face.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    /// Seconds a client should wait before trying again (429 and 503).
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        CoreError::invalid(field, message).into()
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let status = match &e {
            CoreError::NotFound { .. } => StatusCode::NOT_FOUND,
            CoreError::Validation(_) | CoreError::Filter(_) | CoreError::Cursor | CoreError::InvalidLink => {
                StatusCode::BAD_REQUEST
            }
            CoreError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            CoreError::Unique { .. } | CoreError::Cycle | CoreError::Conflict(_) => StatusCode::CONFLICT,
            CoreError::VersionMismatch => StatusCode::PRECONDITION_FAILED,
            CoreError::Unauthenticated => StatusCode::UNAUTHORIZED,
            CoreError::Forbidden | CoreError::PasswordMustChange => StatusCode::FORBIDDEN,
            CoreError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            CoreError::Directory(d) => directory_status(d),
            CoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if let CoreError::Internal(m) = &e {
            // The cause goes to the log (with the request id from the span), never to the client.
            tracing::error!(cause = %m, "internal error");
        }
        let detail = match &e {
            CoreError::Internal(_) => "the server could not complete the request".to_owned(),
            CoreError::Validation(errs) => {
                let fields: Vec<&str> = errs.iter().map(|f| f.field.as_str()).collect();
                format!("the input is not valid: {}", fields.join(", "))
            }
            other => other.to_string(),
        };
        let code = e.code();
        let retry_after = match &e {
            CoreError::RateLimited { retry_after_seconds, .. } => Some(*retry_after_seconds),
            CoreError::Busy => Some(1),
            _ => None,
        };
        let errors = match e {
            CoreError::Validation(errs) => errs,
            _ => Vec::new(),
        };
        ApiError { status, code, detail, errors, retry_after }
    }
}

/// A directory's failure: the account or the settings are the client's to fix (4xx); a
/// directory that is down, refuses the service account or breaks TLS is a bad gateway.
fn directory_status(e: &DirectoryError) -> StatusCode {
    match e {
        DirectoryError::NotFound => StatusCode::NOT_FOUND,
        DirectoryError::Ambiguous | DirectoryError::AccountDisabled => StatusCode::CONFLICT,
        DirectoryError::Settings(_) | DirectoryError::InvalidCredentials => StatusCode::BAD_REQUEST,
        DirectoryError::TimedOut(_) => StatusCode::GATEWAY_TIMEOUT,
        DirectoryError::Unreachable(_)
        | DirectoryError::Tls(_)
        | DirectoryError::BindRefused
        | DirectoryError::Directory(_) => StatusCode::BAD_GATEWAY,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error").to_owned();
        let body = Problem {
            kind: format!("urn:roster:problem:{}", self.code),
            title,
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
            errors: self.errors,
        };
        let refused = crate::audit::Refused { code: body.code.clone(), message: body.detail.clone() };
        let mut resp = (self.status, axum::Json(body)).into_response();
        resp.extensions_mut().insert(refused);
        resp.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// The error answers every native route may give, for the OpenAPI document.
pub struct ProblemResponses;

impl utoipa::IntoResponses for ProblemResponses {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
        problems(&[
            ("400", "Malformed or invalid input; `errors` names each offending field"),
            ("401", "No API key, or one that is unknown, revoked or expired"),
            ("403", "The credential does not grant this operation"),
            ("404", "No such record in the caller's tenant"),
            ("409", "A uniqueness rule, a membership cycle or the record's state refuses the change"),
            ("412", "If-Match names a version that is no longer current"),
            ("413", "The request body is larger than the server accepts"),
            ("415", "The request body has an unsupported content type"),
            (
                "429",
                "Too many messages to one user or from the tenant in the last hour; Retry-After says when to try again",
            ),
            ("500", "The server failed; the log has the cause under the request id"),
            ("503", "The server is busy (password hashing is queued full); try again shortly"),
        ])
    }
}

/// The further answers of routes that call a directory server.
pub struct DirectoryProblems;

impl utoipa::IntoResponses for DirectoryProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
        problems(&[
            ("502", "A directory server cannot be reached, refuses the connection's bind credentials, or fails TLS"),
            ("504", "A directory server did not answer within the connection's time limit"),
        ])
    }
}

fn problems(
    list: &[(&str, &str)],
) -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
    use utoipa::openapi::content::ContentBuilder;
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::Ref;
    list.iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
            let resp =
                ResponseBuilder::new().description(*description).content("application/problem+json", content).build();
            ((*status).to_owned(), resp.into())
        })
        .collect()
}
