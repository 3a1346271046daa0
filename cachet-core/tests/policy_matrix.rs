//! The authorization matrix: every facade operation x every actor kind, allowed or denied,
//! with the expectations written out by hand (not recomputed by the code under test), and a
//! property test that a denied operation never changes the store.
//!
//! The cases live in `cases/policy_matrix.rs` and run here on the in-memory store; `cachet-store`
//! runs the same file on SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

include!("cases/policy_matrix.rs");
