//! SQL of bulk imports: one batch of new groups, users, password hashes and memberships written
//! with multi-row INSERTs in one transaction, and the look-up of unique values already taken.

use crate::claims::UserClaims;
use crate::events::insert_event;
use crate::exec::{Backend, Exec};
use crate::tables::{self, GroupGroups, GroupUsers, Groups, Tenants, UserPasswords, Users};
use crate::{group_values, lifecycle_values, next_numbers, user_values, SqlStore};
use roster_core::events::Event;
use roster_core::model::{Time, UserSpec};
use roster_core::store::{ImportBatch, StoreError, StoreResult};
use sea_query::{Expr, Iden, InsertStatement, Query, SimpleExpr};
use uuid::Uuid;

/// Values bound per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_BINDS: usize = 8_000;
/// Values looked up per statement.
const LOOKUP_CHUNK: usize = 500;

/// Inserts `rows` (each the same columns) a statement per [`MAX_BINDS`] values. (The rows come
/// collected: an iterator of closures held across an await would not be `Send`.)
async fn insert_rows<C: Iden + Copy + 'static>(
    x: &mut Exec<'_>,
    table: C,
    columns: &[C],
    rows: Vec<Vec<SimpleExpr>>,
) -> StoreResult<()> {
    let per_statement = (MAX_BINDS / columns.len().max(1)).max(1);
    let mut stmt: Option<InsertStatement> = None;
    let mut in_stmt = 0;
    for row in rows {
        let s = stmt.get_or_insert_with(|| Query::insert().into_table(table).columns(columns.to_vec()).to_owned());
        s.values(row).map_err(|e| StoreError::Backend(e.to_string()))?;
        in_stmt += 1;
        if in_stmt == per_statement {
            if let Some(full) = stmt.take() {
                x.execute(&full).await?;
            }
            in_stmt = 0;
        }
    }
    if let Some(rest) = stmt {
        x.execute(&rest).await?;
    }
    Ok(())
}

impl SqlStore {
    pub(crate) async fn write_import(
        &self,
        tenant: Uuid,
        batch: &ImportBatch,
        at: Time,
        event: &Event,
    ) -> StoreResult<()> {
        let ms = tables::millis(at);
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        if matches!(x.backend(), Backend::Sqlite) {
            // A bulk load inserts into every index at random places: with SQLite's 2 MiB default
            // cache it spends most of its time re-reading and spilling pages; 256 MiB holds the
            // hot index pages of a million users. These settings last for this connection (an
            // import runs in its own process).
            x.raw("PRAGMA cache_size = -262144").await?;
            x.raw("PRAGMA temp_store = MEMORY").await?;
            // Fewer, larger checkpoints (each one syncs): the WAL may reach 160 MiB meanwhile.
            x.raw("PRAGMA wal_autocheckpoint = 40000").await?;
        }
        if !batch.groups.is_empty() {
            let n = batch.groups.len() as i64;
            let first = next_numbers(&mut x, tenant, Tenants::GroupSeq, n).await? - n + 1;
            let mut columns = vec![Groups::Id, Groups::TenantId, Groups::Number, Groups::System];
            columns.extend([Groups::CreatedAt, Groups::ModifiedAt, Groups::Version]);
            columns.extend(group_values(&Default::default()).into_iter().map(|(c, _)| c));
            let rows: Vec<_> = batch
                .groups
                .iter()
                .enumerate()
                .map(|(i, (id, spec))| {
                    let mut row: Vec<SimpleExpr> =
                        vec![(*id).into(), tenant.into(), (first + i as i64).into(), false.into()];
                    row.extend([ms.into(), ms.into(), 1i64.into()]);
                    row.extend(group_values(spec).into_iter().map(|(_, v)| v));
                    row
                })
                .collect();
            insert_rows(&mut x, Groups::Table, &columns, rows).await?;
        }
        let edge = [GroupGroups::TenantId, GroupGroups::ParentId, GroupGroups::ChildId, GroupGroups::CreatedAt];
        let rows: Vec<_> =
            batch.nested.iter().map(|(p, c)| vec![tenant.into(), (*p).into(), (*c).into(), ms.into()]).collect();
        insert_rows(&mut x, GroupGroups::Table, &edge, rows).await?;
        if !batch.users.is_empty() {
            self.write_users(&mut x, tenant, batch, at).await?;
        }
        // Groups gaining members change, as with every other member change.
        let mut touched: Vec<Uuid> = batch.members.iter().map(|(g, _)| *g).collect();
        touched.extend(batch.nested.iter().map(|(p, _)| *p));
        touched.sort_unstable();
        touched.dedup();
        for chunk in touched.chunks(LOOKUP_CHUNK) {
            let stmt = Query::update()
                .table(Groups::Table)
                .value(Groups::Version, Expr::col(Groups::Version).add(1))
                .value(Groups::ModifiedAt, ms)
                .and_where(Expr::col(Groups::TenantId).eq(tenant))
                .and_where(Expr::col(Groups::Id).is_in(chunk.iter().copied()))
                .to_owned();
            x.execute(&stmt).await?;
        }
        insert_event(&mut x, event).await?;
        tx.commit().await
    }

    async fn write_users(&self, x: &mut Exec<'_>, tenant: Uuid, batch: &ImportBatch, at: Time) -> StoreResult<()> {
        let ms = tables::millis(at);
        let n = batch.users.len() as i64;
        let first = next_numbers(x, tenant, Tenants::UserSeq, n).await? - n + 1;
        let user_row = |spec: &UserSpec| {
            let mut row = user_values(spec);
            row.extend(lifecycle_values(spec, at, false));
            row
        };
        let mut columns = vec![Users::Id, Users::TenantId, Users::Number, Users::CreatedAt, Users::ModifiedAt];
        columns.extend([Users::Version, Users::PasswordChangedAt]);
        columns.extend(user_row(&Default::default()).into_iter().map(|(c, _)| c));
        let rows: Vec<_> = batch
            .users
            .iter()
            .enumerate()
            .map(|(i, (id, spec, hash))| {
                let mut row: Vec<SimpleExpr> = vec![(*id).into(), tenant.into(), (first + i as i64).into(), ms.into()];
                row.extend([ms.into(), 1i64.into(), hash.as_ref().map(|_| ms).into()]);
                row.extend(user_row(spec).into_iter().map(|(_, v)| v));
                row
            })
            .collect();
        insert_rows(x, Users::Table, &columns, rows).await?;

        let claims = [UserClaims::TenantId, UserClaims::ClaimKey, UserClaims::UserId];
        let rows: Vec<_> = batch
            .users
            .iter()
            .flat_map(|(id, spec, _)| {
                roster_core::claims::index_keys(&spec.claims)
                    .into_iter()
                    .map(move |key| vec![tenant.into(), key.to_vec().into(), (*id).into()])
            })
            .collect();
        insert_rows(x, UserClaims::Table, &claims, rows).await?;

        let passwords = [
            UserPasswords::Id,
            UserPasswords::TenantId,
            UserPasswords::UserId,
            UserPasswords::Hash,
            UserPasswords::CreatedAt,
        ];
        let rows: Vec<_> = batch
            .users
            .iter()
            .filter_map(|(id, _, hash)| {
                let hash = hash.as_ref()?;
                Some(vec![Uuid::now_v7().into(), tenant.into(), (*id).into(), hash.clone().into(), ms.into()])
            })
            .collect();
        insert_rows(x, UserPasswords::Table, &passwords, rows).await?;

        let edge = [GroupUsers::TenantId, GroupUsers::GroupId, GroupUsers::UserId, GroupUsers::CreatedAt];
        let rows: Vec<_> =
            batch.members.iter().map(|(g, u)| vec![tenant.into(), (*g).into(), (*u).into(), ms.into()]).collect();
        insert_rows(x, GroupUsers::Table, &edge, rows).await
    }

    pub(crate) async fn taken_keys(
        &self,
        tenant: Uuid,
        names: &[&str],
        emails: &[&str],
        external: &[&str],
        ids: &[Uuid],
    ) -> StoreResult<Vec<(&'static str, String)>> {
        let mut conn = self.read().await?;
        let mut x = conn.exec();
        let mut taken = Vec::new();
        let lookups: [(&'static str, Users, Vec<sea_query::Value>); 3] = [
            ("user_name", Users::UserNameKey, names.iter().map(|v| (*v).into()).collect()),
            ("email", Users::EmailKey, emails.iter().map(|v| (*v).into()).collect()),
            ("external_id", Users::ExternalId, external.iter().map(|v| (*v).into()).collect()),
        ];
        for (field, column, values) in lookups {
            for chunk in values.chunks(LOOKUP_CHUNK) {
                let stmt = Query::select()
                    .column(column)
                    .from(Users::Table)
                    .and_where(Expr::col(Users::TenantId).eq(tenant))
                    .and_where(Expr::col(column).is_in(chunk.iter().cloned()))
                    .limit(1)
                    .to_owned();
                if let Some(row) = x.fetch_optional(&stmt).await? {
                    taken.push((field, row.text(&column.to_string())?));
                }
            }
        }
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let stmt = Query::select()
                .column(Users::Id)
                .from(Users::Table)
                .and_where(Expr::col(Users::Id).is_in(chunk.iter().copied()))
                .limit(1)
                .to_owned();
            if let Some(row) = x.fetch_optional(&stmt).await? {
                taken.push(("id", row.uuid("id")?.to_string()));
            }
        }
        Ok(taken)
    }
}
