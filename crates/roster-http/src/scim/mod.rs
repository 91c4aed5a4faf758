//! SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2`, so identity providers provision users and groups
//! into a tenant: discovery, Users (with the enterprise extension), Groups, queries, PATCH, ETags,
//! Bulk and /Me, with bearer auth (a tenant API key or an access token) and SCIM's error schema.
//! Handlers translate and call core, nothing more; Bulk runs the same operations.

mod bulk;
mod doc;
mod errors;
mod filter;
mod groups;
mod listing;
mod patch;
mod schema;
mod users;

use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use doc::Doc;
use errors::ScimError;
use roster_core::{Caller, Directory};
use schema::Kind;
use serde_json::Value;

pub const SCIM_JSON: &str = "application/scim+json";

/// What an operation needs: the directory, the caller, and the face's public base URL.
pub struct Ctx<'a> {
    state: &'a AppState,
    caller: &'a Caller,
    base: &'a str,
}

impl Ctx<'_> {
    fn directory(&self) -> &Directory {
        &self.state.directory
    }
}

/// The face's base URL as clients reach it: the server's public URL (its token issuer) + `/scim/v2`.
fn base_url(state: &AppState) -> String {
    format!("{}/scim/v2", state.directory.token_settings().issuer.trim_end_matches('/'))
}

/// A resource version as an entity tag (`W/"3"`).
pub struct Etag(pub i64);

impl std::fmt::Display for Etag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "W/\"{}\"", self.0)
    }
}

/// An entity tag as a version: `W/"3"` or `"3"`.
fn version_of(tag: &str) -> Option<i64> {
    let t = tag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

/// `If-Match`: `*` (any version) or the version held; a tag that names no version can match none.
fn if_match(headers: &HeaderMap) -> Option<i64> {
    let v = headers.get(header::IF_MATCH)?.to_str().unwrap_or("\"\"").trim();
    if v == "*" {
        return None;
    }
    Some(v.split(',').find_map(version_of).unwrap_or(-1))
}

fn time(t: roster_core::model::Time) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A resource's `meta`.
fn meta(
    ctx: &Ctx<'_>,
    kind: Kind,
    id: uuid::Uuid,
    created: roster_core::model::Time,
    modified: roster_core::model::Time,
    version: i64,
) -> Value {
    serde_json::json!({
        "resourceType": kind.name(),
        "created": time(created),
        "lastModified": time(modified),
        "location": format!("{}/{}/{id}", ctx.base, kind.endpoint()),
        "version": Etag(version).to_string(),
    })
}

/// The authenticated caller of a SCIM request.
pub struct Bearer(pub Caller);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Bearer(crate::need::bearer_caller(parts, state).await?))
    }
}

/// A JSON body (`application/scim+json` or `application/json`).
pub struct Body(pub Value);

impl FromRequest<AppState> for Body {
    type Rejection = ScimError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Body(crate::body::json_value(req, state).await?))
    }
}

fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A resource answer: its ETag, and its Location when it was created.
fn resource(status: StatusCode, d: Doc) -> Response {
    let meta = d.get("meta");
    let version = meta.and_then(|m| m.get("version")).and_then(Value::as_str).map(str::to_owned);
    let location = meta.and_then(|m| m.get("location")).and_then(Value::as_str).map(str::to_owned);
    let mut resp = scim_json(status, &Value::Object(d));
    let headers = resp.headers_mut();
    if let Some(v) = version.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED {
        if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(header::LOCATION, l);
        }
    }
    resp
}

/// A read answer: 304 when `If-None-Match` holds the current version; the projection asked for.
fn read(headers: &HeaderMap, d: Doc, q: &listing::Query) -> Response {
    let current = d.get("meta").and_then(|m| m.get("version")).and_then(Value::as_str).and_then(version_of);
    let none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if let (Some(cur), Some(tags)) = (current, none_match) {
        if tags.trim() == "*" || tags.split(',').filter_map(version_of).any(|v| v == cur) {
            let mut resp = StatusCode::NOT_MODIFIED.into_response();
            if let Ok(v) = HeaderValue::from_str(&Etag(cur).to_string()) {
                resp.headers_mut().insert(header::ETAG, v);
            }
            return resp;
        }
    }
    let tag = current.map(|c| Etag(c).to_string());
    let mut resp = scim_json(StatusCode::OK, &Value::Object(q.projection().apply(d)));
    if let Some(v) = tag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

macro_rules! ctx {
    ($state:expr, $caller:expr, $base:ident) => {{
        Ctx { state: &$state, caller: &$caller, base: &$base }
    }};
}

async fn list(kind: Kind, s: AppState, caller: Caller, raw: Option<String>) -> Result<Response, ScimError> {
    let base = base_url(&s);
    let q = listing::Query::from_query_string(raw.as_deref())?;
    Ok(scim_json(StatusCode::OK, &listing::query(&ctx!(s, caller, base), kind, &q).await?))
}

async fn search(kind: Option<Kind>, s: AppState, caller: Caller, body: Value) -> Result<Response, ScimError> {
    let base = base_url(&s);
    let q = listing::Query::from_search(&body)?;
    let ctx = ctx!(s, caller, base);
    let answer = match kind {
        Some(k) => listing::query(&ctx, k, &q).await?,
        None => listing::query_all(&ctx, &q).await?,
    };
    Ok(scim_json(StatusCode::OK, &answer))
}

/// The operations of one resource type, for its routes and for Bulk.
pub async fn run(
    ctx: &Ctx<'_>,
    kind: Kind,
    method: &str,
    id: Option<&str>,
    body: &Value,
    expected: Option<i64>,
) -> Result<(StatusCode, Option<Doc>), ScimError> {
    let done = |d: Doc| (StatusCode::OK, Some(d));
    Ok(match (kind, method, id) {
        (Kind::User, "POST", None) => (StatusCode::CREATED, Some(users::create(ctx, body).await?)),
        (Kind::Group, "POST", None) => (StatusCode::CREATED, Some(groups::create(ctx, body).await?)),
        (Kind::User, "PUT", Some(id)) => done(users::replace(ctx, id, body, expected).await?),
        (Kind::Group, "PUT", Some(id)) => done(groups::replace(ctx, id, body, expected).await?),
        (Kind::User, "PATCH", Some(id)) => done(users::patch(ctx, id, body, expected).await?),
        (Kind::Group, "PATCH", Some(id)) => done(groups::patch(ctx, id, body, expected).await?),
        (Kind::User, "DELETE", Some(id)) => {
            users::delete(ctx, id, expected).await?;
            (StatusCode::NO_CONTENT, None)
        }
        (Kind::Group, "DELETE", Some(id)) => {
            groups::delete(ctx, id, expected).await?;
            (StatusCode::NO_CONTENT, None)
        }
        _ => {
            return Err(ScimError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                None,
                format!("{method} is not an operation on this path"),
            ))
        }
    })
}

/// One handler per method and path shape, for both resource types.
macro_rules! endpoints {
    ($module:ident, $kind:expr) => {
        mod $module {
            use super::*;

            pub async fn list(
                State(s): State<AppState>,
                Bearer(caller): Bearer,
                RawQuery(raw): RawQuery,
            ) -> Result<Response, ScimError> {
                super::list($kind, s, caller, raw).await
            }

            pub async fn search(
                State(s): State<AppState>,
                Bearer(caller): Bearer,
                Body(body): Body,
            ) -> Result<Response, ScimError> {
                super::search(Some($kind), s, caller, body).await
            }

            pub async fn get(
                State(s): State<AppState>,
                Bearer(caller): Bearer,
                Path(id): Path<String>,
                RawQuery(raw): RawQuery,
                headers: HeaderMap,
            ) -> Result<Response, ScimError> {
                let base = base_url(&s);
                let q = listing::Query::from_query_string(raw.as_deref())?;
                let ctx = ctx!(s, caller, base);
                let d = match $kind {
                    Kind::User => users::get(&ctx, &id).await?,
                    Kind::Group => groups::get(&ctx, &id).await?,
                };
                Ok(read(&headers, d, &q))
            }

            pub async fn create(
                State(s): State<AppState>,
                Bearer(caller): Bearer,
                RawQuery(raw): RawQuery,
                Body(body): Body,
            ) -> Result<Response, ScimError> {
                write(s, caller, "POST", None, raw, HeaderMap::new(), body).await
            }

            /// PUT and PATCH.
            pub async fn change(
                State(s): State<AppState>,
                Bearer(caller): Bearer,
                method: axum::http::Method,
                Path(id): Path<String>,
                RawQuery(raw): RawQuery,
                headers: HeaderMap,
                Body(body): Body,
            ) -> Result<Response, ScimError> {
                write(s, caller, method.as_str(), Some(id), raw, headers, body).await
            }

            pub async fn delete(
                State(s): State<AppState>,
                Bearer(caller): Bearer,
                Path(id): Path<String>,
                headers: HeaderMap,
            ) -> Result<Response, ScimError> {
                write(s, caller, "DELETE", Some(id), None, headers, Value::Null).await
            }

            async fn write(
                s: AppState,
                caller: Caller,
                method: &str,
                id: Option<String>,
                raw: Option<String>,
                headers: HeaderMap,
                body: Value,
            ) -> Result<Response, ScimError> {
                let base = base_url(&s);
                let q = listing::Query::from_query_string(raw.as_deref())?;
                let ctx = ctx!(s, caller, base);
                let (status, d) = run(&ctx, $kind, method, id.as_deref(), &body, if_match(&headers)).await?;
                Ok(match d {
                    Some(d) => resource(status, q.projection().apply(d)),
                    None => status.into_response(),
                })
            }
        }
    };
}

endpoints!(user_routes, Kind::User);
endpoints!(group_routes, Kind::Group);

async fn search_all(
    State(s): State<AppState>,
    Bearer(caller): Bearer,
    Body(body): Body,
) -> Result<Response, ScimError> {
    search(None, s, caller, body).await
}

async fn me(
    State(s): State<AppState>,
    Bearer(caller): Bearer,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let base = base_url(&s);
    let q = listing::Query::from_query_string(raw.as_deref())?;
    let d = users::me(&ctx!(s, caller, base)).await?;
    Ok(read(&headers, d, &q))
}

async fn bulk(State(s): State<AppState>, Bearer(caller): Bearer, Body(body): Body) -> Result<Response, ScimError> {
    let base = base_url(&s);
    let answer = bulk::run(&ctx!(s, caller, base), &body).await?;
    Ok(scim_json(StatusCode::OK, &answer))
}

async fn service_provider_config(State(s): State<AppState>) -> Response {
    let doc = schema::service_provider_config(
        &base_url(&s),
        bulk::MAX_OPERATIONS,
        s.max_body_bytes,
        roster_core::page::MAX_LIMIT,
    );
    scim_json(StatusCode::OK, &doc)
}

async fn resource_types(State(s): State<AppState>) -> Response {
    let base = base_url(&s);
    let list: Vec<Value> = Kind::ALL.iter().map(|k| schema::resource_type(&base, *k)).collect();
    scim_json(StatusCode::OK, &listing::list_response(list.len() as u64, 1, list))
}

async fn resource_type(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response, ScimError> {
    let kind = Kind::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(&id));
    let kind = kind.ok_or_else(|| ScimError::not_found("ResourceType", &id))?;
    Ok(scim_json(StatusCode::OK, &schema::resource_type(&base_url(&s), kind)))
}

async fn schemas(State(s): State<AppState>) -> Response {
    let list = schema::schemas(&base_url(&s));
    scim_json(StatusCode::OK, &listing::list_response(list.len() as u64, 1, list))
}

async fn one_schema(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response, ScimError> {
    let found = schema::schemas(&base_url(&s))
        .into_iter()
        .find(|d| d["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(&id)));
    Ok(scim_json(StatusCode::OK, &found.ok_or_else(|| ScimError::not_found("Schema", &id))?))
}

/// Every route of the face.
pub(crate) fn routes() -> crate::routes::Routes {
    crate::routes::Routes::default()
        .route("/openapi.json", crate::json_document(include_str!("openapi.json")))
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(one_schema))
        .route("/Users", get(user_routes::list).post(user_routes::create))
        .route("/Users/.search", post(user_routes::search))
        .route(
            "/Users/{id}",
            get(user_routes::get).put(user_routes::change).patch(user_routes::change).delete(user_routes::delete),
        )
        .route("/Groups", get(group_routes::list).post(group_routes::create))
        .route("/Groups/.search", post(group_routes::search))
        .route(
            "/Groups/{id}",
            get(group_routes::get).put(group_routes::change).patch(group_routes::change).delete(group_routes::delete),
        )
        .route("/.search", post(search_all))
        .route("/Bulk", post(bulk))
        // /Me is read-only here: a user is changed at /Users/{id}, by a caller allowed to.
        .route("/Me", get(me))
}

fn router() -> Router<AppState> {
    routes().router.fallback(errors::not_found).method_not_allowed_fallback(errors::method_not_allowed)
}

/// Any other SCIM version under `/scim`: `invalidVers` (RFC 7644 section 3.13).
pub async fn other_version() -> ScimError {
    ScimError::bad("invalidVers", "Roster serves SCIM 2.0 only, at /scim/v2")
}

/// The face as a router to nest at `/scim/v2`.
pub fn service(state: AppState) -> Router {
    let refusals = axum::middleware::from_fn_with_state(state.clone(), crate::audit::record_refusals);
    router().route_layer(refusals).with_state(state)
}
