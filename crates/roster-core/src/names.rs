//! User names as RFC 8265 compares them: each space-separated part under the PRECIS
//! UsernameCaseMapped profile (width-mapped, lower-cased, NFC), which refuses bidirectional
//! controls, zero-width and other default-ignorable characters, so lookalikes are one name.

use precis_profiles::precis_core::profile::PrecisFastInvocation;
use precis_profiles::precis_core::{CodepointInfo, Error, UnexpectedError};
use precis_profiles::UsernameCaseMapped;

/// The key two user names share exactly when they are the same name, or why the name is not
/// one. RFC 8265 section 3.5: a name with spaces is a sequence of parts, each enforced alone.
pub fn user_name_key(name: &str) -> Result<String, String> {
    let mut key = String::with_capacity(name.len());
    for (i, part) in name.split(' ').enumerate() {
        if part.is_empty() {
            return Err("must not begin or end with a space or hold two in a row".into());
        }
        let enforced = UsernameCaseMapped::enforce(part).map_err(|e| refusal(part, &e))?;
        if i > 0 {
            key.push(' ');
        }
        key.push_str(&enforced);
    }
    Ok(key)
}

/// The key a sign-in name or a looked-up name is compared by: a user name's key, or (for what
/// is no valid user name, such as some email addresses) its lower case, which matches nothing
/// a valid name has but may match an email address.
pub fn login_key(login: &str) -> String {
    let login = login.trim();
    user_name_key(login).unwrap_or_else(|_| login.to_lowercase())
}

fn refusal(part: &str, e: &Error) -> String {
    let at = |info: &CodepointInfo| {
        let c = char::from_u32(info.cp).map(|c| format!(" {c:?}")).unwrap_or_default();
        format!("must not contain U+{:04X}{c} (not allowed in user names, RFC 8265)", info.cp)
    };
    match e {
        Error::BadCodepoint(info) | Error::Unexpected(UnexpectedError::ContextRuleNotApplicable(info)) => at(info),
        Error::Unexpected(UnexpectedError::MissingContextRule(info)) => at(info),
        _ if part.chars().any(|c| matches!(c, '\u{0590}'..='\u{08FF}')) => {
            "mixes right-to-left and left-to-right text in a way RFC 8265 does not allow".into()
        }
        _ => "is not a valid user name (RFC 8265)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookalikes_share_a_key_or_are_refused() {
        assert_eq!(user_name_key("Admin").unwrap(), "admin");
        assert_eq!(user_name_key("ａｄｍｉｎ").unwrap(), "admin", "fullwidth letters are the ASCII ones");
        assert_eq!(user_name_key("Jane Doe").unwrap(), "jane doe");
        assert_eq!(user_name_key("Zoë").unwrap(), user_name_key("Zoe\u{308}").unwrap(), "one normal form");
        assert_eq!(user_name_key("DOMAIN\\bob").unwrap(), "domain\\bob");
        assert_eq!(user_name_key("ann@example.com").unwrap(), "ann@example.com");
        for bad in ["\u{202e}admin", "admin\u{200b}", "\u{feff}admin", "ad\u{00ad}min", "a  b", "🙂"] {
            let refused = user_name_key(bad);
            assert!(refused.is_err(), "{bad:?} -> {refused:?}");
        }
        assert!(user_name_key("\u{202e}admin").unwrap_err().contains("U+202E"));
        assert_eq!(login_key(" ＡＤＭＩＮ "), "admin");
        assert_eq!(login_key("a  b"), "a  b");
    }
}
