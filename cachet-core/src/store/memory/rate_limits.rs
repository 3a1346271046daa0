//! Shared rate limits.
//!
//! [`RateLimitStore`] for [`MemoryStore`]: the same counting rule as the SQL upserts, under
//! the store's one lock.

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::*;
use crate::store::{RateLimitKey, RateLimitStore, RateLimitWindow, StoreResult, WindowCounts};

#[async_trait]
impl RateLimitStore for MemoryStore {
    async fn hit_rate_limit(
        &self,
        key: &RateLimitKey,
        window: RateLimitWindow,
        limit: u32,
    ) -> StoreResult<WindowCounts> {
        let cap = limit.saturating_add(1);
        let mut st = self.lock();
        let row = st
            .rate_limits
            .entry(key.as_str().to_owned())
            .or_insert((window.start, 0, 0));
        let (start, hits, prev) = *row;
        *row = if start >= window.start {
            (start, hits.saturating_add(1).min(cap), prev)
        } else if start == window.previous_start() {
            (window.start, 1, hits)
        } else {
            (window.start, 1, 0)
        };
        Ok(WindowCounts {
            current: row.1,
            previous: row.2,
        })
    }

    async fn prune_rate_limits(&self, before: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let n = st.rate_limits.len();
        st.rate_limits.retain(|_, (start, _, _)| *start >= before);
        Ok((n - st.rate_limits.len()) as u64)
    }
}
