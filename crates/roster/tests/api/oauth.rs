//! `/api/v1/oauth/token` and `/api/v1/users/{id}/client-secret`: application users get tokens
//! with the OAuth client credentials grant, in every form OAuth clients send it.

use crate::*;
use base64::Engine;

const TOKEN: &str = "/api/v1/oauth/token";

/// An application user with a client secret: (id, secret).
async fn client(srv: &TestServer, name: &str) -> (String, String) {
    let app = srv.user(json!({"user_name": name, "kind": "application"})).await;
    let id = app["id"].as_str().unwrap().to_owned();
    let creds = expect(srv.post(&format!("/api/v1/users/{id}/client-secret"), &json!({})).await, 200).await;
    assert_eq!(creds["client_id"], id.as_str());
    (id, creds["client_secret"].as_str().unwrap().to_owned())
}

fn form(srv: &TestServer, pairs: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let body = serde_urlencoded::to_string(pairs).unwrap();
    srv.client.post(srv.url(TOKEN)).header("content-type", "application/x-www-form-urlencoded").body(body)
}

/// A client credentials grant posted as a form.
async fn grant(srv: &TestServer, id: &str, secret: &str) -> reqwest::Response {
    form(srv, &[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)])
        .send()
        .await
        .unwrap()
}

async fn oauth_error(resp: reqwest::Response, status: u16, error: &str) -> Value {
    assert_eq!(resp.status(), status);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    if status == 401 {
        assert_eq!(resp.headers()["www-authenticate"], "Basic realm=\"roster\"");
    }
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

both!(client_credentials_in_every_form, |srv: &TestServer| async move {
    let (id, secret) = client(srv, "billing-sync").await;
    assert!(secret.len() >= 40);
    let grant = [("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", secret.as_str())];
    // client_secret_post as a form, as JSON (with MATTR's audience), and client_secret_basic.
    let r = form(srv, &grant).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let pair = expect(r, 200).await;
    assert_eq!((pair["token_type"].as_str(), pair["expires_in"].as_i64()), (Some("Bearer"), Some(900)));
    assert!(pair.get("refresh_token").is_none(), "{pair}");
    let claims = jwt_claims(pair["access_token"].as_str().unwrap());
    assert_eq!((claims["sub"].as_str(), claims["uid"].as_str()), (Some("billing-sync"), Some(id.as_str())));
    let json_body =
        json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "audience": "https://x"});
    expect(srv.client.post(srv.url(TOKEN)).json(&json_body).send().await.unwrap(), 200).await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    let r = form(srv, &[("grant_type", "client_credentials")]).header("authorization", format!("Basic {basic}"));
    let token = expect(r.send().await.unwrap(), 200).await["access_token"].as_str().unwrap().to_owned();

    // The token is the application user's: its roles decide what it may do.
    let me = srv.client.get(srv.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(expect(me, 200).await["kind"], "application");
    let list = || srv.client.get(srv.url("/api/v1/users")).bearer_auth(&token).send();
    expect_problem(list().await.unwrap(), 403, "auth.forbidden").await;
    expect(srv.put(&format!("/api/v1/users/{id}/roles/reader"), &json!({})).await, 200).await;
    expect(list().await.unwrap(), 200).await;

    // Rotation: the old secret and the tokens it got stop working.
    let rotated = expect(srv.post(&format!("/api/v1/users/{id}/client-secret"), &json!({})).await, 200).await;
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    oauth_error(form(srv, &grant).send().await.unwrap(), 401, "invalid_client").await;
    expect_problem(list().await.unwrap(), 401, "auth.unauthenticated").await;
    let renewed = [("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", new_secret)];
    expect(form(srv, &renewed).send().await.unwrap(), 200).await;
    // A suspended application gets no tokens.
    let path = format!("/api/v1/users/{id}");
    expect(srv.patch(&path, "application/merge-patch+json", &json!({"status": "suspended"})).await, 200).await;
    oauth_error(form(srv, &renewed).send().await.unwrap(), 401, "invalid_client").await;
});

both!(bad_token_requests_get_oauth_errors, |srv: &TestServer| async move {
    let (id, secret) = client(srv, "ci").await;
    let local = srv.user(json!({"user_name": "local-person"})).await;
    let r = srv.post(&format!("/api/v1/users/{}/client-secret", local["id"].as_str().unwrap()), &json!({})).await;
    expect_problem(r, 409, "conflict").await;

    let wrong = oauth_error(grant(srv, &id, "roster_wrong").await, 401, "invalid_client").await;
    let unknown_id = uuid::Uuid::now_v7().to_string();
    let unknown = oauth_error(grant(srv, &unknown_id, &secret).await, 401, "invalid_client").await;
    assert_eq!(wrong, unknown, "an unknown client and a wrong secret look alike");
    oauth_error(grant(srv, "not-a-uuid", &secret).await, 401, "invalid_client").await;
    oauth_error(form(srv, &[("grant_type", "client_credentials")]).send().await.unwrap(), 401, "invalid_client").await;
    oauth_error(
        form(srv, &[("grant_type", "password"), ("client_id", &id)]).send().await.unwrap(),
        400,
        "unsupported_grant_type",
    )
    .await;
    oauth_error(
        form(srv, &[("client_id", &id), ("client_secret", &secret)]).send().await.unwrap(),
        400,
        "invalid_request",
    )
    .await;
    let twice = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    oauth_error(form(srv, &twice).send().await.unwrap(), 400, "invalid_request").await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    let both_ways = form(srv, &[("grant_type", "client_credentials"), ("client_secret", &secret)])
        .header("authorization", format!("Basic {basic}"));
    oauth_error(both_ways.send().await.unwrap(), 400, "invalid_request").await;
    let garbled = form(srv, &[("grant_type", "client_credentials")]).header("authorization", "Basic !!!");
    oauth_error(garbled.send().await.unwrap(), 401, "invalid_client").await;
    let text =
        srv.client.post(srv.url(TOKEN)).header("content-type", "text/plain").body("grant_type=client_credentials");
    oauth_error(text.send().await.unwrap(), 400, "invalid_request").await;
    let numeric = srv.client.post(srv.url(TOKEN)).json(&json!({"grant_type": "client_credentials", "client_id": 7}));
    oauth_error(numeric.send().await.unwrap(), 400, "invalid_request").await;
    // Application users sign in with their secret only, never a password.
    let app = srv.user(json!({"user_name": "app-with-password", "kind": "application"})).await;
    let app_id = app["id"].as_str().unwrap();
    srv.post(&format!("/api/v1/users/{app_id}/password"), &json!({"password": PASSWORD})).await;
    expect_problem(login(srv, "app-with-password", PASSWORD).await, 403, "auth.forbidden").await;
});
