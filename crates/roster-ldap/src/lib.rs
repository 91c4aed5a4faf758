//! A client for LDAP directories and Active Directory, for directory connectors: connecting over
//! plain LDAP, StartTLS or LDAPS (with an extra CA), binding as the service account, finding an
//! account by name, `DOMAIN\name`, UPN or DN and reading its attributes, and checking a user's
//! password by binding as the user. Every directory call runs under the configured time limit.

use roster_core::connectors::{DirectoryAccount, DirectoryError, DirectoryKind, TlsMode};
mod connector;
pub use connector::LdapConnector;

use ldap3::{ldap_escape, Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Settings {
    pub flavor: DirectoryKind,
    pub host: String,
    /// 389 or 636 by default, as the TLS mode suggests.
    pub port: Option<u16>,
    pub tls: TlsMode,
    /// PEM CA certificates to trust instead of the system's, for directories with a private CA.
    pub ca_pem: Option<Vec<u8>>,
    pub base_dn: String,
    pub bind_dn: String,
    pub bind_password: String,
    /// The attribute account names are looked up by (default: sAMAccountName or uid).
    pub account_attribute: Option<String>,
    /// Which entries are accounts (default: AD users, or LDAP persons).
    pub user_filter: Option<String>,
    /// The NetBIOS domain accepted in `DOMAIN\name` (AD; any when unset).
    pub domain: Option<String>,
    /// The limit on each directory call.
    pub timeout: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("flavor", &self.flavor)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("base_dn", &self.base_dn)
            .field("bind_dn", &self.bind_dn)
            .finish_non_exhaustive()
    }
}

/// How a person names an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountName {
    /// The account attribute's value.
    Plain(String),
    /// `DOMAIN\name` (AD).
    DomainQualified { domain: String, name: String },
    /// `name@realm` (AD userPrincipalName).
    Principal(String),
    /// A distinguished name.
    Dn(String),
}

impl AccountName {
    /// Reads the forms people type: `DOMAIN\name`, `name@realm`, a DN (`attr=value,...`), or a plain name.
    pub fn parse(text: &str) -> AccountName {
        let t = text.trim();
        if let Some((domain, name)) = t.split_once('\\') {
            return AccountName::DomainQualified { domain: domain.to_owned(), name: name.to_owned() };
        }
        let dn_like = t.split_once('=').is_some_and(|(attr, _)| {
            !attr.is_empty() && attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        });
        if dn_like {
            return AccountName::Dn(t.to_owned());
        }
        if t.contains('@') {
            return AccountName::Principal(t.to_owned());
        }
        AccountName::Plain(t.to_owned())
    }
}

/// What a connection check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The server's vendor or naming context, when it says.
    pub server: Option<String>,
    /// Accounts the user filter finds under the base DN, counting up to 1,000.
    pub accounts_seen: usize,
}

pub struct Client {
    settings: Arc<Settings>,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("settings", &self.settings).finish()
    }
}

const AD_ATTRS: &[&str] = &[
    "objectGUID",
    "sAMAccountName",
    "givenName",
    "sn",
    "mail",
    "displayName",
    "userPrincipalName",
    "userAccountControl",
];
const LDAP_ATTRS: &[&str] = &["entryUUID", "uid", "givenName", "sn", "mail", "displayName", "cn"];
/// Entries per page of a paged search (AD answers at most 1,000 per page).
const PAGE_SIZE: i32 = 500;
/// Member entries read at once over one connection.
const MEMBER_READS: usize = 16;
/// AD's userAccountControl flag of a disabled account.
const ACCOUNTDISABLE: u32 = 2;

impl Client {
    pub fn new(settings: Settings) -> Result<Client, DirectoryError> {
        if settings.host.trim().is_empty() || settings.host.contains(['/', ' ']) {
            return Err(DirectoryError::Settings("host must be a host name or address".into()));
        }
        let tls = match &settings.ca_pem {
            Some(pem) if settings.tls != TlsMode::None => Some(Arc::new(tls_config(pem)?)),
            _ => None,
        };
        Ok(Client { settings: Arc::new(settings), tls })
    }

    fn url(&self) -> String {
        let s = &self.settings;
        let (scheme, default_port) = match s.tls {
            TlsMode::Ldaps => ("ldaps", 636),
            _ => ("ldap", 389),
        };
        let host = if s.host.contains(':') { format!("[{}]", s.host) } else { s.host.clone() };
        format!("{scheme}://{host}:{}", s.port.unwrap_or(default_port))
    }

    /// Runs one directory call under the time limit.
    async fn timed<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, DirectoryError>>,
    ) -> Result<T, DirectoryError> {
        let limit = self.settings.timeout;
        tokio::time::timeout(limit, call).await.unwrap_or(Err(DirectoryError::TimedOut(limit)))
    }

    async fn connect(&self) -> Result<Ldap, DirectoryError> {
        let mut conn = LdapConnSettings::new()
            .set_conn_timeout(self.settings.timeout)
            .set_starttls(self.settings.tls == TlsMode::StartTls);
        if let Some(config) = &self.tls {
            conn = conn.set_config(Arc::clone(config));
        }
        let url = self.url();
        let (driver, ldap) =
            self.timed(async { LdapConnAsync::with_settings(conn, &url).await.map_err(connect_error) }).await?;
        tokio::spawn(async move {
            if let Err(e) = driver.drive().await {
                tracing::debug!(error = %e, "directory connection ended");
            }
        });
        Ok(ldap)
    }

    async fn bind(&self, ldap: &mut Ldap, dn: &str, password: &str) -> Result<(), DirectoryError> {
        // An empty password would be an anonymous bind, which "succeeds" for anyone.
        if password.is_empty() {
            return Err(DirectoryError::InvalidCredentials);
        }
        self.timed(async {
            let result = ldap.simple_bind(dn, password).await.map_err(directory_error)?;
            match result.rc {
                0 => Ok(()),
                49 => Err(bind_refusal(&result.text)),
                _ => Err(DirectoryError::Directory(format!("bind answered {}: {}", result.rc, result.text))),
            }
        })
        .await
    }

    /// A connection bound as the service account.
    async fn service(&self) -> Result<Ldap, DirectoryError> {
        let mut ldap = self.connect().await?;
        let (dn, pw) = (self.settings.bind_dn.clone(), self.settings.bind_password.clone());
        self.bind(&mut ldap, &dn, &pw).await.map_err(|e| match e {
            DirectoryError::InvalidCredentials | DirectoryError::AccountDisabled => DirectoryError::BindRefused,
            other => other,
        })?;
        Ok(ldap)
    }

    fn user_filter(&self) -> String {
        match (&self.settings.user_filter, self.settings.flavor) {
            (Some(f), _) if !f.trim().is_empty() => f.clone(),
            (_, DirectoryKind::ActiveDirectory) => "(&(objectCategory=person)(objectClass=user))".into(),
            (_, DirectoryKind::Ldap) => "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))".into(),
        }
    }

    fn account_attribute(&self) -> &str {
        match (&self.settings.account_attribute, self.settings.flavor) {
            (Some(a), _) if !a.trim().is_empty() => a,
            (_, DirectoryKind::ActiveDirectory) => "sAMAccountName",
            (_, DirectoryKind::Ldap) => "uid",
        }
    }

    fn attrs(&self) -> Vec<String> {
        let base = if self.settings.flavor == DirectoryKind::ActiveDirectory { AD_ATTRS } else { LDAP_ATTRS };
        let mut attrs: Vec<String> = base.iter().map(|a| (*a).to_owned()).collect();
        let account = self.account_attribute().to_owned();
        if !attrs.contains(&account) {
            attrs.push(account);
        }
        attrs
    }

    /// Binds as the service account and reads the server's root entry and a count of accounts.
    pub async fn check(&self) -> Result<Check, DirectoryError> {
        let mut ldap = self.service().await?;
        let attrs = ["vendorName", "defaultNamingContext", "namingContexts"];
        let (root, _) = self
            .timed(async {
                ldap.search("", Scope::Base, "(objectClass=*)", attrs.to_vec())
                    .await
                    .map_err(directory_error)?
                    .non_error()
                    .map_err(directory_error)
            })
            .await?;
        let server = root
            .into_iter()
            .next()
            .map(SearchEntry::construct)
            .and_then(|e| attrs.iter().find_map(|a| e.attrs.get(*a).and_then(|v| v.first().cloned())));
        let filter = self.user_filter();
        let base = self.settings.base_dn.clone();
        let found = self
            .timed(async {
                let mut ldap = ldap.clone();
                ldap.with_search_options(ldap3::SearchOptions::new().sizelimit(1000));
                let ldap3::SearchResult(entries, result) =
                    ldap.search(&base, Scope::Subtree, &filter, vec!["1.1"]).await.map_err(directory_error)?;
                // A size-limit answer (4) still carries the entries counted so far.
                match result.rc {
                    0 | 4 => Ok(entries.len()),
                    rc => Err(DirectoryError::Directory(format!("searching {base} answered {rc}: {}", result.text))),
                }
            })
            .await?;
        let _ = ldap.unbind().await;
        Ok(Check { server, accounts_seen: found })
    }

    /// Finds one account by the name a person gave.
    pub async fn find_account(&self, name: &AccountName) -> Result<DirectoryAccount, DirectoryError> {
        let attr = self.account_attribute().to_owned();
        let (base, scope, filter) = match name {
            AccountName::Dn(dn) => (dn.clone(), Scope::Base, "(objectClass=*)".to_owned()),
            AccountName::Plain(n) => (
                self.settings.base_dn.clone(),
                Scope::Subtree,
                format!("(&{}({attr}={}))", self.user_filter(), ldap_escape(n.as_str())),
            ),
            AccountName::DomainQualified { domain, name } => {
                if self.settings.domain.as_deref().is_some_and(|d| !d.eq_ignore_ascii_case(domain)) {
                    return Err(DirectoryError::NotFound);
                }
                let filter = format!("(&{}(sAMAccountName={}))", self.user_filter(), ldap_escape(name.as_str()));
                (self.settings.base_dn.clone(), Scope::Subtree, filter)
            }
            AccountName::Principal(upn) => {
                let filter = format!("(&{}(userPrincipalName={}))", self.user_filter(), ldap_escape(upn.as_str()));
                (self.settings.base_dn.clone(), Scope::Subtree, filter)
            }
        };
        let mut ldap = self.service().await?;
        let attrs = self.attrs();
        let entries = self
            .timed(async {
                match ldap.search(&base, scope, &filter, attrs).await.map_err(directory_error)?.success() {
                    Ok((entries, _)) => Ok(entries),
                    // noSuchObject: a DN that is not there.
                    Err(LdapError::LdapResult { result }) if result.rc == 32 => Ok(Vec::new()),
                    Err(e) => Err(directory_error(e)),
                }
            })
            .await?;
        let _ = ldap.unbind().await;
        let mut accounts = entries.into_iter().map(SearchEntry::construct).map(|e| self.account(e));
        match (accounts.next(), accounts.next()) {
            (Some(a), None) => a,
            (None, _) => Err(DirectoryError::NotFound),
            (Some(_), Some(_)) => Err(DirectoryError::Ambiguous),
        }
    }

    /// The accounts in a group, directly or (with `nested`) through the groups inside it.
    /// Active Directory answers with one paged search (the in-chain matching rule follows
    /// nesting on the server); an LDAP directory's group entries are read and their members
    /// looked up a few at a time, following nested groups once each.
    pub async fn group_members(&self, group_dn: &str, nested: bool) -> Result<Vec<DirectoryAccount>, DirectoryError> {
        let mut ldap = self.service().await?;
        let result = match self.settings.flavor {
            DirectoryKind::ActiveDirectory => self.ad_members(&mut ldap, group_dn, nested).await,
            DirectoryKind::Ldap => self.ldap_members(&mut ldap, group_dn, nested).await,
        };
        let _ = ldap.unbind().await;
        let mut accounts = result?;
        accounts.sort_by(|a, b| a.dn.cmp(&b.dn));
        accounts.dedup_by(|a, b| a.dn == b.dn);
        Ok(accounts)
    }

    async fn ad_members(
        &self,
        ldap: &mut Ldap,
        group: &str,
        nested: bool,
    ) -> Result<Vec<DirectoryAccount>, DirectoryError> {
        use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
        self.require_entry(ldap, group).await?;
        let rule = if nested { ":1.2.840.113556.1.4.1941:" } else { "" };
        let filter = format!("(&{}(memberOf{rule}={}))", self.user_filter(), ldap_escape(group));
        let base = self.settings.base_dn.clone();
        let attrs = self.attrs();
        self.timed(async {
            let adapters: Vec<Box<dyn Adapter<_, _>>> =
                vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(PAGE_SIZE))];
            let mut search = ldap
                .streaming_search_with(adapters, &base, Scope::Subtree, &filter, attrs)
                .await
                .map_err(directory_error)?;
            let mut accounts = Vec::new();
            while let Some(entry) = search.next().await.map_err(directory_error)? {
                accounts.push(self.account(SearchEntry::construct(entry))?);
            }
            search.finish().await.success().map_err(directory_error)?;
            Ok(accounts)
        })
        .await
    }

    async fn ldap_members(
        &self,
        ldap: &mut Ldap,
        group: &str,
        nested: bool,
    ) -> Result<Vec<DirectoryAccount>, DirectoryError> {
        use futures::StreamExt;
        let mut seen = std::collections::HashSet::from([group.to_owned()]);
        let mut accounts = Vec::new();
        let mut attrs = self.attrs();
        attrs.extend(["objectClass".to_owned(), "member".to_owned(), "uniqueMember".to_owned()]);
        let first = self.require_entry(ldap, group).await?;
        let mut pending = vec![first];
        while let Some(entry) = pending.pop() {
            let members: Vec<String> = ["member", "uniqueMember"]
                .iter()
                .filter_map(|a| entry.attrs.get(*a))
                .flatten()
                .filter(|dn| seen.insert((*dn).clone()))
                .cloned()
                .collect();
            // Members are read a few at a time over the one connection, which multiplexes them.
            let reads = futures::stream::iter(members.into_iter().map(|dn| {
                let (mut ldap, attrs) = (ldap.clone(), attrs.clone());
                async move {
                    let found =
                        ldap.search(&dn, Scope::Base, "(objectClass=*)", attrs).await.map_err(directory_error)?;
                    Ok::<_, DirectoryError>(found.0.into_iter().next().map(SearchEntry::construct))
                }
            }))
            .buffer_unordered(MEMBER_READS);
            let found: Vec<Result<Option<SearchEntry>, DirectoryError>> =
                self.timed(async { Ok(reads.collect().await) }).await?;
            for entry in found {
                let Some(e) = entry? else { continue };
                let classes = e.attrs.get("objectClass").cloned().unwrap_or_default();
                let is_group = classes
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case("groupOfNames") || c.eq_ignore_ascii_case("groupOfUniqueNames"));
                if is_group {
                    if nested {
                        pending.push(e);
                    }
                } else {
                    accounts.push(self.account(e)?);
                }
            }
        }
        Ok(accounts)
    }

    /// Reads an entry that must exist (a group named by DN).
    async fn require_entry(&self, ldap: &mut Ldap, dn: &str) -> Result<SearchEntry, DirectoryError> {
        let attrs = vec!["objectClass", "member", "uniqueMember"];
        let found = self
            .timed(async {
                match ldap.search(dn, Scope::Base, "(objectClass=*)", attrs).await.map_err(directory_error)?.success() {
                    Ok((entries, _)) => Ok(entries),
                    Err(LdapError::LdapResult { result }) if result.rc == 32 => Ok(Vec::new()),
                    Err(e) => Err(directory_error(e)),
                }
            })
            .await?;
        found.into_iter().next().map(SearchEntry::construct).ok_or(DirectoryError::NotFound)
    }

    /// Checks a password by binding as the account, on a connection of its own.
    pub async fn verify_password(&self, dn: &str, password: &str) -> Result<(), DirectoryError> {
        let mut ldap = self.connect().await?;
        let result = self.bind(&mut ldap, dn, password).await;
        let _ = ldap.unbind().await;
        result
    }

    fn account(&self, e: SearchEntry) -> Result<DirectoryAccount, DirectoryError> {
        let one = |a: &str| e.attrs.get(a).and_then(|v| v.first()).cloned();
        let external_id = match self.settings.flavor {
            DirectoryKind::ActiveDirectory => e
                .bin_attrs
                .get("objectGUID")
                .and_then(|v| v.first())
                .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
                .map(|b| uuid::Uuid::from_bytes_le(b).to_string()),
            DirectoryKind::Ldap => one("entryUUID"),
        }
        .ok_or_else(|| DirectoryError::Directory(format!("{} has no stable id (objectGUID or entryUUID)", e.dn)))?;
        let uac: u32 = one("userAccountControl").and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok(DirectoryAccount {
            account_name: one(self.account_attribute()),
            given_name: one("givenName"),
            surname: one("sn"),
            mail: one("mail"),
            display_name: one("displayName").or_else(|| one("cn")),
            user_principal_name: one("userPrincipalName"),
            disabled: uac & ACCOUNTDISABLE != 0,
            external_id,
            dn: e.dn,
        })
    }
}

fn tls_config(pem: &[u8]) -> Result<rustls::ClientConfig, DirectoryError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| DirectoryError::Settings(format!("the CA file is not PEM: {e}")))?;
        roots.add(cert).map_err(|e| DirectoryError::Settings(format!("the CA certificate is not usable: {e}")))?;
    }
    if roots.is_empty() {
        return Err(DirectoryError::Settings("the CA file holds no certificate".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DirectoryError::Settings(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A failure to open the connection: TLS or reachability.
fn connect_error(e: LdapError) -> DirectoryError {
    let text = e.to_string();
    let tls = matches!(e, LdapError::Rustls { .. })
        || text.to_ascii_lowercase().contains("certificate")
        || text.to_ascii_lowercase().contains("tls");
    if tls {
        DirectoryError::Tls(text)
    } else {
        DirectoryError::Unreachable(text)
    }
}

fn directory_error(e: LdapError) -> DirectoryError {
    match e {
        LdapError::Io { .. } | LdapError::EndOfStream => DirectoryError::Unreachable(e.to_string()),
        LdapError::Rustls { .. } => DirectoryError::Tls(e.to_string()),
        e => DirectoryError::Directory(e.to_string()),
    }
}

/// Reads AD's reason codes in a refused bind ("... data 533, ..."): 533 disabled, 52e bad
/// password, 525 no such user, 775 locked, 532/773 password expired or to be reset.
fn bind_refusal(text: &str) -> DirectoryError {
    let code = text.split("data ").nth(1).map(|rest| rest.split([',', ' ']).next().unwrap_or_default());
    match code {
        Some("533") => DirectoryError::AccountDisabled,
        _ => DirectoryError::InvalidCredentials,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_in_every_form() {
        assert_eq!(
            AccountName::parse("ROSTER\\alice"),
            AccountName::DomainQualified { domain: "ROSTER".into(), name: "alice".into() }
        );
        assert_eq!(AccountName::parse("alice@ad.roster.test"), AccountName::Principal("alice@ad.roster.test".into()));
        assert_eq!(
            AccountName::parse("uid=ada,ou=people,dc=roster,dc=test"),
            AccountName::Dn("uid=ada,ou=people,dc=roster,dc=test".into())
        );
        assert_eq!(AccountName::parse(" ada "), AccountName::Plain("ada".into()));
    }

    #[test]
    fn ad_bind_reasons() {
        let text = "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 533, v1db1";
        assert_eq!(bind_refusal(text), DirectoryError::AccountDisabled);
        assert_eq!(bind_refusal(&text.replace("533", "52e")), DirectoryError::InvalidCredentials);
        assert_eq!(bind_refusal("Invalid credentials"), DirectoryError::InvalidCredentials);
    }
}
