//! Subscribers, their per-component subscriptions, and webhook endpoints.

use super::{
    BlindIndex, ComponentId, Sealed, SubscriberId, SubscriptionId, Timestamp, WebhookId,
    normalize_ids, set, str_enum, with_setters,
};
use crate::validate::{HttpUrl, Locale, Name};

str_enum! {
    /// How a subscriber is reached: by mail (an address), by SMS (a mobile number), or by a
    /// chat platform's incoming webhook (a URL that posts into one channel).
    #[derive(Default)]
    pub enum SubscriberChannel : "email, sms, chat" {
        /// Mails to an address (what subscribers made before SMS existed are).
        #[default]
        Email = "email",
        /// SMS to a mobile number.
        Sms = "sms",
        /// Messages posted to an incoming-webhook URL of Slack, Mattermost, Discord,
        /// Microsoft Teams or Google Chat, in the platform's own format.
        Chat = "chat",
    }
}

/// A subscriber. The address (or, for [`SubscriberChannel::Sms`], the phone number) is
/// stored only sealed, with a blind index for look-ups; the core seals and opens it (see
/// [`crate::secrets`]), so no store ever sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// Its id.
    pub id: SubscriberId,
    /// The sealed contact: the email address, the E.164 number of an SMS subscriber, or the
    /// incoming-webhook URL of a chat subscriber (each sealed under its own associated data,
    /// so one cannot be opened as another).
    pub email: Sealed,
    /// The keyed hash of the normalised address, number or URL; unique. Numbers and URLs are
    /// hashed in domains of their own, so no two channels ever share an index.
    pub blind_index: BlindIndex,
    /// How they are reached.
    pub channel: SubscriberChannel,
    /// The locale of their mails.
    pub locale: Locale,
    /// When they confirmed the address; unverified subscribers get nothing but the
    /// verification mail.
    pub verified_at: Option<Timestamp>,
    /// Subscribed to everything (they chose no components).
    pub global: bool,
    /// Their subscriptions, sorted by component id (empty when global).
    pub components: Vec<ComponentId>,
    /// When they subscribed.
    pub created_at: Timestamp,
    /// When they last changed.
    pub updated_at: Timestamp,
}

/// What creating a subscriber needs. A second subscriber with the same blind index is a
/// [`crate::store::StoreError::Conflict`].
///
/// Build it with [`NewSubscriber::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewSubscriber {
    /// The sealed address or number.
    pub email: Sealed,
    /// Its blind index.
    pub blind_index: BlindIndex,
    /// How they are reached (default [`SubscriberChannel::Email`]).
    pub channel: SubscriberChannel,
    /// Locale.
    pub locale: Locale,
    /// Verified at creation (API with `verify`), or not.
    pub verified_at: Option<Timestamp>,
    /// Components; empty means global. Each must exist.
    pub components: Vec<ComponentId>,
}

impl NewSubscriber {
    /// An unverified subscriber to every component.
    #[must_use]
    pub fn new(email: Sealed, blind_index: BlindIndex, locale: Locale) -> Self {
        Self {
            email,
            blind_index,
            channel: SubscriberChannel::Email,
            locale,
            verified_at: None,
            components: Vec::new(),
        }
    }
}

with_setters! {
    NewSubscriber {
        with_verified_at => verified_at: Option<Timestamp>,
        with_components => components: Vec<ComponentId>,
        with_channel => channel: SubscriberChannel,
    }
}

/// A change to a subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubscriberPatch {
    /// Re-sealed address (key rotation) with its blind index.
    pub email: Option<(Sealed, BlindIndex)>,
    /// New locale.
    pub locale: Option<Locale>,
    /// New verification time; `Some(None)` un-verifies.
    pub verified_at: Option<Option<Timestamp>>,
    /// New subscriptions (replaces the set; empty means global).
    pub components: Option<Vec<ComponentId>>,
}

impl SubscriberPatch {
    /// Sets on `subscriber` every field this patch names and nothing else. The address comes
    /// with its blind index, and new subscriptions with the `global` flag they imply (none
    /// means all components); the components are stored [normalized](normalize_ids).
    /// `updated_at` is the store's to stamp.
    pub fn apply_to(&self, subscriber: &mut Subscriber) {
        if let Some((email, index)) = &self.email {
            subscriber.email.clone_from(email);
            subscriber.blind_index = *index;
        }
        set(&mut subscriber.locale, self.locale.as_ref());
        set(&mut subscriber.verified_at, self.verified_at.as_ref());
        if let Some(components) = &self.components {
            subscriber.components = normalize_ids(components);
            subscriber.global = subscriber.components.is_empty();
        }
    }
}

/// One subscription of a subscriber to a component (API v1's `/subscriptions/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Subscription {
    /// Its id.
    pub id: SubscriptionId,
    /// The subscriber.
    pub subscriber_id: SubscriberId,
    /// The component.
    pub component_id: ComponentId,
    /// When it was made.
    pub created_at: Timestamp,
}

str_enum! {
    /// An event a webhook endpoint can choose to receive.
    pub enum WebhookEvent : "incident_created, incident_updated, incident_resolved, component_status, maintenance" {
        /// An incident was opened.
        IncidentCreated = "incident_created",
        /// An incident got an update that does not resolve it.
        IncidentUpdated = "incident_updated",
        /// An incident got the update that resolves it (status fixed).
        IncidentResolved = "incident_resolved",
        /// A component's status changed.
        ComponentStatus = "component_status",
        /// Maintenance was scheduled, started or completed.
        Maintenance = "maintenance",
    }
}

/// The events a webhook endpoint receives: a non-empty set, stored as the events' names
/// separated by commas in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WebhookEvents(u8);

impl WebhookEvents {
    /// Every event (what an endpoint made before events could be chosen receives).
    pub const ALL: Self = Self((1 << WebhookEvent::ALL.len()) - 1);

    // The variants are numbered in declaration order, which is `WebhookEvent::ALL`'s.
    fn bit(event: WebhookEvent) -> u8 {
        1 << event as u8
    }

    /// The set of `events`.
    ///
    /// # Errors
    ///
    /// [`crate::validate::Violation::Required`] when `events` is empty: an endpoint that
    /// receives nothing is a disabled one, and `enabled` says that.
    pub fn of(
        events: impl IntoIterator<Item = WebhookEvent>,
    ) -> Result<Self, crate::validate::Violation> {
        let bits = events.into_iter().fold(0, |bits, e| bits | Self::bit(e));
        if bits == 0 {
            return Err(crate::validate::Violation::Required);
        }
        Ok(Self(bits))
    }

    /// Parses the stored form (names separated by commas; spaces around a name and repeated
    /// names are accepted).
    ///
    /// # Errors
    ///
    /// [`crate::validate::Violation::NotAllowed`] for an unknown name,
    /// [`crate::validate::Violation::Required`] for none.
    pub fn parse(s: &str) -> Result<Self, crate::validate::Violation> {
        let events = s
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(WebhookEvent::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::of(events)
    }

    /// Whether the set holds `event`.
    #[must_use]
    pub fn contains(self, event: WebhookEvent) -> bool {
        self.0 & Self::bit(event) != 0
    }

    /// The events in the set, in [`WebhookEvent::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = WebhookEvent> {
        WebhookEvent::ALL
            .iter()
            .copied()
            .filter(move |e| self.contains(*e))
    }
}

impl Default for WebhookEvents {
    fn default() -> Self {
        Self::ALL
    }
}

impl std::fmt::Display for WebhookEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(e.as_str())?;
        }
        Ok(())
    }
}

str_enum! {
    /// The wire format of a webhook endpoint: the signed Statuspage JSON, or a chat
    /// platform's incoming-webhook message (delivered on the chat channel).
    #[derive(Default)]
    pub enum WebhookFormat : "json, slack, teams, discord, mattermost, google_chat, matrix" {
        /// The signed Statuspage JSON body (what endpoints made before formats existed get).
        #[default]
        Json = "json",
        /// A Slack incoming webhook (Block Kit).
        Slack = "slack",
        /// A Microsoft Teams Workflows webhook (Adaptive Card).
        Teams = "teams",
        /// A Discord channel webhook (embed).
        Discord = "discord",
        /// A Mattermost incoming webhook.
        Mattermost = "mattermost",
        /// A Google Chat space webhook (card).
        GoogleChat = "google_chat",
        /// A Matrix room, through the client-server API with a bot's access token (the
        /// endpoint's secret, sealed like every secret).
        Matrix = "matrix",
    }
}

impl WebhookFormat {
    /// Whether this format is a chat platform's (everything but [`WebhookFormat::Json`]); the
    /// platform itself is `ChatPlatform::of_format` in the notify layer.
    #[must_use]
    pub fn is_chat(self) -> bool {
        self != WebhookFormat::Json
    }

    /// Whether the endpoint's secret is used at delivery, so one must be given: the signing
    /// key of signed JSON, Matrix's access token. The incoming-webhook platforms take no
    /// secret (their URL is the credential).
    #[must_use]
    pub fn uses_secret(self) -> bool {
        matches!(self, WebhookFormat::Json | WebhookFormat::Matrix)
    }

    /// The URLs this format accepts, for an error message.
    #[must_use]
    pub fn url_rule(self) -> &'static str {
        match self {
            WebhookFormat::Json => "an http or https URL",
            WebhookFormat::Slack => "an https://hooks.slack.com/services/... URL",
            WebhookFormat::Teams => {
                "an https URL under webhook.office.com, logic.azure.com or powerplatform.com"
            }
            WebhookFormat::Discord => {
                "an https://discord.com/api/webhooks/... (or discordapp.com) URL"
            }
            WebhookFormat::Mattermost => "an https URL",
            WebhookFormat::GoogleChat => "an https://chat.googleapis.com/v1/spaces/... URL",
            WebhookFormat::Matrix => {
                "an https://HOMESERVER/_matrix/client/v3/rooms/!ROOM:SERVER URL (the room's id)"
            }
        }
    }
}

/// A webhook endpoint that receives the notifications it chose, signed with its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// Display name.
    pub name: Name,
    /// Where payloads go.
    pub url: HttpUrl,
    /// The sealed signing secret (write-only: never shown again).
    pub secret: Sealed,
    /// Disabled endpoints get nothing.
    pub enabled: bool,
    /// The events it receives.
    pub events: WebhookEvents,
    /// The wire format of what it receives.
    pub format: WebhookFormat,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// What creating a webhook endpoint needs.
///
/// Build it with [`NewWebhook::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewWebhook {
    /// Display name.
    pub name: Name,
    /// Target URL.
    pub url: HttpUrl,
    /// Sealed secret.
    pub secret: Sealed,
    /// Enabled.
    pub enabled: bool,
    /// The events it receives.
    pub events: WebhookEvents,
    /// The wire format (default [`WebhookFormat::Json`]).
    pub format: WebhookFormat,
}

impl NewWebhook {
    /// An enabled endpoint.
    #[must_use]
    pub fn new(name: Name, url: HttpUrl, secret: Sealed, events: WebhookEvents) -> Self {
        Self {
            name,
            url,
            secret,
            enabled: true,
            events,
            format: WebhookFormat::Json,
        }
    }
}

with_setters! {
    NewWebhook {
        with_enabled => enabled: bool,
        with_format => format: WebhookFormat,
    }
}

/// A change to a webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebhookPatch {
    /// New name.
    pub name: Option<Name>,
    /// New URL.
    pub url: Option<HttpUrl>,
    /// New sealed secret.
    pub secret: Option<Sealed>,
    /// New enabled flag.
    pub enabled: Option<bool>,
    /// New events.
    pub events: Option<WebhookEvents>,
    /// New wire format.
    pub format: Option<WebhookFormat>,
}

impl WebhookPatch {
    /// Sets on `webhook` every field this patch names and nothing else (`updated_at` is the
    /// store's to stamp).
    pub fn apply_to(&self, webhook: &mut Webhook) {
        set(&mut webhook.name, self.name.as_ref());
        set(&mut webhook.url, self.url.as_ref());
        set(&mut webhook.secret, self.secret.as_ref());
        set(&mut webhook.enabled, self.enabled.as_ref());
        set(&mut webhook.events, self.events.as_ref());
        set(&mut webhook.format, self.format.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::{at, check, name};

    fn sealed(byte: u8) -> Sealed {
        Sealed {
            key_id: 1,
            ciphertext: vec![byte; 40],
        }
    }

    #[test]
    fn subscriber_patch_sets_what_it_names() {
        let before = Subscriber {
            id: SubscriberId(1),
            email: sealed(1),
            blind_index: BlindIndex([1; 32]),
            channel: SubscriberChannel::Sms,
            locale: Locale::parse("en").expect("valid locale"),
            verified_at: Some(at(3)),
            global: false,
            components: vec![ComponentId(1)],
            created_at: at(1),
            updated_at: at(2),
        };
        let patch = SubscriberPatch {
            email: Some((sealed(2), BlindIndex([2; 32]))),
            locale: Some(Locale::parse("de").expect("valid locale")),
            verified_at: Some(None),
            components: Some(Vec::new()),
        };
        let expected = Subscriber {
            email: sealed(2),
            blind_index: BlindIndex([2; 32]),
            locale: Locale::parse("de").expect("valid locale"),
            verified_at: None,
            // No subscriptions left means every component.
            global: true,
            components: Vec::new(),
            ..before.clone()
        };
        check(&before, &patch, &expected, SubscriberPatch::apply_to);

        let narrowed = SubscriberPatch {
            components: Some(vec![ComponentId(5), ComponentId(4), ComponentId(5)]),
            ..SubscriberPatch::default()
        };
        let mut after = expected.clone();
        narrowed.apply_to(&mut after);
        assert_eq!(
            after,
            Subscriber {
                global: false,
                components: vec![ComponentId(4), ComponentId(5)],
                ..expected
            }
        );
    }

    #[test]
    fn webhook_patch_sets_what_it_names() {
        let before = Webhook {
            id: WebhookId(1),
            name: name("Ops"),
            url: HttpUrl::parse("https://hooks.example.com/a").expect("valid url"),
            secret: sealed(1),
            enabled: true,
            events: WebhookEvents::ALL,
            format: WebhookFormat::Json,
            created_at: at(1),
            updated_at: at(2),
        };
        let only_resolved = WebhookEvents::of([WebhookEvent::IncidentResolved]).expect("one event");
        let patch = WebhookPatch {
            name: Some(name("Chat")),
            url: Some(HttpUrl::parse("https://hooks.example.com/b").expect("valid url")),
            secret: Some(sealed(2)),
            enabled: Some(false),
            events: Some(only_resolved),
            format: Some(WebhookFormat::Mattermost),
        };
        let expected = Webhook {
            name: name("Chat"),
            url: HttpUrl::parse("https://hooks.example.com/b").expect("valid url"),
            secret: sealed(2),
            enabled: false,
            events: only_resolved,
            format: WebhookFormat::Mattermost,
            ..before.clone()
        };
        check(&before, &patch, &expected, WebhookPatch::apply_to);
    }
}
