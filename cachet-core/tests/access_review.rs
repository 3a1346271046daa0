//! The access review through the facade: every account with its role, second factor, last
//! sign-in, live sessions and API tokens; the 90-day "unused" flag and the token flags on a
//! `ManualClock`; admins only, every refusal audited.
//!
//! The cases live in `cases/access_review.rs` and run here on the in-memory store; a backend's
//! test crate can include the same file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

include!("cases/access_review.rs");
