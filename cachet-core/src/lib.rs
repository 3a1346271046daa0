//! The framework-free core of cachet-rs, the Cachet status page rebuilt as a Rust library.
//!
//! This crate holds everything that does not depend on a web framework or a database driver:
//!
//! | module | what |
//! |---|---|
//! | [`model`] | the typed domain: components, incidents, maintenance, metrics, subscribers, users, tokens, sessions, settings, audit, outbox |
//! | [`validate`] | parsing input into types that cannot hold bad values; errors name the field and the rule |
//! | [`sanitize`] | Markdown to safe HTML (pulldown-cmark, then an ammonia allowlist) |
//! | [`template`] | logic-less `{{ var }}` incident templates: nothing is ever evaluated |
//! | [`secrets`] | the keyring: sealing subscriber addresses and webhook secrets, blind indexes |
//! | [`auth`] | passwords, throttling, TOTP, sessions, CSRF, API tokens, the permission policy |
//! | [`Cachet`] | the facade: every operation takes an [`Actor`] and is authorized and audited |
//! | [`metrics`] | Cachet's metric point merge rule |
//! | [`history`] | the 90-day history bars: per-day uptime, incidents and worst status of a component |
//! | [`host_health`] | the embedding host's own health (its answers per route group, the signals it reports) turned into component statuses and incidents |
//! | [`charts`](web::charts) | metric chart series per view, Cachet's `/metrics/{id}` chart JSON and server-rendered SVG charts |
//! | [`feeds`](web::feeds) | RSS 2.0 and Atom feeds of incidents, the iCalendar feed of maintenance, and the `<link rel="alternate">` tags advertising them |
//! | [`pages`](web::pages) | the public HTML pages (askama templates, autoescaped): status page, incident, maintenance and component pages; the message catalogue (en, de, fr); hash-versioned static assets with SRI |
//! | [`badge`](web::badge) | SVG status badges (shields.io flat style) for the page and each component |
//! | [`notify`] | the [`Notifier`](notify::Notifier) trait delivery channels implement, and the messages the core hands them |
//! | [`store`] | the [`Store`](store::Store) contract as one trait per area ([`store::prelude`]), typed queries, and the in-memory reference store |
//! | [`clock`] | injected time |
//! | [`cpu`] | CPU-bound work (hashing, big renders, compression) off the async workers, with a bounded concurrency |
//! | [`status`] | the overall-status rule: effective component status, maintenance phases, the Statuspage indicator, incident impact, API v1's status |
//! | [`log`] | log-safe rendering of values a user or the database can influence |
//! | [`telemetry`] | operational counters (requests, renders, deliveries, throttling) and the Prometheus text format they are served in |
//! | [`web`] | the framework-neutral web layer: API v1, Statuspage v2 JSON, the public pages' routes, subscribe, sign-in and the dashboard, the snapshot cache, CORS, security headers, rate limits |
//! | `testing` | (feature `testing`) the public Store conformance suite, the shared HTTP cases every host must pass, and proptest strategies |
//! | `fuzzing` | (feature `fuzzing`) the cargo-fuzz harnesses, so the test suite replays every committed input |
//!
//! `cargo tree -p cachet-core -e normal` shows neither axum, actix nor sqlx: storage backends
//! (`cachet-store`), notifiers (`cachet-notify`) and web adapters (`cachet-axum`,
//! `cachet-actix`) depend on this crate, never the other way round.
//!
//! # Quick start
//!
//! ```
//! use cachet_core::clock::{Clock, SystemClock};
//! use cachet_core::model::{ComponentStatus, NewComponent};
//! use cachet_core::store::prelude::*;
//! use cachet_core::store::{memory::MemoryStore, no_effects, WriteContext};
//! use cachet_core::validate::{Name, ViolationExt};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let name = Name::parse("API").field("name")?;
//! let api = store
//!     .create_component(WriteContext::at(SystemClock.now()), &NewComponent::named(name, ComponentStatus::Operational), &no_effects)
//!     .await?;
//! assert_eq!(store.component(api.id).await?.status, ComponentStatus::Operational);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Implementing a custom Store
//!
//! Implement the area traits that make up [`store::Store`] (see [`store`]'s module docs) and run
//! the conformance suite against it with one line in your crate's tests (feature `testing`);
//! see `store_conformance_tests!` (in the `testing` module docs).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "facade")]
#[cfg_attr(docsrs, doc(cfg(feature = "facade")))]
pub mod alerts;
pub mod auth;
pub mod backup;
pub mod clock;
pub mod cpu;
#[cfg(feature = "facade")]
mod facade;
#[cfg(feature = "facade")]
#[cfg_attr(docsrs, doc(cfg(feature = "facade")))]
pub mod history;
#[cfg(feature = "facade")]
#[cfg_attr(docsrs, doc(cfg(feature = "facade")))]
pub mod host_health;
pub mod i18n;
pub mod import;
pub mod log;
pub mod metrics;
pub mod model;
#[cfg(feature = "facade")]
#[cfg_attr(docsrs, doc(cfg(feature = "facade")))]
pub mod notify;
pub mod sanitize;
pub mod secrets;
pub mod status;
pub mod store;
pub mod telemetry;
pub mod template;
pub mod validate;
#[cfg(feature = "web")]
#[cfg_attr(docsrs, doc(cfg(feature = "web")))]
pub mod web;
pub mod web_config;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

#[cfg(feature = "fuzzing")]
#[cfg_attr(docsrs, doc(cfg(feature = "fuzzing")))]
pub mod fuzzing;

#[cfg(feature = "facade")]
pub use facade::{
    ACCESS_REVIEW_FEW_RECOVERY_CODES, ACCESS_REVIEW_UNUSED_AFTER, AccessReview, AccountReview,
    ReviewFlag, SessionReview, TokenReview, TokenState, TwoFactorState,
};
#[cfg(feature = "facade")]
pub use facade::{
    Actor, Cachet, Config, Enrollment, Error, LoginOutcome, ManagedSubscription, NewUserInput,
    Result, SessionLookup, SessionTicket, Sight, SignInClient, parse_new_user,
};
#[cfg(feature = "facade")]
pub use facade::{
    CHAT_URL_RULE, Retention, RetentionReport, SmsPolicy, SubscriberAddress, WebhookEndpoint,
    redacted_chat_url,
};
#[cfg(feature = "facade")]
pub use facade::{DEFAULT_SMS_DAILY_LIMIT, SMS_CODE_DIGITS, SMS_CODE_TRIES, SMS_CODE_TTL};
