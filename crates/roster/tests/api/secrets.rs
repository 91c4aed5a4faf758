//! `/api/v1/secrets`: values sealed at rest and read only by owners (each read recorded), owners
//! added and removed (never the last), and the rule that a secret's only owner cannot be deleted
//! while a co-owner can, leaving the secret to the others.

use crate::*;

async fn read_value(srv: &TestServer, token: &str, id: &str) -> reqwest::Response {
    srv.client.get(srv.url(&format!("/api/v1/secrets/{id}/value"))).bearer_auth(token).send().await.unwrap()
}

both!(owners_read_values_and_sole_owners_stay, |srv: &TestServer| async move {
    let (ann, bob, cy) = (person(srv, "ann").await, person(srv, "bob").await, person(srv, "cy").await);

    // An API key must name owners; each must be a user of the tenant.
    let r = srv.post("/api/v1/secrets", &json!({"name": "db", "value": "hunter2"})).await;
    expect_problem(r, 400, "validation").await;
    let r =
        srv.post("/api/v1/secrets", &json!({"name": "db", "value": "hunter2", "owners": [uuid::Uuid::new_v4()]})).await;
    expect_problem(r, 404, "user.not_found").await;
    let r = srv.post("/api/v1/secrets", &json!({"name": "db", "value": "", "owners": [ann]})).await;
    expect_problem(r, 400, "validation").await;
    assert_eq!(expect(srv.get("/api/v1/secrets").await, 200).await["items"], json!([]), "nothing stored");

    let shared = expect(
        srv.post("/api/v1/secrets", &json!({"name": "db", "value": "hunter2", "owners": [ann, bob]})).await,
        201,
    )
    .await;
    assert!(shared.get("value").is_none() && !shared.to_string().contains("hunter2"));
    assert_eq!(shared["owners"], json!([ann, bob]));
    let shared_id = shared["id"].as_str().unwrap();
    let r = srv.post("/api/v1/secrets", &json!({"name": "DB", "value": "x", "owners": [ann]})).await;
    expect_problem(r, 409, "conflict.unique").await;
    // Sealed at rest: the stored bytes do not hold the value.
    let stored = srv
        .directory
        .store()
        .secret(srv.directory.operator("default").await.unwrap().tenant_id, shared_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.sealed_value.windows(7).any(|w| w == b"hunter2"));

    // Owners read the value, and each read is recorded; others, keys included, cannot.
    let (ann_token, cy_token) = (token(srv, "ann").await, token(srv, "cy").await);
    assert_eq!(expect(read_value(srv, &ann_token, shared_id).await, 200).await["value"], "hunter2");
    assert_eq!(read_value(srv, &cy_token, shared_id).await.status(), 403);
    assert_eq!(srv.get(&format!("/api/v1/secrets/{shared_id}/value")).await.status(), 403);
    let reads = expect(srv.get("/api/v1/events?event_type=SECRET_READ").await, 200).await;
    let reads = reads["events"].as_array().unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["actor"]["display_id"], "ann");
    assert!(!reads[0].to_string().contains("hunter2"));

    // A signed-in admin who stores a secret owns it.
    let op = srv.directory.operator("default").await.unwrap();
    srv.directory
        .assign_role(
            &op,
            roster_core::model::MemberRef { kind: roster_core::model::PrincipalKind::User, id: cy.parse().unwrap() },
            "admin",
        )
        .await
        .unwrap();
    let cy_token = token(srv, "cy").await;
    let r = srv
        .client
        .post(srv.url("/api/v1/secrets"))
        .bearer_auth(&cy_token)
        .json(&json!({"name": "cy-only", "value": "s3"}))
        .send()
        .await
        .unwrap();
    let solo = expect(r, 201).await;
    assert_eq!(solo["owners"], json!([cy]));
    let solo_id = solo["id"].as_str().unwrap();

    // The last owner stays; a non-owner is not found.
    let r = srv.delete(&format!("/api/v1/secrets/{solo_id}/owners/{cy}")).await;
    expect_problem(r, 409, "conflict").await;
    let r = srv.delete(&format!("/api/v1/secrets/{solo_id}/owners/{ann}")).await;
    expect_problem(r, 404, "secret.owner_not_found").await;

    // cy, the only owner of a secret, cannot be deleted, softly or for good; nothing changes.
    let p = expect_problem(srv.delete(&format!("/api/v1/users/{cy}")).await, 409, "conflict").await;
    assert!(p["detail"].as_str().unwrap().contains("only owner of 1 secret"), "{p}");
    expect_problem(srv.delete(&format!("/api/v1/users/{cy}?permanent=true")).await, 409, "conflict").await;
    assert!(expect(srv.get(&format!("/api/v1/users/{cy}")).await, 200).await["deleted"].is_null());
    // With a second owner, cy can go, and the secret stays with ann.
    expect(srv.post(&format!("/api/v1/secrets/{solo_id}/owners"), &json!({"user_id": ann})).await, 200).await;
    expect(srv.delete(&format!("/api/v1/users/{cy}?permanent=true")).await, 204).await;
    assert_eq!(expect(srv.get(&format!("/api/v1/secrets/{solo_id}")).await, 200).await["owners"], json!([ann]));
    // bob, a co-owner, is deleted for good and removed from the shared secret.
    expect(srv.delete(&format!("/api/v1/users/{bob}?permanent=true")).await, 204).await;
    assert_eq!(expect(srv.get(&format!("/api/v1/secrets/{shared_id}")).await, 200).await["owners"], json!([ann]));

    expect(srv.delete(&format!("/api/v1/secrets/{shared_id}")).await, 204).await;
    expect_problem(srv.get(&format!("/api/v1/secrets/{shared_id}")).await, 404, "secret.not_found").await;
    let changes = expect(srv.get("/api/v1/events?event_type=SECRET_CHANGE").await, 200).await;
    let actions: Vec<&str> =
        changes["events"].as_array().unwrap().iter().filter_map(|e| e["data"]["action"].as_str()).collect();
    assert!(
        actions.contains(&"OWNER_ADD") && actions.contains(&"DELETE") && actions.contains(&"CREATE"),
        "{actions:?}"
    );
});

both!(sealed_values_are_listed_and_replaced_only_if_unchanged, |srv: &TestServer| async move {
    use roster_core::store::SealedKind;
    let ann = person(srv, "ann").await;
    let made = srv.post("/api/v1/secrets", &json!({"name": "db", "value": "hunter2", "owners": [ann]})).await;
    let id = expect(made, 201).await["id"].as_str().unwrap().to_owned();
    expect(srv.post("/api/v1/invitations", &json!({"email": "queued@example.com"})).await, 201).await;
    let store = srv.directory.store();
    let values = store.sealed_values(SealedKind::SecretValue).await.unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].record, id);
    assert_eq!(store.sealed_values(SealedKind::SigningKey).await.unwrap().len(), 1);
    for kind in SealedKind::ALL {
        for v in store.sealed_values(kind).await.unwrap() {
            assert!(!String::from_utf8_lossy(&v.value).contains("hunter2"), "{kind:?}");
        }
    }
    // A compare-and-swap: the value read is replaced once; a stale read replaces nothing.
    let v = &values[0];
    assert!(store.replace_sealed(v, &v.value).await.unwrap());
    let stale = roster_core::store::SealedValue { value: b"not what is stored".to_vec(), ..v.clone() };
    assert!(!store.replace_sealed(&stale, b"x").await.unwrap());
    // Re-sealing under the same key finds everything current and changes nothing.
    let report = srv.directory.reseal_all().await.unwrap();
    assert_eq!((report.resealed, report.left), (0, 0), "{report:?}");
    assert!(report.current >= 2, "{report:?}");
    let token = token(srv, "ann").await;
    let r = srv.client.get(srv.url(&format!("/api/v1/secrets/{id}/value"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(expect(r, 200).await["value"], "hunter2");
});
