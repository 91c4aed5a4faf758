//! The MATTR VII Users API dialect, mounted at `/compat/mattr`: users identified by UUID and
//! described by free-form claims, under `/core/v1/users` (the seed's prefix) and `/v1/users` (the
//! vendor's newer one), bearer tokens from `oauth/token`, keyset pages of `{data, nextCursor}`
//! and `{code, message, details}` errors. Handlers translate and call core, nothing more.

mod auth;
mod errors;
mod users;
mod wire;

use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::routing::{get, post};
use axum::Router;
use errors::MattrError;
use roster_core::page::MAX_LIMIT;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// A JSON object body; every problem with it is this face's 4xx, naming the field at fault.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = MattrError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        crate::body::json_object(req, state).await.map(Body).map_err(MattrError::from)
    }
}

/// A UUID from the path; anything else is a 400 naming the parameter.
fn path_uuid(param: &str, text: &str) -> Result<Uuid, MattrError> {
    Uuid::try_parse(text).map_err(|_| MattrError::invalid("params", param, Some(text.into()), "must be a valid UUID"))
}

/// A page size: absent means 100, otherwise a whole number from 1 to 1000.
fn page_limit(location: &'static str, value: Option<serde_json::Value>) -> Result<u32, MattrError> {
    let Some(v) = value else { return Ok(roster_core::page::DEFAULT_LIMIT) };
    let n = match &v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n.fract() == 0.0 && (1.0..=f64::from(MAX_LIMIT)).contains(&n) => Ok(n as u32),
        _ => Err(MattrError::invalid(
            location,
            "limit",
            Some(v),
            format!("must be a whole number from 1 to {MAX_LIMIT}"),
        )),
    }
}

/// The users routes, mounted under both prefixes.
fn users_routes() -> crate::routes::Routes {
    crate::routes::Routes::default()
        .route("/users", get(users::list).post(users::create))
        .route("/users/search", post(users::search))
        .route("/users/{id}", get(users::get).put(users::update).delete(users::delete))
        .route("/users/{id}/credentials", get(users::credentials))
}

/// Every route of the face.
pub(crate) fn routes() -> crate::routes::Routes {
    crate::routes::Routes::default()
        .route("/openapi.json", crate::json_document(include_str!("openapi.json")))
        .route("/oauth/token", post(auth::token))
        .nest("/core/v1", users_routes())
        .nest("/v1", users_routes())
}

fn router() -> Router<AppState> {
    routes().router.fallback(errors::not_found).method_not_allowed_fallback(errors::method_not_allowed)
}

/// The dialect as a router to nest at `/compat/mattr`.
pub fn service(state: AppState) -> Router {
    let refusals = axum::middleware::from_fn_with_state(state.clone(), crate::audit::record_refusals);
    router().route_layer(refusals).with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_whole_numbers_in_range() {
        assert_eq!(page_limit("query", None).ok(), Some(100));
        assert_eq!(page_limit("query", Some("7".into())).ok(), Some(7));
        assert_eq!(page_limit("body", Some(1000.into())).ok(), Some(1000));
        assert_eq!(page_limit("body", Some(serde_json::json!(2.0))).ok(), Some(2));
        for bad in [
            serde_json::json!(0),
            serde_json::json!(1001),
            serde_json::json!(2.5),
            serde_json::json!("x"),
            serde_json::json!(null),
        ] {
            assert!(page_limit("body", Some(bad.clone())).is_err(), "{bad}");
        }
    }
}
