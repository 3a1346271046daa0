//! The audit log.
//!
//! [`AuditStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::{MemoryStore, order};
use crate::model::*;
use crate::store::query::*;
use crate::store::{AuditStore, StoreResult};

#[async_trait]
impl AuditStore for MemoryStore {
    async fn append_audit(&self, event: &NewAuditEvent) -> StoreResult<AuditEvent> {
        Ok(self.lock().insert_audit(event.clone()))
    }

    async fn prune_audit(&self, before: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let n = st.audit.len();
        st.audit.retain(|_, e| e.at >= before);
        Ok((n - st.audit.len()) as u64)
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Page<AuditEvent>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<AuditEvent> = st
            .audit
            .values()
            .filter(|e| {
                f.actor_user_id.is_none_or(|u| e.actor_user_id == Some(u))
                    && f.action.is_none_or(|a| e.action == a)
                    && f.entity.is_none_or(|k| e.entity == k)
                    && f.entity_id.is_none_or(|id| e.entity_id == Some(id))
                    && f.outcome.is_none_or(|o| e.outcome == o)
                    && f.since.is_none_or(|t| e.at >= t)
                    && f.until.is_none_or(|t| e.at < t)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| b.id.cmp(&a.id),
            |f, a, b| order::by_id(f, a.id.0, b.id.0),
            |e| e.id.0,
        ))
    }
}
