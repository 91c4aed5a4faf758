//! One-time links and the flows they drive: inviting a user (who then chooses a user name and
//! password), binding a device key to an account (enrollment and recovery), and resetting a
//! forgotten password. Every link is 256 random bits, kept only as its SHA-256, single use,
//! expiring and revocable; issuing one writes the token, the message that carries it and the
//! event in the transaction of the change that caused it.

use crate::access::Permission;
use crate::apikey;
use crate::authz::Action;
use crate::devices::{self, DeviceCredential};
use crate::directory::{Caller, Directory};
use crate::error::{CoreError, FieldError};
use crate::events::{self, Event, EventActor, EventData, EventType, LinkData, Outcome, RequestMeta, UserData};
use crate::mail::{self, MessageKind, OutboxMessage};
use crate::model::{self, MemberRef, PrincipalKind, Time, User, UserKind, UserSpec, UserStatus};
use crate::sessions::may_sign_in;
use crate::store::NewInvitation;
use crate::validate;
use crate::workstations::{check_cards, Smartcard};
use uuid::Uuid;

/// Every generated link token starts with this, so secret scanners can spot leaked ones.
const TOKEN_PREFIX: &str = "roster_link_";
/// Hashes of the password kept as history when a link sets one (as an administrator's set does).
use crate::credentials::HISTORY_KEPT;
/// Groups an invitation may put its users in.
pub const MAX_INVITATION_GROUPS: usize = 100;
/// Device keys one user may hold.
const MAX_DEVICES: usize = 20;

/// A one-time token as stored: the token itself is never kept, only its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct OneTimeToken {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub purpose: MessageKind,
    pub hash: [u8; 32],
    pub created: Time,
    pub expires: Time,
    pub used: Option<Time>,
    pub revoked: Option<Time>,
}

/// A new token, the message that carries it and the event that records it: written together,
/// with the change that causes them. Earlier live tokens of the same user and purpose are
/// revoked in the same transaction. A link sent with a new user has no event of its own: the
/// user's creation event names its message.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub token: OneTimeToken,
    pub message: OutboxMessage,
    /// The link's own event (`ONE_TIME_LINK`), written with it.
    pub event: Event,
    /// The hourly shares the message must fit in, checked where it is queued.
    pub share: crate::mail::MailShare,
}

impl Dispatch {
    /// What an event about the user says of the link sent with it; never the token.
    fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "purpose": self.token.purpose.as_str(),
            "expires": self.token.expires.timestamp_millis(),
            "message": self.message.id,
        })
    }
}

/// The change a redeemed token makes, in the transaction that marks it used.
#[derive(Debug, Clone)]
pub enum Redemption<'a> {
    /// The invited user's chosen attributes (now active), at the version the token was read
    /// with, and optionally its first password hash.
    AcceptInvitation {
        spec: &'a UserSpec,
        expected: i64,
        password: Option<&'a str>,
        keep: u32,
    },
    ResetPassword {
        hash: &'a str,
        keep: u32,
    },
    BindDevice(&'a DeviceCredential),
}

/// What a link stands for, as shown to the person who opens it.
#[derive(Debug, Clone)]
pub struct Link {
    pub purpose: MessageKind,
    pub expires: Time,
    pub tenant: String,
    pub user: User,
}

/// What an invited user chooses when accepting.
#[derive(Debug, Clone)]
pub struct Acceptance {
    pub user_name: String,
    pub display_name: String,
    pub password: Option<String>,
    /// The subject of the user's tokens at an external identity provider, kept as the claim `jwt_subject`.
    pub jwt_subject: Option<String>,
}

fn new_token() -> String {
    apikey::generate().replacen(apikey::PREFIX, TOKEN_PREFIX, 1)
}

/// The one answer for an unknown, expired, used or revoked link.
fn invalid() -> CoreError {
    CoreError::InvalidLink
}

impl Directory {
    /// Makes a token for a user and the message carrying it, without writing either.
    async fn prepare(
        &self,
        caller: &Caller,
        user: (Uuid, &UserSpec),
        purpose: MessageKind,
        action: &'static str,
    ) -> Result<Dispatch, CoreError> {
        let (user_id, spec) = user;
        let tenant_id = caller.tenant_id;
        let tenant = self.store.tenant_by_id(tenant_id).await?.ok_or(CoreError::NotFound { what: "tenant" })?;
        let token = new_token();
        let now = model::now();
        let expires = now + chrono::Duration::seconds(self.mail.ttl_seconds(purpose));
        let template = self.template_for(tenant_id, purpose).await?;
        let message =
            mail::compose(&self.mail, &template, &tenant.name, (tenant_id, user_id, spec), purpose, &token, expires)?
                .sealed(self.sealer()?);
        let event = caller.event(
            EventType::OneTimeLink,
            EventData::OneTimeLink(LinkData {
                user: Some(UserData::new(user_id, spec, false)),
                purpose: purpose.as_str(),
                action,
                expires: Some(expires.timestamp_millis()),
                message: Some(message.id),
                ..LinkData::default()
            }),
        );
        let token = OneTimeToken {
            id: Uuid::now_v7(),
            tenant_id,
            user_id,
            purpose,
            hash: apikey::hash(&token),
            created: now,
            expires,
            used: None,
            revoked: None,
        };
        let share =
            crate::mail::MailShare { per_user: self.mail.per_user_per_hour, per_tenant: self.mail.per_tenant_per_hour };
        Ok(Dispatch { token, message, event, share })
    }

    /// Issues a fresh link of a purpose to an existing user (the earlier live ones stop working).
    async fn send_link(
        &self,
        caller: &Caller,
        user: &User,
        purpose: MessageKind,
        action: &'static str,
    ) -> Result<Time, CoreError> {
        self.check_mail_rate(caller.tenant_id, Some(user.id), 1).await?;
        let d = self.prepare(caller, (user.id, &user.spec), purpose, action).await?;
        self.store.dispatch(&d).await?;
        Ok(d.token.expires)
    }

    /// Removes links and sign-in challenges that expired more than a day ago.
    pub async fn prune_links(&self) -> Result<u64, CoreError> {
        Ok(self.store.prune_links(model::now() - chrono::Duration::days(1)).await?)
    }

    // --- invitations ----------------------------------------------------------------------

    /// Creates a user whose invitation is pending and mails the invitation. The user signs in
    /// only once it accepts, choosing its user name (the one given here, or its email, until then)
    /// and password.
    pub async fn invite(&self, caller: &Caller, mut spec: UserSpec) -> Result<User, CoreError> {
        if spec.user_name.trim().is_empty() {
            spec.user_name = spec.email.clone().unwrap_or_default();
        }
        spec.status = UserStatus::Invited;
        spec.inactive_reason = None;
        spec.kind = UserKind::Local;
        validate::user(&mut spec, Some(UserStatus::Invited))?;
        self.insert_user_with_link(caller, spec, MessageKind::Invitation).await
    }

    /// Invites users by email, in one transaction: each is put in `groups`, given `cards` and,
    /// when `send` is true, mailed its invitation. Nothing is created unless every one is.
    pub async fn invite_many(
        &self,
        caller: &Caller,
        emails: &[String],
        groups: &[Uuid],
        (mut cards, allow_duplicates): (Vec<Smartcard>, bool),
        send: bool,
    ) -> Result<Vec<User>, CoreError> {
        const MAX_INVITATIONS: usize = 100;
        self.authorize(caller, Action::Use(Permission::UsersWrite)).await?;
        for group in groups {
            self.authorize(caller, Action::ChangeGroupPowers(Permission::GroupsWrite, *group)).await?;
        }
        if emails.is_empty() || emails.len() > MAX_INVITATIONS {
            return Err(CoreError::invalid("emails", format!("1 to {MAX_INVITATIONS} addresses")));
        }
        check_cards("smartcards", &mut cards, allow_duplicates)?;
        if emails.len() > 1 && !cards.is_empty() && !allow_duplicates {
            return Err(CoreError::invalid(
                "smartcards",
                "every invited user would hold the same numbers; allow duplicates or invite one at a time",
            ));
        }
        if groups.len() > MAX_INVITATION_GROUPS {
            return Err(CoreError::invalid("groups", format!("at most {MAX_INVITATION_GROUPS} groups")));
        }
        let mut members_of = Vec::with_capacity(groups.len());
        for g in groups {
            let group = self.group(caller, *g).await?;
            if group.deleted.is_some() || group.source.is_some() {
                return Err(CoreError::Conflict(format!(
                    "members cannot be added to the group '{}' (it is deleted or follows a directory group)",
                    group.spec.name
                )));
            }
            members_of.push(group);
        }
        if send {
            self.check_mail_rate(caller.tenant_id, None, emails.len()).await?;
        }
        let mut seen = std::collections::HashSet::new();
        let mut invitations = Vec::with_capacity(emails.len());
        for (i, email) in emails.iter().enumerate() {
            let at = |e: FieldError| FieldError::new(format!("emails[{i}]"), format!("{}: {}", e.field, e.message));
            let mut spec = UserSpec {
                user_name: email.trim().to_owned(),
                email: Some(email.trim().to_owned()),
                status: UserStatus::Invited,
                kind: UserKind::Local,
                claims: model::empty_object(),
                ..UserSpec::default()
            };
            validate::user(&mut spec, Some(UserStatus::Invited)).map_err(|e| match e {
                CoreError::Validation(errs) => CoreError::Validation(errs.into_iter().map(at).collect()),
                other => other,
            })?;
            if !seen.insert(crate::names::login_key(&spec.user_name)) {
                return Err(CoreError::invalid(format!("emails[{i}]"), "the address is in the list twice"));
            }
            let id = Uuid::now_v7();
            let dispatch = match send {
                true => Some(self.prepare(caller, (id, &spec), MessageKind::Invitation, "ISSUE").await?),
                false => None,
            };
            let mut created = self.creation_event(caller, id, &spec);
            if let Some(d) = &dispatch {
                created.data["link"] = d.summary();
            }
            let me = MemberRef { kind: PrincipalKind::User, id };
            let mut events = vec![created];
            events.extend(members_of.iter().map(|g| crate::directory::membership_event(caller, g, me, "ADD")));
            if !cards.is_empty() {
                events.push(caller.event(
                    EventType::CredentialChange,
                    EventData::CredentialChange {
                        user: UserData::new(id, &spec, false),
                        credential: "smartcards",
                        action: "REPLACE",
                        device: None,
                    },
                ));
            }
            invitations.push(NewInvitation { id, spec, dispatch, events });
        }
        let written = self
            .store
            .insert_invitations(caller.tenant_id, &invitations, groups, (&cards, allow_duplicates), model::now())
            .await?;
        written.map_err(|i| {
            CoreError::invalid(
                format!("smartcards[{i}].number"),
                "the number is held by another user of the tenant (allow duplicates to add it anyway)",
            )
        })
    }

    /// Creates a user and mails it a link, in one transaction: nothing is created and nothing
    /// sent unless both are.
    pub async fn create_user_with_link(
        &self,
        caller: &Caller,
        mut spec: UserSpec,
        purpose: MessageKind,
    ) -> Result<User, CoreError> {
        self.authorize(caller, Action::Use(Permission::UsersWrite)).await?;
        validate::user(&mut spec, None)?;
        self.insert_user_with_link(caller, spec, purpose).await
    }

    async fn insert_user_with_link(
        &self,
        caller: &Caller,
        spec: UserSpec,
        purpose: MessageKind,
    ) -> Result<User, CoreError> {
        if spec.email.is_none() {
            return Err(CoreError::invalid("email", "the link is sent by email; the user needs an address"));
        }
        self.check_mail_rate(caller.tenant_id, None, 1).await?;
        let id = Uuid::now_v7();
        // The creation names the link it sent, and the link has its own event, as every link
        // issued has (an enrollment is recorded as a recovery is).
        let dispatch = self.prepare(caller, (id, &spec), purpose, "ISSUE").await?;
        let mut event = self.creation_event(caller, id, &spec);
        event.data["link"] = dispatch.summary();
        Ok(self.store.insert_user(caller.tenant_id, id, &spec, model::now(), Some(&dispatch), &event).await?)
    }

    /// Sends a pending invitation again, with a fresh link; the earlier one stops working.
    pub async fn resend_invitation(&self, caller: &Caller, user_id: Uuid) -> Result<Time, CoreError> {
        let user = self.invited_user(caller, user_id).await?;
        self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, user_id)).await?;
        self.send_link(caller, &user, MessageKind::Invitation, "RESEND").await
    }

    /// Withdraws a pending invitation: its links stop working; the user stays invited, without one.
    pub async fn revoke_invitation(&self, caller: &Caller, user_id: Uuid) -> Result<(), CoreError> {
        self.revoke_links(caller, user_id, MessageKind::Invitation).await
    }

    /// Revokes a user's live links of a purpose; NotFound("link") when it had none.
    pub async fn revoke_links(&self, caller: &Caller, user_id: Uuid, purpose: MessageKind) -> Result<(), CoreError> {
        let user = self.user(caller, user_id).await?;
        self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, user_id)).await?;
        let event = caller.event(
            EventType::OneTimeLink,
            EventData::OneTimeLink(LinkData {
                user: Some((&user).into()),
                purpose: purpose.as_str(),
                action: "REVOKE",
                ..LinkData::default()
            }),
        );
        let n = self.store.revoke_one_time_tokens(caller.tenant_id, user_id, purpose, model::now(), &event).await?;
        if n == 0 {
            return Err(CoreError::NotFound { what: "link" });
        }
        Ok(())
    }

    async fn invited_user(&self, caller: &Caller, user_id: Uuid) -> Result<User, CoreError> {
        let user = self.user(caller, user_id).await?;
        if user.spec.status != UserStatus::Invited || user.deleted.is_some() {
            return Err(CoreError::Conflict("the user has no pending invitation".into()));
        }
        Ok(user)
    }

    /// What a link stands for. Unknown, expired, used and revoked links all answer InvalidLink.
    pub async fn link(&self, token: &str, purpose: MessageKind, request: &RequestMeta) -> Result<Link, CoreError> {
        let (t, user) = self.live_link(token, purpose, request).await?;
        let tenant = self.store.tenant_by_id(t.tenant_id).await?.ok_or_else(invalid)?;
        Ok(Link { purpose, expires: t.expires, tenant: tenant.name, user })
    }

    /// Whether an invited user could take a user name (it may keep the one it has).
    pub async fn user_name_available(
        &self,
        token: &str,
        user_name: &str,
        request: &RequestMeta,
    ) -> Result<bool, CoreError> {
        let (t, user) = self.live_link(token, MessageKind::Invitation, request).await?;
        let name = validate::user_name(user_name)?;
        Ok(match self.store.user_by_login(t.tenant_id, &crate::names::login_key(name)).await? {
            Some(other) => other.id == user.id,
            None => true,
        })
    }

    /// Accepts an invitation: the user takes the chosen user name, display name and password and
    /// becomes active; the link is used up in the same transaction.
    pub async fn accept_invitation(
        &self,
        token: &str,
        a: Acceptance,
        request: &RequestMeta,
    ) -> Result<User, CoreError> {
        let (t, user) = self.live_link(token, MessageKind::Invitation, request).await?;
        if user.spec.status != UserStatus::Invited || user.deleted.is_some() {
            return Err(invalid());
        }
        let mut spec = user.spec.clone();
        spec.user_name = a.user_name;
        spec.display_name = Some(a.display_name);
        spec.status = UserStatus::Active;
        if let Some(sub) = a.jwt_subject {
            if let serde_json::Value::Object(claims) = &mut spec.claims {
                claims.insert("jwt_subject".into(), sub.into());
            }
        }
        validate::user(&mut spec, Some(UserStatus::Invited))?;
        let hash = match &a.password {
            // Checked against the names the user is about to take.
            Some(p) => Some(self.checked_hash(&User { spec: spec.clone(), ..user.clone() }, p).await?),
            None => None,
        };
        let event = self.user_caller(&user, request).event(
            EventType::UserChange,
            EventData::UserChange {
                user: UserData::new(user.id, &spec, false),
                action: "ACCEPT_INVITATION",
                changes: events::diff(&user.spec, &spec),
            },
        );
        let change = Redemption::AcceptInvitation {
            spec: &spec,
            expected: user.version,
            password: hash.as_deref(),
            keep: HISTORY_KEPT,
        };
        self.redeem(&t, &change, &event).await
    }

    // --- device binding -------------------------------------------------------------------

    /// Mails a user a link that binds a device key to its account (enrollment, and recovery of a
    /// lost device); the earlier unused links stop working.
    pub async fn send_binding_link(&self, caller: &Caller, user_id: Uuid) -> Result<Time, CoreError> {
        let user = self.user(caller, user_id).await?;
        self.authorize(caller, Action::ChangeUser(Permission::CredentialsWrite, user_id)).await?;
        if may_sign_in(&user).is_err() {
            return Err(CoreError::Conflict(format!(
                "the user is {}; only active users can bind a device",
                if user.deleted.is_some() { "deleted" } else { user.spec.status.as_str() }
            )));
        }
        self.send_link(caller, &user, MessageKind::DeviceBinding, "ISSUE").await
    }

    /// Binds a device key through a binding link: the link is used up, the key becomes a
    /// credential of the user.
    pub async fn bind_device(
        &self,
        token: &str,
        name: &str,
        public_key_pem: &str,
        request: &RequestMeta,
    ) -> Result<DeviceCredential, CoreError> {
        let (t, user) = self.live_link(token, MessageKind::DeviceBinding, request).await?;
        if may_sign_in(&user).is_err() {
            return Err(invalid());
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
            return Err(CoreError::invalid("name", "a device name is 1 to 128 characters, no control characters"));
        }
        let (algorithm, public_key) = devices::parse_public_key(public_key_pem)?;
        let live = self.store.device_credentials(t.tenant_id, user.id).await?;
        if live.iter().filter(|d| d.revoked.is_none()).count() >= MAX_DEVICES {
            return Err(CoreError::Conflict(format!(
                "a user holds at most {MAX_DEVICES} device keys; revoke one first"
            )));
        }
        let device = DeviceCredential {
            id: Uuid::now_v7(),
            tenant_id: t.tenant_id,
            user_id: user.id,
            name: name.to_owned(),
            algorithm,
            public_key,
            created: model::now(),
            last_used: None,
            revoked: None,
        };
        let event = self.user_caller(&user, request).event(
            EventType::CredentialChange,
            EventData::CredentialChange {
                user: (&user).into(),
                credential: "device",
                action: "BIND",
                device: Some((&device).into()),
            },
        );
        self.redeem(&t, &Redemption::BindDevice(&device), &event).await?;
        Ok(device)
    }

    // --- password reset -------------------------------------------------------------------

    /// Admits a request for a password-reset link (the address's and the account's buckets) and
    /// answers the work to run, detached from the request: whether or not the name belongs to
    /// someone, the answer is the same and comes before any lookup, so neither its content nor
    /// its timing tells who has an account.
    pub fn request_password_reset(
        &self,
        tenant: &str,
        login: &str,
        request: &RequestMeta,
    ) -> Result<impl std::future::Future<Output = Result<(), CoreError>> + Send + 'static, CoreError> {
        self.throttle.admit(request, Some(&format!("{tenant}/{}", crate::names::login_key(login))))?;
        let (this, tenant, login, request) = (self.clone(), tenant.to_owned(), login.to_owned(), request.clone());
        Ok(async move { this.mail_password_reset(&tenant, &login, &request).await })
    }

    /// Mails a password-reset link to the user a sign-in name names, when it is a local user
    /// with a password and an email who may sign in; a refusal is an event, never an answer.
    async fn mail_password_reset(&self, tenant: &str, login: &str, request: &RequestMeta) -> Result<(), CoreError> {
        if login.len() > 512 || login.contains('\0') || tenant.contains('\0') {
            return Ok(());
        }
        let Some(tenant) = self.store.tenant_by_name(tenant).await? else { return Ok(()) };
        let user = self.store.user_by_login(tenant.id, &crate::names::login_key(login)).await?;
        let why_not = match &user {
            None => Some("no such user"),
            Some(u) if may_sign_in(u).is_err() => Some("the user may not sign in"),
            Some(u) if u.spec.kind != UserKind::Local || u.password_changed.is_none() => {
                Some("the user has no password")
            }
            Some(u) if u.spec.email.is_none() => Some("the user has no email address"),
            Some(_) => None,
        };
        let caller = match &user {
            Some(u) => self.user_caller(u, request),
            None => Caller { who: EventActor::anonymous(tenant.id), ..Caller::system(tenant.id, request) },
        };
        let refusal = |reason: String| {
            let data = EventData::OneTimeLink(LinkData {
                user: user.as_ref().map(Into::into),
                login: user.is_none().then(|| login.chars().take(256).collect()),
                purpose: MessageKind::PasswordReset.as_str(),
                action: "ISSUE",
                reason: Some(reason),
                ..LinkData::default()
            });
            caller.event(EventType::OneTimeLink, data).outcome(Outcome::Failure).unattested()
        };
        if let Some(reason) = why_not {
            self.store.record_events(&[refusal(reason.to_owned())]).await?;
            return Ok(());
        }
        let Some(target) = &user else { return Ok(()) };
        match self.send_link(&caller, target, MessageKind::PasswordReset, "ISSUE").await {
            Ok(_) => Ok(()),
            Err(CoreError::RateLimited { what, .. }) => {
                self.store.record_events(&[refusal(format!("too many {what} in the last hour"))]).await?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Sets a new password through a reset link; the link is used up, and every session the user
    /// had ends (they were opened before the password changed).
    pub async fn reset_password(&self, token: &str, password: &str, request: &RequestMeta) -> Result<(), CoreError> {
        let (t, user) = self.live_link(token, MessageKind::PasswordReset, request).await?;
        if user.deleted.is_some() {
            return Err(invalid());
        }
        let hash = self.checked_hash(&user, password).await?;
        let event = self.user_caller(&user, request).event(
            EventType::CredentialChange,
            EventData::CredentialChange { user: (&user).into(), credential: "password", action: "RESET", device: None },
        );
        self.redeem(&t, &Redemption::ResetPassword { hash: &hash, keep: HISTORY_KEPT }, &event).await?;
        Ok(())
    }

    /// The token a link carries, if it is live and of that purpose, and its user. A known token
    /// that is no longer live leaves a failure event in its tenant; the answer never says which.
    async fn live_link(
        &self,
        token: &str,
        purpose: MessageKind,
        request: &RequestMeta,
    ) -> Result<(OneTimeToken, User), CoreError> {
        self.throttle.admit(request, None)?;
        let token = token.trim();
        if token.is_empty() || token.len() > 128 {
            return Err(invalid());
        }
        let t = self.store.one_time_token(&apikey::hash(token)).await?.ok_or_else(invalid)?;
        let user = self.store.user(t.tenant_id, t.user_id).await?.ok_or_else(invalid)?;
        let reason = if t.purpose != purpose {
            Some("the link is for something else")
        } else if t.revoked.is_some() {
            Some("the link was revoked or replaced")
        } else if t.used.is_some() {
            Some("the link was used already")
        } else if t.expires <= model::now() {
            Some("the link has expired")
        } else {
            None
        };
        if let Some(reason) = reason {
            let data = LinkData {
                user: Some((&user).into()),
                purpose: t.purpose.as_str(),
                action: "REDEEM",
                expires: Some(t.expires.timestamp_millis()),
                reason: Some(reason.into()),
                ..LinkData::default()
            };
            let e = Event::new(
                t.tenant_id,
                request,
                EventActor::user(&user),
                EventType::OneTimeLink,
                EventData::OneTimeLink(data),
            )
            .outcome(Outcome::Failure)
            .unattested();
            self.store.record_events(&[e]).await?;
            return Err(invalid());
        }
        Ok((t, user))
    }

    /// Uses up a live token and makes its change. A token another request used up first (after
    /// `live_link` read it) gets the same answer as any dead link.
    async fn redeem(&self, t: &OneTimeToken, change: &Redemption<'_>, event: &Event) -> Result<User, CoreError> {
        match self.store.redeem(&t.hash, t.purpose, model::now(), change, event).await {
            Err(crate::StoreError::NotFound("link")) => Err(invalid()),
            other => Ok(other?),
        }
    }
}
