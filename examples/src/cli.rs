//! The command line of the `cachet` binary (clap 4, derive).
//!
//! Global options and `serve` options can also be given as environment variables (shown in
//! `--help`); arguments of the other subcommands cannot, so a stray `CACHET_EMAIL` never
//! changes what `cachet user create` does.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The default database: a SQLite file in the working directory, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://cachet.db";

/// Cachet, the status page: the standalone server and its administration commands.
#[derive(Debug, Parser)]
#[command(name = "cachet", version, about, long_about = None)]
pub struct Cli {
    /// Options every subcommand takes, before or after the subcommand's name.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The database: sqlite://FILE (created if missing), postgres://... or mysql://...
    #[arg(
        long,
        global = true,
        env = "CACHET_DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        hide_env_values = true
    )]
    pub database_url: String,
    /// The key file (one `<id> <base64>` line per key). Default: `cachet.key` beside a SQLite
    /// database, created on first use. The key can instead come from CACHET_SECRET_KEY.
    #[arg(
        long,
        global = true,
        env = "CACHET_SECRET_KEY_FILE",
        value_name = "PATH"
    )]
    pub secret_key_file: Option<PathBuf>,
    /// Milliseconds a database call waits for a connection before it fails; a database that
    /// is down or frozen is reported after this long (writes answer 503 with Retry-After,
    /// public pages are served from memory meanwhile).
    #[arg(
        long,
        global = true,
        env = "CACHET_DB_ACQUIRE_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 2000,
        value_parser = clap::value_parser!(u64).range(50..=600_000)
    )]
    pub db_acquire_timeout_ms: u64,
    /// How log lines on standard error look: text (one line per event) or json (one JSON
    /// object per line, for log shippers).
    #[arg(
        long,
        global = true,
        env = "CACHET_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
}

/// The log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// `tracing`'s text lines, every value escaped.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
// Parsed once per process and matched once: the size of the `serve` variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the status page, its API and the dashboard over HTTP.
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the secret key file.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Write everything the database holds to one portable backup archive (sealed values
    /// stay sealed; the key file is not included and must be kept with the archive).
    Export {
        /// The archive to write (created with mode 0600; an existing file is refused).
        #[arg(long, short, value_name = "PATH")]
        output: PathBuf,
    },
    /// Load a backup archive into an empty database of any backend (the --database-url),
    /// after checking its format version and checksum.
    Restore {
        /// The archive to read.
        #[arg(long, short, value_name = "PATH")]
        input: PathBuf,
    },
    /// Bring in another status page's data, ids kept, into an empty database.
    #[command(subcommand)]
    Import(ImportCommand),
}

/// `cachet import ...`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a live Cachet 2.4 database (MySQL/MariaDB, PostgreSQL or SQLite): settings,
    /// components and groups, incidents with updates, templates, maintenance, metrics with
    /// points, subscribers, users with their passwords, 2FA secrets and API keys. Nothing is
    /// sent; the import is one transaction; a rerun changes nothing.
    Cachet {
        /// The Cachet database: sqlite://FILE, postgres://... or mysql://... (read only).
        #[arg(long, value_name = "DATABASE_URL")]
        from: String,
        /// The prefix of Cachet's tables (its DB_PREFIX), if it has one.
        #[arg(long, value_name = "PREFIX", default_value = "")]
        table_prefix: String,
        /// Read the source and print what would be imported (rows per table, rows left out
        /// and why) without opening the target database.
        #[arg(long)]
        dry_run: bool,
    },
}

/// The web framework that serves the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Framework {
    /// axum (hyper).
    Axum,
    /// actix-web.
    Actix,
}

/// `cachet serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "CACHET_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// The web framework.
    #[arg(long, env = "CACHET_FRAMEWORK", value_enum, default_value_t = Framework::Axum)]
    pub framework: Framework,
    /// The URL visitors reach the page at (links, cookies and the CSRF origin follow it).
    /// Default: http:// plus the bound address.
    #[arg(long, env = "CACHET_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seed a realistic sample page when there are no components yet (creates no users).
    #[arg(long, env = "CACHET_DEMO")]
    pub demo: bool,
    /// The SMTP server for notification mail, in lettre's URL form: smtps://USER@HOST (TLS),
    /// smtp://USER@HOST:587?tls=required (STARTTLS), or smtp://localhost:25 (a relay on
    /// loopback). The password goes in CACHET_SMTP_PASSWORD (or the URL). Without it no mail
    /// is sent; the outbox keeps the notifications.
    #[arg(
        long,
        env = "CACHET_SMTP_URL",
        hide_env_values = true,
        value_name = "URL",
        requires = "mail_from"
    )]
    pub smtp_url: Option<SecretArg>,
    /// The From address of notification mail, e.g. "Status <status@example.com>".
    #[arg(
        long,
        env = "CACHET_MAIL_FROM",
        value_name = "MAILBOX",
        requires = "smtp_url"
    )]
    pub mail_from: Option<String>,
    /// Allow plain smtp:// (or ?tls=opportunistic) to a host other than loopback: mail and
    /// password then cross the network unencrypted.
    #[arg(long, env = "CACHET_SMTP_ALLOW_PLAINTEXT", requires = "smtp_url")]
    pub smtp_allow_plaintext: bool,
    /// DKIM-sign mail with this PEM key: RSA (BEGIN RSA PRIVATE KEY) or Ed25519
    /// (BEGIN PRIVATE KEY).
    #[arg(
        long,
        env = "CACHET_DKIM_KEY",
        value_name = "PATH",
        requires_all = ["smtp_url", "dkim_selector"]
    )]
    pub dkim_key: Option<PathBuf>,
    /// The DKIM selector (the DNS record is SELECTOR._domainkey.DOMAIN).
    #[arg(long, env = "CACHET_DKIM_SELECTOR", requires = "dkim_key")]
    pub dkim_selector: Option<String>,
    /// The DKIM signing domain. Default: the domain of --mail-from.
    #[arg(long, env = "CACHET_DKIM_DOMAIN", requires = "dkim_key")]
    pub dkim_domain: Option<String>,
    /// Let webhooks reach loopback, private, link-local and other non-public addresses
    /// (anyone who can configure a webhook can then make the server call into its network).
    #[arg(long, env = "CACHET_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// Let webhooks use plain http:// URLs.
    #[arg(long, env = "CACHET_WEBHOOK_ALLOW_HTTP")]
    pub webhook_allow_http: bool,
    /// A reverse proxy whose `X-Forwarded-For` is believed (repeat for several; an IP
    /// address). Without one the TCP peer is the client, so behind a proxy every visitor
    /// would share the proxy's rate-limit bucket.
    #[arg(
        long = "trusted-proxy",
        value_name = "IP",
        env = "CACHET_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Days the audit log keeps an entry; older entries are deleted every few minutes. 0 keeps
    /// them forever.
    #[arg(
        long,
        env = "CACHET_AUDIT_RETENTION_DAYS",
        value_name = "DAYS",
        default_value_t = 365,
        value_parser = clap::value_parser!(u32).range(0..=36_500)
    )]
    pub audit_retention_days: u32,
    /// Seconds a new connection has to send its first request's complete head (request line
    /// and headers); a slower client (slowloris) is disconnected.
    #[arg(
        long,
        env = "CACHET_HEADER_READ_TIMEOUT",
        value_name = "SECS",
        default_value_t = crate::serve::limits::DEFAULT_HEADER_READ_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub header_read_timeout: u64,
    /// Seconds a kept-alive connection may wait, after a response, for the next request's
    /// complete head before it is closed.
    #[arg(
        long,
        env = "CACHET_KEEP_ALIVE_TIMEOUT",
        value_name = "SECS",
        default_value_t = crate::serve::limits::DEFAULT_KEEP_ALIVE_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub keep_alive_timeout: u64,
    /// Connections one client address (IPv6: one /64) may hold at once; more are closed as
    /// soon as they are accepted. Trusted proxies (--trusted-proxy) are not counted.
    #[arg(
        long,
        env = "CACHET_MAX_CONNECTIONS_PER_ADDRESS",
        value_name = "N",
        default_value_t = crate::serve::limits::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
        value_parser = clap::value_parser!(u32).range(1..=1_000_000)
    )]
    pub max_connections_per_address: u32,
    /// Milliseconds a public read waits for the database's revision before it takes the
    /// database as down and serves the page as last rendered (with an Age header).
    #[arg(
        long,
        env = "CACHET_REVISION_DEADLINE_MS",
        value_name = "MS",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(10..=60_000)
    )]
    pub revision_deadline_ms: u64,
    /// Milliseconds a public read waits in all (revision check and render) before it serves
    /// the page as last rendered, or 503 with Retry-After when none was.
    #[arg(
        long,
        env = "CACHET_RENDER_DEADLINE_MS",
        value_name = "MS",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(10..=600_000)
    )]
    pub render_deadline_ms: u64,
    /// Count the API, subscribe, uncached-render and password-reset rate limits in the
    /// database as well, so several instances on one database share one budget per client
    /// and a restart keeps the counts. Each limited request then costs one database write
    /// (cached public reads never do); when the database is slow or down, each instance's own
    /// limits decide.
    #[arg(long, env = "CACHET_SHARED_RATE_LIMITS")]
    pub shared_rate_limits: bool,
    /// Turn on the Prometheus endpoint: scrapers must send `Authorization: Bearer <token>`
    /// with the token this file holds (one line, at least 32 visible ASCII characters;
    /// keep the file readable by the server's user only). Off without it.
    #[arg(long, env = "CACHET_METRICS_TOKEN_FILE", value_name = "PATH")]
    pub metrics_token_file: Option<PathBuf>,
    /// The path of the Prometheus endpoint (default /prometheus; /metrics/{id} is the
    /// public chart data).
    #[arg(
        long,
        env = "CACHET_METRICS_PATH",
        value_name = "PATH",
        requires = "metrics_token_file"
    )]
    pub metrics_path: Option<String>,
    /// This instance's name among those sharing the database: the owner of the outbox work it
    /// claims. Keep it stable across restarts, so a restarted instance takes up at once what it
    /// held when it stopped. Default: the host name and the bound port.
    #[arg(long, env = "CACHET_INSTANCE_NAME", value_name = "NAME", value_parser = parse_instance_name)]
    pub instance_name: Option<String>,
    /// Publish the public page to this object store after every burst of writes, so a bucket
    /// website or a CDN keeps it up when this server is down: `s3://bucket/prefix` (S3 and
    /// S3-compatible stores; credentials, region and endpoint from the usual `AWS_*`
    /// variables) or `file:///path` (a directory). Off without it.
    #[arg(long, env = "CACHET_MIRROR_URL", value_name = "URL")]
    pub mirror_url: Option<String>,
}

/// An instance name: 1 to 64 visible ASCII characters (it is stored with every claim).
fn parse_instance_name(s: &str) -> Result<String, String> {
    if (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(s.to_owned())
    } else {
        Err("1 to 64 visible ASCII characters, no spaces".to_owned())
    }
}

/// An option value that may hold a secret (the SMTP URL's password): its `Debug` output is
/// redacted so printing the parsed arguments never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretArg(pub String);

impl std::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretArg(<redacted>)")
    }
}

impl std::str::FromStr for SecretArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Everything, including users, tokens and settings.
    Admin,
    /// Content: components, incidents, maintenance, metrics.
    Manager,
    /// Reads what is not public.
    Viewer,
}

impl RoleArg {
    /// The role's name as the core parses it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Viewer => "viewer",
        }
    }
}

/// `cachet user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is the first line of standard input (a hidden prompt on a
    /// terminal). Prints the new user's id.
    Create {
        /// The sign-in address.
        #[arg(long)]
        email: String,
        /// The role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The display name (default: the part of the address before the @).
        #[arg(long)]
        name: Option<String>,
    },
}

/// An API token's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// Reads.
    Read,
    /// Reads and the writes the user's role allows.
    Write,
    /// Also users, tokens and settings (admins).
    Admin,
}

impl ScopeArg {
    /// The scope's name as the core parses it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }
}

/// `cachet token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; prints the token once, alone on one line.
    Create {
        /// The user's sign-in address.
        #[arg(long)]
        email: String,
        /// The scope.
        #[arg(long, value_enum)]
        scope: ScopeArg,
        /// A name to recognise the token by.
        #[arg(long)]
        name: String,
        /// Expire after this many days (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=36500))]
        expires_in_days: Option<u32>,
    },
}

/// `cachet key ...`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Write a new key file with one random key (mode 0600).
    Generate {
        /// Overwrite an existing key file (data sealed with it becomes unreadable).
        #[arg(long)]
        force: bool,
    },
    /// Add a new primary key to the key file; the old keys are kept for reading.
    Rotate,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        for args in [
            &["cachet", "--database-url", "sqlite://x.db", "serve"][..],
            &["cachet", "serve", "--database-url", "sqlite://x.db"][..],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(cli.global.database_url, "sqlite://x.db");
            let Command::Serve(s) = cli.command else {
                panic!("not serve")
            };
            assert_eq!(s.framework, Framework::Axum);
            assert_eq!(s.bind.to_string(), "127.0.0.1:8000");
        }
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(Cli::try_parse_from(["cachet", "serve", "--framework", "rocket"]).is_err());
        assert!(Cli::try_parse_from(["cachet", "serve", "--bind", "nowhere"]).is_err());
        assert!(
            Cli::try_parse_from([
                "cachet", "user", "create", "--email", "a@b.c", "--role", "god"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from([
                "cachet",
                "token",
                "create",
                "--email",
                "a@b.c",
                "--scope",
                "read",
                "--name",
                "n",
                "--expires-in-days",
                "0"
            ])
            .is_err()
        );
    }

    #[test]
    fn connection_limits_default_alike_for_both_frameworks_and_refuse_zero() {
        for framework in ["axum", "actix"] {
            let cli = Cli::try_parse_from(["cachet", "serve", "--framework", framework]).unwrap();
            let Command::Serve(s) = &cli.command else {
                panic!("not serve")
            };
            assert_eq!(
                crate::serve::limits(s),
                crate::serve::limits::ServeLimits::default()
            );
        }
        let cli = Cli::try_parse_from([
            "cachet",
            "serve",
            "--header-read-timeout",
            "3",
            "--keep-alive-timeout",
            "4",
            "--max-connections-per-address",
            "5",
        ])
        .unwrap();
        let Command::Serve(s) = &cli.command else {
            panic!("not serve")
        };
        let limits = crate::serve::limits(s);
        assert_eq!(limits.header_read_timeout.as_secs(), 3);
        assert_eq!(limits.keep_alive_timeout.as_secs(), 4);
        assert_eq!(limits.max_connections_per_address, 5);
        for flag in [
            "--header-read-timeout",
            "--keep-alive-timeout",
            "--max-connections-per-address",
        ] {
            assert!(
                Cli::try_parse_from(["cachet", "serve", flag, "0"]).is_err(),
                "{flag}"
            );
        }
    }

    #[test]
    fn mail_options_parse_and_the_smtp_url_stays_out_of_debug_output() {
        let cli = Cli::try_parse_from([
            "cachet",
            "serve",
            "--smtp-url",
            "smtps://bob:pw-S3cr3t@mail.example.com",
            "--mail-from",
            "status@example.com",
            "--dkim-key",
            "k.pem",
            "--dkim-selector",
            "s1",
            "--webhook-allow-private",
        ])
        .unwrap();
        let Command::Serve(s) = &cli.command else {
            panic!("not serve")
        };
        assert_eq!(
            s.smtp_url.as_ref().unwrap().0,
            "smtps://bob:pw-S3cr3t@mail.example.com"
        );
        assert!(s.webhook_allow_private && !s.webhook_allow_http);
        assert!(!format!("{cli:?}").contains("pw-S3cr3t"));
        // Options that only make sense together.
        for partial in [
            &["cachet", "serve", "--smtp-url", "smtps://h.example"][..],
            &["cachet", "serve", "--mail-from", "a@b.example"][..],
            &["cachet", "serve", "--dkim-key", "k.pem"][..],
            &["cachet", "serve", "--dkim-selector", "s1"][..],
        ] {
            assert!(Cli::try_parse_from(partial).is_err(), "{partial:?}");
        }
    }
}
