//! Nothing secret (password, password hash, API token, session id, TOTP secret, recovery
//! code, subscriber address) appears in any error, any `Debug` output or any audit entry.
//! The test plants each secret, drives every path that handles it (including the failing
//! ones) and searches everything that could be printed or logged.
//!
//! The cases live in `cases/no_secrets.rs` and run here on the in-memory store; `cachet-store`
//! runs the same file on SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

include!("cases/no_secrets.rs");
