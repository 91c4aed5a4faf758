//! The Altair SLC Hub Authentication and Identity API dialect, mounted at `/compat/slc-hub`:
//! camelCase records with `_id`/`_created`/`_modified`, `{totalCount, data}` lists paged by
//! offset, `filter[<field>][<OP>]` queries, projections, and bearer tokens from `POST /login`.
//! Handlers translate and call core, nothing more. Work in progress: login, impersonation and
//! reading users are served; the rest of the operation table is still to come.

mod auth;
mod errors;
mod passwords;
mod query;
mod session;
mod user_edits;
mod users;
mod wire;

use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::routing::{delete, get, post, put};
use axum::Router;
use errors::SlcError;
use serde::de::DeserializeOwned;

/// A JSON object body; every problem with it is a 400 naming the field at fault.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = SlcError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        crate::body::json_object(req, state).await.map(Body).map_err(SlcError::from)
    }
}

fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(session::login))
        .route("/impersonate", post(session::impersonate))
        .route("/users", get(users::list).post(user_edits::create))
        .route("/users/current", get(users::current))
        .route("/users/current/password", put(passwords::change_mine))
        .route("/users/current/password/validate", post(passwords::validate_mine))
        .route("/users/{id}/password", put(passwords::set))
        .route("/users/{id}/password/validate", post(passwords::validate_for))
        .route("/users/{id}/logonfailures", delete(passwords::clear_failures))
        .route("/password/change", post(passwords::change_by_name))
        .route("/password/validate", post(passwords::validate_new))
        .route("/users/{id}", get(users::get).put(user_edits::replace).patch(user_edits::patch))
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
}

/// The dialect as a router to nest at `/compat/slc-hub`.
pub fn service(state: AppState) -> Router {
    let refusals = axum::middleware::from_fn_with_state(state.clone(), crate::audit::record_refusals);
    router().route_layer(refusals).with_state(state)
}
