//! `/oauth/token`: the OAuth 2.0 token endpoint (RFC 6749) for application users, with the
//! client credentials grant. OAuth clients expect OAuth's error format, so this route answers
//! `{"error", "error_description"}` rather than problem documents.

use super::extract::Meta;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use roster_core::token::TokenPair;
use roster_core::CoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// A token request. Client credentials go either here (`client_secret_post`) or in an
/// `Authorization: Basic` header (`client_secret_basic`), not both.
#[derive(ToSchema)]
pub struct TokenRequest {
    /// `client_credentials`.
    pub grant_type: String,
    /// The application user's id.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Accepted and ignored: a token carries the roles of the application user.
    #[allow(dead_code)]
    pub scope: Option<String>,
    /// Accepted and ignored: every token of this server has the same audience.
    #[allow(dead_code)]
    pub audience: Option<String>,
}

impl TokenRequest {
    fn from_params(params: &[(String, String)]) -> Result<TokenRequest, OAuthError> {
        let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        Ok(TokenRequest {
            grant_type: param("grant_type").ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?,
            client_id: param("client_id"),
            client_secret: param("client_secret"),
            scope: param("scope"),
            audience: param("audience"),
        })
    }
}

/// An OAuth error answer (RFC 6749 section 5.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthError {
    #[serde(skip)]
    status: StatusCode,
    /// invalid_request, invalid_client, unsupported_grant_type, temporarily_unavailable or server_error.
    pub error: &'static str,
    pub error_description: String,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError { status, error, error_description: description.into() }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
}

impl From<CoreError> for OAuthError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Unauthenticated | CoreError::Forbidden => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "the client is unknown, its secret is wrong, or it may not sign in",
            ),
            CoreError::Busy => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "the server is busy; try again")
            }
            CoreError::RateLimited { what, .. } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "temporarily_unavailable",
                format!("too many {what}; try again later"),
            ),
            CoreError::Internal(m) => {
                tracing::error!(cause = %m, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "the server could not complete the request",
                )
            }
            other => Self::invalid_request(other.to_string()),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, no_store(), axum::Json(&self)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"roster\""));
        }
        resp
    }
}

/// Token answers must not be cached (RFC 6749 section 5.1).
fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// The request's parameters, from a form or a JSON object of strings; a repeated one is refused.
fn parameters(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let params: Vec<(String, String)> = match essence.as_str() {
        "application/x-www-form-urlencoded" => serde_urlencoded::from_bytes(body)
            .map_err(|e| OAuthError::invalid_request(format!("the form does not read: {e}")))?,
        "application/json" => {
            let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
                .map_err(|e| OAuthError::invalid_request(format!("the body must be a JSON object: {e}")))?;
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => Ok((k, s)),
                    _ => Err(OAuthError::invalid_request(format!("{k} must be a string"))),
                })
                .collect::<Result<_, _>>()?
        }
        _ => {
            return Err(OAuthError::invalid_request(
                "Content-Type must be application/x-www-form-urlencoded or application/json",
            ))
        }
    };
    for (i, (k, _)) in params.iter().enumerate() {
        if params[..i].iter().any(|(earlier, _)| earlier == k) {
            return Err(OAuthError::invalid_request(format!("{k} is given more than once")));
        }
    }
    Ok(params)
}

/// `client_secret_basic`: both halves are form-urlencoded before joining (RFC 6749 section 2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let value = crate::need::authorization(headers)
        .map_err(|_| OAuthError::invalid_request("the Authorization header is given more than once"))?;
    let Some(value) = value else { return Ok(None) };
    let bad = || {
        OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "the Authorization header is not valid Basic credentials",
        )
    };
    let text = value.to_str().map_err(|_| bad())?;
    let (scheme, encoded) = text.split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| bad())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

/// Get an access token for an application user with its client id and secret (client
/// credentials grant). No refresh token is issued: ask again when the token expires.
#[utoipa::path(post, path = "/oauth/token", security(()), tag = "auth",
    request_body(content((TokenRequest = "application/x-www-form-urlencoded"), (TokenRequest = "application/json"))),
    responses(
        (status = 200, description = "An access token", body = TokenPair),
        (status = 400, description = "A malformed request or an unsupported grant type", body = OAuthError),
        (status = 401, description = "Unknown client, wrong secret, or a client that may not sign in", body = OAuthError),
        (status = 503, description = "The server is busy; try again", body = OAuthError),
    ))]
pub async fn token(State(s): State<AppState>, Meta(meta): Meta, req: Request) -> Result<Response, OAuthError> {
    let headers = req.headers().clone();
    let body = Bytes::from_request(req, &s).await.map_err(|e| {
        let status = if e.status() == StatusCode::PAYLOAD_TOO_LARGE { e.status() } else { StatusCode::BAD_REQUEST };
        OAuthError::new(status, "invalid_request", e.body_text())
    })?;
    let req = TokenRequest::from_params(&parameters(&headers, &body)?)?;
    if req.grant_type != "client_credentials" {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only the client_credentials grant is supported",
        ));
    }
    let (id, secret) = match (basic_credentials(&headers)?, (req.client_id, req.client_secret)) {
        (Some(_), (Some(_), _) | (_, Some(_))) => {
            return Err(OAuthError::invalid_request(
                "send client credentials in the Authorization header or the body, not both",
            ))
        }
        (Some((id, secret)), _) => (id, secret),
        (None, (Some(id), Some(secret))) => (id, secret),
        (None, _) => {
            return Err(OAuthError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client_id and client_secret are required",
            ))
        }
    };
    let pair = s.directory.client_credentials(&id, &secret, &meta).await?;
    Ok((no_store(), axum::Json(pair)).into_response())
}
