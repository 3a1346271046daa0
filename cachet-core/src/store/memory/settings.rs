//! Site settings.
//!
//! [`SettingsStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::*;
use crate::store::{Effects, SettingsStore, StoreResult, WriteContext};

#[async_trait]
impl SettingsStore for MemoryStore {
    async fn settings(&self) -> StoreResult<Vec<(SettingKey, String)>> {
        let mut all: Vec<(SettingKey, String)> = self
            .lock()
            .settings
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        all.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        Ok(all)
    }

    async fn put_settings(
        &self,
        cx: WriteContext,
        values: &[(SettingKey, String)],
        fx: &Effects,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        for (k, v) in values {
            st.settings.insert(*k, v.clone());
        }
        st.commit(cx.now, fx.clone());
        Ok(())
    }
}
