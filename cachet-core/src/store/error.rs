//! Store errors.

/// A boxed error from a storage driver.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// What can go wrong in a store. Messages name the entity and the rule, never a value that
/// could be secret; the driver's error is kept as the [`source`](std::error::Error::source)
/// for logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such entity.
    #[error("{entity} {id} not found")]
    NotFound {
        /// The kind of entity (`component`, `incident`, ...).
        entity: &'static str,
        /// The id that was asked for.
        id: i64,
    },
    /// A uniqueness rule or a compare-and-set condition was violated.
    #[error("{entity} conflicts: {detail}")]
    Conflict {
        /// The kind of entity.
        entity: &'static str,
        /// Which rule (`slug already exists`, `status changed`), never the value.
        detail: &'static str,
    },
    /// A reference to another entity does not hold (unknown group, component, user ...).
    #[error("invalid reference: {detail}")]
    Invalid {
        /// Which reference.
        detail: &'static str,
    },
    /// A stored row does not pass the model's validation (tampering or a bug).
    #[error("stored {entity} is corrupt: {detail}")]
    Corrupt {
        /// The kind of entity.
        entity: &'static str,
        /// What failed to validate.
        detail: String,
    },
    /// The backend cannot be reached right now (pool timeout, I/O); retrying may help.
    #[error("store unavailable")]
    Unavailable {
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The backend does not implement this optional area (a custom store that keeps a
    /// method's default, such as [`RateLimitStore::hit_rate_limit`](super::RateLimitStore)).
    /// Callers fall back to what works without it.
    #[error("the store does not support {feature}")]
    Unsupported {
        /// What is missing.
        feature: &'static str,
    },
    /// Any other backend failure.
    #[error("store backend error")]
    Backend {
        /// The driver's error.
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// Whether retrying the operation may succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// Whether this is [`StoreError::NotFound`].
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// Whether this is [`StoreError::Conflict`].
    #[must_use]
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }

    /// Whether this is [`StoreError::Unsupported`].
    #[must_use]
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Self::Unsupported { .. })
    }

    /// Whether this is [`StoreError::Invalid`].
    #[must_use]
    pub fn is_invalid(&self) -> bool {
        matches!(self, Self::Invalid { .. })
    }

    /// A [`StoreError::Corrupt`] for a stored value that failed validation.
    pub fn corrupt(entity: &'static str, err: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            entity,
            detail: err.to_string(),
        }
    }
}
