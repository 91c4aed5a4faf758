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
