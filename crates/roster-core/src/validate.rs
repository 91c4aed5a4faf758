//! Validation of writable attributes: every failed rule is reported at once, named by attribute.

use crate::error::{CoreError, FieldError};
use crate::model::{GroupSpec, InactiveReason, UserSpec, UserStatus};

const NAME_MAX: usize = 256;
const TEXT_MAX: usize = 1024;
const EMAIL_MAX: usize = 254;
const CLAIMS_MAX_BYTES: usize = 16 * 1024;
const CLAIMS_MAX_DEPTH: usize = 8;

struct Checker(Vec<FieldError>);

impl Checker {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    fn required_name(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(field, "must not be empty");
        } else if value.trim() != value {
            self.fail(field, "must not begin or end with white space");
        }
        self.text(field, Some(value), NAME_MAX);
    }

    /// A user name: a required name that is also one under RFC 8265 (see `names`).
    fn user_name(&mut self, field: &str, value: &str) {
        let before = self.0.len();
        self.required_name(field, value);
        if self.0.len() == before {
            if let Err(problem) = crate::names::user_name_key(value) {
                self.fail(field, problem);
            }
        }
    }

    fn text(&mut self, field: &str, value: Option<&str>, max: usize) {
        let Some(v) = value else { return };
        if v.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        if v.chars().any(char::is_control) {
            self.fail(field, "must not contain control characters");
        }
    }

    fn email(&mut self, field: &str, value: Option<&str>) {
        let Some(v) = value else { return };
        let ok = v.len() <= EMAIL_MAX
            && !v.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(v.rsplit_once('@'), Some((local, domain))
                if !local.is_empty() && !local.contains('@') && local.len() <= 64 && !domain.is_empty()
                && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains(['@', '(', ')', '<', '>', ',', ';', ':', '\\', '"', '[', ']']));
        if !ok {
            self.fail(field, "must be an email address such as name@example.com");
        }
    }

    fn done(self) -> Result<(), CoreError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Validation(self.0))
        }
    }
}

/// Whether any key or string in a JSON value holds a NUL character, which PostgreSQL cannot store.
fn json_has_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(a) => a.iter().any(json_has_nul),
        serde_json::Value::Object(m) => m.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        _ => false,
    }
}

/// Largest magnitude of a non-integer number kept in claims. PostgreSQL keeps JSON numbers as
/// exact decimals, and one near the double's limit can read back as a double out of range.
const CLAIMS_NUMBER_MAX: f64 = 1e300;

/// Whether any number in a JSON value is too large to keep.
fn json_has_huge_number(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Number(n) => {
            n.as_i64().is_none() && n.as_u64().is_none() && n.as_f64().is_none_or(|f| f.abs() > CLAIMS_NUMBER_MAX)
        }
        serde_json::Value::Array(a) => a.iter().any(json_has_huge_number),
        serde_json::Value::Object(m) => m.values().any(json_has_huge_number),
        _ => false,
    }
}

fn json_depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(m) => 1 + m.values().map(json_depth).max().unwrap_or(0),
        serde_json::Value::Array(a) => 1 + a.iter().map(json_depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Checks a user's writable attributes and normalises what has one right form:
/// empty optional strings become absent, and a deactivation without a reason is a manual one.
/// `was` is the user's status before the change: only an invited user may stay invited.
pub(crate) fn user(spec: &mut UserSpec, was: Option<UserStatus>) -> Result<(), CoreError> {
    for opt in [
        &mut spec.external_id,
        &mut spec.display_name,
        &mut spec.given_name,
        &mut spec.family_name,
        &mut spec.email,
        &mut spec.unix_user_name,
        &mut spec.unix_home_directory,
        &mut spec.user_principal_name,
        &mut spec.domain_name,
        &mut spec.distinguished_name,
    ] {
        if opt.as_deref() == Some("") {
            *opt = None;
        }
    }
    if spec.status == UserStatus::Deactivated && spec.inactive_reason.is_none() {
        spec.inactive_reason = Some(InactiveReason::Manual);
    }

    let mut c = Checker(Vec::new());
    c.user_name("user_name", &spec.user_name);
    c.text("external_id", spec.external_id.as_deref(), NAME_MAX);
    c.text("display_name", spec.display_name.as_deref(), NAME_MAX);
    c.text("given_name", spec.given_name.as_deref(), NAME_MAX);
    c.text("family_name", spec.family_name.as_deref(), NAME_MAX);
    c.email("email", spec.email.as_deref());
    c.text("unix_user_name", spec.unix_user_name.as_deref(), NAME_MAX);
    c.text("unix_home_directory", spec.unix_home_directory.as_deref(), TEXT_MAX);
    c.text("user_principal_name", spec.user_principal_name.as_deref(), NAME_MAX);
    c.text("domain_name", spec.domain_name.as_deref(), NAME_MAX);
    c.text("distinguished_name", spec.distinguished_name.as_deref(), TEXT_MAX);
    if spec.status == UserStatus::Invited && was != Some(UserStatus::Invited) {
        c.fail("status", "'invited' is set by sending an invitation, not directly");
    }
    if spec.inactive_reason.is_some() && spec.status != UserStatus::Deactivated {
        c.fail("inactive_reason", "is only allowed when status is 'deactivated'");
    }
    c.claims("claims", &spec.claims);
    if let Some(f) = &spec.federated_identity {
        c.required_name("federated_identity.provider_id", &f.provider_id);
        c.required_name("federated_identity.subject_id", &f.subject_id);
        c.text("federated_identity.url", f.url.as_deref(), TEXT_MAX);
    }
    c.done()
}

/// Claims criteria of a search: held to the rules of claims themselves.
pub(crate) fn claims_criteria(field: &str, criteria: &serde_json::Value) -> Result<(), CoreError> {
    let mut c = Checker(Vec::new());
    c.claims(field, criteria);
    c.done()
}

impl Checker {
    fn claims(&mut self, field: &str, v: &serde_json::Value) {
        if !v.is_object() {
            return self.fail(field, "must be a JSON object");
        }
        if json_depth(v) > CLAIMS_MAX_DEPTH {
            self.fail(field, format!("must nest at most {CLAIMS_MAX_DEPTH} levels"));
        }
        if json_has_nul(v) {
            self.fail(field, "must not contain the NUL character (\\u0000)");
        }
        if json_has_huge_number(v) {
            self.fail(field, format!("numbers must lie between -{CLAIMS_NUMBER_MAX:e} and {CLAIMS_NUMBER_MAX:e}"));
        }
        if serde_json::to_vec(v).map_or(usize::MAX, |v| v.len()) > CLAIMS_MAX_BYTES {
            self.fail(field, format!("must be at most {CLAIMS_MAX_BYTES} bytes as JSON"));
        }
    }
}

/// Checks a user name on its own, answering it as it would be stored.
pub(crate) fn user_name(name: &str) -> Result<&str, CoreError> {
    let mut c = Checker(Vec::new());
    c.user_name("user_name", name);
    c.done().map(|()| name)
}

pub(crate) fn group(spec: &mut GroupSpec) -> Result<(), CoreError> {
    for opt in [&mut spec.external_id, &mut spec.display_name, &mut spec.description] {
        if opt.as_deref() == Some("") {
            *opt = None;
        }
    }
    let mut c = Checker(Vec::new());
    c.required_name("name", &spec.name);
    c.text("external_id", spec.external_id.as_deref(), NAME_MAX);
    c.text("display_name", spec.display_name.as_deref(), NAME_MAX);
    c.text("description", spec.description.as_deref(), TEXT_MAX);
    c.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failed_rule_is_reported() {
        let mut spec = UserSpec {
            user_name: " ".into(),
            email: Some("not-an-email".into()),
            claims: serde_json::json!([1]),
            inactive_reason: Some(InactiveReason::Manual),
            ..Default::default()
        };
        let Err(CoreError::Validation(errors)) = user(&mut spec, None) else { unreachable!() };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["user_name", "email", "inactive_reason", "claims"]);
    }

    #[test]
    fn normalises_empty_strings_and_manual_deactivation() {
        let mut spec = UserSpec {
            user_name: "ann".into(),
            email: Some(String::new()),
            status: UserStatus::Deactivated,
            claims: serde_json::json!({}),
            ..Default::default()
        };
        user(&mut spec, None).unwrap();
        assert_eq!(spec.email, None);
        assert_eq!(spec.inactive_reason, Some(InactiveReason::Manual));
    }

    #[test]
    fn claims_may_not_hold_nul() {
        for claims in [serde_json::json!({"a\u{0}": 1}), serde_json::json!({"a": ["x", {"b": "\u{0}"}]})] {
            let mut spec = UserSpec { user_name: "ann".into(), claims, ..Default::default() };
            let Err(CoreError::Validation(errors)) = user(&mut spec, None) else { unreachable!() };
            assert_eq!(errors[0].field, "claims");
        }
    }

    #[test]
    fn emails() {
        let check = |e: &str| {
            let mut c = Checker(Vec::new());
            c.email("email", Some(e));
            c.0.is_empty()
        };
        assert!(check("a@example.com"));
        assert!(check("first.last+tag@sub.example.org"));
        for bad in ["a", "@example.com", "a@", "a b@example.com", "a@exa mple.com", "a@.com", "a@b@c"] {
            assert!(!check(bad), "{bad}");
        }
    }
}
