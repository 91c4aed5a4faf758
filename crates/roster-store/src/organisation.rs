//! SQL of what users sign in to workstations with (computer user names, smartcards), of ranks,
//! of invitations in bulk, of leaving the organisation, and the batch reads listings join.

use crate::events::insert_event;
use crate::exec::{Backend, Exec};
use crate::tables::{
    self, AccessPolicies, ComputerUserNames, DeviceCredentials, GroupGroups, GroupUsers, Groups, RoleAssignments,
    Sessions, Smartcards, Tenants, Users,
};
use crate::{add_edge, guarded_update, insert_row, insert_user_row, lock_tenant, next_numbers, SqlStore};
use roster_core::mail::MessageKind;
use roster_core::model::{MemberRef, PrincipalKind, Time, User};
use roster_core::schema::Resource;
use roster_core::store::{Departure, NewInvitation, StoreError, StoreResult};
use roster_core::workstations::Smartcard;
use sea_query::{Alias, Expr, Query};
use std::collections::HashSet;
use uuid::Uuid;

/// Replaces the rows a user holds in one of its list tables (computer user names, smartcards):
/// the old ones go, the new ones come in one INSERT, each row's values in `columns` order.
async fn replace_rows<C: sea_query::Iden + Copy + 'static, const N: usize>(
    x: &mut Exec<'_>,
    table: C,
    (tenant_col, user_col): (C, C),
    (tenant, user): (Uuid, Uuid),
    columns: [C; N],
    rows: impl ExactSizeIterator<Item = [sea_query::SimpleExpr; N]>,
) -> StoreResult<()> {
    let clear = Query::delete()
        .from_table(table)
        .and_where(Expr::col(tenant_col).eq(tenant))
        .and_where(Expr::col(user_col).eq(user))
        .to_owned();
    x.execute(&clear).await?;
    if rows.len() == 0 {
        return Ok(());
    }
    let mut stmt = Query::insert();
    stmt.into_table(table).columns(columns);
    for row in rows {
        stmt.values(row).map_err(|e| StoreError::Backend(e.to_string()))?;
    }
    x.execute(&stmt).await.map(drop)
}

/// Replaces a user's computer user names.
async fn write_names(x: &mut Exec<'_>, tenant: Uuid, user: Uuid, names: &[String]) -> StoreResult<()> {
    use ComputerUserNames as T;
    let columns = [T::TenantId, T::NameKey, T::UserId, T::Position, T::Name];
    let rows = names.iter().enumerate().map(|(i, name)| {
        [tenant.into(), name.to_lowercase().into(), user.into(), (i as i64).into(), name.clone().into()]
    });
    replace_rows(x, T::Table, (T::TenantId, T::UserId), (tenant, user), columns, rows).await
}

/// The index of the first card whose number a user other than `except` holds in the tenant.
async fn first_held(
    x: &mut Exec<'_>,
    tenant: Uuid,
    except: Option<Uuid>,
    cards: &[Smartcard],
) -> StoreResult<Option<usize>> {
    if cards.is_empty() {
        return Ok(None);
    }
    let mut stmt = Query::select()
        .distinct()
        .column(Smartcards::Number)
        .from(Smartcards::Table)
        .and_where(Expr::col(Smartcards::TenantId).eq(tenant))
        .and_where(Expr::col(Smartcards::Number).is_in(cards.iter().map(|c| c.number.clone())))
        .to_owned();
    if let Some(user) = except {
        stmt.and_where(Expr::col(Smartcards::UserId).ne(user));
    }
    let held: HashSet<String> = x.fetch_all(&stmt).await?.iter().map(|r| r.text("number")).collect::<Result<_, _>>()?;
    Ok(cards.iter().position(|c| held.contains(&c.number)))
}

/// Replaces a user's smartcards.
async fn write_cards(x: &mut Exec<'_>, tenant: Uuid, user: Uuid, cards: &[Smartcard]) -> StoreResult<()> {
    use Smartcards as T;
    let columns = [T::UserId, T::Position, T::TenantId, T::Number, T::Label];
    let rows = cards
        .iter()
        .enumerate()
        .map(|(i, c)| [user.into(), (i as i64).into(), tenant.into(), c.number.clone().into(), c.label.clone().into()]);
    replace_rows(x, T::Table, (T::TenantId, T::UserId), (tenant, user), columns, rows).await
}

/// Whether an active, live user holds `role`, directly or through live groups (nested).
async fn some_user_holds(x: &mut Exec<'_>, tenant: Uuid, role: &str) -> StoreResult<bool> {
    let sql = "EXISTS (WITH RECURSIVE down(gid) AS (\
         SELECT ra.group_id FROM role_assignments ra JOIN \"groups\" g ON g.id = ra.group_id \
         WHERE ra.tenant_id = ? AND ra.role = ? AND g.deleted_at IS NULL \
         UNION SELECT gg.child_id FROM group_groups gg JOIN down ON gg.parent_id = down.gid \
         JOIN \"groups\" g ON g.id = gg.child_id WHERE g.deleted_at IS NULL) \
         SELECT 1 FROM users u WHERE u.tenant_id = ? AND u.deleted_at IS NULL AND u.status = 'active' AND (\
         u.id IN (SELECT ra.user_id FROM role_assignments ra WHERE ra.tenant_id = ? AND ra.role = ? AND ra.user_id IS NOT NULL) \
         OR u.id IN (SELECT gu.user_id FROM group_users gu JOIN down ON gu.group_id = down.gid)))";
    let values = vec![tenant.into(), role.into(), tenant.into(), tenant.into(), role.into()];
    let stmt = Query::select().expr_as(x.backend().fragment(sql, values), Alias::new("hit")).to_owned();
    match x.fetch_optional(&stmt).await? {
        Some(row) => row.flag("hit"),
        None => Ok(false),
    }
}

/// Locks the tenant on PostgreSQL when a check-then-write must not interleave with another
/// (SQLite has one writer, which serialises them already).
pub(crate) async fn serialise(x: &mut Exec<'_>, tenant: Uuid, needed: bool) -> StoreResult<()> {
    if needed && x.backend() == Backend::Postgres {
        lock_tenant(x, tenant).await?;
    }
    Ok(())
}

/// Before a write that may take `keep_holder` away from its last holder: takes the tenant lock
/// (PostgreSQL) and answers the role to check once written, which is none when no active user
/// holds it now (such a write removes no holder; there is none to keep).
pub(crate) async fn holder_guard(
    x: &mut Exec<'_>,
    tenant: Uuid,
    keep_holder: Option<&'static str>,
) -> StoreResult<Option<&'static str>> {
    let Some(role) = keep_holder else { return Ok(None) };
    serialise(x, tenant, true).await?;
    Ok(some_user_holds(x, tenant, role).await?.then_some(role))
}

/// Refuses (LastHolder) to go on when `keep_holder` names a role no active user holds any more.
pub(crate) async fn ensure_holder(
    x: &mut Exec<'_>,
    tenant: Uuid,
    keep_holder: Option<&'static str>,
) -> StoreResult<()> {
    match keep_holder {
        Some(role) if !some_user_holds(x, tenant, role).await? => Err(StoreError::LastHolder(role)),
        _ => Ok(()),
    }
}

impl SqlStore {
    pub(crate) async fn names_of(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<String>> {
        let stmt = Query::select()
            .column(ComputerUserNames::Name)
            .from(ComputerUserNames::Table)
            .and_where(Expr::col(ComputerUserNames::TenantId).eq(tenant))
            .and_where(Expr::col(ComputerUserNames::UserId).eq(user))
            .order_by(ComputerUserNames::Position, sea_query::Order::Asc)
            .to_owned();
        self.all(&stmt, |r| r.text("name")).await
    }

    pub(crate) async fn replace_names(
        &self,
        tenant: Uuid,
        user: Uuid,
        names: &[String],
        event: &roster_core::events::Event,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        write_names(&mut x, tenant, user, names).await?;
        insert_event(&mut x, event).await?;
        tx.commit().await
    }

    pub(crate) async fn cards_of(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<Smartcard>> {
        let stmt = Query::select()
            .columns([Smartcards::Number, Smartcards::Label])
            .from(Smartcards::Table)
            .and_where(Expr::col(Smartcards::TenantId).eq(tenant))
            .and_where(Expr::col(Smartcards::UserId).eq(user))
            .order_by(Smartcards::Position, sea_query::Order::Asc)
            .to_owned();
        self.all(&stmt, |r| Ok(Smartcard { number: r.text("number")?, label: r.opt_text("label")? })).await
    }

    pub(crate) async fn replace_cards(
        &self,
        tenant: Uuid,
        user: Uuid,
        cards: &[Smartcard],
        allow_duplicates: bool,
        event: &roster_core::events::Event,
    ) -> StoreResult<Option<usize>> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        serialise(&mut x, tenant, !allow_duplicates).await?;
        if !allow_duplicates {
            if let Some(i) = first_held(&mut x, tenant, Some(user), cards).await? {
                return Ok(Some(i));
            }
        }
        write_cards(&mut x, tenant, user, cards).await?;
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(None)
    }

    pub(crate) async fn replace_rank_role(
        &self,
        tenant: Uuid,
        user: Uuid,
        (ranks, role): (&[&str], Option<&str>),
        keep_holder: Option<&'static str>,
        events: &[roster_core::events::Event],
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let keep_holder = holder_guard(&mut x, tenant, keep_holder).await?;
        let clear = Query::delete()
            .from_table(RoleAssignments::Table)
            .and_where(Expr::col(RoleAssignments::TenantId).eq(tenant))
            .and_where(Expr::col(RoleAssignments::UserId).eq(user))
            .and_where(Expr::col(RoleAssignments::Role).is_in(ranks.iter().copied()))
            .to_owned();
        x.execute(&clear).await?;
        if let Some(role) = role {
            let add = insert_row(
                RoleAssignments::Table,
                [
                    (RoleAssignments::TenantId, tenant.into()),
                    (RoleAssignments::UserId, Some(user).into()),
                    (RoleAssignments::GroupId, None::<Uuid>.into()),
                    (RoleAssignments::Role, role.into()),
                    (RoleAssignments::CreatedAt, tables::millis(roster_core::model::now()).into()),
                ],
            )?;
            x.execute(&add).await?;
        }
        ensure_holder(&mut x, tenant, keep_holder).await?;
        for e in events {
            insert_event(&mut x, e).await?;
        }
        tx.commit().await
    }

    pub(crate) async fn leave(
        &self,
        tenant: Uuid,
        user: Uuid,
        departure: &Departure,
        at: Time,
        event: &roster_core::events::Event,
    ) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let keep_holder = holder_guard(&mut x, tenant, departure.keep_holder).await?;
        crate::secrets::ensure_not_sole_owner(&mut x, tenant, user).await?;
        let mut stmt = Query::update();
        stmt.table(Users::Table)
            .value(Users::DeletedAt, tables::millis(at))
            .and_where(Expr::col(Users::DeletedAt).is_null());
        let row = guarded_update(&mut x, Resource::User, stmt, tenant, user, None, at).await?;
        insert_event(&mut x, event).await?;
        let out = Query::delete()
            .from_table(GroupUsers::Table)
            .and_where(Expr::col(GroupUsers::TenantId).eq(tenant))
            .and_where(Expr::col(GroupUsers::UserId).eq(user))
            .to_owned();
        x.execute(&out).await?;
        // Its workstation names and smartcards go free, for whoever takes its place.
        write_names(&mut x, tenant, user, &[]).await?;
        write_cards(&mut x, tenant, user, &[]).await?;
        for (_, e) in &departure.groups {
            insert_event(&mut x, e).await?;
        }
        if let Some((policy, e)) = &departure.policy {
            // Deleted only while nobody else is under it: no other live user, no group.
            let others = Query::select()
                .expr(Expr::val(1))
                .from(Users::Table)
                .and_where(Expr::col(Users::AccessPolicyId).eq(*policy))
                .and_where(Expr::col(Users::Id).ne(user))
                .and_where(Expr::col(Users::DeletedAt).is_null())
                .to_owned();
            let groups = Query::select()
                .expr(Expr::val(1))
                .from(Groups::Table)
                .and_where(Expr::col(Groups::AccessPolicyId).eq(*policy))
                .to_owned();
            let drop_policy = Query::delete()
                .from_table(AccessPolicies::Table)
                .and_where(Expr::col(AccessPolicies::TenantId).eq(tenant))
                .and_where(Expr::col(AccessPolicies::Id).eq(*policy))
                .and_where(Expr::col(AccessPolicies::IsDefault).eq(false))
                .and_where(Expr::exists(others).not())
                .and_where(Expr::exists(groups).not())
                .to_owned();
            if x.execute(&drop_policy).await? > 0 {
                insert_event(&mut x, e).await?;
            }
        }
        let sessions = Query::update()
            .table(Sessions::Table)
            .value(Sessions::RevokedAt, tables::millis(at))
            .and_where(Expr::col(Sessions::TenantId).eq(tenant))
            .and_where(Expr::col(Sessions::UserId).eq(user))
            .and_where(Expr::col(Sessions::RevokedAt).is_null())
            .to_owned();
        x.execute(&sessions).await?;
        for purpose in [MessageKind::Invitation, MessageKind::DeviceBinding, MessageKind::PasswordReset] {
            crate::mail::revoke_tokens(&mut x, tenant, user, purpose, at).await?;
        }
        ensure_holder(&mut x, tenant, keep_holder).await?;
        let user = tables::user(&row)?;
        tx.commit().await?;
        Ok(user)
    }

    pub(crate) async fn add_invitations(
        &self,
        tenant: Uuid,
        invitations: &[NewInvitation],
        groups: &[Uuid],
        (cards, allow_duplicates): (&[Smartcard], bool),
        at: Time,
    ) -> StoreResult<Result<Vec<User>, usize>> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        serialise(&mut x, tenant, !allow_duplicates && !cards.is_empty()).await?;
        if !allow_duplicates {
            if let Some(i) = first_held(&mut x, tenant, None, cards).await? {
                return Ok(Err(i));
            }
        }
        let n = invitations.len() as i64;
        let last = next_numbers(&mut x, tenant, Tenants::UserSeq, n).await?;
        let mut users = Vec::with_capacity(invitations.len());
        for (i, inv) in invitations.iter().enumerate() {
            let expires = inv.dispatch.as_ref().map(|d| d.token.expires);
            let row =
                insert_user_row(&mut x, tenant, (inv.id, last - n + 1 + i as i64), &inv.spec, at, expires).await?;
            for g in groups {
                add_edge(&mut x, tenant, *g, MemberRef { kind: PrincipalKind::User, id: inv.id }, at).await?;
            }
            write_cards(&mut x, tenant, inv.id, cards).await?;
            for e in &inv.events {
                insert_event(&mut x, e).await?;
            }
            if let Some(d) = &inv.dispatch {
                crate::mail::write_dispatch(&mut x, d, true).await?;
            }
            users.push(tables::user(&row)?);
        }
        tx.commit().await?;
        Ok(Ok(users))
    }

    pub(crate) async fn groups_of(&self, tenant: Uuid, users: &[Uuid]) -> StoreResult<Vec<(Uuid, Uuid, String)>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let stmt = Query::select()
            .column((GroupUsers::Table, GroupUsers::UserId))
            .column((Groups::Table, Groups::Id))
            .column((Groups::Table, Groups::Name))
            .from(GroupUsers::Table)
            .inner_join(
                Groups::Table,
                Expr::col((Groups::Table, Groups::Id)).equals((GroupUsers::Table, GroupUsers::GroupId)),
            )
            .and_where(Expr::col((GroupUsers::Table, GroupUsers::TenantId)).eq(tenant))
            .and_where(Expr::col((GroupUsers::Table, GroupUsers::UserId)).is_in(users.iter().copied()))
            .and_where(Expr::col((Groups::Table, Groups::DeletedAt)).is_null())
            .order_by((GroupUsers::Table, GroupUsers::UserId), sea_query::Order::Asc)
            .order_by((Groups::Table, Groups::NameKey), sea_query::Order::Asc)
            .to_owned();
        self.all(&stmt, |r| Ok((r.uuid("user_id")?, r.uuid("id")?, r.text("name")?))).await
    }

    /// The direct members of each of `groups` (users first, then groups), as (group, member) pairs.
    pub(crate) async fn members_of(&self, tenant: Uuid, groups: &[Uuid]) -> StoreResult<Vec<(Uuid, MemberRef)>> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let users = Query::select()
            .column((GroupUsers::Table, GroupUsers::GroupId))
            .column((GroupUsers::Table, GroupUsers::UserId))
            .from(GroupUsers::Table)
            .inner_join(
                Users::Table,
                Expr::col((Users::Table, Users::Id)).equals((GroupUsers::Table, GroupUsers::UserId)),
            )
            .and_where(Expr::col((GroupUsers::Table, GroupUsers::TenantId)).eq(tenant))
            .and_where(Expr::col((GroupUsers::Table, GroupUsers::GroupId)).is_in(groups.iter().copied()))
            .and_where(Expr::col((Users::Table, Users::DeletedAt)).is_null())
            .order_by((GroupUsers::Table, GroupUsers::GroupId), sea_query::Order::Asc)
            .order_by((GroupUsers::Table, GroupUsers::UserId), sea_query::Order::Asc)
            .to_owned();
        let user = |r: &crate::exec::Row| {
            Ok((r.uuid("group_id")?, MemberRef { kind: PrincipalKind::User, id: r.uuid("user_id")? }))
        };
        let mut out = self.all(&users, user).await?;
        let children = Query::select()
            .column((GroupGroups::Table, GroupGroups::ParentId))
            .column((GroupGroups::Table, GroupGroups::ChildId))
            .from(GroupGroups::Table)
            .inner_join(
                Groups::Table,
                Expr::col((Groups::Table, Groups::Id)).equals((GroupGroups::Table, GroupGroups::ChildId)),
            )
            .and_where(Expr::col((GroupGroups::Table, GroupGroups::TenantId)).eq(tenant))
            .and_where(Expr::col((GroupGroups::Table, GroupGroups::ParentId)).is_in(groups.iter().copied()))
            .and_where(Expr::col((Groups::Table, Groups::DeletedAt)).is_null())
            .order_by((GroupGroups::Table, GroupGroups::ParentId), sea_query::Order::Asc)
            .order_by((GroupGroups::Table, GroupGroups::ChildId), sea_query::Order::Asc)
            .to_owned();
        let group = |r: &crate::exec::Row| {
            Ok((r.uuid("parent_id")?, MemberRef { kind: PrincipalKind::Group, id: r.uuid("child_id")? }))
        };
        out.extend(self.all(&children, group).await?);
        Ok(out)
    }

    pub(crate) async fn devices_bound(&self, tenant: Uuid, users: &[Uuid]) -> StoreResult<Vec<(Uuid, Time)>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let stmt = Query::select()
            .column(DeviceCredentials::UserId)
            .expr_as(Expr::col(DeviceCredentials::CreatedAt).max(), Alias::new("bound_at"))
            .from(DeviceCredentials::Table)
            .and_where(Expr::col(DeviceCredentials::TenantId).eq(tenant))
            .and_where(Expr::col(DeviceCredentials::UserId).is_in(users.iter().copied()))
            .and_where(Expr::col(DeviceCredentials::RevokedAt).is_null())
            .group_by_col(DeviceCredentials::UserId)
            .to_owned();
        self.all(&stmt, |r| Ok((r.uuid("user_id")?, tables::time(r.i64("bound_at")?)?))).await
    }
}
