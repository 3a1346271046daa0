//! One-time tokens: single use, purpose, expiry, peeking, conflicts, pruning and ending
//! a subject's tokens.

use super::*;

/// A one-time token is stored as issued and can be consumed exactly once.
pub async fn one_time_token_single_use(store: &dyn Store) -> Result<(), Failure> {
    let new = NewOneTimeToken {
        payload: serde_json::json!({"role": "manager", "email": [1, 2, 3]}),
        ..new_ott(TokenPurpose::Invitation, 1, at(100))
    };
    let t = store
        .create_one_time_token(cx(10), &new)
        .await
        .ctx("create_one_time_token")?;
    let expected = OneTimeToken {
        id: t.id,
        purpose: TokenPurpose::Invitation,
        hash: hash(1),
        subject_id: Some(1),
        payload: new.payload.clone(),
        expires_at: at(100),
        used_at: None,
        created_at: at(10),
    };
    ensure_eq(&t, &expected, "issued token")?;
    let used = store
        .consume_one_time_token(TokenPurpose::Invitation, &hash(1), at(50))
        .await
        .ctx("consume")?;
    let used = used.ok_or_else(|| Failure::new("a fresh token is consumed"))?;
    ensure_eq(
        (used.id, used.purpose, used.subject_id, used.payload),
        (t.id, t.purpose, t.subject_id, t.payload),
        "consumed token",
    )?;
    ensure_eq(
        store
            .consume_one_time_token(TokenPurpose::Invitation, &hash(1), at(51))
            .await
            .ctx("consume")?,
        None,
        "a token works once",
    )?;
    ensure_eq(
        store
            .peek_one_time_token(TokenPurpose::Invitation, &hash(1), at(51))
            .await
            .ctx("peek")?,
        None,
        "a used token cannot be peeked",
    )?;
    ensure_eq(
        store
            .consume_one_time_token(TokenPurpose::Invitation, &hash(2), at(51))
            .await
            .ctx("consume")?,
        None,
        "an unknown token",
    )?;
    Ok(())
}

/// A one-time token works only for its own purpose.
pub async fn one_time_token_purpose_bound(store: &dyn Store) -> Result<(), Failure> {
    store
        .create_one_time_token(cx(10), &new_ott(TokenPurpose::Verification, 1, at(100)))
        .await
        .ctx("create_one_time_token")?;
    for p in [
        TokenPurpose::Invitation,
        TokenPurpose::PasswordReset,
        TokenPurpose::Setup,
    ] {
        ensure_eq(
            store
                .peek_one_time_token(p, &hash(1), at(50))
                .await
                .ctx("peek")?,
            None,
            format!("peek as {p}"),
        )?;
        ensure_eq(
            store
                .consume_one_time_token(p, &hash(1), at(50))
                .await
                .ctx("consume")?,
            None,
            format!("consume as {p}"),
        )?;
    }
    let t = store
        .consume_one_time_token(TokenPurpose::Verification, &hash(1), at(50))
        .await
        .ctx("consume")?;
    ensure(
        t.is_some(),
        "the right purpose still works after wrong ones",
    )?;
    Ok(())
}

/// A one-time token expires at `expires_at`: one microsecond before it works, at it does not.
pub async fn one_time_token_expiry(store: &dyn Store) -> Result<(), Failure> {
    store
        .create_one_time_token(cx(10), &new_ott(TokenPurpose::PasswordReset, 1, at(100)))
        .await
        .ctx("create_one_time_token")?;
    store
        .create_one_time_token(cx(10), &new_ott(TokenPurpose::PasswordReset, 2, at(100)))
        .await
        .ctx("create_one_time_token")?;
    let just_before = at(100) - TimeDelta::microseconds(1);
    let p = TokenPurpose::PasswordReset;
    ensure_eq(
        store
            .peek_one_time_token(p, &hash(1), at(100))
            .await
            .ctx("peek")?,
        None,
        "peek at expires_at",
    )?;
    ensure_eq(
        store
            .consume_one_time_token(p, &hash(1), at(100))
            .await
            .ctx("consume")?,
        None,
        "consume at expires_at",
    )?;
    ensure_eq(
        store
            .consume_one_time_token(p, &hash(1), at(101))
            .await
            .ctx("consume")?,
        None,
        "consume after expiry",
    )?;
    ensure(
        store
            .peek_one_time_token(p, &hash(2), just_before)
            .await
            .ctx("peek")?
            .is_some(),
        "peek just before expiry",
    )?;
    ensure(
        store
            .consume_one_time_token(p, &hash(2), just_before)
            .await
            .ctx("consume")?
            .is_some(),
        "consume just before expiry",
    )?;
    Ok(())
}

/// Peeking does not use a token up.
pub async fn one_time_token_peek_does_not_consume(store: &dyn Store) -> Result<(), Failure> {
    let t = store
        .create_one_time_token(cx(10), &new_ott(TokenPurpose::Setup, 1, at(100)))
        .await
        .ctx("create_one_time_token")?;
    for _ in 0..2 {
        let peeked = store
            .peek_one_time_token(TokenPurpose::Setup, &hash(1), at(50))
            .await
            .ctx("peek")?;
        ensure_eq(peeked, Some(t.clone()), "peeked token, unused")?;
    }
    ensure(
        store
            .consume_one_time_token(TokenPurpose::Setup, &hash(1), at(60))
            .await
            .ctx("consume")?
            .is_some(),
        "still consumable",
    )?;
    Ok(())
}

/// A one-time token hash is unique across purposes (`Conflict`).
pub async fn one_time_token_hash_conflict(store: &dyn Store) -> Result<(), Failure> {
    let t = store
        .create_one_time_token(cx(10), &new_ott(TokenPurpose::Setup, 1, at(100)))
        .await
        .ctx("create_one_time_token")?;
    ensure_err(
        store
            .create_one_time_token(cx(20), &new_ott(TokenPurpose::Setup, 1, at(200)))
            .await,
        ErrorKind::Conflict,
        "same hash",
    )?;
    ensure_err(
        store
            .create_one_time_token(cx(20), &new_ott(TokenPurpose::Invitation, 1, at(200)))
            .await,
        ErrorKind::Conflict,
        "same hash, other purpose",
    )?;
    ensure_eq(
        store
            .peek_one_time_token(TokenPurpose::Setup, &hash(1), at(50))
            .await
            .ctx("peek")?,
        Some(t),
        "the first token is intact",
    )?;
    ensure_eq(
        store
            .peek_one_time_token(TokenPurpose::Invitation, &hash(1), at(50))
            .await
            .ctx("peek")?,
        None,
        "no second token",
    )?;
    Ok(())
}

/// Pruning deletes expired (at or before `now`) and used tokens and counts them.
pub async fn one_time_token_prune(store: &dyn Store) -> Result<(), Failure> {
    let p = TokenPurpose::Verification;
    for (n, exp) in [(1, 100), (2, 1000), (3, 1000), (4, 200)] {
        store
            .create_one_time_token(cx(10), &new_ott(p, n, at(exp)))
            .await
            .ctx("create_one_time_token")?;
    }
    store
        .consume_one_time_token(p, &hash(2), at(50))
        .await
        .ctx("consume")?;
    ensure_eq(
        store.prune_one_time_tokens(at(200)).await.ctx("prune")?,
        3,
        "expired and used tokens pruned",
    )?;
    ensure_eq(
        store.prune_one_time_tokens(at(200)).await.ctx("prune")?,
        0,
        "nothing left to prune",
    )?;
    ensure(
        store
            .peek_one_time_token(p, &hash(3), at(200))
            .await
            .ctx("peek")?
            .is_some(),
        "a live token survives",
    )?;
    let again = store
        .create_one_time_token(cx(300), &new_ott(p, 1, at(2000)))
        .await;
    ensure(again.is_ok(), "a pruned token's hash can be issued again")?;
    Ok(())
}

/// Ending a subject's tokens of one purpose ends exactly those still unused: the same
/// subject's other purposes and other subjects keep working.
pub async fn ending_one_time_tokens_spares_other_subjects_and_purposes(
    store: &dyn Store,
) -> Result<(), Failure> {
    let reset = |n: u8, subject: i64| NewOneTimeToken {
        subject_id: Some(subject),
        ..new_ott(TokenPurpose::PasswordReset, n, at(1_000))
    };
    for (n, subject) in [(1, 7), (2, 7), (3, 8)] {
        store
            .create_one_time_token(cx(10), &reset(n, subject))
            .await
            .ctx("create_one_time_token")?;
    }
    let invitation = NewOneTimeToken {
        subject_id: Some(7),
        ..new_ott(TokenPurpose::Invitation, 4, at(1_000))
    };
    store
        .create_one_time_token(cx(10), &invitation)
        .await
        .ctx("create_one_time_token")?;
    store
        .consume_one_time_token(TokenPurpose::PasswordReset, &hash(1), at(20))
        .await
        .ctx("consume")?;
    ensure_eq(
        store
            .end_one_time_tokens(TokenPurpose::PasswordReset, 7, at(30))
            .await
            .ctx("end_one_time_tokens")?,
        1,
        "only the unused sibling ends",
    )?;
    ensure_eq(
        store
            .peek_one_time_token(TokenPurpose::PasswordReset, &hash(2), at(31))
            .await
            .ctx("peek")?,
        None,
        "the ended link no longer works",
    )?;
    ensure(
        store
            .peek_one_time_token(TokenPurpose::PasswordReset, &hash(3), at(31))
            .await
            .ctx("peek")?
            .is_some(),
        "another subject's link still works",
    )?;
    ensure(
        store
            .peek_one_time_token(TokenPurpose::Invitation, &hash(4), at(31))
            .await
            .ctx("peek")?
            .is_some(),
        "the same subject's invitation still works",
    )?;
    Ok(())
}
