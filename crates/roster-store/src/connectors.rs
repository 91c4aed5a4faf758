//! SQL of directory connections, directory users looked up by their directory id, and the
//! member changes of a group sync.

use crate::events::insert_event;
use crate::exec::Exec;
use crate::tables::{self, DirectoryConnections, GroupGroups, GroupUsers, Groups, Tenants, Users};
use crate::{insert_row, insert_user_row, missing_or_stale, next_numbers, rows_where, SqlStore};
use roster_core::connectors::{Connection, SyncPlan};
use roster_core::events::Event;
use roster_core::model::{Group, MemberRef, PrincipalKind, Time, User};
use roster_core::store::{StoreError, StoreResult};
use sea_query::{Expr, IntoIden, Query};
use uuid::Uuid;

/// External ids looked up per statement (SQLite binds at most 32,766 values; keep it modest).
const LOOKUP_CHUNK: usize = 500;

fn settings_json(c: &Connection) -> StoreResult<String> {
    serde_json::to_string(&c.spec).map_err(|e| StoreError::Backend(e.to_string()))
}

fn in_tenant(tenant: Uuid, id: Uuid) -> sea_query::SimpleExpr {
    Expr::col(DirectoryConnections::TenantId).eq(tenant).and(Expr::col(DirectoryConnections::Id).eq(id))
}

impl SqlStore {
    pub(crate) async fn insert_connection_row(&self, c: &Connection, event: &Event) -> StoreResult<()> {
        let stmt = insert_row(
            DirectoryConnections::Table,
            [
                (DirectoryConnections::Id, c.id.into()),
                (DirectoryConnections::TenantId, c.tenant_id.into()),
                (DirectoryConnections::Name, c.spec.name.clone().into()),
                (DirectoryConnections::NameKey, c.spec.name.to_lowercase().into()),
                (DirectoryConnections::Settings, settings_json(c)?.into()),
                (DirectoryConnections::SealedPassword, c.sealed_password.clone().into()),
                (DirectoryConnections::CreatedAt, tables::millis(c.created).into()),
                (DirectoryConnections::ModifiedAt, tables::millis(c.modified).into()),
                (DirectoryConnections::Version, c.version.into()),
            ],
        )?;
        self.write_with(&stmt, event, None).await.map(drop)
    }

    pub(crate) async fn connections_of(&self, tenant: Uuid) -> StoreResult<Vec<Connection>> {
        let mut stmt = rows_where(DirectoryConnections::Table, Expr::col(DirectoryConnections::TenantId).eq(tenant));
        stmt.order_by(DirectoryConnections::NameKey, sea_query::Order::Asc);
        self.all(&stmt, tables::connection).await
    }

    pub(crate) async fn connection_by_id(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<Connection>> {
        self.one(&rows_where(DirectoryConnections::Table, in_tenant(tenant, id)), tables::connection).await
    }

    pub(crate) async fn update_connection_row(&self, c: &Connection, expected: i64, event: &Event) -> StoreResult<()> {
        let stmt = Query::update()
            .table(DirectoryConnections::Table)
            .value(DirectoryConnections::Name, c.spec.name.clone())
            .value(DirectoryConnections::NameKey, c.spec.name.to_lowercase())
            .value(DirectoryConnections::Settings, settings_json(c)?)
            .value(DirectoryConnections::SealedPassword, c.sealed_password.clone())
            .value(DirectoryConnections::ModifiedAt, tables::millis(c.modified))
            .value(DirectoryConnections::Version, c.version)
            .and_where(in_tenant(c.tenant_id, c.id))
            .and_where(Expr::col(DirectoryConnections::Version).eq(expected))
            .to_owned();
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        if x.execute(&stmt).await? == 0 {
            let row = rows_where(DirectoryConnections::Table, in_tenant(c.tenant_id, c.id));
            return Err(missing_or_stale(&mut x, row, "directory connection").await);
        }
        insert_event(&mut x, event).await?;
        tx.commit().await
    }

    pub(crate) async fn delete_connection_row(&self, tenant: Uuid, id: Uuid, event: &Event) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        for (table, what) in [(Users::Table.into_iden(), "users"), (Groups::Table.into_iden(), "groups")] {
            let count = Query::select()
                .expr_as(Expr::cust("COUNT(*)"), sea_query::Alias::new("n"))
                .from(table)
                .and_where(Expr::col(sea_query::Alias::new("directory_id")).eq(id))
                .to_owned();
            let n = x.fetch_optional(&count).await?.map(|r| r.i64("n")).transpose()?.unwrap_or(0);
            if n > 0 {
                return Err(StoreError::InUse(format!(
                    "{n} {what} come from this directory connection; delete or unlink them first"
                )));
            }
        }
        let stmt = Query::delete().from_table(DirectoryConnections::Table).and_where(in_tenant(tenant, id)).to_owned();
        if x.execute(&stmt).await? == 0 {
            return Err(StoreError::NotFound("directory connection"));
        }
        insert_event(&mut x, event).await?;
        tx.commit().await
    }

    pub(crate) async fn users_with_external_ids(&self, tenant: Uuid, ids: &[String]) -> StoreResult<Vec<User>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let stmt = rows_where(
                Users::Table,
                Expr::col(Users::TenantId).eq(tenant).and(Expr::col(Users::ExternalId).is_in(chunk.iter().cloned())),
            );
            out.extend(self.all(&stmt, tables::user).await?);
        }
        Ok(out)
    }

    pub(crate) async fn direct_members_of(&self, tenant: Uuid, group: Uuid) -> StoreResult<Vec<MemberRef>> {
        let users = Query::select()
            .column(GroupUsers::UserId)
            .from(GroupUsers::Table)
            .and_where(Expr::col(GroupUsers::TenantId).eq(tenant))
            .and_where(Expr::col(GroupUsers::GroupId).eq(group))
            .to_owned();
        let groups = Query::select()
            .column(GroupGroups::ChildId)
            .from(GroupGroups::Table)
            .and_where(Expr::col(GroupGroups::TenantId).eq(tenant))
            .and_where(Expr::col(GroupGroups::ParentId).eq(group))
            .to_owned();
        let mut conn = self.read().await?;
        let mut x = conn.exec();
        let mut out = Vec::new();
        for r in x.fetch_all(&users).await? {
            out.push(MemberRef { kind: PrincipalKind::User, id: r.uuid("user_id")? });
        }
        for r in x.fetch_all(&groups).await? {
            out.push(MemberRef { kind: PrincipalKind::Group, id: r.uuid("child_id")? });
        }
        Ok(out)
    }

    pub(crate) async fn set_group_source(
        &self,
        tenant: Uuid,
        group: Uuid,
        source: Option<(Uuid, String)>,
        at: Time,
        event: &Event,
    ) -> StoreResult<Group> {
        let (conn, dn) = source.map_or((None, None), |(c, d)| (Some(c), Some(d)));
        let mut stmt = Query::update();
        stmt.table(Groups::Table)
            .value(Groups::DirectoryId, conn)
            .value(Groups::DirectoryDn, dn)
            .value(Groups::SyncedAt, Option::<i64>::None)
            .value(Groups::SyncDueAt, Option::<i64>::None);
        let row = self.update_one(roster_core::schema::Resource::Group, stmt, tenant, group, None, at, event).await?;
        tables::group(&row)
    }

    /// Writes a sync's users, member changes and events in one transaction.
    pub(crate) async fn write_sync(&self, tenant: Uuid, group: Uuid, plan: &SyncPlan, at: Time) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        if !plan.create.is_empty() {
            let n = plan.create.len() as i64;
            let last = next_numbers(&mut x, tenant, Tenants::UserSeq, n).await?;
            for (i, (id, spec, event)) in plan.create.iter().enumerate() {
                insert_user_row(&mut x, tenant, (*id, last - n + 1 + i as i64), spec, at, None).await?;
                insert_event(&mut x, event).await?;
            }
        }
        for (user, event) in &plan.add {
            let stmt = insert_row(
                GroupUsers::Table,
                [
                    (GroupUsers::TenantId, tenant.into()),
                    (GroupUsers::GroupId, group.into()),
                    (GroupUsers::UserId, (*user).into()),
                    (GroupUsers::CreatedAt, tables::millis(at).into()),
                ],
            )?;
            x.execute(&stmt).await?;
            insert_event(&mut x, event).await?;
        }
        for (member, event) in &plan.remove {
            remove_edge(&mut x, tenant, group, *member).await?;
            insert_event(&mut x, event).await?;
        }
        let stamp = Query::update()
            .table(Groups::Table)
            .value(Groups::SyncedAt, tables::millis(at))
            .value(Groups::SyncDueAt, plan.next_due.map(tables::millis))
            .and_where(Expr::col(Groups::TenantId).eq(tenant))
            .and_where(Expr::col(Groups::Id).eq(group))
            .to_owned();
        x.execute(&stamp).await?;
        tx.commit().await
    }

    pub(crate) async fn claim_sync(&self, now: Time, lease_until: Time) -> StoreResult<Option<(Uuid, Uuid)>> {
        let mut due = Query::select();
        due.column(Groups::Id)
            .from(Groups::Table)
            .and_where(Expr::col(Groups::SyncDueAt).lte(tables::millis(now)))
            .and_where(Expr::col(Groups::DirectoryId).is_not_null())
            .and_where(Expr::col(Groups::DeletedAt).is_null())
            .order_by(Groups::SyncDueAt, sea_query::Order::Asc)
            .limit(1);
        let mut claim = Query::update();
        claim
            .table(Groups::Table)
            .value(Groups::SyncDueAt, tables::millis(lease_until))
            .returning(Query::returning().columns([Groups::TenantId, Groups::Id]));
        let row = self.claim_one(due, Groups::Id, claim).await?;
        row.map(|r| Ok((r.uuid("tenant_id")?, r.uuid("id")?))).transpose()
    }
}

/// Deletes one direct membership edge.
pub(crate) async fn remove_edge(x: &mut Exec<'_>, tenant: Uuid, group: Uuid, member: MemberRef) -> StoreResult<u64> {
    let stmt = match member.kind {
        PrincipalKind::User => Query::delete()
            .from_table(GroupUsers::Table)
            .and_where(Expr::col(GroupUsers::TenantId).eq(tenant))
            .and_where(Expr::col(GroupUsers::GroupId).eq(group))
            .and_where(Expr::col(GroupUsers::UserId).eq(member.id))
            .to_owned(),
        PrincipalKind::Group => Query::delete()
            .from_table(GroupGroups::Table)
            .and_where(Expr::col(GroupGroups::TenantId).eq(tenant))
            .and_where(Expr::col(GroupGroups::ParentId).eq(group))
            .and_where(Expr::col(GroupGroups::ChildId).eq(member.id))
            .to_owned(),
    };
    x.execute(&stmt).await
}
