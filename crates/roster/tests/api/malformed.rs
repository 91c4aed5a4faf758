//! Every class of malformed request gets its 4xx problem document, and changes nothing.

use crate::*;
use reqwest::Method;

/// Users and groups as they stand, to compare before and after.
async fn snapshot(srv: &TestServer) -> (Value, Value) {
    let users = expect(srv.get("/api/v1/users?deleted=include&limit=1000").await, 200).await;
    let groups = expect(srv.get("/api/v1/groups?deleted=include&limit=1000").await, 200).await;
    (users, groups)
}

both!(each_class_is_refused_without_a_write, |srv: &TestServer| async move {
    let u = srv.user(json!({"user_name": "kept", "email": "kept@example.com"})).await;
    let g = srv.group("Kept").await;
    let upath = format!("/api/v1/users/{}", u["id"].as_str().unwrap());
    let gpath = format!("/api/v1/groups/{}", g["id"].as_str().unwrap());
    let before = snapshot(srv).await;

    let raw = |method: Method, path: &str, ct: &str, body: &str| {
        srv.req(method, path).header("content-type", ct).body(body.to_owned())
    };
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "malformed JSON",
            raw(Method::POST, "/api/v1/users", "application/json", "{\"user_name\": "),
            400,
            "request.json",
        ),
        (
            "array for an object",
            raw(Method::PUT, "/api/v1/password-policy", "application/json", "[]"),
            400,
            "request.json",
        ),
        (
            "array for a user",
            raw(Method::POST, "/api/v1/users", "application/json", r#"["seq-user"]"#),
            400,
            "request.json",
        ),
        (
            "wrong type",
            raw(Method::POST, "/api/v1/users", "application/json", r#"{"user_name": 5}"#),
            400,
            "request.json",
        ),
        (
            "unknown field",
            raw(Method::POST, "/api/v1/users", "application/json", r#"{"user_name": "x", "password": "p"}"#),
            400,
            "request.json",
        ),
        (
            "read-only field",
            raw(Method::PUT, &upath, "application/json", r#"{"user_name": "x", "id": "y"}"#),
            400,
            "request.json",
        ),
        (
            "bad enum",
            raw(Method::POST, "/api/v1/users", "application/json", r#"{"user_name": "x", "status": "zombie"}"#),
            400,
            "request.json",
        ),
        (
            "not JSON content",
            raw(Method::POST, "/api/v1/users", "text/plain", r#"{"user_name": "x"}"#),
            415,
            "request.media_type",
        ),
        (
            "oversized body",
            raw(
                Method::POST,
                "/api/v1/users",
                "application/json",
                &format!(r#"{{"user_name": "{}"}}"#, "x".repeat(70_000)),
            ),
            413,
            "request.too_large",
        ),
        (
            "oversized patch",
            raw(
                Method::PATCH,
                &upath,
                "application/merge-patch+json",
                &format!(r#"{{"display_name": "{}"}}"#, "x".repeat(70_000)),
            ),
            413,
            "request.too_large",
        ),
        (
            "NUL in claims",
            raw(
                Method::POST,
                "/api/v1/users",
                "application/json",
                r#"{"user_name": "n", "claims": {"k": "a\u0000b"}}"#,
            ),
            400,
            "validation",
        ),
        (
            "NUL in a filter",
            srv.req(Method::GET, &format!("/api/v1/users?filter={}", q("user_name eq \"a\\u0000\""))),
            400,
            "filter.invalid",
        ),
        ("wrong method", srv.req(Method::PATCH, "/api/v1/users"), 405, "route.method_not_allowed"),
        ("patch media type", raw(Method::PATCH, &upath, "application/json", "{}"), 415, "request.media_type"),
        (
            "malformed patch",
            raw(Method::PATCH, &upath, "application/json-patch+json", r#"[{"op": "jump"}]"#),
            400,
            "request.json",
        ),
        (
            "patch to missing path",
            raw(Method::PATCH, &upath, "application/json-patch+json", r#"[{"op": "remove", "path": "/nothing"}]"#),
            400,
            "validation",
        ),
        (
            "patch making it invalid",
            raw(Method::PATCH, &upath, "application/merge-patch+json", r#"{"email": "not an email"}"#),
            400,
            "validation",
        ),
        (
            "merge patch not an object",
            raw(Method::PATCH, &gpath, "application/merge-patch+json", "[]"),
            400,
            "request.json",
        ),
        ("bad UUID", srv.req(Method::GET, "/api/v1/users/12345"), 400, "request.path"),
        (
            "bad UUID on write",
            raw(Method::PUT, "/api/v1/users/not-a-uuid", "application/json", r#"{"user_name": "x"}"#),
            400,
            "request.path",
        ),
        ("bad cursor", srv.req(Method::GET, "/api/v1/users?cursor=%%%"), 400, "cursor.invalid"),
        ("forged cursor", srv.req(Method::GET, "/api/v1/users?cursor=eyJzIjoiY3JlYXRlZCJ9"), 400, "cursor.invalid"),
        ("limit too large", srv.req(Method::GET, "/api/v1/users?limit=1001"), 400, "validation"),
        ("limit zero", srv.req(Method::GET, "/api/v1/users?limit=0"), 400, "validation"),
        ("limit not a number", srv.req(Method::GET, "/api/v1/users?limit=ten"), 400, "request.query"),
        ("unknown parameter", srv.req(Method::GET, "/api/v1/users?colour=red"), 400, "request.query"),
        ("bad sort", srv.req(Method::GET, "/api/v1/users?sort=claims"), 400, "validation"),
        (
            "filter too deep",
            srv.req(
                Method::GET,
                &format!("/api/v1/users?filter={}", q(&format!("{}guest pr{}", "(".repeat(30), ")".repeat(30)))),
            ),
            400,
            "filter.invalid",
        ),
        (
            "filter too long",
            srv.req(
                Method::GET,
                &format!("/api/v1/users?filter={}", q(&vec![r#"user_name eq "a""#; 400].join(" or "))),
            ),
            400,
            "filter.invalid",
        ),
        (
            "bad member kind",
            raw(Method::POST, &format!("{gpath}/members"), "application/json", r#"{"kind": "robot", "id": "x"}"#),
            400,
            "request.json",
        ),
        (
            "duplicate user name",
            raw(Method::POST, "/api/v1/users", "application/json", r#"{"user_name": "KEPT"}"#),
            409,
            "conflict.unique",
        ),
        (
            "invalid values",
            raw(Method::POST, "/api/v1/groups", "application/json", r#"{"name": " padded "}"#),
            400,
            "validation",
        ),
        ("unknown route", srv.req(Method::GET, "/api/v1/nothing"), 404, "route.not_found"),
    ];
    for (what, req, status, code) in cases {
        let resp = req.send().await.unwrap();
        let got = resp.status().as_u16();
        let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_eq!((got, body["code"].as_str().unwrap_or_default()), (status, code), "{what}: {body}");
        assert_eq!(ct, "application/problem+json", "{what}");
    }
    assert_eq!(snapshot(srv).await, before, "a refused request changed the directory");
});
