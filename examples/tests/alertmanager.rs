#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) delivers to a status
//! page served over a real listener: an alert posted to Alertmanager's API moves the
//! component to major outage and opens the rule's incident; the same alert posted again
//! with `endsAt` in the past brings the component back to operational and resolves the
//! incident. Alertmanager runs as a process of the test's own (its own config, storage in a
//! temporary directory, no cluster), never as the system's service.
//!
//! Without the binary the test is skipped with a reason, unless `CI` is set: there a missing
//! Alertmanager is a failure (`.ci/run` installs it).

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cachet_core::model::{
    AlertMatcher, AlertRuleSettings, ComponentStatus, IntegrationKind, NewComponent,
};
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::memory::MemoryStore;
use cachet_core::validate::{HttpUrl, Markdown, Name};
use cachet_core::{Actor, Cachet, Config};
use support::{TempDir, free_port, http};

const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

/// Alertmanager, killed on drop.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `ok` holds within `within`, asked every quarter second.
fn eventually(within: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    false
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn alertmanager_config(dir: &Path, cachet_port: u16, secret: &str) -> std::path::PathBuf {
    let config = format!(
        "route:\n  receiver: cachet\n  group_by: ['alertname']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
         receivers:\n  - name: cachet\n    webhook_configs:\n      - url: 'http://127.0.0.1:{cachet_port}/api/v1/alerts/alertmanager'\n        send_resolved: true\n        http_config:\n          authorization:\n            type: Bearer\n            credentials: '{secret}'\n"
    );
    let path = dir.join("alertmanager.yml");
    std::fs::write(&path, config).unwrap();
    path
}

fn post_alert(port: u16, starts: &str, ends: &str) {
    let alert = serde_json::json!([{
        "labels": {"alertname": "HighLatency", "service": "checkout", "severity": "page"},
        "annotations": {"summary": "Checkout p99 is over 2 s"},
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus.example.com/graph"
    }])
    .to_string();
    let (status, body) = http(
        port,
        "POST",
        "/api/v2/alerts",
        &[("content-type", "application/json")],
        &alert,
    );
    assert_eq!(status, 200, "Alertmanager took the alert: {body}");
}

#[test]
fn alertmanager_moves_a_component_and_resolves_its_incident() {
    if !Path::new(ALERTMANAGER).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{ALERTMANAGER} is missing: CI installs prometheus-alertmanager (.ci/run)"
        );
        println!(
            "skipped: {ALERTMANAGER} is missing (apt-get install prometheus-alertmanager to run this test)"
        );
        return;
    }
    let dir = TempDir::new("alertmanager");
    let cachet_port = free_port();
    let rt = tokio::runtime::Runtime::new().unwrap();

    // The status page, served on a real listener, with the background work running.
    let (cachet, secret, component, _background) = rt.block_on(async {
        let config =
            Config::new(HttpUrl::parse(&format!("http://127.0.0.1:{cachet_port}")).unwrap());
        let keyring = Keyring::new(1, SecretKey::from_bytes([3; 32]));
        let cachet = Cachet::new(Arc::new(MemoryStore::new()), keyring, config).unwrap();
        let op = Actor::operator();
        let component = cachet
            .create_component(
                &op,
                &NewComponent::named(
                    Name::parse("Checkout").unwrap(),
                    ComponentStatus::Operational,
                ),
            )
            .await
            .unwrap()
            .id;
        let issued = cachet
            .create_integration(
                &op,
                IntegrationKind::Alertmanager,
                Name::parse("Alertmanager").unwrap(),
                true,
            )
            .await
            .unwrap();
        cachet
            .create_alert_rule(
                &op,
                issued.integration.id,
                AlertRuleSettings {
                    component_id: component,
                    matcher: AlertMatcher::parse("alertname=HighLatency, service=checkout")
                        .unwrap(),
                    status: ComponentStatus::MajorOutage,
                    template_id: None,
                    incident_title: Some(Name::parse("Checkout is slow").unwrap()),
                    incident_message: None,
                    resolution: Some(Markdown::parse("Checkout is fast again.").unwrap()),
                    hold_secs: 0,
                    recovery_hold_secs: 0,
                },
            )
            .await
            .unwrap();
        let background = cachet.start_background(Vec::new());
        let tcp = tokio::net::TcpListener::bind(("127.0.0.1", cachet_port))
            .await
            .unwrap();
        let app = cachet_axum::router::<()>(cachet.clone())
            .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(tcp, app).await });
        (cachet, issued.secret, component, background)
    });
    let component_path = format!("/api/v1/components/{component}");
    let status_now = || {
        let (code, body) = http(cachet_port, "GET", &component_path, &[], "");
        assert_eq!(code, 200, "{body}");
        json(&body)["data"]["status"].as_i64().unwrap()
    };
    assert_eq!(status_now(), 1);

    // Alertmanager, on a port of its own, delivering to the status page.
    let am_port = free_port();
    let config = alertmanager_config(dir.path(), cachet_port, &secret);
    let storage = dir.path().join("data");
    std::fs::create_dir_all(&storage).unwrap();
    let log = std::fs::File::create(dir.path().join("alertmanager.log")).unwrap();
    let _am = Process(
        Command::new(ALERTMANAGER)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", storage.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let log_of =
        || std::fs::read_to_string(dir.path().join("alertmanager.log")).unwrap_or_default();
    assert!(
        eventually(Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", am_port)).is_ok()
                && http(am_port, "GET", "/-/ready", &[], "").0 == 200
        }),
        "Alertmanager did not get ready; its log:\n{}",
        log_of()
    );

    // Firing.
    let started = chrono::Utc::now();
    let rfc =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    post_alert(
        am_port,
        &rfc(started),
        &rfc(started + chrono::TimeDelta::hours(1)),
    );
    let deadline = Duration::from_secs(60);
    let waited = Instant::now();
    assert!(
        eventually(deadline, || status_now() == 4),
        "no major outage after {:?}; Alertmanager's log:\n{}",
        waited.elapsed(),
        log_of()
    );
    println!(
        "outage shown {:?} after the alert was posted",
        waited.elapsed()
    );
    let (code, body) = http(cachet_port, "GET", "/api/v1/incidents", &[], "");
    assert_eq!(code, 200);
    let incidents = json(&body);
    assert_eq!(incidents["data"][0]["name"], "Checkout is slow", "{body}");
    let incident_path = format!("/api/v1/incidents/{}", incidents["data"][0]["id"]);

    // Resolved: the same alert with `endsAt` in the past.
    let resolved = Instant::now();
    post_alert(
        am_port,
        &rfc(started),
        &rfc(chrono::Utc::now() - chrono::TimeDelta::seconds(1)),
    );
    assert!(
        eventually(deadline, || status_now() == 1),
        "not operational again after {:?}; Alertmanager's log:\n{}",
        resolved.elapsed(),
        log_of()
    );
    println!(
        "operational {:?} after the resolution was posted",
        resolved.elapsed()
    );
    let (code, body) = http(cachet_port, "GET", &incident_path, &[], "");
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        json(&body)["data"]["status"],
        4,
        "the incident is fixed: {body}"
    );
    let audit = rt
        .block_on(cachet.audit_log(&Actor::operator(), cachet_core::store::AuditQuery::all()))
        .unwrap();
    assert!(
        audit
            .items
            .iter()
            .any(|e| e.actor == "integration:Alertmanager"),
        "written as the integration"
    );
}
