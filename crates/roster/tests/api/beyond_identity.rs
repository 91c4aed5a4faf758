//! The Beyond Identity v0 dialect at `/compat/beyond-identity`: its token answers, creating and
//! recovering users through mailed enrollment links that bind device keys, and the event feed
//! with every query parameter.

use crate::*;
use ed25519_dalek::pkcs8::EncodePublicKey;

const USERS: &str = "/compat/beyond-identity/v1/manage/users";
const RECOVER: &str = "/compat/beyond-identity/v1/manage/recover-user";
const EVENTS: &str = "/compat/beyond-identity/v1/events";

/// Checks the vendor's error body; answers its message.
async fn message(resp: reqwest::Response, status: u16) -> String {
    let body = expect(resp, status).await;
    let obj = body.as_object().unwrap_or_else(|| panic!("not an object: {body}"));
    assert_eq!(obj.len(), 1, "only a message: {body}");
    body["message"].as_str().unwrap_or_else(|| panic!("no message: {body}")).to_owned()
}

fn person_body(key: &str, name: &str) -> Value {
    json!({
        "external_id": key,
        "email": format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
        "user_name": name.to_lowercase().replace(' ', "."),
        "display_name": name,
        "binding_token_delivery_method": "email",
    })
}

async fn events(srv: &TestServer, query: &str) -> Value {
    let page = expect(srv.get(&format!("{EVENTS}?{query}")).await, 200).await;
    assert_eq!(page["message"], "OK", "{page}");
    page
}

fn list(page: &Value) -> Vec<Value> {
    page["body"]["events"].as_array().unwrap_or_else(|| panic!("no events: {page}")).clone()
}

fn types(page: &Value) -> Vec<String> {
    list(page).iter().map(|e| e["event_type"].as_str().unwrap().to_owned()).collect()
}

/// Binds a fresh Ed25519 key through a link's token; answers the response.
async fn bind(srv: &TestServer, token: &str) -> reqwest::Response {
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key.verifying_key().to_public_key_pem(Default::default()).unwrap();
    let body = json!({"token": token, "name": "laptop", "public_key": pem});
    srv.client.post(srv.url("/api/v1/device-binding")).json(&body).send().await.unwrap()
}

both!(tokens_unknown_inactive_and_without_permission, |srv: &TestServer| async move {
    let body = person_body("k1", "Ada Lovelace");
    let call = |token: Option<&str>, path: &str| {
        let r = if path == EVENTS {
            srv.client.get(srv.url(&format!("{path}?ordering=asc")))
        } else {
            srv.client.post(srv.url(path)).json(&body)
        };
        match token {
            Some(t) => r.bearer_auth(t.to_owned()).send(),
            None => r.send(),
        }
    };
    for path in [USERS, RECOVER, EVENTS] {
        assert_eq!(message(call(None, path).await.unwrap(), 401).await, "User unauthorized.");
        assert_eq!(message(call(Some("roster_nope"), path).await.unwrap(), 401).await, "User unauthorized.");
        let r = srv.client.get(srv.url(path)).header("authorization", "Basic abc").send().await.unwrap();
        assert!([401, 405].contains(&r.status().as_u16()));
    }
    let op = srv.directory.operator("default").await.unwrap();
    let (key, revoked) = srv.directory.create_api_key(&op, "gone", "admin", None).await.unwrap();
    expect(call(Some(&revoked), EVENTS).await.unwrap(), 200).await;
    srv.directory.revoke_api_key(&op, key.id).await.unwrap();
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1200);
    let (_, expiring) = srv.directory.create_api_key(&op, "brief", "admin", Some(soon)).await.unwrap();
    expect(call(Some(&expiring), EVENTS).await.unwrap(), 200).await;
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    for token in [&revoked, &expiring] {
        for path in [USERS, RECOVER, EVENTS] {
            let m = message(call(Some(token), path).await.unwrap(), 403).await;
            assert_eq!(m, "Authorization token is not active");
        }
    }
    // A reader reads events but creates nobody.
    let (_, reader) = srv.directory.create_api_key(&op, "ro", "reader", None).await.unwrap();
    expect(call(Some(&reader), EVENTS).await.unwrap(), 200).await;
    let m = message(call(Some(&reader), USERS).await.unwrap(), 403).await;
    assert!(m.contains("does not allow"), "{m}");
    let users = expect(srv.get("/api/v1/users").await, 200).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 0, "nothing was created");
    // Unknown paths and methods answer in the same envelope.
    message(srv.get("/compat/beyond-identity/v1/nothing").await, 404).await;
    message(srv.get(USERS).await, 405).await;
});

both!(create_user_mails_a_link_that_binds_a_device, |srv: &TestServer| async move {
    let made = expect(srv.post(USERS, &person_body("crm-1", "Ada Lovelace")).await, 200).await;
    let id = made["internal_id"].as_str().unwrap();
    assert!(uuid::Uuid::try_parse(id).is_ok(), "{made}");
    assert_eq!(made["external_id"], "crm-1");
    assert_eq!(made["email"], "ada.lovelace@example.com");
    assert_eq!(made["user_name"], "ada.lovelace");
    assert_eq!(made["display_name"], "Ada Lovelace");
    assert_eq!(made["status"], "USER_STATUS_ACTIVE");
    for k in ["date_created", "date_modified"] {
        let t = made[k].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z'), "{k}: {t}");
    }
    // The same user through the native API.
    let native = expect(srv.get(&format!("/api/v1/users/{id}")).await, 200).await;
    assert_eq!((native["external_id"].as_str(), native["status"].as_str()), (Some("crm-1"), Some("active")));

    let mail = srv.wait_for_mail(1).await;
    assert_eq!(mail[0].to, "ada.lovelace@example.com");
    assert!(mail[0].subject.to_lowercase().contains("device"), "{}", mail[0].subject);
    assert!(mail[0].link().starts_with(&format!("{}/api/v1/device-binding?token=", srv.base)));
    let device = expect(bind(srv, &mail[0].token()).await, 201).await;
    assert_eq!(device["user_id"], id);
    // The link is single use.
    expect_problem(bind(srv, &mail[0].token()).await, 400, "link.invalid").await;
});

both!(create_user_refusals_create_nothing_and_send_nothing, |srv: &TestServer| async move {
    expect(srv.post(USERS, &person_body("crm-1", "Ada Lovelace")).await, 200).await;
    srv.wait_for_mail(1).await;
    let mut bodies: Vec<(Value, &str)> = Vec::new();
    for field in ["external_id", "email", "user_name", "display_name", "binding_token_delivery_method"] {
        let mut missing = person_body("crm-2", "Grace Hopper");
        missing.as_object_mut().unwrap().remove(field);
        bodies.push((missing, field));
        let mut empty = person_body("crm-2", "Grace Hopper");
        empty[field] = json!("  ");
        bodies.push((empty, field));
        let mut wrong = person_body("crm-2", "Grace Hopper");
        wrong[field] = json!(7);
        bodies.push((wrong, field));
    }
    let mut sms = person_body("crm-2", "Grace Hopper");
    sms["binding_token_delivery_method"] = json!("sms");
    bodies.push((sms, "binding_token_delivery_method"));
    let mut bad_email = person_body("crm-2", "Grace Hopper");
    bad_email["email"] = json!("not-an-address");
    bodies.push((bad_email, "email"));
    for (body, field) in &bodies {
        let m = message(srv.post(USERS, body).await, 400).await;
        assert!(m.starts_with("Malformed request: ") && m.contains(field), "{field}: {m}");
    }
    // Taken values, compared as the directory compares them.
    for (field, value) in
        [("external_id", "crm-1"), ("user_name", "ADA.lovelace"), ("email", "Ada.Lovelace@Example.com")]
    {
        let mut dup = person_body("crm-3", "Grace Hopper");
        dup[field] = json!(value);
        let m = message(srv.post(USERS, &dup).await, 409).await;
        assert!(m.contains(field), "{field}: {m}");
    }
    let r = srv.req(reqwest::Method::POST, USERS).body(person_body("crm-4", "Alan Turing").to_string()).send().await;
    message(r.unwrap(), 415).await;
    let r = srv.req(reqwest::Method::POST, USERS).header("content-type", "application/json").body("[1]").send().await;
    assert!(message(r.unwrap(), 400).await.starts_with("Malformed request: "));
    let r = srv.req(reqwest::Method::POST, USERS).header("content-type", "application/json").body("{").send().await;
    assert!(message(r.unwrap(), 400).await.starts_with("Malformed request: "));

    let users = expect(srv.get("/api/v1/users").await, 200).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 1, "only the first user exists");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(srv.outbox().len(), 1, "only the first user was mailed");
});

both!(recover_user_replaces_the_unused_link, |srv: &TestServer| async move {
    let made = expect(srv.post(USERS, &person_body("crm-7", "Grace Hopper")).await, 200).await;
    let first = srv.wait_for_mail(1).await[0].token();
    let recover = json!({"external_id": "crm-7", "binding_token_delivery_method": "email"});
    let again = expect(srv.post(RECOVER, &recover).await, 200).await;
    assert_eq!(again["internal_id"], made["internal_id"]);
    assert_eq!(again["status"], "USER_STATUS_ACTIVE");
    let mail = srv.wait_for_mail(2).await;
    assert_eq!(mail[1].to, "grace.hopper@example.com");
    // The enrollment link is replaced: the old one binds nothing, the new one binds a key.
    expect_problem(bind(srv, &first).await, 400, "link.invalid").await;
    expect(bind(srv, &mail[1].token()).await, 201).await;

    let unknown = json!({"external_id": "nobody", "binding_token_delivery_method": "email"});
    assert_eq!(message(srv.post(RECOVER, &unknown).await, 404).await, "User not found.");
    let sms = json!({"external_id": "crm-7", "binding_token_delivery_method": "sms"});
    assert!(message(srv.post(RECOVER, &sms).await, 400).await.contains("binding_token_delivery_method"));
    let m = message(srv.post(RECOVER, &json!({"binding_token_delivery_method": "email"})).await, 400).await;
    assert!(m.contains("external_id"), "{m}");

    // Suspended and deleted users are refused, and mailed nothing.
    let id = made["internal_id"].as_str().unwrap();
    let path = format!("/api/v1/users/{id}");
    let r = srv.patch(&path, "application/merge-patch+json", &json!({"status": "suspended"})).await;
    expect(r, 200).await;
    assert!(message(srv.post(RECOVER, &recover).await, 409).await.contains("suspended"));
    let r = srv.patch(&path, "application/merge-patch+json", &json!({"status": "active"})).await;
    expect(r, 200).await;
    expect(srv.delete(&path).await, 200).await;
    assert!(message(srv.post(RECOVER, &recover).await, 409).await.contains("deleted"));
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(srv.outbox().len(), 2);
});

both!(event_feed_shapes_and_types, |srv: &TestServer| async move {
    let ada = expect(srv.post(USERS, &person_body("crm-1", "Ada Lovelace")).await, 200).await;
    let ada_id = ada["internal_id"].as_str().unwrap();
    let device = expect(bind(srv, &srv.wait_for_mail(1).await[0].token()).await, 201).await;
    let recover = json!({"external_id": "crm-1", "binding_token_delivery_method": "email"});
    expect(srv.post(RECOVER, &recover).await, 200).await;
    let group = srv.group("engineers").await;
    let gid = group["id"].as_str().unwrap();
    let members = format!("/api/v1/groups/{gid}/members");
    let r = srv.post(&members, &json!({"kind": "user", "id": ada_id})).await;
    assert!(r.status().is_success(), "{}", r.status());
    let inner = srv.group("inner").await;
    let inner_id = inner["id"].as_str().unwrap();
    let r = srv.post(&members, &json!({"kind": "group", "id": inner_id})).await;
    assert!(r.status().is_success(), "{}", r.status());
    let r = srv.post(&format!("/api/v1/users/{ada_id}/password"), &json!({"password": PASSWORD})).await;
    assert_eq!(r.status(), 204);
    expect(srv.delete(&format!("/api/v1/users/{ada_id}/devices/{}", device["id"].as_str().unwrap())).await, 204).await;
    let ada_path = format!("/api/v1/users/{ada_id}");
    for status in ["suspended", "active"] {
        let r = srv.patch(&ada_path, "application/merge-patch+json", &json!({"status": status})).await;
        expect(r, 200).await;
    }
    expect(srv.delete(&ada_path).await, 200).await;

    let page = events(srv, "ordering=asc").await;
    assert!(page["body"].get("cursor").is_none(), "one page holds them all: {page}");
    let all = list(&page);
    let vendor_types = [
        "TENANT_CREATED",
        "USER_CHANGE",
        "GROUP_CHANGE",
        "GROUP_MEMBERSHIP_CHANGE",
        "USER_AUTHENTICATION",
        "DEVICE_CREDENTIAL_CHANGE",
        "ENROLLMENT_CHANGE",
    ];
    for e in &all {
        assert!(vendor_types.contains(&e["event_type"].as_str().unwrap()), "{e}");
        for k in ["id", "correlation_id", "service", "outcome"] {
            assert!(e[k].is_string(), "{k}: {e}");
        }
        for k in ["event_occurred_millis", "event_recorded_millis"] {
            assert!(e[k].as_i64().is_some_and(|t| t > 1_700_000_000_000), "{k}: {e}");
        }
        assert!(e["attested"].is_boolean());
        for k in ["type", "display_name", "id", "display_id", "tenant_id"] {
            assert!(e["actor"][k].is_string(), "actor.{k}: {e}");
        }
        assert_eq!(e["actor_tenant_id"], e["actor"]["tenant_id"], "{e}");
        assert!(e["data"]["type_name"].is_string(), "{e}");
    }
    let of = |t: &str| all.iter().filter(|e| e["event_type"] == t).cloned().collect::<Vec<_>>();
    let created = &of("USER_CHANGE")[0]["data"];
    assert_eq!(created["type_name"], "UserChange");
    assert_eq!(created["action"], "CREATE");
    assert_eq!(created["user"]["external_id"], "crm-1");
    assert_eq!(created["user"]["user_display"], "Ada Lovelace");
    assert_eq!(created["user"]["status"], "ACTIVE");
    let user_changes = of("USER_CHANGE");
    let actions: Vec<&str> = user_changes.iter().map(|e| e["data"]["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["CREATE", "SUSPEND", "ACTIVATE", "DELETE"]);
    let deleted = &user_changes[3]["data"]["user"];
    assert_eq!(deleted["status"], "DELETED");
    let keys = of("DEVICE_CREDENTIAL_CHANGE");
    assert_eq!(keys.len(), 2, "bound and revoked; the password set is not in the feed");
    assert_eq!(
        (keys[0]["data"]["action"].as_str(), keys[1]["data"]["action"].as_str()),
        (Some("CREATE"), Some("REVOKE"))
    );
    assert_eq!(keys[0]["data"]["certificate"]["uuid"], device["id"]);
    assert_eq!(keys[1]["data"]["certificate"]["status"], "DELETED");
    assert_eq!(keys[0]["data"]["certificate"]["fingerprint"].as_str().unwrap().len(), 64);
    assert_eq!(keys[0]["data"]["device_info"]["type_name"], "DeviceInfo");
    let enrolled = of("ENROLLMENT_CHANGE");
    assert_eq!(enrolled.len(), 2, "the link sent with the user's creation, and the recovery's");
    for e in &enrolled {
        assert_eq!(e["data"]["enrollment"]["status"], "PENDING");
        assert_eq!(e["data"]["enrollment"]["user"]["external_id"], "crm-1");
        assert_eq!(e["data"]["enrollment"]["user"]["user_display"], "Ada Lovelace");
    }
    assert_eq!(enrolled[0]["correlation_id"], of("USER_CHANGE")[0]["correlation_id"], "one request made both");
    // The vendor's own names find what the trail records under Roster's, and exclude it.
    let found = |q: &str| {
        let q = q.to_owned();
        async move { types(&events(srv, &format!("ordering=asc&query_text={q}")).await) }
    };
    assert_eq!(found("enrollment_change").await, ["ENROLLMENT_CHANGE", "ENROLLMENT_CHANGE"]);
    assert_eq!(found("ENROLLMENT").await, ["ENROLLMENT_CHANGE", "ENROLLMENT_CHANGE"]);
    assert_eq!(found("EnrollmentChange%20OR%20device_credential_change").await.len(), 4);
    let without = found("ada%20-enrollment").await;
    assert!(!without.is_empty() && !without.iter().any(|t| t == "ENROLLMENT_CHANGE"), "{without:?}");
    assert_eq!(found("DeviceCredentialChange%20-enrollment").await, ["DEVICE_CREDENTIAL_CHANGE"; 2]);
    let joined = of("GROUP_MEMBERSHIP_CHANGE");
    assert_eq!(joined.len(), 1, "a group inside a group has no counterpart");
    assert_eq!(joined[0]["data"]["user"]["id"], ada_id);
    assert_eq!(joined[0]["data"]["group"]["name"], "engineers");
    assert_eq!(joined[0]["data"]["action"], "ADD");
    assert_eq!(of("GROUP_CHANGE").len(), 2);

    // Newest first is the same list reversed.
    let desc: Vec<Value> = list(&events(srv, "ordering=DESC").await).into_iter().rev().collect();
    assert_eq!(desc, all);
    // Types, case-insensitive and repeated; a vendor type Roster never records finds nothing.
    let t = types(&events(srv, "ordering=asc&event_type=user_change&event_type=Group_Change").await);
    assert!(t.iter().all(|t| t == "USER_CHANGE" || t == "GROUP_CHANGE") && t.len() == 4 + 2, "{t:?}");
    let none = events(srv, "ordering=asc&event_type=OIDC_INBOUND").await;
    assert!(list(&none).is_empty() && none["body"].get("cursor").is_none(), "{none}");
});

both!(event_feed_filters_and_paging, |srv: &TestServer| async move {
    for (key, name) in [("a", "Ada Lovelace"), ("g", "Grace Hopper"), ("t", "Alan Turing")] {
        expect(srv.post(USERS, &person_body(key, name)).await, 200).await;
        let u = expect(srv.get(&format!("/api/v1/users?filter=external_id eq \"{key}\"")).await, 200).await;
        let id = u["items"][0]["id"].as_str().unwrap();
        let r = srv.post(&format!("/api/v1/users/{id}/password"), &json!({"password": PASSWORD})).await;
        assert_eq!(r.status(), 204);
    }
    expect(login(srv, "ada.lovelace", PASSWORD).await, 200).await;
    expect(login(srv, "grace.hopper", "wrong-password-123").await, 401).await;
    expect(login(srv, "nobody-at-all", "wrong-password-123").await, 401).await;

    // Actor by full name, any case: Ada's own sign-in.
    let mine = list(&events(srv, "ordering=asc&actor=ADA%20LOVELACE").await);
    assert!(!mine.is_empty() && mine.iter().all(|e| e["actor"]["display_name"] == "Ada Lovelace"), "{mine:?}");
    assert!(mine.iter().any(|e| e["event_type"] == "USER_AUTHENTICATION"));
    // Outcome and service (failed sign-ins hold the name as typed: unattested).
    let failed = list(&events(srv, "ordering=asc&outcome=failure&include_not_attested=1").await);
    assert!(!failed.is_empty() && failed.iter().all(|e| e["outcome"] == "FAILURE"));
    let auth = list(&events(srv, "ordering=asc&emitting_service=AUTH").await);
    assert!(!auth.is_empty() && auth.iter().all(|e| e["service"] == "auth"));
    let directory = list(&events(srv, "ordering=asc&emitting_service=directory&emitting_service=auth").await);
    assert!(directory.len() > auth.len());
    // A sign-in with a made-up name holds unverified input: shown only on request.
    let attested = list(&events(srv, "ordering=asc").await);
    let everything = list(&events(srv, "ordering=asc&include_not_attested=true").await);
    assert!(attested.iter().all(|e| e["attested"] == true));
    assert!(everything.iter().any(|e| e["attested"] == false) && everything.len() > attested.len());
    let login_name = |e: &Value| e["data"]["login"] == "nobody-at-all";
    assert!(everything.iter().any(login_name) && !attested.iter().any(login_name));
    // Correlation ids, any case.
    let r = srv
        .req(reqwest::Method::POST, USERS)
        .header("x-request-id", "Trace-4711")
        .json(&person_body("c", "Carl Gauss"));
    expect(r.send().await.unwrap(), 200).await;
    let traced = list(&events(srv, "ordering=asc&correlation_id=trace-4711").await);
    let mut kinds = types(&events(srv, "ordering=asc&correlation_id=trace-4711").await);
    kinds.sort();
    assert_eq!(kinds, ["ENROLLMENT_CHANGE", "USER_CHANGE"], "the user and its enrollment link: {traced:?}");
    assert_eq!(traced[0]["data"]["user"]["user_name"], "carl.gauss");
    // Free text: words, OR, and exclusions.
    let users_named = |q: &str| {
        let q = q.to_owned();
        async move {
            let mut names: Vec<String> =
                list(&events(srv, &format!("ordering=asc&event_type=USER_CHANGE&query_text={q}")).await)
                    .iter()
                    .map(|e| e["data"]["user"]["user_name"].as_str().unwrap().to_owned())
                    .collect();
            names.dedup();
            names
        }
    };
    assert_eq!(users_named("lovelace").await, ["ada.lovelace"]);
    assert_eq!(users_named("lovelace%20OR%20hopper").await, ["ada.lovelace", "grace.hopper"]);
    assert_eq!(users_named("example%20-turing%20-gauss%20-hopper").await, ["ada.lovelace"]);
    // A window of recorded times: [start, end).
    let mid = attested[attested.len() / 2]["event_recorded_millis"].as_i64().unwrap();
    let after = list(&events(srv, &format!("ordering=asc&start_time={mid}")).await);
    let before = list(&events(srv, &format!("ordering=asc&end_time={mid}")).await);
    assert!(after.iter().all(|e| e["event_recorded_millis"].as_i64().unwrap() >= mid));
    assert!(before.iter().all(|e| e["event_recorded_millis"].as_i64().unwrap() < mid));
    let now = list(&events(srv, "ordering=asc").await);
    assert_eq!(after.len() + before.len(), now.len());

    // Pages of two, both ways, walk the same events once each.
    for ordering in ["asc", "desc"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("ordering={ordering}&page_size=2&cursor={c}"),
                None => format!("ordering={ordering}&page_size=2"),
            };
            let page = events(srv, &q).await;
            let got = list(&page);
            assert!(got.len() <= 2);
            seen.extend(got);
            match page["body"]["cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let mut expected = now.clone();
        if ordering == "desc" {
            expected.reverse();
        }
        assert_eq!(seen, expected, "{ordering}");
    }

    // Malformed parameters name themselves.
    let first = events(srv, "ordering=desc&page_size=1").await;
    let desc_cursor = first["body"]["cursor"].as_str().unwrap().to_owned();
    for (query, expected) in [
        ("", "Malformed request: ordering is required (asc or desc)."),
        ("ordering=sideways", "Malformed request: ordering must be asc or desc."),
        ("ordering=asc&start_time=abc", "Malformed request: start_time must be an integer."),
        ("ordering=asc&end_time=1.5", "Malformed request: end_time must be an integer."),
        ("ordering=asc&page_size=0", "Malformed request: page_size must be between 1 and 1000."),
        ("ordering=asc&page_size=1001", "Malformed request: page_size must be between 1 and 1000."),
        ("ordering=asc&page_size=ten", "Malformed request: page_size must be an integer."),
        ("ordering=asc&include_not_attested=maybe", "Malformed request: include_not_attested must be true or false."),
        ("ordering=asc&colour=blue", "Malformed request: unknown parameter 'colour'."),
        ("ordering=asc&cursor=not-a-cursor", "Malformed request: cursor is not one this query gave"),
        ("ordering=asc&start_time=10&end_time=5", "Malformed request: end_time must not be before start_time"),
        ("ordering=asc&outcome=MAYBE", "Malformed request: outcome"),
        ("ordering=asc&query_text=-alone", "Malformed request: query_text"),
    ] {
        let m = message(srv.get(&format!("{EVENTS}?{query}")).await, 400).await;
        assert!(m.starts_with(expected), "{query}: {m}");
    }
    // A cursor continues the order it was made in.
    let m = message(srv.get(&format!("{EVENTS}?ordering=asc&cursor={desc_cursor}")).await, 400).await;
    assert!(m.contains("cursor"), "{m}");
});
