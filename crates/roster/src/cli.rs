//! The command line: `roster serve | migrate | healthcheck | openapi | tenant | user | group | apikey |
//! signing-key | events | directory | import`.

use crate::config::{Config, LogFormat};
use crate::Error;
use clap::{Args, Parser, Subcommand};
use roster_core::apikey::KeyFormat;
use roster_core::directory::ListRequest;
use roster_core::model::{GroupSpec, MemberRef, PrincipalKind, UserSpec};
use roster_core::page::{self, Sort};
use roster_core::schema::Resource;
use roster_core::{filter, Caller, Directory};
use roster_http::native::wire;
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(name = "roster", version, about = "Roster: a self-hosted user directory and identity server")]
pub struct Cli {
    /// A TOML configuration file (also ROSTER_CONFIG).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// The database: postgres://... or sqlite://PATH (also ROSTER_DATABASE_URL).
    #[arg(long, global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory of the embedded SQLite database (also ROSTER_DATA_DIR).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (also ROSTER_LISTEN).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Ask a running server whether it is ready; exits 0 when it is.
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Print the OpenAPI document of the native API.
    Openapi,
    /// Tenants.
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Users of a tenant.
    #[command(subcommand)]
    User(UserCmd),
    /// Groups of a tenant.
    #[command(subcommand)]
    Group(GroupCmd),
    /// API keys of a tenant.
    #[command(subcommand)]
    Apikey(ApikeyCmd),
    /// The keys that sign access tokens (shared by every tenant and every process).
    #[command(subcommand)]
    SigningKey(SigningKeyCmd),
    /// The secret key file that seals stored secrets (bind passwords, shared secrets, signing
    /// keys, queued mail): rotating it while servers run.
    #[command(subcommand)]
    SecretKey(SecretKeyCmd),
    /// The audit trail of a tenant, as NDJSON.
    #[command(subcommand)]
    Events(EventsCmd),
    /// LDAP and Active Directory connections of a tenant, and what comes from them.
    #[command(subcommand)]
    Directory(DirectoryCmd),
    /// Import users and groups from an NDJSON or CSV file: every record is checked first, then
    /// they are written in transactions of 10,000 users. Passwords come as argon2id PHC hashes.
    Import {
        #[command(flatten)]
        t: TenantArg,
        /// The file (read twice, so not standard input).
        file: PathBuf,
        /// The file's format (by default, `.csv` files are CSV and others NDJSON).
        #[arg(long, value_enum)]
        format: Option<crate::import::Format>,
        /// Check the file and say what it would write, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Users per transaction (smaller batches keep other writers of a busy SQLite server
        /// waiting less; larger ones import faster).
        #[arg(long, default_value_t = roster_core::import::BATCH)]
        batch: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCmd {
    /// Add a connection from a JSON file of its settings (as `POST /api/v1/directories` takes).
    Create {
        #[command(flatten)]
        t: TenantArg,
        /// The settings file.
        settings: PathBuf,
        /// A file holding the bind password, instead of `bind_password` in the settings.
        #[arg(long)]
        bind_password_file: Option<PathBuf>,
    },
    List {
        #[command(flatten)]
        t: TenantArg,
    },
    /// Bind as the service account and search for accounts.
    Test {
        #[command(flatten)]
        t: TenantArg,
        id: Uuid,
    },
    Delete {
        #[command(flatten)]
        t: TenantArg,
        id: Uuid,
    },
    /// Create a user from a directory account (`name`, `DOMAIN\name`, `name@realm` or a DN).
    AddUser {
        #[command(flatten)]
        t: TenantArg,
        id: Uuid,
        account: String,
    },
    /// Make a group follow a directory group, and synchronise it.
    Link {
        #[command(flatten)]
        t: TenantArg,
        group: Uuid,
        #[arg(long)]
        connection: Uuid,
        /// The directory group's distinguished name.
        #[arg(long)]
        dn: String,
    },
    /// Synchronise a linked group's members now.
    Sync {
        #[command(flatten)]
        t: TenantArg,
        group: Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventsCmd {
    /// One page of events, newest first unless --ordering asc.
    List {
        #[command(flatten)]
        t: TenantArg,
        #[command(flatten)]
        f: EventFilterArgs,
        #[arg(long, default_value = "desc", value_parser = ["asc", "desc"])]
        ordering: String,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Follow events as they are recorded (from --cursor, or from now), until interrupted.
    Tail {
        #[command(flatten)]
        t: TenantArg,
        #[command(flatten)]
        f: EventFilterArgs,
        #[arg(long)]
        cursor: Option<String>,
    },
}

/// The filters of `/api/v1/events`; each may repeat.
#[derive(Debug, Args)]
pub struct EventFilterArgs {
    /// Recorded at or after (epoch milliseconds).
    #[arg(long)]
    start_time: Option<i64>,
    /// Recorded before (epoch milliseconds).
    #[arg(long)]
    end_time: Option<i64>,
    #[arg(long = "type")]
    event_type: Vec<String>,
    #[arg(long)]
    actor: Vec<String>,
    #[arg(long)]
    outcome: Vec<String>,
    #[arg(long)]
    service: Vec<String>,
    #[arg(long)]
    correlation_id: Vec<String>,
    /// Free text: `a OR b -c "a phrase"`.
    #[arg(long)]
    q: Option<String>,
    #[arg(long)]
    include_not_attested: bool,
}

impl EventFilterArgs {
    fn filter(self) -> Result<roster_core::events::EventFilter, Error> {
        let text = match self.q.as_deref() {
            Some(q) => roster_core::events::TextQuery::parse(q).map_err(|m| Error::Other(format!("--q: {m}")))?,
            None => None,
        };
        roster_core::audit::check_filter(roster_core::events::EventFilter {
            start: self.start_time,
            end: self.end_time,
            types: self.event_type,
            actors: self.actor,
            outcomes: self.outcome,
            services: self.service,
            correlation_ids: self.correlation_id,
            text,
            include_not_attested: self.include_not_attested,
        })
        .map_err(Error::from)
    }
}

#[derive(Debug, Subcommand)]
pub enum SigningKeyCmd {
    /// Make a new signing key; the others retire (they still verify the tokens they signed).
    Rotate,
    /// Every key, newest first (public halves only).
    List,
    /// Remove keys retired more than this many hours ago; tokens they signed stop working.
    Prune {
        #[arg(long, default_value_t = 24)]
        retired_hours: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretKeyCmd {
    /// Put a new sealing key first in the key file and re-seal every stored secret under it;
    /// the earlier keys still open. Running servers that read the same file seal with the new
    /// key within ten seconds. Copy the file to every server that does not read this one.
    Rotate,
    /// Re-seal what is still under an earlier key, then drop the earlier keys from the file;
    /// refused while anything stays sealed under one of them.
    Prune,
}

#[derive(Debug, Subcommand)]
pub enum TenantCmd {
    Create { name: String },
    List,
}

#[derive(Debug, Args)]
pub struct TenantArg {
    #[arg(long, default_value = "default")]
    pub tenant: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    Create {
        #[command(flatten)]
        t: TenantArg,
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        given_name: Option<String>,
        #[arg(long)]
        family_name: Option<String>,
    },
    Get {
        #[command(flatten)]
        t: TenantArg,
        id: Uuid,
    },
    List {
        #[command(flatten)]
        t: TenantArg,
        #[arg(long)]
        filter: Option<String>,
        #[arg(long)]
        sort: Option<String>,
        #[arg(long)]
        limit: Option<i64>,
        #[arg(long)]
        cursor: Option<String>,
    },
    Delete {
        #[command(flatten)]
        t: TenantArg,
        id: Uuid,
        /// Remove for good instead of soft-deleting.
        #[arg(long)]
        permanent: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCmd {
    Create {
        #[command(flatten)]
        t: TenantArg,
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    List {
        #[command(flatten)]
        t: TenantArg,
        #[arg(long)]
        filter: Option<String>,
        #[arg(long)]
        limit: Option<i64>,
        #[arg(long)]
        cursor: Option<String>,
    },
    AddMember {
        #[command(flatten)]
        t: TenantArg,
        group: Uuid,
        #[arg(long, conflicts_with = "member_group", required_unless_present = "member_group")]
        user: Option<Uuid>,
        #[arg(long = "group")]
        member_group: Option<Uuid>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCmd {
    /// Make a key; it is printed once.
    Create {
        #[command(flatten)]
        t: TenantArg,
        #[arg(long, default_value = "cli")]
        name: String,
        /// regular, reader, user-admin, admin or super-admin.
        #[arg(long, default_value = "admin")]
        role: String,
        /// `standard` (50 characters) or `long` (135; also `ps-auth`, for BeyondInsight clients).
        #[arg(long, default_value = "standard", value_parser = ["standard", "long", "ps-auth"])]
        format: String,
    },
    List {
        #[command(flatten)]
        t: TenantArg,
    },
    Revoke {
        #[command(flatten)]
        t: TenantArg,
        id: Uuid,
    },
}

impl Cli {
    /// The configuration, with this invocation's flags as the top layer.
    pub fn config(&self) -> Result<Config, Error> {
        let mut overrides = Vec::new();
        if let Some(u) = &self.database_url {
            overrides.push(("database_url", u.clone()));
        }
        if let Some(d) = &self.data_dir {
            overrides.push(("data_dir", d.display().to_string()));
        }
        if let Command::Serve { listen: Some(l) } = &self.command {
            overrides.push(("listen", l.clone()));
        }
        Ok(Config::load(self.config.as_deref(), &overrides)?)
    }
}

pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.log_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), Error> {
    println!("{}", serde_json::to_string_pretty(v).map_err(|e| Error::Other(e.to_string()))?);
    Ok(())
}

async fn caller(dir: &Directory, tenant: &str) -> Result<Caller, Error> {
    Ok(dir.operator(tenant).await?)
}

fn list_request(
    resource: Resource,
    filter: Option<&str>,
    sort: Option<&str>,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<ListRequest, Error> {
    Ok(ListRequest {
        filter: filter.map(|f| filter::parse(f, resource)).transpose().map_err(roster_core::CoreError::from)?,
        sort: Sort::parse(sort, resource)?,
        limit: page::check_limit(limit)?,
        cursor,
        offset: 0,
        count: false,
        deleted: Default::default(),
    })
}

fn print_page<T, W: serde::Serialize + From<T>>(page: page::Page<T>) -> Result<(), Error> {
    let items: Vec<W> = page.items.into_iter().map(W::from).collect();
    print_json(&wire::List { items, next_cursor: page.next_cursor, total: page.total })
}

/// Runs one command to completion.
pub async fn run(cli: Cli) -> Result<(), Error> {
    let config = cli.config()?;
    init_logging(&config);
    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Migrate => {
            crate::open(&config).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Healthcheck { url } => {
            let resp = reqwest::get(format!("{}/readyz", url.trim_end_matches('/')))
                .await
                .map_err(|e| Error::Other(format!("not reachable: {e}")))?;
            if resp.status().is_success() {
                println!("ready");
                Ok(())
            } else {
                Err(Error::Other(format!("not ready: {}", resp.status())))
            }
        }
        Command::Openapi => {
            println!("{}", roster_http::openapi().to_pretty_json().map_err(|e| Error::Other(e.to_string()))?);
            Ok(())
        }
        Command::Tenant(cmd) => {
            let dir = crate::open(&config).await?;
            match cmd {
                TenantCmd::Create { name } => {
                    let t = dir.create_tenant(&name).await?;
                    print_json(&serde_json::json!({"id": t.id, "name": t.name, "created": t.created}))
                }
                TenantCmd::List => {
                    let all: Vec<_> = dir
                        .tenants()
                        .await?
                        .into_iter()
                        .map(|t| serde_json::json!({"id": t.id, "name": t.name, "created": t.created}))
                        .collect();
                    print_json(&all)
                }
            }
        }
        Command::User(cmd) => {
            let dir = crate::open(&config).await?;
            match cmd {
                UserCmd::Create { t, user_name, email, display_name, given_name, family_name } => {
                    let c = caller(&dir, &t.tenant).await?;
                    let spec = UserSpec {
                        user_name,
                        email,
                        display_name,
                        given_name,
                        family_name,
                        claims: roster_core::model::empty_object(),
                        ..Default::default()
                    };
                    print_json(&wire::User::from(dir.create_user(&c, spec).await?))
                }
                UserCmd::Get { t, id } => {
                    print_json(&wire::User::from(dir.user(&caller(&dir, &t.tenant).await?, id).await?))
                }
                UserCmd::List { t, filter, sort, limit, cursor } => {
                    let c = caller(&dir, &t.tenant).await?;
                    let page = dir
                        .list_users(
                            &c,
                            list_request(Resource::User, filter.as_deref(), sort.as_deref(), limit, cursor)?,
                        )
                        .await?;
                    print_page::<_, wire::User>(page)
                }
                UserCmd::Delete { t, id, permanent } => {
                    let c = caller(&dir, &t.tenant).await?;
                    if permanent {
                        dir.delete_user(&c, id, None).await?;
                    } else {
                        dir.soft_delete_user(&c, id, None).await?;
                    }
                    eprintln!("deleted");
                    Ok(())
                }
            }
        }
        Command::Group(cmd) => {
            let dir = crate::open(&config).await?;
            match cmd {
                GroupCmd::Create { t, name, description } => {
                    let c = caller(&dir, &t.tenant).await?;
                    print_json(&wire::Group::from(
                        dir.create_group(&c, GroupSpec { name, description, ..Default::default() }).await?,
                    ))
                }
                GroupCmd::List { t, filter, limit, cursor } => {
                    let c = caller(&dir, &t.tenant).await?;
                    let page = dir
                        .list_groups(&c, list_request(Resource::Group, filter.as_deref(), None, limit, cursor)?)
                        .await?;
                    print_page::<_, wire::Group>(page)
                }
                GroupCmd::AddMember { t, group, user, member_group } => {
                    let c = caller(&dir, &t.tenant).await?;
                    let member = match (user, member_group) {
                        (Some(id), _) => MemberRef { kind: PrincipalKind::User, id },
                        (None, Some(id)) => MemberRef { kind: PrincipalKind::Group, id },
                        (None, None) => return Err(Error::Other("name a --user or a --group".into())),
                    };
                    let added = dir.add_member(&c, group, member).await?;
                    eprintln!("{}", if added { "added" } else { "already a member" });
                    Ok(())
                }
            }
        }
        Command::Import { t, file, format, dry_run, batch } => {
            let dir = crate::open(&config).await?;
            let c = caller(&dir, &t.tenant).await?;
            let started = std::time::Instant::now();
            let format = format.unwrap_or_else(|| crate::import::Format::of(&file));
            let summary = crate::import::run(dir.import(&c)?.batch_size(batch)?, &file, format, dry_run).await?;
            let mut out = serde_json::to_value(summary).map_err(|e| Error::Other(e.to_string()))?;
            out["dry_run"] = dry_run.into();
            out["seconds"] = ((started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0).into();
            print_json(&out)
        }
        Command::SigningKey(cmd) => signing_keys(&config, cmd).await,
        Command::SecretKey(cmd) => secret_keys(&config, cmd).await,
        Command::Events(cmd) => events(&config, cmd).await,
        Command::Directory(cmd) => directories(&config, cmd).await,
        Command::Apikey(cmd) => {
            let dir = crate::open(&config).await?;
            match cmd {
                ApikeyCmd::Create { t, name, role, format } => {
                    let format = if format == "standard" { KeyFormat::Standard } else { KeyFormat::Long };
                    let c = caller(&dir, &t.tenant).await?;
                    let (key, secret) = dir.create_api_key_as(&c, &name, &role, None, format).await?;
                    eprintln!("API key {} created for tenant {}; it is shown this once:", key.id, t.tenant);
                    println!("{secret}");
                    Ok(())
                }
                ApikeyCmd::List { t } => {
                    let keys: Vec<_> = dir
                        .api_keys(&caller(&dir, &t.tenant).await?)
                        .await?
                        .into_iter()
                        .map(|k| serde_json::json!({"id": k.id, "name": k.name, "role": k.role, "created": k.created, "expires": k.expires, "last_used": k.last_used, "revoked": k.revoked}))
                        .collect();
                    print_json(&keys)
                }
                ApikeyCmd::Revoke { t, id } => {
                    dir.revoke_api_key(&caller(&dir, &t.tenant).await?, id).await?;
                    eprintln!("revoked");
                    Ok(())
                }
            }
        }
    }
}

async fn events(config: &Config, cmd: EventsCmd) -> Result<(), Error> {
    use roster_core::events::Ordering;
    let dir = crate::open(config).await?;
    let line = |e: roster_core::events::Event| serde_json::to_string(&wire::Event::from(e)).unwrap_or_default();
    match cmd {
        EventsCmd::List { t, f, ordering, limit, cursor } => {
            let c = caller(&dir, &t.tenant).await?;
            let ordering = if ordering == "asc" { Ordering::Asc } else { Ordering::Desc };
            let page = dir.events(&c, f.filter()?, ordering, Some(limit), cursor.as_deref()).await?;
            for e in page.events {
                println!("{}", line(e));
            }
            if let Some(next) = page.next_cursor {
                eprintln!("next cursor: {next}");
            }
            Ok(())
        }
        EventsCmd::Tail { t, f, cursor } => {
            let c = caller(&dir, &t.tenant).await?;
            let filter = f.filter()?;
            let mut at = dir.stream_start(&c, cursor.as_deref()).await?;
            loop {
                let batch = dir.stream_events(&c, &filter, at).await?;
                match batch.last() {
                    Some(last) => at = (last.txid, last.seq),
                    None => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
                }
                for e in batch {
                    println!("{}", wire::Event::stream_line(e));
                }
            }
        }
    }
}

async fn directories(config: &Config, cmd: DirectoryCmd) -> Result<(), Error> {
    let dir = crate::open(config).await?;
    match cmd {
        DirectoryCmd::Create { t, settings, bind_password_file } => {
            let read =
                |p: &PathBuf| std::fs::read_to_string(p).map_err(|e| Error::Other(format!("{}: {e}", p.display())));
            let mut spec: roster_core::connectors::ConnectionSpec = serde_json::from_str(&read(&settings)?)
                .map_err(|e| Error::Other(format!("{}: {e}", settings.display())))?;
            if let Some(f) = bind_password_file {
                let pw = read(&f)?.trim_end_matches(['\r', '\n']).to_owned();
                spec.bind_password = Some(roster_core::connectors::WriteOnly(pw));
            }
            let c = dir.create_connection(&caller(&dir, &t.tenant).await?, spec).await?;
            print_json(&wire::Connection::from(c))
        }
        DirectoryCmd::List { t } => {
            let all = dir.connections(&caller(&dir, &t.tenant).await?).await?;
            print_json(&all.into_iter().map(wire::Connection::from).collect::<Vec<_>>())
        }
        DirectoryCmd::Test { t, id } => print_json(&dir.test_connection(&caller(&dir, &t.tenant).await?, id).await?),
        DirectoryCmd::Delete { t, id } => {
            dir.delete_connection(&caller(&dir, &t.tenant).await?, id).await?;
            eprintln!("deleted");
            Ok(())
        }
        DirectoryCmd::AddUser { t, id, account } => {
            let user = dir.create_directory_user(&caller(&dir, &t.tenant).await?, id, &account).await?;
            print_json(&wire::User::from(user))
        }
        DirectoryCmd::Link { t, group, connection, dn } => {
            let (_, report) = dir.link_group(&caller(&dir, &t.tenant).await?, group, Some((connection, dn))).await?;
            print_json(&report)
        }
        DirectoryCmd::Sync { t, group } => print_json(&dir.sync_group(&caller(&dir, &t.tenant).await?, group).await?),
    }
}

async fn secret_keys(config: &Config, cmd: SecretKeyCmd) -> Result<(), Error> {
    let file = crate::secret_key_file(config);
    match cmd {
        SecretKeyCmd::Rotate => {
            let ring = roster_crypto::SecretKey::rotate_file(&file).map_err(Error::Other)?;
            let report = crate::open(config).await?.reseal_all().await?;
            eprintln!(
                "new sealing key {}; earlier keys {} still open; `roster secret-key prune` drops them once servers have moved over",
                ring.id(),
                ring.previous_ids().join(", ")
            );
            print_json(&report)
        }
        SecretKeyCmd::Prune => {
            let dir = crate::open(config).await?;
            let report = dir.reseal_all().await?;
            if report.left > 0 {
                return Err(Error::Other(format!(
                    "{} sealed values are not under the sealing key yet (see the log); nothing was pruned",
                    report.left
                )));
            }
            let dropped = roster_crypto::SecretKey::prune_file(&file).map_err(Error::Other)?;
            eprintln!("dropped {dropped} earlier keys from {}", file.display());
            print_json(&report)
        }
    }
}

async fn signing_keys(config: &Config, cmd: SigningKeyCmd) -> Result<(), Error> {
    let dir = crate::open(config).await?;
    let store = dir.store().as_ref();
    match cmd {
        SigningKeyCmd::Rotate => {
            let kid = roster_crypto::rotate_signing_key(store, &crate::secret_key(config)?).await?;
            eprintln!("new signing key {kid}; running servers sign with it within five minutes");
            Ok(())
        }
        SigningKeyCmd::List => {
            let keys: Vec<_> = store
                .signing_keys()
                .await?
                .into_iter()
                .map(|k| serde_json::json!({"kid": k.kid, "algorithm": k.algorithm, "created": k.created, "retired": k.retired}))
                .collect();
            print_json(&keys)
        }
        SigningKeyCmd::Prune { retired_hours } => {
            let before = roster_core::model::now() - chrono::Duration::hours(i64::from(retired_hours));
            let n = store.delete_signing_keys(before).await?;
            eprintln!("removed {n} retired signing keys");
            Ok(())
        }
    }
}

async fn serve(config: Config) -> Result<(), Error> {
    let running = crate::start(&config).await?;
    if let Some(key) = &running.bootstrap_key {
        // Shown once, on the terminal, not in the log stream.
        eprintln!("\nCreated tenant 'default' with an admin API key. Keep it; it is not shown again:\n\n    {key}\n");
    }
    tracing::info!(addr = %running.addr, database = running.directory.store().backend(), "roster is listening");
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
