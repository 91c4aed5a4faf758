//! Password policy: the rules a tenant sets for passwords, checked all at once so a person
//! sees every problem in one answer.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::OnceLock;

/// No password longer than this many bytes is even looked at, let alone hashed.
pub const MAX_BYTES: usize = 1024;

/// A tenant's password rules. The defaults follow current guidance: length and a check against
/// common passwords rather than composition rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct PasswordPolicy {
    /// Fewest characters.
    pub min_length: u32,
    /// Most characters (never more than 1024 bytes whatever this says).
    pub max_length: u32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
    /// Refuse passwords equal to or containing the user name, the email's local part or the display name.
    pub forbid_personal: bool,
    /// Refuse the 20,000 most common passwords.
    pub forbid_common: bool,
    /// Least zxcvbn strength score (0 to 4) accepted; none when absent.
    pub min_strength: Option<u8>,
    /// How many earlier passwords may not be used again (0 to 24).
    pub history: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 12,
            max_length: 256,
            require_lowercase: false,
            require_uppercase: false,
            require_digit: false,
            require_symbol: false,
            forbid_personal: true,
            forbid_common: true,
            min_strength: None,
            history: 5,
        }
    }
}

/// What is known of the person the password is for.
#[derive(Debug, Default, Clone, Copy)]
pub struct Personal<'a> {
    pub user_name: &'a str,
    pub email: Option<&'a str>,
    pub display_name: Option<&'a str>,
}

/// Turns passwords into PHC strings and checks them, off the request threads.
#[async_trait::async_trait]
pub trait PasswordHasher: Send + Sync + 'static {
    /// A PHC string (`$argon2id$v=19$m=...`) for the password.
    async fn hash(&self, password: &str) -> Result<String, crate::CoreError>;
    /// Whether the password matches the PHC string; a malformed string is no match.
    async fn verify(&self, password: &str, phc: &str) -> Result<bool, crate::CoreError>;
    /// Whether a PHC string made elsewhere (an import's) is one this hasher can verify.
    fn accepts(&self, phc: &str) -> bool;
}

const COMMON_LIST: &str = include_str!("../data/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_LIST.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect())
}

/// Whether a password is on the list of common passwords (compared without regard to case).
pub fn is_common(password: &str) -> bool {
    common().contains(password.to_lowercase().as_str())
}

impl PasswordPolicy {
    /// Checks the policy itself.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !(1..=1024).contains(&self.min_length) {
            errors.push(FieldError::new("min_length", "must be between 1 and 1024"));
        }
        if self.max_length < self.min_length || self.max_length > 1024 {
            errors.push(FieldError::new("max_length", "must be between min_length and 1024"));
        }
        if self.min_strength.is_some_and(|s| s > 4) {
            errors.push(FieldError::new("min_strength", "must be between 0 and 4"));
        }
        if self.history > 24 {
            errors.push(FieldError::new("history", "must be between 0 and 24"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Every rule the password breaks, as `password` field errors. History is checked apart,
    /// against stored hashes.
    pub fn check(&self, password: &str, who: Personal<'_>) -> Vec<FieldError> {
        let mut failed = Vec::new();
        let mut fail = |m: String| failed.push(FieldError::new("password", m));
        if password.len() > MAX_BYTES {
            fail(format!("must be at most {MAX_BYTES} bytes"));
            return failed;
        }
        let chars = password.chars().count();
        if chars < self.min_length as usize {
            fail(format!("must be at least {} characters", self.min_length));
        }
        if chars > self.max_length as usize {
            fail(format!("must be at most {} characters", self.max_length));
        }
        if password.chars().any(char::is_control) {
            fail("must not contain control characters".into());
        }
        if self.require_lowercase && !password.chars().any(char::is_lowercase) {
            fail("must contain a lower-case letter".into());
        }
        if self.require_uppercase && !password.chars().any(char::is_uppercase) {
            fail("must contain an upper-case letter".into());
        }
        if self.require_digit && !password.chars().any(|c| c.is_ascii_digit()) {
            fail("must contain a digit".into());
        }
        if self.require_symbol && !password.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace()) {
            fail("must contain a symbol".into());
        }
        if self.forbid_personal {
            let lower = password.to_lowercase();
            let local = who.email.and_then(|e| e.split('@').next());
            for (what, value) in
                [("user name", Some(who.user_name)), ("email", local), ("display name", who.display_name)]
            {
                // Very short names would forbid too much; three characters is where it starts to matter.
                if let Some(v) = value.map(str::to_lowercase).filter(|v| v.chars().count() >= 3) {
                    if lower.contains(&v) {
                        fail(format!("must not contain the {what}"));
                    }
                }
            }
        }
        if self.forbid_common && is_common(password) {
            fail("is one of the most common passwords".into());
        }
        if let Some(min) = self.min_strength {
            let inputs: Vec<&str> = [Some(who.user_name), who.email, who.display_name].into_iter().flatten().collect();
            let score = zxcvbn::zxcvbn(password, &inputs).score() as u8;
            if score < min {
                fail(format!("is too easy to guess (strength {score} of 4, at least {min} needed)"));
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(policy: &PasswordPolicy, pw: &str, who: Personal<'_>) -> Vec<String> {
        policy.check(pw, who).into_iter().map(|e| e.message).collect()
    }

    #[test]
    fn the_list_is_real_and_large() {
        assert!(common().len() >= 10_000, "{}", common().len());
        assert!(is_common("Password1") || is_common("password"));
        assert!(is_common("QWERTY123"));
        assert!(!is_common("correct horse battery staple"));
    }

    #[test]
    fn every_failed_rule_is_reported_at_once() {
        let policy = PasswordPolicy {
            require_uppercase: true,
            require_digit: true,
            require_symbol: true,
            min_strength: Some(3),
            ..PasswordPolicy::default()
        };
        let who =
            Personal { user_name: "dragon", email: Some("dragon.smith@example.com"), display_name: Some("D. Smith") };
        let got = messages(&policy, "dragon", who);
        assert_eq!(
            got,
            [
                "must be at least 12 characters",
                "must contain an upper-case letter",
                "must contain a digit",
                "must contain a symbol",
                "must not contain the user name",
                "is one of the most common passwords",
                "is too easy to guess (strength 0 of 4, at least 3 needed)",
            ]
        );
        assert!(messages(&policy, "Tr0mb0ne-Vertigo-Lamp", who).is_empty());
        assert_eq!(
            messages(&policy, "xx-dragon.smith-XX-9", who),
            ["must not contain the user name", "must not contain the email"]
        );
    }

    #[test]
    fn oversized_passwords_are_refused_before_anything_else() {
        let got = messages(&PasswordPolicy::default(), &"x".repeat(MAX_BYTES + 1), Personal::default());
        assert_eq!(got, [format!("must be at most {MAX_BYTES} bytes")]);
    }

    #[test]
    fn policies_are_checked() {
        let bad = PasswordPolicy {
            min_length: 0,
            max_length: 2000,
            min_strength: Some(5),
            history: 99,
            ..Default::default()
        };
        let fields: Vec<String> = bad.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["min_length", "max_length", "min_strength", "history"]);
        assert!(PasswordPolicy::default().validate().is_ok());
    }
}
