//! The claims index: the keys of each user's claims (see `roster_core::claims`), rewritten in the
//! transaction of every write of those claims, and rebuilt once for users older than the index.

use crate::exec::{Exec, Row};
use crate::tables::Users;
use roster_core::store::StoreResult;
use sea_query::{Expr, Iden, Order, Query};
use uuid::Uuid;

#[derive(Iden, Clone, Copy)]
pub enum UserClaims {
    Table,
    TenantId,
    ClaimKey,
    UserId,
}

#[derive(Iden, Clone, Copy)]
enum StoreTasks {
    Table,
    Name,
}

/// Users read at a time while rebuilding the index.
const REBUILD_BATCH: u64 = 1000;

/// Makes the index hold exactly the keys of `claims` for the user.
pub(crate) async fn index(x: &mut Exec<'_>, tenant: Uuid, user: Uuid, claims: &serde_json::Value) -> StoreResult<()> {
    let clear =
        Query::delete().from_table(UserClaims::Table).and_where(Expr::col(UserClaims::UserId).eq(user)).to_owned();
    x.execute(&clear).await?;
    let rows = roster_core::claims::index_keys(claims).into_iter().map(|key| key_row(tenant, user, key)).collect();
    crate::import::insert_rows(x, UserClaims::Table, rows).await
}

/// One row of the index: a key of a user's claims.
pub(crate) fn key_row(tenant: Uuid, user: Uuid, key: [u8; 16]) -> Vec<(UserClaims, sea_query::SimpleExpr)> {
    vec![
        (UserClaims::TenantId, tenant.into()),
        (UserClaims::ClaimKey, key.to_vec().into()),
        (UserClaims::UserId, user.into()),
    ]
}

/// Runs the one-time work migrations left behind; several processes may start at once, and the
/// task's row is taken in the transaction that does the work, so exactly one does it.
pub(crate) async fn run_pending(x: &mut Exec<'_>) -> StoreResult<()> {
    let take = Query::delete()
        .from_table(StoreTasks::Table)
        .and_where(Expr::col(StoreTasks::Name).eq("index_claims"))
        .returning(Query::returning().column(StoreTasks::Name))
        .to_owned();
    if x.fetch_optional(&take).await?.is_none() {
        return Ok(());
    }
    let mut after: Option<Uuid> = None;
    loop {
        let mut batch = Query::select();
        batch
            .columns([Users::Id, Users::TenantId, Users::Claims])
            .from(Users::Table)
            .order_by(Users::Id, Order::Asc)
            .limit(REBUILD_BATCH);
        if let Some(id) = after {
            batch.and_where(Expr::col(Users::Id).gt(id));
        }
        let rows: Vec<Row> = x.fetch_all(&batch).await?;
        for r in &rows {
            index(x, r.uuid("tenant_id")?, r.uuid("id")?, &r.json("claims")?).await?;
        }
        match rows.last() {
            Some(last) if rows.len() as u64 == REBUILD_BATCH => after = Some(last.uuid("id")?),
            _ => return Ok(()),
        }
    }
}
