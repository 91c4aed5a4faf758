//! `/api/v1/mail-templates/{kind}` and `/api/v1/outbox/{id}`: per-tenant templates, and delivery
//! that survives an SMTP server that does not answer.

use crate::*;

both!(tenant_templates_render_escaped_and_validated, |srv: &TestServer| async move {
    let default = expect(srv.get("/api/v1/mail-templates/invitation").await, 200).await;
    assert!(default["text"].as_str().unwrap().contains("{{ link }}"));
    let custom = json!({
        "subject": "Join {{ tenant }}, {{ user.given_name }}",
        "text": "Hi {{ user.given_name }}: {{ link }} (until {{ expires }})",
        "html": "<p>Hi {{ user.given_name }}</p><a href=\"{{ link }}\">join</a>"
    });
    expect(srv.put("/api/v1/mail-templates/invitation", &custom).await, 200).await;
    assert_eq!(expect(srv.get("/api/v1/mail-templates/invitation").await, 200).await, custom);

    let body = json!({"email": "x@example.com", "given_name": "<b>Zed</b>"});
    expect(srv.post("/api/v1/invitations", &body).await, 201).await;
    let m = &srv.wait_for_mail(1).await[0];
    assert_eq!(m.subject, "Join default, <b>Zed</b>");
    assert!(m.text.starts_with("Hi <b>Zed</b>: http"), "{}", m.text);
    let html = m.html.as_deref().unwrap();
    assert!(html.contains("<p>Hi &lt;b&gt;Zed&lt;&#x2f;b&gt;</p>"), "HTML escapes what users typed: {html}");
    assert!(html.contains(&format!("<a href=\"{}\">", m.link())), "and shows the link as it is: {html}");

    // Templates that cannot render are refused, naming the part.
    let bad = json!({"subject": "ok", "text": "{{ user.nickname }}"});
    let p = expect_problem(srv.put("/api/v1/mail-templates/invitation", &bad).await, 400, "validation").await;
    assert_eq!(p["errors"][0]["field"], "text");
    let bad = json!({"subject": "{% if %}", "text": "x"});
    let p = expect_problem(srv.put("/api/v1/mail-templates/password_reset", &bad).await, 400, "validation").await;
    assert_eq!(p["errors"][0]["field"], "subject");
    expect_problem(srv.get("/api/v1/mail-templates/newsletter").await, 404, "template.not_found").await;

    expect(srv.delete("/api/v1/mail-templates/invitation").await, 204).await;
    expect_problem(srv.delete("/api/v1/mail-templates/invitation").await, 404, "not_found").await;
    assert_eq!(expect(srv.get("/api/v1/mail-templates/invitation").await, 200).await, default);
});

/// A port with nothing listening on it.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

both!(
    unreachable_smtp_queues_and_retries,
    adjust = |c: &mut roster::config::Config| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = closed_port();
        c.smtp_tls = roster::config::SmtpTls::None;
        c.mail_max_attempts = 3;
    },
    |srv: &TestServer| async move {
        let u = expect(srv.post("/api/v1/invitations", &json!({"email": "q@example.com"})).await, 201).await;
        let events = expect(srv.get("/api/v1/events?event_type=USER_CHANGE").await, 200).await;
        let id = events["events"][0]["data"]["link"]["message"].as_str().unwrap().to_owned();
        assert_eq!(events["events"][0]["data"]["user"]["id"], u["id"]);
        // 1 s, then 2 s between attempts; the third failure gives up.
        let mut msg = Value::Null;
        for _ in 0..100 {
            msg = expect(srv.get(&format!("/api/v1/outbox/{id}")).await, 200).await;
            if msg["failed"].is_string() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(msg["attempts"], 3, "{msg}");
        assert_eq!(msg["sent"], Value::Null);
        assert!(msg["last_error"].as_str().is_some_and(|e| !e.is_empty()), "{msg}");
        let deliveries = expect(srv.get("/api/v1/events?event_type=MESSAGE_DELIVERY&ordering=asc").await, 200).await;
        let results: Vec<&str> =
            deliveries["events"].as_array().unwrap().iter().map(|e| e["data"]["result"].as_str().unwrap()).collect();
        assert_eq!(results, vec!["RETRY", "RETRY", "GAVE_UP"]);
        assert_eq!(deliveries["events"][2]["outcome"], "ERROR");
    }
);
