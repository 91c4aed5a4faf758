//! Sign-in: passwords and client secrets to sessions and signed access tokens, refresh with
//! rotation, impersonation, sign-out, and turning an access token back into a caller (with
//! revocation checked on every use).

use crate::access::{Permission, Permissions};
use crate::apikey;
use crate::authz::Action;
use crate::directory::{Caller, Directory};
use crate::error::CoreError;
use crate::events::{Event, EventActor, EventData, EventType, Outcome, RequestMeta};
use crate::model::{self, Actor, ActorKind, SignIn, Tenant, User, UserKind, UserStatus};
use crate::token::{AccessClaims, ActClaim, Refresh, Session, TokenPair};
use uuid::Uuid;

impl Directory {
    /// A hash to verify when there is no user, so unknown and known users take as long.
    async fn dummy_hash(&self) -> Result<String, CoreError> {
        if let Some(h) = self.dummy_hash.get() {
            return Ok(h.clone());
        }
        let h = self.hasher.hash(&apikey::generate()).await?;
        Ok(self.dummy_hash.get_or_init(|| h).clone())
    }

    /// Signs a user in with user name (or email) and password. Every failure before the password
    /// is known to be right answers the same Unauthenticated after the same work; so does a
    /// temporarily locked account, whatever the password, so a lock cannot be used to test guesses.
    pub async fn login(
        &self,
        tenant: &str,
        login: &str,
        password: &str,
        request: &RequestMeta,
    ) -> Result<TokenPair, CoreError> {
        match self.prove_password(tenant, login, password, request).await? {
            Proven::Directory(t, u) => self.directory_sign_in(&t.name, u, login, password, request).await,
            Proven::Local(t, u) => self.open_signed_in(&t.name, &u, "password", None, request).await,
        }
    }

    /// Changes a user's password without a session, proving the current one as a sign-in does:
    /// a wrong one counts towards the lockout, and every refusal before the proof is the same
    /// Unauthenticated. Every session of the user ends.
    pub async fn change_password_by_login(
        &self,
        tenant: &str,
        login: &str,
        current: &str,
        new: &str,
        request: &RequestMeta,
    ) -> Result<(), CoreError> {
        let user = match self.prove_password(tenant, login, current, request).await? {
            Proven::Directory(t, u) => {
                self.directory_sign_in(&t.name, u, login, current, request).await?;
                return Err(CoreError::Conflict(
                    "the user's password is kept by its directory; change it there".into(),
                ));
            }
            Proven::Local(_, u) => u,
        };
        may_sign_in(&user)?;
        if user.failed_logons > 0 {
            self.store.clear_logon_failures(user.tenant_id, user.id, None).await?;
        }
        self.write_password(&self.user_caller(&user, request), &user, new, false).await.map(drop)
    }

    /// Proves a local user's password (a directory user's is proven by its directory). Unknown
    /// users, wrong passwords and locked accounts all answer the same Unauthenticated after the
    /// same work; a wrong password counts towards the lockout.
    async fn prove_password(
        &self,
        tenant: &str,
        login: &str,
        password: &str,
        request: &RequestMeta,
    ) -> Result<Proven, CoreError> {
        if password.len() > crate::password::MAX_BYTES || login.len() > 512 {
            return Err(CoreError::Unauthenticated);
        }
        self.throttle.admit(request, Some(&format!("{tenant}/{}", crate::names::login_key(login))))?;
        // Text with NUL matches no stored name (PostgreSQL cannot even hold it); take the unknown-user path.
        let tenant = if tenant.contains('\0') || login.contains('\0') {
            None
        } else {
            self.store.tenant_by_name(tenant).await?
        };
        let user = match &tenant {
            Some(t) => self.store.user_by_login(t.id, &crate::names::login_key(login)).await?,
            None => None,
        };
        if let (Some(t), Some(u)) = (&tenant, &user) {
            if u.spec.kind == UserKind::Directory && u.spec.directory_id.is_some() {
                return Ok(Proven::Directory(t.clone(), u.clone()));
            }
        }
        let hash = match &user {
            Some(u) => self.store.password_hashes(u.tenant_id, u.id, 1).await?.into_iter().next(),
            None => None,
        };
        let (tenant, user, hash) = match (tenant, user, hash) {
            (Some(t), Some(u), Some(h)) => (t, u, h),
            (tenant, user, _) => {
                self.unknown_sign_in(tenant, user, login, password, request).await?;
                return Err(CoreError::Unauthenticated);
            }
        };
        let refuse = |reason: &str| {
            sign_in_event(user.tenant_id, request, EventActor::user(&user), Some(&user), login, "password", reason)
        };
        if !self.hasher.verify(password, &hash).await? {
            self.logon_failed(&user, request, refuse("wrong password")).await?;
            return Err(CoreError::Unauthenticated);
        }
        if user.locked_at(model::now()) {
            self.store.record_events(&[refuse("the account is locked")]).await?;
            return Err(CoreError::Unauthenticated);
        }
        Ok(Proven::Local(tenant, user))
    }

    /// Opens a session for a user whose credential was just proven, unless its state forbids
    /// signing in (then a DENIED event, and Forbidden); clears its failed sign-ins.
    pub(crate) async fn open_signed_in(
        &self,
        tenant: &str,
        user: &User,
        method: &'static str,
        source: Option<&str>,
        request: &RequestMeta,
    ) -> Result<TokenPair, CoreError> {
        let refusal = match may_sign_in(user) {
            Err(e) => Some(e),
            Ok(()) if user.spec.kind == UserKind::Application => Some(CoreError::Forbidden),
            Ok(()) => None,
        };
        if refusal.is_none() {
            self.check_network(user, method, request).await?;
        }
        if let Some(e) = refusal {
            let why = if user.deleted.is_some() {
                "the user is deleted".to_owned()
            } else if user.spec.kind == UserKind::Application {
                "application users sign in with client credentials".to_owned()
            } else {
                format!("the user is {}", user.spec.status.as_str())
            };
            let login = &user.spec.user_name;
            let event = sign_in_event(user.tenant_id, request, EventActor::user(user), Some(user), login, method, &why);
            self.store.record_events(&[event.outcome(Outcome::Denied)]).await?;
            return Err(e);
        }
        if user.failed_logons > 0 {
            self.store.clear_logon_failures(user.tenant_id, user.id, None).await?;
        }
        let caller = self.user_caller(user, request);
        let event = caller.event(
            EventType::UserAuthentication,
            EventData::UserAuthentication {
                user: Some(user.into()),
                login: None,
                method,
                result: "SUCCESS",
                reason: None,
            },
        );
        let sign_in = sign_in_of(method, source);
        let (session, refresh) = self.open_session(user, true, None, Some(sign_in), &event).await?;
        self.issue(tenant, user, &session, refresh, None).await
    }

    /// A sign-in with no known tenant, user or password: the same work and answer as a wrong
    /// password, and a failure event when the tenant is known.
    async fn unknown_sign_in(
        &self,
        tenant: Option<Tenant>,
        user: Option<User>,
        login: &str,
        password: &str,
        request: &RequestMeta,
    ) -> Result<TokenPair, CoreError> {
        let dummy = self.dummy_hash().await?;
        let _ = self.hasher.verify(password, &dummy).await?;
        if let Some(t) = tenant {
            let reason = if user.is_some() { "the user has no password" } else { "no such user" };
            let actor = match &user {
                Some(u) => EventActor::user(u),
                None => EventActor::anonymous(t.id),
            };
            let event = sign_in_event(t.id, request, actor, user.as_ref(), login, "password", reason);
            self.store.record_events(&[event]).await?;
        }
        Err(CoreError::Unauthenticated)
    }

    /// Opens a session for a user. A refreshable one lives as long as refresh tokens do and
    /// answers its first refresh token; any other lives as long as one access token.
    async fn open_session(
        &self,
        user: &User,
        refreshable: bool,
        actor: Option<Actor>,
        sign_in: Option<SignIn>,
        event: &Event,
    ) -> Result<(Session, Option<String>), CoreError> {
        let s = &self.token_settings;
        let now = model::now();
        let ttl = if refreshable { s.refresh_ttl_seconds } else { s.access_ttl_seconds };
        let session = Session {
            id: Uuid::now_v7(),
            tenant_id: user.tenant_id,
            user_id: user.id,
            created: now,
            refreshed: now,
            expires: now + chrono::Duration::seconds(ttl),
            revoked: None,
            actor,
        };
        // A session that cannot be refreshed still needs a unique refresh hash: one nobody knows.
        let refresh = apikey::generate();
        // The event that opens a session names it.
        let mut event = event.clone();
        event.data["session_id"] = session.id.to_string().into();
        let sign_in = sign_in.map(|s| SignIn { at: now, ..s });
        self.store.insert_session(&session, &apikey::hash(&refresh), sign_in.as_ref(), &event).await?;
        Ok((session, refreshable.then_some(refresh)))
    }

    /// The subject a token names a user by.
    fn subject(&self, user: &User) -> String {
        if self.token_settings.subject_is_id {
            user.id.to_string()
        } else {
            user.spec.user_name.clone()
        }
    }

    async fn issue(
        &self,
        tenant_name: &str,
        user: &User,
        session: &Session,
        refresh: Option<String>,
        act: Option<ActClaim>,
    ) -> Result<TokenPair, CoreError> {
        let s = &self.token_settings;
        let (roles, _) = self.user_access(user.tenant_id, user.id).await?;
        let now = model::now().timestamp();
        let expires_in = s.access_ttl_seconds.min((session.expires.timestamp() - now).max(1));
        let claims = AccessClaims {
            iss: s.issuer.clone(),
            sub: self.subject(user),
            aud: s.audience.clone(),
            exp: now + expires_in,
            iat: now,
            jti: Uuid::now_v7().to_string(),
            tenant: tenant_name.to_owned(),
            tid: user.tenant_id,
            uid: user.id,
            sid: session.id,
            roles,
            act,
        };
        Ok(TokenPair {
            access_token: self.tokens.sign(&claims).await?,
            token_type: "Bearer",
            expires_in,
            refresh_token: refresh,
        })
    }

    /// OAuth 2.0 client credentials: an application user proves its client secret and gets an
    /// access token (no refresh token). Unknown clients, wrong secrets and clients that may not
    /// sign in all answer the same Unauthenticated.
    pub async fn client_credentials(
        &self,
        client_id: &str,
        secret: &str,
        request: &RequestMeta,
    ) -> Result<TokenPair, CoreError> {
        // A machine client signs in often and proves a secret nobody guesses: its address is
        // limited, not its account.
        self.throttle.admit(request, None)?;
        let id = Uuid::parse_str(client_id.trim()).map_err(|_| CoreError::Unauthenticated)?;
        if secret.is_empty() || secret.len() > apikey::MAX_LEN {
            return Err(CoreError::Unauthenticated);
        }
        let (tenant_id, stored) = self.store.client_secret(id).await?.ok_or(CoreError::Unauthenticated)?;
        let user = self.store.user(tenant_id, id).await?.ok_or(CoreError::Unauthenticated)?;
        let refusal = if !apikey::hashes_equal(&stored, &apikey::hash(secret)) {
            Some("wrong client secret")
        } else if may_sign_in(&user).is_err() || user.spec.kind != UserKind::Application {
            Some("the client may not sign in")
        } else {
            None
        };
        if let Some(reason) = refusal {
            let actor = EventActor::user(&user);
            let event = sign_in_event(tenant_id, request, actor, Some(&user), client_id, "client_credentials", reason);
            self.store.record_events(&[event]).await?;
            return Err(CoreError::Unauthenticated);
        }
        self.check_network(&user, "client_credentials", request).await?;
        let tenant = self.store.tenant_by_id(tenant_id).await?.ok_or(CoreError::Unauthenticated)?;
        let event = self.user_caller(&user, request).event(
            EventType::UserAuthentication,
            EventData::UserAuthentication {
                user: Some((&user).into()),
                login: None,
                method: "client_credentials",
                result: "SUCCESS",
                reason: None,
            },
        );
        let sign_in = sign_in_of("client_credentials", None);
        let (session, _) = self.open_session(&user, false, None, Some(sign_in), &event).await?;
        self.issue(&tenant.name, &user, &session, None, None).await
    }

    /// Makes (or replaces) the client secret of an application user; the secret is answered
    /// once. Tokens issued with an earlier secret stop working.
    pub async fn rotate_client_secret(&self, caller: &Caller, id: Uuid) -> Result<(User, String), CoreError> {
        let user = self.user(caller, id).await?;
        self.authorize(caller, Action::ChangeUser(Permission::CredentialsWrite, id)).await?;
        if user.spec.kind != UserKind::Application {
            return Err(CoreError::Conflict("only application users (kind application) have client secrets".into()));
        }
        if user.deleted.is_some() {
            return Err(CoreError::Conflict("the user is deleted; restore it before giving it a secret".into()));
        }
        let secret = apikey::generate();
        let now = model::now();
        let event = caller.credential_event((&user).into(), "client_secret", "ROTATE");
        self.store.set_client_secret(caller.tenant_id, id, &apikey::hash(&secret), now, &event).await?;
        self.store.revoke_user_sessions(caller.tenant_id, id, now).await?;
        Ok((user, secret))
    }

    /// A token for another user of the caller's tenant, naming the caller as the one who really
    /// acts (`act`). The caller must hold every permission the user holds, cannot impersonate
    /// itself, and cannot impersonate from an impersonation session. The token is not renewed.
    pub async fn impersonate(&self, caller: &Caller, target: Uuid) -> Result<TokenPair, CoreError> {
        let actor = match (caller.actor, caller.user_id, caller.api_key_id) {
            (Some(_), _, _) => return Err(CoreError::Forbidden),
            (None, Some(uid), _) => Actor { kind: ActorKind::User, id: uid },
            (None, None, Some(kid)) => Actor { kind: ActorKind::ApiKey, id: kid },
            (None, None, None) => return Err(CoreError::Forbidden),
        };
        if actor.kind == ActorKind::User && actor.id == target {
            return Err(CoreError::invalid("user_id", "a user cannot impersonate itself"));
        }
        let user = self.user(caller, target).await?;
        self.authorize(caller, Action::Impersonate(target)).await?;
        may_sign_in(&user)
            .map_err(|_| CoreError::Conflict("the user cannot sign in, so cannot be impersonated".into()))?;
        let sub = match actor.kind {
            ActorKind::User => self.subject(&self.user(caller, actor.id).await?),
            ActorKind::ApiKey => format!("api-key:{}", actor.id),
        };
        let tenant = self.store.tenant_by_id(caller.tenant_id).await?.ok_or(CoreError::NotFound { what: "tenant" })?;
        let event = caller.event(EventType::Impersonation, EventData::Impersonation { user: (&user).into() });
        // Someone else acting as the user: no sign-in of the user's own.
        let (session, _) = self.open_session(&user, false, Some(actor), None, &event).await?;
        self.issue(&tenant.name, &user, &session, None, Some(ActClaim { sub, actor })).await
    }

    /// Trades a refresh token for new tokens; the old refresh token stops working. Presenting
    /// an already used one revokes the session, since someone else holds a copy.
    pub async fn refresh(&self, refresh_token: &str, request: &RequestMeta) -> Result<TokenPair, CoreError> {
        self.throttle.admit(request, None)?;
        if refresh_token.is_empty() || refresh_token.len() > apikey::MAX_LEN {
            return Err(CoreError::Unauthenticated);
        }
        let old = apikey::hash(refresh_token);
        let found = self.store.session_by_refresh(&old).await?.ok_or(CoreError::Unauthenticated)?;
        let user = self.live_session_user(&found).await?;
        let caller = self.user_caller(&user, request);
        let event = |action| {
            caller.event(
                EventType::SessionChange,
                EventData::SessionChange { user_id: user.id, session_id: found.id, action },
            )
        };
        let now = model::now();
        let next = apikey::generate();
        let expires = now + chrono::Duration::seconds(self.token_settings.refresh_ttl_seconds);
        let session =
            match self.store.rotate_refresh(&old, &apikey::hash(&next), now, expires, &event("REFRESH")).await? {
                Refresh::Rotated(s) => s,
                Refresh::Reused => {
                    // Someone else holds a copy of the token: worth an administrator's attention.
                    let reuse = event("REFRESH_TOKEN_REUSED").outcome(Outcome::Failure);
                    self.store.record_events(&[reuse]).await?;
                    return Err(CoreError::Unauthenticated);
                }
                Refresh::Unknown => return Err(CoreError::Unauthenticated),
            };
        let tenant = self.store.tenant_by_id(session.tenant_id).await?.ok_or(CoreError::Unauthenticated)?;
        self.issue(&tenant.name, &user, &session, Some(next), None).await
    }

    /// Ends the caller's session: its access and refresh tokens stop working at once.
    pub async fn logout(&self, caller: &Caller) -> Result<(), CoreError> {
        let (sid, uid) = match (caller.session_id, caller.user_id, caller.api_key_id) {
            (Some(sid), Some(uid), _) => (sid, uid),
            (Some(sid), None, Some(kid)) => return self.close_key_session(caller, sid, kid).await,
            _ => return Err(CoreError::invalid("authorization", "only a signed-in session can sign out")),
        };
        let event = caller.event(
            EventType::SessionChange,
            EventData::SessionChange { user_id: uid, session_id: sid, action: "LOGOUT" },
        );
        Ok(self.store.revoke_session(caller.tenant_id, sid, model::now(), &event).await?)
    }

    /// Signs in as a user of an API key's tenant, for faces whose clients sign in with a key and
    /// the user they act as. With the user's password the session is the user's own (a wrong
    /// one counts like any); without it the key must be allowed to impersonate the user, and the
    /// session names the key as the one who really acts.
    pub async fn sign_in_as(
        &self,
        key: &Caller,
        login: &str,
        password: Option<&str>,
        request: &RequestMeta,
    ) -> Result<TokenPair, CoreError> {
        let tenant = self.store.tenant_by_id(key.tenant_id).await?.ok_or(CoreError::Unauthenticated)?;
        match password {
            Some(p) => self.login(&tenant.name, login, p, request).await,
            None => {
                let user = self
                    .store
                    .user_by_login(key.tenant_id, &crate::names::login_key(login))
                    .await?
                    .filter(|u| u.deleted.is_none())
                    .ok_or(CoreError::Unauthenticated)?;
                self.impersonate(key, user.id).await
            }
        }
    }

    /// The signed-in user.
    pub async fn me(&self, caller: &Caller) -> Result<User, CoreError> {
        let uid = caller.user_id.ok_or(CoreError::NotFound { what: "user" })?;
        self.user(caller, uid).await
    }

    /// Resolves an access token to its caller: valid signature and lifetime, and a session that
    /// is neither revoked nor older than the user's last password change, of a user who may sign in.
    pub async fn authenticate_token(&self, token: &str) -> Result<Caller, CoreError> {
        let claims = self.tokens.verify(token).await?;
        let session = self.store.session(claims.tid, claims.sid).await?.ok_or(CoreError::Unauthenticated)?;
        if session.user_id != claims.uid {
            return Err(CoreError::Unauthenticated);
        }
        let user = self.live_session_user(&session).await?;
        // Roles are read on every request, so taking one away takes effect at once. A user who
        // must change its password may do only that until it has (an impersonator is not asked to).
        let (roles, permissions) = if user.password_must_change && session.actor.is_none() {
            (Vec::new(), crate::access::Permissions::of(&[Permission::PasswordChange]))
        } else {
            self.user_access(claims.tid, claims.uid).await?
        };
        if let Some(actor) = session.actor {
            self.actor_still_covers(claims.tid, actor, permissions).await?;
        }
        Ok(Caller {
            session_id: Some(claims.sid),
            must_change_password: user.password_must_change && session.actor.is_none(),
            roles,
            permissions,
            actor: session.actor,
            ..self.user_caller(&user, &RequestMeta::default())
        })
    }

    /// An impersonation session holds only while the one who really acts could still open it:
    /// the key is neither revoked nor expired, or the user may still sign in, and either still
    /// holds `impersonate` and every power of the impersonated user. Asked on every use, from
    /// the database, so revoking or weakening the actor ends the session at once on every process.
    async fn actor_still_covers(&self, tenant: Uuid, actor: Actor, held: Permissions) -> Result<(), CoreError> {
        let powers = match actor.kind {
            ActorKind::ApiKey => {
                let key = self.store.api_key(tenant, actor.id).await?.ok_or(CoreError::Unauthenticated)?;
                if key.revoked.is_some() || key.expires.is_some_and(|e| e <= model::now()) {
                    return Err(CoreError::Unauthenticated);
                }
                crate::access::role(&key.role).map(|r| r.permissions).unwrap_or_default()
            }
            ActorKind::User => {
                let user = self.store.user(tenant, actor.id).await?.ok_or(CoreError::Unauthenticated)?;
                may_sign_in(&user).map_err(|_| CoreError::Unauthenticated)?;
                self.user_access(tenant, actor.id).await?.1
            }
        };
        let acting = Caller { permissions: powers, ..Caller::operator(tenant) };
        if !acting.permissions.contains(Permission::Impersonate) || !crate::authz::covers_powers(&acting, held) {
            return Err(CoreError::Unauthenticated);
        }
        Ok(())
    }

    /// A user as a caller with no permissions, for the events of its own sign-in.
    pub(crate) fn user_caller(&self, user: &User, request: &RequestMeta) -> Caller {
        Caller {
            tenant_id: user.tenant_id,
            api_key_id: None,
            user_id: Some(user.id),
            session_id: None,
            roles: Vec::new(),
            permissions: crate::access::Permissions::NONE,
            actor: None,
            who: EventActor::user(user),
            request: request.clone(),
            must_change_password: false,
        }
    }

    /// The session's user, if the session still stands.
    async fn live_session_user(&self, session: &Session) -> Result<User, CoreError> {
        let now = model::now();
        if session.revoked.is_some() || session.expires <= now {
            return Err(CoreError::Unauthenticated);
        }
        let user = self.store.user(session.tenant_id, session.user_id).await?.ok_or(CoreError::Unauthenticated)?;
        if may_sign_in(&user).is_err() || user.password_changed.is_some_and(|t| t > session.created) {
            return Err(CoreError::Unauthenticated);
        }
        Ok(user)
    }
}

/// A refused sign-in. Not attested: the name is as the client typed it.
pub(crate) fn sign_in_event(
    tenant: Uuid,
    request: &RequestMeta,
    actor: EventActor,
    user: Option<&User>,
    login: &str,
    method: &'static str,
    reason: &str,
) -> Event {
    Event::new(
        tenant,
        request,
        actor,
        EventType::UserAuthentication,
        EventData::UserAuthentication {
            user: user.map(Into::into),
            login: Some(login.chars().take(256).collect()),
            method,
            result: "UNAUTHORIZED",
            reason: Some(reason.to_owned()),
        },
    )
    .outcome(Outcome::Failure)
    .unattested()
}

/// Whose password `prove_password` proved, or whose it leaves to the directory.
enum Proven {
    Local(Tenant, User),
    Directory(Tenant, User),
}

/// Whether a user's state lets it sign in and use its tokens.
pub(crate) fn may_sign_in(user: &User) -> Result<(), CoreError> {
    if user.deleted.is_some() || user.spec.status != UserStatus::Active {
        return Err(CoreError::Forbidden);
    }
    Ok(())
}

/// The sign-in a session notes on its user (its time is the session's).
fn sign_in_of(method: &str, source: Option<&str>) -> SignIn {
    SignIn { at: model::now(), method: method.to_owned(), source: source.map(str::to_owned) }
}
