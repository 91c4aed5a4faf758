//! `/api/v1/groups/{id}/members` and the membership listings of users and groups.

use crate::*;

async fn add(srv: &TestServer, group: &Value, kind: &str, member: &Value) -> reqwest::Response {
    srv.post(
        &format!("/api/v1/groups/{}/members", group["id"].as_str().unwrap()),
        &json!({"kind": kind, "id": member["id"]}),
    )
    .await
}

both!(nested_membership_and_cycles, |srv: &TestServer| async move {
    let (a, b, c) = (srv.group("A").await, srv.group("B").await, srv.group("C").await);
    let ann = srv.user(json!({"user_name": "ann"})).await;
    let ben = srv.user(json!({"user_name": "ben"})).await;
    // ann in A, A in B, B in C; ben directly in C.
    assert_eq!(expect(add(srv, &a, "user", &ann).await, 200).await, json!({"added": true}));
    assert_eq!(expect(add(srv, &a, "user", &ann).await, 200).await, json!({"added": false}));
    expect(add(srv, &b, "group", &a).await, 200).await;
    expect(add(srv, &c, "group", &b).await, 200).await;
    expect(add(srv, &c, "user", &ben).await, 200).await;

    let members = |g: &Value, depth: &str| {
        let path = format!("/api/v1/groups/{}/members?depth={depth}&sort=name", g["id"].as_str().unwrap());
        async move { names(&expect(srv.get(&path).await, 200).await, "name") }
    };
    assert_eq!(members(&c, "direct").await, ["B", "ben"]);
    assert_eq!(members(&c, "indirect").await, ["A", "ann", "B", "ben"]);
    assert_eq!(members(&a, "indirect").await, ["ann"]);

    let groups_of_ann = |depth: &str| {
        let path = format!("/api/v1/users/{}/groups?depth={depth}&sort=name", ann["id"].as_str().unwrap());
        async move { names(&expect(srv.get(&path).await, 200).await, "name") }
    };
    assert_eq!(groups_of_ann("direct").await, ["A"]);
    assert_eq!(groups_of_ann("indirect").await, ["A", "B", "C"]);
    let of_a = expect(
        srv.get(&format!("/api/v1/groups/{}/groups?depth=indirect&sort=name", a["id"].as_str().unwrap())).await,
        200,
    )
    .await;
    assert_eq!(names(&of_a, "name"), ["B", "C"]);

    // Cycles: C into A (A in B in C), and a group into itself.
    expect_problem(add(srv, &a, "group", &c).await, 409, "group.cycle").await;
    expect_problem(add(srv, &a, "group", &a).await, 409, "group.cycle").await;
    expect_problem(add(srv, &b, "group", &c).await, 409, "group.cycle").await;
    assert_eq!(members(&a, "indirect").await, ["ann"]);

    // Filters apply to member listings.
    let users_only = expect(
        srv.get(&format!(
            "/api/v1/groups/{}/members?depth=indirect&filter={}",
            c["id"].as_str().unwrap(),
            q(r#"kind eq "user""#)
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(users_only["items"].as_array().unwrap().len(), 2);

    // Removal.
    let del = |g: &Value, kind: &str, m: &Value| {
        let path = format!("/api/v1/groups/{}/members/{kind}/{}", g["id"].as_str().unwrap(), m["id"].as_str().unwrap());
        async move { srv.delete(&path).await }
    };
    assert_eq!(del(&b, "groups", &a).await.status(), 204);
    assert_eq!(members(&c, "indirect").await, ["B", "ben"]);
    expect_problem(del(&b, "groups", &a).await, 404, "member.not_found").await;
    // Now C in A is allowed.
    expect(add(srv, &a, "group", &c).await, 200).await;

    // Unknown members and groups.
    expect_problem(add(srv, &a, "user", &json!({"id": uuid::Uuid::now_v7()})).await, 404, "user.not_found").await;
    expect_problem(
        srv.post(
            &format!("/api/v1/groups/{}/members", uuid::Uuid::now_v7()),
            &json!({"kind": "user", "id": ann["id"]}),
        )
        .await,
        404,
        "group.not_found",
    )
    .await;

    // Deleting a user for good removes its memberships.
    assert_eq!(
        srv.req(reqwest::Method::DELETE, &format!("/api/v1/users/{}?permanent=true", ann["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(members(&a, "direct").await.iter().all(|n| n != "ann"));
});
