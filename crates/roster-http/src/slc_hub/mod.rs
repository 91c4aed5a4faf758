//! The Altair SLC Hub Authentication and Identity API dialect, mounted at `/compat/slc-hub`:
//! camelCase records with `_id`/`_created`/`_modified`, `{totalCount, data}` lists paged by
//! offset, `filter[<field>][<OP>]` queries, projections, and bearer tokens from `POST /login`.
//! Handlers translate and call core, nothing more.

mod auth;
mod errors;
mod groups;
mod invitations;
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

/// Applies a JSON Patch of add, remove and replace operations to a record as it reads, refusing
/// paths to its read-only fields, and reads the result as a write of type `T`.
fn json_patch<T: DeserializeOwned>(
    mut doc: serde_json::Value,
    body: serde_json::Value,
    read_only: &[&str],
) -> Result<T, SlcError> {
    let ops: ::json_patch::Patch = serde_json::from_value(body)
        .map_err(|e| SlcError::bad_request(format!("the body is not a JSON Patch: {e}")))?;
    for op in &ops.0 {
        let (name, path) = match op {
            ::json_patch::PatchOperation::Add(o) => ("add", &o.path),
            ::json_patch::PatchOperation::Remove(o) => ("remove", &o.path),
            ::json_patch::PatchOperation::Replace(o) => ("replace", &o.path),
            _ => return Err(SlcError::bad_request("only add, remove and replace operations are supported")),
        };
        let field = path.to_string();
        let top = field.trim_start_matches('/').split('/').next().unwrap_or_default();
        if read_only.contains(&top) {
            return Err(SlcError::bad_request(format!("{name} {field}: {top} is read-only")));
        }
    }
    ::json_patch::patch(&mut doc, &ops).map_err(|e| SlcError::bad_request(format!("the patch does not apply: {e}")))?;
    written(doc, read_only)
}

/// A record as a client sends it back, read as a write of type `T`: the read-only fields it
/// carries as it read them are left out.
fn written<T: DeserializeOwned>(mut doc: serde_json::Value, read_only: &[&str]) -> Result<T, SlcError> {
    if let Some(map) = doc.as_object_mut() {
        map.retain(|k, _| !read_only.contains(&k.as_str()));
    }
    crate::body::from_value(doc).map_err(SlcError::from)
}

/// A JSON body of any shape (JSON Patch and member changes are arrays), with the same 4xx
/// answers as `Body` for a body that is too large, not JSON or not readable.
pub struct AnyJson(pub serde_json::Value);

impl FromRequest<AppState> for AnyJson {
    type Rejection = SlcError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        crate::body::json_value(req, state).await.map(AnyJson).map_err(SlcError::from)
    }
}

/// Every route of the face.
pub(crate) fn routes() -> crate::routes::Routes {
    crate::routes::Routes::default()
        .route("/openapi.json", crate::json_document(include_str!("openapi.json")))
        .route("/login", post(session::login))
        .route("/impersonate", post(session::impersonate))
        .route("/users", get(users::list).post(user_edits::create))
        .route("/users/current", get(users::current))
        .route("/users/current/password", put(passwords::change_mine))
        .route("/users/current/password/validate", post(passwords::validate_mine))
        .route("/users/{id}/password", put(passwords::set))
        .route("/users/{id}/password/validate", post(passwords::validate_for))
        .route("/users/{id}/logonfailures", delete(passwords::clear_failures))
        .route("/users/{id}/memberships", get(groups::user_memberships))
        .route("/users/{id}/osinfo", get(users::osinfo))
        .route("/invitations/accept", post(invitations::accept))
        .route("/invitations/usernameavailability", post(invitations::availability))
        .route("/groups", get(groups::list).post(groups::create))
        .route("/groups/{id}", get(groups::get).put(groups::replace).patch(groups::patch))
        .route("/groups/{id}/members", get(groups::members).patch(groups::change_members))
        .route("/groups/{id}/memberships", get(groups::group_memberships))
        .route("/principals", get(groups::principals))
        .route("/principals/{id}/memberships", get(groups::principal_memberships))
        .route("/password/change", post(passwords::change_by_name))
        .route("/password/validate", post(passwords::validate_new))
        .route("/users/{id}", get(users::get).put(user_edits::replace).patch(user_edits::patch))
}

fn router() -> Router<AppState> {
    routes().router.fallback(errors::not_found).method_not_allowed_fallback(errors::method_not_allowed)
}

/// The dialect as a router to nest at `/compat/slc-hub`.
pub fn service(state: AppState) -> Router {
    let refusals = axum::middleware::from_fn_with_state(state.clone(), crate::audit::record_refusals);
    router().route_layer(refusals).with_state(state)
}
