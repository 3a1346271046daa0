//! The in-memory reference store.
//!
//! [`MemoryStore`] implements the whole [`Store`](super::Store) contract on plain maps behind
//! one lock. It is what the conformance suite is checked against first, what tests and demos
//! run on, and the executable description of the semantics the SQL backends in `cachet-store`
//! follow. Each area's trait is implemented in its own file here; [`RevisionStore`] stays with
//! the type.

mod alerts;
mod audit;
mod components;
mod idempotency;
mod incidents;
mod metrics;
mod order;
mod outbox;
mod people;
mod rate_limits;
mod schedules;
mod settings;
mod state;
mod subscribers;
mod throttles;
mod webhooks;

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use self::state::State;
use super::{RevisionStore, StoreResult};

/// The in-memory reference implementation of [`Store`](super::Store).
///
/// All state lives in one [`Mutex`]; every method takes it once and never holds it across an
/// `.await` (there are none inside), so each method is atomic: it checks references and uniqueness
/// first, builds what it will write, runs the write's [`EffectsFn`](super::EffectsFn), and only
/// then changes anything. A call that fails changes nothing; an effects closure that panics leaves
/// at most a skipped id behind. Ids are per-table autoincrements from 1, never reused. Every
/// timestamp comes from the caller's [`WriteContext`](super::WriteContext) (or the `now` argument):
/// the store never reads a clock.
///
/// # Revision
///
/// [`RevisionStore::revision`] is a counter bumped once by every successful write that takes an
/// [`EffectsFn`](super::EffectsFn) or [`Effects`](super::Effects): components, groups, incidents
/// and their updates, templates, schedules and their updates, metrics and points, subscribers and
/// subscriptions, webhooks, integrations and alert rules, users, API tokens, recovery codes and settings. It is *not* bumped by
/// sessions, login throttling, one-time tokens, alert states,
/// [`AuditStore::append_audit`](super::AuditStore::append_audit),
/// [`OutboxStore::enqueue`](super::OutboxStore::enqueue), outbox and delivery progress (claim,
/// complete, fail, record, prune),
/// [`PeopleStore::accept_totp_step`](super::PeopleStore::accept_totp_step), a
/// [`PeopleStore::use_recovery_code`](super::PeopleStore::use_recovery_code) that matched nothing,
/// or a [`PeopleStore::update_api_token`](super::PeopleStore::update_api_token) that only records
/// the token's last use (so API traffic cannot thrash the page cache).
///
/// Cheap to share: wrap it in an `Arc` and use it as `Arc<dyn Store>`.
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store at revision 0.
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Writes run their effects closure before mutating, so a poisoned lock still guards
        // consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("MemoryStore");
        if let Ok(state) = self.state.try_lock() {
            d.field("revision", &state.revision)
                .field("components", &state.components.len())
                .field("incidents", &state.incidents.len())
                .field("subscribers", &state.subscribers.len())
                .field("users", &state.users.len());
        }
        d.finish_non_exhaustive()
    }
}

#[async_trait]
impl RevisionStore for MemoryStore {
    async fn revision(&self) -> StoreResult<u64> {
        Ok(self.lock().revision)
    }
}

/// Whole-store backup is for the persistent stores: the in-memory store keeps the area's
/// defaults, so `cachet export` and `cachet restore` answer
/// [`StoreError::Unsupported`](super::StoreError::Unsupported) for it.
impl super::BackupStore for MemoryStore {}

#[cfg(test)]
mod tests;
