//! The facade's error type.

use chrono::TimeDelta;

use crate::store::StoreError;
use crate::validate::ValidationError;

/// What a facade operation can answer instead of a result. Messages are fit to show a client:
/// they never carry a secret, a hash, an address or a driver's message (the store error is
/// kept as the `source` for logs only).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input broke a validation rule (400).
    #[error("{0}")]
    Validation(#[from] ValidationError),
    /// No valid credentials were presented (401).
    #[error("authentication is required")]
    Unauthenticated,
    /// The actor may not do this (403).
    #[error("you are not allowed to do this")]
    Forbidden,
    /// Wrong email or password; the same message whether or not the account exists.
    #[error("the email address or password is wrong")]
    InvalidCredentials,
    /// A wrong, replayed or used second factor.
    #[error("the code is wrong or was already used")]
    InvalidCode,
    /// Too many failures; try again later (429).
    #[error("too many attempts; try again in {} seconds", retry_after.num_seconds().max(1))]
    Throttled {
        /// How long to wait.
        retry_after: TimeDelta,
    },
    /// Sign-in is refused because the public URL is plain http on a non-loopback host.
    #[error("sign-in needs an https public URL")]
    InsecureTransport,
    /// The entity does not exist, or the actor may not know it exists (404).
    #[error("{entity} not found")]
    NotFound {
        /// The kind of entity.
        entity: &'static str,
    },
    /// A uniqueness or state rule refused the change (409 in the dashboard, 400 in API v1).
    #[error("{0}")]
    Conflict(&'static str),
    /// The store did not answer in time or cannot be reached (pool timeout, connection lost,
    /// a database known to be down): retrying shortly may succeed. The web layer answers
    /// `503` with `Retry-After`, never a hang or a `500`.
    #[error("the service is temporarily unavailable; try again shortly")]
    Unavailable(#[source] StoreError),
    /// The store failed (500; details only in the source, for logs).
    #[error("internal error")]
    Store(#[source] StoreError),
    /// Something else internal failed (500).
    #[error("internal error")]
    Internal,
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, .. } => Self::NotFound { entity },
            StoreError::Conflict { detail, .. } => Self::Conflict(detail),
            StoreError::Invalid { detail } => Self::Conflict(detail),
            unavailable @ StoreError::Unavailable { .. } => Self::Unavailable(unavailable),
            other => Self::Store(other),
        }
    }
}

impl From<crate::auth::tokens::RandomUnavailable> for Error {
    fn from(_: crate::auth::tokens::RandomUnavailable) -> Self {
        Self::Internal
    }
}

impl From<crate::secrets::SecretError> for Error {
    fn from(_: crate::secrets::SecretError) -> Self {
        Self::Internal
    }
}

impl Error {
    /// Whether the store could not answer (see [`Error::Unavailable`]).
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// The result of a facade operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
