//! `Users` and `Users/{id}`: users by their integer ids, and by the name forms the vendor takes
//! (`name` for local users, `DOMAIN\name` or a UPN for directory users).

use super::auth::{Quarantine, Session, UsersRead, UsersWrite};
use super::errors::BtError;
use super::wire::BtUser;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_core::connectors::Lookup;
use roster_core::directory::{Alongside, Edit};
use roster_core::model::{User, UserKind, UserSpec};
use roster_core::schema::Resource;
use roster_core::{Caller, Directory};
use serde_json::Value;
use std::collections::HashMap;

/// A user with its access policy's number, as the vendor shows it.
pub(super) async fn shown(d: &Directory, u: &User) -> Result<BtUser, BtError> {
    let policy = match u.spec.kind {
        UserKind::Application => d.effective_access_policy(u).await?.map(|p| p.number),
        _ => None,
    };
    Ok(BtUser::new(u, policy))
}

/// Many users as the vendor shows them, reading the tenant's access policies once.
pub(super) async fn shown_all(d: &Directory, caller: &Caller, users: &[User]) -> Result<Vec<BtUser>, BtError> {
    let policies = if users.iter().any(|u| u.spec.kind == UserKind::Application) {
        d.access_policies(caller).await?
    } else {
        Vec::new()
    };
    let number = |u: &User| {
        let wanted = |p: &&roster_core::access_policies::AccessPolicy| match u.access_policy {
            Some(id) => p.id == id,
            None => p.default,
        };
        policies.iter().find(wanted).map(|p| p.number)
    };
    Ok(users
        .iter()
        .map(|u| BtUser::new(u, if u.spec.kind == UserKind::Application { number(u) } else { None }))
        .collect())
}

/// Every user matching a filter.
async fn all(d: &Directory, caller: &Caller, text: &str) -> Result<Vec<User>, BtError> {
    super::every(Resource::User, "number", Some(text), |req| d.list_users(caller, req)).await
}

/// A filter string literal.
fn quoted(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// `GET Users` (every user) or `GET Users?username=...` (that one user, 404 when there is none).
/// Other query parameters are accepted and ignored, whatever their case.
pub async fn list(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersRead>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, BtError> {
    let username = q.iter().find(|(k, _)| k.eq_ignore_ascii_case("username")).map(|(_, v)| v.trim());
    let Some(name) = username.filter(|n| !n.is_empty()) else {
        let users = all(&s.directory, &caller, "number gt 0").await?;
        return Ok(axum::Json(shown_all(&s.directory, &caller, &users).await?).into_response());
    };
    let found: Vec<User> = if let Some((domain, account)) = name.split_once('\\') {
        all(&s.directory, &caller, &format!("user_name eq {} and kind eq \"directory\"", quoted(account)))
            .await?
            .into_iter()
            .filter(|u| u.spec.domain_name.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(domain)))
            .collect()
    } else if name.contains('@') {
        let text = format!("user_principal_name eq {} and kind eq \"directory\"", quoted(name));
        let mut by_upn = all(&s.directory, &caller, &text).await?;
        if by_upn.is_empty() {
            by_upn =
                all(&s.directory, &caller, &format!("user_name eq {} and kind ne \"directory\"", quoted(name))).await?;
        }
        by_upn
    } else {
        all(&s.directory, &caller, &format!("user_name eq {} and kind ne \"directory\"", quoted(name))).await?
    };
    match found.first() {
        Some(u) => Ok(axum::Json(shown(&s.directory, u).await?).into_response()),
        None => Err(BtError::new(StatusCode::NOT_FOUND, format!("User {name} not found"))),
    }
}

/// `GET Users/{id}`: one user, by its integer id.
pub async fn get(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersRead>,
    Path(id): Path<String>,
) -> Result<Response, BtError> {
    let user = numbered(&s.directory, &caller, &id).await?;
    Ok(axum::Json(shown(&s.directory, &user).await?).into_response())
}

/// Reads a field of the vendor's body, whatever the case of its name.
fn field<'a>(body: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// The vendor's field rules, each failure named: `Field is required`, `Field must be at most N
/// characters`, ...
pub(super) struct Rules<'a> {
    body: &'a serde_json::Map<String, Value>,
    problems: Vec<String>,
}

impl<'a> Rules<'a> {
    pub(super) fn new(body: &'a serde_json::Map<String, Value>) -> Self {
        Rules { body, problems: Vec::new() }
    }

    pub(super) fn fail(&mut self, problem: String) {
        self.problems.push(problem);
    }

    pub(super) fn text(&mut self, name: &str, required: bool, max: usize) -> Option<String> {
        match field(self.body, name) {
            None | Some(Value::Null) => {
                if required {
                    self.problems.push(format!("{name} is required"));
                }
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() && required => {
                self.problems.push(format!("{name} is required"));
                None
            }
            Some(Value::String(s)) if s.chars().count() > max => {
                self.problems.push(format!("{name} must be at most {max} characters"));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Some(_) => {
                self.problems.push(format!("{name} must be a string"));
                None
            }
        }
    }

    pub(super) fn integer(&mut self, name: &str) -> Option<i64> {
        match field(self.body, name) {
            Some(Value::Number(n)) if n.is_i64() => n.as_i64(),
            None | Some(Value::Null) => {
                self.problems.push(format!("{name} is required"));
                None
            }
            Some(_) => {
                self.problems.push(format!("{name} must be an integer"));
                None
            }
        }
    }

    /// An integer that may be left out (or null).
    pub(super) fn optional_integer(&mut self, name: &str) -> Option<i64> {
        match field(self.body, name) {
            None | Some(Value::Null) => None,
            Some(_) => self.integer(name),
        }
    }

    pub(super) fn boolean(&mut self, name: &str) -> Option<bool> {
        match field(self.body, name) {
            Some(Value::Bool(b)) => Some(*b),
            None | Some(Value::Null) => None,
            Some(_) => {
                self.problems.push(format!("{name} must be true or false"));
                None
            }
        }
    }

    pub(super) fn email(&mut self, name: &str) -> Option<String> {
        let v = self.text(name, true, 255)?;
        let ok = v.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
            && !v.chars().any(char::is_whitespace);
        if !ok {
            self.problems.push(format!("{name} must be a properly formatted email address"));
        }
        Some(v)
    }

    pub(super) fn done(self) -> Result<(), BtError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(BtError::bad_request(self.problems.join("; ")))
        }
    }
}

/// The access policy `AccessPolicyID` names, when it names one.
async fn named_policy(
    d: &roster_core::Directory,
    caller: &roster_core::Caller,
    number: Option<i64>,
) -> Result<Option<uuid::Uuid>, BtError> {
    let Some(number) = number else { return Ok(None) };
    let policy = d.access_policy_numbered(caller, number).await.map_err(|e| match e {
        roster_core::CoreError::NotFound { .. } => {
            BtError::bad_request(format!("AccessPolicyID {number} names no access policy"))
        }
        other => other.into(),
    })?;
    Ok(Some(policy.id))
}

/// The body of `POST Users`: a JSON object.
pub(super) fn object(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, BtError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(BtError::bad_request("the body must be a JSON object")),
        Err(e) => Err(BtError::bad_request(format!("the body is not JSON: {e}"))),
    }
}

/// `POST Users`: a BeyondInsight (local), ActiveDirectory, LdapDirectory or Application user,
/// in no group. Answers 201 with the user (an application user's ClientSecret only here).
pub async fn create(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersWrite>,
    body: axum::body::Bytes,
) -> Result<Response, BtError> {
    let body = object(&body)?;
    let user_type = match field(&body, "UserType") {
        None | Some(Value::Null) => "BeyondInsight".to_owned(),
        Some(Value::String(t)) => t.clone(),
        Some(_) => return Err(BtError::bad_request("UserType must be a string")),
    };
    let d = &s.directory;
    let mut rules = Rules::new(&body);
    let (user, secret) = match user_type.to_ascii_lowercase().as_str() {
        "beyondinsight" => {
            let (spec, password) = local_user(&body)?;
            (d.create_user_with_password(&caller, spec, &password, false).await?, None)
        }
        "application" => {
            let user_name = rules.text("UserName", true, 64);
            let policy = rules.optional_integer("AccessPolicyID");
            rules.done()?;
            let policy = named_policy(d, &caller, policy).await?;
            let spec = UserSpec {
                user_name: user_name.unwrap_or_default(),
                kind: UserKind::Application,
                claims: roster_core::model::empty_object(),
                ..UserSpec::default()
            };
            let (user, secret) = d.create_application_user(&caller, spec, policy).await?;
            (user, Some(secret))
        }
        "activedirectory" => {
            let user_name = rules.text("UserName", true, 64);
            let domain = rules.text("DomainName", true, 250);
            let bind = bind_credentials(&mut rules, true);
            rules.boolean("UseSSL");
            rules.done()?;
            let conn = d.connection_for_domain(&caller, domain.as_deref().unwrap_or_default()).await.map_err(|_| {
                BtError::bad_request(format!(
                    "no directory connection for domain {}; add one under /api/v1/directories",
                    domain.as_deref().unwrap_or_default()
                ))
            })?;
            let lookup = Lookup { bind, account_attribute: None };
            (d.create_directory_user_with(&caller, conn.id, &user_name.unwrap_or_default(), &lookup).await?, None)
        }
        "ldapdirectory" => {
            let host = rules.text("HostName", true, 253);
            let dn = rules.text("DistinguishedName", true, 255);
            let attribute = rules.text("AccountNameAttribute", true, 64);
            let bind = bind_credentials(&mut rules, false);
            let port = match field(&body, "Port") {
                None | Some(Value::Null) => None,
                Some(_) => rules.integer("Port").and_then(|p| u16::try_from(p).ok()),
            };
            rules.boolean("UseSSL");
            rules.done()?;
            let host = host.unwrap_or_default();
            let conn = d.connection_for_host(&caller, &host, port).await.map_err(|_| {
                BtError::bad_request(format!(
                    "no directory connection for host {host}; add one under /api/v1/directories"
                ))
            })?;
            let lookup = Lookup { bind, account_attribute: attribute };
            (d.create_directory_user_with(&caller, conn.id, &dn.unwrap_or_default(), &lookup).await?, None)
        }
        other => {
            return Err(BtError::bad_request(format!(
                "UserType must be BeyondInsight, ActiveDirectory, LdapDirectory or Application, not '{other}'"
            )))
        }
    };
    let mut shown = shown(d, &user).await?;
    if let Some(secret) = secret {
        shown.client_secret = Some(Some(secret));
    }
    Ok((StatusCode::CREATED, axum::Json(shown)).into_response())
}

/// A local user's attributes and password from the vendor's body, every rule checked.
pub(super) fn local_user(body: &serde_json::Map<String, Value>) -> Result<(UserSpec, String), BtError> {
    let mut rules = Rules::new(body);
    let user_name = rules.text("UserName", true, 64);
    let first = rules.text("FirstName", true, 64);
    let last = rules.text("LastName", false, 64);
    let email = rules.email("EmailAddress");
    let password = rules.text("Password", true, 1024);
    rules.done()?;
    let spec = UserSpec {
        user_name: user_name.unwrap_or_default(),
        given_name: first,
        family_name: last,
        email,
        claims: roster_core::model::empty_object(),
        ..UserSpec::default()
    };
    Ok((spec, password.unwrap_or_default()))
}

/// BindUser with its BindPassword (and, for AD, ForestName), when given.
fn bind_credentials(rules: &mut Rules<'_>, forest: bool) -> Option<(String, String)> {
    let user = rules.text("BindUser", false, 255);
    let password = rules.text("BindPassword", false, 1024);
    let forest_name = rules.text("ForestName", false, 300);
    let user = user?;
    if password.is_none() {
        rules.problems.push("BindPassword is required when BindUser is given".into());
    }
    if forest && forest_name.is_none() {
        rules.problems.push("ForestName is required when BindUser is given".into());
    }
    Some((user, password?))
}

/// The user `{id}` of a path, by its integer id; deleted users are not found.
pub(super) async fn numbered(d: &Directory, caller: &Caller, id: &str) -> Result<User, BtError> {
    let number = super::path_number(id)?;
    let user = d.user_numbered(caller, number).await?;
    if user.deleted.is_some() {
        return Err(BtError::new(StatusCode::NOT_FOUND, format!("User {number} not found")));
    }
    Ok(user)
}

/// `PUT Users/{id}`: a local user's name, names, email and (optionally) password, or an
/// application user's name and access policy. Directory users are refused: the directory owns
/// their attributes.
pub async fn update(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersWrite>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, BtError> {
    let d = &s.directory;
    let user = numbered(d, &caller, &id).await?;
    let body = object(&body)?;
    let mut rules = Rules::new(&body);
    // One core operation each: the attributes with the policy or the password, all or nothing.
    let updated = match user.spec.kind {
        UserKind::Directory => return Err(BtError::bad_request("Cannot update ActiveDirectory or LDAP users")),
        UserKind::Application => {
            let user_name = rules.text("UserName", true, 64).unwrap_or_default();
            let policy = rules.optional_integer("AccessPolicyID");
            rules.done()?;
            // Without AccessPolicyID the user keeps the policy it has.
            let policy = named_policy(d, &caller, policy).await?;
            let alongside = Alongside { access_policy: policy.map(Some), ..Alongside::default() };
            d.edit_user_with(&caller, user.id, Edit::alongside(alongside), |spec| {
                Ok(UserSpec { user_name: user_name.clone(), ..spec.clone() })
            })
            .await?
        }
        UserKind::Local => {
            let user_name = rules.text("UserName", true, 64).unwrap_or_default();
            let first = rules.text("FirstName", true, 64);
            let last = rules.text("LastName", false, 64);
            let email = rules.email("EmailAddress");
            let password = rules.text("Password", false, 1024);
            rules.done()?;
            let alongside = Alongside { password: password.map(|p| (p, false)), ..Alongside::default() };
            d.edit_user_with(&caller, user.id, Edit::alongside(alongside), |spec| {
                Ok(UserSpec {
                    user_name: user_name.clone(),
                    given_name: first.clone(),
                    family_name: last.clone(),
                    email: email.clone(),
                    ..spec.clone()
                })
            })
            .await?
        }
    };
    Ok(axum::Json(shown(d, &updated).await?).into_response())
}

/// `DELETE Users/{id}`: removes the user for good (refused while it is the only owner of a
/// secret; a co-owner leaves its secrets to the others).
pub async fn delete(
    State(s): State<AppState>,
    Session(caller, _): Session<UsersWrite>,
    Path(id): Path<String>,
) -> Result<Response, BtError> {
    let user = numbered(&s.directory, &caller, &id).await?;
    s.directory.delete_user(&caller, user.id, None).await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST Users/{id}/Quarantine`: the user can no longer sign in, and its sessions and tokens
/// stop working at once. Answers 201 with the user, as the vendor's server does.
pub async fn quarantine(
    State(s): State<AppState>,
    Session(caller, _): Session<Quarantine>,
    Path(id): Path<String>,
) -> Result<Response, BtError> {
    let d = &s.directory;
    let user = numbered(d, &caller, &id).await?;
    let user = d
        .edit_user(&caller, user.id, None, |spec| {
            Ok(UserSpec { status: roster_core::model::UserStatus::Quarantined, inactive_reason: None, ..spec.clone() })
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(shown(d, &user).await?)).into_response())
}

/// `POST Users/{id}/RecycleClientSecret`: a new secret for an application user, answered as a
/// JSON string (201); the old one stops working. The user itself may recycle its own.
pub async fn recycle_client_secret(
    State(s): State<AppState>,
    Session(caller, _): Session<super::auth::Anyone>,
    Path(id): Path<String>,
) -> Result<Response, BtError> {
    let d = &s.directory;
    let user = numbered(d, &caller, &id).await?;
    if caller.user_id != Some(user.id) {
        caller.require(roster_core::access::Permission::UsersWrite)?;
    }
    if user.spec.kind != UserKind::Application {
        return Err(BtError::bad_request("Only application users have a client secret"));
    }
    let (_, secret) = d.rotate_client_secret(&caller, user.id).await?;
    Ok((StatusCode::CREATED, axum::Json(secret)).into_response())
}
