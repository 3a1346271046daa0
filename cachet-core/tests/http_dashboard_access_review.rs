//! The access review page (`/dashboard/access-review`) and its CSV through `Cachet::handle`,
//! signed in with real sessions: an admin sees every account, session and token with flagged
//! rows marked in words; others get the dashboard's refusal and no navigation entry; hostile
//! names, user agents and token names stay text in the page and cannot become formulas in the
//! CSV.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};
use scraper::{ElementRef, Html, Selector};

use cachet_core::model::*;
use cachet_core::validate::HttpUrl;
use cachet_core::web::RequestContext;
use cachet_core::{Actor, Config, LoginOutcome};

const XSS_NAME: &str = "<script>alert('name')</script>";
const XSS_AGENT: &str = "<img src=x onerror=alert('ua')>";
const XSS_TOKEN: &str = "\"><svg onload=alert('token')>";
const FORMULA_NAME: &str = "=HYPERLINK(\"https://evil.example\",\"x\")";

fn cx() -> RequestContext {
    RequestContext {
        peer: Some("192.0.2.1:1".parse().unwrap()),
        principal: None,
    }
}

async fn get(h: &Harness, cookie: Option<&str>, path: &str) -> Response<Bytes> {
    let mut req = Request::builder().uri(path);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    h.cachet.handle(req.body(Bytes::new()).unwrap(), cx()).await
}

/// Signs in with a user agent of our choosing; returns the session cookie.
async fn cookie(h: &Harness, email: &str, user_agent: &str) -> String {
    match h
        .cachet
        .login(email, PASSWORD, ip(1), Some(user_agent), None)
        .await
        .unwrap()
    {
        LoginOutcome::SignedIn(t) => format!("{}={}", h.cachet.cookie_policy().name(), t.secret),
        LoginOutcome::SecondFactorRequired(_) => panic!("no 2FA here"),
    }
}

fn body(r: &Response<Bytes>) -> String {
    String::from_utf8(r.body().to_vec()).unwrap()
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn text(el: ElementRef<'_>) -> String {
    el.text().collect::<String>()
}

/// No executable markup anywhere in the page: no script, style or embedding element, no
/// event handler or style attribute.
fn assert_inert(html: &str) {
    let doc = Html::parse_document(html);
    for el in doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        let name = el.value().name();
        assert!(
            !matches!(
                name,
                "script" | "style" | "img" | "svg" | "iframe" | "object" | "embed"
            ),
            "<{name}> in the page"
        );
        for (attr, _) in el.value().attrs() {
            assert!(
                !attr.to_ascii_lowercase().starts_with("on") && attr != "style",
                "<{name} {attr}>"
            );
        }
    }
}

/// An admin, a second admin without 2FA named hostile, a manager; sessions with a hostile
/// user agent; tokens with hostile names.
async fn seed(h: &Harness) -> (String, String) {
    let op = Actor::operator();
    h.user("admin@example.com", Role::Admin).await;
    let input =
        cachet_core::parse_new_user(XSS_NAME, "other@example.com", "admin", PASSWORD.into())
            .unwrap();
    let other = h.cachet.operator_create_user(input).await.unwrap();
    let input = cachet_core::parse_new_user(
        FORMULA_NAME,
        "formula@example.com",
        "viewer",
        PASSWORD.into(),
    )
    .unwrap();
    h.cachet.operator_create_user(input).await.unwrap();
    let manager = h.user("ops@example.com", Role::Manager).await;
    h.cachet
        .create_api_token(&op, other.id, name(XSS_TOKEN), TokenScope::Admin, None)
        .await
        .unwrap();
    h.cachet
        .create_api_token(&op, manager.id, name("deploy"), TokenScope::Write, None)
        .await
        .unwrap();
    cookie(h, "other@example.com", XSS_AGENT).await;
    let admin = cookie(h, "admin@example.com", "Firefox").await;
    let manager = cookie(h, "ops@example.com", "Firefox").await;
    (admin, manager)
}

#[tokio::test]
async fn an_admin_sees_every_account_session_and_token_with_flags_in_words() {
    let h = Harness::new().await;
    let (admin, _) = seed(&h).await;
    let r = get(&h, Some(&admin), "/dashboard/access-review").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = body(&r);
    assert_inert(&html);
    let doc = Html::parse_document(&html);

    // The navigation offers the page, marked current.
    let link = doc
        .select(&sel(r#"nav a[href="/dashboard/access-review"]"#))
        .next()
        .expect("a navigation entry");
    assert_eq!(link.value().attr("aria-current"), Some("page"));

    // Every table has column headers and a row header per row.
    let tables: Vec<_> = doc.select(&sel("main table")).collect();
    assert_eq!(tables.len(), 3, "accounts, sessions, tokens");
    for t in &tables {
        assert!(t.select(&sel("caption")).next().is_some());
        let cols = t.select(&sel("thead th[scope=col]")).count();
        assert!(cols >= 6, "{cols} column headers");
        for row in t.select(&sel("tbody tr")) {
            assert_eq!(row.select(&sel("th[scope=row]")).count(), 1);
            assert_eq!(row.select(&sel("th, td")).count(), cols);
        }
    }

    // Four accounts, the two admins without 2FA flagged in words (not colour alone).
    let accounts: Vec<_> = tables[0].select(&sel("tbody tr")).collect();
    assert_eq!(accounts.len(), 4);
    let row_of = |email: &str| {
        accounts
            .iter()
            .find(|r| text(**r).contains(email))
            .copied()
            .unwrap_or_else(|| panic!("{email}"))
    };
    for email in ["admin@example.com", "other@example.com"] {
        let row = row_of(email);
        assert_eq!(row.value().attr("class"), Some("flagged"), "{email}");
        let words = text(row);
        assert!(words.contains("Review:"), "{words}");
        assert!(
            words.contains("Admin without two-factor authentication"),
            "{words}"
        );
    }
    assert!(text(row_of("other@example.com")).contains("Admin-scope token that never expires"));
    let ops = row_of("ops@example.com");
    assert_eq!(ops.value().attr("class"), None);
    assert!(text(ops).contains("none"));
    assert!(text(row_of("admin@example.com")).contains("(you)"));

    // The hostile strings are shown as text.
    let all = text(doc.root_element());
    for s in [XSS_NAME, XSS_AGENT, XSS_TOKEN, FORMULA_NAME] {
        assert!(all.contains(s), "{s} shown as text");
    }
    for raw in ["<script>alert", "<img src=x", "<svg onload"] {
        assert!(!html.contains(raw), "{raw} unescaped");
    }

    // Sessions with address and browser; tokens with prefix and scope, never a hash.
    let sessions = text(tables[1]);
    assert!(sessions.contains("192.0.2.1") && sessions.contains("Firefox"));
    let tokens = text(tables[2]);
    assert!(tokens.contains("cachet_") && tokens.contains("write") && tokens.contains("admin"));
    assert!(tokens.contains("never"), "never used, never expires");

    // The CSV link is offered.
    assert!(
        doc.select(&sel(r#"a[href="/dashboard/access-review.csv"]"#))
            .next()
            .is_some()
    );
}

#[tokio::test]
async fn others_get_the_dashboards_refusal_and_no_navigation_entry() {
    let h = Harness::new().await;
    let (_, manager) = seed(&h).await;
    for path in ["/dashboard/access-review", "/dashboard/access-review.csv"] {
        let r = get(&h, Some(&manager), path).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let html = body(&r);
        assert!(html.contains("You are not allowed to do this"), "{html}");
        assert!(!html.contains("other@example.com"));
        // A stranger is sent to sign in.
        let r = get(&h, None, path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/auth/login");
    }
    // Audited (repeats of one refusal may be coalesced, so at least once).
    assert!(h.audit_count(AuditAction::AccessDenied).await >= 1);
    let home = body(&get(&h, Some(&manager), "/dashboard").await);
    assert!(!home.contains("/dashboard/access-review"));
    let viewer_home = {
        h.user("viewer@example.com", Role::Viewer).await;
        let c = cookie(&h, "viewer@example.com", "Firefox").await;
        body(&get(&h, Some(&c), "/dashboard").await)
    };
    assert!(!viewer_home.contains("access-review"));
}

#[tokio::test]
async fn the_csv_is_an_attachment_whose_cells_cannot_become_formulas() {
    let h = Harness::new().await;
    let (admin, _) = seed(&h).await;
    let r = get(&h, Some(&admin), "/dashboard/access-review.csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let disposition = r.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"access-review-2026-"),
        "{disposition}"
    );
    let csv = body(&r);
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + 4, "a header and one line per account");
    assert!(lines[0].starts_with("\"id\",\"name\",\"email\",\"role\""));
    // The formula name is defused with a quote, its own quotes doubled.
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\""),
        "{csv}"
    );
    // No cell starts with a formula character.
    for line in &lines {
        for cell in line.split("\",\"") {
            let cell = cell.trim_start_matches('"');
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
    }
    assert!(csv.contains("admin_without_2fa"));
    // Only GET, even with a good form token.
    let secret = admin.split_once('=').unwrap().1;
    let token = h.cachet.csrf_token(&h.actor(secret).await).unwrap();
    for path in ["/dashboard/access-review", "/dashboard/access-review.csv"] {
        let post = Request::builder()
            .method("POST")
            .uri(path)
            .header("cookie", &admin)
            .header("origin", "https://status.example.com")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(format!("_token={token}")))
            .unwrap();
        let r = h.cachet.handle(post, cx()).await;
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
}

#[tokio::test]
async fn the_page_follows_the_dashboard_prefix() {
    let mut config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    config.web.dashboard_prefix = "/admin".to_owned();
    let h = Harness::over(new_store().await, config);
    let (admin, _) = seed(&h).await;
    let r = get(&h, Some(&admin), "/admin/access-review").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = body(&r);
    assert!(html.contains(r#"href="/admin/access-review""#));
    assert!(html.contains(r#"href="/admin/access-review.csv""#));
    let r = get(&h, Some(&admin), "/dashboard/access-review").await;
    assert_ne!(r.status(), StatusCode::OK);
}
