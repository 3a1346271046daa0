//! Notifier implementations for cachet-rs: SMTP email, signed webhooks, SMS and chat rooms.
//!
//! The core's outbox dispatcher decides *who* receives *what* and hands each finished
//! [`Message`](cachet_core::notify::Message) to a [`Notifier`](cachet_core::notify::Notifier);
//! this crate delivers it and says whether a failure is worth a retry
//! ([`DeliveryError::Transient`](cachet_core::notify::DeliveryError::Transient)) or not
//! ([`DeliveryError::Permanent`](cachet_core::notify::DeliveryError::Permanent)).
//!
//! - [`EmailNotifier`]: SMTP through lettre's pooled tokio transport with rustls. The server
//!   comes as a URL in lettre's conventions: `smtps://user:pass@host` for TLS from the first
//!   byte (port 465), `smtp://user@host:587?tls=required` for STARTTLS that must succeed, and
//!   plain `smtp://localhost:25` only for a relay on loopback (anything else needs an explicit
//!   opt-in, because the mail and the password would cross the network in clear). Messages are
//!   `multipart/alternative` (text and HTML) with headers built only from validated values
//!   through lettre's typed headers, `Message-ID: <{idempotency key}@{from domain}>`, and
//!   optional DKIM signing ([`Dkim`]).
//! - [`WebhookNotifier`]: a JSON POST signed with HMAC-SHA256 over `"{timestamp}.{body}"`
//!   ([`sign`]), with connect and total timeouts, no redirects, no environment proxy, and a
//!   refusal of every non-public address ([`net`]) unless configured otherwise.
//! - [`SmsNotifier`]: SMS through Twilio, Vonage or a generic HTTP gateway ([`sms`]), with a
//!   required country allowlist checked before any request (SMS pumping), bodies cut to three
//!   segments, credentials redacted ([`Credential`]) and numbers never in errors. It shares the
//!   webhook client's settings (timeouts, no redirects, no environment proxy, rustls, the
//!   address check). The dispatcher does not route events to SMS recipients yet.
//! - [`ChatNotifier`]: a chat message in the platform's native format (Slack Block Kit,
//!   Mattermost attachments, a Teams Adaptive Card, Discord embeds, Google Chat cards, a Matrix
//!   `m.notice`), its text escaped for that markup so it cannot mention a whole room, sent
//!   through the webhook client and its address check, with each URL pinned to its
//!   platform's hosts ([`ChatPlatform::accepts`](cachet_core::notify::ChatPlatform::accepts)).
//!   The [`chat`] module lists the payloads and the error classification.
//!
//! # One-click unsubscribe (RFC 8058)
//!
//! Notifications carry `List-Unsubscribe: <url>` and
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so mail clients can offer an
//! unsubscribe button that POSTs to the signed URL. This is **RFC 8058 conformant only when**
//! the public URL is `https` **and** the message is DKIM-signed over both headers: either by
//! this crate ([`EmailNotifierBuilder::dkim`], which always signs them) or by the relay that
//! sends the mail on. Without both, large mailbox providers ignore the headers or treat the
//! mail as less trustworthy.
//!
//! # Example
//!
//! Building the notifiers (`no_run`: sending needs an SMTP server):
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use cachet_core::notify::{EmailMessage, Message, Notifier};
//! use cachet_core::validate::{Email, HttpUrl};
//! use cachet_notify::{
//!     ChatConfig, ChatNotifier, EmailNotifier, SmtpUrl, WebhookConfig, WebhookNotifier,
//! };
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let url = SmtpUrl::parse("smtp://status@mail.example.com:587?tls=required", false)?;
//! let email = EmailNotifier::builder(url, "Status <status@example.com>".parse()?)
//!     .password(std::env::var("CACHET_SMTP_PASSWORD")?)
//!     .build()?;
//! let webhooks = WebhookNotifier::new(WebhookConfig::default())?;
//! let chat = ChatNotifier::new(ChatConfig::default())?;
//! let notifiers: Vec<Arc<dyn Notifier>> =
//!     vec![Arc::new(email), Arc::new(webhooks), Arc::new(chat)];
//!
//! let message = EmailMessage {
//!     to: Email::parse("ops@example.org")?,
//!     subject: "Major outage: API".into(),
//!     text: "The API is down.".into(),
//!     html: "<p>The API is down.</p>".into(),
//!     idempotency_key: "evt-1.sub-7.email".into(),
//!     list_unsubscribe: Some(HttpUrl::parse("https://status.example.com/u/TOKEN")?),
//!     locale: "en".into(),
//! };
//! notifiers[0].deliver(&Message::Email(message)).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Checking the headers of a message without a server:
//!
//! ```
//! use cachet_core::notify::EmailMessage;
//! use cachet_core::validate::{Email, HttpUrl};
//!
//! let message = EmailMessage {
//!     to: Email::parse("ops@example.org").unwrap(),
//!     subject: "Major outage: API".into(),
//!     text: "The API is down.".into(),
//!     html: "<p>The API is down.</p>".into(),
//!     idempotency_key: "evt-1.sub-7.email".into(),
//!     list_unsubscribe: Some(HttpUrl::parse("https://status.example.com/u/TOKEN").unwrap()),
//!     locale: "en".into(),
//! };
//! let from = "Status <status@example.com>".parse().unwrap();
//! let bytes = cachet_notify::build_message(&from, &message).unwrap().formatted();
//! let text = String::from_utf8(bytes).unwrap();
//! assert!(text.contains("Message-ID: <evt-1.sub-7.email@example.com>\r\n"));
//! assert!(text.contains("List-Unsubscribe: <https://status.example.com/u/TOKEN>\r\n"));
//! assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
//! ```

pub mod chat;
mod email;
mod http;
pub mod net;
pub mod sms;
mod smtp_pool;
mod webhook;

pub use chat::{CHAT_USER_AGENT, ChatConfig, ChatNotifier, render_chat_payload};
pub use email::{
    Dkim, EmailNotifier, EmailNotifierBuilder, EmailSetupError, SmtpTls, SmtpUrl, build_message,
};
pub use http::HttpSetupError;
pub use sms::{
    Credential, SMS_USER_AGENT, SmsConfig, SmsConfigError, SmsNotifier, SmsProvider, TwilioSender,
};
pub use webhook::{
    DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_USER_AGENT, WebhookConfig,
    WebhookNotifier, sign,
};

/// lettre, re-exported so callers can name [`lettre::Message`] and build a [`Mailbox`] without
/// a version-matched dependency of their own.
pub use lettre;
/// A `From` mailbox (`"Status <status@example.com>".parse()`).
pub use lettre::message::Mailbox;

/// The name this crate reports in logs and delivery records.
pub const CRATE_NAME: &str = "cachet-notify";
