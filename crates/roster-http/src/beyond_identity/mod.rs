//! The Beyond Identity v0 API dialect, mounted at `/compat/beyond-identity`: creating users who
//! enroll a device key through a mailed link, recovering them with a fresh link, and the tenant's
//! event feed, with bearer API tokens and `{"message": ...}` errors. Handlers translate and call
//! core, nothing more.

mod auth;
mod errors;
mod events;
mod users;
mod wire;

use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::routing::{get, post};
use axum::Router;
use errors::BiError;
use serde::de::DeserializeOwned;

/// A JSON object body; every problem with it is a 4xx naming the field at fault.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = BiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        crate::body::json_object(req, state).await.map(Body).map_err(BiError::from)
    }
}

/// Every route of the face.
pub(crate) fn routes() -> crate::routes::Routes {
    crate::routes::Routes::default()
        .route("/openapi.json", crate::json_document(include_str!("openapi.json")))
        .route("/v1/manage/users", post(users::create))
        .route("/v1/manage/recover-user", post(users::recover))
        .route("/v1/events", get(events::list))
}

fn router() -> Router<AppState> {
    routes().router.fallback(errors::not_found).method_not_allowed_fallback(errors::method_not_allowed)
}

/// The dialect as a router to nest at `/compat/beyond-identity`.
pub fn service(state: AppState) -> Router {
    let refusals = axum::middleware::from_fn_with_state(state.clone(), crate::audit::record_refusals);
    router().route_layer(refusals).with_state(state)
}
