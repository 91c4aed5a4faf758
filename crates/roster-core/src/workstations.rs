//! What users sign in to workstations with: computer user names (each one user's in a tenant,
//! compared in any case) and smartcards (a number and an optional label).

use crate::access::Permission;
use crate::authz::Action;
use crate::directory::{Caller, Directory};
use crate::error::{CoreError, FieldError};
use crate::events::{self, EventData, EventType};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;

/// At most this many computer user names, and as many smartcards, per user.
pub const MAX_PER_USER: usize = 64;
const MAX_NAME: usize = 64;
const MAX_NUMBER: usize = 32;
const MAX_LABEL: usize = 128;

/// A smartcard (or PIN) of a user: an integer string and what the user calls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Smartcard {
    pub number: String,
    #[serde(default)]
    pub label: Option<String>,
}

/// Checks a list of computer user names (`field[i]` names the one at fault): 1 to 64 letters,
/// digits, `.`, `_` and `-`, not starting with `-` or `.`, each once (in any case).
fn check_names(field: &str, names: &mut [String]) -> Result<(), CoreError> {
    let mut errors = Vec::new();
    if names.len() > MAX_PER_USER {
        errors.push(FieldError::new(field, format!("at most {MAX_PER_USER} computer user names")));
    }
    let mut seen = HashSet::new();
    for (i, name) in names.iter_mut().enumerate() {
        *name = name.trim().to_owned();
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(allowed) || name.starts_with(['-', '.']) {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                format!("a computer user name is 1 to {MAX_NAME} letters, digits, '.', '_' or '-', not starting with '-' or '.'"),
            ));
        } else if !seen.insert(name.to_lowercase()) {
            errors.push(FieldError::new(format!("{field}[{i}]"), format!("'{name}' is in the list twice")));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Validation(errors))
    }
}

/// Checks a list of smartcards: numbers are 1 to 32 digits, labels at most 128 printable
/// characters, and a number appears once unless duplicates are allowed. Numbers are never echoed
/// in an error: they may be PINs.
pub(crate) fn check_cards(field: &str, cards: &mut [Smartcard], allow_duplicates: bool) -> Result<(), CoreError> {
    let mut errors = Vec::new();
    if cards.len() > MAX_PER_USER {
        errors.push(FieldError::new(field, format!("at most {MAX_PER_USER} smartcards")));
    }
    let mut seen = HashSet::new();
    for (i, card) in cards.iter_mut().enumerate() {
        card.number = card.number.trim().to_owned();
        if card.number.is_empty() || card.number.len() > MAX_NUMBER || !card.number.bytes().all(|b| b.is_ascii_digit())
        {
            errors.push(FieldError::new(
                format!("{field}[{i}].number"),
                format!("must be an integer string of 1 to {MAX_NUMBER} digits"),
            ));
        } else if !allow_duplicates && !seen.insert(card.number.clone()) {
            errors.push(FieldError::new(format!("{field}[{i}].number"), "the number is in the list twice"));
        }
        if card.label.as_deref().is_some_and(|l| l.chars().count() > MAX_LABEL || l.chars().any(char::is_control)) {
            errors.push(FieldError::new(
                format!("{field}[{i}].label"),
                format!("at most {MAX_LABEL} printable characters"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Validation(errors))
    }
}

impl Directory {
    pub async fn computer_user_names(&self, caller: &Caller, user: Uuid) -> Result<Vec<String>, CoreError> {
        self.live_user(caller, user).await?;
        Ok(self.store.computer_user_names(caller.tenant_id, user).await?)
    }

    /// Replaces a user's computer user names (an empty list removes them all). A name another
    /// user of the tenant holds is refused (Unique).
    pub async fn set_computer_user_names(
        &self,
        caller: &Caller,
        user: Uuid,
        mut names: Vec<String>,
    ) -> Result<Vec<String>, CoreError> {
        check_names("computer_user_names", &mut names)?;
        let u = self.live_user(caller, user).await?;
        self.authorize(caller, Action::ChangeUser(Permission::UsersWrite, user)).await?;
        let before = self.store.computer_user_names(caller.tenant_id, user).await?;
        let mut changes = events::Changes::new();
        changes.insert(
            "computer_user_names".into(),
            events::Change { before: serde_json::json!(before), after: serde_json::json!(names) },
        );
        let event =
            caller.event(EventType::UserChange, EventData::UserChange { user: (&u).into(), action: "UPDATE", changes });
        self.store.set_computer_user_names(caller.tenant_id, user, &names, &event).await?;
        Ok(names)
    }

    pub async fn smartcards(&self, caller: &Caller, user: Uuid) -> Result<Vec<Smartcard>, CoreError> {
        self.live_user(caller, user).await?;
        Ok(self.store.smartcards(caller.tenant_id, user).await?)
    }

    /// Replaces a user's smartcards (an empty list removes them all). Unless `allow_duplicates`,
    /// a number twice in the list or held by another user of the tenant is refused.
    pub async fn set_smartcards(
        &self,
        caller: &Caller,
        user: Uuid,
        mut cards: Vec<Smartcard>,
        allow_duplicates: bool,
    ) -> Result<Vec<Smartcard>, CoreError> {
        check_cards("smartcards", &mut cards, allow_duplicates)?;
        let u = self.live_user(caller, user).await?;
        self.authorize(caller, Action::ChangeUser(Permission::CredentialsWrite, user)).await?;
        // The trail counts the cards; their numbers may be PINs and stay out of it.
        let event = caller.event(
            EventType::CredentialChange,
            EventData::CredentialChange {
                user: (&u).into(),
                credential: "smartcards",
                action: if cards.is_empty() { "DELETE" } else { "REPLACE" },
                device: None,
            },
        );
        if let Some(i) = self.store.set_smartcards(caller.tenant_id, user, &cards, allow_duplicates, &event).await? {
            return Err(CoreError::invalid(
                format!("smartcards[{i}].number"),
                "the number is held by another user of the tenant (allow duplicates to add it anyway)",
            ));
        }
        Ok(cards)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_cards_are_checked() {
        let mut ok = vec![" jdeveloper ".to_owned(), "J.Doe_2".into(), "x-1".into()];
        check_names("n", &mut ok).unwrap();
        assert_eq!(ok[0], "jdeveloper");
        for bad in ["", "-x", ".x", "a b", "é", &"a".repeat(65)] {
            assert!(check_names("n", &mut [bad.to_owned()]).is_err(), "{bad:?} accepted");
        }
        let Err(CoreError::Validation(e)) = check_names("n", &mut ["Ann".into(), "ann".into()]) else { panic!() };
        assert_eq!(e[0].field, "n[1]");

        let card = |n: &str| Smartcard { number: n.into(), label: None };
        check_cards("s", &mut [card("0012"), card("99")], false).unwrap();
        for bad in ["", "12a", "-1", "1.5", &"1".repeat(33)] {
            assert!(check_cards("s", &mut [card(bad)], false).is_err(), "{bad:?} accepted");
        }
        assert!(check_cards("s", &mut [card("1"), card("1")], false).is_err());
        check_cards("s", &mut [card("1"), card("1")], true).unwrap();
        let labelled = Smartcard { number: "1".into(), label: Some("a\nb".into()) };
        assert!(check_cards("s", &mut [labelled], false).is_err());
    }
}
