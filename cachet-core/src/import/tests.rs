//! The plan from hand-made source rows: mapping, rejection, skipping, fingerprints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::settings::date_style;
use super::*;
use crate::model::DateStyle;
use crate::secrets::SecretKey;

fn source(tables: &[(&'static str, Vec<Vec<Option<&str>>>)]) -> Source {
    Source {
        migrations: vec![CACHET_24_LAST_MIGRATION.to_owned()],
        rows: tables
            .iter()
            .map(|(name, rows)| {
                let t = SOURCE_TABLES.iter().find(|t| t.name == *name).unwrap();
                let rows = rows
                    .iter()
                    .map(|r| {
                        assert_eq!(r.len(), t.columns.len(), "{name}");
                        r.iter().map(|v| v.map(str::to_owned)).collect()
                    })
                    .collect();
                (t.name, rows)
            })
            .collect(),
        ..Source::default()
    }
}

/// A `components` row: operational, first, ungrouped and enabled.
fn component<'a>(
    id: &'a str,
    name: &'a str,
    stamped: Option<&'a str>,
    deleted: Option<&'a str>,
) -> Vec<Option<&'a str>> {
    vec![
        Some(id),
        Some(name),
        Some(""),
        None,
        Some("1"),
        Some("0"),
        Some("0"),
        Some("1"),
        None,
        stamped,
        stamped,
        deleted,
    ]
}

fn ring() -> Keyring {
    Keyring::new(1, SecretKey::from_bytes([7; 32]))
}

fn rows_of<'a>(p: &'a Plan, table: &str) -> &'a [Vec<Value>] {
    &p.dump
        .tables
        .iter()
        .find(|t| t.table.name == table)
        .unwrap()
        .rows
}

#[test]
fn other_versions_are_refused_naming_what_was_found() {
    let mut s = source(&[]);
    s.migrations = vec!["2016_10_30_182324_AlterTableIncidentsRemoveScheduledColumns".into()];
    let e = plan(&s, &ring(), chrono::Utc::now()).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("2016_10_30_182324") && text.contains(CACHET_24_LAST_MIGRATION),
        "{text}"
    );
    s.migrations.clear();
    assert!(
        plan(&s, &ring(), chrono::Utc::now())
            .unwrap_err()
            .to_string()
            .contains("empty")
    );
}

#[test]
fn rows_map_with_their_ids_and_bad_rows_are_reported() {
    let s = source(&[
        (
            "components",
            vec![
                component("7", "<script>x</script>", Some("2019-01-02 03:04:05"), None),
                component("8", "", None, None),
                component("9", "gone", None, Some("2019-01-01 00:00:00")),
            ],
        ),
        (
            "incident_updates",
            vec![vec![
                Some("3"),
                Some("99"),
                Some("1"),
                Some("x"),
                Some("1"),
                None,
                None,
            ]],
        ),
        (
            "settings",
            vec![
                vec![Some("1"), Some("app_name"), Some("Acme")],
                vec![Some("2"), Some("date_format"), Some("d/m/Y")],
                vec![Some("3"), Some("app_incident_days"), Some("999")],
                vec![Some("4"), Some("app_analytics"), Some("UA-1")],
            ],
        ),
    ]);
    let p = plan(&s, &ring(), chrono::Utc::now()).unwrap();
    let comps = rows_of(&p, "components");
    assert_eq!(comps.len(), 1);
    assert_eq!(comps[0][0], Value::Int(7));
    assert_eq!(comps[0][1], Value::Text("<script>x</script>".into()));
    assert_eq!(comps[0][9], Value::Int(1_546_398_245_000_000));
    let reported: Vec<String> = p.rejected.iter().map(ToString::to_string).collect();
    assert!(
        reported
            .iter()
            .any(|r| r.starts_with("components id 8: name")),
        "{reported:?}"
    );
    assert!(
        reported
            .iter()
            .any(|r| r == "incident_updates id 3: incident 99 is not imported"),
        "{reported:?}"
    );
    assert!(
        reported
            .iter()
            .any(|r| r.starts_with("settings id 3: app_incident_days")),
        "{reported:?}"
    );
    assert_eq!(p.skipped.get("components"), Some(&1));
    assert_eq!(p.skipped.get("settings"), Some(&1));
    let settings = rows_of(&p, "settings");
    assert!(settings.contains(&vec![
        Value::Text("date_format".into()),
        Value::Text("dmy".into())
    ]));
    assert_eq!(rows_of(&p, "audit_events").len(), 1);
}

#[test]
fn the_fingerprint_follows_the_content() {
    let a = source(&[(
        "settings",
        vec![vec![Some("1"), Some("app_name"), Some("A")]],
    )]);
    let b = source(&[(
        "settings",
        vec![vec![Some("1"), Some("app_name"), Some("B")]],
    )]);
    assert_eq!(a.fingerprint(), a.clone().fingerprint());
    assert_ne!(a.fingerprint(), b.fingerprint());
}

#[test]
fn php_date_patterns_map_to_the_nearest_style() {
    assert_eq!(date_style("jS F Y"), DateStyle::Medium);
    assert_eq!(date_style("Y-m-d"), DateStyle::Iso);
    assert_eq!(date_style("d/m/Y"), DateStyle::Dmy);
    assert_eq!(date_style("m/d/Y"), DateStyle::Mdy);
    assert_eq!(date_style("l jS F Y"), DateStyle::Medium);
}
