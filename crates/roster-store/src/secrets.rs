//! SQL of the secrets safe: secrets, their owners, and the rule that a secret keeps an owner.

use crate::events::insert_event;
use crate::exec::{Backend, Exec};
use crate::tables::{self, SecretOwners, Secrets};
use crate::{insert_row, rows_where, SqlStore};
use roster_core::events::Event;
use roster_core::model::Time;
use roster_core::secrets::Secret;
use roster_core::store::{StoreError, StoreResult};
use sea_query::{Expr, Query};
use std::collections::HashMap;
use uuid::Uuid;

fn in_tenant(tenant: Uuid, id: Uuid) -> sea_query::SimpleExpr {
    Expr::col(Secrets::TenantId).eq(tenant).and(Expr::col(Secrets::Id).eq(id))
}

fn owner_row(tenant: Uuid, secret: Uuid, user: Uuid, at: Time) -> StoreResult<sea_query::InsertStatement> {
    insert_row(
        SecretOwners::Table,
        [
            (SecretOwners::SecretId, secret.into()),
            (SecretOwners::UserId, user.into()),
            (SecretOwners::TenantId, tenant.into()),
            (SecretOwners::CreatedAt, tables::millis(at).into()),
        ],
    )
}

/// Locks (on PostgreSQL) the secrets a user owns and answers how many it owns alone, so a
/// concurrent owner removal cannot leave one without owners.
async fn sole_owned(x: &mut Exec<'_>, tenant: Uuid, user: Uuid) -> StoreResult<i64> {
    if x.backend() == Backend::Postgres {
        let lock = Query::select()
            .column((Secrets::Table, Secrets::Id))
            .from(Secrets::Table)
            .inner_join(
                SecretOwners::Table,
                Expr::col((SecretOwners::Table, SecretOwners::SecretId)).equals((Secrets::Table, Secrets::Id)),
            )
            .and_where(Expr::col((SecretOwners::Table, SecretOwners::UserId)).eq(user))
            .and_where(Expr::col((Secrets::Table, Secrets::TenantId)).eq(tenant))
            .lock_with_tables(sea_query::LockType::Update, [Secrets::Table])
            .to_owned();
        x.fetch_all(&lock).await?;
    }
    let stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), sea_query::Alias::new("n"))
        .from(SecretOwners::Table)
        .and_where(Expr::col(SecretOwners::TenantId).eq(tenant))
        .and_where(Expr::col(SecretOwners::UserId).eq(user))
        .and_where(Expr::cust(
            "(SELECT COUNT(*) FROM secret_owners other WHERE other.secret_id = secret_owners.secret_id) = 1",
        ))
        .to_owned();
    x.fetch_optional(&stmt).await?.map(|r| r.i64("n")).transpose().map(|n| n.unwrap_or(0))
}

/// Refuses to delete a user who is the only owner of a secret.
pub(crate) async fn ensure_not_sole_owner(x: &mut Exec<'_>, tenant: Uuid, user: Uuid) -> StoreResult<()> {
    match sole_owned(x, tenant, user).await? {
        0 => Ok(()),
        n => Err(StoreError::InUse(format!(
            "the user is the only owner of {n} secret{}; give {} another owner or delete {} first",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" },
            if n == 1 { "it" } else { "them" },
        ))),
    }
}

impl SqlStore {
    pub(crate) async fn add_secret(&self, s: &Secret, event: &Event) -> StoreResult<()> {
        let stmt = insert_row(
            Secrets::Table,
            [
                (Secrets::Id, s.id.into()),
                (Secrets::TenantId, s.tenant_id.into()),
                (Secrets::Name, s.name.clone().into()),
                (Secrets::NameKey, s.name.to_lowercase().into()),
                (Secrets::Description, s.description.clone().into()),
                (Secrets::SealedValue, s.sealed_value.clone().into()),
                (Secrets::CreatedAt, tables::millis(s.created).into()),
                (Secrets::ModifiedAt, tables::millis(s.modified).into()),
            ],
        )?;
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        x.execute(&stmt).await?;
        for owner in &s.owners {
            x.execute(&owner_row(s.tenant_id, s.id, *owner, s.created)?).await?;
        }
        insert_event(&mut x, event).await?;
        tx.commit().await
    }

    /// Secrets with their owners, in two statements.
    pub(crate) async fn secrets_where(&self, tenant: Uuid, id: Option<Uuid>) -> StoreResult<Vec<Secret>> {
        let mut select = rows_where(Secrets::Table, Expr::col(Secrets::TenantId).eq(tenant));
        let mut owners = Query::select()
            .columns([SecretOwners::SecretId, SecretOwners::UserId])
            .from(SecretOwners::Table)
            .and_where(Expr::col(SecretOwners::TenantId).eq(tenant))
            .order_by(SecretOwners::CreatedAt, sea_query::Order::Asc)
            .to_owned();
        if let Some(id) = id {
            select.and_where(Expr::col(Secrets::Id).eq(id));
            owners.and_where(Expr::col(SecretOwners::SecretId).eq(id));
        }
        select.order_by(Secrets::NameKey, sea_query::Order::Asc);
        let mut conn = self.read().await?;
        let mut x = conn.exec();
        let mut by_secret: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for r in x.fetch_all(&owners).await? {
            by_secret.entry(r.uuid("secret_id")?).or_default().push(r.uuid("user_id")?);
        }
        x.fetch_all(&select)
            .await?
            .iter()
            .map(|r| {
                let mut s = tables::secret(r)?;
                s.owners = by_secret.remove(&s.id).unwrap_or_default();
                Ok(s)
            })
            .collect()
    }

    pub(crate) async fn add_owner(
        &self,
        tenant: Uuid,
        id: Uuid,
        user: Uuid,
        at: Time,
        event: &Event,
    ) -> StoreResult<()> {
        let stmt = owner_row(tenant, id, user, at)?
            .on_conflict(
                sea_query::OnConflict::columns([SecretOwners::SecretId, SecretOwners::UserId]).do_nothing().to_owned(),
            )
            .to_owned();
        self.write_with(&stmt, event, None).await.map(drop)
    }

    pub(crate) async fn remove_owner(&self, tenant: Uuid, id: Uuid, user: Uuid, event: &Event) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let mut lock = rows_where(Secrets::Table, in_tenant(tenant, id));
        if x.backend() == Backend::Postgres {
            lock.lock(sea_query::LockType::Update);
        }
        x.fetch_optional(&lock).await?.ok_or(StoreError::NotFound("secret"))?;
        let count = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), sea_query::Alias::new("n"))
            .from(SecretOwners::Table)
            .and_where(Expr::col(SecretOwners::SecretId).eq(id))
            .to_owned();
        let owners = x.fetch_optional(&count).await?.map(|r| r.i64("n")).transpose()?.unwrap_or(0);
        let delete = Query::delete()
            .from_table(SecretOwners::Table)
            .and_where(Expr::col(SecretOwners::TenantId).eq(tenant))
            .and_where(Expr::col(SecretOwners::SecretId).eq(id))
            .and_where(Expr::col(SecretOwners::UserId).eq(user))
            .to_owned();
        if x.execute(&delete).await? == 0 {
            return Err(StoreError::NotFound("owner"));
        }
        if owners <= 1 {
            return Err(StoreError::InUse(
                "a secret keeps at least one owner; add another before removing this one".into(),
            ));
        }
        insert_event(&mut x, event).await?;
        tx.commit().await
    }

    pub(crate) async fn remove_secret(&self, tenant: Uuid, id: Uuid, event: &Event) -> StoreResult<()> {
        let stmt = Query::delete().from_table(Secrets::Table).and_where(in_tenant(tenant, id)).to_owned();
        self.write_with(&stmt, event, Some("secret")).await.map(drop)
    }
}
