//! `/api/v1/users/{id}/device-binding`, `/api/v1/device-binding`, `/api/v1/users/{id}/devices`,
//! `/api/v1/me/devices` and `/api/v1/auth/device/*`: binding device keys through a mailed link
//! and signing in with them.

use crate::*;
use base64::Engine;
use ed25519_dalek::pkcs8::EncodePublicKey;
use ed25519_dalek::Signer;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn public(srv: &TestServer, path: &str, body: Value) -> reqwest::Response {
    srv.client.post(srv.url(path)).json(&body).send().await.unwrap()
}

/// Asks for a challenge and signs it with `sign`; answers the sign-in response.
async fn device_sign_in(srv: &TestServer, credential: &str, sign: impl Fn(&[u8]) -> Vec<u8>) -> reqwest::Response {
    let c = expect(public(srv, "/api/v1/auth/device/challenge", json!({"credential_id": credential})).await, 200).await;
    assert_eq!(c["expires_in"], 120);
    let text = c["challenge"].as_str().unwrap();
    assert!(text.starts_with("roster-device-sign-in."), "{text}");
    let body = json!({"challenge_id": c["challenge_id"], "signature": b64(&sign(text.as_bytes()))});
    public(srv, "/api/v1/auth/device/token", body).await
}

both!(bind_sign_in_list_and_revoke, |srv: &TestServer| async move {
    let uid = person(srv, "dora").await;
    let link = format!("/api/v1/users/{uid}/device-binding");
    expect(srv.post(&link, &json!({})).await, 202).await;
    // A link can be taken back before use.
    let revoked = srv.wait_for_mail(1).await[0].token();
    expect(srv.delete(&link).await, 204).await;
    expect_problem(srv.delete(&link).await, 404, "link.not_found").await;
    let show = srv.client.get(srv.url(&format!("/api/v1/device-binding?token={revoked}"))).send().await.unwrap();
    expect_problem(show, 400, "link.invalid").await;
    let sent = expect(srv.post(&link, &json!({})).await, 202).await;
    assert!(sent["expires"].is_string());
    let mail = &srv.wait_for_mail(2).await[1..];
    assert_eq!((mail[0].to.as_str(), mail[0].subject.as_str()), ("dora@example.com", "Set up your device for default"));
    assert!(mail[0].link().starts_with(&format!("{}/api/v1/device-binding?token=", srv.base)));
    let info = expect(srv.client.get(mail[0].link()).send().await.unwrap(), 200).await;
    assert_eq!((info["purpose"].as_str(), info["user_name"].as_str()), (Some("device_binding"), Some("dora")));

    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key.verifying_key().to_public_key_pem(Default::default()).unwrap();
    // A key that is not a public key is refused by name, and the link stays good.
    let bad =
        public(srv, "/api/v1/device-binding", json!({"token": mail[0].token(), "name": "x", "public_key": "nope"}))
            .await;
    assert_eq!(expect_problem(bad, 400, "validation").await["errors"][0]["field"], "public_key");
    let bind = json!({"token": mail[0].token(), "name": "Dora's laptop", "public_key": pem});
    let device = expect(public(srv, "/api/v1/device-binding", bind.clone()).await, 201).await;
    assert_eq!(device["algorithm"], "Ed25519");
    assert_eq!(device["user_id"], uid.as_str());
    let did = device["id"].as_str().unwrap().to_owned();
    expect_problem(public(srv, "/api/v1/device-binding", bind).await, 400, "link.invalid").await;

    // The signed challenge gets the same tokens as a password.
    let pair = expect(device_sign_in(srv, &did, |m| key.sign(m).to_bytes().to_vec()).await, 200).await;
    let access = pair["access_token"].as_str().unwrap();
    assert!(pair["refresh_token"].is_string());
    assert_eq!(jwt_claims(access)["sub"], "dora");
    let mine = srv.client.get(srv.url("/api/v1/me/devices")).bearer_auth(access).send().await.unwrap();
    let mine = expect(mine, 200).await;
    assert_eq!(ids(&mine), vec![did.clone()]);
    assert!(mine["items"][0]["last_used"].is_string());

    // Another key's signature, a replayed challenge, a made-up challenge: 401 each.
    let other = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    expect_problem(device_sign_in(srv, &did, |m| other.sign(m).to_bytes().to_vec()).await, 401, "auth.unauthenticated")
        .await;
    let c = expect(public(srv, "/api/v1/auth/device/challenge", json!({"credential_id": did})).await, 200).await;
    let sig = b64(&key.sign(c["challenge"].as_str().unwrap().as_bytes()).to_bytes());
    let answer = json!({"challenge_id": c["challenge_id"], "signature": sig});
    expect(public(srv, "/api/v1/auth/device/token", answer.clone()).await, 200).await;
    expect_problem(public(srv, "/api/v1/auth/device/token", answer).await, 401, "auth.unauthenticated").await;
    let unknown = json!({"credential_id": uuid::Uuid::now_v7()});
    expect_problem(public(srv, "/api/v1/auth/device/challenge", unknown).await, 401, "auth.unauthenticated").await;

    // Revoked: no more challenges, and the user sees it revoked.
    expect(srv.delete(&format!("/api/v1/users/{uid}/devices/{did}")).await, 204).await;
    expect_problem(srv.delete(&format!("/api/v1/users/{uid}/devices/{did}")).await, 404, "device.not_found").await;
    expect_problem(
        public(srv, "/api/v1/auth/device/challenge", json!({"credential_id": did})).await,
        401,
        "auth.unauthenticated",
    )
    .await;
    let listed = expect(srv.get(&format!("/api/v1/users/{uid}/devices")).await, 200).await;
    assert!(listed["items"][0]["revoked"].is_string());
});

both!(p256_keys_and_recovery_replace_old_links, |srv: &TestServer| async move {
    use p256::pkcs8::EncodePublicKey as _;
    let uid = person(srv, "pat").await;
    let path = format!("/api/v1/users/{uid}/device-binding");
    expect(srv.post(&path, &json!({})).await, 202).await;
    // Recovery: a fresh link, and the unused earlier one stops working.
    expect(srv.post(&path, &json!({})).await, 202).await;
    let mail = srv.wait_for_mail(2).await;
    let key = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    let pem = p256::PublicKey::from(key.verifying_key()).to_public_key_pem(Default::default()).unwrap();
    let stale = json!({"token": mail[0].token(), "name": "old phone", "public_key": pem});
    expect_problem(public(srv, "/api/v1/device-binding", stale).await, 400, "link.invalid").await;
    let fresh = json!({"token": mail[1].token(), "name": "new phone", "public_key": pem});
    let device = expect(public(srv, "/api/v1/device-binding", fresh).await, 201).await;
    assert_eq!(device["algorithm"], "ES256");
    let did = device["id"].as_str().unwrap();
    let sign = |m: &[u8]| {
        let s: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&key, m);
        s.to_der().as_bytes().to_vec()
    };
    expect(device_sign_in(srv, did, sign).await, 200).await;

    // A suspended user's device signs nobody in, and no binding link goes to it.
    let r = srv
        .patch(&format!("/api/v1/users/{uid}"), "application/merge-patch+json", &json!({"status": "suspended"}))
        .await;
    expect(r, 200).await;
    expect_problem(device_sign_in(srv, did, sign).await, 403, "auth.forbidden").await;
    expect_problem(srv.post(&path, &json!({})).await, 409, "conflict").await;
});
