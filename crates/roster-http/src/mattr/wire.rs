//! The dialect's JSON shapes: camelCase, users as `{id, claims, authenticationProvider}`, pages
//! as `{data, nextCursor}` with `nextCursor` absent on the last page.

use roster_core::claim_users::CredentialRecord;
use roster_core::model::{FederatedIdentity, User};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user's identity at its authentication provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthenticationProvider {
    pub provider_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub subject_id: String,
}

impl From<AuthenticationProvider> for FederatedIdentity {
    fn from(a: AuthenticationProvider) -> Self {
        FederatedIdentity { provider_id: a.provider_id, url: a.url, subject_id: a.subject_id }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MattrUser<'a> {
    pub id: Uuid,
    pub claims: &'a serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_provider: Option<AuthenticationProvider>,
}

impl<'a> From<&'a User> for MattrUser<'a> {
    fn from(u: &'a User) -> Self {
        MattrUser {
            id: u.id,
            claims: &u.spec.claims,
            authentication_provider: u.spec.federated_identity.as_ref().map(|f| AuthenticationProvider {
                provider_id: f.provider_id.clone(),
                url: f.url.clone(),
                subject_id: f.subject_id.clone(),
            }),
        }
    }
}

/// `POST users`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUser {
    #[serde(default = "roster_core::model::empty_object")]
    pub claims: serde_json::Value,
    #[serde(default)]
    pub authentication_provider: Option<AuthenticationProvider>,
}

/// `PUT users/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub claims: serde_json::Value,
}

/// The provider part of a search: any of its fields.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderCriteria {
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub subject_id: Option<String>,
}

/// `POST users/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchUsers {
    #[serde(default)]
    pub claims: Option<serde_json::Value>,
    #[serde(default)]
    pub authentication_provider: Option<ProviderCriteria>,
    /// A number, as the vendor documents it; checked to be a whole number in range.
    #[serde(default)]
    pub limit: Option<serde_json::Value>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `limit` and `cursor` of a listing's query string, as text so that bad values get this face's answer.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageOf<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    pub data: Vec<T>,
}

/// The metadata of one of a user's credentials.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    pub id: Uuid,
    /// `password`, `deviceKey` or `clientSecret`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

fn iso(t: roster_core::model::Time) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl From<CredentialRecord> for Credential {
    fn from(c: CredentialRecord) -> Self {
        use roster_core::claim_users::CredentialKind::*;
        Credential {
            id: c.id,
            kind: match c.kind {
                Password => "password",
                DeviceKey => "deviceKey",
                ClientSecret => "clientSecret",
            },
            name: c.name,
            algorithm: c.algorithm,
            created_at: iso(c.created),
            last_used_at: c.last_used.map(iso),
        }
    }
}

/// `POST oauth/token`.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    pub client_id: String,
    pub client_secret: String,
    pub audience: String,
    pub grant_type: String,
}
