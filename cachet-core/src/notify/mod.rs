//! Notifications: the [`Notifier`] trait that delivery channels implement, and the messages
//! the core hands them.
//!
//! Deciding *who* receives *what* stays in the core (the outbox dispatcher fans an event out
//! into one delivery per recipient and channel); a notifier only delivers one finished
//! [`Message`] to one recipient and says whether a failure is worth retrying. `cachet-notify`
//! implements it for SMTP email (lettre), signed webhooks and SMS (Twilio, Vonage or a
//! generic HTTP gateway).
//!
//! SMS is a delivery channel of its own ([`Channel::Sms`], [`SmsMessage`] with the length
//! rules of GSM 03.38, and [`inbound_sms`] verifying the providers' inbound webhooks); the
//! dispatcher does not route any event to SMS recipients yet.
//!
//! ```
//! use async_trait::async_trait;
//! use cachet_core::notify::{Channel, DeliveryError, Message, Notifier};
//!
//! /// A notifier that drops everything, e.g. for a page without mail.
//! struct Discard;
//!
//! #[async_trait]
//! impl Notifier for Discard {
//!     fn channel(&self) -> Channel {
//!         Channel::Email
//!     }
//!     async fn deliver(&self, _message: &Message) -> Result<(), DeliveryError> {
//!         Ok(())
//!     }
//! }
//! ```

pub mod background;
pub mod budget;
pub mod chat;
pub mod dispatch;
pub mod events;
pub mod inbound_sms;
pub mod links;
pub(crate) mod render;
pub mod scheduler;
mod sms;

use async_trait::async_trait;

pub use background::Background;
pub use chat::{ChatMessage, ChatPlatform, ChatSeverity, matrix_room};
pub use dispatch::{AAD_WEBHOOK_SECRET, Dispatcher, DispatcherConfig, TickReport};
pub use scheduler::{Scheduler, SchedulerReport};
pub use sms::SmsMessage;

use crate::validate::{Email, HttpUrl};

/// A delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Channel {
    /// Email to a subscriber or a user.
    Email,
    /// An HTTP POST to a configured webhook.
    Webhook,
    /// A text message to a mobile number, through an SMS provider.
    Sms,
    /// A message in a chat room (Slack, Teams, Discord, Mattermost, Google Chat, Matrix).
    Chat,
}

impl Channel {
    /// Every channel, in the order the dashboard lists them.
    pub const ALL: [Channel; 4] = [
        Channel::Email,
        Channel::Webhook,
        Channel::Chat,
        Channel::Sms,
    ];

    /// The channel a delivery's stored name stands for; `None` for a name no channel has.
    #[must_use]
    pub fn parse(name: &str) -> Option<Channel> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The name stored on deliveries (`email`, `webhook`, `sms`, `chat`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Sms => "sms",
            Channel::Chat => "chat",
        }
    }
}

/// One finished message for one recipient. Everything in it was built by the core from
/// validated values: no field can carry CR/LF into a header.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// An email.
    Email(EmailMessage),
    /// A webhook call.
    Webhook(WebhookMessage),
    /// A text message.
    Sms(SmsMessage),
    /// A chat message, rendered by the notifier in the platform's own format.
    Chat(ChatMessage),
}

impl Message {
    /// The channel this message goes over.
    pub fn channel(&self) -> Channel {
        match self {
            Message::Email(_) => Channel::Email,
            Message::Webhook(_) => Channel::Webhook,
            Message::Sms(_) => Channel::Sms,
            Message::Chat(_) => Channel::Chat,
        }
    }

    /// The idempotency key (event x recipient x channel), stable across retries.
    pub fn idempotency_key(&self) -> &str {
        match self {
            Message::Email(m) => &m.idempotency_key,
            Message::Webhook(m) => &m.idempotency_key,
            Message::Sms(m) => &m.idempotency_key,
            Message::Chat(m) => &m.idempotency_key,
        }
    }
}

/// An email, rendered (localised text and HTML from the same template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// The recipient (decrypted only for this delivery; never logged).
    pub to: Email,
    /// The subject line: single-line, validated (no CR/LF, no control characters).
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (built from escaped / sanitized values only).
    pub html: String,
    /// event x recipient x channel; the notifier uses it as the Message-ID's local part.
    pub idempotency_key: String,
    /// RFC 8058 one-click unsubscribe URL (an https public URL makes it conformant); `None`
    /// for mails that are not notifications (verification, reset, invitation, test).
    pub list_unsubscribe: Option<HttpUrl>,
    /// The message's language (`Content-Language`).
    pub locale: String,
}

/// A webhook call: Statuspage's webhook JSON shape, signed by the notifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookMessage {
    /// Where to POST.
    pub url: HttpUrl,
    /// The signing secret (opened from its sealed form only for this delivery).
    pub secret: Option<String>,
    /// The JSON body, serialized once so the signature covers exactly these bytes.
    pub body: String,
    /// event x recipient x channel; sent as a header so receivers can drop repeats.
    pub idempotency_key: String,
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// Worth retrying later with backoff (connection refused, timeout, 4xx SMTP reply, HTTP
    /// 5xx or 429).
    #[error("transient delivery failure: {0}")]
    Transient(String),
    /// Will not succeed by retrying (5xx SMTP reply, address refused, HTTP 4xx, a webhook URL
    /// resolving to a private address). Recorded, never retried.
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
}

impl DeliveryError {
    /// Whether a retry can succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, DeliveryError::Transient(_))
    }
}

/// A delivery channel. Implementations must not put secrets or recipient addresses into
/// their error strings: those are stored on the delivery and shown to admins.
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// The channel this notifier serves.
    fn channel(&self) -> Channel;

    /// Delivers one message. Called at least once per delivery; the idempotency key lets the
    /// receiving side drop a repeat.
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::PhoneNumber;

    #[test]
    fn sms_channel_and_message() {
        assert_eq!(Channel::Sms.as_str(), "sms");
        let message = Message::Sms(SmsMessage {
            to: PhoneNumber::parse("+14155550123").unwrap(),
            body: "API down".into(),
            idempotency_key: "cachet.1.subscriber-2.sms".into(),
        });
        assert_eq!(message.channel(), Channel::Sms);
        assert_eq!(message.idempotency_key(), "cachet.1.subscriber-2.sms");
        // The recipient stays masked when a message is logged with `{:?}`.
        let debug = format!("{message:?}");
        assert!(debug.contains("+1 ••• ••• 0123"), "{debug}");
        assert!(!debug.contains("4155550123"), "{debug}");
    }
}
