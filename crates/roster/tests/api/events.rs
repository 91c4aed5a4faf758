//! `/api/v1/events`: what the trail records, its free-text query, paging and the stream.

use crate::*;
use roster_core::events::{EventData, EventFilter, EventType, Ordering};

/// The events of one request id (including unattested ones).
async fn of_request(srv: &TestServer, rid: &str) -> Vec<Value> {
    let page =
        expect(srv.get(&format!("/api/v1/events?correlation_id={rid}&include_not_attested=true")).await, 200).await;
    page["events"].as_array().unwrap().clone()
}

fn with_id(srv: &TestServer, method: reqwest::Method, path: &str, rid: &str) -> reqwest::RequestBuilder {
    srv.req(method, path).header("x-request-id", rid)
}

both!(a_change_and_its_refusal_each_leave_one_event, |srv: &TestServer| async move {
    let r = with_id(srv, reqwest::Method::POST, "/api/v1/users", "Create-1")
        .json(&json!({"user_name": "ada", "display_name": "Ada L"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "Create-1");
    let ada = expect(r, 201).await;
    // Correlation ids compare case-insensitively.
    let events = of_request(srv, "create-1").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(
        (e["event_type"].as_str(), e["outcome"].as_str(), e["service"].as_str()),
        (Some("USER_CHANGE"), Some("SUCCESS"), Some("directory"))
    );
    assert_eq!(e["actor"]["type"], "ApiKey");
    assert_eq!(e["actor"]["display_name"], "bootstrap");
    assert_eq!(e["data"]["type_name"], "UserChange");
    assert_eq!(e["data"]["action"], "CREATE");
    assert_eq!(e["data"]["user"]["id"], ada["id"]);
    assert_eq!(e["data"]["changes"]["user_name"], json!({"before": "", "after": "ada"}));
    assert_eq!(e["attested"], true);
    assert!(e["recorded_millis"].as_i64().unwrap() >= e["occurred_millis"].as_i64().unwrap());
    assert_eq!(e["ip"], "127.0.0.1");
    let by_id = expect(srv.get(&format!("/api/v1/events/{}", e["id"].as_str().unwrap())).await, 200).await;
    assert_eq!(&by_id, e);

    // The same name again: refused, recorded as a failure, and no success under that request.
    let r = with_id(srv, reqwest::Method::POST, "/api/v1/users", "create-2")
        .json(&json!({"user_name": "ADA"}))
        .send()
        .await;
    expect_problem(r.unwrap(), 409, "conflict.unique").await;
    let events = of_request(srv, "create-2").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0]["event_type"].as_str(), events[0]["outcome"].as_str()),
        (Some("USER_CHANGE"), Some("FAILURE"))
    );
    assert_eq!(events[0]["data"]["code"], "conflict.unique");
    assert_eq!(events[0]["data"]["request"], "POST /api/v1/users");
    assert_eq!(events[0]["attested"], false);
    // Unattested events are left out unless asked for.
    let page = expect(srv.get("/api/v1/events?correlation_id=create-2").await, 200).await;
    assert_eq!(page["events"], json!([]));

    // An update names what changed, before and after.
    let path = format!("/api/v1/users/{}", ada["id"].as_str().unwrap());
    let r = with_id(srv, reqwest::Method::PATCH, &path, "patch-1")
        .header("content-type", "application/merge-patch+json")
        .body(json!({"status": "suspended"}).to_string())
        .send()
        .await
        .unwrap();
    expect(r, 200).await;
    let events = of_request(srv, "patch-1").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"]["action"], "SUSPEND");
    assert_eq!(events[0]["data"]["changes"], json!({"status": {"before": "active", "after": "suspended"}}));

    // A malformed request id is replaced by one of the server's.
    let r = srv.req(reqwest::Method::GET, "/api/v1/users").header("x-request-id", "has space").send().await.unwrap();
    assert_ne!(r.headers()["x-request-id"], "has space");
    expect_problem(srv.get("/api/v1/events?event_type=NO_SUCH_TYPE").await, 400, "validation").await;
    expect_problem(srv.get("/api/v1/events?q=-alone").await, 400, "validation").await;
    expect_problem(srv.get("/api/v1/events?correlation_id=a%00b").await, 400, "validation").await;
    expect_problem(srv.get("/api/v1/events?actor=%00").await, 400, "validation").await;
    expect_problem(srv.get("/api/v1/events?page_size=1001").await, 400, "validation").await;
    expect_problem(srv.get("/api/v1/events?colour=blue").await, 400, "request.query").await;
});

both!(sign_ins_are_recorded_and_tenants_see_only_their_own, |srv: &TestServer| async move {
    person(srv, "grace").await;
    let r = srv
        .client
        .post(srv.url("/api/v1/auth/login"))
        .header("x-request-id", "login-bad")
        .json(&json!({"username": "grace", "password": "not-it"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let events = of_request(srv, "login-bad").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(
        (e["event_type"].as_str(), e["outcome"].as_str(), e["service"].as_str()),
        (Some("USER_AUTHENTICATION"), Some("FAILURE"), Some("auth"))
    );
    assert_eq!(e["data"]["reason"], "wrong password");
    assert_eq!(e["actor"]["display_id"], "grace");
    let r = srv
        .client
        .post(srv.url("/api/v1/auth/login"))
        .header("x-request-id", "login-good")
        .json(&json!({"username": "grace", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    expect(r, 200).await;
    let events = of_request(srv, "login-good").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0]["outcome"].as_str(), events[0]["data"]["result"].as_str()),
        (Some("SUCCESS"), Some("SUCCESS"))
    );
    assert!(events[0]["data"]["session_id"].is_string());
    // By actor name, case-insensitively.
    let page = expect(
        srv.get("/api/v1/events?actor=GRACE&event_type=user_authentication&include_not_attested=true").await,
        200,
    )
    .await;
    assert_eq!(page["events"].as_array().unwrap().len(), 2);

    let elsewhere = srv.directory.create_tenant("elsewhere").await.unwrap();
    let op = srv.directory.operator("elsewhere").await.unwrap();
    let (_, key) = srv.directory.create_api_key(&op, "audit", "reader", None).await.unwrap();
    let r = srv
        .client
        .get(srv.url("/api/v1/events?page_size=1000&include_not_attested=true"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let theirs = expect(r, 200).await;
    let tenants: std::collections::BTreeSet<&str> =
        theirs["events"].as_array().unwrap().iter().map(|e| e["tenant_id"].as_str().unwrap()).collect();
    assert_eq!(tenants, [elsewhere.id.to_string().as_str()].into_iter().collect());
});

both!(free_text_finds_or_exclusions_and_phrases, |srv: &TestServer| async move {
    for name in [
        "add_device-mac",
        "device_credential_change-windows",
        "device_credential_change-linux",
        "alan-turing",
        "turing-machine",
    ] {
        srv.user(json!({"user_name": name})).await;
    }
    let found = |q: &'static str| async move {
        let page =
            expect(srv.get(&format!("/api/v1/events?event_type=USER_CHANGE&q={}", crate::q(q))).await, 200).await;
        let mut names: Vec<String> = page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["data"]["user"]["user_name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        found("add_device OR device_credential_change -windows").await,
        ["add_device-mac", "device_credential_change-linux"]
    );
    assert_eq!(found("device -linux -windows").await, ["add_device-mac"]);
    assert_eq!(found("\"alan turing\"").await, ["alan-turing"]);
    assert_eq!(found("\"turing alan\"").await, Vec::<String>::new());
    assert_eq!(found("turing").await, ["alan-turing", "turing-machine"]);
    assert_eq!(found("TURING -machine OR mac").await, ["add_device-mac", "alan-turing"]);
    assert_eq!(found("nothing-like-this").await, Vec::<String>::new());
    // Paging a free-text query, one event a page, in both orders.
    for (ordering, expected) in
        [("asc", ["alan-turing", "turing-machine"]), ("desc", ["turing-machine", "alan-turing"])]
    {
        let mut seen = Vec::new();
        let mut next = String::new();
        loop {
            let path = format!("/api/v1/events?event_type=USER_CHANGE&q=turing&page_size=1&ordering={ordering}{next}");
            let page = expect(srv.get(&path).await, 200).await;
            seen.extend(
                page["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["data"]["user"]["user_name"].as_str().unwrap().to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => next = format!("&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{ordering}");
    }
});

both!(a_failed_transaction_leaves_neither_the_change_nor_its_event, |srv: &TestServer| async move {
    srv.user(json!({"user_name": "first"})).await;
    let page = expect(srv.get("/api/v1/events?event_type=USER_CHANGE").await, 200).await;
    let taken = page["events"][0]["id"].as_str().unwrap().parse().unwrap();
    let op = srv.directory.operator("default").await.unwrap();
    let tenant = op.tenant_id;
    let spec = roster_core::model::UserSpec { user_name: "second".into(), claims: json!({}), ..Default::default() };
    let id = uuid::Uuid::now_v7();
    // The event cannot be written (its id is taken), so the insert before it must roll back.
    let mut event = op.event(
        EventType::UserChange,
        EventData::UserChange {
            user: roster_core::events::UserData::new(id, &spec, false),
            action: "CREATE",
            changes: Default::default(),
        },
    );
    event.id = taken;
    let store = srv.directory.store();
    assert!(store.insert_user(tenant, id, &spec, roster_core::model::now(), None, &event).await.is_err());
    assert!(store.user(tenant, id).await.unwrap().is_none());
    let after = expect(srv.get("/api/v1/events?event_type=USER_CHANGE").await, 200).await;
    assert_eq!(after["events"].as_array().unwrap().len(), 1);
});

both!(paging_visits_every_event_once_in_both_orders, |srv: &TestServer| async move {
    const N: usize = 100_000;
    let op = srv.directory.operator("default").await.unwrap();
    let base = roster_core::events::now_millis() - 1_000_000;
    let mut all = Vec::with_capacity(N);
    for i in 0..N {
        let mut e = op.event(
            EventType::PolicyChange,
            EventData::PolicyChange { policy: "password", old_policy: json!(i), new_policy: json!(i) },
        );
        // Many events share a recorded time, so the cursor must order within one.
        e.recorded = base + (i / 7) as i64;
        all.push(e);
    }
    for chunk in all.chunks(10_000) {
        srv.directory.store().record_events(chunk).await.unwrap();
    }
    let filter = EventFilter { types: vec!["POLICY_CHANGE".into()], ..Default::default() };
    for ordering in [Ordering::Asc, Ordering::Desc] {
        let mut seen = std::collections::HashSet::with_capacity(N);
        let mut last = None;
        let mut cursor: Option<String> = None;
        loop {
            let page =
                srv.directory.events(&op, filter.clone(), ordering, Some(1000), cursor.as_deref()).await.unwrap();
            for e in &page.events {
                assert!(seen.insert(e.id), "{:?} repeated", e.id);
                if let Some(prev) = last {
                    assert!(if ordering == Ordering::Asc { e.recorded >= prev } else { e.recorded <= prev });
                }
                last = Some(e.recorded);
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), N, "{ordering:?}");
    }
    // A cursor continues only the order it was made in.
    let page = srv.directory.events(&op, filter.clone(), Ordering::Asc, Some(10), None).await.unwrap();
    let err = srv.directory.events(&op, filter, Ordering::Desc, Some(10), page.next_cursor.as_deref()).await;
    assert!(matches!(err, Err(roster_core::CoreError::Cursor)));
});

/// Reads NDJSON lines from a response until `n` are in, or ten seconds pass.
async fn lines(resp: &mut reqwest::Response, n: usize) -> Vec<Value> {
    let mut buf = Vec::new();
    let read = async {
        while buf.iter().filter(|b| **b == b'\n').count() < n {
            match resp.chunk().await.unwrap() {
                Some(c) => buf.extend_from_slice(&c),
                None => break,
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), read).await;
    buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect()
}

both!(the_stream_resumes_with_nothing_lost_or_repeated, |srv: &TestServer| async move {
    let mut live = srv.req(reqwest::Method::GET, "/api/v1/events/stream?event_type=USER_CHANGE").send().await.unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(live.headers()["content-type"], "application/x-ndjson");
    for name in ["s1", "s2", "s3"] {
        srv.user(json!({"user_name": name})).await;
    }
    let got = lines(&mut live, 3).await;
    let names: Vec<&str> = got.iter().map(|e| e["data"]["user"]["user_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["s1", "s2", "s3"]);
    // Disconnect after the second, miss some events, and resume from its cursor.
    drop(live);
    let cursor = got[1]["cursor"].as_str().unwrap().to_owned();
    for name in ["s4", "s5"] {
        srv.user(json!({"user_name": name})).await;
    }
    let path = format!("/api/v1/events/stream?event_type=USER_CHANGE&follow=false&cursor={cursor}");
    let mut resumed = srv.get(&path).await;
    let names: Vec<String> = lines(&mut resumed, 3)
        .await
        .iter()
        .map(|e| e["data"]["user"]["user_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["s3", "s4", "s5"]);

    // Server-sent events resume from Last-Event-ID.
    let r = srv
        .req(reqwest::Method::GET, "/api/v1/events/stream?event_type=USER_CHANGE&follow=false")
        .header("accept", "text/event-stream")
        .header("last-event-id", &cursor)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let text = r.text().await.unwrap();
    assert_eq!(text.matches("\nevent: event\ndata: ").count(), 3, "{text}");
    assert!(text.starts_with("id: "));
    expect_problem(srv.get("/api/v1/events/stream?cursor=bogus&follow=false").await, 400, "cursor.invalid").await;
});
