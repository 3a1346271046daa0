//! Cases for monitoring alerts: each sender's documented payload firing and resolving, a
//! wrong or missing secret, a bad payload, a repeated delivery, signatures, and the
//! integrations' management routes.

use serde_json::{Value, json};

use super::{CaseRequest, Fixture, HeaderCheck, HttpCase, TokenKind, component};

/// The secret of every case's integration ([`Fixture::Integration`]).
pub const ALERT_SECRET: &str = "cachet_alert_cases-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

/// The unix time of the cases' clock (2026-01-01T00:00:00Z).
const NOW: i64 = 1_767_225_600;

fn tight_api_limit(c: &mut crate::Config) {
    c.web.rate_limits.api_per_address =
        crate::web::Limit::new(1, std::time::Duration::from_secs(3600));
}

fn integration(kind: &'static str, matcher: &'static str) -> Fixture {
    Fixture::Integration {
        kind,
        component: 1,
        matcher,
        incident: None,
    }
}

fn alertmanager(status: &str) -> Value {
    json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"HighLatency\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "cachet",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency", "service": "checkout"},
        "commonAnnotations": {"summary": "Checkout is slow"},
        "externalURL": "http://alertmanager:9093",
        "alerts": [{
            "status": status,
            "labels": {"alertname": "HighLatency", "service": "checkout", "severity": "page"},
            "annotations": {"summary": "Checkout is slow"},
            "startsAt": "2026-01-01T00:00:00Z",
            "endsAt": if status == "firing" { "0001-01-01T00:00:00Z" } else { "2026-01-01T00:05:00Z" },
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": "1a2b3c4d5e6f7a8b"
        }]
    })
}

fn grafana(status: &str) -> Value {
    json!({
        "receiver": "cachet",
        "status": status,
        "orgId": 1,
        "alerts": [{
            "status": status,
            "labels": {"alertname": "HighLatency", "grafana_folder": "Checkout", "service": "checkout"},
            "annotations": {"summary": "Checkout p99 over 2s"},
            "startsAt": "2026-01-01T00:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://grafana.example.com/alerting/grafana/abc/view",
            "fingerprint": "57c6d9296de2ad39",
            "silenceURL": "", "dashboardURL": "", "panelURL": "",
            "values": {"B": 2.4}, "valueString": "[ var='B' value=2.4 ]"
        }],
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency"},
        "commonAnnotations": {},
        "externalURL": "https://grafana.example.com/",
        "version": "1",
        "groupKey": "{}:{alertname=\"HighLatency\"}",
        "truncatedAlerts": 0,
        "title": "[FIRING:1] HighLatency",
        "state": if status == "firing" { "alerting" } else { "ok" },
        "message": "Checkout p99 over 2s"
    })
}

fn uptime_kuma(up: bool) -> Value {
    json!({
        "heartbeat": {"monitorID": 3, "status": i32::from(up), "time": "2026-01-01 00:00:00.000", "msg": if up { "200 - OK" } else { "timeout of 48000ms exceeded" }, "important": true, "duration": 60},
        "monitor": {"id": 3, "name": "Checkout API", "url": "https://checkout.example.com", "type": "http", "active": true},
        "msg": if up { "[Checkout API] [✅ Up] 200 - OK" } else { "[Checkout API] [🔴 Down] timeout" }
    })
}

fn gatus(triggered: bool) -> Value {
    json!({
        "name": "checkout",
        "group": "core",
        "status": if triggered { "TRIGGERED" } else { "RESOLVED" },
        "description": "healthcheck failed 3 times in a row"
    })
}

fn generic(status: &str) -> Value {
    json!({"key": "checkout", "status": status, "summary": "Payments time out"})
}

/// A delivery to `/api/v1/alerts/{path}` with the cases' secret.
fn delivery(path: &str, body: &Value) -> CaseRequest {
    let mut r = CaseRequest::new("POST", &format!("/api/v1/alerts/{path}")).json(body);
    r.headers
        .push(("authorization".into(), format!("Bearer {ALERT_SECRET}")));
    r
}

fn prior(path: &str, body: &Value) -> Fixture {
    Fixture::Prior(delivery(path, body))
}

fn post(name: &str, path: &str, body: &Value) -> HttpCase {
    HttpCase::new(name, "POST", &format!("/api/v1/alerts/{path}"))
        .json(body)
        .header("authorization", &format!("Bearer {ALERT_SECRET}"))
}

/// The component's status after the priors.
fn status_after(name: &str, fixtures: Vec<Fixture>, status: u8) -> HttpCase {
    let mut case = HttpCase::get(name, "/api/v1/components/1").with(component("Checkout", 1));
    for f in fixtures {
        case = case.with(f);
    }
    case.expect_at("/data/status", json!(status))
}

fn senders() -> Vec<HttpCase> {
    let mut cases = Vec::new();
    for (kind, path, matcher, firing, resolved) in [
        (
            "alertmanager",
            "alertmanager",
            "alertname=HighLatency, service=checkout",
            alertmanager("firing"),
            alertmanager("resolved"),
        ),
        (
            "grafana",
            "grafana",
            "alertname=HighLatency, service=checkout",
            grafana("firing"),
            grafana("resolved"),
        ),
        (
            "uptime_kuma",
            "uptime-kuma",
            "monitor=Checkout API",
            uptime_kuma(false),
            uptime_kuma(true),
        ),
        (
            "gatus",
            "gatus",
            "name=checkout, group=core",
            gatus(true),
            gatus(false),
        ),
        (
            "generic",
            "generic",
            "key=checkout",
            generic("firing"),
            generic("resolved"),
        ),
    ] {
        cases.push(
            post(&format!("alerts: {kind} firing is taken"), path, &firing)
                .with(component("Checkout", 1))
                .with(integration(kind, matcher))
                .expect_at("/data/matched", json!(1))
                .expect_at("/data/changed", json!(1)),
        );
        cases.push(status_after(
            &format!("alerts: {kind} firing moves the component"),
            vec![integration(kind, matcher), prior(path, &firing)],
            4,
        ));
        cases.push(status_after(
            &format!("alerts: {kind} resolved moves it back"),
            vec![
                integration(kind, matcher),
                prior(path, &firing),
                prior(path, &resolved),
            ],
            1,
        ));
        cases.push(
            post(
                &format!("alerts: {kind} repeated delivery changes nothing"),
                path,
                &firing,
            )
            .with(component("Checkout", 1))
            .with(integration(kind, matcher))
            .with(prior(path, &firing))
            .expect_at("/data/matched", json!(1))
            .expect_at("/data/changed", json!(0)),
        );
    }
    cases
}

pub(super) fn cases() -> Vec<HttpCase> {
    let am = || integration("alertmanager", "alertname=HighLatency");
    let body = generic("firing").to_string();
    let signed = crate::alerts::signature::sign_generic(ALERT_SECRET, body.as_bytes(), NOW);
    let stale = crate::alerts::signature::sign_generic(ALERT_SECRET, body.as_bytes(), NOW - 3600);
    let mut cases = senders();
    cases.extend([
        HttpCase::new("alerts: no secret is 401", "POST", "/api/v1/alerts/alertmanager")
            .with(component("Checkout", 1))
            .with(am())
            .json(&alertmanager("firing"))
            .error(401)
            .expect_header("www-authenticate", HeaderCheck::Contains("Bearer".into())),
        HttpCase::new("alerts: a wrong secret is 401", "POST", "/api/v1/alerts/alertmanager")
            .with(component("Checkout", 1))
            .with(am())
            .json(&alertmanager("firing"))
            .header("authorization", "Bearer cachet_alert_not-the-secret")
            .error(401),
        HttpCase::new(
            "alerts: an API token is not an integration's secret",
            "POST",
            "/api/v1/alerts/alertmanager",
        )
        .with(component("Checkout", 1))
        .with(am())
        .json(&alertmanager("firing"))
        .token(TokenKind::Admin)
        .error(401),
        HttpCase::new(
            "alerts: without any integration, the same 401",
            "POST",
            "/api/v1/alerts/alertmanager",
        )
        .json(&alertmanager("firing"))
        .header("authorization", &format!("Bearer {ALERT_SECRET}"))
        .error(401),
        HttpCase::new(
            "alerts: wrong secrets spend the address's API budget",
            "POST",
            "/api/v1/alerts/alertmanager",
        )
        .configure(tight_api_limit)
        .with(Fixture::Prior(
            CaseRequest::new("POST", "/api/v1/alerts/alertmanager").json(&alertmanager("firing")),
        ))
        .json(&alertmanager("firing"))
        .header("authorization", "Bearer cachet_alert_guess")
        .error(429)
        .expect_header("retry-after", HeaderCheck::Present),
        HttpCase::new("alerts: the secret as ?token= works", "POST", &format!("/api/v1/alerts/alertmanager?token={ALERT_SECRET}"))
            .with(component("Checkout", 1))
            .with(am())
            .json(&alertmanager("firing"))
            .expect_at("/data/changed", json!(1)),
        post("alerts: a bad payload is 400 naming the field", "alertmanager", &json!({"version": "4", "alerts": [{"status": "burning", "labels": {"a": "b"}}]}))
            .with(component("Checkout", 1))
            .with(am())
            .error(400)
            .contains("alerts[0].status"),
        post("alerts: a payload that is not JSON is 400", "alertmanager", &json!("x"))
            .with(component("Checkout", 1))
            .with(am())
            .error(400)
            .contains("body: must be a JSON object"),
        post("alerts: the wrong sender's address is 400", "grafana", &grafana("firing"))
            .with(component("Checkout", 1))
            .with(am())
            .error(400)
            .contains("path"),
        post("alerts: an unknown sender is 404", "nagios", &json!({}))
            .with(component("Checkout", 1))
            .with(am())
            .error(404),
        HttpCase::get("alerts: deliveries are POST or PUT", "/api/v1/alerts/alertmanager")
            .header("authorization", &format!("Bearer {ALERT_SECRET}"))
            .error(405)
            .expect_header("allow", HeaderCheck::Exact("POST, PUT".into())),
        status_after(
            "alerts: a rule's incident opens with the alert",
            vec![
                Fixture::Integration {
                    kind: "alertmanager",
                    component: 1,
                    matcher: "alertname=HighLatency",
                    incident: Some("Checkout is slow"),
                },
                prior("alertmanager", &alertmanager("firing")),
            ],
            4,
        ),
        HttpCase::get("alerts: and resolves with it", "/api/v1/incidents/1")
            .token(TokenKind::Admin)
            .with(component("Checkout", 1))
            .with(Fixture::Integration {
                kind: "alertmanager",
                component: 1,
                matcher: "alertname=HighLatency",
                incident: Some("Checkout is slow"),
            })
            .with(prior("alertmanager", &alertmanager("firing")))
            .with(prior("alertmanager", &alertmanager("resolved")))
            .expect_at("/data/name", json!("Checkout is slow"))
            .expect_at("/data/status", json!(4)),
        HttpCase::new("alerts: a signed generic push is taken", "POST", "/api/v1/alerts/generic")
            .with(component("Checkout", 1))
            .with(integration("generic", "key=checkout"))
            .body("application/json", body.clone())
            .header("authorization", &format!("Bearer {ALERT_SECRET}"))
            .header("x-cachet-signature", &signed)
            .expect_at("/data/changed", json!(1)),
        HttpCase::new("alerts: a stale signature is 401", "POST", "/api/v1/alerts/generic")
            .with(component("Checkout", 1))
            .with(integration("generic", "key=checkout"))
            .body("application/json", body.clone())
            .header("authorization", &format!("Bearer {ALERT_SECRET}"))
            .header("x-cachet-signature", &stale)
            .error(401),
        HttpCase::new("alerts: a signature over another body is 401", "POST", "/api/v1/alerts/generic")
            .with(component("Checkout", 1))
            .with(integration("generic", "key=checkout"))
            .json(&generic("resolved"))
            .header("authorization", &format!("Bearer {ALERT_SECRET}"))
            .header("x-cachet-signature", &signed)
            .error(401),
        // Management.
        HttpCase::new("integrations: an admin creates one and gets the secret once", "POST", "/api/v1/integrations")
            .token(TokenKind::Admin)
            .json(&json!({"kind": "alertmanager", "name": "Prometheus"}))
            .expect_at("/data/kind", json!("alertmanager"))
            .expect_at("/data/url", json!("{public}/api/v1/alerts/alertmanager"))
            .contains("\"secret\":\"cachet_alert_"),
        HttpCase::get("integrations: the list never shows a secret", "/api/v1/integrations")
            .token(TokenKind::Admin)
            .with(component("Checkout", 1))
            .with(am())
            .expect_at("/data/0/name", json!("Monitoring"))
            .not_contains("secret"),
        HttpCase::get("integrations: a manager's token is refused", "/api/v1/integrations")
            .token(TokenKind::ManagerWrite)
            .error(403),
        HttpCase::get("integrations: no token is 401", "/api/v1/integrations").error(401),
        HttpCase::new("integrations: an unknown kind is 400", "POST", "/api/v1/integrations")
            .token(TokenKind::Admin)
            .json(&json!({"kind": "nagios", "name": "X"}))
            .error(400)
            .contains("kind"),
        HttpCase::new("integrations: rotating answers a new secret", "POST", "/api/v1/integrations/1/secret")
            .token(TokenKind::Admin)
            .with(component("Checkout", 1))
            .with(am())
            .contains("\"secret\":\"cachet_alert_")
            .not_contains(ALERT_SECRET),
        HttpCase::new("integrations: a rule is created", "POST", "/api/v1/integrations/1/rules")
            .token(TokenKind::Admin)
            .with(component("Checkout", 1))
            .with(am())
            .json(&json!({"component_id": 1, "matcher": "alertname=Down, service=api", "status": 3, "hold_secs": 60}))
            .expect_at("/data/matcher", json!({"alertname": "Down", "service": "api"}))
            .expect_at("/data/status", json!(3))
            .expect_at("/data/recovery_hold_secs", json!(60)),
        HttpCase::new("integrations: a rule without a matcher is 400", "POST", "/api/v1/integrations/1/rules")
            .token(TokenKind::Admin)
            .with(component("Checkout", 1))
            .with(am())
            .json(&json!({"component_id": 1}))
            .error(400)
            .contains("matcher"),
        HttpCase::get("integrations: the rules of one", "/api/v1/integrations/1/rules")
            .token(TokenKind::Admin)
            .with(component("Checkout", 1))
            .with(am())
            .expect_at("/data/0/matcher", json!({"alertname": "HighLatency"})),
        HttpCase::new("integrations: delete", "DELETE", "/api/v1/integrations/1")
            .token(TokenKind::Admin)
            .with(component("Checkout", 1))
            .with(am())
            .status(204),
    ]);
    cases
}
