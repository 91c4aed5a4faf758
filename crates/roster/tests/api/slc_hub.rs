//! The SLC Hub dialect at `/compat/slc-hub` (in progress): login and impersonation tokens, the
//! signed-in user, reading users, and the user query's filters, sort, offset paging and projection.

use crate::*;

const BASE: &str = "/compat/slc-hub";

async fn error(resp: reqwest::Response, status: u16) -> String {
    let body = expect(resp, status).await;
    body["error"].as_str().unwrap_or_else(|| panic!("no error: {body}")).to_owned()
}

async fn query(srv: &TestServer, q: &str) -> Value {
    expect(srv.get(&format!("{BASE}/users?{q}")).await, 200).await
}

fn names(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap().to_owned()).collect()
}

both!(login_impersonate_and_current_user, |srv: &TestServer| async move {
    let uid = person(srv, "grace").await;
    let login = |user: &str, password: &str| {
        srv.client.post(srv.url(&format!("{BASE}/login"))).json(&json!({"username": user, "password": password})).send()
    };
    let t = expect(login("grace", PASSWORD).await.unwrap(), 200).await;
    assert!(t["expiresIn"].as_i64().unwrap() > 0);
    let token = t["token"].as_str().unwrap().to_owned();
    let me = srv.client.get(srv.url(&format!("{BASE}/users/current"))).bearer_auth(&token).send().await.unwrap();
    let me = expect(me, 200).await;
    assert_eq!((me["_id"].as_str(), me["userName"].as_str()), (Some(uid.as_str()), Some("grace")));
    assert_eq!((me["active"].as_bool(), me["system"].as_bool()), (Some(true), Some(false)));
    assert_eq!((me["invitationPending"].as_bool(), me["temporarilyLocked"].as_bool()), (Some(false), Some(false)));
    assert!(chrono::DateTime::parse_from_rfc3339(me["_created"].as_str().unwrap()).is_ok());
    assert!(me.get("deleted").is_none());
    // A user reads itself but not the directory.
    let r = srv.client.get(srv.url(&format!("{BASE}/users"))).bearer_auth(&token).send().await.unwrap();
    error(r, 403).await;
    // One answer for a wrong password and an unknown user.
    let wrong = error(login("grace", "not-her-password-9").await.unwrap(), 401).await;
    assert_eq!(wrong, error(login("nobody", "not-her-password-9").await.unwrap(), 401).await);
    error(srv.client.get(srv.url(&format!("{BASE}/users/current"))).send().await.unwrap(), 401).await;

    // The admin key impersonates grace: the token is hers.
    let imp = expect(srv.post(&format!("{BASE}/impersonate"), &json!({"userId": uid})).await, 200).await;
    let as_her = imp["token"].as_str().unwrap();
    let me = srv.client.get(srv.url(&format!("{BASE}/users/current"))).bearer_auth(as_her).send().await.unwrap();
    assert_eq!(expect(me, 200).await["userName"], "grace");
    let nobody = json!({"userId": uuid::Uuid::now_v7()});
    assert_eq!(error(srv.post(&format!("{BASE}/impersonate"), &nobody).await, 404).await, "User not found");
    let m = error(srv.post(&format!("{BASE}/impersonate"), &json!({})).await, 400).await;
    assert!(m.contains("userId"), "{m}");
    // Impersonating from an impersonation session is refused.
    let again =
        srv.client.post(srv.url(&format!("{BASE}/impersonate"))).bearer_auth(as_her).json(&json!({"userId": uid}));
    assert!([403].contains(&again.send().await.unwrap().status().as_u16()));
});

both!(user_query_filters_sort_paging_projection, |srv: &TestServer| async move {
    for i in 0..25 {
        let ext = if i % 5 == 0 { json!(format!("ext-{i}")) } else { Value::Null };
        srv.user(json!({"user_name": format!("user{i:02}"), "display_name": format!("User {i:02}"),
            "email": format!("u{i}@example.com"), "external_id": ext}))
            .await;
    }
    let all = query(srv, "sort=userName").await;
    assert_eq!(all["totalCount"], 25);
    assert_eq!(names(&all).len(), 25);
    // Offset paging: the third page of ten holds the last five; the count stays the total.
    let page = query(srv, "sort=userName&page[limit]=10&page[offset]=20").await;
    assert_eq!(names(&page), (20..25).map(|i| format!("user{i:02}")).collect::<Vec<_>>());
    assert_eq!(page["totalCount"], 25);
    let desc = query(srv, "sort=-userName&page[limit]=3").await;
    assert_eq!(names(&desc), ["user24", "user23", "user22"]);
    let newest = query(srv, "sort=-_created&page[limit]=1").await;
    assert_eq!(names(&newest), ["user24"]);
    // Operators.
    assert_eq!(names(&query(srv, "filter[userName][EQ]=USER03").await), ["user03"]);
    assert_eq!(query(srv, "filter[userName][SW]=user1").await["totalCount"], 10);
    assert_eq!(query(srv, "filter[displayName][CO]=er%200").await["totalCount"], 10);
    assert_eq!(names(&query(srv, "filter[email][EQ]=u7@example.com").await), ["user07"]);
    let some = query(srv, "sort=userName&filter[userName][IN]=user01,user02&filter[userName][IN]=user09").await;
    assert_eq!(names(&some), ["user01", "user02", "user09"]);
    assert_eq!(query(srv, "filter[externalId][PR]=true").await["totalCount"], 5);
    assert_eq!(query(srv, "filter[externalId][PR]=false").await["totalCount"], 20);
    assert_eq!(query(srv, "filter[active][EQ]=true").await["totalCount"], 25);
    assert_eq!(query(srv, "filter[system][EQ]=true").await["totalCount"], 0);
    assert_eq!(query(srv, "filter[temporarilyLocked][EQ]=false").await["totalCount"], 25);
    assert_eq!(query(srv, "filter[invitationPending][EQ]=true").await["totalCount"], 0);
    let mid = all["data"][12]["_created"].as_str().unwrap().to_owned();
    let before = query(srv, &format!("filter[_created][LT]={}", urlencode(&mid))).await["totalCount"].as_u64().unwrap();
    let after = query(srv, &format!("filter[_created][GT]={}", urlencode(&mid))).await["totalCount"].as_u64().unwrap();
    assert!(before >= 1 && after >= 1 && before + after <= 25, "{before} {after}");
    // Soft-deleted users are left out unless asked for.
    let gone = all["data"][0]["_id"].as_str().unwrap().to_owned();
    expect(srv.delete(&format!("/api/v1/users/{gone}")).await, 200).await;
    assert_eq!(query(srv, "").await["totalCount"], 24);
    let deleted = query(srv, "filter[deleted][EQ]=deletedOnly").await;
    assert_eq!(names(&deleted), ["user00"]);
    assert!(deleted["data"][0]["deleted"].is_string());
    assert_eq!(query(srv, "filter[deleted][EQ]=all").await["totalCount"], 25);
    // Projection.
    let slim = query(srv, "sort=userName&page[limit]=1&fields=userName,email").await;
    assert_eq!(slim["data"][0], json!({"userName": "user01", "email": "u1@example.com"}));
    let lean = query(srv, "page[limit]=1&excludeFields=email,_id").await;
    assert!(lean["data"][0].get("email").is_none() && lean["data"][0].get("_id").is_none());
    assert!(lean["data"][0]["userName"].is_string());
    // One user, with the same projection; unknown ids are 404.
    let one = expect(srv.get(&format!("{BASE}/users/{gone}?fields=deleted")).await, 200).await;
    assert!(one["deleted"].is_string() && one.as_object().unwrap().len() == 1, "{one}");
    assert_eq!(error(srv.get(&format!("{BASE}/users/not-an-id")).await, 404).await, "User not found");
    // Bad parameters name themselves.
    for (q, named) in [
        ("filter[shoeSize][EQ]=9", "shoeSize"),
        ("filter[userName][GT]=a", "GT"),
        ("filter[active][EQ]=maybe", "filter[active][EQ]"),
        ("sort=password", "sort"),
        ("page[limit]=5000", "page[limit]"),
        ("fields=password", "password"),
    ] {
        let m = error(srv.get(&format!("{BASE}/users?{q}")).await, 400).await;
        assert!(m.contains(named), "{q}: {m}");
    }
});

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

both!(create_replace_and_patch_users, |srv: &TestServer| async move {
    let users = format!("{BASE}/users");
    let body = json!({"userName": "ada", "displayName": "Ada", "email": "ada@example.com",
        "password": PASSWORD, "mustChange": true, "externalId": "crm-1"});
    let ada = expect(srv.post(&users, &body).await, 201).await;
    assert_eq!((ada["userName"].as_str(), ada["externalId"].as_str()), (Some("ada"), Some("crm-1")));
    let id = ada["_id"].as_str().unwrap().to_owned();
    let native = expect(srv.get(&format!("/api/v1/users/{id}")).await, 200).await;
    assert_eq!(native["password_must_change"], true);
    expect(login(srv, "ada", PASSWORD).await, 200).await;
    // Refusals name the problem and create nothing.
    let mut weak = body.clone();
    weak["userName"] = json!("bob");
    weak["password"] = json!("short");
    assert!(error(srv.post(&users, &weak).await, 400).await.contains("password"));
    let mut none = weak.clone();
    none.as_object_mut().unwrap().remove("password");
    assert!(error(srv.post(&users, &none).await, 400).await.contains("password is required"));
    let mut taken = body.clone();
    taken["externalId"] = json!("crm-2");
    taken["email"] = json!("other@example.com");
    assert_eq!(error(srv.post(&users, &taken).await, 409).await, "userName is already taken");
    let mut odd = body.clone();
    odd["shoeSize"] = json!(9);
    assert!(error(srv.post(&users, &odd).await, 400).await.contains("shoeSize"));
    assert_eq!(query(srv, "").await["totalCount"], 1);

    // PUT replaces the writable fields; system fields sent back as read are ignored.
    let one = format!("{BASE}/users/{id}");
    let mut put = expect(srv.get(&one).await, 200).await;
    put["displayName"] = json!("Ada Lovelace");
    put["active"] = json!(false);
    put.as_object_mut().unwrap().remove("email");
    let after = expect(srv.put(&one, &put).await, 200).await;
    assert_eq!((after["displayName"].as_str(), after["active"].as_bool()), (Some("Ada Lovelace"), Some(false)));
    assert_eq!(after["inactiveReason"], "manual");
    assert!(after.get("email").is_none());
    put["active"] = json!(true);
    put["deleted"] = json!("2026-01-01T00:00:00Z");
    let gone = expect(srv.put(&one, &put).await, 200).await;
    assert!(gone["deleted"].is_string() && gone["active"] == true);
    assert_eq!(query(srv, "").await["totalCount"], 0);
    put.as_object_mut().unwrap().remove("deleted");
    let back = expect(srv.put(&one, &put).await, 200).await;
    assert!(back.get("deleted").is_none());
    let m = error(srv.put(&one, &json!({"displayName": "x"})).await, 400).await;
    assert!(m.contains("userName"), "{m}");

    // PATCH: add, remove and replace over the user as it reads.
    let patch = |ops: Value| {
        let one = one.clone();
        async move { srv.patch(&one, "application/json-patch+json", &ops).await }
    };
    let ops = json!([
        {"op": "replace", "path": "/displayName", "value": "Countess"},
        {"op": "add", "path": "/unixUserName", "value": "ada"},
        {"op": "add", "path": "/email", "value": "countess@example.com"},
        {"op": "remove", "path": "/externalId"},
    ]);
    let patched = expect(patch(ops).await, 200).await;
    assert_eq!((patched["displayName"].as_str(), patched["unixUserName"].as_str()), (Some("Countess"), Some("ada")));
    assert_eq!(patched["email"], "countess@example.com");
    assert!(patched.get("externalId").is_none());
    for (ops, named) in [
        (json!([{"op": "move", "from": "/email", "path": "/displayName"}]), "only add, remove and replace"),
        (json!([{"op": "replace", "path": "/_id", "value": "x"}]), "_id is read-only"),
        (json!([{"op": "replace", "path": "/system", "value": true}]), "system is read-only"),
        (json!([{"op": "add", "path": "/shoeSize", "value": 9}]), "shoeSize"),
        (json!([{"op": "remove", "path": "/nothing/here"}]), "does not apply"),
        (json!({"op": "add"}), "JSON Patch"),
    ] {
        let m = error(patch(ops.clone()).await, 400).await;
        assert!(m.contains(named), "{ops}: {m}");
    }
    let deleted =
        expect(patch(json!([{"op": "add", "path": "/deleted", "value": "2026-01-01T00:00:00Z"}])).await, 200).await;
    assert!(deleted["deleted"].is_string());
    let restored = expect(patch(json!([{"op": "remove", "path": "/deleted"}])).await, 200).await;
    assert!(restored.get("deleted").is_none());
    assert_eq!(
        error(srv.put(&format!("{BASE}/users/{}", uuid::Uuid::now_v7()), &put).await, 404).await,
        "User not found"
    );
});

both!(passwords_validation_change_set_and_lockout, |srv: &TestServer| async move {
    let id = person(srv, "grace").await;
    let post_as = |token: &str, path: &str, body: Value| {
        srv.client.post(srv.url(&format!("{BASE}{path}"))).bearer_auth(token.to_owned()).json(&body).send()
    };
    let put_as = |token: &str, path: &str, body: Value| {
        srv.client.put(srv.url(&format!("{BASE}{path}"))).bearer_auth(token.to_owned()).json(&body).send()
    };
    let login_token = |user: &'static str, password: &'static str| async move {
        let r =
            srv.client.post(srv.url(&format!("{BASE}/login"))).json(&json!({"username": user, "password": password}));
        r.send().await.unwrap()
    };
    let token = expect(login_token("grace", PASSWORD).await, 200).await["token"].as_str().unwrap().to_owned();

    // Validation names every failed rule, or answers an empty error.
    let weak =
        expect(post_as(&token, "/users/current/password/validate", json!({"password": "grace"})).await.unwrap(), 200)
            .await;
    let rules = weak["error"].as_str().unwrap();
    assert!(rules.contains("characters") && rules.contains(';'), "{rules}");
    let fine = json!({"password": "copper-lantern-meadow-58"});
    assert_eq!(
        expect(post_as(&token, "/users/current/password/validate", fine.clone()).await.unwrap(), 200).await,
        json!({"error": ""})
    );
    assert_eq!(
        expect(srv.post(&format!("{BASE}/users/{id}/password/validate"), &fine).await, 200).await,
        json!({"error": ""})
    );
    let named = json!({"password": "copper-adalovelace-77", "username": "adalovelace", "displayName": "Ada Lovelace"});
    let verdict = expect(srv.post(&format!("{BASE}/password/validate"), &named).await, 200).await;
    assert!(!verdict["error"].as_str().unwrap().is_empty(), "a password holding the user's name: {verdict}");
    assert_eq!(expect(srv.post(&format!("{BASE}/password/validate"), &fine).await, 200).await, json!({"error": ""}));

    // Changing one's own: the current password is proven; every session ends.
    let wrong = json!({"currentPassword": "not-it-at-all-1", "newPassword": "copper-lantern-meadow-58"});
    assert!(error(put_as(&token, "/users/current/password", wrong).await.unwrap(), 400)
        .await
        .contains("currentPassword"));
    let right = json!({"currentPassword": PASSWORD, "newPassword": "copper-lantern-meadow-58"});
    assert_eq!(
        expect(put_as(&token, "/users/current/password", right).await.unwrap(), 200).await["msg"],
        "Password changed"
    );
    error(srv.client.get(srv.url(&format!("{BASE}/users/current"))).bearer_auth(&token).send().await.unwrap(), 401)
        .await;
    expect(login_token("grace", "copper-lantern-meadow-58").await, 200).await;

    // An administrator sets it, optionally to be changed at the next sign-in.
    let set = json!({"password": "ember-quartz-violet-64", "mustChange": true});
    assert_eq!(expect(srv.put(&format!("{BASE}/users/{id}/password"), &set).await, 200).await["msg"], "Password set");
    assert_eq!(expect(srv.get(&format!("/api/v1/users/{id}")).await, 200).await["password_must_change"], true);
    assert!(error(srv.put(&format!("{BASE}/users/{id}/password"), &json!({"password": "x"})).await, 400)
        .await
        .contains("password"));

    // By user name, without a token; a wrong current password counts towards the lockout.
    let policy = json!({"lock_after": 2, "window_seconds": 600, "lock_seconds": 60, "deactivate_after": 0});
    expect(srv.put("/api/v1/lockout-policy", &policy).await, 200).await;
    let by_name = |current: &str| {
        let body = json!({"username": "grace", "currentPassword": current, "newPassword": "amber-willow-harbor-31"});
        srv.client.post(srv.url(&format!("{BASE}/password/change"))).json(&body).send()
    };
    let unknown =
        json!({"username": "nobody", "currentPassword": "x-y-z-1234567", "newPassword": "amber-willow-harbor-31"});
    let r = srv.client.post(srv.url(&format!("{BASE}/password/change"))).json(&unknown).send().await.unwrap();
    let nobody = error(r, 401).await;
    assert_eq!(error(by_name("wrong-guess-number-1").await.unwrap(), 401).await, nobody);
    error(by_name("wrong-guess-number-2").await.unwrap(), 401).await;
    let locked = expect(srv.get(&format!("{BASE}/users/{id}")).await, 200).await;
    assert_eq!(locked["temporarilyLocked"], true);
    // Locked: even the right password is refused alike.
    assert_eq!(error(by_name("ember-quartz-violet-64").await.unwrap(), 401).await, nobody);
    let r = srv.delete(&format!("{BASE}/users/{id}/logonfailures")).await;
    assert_eq!(r.status(), 204);
    assert_eq!(expect(srv.get(&format!("{BASE}/users/{id}")).await, 200).await["temporarilyLocked"], false);
    assert_eq!(expect(by_name("ember-quartz-violet-64").await.unwrap(), 200).await["msg"], "Password changed");
    expect(login_token("grace", "amber-willow-harbor-31").await, 200).await;
});

/// The `(membershipType, name)` pairs of a membership listing, sorted.
fn entries(list: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|e| (e["membershipType"].as_str().unwrap().to_owned(), e["name"].as_str().unwrap().to_owned()))
        .collect();
    out.sort();
    out
}

both!(groups_members_memberships_and_principals, |srv: &TestServer| async move {
    let groups = format!("{BASE}/groups");
    let mut ids = std::collections::HashMap::new();
    for name in ["staff", "engineers", "rust"] {
        let g = expect(srv.post(&groups, &json!({"name": name, "externalId": format!("x-{name}")})).await, 201).await;
        assert_eq!((g["name"].as_str(), g["system"].as_bool()), (Some(name), Some(false)));
        ids.insert(name, g["_id"].as_str().unwrap().to_owned());
    }
    let ada = person(srv, "ada").await;
    person(srv, "alan").await;
    let members = |g: &str| format!("{BASE}/groups/{}/members", ids[g]);
    let change = |g: &str, ops: Value| {
        let url = members(g);
        async move { srv.patch(&url, "application/json", &ops).await }
    };
    // rust ⊂ engineers ⊂ staff; ada in rust; alan (by name) in engineers.
    let r = change("staff", json!([{"op": "add", "id": ids["engineers"], "principalType": "Group"}])).await;
    assert_eq!(expect(r, 200).await["msg"], "Group members changed");
    expect(
        change(
            "engineers",
            json!([{"op": "add", "id": ids["rust"]}, {"op": "add", "name": "alan", "principalType": "User"}]),
        )
        .await,
        200,
    )
    .await;
    expect(change("rust", json!([{"op": "add", "id": ada, "principalType": "User"}])).await, 200).await;

    let list = |path: String| async move { expect(srv.get(&path).await, 200).await };
    let e = |t: &str, n: &str| (t.to_owned(), n.to_owned());
    assert_eq!(
        entries(&list(members("staff")).await),
        [e("direct", "engineers"), e("indirect", "ada"), e("indirect", "alan"), e("indirect", "rust")]
    );
    assert_eq!(
        entries(&list(format!("{}?filter[membershipType][EQ]=direct", members("staff"))).await),
        [e("direct", "engineers")]
    );
    let users_only = list(format!("{}?filter[principalType][EQ]=User", members("staff"))).await;
    assert_eq!(entries(&users_only), [e("indirect", "ada"), e("indirect", "alan")]);
    assert_eq!(users_only[0]["principalType"], "User");
    let of_ada = list(format!("{BASE}/users/{ada}/memberships")).await;
    assert_eq!(entries(&of_ada), [e("direct", "rust"), e("indirect", "engineers"), e("indirect", "staff")]);
    let indirect = list(format!("{BASE}/users/{ada}/memberships?filter[membershipType][EQ]=indirect")).await;
    assert_eq!(entries(&indirect), [e("indirect", "engineers"), e("indirect", "staff")]);
    let of_rust = list(format!("{BASE}/groups/{}/memberships", ids["rust"])).await;
    assert_eq!(entries(&of_rust), [e("direct", "engineers"), e("indirect", "staff")]);
    assert_eq!(entries(&list(format!("{BASE}/principals/{ada}/memberships")).await), entries(&of_ada));

    // A cycle, an unknown member or a bad op fails the whole change: nothing is applied.
    let before = entries(&list(members("rust")).await);
    let cycle = json!([{"op": "remove", "id": ada}, {"op": "add", "id": ids["staff"], "principalType": "Group"}]);
    error(change("rust", cycle).await, 409).await;
    assert_eq!(entries(&list(members("rust")).await), before, "the removal was rolled back");
    let unknown = json!([{"op": "remove", "id": ada}, {"op": "add", "id": uuid::Uuid::now_v7()}]);
    assert!(error(change("rust", unknown).await, 400).await.starts_with("[1]"));
    let wrong_type = json!([{"op": "add", "id": ada, "principalType": "Group"}]);
    assert!(error(change("rust", wrong_type).await, 400).await.contains("is a User"));
    assert!(error(change("rust", json!([{"op": "move", "id": ada}])).await, 400)
        .await
        .contains("op must be add or remove"));
    assert!(error(change("rust", json!([{"op": "remove", "name": "ada"}])).await, 400).await.contains("principalType"));
    let absent = json!([{"op": "remove", "name": "alan", "principalType": "User"}]);
    error(change("rust", absent).await, 404).await;
    assert_eq!(entries(&list(members("rust")).await), before);
    expect(change("rust", json!([{"op": "remove", "id": ada}])).await, 200).await;
    assert!(entries(&list(members("rust")).await).is_empty());

    // Group queries, PUT and PATCH.
    let all = expect(srv.get(&format!("{groups}?sort=-name")).await, 200).await;
    assert_eq!(all["totalCount"], 3);
    assert_eq!(all["data"][0]["name"], "staff");
    let some = expect(srv.get(&format!("{groups}?filter[name][CO]=ng&fields=name")).await, 200).await;
    assert_eq!(some["data"], json!([{"name": "engineers"}]));
    let one = format!("{groups}/{}", ids["rust"]);
    let put = expect(srv.put(&one, &json!({"name": "rustaceans", "_id": "ignored", "system": false})).await, 200).await;
    assert_eq!((put["name"].as_str(), put.get("externalId")), (Some("rustaceans"), None));
    let patched =
        srv.patch(&one, "application/json", &json!([{"op": "add", "path": "/externalId", "value": "x-r"}])).await;
    assert_eq!(expect(patched, 200).await["externalId"], "x-r");
    let ro = srv.patch(&one, "application/json", &json!([{"op": "replace", "path": "/system", "value": true}])).await;
    assert!(error(ro, 400).await.contains("read-only"));
    assert!(error(srv.put(&one, &json!({"externalId": "y"})).await, 400).await.contains("name is required"));
    error(srv.get(&format!("{groups}/{}", uuid::Uuid::now_v7())).await, 404).await;

    // Principals: users and groups together.
    let p = expect(srv.get(&format!("{BASE}/principals?sort=displayName")).await, 200).await;
    assert_eq!(p["totalCount"], 5);
    let kinds = expect(srv.get(&format!("{BASE}/principals?filter[_type][EQ]=Group")).await, 200).await;
    assert_eq!(kinds["totalCount"], 3);
    assert!(kinds["data"].as_array().unwrap().iter().all(|x| x["_type"] == "Group"));
    let named = expect(srv.get(&format!("{BASE}/principals?filter[displayName][SW]=al")).await, 200).await;
    assert_eq!(named["data"][0]["name"], "alan");
    let external = expect(srv.get(&format!("{BASE}/principals?filter[external][EQ]=true")).await, 200).await;
    assert_eq!(external["totalCount"], 3);
    assert!(error(srv.get(&format!("{BASE}/principals?filter[_type][EQ]=Robot")).await, 400)
        .await
        .contains("User or Group"));
});

both!(invitations_and_osinfo, |srv: &TestServer| async move {
    person(srv, "alan").await;
    expect(srv.post("/api/v1/invitations", &json!({"email": "kay@example.com"})).await, 201).await;
    let token = srv.wait_for_mail(1).await[0].token();
    let call = |path: &str, body: Value| srv.client.post(srv.url(&format!("{BASE}{path}"))).json(&body).send();
    let free = |name: &str| json!({"token": token, "userName": name});
    let r = expect(call("/invitations/usernameavailability", free("kay")).await.unwrap(), 200).await;
    assert_eq!(r, json!({"available": true}));
    let r = expect(call("/invitations/usernameavailability", free("ALAN")).await.unwrap(), 200).await;
    assert_eq!(r, json!({"available": false}));
    let bogus = json!({"token": "roster_link_nope", "userName": "kay"});
    error(call("/invitations/usernameavailability", bogus).await.unwrap(), 400).await;
    let accept = json!({"token": token, "userName": "kay", "displayName": "Alan Kay", "password": PASSWORD, "jwtSubject": "sub-77"});
    let user = expect(call("/invitations/accept", accept.clone()).await.unwrap(), 200).await;
    assert_eq!((user["userName"].as_str(), user["active"].as_bool()), (Some("kay"), Some(true)));
    assert_eq!(user["invitationPending"], false);
    let native = expect(srv.get(&format!("/api/v1/users/{}", user["_id"].as_str().unwrap())).await, 200).await;
    assert_eq!(native["claims"]["jwt_subject"], "sub-77");
    expect(login(srv, "kay", PASSWORD).await, 200).await;
    // The link is used up.
    error(call("/invitations/accept", accept).await.unwrap(), 400).await;
    let m = error(call("/invitations/accept", json!({"token": token})).await.unwrap(), 400).await;
    assert!(m.contains("displayName"), "{m}");

    let id = user["_id"].as_str().unwrap();
    let patch = json!([{"op": "add", "path": "/unixHomeDirectory", "value": "/home/kay"}]);
    expect(srv.patch(&format!("{BASE}/users/{id}"), "application/json", &patch).await, 200).await;
    let os = expect(srv.get(&format!("{BASE}/users/{id}/osinfo")).await, 200).await;
    assert_eq!(os, json!({"userName": "kay", "userPrincipalName": null, "unixHomeDirectory": "/home/kay"}));
});

both!(a_user_who_must_change_its_password_may_only_change_it, |srv: &TestServer| async move {
    let body = json!({"userName": "newbie", "password": PASSWORD, "mustChange": true});
    let id = expect(srv.post(&format!("{BASE}/users"), &body).await, 201).await["_id"].as_str().unwrap().to_owned();
    expect(srv.put(&format!("/api/v1/users/{id}/roles/reader"), &json!({})).await, 200).await;
    let login = |password: &'static str| async move {
        let r = srv
            .client
            .post(srv.url(&format!("{BASE}/login")))
            .json(&json!({"username": "newbie", "password": password}));
        expect(r.send().await.unwrap(), 200).await["token"].as_str().unwrap().to_owned()
    };
    let token = login(PASSWORD).await;
    let get = |path: &str, token: &str| srv.client.get(srv.url(path)).bearer_auth(token.to_owned()).send();
    // Nothing but the password: not its own record, not what its role would allow, not the native API.
    error(get(&format!("{BASE}/users/current"), &token).await.unwrap(), 403).await;
    error(get(&format!("{BASE}/users"), &token).await.unwrap(), 403).await;
    let refused = expect(get("/api/v1/me", &token).await.unwrap(), 403).await;
    assert_eq!(refused["code"], "auth.password_must_change", "the refusal says why: {refused}");
    let check = json!({"password": "violet-harbor-lantern-12"});
    let r =
        srv.client.post(srv.url(&format!("{BASE}/users/current/password/validate"))).bearer_auth(&token).json(&check);
    assert_eq!(expect(r.send().await.unwrap(), 200).await, json!({"error": ""}));
    let change = json!({"currentPassword": PASSWORD, "newPassword": "violet-harbor-lantern-12"});
    let r = srv.client.put(srv.url(&format!("{BASE}/users/current/password"))).bearer_auth(&token).json(&change);
    expect(r.send().await.unwrap(), 200).await;
    // Changed: the new session has the user's role again.
    let token = login("violet-harbor-lantern-12").await;
    expect(get(&format!("{BASE}/users/current"), &token).await.unwrap(), 200).await;
    assert_eq!(expect(get(&format!("{BASE}/users"), &token).await.unwrap(), 200).await["totalCount"], 1);
});

both!(every_operator_on_every_filterable_field, |srv: &TestServer| async move {
    // Four users: ann (external, deleted), bob (deactivated), cat (invited), dan.
    let mut ids = Vec::new();
    for (name, email, ext) in [
        ("ann", "ann@one.example", Some("e-1")),
        ("bob", "bob@two.example", None),
        ("dan", "dan@two.example", Some("e-4")),
    ] {
        let u = srv
            .user(
                json!({"user_name": name, "display_name": format!("{name} Smith"), "email": email, "external_id": ext}),
            )
            .await;
        ids.push(u["id"].as_str().unwrap().to_owned());
    }
    expect(srv.post("/api/v1/invitations", &json!({"email": "cat@one.example", "user_name": "cat"})).await, 201).await;
    let r = srv
        .patch(
            &format!("/api/v1/users/{}", ids[1]),
            "application/merge-patch+json",
            &json!({"status": "deactivated", "inactive_reason": "manual"}),
        )
        .await;
    expect(r, 200).await;
    let bob = expect(srv.get(&format!("{BASE}/users/{}", ids[1])).await, 200).await;
    let stamp = bob["_modified"].as_str().unwrap().replace('+', "%2B");
    let created = bob["_created"].as_str().unwrap().replace('+', "%2B");
    expect(srv.delete(&format!("/api/v1/users/{}", ids[0])).await, 200).await;
    let ann = expect(srv.get(&format!("{BASE}/users/{}", ids[0])).await, 200).await;
    let deleted_at = ann["deleted"].as_str().unwrap().replace('+', "%2B");
    let (ann_id, bob_id) = (&ids[0], &ids[1]);
    let users = |q: String| async move {
        let page = query(srv, &format!("sort=userName&{q}")).await;
        assert_eq!(page["totalCount"].as_u64().unwrap() as usize, names(&page).len(), "{q}");
        names(&page)
    };
    for (q, expected) in [
        (format!("filter[_id][EQ]={bob_id}"), vec!["bob"]),
        (format!("filter[_id][IN]={bob_id},{}&filter[deleted][EQ]=all", ann_id), vec!["ann", "bob"]),
        ("filter[userName][EQ]=BOB".into(), vec!["bob"]),
        ("filter[userName][CO]=a".into(), vec!["cat", "dan"]),
        ("filter[userName][SW]=d".into(), vec!["dan"]),
        ("filter[userName][IN]=bob&filter[userName][IN]=cat".into(), vec!["bob", "cat"]),
        ("filter[displayName][EQ]=dan%20Smith".into(), vec!["dan"]),
        ("filter[displayName][CO]=Smith".into(), vec!["bob", "dan"]),
        ("filter[displayName][SW]=bob".into(), vec!["bob"]),
        ("filter[displayName][IN]=bob%20Smith,dan%20Smith".into(), vec!["bob", "dan"]),
        ("filter[email][EQ]=DAN@two.example".into(), vec!["dan"]),
        ("filter[email][CO]=two".into(), vec!["bob", "dan"]),
        ("filter[email][SW]=cat".into(), vec!["cat"]),
        ("filter[email][IN]=cat@one.example,bob@two.example".into(), vec!["bob", "cat"]),
        ("filter[externalId][PR]=true".into(), vec!["dan"]),
        ("filter[externalId][PR]=false".into(), vec!["bob", "cat"]),
        ("filter[externalId][EQ]=e-4".into(), vec!["dan"]),
        ("filter[active][EQ]=true".into(), vec!["dan"]),
        ("filter[active][EQ]=false".into(), vec!["bob", "cat"]),
        ("filter[invitationPending][EQ]=true".into(), vec!["cat"]),
        ("filter[invitationPending][EQ]=false".into(), vec!["bob", "dan"]),
        ("filter[temporarilyLocked][EQ]=true".into(), vec![]),
        ("filter[temporarilyLocked][EQ]=false".into(), vec!["bob", "cat", "dan"]),
        ("filter[system][EQ]=true".into(), vec![]),
        ("filter[system][EQ]=false".into(), vec!["bob", "cat", "dan"]),
        ("filter[deleted][EQ]=deletedOnly".into(), vec!["ann"]),
        ("filter[deleted][EQ]=notDeletedOnly".into(), vec!["bob", "cat", "dan"]),
        ("filter[deleted][EQ]=all".into(), vec!["ann", "bob", "cat", "dan"]),
        ("filter[deleted][GT]=2000-01-01T00:00:00Z".into(), vec!["ann"]),
        (format!("filter[deleted][LT]={deleted_at}"), vec![]),
        (format!("filter[_created][GT]={created}"), vec!["cat", "dan"]),
        (format!("filter[_created][LT]={created}"), vec![]),
        (format!("filter[_modified][LT]={stamp}"), vec!["cat", "dan"]),
        (format!("filter[_modified][GT]={stamp}"), vec![]),
    ] {
        assert_eq!(users(q.clone()).await, expected, "{q}");
    }
    // Groups and principals: every operator too.
    let groups_url = format!("{BASE}/groups");
    let admins = expect(srv.post(&groups_url, &json!({"name": "admins", "externalId": "x-1"})).await, 201).await;
    expect(srv.post(&groups_url, &json!({"name": "auditors"})).await, 201).await;
    let admins_id = admins["_id"].as_str().unwrap();
    let stamp = admins["_created"].as_str().unwrap().replace('+', "%2B");
    let groups = |q: String| async move {
        let page = expect(srv.get(&format!("{BASE}/groups?sort=name&{q}")).await, 200).await;
        page["data"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    for (q, expected) in [
        (format!("filter[_id][EQ]={admins_id}"), vec!["admins"]),
        (format!("filter[_id][IN]={admins_id}"), vec!["admins"]),
        ("filter[name][EQ]=AUDITORS".into(), vec!["auditors"]),
        ("filter[name][CO]=dit".into(), vec!["auditors"]),
        ("filter[name][SW]=ad".into(), vec!["admins"]),
        ("filter[name][IN]=admins,auditors".into(), vec!["admins", "auditors"]),
        ("filter[externalId][PR]=true".into(), vec!["admins"]),
        ("filter[externalId][EQ]=x-1".into(), vec!["admins"]),
        ("filter[system][EQ]=false".into(), vec!["admins", "auditors"]),
        (format!("filter[_created][GT]={stamp}"), vec!["auditors"]),
        (format!("filter[_created][LT]={stamp}"), vec![]),
        (format!("filter[_modified][GT]={stamp}"), vec!["auditors"]),
        ("sort=-name".into(), vec!["auditors", "admins"]),
    ] {
        assert_eq!(groups(q.clone()).await, expected, "{q}");
    }
    let principals = |q: String| async move {
        let page = expect(srv.get(&format!("{BASE}/principals?sort=displayName&{q}")).await, 200).await;
        page["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    for (q, expected) in [
        (format!("filter[_id][EQ]={bob_id}"), vec!["bob"]),
        (format!("filter[_id][IN]={bob_id},{admins_id}"), vec!["admins", "bob"]),
        ("filter[_type][EQ]=User".into(), vec!["bob", "cat", "dan"]),
        ("filter[displayName][EQ]=admins".into(), vec!["admins"]),
        ("filter[displayName][CO]=Smith".into(), vec!["bob", "dan"]),
        ("filter[displayName][SW]=au".into(), vec!["auditors"]),
        ("filter[external][EQ]=true".into(), vec!["admins", "dan"]),
        ("filter[system][EQ]=true".into(), vec![]),
        ("filter[deleted][EQ]=deletedOnly".into(), vec!["ann"]),
        ("filter[deleted][GT]=2000-01-01T00:00:00Z".into(), vec!["ann"]),
        (format!("filter[deleted][LT]={deleted_at}"), vec![]),
        ("sort=-displayName&filter[_type][EQ]=Group".into(), vec!["auditors", "admins"]),
    ] {
        assert_eq!(principals(q.clone()).await, expected, "{q}");
    }
});

both!(patch_bodies_answer_in_the_dialects_envelope, |srv: &TestServer| async move {
    let id = person(srv, "ada").await;
    let group = expect(srv.post(&format!("{BASE}/groups"), &json!({"name": "g"})).await, 201).await;
    let gid = group["_id"].as_str().unwrap();
    for path in [format!("{BASE}/users/{id}"), format!("{BASE}/groups/{gid}"), format!("{BASE}/groups/{gid}/members")] {
        let plain = srv.patch(&path, "text/plain", &json!([])).await;
        assert!(error(plain, 415).await.contains("application/json"), "{path}");
        let huge = json!([{"op": "add", "path": "/displayName", "value": "x".repeat(70 * 1024)}]);
        error(srv.patch(&path, "application/json", &huge).await, 413).await;
        let r =
            srv.req(reqwest::Method::PATCH, &path).header("content-type", "application/json").body("[").send().await;
        assert!(error(r.unwrap(), 400).await.contains("not JSON"), "{path}");
    }
    // Nothing was changed.
    assert_eq!(expect(srv.get(&format!("{BASE}/users/{id}")).await, 200).await["userName"], "ada");
    assert!(expect(srv.get(&format!("{BASE}/groups/{gid}/members")).await, 200).await.as_array().unwrap().is_empty());
});
