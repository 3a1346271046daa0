//! The answers of Cachet 3's API: JSON:API documents (`{"data", "included", "jsonapi"}`, and
//! `links` and `meta` for a page of a list) whose resource objects carry Cachet 3's
//! attributes. One DTO per shape; the OpenAPI document's schemas are these types.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// A status or an enum value as Cachet 3 shows it: the label and the number.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3Labelled)]
pub struct Labelled {
    /// The label in English (`Operational`, `Investigating`).
    pub human: String,
    /// The number (Cachet 3's enum value); `null` where Cachet 3 has none.
    #[schema(required = true)]
    pub value: Option<i64>,
}

/// A moment as Cachet 3 shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3Moment)]
pub struct Moment {
    /// Relative to now, in English (`3 hours ago`, `2 days from now`); `null` when unset.
    #[schema(required = true)]
    pub human: Option<String>,
    /// `YYYY-MM-DD HH:MM:SS` in the site's time zone; `null` when unset.
    #[schema(required = true)]
    pub string: Option<String>,
}

/// A related resource's identifier.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[schema(as = C3Identifier)]
pub struct Identifier {
    /// The id, as a string.
    pub id: String,
    /// The resource type (`components`, `componentGroups`, `updates`).
    #[serde(rename = "type")]
    pub kind: String,
}

/// The linkage of one relationship: one identifier, none, or a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = C3Linkage)]
pub enum Linkage {
    /// A to-one relationship (`null` when unset).
    One(Option<Identifier>),
    /// A to-many relationship.
    Many(Vec<Identifier>),
}

/// A relationship, present when the request asked for it with `include`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3Relationship)]
pub struct Relationship {
    /// The related resources' identifiers; the resources are in the document's `included`.
    pub data: Linkage,
}

/// An empty JSON object (`meta` and `links` of a resource, which Cachet 3 leaves empty).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(as = C3Empty)]
pub struct Empty {}

/// The server's JSON:API version.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3JsonApi)]
pub struct JsonApi {
    /// Always `1.0`.
    pub version: &'static str,
    /// Always empty.
    pub meta: Empty,
}

impl Default for JsonApi {
    fn default() -> Self {
        Self {
            version: "1.0",
            meta: Empty {},
        }
    }
}

/// The links of a page of a list (a simple paginator: no last page).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3PageLinks)]
pub struct PageLinks {
    /// The first page.
    pub first: String,
    /// Always `null`: the total is not counted, as in Cachet 3.
    #[schema(required = true)]
    pub last: Option<String>,
    /// The previous page, if any.
    #[schema(required = true)]
    pub prev: Option<String>,
    /// The next page, if any.
    #[schema(required = true)]
    pub next: Option<String>,
}

/// The position of a page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3PageMeta)]
pub struct PageMeta {
    /// This page, from 1.
    pub current_page: u64,
    /// The position of the first item on this page, from 1; `null` for an empty page.
    #[schema(required = true)]
    pub from: Option<u64>,
    /// The list's URL without a query.
    pub path: String,
    /// Items per page (`per_page`, 1 to 100, default 15).
    pub per_page: u64,
    /// The position of the last item on this page; `null` for an empty page.
    #[schema(required = true)]
    pub to: Option<u64>,
}

/// Declares a resource object, its one-resource document and its list document.
macro_rules! resource {
    ($(#[$doc:meta])* $resource:ident as $schema:ident, $attributes:ident, $one:ident as $one_schema:ident, $many:ident as $many_schema:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, ToSchema)]
        #[schema(as = $schema)]
        pub struct $resource {
            /// The id, as a string.
            pub id: String,
            /// The resource type.
            #[serde(rename = "type")]
            pub kind: &'static str,
            /// What Cachet 3 shows of it.
            pub attributes: $attributes,
            /// The relationships the request asked for with `include`.
            pub relationships: BTreeMap<String, Relationship>,
            /// Always empty.
            pub meta: Empty,
            /// Always empty.
            pub links: Empty,
        }

        /// One resource: `{"data": {...}, "included": [...], "jsonapi": {...}}`.
        #[derive(Debug, Clone, Serialize, ToSchema)]
        #[schema(as = $one_schema)]
        pub struct $one {
            /// The resource.
            pub data: $resource,
            /// The related resources `include` asked for (resource objects of any type).
            pub included: Vec<serde_json::Value>,
            /// The JSON:API version.
            pub jsonapi: JsonApi,
        }

        /// A page of a list.
        #[derive(Debug, Clone, Serialize, ToSchema)]
        #[schema(as = $many_schema)]
        pub struct $many {
            /// The resources on this page.
            pub data: Vec<$resource>,
            /// The related resources `include` asked for (resource objects of any type).
            pub included: Vec<serde_json::Value>,
            /// The JSON:API version.
            pub jsonapi: JsonApi,
            /// The neighbouring pages.
            pub links: PageLinks,
            /// Where this page is.
            pub meta: PageMeta,
        }

        impl $one {
            /// The document of one resource.
            pub(crate) fn new(data: $resource, included: Vec<serde_json::Value>) -> Self {
                Self {
                    data,
                    included,
                    jsonapi: JsonApi::default(),
                }
            }
        }

        impl $many {
            /// The document of a page of a list.
            pub(crate) fn new(
                data: Vec<$resource>,
                included: Vec<serde_json::Value>,
                (links, meta): (PageLinks, PageMeta),
            ) -> Self {
                Self {
                    data,
                    included,
                    jsonapi: JsonApi::default(),
                    links,
                    meta,
                }
            }
        }
    };
}

resource!(
    /// A component.
    ComponentResource as C3Component, ComponentAttributes,
    ComponentDocument as C3ComponentDocument, ComponentList as C3ComponentList
);
resource!(
    /// A component group.
    GroupResource as C3ComponentGroup, GroupAttributes,
    GroupDocument as C3ComponentGroupDocument, GroupList as C3ComponentGroupList
);
resource!(
    /// An incident.
    IncidentResource as C3Incident, IncidentAttributes,
    IncidentDocument as C3IncidentDocument, IncidentList as C3IncidentList
);
resource!(
    /// An update of an incident or of a maintenance schedule.
    UpdateResource as C3Update, UpdateAttributes,
    UpdateDocument as C3UpdateDocument, UpdateList as C3UpdateList
);
resource!(
    /// An incident template.
    TemplateResource as C3IncidentTemplate, TemplateAttributes,
    TemplateDocument as C3IncidentTemplateDocument, TemplateList as C3IncidentTemplateList
);
resource!(
    /// A maintenance schedule.
    ScheduleResource as C3Schedule, ScheduleAttributes,
    ScheduleDocument as C3ScheduleDocument, ScheduleList as C3ScheduleList
);
resource!(
    /// A metric.
    MetricResource as C3Metric, MetricAttributes,
    MetricDocument as C3MetricDocument, MetricList as C3MetricList
);
resource!(
    /// A point of a metric.
    PointResource as C3MetricPoint, PointAttributes,
    PointDocument as C3MetricPointDocument, PointList as C3MetricPointList
);
resource!(
    /// A subscriber (admin tokens only).
    SubscriberResource as C3Subscriber, SubscriberAttributes,
    SubscriberDocument as C3SubscriberDocument, SubscriberList as C3SubscriberList
);

/// What Cachet 3 shows of a component.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3ComponentAttributes)]
pub struct ComponentAttributes {
    /// The id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The description.
    pub description: String,
    /// Its link, if any.
    #[schema(required = true)]
    pub link: Option<String>,
    /// Display position.
    pub order: i64,
    /// The status stored (Cachet 3's numbers: 1 operational ... 4 major outage, 5 unknown).
    pub status: Labelled,
    /// The status shown: `6` (under maintenance) while a maintenance window covers it.
    pub latest_status: Labelled,
    /// Whether visitors see it.
    pub enabled: bool,
    /// Its metadata, with `include=meta`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
    /// When it was created.
    pub created: Moment,
    /// When it last changed.
    pub updated: Moment,
}

/// What Cachet 3 shows of a component group.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3ComponentGroupAttributes)]
pub struct GroupAttributes {
    /// The id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// Display position.
    pub order: i64,
    /// Always `null`: components are ordered by their own `order`.
    #[schema(required = true)]
    pub order_column: Option<String>,
    /// Always `null`.
    #[schema(required = true)]
    pub order_direction: Option<String>,
    /// 0 expanded, 1 collapsed, 2 collapsed unless a component has an issue.
    pub collapsed: i64,
    /// 0 signed-in users only, 1 everyone, 2 hidden.
    pub visible: i64,
    /// When it was created.
    pub created: Moment,
    /// When it last changed.
    pub updated: Moment,
}

/// What Cachet 3 shows of an incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3IncidentAttributes)]
pub struct IncidentAttributes {
    /// The id.
    pub id: i64,
    /// A stable UUID for the incident (its `guid` in metadata when it has one, as an
    /// imported Cachet 3 incident does; else derived from the site and the id).
    pub guid: String,
    /// The title.
    pub name: String,
    /// The message, as written (Markdown).
    pub message: String,
    /// Whether visitors see it.
    pub visible: bool,
    /// Whether it is pinned to the top of the page.
    pub stickied: bool,
    /// Whether subscribers are notified of it.
    pub notifications: bool,
    /// Its metadata, with `include=meta`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
    /// Its status: the latest update's, else its own (0 reported ... 4 fixed).
    pub status: Labelled,
    /// When it occurred.
    pub occurred: Moment,
    /// When it was published (when it was created: nothing is published later here).
    pub published: Moment,
    /// When it was created.
    pub created: Moment,
    /// When it last changed.
    pub updated: Moment,
}

/// What Cachet 3 shows of an update.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3UpdateAttributes)]
pub struct UpdateAttributes {
    /// The id.
    pub id: i64,
    /// The incident's or the schedule's id.
    pub updateable_id: i64,
    /// `incident` or `schedule`.
    pub updateable_type: &'static str,
    /// The message (Markdown).
    pub message: String,
    /// The incident status it set; absent on a schedule's update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Labelled>,
    /// When it was created.
    pub created: Moment,
    /// When it last changed.
    pub updated: Moment,
}

/// What Cachet 3 shows of an incident template.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3IncidentTemplateAttributes)]
pub struct TemplateAttributes {
    /// The id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The slug, what an incident's `template` names.
    pub slug: String,
    /// The template: Markdown with `{{ name }}` placeholders.
    pub template: String,
    /// Always `twig`, Cachet 3's word for its placeholder syntax; nothing is evaluated here
    /// (placeholders are substituted with escaped values).
    pub engine: &'static str,
    /// When it was created.
    pub created: Moment,
    /// When it last changed.
    pub updated: Moment,
}

/// What Cachet 3 shows of a maintenance schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3ScheduleAttributes)]
pub struct ScheduleAttributes {
    /// The id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The message (Markdown).
    pub message: String,
    /// Its status now (0 upcoming, 1 in progress, 2 complete), from its window and the clock.
    pub status: Labelled,
    /// When it starts.
    pub scheduled: Moment,
    /// When it ends, if set.
    pub completed: Moment,
    /// When it was published (created).
    pub published: Moment,
    /// When it was created.
    pub created: Moment,
    /// When it last changed.
    pub updated: Moment,
}

/// What Cachet 3 shows of a metric.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3MetricAttributes)]
pub struct MetricAttributes {
    /// The id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The unit shown after values.
    pub suffix: String,
    /// The description (Markdown).
    pub description: String,
    /// The value shown when there are no points.
    pub default_value: f64,
    /// 0 sum, 1 average.
    pub calc_type: i64,
    /// Whether the chart is shown.
    pub display_chart: bool,
    /// Decimal places shown.
    pub places: i64,
    /// 0 last hour, 1 last 12 hours, 2 last week, 3 last month.
    pub default_view: i64,
    /// Minutes within which points are merged.
    pub threshold: i64,
    /// Display position.
    pub order: i64,
    /// 0 signed-in users only, 1 everyone, 2 hidden.
    pub visible: i64,
    /// When it was created.
    pub created: Moment,
    /// When it last changed.
    pub updated: Moment,
}

/// What Cachet 3 shows of a metric point.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3MetricPointAttributes)]
pub struct PointAttributes {
    /// The id.
    pub id: i64,
    /// The metric's id.
    pub metric_id: i64,
    /// `value` times `counter` (merged points add up).
    pub calculated_value: f64,
    /// The value.
    pub value: f64,
    /// How many submissions were merged into it.
    pub counter: i64,
    /// When it was created.
    pub created: Moment,
    /// When it last changed.
    pub updated: Moment,
}

/// What Cachet 3 shows of a subscriber.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3SubscriberAttributes)]
pub struct SubscriberAttributes {
    /// The id.
    pub id: i64,
    /// The address.
    pub email: String,
    /// Whether it follows every component (no per-component subscriptions).
    pub global: bool,
    /// Whether the address was confirmed.
    pub verified: bool,
    /// When it was confirmed.
    pub verified_at: Moment,
    /// When it was created.
    pub created: Moment,
    /// When it last changed.
    pub updated: Moment,
}

/// `{"data": "Pong!"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3Ping)]
pub struct PingDocument {
    /// Always `Pong!`.
    pub data: &'static str,
}

/// The version.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3VersionData)]
pub struct VersionData {
    /// This server's version.
    pub version: &'static str,
}

/// `{"data": {"version": ...}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3Version)]
pub struct VersionDocument {
    /// The version.
    pub data: VersionData,
}

/// The page's overall status.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3StatusData)]
pub struct StatusData {
    /// `operational`, `partial_outage`, `major_outage` or `under_maintenance`.
    pub status: &'static str,
    /// The sentence Cachet 3 shows for it.
    pub message: &'static str,
}

/// `{"data": {"status", "message"}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3Status)]
pub struct StatusDocument {
    /// The status.
    pub data: StatusData,
}

/// An error, as Laravel answers one: `message`, and for invalid input `errors` by field.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = C3Error)]
pub struct ErrorDto {
    /// What went wrong.
    pub message: String,
    /// For a 422: each field's messages, naming the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}
