//! The management API's route table: every route once, with its handler, the envelope its
//! body comes in, the DTO it answers with and what the OpenAPI document says about it.
//! [`super::handle`] routes by it, the `Allow` of a 405 lists its methods for a path, and
//! [`crate::web::openapi`] builds the management `paths` from it, as for API v1 and the public
//! Statuspage API.

use std::future::Future;
use std::pin::Pin;

use http::{Method, StatusCode};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, Schema};

use super::super::dto::{ComponentDto, IncidentDto, MaintenanceDto};
use super::dto::{SubscriberDto, TemplateDto};
use super::{Call, Handled, PREFIX, components, incidents, others};
use crate::web::api_v1::routes::{Answer, Verb};

/// A route's handler: the call and the path's id (when the pattern has one) in.
pub(crate) type Handler =
    for<'a> fn(Call<'a>, Option<i64>) -> Pin<Box<dyn Future<Output = Handled> + Send + 'a>>;

/// One route.
pub(crate) struct Route {
    /// Under `/v1/pages/{page_id}/`; `{id}` is one path segment, an id of `kind`.
    pub pattern: &'static str,
    pub verb: Verb,
    pub handler: Handler,
    /// The object a body's fields come in (`incident` for `{"incident": {...}}`); empty
    /// for reads, whose input is the query string.
    pub envelope: &'static str,
    /// The kind prefix of the path's id (`component` for `component-1`).
    pub kind: &'static str,
    /// The success status and its answer.
    pub status: StatusCode,
    pub ok: Answer,
    /// The OpenAPI operation id.
    pub id: &'static str,
    pub summary: &'static str,
}

fn named<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
}

fn by_name<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

fn array_of<T: ToSchema>() -> RefOr<Schema> {
    ArrayBuilder::new().items(by_name::<T>()).into()
}

/// `T`, referenced by name.
const fn one<T: ToSchema>() -> Answer {
    Answer::Json {
        schema: by_name::<T>,
        named: named::<T>,
    }
}

/// A JSON array of `T`.
const fn many<T: ToSchema>() -> Answer {
    Answer::Json {
        schema: array_of::<T>,
        named: named::<T>,
    }
}

/// Wraps an `async fn(Call) -> Handled` or `async fn(Call, i64) -> Handled` into a
/// [`Handler`]; the table's patterns guarantee the id is there when the handler takes one.
macro_rules! h {
    ($f:path) => {{
        fn run<'a>(
            c: Call<'a>,
            _: Option<i64>,
        ) -> Pin<Box<dyn Future<Output = Handled> + Send + 'a>> {
            Box::pin($f(c))
        }
        run as Handler
    }};
    ($f:path, id) => {{
        fn run<'a>(
            c: Call<'a>,
            id: Option<i64>,
        ) -> Pin<Box<dyn Future<Output = Handled> + Send + 'a>> {
            Box::pin(async move {
                match id {
                    Some(id) => $f(c, id).await,
                    None => Err(super::Fail::Status(StatusCode::NOT_FOUND, "Not found")),
                }
            })
        }
        run as Handler
    }};
}

macro_rules! route {
    ($verb:ident $pattern:literal $kind:literal, $handler:expr, $envelope:literal, $status:ident, $ok:expr, $id:literal, $summary:literal) => {
        Route {
            pattern: $pattern,
            verb: Verb::$verb,
            handler: $handler,
            envelope: $envelope,
            kind: $kind,
            status: StatusCode::$status,
            ok: $ok,
            id: $id,
            summary: $summary,
        }
    };
}

/// Every route, in the order of the module docs' table.
pub(crate) static ROUTES: &[Route] = &[
    route!(Get "components" "", h!(components::list), "", OK, many::<ComponentDto>(), "spm_components", "Every component and group the token may see"),
    route!(Post "components" "", h!(components::create), "component", CREATED, one::<ComponentDto>(), "spm_component_create", "Create a component"),
    route!(Get "components/{id}" "component", h!(components::get, id), "", OK, one::<ComponentDto>(), "spm_component", "One component"),
    route!(Patch "components/{id}" "component", h!(components::update, id), "component", OK, one::<ComponentDto>(), "spm_component_update", "Change a component (its status, name, description, group)"),
    route!(Put "components/{id}" "component", h!(components::update, id), "component", OK, one::<ComponentDto>(), "spm_component_replace", "Change a component, as PATCH"),
    route!(Delete "components/{id}" "component", h!(components::delete, id), "", NO_CONTENT, Answer::NoContent, "spm_component_delete", "Delete a component"),
    route!(Get "incidents" "", h!(incidents::list), "", OK, many::<IncidentDto>(), "spm_incidents", "Incidents, newest first (page, limit)"),
    route!(Post "incidents" "", h!(incidents::create), "incident", CREATED, one::<IncidentDto>(), "spm_incident_create", "Create a realtime incident"),
    route!(Get "incidents/unresolved" "", h!(incidents::unresolved), "", OK, many::<IncidentDto>(), "spm_incidents_unresolved", "Unresolved incidents"),
    route!(Get "incidents/scheduled" "", h!(incidents::scheduled), "", OK, many::<MaintenanceDto>(), "spm_incidents_scheduled", "Maintenance windows not started yet"),
    route!(Get "incidents/{id}" "incident", h!(incidents::get, id), "", OK, one::<IncidentDto>(), "spm_incident", "One incident"),
    route!(Patch "incidents/{id}" "incident", h!(incidents::update, id), "incident", OK, one::<IncidentDto>(), "spm_incident_update", "Update an incident: status and body post an update"),
    route!(Put "incidents/{id}" "incident", h!(incidents::update, id), "incident", OK, one::<IncidentDto>(), "spm_incident_replace", "Update an incident, as PATCH"),
    route!(Delete "incidents/{id}" "incident", h!(incidents::delete, id), "", OK, one::<IncidentDto>(), "spm_incident_delete", "Delete an incident; answers it as it was"),
    route!(Get "incident_templates" "", h!(others::templates), "", OK, many::<TemplateDto>(), "spm_templates", "Incident templates"),
    route!(Post "incident_templates" "", h!(others::create_template), "template", CREATED, one::<TemplateDto>(), "spm_template_create", "Create an incident template"),
    route!(Get "subscribers" "", h!(others::subscribers), "", OK, many::<SubscriberDto>(), "spm_subscribers", "E-mail subscribers (admin tokens)"),
    route!(Post "subscribers" "", h!(others::subscribe), "subscriber", CREATED, one::<SubscriberDto>(), "spm_subscriber_create", "Add an e-mail subscriber"),
];

/// What the table says about a request.
pub(crate) enum Lookup {
    NotFound,
    NoMethod,
    Route {
        route: &'static Route,
        /// The `page_id` segment, checked by the caller (after authentication).
        page: String,
        id: Option<i64>,
    },
}

/// The page id and the rest of a management path, without a trailing `.json`.
fn split(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix(PREFIX)?;
    let (page, rest) = rest.split_once('/')?;
    let rest = rest.strip_suffix(".json").unwrap_or(rest);
    (!page.is_empty() && !rest.is_empty()).then_some((page, rest))
}

/// Whether `rest` fits `pattern`, and the id it carries. Literal segments win over `{id}`
/// because an id never parses from a literal (`unresolved` is not an id).
fn fits(pattern: &str, kind: &str, rest: &str) -> Option<Option<i64>> {
    let mut id = None;
    let mut have = rest.split('/');
    for want in pattern.split('/') {
        let seg = have.next()?;
        if want == "{id}" {
            id = Some(super::parse_id(seg, kind)?);
        } else if want != seg {
            return None;
        }
    }
    have.next().is_none().then_some(id)
}

fn rows(path: &str) -> Vec<(&'static Route, Option<i64>)> {
    let Some((_, rest)) = split(path) else {
        return Vec::new();
    };
    ROUTES
        .iter()
        .filter_map(|r| fits(r.pattern, r.kind, rest).map(|id| (r, id)))
        .collect()
}

/// Finds the route of a request; `HEAD` is `GET` without the body.
pub(crate) fn find(path: &str, method: &Method) -> Lookup {
    let wanted = if method == Method::HEAD {
        Method::GET
    } else {
        method.clone()
    };
    let rows = rows(path);
    if rows.is_empty() {
        return Lookup::NotFound;
    }
    let page = split(path).map_or_else(String::new, |(p, _)| p.to_owned());
    rows.into_iter()
        .find(|(r, _)| r.verb.name() == wanted.as_str())
        .map_or(Lookup::NoMethod, |(route, id)| Lookup::Route {
            route,
            page,
            id,
        })
}

/// The methods a path answers, for the `Allow` of a 405: `HEAD` after `GET`.
pub(crate) fn allowed(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for (r, _) in rows(path) {
        out.push(r.verb.name());
        if r.verb == Verb::Get {
            out.push("HEAD");
        }
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(path: &str, method: Method) -> Option<(&'static str, Option<i64>, String)> {
        match find(path, &method) {
            Lookup::Route { route, page, id } => Some((route.id, id, page)),
            _ => None,
        }
    }

    #[test]
    fn paths_route_with_and_without_json_and_with_either_id_spelling() {
        assert_eq!(
            found("/v1/pages/abc/components", Method::GET),
            Some(("spm_components", None, "abc".to_owned()))
        );
        assert_eq!(
            found("/v1/pages/abc/components.json", Method::POST).map(|f| f.0),
            Some("spm_component_create")
        );
        assert_eq!(
            found("/v1/pages/abc/components/component-4", Method::PATCH).map(|f| (f.0, f.1)),
            Some(("spm_component_update", Some(4)))
        );
        assert_eq!(
            found("/v1/pages/abc/incidents/9.json", Method::DELETE).map(|f| (f.0, f.1)),
            Some(("spm_incident_delete", Some(9)))
        );
        assert_eq!(
            found("/v1/pages/abc/incidents/unresolved", Method::GET).map(|f| f.0),
            Some("spm_incidents_unresolved")
        );
        assert_eq!(
            found("/v1/pages/abc/incidents/scheduled.json", Method::HEAD).map(|f| f.0),
            Some("spm_incidents_scheduled")
        );
    }

    #[test]
    fn what_no_route_has_is_a_404_or_a_405_with_allow() {
        for bad in [
            "/v1/pages/abc",
            "/v1/pages/abc/",
            "/v1/pages//components",
            "/v1/pages/abc/components/group-1",
            "/v1/pages/abc/components/0",
            "/v1/pages/abc/components/1/2",
            "/v1/pages/abc/incidents/incident-",
            "/v1/pages/abc/nothing",
            "/v1/pages/abc/Components",
        ] {
            assert!(matches!(find(bad, &Method::GET), Lookup::NotFound), "{bad}");
        }
        assert!(matches!(
            find("/v1/pages/abc/incidents/unresolved", &Method::POST),
            Lookup::NoMethod
        ));
        assert_eq!(
            allowed("/v1/pages/abc/components/component-1"),
            "GET, HEAD, PATCH, PUT, DELETE"
        );
        assert_eq!(allowed("/v1/pages/abc/incidents"), "GET, HEAD, POST");
    }

    #[test]
    fn every_operation_is_unique_and_described_and_writes_name_their_envelope() {
        let mut ids: Vec<&str> = ROUTES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ROUTES.len());
        for r in ROUTES {
            assert!(!r.summary.is_empty(), "{}", r.id);
            let writes_body = matches!(r.verb, Verb::Post | Verb::Patch | Verb::Put);
            assert_eq!(writes_body, !r.envelope.is_empty(), "{}", r.id);
            assert_eq!(r.pattern.contains("{id}"), !r.kind.is_empty(), "{}", r.id);
        }
    }
}
