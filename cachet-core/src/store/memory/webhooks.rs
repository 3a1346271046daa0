//! Webhook endpoints.
//!
//! [`WebhookStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use super::state::not_found;
use crate::model::*;
use crate::store::{Changed, EffectsFn, StoreResult, WebhookStore, WriteContext};

#[async_trait]
impl WebhookStore for MemoryStore {
    async fn webhook(&self, id: WebhookId) -> StoreResult<Webhook> {
        self.lock()
            .webhooks
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("webhook", id.0))
    }

    async fn webhooks(&self) -> StoreResult<Vec<Webhook>> {
        Ok(self.lock().webhooks.values().cloned().collect())
    }

    async fn create_webhook(
        &self,
        cx: WriteContext,
        new: &NewWebhook,
        fx: &EffectsFn<'_, Webhook>,
    ) -> StoreResult<Webhook> {
        let mut st = self.lock();
        let id = WebhookId(st.ids.webhook.next());
        let webhook = Webhook {
            id,
            name: new.name.clone(),
            url: new.url.clone(),
            secret: new.secret.clone(),
            enabled: new.enabled,
            events: new.events,
            format: new.format,
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&webhook);
        st.webhooks.insert(id, webhook.clone());
        st.commit(cx.now, effects);
        Ok(webhook)
    }

    async fn update_webhook(
        &self,
        cx: WriteContext,
        id: WebhookId,
        patch: &WebhookPatch,
        fx: &EffectsFn<'_, Changed<Webhook>>,
    ) -> StoreResult<Webhook> {
        let mut st = self.lock();
        let before = st
            .webhooks
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("webhook", id.0))?;
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.webhooks.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_webhook(
        &self,
        cx: WriteContext,
        id: WebhookId,
        fx: &EffectsFn<'_, Webhook>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let webhook = st
            .webhooks
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("webhook", id.0))?;
        let effects = fx(&webhook);
        st.webhooks.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }
}
