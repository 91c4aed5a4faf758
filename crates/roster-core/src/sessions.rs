//! Sign-in: passwords to sessions and signed access tokens, refresh with rotation, sign-out,
//! and turning an access token back into a caller (with revocation checked on every use).

use crate::access::{self, Permission};
use crate::apikey;
use crate::directory::{Caller, Directory};
use crate::error::CoreError;
use crate::model::{self, User, UserStatus};
use crate::token::{AccessClaims, Refresh, Session, TokenPair};
use uuid::Uuid;

/// The role of a signed-in user until roles can be assigned to users.
const USER_ROLE: &str = "regular";

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
    /// is known to be right answers the same Unauthenticated after the same work.
    pub async fn login(&self, tenant: &str, login: &str, password: &str) -> Result<TokenPair, CoreError> {
        if password.len() > crate::password::MAX_BYTES || login.len() > 512 {
            return Err(CoreError::Unauthenticated);
        }
        // Text with NUL matches no stored name (PostgreSQL cannot even hold it); take the unknown-user path.
        let tenant = if tenant.contains('\0') || login.contains('\0') {
            None
        } else {
            self.store.tenant_by_name(tenant).await?
        };
        let user = match &tenant {
            Some(t) => self.store.user_by_login(t.id, &login.trim().to_lowercase()).await?,
            None => None,
        };
        let hash = match &user {
            Some(u) => self.store.password_hashes(u.tenant_id, u.id, 1).await?.into_iter().next(),
            None => None,
        };
        let (Some(tenant), Some(user), Some(hash)) = (tenant, user, hash) else {
            let dummy = self.dummy_hash().await?;
            let _ = self.hasher.verify(password, &dummy).await?;
            return Err(CoreError::Unauthenticated);
        };
        if !self.hasher.verify(password, &hash).await? {
            return Err(CoreError::Unauthenticated);
        }
        // Only now, with the password proven, may the answer say why the account cannot sign in.
        may_sign_in(&user)?;
        let now = model::now();
        let session = Session {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            user_id: user.id,
            created: now,
            refreshed: now,
            expires: now + chrono::Duration::seconds(self.token_settings.refresh_ttl_seconds),
            revoked: None,
        };
        let refresh = apikey::generate();
        self.store.insert_session(&session, &apikey::hash(&refresh)).await?;
        self.issue(&tenant.name, &user, &session, refresh).await
    }

    async fn issue(
        &self,
        tenant_name: &str,
        user: &User,
        session: &Session,
        refresh: String,
    ) -> Result<TokenPair, CoreError> {
        let s = &self.token_settings;
        let now = model::now().timestamp();
        let claims = AccessClaims {
            iss: s.issuer.clone(),
            sub: if s.subject_is_id { user.id.to_string() } else { user.spec.user_name.clone() },
            aud: s.audience.clone(),
            exp: now + s.access_ttl_seconds,
            iat: now,
            jti: Uuid::now_v7().to_string(),
            tenant: tenant_name.to_owned(),
            tid: user.tenant_id,
            uid: user.id,
            sid: session.id,
            roles: vec![USER_ROLE.to_owned()],
        };
        Ok(TokenPair {
            access_token: self.tokens.sign(&claims).await?,
            token_type: "Bearer",
            expires_in: s.access_ttl_seconds,
            refresh_token: refresh,
        })
    }

    /// Trades a refresh token for new tokens; the old refresh token stops working. Presenting
    /// an already used one revokes the session, since someone else holds a copy.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, CoreError> {
        if refresh_token.is_empty() || refresh_token.len() > apikey::MAX_LEN {
            return Err(CoreError::Unauthenticated);
        }
        let now = model::now();
        let next = apikey::generate();
        let expires = now + chrono::Duration::seconds(self.token_settings.refresh_ttl_seconds);
        let session =
            match self.store.rotate_refresh(&apikey::hash(refresh_token), &apikey::hash(&next), now, expires).await? {
                Refresh::Rotated(s) => s,
                Refresh::Reused | Refresh::Unknown => return Err(CoreError::Unauthenticated),
            };
        let user = self.live_session_user(&session).await?;
        let tenant = self.store.tenant_by_id(session.tenant_id).await?.ok_or(CoreError::Unauthenticated)?;
        self.issue(&tenant.name, &user, &session, next).await
    }

    /// Ends the caller's session: its access and refresh tokens stop working at once.
    pub async fn logout(&self, caller: &Caller) -> Result<(), CoreError> {
        let sid = caller
            .session_id
            .ok_or_else(|| CoreError::invalid("authorization", "only a signed-in user can sign out"))?;
        Ok(self.store.revoke_session(caller.tenant_id, sid, model::now()).await?)
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
        self.live_session_user(&session).await?;
        let permissions = access::role(USER_ROLE).map(|r| r.permissions).unwrap_or_default();
        debug_assert!(permissions.contains(Permission::SelfService));
        Ok(Caller {
            tenant_id: claims.tid,
            api_key_id: None,
            user_id: Some(claims.uid),
            session_id: Some(claims.sid),
            role: USER_ROLE.into(),
            permissions,
        })
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

/// Whether a user's state lets it sign in and use its tokens.
fn may_sign_in(user: &User) -> Result<(), CoreError> {
    if user.deleted.is_some() || user.spec.status != UserStatus::Active {
        return Err(CoreError::Forbidden);
    }
    Ok(())
}
