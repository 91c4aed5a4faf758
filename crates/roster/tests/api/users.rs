//! `/api/v1/users/{id}`: create, read, replace, patch, soft delete, restore, hard delete, ETags.

use crate::*;

both!(lifecycle, |srv: &TestServer| async move {
    let u = srv.user(json!({"user_name": "Alice", "email": "Alice@Example.com", "claims": {"dept": "sales"}})).await;
    let id = u["id"].as_str().unwrap().to_owned();
    assert_eq!(u["version"], 1);
    assert_eq!(u["status"], "active");
    assert_eq!(u["number"], 1);
    let path = format!("/api/v1/users/{id}");

    let resp = srv.get(&path).await;
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let got = expect(resp, 200).await;
    assert_eq!(got, u);

    // PUT replaces: attributes left out become empty.
    let put = expect(srv.put(&path, &json!({"user_name": "alice", "display_name": "Alice A"})).await, 200).await;
    assert_eq!(put["display_name"], "Alice A");
    assert_eq!(put["email"], Value::Null);
    assert_eq!(put["claims"], json!({}));
    assert_eq!(put["version"], 2);
    assert_eq!(put["created"], u["created"]);

    // JSON Patch.
    let patched = expect(
        srv.patch(
            &path,
            "application/json-patch+json",
            &json!([
                {"op": "add", "path": "/email", "value": "alice@example.com"},
                {"op": "add", "path": "/claims/address", "value": {"city": "Paris"}},
                {"op": "test", "path": "/user_name", "value": "alice"}
            ]),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(patched["email"], "alice@example.com");
    assert_eq!(patched["claims"]["address"]["city"], "Paris");
    assert_eq!(patched["version"], 3);

    // JSON Merge Patch: null removes.
    let merged = expect(
        srv.patch(&path, "application/merge-patch+json", &json!({"display_name": null, "guest": true})).await,
        200,
    )
    .await;
    assert_eq!(merged["display_name"], Value::Null);
    assert_eq!(merged["guest"], true);
    assert_eq!(merged["email"], "alice@example.com");

    // A failed JSON Patch test changes nothing.
    expect_problem(
        srv.patch(&path, "application/json-patch+json", &json!([{"op": "test", "path": "/user_name", "value": "bob"}]))
            .await,
        409,
        "conflict",
    )
    .await;
    // Read-only attributes cannot be patched.
    expect_problem(
        srv.patch(&path, "application/json-patch+json", &json!([{"op": "replace", "path": "/id", "value": "x"}])).await,
        400,
        "validation",
    )
    .await;
    assert_eq!(expect(srv.get(&path).await, 200).await["version"], 4);

    // Soft delete, then restore.
    let deleted = expect(srv.delete(&path).await, 200).await;
    assert!(deleted["deleted"].is_string());
    let listed = expect(srv.get("/api/v1/users").await, 200).await;
    assert!(ids(&listed).is_empty(), "soft-deleted users are not listed by default");
    let listed = expect(srv.get("/api/v1/users?deleted=only").await, 200).await;
    assert_eq!(ids(&listed), vec![id.clone()]);
    expect_problem(srv.put(&path, &json!({"user_name": "x"})).await, 409, "conflict").await;
    let restored = expect(srv.post(&format!("{path}/restore"), &json!(null)).await, 200).await;
    assert_eq!(restored["deleted"], Value::Null);

    // Hard delete.
    assert_eq!(srv.req(reqwest::Method::DELETE, &format!("{path}?permanent=true")).send().await.unwrap().status(), 204);
    expect_problem(srv.get(&path).await, 404, "user.not_found").await;
    expect_problem(srv.delete(&path).await, 404, "user.not_found").await;
});

both!(if_match, |srv: &TestServer| async move {
    let u = srv.user(json!({"user_name": "carol"})).await;
    let path = format!("/api/v1/users/{}", u["id"].as_str().unwrap());
    let with = |v: &str| {
        srv.req(reqwest::Method::PUT, &path)
            .header("if-match", v)
            .json(&json!({"user_name": "carol", "display_name": v}))
    };
    let ok = with("\"1\"").send().await.unwrap();
    assert_eq!(ok.headers()["etag"], "\"2\"");
    expect(ok, 200).await;
    // Stale.
    expect_problem(with("\"1\"").send().await.unwrap(), 412, "conflict.version").await;
    expect_problem(
        srv.req(reqwest::Method::PATCH, &path)
            .header("if-match", "\"1\"")
            .header("content-type", "application/merge-patch+json")
            .body("{}")
            .send()
            .await
            .unwrap(),
        412,
        "conflict.version",
    )
    .await;
    expect_problem(
        srv.req(reqwest::Method::DELETE, &path).header("if-match", "\"1\"").send().await.unwrap(),
        412,
        "conflict.version",
    )
    .await;
    // Weak form and * are accepted.
    expect(with("W/\"2\"").send().await.unwrap(), 200).await;
    expect(with("*").send().await.unwrap(), 200).await;
    expect_problem(with("garbage").send().await.unwrap(), 400, "request.if_match").await;
    assert_eq!(expect(srv.get(&path).await, 200).await["version"], 4);
});

both!(concurrent_patches_lose_nothing, |srv: &TestServer| async move {
    let u = srv.user(json!({"user_name": "dave"})).await;
    let path = format!("/api/v1/users/{}", u["id"].as_str().unwrap());
    // 20 concurrent merge patches, each setting a different claim: without If-Match every one lands.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let req = srv
                .req(reqwest::Method::PATCH, &path)
                .header("content-type", "application/merge-patch+json")
                .body(json!({"claims": {format!("k{i}"): i}}).to_string());
            tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let after = expect(srv.get(&path).await, 200).await;
    for i in 0..20 {
        assert_eq!(after["claims"][format!("k{i}")], i, "patch {i} was lost: {after}");
    }
    assert_eq!(after["version"], 21);

    // With If-Match on the same version, exactly one of 20 wins and the others get 412.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let req = srv
                .req(reqwest::Method::PATCH, &path)
                .header("content-type", "application/merge-patch+json")
                .header("if-match", "\"21\"")
                .body(json!({"display_name": format!("n{i}")}).to_string());
            tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 19, "{statuses:?}");
    assert_eq!(expect(srv.get(&path).await, 200).await["version"], 22);
});

both!(uniqueness_and_validation, |srv: &TestServer| async move {
    srv.user(json!({"user_name": "erin", "email": "erin@example.com", "external_id": "e-1"})).await;
    for (body, field) in [
        (json!({"user_name": "ERIN"}), "user_name"),
        (json!({"user_name": "erin2", "email": "Erin@Example.COM"}), "email"),
        (json!({"user_name": "erin3", "external_id": "e-1"}), "external_id"),
    ] {
        let p = expect_problem(srv.post("/api/v1/users", &body).await, 409, "conflict.unique").await;
        assert!(p["detail"].as_str().unwrap().contains(field), "{p}");
    }
    let p = expect_problem(
        srv.post("/api/v1/users", &json!({"user_name": "", "email": "nope", "claims": [1], "status": "invited"})).await,
        400,
        "validation",
    )
    .await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["user_name", "email", "status", "claims"]);
    let list = expect(srv.get("/api/v1/users?count=true").await, 200).await;
    assert_eq!(list["total"], 1);
});

both!(projection, |srv: &TestServer| async move {
    let u = srv.user(json!({"user_name": "fay", "email": "fay@example.com"})).await;
    let path = format!("/api/v1/users/{}", u["id"].as_str().unwrap());
    let only = expect(srv.get(&format!("{path}?fields=user_name,email")).await, 200).await;
    assert_eq!(only, json!({"id": u["id"], "user_name": "fay", "email": "fay@example.com"}));
    let without = expect(srv.get(&format!("{path}?exclude_fields=claims,email")).await, 200).await;
    assert!(without.get("claims").is_none() && without.get("email").is_none() && without.get("user_name").is_some());
    expect_problem(srv.get(&format!("{path}?fields=password")).await, 400, "validation").await;
});

both!(guests_are_promoted_once, |srv: &TestServer| async move {
    let guest = srv.user(json!({"user_name": "visitor", "guest": true})).await;
    let id = guest["id"].as_str().unwrap();
    let promoted = expect(srv.post(&format!("/api/v1/users/{id}/promote"), &json!({})).await, 200).await;
    assert_eq!((promoted["guest"].clone(), promoted["version"].clone()), (json!(false), json!(2)));
    expect_problem(srv.post(&format!("/api/v1/users/{id}/promote"), &json!({})).await, 409, "conflict").await;
});

both!(activation_and_email_confirmation_are_stamped_once, |srv: &TestServer| async move {
    let u = srv.user(json!({"user_name": "stamp", "email": "stamp@example.com"})).await;
    let id = u["id"].as_str().unwrap();
    let path = format!("/api/v1/users/{id}");
    assert!(u["activated"].is_string(), "{u}");
    assert_eq!(u["email_confirmed"], Value::Null);
    let patch = |body: Value| {
        let path = path.clone();
        async move { expect(srv.patch(&path, "application/merge-patch+json", &body).await, 200).await }
    };
    let confirmed = patch(json!({"email_verified": true})).await;
    let stamp = confirmed["email_confirmed"].clone();
    assert!(stamp.is_string(), "{confirmed}");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    // Later writes keep both stamps; leaving the active state keeps the activation.
    let later = patch(json!({"display_name": "Stamp", "status": "suspended"})).await;
    assert_eq!((later["email_confirmed"].clone(), later["activated"].clone()), (stamp, u["activated"].clone()));
    // An email no longer verified is no longer confirmed.
    assert_eq!(patch(json!({"email_verified": false})).await["email_confirmed"], Value::Null);
    // An invited user was never active.
    let invited = expect(srv.post("/api/v1/invitations", &json!({"email": "inv@example.com"})).await, 201).await;
    assert_eq!(invited["activated"], Value::Null);
});

both!(lookalike_user_names_are_one_name_or_none, |srv: &TestServer| async move {
    srv.user(json!({"user_name": "admin"})).await;
    // Width and case are mapped away (RFC 8265, UsernameCaseMapped): the same name is taken.
    for twin in ["ａｄｍｉｎ", "ADMIN", "Ａdmin"] {
        expect_problem(srv.post("/api/v1/users", &json!({"user_name": twin})).await, 409, "conflict.unique").await;
    }
    // Invisible and direction-changing characters make no name at all.
    for bad in ["\u{202e}admin", "admin\u{200b}", "\u{feff}admin", "ad\u{00ad}min"] {
        let p = expect_problem(srv.post("/api/v1/users", &json!({"user_name": bad})).await, 400, "validation").await;
        assert_eq!(p["errors"][0]["field"], "user_name", "{bad:?}: {p}");
    }
    // SCIM, a face like any other, is told the same.
    let scim = srv.req(reqwest::Method::POST, "/scim/v2/Users").header("content-type", "application/scim+json");
    let r = scim.body(json!({"userName": "ａｄｍｉｎ"}).to_string()).send().await.unwrap();
    assert_eq!(r.status(), 409);
    // The fullwidth form signs in as the one user, and names with spaces and accents are fine.
    let zoe = srv.user(json!({"user_name": "Zoë Quinn"})).await;
    let id = zoe["id"].as_str().unwrap();
    expect(srv.post(&format!("/api/v1/users/{id}/password"), &json!({"password": PASSWORD})).await, 204).await;
    expect(login(srv, "ZOË QUINN", PASSWORD).await, 200).await;
    expect(login(srv, "Zoe\u{308} Quinn", PASSWORD).await, 200).await;
});
