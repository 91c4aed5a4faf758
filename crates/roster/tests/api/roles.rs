//! `/api/v1/roles`, `/api/v1/users/{id}/roles` and `/api/v1/groups/{id}/roles`: roles held
//! directly and through nested groups, and who may hand them out.

use crate::*;
use reqwest::Method;

async fn as_token(srv: &TestServer, token: &str, method: Method, path: &str) -> reqwest::Response {
    srv.client.request(method, srv.url(path)).bearer_auth(token).send().await.unwrap()
}

both!(group_roles_reach_nested_members_at_once, |srv: &TestServer| async move {
    let catalogue = expect(srv.get("/api/v1/roles").await, 200).await;
    let admin = catalogue.as_array().unwrap().iter().find(|r| r["name"] == "admin").unwrap();
    assert_eq!(admin["administrative"], true);
    assert!(admin["permissions"].as_array().unwrap().contains(&json!("users:write")));

    let rita = person(srv, "rita").await;
    let rita_token = token(srv, "rita").await;
    expect_problem(as_token(srv, &rita_token, Method::GET, "/api/v1/users").await, 403, "auth.forbidden").await;
    let readers = srv.group("readers").await["id"].as_str().unwrap().to_owned();
    let team = srv.group("team").await["id"].as_str().unwrap().to_owned();
    srv.post(&format!("/api/v1/groups/{readers}/members"), &json!({"kind": "group", "id": team})).await;
    srv.post(&format!("/api/v1/groups/{team}/members"), &json!({"kind": "user", "id": rita})).await;
    let roles = expect(srv.put(&format!("/api/v1/groups/{readers}/roles/reader"), &json!({})).await, 200).await;
    assert_eq!(roles, json!({"direct": ["reader"], "effective": ["reader"]}));
    // The same token: roles are read on every request.
    expect(as_token(srv, &rita_token, Method::GET, "/api/v1/users").await, 200).await;
    let mine = expect(srv.get(&format!("/api/v1/users/{rita}/roles")).await, 200).await;
    assert_eq!(mine, json!({"direct": [], "effective": ["regular", "reader"]}));
    assert_eq!(
        expect(srv.get(&format!("/api/v1/groups/{team}/roles")).await, 200).await["effective"],
        json!(["reader"])
    );
    // A new token lists the roles.
    let fresh = token(srv, "rita").await;
    let claims = jwt_claims(&fresh);
    assert_eq!(claims["roles"], json!(["regular", "reader"]));

    // A soft-deleted group passes nothing on; restored, it does again.
    expect(srv.delete(&format!("/api/v1/groups/{readers}")).await, 200).await;
    expect_problem(as_token(srv, &rita_token, Method::GET, "/api/v1/users").await, 403, "auth.forbidden").await;
    expect(srv.post(&format!("/api/v1/groups/{readers}/restore"), &json!({})).await, 200).await;
    expect(as_token(srv, &rita_token, Method::GET, "/api/v1/users").await, 200).await;
    // Leaving the group takes the role away.
    let r = srv.delete(&format!("/api/v1/groups/{team}/members/users/{rita}")).await;
    assert_eq!(r.status(), 204);
    expect_problem(as_token(srv, &rita_token, Method::GET, "/api/v1/users").await, 403, "auth.forbidden").await;

    // Direct roles, taken away again.
    expect(srv.put(&format!("/api/v1/users/{rita}/roles/reader"), &json!({})).await, 200).await;
    expect(as_token(srv, &rita_token, Method::GET, "/api/v1/users").await, 200).await;
    assert_eq!(srv.delete(&format!("/api/v1/users/{rita}/roles/reader")).await.status(), 204);
    expect_problem(srv.delete(&format!("/api/v1/users/{rita}/roles/reader")).await, 404, "role.not_assigned").await;
    expect_problem(as_token(srv, &rita_token, Method::GET, "/api/v1/users").await, 403, "auth.forbidden").await;
    expect_problem(srv.put(&format!("/api/v1/users/{rita}/roles/owner"), &json!({})).await, 400, "validation").await;
    let nobody = uuid::Uuid::now_v7();
    expect_problem(srv.put(&format!("/api/v1/users/{nobody}/roles/reader"), &json!({})).await, 404, "user.not_found")
        .await;
});

both!(only_tenant_admins_hand_out_administrative_roles, |srv: &TestServer| async move {
    let op = srv.directory.operator("default").await.unwrap();
    let (_, admin_key) = srv.directory.create_api_key(&op, "admin", "admin", None).await.unwrap();
    let ava = person(srv, "ava").await;
    let put = |role: &str| {
        let req = srv.client.put(srv.url(&format!("/api/v1/users/{ava}/roles/{role}"))).bearer_auth(&admin_key);
        async move { req.send().await.unwrap() }
    };
    // An admin (rank ADMIN) grants reading, but not administration.
    expect(put("reader").await, 200).await;
    expect_problem(put("admin").await, 403, "auth.forbidden").await;
    expect_problem(put("user-admin").await, 403, "auth.forbidden").await;
    // A super-admin (rank SUPER) makes admins; the new admin's token can now write.
    expect(srv.put(&format!("/api/v1/users/{ava}/roles/admin"), &json!({})).await, 200).await;
    let ava_token = token(srv, "ava").await;
    let made = srv.client.post(srv.url("/api/v1/users")).bearer_auth(&ava_token).json(&json!({"user_name": "by-ava"}));
    expect(made.send().await.unwrap(), 201).await;
    // Whose token is it? Ranks are not self-service: ava cannot make herself super-admin.
    let escalate = srv.client.put(srv.url(&format!("/api/v1/users/{ava}/roles/super-admin"))).bearer_auth(&ava_token);
    expect_problem(escalate.send().await.unwrap(), 403, "auth.forbidden").await;
});
