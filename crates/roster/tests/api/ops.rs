//! Operational endpoints, the OpenAPI document and the docs page.

use crate::*;

both!(health_ready_metrics_docs, |srv: &TestServer| async move {
    let health = srv.client.get(srv.url("/healthz")).send().await.unwrap();
    assert!(health.headers().contains_key("x-request-id"));
    expect(health, 200).await;
    let ready = expect(srv.client.get(srv.url("/readyz")).send().await.unwrap(), 200).await;
    let backend = match srv.backend {
        roster_testkit::Backend::Sqlite => "sqlite",
        roster_testkit::Backend::Postgres => "postgres",
    };
    assert_eq!(ready["database"], backend);
    // A request id sent in is echoed back.
    let echoed = srv.client.get(srv.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
    srv.get("/api/v1/users").await;
    let metrics = srv.client.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(r#"roster_http_requests_total{method="GET",route="/api/v1/users",status="200"}"#),
        "{metrics}"
    );
    assert!(metrics.contains("roster_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("roster_db_pool_connections"));
    let docs = srv.client.get(srv.url("/api/docs")).send().await.unwrap().text().await.unwrap();
    assert!(
        docs.contains("/api/v1/users/{id}") && docs.contains("<h3 id=\"User\">"),
        "docs page lists operations and schemas"
    );
    assert!(!docs.contains("<script"), "the docs page needs no scripts");
    let spec = expect(srv.client.get(srv.url("/api/v1/openapi.json")).send().await.unwrap(), 200).await;
    assert_eq!(spec, serde_json::to_value(roster_http::openapi()).unwrap());
});

#[test]
fn openapi_document() {
    let spec = serde_json::to_value(roster_http::openapi()).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    insta::assert_json_snapshot!("openapi", spec);
}

#[test]
fn wire_shape_of_a_user() {
    use roster_core::model::{User, UserSpec};
    let t = chrono::DateTime::from_timestamp_millis(1_700_000_000_123).unwrap();
    let user = User {
        id: uuid::Uuid::nil(),
        tenant_id: uuid::Uuid::nil(),
        number: 7,
        spec: UserSpec {
            user_name: "ann".into(),
            email: Some("ann@example.com".into()),
            claims: json!({"dept": "ops"}),
            ..Default::default()
        },
        created: t,
        modified: t,
        deleted: None,
        version: 3,
        password_changed: Some(t),
        password_must_change: true,
        failed_logons: 2,
        locked_until: chrono::DateTime::from_timestamp_millis(32_503_680_000_000),
        invitation_expires: None,
        access_policy: None,
        activated: Some(t),
        email_confirmed: None,
        last_sign_in: Some(roster_core::model::SignIn { at: t, method: "password".into(), source: None }),
    };
    insta::assert_json_snapshot!("user_wire", roster_http::native::wire::User::from(user));
}
