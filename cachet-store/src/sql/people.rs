//! Users (passwords, two-factor secrets, recovery codes), API tokens, sessions and one-time tokens.

use cachet_core::model::*;
use cachet_core::store::{Changed, EffectsFn, Page, StoreResult, WriteContext, query::*};
use cachet_core::validate::Email;

use super::{apply_effects, bump, check_user, exists, order_or, page_of};
use crate::args::{Where, args, sort_clause};
use crate::error::{backend, conflict, not_found, unique};
use crate::rows::*;
use crate::sql::Dialect;

/// Keeps a replaced (argon2) password hash in the user's history and forgets all but the newest
/// `PASSWORD_HISTORY_LEN` (two portable statements: MySQL refuses `LIMIT` in an `IN`
/// subquery on the table being deleted from).
async fn remember_password<D: Dialect>(
    c: &mut D::Conn,
    user: UserId,
    hash: &PasswordHash,
    now: Timestamp,
) -> StoreResult<()> {
    D::exec(
        c,
        D::sql("INSERT INTO cachet_password_history (user_id, password_hash, created_at) VALUES (?, ?, ?)"),
        args![user.0, hash.0.as_str(), now],
    )
    .await?;
    let ids: Vec<(i64,)> = D::fetch(
        c,
        D::sql("SELECT id FROM cachet_password_history WHERE user_id = ? ORDER BY id DESC"),
        args![user.0],
    )
    .await?;
    if let Some((oldest_kept,)) = ids.get(PASSWORD_HISTORY_LEN - 1) {
        D::exec(
            c,
            D::sql("DELETE FROM cachet_password_history WHERE user_id = ? AND id < ?"),
            args![user.0, *oldest_kept],
        )
        .await?;
    }
    Ok(())
}

async fn get_user<D: Dialect>(c: &mut D::Conn, id: UserId) -> StoreResult<User> {
    D::fetch_opt::<UserRow>(
        c,
        D::sql("SELECT * FROM cachet_users WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("user", id.0))?
    .into_model()
}

async fn get_api_token<D: Dialect>(c: &mut D::Conn, id: ApiTokenId) -> StoreResult<ApiToken> {
    D::fetch_opt::<ApiTokenRow>(
        c,
        D::sql("SELECT * FROM cachet_api_tokens WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("api_token", id.0))?
    .into_model()
}

async fn get_session<D: Dialect>(c: &mut D::Conn, id: SessionId) -> StoreResult<Session> {
    D::fetch_opt::<SessionRow>(
        c,
        D::sql("SELECT * FROM cachet_sessions WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("session", id.0))?
    .into_model()
}

// ---- users and two-factor sign-in (the `Store` methods) ----------------------------------------

pub(crate) async fn user<D: Dialect>(db: &D, id: UserId) -> StoreResult<User> {
    let mut c = db.read().await?;
    get_user::<D>(&mut c, id).await
}

pub(crate) async fn user_by_email<D: Dialect>(db: &D, email: &Email) -> StoreResult<Option<User>> {
    let mut c = db.read().await?;
    D::fetch_opt::<UserRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_users WHERE email = ?"),
        args![email.as_str()],
    )
    .await?
    .map(UserRow::into_model)
    .transpose()
}

pub(crate) async fn users<D: Dialect>(db: &D, q: &UserQuery) -> StoreResult<Page<User>> {
    let mut w = Where::default();
    if let Some(v) = q.filter.role {
        w.eq("role", v.as_str());
    }
    if let Some(v) = q.filter.active {
        w.eq("active", v);
    }
    let order = order_or(
        q.sort.map(|(s, d)| match s {
            UserSort::Id => sort_clause("id", false, d),
            UserSort::Name => sort_clause("name", false, d),
            UserSort::Email => sort_clause("email", false, d),
            UserSort::Role => sort_clause("role", false, d),
            UserSort::CreatedAt => sort_clause("created_at", false, d),
        }),
        "id ASC",
    );
    let mut c = db.read().await?;
    let (rows, total) = page_of::<D, UserRow>(&mut c, "cachet_users", &w, &order, q.page).await?;
    Ok(Page {
        items: models(rows, UserRow::into_model)?,
        total,
        request: q.page,
    })
}

pub(crate) async fn create_user<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewUser,
    fx: &EffectsFn<'_, User>,
) -> StoreResult<User> {
    const TAKEN: &str = "email already exists";
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    if new.only_if_no_admin {
        let admins = D::int(
            &mut tx,
            D::sql("SELECT COUNT(*) FROM cachet_users WHERE role = ?"),
            args![Role::Admin.as_str()],
        )
        .await?;
        if admins > 0 {
            return Err(conflict("user", "an admin already exists"));
        }
    }
    if D::int(
        &mut tx,
        D::sql("SELECT COUNT(*) FROM cachet_users WHERE email = ?"),
        args![new.email.as_str()],
    )
    .await?
        > 0
    {
        return Err(conflict("user", TAKEN));
    }
    let id = D::insert_id(
        &mut tx,
        "INSERT INTO cachet_users (name, email, role, password_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![new.name.as_str(), new.email.as_str(), new.role.as_str(), new.password_hash.0.as_str(), new.active, cx.now, cx.now],
    )
    .await
    .map_err(unique("user", TAKEN))?;
    let user = User {
        id: UserId(id),
        name: new.name.clone(),
        email: new.email.clone(),
        role: new.role,
        password_hash: new.password_hash.clone(),
        active: new.active,
        totp: None,
        last_login_at: None,
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&user)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(user)
}

pub(crate) async fn update_user<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: UserId,
    patch: &UserPatch,
    fx: &EffectsFn<'_, Changed<User>>,
) -> StoreResult<User> {
    const TAKEN: &str = "email already exists";
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_user::<D>(&mut tx, id).await?;
    if let Some(email) = &patch.email {
        let taken = D::int(
            &mut tx,
            D::sql("SELECT COUNT(*) FROM cachet_users WHERE email = ? AND id <> ?"),
            args![email.as_str(), id.0],
        )
        .await?;
        if taken > 0 {
            return Err(conflict("user", TAKEN));
        }
    }
    let mut after = before.clone();
    patch.apply_to(&mut after);
    after.updated_at = cx.now;
    let totp = after.totp.as_ref();
    D::execute(&mut tx, D::sql("UPDATE cachet_users SET name = ?, email = ?, role = ?, password_hash = ?, active = ?, totp_key_id = ?, \
                               totp_secret = ?, totp_confirmed_at = ?, totp_last_step = ?, last_login_at = ?, updated_at = ? WHERE id = ?"), args![
            after.name.as_str(),
            after.email.as_str(),
            after.role.as_str(),
            after.password_hash.0.as_str(),
            after.active,
            totp.map(|t| i64::from(t.secret.key_id)),
            totp.map(|t| &t.secret.ciphertext[..]),
            totp.and_then(|t| t.confirmed_at),
            totp.and_then(|t| t.last_step),
            after.last_login_at,
            after.updated_at,
            id.0,
        ]).await.map_err(unique("user", TAKEN))?;
    if patch.password_hash.is_some() && before.password_hash.is_argon2() {
        remember_password::<D>(&mut tx, id, &before.password_hash, cx.now).await?;
    }
    apply_effects::<D>(
        &mut tx,
        cx.now,
        fx(&Changed {
            before,
            after: after.clone(),
        }),
    )
    .await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(after)
}

pub(crate) async fn delete_user<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: UserId,
    fx: &EffectsFn<'_, User>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let user = get_user::<D>(&mut tx, id).await?;
    for s in [
        "DELETE FROM cachet_sessions WHERE user_id = ?",
        "DELETE FROM cachet_api_tokens WHERE user_id = ?",
        "DELETE FROM cachet_recovery_codes WHERE user_id = ?",
        "DELETE FROM cachet_password_history WHERE user_id = ?",
        "UPDATE cachet_incidents SET user_id = NULL WHERE user_id = ?",
        "UPDATE cachet_incident_updates SET user_id = NULL WHERE user_id = ?",
        "UPDATE cachet_schedules SET user_id = NULL WHERE user_id = ?",
        "UPDATE cachet_schedule_updates SET user_id = NULL WHERE user_id = ?",
        "UPDATE cachet_status_changes SET cause_user_id = NULL WHERE cause_user_id = ?",
        "DELETE FROM cachet_users WHERE id = ?",
    ] {
        D::exec(&mut tx, D::sql(s), args![id.0]).await?;
    }
    apply_effects::<D>(&mut tx, cx.now, fx(&user)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn password_history<D: Dialect>(
    db: &D,
    user: UserId,
) -> StoreResult<Vec<PasswordHash>> {
    let mut c = db.read().await?;
    let rows: Vec<(String,)> = D::fetch(
        &mut c,
        D::sql(
            "SELECT password_hash FROM cachet_password_history WHERE user_id = ? ORDER BY id DESC",
        ),
        args![user.0],
    )
    .await?;
    Ok(rows
        .into_iter()
        .take(PASSWORD_HISTORY_LEN)
        .map(|(h,)| PasswordHash(h))
        .collect())
}

pub(crate) async fn accept_totp_step<D: Dialect>(
    db: &D,
    user: UserId,
    step: i64,
) -> StoreResult<bool> {
    let mut c = db.write().await?;
    let changed = D::exec(
        &mut c,
        D::sql(
            "UPDATE cachet_users SET totp_last_step = ? WHERE id = ? AND totp_key_id IS NOT NULL \
             AND (totp_last_step IS NULL OR totp_last_step < ?)",
        ),
        args![step, user.0, step],
    )
    .await?;
    if changed > 0 {
        return Ok(true);
    }
    if exists::<D>(
        &mut c,
        "SELECT COUNT(*) FROM cachet_users WHERE id = ?",
        user.0,
    )
    .await?
    {
        Ok(false)
    } else {
        Err(not_found("user", user.0))
    }
}

pub(crate) async fn replace_recovery_codes<D: Dialect>(
    db: &D,
    cx: WriteContext,
    user: UserId,
    codes: &[TokenHash],
    fx: &EffectsFn<'_, UserId>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    if !exists::<D>(
        &mut tx,
        "SELECT COUNT(*) FROM cachet_users WHERE id = ?",
        user.0,
    )
    .await?
    {
        return Err(not_found("user", user.0));
    }
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_recovery_codes WHERE user_id = ?"),
        args![user.0],
    )
    .await?;
    for code in codes {
        D::exec(
            &mut tx,
            D::sql(
                "INSERT INTO cachet_recovery_codes (user_id, hash, used_at) VALUES (?, ?, NULL)",
            ),
            args![user.0, &code.0[..]],
        )
        .await?;
    }
    apply_effects::<D>(&mut tx, cx.now, fx(&user)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn use_recovery_code<D: Dialect>(
    db: &D,
    cx: WriteContext,
    user: UserId,
    code: &TokenHash,
    fx: &EffectsFn<'_, UserId>,
) -> StoreResult<bool> {
    let mut tx = db.begin().await?;
    // Bumped first, as every content write does (a consistent lock order); a code
    // that matches nothing rolls the bump back.
    bump::<D>(&mut tx).await?;
    if !exists::<D>(
        &mut tx,
        "SELECT COUNT(*) FROM cachet_users WHERE id = ?",
        user.0,
    )
    .await?
    {
        return Err(not_found("user", user.0));
    }
    let row: Option<(i64,)> = D::fetch_opt(
        &mut tx,
        D::dyn_sql(format!(
            "SELECT id FROM cachet_recovery_codes WHERE user_id = ? AND hash = ? AND used_at IS NULL ORDER BY id LIMIT 1{}",
            D::FOR_UPDATE
        )),
        args![user.0, &code.0[..]],
    )
    .await?;
    // A code that matches nothing ends the transaction here (the revision bump
    // rolled back at once, not whenever the pool next touches the connection).
    let Some((code_id,)) = row else {
        D::rollback(tx).await.map_err(backend)?;
        return Ok(false);
    };
    let used = D::exec(
        &mut tx,
        D::sql("UPDATE cachet_recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL"),
        args![cx.now, code_id],
    )
    .await?;
    if used == 0 {
        D::rollback(tx).await.map_err(backend)?;
        return Ok(false);
    }
    apply_effects::<D>(&mut tx, cx.now, fx(&user)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(true)
}

pub(crate) async fn recovery_codes_left<D: Dialect>(db: &D, user: UserId) -> StoreResult<u32> {
    let mut c = db.read().await?;
    if !exists::<D>(
        &mut c,
        "SELECT COUNT(*) FROM cachet_users WHERE id = ?",
        user.0,
    )
    .await?
    {
        return Err(not_found("user", user.0));
    }
    let n = D::int(
        &mut c,
        D::sql("SELECT COUNT(*) FROM cachet_recovery_codes WHERE user_id = ? AND used_at IS NULL"),
        args![user.0],
    )
    .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

// ---- API tokens (the `Store` methods) ----------------------------------------------------------

pub(crate) async fn api_token<D: Dialect>(db: &D, id: ApiTokenId) -> StoreResult<ApiToken> {
    let mut c = db.read().await?;
    get_api_token::<D>(&mut c, id).await
}

pub(crate) async fn api_token_by_hash<D: Dialect>(
    db: &D,
    hash: &TokenHash,
) -> StoreResult<Option<ApiToken>> {
    let mut c = db.read().await?;
    D::fetch_opt::<ApiTokenRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_api_tokens WHERE hash = ?"),
        args![&hash.0[..]],
    )
    .await?
    .map(ApiTokenRow::into_model)
    .transpose()
}

pub(crate) async fn api_tokens<D: Dialect>(
    db: &D,
    q: &ApiTokenQuery,
) -> StoreResult<Page<ApiToken>> {
    let mut w = Where::default();
    if let Some(u) = q.filter.user_id {
        w.eq("user_id", u.0);
    }
    let order = order_or(
        q.sort.map(|(NoSort::Id, d)| sort_clause("id", false, d)),
        "id ASC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, ApiTokenRow>(&mut c, "cachet_api_tokens", &w, &order, q.page).await?;
    Ok(Page {
        items: models(rows, ApiTokenRow::into_model)?,
        total,
        request: q.page,
    })
}

pub(crate) async fn create_api_token<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewApiToken,
    fx: &EffectsFn<'_, ApiToken>,
) -> StoreResult<ApiToken> {
    const TAKEN: &str = "hash already exists";
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    if D::int(
        &mut tx,
        D::sql("SELECT COUNT(*) FROM cachet_api_tokens WHERE hash = ?"),
        args![&new.hash.0[..]],
    )
    .await?
        > 0
    {
        return Err(conflict("api_token", TAKEN));
    }
    check_user::<D>(&mut tx, Some(new.user_id)).await?;
    let id = D::insert_id(
        &mut tx,
        "INSERT INTO cachet_api_tokens (user_id, name, prefix, hash, scope, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![new.user_id.0, new.name.as_str(), new.prefix.as_str(), &new.hash.0[..], new.scope.as_str(), new.expires_at, cx.now],
    )
    .await
    .map_err(unique("api_token", TAKEN))?;
    let token = ApiToken {
        id: ApiTokenId(id),
        user_id: new.user_id,
        name: new.name.clone(),
        prefix: new.prefix.clone(),
        hash: new.hash,
        scope: new.scope,
        expires_at: new.expires_at,
        last_used_at: None,
        revoked_at: None,
        created_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&token)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(token)
}

pub(crate) async fn update_api_token<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: ApiTokenId,
    patch: &ApiTokenPatch,
    fx: &EffectsFn<'_, Changed<ApiToken>>,
) -> StoreResult<ApiToken> {
    let mut tx = db.begin().await?;
    // Only the last use: bookkeeping, not content.
    if patch.name.is_some() || patch.revoked_at.is_some() {
        bump::<D>(&mut tx).await?;
    }
    let before = get_api_token::<D>(&mut tx, id).await?;
    let mut after = before.clone();
    patch.apply_to(&mut after);
    D::exec(
        &mut tx,
        D::sql(
            "UPDATE cachet_api_tokens SET name = ?, last_used_at = ?, revoked_at = ? WHERE id = ?",
        ),
        args![
            after.name.as_str(),
            after.last_used_at,
            after.revoked_at,
            id.0
        ],
    )
    .await?;
    apply_effects::<D>(
        &mut tx,
        cx.now,
        fx(&Changed {
            before,
            after: after.clone(),
        }),
    )
    .await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(after)
}

pub(crate) async fn delete_api_token<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: ApiTokenId,
    fx: &EffectsFn<'_, ApiToken>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let token = get_api_token::<D>(&mut tx, id).await?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_api_tokens WHERE id = ?"),
        args![id.0],
    )
    .await?;
    apply_effects::<D>(&mut tx, cx.now, fx(&token)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

// ---- sessions (the `Store` methods) ------------------------------------------------------------

pub(crate) async fn session_by_hash<D: Dialect>(
    db: &D,
    hash: &TokenHash,
) -> StoreResult<Option<Session>> {
    let mut c = db.read().await?;
    D::fetch_opt::<SessionRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_sessions WHERE hash = ?"),
        args![&hash.0[..]],
    )
    .await?
    .map(SessionRow::into_model)
    .transpose()
}

pub(crate) async fn sessions_of<D: Dialect>(db: &D, user: UserId) -> StoreResult<Vec<Session>> {
    let mut c = db.read().await?;
    let rows = D::fetch::<SessionRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_sessions WHERE user_id = ? ORDER BY id"),
        args![user.0],
    )
    .await?;
    models(rows, SessionRow::into_model)
}

pub(crate) async fn create_session<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewSession,
) -> StoreResult<Session> {
    const TAKEN: &str = "hash already exists";
    let mut tx = db.begin().await?;
    check_user::<D>(&mut tx, Some(new.user_id)).await?;
    if D::int(
        &mut tx,
        D::sql("SELECT COUNT(*) FROM cachet_sessions WHERE hash = ?"),
        args![&new.hash.0[..]],
    )
    .await?
        > 0
    {
        return Err(conflict("session", TAKEN));
    }
    let id = D::insert_id(
        &mut tx,
        "INSERT INTO cachet_sessions (hash, user_id, pending_second_factor, created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            &new.hash.0[..],
            new.user_id.0,
            new.pending_second_factor,
            cx.now,
            cx.now,
            new.expires_at,
            new.ip.as_deref(),
            new.user_agent.as_deref(),
        ],
    )
    .await
    .map_err(unique("session", TAKEN))?;
    D::commit(tx).await.map_err(backend)?;
    Ok(Session {
        id: SessionId(id),
        hash: new.hash,
        user_id: new.user_id,
        pending_second_factor: new.pending_second_factor,
        created_at: cx.now,
        last_seen_at: cx.now,
        expires_at: new.expires_at,
        ip: new.ip.clone(),
        user_agent: new.user_agent.clone(),
    })
}

pub(crate) async fn update_session<D: Dialect>(
    db: &D,
    id: SessionId,
    patch: &SessionPatch,
) -> StoreResult<Session> {
    let mut tx = db.begin().await?;
    let mut session = get_session::<D>(&mut tx, id).await?;
    patch.apply_to(&mut session);
    D::exec(
        &mut tx,
        D::sql(
            "UPDATE cachet_sessions SET last_seen_at = ?, pending_second_factor = ? WHERE id = ?",
        ),
        args![session.last_seen_at, session.pending_second_factor, id.0],
    )
    .await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(session)
}

pub(crate) async fn delete_session<D: Dialect>(db: &D, id: SessionId) -> StoreResult<()> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql("DELETE FROM cachet_sessions WHERE id = ?"),
        args![id.0],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete_sessions_of<D: Dialect>(
    db: &D,
    user: UserId,
    except: Option<SessionId>,
) -> StoreResult<u64> {
    let mut c = db.write().await?;
    match except {
        Some(keep) => {
            D::exec(
                &mut c,
                D::sql("DELETE FROM cachet_sessions WHERE user_id = ? AND id <> ?"),
                args![user.0, keep.0],
            )
            .await
        }
        None => {
            D::exec(
                &mut c,
                D::sql("DELETE FROM cachet_sessions WHERE user_id = ?"),
                args![user.0],
            )
            .await
        }
    }
}

pub(crate) async fn delete_expired_sessions<D: Dialect>(
    db: &D,
    now: Timestamp,
) -> StoreResult<u64> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql("DELETE FROM cachet_sessions WHERE expires_at <= ?"),
        args![now],
    )
    .await
}

// ---- one-time tokens (the `Store` methods) -----------------------------------------------------

pub(crate) async fn end_one_time_tokens<D: Dialect>(
    db: &D,
    purpose: TokenPurpose,
    subject: i64,
    now: Timestamp,
) -> StoreResult<u64> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql("UPDATE cachet_one_time_tokens SET used_at = ? WHERE purpose = ? AND subject_id = ? AND used_at IS NULL"),
        args![now, purpose.as_str(), subject],
    )
    .await
}

pub(crate) async fn create_one_time_token<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewOneTimeToken,
) -> StoreResult<OneTimeToken> {
    const TAKEN: &str = "hash already exists";
    let mut tx = db.begin().await?;
    if D::int(
        &mut tx,
        D::sql("SELECT COUNT(*) FROM cachet_one_time_tokens WHERE hash = ?"),
        args![&new.hash.0[..]],
    )
    .await?
        > 0
    {
        return Err(conflict("one_time_token", TAKEN));
    }
    let id = D::insert_id(
        &mut tx,
        "INSERT INTO cachet_one_time_tokens (purpose, hash, subject_id, payload, expires_at, used_at, created_at) \
         VALUES (?, ?, ?, ?, ?, NULL, ?)",
        args![new.purpose.as_str(), &new.hash.0[..], new.subject_id, new.payload.to_string(), new.expires_at, cx.now],
    )
    .await
    .map_err(unique("one_time_token", TAKEN))?;
    D::commit(tx).await.map_err(backend)?;
    Ok(OneTimeToken {
        id: OneTimeTokenId(id),
        purpose: new.purpose,
        hash: new.hash,
        subject_id: new.subject_id,
        payload: new.payload.clone(),
        expires_at: new.expires_at,
        used_at: None,
        created_at: cx.now,
    })
}

pub(crate) async fn consume_one_time_token<D: Dialect>(
    db: &D,
    purpose: TokenPurpose,
    hash: &TokenHash,
    now: Timestamp,
) -> StoreResult<Option<OneTimeToken>> {
    let mut tx = db.begin().await?;
    let used = D::exec(
        &mut tx,
        D::sql("UPDATE cachet_one_time_tokens SET used_at = ? WHERE purpose = ? AND hash = ? AND used_at IS NULL AND expires_at > ?"),
        args![now, purpose.as_str(), &hash.0[..], now],
    )
    .await?;
    if used == 0 {
        D::rollback(tx).await.map_err(backend)?;
        return Ok(None);
    }
    let token = D::fetch_opt::<OneTimeTokenRow>(
        &mut tx,
        D::sql("SELECT * FROM cachet_one_time_tokens WHERE hash = ?"),
        args![&hash.0[..]],
    )
    .await?
    .map(OneTimeTokenRow::into_model)
    .transpose()?;
    D::commit(tx).await.map_err(backend)?;
    Ok(token)
}

pub(crate) async fn peek_one_time_token<D: Dialect>(
    db: &D,
    purpose: TokenPurpose,
    hash: &TokenHash,
    now: Timestamp,
) -> StoreResult<Option<OneTimeToken>> {
    let mut c = db.read().await?;
    D::fetch_opt::<OneTimeTokenRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_one_time_tokens WHERE purpose = ? AND hash = ? AND used_at IS NULL AND expires_at > ?"),
        args![purpose.as_str(), &hash.0[..], now],
    )
    .await?
    .map(OneTimeTokenRow::into_model)
    .transpose()
}

pub(crate) async fn prune_one_time_tokens<D: Dialect>(db: &D, now: Timestamp) -> StoreResult<u64> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql("DELETE FROM cachet_one_time_tokens WHERE used_at IS NOT NULL OR expires_at <= ?"),
        args![now],
    )
    .await
}
