//! The Allthenticate Users dialect at `/compat/allthenticate`: keys in both headers, every
//! endpoint in every parameter encoding, the smartcard duplicate rule, ranks, guests,
//! suspension, the streamed user list, removal with sole and shared policies, and invitations.

use crate::*;
use reqwest::Method;

const BASE: &str = "/compat/allthenticate";

/// How parameters travel: a JSON body (lists as arrays, or as serialized strings), form fields
/// or the query string (lists serialized).
#[derive(Debug, Clone, Copy)]
enum Enc {
    Json,
    JsonText,
    Form,
    Query,
}
use Enc::*;
const ALL: [Enc; 4] = [Json, JsonText, Form, Query];

/// The parameters as text pairs, lists and objects serialized as JSON.
fn pairs(params: &Value) -> Vec<(String, String)> {
    params
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
        .collect()
}

async fn call(srv: &TestServer, method: Method, path: &str, enc: Enc, params: Value) -> reqwest::Response {
    let r = srv.req(method, &format!("{BASE}{path}"));
    let r = match enc {
        Json => r.json(&params),
        JsonText => {
            let text: serde_json::Map<String, Value> = params
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), if v.is_array() { Value::String(v.to_string()) } else { v.clone() }))
                .collect();
            r.json(&text)
        }
        Form => r.form(&pairs(&params)),
        Query => r.query(&pairs(&params)),
    };
    r.send().await.unwrap()
}

/// The `success` text of a 200.
async fn ok(resp: reqwest::Response) -> String {
    let body = expect(resp, 200).await;
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    body["success"].as_str().unwrap_or_else(|| panic!("no success: {body}")).to_owned()
}

/// The `error` text of a refusal with this status.
async fn error(resp: reqwest::Response, status: u16) -> String {
    let body = expect(resp, status).await;
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    body["error"].as_str().unwrap_or_else(|| panic!("no error: {body}")).to_owned()
}

/// A native user; answers (id, number).
async fn member(srv: &TestServer, name: &str) -> (String, i64) {
    let u = srv.user(json!({"user_name": name, "email": format!("{name}@example.com")})).await;
    (u["id"].as_str().unwrap().to_owned(), u["number"].as_i64().unwrap())
}

/// `GET /user`, asked in every encoding; answers the one (equal) answer.
async fn get_user(srv: &TestServer, number: i64) -> Value {
    let answer = expect(call(srv, Method::GET, "/user", Query, json!({"email_id": number})).await, 200).await;
    for enc in [Json, Form, JsonText] {
        let again =
            expect(call(srv, Method::GET, "/user", enc, json!({"email_id": number.to_string()})).await, 200).await;
        assert_eq!(again, answer, "{enc:?}");
    }
    answer
}

both!(keys_headers_and_envelopes, |srv: &TestServer| async move {
    let (_, n) = member(srv, "ann").await;
    let path = srv.url(&format!("{BASE}/user?email_id={n}"));
    let c = &srv.client;
    assert!(error(c.get(&path).send().await.unwrap(), 401).await.contains("API key"));
    error(c.get(&path).bearer_auth("roster_nope").send().await.unwrap(), 401).await;
    error(c.get(&path).header("x-api-key", "roster_nope").send().await.unwrap(), 401).await;
    let op = srv.directory.operator("default").await.unwrap();
    let (_, admin) = srv.directory.create_api_key(&op, "a", "admin", None).await.unwrap();
    expect(c.get(&path).header("x-api-key", &admin).send().await.unwrap(), 200).await;
    expect(c.get(&path).bearer_auth(&admin).send().await.unwrap(), 200).await;
    // Expired and revoked keys are refused like unknown ones.
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1200);
    let (_, brief) = srv.directory.create_api_key(&op, "b", "admin", Some(soon)).await.unwrap();
    let (gone, revoked) = srv.directory.create_api_key(&op, "r", "admin", None).await.unwrap();
    expect(c.get(&path).header("x-api-key", &brief).send().await.unwrap(), 200).await;
    srv.directory.revoke_api_key(&op, gone.id).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    for key in [&brief, &revoked] {
        error(c.get(&path).header("x-api-key", key).send().await.unwrap(), 401).await;
        error(c.get(&path).bearer_auth(key).send().await.unwrap(), 401).await;
    }
    // A reader reads and changes nothing.
    let (_, reader) = srv.directory.create_api_key(&op, "ro", "reader", None).await.unwrap();
    expect(c.get(&path).header("x-api-key", &reader).send().await.unwrap(), 200).await;
    let post = c.post(srv.url(&format!("{BASE}/togglesuspension"))).header("x-api-key", &reader);
    assert!(error(post.json(&json!({"email_id": n})).send().await.unwrap(), 403).await.contains("does not allow"));
    // The envelope for what is not an endpoint, method or body this API takes.
    error(srv.get(&format!("{BASE}/nothing")).await, 404).await;
    error(srv.req(Method::PATCH, &format!("{BASE}/user")).send().await.unwrap(), 405).await;
    let text = srv.req(Method::POST, &format!("{BASE}/togglesuspension")).header("content-type", "text/plain");
    error(text.body("email_id=1").send().await.unwrap(), 415).await;
    let big = json!({"email_id": n, "computer_usernames": vec![json!({"computer_username": "x".repeat(100)}); 800]});
    error(call(srv, Method::POST, "/modifyallusernames", Json, big).await, 413).await;
    error(
        srv.req(Method::POST, &format!("{BASE}/togglesuspension"))
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    error(srv.req(Method::POST, &format!("{BASE}/togglesuspension")).json(&json!([1])).send().await.unwrap(), 400)
        .await;
    // An empty body with a JSON content type (as some clients send on a GET) is no parameters.
    let empty = srv.req(Method::GET, &format!("{BASE}/user?email_id={n}")).header("content-type", "application/json");
    expect(empty.send().await.unwrap(), 200).await;
    // The same parameter twice (query and body) is refused rather than guessed.
    let twice = srv.req(Method::POST, &format!("{BASE}/togglesuspension?email_id={n}")).json(&json!({"email_id": n}));
    assert!(error(twice.send().await.unwrap(), 400).await.contains("more than once"));
    let doc = expect(c.get(srv.url(&format!("{BASE}/openapi.json"))).send().await.unwrap(), 200).await;
    assert!(doc["paths"]["/multipleusers"]["get"].is_object(), "{doc}");
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.contains_key("bearer") && schemes.contains_key("apiKeyHeader"), "{schemes:?}");
});

both!(computer_user_names_in_every_encoding, |srv: &TestServer| async move {
    let (_, ann) = member(srv, "ann").await;
    let (_, bob) = member(srv, "bob").await;
    for (i, enc) in ALL.into_iter().enumerate() {
        let names = json!([{"computer_username": format!("ann{i}")}, {"computer_username": format!("A.Dev_{i}")}]);
        let m = ok(call(
            srv,
            Method::POST,
            "/modifyallusernames",
            enc,
            json!({"email_id": ann, "computer_usernames": names}),
        )
        .await)
        .await;
        assert!(m.contains("ann@example.com") && m.contains(&format!("A.Dev_{i}")), "{enc:?}: {m}");
        assert_eq!(
            get_user(srv, ann).await["computer_usernames"],
            json!([format!("ann{i}"), format!("A.Dev_{i}")]),
            "{enc:?}"
        );
    }
    // Another user's name (in any case), or a name twice, is refused and changes nothing.
    let taken = json!({"email_id": bob, "computer_usernames": [{"computer_username": "ANN3"}]});
    let m = error(call(srv, Method::POST, "/modifyallusernames", Json, taken).await, 400).await;
    assert!(m.contains("already used by another user"), "{m}");
    let twice =
        json!({"email_id": bob, "computer_usernames": [{"computer_username": "b"}, {"computer_username": "B"}]});
    let m = error(call(srv, Method::POST, "/modifyallusernames", Form, twice).await, 400).await;
    assert!(m.contains("computer_usernames[1]") && m.contains("twice"), "{m}");
    assert_eq!(get_user(srv, bob).await["computer_usernames"], json!([]));
    for (bad, what) in [
        (json!({"email_id": bob, "computer_usernames": [{"computer_username": "has space"}]}), "computer_usernames[0]"),
        (json!({"email_id": bob, "computer_usernames": [{"computer_username": "-x"}]}), "computer_usernames[0]"),
        (json!({"email_id": bob, "computer_usernames": [{"name": "x"}]}), "computer_usernames[0]: unknown field name"),
        (json!({"email_id": bob, "computer_usernames": [{}]}), "computer_usernames[0].computer_username is required"),
        (json!({"email_id": bob, "computer_usernames": ["x"]}), "each entry must be an object"),
        (json!({"email_id": bob, "computer_usernames": "[not json"}), "must be a JSON array"),
        (json!({"email_id": bob, "computer_usernames": {"a": 1}}), "must be a JSON array"),
        (json!({"email_id": bob}), "computer_usernames is required"),
        (json!({"computer_usernames": []}), "email_id is required"),
        (json!({"email_id": "b1", "computer_usernames": []}), "email_id must be a positive integer"),
        (json!({"email_id": 0, "computer_usernames": []}), "email_id must be a positive integer"),
        (json!({"email_id": bob, "computer_usernames": [], "extra": 1}), "unknown parameter extra"),
    ] {
        let m = error(call(srv, Method::POST, "/modifyallusernames", Json, bad.clone()).await, 400).await;
        assert!(m.contains(what), "{bad}: {m}");
    }
    assert_eq!(get_user(srv, bob).await["computer_usernames"], json!([]));
    error(
        call(srv, Method::POST, "/modifyallusernames", Json, json!({"email_id": 999, "computer_usernames": []})).await,
        404,
    )
    .await;
    // An empty list removes them all, and frees them for others.
    ok(call(srv, Method::POST, "/modifyallusernames", Query, json!({"email_id": ann, "computer_usernames": []})).await)
        .await;
    assert_eq!(get_user(srv, ann).await["computer_usernames"], json!([]));
    let freed = json!({"email_id": bob, "computer_usernames": [{"computer_username": "ann3"}]});
    ok(call(srv, Method::POST, "/modifyallusernames", Json, freed).await).await;
});

both!(smartcards_and_the_duplicate_rule, |srv: &TestServer| async move {
    let (_, ann) = member(srv, "ann").await;
    let (_, bob) = member(srv, "bob").await;
    for enc in ALL {
        let cards = json!([{"number": "123456", "label": "Badge"}, {"number": "0042"}]);
        ok(call(srv, Method::POST, "/modifysmartcard", enc, json!({"email_id": ann, "smartcards": cards})).await).await;
        let got = expect(call(srv, Method::GET, "/modifysmartcard", enc, json!({"email_id": ann})).await, 200).await;
        let want = json!({"email_id": ann, "smartcards": [{"label": "Badge", "number": "123456"}, {"label": null, "number": "0042"}]});
        assert_eq!(got, want, "{enc:?}");
    }
    assert_eq!(get_user(srv, ann).await["smartcards"][0]["number"], "123456");
    // Twice in one list, or already another user's: refused unless duplicates are allowed.
    let twice = json!([{"number": "7"}, {"number": "7"}]);
    let m = error(
        call(srv, Method::POST, "/modifysmartcard", Json, json!({"email_id": bob, "smartcards": twice})).await,
        400,
    )
    .await;
    assert!(m.contains("smartcards[1].number") && m.contains("twice") && !m.contains('7'), "{m}");
    let held = json!([{"number": "1"}, {"number": "123456"}]);
    let m = error(
        call(srv, Method::POST, "/modifysmartcard", Form, json!({"email_id": bob, "smartcards": held})).await,
        400,
    )
    .await;
    assert!(m.contains("smartcards[1].number") && m.contains("held by another user") && !m.contains("123456"), "{m}");
    let m = error(
        call(
            srv,
            Method::POST,
            "/modifysmartcard",
            Json,
            json!({"email_id": bob, "smartcards": held, "allow_duplicates": "no"}),
        )
        .await,
        400,
    )
    .await;
    assert!(m.contains("allow_duplicates must be true or false"), "{m}");
    assert_eq!(get_user(srv, bob).await["smartcards"], json!([]), "nothing was written");
    for (enc, allow) in [(Json, json!(true)), (Form, json!("TRUE")), (Query, json!("1")), (JsonText, json!(1))] {
        let p = json!({"email_id": bob, "smartcards": held, "allow_duplicates": allow});
        ok(call(srv, Method::POST, "/modifysmartcard", enc, p).await).await;
        let p = json!({"email_id": bob, "smartcards": twice, "allow_duplicates": allow});
        ok(call(srv, Method::POST, "/modifysmartcard", enc, p).await).await;
    }
    // allow_duplicates=false (in any spelling) keeps the rule.
    for no in [json!(false), json!("False"), json!("0")] {
        let p = json!({"email_id": bob, "smartcards": held, "allow_duplicates": no});
        error(call(srv, Method::POST, "/modifysmartcard", Json, p).await, 400).await;
    }
    // Numbers are integer strings (an integer is taken as one); labels are optional text.
    for (cards, what) in [
        (json!([{"number": "12a"}]), "smartcards[0].number: must be an integer string"),
        (json!([{"number": "-1"}]), "smartcards[0].number: must be an integer string"),
        (json!([{"number": ""}]), "smartcards[0].number: must be an integer string"),
        (json!([{"label": "x"}]), "smartcards[0].number is required"),
        (json!([{"number": "1", "label": ["x"]}]), "smartcards[0].label must be a string"),
        (json!([{"number": true}]), "smartcards[0].number must be a string"),
        (json!([{"number": "1", "pin": "2"}]), "smartcards[0]: unknown field pin"),
    ] {
        let m = error(
            call(srv, Method::POST, "/modifysmartcard", Json, json!({"email_id": ann, "smartcards": cards})).await,
            400,
        )
        .await;
        assert!(m.contains(what), "{cards}: {m}");
    }
    ok(call(srv, Method::POST, "/modifysmartcard", Json, json!({"email_id": ann, "smartcards": [{"number": 99}]}))
        .await)
    .await;
    let got = expect(call(srv, Method::GET, "/modifysmartcard", Query, json!({"email_id": ann})).await, 200).await;
    assert_eq!(got["smartcards"], json!([{"label": null, "number": "99"}]));
    error(call(srv, Method::POST, "/modifysmartcard", Json, json!({"email_id": ann})).await, 400).await;
    error(call(srv, Method::GET, "/modifysmartcard", Query, json!({"email_id": 4242})).await, 404).await;
    error(call(srv, Method::GET, "/modifysmartcard", Query, json!({})).await, 400).await;
    // An empty list removes them all.
    ok(call(srv, Method::POST, "/modifysmartcard", JsonText, json!({"email_id": ann, "smartcards": []})).await).await;
    assert_eq!(get_user(srv, ann).await["smartcards"], json!([]));
    // The trail names the change, never the numbers.
    let events = expect(srv.get("/api/v1/events?event_type=CREDENTIAL_CHANGE&page_size=100").await, 200).await;
    assert!(events.to_string().contains("smartcards") && !events.to_string().contains("123456"));
});

both!(ranks_through_roles, |srv: &TestServer| async move {
    let (u1, one) = member(srv, "one").await;
    let (_, two) = member(srv, "two").await;
    let rank = |n: i64, r: &str, enc: Enc, key: Option<String>| {
        let p = json!({"admin_user_id": n, "rank": r});
        async move {
            match key {
                None => call(srv, Method::POST, "/modifyrank", enc, p).await,
                Some(k) => srv
                    .client
                    .post(srv.url(&format!("{BASE}/modifyrank")))
                    .header("x-api-key", k)
                    .json(&p)
                    .send()
                    .await
                    .unwrap(),
            }
        }
    };
    // The bootstrap key is SUPER: it makes admins and supers, in every encoding and any case.
    assert!(ok(rank(one, "SUPER", Json, None).await).await.contains("is now SUPER"));
    let roles = expect(srv.get(&format!("/api/v1/users/{u1}/roles")).await, 200).await;
    assert!(roles.to_string().contains("super-admin"), "{roles}");
    assert!(ok(rank(two, "admin", Form, None).await).await.contains("is now ADMIN"));
    assert!(ok(rank(two, "Regular", Query, None).await).await.contains("is now REGULAR"));
    assert!(ok(rank(two, "ADMIN", JsonText, None).await).await.contains("is now ADMIN"));
    // An ADMIN key neither makes nor unmakes admins; REGULAR to REGULAR is no change it needs.
    let op = srv.directory.operator("default").await.unwrap();
    let (_, admin) = srv.directory.create_api_key(&op, "a", "admin", None).await.unwrap();
    let (_, three) = member(srv, "three").await;
    let m = error(rank(two, "REGULAR", Json, Some(admin.clone())).await, 400).await;
    assert!(m.contains("Only a SUPER"), "{m}");
    error(rank(three, "ADMIN", Json, Some(admin.clone())).await, 400).await;
    ok(rank(three, "REGULAR", Json, Some(admin.clone())).await).await;
    // The last SUPER keeps its rank, until another user is one.
    let m = error(rank(one, "ADMIN", Json, None).await, 400).await;
    assert!(m.contains("at least one user with the super-admin role"), "{m}");
    ok(rank(two, "SUPER", Json, None).await).await;
    assert!(ok(rank(one, "REGULAR", Json, None).await).await.contains("is now REGULAR"));
    let roles = expect(srv.get(&format!("/api/v1/users/{u1}/roles")).await, 200).await;
    assert!(!roles.to_string().contains("admin"), "{roles}");
    // A rank held through a group is changed on the group.
    let g = srv.group("admins").await;
    let gid = g["id"].as_str().unwrap();
    expect(srv.put(&format!("/api/v1/groups/{gid}/roles/admin"), &json!({})).await, 200).await;
    srv.post(&format!("/api/v1/groups/{gid}/members"), &json!({"kind": "user", "id": u1})).await;
    let m = error(rank(one, "REGULAR", Json, None).await, 400).await;
    assert!(m.contains("through a group"), "{m}");
    ok(rank(one, "SUPER", Json, None).await).await;
    // Guests have no rank; bad ranks and users are named.
    let guest = srv.user(json!({"user_name": "visitor", "guest": true})).await;
    let m = error(rank(guest["number"].as_i64().unwrap(), "ADMIN", Json, None).await, 400).await;
    assert!(m.contains("guest"), "{m}");
    assert!(error(rank(one, "OWNER", Json, None).await, 400).await.contains("REGULAR, ADMIN or SUPER"));
    error(rank(777, "ADMIN", Json, None).await, 404).await;
    let m = error(call(srv, Method::POST, "/modifyrank", Json, json!({"rank": "ADMIN"})).await, 400).await;
    assert!(m.contains("admin_user_id is required"), "{m}");
});

both!(guests_and_suspension, |srv: &TestServer| async move {
    let guest = srv.user(json!({"user_name": "visitor", "email": "v@example.com", "guest": true})).await;
    let g = guest["number"].as_i64().unwrap();
    let (regular, r) = member(srv, "regular").await;
    let usernames = |list: &Value| -> Vec<String> {
        list.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect()
    };
    let list = expect(call(srv, Method::GET, "/multipleusers", Query, json!({})).await, 200).await;
    assert_eq!(usernames(&list), ["regular"]);
    for tag in ["GUEST", "guest"] {
        let list = expect(call(srv, Method::GET, "/multipleusers", Query, json!({"user_tag": tag})).await, 200).await;
        assert_eq!(usernames(&list), ["visitor"]);
        assert_eq!(list[0]["user_tag"], "GUEST");
    }
    error(call(srv, Method::GET, "/multipleusers", Query, json!({"user_tag": "ADMIN"})).await, 400).await;
    // A guest joins no group and no policy until promoted.
    let group = srv.group("staff").await;
    let gid = group["id"].as_str().unwrap();
    let uid = guest["id"].as_str().unwrap();
    let r409 = srv.post(&format!("/api/v1/groups/{gid}/members"), &json!({"kind": "user", "id": uid})).await;
    expect_problem(r409, 409, "conflict").await;
    let policy = expect(srv.post("/api/v1/access-policies", &json!({"name": "visitors"})).await, 201).await;
    let assign = json!({"access_policy_id": policy["id"]});
    expect_problem(srv.put(&format!("/api/v1/users/{uid}/access-policy"), &assign).await, 409, "conflict").await;
    for enc in [Json, Form] {
        let p = json!({"email_id": r});
        let m = error(call(srv, Method::POST, "/promoteguest", enc, p).await, 400).await;
        assert!(m.contains("not a guest"), "{m}");
    }
    let m = ok(call(srv, Method::POST, "/promoteguest", Query, json!({"email_id": g})).await).await;
    assert_eq!(m, "v@example.com was promoted from GUEST to USER");
    expect(srv.post(&format!("/api/v1/groups/{gid}/members"), &json!({"kind": "user", "id": uid})).await, 200).await;
    expect(srv.put(&format!("/api/v1/users/{uid}/access-policy"), &assign).await, 200).await;
    let list = expect(call(srv, Method::GET, "/multipleusers", Query, json!({"user_tag": "USER"})).await, 200).await;
    assert_eq!(usernames(&list), ["visitor", "regular"]);
    error(call(srv, Method::POST, "/promoteguest", Json, json!({"email_id": g})).await, 400).await;

    // Suspension ends the user's sessions; reactivation brings none back.
    let r200 = srv.post(&format!("/api/v1/users/{regular}/password"), &json!({"password": PASSWORD})).await;
    assert_eq!(r200.status(), 204);
    let token = token(srv, "regular").await;
    let me = || srv.client.get(srv.url("/api/v1/me")).bearer_auth(&token).send();
    expect(me().await.unwrap(), 200).await;
    for (enc, state) in [(Form, "SUSPENDED"), (Json, "ACTIVE"), (Query, "SUSPENDED"), (JsonText, "ACTIVE")] {
        let m = ok(call(srv, Method::POST, "/togglesuspension", enc, json!({"email_id": r})).await).await;
        assert_eq!(m, format!("regular@example.com is now {state}"));
        let list = expect(call(srv, Method::GET, "/multipleusers", Query, json!({})).await, 200).await;
        let row = list.as_array().unwrap().iter().find(|u| u["email_id"] == r).unwrap().clone();
        assert_eq!(row["ad_status"], state);
    }
    assert_eq!(me().await.unwrap().status(), 401);
    assert_eq!(login(srv, "regular", PASSWORD).await.status(), 200);
    // Only active and suspended users toggle.
    let invited = expect(srv.post("/api/v1/invitations", &json!({"email": "new@example.com"})).await, 201).await;
    let p = json!({"email_id": invited["number"]});
    assert!(error(call(srv, Method::POST, "/togglesuspension", Json, p).await, 400).await.contains("invited"));
    error(call(srv, Method::POST, "/togglesuspension", Json, json!({"email_id": 4040})).await, 404).await;
});

both!(multipleusers_fields_and_stream, |srv: &TestServer| async move {
    let op = srv.directory.operator("default").await.unwrap();
    let spec = |n: usize| roster_core::model::UserSpec {
        user_name: format!("user{n:04}"),
        given_name: Some(format!("Given{n}")),
        family_name: Some("Family".into()),
        email: Some(format!("user{n}@example.com")),
        email_verified: n % 2 == 0,
        claims: roster_core::model::empty_object(),
        ..Default::default()
    };
    // More than two pages (the face streams 500 at a time).
    for n in 0..1203 {
        srv.directory.create_user(&op, spec(n)).await.unwrap();
    }
    let staff = srv.group("Staff").await;
    let admins = srv.group("Admins").await;
    let first = srv.directory.user_numbered(&op, 1).await.unwrap().id;
    for g in [&staff, &admins] {
        let gid = g["id"].as_str().unwrap();
        expect(srv.post(&format!("/api/v1/groups/{gid}/members"), &json!({"kind": "user", "id": first})).await, 200)
            .await;
    }
    let resp = call(srv, Method::GET, "/multipleusers", Query, json!({})).await;
    assert_eq!(resp.headers()["content-type"], "application/json");
    let list = expect(resp, 200).await;
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 1203);
    let numbers: Vec<i64> = rows.iter().map(|u| u["user_id"].as_i64().unwrap()).collect();
    assert_eq!(numbers, (1..=1203).collect::<Vec<_>>(), "every user once, by number");
    let one = &rows[0];
    assert_eq!(one["groups"], json!([["Admins"], ["Staff"]]));
    assert_eq!((one["email_id"].clone(), one["username"].clone()), (json!(1), json!("user0000")));
    assert_eq!(
        (one["name"].clone(), one["first_name"].clone(), one["last_name"].clone()),
        (json!("Given0 Family"), json!("Given0"), json!("Family"))
    );
    assert_eq!((one["ad_status"].clone(), one["email_status"].clone()), (json!("ACTIVE"), json!("CONFIRMED")));
    assert_eq!((rows[1]["email_status"].clone(), rows[1]["confirmed"].clone()), (json!("UNCONFIRMED"), Value::Null));
    let stamp = one["created"].as_str().unwrap();
    assert!(chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S").is_ok(), "{stamp}");
    assert_eq!((one["active_date"].clone(), one["confirmed"].clone()), (json!(stamp), json!(stamp)));
    assert_eq!(one["device_added"], Value::Null);
    assert!(uuid::Uuid::parse_str(one["unique_id"].as_str().unwrap()).is_ok());
    assert_eq!(rows[1202]["groups"], json!([]));
    // The trail records the three pages as one listing, with how many users it read.
    let found = expect(srv.get("/api/v1/events?event_type=USER_SEARCH_SUCCESS&page_size=100").await, 200).await;
    let searches = found["events"].as_array().unwrap();
    assert_eq!(searches.len(), 1, "{found}");
    assert_eq!(searches[0]["data"]["returned"], 1203);
    // email=true puts the address in the name, in every spelling of true.
    for flag in ["true", "1", "TRUE"] {
        let list = expect(call(srv, Method::GET, "/multipleusers", Query, json!({"email": flag})).await, 200).await;
        assert_eq!(list[0]["name"], "Given0 Family <user0@example.com>");
    }
    for (enc, no) in [(Json, json!(false)), (Form, json!("0")), (JsonText, json!("False"))] {
        let list = expect(call(srv, Method::GET, "/multipleusers", enc, json!({"email": no})).await, 200).await;
        assert_eq!(list[0]["name"], "Given0 Family", "{enc:?}");
    }
    error(call(srv, Method::GET, "/multipleusers", Query, json!({"email": "yes"})).await, 400).await;
    error(call(srv, Method::GET, "/multipleusers", Query, json!({"sort": "x"})).await, 400).await;
    // Removed users are no longer listed.
    ok(call(srv, Method::DELETE, "/user", Query, json!({"email_id": 2})).await).await;
    let list = expect(call(srv, Method::GET, "/multipleusers", Query, json!({})).await, 200).await;
    assert_eq!(list.as_array().unwrap().len(), 1202);
});

both!(removal_takes_groups_and_sole_policies, |srv: &TestServer| async move {
    let policy = |name: &str| {
        let body = json!({"name": name});
        async move { expect(srv.post("/api/v1/access-policies", &body).await, 201).await["id"].as_str().unwrap().to_owned() }
    };
    let assign = |user: String, p: Option<String>| async move {
        expect(srv.put(&format!("/api/v1/users/{user}/access-policy"), &json!({"access_policy_id": p})).await, 200)
            .await
    };
    let (ann, a) = member(srv, "ann").await;
    let (bob, b) = member(srv, "bob").await;
    let badge = json!({"email_id": a, "smartcards": [{"number": "777"}]});
    ok(call(srv, Method::POST, "/modifysmartcard", Json, badge).await).await;
    let desk = json!({"email_id": a, "computer_usernames": [{"computer_username": "ann-pc"}]});
    ok(call(srv, Method::POST, "/modifyallusernames", Json, desk).await).await;
    let (cat, c) = member(srv, "cat").await;
    let (dan, d) = member(srv, "dan").await;
    let sole = policy("ann-only").await;
    let shared = policy("shared").await;
    let of_group = policy("of-group").await;
    let group_too = policy("group-too").await;
    assign(ann.clone(), Some(sole.clone())).await;
    assign(bob.clone(), Some(shared.clone())).await;
    assign(cat.clone(), Some(shared.clone())).await;
    assign(dan.clone(), Some(group_too.clone())).await;
    let staff = srv.group("staff").await;
    let sid = staff["id"].as_str().unwrap();
    let put = srv.put(&format!("/api/v1/groups/{sid}/access-policy"), &json!({"access_policy_id": of_group})).await;
    assert_eq!(expect(put, 200).await["access_policy_id"], json!(of_group));
    let other = srv.group("other").await;
    let oid = other["id"].as_str().unwrap();
    expect(srv.put(&format!("/api/v1/groups/{oid}/access-policy"), &json!({"access_policy_id": group_too})).await, 200)
        .await;
    for u in [&ann, &cat] {
        expect(srv.post(&format!("/api/v1/groups/{sid}/members"), &json!({"kind": "user", "id": u})).await, 200).await;
    }
    // A user's policies: its own and its groups'.
    assert_eq!(get_user(srv, a).await["policies"], json!([["ann-only"], ["of-group"]]));
    let native = expect(srv.get(&format!("/api/v1/users/{ann}/access-policies")).await, 200).await;
    assert_eq!(native["items"].as_array().unwrap().len(), 2);
    let names = |list: &Value| {
        list["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };

    // email_id wins over email.
    let m =
        ok(call(srv, Method::DELETE, "/user", Json, json!({"email_id": a, "email": "cat@example.com"})).await).await;
    assert_eq!(m, "User ann@example.com/ann was successfully deleted from your organization.");
    let left = expect(srv.get("/api/v1/access-policies").await, 200).await;
    assert_eq!(names(&left), ["default", "shared", "of-group", "group-too"], "the sole policy went, the others stayed");
    let members = expect(srv.get(&format!("/api/v1/groups/{sid}/members")).await, 200).await;
    assert_eq!(members["items"].as_array().unwrap().len(), 1, "ann left the group: {members}");
    error(call(srv, Method::GET, "/user", Query, json!({"email_id": a})).await, 404).await;
    error(call(srv, Method::DELETE, "/user", Query, json!({"email_id": a})).await, 404).await;
    let ann_now = expect(srv.get(&format!("/api/v1/users/{ann}")).await, 200).await;
    assert!(ann_now["deleted"].is_string(), "kept, not purged: {ann_now}");
    // Her badge and workstation name went free with her.
    ok(call(srv, Method::POST, "/modifysmartcard", Json, json!({"email_id": b, "smartcards": [{"number": "777"}]}))
        .await)
    .await;
    let pc = json!({"email_id": b, "computer_usernames": [{"computer_username": "ANN-PC"}]});
    ok(call(srv, Method::POST, "/modifyallusernames", Json, pc).await).await;
    // By email, in any case and encoding: shared policies stay (with a user, or with a group).
    let m = ok(call(srv, Method::DELETE, "/user", Form, json!({"email": "CAT@example.com"})).await).await;
    assert_eq!(m, "User cat@example.com/cat was successfully deleted from your organization.");
    ok(call(srv, Method::DELETE, "/user", JsonText, json!({"email_id": d})).await).await;
    let left = expect(srv.get("/api/v1/access-policies").await, 200).await;
    assert_eq!(names(&left), ["default", "shared", "of-group", "group-too"]);
    let _ = c;
    // The last sharer takes the policy with it.
    let m = ok(call(srv, Method::DELETE, "/user", Query, json!({"email": "bob@example.com"})).await).await;
    assert!(m.contains("bob@example.com/bob"), "{m}");
    let left = expect(srv.get("/api/v1/access-policies").await, 200).await;
    assert_eq!(names(&left), ["default", "of-group", "group-too"]);
    assert!(error(call(srv, Method::DELETE, "/user", Json, json!({})).await, 400).await.contains("email_id or email"));
    error(call(srv, Method::DELETE, "/user", Json, json!({"email": "nobody@example.com"})).await, 404).await;
    // The tenant's last SUPER is not removed.
    let (eve, e) = member(srv, "eve").await;
    ok(call(srv, Method::POST, "/modifyrank", Json, json!({"admin_user_id": e, "rank": "SUPER"})).await).await;
    let m = error(call(srv, Method::DELETE, "/user", Json, json!({"email_id": e})).await, 400).await;
    assert!(m.contains("super-admin"), "{m}");
    assert!(expect(srv.get(&format!("/api/v1/users/{eve}")).await, 200).await["deleted"].is_null());
});

both!(invitations_join_through_the_api, |srv: &TestServer| async move {
    srv.group("Staff").await;
    srv.group("owners").await;
    // All or none: one bad address and nothing is created or sent.
    let bad = json!({"emails": ["a@example.com", "not-an-address"]});
    let m = error(call(srv, Method::PUT, "/invites", Json, bad).await, 400).await;
    assert!(m.contains("emails[1]"), "{m}");
    let unknown = json!({"emails": ["a@example.com"], "groups": ["Nope"]});
    assert!(error(call(srv, Method::PUT, "/invites", Json, unknown).await, 400)
        .await
        .contains("groups[0]: no group is named Nope"));
    let many: Vec<String> = (0..101).map(|i| format!("g{i}")).collect();
    let too_many = json!({"emails": ["a@example.com"], "groups": many});
    assert!(error(call(srv, Method::PUT, "/invites", Json, too_many).await, 400).await.contains("at most 100"));
    let same = json!({"emails": ["a@example.com", "b@example.com"], "smartcards": [{"number": "5"}]});
    assert!(error(call(srv, Method::PUT, "/invites", Json, same).await, 400).await.contains("allow duplicates"));
    assert_eq!(expect(call(srv, Method::GET, "/invites", Query, json!({})).await, 200).await, json!([]));
    assert!(srv.outbox().is_empty());

    for (i, enc) in [Json, Form].into_iter().enumerate() {
        let p = json!({"emails": [format!("a{i}@example.com"), format!("b{i}@example.com")], "groups": ["staff", "Owners"]});
        let m = ok(call(srv, Method::PUT, "/invites", enc, p).await).await;
        assert!(m.starts_with("2 user(s) invited by email") && m.contains(&format!("b{i}@example.com")), "{m}");
    }
    let p =
        json!({"emails": ["quiet@example.com"], "no_email": "True", "smartcards": [{"number": "31", "label": "desk"}]});
    assert!(ok(call(srv, Method::PUT, "/invites", Query, p).await).await.contains("no email sent"));
    let p = json!({"emails": ["serial@example.com"], "groups": ["owners"], "no_email": 1});
    assert!(ok(call(srv, Method::PUT, "/invites", JsonText, p).await).await.contains("serial@example.com"));
    let mails = srv.wait_for_mail(4).await;
    assert_eq!(mails.len(), 4);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(srv.outbox().len(), 4, "no mail for no_email");
    let pending = expect(call(srv, Method::GET, "/invites", Query, json!({})).await, 200).await;
    let emails: Vec<&str> = pending.as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap()).collect();
    let want = ["a0@example.com", "b0@example.com", "a1@example.com", "b1@example.com", "quiet@example.com"];
    assert_eq!(emails, [&want[..], &["serial@example.com"]].concat());
    assert_eq!(pending[5]["groups"], json!([["owners"]]));
    assert_eq!(pending[0]["groups"], json!([["owners"], ["Staff"]]));
    assert!(pending[0]["expires"].is_string() && pending[4]["expires"].is_null(), "{pending}");
    let quiet = pending[4]["email_id"].as_i64().unwrap();
    let cards = expect(call(srv, Method::GET, "/modifysmartcard", Query, json!({"email_id": quiet})).await, 200).await;
    assert_eq!(cards["smartcards"], json!([{"label": "desk", "number": "31"}]));
    // An address already in the organisation: nothing is created.
    let again = json!({"emails": ["fresh@example.com", "A0@example.com"]});
    error(call(srv, Method::PUT, "/invites", Json, again).await, 400).await;
    assert_eq!(
        expect(call(srv, Method::GET, "/invites", Query, json!({})).await, 200).await.as_array().unwrap().len(),
        6
    );

    // Resending mails a fresh link; the earlier one stops working.
    let m = ok(call(srv, Method::POST, "/invites", Form, json!({"email": "quiet@example.com"})).await).await;
    assert_eq!(m, "The invitation was sent again to quiet@example.com");
    let mail = srv.wait_for_mail(5).await.pop().unwrap();
    assert_eq!(mail.to, "quiet@example.com");
    let link = |t: String| async move {
        srv.client.get(srv.url(&format!("/api/v1/invitation?token={t}"))).send().await.unwrap().status().as_u16()
    };
    assert_eq!(link(mail.token()).await, 200);
    let (_, active) = member(srv, "active").await;
    let _ = active;
    assert!(error(call(srv, Method::POST, "/invites", Json, json!({"email": "active@example.com"})).await, 400)
        .await
        .contains("no pending invitation"));
    error(call(srv, Method::POST, "/invites", Json, json!({"email": "none@example.com"})).await, 404).await;
    // Withdrawn through DELETE /user: the link stops working.
    let m = ok(call(srv, Method::DELETE, "/user", Json, json!({"email": "quiet@example.com"})).await).await;
    assert_eq!(m, "User quiet@example.com/quiet@example.com was successfully deleted from your organization.");
    assert_eq!(link(mail.token()).await, 400);
    assert_eq!(
        expect(call(srv, Method::GET, "/invites", Query, json!({})).await, 200).await.as_array().unwrap().len(),
        5
    );
    // Accepting makes the user active, with its activation date.
    let first = srv.wait_for_mail(5).await.into_iter().find(|m| m.to == "a0@example.com").unwrap();
    let body = json!({"token": first.token(), "user_name": "alpha", "display_name": "Alpha", "password": PASSWORD});
    expect(srv.client.post(srv.url("/api/v1/invitation/accept")).json(&body).send().await.unwrap(), 200).await;
    let list = expect(call(srv, Method::GET, "/multipleusers", Query, json!({})).await, 200).await;
    let alpha = list.as_array().unwrap().iter().find(|u| u["username"] == "alpha").unwrap().clone();
    assert_eq!(alpha["ad_status"], "ACTIVE");
    assert!(alpha["active_date"].is_string(), "{alpha}");
});
