//! What the backends share about SQL text: the placeholder rewrite cache and the
//! migrations table name.

#[cfg(feature = "postgres")]
use std::collections::HashMap;
#[cfg(feature = "postgres")]
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};

/// The table sqlx records applied migrations in: cachet's own, so an embedding application's
/// `_sqlx_migrations` is never touched.
pub const MIGRATIONS_TABLE: &str = "_cachet_migrations";

/// A process-wide cache of rewritten static statements, keyed by the original text and a
/// variant tag, so each statement is rewritten once.
#[cfg(feature = "postgres")]
#[derive(Debug)]
pub(crate) struct StatementCache(OnceLock<Mutex<Rewrites>>);

/// Rewritten statements by original text and variant.
#[cfg(feature = "postgres")]
type Rewrites = HashMap<(&'static str, u8), Arc<str>>;

#[cfg(feature = "postgres")]
impl StatementCache {
    /// An empty cache (usable in a `static`).
    pub(crate) const fn new() -> Self {
        Self(OnceLock::new())
    }

    /// The rewrite of `sql` for `variant`, computed by `make` the first time.
    pub(crate) fn get(
        &self,
        sql: &'static str,
        variant: u8,
        make: impl FnOnce(&str) -> String,
    ) -> SqlStr {
        let map = self.0.get_or_init(|| Mutex::new(HashMap::new()));
        let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
        let text = map
            .entry((sql, variant))
            .or_insert_with(|| Arc::from(make(sql)))
            .clone();
        AssertSqlSafe(text).into_sql_str()
    }
}

/// Dynamic SQL built by this crate from fixed fragments and `?` placeholders only (column
/// names come from typed enums, never from input).
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub(crate) fn trusted(sql: String) -> SqlStr {
    AssertSqlSafe(sql).into_sql_str()
}
