//! Typed filters, sorts and pages.
//!
//! Every field a list can be filtered or sorted by is an enum variant or a typed struct field,
//! so a column name taken from a query string can never reach SQL: the web layer maps the
//! client's `sort=` text onto a variant or ignores it (CVE-2021-39165 was exactly this hole).

use crate::model::*;
use crate::validate::{Name, Order, Slug};

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

impl Direction {
    /// `ASC` or `DESC`.
    #[must_use]
    pub fn sql(self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
    }
}

/// A page request: 1-based page number and page size (1 to [`PageRequest::MAX_PER_PAGE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    per_page: u32,
}

impl PageRequest {
    /// Cachet's default page size.
    pub const DEFAULT_PER_PAGE: u32 = 20;
    /// The largest page size.
    pub const MAX_PER_PAGE: u32 = 1000;

    /// A page request, clamped into range (page at least 1, size 1 to 1000), as API v1
    /// clamps `per_page` and reports the value used.
    #[must_use]
    pub fn new(page: u32, per_page: u32) -> Self {
        Self {
            page: page.max(1),
            per_page: per_page.clamp(1, Self::MAX_PER_PAGE),
        }
    }

    /// Everything up to the maximum page size, on one page.
    #[must_use]
    pub fn all() -> Self {
        Self::new(1, Self::MAX_PER_PAGE)
    }

    /// The 1-based page number.
    #[must_use]
    pub fn page(self) -> u32 {
        self.page
    }

    /// The page size.
    #[must_use]
    pub fn per_page(self) -> u32 {
        self.per_page
    }

    /// How many rows to skip.
    #[must_use]
    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(1, Self::DEFAULT_PER_PAGE)
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// How many items match in total.
    pub total: u64,
    /// The request this page answers.
    pub request: PageRequest,
}

impl<T> Page<T> {
    /// The number of pages (at least 1).
    #[must_use]
    pub fn total_pages(&self) -> u64 {
        self.total
            .div_ceil(u64::from(self.request.per_page()))
            .max(1)
    }

    /// Maps the items.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            request: self.request,
        }
    }
}

/// A sort field: an enum whose variants map to fixed column names.
pub trait SortField: Copy + std::fmt::Debug + PartialEq + Send + Sync + 'static {
    /// Every field, for parsers and tests.
    const ALL: &'static [Self];
    /// The public name (what API clients pass as `sort=`).
    fn name(self) -> &'static str;
    /// The field for a public name; `None` for anything else.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.name() == s)
    }
}

/// A list query: typed filter, optional sort, page.
///
/// An explicit sort orders by its field in the given direction and breaks ties by ascending
/// id, whatever the direction (`ORDER BY x DESC, id ASC`). A missing value (`None`) sorts
/// first ascending and last descending. Without a sort, each filter's docs give the natural
/// order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query<F, S> {
    /// The filter.
    pub filter: F,
    /// The sort; `None` sorts by the entity's natural order (see each filter's docs).
    pub sort: Option<(S, Direction)>,
    /// The page.
    pub page: PageRequest,
}

impl<F: Default, S> Query<F, S> {
    /// Everything (first 1000), natural order.
    #[must_use]
    pub fn all() -> Self {
        Self {
            filter: F::default(),
            sort: None,
            page: PageRequest::all(),
        }
    }
}

impl<F, S> Query<F, S> {
    /// A query with this filter, natural order, first 1000.
    #[must_use]
    pub fn filtered(filter: F) -> Self {
        Self {
            filter,
            sort: None,
            page: PageRequest::all(),
        }
    }

    /// Sets the sort.
    #[must_use]
    pub fn sorted(mut self, field: S, direction: Direction) -> Self {
        self.sort = Some((field, direction));
        self
    }

    /// Sets the page.
    #[must_use]
    pub fn paged(mut self, page: PageRequest) -> Self {
        self.page = page;
        self
    }
}

macro_rules! sort_fields {
    ($( $(#[$meta:meta])* $ty:ident { $( $variant:ident = $name:literal ),+ $(,)? } )+) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum $ty { $( $variant ),+ }

        impl SortField for $ty {
            const ALL: &'static [Self] = &[$($ty::$variant),+];
            fn name(self) -> &'static str {
                match self { $( $ty::$variant => $name ),+ }
            }
        }
    )+};
}

sort_fields! {
    /// Component sort fields (Cachet's sortable columns).
    ComponentSort { Id = "id", Name = "name", Status = "status", Order = "order", GroupId = "group_id", Enabled = "enabled", CreatedAt = "created_at", UpdatedAt = "updated_at" }
    /// Group sort fields.
    GroupSort { Id = "id", Name = "name", Order = "order", Collapsed = "collapsed", Visible = "visible", CreatedAt = "created_at", UpdatedAt = "updated_at" }
    /// Incident sort fields.
    IncidentSort { Id = "id", Name = "name", Status = "status", Visible = "visible", Stickied = "stickied", OccurredAt = "occurred_at", CreatedAt = "created_at", UpdatedAt = "updated_at" }
    /// Template sort fields.
    TemplateSort { Id = "id", Name = "name", Slug = "slug", CreatedAt = "created_at" }
    /// Schedule sort fields.
    ScheduleSort { Id = "id", Name = "name", Status = "status", ScheduledAt = "scheduled_at", CompletedAt = "completed_at", CreatedAt = "created_at" }
    /// Metric sort fields.
    MetricSort { Id = "id", Name = "name", Order = "order", CreatedAt = "created_at" }
    /// Metric point sort fields.
    MetricPointSort { Id = "id", Value = "value", CreatedAt = "created_at" }
    /// Subscriber sort fields.
    SubscriberSort { Id = "id", CreatedAt = "created_at", VerifiedAt = "verified_at" }
    /// User sort fields.
    UserSort { Id = "id", Name = "name", Email = "email", Role = "role", CreatedAt = "created_at" }
    /// No sort choice (lists with a fixed order).
    NoSort { Id = "id" }
}

/// Component filter (all set fields must match). Natural order: `order`, then id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComponentFilter {
    /// Exactly this id.
    pub id: Option<ComponentId>,
    /// Exactly this name.
    pub name: Option<Name>,
    /// This status.
    pub status: Option<ComponentStatus>,
    /// This order.
    pub order: Option<Order>,
    /// This group (`Some(None)`: ungrouped).
    pub group_id: Option<Option<GroupId>>,
    /// Enabled or not.
    pub enabled: Option<bool>,
    /// Having at least one of these tags.
    pub tags_any: Vec<Slug>,
}

/// Group filter. Natural order: `order`, then id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupFilter {
    /// Exactly this id.
    pub id: Option<GroupId>,
    /// Exactly this name.
    pub name: Option<Name>,
    /// This order.
    pub order: Option<Order>,
    /// This collapsed mode.
    pub collapsed: Option<Collapsed>,
    /// This visibility.
    pub visible: Option<GroupVisibility>,
}

/// Incident filter. Natural order: newest `occurred_at` first, then id descending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentFilter {
    /// Exactly this id.
    pub id: Option<IncidentId>,
    /// Reported by this user.
    pub user_id: Option<UserId>,
    /// Affecting this component.
    pub component_id: Option<ComponentId>,
    /// Exactly this name.
    pub name: Option<Name>,
    /// This status.
    pub status: Option<IncidentStatus>,
    /// Visible or not.
    pub visible: Option<bool>,
    /// Stickied or not.
    pub stickied: Option<bool>,
    /// Resolved (status fixed) or not.
    pub resolved: Option<bool>,
    /// Occurred at or after.
    pub occurred_since: Option<Timestamp>,
    /// Occurred before.
    pub occurred_before: Option<Timestamp>,
}

/// Template filter. Natural order: id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TemplateFilter {
    /// Exactly this slug.
    pub slug: Option<Slug>,
}

/// Schedule filter. Natural order: `scheduled_at`, then id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScheduleFilter {
    /// In any of these statuses (empty: any).
    pub status_any: Vec<ScheduleStatus>,
    /// Covering this component.
    pub component_id: Option<ComponentId>,
    /// Starting at or before.
    pub scheduled_before: Option<Timestamp>,
    /// Starting at or after.
    pub scheduled_since: Option<Timestamp>,
}

/// Metric filter. Natural order: `order`, then id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricFilter {
    /// This visibility.
    pub visible: Option<Visibility>,
}

/// Metric point filter. Natural order: newest `created_at` first, then id descending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricPointFilter {
    /// Created at or after.
    pub since: Option<Timestamp>,
    /// Created before.
    pub until: Option<Timestamp>,
}

/// Subscriber filter. Natural order: id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubscriberFilter {
    /// Verified or not.
    pub verified: Option<bool>,
    /// Notified about this component: global subscribers and those subscribed to it.
    pub notified_about: Option<ComponentId>,
    /// Created before (for pruning unverified subscribers).
    pub created_before: Option<Timestamp>,
    /// Only subscribers with an id greater than this (keyset paging for large fan-outs).
    pub after_id: Option<SubscriberId>,
}

/// User filter. Natural order: id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserFilter {
    /// This role.
    pub role: Option<Role>,
    /// Active or not.
    pub active: Option<bool>,
}

/// API token filter. Natural order: id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiTokenFilter {
    /// Owned by this user.
    pub user_id: Option<UserId>,
}

/// Audit filter. Natural order: newest first (id descending).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilter {
    /// By this user.
    pub actor_user_id: Option<UserId>,
    /// This action.
    pub action: Option<AuditAction>,
    /// On this kind of entity.
    pub entity: Option<EntityKind>,
    /// On this entity id.
    pub entity_id: Option<i64>,
    /// With this outcome.
    pub outcome: Option<AuditOutcome>,
    /// At or after.
    pub since: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
}

/// Outbox filter. Natural order: id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxFilter {
    /// In this status.
    pub status: Option<OutboxStatus>,
}

/// Delivery filter. Natural order: id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryFilter {
    /// For this event.
    pub event_id: Option<OutboxEventId>,
    /// In this status.
    pub status: Option<DeliveryStatus>,
    /// To this recipient (as [`crate::model::Delivery::recipient`] names it: `webhook:2`).
    pub recipient: Option<String>,
    /// On this channel (as [`crate::model::Delivery::channel`] names it: `sms`).
    pub channel: Option<String>,
}

/// Component list query.
pub type ComponentQuery = Query<ComponentFilter, ComponentSort>;
/// Group list query.
pub type GroupQuery = Query<GroupFilter, GroupSort>;
/// Incident list query.
pub type IncidentQuery = Query<IncidentFilter, IncidentSort>;
/// Template list query.
pub type TemplateQuery = Query<TemplateFilter, TemplateSort>;
/// Schedule list query.
pub type ScheduleQuery = Query<ScheduleFilter, ScheduleSort>;
/// Metric list query.
pub type MetricQuery = Query<MetricFilter, MetricSort>;
/// Metric point list query.
pub type MetricPointQuery = Query<MetricPointFilter, MetricPointSort>;
/// Subscriber list query.
pub type SubscriberQuery = Query<SubscriberFilter, SubscriberSort>;
/// User list query.
pub type UserQuery = Query<UserFilter, UserSort>;
/// API token list query.
pub type ApiTokenQuery = Query<ApiTokenFilter, NoSort>;
/// Audit list query.
pub type AuditQuery = Query<AuditFilter, NoSort>;
/// Outbox list query.
pub type OutboxQuery = Query<OutboxFilter, NoSort>;
/// Delivery list query.
pub type DeliveryQuery = Query<DeliveryFilter, NoSort>;
