//! The directory service: every operation a face may call, with its rules, over the storage port.

use crate::access::{self, Permission, Permissions};
use crate::apikey;
use crate::authz::Action;
use crate::error::CoreError;
use crate::events::{
    self, ActorType, Event, EventActor, EventData, EventType, GroupData, KeyData, Outcome, PrincipalData, RequestMeta,
    TenantData, UserData,
};
use crate::filter::{Filter, Value};
use crate::model::UserStatus;
use crate::model::{
    self, Actor, ApiKey, Deleted, Depth, Group, GroupSpec, MemberRef, Principal, PrincipalKind, Tenant, Time, User,
    UserSpec,
};
use crate::page::{self, After, ListQuery, Page, Rows, Sort};
use crate::password::PasswordHasher;
use crate::schema::AttrType;
use crate::store::{Departure, ExpectedVersion, Guard, NewPassword, Store, UserWrite};
use crate::token::{TokenService, TokenSettings};
use crate::validate;
use std::sync::Arc;
use uuid::Uuid;

/// Who is calling: fixed by the credential, and the only source of the tenant an operation acts
/// in and of what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant_id: Uuid,
    pub api_key_id: Option<Uuid>,
    /// The signed-in user, for callers with a user's token.
    pub user_id: Option<Uuid>,
    /// The session of that token.
    pub session_id: Option<Uuid>,
    /// The roles the credential holds (a key has one; a user its own and its groups').
    pub roles: Vec<String>,
    pub permissions: Permissions,
    /// In an impersonation session, who really acts; the user is `user_id`.
    pub actor: Option<Actor>,
    /// Who the audit trail names as acting.
    pub who: EventActor,
    /// The signed-in user must choose a new password; until then it holds only `password:change`.
    pub must_change_password: bool,
    /// The request this call serves.
    pub request: RequestMeta,
}

impl Caller {
    /// An operator acting on a tenant from the command line, with every permission.
    pub fn operator(tenant_id: Uuid) -> Caller {
        Caller {
            tenant_id,
            api_key_id: None,
            user_id: None,
            session_id: None,
            roles: vec![SUPER_ROLE.into()],
            permissions: Permissions::of(&Permission::ALL),
            actor: None,
            who: EventActor::fixed(ActorType::Operator, tenant_id, "operator"),
            request: RequestMeta::internal(),
            must_change_password: false,
        }
    }

    /// Roster itself applying a rule in a tenant (a lockout), on behalf of a request.
    pub fn system(tenant_id: Uuid, request: &RequestMeta) -> Caller {
        Caller {
            who: EventActor::fixed(ActorType::System, tenant_id, "roster"),
            request: request.clone(),
            ..Caller::operator(tenant_id)
        }
    }

    /// The caller, serving a request.
    pub fn serving(mut self, request: RequestMeta) -> Caller {
        self.request = request;
        self
    }

    /// A successful event of this caller's request.
    pub fn event(&self, event_type: EventType, data: EventData) -> Event {
        let mut e = Event::new(self.tenant_id, &self.request, self.who.clone(), event_type, data);
        e.impersonator = self.actor;
        e
    }

    /// The event of this caller changing one of a user's credentials (a password, a client secret).
    pub(crate) fn credential_event(&self, user: UserData, credential: &'static str, action: &'static str) -> Event {
        self.event(EventType::CredentialChange, EventData::CredentialChange { user, credential, action, device: None })
    }

    /// Refuses unless the caller holds the permission (acting on oneself includes changing
    /// one's own password).
    pub fn require(&self, p: Permission) -> Result<(), CoreError> {
        let implied = p == Permission::PasswordChange && self.permissions.contains(Permission::SelfService);
        if self.permissions.contains(p) || implied {
            Ok(())
        } else if self.must_change_password {
            Err(CoreError::PasswordMustChange)
        } else {
            Err(CoreError::Forbidden)
        }
    }
}

/// A listing as a face asks for it, before the cursor is checked against it.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub filter: Option<Filter>,
    pub sort: Sort,
    pub limit: u32,
    pub cursor: Option<String>,
    /// Rows to skip before the page (for faces that page by offset); not with a cursor.
    pub offset: u32,
    pub count: bool,
    pub deleted: Deleted,
}

/// A whole listing of users, page by page (see [`Directory::walk_users`]).
pub struct UserWalk {
    directory: Directory,
    caller: Caller,
    req: ListRequest,
    read: usize,
    done: bool,
}

impl UserWalk {
    /// The next page of users; None once every page was read.
    pub async fn next(&mut self) -> Result<Option<Vec<User>>, CoreError> {
        if self.done {
            return Ok(None);
        }
        let page = self.directory.user_page(&self.caller, self.req.clone()).await;
        let last = page.as_ref().map_or(true, |p| p.next_cursor.is_none());
        if last {
            self.done = true;
            let kinds = EventType::listing(false, self.req.filter.is_some());
            let filter = self.req.filter.as_ref().map(|f| format!("{f:?}"));
            let read = page.as_ref().map(|p| self.read + p.items.len());
            self.directory.record_listing(&self.caller, kinds, "users", filter, read).await?;
        }
        let page = page?;
        self.read += page.items.len();
        self.req.cursor = page.next_cursor;
        Ok(Some(page.items))
    }
}

impl ListRequest {
    /// The first `limit` records a filter selects, in a sort, deleted ones left out: what a face
    /// asks when it looks something up or reads a listing whole.
    pub fn first(filter: Option<Filter>, sort: Sort, limit: u32) -> ListRequest {
        ListRequest { filter, sort, limit, cursor: None, offset: 0, count: false, deleted: Deleted::Exclude }
    }
}

/// How many times an unconditional edit is retried when a concurrent writer got in first.
/// How a change to a user is made.
#[derive(Debug, Default)]
pub struct Edit {
    pub(crate) expected: ExpectedVersion,
    /// Only the directory path may change what a directory user takes from its account.
    pub(crate) from_directory: bool,
    pub(crate) alongside: Alongside,
}

impl Edit {
    /// A change that also sets what `alongside` carries.
    pub fn alongside(alongside: Alongside) -> Edit {
        Edit { alongside, ..Edit::default() }
    }
}

/// What a change to a user's attributes also sets, in the same transaction.
#[derive(Default)]
pub struct Alongside {
    /// A new password, and whether the user must change it at its next sign-in.
    pub password: Option<(String, bool)>,
    /// A new access policy (None inside: back to the default); outer None keeps the one it has.
    pub access_policy: Option<Option<Uuid>>,
}

impl std::fmt::Debug for Alongside {
    // Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alongside")
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("access_policy", &self.access_policy)
            .finish()
    }
}

const EDIT_RETRIES: usize = 64;
/// A key's last-used time is written at most this often, so authentication is not a write per request.
const TOUCH_INTERVAL_MS: i64 = 60_000;

pub const DEFAULT_TENANT: &str = "default";
/// Why the members of a directory-backed group cannot be edited by hand.
const DIRECTORY_MEMBERS: &str =
    "the members of this group follow a directory group; change them in the directory, or unlink the group";
/// The role of the bootstrap key and of operators: it can make every other key.
pub const SUPER_ROLE: &str = "super-admin";

#[derive(Clone)]
pub struct Directory {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) tokens: Arc<dyn TokenService>,
    pub(crate) token_settings: Arc<TokenSettings>,
    /// A hash verified for sign-ins of unknown users, so they take as long as known ones.
    pub(crate) dummy_hash: Arc<std::sync::OnceLock<String>>,
    /// Whether listings of users and groups record their START/SUCCESS/FAIL events.
    pub(crate) read_events: bool,
    /// Links, message limits and delivery retries.
    pub(crate) mail: Arc<crate::mail::MailSettings>,
    /// Reaches LDAP and AD servers, for directory connections.
    pub(crate) connector: Option<Arc<dyn crate::connectors::Connector>>,
    /// Encrypts the secrets Roster must read back (directory bind passwords).
    pub(crate) sealer: Option<Arc<dyn crate::connectors::Sealer>>,
    /// The buckets of the routes anyone may call.
    pub(crate) throttle: Arc<crate::throttle::Throttle>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory").field("backend", &self.store.backend()).finish()
    }
}

/// The value a record holds for a sort attribute, as the store compares it.
pub(crate) trait SortKey {
    fn id(&self) -> Uuid;
    fn sort_key(&self, attr: &str) -> Value;
}

fn ci_text(v: &str) -> Value {
    Value::Text(v.to_lowercase())
}

fn opt_text(v: Option<&str>) -> Value {
    Value::Text(v.unwrap_or_default().to_owned())
}

impl SortKey for User {
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, attr: &str) -> Value {
        match attr {
            "number" => Value::Int(self.number),
            "user_name" => Value::Text(crate::names::login_key(&self.spec.user_name)),
            "email" => Value::Text(self.spec.email.as_deref().unwrap_or_default().to_lowercase()),
            "display_name" => opt_text(self.spec.display_name.as_deref()),
            "given_name" => opt_text(self.spec.given_name.as_deref()),
            "family_name" => opt_text(self.spec.family_name.as_deref()),
            "modified" => Value::Time(self.modified),
            _ => Value::Time(self.created),
        }
    }
}

impl SortKey for Group {
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, attr: &str) -> Value {
        match attr {
            "number" => Value::Int(self.number),
            "name" => ci_text(&self.spec.name),
            "display_name" => opt_text(self.spec.display_name.as_deref()),
            "modified" => Value::Time(self.modified),
            _ => Value::Time(self.created),
        }
    }
}

impl SortKey for Principal {
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, attr: &str) -> Value {
        match attr {
            "name" => ci_text(&self.name),
            "display_name" => opt_text(self.display_name.as_deref()),
            "modified" => Value::Time(self.modified),
            _ => Value::Time(self.created),
        }
    }
}

/// The query for the record of a per-tenant number.
fn numbered(number: i64, resource: crate::schema::Resource) -> Result<ListQuery, CoreError> {
    Ok(ListQuery {
        filter: Some(crate::filter::parse(&format!("number eq {number}"), resource)?),
        sort: Sort::parse(None, resource)?,
        limit: 1,
        after: None,
        offset: 0,
        count: false,
        deleted: Deleted::Include,
    })
}

/// Turns a face's request into the store's query, checking the cursor belongs to it.
fn to_query(req: ListRequest) -> Result<(ListQuery, String), CoreError> {
    let fp = page::fingerprint(req.filter.as_ref(), req.deleted);
    if req.offset > 0 && req.cursor.is_some() {
        return Err(CoreError::invalid("offset", "a page starts at a cursor or at an offset, not both"));
    }
    if req.offset > page::MAX_OFFSET {
        return Err(CoreError::invalid("offset", format!("at most {}", page::MAX_OFFSET)));
    }
    let after = match req.cursor.as_deref() {
        Some(c) => Some(page::decode_cursor(c, &req.sort, &fp)?),
        None => None,
    };
    debug_assert!(!matches!(req.sort.attr.ty, AttrType::Json));
    Ok((
        ListQuery {
            filter: req.filter,
            sort: req.sort,
            limit: req.limit,
            after,
            offset: req.offset,
            count: req.count,
            deleted: req.deleted,
        },
        fp,
    ))
}

/// Cuts the store's `limit + 1` rows down to a page and makes the next cursor.
pub(crate) fn to_page<T: SortKey>(query: &ListQuery, fp: &str, rows: Rows<T>) -> Page<T> {
    let mut items = rows.items;
    let more = items.len() > query.limit as usize;
    items.truncate(query.limit as usize);
    let next_cursor = match (more, items.last()) {
        (true, Some(last)) => Some(page::encode_cursor(
            &query.sort,
            fp,
            &After { key: last.sort_key(query.sort.attr.name), id: last.id() },
        )),
        _ => None,
    };
    Page { items, next_cursor, total: rows.total }
}

impl Directory {
    pub fn new(
        store: Arc<dyn Store>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenService>,
        token_settings: TokenSettings,
    ) -> Self {
        let mail = Arc::new(crate::mail::MailSettings::new(&token_settings.issuer));
        Self {
            store,
            hasher,
            tokens,
            token_settings: Arc::new(token_settings),
            dummy_hash: Arc::default(),
            read_events: true,
            mail,
            connector: None,
            sealer: None,
            throttle: Arc::new(crate::throttle::Throttle::new(crate::throttle::ThrottleSettings::default())),
        }
    }

    /// How many requests to the routes anyone may call one address, and one account, may make.
    pub fn with_throttle(mut self, settings: crate::throttle::ThrottleSettings) -> Self {
        self.throttle = Arc::new(crate::throttle::Throttle::new(settings));
        self
    }

    /// Lets directory connections reach their servers, with bind passwords sealed by `sealer`.
    pub fn with_directories(
        mut self,
        connector: Arc<dyn crate::connectors::Connector>,
        sealer: Arc<dyn crate::connectors::Sealer>,
    ) -> Self {
        self.connector = Some(connector);
        self.sealer = Some(sealer);
        self
    }

    /// How links and messages behave (by default: links to the token issuer's URL).
    pub fn with_mail(mut self, settings: crate::mail::MailSettings) -> Self {
        self.mail = Arc::new(settings);
        self
    }

    /// Whether listings record analytic events (on by default).
    pub fn with_read_events(mut self, on: bool) -> Self {
        self.read_events = on;
        self
    }

    pub fn token_settings(&self) -> &TokenSettings {
        &self.token_settings
    }

    /// The public keys that verify this server's tokens.
    pub async fn jwks(&self) -> Result<serde_json::Value, CoreError> {
        self.tokens.jwks().await
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub async fn ready(&self) -> Result<(), CoreError> {
        Ok(self.store.ping().await?)
    }

    // --- tenants and API keys -------------------------------------------------------------

    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, CoreError> {
        let name = name.trim();
        if name.is_empty()
            || name.len() > 64
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(CoreError::invalid("name", "a tenant name is 1 to 64 letters, digits, '-' or '_'"));
        }
        let tenant = Tenant { id: Uuid::now_v7(), name: name.to_owned(), created: model::now() };
        let event = Caller::operator(tenant.id).event(
            EventType::TenantCreated,
            EventData::TenantChange {
                tenant: TenantData { id: tenant.id, name: tenant.name.clone() },
                action: "CREATE",
            },
        );
        self.store.insert_tenant(&tenant, &event).await?;
        Ok(tenant)
    }

    pub async fn tenant(&self, name: &str) -> Result<Tenant, CoreError> {
        self.store.tenant_by_name(name).await?.ok_or(CoreError::NotFound { what: "tenant" })
    }

    pub async fn tenants(&self) -> Result<Vec<Tenant>, CoreError> {
        Ok(self.store.list_tenants().await?)
    }

    /// On an empty database, creates the default tenant and an admin key for it. Answers the
    /// key to show once, or None when the database was not empty or the operator chose the key.
    pub async fn bootstrap(&self, chosen_key: Option<&str>) -> Result<Option<String>, CoreError> {
        if let Some(k) = chosen_key {
            apikey::check_chosen(k).map_err(|m| CoreError::invalid("ROSTER_BOOTSTRAP_API_KEY", m))?;
        }
        if !self.store.list_tenants().await?.is_empty() {
            // An operator-chosen key is honoured on every start, so automation can rely on it.
            if let Some(k) = chosen_key {
                if self.store.api_key_by_hash(&apikey::hash(k)).await?.is_none() {
                    let tenant = self.tenant(DEFAULT_TENANT).await?;
                    self.insert_key(&Caller::operator(tenant.id), "bootstrap", SUPER_ROLE, None, k).await?;
                }
            }
            return Ok(None);
        }
        let operator = Caller::operator(self.create_tenant(DEFAULT_TENANT).await?.id);
        match chosen_key {
            Some(k) => {
                self.insert_key(&operator, "bootstrap", SUPER_ROLE, None, k).await?;
                Ok(None)
            }
            None => {
                let secret = apikey::generate();
                self.insert_key(&operator, "bootstrap", SUPER_ROLE, None, &secret).await?;
                Ok(Some(secret))
            }
        }
    }

    async fn insert_key(
        &self,
        caller: &Caller,
        name: &str,
        role: &str,
        expires: Option<Time>,
        secret: &str,
    ) -> Result<ApiKey, CoreError> {
        let key = ApiKey {
            id: Uuid::now_v7(),
            tenant_id: caller.tenant_id,
            name: name.to_owned(),
            role: role.to_owned(),
            hash: apikey::hash(secret),
            created: model::now(),
            expires,
            last_used: None,
            revoked: None,
        };
        let event =
            caller.event(EventType::ApiKeyChange, EventData::ApiKeyChange { key: key_data(&key), action: "CREATE" });
        self.store.insert_api_key(&key, &event).await?;
        Ok(key)
    }

    /// Makes a new key for the caller's tenant; the secret is answered once and never stored.
    /// A caller may grant only permissions it holds itself.
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        name: &str,
        role: &str,
        expires: Option<Time>,
    ) -> Result<(ApiKey, String), CoreError> {
        self.create_api_key_as(caller, name, role, expires, apikey::KeyFormat::Standard).await
    }

    /// [`Directory::create_api_key`], with the key in a chosen format.
    pub async fn create_api_key_as(
        &self,
        caller: &Caller,
        name: &str,
        role: &str,
        expires: Option<Time>,
        format: apikey::KeyFormat,
    ) -> Result<(ApiKey, String), CoreError> {
        let mut errors = Vec::new();
        if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
            errors.push(crate::FieldError::new("name", "a key name is 1 to 128 printable characters"));
        }
        if let Err(CoreError::Validation(mut e)) = crate::authz::known_role(role) {
            errors.append(&mut e);
        }
        if expires.is_some_and(|e| e <= model::now()) {
            errors.push(crate::FieldError::new("expires", "must be in the future"));
        }
        if !errors.is_empty() {
            return Err(CoreError::Validation(errors));
        }
        self.authorize(caller, Action::Grant(Permission::KeysManage, &[role])).await?;
        let secret = apikey::generate_as(format);
        let key = self.insert_key(caller, name, role, expires, &secret).await?;
        Ok((key, secret))
    }

    pub async fn api_keys(&self, caller: &Caller) -> Result<Vec<ApiKey>, CoreError> {
        self.authorize(caller, Action::Use(Permission::KeysManage)).await?;
        Ok(self.store.list_api_keys(caller.tenant_id).await?)
    }

    /// Revokes a key: taking its role away, so only whoever may grant that role does it.
    pub async fn revoke_api_key(&self, caller: &Caller, id: Uuid) -> Result<(), CoreError> {
        let key = self.store.api_key(caller.tenant_id, id).await?.ok_or(CoreError::NotFound { what: "api key" })?;
        // A role unknown to this version grants nothing, so taking it away needs no right to grant.
        let roles: &[&str] = if access::role(&key.role).is_some() { &[key.role.as_str()] } else { &[] };
        self.authorize(caller, Action::Grant(Permission::KeysManage, roles)).await?;
        let event =
            caller.event(EventType::ApiKeyChange, EventData::ApiKeyChange { key: key_data(&key), action: "REVOKE" });
        Ok(self.store.revoke_api_key(caller.tenant_id, id, model::now(), &event).await?)
    }

    /// The operator's view of a tenant, for the command line.
    pub async fn operator(&self, tenant_name: &str) -> Result<Caller, CoreError> {
        Ok(Caller::operator(self.tenant(tenant_name).await?.id))
    }

    /// Resolves a bearer secret to its caller. Unknown, revoked and expired keys all answer the
    /// same Unauthenticated, so the answer reveals nothing about which keys exist.
    pub async fn authenticate_api_key(&self, secret: &str) -> Result<Caller, CoreError> {
        if secret.is_empty() || secret.len() > apikey::MAX_LEN {
            return Err(CoreError::Unauthenticated);
        }
        let hash = apikey::hash(secret);
        let key = self.store.api_key_by_hash(&hash).await?.ok_or(CoreError::Unauthenticated)?;
        if !apikey::hashes_equal(&key.hash, &hash) {
            return Err(CoreError::Unauthenticated);
        }
        self.key_caller(key).await
    }

    /// The caller a key stands for, while it is neither revoked nor expired.
    pub(crate) async fn key_caller(&self, key: ApiKey) -> Result<Caller, CoreError> {
        let now = model::now();
        if key.revoked.is_some() || key.expires.is_some_and(|e| e <= now) {
            return Err(CoreError::Unauthenticated);
        }
        if key.last_used.is_none_or(|t| (now - t).num_milliseconds() >= TOUCH_INTERVAL_MS) {
            self.store.touch_api_key(key.id, now).await?;
        }
        // A role unknown to this version grants nothing rather than failing the request.
        let permissions = access::role(&key.role).map(|r| r.permissions).unwrap_or_default();
        Ok(Caller {
            tenant_id: key.tenant_id,
            api_key_id: Some(key.id),
            user_id: None,
            session_id: None,
            roles: vec![key.role],
            permissions,
            actor: None,
            who: EventActor {
                kind: ActorType::ApiKey,
                id: key.id.to_string(),
                display_name: key.name.clone(),
                display_id: key.name,
                tenant_id: key.tenant_id,
            },
            request: RequestMeta::default(),
            must_change_password: false,
        })
    }

    /// Whether a secret is a real key that no longer works (revoked or expired). Asked only
    /// after `authenticate_api_key` refused it, by faces whose vendor answers such a key apart
    /// from an unknown one; it tells only the key's holder what became of it.
    pub async fn api_key_inactive(&self, secret: &str) -> Result<bool, CoreError> {
        if secret.is_empty() || secret.len() > apikey::MAX_LEN {
            return Ok(false);
        }
        let hash = apikey::hash(secret);
        let Some(key) = self.store.api_key_by_hash(&hash).await? else { return Ok(false) };
        Ok(apikey::hashes_equal(&key.hash, &hash)
            && (key.revoked.is_some() || key.expires.is_some_and(|e| e <= model::now())))
    }

    // --- users ------------------------------------------------------------------------------

    /// The user holding an external id (its key in the caller's own system), deleted or not.
    pub async fn user_by_external_id(&self, caller: &Caller, external_id: &str) -> Result<User, CoreError> {
        let not_found = || CoreError::NotFound { what: "user" };
        if external_id.is_empty() || external_id.contains('\0') {
            return Err(not_found());
        }
        let attr = crate::schema::Resource::User
            .attr("external_id")
            .ok_or_else(|| CoreError::Internal("no attribute external_id".into()))?;
        let filter = Filter::Test {
            target: crate::filter::Target::Attr(attr),
            cond: crate::filter::Cond::Cmp(crate::filter::CmpOp::Eq, crate::filter::Value::Text(external_id.into())),
        };
        let req = ListRequest {
            filter: Some(filter),
            sort: Sort::parse(None, crate::schema::Resource::User)?,
            limit: 1,
            cursor: None,
            offset: 0,
            count: false,
            deleted: Deleted::Include,
        };
        self.user_page(caller, req).await?.items.into_iter().next().ok_or_else(not_found)
    }

    pub async fn create_user(&self, caller: &Caller, spec: UserSpec) -> Result<User, CoreError> {
        self.create_user_as(caller, Uuid::now_v7(), spec).await
    }

    /// Creates a user with an id chosen beforehand (a fresh UUIDv7).
    pub(crate) async fn create_user_as(
        &self,
        caller: &Caller,
        id: Uuid,
        mut spec: UserSpec,
    ) -> Result<User, CoreError> {
        self.authorize(caller, Action::Use(Permission::UsersWrite)).await?;
        crate::connectors::check_directory_edit(&UserSpec::default(), &mut spec)?;
        validate::user(&mut spec, None)?;
        let event = self.creation_event(caller, id, &spec);
        Ok(self.store.insert_user(caller.tenant_id, id, &spec, model::now(), None, &event).await?)
    }

    /// The event of creating a user: every attribute it was given.
    pub(crate) fn creation_event(&self, caller: &Caller, id: Uuid, spec: &UserSpec) -> Event {
        let blank = UserSpec { claims: model::empty_object(), ..UserSpec::default() };
        caller.event(
            EventType::UserChange,
            EventData::UserChange {
                user: UserData::new(id, spec, false),
                action: if spec.status == UserStatus::Invited { "INVITE" } else { "CREATE" },
                changes: events::diff(&blank, spec),
            },
        )
    }

    pub async fn user(&self, caller: &Caller, id: Uuid) -> Result<User, CoreError> {
        self.store.user(caller.tenant_id, id).await?.ok_or(CoreError::NotFound { what: "user" })
    }

    /// A user by its per-tenant number (deleted ones included), for faces with integer ids.
    pub async fn user_numbered(&self, caller: &Caller, number: i64) -> Result<User, CoreError> {
        let rows = self.store.list_users(caller.tenant_id, &numbered(number, crate::schema::Resource::User)?).await?;
        rows.items.into_iter().next().ok_or(CoreError::NotFound { what: "user" })
    }

    /// A group by its per-tenant number (deleted ones included).
    pub async fn group_numbered(&self, caller: &Caller, number: i64) -> Result<Group, CoreError> {
        let rows = self.store.list_groups(caller.tenant_id, &numbered(number, crate::schema::Resource::Group)?).await?;
        rows.items.into_iter().next().ok_or(CoreError::NotFound { what: "group" })
    }

    pub async fn list_users(&self, caller: &Caller, req: ListRequest) -> Result<Page<User>, CoreError> {
        let kinds = EventType::listing(false, req.filter.is_some());
        let filter = req.filter.as_ref().map(|f| format!("{f:?}"));
        let page = self.user_page(caller, req).await;
        self.record_listing(caller, kinds, "users", filter, page.as_ref().map(|p| p.items.len())).await?;
        page
    }

    /// Every user a listing selects, read page after page by a face that streams them whole:
    /// the audit trail records the listing once, when the last page is read, with how many.
    pub fn walk_users(&self, caller: &Caller, mut req: ListRequest) -> UserWalk {
        req.offset = 0;
        req.count = false;
        UserWalk { directory: self.clone(), caller: caller.clone(), req, read: 0, done: false }
    }

    /// A page of users, recording nothing.
    pub(crate) async fn user_page(&self, caller: &Caller, req: ListRequest) -> Result<Page<User>, CoreError> {
        let (query, fp) = to_query(req)?;
        let rows = self.store.list_users(caller.tenant_id, &query).await?;
        Ok(to_page(&query, &fp, rows))
    }

    /// For listings that show users with their groups: the live groups each of `users` belongs
    /// to directly, as (user, group id, group name) by user and name. One query for a page.
    pub async fn direct_groups(&self, caller: &Caller, users: &[Uuid]) -> Result<Vec<(Uuid, Uuid, String)>, CoreError> {
        Ok(self.store.direct_groups(caller.tenant_id, users).await?)
    }

    /// For listings that show groups with their members: the live direct members of each of
    /// `groups`, as (group, member) pairs. Two queries for a page.
    pub async fn live_members(&self, caller: &Caller, groups: &[Uuid]) -> Result<Vec<(Uuid, MemberRef)>, CoreError> {
        Ok(self.store.live_members(caller.tenant_id, groups).await?)
    }

    /// For listings: when each of `users` last bound a device key still in force. One query for a page.
    pub async fn newest_devices(&self, caller: &Caller, users: &[Uuid]) -> Result<Vec<(Uuid, Time)>, CoreError> {
        Ok(self.store.newest_devices(caller.tenant_id, users).await?)
    }

    pub async fn replace_user(
        &self,
        caller: &Caller,
        id: Uuid,
        expected: ExpectedVersion,
        spec: UserSpec,
    ) -> Result<User, CoreError> {
        self.edit_user(caller, id, expected, |_| Ok(spec.clone())).await
    }

    /// Applies `edit` to the user's current attributes and writes the result. With an expected
    /// version the edit applies only to that version; without one it is retried on the newest
    /// version when a concurrent write got in first, so no concurrent edit is lost.
    pub async fn edit_user<F>(
        &self,
        caller: &Caller,
        id: Uuid,
        expected: ExpectedVersion,
        edit: F,
    ) -> Result<User, CoreError>
    where
        F: Fn(&UserSpec) -> Result<UserSpec, CoreError> + Send + Sync,
    {
        self.edit_user_with(caller, id, Edit { expected, ..Edit::default() }, edit).await
    }

    /// [`Directory::edit_user`], made as `how` says: with an [`Alongside`] it also sets a
    /// password or an access policy, all in one transaction (a refused password or policy changes
    /// nothing), each part needing its own permission over the user (`credentials:write`,
    /// `policies:write`).
    pub async fn edit_user_with<F>(&self, caller: &Caller, id: Uuid, how: Edit, edit: F) -> Result<User, CoreError>
    where
        F: Fn(&UserSpec) -> Result<UserSpec, CoreError> + Send + Sync,
    {
        let Edit { expected, from_directory, alongside } = how;
        self.user(caller, id).await?;
        let allowed = self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, id)).await?;
        if alongside.password.is_some() {
            self.authorize(caller, Action::ChangeUser(Permission::CredentialsWrite, id)).await?;
        }
        if alongside.access_policy.is_some() {
            self.authorize(caller, Action::ChangeUser(Permission::PoliciesWrite, id)).await?;
        }
        // The password is hashed once, against the attributes of the first attempt.
        let mut hashed: Option<String> = None;
        for _ in 0..EDIT_RETRIES {
            let current = self.user(caller, id).await?;
            if current.deleted.is_some() {
                return Err(CoreError::Conflict("the user is deleted; restore it before changing it".into()));
            }
            if expected.is_some_and(|v| v != current.version) {
                return Err(CoreError::VersionMismatch);
            }
            let mut spec = edit(&current.spec)?;
            if !from_directory {
                crate::connectors::check_directory_edit(&current.spec, &mut spec)?;
            }
            validate::user(&mut spec, Some(current.spec.status))?;
            let policy = match alongside.access_policy {
                Some(p) if p.is_some() && spec.guest => return Err(crate::StoreError::Guest.into()),
                Some(p) => Some(self.policy_change(caller, current.access_policy, p).await?),
                None => None,
            };
            let policy_changes = policy.as_ref().is_some_and(|(p, _)| *p != current.access_policy);
            if spec == current.spec && alongside.password.is_none() && !policy_changes {
                return Ok(current);
            }
            let after = User { spec: spec.clone(), ..current.clone() };
            let mut events = Vec::new();
            if spec != current.spec {
                events.push(caller.event(
                    EventType::UserChange,
                    EventData::UserChange {
                        user: UserData::new(id, &spec, false),
                        action: status_action(current.spec.status, spec.status),
                        changes: events::diff(&current.spec, &spec),
                    },
                ));
            }
            let password = match &alongside.password {
                Some((password, must_change)) => {
                    if hashed.is_none() {
                        hashed = Some(self.checked_hash(&after, password).await?);
                    }
                    events.push(caller.credential_event((&after).into(), "password", "SET"));
                    hashed.as_deref().map(|hash| NewPassword {
                        hash,
                        must_change: *must_change,
                        keep: crate::credentials::HISTORY_KEPT,
                    })
                }
                None => None,
            };
            if let Some((_, changes)) = policy.as_ref().filter(|_| policy_changes) {
                events.push(caller.event(
                    EventType::UserChange,
                    EventData::UserChange {
                        user: (&after).into(),
                        action: "ASSIGN_ACCESS_POLICY",
                        changes: changes.clone(),
                    },
                ));
            }
            // Leaving the active state is what could leave the tenant without a super-admin.
            let leaves = current.spec.status == UserStatus::Active && spec.status != UserStatus::Active;
            let keep = allowed.keep_holder.filter(|_| leaves);
            let write = UserWrite { spec: &spec, password, access_policy: policy.map(|(p, _)| p) };
            let events: Vec<&Event> = events.iter().collect();
            let guard = Guard { expected: Some(current.version), keep_holder: keep };
            match self.store.update_user(caller.tenant_id, id, guard, write, model::now(), &events).await {
                Err(crate::StoreError::VersionMismatch) if expected.is_none() => continue,
                Ok(user) => {
                    // Leaving the active state ends every session for good: a later
                    // reactivation does not bring old tokens back.
                    if current.spec.status == UserStatus::Active && user.spec.status != UserStatus::Active {
                        self.store.revoke_user_sessions(caller.tenant_id, id, model::now()).await?;
                    }
                    return Ok(user);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(CoreError::VersionMismatch)
    }

    /// Makes a guest a regular user.
    pub async fn promote_guest(&self, caller: &Caller, id: Uuid) -> Result<User, CoreError> {
        self.edit_user(caller, id, None, |spec| {
            if !spec.guest {
                return Err(CoreError::Conflict("the user is not a guest".into()));
            }
            Ok(UserSpec { guest: false, ..spec.clone() })
        })
        .await
    }

    /// Suspends an active user or reactivates a suspended one; other states do not toggle.
    pub async fn toggle_suspension(&self, caller: &Caller, id: Uuid) -> Result<User, CoreError> {
        self.edit_user(caller, id, None, |spec| {
            let status = match spec.status {
                UserStatus::Active => UserStatus::Suspended,
                UserStatus::Suspended => UserStatus::Active,
                other => {
                    return Err(CoreError::Conflict(format!(
                        "the user is {}; only an active or suspended user is suspended or reactivated",
                        other.as_str()
                    )))
                }
            };
            Ok(UserSpec { status, inactive_reason: None, ..spec.clone() })
        })
        .await
    }

    /// Removes a user from the organisation, in one transaction: soft-deletes it (it can be
    /// restored), takes it out of every group, frees its computer user names and smartcards for
    /// others, deletes the access policy assigned to it alone, and ends its sessions and pending
    /// links. The tenant's last SUPER is not removed.
    pub async fn remove_from_organisation(&self, caller: &Caller, id: Uuid) -> Result<User, CoreError> {
        let user = self.live_user(caller, id).await?;
        let allowed = self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, id)).await?;
        let me = MemberRef { kind: PrincipalKind::User, id };
        let query = ListQuery {
            filter: None,
            sort: Sort::parse(None, crate::schema::Resource::Group)?,
            // Every group the user is in: a bounded number in practice, read at once.
            limit: 100_000,
            after: None,
            offset: 0,
            count: false,
            deleted: Deleted::Include,
        };
        let groups = self.store.list_memberships(caller.tenant_id, me, Depth::Direct, &query).await?.items;
        let groups = groups.iter().map(|g| (g.id, membership_event(caller, g, me, "REMOVE"))).collect();
        let policy = match user.access_policy {
            Some(p) => {
                let p = self.access_policy(caller, p).await?;
                (!p.default).then(|| (p.id, crate::access_policies::deletion_event(caller, &p)))
            }
            None => None,
        };
        let departure = Departure { groups, policy, keep_holder: allowed.keep_holder };
        let event = self.user_event(caller, id, "DELETE").await?;
        Ok(self.store.remove_from_organisation(caller.tenant_id, id, &departure, model::now(), &event).await?)
    }

    pub async fn soft_delete_user(
        &self,
        caller: &Caller,
        id: Uuid,
        expected: ExpectedVersion,
    ) -> Result<User, CoreError> {
        let event = self.user_event(caller, id, "DELETE").await?;
        let allowed = self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, id)).await?;
        let now = model::now();
        let keep = allowed.keep_holder;
        Ok(self
            .store
            .mark_user_deleted(caller.tenant_id, id, Guard { expected, keep_holder: keep }, Some(now), now, &event)
            .await?)
    }

    pub async fn restore_user(&self, caller: &Caller, id: Uuid, expected: ExpectedVersion) -> Result<User, CoreError> {
        let event = self.user_event(caller, id, "RESTORE").await?;
        self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, id)).await?;
        Ok(self
            .store
            .mark_user_deleted(caller.tenant_id, id, Guard { expected, keep_holder: None }, None, model::now(), &event)
            .await?)
    }

    pub async fn delete_user(&self, caller: &Caller, id: Uuid, expected: ExpectedVersion) -> Result<(), CoreError> {
        let event = self.user_event(caller, id, "PURGE").await?;
        let allowed = self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, id)).await?;
        Ok(self
            .store
            .delete_user(caller.tenant_id, id, Guard { expected, keep_holder: allowed.keep_holder }, &event)
            .await?)
    }

    /// A USER_CHANGE event naming the user as it is now.
    async fn user_event(&self, caller: &Caller, id: Uuid, action: &'static str) -> Result<Event, CoreError> {
        let user = self.user(caller, id).await?;
        Ok(caller.event(
            EventType::UserChange,
            EventData::UserChange { user: (&user).into(), action, changes: events::Changes::new() },
        ))
    }

    // --- groups -----------------------------------------------------------------------------

    pub async fn create_group(&self, caller: &Caller, spec: GroupSpec) -> Result<Group, CoreError> {
        self.authorize(caller, Action::Use(Permission::GroupsWrite)).await?;
        self.insert_new_group(caller, spec, None).await
    }

    /// Writes a new group, following a directory group (connection, DN) from the start when
    /// `source` says so: the creation and the link are one transaction, with an event each.
    pub(crate) async fn insert_new_group(
        &self,
        caller: &Caller,
        mut spec: GroupSpec,
        source: Option<(Uuid, String)>,
    ) -> Result<Group, CoreError> {
        validate::group(&mut spec)?;
        let id = Uuid::now_v7();
        let group = GroupData::new(id, &spec, false);
        let created = caller.event(
            EventType::GroupChange,
            EventData::GroupChange {
                group: group.clone(),
                action: "CREATE",
                changes: events::diff(&GroupSpec::default(), &spec),
            },
        );
        let linked = source.as_ref().map(|(c, dn)| crate::connectors::link_event(caller, group, None, Some((*c, dn))));
        let events: Vec<&Event> = std::iter::once(&created).chain(linked.as_ref()).collect();
        let source = source.as_ref().map(|(c, dn)| (*c, dn.as_str()));
        Ok(self.store.insert_group(caller.tenant_id, id, &spec, source, model::now(), &events).await?)
    }

    pub async fn group(&self, caller: &Caller, id: Uuid) -> Result<Group, CoreError> {
        self.store.group(caller.tenant_id, id).await?.ok_or(CoreError::NotFound { what: "group" })
    }

    pub async fn list_groups(&self, caller: &Caller, req: ListRequest) -> Result<Page<Group>, CoreError> {
        let kinds = EventType::listing(true, req.filter.is_some());
        let filter = req.filter.as_ref().map(|f| format!("{f:?}"));
        let page = async {
            let (query, fp) = to_query(req)?;
            let rows = self.store.list_groups(caller.tenant_id, &query).await?;
            Ok(to_page(&query, &fp, rows))
        }
        .await;
        self.record_listing(caller, kinds, "groups", filter, page.as_ref().map(|p| p.items.len())).await?;
        page
    }

    /// Records the START and SUCCESS (or FAIL) events of a listing, together after it ran.
    pub(crate) async fn record_listing(
        &self,
        caller: &Caller,
        [start, success, fail]: [EventType; 3],
        resource: &'static str,
        filter: Option<String>,
        result: Result<usize, &CoreError>,
    ) -> Result<(), CoreError> {
        if !self.read_events {
            return Ok(());
        }
        let data = |returned, reason| EventData::Search { resource, filter: filter.clone(), returned, reason };
        let first = caller.event(start, data(None, None));
        let last = match result {
            Ok(n) => caller.event(success, data(Some(n), None)),
            Err(e) => caller.event(fail, data(None, Some(e.to_string()))).outcome(Outcome::of(e)),
        };
        Ok(self.store.record_events(&[first, last]).await?)
    }

    async fn changeable_group(&self, caller: &Caller, id: Uuid) -> Result<Group, CoreError> {
        let group = self.group(caller, id).await?;
        if group.system {
            return Err(CoreError::Conflict("system groups cannot be changed".into()));
        }
        Ok(group)
    }

    pub async fn replace_group(
        &self,
        caller: &Caller,
        id: Uuid,
        expected: ExpectedVersion,
        spec: GroupSpec,
    ) -> Result<Group, CoreError> {
        self.edit_group(caller, id, expected, |_| Ok(spec.clone())).await
    }

    /// As [`Directory::edit_user`], for groups.
    pub async fn edit_group<F>(
        &self,
        caller: &Caller,
        id: Uuid,
        expected: ExpectedVersion,
        edit: F,
    ) -> Result<Group, CoreError>
    where
        F: Fn(&GroupSpec) -> Result<GroupSpec, CoreError> + Send + Sync,
    {
        // A group's attributes confer no power; its members and roles are changed elsewhere.
        self.authorize(caller, Action::Use(Permission::GroupsWrite)).await?;
        for _ in 0..EDIT_RETRIES {
            let current = self.changeable_group(caller, id).await?;
            if current.deleted.is_some() {
                return Err(CoreError::Conflict("the group is deleted; restore it before changing it".into()));
            }
            if expected.is_some_and(|v| v != current.version) {
                return Err(CoreError::VersionMismatch);
            }
            let mut spec = edit(&current.spec)?;
            validate::group(&mut spec)?;
            if spec == current.spec {
                return Ok(current);
            }
            let event = caller.event(
                EventType::GroupChange,
                EventData::GroupChange {
                    group: GroupData::new(id, &spec, false),
                    action: "UPDATE",
                    changes: events::diff(&current.spec, &spec),
                },
            );
            match self
                .store
                .update_group(caller.tenant_id, id, Some(current.version), &spec, model::now(), &event)
                .await
            {
                Err(crate::StoreError::VersionMismatch) if expected.is_none() => continue,
                other => return Ok(other?),
            }
        }
        Err(CoreError::VersionMismatch)
    }

    pub async fn soft_delete_group(
        &self,
        caller: &Caller,
        id: Uuid,
        expected: ExpectedVersion,
    ) -> Result<Group, CoreError> {
        let event = self.group_event(caller, id, "DELETE").await?;
        let allowed = self.authorize(caller, Action::ChangeGroupPowers(Permission::GroupsWrite, id)).await?;
        let now = model::now();
        let keep = allowed.keep_holder;
        Ok(self
            .store
            .mark_group_deleted(caller.tenant_id, id, Guard { expected, keep_holder: keep }, Some(now), now, &event)
            .await?)
    }

    pub async fn restore_group(
        &self,
        caller: &Caller,
        id: Uuid,
        expected: ExpectedVersion,
    ) -> Result<Group, CoreError> {
        let event = self.group_event(caller, id, "RESTORE").await?;
        self.authorize(caller, Action::ChangeGroupPowers(Permission::GroupsWrite, id)).await?;
        Ok(self
            .store
            .mark_group_deleted(caller.tenant_id, id, Guard { expected, keep_holder: None }, None, model::now(), &event)
            .await?)
    }

    pub async fn delete_group(&self, caller: &Caller, id: Uuid, expected: ExpectedVersion) -> Result<(), CoreError> {
        let event = self.group_event(caller, id, "PURGE").await?;
        let allowed = self.authorize(caller, Action::ChangeGroupPowers(Permission::GroupsWrite, id)).await?;
        Ok(self
            .store
            .delete_group(caller.tenant_id, id, Guard { expected, keep_holder: allowed.keep_holder }, &event)
            .await?)
    }

    /// A GROUP_CHANGE event naming a changeable group as it is now.
    async fn group_event(&self, caller: &Caller, id: Uuid, action: &'static str) -> Result<Event, CoreError> {
        let group = self.changeable_group(caller, id).await?;
        Ok(caller.event(
            EventType::GroupChange,
            EventData::GroupChange { group: (&group).into(), action, changes: events::Changes::new() },
        ))
    }

    // --- memberships and principals ----------------------------------------------------------

    /// Adds a user or group to a group. Answers whether it was added (false: it was a member already).
    pub async fn add_member(&self, caller: &Caller, group: Uuid, member: MemberRef) -> Result<bool, CoreError> {
        let g = self.group(caller, group).await?;
        if g.deleted.is_some() {
            return Err(CoreError::Conflict("the group is deleted; restore it before adding members".into()));
        }
        if g.source.is_some() {
            return Err(CoreError::Conflict(DIRECTORY_MEMBERS.into()));
        }
        if member.kind == PrincipalKind::Group && member.id == group {
            return Err(CoreError::Cycle);
        }
        self.authorize(caller, Action::ChangeGroupPowers(Permission::GroupsWrite, group)).await?;
        let event = membership_event(caller, &g, member, "ADD");
        Ok(self.store.add_member(caller.tenant_id, group, member, model::now(), &event).await?)
    }

    /// Adds (true) and removes members of a group in one transaction: all or none. A removal of
    /// a member that is not there, an unknown record or a cycle fails the whole change; with an
    /// expected version, so does a group changed since.
    pub async fn change_members(
        &self,
        caller: &Caller,
        group: Uuid,
        changes: &[(bool, MemberRef)],
        expected: ExpectedVersion,
    ) -> Result<(), CoreError> {
        const MAX_CHANGES: usize = 1000;
        if changes.len() > MAX_CHANGES {
            return Err(CoreError::invalid("members", format!("at most {MAX_CHANGES} changes at once")));
        }
        let g = self.group(caller, group).await?;
        if g.deleted.is_some() && changes.iter().any(|(add, _)| *add) {
            return Err(CoreError::Conflict("the group is deleted; restore it before adding members".into()));
        }
        if g.source.is_some() {
            return Err(CoreError::Conflict(DIRECTORY_MEMBERS.into()));
        }
        if changes.iter().any(|(add, m)| *add && m.kind == PrincipalKind::Group && m.id == group) {
            return Err(CoreError::Cycle);
        }
        let allowed = self.authorize(caller, Action::ChangeGroupPowers(Permission::GroupsWrite, group)).await?;
        let keep = allowed.keep_holder.filter(|_| changes.iter().any(|(add, _)| !*add));
        let changes: Vec<(bool, MemberRef, Event)> = changes
            .iter()
            .map(|(add, m)| (*add, *m, membership_event(caller, &g, *m, if *add { "ADD" } else { "REMOVE" })))
            .collect();
        Ok(self.store.change_members(caller.tenant_id, group, &changes, expected, model::now(), keep).await?)
    }

    pub async fn remove_member(&self, caller: &Caller, group: Uuid, member: MemberRef) -> Result<(), CoreError> {
        let g = self.group(caller, group).await?;
        if g.source.is_some() {
            return Err(CoreError::Conflict(DIRECTORY_MEMBERS.into()));
        }
        let allowed = self.authorize(caller, Action::ChangeGroupPowers(Permission::GroupsWrite, group)).await?;
        let event = membership_event(caller, &g, member, "REMOVE");
        let keep = allowed.keep_holder;
        Ok(self.store.remove_member(caller.tenant_id, group, member, model::now(), &event, keep).await?)
    }

    pub async fn list_members(
        &self,
        caller: &Caller,
        group: Uuid,
        depth: Depth,
        req: ListRequest,
    ) -> Result<Page<Principal>, CoreError> {
        self.group(caller, group).await?;
        let (query, fp) = to_query(req)?;
        let rows = self.store.list_members(caller.tenant_id, group, depth, &query).await?;
        Ok(to_page(&query, &fp, rows))
    }

    /// The users of a group, as users (a face that shows members with all their attributes).
    pub async fn group_users(
        &self,
        caller: &Caller,
        group: Uuid,
        depth: Depth,
        req: ListRequest,
    ) -> Result<Page<User>, CoreError> {
        self.group(caller, group).await?;
        let (query, fp) = to_query(req)?;
        let rows = self.store.list_group_users(caller.tenant_id, group, depth, &query).await?;
        Ok(to_page(&query, &fp, rows))
    }

    /// The groups a user or group belongs to.
    pub async fn list_memberships(
        &self,
        caller: &Caller,
        member: MemberRef,
        depth: Depth,
        req: ListRequest,
    ) -> Result<Page<Group>, CoreError> {
        match member.kind {
            PrincipalKind::User => drop(self.user(caller, member.id).await?),
            PrincipalKind::Group => drop(self.group(caller, member.id).await?),
        }
        let (query, fp) = to_query(req)?;
        let rows = self.store.list_memberships(caller.tenant_id, member, depth, &query).await?;
        Ok(to_page(&query, &fp, rows))
    }

    pub async fn list_principals(&self, caller: &Caller, req: ListRequest) -> Result<Page<Principal>, CoreError> {
        let (query, fp) = to_query(req)?;
        let rows = self.store.list_principals(caller.tenant_id, &query).await?;
        Ok(to_page(&query, &fp, rows))
    }
}

pub(crate) fn key_data(key: &ApiKey) -> KeyData {
    KeyData {
        id: key.id,
        name: key.name.clone(),
        role: key.role.clone(),
        expires_millis: key.expires.map(|t| t.timestamp_millis()),
    }
}

pub(crate) fn membership_event(caller: &Caller, group: &Group, member: MemberRef, action: &'static str) -> Event {
    caller.event(
        EventType::GroupMembershipChange,
        EventData::GroupMembershipChange { group: group.into(), member: PrincipalData::from(member), action },
    )
}

/// The action a user change is named by: a change of status is a suspension, a reactivation…
fn status_action(before: UserStatus, after: UserStatus) -> &'static str {
    match (before == after, after) {
        (true, _) => "UPDATE",
        (false, UserStatus::Suspended) => "SUSPEND",
        (false, UserStatus::Active) => "ACTIVATE",
        (false, UserStatus::Quarantined) => "QUARANTINE",
        (false, UserStatus::Deactivated) => "DEACTIVATE",
        (false, UserStatus::Invited) => "UPDATE",
    }
}
