//! Cachet 3's route table: every route once, with its handler, whether it needs a token,
//! the DTO it answers with and what the OpenAPI document says about it. [`super::handle`]
//! routes by it, the `Allow` of a 405 lists its methods for a path, and
//! [`crate::web::openapi`] builds Cachet 3's `paths` from it, as for the other APIs.

use std::future::Future;
use std::pin::Pin;

use http::{Method, StatusCode};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use super::dto::*;
use super::{Call, Handled, PREFIX, components, incidents, others};
use crate::web::api_v1::routes::{Answer, Verb};

/// A route's handler.
pub(crate) type Handler =
    for<'a> fn(Call<'a>) -> Pin<Box<dyn Future<Output = Handled> + Send + 'a>>;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Anyone: a guest sees what a visitor sees, a token reads as its user.
    Public,
    /// A token (Cachet 3's `auth:sanctum` routes).
    Token,
}

/// One route.
pub(crate) struct Route {
    /// Under `/api/`; each `{name}` is a positive id.
    pub pattern: &'static str,
    pub verb: Verb,
    pub handler: Handler,
    pub auth: Auth,
    /// The success status and its answer.
    pub status: StatusCode,
    pub ok: Answer,
    /// What the list takes besides `page` and `per_page`: its filters, sorts and includes.
    pub list: Option<ListParams>,
    /// The OpenAPI operation id and summary.
    pub id: &'static str,
    pub summary: &'static str,
}

/// A list's query parameters, for the document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListParams {
    pub filters: &'static [&'static str],
    pub sorts: &'static [&'static str],
    pub includes: &'static [&'static str],
}

fn named<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
}

fn by_name<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

/// `T`, referenced by name.
const fn doc<T: ToSchema>() -> Answer {
    Answer::Json {
        schema: by_name::<T>,
        named: named::<T>,
    }
}

/// Wraps an `async fn(Call) -> Handled` into a [`Handler`].
macro_rules! h {
    ($f:path) => {{
        fn run<'a>(c: Call<'a>) -> Pin<Box<dyn Future<Output = Handled> + Send + 'a>> {
            Box::pin($f(c))
        }
        run as Handler
    }};
}

macro_rules! route {
    ($verb:ident $pattern:literal, $auth:ident, $handler:expr, $status:ident, $ok:expr, $list:expr, $id:literal, $summary:literal) => {
        Route {
            pattern: $pattern,
            verb: Verb::$verb,
            handler: $handler,
            auth: Auth::$auth,
            status: StatusCode::$status,
            ok: $ok,
            list: $list,
            id: $id,
            summary: $summary,
        }
    };
}

const COMPONENTS: ListParams = ListParams {
    filters: components::COMPONENT_FILTERS,
    sorts: components::COMPONENT_SORTS,
    includes: components::COMPONENT_INCLUDES,
};
const GROUPS: ListParams = ListParams {
    filters: components::GROUP_FILTERS,
    sorts: components::GROUP_SORTS,
    includes: components::GROUP_INCLUDES,
};
const INCIDENTS: ListParams = ListParams {
    filters: incidents::INCIDENT_FILTERS,
    sorts: incidents::INCIDENT_SORTS,
    includes: incidents::INCIDENT_INCLUDES,
};
const UPDATES: ListParams = ListParams {
    filters: &[],
    sorts: incidents::UPDATE_SORTS,
    includes: &[],
};
const TEMPLATES: ListParams = ListParams {
    filters: incidents::TEMPLATE_FILTERS,
    sorts: incidents::TEMPLATE_SORTS,
    includes: &[],
};
const SCHEDULES: ListParams = ListParams {
    filters: others::SCHEDULE_FILTERS,
    sorts: others::SCHEDULE_SORTS,
    includes: others::SCHEDULE_INCLUDES,
};
const METRICS: ListParams = ListParams {
    filters: others::METRIC_FILTERS,
    sorts: others::METRIC_SORTS,
    includes: &[],
};
const POINTS: ListParams = ListParams {
    filters: &[],
    sorts: others::POINT_SORTS,
    includes: &[],
};
const SUBSCRIBERS: ListParams = ListParams {
    filters: &[],
    sorts: others::SUBSCRIBER_SORTS,
    includes: &[],
};

/// Every route, in the order of the module docs' table.
pub(crate) static ROUTES: &[Route] = &[
    route!(Get "ping", Public, h!(others::ping), OK, doc::<PingDocument>(), None, "c3_ping", "Pong"),
    route!(Get "version", Public, h!(others::version), OK, doc::<VersionDocument>(), None, "c3_version", "This server's version"),
    route!(Get "status", Public, h!(others::status), OK, doc::<StatusDocument>(), None, "c3_status", "The page's overall status"),
    route!(Get "components", Public, h!(components::list), OK, doc::<ComponentList>(), Some(COMPONENTS), "c3_components", "A page of the components the caller may see"),
    route!(Post "components", Token, h!(components::create), CREATED, doc::<ComponentDocument>(), None, "c3_component_create", "Create a component"),
    route!(Get "components/{component}", Public, h!(components::get), OK, doc::<ComponentDocument>(), Some(COMPONENTS), "c3_component", "One component"),
    route!(Put "components/{component}", Token, h!(components::update), OK, doc::<ComponentDocument>(), None, "c3_component_update", "Change a component"),
    route!(Patch "components/{component}", Token, h!(components::update), OK, doc::<ComponentDocument>(), None, "c3_component_patch", "Change a component, as PUT"),
    route!(Delete "components/{component}", Token, h!(components::delete), NO_CONTENT, Answer::NoContent, None, "c3_component_delete", "Delete a component"),
    route!(Get "component-groups", Public, h!(components::groups), OK, doc::<GroupList>(), Some(GROUPS), "c3_groups", "A page of the component groups the caller may see"),
    route!(Post "component-groups", Token, h!(components::create_group), CREATED, doc::<GroupDocument>(), None, "c3_group_create", "Create a component group"),
    route!(Get "component-groups/{group}", Public, h!(components::group), OK, doc::<GroupDocument>(), Some(GROUPS), "c3_group", "One component group"),
    route!(Put "component-groups/{group}", Token, h!(components::update_group), OK, doc::<GroupDocument>(), None, "c3_group_update", "Change a component group"),
    route!(Patch "component-groups/{group}", Token, h!(components::update_group), OK, doc::<GroupDocument>(), None, "c3_group_patch", "Change a component group, as PUT"),
    route!(Delete "component-groups/{group}", Token, h!(components::delete_group), NO_CONTENT, Answer::NoContent, None, "c3_group_delete", "Delete a component group"),
    route!(Get "incidents", Public, h!(incidents::list), OK, doc::<IncidentList>(), Some(INCIDENTS), "c3_incidents", "A page of the incidents the caller may see, newest first"),
    route!(Post "incidents", Token, h!(incidents::create), CREATED, doc::<IncidentDocument>(), None, "c3_incident_create", "Create an incident"),
    route!(Get "incidents/{incident}", Public, h!(incidents::get), OK, doc::<IncidentDocument>(), Some(INCIDENTS), "c3_incident", "One incident"),
    route!(Put "incidents/{incident}", Token, h!(incidents::update), OK, doc::<IncidentDocument>(), None, "c3_incident_update", "Change an incident"),
    route!(Patch "incidents/{incident}", Token, h!(incidents::update), OK, doc::<IncidentDocument>(), None, "c3_incident_patch", "Change an incident, as PUT"),
    route!(Delete "incidents/{incident}", Token, h!(incidents::delete), NO_CONTENT, Answer::NoContent, None, "c3_incident_delete", "Delete an incident"),
    route!(Get "incidents/{incident}/updates", Public, h!(incidents::updates), OK, doc::<UpdateList>(), Some(UPDATES), "c3_incident_updates", "A page of an incident's updates"),
    route!(Post "incidents/{incident}/updates", Token, h!(incidents::create_update), CREATED, doc::<UpdateDocument>(), None, "c3_incident_update_create", "Post an update of an incident (it moves the incident's status)"),
    route!(Get "incidents/{incident}/updates/{update}", Public, h!(incidents::update_of), OK, doc::<UpdateDocument>(), None, "c3_incident_update_get", "One update of an incident"),
    route!(Put "incidents/{incident}/updates/{update}", Token, h!(incidents::edit_update), OK, doc::<UpdateDocument>(), None, "c3_incident_update_edit", "Change an update of an incident"),
    route!(Patch "incidents/{incident}/updates/{update}", Token, h!(incidents::edit_update), OK, doc::<UpdateDocument>(), None, "c3_incident_update_patch", "Change an update of an incident, as PUT"),
    route!(Delete "incidents/{incident}/updates/{update}", Token, h!(incidents::delete_update), NO_CONTENT, Answer::NoContent, None, "c3_incident_update_delete", "Delete an update of an incident"),
    route!(Get "incident-templates", Public, h!(incidents::templates), OK, doc::<TemplateList>(), Some(TEMPLATES), "c3_templates", "A page of the incident templates"),
    route!(Post "incident-templates", Token, h!(incidents::create_template), CREATED, doc::<TemplateDocument>(), None, "c3_template_create", "Create an incident template"),
    route!(Get "incident-templates/{template}", Public, h!(incidents::template), OK, doc::<TemplateDocument>(), None, "c3_template", "One incident template"),
    route!(Put "incident-templates/{template}", Token, h!(incidents::update_template), OK, doc::<TemplateDocument>(), None, "c3_template_update", "Change an incident template"),
    route!(Patch "incident-templates/{template}", Token, h!(incidents::update_template), OK, doc::<TemplateDocument>(), None, "c3_template_patch", "Change an incident template, as PUT"),
    route!(Delete "incident-templates/{template}", Token, h!(incidents::delete_template), NO_CONTENT, Answer::NoContent, None, "c3_template_delete", "Delete an incident template"),
    route!(Get "schedules", Public, h!(others::schedules), OK, doc::<ScheduleList>(), Some(SCHEDULES), "c3_schedules", "A page of the maintenance schedules"),
    route!(Post "schedules", Token, h!(others::create_schedule), CREATED, doc::<ScheduleDocument>(), None, "c3_schedule_create", "Create a maintenance schedule"),
    route!(Get "schedules/{schedule}", Public, h!(others::schedule), OK, doc::<ScheduleDocument>(), Some(SCHEDULES), "c3_schedule", "One maintenance schedule"),
    route!(Put "schedules/{schedule}", Token, h!(others::update_schedule), OK, doc::<ScheduleDocument>(), None, "c3_schedule_update", "Change a maintenance schedule"),
    route!(Patch "schedules/{schedule}", Token, h!(others::update_schedule), OK, doc::<ScheduleDocument>(), None, "c3_schedule_patch", "Change a maintenance schedule, as PUT"),
    route!(Delete "schedules/{schedule}", Token, h!(others::delete_schedule), NO_CONTENT, Answer::NoContent, None, "c3_schedule_delete", "Delete a maintenance schedule"),
    route!(Get "schedules/{schedule}/updates", Public, h!(others::schedule_updates), OK, doc::<UpdateList>(), Some(UPDATES), "c3_schedule_updates", "A page of a schedule's updates"),
    route!(Post "schedules/{schedule}/updates", Token, h!(others::create_schedule_update), CREATED, doc::<UpdateDocument>(), None, "c3_schedule_update_create", "Post an update of a schedule"),
    route!(Get "schedules/{schedule}/updates/{update}", Public, h!(others::schedule_update), OK, doc::<UpdateDocument>(), None, "c3_schedule_update_get", "One update of a schedule"),
    route!(Delete "schedules/{schedule}/updates/{update}", Token, h!(others::delete_schedule_update), NO_CONTENT, Answer::NoContent, None, "c3_schedule_update_delete", "Delete an update of a schedule"),
    route!(Get "metrics", Public, h!(others::metrics), OK, doc::<MetricList>(), Some(METRICS), "c3_metrics", "A page of the metrics the caller may see"),
    route!(Post "metrics", Token, h!(others::create_metric), CREATED, doc::<MetricDocument>(), None, "c3_metric_create", "Create a metric"),
    route!(Get "metrics/{metric}", Public, h!(others::metric), OK, doc::<MetricDocument>(), None, "c3_metric", "One metric"),
    route!(Put "metrics/{metric}", Token, h!(others::update_metric), OK, doc::<MetricDocument>(), None, "c3_metric_update", "Change a metric"),
    route!(Patch "metrics/{metric}", Token, h!(others::update_metric), OK, doc::<MetricDocument>(), None, "c3_metric_patch", "Change a metric, as PUT"),
    route!(Delete "metrics/{metric}", Token, h!(others::delete_metric), NO_CONTENT, Answer::NoContent, None, "c3_metric_delete", "Delete a metric"),
    route!(Get "metrics/{metric}/points", Public, h!(others::points), OK, doc::<PointList>(), Some(POINTS), "c3_points", "A page of a metric's points"),
    route!(Post "metrics/{metric}/points", Token, h!(others::create_point), CREATED, doc::<PointDocument>(), None, "c3_point_create", "Record a point (merged within the metric's threshold)"),
    route!(Get "metrics/{metric}/points/{point}", Public, h!(others::point), OK, doc::<PointDocument>(), None, "c3_point", "One point of a metric"),
    route!(Delete "metrics/{metric}/points/{point}", Token, h!(others::delete_point), NO_CONTENT, Answer::NoContent, None, "c3_point_delete", "Delete a point of a metric"),
    route!(Get "subscribers", Token, h!(others::subscribers), OK, doc::<SubscriberList>(), Some(SUBSCRIBERS), "c3_subscribers", "A page of the subscribers (admin tokens)"),
    route!(Post "subscribers", Token, h!(others::create_subscriber), CREATED, doc::<SubscriberDocument>(), None, "c3_subscriber_create", "Add a subscriber (admin tokens)"),
    route!(Get "subscribers/{subscriber}", Token, h!(others::subscriber), OK, doc::<SubscriberDocument>(), None, "c3_subscriber", "One subscriber (admin tokens)"),
    route!(Delete "subscribers/{subscriber}", Token, h!(others::delete_subscriber), NO_CONTENT, Answer::NoContent, None, "c3_subscriber_delete", "Delete a subscriber (admin tokens)"),
];

/// What the table says about a request.
pub(crate) enum Lookup {
    NotFound,
    NoMethod,
    Route {
        route: &'static Route,
        ids: Vec<i64>,
    },
}

/// The ids of `path` (under the prefix) when it matches `pattern`.
fn matches(pattern: &str, path: &str) -> Option<Vec<i64>> {
    let mut ids = Vec::new();
    let mut parts = path.split('/');
    for want in pattern.split('/') {
        let got = parts.next()?;
        if want.starts_with('{') {
            if got.is_empty() || got.len() > 18 || !got.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            ids.push(got.parse::<i64>().ok().filter(|n| *n > 0)?);
        } else if want != got {
            return None;
        }
    }
    parts.next().is_none().then_some(ids)
}

fn relative(path: &str) -> Option<&str> {
    path.strip_prefix(PREFIX).map(|p| p.trim_end_matches('/'))
}

/// The route for a path and method.
pub(crate) fn find(path: &str, method: &Method) -> Lookup {
    let Some(rel) = relative(path) else {
        return Lookup::NotFound;
    };
    let mut known = false;
    for route in ROUTES {
        if let Some(ids) = matches(route.pattern, rel) {
            known = true;
            if route.verb.name() == method.as_str() {
                return Lookup::Route { route, ids };
            }
        }
    }
    if known {
        Lookup::NoMethod
    } else {
        Lookup::NotFound
    }
}

/// The methods a path answers, for `Allow`.
pub(crate) fn allowed(path: &str) -> String {
    let Some(rel) = relative(path) else {
        return String::new();
    };
    let mut methods: Vec<&str> = Vec::new();
    for route in ROUTES.iter().filter(|r| matches(r.pattern, rel).is_some()) {
        let m = route.verb.name();
        if !methods.contains(&m) {
            methods.push(m);
        }
        if m == "GET" && !methods.contains(&"HEAD") {
            methods.push("HEAD");
        }
    }
    methods.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_and_method_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.pattern, r.verb.name())),
                "{} {}",
                r.verb.name(),
                r.pattern
            );
        }
    }

    #[test]
    fn paths_find_their_route_and_ids() {
        let Lookup::Route { route, ids } = find("/api/incidents/12/updates/3", &Method::GET) else {
            panic!("not found");
        };
        assert_eq!(route.pattern, "incidents/{incident}/updates/{update}");
        assert_eq!(ids, vec![12, 3]);
        assert!(matches!(
            find("/api/incidents/0", &Method::GET),
            Lookup::NotFound
        ));
        assert!(matches!(
            find("/api/incidents/x", &Method::GET),
            Lookup::NotFound
        ));
        assert!(matches!(find("/api/ping", &Method::POST), Lookup::NoMethod));
        assert_eq!(allowed("/api/ping"), "GET, HEAD");
        assert!(matches!(
            find("/api/components/", &Method::GET),
            Lookup::Route { .. }
        ));
    }
}
