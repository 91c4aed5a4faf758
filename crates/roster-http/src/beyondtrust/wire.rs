//! The dialect's wire types: the vendor's PascalCase names (`UserID`, `SID`, `ClientID`).

use roster_core::model::{User, UserKind, UserStatus};
use serde::Serialize;

/// What `Auth/SignAppin` answers.
#[derive(Debug, Serialize)]
pub struct SignedIn {
    #[serde(rename = "UserId")]
    pub user_id: i64,
    /// The account's Windows SID, which Roster does not keep.
    #[serde(rename = "SID")]
    pub sid: Option<String>,
    #[serde(rename = "EmailAddress")]
    pub email_address: Option<String>,
    #[serde(rename = "UserName")]
    pub user_name: String,
    #[serde(rename = "Name")]
    pub name: String,
}

impl From<&User> for SignedIn {
    fn from(u: &User) -> Self {
        SignedIn {
            user_id: u.number,
            sid: None,
            email_address: u.spec.email.clone(),
            user_name: u.spec.user_name.clone(),
            name: display_name(u),
        }
    }
}

impl SignedIn {
    /// A session of an API key alone: no user, so `UserId` is 0, `UserName` is `api-key:<key id>`
    /// (stable for the key's life) and `Name` the key's name.
    pub fn key(key: &roster_core::Caller) -> Self {
        SignedIn {
            user_id: 0,
            sid: None,
            email_address: None,
            user_name: format!("api-key:{}", key.who.id),
            name: key.who.display_name.clone(),
        }
    }
}

fn display_name(u: &User) -> String {
    u.spec.display_name.clone().unwrap_or_else(|| {
        let parts: Vec<&str> =
            [u.spec.given_name.as_deref(), u.spec.family_name.as_deref()].into_iter().flatten().collect();
        if parts.is_empty() {
            u.spec.user_name.clone()
        } else {
            parts.join(" ")
        }
    })
}

/// A user as the vendor's API shows one.
#[derive(Debug, Serialize)]
pub struct BtUser {
    #[serde(rename = "UserID")]
    pub user_id: i64,
    #[serde(rename = "UserName")]
    pub user_name: String,
    #[serde(rename = "DomainName")]
    pub domain_name: Option<String>,
    #[serde(rename = "DistinguishedName")]
    pub distinguished_name: Option<String>,
    #[serde(rename = "FirstName")]
    pub first_name: Option<String>,
    #[serde(rename = "LastName")]
    pub last_name: Option<String>,
    #[serde(rename = "EmailAddress")]
    pub email_address: Option<String>,
    #[serde(rename = "LastLoginDate")]
    pub last_login_date: Option<String>,
    #[serde(rename = "LastLoginAuthenticationType")]
    pub last_login_authentication_type: Option<String>,
    #[serde(rename = "LastLoginConfigurationName")]
    pub last_login_configuration_name: Option<String>,
    #[serde(rename = "LastLoginSAMLIDPURL")]
    pub last_login_saml_idp_url: Option<String>,
    #[serde(rename = "LastLoginSSOURL")]
    pub last_login_sso_url: Option<String>,
    #[serde(rename = "IsQuarantined")]
    pub is_quarantined: bool,
    /// Application users only.
    #[serde(rename = "UserType", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<&'static str>,
    #[serde(rename = "ClientID", skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Answered only when a secret is made (creation, recycling); null otherwise.
    #[serde(rename = "ClientSecret", skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Option<String>>,
    #[serde(rename = "AccessPolicyID", skip_serializing_if = "Option::is_none")]
    pub access_policy_id: Option<i64>,
}

impl BtUser {
    /// The user, with its access policy's number for an application user.
    pub fn new(u: &User, access_policy: Option<i64>) -> BtUser {
        let application = u.spec.kind == UserKind::Application;
        BtUser {
            user_id: u.number,
            user_name: u.spec.user_name.clone(),
            domain_name: u.spec.domain_name.clone(),
            distinguished_name: u.spec.distinguished_name.clone(),
            first_name: u.spec.given_name.clone(),
            last_name: u.spec.family_name.clone(),
            email_address: u.spec.email.clone(),
            last_login_date: u.last_sign_in.as_ref().map(|s| s.at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            last_login_authentication_type: u
                .last_sign_in
                .as_ref()
                .map(|s| authentication_type(u, &s.method).to_owned()),
            last_login_configuration_name: u.last_sign_in.as_ref().and_then(|s| s.source.clone()),
            last_login_saml_idp_url: None,
            last_login_sso_url: None,
            is_quarantined: u.spec.status == UserStatus::Quarantined,
            user_type: application.then_some("Application"),
            client_id: application.then(|| u.id.to_string()),
            client_secret: application.then_some(None),
            access_policy_id: if application { access_policy } else { None },
        }
    }
}

/// The vendor's name for how a user signed in.
fn authentication_type(u: &User, method: &str) -> &'static str {
    match method {
        "password" => "Password",
        // Active Directory users carry their domain; other directory users are LDAP ones.
        "directory" if u.spec.domain_name.is_some() => "Active Directory",
        "directory" => "LDAP",
        "client_credentials" => "Client Credentials",
        "device" => "Device Key",
        _ => "Other",
    }
}

/// A user group as the vendor's API shows one.
#[derive(Debug, Serialize)]
pub struct BtGroup {
    #[serde(rename = "GroupID")]
    pub group_id: i64,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Description")]
    pub description: Option<String>,
    #[serde(rename = "DistinguishedName")]
    pub distinguished_name: Option<String>,
    /// BeyondInsight, or the directory kind of a group that follows a directory group.
    #[serde(rename = "GroupType")]
    pub group_type: &'static str,
    #[serde(rename = "IsActive")]
    pub is_active: bool,
}

impl BtGroup {
    pub fn new(
        g: &roster_core::model::Group,
        directory_kind: Option<roster_core::connectors::DirectoryKind>,
    ) -> BtGroup {
        use roster_core::connectors::DirectoryKind;
        BtGroup {
            group_id: g.number,
            name: g.spec.name.clone(),
            description: g.spec.description.clone(),
            distinguished_name: g.source.as_ref().map(|s| s.dn.clone()),
            group_type: match directory_kind {
                Some(DirectoryKind::ActiveDirectory) => "ActiveDirectory",
                Some(DirectoryKind::Ldap) => "LdapDirectory",
                None => "BeyondInsight",
            },
            is_active: g.deleted.is_none(),
        }
    }
}
