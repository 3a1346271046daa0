//! Monitoring alert integrations, their rules and alert states.

use super::*;
use crate::testing::{ErrorKind, ensure, ensure_err};

fn new_integration(n: &str, secret: u8) -> Result<NewIntegration, Failure> {
    Ok(NewIntegration {
        kind: IntegrationKind::Alertmanager,
        name: name(n)?,
        enabled: true,
        secret_hash: hash(secret),
    })
}

fn settings(component: ComponentId, matcher: &str) -> Result<AlertRuleSettings, Failure> {
    Ok(AlertRuleSettings {
        component_id: component,
        matcher: AlertMatcher::parse(matcher).ctx("fixture matcher")?,
        status: ComponentStatus::MajorOutage,
        template_id: None,
        incident_title: None,
        incident_message: None,
        resolution: None,
        hold_secs: 0,
        recovery_hold_secs: 0,
    })
}

fn key(s: &str) -> Result<AlertKey, Failure> {
    AlertKey::parse(s).ctx("fixture alert key")
}

fn obs(
    rule: AlertRuleId,
    k: &str,
    firing: bool,
    summary: &str,
) -> Result<AlertObservation, Failure> {
    Ok(AlertObservation {
        rule_id: rule,
        key: key(k)?,
        firing,
        summary: summary.to_owned(),
    })
}

/// Create, read (by id and by secret hash), list, update (name, enabled, rotated secret)
/// and delete an integration; a second integration with a secret hash in use is a
/// `Conflict`, on create and on rotation.
pub async fn integrations_crud(store: &dyn Store) -> Result<(), Failure> {
    let new = new_integration("Prometheus", 1)?;
    let i = store
        .create_integration(cx(10), &new, &no_effects)
        .await
        .ctx("create_integration")?;
    let expected = Integration {
        id: i.id,
        kind: IntegrationKind::Alertmanager,
        name: name("Prometheus")?,
        enabled: true,
        secret_hash: hash(1),
        created_at: at(10),
        updated_at: at(10),
    };
    ensure_eq(&i, &expected, "created integration")?;
    ensure_eq(
        store.integration(i.id).await.ctx("integration")?,
        expected.clone(),
        "integration read back",
    )?;
    ensure_eq(
        store
            .integration_by_secret(&hash(1))
            .await
            .ctx("integration_by_secret")?,
        Some(expected.clone()),
        "integration by its secret",
    )?;
    ensure_eq(
        store
            .integration_by_secret(&hash(9))
            .await
            .ctx("integration_by_secret")?,
        None,
        "no integration for an unknown secret",
    )?;
    ensure_err(
        store
            .create_integration(cx(11), &new_integration("Again", 1)?, &no_effects)
            .await,
        ErrorKind::Conflict,
        "a secret hash in use",
    )?;
    let other = store
        .create_integration(
            cx(12),
            &NewIntegration {
                kind: IntegrationKind::UptimeKuma,
                ..new_integration("Kuma", 2)?
            },
            &no_effects,
        )
        .await
        .ctx("create_integration")?;
    ensure_eq(
        store.integrations().await.ctx("integrations")?,
        vec![expected.clone(), other.clone()],
        "integrations by id",
    )?;
    ensure_err(
        store
            .update_integration(
                cx(13),
                i.id,
                &IntegrationPatch {
                    secret_hash: Some(hash(2)),
                    ..IntegrationPatch::default()
                },
                &no_effects,
            )
            .await,
        ErrorKind::Conflict,
        "rotating to a secret hash in use",
    )?;
    let patch = IntegrationPatch {
        name: Some(name("Alertmanager")?),
        enabled: Some(false),
        secret_hash: Some(hash(3)),
    };
    let u = store
        .update_integration(cx(20), i.id, &patch, &no_effects)
        .await
        .ctx("update_integration")?;
    let expected = Integration {
        name: name("Alertmanager")?,
        enabled: false,
        secret_hash: hash(3),
        updated_at: at(20),
        ..expected
    };
    ensure_eq(&u, &expected, "updated integration")?;
    ensure_eq(
        store
            .integration_by_secret(&hash(1))
            .await
            .ctx("integration_by_secret")?,
        None,
        "the old secret after rotation",
    )?;
    store
        .delete_integration(cx(30), i.id, &no_effects)
        .await
        .ctx("delete_integration")?;
    ensure_err(
        store.integration(i.id).await,
        ErrorKind::NotFound,
        "integration after delete",
    )?;
    ensure_err(
        store.delete_integration(cx(31), i.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_eq(
        store.integrations().await.ctx("integrations")?,
        vec![other],
        "one integration left",
    )?;
    Ok(())
}

/// Create (unknown integration or component: `Invalid`, nothing written), read, list (all
/// and by integration), replace the settings of, and delete rules; deleting a rule, its
/// integration or its component deletes it with its alert states.
pub async fn alert_rules_crud(store: &dyn Store) -> Result<(), Failure> {
    let c1 = component(store, "API", 0).await?;
    let c2 = component(store, "Web", 0).await?;
    let i1 = store
        .create_integration(cx(1), &new_integration("One", 1)?, &no_effects)
        .await
        .ctx("create_integration")?;
    let i2 = store
        .create_integration(cx(1), &new_integration("Two", 2)?, &no_effects)
        .await
        .ctx("create_integration")?;
    let revision = store.revision().await.ctx("revision")?;
    ensure_err(
        store
            .create_alert_rule(
                cx(2),
                &NewAlertRule {
                    integration_id: IntegrationId(i2.id.0 + 100),
                    settings: settings(c1.id, "alertname=Down")?,
                },
                &no_effects,
            )
            .await,
        ErrorKind::Invalid,
        "rule of an unknown integration",
    )?;
    ensure_err(
        store
            .create_alert_rule(
                cx(2),
                &NewAlertRule {
                    integration_id: i1.id,
                    settings: settings(ComponentId(c2.id.0 + 100), "alertname=Down")?,
                },
                &no_effects,
            )
            .await,
        ErrorKind::Invalid,
        "rule of an unknown component",
    )?;
    ensure_eq(
        store.revision().await.ctx("revision")?,
        revision,
        "refused rule writes leave the revision",
    )?;
    let full = AlertRuleSettings {
        status: ComponentStatus::PartialOutage,
        template_id: Some(TemplateId(7)),
        incident_title: Some(name("API down")?),
        incident_message: Some(md("We are **on it**.")?),
        resolution: Some(md("Fixed.")?),
        hold_secs: 60,
        recovery_hold_secs: MAX_HOLD_SECS,
        ..settings(c1.id, "alertname=HighLatency, service=checkout")?
    };
    let r1 = store
        .create_alert_rule(
            cx(10),
            &NewAlertRule {
                integration_id: i1.id,
                settings: full.clone(),
            },
            &no_effects,
        )
        .await
        .ctx("create_alert_rule")?;
    let expected = AlertRule {
        id: r1.id,
        integration_id: i1.id,
        settings: full.clone(),
        created_at: at(10),
        updated_at: at(10),
    };
    ensure_eq(&r1, &expected, "created rule")?;
    ensure_eq(
        store.alert_rule(r1.id).await.ctx("alert_rule")?,
        expected.clone(),
        "rule read back",
    )?;
    let r2 = store
        .create_alert_rule(
            cx(11),
            &NewAlertRule {
                integration_id: i2.id,
                settings: settings(c2.id, "monitor=Web")?,
            },
            &no_effects,
        )
        .await
        .ctx("create_alert_rule")?;
    let r3 = store
        .create_alert_rule(
            cx(12),
            &NewAlertRule {
                integration_id: i1.id,
                settings: settings(c2.id, "alertname=WebDown")?,
            },
            &no_effects,
        )
        .await
        .ctx("create_alert_rule")?;
    ensure_eq(
        store.alert_rules(None).await.ctx("alert_rules")?,
        vec![expected.clone(), r2.clone(), r3.clone()],
        "all rules by id",
    )?;
    ensure_eq(
        store.alert_rules(Some(i1.id)).await.ctx("alert_rules")?,
        vec![expected.clone(), r3.clone()],
        "one integration's rules",
    )?;
    ensure_err(
        store
            .update_alert_rule(
                cx(20),
                r1.id,
                &settings(ComponentId(c2.id.0 + 100), "a=b")?,
                &no_effects,
            )
            .await,
        ErrorKind::Invalid,
        "moving a rule to an unknown component",
    )?;
    let replaced = settings(c2.id, "alertname=Other")?;
    let u = store
        .update_alert_rule(cx(20), r1.id, &replaced, &no_effects)
        .await
        .ctx("update_alert_rule")?;
    let expected = AlertRule {
        settings: replaced,
        updated_at: at(20),
        ..expected
    };
    ensure_eq(&u, &expected, "replaced settings (cleared optional ones)")?;
    ensure_eq(
        store.alert_rule(r1.id).await.ctx("alert_rule")?,
        expected.clone(),
        "replaced rule read back",
    )?;
    for r in [r1.id, r2.id, r3.id] {
        store
            .observe_alert(cx(21), &obs(r, "fp", true, "")?)
            .await
            .ctx("observe_alert")?;
    }
    store
        .delete_alert_rule(cx(30), r3.id, &no_effects)
        .await
        .ctx("delete_alert_rule")?;
    ensure_err(
        store.alert_rule(r3.id).await,
        ErrorKind::NotFound,
        "rule after delete",
    )?;
    ensure_err(
        store
            .observe_alert(cx(31), &obs(r3.id, "fp", true, "")?)
            .await,
        ErrorKind::Invalid,
        "observing under a deleted rule",
    )?;
    store
        .delete_integration(cx(32), i2.id, &no_effects)
        .await
        .ctx("delete_integration")?;
    ensure_err(
        store.alert_rule(r2.id).await,
        ErrorKind::NotFound,
        "rule of a deleted integration",
    )?;
    ensure_eq(
        store
            .alert_states()
            .await
            .ctx("alert_states")?
            .into_iter()
            .map(|s| s.rule_id)
            .collect::<Vec<_>>(),
        vec![r1.id],
        "states of deleted rules are gone",
    )?;
    store
        .delete_component(cx(33), c2.id, &no_effects)
        .await
        .ctx("delete_component")?;
    ensure_err(
        store.alert_rule(r1.id).await,
        ErrorKind::NotFound,
        "rule of a deleted component",
    )?;
    ensure_eq(
        store.alert_states().await.ctx("alert_states")?,
        vec![],
        "no state left",
    )?;
    Ok(())
}

/// What a delivery says of an alert: a first firing word makes a row (not confirmed), the
/// same word again changes nothing, the other word flips it and restarts `since`, a
/// resolution of an unknown alert writes nothing. Settling is a compare-and-set on the
/// (firing, since) read: a firing row becomes confirmed, a resolved one is deleted, and a
/// stale read changes nothing. None of it moves the revision.
pub async fn alert_states_observe_and_settle(store: &dyn Store) -> Result<(), Failure> {
    let c = component(store, "API", 0).await?;
    let i = store
        .create_integration(cx(1), &new_integration("One", 1)?, &no_effects)
        .await
        .ctx("create_integration")?;
    let r = store
        .create_alert_rule(
            cx(1),
            &NewAlertRule {
                integration_id: i.id,
                settings: settings(c.id, "alertname=Down")?,
            },
            &no_effects,
        )
        .await
        .ctx("create_alert_rule")?;
    let revision = store.revision().await.ctx("revision")?;
    ensure(
        !store
            .observe_alert(cx(5), &obs(r.id, "never", false, "")?)
            .await
            .ctx("observe_alert")?,
        "a resolution of an unknown alert changes nothing",
    )?;
    ensure(
        store
            .observe_alert(cx(10), &obs(r.id, "fp-1", true, "Latency is high ☁")?)
            .await
            .ctx("observe_alert")?,
        "a first firing word changes the state",
    )?;
    ensure(
        !store
            .observe_alert(cx(20), &obs(r.id, "fp-1", true, "again")?)
            .await
            .ctx("observe_alert")?,
        "a repeated firing word changes nothing",
    )?;
    let first = AlertState {
        rule_id: r.id,
        key: key("fp-1")?,
        firing: true,
        since: at(10),
        confirmed: false,
        summary: "Latency is high ☁".to_owned(),
    };
    ensure_eq(
        store.alert_states().await.ctx("alert_states")?,
        vec![first.clone()],
        "one state, as first said",
    )?;
    ensure(
        !store
            .settle_alert(r.id, &first.key, true, at(9))
            .await
            .ctx("settle_alert")?,
        "settling a stale read changes nothing",
    )?;
    ensure(
        store
            .settle_alert(r.id, &first.key, true, at(10))
            .await
            .ctx("settle_alert")?,
        "settling what was read",
    )?;
    let confirmed = AlertState {
        confirmed: true,
        ..first.clone()
    };
    ensure_eq(
        store.alert_states().await.ctx("alert_states")?,
        vec![confirmed.clone()],
        "confirmed",
    )?;
    ensure(
        store
            .observe_alert(cx(30), &obs(r.id, "fp-1", false, "ok")?)
            .await
            .ctx("observe_alert")?,
        "a resolution flips the state",
    )?;
    ensure(
        !store
            .observe_alert(cx(31), &obs(r.id, "fp-1", false, "ok")?)
            .await
            .ctx("observe_alert")?,
        "a repeated resolution changes nothing",
    )?;
    let resolved = AlertState {
        firing: false,
        since: at(30),
        summary: "ok".to_owned(),
        ..confirmed
    };
    ensure_eq(
        store.alert_states().await.ctx("alert_states")?,
        vec![resolved.clone()],
        "resolved, still confirmed until its recovery hold ends",
    )?;
    ensure(
        !store
            .settle_alert(r.id, &resolved.key, true, at(30))
            .await
            .ctx("settle_alert")?,
        "settling the wrong word changes nothing",
    )?;
    store
        .observe_alert(cx(40), &obs(r.id, "fp-2", true, "")?)
        .await
        .ctx("observe_alert")?;
    ensure(
        store
            .settle_alert(r.id, &resolved.key, false, at(30))
            .await
            .ctx("settle_alert")?,
        "settling a resolution",
    )?;
    ensure_eq(
        store
            .alert_states()
            .await
            .ctx("alert_states")?
            .into_iter()
            .map(|s| s.key)
            .collect::<Vec<_>>(),
        vec![key("fp-2")?],
        "a settled resolution is deleted, other alerts stay",
    )?;
    ensure_err(
        store
            .observe_alert(cx(50), &obs(AlertRuleId(r.id.0 + 100), "x", true, "")?)
            .await,
        ErrorKind::Invalid,
        "an unknown rule",
    )?;
    ensure_eq(
        store.revision().await.ctx("revision")?,
        revision,
        "alert states are bookkeeping: the revision stays",
    )?;
    Ok(())
}
