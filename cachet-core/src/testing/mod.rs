//! The public [`Store`] conformance suite (feature `testing`).
//!
//! **Not covered by semver**: checks are added, tightened and renamed in minor releases, as
//! the contract they prove is refined. Pin `cachet-core` exactly if you need a stable suite.
//!
//! # Proving a backend
//!
//! A downstream crate adds `cachet-core` with the `testing` feature as a dev-dependency and
//! writes one line in `tests/conformance.rs`:
//!
//! ```text
//! cachet_core::store_conformance_tests!(|| async { Some(my_backend::MyStore::connect_fresh().await) });
//! ```
//!
//! The macro expands to one `#[test]` per check (see [`store::CHECKS`]), each running on a
//! fresh store from the factory inside its own multi-threaded tokio runtime with two workers,
//! so failures are reported check by check. The factory is a closure returning a future of
//! `Option<S>`, where `S` is any [`Store`] or an `Arc<dyn Store>`; it is called once per
//! check and **must return an empty store** every time (a new `sqlite::memory:` pool, a fresh
//! schema). It returns `None` when the backend is not configured (for example when
//! `DATABASE_URL` is unset); the check then passes without running, so the factory should print
//! why it skipped.
//!
//! The caller needs neither tokio's `macros` feature nor any other dependency: the macro
//! reaches everything through `$crate`. (It builds the runtime itself rather than emitting
//! `#[tokio::test(crate = "...")]`, because that attribute takes its crate path as a string
//! literal, where `$crate` is not substituted.) Because the generated tests are named after
//! the checks, give the macro a module of its own if the file has other tests.
//!
//! # Running checks by hand
//!
//! Every check is a plain async function taking an empty `&dyn Store`, returning a
//! [`Failure`] (with the file, line and compared values) instead of panicking, so it can be
//! run against a store under construction, or against a deliberately broken one:
//!
//! ```
//! use cachet_core::store::memory::MemoryStore;
//! use cachet_core::testing::store;
//!
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! rt.block_on(async {
//!     let result = store::components_crud(&MemoryStore::new()).await;
//!     assert!(result.is_ok(), "{}", result.unwrap_err());
//!     for (name, check) in store::CHECKS {
//!         if let Err(failure) = check(&MemoryStore::new()).await {
//!             panic!("{name}: {failure}");
//!         }
//!     }
//! });
//! ```
//!
//! Property-based generators for every validated input type live in [`strategies`].
//!
//! [`Store`]: crate::store::Store

pub mod faults;
#[cfg(feature = "web")]
pub mod http;
pub mod store;
pub mod strategies;

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use crate::store::{Store, StoreError};
use crate::validate::Violation;

#[doc(hidden)]
pub use tokio as __tokio;

/// Why a conformance check failed: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    message: String,
    file: &'static str,
    line: u32,
}

impl Failure {
    /// A failure at the caller's location.
    #[track_caller]
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        let loc = Location::caller();
        Self {
            message: message.into(),
            file: loc.file(),
            line: loc.line(),
        }
    }

    /// What went wrong.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The source file of the failed assertion.
    #[must_use]
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The line of the failed assertion.
    #[must_use]
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Prefixes the message with what was being checked.
    #[must_use]
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for Failure {}

impl From<StoreError> for Failure {
    #[track_caller]
    fn from(err: StoreError) -> Self {
        Self::new(format!("unexpected store error: {err} ({err:?})"))
    }
}

impl From<Violation> for Failure {
    #[track_caller]
    fn from(err: Violation) -> Self {
        Self::new(format!("test fixture failed validation: {err}"))
    }
}

/// Fails with `what` unless `cond` holds.
///
/// # Errors
///
/// A [`Failure`] at the caller's location.
#[track_caller]
pub fn ensure(cond: bool, what: impl fmt::Display) -> Result<(), Failure> {
    if cond {
        Ok(())
    } else {
        Err(Failure::new(format!("check failed: {what}")))
    }
}

/// Fails unless `actual == expected`, showing both.
///
/// # Errors
///
/// A [`Failure`] at the caller's location.
#[track_caller]
pub fn ensure_eq<T: fmt::Debug + PartialEq>(
    actual: T,
    expected: T,
    what: impl fmt::Display,
) -> Result<(), Failure> {
    if actual == expected {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "{what}\n  actual:   {actual:?}\n  expected: {expected:?}"
        )))
    }
}

/// The kind of [`StoreError`] a check expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// [`StoreError::NotFound`].
    NotFound,
    /// [`StoreError::Conflict`].
    Conflict,
    /// [`StoreError::Invalid`].
    Invalid,
}

impl ErrorKind {
    fn matches(self, err: &StoreError) -> bool {
        match self {
            Self::NotFound => err.is_not_found(),
            Self::Conflict => err.is_conflict(),
            Self::Invalid => err.is_invalid(),
        }
    }
}

/// Fails unless `result` is an error of `kind`.
///
/// # Errors
///
/// A [`Failure`] at the caller's location, naming what came back instead.
#[track_caller]
pub fn ensure_err<T: fmt::Debug>(
    result: Result<T, StoreError>,
    kind: ErrorKind,
    what: impl fmt::Display,
) -> Result<(), Failure> {
    match result {
        Err(e) if kind.matches(&e) => Ok(()),
        Err(e) => Err(Failure::new(format!(
            "{what}: expected {kind:?}, got error {e} ({e:?})"
        ))),
        Ok(v) => Err(Failure::new(format!(
            "{what}: expected {kind:?}, got Ok({v:?})"
        ))),
    }
}

/// Adds what was being done to a store error or a fixture's validation error.
pub trait Context<T> {
    /// Turns the error into a [`Failure`] at the caller's location that names `what`.
    ///
    /// # Errors
    ///
    /// The failure.
    #[track_caller]
    fn ctx(self, what: &str) -> Result<T, Failure>;
}

impl<T> Context<T> for Result<T, StoreError> {
    #[track_caller]
    fn ctx(self, what: &str) -> Result<T, Failure> {
        self.map_err(|e| Failure::new(format!("{what}: unexpected store error: {e} ({e:?})")))
    }
}

impl<T> Context<T> for Result<T, Violation> {
    #[track_caller]
    fn ctx(self, what: &str) -> Result<T, Failure> {
        self.map_err(|e| Failure::new(format!("{what}: fixture failed validation: {e}")))
    }
}

/// What a conformance factory may return: a store, or a shared `dyn Store`.
pub trait AsDynStore {
    /// The store as a trait object.
    fn as_dyn_store(&self) -> &dyn Store;
}

impl<S: Store> AsDynStore for S {
    fn as_dyn_store(&self) -> &dyn Store {
        self
    }
}

impl AsDynStore for Arc<dyn Store> {
    fn as_dyn_store(&self) -> &dyn Store {
        &**self
    }
}

impl AsDynStore for Box<dyn Store> {
    fn as_dyn_store(&self) -> &dyn Store {
        &**self
    }
}

/// Runs a generated conformance test on a multi-threaded runtime with two workers, as
/// `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` would.
#[doc(hidden)]
pub fn __run<F: Future<Output = ()>>(test: F) {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build the tokio runtime for a conformance test: {e}"),
    };
    rt.block_on(test);
}

/// Expands to one test per [`store`] check, each on a fresh store from `$factory`.
///
/// `$factory` is called with no arguments and returns a future of `Option<S>`, where `S`
/// implements [`Store`](crate::store::Store) (or is an `Arc<dyn Store>`); `None` skips the
/// check (the factory prints why). See the [module docs](crate::testing).
///
/// ```
/// // tests/conformance.rs
/// mod memory {
///     cachet_core::store_conformance_tests!(|| async { Some(cachet_core::store::memory::MemoryStore::new()) });
/// }
/// # fn main() {}
/// ```
///
/// A backend that needs configuration returns `None` (and says why) when it is missing:
///
/// ```
/// # #[derive(Debug)] struct PgStore;
/// # impl PgStore { async fn connect_fresh_schema(_: &str) -> std::sync::Arc<dyn cachet_core::store::Store> { std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new()) } }
/// mod postgres {
///     # use super::PgStore;
///     cachet_core::store_conformance_tests!(|| async {
///         let Ok(url) = std::env::var("CACHET_TEST_POSTGRES_URL") else {
///             eprintln!("skipping: CACHET_TEST_POSTGRES_URL is not set");
///             return None;
///         };
///         Some(PgStore::connect_fresh_schema(&url).await)
///     });
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:expr $(,)?) => {
        $crate::__store_checks! { __store_conformance_test ($factory) }
    };
}

/// The list of every check, handed to `$callback` (the single source of truth for
/// [`store_conformance_tests!`] and `testing::store::CHECKS`).
#[doc(hidden)]
#[macro_export]
macro_rules! __store_checks {
    ($callback:ident ($($args:tt)*)) => {
        $crate::$callback! { ($($args)*)
            // components, groups, status history
            components_crud,
            component_tags_and_meta,
            component_filters,
            component_sorts,
            component_unknown_group_is_invalid,
            status_history_on_create,
            status_history_records_changes,
            status_history_since_includes_prior_entry,
            delete_component_cascades,
            groups_crud,
            group_filters_and_sorts,
            delete_group_ungroups_components,
            // incidents
            incidents_crud,
            incident_applies_component_status,
            incident_unknown_component_is_atomic,
            incident_unknown_user_is_invalid,
            incident_filters,
            incident_sorts,
            incident_patch_replaces_components,
            incident_updates_lifecycle,
            incident_update_unknown_component_is_atomic,
            delete_incident_removes_updates,
            incident_updates_of_batches,
            // templates
            templates_crud,
            template_slug_conflict,
            template_filter_and_sorts,
            // schedules
            schedules_crud,
            schedule_unknown_component_is_invalid,
            schedule_compare_and_set,
            schedule_filters,
            schedule_sorts,
            schedule_updates_crud,
            // metrics
            metrics_crud,
            metric_filter_and_sorts,
            metric_point_merging,
            metric_point_queries,
            metric_point_crud,
            delete_metric_removes_points,
            // subscribers, webhooks
            subscribers_crud,
            subscriber_blind_index_conflict,
            subscriber_channel_round_trips,
            subscriber_unknown_component_is_invalid,
            subscriptions_and_global,
            subscriber_filters_and_sorts,
            subscriber_audience,
            subscribers_by_id,
            delete_subscriber_removes_subscriptions,
            webhooks_crud,
            // monitoring alert integrations
            integrations_crud,
            alert_rules_crud,
            alert_states_observe_and_settle,
            // users, tokens, sessions, throttling, one-time tokens
            users_crud,
            user_email_conflict,
            user_only_if_no_admin,
            user_filters_and_sorts,
            totp_step_is_monotonic,
            recovery_codes_single_use,
            delete_user_cascades,
            api_tokens_crud,
            api_token_conflict_and_unknown_user,
            sessions_crud,
            session_conflict_and_unknown_user,
            session_expiry_and_bulk_delete,
            throttle_round_trip,
            throttles_and_audit_are_pruned_by_age,
            password_history_keeps_the_newest_replaced_hashes,
            password_history_drops_replaced_non_argon2_hashes,
            ending_one_time_tokens_spares_other_subjects_and_purposes,
            one_time_token_single_use,
            one_time_token_purpose_bound,
            one_time_token_expiry,
            one_time_token_peek_does_not_consume,
            one_time_token_hash_conflict,
            one_time_token_prune,
            // idempotency keys
            idempotency_key_lifecycle,
            idempotency_expired_lease_is_taken_over,
            idempotency_keys_expire_and_are_pruned,
            idempotency_concurrent_claims_start_once,
            // shared rate limits
            rate_limit_counts_are_atomic_under_concurrency,
            rate_limit_windows_roll_over,
            rate_limit_keys_are_independent,
            rate_limits_prune_forgets_old_windows_only,
            // settings, audit, outbox
            settings_put_and_replace,
            audit_append_and_filters,
            outbox_enqueue_and_filter,
            outbox_claims_are_disjoint,
            outbox_expired_lease_is_reclaimed,
            outbox_complete_fans_out_idempotently,
            outbox_fail_retries_or_gives_up,
            outbox_empty_claims_hold_no_locks,
            delivery_attempt_transitions,
            delivery_attempts_in_a_group,
            deliveries_filters,
            prune_outbox_removes_finished,
            delivery_claims_by_two_owners_are_disjoint,
            delivery_claims_by_channel,
            outbox_leases_are_renewed,
            outbox_leases_are_released_for_a_restart,
            unstarted_deliveries_are_handed_back,
            outbox_event_by_id,
            // cross-cutting rules
            not_found_for_unknown_ids,
            child_rows_under_wrong_parent_are_not_found,
            effects_commit_with_the_write,
            failed_writes_change_nothing,
            revision_bumps_on_content_writes,
            revision_ignores_security_bookkeeping,
            paging_edges,
            paging_is_stable_across_ties,
            concurrent_creates,
            unicode_round_trips,
            largest_values_round_trip,
            timestamps_round_trip,
            valid_values_round_trip,
            // whole-store backup
            backup_dump_holds_every_row_as_stored,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_conformance_test {
    (($factory:expr) $($check:ident),* $(,)?) => {$(
        #[test]
        fn $check() {
            $crate::testing::__run(async {
                let Some(store) = ($factory)().await else {
                    return;
                };
                let store = $crate::testing::AsDynStore::as_dyn_store(&store);
                if let Err(failure) = $crate::testing::store::$check(store).await {
                    panic!("{}: {}", stringify!($check), failure);
                }
            });
        }
    )*};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_checks_table {
    (() $($check:ident),* $(,)?) => {
        /// Every check with its name, in a stable order: what
        /// [`store_conformance_tests!`](crate::store_conformance_tests) expands to, for
        /// running the suite by hand.
        pub const CHECKS: &[(&str, CheckFn)] = &[$(
            (stringify!($check), {
                fn run(store: &dyn Store) -> CheckFuture<'_> {
                    Box::pin($check(store))
                }
                run
            }),
        )*];
    };
}
