//! `/api/v1/access-policies` and `/api/v1/users/{id}/access-policy`: the default policy, policy
//! changes, and sign-ins refused from addresses a user's policy does not allow.

use crate::*;

async fn policies(srv: &TestServer) -> Vec<Value> {
    expect(srv.get("/api/v1/access-policies").await, 200).await["items"].as_array().unwrap().clone()
}

both!(policies_restrict_where_users_sign_in_from, |srv: &TestServer| async move {
    // Every tenant starts with its default policy, number 1, allowing every address.
    let all = policies(srv).await;
    assert_eq!(all.len(), 1);
    let default = all[0].clone();
    assert_eq!(
        (default["number"].as_i64(), default["default"].as_bool(), default["name"].as_str()),
        (Some(1), Some(true), Some("default"))
    );

    // Bad input names each problem and stores nothing.
    let bad = json!({"name": " ", "allowed_networks": ["10.0.0.0/33", "somewhere"]});
    let p = expect_problem(srv.post("/api/v1/access-policies", &bad).await, 400, "validation").await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "allowed_networks[0]", "allowed_networks[1]"]);
    assert_eq!(policies(srv).await.len(), 1);

    let office = json!({"name": "office", "description": "HQ only", "allowed_networks": ["10.9.3.4/16"]});
    let office = expect(srv.post("/api/v1/access-policies", &office).await, 201).await;
    assert_eq!((office["number"].as_i64(), office["allowed_networks"][0].as_str()), (Some(2), Some("10.9.0.0/16")));
    expect_problem(srv.post("/api/v1/access-policies", &json!({"name": "OFFICE"})).await, 409, "conflict.unique").await;

    // A user under the office policy cannot sign in from 127.0.0.1, with a DENIED event.
    let id = person(srv, "ann").await;
    let office_id = office["id"].as_str().unwrap();
    let assigned = expect(
        srv.put(&format!("/api/v1/users/{id}/access-policy"), &json!({"access_policy_id": office_id})).await,
        200,
    )
    .await;
    assert_eq!(assigned["access_policy_id"], office_id);
    assert_eq!(login(srv, "ann", PASSWORD).await.status(), 403);
    assert_eq!(login(srv, "ann", "wrong").await.status(), 401, "the password is checked first");
    let denied = expect(
        srv.get("/api/v1/events?event_type=USER_AUTHENTICATION&outcome=DENIED&include_not_attested=true").await,
        200,
    )
    .await;
    assert!(
        denied["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["data"]["reason"].as_str().unwrap_or_default().contains("office")),
        "{denied}"
    );
    // Allowing the loopback network lets ann in.
    let widened = json!({"name": "office", "allowed_networks": ["10.9.0.0/16", "127.0.0.0/8"]});
    expect(srv.put(&format!("/api/v1/access-policies/{office_id}"), &widened).await, 200).await;
    expect(login(srv, "ann", PASSWORD).await, 200).await;

    // The default policy governs users assigned none, application users included.
    let default_id = default["id"].as_str().unwrap();
    let closed = json!({"name": "default", "allowed_networks": ["192.0.2.0/24"]});
    expect(srv.put(&format!("/api/v1/access-policies/{default_id}"), &closed).await, 200).await;
    person(srv, "bob").await;
    assert_eq!(login(srv, "bob", PASSWORD).await.status(), 403);
    let app = srv.user(json!({"user_name": "robot", "kind": "application"})).await;
    let app_id = app["id"].as_str().unwrap();
    let secret = expect(srv.post(&format!("/api/v1/users/{app_id}/client-secret"), &json!({})).await, 200).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app_id),
        ("client_secret", secret["client_secret"].as_str().unwrap()),
    ];
    let r = srv.client.post(srv.url("/api/v1/oauth/token")).form(&form).send().await.unwrap();
    // OAuth answers every refused client alike (RFC 6749 invalid_client); the trail says why.
    assert_eq!(r.status(), 401);
    let denied = expect(
        srv.get("/api/v1/events?event_type=USER_AUTHENTICATION&outcome=DENIED&include_not_attested=true").await,
        200,
    )
    .await;
    let robot = denied["events"].as_array().unwrap().iter().filter(|e| e["data"]["method"] == "client_credentials");
    assert_eq!(robot.count(), 1, "{denied}");
    expect_problem(
        srv.put(&format!("/api/v1/access-policies/{default_id}"), &json!({"name": "renamed"})).await,
        400,
        "validation",
    )
    .await;
    expect_problem(srv.delete(&format!("/api/v1/access-policies/{default_id}")).await, 409, "conflict").await;

    // Removing a policy sends its users back to the default.
    expect(srv.delete(&format!("/api/v1/access-policies/{office_id}")).await, 204).await;
    let ann = expect(srv.get(&format!("/api/v1/users/{id}")).await, 200).await;
    assert!(ann["access_policy_id"].is_null());
    assert_eq!(login(srv, "ann", PASSWORD).await.status(), 403, "now under the closed default");
    let other = json!({"access_policy_id": uuid::Uuid::new_v4()});
    expect_problem(srv.put(&format!("/api/v1/users/{id}/access-policy"), &other).await, 404, "access_policy.not_found")
        .await;
});
