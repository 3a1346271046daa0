//! Mounts the cachet-rs status page into an [axum](https://docs.rs/axum) `Router`.
//!
//! The adapter only converts types: an axum request becomes an `http::Request<Bytes>` plus the
//! peer address, `cachet_core`'s framework-neutral web layer answers it, and the answer is
//! converted back. Routing, security headers, CSRF, rate limits and rendering all live in the
//! core, so this crate stays small and behaves exactly like `cachet-actix`.
//!
//! The router arrives with the web layer (issue 4).

/// The name of the framework this adapter mounts into.
pub const FRAMEWORK: &str = "axum";
