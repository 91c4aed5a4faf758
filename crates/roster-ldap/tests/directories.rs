//! The adapter against real directories: the OpenLDAP and Samba AD servers that
//! `scripts/ldap-test-server` and `scripts/ad-test-server` start, named by the env files in
//! `ROSTER_TEST_LDAP_ENV` and `ROSTER_TEST_AD_ENV`. Without them the tests say they are skipped,
//! and with `ROSTER_TEST_REQUIRE_DIRECTORY=1` (the test command) a missing server fails them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use roster_core::connectors::{DirectoryError, DirectoryKind, TlsMode};
use roster_ldap::{AccountName, Client, Settings};
use std::collections::HashMap;
use std::time::Duration;

/// The variables of a test server's env file, or None (skipped, said why) when there is none.
fn server(var: &str) -> Option<HashMap<String, String>> {
    let Some(path) = std::env::var_os(var) else {
        assert!(
            std::env::var("ROSTER_TEST_REQUIRE_DIRECTORY").as_deref() != Ok("1"),
            "ROSTER_TEST_REQUIRE_DIRECTORY=1 but {var} is not set"
        );
        eprintln!(
            "skipped: {var} names no running test directory (see scripts/ldap-test-server, scripts/ad-test-server)"
        );
        return None;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{var}: {e}"));
    Some(text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
}

fn settings(env: &HashMap<String, String>, prefix: &str, flavor: DirectoryKind, tls: TlsMode) -> Settings {
    let url = &env[&format!("{prefix}_URL")];
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h.to_owned(), p.parse().ok()),
        None => (rest.to_owned(), None),
    };
    let port = match (tls, prefix) {
        (TlsMode::Ldaps, _) => env[&format!("{prefix}_LDAPS_URL")].rsplit_once(':').and_then(|(_, p)| p.parse().ok()),
        _ => port,
    };
    Settings {
        flavor,
        host,
        port,
        tls,
        ca_pem: Some(std::fs::read(&env[&format!("{prefix}_CA")]).unwrap()),
        base_dn: env[&format!("{prefix}_BASE")].clone(),
        bind_dn: env[&format!("{prefix}_BIND_DN")].clone(),
        bind_password: env[&format!("{prefix}_BIND_PW")].clone(),
        account_attribute: None,
        user_filter: None,
        domain: env.get(&format!("{prefix}_DOMAIN")).cloned(),
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn openldap_accounts_binds_and_tls() {
    let Some(env) = server("ROSTER_TEST_LDAP_ENV") else { return };
    let password = &env["LDAP_USER_PW"];
    for tls in [TlsMode::None, TlsMode::StartTls, TlsMode::Ldaps] {
        let client = Client::new(settings(&env, "LDAP", DirectoryKind::Ldap, tls)).unwrap();
        let check = client.check().await.unwrap_or_else(|e| panic!("{tls:?}: {e}"));
        // 1,203 people, of which a search that does not page sees 500.
        assert!(check.accounts_seen >= 500, "{tls:?}: {check:?}");

        let ada = client.find_account(&AccountName::parse("ada")).await.unwrap();
        assert_eq!(ada.dn, format!("uid=ada,ou=people,{}", env["LDAP_BASE"]));
        assert_eq!(
            (ada.given_name.as_deref(), ada.surname.as_deref(), ada.mail.as_deref()),
            (Some("Ada"), Some("Lovelace"), Some("ada@roster.test"))
        );
        assert_eq!(ada.account_name.as_deref(), Some("ada"));
        assert!(uuid::Uuid::parse_str(&ada.external_id).is_ok(), "entryUUID: {}", ada.external_id);
        let by_dn = client.find_account(&AccountName::parse(&ada.dn)).await.unwrap();
        assert_eq!(by_dn, ada);

        client.verify_password(&ada.dn, password).await.unwrap();
        assert_eq!(client.verify_password(&ada.dn, "wrong").await, Err(DirectoryError::InvalidCredentials));
        assert_eq!(
            client.verify_password(&ada.dn, "").await,
            Err(DirectoryError::InvalidCredentials),
            "no anonymous bind"
        );
        assert_eq!(client.find_account(&AccountName::parse("nobody")).await, Err(DirectoryError::NotFound));
        let missing = format!("uid=nobody,ou=people,{}", env["LDAP_BASE"]);
        assert_eq!(client.find_account(&AccountName::Dn(missing)).await, Err(DirectoryError::NotFound));
        // A filter value cannot widen the search.
        assert_eq!(client.find_account(&AccountName::parse("*")).await, Err(DirectoryError::NotFound));
    }
}

#[tokio::test]
async fn openldap_refusals_name_their_cause() {
    let Some(env) = server("ROSTER_TEST_LDAP_ENV") else { return };
    let good = settings(&env, "LDAP", DirectoryKind::Ldap, TlsMode::StartTls);
    let wrong_bind = Client::new(Settings { bind_password: "nope".into(), ..good.clone() }).unwrap();
    assert_eq!(wrong_bind.check().await, Err(DirectoryError::BindRefused));

    // A trust anchor that did not sign the server's certificate (the certificate itself).
    let ldaps_ca = settings(&env, "LDAP", DirectoryKind::Ldap, TlsMode::Ldaps);
    let self_signed = std::fs::read(std::path::Path::new(&env["LDAP_CA"]).with_file_name("server.pem")).unwrap();
    let wrong_anchor = Client::new(Settings { ca_pem: Some(self_signed), ..ldaps_ca }).unwrap();
    assert!(matches!(wrong_anchor.check().await, Err(DirectoryError::Tls(_))), "a leaf is no CA");

    // Nobody listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = Client::new(Settings { port: Some(port), tls: TlsMode::None, ..good.clone() }).unwrap();
    assert!(matches!(dead.check().await, Err(DirectoryError::Unreachable(_))));

    // A server that accepts and never answers: the time limit ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let slow =
        Client::new(Settings { port: Some(port), tls: TlsMode::None, timeout: Duration::from_millis(300), ..good })
            .unwrap();
    let started = std::time::Instant::now();
    assert!(matches!(slow.check().await, Err(DirectoryError::TimedOut(_))));
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(silent);
}

/// The account names of a group's members, sorted.
async fn members(client: &Client, group: &str, nested: bool) -> Result<Vec<String>, DirectoryError> {
    let accounts = client.group_members(group, nested).await?;
    let mut names: Vec<String> = accounts.into_iter().map(|a| a.account_name.unwrap_or(a.dn)).collect();
    names.sort();
    Ok(names)
}

#[tokio::test]
async fn openldap_group_members_nested_and_large() {
    let Some(env) = server("ROSTER_TEST_LDAP_ENV") else { return };
    let client = Client::new(settings(&env, "LDAP", DirectoryKind::Ldap, TlsMode::StartTls)).unwrap();
    let group = |cn: &str| format!("cn={cn},ou=groups,{}", env["LDAP_BASE"]);
    assert_eq!(members(&client, &group("engineers"), false).await.unwrap(), ["ada", "grace"]);
    assert_eq!(
        members(&client, &group("staff"), false).await.unwrap(),
        ["linus"],
        "engineers is a group, not a person"
    );
    assert_eq!(members(&client, &group("staff"), true).await.unwrap(), ["ada", "grace", "linus"]);
    let bulk = members(&client, &group("everyone-bulk"), false).await.unwrap();
    assert_eq!(bulk.len(), 1200, "past the server's 500-entry limit");
    assert_eq!((bulk[0].as_str(), bulk[1199].as_str()), ("bulk0000", "bulk1199"));
    assert_eq!(client.group_members(&group("nosuch"), true).await, Err(DirectoryError::NotFound));
}

#[tokio::test]
async fn active_directory_group_members_nested_and_paged() {
    let Some(env) = server("ROSTER_TEST_AD_ENV") else { return };
    let client = Client::new(settings(&env, "AD", DirectoryKind::ActiveDirectory, TlsMode::Ldaps)).unwrap();
    let group = |cn: &str| format!("CN={cn},CN=Users,{}", env["AD_BASE"]);
    assert_eq!(members(&client, &group("engineers"), false).await.unwrap(), ["alice", "bob"]);
    assert_eq!(members(&client, &group("staff"), false).await.unwrap(), Vec::<String>::new());
    assert_eq!(members(&client, &group("staff"), true).await.unwrap(), ["alice", "bob"], "through engineers");
    let bulk = members(&client, &group("bulk"), true).await.unwrap();
    assert_eq!(bulk.len(), 1200, "in pages of 500");
    assert_eq!(client.group_members(&group("nosuch"), false).await, Err(DirectoryError::NotFound));
}

#[tokio::test]
async fn active_directory_names_binds_and_disabled_accounts() {
    let Some(env) = server("ROSTER_TEST_AD_ENV") else { return };
    let password = &env["AD_USER_PW"];
    for tls in [TlsMode::StartTls, TlsMode::Ldaps] {
        let client = Client::new(settings(&env, "AD", DirectoryKind::ActiveDirectory, tls)).unwrap();
        client.check().await.unwrap_or_else(|e| panic!("{tls:?}: {e}"));
        let alice = client.find_account(&AccountName::parse("alice")).await.unwrap();
        assert_eq!(alice.user_principal_name.as_deref(), Some("alice@ad.roster.test"));
        assert_eq!((alice.given_name.as_deref(), alice.surname.as_deref()), (Some("Alice"), Some("Anders")));
        assert!(!alice.disabled);
        assert!(uuid::Uuid::parse_str(&alice.external_id).is_ok());
        for form in ["ROSTER\\alice", "roster\\alice", "alice@ad.roster.test", alice.dn.as_str()] {
            assert_eq!(client.find_account(&AccountName::parse(form)).await.as_ref(), Ok(&alice), "{form}");
        }
        assert_eq!(client.find_account(&AccountName::parse("OTHER\\alice")).await, Err(DirectoryError::NotFound));
        client.verify_password(&alice.dn, password).await.unwrap();
        assert_eq!(client.verify_password(&alice.dn, "wrong").await, Err(DirectoryError::InvalidCredentials));

        let carol = client.find_account(&AccountName::parse("carol")).await.unwrap();
        assert!(carol.disabled, "userAccountControl 514");
        assert_eq!(
            client.verify_password(&carol.dn, password).await,
            Err(DirectoryError::AccountDisabled),
            "bind data 533"
        );
    }
}
