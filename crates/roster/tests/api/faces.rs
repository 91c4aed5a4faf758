//! Every route of every face, read off the face's own OpenAPI document, against the callers an
//! attacker has: none, a bad credential, a revoked key, another tenant's super-admin, a regular
//! user, and an outranked one (a user-admin aimed at the tenant's super-admin and the group that
//! confers it). No answer is a 5xx; the first three are 401; a regular user is refused every
//! route that is not its own; another tenant reaches no record of this one; and the outranked
//! caller changes nothing: the target-changing routes with a valid request answer exactly 403.
//! The native API's allowed callers are in access.rs; each dialect's own files test success.

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
            "UserName": "mallory", "FirstName": "M", "EmailAddress": "mallory@example.com",
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

both!(every_route_of_every_face_against_every_caller, |srv: &TestServer| async move {
    // The tenant's super-admin holds its role through a group; a user-admin user and key; a
    // regular user; a spare user; a revoked key; another tenant's super-admin.
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
    let long_key = |caller: roster_core::Caller| async move {
        let format = roster_core::apikey::KeyFormat::Long;
        srv.directory.create_api_key_as(&caller, "long", "super-admin", None, format).await.unwrap().1
    };
    let super_key = long_key(op.clone()).await;
    let (_, ua_key) = srv.directory.create_api_key(&op, "ua", "user-admin", None).await.unwrap();
    let (gone, revoked) = srv.directory.create_api_key(&op, "gone", "super-admin", None).await.unwrap();
    srv.directory.revoke_api_key(&op, gone.id).await.unwrap();
    srv.directory.create_tenant("other").await.unwrap();
    let other_op = srv.directory.operator("other").await.unwrap();
    let other_key = long_key(other_op.clone()).await;
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

    let bearer = |b: &str| Credential { bearer: Some(b.to_owned()), cookie: None };
    let mut checked = 0;
    let mut by_face = Vec::new();
    for face in &FACES {
        let doc = expect(srv.get(face.doc).await, 200).await;
        let ops = operations(&doc);
        assert!(!ops.is_empty(), "{}: no operations", face.name);
        // Each caller as this face takes it.
        let session = |key: &str, runas: &str| {
            let (k, r) = (key.to_owned(), runas.to_owned());
            async move { bt_session(srv, &k, &r).await }
        };
        let (outranked, regular, other, revoked_c, bad) = if face.scheme == Scheme::Session {
            (
                Credential { bearer: None, cookie: Some(session(&super_key, "ua").await) },
                Credential { bearer: None, cookie: Some(session(&super_key, "plain").await) },
                Credential { bearer: None, cookie: Some(session(&other_key, "ozzy").await) },
                Credential { bearer: None, cookie: Some(format!("ASP.NET_SessionId={revoked}")) },
                Credential { bearer: None, cookie: Some("ASP.NET_SessionId=roster_nope".into()) },
            )
        } else {
            let plain_token = token(srv, "plain").await;
            (bearer(&ua_key), bearer(&plain_token), bearer(&other_key), bearer(&revoked), bearer("roster_nope"))
        };
        let none = Credential { bearer: None, cookie: None };
        let mut routes = 0;
        for (method, path, public) in &ops {
            // The event stream follows until the client leaves; events.rs drives it.
            if path.ends_with("/events/stream") || path.ends_with("/openapi.json") {
                continue;
            }
            routes += 1;
            let (filled, mut names_target) = fill(path, &t, face.numbers);
            let mut url = format!("{}{filled}", face.base);
            if face.name == "Allthenticate" {
                // Its users are named by `email_id` (the number), in the query.
                url.push_str(&format!("?email_id={}", t.boss_number));
                names_target = true;
            }
            let what = format!("{} {method} {path}", face.name);
            let target = target_change(face.name, method.as_str(), path, &t);
            let body = target.clone().unwrap_or(Value::Null);
            let mut statuses = Vec::new();
            for (label, cred) in [
                ("none", &none),
                ("bad", &bad),
                ("revoked", &revoked_c),
                ("regular", &regular),
                ("other tenant", &other),
                ("outranked", &outranked),
            ] {
                // Signing out would end the session the later routes are called with.
                let ends_session = path.ends_with("/Auth/Signout") || path.ends_with("/auth/logout");
                if ends_session && !matches!(label, "none" | "bad") {
                    continue;
                }
                let status = send(srv, face, cred, method, &url, &body).await.status().as_u16();
                checked += 1;
                assert!(status < 500, "{what} by {label}: {status}");
                statuses.push((label, status));
                if *public {
                    continue;
                }
                match label {
                    // The vendor tells a revoked token from an unknown one: 403.
                    "revoked" if face.name == "Beyond Identity" => assert_eq!(status, 403, "{what} by {label}"),
                    "none" | "bad" | "revoked" => assert_eq!(status, 401, "{what} by {label}"),
                    "regular" if !own_route(path) => {
                        assert!([401, 403, 404].contains(&status), "{what} by a regular user: {status}")
                    }
                    "other tenant" if names_target => {
                        assert!(!(200..300).contains(&status), "{what} from another tenant: {status}")
                    }
                    "outranked" if target.is_some() => assert_eq!(status, 403, "{what} by an outranked user-admin"),
                    "outranked" if *method != Method::GET && names_target && !group_attributes(method, path) => {
                        assert!(!(200..300).contains(&status), "{what} by an outranked user-admin: {status}")
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
    // The super-admin is as it was.
    let after = expect(srv.get(&format!("/api/v1/users/{boss}")).await, 200).await;
    assert_eq!((after["status"].as_str(), after["email"].as_str()), (Some("active"), Some("boss@example.com")));
    token(srv, "boss").await;
    eprintln!("faces matrix: {checked} calls over {}", by_face.join(", "));
});
