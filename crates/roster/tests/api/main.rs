//! The integration suite: the real server on 127.0.0.1:0, driven over HTTP, on SQLite and
//! (when configured) PostgreSQL. Modules mirror the API paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod auth;
mod auth_tokens;
mod cli;
mod groups;
mod malformed;
mod members;
mod ops;
mod passwords;
mod principals;
mod schema;
mod tenancy;
mod users;
mod users_list;

pub use roster_testkit::{both, expect, expect_problem, TestServer};
pub use serde_json::{json, Value};

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
