//! The core scenario: a directory of many imported users, measured through wrk against this
//! machine's own ceiling (`GET /healthz`) in the same run: reads, filtered pages, a deep cursor
//! page, creations, patches, a 90/10 mix and password sign-ins against the hash-bound limit.

use crate::{Failure, Target, PASSWORD};
use roster_core::password::PasswordHasher as _;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const SCRIPT: &str = include_str!("../wrk/roster.lua");

/// How the core scenario runs.
pub struct Setup {
    pub ids: PathBuf,
    pub seconds: u64,
    pub connections: u32,
    /// Connections of the page phases, which measure a page's latency rather than a queue's.
    pub page_connections: u32,
    /// Responses per phase at most (each phase is also bounded by `seconds`).
    pub max_requests: u64,
    /// Cores the server may use (the hash-bound limit is cores ÷ hash time).
    pub server_cores: u32,
    /// The page reached by cursor and compared with the first.
    pub deep_page: usize,
}

struct Wrk {
    script: PathBuf,
    target: String,
    key: String,
    setup: Setup,
}

impl Wrk {
    /// Runs one phase; wrk's figures as JSON.
    fn phase(&self, mode: &str, path: &str, connections: u32, extra: &[(&str, &str)]) -> Result<Value, Failure> {
        let mut cmd = Command::new("wrk");
        cmd.args(["-t1", &format!("-c{connections}"), &format!("-d{}s", self.setup.seconds)])
            .args(["--timeout", "10s", "-s"])
            .arg(&self.script)
            .arg(format!("{}{path}", self.target))
            .env("BENCH_MODE", mode)
            .env("BENCH_KEY", &self.key)
            .env("BENCH_IDS", &self.setup.ids)
            .env("BENCH_MAX_REQUESTS", self.setup.max_requests.to_string())
            .env("BENCH_PASSWORD", PASSWORD);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!("wrk {mode}: {stdout}{}", String::from_utf8_lossy(&out.stderr)).into());
        }
        let line = stdout.lines().rev().find(|l| l.starts_with('{')).ok_or_else(|| format!("wrk {mode}: {stdout}"))?;
        let mut figures: Value = serde_json::from_str(line)?;
        figures["path"] = path.into();
        figures["connections"] = connections.into();
        Ok(figures)
    }
}

/// Prefixes of user names that select a page's worth of users or more (`maria.g` and the like).
fn prefixes() -> String {
    let pairs = [
        ("maria", "g"),
        ("chen", "p"),
        ("ada", "s"),
        ("omar", "k"),
        ("sofia", "t"),
        ("kofi", "m"),
        ("lars", "b"),
        ("priya", "w"),
        ("ivan", "a"),
        ("noor", "o"),
    ];
    pairs.iter().map(|(g, f)| format!("{g}.{f}")).collect::<Vec<_>>().join(",")
}

/// The cursor of the `n`th page of 100 users by user name, walking there page by page.
async fn cursor_of_page(t: &Target, n: usize) -> Result<Option<String>, Failure> {
    let mut cursor: Option<String> = None;
    for _ in 1..n {
        let mut req = t.client.get(format!("{}/api/v1/users", t.url)).query(&[("sort", "user_name"), ("limit", "100")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        let page = t.send(req).await?;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return Ok(None),
        }
    }
    Ok(cursor)
}

/// The mean time of one password hash at the server's default cost, on this process's core.
async fn hash_seconds() -> Result<f64, Failure> {
    let hasher = roster_crypto::Argon2Hasher::new(roster_crypto::HashConfig::default())?;
    hasher.hash(PASSWORD).await?;
    let n = 20;
    let started = Instant::now();
    for _ in 0..n {
        hasher.hash(PASSWORD).await?;
    }
    Ok(started.elapsed().as_secs_f64() / f64::from(n))
}

fn ratio(a: f64, b: f64) -> f64 {
    (a / b.max(1e-9) * 1000.0).round() / 1000.0
}

/// A phase: its name, wrk mode, path, connections and extra environment.
type Phase<'a> = (&'a str, &'a str, &'a str, u32, Vec<(&'a str, &'a str)>);

pub async fn run(t: &Target, setup: Setup, extra: Value) -> Result<Value, Failure> {
    let users = std::fs::read_to_string(&setup.ids)?.lines().count();
    let script = std::env::temp_dir().join(format!("roster-bench-{}.lua", std::process::id()));
    std::fs::write(&script, SCRIPT)?;
    let wrk = Wrk { script, target: t.url.clone(), key: t.key.clone(), setup };
    let deep_page = wrk.setup.deep_page;
    let cursor = cursor_of_page(t, deep_page).await?.ok_or("fewer pages of users than --deep-page")?;
    let deep = format!("/api/v1/users?sort=user_name&limit=100&cursor={}", urlencode(&cursor));
    let first = "/api/v1/users?sort=user_name&limit=100";
    let prefixes = prefixes();
    let hash_s = hash_seconds().await?;

    let mut phases = serde_json::Map::new();
    let (all, few) = (wrk.setup.connections, wrk.setup.page_connections);
    let runs: [Phase; 10] = [
        ("ceiling", "get", "/healthz", all, vec![]),
        ("read", "read", "/", all, vec![]),
        ("list_filtered", "list", "/", few, vec![("BENCH_PREFIXES", prefixes.as_str())]),
        ("list_first_page", "get", first, few, vec![]),
        ("list_page_deep", "get", deep.as_str(), few, vec![]),
        ("create", "create", "/", all, vec![("BENCH_TAG", "created")]),
        ("patch", "patch", "/", all, vec![]),
        ("mixed", "mixed", "/", all, vec![]),
        ("login", "login", "/", all, vec![]),
        ("ceiling_again", "get", "/healthz", all, vec![]),
    ];
    for (name, mode, path, connections, env) in &runs {
        phases.insert((*name).into(), wrk.phase(mode, path, *connections, env)?);
    }
    let _ = std::fs::remove_file(&wrk.script);
    let rate = |p: &str| phases[p]["per_second"].as_f64().unwrap_or(0.0);
    let p99 = |p: &str| phases[p]["p99_ms"].as_f64().unwrap_or(0.0);
    let ceiling = rate("ceiling").max(rate("ceiling_again"));
    let hash_bound = f64::from(wrk.setup.server_cores) / hash_s;
    let mut out = json!({
        "scenario": "core",
        "users": users,
        "connections": wrk.setup.connections,
        "page_connections": wrk.setup.page_connections,
        "seconds_per_phase": wrk.setup.seconds,
        "server_cores": wrk.setup.server_cores,
        "deep_page": deep_page,
        "hash_ms": (hash_s * 100_000.0).round() / 100.0,
        "hash_bound_per_second": hash_bound.round(),
        "ratios": {
            "read_over_ceiling": ratio(rate("read"), ceiling),
            "list_filtered_over_ceiling": ratio(rate("list_filtered"), ceiling),
            "create_over_ceiling": ratio(rate("create"), ceiling),
            "patch_over_ceiling": ratio(rate("patch"), ceiling),
            "mixed_over_ceiling": ratio(rate("mixed"), ceiling),
            "login_over_hash_bound": ratio(rate("login"), hash_bound),
            "deep_page_p99_over_first": ratio(p99("list_page_deep"), p99("list_first_page")),
        },
        "phases": phases,
    });
    if let (Some(o), Value::Object(e)) = (out.as_object_mut(), extra) {
        o.extend(e);
    }
    Ok(out)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn markdown(r: &Value) -> String {
    let mut out =
        String::from("| phase | connections | requests | per second | p50 ms | p99 ms | p99.9 ms | errors |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    let names = [
        ("ceiling", "GET /healthz (the ceiling)"),
        ("read", "GET /users/{id}, random"),
        ("list_filtered", "user_name sw, sorted, 100"),
        ("list_first_page", "first page of 100 by user_name"),
        ("list_page_deep", "the deep page by cursor"),
        ("create", "POST /users"),
        ("patch", "PATCH /users/{id}"),
        ("mixed", "90% read, 10% PATCH"),
        ("login", "POST /auth/login"),
        ("ceiling_again", "GET /healthz, again"),
    ];
    for (key, label) in names {
        let p = &r["phases"][key];
        out.push_str(&format!(
            "| {label} | {} | {} | {} | {} | {} | {} | {} |\n",
            p["connections"], p["requests"], p["per_second"], p["p50_ms"], p["p99_ms"], p["p999_ms"], p["errors"]
        ));
    }
    let x = &r["ratios"];
    out.push_str(&format!(
        "\n{} users, {} s phases. Read / ceiling **{}**; page {} by cursor, p99 / first page p99 \
         **{}**; login / hash-bound limit **{}** (one hash {} ms, {} server core(s): {} per second).\n",
        r["users"],
        r["seconds_per_phase"],
        x["read_over_ceiling"],
        r["deep_page"],
        x["deep_page_p99_over_first"],
        x["login_over_hash_bound"],
        r["hash_ms"],
        r["server_cores"],
        r["hash_bound_per_second"]
    ));
    if let Some(import) = r.get("import") {
        out.push_str(&format!(
            "Import of {} users: {} s, peak RSS {} MiB. Start-up to /readyz: {} ms; idle RSS {} MiB.\n",
            r["users"], import["seconds"], import["peak_rss_mib"], r["startup_ms"], r["idle_rss_mib"]
        ));
    }
    out
}
