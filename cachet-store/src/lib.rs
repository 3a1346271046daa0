//! sqlx backends (in progress).
