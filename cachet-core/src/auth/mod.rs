//! Identity and security policies: every control the security reviews put first, in one
//! place, so no adapter, embedding application or future route can skip them.
//!
//! | module | control |
//! |---|---|
//! | [`password`] | argon2id hashing (PHC strings, rehash when parameters rise), length + strength policy |
//! | [`throttle`] | per-account and per-address login throttling with a self-expiring lockout |
//! | [`device`] | device cookies: a browser that signed in before keeps its own sign-in budget |
//! | [`totp`] | TOTP enrolment and verification that never accepts a step twice; recovery codes |
//! | [`session`] | session ids, idle and absolute timeouts, cookie attributes from the public URL |
//! | [`csrf`] | synchronizer tokens, stateless visitor-form tokens, the Origin / Sec-Fetch-Site check |
//! | [`tokens`] | API tokens and other high-entropy secrets: generation, checksums, SHA-256 storage |
//! | [`policy`] | roles x token scopes x permissions |
//!
//! The [`crate::Cachet`] facade composes them; these modules are pure functions and small
//! types so each rule is testable with an injected clock.

pub mod csrf;
pub mod device;
pub mod password;
pub mod policy;
pub mod session;
pub mod throttle;
pub mod tokens;
pub mod totp;
