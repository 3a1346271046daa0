//! Users: CRUD, email conflicts, the first admin, filters and sorts, what deleting one
//! removes, and the password history.

use super::*;

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
        ensure_filtered(&page, |x| x.id.get(), &want, "users", what)?;
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

/// A replaced hash that is not argon2 (an imported Cachet user's bcrypt hash, replaced at
/// their first sign-in) is not kept in the history: no weaker hash outlives that sign-in.
pub async fn password_history_drops_replaced_non_argon2_hashes(
    store: &dyn Store,
) -> Result<(), Failure> {
    let u = user(store, "Ada", "ada@example.com", 10).await?;
    let bcrypt = PasswordHash(format!("$2y$10${}", "a".repeat(53)));
    let argon = PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bmV3".to_owned());
    for (t, next) in [(11, bcrypt), (12, argon)] {
        let patch = UserPatch {
            password_hash: Some(next),
            ..UserPatch::default()
        };
        store
            .update_user(cx(t), u.id, &patch, &no_effects)
            .await
            .ctx("update_user")?;
    }
    ensure_eq(
        store.password_history(u.id).await.ctx("password_history")?,
        vec![u.password_hash],
        "only the replaced argon2 hash is kept",
    )?;
    Ok(())
}
