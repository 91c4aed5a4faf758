//! Users described by their claims and their identity at an external authentication provider:
//! creating them, searching them by deep-subset claims, listing their credentials, and the
//! step-by-step (START / SUCCESS / FAIL) events of faces that report operations that way.

use crate::directory::{to_page, Caller, Directory, ListRequest};
use crate::error::CoreError;
use crate::events::{EventData, EventType, Outcome};
use crate::filter::{CmpOp, Cond, Filter, Target, Value};
use crate::model::{FederatedIdentity, Time, User, UserSpec};
use crate::page::{self, After, ListQuery, Page, Sort};
use crate::schema::Resource;
use crate::validate;
use serde::Serialize;
use std::future::Future;
use uuid::Uuid;

/// What a user search asks for; every part is optional and all given parts must hold.
#[derive(Debug, Clone, Default)]
pub struct UserSearch {
    /// A JSON object the user's claims must contain as a deep subset.
    pub claims: Option<serde_json::Value>,
    /// Parts of the user's federated identity that must be equal.
    pub provider_id: Option<String>,
    pub provider_url: Option<String>,
    pub subject_id: Option<String>,
}

impl UserSearch {
    /// The search as one filter (None: every user).
    pub fn filter(&self) -> Result<Option<Filter>, CoreError> {
        let mut parts = Vec::new();
        if let Some(c) = &self.claims {
            validate::claims_criteria("claims", c)?;
            parts.extend(crate::claims::contains_filter(c));
        }
        for (attr, value) in [
            ("federated_provider_id", &self.provider_id),
            ("federated_url", &self.provider_url),
            ("federated_subject_id", &self.subject_id),
        ] {
            if let Some(v) = value {
                if v.contains('\0') {
                    return Err(CoreError::invalid(attr, "must not contain the NUL character"));
                }
                let attr =
                    Resource::User.attr(attr).ok_or_else(|| CoreError::Internal(format!("no attribute {attr}")))?;
                parts.push(Filter::Test {
                    target: Target::Attr(attr),
                    cond: Cond::Cmp(CmpOp::Eq, Value::Text(v.clone())),
                });
            }
        }
        Ok(Filter::all(parts))
    }
}

/// What kind of credential a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    Password,
    DeviceKey,
    ClientSecret,
}
crate::model::str_enum!(CredentialKind {
    Password => "password", DeviceKey => "device_key", ClientSecret => "client_secret",
});

/// The metadata of one credential a user holds (never the secret or key itself).
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialRecord {
    /// The credential's id; a client secret, one per application user, has the user's id.
    pub id: Uuid,
    pub kind: CredentialKind,
    /// A device's name.
    pub name: Option<String>,
    /// A device key's algorithm.
    pub algorithm: Option<String>,
    pub created: Time,
    pub last_used: Option<Time>,
}

impl crate::directory::SortKey for CredentialRecord {
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, _: &str) -> Value {
        Value::Time(self.created)
    }
}

/// An operation reported step by step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traced {
    Create,
    Retrieve,
    Update,
    Delete,
    Credentials,
}

impl Traced {
    fn events(self) -> [EventType; 3] {
        use EventType::*;
        match self {
            Traced::Create => [UserCreateStart, UserCreateSuccess, UserCreateFail],
            Traced::Retrieve => [UserRetrieveStart, UserRetrieveSuccess, UserRetrieveFail],
            Traced::Update => [UserUpdateStart, UserUpdateSuccess, UserUpdateFail],
            Traced::Delete => [UserDeleteStart, UserDeleteSuccess, UserDeleteFail],
            Traced::Credentials => {
                [UserCredentialsRetrieveStart, UserCredentialsRetrieveSuccess, UserCredentialsRetrieveFail]
            }
        }
    }
}

/// What a traced operation's SUCCESS event can say about its result.
pub trait TraceResult {
    fn subject(&self) -> Option<Uuid>;
    fn returned(&self) -> Option<usize> {
        None
    }
}

impl TraceResult for User {
    fn subject(&self) -> Option<Uuid> {
        Some(self.id)
    }
}

impl TraceResult for () {
    fn subject(&self) -> Option<Uuid> {
        None
    }
}

impl<T> TraceResult for Page<T> {
    fn subject(&self) -> Option<Uuid> {
        None
    }
    fn returned(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The created-time order of user listings, oldest first.
fn by_creation() -> Result<Sort, CoreError> {
    Sort::parse(Some("created"), Resource::User)
}

impl Directory {
    /// Runs `op` and records its START event (dated when the request began) and its SUCCESS or
    /// FAIL event, in one write after it, so a read costs one write and not two (reads only when
    /// `read_events` is on, as for listings). These are
    /// reports, written outside the operation's transaction; the operation's own change event is
    /// written with its change, as always.
    pub async fn traced<T: TraceResult>(
        &self,
        caller: &Caller,
        kind: Traced,
        subject: Option<Uuid>,
        op: impl Future<Output = Result<T, CoreError>>,
    ) -> Result<T, CoreError> {
        if !self.read_events && matches!(kind, Traced::Retrieve | Traced::Credentials) {
            return op.await;
        }
        let [start, success, fail] = kind.events();
        let data = |id, returned, reason| EventData::Operation { resource: "user", id, returned, reason };
        let first = caller.event(start, data(subject, None, None));
        let result = op.await;
        let last = match &result {
            Ok(v) => caller.event(success, data(v.subject().or(subject), v.returned(), None)),
            Err(e) => caller.event(fail, data(subject, None, Some(e.to_string()))).outcome(Outcome::of(e)),
        };
        self.store.record_events(&[first, last]).await?;
        result
    }

    /// Creates a user known by its claims (and optionally its federated identity) alone: its
    /// user name is its id, which is what such faces show.
    pub async fn create_described_user(
        &self,
        caller: &Caller,
        claims: serde_json::Value,
        federated_identity: Option<FederatedIdentity>,
    ) -> Result<User, CoreError> {
        let id = Uuid::now_v7();
        let spec = UserSpec { user_name: id.to_string(), claims, federated_identity, ..UserSpec::default() };
        self.create_user_as(caller, id, spec).await
    }

    /// A live user: soft-deleted users are not found, for faces that know no deletion but the final one.
    pub async fn live_user(&self, caller: &Caller, id: Uuid) -> Result<User, CoreError> {
        match self.user(caller, id).await? {
            u if u.deleted.is_none() => Ok(u),
            _ => Err(CoreError::NotFound { what: "user" }),
        }
    }

    /// Deletes a live user for good, with everything kept about it.
    pub async fn purge_live_user(&self, caller: &Caller, id: Uuid) -> Result<(), CoreError> {
        self.live_user(caller, id).await?;
        self.delete_user(caller, id, None).await
    }

    /// Replaces a live user's claims, leaving everything else as it is.
    pub async fn replace_claims(
        &self,
        caller: &Caller,
        id: Uuid,
        claims: serde_json::Value,
    ) -> Result<User, CoreError> {
        self.live_user(caller, id).await?;
        self.edit_user(caller, id, None, |spec| Ok(UserSpec { claims: claims.clone(), ..spec.clone() })).await
    }

    /// Live users matching a search, oldest first, a page at a time; recorded as a search
    /// (USER_SEARCH_*) even when it asks for nothing in particular.
    pub async fn search_users(
        &self,
        caller: &Caller,
        search: &UserSearch,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<Page<User>, CoreError> {
        let filter = search.filter();
        let text = filter.as_ref().ok().and_then(|f| f.as_ref()).map(|f| format!("{f:?}"));
        let page = async {
            let req = ListRequest {
                filter: filter?,
                sort: by_creation()?,
                limit,
                cursor,
                offset: 0,
                count: false,
                deleted: Default::default(),
            };
            self.user_page(caller, req).await
        }
        .await;
        self.record_listing(
            caller,
            EventType::listing(false, true),
            "users",
            text,
            page.as_ref().map(|p| p.items.len()),
        )
        .await?;
        page
    }

    /// Live users, oldest first, a page at a time.
    pub async fn users_by_creation(
        &self,
        caller: &Caller,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<Page<User>, CoreError> {
        let req = ListRequest {
            filter: None,
            sort: by_creation()?,
            limit,
            cursor,
            offset: 0,
            count: false,
            deleted: Default::default(),
        };
        self.list_users(caller, req).await
    }

    /// The metadata of a live user's credentials (current password, device keys, client secret),
    /// oldest first, a page at a time.
    pub async fn user_credentials(
        &self,
        caller: &Caller,
        user: Uuid,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<CredentialRecord>, CoreError> {
        self.live_user(caller, user).await?;
        let sort = by_creation()?;
        // The cursor is bound to the user whose credentials it pages.
        let fp = format!("credentials:{user}");
        let after: Option<After> = cursor.map(|c| page::decode_cursor(c, &sort, &fp)).transpose()?;
        let query =
            ListQuery { filter: None, sort, limit, after, offset: 0, count: false, deleted: Default::default() };
        let rows = self.store.list_credentials(caller.tenant_id, user, &query).await?;
        Ok(to_page(&query, &fp, rows))
    }
}
