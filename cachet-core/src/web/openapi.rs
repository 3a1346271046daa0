//! The OpenAPI 3.1 document of API v1 and the Statuspage v2 JSON, served at
//! `GET /api/openapi.json`.
//!
//! Built with utoipa (a schema and document builder, no web framework). The `paths` are the
//! two endpoint tables read row by row: API v1's route table
//! ([`crate::web::api_v1::routes::ROUTES`]) and the Statuspage v2 table
//! ([`crate::web::statuspage::routes::ROUTES`]). The answers' schemas are the `ToSchema`
//! derives of the very types the handlers serialize (`api_v1::dto`, `statuspage::dto`), so
//! what is served and what is documented cannot drift apart. The sort parameters are
//! generated from the stores' sort whitelists ([`crate::store::SortField::ALL`]), so a
//! sortable field added there is documented here without an edit.
//! `cachet-core/tests/openapi.rs` keeps the document honest: every route the table serves
//! must be answered as documented, and real answers must validate against their schemas; CI
//! runs schemathesis against the standalone binary with this document.

use std::sync::OnceLock;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
    PathItemBuilder,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    RefOr, Required, ResponseBuilder,
};
use utoipa::{PartialSchema, ToSchema};

use crate::web::api_v1::bodies::{Body, Ty};
use crate::web::api_v1::dto::ApiError;
use crate::web::api_v1::routes::{Access, Answer, Filter, Query, ROUTES, Route, Verb};
use crate::web::{response, statuspage};

/// The path the document is served at.
pub(crate) const PATH: &str = "/api/openapi.json";

/// Named schemas, collected from the routes' answers.
type Named = Vec<(String, RefOr<Schema>)>;

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn json_content(schema: RefOr<Schema>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

/// An API v1 error answer: Cachet's envelope, `Retry-After` on 409 and 429.
fn error_response(status: u16) -> utoipa::openapi::Response {
    error_answer(status, "ApiError", &[409, 429])
}

/// An error answer with the named schema, and `Retry-After` on the statuses that carry it.
fn error_answer(status: u16, schema: &str, retry_after: &[u16]) -> utoipa::openapi::Response {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let mut r = ResponseBuilder::new()
        .description(reason)
        .content("application/json", json_content(schema_ref(schema)));
    if retry_after.contains(&status) {
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

/// `Idempotency-Key` on writes: a retry with the same key replays the first answer.
fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "A key the client chose for this write (a Structured Field string, such as a \
             quoted UUID). A retry with the same key and request replays the first answer \
             with `Idempotent-Replayed: true` for 24 hours; the same key with another request \
             is a 422, and while the first request still runs a 409 with `Retry-After`.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(257)),
        ))
        .build()
}

/// `page` and `per_page`.
fn page_params() -> Vec<Parameter> {
    vec![
        query("page", int_schema(Some(1), None), "1-based page number."),
        query(
            "per_page",
            int_schema(Some(1), Some(1000)),
            "Items per page (default 20; clamped to 1..=1000).",
        ),
    ]
}

/// `page`, `per_page`, and `sort`/`order` over a store's sort whitelist.
fn list_params(sorts: Vec<&'static str>) -> Vec<Parameter> {
    let mut params = page_params();
    params.extend([
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
    ]);
    params
}

const READ_ERRORS: &[u16] = &[400, 401, 406, 429];
const PRIVATE_READ_ERRORS: &[u16] = &[400, 401, 403, 406, 429];
const ITEM_ERRORS: &[u16] = &[400, 401, 404, 406, 429];
const PRIVATE_ITEM_ERRORS: &[u16] = &[400, 401, 403, 404, 406, 429];
const WRITE_ERRORS: &[u16] = &[400, 401, 403, 404, 406, 409, 413, 422, 429];

fn filter_param(name: &str, f: Filter) -> Parameter {
    let schema = match f {
        Filter::Int => int_schema(None, None),
        Filter::IntIn(min, max) => int_schema(Some(min), Some(max)),
        Filter::Bool => ObjectBuilder::new().schema_type(Type::Boolean),
        Filter::Text => ObjectBuilder::new().schema_type(Type::String),
    };
    query(name, schema, "Equality filter.")
}

/// A request body's schema: every field optional and nullable (`null` means absent).
fn body_schema(b: &Body) -> RefOr<Schema> {
    let mut o = ObjectBuilder::new().description(Some(b.doc));
    for f in b.fields {
        let nullable = |t: Type| SchemaType::from_iter([t, Type::Null]);
        let doc = (!f.doc.is_empty()).then_some(f.doc);
        let schema: RefOr<Schema> = match f.ty {
            Ty::IntList => ArrayBuilder::new()
                .schema_type(nullable(Type::Array))
                .items(ObjectBuilder::new().schema_type(Type::Integer))
                .description(doc)
                .into(),
            Ty::AffectedList => ArrayBuilder::new()
                .schema_type(nullable(Type::Array))
                .items(
                    ObjectBuilder::new()
                        .schema_type(Type::Object)
                        .property(
                            "id",
                            ObjectBuilder::new()
                                .schema_type(Type::Integer)
                                .minimum(Some(1)),
                        )
                        .property(
                            "status",
                            ObjectBuilder::new()
                                .schema_type(Type::Integer)
                                .minimum(Some(0))
                                .maximum(Some(4)),
                        )
                        .required("id")
                        .required("status"),
                )
                .max_items(Some(1000))
                .description(doc)
                .into(),
            ty => {
                let (t, min, max) = match ty {
                    Ty::Str => (Type::String, None, None),
                    Ty::Bool => (Type::Boolean, None, None),
                    Ty::Int => (Type::Integer, None, None),
                    Ty::IntIn(min, max) => (Type::Integer, Some(min), Some(max)),
                    Ty::Num => (Type::Number, None, None),
                    Ty::Object | Ty::IntList | Ty::AffectedList => (Type::Object, None, None),
                };
                ObjectBuilder::new()
                    .schema_type(nullable(t))
                    .minimum(min)
                    .maximum(max)
                    .description(doc)
                    .into()
            }
        };
        o = o.property(f.name, schema);
    }
    o.into()
}

/// One operation of the route table, registering the schemas it names in `named`.
fn operation(r: &Route, named: &mut Named) -> Operation {
    let mut b = OperationBuilder::new()
        .operation_id(Some(r.id))
        .summary(Some(r.summary))
        .tag(r.tag);
    let path_ids: Vec<&str> = r
        .pattern
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    let mut params: Vec<Parameter> = path_ids.iter().map(|n| path_id(n)).collect();
    match r.query {
        Query::None => {}
        Query::Page => params.extend(page_params()),
        Query::List { sorts, filters } => {
            params.extend(list_params(sorts()));
            params.extend(filters.iter().map(|(n, f)| filter_param(n, *f)));
        }
    }
    params.push(time_zone());
    if r.verb != Verb::Get {
        params.push(idempotency_key());
    }
    b = b.parameters(Some(params));
    if let Some(body) = r.body {
        named.push((body.name.to_owned(), body_schema(body)));
        b = b.request_body(Some(
            RequestBodyBuilder::new()
                .content("application/json", json_content(schema_ref(body.name)))
                .build(),
        ));
    }
    b = match r.ok {
        Answer::Json {
            schema,
            named: names,
        } => {
            names(named);
            b.response(
                "200",
                ResponseBuilder::new()
                    .description("OK")
                    .content("application/json", json_content(schema()))
                    .build(),
            )
        }
        Answer::NoContent => b.response(
            "204",
            ResponseBuilder::new().description("No Content").build(),
        ),
    };
    let errors = match (r.verb, r.access) {
        (Verb::Get, Access::Token(_)) if !path_ids.is_empty() => PRIVATE_ITEM_ERRORS,
        (Verb::Get, Access::Token(_)) => PRIVATE_READ_ERRORS,
        (Verb::Get, _) if !path_ids.is_empty() => ITEM_ERRORS,
        (Verb::Get, _) => READ_ERRORS,
        _ => WRITE_ERRORS,
    };
    for e in errors {
        b = b.response(e.to_string(), error_response(*e));
    }
    let token = || {
        vec![
            SecurityRequirement::new("CachetToken", Vec::<String>::new()),
            SecurityRequirement::new("BearerToken", Vec::<String>::new()),
        ]
    };
    b = match r.access {
        // The empty requirement: anonymous access is allowed.
        Access::Public | Access::AlwaysPublic => b
            .security(SecurityRequirement::default())
            .securities(Some(token())),
        Access::Token(_) => b.securities(Some(token())),
    };
    b.build()
}

fn http_method(verb: Verb) -> HttpMethod {
    match verb {
        Verb::Get => HttpMethod::Get,
        Verb::Post => HttpMethod::Post,
        Verb::Put => HttpMethod::Put,
        Verb::Patch => HttpMethod::Patch,
        Verb::Delete => HttpMethod::Delete,
    }
}

/// One path per distinct pattern of a route table (in the order they first appear), its
/// operations in table order: `path` turns a pattern into the document's path and `op` a row
/// into its method and operation.
fn paths_by_pattern<R>(
    mut paths: PathsBuilder,
    rows: &[R],
    pattern: impl Fn(&R) -> &'static str,
    path: impl Fn(&str) -> String,
    mut op: impl FnMut(&R) -> (HttpMethod, Operation),
) -> PathsBuilder {
    let mut patterns: Vec<&str> = Vec::new();
    for r in rows {
        if !patterns.contains(&pattern(r)) {
            patterns.push(pattern(r));
        }
    }
    for p in patterns {
        let mut item = PathItemBuilder::new();
        for r in rows.iter().filter(|r| pattern(r) == p) {
            let (method, operation) = op(r);
            item = item.operation(method, operation);
        }
        paths = paths.path(path(p), item.build());
    }
    paths
}

/// The API v1 paths, one per pattern of the route table, its operations in table order.
fn v1_paths(paths: PathsBuilder, named: &mut Named) -> PathsBuilder {
    paths_by_pattern(
        paths,
        ROUTES,
        |r| r.pattern,
        |pattern| format!("/api/v1{pattern}"),
        |r| (http_method(r.verb), operation(r, named)),
    )
}

/// The Statuspage v2 paths, one per endpoint of its table, registering the answers' schemas
/// in `named`. Public reads: only the empty security requirement.
fn statuspage_paths(mut paths: PathsBuilder, named: &mut Named) -> PathsBuilder {
    for e in statuspage::routes::ROUTES {
        let Answer::Json {
            schema,
            named: names,
        } = e.ok
        else {
            // Every Statuspage answer is JSON; a row without one has nothing to document.
            continue;
        };
        names(named);
        let op = OperationBuilder::new()
            .operation_id(Some(e.id))
            .summary(Some(e.summary))
            .tag("statuspage")
            .response(
                "200",
                ResponseBuilder::new()
                    .description("OK")
                    .content("application/json", json_content(schema()))
                    .build(),
            )
            .security(SecurityRequirement::default())
            .build();
        paths = paths.path(
            format!("{}{}", statuspage::routes::PREFIX, e.path),
            PathItemBuilder::new()
                .operation(http_method(e.verb), op)
                .build(),
        );
    }
    paths
}

/// A token API's answers: its success (`ok` in each content type) and its error statuses in
/// its own error shape (`Retry-After` on 429 and 503).
fn answers(
    b: OperationBuilder,
    status: StatusCode,
    ok: &Answer,
    content_types: &[&str],
    error_schema: &str,
    named: &mut Named,
) -> OperationBuilder {
    let code = status.as_u16().to_string();
    let mut b = match ok {
        Answer::Json {
            schema,
            named: names,
        } => {
            names(named);
            let mut response =
                ResponseBuilder::new().description(status.canonical_reason().unwrap_or("OK"));
            for content_type in content_types {
                response = response.content(*content_type, json_content(schema()));
            }
            b.response(code, response.build())
        }
        Answer::NoContent => b.response(
            code,
            ResponseBuilder::new().description("No Content").build(),
        ),
    };
    for status in [400, 401, 403, 404, 405, 422, 429, 503] {
        b = b.response(
            status.to_string(),
            error_answer(status, error_schema, &[429, 503]),
        );
    }
    b
}

/// The Statuspage management paths, one per pattern of its route table. Every operation
/// needs a token; errors answer `SpError`.
fn statuspage_manage_paths(paths: PathsBuilder, named: &mut Named) -> PathsBuilder {
    use statuspage::manage::routes::ROUTES as MANAGE;
    let string_param = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build()
    };
    named.push((
        statuspage::manage::dto::ErrorDto::name().into_owned(),
        statuspage::manage::dto::ErrorDto::schema(),
    ));
    let path = |pattern: &str| format!("{}{{page_id}}/{pattern}", statuspage::manage::PREFIX);
    paths_by_pattern(
        paths,
        MANAGE,
        |r| r.pattern,
        path,
        |r| {
            let mut params = vec![string_param(
                "page_id",
                "The page's id (the public API's `page.id`); another is 404.",
            )];
            if !r.kind.is_empty() {
                params.push(string_param(
                    "id",
                    "The public API's id (`component-1`, `incident-1`) or the bare number.",
                ));
            }
            let mut b = OperationBuilder::new()
                .operation_id(Some(r.id))
                .summary(Some(r.summary))
                .tag("statuspage-manage")
                .parameters(Some(params));
            if !r.envelope.is_empty() {
                let body = ObjectBuilder::new()
                    .property(
                        r.envelope,
                        ObjectBuilder::new()
                            .schema_type(Type::Object)
                            .description(Some("The fields, as the module docs list them.")),
                    )
                    .required(r.envelope);
                b = b.request_body(Some(
                    RequestBodyBuilder::new()
                        .content("application/json", json_content(body.into()))
                        .build(),
                ));
            }
            b = answers(b, r.status, &r.ok, &["application/json"], "SpError", named);
            b = b.securities(Some(vec![
                SecurityRequirement::new("StatuspageOAuth", Vec::<String>::new()),
                SecurityRequirement::new("CachetToken", Vec::<String>::new()),
                SecurityRequirement::new("BearerToken", Vec::<String>::new()),
            ]));
            (http_method(r.verb), b.build())
        },
    )
}

/// Cachet 3's paths, one per pattern of its route table: reads are public (a token reads as
/// its user), writes need a token; errors answer `C3Error`.
fn cachet3_paths(paths: PathsBuilder, named: &mut Named) -> PathsBuilder {
    use crate::web::cachet3::routes::{Auth, ROUTES as C3};
    named.push((
        crate::web::cachet3::dto::ErrorDto::name().into_owned(),
        crate::web::cachet3::dto::ErrorDto::schema(),
    ));
    let path = |pattern: &str| format!("{}{pattern}", crate::web::cachet3::PREFIX);
    paths_by_pattern(
        paths,
        C3,
        |r| r.pattern,
        path,
        |r| {
            let mut params: Vec<Parameter> = r
                .pattern
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .map(path_id)
                .collect();
            if let Some(list) = r.list {
                let text = || ObjectBuilder::new().schema_type(Type::String);
                if r.verb == Verb::Get && !r.pattern.ends_with('}') {
                    params.push(query(
                        "page",
                        int_schema(Some(1), None),
                        "1-based page number.",
                    ));
                    params.push(query(
                        "per_page",
                        int_schema(Some(1), Some(100)),
                        "Items per page (default 15; clamped to 1..=100).",
                    ));
                    let sorts: Vec<String> = list
                        .sorts
                        .iter()
                        .flat_map(|s| [(*s).to_owned(), format!("-{s}")])
                        .collect();
                    params.push(query(
                        "sort",
                        text().enum_values(Some(sorts)),
                        "A field to sort by; `-field` sorts descending.",
                    ));
                    for f in list.filters {
                        params.push(query(&format!("filter[{f}]"), text(), "A filter."));
                    }
                }
                if !list.includes.is_empty() {
                    params.push(query(
                        "include",
                        text(),
                        &format!(
                            "Comma-separated relationships to include: {}.",
                            list.includes.join(", ")
                        ),
                    ));
                }
            }
            let mut b = OperationBuilder::new()
                .operation_id(Some(r.id))
                .summary(Some(r.summary))
                .tag("cachet3")
                .parameters(Some(params));
            if matches!(r.verb, Verb::Post | Verb::Put | Verb::Patch) {
                let body = ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some("Cachet 3's fields, as the module docs list them."));
                b = b.request_body(Some(
                    RequestBodyBuilder::new()
                        .content("application/json", json_content(body.into()))
                        .build(),
                ));
            }
            b = answers(
                b,
                r.status,
                &r.ok,
                // Documents are JSON:API; `ping`, `version` and `status` plain JSON.
                &["application/vnd.api+json", "application/json"],
                "C3Error",
                named,
            );
            let mut securities = vec![
                SecurityRequirement::new("BearerToken", Vec::<String>::new()),
                SecurityRequirement::new("CachetToken", Vec::<String>::new()),
            ];
            if r.auth == Auth::Public {
                securities.push(SecurityRequirement::default());
            }
            b = b.securities(Some(securities));
            (http_method(r.verb), b.build())
        },
    )
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
            "StatuspageOAuth",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`OAuth <token>`: Statuspage's scheme, with one of this site's API tokens.",
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
    let mut named: Named = Vec::new();
    let paths = v1_paths(PathsBuilder::new(), &mut named);
    let paths = statuspage_paths(paths, &mut named);
    let paths = statuspage_manage_paths(paths, &mut named);
    let paths = cachet3_paths(paths, &mut named);
    named.push((ApiError::name().into_owned(), ApiError::schema()));
    ApiError::schemas(&mut named);
    components = components.schemas_from_iter(named);
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
        (
            "statuspage-manage",
            "Atlassian Statuspage's management API (/v1/pages/{page_id}/...), by token",
        ),
        (
            "cachet3",
            "Cachet 3.x's API (/api/...): JSON:API documents, public reads, writes by token",
        ),
    ]
    .map(|(n, d)| TagBuilder::new().name(n).description(Some(d)).build());
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("cachet-rs API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Cachet API v1 (compatible with Cachet 2.4), Cachet 3.x's API, the \
                     Atlassian Statuspage v2 public JSON and Statuspage's management API. \
                     API v1 errors use Cachet's `{\"errors\": [...]}` envelope; Cachet 3's \
                     API answers Laravel's `{\"message\", \"errors\"}`; the Statuspage \
                     management API answers `{\"error\", \"message\"}`.",
                ))
                .build(),
        )
        .paths(paths.build())
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
