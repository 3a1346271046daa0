//! Idempotency keys of API writes.
//!
//! [`IdempotencyStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::*;
use crate::store::{IdempotencyStore, StoreResult};

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn claim_idempotency_key(
        &self,
        claim: &IdempotencyClaim,
    ) -> StoreResult<IdempotencyOutcome> {
        let mut st = self.lock();
        let Some(rec) = st.idempotency.get_mut(&claim.key) else {
            st.idempotency
                .insert(claim.key.clone(), claim.fresh_record());
            return Ok(IdempotencyOutcome::Started);
        };
        Ok(match claim.step(rec) {
            IdempotencyStep::StartOver => {
                *rec = claim.fresh_record();
                IdempotencyOutcome::Started
            }
            IdempotencyStep::TakeOver => {
                rec.lease_until = claim.lease_until;
                IdempotencyOutcome::Started
            }
            IdempotencyStep::Answer(outcome) => outcome,
        })
    }

    async fn finish_idempotency_key(
        &self,
        key: &str,
        fingerprint: &str,
        answer: &IdempotentAnswer,
    ) -> StoreResult<()> {
        if let Some(rec) = self
            .lock()
            .idempotency
            .get_mut(key)
            .filter(|r| r.fingerprint == fingerprint)
        {
            rec.answer = Some(answer.clone());
        }
        Ok(())
    }

    async fn release_idempotency_key(&self, key: &str, fingerprint: &str) -> StoreResult<()> {
        let mut st = self.lock();
        if st
            .idempotency
            .get(key)
            .is_some_and(|r| r.fingerprint == fingerprint && r.answer.is_none())
        {
            st.idempotency.remove(key);
        }
        Ok(())
    }

    async fn prune_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let n = st.idempotency.len();
        st.idempotency.retain(|_, r| r.created_at >= before);
        Ok((n - st.idempotency.len()) as u64)
    }
}
