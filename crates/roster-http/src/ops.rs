//! Operational endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/.well-known/openid-configuration", get(openid_configuration))
}

async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// Ready when the database answers.
async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    match s.directory.ready().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ready", "database": s.directory.store().backend()})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"status": "unavailable"})))
        }
    }
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    let pool = s.directory.store().pool_stats();
    metrics::gauge!("roster_db_pool_connections").set(f64::from(pool.size));
    metrics::gauge!("roster_db_pool_idle_connections").set(f64::from(pool.idle));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render())
}

async fn openapi(State(s): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], s.openapi.as_str().to_owned())
}

/// The public keys that verify access tokens.
async fn jwks(State(s): State<AppState>) -> Result<impl IntoResponse, crate::native::ApiError> {
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], axum::Json(s.directory.jwks().await?)))
}

/// OpenID Provider metadata, so JWT libraries can find the issuer's keys.
async fn openid_configuration(State(s): State<AppState>) -> impl IntoResponse {
    let issuer = &s.directory.token_settings().issuer;
    axum::Json(serde_json::json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "token_endpoint": format!("{issuer}/api/v1/auth/login"),
        "userinfo_endpoint": format!("{issuer}/api/v1/me"),
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "jti", "tenant", "tid", "uid", "sid", "roles"],
    }))
}
