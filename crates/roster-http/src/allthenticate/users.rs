//! The Users endpoints that act on one user, found by `email_id` (its per-tenant number) or,
//! when deleting, by `email`: computer user names, rank, smartcards, guest promotion,
//! suspension, and reading or removing the user.

use super::auth::Key;
use super::errors::AtError;
use super::params::{entry_fields, entry_text, Params};
use super::wire::{success, who, AtSmartcard};
use crate::need::{CredentialsWrite, UsersRead, UsersWrite};
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use roster_core::access::Rank;
use roster_core::directory::ListRequest;
use roster_core::filter::{attr_test, CmpOp};
use roster_core::model::{User, UserStatus};
use roster_core::page::Sort;
use roster_core::schema::Resource;
use roster_core::workstations::Smartcard;
use roster_core::{Caller, CoreError, Directory};

/// The user numbered `n`, while it is in the organisation.
async fn numbered(d: &Directory, caller: &Caller, n: i64) -> Result<User, AtError> {
    match d.user_numbered(caller, n).await {
        Ok(u) if u.deleted.is_none() => Ok(u),
        Ok(_) | Err(CoreError::NotFound { .. }) => Err(AtError::no_user()),
        Err(e) => Err(e.into()),
    }
}

/// The user named by the `email_id` parameter.
pub async fn of_email_id(d: &Directory, caller: &Caller, p: &Params, name: &str) -> Result<User, AtError> {
    numbered(d, caller, p.id(name)?).await
}

/// The user holding an email (in any case), while it is in the organisation.
pub async fn with_email(d: &Directory, caller: &Caller, email: &str) -> Result<User, AtError> {
    let test = attr_test(Resource::User, "email", CmpOp::Eq, &[email]).map_err(CoreError::from)?;
    let req = ListRequest::first(Some(test), Sort::parse(None, Resource::User)?, 1);
    d.list_users(caller, req).await?.items.into_iter().next().ok_or_else(AtError::no_user)
}

/// `POST /modifyallusernames`: replaces the user's computer user names.
pub async fn set_computer_user_names(
    State(s): State<AppState>,
    Key(caller, _): Key<UsersWrite>,
    p: Params,
) -> Result<Response, AtError> {
    p.only(&["email_id", "computer_usernames"])?;
    let user = of_email_id(&s.directory, &caller, &p, "email_id").await?;
    let names = p
        .list("computer_usernames")?
        .iter()
        .enumerate()
        .map(|(i, e)| {
            entry_fields("computer_usernames", i, e, &["computer_username"])?;
            entry_text("computer_usernames", i, e, "computer_username", true).map(Option::unwrap_or_default)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let names = s.directory.set_computer_user_names(&caller, user.id, names).await?;
    Ok(success(format!("The computer usernames of {} are now: {}", who(&user), names.join(", "))))
}

/// `POST /modifyrank`: REGULAR, ADMIN or SUPER, through the core's ranks.
pub async fn set_rank(
    State(s): State<AppState>,
    Key(caller, _): Key<UsersWrite>,
    p: Params,
) -> Result<Response, AtError> {
    p.only(&["admin_user_id", "rank"])?;
    let rank = match p.text("rank")?.to_ascii_uppercase().as_str() {
        "REGULAR" => Rank::Regular,
        "ADMIN" => Rank::Admin,
        "SUPER" => Rank::Super,
        _ => return Err(AtError::bad_request("rank must be REGULAR, ADMIN or SUPER")),
    };
    let user = of_email_id(&s.directory, &caller, &p, "admin_user_id").await?;
    let rank = s.directory.set_rank(&caller, user.id, rank).await.map_err(|e| match e {
        CoreError::Forbidden => AtError::bad_request("Only a SUPER admin can make or demote an ADMIN or SUPER"),
        other => other.into(),
    })?;
    Ok(success(format!("The rank of {} is now {}", who(&user), rank_name(rank))))
}

fn rank_name(rank: Rank) -> &'static str {
    match rank {
        Rank::Regular => "REGULAR",
        Rank::Admin => "ADMIN",
        Rank::Super => "SUPER",
    }
}

/// `GET /modifysmartcard`: the user's smartcards.
pub async fn smartcards(
    State(s): State<AppState>,
    Key(caller, _): Key<UsersRead>,
    p: Params,
) -> Result<Response, AtError> {
    p.only(&["email_id"])?;
    let user = of_email_id(&s.directory, &caller, &p, "email_id").await?;
    let cards = s.directory.smartcards(&caller, user.id).await?;
    let cards: Vec<AtSmartcard> = cards.iter().map(AtSmartcard::from).collect();
    Ok(axum::Json(serde_json::json!({ "email_id": user.number, "smartcards": cards })).into_response())
}

/// Smartcards as a request's `smartcards` list gives them.
pub fn cards_of(items: Vec<serde_json::Value>) -> Result<Vec<Smartcard>, AtError> {
    items
        .iter()
        .enumerate()
        .map(|(i, e)| {
            entry_fields("smartcards", i, e, &["number", "label"])?;
            Ok(Smartcard {
                number: entry_text("smartcards", i, e, "number", true)?.unwrap_or_default(),
                label: entry_text("smartcards", i, e, "label", false)?,
            })
        })
        .collect()
}

/// `POST /modifysmartcard`: replaces the user's smartcards.
pub async fn set_smartcards(
    State(s): State<AppState>,
    Key(caller, _): Key<CredentialsWrite>,
    p: Params,
) -> Result<Response, AtError> {
    p.only(&["email_id", "smartcards", "allow_duplicates"])?;
    let user = of_email_id(&s.directory, &caller, &p, "email_id").await?;
    let cards = cards_of(p.list("smartcards")?)?;
    let allow = p.flag("allow_duplicates")?;
    let cards = s.directory.set_smartcards(&caller, user.id, cards, allow).await?;
    Ok(success(format!("{} now holds {} smartcard(s)", who(&user), cards.len())))
}

/// `POST /promoteguest`: GUEST to USER.
pub async fn promote_guest(
    State(s): State<AppState>,
    Key(caller, _): Key<UsersWrite>,
    p: Params,
) -> Result<Response, AtError> {
    p.only(&["email_id"])?;
    let user = of_email_id(&s.directory, &caller, &p, "email_id").await?;
    let user = s.directory.promote_guest(&caller, user.id).await?;
    Ok(success(format!("{} was promoted from GUEST to USER", who(&user))))
}

/// `POST /togglesuspension`: ACTIVE to SUSPENDED and back (suspension ends every session).
pub async fn toggle_suspension(
    State(s): State<AppState>,
    Key(caller, _): Key<UsersWrite>,
    p: Params,
) -> Result<Response, AtError> {
    p.only(&["email_id"])?;
    let user = of_email_id(&s.directory, &caller, &p, "email_id").await?;
    let user = s.directory.toggle_suspension(&caller, user.id).await?;
    let state = if user.spec.status == UserStatus::Suspended { "SUSPENDED" } else { "ACTIVE" };
    Ok(success(format!("{} is now {state}", who(&user))))
}

/// `GET /user`: the user's policies, computer user names and smartcards.
pub async fn get(State(s): State<AppState>, Key(caller, _): Key<UsersRead>, p: Params) -> Result<Response, AtError> {
    p.only(&["email_id"])?;
    let d = &s.directory;
    let user = of_email_id(d, &caller, &p, "email_id").await?;
    let policies = d.user_access_policies(&caller, user.id).await?;
    let names = d.computer_user_names(&caller, user.id).await?;
    let cards = d.smartcards(&caller, user.id).await?;
    let policies: Vec<[&str; 1]> = policies.iter().map(|p| [p.spec.name.as_str()]).collect();
    let cards: Vec<AtSmartcard> = cards.iter().map(AtSmartcard::from).collect();
    Ok(axum::Json(serde_json::json!({
        "policies": policies,
        "computer_usernames": names,
        "smartcards": cards,
    }))
    .into_response())
}

/// `DELETE /user`: removes the user from the organisation (by `email_id`, else `email`).
pub async fn delete(
    State(s): State<AppState>,
    Key(caller, _): Key<UsersWrite>,
    p: Params,
) -> Result<Response, AtError> {
    p.only(&["email_id", "email"])?;
    let d = &s.directory;
    let user = if p.has("email_id") {
        of_email_id(d, &caller, &p, "email_id").await?
    } else if p.has("email") {
        with_email(d, &caller, &p.text("email")?).await?
    } else {
        return Err(AtError::bad_request("email_id or email is required"));
    };
    let user = d.remove_from_organisation(&caller, user.id).await?;
    Ok(success(format!(
        "User {}/{} was successfully deleted from your organization.",
        user.spec.email.as_deref().unwrap_or_default(),
        user.spec.user_name
    )))
}
