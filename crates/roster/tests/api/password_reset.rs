//! `/api/v1/password-reset`: a forgotten password replaced through a mailed link.

use crate::*;

async fn request(srv: &TestServer, username: &str) {
    let r =
        srv.client.post(srv.url("/api/v1/password-reset/request")).json(&json!({"username": username})).send().await;
    expect(r.unwrap(), 202).await;
}

async fn reset(srv: &TestServer, token: &str, password: &str) -> reqwest::Response {
    let body = json!({"token": token, "password": password});
    srv.client.post(srv.url("/api/v1/password-reset")).json(&body).send().await.unwrap()
}

both!(reset_through_the_mailed_link, |srv: &TestServer| async move {
    person(srv, "rita").await;
    let old_session = token(srv, "rita").await;
    // The same answer for someone who exists, someone who does not, and a user without a password.
    srv.user(json!({"user_name": "nopass", "email": "nopass@example.com"})).await;
    request(srv, "nobody").await;
    request(srv, "nopass").await;
    request(srv, "RITA@example.com").await;
    let mail = srv.wait_for_mail(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(srv.outbox().len(), 1, "only rita gets a message");
    assert_eq!((mail[0].to.as_str(), mail[0].subject.as_str()), ("rita@example.com", "Reset your default password"));
    let info = expect(srv.client.get(mail[0].link()).send().await.unwrap(), 200).await;
    assert_eq!(info["purpose"], "password_reset");

    let token = mail[0].token();
    let weak = expect_problem(reset(srv, &token, "short").await, 400, "validation").await;
    assert_eq!(weak["errors"][0]["field"], "password");
    expect(reset(srv, &token, "cobalt-meadow-lantern-77").await, 204).await;
    expect_problem(reset(srv, &token, "cobalt-meadow-lantern-78").await, 400, "link.invalid").await;

    expect_problem(login(srv, "rita", PASSWORD).await, 401, "auth.unauthenticated").await;
    expect(login(srv, "rita", "cobalt-meadow-lantern-77").await, 200).await;
    let me = srv.client.get(srv.url("/api/v1/me")).bearer_auth(&old_session).send().await.unwrap();
    assert_eq!(me.status(), 401, "sessions from before the reset end");

    // A refused request leaves a trace for administrators.
    let events = expect(srv.get("/api/v1/events?event_type=ONE_TIME_LINK&include_not_attested=true").await, 200).await;
    let reasons: Vec<&str> =
        events["events"].as_array().unwrap().iter().filter_map(|e| e["data"]["reason"].as_str()).collect();
    assert!(reasons.contains(&"no such user") && reasons.contains(&"the user has no password"), "{reasons:?}");
    let nobody = events["events"].as_array().unwrap().iter().find(|e| e["data"]["reason"] == "no such user").unwrap();
    assert_eq!((nobody["data"]["login"].as_str(), nobody["attested"].as_bool()), (Some("nobody"), Some(false)));
    assert_eq!(nobody["actor"]["type"], "Anonymous");
});

both!(setting_a_password_revokes_reset_links, |srv: &TestServer| async move {
    let uid = person(srv, "tess").await;
    request(srv, "tess").await;
    let token = srv.wait_for_mail(1).await[0].token();
    let set = json!({"password": "amber-violin-harbor-31"});
    expect(srv.post(&format!("/api/v1/users/{uid}/password"), &set).await, 204).await;
    expect_problem(reset(srv, &token, "cobalt-meadow-lantern-77").await, 400, "link.invalid").await;
    expect(login(srv, "tess", "amber-violin-harbor-31").await, 200).await;
});

both!(
    reset_requests_are_limited_silently,
    adjust = |c: &mut roster::config::Config| c.mail_per_user_per_hour = 1,
    |srv: &TestServer| async move {
        person(srv, "sam").await;
        request(srv, "sam").await;
        request(srv, "sam").await;
        srv.wait_for_mail(1).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(srv.outbox().len(), 1, "the second request sends nothing, and says so to nobody");
    }
);
