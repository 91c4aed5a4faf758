//! The MATTR VII Users dialect at `/compat/mattr`: its token endpoint, every users endpoint under
//! both prefixes, its error envelope, deep-subset claims search, keyset paging (also while users
//! are being created), credential metadata and the step-by-step analytic events.

use crate::*;
use std::collections::HashSet;

const CORE: &str = "/compat/mattr/core/v1/users";
const V1: &str = "/compat/mattr/v1/users";

/// Checks the vendor's error envelope; answers its details.
async fn error(resp: reqwest::Response, status: u16, code: &str) -> Vec<Value> {
    let body = expect(resp, status).await;
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].is_string(), "{body}");
    body["details"].as_array().unwrap_or_else(|| panic!("details missing: {body}")).clone()
}

/// A 400 naming one parameter at one location.
async fn invalid(resp: reqwest::Response, param: &str, location: &str) -> Value {
    let details = error(resp, 400, "BadRequest").await;
    let d = details.iter().find(|d| d["param"] == param).unwrap_or_else(|| panic!("{param} not named: {details:?}"));
    assert_eq!(d["location"], location, "{d}");
    assert!(d["msg"].as_str().is_some_and(|m| !m.is_empty()), "{d}");
    d.clone()
}

async fn create(srv: &TestServer, body: Value) -> Value {
    expect(srv.post(CORE, &body).await, 201).await
}

async fn search(srv: &TestServer, body: Value) -> Value {
    expect(srv.post(&format!("{CORE}/search"), &body).await, 200).await
}

fn data_ids(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect()
}

both!(tokens_and_permissions, |srv: &TestServer| async move {
    let token_url = srv.url("/compat/mattr/oauth/token");
    let app = srv.user(json!({"user_name": "issuer", "kind": "application"})).await;
    let app_id = app["id"].as_str().unwrap();
    expect(srv.put(&format!("/api/v1/users/{app_id}/roles/reader"), &json!({})).await, 200).await;
    let secret = expect(srv.post(&format!("/api/v1/users/{app_id}/client-secret"), &json!({})).await, 200).await;
    let secret = secret["client_secret"].as_str().unwrap();
    let grant = |secret: &str, grant: &str, audience: &str| json!({"client_id": app_id, "client_secret": secret, "audience": audience, "grant_type": grant});
    let post = |body: Value| srv.client.post(&token_url).json(&body).send();
    let token = expect(post(grant(secret, "client_credentials", "https://tenant.example")).await.unwrap(), 200).await;
    assert_eq!(token["token_type"], "Bearer");
    assert!(token["expires_in"].as_i64().unwrap() > 0);
    let bearer = token["access_token"].as_str().unwrap().to_owned();

    error(post(grant("wrong", "client_credentials", "a")).await.unwrap(), 401, "Unauthorized").await;
    let d = invalid(post(grant(secret, "password", "a")).await.unwrap(), "grant_type", "body").await;
    assert_eq!(d["value"], "password");
    invalid(post(grant(secret, "client_credentials", " ")).await.unwrap(), "audience", "body").await;
    invalid(post(json!({"client_id": app_id})).await.unwrap(), "client_secret", "body").await;
    let form = srv.client.post(&token_url).form(&[("client_id", app_id)]).send().await.unwrap();
    error(form, 415, "UnsupportedMediaType").await;

    // A reader's token reads but does not write; no token, or a bad one, is a 401.
    let with = |m: reqwest::Method, path: &str| srv.client.request(m, srv.url(path)).bearer_auth(&bearer);
    expect(with(reqwest::Method::GET, V1).send().await.unwrap(), 200).await;
    let denied = with(reqwest::Method::POST, V1).json(&json!({"claims": {}})).send().await.unwrap();
    error(denied, 403, "Forbidden").await;
    error(srv.client.get(srv.url(CORE)).send().await.unwrap(), 401, "Unauthorized").await;
    error(srv.client.get(srv.url(CORE)).bearer_auth("a.b.c").send().await.unwrap(), 401, "Unauthorized").await;
    error(srv.get("/compat/mattr/core/v1/nothing").await, 404, "NotFound").await;
});

both!(users_under_both_prefixes, |srv: &TestServer| async move {
    let provider = json!({"providerId": "okta", "url": "https://idp.example", "subjectId": "00u1"});
    let made = create(
        srv,
        json!({"claims": {"name": "Ann", "address": {"city": "Wellington"}}, "authenticationProvider": provider}),
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(made["claims"]["address"]["city"], "Wellington");
    assert_eq!(made["authenticationProvider"], provider);
    for base in [CORE, V1] {
        assert_eq!(expect(srv.get(&format!("{base}/{id}")).await, 200).await, made);
    }
    // A user may be created with no claims at all; the provider's subject belongs to one user.
    let bare = create(srv, json!({})).await;
    assert_eq!(bare["claims"], json!({}));
    assert!(bare.get("authenticationProvider").is_none());
    error(srv.post(CORE, &json!({"authenticationProvider": provider})).await, 409, "Conflict").await;
    invalid(
        srv.post(CORE, &json!({"authenticationProvider": {"providerId": "okta"}})).await,
        "authenticationProvider.subjectId",
        "body",
    )
    .await;
    invalid(
        srv.post(CORE, &json!({"authenticationProvider": {"providerId": "", "subjectId": "x"}})).await,
        "authenticationProvider.providerId",
        "body",
    )
    .await;
    invalid(srv.post(CORE, &json!({"claims": [1]})).await, "claims", "body").await;
    invalid(srv.post(CORE, &json!({"claims": {}, "extra": 1})).await, "extra", "body").await;
    let deep = json!({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}});
    invalid(srv.post(CORE, &json!({"claims": deep})).await, "claims", "body").await;
    invalid(srv.post(CORE, &json!({"claims": {"x": "a\u{0}b"}})).await, "claims", "body").await;
    // Numbers beyond ±1e300 do not survive PostgreSQL's exact decimals back into doubles: refused.
    let huge = srv.req(reqwest::Method::POST, CORE).header("content-type", "application/json");
    let huge = huge.body(r#"{"claims": {"x": 1.7976931348623157e308}}"#).send().await.unwrap();
    invalid(huge, "claims", "body").await;
    let fine = create(srv, json!({"claims": {"x": 1e299, "y": -12345678901234567890i128 as f64, "z": 5e-324}})).await;
    assert_eq!(expect(srv.get(&format!("{CORE}/{}", fine["id"].as_str().unwrap())).await, 200).await, fine);

    // PUT replaces the claims and keeps the provider.
    let put = expect(srv.put(&format!("{V1}/{id}"), &json!({"claims": {"name": "Ann B"}})).await, 200).await;
    assert_eq!(
        (put["claims"].clone(), put["authenticationProvider"].clone()),
        (json!({"name": "Ann B"}), provider.clone())
    );
    invalid(srv.put(&format!("{CORE}/{id}"), &json!({})).await, "claims", "body").await;
    invalid(srv.put(&format!("{CORE}/{id}"), &json!({"claims": "x"})).await, "claims", "body").await;
    let text =
        srv.req(reqwest::Method::PUT, &format!("{CORE}/{id}")).body("{").header("content-type", "application/json");
    invalid(text.send().await.unwrap(), "body", "body").await;

    // Malformed ids name the parameter; unknown ones are "User not found".
    let d = invalid(srv.get(&format!("{CORE}/not-a-uuid")).await, "id", "params").await;
    assert_eq!(d["value"], "not-a-uuid");
    invalid(srv.delete(&format!("{V1}/123")).await, "id", "params").await;
    invalid(srv.put(&format!("{V1}/123"), &json!({"claims": {}})).await, "id", "params").await;
    invalid(srv.get(&format!("{V1}/123/credentials")).await, "userId", "params").await;
    let nobody = uuid::Uuid::now_v7();
    for resp in [
        srv.get(&format!("{CORE}/{nobody}")).await,
        srv.put(&format!("{CORE}/{nobody}"), &json!({"claims": {}})).await,
        srv.delete(&format!("{CORE}/{nobody}")).await,
        srv.get(&format!("{CORE}/{nobody}/credentials")).await,
    ] {
        let body = expect(resp, 404).await;
        assert_eq!((body["code"].as_str(), body["message"].as_str()), (Some("NotFound"), Some("User not found")));
    }

    // Delete is final: 204, then 404, and the user is gone from the native API too.
    let r = srv.delete(&format!("{CORE}/{id}")).await;
    assert_eq!(r.status(), 204);
    error(srv.get(&format!("{V1}/{id}")).await, 404, "NotFound").await;
    error(srv.delete(&format!("{V1}/{id}")).await, 404, "NotFound").await;
    assert_eq!(srv.get(&format!("/api/v1/users/{id}")).await.status(), 404);
    // The provider's subject is free again.
    create(srv, json!({"authenticationProvider": provider})).await;

    // A user soft-deleted through the native API is not found here.
    let gone = bare["id"].as_str().unwrap();
    expect(srv.delete(&format!("/api/v1/users/{gone}")).await, 200).await;
    error(srv.get(&format!("{CORE}/{gone}")).await, 404, "NotFound").await;
    assert!(!data_ids(&expect(srv.get(CORE).await, 200).await).contains(&gone.to_owned()));

    let doc = expect(srv.client.get(srv.url("/compat/mattr/openapi.json")).send().await.unwrap(), 200).await;
    assert!(
        doc["paths"]["/core/v1/users/search"]["post"].is_object() && doc["paths"]["/v1/users/{id}"]["put"].is_object()
    );
});

both!(claims_search_is_a_deep_subset_match, |srv: &TestServer| async move {
    let ann = create(srv, json!({"claims": {"name": "Ann", "address": {"city": "Wellington", "zip": 6011}, "tags": ["a", "b"], "vip": true, "note": null, "profile": {}},
        "authenticationProvider": {"providerId": "okta", "subjectId": "ann"}})).await;
    let bob = create(srv, json!({"claims": {"name": "Bob", "address": {"city": "Wellington", "zip": "6011"}, "tags": ["b", "a"], "vip": false},
        "authenticationProvider": {"providerId": "google", "subjectId": "ann"}})).await;
    let cat = create(srv, json!({"claims": {"name": "ann", "address": {"city": "Auckland", "zip": 6011.0}}})).await;
    let id = |u: &Value| u["id"].as_str().unwrap().to_owned();
    let (ann, bob, cat) = (id(&ann), id(&bob), id(&cat));
    let found = |body: Value| async move { data_ids(&search(srv, body).await) };

    assert_eq!(found(json!({"claims": {"address": {"city": "Wellington"}}})).await, [ann.clone(), bob.clone()]);
    assert_eq!(
        found(json!({"claims": {"address": {"city": "Wellington", "zip": 6011}}})).await,
        vec![ann.clone()],
        "a number is not a string"
    );
    assert_eq!(
        found(json!({"claims": {"address": {"zip": 6011}}})).await,
        [ann.clone(), cat.clone()],
        "6011 equals 6011.0"
    );
    assert_eq!(found(json!({"claims": {"address": {"zip": "6011"}}})).await, vec![bob.clone()]);
    assert_eq!(found(json!({"claims": {"name": "Ann"}})).await, vec![ann.clone()], "text is exact, case included");
    assert_eq!(found(json!({"claims": {"name": "An"}})).await, Vec::<String>::new());
    assert_eq!(found(json!({"claims": {"tags": ["a", "b"]}})).await, vec![ann.clone()], "arrays are equal in order");
    assert_eq!(found(json!({"claims": {"vip": false}})).await, vec![bob.clone()]);
    assert_eq!(found(json!({"claims": {"note": null}})).await, vec![ann.clone()]);
    assert_eq!(
        found(json!({"claims": {"profile": {}}})).await,
        vec![ann.clone()],
        "an empty object asks for an object"
    );
    assert_eq!(found(json!({"claims": {"address": {}}})).await, [ann.clone(), bob.clone(), cat.clone()]);
    assert_eq!(found(json!({"claims": {}})).await, [ann.clone(), bob.clone(), cat.clone()]);
    assert_eq!(found(json!({})).await, [ann.clone(), bob.clone(), cat.clone()]);
    assert_eq!(found(json!({"claims": {"address": "Wellington"}})).await, Vec::<String>::new());
    assert_eq!(found(json!({"authenticationProvider": {"subjectId": "ann"}})).await, [ann.clone(), bob.clone()]);
    assert_eq!(
        found(json!({"authenticationProvider": {"providerId": "google", "subjectId": "ann"}})).await,
        vec![bob.clone()]
    );
    assert_eq!(
        found(json!({"claims": {"address": {"city": "Wellington"}}, "authenticationProvider": {"providerId": "okta"}}))
            .await,
        vec![ann.clone()]
    );
    invalid(srv.post(&format!("{CORE}/search"), &json!({"claims": "x"})).await, "claims", "body").await;
    invalid(srv.post(&format!("{CORE}/search"), &json!({"claims": {"a": "\u{0}"}})).await, "claims", "body").await;
    invalid(
        srv.post(&format!("{CORE}/search"), &json!({"authenticationProvider": {"other": 1}})).await,
        "authenticationProvider.other",
        "body",
    )
    .await;
    invalid(srv.post(&format!("{CORE}/search"), &json!({"nope": 1})).await, "nope", "body").await;

    // The index follows every change of the claims: PUT, a native PATCH, and deletion.
    expect(srv.put(&format!("{CORE}/{ann}"), &json!({"claims": {"address": {"city": "Nelson"}}})).await, 200).await;
    assert_eq!(found(json!({"claims": {"address": {"city": "Wellington"}}})).await, vec![bob.clone()]);
    assert_eq!(found(json!({"claims": {"address": {"city": "Nelson"}}})).await, vec![ann.clone()]);
    let patch = json!({"claims": {"address": {"city": "Nelson"}}});
    expect(srv.patch(&format!("/api/v1/users/{bob}"), "application/merge-patch+json", &patch).await, 200).await;
    assert_eq!(found(json!({"claims": {"address": {"city": "Nelson"}}})).await, [ann.clone(), bob.clone()]);
    assert_eq!(
        found(json!({"claims": {"address": {"zip": "6011"}}})).await,
        vec![bob.clone()],
        "a merge patch keeps the rest"
    );
    assert_eq!(srv.delete(&format!("{CORE}/{ann}")).await.status(), 204);
    assert_eq!(found(json!({"claims": {"address": {"city": "Nelson"}}})).await, vec![bob.clone()]);
    // The native filter reads the same index.
    let native =
        expect(srv.get(&format!("/api/v1/users?filter={}", q(r#"claims.address.city eq "Nelson""#))).await, 200).await;
    assert_eq!(ids(&native), vec![bob.clone()]);
    let native =
        expect(srv.get(&format!("/api/v1/users?filter={}", q(r#"not (claims.name eq "Bob")"#))).await, 200).await;
    assert!(ids(&native).contains(&cat) && !ids(&native).contains(&bob));
});

both!(keyset_pages, |srv: &TestServer| async move {
    let mut made = Vec::new();
    for i in 0..23 {
        made.push(
            create(srv, json!({"claims": {"n": i, "group": if i % 2 == 0 { "even" } else { "odd" }}})).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // GET pages: each user once, in creation order, nextCursor absent on the last page.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{V1}?limit=7&cursor={}", q(c)),
            None => format!("{V1}?limit=7"),
        };
        let page = expect(srv.get(&path).await, 200).await;
        let got = data_ids(&page);
        assert!(got.len() <= 7);
        seen.extend(got);
        match page.get("nextCursor") {
            Some(c) => cursor = Some(c.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, made);
    // Search pages the same way, and a cursor belongs to its search.
    let first = search(srv, json!({"claims": {"group": "even"}, "limit": 5})).await;
    assert_eq!(data_ids(&first).len(), 5);
    let c = first["nextCursor"].as_str().unwrap();
    let second = search(srv, json!({"claims": {"group": "even"}, "limit": 5, "cursor": c})).await;
    let third = search(srv, json!({"claims": {"group": "even"}, "limit": 5, "cursor": second["nextCursor"]})).await;
    assert!(third.get("nextCursor").is_none());
    assert_eq!(data_ids(&first).len() + data_ids(&second).len() + data_ids(&third).len(), 12);
    invalid(
        srv.post(&format!("{CORE}/search"), &json!({"claims": {"group": "odd"}, "cursor": c})).await,
        "cursor",
        "query",
    )
    .await;
    invalid(srv.get(&format!("{CORE}?cursor=bm90LWEtY3Vyc29y")).await, "cursor", "query").await;
    for bad in ["0", "1001", "abc", "2.5", "-1"] {
        let d = invalid(srv.get(&format!("{CORE}?limit={bad}")).await, "limit", "query").await;
        assert_eq!(d["value"], bad);
    }
    for bad in [json!(0), json!(1001), json!("x"), json!(1.5)] {
        invalid(srv.post(&format!("{CORE}/search"), &json!({"limit": bad})).await, "limit", "body").await;
    }
    assert_eq!(data_ids(&expect(srv.get(&format!("{CORE}?limit=1000")).await, 200).await).len(), 23);
    assert_eq!(data_ids(&expect(srv.get(CORE).await, 200).await).len(), 23, "100 by default");
});

both!(pages_hold_while_users_are_created, |srv: &TestServer| async move {
    let mut before = Vec::new();
    for i in 0..40 {
        before.push(create(srv, json!({"claims": {"n": i}})).await["id"].as_str().unwrap().to_owned());
    }
    let writer = {
        let (client, url) = (srv.client.clone(), srv.url(CORE));
        tokio::spawn(async move {
            for i in 0..60 {
                let r = client
                    .post(&url)
                    .bearer_auth(roster_testkit::ADMIN_KEY)
                    .json(&json!({"claims": {"late": i}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
            }
        })
    };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({"limit": 7});
        if let Some(c) = &cursor {
            body["cursor"] = json!(c);
        }
        let page = search(srv, body).await;
        seen.extend(data_ids(&page));
        match page.get("nextCursor") {
            Some(c) => cursor = Some(c.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    writer.await.unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no user twice");
    assert_eq!(seen[..40], before[..], "every user that existed, once, in order");
});

both!(credential_metadata, |srv: &TestServer| async move {
    let uid = person(srv, "dora").await;
    expect(srv.post(&format!("/api/v1/users/{uid}/device-binding"), &json!({})).await, 202).await;
    let token = srv.wait_for_mail(1).await[0].token();
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = {
        use ed25519_dalek::pkcs8::EncodePublicKey;
        key.verifying_key().to_public_key_pem(Default::default()).unwrap()
    };
    let bind = json!({"token": token, "name": "Dora's laptop", "public_key": pem});
    let device =
        expect(srv.client.post(srv.url("/api/v1/device-binding")).json(&bind).send().await.unwrap(), 201).await;

    let all = expect(srv.get(&format!("{CORE}/{uid}/credentials")).await, 200).await;
    assert!(all.get("nextCursor").is_none());
    let kinds: Vec<&str> = all["data"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["password", "deviceKey"]);
    assert_eq!(all["data"][1]["id"], device["id"]);
    assert_eq!(
        (all["data"][1]["name"].as_str(), all["data"][1]["algorithm"].as_str()),
        (Some("Dora's laptop"), Some("Ed25519"))
    );
    assert!(all["data"][0]["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(!all.to_string().contains("BEGIN PUBLIC KEY") && !all.to_string().contains("argon2"), "metadata only");

    let first = expect(srv.get(&format!("{V1}/{uid}/credentials?limit=1")).await, 200).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 1);
    let c = first["nextCursor"].as_str().unwrap();
    let second = expect(srv.get(&format!("{V1}/{uid}/credentials?limit=1&cursor={}", q(c))).await, 200).await;
    assert_eq!(second["data"][0]["type"], "deviceKey");
    assert!(second.get("nextCursor").is_none());
    // A cursor pages the user it was made for only.
    let other = person(srv, "eve").await;
    invalid(srv.get(&format!("{V1}/{other}/credentials?cursor={}", q(c))).await, "cursor", "query").await;
    invalid(srv.get(&format!("{V1}/{uid}/credentials?limit=0")).await, "limit", "query").await;

    let app = srv.user(json!({"user_name": "robot", "kind": "application"})).await;
    let app_id = app["id"].as_str().unwrap();
    expect(srv.post(&format!("/api/v1/users/{app_id}/client-secret"), &json!({})).await, 200).await;
    let creds = expect(srv.get(&format!("{CORE}/{app_id}/credentials")).await, 200).await;
    assert_eq!(creds["data"][0]["type"], "clientSecret");
    assert_eq!(creds["data"][0]["id"], app["id"]);
});

both!(analytic_events, |srv: &TestServer| async move {
    let made = create(srv, json!({"claims": {"k": "v"}})).await;
    let id = made["id"].as_str().unwrap();
    expect(srv.get(&format!("{CORE}/{id}")).await, 200).await;
    expect(srv.put(&format!("{CORE}/{id}"), &json!({"claims": {"k": "w"}})).await, 200).await;
    expect(srv.get(CORE).await, 200).await;
    search(srv, json!({"claims": {"k": "w"}})).await;
    expect(srv.get(&format!("{CORE}/{id}/credentials")).await, 200).await;
    let nobody = uuid::Uuid::now_v7();
    expect(srv.get(&format!("{CORE}/{nobody}")).await, 404).await;
    expect(srv.delete(&format!("{CORE}/{nobody}")).await, 404).await;
    assert_eq!(srv.delete(&format!("{CORE}/{id}")).await.status(), 204);

    let page = expect(srv.get("/api/v1/events?page_size=1000").await, 200).await;
    let events = page["events"].as_array().unwrap();
    let types: HashSet<&str> = events.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    for t in [
        "USER_CREATE_START",
        "USER_CREATE_SUCCESS",
        "USER_RETRIEVE_START",
        "USER_RETRIEVE_SUCCESS",
        "USER_RETRIEVE_FAIL",
        "USER_UPDATE_START",
        "USER_UPDATE_SUCCESS",
        "USER_RETRIEVE_LIST_START",
        "USER_RETRIEVE_LIST_SUCCESS",
        "USER_SEARCH_START",
        "USER_SEARCH_SUCCESS",
        "USER_CREDENTIALS_RETRIEVE_START",
        "USER_CREDENTIALS_RETRIEVE_SUCCESS",
        "USER_DELETE_START",
        "USER_DELETE_SUCCESS",
        "USER_DELETE_FAIL",
    ] {
        assert!(types.contains(t), "{t} missing from {types:?}");
    }
    let failed = events.iter().find(|e| e["event_type"] == "USER_RETRIEVE_FAIL").unwrap();
    assert_eq!(
        (failed["outcome"].as_str(), failed["data"]["id"].as_str()),
        (Some("FAILURE"), Some(nobody.to_string().as_str()))
    );
    let created = events.iter().find(|e| e["event_type"] == "USER_CREATE_SUCCESS").unwrap();
    assert_eq!(created["data"]["id"], made["id"]);
});
