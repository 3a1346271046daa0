//! The secret key: where it comes from, the key file format, generating and rotating keys.
//!
//! The secret key seals subscriber addresses and other secrets in the database and signs CSRF
//! tokens and links (see [`cachet_core::secrets`]). It never lives in the database: it comes
//! from a key file or from the environment.
//!
//! # Where the key comes from
//!
//! 1. `--secret-key-file PATH` (or `CACHET_SECRET_KEY_FILE`): that file, which must exist.
//! 2. `CACHET_SECRET_KEY`: the key itself, in the key file format or as one bare base64 key
//!    (which is key id 1). Giving both 1 and 2 is an error.
//! 3. Neither, with a SQLite database file: `cachet.key` in the database's directory, created
//!    on first use. If the database file already holds data but the key file is missing, the
//!    binary refuses to invent a new key (that would make sealed data unreadable) and says so.
//! 4. Neither, with `sqlite::memory:`: a throw-away random key (nothing outlives the process).
//! 5. Neither, with PostgreSQL or MySQL: an error. Several instances share one database, so
//!    they must share one key; generate it with `cachet key generate --secret-key-file PATH`.
//!
//! The key file format, permissions, generation and rotation are the library's
//! ([`cachet_core::secrets::key_file`]); this module adds where the binary finds the key and
//! error messages that name the `cachet key` commands.

use std::fmt;
use std::path::{Path, PathBuf};

use cachet_core::secrets::key_file::{self, KeyFileError};
use cachet_core::secrets::{Keyring, SecretKey};

/// The file name of the default key file, beside a SQLite database.
pub const DEFAULT_KEY_FILE: &str = "cachet.key";

/// Why a key could not be found, read, written or used. Messages name files and ids, never
/// key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Reading or writing a key file failed.
    #[error("key file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A key file the group or others may access.
    #[error(
        "key file {}: permissions {mode:04o} let the group or others read it; run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A malformed key file or `CACHET_SECRET_KEY` value.
    #[error("{source_name}: line {line}: {why}")]
    Format {
        /// The file or variable.
        source_name: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A key file or `CACHET_SECRET_KEY` without any key.
    #[error("{0}: no key found")]
    Empty(String),
    /// `key generate` would overwrite a key file.
    #[error(
        "key file {} already exists; overwriting it makes data sealed with it unreadable. Use `cachet key rotate` to add a key, or `--force` to overwrite",
        .0.display()
    )]
    Exists(PathBuf),
    /// A key file named with `--secret-key-file` does not exist.
    #[error(
        "key file {} does not exist; create one with `cachet key generate --secret-key-file {}`",
        .0.display(),
        .0.display()
    )]
    Missing(PathBuf),
    /// The database already holds data but its default key file is missing.
    #[error(
        "the database {} already exists but its key file {} is missing; restore the key file or pass --secret-key-file (a new key would make sealed data unreadable)",
        db.display(),
        key.display()
    )]
    MissingForExistingDatabase {
        /// The database file.
        db: PathBuf,
        /// The expected key file.
        key: PathBuf,
    },
    /// PostgreSQL and MySQL need a key given explicitly.
    #[error(
        "a PostgreSQL or MySQL database needs a secret key shared by every instance: pass --secret-key-file PATH or set CACHET_SECRET_KEY (create one with `cachet key generate --secret-key-file PATH`)"
    )]
    Required,
    /// Both a key file and `CACHET_SECRET_KEY` were given.
    #[error(
        "give either --secret-key-file (CACHET_SECRET_KEY_FILE) or CACHET_SECRET_KEY, not both"
    )]
    Ambiguous,
    /// The command works on a key file, but the key came from the environment.
    #[error(
        "the secret key comes from CACHET_SECRET_KEY; `cachet key` commands work on key files (pass --secret-key-file)"
    )]
    NotAFile,
    /// The system random number generator failed, or the ring is inconsistent.
    #[error("secret key: {0}")]
    Secret(#[from] cachet_core::secrets::SecretError),
    /// Another key file error of the library.
    #[error(transparent)]
    Other(KeyFileError),
}

/// Where the key comes from, as decided by [`KeySource::resolve`].
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A key file. `create` says whether it may be created when missing (the default key file
    /// beside a new SQLite database).
    File {
        /// The file.
        path: PathBuf,
        /// Create it (mode `0600`) when it does not exist.
        create: bool,
    },
    /// The value of `CACHET_SECRET_KEY`.
    Env(String),
    /// A random key that lives as long as the process (in-memory SQLite).
    Ephemeral,
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, create } => f
                .debug_struct("File")
                .field("path", path)
                .field("create", create)
                .finish(),
            Self::Env(_) => f.write_str("Env(<redacted>)"),
            Self::Ephemeral => f.write_str("Ephemeral"),
        }
    }
}

/// The database file a `sqlite:` URL names, or `None` for an in-memory database or another
/// scheme.
#[must_use]
pub fn sqlite_path(database_url: &str) -> Option<PathBuf> {
    let lower = database_url.to_ascii_lowercase();
    if !lower.starts_with("sqlite:") {
        return None;
    }
    let rest = &database_url["sqlite:".len()..];
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || database_url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Whether a URL names a SQLite database (file or memory).
#[must_use]
pub fn is_sqlite(database_url: &str) -> bool {
    database_url.to_ascii_lowercase().starts_with("sqlite:")
}

/// The default key file beside a SQLite database file.
#[must_use]
pub fn default_key_path(db: &Path) -> PathBuf {
    match db.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(DEFAULT_KEY_FILE),
        _ => PathBuf::from(DEFAULT_KEY_FILE),
    }
}

impl KeySource {
    /// Decides where the key comes from (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`KeyError::Ambiguous`] for both a file and an environment value,
    /// [`KeyError::Required`] for PostgreSQL or MySQL without a key,
    /// [`KeyError::MissingForExistingDatabase`] when a SQLite database with data has no key.
    pub fn resolve(
        key_file: Option<&Path>,
        env_key: Option<String>,
        database_url: &str,
    ) -> Result<Self, KeyError> {
        let env_key = env_key.filter(|v| !v.trim().is_empty());
        match (key_file, env_key) {
            (Some(_), Some(_)) => Err(KeyError::Ambiguous),
            (Some(path), None) => Ok(Self::File {
                path: path.to_owned(),
                create: false,
            }),
            (None, Some(value)) => Ok(Self::Env(value)),
            (None, None) => {
                if !is_sqlite(database_url) {
                    return Err(KeyError::Required);
                }
                let Some(db) = sqlite_path(database_url) else {
                    return Ok(Self::Ephemeral);
                };
                let key = default_key_path(&db);
                let db_has_data = std::fs::metadata(&db).is_ok_and(|m| m.len() > 0);
                if db_has_data && !key.exists() {
                    return Err(KeyError::MissingForExistingDatabase { db, key });
                }
                Ok(Self::File {
                    path: key,
                    create: true,
                })
            }
        }
    }

    /// The key file, when the key comes from one.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::File { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Loads the keyring, creating the default key file first when allowed and missing.
    /// Returns the ring and whether a new key file was created.
    ///
    /// # Errors
    ///
    /// Any [`KeyError`]: a missing, unreadable, too-open or malformed key file.
    pub fn load(&self) -> Result<(Keyring, bool), KeyError> {
        match self {
            Self::File { path, create } => {
                let mut created = false;
                if !path.exists() {
                    if !*create {
                        return Err(KeyError::Missing(path.clone()));
                    }
                    generate(path, false)?;
                    created = true;
                }
                Ok((read_keyring(path)?, created))
            }
            Self::Env(value) => Ok((
                keyring_from(&parse_keys(value, "CACHET_SECRET_KEY")?)?,
                false,
            )),
            Self::Ephemeral => Ok((Keyring::new(1, SecretKey::generate()?), false)),
        }
    }
}

impl From<KeyFileError> for KeyError {
    fn from(e: KeyFileError) -> Self {
        match e {
            KeyFileError::Io { path, source } => Self::Io { path, source },
            KeyFileError::Permissions { path, mode } => Self::Permissions { path, mode },
            KeyFileError::Format {
                source_name,
                line,
                why,
            } => Self::Format {
                source_name,
                line,
                why,
            },
            KeyFileError::Empty(name) => Self::Empty(name),
            KeyFileError::Exists(path) => Self::Exists(path),
            KeyFileError::Missing(path) => Self::Missing(path),
            KeyFileError::Secret(e) => Self::Secret(e),
            // The library's error is non-exhaustive; a new kind keeps its own message.
            other => Self::Other(other),
        }
    }
}

/// [`key_file::parse_keys`], with the binary's error messages.
///
/// # Errors
///
/// [`KeyError::Format`] naming the line, [`KeyError::Empty`].
pub fn parse_keys(text: &str, source_name: &str) -> Result<Vec<(u32, SecretKey)>, KeyError> {
    Ok(key_file::parse_keys(text, source_name)?)
}

/// [`key_file::keyring_from`]: the highest id is primary.
///
/// # Errors
///
/// [`KeyError::Empty`] for no keys.
pub fn keyring_from(keys: &[(u32, SecretKey)]) -> Result<Keyring, KeyError> {
    Ok(key_file::keyring_from(keys)?)
}

/// [`key_file::read_keys`]: the keys of a key file, after checking its permissions.
///
/// # Errors
///
/// [`KeyError::Missing`], [`KeyError::Permissions`], [`KeyError::Format`], [`KeyError::Io`].
pub fn read_keys(path: &Path) -> Result<Vec<(u32, SecretKey)>, KeyError> {
    Ok(key_file::read_keys(path)?)
}

/// [`key_file::read`]: a key file as a keyring.
///
/// # Errors
///
/// As [`read_keys`].
pub fn read_keyring(path: &Path) -> Result<Keyring, KeyError> {
    Ok(key_file::read(path)?)
}

/// [`key_file::generate`]: a new key file with one random key (`force` replaces one).
///
/// # Errors
///
/// [`KeyError::Exists`], [`KeyError::Io`], [`KeyError::Secret`].
pub fn generate(path: &Path, force: bool) -> Result<(), KeyError> {
    Ok(key_file::generate(path, force)?)
}

/// [`key_file::rotate`]: appends a new primary key and returns its id.
///
/// # Errors
///
/// As [`read_keys`], and [`KeyError::Io`] when writing fails.
pub fn rotate(path: &Path) -> Result<u32, KeyError> {
    Ok(key_file::rotate(path)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "cachet-keyfile-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://cachet.db"),
            Some(PathBuf::from("cachet.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/cachet/x.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/cachet/x.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:data.db"),
            Some(PathBuf::from("data.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x/y"), None);
        assert_eq!(
            default_key_path(Path::new("/var/lib/cachet/x.db")),
            PathBuf::from("/var/lib/cachet/cachet.key")
        );
        assert_eq!(
            default_key_path(Path::new("cachet.db")),
            PathBuf::from("cachet.key")
        );
    }

    #[test]
    fn resolve_rules() {
        assert!(matches!(
            KeySource::resolve(None, None, "postgres://h/db"),
            Err(KeyError::Required)
        ));
        assert!(matches!(
            KeySource::resolve(Some(Path::new("k")), Some("x".into()), "sqlite::memory:"),
            Err(KeyError::Ambiguous)
        ));
        assert_eq!(
            KeySource::resolve(None, None, "sqlite::memory:").unwrap(),
            KeySource::Ephemeral
        );
        assert_eq!(
            KeySource::resolve(None, Some("k".into()), "mysql://h/db").unwrap(),
            KeySource::Env("k".into())
        );
        let dir = temp_dir("resolve");
        let db = dir.join("c.db");
        std::fs::write(&db, b"data").unwrap();
        let url = format!("sqlite://{}", db.display());
        assert!(matches!(
            KeySource::resolve(None, None, &url),
            Err(KeyError::MissingForExistingDatabase { .. })
        ));
        std::fs::remove_file(&db).unwrap();
        assert_eq!(
            KeySource::resolve(None, None, &url).unwrap(),
            KeySource::File {
                path: dir.join("cachet.key"),
                create: true
            }
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn parse_formats() {
        let a = SecretKey::generate().unwrap().to_base64();
        let b = SecretKey::generate().unwrap().to_base64();
        let keys = parse_keys(&a, "env").unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].0, 1);
        let keys = parse_keys(&format!("# c\n\n3 {b}\n1 {a}\n"), "f").unwrap();
        assert_eq!(keys.iter().map(|k| k.0).collect::<Vec<_>>(), vec![1, 3]);
        let ring = keyring_from(&keys).unwrap();
        assert_eq!(ring.primary_id(), 3);
        assert_eq!(ring.index_key_id(), 1);
        for bad in [
            "",
            "# only a comment",
            "1 notbase64",
            "0 AAAA",
            &format!("x {a}"),
            &format!("1 {a}\n1 {b}"),
            &format!("{a}\n{b}"),
            &format!("1 {a} extra"),
        ] {
            let err = parse_keys(bad, "f").unwrap_err().to_string();
            assert!(!err.contains(&a) && !err.contains(&b), "{err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn generate_rotate_and_permissions() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = temp_dir("gen");
        let path = dir.join("cachet.key");
        generate(&path, false).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(matches!(generate(&path, false), Err(KeyError::Exists(_))));
        let before = read_keys(&path).unwrap();
        assert_eq!(rotate(&path).unwrap(), 2);
        let after = read_keys(&path).unwrap();
        assert_eq!(after.len(), 2);
        assert_eq!(after[0].1.to_base64(), before[0].1.to_base64());
        assert_eq!(read_keyring(&path).unwrap().primary_id(), 2);
        generate(&path, true).unwrap();
        assert_eq!(read_keys(&path).unwrap().len(), 1);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = read_keys(&path).unwrap_err();
        assert!(
            matches!(err, KeyError::Permissions { mode: 0o644, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"));
        // A bare key file rotates into the explicit format.
        let bare = dir.join("bare.key");
        let k = SecretKey::generate().unwrap().to_base64();
        std::fs::write(&bare, format!("{k}\n")).unwrap();
        std::fs::set_permissions(&bare, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(rotate(&bare).unwrap(), 2);
        let keys = read_keys(&bare).unwrap();
        assert_eq!(keys[0].1.to_base64(), k);
        assert_eq!(keys[1].0, 2);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
