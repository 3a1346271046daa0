//! Issue 3 through the facade: passwords, throttling, TOTP, sessions, tokens, setup, audit.
//! Every time rule runs on a `ManualClock`; nothing sleeps.
//!
//! The cases live in `cases/identity.rs` and run here on the in-memory store; `cachet-store`
//! runs the same file on SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

include!("cases/identity.rs");
