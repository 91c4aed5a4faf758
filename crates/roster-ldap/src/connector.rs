//! The core's directory port, served by this client: one client per call, built from the
//! connection's settings, so a change of settings applies to the next call.

use crate::{AccountName, Client, Settings};
use async_trait::async_trait;
use roster_core::connectors::{ConnectionCheck, ConnectionSpec, Connector, DirectoryAccount, DirectoryError};
use std::time::Duration;

/// Reaches LDAP and Active Directory servers for the core.
#[derive(Debug, Default, Clone, Copy)]
pub struct LdapConnector;

fn client(spec: &ConnectionSpec, bind_password: &str) -> Result<Client, DirectoryError> {
    Client::new(Settings {
        flavor: spec.kind,
        host: spec.host.clone(),
        port: spec.port,
        tls: spec.tls,
        ca_pem: spec.ca_certificate.as_ref().map(|c| c.as_bytes().to_vec()),
        base_dn: spec.base_dn.clone(),
        bind_dn: spec.bind_dn.clone(),
        bind_password: bind_password.to_owned(),
        account_attribute: spec.account_attribute.clone(),
        user_filter: spec.user_filter.clone(),
        domain: spec.domain.clone(),
        timeout: Duration::from_secs(u64::from(spec.timeout_seconds.max(1))),
    })
}

#[async_trait]
impl Connector for LdapConnector {
    async fn check(&self, spec: &ConnectionSpec, bind_password: &str) -> Result<ConnectionCheck, DirectoryError> {
        let found = client(spec, bind_password)?.check().await?;
        Ok(ConnectionCheck { server: found.server, accounts_seen: found.accounts_seen })
    }

    async fn account(
        &self,
        spec: &ConnectionSpec,
        bind_password: &str,
        name: &str,
    ) -> Result<DirectoryAccount, DirectoryError> {
        client(spec, bind_password)?.find_account(&AccountName::parse(name)).await
    }

    async fn verify_password(&self, spec: &ConnectionSpec, dn: &str, password: &str) -> Result<(), DirectoryError> {
        // The user's own bind needs no service password.
        client(spec, "")?.verify_password(dn, password).await
    }

    async fn group_members(
        &self,
        spec: &ConnectionSpec,
        bind_password: &str,
        group_dn: &str,
        nested: bool,
    ) -> Result<Vec<DirectoryAccount>, DirectoryError> {
        client(spec, bind_password)?.group_members(group_dn, nested).await
    }
}
