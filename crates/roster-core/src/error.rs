//! The core's one error type, with a stable machine-readable code per variant.

use crate::filter::FilterError;
use crate::store::StoreError;

/// One offending field of a rejected input, named by the core's own attribute name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("the input is not valid")]
    Validation(Vec<FieldError>),
    #[error("{field} is already taken in this tenant")]
    Unique { field: &'static str },
    #[error("the resource was modified since the version you hold")]
    VersionMismatch,
    #[error("that membership would make a group a member of itself")]
    Cycle,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Filter(#[from] FilterError),
    #[error("the cursor is not valid for this query")]
    Cursor,
    #[error("authentication is required")]
    Unauthenticated,
    #[error("the credential does not grant this operation")]
    Forbidden,
    /// The signed-in user must choose a new password before anything else: its session may
    /// only change it.
    #[error("the password must be changed first: this session may only change it")]
    PasswordMustChange,
    /// A one-time link that is unknown, expired, used or revoked: one answer for all, so a
    /// guesser learns nothing.
    #[error("the link is not valid: it may have expired, been used already or been replaced by a newer one")]
    InvalidLink,
    /// Too many messages of one kind in a while.
    #[error("too many {what}; try again later")]
    RateLimited { what: &'static str, retry_after_seconds: u64 },
    /// Too much work is queued (password hashing in a login storm); try again shortly.
    #[error("the server is busy; try again shortly")]
    Busy,
    /// A directory server failed or refused a call; names the cause, never a credential.
    #[error("{0}")]
    Directory(#[from] crate::connectors::DirectoryError),
    /// Anything unexpected. The message is for the log only; faces answer an opaque 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// A stable code faces put in their error envelopes.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::NotFound { what } => match *what {
                "user" => "user.not_found",
                "group" => "group.not_found",
                "tenant" => "tenant.not_found",
                "api key" => "apikey.not_found",
                "member" => "member.not_found",
                "role assignment" => "role.not_assigned",
                "event" => "event.not_found",
                "link" => "link.not_found",
                "device" => "device.not_found",
                "message" => "message.not_found",
                "directory connection" => "directory.connection_not_found",
                "access policy" => "access_policy.not_found",
                "secret" => "secret.not_found",
                "owner" => "secret.owner_not_found",
                _ => "not_found",
            },
            CoreError::Validation(_) => "validation",
            CoreError::Unique { .. } => "conflict.unique",
            CoreError::VersionMismatch => "conflict.version",
            CoreError::Cycle => "group.cycle",
            CoreError::Conflict(_) => "conflict",
            CoreError::Filter(_) => "filter.invalid",
            CoreError::Cursor => "cursor.invalid",
            CoreError::Unauthenticated => "auth.unauthenticated",
            CoreError::Forbidden => "auth.forbidden",
            CoreError::PasswordMustChange => "auth.password_must_change",
            CoreError::Busy => "busy",
            CoreError::InvalidLink => "link.invalid",
            CoreError::RateLimited { .. } => "rate_limited",
            CoreError::Directory(d) => d.code(),
            CoreError::Internal(_) => "internal",
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CoreError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => CoreError::NotFound { what },
            StoreError::Unique(field) => CoreError::Unique { field },
            StoreError::VersionMismatch => CoreError::VersionMismatch,
            StoreError::Cycle => CoreError::Cycle,
            StoreError::Guest => {
                CoreError::Conflict("a guest cannot be put in groups or under access policies; promote it first".into())
            }
            StoreError::LastHolder(role) => CoreError::Conflict(format!(
                "the tenant must keep at least one user with the {role} role; give it to another user first"
            )),
            StoreError::Cursor => CoreError::Cursor,
            StoreError::MailShare(what) => CoreError::RateLimited { what, retry_after_seconds: 3600 },
            StoreError::InUse(what) => CoreError::Conflict(what),
            StoreError::Backend(m) => CoreError::Internal(m),
        }
    }
}
