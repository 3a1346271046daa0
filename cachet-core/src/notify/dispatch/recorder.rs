//! Group commit of delivery attempts: the attempts that finish while the store is busy
//! recording earlier ones are recorded together, in one
//! [`OutboxStore::record_delivery_attempts`] call (one transaction on the SQL stores).
//!
//! Nothing waits for a group to fill. The first attempt to finish is recorded at once, and
//! whatever finishes meanwhile goes into the next call. So no attempt is held back for
//! others, the time during which a sent message is not yet recorded stays that of one store
//! call (what a `kill -9` can send twice is still at most the deliveries in flight), and
//! under load the store writes once per group instead of once per message: on SQLite's
//! single writer, that write was what held the mail rate down.

use tokio::sync::oneshot;

use super::delivery::PassCache;
use super::{RECORD_RETRY_CAP, RECORD_RETRY_FIRST};
use crate::model::{DeliveryId, NewDeliveryAttempt};
use crate::store::Store;

/// What became of a recorded attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recorded {
    /// Stored.
    Stored,
    /// Not stored: the delivery is gone, or its lease is another instance's now.
    Lost,
}

/// An attempt waiting for its group.
struct Waiting {
    id: DeliveryId,
    attempt: NewDeliveryAttempt,
    done: oneshot::Sender<Recorded>,
}

/// The attempts of one dispatcher pass waiting to be recorded, and whose turn it is to
/// record them.
#[derive(Default)]
pub(super) struct Recorder {
    waiting: std::sync::Mutex<Vec<Waiting>>,
    /// Held by the task recording a group: one store call at a time.
    turn: tokio::sync::Mutex<()>,
}

impl Recorder {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
        // The list is only pushed to and taken whole: a panic elsewhere while it was held
        // leaves nothing half-written.
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records `attempt` on delivery `id`, with whatever other attempts are waiting, and
    /// answers once it is stored. A store that fails is tried again, with a short capped
    /// backoff, until it answers: the message may have gone out, and an attempt left
    /// unrecorded would be sent again when its lease runs out.
    pub(super) async fn record(
        &self,
        store: &dyn Store,
        owner: &str,
        id: DeliveryId,
        attempt: NewDeliveryAttempt,
        cache: &PassCache,
    ) -> Recorded {
        let (done, mut answer) = oneshot::channel();
        self.waiting().push(Waiting { id, attempt, done });
        loop {
            tokio::select! {
                // An answer that is there wins over taking a turn.
                biased;
                recorded = &mut answer => {
                    // A dropped sender: the task recording the group was cancelled, so
                    // whether it was stored is unknown; the lease decides who sends it.
                    return recorded.unwrap_or(Recorded::Lost);
                }
                _turn = self.turn.lock() => {
                    let group = std::mem::take(&mut *self.waiting());
                    // Empty: this attempt went with an earlier group, whose answer is in.
                    if !group.is_empty() {
                        store_group(store, owner, group, cache).await;
                    }
                }
            }
        }
    }
}

/// Records one group, trying again until the store answers, and tells each attempt.
async fn store_group(store: &dyn Store, owner: &str, group: Vec<Waiting>, cache: &PassCache) {
    let (attempts, answers): (Vec<_>, Vec<_>) = group
        .into_iter()
        .map(|w| ((w.id, w.attempt), w.done))
        .unzip();
    let mut wait = RECORD_RETRY_FIRST;
    let mut failures = 0u32;
    let stored = loop {
        match store.record_delivery_attempts(owner, &attempts).await {
            Ok(stored) => {
                cache.store_failed(false);
                break stored;
            }
            Err(e) => {
                cache.store_failed(true);
                failures += 1;
                if failures == 1 || failures.is_power_of_two() {
                    tracing::warn!(target: "cachet::notify", attempts = attempts.len(), failures, error = %crate::log::Escaped(&e), "recording attempts failed; trying again");
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RECORD_RETRY_CAP);
            }
        }
    };
    for (i, done) in answers.into_iter().enumerate() {
        let recorded = if stored.get(i).copied().unwrap_or(false) {
            Recorded::Stored
        } else {
            Recorded::Lost
        };
        // The attempt's task may be gone (its pass was dropped); nothing to tell then.
        let _ = done.send(recorded);
    }
}
