//! [`AlertStore`] for the conformance suite's `BrokenStore`: every method passes through
//! to the memory store (no broken behaviour lives in this area yet).

use async_trait::async_trait;
use cachet_core::model::*;
use cachet_core::store::*;

use super::BrokenStore;

#[async_trait]
impl AlertStore for BrokenStore {
    async fn integration(&self, id: IntegrationId) -> StoreResult<Integration> {
        self.inner.integration(id).await
    }
    async fn integration_by_secret(&self, hash: &TokenHash) -> StoreResult<Option<Integration>> {
        self.inner.integration_by_secret(hash).await
    }
    async fn integrations(&self) -> StoreResult<Vec<Integration>> {
        self.inner.integrations().await
    }
    async fn create_integration(
        &self,
        cx: WriteContext,
        new: &NewIntegration,
        fx: &EffectsFn<'_, Integration>,
    ) -> StoreResult<Integration> {
        self.inner.create_integration(cx, new, fx).await
    }
    async fn update_integration(
        &self,
        cx: WriteContext,
        id: IntegrationId,
        patch: &IntegrationPatch,
        fx: &EffectsFn<'_, Changed<Integration>>,
    ) -> StoreResult<Integration> {
        self.inner.update_integration(cx, id, patch, fx).await
    }
    async fn delete_integration(
        &self,
        cx: WriteContext,
        id: IntegrationId,
        fx: &EffectsFn<'_, Integration>,
    ) -> StoreResult<()> {
        self.inner.delete_integration(cx, id, fx).await
    }
    async fn alert_rule(&self, id: AlertRuleId) -> StoreResult<AlertRule> {
        self.inner.alert_rule(id).await
    }
    async fn alert_rules(&self, integration: Option<IntegrationId>) -> StoreResult<Vec<AlertRule>> {
        self.inner.alert_rules(integration).await
    }
    async fn create_alert_rule(
        &self,
        cx: WriteContext,
        new: &NewAlertRule,
        fx: &EffectsFn<'_, AlertRule>,
    ) -> StoreResult<AlertRule> {
        self.inner.create_alert_rule(cx, new, fx).await
    }
    async fn update_alert_rule(
        &self,
        cx: WriteContext,
        id: AlertRuleId,
        settings: &AlertRuleSettings,
        fx: &EffectsFn<'_, Changed<AlertRule>>,
    ) -> StoreResult<AlertRule> {
        self.inner.update_alert_rule(cx, id, settings, fx).await
    }
    async fn delete_alert_rule(
        &self,
        cx: WriteContext,
        id: AlertRuleId,
        fx: &EffectsFn<'_, AlertRule>,
    ) -> StoreResult<()> {
        self.inner.delete_alert_rule(cx, id, fx).await
    }
    async fn alert_states(&self) -> StoreResult<Vec<AlertState>> {
        self.inner.alert_states().await
    }
    async fn observe_alert(&self, cx: WriteContext, obs: &AlertObservation) -> StoreResult<bool> {
        self.inner.observe_alert(cx, obs).await
    }
    async fn settle_alert(
        &self,
        rule: AlertRuleId,
        key: &AlertKey,
        firing: bool,
        since: Timestamp,
    ) -> StoreResult<bool> {
        self.inner.settle_alert(rule, key, firing, since).await
    }
}
