//! `/groups`, their members, and the memberships of groups, users and principals; `/principals`.
//! Membership lists are whole arrays, each entry `direct` or `indirect` (through nested groups).

use super::auth::Bearer;
use super::errors::SlcError;
use super::query::{self, Projection, GROUPS, PRINCIPALS};
use super::wire::{principal_type, GroupWrite, ListOf, MemberChange, Membership, SlcGroup, SlcPrincipal};
use super::Body;
use crate::need::{GroupsRead, GroupsWrite, UsersRead};
use crate::pages::every;
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::directory::ListRequest;
use roster_core::model::{Depth, Group, GroupSpec, MemberRef, Principal, PrincipalKind};
use roster_core::page::Sort;
use roster_core::schema::Resource;
use roster_core::{Caller, CoreError, Directory};
use uuid::Uuid;

/// Fields a patch may not touch.
const READ_ONLY: &[&str] = &["_id", "_created", "_modified", "system"];

fn record(group: &Group, projection: &Projection) -> serde_json::Value {
    let mut v = serde_json::to_value(SlcGroup::from(group)).unwrap_or_default();
    projection.apply(&mut v);
    v
}

fn id_of(text: &str, what: &'static str) -> Result<Uuid, SlcError> {
    Uuid::try_parse(text).map_err(|_| SlcError::from(CoreError::NotFound { what }))
}

/// `GET /groups`.
pub async fn list(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<GroupsRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SlcError> {
    let l = query::listing(raw.as_deref(), &GROUPS)?;
    let page = s.directory.list_groups(&caller, l.request).await?;
    let data = page.items.iter().map(|g| record(g, &l.projection)).collect();
    Ok(axum::Json(ListOf { total_count: page.total.unwrap_or_default(), data }).into_response())
}

/// `GET /groups/{groupId}`.
pub async fn get(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<GroupsRead>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SlcError> {
    let projection = query::projection(raw.as_deref(), &GROUPS)?;
    let group = s.directory.group(&caller, id_of(&id, "group")?).await?;
    Ok(axum::Json(record(&group, &projection)).into_response())
}

fn spec_of(current: &GroupSpec, w: GroupWrite) -> Result<GroupSpec, SlcError> {
    let name = w.name.ok_or_else(|| SlcError::bad_request("name is required"))?;
    Ok(GroupSpec { name, external_id: w.external_id, ..current.clone() })
}

/// `POST /groups`.
pub async fn create(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<GroupsWrite>,
    Body(doc): Body<serde_json::Value>,
) -> Result<Response, SlcError> {
    let w: GroupWrite = super::written(doc, READ_ONLY)?;
    let group = s.directory.create_group(&caller, spec_of(&GroupSpec::default(), w)?).await?;
    Ok((StatusCode::CREATED, axum::Json(record(&group, &Projection::default()))).into_response())
}

/// `PUT /groups/{groupId}`: replaces the name and external id.
pub async fn replace(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<GroupsWrite>,
    Path(id): Path<String>,
    Body(doc): Body<serde_json::Value>,
) -> Result<Response, SlcError> {
    let w: GroupWrite = super::written(doc, READ_ONLY)?;
    let current = s.directory.group(&caller, id_of(&id, "group")?).await?;
    let group = s.directory.replace_group(&caller, current.id, None, spec_of(&current.spec, w)?).await?;
    Ok(axum::Json(record(&group, &Projection::default())).into_response())
}

/// `PATCH /groups/{groupId}`: a JSON Patch (add, remove, replace) over the group as it reads.
pub async fn patch(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<GroupsWrite>,
    Path(id): Path<String>,
    super::AnyJson(body): super::AnyJson,
) -> Result<Response, SlcError> {
    let current = s.directory.group(&caller, id_of(&id, "group")?).await?;
    let doc = serde_json::to_value(SlcGroup::from(&current)).unwrap_or_default();
    let w: GroupWrite = super::json_patch(doc, body, READ_ONLY)?;
    let group = s.directory.replace_group(&caller, current.id, None, spec_of(&current.spec, w)?).await?;
    Ok(axum::Json(record(&group, &Projection::default())).into_response())
}

/// What a membership listing's query asks: `filter[membershipType][EQ]` and, for members,
/// `filter[principalType][EQ]`.
struct MembershipQuery {
    depth: Option<&'static str>,
    kind: Option<PrincipalKind>,
}

fn membership_query(raw: Option<&str>, members: bool) -> Result<MembershipQuery, SlcError> {
    let mut q = MembershipQuery { depth: None, kind: None };
    for (k, v) in query::pairs(raw)? {
        match (k.as_str(), v.as_str()) {
            ("filter[membershipType][EQ]", "direct") => q.depth = Some("direct"),
            ("filter[membershipType][EQ]", "indirect") => q.depth = Some("indirect"),
            ("filter[membershipType][EQ]", _) => {
                return Err(SlcError::bad_request(format!("{k} must be direct or indirect")))
            }
            ("filter[principalType][EQ]", "User") if members => q.kind = Some(PrincipalKind::User),
            ("filter[principalType][EQ]", "Group") if members => q.kind = Some(PrincipalKind::Group),
            ("filter[principalType][EQ]", _) if members => {
                return Err(SlcError::bad_request(format!("{k} must be User or Group")))
            }
            _ => return Err(SlcError::bad_request(format!("unknown query parameter '{k}'"))),
        }
    }
    Ok(q)
}

fn whole(resource: Resource, sort: &str) -> Result<ListRequest, SlcError> {
    Ok(ListRequest::first(None, Sort::parse(Some(sort), resource)?, roster_core::page::MAX_LIMIT))
}

/// A whole membership listing, each entry marked `direct` or `indirect` (reached only through
/// nested groups), as `wanted` asks: the direct listing, and the nested one unless only direct
/// entries are wanted.
async fn by_depth<T, F, Fut>(
    req: ListRequest,
    wanted: Option<&str>,
    id: impl Fn(&T) -> Uuid,
    mut listing: F,
) -> Result<Vec<(&'static str, T)>, SlcError>
where
    F: FnMut(Depth, ListRequest) -> Fut,
    Fut: std::future::Future<Output = Result<roster_core::page::Page<T>, CoreError>>,
{
    let direct = every(req.clone(), |r| listing(Depth::Direct, r)).await?;
    let all = match wanted {
        Some("direct") => Vec::new(),
        _ => every(req, |r| listing(Depth::Indirect, r)).await?,
    };
    Ok(split(direct, all, wanted, id))
}

/// Direct entries first, then the indirect ones (reached only through nested groups), each once.
fn split<T>(direct: Vec<T>, all: Vec<T>, wanted: Option<&str>, id: impl Fn(&T) -> Uuid) -> Vec<(&'static str, T)> {
    let direct_ids: std::collections::HashSet<Uuid> = direct.iter().map(&id).collect();
    let mut out: Vec<(&'static str, T)> = Vec::new();
    if wanted != Some("indirect") {
        out.extend(direct.into_iter().map(|d| ("direct", d)));
    }
    if wanted != Some("direct") {
        out.extend(all.into_iter().filter(|a| !direct_ids.contains(&id(a))).map(|a| ("indirect", a)));
    }
    out
}

/// The groups a user or group belongs to, as the vendor lists them.
async fn groups_of(d: &Directory, caller: &Caller, member: MemberRef, raw: Option<&str>) -> Result<Response, SlcError> {
    let q = membership_query(raw, false)?;
    let req = whole(Resource::Group, "name")?;
    let entries =
        by_depth(req, q.depth, |g: &Group| g.id, |depth, r| d.list_memberships(caller, member, depth, r)).await?;
    let out: Vec<Membership> = entries
        .iter()
        .map(|(t, g)| Membership { membership_type: t, principal_type: None, id: g.id.to_string(), name: &g.spec.name })
        .collect();
    Ok(axum::Json(out).into_response())
}

/// `GET /users/{userId}/memberships`.
pub async fn user_memberships(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<UsersRead>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SlcError> {
    let member = MemberRef { kind: PrincipalKind::User, id: id_of(&id, "user")? };
    groups_of(&s.directory, &caller, member, raw.as_deref()).await
}

/// `GET /groups/{groupId}/memberships`.
pub async fn group_memberships(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<GroupsRead>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SlcError> {
    let member = MemberRef { kind: PrincipalKind::Group, id: id_of(&id, "group")? };
    groups_of(&s.directory, &caller, member, raw.as_deref()).await
}

/// `GET /principals/{principalId}/memberships`: a user's or a group's.
pub async fn principal_memberships(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<GroupsRead>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SlcError> {
    let principal = principal(&s.directory, &caller, id_of(&id, "principal")?).await?;
    let member = MemberRef { kind: principal.kind, id: principal.id };
    groups_of(&s.directory, &caller, member, raw.as_deref()).await
}

/// The principal with an id.
async fn principal(d: &Directory, caller: &Caller, id: Uuid) -> Result<Principal, SlcError> {
    let test =
        roster_core::filter::attr_test(Resource::Principal, "id", roster_core::filter::CmpOp::Eq, &[&id.to_string()])
            .map_err(CoreError::from)?;
    let req = ListRequest { filter: Some(test), limit: 1, ..whole(Resource::Principal, "name")? };
    let found = d.list_principals(caller, req).await?;
    found.items.into_iter().next().ok_or_else(|| SlcError::from(CoreError::NotFound { what: "principal" }))
}

/// `GET /groups/{groupId}/members`.
pub async fn members(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<GroupsRead>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SlcError> {
    let q = membership_query(raw.as_deref(), true)?;
    let (d, group) = (&s.directory, id_of(&id, "group")?);
    let mut req = whole(Resource::Principal, "name")?;
    if let Some(kind) = q.kind {
        let test = roster_core::filter::attr_test(
            Resource::Principal,
            "kind",
            roster_core::filter::CmpOp::Eq,
            &[kind.as_str()],
        )
        .map_err(CoreError::from)?;
        req.filter = Some(test);
    }
    let entries =
        by_depth(req, q.depth, |p: &Principal| p.id, |depth, r| d.list_members(&caller, group, depth, r)).await?;
    let out: Vec<Membership> = entries
        .iter()
        .map(|(t, p)| Membership {
            membership_type: t,
            principal_type: Some(principal_type(p.kind)),
            id: p.id.to_string(),
            name: &p.name,
        })
        .collect();
    Ok(axum::Json(out).into_response())
}

/// The principal a member change names: by id, or by name and type.
async fn resolve(d: &Directory, caller: &Caller, n: usize, c: &MemberChange) -> Result<MemberRef, SlcError> {
    let at = |m: &str| SlcError::bad_request(format!("[{n}]: {m}"));
    let kind = match c.principal_type.as_deref() {
        None => None,
        Some("User") => Some(PrincipalKind::User),
        Some("Group") => Some(PrincipalKind::Group),
        Some(other) => return Err(at(&format!("principalType must be User or Group, not '{other}'"))),
    };
    let found = match (&c.id, &c.name) {
        (Some(id), _) => {
            let id = Uuid::try_parse(id).map_err(|_| at(&format!("no principal has the id '{id}'")))?;
            principal(d, caller, id).await.map_err(|_| at(&format!("no principal has the id '{id}'")))?
        }
        (None, Some(name)) => {
            let kind = kind.ok_or_else(|| at("a member named by name needs its principalType"))?;
            let tests = vec![
                roster_core::filter::attr_test(
                    Resource::Principal,
                    "name",
                    roster_core::filter::CmpOp::Eq,
                    &[name.as_str()],
                ),
                roster_core::filter::attr_test(
                    Resource::Principal,
                    "kind",
                    roster_core::filter::CmpOp::Eq,
                    &[kind.as_str()],
                ),
            ];
            let tests = tests.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| at(&e.to_string()))?;
            let req = ListRequest {
                filter: roster_core::filter::Filter::all(tests),
                limit: 1,
                ..whole(Resource::Principal, "name")?
            };
            let page = d.list_principals(caller, req).await?;
            page.items
                .into_iter()
                .next()
                .ok_or_else(|| at(&format!("no {} is named '{name}'", principal_type(kind))))?
        }
        (None, None) => return Err(at("a member needs an id or a name")),
    };
    if kind.is_some_and(|k| k != found.kind) {
        return Err(at(&format!("{} is a {}", found.id, principal_type(found.kind))));
    }
    Ok(MemberRef { kind: found.kind, id: found.id })
}

/// `PATCH /groups/{groupId}/members`: every change or none.
pub async fn change_members(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<GroupsWrite>,
    Path(id): Path<String>,
    super::AnyJson(body): super::AnyJson,
) -> Result<Response, SlcError> {
    let changes: Vec<MemberChange> = serde_json::from_value(body)
        .map_err(|e| SlcError::bad_request(format!("the body is not a list of member changes: {e}")))?;
    let group = id_of(&id, "group")?;
    let d = &s.directory;
    let mut resolved = Vec::with_capacity(changes.len());
    for (n, c) in changes.iter().enumerate() {
        let add = match c.op.as_str() {
            "add" => true,
            "remove" => false,
            other => return Err(SlcError::bad_request(format!("[{n}]: op must be add or remove, not '{other}'"))),
        };
        resolved.push((add, resolve(d, &caller, n, c).await?));
    }
    d.change_members(&caller, group, &resolved, None).await?;
    Ok(axum::Json(serde_json::json!({ "msg": "Group members changed" })).into_response())
}

/// `GET /principals`.
pub async fn principals(
    State(s): State<AppState>,
    Bearer(caller, _): Bearer<GroupsRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, SlcError> {
    let l = query::listing(raw.as_deref(), &PRINCIPALS)?;
    let page = s.directory.list_principals(&caller, l.request).await?;
    let data = page.items.iter().map(|p| serde_json::to_value(SlcPrincipal::from(p)).unwrap_or_default()).collect();
    Ok(axum::Json(ListOf { total_count: page.total.unwrap_or_default(), data }).into_response())
}
