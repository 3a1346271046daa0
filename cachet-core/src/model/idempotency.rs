//! Idempotent API writes: the record a write sent with an `Idempotency-Key` leaves behind, so a
//! client that retries after losing the answer gets the first answer again instead of a second
//! incident.
//!
//! The store keeps one record per scoped key: who sent it and the key they chose, hashed
//! together (so one client's key never meets another's), the fingerprint of the request, and,
//! once the write has finished, its answer. While the write runs the record holds a lease
//! instead of an answer; a lease that runs out (its instance died) lets a retry run the write.

use crate::clock::Timestamp;

/// The answer an idempotent write gave, replayed to every retry with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentAnswer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` it carried, if any.
    pub content_type: Option<String>,
    /// The `Location` it carried, if any.
    pub location: Option<String>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

/// A write that wants to start under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// The scoped key: a hash of who sent the request and the key they chose (64 hex digits).
    pub key: String,
    /// A hash of what the request asks for (method, path, query and body; 64 hex digits).
    pub fingerprint: String,
    /// The time of the claim.
    pub now: Timestamp,
    /// Until when a started write holds the key; a retry after it may run the write again.
    pub lease_until: Timestamp,
    /// Records created before this are past their retention and count as absent.
    pub expired_before: Timestamp,
}

/// What the store says to a [`IdempotencyClaim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyOutcome {
    /// The key is the caller's: run the write, then store its answer.
    Started,
    /// The same request is running elsewhere under this key (its lease holds).
    InFlight,
    /// The same request already finished under this key: this is its answer.
    Replay(IdempotentAnswer),
    /// The key was used for a different request.
    Mismatch,
}

/// A key as the store holds it, read back by a claim that found it already recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The fingerprint of the request that first claimed the key.
    pub fingerprint: String,
    /// When the key was first claimed; retention counts from here.
    pub created_at: Timestamp,
    /// Until when the running write holds the key.
    pub lease_until: Timestamp,
    /// The finished write's answer; `None` while it runs.
    pub answer: Option<IdempotentAnswer>,
}

/// What a claim does with a key that is already recorded. Every store applies this one rule,
/// inside whatever lock makes the claim atomic on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyStep {
    /// The record is past retention: overwrite it with a fresh lease for this claim and run.
    StartOver,
    /// The same request's lease ran out (its instance died): extend the lease and run.
    TakeOver,
    /// Leave the record as it is and answer this.
    Answer(IdempotencyOutcome),
}

impl IdempotencyClaim {
    /// The record a claim of an absent key leaves behind.
    #[must_use]
    pub fn fresh_record(&self) -> IdempotencyRecord {
        IdempotencyRecord {
            fingerprint: self.fingerprint.clone(),
            created_at: self.now,
            lease_until: self.lease_until,
            answer: None,
        }
    }

    /// What this claim does with `found`, the record already stored under its key.
    #[must_use]
    pub fn step(&self, found: &IdempotencyRecord) -> IdempotencyStep {
        if found.created_at < self.expired_before {
            IdempotencyStep::StartOver
        } else if found.fingerprint != self.fingerprint {
            IdempotencyStep::Answer(IdempotencyOutcome::Mismatch)
        } else if let Some(answer) = &found.answer {
            IdempotencyStep::Answer(IdempotencyOutcome::Replay(answer.clone()))
        } else if found.lease_until > self.now {
            IdempotencyStep::Answer(IdempotencyOutcome::InFlight)
        } else {
            IdempotencyStep::TakeOver
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};

    fn claim(fingerprint: &str) -> IdempotencyClaim {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        IdempotencyClaim {
            key: "k".into(),
            fingerprint: fingerprint.into(),
            now,
            lease_until: now + TimeDelta::seconds(30),
            expired_before: now - TimeDelta::hours(24),
        }
    }

    #[test]
    fn every_branch_of_the_claim_rule() {
        let c = claim("f");
        let mut rec = c.fresh_record();
        assert_eq!(
            c.step(&rec),
            IdempotencyStep::Answer(IdempotencyOutcome::InFlight)
        );
        rec.lease_until = c.now;
        assert_eq!(c.step(&rec), IdempotencyStep::TakeOver);
        let answer = IdempotentAnswer {
            status: 201,
            content_type: None,
            location: None,
            body: b"{}".to_vec(),
        };
        rec.answer = Some(answer.clone());
        assert_eq!(
            c.step(&rec),
            IdempotencyStep::Answer(IdempotencyOutcome::Replay(answer))
        );
        assert_eq!(
            claim("other").step(&rec),
            IdempotencyStep::Answer(IdempotencyOutcome::Mismatch)
        );
        rec.created_at = c.expired_before - TimeDelta::seconds(1);
        assert_eq!(claim("other").step(&rec), IdempotencyStep::StartOver);
    }
}
