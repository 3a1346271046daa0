//! Subscribers, their per-component subscriptions, and webhook endpoints.

use super::{BlindIndex, ComponentId, Sealed, SubscriberId, SubscriptionId, Timestamp, WebhookId};
use crate::validate::{HttpUrl, Locale, Name};

/// A subscriber. The address is stored only sealed, with a blind index for look-ups; the
/// core seals and opens it (see [`crate::secrets`]), so no store ever sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// Its id.
    pub id: SubscriberId,
    /// The sealed email address.
    pub email: Sealed,
    /// The keyed hash of the normalised address; unique.
    pub blind_index: BlindIndex,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscriber {
    /// The sealed address.
    pub email: Sealed,
    /// Its blind index.
    pub blind_index: BlindIndex,
    /// Locale.
    pub locale: Locale,
    /// Verified at creation (API with `verify`), or not.
    pub verified_at: Option<Timestamp>,
    /// Components; empty means global. Each must exist.
    pub components: Vec<ComponentId>,
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

/// A webhook endpoint that receives every notification, signed with its secret.
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
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// What creating a webhook endpoint needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Display name.
    pub name: Name,
    /// Target URL.
    pub url: HttpUrl,
    /// Sealed secret.
    pub secret: Sealed,
    /// Enabled.
    pub enabled: bool,
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
}
