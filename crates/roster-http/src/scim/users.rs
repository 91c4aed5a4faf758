//! Users: a core user as a SCIM User with the enterprise extension, and back. Core attributes map
//! to core fields; the SCIM attributes core has no field for are kept as the user's claims, under
//! their SCIM names (`title`, `phoneNumbers`, `department`...), so other faces see them too.

use super::doc::{self, Doc};
use super::errors::ScimError;
use super::schema::{Kind, ENTERPRISE, ENTERPRISE_ATTRS, USER};
use super::Ctx;
use roster_core::access::Permission;
use roster_core::model::{User, UserSpec, UserStatus};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// Core-schema attributes kept as claims, verbatim.
pub const CLAIMED: [&str; 10] = [
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "emails",
    "phoneNumbers",
    "addresses",
];
/// The parts of `name` core has no field for, kept under the claim `name`.
const NAME_CLAIM: &str = "name";

fn is_enterprise(key: &str) -> bool {
    ENTERPRISE_ATTRS.iter().any(|a| a.name == key)
}

/// The user as a SCIM document; `groups` are its direct groups as (id, name).
pub fn render(ctx: &Ctx<'_>, u: &User, groups: &[(Uuid, &str)]) -> Doc {
    let mut d = attributes(&u.spec);
    d.insert("id".into(), u.id.to_string().into());
    if !groups.is_empty() {
        let list: Vec<Value> = groups
            .iter()
            .map(|(id, name)| {
                json!({"value": id.to_string(), "$ref": format!("{}/Groups/{id}", ctx.base), "display": name, "type": "direct"})
            })
            .collect();
        d.insert("groups".into(), Value::Array(list));
    }
    d.insert("meta".into(), super::meta(ctx, Kind::User, u.id, u.created, u.modified, u.version));
    d
}

/// The writable attributes of a user, as a document.
fn attributes(s: &UserSpec) -> Doc {
    let mut d = Doc::new();
    let mut schemas = vec![Value::from(USER)];
    if let Some(x) = &s.external_id {
        d.insert("externalId".into(), x.clone().into());
    }
    d.insert("userName".into(), s.user_name.clone().into());
    let claims = s.claims.as_object();
    let claim = |k: &str| claims.and_then(|c| c.get(k)).filter(|v| !v.is_null());
    let mut name = claim(NAME_CLAIM).and_then(Value::as_object).cloned().unwrap_or_default();
    if let Some(g) = &s.given_name {
        name.insert("givenName".into(), g.clone().into());
    }
    if let Some(f) = &s.family_name {
        name.insert("familyName".into(), f.clone().into());
    }
    if !name.is_empty() {
        d.insert("name".into(), Value::Object(name));
    }
    if let Some(x) = &s.display_name {
        d.insert("displayName".into(), x.clone().into());
    }
    d.insert("active".into(), (s.status == UserStatus::Active).into());
    for key in CLAIMED {
        if key == "emails" {
            continue;
        }
        if let Some(v) = claim(key) {
            d.insert(key.into(), v.clone());
        }
    }
    if let Some(email) = &s.email {
        // The emails kept as a claim, while they still hold the user's email; otherwise the email alone.
        let kept = claim("emails").and_then(Value::as_array).filter(|list| {
            list.iter().any(|e| e.get("value").and_then(Value::as_str).is_some_and(|v| v.eq_ignore_ascii_case(email)))
        });
        let emails = match kept {
            Some(list) => Value::Array(list.clone()),
            None => json!([{"value": email, "primary": true}]),
        };
        d.insert("emails".into(), emails);
    }
    let enterprise: Map<String, Value> =
        ENTERPRISE_ATTRS.iter().filter_map(|a| claim(a.name).map(|v| (a.name.to_owned(), v.clone()))).collect();
    if !enterprise.is_empty() {
        schemas.push(ENTERPRISE.into());
        d.insert(ENTERPRISE.into(), Value::Object(enterprise));
    }
    d.insert("schemas".into(), Value::Array(schemas));
    d
}

/// The core attributes a checked document describes, over the user's current ones (`base`):
/// claims that are not SCIM's are kept. Answers the password, if the document sets one.
pub fn spec_of(d: &Doc, base: &UserSpec) -> Result<(UserSpec, Option<String>), ScimError> {
    let text = |k: &str| doc::text(d, k).map(str::to_owned);
    let user_name = text("userName").ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    let mut spec =
        UserSpec { user_name, external_id: text("externalId"), display_name: text("displayName"), ..base.clone() };
    let mut claims = base.claims.as_object().cloned().unwrap_or_default();
    claims.retain(|k, _| !CLAIMED.contains(&k.as_str()) && k != NAME_CLAIM && !is_enterprise(k));
    let mut name = d.get("name").and_then(Value::as_object).cloned().unwrap_or_default();
    spec.given_name = name.remove("givenName").and_then(|v| v.as_str().map(str::to_owned));
    spec.family_name = name.remove("familyName").and_then(|v| v.as_str().map(str::to_owned));
    if !name.is_empty() {
        claims.insert(NAME_CLAIM.into(), Value::Object(name));
    }
    for key in CLAIMED {
        if let Some(v) = d.get(key) {
            claims.insert(key.into(), v.clone());
        }
    }
    if let Some(Value::Object(ext)) = d.get(ENTERPRISE) {
        for (k, v) in ext {
            claims.insert(k.clone(), v.clone());
        }
    }
    spec.claims = Value::Object(claims);
    // The user's email: the primary address, or the first.
    let emails = d.get("emails").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let primary = emails.iter().find(|e| e.get("primary").and_then(doc::boolean) == Some(true));
    spec.email = primary.or(emails.first()).and_then(|e| e.get("value")).and_then(Value::as_str).map(str::to_owned);
    let same_email = match (&spec.email, &base.email) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    };
    spec.email_verified = base.email_verified && same_email;
    spec.status = match (d.get("active").and_then(doc::boolean), base.status) {
        (Some(true), UserStatus::Suspended | UserStatus::Deactivated) => UserStatus::Active,
        // A quarantine answers a suspected compromise: a provisioning sync that routinely sends
        // `active: true` must not end it, and must not be told it did.
        (Some(true), UserStatus::Quarantined) => {
            return Err(ScimError::bad(
                "mutability",
                "the user is quarantined; active cannot be set to true until an administrator lifts the quarantine",
            ))
        }
        (Some(false), UserStatus::Active) => UserStatus::Suspended,
        (_, status) => status,
    };
    if spec.status == UserStatus::Active {
        spec.inactive_reason = None;
    }
    Ok((spec, text("password")))
}

/// A user of the caller's tenant by its SCIM id; deleted ones are gone.
async fn live(ctx: &Ctx<'_>, id: &str) -> Result<User, ScimError> {
    let gone = || ScimError::not_found("User", id);
    let uuid = Uuid::try_parse(id).map_err(|_| gone())?;
    match ctx.directory().user(ctx.caller, uuid).await {
        Ok(u) if u.deleted.is_none() => Ok(u),
        Ok(_) | Err(roster_core::CoreError::NotFound { .. }) => Err(gone()),
        Err(e) => Err(e.into()),
    }
}

/// The user's document with its direct groups.
pub async fn document(ctx: &Ctx<'_>, u: &User) -> Result<Doc, ScimError> {
    let groups = ctx.directory().direct_groups(ctx.caller, &[u.id]).await?;
    let groups: Vec<(Uuid, &str)> = groups.iter().map(|(_, g, n)| (*g, n.as_str())).collect();
    Ok(render(ctx, u, &groups))
}

/// Documents of a page of users: one query for all their groups.
pub async fn documents(ctx: &Ctx<'_>, users: &[User]) -> Result<Vec<Doc>, ScimError> {
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let groups = ctx.directory().direct_groups(ctx.caller, &ids).await?;
    let mut by_user: std::collections::HashMap<Uuid, Vec<(Uuid, &str)>> = std::collections::HashMap::new();
    for (u, g, n) in &groups {
        by_user.entry(*u).or_default().push((*g, n.as_str()));
    }
    Ok(users.iter().map(|u| render(ctx, u, by_user.get(&u.id).map(Vec::as_slice).unwrap_or_default())).collect())
}

pub async fn get(ctx: &Ctx<'_>, id: &str) -> Result<Doc, ScimError> {
    ctx.caller.require(Permission::UsersRead)?;
    let u = live(ctx, id).await?;
    document(ctx, &u).await
}

pub async fn create(ctx: &Ctx<'_>, body: &Value) -> Result<Doc, ScimError> {
    ctx.caller.require(Permission::UsersWrite)?;
    let d = doc::check_resource(Kind::User, body)?;
    let blank = UserSpec { claims: roster_core::model::empty_object(), ..UserSpec::default() };
    let (spec, password) = spec_of(&d, &blank)?;
    let dir = ctx.directory();
    let user = match password {
        Some(p) => {
            ctx.caller.require(Permission::CredentialsWrite)?;
            dir.create_user_with_password(ctx.caller, spec, &p, false).await?
        }
        None => dir.create_user(ctx.caller, spec).await?,
    };
    document(ctx, &user).await
}

/// Writes the user's new attributes, `edit` applied to its current ones (retried on a newer
/// version when a concurrent write got in first, unless the caller holds one), then the password
/// the edit sets, if any.
async fn write<F>(ctx: &Ctx<'_>, current: &User, expected: Option<i64>, edit: F) -> Result<Doc, ScimError>
where
    F: Fn(&UserSpec) -> Result<(UserSpec, Option<String>), ScimError> + Send + Sync,
{
    let (planned, password) = edit(&current.spec)?;
    let dir = ctx.directory();
    if let Some(p) = &password {
        // The password is judged before anything is written, with the names the user will have and
        // against its history, so a refused one leaves the user as it was.
        ctx.caller.require(Permission::CredentialsWrite)?;
        let names = (Some(planned.user_name.as_str()), planned.display_name.as_deref(), planned.email.as_deref());
        let mut problems = dir.check_new_password(ctx.caller, names, p).await?;
        if problems.is_empty() {
            problems = dir.check_password(ctx.caller, current.id, p).await?;
        }
        if !problems.is_empty() {
            return Err(roster_core::CoreError::Validation(problems).into());
        }
    }
    // The edit was tried on the version read above, so its refusals were answered there; on a newer
    // version written meanwhile it can only fail because that version no longer takes it.
    let stale = |e: ScimError| roster_core::CoreError::Conflict(format!("the user changed meanwhile: {}", e.detail));
    let mut user =
        dir.edit_user(ctx.caller, current.id, expected, |spec| edit(spec).map(|(s, _)| s).map_err(stale)).await?;
    if let Some(p) = password {
        user = dir.set_password(ctx.caller, current.id, &p, false).await?;
    }
    document(ctx, &user).await
}

pub async fn replace(ctx: &Ctx<'_>, id: &str, body: &Value, expected: Option<i64>) -> Result<Doc, ScimError> {
    ctx.caller.require(Permission::UsersWrite)?;
    let current = live(ctx, id).await?;
    let d = doc::check_resource(Kind::User, body)?;
    write(ctx, &current, expected, |spec| {
        let mut d = d.clone();
        // PUT cannot unset what Roster always holds: absent, `active` keeps its value.
        d.entry("active").or_insert((spec.status == UserStatus::Active).into());
        spec_of(&d, spec)
    })
    .await
}

pub async fn patch(ctx: &Ctx<'_>, id: &str, body: &Value, expected: Option<i64>) -> Result<Doc, ScimError> {
    ctx.caller.require(Permission::UsersWrite)?;
    let ops = super::patch::operations(body)?;
    let current = live(ctx, id).await?;
    write(ctx, &current, expected, |spec| {
        let mut d = attributes(spec);
        for op in &ops {
            super::patch::apply(Kind::User, &mut d, op)?;
        }
        spec_of(&doc::check_resource(Kind::User, &Value::Object(d))?, spec)
    })
    .await
}

pub async fn delete(ctx: &Ctx<'_>, id: &str, expected: Option<i64>) -> Result<(), ScimError> {
    ctx.caller.require(Permission::UsersWrite)?;
    let current = live(ctx, id).await?;
    ctx.directory().delete_user(ctx.caller, current.id, expected).await?;
    Ok(())
}

/// The user a user token was issued to.
pub async fn me(ctx: &Ctx<'_>) -> Result<Doc, ScimError> {
    ctx.caller.require(Permission::SelfService)?;
    let Some(id) = ctx.caller.user_id else {
        return Err(ScimError::new(
            axum::http::StatusCode::NOT_FOUND,
            None,
            "/Me names the user an access token was issued to; this credential is an API key, which belongs to no user",
        ));
    };
    let u = live(ctx, &id.to_string()).await?;
    document(ctx, &u).await
}
