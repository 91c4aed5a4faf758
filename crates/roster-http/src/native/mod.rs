//! The native REST API under `/api/v1`: the reference face of the directory.

mod access_policies;
mod auth;
mod devices;
mod directories;
mod enrollment;
mod errors;
mod events;
pub(crate) mod extract;
mod groups;
mod keys;
mod lockout;
mod mail;
mod members;
mod oauth;
mod passwords;
mod principals;
mod roles;
mod secrets;
mod users;
pub mod wire;

pub use errors::{ApiError, Problem};

use crate::AppState;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_core::directory::ListRequest;
use roster_core::filter;
use roster_core::page::{self, Sort};
use roster_core::schema::Resource;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::ListParams;

/// Every native route, each registered with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::replace, users::patch, users::delete))
        .routes(routes!(users::restore))
        .routes(routes!(users::groups))
        .routes(routes!(users::promote))
        .routes(routes!(groups::list, groups::create))
        .routes(routes!(groups::get, groups::replace, groups::patch, groups::delete))
        .routes(routes!(groups::restore))
        .routes(routes!(groups::groups))
        .routes(routes!(members::list, members::add))
        .routes(routes!(members::remove_user))
        .routes(routes!(members::remove_group))
        .routes(routes!(principals::list))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        .routes(routes!(keys::client_secret))
        .routes(routes!(roles::catalogue))
        .routes(routes!(roles::user_roles))
        .routes(routes!(roles::assign_user, roles::unassign_user))
        .routes(routes!(roles::group_roles))
        .routes(routes!(roles::assign_group, roles::unassign_group))
        .routes(routes!(lockout::get_policy, lockout::set_policy))
        .routes(routes!(lockout::clear))
        .routes(routes!(passwords::get_policy, passwords::set_policy))
        .routes(routes!(passwords::set))
        .routes(routes!(passwords::check))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::impersonate))
        .routes(routes!(oauth::token))
        .routes(routes!(events::list))
        .routes(routes!(events::stream))
        .routes(routes!(events::get))
        .routes(routes!(enrollment::invite))
        .routes(routes!(enrollment::resend, enrollment::revoke))
        .routes(routes!(enrollment::show))
        .routes(routes!(enrollment::availability))
        .routes(routes!(enrollment::accept))
        .routes(routes!(enrollment::request_reset))
        .routes(routes!(enrollment::show_reset, enrollment::reset))
        .routes(routes!(devices::send_link, devices::revoke_links))
        .routes(routes!(devices::show, devices::bind))
        .routes(routes!(devices::list))
        .routes(routes!(devices::revoke))
        .routes(routes!(devices::my_list))
        .routes(routes!(devices::my_revoke))
        .routes(routes!(devices::challenge))
        .routes(routes!(devices::sign_in))
        .routes(routes!(mail::get, mail::set, mail::reset))
        .routes(routes!(mail::message))
        .routes(routes!(directories::list, directories::create))
        .routes(routes!(directories::get, directories::replace, directories::delete))
        .routes(routes!(directories::test))
        .routes(routes!(directories::create_user))
        .routes(routes!(directories::create_group))
        .routes(routes!(directories::refresh_user))
        .routes(routes!(directories::link, directories::unlink))
        .routes(routes!(directories::sync))
        .routes(routes!(access_policies::list, access_policies::create))
        .routes(routes!(access_policies::get, access_policies::replace, access_policies::delete))
        .routes(routes!(access_policies::assign))
        .routes(routes!(access_policies::assign_group))
        .routes(routes!(access_policies::of_user))
        .routes(routes!(secrets::list, secrets::create))
        .routes(routes!(secrets::get, secrets::delete))
        .routes(routes!(secrets::value))
        .routes(routes!(secrets::add_owner))
        .routes(routes!(secrets::remove_owner))
}

/// Which attributes a response shows.
#[derive(Debug, Default)]
pub(crate) struct Projection {
    only: Option<Vec<String>>,
    except: Vec<String>,
}

impl Projection {
    pub(crate) fn parse(
        resource: Resource,
        fields: Option<&str>,
        exclude: Option<&str>,
    ) -> Result<Projection, ApiError> {
        let names = |param: &str, text: &str| -> Result<Vec<String>, ApiError> {
            text.split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| {
                    if n == "version" || resource.attr(n).is_some() {
                        Ok(n.to_owned())
                    } else {
                        Err(ApiError::invalid_field(param, format!("unknown attribute '{n}'")))
                    }
                })
                .collect()
        };
        Ok(Projection {
            // An empty `fields=` asks for no projection rather than for nothing.
            only: fields.filter(|f| !f.trim().is_empty()).map(|f| names("fields", f)).transpose()?,
            except: exclude.map(|f| names("exclude_fields", f)).transpose()?.unwrap_or_default(),
        })
    }

    /// Serialises a record, keeping only the projected attributes (`id` always stays).
    pub(crate) fn render<T: Serialize>(&self, record: &T) -> serde_json::Value {
        let mut v = serde_json::to_value(record).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(map) = &mut v {
            if let Some(only) = &self.only {
                map.retain(|k, _| k == "id" || only.iter().any(|o| o == k));
            }
            map.retain(|k, _| k == "id" || !self.except.iter().any(|e| e == k));
        }
        v
    }
}

/// Parses a listing's parameters against a resource's catalogue.
pub(crate) fn list_request(resource: Resource, p: ListParams) -> Result<(ListRequest, Projection), ApiError> {
    let projection = Projection::parse(resource, p.fields.as_deref(), p.exclude_fields.as_deref())?;
    let filter = p
        .filter
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .map(|f| filter::parse(f, resource))
        .transpose()
        .map_err(roster_core::CoreError::from)?;
    let req = ListRequest {
        filter,
        sort: Sort::parse(p.sort.as_deref(), resource)?,
        limit: page::check_limit(p.limit)?,
        cursor: p.cursor,
        offset: 0,
        count: p.count.unwrap_or(false),
        deleted: p.deleted.unwrap_or_default(),
    };
    Ok((req, projection))
}

/// A page of records as the native list envelope.
pub(crate) fn list_response<T, W: Serialize + From<T>>(page: page::Page<T>, projection: &Projection) -> Response {
    let items: Vec<serde_json::Value> = page.items.into_iter().map(|r| projection.render(&W::from(r))).collect();
    let body = wire::List { items, next_cursor: page.next_cursor, total: page.total };
    axum::Json(body).into_response()
}

/// One record with its ETag.
pub(crate) fn one_response(
    status: StatusCode,
    version: i64,
    body: serde_json::Value,
    location: Option<String>,
) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, extract::etag(version));
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, loc);
    }
    (status, headers, axum::Json(body)).into_response()
}

/// Applies a JSON Patch (RFC 6902) or JSON Merge Patch (RFC 7396) to a record's writable
/// attributes, chosen by the request's content type, and reads the result back strictly.
pub(crate) fn apply_patch<T: Serialize + serde::de::DeserializeOwned>(
    current: &T,
    patch: &PatchDoc,
) -> Result<T, roster_core::CoreError> {
    use roster_core::CoreError;
    let mut doc = serde_json::to_value(current).map_err(|e| CoreError::Internal(e.to_string()))?;
    match patch {
        PatchDoc::Json(p) => json_patch::patch(&mut doc, p).map_err(|e| match e.kind {
            json_patch::PatchErrorKind::TestFailed => CoreError::Conflict(format!("patch test failed: {e}")),
            _ => CoreError::invalid("patch", e.to_string()),
        })?,
        PatchDoc::Merge(m) => json_patch::merge(&mut doc, m),
    }
    serde_json::from_value(doc)
        .map_err(|e| CoreError::invalid("patch", format!("the patched record is not valid: {e}")))
}

/// A parsed patch document.
pub(crate) enum PatchDoc {
    Json(json_patch::Patch),
    Merge(serde_json::Value),
}

pub(crate) const JSON_PATCH: &str = "application/json-patch+json";
pub(crate) const MERGE_PATCH: &str = "application/merge-patch+json";

impl PatchDoc {
    pub(crate) fn parse(headers: &HeaderMap, body: &[u8]) -> Result<PatchDoc, ApiError> {
        let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let bad_json =
            |e: serde_json::Error| ApiError::bad_request("request.json", format!("the patch is not valid: {e}"));
        match essence.as_str() {
            JSON_PATCH => serde_json::from_slice(body).map(PatchDoc::Json).map_err(bad_json),
            MERGE_PATCH => match serde_json::from_slice::<serde_json::Value>(body).map_err(bad_json)? {
                v @ serde_json::Value::Object(_) => Ok(PatchDoc::Merge(v)),
                _ => Err(ApiError::bad_request("request.json", "a merge patch must be a JSON object")),
            },
            _ => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.media_type",
                format!("PATCH takes Content-Type {JSON_PATCH} or {MERGE_PATCH}"),
            )),
        }
    }
}
