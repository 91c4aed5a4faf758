//! `GET /multipleusers` and `GET /invites`: whole lists, as the vendor answers them, written page
//! by page as a streamed JSON array, so memory stays one page deep however large the tenant.
//! Each page of users costs three queries (the users, their direct groups, their devices).

use super::auth::Key;
use super::errors::AtError;
use super::params::Params;
use super::wire::{time, AtInvite, AtUser};
use crate::need::UsersRead;
use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use roster_core::directory::{ListRequest, UserWalk};
use roster_core::filter::{attr_test, CmpOp, Filter};
use roster_core::model::User;
use roster_core::page::Sort;
use roster_core::schema::Resource;
use roster_core::{Caller, CoreError, Directory};
use std::collections::HashMap;
use uuid::Uuid;

const PAGE: u32 = 500;

/// How one user is written into the array.
#[derive(Clone, Copy)]
enum Shape {
    User { email_in_name: bool },
    Invite,
}

/// One page of users rendered as JSON array elements joined by commas.
async fn render(d: &Directory, caller: &Caller, users: &[User], shape: Shape) -> Result<Vec<u8>, CoreError> {
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let names = d.direct_groups(caller, &ids).await?;
    let devices: HashMap<Uuid, roster_core::model::Time> = match shape {
        Shape::User { .. } => d.newest_devices(caller, &ids).await?.into_iter().collect(),
        Shape::Invite => HashMap::new(),
    };
    let mut groups: HashMap<Uuid, Vec<[&str; 1]>> = HashMap::new();
    for (user, _, name) in &names {
        groups.entry(*user).or_default().push([name.as_str()]);
    }
    let mut out = Vec::with_capacity(users.len() * 400);
    for (i, u) in users.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let g = groups.remove(&u.id).unwrap_or_default();
        let written = match shape {
            Shape::User { email_in_name } => {
                serde_json::to_writer(&mut out, &AtUser::new(u, g, devices.get(&u.id).copied(), email_in_name))
            }
            Shape::Invite => serde_json::to_writer(&mut out, &invite(u, g)),
        };
        written.map_err(|e| CoreError::Internal(e.to_string()))?;
    }
    Ok(out)
}

fn invite<'a>(u: &'a User, groups: Vec<[&'a str; 1]>) -> AtInvite<'a> {
    AtInvite {
        email: u.spec.email.as_deref(),
        email_id: u.number,
        user_id: u.number,
        created: time(u.created),
        expires: u.invitation_expires.map(time),
        groups,
    }
}

/// What the stream still has to write: the rest of the walk, and whether an element was
/// written already (so the next one needs a comma).
struct Rest {
    walk: UserWalk,
    wrote: bool,
    d: Directory,
    caller: Caller,
    shape: Shape,
}

/// The users `filter` selects, by number, as a streamed JSON array. The first page is read
/// before answering, so a failure there is an error answer; a later failure cuts the stream
/// short (the client sees malformed JSON, never a truncated list that looks whole).
async fn stream(d: Directory, caller: Caller, filter: Filter, shape: Shape) -> Result<Response, AtError> {
    let req = ListRequest::first(Some(filter), Sort::parse(Some("number"), Resource::User)?, PAGE);
    let mut walk = d.walk_users(&caller, req);
    let first = walk.next().await?.unwrap_or_default();
    let mut head = vec![b'['];
    head.extend(render(&d, &caller, &first, shape).await?);
    let rest = Rest { walk, wrote: !first.is_empty(), d, caller, shape };
    let tail = futures::stream::unfold(Some(rest), |state| async move {
        let mut r = state?;
        match r.walk.next().await {
            Ok(Some(users)) => match render(&r.d, &r.caller, &users, r.shape).await {
                Ok(items) => {
                    let mut chunk = Vec::with_capacity(items.len() + 1);
                    if r.wrote && !items.is_empty() {
                        chunk.push(b',');
                    }
                    r.wrote |= !items.is_empty();
                    chunk.extend(items);
                    Some((Ok(chunk), Some(r)))
                }
                Err(e) => Some((Err(cut_short(e)), None)),
            },
            Ok(None) => Some((Ok(b"]".to_vec()), None)),
            Err(e) => Some((Err(cut_short(e)), None)),
        }
    });
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) }).chain(tail);
    Ok(([(header::CONTENT_TYPE, "application/json")], axum::body::Body::from_stream(body)).into_response())
}

fn cut_short(e: CoreError) -> std::io::Error {
    tracing::error!(cause = %e, "a streamed user list failed after its first page");
    std::io::Error::other("the list could not be completed")
}

/// `GET /multipleusers`: every user of the organisation (`user_tag=GUEST`: every guest).
pub async fn users(State(s): State<AppState>, Key(caller, _): Key<UsersRead>, p: Params) -> Result<Response, AtError> {
    p.only(&["email", "user_tag"])?;
    let email_in_name = p.flag("email")?;
    let guests = match p.has("user_tag").then(|| p.text("user_tag")).transpose()?.map(|t| t.to_ascii_uppercase()) {
        None => false,
        Some(t) if t == "USER" => false,
        Some(t) if t == "GUEST" => true,
        Some(_) => return Err(AtError::bad_request("user_tag must be GUEST or USER")),
    };
    let filter = attr_test(Resource::User, "guest", CmpOp::Eq, &[if guests { "true" } else { "false" }])
        .map_err(CoreError::from)?;
    stream(s.directory.clone(), caller, filter, Shape::User { email_in_name }).await
}

/// `GET /invites`: the pending invitations.
pub async fn invites(
    State(s): State<AppState>,
    Key(caller, _): Key<UsersRead>,
    p: Params,
) -> Result<Response, AtError> {
    p.only(&[])?;
    let filter = attr_test(Resource::User, "status", CmpOp::Eq, &["invited"]).map_err(CoreError::from)?;
    stream(s.directory.clone(), caller, filter, Shape::Invite).await
}
