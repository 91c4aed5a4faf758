//! The audit trail: the event catalogue, what each event says, and the query that reads the trail back.

use crate::model::{str_enum, Actor, Group, GroupSpec, MemberRef, User, UserSpec};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What kind of thing happened. The names are the trail's own vocabulary; a face may rename them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    TenantCreated,
    UserChange,
    GroupChange,
    GroupMembershipChange,
    RoleChange,
    UserAuthentication,
    SessionChange,
    CredentialChange,
    ApiKeyChange,
    Impersonation,
    PolicyChange,
    OneTimeLink,
    MessageDelivery,
    MailTemplateChange,
    DirectoryConnectionChange,
    SecretChange,
    SecretRead,
    UserSearchStart,
    UserSearchSuccess,
    UserSearchFail,
    UserRetrieveListStart,
    UserRetrieveListSuccess,
    UserRetrieveListFail,
    GroupSearchStart,
    GroupSearchSuccess,
    GroupSearchFail,
    GroupRetrieveListStart,
    GroupRetrieveListSuccess,
    GroupRetrieveListFail,
    UserCreateStart,
    UserCreateSuccess,
    UserCreateFail,
    UserRetrieveStart,
    UserRetrieveSuccess,
    UserRetrieveFail,
    UserUpdateStart,
    UserUpdateSuccess,
    UserUpdateFail,
    UserDeleteStart,
    UserDeleteSuccess,
    UserDeleteFail,
    UserCredentialsRetrieveStart,
    UserCredentialsRetrieveSuccess,
    UserCredentialsRetrieveFail,
    Import,
}
str_enum!(EventType {
    TenantCreated => "TENANT_CREATED", UserChange => "USER_CHANGE", GroupChange => "GROUP_CHANGE",
    GroupMembershipChange => "GROUP_MEMBERSHIP_CHANGE", RoleChange => "ROLE_CHANGE",
    UserAuthentication => "USER_AUTHENTICATION", SessionChange => "SESSION_CHANGE",
    CredentialChange => "CREDENTIAL_CHANGE", ApiKeyChange => "API_KEY_CHANGE", Impersonation => "IMPERSONATION",
    PolicyChange => "POLICY_CHANGE", OneTimeLink => "ONE_TIME_LINK", MessageDelivery => "MESSAGE_DELIVERY",
    MailTemplateChange => "MAIL_TEMPLATE_CHANGE", DirectoryConnectionChange => "DIRECTORY_CONNECTION_CHANGE",
    SecretChange => "SECRET_CHANGE", SecretRead => "SECRET_READ", Import => "IMPORT",
    UserSearchStart => "USER_SEARCH_START", UserSearchSuccess => "USER_SEARCH_SUCCESS",
    UserSearchFail => "USER_SEARCH_FAIL", UserRetrieveListStart => "USER_RETRIEVE_LIST_START",
    UserRetrieveListSuccess => "USER_RETRIEVE_LIST_SUCCESS", UserRetrieveListFail => "USER_RETRIEVE_LIST_FAIL",
    GroupSearchStart => "GROUP_SEARCH_START", GroupSearchSuccess => "GROUP_SEARCH_SUCCESS",
    GroupSearchFail => "GROUP_SEARCH_FAIL", GroupRetrieveListStart => "GROUP_RETRIEVE_LIST_START",
    GroupRetrieveListSuccess => "GROUP_RETRIEVE_LIST_SUCCESS", GroupRetrieveListFail => "GROUP_RETRIEVE_LIST_FAIL",
    UserCreateStart => "USER_CREATE_START", UserCreateSuccess => "USER_CREATE_SUCCESS",
    UserCreateFail => "USER_CREATE_FAIL", UserRetrieveStart => "USER_RETRIEVE_START",
    UserRetrieveSuccess => "USER_RETRIEVE_SUCCESS", UserRetrieveFail => "USER_RETRIEVE_FAIL",
    UserUpdateStart => "USER_UPDATE_START", UserUpdateSuccess => "USER_UPDATE_SUCCESS",
    UserUpdateFail => "USER_UPDATE_FAIL", UserDeleteStart => "USER_DELETE_START",
    UserDeleteSuccess => "USER_DELETE_SUCCESS", UserDeleteFail => "USER_DELETE_FAIL",
    UserCredentialsRetrieveStart => "USER_CREDENTIALS_RETRIEVE_START",
    UserCredentialsRetrieveSuccess => "USER_CREDENTIALS_RETRIEVE_SUCCESS",
    UserCredentialsRetrieveFail => "USER_CREDENTIALS_RETRIEVE_FAIL",
});

impl EventType {
    /// The service that emits events of this type.
    pub fn service(self) -> Service {
        match self {
            EventType::UserAuthentication
            | EventType::SessionChange
            | EventType::CredentialChange
            | EventType::Impersonation => Service::Auth,
            _ => Service::Directory,
        }
    }

    /// The START, SUCCESS and FAIL events of reading a list of users or groups, filtered or not.
    pub fn listing(groups: bool, filtered: bool) -> [EventType; 3] {
        use EventType::*;
        match (groups, filtered) {
            (false, true) => [UserSearchStart, UserSearchSuccess, UserSearchFail],
            (false, false) => [UserRetrieveListStart, UserRetrieveListSuccess, UserRetrieveListFail],
            (true, true) => [GroupSearchStart, GroupSearchSuccess, GroupSearchFail],
            (true, false) => [GroupRetrieveListStart, GroupRetrieveListSuccess, GroupRetrieveListFail],
        }
    }
}

/// Whether it worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Refused: bad input, a conflict, nothing there, a wrong password.
    Failure,
    /// Refused for want of permission.
    Denied,
    /// The server failed.
    Error,
}
str_enum!(Outcome { Success => "SUCCESS", Failure => "FAILURE", Denied => "DENIED", Error => "ERROR" });

impl Outcome {
    pub fn of(e: &crate::CoreError) -> Outcome {
        match e {
            crate::CoreError::Forbidden | crate::CoreError::PasswordMustChange => Outcome::Denied,
            crate::CoreError::Internal(_) | crate::CoreError::Busy => Outcome::Error,
            _ => Outcome::Failure,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Directory,
    Auth,
}
str_enum!(Service { Directory => "directory", Auth => "auth" });

/// What kind of principal acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorType {
    User,
    ApiKey,
    /// Someone at the command line of the server.
    Operator,
    /// Roster itself, applying a rule (a lockout, a retention sweep).
    System,
    /// Nobody proven: a sign-in attempt before the password is checked.
    Anonymous,
}
str_enum!(ActorType {
    User => "User", ApiKey => "ApiKey", Operator => "Operator", System => "System", Anonymous => "Anonymous",
});

/// Who acted, as the trail shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventActor {
    pub kind: ActorType,
    pub id: String,
    pub display_name: String,
    /// A human-friendly id: a user name, a key's name.
    pub display_id: String,
    pub tenant_id: Uuid,
}

impl EventActor {
    pub fn user(user: &User) -> EventActor {
        EventActor {
            kind: ActorType::User,
            id: user.id.to_string(),
            display_name: user.spec.display_name.clone().unwrap_or_else(|| user.spec.user_name.clone()),
            display_id: user.spec.user_name.clone(),
            tenant_id: user.tenant_id,
        }
    }

    pub fn fixed(kind: ActorType, tenant_id: Uuid, name: &str) -> EventActor {
        EventActor { kind, id: name.to_owned(), display_name: name.to_owned(), display_id: name.to_owned(), tenant_id }
    }

    /// Nobody proven, in a tenant: a sign-in or a reset request before anything is checked.
    pub fn anonymous(tenant_id: Uuid) -> EventActor {
        EventActor::fixed(ActorType::Anonymous, tenant_id, "anonymous")
    }
}

/// Which request an operation serves and where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The request id: the caller's `X-Request-Id` when well-formed, else one made up.
    pub correlation_id: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// When the request arrived, in epoch milliseconds (0: unknown, take the time of recording).
    pub started: i64,
}

impl RequestMeta {
    /// A request made inside the process (the command line, a background task).
    pub fn internal() -> RequestMeta {
        RequestMeta { correlation_id: Uuid::now_v7().to_string(), ip: None, user_agent: None, started: now_millis() }
    }
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub correlation_id: String,
    pub service: Service,
    pub event_type: EventType,
    pub outcome: Outcome,
    pub actor: EventActor,
    /// In an impersonation session, who really acted (the actor is the impersonated user).
    pub impersonator: Option<Actor>,
    pub occurred: i64,
    pub recorded: i64,
    /// False when the data holds input nobody verified (a user name typed at a failed sign-in).
    pub attested: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub data: serde_json::Value,
}

/// An event as read back, with its place in the trail.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Position in recording order within one database, for paging.
    pub seq: i64,
    /// The writing transaction (PostgreSQL) or 0 (SQLite): the stream's order is (txid, seq).
    pub txid: i64,
    pub event: Event,
}

pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Event {
    /// A successful event of a request; `recorded` is set again when it is written.
    pub fn new(
        tenant_id: Uuid,
        request: &RequestMeta,
        actor: EventActor,
        event_type: EventType,
        data: EventData,
    ) -> Event {
        let now = now_millis();
        Event {
            id: Uuid::now_v7(),
            tenant_id,
            correlation_id: request.correlation_id.clone(),
            service: event_type.service(),
            event_type,
            outcome: Outcome::Success,
            actor,
            impersonator: None,
            occurred: if request.started > 0 { request.started } else { now },
            recorded: now,
            attested: true,
            ip: request.ip.clone(),
            user_agent: request.user_agent.clone(),
            data: serde_json::to_value(data).unwrap_or_default(),
        }
    }

    pub fn outcome(mut self, outcome: Outcome) -> Event {
        self.outcome = outcome;
        self
    }

    /// Marks the event as holding input nobody verified (shown only on request).
    pub fn unattested(mut self) -> Event {
        self.attested = false;
        self
    }

    /// The words the free-text query searches: the type, service, outcome, actor and every
    /// key and text or number value of the data, as lower-case tokens.
    pub fn search_text(&self) -> String {
        let mut out = String::new();
        for part in [
            self.event_type.as_str(),
            self.service.as_str(),
            self.outcome.as_str(),
            self.actor.kind.as_str(),
            &self.actor.display_name,
            &self.actor.display_id,
            &self.correlation_id,
        ] {
            push_tokens(&mut out, part);
        }
        push_json_tokens(&mut out, &self.data);
        out
    }
}

fn push_tokens(out: &mut String, text: &str) {
    for t in tokens(text) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t);
    }
}

fn push_json_tokens(out: &mut String, v: &serde_json::Value) {
    match v {
        serde_json::Value::String(s) => push_tokens(out, s),
        serde_json::Value::Number(n) => push_tokens(out, &n.to_string()),
        serde_json::Value::Bool(b) => push_tokens(out, if *b { "true" } else { "false" }),
        serde_json::Value::Array(items) => items.iter().for_each(|i| push_json_tokens(out, i)),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                push_tokens(out, k);
                push_json_tokens(out, v);
            }
        }
        serde_json::Value::Null => {}
    }
}

/// Splits text into lower-case runs of letters and digits: the one tokenisation both databases'
/// full-text indexes see, so a query finds the same events on either.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_lowercase)
}

// --- what the data of each type says ---------------------------------------------------------

/// The typed payload of an event, tagged by `type_name`. It never holds a secret.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type_name")]
pub enum EventData {
    TenantChange {
        tenant: TenantData,
        action: &'static str,
    },
    UserChange {
        user: UserData,
        action: &'static str,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        changes: Changes,
    },
    GroupChange {
        group: GroupData,
        action: &'static str,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        changes: Changes,
    },
    GroupMembershipChange {
        group: GroupData,
        member: PrincipalData,
        action: &'static str,
    },
    RoleChange {
        principal: PrincipalData,
        role: String,
        action: &'static str,
    },
    UserAuthentication {
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<UserData>,
        /// The name given at sign-in, as typed.
        #[serde(skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        method: &'static str,
        result: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    SessionChange {
        user_id: Uuid,
        session_id: Uuid,
        action: &'static str,
    },
    CredentialChange {
        user: UserData,
        credential: &'static str,
        action: &'static str,
        /// The device key bound or revoked.
        #[serde(skip_serializing_if = "Option::is_none")]
        device: Option<DeviceData>,
    },
    ApiKeyChange {
        key: KeyData,
        action: &'static str,
    },
    Impersonation {
        user: UserData,
    },
    PolicyChange {
        policy: &'static str,
        old_policy: serde_json::Value,
        new_policy: serde_json::Value,
    },
    Search {
        resource: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        filter: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        returned: Option<usize>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// One step of an operation a face reports as it goes (START, then SUCCESS or FAIL).
    Operation {
        resource: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Uuid>,
        #[serde(skip_serializing_if = "Option::is_none")]
        returned: Option<usize>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// One transaction of a bulk import: how much it wrote, and the lines of the file it came from.
    Import {
        users: u64,
        groups: u64,
        memberships: u64,
        passwords: u64,
        first_line: u64,
        last_line: u64,
    },
    /// A directory connection created, changed or removed (never its password).
    DirectoryConnectionChange {
        connection: ConnectionData,
        action: &'static str,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        changes: Changes,
    },
    /// A secret stored, removed, given or losing an owner, or its value read (never the value).
    SecretChange {
        secret: SecretData,
        action: &'static str,
        /// The owner added or removed.
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<Uuid>,
    },
    /// A one-time link issued, resent, revoked, or refused when presented.
    OneTimeLink(LinkData),
    /// One attempt to deliver an outbox message.
    MessageDelivery {
        message: Uuid,
        message_id: String,
        kind: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        user_id: Option<Uuid>,
        recipient: String,
        transport: &'static str,
        attempt: u32,
        result: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    MailTemplateChange {
        kind: &'static str,
        action: &'static str,
    },
    /// A request refused before or by the core, as the face saw it.
    Refusal {
        request: String,
        status: u16,
        code: String,
        message: String,
    },
}

/// What a `ONE_TIME_LINK` event says about a link.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserData>,
    /// The name a password reset was asked for, as typed, when it names nobody.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    pub purpose: &'static str,
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// The outbox message that carries it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Changed fields: name → before and after.
pub type Changes = BTreeMap<String, Change>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// The fields whose values differ between two records of one type.
pub fn diff<T: Serialize>(before: &T, after: &T) -> Changes {
    let (serde_json::Value::Object(b), serde_json::Value::Object(a)) =
        (serde_json::to_value(before).unwrap_or_default(), serde_json::to_value(after).unwrap_or_default())
    else {
        return Changes::new();
    };
    let mut out = Changes::new();
    for (k, av) in a {
        let bv = b.get(&k).cloned().unwrap_or_default();
        if bv != av {
            out.insert(k, Change { before: bv, after: av });
        }
    }
    out
}

/// A device key as events name it: never the key itself, only its fingerprint.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceData {
    pub id: Uuid,
    pub name: String,
    /// SHA-256 of the public key (SubjectPublicKeyInfo DER), in hex.
    pub fingerprint: String,
}

impl From<&crate::devices::DeviceCredential> for DeviceData {
    fn from(d: &crate::devices::DeviceCredential) -> Self {
        use sha2::Digest;
        DeviceData { id: d.id, name: d.name.clone(), fingerprint: hex::encode(sha2::Sha256::digest(&d.public_key)) }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretData {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConnectionData {
    pub id: Uuid,
    pub name: String,
    pub host: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TenantData {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserData {
    pub id: Uuid,
    pub user_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub status: &'static str,
    pub deleted: bool,
}

impl UserData {
    pub fn new(id: Uuid, spec: &UserSpec, deleted: bool) -> UserData {
        UserData {
            id,
            user_name: spec.user_name.clone(),
            display_name: spec.display_name.clone(),
            email: spec.email.clone(),
            external_id: spec.external_id.clone(),
            status: spec.status.as_str(),
            deleted,
        }
    }
}

impl From<&User> for UserData {
    fn from(u: &User) -> Self {
        UserData::new(u.id, &u.spec, u.deleted.is_some())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupData {
    pub id: Uuid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub deleted: bool,
}

impl GroupData {
    pub fn new(id: Uuid, spec: &GroupSpec, deleted: bool) -> GroupData {
        GroupData {
            id,
            name: spec.name.clone(),
            display_name: spec.display_name.clone(),
            description: spec.description.clone(),
            deleted,
        }
    }
}

impl From<&Group> for GroupData {
    fn from(g: &Group) -> Self {
        GroupData::new(g.id, &g.spec, g.deleted.is_some())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PrincipalData {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Uuid,
}

impl From<MemberRef> for PrincipalData {
    fn from(m: MemberRef) -> Self {
        PrincipalData { kind: m.kind.as_str(), id: m.id }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyData {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_millis: Option<i64>,
}

// --- reading the trail back -------------------------------------------------------------------

/// The order of a page: by recorded time, then by recording order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ordering {
    Asc,
    #[default]
    Desc,
}

/// Which events a query or stream selects. Every list matches any of its values; lists
/// combine with AND. Names compare case-insensitively.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Recorded at or after, epoch milliseconds.
    pub start: Option<i64>,
    /// Recorded before, epoch milliseconds.
    pub end: Option<i64>,
    pub types: Vec<String>,
    /// Actor ids, display names or display ids, lower-cased.
    pub actors: Vec<String>,
    pub outcomes: Vec<String>,
    pub services: Vec<String>,
    /// Lower-cased.
    pub correlation_ids: Vec<String>,
    pub text: Option<TextQuery>,
    /// Without it, only attested events are answered.
    pub include_not_attested: bool,
}

/// A page request as the store runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventQuery {
    pub filter: EventFilter,
    pub ordering: Ordering,
    /// Events wanted; the store fetches one more to learn whether a next page exists.
    pub limit: u32,
    /// The (recorded, seq) of the last event of the previous page.
    pub after: Option<(i64, i64)>,
}

/// A free-text query: any of the clauses (`OR`), each needing all its phrases and none of
/// its excluded phrases. A phrase is a run of tokens that must appear in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextQuery {
    pub any: Vec<TextClause>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextClause {
    pub all: Vec<Vec<String>>,
    pub none: Vec<Vec<String>>,
}

/// Most phrases a free-text query may hold, so one query cannot make the index do unbounded work.
pub const MAX_TEXT_TERMS: usize = 32;
/// Longest free-text query accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 1024;

impl TextQuery {
    /// Parses `add_device OR device_credential_change -windows "exact phrase"`: terms are ANDed,
    /// `OR` (upper-case, alone) separates alternatives, `-term` excludes. Each alternative needs
    /// a term to include. Answers None for a query with no terms at all.
    pub fn parse(text: &str) -> Result<Option<TextQuery>, String> {
        if text.len() > MAX_TEXT_BYTES {
            return Err(format!("the query is longer than {MAX_TEXT_BYTES} bytes"));
        }
        let mut any = vec![TextClause::default()];
        let mut terms = 0;
        let mut rest = text.trim_start();
        while !rest.is_empty() {
            let (negated, body) = match rest.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, rest),
            };
            let (word, quoted, next) = if let Some(q) = body.strip_prefix('"') {
                let end = q.find('"').ok_or("a quoted phrase is not closed")?;
                (&q[..end], true, &q[end + 1..])
            } else {
                let end = body.find(char::is_whitespace).unwrap_or(body.len());
                (&body[..end], false, &body[end..])
            };
            rest = next.trim_start();
            if word == "OR" && !quoted && !negated {
                any.push(TextClause::default());
                continue;
            }
            let phrase: Vec<String> = tokens(word).collect();
            if phrase.is_empty() {
                continue;
            }
            terms += 1;
            if terms > MAX_TEXT_TERMS {
                return Err(format!("the query has more than {MAX_TEXT_TERMS} terms"));
            }
            let clause = any.last_mut().ok_or("empty query")?;
            if negated {
                clause.none.push(phrase);
            } else {
                clause.all.push(phrase);
            }
        }
        any.retain(|c| !c.all.is_empty() || !c.none.is_empty());
        if any.is_empty() {
            return Ok(None);
        }
        if any.iter().any(|c| c.all.is_empty()) {
            return Err("each alternative of the query needs a term to match, not only terms to exclude".into());
        }
        Ok(Some(TextQuery { any }))
    }

    /// Makes every phrase that is `from` (as tokens) search for `to` instead: how a face lets its
    /// own names for what the trail records find the trail's names.
    pub fn rename(&mut self, from: &str, to: &str) {
        let (from, to): (Vec<String>, Vec<String>) = (tokens(from).collect(), tokens(to).collect());
        for clause in &mut self.any {
            for phrase in clause.all.iter_mut().chain(clause.none.iter_mut()) {
                if *phrase == from {
                    phrase.clone_from(&to);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn free_text_parses_and_or_not_and_phrases() {
        let q = TextQuery::parse(r#"add_device OR device_credential_change -windows "Alan  Turing""#).unwrap().unwrap();
        assert_eq!(
            q.any,
            vec![
                TextClause { all: vec![p(&["add", "device"])], none: vec![] },
                TextClause {
                    all: vec![p(&["device", "credential", "change"]), p(&["alan", "turing"])],
                    none: vec![p(&["windows"])]
                },
            ]
        );
        assert_eq!(TextQuery::parse("   ").unwrap(), None);
        assert_eq!(TextQuery::parse("-- ,,").unwrap(), None);
        assert!(TextQuery::parse("-windows").is_err());
        assert!(TextQuery::parse("a OR -b").is_err());
        assert!(TextQuery::parse("\"open").is_err());
        assert!(TextQuery::parse(&"a ".repeat(MAX_TEXT_TERMS + 1)).is_err());
        // `or` in lower case is a word to find.
        assert_eq!(TextQuery::parse("this or that").unwrap().unwrap().any.len(), 1);
        let mut q = TextQuery::parse("enrollment_change OR alan -Enrollment").unwrap().unwrap();
        q.rename("enrollment_change", "one_time_link");
        q.rename("enrollment", "one_time_link");
        assert_eq!(q.any[0].all, [p(&["one", "time", "link"])]);
        assert_eq!(
            (q.any[1].all.clone(), q.any[1].none.clone()),
            (vec![p(&["alan"])], vec![p(&["one", "time", "link"])])
        );
    }

    #[test]
    fn search_text_is_lower_case_alphanumeric_tokens() {
        assert_eq!(
            tokens("USER_CHANGE alan@turing.io Ünïcode-ß").collect::<Vec<_>>(),
            ["user", "change", "alan", "turing", "io", "ünïcode", "ß"]
        );
    }

    #[test]
    fn diff_names_only_changed_fields() {
        let a = serde_json::json!({"x": 1, "y": "same"});
        let b = serde_json::json!({"x": 2, "y": "same"});
        let d = diff(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(d["x"], Change { before: 1.into(), after: 2.into() });
    }
}
