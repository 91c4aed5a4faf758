//! Signed access tokens: their claims, and the port of the service that signs and verifies them.

use crate::error::CoreError;
use crate::model::{Actor, Time};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The claims of an access token (a JWT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The user's user_name (or id, as configured).
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The tenant's name.
    pub tenant: String,
    /// The tenant's id.
    pub tid: Uuid,
    /// The user's id.
    pub uid: Uuid,
    /// The session the token belongs to; revoking it revokes the token.
    pub sid: Uuid,
    pub roles: Vec<String>,
    /// In an impersonation token, who really acts (RFC 8693 `act`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<ActClaim>,
}

/// The `act` claim: the impersonator's subject (`api-key:<id>` for a key) and its kind and id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActClaim {
    pub sub: String,
    #[serde(flatten)]
    pub actor: Actor,
}

/// Signs and verifies access tokens and publishes the keys that verify them.
#[async_trait::async_trait]
pub trait TokenService: Send + Sync + 'static {
    async fn sign(&self, claims: &AccessClaims) -> Result<String, CoreError>;
    /// Checks signature, expiry, issuer and audience. Any failure is Unauthenticated.
    async fn verify(&self, token: &str) -> Result<AccessClaims, CoreError>;
    /// The public keys as a JWK Set.
    async fn jwks(&self) -> Result<serde_json::Value, CoreError>;
}

/// How tokens are issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// The public URL of the server: the `iss` of tokens and the OpenID issuer.
    pub issuer: String,
    pub audience: String,
    pub access_ttl_seconds: i64,
    pub refresh_ttl_seconds: i64,
    /// `sub` is the user's id rather than its user_name.
    pub subject_is_id: bool,
}

impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings {
            issuer: "http://127.0.0.1:8080".into(),
            audience: "roster".into(),
            access_ttl_seconds: 900,
            refresh_ttl_seconds: 30 * 24 * 3600,
            subject_is_id: false,
        }
    }
}

/// What a signing key's private half is sealed for: its own key id, so one key's sealed half
/// cannot stand in for another's.
pub fn signing_key_context(kid: &str) -> Vec<u8> {
    format!("roster signing key {kid}").into_bytes()
}

/// A key the server signs with, as stored. The private key never leaves the store and the signer.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    pub algorithm: String,
    /// PKCS#8 DER.
    pub private_key: Vec<u8>,
    pub public_jwk: serde_json::Value,
    pub created: Time,
    pub retired: Option<Time>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

/// A sign-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub created: Time,
    pub refreshed: Time,
    pub expires: Time,
    pub revoked: Option<Time>,
    /// Set when someone else signed in as the user (impersonation).
    pub actor: Option<Actor>,
}

/// A session of an API key itself (a client that signs in with a key and no user): an opaque
/// token stands for the key until it signs out, the key stops working or the session expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySession {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub api_key_id: Uuid,
    pub created: Time,
    pub expires: Time,
    pub revoked: Option<Time>,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// It was current: the session now answers to the new token.
    Rotated(Session),
    /// It had already been used: someone holds a copy, so the session was revoked.
    Reused,
    /// No session knows it.
    Unknown,
}

/// What a sign-in answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    /// Seconds the access token lives.
    pub expires_in: i64,
    /// Absent for tokens that are not renewed (client credentials, impersonation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}
