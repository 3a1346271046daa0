//! Monitoring alert integrations, their rules and alert states.
//!
//! Integration and rule writes are content writes (revision bump first, effects in the same
//! transaction), as the webhook area's are. Alert states are bookkeeping: each delivery's
//! word is one short transaction that reads its row under a lock and writes only when the
//! state changed, and settling is one compare-and-set statement.

use cachet_core::model::*;
use cachet_core::store::{Changed, EffectsFn, StoreError, StoreResult, WriteContext};
use cachet_core::validate::{Markdown, Name};

use super::{apply_effects, bump, exists};
use crate::args::args;
use crate::error::{backend, conflict, invalid, not_found};
use crate::rows::{check, hash32, models, ts};
use crate::sql::Dialect;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct IntegrationRow {
    id: i64,
    kind: String,
    name: String,
    enabled: bool,
    secret_hash: Vec<u8>,
    created_at: i64,
    updated_at: i64,
}

impl IntegrationRow {
    fn into_model(self) -> StoreResult<Integration> {
        const E: &str = "integration";
        Ok(Integration {
            id: IntegrationId(self.id),
            kind: check(E, "kind", IntegrationKind::parse(&self.kind))?,
            name: check(E, "name", Name::parse(&self.name))?,
            enabled: self.enabled,
            secret_hash: TokenHash(hash32(E, "secret_hash", self.secret_hash)?),
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AlertRuleRow {
    id: i64,
    integration_id: i64,
    component_id: i64,
    matcher: String,
    status: i64,
    template_id: Option<i64>,
    incident_title: Option<String>,
    incident_message: Option<String>,
    resolution: Option<String>,
    hold_secs: i64,
    recovery_hold_secs: i64,
    created_at: i64,
    updated_at: i64,
}

impl AlertRuleRow {
    fn into_model(self) -> StoreResult<AlertRule> {
        const E: &str = "alert_rule";
        let hold = |field: &str, secs: i64| {
            check(E, field, u32::try_from(secs)).and_then(|s| {
                if s > MAX_HOLD_SECS {
                    Err(StoreError::corrupt(E, format!("{field}: too long")))
                } else {
                    Ok(s)
                }
            })
        };
        Ok(AlertRule {
            id: AlertRuleId(self.id),
            integration_id: IntegrationId(self.integration_id),
            settings: AlertRuleSettings {
                component_id: ComponentId(self.component_id),
                matcher: check(E, "matcher", AlertMatcher::from_json(&self.matcher))?,
                status: check(E, "status", ComponentStatus::from_code(self.status))?,
                template_id: self.template_id.map(TemplateId),
                incident_title: self
                    .incident_title
                    .map(|t| check(E, "incident_title", Name::parse(&t)))
                    .transpose()?,
                incident_message: self
                    .incident_message
                    .map(|t| check(E, "incident_message", Markdown::parse(&t)))
                    .transpose()?,
                resolution: self
                    .resolution
                    .map(|t| check(E, "resolution", Markdown::parse(&t)))
                    .transpose()?,
                hold_secs: hold("hold_secs", self.hold_secs)?,
                recovery_hold_secs: hold("recovery_hold_secs", self.recovery_hold_secs)?,
            },
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AlertStateRow {
    rule_id: i64,
    alert_key: String,
    firing: bool,
    since: i64,
    confirmed: bool,
    summary: String,
}

impl AlertStateRow {
    fn into_model(self) -> StoreResult<AlertState> {
        const E: &str = "alert_state";
        if self.summary.chars().count() > AlertObservation::MAX_SUMMARY_CHARS
            || self.summary.chars().any(cachet_core::log::needs_escape)
        {
            return Err(StoreError::corrupt(E, "summary: not a clean single line"));
        }
        Ok(AlertState {
            rule_id: AlertRuleId(self.rule_id),
            key: check(E, "alert_key", AlertKey::parse(&self.alert_key))?,
            firing: self.firing,
            since: ts(E, self.since)?,
            confirmed: self.confirmed,
            summary: self.summary,
        })
    }
}

async fn get_integration<D: Dialect>(
    c: &mut D::Conn,
    id: IntegrationId,
) -> StoreResult<Integration> {
    D::fetch_opt::<IntegrationRow>(
        c,
        D::sql("SELECT * FROM cachet_integrations WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("integration", id.0))?
    .into_model()
}

async fn get_rule<D: Dialect>(c: &mut D::Conn, id: AlertRuleId) -> StoreResult<AlertRule> {
    D::fetch_opt::<AlertRuleRow>(
        c,
        D::sql("SELECT * FROM cachet_alert_rules WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("alert_rule", id.0))?
    .into_model()
}

async fn secret_taken<D: Dialect>(
    c: &mut D::Conn,
    hash: &TokenHash,
    except: i64,
) -> StoreResult<bool> {
    Ok(D::int(
        c,
        D::sql("SELECT COUNT(*) FROM cachet_integrations WHERE secret_hash = ? AND id <> ?"),
        args![&hash.0[..], except],
    )
    .await?
        > 0)
}

async fn check_component<D: Dialect>(c: &mut D::Conn, s: &AlertRuleSettings) -> StoreResult<()> {
    if !exists::<D>(
        c,
        "SELECT COUNT(*) FROM cachet_components WHERE id = ?",
        s.component_id.0,
    )
    .await?
    {
        return Err(invalid("unknown component"));
    }
    Ok(())
}

// ---- integrations ------------------------------------------------------------------------------

pub(crate) async fn integration<D: Dialect>(db: &D, id: IntegrationId) -> StoreResult<Integration> {
    let mut c = db.read().await?;
    get_integration::<D>(&mut c, id).await
}

pub(crate) async fn integration_by_secret<D: Dialect>(
    db: &D,
    hash: &TokenHash,
) -> StoreResult<Option<Integration>> {
    let mut c = db.read().await?;
    D::fetch_opt::<IntegrationRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_integrations WHERE secret_hash = ?"),
        args![&hash.0[..]],
    )
    .await?
    .map(IntegrationRow::into_model)
    .transpose()
}

pub(crate) async fn integrations<D: Dialect>(db: &D) -> StoreResult<Vec<Integration>> {
    let mut c = db.read().await?;
    let rows = D::fetch::<IntegrationRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_integrations ORDER BY id"),
        vec![],
    )
    .await?;
    models(rows, IntegrationRow::into_model)
}

pub(crate) async fn create_integration<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewIntegration,
    fx: &EffectsFn<'_, Integration>,
) -> StoreResult<Integration> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    if secret_taken::<D>(&mut tx, &new.secret_hash, 0).await? {
        return Err(conflict("integration", "secret"));
    }
    let id = D::insert(
        &mut tx,
        "INSERT INTO cachet_integrations (kind, name, enabled, secret_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        args![
            new.kind.as_str(),
            new.name.as_str(),
            new.enabled,
            &new.secret_hash.0[..],
            cx.now,
            cx.now,
        ],
    )
    .await?;
    let integration = Integration {
        id: IntegrationId(id),
        kind: new.kind,
        name: new.name.clone(),
        enabled: new.enabled,
        secret_hash: new.secret_hash,
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&integration)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(integration)
}

pub(crate) async fn update_integration<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: IntegrationId,
    patch: &IntegrationPatch,
    fx: &EffectsFn<'_, Changed<Integration>>,
) -> StoreResult<Integration> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_integration::<D>(&mut tx, id).await?;
    if let Some(hash) = &patch.secret_hash
        && secret_taken::<D>(&mut tx, hash, id.0).await?
    {
        return Err(conflict("integration", "secret"));
    }
    let mut after = before.clone();
    patch.apply_to(&mut after);
    after.updated_at = cx.now;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_integrations SET name = ?, enabled = ?, secret_hash = ?, updated_at = ? WHERE id = ?"),
        args![
            after.name.as_str(),
            after.enabled,
            &after.secret_hash.0[..],
            after.updated_at,
            id.0,
        ],
    )
    .await?;
    apply_effects::<D>(
        &mut tx,
        cx.now,
        fx(&Changed {
            before,
            after: after.clone(),
        }),
    )
    .await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(after)
}

pub(crate) async fn delete_integration<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: IntegrationId,
    fx: &EffectsFn<'_, Integration>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let integration = get_integration::<D>(&mut tx, id).await?;
    for s in [
        "DELETE FROM cachet_alert_states WHERE rule_id IN (SELECT id FROM cachet_alert_rules WHERE integration_id = ?)",
        "DELETE FROM cachet_alert_rules WHERE integration_id = ?",
        "DELETE FROM cachet_integrations WHERE id = ?",
    ] {
        D::exec(&mut tx, D::sql(s), args![id.0]).await?;
    }
    apply_effects::<D>(&mut tx, cx.now, fx(&integration)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

// ---- rules -------------------------------------------------------------------------------------

pub(crate) async fn alert_rule<D: Dialect>(db: &D, id: AlertRuleId) -> StoreResult<AlertRule> {
    let mut c = db.read().await?;
    get_rule::<D>(&mut c, id).await
}

pub(crate) async fn alert_rules<D: Dialect>(
    db: &D,
    integration: Option<IntegrationId>,
) -> StoreResult<Vec<AlertRule>> {
    let mut c = db.read().await?;
    let rows = match integration {
        Some(i) => {
            D::fetch::<AlertRuleRow>(
                &mut c,
                D::sql("SELECT * FROM cachet_alert_rules WHERE integration_id = ? ORDER BY id"),
                args![i.0],
            )
            .await?
        }
        None => {
            D::fetch::<AlertRuleRow>(
                &mut c,
                D::sql("SELECT * FROM cachet_alert_rules ORDER BY id"),
                vec![],
            )
            .await?
        }
    };
    models(rows, AlertRuleRow::into_model)
}

fn hold_arg(secs: u32) -> i64 {
    i64::from(secs)
}

pub(crate) async fn create_alert_rule<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewAlertRule,
    fx: &EffectsFn<'_, AlertRule>,
) -> StoreResult<AlertRule> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    if !exists::<D>(
        &mut tx,
        "SELECT COUNT(*) FROM cachet_integrations WHERE id = ?",
        new.integration_id.0,
    )
    .await?
    {
        return Err(invalid("unknown integration"));
    }
    let s = &new.settings;
    check_component::<D>(&mut tx, s).await?;
    let id = D::insert(
        &mut tx,
        "INSERT INTO cachet_alert_rules (integration_id, component_id, matcher, status, template_id, incident_title, incident_message, resolution, hold_secs, recovery_hold_secs, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            new.integration_id.0,
            s.component_id.0,
            s.matcher.to_json(),
            i64::from(s.status.code()),
            s.template_id.map(|t| t.0),
            s.incident_title.as_ref().map(Name::as_str),
            s.incident_message.as_ref().map(Markdown::as_str),
            s.resolution.as_ref().map(Markdown::as_str),
            hold_arg(s.hold_secs),
            hold_arg(s.recovery_hold_secs),
            cx.now,
            cx.now,
        ],
    )
    .await?;
    let rule = AlertRule {
        id: AlertRuleId(id),
        integration_id: new.integration_id,
        settings: s.clone(),
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&rule)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(rule)
}

pub(crate) async fn update_alert_rule<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: AlertRuleId,
    settings: &AlertRuleSettings,
    fx: &EffectsFn<'_, Changed<AlertRule>>,
) -> StoreResult<AlertRule> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_rule::<D>(&mut tx, id).await?;
    check_component::<D>(&mut tx, settings).await?;
    let mut after = before.clone();
    settings.apply_to(&mut after);
    after.updated_at = cx.now;
    let s = &after.settings;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_alert_rules SET component_id = ?, matcher = ?, status = ?, template_id = ?, incident_title = ?, incident_message = ?, resolution = ?, hold_secs = ?, recovery_hold_secs = ?, updated_at = ? WHERE id = ?"),
        args![
            s.component_id.0,
            s.matcher.to_json(),
            i64::from(s.status.code()),
            s.template_id.map(|t| t.0),
            s.incident_title.as_ref().map(Name::as_str),
            s.incident_message.as_ref().map(Markdown::as_str),
            s.resolution.as_ref().map(Markdown::as_str),
            hold_arg(s.hold_secs),
            hold_arg(s.recovery_hold_secs),
            after.updated_at,
            id.0,
        ],
    )
    .await?;
    apply_effects::<D>(
        &mut tx,
        cx.now,
        fx(&Changed {
            before,
            after: after.clone(),
        }),
    )
    .await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(after)
}

pub(crate) async fn delete_alert_rule<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: AlertRuleId,
    fx: &EffectsFn<'_, AlertRule>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let rule = get_rule::<D>(&mut tx, id).await?;
    for s in [
        "DELETE FROM cachet_alert_states WHERE rule_id = ?",
        "DELETE FROM cachet_alert_rules WHERE id = ?",
    ] {
        D::exec(&mut tx, D::sql(s), args![id.0]).await?;
    }
    apply_effects::<D>(&mut tx, cx.now, fx(&rule)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

// ---- alert states (bookkeeping: no bump, no effects) -------------------------------------------

pub(crate) async fn alert_states<D: Dialect>(db: &D) -> StoreResult<Vec<AlertState>> {
    let mut c = db.read().await?;
    let rows = D::fetch::<AlertStateRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_alert_states ORDER BY rule_id, alert_key"),
        vec![],
    )
    .await?;
    models(rows, AlertStateRow::into_model)
}

pub(crate) async fn observe_alert<D: Dialect>(
    db: &D,
    cx: WriteContext,
    obs: &AlertObservation,
) -> StoreResult<bool> {
    // Two first deliveries of one alert racing on two instances both find no row; the
    // second insert then meets the primary key, and one retry sees the first one's row.
    match observe_once(db, cx, obs).await {
        Err(StoreError::Conflict { .. }) => observe_once(db, cx, obs).await,
        other => other,
    }
}

async fn observe_once<D: Dialect>(
    db: &D,
    cx: WriteContext,
    obs: &AlertObservation,
) -> StoreResult<bool> {
    let mut tx = db.begin().await?;
    if !exists::<D>(
        &mut tx,
        "SELECT COUNT(*) FROM cachet_alert_rules WHERE id = ?",
        obs.rule_id.0,
    )
    .await?
    {
        return Err(invalid("unknown alert rule"));
    }
    let row = D::fetch_opt::<AlertStateRow>(
        &mut tx,
        D::dyn_sql(format!(
            "SELECT * FROM cachet_alert_states WHERE rule_id = ? AND alert_key = ?{}",
            D::FOR_UPDATE
        )),
        args![obs.rule_id.0, obs.key.as_str()],
    )
    .await?;
    let changed = match row {
        None if !obs.firing => false,
        None => {
            D::exec(
                &mut tx,
                D::sql("INSERT INTO cachet_alert_states (rule_id, alert_key, firing, since, confirmed, summary) VALUES (?, ?, ?, ?, ?, ?)"),
                args![obs.rule_id.0, obs.key.as_str(), true, cx.now, false, obs.summary.as_str()],
            )
            .await?;
            true
        }
        Some(r) if r.firing == obs.firing => false,
        Some(_) => {
            D::exec(
                &mut tx,
                D::sql("UPDATE cachet_alert_states SET firing = ?, since = ?, summary = ? WHERE rule_id = ? AND alert_key = ?"),
                args![obs.firing, cx.now, obs.summary.as_str(), obs.rule_id.0, obs.key.as_str()],
            )
            .await?;
            true
        }
    };
    D::commit(tx).await.map_err(backend)?;
    Ok(changed)
}

pub(crate) async fn settle_alert<D: Dialect>(
    db: &D,
    rule: AlertRuleId,
    key: &AlertKey,
    firing: bool,
    since: Timestamp,
) -> StoreResult<bool> {
    let mut c = db.write().await?;
    let n = if firing {
        D::exec(
            &mut c,
            D::sql("UPDATE cachet_alert_states SET confirmed = ? WHERE rule_id = ? AND alert_key = ? AND firing = ? AND since = ?"),
            args![true, rule.0, key.as_str(), true, since],
        )
        .await?
    } else {
        D::exec(
            &mut c,
            D::sql("DELETE FROM cachet_alert_states WHERE rule_id = ? AND alert_key = ? AND firing = ? AND since = ?"),
            args![rule.0, key.as_str(), false, since],
        )
        .await?
    };
    Ok(n > 0)
}
