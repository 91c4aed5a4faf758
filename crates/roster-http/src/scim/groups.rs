//! Groups: a core group as a SCIM Group (displayName is the group's unique name) with its direct
//! members, users and groups; member changes of a PATCH become one core membership change.

use super::doc::{self, Doc};
use super::errors::ScimError;
use super::patch::{self, Operation};
use super::schema::{self, Kind, GROUP};
use super::Ctx;
use roster_core::access::Permission;
use roster_core::model::{Group, GroupSpec, MemberRef, PrincipalKind};
use roster_core::CoreError;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

fn member_json(ctx: &Ctx<'_>, m: &MemberRef) -> Value {
    let (kind, endpoint) = match m.kind {
        PrincipalKind::User => ("User", "Users"),
        PrincipalKind::Group => ("Group", "Groups"),
    };
    json!({"value": m.id.to_string(), "$ref": format!("{}/{endpoint}/{}", ctx.base, m.id), "type": kind})
}

pub fn render(ctx: &Ctx<'_>, g: &Group, members: &[MemberRef]) -> Doc {
    let mut d = attributes(&g.spec);
    d.insert("id".into(), g.id.to_string().into());
    if !members.is_empty() {
        d.insert("members".into(), Value::Array(members.iter().map(|m| member_json(ctx, m)).collect()));
    }
    d.insert("meta".into(), super::meta(ctx, Kind::Group, g.id, g.created, g.modified, g.version));
    d
}

fn attributes(s: &GroupSpec) -> Doc {
    let mut d = Doc::new();
    d.insert("schemas".into(), json!([GROUP]));
    if let Some(x) = &s.external_id {
        d.insert("externalId".into(), x.clone().into());
    }
    d.insert("displayName".into(), s.name.clone().into());
    d
}

fn spec_of(d: &Doc, base: &GroupSpec) -> Result<GroupSpec, ScimError> {
    let name = doc::text(d, "displayName").ok_or_else(|| ScimError::invalid_value("displayName is required"))?;
    Ok(GroupSpec { name: name.to_owned(), external_id: doc::text(d, "externalId").map(str::to_owned), ..base.clone() })
}

async fn live(ctx: &Ctx<'_>, id: &str) -> Result<Group, ScimError> {
    let gone = || ScimError::not_found("Group", id);
    let uuid = Uuid::try_parse(id).map_err(|_| gone())?;
    match ctx.directory().group(ctx.caller, uuid).await {
        Ok(g) if g.deleted.is_none() => Ok(g),
        Ok(_) | Err(CoreError::NotFound { .. }) => Err(gone()),
        Err(e) => Err(e.into()),
    }
}

/// Documents of groups with their members (`with_members` false: without them): two queries
/// for all the groups' members.
pub async fn documents(ctx: &Ctx<'_>, groups: &[Group], with_members: bool) -> Result<Vec<Doc>, ScimError> {
    let mut by_group: HashMap<Uuid, Vec<MemberRef>> = HashMap::new();
    if with_members {
        let ids: Vec<Uuid> = groups.iter().map(|g| g.id).collect();
        for (g, m) in ctx.directory().live_members(ctx.caller, &ids).await? {
            by_group.entry(g).or_default().push(m);
        }
    }
    Ok(groups.iter().map(|g| render(ctx, g, by_group.get(&g.id).map(Vec::as_slice).unwrap_or_default())).collect())
}

async fn document(ctx: &Ctx<'_>, g: &Group) -> Result<Doc, ScimError> {
    Ok(documents(ctx, std::slice::from_ref(g), true).await?.remove(0))
}

pub async fn get(ctx: &Ctx<'_>, id: &str) -> Result<Doc, ScimError> {
    ctx.caller.require(Permission::GroupsRead)?;
    let g = live(ctx, id).await?;
    document(ctx, &g).await
}

/// A member as a client names it: `value` (the id), with `type` User or Group when given.
async fn member_ref(ctx: &Ctx<'_>, element: &Value) -> Result<MemberRef, ScimError> {
    let value = element.get("value").and_then(Value::as_str).unwrap_or_default();
    let id = Uuid::try_parse(value)
        .map_err(|_| ScimError::invalid_value(format!("members: '{value}' is not the id of a user or group")))?;
    let given = element.get("type").and_then(Value::as_str).map(str::to_ascii_lowercase);
    let dir = ctx.directory();
    let exists = |r: Result<bool, CoreError>| match r {
        Ok(live) => Ok(live),
        Err(CoreError::NotFound { .. }) => Ok(false),
        Err(e) => Err(ScimError::from(e)),
    };
    if given.as_deref() != Some("group") && exists(dir.user(ctx.caller, id).await.map(|u| u.deleted.is_none()))? {
        return Ok(MemberRef { kind: PrincipalKind::User, id });
    }
    if given.as_deref() != Some("user") && exists(dir.group(ctx.caller, id).await.map(|g| g.deleted.is_none()))? {
        return Ok(MemberRef { kind: PrincipalKind::Group, id });
    }
    Err(ScimError::invalid_value(format!("members: no user or group has the id {value}")))
}

fn members_attr() -> &'static schema::Attr {
    // The table holds `members`; a missing one is a programming error caught by every group test.
    schema::find(Kind::Group.attrs(), "members").unwrap_or(&Kind::Group.attrs()[0])
}

/// Sets the group's members to the elements given.
async fn member_set(ctx: &Ctx<'_>, elements: &Value) -> Result<Vec<MemberRef>, ScimError> {
    let checked = doc::check_value(members_attr(), elements, "members")?;
    let mut out = Vec::new();
    for e in checked.as_ref().and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        let m = member_ref(ctx, e).await?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

pub async fn create(ctx: &Ctx<'_>, body: &Value) -> Result<Doc, ScimError> {
    ctx.caller.require(Permission::GroupsWrite)?;
    let d = doc::check_resource(Kind::Group, body)?;
    let spec = spec_of(&d, &GroupSpec::default())?;
    let members = match d.get("members") {
        Some(m) => member_set(ctx, m).await?,
        None => Vec::new(),
    };
    let dir = ctx.directory();
    let g = dir.create_group(ctx.caller, spec).await?;
    if !members.is_empty() {
        let changes: Vec<(bool, MemberRef)> = members.into_iter().map(|m| (true, m)).collect();
        if let Err(e) = dir.change_members(ctx.caller, g.id, &changes, None).await {
            // All or nothing: a group whose members could not be set is not left behind.
            let _ = dir.delete_group(ctx.caller, g.id, None).await;
            return Err(e.into());
        }
    }
    get_fresh(ctx, g.id).await
}

async fn get_fresh(ctx: &Ctx<'_>, id: Uuid) -> Result<Doc, ScimError> {
    let g = ctx.directory().group(ctx.caller, id).await?;
    document(ctx, &g).await
}

/// Writes the group's attributes and then its members, from what they were to what they are to be.
async fn write(
    ctx: &Ctx<'_>,
    current: &Group,
    spec: GroupSpec,
    members: Option<(Vec<MemberRef>, Vec<MemberRef>)>,
    expected: Option<i64>,
) -> Result<Doc, ScimError> {
    let dir = ctx.directory();
    let mut version = expected;
    let renamed = spec != current.spec;
    if renamed {
        let g = dir.replace_group(ctx.caller, current.id, expected, spec).await?;
        version = expected.map(|_| g.version);
    }
    if let Some((before, after)) = members {
        let before_set: HashSet<MemberRef> = before.iter().copied().collect();
        let after_set: HashSet<MemberRef> = after.iter().copied().collect();
        let mut changes: Vec<(bool, MemberRef)> =
            before.iter().filter(|m| !after_set.contains(m)).map(|m| (false, *m)).collect();
        changes.extend(after.iter().filter(|m| !before_set.contains(m)).map(|m| (true, *m)));
        if !changes.is_empty() {
            if let Err(e) = dir.change_members(ctx.caller, current.id, &changes, version).await {
                // The members are refused (a cycle, a concurrent change): put the attributes back,
                // so the request changes nothing.
                if renamed {
                    dir.replace_group(ctx.caller, current.id, None, current.spec.clone()).await?;
                }
                return Err(e.into());
            }
        }
    }
    get_fresh(ctx, current.id).await
}

async fn current_members(ctx: &Ctx<'_>, g: &Group) -> Result<Vec<MemberRef>, ScimError> {
    Ok(ctx.directory().live_members(ctx.caller, &[g.id]).await?.into_iter().map(|(_, m)| m).collect())
}

pub async fn replace(ctx: &Ctx<'_>, id: &str, body: &Value, expected: Option<i64>) -> Result<Doc, ScimError> {
    ctx.caller.require(Permission::GroupsWrite)?;
    let current = live(ctx, id).await?;
    if expected.is_some_and(|v| v != current.version) {
        return Err(CoreError::VersionMismatch.into());
    }
    let d = doc::check_resource(Kind::Group, body)?;
    let spec = spec_of(&d, &current.spec)?;
    let after = match d.get("members") {
        Some(m) => member_set(ctx, m).await?,
        None => Vec::new(),
    };
    let before = current_members(ctx, &current).await?;
    write(ctx, &current, spec, Some((before, after)), expected).await
}

fn is_members_path(path: &str) -> bool {
    let p = path.trim_start_matches(GROUP).trim_start_matches(':');
    p.get(..7).is_some_and(|head| head.eq_ignore_ascii_case("members"))
}

pub async fn patch(ctx: &Ctx<'_>, id: &str, body: &Value, expected: Option<i64>) -> Result<Doc, ScimError> {
    ctx.caller.require(Permission::GroupsWrite)?;
    let ops = patch::operations(body)?;
    let current = live(ctx, id).await?;
    if expected.is_some_and(|v| v != current.version) {
        return Err(CoreError::VersionMismatch.into());
    }
    // Path-less values as one operation per attribute, so member operations stand apart.
    let mut split: Vec<Operation> = Vec::with_capacity(ops.len());
    for op in ops {
        split.extend(patch::expand(Kind::Group, op)?);
    }
    let mut d = attributes(&current.spec);
    let mut members: Option<(Vec<MemberRef>, Vec<Value>)> = None;
    for op in &split {
        let path = op.path.as_deref().unwrap_or_default();
        if !is_members_path(path) {
            patch::apply(Kind::Group, &mut d, op)?;
            continue;
        }
        if members.is_none() {
            let before = current_members(ctx, &current).await?;
            let elements = before.iter().map(|m| member_json(ctx, m)).collect();
            members = Some((before, elements));
        }
        if let Some((_, elements)) = members.as_mut() {
            let mut holder = doc::Doc::new();
            if !elements.is_empty() {
                holder.insert("members".into(), Value::Array(std::mem::take(elements)));
            }
            patch::apply(Kind::Group, &mut holder, op)?;
            *elements = match holder.remove("members") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            };
        }
    }
    let d = doc::check_resource(Kind::Group, &Value::Object(d))?;
    let spec = spec_of(&d, &current.spec)?;
    let members = match members {
        Some((before, elements)) => Some((before, member_set(ctx, &Value::Array(elements)).await?)),
        None => None,
    };
    write(ctx, &current, spec, members, expected).await
}

pub async fn delete(ctx: &Ctx<'_>, id: &str, expected: Option<i64>) -> Result<(), ScimError> {
    ctx.caller.require(Permission::GroupsWrite)?;
    let current = live(ctx, id).await?;
    ctx.directory().delete_group(ctx.caller, current.id, expected).await?;
    Ok(())
}
