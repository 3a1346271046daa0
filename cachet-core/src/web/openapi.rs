//! The OpenAPI 3.1 document of API v1 and the Statuspage v2 JSON, served at
//! `GET /api/openapi.json`.
//!
//! Built with utoipa (a schema and document builder, no web framework): the object schemas are
//! `ToSchema` derives of the shapes below, which mirror the presenters field for field
//! ([`crate::web::api_v1::present`] and the Statuspage v2 renderer, both of which build their
//! JSON with `json!`); the sort parameters are generated from the stores' sort whitelists
//! ([`SortField::ALL`]), so a sortable field added there is documented here without an edit.
//! `cachet-core/tests/openapi.rs` keeps the document honest: every route the API v1 dispatcher
//! serves must be documented, and real answers must validate against their schemas; CI runs
//! schemathesis against the standalone binary with this document.

use std::sync::OnceLock;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use utoipa::ToSchema;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
    PathItemBuilder,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    RefOr, Required, ResponseBuilder,
};

use crate::store::{
    ComponentSort, GroupSort, IncidentSort, MetricPointSort, MetricSort, ScheduleSort, SortField,
    SubscriberSort, TemplateSort,
};
use crate::web::response;

/// The path the document is served at.
pub(crate) const PATH: &str = "/api/openapi.json";

/// Object shapes, as documentation types: they are never built, only described. Each one
/// lists exactly the keys its presenter writes (`present.rs`, `statuspage.rs`).
#[allow(dead_code)] // described, never constructed
mod shapes {
    use serde_json::Value;
    use utoipa::ToSchema;

    /// A component (Cachet 2.4's presenter).
    #[derive(ToSchema)]
    pub struct V1Component {
        pub id: i64,
        pub name: String,
        /// Plain text.
        pub description: String,
        /// An http(s) URL, or `""`.
        pub link: String,
        /// 0 unknown, 1 operational, 2 performance issues, 3 partial outage, 4 major outage.
        #[schema(minimum = 0, maximum = 4)]
        pub status: i64,
        pub order: i64,
        /// 0 when ungrouped.
        pub group_id: i64,
        pub enabled: bool,
        /// `{key: value}` or `null`.
        #[schema(value_type = Option<Object>)]
        pub meta: Option<Value>,
        pub created_at: String,
        pub updated_at: String,
        /// Always `null` (deleted components are gone).
        pub deleted_at: Option<String>,
        pub status_name: String,
        /// `{slug: name}`, or `[]` when there are none (PHP's empty array).
        pub tags: Value,
    }

    /// A component group with its enabled components.
    #[derive(ToSchema)]
    pub struct V1Group {
        pub id: i64,
        pub name: String,
        pub order: i64,
        /// 0 expanded, 1 collapsed, 2 collapsed unless an incident is open.
        pub collapsed: i64,
        /// 0 signed-in users only, 1 public.
        pub visible: i64,
        pub created_at: String,
        pub updated_at: String,
        pub lowest_human_status: Option<String>,
        pub enabled_components: Vec<V1Component>,
        pub enabled_components_lowest: Vec<V1Component>,
    }

    /// An incident update.
    #[derive(ToSchema)]
    pub struct V1IncidentUpdate {
        pub id: i64,
        pub incident_id: i64,
        /// 1 investigating, 2 identified, 3 watching, 4 fixed.
        pub status: i64,
        /// Markdown source.
        pub message: String,
        pub user_id: Option<i64>,
        pub created_at: String,
        pub updated_at: String,
        pub human_status: String,
        pub permalink: String,
    }

    /// An incident with its updates, newest first.
    #[derive(ToSchema)]
    pub struct V1Incident {
        pub id: i64,
        pub user_id: Option<i64>,
        /// The first affected component, or 0.
        pub component_id: i64,
        pub name: String,
        /// 0 scheduled, 1 investigating, 2 identified, 3 watching, 4 fixed.
        pub status: i64,
        /// 0 or 1.
        pub visible: i64,
        pub stickied: bool,
        pub notifications: bool,
        /// Markdown source.
        pub message: String,
        pub occurred_at: String,
        pub created_at: String,
        pub updated_at: String,
        pub deleted_at: Option<String>,
        pub is_resolved: bool,
        /// `{key: value}`, or `[]` when empty (PHP's empty array).
        pub meta: Value,
        pub updates: Vec<V1IncidentUpdate>,
        pub human_status: String,
        pub latest_update_id: Option<i64>,
        pub latest_status: i64,
        pub latest_human_status: String,
        pub latest_icon: String,
        pub permalink: String,
        /// Seconds from the incident to its latest update.
        pub duration: i64,
    }

    /// An incident template.
    #[derive(ToSchema)]
    pub struct V1Template {
        pub id: i64,
        pub name: String,
        pub slug: String,
        /// The template source (a restricted Twig subset, rendered without code execution).
        pub template: String,
        pub created_at: String,
        pub updated_at: String,
        pub deleted_at: Option<String>,
    }

    /// A metric.
    #[derive(ToSchema)]
    pub struct V1Metric {
        pub id: i64,
        pub name: String,
        pub suffix: String,
        pub description: String,
        pub default_value: f64,
        /// 0 sum, 1 average.
        pub calc_type: i64,
        pub display_chart: bool,
        pub places: i64,
        /// 0 last hour, 1 today, 2 week, 3 month.
        pub default_view: i64,
        /// Minutes per point.
        pub threshold: i64,
        pub order: i64,
        pub visible: i64,
        pub created_at: String,
        pub updated_at: String,
        pub default_view_name: MetricViewName,
    }

    /// The name of a metric's default view.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum MetricViewName {
        LastHour,
        Today,
        Week,
        Month,
    }

    /// A metric point; `calculated_value` = `value` x `counter`.
    #[derive(ToSchema)]
    pub struct V1MetricPoint {
        pub id: i64,
        pub metric_id: i64,
        pub value: f64,
        pub counter: i64,
        pub created_at: String,
        pub updated_at: String,
        pub calculated_value: f64,
    }

    /// A maintenance schedule with the components it covers.
    #[derive(ToSchema)]
    pub struct V1Schedule {
        pub id: i64,
        pub name: String,
        /// Markdown source.
        pub message: String,
        /// 0 upcoming, 1 in progress, 2 complete.
        pub status: i64,
        pub scheduled_at: String,
        pub completed_at: Option<String>,
        pub created_at: String,
        pub updated_at: String,
        pub deleted_at: Option<String>,
        pub components: Vec<V1Component>,
        pub human_status: String,
    }

    /// A subscription of a subscriber to a component.
    #[derive(ToSchema)]
    pub struct V1Subscription {
        /// `null` in the answer to a token that may not read addresses (the request echoed).
        pub id: Option<i64>,
        /// `null` as `id` is.
        pub subscriber_id: Option<i64>,
        pub component_id: i64,
        pub created_at: String,
        pub updated_at: String,
    }

    /// A subscriber, for an admin token. Never carries a verification code or link token.
    /// Creating one with a token that may not read addresses answers the request echoed,
    /// with a `null` id, whether or not the address was already subscribed.
    #[derive(ToSchema)]
    pub struct V1Subscriber {
        /// `null` in the answer to a token that may not read addresses.
        pub id: Option<i64>,
        pub email: String,
        pub verified_at: Option<String>,
        pub global: bool,
        pub created_at: String,
        pub updated_at: String,
        pub subscriptions: Vec<V1Subscription>,
    }

    /// The page links of a list.
    #[derive(ToSchema)]
    pub struct V1PageLinks {
        /// Absolute URL of the next page, or `null` on the last.
        pub next_page: Option<String>,
        /// Absolute URL of the previous page, or `null` on the first.
        pub previous_page: Option<String>,
    }

    /// Cachet's pagination block.
    #[derive(ToSchema)]
    pub struct V1Pagination {
        #[schema(minimum = 0)]
        pub total: i64,
        #[schema(minimum = 0)]
        pub count: i64,
        #[schema(minimum = 1, maximum = 1000)]
        pub per_page: i64,
        #[schema(minimum = 1)]
        pub current_page: i64,
        #[schema(minimum = 0)]
        pub total_pages: i64,
        pub links: V1PageLinks,
    }

    /// The `meta` of a list.
    #[derive(ToSchema)]
    pub struct V1ListMeta {
        pub pagination: V1Pagination,
    }

    /// `GET /ping`.
    #[derive(ToSchema)]
    pub struct V1Ping {
        /// `"Pong!"`.
        pub data: String,
    }

    /// The release `GET /version` compares with.
    #[derive(ToSchema)]
    pub struct V1Release {
        pub tag_name: String,
        /// Cachet's spelling.
        pub prelease: bool,
        pub draft: bool,
    }

    /// The `meta` of `GET /version`.
    #[derive(ToSchema)]
    pub struct V1VersionMeta {
        pub on_latest: bool,
        pub latest: V1Release,
    }

    /// `GET /version`.
    #[derive(ToSchema)]
    pub struct V1Version {
        pub meta: V1VersionMeta,
        pub data: String,
    }

    /// The overall status.
    #[derive(ToSchema)]
    pub struct V1StatusData {
        /// `success`, `info` or `danger`.
        pub status: String,
        pub message: String,
    }

    /// `GET /status`.
    #[derive(ToSchema)]
    pub struct V1Status {
        pub data: V1StatusData,
    }

    /// Validation details of a 400.
    #[derive(ToSchema)]
    pub struct ApiErrorMeta {
        /// One `field: rule` message per failure.
        pub details: Vec<String>,
    }

    /// One error.
    #[derive(ToSchema)]
    pub struct ApiErrorObject {
        /// The request id (API v1 only; also in the `X-Request-Id` header).
        pub id: Option<String>,
        pub status: i64,
        pub title: String,
        pub detail: String,
        pub meta: Option<ApiErrorMeta>,
    }

    /// Cachet's error envelope, for every 4xx and 5xx of both APIs.
    #[derive(ToSchema)]
    pub struct ApiError {
        pub errors: Vec<ApiErrorObject>,
    }

    // ---- request bodies (API v1) ----

    /// `POST /components` (`name` and `status` required) and `PUT /components/{id}` (all
    /// optional).
    #[derive(ToSchema)]
    pub struct ComponentBody {
        pub name: Option<String>,
        pub description: Option<String>,
        #[schema(minimum = 0, maximum = 4)]
        pub status: Option<i64>,
        /// An http(s) URL, or `""` to clear.
        pub link: Option<String>,
        pub order: Option<i64>,
        pub group_id: Option<i64>,
        pub enabled: Option<bool>,
        #[schema(value_type = Option<Object>)]
        pub meta: Option<Value>,
        /// Comma-separated tag names.
        pub tags: Option<String>,
        /// Update only: no notifications for this change.
        pub silent: Option<bool>,
    }

    /// `POST /components/groups` (`name` required) and `PUT` (all optional).
    #[derive(ToSchema)]
    pub struct GroupBody {
        pub name: Option<String>,
        pub order: Option<i64>,
        #[schema(minimum = 0, maximum = 2)]
        pub collapsed: Option<i64>,
        pub visible: Option<bool>,
    }

    /// `POST /incidents` (`name` and `status` required, or `template`) and `PUT` (all
    /// optional).
    #[derive(ToSchema)]
    pub struct IncidentBody {
        pub name: Option<String>,
        #[schema(minimum = 0, maximum = 4)]
        pub status: Option<i64>,
        /// Markdown.
        pub message: Option<String>,
        pub visible: Option<bool>,
        pub component_id: Option<i64>,
        #[schema(minimum = 0, maximum = 4)]
        pub component_status: Option<i64>,
        pub notify: Option<bool>,
        pub stickied: Option<bool>,
        /// `Y-m-d H:i` in the request's time zone.
        pub occurred_at: Option<String>,
        /// A template slug; its output replaces `message`.
        pub template: Option<String>,
        #[schema(value_type = Option<Object>)]
        pub vars: Option<Value>,
        #[schema(value_type = Option<Object>)]
        pub meta: Option<Value>,
    }

    /// `POST /incidents/{id}/updates` (`status` and `message` required) and `PUT`.
    #[derive(ToSchema)]
    pub struct UpdateBody {
        #[schema(minimum = 1, maximum = 4)]
        pub status: Option<i64>,
        /// Markdown.
        pub message: Option<String>,
        pub component_id: Option<i64>,
        #[schema(minimum = 0, maximum = 4)]
        pub component_status: Option<i64>,
    }

    /// `POST /metrics` (`name`, `suffix`, `default_value` required) and `PUT`.
    #[derive(ToSchema)]
    pub struct MetricBody {
        pub name: Option<String>,
        pub suffix: Option<String>,
        pub description: Option<String>,
        pub default_value: Option<f64>,
        #[schema(minimum = 0, maximum = 1)]
        pub calc_type: Option<i64>,
        pub display_chart: Option<bool>,
        #[schema(minimum = 0, maximum = 4)]
        pub places: Option<i64>,
        #[schema(minimum = 0, maximum = 3)]
        pub default_view: Option<i64>,
        /// Minutes; must divide 60.
        pub threshold: Option<i64>,
        pub order: Option<i64>,
        #[schema(minimum = 0, maximum = 2)]
        pub visible: Option<i64>,
    }

    /// `POST /metrics/{id}/points` (`value` required) and `PUT`.
    #[derive(ToSchema)]
    pub struct PointBody {
        pub value: Option<f64>,
        /// Unix seconds.
        pub timestamp: Option<i64>,
    }

    /// `POST /schedules` (`name`, `status`, `scheduled_at` required) and `PUT`.
    #[derive(ToSchema)]
    pub struct ScheduleBody {
        pub name: Option<String>,
        /// Markdown.
        pub message: Option<String>,
        #[schema(minimum = 0, maximum = 2)]
        pub status: Option<i64>,
        /// `Y-m-d H:i` in the request's time zone.
        pub scheduled_at: Option<String>,
        /// `Y-m-d H:i` in the request's time zone.
        pub completed_at: Option<String>,
        pub components: Option<Vec<i64>>,
        pub notify: Option<bool>,
    }

    /// `POST /subscribers` (`email` required).
    #[derive(ToSchema)]
    pub struct SubscriberBody {
        pub email: Option<String>,
        /// Mark verified at once instead of sending a verification mail.
        pub verify: Option<bool>,
        /// Component ids (default all).
        pub components: Option<Vec<i64>>,
    }

    // ---- Statuspage v2 ----

    /// The page.
    #[derive(ToSchema)]
    pub struct SpPage {
        /// 12 lowercase base36 characters.
        pub id: String,
        pub name: String,
        pub url: String,
        pub time_zone: String,
        /// ISO-8601 with milliseconds.
        pub updated_at: String,
    }

    /// The overall indicator.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum SpIndicator {
        None,
        Minor,
        Major,
        Critical,
        Maintenance,
    }

    /// The top-level status.
    #[derive(ToSchema)]
    pub struct SpStatus {
        pub indicator: SpIndicator,
        pub description: String,
    }

    /// A component's status.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum SpComponentStatus {
        Operational,
        DegradedPerformance,
        PartialOutage,
        MajorOutage,
        UnderMaintenance,
    }

    /// A component or a group (`group: true`, with `components`).
    #[derive(ToSchema)]
    pub struct SpComponent {
        pub id: String,
        pub name: String,
        pub status: SpComponentStatus,
        pub created_at: String,
        pub updated_at: String,
        pub position: i64,
        pub description: Option<String>,
        pub showcase: bool,
        pub start_date: Option<String>,
        pub group_id: Option<String>,
        pub page_id: String,
        pub group: bool,
        pub only_show_if_degraded: bool,
        /// Groups only: the ids of their components.
        pub components: Option<Vec<String>>,
    }

    /// An incident or maintenance update.
    #[derive(ToSchema)]
    pub struct SpIncidentUpdate {
        pub id: String,
        pub status: String,
        pub body: String,
        pub incident_id: String,
        pub created_at: String,
        pub updated_at: String,
        pub display_at: String,
        #[schema(value_type = Option<Vec<Object>>)]
        pub affected_components: Option<Vec<Value>>,
        pub deliver_notifications: bool,
        pub custom_tweet: Option<String>,
        pub tweet_id: Option<String>,
    }

    /// An incident's status.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum SpIncidentStatus {
        Investigating,
        Identified,
        Monitoring,
        Resolved,
        Postmortem,
    }

    /// An incident's impact.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum SpImpact {
        None,
        Minor,
        Major,
        Critical,
        Maintenance,
    }

    /// An incident.
    #[derive(ToSchema)]
    pub struct SpIncident {
        pub id: String,
        pub name: String,
        pub status: SpIncidentStatus,
        pub created_at: String,
        pub updated_at: String,
        pub monitoring_at: Option<String>,
        pub resolved_at: Option<String>,
        pub impact: SpImpact,
        pub shortlink: String,
        pub started_at: String,
        pub page_id: String,
        pub incident_updates: Vec<SpIncidentUpdate>,
        pub components: Vec<SpComponent>,
    }

    /// A maintenance's phase.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum SpMaintenanceStatus {
        Scheduled,
        InProgress,
        Verifying,
        Completed,
    }

    /// A scheduled maintenance.
    #[derive(ToSchema)]
    pub struct SpMaintenance {
        pub id: String,
        pub name: String,
        pub status: SpMaintenanceStatus,
        pub created_at: String,
        pub updated_at: String,
        pub monitoring_at: Option<String>,
        pub resolved_at: Option<String>,
        pub impact: SpImpact,
        pub shortlink: String,
        pub started_at: String,
        pub page_id: String,
        pub incident_updates: Vec<SpIncidentUpdate>,
        pub components: Vec<SpComponent>,
        pub scheduled_for: String,
        pub scheduled_until: Option<String>,
    }

    /// `status.json`.
    #[derive(ToSchema)]
    pub struct SpStatusResponse {
        pub page: SpPage,
        pub status: SpStatus,
    }

    /// `components.json`.
    #[derive(ToSchema)]
    pub struct SpComponentsResponse {
        pub page: SpPage,
        pub components: Vec<SpComponent>,
    }

    /// `incidents.json`, `incidents/unresolved.json`.
    #[derive(ToSchema)]
    pub struct SpIncidentsResponse {
        pub page: SpPage,
        pub incidents: Vec<SpIncident>,
    }

    /// `scheduled-maintenances*.json`.
    #[derive(ToSchema)]
    pub struct SpMaintenancesResponse {
        pub page: SpPage,
        pub scheduled_maintenances: Vec<SpMaintenance>,
    }

    /// `summary.json`.
    #[derive(ToSchema)]
    pub struct SpSummary {
        pub page: SpPage,
        pub status: SpStatus,
        pub components: Vec<SpComponent>,
        pub incidents: Vec<SpIncident>,
        pub scheduled_maintenances: Vec<SpMaintenance>,
    }
}

use shapes::*;

/// Registers `T` under its name.
fn with<T: ToSchema>(c: ComponentsBuilder) -> ComponentsBuilder {
    c.schema_from::<T>()
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn json_content(schema: RefOr<Schema>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

/// `{"data": <name>}`.
fn item_of(name: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .property("data", schema_ref(name))
        .required("data")
        .into()
}

/// `{"meta": {"pagination": …}, "data": [<name>]}`.
fn list_of(name: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .property("meta", schema_ref("V1ListMeta"))
        .property("data", ArrayBuilder::new().items(schema_ref(name)))
        .required("meta")
        .required("data")
        .into()
}

fn error_response(status: u16) -> utoipa::openapi::Response {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let mut r = ResponseBuilder::new()
        .description(reason)
        .content("application/json", json_content(schema_ref("ApiError")));
    if status == 429 {
        r = r.header(
            "Retry-After",
            utoipa::openapi::HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Seconds until a request may succeed."))
                .build(),
        );
    }
    r.build()
}

fn query(name: &str, schema: impl Into<RefOr<Schema>>, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn int_schema(min: Option<i64>, max: Option<i64>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(min)
        .maximum(max)
}

fn path_id(name: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some("A positive id; anything else is 404."))
        .schema(Some(int_schema(Some(1), None)))
        .build()
}

/// `Time-Zone`: dates in and out in that IANA zone (an unknown zone falls back to the site's).
fn time_zone() -> Parameter {
    ParameterBuilder::new()
        .name("Time-Zone")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "An IANA time zone for dates in and out; unknown zones fall back to the site's.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// `page`, `per_page`, and `sort`/`order` over the store's sort whitelist for `S`.
fn list_params<S: SortField>() -> Vec<Parameter> {
    let sorts: Vec<&'static str> = S::ALL.iter().map(|s| s.name()).collect();
    vec![
        query("page", int_schema(Some(1), None), "1-based page number."),
        query(
            "per_page",
            int_schema(Some(1), Some(1000)),
            "Items per page (default 20; clamped to 1..=1000).",
        ),
        query(
            "sort",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(sorts)),
            "Sort field (whitelist; anything else is ignored, as in Cachet).",
        ),
        query(
            "order",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["asc", "desc"])),
            "Sort direction (default asc).",
        ),
    ]
}

fn int_filter(name: &str) -> Parameter {
    query(name, int_schema(None, None), "Equality filter.")
}

fn bool_filter(name: &str) -> Parameter {
    query(
        name,
        ObjectBuilder::new().schema_type(Type::Boolean),
        "Equality filter.",
    )
}

fn text_filter(name: &str) -> Parameter {
    query(
        name,
        ObjectBuilder::new().schema_type(Type::String),
        "Equality filter.",
    )
}

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// A guest may; a token widens what is seen.
    Public,
    /// Public even when the site requires authentication for the API.
    AlwaysPublic,
    /// A token with the right scope and role is required.
    Token,
}

struct Op {
    id: String,
    summary: &'static str,
    tag: &'static str,
    access: Access,
    params: Vec<Parameter>,
    body: Option<&'static str>,
    /// The success status and its body schema (`None`: no body).
    ok: (u16, Option<RefOr<Schema>>),
    errors: &'static [u16],
}

const READ_ERRORS: &[u16] = &[400, 401, 406, 429];
const ITEM_ERRORS: &[u16] = &[400, 401, 404, 406, 429];
const WRITE_ERRORS: &[u16] = &[400, 401, 403, 404, 406, 413, 429];

impl Op {
    fn build(self) -> Operation {
        let mut b = OperationBuilder::new()
            .operation_id(Some(self.id))
            .summary(Some(self.summary))
            .tag(self.tag);
        let mut params = self.params;
        if self.tag != "statuspage" {
            params.push(time_zone());
        }
        b = b.parameters(Some(params));
        if let Some(body) = self.body {
            b = b.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json_content(schema_ref(body)))
                    .build(),
            ));
        }
        let (code, schema) = self.ok;
        let mut ok =
            ResponseBuilder::new().description(if code == 204 { "No Content" } else { "OK" });
        if let Some(s) = schema {
            ok = ok.content("application/json", json_content(s));
        }
        b = b.response(code.to_string(), ok.build());
        for e in self.errors {
            b = b.response(e.to_string(), error_response(*e));
        }
        let token = || {
            vec![
                SecurityRequirement::new("CachetToken", Vec::<String>::new()),
                SecurityRequirement::new("BearerToken", Vec::<String>::new()),
            ]
        };
        b = match self.access {
            // The empty requirement: anonymous access is allowed.
            Access::Public | Access::AlwaysPublic => b
                .security(SecurityRequirement::default())
                .securities(Some(token())),
            Access::Token => b.securities(Some(token())),
        };
        b.build()
    }
}

/// The API v1 resources with the usual five operations (list, create, get, update, delete).
struct Resource {
    path: &'static str,
    tag: &'static str,
    name: &'static str,
    item: &'static str,
    body: &'static str,
    params: Vec<Parameter>,
    /// Reads need a token (subscribers).
    private: bool,
    /// Only list and create, get never (subscribers answer `DELETE` per id only).
    item_get: bool,
    item_update: bool,
}

fn v1_paths() -> PathsBuilder {
    let mut paths = PathsBuilder::new();
    let simple = |id: &str, summary: &'static str, schema: &str| {
        PathItemBuilder::new()
            .operation(
                HttpMethod::Get,
                Op {
                    id: id.to_owned(),
                    summary,
                    tag: "meta",
                    access: Access::AlwaysPublic,
                    params: Vec::new(),
                    body: None,
                    ok: (200, Some(schema_ref(schema))),
                    errors: READ_ERRORS,
                }
                .build(),
            )
            .build()
    };
    paths = paths
        .path("/api/v1/ping", simple("ping", "Liveness: Pong!", "V1Ping"))
        .path(
            "/api/v1/version",
            simple("version", "The running version", "V1Version"),
        )
        .path(
            "/api/v1/status",
            simple("status", "The overall status", "V1Status"),
        );

    let resources = vec![
        Resource {
            path: "/api/v1/components",
            tag: "components",
            name: "component",
            item: "V1Component",
            body: "ComponentBody",
            params: {
                let mut p = list_params::<ComponentSort>();
                p.extend([
                    int_filter("id"),
                    text_filter("name"),
                    query("status", int_schema(Some(0), Some(4)), "Equality filter."),
                    int_filter("group_id"),
                    bool_filter("enabled"),
                    text_filter("tags"),
                ]);
                p
            },
            private: false,
            item_get: true,
            item_update: true,
        },
        Resource {
            path: "/api/v1/components/groups",
            tag: "groups",
            name: "group",
            item: "V1Group",
            body: "GroupBody",
            params: {
                let mut p = list_params::<GroupSort>();
                p.extend([
                    int_filter("id"),
                    text_filter("name"),
                    query(
                        "collapsed",
                        int_schema(Some(0), Some(2)),
                        "Equality filter.",
                    ),
                    bool_filter("visible"),
                ]);
                p
            },
            private: false,
            item_get: true,
            item_update: true,
        },
        Resource {
            path: "/api/v1/incidents",
            tag: "incidents",
            name: "incident",
            item: "V1Incident",
            body: "IncidentBody",
            params: {
                let mut p = list_params::<IncidentSort>();
                p.extend([
                    int_filter("id"),
                    int_filter("user_id"),
                    int_filter("component_id"),
                    text_filter("name"),
                    query("status", int_schema(Some(0), Some(4)), "Equality filter."),
                    bool_filter("visible"),
                    bool_filter("stickied"),
                ]);
                p
            },
            private: false,
            item_get: true,
            item_update: true,
        },
        Resource {
            path: "/api/v1/metrics",
            tag: "metrics",
            name: "metric",
            item: "V1Metric",
            body: "MetricBody",
            params: list_params::<MetricSort>(),
            private: false,
            item_get: true,
            item_update: true,
        },
        Resource {
            path: "/api/v1/schedules",
            tag: "schedules",
            name: "schedule",
            item: "V1Schedule",
            body: "ScheduleBody",
            params: list_params::<ScheduleSort>(),
            private: false,
            item_get: true,
            item_update: true,
        },
        Resource {
            path: "/api/v1/subscribers",
            tag: "subscribers",
            name: "subscriber",
            item: "V1Subscriber",
            body: "SubscriberBody",
            params: list_params::<SubscriberSort>(),
            private: true,
            item_get: false,
            item_update: false,
        },
    ];
    for r in resources {
        let read_access = if r.private {
            Access::Token
        } else {
            Access::Public
        };
        let collection = PathItemBuilder::new()
            .operation(
                HttpMethod::Get,
                Op {
                    id: format!("{}_list", r.name),
                    summary: "List (filter, sort, paginate)",
                    tag: r.tag,
                    access: read_access,
                    params: r.params,
                    body: None,
                    ok: (200, Some(list_of(r.item))),
                    errors: if r.private {
                        &[400, 401, 403, 406, 429]
                    } else {
                        READ_ERRORS
                    },
                }
                .build(),
            )
            .operation(
                HttpMethod::Post,
                Op {
                    id: format!("{}_create", r.name),
                    summary: "Create",
                    tag: r.tag,
                    access: Access::Token,
                    params: Vec::new(),
                    body: Some(r.body),
                    ok: (200, Some(item_of(r.item))),
                    errors: WRITE_ERRORS,
                }
                .build(),
            )
            .build();
        paths = paths.path(r.path, collection);
        let mut item = PathItemBuilder::new();
        if r.item_get {
            item = item.operation(
                HttpMethod::Get,
                Op {
                    id: format!("{}_get", r.name),
                    summary: "Get one",
                    tag: r.tag,
                    access: read_access,
                    params: vec![path_id("id")],
                    body: None,
                    ok: (200, Some(item_of(r.item))),
                    errors: ITEM_ERRORS,
                }
                .build(),
            );
        }
        if r.item_update {
            for (method, verb) in [(HttpMethod::Put, "update"), (HttpMethod::Patch, "patch")] {
                item = item.operation(
                    method,
                    Op {
                        id: format!("{}_{verb}", r.name),
                        summary: "Update (partial)",
                        tag: r.tag,
                        access: Access::Token,
                        params: vec![path_id("id")],
                        body: Some(r.body),
                        ok: (200, Some(item_of(r.item))),
                        errors: WRITE_ERRORS,
                    }
                    .build(),
                );
            }
        }
        item = item.operation(
            HttpMethod::Delete,
            Op {
                id: format!("{}_delete", r.name),
                summary: "Delete",
                tag: r.tag,
                access: Access::Token,
                params: vec![path_id("id")],
                body: None,
                ok: (204, None),
                errors: WRITE_ERRORS,
            }
            .build(),
        );
        paths = paths.path(format!("{}/{{id}}", r.path), item.build());
    }

    // Subscriptions: delete only.
    paths = paths.path(
        "/api/v1/subscriptions/{id}",
        PathItemBuilder::new()
            .operation(
                HttpMethod::Delete,
                Op {
                    id: "subscription_delete".to_owned(),
                    summary: "Delete a subscription",
                    tag: "subscribers",
                    access: Access::Token,
                    params: vec![path_id("id")],
                    body: None,
                    ok: (204, None),
                    errors: WRITE_ERRORS,
                }
                .build(),
            )
            .build(),
    );

    // Templates: read-only.
    paths = paths
        .path(
            "/api/v1/incidents/templates",
            PathItemBuilder::new()
                .operation(
                    HttpMethod::Get,
                    Op {
                        id: "template_list".to_owned(),
                        summary: "List incident templates",
                        tag: "templates",
                        access: Access::Public,
                        params: list_params::<TemplateSort>(),
                        body: None,
                        ok: (200, Some(list_of("V1Template"))),
                        errors: READ_ERRORS,
                    }
                    .build(),
                )
                .build(),
        )
        .path(
            "/api/v1/incidents/templates/{id}",
            PathItemBuilder::new()
                .operation(
                    HttpMethod::Get,
                    Op {
                        id: "template_get".to_owned(),
                        summary: "Get an incident template",
                        tag: "templates",
                        access: Access::Public,
                        params: vec![path_id("id")],
                        body: None,
                        ok: (200, Some(item_of("V1Template"))),
                        errors: ITEM_ERRORS,
                    }
                    .build(),
                )
                .build(),
        );

    // Incident updates and metric points: nested collections.
    let nested = |parent: &'static str,
                  tag: &'static str,
                  name: &'static str,
                  item: &'static str,
                  body: &'static str,
                  params: Vec<Parameter>,
                  item_get: bool| {
        let collection = PathItemBuilder::new()
            .operation(
                HttpMethod::Get,
                Op {
                    id: format!("{name}_list"),
                    summary: "List",
                    tag,
                    access: Access::Public,
                    params: {
                        let mut p = vec![path_id(parent)];
                        p.extend(params);
                        p
                    },
                    body: None,
                    ok: (200, Some(list_of(item))),
                    errors: ITEM_ERRORS,
                }
                .build(),
            )
            .operation(
                HttpMethod::Post,
                Op {
                    id: format!("{name}_create"),
                    summary: "Create",
                    tag,
                    access: Access::Token,
                    params: vec![path_id(parent)],
                    body: Some(body),
                    ok: (200, Some(item_of(item))),
                    errors: WRITE_ERRORS,
                }
                .build(),
            )
            .build();
        let mut one = PathItemBuilder::new();
        if item_get {
            one = one.operation(
                HttpMethod::Get,
                Op {
                    id: format!("{name}_get"),
                    summary: "Get one",
                    tag,
                    access: Access::Public,
                    params: vec![path_id(parent), path_id("item")],
                    body: None,
                    ok: (200, Some(item_of(item))),
                    errors: ITEM_ERRORS,
                }
                .build(),
            );
        }
        for (method, verb) in [(HttpMethod::Put, "update"), (HttpMethod::Patch, "patch")] {
            one = one.operation(
                method,
                Op {
                    id: format!("{name}_{verb}"),
                    summary: "Update (partial)",
                    tag,
                    access: Access::Token,
                    params: vec![path_id(parent), path_id("item")],
                    body: Some(body),
                    ok: (200, Some(item_of(item))),
                    errors: WRITE_ERRORS,
                }
                .build(),
            );
        }
        one = one.operation(
            HttpMethod::Delete,
            Op {
                id: format!("{name}_delete"),
                summary: "Delete",
                tag,
                access: Access::Token,
                params: vec![path_id(parent), path_id("item")],
                body: None,
                ok: (204, None),
                errors: WRITE_ERRORS,
            }
            .build(),
        );
        (collection, one.build())
    };
    let (c, one) = nested(
        "incident",
        "incidents",
        "incident_update",
        "V1IncidentUpdate",
        "UpdateBody",
        vec![
            query("page", int_schema(Some(1), None), "1-based page number."),
            query(
                "per_page",
                int_schema(Some(1), Some(1000)),
                "Items per page (default 20; clamped to 1..=1000).",
            ),
        ],
        true,
    );
    paths = paths
        .path("/api/v1/incidents/{incident}/updates", c)
        .path("/api/v1/incidents/{incident}/updates/{item}", one);
    let (c, one) = nested(
        "metric",
        "metrics",
        "metric_point",
        "V1MetricPoint",
        "PointBody",
        list_params::<MetricPointSort>(),
        false,
    );
    paths
        .path("/api/v1/metrics/{metric}/points", c)
        .path("/api/v1/metrics/{metric}/points/{item}", one)
}

fn statuspage_paths(mut paths: PathsBuilder) -> PathsBuilder {
    let endpoints: [(&str, &str, &'static str, &str); 8] = [
        (
            "summary.json",
            "sp_summary",
            "Page, status, components, unresolved incidents, open maintenances",
            "SpSummary",
        ),
        (
            "status.json",
            "sp_status",
            "Page and top-level status",
            "SpStatusResponse",
        ),
        (
            "components.json",
            "sp_components",
            "Every visible component and group",
            "SpComponentsResponse",
        ),
        (
            "incidents.json",
            "sp_incidents",
            "The 50 most recent incidents",
            "SpIncidentsResponse",
        ),
        (
            "incidents/unresolved.json",
            "sp_incidents_unresolved",
            "Unresolved incidents",
            "SpIncidentsResponse",
        ),
        (
            "scheduled-maintenances.json",
            "sp_maintenances",
            "The 50 most recent maintenances",
            "SpMaintenancesResponse",
        ),
        (
            "scheduled-maintenances/upcoming.json",
            "sp_maintenances_upcoming",
            "Maintenances not yet started",
            "SpMaintenancesResponse",
        ),
        (
            "scheduled-maintenances/active.json",
            "sp_maintenances_active",
            "Maintenances in progress",
            "SpMaintenancesResponse",
        ),
    ];
    for (path, id, summary, schema) in endpoints {
        let op = OperationBuilder::new()
            .operation_id(Some(id))
            .summary(Some(summary))
            .tag("statuspage")
            .response(
                "200",
                ResponseBuilder::new()
                    .description("OK")
                    .content("application/json", json_content(schema_ref(schema)))
                    .build(),
            )
            .security(SecurityRequirement::default())
            .build();
        paths = paths.path(
            format!("/api/v2/{path}"),
            PathItemBuilder::new()
                .operation(HttpMethod::Get, op)
                .build(),
        );
    }
    paths
}

/// The whole document.
#[must_use]
pub(crate) fn document() -> OpenApi {
    let mut components = ComponentsBuilder::new()
        .security_scheme(
            "CachetToken",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Cachet-Token",
                "An API token (Cachet's header).",
            ))),
        )
        .security_scheme(
            "BearerToken",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The same API token as `Authorization: Bearer`."))
                    .build(),
            ),
        );
    components = with::<V1Component>(components);
    components = with::<V1Group>(components);
    components = with::<V1IncidentUpdate>(components);
    components = with::<V1Incident>(components);
    components = with::<V1Template>(components);
    components = with::<V1Metric>(components);
    components = with::<MetricViewName>(components);
    components = with::<V1MetricPoint>(components);
    components = with::<V1Schedule>(components);
    components = with::<V1Subscription>(components);
    components = with::<V1Subscriber>(components);
    components = with::<V1PageLinks>(components);
    components = with::<V1Pagination>(components);
    components = with::<V1ListMeta>(components);
    components = with::<V1Ping>(components);
    components = with::<V1Release>(components);
    components = with::<V1VersionMeta>(components);
    components = with::<V1Version>(components);
    components = with::<V1StatusData>(components);
    components = with::<V1Status>(components);
    components = with::<ApiErrorMeta>(components);
    components = with::<ApiErrorObject>(components);
    components = with::<ApiError>(components);
    components = with::<ComponentBody>(components);
    components = with::<GroupBody>(components);
    components = with::<IncidentBody>(components);
    components = with::<UpdateBody>(components);
    components = with::<MetricBody>(components);
    components = with::<PointBody>(components);
    components = with::<ScheduleBody>(components);
    components = with::<SubscriberBody>(components);
    components = with::<SpPage>(components);
    components = with::<SpIndicator>(components);
    components = with::<SpStatus>(components);
    components = with::<SpComponentStatus>(components);
    components = with::<SpComponent>(components);
    components = with::<SpIncidentUpdate>(components);
    components = with::<SpIncidentStatus>(components);
    components = with::<SpImpact>(components);
    components = with::<SpIncident>(components);
    components = with::<SpMaintenanceStatus>(components);
    components = with::<SpMaintenance>(components);
    components = with::<SpStatusResponse>(components);
    components = with::<SpComponentsResponse>(components);
    components = with::<SpIncidentsResponse>(components);
    components = with::<SpMaintenancesResponse>(components);
    components = with::<SpSummary>(components);
    let tags = [
        ("meta", "Ping, version, status"),
        ("components", "Components"),
        ("groups", "Component groups"),
        ("incidents", "Incidents and their updates"),
        ("templates", "Incident templates (read-only)"),
        ("metrics", "Metrics and their points"),
        ("schedules", "Maintenance schedules"),
        ("subscribers", "Subscribers (admin tokens)"),
        (
            "statuspage",
            "Atlassian Statuspage v2 compatible public JSON",
        ),
    ]
    .map(|(n, d)| TagBuilder::new().name(n).description(Some(d)).build());
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("cachet-rs API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Cachet API v1 (compatible with Cachet 2.4) and the Atlassian Statuspage \
                     v2 public JSON. Errors use Cachet's `{\"errors\": [...]}` envelope.",
                ))
                .build(),
        )
        .paths(statuspage_paths(v1_paths()).build())
        .components(Some(components.build()))
        .tags(Some(tags))
        .build()
}

/// The serialized document, built once.
fn document_bytes() -> &'static Bytes {
    static DOC: OnceLock<Bytes> = OnceLock::new();
    DOC.get_or_init(|| {
        // Serializing plain maps and strings cannot fail; an empty object is the safe fallback.
        Bytes::from(document().to_json().unwrap_or_else(|_| "{}".to_owned()))
    })
}

/// Answers `GET`/`HEAD /api/openapi.json`; other methods get 405.
pub(crate) fn respond(req: &Request<Bytes>) -> Response<Bytes> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = response::json(
            StatusCode::METHOD_NOT_ALLOWED,
            &serde_json::json!({ "errors": [{
                "status": 405,
                "title": "Method Not Allowed",
                "detail": response::canned_detail(StatusCode::METHOD_NOT_ALLOWED),
            }] }),
        );
        r.headers_mut().insert(
            http::header::ALLOW,
            http::HeaderValue::from_static("GET, HEAD"),
        );
        return r;
    }
    let mut r = Response::new(document_bytes().clone());
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    // The same bytes for everyone until the next release.
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// For unit tests: the document as a JSON value.
#[cfg(test)]
fn document_value() -> serde_json::Value {
    serde_json::from_slice(document_bytes()).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn the_document_is_openapi_3_1_with_every_schema_referenced_defined() {
        let doc = super::document_value();
        assert_eq!(doc["openapi"], "3.1.0");
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for (at, _) in text.match_indices("#/components/schemas/") {
            let rest = &text[at + "#/components/schemas/".len()..];
            let name: String = rest.chars().take_while(|c| *c != '"').collect();
            assert!(schemas.contains_key(&name), "undefined schema {name}");
        }
    }
}
