//! Request extractors of the native face: each refuses bad input with a problem document.

use super::errors::ApiError;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use roster_core::store::ExpectedVersion;
use roster_core::{Caller, CoreError};
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The authenticated caller, holding the permission its route declares: a tenant API key or a
/// user's access token, sent as `Authorization: Bearer <credential>`. This is the one place the native face checks permissions.
pub struct Authed(pub Caller);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = crate::need::bearer_caller(parts, state).await?;
        let route = parts.extensions.get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or_default();
        match state.permissions.required(&parts.method, route) {
            Some(p) => caller.require(p)?,
            None => {
                // Fail closed: a route that declares no permission serves nobody.
                tracing::error!(route, "route declares no permission");
                return Err(CoreError::Forbidden.into());
            }
        }
        Ok(Authed(caller))
    }
}

/// The request's id, origin and arrival time, for operations that have no caller yet (sign-in).
pub struct Meta(pub roster_core::events::RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Meta(crate::audit::request_meta(parts)))
    }
}

/// A JSON body whose every problem (type, syntax, unknown field, size) is a 4xx problem document.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !crate::is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.media_type",
                "expected a request with Content-Type: application/json",
            ));
        }
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        // serde would read a struct from a JSON array too; every body here is an object.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::bad_request("request.json", "the body must be a JSON object"));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

pub fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "request.too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "request.media_type",
        _ => "request.json",
    };
    // Syntax, type and unknown-field errors are all "bad request" here (axum would say 422 for some).
    let status = if code == "request.json" { StatusCode::BAD_REQUEST } else { status };
    let detail = match &rejection {
        JsonRejection::MissingJsonContentType(_) => "expected a request with Content-Type: application/json".to_owned(),
        _ => rejection.body_text(),
    };
    ApiError::new(status, code, detail)
}

/// A raw body (for PATCH, whose content type decides how it is read), within the size limit.
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => Ok(RawBody(b)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request.too_large", e.body_text()))
            }
            Err(e) => Err(ApiError::bad_request("request.body", e.body_text())),
        }
    }
}

/// The `{id}` of a path, a UUID.
pub struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<Uuid>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(IdPath(id)),
            Err(e) => Err(path_rejection(e)),
        }
    }
}

/// Two UUIDs of a path (`/groups/{id}/members/users/{member_id}`).
pub struct IdPair(pub Uuid, pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPair {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<(Uuid, Uuid)>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path((a, b))) => Ok(IdPair(a, b)),
            Err(e) => Err(path_rejection(e)),
        }
    }
}

/// A UUID and a name of a path (`/users/{id}/roles/{role}`).
pub struct IdName(pub Uuid, pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdName {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<(Uuid, String)>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path((a, b))) => Ok(IdName(a, b)),
            Err(e) => Err(path_rejection(e)),
        }
    }
}

fn path_rejection(e: PathRejection) -> ApiError {
    ApiError::bad_request("request.path", format!("the id in the path must be a UUID ({})", e.body_text()))
}

/// Query parameters; unknown or malformed ones are refused by name.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Params(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::bad_request("request.query", e.body_text()))
            }
            Err(e) => Err(ApiError::bad_request("request.query", e.body_text())),
        }
    }
}

/// The version an `If-Match` header names: `"3"`, `W/"3"` or `*` (any version).
pub struct IfMatch(pub ExpectedVersion);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = v.to_str().unwrap_or_default().trim();
        if text == "*" || text.is_empty() {
            return Ok(IfMatch(None));
        }
        let tag = text.strip_prefix("W/").unwrap_or(text);
        tag.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .and_then(|t| t.parse::<i64>().ok())
            .map(|v| IfMatch(Some(v)))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "request.if_match",
                    "If-Match must be an ETag this server sent, such as \"3\", or *",
                )
            })
    }
}

/// The ETag of a resource at a version.
pub fn etag(version: i64) -> header::HeaderValue {
    header::HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or_else(|_| header::HeaderValue::from_static("\"0\""))
}
