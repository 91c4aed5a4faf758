//! Load scenarios against a running Roster server. Each scenario measures its own baseline in
//! the same run and reports figures as ratios to it, because the machine it runs on is shared.
//!
//! `bench/run` builds the server, starts it on a fresh database and calls this program.

mod generate;
mod scale;

use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use rand::Rng;
use roster_core::Store as _;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Cli {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An admin API key of the default tenant.
    #[arg(long, env = "ROSTER_BENCH_KEY", default_value = "", hide_env_values = true)]
    key: String,
    /// The server's process id, to report its memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Write the result here as JSON, and as a Markdown table next to it (`.md`).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Writes a synthetic organisation for `roster import` (NDJSON) and, beside it, each user's
    /// id, user name and whether it has a password; needs no server.
    Generate {
        #[arg(long, default_value_t = 1_000_000)]
        users: usize,
        /// Every how manyth user gets a password hash (0: none).
        #[arg(long, default_value_t = 1000)]
        password_every: usize,
        /// The NDJSON file to write.
        #[arg(long)]
        file: std::path::PathBuf,
        /// The file of "id user_name has_password" lines to write.
        #[arg(long)]
        ids: std::path::PathBuf,
    },
    /// Over a directory made by `generate` and `roster import`: the ceiling (`GET /healthz`),
    /// reads, filtered pages, the 1,000th cursor page, creations, patches, a 90/10 mix and
    /// sign-ins, each a wrk phase.
    Core {
        /// The ids file `generate` wrote.
        #[arg(long)]
        ids: std::path::PathBuf,
        /// Concurrent connections.
        #[arg(long, default_value_t = 32)]
        connections: u32,
        /// Concurrent connections of the page phases (their latency is the figure, not a queue's).
        #[arg(long, default_value_t = 4)]
        page_connections: u32,
        /// Responses per phase at most.
        #[arg(long, default_value_t = 2_000_000)]
        max_requests: u64,
        /// Cores the server may use.
        #[arg(long, default_value_t = 1)]
        server_cores: u32,
        /// The page of 100 users by user name reached by cursor and compared with the first.
        #[arg(long, default_value_t = 1000)]
        deep_page: usize,
        /// Figures measured outside (the import, the start-up) as a JSON object, merged into the result.
        #[arg(long)]
        measured: Option<String>,
        /// Length of each phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// `GET /api/v1/users/{id}` latency alone, then during a storm of concurrent password sign-ins.
    LoginStorm {
        /// Users to make (each gets a password) and to read.
        #[arg(long, default_value_t = 200)]
        users: usize,
        /// Concurrent readers.
        #[arg(long, default_value_t = 4)]
        readers: usize,
        /// Concurrent sign-ins during the storm.
        #[arg(long, default_value_t = 200)]
        storm: usize,
        /// Length of each phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// `GET /api/v1/events` over many events: the newest page (the baseline), a filtered page and
    /// free-text queries. The events are written straight into the server's database first.
    Events {
        /// The server's database, to seed.
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Length of each phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// `POST /api/v1/users` (the baseline) against `POST /api/v1/invitations`, which writes the
    /// user, a link and its message in one transaction, then how fast the outbox drains into the
    /// server's file outbox.
    Mail {
        /// The server's file outbox (`DATA_DIR/outbox`).
        #[arg(long)]
        outbox_dir: std::path::PathBuf,
        /// Concurrent clients.
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Length of each phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The BeyondInsight dialect against the native API: `GET Users/{id}` by integer id over a
    /// session cookie against `GET /api/v1/users/{id}` with an API key (the baseline), and
    /// `GET Users` (every user, in the vendor's shape) against paging through `/api/v1/users`.
    Dialect {
        /// Users to make and read.
        #[arg(long, default_value_t = 1000)]
        users: usize,
        /// Concurrent readers.
        #[arg(long, default_value_t = 4)]
        readers: usize,
        /// Length of each phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The MATTR dialect's claims search over many users: a nested value held by one user and
    /// one held by 1 in 140, against a read by id (the baseline). Checks the search is exact first.
    ClaimsSearch {
        /// Users to make (through the dialect's POST users).
        #[arg(long, default_value_t = 100_000)]
        users: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Length of each phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// SLC Hub offset paging over many users: a point read by id (the baseline) against random
    /// pages among the first 100 of 100 users, sorted by user name, each with its total count.
    OffsetPaging {
        /// Users to make (through the native API).
        #[arg(long, default_value_t = 100_000)]
        users: usize,
        /// The server's database, analyzed after seeding (as autovacuum would soon be).
        #[arg(long)]
        database_url: Option<String>,
        /// Length of each phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The Allthenticate user list over many users: the whole list, streamed in one answer,
    /// against a point read by id; and the server's RSS while it streams against before.
    UserList {
        /// Users to make (through the native API); every tenth joins one of ten groups.
        #[arg(long, default_value_t = 100_000)]
        users: usize,
        /// The server's database, analyzed after seeding (as autovacuum would soon be).
        #[arg(long)]
        database_url: Option<String>,
        /// Length of each phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// SCIM over many users: users made through `/Bulk` against `POST /api/v1/users`; a read by
    /// id, a filtered sorted page and pages deep into the list by `startIndex`, against a native
    /// read by id (the baseline) and the first page.
    Scim {
        /// Users to make (through SCIM Bulk, 500 a request).
        #[arg(long, default_value_t = 20_000)]
        users: usize,
        /// The server's database, analyzed after seeding (as autovacuum would soon be).
        #[arg(long)]
        database_url: Option<String>,
        /// Length of each phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Directory users against local ones: sign-in by binding to OpenLDAP against a local
    /// argon2id sign-in (the baseline), and syncing a 1,200-member directory group against
    /// creating 1,200 users through the API.
    Directory {
        /// The env file `scripts/ldap-test-server` wrote.
        #[arg(long)]
        ldap_env: std::path::PathBuf,
        /// Concurrent sign-ins.
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Length of each sign-in phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
}

const PASSWORD: &str = "bench-lantern-quartz-77";

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Latencies and outcomes of one kind of request.
struct Tally {
    latency_us: Histogram<u64>,
    ok: u64,
    busy: u64,
    errors: u64,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            latency_us: Histogram::new_with_bounds(1, 60_000_000, 3).unwrap_or_else(|_| unreachable!()),
            ok: 0,
            busy: 0,
            errors: 0,
        }
    }

    fn record(&mut self, started: Instant, status: Option<u16>) {
        let _ = self.latency_us.record(started.elapsed().as_micros().max(1) as u64);
        match status {
            Some(200..=299) => self.ok += 1,
            Some(503) => self.busy += 1,
            _ => self.errors += 1,
        }
    }

    fn merge(&mut self, other: &Tally) {
        let _ = self.latency_us.add(&other.latency_us);
        self.ok += other.ok;
        self.busy += other.busy;
        self.errors += other.errors;
    }

    fn report(&self, seconds: f64) -> Value {
        let ms = |q: f64| self.latency_us.value_at_quantile(q) as f64 / 1000.0;
        json!({
            "requests": self.latency_us.len(),
            "per_second": (self.latency_us.len() as f64 / seconds).round(),
            "p50_ms": ms(0.5), "p99_ms": ms(0.99), "p999_ms": ms(0.999),
            "ok": self.ok, "busy_503": self.busy, "errors": self.errors,
        })
    }
}

struct Target {
    client: reqwest::Client,
    url: String,
    key: String,
}

impl Target {
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value, Failure> {
        let resp = req.bearer_auth(&self.key).send().await?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(format!("{status}: {body}").into());
        }
        Ok(body)
    }

    /// Makes `n` users with passwords, a few at a time; answers their ids.
    async fn seed(self: &Arc<Self>, n: usize) -> Result<Vec<String>, Failure> {
        let mut tasks = tokio::task::JoinSet::new();
        for worker in 0..4 {
            let t = Arc::clone(self);
            tasks.spawn(async move {
                let mut ids = Vec::new();
                for i in (worker..n).step_by(4) {
                    let user = json!({"user_name": format!("storm-{i}"), "email": format!("storm-{i}@bench.example")});
                    let made = t.send(t.client.post(format!("{}/api/v1/users", t.url)).json(&user)).await?;
                    let id = made["id"].as_str().ok_or("no id")?.to_owned();
                    t.send(
                        t.client
                            .post(format!("{}/api/v1/users/{id}/password", t.url))
                            .json(&json!({"password": PASSWORD})),
                    )
                    .await?;
                    ids.push(id);
                }
                Ok::<_, Failure>(ids)
            });
        }
        let mut ids = Vec::new();
        while let Some(done) = tasks.join_next().await {
            ids.extend(done??);
        }
        Ok(ids)
    }

    /// Reads random users with `readers` tasks until `stop`.
    fn readers(
        self: &Arc<Self>,
        ids: &Arc<Vec<String>>,
        readers: usize,
        stop: &Arc<AtomicBool>,
    ) -> tokio::task::JoinSet<Tally> {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..readers {
            let (t, ids, stop) = (Arc::clone(self), Arc::clone(ids), Arc::clone(stop));
            set.spawn(async move {
                let mut tally = Tally::new();
                while !stop.load(Ordering::Relaxed) {
                    let id = &ids[rand::thread_rng().gen_range(0..ids.len())];
                    let started = Instant::now();
                    let status =
                        status_of(t.client.get(format!("{}/api/v1/users/{id}", t.url)).bearer_auth(&t.key)).await;
                    tally.record(started, status);
                }
                tally
            });
        }
        set
    }
}

/// Sends a request and reads its whole answer; the status, or None when it failed to arrive.
async fn status_of(req: reqwest::RequestBuilder) -> Option<u16> {
    let resp = req.send().await.ok()?;
    let status = resp.status().as_u16();
    resp.bytes().await.ok()?;
    Some(status)
}

async fn gather(mut set: tokio::task::JoinSet<Tally>) -> Result<Tally, Failure> {
    let mut all = Tally::new();
    while let Some(t) = set.join_next().await {
        all.merge(&t?);
    }
    Ok(all)
}

async fn login_storm(
    t: Arc<Target>,
    users: usize,
    readers: usize,
    storm: usize,
    seconds: u64,
) -> Result<Value, Failure> {
    let phase = Duration::from_secs(seconds);
    let ids = Arc::new(t.seed(users).await?);

    let stop = Arc::new(AtomicBool::new(false));
    let idle = t.readers(&ids, readers, &stop);
    tokio::time::sleep(phase).await;
    stop.store(true, Ordering::Relaxed);
    let idle = gather(idle).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..storm {
        let (t, stop) = (Arc::clone(&t), Arc::clone(&stop));
        let name = format!("storm-{}", i % users);
        logins.spawn(async move {
            let mut tally = Tally::new();
            let body = json!({"username": name, "password": PASSWORD});
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let status = status_of(t.client.post(format!("{}/api/v1/auth/login", t.url)).json(&body)).await;
                tally.record(started, status);
            }
            tally
        });
    }
    // Let the storm build up before measuring reads in it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let during = t.readers(&ids, readers, &stop);
    tokio::time::sleep(phase).await;
    stop.store(true, Ordering::Relaxed);
    let during = gather(during).await?;
    let logins = gather(logins).await?;

    let secs = phase.as_secs_f64();
    let p99 = |t: &Tally| t.latency_us.value_at_quantile(0.99) as f64;
    Ok(json!({
        "scenario": "login-storm",
        "users": users, "readers": readers, "concurrent_logins": storm, "seconds_per_phase": seconds,
        "read_idle": idle.report(secs),
        "read_during_storm": during.report(secs),
        "logins": logins.report(secs + 1.0),
        "read_p99_ratio": (p99(&during) / p99(&idle).max(1.0) * 100.0).round() / 100.0,
    }))
}

/// Words the synthetic events' data is made of, so free-text queries have something to find.
const WORDS: &[&str] =
    &["windows", "linux", "macos", "add_device", "device_credential_change", "laptop", "phone", "vpn"];

/// Writes `n` events of the default tenant straight into the database, in large transactions.
async fn seed_events(database_url: &str, n: usize) -> Result<(), Failure> {
    use roster_core::events::{EventData, EventType, Outcome};
    let store =
        roster_store::SqlStore::connect(&roster_store::StoreConfig { url: database_url.into(), max_connections: 2 })
            .await?;
    let tenant = store.tenant_by_name("default").await?.ok_or("no default tenant")?;
    let op = roster_core::Caller::operator(tenant.id);
    let types =
        [EventType::UserChange, EventType::GroupChange, EventType::UserAuthentication, EventType::CredentialChange];
    let start = roster_core::events::now_millis() - n as i64;
    let mut rng = rand::thread_rng();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        let w = |k: usize| WORDS[(i / k + k) % WORDS.len()];
        let data = EventData::Refusal {
            request: format!("POST /api/v1/users/{}", i % 50_000),
            status: 400,
            code: format!("{} {}", w(1), w(3)),
            message: format!("user-{} on {} {}", rng.gen_range(0..50_000), w(7), w(11)),
        };
        let mut e = op.event(types[i % types.len()], data);
        e.outcome = if i % 10 == 0 { Outcome::Failure } else { Outcome::Success };
        e.actor.display_name = format!("Person {}", i % 5000);
        e.recorded = start + i as i64;
        e.occurred = e.recorded;
        batch.push(e);
        if batch.len() == 10_000 {
            store.record_events(&batch).await?;
            batch.clear();
        }
    }
    store.record_events(&batch).await?;
    // As autovacuum would soon after such a load; planning on stale statistics measures nothing.
    store.analyze().await?;
    Ok(())
}

/// Reads of random users by id (`GET /api/v1/users/{id}`), the baseline several scenarios measure against.
fn read_by_id(t: &Target, ids: &Arc<Vec<String>>) -> MakeRequest {
    let (key, base, ids) = (t.key.clone(), t.url.clone(), Arc::clone(ids));
    Arc::new(move |c, i| c.get(format!("{base}/api/v1/users/{}", ids[i])).bearer_auth(&key))
}

/// A Markdown table of named phases: requests, per second, p50, p99 and errors.
fn phase_table(rows: &[(&str, &Value)]) -> String {
    let mut out =
        String::from("| request | requests | per second | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|\n");
    for (name, v) in rows {
        out.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} |\n",
            v["requests"], v["per_second"], v["p50_ms"], v["p99_ms"], v["errors"]
        ));
    }
    out
}

/// Refreshes the planner's statistics after seeding, when the database is given: a server that
/// loaded many rows a moment ago plans on stale ones until autovacuum catches up (or never, where
/// it is off), which measures the lag, not the queries.
async fn analyze(database_url: Option<&str>) -> Result<(), Failure> {
    let Some(url) = database_url else { return Ok(()) };
    let store =
        roster_store::SqlStore::connect(&roster_store::StoreConfig { url: url.into(), max_connections: 1 }).await?;
    Ok(store.analyze().await?)
}

/// Sends one query repeatedly for a phase; its latencies.
async fn query_phase(t: &Target, query: &str, phase: Duration) -> Tally {
    let mut tally = Tally::new();
    let end = Instant::now() + phase;
    while Instant::now() < end {
        let started = Instant::now();
        let status = status_of(t.client.get(format!("{}/api/v1/events?{query}", t.url)).bearer_auth(&t.key)).await;
        tally.record(started, status);
    }
    tally
}

async fn events(t: Arc<Target>, database_url: &str, n: usize, seconds: u64) -> Result<Value, Failure> {
    let seeding = Instant::now();
    seed_events(database_url, n).await?;
    let seeded_in = seeding.elapsed().as_secs_f64();
    let phase = Duration::from_secs(seconds);
    let queries = [
        ("newest", "page_size=100"),
        ("filtered", "page_size=100&event_type=USER_AUTHENTICATION&outcome=FAILURE&include_not_attested=true"),
        ("free_text", "page_size=100&include_not_attested=true&q=windows%20-linux"),
        ("free_text_or", "page_size=100&include_not_attested=true&q=add_device%20OR%20device_credential_change%20-vpn"),
    ];
    let mut out = json!({"scenario": "events", "events": n, "seconds_per_phase": seconds, "seed_seconds": (seeded_in * 10.0).round() / 10.0});
    let mut baseline = 1.0;
    for (name, q) in queries {
        let tally = query_phase(&t, q, phase).await;
        let p99 = tally.latency_us.value_at_quantile(0.99) as f64;
        if name == "newest" {
            baseline = p99.max(1.0);
        }
        let mut r = tally.report(phase.as_secs_f64());
        r["query"] = q.into();
        r["p99_ratio"] = json!((p99 / baseline * 100.0).round() / 100.0);
        out[name] = r;
    }
    Ok(out)
}

/// Posts bodies made by `body(n)` to `path` from `clients` tasks for a phase.
async fn post_phase(
    t: &Arc<Target>,
    path: &'static str,
    clients: usize,
    phase: Duration,
    body: fn(usize) -> Value,
) -> Result<Tally, Failure> {
    let mut set = tokio::task::JoinSet::new();
    for c in 0..clients {
        let t = Arc::clone(t);
        set.spawn(async move {
            let mut tally = Tally::new();
            let end = Instant::now() + phase;
            let mut i = c;
            while Instant::now() < end {
                let started = Instant::now();
                let req = t.client.post(format!("{}{path}", t.url)).bearer_auth(&t.key).json(&body(i));
                tally.record(started, status_of(req).await);
                i += clients;
            }
            tally
        });
    }
    gather(set).await
}

/// Reads `path(i)` for random i with `readers` tasks for a phase, each request made by `auth`.
async fn read_phase(
    t: &Arc<Target>,
    readers: usize,
    phase: Duration,
    path: Arc<dyn Fn(usize) -> String + Send + Sync>,
    n: usize,
    auth: Arc<dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder + Send + Sync>,
) -> Result<Tally, Failure> {
    let url = t.url.clone();
    request_phase(t, readers, phase, n, Arc::new(move |c, i| auth(c.get(format!("{url}{}", path(i)))))).await
}

/// Makes the i-th request of a phase.
type MakeRequest = Arc<dyn Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync>;

/// Sends `make(i)` for random i below `n` with `clients` tasks for a phase.
async fn request_phase(
    t: &Arc<Target>,
    clients: usize,
    phase: Duration,
    n: usize,
    make: MakeRequest,
) -> Result<Tally, Failure> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (t, make) = (Arc::clone(t), Arc::clone(&make));
        set.spawn(async move {
            let mut tally = Tally::new();
            let end = Instant::now() + phase;
            while Instant::now() < end {
                let i = rand::thread_rng().gen_range(0..n);
                let started = Instant::now();
                tally.record(started, status_of(make(&t.client, i)).await);
            }
            tally
        });
    }
    gather(set).await
}

/// Makes `n` users by `POST path` with `body(i)`, eight requests at a time; answers their ids
/// in the order of `i`.
async fn make_users(
    t: &Arc<Target>,
    n: usize,
    path: &'static str,
    body: fn(usize) -> Value,
) -> Result<Vec<String>, Failure> {
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let t = Arc::clone(t);
        tasks.spawn(async move {
            let mut made = Vec::new();
            for i in (worker..n).step_by(8) {
                let user = t.send(t.client.post(format!("{}{path}", t.url)).json(&body(i))).await?;
                made.push((i, user["id"].as_str().ok_or("no id")?.to_owned()));
            }
            Ok::<_, Failure>(made)
        });
    }
    let mut ids = vec![String::new(); n];
    while let Some(done) = tasks.join_next().await {
        for (i, id) in done?? {
            ids[i] = id;
        }
    }
    Ok(ids)
}

/// The claims a bench user gets: nested, with values shared by known fractions of the users.
fn bench_claims(i: usize) -> Value {
    json!({
        "name": format!("user-{i}"),
        "employee": {"number": i, "department": format!("d{}", i % 50), "level": i % 7, "site": {"city": format!("c{}", i % 20)}},
    })
}

/// MATTR claims search over many users: a point read by id (the baseline) against a search for
/// one nested value held by one user, and one held by 1 in 140 users (a page of 100).
async fn claims_search(t: Arc<Target>, users: usize, clients: usize, seconds: u64) -> Result<Value, Failure> {
    const USERS: &str = "/compat/mattr/core/v1/users";
    let seeded = Instant::now();
    let ids = make_users(&t, users, USERS, |i| json!({"claims": bench_claims(i)})).await?;
    let seed_seconds = seeded.elapsed().as_secs_f64();
    // Exactness: a nested search returns exactly the users whose claims hold the value.
    let wanted: std::collections::BTreeSet<String> =
        (0..users).filter(|i| i % 20 == 7 && i % 7 == 3).map(|i| ids[i].clone()).collect();
    let mut found = std::collections::BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({"claims": {"employee": {"site": {"city": "c7"}, "level": 3}}, "limit": 1000});
        if let Some(c) = &cursor {
            body["cursor"] = json!(c);
        }
        let page = t.send(t.client.post(format!("{}{USERS}/search", t.url)).json(&body)).await?;
        for u in page["data"].as_array().ok_or("no data")? {
            found.insert(u["id"].as_str().ok_or("no id")?.to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let exact = found == wanted;
    if !exact {
        return Err(format!("the search found {} users, {} hold the value", found.len(), wanted.len()).into());
    }
    let phase = Duration::from_secs(seconds);
    let key = t.key.clone();
    let ids = Arc::new(ids);
    let url = t.url.clone();
    let search = |criteria: fn(usize) -> Value| {
        let (key, url) = (key.clone(), url.clone());
        let make: MakeRequest =
            Arc::new(move |c, i| c.post(format!("{url}{USERS}/search")).bearer_auth(&key).json(&criteria(i)));
        make
    };
    let secs = phase.as_secs_f64();
    let p99 = |t: &Tally| t.latency_us.value_at_quantile(0.99) as f64;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    // Latency alone (one client), then under load (`clients` at once).
    let mut runs = Vec::new();
    for c in [1, clients] {
        let read = {
            let (key, ids, url) = (key.clone(), Arc::clone(&ids), url.clone());
            let make: MakeRequest = Arc::new(move |cl, i| cl.get(format!("{url}{USERS}/{}", ids[i])).bearer_auth(&key));
            request_phase(&t, c, phase, users, make).await?
        };
        let one =
            request_phase(&t, c, phase, users, search(|i| json!({"claims": {"employee": {"number": i}}}))).await?;
        let many = request_phase(
            &t,
            c,
            phase,
            140,
            search(|i| json!({"claims": {"employee": {"site": {"city": format!("c{}", i % 20)}, "level": i % 7}}, "limit": 100})),
        )
        .await?;
        runs.push(json!({
            "clients": c, "read_by_id": read.report(secs), "search_one_match": one.report(secs),
            "search_1_in_140": many.report(secs),
            "one_match_p99_ratio": round(p99(&one) / p99(&read).max(1.0)),
            "many_p99_ratio": round(p99(&many) / p99(&read).max(1.0)),
        }));
    }
    Ok(json!({
        "scenario": "claims-search", "users": users, "seconds_per_phase": seconds,
        "seed_seconds": round(seed_seconds), "exact": exact, "nested_matches": wanted.len(), "runs": runs,
    }))
}

/// SLC Hub `page[offset]` paging: one client reads users by id (the baseline), then random pages
/// of 100 among the first 100 pages (offsets 0 to 9,900, sorted by user name, with totalCount),
/// then the first page alone.
async fn offset_paging(
    t: Arc<Target>,
    users: usize,
    database_url: Option<&str>,
    seconds: u64,
) -> Result<Value, Failure> {
    let seeded = Instant::now();
    let ids = make_users(
        &t,
        users,
        "/api/v1/users",
        |i| json!({"user_name": format!("user{i:07}"), "display_name": format!("User {i}")}),
    )
    .await?;
    analyze(database_url).await?;
    let seed_seconds = seeded.elapsed().as_secs_f64();
    // The pages are right: the last of the first 100 pages starts where the sort says, and the
    // count is the total.
    let pages = (users / 100).clamp(1, 100);
    let last = (pages - 1) * 100;
    let url = format!("{}/compat/slc-hub/users?sort=userName&page[limit]=100&page[offset]={last}", t.url);
    let page = t.send(t.client.get(url)).await?;
    let first = page["data"][0]["userName"].as_str().unwrap_or_default().to_owned();
    if page["totalCount"].as_u64() != Some(users as u64) || first != format!("user{last:07}") {
        return Err(format!("page {pages} starts at {first} of {} users", page["totalCount"]).into());
    }
    let phase = Duration::from_secs(seconds);
    let (key, base) = (t.key.clone(), t.url.clone());
    let ids = Arc::new(ids);
    let read = read_by_id(&t, &ids);
    let pages: MakeRequest = {
        let (key, base) = (key.clone(), base.clone());
        Arc::new(move |c, i| {
            c.get(format!("{base}/compat/slc-hub/users?sort=userName&page[limit]=100&page[offset]={}", i * 100))
                .bearer_auth(&key)
        })
    };
    let first_page: MakeRequest = Arc::new(move |c, _| {
        c.get(format!("{base}/compat/slc-hub/users?sort=userName&page[limit]=100&page[offset]=0")).bearer_auth(&key)
    });
    let by_id = request_phase(&t, 1, phase, users, read).await?;
    let random = request_phase(&t, 1, phase, (users / 100).clamp(1, 100), pages).await?;
    let first = request_phase(&t, 1, phase, 1, first_page).await?;
    let secs = phase.as_secs_f64();
    let p99 = |t: &Tally| t.latency_us.value_at_quantile(0.99) as f64;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Ok(json!({
        "scenario": "offset-paging", "users": users, "seconds_per_phase": seconds, "seed_seconds": round(seed_seconds),
        "read_by_id": by_id.report(secs), "first_100_pages": random.report(secs), "first_page": first.report(secs),
        "pages_p99_ratio": round(p99(&random) / p99(&by_id).max(1.0)),
        "pages_over_first_p99_ratio": round(p99(&random) / p99(&first).max(1.0)),
    }))
}

/// SCIM: seeding through Bulk against native creation, then reads, filtered pages and deep
/// `startIndex` pages, one client at a time.
async fn scim(t: Arc<Target>, users: usize, database_url: Option<&str>, seconds: u64) -> Result<Value, Failure> {
    const BATCH: usize = 500;
    let phase = Duration::from_secs(seconds);
    let secs = phase.as_secs_f64();
    let native_create =
        post_phase(&t, "/api/v1/users", 1, phase, |i| json!({"user_name": format!("native{i:07}")})).await?;
    let seeded = Instant::now();
    for start in (0..users).step_by(BATCH) {
        let ops: Vec<Value> = (start..(start + BATCH).min(users))
            .map(|i| json!({"method": "POST", "bulkId": format!("u{i}"), "path": "/Users",
                            "data": {"userName": format!("user{i:06}"), "name": {"givenName": format!("G{i}")}, "title": "bench"}}))
            .collect();
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops});
        let answer = t.send(t.client.post(format!("{}/scim/v2/Bulk", t.url)).json(&body)).await?;
        let failed = answer["Operations"].as_array().map_or(0, |o| o.iter().filter(|o| o["status"] != "201").count());
        if failed > 0 {
            return Err(format!("{failed} bulk creations failed: {answer}").into());
        }
    }
    let bulk_seconds = seeded.elapsed().as_secs_f64();
    analyze(database_url).await?;
    // Exactness: a prefix held by exactly 100 users finds them, in order, with the total.
    let probe = format!("{}/scim/v2/Users?filter=userName%20sw%20%22user0012%22&sortBy=userName&count=100", t.url);
    let page = t.send(t.client.get(probe)).await?;
    let first = page["Resources"][0]["userName"].as_str().unwrap_or_default().to_owned();
    if page["totalResults"] != 100 || first != "user001200" {
        return Err(format!("the filtered page starts at {first} of {}", page["totalResults"]).into());
    }
    let ids: Vec<String> = {
        let mut out = Vec::new();
        let mut start = 1;
        while out.len() < 1000 {
            let url = format!(
                "{}/scim/v2/Users?filter=title%20eq%20%22bench%22&startIndex={start}&count=1000&attributes=id",
                t.url
            );
            let page = t.send(t.client.get(url)).await?;
            let got = page["Resources"].as_array().map(Vec::len).unwrap_or(0);
            out.extend(
                page["Resources"].as_array().into_iter().flatten().filter_map(|r| r["id"].as_str().map(str::to_owned)),
            );
            if got == 0 {
                break;
            }
            start += got;
        }
        out
    };
    let ids = Arc::new(ids);
    let (key, base) = (t.key.clone(), t.url.clone());
    let scim_read: MakeRequest = {
        let (key, base, ids) = (key.clone(), base.clone(), Arc::clone(&ids));
        Arc::new(move |c, i| c.get(format!("{base}/scim/v2/Users/{}", ids[i])).bearer_auth(&key))
    };
    let filtered: MakeRequest = {
        let (key, base) = (key.clone(), base.clone());
        Arc::new(move |c, i| {
            c.get(format!("{base}/scim/v2/Users?filter=userName%20sw%20%22user{:04}%22&sortBy=userName&count=100", i))
                .bearer_auth(&key)
        })
    };
    let pages = users / 100;
    let deep: MakeRequest = {
        let (key, base) = (key.clone(), base.clone());
        Arc::new(move |c, i| {
            c.get(format!("{base}/scim/v2/Users?sortBy=userName&count=100&startIndex={}", i * 100 + 1))
                .bearer_auth(&key)
        })
    };
    let first_page: MakeRequest = Arc::new(move |c, _| {
        c.get(format!("{base}/scim/v2/Users?sortBy=userName&count=100&startIndex=1")).bearer_auth(&key)
    });
    let native = request_phase(&t, 1, phase, ids.len(), read_by_id(&t, &ids)).await?;
    let read = request_phase(&t, 1, phase, ids.len(), scim_read).await?;
    let filter = request_phase(&t, 1, phase, users / 100, filtered).await?;
    let first = request_phase(&t, 1, phase, 1, first_page).await?;
    let random = request_phase(&t, 1, phase, pages, deep).await?;
    let p99 = |t: &Tally| t.latency_us.value_at_quantile(0.99) as f64;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let native_rate = native_create.ok as f64 / secs;
    Ok(json!({
        "scenario": "scim", "users": users, "seconds_per_phase": seconds,
        "bulk_seconds": round(bulk_seconds), "bulk_users_per_second": round(users as f64 / bulk_seconds),
        "native_create": native_create.report(secs),
        "bulk_over_native_create_rate": round(users as f64 / bulk_seconds / native_rate.max(1.0)),
        "native_read_by_id": native.report(secs), "scim_read_by_id": read.report(secs),
        "filtered_page": filter.report(secs), "first_page": first.report(secs), "random_page": random.report(secs),
        "read_p99_ratio": round(p99(&read) / p99(&native).max(1.0)),
        "filtered_p99_ratio": round(p99(&filter) / p99(&native).max(1.0)),
        "random_over_first_page_p99": round(p99(&random) / p99(&first).max(1.0)),
    }))
}

fn scim_markdown(r: &Value) -> String {
    let table = phase_table(&[
        ("POST /api/v1/users (one client)", &r["native_create"]),
        ("GET /api/v1/users/{id} (baseline)", &r["native_read_by_id"]),
        ("GET /scim/v2/Users/{id}", &r["scim_read_by_id"]),
        ("filter=userName sw, sorted, 100", &r["filtered_page"]),
        ("first page of 100 by userName", &r["first_page"]),
        ("random startIndex page of 100", &r["random_page"]),
    ]);
    format!(
        "scim, {} users made through /Bulk in {} s ({} users/s, {} x native one-by-one creation); {} s per phase\n\n{table}\nSCIM read p99 / native read p99: {}; filtered page p99 / native read p99: {}; random page p99 / first page p99: {}\n",
        r["users"], r["bulk_seconds"], r["bulk_users_per_second"], r["bulk_over_native_create_rate"], r["seconds_per_phase"],
        r["read_p99_ratio"], r["filtered_p99_ratio"], r["random_over_first_page_p99"]
    )
}

async fn user_list(
    t: Arc<Target>,
    users: usize,
    database_url: Option<&str>,
    seconds: u64,
    pid: Option<u32>,
) -> Result<Value, Failure> {
    let seeded = Instant::now();
    let ids = make_users(&t, users, "/api/v1/users", |i| {
        json!({"user_name": format!("listed{i:07}"), "email": format!("listed{i}@example.com"),
               "given_name": format!("Given{i}"), "family_name": "Family"})
    })
    .await?;
    for g in 0..10 {
        let group = t
            .send(t.client.post(format!("{}/api/v1/groups", t.url)).json(&json!({"name": format!("group{g}")})))
            .await?;
        let gid = group["id"].as_str().ok_or("no group id")?.to_owned();
        for id in ids.iter().skip(g).step_by(100) {
            let member = json!({"kind": "user", "id": id});
            t.send(t.client.post(format!("{}/api/v1/groups/{gid}/members", t.url)).json(&member)).await?;
        }
    }
    analyze(database_url).await?;
    let seed_seconds = seeded.elapsed().as_secs_f64();
    // The list is right: by number, each user once, every one made here in it (scenarios that
    // ran before on this server made users too).
    let url = format!("{}/compat/allthenticate/multipleusers", t.url);
    let bytes = t.client.get(&url).bearer_auth(&t.key).send().await?.error_for_status()?.bytes().await?;
    let list: Vec<Value> = serde_json::from_slice(&bytes)?;
    let numbered = list.windows(2).all(|w| w[0]["user_id"].as_u64() < w[1]["user_id"].as_u64());
    let ours = list.iter().filter(|u| u["username"].as_str().is_some_and(|n| n.starts_with("listed"))).count();
    if ours != users || !numbered {
        return Err(format!("the list holds {ours} of the {users} users made, by number: {numbered}").into());
    }
    let phase = Duration::from_secs(seconds);
    let (key, base) = (t.key.clone(), t.url.clone());
    let ids = Arc::new(ids);
    let read = read_by_id(&t, &ids);
    let whole: MakeRequest =
        Arc::new(move |c, _| c.get(format!("{base}/compat/allthenticate/multipleusers")).bearer_auth(&key));
    let by_id = request_phase(&t, 1, phase, users, read).await?;
    // The server's peak RSS while it streams lists, sampled every 20 ms, against just before.
    let before = pid.and_then(rss_mib);
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (Arc::clone(&peak), Arc::clone(&sampling));
        tokio::spawn(async move {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(mib) = pid.and_then(rss_mib) {
                    peak.fetch_max((mib * 10.0) as u64, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let lists = request_phase(&t, 1, phase, 1, whole).await?;
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.await?;
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 10.0;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let list_mib = bytes.len() as f64 / (1024.0 * 1024.0);
    let secs = phase.as_secs_f64();
    Ok(json!({
        "scenario": "user-list", "users": users, "listed": list.len(), "seconds_per_phase": seconds, "seed_seconds": round(seed_seconds),
        "read_by_id": by_id.report(secs), "whole_list": lists.report(secs),
        "list_mib": round(list_mib), "rss_before_mib": before, "rss_peak_mib": peak,
        "rss_growth_over_list_size": before.map(|b| round((peak - b) / list_mib)),
        "users_per_second_listed": round(list.len() as f64 * lists.ok as f64 / secs),
    }))
}

fn user_list_markdown(r: &Value) -> String {
    let table = phase_table(&[
        ("GET /api/v1/users/{id} (baseline)", &r["read_by_id"]),
        ("GET /compat/allthenticate/multipleusers (every user)", &r["whole_list"]),
    ]);
    format!(
        "user-list, {} users made, {} listed ({} s per phase, seeded in {} s)\n\n{table}\nlist {} MiB; {} users listed per second; server RSS {} MiB before, {} MiB at most while streaming: growth / list size {}\n",
        r["users"], r["listed"], r["seconds_per_phase"], r["seed_seconds"],
        r["list_mib"], r["users_per_second_listed"], r["rss_before_mib"], r["rss_peak_mib"], r["rss_growth_over_list_size"]
    )
}

fn offset_paging_markdown(r: &Value) -> String {
    let table = phase_table(&[
        ("GET /api/v1/users/{id} (baseline)", &r["read_by_id"]),
        ("first 100 pages, random", &r["first_100_pages"]),
        ("first page", &r["first_page"]),
    ]);
    format!(
        "offset-paging, {} users ({} s per phase, seeded in {} s)\n\n{table}\nrandom page p99 / read p99: {}; / first page p99: {}\n",
        r["users"], r["seconds_per_phase"], r["seed_seconds"], r["pages_p99_ratio"], r["pages_over_first_p99_ratio"]
    )
}

fn claims_search_markdown(r: &Value) -> String {
    let row = |name: &str, c: &Value, v: &Value| {
        format!(
            "| {name} | {c} | {} | {} | {} | {} | {} | {} |\n",
            v["requests"], v["per_second"], v["p50_ms"], v["p99_ms"], v["p999_ms"], v["errors"]
        )
    };
    let mut out = format!(
        "{} users with nested claims (seeded through the API in {} s); the nested search returned exactly the {} holders: {}\n\n",
        r["users"], r["seed_seconds"], r["nested_matches"], r["exact"]
    );
    out.push_str("| request | clients | requests | per second | p50 ms | p99 ms | p99.9 ms | errors |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for run in r["runs"].as_array().into_iter().flatten() {
        let c = &run["clients"];
        out.push_str(&row("GET .../users/{id} (baseline)", c, &run["read_by_id"]));
        out.push_str(&row("POST .../users/search, one holder", c, &run["search_one_match"]));
        out.push_str(&row("POST .../users/search, 1 in 140 (page of 100)", c, &run["search_1_in_140"]));
    }
    out.push('\n');
    for run in r["runs"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "p99 against the baseline, {} client(s): one holder {}x, 1 in 140 {}x\n",
            run["clients"], run["one_match_p99_ratio"], run["many_p99_ratio"]
        ));
    }
    out
}

async fn dialect(t: Arc<Target>, users: usize, readers: usize, seconds: u64) -> Result<Value, Failure> {
    const BT: &str = "/compat/beyondtrust/BeyondTrust/api/public/v3";
    let mut ids = Vec::with_capacity(users);
    let mut numbers = Vec::with_capacity(users);
    for i in 0..users {
        let user =
            json!({"user_name": format!("bt-{i}"), "email": format!("bt-{i}@bench.example"), "given_name": "Bench"});
        let made = t.send(t.client.post(format!("{}/api/v1/users", t.url)).json(&user)).await?;
        ids.push(made["id"].as_str().ok_or("no id")?.to_owned());
        numbers.push(made["number"].as_i64().ok_or("no number")?);
    }
    // The bootstrap key may impersonate: it runs as the first user, made a super-admin.
    t.send(t.client.put(format!("{}/api/v1/users/{}/roles/super-admin", t.url, ids[0]))).await?;
    let resp = t
        .client
        .post(format!("{}{BT}/Auth/SignAppin", t.url))
        .header("authorization", format!("PS-Auth key={}; runas=bt-0;", t.key))
        .send()
        .await?;
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("SignAppin set no cookie")?
        .to_owned();
    let phase = Duration::from_secs(seconds);
    let key = t.key.clone();
    let ids = Arc::new(ids);
    let native = read_phase(
        &t,
        readers,
        phase,
        Arc::new(move |i| format!("/api/v1/users/{}", ids[i])),
        users,
        Arc::new(move |r| r.bearer_auth(&key)),
    )
    .await?;
    let numbers = Arc::new(numbers);
    let c = cookie.clone();
    let vendor = read_phase(
        &t,
        readers,
        phase,
        Arc::new(move |i| format!("{BT}/Users/{}", numbers[i])),
        users,
        Arc::new(move |r| r.header("cookie", c.clone())),
    )
    .await?;
    // Every user: the dialect answers them all at once; the native API pages by 1,000.
    let started = Instant::now();
    let all = t.client.get(format!("{}{BT}/Users", t.url)).header("cookie", &cookie).send().await?.bytes().await?;
    let dialect_all = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut cursor: Option<String> = None;
    loop {
        let mut req = t.client.get(format!("{}/api/v1/users", t.url)).query(&[("limit", "1000")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c.as_str())]);
        }
        let page = t.send(req).await?;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let native_all = started.elapsed().as_secs_f64();
    let secs = phase.as_secs_f64();
    let p50 = |t: &Tally| t.latency_us.value_at_quantile(0.5) as f64;
    let p99 = |t: &Tally| t.latency_us.value_at_quantile(0.99) as f64;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Ok(json!({
        "scenario": "dialect", "users": users, "readers": readers, "seconds_per_phase": seconds,
        "native_read": native.report(secs), "dialect_read": vendor.report(secs),
        "read_p50_ratio": round(p50(&vendor) / p50(&native).max(1.0)),
        "read_p99_ratio": round(p99(&vendor) / p99(&native).max(1.0)),
        "all_users_dialect_seconds": round(dialect_all), "all_users_native_seconds": round(native_all),
        "all_users_ratio": round(dialect_all / native_all.max(1e-9)), "all_users_bytes": all.len(),
    }))
}

fn dialect_markdown(r: &Value) -> String {
    let row = |name: &str, v: &Value| {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {} |\n",
            v["requests"], v["per_second"], v["p50_ms"], v["p99_ms"], v["p999_ms"], v["errors"]
        )
    };
    let mut out = String::from("| read | requests | per second | p50 ms | p99 ms | p99.9 ms | errors |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&row("GET /api/v1/users/{id}, API key (baseline)", &r["native_read"]));
    out.push_str(&row("GET .../v3/Users/{id}, session cookie", &r["dialect_read"]));
    out.push_str(&format!(
        "\nDialect read p50 / native p50: **{}x** (p99 {}x). Every user of {}: `GET Users` {} s against paging \
         `/api/v1/users` by 1,000 {} s (**{}x**). {} readers, server RSS {} MiB.\n",
        r["read_p50_ratio"],
        r["read_p99_ratio"],
        r["users"],
        r["all_users_dialect_seconds"],
        r["all_users_native_seconds"],
        r["all_users_ratio"],
        r["readers"],
        r["server_rss_mib"]
    ));
    out
}

/// Signs in with the given (user name, password) pairs, round robin, from `clients` tasks.
async fn login_phase(
    t: &Arc<Target>,
    creds: Arc<Vec<(String, String)>>,
    clients: usize,
    phase: Duration,
) -> Result<Tally, Failure> {
    let mut set = tokio::task::JoinSet::new();
    for c in 0..clients {
        let (t, creds) = (Arc::clone(t), Arc::clone(&creds));
        set.spawn(async move {
            let mut tally = Tally::new();
            let end = Instant::now() + phase;
            let mut i = c;
            while Instant::now() < end {
                let (user, password) = &creds[i % creds.len()];
                let started = Instant::now();
                let body = json!({"username": user, "password": password});
                tally.record(
                    started,
                    status_of(t.client.post(format!("{}/api/v1/auth/login", t.url)).json(&body)).await,
                );
                i += clients;
            }
            tally
        });
    }
    gather(set).await
}

async fn directory(t: Arc<Target>, ldap_env: &std::path::Path, clients: usize, seconds: u64) -> Result<Value, Failure> {
    let env: std::collections::HashMap<String, String> = std::fs::read_to_string(ldap_env)?
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let get = |k: &str| env.get(k).cloned().ok_or_else(|| format!("{} has no {k}", ldap_env.display()));
    let url = get("LDAP_URL")?;
    let (host, port) = url.trim_start_matches("ldap://").rsplit_once(':').ok_or("LDAP_URL has no port")?;
    let base = get("LDAP_BASE")?;
    let settings = json!({
        "name": "bench", "kind": "ldap", "host": host, "port": port.parse::<u16>()?, "tls": "starttls",
        "ca_certificate": std::fs::read_to_string(get("LDAP_CA")?)?, "base_dn": base,
        "bind_dn": get("LDAP_BIND_DN")?, "bind_password": get("LDAP_BIND_PW")?, "sync_interval_seconds": 0,
    });
    let conn = t.send(t.client.post(format!("{}/api/v1/directories", t.url)).json(&settings)).await?;
    let conn = conn["id"].as_str().ok_or("no connection id")?.to_owned();
    let phase = Duration::from_secs(seconds);

    let locals: Vec<(String, String)> =
        t.seed(20).await?.iter().enumerate().map(|(i, _)| (format!("storm-{i}"), PASSWORD.to_owned())).collect();
    let local = login_phase(&t, Arc::new(locals), clients, phase).await?;
    let mut directory_users = Vec::new();
    for name in ["ada", "grace", "linus"] {
        let path = format!("{}/api/v1/directories/{conn}/users", t.url);
        t.send(t.client.post(path).json(&json!({"account": name}))).await?;
        directory_users.push((name.to_owned(), get("LDAP_USER_PW")?));
    }
    let bound = login_phase(&t, Arc::new(directory_users), clients, phase).await?;

    let started = Instant::now();
    for i in 0..1200 {
        let user = json!({"user_name": format!("plain-{i}"), "email": format!("plain-{i}@bench.example")});
        t.send(t.client.post(format!("{}/api/v1/users", t.url)).json(&user)).await?;
    }
    let create_1200 = started.elapsed().as_secs_f64();
    let group = t.send(t.client.post(format!("{}/api/v1/groups", t.url)).json(&json!({"name": "bulk"}))).await?;
    let gid = group["id"].as_str().ok_or("no group id")?.to_owned();
    let link = json!({"connection_id": conn, "dn": format!("cn=everyone-bulk,ou=groups,{base}")});
    let started = Instant::now();
    let linked = t.send(t.client.put(format!("{}/api/v1/groups/{gid}/directory-source", t.url)).json(&link)).await?;
    let first_sync = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let again = t.send(t.client.post(format!("{}/api/v1/groups/{gid}/sync", t.url))).await?;
    let unchanged_sync = started.elapsed().as_secs_f64();
    let secs = phase.as_secs_f64();
    let p50 = |t: &Tally| t.latency_us.value_at_quantile(0.5) as f64;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Ok(json!({
        "scenario": "directory", "clients": clients, "seconds_per_phase": seconds,
        "local_login": local.report(secs),
        "directory_login": bound.report(secs),
        "directory_login_p50_ratio": round(p50(&bound) / p50(&local).max(1.0)),
        "create_1200_users_seconds": round(create_1200),
        "first_sync_seconds": round(first_sync), "first_sync": linked["sync"],
        "first_sync_ratio": round(first_sync / create_1200.max(1e-9)),
        "unchanged_sync_seconds": round(unchanged_sync), "unchanged_sync": again,
    }))
}

fn directory_markdown(r: &Value) -> String {
    let row = |name: &str, v: &Value| {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {} |\n",
            v["requests"], v["per_second"], v["p50_ms"], v["p99_ms"], v["p999_ms"], v["errors"]
        )
    };
    let mut out = String::from("| sign-in | requests | per second | p50 ms | p99 ms | p99.9 ms | errors |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&row("local password, argon2id (baseline)", &r["local_login"]));
    out.push_str(&row("directory user, search + bind on OpenLDAP (StartTLS)", &r["directory_login"]));
    out.push_str(&format!(
        "\nDirectory sign-in p50 / local p50: **{}x**. Linking a group to a 1,200-member directory group (creating \
         1,200 users and adding them, one transaction): {} s, **{}x** the {} s of creating 1,200 users one \
         POST at a time; a second sync with nothing to change: {} s. {} clients, server RSS {} MiB.\n",
        r["directory_login_p50_ratio"],
        r["first_sync_seconds"],
        r["first_sync_ratio"],
        r["create_1200_users_seconds"],
        r["unchanged_sync_seconds"],
        r["clients"],
        r["server_rss_mib"]
    ));
    out
}

fn count_eml(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "eml")).count())
        .unwrap_or(0)
}

async fn mail(t: Arc<Target>, outbox: &std::path::Path, clients: usize, seconds: u64) -> Result<Value, Failure> {
    let phase = Duration::from_secs(seconds);
    let plain = post_phase(
        &t,
        "/api/v1/users",
        clients,
        phase,
        |i| json!({"user_name": format!("plain-{i}"), "email": format!("plain-{i}@bench.example")}),
    )
    .await?;
    let started = Instant::now();
    let invites = post_phase(
        &t,
        "/api/v1/invitations",
        clients,
        phase,
        |i| json!({"email": format!("invited-{i}@bench.example"), "given_name": "Bench"}),
    )
    .await?;
    let sent = invites.ok as usize;
    let invited_for = started.elapsed();
    // The sender works while invitations arrive; what is left is drained after.
    let deadline = Instant::now() + Duration::from_secs(300);
    while count_eml(outbox) < sent && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained_in = started.elapsed();
    let delivered = count_eml(outbox);
    let secs = phase.as_secs_f64();
    let p99 = |t: &Tally| t.latency_us.value_at_quantile(0.99) as f64;
    let rate = |t: &Tally| t.latency_us.len() as f64 / secs;
    Ok(json!({
        "scenario": "mail", "clients": clients, "seconds_per_phase": seconds,
        "create_user": plain.report(secs),
        "invite": invites.report(secs),
        "invite_p99_ratio": (p99(&invites) / p99(&plain).max(1.0) * 100.0).round() / 100.0,
        "invite_throughput_ratio": (rate(&invites) / rate(&plain).max(1e-9) * 100.0).round() / 100.0,
        "messages": sent, "delivered": delivered,
        "delivered_per_second": (delivered as f64 / drained_in.as_secs_f64()).round(),
        "drain_lag_seconds": ((drained_in.as_secs_f64() - invited_for.as_secs_f64()) * 100.0).round() / 100.0,
    }))
}

fn mail_markdown(r: &Value) -> String {
    let row = |name: &str, v: &Value| {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {} |\n",
            v["requests"], v["per_second"], v["p50_ms"], v["p99_ms"], v["p999_ms"], v["errors"]
        )
    };
    let mut out = String::from("| request | requests | per second | p50 ms | p99 ms | p99.9 ms | errors |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&row("POST /users (baseline)", &r["create_user"]));
    out.push_str(&row("POST /invitations (user + link + message)", &r["invite"]));
    out.push_str(&format!(
        "\nInvitation p99 / create p99: **{}x**; throughput ratio {}. {} of {} messages in the file outbox, \
         {} per second from the first invitation; the outbox was empty {} s after the last one. {} clients, server RSS {} MiB.\n",
        r["invite_p99_ratio"], r["invite_throughput_ratio"], r["delivered"], r["messages"],
        r["delivered_per_second"], r["drain_lag_seconds"], r["clients"], r["server_rss_mib"]
    ));
    out
}

fn events_markdown(r: &Value) -> String {
    let mut out =
        String::from("| query | requests | per second | p50 ms | p99 ms | p99.9 ms | errors | p99 / newest |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for name in ["newest", "filtered", "free_text", "free_text_or"] {
        let v = &r[name];
        out.push_str(&format!(
            "| {name}: `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            v["query"].as_str().unwrap_or_default(),
            v["requests"],
            v["per_second"],
            v["p50_ms"],
            v["p99_ms"],
            v["p999_ms"],
            v["errors"],
            v["p99_ratio"]
        ));
    }
    out.push_str(&format!(
        "\n{} events, seeded in {} s; server RSS {} MiB.\n",
        r["events"], r["seed_seconds"], r["server_rss_mib"]
    ));
    out
}

/// The login-storm result as a Markdown table.
fn markdown(r: &Value) -> String {
    let row = |name: &str, v: &Value| {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |\n",
            v["requests"], v["per_second"], v["p50_ms"], v["p99_ms"], v["p999_ms"], v["busy_503"], v["errors"]
        )
    };
    let mut out = String::from("| phase | requests | per second | p50 ms | p99 ms | p99.9 ms | 503 | errors |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&row("GET /users/{id}, idle", &r["read_idle"]));
    out.push_str(&row("GET /users/{id}, during the storm", &r["read_during_storm"]));
    out.push_str(&row("POST /auth/login, the storm", &r["logins"]));
    out.push_str(&format!(
        "\nRead p99 during the storm / idle: **{}x** ({} concurrent sign-ins, {} readers, server RSS {} MiB).\n",
        r["read_p99_ratio"], r["concurrent_logins"], r["readers"], r["server_rss_mib"]
    ));
    out
}

/// The resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some((kib / 1024.0 * 10.0).round() / 10.0)
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let cli = Cli::parse();
    let client = reqwest::Client::builder().pool_max_idle_per_host(512).timeout(Duration::from_secs(60)).build()?;
    let target = Arc::new(Target { client, url: cli.url.trim_end_matches('/').to_owned(), key: cli.key });
    let mut result = match cli.scenario {
        Scenario::Generate { users, password_every, file, ids } => {
            use roster_core::password::PasswordHasher as _;
            let hasher = roster_crypto::Argon2Hasher::new(roster_crypto::HashConfig::default())?;
            let hash = hasher.hash(PASSWORD).await?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&file)?);
            let mut id_out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&ids)?);
            generate::write(users, password_every, &hash, &mut out, &mut id_out)?;
            return Ok(());
        }
        Scenario::Core {
            ids,
            connections,
            page_connections,
            max_requests,
            server_cores,
            deep_page,
            measured,
            seconds,
        } => {
            let setup =
                scale::Setup { ids, seconds, connections, page_connections, max_requests, server_cores, deep_page };
            let measured = measured.map(|m| serde_json::from_str(&m)).transpose()?.unwrap_or(Value::Null);
            scale::run(&target, setup, measured).await?
        }
        Scenario::LoginStorm { users, readers, storm, seconds } => {
            login_storm(target, users, readers, storm, seconds).await?
        }
        Scenario::Events { database_url, events: n, seconds } => events(target, &database_url, n, seconds).await?,
        Scenario::Mail { outbox_dir, clients, seconds } => mail(target, &outbox_dir, clients, seconds).await?,
        Scenario::Directory { ldap_env, clients, seconds } => directory(target, &ldap_env, clients, seconds).await?,
        Scenario::Dialect { users, readers, seconds } => dialect(target, users, readers, seconds).await?,
        Scenario::ClaimsSearch { users, clients, seconds } => claims_search(target, users, clients, seconds).await?,
        Scenario::OffsetPaging { users, database_url, seconds } => {
            offset_paging(target, users, database_url.as_deref(), seconds).await?
        }
        Scenario::Scim { users, database_url, seconds } => {
            scim(target, users, database_url.as_deref(), seconds).await?
        }
        Scenario::UserList { users, database_url, seconds } => {
            user_list(target, users, database_url.as_deref(), seconds, cli.server_pid).await?
        }
    };
    if let Some(pid) = cli.server_pid {
        result["server_rss_mib"] = json!(rss_mib(pid));
    }
    let text = serde_json::to_string_pretty(&result)?;
    println!("{text}");
    if let Some(path) = cli.out {
        std::fs::write(&path, text + "\n")?;
        let table = match result["scenario"].as_str() {
            Some("events") => events_markdown(&result),
            Some("mail") => mail_markdown(&result),
            Some("directory") => directory_markdown(&result),
            Some("dialect") => dialect_markdown(&result),
            Some("claims-search") => claims_search_markdown(&result),
            Some("offset-paging") => offset_paging_markdown(&result),
            Some("user-list") => user_list_markdown(&result),
            Some("scim") => scim_markdown(&result),
            Some("core") => scale::markdown(&result),
            _ => markdown(&result),
        };
        std::fs::write(path.with_extension("md"), table)?;
    }
    Ok(())
}
