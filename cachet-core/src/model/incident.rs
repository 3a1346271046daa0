//! Incidents, their updates and incident templates.

use super::{
    ComponentId, ComponentStatus, IncidentId, IncidentUpdateId, TemplateId, Timestamp, UserId,
    int_enum, normalize_affected, set, with_setters,
};
use crate::validate::{Markdown, Meta, Name, Slug, ValidationError, ViolationExt as _};

int_enum! {
    /// An incident's status, with Cachet v1's codes.
    pub enum IncidentStatus : "0 (scheduled), 1 (investigating), 2 (identified), 3 (watching), 4 (fixed)" {
        /// Cachet 2.3's scheduled maintenance; kept for API compatibility.
        Scheduled = 0 => "Scheduled",
        /// Investigating.
        Investigating = 1 => "Investigating",
        /// Cause identified.
        Identified = 2 => "Identified",
        /// Fix applied, watching.
        Watching = 3 => "Watching",
        /// Resolved.
        Fixed = 4 => "Fixed",
    }
}

impl IncidentStatus {
    /// Whether an incident in this status is resolved.
    #[must_use]
    pub fn is_resolved(self) -> bool {
        self == Self::Fixed
    }
}

int_enum! {
    /// Who sees a metric (Cachet's `visible` on metrics).
    pub enum Visibility : "0 (signed-in users only), 1 (everyone), 2 (hidden)" {
        /// Only signed-in users.
        Authenticated = 0 => "Signed-in users",
        /// Everyone.
        Public = 1 => "Everyone",
        /// Nobody on the page.
        Hidden = 2 => "Hidden",
    }
}

/// A component affected by an incident, with the status the incident gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct AffectedComponent {
    /// The component.
    pub component_id: ComponentId,
    /// The status the incident gives it.
    pub status: ComponentStatus,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Incident {
    /// Its id.
    pub id: IncidentId,
    /// The reporting user, if any.
    pub user_id: Option<UserId>,
    /// Title.
    pub name: Name,
    /// Current status (the latest update's status once updates exist).
    pub status: IncidentStatus,
    /// The first message, Markdown source.
    pub message: Markdown,
    /// Hidden incidents are invisible to visitors, by id too.
    pub visible: bool,
    /// Stickied incidents are pinned on the page.
    pub stickied: bool,
    /// Whether subscribers are notified about it.
    pub notify: bool,
    /// When it happened (defaults to creation time).
    pub occurred_at: Timestamp,
    /// Affected components, sorted by id.
    pub components: Vec<AffectedComponent>,
    /// Client metadata.
    pub meta: Meta,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// What creating an incident needs. The store writes the incident, its affected components
/// and, when asked, their new statuses (with status history entries caused by this incident)
/// in one transaction.
///
/// Build it with [`NewIncident::new`] or [`NewIncident::parse`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewIncident {
    /// The reporting user.
    pub user_id: Option<UserId>,
    /// Title.
    pub name: Name,
    /// Status.
    pub status: IncidentStatus,
    /// Message.
    pub message: Markdown,
    /// Visible to visitors.
    pub visible: bool,
    /// Pinned.
    pub stickied: bool,
    /// Notify subscribers.
    pub notify: bool,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Affected components; each must exist.
    pub components: Vec<AffectedComponent>,
    /// Whether to set each affected component's status to the given one.
    pub apply_component_status: bool,
    /// Client metadata.
    pub meta: Meta,
}

with_setters! {
    NewIncident {
        with_user_id => user_id: Option<UserId>,
        with_visible => visible: bool,
        with_stickied => stickied: bool,
        with_notify => notify: bool,
        with_occurred_at => occurred_at: Timestamp,
        with_components => components: Vec<AffectedComponent>,
        with_apply_component_status => apply_component_status: bool,
        with_meta => meta: Meta,
    }
}

impl NewIncident {
    /// A visible incident that happened `at`, affecting no component and notifying nobody;
    /// change the rest with the `with_*` methods
    /// (`NewIncident::new(name, status, message, now).with_stickied(true)`).
    #[must_use]
    pub fn new(name: Name, status: IncidentStatus, message: Markdown, at: Timestamp) -> Self {
        Self {
            user_id: None,
            name,
            status,
            message,
            visible: true,
            stickied: false,
            notify: false,
            occurred_at: at,
            components: Vec::new(),
            apply_component_status: false,
            meta: Meta::default(),
        }
    }

    /// As [`NewIncident::new`], from text (a host's own strings, a form): the error names the
    /// field (`name`, `message`) and the rule it breaks.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] for a name or message that does not validate.
    pub fn parse(
        name: &str,
        status: IncidentStatus,
        message: &str,
        at: Timestamp,
    ) -> Result<Self, ValidationError> {
        let name = Name::parse(name).field("name")?;
        let message = Markdown::parse(message).field("message")?;
        Ok(Self::new(name, status, message, at))
    }

    /// The same incident, notifying subscribers when it is created.
    #[must_use]
    pub fn notifying(self) -> Self {
        Self {
            notify: true,
            ..self
        }
    }
}

/// A change to an incident.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentPatch {
    /// New title.
    pub name: Option<Name>,
    /// New status.
    pub status: Option<IncidentStatus>,
    /// New message.
    pub message: Option<Markdown>,
    /// New visibility.
    pub visible: Option<bool>,
    /// New stickiness.
    pub stickied: Option<bool>,
    /// New notify flag.
    pub notify: Option<bool>,
    /// New occurrence time.
    pub occurred_at: Option<Timestamp>,
    /// New affected components (replaces the set).
    pub components: Option<Vec<AffectedComponent>>,
    /// Whether to apply the new components' statuses to the components.
    pub apply_component_status: bool,
    /// New metadata.
    pub meta: Option<Meta>,
}

impl IncidentPatch {
    /// Sets on `incident` every field this patch names and nothing else; the new affected
    /// components are stored [normalized](normalize_affected). Applying their statuses to the
    /// components (`apply_component_status`) and stamping `updated_at` are the store's.
    pub fn apply_to(&self, incident: &mut Incident) {
        set(&mut incident.name, self.name.as_ref());
        set(&mut incident.status, self.status.as_ref());
        set(&mut incident.message, self.message.as_ref());
        set(&mut incident.visible, self.visible.as_ref());
        set(&mut incident.stickied, self.stickied.as_ref());
        set(&mut incident.notify, self.notify.as_ref());
        set(&mut incident.occurred_at, self.occurred_at.as_ref());
        if let Some(components) = &self.components {
            incident.components = normalize_affected(components);
        }
        set(&mut incident.meta, self.meta.as_ref());
    }
}

/// An update posted to an incident.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IncidentUpdate {
    /// Its id.
    pub id: IncidentUpdateId,
    /// The incident.
    pub incident_id: IncidentId,
    /// The incident's status as of this update.
    pub status: IncidentStatus,
    /// Markdown source.
    pub message: Markdown,
    /// The author.
    pub user_id: Option<UserId>,
    /// When it was posted.
    pub created_at: Timestamp,
    /// When it was last edited.
    pub updated_at: Timestamp,
}

/// What posting an update needs. The store also sets the incident's status (and, when given,
/// a component's status with a history entry) in the same transaction.
///
/// Build it with [`NewIncidentUpdate::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewIncidentUpdate {
    /// Status.
    pub status: IncidentStatus,
    /// Message.
    pub message: Markdown,
    /// Author.
    pub user_id: Option<UserId>,
    /// A component whose status changes with this update; it must exist.
    pub component: Option<AffectedComponent>,
}

impl NewIncidentUpdate {
    /// An update with a status and a message, by no user, changing no component.
    #[must_use]
    pub fn new(status: IncidentStatus, message: Markdown) -> Self {
        Self {
            status,
            message,
            user_id: None,
            component: None,
        }
    }
}

with_setters! {
    NewIncidentUpdate {
        with_user_id => user_id: Option<UserId>,
        with_component => component: Option<AffectedComponent>,
    }
}

/// A change to an incident update.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentUpdatePatch {
    /// New status.
    pub status: Option<IncidentStatus>,
    /// New message.
    pub message: Option<Markdown>,
}

impl IncidentUpdatePatch {
    /// Sets on `update` every field this patch names and nothing else (`updated_at` is the
    /// store's to stamp).
    pub fn apply_to(&self, update: &mut IncidentUpdate) {
        set(&mut update.status, self.status.as_ref());
        set(&mut update.message, self.message.as_ref());
    }
}

/// A logic-less incident template (`{{ var }}` substitution only; see [`crate::template`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IncidentTemplate {
    /// Its id.
    pub id: TemplateId,
    /// Display name.
    pub name: Name,
    /// Unique slug, what API clients pass as `template`.
    pub slug: Slug,
    /// The template source (Markdown with `{{ var }}` placeholders).
    pub template: Markdown,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// What creating a template needs.
///
/// Build it with [`NewIncidentTemplate::new`]; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewIncidentTemplate {
    /// Display name.
    pub name: Name,
    /// Unique slug.
    pub slug: Slug,
    /// Source.
    pub template: Markdown,
}

impl NewIncidentTemplate {
    /// A template with every field.
    #[must_use]
    pub fn new(name: Name, slug: Slug, template: Markdown) -> Self {
        Self {
            name,
            slug,
            template,
        }
    }
}

/// A change to a template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentTemplatePatch {
    /// New name.
    pub name: Option<Name>,
    /// New slug (must stay unique).
    pub slug: Option<Slug>,
    /// New source.
    pub template: Option<Markdown>,
}

impl IncidentTemplatePatch {
    /// Sets on `template` every field this patch names and nothing else (`updated_at` is the
    /// store's to stamp).
    pub fn apply_to(&self, template: &mut IncidentTemplate) {
        set(&mut template.name, self.name.as_ref());
        set(&mut template.slug, self.slug.as_ref());
        set(&mut template.template, self.template.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::{at, check, markdown, name, slug};

    fn affected(id: i64, status: ComponentStatus) -> AffectedComponent {
        AffectedComponent {
            component_id: ComponentId(id),
            status,
        }
    }

    #[test]
    fn incident_patch_sets_what_it_names() {
        let before = Incident {
            id: IncidentId(1),
            user_id: Some(UserId(2)),
            name: name("Slow API"),
            status: IncidentStatus::Investigating,
            message: markdown("Looking"),
            visible: true,
            stickied: false,
            notify: true,
            occurred_at: at(1),
            components: vec![affected(1, ComponentStatus::PerformanceIssues)],
            meta: Meta::default(),
            created_at: at(1),
            updated_at: at(2),
        };
        let patch = IncidentPatch {
            name: Some(name("API down")),
            status: Some(IncidentStatus::Fixed),
            message: Some(markdown("**Fixed**")),
            visible: Some(false),
            stickied: Some(true),
            notify: Some(false),
            occurred_at: Some(at(0)),
            // Repeated and out of order: stored one per component (the last wins), by id.
            components: Some(vec![
                affected(3, ComponentStatus::MajorOutage),
                affected(2, ComponentStatus::PartialOutage),
                affected(3, ComponentStatus::Operational),
            ]),
            apply_component_status: true,
            meta: Some(Meta::parse_json(r#"{"ticket":42}"#).expect("valid meta")),
        };
        let expected = Incident {
            name: name("API down"),
            status: IncidentStatus::Fixed,
            message: markdown("**Fixed**"),
            visible: false,
            stickied: true,
            notify: false,
            occurred_at: at(0),
            components: vec![
                affected(2, ComponentStatus::PartialOutage),
                affected(3, ComponentStatus::Operational),
            ],
            meta: Meta::parse_json(r#"{"ticket":42}"#).expect("valid meta"),
            ..before.clone()
        };
        check(&before, &patch, &expected, IncidentPatch::apply_to);
    }

    #[test]
    fn incident_update_patch_sets_what_it_names() {
        let before = IncidentUpdate {
            id: IncidentUpdateId(4),
            incident_id: IncidentId(1),
            status: IncidentStatus::Identified,
            message: markdown("Found it"),
            user_id: None,
            created_at: at(1),
            updated_at: at(2),
        };
        let patch = IncidentUpdatePatch {
            status: Some(IncidentStatus::Watching),
            message: Some(markdown("Watching")),
        };
        let expected = IncidentUpdate {
            status: IncidentStatus::Watching,
            message: markdown("Watching"),
            ..before.clone()
        };
        check(&before, &patch, &expected, IncidentUpdatePatch::apply_to);
    }

    #[test]
    fn template_patch_sets_what_it_names() {
        let before = IncidentTemplate {
            id: TemplateId(1),
            name: name("Outage"),
            slug: slug("outage"),
            template: markdown("{{ name }} is down"),
            created_at: at(1),
            updated_at: at(2),
        };
        let patch = IncidentTemplatePatch {
            name: Some(name("Degraded")),
            slug: Some(slug("degraded")),
            template: Some(markdown("{{ name }} is slow")),
        };
        let expected = IncidentTemplate {
            name: name("Degraded"),
            slug: slug("degraded"),
            template: markdown("{{ name }} is slow"),
            ..before.clone()
        };
        check(&before, &patch, &expected, IncidentTemplatePatch::apply_to);
    }
}
