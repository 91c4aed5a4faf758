//! SCIM 2.0 at `/scim/v2`, for what the scim2-tester run in the test command does not cover:
//! auth and envelopes, every filter operator and value paths, sorting, paging through 10,000
//! users, ETags, PATCH paths and the big providers' forms, Bulk with references and failures,
//! /Me and the root search.

use crate::*;
use reqwest::Method;

const BASE: &str = "/scim/v2";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

fn scim(srv: &TestServer, method: Method, path: &str) -> reqwest::RequestBuilder {
    srv.req(method, &format!("{BASE}{path}"))
}

async fn send(srv: &TestServer, method: Method, path: &str, body: Option<&Value>) -> reqwest::Response {
    let mut r = scim(srv, method, path);
    if let Some(b) = body {
        r = r.header("content-type", "application/scim+json").body(b.to_string());
    }
    r.send().await.unwrap()
}

/// A SCIM error answer with this status (and scimType, when given); answers its detail.
async fn scim_error(resp: reqwest::Response, status: u16, scim_type: Option<&str>) -> String {
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = expect(resp, status).await;
    assert_eq!(ct, "application/scim+json", "{body}");
    assert_eq!(body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]), "{body}");
    assert_eq!(body["status"], status.to_string(), "{body}");
    assert_eq!(body["scimType"].as_str(), scim_type, "{body}");
    body["detail"].as_str().unwrap().to_owned()
}

async fn create_user(srv: &TestServer, body: Value) -> Value {
    expect(send(srv, Method::POST, "/Users", Some(&body)).await, 201).await
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn list(srv: &TestServer, query: &str) -> Value {
    list_of(srv, "/Users", query).await
}

async fn list_of(srv: &TestServer, endpoint: &str, query: &str) -> Value {
    expect(scim(srv, Method::GET, &format!("{endpoint}?{query}")).send().await.unwrap(), 200).await
}

fn user_names(page: &Value) -> Vec<String> {
    page["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap().to_owned()).collect()
}

/// The userNames a filter selects, sorted.
async fn filtered(srv: &TestServer, filter: &str) -> Vec<String> {
    let page = list(srv, &format!("filter={}&sortBy=userName&count=1000", q(filter))).await;
    user_names(&page)
}

async fn patch(srv: &TestServer, path: &str, ops: Value) -> reqwest::Response {
    send(srv, Method::PATCH, path, Some(&json!({"schemas": [PATCH], "Operations": ops}))).await
}

both!(discovery_auth_and_envelopes, |srv: &TestServer| async move {
    let c = &srv.client;
    // Discovery tells the truth and needs no credential.
    let spc = expect(c.get(srv.url(&format!("{BASE}/ServiceProviderConfig"))).send().await.unwrap(), 200).await;
    for feature in ["patch", "bulk", "filter", "sort", "etag", "changePassword"] {
        assert_eq!(spc[feature]["supported"], true, "{feature}");
    }
    let schemas = expect(c.get(srv.url(&format!("{BASE}/Schemas"))).send().await.unwrap(), 200).await;
    let ids: Vec<&str> = schemas["Resources"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    for want in [USER, ENTERPRISE, "urn:ietf:params:scim:schemas:core:2.0:Group"] {
        assert!(ids.contains(&want), "{ids:?}");
    }
    let user_schema = expect(c.get(srv.url(&format!("{BASE}/Schemas/{USER}"))).send().await.unwrap(), 200).await;
    let user_name = user_schema["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "userName").unwrap();
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["caseExact"], false);
    let types = expect(c.get(srv.url(&format!("{BASE}/ResourceTypes"))).send().await.unwrap(), 200).await;
    assert_eq!(types["totalResults"], 2);
    scim_error(c.get(srv.url(&format!("{BASE}/Schemas/urn:nope"))).send().await.unwrap(), 404, None).await;
    scim_error(c.post(srv.url(&format!("{BASE}/ServiceProviderConfig"))).send().await.unwrap(), 405, None).await;

    // Everything else needs a bearer credential with the right permission.
    let resp = c.get(srv.url(&format!("{BASE}/Users"))).send().await.unwrap();
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    scim_error(resp, 401, None).await;
    scim_error(c.get(srv.url(&format!("{BASE}/Users"))).bearer_auth("roster_nope").send().await.unwrap(), 401, None)
        .await;
    let op = srv.directory.operator("default").await.unwrap();
    let (_, reader) = srv.directory.create_api_key(&op, "ro", "reader", None).await.unwrap();
    expect(c.get(srv.url(&format!("{BASE}/Users"))).bearer_auth(&reader).send().await.unwrap(), 200).await;
    let body = json!({"userName": "nobody"});
    let post = c.post(srv.url(&format!("{BASE}/Users"))).bearer_auth(&reader).json(&body);
    scim_error(post.send().await.unwrap(), 403, None).await;
    assert_eq!(list(srv, "filter=userName%20eq%20%22nobody%22").await["totalResults"], 0);

    // Envelopes: unknown paths and methods, bodies that are not JSON or not objects, too large.
    scim_error(scim(srv, Method::GET, "/Nope").send().await.unwrap(), 404, None).await;
    let v1 = srv.req(Method::GET, "/scim/v1/Users").send().await.unwrap();
    assert!(scim_error(v1, 400, Some("invalidVers")).await.contains("/scim/v2"));
    scim_error(scim(srv, Method::DELETE, "/Users").send().await.unwrap(), 405, None).await;
    let text = scim(srv, Method::POST, "/Users").header("content-type", "text/plain").body("x");
    scim_error(text.send().await.unwrap(), 415, None).await;
    let bad = scim(srv, Method::POST, "/Users").header("content-type", "application/scim+json").body("{");
    scim_error(bad.send().await.unwrap(), 400, Some("invalidSyntax")).await;
    scim_error(send(srv, Method::POST, "/Users", Some(&json!([1]))).await, 400, Some("invalidSyntax")).await;
    let huge = json!({"userName": "big", "displayName": "x".repeat(100_000)});
    scim_error(send(srv, Method::POST, "/Users", Some(&huge)).await, 413, None).await;
    scim_error(send(srv, Method::GET, "/Users/not-an-id", None).await, 404, None).await;
    scim_error(send(srv, Method::GET, &format!("/Users/{}", uuid::Uuid::now_v7()), None).await, 404, None).await;
});

both!(users_round_trip_into_core, |srv: &TestServer| async move {
    let body = json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "bjensen",
        "externalId": "701984",
        "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen III"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "active": "True",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@home.example", "type": "home"}],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations", "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}},
    });
    let created = create_user(srv, body.clone()).await;
    let uid = id(&created);
    assert_eq!(created["active"], true);
    assert_eq!(created["emails"], body["emails"]);
    assert_eq!(created[ENTERPRISE]["department"], "Tour Operations");
    assert_eq!(created["meta"]["version"], "W/\"1\"");
    assert_eq!(created["meta"]["location"], srv.url(&format!("{BASE}/Users/{uid}")));
    let got = expect(send(srv, Method::GET, &format!("/Users/{uid}"), None).await, 200).await;
    assert_eq!(got, created);
    // Core holds it: the native face sees the same user, its email the primary one, the rest as claims.
    let native = expect(srv.get(&format!("/api/v1/users/{uid}")).await, 200).await;
    assert_eq!(native["user_name"], "bjensen");
    assert_eq!(native["email"], "bjensen@example.com");
    assert_eq!(native["given_name"], "Barbara");
    assert_eq!(native["external_id"], "701984");
    assert_eq!(native["claims"]["department"], "Tour Operations");
    assert_eq!(native["claims"]["title"], "Tour Guide");
    // active false suspends; the native status shows it.
    let mut replaced = body.clone();
    replaced["active"] = json!(false);
    replaced["title"] = Value::Null;
    let put = expect(send(srv, Method::PUT, &format!("/Users/{uid}"), Some(&replaced)).await, 200).await;
    assert_eq!(put["active"], false);
    assert!(put.get("title").is_none(), "{put}");
    assert_eq!(expect(srv.get(&format!("/api/v1/users/{uid}")).await, 200).await["status"], "suspended");
    // Claims of other faces survive SCIM writes.
    let kept = json!({"claims": {"clearance": "blue", "department": "Tour Operations"}});
    expect(srv.patch(&format!("/api/v1/users/{uid}"), "application/merge-patch+json", &kept).await, 200).await;
    expect(
        patch(srv, &format!("/Users/{uid}"), json!([{"op": "replace", "path": "displayName", "value": "B"}])).await,
        200,
    )
    .await;
    assert_eq!(expect(srv.get(&format!("/api/v1/users/{uid}")).await, 200).await["claims"]["clearance"], "blue");

    // Refusals name the problem and change nothing.
    let dup = json!({"userName": "BJENSEN"});
    let detail = scim_error(send(srv, Method::POST, "/Users", Some(&dup)).await, 409, Some("uniqueness")).await;
    assert!(detail.contains("userName"), "{detail}");
    for (bad, word) in [
        (json!({"displayName": "no name"}), "userName"),
        (json!({"userName": "x", "nick": "y"}), "nick"),
        (json!({"userName": "x", "active": "maybe"}), "active"),
        (json!({"userName": "x", "emails": [{"value": 7}]}), "emails[0].value"),
        (json!({"userName": "x", "name": {"given": "y"}}), "given"),
        (json!({"userName": "x", "schemas": ["urn:nope"]}), "urn:nope"),
        (json!({"userName": "x", ENTERPRISE: {"badge": "1"}}), "badge"),
        (json!({"userName": "x\u{0}"}), "NUL"),
    ] {
        let detail = scim_error(send(srv, Method::POST, "/Users", Some(&bad)).await, 400, Some("invalidValue")).await;
        assert!(detail.contains(word), "{detail} should name {word}");
    }
    assert_eq!(list(srv, "").await["totalResults"], 1);
    // A password is set through core's policy; a weak one is refused and nothing is created.
    let weak = json!({"userName": "weak", "password": "short"});
    let detail = scim_error(send(srv, Method::POST, "/Users", Some(&weak)).await, 400, Some("invalidValue")).await;
    assert!(detail.contains("password"), "{detail}");
    let strong = create_user(srv, json!({"userName": "strong", "password": PASSWORD})).await;
    assert!(strong.get("password").is_none());
    expect(login(srv, "strong", PASSWORD).await, 200).await;
    // A refused password in a PATCH leaves the user as it was, the other changes included.
    let ops = json!([{"op": "replace", "path": "displayName", "value": "Strong"}, {"op": "replace", "path": "password", "value": "short"}]);
    let spath = format!("/Users/{}", id(&strong));
    scim_error(patch(srv, &spath, ops).await, 400, Some("invalidValue")).await;
    let after = expect(send(srv, Method::GET, &spath, None).await, 200).await;
    assert_eq!((after.get("displayName"), &after["meta"]["version"]), (None, &strong["meta"]["version"]));
    let ops = json!([{"op": "replace", "path": "password", "value": "a-new-long-passphrase-9"}]);
    expect(patch(srv, &spath, ops).await, 200).await;
    expect(login(srv, "strong", "a-new-long-passphrase-9").await, 200).await;
    // DELETE removes; the id is gone for every operation.
    let resp = send(srv, Method::DELETE, &format!("/Users/{}", id(&strong)), None).await;
    assert_eq!(resp.status(), 204);
    scim_error(send(srv, Method::GET, &format!("/Users/{}", id(&strong)), None).await, 404, None).await;
    scim_error(send(srv, Method::DELETE, &format!("/Users/{}", id(&strong)), None).await, 404, None).await;
});

both!(filters_every_operator_and_value_paths, |srv: &TestServer| async move {
    for (name, given, title, dept, active, email) in [
        ("alice", "Alice", "Engineer", "R&D", true, "alice@work.example"),
        ("bob", "Bob", "Manager", "Sales", true, "bob@home.example"),
        ("carol", "Carol", "Engineer", "Sales", false, "carol@work.example"),
        ("dave", "Dave", "Intern", "R&D", true, ""),
    ] {
        let mut u = json!({"userName": name, "name": {"givenName": given}, "title": title, "active": active,
                           ENTERPRISE: {"department": dept}});
        if !email.is_empty() {
            u["emails"] = json!([{"value": email, "type": "work", "primary": true}]);
        }
        create_user(srv, u).await;
    }
    let cases: &[(&str, &[&str])] = &[
        (r#"userName eq "ALICE""#, &["alice"]),
        (r#"userName ne "alice""#, &["bob", "carol", "dave"]),
        (r#"userName co "a""#, &["alice", "carol", "dave"]),
        (r#"userName sw "c""#, &["carol"]),
        (r#"userName ew "e""#, &["alice", "dave"]),
        (r#"userName gt "bob""#, &["carol", "dave"]),
        (r#"userName ge "bob""#, &["bob", "carol", "dave"]),
        (r#"userName lt "bob""#, &["alice"]),
        (r#"userName le "bob""#, &["alice", "bob"]),
        ("emails pr", &["alice", "bob", "carol"]),
        ("not (emails pr)", &["dave"]),
        (r#"name.givenName eq "Bob""#, &["bob"]),
        (r#"title eq "Engineer" and active eq true"#, &["alice"]),
        (r#"title eq "Intern" or userName eq "bob""#, &["bob", "dave"]),
        (r#"(title eq "Engineer" or title eq "Intern") and not (active eq false)"#, &["alice", "dave"]),
        ("active eq false", &["carol"]),
        (r#"emails[value ew "@work.example"]"#, &["alice", "carol"]),
        (r#"emails[value co "home" or value sw "alice"]"#, &["alice", "bob"]),
        ("emails[primary eq true]", &["alice", "bob", "carol"]),
        (r#"name[givenName sw "D"]"#, &["dave"]),
        (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#, &["bob", "carol"]),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "dave""#, &["dave"]),
        (r#"meta.created gt "2000-01-01T00:00:00Z""#, &["alice", "bob", "carol", "dave"]),
        (r#"meta.lastModified lt "2000-01-01T00:00:00Z""#, &[]),
        (r#"meta.resourceType eq "User""#, &["alice", "bob", "carol", "dave"]),
        (r#"id eq "not-a-uuid""#, &[]),
        (r#"USERNAME EQ "bob""#, &["bob"]),
    ];
    for (filter, want) in cases {
        assert_eq!(filtered(srv, filter).await, *want, "{filter}");
    }
    let alice = list(srv, "filter=userName%20eq%20%22alice%22").await;
    let alice_id = id(&alice["Resources"][0]);
    assert_eq!(filtered(srv, &format!(r#"id eq "{alice_id}""#)).await, ["alice"]);
    // Filters that cannot be answered are refused, naming the problem.
    for (filter, word) in [
        (r#"userName eq"#, "value"),
        (r#"userName like "a""#, "like"),
        (r#"nickname2 eq "a""#, "nickname2"),
        (r#"groups.$ref eq "1""#, "groups.$ref"),
        (r#"addresses eq "Paris""#, "addresses"),
        (r#"emails[nope eq "1"]"#, "emails.nope"),
        (r#"active co "t""#, "co"),
        (r#"meta.created gt "yesterday""#, "meta.created"),
        (r#"emails[value pr and name[givenName pr]]"#, "nest"),
        ("(userName pr", "')'"),
    ] {
        let resp = scim(srv, Method::GET, &format!("/Users?filter={}", q(filter))).send().await.unwrap();
        let detail = scim_error(resp, 400, Some("invalidFilter")).await;
        assert!(detail.contains(word), "{filter}: {detail}");
    }
    // POST /.search takes the same query.
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                        "filter": "title eq \"Engineer\"", "attributes": ["userName"], "sortBy": "userName", "sortOrder": "descending"});
    let page = expect(send(srv, Method::POST, "/Users/.search", Some(&search)).await, 200).await;
    assert_eq!(user_names(&page), ["carol", "alice"]);
    let first = &page["Resources"][0];
    assert!(first.get("title").is_none() && first.get("meta").is_none() && first.get("id").is_some(), "{first}");
    // Groups filter by displayName; the root search covers both types.
    let g = expect(send(srv, Method::POST, "/Groups", Some(&json!({"displayName": "Engineers"}))).await, 201).await;
    let groups =
        expect(scim(srv, Method::GET, "/Groups?filter=displayName%20eq%20%22engineers%22").send().await.unwrap(), 200)
            .await;
    assert_eq!(groups["Resources"][0]["id"], g["id"]);
    let all = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "displayName pr"});
    let both = expect(send(srv, Method::POST, "/.search", Some(&all)).await, 200).await;
    assert_eq!(both["totalResults"], 1, "{both}");
    let everything = expect(send(srv, Method::POST, "/.search", Some(&json!({"count": 3}))).await, 200).await;
    assert_eq!(everything["totalResults"], 5);
    assert_eq!(everything["itemsPerPage"], 3);
    let rest = expect(send(srv, Method::POST, "/.search", Some(&json!({"startIndex": 4}))).await, 200).await;
    let kinds: Vec<&str> =
        rest["Resources"].as_array().unwrap().iter().map(|r| r["meta"]["resourceType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["User", "Group"]);
});

both!(multi_valued_attributes_and_case, |srv: &TestServer| async move {
    let ann = create_user(srv, json!({"userName": "ann", "externalId": "ext-1", "displayName": "Ann Émile",
        "title": "Staff Engineer",
        "emails": [{"value": "ann@Example.com", "type": "Work", "primary": true}, {"value": "ann@home.example", "type": "home"}],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
        "addresses": [{"locality": "Zürich", "type": "work"}]})).await;
    let ben = create_user(srv, json!({"userName": "ben",
        "emails": [{"value": "ben@example.com", "type": "home", "primary": true}, {"value": "ben@work.example", "type": "work"}]})).await;
    create_user(srv, json!({"userName": "cy", "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "work"}]})).await;
    let group = |name: &str, members: Vec<Value>| {
        let body = json!({"displayName": name, "members": members});
        async move { expect(send(srv, Method::POST, "/Groups", Some(&body)).await, 201).await }
    };
    let ops = group("Ops", vec![json!({"value": id(&ben)})]).await;
    group("Engineers", vec![json!({"value": id(&ann)}), json!({"value": id(&ops)})]).await;
    let cases: Vec<(String, &[&str])> = vec![
        // One element must match the whole value filter; dotted paths each find their own.
        (r#"emails[type eq "work" and value co "@example.com"]"#.into(), &["ann"]),
        (r#"emails.type eq "work" and emails.value co "@example.com""#.into(), &["ann", "ben"]),
        (r#"not (emails[type eq "home"])"#.into(), &["cy"]),
        (r#"emails[type eq "home" and primary eq true]"#.into(), &["ben"]),
        (r#"emails co "HOME.example""#.into(), &["ann"]),
        (r#"phoneNumbers[type eq "MOBILE"]"#.into(), &["ann"]),
        (r#"phoneNumbers[value sw "+44"] or addresses[locality eq "ZÜRICH"]"#.into(), &["ann", "cy"]),
        ("phoneNumbers pr".into(), &["ann", "cy"]),
        ("addresses pr".into(), &["ann"]),
        // Attributes that are not case-exact compare without regard to case, beyond ASCII too.
        (r#"displayName eq "ANN ÉMILE""#.into(), &["ann"]),
        (r#"title co "engineer""#.into(), &["ann"]),
        (r#"externalId eq "EXT-1""#.into(), &[]),
        (r#"externalId eq "ext-1""#.into(), &["ann"]),
        // A user's direct groups, by id or by name.
        (r#"groups[display eq "engineers"]"#.into(), &["ann"]),
        (format!(r#"groups.value eq "{}""#, id(&ops)), &["ben"]),
        ("groups pr".into(), &["ann", "ben"]),
        ("not (groups pr)".into(), &["cy"]),
    ];
    for (filter, want) in &cases {
        assert_eq!(filtered(srv, filter).await, *want, "{filter}");
    }
    let groups_named = |filter: String| async move {
        let page = list_of(srv, "/Groups", &format!("filter={}&sortBy=displayName", q(&filter))).await;
        page["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["displayName"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(groups_named(format!(r#"members[value eq "{}"]"#, id(&ann))).await, ["Engineers"]);
    assert_eq!(groups_named(format!(r#"members.value eq "{}""#, id(&ben))).await, ["Ops"]);
    assert_eq!(groups_named(r#"members[type eq "Group"]"#.into()).await, ["Engineers"]);
    assert_eq!(groups_named("members pr".into()).await, ["Engineers", "Ops"]);
    assert_eq!(groups_named(r#"displayName eq "OPS""#.into()).await, ["Ops"]);
    // A deleted group is no one's group any more.
    assert_eq!(send(srv, Method::DELETE, &format!("/Groups/{}", id(&ops)), None).await.status(), 204);
    assert_eq!(filtered(srv, &format!(r#"groups.value eq "{}""#, id(&ops))).await, Vec::<String>::new());
    assert_eq!(groups_named(r#"members[type eq "Group"]"#.into()).await, Vec::<String>::new());
    // PATCH paths take the same value filters, one element at a time.
    let ops_body = json!([{"op": "replace", "path": "emails[type eq \"work\" and value co \"@EXAMPLE.com\"].display", "value": "Office"}]);
    let patched = expect(patch(srv, &format!("/Users/{}", id(&ann)), ops_body).await, 200).await;
    let emails = patched["emails"].as_array().unwrap();
    assert_eq!((emails[0]["display"].as_str(), emails[1].get("display")), (Some("Office"), None), "{patched}");
});

both!(active_true_does_not_lift_a_quarantine, |srv: &TestServer| async move {
    let u = create_user(srv, json!({"userName": "quinn", "displayName": "Quinn"})).await;
    let path = format!("/Users/{}", id(&u));
    let native = format!("/api/v1/users/{}", id(&u));
    let set = |status: &'static str| {
        let native = native.clone();
        async move {
            expect(srv.patch(&native, "application/merge-patch+json", &json!({"status": status})).await, 200).await
        }
    };
    set("quarantined").await;
    let before = expect(send(srv, Method::GET, &path, None).await, 200).await;
    assert_eq!(before["active"], false);
    // Saying active is true is refused, by PATCH and by PUT, and changes nothing.
    let on = json!([{"op": "replace", "path": "active", "value": true}, {"op": "replace", "path": "displayName", "value": "Q"}]);
    let detail = scim_error(patch(srv, &path, on.clone()).await, 400, Some("mutability")).await;
    assert!(detail.contains("quarantine"), "{detail}");
    let put = json!({"schemas": [USER], "userName": "quinn", "active": true});
    scim_error(send(srv, Method::PUT, &path, Some(&put)).await, 400, Some("mutability")).await;
    let after = expect(send(srv, Method::GET, &path, None).await, 200).await;
    assert_eq!(after["meta"]["version"], before["meta"]["version"]);
    assert_eq!(expect(srv.get(&native).await, 200).await["status"], "quarantined");
    // Other changes still go through, and leave the quarantine as it is.
    let rename = json!([{"op": "replace", "path": "displayName", "value": "Q"}]);
    assert_eq!(expect(patch(srv, &path, rename).await, 200).await["active"], false);
    assert_eq!(expect(srv.get(&native).await, 200).await["status"], "quarantined");
    // Once an administrator lifts it, SCIM manages active again.
    set("active").await;
    let off = json!([{"op": "replace", "path": "active", "value": false}]);
    assert_eq!(expect(patch(srv, &path, off).await, 200).await["active"], false);
    assert_eq!(expect(patch(srv, &path, on).await, 200).await["active"], true);
});

both!(
    sorting_and_paging_through_ten_thousand_users,
    adjust = |c: &mut roster::config::Config| c.max_body_bytes = 1 << 20,
    |srv: &TestServer| async move {
        const N: usize = 10_000;
        const BATCH: usize = 500;
        for start in (0..N).step_by(BATCH) {
            let ops: Vec<Value> = (start..start + BATCH)
            .map(|i| json!({"method": "POST", "bulkId": format!("u{i}"), "path": "/Users",
                            "data": {"userName": format!("user{i:05}"), "name": {"familyName": format!("F{:05}", N - i)}}}))
            .collect();
            let answer = expect(
                send(srv, Method::POST, "/Bulk", Some(&json!({"schemas": [BULK], "Operations": ops}))).await,
                200,
            )
            .await;
            assert!(answer["Operations"].as_array().unwrap().iter().all(|o| o["status"] == "201"));
        }
        // Every user once, in order, with the total on every page.
        let mut seen = Vec::with_capacity(N);
        let mut start = 1;
        loop {
            let page = list(srv, &format!("sortBy=userName&startIndex={start}&count=250&attributes=userName")).await;
            assert_eq!(page["totalResults"], N);
            assert_eq!(page["startIndex"], start);
            let names = user_names(&page);
            if names.is_empty() {
                break;
            }
            assert_eq!(page["itemsPerPage"], names.len());
            start += names.len();
            seen.extend(names);
        }
        let want: Vec<String> = (0..N).map(|i| format!("user{i:05}")).collect();
        assert_eq!(seen, want);
        // Descending, by another attribute, and past the end.
        let page = list(srv, "sortBy=name.familyName&sortOrder=descending&count=2").await;
        assert_eq!(user_names(&page), ["user00000", "user00001"]);
        let page = list(srv, "sortBy=userName&sortOrder=descending&count=1").await;
        assert_eq!(user_names(&page), ["user09999"]);
        let page = list(srv, &format!("startIndex={}", N + 1)).await;
        assert_eq!(page["totalResults"], N);
        assert_eq!(page["Resources"], json!([]));
        // count=0 asks only the total; counts above the page limit get a full page; startIndex below 1 is 1.
        let page = list(srv, "count=0").await;
        assert_eq!((page["totalResults"].as_u64(), page["itemsPerPage"].as_u64()), (Some(N as u64), Some(0)));
        assert_eq!(list(srv, "count=5000").await["itemsPerPage"], 1000);
        assert_eq!(list(srv, "startIndex=-3&count=1&sortBy=userName").await["startIndex"], 1);
        for bad in ["count=many", "sortBy=title", "sortOrder=sideways", "startIndex=2000000"] {
            scim_error(
                scim(srv, Method::GET, &format!("/Users?{bad}")).send().await.unwrap(),
                400,
                Some("invalidValue"),
            )
            .await;
        }
    }
);

both!(etags_guard_writes, |srv: &TestServer| async move {
    let u = create_user(srv, json!({"userName": "etag"})).await;
    let path = format!("/Users/{}", id(&u));
    let resp = send(srv, Method::GET, &path, None).await;
    let tag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(tag, "W/\"1\"");
    assert_eq!(expect(resp, 200).await["meta"]["version"], tag);
    let cached = scim(srv, Method::GET, &path).header("if-none-match", &tag).send().await.unwrap();
    assert_eq!(cached.status(), 304);
    let stale_read = scim(srv, Method::GET, &path).header("if-none-match", "W/\"7\"").send().await.unwrap();
    assert_eq!(stale_read.status(), 200);
    // A write holding another version is refused and changes nothing.
    let body = json!({"userName": "etag", "displayName": "new"});
    for stale in ["W/\"7\"", "\"garbage\""] {
        let put = scim(srv, Method::PUT, &path).header("if-match", stale).json(&body).send().await.unwrap();
        scim_error(put, 412, None).await;
    }
    let ops = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "p"}]});
    scim_error(
        scim(srv, Method::PATCH, &path).header("if-match", "W/\"9\"").json(&ops).send().await.unwrap(),
        412,
        None,
    )
    .await;
    scim_error(scim(srv, Method::DELETE, &path).header("if-match", "W/\"9\"").send().await.unwrap(), 412, None).await;
    assert!(expect(send(srv, Method::GET, &path, None).await, 200).await.get("displayName").is_none());
    // The current version, or *, is accepted; each write makes a new version.
    let put = scim(srv, Method::PUT, &path).header("if-match", &tag).json(&body).send().await.unwrap();
    assert_eq!(put.headers()["etag"], "W/\"2\"");
    let patched = scim(srv, Method::PATCH, &path).header("if-match", "*").json(&ops).send().await.unwrap();
    assert_eq!(expect(patched, 200).await["meta"]["version"], "W/\"3\"");
    // A group's members are part of it: changing them makes a new version.
    let g = expect(send(srv, Method::POST, "/Groups", Some(&json!({"displayName": "g"}))).await, 201).await;
    let gpath = format!("/Groups/{}", id(&g));
    let add =
        json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": id(&u)}]}]});
    let v1 = g["meta"]["version"].as_str().unwrap().to_owned();
    let after =
        expect(scim(srv, Method::PATCH, &gpath).header("if-match", &v1).json(&add).send().await.unwrap(), 200).await;
    assert_ne!(after["meta"]["version"], v1);
    scim_error(scim(srv, Method::PATCH, &gpath).header("if-match", &v1).json(&add).send().await.unwrap(), 412, None)
        .await;
    let deleted = scim(srv, Method::DELETE, &path).header("if-match", "W/\"3\"").send().await.unwrap();
    assert_eq!(deleted.status(), 204);
});

both!(patch_paths_and_provider_forms, |srv: &TestServer| async move {
    let u =
        create_user(srv, json!({"userName": "pat", "emails": [{"value": "pat@home.example", "type": "home"}]})).await;
    let path = format!("/Users/{}", id(&u));
    // Entra's forms: capitalised ops, booleans as strings, a filtered path creating its element,
    // dotted and URN keys inside a path-less value.
    let d = expect(
        patch(srv, &path, json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "pat@work.example"},
            {"op": "Replace", "path": "emails[type eq \"work\"].primary", "value": "True"},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"},
            {"op": "Replace", "value": {"name.givenName": "Pat", "displayName": "Pat P",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Ops"}},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "m-1"},
        ])).await,
        200,
    )
    .await;
    assert_eq!(d["active"], false);
    assert_eq!(
        d["emails"],
        json!([{"value": "pat@home.example", "type": "home"}, {"type": "work", "value": "pat@work.example", "primary": true}])
    );
    assert_eq!(d["phoneNumbers"], json!([{"type": "mobile", "value": "+1 555 0100"}]));
    assert_eq!(d["name"]["givenName"], "Pat");
    assert_eq!(d[ENTERPRISE], json!({"department": "Ops", "manager": {"value": "m-1"}}));
    // The primary address is the user's email in core.
    assert_eq!(expect(srv.get(&format!("/api/v1/users/{}", id(&u))).await, 200).await["email"], "pat@work.example");
    // Okta's form: a path-less replace of active; removals by filter and by sub-attribute.
    let d = expect(
        patch(
            srv,
            &path,
            json!([
                {"op": "replace", "value": {"active": true}},
                {"op": "remove", "path": "emails[type eq \"home\"]"},
                {"op": "remove", "path": "phoneNumbers[type eq \"fax\"]"},
                {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
                {"op": "remove", "path": "name.givenName"},
            ]),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(d["active"], true);
    assert_eq!(d["emails"], json!([{"type": "work", "value": "pat@work.example", "primary": true}]));
    assert!(d.get("name").is_none(), "{d}");
    assert_eq!(d[ENTERPRISE], json!({"manager": {"value": "m-1"}}));
    // Entra names a manager by its id alone.
    let manager = json!([{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-2"}]);
    let d = expect(patch(srv, &path, manager).await, 200).await;
    assert_eq!(d[ENTERPRISE]["manager"], json!({"value": "m-2"}));
    // Refusals: read-only and unknown paths, a value of the wrong type, an unknown op, no operations.
    for (ops, scim_type) in [
        (json!([{"op": "add", "path": "groups", "value": [{"value": "x"}]}]), "mutability"),
        (json!([{"op": "replace", "path": "nope", "value": 1}]), "invalidPath"),
        (json!([{"op": "replace", "path": "name.nope", "value": 1}]), "invalidPath"),
        (json!([{"op": "replace", "path": "userName[value eq \"x\"]", "value": 1}]), "invalidPath"),
        (json!([{"op": "replace", "path": "emails[type eq ]", "value": "x"}]), "invalidFilter"),
        (json!([{"op": "replace", "path": "displayName", "value": 5}]), "invalidValue"),
        (json!([{"op": "move", "path": "displayName", "value": "x"}]), "invalidSyntax"),
        (json!([{"op": "remove"}]), "noTarget"),
        (json!([{"op": "replace", "path": "emails[display pr]", "value": {"value": "a@b.example"}}]), "noTarget"),
        (json!([]), "invalidSyntax"),
    ] {
        let resp = patch(srv, &path, ops.clone()).await;
        let detail = scim_error(resp, 400, Some(scim_type)).await;
        assert!(!detail.is_empty(), "{ops}");
    }
    // All or none: a failing operation leaves the earlier ones unapplied.
    let resp = patch(
        srv,
        &path,
        json!([{"op": "replace", "path": "displayName", "value": "half"},
                                        {"op": "replace", "path": "nope", "value": 1}]),
    )
    .await;
    scim_error(resp, 400, Some("invalidPath")).await;
    assert_eq!(expect(send(srv, Method::GET, &path, None).await, 200).await["displayName"], "Pat P");

    // Group members: add, Entra's removal by value, removal by filter, replacement, nested groups.
    let a = id(&create_user(srv, json!({"userName": "ma"})).await);
    let b = id(&create_user(srv, json!({"userName": "mb"})).await);
    let inner =
        id(&expect(send(srv, Method::POST, "/Groups", Some(&json!({"displayName": "inner"}))).await, 201).await);
    let g = expect(
        send(srv, Method::POST, "/Groups", Some(&json!({"displayName": "outer", "members": [{"value": a}]}))).await,
        201,
    )
    .await;
    let gpath = format!("/Groups/{}", id(&g));
    let members = |d: &Value| -> Vec<(String, String)> {
        let mut m: Vec<(String, String)> = d["members"]
            .as_array()
            .map(|l| {
                l.iter()
                    .map(|m| (m["value"].as_str().unwrap().to_owned(), m["type"].as_str().unwrap().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        m.sort();
        m
    };
    let d = expect(patch(srv, &gpath, json!([{"op": "Add", "path": "members", "value": [{"value": b}, {"value": inner, "type": "Group"}, {"value": a}]}])).await, 200).await;
    let mut want =
        vec![(a.clone(), "User".to_owned()), (b.clone(), "User".to_owned()), (inner.clone(), "Group".to_owned())];
    want.sort();
    assert_eq!(members(&d), want);
    let d =
        expect(patch(srv, &gpath, json!([{"op": "Remove", "path": "members", "value": [{"value": a}]}])).await, 200)
            .await;
    assert_eq!(members(&d).len(), 2);
    let d =
        expect(patch(srv, &gpath, json!([{"op": "remove", "path": format!("members[value eq \"{b}\"]")}])).await, 200)
            .await;
    assert_eq!(members(&d), [(inner.clone(), "Group".to_owned())]);
    let d = expect(patch(srv, &gpath, json!([{"op": "replace", "path": "members", "value": [{"value": a}]}, {"op": "replace", "path": "displayName", "value": "Outer"}])).await, 200).await;
    assert_eq!(members(&d), [(a.clone(), "User".to_owned())]);
    assert_eq!(d["displayName"], "Outer");
    // The user sees its group.
    let user = expect(send(srv, Method::GET, &format!("/Users/{a}"), None).await, 200).await;
    assert_eq!(user["groups"][0]["value"], id(&g));
    assert_eq!(user["groups"][0]["display"], "Outer");
    // Unknown members and cycles are refused, and the members stay as they were.
    let ghost = uuid::Uuid::now_v7().to_string();
    let detail = scim_error(
        patch(srv, &gpath, json!([{"op": "add", "path": "members", "value": [{"value": ghost}]}])).await,
        400,
        Some("invalidValue"),
    )
    .await;
    assert!(detail.contains(&ghost), "{detail}");
    let self_member = json!([{"op": "add", "path": "members", "value": [{"value": id(&g), "type": "Group"}]},
                             {"op": "replace", "path": "displayName", "value": "Renamed"}]);
    scim_error(patch(srv, &gpath, self_member).await, 400, Some("invalidValue")).await;
    // A cycle through a nested group is refused too, and the rename with it.
    expect(
        patch(
            srv,
            &format!("/Groups/{inner}"),
            json!([{"op": "add", "path": "members", "value": [{"value": id(&g)}]}]),
        )
        .await,
        200,
    )
    .await;
    let cycle = json!([{"op": "replace", "path": "displayName", "value": "Renamed"},
                       {"op": "add", "path": "members", "value": [{"value": inner}]}]);
    scim_error(patch(srv, &gpath, cycle).await, 400, Some("invalidValue")).await;
    let d = expect(send(srv, Method::GET, &gpath, None).await, 200).await;
    assert_eq!(members(&d), [(a.clone(), "User".to_owned())]);
    assert_eq!(d["displayName"], "Outer");
    for odd in ["memberé", "members[value eq \"é\"", "urn:ietf:params:scim:schemas:core:2.0:Group:"] {
        let resp = patch(srv, &gpath, json!([{"op": "remove", "path": odd}])).await;
        assert_eq!(resp.status(), 400, "{odd}");
    }
    let d = expect(patch(srv, &gpath, json!([{"op": "remove", "path": "members"}])).await, 200).await;
    assert!(d.get("members").is_none(), "{d}");
    // excludedAttributes=members leaves them out.
    let page = expect(scim(srv, Method::GET, "/Groups?excludedAttributes=members").send().await.unwrap(), 200).await;
    assert!(page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g.get("members").is_none() && g.get("displayName").is_some()));
});

both!(bulk_references_and_failures, |srv: &TestServer| async move {
    let body = json!({"schemas": [BULK], "Operations": [
        // A group naming a user that a later operation creates: it waits for it.
        {"method": "POST", "bulkId": "team", "path": "/Groups", "data": {"displayName": "team", "members": [{"value": "bulkId:ann", "type": "User"}]}},
        {"method": "POST", "bulkId": "ann", "path": "/Users", "data": {"userName": "ann"}},
        {"method": "POST", "bulkId": "dup", "path": "/Users", "data": {"userName": "ANN"}},
        {"method": "PATCH", "path": "/Groups/bulkId:team", "data": {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "Team"}]}},
        {"method": "POST", "bulkId": "orphan", "path": "/Groups", "data": {"displayName": "o", "members": [{"value": "bulkId:dup"}]}},
        {"method": "POST", "bulkId": "c1", "path": "/Groups", "data": {"displayName": "c1", "members": [{"value": "bulkId:c2"}]}},
        {"method": "POST", "bulkId": "c2", "path": "/Groups", "data": {"displayName": "c2", "members": [{"value": "bulkId:c1"}]}},
    ]});
    let answer = expect(send(srv, Method::POST, "/Bulk", Some(&body)).await, 200).await;
    let ops = answer["Operations"].as_array().unwrap();
    let status =
        |bulk: &str| ops.iter().find(|o| o["bulkId"] == bulk).map(|o| o["status"].as_str().unwrap().to_owned());
    assert_eq!(status("ann").as_deref(), Some("201"));
    assert_eq!(status("team").as_deref(), Some("201"));
    assert_eq!(status("dup").as_deref(), Some("409"));
    assert_eq!(status("orphan").as_deref(), Some("409"));
    assert_eq!(status("c1").as_deref(), Some("409"));
    assert_eq!(status("c2").as_deref(), Some("409"));
    let dup = ops.iter().find(|o| o["bulkId"] == "dup").unwrap();
    assert_eq!(dup["response"]["scimType"], "uniqueness");
    let patched = ops.iter().find(|o| o["method"] == "PATCH").unwrap();
    assert_eq!(patched["status"], "200");
    let team_loc = ops.iter().find(|o| o["bulkId"] == "team").unwrap()["location"].as_str().unwrap().to_owned();
    let team_id = team_loc.rsplit('/').next().unwrap();
    let team = expect(send(srv, Method::GET, &format!("/Groups/{team_id}"), None).await, 200).await;
    assert_eq!(team["displayName"], "Team");
    let ann = list(srv, "filter=userName%20eq%20%22ann%22").await;
    assert_eq!(team["members"][0]["value"], ann["Resources"][0]["id"]);
    // Nothing else was created.
    let groups = expect(scim(srv, Method::GET, "/Groups").send().await.unwrap(), 200).await;
    assert_eq!(groups["totalResults"], 1);
    // failOnErrors stops after that many failures: later operations do not run.
    let body = json!({"schemas": [BULK], "failOnErrors": 1, "Operations": [
        {"method": "DELETE", "path": format!("/Users/{}", uuid::Uuid::now_v7())},
        {"method": "POST", "bulkId": "late", "path": "/Users", "data": {"userName": "late"}},
    ]});
    let answer = expect(send(srv, Method::POST, "/Bulk", Some(&body)).await, 200).await;
    assert_eq!(answer["Operations"].as_array().unwrap().len(), 1, "{answer}");
    assert_eq!(answer["Operations"][0]["status"], "404");
    assert_eq!(list(srv, "filter=userName%20eq%20%22late%22").await["totalResults"], 0);
    // A version in an operation is its If-Match.
    let ann_id = ann["Resources"][0]["id"].as_str().unwrap();
    let body = json!({"schemas": [BULK], "Operations": [
        {"method": "PUT", "path": format!("/Users/{ann_id}"), "version": "W/\"5\"", "data": {"userName": "ann2"}},
        {"method": "DELETE", "path": format!("/Users/{ann_id}"), "version": "W/\"1\""},
    ]});
    let answer = expect(send(srv, Method::POST, "/Bulk", Some(&body)).await, 200).await;
    assert_eq!(answer["Operations"][0]["status"], "412");
    assert_eq!(answer["Operations"][1]["status"], "204");
    // Malformed requests are refused whole.
    for (bad, scim_type) in [
        (json!({"Operations": []}), "invalidSyntax"),
        (json!({"schemas": [BULK], "Operations": [{"method": "GET", "path": "/Users"}]}), "invalidSyntax"),
        (json!({"schemas": [BULK], "Operations": [{"method": "POST", "path": "/Users", "data": {}}]}), "invalidSyntax"),
        (
            json!({"schemas": [BULK], "Operations": [{"method": "POST", "bulkId": "a", "path": "/Users"}, {"method": "POST", "bulkId": "a", "path": "/Users"}]}),
            "invalidValue",
        ),
    ] {
        scim_error(send(srv, Method::POST, "/Bulk", Some(&bad)).await, 400, Some(scim_type)).await;
    }
});

both!(me_is_the_token_user, |srv: &TestServer| async move {
    let detail = scim_error(send(srv, Method::GET, "/Me", None).await, 404, None).await;
    assert!(detail.contains("API key"), "{detail}");
    let uid = person(srv, "meg").await;
    let token = token(srv, "meg").await;
    let c = &srv.client;
    let me = expect(c.get(srv.url(&format!("{BASE}/Me"))).bearer_auth(&token).send().await.unwrap(), 200).await;
    assert_eq!(me["id"], uid);
    assert_eq!(me["userName"], "meg");
    // A user's own token reads itself, not the directory.
    scim_error(c.get(srv.url(&format!("{BASE}/Users"))).bearer_auth(&token).send().await.unwrap(), 403, None).await;
    scim_error(
        c.put(srv.url(&format!("{BASE}/Me"))).bearer_auth(&token).json(&json!({})).send().await.unwrap(),
        405,
        None,
    )
    .await;
});
