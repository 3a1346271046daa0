//! Chat subscribers: a visitor subscribes a chat channel by its incoming-webhook URL (Slack,
//! Mattermost, Discord, Microsoft Teams, Google Chat), with double opt-in by a confirmation
//! message posted into that channel.
//!
//! # The flow
//!
//! - **Subscribe** ([`Cachet::subscribe_chat`]) answers the same for a new, an unverified and
//!   a verified URL (no enumeration), like the mail form. The URL is checked first
//!   ([`Cachet::check_chat_url`]): `https`, not naming `localhost` or a non-public address
//!   (the webhook rule, applied again to every resolved address at delivery by the guarded
//!   client). A new URL becomes an unverified chat subscriber, and a message with a
//!   confirmation link is posted into the channel; a known unverified one gets a fresh link, a
//!   verified one its manage link, each within the URL's budget (the mail budget's rules).
//! - **Confirm** is the mail's: the link is a one-time verification token
//!   (`/subscribe/verify/{token}`), so only someone who reads the channel can confirm, and
//!   nobody can subscribe someone else's channel by typing its URL.
//! - **Deliveries** go on the chat channel in the platform's own format, recognised from the
//!   URL ([`crate::notify::ChatPlatform::of_incoming_webhook`]), each with the manage and
//!   unsubscribe links.
//!
//! The URL is a credential (whoever has it can post into the channel): it is sealed under its
//! own associated data with a blind index in its own domain, and shown to admins only with
//! its secret part redacted.

use std::net::IpAddr;

use super::{Cachet, Result};
use crate::model::*;
use crate::validate::{HttpUrl, Locale, ValidationError, Violation};

/// The rule a chat subscription's URL must meet, for the error naming its field.
pub const CHAT_URL_RULE: &str = "an https incoming-webhook URL of Slack, Mattermost, Discord, \
     Microsoft Teams or Google Chat on a public host";

/// What admins see of a chat subscriber's URL: scheme and host, the path and query (the
/// platform's secret) redacted.
#[must_use]
pub fn redacted_chat_url(url: &HttpUrl) -> String {
    match url.parsed() {
        Some(u) => format!("{}://{}/[redacted]", u.scheme(), url.host()),
        None => "[redacted]".to_owned(),
    }
}

impl Cachet {
    /// Refuses a chat subscription's URL that is not `https`, or names `localhost` or a
    /// non-public address ([`crate::validate::check_webhook_target`], unless the operator
    /// allows private networks for webhooks): the error names `field`. A DNS name passes
    /// here; its addresses are checked at each delivery.
    ///
    /// # Errors
    ///
    /// [`super::Error::Validation`] naming `field`.
    pub fn check_chat_url(&self, url: &HttpUrl, field: &'static str) -> Result<()> {
        let refuse = || {
            ValidationError::new(
                field,
                Violation::Format {
                    expected: CHAT_URL_RULE,
                },
            )
            .into()
        };
        // Every incoming-webhook platform is https; a plain-http URL would put the
        // channel's credential and the page's messages on the wire in clear.
        if !url.is_https() {
            return Err(refuse());
        }
        if !self.config().webhook_allow_private_networks
            && crate::validate::check_webhook_target(url).is_err()
        {
            return Err(refuse());
        }
        Ok(())
    }

    /// A visitor subscribes a chat channel by its incoming-webhook URL (double opt-in by a
    /// message posted into the channel, no enumeration). The answer is the same whether or
    /// not the URL is known: a new URL becomes an unverified chat subscriber and its channel
    /// gets a confirmation link, an unverified one a fresh link, a verified one its manage
    /// link, each within the URL's budget (one message per 15 minutes, five a day).
    ///
    /// # Errors
    ///
    /// [`super::Error::NotFound`] when subscriptions are off, [`super::Error::Validation`]
    /// naming `url` for a URL that breaks [`CHAT_URL_RULE`] or `components` for a component
    /// that is not on the page, [`super::Error::Store`].
    pub async fn subscribe_chat(
        &self,
        client: Option<IpAddr>,
        url: &HttpUrl,
        components: &[ComponentId],
        locale: Locale,
    ) -> Result<()> {
        self.subscriptions_open().await?;
        self.check_chat_url(url, "url")?;
        let components = self.subscribable(components).await?;
        // The index is in the chat domain, so the budget's key is the URL's alone.
        let contact = self.keyring().seal_chat_url(url)?;
        self.subscribe_sealed(
            client,
            contact,
            SubscriberChannel::Chat,
            components,
            locale,
            "visitor subscribed a chat channel, unverified",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_redacted_url_keeps_scheme_and_host_only() {
        let url = HttpUrl::parse("https://hooks.slack.com/services/T0/B0/Secret?x=1").unwrap();
        assert_eq!(
            redacted_chat_url(&url),
            "https://hooks.slack.com/[redacted]"
        );
    }
}
