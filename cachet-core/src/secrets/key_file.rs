//! The key file: where a status page keeps its [`Keyring`] across restarts.
//!
//! The keyring seals subscriber addresses and webhook secrets in the database and signs CSRF
//! tokens and links, so it must never live in that database, and losing it makes sealed data
//! unreadable: keep the file beside your other secrets and in your backups (apart from the
//! database's). An embedding host calls [`load_or_create`] at start:
//!
//! ```no_run
//! # fn main() -> Result<(), cachet_core::secrets::key_file::KeyFileError> {
//! // Created with one random key (mode 0600) on first start, read on every later one.
//! let keyring = cachet_core::secrets::key_file::load_or_create("cachet.key")?;
//! # let _ = keyring;
//! # Ok(())
//! # }
//! ```
//!
//! Several instances sharing one database must share one key file ([`generate`] it once and
//! distribute it; [`read`] it on each instance).
//!
//! # Format
//!
//! UTF-8 text, one key per line:
//!
//! ```text
//! # comments and blank lines are ignored
//! 1 q0fJ3n1T9l0yQ2kzv2C6o7mD3bE8xXgkq8Q2m0vS1dA=
//! 2 3m2YH9b0QhT7s1oVn4cXwz8kJr5aLp6eUu0dFi9gRt4=
//! ```
//!
//! Each line is `<id> <base64>`: a positive integer key id, a space, and 32 random bytes in
//! standard base64. The **highest id is the primary key**, which seals new data and signs new
//! tokens; the other keys are kept so data sealed with them can still be read. A file with a
//! single bare base64 line is read as key id 1. [`rotate`] appends a new key with the next id
//! (the old ones stay); rotating never changes the lowest id, whose key computes the blind
//! indexes used for look-ups.
//!
//! Key files are created with mode `0600` (owner only), and a key file that the group or
//! others may access is refused with an error naming the file and the `chmod` that fixes it.
//! Nothing here ever logs or prints key material; errors name files, lines and ids only.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{Keyring, SecretError, SecretKey};

/// Why a key file could not be read, written or used. Messages name files and lines, never
/// key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// Reading or writing the file failed.
    #[error("key file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The group or others may access the file.
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
    /// A malformed line.
    #[error("{source_name}: line {line}: {why}")]
    Format {
        /// The file (or the variable the text came from).
        source_name: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// No key in the text.
    #[error("{0}: no key found")]
    Empty(String),
    /// [`generate`] would overwrite a key file.
    #[error(
        "key file {} already exists; overwriting it makes data sealed with it unreadable",
        .0.display()
    )]
    Exists(PathBuf),
    /// [`read`] or [`rotate`] found no file.
    #[error("key file {} does not exist", .0.display())]
    Missing(PathBuf),
    /// The system random number generator failed, or the ring is inconsistent.
    #[error("secret key: {0}")]
    Secret(#[from] SecretError),
}

/// Reads the key file at `path`, first creating it with one random key (id 1, mode `0600`)
/// when it does not exist.
///
/// # Errors
///
/// Any [`KeyFileError`]: an unreadable, too-open or malformed file, or one that cannot be
/// created.
pub fn load_or_create(path: impl AsRef<Path>) -> Result<Keyring, KeyFileError> {
    let path = path.as_ref();
    match generate(path, false) {
        Ok(()) | Err(KeyFileError::Exists(_)) => read(path),
        Err(e) => Err(e),
    }
}

/// Reads a key file into a keyring (the highest id is primary).
///
/// # Errors
///
/// [`KeyFileError::Missing`], [`KeyFileError::Permissions`], [`KeyFileError::Format`],
/// [`KeyFileError::Io`].
pub fn read(path: impl AsRef<Path>) -> Result<Keyring, KeyFileError> {
    keyring_from(&read_keys(path.as_ref())?)
}

/// Parses the key file format (or one bare base64 key, id 1). `source_name` names the file or
/// variable in errors. Keys come back sorted by id.
///
/// # Errors
///
/// [`KeyFileError::Format`] naming the line, [`KeyFileError::Empty`].
pub fn parse_keys(text: &str, source_name: &str) -> Result<Vec<(u32, SecretKey)>, KeyFileError> {
    let format = |line: usize, why: &str| KeyFileError::Format {
        source_name: source_name.to_owned(),
        line,
        why: why.to_owned(),
    };
    let mut keys: Vec<(u32, SecretKey)> = Vec::new();
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for &(n, line) in &lines {
        let mut parts = line.split_whitespace();
        let (id, b64) = match (parts.next(), parts.next(), parts.next()) {
            (Some(b64), None, None) if lines.len() == 1 => (1, b64),
            (Some(id), Some(b64), None) => {
                let id: u32 = id
                    .parse()
                    .ok()
                    .filter(|&id| id > 0)
                    .ok_or_else(|| format(n, "the key id must be a positive integer"))?;
                (id, b64)
            }
            _ => return Err(format(n, "expected `<id> <base64 key>`")),
        };
        let key = SecretKey::from_base64(b64)
            .map_err(|_| format(n, "the key must be 32 bytes encoded as standard base64"))?;
        if keys.iter().any(|(k, _)| *k == id) {
            return Err(format(n, &format!("key id {id} is used twice")));
        }
        keys.push((id, key));
    }
    if keys.is_empty() {
        return Err(KeyFileError::Empty(source_name.to_owned()));
    }
    keys.sort_by_key(|(id, _)| *id);
    Ok(keys)
}

/// Builds a keyring: the highest id is primary, the others are kept for reading.
///
/// # Errors
///
/// [`KeyFileError::Empty`] for no keys.
pub fn keyring_from(keys: &[(u32, SecretKey)]) -> Result<Keyring, KeyFileError> {
    let Some((primary_id, primary)) = keys.iter().max_by_key(|(id, _)| *id) else {
        return Err(KeyFileError::Empty("keyring".to_owned()));
    };
    let mut ring = Keyring::new(*primary_id, primary.clone());
    for (id, key) in keys.iter().filter(|(id, _)| id != primary_id) {
        ring = ring.with_old_key(*id, key.clone())?;
    }
    Ok(ring)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Refuses a key file that the group or others may access.
///
/// # Errors
///
/// [`KeyFileError::Permissions`], [`KeyFileError::Io`].
pub fn check_permissions(path: &Path) -> Result<(), KeyFileError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// Reads the keys of a key file after checking its permissions.
///
/// # Errors
///
/// [`KeyFileError::Missing`], [`KeyFileError::Permissions`], [`KeyFileError::Format`],
/// [`KeyFileError::Io`].
pub fn read_keys(path: &Path) -> Result<Vec<(u32, SecretKey)>, KeyFileError> {
    if !path.exists() {
        return Err(KeyFileError::Missing(path.to_owned()));
    }
    check_permissions(path)?;
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    parse_keys(&text, &path.display().to_string())
}

/// Opens a new file for writing with mode `0600`, failing if it exists.
fn create_private(path: &Path) -> Result<std::fs::File, KeyFileError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyFileError::Exists(path.to_owned())
        } else {
            io(path)(e)
        }
    })
}

/// Writes `text` to `path` through a new private file renamed over it, so a reader never sees
/// half a key file and a crash leaves the old one.
fn replace_private(path: &Path, text: &str) -> Result<(), KeyFileError> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".new");
    let tmp = path.with_file_name(tmp_name);
    let _ = std::fs::remove_file(&tmp);
    let mut file = create_private(&tmp)?;
    file.write_all(text.as_bytes()).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Writes a new key file holding one random key with id 1 (mode `0600`). An existing file is
/// refused unless `force`, which replaces it atomically (a new file renamed over it).
///
/// # Errors
///
/// [`KeyFileError::Exists`], [`KeyFileError::Io`], [`KeyFileError::Secret`].
pub fn generate(path: &Path, force: bool) -> Result<(), KeyFileError> {
    let key = SecretKey::generate()?;
    let line = format!("1 {}\n", key.to_base64());
    if force {
        return replace_private(path, &line);
    }
    let mut file = create_private(path)?;
    file.write_all(line.as_bytes()).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

/// Appends a new primary key (the highest id + 1) to an existing key file; the old keys stay
/// for reading. Returns the new id.
///
/// # Errors
///
/// As [`read_keys`], and [`KeyFileError::Io`] when writing fails.
pub fn rotate(path: &Path) -> Result<u32, KeyFileError> {
    let keys = read_keys(path)?;
    let max = keys.iter().map(|(id, _)| *id).max().unwrap_or(0);
    let id = max.checked_add(1).ok_or_else(|| KeyFileError::Format {
        source_name: path.display().to_string(),
        line: 0,
        why: "no key id is left above the highest one".to_owned(),
    })?;
    let key = SecretKey::generate()?;
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    // A file with one bare key is read as id 1; make that explicit before adding a second.
    if keys.len() == 1 && !text.lines().any(|l| l.split_whitespace().count() == 2) {
        let (_, first) = &keys[0];
        let body = format!("1 {}\n{id} {}\n", first.to_base64(), key.to_base64());
        replace_private(path, &body)?;
        return Ok(id);
    }
    let sep = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io(path))?;
    file.write_all(format!("{sep}{id} {}\n", key.to_base64()).as_bytes())
        .map_err(io(path))?;
    file.sync_all().map_err(io(path))?;
    Ok(id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "cachet-key-file-{name}-{}-{}",
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
    fn load_or_create_makes_a_private_key_once_and_reads_it_after() {
        let dir = temp_dir("load");
        let path = dir.join("cachet.key");
        let first = load_or_create(&path).unwrap();
        let again = load_or_create(&path).unwrap();
        assert_eq!(first.primary_id(), 1);
        let sealed = first.seal(b"kept across restarts", b"aad").unwrap();
        assert_eq!(
            again.open(&sealed, b"aad").unwrap(),
            b"kept across restarts"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
            let err = load_or_create(&path).unwrap_err();
            assert!(
                matches!(err, KeyFileError::Permissions { mode: 0o640, .. }),
                "{err}"
            );
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn malformed_files_name_the_line_and_never_the_key() {
        let a = SecretKey::generate().unwrap().to_base64();
        let keys = parse_keys(&format!("# c\n\n3 {a}\n1 {a}\n"), "f").unwrap();
        assert_eq!(keys.iter().map(|k| k.0).collect::<Vec<_>>(), vec![1, 3]);
        let err = parse_keys(&format!("1 {a}\n1 {a}"), "f").unwrap_err();
        assert!(matches!(err, KeyFileError::Format { line: 2, .. }), "{err}");
        assert!(!err.to_string().contains(&a));
        assert!(matches!(
            parse_keys("# none", "f"),
            Err(KeyFileError::Empty(_))
        ));
    }
}
