//! Roster's SQL store: one implementation of the core's storage port for SQLite (embedded, one
//! writer) and PostgreSQL (shared by many roster processes), with plain-SQL migrations per database.

mod access_policies;
mod claims;
mod connectors;
mod credentials;
mod events;
mod exec;
mod import;
mod mail;
mod organisation;
mod query;
mod sealing;
mod secrets;
mod tables;

use async_trait::async_trait;
use events::insert_event;
use exec::{db_error, Backend, Exec, Row};
use roster_core::access_policies::AccessPolicy;
use roster_core::connectors::{Connection, SyncPlan};
use roster_core::devices::{Challenge, DeviceCredential};
use roster_core::enrollment::{Dispatch, OneTimeToken, Redemption};
use roster_core::events::{Event, EventFilter, EventQuery, StoredEvent};
use roster_core::mail::{Attempt, MailTemplate, MessageKind, OutboxMessage};
use roster_core::model::{
    ApiKey, Depth, Group, GroupSpec, MemberRef, Principal, PrincipalKind, SignIn, Tenant, Time, User, UserSpec,
};
use roster_core::page::{ListQuery, Rows};
use roster_core::schema::Resource;
use roster_core::secrets::Secret;
use roster_core::store::{
    Departure, ExpectedVersion, FirstPassword, FirstSecret, Guard, ImportBatch, LogonFailures, NewInvitation,
    PolicyKind, PoolStats, SealedKind, SealedValue, Store, StoreError, StoreResult, UserWrite,
};
use roster_core::token::{KeySession, Refresh, Session, SigningKey};
use roster_core::workstations::Smartcard;
use sea_query::{Expr, OnConflict, Query, SelectStatement};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;
use tables::{
    ApiKeySessions, ApiKeys, ClientSecrets, GroupGroups, GroupUsers, Groups, LogonFailures as LogonFailuresT,
    OneTimeTokens, Outbox, RoleAssignments, Sessions, SigningKeys, Tenants, UserPasswords, Users,
};
use uuid::Uuid;

/// How the store connects.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://...`.
    pub url: String,
    /// Connections to PostgreSQL, or SQLite readers (SQLite always has one writer).
    pub max_connections: u32,
}

enum Db {
    Sqlite { writer: SqlitePool, reader: SqlitePool },
    Postgres(PgPool),
}

/// The store. Cheap to share: it holds connection pools.
pub struct SqlStore {
    db: Db,
}

enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Conn {
    fn exec(&mut self) -> Exec<'_> {
        match self {
            Conn::Sqlite(c) => Exec::Sqlite(c),
            Conn::Postgres(c) => Exec::Postgres(c),
        }
    }
}

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    fn exec(&mut self) -> Exec<'_> {
        match self {
            Tx::Sqlite(t) => Exec::Sqlite(t),
            Tx::Postgres(t) => Exec::Postgres(t),
        }
    }

    async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
        .map_err(db_error)
    }
}

/// Below this many holders of a searched claims value, user listings start from the claims index.
const CLAIMS_DRIVE_BELOW: u64 = 2000;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl SqlStore {
    /// Connects (creating a SQLite file when missing) without migrating.
    pub async fn connect(config: &StoreConfig) -> StoreResult<SqlStore> {
        let url = config.url.as_str();
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts =
                PgConnectOptions::from_str(url).map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(config.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(db_error)?;
            Db::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Backend(format!("bad SQLite URL: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // LIKE compares case-sensitively, as it does on PostgreSQL.
                .pragma("case_sensitive_like", "ON")
                // REGEXP: comparisons that ignore case beyond ASCII (see `query::caseless`).
                .with_regexp();
            // One writer: SQLite serialises writes anyway, and one connection makes transactions
            // that read then write (cycle checks, counters) safe without upgrade conflicts.
            let writer =
                SqlitePoolOptions::new().max_connections(1).connect_with(opts.clone()).await.map_err(db_error)?;
            let reader = SqlitePoolOptions::new()
                .max_connections(config.max_connections.max(1))
                .connect_with(opts.read_only(true))
                .await
                .map_err(db_error)?;
            Db::Sqlite { writer, reader }
        } else {
            return Err(StoreError::Backend("the database URL must start with sqlite: or postgres://".into()));
        };
        Ok(SqlStore { db })
    }

    /// Applies pending migrations (several processes may race here: PostgreSQL migrations take a lock).
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.db {
            Db::Sqlite { writer, .. } => SQLITE_MIGRATIONS.run(writer).await,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        let mut tx = self.begin().await?;
        claims::run_pending(&mut tx.exec()).await?;
        tx.commit().await
    }

    pub fn backend_kind(&self) -> Backend {
        match self.db {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Tables and their columns, sorted: a test compares the two databases' schemas with it.
    pub async fn schema_columns(&self) -> StoreResult<Vec<(String, String)>> {
        let mut out: Vec<(String, String)> = match &self.db {
            Db::Sqlite { reader, .. } => sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
                 AND m.name NOT LIKE '%\\_fts%' ESCAPE '\\'",
            )
            .fetch_all(reader)
            .await
            .map_err(db_error)?,
            Db::Postgres(pool) => sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
            )
            .fetch_all(pool)
            .await
            .map_err(db_error)?,
        };
        out.sort();
        Ok(out)
    }

    async fn read(&self) -> StoreResult<Conn> {
        Ok(match &self.db {
            Db::Sqlite { reader, .. } => Conn::Sqlite(reader.acquire().await.map_err(db_error)?),
            Db::Postgres(pool) => Conn::Postgres(pool.acquire().await.map_err(db_error)?),
        })
    }

    /// Runs one writing statement in a transaction of its own; answers the rows it touched.
    async fn write(&self, stmt: &impl exec::Statement) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = tx.exec().execute(stmt).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Runs one writing statement and records its event, in one transaction. With `what`, a
    /// statement that touches no row is NotFound(what), and neither is written.
    /// Runs a write that returns the row it changed, with its event, in one transaction;
    /// NotFound(what) when it changed none.
    async fn write_returning<T>(
        &self,
        stmt: &impl exec::Statement,
        event: &Event,
        what: &'static str,
        map: fn(&Row) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let row = x.fetch_optional(stmt).await?.ok_or(StoreError::NotFound(what))?;
        let out = map(&row)?;
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn write_with(
        &self,
        stmt: &impl exec::Statement,
        event: &Event,
        what: Option<&'static str>,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let n = x.execute(stmt).await?;
        if let (0, Some(what)) = (n, what) {
            return Err(StoreError::NotFound(what));
        }
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn begin(&self) -> StoreResult<Tx> {
        Ok(match &self.db {
            Db::Sqlite { writer, .. } => Tx::Sqlite(writer.begin().await.map_err(db_error)?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await.map_err(db_error)?),
        })
    }

    async fn one<T>(&self, stmt: &SelectStatement, map: fn(&Row) -> StoreResult<T>) -> StoreResult<Option<T>> {
        let mut conn = self.read().await?;
        conn.exec().fetch_optional(stmt).await?.as_ref().map(map).transpose()
    }

    async fn all<T>(&self, stmt: &SelectStatement, map: fn(&Row) -> StoreResult<T>) -> StoreResult<Vec<T>> {
        let mut conn = self.read().await?;
        conn.exec().fetch_all(stmt).await?.iter().map(map).collect()
    }

    /// Whether a user listing is best found through the claims index: its filter needs a claims
    /// value that fewer than [`CLAIMS_DRIVE_BELOW`] users hold. (Walking the users in sort order
    /// costs about `limit × users / holders` rows; starting from the index, `holders`.)
    async fn few_hold_claims(&self, tenant: Uuid, q: &ListQuery) -> StoreResult<bool> {
        let Some(f) = &q.filter else { return Ok(false) };
        let keys = query::required_claim_keys(f);
        let mut conn = self.read().await?;
        let mut x = conn.exec();
        for key in keys {
            let row = x.fetch_optional(&query::claim_holders(tenant, key, CLAIMS_DRIVE_BELOW)).await?;
            if row.map(|r| r.i64("n")).transpose()?.unwrap_or(0) < CLAIMS_DRIVE_BELOW as i64 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn rows<T>(
        &self,
        tenant: Uuid,
        resource: Resource,
        base: SelectStatement,
        query: &ListQuery,
        map: fn(&Row) -> StoreResult<T>,
    ) -> StoreResult<Rows<T>> {
        let mut conn = self.read().await?;
        let mut x = conn.exec();
        let backend = x.backend();
        let total = if query.count {
            let row = x.fetch_optional(&query::count(base.clone(), resource, query, backend, tenant)).await?;
            Some(row.map(|r| r.i64("n")).transpose()?.unwrap_or(0).max(0) as u64)
        } else {
            None
        };
        let items = x
            .fetch_all(&query::page(base, resource, query, backend, tenant))
            .await?
            .iter()
            .map(map)
            .collect::<StoreResult<_>>()?;
        Ok(Rows { items, total })
    }
}

/// Inserts a user row with its (id, number); answers the row.
pub(crate) async fn insert_user_row(
    x: &mut Exec<'_>,
    tenant: Uuid,
    (id, number): (Uuid, i64),
    spec: &UserSpec,
    at: Time,
    invitation_expires: Option<Time>,
) -> StoreResult<Row> {
    let mut row = new_user_values(tenant, (id, number), spec, at);
    if let Some(t) = invitation_expires {
        row.push((Users::InvitationExpiresAt, tables::millis(t).into()));
    }
    let stmt = insert_row(Users::Table, row)?.returning_all().to_owned();
    let row = x.fetch_optional(&stmt).await?.ok_or(StoreError::NotFound("user"))?;
    claims::index(x, tenant, id, &spec.claims).await?;
    Ok(row)
}

/// The columns of a new user's row and their values (a single insert's, or an import's).
pub(crate) fn new_user_values(
    tenant: Uuid,
    (id, number): (Uuid, i64),
    spec: &UserSpec,
    at: Time,
) -> Vec<(Users, sea_query::SimpleExpr)> {
    let mut row: Vec<(Users, sea_query::SimpleExpr)> = vec![
        (Users::Id, id.into()),
        (Users::TenantId, tenant.into()),
        (Users::Number, number.into()),
        (Users::CreatedAt, tables::millis(at).into()),
        (Users::ModifiedAt, tables::millis(at).into()),
        (Users::Version, 1i64.into()),
    ];
    row.extend(user_values(spec));
    row.extend(lifecycle_values(spec, at, false));
    row
}

/// The columns of a new group's row and their values.
pub(crate) fn new_group_values(
    tenant: Uuid,
    (id, number): (Uuid, i64),
    spec: &GroupSpec,
    system: bool,
    at: Time,
) -> Vec<(Groups, sea_query::SimpleExpr)> {
    let mut row: Vec<(Groups, sea_query::SimpleExpr)> = vec![
        (Groups::Id, id.into()),
        (Groups::TenantId, tenant.into()),
        (Groups::Number, number.into()),
        (Groups::System, system.into()),
        (Groups::CreatedAt, tables::millis(at).into()),
        (Groups::ModifiedAt, tables::millis(at).into()),
        (Groups::Version, 1i64.into()),
    ];
    row.extend(group_values(spec));
    row
}

/// Takes the next per-tenant number for users or groups. The row lock this update takes also
/// serialises concurrent inserts of one tenant on PostgreSQL.
async fn next_number(x: &mut Exec<'_>, tenant: Uuid, seq: Tenants) -> StoreResult<i64> {
    next_numbers(x, tenant, seq, 1).await
}

/// Takes `n` per-tenant numbers at once; answers the last (they are `last - n + 1 ..= last`).
pub(crate) async fn next_numbers(x: &mut Exec<'_>, tenant: Uuid, seq: Tenants, n: i64) -> StoreResult<i64> {
    let stmt = Query::update()
        .table(Tenants::Table)
        .value(seq, Expr::col(seq).add(n))
        .and_where(Expr::col(Tenants::Id).eq(tenant))
        .returning(Query::returning().column(seq))
        .to_owned();
    let row = x.fetch_optional(&stmt).await?.ok_or(StoreError::NotFound("tenant"))?;
    row.i64(&sea_query::Iden::to_string(&seq))
}

fn user_values(spec: &UserSpec) -> Vec<(Users, sea_query::SimpleExpr)> {
    let claims: sea_query::Value = spec.claims.clone().into();
    let federated = spec.federated_identity.as_ref();
    vec![
        (Users::ExternalId, spec.external_id.clone().into()),
        (Users::UserName, spec.user_name.clone().into()),
        (Users::UserNameKey, roster_core::names::login_key(&spec.user_name).into()),
        (Users::DisplayName, spec.display_name.clone().into()),
        (Users::GivenName, spec.given_name.clone().into()),
        (Users::FamilyName, spec.family_name.clone().into()),
        (Users::Email, spec.email.clone().into()),
        (Users::EmailKey, spec.email.as_deref().map(str::to_lowercase).into()),
        (Users::EmailVerified, spec.email_verified.into()),
        (Users::Kind, spec.kind.as_str().into()),
        (Users::Status, spec.status.as_str().into()),
        (Users::InactiveReason, spec.inactive_reason.map(|r| r.as_str()).into()),
        (Users::Claims, Expr::val(claims).into()),
        (Users::UnixUserName, spec.unix_user_name.clone().into()),
        (Users::UnixHomeDirectory, spec.unix_home_directory.clone().into()),
        (Users::UserPrincipalName, spec.user_principal_name.clone().into()),
        (Users::DomainName, spec.domain_name.clone().into()),
        (Users::DistinguishedName, spec.distinguished_name.clone().into()),
        (Users::Guest, spec.guest.into()),
        (Users::DirectoryId, spec.directory_id.into()),
        (Users::FederatedProviderId, federated.map(|f| f.provider_id.clone()).into()),
        (Users::FederatedUrl, federated.and_then(|f| f.url.clone()).into()),
        (Users::FederatedSubjectId, federated.map(|f| f.subject_id.clone()).into()),
    ]
}

/// When the user first became active and when its email was confirmed: stamped at the first
/// write that makes it so (`update`: keeping an earlier stamp), and the confirmation cleared
/// when the email is no longer verified.
pub(crate) fn lifecycle_values(spec: &UserSpec, at: Time, update: bool) -> [(Users, sea_query::SimpleExpr); 2] {
    let at = tables::millis(at);
    // `keep_when_false`: an earlier stamp outlives the state (a user once active stays "activated").
    let stamp = |col: Users, now: bool, keep_when_false: bool| -> sea_query::SimpleExpr {
        match (now, update) {
            (false, true) if keep_when_false => Expr::col(col).into(),
            (false, _) => Expr::value(None::<i64>),
            (true, true) => sea_query::Func::coalesce([Expr::col(col).into(), Expr::val(at).into()]).into(),
            (true, false) => Expr::val(at).into(),
        }
    };
    [
        (Users::ActivatedAt, stamp(Users::ActivatedAt, spec.status == roster_core::model::UserStatus::Active, true)),
        (Users::EmailConfirmedAt, stamp(Users::EmailConfirmedAt, spec.email_verified, false)),
    ]
}

fn group_values(spec: &GroupSpec) -> Vec<(Groups, sea_query::SimpleExpr)> {
    vec![
        (Groups::Name, spec.name.clone().into()),
        (Groups::NameKey, spec.name.to_lowercase().into()),
        (Groups::ExternalId, spec.external_id.clone().into()),
        (Groups::DisplayName, spec.display_name.clone().into()),
        (Groups::Description, spec.description.clone().into()),
    ]
}

fn policy_column(kind: PolicyKind) -> Tenants {
    match kind {
        PolicyKind::Password => Tenants::PasswordPolicy,
        PolicyKind::Lockout => Tenants::LockoutPolicy,
    }
}

/// The (user_id, group_id) values of a role assignment to a principal.
fn principal_columns(p: MemberRef) -> (Option<Uuid>, Option<Uuid>) {
    match p.kind {
        PrincipalKind::User => (Some(p.id), None),
        PrincipalKind::Group => (None, Some(p.id)),
    }
}

/// The role assignments made to a principal itself.
fn assignee(p: MemberRef) -> sea_query::SimpleExpr {
    match p.kind {
        PrincipalKind::User => Expr::col(RoleAssignments::UserId).eq(p.id),
        PrincipalKind::Group => Expr::col(RoleAssignments::GroupId).eq(p.id),
    }
}

/// An INSERT of one row, each value given next to its column.
fn insert_row<C: sea_query::Iden + 'static>(
    table: C,
    row: impl IntoIterator<Item = (C, sea_query::SimpleExpr)>,
) -> StoreResult<sea_query::InsertStatement> {
    let (columns, values): (Vec<C>, Vec<sea_query::SimpleExpr>) = row.into_iter().unzip();
    let mut stmt = Query::insert();
    stmt.into_table(table).columns(columns).values(values).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(stmt)
}

/// Distinguishes "no such row" from "another version" after a guarded write touched nothing.
async fn missing_or_stale(x: &mut Exec<'_>, table: SelectStatement, what: &'static str) -> StoreError {
    match x.fetch_optional(&table).await {
        Ok(Some(_)) => StoreError::VersionMismatch,
        Ok(None) => StoreError::NotFound(what),
        Err(e) => e,
    }
}

/// Revokes the tenant's live sessions that `which` selects.
fn revoke_sessions(tenant: Uuid, which: sea_query::SimpleExpr, at: Time) -> sea_query::UpdateStatement {
    Query::update()
        .table(Sessions::Table)
        .value(Sessions::RevokedAt, tables::millis(at))
        .and_where(Expr::col(Sessions::TenantId).eq(tenant))
        .and_where(which)
        .and_where(Expr::col(Sessions::RevokedAt).is_null())
        .to_owned()
}

/// The row of a user's client secret (its digest).
fn client_secret_row(tenant: Uuid, user: Uuid, hash: &[u8; 32], at: Time) -> StoreResult<sea_query::InsertStatement> {
    insert_row(
        ClientSecrets::Table,
        [
            (ClientSecrets::UserId, user.into()),
            (ClientSecrets::TenantId, tenant.into()),
            (ClientSecrets::Hash, hash.to_vec().into()),
            (ClientSecrets::CreatedAt, tables::millis(at).into()),
        ],
    )
}

/// Every column of the rows of `table` that `cond` selects.
fn rows_where(table: impl sea_query::IntoTableRef, cond: sea_query::SimpleExpr) -> SelectStatement {
    Query::select().column(sea_query::Asterisk).from(table).and_where(cond).to_owned()
}

fn by_id(mut select: SelectStatement, id: Uuid) -> SelectStatement {
    select.and_where(Expr::col(sea_query::Alias::new("id")).eq(id));
    select
}

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.read().await?;
        conn.exec().raw("SELECT 1").await
    }

    fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite { .. } => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    fn pool_stats(&self) -> PoolStats {
        let (size, idle) = match &self.db {
            Db::Sqlite { writer, reader } => (writer.size() + reader.size(), writer.num_idle() + reader.num_idle()),
            Db::Postgres(pool) => (pool.size(), pool.num_idle()),
        };
        PoolStats { size, idle: u32::try_from(idle).unwrap_or(u32::MAX) }
    }

    async fn insert_tenant(&self, tenant: &Tenant, event: &Event) -> StoreResult<()> {
        let stmt = insert_row(
            Tenants::Table,
            [
                (Tenants::Id, tenant.id.into()),
                (Tenants::Name, tenant.name.clone().into()),
                (Tenants::CreatedAt, tables::millis(tenant.created).into()),
            ],
        )?;
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        x.execute(&stmt).await?;
        access_policies::insert_policy(&mut x, &access_policies::default_policy(tenant.id, tenant.created)).await?;
        insert_event(&mut x, event).await?;
        tx.commit().await
    }

    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>> {
        let stmt = rows_where(Tenants::Table, Expr::col(Tenants::Name).eq(name));
        self.one(&stmt, tables::tenant).await
    }

    async fn tenant_by_id(&self, id: Uuid) -> StoreResult<Option<Tenant>> {
        let stmt = rows_where(Tenants::Table, Expr::col(Tenants::Id).eq(id));
        self.one(&stmt, tables::tenant).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        let stmt = Query::select()
            .column(sea_query::Asterisk)
            .from(SigningKeys::Table)
            .order_by(SigningKeys::CreatedAt, sea_query::Order::Desc)
            .order_by(SigningKeys::Kid, sea_query::Order::Desc)
            .to_owned();
        self.all(&stmt, tables::signing_key).await
    }

    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        let stmt = insert_row(
            SigningKeys::Table,
            [
                (SigningKeys::Kid, key.kid.clone().into()),
                (SigningKeys::Algorithm, key.algorithm.clone().into()),
                (SigningKeys::PrivateKey, key.private_key.clone().into()),
                (SigningKeys::PublicJwk, key.public_jwk.to_string().into()),
                (SigningKeys::CreatedAt, tables::millis(key.created).into()),
            ],
        )?;
        self.write(&stmt).await.map(|_| ())
    }

    async fn reseal_signing_key(&self, kid: &str, private_key: &[u8]) -> StoreResult<()> {
        let stmt = Query::update()
            .table(SigningKeys::Table)
            .value(SigningKeys::PrivateKey, private_key.to_vec())
            .and_where(Expr::col(SigningKeys::Kid).eq(kid))
            .to_owned();
        self.write(&stmt).await.map(drop)
    }

    async fn sealed_values(&self, kind: SealedKind) -> StoreResult<Vec<SealedValue>> {
        sealing::values(self, kind).await
    }

    async fn replace_sealed(&self, value: &SealedValue, new: &[u8]) -> StoreResult<bool> {
        sealing::replace(self, value, new).await
    }

    async fn retire_signing_keys(&self, keep: &str, at: Time) -> StoreResult<u64> {
        let stmt = Query::update()
            .table(SigningKeys::Table)
            .value(SigningKeys::RetiredAt, tables::millis(at))
            .and_where(Expr::col(SigningKeys::Kid).ne(keep))
            .and_where(Expr::col(SigningKeys::RetiredAt).is_null())
            .to_owned();
        self.write(&stmt).await
    }

    async fn delete_signing_keys(&self, before: Time) -> StoreResult<u64> {
        let stmt = Query::delete()
            .from_table(SigningKeys::Table)
            .and_where(Expr::col(SigningKeys::RetiredAt).lt(tables::millis(before)))
            .to_owned();
        self.write(&stmt).await
    }

    async fn user_by_login(&self, tenant: Uuid, login: &str) -> StoreResult<Option<User>> {
        let mut stmt = query::users(tenant);
        stmt.and_where(Expr::col(Users::UserNameKey).eq(login).or(Expr::col(Users::EmailKey).eq(login)))
            .order_by(Users::Id, sea_query::Order::Asc)
            .limit(1);
        self.one(&stmt, tables::user).await
    }

    async fn insert_session(
        &self,
        s: &Session,
        refresh_hash: &[u8; 32],
        sign_in: Option<&SignIn>,
        event: &Event,
    ) -> StoreResult<()> {
        let stmt = insert_row(
            Sessions::Table,
            [
                (Sessions::Id, s.id.into()),
                (Sessions::TenantId, s.tenant_id.into()),
                (Sessions::UserId, s.user_id.into()),
                (Sessions::RefreshHash, refresh_hash.to_vec().into()),
                (Sessions::CreatedAt, tables::millis(s.created).into()),
                (Sessions::RefreshedAt, tables::millis(s.refreshed).into()),
                (Sessions::ExpiresAt, tables::millis(s.expires).into()),
                (Sessions::ActorKind, s.actor.map(|a| a.kind.as_str()).into()),
                (Sessions::ActorId, s.actor.map(|a| a.id).into()),
            ],
        )?;
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        x.execute(&stmt).await?;
        if let Some(sign_in) = sign_in {
            // Not a change to the user: its version and modification time stay.
            let noted = Query::update()
                .table(Users::Table)
                .value(Users::LastSignInAt, tables::millis(sign_in.at))
                .value(Users::LastSignInMethod, sign_in.method.as_str())
                .value(Users::LastSignInSource, sign_in.source.as_deref())
                .and_where(Expr::col(Users::TenantId).eq(s.tenant_id))
                .and_where(Expr::col(Users::Id).eq(s.user_id))
                .to_owned();
            x.execute(&noted).await?;
        }
        insert_event(&mut x, event).await?;
        tx.commit().await
    }

    async fn session_by_refresh(&self, hash: &[u8; 32]) -> StoreResult<Option<Session>> {
        let h = hash.to_vec();
        let stmt = rows_where(
            Sessions::Table,
            Expr::col(Sessions::RefreshHash).eq(h.clone()).or(Expr::col(Sessions::PreviousRefreshHash).eq(h)),
        );
        self.one(&stmt, tables::session).await
    }

    async fn session(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<Session>> {
        let stmt =
            rows_where(Sessions::Table, Expr::col(Sessions::TenantId).eq(tenant).and(Expr::col(Sessions::Id).eq(id)));
        self.one(&stmt, tables::session).await
    }

    async fn rotate_refresh(
        &self,
        old: &[u8; 32],
        new: &[u8; 32],
        at: Time,
        expires: Time,
        event: &Event,
    ) -> StoreResult<Refresh> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let rotate = Query::update()
            .table(Sessions::Table)
            .value(Sessions::PreviousRefreshHash, old.to_vec())
            .value(Sessions::RefreshHash, new.to_vec())
            .value(Sessions::RefreshedAt, tables::millis(at))
            .value(Sessions::ExpiresAt, tables::millis(expires))
            .and_where(Expr::col(Sessions::RefreshHash).eq(old.to_vec()))
            .and_where(Expr::col(Sessions::RevokedAt).is_null())
            .and_where(Expr::col(Sessions::ExpiresAt).gt(tables::millis(at)))
            .returning_all()
            .to_owned();
        if let Some(row) = x.fetch_optional(&rotate).await? {
            let session = tables::session(&row)?;
            insert_event(&mut x, event).await?;
            tx.commit().await?;
            return Ok(Refresh::Rotated(session));
        }
        // A replaced token presented again: revoke the session it belonged to.
        let revoke = Query::update()
            .table(Sessions::Table)
            .value(Sessions::RevokedAt, tables::millis(at))
            .and_where(Expr::col(Sessions::PreviousRefreshHash).eq(old.to_vec()))
            .and_where(Expr::col(Sessions::RevokedAt).is_null())
            .to_owned();
        let reused = x.execute(&revoke).await? > 0;
        tx.commit().await?;
        Ok(if reused { Refresh::Reused } else { Refresh::Unknown })
    }

    async fn revoke_session(&self, tenant: Uuid, id: Uuid, at: Time, event: &Event) -> StoreResult<()> {
        let stmt = revoke_sessions(tenant, Expr::col(Sessions::Id).eq(id), at);
        self.write_with(&stmt, event, None).await.map(drop)
    }

    async fn revoke_user_sessions(&self, tenant: Uuid, user: Uuid, at: Time) -> StoreResult<()> {
        self.write(&revoke_sessions(tenant, Expr::col(Sessions::UserId).eq(user), at)).await.map(drop)
    }

    async fn insert_key_session(&self, s: &KeySession, token_hash: &[u8; 32], event: &Event) -> StoreResult<()> {
        let stmt = insert_row(
            ApiKeySessions::Table,
            [
                (ApiKeySessions::Id, s.id.into()),
                (ApiKeySessions::TenantId, s.tenant_id.into()),
                (ApiKeySessions::ApiKeyId, s.api_key_id.into()),
                (ApiKeySessions::TokenHash, token_hash.to_vec().into()),
                (ApiKeySessions::CreatedAt, tables::millis(s.created).into()),
                (ApiKeySessions::ExpiresAt, tables::millis(s.expires).into()),
            ],
        )?;
        self.write_with(&stmt, event, None).await.map(drop)
    }

    async fn key_session_by_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<KeySession>> {
        let stmt = rows_where(ApiKeySessions::Table, Expr::col(ApiKeySessions::TokenHash).eq(hash.to_vec()));
        self.one(&stmt, tables::key_session).await
    }

    async fn revoke_key_session(&self, tenant: Uuid, id: Uuid, at: Time, event: &Event) -> StoreResult<()> {
        let stmt = Query::update()
            .table(ApiKeySessions::Table)
            .value(ApiKeySessions::RevokedAt, tables::millis(at))
            .and_where(Expr::col(ApiKeySessions::TenantId).eq(tenant))
            .and_where(Expr::col(ApiKeySessions::Id).eq(id))
            .and_where(Expr::col(ApiKeySessions::RevokedAt).is_null())
            .to_owned();
        self.write_with(&stmt, event, None).await.map(drop)
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        let stmt = Query::select()
            .column(sea_query::Asterisk)
            .from(Tenants::Table)
            .order_by(Tenants::Name, sea_query::Order::Asc)
            .to_owned();
        self.all(&stmt, tables::tenant).await
    }

    async fn insert_api_key(&self, key: &ApiKey, event: &Event) -> StoreResult<()> {
        let stmt = insert_row(
            ApiKeys::Table,
            [
                (ApiKeys::Id, key.id.into()),
                (ApiKeys::TenantId, key.tenant_id.into()),
                (ApiKeys::Name, key.name.clone().into()),
                (ApiKeys::Role, key.role.clone().into()),
                (ApiKeys::Hash, key.hash.to_vec().into()),
                (ApiKeys::CreatedAt, tables::millis(key.created).into()),
                (ApiKeys::ExpiresAt, key.expires.map(tables::millis).into()),
            ],
        )?;
        self.write_with(&stmt, event, None).await.map(drop)
    }

    async fn api_key_by_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<ApiKey>> {
        let stmt = rows_where(ApiKeys::Table, Expr::col(ApiKeys::Hash).eq(hash.to_vec()));
        self.one(&stmt, tables::api_key).await
    }

    async fn api_key(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<ApiKey>> {
        let stmt =
            rows_where(ApiKeys::Table, Expr::col(ApiKeys::TenantId).eq(tenant).and(Expr::col(ApiKeys::Id).eq(id)));
        self.one(&stmt, tables::api_key).await
    }

    async fn list_api_keys(&self, tenant: Uuid) -> StoreResult<Vec<ApiKey>> {
        let stmt = Query::select()
            .column(sea_query::Asterisk)
            .from(ApiKeys::Table)
            .and_where(Expr::col(ApiKeys::TenantId).eq(tenant))
            .order_by(ApiKeys::Id, sea_query::Order::Asc)
            .to_owned();
        self.all(&stmt, tables::api_key).await
    }

    async fn revoke_api_key(&self, tenant: Uuid, id: Uuid, at: Time, event: &Event) -> StoreResult<()> {
        let stmt = Query::update()
            .table(ApiKeys::Table)
            .value(ApiKeys::RevokedAt, tables::millis(at))
            .and_where(Expr::col(ApiKeys::TenantId).eq(tenant))
            .and_where(Expr::col(ApiKeys::Id).eq(id))
            .and_where(Expr::col(ApiKeys::RevokedAt).is_null())
            .to_owned();
        self.write_with(&stmt, event, Some("api key")).await.map(drop)
    }

    async fn touch_api_key(&self, id: Uuid, at: Time) -> StoreResult<()> {
        let stmt = Query::update()
            .table(ApiKeys::Table)
            .value(ApiKeys::LastUsedAt, tables::millis(at))
            .and_where(Expr::col(ApiKeys::Id).eq(id))
            .to_owned();
        self.write(&stmt).await.map(|_| ())
    }

    async fn policy(&self, tenant: Uuid, kind: PolicyKind) -> StoreResult<Option<serde_json::Value>> {
        let col = policy_column(kind);
        let stmt =
            Query::select().column(col).from(Tenants::Table).and_where(Expr::col(Tenants::Id).eq(tenant)).to_owned();
        let mut conn = self.read().await?;
        let Some(row) = conn.exec().fetch_optional(&stmt).await? else { return Err(StoreError::NotFound("tenant")) };
        row.opt_text(&sea_query::Iden::to_string(&col))?
            .map(|json| serde_json::from_str(&json).map_err(|e| StoreError::Backend(format!("stored policy: {e}"))))
            .transpose()
    }

    async fn set_policy(
        &self,
        tenant: Uuid,
        kind: PolicyKind,
        policy: &serde_json::Value,
        event: &Event,
    ) -> StoreResult<()> {
        let stmt = Query::update()
            .table(Tenants::Table)
            .value(policy_column(kind), policy.to_string())
            .and_where(Expr::col(Tenants::Id).eq(tenant))
            .to_owned();
        self.write_with(&stmt, event, Some("tenant")).await.map(drop)
    }

    async fn record_logon_failure(
        &self,
        tenant: Uuid,
        user: Uuid,
        at: Time,
        window_start: Time,
        event: &Event,
    ) -> StoreResult<LogonFailures> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let bump = Query::update()
            .table(Users::Table)
            .value(Users::FailedLogons, Expr::col(Users::FailedLogons).add(1))
            .and_where(Expr::col(Users::TenantId).eq(tenant))
            .and_where(Expr::col(Users::Id).eq(user))
            .returning(Query::returning().column(Users::FailedLogons))
            .to_owned();
        let total = x.fetch_optional(&bump).await?.ok_or(StoreError::NotFound("user"))?.i64("failed_logons")?;
        // Failures older than the window count for nothing any more.
        let forget = Query::delete()
            .from_table(LogonFailuresT::Table)
            .and_where(Expr::col(LogonFailuresT::UserId).eq(user))
            .and_where(Expr::col(LogonFailuresT::At).lt(tables::millis(window_start)))
            .to_owned();
        x.execute(&forget).await?;
        let insert = insert_row(
            LogonFailuresT::Table,
            [
                (LogonFailuresT::TenantId, tenant.into()),
                (LogonFailuresT::UserId, user.into()),
                (LogonFailuresT::At, tables::millis(at).into()),
            ],
        )?;
        x.execute(&insert).await?;
        let count = Query::select()
            .expr_as(Expr::col(LogonFailuresT::At).count(), sea_query::Alias::new("n"))
            .from(LogonFailuresT::Table)
            .and_where(Expr::col(LogonFailuresT::UserId).eq(user))
            .to_owned();
        let recent = x.fetch_optional(&count).await?.map(|r| r.i64("n")).transpose()?.unwrap_or(0);
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(LogonFailures { recent: u32::try_from(recent).unwrap_or(u32::MAX), total })
    }

    async fn lock_user(&self, tenant: Uuid, user: Uuid, until: Time, event: &Event) -> StoreResult<()> {
        self.set_lock(tenant, user, Some(until), Some(event)).await
    }

    async fn clear_logon_failures(&self, tenant: Uuid, user: Uuid, event: Option<&Event>) -> StoreResult<()> {
        self.set_lock(tenant, user, None, event).await
    }

    async fn assign_role(&self, tenant: Uuid, to: MemberRef, role: &str, at: Time, event: &Event) -> StoreResult<bool> {
        let (user, group) = principal_columns(to);
        let stmt = insert_row(
            RoleAssignments::Table,
            [
                (RoleAssignments::TenantId, tenant.into()),
                (RoleAssignments::UserId, user.into()),
                (RoleAssignments::GroupId, group.into()),
                (RoleAssignments::Role, role.into()),
                (RoleAssignments::CreatedAt, tables::millis(at).into()),
            ],
        )?
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .to_owned();
        Ok(self.write_with(&stmt, event, None).await? > 0)
    }

    async fn unassign_role(
        &self,
        tenant: Uuid,
        from: MemberRef,
        role: &str,
        event: &Event,
        keep_holder: Option<&'static str>,
    ) -> StoreResult<()> {
        let stmt = Query::delete()
            .from_table(RoleAssignments::Table)
            .and_where(Expr::col(RoleAssignments::TenantId).eq(tenant))
            .and_where(assignee(from))
            .and_where(Expr::col(RoleAssignments::Role).eq(role))
            .to_owned();
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let keep_holder = organisation::holder_guard(&mut x, tenant, keep_holder).await?;
        if x.execute(&stmt).await? == 0 {
            return Err(StoreError::NotFound("role assignment"));
        }
        organisation::ensure_holder(&mut x, tenant, keep_holder).await?;
        insert_event(&mut x, event).await?;
        tx.commit().await
    }

    async fn roles(&self, tenant: Uuid, of: MemberRef, depth: Depth) -> StoreResult<Vec<String>> {
        let mut conn = self.read().await?;
        let mut x = conn.exec();
        let mut whose = assignee(of);
        if depth == Depth::Indirect {
            whose = whose.or(query::in_live_groups_of(of, "group_id", x.backend()));
        }
        let stmt = Query::select()
            .distinct()
            .column(RoleAssignments::Role)
            .from(RoleAssignments::Table)
            .and_where(Expr::col(RoleAssignments::TenantId).eq(tenant))
            .and_where(whose)
            .order_by(RoleAssignments::Role, sea_query::Order::Asc)
            .to_owned();
        x.fetch_all(&stmt).await?.iter().map(|r| r.text("role")).collect()
    }

    async fn set_client_secret(
        &self,
        tenant: Uuid,
        user: Uuid,
        hash: &[u8; 32],
        at: Time,
        event: &Event,
    ) -> StoreResult<()> {
        let stmt = client_secret_row(tenant, user, hash, at)?
            .on_conflict(
                OnConflict::column(ClientSecrets::UserId)
                    .update_columns([ClientSecrets::Hash, ClientSecrets::CreatedAt])
                    .to_owned(),
            )
            .to_owned();
        self.write_with(&stmt, event, None).await.map(drop)
    }

    async fn client_secret(&self, client: Uuid) -> StoreResult<Option<(Uuid, [u8; 32])>> {
        let stmt = rows_where(ClientSecrets::Table, Expr::col(ClientSecrets::UserId).eq(client));
        self.one(&stmt, |r| Ok((r.uuid("tenant_id")?, tables::digest(r, "hash")?))).await
    }

    async fn password_hashes(&self, tenant: Uuid, user: Uuid, newest: u32) -> StoreResult<Vec<String>> {
        let stmt = Query::select()
            .column(UserPasswords::Hash)
            .from(UserPasswords::Table)
            .and_where(Expr::col(UserPasswords::TenantId).eq(tenant))
            .and_where(Expr::col(UserPasswords::UserId).eq(user))
            .order_by(UserPasswords::CreatedAt, sea_query::Order::Desc)
            .order_by(UserPasswords::Id, sea_query::Order::Desc)
            .limit(u64::from(newest))
            .to_owned();
        self.all(&stmt, |r| r.text("hash")).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn set_password(
        &self,
        tenant: Uuid,
        user: Uuid,
        hash: &str,
        must_change: bool,
        keep: u32,
        at: Time,
        event: &Event,
    ) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let row = mail::replace_password(&mut x, tenant, user, hash, must_change, keep, at).await?;
        let user = tables::user(&row)?;
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn insert_user(
        &self,
        tenant: Uuid,
        id: Uuid,
        spec: &UserSpec,
        at: Time,
        dispatch: Option<&Dispatch>,
        event: &Event,
    ) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let number = next_number(&mut x, tenant, Tenants::UserSeq).await?;
        let invitation = dispatch.filter(|d| d.token.purpose == MessageKind::Invitation).map(|d| d.token.expires);
        let row = insert_user_row(&mut x, tenant, (id, number), spec, at, invitation).await?;
        insert_event(&mut x, event).await?;
        if let Some(d) = dispatch {
            mail::write_dispatch(&mut x, d, true).await?;
        }
        let user = tables::user(&row)?;
        tx.commit().await?;
        Ok(user)
    }

    async fn insert_user_with_password(
        &self,
        tenant: Uuid,
        id: Uuid,
        spec: &UserSpec,
        FirstPassword { hash, must_change, group }: FirstPassword<'_>,
        at: Time,
        events: &[&Event],
    ) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        if group.is_some() {
            lock_edges(&mut x, tenant).await?;
        }
        let number = next_number(&mut x, tenant, Tenants::UserSeq).await?;
        insert_user_row(&mut x, tenant, (id, number), spec, at, None).await?;
        let changed = Query::update()
            .table(Users::Table)
            .value(Users::PasswordChangedAt, tables::millis(at))
            .value(Users::PasswordMustChange, must_change)
            .and_where(Expr::col(Users::Id).eq(id))
            .returning_all()
            .to_owned();
        let row = x.fetch_optional(&changed).await?.ok_or(StoreError::NotFound("user"))?;
        mail::write_password(&mut x, tenant, id, hash, 0, at).await?;
        if let Some(group) = group {
            add_edge(&mut x, tenant, group, MemberRef { kind: PrincipalKind::User, id }, at).await?;
            touch_group(&mut x, tenant, group, None, at).await?;
        }
        let user = tables::user(&row)?;
        for event in events {
            insert_event(&mut x, event).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    async fn insert_application_user(
        &self,
        tenant: Uuid,
        id: Uuid,
        spec: &UserSpec,
        FirstSecret { hash, access_policy }: FirstSecret<'_>,
        at: Time,
        events: &[&Event],
    ) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let number = next_number(&mut x, tenant, Tenants::UserSeq).await?;
        insert_user_row(&mut x, tenant, (id, number), spec, at, None).await?;
        x.execute(&client_secret_row(tenant, id, hash, at)?).await?;
        let policy = Query::update()
            .table(Users::Table)
            .value(Users::AccessPolicyId, access_policy)
            .and_where(Expr::col(Users::Id).eq(id))
            .returning_all()
            .to_owned();
        let row = x.fetch_optional(&policy).await?.ok_or(StoreError::NotFound("user"))?;
        let user = tables::user(&row)?;
        for event in events {
            insert_event(&mut x, event).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    async fn user(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<User>> {
        self.one(&by_id(query::users(tenant), id), tables::user).await
    }

    async fn list_credentials(
        &self,
        tenant: Uuid,
        user: Uuid,
        q: &ListQuery,
    ) -> StoreResult<Rows<roster_core::claim_users::CredentialRecord>> {
        let mut conn = self.read().await?;
        let mut x = conn.exec();
        let stmt = credentials::select(tenant, user, q);
        let items = x.fetch_all(&stmt).await?.iter().map(credentials::record).collect::<StoreResult<_>>()?;
        Ok(Rows { items, total: None })
    }

    async fn list_users(&self, tenant: Uuid, q: &ListQuery) -> StoreResult<Rows<User>> {
        let base = if self.few_hold_claims(tenant, q).await? {
            query::users_from_claims(tenant, self.backend_kind())
        } else {
            query::users(tenant)
        };
        self.rows(tenant, Resource::User, base, q, tables::user).await
    }

    async fn update_user(
        &self,
        tenant: Uuid,
        id: Uuid,
        guard: Guard,
        UserWrite { spec, password, access_policy }: UserWrite<'_>,
        at: Time,
        events: &[&Event],
    ) -> StoreResult<User> {
        let mut stmt = Query::update();
        stmt.table(Users::Table).values(user_values(spec)).values(lifecycle_values(spec, at, true));
        if let Some(p) = &password {
            stmt.value(Users::PasswordMustChange, p.must_change).value(Users::PasswordChangedAt, tables::millis(at));
        }
        if let Some(policy) = access_policy {
            stmt.value(Users::AccessPolicyId, policy);
        }
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let keep_holder = organisation::holder_guard(&mut x, tenant, guard.keep_holder).await?;
        let row = guarded_update(&mut x, Resource::User, stmt, tenant, id, guard.expected, at).await?;
        organisation::ensure_holder(&mut x, tenant, keep_holder).await?;
        // Read back before committing: a row that does not read is not written.
        let user = tables::user(&row)?;
        claims::index(&mut x, tenant, id, &spec.claims).await?;
        if let Some(p) = password {
            mail::write_password(&mut x, tenant, id, p.hash, p.keep, at).await?;
            mail::revoke_tokens(&mut x, tenant, id, MessageKind::PasswordReset, at).await?;
        }
        for event in events {
            insert_event(&mut x, event).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    async fn mark_user_deleted(
        &self,
        tenant: Uuid,
        id: Uuid,
        guard: Guard,
        deleted: Option<Time>,
        at: Time,
        event: &Event,
    ) -> StoreResult<User> {
        let mut stmt = Query::update();
        stmt.table(Users::Table).value(Users::DeletedAt, deleted.map(tables::millis));
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let keep_holder = organisation::holder_guard(&mut x, tenant, guard.keep_holder).await?;
        if deleted.is_some() {
            secrets::ensure_not_sole_owner(&mut x, tenant, id).await?;
        }
        let row = guarded_update(&mut x, Resource::User, stmt, tenant, id, guard.expected, at).await?;
        organisation::ensure_holder(&mut x, tenant, keep_holder).await?;
        let user = tables::user(&row)?;
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_user(&self, tenant: Uuid, id: Uuid, guard: Guard, event: &Event) -> StoreResult<()> {
        self.guarded_delete(Resource::User, tenant, id, guard, event).await
    }

    async fn insert_group(
        &self,
        tenant: Uuid,
        id: Uuid,
        spec: &GroupSpec,
        source: Option<(Uuid, &str)>,
        at: Time,
        events: &[&Event],
    ) -> StoreResult<Group> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let number = next_number(&mut x, tenant, Tenants::GroupSeq).await?;
        let mut values = new_group_values(tenant, (id, number), spec, false, at);
        if let Some((connection, dn)) = source {
            values.push((Groups::DirectoryId, connection.into()));
            values.push((Groups::DirectoryDn, dn.into()));
        }
        let stmt = insert_row(Groups::Table, values)?.returning_all().to_owned();
        let row = x.fetch_optional(&stmt).await?.ok_or(StoreError::NotFound("group"))?;
        let group = tables::group(&row)?;
        for event in events {
            insert_event(&mut x, event).await?;
        }
        tx.commit().await?;
        Ok(group)
    }

    async fn group(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<Group>> {
        self.one(&by_id(query::groups(tenant), id), tables::group).await
    }

    async fn list_groups(&self, tenant: Uuid, q: &ListQuery) -> StoreResult<Rows<Group>> {
        self.rows(tenant, Resource::Group, query::groups(tenant), q, tables::group).await
    }

    async fn update_group(
        &self,
        tenant: Uuid,
        id: Uuid,
        expected: ExpectedVersion,
        spec: &GroupSpec,
        at: Time,
        event: &Event,
    ) -> StoreResult<Group> {
        let mut stmt = Query::update();
        stmt.table(Groups::Table).values(group_values(spec));
        self.update_one(Resource::Group, stmt, tenant, id, expected, at, event).await.and_then(|r| tables::group(&r))
    }

    async fn mark_group_deleted(
        &self,
        tenant: Uuid,
        id: Uuid,
        guard: Guard,
        deleted: Option<Time>,
        at: Time,
        event: &Event,
    ) -> StoreResult<Group> {
        let mut stmt = Query::update();
        stmt.table(Groups::Table).value(Groups::DeletedAt, deleted.map(tables::millis));
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let keep_holder = organisation::holder_guard(&mut x, tenant, guard.keep_holder).await?;
        let row = guarded_update(&mut x, Resource::Group, stmt, tenant, id, guard.expected, at).await?;
        organisation::ensure_holder(&mut x, tenant, keep_holder).await?;
        insert_event(&mut x, event).await?;
        let group = tables::group(&row)?;
        tx.commit().await?;
        Ok(group)
    }

    async fn delete_group(&self, tenant: Uuid, id: Uuid, guard: Guard, event: &Event) -> StoreResult<()> {
        self.guarded_delete(Resource::Group, tenant, id, guard, event).await
    }

    async fn add_member(
        &self,
        tenant: Uuid,
        group: Uuid,
        member: MemberRef,
        at: Time,
        event: &Event,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        lock_edges(&mut x, tenant).await?;
        let added = add_edge(&mut x, tenant, group, member, at).await?;
        if added {
            touch_group(&mut x, tenant, group, None, at).await?;
        }
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn change_members(
        &self,
        tenant: Uuid,
        group: Uuid,
        changes: &[(bool, MemberRef, Event)],
        expected: ExpectedVersion,
        at: Time,
        keep_holder: Option<&'static str>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        lock_edges(&mut x, tenant).await?;
        let keep_holder = organisation::holder_guard(&mut x, tenant, keep_holder).await?;
        touch_group(&mut x, tenant, group, expected, at).await?;
        for (add, member, event) in changes {
            if *add {
                add_edge(&mut x, tenant, group, *member, at).await?;
            } else if connectors::remove_edge(&mut x, tenant, group, *member).await? == 0 {
                return Err(StoreError::NotFound("member"));
            }
            insert_event(&mut x, event).await?;
        }
        organisation::ensure_holder(&mut x, tenant, keep_holder).await?;
        tx.commit().await
    }

    async fn remove_member(
        &self,
        tenant: Uuid,
        group: Uuid,
        member: MemberRef,
        at: Time,
        event: &Event,
        keep_holder: Option<&'static str>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        lock_edges(&mut x, tenant).await?;
        let keep_holder = organisation::holder_guard(&mut x, tenant, keep_holder).await?;
        if connectors::remove_edge(&mut x, tenant, group, member).await? == 0 {
            return Err(StoreError::NotFound("member"));
        }
        touch_group(&mut x, tenant, group, None, at).await?;
        organisation::ensure_holder(&mut x, tenant, keep_holder).await?;
        insert_event(&mut x, event).await?;
        tx.commit().await
    }

    async fn list_members(
        &self,
        tenant: Uuid,
        group: Uuid,
        depth: Depth,
        q: &ListQuery,
    ) -> StoreResult<Rows<Principal>> {
        let mut base = query::principals(tenant);
        base.and_where(query::members_of(group, depth, self.backend_kind()));
        self.rows(tenant, Resource::Principal, base, q, tables::principal).await
    }

    async fn list_group_users(
        &self,
        tenant: Uuid,
        group: Uuid,
        depth: Depth,
        q: &ListQuery,
    ) -> StoreResult<Rows<User>> {
        let mut base = query::users(tenant);
        base.and_where(query::members_of(group, depth, self.backend_kind()));
        self.rows(tenant, Resource::User, base, q, tables::user).await
    }

    async fn list_memberships(
        &self,
        tenant: Uuid,
        member: MemberRef,
        depth: Depth,
        q: &ListQuery,
    ) -> StoreResult<Rows<Group>> {
        let mut base = query::groups(tenant);
        base.and_where(query::groups_of(member, depth, self.backend_kind()));
        self.rows(tenant, Resource::Group, base, q, tables::group).await
    }

    async fn list_principals(&self, tenant: Uuid, q: &ListQuery) -> StoreResult<Rows<Principal>> {
        self.rows(tenant, Resource::Principal, query::principals(tenant), q, tables::principal).await
    }

    async fn record_events(&self, list: &[Event]) -> StoreResult<()> {
        if list.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        // Bounded statements: SQLite takes at most 32,766 bound values in one.
        for chunk in list.chunks(500) {
            let backend = x.backend();
            x.execute(&events::insert(&chunk.iter().collect::<Vec<_>>(), backend)?).await?;
        }
        tx.commit().await
    }

    async fn list_events(&self, tenant: Uuid, q: &EventQuery) -> StoreResult<Vec<StoredEvent>> {
        self.all(&events::page(tenant, q, self.backend_kind()), events::row).await
    }

    async fn event(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<StoredEvent>> {
        let stmt = rows_where(
            tables::Events::Table,
            Expr::col(tables::Events::TenantId).eq(tenant).and(Expr::col(tables::Events::Id).eq(id)),
        );
        self.one(&stmt, events::row).await
    }

    async fn stream_events(
        &self,
        tenant: Uuid,
        filter: &EventFilter,
        after: (i64, i64),
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>> {
        self.all(&events::stream(tenant, filter, after, limit, self.backend_kind()), events::row).await
    }

    async fn stream_head(&self, tenant: Uuid) -> StoreResult<(i64, i64)> {
        let stmt = events::head(tenant, self.backend_kind());
        let row = self.one(&stmt, |r| Ok((r.opt_i64("txid")?.unwrap_or(0), r.opt_i64("seq")?.unwrap_or(0)))).await?;
        Ok(row.unwrap_or((0, 0)))
    }

    async fn stream_newest(&self, tenant: Uuid, filter: &EventFilter) -> StoreResult<(i64, i64)> {
        let stmt = events::newest(tenant, filter, self.backend_kind());
        let row = self.one(&stmt, |r| Ok((r.i64("txid")?, r.i64("seq")?))).await?;
        Ok(row.unwrap_or((0, 0)))
    }

    async fn prune_events(&self, before: i64, batch: u32) -> StoreResult<u64> {
        self.write(&events::prune(before, batch)).await
    }

    async fn dispatch(&self, dispatch: &Dispatch) -> StoreResult<()> {
        self.dispatch_link(dispatch).await
    }

    async fn one_time_token(&self, hash: &[u8; 32]) -> StoreResult<Option<OneTimeToken>> {
        let stmt = rows_where(OneTimeTokens::Table, Expr::col(OneTimeTokens::Hash).eq(hash.to_vec()));
        self.one(&stmt, tables::one_time_token).await
    }

    async fn revoke_one_time_tokens(
        &self,
        tenant: Uuid,
        user: Uuid,
        purpose: MessageKind,
        at: Time,
        event: &Event,
    ) -> StoreResult<u64> {
        self.revoke_links(tenant, user, purpose, at, event).await
    }

    async fn redeem(
        &self,
        hash: &[u8; 32],
        purpose: MessageKind,
        at: Time,
        change: &Redemption<'_>,
        event: &Event,
    ) -> StoreResult<User> {
        self.redeem_link(hash, purpose, at, change, event).await
    }

    async fn messages_since(
        &self,
        tenant: Uuid,
        user: Option<Uuid>,
        since: Time,
        caps: (u32, u32),
    ) -> StoreResult<(u64, u64)> {
        self.count_messages(tenant, user, since, caps).await
    }

    async fn claim_message(&self, now: Time, lease_until: Time) -> StoreResult<Option<OutboxMessage>> {
        self.claim(now, lease_until).await
    }

    async fn finish_message(&self, id: Uuid, attempt: &Attempt<'_>, at: Time, event: &Event) -> StoreResult<()> {
        self.finish(id, attempt, at, event).await
    }

    async fn outbox_message(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<OutboxMessage>> {
        let stmt = rows_where(Outbox::Table, Expr::col(Outbox::TenantId).eq(tenant).and(Expr::col(Outbox::Id).eq(id)));
        self.one(&stmt, tables::outbox_message).await
    }

    async fn mail_template(&self, tenant: Uuid, kind: MessageKind) -> StoreResult<Option<MailTemplate>> {
        self.template(tenant, kind).await
    }

    async fn set_mail_template(
        &self,
        tenant: Uuid,
        kind: MessageKind,
        template: &MailTemplate,
        at: Time,
        event: &Event,
    ) -> StoreResult<()> {
        self.put_template(tenant, kind, template, at, event).await
    }

    async fn delete_mail_template(&self, tenant: Uuid, kind: MessageKind, event: &Event) -> StoreResult<()> {
        self.remove_template(tenant, kind, event).await
    }

    async fn device_credentials(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<DeviceCredential>> {
        self.devices_of(tenant, user).await
    }

    async fn device_credential(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<DeviceCredential>> {
        self.device(tenant, id).await
    }

    async fn revoke_device_credential(
        &self,
        tenant: Uuid,
        user: Uuid,
        id: Uuid,
        at: Time,
        event: &Event,
    ) -> StoreResult<()> {
        self.revoke_device(tenant, user, id, at, event).await
    }

    async fn touch_device_credential(&self, id: Uuid, at: Time) -> StoreResult<()> {
        self.touch_device(id, at).await
    }

    async fn insert_challenge(&self, challenge: &Challenge) -> StoreResult<()> {
        self.put_challenge(challenge).await
    }

    async fn take_challenge(&self, id: Uuid, at: Time) -> StoreResult<Option<Challenge>> {
        self.use_challenge(id, at).await
    }

    async fn prune_links(&self, before: Time) -> StoreResult<u64> {
        self.prune_ended(before).await
    }

    async fn insert_connection(&self, connection: &Connection, event: &Event) -> StoreResult<()> {
        self.insert_connection_row(connection, event).await
    }

    async fn connections(&self, tenant: Uuid) -> StoreResult<Vec<Connection>> {
        self.connections_of(tenant).await
    }

    async fn connection(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<Connection>> {
        self.connection_by_id(tenant, id).await
    }

    async fn update_connection(&self, connection: &Connection, expected: i64, event: &Event) -> StoreResult<()> {
        self.update_connection_row(connection, expected, event).await
    }

    async fn delete_connection(&self, tenant: Uuid, id: Uuid, event: &Event) -> StoreResult<()> {
        self.delete_connection_row(tenant, id, event).await
    }

    async fn users_by_external_ids(&self, tenant: Uuid, ids: &[String]) -> StoreResult<Vec<User>> {
        self.users_with_external_ids(tenant, ids).await
    }

    async fn direct_members(&self, tenant: Uuid, group: Uuid) -> StoreResult<Vec<MemberRef>> {
        self.direct_members_of(tenant, group).await
    }

    async fn link_group(
        &self,
        tenant: Uuid,
        group: Uuid,
        source: Option<(Uuid, String)>,
        at: Time,
        event: &Event,
    ) -> StoreResult<Group> {
        self.set_group_source(tenant, group, source, at, event).await
    }

    async fn apply_sync(&self, tenant: Uuid, group: Uuid, plan: &SyncPlan, at: Time) -> StoreResult<()> {
        self.write_sync(tenant, group, plan, at).await
    }

    async fn claim_group_sync(&self, now: Time, lease_until: Time) -> StoreResult<Option<(Uuid, Uuid)>> {
        self.claim_sync(now, lease_until).await
    }

    async fn access_policies(&self, tenant: Uuid) -> StoreResult<Vec<AccessPolicy>> {
        self.policies_of(tenant).await
    }

    async fn access_policy(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<AccessPolicy>> {
        self.policy_by_id(tenant, id).await
    }

    async fn insert_access_policy(&self, policy: &AccessPolicy, event: &Event) -> StoreResult<AccessPolicy> {
        self.add_policy(policy, event).await
    }

    async fn update_access_policy(&self, policy: &AccessPolicy, event: &Event) -> StoreResult<()> {
        self.replace_policy(policy, event).await
    }

    async fn delete_access_policy(&self, tenant: Uuid, id: Uuid, event: &Event) -> StoreResult<()> {
        self.remove_policy(tenant, id, event).await
    }

    async fn set_access_policy(
        &self,
        tenant: Uuid,
        user: Uuid,
        policy: Option<Uuid>,
        event: &Event,
    ) -> StoreResult<User> {
        self.assign_policy(tenant, user, policy, event).await
    }

    async fn set_group_access_policy(
        &self,
        tenant: Uuid,
        group: Uuid,
        policy: Option<Uuid>,
        event: &Event,
    ) -> StoreResult<Group> {
        self.assign_group_policy(tenant, group, policy, event).await
    }

    async fn user_access_policies(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<AccessPolicy>> {
        self.policies_over(tenant, user).await
    }

    async fn computer_user_names(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<String>> {
        self.names_of(tenant, user).await
    }

    async fn set_computer_user_names(
        &self,
        tenant: Uuid,
        user: Uuid,
        names: &[String],
        event: &Event,
    ) -> StoreResult<()> {
        self.replace_names(tenant, user, names, event).await
    }

    async fn smartcards(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<Smartcard>> {
        self.cards_of(tenant, user).await
    }

    async fn set_smartcards(
        &self,
        tenant: Uuid,
        user: Uuid,
        cards: &[Smartcard],
        allow_duplicates: bool,
        event: &Event,
    ) -> StoreResult<Option<usize>> {
        self.replace_cards(tenant, user, cards, allow_duplicates, event).await
    }

    async fn set_rank_role(
        &self,
        tenant: Uuid,
        user: Uuid,
        ranks: &[&str],
        role: Option<&str>,
        keep_holder: Option<&'static str>,
        events: &[Event],
    ) -> StoreResult<()> {
        self.replace_rank_role(tenant, user, (ranks, role), keep_holder, events).await
    }

    async fn remove_from_organisation(
        &self,
        tenant: Uuid,
        user: Uuid,
        departure: &Departure,
        at: Time,
        event: &Event,
    ) -> StoreResult<User> {
        self.leave(tenant, user, departure, at, event).await
    }

    async fn taken_user_keys(
        &self,
        tenant: Uuid,
        user_names: &[&str],
        emails: &[&str],
        external_ids: &[&str],
        ids: &[Uuid],
    ) -> StoreResult<Vec<(&'static str, String)>> {
        self.taken_keys(tenant, user_names, emails, external_ids, ids).await
    }

    async fn import(&self, tenant: Uuid, batch: &ImportBatch, at: Time, event: &Event) -> StoreResult<()> {
        self.write_import(tenant, batch, at, event).await
    }

    async fn analyze(&self) -> StoreResult<()> {
        match &self.db {
            // A bounded sample per index (as `PRAGMA optimize` takes), so a million rows take
            // well under a second instead of a full scan per index.
            Db::Sqlite { writer, .. } => {
                sqlx::query("PRAGMA analysis_limit = 1000; ANALYZE").execute(writer).await.map(drop)
            }
            Db::Postgres(pool) => sqlx::query("ANALYZE").execute(pool).await.map(drop),
        }
        .map_err(db_error)
    }

    async fn checkpoint(&self) -> StoreResult<()> {
        match &self.db {
            Db::Sqlite { writer, .. } => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(writer).await.map(drop).map_err(db_error)
            }
            Db::Postgres(_) => Ok(()),
        }
    }

    async fn insert_invitations(
        &self,
        tenant: Uuid,
        invitations: &[NewInvitation],
        groups: &[Uuid],
        cards: (&[Smartcard], bool),
        at: Time,
    ) -> StoreResult<Result<Vec<User>, usize>> {
        self.add_invitations(tenant, invitations, groups, cards, at).await
    }

    async fn direct_groups(&self, tenant: Uuid, users: &[Uuid]) -> StoreResult<Vec<(Uuid, Uuid, String)>> {
        self.groups_of(tenant, users).await
    }

    async fn live_members(&self, tenant: Uuid, groups: &[Uuid]) -> StoreResult<Vec<(Uuid, MemberRef)>> {
        self.members_of(tenant, groups).await
    }

    async fn newest_devices(&self, tenant: Uuid, users: &[Uuid]) -> StoreResult<Vec<(Uuid, Time)>> {
        self.devices_bound(tenant, users).await
    }

    async fn insert_secret(&self, secret: &Secret, event: &Event) -> StoreResult<()> {
        self.add_secret(secret, event).await
    }

    async fn secrets(&self, tenant: Uuid) -> StoreResult<Vec<Secret>> {
        self.secrets_where(tenant, None).await
    }

    async fn secret(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<Secret>> {
        Ok(self.secrets_where(tenant, Some(id)).await?.pop())
    }

    async fn add_secret_owner(&self, tenant: Uuid, id: Uuid, user: Uuid, at: Time, event: &Event) -> StoreResult<()> {
        self.add_owner(tenant, id, user, at, event).await
    }

    async fn remove_secret_owner(&self, tenant: Uuid, id: Uuid, user: Uuid, event: &Event) -> StoreResult<()> {
        self.remove_owner(tenant, id, user, event).await
    }

    async fn delete_secret(&self, tenant: Uuid, id: Uuid, event: &Event) -> StoreResult<()> {
        self.remove_secret(tenant, id, event).await
    }
}

/// Updates one row of users or groups if it is at the expected version, bumping version and
/// modified time; answers the new row.
/// A group's members are part of it: changing them makes a new version of the group (its ETag
/// changes), checked against `expected` when the caller holds one.
async fn touch_group(
    x: &mut Exec<'_>,
    tenant: Uuid,
    group: Uuid,
    expected: ExpectedVersion,
    at: Time,
) -> StoreResult<()> {
    let stmt = Query::update().table(Groups::Table).to_owned();
    guarded_update(x, Resource::Group, stmt, tenant, group, expected, at).await.map(drop)
}

async fn guarded_update(
    x: &mut Exec<'_>,
    resource: Resource,
    mut stmt: sea_query::UpdateStatement,
    tenant: Uuid,
    id: Uuid,
    expected: ExpectedVersion,
    at: Time,
) -> StoreResult<Row> {
    let (base, what) = match resource {
        Resource::Group => (query::groups(tenant), "group"),
        _ => (query::users(tenant), "user"),
    };
    let col = |n: &str| Expr::col(sea_query::Alias::new(n));
    stmt.value(sea_query::Alias::new("version"), col("version").add(1))
        .value(sea_query::Alias::new("modified_at"), tables::millis(at))
        .and_where(col("tenant_id").eq(tenant))
        .and_where(col("id").eq(id))
        .returning_all();
    if let Some(v) = expected {
        stmt.and_where(col("version").eq(v));
    }
    match x.fetch_optional(&stmt).await? {
        Some(row) => Ok(row),
        None => Err(missing_or_stale(x, by_id(base, id), what).await),
    }
}

impl SqlStore {
    /// Locks a user until a time, or (None) lifts its lock and zeroes its failure count; either
    /// way its recent failures are forgotten.
    async fn set_lock(&self, tenant: Uuid, user: Uuid, until: Option<Time>, event: Option<&Event>) -> StoreResult<()> {
        let mut update = Query::update();
        update
            .table(Users::Table)
            .value(Users::LockedUntil, until.map(tables::millis))
            .and_where(Expr::col(Users::TenantId).eq(tenant))
            .and_where(Expr::col(Users::Id).eq(user));
        if until.is_none() {
            update.value(Users::FailedLogons, 0);
        }
        let forget = Query::delete()
            .from_table(LogonFailuresT::Table)
            .and_where(Expr::col(LogonFailuresT::TenantId).eq(tenant))
            .and_where(Expr::col(LogonFailuresT::UserId).eq(user))
            .to_owned();
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        if x.execute(&update).await? == 0 {
            return Err(StoreError::NotFound("user"));
        }
        x.execute(&forget).await?;
        if let Some(event) = event {
            insert_event(&mut x, event).await?;
        }
        tx.commit().await
    }

    /// [`guarded_update`] and its event, in a transaction of their own.
    #[allow(clippy::too_many_arguments)]
    async fn update_one(
        &self,
        resource: Resource,
        stmt: sea_query::UpdateStatement,
        tenant: Uuid,
        id: Uuid,
        expected: ExpectedVersion,
        at: Time,
        event: &Event,
    ) -> StoreResult<Row> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let row = guarded_update(&mut x, resource, stmt, tenant, id, expected, at).await?;
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(row)
    }

    async fn guarded_delete(
        &self,
        resource: Resource,
        tenant: Uuid,
        id: Uuid,
        guard: Guard,
        event: &Event,
    ) -> StoreResult<()> {
        let (base, what, table): (_, _, sea_query::DynIden) = match resource {
            Resource::Group => (query::groups(tenant), "group", sea_query::SeaRc::new(Groups::Table)),
            _ => (query::users(tenant), "user", sea_query::SeaRc::new(Users::Table)),
        };
        let col = |n: &str| Expr::col(sea_query::Alias::new(n));
        let mut stmt = Query::delete();
        stmt.from_table(table).and_where(col("tenant_id").eq(tenant)).and_where(col("id").eq(id));
        if let Some(v) = guard.expected {
            stmt.and_where(col("version").eq(v));
        }
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let keep_holder = organisation::holder_guard(&mut x, tenant, guard.keep_holder).await?;
        if resource == Resource::User {
            secrets::ensure_not_sole_owner(&mut x, tenant, id).await?;
        }
        if x.execute(&stmt).await? == 0 {
            return Err(missing_or_stale(&mut x, by_id(base, id), what).await);
        }
        organisation::ensure_holder(&mut x, tenant, keep_holder).await?;
        insert_event(&mut x, event).await?;
        tx.commit().await
    }
}

/// Every change of group edges takes the tenant's edge lock first, before any row of theirs, so
/// two such changes never wait on each other in opposite orders (PostgreSQL; SQLite has one writer).
async fn lock_edges(x: &mut Exec<'_>, tenant: Uuid) -> StoreResult<()> {
    if x.backend() == Backend::Postgres {
        lock_tenant(x, tenant).await?;
    }
    Ok(())
}

/// Locks the tenant's row until the transaction ends (PostgreSQL), serialising checks that
/// must see each other's writes. `FOR NO KEY UPDATE`: such lockers exclude each other, but
/// inserts that merely reference the tenant (taking `FOR KEY SHARE`) go on.
pub(crate) async fn lock_tenant(x: &mut Exec<'_>, tenant: Uuid) -> StoreResult<()> {
    let lock = Query::select()
        .column(Tenants::Id)
        .from(Tenants::Table)
        .and_where(Expr::col(Tenants::Id).eq(tenant))
        .lock(sea_query::LockType::NoKeyUpdate)
        .to_owned();
    x.fetch_optional(&lock).await.map(drop)
}

/// Adds a member to a group in the current transaction (true: it was not there yet), refusing
/// unknown records and a group edge that would close a cycle.
pub(crate) async fn add_edge(
    x: &mut Exec<'_>,
    tenant: Uuid,
    group: Uuid,
    member: MemberRef,
    at: Time,
) -> StoreResult<bool> {
    let backend = x.backend();
    if x.fetch_optional(&by_id(query::groups(tenant), group)).await?.is_none() {
        return Err(StoreError::NotFound("group"));
    }
    let stmt = match member.kind {
        PrincipalKind::User => {
            match x.fetch_optional(&by_id(query::users(tenant), member.id)).await? {
                None => return Err(StoreError::NotFound("user")),
                Some(u) if u.bool("guest")? => return Err(StoreError::Guest),
                Some(_) => {}
            }
            insert_row(
                GroupUsers::Table,
                [
                    (GroupUsers::TenantId, tenant.into()),
                    (GroupUsers::GroupId, group.into()),
                    (GroupUsers::UserId, member.id.into()),
                    (GroupUsers::CreatedAt, tables::millis(at).into()),
                ],
            )?
            .on_conflict(OnConflict::columns([GroupUsers::GroupId, GroupUsers::UserId]).do_nothing().to_owned())
            .to_owned()
        }
        PrincipalKind::Group => {
            if x.fetch_optional(&by_id(query::groups(tenant), member.id)).await?.is_none() {
                return Err(StoreError::NotFound("group"));
            }
            if backend == Backend::Postgres {
                // Serialise group-edge changes per tenant, so two concurrent edges cannot close a cycle together.
                lock_tenant(x, tenant).await?;
            }
            let cycle = x.fetch_optional(&query::reaches(member.id, group, backend)).await?;
            if cycle.map(|r| r.flag("hit")).transpose()?.unwrap_or(false) {
                return Err(StoreError::Cycle);
            }
            insert_row(
                GroupGroups::Table,
                [
                    (GroupGroups::TenantId, tenant.into()),
                    (GroupGroups::ParentId, group.into()),
                    (GroupGroups::ChildId, member.id.into()),
                    (GroupGroups::CreatedAt, tables::millis(at).into()),
                ],
            )?
            .on_conflict(OnConflict::columns([GroupGroups::ParentId, GroupGroups::ChildId]).do_nothing().to_owned())
            .to_owned()
        }
    };
    Ok(x.execute(&stmt).await? > 0)
}
