//! The `roster` program as a library: configuration, starting the server, and the CLI commands,
//! so tests start the very server the binary runs.

pub mod cli;
pub mod config;
pub mod import;

use config::Config;
use roster_core::Directory;
use roster_crypto::{Argon2Hasher, HashConfig, JwtService, SecretKey};
use roster_ldap::LdapConnector;
use roster_store::{SqlStore, StoreConfig};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("database: {0}")]
    Store(#[from] roster_core::StoreError),
    #[error("{0}")]
    Core(#[from] roster_core::CoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

/// Opens (and migrates) the configured database and wraps it in the directory service.
pub async fn open(config: &Config) -> Result<Directory, Error> {
    let url = config.database_url();
    if url.starts_with("sqlite:") && config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let store = SqlStore::connect(&StoreConfig { url, max_connections: config.max_connections }).await?;
    store.migrate().await?;
    let defaults = HashConfig::default();
    let hasher = Argon2Hasher::new(HashConfig {
        memory_kib: config.argon2_memory_kib,
        iterations: config.argon2_iterations,
        parallelism: config.argon2_parallelism,
        max_concurrent: config.argon2_concurrency.unwrap_or(defaults.max_concurrent),
        ..defaults
    })
    .map_err(Error::Other)?;
    let store: Arc<dyn roster_core::Store> = Arc::new(store);
    let settings = config.token_settings();
    let secret_key = Arc::new(secret_key(config)?);
    let tokens = JwtService::start(store.clone(), secret_key.clone(), settings.clone()).await?;
    Ok(Directory::new(store, Arc::new(hasher), Arc::new(tokens), settings)
        .with_read_events(config.read_events)
        .with_mail(config.mail_settings())
        .with_throttle(config.throttle_settings())
        .with_directories(Arc::new(LdapConnector), secret_key))
}

/// The server's secret key (made on first use), which seals bind passwords, shared secrets and
/// the private halves of signing keys.
pub fn secret_key(config: &Config) -> Result<SecretKey, Error> {
    SecretKey::load_or_create(&secret_key_file(config)).map_err(Error::Other)
}

/// Where the secret key file is.
pub fn secret_key_file(config: &Config) -> std::path::PathBuf {
    config.secret_key_file.clone().unwrap_or_else(|| config.data_dir.join("secret.key"))
}

/// Runs the scheduled syncs of directory-backed groups as they fall due. Every process of a
/// deployment runs one; claims keep them apart.
async fn sync_directories(directory: Directory, poll: std::time::Duration) {
    const BATCH: usize = 10;
    loop {
        match directory.sync_due_groups(BATCH).await {
            Ok(n) if n >= BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "scheduled directory syncs failed"),
        }
        tokio::time::sleep(poll).await;
    }
}

/// Delivers the outbox: checks for due messages every `poll`, and at once again while a round
/// found a full batch. Every process of a deployment runs one; claims keep them apart.
async fn deliver_mail(
    directory: Directory,
    transport: Arc<dyn roster_core::mail::MailTransport>,
    poll: std::time::Duration,
) {
    const BATCH: u32 = 20;
    loop {
        match directory.deliver_due(transport.as_ref(), BATCH).await {
            Ok(d) if d.sent + d.retrying + d.given_up >= BATCH as usize => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "delivering the outbox failed"),
        }
        tokio::time::sleep(poll).await;
    }
}

/// Removes events past the retention age: every hour, in batches with pauses between them so
/// writers (one at a time on SQLite) are never held up for long.
async fn prune_events(directory: Directory, days: u32) {
    const BATCH: u32 = 2000;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let mut total = 0;
        loop {
            match directory.prune_events(days, BATCH).await {
                Ok(n) => {
                    total += n;
                    if n < u64::from(BATCH) {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "pruning old events failed");
                    break;
                }
            }
        }
        if total > 0 {
            tracing::info!(removed = total, days, "pruned events past retention");
        }
        match directory.prune_links().await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "pruned expired links and challenges"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "pruning expired links failed"),
        }
    }
}

/// A server listening and answering.
pub struct Running {
    pub addr: SocketAddr,
    pub directory: Directory,
    /// The admin key printed on first start, when one was generated.
    pub bootstrap_key: Option<String>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), std::io::Error>>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests and waits for the server to end.
    pub async fn stop(self) -> Result<(), Error> {
        let _ = self.shutdown.send(());
        self.task.await.map_err(|e| Error::Other(e.to_string()))??;
        Ok(())
    }
}

/// Opens the database, bootstraps an empty one, binds and starts serving in the background.
pub async fn start(config: &Config) -> Result<Running, Error> {
    // Bind first, so a server on port 0 knows its address before it names itself as issuer.
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let mut config = config.clone();
    config.public_url.get_or_insert_with(|| format!("http://{addr}"));
    let directory = open(&config).await?;
    let bootstrap_key = directory.bootstrap(config.bootstrap_api_key.as_ref().map(|s| s.0.as_str())).await?;
    let app = roster_http::app(directory.clone(), &roster_http::HttpConfig { max_body_bytes: config.max_body_bytes });
    let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
    let pruner = (config.event_retention_days > 0)
        .then(|| tokio::spawn(prune_events(directory.clone(), config.event_retention_days)));
    let transport = config.mail_transport()?;
    let poll = std::time::Duration::from_millis(config.mail_poll_ms.max(10));
    let mailer = tokio::spawn(deliver_mail(directory.clone(), transport, poll));
    let syncs = tokio::spawn(sync_directories(
        directory.clone(),
        std::time::Duration::from_secs(config.directory_sync_poll.max(1)),
    ));
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        if let Some(p) = pruner {
            p.abort();
        }
        mailer.abort();
        syncs.abort();
        served
    });
    Ok(Running { addr, directory, bootstrap_key, shutdown, task })
}
