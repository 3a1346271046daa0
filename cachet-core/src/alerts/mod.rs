//! Monitoring alerts move component statuses: the native webhooks of Prometheus
//! Alertmanager, Grafana alerting, Uptime Kuma, Gatus and a generic JSON push.
//!
//! An [`Integration`] is one sender, authenticated by its own secret (256 random bits, shown
//! once, stored as its SHA-256 like an API token). Its rules ([`AlertRuleSettings`](crate::model::AlertRuleSettings)) map an
//! alert, by label equality, to a component and the status it has while the alert fires,
//! optionally with an incident opened when the component leaves operational and resolved
//! when it recovers, and with hold times both ways so a flapping check does not spam
//! subscribers.
//!
//! [`receive`] authenticates a delivery by the secret alone (an unknown and a wrong secret
//! are the same refusal), reads the sender's payload ([`payload`]) and records what it says
//! of each alert a rule matches in the store ([`AlertStore::observe_alert`](crate::store::AlertStore::observe_alert)): what the sender
//! last said and since when. A repeated delivery (Alertmanager resends every
//! `repeat_interval`) changes no row, so it changes nothing and notifies nobody. Hold times
//! are judged by [`evaluate`], which a delivery that changed something runs at once and the
//! library's background work runs every [`INTERVAL`]: the stored `since` is compared with
//! the facade's [`Clock`](crate::clock::Clock) (tests move a manual clock), so a hold time
//! survives a restart and any instance behind a load balancer may finish it. Several alerts
//! on one component: the worst status wins, and the component returns to operational only
//! when none fires. Every write goes through the facade as the actor
//! `integration:<name>`, which may write content and nothing else, with host health's
//! episode rules ([`crate::host_health`]): one incident per episode, marked in its meta with
//! [`INCIDENT_MARKER`] so another instance or a restart adopts it, and a status someone set
//! by hand is not undone.

mod manage;
pub mod payload;
pub mod signature;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::watch;

pub use manage::IssuedSecret;
pub use payload::{Incoming, PayloadError};

use crate::auth::tokens::hash_secret;
use crate::host_health::episode::{Applied, Episode, Opening};
use crate::host_health::window::hold_passed;
use crate::model::{
    AlertObservation, AlertRule, AlertRuleId, AlertState, ComponentId, ComponentStatus,
    Integration, IntegrationId, IntegrationKind,
};
use crate::store::StoreError;
use crate::validate::{Markdown, Name};
use crate::{Actor, Cachet, Error};

/// The meta key that marks an incident an alert rule opened, with the component's id.
pub const INCIDENT_MARKER: &str = "cachet_alerts";

/// What every integration secret starts with, so a leaked one is recognisable.
pub const SECRET_PREFIX: &str = "cachet_alert_";

/// How often the background work judges hold times.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// No integration has this secret (or none was given): the same answer either way.
    #[error("authentication is required")]
    Unauthenticated,
    /// The secret belongs to an integration of another kind: the sender posts to the wrong
    /// address.
    #[error("path: this integration takes {expected} deliveries; post to its address")]
    WrongKind {
        /// The integration's kind.
        expected: IntegrationKind,
    },
    /// The payload breaks a rule.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The store failed.
    #[error(transparent)]
    Facade(#[from] Error),
}

impl From<StoreError> for AlertError {
    fn from(e: StoreError) -> Self {
        Self::Facade(e.into())
    }
}

/// What one delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Receipt {
    /// Alerts in the payload.
    pub alerts: usize,
    /// Alert x rule pairs that matched.
    pub matched: usize,
    /// Of those, how many changed a stored state (0 for a repeated delivery).
    pub changed: usize,
    /// Whether the integration is disabled (then nothing is recorded).
    pub disabled: bool,
}

/// What one [`evaluate`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlertReport {
    /// Alert states whose hold time ended and were settled.
    pub settled: usize,
    /// Components whose status this evaluation changed.
    pub changed: usize,
    /// Incidents opened.
    pub opened: usize,
    /// Incidents resolved.
    pub resolved: usize,
    /// Components whose write failed (tried again next time).
    pub failed: usize,
}

/// Takes one delivery of a `kind` sender that presented `secret`.
///
/// # Errors
///
/// [`AlertError::Unauthenticated`] for a secret no integration has (checked before the body
/// is read), [`AlertError::WrongKind`], [`AlertError::Payload`] naming the field,
/// [`AlertError::Facade`] when the store fails.
pub async fn receive(
    cachet: &Cachet,
    kind: IntegrationKind,
    secret: &str,
    body: &[u8],
) -> Result<(Integration, Receipt), AlertError> {
    let integration = authenticate(cachet, secret).await?;
    let receipt = accept(cachet, &integration, kind, body).await?;
    Ok((integration, receipt))
}

/// Takes one delivery for an integration already authenticated ([`authenticate`]; the web
/// layer checks a signature in between).
///
/// # Errors
///
/// [`AlertError::WrongKind`], [`AlertError::Payload`] naming the field,
/// [`AlertError::Facade`] when the store fails.
pub async fn accept(
    cachet: &Cachet,
    integration: &Integration,
    kind: IntegrationKind,
    body: &[u8],
) -> Result<Receipt, AlertError> {
    if integration.kind != kind {
        return Err(AlertError::WrongKind {
            expected: integration.kind,
        });
    }
    let alerts = payload::parse(kind, body)?;
    let mut receipt = Receipt {
        alerts: alerts.len(),
        ..Receipt::default()
    };
    if !integration.enabled {
        receipt.disabled = true;
        return Ok(receipt);
    }
    let store = cachet.store();
    let rules = store.alert_rules(Some(integration.id)).await?;
    for alert in &alerts {
        let Some(firing) = alert.firing else {
            continue;
        };
        for rule in rules
            .iter()
            .filter(|r| r.settings.matcher.matches(&alert.labels))
        {
            receipt.matched += 1;
            let obs = AlertObservation {
                rule_id: rule.id,
                key: alert.key(),
                firing,
                summary: alert.summary.clone(),
            };
            match store.observe_alert(cachet.cx(), &obs).await {
                Ok(true) => receipt.changed += 1,
                Ok(false) => {}
                // The rule was deleted since it was read: nothing to record.
                Err(StoreError::Invalid { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    if receipt.changed > 0 {
        // A rule without a hold time takes effect with the delivery, not a tick later.
        let report = evaluate(cachet).await;
        if report.failed > 0 {
            tracing::warn!(target: "cachet::alerts", failed = report.failed, "an alert could not update its component yet; the background work retries");
        }
    }
    Ok(receipt)
}

/// The integration whose secret this is, compared by its SHA-256 (the stored form).
///
/// # Errors
///
/// [`AlertError::Unauthenticated`], [`AlertError::Facade`].
pub async fn authenticate(cachet: &Cachet, secret: &str) -> Result<Integration, AlertError> {
    if !secret.starts_with(SECRET_PREFIX) {
        return Err(AlertError::Unauthenticated);
    }
    cachet
        .store()
        .integration_by_secret(&hash_secret(secret))
        .await?
        .ok_or(AlertError::Unauthenticated)
}

/// A stored state whose hold time has ended, to settle after the component follows.
struct Due {
    state: AlertState,
}

/// Judges every stored alert state against its rule's hold times and moves the components
/// whose alerts settled. One evaluation at a time per facade; a failed component write is
/// logged and retried next time (its states stay unsettled).
pub async fn evaluate(cachet: &Cachet) -> AlertReport {
    let _one_at_a_time = cachet.alerts_lock().lock().await;
    let mut report = AlertReport::default();
    match evaluate_locked(cachet, &mut report).await {
        Ok(()) => {}
        Err(e) => {
            // Counted, and warned about once per failing streak by the caller.
            report.failed += 1;
            tracing::debug!(target: "cachet::alerts", error = %crate::log::Escaped(&e), "alert states could not be read");
        }
    }
    report
}

async fn evaluate_locked(cachet: &Cachet, report: &mut AlertReport) -> Result<(), StoreError> {
    let store = cachet.store();
    let integrations: HashMap<IntegrationId, Integration> = store
        .integrations()
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let rules: HashMap<AlertRuleId, AlertRule> = store
        .alert_rules(None)
        .await?
        .into_iter()
        .filter(|r| {
            integrations
                .get(&r.integration_id)
                .is_some_and(|i| i.enabled)
        })
        .map(|r| (r.id, r))
        .collect();
    let states = store.alert_states().await?;
    let now = cachet.now();
    let secs = |s: u32| TimeDelta::seconds(i64::from(s));
    // Per component: the states of its rules, and which of them are due.
    let mut by_component: BTreeMap<ComponentId, (Vec<&AlertState>, Vec<Due>)> = BTreeMap::new();
    for state in &states {
        let Some(rule) = rules.get(&state.rule_id) else {
            continue;
        };
        let hold = match (state.firing, state.confirmed) {
            (true, false) => Some(secs(rule.settings.hold_secs)),
            (false, true) => Some(secs(rule.settings.recovery_hold_secs)),
            // Resolved before its hold ended: it never showed, and goes at once.
            (false, false) => Some(TimeDelta::zero()),
            (true, true) => None,
        };
        let entry = by_component.entry(rule.settings.component_id).or_default();
        entry.0.push(state);
        if hold.is_some_and(|h| hold_passed(state.since, now, h)) {
            entry.1.push(Due {
                state: state.clone(),
            });
        }
    }
    for (component, (all, due)) in by_component {
        if due.is_empty() {
            continue;
        }
        let is_due = |s: &AlertState| due.iter().any(|d| d.state == *s);
        // What shows now (confirmed states, a resolved one until its recovery hold ends)
        // and what will once the due states settle.
        let before: Vec<&AlertState> = all.iter().copied().filter(|s| s.confirmed).collect();
        let after: Vec<&AlertState> = all
            .iter()
            .copied()
            .filter(|s| if is_due(s) { s.firing } else { s.confirmed })
            .collect();
        let worst = |shown: &[&AlertState]| {
            shown
                .iter()
                .filter_map(|s| rules.get(&s.rule_id))
                .map(|r| r.settings.status)
                .max_by_key(|s| s.severity())
                .unwrap_or(ComponentStatus::Operational)
        };
        let (was, desired) = (worst(&before), worst(&after));
        if was != desired {
            // The integration named in the audit log: the one whose alert caused the change.
            let cause = due
                .iter()
                .filter_map(|d| rules.get(&d.state.rule_id))
                .find_map(|r| integrations.get(&r.integration_id));
            let actor = Actor::integration(cause.map_or("unknown", |i| i.name.as_str()));
            let opening = match after
                .iter()
                .filter_map(|s| rules.get(&s.rule_id).map(|r| (s, r)))
                .find(|(_, r)| r.settings.opens_incident())
            {
                Some((state, rule)) => {
                    opening(cachet, &actor, component, rule, state, desired).await
                }
                None => None,
            };
            let resolution = all
                .iter()
                .filter_map(|s| rules.get(&s.rule_id))
                .find_map(|r| r.settings.resolution.clone());
            let episode = Episode {
                cachet,
                actor,
                marker: INCIDENT_MARKER,
            };
            let mut applied = Applied {
                status: Some(was),
                incident: None,
            };
            match episode
                .apply(component, &mut applied, desired, opening, resolution)
                .await
            {
                Ok(outcome) => {
                    report.changed += 1;
                    report.opened += usize::from(outcome.opened);
                    report.resolved += usize::from(outcome.resolved);
                }
                Err(Error::NotFound { .. }) => {
                    // The component went away with its rules; nothing to move.
                }
                Err(e) => {
                    report.failed += 1;
                    tracing::debug!(target: "cachet::alerts", component = component.get(), error = %crate::log::Escaped(&e), "an alert could not update its component");
                    continue;
                }
            }
        }
        for d in &due {
            let s = &d.state;
            if store
                .settle_alert(s.rule_id, &s.key, s.firing, s.since)
                .await?
            {
                report.settled += 1;
            }
        }
    }
    Ok(())
}

/// The incident a firing rule opens: its template rendered with the alert's variables, or
/// its title and message.
async fn opening(
    cachet: &Cachet,
    actor: &Actor,
    component: ComponentId,
    rule: &AlertRule,
    state: &AlertState,
    status: ComponentStatus,
) -> Option<Opening> {
    let s = &rule.settings;
    let component_name = cachet
        .component(actor, component)
        .await
        .map(|c| c.name.as_str().to_owned())
        .unwrap_or_default();
    let fallback_title = || {
        Name::parse(&format!("{component_name}: {}", status.label()))
            .or_else(|_| Name::parse(status.label()))
            .ok()
    };
    let summary_md =
        || Markdown::parse(&crate::template::escape_markdown(&state.summary)).unwrap_or_default();
    if let Some(t) = s.template_id
        && let Ok(template) = cachet.store().template(t).await
    {
        let mut vars = crate::template::Vars::new();
        let _ = vars.insert("component", &component_name);
        let _ = vars.insert("status", status.label());
        let _ = vars.insert("summary", &state.summary);
        let message =
            crate::template::render(&template.template, &vars).unwrap_or_else(|_| summary_md());
        return Some(Opening {
            title: template.name,
            message,
        });
    }
    // A template deleted since the rule was saved: the rule's title, or one made up.
    Some(Opening {
        title: s.incident_title.clone().or_else(fallback_title)?,
        message: s.incident_message.clone().unwrap_or_else(summary_md),
    })
}

/// Judges hold times every [`INTERVAL`] until `stop` turns true; quiet on a store without
/// the alert area.
pub(crate) async fn run(cachet: Cachet, mut stop: watch::Receiver<bool>) {
    // A store outage fails every evaluation: one warning when it starts, one line when it
    // ends, rather than one every interval.
    let mut failing = false;
    loop {
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => return,
            () = tokio::time::sleep(INTERVAL) => {}
        }
        if matches!(
            cachet.store().alert_states().await,
            Err(StoreError::Unsupported { .. })
        ) {
            tracing::debug!(target: "cachet::alerts", "the store keeps no alert states: alert evaluation stops");
            return;
        }
        let report = evaluate(&cachet).await;
        if report.failed > 0 && !failing {
            tracing::warn!(target: "cachet::alerts", failed = report.failed, "alert evaluation fails (the store?); it is retried every interval");
        } else if report.failed == 0 && failing {
            tracing::info!(target: "cachet::alerts", "alert evaluation works again");
        }
        failing = report.failed > 0;
        tracing::debug!(
            target: "cachet::alerts",
            settled = report.settled,
            changed = report.changed,
            opened = report.opened,
            resolved = report.resolved,
            failed = report.failed,
            "alert evaluation"
        );
    }
}
