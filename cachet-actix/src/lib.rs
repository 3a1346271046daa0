//! Mounts the cachet-rs status page into an [actix-web](https://docs.rs/actix-web) `App` or
//! `Scope`.
//!
//! Like `cachet-axum`, this adapter only converts types between actix-web (which still uses
//! `http` 0.2) and the core's framework-neutral web layer (`http` 1.x), so both frameworks
//! serve byte-for-byte the same behaviour.
//!
//! The `configure` and `scope` functions arrive with the web layer (issue 4).

/// The name of the framework this adapter mounts into.
pub const FRAMEWORK: &str = "actix-web";
