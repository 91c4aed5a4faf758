//! The integration suite: the real server on 127.0.0.1:0, driven over HTTP, on SQLite and
//! (when configured) PostgreSQL. Modules mirror the API paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod access_policies;
mod allthenticate;
mod auth;
mod auth_tokens;
mod beyond_identity;
mod beyondtrust;
mod cli;
mod devices;
mod directories;
mod escalation;
mod events;
mod faces;
mod groups;
mod impersonation;
mod import;
mod invitations;
mod lockout;
mod mail_templates;
mod malformed;
mod mattr;
mod members;
mod oauth;
mod ops;
mod password_reset;
mod passwords;
mod principals;
mod roles;
mod schema;
mod scim;
mod secrets;
mod slc_hub;
mod tenancy;
mod throttle;
mod users;
mod users_list;

pub use roster_testkit::{both, expect, expect_problem, TestServer};
pub use serde_json::{json, Value};

/// The password `person` gives its users.
pub const PASSWORD: &str = "saffron-kettle-orbit-42";

/// A user with a password; answers its id.
pub async fn person(srv: &TestServer, name: &str) -> String {
    let u = srv.user(json!({"user_name": name, "email": format!("{name}@example.com")})).await;
    let id = u["id"].as_str().unwrap().to_owned();
    let r = srv.post(&format!("/api/v1/users/{id}/password"), &json!({"password": PASSWORD})).await;
    assert_eq!(r.status(), 204);
    id
}

pub async fn login(srv: &TestServer, username: &str, password: &str) -> reqwest::Response {
    srv.client
        .post(srv.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

/// Signs a user of `person` in; answers its access token.
pub async fn token(srv: &TestServer, username: &str) -> String {
    expect(login(srv, username, PASSWORD).await, 200).await["access_token"].as_str().unwrap().to_owned()
}

/// One JSON part of a JWT (0: header, 1: claims), read without verifying it (roster and PyJWT verify elsewhere).
pub fn jwt_part(token: &str, index: usize) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

pub fn jwt_claims(token: &str) -> Value {
    jwt_part(token, 1)
}

/// The ids of a list answer's items.
pub fn ids(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect()
}

/// The values of one attribute over a list answer's items.
pub fn names(list: &Value, attr: &str) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|u| u[attr].as_str().unwrap_or_default().to_owned()).collect()
}

/// Percent-encodes a query value.
pub fn q(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
