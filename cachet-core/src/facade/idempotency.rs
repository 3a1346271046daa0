//! Idempotent writes: the bookkeeping behind the API's `Idempotency-Key` header.
//!
//! A key is scoped to whoever sent it (an API token, a signed-in user, a host's named actor),
//! so one client can never replay, probe or block another's writes with a guessed key; what
//! is stored is a hash of the scope and the key, and a hash of the request (the fingerprint),
//! never the key itself. The web layer decides what a request is and what an answer is; this
//! module holds the rule for scopes and hashing and talks to the store.

// Only the web layer sends idempotency keys; a facade-only build compiles the rule unused.
#![cfg_attr(not(feature = "web"), allow(dead_code))]

use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use super::actor::ActorKind;
use super::{Actor, Cachet, Result};
use crate::model::{IdempotencyClaim, IdempotencyOutcome, IdempotentAnswer};

/// The shortest time a key replays its answer, whatever the retention setting says.
const MIN_LIFETIME: TimeDelta = TimeDelta::hours(1);

/// One request sent under an idempotency key: its scoped key and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdempotentRequest {
    key: String,
    fingerprint: String,
}

impl IdempotentRequest {
    /// The request `actor` sent under `key`, whose content is `parts` (method, path, body ...,
    /// each hashed with its length so no two different part lists hash alike). `None` for a
    /// visitor: a write without credentials is refused anyway, and visitors share no scope.
    pub(crate) fn new(actor: &Actor, key: &str, parts: &[&[u8]]) -> Option<Self> {
        let scope = match &actor.kind {
            ActorKind::Anonymous => return None,
            ActorKind::Token { token, .. } => format!("token:{}", token.id.get()),
            ActorKind::Session { user, .. } => format!("user:{}", user.id.get()),
            ActorKind::Host { name, .. } => format!("host:{name}"),
            ActorKind::Operator => "operator".to_owned(),
            ActorKind::System { name } => format!("system:{name}"),
            ActorKind::Integration { name } => format!("integration:{name}"),
        };
        Some(Self {
            key: digest_hex(&[b"cachet idempotency key", scope.as_bytes(), key.as_bytes()]),
            fingerprint: digest_hex(parts),
        })
    }
}

/// SHA-256 over length-prefixed parts, in hex.
fn digest_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

impl Cachet {
    /// How long a finished key replays its answer.
    pub(crate) fn idempotency_key_lifetime(&self) -> TimeDelta {
        self.config().retention.idempotency_keys.max(MIN_LIFETIME)
    }

    /// Claims the request's key for a write that may take up to `lease` (see
    /// [`IdempotencyStore::claim_idempotency_key`]).
    pub(crate) async fn claim_idempotency_key(
        &self,
        req: &IdempotentRequest,
        lease: TimeDelta,
    ) -> Result<IdempotencyOutcome> {
        let now = self.now();
        let claim = IdempotencyClaim {
            key: req.key.clone(),
            fingerprint: req.fingerprint.clone(),
            now,
            lease_until: now + lease,
            expired_before: now - self.idempotency_key_lifetime(),
        };
        Ok(self.store().claim_idempotency_key(&claim).await?)
    }

    /// Stores the answer of a claimed write, for every retry to replay.
    pub(crate) async fn finish_idempotency_key(
        &self,
        req: &IdempotentRequest,
        answer: &IdempotentAnswer,
    ) -> Result<()> {
        Ok(self
            .store()
            .finish_idempotency_key(&req.key, &req.fingerprint, answer)
            .await?)
    }

    /// Gives a claimed key up without an answer, so the next retry runs the write again.
    pub(crate) async fn release_idempotency_key(&self, req: &IdempotentRequest) -> Result<()> {
        Ok(self
            .store()
            .release_idempotency_key(&req.key, &req.fingerprint)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn parts_are_length_prefixed_so_boundaries_matter() {
        assert_ne!(digest_hex(&[b"ab", b"c"]), digest_hex(&[b"a", b"bc"]));
        assert_eq!(digest_hex(&[b"ab", b"c"]), digest_hex(&[b"ab", b"c"]));
        assert_eq!(digest_hex(&[b""]).len(), 64);
    }

    #[test]
    fn visitors_have_no_scope_and_hosts_are_scoped_by_name() {
        assert!(IdempotentRequest::new(&Actor::anonymous(None), "k", &[b"x"]).is_none());
        let a = Actor::host("deploy-bot", crate::model::Role::Manager, None);
        let b = Actor::host("other-bot", crate::model::Role::Manager, None);
        let ra = IdempotentRequest::new(&a, "k", &[b"x"]).unwrap();
        let rb = IdempotentRequest::new(&b, "k", &[b"x"]).unwrap();
        assert_ne!(ra.key, rb.key, "the same key from two senders is two keys");
        assert_eq!(ra.fingerprint, rb.fingerprint);
        assert_ne!(
            ra,
            IdempotentRequest::new(&a, "k2", &[b"x"]).unwrap(),
            "two keys from one sender differ"
        );
    }
}
