//! The API v1 route table: every route once, with its handler, who may call it and what the
//! OpenAPI document says about it. [`super::dispatch`] routes by it, the `Allow` header of a
//! 405 lists the methods it has for a path, and [`crate::web::openapi`] builds its `paths`
//! from it, so a route cannot be served without being documented, or the other way round.

use std::future::Future;
use std::pin::Pin;

use http::Method;
use utoipa::openapi::{RefOr, schema::Schema};
use utoipa::{PartialSchema, ToSchema};

use super::bodies::{self, Body};
use super::dto::*;
use super::integrations::{
    self, AlertRuleDto, AlertRuleListDto, IntegrationDto, IntegrationListDto,
};
use super::{Call, Handled};
use super::{components, groups, incidents, metrics, schedules, subscribers, templates, updates};
use crate::auth::policy::Permission;
use crate::store::{
    ComponentSort, GroupSort, IncidentSort, MetricPointSort, MetricSort, ScheduleSort, SortField,
    SubscriberSort, TemplateSort,
};

/// The ids a path carries, in order (`/incidents/{incident}/updates/{item}`: both).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ids([i64; 2]);

/// A route's handler: the call and the path's ids in, the answer out.
pub(crate) type Handler =
    for<'a> fn(Call<'a>, Ids) -> Pin<Box<dyn Future<Output = Handled> + Send + 'a>>;

/// The methods of API v1 (`HEAD` is `GET` without the body, for every route alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    fn of(m: &Method) -> Option<Self> {
        Some(match *m {
            Method::GET => Self::Get,
            Method::POST => Self::Post,
            Method::PUT => Self::Put,
            Method::PATCH => Self::Patch,
            Method::DELETE => Self::Delete,
            _ => return None,
        })
    }

    /// The method's name, as `Allow` spells it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// A guest may (unless the site makes the API sign-in only); a token widens what is seen.
    Public,
    /// Public even when the site requires authentication for the API.
    AlwaysPublic,
    /// A token whose scope and role grant the permission: 401 without a token, 403 without
    /// the permission, checked before the input is read so a too-small token learns nothing
    /// from validation messages.
    Token(Permission),
}

/// How a query filter is typed, for the document.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Filter {
    Int,
    IntIn(i64, i64),
    Bool,
    Text,
}

/// The query parameters a route reads.
#[derive(Clone, Copy)]
pub(crate) enum Query {
    None,
    /// `page` and `per_page`.
    Page,
    /// `page`, `per_page`, `sort` over a store's whitelist, `order`, and equality filters.
    List {
        sorts: fn() -> Vec<&'static str>,
        filters: &'static [(&'static str, Filter)],
    },
}

/// What a successful answer carries.
#[derive(Clone, Copy)]
pub(crate) enum Answer {
    /// 200 with JSON: its schema (inline) and the named schemas it references.
    Json {
        schema: fn() -> RefOr<Schema>,
        named: fn(&mut Vec<(String, RefOr<Schema>)>),
    },
    /// 204 without a body.
    NoContent,
}

/// One route.
pub(crate) struct Route {
    pub verb: Verb,
    /// Under `/api/v1`; `{name}` is a positive id.
    pub pattern: &'static str,
    pub handler: Handler,
    pub access: Access,
    /// The OpenAPI operation id.
    pub id: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    pub query: Query,
    pub body: Option<&'static Body>,
    pub ok: Answer,
}

/// Registers `T` and what it references.
fn named<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
}

fn named_item<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
    named::<T>(out);
}

fn named_list<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
    named::<T>(out);
    named::<ListMeta>(out);
}

/// `{"data": T}`.
const fn item<T: ToSchema>() -> Answer {
    Answer::Json {
        schema: <Data<T> as PartialSchema>::schema,
        named: named_item::<T>,
    }
}

/// `{"data": [T], "meta": {"pagination": …}}`.
const fn list<T: ToSchema>() -> Answer {
    Answer::Json {
        schema: <Paginated<T> as PartialSchema>::schema,
        named: named_list::<T>,
    }
}

/// `T` itself, referenced by name.
pub(crate) const fn bare<T: ToSchema>() -> Answer {
    Answer::Json {
        schema: schema_ref::<T>,
        named: named::<T>,
    }
}

fn schema_ref<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

fn sorts<S: SortField>() -> Vec<&'static str> {
    S::ALL.iter().map(|s| s.name()).collect()
}

const fn list_query<S: SortField>(filters: &'static [(&'static str, Filter)]) -> Query {
    Query::List {
        sorts: sorts::<S>,
        filters,
    }
}

/// Wraps an `async fn` handler taking no, one or two path ids into a [`Handler`].
macro_rules! h {
    ($f:path) => {{
        fn run<'a>(c: Call<'a>, _: Ids) -> Pin<Box<dyn Future<Output = Handled> + Send + 'a>> {
            Box::pin($f(c))
        }
        run as Handler
    }};
    ($f:path, 1) => {{
        fn run<'a>(c: Call<'a>, ids: Ids) -> Pin<Box<dyn Future<Output = Handled> + Send + 'a>> {
            Box::pin($f(c, ids.0[0]))
        }
        run as Handler
    }};
    ($f:path, 2) => {{
        fn run<'a>(c: Call<'a>, ids: Ids) -> Pin<Box<dyn Future<Output = Handled> + Send + 'a>> {
            Box::pin($f(c, ids.0[0], ids.0[1]))
        }
        run as Handler
    }};
}

use Access::{AlwaysPublic, Public};
use Verb::{Delete, Get, Patch, Post, Put};

const WRITE: Access = Access::Token(Permission::WriteContent);
const SUBSCRIBERS: Access = Access::Token(Permission::ManageSubscribers);
const ADMIN: Access = Access::Token(Permission::ManageSettings);

const COMPONENT_FILTERS: &[(&str, Filter)] = &[
    ("id", Filter::Int),
    ("name", Filter::Text),
    ("status", Filter::IntIn(0, 4)),
    ("group_id", Filter::Int),
    ("enabled", Filter::Bool),
    ("tags", Filter::Text),
];
const GROUP_FILTERS: &[(&str, Filter)] = &[
    ("id", Filter::Int),
    ("name", Filter::Text),
    ("collapsed", Filter::IntIn(0, 2)),
    ("visible", Filter::Bool),
];
const INCIDENT_FILTERS: &[(&str, Filter)] = &[
    ("id", Filter::Int),
    ("user_id", Filter::Int),
    ("component_id", Filter::Int),
    ("name", Filter::Text),
    ("status", Filter::IntIn(0, 4)),
    ("visible", Filter::Bool),
    ("stickied", Filter::Bool),
];

/// A row of the table; the builder methods below fill in the rest.
const fn r(verb: Verb, pattern: &'static str, handler: Handler, access: Access) -> Route {
    Route {
        verb,
        pattern,
        handler,
        access,
        id: "",
        summary: "",
        tag: "",
        query: Query::None,
        body: None,
        ok: Answer::NoContent,
    }
}

impl Route {
    const fn op(mut self, id: &'static str, tag: &'static str, summary: &'static str) -> Self {
        self.id = id;
        self.tag = tag;
        self.summary = summary;
        self
    }

    const fn query(mut self, q: Query) -> Self {
        self.query = q;
        self
    }

    const fn body(mut self, b: &'static Body) -> Self {
        self.body = Some(b);
        self
    }

    const fn ok(mut self, a: Answer) -> Self {
        self.ok = a;
        self
    }
}

/// Every API v1 route. Within a path, the order is the order of `Allow`.
pub(crate) static ROUTES: &[Route] = &[
    // Meta.
    r(Get, "/ping", h!(super::ping), AlwaysPublic)
        .op("ping", "meta", "Liveness: Pong!")
        .ok(bare::<PingDto>()),
    r(Get, "/version", h!(super::version), AlwaysPublic)
        .op("version", "meta", "The running version")
        .ok(bare::<VersionDto>()),
    r(Get, "/status", h!(super::status), AlwaysPublic)
        .op("status", "meta", "The overall status")
        .ok(item::<StatusDto>()),
    // Components.
    r(Get, "/components", h!(components::list), Public)
        .op(
            "component_list",
            "components",
            "List (filter, sort, paginate)",
        )
        .query(list_query::<ComponentSort>(COMPONENT_FILTERS))
        .ok(list::<ComponentDto>()),
    r(Post, "/components", h!(components::create), WRITE)
        .op("component_create", "components", "Create")
        .body(&bodies::COMPONENT)
        .ok(item::<ComponentDto>()),
    r(Get, "/components/{id}", h!(components::get, 1), Public)
        .op("component_get", "components", "Get one")
        .ok(item::<ComponentDto>()),
    r(Put, "/components/{id}", h!(components::update, 1), WRITE)
        .op("component_update", "components", "Update (partial)")
        .body(&bodies::COMPONENT)
        .ok(item::<ComponentDto>()),
    r(Patch, "/components/{id}", h!(components::update, 1), WRITE)
        .op("component_patch", "components", "Update (partial)")
        .body(&bodies::COMPONENT)
        .ok(item::<ComponentDto>()),
    r(Delete, "/components/{id}", h!(components::delete, 1), WRITE).op(
        "component_delete",
        "components",
        "Delete",
    ),
    // Component groups.
    r(Get, "/components/groups", h!(groups::list), Public)
        .op("group_list", "groups", "List (filter, sort, paginate)")
        .query(list_query::<GroupSort>(GROUP_FILTERS))
        .ok(list::<ComponentGroupDto>()),
    r(Post, "/components/groups", h!(groups::create), WRITE)
        .op("group_create", "groups", "Create")
        .body(&bodies::GROUP)
        .ok(item::<ComponentGroupDto>()),
    r(Get, "/components/groups/{id}", h!(groups::get, 1), Public)
        .op("group_get", "groups", "Get one")
        .ok(item::<ComponentGroupDto>()),
    r(Put, "/components/groups/{id}", h!(groups::update, 1), WRITE)
        .op("group_update", "groups", "Update (partial)")
        .body(&bodies::GROUP)
        .ok(item::<ComponentGroupDto>()),
    r(
        Patch,
        "/components/groups/{id}",
        h!(groups::update, 1),
        WRITE,
    )
    .op("group_patch", "groups", "Update (partial)")
    .body(&bodies::GROUP)
    .ok(item::<ComponentGroupDto>()),
    r(
        Delete,
        "/components/groups/{id}",
        h!(groups::delete, 1),
        WRITE,
    )
    .op("group_delete", "groups", "Delete"),
    // Incidents.
    r(Get, "/incidents", h!(incidents::list), Public)
        .op(
            "incident_list",
            "incidents",
            "List (filter, sort, paginate)",
        )
        .query(list_query::<IncidentSort>(INCIDENT_FILTERS))
        .ok(list::<IncidentDto>()),
    r(Post, "/incidents", h!(incidents::create), WRITE)
        .op("incident_create", "incidents", "Create")
        .body(&bodies::INCIDENT)
        .ok(item::<IncidentDto>()),
    r(Get, "/incidents/{id}", h!(incidents::get, 1), Public)
        .op("incident_get", "incidents", "Get one")
        .ok(item::<IncidentDto>()),
    r(Put, "/incidents/{id}", h!(incidents::update, 1), WRITE)
        .op("incident_update", "incidents", "Update (partial)")
        .body(&bodies::INCIDENT)
        .ok(item::<IncidentDto>()),
    r(Patch, "/incidents/{id}", h!(incidents::update, 1), WRITE)
        .op("incident_patch", "incidents", "Update (partial)")
        .body(&bodies::INCIDENT)
        .ok(item::<IncidentDto>()),
    r(Delete, "/incidents/{id}", h!(incidents::delete, 1), WRITE).op(
        "incident_delete",
        "incidents",
        "Delete",
    ),
    // Incident updates.
    r(
        Get,
        "/incidents/{incident}/updates",
        h!(updates::list, 1),
        Public,
    )
    .op("incident_update_list", "incidents", "List")
    .query(Query::Page)
    .ok(list::<IncidentUpdateDto>()),
    r(
        Post,
        "/incidents/{incident}/updates",
        h!(updates::create, 1),
        WRITE,
    )
    .op("incident_update_create", "incidents", "Create")
    .body(&bodies::UPDATE)
    .ok(item::<IncidentUpdateDto>()),
    r(
        Get,
        "/incidents/{incident}/updates/{item}",
        h!(updates::get, 2),
        Public,
    )
    .op("incident_update_get", "incidents", "Get one")
    .ok(item::<IncidentUpdateDto>()),
    r(
        Put,
        "/incidents/{incident}/updates/{item}",
        h!(updates::update, 2),
        WRITE,
    )
    .op("incident_update_update", "incidents", "Update (partial)")
    .body(&bodies::UPDATE)
    .ok(item::<IncidentUpdateDto>()),
    r(
        Patch,
        "/incidents/{incident}/updates/{item}",
        h!(updates::update, 2),
        WRITE,
    )
    .op("incident_update_patch", "incidents", "Update (partial)")
    .body(&bodies::UPDATE)
    .ok(item::<IncidentUpdateDto>()),
    r(
        Delete,
        "/incidents/{incident}/updates/{item}",
        h!(updates::delete, 2),
        WRITE,
    )
    .op("incident_update_delete", "incidents", "Delete"),
    // Incident templates: read-only in API v1.
    r(Get, "/incidents/templates", h!(templates::list), Public)
        .op("template_list", "templates", "List incident templates")
        .query(list_query::<TemplateSort>(&[]))
        .ok(list::<TemplateDto>()),
    r(
        Get,
        "/incidents/templates/{id}",
        h!(templates::get, 1),
        Public,
    )
    .op("template_get", "templates", "Get an incident template")
    .ok(item::<TemplateDto>()),
    // Metrics.
    r(Get, "/metrics", h!(metrics::list), Public)
        .op("metric_list", "metrics", "List (filter, sort, paginate)")
        .query(list_query::<MetricSort>(&[]))
        .ok(list::<MetricDto>()),
    r(Post, "/metrics", h!(metrics::create), WRITE)
        .op("metric_create", "metrics", "Create")
        .body(&bodies::METRIC)
        .ok(item::<MetricDto>()),
    r(Get, "/metrics/{id}", h!(metrics::get, 1), Public)
        .op("metric_get", "metrics", "Get one")
        .ok(item::<MetricDto>()),
    r(Put, "/metrics/{id}", h!(metrics::update, 1), WRITE)
        .op("metric_update", "metrics", "Update (partial)")
        .body(&bodies::METRIC)
        .ok(item::<MetricDto>()),
    r(Patch, "/metrics/{id}", h!(metrics::update, 1), WRITE)
        .op("metric_patch", "metrics", "Update (partial)")
        .body(&bodies::METRIC)
        .ok(item::<MetricDto>()),
    r(Delete, "/metrics/{id}", h!(metrics::delete, 1), WRITE).op(
        "metric_delete",
        "metrics",
        "Delete",
    ),
    // Metric points.
    r(
        Get,
        "/metrics/{metric}/points",
        h!(metrics::points, 1),
        Public,
    )
    .op("metric_point_list", "metrics", "List")
    .query(list_query::<MetricPointSort>(&[]))
    .ok(list::<MetricPointDto>()),
    r(
        Post,
        "/metrics/{metric}/points",
        h!(metrics::add_point, 1),
        WRITE,
    )
    .op("metric_point_create", "metrics", "Create")
    .body(&bodies::POINT)
    .ok(item::<MetricPointDto>()),
    r(
        Put,
        "/metrics/{metric}/points/{item}",
        h!(metrics::update_point, 2),
        WRITE,
    )
    .op("metric_point_update", "metrics", "Update (partial)")
    .body(&bodies::POINT)
    .ok(item::<MetricPointDto>()),
    r(
        Patch,
        "/metrics/{metric}/points/{item}",
        h!(metrics::update_point, 2),
        WRITE,
    )
    .op("metric_point_patch", "metrics", "Update (partial)")
    .body(&bodies::POINT)
    .ok(item::<MetricPointDto>()),
    r(
        Delete,
        "/metrics/{metric}/points/{item}",
        h!(metrics::delete_point, 2),
        WRITE,
    )
    .op("metric_point_delete", "metrics", "Delete"),
    // Schedules.
    r(Get, "/schedules", h!(schedules::list), Public)
        .op(
            "schedule_list",
            "schedules",
            "List (filter, sort, paginate)",
        )
        .query(list_query::<ScheduleSort>(&[]))
        .ok(list::<ScheduleDto>()),
    r(Post, "/schedules", h!(schedules::create), WRITE)
        .op("schedule_create", "schedules", "Create")
        .body(&bodies::SCHEDULE)
        .ok(item::<ScheduleDto>()),
    r(Get, "/schedules/{id}", h!(schedules::get, 1), Public)
        .op("schedule_get", "schedules", "Get one")
        .ok(item::<ScheduleDto>()),
    r(Put, "/schedules/{id}", h!(schedules::update, 1), WRITE)
        .op("schedule_update", "schedules", "Update (partial)")
        .body(&bodies::SCHEDULE)
        .ok(item::<ScheduleDto>()),
    r(Patch, "/schedules/{id}", h!(schedules::update, 1), WRITE)
        .op("schedule_patch", "schedules", "Update (partial)")
        .body(&bodies::SCHEDULE)
        .ok(item::<ScheduleDto>()),
    r(Delete, "/schedules/{id}", h!(schedules::delete, 1), WRITE).op(
        "schedule_delete",
        "schedules",
        "Delete",
    ),
    // Subscribers: addresses are an admin's to read.
    r(
        Get,
        "/subscribers",
        h!(subscribers::list),
        Access::Token(Permission::ReadSubscriberAddresses),
    )
    .op(
        "subscriber_list",
        "subscribers",
        "List (filter, sort, paginate)",
    )
    .query(list_query::<SubscriberSort>(&[]))
    .ok(list::<SubscriberDto>()),
    r(Post, "/subscribers", h!(subscribers::create), SUBSCRIBERS)
        .op("subscriber_create", "subscribers", "Create")
        .body(&bodies::SUBSCRIBER)
        .ok(item::<SubscriberDto>()),
    r(
        Delete,
        "/subscribers/{id}",
        h!(subscribers::delete, 1),
        SUBSCRIBERS,
    )
    .op("subscriber_delete", "subscribers", "Delete"),
    r(
        Delete,
        "/subscriptions/{id}",
        h!(subscribers::delete_subscription, 1),
        SUBSCRIBERS,
    )
    .op(
        "subscription_delete",
        "subscribers",
        "Delete a subscription",
    ),
    // Monitoring integrations (the senders post to `/api/v1/alerts/{kind}` with the
    // integration's secret, outside this table: see `crate::web::alerts`).
    r(Get, "/integrations", h!(integrations::list), ADMIN)
        .op("integration_list", "integrations", "List")
        .ok(bare::<IntegrationListDto>()),
    r(Post, "/integrations", h!(integrations::create), ADMIN)
        .op(
            "integration_create",
            "integrations",
            "Create (the answer holds the secret, once)",
        )
        .body(&bodies::INTEGRATION)
        .ok(item::<IntegrationDto>()),
    r(Get, "/integrations/{id}", h!(integrations::get, 1), ADMIN)
        .op("integration_get", "integrations", "Get one")
        .ok(item::<IntegrationDto>()),
    r(
        Put,
        "/integrations/{id}",
        h!(integrations::update, 1),
        ADMIN,
    )
    .op(
        "integration_update",
        "integrations",
        "Rename, enable or disable",
    )
    .body(&bodies::INTEGRATION)
    .ok(item::<IntegrationDto>()),
    r(
        Patch,
        "/integrations/{id}",
        h!(integrations::update, 1),
        ADMIN,
    )
    .op(
        "integration_patch",
        "integrations",
        "Rename, enable or disable",
    )
    .body(&bodies::INTEGRATION)
    .ok(item::<IntegrationDto>()),
    r(
        Delete,
        "/integrations/{id}",
        h!(integrations::delete, 1),
        ADMIN,
    )
    .op(
        "integration_delete",
        "integrations",
        "Delete with its rules",
    ),
    r(
        Post,
        "/integrations/{id}/secret",
        h!(integrations::rotate, 1),
        ADMIN,
    )
    .op(
        "integration_rotate_secret",
        "integrations",
        "Rotate the secret (the answer holds the new one, once)",
    )
    .ok(item::<IntegrationDto>()),
    r(
        Get,
        "/integrations/{id}/rules",
        h!(integrations::rules, 1),
        ADMIN,
    )
    .op(
        "alert_rule_list",
        "integrations",
        "List an integration's rules",
    )
    .ok(bare::<AlertRuleListDto>()),
    r(
        Post,
        "/integrations/{id}/rules",
        h!(integrations::create_rule, 1),
        ADMIN,
    )
    .op("alert_rule_create", "integrations", "Create a rule")
    .body(&bodies::ALERT_RULE)
    .ok(item::<AlertRuleDto>()),
    r(
        Get,
        "/integrations/{id}/rules/{rule}",
        h!(integrations::rule, 2),
        ADMIN,
    )
    .op("alert_rule_get", "integrations", "Get a rule")
    .ok(item::<AlertRuleDto>()),
    r(
        Put,
        "/integrations/{id}/rules/{rule}",
        h!(integrations::update_rule, 2),
        ADMIN,
    )
    .op(
        "alert_rule_update",
        "integrations",
        "Update a rule (partial)",
    )
    .body(&bodies::ALERT_RULE)
    .ok(item::<AlertRuleDto>()),
    r(
        Patch,
        "/integrations/{id}/rules/{rule}",
        h!(integrations::update_rule, 2),
        ADMIN,
    )
    .op(
        "alert_rule_patch",
        "integrations",
        "Update a rule (partial)",
    )
    .body(&bodies::ALERT_RULE)
    .ok(item::<AlertRuleDto>()),
    r(
        Delete,
        "/integrations/{id}/rules/{rule}",
        h!(integrations::delete_rule, 2),
        ADMIN,
    )
    .op("alert_rule_delete", "integrations", "Delete a rule"),
];

/// The segments of a path under `/api/v1`.
fn segments(path: &str) -> Vec<&str> {
    path.trim_end_matches('/')
        .trim_start_matches("/api/v1")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

/// How many literal segments `pattern` has when it has the shape of `segs`, else `None`.
fn fits(pattern: &str, segs: &[&str]) -> Option<usize> {
    let mut literal = 0;
    let mut n = 0;
    for (p, s) in pattern.split('/').filter(|p| !p.is_empty()).zip(segs) {
        n += 1;
        if !p.starts_with('{') {
            if p != *s {
                return None;
            }
            literal += 1;
        }
    }
    (n == segs.len() && pattern.split('/').filter(|p| !p.is_empty()).count() == n)
        .then_some(literal)
}

/// The resource a path names: the pattern of the most specific routes it fits
/// (`/components/groups` over `/components/{id}`).
fn resource(segs: &[&str]) -> Option<&'static str> {
    let mut best: Option<(usize, &'static str)> = None;
    for r in ROUTES {
        if let Some(literal) = fits(r.pattern, segs)
            && best.is_none_or(|(b, _)| literal > b)
        {
            best = Some((literal, r.pattern));
        }
    }
    best.map(|(_, p)| p)
}

/// What the table says about a request.
pub(crate) enum Lookup {
    /// No route has this path, or an id in it is not a positive integer: 404.
    NotFound,
    /// The path is a resource without this method: 405.
    NoMethod,
    /// The route and the path's ids.
    Route(&'static Route, Ids),
}

/// The path's resource answers without a token even on a sign-in-only site.
pub(crate) fn always_public(path: &str) -> bool {
    resource(&segments(path)).is_some_and(|p| {
        ROUTES
            .iter()
            .filter(|r| r.pattern == p)
            .all(|r| r.access == AlwaysPublic)
    })
}

/// Finds the route of a request. Ids are checked before the method, as Cachet's model binding
/// answers 404 for a bad id whatever the method.
pub(crate) fn find(path: &str, method: &Method) -> Lookup {
    let segs = segments(path);
    let Some(pattern) = resource(&segs) else {
        return Lookup::NotFound;
    };
    let mut ids = Ids::default();
    let mut n = 0;
    for (p, s) in pattern.split('/').filter(|p| !p.is_empty()).zip(&segs) {
        if p.starts_with('{') {
            let Ok(id) = crate::model::parse_id(s) else {
                return Lookup::NotFound;
            };
            if let Some(slot) = ids.0.get_mut(n) {
                *slot = id;
            }
            n += 1;
        }
    }
    let verb = Verb::of(method);
    ROUTES
        .iter()
        .find(|r| r.pattern == pattern && Some(r.verb) == verb)
        .map_or(Lookup::NoMethod, |r| Lookup::Route(r, ids))
}

/// The methods a path answers, for the `Allow` header of a 405 (RFC 9110 15.5.6), `HEAD`
/// after `GET`.
pub(crate) fn allowed(path: &str) -> String {
    let Some(pattern) = resource(&segments(path)) else {
        return String::new();
    };
    let mut out: Vec<&str> = Vec::new();
    for r in ROUTES.iter().filter(|r| r.pattern == pattern) {
        out.push(r.verb.name());
        if r.verb == Get {
            out.push("HEAD");
        }
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_the_methods_of_the_resource() {
        assert_eq!(allowed("/api/v1/ping"), "GET, HEAD");
        assert_eq!(allowed("/api/v1/components"), "GET, HEAD, POST");
        assert_eq!(
            allowed("/api/v1/components/7/"),
            "GET, HEAD, PUT, PATCH, DELETE"
        );
        assert_eq!(allowed("/api/v1/components/groups"), "GET, HEAD, POST");
        assert_eq!(allowed("/api/v1/incidents/templates/3"), "GET, HEAD");
        assert_eq!(allowed("/api/v1/metrics/1/points/2"), "PUT, PATCH, DELETE");
        assert_eq!(allowed("/api/v1/subscriptions/4"), "DELETE");
    }

    #[test]
    fn literal_segments_win_and_bad_ids_are_not_found() {
        assert!(matches!(
            find("/api/v1/components/groups", &Method::GET),
            Lookup::Route(r, _) if r.id == "group_list"
        ));
        assert!(matches!(
            find("/api/v1/incidents/4/updates/9", &Method::GET),
            Lookup::Route(r, Ids([4, 9])) if r.id == "incident_update_get"
        ));
        assert!(matches!(
            find("/api/v1/components/abc", &Method::POST),
            Lookup::NotFound
        ));
        assert!(matches!(
            find("/api/v1/subscribers/1", &Method::GET),
            Lookup::NoMethod
        ));
        assert!(matches!(find("/api/v1", &Method::GET), Lookup::NotFound));
        assert!(always_public("/api/v1/status"));
        assert!(!always_public("/api/v1/components"));
    }

    #[test]
    fn every_operation_id_is_unique_and_every_route_is_described() {
        let mut ids: Vec<&str> = ROUTES.iter().map(|r| r.id).collect();
        assert!(ids.iter().all(|i| !i.is_empty()));
        assert!(
            ROUTES
                .iter()
                .all(|r| !r.tag.is_empty() && !r.summary.is_empty())
        );
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
