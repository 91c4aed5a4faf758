//! Every route of the native API against every kind of caller: no credential, bad, expired and
//! revoked keys and tokens, a suspended user's token, a key of another tenant, a key and a user
//! without the route's permission, and a key and a user (holding its role through nested groups)
//! with it. A route that exists in the API but not in this table fails the test. Every refusal of
//! a known caller and every successful change leaves exactly one event under the request's id.

use crate::*;
use reqwest::Method;
use roster_core::access::{Permission, ROLES};

/// How to call a route successfully, given the ids of fresh fixtures.
struct Case {
    body: Option<Value>,
    content_type: &'static str,
    ok: u16,
}

/// What the directory routes of the matrix use: a connection's settings and a directory group.
struct DirectoryFixture {
    settings: Value,
    connection: String,
    group_dn: String,
}

fn case(method: &Method, path: &str, n: usize, user: &str, spare_user: &str, d: &DirectoryFixture) -> Option<Case> {
    let json = |body: Value, ok| Some(Case { body: Some(body), content_type: "application/json", ok });
    let plain = |ok| Some(Case { body: None, content_type: "application/json", ok });
    match (method.as_str(), path) {
        ("GET", _) => plain(200),
        ("POST", "/api/v1/users") => json(json!({"user_name": format!("new-{n}")}), 201),
        ("PUT", "/api/v1/users/{id}") => json(json!({"user_name": format!("put-{n}")}), 200),
        ("POST", "/api/v1/groups") => json(json!({"name": format!("new-{n}")}), 201),
        ("PUT", "/api/v1/groups/{id}") => json(json!({"name": format!("put-{n}")}), 200),
        ("PATCH", "/api/v1/users/{id}" | "/api/v1/groups/{id}") => Some(Case {
            body: Some(json!({"display_name": "patched"})),
            content_type: "application/merge-patch+json",
            ok: 200,
        }),
        ("DELETE", "/api/v1/users/{id}" | "/api/v1/groups/{id}") => plain(200),
        ("POST", "/api/v1/users/{id}/restore" | "/api/v1/groups/{id}/restore") => plain(200),
        ("POST", "/api/v1/groups/{id}/members") => json(json!({"kind": "user", "id": spare_user}), 200),
        (
            "DELETE",
            "/api/v1/groups/{id}/members/users/{member_id}" | "/api/v1/groups/{id}/members/groups/{member_id}",
        ) => plain(204),
        ("POST", "/api/v1/api-keys") => json(json!({"name": format!("k{n}"), "role": "reader"}), 201),
        ("DELETE", "/api/v1/api-keys/{id}") => plain(204),
        ("PUT", "/api/v1/password-policy") => json(json!({"min_length": 10}), 200),
        ("POST", "/api/v1/users/{id}/password") => json(json!({"password": format!("orbit-lantern-{n}-quartz")}), 204),
        ("POST", "/api/v1/users/{id}/password/check") => json(json!({"password": "x"}), 200),
        ("PUT", "/api/v1/users/{id}/roles/{role}" | "/api/v1/groups/{id}/roles/{role}") => plain(200),
        ("DELETE", "/api/v1/users/{id}/roles/{role}" | "/api/v1/groups/{id}/roles/{role}") => plain(204),
        ("POST", "/api/v1/users/{id}/promote") => plain(200),
        ("POST", "/api/v1/users/{id}/client-secret") => plain(200),
        ("DELETE", "/api/v1/users/{id}/logon-failures") => plain(200),
        ("PUT", "/api/v1/lockout-policy") => json(json!({"lock_after": 6}), 200),
        ("POST", "/api/v1/auth/impersonate") => json(json!({"user_id": user}), 200),
        ("POST", "/api/v1/invitations") => json(json!({"email": format!("inv-{n}@example.com")}), 201),
        ("POST", "/api/v1/users/{id}/invitation" | "/api/v1/users/{id}/device-binding") => plain(202),
        ("DELETE", "/api/v1/users/{id}/invitation" | "/api/v1/users/{id}/devices/{device_id}") => plain(204),
        ("DELETE", "/api/v1/users/{id}/device-binding") => plain(204),
        ("PUT", "/api/v1/mail-templates/{kind}") => json(json!({"subject": "s{n}", "text": "{{ link }}"}), 200),
        ("DELETE", "/api/v1/mail-templates/{kind}") => plain(204),
        ("POST", "/api/v1/directories") => {
            let mut body = d.settings.clone();
            body["name"] = json!(format!("new-{n}"));
            json(body, 201)
        }
        ("PUT", "/api/v1/directories/{id}") => {
            let mut body = d.settings.clone();
            body["name"] = json!(format!("put-{n}"));
            body.as_object_mut().unwrap().remove("bind_password");
            json(body, 200)
        }
        ("DELETE", "/api/v1/directories/{id}") => plain(204),
        ("POST", "/api/v1/directories/{id}/test") => plain(200),
        ("POST", "/api/v1/directories/{id}/users") => json(json!({"account": format!("bulk{n:04}")}), 201),
        ("POST", "/api/v1/directories/{id}/groups") => json(json!({"name": format!("dg{n}"), "dn": d.group_dn}), 201),
        ("POST", "/api/v1/users/{id}/directory-refresh") => plain(200),
        ("PUT", "/api/v1/groups/{id}/directory-source") => {
            json(json!({"connection_id": d.connection, "dn": d.group_dn}), 200)
        }
        ("DELETE", "/api/v1/groups/{id}/directory-source") => plain(200),
        ("POST", "/api/v1/access-policies") => json(json!({"name": format!("p{n}")}), 201),
        ("PUT", "/api/v1/access-policies/{id}") => json(json!({"name": format!("put-p{n}")}), 200),
        ("DELETE", "/api/v1/access-policies/{id}") => plain(204),
        ("PUT", "/api/v1/users/{id}/access-policy") => json(json!({"access_policy_id": null}), 200),
        ("PUT", "/api/v1/groups/{id}/access-policy") => json(json!({"access_policy_id": null}), 200),
        ("POST", "/api/v1/secrets") => json(json!({"name": format!("s{n}"), "value": "v", "owners": [user]}), 201),
        ("DELETE", "/api/v1/secrets/{id}") => plain(204),
        ("POST", "/api/v1/secrets/{id}/owners") => json(json!({"user_id": spare_user}), 200),
        ("DELETE", "/api/v1/secrets/{id}/owners/{member_id}") => plain(200),
        ("POST", "/api/v1/groups/{id}/sync") => plain(200),
        _ => None,
    }
}

/// Access tokens live long enough for a request made right after signing in, and expire during
/// the test's setup.
const TOKEN_TTL_SECONDS: i64 = 4;

both!(route_by_caller_matrix, adjust = |c| c.access_token_ttl = TOKEN_TTL_SECONDS, |srv: &TestServer| async move {
    let op = srv.directory.operator("default").await.unwrap();
    let key = |role: &'static str| {
        let (dir, op) = (srv.directory.clone(), op.clone());
        async move { dir.create_api_key(&op, role, role, None).await.unwrap().1 }
    };
    let mut with_role = std::collections::HashMap::new();
    for r in ROLES {
        with_role.insert(r.name, key(r.name).await);
    }
    let (revoked_key, revoked) = srv.directory.create_api_key(&op, "revoked", "super-admin", None).await.unwrap();
    srv.directory.revoke_api_key(&op, revoked_key.id).await.unwrap();
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(800);
    let (_, expired) = srv.directory.create_api_key(&op, "expired", "super-admin", Some(soon)).await.unwrap();
    srv.directory.create_tenant("elsewhere").await.unwrap();
    let other_op = srv.directory.operator("elsewhere").await.unwrap();
    let (_, other) = srv.directory.create_api_key(&other_op, "other", "super-admin", None).await.unwrap();
    // Users: one holding super-admin through a group nested in the group that has the role, a
    // plain one, and one that is suspended after signing in.
    let admins = srv.group("admins").await;
    let nested = srv.group("nested-admins").await;
    let (admins_id, nested_id) = (admins["id"].as_str().unwrap(), nested["id"].as_str().unwrap());
    expect(srv.put(&format!("/api/v1/groups/{admins_id}/roles/super-admin"), &json!({})).await, 200).await;
    srv.post(&format!("/api/v1/groups/{admins_id}/members"), &json!({"kind": "group", "id": nested_id})).await;
    let holder_id = person(srv, "holder").await;
    srv.post(&format!("/api/v1/groups/{nested_id}/members"), &json!({"kind": "user", "id": holder_id})).await;
    person(srv, "plain").await;
    let suspended_id = person(srv, "suspended").await;
    expect(srv.put(&format!("/api/v1/users/{suspended_id}/roles/super-admin"), &json!({})).await, 200).await;
    let set_status = |status: &'static str| {
        let path = format!("/api/v1/users/{suspended_id}");
        async move { expect(srv.patch(&path, "application/merge-patch+json", &json!({"status": status})).await, 200).await }
    };
    let expired_token = token(srv, "holder").await;
    // `exp` is in whole seconds and a token is good through its last second.
    tokio::time::sleep(std::time::Duration::from_millis((TOKEN_TTL_SECONDS as u64 + 1) * 1000 + 100)).await;

    // Directory routes reach the test OpenLDAP server; without one (outside the test command)
    // those that contact it are left out, saying so.
    let ldap = roster_testkit::directory_env("ROSTER_TEST_LDAP_ENV");
    let settings = match &ldap {
        Some(env) => crate::directories::connection(env, "LDAP", "starttls"),
        None => json!({"name": "x", "kind": "ldap", "host": "127.0.0.1", "base_dn": "dc=x", "bind_dn": "cn=x,dc=x",
            "bind_password": "x"}),
    };
    let mut shared = settings.clone();
    shared["name"] = json!("matrix");
    let connection =
        expect(srv.post("/api/v1/directories", &shared).await, 201).await["id"].as_str().unwrap().to_owned();
    let base = ldap.as_ref().map(|e| e["LDAP_BASE"].clone()).unwrap_or_default();
    let d = DirectoryFixture { settings, connection, group_dn: format!("cn=engineers,ou=groups,{base}") };

    let spec = expect(srv.client.get(srv.url("/api/v1/openapi.json")).send().await.unwrap(), 200).await;
    let mut checked = 0;
    let mut counter = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            counter += 1;
            let n = counter;
            // Fresh fixtures for each route: a user in a group with a child group, and a spare user.
            let email = format!("u{n}@example.com");
            let user = srv.user(json!({"user_name": format!("u{n}"), "email": email})).await;
            let app = srv.user(json!({"user_name": format!("app{n}"), "kind": "application"})).await;
            let spare = srv.user(json!({"user_name": format!("s{n}")})).await;
            let group = srv.group(&format!("g{n}")).await;
            let child = srv.group(&format!("c{n}")).await;
            let gid = group["id"].as_str().unwrap();
            srv.post(&format!("/api/v1/groups/{gid}/members"), &json!({"kind": "user", "id": user["id"]})).await;
            srv.post(&format!("/api/v1/groups/{gid}/members"), &json!({"kind": "group", "id": child["id"]})).await;
            let uid = user["id"].as_str().unwrap();
            // A guest is made after joining: guests cannot be added to groups.
            let guest = json!({"guest": true});
            let user =
                expect(srv.patch(&format!("/api/v1/users/{uid}"), "application/merge-patch+json", &guest).await, 200)
                    .await;
            expect(srv.put(&format!("/api/v1/users/{uid}/roles/reader"), &json!({})).await, 200).await;
            expect(srv.put(&format!("/api/v1/groups/{gid}/roles/reader"), &json!({})).await, 200).await;
            let (fresh_key, _) = srv.directory.create_api_key(&op, "target", "reader", None).await.unwrap();
            let needs_directory = path.ends_with("/test")
                || path.ends_with("/directories/{id}/users")
                || path.ends_with("/directories/{id}/groups")
                || path.ends_with("/directory-refresh")
                || path.ends_with("/sync")
                || (path.ends_with("/directory-source") && method == Method::PUT);
            if needs_directory && ldap.is_none() {
                eprintln!("{method} {path}: left out, no test directory");
                continue;
            }
            let id = if path.starts_with("/api/v1/secrets") {
                let body = json!({"name": format!("fixture-{n}"), "value": "v", "owners": [uid, app["id"]]});
                expect(srv.post("/api/v1/secrets", &body).await, 201).await["id"].as_str().unwrap().to_owned()
            } else if path.starts_with("/api/v1/access-policies") {
                let made = srv.post("/api/v1/access-policies", &json!({"name": format!("fixture-{n}")})).await;
                expect(made, 201).await["id"].as_str().unwrap().to_owned()
            } else if path.ends_with("/directories/{id}/groups") {
                // The shared connection: the members it brings are those later links bring too.
                d.connection.clone()
            } else if path.starts_with("/api/v1/directories") {
                let mut fresh = d.settings.clone();
                fresh["name"] = json!(format!("fresh-{n}"));
                expect(srv.post("/api/v1/directories", &fresh).await, 201).await["id"].as_str().unwrap().to_owned()
            } else if path.ends_with("/directory-refresh") {
                let account = json!({"account": format!("bulk{:04}", 600 + n)});
                let made = srv.post(&format!("/api/v1/directories/{}/users", d.connection), &account).await;
                expect(made, 201).await["id"].as_str().unwrap().to_owned()
            } else if path.ends_with("/client-secret") {
                app["id"].as_str().unwrap().to_owned()
            } else if path.ends_with("/invitation") {
                let invited = json!({"email": format!("invited-{n}@example.com")});
                expect(srv.post("/api/v1/invitations", &invited).await, 201).await["id"].as_str().unwrap().to_owned()
            } else if path.starts_with("/api/v1/outbox") {
                let invited = json!({"email": format!("queued-{n}@example.com")});
                expect(srv.post("/api/v1/invitations", &invited).await, 201).await;
                let newest = expect(srv.get("/api/v1/events?page_size=1&event_type=USER_CHANGE").await, 200).await;
                newest["events"][0]["data"]["link"]["message"].as_str().unwrap().to_owned()
            } else if path.starts_with("/api/v1/users") {
                user["id"].as_str().unwrap().to_owned()
            } else if path.starts_with("/api/v1/api-keys") {
                fresh_key.id.to_string()
            } else if path.starts_with("/api/v1/events") {
                let newest = expect(srv.get("/api/v1/events?page_size=1").await, 200).await;
                newest["events"][0]["id"].as_str().unwrap().to_owned()
            } else {
                gid.to_owned()
            };
            let member = if path.ends_with("/groups/{member_id}") { child["id"].as_str() } else { user["id"].as_str() };
            let device =
                if path.contains("{device_id}") { bound_device(srv, uid, &email).await } else { String::new() };
            if path.ends_with("/device-binding") && method == Method::DELETE {
                expect(srv.post(&format!("/api/v1/users/{uid}/device-binding"), &json!({})).await, 202).await;
            }
            if path.ends_with("/sync") {
                let link = json!({"connection_id": d.connection, "dn": d.group_dn});
                expect(srv.put(&format!("/api/v1/groups/{gid}/directory-source"), &link).await, 200).await;
            }
            if path == "/api/v1/mail-templates/{kind}" && method == Method::DELETE {
                let t = json!({"subject": "custom", "text": "{{ link }}"});
                expect(srv.put("/api/v1/mail-templates/invitation", &t).await, 200).await;
                // The other tenant's key acts in its own tenant, which has one to remove too.
                let url = srv.url("/api/v1/mail-templates/invitation");
                expect(srv.client.put(url).bearer_auth(&other).json(&t).send().await.unwrap(), 200).await;
            }
            let mut url = path
                .replace("{id}", &id)
                .replace("{member_id}", member.unwrap())
                .replace("{role}", "reader")
                .replace("{device_id}", &device)
                .replace("{kind}", "invitation");
            if path.ends_with("/stream") {
                url.push_str("?follow=false");
            }
            // Sign-in routes take no credential, and self-service routes (changing one's own
            // password included) are about a signed-in user; auth_tokens.rs covers both.
            let Some(scope) = operation["security"][0]["api_key"][0].as_str() else { continue };
            if scope == "self" || scope == "password:change" {
                continue;
            }
            let Some(c) = case(&method, path, n, uid, spare["id"].as_str().unwrap(), &d) else {
                panic!("{method} {path} has no entry in the access matrix");
            };
            let permission = Permission::parse(scope).unwrap();
            let rid = std::cell::Cell::new(0u32);
            let request_id = move |k: u32| format!("matrix-{n}-{k}");
            let send = |token: Option<&str>| {
                rid.set(rid.get() + 1);
                let mut req =
                    srv.client.request(method.clone(), srv.url(&url)).header("x-request-id", request_id(rid.get()));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                if let Some(b) = &c.body {
                    req = req.header("content-type", c.content_type).body(b.to_string());
                }
                async move { req.send().await.unwrap() }
            };
            let what = format!("{method} {path}");
            // Tokens made just now, so only what was done to them can make them fail.
            let revoked_token = token(srv, "holder").await;
            let r = srv.client.post(srv.url("/api/v1/auth/logout")).bearer_auth(&revoked_token).send().await.unwrap();
            assert_eq!(r.status(), 204);
            set_status("active").await;
            let suspended_token = token(srv, "suspended").await;
            set_status("suspended").await;
            let forged = format!("{}x", &expired_token[..expired_token.len() - 1]);
            for (label, token) in [
                ("no credential", None),
                ("bad key", Some("roster_nope")),
                ("expired key", Some(expired.as_str())),
                ("revoked key", Some(revoked.as_str())),
                ("tampered token", Some(forged.as_str())),
                ("expired token", Some(expired_token.as_str())),
                ("revoked token", Some(revoked_token.as_str())),
                ("suspended user's token", Some(suspended_token.as_str())),
            ] {
                let r = send(token).await;
                assert_eq!(r.status(), 401, "{what} with {label}");
            }
            let lacking = ROLES.iter().find(|r| !r.permissions.contains(permission)).unwrap();
            let r = send(Some(&with_role[lacking.name])).await;
            assert_eq!(r.status(), 403, "{what} with role {} lacking {scope}", lacking.name);
            let denied = the_event(srv, &request_id(rid.get()), &what).await;
            assert_eq!(
                (denied["outcome"].as_str(), denied["actor"]["display_name"].as_str()),
                (Some("DENIED"), Some(lacking.name)),
                "{what}"
            );
            assert_eq!(denied["actor"]["type"], "ApiKey", "{what}");
            let r = send(Some(&token(srv, "plain").await)).await;
            assert_eq!(r.status(), 403, "{what} with a regular user lacking {scope}");
            let denied = the_event(srv, &request_id(rid.get()), &what).await;
            assert_eq!(
                (denied["outcome"].as_str(), denied["actor"]["display_id"].as_str()),
                (Some("DENIED"), Some("plain")),
                "{what}"
            );
            let other_status = send(Some(&other)).await.status().as_u16();
            let names_fixture = c.body.as_ref().is_some_and(|b| b.to_string().contains(uid));
            if path.contains("{id}") || names_fixture {
                assert_eq!(other_status, 404, "{what} from another tenant");
            } else {
                assert_eq!(other_status, c.ok, "{what} from another tenant acts in its own");
            }
            // Nothing above changed the fixtures.
            assert_eq!(
                expect(srv.get(&format!("/api/v1/users/{}", user["id"].as_str().unwrap())).await, 200).await["version"],
                user["version"]
            );
            // Half the routes succeed for a key, half for a user holding its role through groups.
            let (label, holder) = if checked % 2 == 0 {
                // The least role holding the permission and every power the fixtures hold (a
                // reader's), but for role routes: a role can be handed out only by a caller
                // holding all of it (roles.rs tests that rule).
                let reader = roster_core::access::role("reader").unwrap().permissions;
                let role = if path.contains("{role}") {
                    ROLES.last().unwrap()
                } else {
                    ROLES.iter().find(|r| r.permissions.contains(permission) && r.permissions.covers(reader)).unwrap()
                };
                (format!("a key with role {}", role.name), with_role[role.name].clone())
            } else {
                ("a user with super-admin through nested groups".to_owned(), token(srv, "holder").await)
            };
            let r = send(Some(&holder)).await;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert_eq!(status, c.ok, "{what} with {label} holding {scope}: {body}");
            // A sync (and linking, which syncs) records one event per change it makes, which may
            // be none; testing a connection changes nothing; an invitation records the user made
            // and the link sent.
            let per_change = path.ends_with("/sync")
                || path == "/api/v1/invitations"
                || path.ends_with("/directories/{id}/groups")
                || path.ends_with("/directory-refresh")
                || path.ends_with("/test")
                || (path.ends_with("/directory-source") && method == Method::PUT);
            let names_actor = |e: &Value| {
                if checked % 2 == 0 {
                    e["actor"]["type"] == "ApiKey"
                } else {
                    e["actor"]["display_id"] == "holder"
                }
            };
            if per_change {
                for e in events_of(srv, &request_id(rid.get())).await {
                    assert!(e["outcome"] == "SUCCESS" && names_actor(&e), "{what}: {e}");
                }
            } else if method != Method::GET && !path.ends_with("/check") {
                // Checking a password against the policy changes nothing, so records nothing.
                let done = the_event(srv, &request_id(rid.get()), &what).await;
                assert_eq!(done["outcome"], "SUCCESS", "{what}: {done}");
                assert!(names_actor(&done), "{what} names its actor: {done}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} operations checked");
});

/// Binds a device key to a user through the link mailed to it; answers the credential's id.
async fn bound_device(srv: &TestServer, user: &str, email: &str) -> String {
    use ed25519_dalek::pkcs8::EncodePublicKey;
    let before = srv.outbox().len();
    expect(srv.post(&format!("/api/v1/users/{user}/device-binding"), &json!({})).await, 202).await;
    let mail = srv.wait_for_mail(before + 1).await;
    let m = mail.iter().rev().find(|m| m.to == email).unwrap();
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key.verifying_key().to_public_key_pem(Default::default()).unwrap();
    let body = json!({"token": m.token(), "name": "matrix", "public_key": pem});
    let r = srv.client.post(srv.url("/api/v1/device-binding")).json(&body).send().await.unwrap();
    expect(r, 201).await["id"].as_str().unwrap().to_owned()
}

both!(keys_grant_no_more_than_their_maker_holds, |srv: &TestServer| async move {
    let op = srv.directory.operator("default").await.unwrap();
    let (_, admin) = srv.directory.create_api_key(&op, "admin", "admin", None).await.unwrap();
    // An admin lacks keys:manage, so it cannot make keys at all.
    let r = srv
        .client
        .post(srv.url("/api/v1/api-keys"))
        .bearer_auth(&admin)
        .json(&json!({"name": "x", "role": "reader"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 403, "auth.forbidden").await;
    // The super-admin makes a reader key, shown once; the listing never shows secrets.
    let made = expect(srv.post("/api/v1/api-keys", &json!({"name": "ro", "role": "reader"})).await, 201).await;
    let secret = made["secret"].as_str().unwrap();
    assert_eq!(made["role"], "reader");
    let listed = expect(srv.get("/api/v1/api-keys").await, 200).await;
    assert!(!listed.to_string().contains(secret));
    let ro = |m: Method, p: &str| srv.client.request(m, srv.url(p)).bearer_auth(secret);
    expect(ro(Method::GET, "/api/v1/users").send().await.unwrap(), 200).await;
    expect_problem(
        ro(Method::POST, "/api/v1/users").json(&json!({"user_name": "x"})).send().await.unwrap(),
        403,
        "auth.forbidden",
    )
    .await;
    expect_problem(srv.post("/api/v1/api-keys", &json!({"name": "x", "role": "owner"})).await, 400, "validation").await;
    expect_problem(
        srv.post("/api/v1/api-keys", &json!({"name": "x", "role": "reader", "expires": "2000-01-01T00:00:00Z"})).await,
        400,
        "validation",
    )
    .await;
    let revoked = srv.delete(&format!("/api/v1/api-keys/{}", made["id"].as_str().unwrap())).await;
    assert_eq!(revoked.status(), 204);
    expect_problem(ro(Method::GET, "/api/v1/users").send().await.unwrap(), 401, "auth.unauthenticated").await;
});

/// The one event recorded under a request id; fails when there is none or more than one.
async fn events_of(srv: &TestServer, request_id: &str) -> Vec<Value> {
    let page =
        expect(srv.get(&format!("/api/v1/events?correlation_id={request_id}&include_not_attested=true")).await, 200)
            .await;
    page["events"].as_array().unwrap().clone()
}

async fn the_event(srv: &TestServer, request_id: &str, what: &str) -> Value {
    let events = events_of(srv, request_id).await;
    assert_eq!(events.len(), 1, "events of {what}, request {request_id}: {events:?}");
    assert_eq!(events[0]["correlation_id"], request_id);
    events[0].clone()
}
