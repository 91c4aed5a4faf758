//! SQL of bulk imports: one batch of new groups, users, password hashes and memberships written
//! with multi-row INSERTs in one transaction, and the look-up of unique values already taken.

use crate::claims::UserClaims;
use crate::events::insert_event;
use crate::exec::{Backend, Exec};
use crate::tables::{self, GroupGroups, GroupUsers, Groups, Tenants, UserPasswords, Users};
use crate::{claims, new_group_values, new_user_values, next_numbers, SqlStore};
use roster_core::events::Event;
use roster_core::model::Time;
use roster_core::store::{ImportBatch, StoreError, StoreResult};
use sea_query::{Expr, Iden, Query, SimpleExpr};
use uuid::Uuid;

/// Values bound per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_BINDS: usize = 8_000;
/// Values looked up per statement.
const LOOKUP_CHUNK: usize = 500;

/// Inserts `rows` (each the same columns, in the same order) a statement per [`MAX_BINDS`]
/// values. (The rows come collected: an iterator of closures held across an await would not be
/// `Send`.)
pub(crate) async fn insert_rows<C: Iden + Copy + 'static>(
    x: &mut Exec<'_>,
    table: C,
    rows: Vec<Vec<(C, SimpleExpr)>>,
) -> StoreResult<()> {
    let Some(first) = rows.first() else { return Ok(()) };
    let columns: Vec<C> = first.iter().map(|(c, _)| *c).collect();
    let per_statement = (MAX_BINDS / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut stmt = Query::insert();
        stmt.into_table(table).columns(columns.clone());
        for row in rows.by_ref().take(per_statement) {
            stmt.values(row.into_iter().map(|(_, v)| v)).map_err(|e| StoreError::Backend(e.to_string()))?;
        }
        x.execute(&stmt).await?;
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
            let rows = (first..)
                .zip(&batch.groups)
                .map(|(number, (id, spec))| new_group_values(tenant, (*id, number), spec, false, at))
                .collect();
            insert_rows(&mut x, Groups::Table, rows).await?;
        }
        let rows = batch
            .nested
            .iter()
            .map(|(parent, child)| {
                vec![
                    (GroupGroups::TenantId, tenant.into()),
                    (GroupGroups::ParentId, (*parent).into()),
                    (GroupGroups::ChildId, (*child).into()),
                    (GroupGroups::CreatedAt, ms.into()),
                ]
            })
            .collect();
        insert_rows(&mut x, GroupGroups::Table, rows).await?;
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
        let rows = (first..)
            .zip(&batch.users)
            .map(|(number, (id, spec, hash))| {
                let mut row = new_user_values(tenant, (*id, number), spec, at);
                row.push((Users::PasswordChangedAt, hash.as_ref().map(|_| ms).into()));
                row
            })
            .collect();
        insert_rows(x, Users::Table, rows).await?;

        let rows = batch
            .users
            .iter()
            .flat_map(|(id, spec, _)| {
                roster_core::claims::index_keys(&spec.claims)
                    .into_iter()
                    .map(move |key| claims::key_row(tenant, *id, key))
            })
            .collect();
        insert_rows(x, UserClaims::Table, rows).await?;

        let rows = batch
            .users
            .iter()
            .filter_map(|(id, _, hash)| {
                Some(vec![
                    (UserPasswords::Id, Uuid::now_v7().into()),
                    (UserPasswords::TenantId, tenant.into()),
                    (UserPasswords::UserId, (*id).into()),
                    (UserPasswords::Hash, hash.as_ref()?.clone().into()),
                    (UserPasswords::CreatedAt, ms.into()),
                ])
            })
            .collect();
        insert_rows(x, UserPasswords::Table, rows).await?;

        let rows = batch
            .members
            .iter()
            .map(|(group, user)| {
                vec![
                    (GroupUsers::TenantId, tenant.into()),
                    (GroupUsers::GroupId, (*group).into()),
                    (GroupUsers::UserId, (*user).into()),
                    (GroupUsers::CreatedAt, ms.into()),
                ]
            })
            .collect();
        insert_rows(x, GroupUsers::Table, rows).await
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
