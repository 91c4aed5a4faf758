//! A user's credentials seen together: the current password, live device keys and an
//! application's client secret, as one relation paged by (created, id) like every listing.

use crate::exec::Row;
use crate::tables::{self, ClientSecrets, DeviceCredentials, UserPasswords};
use roster_core::claim_users::{CredentialKind, CredentialRecord};
use roster_core::page::ListQuery;
use roster_core::store::{StoreError, StoreResult};
use sea_query::{Alias, Asterisk, Expr, Order, Query, SelectStatement, UnionType};
use uuid::Uuid;

/// The credentials of one user, after the query's position, oldest first.
pub(crate) fn select(tenant: Uuid, user: Uuid, query: &ListQuery) -> SelectStatement {
    let text = |sql: &str| Expr::cust(sql.to_owned());
    let alias = Alias::new;
    let newest_password = Query::select()
        .column(UserPasswords::Id)
        .from(UserPasswords::Table)
        .and_where(Expr::col(UserPasswords::UserId).eq(user))
        .order_by(UserPasswords::CreatedAt, Order::Desc)
        .order_by(UserPasswords::Id, Order::Desc)
        .limit(1)
        .to_owned();
    let mut passwords = Query::select()
        .expr_as(Expr::col(UserPasswords::Id), alias("id"))
        .expr_as(text("'password'"), alias("kind"))
        .expr_as(text("NULL"), alias("name"))
        .expr_as(text("NULL"), alias("algorithm"))
        .expr_as(Expr::col(UserPasswords::CreatedAt), alias("created_at"))
        .expr_as(text("NULL"), alias("last_used_at"))
        .from(UserPasswords::Table)
        .and_where(Expr::col(UserPasswords::TenantId).eq(tenant))
        .and_where(Expr::col(UserPasswords::Id).in_subquery(newest_password))
        .to_owned();
    let devices = Query::select()
        .expr_as(Expr::col(DeviceCredentials::Id), alias("id"))
        .expr_as(text("'device_key'"), alias("kind"))
        .expr_as(Expr::col(DeviceCredentials::Name), alias("name"))
        .expr_as(Expr::col(DeviceCredentials::Algorithm), alias("algorithm"))
        .expr_as(Expr::col(DeviceCredentials::CreatedAt), alias("created_at"))
        .expr_as(Expr::col(DeviceCredentials::LastUsedAt), alias("last_used_at"))
        .from(DeviceCredentials::Table)
        .and_where(Expr::col(DeviceCredentials::TenantId).eq(tenant))
        .and_where(Expr::col(DeviceCredentials::UserId).eq(user))
        .and_where(Expr::col(DeviceCredentials::RevokedAt).is_null())
        .to_owned();
    let secrets = Query::select()
        .expr_as(Expr::col(ClientSecrets::UserId), alias("id"))
        .expr_as(text("'client_secret'"), alias("kind"))
        .expr_as(text("NULL"), alias("name"))
        .expr_as(text("NULL"), alias("algorithm"))
        .expr_as(Expr::col(ClientSecrets::CreatedAt), alias("created_at"))
        .expr_as(text("NULL"), alias("last_used_at"))
        .from(ClientSecrets::Table)
        .and_where(Expr::col(ClientSecrets::TenantId).eq(tenant))
        .and_where(Expr::col(ClientSecrets::UserId).eq(user))
        .to_owned();
    passwords.union(UnionType::All, devices).union(UnionType::All, secrets);
    let select = Query::select().column(Asterisk).from_subquery(passwords, alias("c")).to_owned();
    crate::query::keyset(select, Expr::col(alias("created_at")).into(), query)
}

pub(crate) fn record(r: &Row) -> StoreResult<CredentialRecord> {
    let kind = r.text("kind")?;
    Ok(CredentialRecord {
        id: r.uuid("id")?,
        kind: CredentialKind::parse(&kind).ok_or_else(|| StoreError::Backend(format!("credential kind {kind}")))?,
        name: r.opt_text("name")?,
        algorithm: r.opt_text("algorithm")?,
        created: tables::time(r.i64("created_at")?)?,
        last_used: tables::opt_time(r.opt_i64("last_used_at")?)?,
    })
}
