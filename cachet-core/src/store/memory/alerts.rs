//! Monitoring alert integrations, rules and alert states.
//!
//! [`AlertStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use super::state::{State, conflict, invalid, not_found};
use crate::model::*;
use crate::store::{AlertStore, Changed, EffectsFn, StoreResult, WriteContext};

impl State {
    fn check_rule_refs(&self, s: &AlertRuleSettings) -> StoreResult<()> {
        if !self.components.contains_key(&s.component_id) {
            return Err(invalid("unknown component"));
        }
        Ok(())
    }
}

#[async_trait]
impl AlertStore for MemoryStore {
    async fn integration(&self, id: IntegrationId) -> StoreResult<Integration> {
        self.lock()
            .integrations
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("integration", id.0))
    }

    async fn integration_by_secret(&self, hash: &TokenHash) -> StoreResult<Option<Integration>> {
        Ok(self
            .lock()
            .integrations
            .values()
            .find(|i| crate::auth::tokens::hashes_equal(&i.secret_hash, hash))
            .cloned())
    }

    async fn integrations(&self) -> StoreResult<Vec<Integration>> {
        Ok(self.lock().integrations.values().cloned().collect())
    }

    async fn create_integration(
        &self,
        cx: WriteContext,
        new: &NewIntegration,
        fx: &EffectsFn<'_, Integration>,
    ) -> StoreResult<Integration> {
        let mut st = self.lock();
        if st
            .integrations
            .values()
            .any(|i| i.secret_hash == new.secret_hash)
        {
            return Err(conflict("integration", "secret"));
        }
        let id = IntegrationId(st.ids.integration.next());
        let integration = Integration {
            id,
            kind: new.kind,
            name: new.name.clone(),
            enabled: new.enabled,
            secret_hash: new.secret_hash,
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&integration);
        st.integrations.insert(id, integration.clone());
        st.commit(cx.now, effects);
        Ok(integration)
    }

    async fn update_integration(
        &self,
        cx: WriteContext,
        id: IntegrationId,
        patch: &IntegrationPatch,
        fx: &EffectsFn<'_, Changed<Integration>>,
    ) -> StoreResult<Integration> {
        let mut st = self.lock();
        let before = st
            .integrations
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("integration", id.0))?;
        if let Some(hash) = patch.secret_hash
            && st
                .integrations
                .values()
                .any(|i| i.id != id && i.secret_hash == hash)
        {
            return Err(conflict("integration", "secret"));
        }
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.integrations.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_integration(
        &self,
        cx: WriteContext,
        id: IntegrationId,
        fx: &EffectsFn<'_, Integration>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let integration = st
            .integrations
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("integration", id.0))?;
        let effects = fx(&integration);
        let rules: Vec<AlertRuleId> = st
            .alert_rules
            .values()
            .filter(|r| r.integration_id == id)
            .map(|r| r.id)
            .collect();
        st.alert_states.retain(|(rule, _), _| !rules.contains(rule));
        st.alert_rules.retain(|_, r| r.integration_id != id);
        st.integrations.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn alert_rule(&self, id: AlertRuleId) -> StoreResult<AlertRule> {
        self.lock()
            .alert_rules
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("alert_rule", id.0))
    }

    async fn alert_rules(&self, integration: Option<IntegrationId>) -> StoreResult<Vec<AlertRule>> {
        Ok(self
            .lock()
            .alert_rules
            .values()
            .filter(|r| integration.is_none_or(|i| r.integration_id == i))
            .cloned()
            .collect())
    }

    async fn create_alert_rule(
        &self,
        cx: WriteContext,
        new: &NewAlertRule,
        fx: &EffectsFn<'_, AlertRule>,
    ) -> StoreResult<AlertRule> {
        let mut st = self.lock();
        if !st.integrations.contains_key(&new.integration_id) {
            return Err(invalid("unknown integration"));
        }
        st.check_rule_refs(&new.settings)?;
        let id = AlertRuleId(st.ids.alert_rule.next());
        let rule = AlertRule {
            id,
            integration_id: new.integration_id,
            settings: new.settings.clone(),
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&rule);
        st.alert_rules.insert(id, rule.clone());
        st.commit(cx.now, effects);
        Ok(rule)
    }

    async fn update_alert_rule(
        &self,
        cx: WriteContext,
        id: AlertRuleId,
        settings: &AlertRuleSettings,
        fx: &EffectsFn<'_, Changed<AlertRule>>,
    ) -> StoreResult<AlertRule> {
        let mut st = self.lock();
        let before = st
            .alert_rules
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("alert_rule", id.0))?;
        st.check_rule_refs(settings)?;
        let mut after = before.clone();
        settings.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.alert_rules.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_alert_rule(
        &self,
        cx: WriteContext,
        id: AlertRuleId,
        fx: &EffectsFn<'_, AlertRule>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let rule = st
            .alert_rules
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("alert_rule", id.0))?;
        let effects = fx(&rule);
        st.alert_states.retain(|(r, _), _| *r != id);
        st.alert_rules.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn alert_states(&self) -> StoreResult<Vec<AlertState>> {
        Ok(self.lock().alert_states.values().cloned().collect())
    }

    async fn observe_alert(&self, cx: WriteContext, obs: &AlertObservation) -> StoreResult<bool> {
        let mut st = self.lock();
        if !st.alert_rules.contains_key(&obs.rule_id) {
            return Err(invalid("unknown alert rule"));
        }
        let key = (obs.rule_id, obs.key.clone());
        match st.alert_states.get_mut(&key) {
            None if !obs.firing => Ok(false),
            None => {
                st.alert_states.insert(
                    key,
                    AlertState {
                        rule_id: obs.rule_id,
                        key: obs.key.clone(),
                        firing: true,
                        since: cx.now,
                        confirmed: false,
                        summary: obs.summary.clone(),
                    },
                );
                Ok(true)
            }
            Some(state) if state.firing == obs.firing => Ok(false),
            Some(state) => {
                state.firing = obs.firing;
                state.since = cx.now;
                state.summary.clone_from(&obs.summary);
                Ok(true)
            }
        }
    }

    async fn settle_alert(
        &self,
        rule: AlertRuleId,
        key: &AlertKey,
        firing: bool,
        since: Timestamp,
    ) -> StoreResult<bool> {
        let mut st = self.lock();
        let k = (rule, key.clone());
        match st.alert_states.get_mut(&k) {
            Some(state) if state.firing == firing && state.since == since => {
                if firing {
                    state.confirmed = true;
                } else {
                    st.alert_states.remove(&k);
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
