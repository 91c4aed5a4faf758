//! Running sea-query statements on either database through one small executor, and reading rows by column name.

use roster_core::store::{StoreError, StoreResult};
use sea_query::{PostgresQueryBuilder, QueryBuilder, SimpleExpr, SqliteQueryBuilder, Value};
use sea_query_binder::SqlxValues;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{PgConnection, Row as _, SqliteConnection};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn builder(self) -> &'static dyn QueryBuilder {
        match self {
            Backend::Sqlite => &SqliteQueryBuilder,
            Backend::Postgres => &PostgresQueryBuilder,
        }
    }

    /// A hand-written SQL fragment whose `?` marks take `values` in order, whichever the database.
    pub fn fragment(self, template: &str, values: Vec<Value>) -> SimpleExpr {
        let sql = match self {
            Backend::Sqlite => template.to_owned(),
            Backend::Postgres => template.replace('?', "$"),
        };
        sea_query::Expr::cust_with_values(sql, values)
    }

    /// A hand-written SQL fragment whose `?` marks take the expressions `exprs` in order.
    pub fn fragment_exprs(self, template: &str, exprs: Vec<SimpleExpr>) -> SimpleExpr {
        let sql = match self {
            Backend::Sqlite => template.to_owned(),
            Backend::Postgres => template.replace('?', "$"),
        };
        sea_query::Expr::cust_with_exprs(sql, exprs)
    }
}

/// Anything sea-query can build for either database.
pub trait Statement {
    fn build(&self, backend: Backend) -> (String, sea_query::Values);
}

macro_rules! statement {
    ($($t:ty),+) => {$(
        impl Statement for $t {
            fn build(&self, backend: Backend) -> (String, sea_query::Values) {
                self.build_any(backend.builder())
            }
        }
    )+};
}
statement!(
    sea_query::SelectStatement,
    sea_query::InsertStatement,
    sea_query::UpdateStatement,
    sea_query::DeleteStatement
);

/// One connection (pooled or inside a transaction) of either database.
pub enum Exec<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

pub enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Exec<'_> {
    pub fn backend(&self) -> Backend {
        match self {
            Exec::Sqlite(_) => Backend::Sqlite,
            Exec::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn execute(&mut self, stmt: &impl Statement) -> StoreResult<u64> {
        let (sql, values) = stmt.build(self.backend());
        Ok(match self {
            Exec::Sqlite(c) => {
                sqlx::query_with(&sql, SqlxValues(values)).execute(&mut **c).await.map_err(db_error)?.rows_affected()
            }
            Exec::Postgres(c) => {
                sqlx::query_with(&sql, SqlxValues(values)).execute(&mut **c).await.map_err(db_error)?.rows_affected()
            }
        })
    }

    pub async fn fetch_all(&mut self, stmt: &impl Statement) -> StoreResult<Vec<Row>> {
        let (sql, values) = stmt.build(self.backend());
        Ok(match self {
            Exec::Sqlite(c) => sqlx::query_with(&sql, SqlxValues(values))
                .fetch_all(&mut **c)
                .await
                .map_err(db_error)?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            Exec::Postgres(c) => sqlx::query_with(&sql, SqlxValues(values))
                .fetch_all(&mut **c)
                .await
                .map_err(db_error)?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    pub async fn fetch_optional(&mut self, stmt: &impl Statement) -> StoreResult<Option<Row>> {
        let (sql, values) = stmt.build(self.backend());
        Ok(match self {
            Exec::Sqlite(c) => sqlx::query_with(&sql, SqlxValues(values))
                .fetch_optional(&mut **c)
                .await
                .map_err(db_error)?
                .map(Row::Sqlite),
            Exec::Postgres(c) => sqlx::query_with(&sql, SqlxValues(values))
                .fetch_optional(&mut **c)
                .await
                .map_err(db_error)?
                .map(Row::Postgres),
        })
    }

    /// Runs literal SQL with no parameters (locks, pragmas).
    pub async fn raw(&mut self, sql: &str) -> StoreResult<()> {
        match self {
            Exec::Sqlite(c) => sqlx::query(sql).execute(&mut **c).await.map(|_| ()),
            Exec::Postgres(c) => sqlx::query(sql).execute(&mut **c).await.map(|_| ()),
        }
        .map_err(db_error)
    }
}

/// Maps a database error: uniqueness violations name the attribute, everything else is opaque.
pub fn db_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            // PostgreSQL names the index; SQLite lists the columns. Both contain the column name.
            let text = format!("{} {}", d.constraint().unwrap_or_default(), d.message());
            for (needle, field) in [
                ("computer_user_names", "computer_user_name"),
                ("federated", "federated_identity"),
                ("user_name_key", "user_name"),
                ("email_key", "email"),
                ("external_id", "external_id"),
                ("name_key", "name"),
                ("tenants", "name"),
                ("hash", "api key"),
            ] {
                if text.contains(needle) {
                    return StoreError::Unique(field);
                }
            }
        }
    }
    StoreError::Backend(e.to_string())
}

fn decode_error(col: &str, e: sqlx::Error) -> StoreError {
    StoreError::Backend(format!("cannot read column {col}: {e}"))
}

/// A column type both databases decode.
pub trait Column:
    for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
{
}
impl<T> Column for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
{
}

impl Row {
    pub fn get<T: Column>(&self, col: &str) -> StoreResult<T> {
        match self {
            Row::Sqlite(r) => r.try_get(col),
            Row::Postgres(r) => r.try_get(col),
        }
        .map_err(|e| decode_error(col, e))
    }

    pub fn uuid(&self, col: &str) -> StoreResult<Uuid> {
        self.get(col)
    }

    pub fn opt_uuid(&self, col: &str) -> StoreResult<Option<Uuid>> {
        self.get(col)
    }

    pub fn i64(&self, col: &str) -> StoreResult<i64> {
        self.get(col)
    }

    pub fn opt_i64(&self, col: &str) -> StoreResult<Option<i64>> {
        self.get(col)
    }

    pub fn bool(&self, col: &str) -> StoreResult<bool> {
        self.get(col)
    }

    pub fn text(&self, col: &str) -> StoreResult<String> {
        self.get(col)
    }

    pub fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.get(col)
    }

    pub fn bytes(&self, col: &str) -> StoreResult<Vec<u8>> {
        self.get(col)
    }

    /// A computed truth value: boolean on PostgreSQL, integer on SQLite.
    pub fn flag(&self, col: &str) -> StoreResult<bool> {
        match self {
            Row::Sqlite(r) => r.try_get::<i64, _>(col).map(|n| n != 0),
            Row::Postgres(r) => r.try_get(col),
        }
        .map_err(|e| decode_error(col, e))
    }

    /// A JSON column: JSONB on PostgreSQL, text on SQLite.
    pub fn json(&self, col: &str) -> StoreResult<serde_json::Value> {
        match self {
            Row::Sqlite(r) => {
                let text: String = r.try_get(col).map_err(|e| decode_error(col, e))?;
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Backend(format!("column {col} holds bad JSON: {e}")))
            }
            Row::Postgres(r) => r.try_get(col).map_err(|e| decode_error(col, e)),
        }
    }

    /// A text column holding a JSON document of a known shape, on both databases.
    pub fn json_text<T: serde::de::DeserializeOwned>(&self, col: &str) -> StoreResult<T> {
        serde_json::from_str(&self.text(col)?)
            .map_err(|e| StoreError::Backend(format!("column {col} holds bad JSON: {e}")))
    }
}
