//! Idempotency keys of API writes.
//!
//! A claim first tries a plain insert that does nothing on a duplicate key
//! ([`Dialect::INSERT_IDEMPOTENCY_KEY`]), so of several concurrent claims of an absent key
//! exactly one inserts, on every backend and without a lock on a row that does not exist yet.
//! Only a key that is already there is read, locked, and perhaps taken over, in a transaction.

use cachet_core::model::*;
use cachet_core::store::StoreResult;

use crate::args::args;
use crate::error::backend;
use crate::rows::*;
use crate::sql::Dialect;

/// How often a claim looks again when the key it found vanished before it could lock it (a
/// concurrent prune or release).
const CLAIM_ROUNDS: usize = 3;

pub(crate) async fn claim_idempotency_key<D: Dialect>(
    db: &D,
    claim: &IdempotencyClaim,
) -> StoreResult<IdempotencyOutcome> {
    for _ in 0..CLAIM_ROUNDS {
        let inserted = {
            let mut c = db.write().await?;
            D::exec(
                &mut c,
                D::sql(D::INSERT_IDEMPOTENCY_KEY),
                args![
                    claim.key.as_str(),
                    claim.fingerprint.as_str(),
                    claim.now,
                    claim.lease_until
                ],
            )
            .await?
        };
        if inserted == 1 {
            return Ok(IdempotencyOutcome::Started);
        }
        if let Some(outcome) = claim_existing(db, claim).await? {
            return Ok(outcome);
        }
    }
    // The key keeps vanishing between the insert and the read: someone else is working it.
    Ok(IdempotencyOutcome::InFlight)
}

/// The claim of a key that was already recorded; `None` when it is gone by the time it is
/// locked.
async fn claim_existing<D: Dialect>(
    db: &D,
    claim: &IdempotencyClaim,
) -> StoreResult<Option<IdempotencyOutcome>> {
    let mut tx = db.begin().await?;
    let s = format!(
        "SELECT fingerprint, created_at, lease_until, answer_status, answer_content_type, \
         answer_location, answer_body FROM cachet_idempotency_keys WHERE idempotency_key = ?{}",
        D::FOR_UPDATE
    );
    let Some(row) =
        D::fetch_opt::<IdempotencyRow>(&mut tx, D::dyn_sql(s), args![claim.key.as_str()]).await?
    else {
        return Ok(None);
    };
    let outcome = match claim.step(&row.into_model()?) {
        IdempotencyStep::StartOver => {
            D::exec(
                &mut tx,
                D::sql(
                    "UPDATE cachet_idempotency_keys SET fingerprint = ?, created_at = ?, \
                     lease_until = ?, answer_status = NULL, answer_content_type = NULL, \
                     answer_location = NULL, answer_body = NULL WHERE idempotency_key = ?",
                ),
                args![
                    claim.fingerprint.as_str(),
                    claim.now,
                    claim.lease_until,
                    claim.key.as_str()
                ],
            )
            .await?;
            IdempotencyOutcome::Started
        }
        IdempotencyStep::TakeOver => {
            D::exec(
                &mut tx,
                D::sql(
                    "UPDATE cachet_idempotency_keys SET lease_until = ? WHERE idempotency_key = ?",
                ),
                args![claim.lease_until, claim.key.as_str()],
            )
            .await?;
            IdempotencyOutcome::Started
        }
        IdempotencyStep::Answer(outcome) => outcome,
    };
    D::commit(tx).await.map_err(backend)?;
    Ok(Some(outcome))
}

pub(crate) async fn finish_idempotency_key<D: Dialect>(
    db: &D,
    key: &str,
    fingerprint: &str,
    answer: &IdempotentAnswer,
) -> StoreResult<()> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql(
            "UPDATE cachet_idempotency_keys SET answer_status = ?, answer_content_type = ?, \
             answer_location = ?, answer_body = ? WHERE idempotency_key = ? AND fingerprint = ?",
        ),
        args![
            i64::from(answer.status),
            answer.content_type.as_deref(),
            answer.location.as_deref(),
            answer.body.as_slice(),
            key,
            fingerprint
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn release_idempotency_key<D: Dialect>(
    db: &D,
    key: &str,
    fingerprint: &str,
) -> StoreResult<()> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql(
            "DELETE FROM cachet_idempotency_keys WHERE idempotency_key = ? AND fingerprint = ? \
             AND answer_status IS NULL",
        ),
        args![key, fingerprint],
    )
    .await?;
    Ok(())
}

pub(crate) async fn prune_idempotency_keys<D: Dialect>(
    db: &D,
    before: Timestamp,
) -> StoreResult<u64> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql("DELETE FROM cachet_idempotency_keys WHERE created_at < ?"),
        args![before],
    )
    .await
}
