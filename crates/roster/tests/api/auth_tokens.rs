//! `/api/v1/auth/*`, `/api/v1/me` and the well-known documents: sign-in, tokens, refresh
//! rotation, sign-out and revocation.

use crate::*;

async fn me(srv: &TestServer, token: &str) -> reqwest::Response {
    srv.client.get(srv.url("/api/v1/me")).bearer_auth(token).send().await.unwrap()
}

both!(sign_in_me_refresh_and_sign_out, |srv: &TestServer| async move {
    let id = person(srv, "nadia").await;
    let pair = expect(login(srv, "nadia", PASSWORD).await, 200).await;
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(expect(me(srv, &access).await, 200).await["id"], id.as_str());
    // Email, any case, works as the user name.
    expect(login(srv, "NADIA@example.com", PASSWORD).await, 200).await;

    // Failures look alike whatever failed.
    let wrong = expect_problem(login(srv, "nadia", "not-the-password").await, 401, "auth.unauthenticated").await;
    let unknown = expect_problem(login(srv, "nobody", PASSWORD).await, 401, "auth.unauthenticated").await;
    assert_eq!(wrong, unknown);
    assert_eq!(expect_problem(login(srv, "na\u{0}dia", PASSWORD).await, 401, "auth.unauthenticated").await, wrong);
    let in_other_tenant = srv
        .client
        .post(srv.url("/api/v1/auth/login"))
        .json(&json!({"tenant": "nope", "username": "nadia", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_problem(in_other_tenant, 401, "auth.unauthenticated").await, wrong);

    // A plain user token has self-service rights only.
    let listing = srv.client.get(srv.url("/api/v1/users")).bearer_auth(&access).send().await.unwrap();
    expect_problem(listing, 403, "auth.forbidden").await;
    // A tampered token is refused.
    let mut tampered = access.clone().into_bytes();
    let n = tampered.len() - 5;
    tampered[n] = if tampered[n] == b'A' { b'B' } else { b'A' };
    expect_problem(me(srv, &String::from_utf8(tampered).unwrap()).await, 401, "auth.unauthenticated").await;

    // Refresh rotates; the old refresh token is then spent, and replaying it ends the session.
    let renewed = expect(srv.post("/api/v1/auth/refresh", &json!({"refresh_token": refresh})).await, 200).await;
    let access2 = renewed["access_token"].as_str().unwrap().to_owned();
    let refresh2 = renewed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh2, refresh);
    expect(me(srv, &access2).await, 200).await;
    expect_problem(
        srv.post("/api/v1/auth/refresh", &json!({"refresh_token": refresh})).await,
        401,
        "auth.unauthenticated",
    )
    .await;
    expect_problem(me(srv, &access2).await, 401, "auth.unauthenticated").await;
    expect_problem(
        srv.post("/api/v1/auth/refresh", &json!({"refresh_token": refresh2})).await,
        401,
        "auth.unauthenticated",
    )
    .await;

    // Sign-out ends the session at once.
    let pair = expect(login(srv, "nadia", PASSWORD).await, 200).await;
    let access = pair["access_token"].as_str().unwrap();
    let out = srv.client.post(srv.url("/api/v1/auth/logout")).bearer_auth(access).send().await.unwrap();
    assert_eq!(out.status(), 204);
    expect_problem(me(srv, access).await, 401, "auth.unauthenticated").await;
    expect_problem(
        srv.post("/api/v1/auth/refresh", &json!({"refresh_token": pair["refresh_token"]})).await,
        401,
        "auth.unauthenticated",
    )
    .await;
    // An API key is no user.
    expect_problem(srv.get("/api/v1/me").await, 404, "user.not_found").await;
});

both!(revocation_by_state_and_password, |srv: &TestServer| async move {
    let id = person(srv, "omar").await;
    let path = format!("/api/v1/users/{id}");
    let token = |pair: &Value| pair["access_token"].as_str().unwrap().to_owned();

    // Suspension revokes, and reactivation does not bring the old token back.
    let t = token(&expect(login(srv, "omar", PASSWORD).await, 200).await);
    expect(srv.patch(&path, "application/merge-patch+json", &json!({"status": "suspended"})).await, 200).await;
    expect_problem(me(srv, &t).await, 401, "auth.unauthenticated").await;
    expect_problem(login(srv, "omar", PASSWORD).await, 403, "auth.forbidden").await;
    expect_problem(login(srv, "omar", "wrong-password-here").await, 401, "auth.unauthenticated").await;
    expect(srv.patch(&path, "application/merge-patch+json", &json!({"status": "active"})).await, 200).await;
    expect_problem(me(srv, &t).await, 401, "auth.unauthenticated").await;

    // Quarantine and deactivation likewise.
    for status in ["quarantined", "deactivated"] {
        let t = token(&expect(login(srv, "omar", PASSWORD).await, 200).await);
        expect(srv.patch(&path, "application/merge-patch+json", &json!({"status": status})).await, 200).await;
        expect_problem(me(srv, &t).await, 401, "auth.unauthenticated").await;
        expect(
            srv.patch(&path, "application/merge-patch+json", &json!({"status": "active", "inactive_reason": null}))
                .await,
            200,
        )
        .await;
    }

    // A new password revokes tokens issued before it.
    let t = token(&expect(login(srv, "omar", PASSWORD).await, 200).await);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(
        srv.post(&format!("{path}/password"), &json!({"password": "another-fine-passphrase-7"})).await.status(),
        204
    );
    expect_problem(me(srv, &t).await, 401, "auth.unauthenticated").await;
    expect_problem(login(srv, "omar", PASSWORD).await, 401, "auth.unauthenticated").await;

    // Soft deletion revokes too.
    let t = token(&expect(login(srv, "omar", "another-fine-passphrase-7").await, 200).await);
    expect(srv.delete(&path).await, 200).await;
    expect_problem(me(srv, &t).await, 401, "auth.unauthenticated").await;
});

both!(change_own_password, |srv: &TestServer| async move {
    person(srv, "rhea").await;
    let access = expect(login(srv, "rhea", PASSWORD).await, 200).await["access_token"].as_str().unwrap().to_owned();
    let change = |current: &str, new: &str| {
        let req = srv
            .client
            .post(srv.url("/api/v1/me/password"))
            .bearer_auth(&access)
            .json(&json!({"current_password": current, "new_password": new}));
        async move { req.send().await.unwrap() }
    };
    let wrong = expect_problem(change("not-it", "lilac-granite-thimble-3").await, 400, "validation").await;
    assert_eq!(wrong["errors"][0]["field"], "current_password");
    let weak = expect_problem(change(PASSWORD, "rhea12345678").await, 400, "validation").await;
    assert!(weak["errors"].to_string().contains("user name"), "{weak}");
    expect_problem(change(PASSWORD, PASSWORD).await, 400, "validation").await;
    assert_eq!(change(PASSWORD, "lilac-granite-thimble-3").await.status(), 204);
    // The session ended; the new password signs in and the old one does not.
    expect_problem(me(srv, &access).await, 401, "auth.unauthenticated").await;
    expect_problem(login(srv, "rhea", PASSWORD).await, 401, "auth.unauthenticated").await;
    expect(login(srv, "rhea", "lilac-granite-thimble-3").await, 200).await;
    // API keys have no own password.
    let r = srv.post("/api/v1/me/password", &json!({"current_password": "a", "new_password": "b"})).await;
    expect_problem(r, 404, "user.not_found").await;
});

both!(well_known_documents, |srv: &TestServer| async move {
    let conf = expect(srv.client.get(srv.url("/.well-known/openid-configuration")).send().await.unwrap(), 200).await;
    assert_eq!(conf["issuer"], srv.base.as_str());
    assert_eq!(conf["jwks_uri"], format!("{}/.well-known/jwks.json", srv.base));
    let jwks = expect(srv.client.get(srv.url("/.well-known/jwks.json")).send().await.unwrap(), 200).await;
    let key = &jwks["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
        (Some("EC"), Some("P-256"), Some("ES256"))
    );
    assert!(key.get("d").is_none(), "the private half is never published");
    person(srv, "pia").await;
    let access = expect(login(srv, "pia", PASSWORD).await, 200).await["access_token"].as_str().unwrap().to_owned();
    // The token names a published key and carries the documented claims.
    let (header, claims) = (jwt_part(&access, 0), jwt_claims(&access));
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], key["kid"]);
    assert_eq!(claims["iss"], srv.base.as_str());
    assert_eq!(claims["sub"], "pia");
    assert_eq!(claims["aud"], "roster");
    assert_eq!(claims["tenant"], "default");
    assert_eq!(claims["roles"], json!(["regular"]));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
});

#[tokio::test]
async fn expired_tokens_are_refused() {
    let srv = TestServer::start_with(roster_testkit::Backend::Sqlite, |c| c.access_token_ttl = 1).await.unwrap();
    person(&srv, "quinn").await;
    let access = expect(login(&srv, "quinn", PASSWORD).await, 200).await["access_token"].as_str().unwrap().to_owned();
    expect(me(&srv, &access).await, 200).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    expect_problem(me(&srv, &access).await, 401, "auth.unauthenticated").await;
    srv.stop().await;
}

#[tokio::test]
async fn the_subject_can_be_the_user_id() {
    let srv = TestServer::start_with(roster_testkit::Backend::Sqlite, |c| {
        c.token_subject = roster::config::TokenSubject::Id;
    })
    .await
    .unwrap();
    let id = person(&srv, "sol").await;
    let claims = jwt_claims(&token(&srv, "sol").await);
    assert_eq!(claims["sub"], id.as_str());
    srv.stop().await;
}

/// Seals nothing: makes a key the way keys were stored before they were sealed.
struct Plain;
impl roster_core::connectors::Sealer for Plain {
    fn seal(&self, plain: &[u8], _: &[u8]) -> Vec<u8> {
        plain.to_vec()
    }
    fn open(&self, sealed: &[u8], _: &[u8]) -> Result<Vec<u8>, String> {
        Ok(sealed.to_vec())
    }
}

both!(signing_keys_are_sealed_at_rest, |srv: &TestServer| async move {
    let store = srv.directory.store().clone();
    // The key the server made is stored sealed: format version 1, key id, nonce, then the
    // ciphertext of the PKCS#8 document (DER would begin with 0x30).
    let stored = store.signing_keys().await.unwrap();
    assert!(!stored.is_empty());
    for k in &stored {
        assert_eq!(k.private_key[0], 1, "{}", k.kid);
    }
    // A key written in the clear (by an older version) is sealed when a server starts, and signs.
    let legacy = roster_crypto::generate_key(&Plain).unwrap();
    assert_eq!(legacy.private_key[0], 0x30);
    store.insert_signing_key(&legacy).await.unwrap();
    store.retire_signing_keys(&legacy.kid, roster_core::model::now()).await.unwrap();
    let secret = std::sync::Arc::new(roster_crypto::SecretKey::generate());
    let settings = roster_core::token::TokenSettings::default();
    let service = roster_crypto::JwtService::start(store.clone(), secret, settings.clone()).await.unwrap();
    let resealed = store.signing_keys().await.unwrap().into_iter().find(|k| k.kid == legacy.kid).unwrap();
    assert_eq!(resealed.private_key[0], 1);
    assert_ne!(resealed.private_key, legacy.private_key);
    use roster_core::token::TokenService;
    let now = chrono::Utc::now().timestamp();
    let claims: roster_core::token::AccessClaims = serde_json::from_value(json!({
        "iss": settings.issuer, "aud": settings.audience, "sub": "ann", "exp": now + 60, "iat": now,
        "jti": "j1", "tenant": "default", "uid": uuid::Uuid::nil(), "tid": uuid::Uuid::nil(),
        "sid": uuid::Uuid::nil(), "roles": []
    }))
    .unwrap();
    let token = service.sign(&claims).await.unwrap();
    assert_eq!(jwt_part(&token, 0)["kid"], legacy.kid.as_str(), "the resealed key signs");
    assert_eq!(service.verify(&token).await.unwrap().sub, "ann");
});
