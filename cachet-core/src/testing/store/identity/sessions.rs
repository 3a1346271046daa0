//! Sessions: CRUD, conflicts, expiry and bulk deletion.

use super::*;

/// Create (`created_at` and `last_seen_at` are the write's time), look up by hash, list per
/// user, update and delete (idempotently) sessions.
pub async fn sessions_crud(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let new = NewSession {
        pending_second_factor: true,
        ..new_session(u.id, 1, at(3600))
    };
    let s = store
        .create_session(cx(10), &new)
        .await
        .ctx("create_session")?;
    let expected = Session {
        id: s.id,
        hash: hash(1),
        user_id: u.id,
        pending_second_factor: true,
        created_at: at(10),
        last_seen_at: at(10),
        expires_at: at(3600),
        ip: new.ip.clone(),
        user_agent: new.user_agent.clone(),
    };
    ensure_eq(&s, &expected, "created session")?;
    ensure_eq(
        store
            .session_by_hash(&hash(1))
            .await
            .ctx("session_by_hash")?,
        Some(expected.clone()),
        "session by hash",
    )?;
    ensure_eq(
        store
            .session_by_hash(&hash(99))
            .await
            .ctx("session_by_hash")?,
        None,
        "unknown hash",
    )?;
    let s2 = store
        .create_session(
            cx(11),
            &NewSession {
                ip: None,
                user_agent: None,
                ..new_session(u.id, 2, at(3600))
            },
        )
        .await
        .ctx("create_session")?;
    ensure_eq(
        (s2.ip.clone(), s2.user_agent.clone()),
        (None, None),
        "optional client details",
    )?;
    ensure_eq(
        store.sessions_of(u.id).await.ctx("sessions_of")?,
        vec![expected.clone(), s2.clone()],
        "sessions by id",
    )?;
    let patch = SessionPatch {
        last_seen_at: Some(at(100)),
        pending_second_factor: Some(false),
    };
    let u2 = store
        .update_session(s.id, &patch)
        .await
        .ctx("update_session")?;
    let expected = Session {
        last_seen_at: at(100),
        pending_second_factor: false,
        ..expected
    };
    ensure_eq(&u2, &expected, "updated session")?;
    ensure_eq(
        store
            .session_by_hash(&hash(1))
            .await
            .ctx("session_by_hash")?,
        Some(expected),
        "updated session read back",
    )?;
    store.delete_session(s.id).await.ctx("delete_session")?;
    ensure_eq(
        store
            .session_by_hash(&hash(1))
            .await
            .ctx("session_by_hash")?,
        None,
        "session after delete",
    )?;
    store
        .delete_session(s.id)
        .await
        .ctx("deleting a deleted session is no error")?;
    ensure_err(
        store.update_session(s.id, &patch).await,
        ErrorKind::NotFound,
        "update after delete",
    )?;
    ensure_eq(
        store.sessions_of(u.id).await.ctx("sessions_of")?,
        vec![s2],
        "one session left",
    )?;
    Ok(())
}

/// A session hash is unique (`Conflict`); an unknown user is `Invalid`; nothing is written.
pub async fn session_conflict_and_unknown_user(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let other = user(store, "Bob", "bob@example.com", 0).await?;
    let s = store
        .create_session(cx(10), &new_session(u.id, 1, at(3600)))
        .await
        .ctx("create_session")?;
    ensure_err(
        store
            .create_session(cx(20), &new_session(other.id, 1, at(3600)))
            .await,
        ErrorKind::Conflict,
        "same hash",
    )?;
    ensure_err(
        store
            .create_session(cx(20), &new_session(UserId(987_654), 2, at(3600)))
            .await,
        ErrorKind::Invalid,
        "unknown user",
    )?;
    ensure_eq(
        store.sessions_of(other.id).await.ctx("sessions_of")?,
        vec![],
        "no session for the other user",
    )?;
    ensure_eq(
        store
            .session_by_hash(&hash(1))
            .await
            .ctx("session_by_hash")?,
        Some(s),
        "hash still names the first",
    )?;
    ensure_eq(
        store
            .session_by_hash(&hash(2))
            .await
            .ctx("session_by_hash")?,
        None,
        "nothing for the unknown user",
    )?;
    Ok(())
}

/// `delete_expired_sessions` removes sessions expiring at or before `now`;
/// `delete_sessions_of` removes a user's sessions but the one kept; both count.
pub async fn session_expiry_and_bulk_delete(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let v = user(store, "Bob", "bob@example.com", 0).await?;
    let mk = |user: UserId, n: u8, exp: i64| async move {
        store
            .create_session(cx(1), &new_session(user, n, at(exp)))
            .await
            .ctx("create_session")
    };
    let _s1 = mk(u.id, 1, 100).await?;
    let _s2 = mk(u.id, 2, 200).await?;
    let s3 = mk(u.id, 3, 300).await?;
    let s4 = mk(v.id, 4, 300).await?;
    ensure_eq(
        store
            .delete_expired_sessions(at(200))
            .await
            .ctx("delete_expired_sessions")?,
        2,
        "sessions expired at or before now",
    )?;
    ensure_eq(
        store.sessions_of(u.id).await.ctx("sessions_of")?,
        vec![s3.clone()],
        "live session kept",
    )?;
    ensure_eq(
        store
            .delete_expired_sessions(at(200))
            .await
            .ctx("delete_expired_sessions")?,
        0,
        "nothing more to expire",
    )?;
    ensure_eq(
        store
            .delete_sessions_of(u.id, Some(s3.id))
            .await
            .ctx("delete_sessions_of")?,
        0,
        "only the kept session",
    )?;
    let _s5 = mk(u.id, 5, 400).await?;
    let _s6 = mk(u.id, 6, 400).await?;
    ensure_eq(
        store
            .delete_sessions_of(u.id, Some(s3.id))
            .await
            .ctx("delete_sessions_of")?,
        2,
        "others signed out",
    )?;
    ensure_eq(
        store.sessions_of(u.id).await.ctx("sessions_of")?,
        vec![s3],
        "the current session stays",
    )?;
    ensure_eq(
        store
            .delete_sessions_of(u.id, None)
            .await
            .ctx("delete_sessions_of")?,
        1,
        "everything signed out",
    )?;
    ensure_eq(
        store.sessions_of(v.id).await.ctx("sessions_of")?,
        vec![s4],
        "other user untouched",
    )?;
    Ok(())
}
