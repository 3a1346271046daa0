//! Second factors: monotonic TOTP steps and single-use recovery codes.

use super::*;

/// A TOTP step is accepted only if later than the last accepted one: the same or an older
/// step is refused (replay), and the stored `last_step` follows.
pub async fn totp_step_is_monotonic(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let totp = TotpState {
        secret: sealed(5),
        confirmed_at: Some(at(1)),
        last_step: None,
    };
    store
        .update_user(
            cx(1),
            u.id,
            &UserPatch {
                totp: Some(Some(totp)),
                ..UserPatch::default()
            },
            &no_effects,
        )
        .await
        .ctx("enrol")?;
    let other = user(store, "Bob", "bob@example.com", 0).await?;
    store
        .update_user(
            cx(1),
            other.id,
            &UserPatch {
                totp: Some(Some(TotpState {
                    secret: sealed(6),
                    confirmed_at: Some(at(1)),
                    last_step: None,
                })),
                ..UserPatch::default()
            },
            &no_effects,
        )
        .await
        .ctx("enrol")?;
    ensure(
        store
            .accept_totp_step(u.id, 1000)
            .await
            .ctx("accept_totp_step")?,
        "a first step is accepted",
    )?;
    ensure(
        !store
            .accept_totp_step(u.id, 1000)
            .await
            .ctx("accept_totp_step")?,
        "the same step is refused",
    )?;
    ensure(
        !store
            .accept_totp_step(u.id, 999)
            .await
            .ctx("accept_totp_step")?,
        "an older step is refused",
    )?;
    ensure(
        store
            .accept_totp_step(other.id, 1000)
            .await
            .ctx("accept_totp_step")?,
        "steps are per user",
    )?;
    ensure(
        store
            .accept_totp_step(u.id, 1001)
            .await
            .ctx("accept_totp_step")?,
        "a later step is accepted",
    )?;
    let stored = store
        .user(u.id)
        .await
        .ctx("user")?
        .totp
        .and_then(|t| t.last_step);
    ensure_eq(stored, Some(1001), "last accepted step stored")?;
    ensure(
        !store
            .accept_totp_step(u.id, 1000)
            .await
            .ctx("accept_totp_step")?,
        "an older step stays refused",
    )?;
    Ok(())
}

/// Recovery codes: each works once, for its user only; replacing them voids the old ones.
pub async fn recovery_codes_single_use(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let other = user(store, "Bob", "bob@example.com", 0).await?;
    ensure_eq(
        store
            .recovery_codes_left(u.id)
            .await
            .ctx("recovery_codes_left")?,
        0,
        "no codes at first",
    )?;
    store
        .replace_recovery_codes(cx(10), u.id, &[hash(1), hash(2), hash(3)], &no_effects)
        .await
        .ctx("replace_recovery_codes")?;
    ensure_eq(
        store
            .recovery_codes_left(u.id)
            .await
            .ctx("recovery_codes_left")?,
        3,
        "three codes",
    )?;
    ensure(
        store
            .use_recovery_code(cx(20), u.id, &hash(2), &no_effects)
            .await
            .ctx("use_recovery_code")?,
        "a code works",
    )?;
    ensure_eq(
        store
            .recovery_codes_left(u.id)
            .await
            .ctx("recovery_codes_left")?,
        2,
        "one code used",
    )?;
    ensure(
        !store
            .use_recovery_code(cx(21), u.id, &hash(2), &no_effects)
            .await
            .ctx("use_recovery_code")?,
        "a code works only once",
    )?;
    ensure(
        !store
            .use_recovery_code(cx(22), u.id, &hash(9), &no_effects)
            .await
            .ctx("use_recovery_code")?,
        "an unknown code fails",
    )?;
    ensure(
        !store
            .use_recovery_code(cx(23), other.id, &hash(1), &no_effects)
            .await
            .ctx("use_recovery_code")?,
        "codes are per user",
    )?;
    ensure_eq(
        store
            .recovery_codes_left(u.id)
            .await
            .ctx("recovery_codes_left")?,
        2,
        "failed uses cost nothing",
    )?;
    store
        .replace_recovery_codes(cx(30), u.id, &[hash(4)], &no_effects)
        .await
        .ctx("replace_recovery_codes")?;
    ensure_eq(
        store
            .recovery_codes_left(u.id)
            .await
            .ctx("recovery_codes_left")?,
        1,
        "replaced codes",
    )?;
    ensure(
        !store
            .use_recovery_code(cx(31), u.id, &hash(1), &no_effects)
            .await
            .ctx("use_recovery_code")?,
        "a replaced code fails",
    )?;
    ensure(
        store
            .use_recovery_code(cx(32), u.id, &hash(4), &no_effects)
            .await
            .ctx("use_recovery_code")?,
        "the new code works",
    )?;
    ensure_eq(
        store
            .recovery_codes_left(u.id)
            .await
            .ctx("recovery_codes_left")?,
        0,
        "all used",
    )?;
    Ok(())
}
