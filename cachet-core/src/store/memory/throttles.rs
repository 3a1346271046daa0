//! Login throttling state.
//!
//! [`ThrottleStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::*;
use crate::store::{StoreResult, ThrottleStore};

#[async_trait]
impl ThrottleStore for MemoryStore {
    async fn throttle(&self, key: &str) -> StoreResult<Option<ThrottleState>> {
        Ok(self.lock().throttle.get(key).cloned())
    }

    async fn save_throttle(&self, state: &ThrottleState) -> StoreResult<()> {
        self.lock()
            .throttle
            .insert(state.key.clone(), state.clone());
        Ok(())
    }

    async fn clear_throttle(&self, key: &str) -> StoreResult<()> {
        self.lock().throttle.remove(key);
        Ok(())
    }

    async fn prune_throttles(&self, before: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let n = st.throttle.len();
        st.throttle.retain(|_, t| {
            t.last_failure_at >= before || t.locked_until.is_some_and(|u| u >= before)
        });
        Ok((n - st.throttle.len()) as u64)
    }
}
