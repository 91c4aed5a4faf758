//! The SQLite and PostgreSQL migration trees define the same tables and columns.

use roster_store::{SqlStore, StoreConfig};

#[tokio::test]
async fn migration_trees_agree() {
    let dir = std::env::temp_dir().join(format!("roster-schema-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite =
        SqlStore::connect(&StoreConfig { url: format!("sqlite://{}", dir.join("s.db").display()), max_connections: 1 })
            .await
            .unwrap();
    sqlite.migrate().await.unwrap();
    let lite = sqlite.schema_columns().await.unwrap();
    assert!(lite.contains(&("users".into(), "claims".into())));
    let Some(pg_url) = roster_testkit::postgres_url() else {
        eprintln!("skipped the comparison: ROSTER_TEST_DATABASE_URL is not set");
        return;
    };
    // A schema of its own, as the test servers get.
    let server = roster_testkit::TestServer::start(roster_testkit::Backend::Postgres).await.unwrap();
    let _ = pg_url;
    drop(server);
    let name = format!("s_{}", uuid::Uuid::new_v4().simple());
    let base = roster_testkit::postgres_url().unwrap();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&mut conn).await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let pg = SqlStore::connect(&StoreConfig {
        url: format!("{base}{sep}options=-c%20search_path%3D{name}"),
        max_connections: 2,
    })
    .await
    .unwrap();
    pg.migrate().await.unwrap();
    assert_eq!(pg.schema_columns().await.unwrap(), lite);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Users older than the claims index get their keys at the first start after the migration
/// that asked for it, once.
#[tokio::test]
async fn claims_index_is_built_for_existing_users() {
    use sqlx::Connection;
    let dir = std::env::temp_dir().join(format!("roster-claims-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("s.db").display());
    let store = SqlStore::connect(&StoreConfig { url: url.clone(), max_connections: 1 }).await.unwrap();
    store.migrate().await.unwrap();
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let tenant = uuid::Uuid::now_v7();
    sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES (?, 'old', 0)")
        .bind(tenant)
        .execute(&mut conn)
        .await
        .unwrap();
    let claims = [serde_json::json!({"a": {"b": "x", "c": [1, 2]}, "d": 1}), serde_json::json!({"a": {"b": "y"}})];
    let mut expected = Vec::new();
    for (i, c) in claims.iter().enumerate() {
        let id = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO users (id, tenant_id, number, user_name, user_name_key, kind, status, claims, created_at, modified_at, version) \
             VALUES (?, ?, ?, ?, ?, 'local', 'active', ?, 0, 0, 1)",
        )
        .bind(id)
        .bind(tenant)
        .bind(i as i64 + 1)
        .bind(format!("u{i}"))
        .bind(format!("u{i}"))
        .bind(c.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
        expected.extend(roster_core::claims::index_keys(c).into_iter().map(|k| (k.to_vec(), id)));
    }
    // As the migration leaves it: users without keys and the task to make them.
    sqlx::query("INSERT INTO store_tasks (name) VALUES ('index_claims')").execute(&mut conn).await.unwrap();
    store.migrate().await.unwrap();
    let mut rows: Vec<(Vec<u8>, uuid::Uuid)> =
        sqlx::query_as("SELECT claim_key, user_id FROM user_claims").fetch_all(&mut conn).await.unwrap();
    rows.sort();
    expected.sort();
    assert_eq!(rows, expected);
    assert_eq!(expected.len(), 4);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM store_tasks").fetch_one(&mut conn).await.unwrap();
    assert_eq!(left, 0, "the task runs once");
    let _ = std::fs::remove_dir_all(&dir);
}
