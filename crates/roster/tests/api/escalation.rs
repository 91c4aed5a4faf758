//! No caller reaches a power it was not given, on any face: membership is a grant, an outranked
//! user is out of reach, impersonation holds only while the impersonator could still open it,
//! password proofs count towards the lockout, and membership changes on one group from several
//! faces at once all land. Each refusal comes with the allowed control beside it.

use crate::*;
use reqwest::Method;

const SCIM: &str = "/scim/v2";
const SLC: &str = "/compat/slc-hub";
const AT: &str = "/compat/allthenticate";
const BT: &str = "/compat/beyondtrust/BeyondTrust/api/public/v3";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A key of this role, made by the bootstrap key.
async fn key(srv: &TestServer, role: &str) -> String {
    let made =
        expect(srv.post("/api/v1/api-keys", &json!({"name": format!("k-{role}"), "role": role})).await, 201).await;
    made["secret"].as_str().unwrap().to_owned()
}

/// A request with this bearer credential and an optional body of this content type.
async fn call(
    srv: &TestServer,
    credential: &str,
    method: Method,
    path: &str,
    body: Option<(&str, Value)>,
) -> reqwest::Response {
    let mut r = srv.client.request(method, srv.url(path)).bearer_auth(credential);
    if let Some((content_type, b)) = body {
        r = r.header("content-type", content_type).body(b.to_string());
    }
    r.send().await.unwrap()
}

async fn status(resp: reqwest::Response) -> u16 {
    resp.status().as_u16()
}

/// The tenant's super-admin (its role held through the group `supers`), and that group's id.
async fn boss(srv: &TestServer) -> (String, String) {
    let boss = person(srv, "boss").await;
    let supers = srv.group("supers").await["id"].as_str().unwrap().to_owned();
    expect(srv.put(&format!("/api/v1/groups/{supers}/roles/super-admin"), &json!({})).await, 200).await;
    expect(srv.post(&format!("/api/v1/groups/{supers}/members"), &json!({"kind": "user", "id": boss})).await, 200)
        .await;
    (boss, supers)
}

async fn effective_roles(srv: &TestServer, user: &str) -> Value {
    expect(srv.get(&format!("/api/v1/users/{user}/roles")).await, 200).await["effective"].clone()
}

both!(membership_in_a_group_with_roles_is_a_grant_on_every_face, |srv: &TestServer| async move {
    let (_, supers) = boss(srv).await;
    let mallory = person(srv, "mallory").await;
    let readers = srv.group("readers").await["id"].as_str().unwrap().to_owned();
    expect(srv.put(&format!("/api/v1/groups/{readers}/roles/reader"), &json!({})).await, 200).await;
    let mine = srv.group("mine").await["id"].as_str().unwrap().to_owned();
    let user_admin = key(srv, "user-admin").await;
    let admin = key(srv, "admin").await;
    let as_user = |id: &str| json!({"kind": "user", "id": id});
    let json_body = |v: Value| Some(("application/json", v));
    let members = |g: &str| format!("/api/v1/groups/{g}/members");

    // Native: neither a user-admin nor an admin adds a member to the super-admins, or nests a
    // group into them; a user-admin (who cannot read events) cannot even hand out `reader`.
    for credential in [&user_admin, &admin] {
        let r = call(srv, credential, Method::POST, &members(&supers), json_body(as_user(&mallory))).await;
        expect_problem(r, 403, "auth.forbidden").await;
        let nest = json!({"kind": "group", "id": mine});
        expect_problem(
            call(srv, credential, Method::POST, &members(&supers), json_body(nest)).await,
            403,
            "auth.forbidden",
        )
        .await;
    }
    let r = call(srv, &user_admin, Method::POST, &members(&readers), json_body(as_user(&mallory))).await;
    expect_problem(r, 403, "auth.forbidden").await;
    // SCIM PATCH and SLC Hub's member changes are the same grant.
    let add =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": mallory}]}]});
    let scim = call(
        srv,
        &user_admin,
        Method::PATCH,
        &format!("{SCIM}/Groups/{supers}"),
        Some(("application/scim+json", add.clone())),
    )
    .await;
    assert_eq!(status(scim).await, 403);
    let slc_add = json!([{"op": "add", "id": mallory, "principalType": "User"}]);
    let slc =
        call(srv, &user_admin, Method::PATCH, &format!("{SLC}/groups/{supers}/members"), json_body(slc_add.clone()))
            .await;
    assert_eq!(status(slc).await, 403);
    assert_eq!(effective_roles(srv, &mallory).await, json!(["regular"]));
    // Nothing was written: the super-admins have one member still, and the refusals are in the trail.
    let listed = expect(srv.get(&format!("{}?depth=direct", members(&supers))).await, 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");

    // Controls: a group without roles is anybody's with groups:write; an admin hands out reading;
    // SCIM and SLC Hub add to a group whose roles the caller covers.
    expect(call(srv, &user_admin, Method::POST, &members(&mine), json_body(as_user(&mallory))).await, 200).await;
    expect(call(srv, &admin, Method::POST, &members(&readers), json_body(as_user(&mallory))).await, 200).await;
    assert_eq!(effective_roles(srv, &mallory).await, json!(["regular", "reader"]));
    let other = person(srv, "other").await;
    let add_other =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": other}]}]});
    let scim = call(
        srv,
        &admin,
        Method::PATCH,
        &format!("{SCIM}/Groups/{readers}"),
        Some(("application/scim+json", add_other)),
    )
    .await;
    assert!([200, 204].contains(&status(scim).await));
    let slc = call(srv, &user_admin, Method::PATCH, &format!("{SLC}/groups/{mine}/members"), json_body(slc_add)).await;
    assert_eq!(status(slc).await, 200);
    // Taking a role away is a grant too: an admin cannot empty the super-admins.
    let r = call(srv, &admin, Method::DELETE, &format!("{}/users/{mallory}", members(&readers)), None).await;
    assert_eq!(status(r).await, 204);
    let boss_id = expect(srv.get("/api/v1/users?filter=user_name%20eq%20%22boss%22").await, 200).await;
    let boss_id = ids(&boss_id)[0].clone();
    let r = call(srv, &admin, Method::DELETE, &format!("{}/users/{boss_id}", members(&supers)), None).await;
    expect_problem(r, 403, "auth.forbidden").await;
    // The super-admin key itself cannot take the last super-admin away.
    let last = srv.delete(&format!("{}/users/{boss_id}", members(&supers))).await;
    assert_eq!(last.status(), 409, "{}", last.text().await.unwrap());
    // With a second holder, it can.
    expect(srv.post(&members(&supers), &as_user(&other)).await, 200).await;
    assert_eq!(srv.delete(&format!("{}/users/{boss_id}", members(&supers))).await.status(), 204);
});

both!(an_outranked_user_is_out_of_reach_on_every_face, |srv: &TestServer| async move {
    let (boss, _) = boss(srv).await;
    let bob = person(srv, "bob").await;
    let user_admin = key(srv, "user-admin").await;
    let admin = key(srv, "admin").await;
    let merge = "application/merge-patch+json";
    let new_password = json!({"password": "orbit-lantern-quartz-77"});
    let json_body = |v: Value| Some(("application/json", v));
    let boss_record = || async { expect(srv.get(&format!("/api/v1/users/{boss}")).await, 200).await };
    let before = boss_record().await;

    for credential in [&user_admin, &admin] {
        // Native: password, email, status.
        let r = call(
            srv,
            credential,
            Method::POST,
            &format!("/api/v1/users/{boss}/password"),
            json_body(new_password.clone()),
        )
        .await;
        expect_problem(r, 403, "auth.forbidden").await;
        for change in [json!({"email": "mallory@example.com"}), json!({"status": "suspended"})] {
            let r = call(srv, credential, Method::PATCH, &format!("/api/v1/users/{boss}"), Some((merge, change))).await;
            expect_problem(r, 403, "auth.forbidden").await;
        }
        let r = call(srv, credential, Method::DELETE, &format!("/api/v1/users/{boss}"), None).await;
        expect_problem(r, 403, "auth.forbidden").await;
        // SLC Hub and SCIM.
        let r = call(
            srv,
            credential,
            Method::PUT,
            &format!("{SLC}/users/{boss}/password"),
            json_body(new_password.clone()),
        )
        .await;
        assert_eq!(status(r).await, 403);
        let ops = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "password", "value": "orbit-lantern-quartz-77"}]});
        let r =
            call(srv, credential, Method::PATCH, &format!("{SCIM}/Users/{boss}"), Some(("application/scim+json", ops)))
                .await;
        assert_eq!(status(r).await, 403);
    }
    // Allthenticate: an admin key neither suspends nor deletes the super-admin.
    let number = before["number"].as_i64().unwrap();
    for (method, path) in [(Method::POST, "togglesuspension"), (Method::DELETE, "user")] {
        let r =
            srv.client.request(method, srv.url(&format!("{AT}/{path}?email_id={number}"))).header("x-api-key", &admin);
        assert_eq!(r.send().await.unwrap().status(), 403, "{path}");
    }
    // Nothing changed, and the super-admin still signs in with its own password.
    let after = boss_record().await;
    assert_eq!(
        (after["email"].clone(), after["status"].clone(), after["version"].clone()),
        (before["email"].clone(), before["status"].clone(), before["version"].clone())
    );
    token(srv, "boss").await;

    // Controls: the same callers act on a regular user.
    let r =
        call(srv, &user_admin, Method::POST, &format!("/api/v1/users/{bob}/password"), json_body(new_password.clone()))
            .await;
    assert_eq!(status(r).await, 204);
    let r = call(
        srv,
        &user_admin,
        Method::PATCH,
        &format!("/api/v1/users/{bob}"),
        Some((merge, json!({"email": "bobby@example.com"}))),
    )
    .await;
    expect(r, 200).await;
    let r = call(
        srv,
        &user_admin,
        Method::PUT,
        &format!("{SLC}/users/{bob}/password"),
        json_body(json!({"password": "orbit-lantern-quartz-80"})),
    )
    .await;
    assert_eq!(status(r).await, 200);
    let bob_number = expect(srv.get(&format!("/api/v1/users/{bob}")).await, 200).await["number"].as_i64().unwrap();
    let r =
        srv.client.post(srv.url(&format!("{AT}/togglesuspension?email_id={bob_number}"))).header("x-api-key", &admin);
    assert_eq!(r.send().await.unwrap().status(), 200);
    assert_eq!(expect(srv.get(&format!("/api/v1/users/{bob}")).await, 200).await["status"], "suspended");
});

both!(impersonation_ends_when_the_impersonator_could_not_open_it_again, |srv: &TestServer| async move {
    let (_, supers) = boss(srv).await;
    let ivan = person(srv, "ivan").await;
    let deputy = person(srv, "deputy").await;
    expect(srv.put(&format!("/api/v1/users/{deputy}/roles/super-admin"), &json!({})).await, 200).await;
    let ivan = &ivan;
    let impersonate = |credential: String| async move {
        let r = call(
            srv,
            &credential,
            Method::POST,
            "/api/v1/auth/impersonate",
            Some(("application/json", json!({"user_id": ivan}))),
        )
        .await;
        expect(r, 200).await["access_token"].as_str().unwrap().to_owned()
    };
    let me = |token: String| async move { status(call(srv, &token, Method::GET, "/api/v1/me", None).await).await };

    // A key's impersonation ends with the key.
    let made = expect(srv.post("/api/v1/api-keys", &json!({"name": "imp", "role": "super-admin"})).await, 201).await;
    let as_ivan = impersonate(made["secret"].as_str().unwrap().to_owned()).await;
    assert_eq!(me(as_ivan.clone()).await, 200);
    assert_eq!(srv.delete(&format!("/api/v1/api-keys/{}", made["id"].as_str().unwrap())).await.status(), 204);
    assert_eq!(me(as_ivan).await, 401);

    // A user's ends when it loses the role, and when it is suspended.
    let as_ivan = impersonate(token(srv, "deputy").await).await;
    assert_eq!(me(as_ivan.clone()).await, 200);
    assert_eq!(srv.delete(&format!("/api/v1/users/{deputy}/roles/super-admin")).await.status(), 204);
    assert_eq!(me(as_ivan).await, 401);
    expect(srv.post(&format!("/api/v1/groups/{supers}/members"), &json!({"kind": "user", "id": deputy})).await, 200)
        .await;
    let as_ivan = impersonate(token(srv, "deputy").await).await;
    assert_eq!(me(as_ivan.clone()).await, 200, "the role held through a group allows it again");
    let suspend = srv
        .patch(&format!("/api/v1/users/{deputy}"), "application/merge-patch+json", &json!({"status": "suspended"}))
        .await;
    expect(suspend, 200).await;
    assert_eq!(me(as_ivan).await, 401);

    // BeyondTrust: a session run as a user by a key ends with the key.
    let long = expect(
        srv.post("/api/v1/api-keys", &json!({"name": "bt", "role": "super-admin", "format": "long"})).await,
        201,
    )
    .await;
    let signed = srv
        .client
        .post(srv.url(&format!("{BT}/Auth/SignAppin")))
        .header("authorization", format!("PS-Auth key={}; runas=ivan;", long["secret"].as_str().unwrap()));
    let signed = signed.send().await.unwrap();
    assert_eq!(signed.status(), 200);
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let users = || srv.client.get(srv.url(&format!("{BT}/Users"))).header("cookie", &cookie).send();
    assert_eq!(users().await.unwrap().status(), 403, "ivan may not list users, but is signed in");
    assert_eq!(srv.delete(&format!("/api/v1/api-keys/{}", long["id"].as_str().unwrap())).await.status(), 204);
    assert_eq!(users().await.unwrap().status(), 401);
});

both!(every_proof_of_a_password_counts_and_checks_reveal_no_history, |srv: &TestServer| async move {
    let policy = json!({"lock_after": 3, "window_seconds": 600, "lock_seconds": 600, "deactivate_after": 0});
    expect(srv.put("/api/v1/lockout-policy", &policy).await, 200).await;
    expect(srv.put("/api/v1/password-policy", &json!({"history": 5})).await, 200).await;
    let (boss, _) = boss(srv).await;
    let bob = person(srv, "bob").await;
    let user_admin = key(srv, "user-admin").await;
    let check = |credential: String, user: String, password: &'static str| async move {
        let r = call(
            srv,
            &credential,
            Method::POST,
            &format!("/api/v1/users/{user}/password/check"),
            Some(("application/json", json!({"password": password}))),
        )
        .await;
        (r.status().as_u16(), r.json::<Value>().await.unwrap_or_default())
    };
    // Another user's current password checks like any fresh one: the history is not consulted.
    let (code, current) = check(user_admin.clone(), bob.clone(), PASSWORD).await;
    assert_eq!(code, 200);
    let (_, fresh) = check(user_admin.clone(), bob.clone(), "orbit-lantern-quartz-78").await;
    assert_eq!(current, fresh);
    // An outranked user's password cannot be checked at all.
    assert_eq!(check(user_admin.clone(), boss.clone(), PASSWORD).await.0, 403);
    // The user itself is told its candidate is one it had.
    let own = token(srv, "bob").await;
    let (_, mine) = check(own.clone(), bob.clone(), PASSWORD).await;
    assert_ne!(mine, fresh, "the user's own check applies its history");

    // Wrong current passwords count as failed sign-ins, natively and on SLC Hub: the third locks.
    let change =
        |current: &'static str| json!({"current_password": current, "new_password": "orbit-lantern-quartz-79"});
    for _ in 0..2 {
        let r =
            call(srv, &own, Method::POST, "/api/v1/me/password", Some(("application/json", change("wrong-guess-1"))))
                .await;
        expect_problem(r, 400, "validation").await;
    }
    let slc = json!({"currentPassword": "wrong-guess-2", "newPassword": "orbit-lantern-quartz-79"});
    let r =
        call(srv, &own, Method::PUT, &format!("{SLC}/users/current/password"), Some(("application/json", slc))).await;
    assert_eq!(status(r).await, 400);
    let u = expect(srv.get(&format!("/api/v1/users/{bob}")).await, 200).await;
    assert_eq!(u["failed_logons"], 3, "{u}");
    assert!(u["locked_until"].is_string(), "{u}");
    // Locked, even the right current password proves nothing, and sign-in is refused.
    expect_problem(login(srv, "bob", PASSWORD).await, 401, "auth.unauthenticated").await;
});

both!(parallel_member_changes_from_several_faces_all_land, |srv: &TestServer| async move {
    let group = srv.group("crowd").await["id"].as_str().unwrap().to_owned();
    let mut users = Vec::new();
    for i in 0..50 {
        users.push(srv.user(json!({"user_name": format!("p{i:02}")})).await["id"].as_str().unwrap().to_owned());
    }
    let calls = users.iter().enumerate().map(|(i, u)| {
        let (group, u) = (group.clone(), u.clone());
        async move {
            if i % 2 == 0 {
                srv.post(&format!("/api/v1/groups/{group}/members"), &json!({"kind": "user", "id": u})).await.status().as_u16()
            } else {
                let ops = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": u}]}]});
                srv.patch(&format!("{SCIM}/Groups/{group}"), "application/scim+json", &ops).await.status().as_u16()
            }
        }
    });
    let statuses = futures::future::join_all(calls).await;
    assert!(statuses.iter().all(|s| (200..300).contains(s)), "{statuses:?}");
    let listed = expect(srv.get(&format!("/api/v1/groups/{group}/members?limit=100")).await, 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 50, "{listed}");
});

both!(two_credentials_are_refused_on_every_face, |srv: &TestServer| async move {
    let admin = roster_testkit::ADMIN_KEY;
    let bearer = format!("Bearer {admin}");
    let other = format!("Bearer {}", key(srv, "reader").await);
    let routes = [
        "/api/v1/users",
        "/scim/v2/Users",
        "/compat/slc-hub/users",
        "/compat/mattr/v1/users",
        "/compat/beyond-identity/v1/events?ordering=asc",
        "/compat/allthenticate/multipleusers",
    ];
    for path in routes {
        let one = srv.client.get(srv.url(path)).header("authorization", &bearer).send().await.unwrap();
        assert_eq!(one.status(), 200, "{path} with one credential");
        for second in [&bearer, &other] {
            let two = srv.client.get(srv.url(path)).header("authorization", &bearer).header("authorization", second);
            let r = two.send().await.unwrap();
            assert_eq!(r.status(), 400, "{path} with two Authorization headers");
            let body = r.text().await.unwrap();
            assert!(body.to_lowercase().contains("authorization"), "{path}: the answer names the header: {body}");
        }
    }
    // Allthenticate's own header beside a bearer; BeyondTrust's sign-in; the OAuth token endpoint.
    let both = srv
        .client
        .get(srv.url(&format!("{AT}/multipleusers")))
        .header("x-api-key", admin)
        .header("authorization", &bearer);
    assert_eq!(both.send().await.unwrap().status(), 400);
    let long = expect(
        srv.post("/api/v1/api-keys", &json!({"name": "bt", "role": "super-admin", "format": "long"})).await,
        201,
    )
    .await;
    person(srv, "ann").await;
    let ps = format!("PS-Auth key={}; runas=ann;", long["secret"].as_str().unwrap());
    let sign_in = || srv.client.post(srv.url(&format!("{BT}/Auth/SignAppin"))).header("authorization", &ps);
    assert_eq!(sign_in().send().await.unwrap().status(), 200);
    assert_eq!(sign_in().header("authorization", &ps).send().await.unwrap().status(), 400);
    let grant = srv
        .client
        .post(srv.url("/api/v1/oauth/token"))
        .header("authorization", "Basic YTpi")
        .header("authorization", "Basic YzpkCg==");
    let r = grant
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
});

both!(link_tokens_stay_in_the_message_body, |srv: &TestServer| async move {
    // A subject may not carry the link or its token, however it is written.
    for subject in ["Reset {{ link }}", "{{ token }}", "{{ token | upper }}", "{% set t = link %}{{ t }}"] {
        let bad =
            srv.put("/api/v1/mail-templates/password_reset", &json!({"subject": subject, "text": "{{ link }}"})).await;
        let p = expect_problem(bad, 400, "validation").await;
        assert_eq!(p["errors"][0]["field"], "subject", "{subject}: {p}");
    }
    // The outbox's admin view shows delivery state only: no subject, no body, no link.
    expect(srv.post("/api/v1/invitations", &json!({"email": "newcomer@example.com"})).await, 201).await;
    let events = expect(srv.get("/api/v1/events?event_type=USER_CHANGE").await, 200).await;
    let invite = events["events"].as_array().unwrap().iter().find(|e| e["data"]["action"] == "INVITE").unwrap();
    let message = invite["data"]["link"]["message"].as_str().unwrap().to_owned();
    let view = expect(srv.get(&format!("/api/v1/outbox/{message}")).await, 200).await;
    let fields: Vec<&str> = view.as_object().unwrap().keys().map(String::as_str).collect();
    for hidden in ["subject", "text", "html", "link", "token"] {
        assert!(!fields.contains(&hidden), "{hidden} in {view}");
    }
    let mail = srv.wait_for_mail(1).await.pop().unwrap();
    assert!(!view.to_string().contains(&mail.token()), "{view}");
});
