//! What the store's integration tests share: names no concurrent run uses, telling a
//! finished run's leftovers from a live run's, and the database URLs from the environment.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A name no other check (in this or a concurrent test run) uses: `prefix`, the process id,
/// the time and a counter.
pub fn unique_name(prefix: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{prefix}{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether this process is the first to ask (so leftovers are cleaned up once per run).
pub fn first_call(flag: &AtomicBool) -> bool {
    !flag.swap(true, Ordering::SeqCst)
}

/// Whether a schema or database named by [`unique_name`] belongs to a process that is gone,
/// so a finished run's leftovers can be dropped without touching a concurrent run's.
pub fn is_stale(name: &str, prefix: &str) -> bool {
    let Some(pid) = name
        .strip_prefix(prefix)
        .and_then(|rest| rest.split('_').next())
    else {
        return false;
    };
    let proc = std::path::Path::new("/proc");
    proc.is_dir() && pid != std::process::id().to_string() && !proc.join(pid).exists()
}

/// The URL in `var`, or `None` (after saying so) when unset outside CI.
pub fn url_from_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!("{var} must be set in CI"),
        _ => {
            eprintln!("skipped: {var} not set");
            None
        }
    }
}

/// The URL of a new SQLite database file named by [`unique_name`] in the temp folder `dir`.
pub fn sqlite_file_url(dir: &str, prefix: &str) -> String {
    let dir = std::env::temp_dir().join(dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    format!(
        "sqlite://{}",
        dir.join(format!("{}.db", unique_name(prefix))).display()
    )
}
