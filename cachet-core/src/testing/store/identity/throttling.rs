//! Login throttling state, and pruning throttle keys and audit entries by age.

use super::*;

/// Throttle state is stored per key, replaced on save, and forgotten on clear.
pub async fn throttle_round_trip(store: &dyn Store) -> Result<(), Failure> {
    let key = "account:5a5a5a5a";
    ensure_eq(
        store.throttle(key).await.ctx("throttle")?,
        None,
        "no state at first",
    )?;
    let first = ThrottleState {
        key: key.to_owned(),
        failures: 1,
        last_failure_at: at(10),
        locked_until: None,
    };
    store.save_throttle(&first).await.ctx("save_throttle")?;
    ensure_eq(
        store.throttle(key).await.ctx("throttle")?,
        Some(first),
        "state read back",
    )?;
    let second = ThrottleState {
        key: key.to_owned(),
        failures: 5,
        last_failure_at: at(20),
        locked_until: Some(at(920)),
    };
    store.save_throttle(&second).await.ctx("save_throttle")?;
    ensure_eq(
        store.throttle(key).await.ctx("throttle")?,
        Some(second.clone()),
        "state replaced",
    )?;
    let ip = ThrottleState {
        key: "ip:2001:db8::1".to_owned(),
        failures: u32::MAX,
        last_failure_at: at(30),
        locked_until: Some(at(40)),
    };
    store.save_throttle(&ip).await.ctx("save_throttle")?;
    ensure_eq(
        store.throttle("ip:2001:db8::1").await.ctx("throttle")?,
        Some(ip.clone()),
        "second key",
    )?;
    store.clear_throttle(key).await.ctx("clear_throttle")?;
    ensure_eq(
        store.throttle(key).await.ctx("throttle")?,
        None,
        "state cleared",
    )?;
    store
        .clear_throttle(key)
        .await
        .ctx("clearing twice is no error")?;
    ensure_eq(
        store.throttle("ip:2001:db8::1").await.ctx("throttle")?,
        Some(ip),
        "other key untouched",
    )?;
    Ok(())
}

/// Retention: throttle keys whose last failure and lock are older than the cut-off go, as do
/// older audit entries; newer ones stay.
pub async fn throttles_and_audit_are_pruned_by_age(store: &dyn Store) -> Result<(), Failure> {
    let state = |key: &str, last: i64, locked: Option<i64>| ThrottleState {
        key: key.to_owned(),
        failures: 3,
        last_failure_at: at(last),
        locked_until: locked.map(at),
    };
    for s in [
        state("old", 10, None),
        state("old-lock-expired", 10, Some(50)),
        state("old-but-locked", 10, Some(500)),
        state("recent", 200, None),
    ] {
        store.save_throttle(&s).await.ctx("save_throttle")?;
    }
    ensure_eq(
        store
            .prune_throttles(at(100))
            .await
            .ctx("prune_throttles")?,
        2,
        "two stale keys pruned",
    )?;
    for (key, kept) in [
        ("old", false),
        ("old-lock-expired", false),
        ("old-but-locked", true),
        ("recent", true),
    ] {
        ensure_eq(
            store.throttle(key).await.ctx("throttle")?.is_some(),
            kept,
            key,
        )?;
    }
    for t in [10, 20, 200] {
        store
            .append_audit(&new_audit(
                at(t),
                AuditAction::LoginFailure,
                EntityKind::User,
                None,
            )?)
            .await
            .ctx("append_audit")?;
    }
    ensure_eq(
        store.prune_audit(at(100)).await.ctx("prune_audit")?,
        2,
        "two old entries pruned",
    )?;
    let left = store
        .audit_events(&AuditQuery::all())
        .await
        .ctx("audit_events")?;
    ensure_eq(
        left.items.iter().map(|e| e.at).collect::<Vec<_>>(),
        vec![at(200)],
        "the newer entry stays",
    )?;
    Ok(())
}
