//! The SCIM error answer (RFC 7644 section 3.12): `{schemas, status, scimType, detail}` as
//! `application/scim+json`, mapped from core errors in this one place.

use super::schema::ERROR;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_core::filter::FilterError;
use roster_core::CoreError;

#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: StatusCode, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Self { status, scim_type, detail: detail.into() }
    }

    /// A 400 with a scimType.
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad("invalidValue", detail)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, format!("{what} {id} not found"))
    }

    /// The answer as JSON, for a Bulk operation's `response`.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "schemas": [ERROR],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = t.into();
        }
        body
    }
}

/// A core attribute name as SCIM names it, in error details.
fn scim_name(field: &str) -> String {
    let name = match field {
        "user_name" => "userName",
        "external_id" => "externalId",
        "display_name" => "displayName",
        "given_name" => "name.givenName",
        "family_name" => "name.familyName",
        "email" => "emails",
        "claims" => "attributes kept as claims",
        "name" => "displayName",
        other => other,
    };
    name.to_owned()
}

impl From<FilterError> for ScimError {
    fn from(e: FilterError) -> Self {
        Self::bad("invalidFilter", e.to_string())
    }
}

impl From<CoreError> for ScimError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound { what } => {
                Self::new(StatusCode::NOT_FOUND, None, format!("{} not found", crate::capitalised(what)))
            }
            CoreError::Validation(errs) => {
                let detail: Vec<String> =
                    errs.iter().map(|f| format!("{}: {}", scim_name(&f.field), f.message)).collect();
                Self::invalid_value(detail.join("; "))
            }
            CoreError::Unique { field } => Self::new(
                StatusCode::CONFLICT,
                Some("uniqueness"),
                format!("{} is already taken in this tenant", scim_name(field)),
            ),
            CoreError::VersionMismatch => Self::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                "the resource was modified since the version in If-Match",
            ),
            CoreError::Filter(f) => f.into(),
            CoreError::Cursor => Self::invalid_value("the page position is not valid for this query"),
            CoreError::Cycle => Self::invalid_value("that membership would make a group a member of itself"),
            CoreError::Conflict(m) => Self::new(StatusCode::CONFLICT, None, m),
            CoreError::Unauthenticated => {
                Self::new(StatusCode::UNAUTHORIZED, None, "a valid bearer credential is required")
            }
            CoreError::PasswordMustChange => {
                Self::new(StatusCode::FORBIDDEN, None, CoreError::PasswordMustChange.to_string())
            }
            CoreError::Forbidden => {
                Self::new(StatusCode::FORBIDDEN, None, "the credential does not grant this operation")
            }
            CoreError::RateLimited { .. } => Self::new(StatusCode::TOO_MANY_REQUESTS, None, "too many requests"),
            CoreError::Busy => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, None, "the server is busy; try again shortly")
            }
            CoreError::Internal(m) => {
                tracing::error!(cause = %m, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, "the server could not complete the request")
            }
            other => Self::invalid_value(other.to_string()),
        }
    }
}

impl From<crate::body::BodyProblem> for ScimError {
    fn from(p: crate::body::BodyProblem) -> Self {
        use crate::body::BodyProblem;
        match p {
            BodyProblem::NotJson => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                "expected Content-Type: application/scim+json or application/json",
            ),
            BodyProblem::TooLarge => Self::new(StatusCode::PAYLOAD_TOO_LARGE, None, "the request body is too large"),
            BodyProblem::Malformed(msg) => Self::bad("invalidSyntax", msg),
            BodyProblem::Field { param, message } => Self::bad("invalidSyntax", format!("{param}: {message}")),
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let code = self.scim_type.unwrap_or("scim").to_owned();
        let refused = crate::audit::Refused { code, message: self.detail.clone() };
        let mut resp = refused.respond(self.status, self.body());
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(super::SCIM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

pub async fn not_found() -> ScimError {
    ScimError::new(StatusCode::NOT_FOUND, None, "no such endpoint")
}

pub async fn method_not_allowed() -> ScimError {
    ScimError::new(StatusCode::METHOD_NOT_ALLOWED, None, "the endpoint does not take this method")
}
