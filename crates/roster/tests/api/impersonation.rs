//! `/api/v1/auth/impersonate`: signing in as another user, with the impersonator named in the
//! token, and the limits on who may do it.

use crate::*;

async fn impersonate(srv: &TestServer, credential: &str, user: &str) -> reqwest::Response {
    srv.client
        .post(srv.url("/api/v1/auth/impersonate"))
        .bearer_auth(credential)
        .json(&json!({"user_id": user}))
        .send()
        .await
        .unwrap()
}

both!(impersonation_names_who_really_acts, |srv: &TestServer| async move {
    let ivan = person(srv, "ivan").await;
    let key = roster_testkit::ADMIN_KEY;
    let pair = expect(impersonate(srv, key, &ivan).await, 200).await;
    assert!(pair.get("refresh_token").is_none(), "impersonation tokens are not renewed: {pair}");
    let as_ivan = pair["access_token"].as_str().unwrap().to_owned();
    let claims = jwt_claims(&as_ivan);
    assert_eq!(claims["sub"], "ivan");
    assert_eq!(claims["act"]["kind"], "api_key");
    assert!(claims["act"]["sub"].as_str().unwrap().starts_with("api-key:"), "{claims}");
    let me = srv.client.get(srv.url("/api/v1/me")).bearer_auth(&as_ivan).send().await.unwrap();
    assert_eq!(expect(me, 200).await["id"], ivan.as_str());

    // A user with the impersonate permission, named by its subject.
    let boss = person(srv, "boss").await;
    expect(srv.put(&format!("/api/v1/users/{boss}/roles/super-admin"), &json!({})).await, 200).await;
    let boss_token = token(srv, "boss").await;
    let pair = expect(impersonate(srv, &boss_token, &ivan).await, 200).await;
    let claims = jwt_claims(pair["access_token"].as_str().unwrap());
    assert_eq!(claims["act"], json!({"sub": "boss", "kind": "user", "id": boss}));
    expect_problem(impersonate(srv, &boss_token, &boss).await, 400, "validation").await;

    // No chains: an impersonation token cannot impersonate, even as a user who may.
    let deputy = person(srv, "deputy").await;
    expect(srv.put(&format!("/api/v1/users/{deputy}/roles/super-admin"), &json!({})).await, 200).await;
    let as_deputy =
        expect(impersonate(srv, key, &deputy).await, 200).await["access_token"].as_str().unwrap().to_owned();
    expect_problem(impersonate(srv, &as_deputy, &ivan).await, 403, "auth.forbidden").await;
    // Nobody becomes someone holding more than they do: an admin holds no impersonate anyway,
    // and a plain user cannot.
    let ivan_token = token(srv, "ivan").await;
    expect_problem(impersonate(srv, &ivan_token, &boss).await, 403, "auth.forbidden").await;

    // The impersonated user's state still rules: suspending it ends the impersonation too.
    let path = format!("/api/v1/users/{ivan}");
    expect(srv.patch(&path, "application/merge-patch+json", &json!({"status": "suspended"})).await, 200).await;
    let me = srv.client.get(srv.url("/api/v1/me")).bearer_auth(&as_ivan).send().await.unwrap();
    expect_problem(me, 401, "auth.unauthenticated").await;
    expect_problem(impersonate(srv, key, &ivan).await, 409, "conflict").await;
    expect_problem(impersonate(srv, key, &uuid::Uuid::now_v7().to_string()).await, 404, "user.not_found").await;
});
