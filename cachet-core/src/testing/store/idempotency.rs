//! Idempotency keys: claims, leases, replays, mismatches, expiry and pruning.

use super::*;

fn claim(
    key: &str,
    fingerprint: &str,
    now: i64,
    lease: i64,
    expired_before: i64,
) -> IdempotencyClaim {
    IdempotencyClaim {
        key: key.to_owned(),
        fingerprint: fingerprint.to_owned(),
        now: at(now),
        lease_until: at(now + lease),
        expired_before: at(expired_before),
    }
}

fn answer(status: u16) -> IdempotentAnswer {
    IdempotentAnswer {
        status,
        content_type: Some("application/json".to_owned()),
        location: Some("https://status.example.com/api/v1/incidents/7".to_owned()),
        // Not UTF-8, and with a NUL: the body is stored byte for byte.
        body: vec![0x7b, 0x00, 0xff, 0xfe, 0x7d],
    }
}

async fn outcome(store: &dyn Store, c: &IdempotencyClaim) -> Result<IdempotencyOutcome, Failure> {
    store
        .claim_idempotency_key(c)
        .await
        .ctx("claim_idempotency_key")
}

/// A key is started once, in flight while its lease holds, refused for another request, and
/// replays its stored answer once finished; finishing or releasing under another fingerprint
/// changes nothing, and releasing a finished key keeps its answer.
pub async fn idempotency_key_lifecycle(store: &dyn Store) -> Result<(), Failure> {
    let (k, fp) = ("a".repeat(64), "f".repeat(64));
    ensure_eq(
        outcome(store, &claim(&k, &fp, 0, 60, -100)).await?,
        IdempotencyOutcome::Started,
        "an absent key starts",
    )?;
    ensure_eq(
        outcome(store, &claim(&k, &fp, 10, 60, -100)).await?,
        IdempotencyOutcome::InFlight,
        "the same request while its lease holds",
    )?;
    let other = "e".repeat(64);
    ensure_eq(
        outcome(store, &claim(&k, &other, 10, 60, -100)).await?,
        IdempotencyOutcome::Mismatch,
        "another request under the key",
    )?;
    store
        .finish_idempotency_key(&k, &other, &answer(500))
        .await
        .ctx("finish_idempotency_key under another fingerprint")?;
    ensure_eq(
        outcome(store, &claim(&k, &fp, 11, 60, -100)).await?,
        IdempotencyOutcome::InFlight,
        "finishing under another fingerprint finishes nothing",
    )?;
    store
        .finish_idempotency_key(&k, &fp, &answer(201))
        .await
        .ctx("finish_idempotency_key")?;
    ensure_eq(
        outcome(store, &claim(&k, &fp, 12, 60, -100)).await?,
        IdempotencyOutcome::Replay(answer(201)),
        "a finished key replays its answer",
    )?;
    ensure_eq(
        outcome(store, &claim(&k, &other, 12, 60, -100)).await?,
        IdempotencyOutcome::Mismatch,
        "a finished key still refuses another request",
    )?;
    store
        .release_idempotency_key(&k, &fp)
        .await
        .ctx("release_idempotency_key")?;
    ensure_eq(
        outcome(store, &claim(&k, &fp, 13, 60, -100)).await?,
        IdempotencyOutcome::Replay(answer(201)),
        "releasing a finished key keeps its answer",
    )?;
    let bare = IdempotentAnswer {
        status: 204,
        content_type: None,
        location: None,
        body: Vec::new(),
    };
    let k2 = "b".repeat(64);
    ensure_eq(
        outcome(store, &claim(&k2, &fp, 20, 60, -100)).await?,
        IdempotencyOutcome::Started,
        "a second key starts on its own",
    )?;
    store
        .finish_idempotency_key(&k2, &fp, &bare)
        .await
        .ctx("finish_idempotency_key")?;
    ensure_eq(
        outcome(store, &claim(&k2, &fp, 21, 60, -100)).await?,
        IdempotencyOutcome::Replay(bare),
        "an answer without headers or body",
    )?;
    Ok(())
}

/// A lease that ran out is taken over by the next claim of the same request; a released key
/// starts afresh; releasing under another fingerprint releases nothing.
pub async fn idempotency_expired_lease_is_taken_over(store: &dyn Store) -> Result<(), Failure> {
    let (k, fp) = ("c".repeat(64), "f".repeat(64));
    ensure_eq(
        outcome(store, &claim(&k, &fp, 0, 10, -100)).await?,
        IdempotencyOutcome::Started,
        "started",
    )?;
    ensure_eq(
        outcome(store, &claim(&k, &fp, 9, 10, -100)).await?,
        IdempotencyOutcome::InFlight,
        "the lease holds until it ends",
    )?;
    ensure_eq(
        outcome(store, &claim(&k, &fp, 10, 30, -100)).await?,
        IdempotencyOutcome::Started,
        "at its end the lease is taken over",
    )?;
    ensure_eq(
        outcome(store, &claim(&k, &fp, 20, 30, -100)).await?,
        IdempotencyOutcome::InFlight,
        "the new lease holds",
    )?;
    store
        .release_idempotency_key(&k, &"e".repeat(64))
        .await
        .ctx("release_idempotency_key under another fingerprint")?;
    ensure_eq(
        outcome(store, &claim(&k, &fp, 21, 30, -100)).await?,
        IdempotencyOutcome::InFlight,
        "releasing under another fingerprint releases nothing",
    )?;
    store
        .release_idempotency_key(&k, &fp)
        .await
        .ctx("release_idempotency_key")?;
    ensure_eq(
        outcome(store, &claim(&k, &"d".repeat(64), 22, 30, -100)).await?,
        IdempotencyOutcome::Started,
        "a released key starts afresh, for any request",
    )?;
    Ok(())
}

/// A record created before the claim's `expired_before` counts as absent (the key starts
/// over and its old answer is gone), and pruning deletes records created before its bound.
pub async fn idempotency_keys_expire_and_are_pruned(store: &dyn Store) -> Result<(), Failure> {
    let fp = "f".repeat(64);
    for (n, key) in ["1", "2", "3"].iter().enumerate() {
        let k = key.repeat(64);
        let t = 100 * i64::try_from(n).unwrap_or_default();
        ensure_eq(
            outcome(store, &claim(&k, &fp, t, 10, -100)).await?,
            IdempotencyOutcome::Started,
            "started",
        )?;
        store
            .finish_idempotency_key(&k, &fp, &answer(201))
            .await
            .ctx("finish_idempotency_key")?;
    }
    ensure_eq(
        outcome(store, &claim(&"1".repeat(64), &"e".repeat(64), 300, 10, 50)).await?,
        IdempotencyOutcome::Started,
        "a key past retention starts over, even for another request",
    )?;
    ensure_eq(
        outcome(store, &claim(&"1".repeat(64), &"e".repeat(64), 301, 10, 50)).await?,
        IdempotencyOutcome::InFlight,
        "and holds its new lease, not its old answer",
    )?;
    ensure_eq(
        store
            .prune_idempotency_keys(at(150))
            .await
            .ctx("prune_idempotency_keys")?,
        1,
        "one record created before the bound",
    )?;
    ensure_eq(
        outcome(store, &claim(&"2".repeat(64), &fp, 302, 10, -100)).await?,
        IdempotencyOutcome::Started,
        "the pruned key is gone",
    )?;
    ensure_eq(
        outcome(store, &claim(&"3".repeat(64), &fp, 302, 10, -100)).await?,
        IdempotencyOutcome::Replay(answer(201)),
        "a key created after the bound is kept",
    )?;
    Ok(())
}

/// Of many concurrent claims of one absent key, exactly one starts.
pub async fn idempotency_concurrent_claims_start_once(store: &dyn Store) -> Result<(), Failure> {
    let (k, fp) = ("9".repeat(64), "f".repeat(64));
    let c = claim(&k, &fp, 0, 60, -100);
    let claims = (0..16).map(|_| outcome(store, &c));
    let mut started = 0;
    for r in join_all(claims.collect()).await {
        match r? {
            IdempotencyOutcome::Started => started += 1,
            IdempotencyOutcome::InFlight => {}
            other => {
                return Err(Failure::new(format!(
                    "unexpected concurrent outcome {other:?}"
                )));
            }
        }
    }
    ensure_eq(started, 1, "exactly one of 16 concurrent claims starts")
}
