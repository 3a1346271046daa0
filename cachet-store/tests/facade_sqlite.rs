//! The `cachet-core` facade test cases (identity and security policies, the authorization
//! matrix, secrets never surfacing) on SQLite, so every rule is shown on a real database
//! with real transactions, not only on the in-memory store. The case files live in
//! `cachet-core/tests/cases/` and run unchanged on both.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

#[path = "../../cachet-core/tests/common/mod.rs"]
mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(
        cachet_store::SqliteStore::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite"),
    )
}

mod identity {
    use super::common;
    include!("../../cachet-core/tests/cases/identity.rs");
}

mod sign_in_attacks {
    use super::common;
    include!("../../cachet-core/tests/cases/sign_in_attacks.rs");
}

mod policy_matrix {
    use super::common;
    include!("../../cachet-core/tests/cases/policy_matrix.rs");
}

mod no_secrets {
    use super::common;
    include!("../../cachet-core/tests/cases/no_secrets.rs");
}
