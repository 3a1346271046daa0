//! The dashboard's integrations page through `Cachet::handle`, signed in with a real session:
//! an admin adds an integration and sees its secret once (the list never shows it again),
//! adds, changes and deletes a rule, replaces the secret and deletes the integration; a bad
//! rule shows the form again naming the field; a manager is refused; a POST without the
//! CSRF token changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};

use cachet_core::model::*;
use cachet_core::web::RequestContext;
use cachet_core::{Actor, Cachet};

const ORIGIN: &str = "https://status.example.com";

struct Browser {
    cachet: Cachet,
    cookie: String,
    token: String,
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
    }
}

fn cx() -> RequestContext {
    RequestContext {
        peer: Some("192.0.2.1:1".parse().unwrap()),
        principal: None,
    }
}

fn body(r: &Response<Bytes>) -> String {
    String::from_utf8(r.body().to_vec()).unwrap()
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

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response<Bytes> {
        let mut all = vec![("_token", self.token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &serde_urlencoded::to_string(&all).unwrap())
            .await
    }

    async fn post_raw(&self, path: &str, form: &str) -> Response<Bytes> {
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header("cookie", &self.cookie)
            .header("origin", ORIGIN)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(form.to_owned()))
            .unwrap();
        self.cachet.handle(req, cx()).await
    }
}

fn secret_in(page: &str) -> String {
    let at = page.find("cachet_alert_").expect("the secret is shown");
    page[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_admin_manages_integrations_and_rules() {
    let h = Harness::new().await;
    let op = Actor::operator();
    let component = h
        .cachet
        .create_component(
            &op,
            &NewComponent::named(
                cachet_core::validate::Name::parse("Checkout").unwrap(),
                ComponentStatus::Operational,
            ),
        )
        .await
        .unwrap();
    let b = browser(&h, "admin@example.com", Role::Admin).await;

    let page = body(&b.get("/dashboard/integrations").await);
    assert!(page.contains("Add an integration"), "{page}");
    assert!(!page.contains("cachet_alert_"));

    // Create: the answer shows the secret, once.
    let r = b
        .post(
            "/dashboard/integrations",
            &[("kind", "alertmanager"), ("name", "Prometheus <prod>")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let created = body(&r);
    let secret = secret_in(&created);
    assert!(
        !created.contains("<prod>") && created.contains("Prometheus &"),
        "escaped"
    );
    assert!(created.contains("https://status.example.com/api/v1/alerts/alertmanager"));
    let listed = body(&b.get("/dashboard/integrations").await);
    assert!(!listed.contains(&secret), "the secret is shown once");
    let integration = h.cachet.integrations(&op).await.unwrap()[0].clone();
    assert_eq!(
        cachet_core::alerts::authenticate(&h.cachet, &secret)
            .await
            .unwrap()
            .id,
        integration.id
    );

    // A rule, a bad rule, a change, a delete.
    let base = format!("/dashboard/integrations/{}", integration.id);
    let cid = component.id.to_string();
    let rule_form = |matcher: &'static str, hold: &'static str| {
        vec![
            ("matcher", matcher),
            ("component_id", cid.as_str()),
            ("status", "3"),
            ("hold_secs", hold),
            ("recovery_hold_secs", "120"),
            ("template_id", ""),
            ("incident_title", "Checkout is slow"),
            ("incident_message", ""),
            ("resolution", ""),
        ]
    };
    let r = b
        .post(
            &format!("{base}/rules"),
            &rule_form("alertname=HighLatency", "60"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let rules = h.cachet.alert_rules(&op, integration.id).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].settings.status, ComponentStatus::PartialOutage);
    assert_eq!(rules[0].settings.hold_secs, 60);
    assert_eq!(
        rules[0].settings.incident_title.as_ref().unwrap().as_str(),
        "Checkout is slow"
    );
    let r = b
        .post(&format!("{base}/rules"), &rule_form("no pairs here", "60"))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{}", body(&r));
    assert!(body(&r).contains("matcher"));
    let r = b
        .post(&format!("{base}/rules"), &rule_form("a=b", "99999999"))
        .await;
    assert!(body(&r).contains("hold_secs"));
    assert_eq!(
        h.cachet
            .alert_rules(&op, integration.id)
            .await
            .unwrap()
            .len(),
        1
    );
    let rule = rules[0].id;
    let r = b
        .post(
            &format!("{base}/rules/{rule}"),
            &rule_form("alertname=HighLatency, service=checkout", "0"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let changed = h
        .cachet
        .alert_rule(&op, integration.id, rule)
        .await
        .unwrap();
    assert_eq!(
        changed.settings.matcher.to_string(),
        "alertname=HighLatency, service=checkout"
    );
    let page = body(&b.get("/dashboard/integrations").await);
    assert!(page.contains("alertname=HighLatency, service=checkout"));

    // Rotation shows a new secret; the old one stops working.
    let r = b.post(&format!("{base}/secret"), &[]).await;
    let rotated = secret_in(&body(&r));
    assert_ne!(rotated, secret);
    assert!(
        cachet_core::alerts::authenticate(&h.cachet, &secret)
            .await
            .is_err()
    );

    // Without the CSRF token nothing changes.
    let r = b.post_raw(&format!("{base}/delete"), "").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(h.cachet.integrations(&op).await.unwrap().len(), 1);

    let r = b.post(&format!("{base}/rules/{rule}/delete"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        h.cachet
            .alert_rules(&op, integration.id)
            .await
            .unwrap()
            .is_empty()
    );
    let r = b.post(&format!("{base}/delete"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(h.cachet.integrations(&op).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_manager_is_refused() {
    let h = Harness::new().await;
    let b = browser(&h, "manager@example.com", Role::Manager).await;
    let r = b.get("/dashboard/integrations").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = b
        .post(
            "/dashboard/integrations",
            &[("kind", "alertmanager"), ("name", "X")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        h.cachet
            .integrations(&Actor::operator())
            .await
            .unwrap()
            .is_empty()
    );
}
