//! Portable backup and restore between every pair of backends: an archive exported from one
//! and restored into another exports again to the same bytes (apart from the manifest's
//! time), and the restored store reads and writes as the original did.
//!
//! SQLite (in memory and on file) always runs; PostgreSQL and MySQL run when
//! `CACHET_TEST_POSTGRES_URL` / `CACHET_TEST_MYSQL_URL` are set (a failure in CI when not).
//! Each store is a fresh schema or database with its own name, dropped at the end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::Arc;

use cachet_core::backup::{self, BackupError};
use cachet_core::model::*;
use cachet_core::store::backup::{ColumnType, Dump, TABLES, TableRows, Value};
use cachet_core::store::prelude::*;
use cachet_core::store::{PageRequest, StoreError, WriteContext, no_effects};
use cachet_core::validate::{HttpUrl, Locale, Markdown, Name};
use cachet_store::sqlx::{self, Connection};
use cachet_store::{MySqlStore, PgStore, SqliteStore};
use chrono::DateTime;

mod support;

use support::{sqlite_file_url, unique_name, url_from_env};

/// A fresh, empty store of one backend, and how to drop it afterwards.
struct Fresh {
    label: &'static str,
    store: Arc<dyn Store>,
    drop_sql: Option<(String, String)>,
}

impl Fresh {
    async fn drop_it(self) {
        drop(self.store);
        if let Some((url, sql)) = self.drop_sql {
            if url.starts_with("postgres") {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("pg admin");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .expect("drop schema");
            } else {
                let mut c = sqlx::MySqlConnection::connect(&url)
                    .await
                    .expect("mysql admin");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .expect("drop database");
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    SqliteMemory,
    SqliteFile,
    Postgres,
    MySql,
}

const BACKENDS: [Backend; 4] = [
    Backend::SqliteMemory,
    Backend::SqliteFile,
    Backend::Postgres,
    Backend::MySql,
];

async fn fresh(backend: Backend) -> Option<Fresh> {
    match backend {
        Backend::SqliteMemory => Some(Fresh {
            label: "sqlite-memory",
            store: Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap()),
            drop_sql: None,
        }),
        Backend::SqliteFile => {
            let url = sqlite_file_url("cachet-backup-tests", "b");
            Some(Fresh {
                label: "sqlite-file",
                store: Arc::new(SqliteStore::connect(&url).await.unwrap()),
                drop_sql: None,
            })
        }
        Backend::Postgres => {
            let url = url_from_env("CACHET_TEST_POSTGRES_URL")?;
            let schema = unique_name("cachet_bk_");
            let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&mut admin)
                .await
                .unwrap();
            admin.close().await.ok();
            let options = sqlx::postgres::PgConnectOptions::from_str(&url)
                .unwrap()
                .options([("search_path", schema.as_str())]);
            Some(Fresh {
                label: "postgres",
                store: Arc::new(PgStore::connect_with(options).await.unwrap()),
                drop_sql: Some((url, format!("DROP SCHEMA {schema} CASCADE"))),
            })
        }
        Backend::MySql => {
            let url = url_from_env("CACHET_TEST_MYSQL_URL")?;
            let database = unique_name("cachet_bk_");
            let mut admin = sqlx::MySqlConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )))
            .execute(&mut admin)
            .await
            .unwrap();
            admin.close().await.ok();
            let options = sqlx::mysql::MySqlConnectOptions::from_str(&url)
                .unwrap()
                .database(&database);
            Some(Fresh {
                label: "mysql",
                store: Arc::new(MySqlStore::connect_with(options).await.unwrap()),
                drop_sql: Some((url, format!("DROP DATABASE {database}"))),
            })
        }
    }
}

fn t(secs: i64) -> Timestamp {
    DateTime::from_timestamp(1_767_225_600 + secs, 0).unwrap()
}

fn cx(secs: i64) -> WriteContext {
    WriteContext::at(t(secs))
}

async fn export(store: &dyn Store) -> Vec<u8> {
    let mut out = Vec::new();
    backup::export(store, t(99_999), &mut out).await.unwrap();
    out
}

/// Everything after the manifest line.
fn body(archive: &[u8]) -> &[u8] {
    let i = archive.iter().position(|b| *b == b'\n').unwrap();
    &archive[i + 1..]
}

/// The manifest with its `created_at` blanked.
fn manifest_without_time(archive: &[u8]) -> backup::Manifest {
    let (mut m, _) = backup::decode(archive).unwrap();
    m.created_at = String::new();
    m
}

/// A dump with three rows in every table: ids 1, 2 and 1 000 000 (a gap, so id sequences
/// must move past it), every referencing column naming one of those ids, NULL in every
/// nullable column of the second row, Unicode and markup in text, and bytes covering 0..=255
/// across the rows.
fn synthetic_dump() -> Dump {
    let ids = [1_i64, 2, 1_000_000];
    let texts = ["Ünï ✓ <&'\"\n>", "", "r3\t\\ 🙂"];
    let tables = TABLES
        .iter()
        .map(|table| {
            let rows = (0..3)
                .map(|r| {
                    table
                        .columns
                        .iter()
                        .map(|c| {
                            if c.nullable && r == 1 {
                                return Value::Null;
                            }
                            match c.ty {
                                ColumnType::Int => Value::Int(ids[r]),
                                ColumnType::Bool => Value::Bool(r != 1),
                                ColumnType::Text => Value::Text(texts[r].to_owned()),
                                ColumnType::Bytes => Value::Bytes(
                                    (0..32).map(|i| (r as u8) * 85 + i as u8 * 2).collect(),
                                ),
                            }
                        })
                        .collect()
                })
                .collect();
            let mut t = TableRows { table, rows };
            t.sort_by_key();
            t
        })
        .collect();
    Dump {
        revision: 4242,
        tables,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_round_trips_between_every_pair_of_backends() {
    let dump = synthetic_dump();
    let mut reference = Vec::new();
    backup::encode(&dump, t(99_999), &mut reference).unwrap();
    let mut pairs = 0;
    for from in BACKENDS {
        let Some(src) = fresh(from).await else {
            continue;
        };
        src.store.load(&dump).await.unwrap();
        assert_eq!(src.store.revision().await.unwrap(), 4242);
        let archive = export(src.store.as_ref()).await;
        assert_eq!(
            body(&archive),
            body(&reference),
            "{}: the loaded dump exports as written",
            src.label
        );
        assert_eq!(
            manifest_without_time(&archive),
            manifest_without_time(&reference)
        );
        for to in BACKENDS {
            let Some(dst) = fresh(to).await else {
                continue;
            };
            let m = backup::restore(dst.store.as_ref(), &archive).await.unwrap();
            assert_eq!(m.row_count(), 3 * TABLES.len() as u64);
            let again = export(dst.store.as_ref()).await;
            assert_eq!(
                body(&again),
                body(&archive),
                "{} -> {}: the restored database exports the same bytes",
                src.label,
                dst.label
            );
            assert_eq!(
                manifest_without_time(&again),
                manifest_without_time(&archive)
            );
            pairs += 1;
            dst.drop_it().await;
        }
        src.drop_it().await;
    }
    assert!(pairs >= 4, "at least the SQLite pairs ran");
}

/// A small but real site, written through the store's own methods.
struct Site {
    component: Component,
    incident: Incident,
    subscriber: Subscriber,
    webhook: Webhook,
    rule: AlertRule,
}

async fn seed(store: &dyn Store) -> Site {
    let group = store
        .create_group(
            cx(1),
            &NewComponentGroup::named(Name::parse("Core").unwrap())
                .with_visible(GroupVisibility::Public),
            &no_effects,
        )
        .await
        .unwrap();
    let mut new = NewComponent::named(Name::parse("API").unwrap(), ComponentStatus::Operational);
    new.group_id = Some(group.id);
    let component = store
        .create_component(cx(2), &new, &no_effects)
        .await
        .unwrap();
    // A deleted component leaves a gap the restored sequence must respect.
    let gone = store
        .create_component(
            cx(3),
            &NewComponent::named(Name::parse("Old").unwrap(), ComponentStatus::Operational),
            &no_effects,
        )
        .await
        .unwrap();
    store
        .delete_component(cx(4), gone.id, &no_effects)
        .await
        .unwrap();
    let incident = store
        .create_incident(
            cx(5),
            &NewIncident::new(
                Name::parse("Ünïcode outage ✓").unwrap(),
                IncidentStatus::Investigating,
                Markdown::parse("We are *looking*.").unwrap(),
                t(5),
            )
            .with_components(vec![AffectedComponent {
                component_id: component.id,
                status: ComponentStatus::MajorOutage,
            }])
            .with_apply_component_status(true),
            &no_effects,
        )
        .await
        .unwrap();
    store
        .create_incident_update(
            cx(6),
            incident.id,
            &NewIncidentUpdate::new(IncidentStatus::Fixed, Markdown::parse("Fixed.").unwrap()),
            &no_effects,
        )
        .await
        .unwrap();
    let subscriber = store
        .create_subscriber(
            cx(7),
            &NewSubscriber::new(
                Sealed {
                    key_id: 3,
                    ciphertext: vec![1, 2, 3, 250, 0, 9],
                },
                BlindIndex([7; 32]),
                Locale::english(),
            )
            .with_verified_at(Some(t(7)))
            .with_components(vec![component.id]),
            &no_effects,
        )
        .await
        .unwrap();
    let webhook = store
        .create_webhook(
            cx(8),
            &NewWebhook::new(
                Name::parse("Hook").unwrap(),
                HttpUrl::parse("https://hooks.example.com/x").unwrap(),
                Sealed {
                    key_id: 4,
                    ciphertext: vec![9; 40],
                },
                WebhookEvents::of([WebhookEvent::ComponentStatus]).unwrap(),
            )
            // Not the default, so a restore that lost the column would show.
            .with_format(WebhookFormat::Mattermost),
            &no_effects,
        )
        .await
        .unwrap();
    store
        .put_settings(
            cx(9),
            &[(SettingKey::AppName, "Status ✓".to_owned())],
            &Default::default(),
        )
        .await
        .unwrap();
    let integration = store
        .create_integration(
            cx(10),
            &NewIntegration::new(
                IntegrationKind::Alertmanager,
                Name::parse("Prometheus").unwrap(),
                TokenHash([5; 32]),
            ),
            &no_effects,
        )
        .await
        .unwrap();
    let rule = store
        .create_alert_rule(
            cx(11),
            &NewAlertRule::new(
                integration.id,
                AlertRuleSettings {
                    component_id: component.id,
                    matcher: AlertMatcher::parse("alertname=Down").unwrap(),
                    status: ComponentStatus::PartialOutage,
                    template_id: None,
                    incident_title: Some(Name::parse("API down").unwrap()),
                    incident_message: None,
                    resolution: None,
                    hold_secs: 30,
                    recovery_hold_secs: 60,
                },
            ),
            &no_effects,
        )
        .await
        .unwrap();
    store
        .observe_alert(
            cx(12),
            &AlertObservation {
                rule_id: rule.id,
                key: AlertKey::parse("fp").unwrap(),
                firing: true,
                summary: "Down ✓".to_owned(),
            },
        )
        .await
        .unwrap();
    Site {
        rule,
        component: store.component(component.id).await.unwrap(),
        incident: store.incident(incident.id).await.unwrap(),
        subscriber,
        webhook,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_site_moves_from_sqlite_to_every_backend_and_keeps_working() {
    let src = fresh(Backend::SqliteFile).await.unwrap();
    let site = seed(src.store.as_ref()).await;
    let archive = export(src.store.as_ref()).await;
    let m = backup::decode(&archive).unwrap().0;
    assert_eq!(
        m.sealed_key_ids,
        vec![3, 4],
        "the manifest names the keys needed"
    );
    for to in BACKENDS {
        let Some(dst) = fresh(to).await else {
            continue;
        };
        let store = dst.store.as_ref();
        backup::restore(store, &archive).await.unwrap();
        assert_eq!(
            body(&export(store).await),
            body(&archive),
            "{}: same bytes",
            dst.label
        );
        assert_eq!(
            store.revision().await.unwrap(),
            src.store.revision().await.unwrap()
        );
        assert_eq!(
            store.component(site.component.id).await.unwrap(),
            site.component
        );
        assert_eq!(
            store.incident(site.incident.id).await.unwrap(),
            site.incident
        );
        let sub = store.subscriber(site.subscriber.id).await.unwrap();
        assert_eq!(sub, site.subscriber, "{}: sealed address kept", dst.label);
        assert_eq!(store.webhook(site.webhook.id).await.unwrap(), site.webhook);
        assert_eq!(store.alert_rule(site.rule.id).await.unwrap(), site.rule);
        assert_eq!(
            store.alert_states().await.unwrap().len(),
            1,
            "{}: the alert state moves with the backup",
            dst.label
        );
        let updates = store
            .incident_updates(site.incident.id, PageRequest::all())
            .await
            .unwrap();
        assert_eq!(updates.items.len(), 1);
        // New rows continue after the highest restored id (never an id already taken).
        let next = store
            .create_component(
                cx(100),
                &NewComponent::named(Name::parse("New").unwrap(), ComponentStatus::Operational),
                &no_effects,
            )
            .await
            .unwrap();
        assert!(
            next.id.0 > site.component.id.0,
            "{}: {:?}",
            dst.label,
            next.id
        );
        dst.drop_it().await;
    }
    src.drop_it().await;
}

/// `archive` as the first build with backups wrote it: before webhook endpoints chose their
/// events or formats (no `webhooks.events`, no `webhooks.format`) and before the alert
/// tables existed.
fn as_written_before_events_and_alerts(archive: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    const LATER_TABLES: [&str; 3] = ["integrations", "alert_rules", "alert_states"];
    let text = std::str::from_utf8(archive).unwrap();
    let (head, rest) = text.split_once('\n').unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(head).unwrap();
    let tables = manifest["tables"].as_array_mut().unwrap();
    tables.retain(|t| !LATER_TABLES.contains(&t["name"].as_str().unwrap()));
    for t in tables.iter_mut().filter(|t| t["name"] == "webhooks") {
        let columns = t["columns"].as_array_mut().unwrap();
        assert_eq!(columns.pop().unwrap(), "format:text");
        assert_eq!(columns.pop().unwrap(), "events:text");
    }
    let mut body = String::new();
    for line in rest.lines() {
        let mut row: serde_json::Value = serde_json::from_str(line).unwrap();
        let table = row["table"].as_str().unwrap().to_owned();
        if LATER_TABLES.contains(&table.as_str()) {
            continue;
        }
        if table == "webhooks" {
            row["row"].as_array_mut().unwrap().pop();
            row["row"].as_array_mut().unwrap().pop();
        }
        body.push_str(&serde_json::to_string(&row).unwrap());
        body.push('\n');
    }
    manifest["body_sha256"] = hex::encode(sha2::Sha256::digest(body.as_bytes())).into();
    format!("{manifest}\n{body}").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_from_an_older_build_restores_on_every_backend_as_the_migrations_leave_it() {
    let src = fresh(Backend::SqliteFile).await.unwrap();
    let site = seed(src.store.as_ref()).await;
    let old = as_written_before_events_and_alerts(&export(src.store.as_ref()).await);
    for to in BACKENDS {
        let Some(dst) = fresh(to).await else {
            continue;
        };
        let store = dst.store.as_ref();
        let manifest = backup::restore(store, &old).await.unwrap();
        assert_eq!(manifest.tables.len(), TABLES.len() - 3);
        // The endpoint receives every event, as migration 0005 gave endpoints made before it.
        let hook = store.webhook(site.webhook.id).await.unwrap();
        assert_eq!(hook.events, WebhookEvents::ALL, "{}", dst.label);
        // And the signed JSON, as migration 0007 gave them.
        assert_eq!(hook.format, WebhookFormat::Json, "{}", dst.label);
        assert_eq!(site.webhook.format, WebhookFormat::Mattermost);
        assert_eq!(
            Webhook {
                events: site.webhook.events,
                format: site.webhook.format,
                ..hook
            },
            site.webhook,
            "{}: the rest of the endpoint as it was",
            dst.label
        );
        // Tables created after the archive restore empty; everything else as it was.
        assert!(store.alert_states().await.unwrap().is_empty());
        assert_eq!(
            store.component(site.component.id).await.unwrap(),
            site.component
        );
        assert_eq!(
            store.subscriber(site.subscriber.id).await.unwrap(),
            site.subscriber
        );
        // Exported again, it is this build's archive and restores unchanged.
        let again = export(store).await;
        assert_eq!(backup::decode(&again).unwrap().0.tables.len(), TABLES.len());
        dst.drop_it().await;
    }
    src.drop_it().await;
}

#[tokio::test]
async fn an_archive_from_a_newer_build_is_refused_and_nothing_is_loaded() {
    let src = fresh(Backend::SqliteMemory).await.unwrap();
    seed(src.store.as_ref()).await;
    let archive = export(src.store.as_ref()).await;
    let text = std::str::from_utf8(&archive).unwrap();
    let (head, body) = text.split_once('\n').unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(head).unwrap();
    for t in manifest["tables"].as_array_mut().unwrap() {
        if t["name"] == "components" {
            t["columns"]
                .as_array_mut()
                .unwrap()
                .push("uptime:int".into());
        }
    }
    let newer = format!("{manifest}\n{body}");
    let dst = fresh(Backend::SqliteMemory).await.unwrap();
    let e = backup::restore(dst.store.as_ref(), newer.as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(e, BackupError::SchemaMismatch { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("column `components.uptime` is not in this build"),
        "{e}"
    );
    let (_, left) = backup::decode(&export(dst.store.as_ref()).await).unwrap();
    assert_eq!(left.row_count(), 0, "nothing was loaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_non_empty_database_and_changes_nothing() {
    let src = fresh(Backend::SqliteMemory).await.unwrap();
    seed(src.store.as_ref()).await;
    let archive = export(src.store.as_ref()).await;
    for to in BACKENDS {
        let Some(dst) = fresh(to).await else {
            continue;
        };
        let store = dst.store.as_ref();
        store
            .create_component(
                cx(1),
                &NewComponent::named(Name::parse("Mine").unwrap(), ComponentStatus::Operational),
                &no_effects,
            )
            .await
            .unwrap();
        let before = export(store).await;
        let e = backup::restore(store, &archive).await.unwrap_err();
        assert!(matches!(e, BackupError::NotEmpty), "{}: {e}", dst.label);
        assert!(e.to_string().contains("not empty"));
        assert_eq!(
            export(store).await,
            before,
            "{}: nothing changed",
            dst.label
        );
        dst.drop_it().await;
    }
    src.drop_it().await;
}

#[tokio::test]
async fn tampered_or_foreign_archives_are_refused_before_anything_is_loaded() {
    let src = fresh(Backend::SqliteMemory).await.unwrap();
    seed(src.store.as_ref()).await;
    let archive = export(src.store.as_ref()).await;
    let dst = fresh(Backend::SqliteMemory).await.unwrap();
    let store = dst.store.as_ref();

    let mut tampered = archive.clone();
    let i = tampered.len() - 10;
    tampered[i] = if tampered[i] == b'1' { b'2' } else { b'1' };
    let e = backup::restore(store, &tampered).await.unwrap_err();
    assert!(matches!(e, BackupError::ChecksumMismatch { .. }), "{e}");

    let truncated = &archive[..archive.len() - 40];
    let e = backup::restore(store, truncated).await.unwrap_err();
    assert!(matches!(e, BackupError::ChecksumMismatch { .. }), "{e}");

    let text = String::from_utf8(archive.clone()).unwrap();
    let v9 = text.replacen("\"version\":1,", "\"version\":9,", 1);
    let e = backup::restore(store, v9.as_bytes()).await.unwrap_err();
    assert!(
        matches!(e, BackupError::UnsupportedVersion { found: 9, .. }),
        "{e}"
    );

    let e = backup::restore(store, b"PRAGMA foo;\n").await.unwrap_err();
    assert!(matches!(e, BackupError::NotAnArchive { .. }), "{e}");

    // Nothing was loaded: the intact archive still restores.
    assert_eq!(store.revision().await.unwrap(), 0);
    backup::restore(store, &archive).await.unwrap();
    assert_eq!(body(&export(store).await), body(&archive));
}

#[tokio::test]
async fn a_failed_load_leaves_the_target_empty() {
    // A dump whose last table breaks a unique rule on load: the rows before it must not
    // stay behind.
    let mut dump = synthetic_dump();
    let last = dump.tables.last_mut().unwrap();
    let dup = last.rows[0].clone();
    last.rows.push(dup);
    let dst = fresh(Backend::SqliteMemory).await.unwrap();
    let e = dst.store.load(&dump).await.unwrap_err();
    assert!(!matches!(e, StoreError::Unsupported { .. }), "{e}");
    let after = dst.store.dump().await.unwrap();
    assert_eq!(after.row_count(), 0, "the failed load rolled back");
    assert_eq!(after.revision, 0);
}

#[tokio::test]
async fn the_memory_store_says_it_cannot_back_up() {
    let store = cachet_core::store::memory::MemoryStore::new();
    let mut out = Vec::new();
    let e = backup::export(&store, t(0), &mut out).await.unwrap_err();
    assert!(
        matches!(e, BackupError::Store(StoreError::Unsupported { .. })),
        "{e}"
    );
    assert!(out.is_empty());
}

/// The restore benchmark (BENCHMARKS.md, "Backup and restore"): a site with
/// `CACHET_BENCH_INCIDENTS` (100 000) incidents, each with one affected component and one
/// update, exported from SQLite and restored into a fresh database of every backend; prints
/// the archive's size and rows per second for the export, the archive check and the load.
/// Ignored by default: `cargo test --release -p cachet-store --test backup -- --ignored
/// --nocapture bench_`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by hand, see BENCHMARKS.md"]
async fn bench_restore_100k_incidents() {
    use std::time::Instant;

    let incidents: i64 = std::env::var("CACHET_BENCH_INCIDENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    // One real incident and update, written through the store, as the template rows.
    let seed_store = fresh(Backend::SqliteMemory).await.unwrap();
    let site = seed(seed_store.store.as_ref()).await;
    let template = seed_store.store.dump().await.unwrap();
    let row_of = |name: &str| {
        template
            .tables
            .iter()
            .find(|t| t.table.name == name)
            .and_then(|t| t.rows.first().cloned())
            .unwrap()
    };
    let (inc, link, upd) = (
        row_of("incidents"),
        row_of("incident_components"),
        row_of("incident_updates"),
    );
    let mut dump = template.clone();
    for table in &mut dump.tables {
        let rows = match table.table.name {
            "incidents" => (1..=incidents)
                .map(|i| {
                    let mut r = inc.clone();
                    r[0] = Value::Int(i);
                    r[2] = Value::Text(format!("Incident number {i}"));
                    r[8] = Value::Int(t(i).timestamp_micros());
                    r
                })
                .collect(),
            "incident_components" => (1..=incidents)
                .map(|i| {
                    let mut r = link.clone();
                    r[0] = Value::Int(i);
                    r
                })
                .collect(),
            "incident_updates" => (1..=incidents)
                .map(|i| {
                    let mut r = upd.clone();
                    r[0] = Value::Int(i);
                    r[1] = Value::Int(i);
                    r
                })
                .collect(),
            _ => continue,
        };
        table.rows = rows;
    }
    seed_store.drop_it().await;

    let src = fresh(Backend::SqliteFile).await.unwrap();
    src.store.load(&dump).await.unwrap();
    let rows = dump.row_count() as f64;
    let started = Instant::now();
    let archive = export(src.store.as_ref()).await;
    let export_s = started.elapsed().as_secs_f64();
    println!(
        "fixture: {incidents} incidents, {rows} rows; archive {:.1} MB; export from sqlite-file {:.2} s ({:.0} rows/s)",
        archive.len() as f64 / 1e6,
        export_s,
        rows / export_s
    );
    let started = Instant::now();
    let (_, decoded) = backup::decode(&archive).unwrap();
    let decode_s = started.elapsed().as_secs_f64();
    println!(
        "check and parse the archive: {decode_s:.2} s ({:.0} rows/s)",
        rows / decode_s
    );
    for to in BACKENDS {
        let Some(dst) = fresh(to).await else {
            continue;
        };
        let started = Instant::now();
        dst.store.load(&decoded).await.unwrap();
        let load_s = started.elapsed().as_secs_f64();
        println!(
            "restore into {:<13}: load {load_s:.2} s = {:.0} rows/s; with the archive check {:.0} rows/s",
            dst.label,
            rows / load_s,
            rows / (load_s + decode_s)
        );
        let back = dst.store.incident(site.incident.id).await.unwrap();
        assert_eq!(back.id, site.incident.id);
        dst.drop_it().await;
    }
    src.drop_it().await;
}

/// The columns each backend's migrated schema holds, as `(table without its prefix, column)`.
async fn schema_columns(backend: Backend) -> Option<std::collections::BTreeSet<(String, String)>> {
    let rows: Vec<(String, String)> = match backend {
        Backend::SqliteMemory | Backend::SqliteFile => {
            let url = sqlite_file_url("cachet-backup-tests", "s");
            drop(SqliteStore::connect(&url).await.unwrap());
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table'",
            )
            .fetch_all(&mut c)
            .await
            .unwrap()
        }
        Backend::Postgres => {
            let url = url_from_env("CACHET_TEST_POSTGRES_URL")?;
            let schema = unique_name("cachet_cols_");
            let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&mut admin)
                .await
                .unwrap();
            let options = sqlx::postgres::PgConnectOptions::from_str(&url)
                .unwrap()
                .options([("search_path", schema.as_str())]);
            drop(PgStore::connect_with(options).await.unwrap());
            let rows = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = $1",
            )
            .bind(&schema)
            .fetch_all(&mut admin)
            .await
            .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut admin)
                .await
                .unwrap();
            rows
        }
        Backend::MySql => {
            let url = url_from_env("CACHET_TEST_MYSQL_URL")?;
            let database = unique_name("cachet_cols_");
            let mut admin = sqlx::MySqlConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
                .execute(&mut admin)
                .await
                .unwrap();
            let options = sqlx::mysql::MySqlConnectOptions::from_str(&url)
                .unwrap()
                .database(&database);
            drop(MySqlStore::connect_with(options).await.unwrap());
            let rows = sqlx::query_as(
                "SELECT CAST(table_name AS CHAR), CAST(column_name AS CHAR) \
                 FROM information_schema.columns WHERE table_schema = ?",
            )
            .bind(&database)
            .fetch_all(&mut admin)
            .await
            .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {database}")))
                .execute(&mut admin)
                .await
                .unwrap();
            rows
        }
    };
    Some(
        rows.into_iter()
            .filter_map(|(table, column)| Some((table.strip_prefix("cachet_")?.to_owned(), column)))
            .collect(),
    )
}

/// A column added by a migration but missing from the backup's table list would be dropped by
/// every export without a word; the list must name exactly what each backend's schema holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_list_names_every_column_of_every_backends_schema() {
    let listed: std::collections::BTreeSet<(String, String)> = TABLES
        .iter()
        .flat_map(|t| {
            t.columns
                .iter()
                .map(|c| (t.name.to_owned(), c.name.to_owned()))
        })
        .collect();
    for backend in [Backend::SqliteFile, Backend::Postgres, Backend::MySql] {
        let Some(schema) = schema_columns(backend).await else {
            continue;
        };
        // The revision counter is the manifest's `revision`, not a table of rows.
        let schema: std::collections::BTreeSet<_> = schema
            .into_iter()
            .filter(|(table, _)| table != "revision")
            .collect();
        let missing: Vec<_> = schema.difference(&listed).collect();
        let extra: Vec<_> = listed.difference(&schema).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{backend:?}: columns not backed up {missing:?}; listed but not in the schema {extra:?}"
        );
    }
}
