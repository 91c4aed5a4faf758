//! The claims index: the keys of each user's claims (see `roster_core::claims`), rewritten in the
//! transaction of every write of those claims, and rebuilt once for users older than the index.

use crate::exec::{Exec, Row};
use crate::tables::Users;
use roster_core::store::{StoreError, StoreResult};
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

/// Rows one INSERT carries (three parameters each, well under every database's limit).
const INSERT_CHUNK: usize = 300;
/// Users read at a time while rebuilding the index.
const REBUILD_BATCH: u64 = 1000;

/// Makes the index hold exactly the keys of `claims` for the user.
pub(crate) async fn index(x: &mut Exec<'_>, tenant: Uuid, user: Uuid, claims: &serde_json::Value) -> StoreResult<()> {
    let clear =
        Query::delete().from_table(UserClaims::Table).and_where(Expr::col(UserClaims::UserId).eq(user)).to_owned();
    x.execute(&clear).await?;
    let keys = roster_core::claims::index_keys(claims);
    for chunk in keys.chunks(INSERT_CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(UserClaims::Table).columns([UserClaims::TenantId, UserClaims::ClaimKey, UserClaims::UserId]);
        for key in chunk {
            insert
                .values([tenant.into(), key.to_vec().into(), user.into()])
                .map_err(|e| StoreError::Backend(e.to_string()))?;
        }
        x.execute(&insert).await?;
    }
    Ok(())
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
