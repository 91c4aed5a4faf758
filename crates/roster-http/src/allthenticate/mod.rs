//! The Allthenticate Users API dialect, mounted at `/compat/allthenticate`: computer user names,
//! ranks, smartcards, guests, suspension, reading and removing users, and the vendor's
//! invitations, with tenant API keys (`Authorization: Bearer` or `X-API-Key`), parameters as
//! JSON, form fields or query string, and `{"success"}` / `{"error"}` answers. Handlers translate
//! and call core, nothing more.

mod auth;
mod errors;
mod invites;
mod listing;
mod params;
mod users;
mod wire;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

/// Every route of the face.
pub(crate) fn routes() -> crate::routes::Routes {
    crate::routes::Routes::default()
        .route("/openapi.json", crate::json_document(include_str!("openapi.json")))
        .route("/modifyallusernames", post(users::set_computer_user_names))
        .route("/modifyrank", post(users::set_rank))
        .route("/modifysmartcard", get(users::smartcards).post(users::set_smartcards))
        .route("/multipleusers", get(listing::users))
        .route("/promoteguest", post(users::promote_guest))
        .route("/togglesuspension", post(users::toggle_suspension))
        .route("/user", get(users::get).delete(users::delete))
        .route("/invites", get(listing::invites).put(invites::create).post(invites::resend))
}

fn router() -> Router<AppState> {
    routes().router.fallback(errors::not_found).method_not_allowed_fallback(errors::method_not_allowed)
}

/// The dialect as a router to nest at `/compat/allthenticate`.
pub fn service(state: AppState) -> Router {
    let refusals = axum::middleware::from_fn_with_state(state.clone(), crate::audit::record_refusals);
    router().route_layer(refusals).with_state(state)
}
