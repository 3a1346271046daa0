//! Mapping driver errors onto [`StoreError`].

use cachet_core::store::StoreError;
use sqlx::error::ErrorKind;

/// Maps a driver error: unique violations become `Conflict` (with a generic detail; call sites
/// that know the rule use [`unique`]), foreign-key and check violations `Invalid`, pool
/// timeouts and I/O or TLS failures `Unavailable` (a TLS failure with a [`TlsError`] naming
/// its cause as the source), anything else `Backend`. The `sqlx::Error` stays the source.
///
/// [`TlsError`]: crate::TlsError
pub(crate) fn backend(err: sqlx::Error) -> StoreError {
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    let err = match crate::tls::TlsError::classify(err) {
        Ok(tls) => {
            return StoreError::Unavailable {
                source: Box::new(tls),
            };
        }
        Err(err) => err,
    };
    match &err {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => StoreError::Conflict {
                entity: "record",
                detail: "already exists",
            },
            ErrorKind::ForeignKeyViolation => StoreError::Invalid {
                detail: "unknown reference",
            },
            ErrorKind::CheckViolation | ErrorKind::NotNullViolation => StoreError::Invalid {
                detail: "constraint violated",
            },
            _ => StoreError::Backend {
                source: Box::new(err),
            },
        },
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => StoreError::Unavailable {
            source: Box::new(err),
        },
        _ => StoreError::Backend {
            source: Box::new(err),
        },
    }
}

/// Maps a driver error at an insert or update guarded by a unique index: a unique violation
/// (a race that slipped past the explicit check) becomes `Conflict { entity, detail }`, the
/// same error the explicit check returns.
pub(crate) fn unique(
    entity: &'static str,
    detail: &'static str,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| match &err {
        sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation => {
            StoreError::Conflict { entity, detail }
        }
        _ => backend(err),
    }
}

/// `NotFound` for an entity and id.
pub(crate) fn not_found(entity: &'static str, id: i64) -> StoreError {
    StoreError::NotFound { entity, id }
}

/// `Invalid` for a broken reference.
pub(crate) fn invalid(detail: &'static str) -> StoreError {
    StoreError::Invalid { detail }
}

/// `Conflict` for a uniqueness or compare-and-set rule.
pub(crate) fn conflict(entity: &'static str, detail: &'static str) -> StoreError {
    StoreError::Conflict { entity, detail }
}

/// A failure to open a pool: `Unavailable`, with a TLS failure's cause named as in
/// [`backend`].
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn connect(err: sqlx::Error) -> StoreError {
    match crate::tls::TlsError::classify(err) {
        Ok(tls) => setup(tls),
        Err(err) => setup(err),
    }
}

/// A connect or migrate failure.
pub(crate) fn setup(err: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Unavailable {
        source: Box::new(err),
    }
}

/// Whether a store error is a deadlock or serialization failure that the database resolved
/// by aborting our transaction (SQLSTATE 40001 on MySQL/MariaDB and PostgreSQL, 40P01 on
/// PostgreSQL): retrying the whole transaction is then safe and expected to succeed.
pub(crate) fn is_transaction_conflict(err: &StoreError) -> bool {
    let StoreError::Backend { source } = err else {
        return false;
    };
    match source.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(db)) => {
            matches!(db.code().as_deref(), Some("40001" | "40P01"))
        }
        _ => false,
    }
}
