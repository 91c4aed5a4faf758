//! A tenant's key sees and changes nothing of another tenant: ids of another tenant are 404.

use crate::*;
use reqwest::Method;

both!(tenants_are_isolated, |srv: &TestServer| async move {
    let a_user = srv.user(json!({"user_name": "shared-name", "email": "same@example.com"})).await;
    let a_group = srv.group("Shared").await;
    srv.directory.create_tenant("other").await.unwrap();
    let b_op = srv.directory.operator("other").await.unwrap();
    let (_, b_key) = srv.directory.create_api_key(&b_op, "test", "admin", None).await.unwrap();
    let as_b = |m: Method, p: &str| srv.client.request(m, srv.url(p)).bearer_auth(&b_key);

    // The same names are free in another tenant.
    let b_user = expect(
        as_b(Method::POST, "/api/v1/users")
            .json(&json!({"user_name": "shared-name", "email": "same@example.com"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(b_user["number"], 1, "numbers are per tenant");

    let uid = a_user["id"].as_str().unwrap();
    let gid = a_group["id"].as_str().unwrap();
    for (m, p) in [
        (Method::GET, format!("/api/v1/users/{uid}")),
        (Method::DELETE, format!("/api/v1/users/{uid}")),
        (Method::POST, format!("/api/v1/users/{uid}/restore")),
        (Method::GET, format!("/api/v1/users/{uid}/groups")),
        (Method::GET, format!("/api/v1/groups/{gid}")),
        (Method::GET, format!("/api/v1/groups/{gid}/members")),
        (Method::DELETE, format!("/api/v1/groups/{gid}?permanent=true")),
    ] {
        let body = expect(as_b(m.clone(), &p).send().await.unwrap(), 404).await;
        assert!(body["code"].as_str().unwrap().ends_with("not_found"), "{m} {p}: {body}");
    }
    expect(
        as_b(Method::PUT, &format!("/api/v1/users/{uid}")).json(&json!({"user_name": "taken"})).send().await.unwrap(),
        404,
    )
    .await;
    expect(
        as_b(Method::PATCH, &format!("/api/v1/users/{uid}"))
            .header("content-type", "application/merge-patch+json")
            .body("{}")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // B cannot put its user into A's group, nor A's user into its own group.
    let b_group =
        expect(as_b(Method::POST, "/api/v1/groups").json(&json!({"name": "B"})).send().await.unwrap(), 201).await;
    expect(
        as_b(Method::POST, &format!("/api/v1/groups/{gid}/members"))
            .json(&json!({"kind": "user", "id": b_user["id"]}))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    expect(
        as_b(Method::POST, &format!("/api/v1/groups/{}/members", b_group["id"].as_str().unwrap()))
            .json(&json!({"kind": "user", "id": uid}))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // Listings show only the caller's tenant.
    let b_list = expect(as_b(Method::GET, "/api/v1/principals").send().await.unwrap(), 200).await;
    assert_eq!(ids(&b_list).len(), 2);
    assert!(!ids(&b_list).contains(&uid.to_owned()));
    // And A's records are untouched.
    assert_eq!(expect(srv.get(&format!("/api/v1/users/{uid}")).await, 200).await, a_user);
});
