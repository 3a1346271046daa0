//! Concurrent writes: distinct ids, single-use secrets used exactly once, merges that all count.

use super::*;

/// Concurrent writes: 16 creates get 16 distinct ids; a one-time token, a TOTP step and a
/// recovery code raced by several callers work exactly once; racing merges all count.
pub async fn concurrent_creates(store: &dyn Store) -> Result<(), Failure> {
    let creates = (0..16i64).map(|n| async move {
        let new = new_component(&format!("concurrent {n}"))?;
        store
            .create_component(cx(n), &new, &no_effects)
            .await
            .ctx("concurrent create_component")
    });
    let mut id_set = BTreeSet::new();
    for r in join_all(creates.collect()).await {
        id_set.insert(r?.id);
    }
    ensure_eq(id_set.len(), 16, "16 distinct ids")?;
    ensure_eq(
        store
            .components(&ComponentQuery::all())
            .await
            .ctx("components")?
            .total,
        16,
        "16 components stored",
    )?;
    for id in &id_set {
        store
            .component(*id)
            .await
            .ctx("each concurrently created component reads back")?;
    }

    store
        .create_one_time_token(cx(20), &new_ott(TokenPurpose::PasswordReset, 1, at(1000)))
        .await
        .ctx("create_one_time_token")?;
    let h1 = hash(1);
    let races =
        (0..8).map(|_| store.consume_one_time_token(TokenPurpose::PasswordReset, &h1, at(30)));
    let mut wins = 0;
    for r in join_all(races.collect()).await {
        wins += usize::from(r.ctx("concurrent consume")?.is_some());
    }
    ensure_eq(wins, 1, "a raced one-time token is consumed once")?;

    let u = user(store, "Ada", "ada@example.com", 40).await?;
    let totp = TotpState {
        secret: sealed(1),
        confirmed_at: Some(at(40)),
        last_step: None,
    };
    store
        .update_user(
            cx(40),
            u.id,
            &UserPatch {
                totp: Some(Some(totp)),
                ..UserPatch::default()
            },
            &no_effects,
        )
        .await
        .ctx("enrol")?;
    let races = (0..8).map(|_| store.accept_totp_step(u.id, 777));
    let mut wins = 0;
    for r in join_all(races.collect()).await {
        wins += usize::from(r.ctx("concurrent accept_totp_step")?);
    }
    ensure_eq(wins, 1, "a raced TOTP step is accepted once")?;

    store
        .replace_recovery_codes(cx(50), u.id, &[hash(2)], &no_effects)
        .await
        .ctx("replace_recovery_codes")?;
    let h2 = hash(2);
    let races = (0..8).map(|_| store.use_recovery_code(cx(51), u.id, &h2, &no_effects));
    let mut wins = 0;
    for r in join_all(races.collect()).await {
        wins += usize::from(r.ctx("concurrent use_recovery_code")?);
    }
    ensure_eq(wins, 1, "a raced recovery code works once")?;

    let m = metric(store, "M", 60).await?;
    let first = store
        .record_metric_point(cx(60), m.id, &new_point(5, at(60), None)?, &no_effects)
        .await
        .ctx("record_metric_point")?;
    let merges = (0..8i64).map(|n| async move {
        store
            .record_metric_point(
                cx(61 + n),
                m.id,
                &new_point(5, at(61 + n), Some(at(0)))?,
                &no_effects,
            )
            .await
            .ctx("concurrent merge")
    });
    for r in join_all(merges.collect()).await {
        ensure_eq(r?.id, first.id, "every raced merge hits the same point")?;
    }
    ensure_eq(
        store
            .metric_point(m.id, first.id)
            .await
            .ctx("metric_point")?
            .counter,
        9,
        "no raced merge lost",
    )?;
    Ok(())
}
