//! Users, 2FA, API tokens, sessions, login throttling and one-time tokens.

use chrono::TimeDelta;

use super::components::Key;
use super::*;
use crate::testing::{ErrorKind, ensure, ensure_err};

/// Create, read, look up by email, list, update (every field, TOTP on and off) and delete a
/// user.
pub async fn users_crud(store: &dyn Store) -> Result<(), Failure> {
    let new = NewUser {
        role: Role::Admin,
        active: false,
        ..new_user("Ada Lovelace", "Ada@Example.com", Role::Admin)?
    };
    let u = store
        .create_user(cx(10), &new, &no_effects)
        .await
        .ctx("create_user")?;
    let expected = User {
        id: u.id,
        name: new.name.clone(),
        email: email("ada@example.com")?,
        role: Role::Admin,
        password_hash: new.password_hash.clone(),
        active: false,
        totp: None,
        last_login_at: None,
        created_at: at(10),
        updated_at: at(10),
    };
    ensure_eq(&u, &expected, "created user")?;
    ensure_eq(
        store.user(u.id).await.ctx("user")?,
        expected.clone(),
        "user read back",
    )?;
    ensure_eq(
        store
            .user_by_email(&email("ada@example.com")?)
            .await
            .ctx("user_by_email")?,
        Some(expected.clone()),
        "by email",
    )?;
    ensure_eq(
        store
            .user_by_email(&email("bob@example.com")?)
            .await
            .ctx("user_by_email")?,
        None,
        "unknown email",
    )?;
    let page = store.users(&UserQuery::all()).await.ctx("users")?;
    ensure_eq(
        (page.items, page.total),
        (vec![expected.clone()], 1),
        "users list",
    )?;

    let totp = TotpState {
        secret: sealed(5),
        confirmed_at: Some(at(15)),
        last_step: None,
    };
    let patch = UserPatch {
        name: Some(name("Ada King")?),
        email: Some(email("ada.king@example.org")?),
        role: Some(Role::Viewer),
        password_hash: Some(PasswordHash(
            "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA".to_owned(),
        )),
        active: Some(true),
        totp: Some(Some(totp.clone())),
        last_login_at: Some(at(18)),
    };
    let updated = store
        .update_user(cx(20), u.id, &patch, &no_effects)
        .await
        .ctx("update_user")?;
    let expected = User {
        name: name("Ada King")?,
        email: email("ada.king@example.org")?,
        role: Role::Viewer,
        password_hash: PasswordHash(
            "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA".to_owned(),
        ),
        active: true,
        totp: Some(totp),
        last_login_at: Some(at(18)),
        updated_at: at(20),
        ..expected
    };
    ensure_eq(&updated, &expected, "updated user")?;
    ensure_eq(
        store.user(u.id).await.ctx("user")?,
        expected.clone(),
        "updated user read back",
    )?;
    ensure_eq(
        store
            .user_by_email(&email("ada@example.com")?)
            .await
            .ctx("user_by_email")?,
        None,
        "old email released",
    )?;
    let patch = UserPatch {
        totp: Some(None),
        ..UserPatch::default()
    };
    let off = store
        .update_user(cx(30), u.id, &patch, &no_effects)
        .await
        .ctx("update_user")?;
    ensure_eq(off.totp, None, "2FA removed")?;
    store
        .delete_user(cx(40), u.id, &no_effects)
        .await
        .ctx("delete_user")?;
    ensure_err(
        store.user(u.id).await,
        ErrorKind::NotFound,
        "user after delete",
    )?;
    ensure_eq(
        store
            .user_by_email(&email("ada.king@example.org")?)
            .await
            .ctx("user_by_email")?,
        None,
        "deleted user's email",
    )?;
    ensure_err(
        store.delete_user(cx(41), u.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store
            .update_user(cx(41), u.id, &UserPatch::default(), &no_effects)
            .await,
        ErrorKind::NotFound,
        "update after delete",
    )?;
    Ok(())
}

/// The same email twice is a `Conflict` on create and update, and changes nothing.
pub async fn user_email_conflict(store: &dyn Store) -> Result<(), Failure> {
    let a = user(store, "A", "a@example.com", 10).await?;
    let b = user(store, "B", "b@example.com", 10).await?;
    let fx = |u: &User| effects_for(EntityKind::User, u.id.get(), at(20));
    ensure_err(
        store
            .create_user(cx(20), &new_user("A2", "A@EXAMPLE.COM", Role::Viewer)?, &fx)
            .await,
        ErrorKind::Conflict,
        "same email on create",
    )?;
    ensure_eq(
        store.users(&UserQuery::all()).await.ctx("users")?.total,
        2,
        "no user written",
    )?;
    let patch = UserPatch {
        name: Some(name("B2")?),
        email: Some(email("a@example.com")?),
        ..UserPatch::default()
    };
    ensure_err(
        store.update_user(cx(30), b.id, &patch, &no_effects).await,
        ErrorKind::Conflict,
        "same email on update",
    )?;
    ensure_eq(
        store.user(b.id).await.ctx("user")?,
        b,
        "user unchanged by a refused update",
    )?;
    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no audit or outbox rows",
    )?;
    let patch = UserPatch {
        email: Some(email("a@example.com")?),
        ..UserPatch::default()
    };
    store
        .update_user(cx(40), a.id, &patch, &no_effects)
        .await
        .ctx("keeping one's own email")?;
    Ok(())
}

/// `only_if_no_admin` creates the first admin, then is a `Conflict`; other users do not
/// count.
pub async fn user_only_if_no_admin(store: &dyn Store) -> Result<(), Failure> {
    user(store, "Manager", "manager@example.com", 0).await?;
    let first = NewUser {
        only_if_no_admin: true,
        ..new_user("Admin", "admin@example.com", Role::Admin)?
    };
    let admin = store
        .create_user(cx(10), &first, &no_effects)
        .await
        .ctx("first admin")?;
    ensure_eq(admin.role, Role::Admin, "first admin's role")?;
    let second = NewUser {
        only_if_no_admin: true,
        ..new_user("Intruder", "intruder@example.com", Role::Admin)?
    };
    ensure_err(
        store.create_user(cx(20), &second, &no_effects).await,
        ErrorKind::Conflict,
        "setup once an admin exists",
    )?;
    ensure_eq(
        store
            .user_by_email(&email("intruder@example.com")?)
            .await
            .ctx("user_by_email")?,
        None,
        "no user written",
    )?;
    let ordinary = new_user("Second admin", "second@example.com", Role::Admin)?;
    store
        .create_user(cx(30), &ordinary, &no_effects)
        .await
        .ctx("a plain create still works")?;
    Ok(())
}

/// The role and active filters, natural order by id, every [`UserSort`] field.
pub async fn user_filters_and_sorts(store: &dyn Store) -> Result<(), Failure> {
    let specs = [
        ("bravo", "delta@example.com", Role::Viewer, true, 30),
        ("alpha", "bravo@example.com", Role::Admin, false, 10),
        ("charlie", "alpha@example.com", Role::Manager, true, 20),
        ("bravo", "charlie@example.com", Role::Admin, true, 40),
    ];
    let mut u = Vec::new();
    for (n, mail, role, active, t) in specs {
        let new = NewUser {
            active,
            ..new_user(n, mail, role)?
        };
        u.push(
            store
                .create_user(cx(t), &new, &no_effects)
                .await
                .ctx("create_user")?,
        );
    }
    let f = UserFilter::default;
    let cases: Vec<(&str, UserFilter, Vec<usize>)> = vec![
        ("nothing", f(), vec![0, 1, 2, 3]),
        (
            "role",
            UserFilter {
                role: Some(Role::Admin),
                ..f()
            },
            vec![1, 3],
        ),
        (
            "active",
            UserFilter {
                active: Some(false),
                ..f()
            },
            vec![1],
        ),
        (
            "role and active",
            UserFilter {
                role: Some(Role::Admin),
                active: Some(true),
            },
            vec![3],
        ),
    ];
    for (what, filter, want) in cases {
        let page = store.users(&UserQuery::filtered(filter)).await.ctx(what)?;
        let want: Vec<i64> = want.iter().map(|x| u[*x].id.get()).collect();
        ensure_eq(
            ids(&page.items, |x| x.id.get()),
            want.clone(),
            format!("users filtered by {what}"),
        )?;
        ensure_eq(
            page.total,
            want.len() as u64,
            format!("total of users filtered by {what}"),
        )?;
    }
    for field in UserSort::ALL {
        for dir in [Direction::Asc, Direction::Desc] {
            let page = store
                .users(&UserQuery::all().sorted(*field, dir))
                .await
                .ctx("users sorted")?;
            ensure_eq(page.items.len(), u.len(), "every user listed")?;
            let key = |x: &User| match field {
                UserSort::Id => Key::Int(x.id.get()),
                UserSort::Name => Key::Str(x.name.as_str().to_owned()),
                UserSort::Email => Key::Str(x.email.as_str().to_owned()),
                UserSort::Role => Key::Str(x.role.as_str().to_owned()),
                UserSort::CreatedAt => Key::Time(x.created_at),
            };
            ensure_sorted(
                &page.items,
                key,
                |x| x.id.get(),
                dir,
                &format!("users by {}", field.name()),
            )?;
        }
    }
    Ok(())
}

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

/// Deleting a user deletes their sessions, tokens and recovery codes; their incidents,
/// incident updates, schedules and schedule updates stay, without an author.
pub async fn delete_user_cascades(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let keep = user(store, "Bob", "bob@example.com", 0).await?;
    let session = store
        .create_session(cx(1), &new_session(u.id, 1, at(10_000)))
        .await
        .ctx("create_session")?;
    let kept_session = store
        .create_session(cx(1), &new_session(keep.id, 2, at(10_000)))
        .await
        .ctx("create_session")?;
    let token = store
        .create_api_token(cx(1), &new_api_token(u.id, 3)?, &no_effects)
        .await
        .ctx("create_api_token")?;
    store
        .replace_recovery_codes(cx(1), u.id, &[hash(4)], &no_effects)
        .await
        .ctx("replace_recovery_codes")?;
    let i = store
        .create_incident(
            cx(2),
            &NewIncident {
                user_id: Some(u.id),
                ..new_incident("Outage", at(2))?
            },
            &no_effects,
        )
        .await
        .ctx("create_incident")?;
    let iu = store
        .create_incident_update(
            cx(3),
            i.id,
            &NewIncidentUpdate {
                user_id: Some(u.id),
                ..new_update(IncidentStatus::Fixed, "ok")?
            },
            &no_effects,
        )
        .await
        .ctx("create_incident_update")?;
    let s = store
        .create_schedule(
            cx(4),
            &NewSchedule {
                user_id: Some(u.id),
                ..new_schedule("Work", at(100))?
            },
            &no_effects,
        )
        .await
        .ctx("create_schedule")?;
    let su = store
        .create_schedule_update(
            cx(5),
            s.id,
            &NewScheduleUpdate {
                message: md("go")?,
                user_id: Some(u.id),
            },
            &no_effects,
        )
        .await
        .ctx("create_schedule_update")?;

    store
        .delete_user(cx(10), u.id, &no_effects)
        .await
        .ctx("delete_user")?;

    ensure_eq(
        store
            .session_by_hash(&session.hash)
            .await
            .ctx("session_by_hash")?,
        None,
        "session gone",
    )?;
    match store.sessions_of(u.id).await {
        Ok(v) => ensure(v.is_empty(), format!("sessions of a deleted user: {v:?}"))?,
        Err(e) => ensure(e.is_not_found(), format!("sessions of a deleted user: {e}"))?,
    }
    ensure_eq(
        store
            .session_by_hash(&kept_session.hash)
            .await
            .ctx("session_by_hash")?,
        Some(kept_session),
        "other user's session kept",
    )?;
    ensure_err(
        store.api_token(token.id).await,
        ErrorKind::NotFound,
        "token of a deleted user",
    )?;
    ensure_eq(
        store
            .api_token_by_hash(&token.hash)
            .await
            .ctx("api_token_by_hash")?,
        None,
        "token hash gone",
    )?;
    match store.recovery_codes_left(u.id).await {
        Ok(n) => ensure_eq(n, 0, "recovery codes of a deleted user")?,
        Err(e) => ensure(
            e.is_not_found(),
            format!("recovery codes of a deleted user: {e}"),
        )?,
    }
    let i2 = store
        .incident(i.id)
        .await
        .ctx("incident of a deleted user")?;
    ensure_eq(i2.user_id, None, "incident without author")?;
    ensure_eq(
        store
            .incident_update(i.id, iu.id)
            .await
            .ctx("incident_update")?
            .user_id,
        None,
        "update without author",
    )?;
    ensure_eq(
        store.schedule(s.id).await.ctx("schedule")?.user_id,
        None,
        "schedule without author",
    )?;
    let sus = store.schedule_updates(s.id).await.ctx("schedule_updates")?;
    ensure_eq(
        sus.iter().map(|x| (x.id, x.user_id)).collect::<Vec<_>>(),
        vec![(su.id, None)],
        "schedule update without author",
    )?;
    ensure(
        store
            .create_user(
                cx(20),
                &new_user("Ada", "ada@example.com", Role::Viewer)?,
                &no_effects,
            )
            .await
            .is_ok(),
        "the email is free again",
    )?;
    Ok(())
}

/// Create, read, look up by hash, list by owner, update (name, last use, revocation) and
/// delete API tokens.
pub async fn api_tokens_crud(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let other = user(store, "Bob", "bob@example.com", 0).await?;
    let new = NewApiToken {
        scope: TokenScope::Admin,
        expires_at: Some(at(86_400)),
        ..new_api_token(u.id, 1)?
    };
    let t = store
        .create_api_token(cx(10), &new, &no_effects)
        .await
        .ctx("create_api_token")?;
    let expected = ApiToken {
        id: t.id,
        user_id: u.id,
        name: new.name.clone(),
        prefix: new.prefix.clone(),
        hash: new.hash,
        scope: TokenScope::Admin,
        expires_at: Some(at(86_400)),
        last_used_at: None,
        revoked_at: None,
        created_at: at(10),
    };
    ensure_eq(&t, &expected, "created token")?;
    ensure_eq(
        store.api_token(t.id).await.ctx("api_token")?,
        expected.clone(),
        "token read back",
    )?;
    ensure_eq(
        store
            .api_token_by_hash(&hash(1))
            .await
            .ctx("api_token_by_hash")?,
        Some(expected.clone()),
        "token by hash",
    )?;
    ensure_eq(
        store
            .api_token_by_hash(&hash(99))
            .await
            .ctx("api_token_by_hash")?,
        None,
        "unknown hash",
    )?;
    let t2 = store
        .create_api_token(cx(11), &new_api_token(other.id, 2)?, &no_effects)
        .await
        .ctx("create_api_token")?;
    let t3 = store
        .create_api_token(cx(12), &new_api_token(u.id, 3)?, &no_effects)
        .await
        .ctx("create_api_token")?;
    let all = store
        .api_tokens(&ApiTokenQuery::all())
        .await
        .ctx("api_tokens")?;
    ensure_eq(
        ids(&all.items, |x| x.id.get()),
        vec![t.id.get(), t2.id.get(), t3.id.get()],
        "tokens by id",
    )?;
    let q = ApiTokenQuery::filtered(ApiTokenFilter {
        user_id: Some(u.id),
    });
    let mine = store.api_tokens(&q).await.ctx("api_tokens")?;
    ensure_eq(
        (ids(&mine.items, |x| x.id.get()), mine.total),
        (vec![t.id.get(), t3.id.get()], 2),
        "tokens by owner",
    )?;
    let patch = ApiTokenPatch {
        name: Some(name("CI")?),
        last_used_at: Some(at(50)),
        revoked_at: Some(at(60)),
    };
    let u2 = store
        .update_api_token(cx(60), t.id, &patch, &no_effects)
        .await
        .ctx("update_api_token")?;
    let expected = ApiToken {
        name: name("CI")?,
        last_used_at: Some(at(50)),
        revoked_at: Some(at(60)),
        ..expected
    };
    ensure_eq(&u2, &expected, "updated token")?;
    ensure_eq(
        store.api_token(t.id).await.ctx("api_token")?,
        expected,
        "updated token read back",
    )?;
    store
        .delete_api_token(cx(70), t.id, &no_effects)
        .await
        .ctx("delete_api_token")?;
    ensure_err(
        store.api_token(t.id).await,
        ErrorKind::NotFound,
        "token after delete",
    )?;
    ensure_eq(
        store
            .api_token_by_hash(&hash(1))
            .await
            .ctx("api_token_by_hash")?,
        None,
        "deleted token's hash",
    )?;
    ensure_err(
        store.delete_api_token(cx(71), t.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store
            .update_api_token(cx(71), t.id, &ApiTokenPatch::default(), &no_effects)
            .await,
        ErrorKind::NotFound,
        "update after delete",
    )?;
    Ok(())
}

/// A token hash is unique (`Conflict`, nothing written); an unknown owner is `Invalid`.
pub async fn api_token_conflict_and_unknown_user(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let other = user(store, "Bob", "bob@example.com", 0).await?;
    let t = store
        .create_api_token(cx(10), &new_api_token(u.id, 1)?, &no_effects)
        .await
        .ctx("create_api_token")?;
    let fx = |t: &ApiToken| effects_for(EntityKind::ApiToken, t.id.get(), at(20));
    ensure_err(
        store
            .create_api_token(cx(20), &new_api_token(other.id, 1)?, &fx)
            .await,
        ErrorKind::Conflict,
        "same hash",
    )?;
    ensure_err(
        store
            .create_api_token(cx(20), &new_api_token(UserId(987_654), 2)?, &fx)
            .await,
        ErrorKind::Invalid,
        "unknown owner",
    )?;
    ensure_eq(
        store
            .api_tokens(&ApiTokenQuery::all())
            .await
            .ctx("api_tokens")?
            .items,
        vec![t.clone()],
        "only the first token",
    )?;
    ensure_eq(
        store
            .api_token_by_hash(&hash(1))
            .await
            .ctx("api_token_by_hash")?,
        Some(t),
        "hash still names the first",
    )?;
    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no audit or outbox rows",
    )?;
    Ok(())
}

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

/// Replacing a password keeps the replaced hash, newest first, at most
/// [`PASSWORD_HISTORY_LEN`] of them; other patches add nothing; deleting the user forgets them.
pub async fn password_history_keeps_the_newest_replaced_hashes(
    store: &dyn Store,
) -> Result<(), Failure> {
    let u = user(store, "Grace", "grace@example.com", 10).await?;
    let other = user(store, "Alan", "alan@example.com", 10).await?;
    ensure_eq(
        store.password_history(u.id).await.ctx("password_history")?,
        vec![],
        "a new user has no history",
    )?;
    let rename = UserPatch {
        name: Some(name("Grace H.")?),
        ..UserPatch::default()
    };
    store
        .update_user(cx(11), u.id, &rename, &no_effects)
        .await
        .ctx("update_user")?;
    ensure_eq(
        store.password_history(u.id).await.ctx("password_history")?,
        vec![],
        "a patch without a password keeps no history",
    )?;
    let mut current = u.password_hash.clone();
    let mut replaced = Vec::new();
    for n in 0..(PASSWORD_HISTORY_LEN + 2) {
        let next = PasswordHash(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${n:04}"));
        let patch = UserPatch {
            password_hash: Some(next.clone()),
            ..UserPatch::default()
        };
        let i = i64::try_from(n).unwrap_or(0);
        store
            .update_user(cx(20 + i), u.id, &patch, &no_effects)
            .await
            .ctx("update_user")?;
        replaced.insert(0, current);
        current = next;
    }
    replaced.truncate(PASSWORD_HISTORY_LEN);
    ensure_eq(
        store.password_history(u.id).await.ctx("password_history")?,
        replaced,
        "the newest replaced hashes, newest first",
    )?;
    ensure_eq(
        store
            .password_history(other.id)
            .await
            .ctx("password_history")?,
        vec![],
        "another user's history is untouched",
    )?;
    store
        .delete_user(cx(40), u.id, &no_effects)
        .await
        .ctx("delete_user")?;
    ensure_eq(
        store.password_history(u.id).await.ctx("password_history")?,
        vec![],
        "a deleted user's history is gone",
    )?;
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
