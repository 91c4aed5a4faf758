//! SQL of access policies and their assignment to users.

use crate::events::insert_event;
use crate::exec::Exec;
use crate::tables::{self, AccessPolicies, Groups, Tenants, Users};
use crate::{insert_row, next_numbers, rows_where, SqlStore};
use roster_core::access_policies::{AccessPolicy, DEFAULT_POLICY};
use roster_core::events::Event;
use roster_core::model::{Group, MemberRef, PrincipalKind, Time, User};
use roster_core::store::{StoreError, StoreResult};
use sea_query::{Expr, Query};
use uuid::Uuid;

fn networks(p: &AccessPolicy) -> StoreResult<String> {
    serde_json::to_string(&p.spec.allowed_networks).map_err(|e| StoreError::Backend(e.to_string()))
}

fn in_tenant(tenant: Uuid, id: Uuid) -> sea_query::SimpleExpr {
    Expr::col(AccessPolicies::TenantId).eq(tenant).and(Expr::col(AccessPolicies::Id).eq(id))
}

/// Inserts a policy with the tenant's next number; answers the number.
pub(crate) async fn insert_policy(x: &mut Exec<'_>, p: &AccessPolicy) -> StoreResult<i64> {
    let number = next_numbers(x, p.tenant_id, Tenants::PolicySeq, 1).await?;
    let stmt = insert_row(
        AccessPolicies::Table,
        [
            (AccessPolicies::Id, p.id.into()),
            (AccessPolicies::TenantId, p.tenant_id.into()),
            (AccessPolicies::Number, number.into()),
            (AccessPolicies::Name, p.spec.name.clone().into()),
            (AccessPolicies::NameKey, p.spec.name.to_lowercase().into()),
            (AccessPolicies::Description, p.spec.description.clone().into()),
            (AccessPolicies::AllowedNetworks, networks(p)?.into()),
            (AccessPolicies::IsDefault, p.default.into()),
            (AccessPolicies::CreatedAt, tables::millis(p.created).into()),
            (AccessPolicies::ModifiedAt, tables::millis(p.modified).into()),
        ],
    )?;
    x.execute(&stmt).await?;
    Ok(number)
}

/// The default policy a new tenant starts with.
pub(crate) fn default_policy(tenant: Uuid, at: Time) -> AccessPolicy {
    AccessPolicy {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        number: 1,
        spec: roster_core::access_policies::AccessPolicySpec {
            name: DEFAULT_POLICY.into(),
            description: Some("The policy of users assigned none".into()),
            allowed_networks: Vec::new(),
        },
        default: true,
        created: at,
        modified: at,
    }
}

impl SqlStore {
    /// The policies over a user: its own and those of its live groups, direct or not.
    pub(crate) async fn policies_over(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<AccessPolicy>> {
        let mut conn = self.read().await?;
        let mut x = conn.exec();
        let own = Query::select()
            .column(Users::AccessPolicyId)
            .from(Users::Table)
            .and_where(Expr::col(Users::TenantId).eq(tenant))
            .and_where(Expr::col(Users::Id).eq(user))
            .to_owned();
        let me = MemberRef { kind: PrincipalKind::User, id: user };
        let of_groups = Query::select()
            .column(Groups::AccessPolicyId)
            .from(Groups::Table)
            .and_where(Expr::col(Groups::TenantId).eq(tenant))
            .and_where(crate::query::in_live_groups_of(me, "id", x.backend()))
            .to_owned();
        let mut stmt = rows_where(
            AccessPolicies::Table,
            Expr::col(AccessPolicies::TenantId).eq(tenant).and(
                Expr::col(AccessPolicies::Id).in_subquery(own).or(Expr::col(AccessPolicies::Id).in_subquery(of_groups)),
            ),
        );
        stmt.order_by(AccessPolicies::Number, sea_query::Order::Asc);
        x.fetch_all(&stmt).await?.iter().map(tables::access_policy).collect()
    }

    pub(crate) async fn assign_group_policy(
        &self,
        tenant: Uuid,
        group: Uuid,
        policy: Option<Uuid>,
        event: &Event,
    ) -> StoreResult<Group> {
        let stmt = Query::update()
            .table(Groups::Table)
            .value(Groups::AccessPolicyId, policy)
            .and_where(Expr::col(Groups::TenantId).eq(tenant))
            .and_where(Expr::col(Groups::Id).eq(group))
            .returning_all()
            .to_owned();
        self.write_returning(&stmt, event, "group", tables::group).await
    }

    pub(crate) async fn policies_of(&self, tenant: Uuid) -> StoreResult<Vec<AccessPolicy>> {
        let mut stmt = rows_where(AccessPolicies::Table, Expr::col(AccessPolicies::TenantId).eq(tenant));
        stmt.order_by(AccessPolicies::Number, sea_query::Order::Asc);
        self.all(&stmt, tables::access_policy).await
    }

    pub(crate) async fn policy_by_id(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<AccessPolicy>> {
        self.one(&rows_where(AccessPolicies::Table, in_tenant(tenant, id)), tables::access_policy).await
    }

    pub(crate) async fn add_policy(&self, p: &AccessPolicy, event: &Event) -> StoreResult<AccessPolicy> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let number = insert_policy(&mut x, p).await?;
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(AccessPolicy { number, ..p.clone() })
    }

    pub(crate) async fn replace_policy(&self, p: &AccessPolicy, event: &Event) -> StoreResult<()> {
        let stmt = Query::update()
            .table(AccessPolicies::Table)
            .value(AccessPolicies::Name, p.spec.name.clone())
            .value(AccessPolicies::NameKey, p.spec.name.to_lowercase())
            .value(AccessPolicies::Description, p.spec.description.clone())
            .value(AccessPolicies::AllowedNetworks, networks(p)?)
            .value(AccessPolicies::ModifiedAt, tables::millis(p.modified))
            .and_where(in_tenant(p.tenant_id, p.id))
            .to_owned();
        self.write_with(&stmt, event, Some("access policy")).await.map(drop)
    }

    pub(crate) async fn remove_policy(&self, tenant: Uuid, id: Uuid, event: &Event) -> StoreResult<()> {
        let stmt = Query::delete()
            .from_table(AccessPolicies::Table)
            .and_where(in_tenant(tenant, id))
            .and_where(Expr::col(AccessPolicies::IsDefault).eq(false))
            .to_owned();
        self.write_with(&stmt, event, Some("access policy")).await.map(drop)
    }

    pub(crate) async fn assign_policy(
        &self,
        tenant: Uuid,
        user: Uuid,
        policy: Option<Uuid>,
        event: &Event,
    ) -> StoreResult<User> {
        let stmt = Query::update()
            .table(Users::Table)
            .value(Users::AccessPolicyId, policy)
            .and_where(Expr::col(Users::TenantId).eq(tenant))
            .and_where(Expr::col(Users::Id).eq(user))
            .returning_all()
            .to_owned();
        self.write_returning(&stmt, event, "user", tables::user).await
    }
}
