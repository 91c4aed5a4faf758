//! Starts the real Roster server on 127.0.0.1:0 against a fresh database and drives it over HTTP.
//!
//! SQLite always; PostgreSQL when `ROSTER_TEST_DATABASE_URL` names a database (each server gets
//! a schema of its own there, so tests never see each other's rows).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test support: failing loudly is the point

use reqwest::{Method, RequestBuilder, Response};
use roster::config::{Config, Secret};
use roster_core::Directory;
use serde_json::Value;
use std::path::PathBuf;

/// The API key every test server is bootstrapped with.
pub const ADMIN_KEY: &str = "roster_test_admin_key_0123456789abcdefghijklmnop";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL URL tests run against, if any. With `ROSTER_TEST_REQUIRE_POSTGRES=1` a missing
/// URL is an error rather than a skip, so CI cannot pass while silently testing SQLite alone.
pub fn postgres_url() -> Option<String> {
    match std::env::var("ROSTER_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("ROSTER_TEST_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "ROSTER_TEST_REQUIRE_POSTGRES=1 but ROSTER_TEST_DATABASE_URL is not set"
            );
            None
        }
    }
}

pub struct TestServer {
    pub base: String,
    pub backend: Backend,
    pub client: reqwest::Client,
    pub directory: Directory,
    running: Option<roster::Running>,
    dir: PathBuf,
}

/// A fresh schema in the test PostgreSQL database, and the URL that makes it the search path.
async fn fresh_schema(url: &str) -> String {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {url}: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {name}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("create schema: {e}"));
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{name}")
}

/// With `ROSTER_TEST_LOG_DIR` set, the servers a test process starts log at info into one file
/// there (named after the process), so that the test command can check that no log of the whole
/// suite holds a secret; otherwise they log nothing.
fn log_to_file() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Some(dir) = std::env::var_os("ROSTER_TEST_LOG_DIR").map(PathBuf::from) else { return };
        let exe = std::env::current_exe().ok().and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()));
        let name = format!("{}-{}.log", exe.unwrap_or_else(|| "tests".into()), std::process::id());
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("test log directory: {e}"));
        let file = std::fs::File::create(dir.join(name)).unwrap_or_else(|e| panic!("test log: {e}"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    });
}

impl TestServer {
    /// Starts a server, or answers None for PostgreSQL when no test database is configured.
    pub async fn start(backend: Backend) -> Option<TestServer> {
        Self::start_with(backend, |_| {}).await
    }

    /// As [`TestServer::start`], with the configuration adjusted first.
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestServer> {
        let dir = std::env::temp_dir().join(format!("roster-test-{}", uuid::Uuid::new_v4().simple()));
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(Secret(fresh_schema(&postgres_url()?).await)),
        };
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!()),
            data_dir: dir.clone(),
            database_url,
            max_connections: 8,
            max_body_bytes: 64 * 1024,
            bootstrap_api_key: Some(Secret(ADMIN_KEY.to_owned())),
            mail_poll_ms: 50,
            mail_retry_base: 1,
            // Tests sign in from one address far more often than people do; the buckets are
            // tested with their own settings (tests/api/throttle.rs).
            public_requests_per_minute_per_address: 0,
            public_requests_per_minute_per_account: 0,
            ..Config::default()
        };
        adjust(&mut config);
        log_to_file();
        let running = roster::start(&config).await.unwrap_or_else(|e| panic!("server failed to start: {e}"));
        Some(TestServer {
            base: format!("http://{}", running.addr),
            backend,
            client: reqwest::Client::new(),
            directory: running.directory.clone(),
            running: Some(running),
            dir,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with the admin key.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(ADMIN_KEY)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.req(Method::POST, path).json(body).send().await.unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.req(Method::PUT, path).json(body).send().await.unwrap_or_else(|e| panic!("PUT {path}: {e}"))
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.req(Method::DELETE, path).send().await.unwrap_or_else(|e| panic!("DELETE {path}: {e}"))
    }

    pub async fn patch(&self, path: &str, content_type: &str, body: &Value) -> Response {
        self.req(Method::PATCH, path)
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("PATCH {path}: {e}"))
    }

    /// Creates a user and answers its JSON.
    pub async fn user(&self, body: Value) -> Value {
        expect(self.post("/api/v1/users", &body).await, 201).await
    }

    pub async fn group(&self, name: &str) -> Value {
        expect(self.post("/api/v1/groups", &serde_json::json!({"name": name})).await, 201).await
    }

    /// The messages in the file outbox (where mail goes without SMTP), oldest first.
    pub fn outbox(&self) -> Vec<Mail> {
        let dir = self.dir.join("outbox");
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(&dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        // Message ids are UUIDv7, so names sort by the time the message was queued.
        files.sort();
        files.iter().map(|p| Mail::parse(&std::fs::read(p).unwrap())).collect()
    }

    /// Waits (up to ten seconds) until the file outbox holds `n` messages, and answers them.
    pub async fn wait_for_mail(&self, n: usize) -> Vec<Mail> {
        for _ in 0..200 {
            let mail = self.outbox();
            if mail.len() >= n {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {n} messages in the outbox, found {}", self.outbox().len());
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Asserts the status and answers the JSON body (Null when empty).
pub async fn expect(resp: Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(got, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"))
    }
}

/// Asserts a problem+json answer with this status and code, and answers it.
pub async fn expect_problem(resp: Response, status: u16, code: &str) -> Value {
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = expect(resp, status).await;
    assert_eq!(ct, "application/problem+json", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    body
}

/// Runs a test body against SQLite and, when configured, PostgreSQL:
/// `both!(name, |srv: &TestServer| async move { ... })` makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both {
    ($name:ident, |$srv:ident : &TestServer| async move $body:block) => {
        $crate::both!($name, adjust = |_| {}, |$srv: &TestServer| async move $body);
    };
    ($name:ident, adjust = $adjust:expr, |$srv:ident : &TestServer| async move $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($srv: &$crate::TestServer) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let srv = $crate::TestServer::start_with($crate::Backend::Sqlite, $adjust)
                    .await
                    .unwrap_or_else(|| unreachable!());
                run(&srv).await;
                srv.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(srv) = $crate::TestServer::start_with($crate::Backend::Postgres, $adjust).await else {
                    eprintln!("skipped: ROSTER_TEST_DATABASE_URL is not set");
                    return;
                };
                run(&srv).await;
                srv.stop().await;
            }
        }
    };
}

/// A delivered message, as a mail client reads it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: Option<String>,
}

impl Mail {
    pub fn parse(raw: &[u8]) -> Mail {
        let m = mail_parser::MessageParser::default().parse(raw).expect("a message");
        let addr = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_owned()
        };
        Mail {
            to: addr(m.to()),
            from: addr(m.from()),
            subject: m.subject().unwrap_or_default().to_owned(),
            message_id: m.message_id().unwrap_or_default().to_owned(),
            text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            html: m.body_html(0).map(|t| t.into_owned()),
        }
    }

    /// The first link in the text part.
    pub fn link(&self) -> String {
        let start = self.text.find("http").expect("a link in the message");
        self.text[start..].split_whitespace().next().unwrap_or_default().to_owned()
    }

    /// The token of the link.
    pub fn token(&self) -> String {
        let link = self.link();
        link.split_once("token=").map(|(_, t)| t.to_owned()).expect("a token in the link")
    }
}

/// The variables of a test directory's env file (`scripts/ldap-test-server`,
/// `scripts/ad-test-server`) named by `var`, or None, said to be skipped, when there is none.
/// With `ROSTER_TEST_REQUIRE_DIRECTORY=1` (the test command) a missing one fails instead.
pub fn directory_env(var: &str) -> Option<std::collections::HashMap<String, String>> {
    let Some(path) = std::env::var_os(var) else {
        assert!(
            std::env::var("ROSTER_TEST_REQUIRE_DIRECTORY").as_deref() != Ok("1"),
            "ROSTER_TEST_REQUIRE_DIRECTORY=1 but {var} is not set"
        );
        eprintln!("skipped: {var} names no running test directory (scripts/ldap-test-server, scripts/ad-test-server)");
        return None;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{var}: {e}"));
    Some(text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
}

/// Applies LDIF changes to a test directory with the real `ldapmodify`, as (url, bind DN,
/// password), trusting the test CA.
pub fn ldap_modify((url, dn, password): (&str, &str, &str), ca: &str, ldif: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("ldapmodify")
        .args(["-x", "-H", url, "-D", dn, "-w", password])
        .env("LDAPTLS_CACERT", ca)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("ldapmodify: {e}"));
    child.stdin.take().unwrap().write_all(ldif.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "ldapmodify failed: {}\n{ldif}", String::from_utf8_lossy(&out.stderr));
}
