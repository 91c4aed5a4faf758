//! Configuration: built-in defaults, then a TOML file, then `ROSTER_` environment variables, then flags.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A secret value: never printed, in logs or in Debug output.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// What the `sub` claim of access tokens names.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TokenSubject {
    UserName,
    Id,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Where the embedded SQLite database lives.
    pub data_dir: PathBuf,
    /// `postgres://...` to use PostgreSQL instead of the embedded SQLite (or `sqlite://PATH`).
    pub database_url: Option<Secret>,
    /// Database connections (PostgreSQL) or SQLite readers.
    pub max_connections: u32,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `roster=debug,info`.
    pub log_level: String,
    /// An operator-chosen admin API key for the default tenant (32 to 263 printable characters).
    pub bootstrap_api_key: Option<Secret>,
    /// Argon2id memory per password hash, in KiB.
    pub argon2_memory_kib: u32,
    /// Argon2id passes.
    pub argon2_iterations: u32,
    /// Argon2id lanes.
    pub argon2_parallelism: u32,
    /// Password hashes computed at once (default: the number of cores).
    pub argon2_concurrency: Option<usize>,
    /// The URL clients reach this server at: the issuer of its tokens (default: http://LISTEN).
    pub public_url: Option<String>,
    /// Lifetime of access tokens, in seconds.
    pub access_token_ttl: i64,
    /// Lifetime of a sign-in session without refresh, in seconds.
    pub refresh_token_ttl: i64,
    /// `user_name` (the default) or `id`: what the `sub` claim of access tokens names.
    pub token_subject: TokenSubject,
    /// Events older than this many days are removed in the background; 0 keeps them forever.
    pub event_retention_days: u32,
    /// Whether listing users and groups records START/SUCCESS/FAIL events (one write per listing).
    pub read_events: bool,
    /// The SMTP server mail goes through; without one, messages go to the file outbox.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    /// `starttls` (the default), `tls` (implicit, usually port 465) or `none`.
    pub smtp_tls: SmtpTls,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    /// A PEM file of CA certificates to trust for the SMTP server, besides the built-in roots.
    pub smtp_ca_file: Option<PathBuf>,
    /// Seconds an SMTP conversation may take.
    pub smtp_timeout: u64,
    /// The From address of Roster's messages, e.g. `Roster <roster@example.com>`.
    pub mail_from: String,
    /// Where messages go when no SMTP server is configured (default: DATA_DIR/outbox).
    pub mail_outbox_dir: Option<PathBuf>,
    /// How long links stay valid, in seconds.
    pub invitation_ttl: i64,
    pub device_binding_ttl: i64,
    pub password_reset_ttl: i64,
    /// Messages one user may be sent per hour, and one tenant may send per hour.
    pub mail_per_user_per_hour: u32,
    pub mail_per_tenant_per_hour: u32,
    /// Attempts to deliver a message before giving up, and the first retry delay in seconds
    /// (each later one doubles, up to an hour).
    pub mail_max_attempts: u32,
    pub mail_retry_base: i64,
    /// How often the outbox is checked for due messages, in milliseconds.
    pub mail_poll_ms: u64,
    /// The file of the key that seals secrets kept in the database (directory bind passwords):
    /// 64 hex digits. Made on first start when missing (default: DATA_DIR/secret.key). Every
    /// server sharing a PostgreSQL database needs the same key.
    pub secret_key_file: Option<PathBuf>,
    /// How often linked groups are checked for a due scheduled sync, in seconds.
    pub directory_sync_poll: u64,
    /// Requests per minute one client address may make to the routes anyone may call (sign-in,
    /// token grants, password-reset requests, device challenges, link look-ups), and attempts
    /// per minute for one account there; each is also the burst allowed. 0 turns a limit off.
    pub public_requests_per_minute_per_address: u32,
    pub public_requests_per_minute_per_account: u32,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            max_connections: 16,
            max_body_bytes: 1024 * 1024,
            log_format: LogFormat::Pretty,
            log_level: "info".into(),
            bootstrap_api_key: None,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            argon2_concurrency: None,
            public_url: None,
            access_token_ttl: 900,
            refresh_token_ttl: 30 * 24 * 3600,
            token_subject: TokenSubject::UserName,
            event_retention_days: 365,
            read_events: true,
            smtp_host: None,
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_username: None,
            smtp_password: None,
            smtp_ca_file: None,
            smtp_timeout: 30,
            mail_from: "Roster <roster@localhost>".into(),
            mail_outbox_dir: None,
            invitation_ttl: 7 * 24 * 3600,
            device_binding_ttl: 24 * 3600,
            password_reset_ttl: 3600,
            mail_per_user_per_hour: 5,
            mail_per_tenant_per_hour: 1000,
            mail_max_attempts: 12,
            mail_retry_base: 10,
            mail_poll_ms: 1000,
            secret_key_file: None,
            directory_sync_poll: 60,
            public_requests_per_minute_per_address: 60,
            public_requests_per_minute_per_account: 20,
        }
    }
}

/// The settings' names: the keys `ROSTER_*` variables may set (other `ROSTER_*` variables, such
/// as ROSTER_CONFIG, are not settings and are left alone).
fn setting_names() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Secrets that may also be read from a file named by `ROSTER_<KEY>_FILE`.
const FILE_SECRETS: &[&str] = &["database_url", "bootstrap_api_key", "smtp_password"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads the layers; `file` (or ROSTER_CONFIG) names the TOML file, and `overrides` are the flags given.
    pub fn load(file: Option<&Path>, overrides: &[(&str, String)]) -> Result<Config, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        let file = file.map(Path::to_path_buf).or_else(|| std::env::var_os("ROSTER_CONFIG").map(PathBuf::from));
        if let Some(f) = file {
            if !f.exists() {
                return Err(ConfigError::Invalid(format!("config file {} does not exist", f.display())));
            }
            fig = fig.merge(Toml::file(f));
        }
        let names = setting_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        fig = fig.merge(Env::prefixed("ROSTER_").only(&names));
        for key in FILE_SECRETS {
            let var = format!("ROSTER_{}_FILE", key.to_uppercase());
            if let Some(path) = std::env::var_os(&var) {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| ConfigError::Invalid(format!("{var}: cannot read the file: {e}")))?;
                fig = fig.merge(Serialized::default(key, text.trim_end_matches(['\n', '\r']).to_owned()));
            }
        }
        for (key, value) in overrides {
            fig = fig.merge(Serialized::default(key, value));
        }
        // Figment's messages name the key and its source but never print secret values.
        fig.extract().map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    /// How tokens are issued.
    pub fn token_settings(&self) -> roster_core::token::TokenSettings {
        roster_core::token::TokenSettings {
            issuer: self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", self.listen))
                .trim_end_matches('/')
                .to_owned(),
            audience: "roster".into(),
            access_ttl_seconds: self.access_token_ttl,
            refresh_ttl_seconds: self.refresh_token_ttl,
            subject_is_id: self.token_subject == TokenSubject::Id,
        }
    }

    /// The buckets of the routes anyone may call.
    pub fn throttle_settings(&self) -> roster_core::throttle::ThrottleSettings {
        roster_core::throttle::ThrottleSettings {
            per_address_per_minute: self.public_requests_per_minute_per_address,
            per_account_per_minute: self.public_requests_per_minute_per_account,
        }
    }

    /// How links and messages behave.
    pub fn mail_settings(&self) -> roster_core::mail::MailSettings {
        roster_core::mail::MailSettings {
            invitation_ttl_seconds: self.invitation_ttl,
            device_binding_ttl_seconds: self.device_binding_ttl,
            password_reset_ttl_seconds: self.password_reset_ttl,
            per_user_per_hour: self.mail_per_user_per_hour,
            per_tenant_per_hour: self.mail_per_tenant_per_hour,
            max_attempts: self.mail_max_attempts.max(1),
            retry_base_seconds: self.mail_retry_base.max(1),
            // An attempt's every SMTP step may take the whole timeout.
            lease_seconds: i64::try_from(self.smtp_timeout.saturating_mul(8)).unwrap_or(i64::MAX).max(60),
            ..roster_core::mail::MailSettings::new(&self.token_settings().issuer)
        }
    }

    /// Where messages go: the SMTP server, or the file outbox when none is configured.
    pub fn mail_transport(&self) -> Result<std::sync::Arc<dyn roster_core::mail::MailTransport>, ConfigError> {
        let invalid = ConfigError::Invalid;
        Ok(match &self.smtp_host {
            Some(host) => std::sync::Arc::new(
                roster_mail::Smtp::new(&roster_mail::SmtpConfig {
                    host: host.clone(),
                    port: self.smtp_port,
                    tls: match self.smtp_tls {
                        SmtpTls::None => roster_mail::TlsMode::None,
                        SmtpTls::Starttls => roster_mail::TlsMode::StartTls,
                        SmtpTls::Tls => roster_mail::TlsMode::Tls,
                    },
                    username: self.smtp_username.clone(),
                    password: self.smtp_password.as_ref().map(|s| s.0.clone()),
                    ca_file: self.smtp_ca_file.clone(),
                    from: self.mail_from.clone(),
                    timeout: std::time::Duration::from_secs(self.smtp_timeout.max(1)),
                })
                .map_err(invalid)?,
            ),
            None => {
                let dir = self.mail_outbox_dir.clone().unwrap_or_else(|| self.data_dir.join("outbox"));
                std::sync::Arc::new(roster_mail::FileOutbox::new(dir, &self.mail_from).map_err(invalid)?)
            }
        })
    }

    /// The database URL: the configured one, or a SQLite file under the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(Secret(url)) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("roster.db").display()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return figment::Error
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn layers_apply_in_order_and_unknown_keys_are_refused() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "roster.toml",
                "listen = \"127.0.0.1:9000\"\nlog_level = \"debug\"\nmax_connections = 4\n",
            )?;
            jail.set_env("ROSTER_LOG_LEVEL", "warn");
            jail.set_env("ROSTER_MAX_CONNECTIONS", "6");
            jail.set_env("ROSTER_UNRELATED_TOOL_SETTING", "ignored");
            jail.set_env("ROSTER_ACCESS_TOKEN_TTL", "3");
            jail.set_env("ROSTER_ARGON2_MEMORY_KIB", "1024");
            jail.set_env("ROSTER_PUBLIC_URL", "https://id.example.com/");
            jail.set_env("ROSTER_TOKEN_SUBJECT", "id");
            let c = Config::load(Some(Path::new("roster.toml")), &[("log_level", "error".into())])
                .map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9000, "file over defaults");
            assert_eq!(c.max_connections, 6, "environment over file");
            assert_eq!(c.log_level, "error", "flags over everything");
            // Every setting can come from the environment.
            assert_eq!((c.access_token_ttl, c.argon2_memory_kib), (3, 1024));
            assert_eq!(c.token_settings().issuer, "https://id.example.com");
            assert!(c.token_settings().subject_is_id);
            assert_eq!(c.max_body_bytes, Config::default().max_body_bytes);

            jail.create_file("bad.toml", "listen = \"127.0.0.1:9000\"\nlisten_port = 1\n")?;
            let err = Config::load(Some(Path::new("bad.toml")), &[]).map(|_| ()).unwrap_err().to_string();
            assert!(err.contains("listen_port"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn secrets_come_from_files_and_never_print() {
        Jail::expect_with(|jail| {
            jail.create_file("key.txt", "k-0123456789abcdefghijklmnopqrstuvwxyz\n")?;
            jail.set_env("ROSTER_BOOTSTRAP_API_KEY_FILE", "key.txt");
            jail.set_env("ROSTER_DATABASE_URL", "postgres://roster:hunter2@127.0.0.1/roster");
            let c = Config::load(None, &[]).map_err(|e| e.to_string())?;
            assert_eq!(c.bootstrap_api_key, Some(Secret("k-0123456789abcdefghijklmnopqrstuvwxyz".into())));
            assert!(c.database_url().starts_with("postgres://"));
            let shown = format!("{c:?}");
            assert!(!shown.contains("hunter2") && !shown.contains("k-0123"), "{shown}");
            Ok(())
        });
    }

    #[test]
    fn the_default_database_is_sqlite_under_the_data_dir() {
        let c = Config { data_dir: PathBuf::from("/var/lib/roster"), ..Config::default() };
        assert_eq!(c.database_url(), "sqlite:///var/lib/roster/roster.db");
    }
}
