//! Every route of every face, read off the face's own OpenAPI document, against the callers an
//! attacker has and the one that is allowed: none, a bad credential, an expired and a revoked key,
//! a regular user, a suspended user-admin, another tenant's super-admin, an outranked caller (a
//! user-admin aimed at the tenant's super-admin and the group that confers it), and the
//! super-admin. No answer is a 5xx; the first four and the suspended caller are 401; a regular
//! user is refused every route that is not its own; another tenant reaches no record of this one;
//! the outranked caller changes nothing (the target-changing routes with a valid request answer
//! exactly 403); and the super-admin, aimed at targets of its own, is refused nothing and makes
//! each of those same changes. Each face's own files test its answers in detail.

use crate::*;
use reqwest::Method;

const BT: &str = "/compat/beyondtrust/BeyondTrust/api/public/v3";

/// How a face takes a credential.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bearer,
    ApiKeyHeader,
    Session,
}

struct Face {
    name: &'static str,
    doc: &'static str,
    base: &'static str,
    scheme: Scheme,
    /// Ids in paths and queries: users and groups by UUID, or by number.
    numbers: bool,
}

const FACES: [Face; 7] = [
    Face { name: "native", doc: "/api/v1/openapi.json", base: "", scheme: Scheme::Bearer, numbers: false },
    Face { name: "SCIM", doc: "/scim/v2/openapi.json", base: "/scim/v2", scheme: Scheme::Bearer, numbers: false },
    Face {
        name: "SLC Hub",
        doc: "/compat/slc-hub/openapi.json",
        base: "/compat/slc-hub",
        scheme: Scheme::Bearer,
        numbers: false,
    },
    Face {
        name: "MATTR",
        doc: "/compat/mattr/openapi.json",
        base: "/compat/mattr",
        scheme: Scheme::Bearer,
        numbers: false,
    },
    Face {
        name: "Beyond Identity",
        doc: "/compat/beyond-identity/openapi.json",
        base: "/compat/beyond-identity",
        scheme: Scheme::Bearer,
        numbers: false,
    },
    Face {
        name: "Allthenticate",
        doc: "/compat/allthenticate/openapi.json",
        base: "/compat/allthenticate",
        scheme: Scheme::ApiKeyHeader,
        numbers: true,
    },
    Face {
        name: "BeyondTrust",
        doc: "/compat/beyondtrust/openapi.json",
        base: BT,
        scheme: Scheme::Session,
        numbers: true,
    },
];

/// Routes any signed-in caller may call: about itself, and the catalogue of built-in roles; and
/// SCIM's Bulk, which carries operations each refused on its own (in a 200, or a 400 when empty).
fn own_route(path: &str) -> bool {
    path == "/api/v1/roles"
        || ["/me", "/Me", "/users/current", "/Auth/Signout", "/auth/logout", "/auth/refresh", "/Bulk"]
            .iter()
            .any(|p| path.contains(p))
}

/// A request the outranked caller sends to change the super-admin or its group, valid in every
/// other way: these answer exactly 403. Every other route it reaches answers anything but 2xx.
fn target_change(face: &str, method: &str, path: &str, t: &Targets) -> Option<Value> {
    let password = json!({"password": "orbit-lantern-quartz-81"});
    let scim_patch =
        |op: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [op]});
    Some(match (face, method, path) {
        ("native", "POST", "/api/v1/users/{id}/password") => password,
        ("native", "PATCH", "/api/v1/users/{id}") => json!({"email": "mallory@example.com"}),
        ("native", "DELETE", "/api/v1/users/{id}") => Value::Null,
        ("native", "POST", "/api/v1/groups/{id}/members") => json!({"kind": "user", "id": t.spare_id}),
        ("native", "DELETE", "/api/v1/groups/{id}") => Value::Null,
        ("SCIM", "PATCH", "/Users/{id}") => scim_patch(json!({"op": "replace", "path": "active", "value": false})),
        ("SCIM", "DELETE", "/Users/{id}") => Value::Null,
        ("SCIM", "PATCH", "/Groups/{id}") => {
            scim_patch(json!({"op": "add", "path": "members", "value": [{"value": t.spare_id}]}))
        }
        ("SLC Hub", "PUT", "/users/{userId}/password") => password,
        ("SLC Hub", "PATCH", "/groups/{groupId}/members") => {
            json!([{"op": "add", "id": t.spare_id, "principalType": "User"}])
        }
        ("MATTR", "DELETE", "/v1/users/{id}" | "/core/v1/users/{id}") => Value::Null,
        ("Allthenticate", "POST", "/togglesuspension") | ("Allthenticate", "DELETE", "/user") => Value::Null,
        ("BeyondTrust", "DELETE", "/Users/{id}") | ("BeyondTrust", "POST", "/Users/{id}/Quarantine") => Value::Null,
        ("BeyondTrust", "POST", "/UserGroups/{id}/Users") => json!({
            "UserName": "mallory", "FirstName": "M", "EmailAddress": "mallory.bt@example.com",
            "Password": "orbit-lantern-quartz-82"
        }),
        _ => return None,
    })
}

/// A group's own attributes (name, description): they confer nothing, so changing those of a
/// group that confers super-admin needs only groups:write. Its members, roles, directory link
/// and deletion are grants, and are refused.
fn group_attributes(method: &Method, path: &str) -> bool {
    matches!(method.as_str(), "PUT" | "PATCH")
        && ["/groups/{id}", "/groups/{groupId}"].iter().any(|p| path.to_lowercase().ends_with(p))
}

/// The tenant's super-admin and its group, as ids and numbers, and a spare user's id.
struct Targets {
    boss_id: String,
    boss_number: i64,
    supers_id: String,
    supers_number: i64,
    spare_id: String,
}

/// A path with its parameters filled in: users by the boss, groups by its group, anything else
/// by an id that names nothing; and whether it names the boss or its group.
fn fill(path: &str, t: &Targets, numbers: bool) -> (String, bool) {
    let mut targets = false;
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        if !(seg.starts_with('{') && seg.ends_with('}')) {
            out.push(seg.to_string());
            continue;
        }
        let before = if i > 0 { segments[i - 1].to_lowercase() } else { String::new() };
        let is_target = matches!(before.as_str(), "users" | "principals" | "groups" | "usergroups")
            || matches!(*seg, "{groupId}" | "{member_id}");
        targets |= is_target;
        let value = match (*seg, before.as_str()) {
            ("{role}", _) => "reader".to_owned(),
            ("{kind}", _) => "invitation".to_owned(),
            (_, "users" | "principals") if numbers => t.boss_number.to_string(),
            (_, "users" | "principals") => t.boss_id.clone(),
            (_, "groups" | "usergroups") if numbers => t.supers_number.to_string(),
            (_, "groups" | "usergroups") => t.supers_id.clone(),
            ("{groupId}", _) if numbers => t.supers_number.to_string(),
            ("{groupId}", _) => t.supers_id.clone(),
            ("{member_id}", _) => t.boss_id.clone(),
            _ if numbers => "999999".to_owned(),
            _ => uuid::Uuid::nil().to_string(),
        };
        out.push(value);
    }
    (out.join("/"), targets)
}

/// Every operation of a document: (method, path, public).
fn operations(doc: &Value) -> Vec<(Method, String, bool)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(m) = method.to_uppercase().parse::<Method>() else { continue };
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m.as_str()) {
                continue;
            }
            let public = op.get("security").and_then(Value::as_array).is_some_and(|s| {
                s.is_empty() || s.iter().any(|r| r.as_object().is_some_and(serde_json::Map::is_empty))
            });
            ops.push((m, path.clone(), public));
        }
    }
    ops
}

/// A BeyondTrust session cookie of a key running as a user.
async fn bt_session(srv: &TestServer, key: &str, runas: &str) -> String {
    let r = srv
        .client
        .post(srv.url(&format!("{BT}/Auth/SignAppin")))
        .header("authorization", format!("PS-Auth key={key}; runas={runas};"));
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200, "BeyondTrust sign-in as {runas}");
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
}

/// A caller, as each scheme sends it.
#[derive(Clone)]
struct Credential {
    bearer: Option<String>,
    cookie: Option<String>,
}

async fn send(
    srv: &TestServer,
    face: &Face,
    cred: &Credential,
    method: &Method,
    url: &str,
    body: &Value,
) -> reqwest::Response {
    let mut r = srv.client.request(method.clone(), srv.url(url));
    match (face.scheme, cred) {
        (Scheme::Bearer, Credential { bearer: Some(b), .. }) => r = r.bearer_auth(b),
        (Scheme::ApiKeyHeader, Credential { bearer: Some(b), .. }) => r = r.header("x-api-key", b),
        (Scheme::Session, Credential { cookie: Some(c), .. }) => r = r.header("cookie", c),
        _ => {}
    }
    if method != Method::GET && method != Method::DELETE || !body.is_null() {
        let ct = if face.name == "SCIM" {
            "application/scim+json"
        } else if method == Method::PATCH && face.name == "native" {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        let b = if body.is_null() { json!({}) } else { body.clone() };
        r = r.header("content-type", ct).body(b.to_string());
    }
    r.send().await.unwrap()
}

/// The callers of one scheme, in the order they call each route; the allowed caller comes last.
fn callers(scheme: Scheme, c: &Creds) -> Vec<(&'static str, Credential)> {
    let bearer = |b: &str| Credential { bearer: Some(b.to_owned()), cookie: None };
    let cookie = |c: &str| Credential { bearer: None, cookie: Some(c.to_owned()) };
    let none = Credential { bearer: None, cookie: None };
    match scheme {
        Scheme::Session => vec![
            ("none", none),
            ("bad", cookie("ASP.NET_SessionId=roster_nope")),
            ("expired", cookie(&c.expired_session)),
            ("revoked", cookie(&format!("ASP.NET_SessionId={}", c.revoked_key))),
            ("regular", cookie(&c.regular_session)),
            ("suspended", cookie(&c.suspended_session)),
            ("other tenant", cookie(&c.other_session)),
            ("outranked", cookie(&c.outranked_session)),
            ("allowed", cookie(&c.allowed_session)),
        ],
        // Allthenticate takes API keys only: a person's token there is a bad key, and the
        // key that is allowed is the super-admin's.
        Scheme::ApiKeyHeader | Scheme::Bearer => vec![
            ("none", none),
            ("bad", bearer("roster_nope")),
            ("expired", bearer(&c.expired_key)),
            ("revoked", bearer(&c.revoked_key)),
            ("regular", bearer(&c.regular_token)),
            ("suspended", bearer(&c.suspended_token)),
            ("other tenant", bearer(&c.other_key)),
            ("outranked", bearer(&c.outranked_key)),
            ("allowed", bearer(if scheme == Scheme::Bearer { &c.allowed_token } else { &c.super_key })),
        ],
    }
}

/// Every credential the matrix sends, made before any of them expires or is suspended.
struct Creds {
    super_key: String,
    expired_key: String,
    revoked_key: String,
    other_key: String,
    outranked_key: String,
    regular_token: String,
    suspended_token: String,
    allowed_token: String,
    expired_session: String,
    regular_session: String,
    suspended_session: String,
    other_session: String,
    outranked_session: String,
    allowed_session: String,
}

/// A fresh super-admin-free target for the allowed caller: a user, a group and a spare user.
async fn victims(srv: &TestServer, n: usize) -> Targets {
    let victim = srv.user(json!({"user_name": format!("victim{n}"), "email": format!("victim{n}@example.com")})).await;
    let group = srv.group(&format!("victims{n}")).await;
    let spare = srv.user(json!({"user_name": format!("victim{n}-spare")})).await;
    Targets {
        boss_id: victim["id"].as_str().unwrap().to_owned(),
        boss_number: victim["number"].as_i64().unwrap(),
        supers_id: group["id"].as_str().unwrap().to_owned(),
        supers_number: group["number"].as_i64().unwrap(),
        spare_id: spare["id"].as_str().unwrap().to_owned(),
    }
}

both!(every_route_of_every_face_against_every_caller, |srv: &TestServer| async move {
    // The tenant's super-admin holds its role through a group; a user-admin user and key; a
    // regular user; a user-admin who will be suspended; a spare user; a revoked key and one
    // about to expire; another tenant's super-admin.
    // Numbers are per tenant: the boss's is one the other tenant has not given.
    for i in 0..3 {
        srv.user(json!({"user_name": format!("early{i}")})).await;
    }
    let boss = person(srv, "boss").await;
    let supers = srv.group("supers").await;
    let supers_id = supers["id"].as_str().unwrap().to_owned();
    expect(srv.put(&format!("/api/v1/groups/{supers_id}/roles/super-admin"), &json!({})).await, 200).await;
    expect(srv.post(&format!("/api/v1/groups/{supers_id}/members"), &json!({"kind": "user", "id": boss})).await, 200)
        .await;
    let ua = person(srv, "ua").await;
    expect(srv.put(&format!("/api/v1/users/{ua}/roles/user-admin"), &json!({})).await, 200).await;
    person(srv, "plain").await;
    let held = person(srv, "held").await;
    expect(srv.put(&format!("/api/v1/users/{held}/roles/user-admin"), &json!({})).await, 200).await;
    let spare = srv.user(json!({"user_name": "spare"})).await;
    let boss_number = expect(srv.get(&format!("/api/v1/users/{boss}")).await, 200).await["number"].as_i64().unwrap();
    let t = Targets {
        boss_number,
        boss_id: boss.clone(),
        supers_number: supers["number"].as_i64().unwrap(),
        supers_id: supers_id.clone(),
        spare_id: spare["id"].as_str().unwrap().to_owned(),
    };
    let op = srv.directory.operator("default").await.unwrap();
    // Long keys: BeyondTrust's sign-in takes 128 to 263 characters.
    let long_key = |caller: roster_core::Caller, expires: Option<roster_core::model::Time>| async move {
        let format = roster_core::apikey::KeyFormat::Long;
        srv.directory.create_api_key_as(&caller, "long", "super-admin", expires, format).await.unwrap().1
    };
    let super_key = long_key(op.clone(), None).await;
    let expiry = roster_core::model::now() + chrono::Duration::seconds(3);
    let expired_key = long_key(op.clone(), Some(expiry)).await;
    let (_, ua_key) = srv.directory.create_api_key(&op, "ua", "user-admin", None).await.unwrap();
    let (gone, revoked_key) = srv.directory.create_api_key(&op, "gone", "super-admin", None).await.unwrap();
    srv.directory.revoke_api_key(&op, gone.id).await.unwrap();
    srv.directory.create_tenant("other").await.unwrap();
    let other_op = srv.directory.operator("other").await.unwrap();
    let other_key = long_key(other_op.clone(), None).await;
    srv.directory
        .create_user(
            &other_op,
            roster_core::model::UserSpec {
                user_name: "ozzy".into(),
                claims: roster_core::model::empty_object(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let c = Creds {
        expired_session: bt_session(srv, &expired_key, "boss").await,
        regular_session: bt_session(srv, &super_key, "plain").await,
        suspended_session: bt_session(srv, &super_key, "held").await,
        other_session: bt_session(srv, &other_key, "ozzy").await,
        outranked_session: bt_session(srv, &super_key, "ua").await,
        allowed_session: bt_session(srv, &super_key, "boss").await,
        regular_token: token(srv, "plain").await,
        suspended_token: token(srv, "held").await,
        allowed_token: token(srv, "boss").await,
        super_key,
        expired_key,
        revoked_key,
        other_key,
        outranked_key: ua_key,
    };
    expect(
        srv.patch(&format!("/api/v1/users/{held}"), "application/merge-patch+json", &json!({"status": "suspended"}))
            .await,
        200,
    )
    .await;
    let wait = expiry - roster_core::model::now() + chrono::Duration::milliseconds(100);
    tokio::time::sleep(wait.to_std().unwrap_or_default()).await;

    let mut checked = 0;
    let mut allowed_2xx = 0;
    let mut fresh = 0;
    let mut by_face = Vec::new();
    for face in &FACES {
        let doc = expect(srv.get(face.doc).await, 200).await;
        let ops = operations(&doc);
        assert!(!ops.is_empty(), "{}: no operations", face.name);
        let mut routes = 0;
        for (method, path, public) in &ops {
            // The event stream follows until the client leaves; events.rs drives it.
            if path.ends_with("/events/stream") || path.ends_with("/openapi.json") {
                continue;
            }
            routes += 1;
            // Signing out would end the session the later routes are called with.
            let ends_session = path.ends_with("/Auth/Signout") || path.ends_with("/auth/logout");
            // The allowed caller aims at victims of its own, fresh for each route.
            fresh += 1;
            let v = victims(srv, fresh).await;
            for (label, cred) in callers(face.scheme, &c) {
                if ends_session && !matches!(label, "none" | "bad") {
                    continue;
                }
                // BeyondTrust's sign-in takes a key, not a session: each session above is one.
                if path.ends_with("/Auth/SignAppin") && label == "allowed" {
                    continue;
                }
                let aim = if label == "allowed" { &v } else { &t };
                let (filled, mut names_target) = fill(path, aim, face.numbers);
                let mut url = format!("{}{filled}", face.base);
                if face.name == "Allthenticate" {
                    // Its users are named by `email_id` (the number), in the query.
                    url.push_str(&format!("?email_id={}", aim.boss_number));
                    names_target = true;
                }
                let what = format!("{} {method} {path}", face.name);
                let target = target_change(face.name, method.as_str(), path, aim);
                let body = target.clone().unwrap_or(Value::Null);
                let status = send(srv, face, &cred, method, &url, &body).await.status().as_u16();
                checked += 1;
                assert!(status < 500, "{what} by {label}: {status}");
                if *public {
                    continue;
                }
                let refused = [401, 403].contains(&status);
                let success = (200..300).contains(&status);
                match label {
                    // The vendor tells a revoked or expired token from an unknown one: 403.
                    "revoked" | "expired" if face.name == "Beyond Identity" => {
                        assert_eq!(status, 403, "{what} by {label}")
                    }
                    "none" | "bad" | "revoked" | "expired" | "suspended" => {
                        assert_eq!(status, 401, "{what} by {label}")
                    }
                    "regular" if !own_route(path) => {
                        assert!([401, 403, 404].contains(&status), "{what} by a regular user: {status}")
                    }
                    "other tenant" if names_target => assert!(!success, "{what} from another tenant: {status}"),
                    "outranked" if target.is_some() => assert_eq!(status, 403, "{what} by an outranked user-admin"),
                    "outranked" if *method != Method::GET && names_target && !group_attributes(method, path) => {
                        assert!(!success, "{what} by an outranked user-admin: {status}")
                    }
                    // The control: the same valid change by a caller that covers the target lands,
                    // and no route refuses the super-admin (a 400 or 404 is about the request).
                    "allowed" if target.is_some() => {
                        assert!(success, "{what} by an allowed caller: {status}");
                        allowed_2xx += 1;
                    }
                    "allowed" => {
                        assert!(!refused, "{what} refused to an allowed caller: {status}");
                        allowed_2xx += usize::from(success);
                    }
                    _ => {}
                }
            }
        }
        by_face.push(format!("{} {routes}", face.name));
    }
    // Every table entry named a route that exists: a renamed route cannot drop its check.
    let named = [
        ("native", "POST", "/api/v1/users/{id}/password"),
        ("SCIM", "PATCH", "/Users/{id}"),
        ("SLC Hub", "PATCH", "/groups/{groupId}/members"),
        ("Allthenticate", "POST", "/togglesuspension"),
        ("BeyondTrust", "POST", "/UserGroups/{id}/Users"),
    ];
    for (face, method, path) in named {
        let f = FACES.iter().find(|f| f.name == face).unwrap();
        let doc = expect(srv.get(f.doc).await, 200).await;
        assert!(operations(&doc).iter().any(|(m, p, _)| m.as_str() == method && p == path), "{face} {method} {path}");
    }
    // Nothing joined the super-admin's group, and the super-admin is as it was.
    let members = expect(srv.get(&format!("/api/v1/groups/{supers_id}/members")).await, 200).await;
    assert_eq!(ids(&members), std::slice::from_ref(&boss));
    let after = expect(srv.get(&format!("/api/v1/users/{boss}")).await, 200).await;
    assert_eq!((after["status"].as_str(), after["email"].as_str()), (Some("active"), Some("boss@example.com")));
    token(srv, "boss").await;
    eprintln!("faces matrix: {checked} calls over {} ({allowed_2xx} allowed calls answered 2xx)", by_face.join(", "));
});

/// A route as the matrix compares them: the full path in lower case (BeyondTrust matches paths
/// without regard to case), each parameter as `{}`.
fn route_key(method: &Method, path: &str) -> String {
    let segments: Vec<String> = path
        .to_lowercase()
        .split('/')
        .map(|s| if s.starts_with('{') && s.ends_with('}') { "{}".to_owned() } else { s.to_owned() })
        .collect();
    format!("{method} {}", segments.join("/"))
}

both!(every_route_a_face_serves_is_in_its_document, |srv: &TestServer| async move {
    // The matrix walks the documents; here every method each face's router answers on each of
    // its paths (anything but 405, asked without a credential) must be a documented operation,
    // and every documented operation must be answered.
    let mut documented = std::collections::BTreeSet::new();
    for face in &FACES {
        let doc = expect(srv.get(face.doc).await, 200).await;
        for (method, path, _) in operations(&doc) {
            documented.insert(route_key(&method, &format!("{}{path}", face.base)));
        }
    }
    let methods = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
    let mut served = std::collections::BTreeSet::new();
    for (mount, paths) in roster_http::served_paths() {
        assert!(!paths.is_empty(), "{mount} serves nothing");
        for path in paths.iter().filter(|p| !p.ends_with("/openapi.json")) {
            let full = format!("{mount}{path}");
            let url: String =
                full.split('/').map(|s| if s.starts_with('{') { "1" } else { s }).collect::<Vec<_>>().join("/");
            for method in &methods {
                let status = srv.client.request(method.clone(), srv.url(&url)).send().await.unwrap().status();
                if status != 405 {
                    let key = route_key(method, &full);
                    assert!(documented.contains(&key), "{key} is served ({status}) but in no face's document");
                    served.insert(key);
                }
            }
        }
    }
    // The native API's document is made from its handlers; the others must all be served.
    let undocumented: Vec<_> = documented.iter().filter(|k| !k.contains("/api/v1/") && !served.contains(*k)).collect();
    let unserved: Vec<_> = undocumented.iter().filter(|k| !k.ends_with("/openapi.json")).collect();
    assert!(unserved.is_empty(), "documented but not served: {unserved:?}");
    eprintln!("served and documented: {} dialect and SCIM operations", served.len());
});
