//! The vendor's invitation endpoints, so users can join through this API: `PUT /invites`
//! invites by email (with groups and smartcards, mailed through the outbox unless `no_email`),
//! `POST /invites` sends one again. `GET /invites` is in `listing`; an invitation is withdrawn by
//! `DELETE /user`.

use super::auth::Key;
use super::errors::AtError;
use super::params::Params;
use super::users::{cards_of, with_email};
use super::wire::success;
use crate::need::UsersWrite;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use roster_core::directory::ListRequest;
use roster_core::enrollment::MAX_INVITATION_GROUPS;
use roster_core::filter::{attr_test, CmpOp};
use roster_core::page::Sort;
use roster_core::schema::Resource;
use roster_core::CoreError;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// The strings of a list parameter (`name[i]` names an entry that is not one).
fn strings(p: &Params, name: &str, required: bool) -> Result<Vec<String>, AtError> {
    let items = if required { p.list(name)? } else { p.opt_list(name)? };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s),
            _ => Err(AtError::bad_request(format!("{name}[{i}] must be a string"))),
        })
        .collect()
}

/// `PUT /invites`: invites every address given, all or none.
pub async fn create(
    State(s): State<AppState>,
    Key(caller, _): Key<UsersWrite>,
    p: Params,
) -> Result<Response, AtError> {
    p.only(&["emails", "smartcards", "groups", "no_email", "allow_duplicates"])?;
    let d = &s.directory;
    let emails = strings(&p, "emails", true)?;
    let cards = cards_of(p.opt_list("smartcards")?)?;
    let names = strings(&p, "groups", false)?;
    if names.len() > MAX_INVITATION_GROUPS {
        return Err(AtError::bad_request(format!("groups: at most {MAX_INVITATION_GROUPS} names")));
    }
    let mut groups = Vec::with_capacity(names.len());
    if !names.is_empty() {
        // One query for every name (names compare in any case).
        let wanted: Vec<&str> = names.iter().map(String::as_str).collect();
        let test = attr_test(Resource::Group, "name", CmpOp::Eq, &wanted).map_err(CoreError::from)?;
        let req = ListRequest::first(Some(test), Sort::parse(None, Resource::Group)?, MAX_INVITATION_GROUPS as u32);
        let found: HashMap<String, Uuid> =
            d.list_groups(&caller, req).await?.items.into_iter().map(|g| (g.spec.name.to_lowercase(), g.id)).collect();
        for (i, name) in names.iter().enumerate() {
            let id = found.get(&name.to_lowercase());
            groups.push(*id.ok_or_else(|| AtError::bad_request(format!("groups[{i}]: no group is named {name}")))?);
        }
    }
    let send = !p.flag("no_email")?;
    let users = d.invite_many(&caller, &emails, &groups, (cards, p.flag("allow_duplicates")?), send).await?;
    let list: Vec<&str> = users.iter().filter_map(|u| u.spec.email.as_deref()).collect();
    let how = if send { "invited by email" } else { "invited (no email sent)" };
    Ok(success(format!("{} user(s) {how}: {}", users.len(), list.join(", "))))
}

/// `POST /invites`: sends a pending invitation again, with a fresh link.
pub async fn resend(
    State(s): State<AppState>,
    Key(caller, _): Key<UsersWrite>,
    p: Params,
) -> Result<Response, AtError> {
    p.only(&["email"])?;
    let user = with_email(&s.directory, &caller, &p.text("email")?).await?;
    s.directory.resend_invitation(&caller, user.id).await?;
    Ok(success(format!("The invitation was sent again to {}", user.spec.email.as_deref().unwrap_or_default())))
}
