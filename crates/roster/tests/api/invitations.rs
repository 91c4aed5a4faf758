//! `/api/v1/invitations`, `/api/v1/invitation` and `/api/v1/users/{id}/invitation`: inviting a
//! user, the mail it gets, and accepting, resending and withdrawing the invitation.

use crate::*;

/// The one answer every dead link gets.
async fn dead_link(resp: reqwest::Response) -> String {
    expect_problem(resp, 400, "link.invalid").await["detail"].as_str().unwrap().to_owned()
}

async fn show(srv: &TestServer, token: &str) -> reqwest::Response {
    srv.client.get(srv.url(&format!("/api/v1/invitation?token={}", q(token)))).send().await.unwrap()
}

async fn accept(srv: &TestServer, body: Value) -> reqwest::Response {
    srv.client.post(srv.url("/api/v1/invitation/accept")).json(&body).send().await.unwrap()
}

async fn availability(srv: &TestServer, token: &str, name: &str) -> Value {
    let body = json!({"token": token, "user_name": name});
    let r = srv.client.post(srv.url("/api/v1/invitation/user-name-availability")).json(&body).send().await.unwrap();
    expect(r, 200).await
}

both!(invite_mail_accept_and_sign_in, |srv: &TestServer| async move {
    person(srv, "taken").await;
    let invited = expect(
        srv.post("/api/v1/invitations", &json!({"email": "Ada.Lovelace@example.com", "given_name": "Ada"})).await,
        201,
    )
    .await;
    assert_eq!(invited["status"], "invited");
    assert_eq!(invited["user_name"], "Ada.Lovelace@example.com", "the email until the user chooses");
    assert!(invited["invitation_expires"].is_string(), "{invited}");
    let id = invited["id"].as_str().unwrap();

    // The message: to the invited address, with a link to this server's invitation page.
    let mail = srv.wait_for_mail(1).await;
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    assert_eq!(m.to, "Ada.Lovelace@example.com");
    assert_eq!(m.subject, "You are invited to default");
    assert!(m.link().starts_with(&format!("{}/api/v1/invitation?token=roster_link_", srv.base)), "{}", m.link());
    assert!(m.html.as_deref().unwrap_or_default().contains(&m.token()), "the HTML part carries the link too");
    assert!(m.message_id.ends_with("@127.0.0.1"), "{}", m.message_id);
    let token = m.token();
    assert_eq!(token.len(), "roster_link_".len() + 43, "256 bits, base64url");

    // The link works without any credential.
    let info = expect(srv.client.get(m.link()).send().await.unwrap(), 200).await;
    assert_eq!(info["purpose"], "invitation");
    assert_eq!(info["email"], "Ada.Lovelace@example.com");
    assert_eq!(info["tenant"], "default");

    assert_eq!(availability(srv, &token, "TAKEN").await["available"], false, "names compare without case");
    assert_eq!(availability(srv, &token, "ada").await["available"], true);
    assert_eq!(availability(srv, &token, "Ada.Lovelace@example.com").await["available"], true, "its own");

    // A password the policy refuses changes nothing, and the link still works.
    let weak =
        accept(srv, json!({"token": token, "user_name": "ada", "display_name": "Ada L", "password": "ada"})).await;
    let problem = expect_problem(weak, 400, "validation").await;
    assert!(problem["errors"].to_string().contains("password"), "{problem}");
    let taken =
        accept(srv, json!({"token": token, "user_name": "taken", "display_name": "Ada L", "password": PASSWORD})).await;
    expect_problem(taken, 409, "conflict.unique").await;
    expect(show(srv, &token).await, 200).await;

    let body = json!({"token": token, "user_name": "ada", "display_name": "Ada L", "password": PASSWORD, "jwt_subject": "idp|42"});
    let user = expect(accept(srv, body.clone()).await, 200).await;
    assert_eq!(user["status"], "active");
    assert_eq!(user["user_name"], "ada");
    assert_eq!(user["display_name"], "Ada L");
    assert_eq!(user["claims"]["jwt_subject"], "idp|42");
    assert_eq!(user["invitation_expires"], Value::Null);
    assert!(user["password_changed"].is_string());
    expect(login(srv, "ada", PASSWORD).await, 200).await;

    // Used once: the same answer as a token nobody ever saw.
    let reused = dead_link(accept(srv, body).await).await;
    let unknown = dead_link(show(srv, "roster_link_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await).await;
    assert_eq!(reused, unknown);
    assert_eq!(dead_link(show(srv, "").await).await, unknown);

    // The trail: invitation, link, delivery, acceptance.
    let events = expect(srv.get("/api/v1/events?ordering=asc&include_not_attested=true").await, 200).await;
    let seen: Vec<String> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["user"]["id"] == id || e["data"]["user_id"] == id)
        .map(|e| {
            format!(
                "{} {} {}",
                e["event_type"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
                e["data"]["action"].as_str().or(e["data"]["result"].as_str()).unwrap_or_default()
            )
        })
        .collect();
    for expected in [
        "USER_CHANGE SUCCESS INVITE",
        "ONE_TIME_LINK SUCCESS ISSUE",
        "MESSAGE_DELIVERY SUCCESS SENT",
        "USER_CHANGE SUCCESS ACCEPT_INVITATION",
        "ONE_TIME_LINK FAILURE REDEEM",
    ] {
        assert!(seen.iter().any(|s| s == expected), "{expected} missing from {seen:?}");
    }
    // The invitation names its message, which is delivered and keeps no copy of the link.
    let invite = events["events"].as_array().unwrap().iter().find(|e| e["data"]["action"] == "INVITE").unwrap();
    let message = invite["data"]["link"]["message"].as_str().unwrap();
    let delivery = events["events"].as_array().unwrap().iter().find(|e| e["event_type"] == "MESSAGE_DELIVERY").unwrap();
    assert_eq!(delivery["data"]["message"], message);
    let msg = expect(srv.get(&format!("/api/v1/outbox/{message}")).await, 200).await;
    assert!(msg["sent"].is_string(), "{msg}");
    assert_eq!(msg["attempts"], 1);
    assert!(!msg.to_string().contains(&token));
});

both!(resend_and_withdraw, |srv: &TestServer| async move {
    let u = expect(
        srv.post("/api/v1/invitations", &json!({"user_name": "grace", "email": "grace@example.com"})).await,
        201,
    )
    .await;
    let id = u["id"].as_str().unwrap();
    let first = srv.wait_for_mail(1).await[0].token();
    let sent = expect(srv.post(&format!("/api/v1/users/{id}/invitation"), &json!({})).await, 202).await;
    assert!(sent["expires"].is_string());
    let mail = srv.wait_for_mail(2).await;
    let second = mail[1].token();
    assert_ne!(first, second);
    dead_link(show(srv, &first).await).await;
    expect(show(srv, &second).await, 200).await;

    expect(srv.delete(&format!("/api/v1/users/{id}/invitation")).await, 204).await;
    dead_link(show(srv, &second).await).await;
    expect_problem(srv.delete(&format!("/api/v1/users/{id}/invitation")).await, 404, "link.not_found").await;
    let user = expect(srv.get(&format!("/api/v1/users/{id}")).await, 200).await;
    assert_eq!((user["status"].as_str(), user["invitation_expires"].as_str()), (Some("invited"), None));

    // Only a pending invitation is resent; an invited user cannot sign in.
    let active = person(srv, "active").await;
    expect_problem(srv.post(&format!("/api/v1/users/{active}/invitation"), &json!({})).await, 409, "conflict").await;
    expect_problem(login(srv, "grace", PASSWORD).await, 401, "auth.unauthenticated").await;
});

both!(refused_invitations_create_and_send_nothing, |srv: &TestServer| async move {
    person(srv, "dup").await;
    let r = srv.post("/api/v1/invitations", &json!({"user_name": "nomail"})).await;
    let p = expect_problem(r, 400, "request.json").await;
    assert!(p["detail"].as_str().unwrap().contains("email"), "{p}");
    expect_problem(srv.post("/api/v1/invitations", &json!({"email": "dup@example.com"})).await, 409, "conflict.unique")
        .await;
    let r = srv.post("/api/v1/invitations", &json!({"email": "not-an-address"})).await;
    expect_problem(r, 400, "validation").await;
    let users = expect(srv.get("/api/v1/users?count=true").await, 200).await;
    assert_eq!(users["total"], 1, "only the user made before");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(srv.outbox().is_empty());
});

both!(
    expired_links_get_the_same_answer,
    adjust = |c: &mut roster::config::Config| c.invitation_ttl = 1,
    |srv: &TestServer| async move {
        expect(srv.post("/api/v1/invitations", &json!({"email": "late@example.com"})).await, 201).await;
        let token = srv.wait_for_mail(1).await[0].token();
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let expired = dead_link(show(srv, &token).await).await;
        let body = json!({"token": token, "user_name": "late", "display_name": "Late", "password": PASSWORD});
        assert_eq!(dead_link(accept(srv, body).await).await, expired);
        assert_eq!(dead_link(show(srv, "roster_link_nosuchtoken").await).await, expired);
    }
);

both!(
    mail_is_rate_limited_per_user_and_tenant,
    adjust = |c: &mut roster::config::Config| {
        c.mail_per_user_per_hour = 2;
        c.mail_per_tenant_per_hour = 4;
    },
    |srv: &TestServer| async move {
        let u = expect(srv.post("/api/v1/invitations", &json!({"email": "flood@example.com"})).await, 201).await;
        let resend = format!("/api/v1/users/{}/invitation", u["id"].as_str().unwrap());
        expect(srv.post(&resend, &json!({})).await, 202).await;
        let r = srv.post(&resend, &json!({})).await;
        assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("3600"));
        let p = expect_problem(r, 429, "rate_limited").await;
        assert!(p["detail"].as_str().unwrap().contains("to this user"), "{p}");
        expect(srv.post("/api/v1/invitations", &json!({"email": "b@example.com"})).await, 201).await;
        expect(srv.post("/api/v1/invitations", &json!({"email": "c@example.com"})).await, 201).await;
        let p = expect_problem(
            srv.post("/api/v1/invitations", &json!({"email": "d@example.com"})).await,
            429,
            "rate_limited",
        )
        .await;
        assert!(p["detail"].as_str().unwrap().contains("from this tenant"), "{p}");
        assert_eq!(srv.wait_for_mail(4).await.len(), 4);
        let users = expect(srv.get("/api/v1/users?count=true").await, 200).await;
        assert_eq!(users["total"], 3, "the refused invitation created no user");
    }
);

both!(
    every_message_counts_towards_the_tenant_share,
    adjust = |c: &mut roster::config::Config| c.mail_per_tenant_per_hour = 4,
    |srv: &TestServer| async move {
        // Allthenticate's PUT /invites sends one message per address: five would take the
        // tenant past four, so the request is refused whole, and nothing is created or sent.
        let invite = |emails: Vec<String>| {
            let body = json!({"emails": emails});
            let req = srv.req(reqwest::Method::PUT, "/compat/allthenticate/invites").json(&body);
            async move { req.send().await.unwrap() }
        };
        let addresses = |from: usize, n: usize| (from..from + n).map(|i| format!("m{i}@example.com")).collect();
        assert_eq!(invite(addresses(0, 5)).await.status(), 429);
        assert_eq!(expect(srv.get("/api/v1/users?count=true").await, 200).await["total"], 0);
        assert_eq!(invite(addresses(0, 3)).await.status(), 200);
        assert_eq!(invite(addresses(3, 2)).await.status(), 429, "three sent and two more is five");
        assert_eq!(invite(addresses(3, 1)).await.status(), 200);
        assert_eq!(srv.wait_for_mail(4).await.len(), 4);
    }
);
