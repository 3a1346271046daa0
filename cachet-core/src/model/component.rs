//! Components, component groups, tags and the status history.

use super::{
    ComponentId, GroupId, IncidentId, ScheduleId, StatusChangeId, Timestamp, UserId, int_enum,
    str_enum,
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
