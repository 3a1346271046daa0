//! Components, component groups, tags and the status history.

use super::{
    ComponentId, GroupId, IncidentId, ScheduleId, StatusChangeId, Timestamp, UserId, int_enum,
    normalize_tags, set, str_enum, with_setters,
};
use crate::validate::{HttpUrl, Meta, Name, Order, Slug, Text};

int_enum! {
    /// A component's stored status, with Cachet v1's codes.
    pub enum ComponentStatus : "0 (unknown), 1 (operational), 2 (performance issues), 3 (partial outage), 4 (major outage)" {
        /// Not known (Cachet 2.4's status 0).
        Unknown = 0 => "Unknown",
        /// Working normally.
        Operational = 1 => "Operational",
        /// Slow or degraded.
        PerformanceIssues = 2 => "Performance Issues",
        /// Partly down.
        PartialOutage = 3 => "Partial Outage",
        /// Down.
        MajorOutage = 4 => "Major Outage",
    }
}

impl ComponentStatus {
    /// How bad the status is, for "worst status wins" rules: unknown counts as operational.
    #[must_use]
    pub fn severity(self) -> u8 {
        match self {
            Self::Unknown | Self::Operational => 0,
            Self::PerformanceIssues => 1,
            Self::PartialOutage => 2,
            Self::MajorOutage => 3,
        }
    }
}

/// A tag on a component (Cachet shows tags as `{slug: name}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Tag {
    /// The tag's slug, what the `tags[]` filter matches.
    pub slug: Slug,
    /// The tag's display name.
    pub name: Name,
}

impl Tag {
    /// The longest tag name.
    pub const MAX_NAME_CHARS: usize = 64;
}

/// A component: one thing whose status the page shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Component {
    /// Its id.
    pub id: ComponentId,
    /// Display name.
    pub name: Name,
    /// Plain-text description.
    pub description: Text,
    /// An optional link to the component itself.
    pub link: Option<HttpUrl>,
    /// The stored status (maintenance is derived, not stored).
    pub status: ComponentStatus,
    /// Display position inside its group.
    pub order: Order,
    /// The group it belongs to, if any.
    pub group_id: Option<GroupId>,
    /// Disabled components are hidden from visitors.
    pub enabled: bool,
    /// Tags, sorted by slug.
    pub tags: Vec<Tag>,
    /// Client metadata.
    pub meta: Meta,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// What creating a component needs.
///
/// Build it with [`NewComponent::named`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewComponent {
    /// Display name.
    pub name: Name,
    /// Plain-text description.
    pub description: Text,
    /// An optional link.
    pub link: Option<HttpUrl>,
    /// The initial status.
    pub status: ComponentStatus,
    /// Display position.
    pub order: Order,
    /// The group, if any. Must exist.
    pub group_id: Option<GroupId>,
    /// Whether visitors see it.
    pub enabled: bool,
    /// Tags; duplicates by slug are merged.
    pub tags: Vec<Tag>,
    /// Client metadata.
    pub meta: Meta,
    /// Why the initial status is what it is, recorded in the status history.
    pub cause: StatusCause,
}

with_setters! {
    NewComponent {
        with_description => description: Text,
        with_link => link: Option<HttpUrl>,
        with_order => order: Order,
        with_group_id => group_id: Option<GroupId>,
        with_enabled => enabled: bool,
        with_tags => tags: Vec<Tag>,
        with_meta => meta: Meta,
        with_cause => cause: StatusCause,
    }
}

impl NewComponent {
    /// A component with a name and status and every other field at its default.
    #[must_use]
    pub fn named(name: Name, status: ComponentStatus) -> Self {
        Self {
            name,
            description: Text::empty(),
            link: None,
            status,
            order: Order::default(),
            group_id: None,
            enabled: true,
            tags: Vec::new(),
            meta: Meta::default(),
            cause: StatusCause::default(),
        }
    }
}

/// A change to a component. `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComponentPatch {
    /// New name.
    pub name: Option<Name>,
    /// New description.
    pub description: Option<Text>,
    /// New link; `Some(None)` removes it.
    pub link: Option<Option<HttpUrl>>,
    /// New status. A different status adds a status history entry.
    pub status: Option<ComponentStatus>,
    /// New order.
    pub order: Option<Order>,
    /// New group; `Some(None)` ungroups. Must exist.
    pub group_id: Option<Option<GroupId>>,
    /// New enabled flag.
    pub enabled: Option<bool>,
    /// New tag set (replaces the old one).
    pub tags: Option<Vec<Tag>>,
    /// New metadata (replaces the old object).
    pub meta: Option<Meta>,
    /// Why the status changed, for the status history.
    pub cause: StatusCause,
}

impl ComponentPatch {
    /// Sets on `component` every field this patch names and nothing else: the one rule both
    /// bundled stores follow, so they cannot drift apart. The new tag set is stored
    /// [normalized](normalize_tags). `cause` is not a field (a store records it with the
    /// status history entry), and `updated_at` is the store's to stamp from its write time.
    pub fn apply_to(&self, component: &mut Component) {
        set(&mut component.name, self.name.as_ref());
        set(&mut component.description, self.description.as_ref());
        set(&mut component.link, self.link.as_ref());
        set(&mut component.status, self.status.as_ref());
        set(&mut component.order, self.order.as_ref());
        set(&mut component.group_id, self.group_id.as_ref());
        set(&mut component.enabled, self.enabled.as_ref());
        if let Some(tags) = &self.tags {
            component.tags = normalize_tags(tags);
        }
        set(&mut component.meta, self.meta.as_ref());
    }
}

/// Why a component's status changed, kept with each status history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct StatusCause {
    /// What kind of change it was.
    pub kind: StatusCauseKind,
    /// The user who made it, when a user did.
    pub user_id: Option<UserId>,
    /// The incident that set it, when one did.
    pub incident_id: Option<IncidentId>,
    /// The maintenance schedule that set it, when one did.
    pub schedule_id: Option<ScheduleId>,
}

str_enum! {
    /// What kind of action changed a status.
    pub enum StatusCauseKind : "manual, api, incident, maintenance, system" {
        /// A person in the dashboard.
        Manual = "manual",
        /// An API client.
        Api = "api",
        /// An incident or incident update.
        Incident = "incident",
        /// A maintenance window.
        Maintenance = "maintenance",
        /// cachet itself (imports, migrations, tests).
        System = "system",
    }
}

#[allow(clippy::derivable_impls)] // str_enum! owns the derive list
impl Default for StatusCauseKind {
    fn default() -> Self {
        Self::System
    }
}

/// One entry of a component's status history: the data behind the 90-day bars.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusChange {
    /// Its id.
    pub id: StatusChangeId,
    /// The component.
    pub component_id: ComponentId,
    /// The status before (`None` for the first entry, at creation).
    pub old_status: Option<ComponentStatus>,
    /// The status after.
    pub new_status: ComponentStatus,
    /// Why it changed.
    pub cause: StatusCause,
    /// When.
    pub at: Timestamp,
}

int_enum! {
    /// How a group shows its components (Cachet's `collapsed`).
    pub enum Collapsed : "0 (expanded), 1 (collapsed), 2 (collapsed unless a component has a problem)" {
        /// Always expanded.
        Expanded = 0 => "Expanded",
        /// Collapsed by default.
        Collapsed = 1 => "Collapsed",
        /// Collapsed unless one of its components is not operational.
        CollapsedUnlessIncident = 2 => "Collapsed unless there is an incident",
    }
}

int_enum! {
    /// Who sees a group (Cachet's `visible`).
    pub enum GroupVisibility : "0 (signed-in users only), 1 (everyone)" {
        /// Only signed-in users.
        Authenticated = 0 => "Signed-in users",
        /// Everyone.
        Public = 1 => "Everyone",
    }
}

/// A component group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ComponentGroup {
    /// Its id.
    pub id: GroupId,
    /// Display name.
    pub name: Name,
    /// Display position.
    pub order: Order,
    /// Collapsed mode.
    pub collapsed: Collapsed,
    /// Who sees it.
    pub visible: GroupVisibility,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// What creating a group needs.
///
/// Build it with [`NewComponentGroup::named`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewComponentGroup {
    /// Display name.
    pub name: Name,
    /// Display position.
    pub order: Order,
    /// Collapsed mode.
    pub collapsed: Collapsed,
    /// Who sees it.
    pub visible: GroupVisibility,
}

impl NewComponentGroup {
    /// A group with a name, first in order, expanded, and seen by signed-in users only (Cachet's default for a new group).
    #[must_use]
    pub fn named(name: Name) -> Self {
        Self {
            name,
            order: Order::default(),
            collapsed: Collapsed::Expanded,
            visible: GroupVisibility::Authenticated,
        }
    }
}

with_setters! {
    NewComponentGroup {
        with_order => order: Order,
        with_collapsed => collapsed: Collapsed,
        with_visible => visible: GroupVisibility,
    }
}

/// A change to a group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComponentGroupPatch {
    /// New name.
    pub name: Option<Name>,
    /// New order.
    pub order: Option<Order>,
    /// New collapsed mode.
    pub collapsed: Option<Collapsed>,
    /// New visibility.
    pub visible: Option<GroupVisibility>,
}

impl ComponentGroupPatch {
    /// Sets on `group` every field this patch names and nothing else (`updated_at` is the
    /// store's to stamp).
    pub fn apply_to(&self, group: &mut ComponentGroup) {
        set(&mut group.name, self.name.as_ref());
        set(&mut group.order, self.order.as_ref());
        set(&mut group.collapsed, self.collapsed.as_ref());
        set(&mut group.visible, self.visible.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::test_support::{at, check, name, slug, text};
    use crate::testing::strategies;

    fn component() -> Component {
        Component {
            id: ComponentId(7),
            name: name("API"),
            description: text("The API"),
            link: Some(HttpUrl::parse("https://example.com/api").expect("valid url")),
            status: ComponentStatus::Operational,
            order: Order::default(),
            group_id: Some(GroupId(2)),
            enabled: true,
            tags: vec![Tag {
                slug: slug("eu"),
                name: name("EU"),
            }],
            meta: Meta::default(),
            created_at: at(1),
            updated_at: at(2),
        }
    }

    #[test]
    fn component_patch_sets_what_it_names() {
        let before = component();
        let eu = Tag {
            slug: slug("eu"),
            name: name("Europe"),
        };
        let us = Tag {
            slug: slug("us"),
            name: name("US"),
        };
        let patch = ComponentPatch {
            name: Some(name("Web")),
            description: Some(text("")),
            link: Some(None),
            status: Some(ComponentStatus::MajorOutage),
            order: Some(Order::new(3).expect("valid order")),
            group_id: Some(None),
            enabled: Some(false),
            // Out of order and repeated: stored deduplicated by slug and sorted.
            tags: Some(vec![us.clone(), eu.clone(), us.clone()]),
            meta: Some(Meta::parse_json(r#"{"team":"core"}"#).expect("valid meta")),
            cause: StatusCause::default(),
        };
        let expected = Component {
            name: name("Web"),
            description: text(""),
            link: None,
            status: ComponentStatus::MajorOutage,
            order: Order::new(3).expect("valid order"),
            group_id: None,
            enabled: false,
            tags: vec![eu, us],
            meta: Meta::parse_json(r#"{"team":"core"}"#).expect("valid meta"),
            ..before.clone()
        };
        check(&before, &patch, &expected, ComponentPatch::apply_to);
    }

    #[test]
    fn group_patch_sets_what_it_names() {
        let before = ComponentGroup {
            id: GroupId(1),
            name: name("Core"),
            order: Order::default(),
            collapsed: Collapsed::Expanded,
            visible: GroupVisibility::Public,
            created_at: at(1),
            updated_at: at(2),
        };
        let patch = ComponentGroupPatch {
            name: Some(name("Edge")),
            order: Some(Order::new(-1).expect("valid order")),
            collapsed: Some(Collapsed::CollapsedUnlessIncident),
            visible: Some(GroupVisibility::Authenticated),
        };
        let expected = ComponentGroup {
            name: name("Edge"),
            order: Order::new(-1).expect("valid order"),
            collapsed: Collapsed::CollapsedUnlessIncident,
            visible: GroupVisibility::Authenticated,
            ..before.clone()
        };
        check(&before, &patch, &expected, ComponentGroupPatch::apply_to);
    }

    fn component_patch() -> impl Strategy<Value = ComponentPatch> {
        use proptest::option::of;
        (
            of(strategies::name()),
            of(strategies::text()),
            of(of(strategies::http_url())),
            of(strategies::component_status()),
            of(strategies::order()),
            of(of((1..5_i64).prop_map(GroupId))),
            of(any::<bool>()),
            of(strategies::tags()),
            of(strategies::meta()),
        )
            .prop_map(
                |(name, description, link, status, order, group_id, enabled, tags, meta)| {
                    ComponentPatch {
                        name,
                        description,
                        link,
                        status,
                        order,
                        group_id,
                        enabled,
                        tags,
                        meta,
                        cause: StatusCause::default(),
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn any_component_patch_changes_exactly_the_fields_it_names(patch in component_patch()) {
            let before = component();
            let mut after = before.clone();
            patch.apply_to(&mut after);
            prop_assert_eq!(&after.name, patch.name.as_ref().unwrap_or(&before.name));
            prop_assert_eq!(
                &after.description,
                patch.description.as_ref().unwrap_or(&before.description)
            );
            prop_assert_eq!(&after.link, patch.link.as_ref().unwrap_or(&before.link));
            prop_assert_eq!(after.status, patch.status.unwrap_or(before.status));
            prop_assert_eq!(after.order, patch.order.unwrap_or(before.order));
            prop_assert_eq!(after.group_id, patch.group_id.unwrap_or(before.group_id));
            prop_assert_eq!(after.enabled, patch.enabled.unwrap_or(before.enabled));
            prop_assert_eq!(&after.tags, patch.tags.as_ref().unwrap_or(&before.tags));
            prop_assert_eq!(&after.meta, patch.meta.as_ref().unwrap_or(&before.meta));
            prop_assert_eq!(
                (after.id, after.created_at, after.updated_at),
                (before.id, before.created_at, before.updated_at)
            );
        }
    }
}
