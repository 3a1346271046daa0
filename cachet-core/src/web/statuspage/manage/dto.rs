//! The management API's own answers. Components and incidents are answered with the public
//! API's DTOs ([`super::super::dto`]): Statuspage gives both APIs one shape for them.

use serde::Serialize;
use utoipa::ToSchema;

/// An error, as Statuspage answers one: `error` is what its servers send, `message` what its
/// published schema (`ErrorEntity`) names; both carry the same sentence, so a client reading
/// either gets it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpError)]
pub struct ErrorDto {
    /// What went wrong; names the field and the rule for invalid input.
    pub error: String,
    /// The same sentence.
    pub message: String,
}

/// An incident template.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpTemplate)]
pub struct TemplateDto {
    /// Its body (Markdown with `{{ var }}` placeholders, rendered by API v1's `template`).
    pub body: String,
    /// Always empty: templates are not tied to components here.
    pub component_ids: Vec<String>,
    /// ISO-8601 with milliseconds.
    pub created_at: String,
    /// Always `null`.
    #[schema(required = true)]
    pub group_id: Option<String>,
    /// `template-1`.
    pub id: String,
    /// The name.
    pub name: String,
    /// Always true.
    pub should_send_notifications: bool,
    /// Always false.
    pub should_tweet: bool,
    /// The template's slug, what API v1's `template` field takes.
    pub slug: String,
    /// The title an incident made from it gets: its name.
    pub title: String,
    /// Always `investigating`.
    pub update_status: String,
    /// ISO-8601 with milliseconds.
    pub updated_at: String,
}

/// A subscriber (e-mail; other channels are not offered by this API).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpSubscriber)]
pub struct SubscriberDto {
    /// The component ids subscribed to; empty means every component.
    pub components: Vec<String>,
    /// ISO-8601 with milliseconds; `null` in the answer to a token that may not read
    /// addresses.
    #[schema(required = true)]
    pub created_at: Option<String>,
    /// The address.
    pub email: String,
    /// `subscriber-1`; `null` in the answer to a token that may not read addresses, so that
    /// it cannot tell a new address from one already subscribed.
    #[schema(required = true)]
    pub id: Option<String>,
    /// Always `email`.
    pub mode: String,
    /// Always `null`.
    #[schema(required = true)]
    pub quarantined_at: Option<String>,
    /// Whether the address is confirmed (`null` when not told, as for `id`).
    #[schema(required = true)]
    pub verified: Option<bool>,
}
