//! The standalone `cachet` binary as a library, so its commands are testable, plus what the
//! embedding examples share.
//!
//! | module | what |
//! |---|---|
//! | [`cli`] | the command line (clap): global options, `serve`, `user`, `token`, `key`, `export`, `restore`, `import` |
//! | [`keyfile`] | where the secret key comes from, the key file format, generate and rotate |
//! | [`serve`] | serving over axum or actix-web, the setup token, clean shutdown on SIGINT/SIGTERM |
//! | [`logging`] | the log output: escaped text lines or JSON lines (`--log-format`) |
//! | [`demo`] | the realistic sample page `serve --demo` seeds |
//!
//! The binaries are thin: `src/bin/cachet.rs` parses the command line and calls [`main`];
//! `src/bin/embed_axum.rs` and `src/bin/embed_actix.rs` show a host application mounting the
//! status page under `/status`.
//!
//! Standard output carries only what scripts read: a new user's id, a new token, the
//! `setup token: <token>` line, and the import report (rows per table, rows left out). Everything else (logs, hints, errors) goes to standard error,
//! and nothing secret is ever logged.

#![forbid(unsafe_code)]

/// The README's Rust snippets, compiled as doctests of this crate (which depends on every
/// crate they use), so the front door cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeSnippets;

pub mod cli;
pub mod demo;
pub mod keyfile;
pub mod logging;
pub mod serve;

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use cachet_core::model::{Role, TokenScope};
use cachet_core::store::{Store, StoreError};
use cachet_core::validate::{Email, Name, ViolationExt as _};
use cachet_core::{Actor, Cachet, Config};

use crate::cli::{Cli, Command, GlobalArgs, ImportCommand, KeyCommand, TokenCommand, UserCommand};
use crate::keyfile::{KeyError, KeySource};

/// Why a command failed. Every message is fit for the operator's terminal: it names the
/// input, file or rule, and never holds a secret (database passwords are masked).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The secret key could not be found, read or written.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The database could not be opened or migrated.
    #[error("database {url}: {message}")]
    Database {
        /// The URL with any password masked.
        url: String,
        /// What went wrong, with the driver's message.
        message: String,
    },
    /// A cachet operation was refused or failed.
    #[error("{context}: {message}")]
    Cachet {
        /// What was being done.
        context: String,
        /// Why it failed.
        message: String,
    },
    /// Bad input on the command line or standard input.
    #[error("{0}")]
    Invalid(String),
    /// An I/O failure (listening, standard input).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl Error {
    /// A facade error with what was being done.
    #[must_use]
    pub fn cachet(context: impl Into<String>, e: &cachet_core::Error) -> Self {
        Self::Cachet {
            context: context.into(),
            message: describe(e),
        }
    }
}

/// An error and its sources, joined with `: `.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        let s_text = s.to_string();
        if !out.ends_with(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        next = s.source();
    }
    out
}

/// A facade error for the operator: the public message, but with the store's own message for
/// store failures (the operator holds the database; the web layer never shows this).
#[must_use]
pub fn describe(e: &cachet_core::Error) -> String {
    match e {
        cachet_core::Error::Store(s) => format!("database error: {}", chain(s)),
        other => other.to_string(),
    }
}

/// Masks the password of a database URL (`postgres://user:secret@host` becomes
/// `postgres://user:***@host`), for messages and logs.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:***{}",
        &url[..scheme_end + 3],
        &userinfo[..colon],
        &rest[at..]
    )
}

/// An open database: the store and what closes its pool.
#[derive(Debug)]
pub struct Database {
    store: Arc<dyn Store>,
    closer: Closer,
}

#[derive(Debug)]
enum Closer {
    Sqlite(cachet_store::SqliteStore),
    Postgres(cachet_store::PgStore),
    MySql(cachet_store::MySqlStore),
}

impl Database {
    /// Connects to and migrates the database a URL names: `sqlite:`, `postgres:` /
    /// `postgresql:`, `mysql:` / `mariadb:`.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] for an unknown scheme or when connecting or migrating fails.
    pub async fn open(url: &str) -> Result<Self, Error> {
        Self::open_pooled(url, &cachet_store::PoolConfig::default()).await
    }

    /// [`Database::open`] with explicit pool settings (the acquire timeout bounds how long
    /// a call waits for a database that is down).
    ///
    /// # Errors
    ///
    /// As [`Database::open`].
    pub async fn open_pooled(url: &str, pool: &cachet_store::PoolConfig) -> Result<Self, Error> {
        let fail = |e: StoreError| Error::Database {
            url: redact_url(url),
            message: chain(&e),
        };
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let closer = match scheme.as_str() {
            "sqlite" => Closer::Sqlite(
                cachet_store::SqliteStore::connect_pooled(url, pool)
                    .await
                    .map_err(fail)?,
            ),
            "postgres" | "postgresql" => Closer::Postgres(
                cachet_store::PgStore::connect_pooled(url, pool)
                    .await
                    .map_err(fail)?,
            ),
            "mysql" | "mariadb" => {
                let url = if scheme == "mariadb" {
                    format!("mysql{}", url.get("mariadb".len()..).unwrap_or_default())
                } else {
                    url.to_owned()
                };
                Closer::MySql(
                    cachet_store::MySqlStore::connect_pooled(&url, pool)
                        .await
                        .map_err(fail)?,
                )
            }
            _ => {
                return Err(Error::Database {
                    url: redact_url(url),
                    message: format!(
                        "unsupported scheme `{scheme}`: use sqlite://FILE, postgres://... or mysql://..."
                    ),
                });
            }
        };
        let store: Arc<dyn Store> = match &closer {
            Closer::Sqlite(s) => Arc::new(s.clone()),
            Closer::Postgres(s) => Arc::new(s.clone()),
            Closer::MySql(s) => Arc::new(s.clone()),
        };
        Ok(Self { store, closer })
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Closes the connection pools, waiting for connections in use to come back (on SQLite
    /// this also checkpoints the write-ahead log).
    pub async fn close(self) {
        match self.closer {
            Closer::Sqlite(s) => s.close().await,
            Closer::Postgres(s) => s.pool().close().await,
            Closer::MySql(s) => s.pool().close().await,
        }
    }
}

/// Opens the keyring and the database named by the global options, and builds the facade.
/// Returns the facade, the database (to close) and the key source.
///
/// # Errors
///
/// [`Error::Key`], [`Error::Database`], [`Error::Cachet`].
pub async fn open(
    global: &GlobalArgs,
    env_key: Option<String>,
    public_url: &str,
) -> Result<(Cachet, Database), Error> {
    open_with(global, env_key, public_url, |_| {}).await
}

/// [`open`], letting the caller adjust the core's [`Config`] (say, `mail_info` for the
/// dashboard's mail page) before the facade starts.
///
/// # Errors
///
/// As [`open`].
pub async fn open_with(
    global: &GlobalArgs,
    env_key: Option<String>,
    public_url: &str,
    configure: impl FnOnce(&mut Config),
) -> Result<(Cachet, Database), Error> {
    let source = KeySource::resolve(
        global.secret_key_file.as_deref(),
        env_key,
        &global.database_url,
    )?;
    let (keyring, created) = source.load()?;
    if let (true, Some(path)) = (created, source.path()) {
        tracing::info!(
            path = %path.display(),
            "created a new secret key file (owner-only); back it up together with the database"
        );
    }
    if source == KeySource::Ephemeral {
        tracing::warn!("in-memory database: using a throw-away secret key");
    }
    let pool = cachet_store::PoolConfig::default()
        .with_acquire_timeout(Duration::from_millis(global.db_acquire_timeout_ms));
    let db = Database::open_pooled(&global.database_url, &pool).await?;
    let url = cachet_core::validate::HttpUrl::parse(public_url)
        .map_err(|v| Error::Invalid(format!("public URL `{public_url}`: {v}")))?;
    let mut config = Config::new(url);
    configure(&mut config);
    let cachet = Cachet::new(db.store().clone(), keyring, config)
        .map_err(|e| Error::cachet("starting cachet", &e))?;
    Ok((cachet, db))
}

/// Runs a parsed command line. `env_key` is the value of `CACHET_SECRET_KEY`, if set.
///
/// # Errors
///
/// Any [`Error`]; the binary prints it and exits non-zero.
pub async fn run(cli: Cli, env_key: Option<String>) -> Result<(), Error> {
    match cli.command {
        Command::Serve(args) => serve::serve(&cli.global, &args, env_key).await,
        Command::User(UserCommand::Create { email, role, name }) => {
            let id =
                create_user(&cli.global, env_key, &email, role.as_str(), name.as_deref()).await?;
            println!("{id}");
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            email,
            scope,
            name,
            expires_in_days,
        }) => {
            let token = create_token(
                &cli.global,
                env_key,
                &email,
                scope.as_str(),
                &name,
                expires_in_days,
            )
            .await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{token}")
                .and_then(|()| out.flush())
                .map_err(|source| Error::Io {
                    context: "writing the token".to_owned(),
                    source,
                })
        }
        Command::Key(cmd) => key_command(&cli.global, env_key, &cmd),
        Command::Export { output } => {
            let m = export_archive(&cli.global, &output).await?;
            eprintln!(
                "exported {} rows of {} tables to {} (format version {}, sha256 {})",
                m.row_count(),
                m.tables.len(),
                output.display(),
                m.version,
                m.body_sha256
            );
            if !m.sealed_key_ids.is_empty() {
                eprintln!(
                    "sealed values use key ids {}: keep the key file with the archive, the restored site needs it",
                    join_ids(&m.sealed_key_ids)
                );
            }
            Ok(())
        }
        Command::Import(ImportCommand::Cachet {
            from,
            table_prefix,
            dry_run,
        }) => import_cachet(&cli.global, env_key, &from, &table_prefix, dry_run).await,
        Command::Restore { input } => {
            let m = restore_archive(&cli.global, &input).await?;
            eprintln!(
                "restored {} rows of {} tables from {} into {}",
                m.row_count(),
                m.tables.len(),
                input.display(),
                redact_url(&cli.global.database_url)
            );
            if !m.sealed_key_ids.is_empty() {
                eprintln!(
                    "sealed values use key ids {}: serve this database with the key file that holds them",
                    join_ids(&m.sealed_key_ids)
                );
            }
            Ok(())
        }
    }
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A backup failure with what was being done.
fn backup_error(context: &str, e: &cachet_core::backup::BackupError) -> Error {
    Error::Cachet {
        context: context.to_owned(),
        message: chain(e),
    }
}

/// `cachet export`: dumps the database named by the global options into a new archive at
/// `path` (mode 0600, written beside it and renamed into place, so a failed export leaves no
/// partial archive). Needs no key: sealed values are copied sealed.
///
/// # Errors
///
/// [`Error::Io`] when the file exists or cannot be written, [`Error::Database`],
/// [`Error::Cachet`] when the store fails.
pub async fn export_archive(
    global: &GlobalArgs,
    path: &std::path::Path,
) -> Result<cachet_core::backup::Manifest, Error> {
    let io = |context: String| move |source| Error::Io { context, source };
    if path.exists() {
        return Err(Error::Invalid(format!(
            "{} exists; choose a new file for the archive",
            path.display()
        )));
    }
    let db = Database::open(&global.database_url).await?;
    let mut archive = Vec::new();
    let result =
        cachet_core::backup::export(db.store().as_ref(), chrono::Utc::now(), &mut archive).await;
    db.close().await;
    let manifest = result.map_err(|e| backup_error("exporting", &e))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = path.with_file_name(format!(".{file_name}.partial"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let written = options
        .open(&partial)
        .and_then(|mut f| f.write_all(&archive).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&partial, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written.map_err(io(format!("writing {}", path.display())))?;
    Ok(manifest)
}

/// `cachet restore`: checks the archive at `path` and loads it into the (empty) database
/// named by the global options, migrating it first. Needs no key.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read, [`Error::Database`], [`Error::Cachet`] for an
/// archive that fails its checks or a database that is not empty.
pub async fn restore_archive(
    global: &GlobalArgs,
    path: &std::path::Path,
) -> Result<cachet_core::backup::Manifest, Error> {
    let archive = std::fs::read(path).map_err(|source| Error::Io {
        context: format!("reading {}", path.display()),
        source,
    })?;
    // Check the archive before touching the database, so a bad file creates nothing.
    let (manifest, dump) =
        cachet_core::backup::decode(&archive).map_err(|e| backup_error("restoring", &e))?;
    drop(archive);
    let db = Database::open(&global.database_url).await?;
    let result = cachet_core::store::BackupStore::load(db.store().as_ref(), &dump).await;
    db.close().await;
    result
        .map_err(cachet_core::backup::BackupError::from)
        .map_err(|e| backup_error("restoring", &e))?;
    Ok(manifest)
}

/// `cachet import cachet`: reads the Cachet database at `from` (read only), maps it, prints
/// what is (or would be) imported per table and every row left out, then, unless `dry_run`,
/// loads it into the (empty) database named by the global options in one transaction. A
/// dry run opens neither the target database nor the key file: it writes nothing at all.
///
/// # Errors
///
/// [`Error::Database`] when the source cannot be read or the target opened, [`Error::Cachet`]
/// for another schema version or a target that holds other data, [`Error::Key`].
pub async fn import_cachet(
    global: &GlobalArgs,
    env_key: Option<String>,
    from: &str,
    table_prefix: &str,
    dry_run: bool,
) -> Result<(), Error> {
    use cachet_core::import::{self, Outcome};
    let failed = |e: &dyn std::error::Error| Error::Cachet {
        context: format!("importing from {}", redact_url(from)),
        message: chain(e),
    };
    // Read and check the source before touching the target, so a bad source creates nothing.
    let started = std::time::Instant::now();
    let source = cachet_store::import::read_cachet(from, table_prefix)
        .await
        .map_err(|e| Error::Database {
            url: redact_url(from),
            message: chain(&e),
        })?;
    source.check_version().map_err(|e| failed(&e))?;
    let keyring = if dry_run {
        // Sealed values of a dry run are thrown away; a throw-away key seals them.
        cachet_core::secrets::Keyring::new(
            1,
            cachet_core::secrets::SecretKey::generate().map_err(|e| failed(&e))?,
        )
    } else {
        KeySource::resolve(
            global.secret_key_file.as_deref(),
            env_key,
            &global.database_url,
        )?
        .load()?
        .0
    };
    let plan = import::plan(&source, &keyring, chrono::Utc::now()).map_err(|e| failed(&e))?;
    drop(source);
    print_import_report(&plan).map_err(|source| Error::Io {
        context: "writing the report".to_owned(),
        source,
    })?;
    let rows = plan.dump.row_count();
    if dry_run {
        eprintln!(
            "dry run: {rows} rows would be imported; nothing was written (read in {} ms)",
            started.elapsed().as_millis()
        );
        return Ok(());
    }
    let db = Database::open(&global.database_url).await?;
    let result = import::apply(db.store().as_ref(), &plan).await;
    db.close().await;
    match result.map_err(|e| failed(&e))? {
        Outcome::Imported => eprintln!(
            "imported {rows} rows into {} in {} ms ({} rows left out); subscribers' addresses and 2FA secrets are sealed with the key file, keep it with the database",
            redact_url(&global.database_url),
            started.elapsed().as_millis(),
            plan.rejected.len()
        ),
        Outcome::AlreadyImported => eprintln!(
            "already imported: {} holds this import of the source; nothing to change",
            redact_url(&global.database_url)
        ),
    }
    Ok(())
}

/// The import's report on standard output: rows read and imported per Cachet table, then
/// each row left out, by table and id.
fn print_import_report(plan: &cachet_core::import::Plan) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "source: {}", plan.version)?;
    writeln!(out, "{:<22} {:>9} {:>9}", "table", "read", "imported")?;
    for c in &plan.counts {
        writeln!(out, "{:<22} {:>9} {:>9}", c.table, c.read, c.imported)?;
    }
    writeln!(out, "api keys as tokens: {}", plan.api_tokens)?;
    for (table, n) in &plan.skipped {
        writeln!(
            out,
            "skipped {table}: {n} (soft-deleted, or nothing here to map it to)"
        )?;
    }
    for r in &plan.rejected {
        writeln!(out, "left out {}", cachet_core::log::Escaped(r.to_string()))?;
    }
    out.flush()
}

/// The key file `cachet key` works on: the one given, or the default beside a SQLite file.
fn key_file_for(global: &GlobalArgs, env_key: Option<&str>) -> Result<std::path::PathBuf, Error> {
    if let Some(path) = &global.secret_key_file {
        return Ok(path.clone());
    }
    if env_key.is_some_and(|v| !v.trim().is_empty()) {
        return Err(KeyError::NotAFile.into());
    }
    keyfile::sqlite_path(&global.database_url)
        .map(|db| keyfile::default_key_path(&db))
        .ok_or_else(|| {
            Error::Invalid(
                "there is no default key file for this database; pass --secret-key-file PATH"
                    .to_owned(),
            )
        })
}

fn key_command(
    global: &GlobalArgs,
    env_key: Option<String>,
    cmd: &KeyCommand,
) -> Result<(), Error> {
    let path = key_file_for(global, env_key.as_deref())?;
    match cmd {
        KeyCommand::Generate { force } => {
            keyfile::generate(&path, *force)?;
            eprintln!(
                "wrote a new key file {} (key id 1, mode 0600)",
                path.display()
            );
        }
        KeyCommand::Rotate => {
            let id = keyfile::rotate(&path)?;
            eprintln!(
                "added key id {id} to {} as the primary key; older keys are kept for reading",
                path.display()
            );
        }
    }
    Ok(())
}

/// Reads a new password: a hidden prompt on a terminal, else the first line of standard input
/// (without its line ending).
///
/// # Errors
///
/// [`Error::Invalid`] for no password, [`Error::Io`] when reading fails.
pub fn read_password(prompt: &str) -> Result<String, Error> {
    let io = |source| Error::Io {
        context: "reading the password".to_owned(),
        source,
    };
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = rpassword::prompt_password(prompt).map_err(io)?;
        let again = rpassword::prompt_password("Repeat the password: ").map_err(io)?;
        if first != again {
            return Err(Error::Invalid("the passwords do not match".to_owned()));
        }
        first
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(io)?;
        let trimmed = line.strip_suffix('\n').unwrap_or(&line);
        let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
        trimmed.to_owned()
    };
    if password.is_empty() {
        return Err(Error::Invalid(
            "no password: give it as the first line of standard input".to_owned(),
        ));
    }
    Ok(password)
}

/// `cachet user create`: validates the input, refuses a taken address, reads the password and
/// creates the user as the operator (audited). Returns the new id.
///
/// # Errors
///
/// [`Error::Invalid`] for a bad address, name or role, a taken address or a weak password.
pub async fn create_user(
    global: &GlobalArgs,
    env_key: Option<String>,
    email: &str,
    role: &str,
    name: Option<&str>,
) -> Result<i64, Error> {
    let email_parsed = Email::parse(email)
        .field("email")
        .map_err(|e| Error::Invalid(format!("invalid {e}")))?;
    let name = match name {
        Some(n) => n.to_owned(),
        None => email_parsed
            .as_str()
            .split('@')
            .next()
            .filter(|local| Name::parse(local).is_ok())
            .unwrap_or(email_parsed.as_str())
            .to_owned(),
    };
    // Check everything but the password before asking for it.
    cachet_core::parse_new_user(&name, email, role, String::new())
        .map_err(|e| Error::Invalid(format!("invalid {e}")))?;
    let (cachet, db) = open(global, env_key, "http://localhost").await?;
    let result = async {
        if cachet
            .operator_user_by_email(&email_parsed)
            .await
            .map_err(|e| Error::cachet("looking up the user", &e))?
            .is_some()
        {
            return Err(Error::Invalid(format!(
                "a user with the email address {} already exists",
                email_parsed.as_str()
            )));
        }
        let password = read_password(&format!("Password for {}: ", email_parsed.as_str()))?;
        let input = cachet_core::parse_new_user(&name, email, role, password)
            .map_err(|e| Error::Invalid(format!("invalid {e}")))?;
        match cachet.operator_create_user(input).await {
            Ok(user) => Ok(user.id.get()),
            Err(cachet_core::Error::Validation(v)) if v.field() == "password" => Err(
                Error::Invalid(format!("weak password: the password {}", v.violation())),
            ),
            Err(cachet_core::Error::Validation(v)) => Err(Error::Invalid(format!("invalid {v}"))),
            Err(cachet_core::Error::Conflict(_)) => Err(Error::Invalid(format!(
                "a user with the email address {} already exists",
                email_parsed.as_str()
            ))),
            Err(e) => Err(Error::cachet("creating the user", &e)),
        }
    }
    .await;
    db.close().await;
    result
}

/// `cachet token create`: mints an API token for the user with this address (as the
/// operator, audited) and returns the secret, which is shown only this once.
///
/// # Errors
///
/// [`Error::Invalid`] for an unknown user or a bad name; [`Error::Cachet`].
pub async fn create_token(
    global: &GlobalArgs,
    env_key: Option<String>,
    email: &str,
    scope: &str,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<String, Error> {
    let email = Email::parse(email)
        .field("email")
        .map_err(|e| Error::Invalid(format!("invalid {e}")))?;
    let name = Name::parse(name)
        .field("name")
        .map_err(|e| Error::Invalid(format!("invalid {e}")))?;
    let scope = TokenScope::parse(scope)
        .field("scope")
        .map_err(|e| Error::Invalid(format!("invalid {e}")))?;
    let (cachet, db) = open(global, env_key, "http://localhost").await?;
    let result = async {
        let user = cachet
            .operator_user_by_email(&email)
            .await
            .map_err(|e| Error::cachet("looking up the user", &e))?
            .ok_or_else(|| {
                Error::Invalid(format!("no user has the email address {}", email.as_str()))
            })?;
        if scope == TokenScope::Admin && user.role != Role::Admin {
            tracing::warn!(
                "the user is not an admin: an admin-scoped token can still do only what their role allows"
            );
        }
        let expires = expires_in_days.map(|d| chrono::TimeDelta::days(i64::from(d)));
        let (_, secret) = cachet
            .create_api_token(&Actor::operator(), user.id, name, scope, expires)
            .await
            .map_err(|e| Error::cachet("creating the token", &e))?;
        Ok(secret)
    }
    .await;
    db.close().await;
    result
}

/// Sets up logging to standard error in the text format: `RUST_LOG` if set, else `default`.
/// [`logging::init`] chooses the format.
pub fn init_tracing(default: &str) {
    logging::init(default, cli::LogFormat::Text);
}

/// The binary's field formatter: `name=value` pairs and the message separated by spaces, as
/// `tracing_subscriber::fmt`'s default, each escaped with [`cachet_core::log::Escaped`].
pub fn escaping_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> + 'static {
    use cachet_core::log::Escaped;
    use tracing_subscriber::field::MakeExt as _;
    tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
        if field.name() == "message" {
            // The message's `Debug` is its text (a `fmt::Arguments`), written unquoted.
            write!(w, "{}", Escaped(format_args!("{value:?}")))
        } else {
            write!(w, "{field}={:?}", Escaped(value))
        }
    })
    .delimited(" ")
}

/// The `cachet` binary: parses the command line, sets up logging and a runtime, runs the
/// command, and turns an error into a message on standard error and exit code 1.
#[must_use]
pub fn main() -> ExitCode {
    use clap::Parser as _;
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Serve(_) => "info,sqlx=warn",
        _ => "warn",
    };
    logging::init(default_level, cli.global.log_format);
    let env_key = std::env::var("CACHET_SECRET_KEY").ok();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, env_key)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The error can carry text from the database or the network: one line, escaped.
            eprintln!("error: {}", cachet_core::log::Escaped(&e));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://cachet:s3cret@db:5432/cachet"),
            "postgres://cachet:***@db:5432/cachet"
        );
        assert_eq!(redact_url("mysql://u@h/db"), "mysql://u@h/db");
        assert_eq!(redact_url("sqlite://cachet.db"), "sqlite://cachet.db");
        assert_eq!(
            redact_url("postgres://u:p@ss@h/db"),
            "postgres://u:***@h/db"
        );
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused() {
        let err = Database::open("oracle://x").await.unwrap_err().to_string();
        assert!(err.contains("unsupported scheme"), "{err}");
    }
}
