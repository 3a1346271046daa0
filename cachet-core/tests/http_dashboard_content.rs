//! The dashboard's content sections through `Cachet::handle`, signed in with real sessions
//! from the facade's login: every form creates, changes and deletes what the store then
//! holds; bad input shows the form again and stores nothing; a missing or wrong CSRF token and
//! a viewer's write are refused and change nothing; hostile text is escaped everywhere; the
//! Markdown preview sanitizes; GET changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};
use scraper::{Html, Selector};

use cachet_core::model::*;
use cachet_core::store::*;
use cachet_core::validate::{Email, Locale, Markdown, MetricValue};
use cachet_core::web::RequestContext;
use cachet_core::{Actor, Cachet};

const ORIGIN: &str = "https://status.example.com";

/// A signed-in browser: the session cookie and the CSRF token of its forms.
struct Browser {
    cachet: Cachet,
    cookie: String,
    token: String,
    actor: Actor,
}

async fn browser(h: &Harness, email: &str, role: Role) -> Browser {
    h.user(email, role).await;
    let ticket = h.session(email).await;
    let actor = h.actor(&ticket.secret).await;
    let token = h.cachet.csrf_token(&actor).unwrap();
    Browser {
        cachet: h.cachet.clone(),
        cookie: format!("__Host-cachet_session={}", ticket.secret),
        token,
        actor,
    }
}

fn cx() -> RequestContext {
    RequestContext {
        peer: Some("192.0.2.1:1".parse().unwrap()),
        principal: None,
    }
}

fn form_body(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

impl Browser {
    async fn get(&self, path: &str) -> Response<Bytes> {
        let req = Request::builder()
            .uri(path)
            .header("cookie", &self.cookie)
            .body(Bytes::new())
            .unwrap();
        self.cachet.handle(req, cx()).await
    }

    async fn page(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        body(&r)
    }

    /// A POST with the session's token and the public origin, as the forms send it.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response<Bytes> {
        let mut all = vec![("_token", self.token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &form_body(&all)).await
    }

    async fn post_raw(&self, path: &str, body: &str) -> Response<Bytes> {
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header("cookie", &self.cookie)
            .header("origin", ORIGIN)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(body.to_owned()))
            .unwrap();
        self.cachet.handle(req, cx()).await
    }
}

fn body(r: &Response<Bytes>) -> String {
    String::from_utf8(r.body().to_vec()).unwrap()
}

fn location(r: &Response<Bytes>) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A redirect-after-POST to `path` with a message.
fn assert_done(r: &Response<Bytes>, path: &str) {
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r));
    let loc = location(r);
    assert!(
        loc.starts_with(&format!("/dashboard{path}?done=")),
        "{loc} should go to {path}"
    );
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// No executable markup anywhere: no script, style or embedding element, no event handler
/// or style attribute, no link, image, form or button target outside http(s), mailto or a
/// same-site path.
fn assert_inert(html: &str, what: &str) {
    let doc = Html::parse_document(html);
    for el in doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        let name = el.value().name();
        assert!(
            !matches!(
                name,
                "script"
                    | "iframe"
                    | "object"
                    | "embed"
                    | "base"
                    | "style"
                    | "svg"
                    | "math"
                    | "template"
                    | "frame"
                    | "img"
            ),
            "{what}: <{name}>"
        );
        for (attr, value) in el.value().attrs() {
            let attr = attr.to_ascii_lowercase();
            assert!(!attr.starts_with("on"), "{what}: <{name} {attr}>");
            assert!(
                !matches!(attr.as_str(), "style" | "srcdoc"),
                "{what}: <{name} {attr}>"
            );
            if matches!(
                attr.as_str(),
                "href" | "src" | "action" | "formaction" | "xlink:href" | "data" | "poster"
            ) {
                let v: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let ok = v.starts_with("https://")
                    || v.starts_with("http://")
                    || v.starts_with("mailto:")
                    || v.starts_with('#')
                    || (v.starts_with('/') && !v.starts_with("//"))
                    || !v.contains(':');
                assert!(ok, "{what}: <{name} {attr}={value:?}>");
            }
        }
    }
}

/// The visible text of a page.
fn text(html: &str) -> String {
    Html::parse_document(html).root_element().text().collect()
}

/// Every field error shown on a page.
fn field_errors(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&sel(".field-error, .form-error"))
        .map(|e| e.text().collect())
        .collect()
}

/// The answer is a 422 whose form names each of `fields` (`name:`) among its errors.
fn assert_refused_naming(r: &Response<Bytes>, fields: &[&str]) {
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e = field_errors(&body(r)).join(" ");
    for f in fields {
        assert!(e.contains(f), "{f} in {e}");
    }
}

async fn components(h: &Harness) -> Vec<Component> {
    let mut v = h
        .store
        .components(&ComponentQuery::all())
        .await
        .unwrap()
        .items;
    v.sort_by_key(|c| c.id);
    v
}

async fn groups(h: &Harness) -> Vec<ComponentGroup> {
    h.store.groups(&GroupQuery::all()).await.unwrap().items
}

async fn incidents(h: &Harness) -> Vec<Incident> {
    h.store
        .incidents(&IncidentQuery::all())
        .await
        .unwrap()
        .items
}

/// Everything the content sections can change, to compare before and after.
async fn snapshot(h: &Harness) -> String {
    let mut out = String::new();
    out.push_str(&format!("{:?}", components(h).await));
    out.push_str(&format!("{:?}", groups(h).await));
    for i in incidents(h).await {
        let updates = h
            .store
            .incident_updates(i.id, PageRequest::all())
            .await
            .unwrap()
            .items;
        out.push_str(&format!("{i:?}{updates:?}"));
    }
    out.push_str(&format!(
        "{:?}",
        h.store
            .templates(&TemplateQuery::all())
            .await
            .unwrap()
            .items
    ));
    for s in h
        .store
        .schedules(&ScheduleQuery::all())
        .await
        .unwrap()
        .items
    {
        let updates = h.store.schedule_updates(s.id).await.unwrap();
        out.push_str(&format!("{s:?}{updates:?}"));
    }
    for m in h.store.metrics(&MetricQuery::all()).await.unwrap().items {
        let points = h
            .store
            .metric_points(m.id, &MetricPointQuery::all())
            .await
            .unwrap()
            .items;
        out.push_str(&format!("{m:?}{points:?}"));
    }
    for s in h
        .store
        .subscribers(&SubscriberQuery::all())
        .await
        .unwrap()
        .items
    {
        let subs = h.store.subscriptions_of(s.id).await.unwrap();
        out.push_str(&format!("{s:?}{subs:?}"));
    }
    out
}

fn id_from(loc: &str, section: &str) -> i64 {
    let rest = loc
        .strip_prefix(&format!("/dashboard/{section}/"))
        .unwrap_or_else(|| panic!("{loc} is not a {section} page"));
    rest.split(['?', '/']).next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn components_and_groups_are_created_edited_ordered_and_deleted_through_forms() {
    let h = Harness::new().await;
    let b = browser(&h, "ops@example.com", Role::Manager).await;

    // a group, then a component in it with every field
    let r = b
        .post(
            "/dashboard/groups",
            &[
                ("name", "Core"),
                ("order", "2"),
                ("collapsed", "1"),
                ("visible", "0"),
            ],
        )
        .await;
    assert_done(&r, "/groups");
    let g = groups(&h).await.pop().unwrap();
    assert_eq!(g.name.as_str(), "Core");
    assert_eq!(g.order.get(), 2);
    assert_eq!(g.collapsed, Collapsed::Collapsed);
    assert_eq!(g.visible, GroupVisibility::Authenticated);
    let gid = g.id.get().to_string();

    let r = b
        .post(
            "/dashboard/components",
            &[
                ("name", "API"),
                ("description", "The public API"),
                ("link", "https://api.example.com/"),
                ("status", "2"),
                ("order", "5"),
                ("group_id", &gid),
                ("enabled", "0"),
                ("enabled", "1"),
                ("tags", "Core, Edge"),
                ("meta", r#"{"team":"core"}"#),
            ],
        )
        .await;
    assert_done(&r, "/components");
    let c = components(&h).await.pop().unwrap();
    assert_eq!(c.name.as_str(), "API");
    assert_eq!(c.description.as_str(), "The public API");
    assert_eq!(
        c.link.as_ref().unwrap().as_str(),
        "https://api.example.com/"
    );
    assert_eq!(c.status, ComponentStatus::PerformanceIssues);
    assert_eq!(c.order.get(), 5);
    assert_eq!(c.group_id, Some(g.id));
    assert!(c.enabled);
    let tags: Vec<&str> = c.tags.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(tags, ["core", "edge"]);
    assert_eq!(c.meta.to_json(), r#"{"team":"core"}"#);
    let path = format!("/dashboard/components/{}", c.id.get());

    // the edit form shows the stored values; saving changes every field
    let page = b.page(&path).await;
    assert!(page.contains("value=\"API\""), "{page}");
    assert!(page.contains("https://api.example.com/"));
    let r = b
        .post(
            &path,
            &[
                ("name", "Public API"),
                ("description", ""),
                ("link", ""),
                ("status", "4"),
                ("order", "1"),
                ("group_id", ""),
                ("enabled", "0"),
                ("tags", ""),
                ("meta", ""),
            ],
        )
        .await;
    assert_done(&r, "/components");
    let c = components(&h).await.pop().unwrap();
    assert_eq!(c.name.as_str(), "Public API");
    assert!(c.link.is_none() && c.group_id.is_none() && !c.enabled);
    assert!(c.tags.is_empty() && c.meta.is_empty());
    assert_eq!(c.status, ComponentStatus::MajorOutage);

    // the quick status change from the list
    let list = b.page("/dashboard/components").await;
    assert!(list.contains(&format!("{path}/status")));
    let r = b.post(&format!("{path}/status"), &[("status", "1")]).await;
    assert_done(&r, "/components");
    assert_eq!(components(&h).await[0].status, ComponentStatus::Operational);

    // ordering: a second ungrouped component moved up takes the first place
    b.post(
        "/dashboard/components",
        &[("name", "Web"), ("status", "1"), ("order", "3")],
    )
    .await;
    let all = components(&h).await;
    // The list is one table: a section per group (the group, then "Not in a group"), so the
    // columns line up down the whole list.
    let list = Html::parse_document(&b.page("/dashboard/components").await);
    let tables: Vec<_> = list.select(&sel("main table")).collect();
    assert_eq!(tables.len(), 1, "one table of components");
    let sections: Vec<String> = tables[0]
        .select(&sel("tbody > tr.section-row > th[scope=rowgroup]"))
        .map(|th| th.text().collect::<String>())
        .collect();
    assert_eq!(sections.last().map(String::as_str), Some("Not in a group"));
    assert_eq!(tables[0].select(&sel("thead th")).count(), 5);
    let names: Vec<String> = tables[0]
        .select(&sel("tbody td:first-child a"))
        .map(|a| a.text().collect::<String>())
        .collect();
    assert!(names.contains(&"Public API".to_owned()) && names.contains(&"Web".to_owned()));
    let web = all.iter().find(|c| c.name.as_str() == "Web").unwrap();
    let r = b
        .post(
            &format!("/dashboard/components/{}/move", web.id.get()),
            &[("direction", "up")],
        )
        .await;
    assert_done(&r, "/components");
    let all = components(&h).await;
    let order_of = |n: &str| all.iter().find(|c| c.name.as_str() == n).unwrap().order;
    assert!(order_of("Web") < order_of("Public API"));
    let r = b
        .post(
            &format!("/dashboard/components/{}/move", web.id.get()),
            &[("direction", "sideways")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // delete asks first, then deletes
    let confirm = b.page(&format!("{path}/delete")).await;
    assert!(text(&confirm).contains("Public API"));
    assert!(confirm.contains(&format!("action=\"{path}/delete\"")));
    assert_eq!(
        components(&h).await.len(),
        2,
        "the question deletes nothing"
    );
    let r = b.post(&format!("{path}/delete"), &[]).await;
    assert_done(&r, "/components");
    assert_eq!(components(&h).await.len(), 1);

    // groups: edit and delete
    let gpath = format!("/dashboard/groups/{gid}");
    let r = b
        .post(
            &gpath,
            &[
                ("name", "Platform"),
                ("order", "1"),
                ("collapsed", "0"),
                ("visible", "1"),
            ],
        )
        .await;
    assert_done(&r, "/groups");
    let g = groups(&h).await.pop().unwrap();
    assert_eq!(g.name.as_str(), "Platform");
    assert_eq!(g.visible, GroupVisibility::Public);
    assert!(b.page("/dashboard/groups").await.contains("Platform"));
    let r = b.post(&format!("{gpath}/delete"), &[]).await;
    assert_done(&r, "/groups");
    assert!(groups(&h).await.is_empty());

    // unknown ids and paths are 404, never 500
    for p in [
        "/dashboard/components/999",
        "/dashboard/components/abc",
        "/dashboard/components/1/nope",
        "/dashboard/groups/0",
    ] {
        assert_eq!(b.get(p).await.status(), StatusCode::NOT_FOUND, "{p}");
    }
    // a state change by GET does not exist
    assert_eq!(
        b.get(&format!("{path}/status")).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn invalid_input_shows_the_form_again_with_field_messages_and_stores_nothing() {
    let h = Harness::new().await;
    let b = browser(&h, "ops@example.com", Role::Manager).await;
    let r = b
        .post(
            "/dashboard/components",
            &[
                ("name", ""),
                ("link", "javascript:alert(1)"),
                ("status", "9"),
                ("order", "x"),
                ("meta", "[1,2]"),
                ("description", "kept as typed"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(&r);
    let errors = field_errors(&page).join("\n");
    for field in ["name:", "link:", "status:", "order:", "meta:"] {
        assert!(errors.contains(field), "{field} missing in {errors}");
    }
    assert!(
        page.contains("kept as typed"),
        "the form keeps what was typed"
    );
    assert_inert(&page, "component form with errors");
    assert!(components(&h).await.is_empty());

    let r = b
        .post("/dashboard/groups", &[("name", "G"), ("collapsed", "7")])
        .await;
    assert_refused_naming(&r, &["collapsed:"]);
    assert!(groups(&h).await.is_empty());

    let r = b
        .post(
            "/dashboard/incidents",
            &[
                ("name", "Outage"),
                ("status", "1"),
                ("message", "x"),
                ("occurred_at", "yesterday"),
            ],
        )
        .await;
    assert_refused_naming(&r, &["occurred_at:"]);
    assert!(incidents(&h).await.is_empty());

    let r = b
        .post(
            "/dashboard/schedules",
            &[
                ("name", "Window"),
                ("status", "0"),
                ("scheduled_at", "2026-02-01T10:00"),
                ("completed_at", "2026-01-01T10:00"),
            ],
        )
        .await;
    assert_refused_naming(&r, &["completed_at:"]);

    let r = b
        .post(
            "/dashboard/metrics",
            &[
                ("name", "Latency"),
                ("default_value", "1.2.3"),
                ("calc_type", "0"),
                ("places", "99"),
                ("default_view", "1"),
                ("threshold", "7"),
                ("visible", "1"),
            ],
        )
        .await;
    assert_refused_naming(&r, &["default_value:", "places:", "threshold:"]);
    let r = b
        .post("/dashboard/subscribers", &[("email", "not an address")])
        .await;
    assert_refused_naming(&r, &["email:"]);
    assert_eq!(snapshot(&h).await, snapshot(&Harness::new().await).await);

    // a uniqueness conflict (a template slug taken) is a 409 with the form again
    let ok = b
        .post(
            "/dashboard/templates",
            &[("name", "Down"), ("slug", "down"), ("template", "x")],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let again = b
        .post(
            "/dashboard/templates",
            &[("name", "Down 2"), ("slug", "down"), ("template", "y")],
        )
        .await;
    assert!(
        matches!(
            again.status(),
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{}",
        again.status()
    );
    assert!(!field_errors(&body(&again)).is_empty());
}

#[tokio::test]
async fn missing_or_wrong_csrf_tokens_and_foreign_origins_change_nothing() {
    let h = Harness::new().await;
    let b = browser(&h, "ops@example.com", Role::Admin).await;
    b.post("/dashboard/components", &[("name", "API"), ("status", "1")])
        .await;
    let before = snapshot(&h).await;
    let id = components(&h).await[0].id.get();
    let attempts = [
        (
            "/dashboard/components".to_owned(),
            "name=X&status=1".to_owned(),
        ),
        (format!("/dashboard/components/{id}/delete"), String::new()),
        (
            format!("/dashboard/components/{id}/status"),
            "status=4".to_owned(),
        ),
        (
            "/dashboard/incidents".to_owned(),
            "name=X&status=1".to_owned(),
        ),
        (
            "/dashboard/subscribers".to_owned(),
            "email=a%40b.example".to_owned(),
        ),
    ];
    for (path, fields) in &attempts {
        let missing = b.post_raw(path, fields).await;
        assert_eq!(missing.status(), StatusCode::FORBIDDEN, "no token: {path}");
        let wrong = b
            .post_raw(path, &format!("_token=AAAA{}&{fields}", &b.token[4..]))
            .await;
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN, "wrong token: {path}");
        let mut foreign = Request::builder()
            .method("POST")
            .uri(path.as_str())
            .header("cookie", &b.cookie)
            .header("origin", "https://evil.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(format!("_token={}&{fields}", b.token)))
            .unwrap();
        foreign
            .headers_mut()
            .insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert_eq!(
            b.cachet.handle(foreign, cx()).await.status(),
            StatusCode::FORBIDDEN,
            "cross-site: {path}"
        );
    }
    assert_eq!(snapshot(&h).await, before);
}

#[tokio::test]
async fn a_viewer_reads_but_every_write_is_refused_by_the_facade() {
    let h = Harness::new().await;
    let admin = browser(&h, "admin@example.com", Role::Admin).await;
    let viewer = browser(&h, "viewer@example.com", Role::Viewer).await;
    admin
        .post("/dashboard/components", &[("name", "API"), ("status", "1")])
        .await;
    admin
        .post("/dashboard/groups", &[("name", "G"), ("visible", "1")])
        .await;
    admin
        .post(
            "/dashboard/incidents",
            &[("name", "Down"), ("status", "1"), ("message", "m")],
        )
        .await;
    admin
        .post(
            "/dashboard/metrics",
            &[
                ("name", "Latency"),
                ("calc_type", "0"),
                ("places", "2"),
                ("default_view", "1"),
                ("threshold", "5"),
                ("visible", "1"),
            ],
        )
        .await;
    admin
        .post(
            "/dashboard/schedules",
            &[
                ("name", "Window"),
                ("status", "0"),
                ("scheduled_at", "2026-02-01T10:00"),
            ],
        )
        .await;
    let cid = components(&h).await[0].id.get();
    let iid = incidents(&h).await[0].id.get();
    let before = snapshot(&h).await;
    let denied_before = h.audit_count(AuditAction::AccessDenied).await;

    // reads work, and the pages offer no write
    for p in [
        "/dashboard/components",
        "/dashboard/groups",
        "/dashboard/incidents",
        "/dashboard/templates",
        "/dashboard/schedules",
        "/dashboard/metrics",
    ] {
        let page = viewer.page(p).await;
        assert!(
            !page.contains("/delete\""),
            "{p} offers a delete to a viewer"
        );
    }
    // an edit page shows the values, disabled, without a button
    let page = viewer.page(&format!("/dashboard/components/{cid}")).await;
    assert!(page.contains("value=\"API\""));
    assert!(page.contains("<fieldset class=\"read-only\" disabled>"));
    assert!(!page.contains(">Save</button>"));
    let own = admin.page(&format!("/dashboard/components/{cid}")).await;
    assert!(own.contains(">Save</button>") && !own.contains("read-only"));
    let writes: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/dashboard/components".into(),
            vec![("name", "X"), ("status", "1")],
        ),
        (
            format!("/dashboard/components/{cid}"),
            vec![("name", "X"), ("status", "1")],
        ),
        (
            format!("/dashboard/components/{cid}/status"),
            vec![("status", "4")],
        ),
        (
            format!("/dashboard/components/{cid}/move"),
            vec![("direction", "up")],
        ),
        (format!("/dashboard/components/{cid}/delete"), vec![]),
        ("/dashboard/groups".into(), vec![("name", "X")]),
        (
            "/dashboard/incidents".into(),
            vec![("name", "X"), ("status", "1")],
        ),
        (
            format!("/dashboard/incidents/{iid}"),
            vec![("name", "X"), ("status", "1")],
        ),
        (
            format!("/dashboard/incidents/{iid}/updates"),
            vec![("status", "2"), ("message", "m")],
        ),
        (format!("/dashboard/incidents/{iid}/delete"), vec![]),
        (
            "/dashboard/templates".into(),
            vec![("name", "T"), ("template", "t")],
        ),
        (
            "/dashboard/schedules".into(),
            vec![
                ("name", "S"),
                ("status", "0"),
                ("scheduled_at", "2026-02-01T10:00"),
            ],
        ),
        ("/dashboard/metrics".into(), vec![("name", "M")]),
        ("/dashboard/metrics/1/points".into(), vec![("value", "3")]),
        (
            "/dashboard/subscribers".into(),
            vec![("email", "a@b.example")],
        ),
        // invalid input too: refused for the role, never shown back as a form
        ("/dashboard/components".into(), vec![("name", "")]),
    ];
    for (path, fields) in &writes {
        let r = viewer.post(path, fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "viewer POST {path}");
    }
    for p in ["/dashboard/subscribers", "/dashboard/deliveries"] {
        assert_eq!(viewer.get(p).await.status(), StatusCode::FORBIDDEN, "{p}");
    }
    assert_eq!(snapshot(&h).await, before);
    assert!(
        h.audit_count(AuditAction::AccessDenied).await > denied_before,
        "refusals are audited by the facade"
    );
}

#[tokio::test]
async fn the_incident_form_speaks_the_public_vocabulary_and_lists_components_in_one_sorted_table() {
    let h = Harness::new().await;
    let b = browser(&h, "ops@example.com", Role::Manager).await;
    for (name, enabled) in [
        ("zeta", "1"),
        ("Alpha", "1"),
        ("Retired", "0"),
        ("beta", "1"),
    ] {
        b.post(
            "/dashboard/components",
            &[("name", name), ("status", "1"), ("enabled", enabled)],
        )
        .await;
    }
    let ids: std::collections::HashMap<String, String> = components(&h)
        .await
        .into_iter()
        .map(|c| (c.name.as_str().to_owned(), c.id.get().to_string()))
        .collect();
    assert_eq!(ids.len(), 4);

    let page = b.page("/dashboard/incidents/new").await;
    let doc = Html::parse_document(&page);
    // One table of components, sorted by name whatever the case, the disabled one left out.
    let tables: Vec<_> = doc.select(&sel("form table.select-table")).collect();
    assert_eq!(tables.len(), 1, "{page}");
    let rows: Vec<String> = tables[0]
        .select(&sel("tbody th label"))
        .map(|l| l.text().collect::<String>())
        .collect();
    assert_eq!(rows, ["Alpha", "beta", "zeta"]);
    // Each row's select is labelled by its component and submits as before.
    for name in ["Alpha", "beta", "zeta"] {
        let field = format!("affected_{}", ids[name]);
        let select = doc
            .select(&sel(&format!("select[name={field}]")))
            .next()
            .unwrap_or_else(|| panic!("{field}"));
        let id = select.value().attr("id").unwrap();
        assert!(
            doc.select(&sel(&format!("label[for={id}]")))
                .next()
                .is_some()
        );
    }
    // The statuses as the public page names them.
    let options: Vec<String> = doc
        .select(&sel("select[name=status] option"))
        .map(|o| o.text().collect::<String>())
        .collect();
    assert!(options.contains(&"Monitoring".to_owned()), "{options:?}");
    assert!(options.contains(&"Resolved".to_owned()), "{options:?}");
    assert!(
        !page.contains(">Watching<") && !page.contains(">Fixed<"),
        "{page}"
    );

    // An incident attached to the disabled component keeps it on its edit form.
    let retired = format!("affected_{}", ids["Retired"]);
    let r = b
        .post(
            "/dashboard/incidents",
            &[
                ("name", "Old"),
                ("status", "3"),
                ("message", "Watching it."),
                ("visible", "1"),
                (&retired, "3"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let iid = incidents(&h).await.pop().unwrap().id.get();
    let page = b.page(&format!("/dashboard/incidents/{iid}")).await;
    let doc = Html::parse_document(&page);
    let rows: Vec<String> = doc
        .select(&sel("table.select-table tbody th label"))
        .map(|l| l.text().collect::<String>())
        .collect();
    assert_eq!(rows, ["Alpha", "beta", "Retired", "zeta"]);
    assert!(
        doc.select(&sel(&format!("select[name={retired}]")))
            .next()
            .is_some()
    );
    // The list of incidents names the status publicly too.
    let list = b.page("/dashboard/incidents").await;
    assert!(list.contains(">Monitoring<"), "{list}");
}

#[tokio::test]
async fn incidents_with_components_templates_updates_filters_and_preview() {
    let h = Harness::new().await;
    let b = browser(&h, "ops@example.com", Role::Manager).await;
    b.post("/dashboard/components", &[("name", "API"), ("status", "1")])
        .await;
    let cid = components(&h).await[0].id.get().to_string();
    let affected = format!("affected_{cid}");

    let r = b
        .post(
            "/dashboard/incidents",
            &[
                ("name", "API down"),
                ("status", "1"),
                ("message", "We are *looking*."),
                ("visible", "0"),
                ("visible", "1"),
                ("stickied", "0"),
                ("stickied", "1"),
                ("notify", "0"),
                ("occurred_at", "2026-01-02T03:04"),
                (&affected, "4"),
                ("apply_status", "1"),
                ("meta", r#"{"ticket":7}"#),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let loc = location(&r);
    let iid = id_from(&loc, "incidents");
    let i = incidents(&h).await.pop().unwrap();
    assert_eq!(i.name.as_str(), "API down");
    assert_eq!(i.message.as_str(), "We are *looking*.");
    assert!(i.visible && i.stickied && !i.notify);
    assert_eq!(i.occurred_at.to_rfc3339(), "2026-01-02T03:04:00+00:00");
    assert_eq!(i.components.len(), 1);
    assert_eq!(i.components[0].status, ComponentStatus::MajorOutage);
    assert_eq!(i.meta.to_json(), r#"{"ticket":7}"#);
    assert_eq!(
        components(&h).await[0].status,
        ComponentStatus::MajorOutage,
        "applied to the component"
    );

    // edit: hidden, fixed, no component
    let path = format!("/dashboard/incidents/{iid}");
    let page = b.page(&path).await;
    assert!(page.contains("2026-01-02T03:04"), "times in the site zone");
    let r = b
        .post(
            &path,
            &[
                ("name", "API was down"),
                ("status", "4"),
                ("message", "Fixed."),
                ("visible", "0"),
                ("stickied", "0"),
                ("notify", "0"),
                ("occurred_at", "2026-01-02T03:04"),
                (&affected, ""),
                ("meta", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let i = incidents(&h).await.pop().unwrap();
    assert_eq!(i.status, IncidentStatus::Fixed);
    assert!(!i.visible && !i.stickied && i.components.is_empty());

    // the update timeline: add, edit, delete
    let r = b
        .post(
            &format!("{path}/updates"),
            &[
                ("status", "3"),
                ("message", "Watching closely."),
                ("component_id", &cid),
                ("component_status", "2"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let updates = h
        .store
        .incident_updates(i.id, PageRequest::all())
        .await
        .unwrap()
        .items;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].status, IncidentStatus::Watching);
    let upath = format!("{path}/updates/{}", updates[0].id.get());
    assert!(b.page(&path).await.contains(&upath));
    let r = b
        .post(&upath, &[("status", "4"), ("message", "All good.")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let u = h.store.incident_update(i.id, updates[0].id).await.unwrap();
    assert_eq!(u.message.as_str(), "All good.");
    let r = b.post(&upath, &[("status", "4"), ("message", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b.page(&format!("{upath}/delete")).await.contains("Delete"));
    let r = b.post(&format!("{upath}/delete"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        h.store
            .incident_updates(i.id, PageRequest::all())
            .await
            .unwrap()
            .total,
        0
    );

    // from a template with variables (values escaped, nothing evaluated)
    b.post(
        "/dashboard/templates",
        &[
            ("name", "Outage"),
            ("slug", ""),
            (
                "template",
                "{{ service }} is down since {{ since }} ({{ incident.name }})",
            ),
        ],
    )
    .await;
    let t = h
        .store
        .templates(&TemplateQuery::all())
        .await
        .unwrap()
        .items
        .pop()
        .unwrap();
    assert_eq!(t.slug.as_str(), "outage");
    let r = b
        .post(
            "/dashboard/incidents",
            &[
                ("name", "Mail"),
                ("status", "2"),
                ("message", ""),
                ("template", &t.id.get().to_string()),
                ("vars", "service = Mail\nsince=*noon*"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let made = incidents(&h)
        .await
        .into_iter()
        .find(|i| i.name.as_str() == "Mail")
        .unwrap();
    assert!(
        made.message
            .as_str()
            .starts_with("Mail is down since \\*noon\\*"),
        "{}",
        made.message.as_str()
    );
    assert!(made.message.as_str().contains("(Mail)"));

    // list filters and paging
    let all = b.page("/dashboard/incidents").await;
    assert!(all.contains("API was down") && all.contains("Mail"));
    // (updates move the incident's status, so "Mail" is the only one still identified)
    let identified = b.page("/dashboard/incidents?status=2").await;
    assert!(
        identified.contains(">Mail<") && !identified.contains("API was down"),
        "{identified}"
    );
    let hidden = b.page("/dashboard/incidents?visible=0").await;
    assert!(hidden.contains("API was down") && !hidden.contains(">Mail<"));
    for n in 0..21 {
        h.cachet
            .create_incident(
                &b.actor,
                &NewIncident::new(
                    name(&format!("Filler {n}")),
                    IncidentStatus::Fixed,
                    Markdown::empty(),
                    h.clock_now(),
                ),
            )
            .await
            .unwrap();
    }
    let first = b.page("/dashboard/incidents").await;
    assert!(first.contains("/dashboard/incidents?page=2"), "a next page");
    let second = b.page("/dashboard/incidents?page=2").await;
    assert!(second.contains("Page 2 of 2"));

    // delete after the question
    let r = b.post(&format!("{path}/delete"), &[]).await;
    assert_done(&r, "/incidents");
    assert!(h.store.incident(i.id).await.is_err());
}

#[tokio::test]
async fn the_markdown_preview_sanitizes_and_stores_nothing() {
    let h = Harness::new().await;
    let b = browser(&h, "ops@example.com", Role::Manager).await;
    let hostile = "# Title\n\n<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n\
                   [click](javascript:alert(1)) **bold** [ok](https://example.com)";
    let r = b
        .post(
            "/dashboard/incidents/preview",
            &[("name", "N"), ("status", "1"), ("message", hostile)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = body(&r);
    assert_inert(&page, "preview");
    let doc = Html::parse_document(&page);
    let preview: Vec<_> = doc.select(&sel(".markdown")).collect();
    assert_eq!(preview.len(), 1, "one rendered preview");
    let html = preview[0].inner_html();
    assert!(html.contains("<strong>bold</strong>"), "{html}");
    assert!(html.contains("href=\"https://example.com\""), "{html}");
    assert!(
        html.contains("&lt;script&gt;"),
        "raw HTML shown as text: {html}"
    );
    // the form keeps the source, escaped, for the next edit
    let textarea: String = doc
        .select(&sel("textarea[name=message]"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert_eq!(textarea, hostile.replace("\r\n", "\n"));
    assert!(incidents(&h).await.is_empty(), "a preview stores nothing");
    // an existing incident's preview changes nothing either
    b.post(
        "/dashboard/incidents",
        &[("name", "N"), ("status", "1"), ("message", "old")],
    )
    .await;
    let id = incidents(&h).await[0].id.get();
    let before = snapshot(&h).await;
    let r = b
        .post(
            &format!("/dashboard/incidents/{id}/preview"),
            &[("name", "N"), ("status", "1"), ("message", "new")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(snapshot(&h).await, before);
}

#[tokio::test]
async fn templates_show_the_checkers_warnings() {
    let h = Harness::new().await;
    let b = browser(&h, "ops@example.com", Role::Manager).await;
    let r = b
        .post(
            "/dashboard/templates",
            &[
                ("name", "Twig"),
                ("slug", "twig"),
                ("template", "{{ name }} {% if x %}{{ 7*7 }}{% endif %}"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = location(&r);
    let page = b.page(loc.split('?').next().unwrap()).await;
    let warnings: Vec<String> = Html::parse_document(&page)
        .select(&sel(".warning"))
        .map(|e| e.text().collect())
        .collect();
    assert!(!warnings.is_empty(), "{page}");
    assert!(
        warnings.iter().any(|w| w.contains("{% if x %}")),
        "{warnings:?}"
    );
    assert!(text(&page).contains("Variables used: name"));
    let list = b.page("/dashboard/templates").await;
    assert!(text(&list).contains("warnings"));
    let id = id_from(&loc, "templates");
    let r = b
        .post(
            &format!("/dashboard/templates/{id}"),
            &[
                ("name", "Plain"),
                ("slug", "plain"),
                ("template", "All fine."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let t = h.store.template(TemplateId(id)).await.unwrap();
    assert_eq!((t.name.as_str(), t.slug.as_str()), ("Plain", "plain"));
    let r = b
        .post(&format!("/dashboard/templates/{id}/delete"), &[])
        .await;
    assert_done(&r, "/templates");
    assert!(h.store.template(TemplateId(id)).await.is_err());
}

#[tokio::test]
async fn maintenance_schedules_with_components_and_updates() {
    let h = Harness::new().await;
    let b = browser(&h, "ops@example.com", Role::Manager).await;
    h.cachet
        .put_settings(
            &Actor::operator(),
            &[(SettingKey::AppTimezone, "Europe/Berlin".to_owned())],
        )
        .await
        .unwrap();
    b.post("/dashboard/components", &[("name", "DB"), ("status", "1")])
        .await;
    let cid = components(&h).await[0].id.get().to_string();
    let r = b
        .post(
            "/dashboard/schedules",
            &[
                ("name", "DB upgrade"),
                ("message", "Short *downtime*."),
                ("status", "0"),
                ("scheduled_at", "2026-03-01T22:00"),
                ("completed_at", ""),
                ("components", &cid),
                ("notify", "0"),
                ("notify", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let id = id_from(&location(&r), "schedules");
    let s = h.store.schedule(ScheduleId(id)).await.unwrap();
    assert_eq!(
        s.scheduled_at.to_rfc3339(),
        "2026-03-01T21:00:00+00:00",
        "Berlin time"
    );
    assert_eq!(s.components, vec![ComponentId(cid.parse().unwrap())]);
    assert!(s.notify && s.completed_at.is_none());
    let path = format!("/dashboard/schedules/{id}");
    assert!(b.page(&path).await.contains("2026-03-01T22:00"));
    let r = b
        .post(
            &path,
            &[
                ("name", "DB upgrade"),
                ("message", "Done."),
                ("status", "2"),
                ("scheduled_at", "2026-03-01T22:00"),
                ("completed_at", "2026-03-01T23:30"),
                ("notify", "0"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let s = h.store.schedule(ScheduleId(id)).await.unwrap();
    assert_eq!(s.status, ScheduleStatus::Complete);
    assert!(s.components.is_empty() && !s.notify);
    assert_eq!(
        s.completed_at.unwrap().to_rfc3339(),
        "2026-03-01T22:30:00+00:00"
    );

    let r = b
        .post(&format!("{path}/updates"), &[("message", "Started.")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let updates = h.store.schedule_updates(ScheduleId(id)).await.unwrap();
    assert_eq!(updates.len(), 1);
    let r = b.post(&format!("{path}/updates"), &[("message", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let dpath = format!("{path}/updates/{}/delete", updates[0].id.get());
    assert!(b.page(&path).await.contains(&dpath));
    let r = b.post(&dpath, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        h.store
            .schedule_updates(ScheduleId(id))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(b.page("/dashboard/schedules").await.contains("DB upgrade"));
    let r = b.post(&format!("{path}/delete"), &[]).await;
    assert_done(&r, "/schedules");
    assert!(h.store.schedule(ScheduleId(id)).await.is_err());
}

#[tokio::test]
async fn metrics_with_every_field_and_their_points() {
    let h = Harness::new().await;
    let b = browser(&h, "ops@example.com", Role::Manager).await;
    let fields = [
        ("name", "Latency"),
        ("suffix", "ms"),
        ("description", "Median *latency*"),
        ("default_value", "1.5"),
        ("calc_type", "1"),
        ("display_chart", "0"),
        ("places", "3"),
        ("default_view", "2"),
        ("threshold", "10"),
        ("order", "4"),
        ("visible", "0"),
    ];
    let r = b.post("/dashboard/metrics", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let id = id_from(&location(&r), "metrics");
    let m = h.store.metric(MetricId(id)).await.unwrap();
    assert_eq!(m.suffix.as_str(), "ms");
    assert_eq!(m.description.as_str(), "Median *latency*");
    assert_eq!(m.default_value, MetricValue::parse("1.5").unwrap());
    assert_eq!(m.calc_type, CalcType::Average);
    assert!(!m.display_chart);
    assert_eq!(m.places.get(), 3);
    assert_eq!(m.default_view, MetricView::Week);
    assert_eq!(m.threshold.minutes(), 10);
    assert_eq!(m.order.get(), 4);
    assert_eq!(m.visible, Visibility::Authenticated);
    let path = format!("/dashboard/metrics/{id}");
    let mut changed = fields.to_vec();
    changed[0] = ("name", "Response time");
    changed[5] = ("display_chart", "1");
    changed[10] = ("visible", "1");
    let r = b.post(&path, &changed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let m = h.store.metric(MetricId(id)).await.unwrap();
    assert_eq!(m.name.as_str(), "Response time");
    assert!(m.display_chart);
    assert_eq!(m.visible, Visibility::Public);

    // points: add two (one with a time), list, delete one
    let r = b
        .post(&format!("{path}/points"), &[("value", "12.5")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let r = b
        .post(
            &format!("{path}/points"),
            &[("value", "7"), ("at", "2025-12-31T23:00")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b.post(&format!("{path}/points"), &[("value", "abc")]).await;
    assert_refused_naming(&r, &["value:"]);
    let points = h
        .store
        .metric_points(MetricId(id), &MetricPointQuery::all())
        .await
        .unwrap()
        .items;
    assert_eq!(points.len(), 2);
    let page = b.page(&path).await;
    assert!(text(&page).contains("12.5"));
    // a point's value can be changed
    let edit = format!("{path}/points/{}", points[1].id.get());
    assert!(page.contains(&format!("action=\"{edit}\"")));
    let r = b.post(&edit, &[("value", "8.25")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let changed = h
        .store
        .metric_point(MetricId(id), points[1].id)
        .await
        .unwrap();
    assert_eq!(changed.value, MetricValue::parse("8.25").unwrap());
    assert_eq!(
        b.post(&edit, &[("value", "lots")]).await.status(),
        StatusCode::BAD_REQUEST
    );
    let del = format!("{path}/points/{}/delete", points[0].id.get());
    assert!(page.contains(&del));
    assert_eq!(b.get(&del).await.status(), StatusCode::METHOD_NOT_ALLOWED);
    let r = b.post(&del, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        h.store
            .metric_points(MetricId(id), &MetricPointQuery::all())
            .await
            .unwrap()
            .total,
        1
    );
    let r = b.post(&format!("{path}/delete"), &[]).await;
    assert_done(&r, "/metrics");
    assert!(h.store.metric(MetricId(id)).await.is_err());
}

#[tokio::test]
async fn subscribers_addresses_for_admins_counts_for_managers_export_and_erase() {
    let h = Harness::new().await;
    let admin = browser(&h, "admin@example.com", Role::Admin).await;
    let manager = browser(&h, "ops@example.com", Role::Manager).await;
    admin
        .post("/dashboard/components", &[("name", "API"), ("status", "1")])
        .await;
    let cid = components(&h).await[0].id.get().to_string();

    // a manager adds one and sees the count, never an address
    let r = manager
        .post(
            "/dashboard/subscribers",
            &[
                ("email", "alice@example.org"),
                ("components", &cid),
                ("locale", "en"),
                ("verified", "0"),
                ("verified", "1"),
            ],
        )
        .await;
    assert_done(&r, "/subscribers");
    let list = manager.page("/dashboard/subscribers").await;
    assert!(text(&list).contains("1 subscribers"));
    assert!(
        !list.contains("alice@example.org"),
        "managers see no address"
    );
    let s = h
        .store
        .subscribers(&SubscriberQuery::all())
        .await
        .unwrap()
        .items
        .pop()
        .unwrap();
    assert!(s.verified_at.is_some());
    assert_eq!(s.components, vec![ComponentId(cid.parse().unwrap())]);
    let sid = s.id.get();
    for p in [
        format!("/dashboard/subscribers/{sid}"),
        format!("/dashboard/subscribers/{sid}/erase"),
    ] {
        assert_eq!(manager.get(&p).await.status(), StatusCode::FORBIDDEN, "{p}");
    }
    assert_eq!(
        manager
            .post(&format!("/dashboard/subscribers/{sid}/export"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        manager
            .post(&format!("/dashboard/subscribers/{sid}/erase"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.store
            .subscribers(&SubscriberQuery::all())
            .await
            .unwrap()
            .total,
        1
    );

    // an admin sees the address, the subscriptions, exports and erases
    let list = admin.page("/dashboard/subscribers").await;
    assert!(list.contains("alice@example.org"));
    let detail = admin.page(&format!("/dashboard/subscribers/{sid}")).await;
    assert!(text(&detail).contains("API"));
    let export = admin
        .post(&format!("/dashboard/subscribers/{sid}/export"), &[])
        .await;
    assert_eq!(export.status(), StatusCode::OK);
    assert_eq!(export.headers()["content-type"], "application/json");
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let json: serde_json::Value = serde_json::from_slice(export.body()).unwrap();
    assert_eq!(json["email"], "alice@example.org");
    assert_eq!(json["subscriptions"].as_array().unwrap().len(), 1);

    // remove the one subscription, then erase
    let sub = h.store.subscriptions_of(s.id).await.unwrap()[0].id.get();
    let r = admin
        .post(
            &format!("/dashboard/subscribers/{sid}/subscriptions/{sub}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(h.store.subscriptions_of(s.id).await.unwrap().is_empty());
    assert!(
        text(
            &admin
                .page(&format!("/dashboard/subscribers/{sid}/erase"))
                .await
        )
        .contains("alice@example.org")
    );
    let r = admin
        .post(&format!("/dashboard/subscribers/{sid}/erase"), &[])
        .await;
    assert_done(&r, "/subscribers");
    assert_eq!(
        h.store
            .subscribers(&SubscriberQuery::all())
            .await
            .unwrap()
            .total,
        0
    );

    // delete (the manager's way) works for admins too
    h.cachet
        .add_subscriber(
            &admin.actor,
            &Email::parse("bob@example.org").unwrap(),
            Vec::new(),
            true,
            Locale::english(),
        )
        .await
        .unwrap();
    let bob = h
        .store
        .subscribers(&SubscriberQuery::all())
        .await
        .unwrap()
        .items[0]
        .id
        .get();
    let r = admin
        .post(&format!("/dashboard/subscribers/{bob}/delete"), &[])
        .await;
    assert_done(&r, "/subscribers");
    assert_eq!(
        h.store
            .subscribers(&SubscriberQuery::all())
            .await
            .unwrap()
            .total,
        0
    );
}

#[tokio::test]
async fn deliveries_are_for_admins() {
    let h = Harness::new().await;
    let admin = browser(&h, "admin@example.com", Role::Admin).await;
    let manager = browser(&h, "ops@example.com", Role::Manager).await;
    let page = admin.page("/dashboard/deliveries").await;
    assert!(text(&page).contains("Deliveries"));
    assert!(
        admin
            .page("/dashboard/deliveries?status=failed")
            .await
            .contains("No deliveries")
    );
    assert_eq!(
        manager.get("/dashboard/deliveries").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        manager.get("/dashboard/deliveries/1").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.post("/dashboard/deliveries", &[]).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}

/// The delivery log filters by channel, and its pages keep the filter: an operator sees how
/// the SMS stand without the mail around them.
#[tokio::test]
async fn the_delivery_log_filters_by_channel() {
    let h = Harness::new().await;
    let admin = browser(&h, "admin@example.com", Role::Admin).await;
    let now = h.cachet.now();
    let event = h
        .store
        .enqueue(
            WriteContext::at(now),
            &NewOutboxEvent::new(EventKind::IncidentCreated, serde_json::json!({}), now),
        )
        .await
        .unwrap();
    h.store
        .claim_outbox_events("test", now, now + chrono::TimeDelta::seconds(60), 1)
        .await
        .unwrap();
    let mut deliveries = Vec::new();
    for i in 0..60 {
        deliveries.push(NewDelivery::new(
            format!("subscriber:{i}"),
            "sms".to_owned(),
            format!("k-sms-{i}"),
        ));
    }
    deliveries.push(NewDelivery::new(
        "subscriber:1000".to_owned(),
        "email".to_owned(),
        "k-mail".to_owned(),
    ));
    h.store
        .complete_outbox_event(WriteContext::at(now), event.id, "test", &deliveries)
        .await
        .unwrap();
    let rows = |page: &str| {
        Html::parse_document(page)
            .select(&Selector::parse("tbody tr").unwrap())
            .map(|r| r.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    let mail = admin.page("/dashboard/deliveries?channel=email").await;
    let mail_rows = rows(&mail);
    assert_eq!(mail_rows.len(), 1, "{mail_rows:?}");
    assert!(mail_rows[0].contains("subscriber:1000"), "{mail_rows:?}");
    let sms = admin.page("/dashboard/deliveries?channel=sms").await;
    let sms_rows = rows(&sms);
    assert_eq!(sms_rows.len(), 50, "one page of SMS deliveries");
    assert!(
        sms_rows
            .iter()
            .all(|r| r.contains("sms") && !r.contains("subscriber:1000"))
    );
    assert!(
        sms.contains("page=2&#38;channel=sms"),
        "the next page keeps the channel filter"
    );
    assert!(
        sms.contains(r#"<option value="sms" selected"#),
        "the filter shows the chosen channel"
    );
    // An unknown channel is no filter, as an unknown status is.
    let any = admin.page("/dashboard/deliveries?channel=pigeon").await;
    assert_eq!(rows(&any).len(), 50);
    assert!(
        admin
            .page("/dashboard/deliveries?channel=chat")
            .await
            .contains("No deliveries")
    );
}

#[tokio::test]
async fn hostile_strings_in_every_field_are_escaped_in_every_page() {
    let h = Harness::new().await;
    let b = browser(&h, "admin@example.com", Role::Admin).await;
    let xss = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "javascript:alert(1)",
    ];
    for (n, evil) in xss.iter().enumerate() {
        let meta = serde_json::json!({ "k": evil }).to_string();
        let r = b
            .post("/dashboard/groups", &[("name", evil), ("visible", "1")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "group {evil}");
        let gid = groups(&h).await.iter().map(|g| g.id).max().unwrap();
        let r = b
            .post(
                "/dashboard/components",
                &[
                    ("name", evil),
                    ("description", evil),
                    ("status", "1"),
                    ("group_id", &gid.get().to_string()),
                    ("tags", &format!("t{n} {evil}")),
                    ("meta", &meta),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "component {evil}: {}",
            body(&r)
        );
        // a javascript: link is refused, and the refusal shows it back escaped
        let r = b
            .post(
                "/dashboard/components",
                &[
                    ("name", evil),
                    ("status", "1"),
                    ("link", "javascript:alert(1)"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_inert(&body(&r), "refused link");
        let r = b
            .post(
                "/dashboard/incidents",
                &[
                    ("name", evil),
                    ("status", "1"),
                    ("message", &format!("{evil} [x](javascript:alert(1))")),
                    ("meta", &meta),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "incident {evil}");
        let iid = id_from(&location(&r), "incidents");
        let r = b
            .post(
                &format!("/dashboard/incidents/{iid}/updates"),
                &[("status", "2"), ("message", evil)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = b
            .post(
                "/dashboard/templates",
                &[
                    ("name", evil),
                    ("slug", &format!("t-{n}")),
                    ("template", &format!("{evil} {{{{ x }}}} {{% {evil} %}}")),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "template {evil}: {}",
            body(&r)
        );
        let r = b
            .post(
                "/dashboard/schedules",
                &[
                    ("name", evil),
                    ("message", evil),
                    ("status", "0"),
                    ("scheduled_at", "2026-02-01T10:00"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "schedule {evil}");
        let sid = id_from(&location(&r), "schedules");
        b.post(
            &format!("/dashboard/schedules/{sid}/updates"),
            &[("message", evil)],
        )
        .await;
        let r = b
            .post(
                "/dashboard/metrics",
                &[
                    ("name", evil),
                    ("suffix", evil),
                    ("description", evil),
                    ("calc_type", "0"),
                    ("places", "2"),
                    ("default_view", "1"),
                    ("threshold", "5"),
                    ("visible", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "metric {evil}");
    }
    // a subscriber whose address is as hostile as an address may be
    h.cachet
        .add_subscriber(
            &b.actor,
            &Email::parse("x@example.org").unwrap(),
            Vec::new(),
            true,
            Locale::english(),
        )
        .await
        .unwrap();

    // every page that shows these values
    let mut pages = vec![
        "/dashboard/components".to_owned(),
        "/dashboard/components/new".to_owned(),
        "/dashboard/groups".to_owned(),
        "/dashboard/incidents".to_owned(),
        "/dashboard/incidents/new".to_owned(),
        "/dashboard/templates".to_owned(),
        "/dashboard/schedules".to_owned(),
        "/dashboard/metrics".to_owned(),
        "/dashboard/subscribers".to_owned(),
        "/dashboard/deliveries".to_owned(),
    ];
    for c in components(&h).await {
        pages.push(format!("/dashboard/components/{}", c.id.get()));
        pages.push(format!("/dashboard/components/{}/delete", c.id.get()));
    }
    for g in groups(&h).await {
        pages.push(format!("/dashboard/groups/{}", g.id.get()));
        pages.push(format!("/dashboard/groups/{}/delete", g.id.get()));
    }
    for i in incidents(&h).await {
        pages.push(format!("/dashboard/incidents/{}", i.id.get()));
        pages.push(format!("/dashboard/incidents/{}/delete", i.id.get()));
        for u in h
            .store
            .incident_updates(i.id, PageRequest::all())
            .await
            .unwrap()
            .items
        {
            pages.push(format!(
                "/dashboard/incidents/{}/updates/{}",
                i.id.get(),
                u.id.get()
            ));
        }
    }
    for t in h
        .store
        .templates(&TemplateQuery::all())
        .await
        .unwrap()
        .items
    {
        pages.push(format!("/dashboard/templates/{}", t.id.get()));
    }
    for s in h
        .store
        .schedules(&ScheduleQuery::all())
        .await
        .unwrap()
        .items
    {
        pages.push(format!("/dashboard/schedules/{}", s.id.get()));
    }
    for m in h.store.metrics(&MetricQuery::all()).await.unwrap().items {
        pages.push(format!("/dashboard/metrics/{}", m.id.get()));
    }
    for s in h
        .store
        .subscribers(&SubscriberQuery::all())
        .await
        .unwrap()
        .items
    {
        pages.push(format!("/dashboard/subscribers/{}", s.id.get()));
        pages.push(format!("/dashboard/subscribers/{}/erase", s.id.get()));
    }
    let mut seen_literal = 0;
    for p in &pages {
        let html = b.page(p).await;
        assert_inert(&html, p);
        if text(&html).contains("<script>alert(1)</script>") {
            seen_literal += 1;
        }
    }
    assert!(
        seen_literal > 10,
        "hostile text is shown as text ({seen_literal} pages)"
    );
    // the preview of a hostile message too
    let r = b
        .post(
            "/dashboard/incidents/preview",
            &[("name", xss[1]), ("status", "1"), ("message", xss[1])],
        )
        .await;
    assert_inert(&body(&r), "preview");
}

#[tokio::test]
async fn get_never_changes_anything() {
    let h = Harness::new().await;
    let b = browser(&h, "admin@example.com", Role::Admin).await;
    b.post("/dashboard/groups", &[("name", "G"), ("visible", "1")])
        .await;
    b.post("/dashboard/components", &[("name", "API"), ("status", "1")])
        .await;
    b.post(
        "/dashboard/incidents",
        &[("name", "Down"), ("status", "1"), ("message", "m")],
    )
    .await;
    let iid = incidents(&h).await[0].id.get();
    b.post(
        &format!("/dashboard/incidents/{iid}/updates"),
        &[("status", "2"), ("message", "u")],
    )
    .await;
    b.post("/dashboard/templates", &[("name", "T"), ("template", "t")])
        .await;
    b.post(
        "/dashboard/schedules",
        &[
            ("name", "S"),
            ("status", "0"),
            ("scheduled_at", "2026-02-01T10:00"),
        ],
    )
    .await;
    b.post(
        "/dashboard/metrics",
        &[
            ("name", "M"),
            ("calc_type", "0"),
            ("places", "2"),
            ("default_view", "1"),
            ("threshold", "5"),
            ("visible", "1"),
        ],
    )
    .await;
    let mid = h.store.metrics(&MetricQuery::all()).await.unwrap().items[0]
        .id
        .get();
    b.post(
        &format!("/dashboard/metrics/{mid}/points"),
        &[("value", "1")],
    )
    .await;
    b.post("/dashboard/subscribers", &[("email", "a@example.org")])
        .await;
    let before = snapshot(&h).await;
    let cid = components(&h).await[0].id.get();
    let gid = groups(&h).await[0].id.get();
    let sid = h
        .store
        .subscribers(&SubscriberQuery::all())
        .await
        .unwrap()
        .items[0]
        .id
        .get();
    let uid = h
        .store
        .incident_updates(IncidentId(iid), PageRequest::all())
        .await
        .unwrap()
        .items[0]
        .id
        .get();
    // every route, including the ones that change things on POST, asked with GET and with
    // the fields a POST would carry in the query string
    let paths = [
        format!("/dashboard/components/{cid}/delete?_token={}", b.token),
        format!(
            "/dashboard/components/{cid}/status?status=4&_token={}",
            b.token
        ),
        format!("/dashboard/components/{cid}/move?direction=up"),
        format!("/dashboard/components?name=X&status=1&_token={}", b.token),
        format!("/dashboard/groups/{gid}/delete"),
        format!("/dashboard/incidents/{iid}/delete"),
        format!("/dashboard/incidents/{iid}/updates/{uid}/delete"),
        format!("/dashboard/incidents/{iid}/updates?status=1&message=x"),
        "/dashboard/incidents/preview?message=x".to_owned(),
        "/dashboard/templates/1/delete".to_owned(),
        format!("/dashboard/metrics/{mid}/points?value=5"),
        format!("/dashboard/subscribers/{sid}/erase"),
        format!("/dashboard/subscribers/{sid}/delete"),
        format!("/dashboard/subscribers/{sid}/export"),
        "/dashboard/schedules/1/delete".to_owned(),
        "/dashboard/deliveries".to_owned(),
    ];
    for p in &paths {
        let r = b.get(p).await;
        assert!(
            matches!(
                r.status(),
                StatusCode::OK | StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND
            ),
            "{p}: {}",
            r.status()
        );
        assert!(!r.status().is_server_error());
    }
    assert_eq!(snapshot(&h).await, before);
    // a stranger asking for a content page is sent to sign in
    let stranger = Request::builder()
        .uri("/dashboard/components")
        .body(Bytes::new())
        .unwrap();
    let r = h.cachet.handle(stranger, cx()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/auth/login");
}
