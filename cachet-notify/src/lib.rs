//! Notifier implementations for cachet-rs.
//!
//! This crate will hold the delivery channels that the core's outbox dispatcher hands
//! finished notifications to: SMTP email built on `lettre` (multipart text and HTML, pooled,
//! STARTTLS or TLS, headers built only from validated values) and signed webhooks in
//! Statuspage's payload shape. Deciding *who* receives *what* stays in `cachet-core`; a
//! notifier only delivers one message to one recipient.
//!
//! The channels arrive with the subscriber and notification work (issue 6); until then the
//! crate exposes only its name so the workspace layout is complete.

/// The name this crate reports in logs and delivery records.
pub const CRATE_NAME: &str = "cachet-notify";
