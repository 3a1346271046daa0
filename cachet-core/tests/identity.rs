//! The identity rules through the facade: passwords, throttling, TOTP, sessions, tokens,
//! setup, audit, and the attacks on sign-in played as sequences. Every time rule runs on a
//! `ManualClock`; nothing sleeps.
//!
//! The cases live in `cases/identity.rs` and `cases/sign_in_attacks.rs` and run here on the
//! in-memory store; `cachet-store` runs the same files on SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

include!("cases/identity.rs");

mod sign_in_attacks {
    use super::common;
    include!("cases/sign_in_attacks.rs");
}
