//! Connection-pool settings shared by every backend.

use std::time::Duration;

/// How a backend's connection pool behaves: start from [`PoolConfig::default`] and change
/// the fields you need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolConfig {
    /// The most connections the pool opens (default 10; SQLite's read pool uses at most
    /// [`PoolConfig::max_connections`] too, its write pool always one).
    pub max_connections: u32,
    /// How long a call waits for a connection (a free one, or a new one being opened)
    /// before it fails with `StoreError::Unavailable` (default 30 s, sqlx's). A database
    /// that is down or frozen is then reported after this long instead of never: the
    /// standalone binary sets 2 s, since its public pages are served from memory meanwhile.
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(30),
        }
    }
}

impl PoolConfig {
    /// These settings with another acquire timeout.
    #[must_use]
    pub fn with_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// These settings with another connection cap (at least one).
    #[must_use]
    pub fn with_max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }
}
