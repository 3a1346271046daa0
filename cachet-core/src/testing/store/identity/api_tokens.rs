//! API tokens: CRUD, hash conflicts and unknown owners.

use super::*;

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
