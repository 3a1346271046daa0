//! The conformance suite against the in-memory reference store, and a self-test proving the
//! suite catches broken stores.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::sync::Mutex;

use async_trait::async_trait;
use cachet_core::model::*;
use cachet_core::store::memory::MemoryStore;
use cachet_core::store::*;
use cachet_core::testing::store::CHECKS;
use cachet_core::validate::Text;
use chrono::TimeDelta;

mod memory {
    cachet_core::store_conformance_tests!(|| async {
        Some(cachet_core::store::memory::MemoryStore::new())
    });
}

/// Shared `dyn Store` factories are accepted too.
mod shared {
    use std::sync::Arc;

    use cachet_core::store::Store;

    #[test]
    fn arc_dyn_store_factories_compile() {
        cachet_core::testing::__run(async {
            let store: Arc<dyn Store> = Arc::new(cachet_core::store::memory::MemoryStore::new());
            let result = cachet_core::testing::store::components_crud(
                cachet_core::testing::AsDynStore::as_dyn_store(&store),
            )
            .await;
            assert!(result.is_ok(), "{result:?}");
        });
    }
}

/// The strategies generate only values their type's constructor accepts unchanged.
mod strategies_generate_valid_values {
    use cachet_core::testing::strategies as s;
    use cachet_core::validate::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn text_types(name in s::name(), text in s::text(), md in s::markdown(), slug in s::slug(), tag in s::tag_name()) {
            prop_assert_eq!(Name::parse(name.as_str()), Ok(name));
            prop_assert_eq!(Text::parse(text.as_str()), Ok(text));
            prop_assert_eq!(Markdown::parse(md.as_str()), Ok(md));
            prop_assert_eq!(Slug::parse(slug.as_str()), Ok(slug));
            prop_assert!(tag.as_str().chars().count() <= cachet_core::model::Tag::MAX_NAME_CHARS);
        }

        #[test]
        fn address_types(email in s::email(), url in s::http_url(), locale in s::locale(), tz in s::time_zone_name()) {
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email));
            prop_assert_eq!(HttpUrl::parse(url.as_str()), Ok(url));
            prop_assert_eq!(Locale::parse(locale.as_str()), Ok(locale));
            prop_assert_eq!(TimeZoneName::parse(tz.as_str()), Ok(tz));
        }

        #[test]
        fn number_and_meta_types(
            meta in s::meta(),
            v in s::metric_value(),
            order in s::order(),
            places in s::places(),
            threshold in s::threshold(),
            t in s::timestamp(),
        ) {
            prop_assert_eq!(Meta::parse_json(&meta.to_json()), Ok(meta));
            prop_assert_eq!(MetricValue::from_millis(v.millis()), Ok(v));
            prop_assert_eq!(Order::new(i64::from(order.get())), Ok(order));
            prop_assert_eq!(Places::new(i64::from(places.get())), Ok(places));
            prop_assert_eq!(Threshold::new(i64::from(threshold.minutes())), Ok(threshold));
            prop_assert_eq!(cachet_core::clock::truncate_to_micros(t), t);
        }
    }
}

/// A deliberately broken behaviour of [`BrokenStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    /// `components()` sorts ascending whatever direction is asked.
    SortDirectionIgnored,
    /// `revision()` never moves.
    RevisionFrozen,
    /// A second subscriber with the same blind index is stored instead of refused.
    SubscriberConflictMissed,
    /// Consuming a one-time token does not use it up.
    OneTimeTokenReusable,
    /// `status_history` drops the last entry before `since`.
    HistoryWithoutPriorEntry,
    /// A one-time token still works at its `expires_at`.
    ExpiryInclusive,
    /// `create_incident` applies component statuses before checking every component.
    IncidentNotAtomic,
    /// `components()` reports the page length as the total.
    TotalIsPageLength,
    /// `update_schedule` ignores `expected_status`.
    CompareAndSetIgnored,
    /// A refused `update_component` still writes an audit entry.
    EffectsOnFailure,
    /// The same TOTP step is accepted twice.
    TotpReplayAccepted,
    /// Outbox claims ignore live leases.
    LeaseIgnored,
    /// Deleting a user leaves their sessions usable.
    UserDeleteKeepsSessions,
    /// Ending a subject's one-time tokens ends nothing (reset links outlive a password change).
    SiblingTokensSurvive,
    /// Audit retention prunes nothing.
    AuditNeverPruned,
    /// An idempotency key replays its answer to a different request.
    IdempotencyMismatchReplayed,
    /// An idempotency key's live lease is taken over.
    IdempotencyLeaseIgnored,
    /// The dispatcher's heartbeat reports renewals but extends nothing.
    LeaseRenewalIgnored,
    /// Handing back deliveries releases them whoever holds them.
    HandBackIgnoresOwner,
    /// A rate limit hit reads the count, yields, then writes it back plus one (a lost
    /// update under concurrency).
    RateLimitCountRaces,
    /// Rate limit windows never roll over: every hit counts in the key's first window.
    RateLimitWindowsNeverRoll,
    /// Pruning rate limits forgets every key, current windows too.
    RateLimitPruneForgetsAll,
    /// Rate limit keys share one counter.
    RateLimitKeysShared,
}

/// A [`MemoryStore`] with one behaviour broken.
#[derive(Debug)]
struct BrokenStore {
    inner: MemoryStore,
    broken: Option<Broken>,
    ghost_sessions: Mutex<Vec<Session>>,
    /// The fingerprint each idempotency key finished with.
    fingerprints: Mutex<std::collections::HashMap<String, String>>,
    /// The racy rate limit counters of [`Broken::RateLimitCountRaces`].
    racy_hits: Mutex<std::collections::HashMap<String, u32>>,
    /// The first window each key was hit in, for [`Broken::RateLimitWindowsNeverRoll`].
    first_windows: Mutex<std::collections::HashMap<String, RateLimitWindow>>,
}

impl BrokenStore {
    fn new(broken: Option<Broken>) -> Self {
        Self {
            inner: MemoryStore::new(),
            broken,
            ghost_sessions: Mutex::new(Vec::new()),
            fingerprints: Mutex::default(),
            racy_hits: Mutex::default(),
            first_windows: Mutex::default(),
        }
    }

    fn remember_fingerprint(&self, key: &str, fingerprint: &str) {
        if let Ok(mut m) = self.fingerprints.lock() {
            m.insert(key.to_owned(), fingerprint.to_owned());
        }
    }

    fn first_fingerprint(&self, key: &str) -> String {
        self.fingerprints
            .lock()
            .ok()
            .and_then(|m| m.get(key).cloned())
            .unwrap_or_default()
    }

    fn is(&self, b: Broken) -> bool {
        self.broken == Some(b)
    }
}

#[async_trait]
impl RevisionStore for BrokenStore {
    async fn revision(&self) -> StoreResult<u64> {
        if self.is(Broken::RevisionFrozen) {
            return Ok(0);
        }
        self.inner.revision().await
    }
}

#[async_trait]
impl SettingsStore for BrokenStore {
    async fn settings(&self) -> StoreResult<Vec<(SettingKey, String)>> {
        self.inner.settings().await
    }

    async fn put_settings(
        &self,
        cx: WriteContext,
        values: &[(SettingKey, String)],
        fx: &Effects,
    ) -> StoreResult<()> {
        self.inner.put_settings(cx, values, fx).await
    }
}

#[async_trait]
impl ComponentStore for BrokenStore {
    async fn component(&self, id: ComponentId) -> StoreResult<Component> {
        self.inner.component(id).await
    }

    async fn components(&self, q: &ComponentQuery) -> StoreResult<Page<Component>> {
        let mut q = q.clone();
        if self.is(Broken::SortDirectionIgnored) {
            q.sort = q.sort.map(|(field, _)| (field, Direction::Asc));
        }
        let mut page = self.inner.components(&q).await?;
        if self.is(Broken::TotalIsPageLength) {
            page.total = page.items.len() as u64;
        }
        Ok(page)
    }

    async fn create_component(
        &self,
        cx: WriteContext,
        new: &NewComponent,
        fx: &EffectsFn<'_, Component>,
    ) -> StoreResult<Component> {
        self.inner.create_component(cx, new, fx).await
    }

    async fn update_component(
        &self,
        cx: WriteContext,
        id: ComponentId,
        patch: &ComponentPatch,
        fx: &EffectsFn<'_, Changed<Component>>,
    ) -> StoreResult<Component> {
        let result = self.inner.update_component(cx, id, patch, fx).await;
        if result.is_err() && self.is(Broken::EffectsOnFailure) {
            let event = NewAuditEvent::new(
                cx.now,
                "broken".to_owned(),
                AuditAction::Update,
                EntityKind::Component,
                AuditOutcome::Success,
                Text::empty(),
            )
            .with_entity_id(Some(id.get()));
            self.inner.append_audit(&event).await?;
        }
        result
    }

    async fn delete_component(
        &self,
        cx: WriteContext,
        id: ComponentId,
        fx: &EffectsFn<'_, Component>,
    ) -> StoreResult<()> {
        self.inner.delete_component(cx, id, fx).await
    }

    async fn status_history(
        &self,
        id: ComponentId,
        since: Timestamp,
    ) -> StoreResult<Vec<StatusChange>> {
        let mut history = self.inner.status_history(id, since).await?;
        if self.is(Broken::HistoryWithoutPriorEntry) {
            history.retain(|e| e.at >= since);
        }
        Ok(history)
    }

    async fn group(&self, id: GroupId) -> StoreResult<ComponentGroup> {
        self.inner.group(id).await
    }

    async fn groups(&self, q: &GroupQuery) -> StoreResult<Page<ComponentGroup>> {
        self.inner.groups(q).await
    }

    async fn create_group(
        &self,
        cx: WriteContext,
        new: &NewComponentGroup,
        fx: &EffectsFn<'_, ComponentGroup>,
    ) -> StoreResult<ComponentGroup> {
        self.inner.create_group(cx, new, fx).await
    }

    async fn update_group(
        &self,
        cx: WriteContext,
        id: GroupId,
        patch: &ComponentGroupPatch,
        fx: &EffectsFn<'_, Changed<ComponentGroup>>,
    ) -> StoreResult<ComponentGroup> {
        self.inner.update_group(cx, id, patch, fx).await
    }

    async fn delete_group(
        &self,
        cx: WriteContext,
        id: GroupId,
        fx: &EffectsFn<'_, ComponentGroup>,
    ) -> StoreResult<()> {
        self.inner.delete_group(cx, id, fx).await
    }
}

#[async_trait]
impl IncidentStore for BrokenStore {
    async fn incident(&self, id: IncidentId) -> StoreResult<Incident> {
        self.inner.incident(id).await
    }

    async fn incidents(&self, q: &IncidentQuery) -> StoreResult<Page<Incident>> {
        self.inner.incidents(q).await
    }

    async fn create_incident(
        &self,
        cx: WriteContext,
        new: &NewIncident,
        fx: &EffectsFn<'_, Incident>,
    ) -> StoreResult<Incident> {
        if self.is(Broken::IncidentNotAtomic) && new.apply_component_status {
            // applies the statuses one by one before the incident is written, so a later
            // failure leaves them behind
            for a in &new.components {
                let patch = ComponentPatch {
                    status: Some(a.status),
                    ..ComponentPatch::default()
                };
                if self
                    .inner
                    .update_component(cx, a.component_id, &patch, &no_effects)
                    .await
                    .is_err()
                {
                    return Err(StoreError::Invalid {
                        detail: "unknown component",
                    });
                }
            }
        }
        self.inner.create_incident(cx, new, fx).await
    }

    async fn update_incident(
        &self,
        cx: WriteContext,
        id: IncidentId,
        patch: &IncidentPatch,
        fx: &EffectsFn<'_, Changed<Incident>>,
    ) -> StoreResult<Incident> {
        self.inner.update_incident(cx, id, patch, fx).await
    }

    async fn delete_incident(
        &self,
        cx: WriteContext,
        id: IncidentId,
        fx: &EffectsFn<'_, Incident>,
    ) -> StoreResult<()> {
        self.inner.delete_incident(cx, id, fx).await
    }

    async fn incident_update(
        &self,
        incident: IncidentId,
        id: IncidentUpdateId,
    ) -> StoreResult<IncidentUpdate> {
        self.inner.incident_update(incident, id).await
    }

    async fn incident_updates(
        &self,
        incident: IncidentId,
        page: PageRequest,
    ) -> StoreResult<Page<IncidentUpdate>> {
        self.inner.incident_updates(incident, page).await
    }

    async fn create_incident_update(
        &self,
        cx: WriteContext,
        incident: IncidentId,
        new: &NewIncidentUpdate,
        fx: &EffectsFn<'_, IncidentUpdate>,
    ) -> StoreResult<IncidentUpdate> {
        self.inner
            .create_incident_update(cx, incident, new, fx)
            .await
    }

    async fn update_incident_update(
        &self,
        cx: WriteContext,
        incident: IncidentId,
        id: IncidentUpdateId,
        patch: &IncidentUpdatePatch,
        fx: &EffectsFn<'_, Changed<IncidentUpdate>>,
    ) -> StoreResult<IncidentUpdate> {
        self.inner
            .update_incident_update(cx, incident, id, patch, fx)
            .await
    }

    async fn delete_incident_update(
        &self,
        cx: WriteContext,
        incident: IncidentId,
        id: IncidentUpdateId,
        fx: &EffectsFn<'_, IncidentUpdate>,
    ) -> StoreResult<()> {
        self.inner
            .delete_incident_update(cx, incident, id, fx)
            .await
    }

    async fn template(&self, id: TemplateId) -> StoreResult<IncidentTemplate> {
        self.inner.template(id).await
    }

    async fn templates(&self, q: &TemplateQuery) -> StoreResult<Page<IncidentTemplate>> {
        self.inner.templates(q).await
    }

    async fn create_template(
        &self,
        cx: WriteContext,
        new: &NewIncidentTemplate,
        fx: &EffectsFn<'_, IncidentTemplate>,
    ) -> StoreResult<IncidentTemplate> {
        self.inner.create_template(cx, new, fx).await
    }

    async fn update_template(
        &self,
        cx: WriteContext,
        id: TemplateId,
        patch: &IncidentTemplatePatch,
        fx: &EffectsFn<'_, Changed<IncidentTemplate>>,
    ) -> StoreResult<IncidentTemplate> {
        self.inner.update_template(cx, id, patch, fx).await
    }

    async fn delete_template(
        &self,
        cx: WriteContext,
        id: TemplateId,
        fx: &EffectsFn<'_, IncidentTemplate>,
    ) -> StoreResult<()> {
        self.inner.delete_template(cx, id, fx).await
    }
}

#[async_trait]
impl ScheduleStore for BrokenStore {
    async fn schedule(&self, id: ScheduleId) -> StoreResult<Schedule> {
        self.inner.schedule(id).await
    }

    async fn schedules(&self, q: &ScheduleQuery) -> StoreResult<Page<Schedule>> {
        self.inner.schedules(q).await
    }

    async fn create_schedule(
        &self,
        cx: WriteContext,
        new: &NewSchedule,
        fx: &EffectsFn<'_, Schedule>,
    ) -> StoreResult<Schedule> {
        self.inner.create_schedule(cx, new, fx).await
    }

    async fn update_schedule(
        &self,
        cx: WriteContext,
        id: ScheduleId,
        patch: &SchedulePatch,
        fx: &EffectsFn<'_, Changed<Schedule>>,
    ) -> StoreResult<Schedule> {
        if self.is(Broken::CompareAndSetIgnored) {
            let patch = SchedulePatch {
                expected_status: None,
                ..patch.clone()
            };
            return self.inner.update_schedule(cx, id, &patch, fx).await;
        }
        self.inner.update_schedule(cx, id, patch, fx).await
    }

    async fn delete_schedule(
        &self,
        cx: WriteContext,
        id: ScheduleId,
        fx: &EffectsFn<'_, Schedule>,
    ) -> StoreResult<()> {
        self.inner.delete_schedule(cx, id, fx).await
    }

    async fn schedule_updates(&self, schedule: ScheduleId) -> StoreResult<Vec<ScheduleUpdate>> {
        self.inner.schedule_updates(schedule).await
    }

    async fn create_schedule_update(
        &self,
        cx: WriteContext,
        schedule: ScheduleId,
        new: &NewScheduleUpdate,
        fx: &EffectsFn<'_, ScheduleUpdate>,
    ) -> StoreResult<ScheduleUpdate> {
        self.inner
            .create_schedule_update(cx, schedule, new, fx)
            .await
    }

    async fn delete_schedule_update(
        &self,
        cx: WriteContext,
        schedule: ScheduleId,
        id: ScheduleUpdateId,
        fx: &EffectsFn<'_, ScheduleUpdate>,
    ) -> StoreResult<()> {
        self.inner
            .delete_schedule_update(cx, schedule, id, fx)
            .await
    }
}

#[async_trait]
impl MetricStore for BrokenStore {
    async fn metric(&self, id: MetricId) -> StoreResult<Metric> {
        self.inner.metric(id).await
    }

    async fn metrics(&self, q: &MetricQuery) -> StoreResult<Page<Metric>> {
        self.inner.metrics(q).await
    }

    async fn create_metric(
        &self,
        cx: WriteContext,
        new: &NewMetric,
        fx: &EffectsFn<'_, Metric>,
    ) -> StoreResult<Metric> {
        self.inner.create_metric(cx, new, fx).await
    }

    async fn update_metric(
        &self,
        cx: WriteContext,
        id: MetricId,
        patch: &MetricPatch,
        fx: &EffectsFn<'_, Changed<Metric>>,
    ) -> StoreResult<Metric> {
        self.inner.update_metric(cx, id, patch, fx).await
    }

    async fn delete_metric(
        &self,
        cx: WriteContext,
        id: MetricId,
        fx: &EffectsFn<'_, Metric>,
    ) -> StoreResult<()> {
        self.inner.delete_metric(cx, id, fx).await
    }

    async fn metric_point(&self, metric: MetricId, id: MetricPointId) -> StoreResult<MetricPoint> {
        self.inner.metric_point(metric, id).await
    }

    async fn metric_points(
        &self,
        metric: MetricId,
        q: &MetricPointQuery,
    ) -> StoreResult<Page<MetricPoint>> {
        self.inner.metric_points(metric, q).await
    }

    async fn record_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        new: &NewMetricPoint,
        fx: &EffectsFn<'_, MetricPoint>,
    ) -> StoreResult<MetricPoint> {
        self.inner.record_metric_point(cx, metric, new, fx).await
    }

    async fn update_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        id: MetricPointId,
        value: cachet_core::validate::MetricValue,
        created_at: Option<Timestamp>,
        fx: &EffectsFn<'_, Changed<MetricPoint>>,
    ) -> StoreResult<MetricPoint> {
        self.inner
            .update_metric_point(cx, metric, id, value, created_at, fx)
            .await
    }

    async fn delete_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        id: MetricPointId,
        fx: &EffectsFn<'_, MetricPoint>,
    ) -> StoreResult<()> {
        self.inner.delete_metric_point(cx, metric, id, fx).await
    }
}

#[async_trait]
impl SubscriberStore for BrokenStore {
    async fn subscriber(&self, id: SubscriberId) -> StoreResult<Subscriber> {
        self.inner.subscriber(id).await
    }

    async fn subscriber_by_blind_index(
        &self,
        index: &BlindIndex,
    ) -> StoreResult<Option<Subscriber>> {
        self.inner.subscriber_by_blind_index(index).await
    }

    async fn subscribers(&self, q: &SubscriberQuery) -> StoreResult<Page<Subscriber>> {
        self.inner.subscribers(q).await
    }

    async fn create_subscriber(
        &self,
        cx: WriteContext,
        new: &NewSubscriber,
        fx: &EffectsFn<'_, Subscriber>,
    ) -> StoreResult<Subscriber> {
        match self.inner.create_subscriber(cx, new, fx).await {
            Err(e) if e.is_conflict() && self.is(Broken::SubscriberConflictMissed) => {
                let mut twin = new.clone();
                twin.blind_index.0[31] ^= 0xFF;
                let mut s = self.inner.create_subscriber(cx, &twin, fx).await?;
                s.blind_index = new.blind_index;
                Ok(s)
            }
            other => other,
        }
    }

    async fn update_subscriber(
        &self,
        cx: WriteContext,
        id: SubscriberId,
        patch: &SubscriberPatch,
        fx: &EffectsFn<'_, Changed<Subscriber>>,
    ) -> StoreResult<Subscriber> {
        self.inner.update_subscriber(cx, id, patch, fx).await
    }

    async fn delete_subscriber(
        &self,
        cx: WriteContext,
        id: SubscriberId,
        fx: &EffectsFn<'_, Subscriber>,
    ) -> StoreResult<()> {
        self.inner.delete_subscriber(cx, id, fx).await
    }

    async fn subscription(&self, id: SubscriptionId) -> StoreResult<Subscription> {
        self.inner.subscription(id).await
    }

    async fn subscriptions_of(&self, subscriber: SubscriberId) -> StoreResult<Vec<Subscription>> {
        self.inner.subscriptions_of(subscriber).await
    }

    async fn delete_subscription(
        &self,
        cx: WriteContext,
        id: SubscriptionId,
        fx: &EffectsFn<'_, Subscription>,
    ) -> StoreResult<()> {
        self.inner.delete_subscription(cx, id, fx).await
    }
}

#[async_trait]
impl WebhookStore for BrokenStore {
    async fn webhook(&self, id: WebhookId) -> StoreResult<Webhook> {
        self.inner.webhook(id).await
    }

    async fn webhooks(&self) -> StoreResult<Vec<Webhook>> {
        self.inner.webhooks().await
    }

    async fn create_webhook(
        &self,
        cx: WriteContext,
        new: &NewWebhook,
        fx: &EffectsFn<'_, Webhook>,
    ) -> StoreResult<Webhook> {
        self.inner.create_webhook(cx, new, fx).await
    }

    async fn update_webhook(
        &self,
        cx: WriteContext,
        id: WebhookId,
        patch: &WebhookPatch,
        fx: &EffectsFn<'_, Changed<Webhook>>,
    ) -> StoreResult<Webhook> {
        self.inner.update_webhook(cx, id, patch, fx).await
    }

    async fn delete_webhook(
        &self,
        cx: WriteContext,
        id: WebhookId,
        fx: &EffectsFn<'_, Webhook>,
    ) -> StoreResult<()> {
        self.inner.delete_webhook(cx, id, fx).await
    }
}

#[async_trait]
impl PeopleStore for BrokenStore {
    async fn user(&self, id: UserId) -> StoreResult<User> {
        self.inner.user(id).await
    }

    async fn user_by_email(
        &self,
        email: &cachet_core::validate::Email,
    ) -> StoreResult<Option<User>> {
        self.inner.user_by_email(email).await
    }

    async fn users(&self, q: &UserQuery) -> StoreResult<Page<User>> {
        self.inner.users(q).await
    }

    async fn create_user(
        &self,
        cx: WriteContext,
        new: &NewUser,
        fx: &EffectsFn<'_, User>,
    ) -> StoreResult<User> {
        self.inner.create_user(cx, new, fx).await
    }

    async fn update_user(
        &self,
        cx: WriteContext,
        id: UserId,
        patch: &UserPatch,
        fx: &EffectsFn<'_, Changed<User>>,
    ) -> StoreResult<User> {
        self.inner.update_user(cx, id, patch, fx).await
    }

    async fn delete_user(
        &self,
        cx: WriteContext,
        id: UserId,
        fx: &EffectsFn<'_, User>,
    ) -> StoreResult<()> {
        if self.is(Broken::UserDeleteKeepsSessions) {
            let sessions = self.inner.sessions_of(id).await?;
            let result = self.inner.delete_user(cx, id, fx).await;
            // resurrect nothing, but report the sessions as if they survived: the broken
            // store forgets to delete them, which a reader sees through session_by_hash
            self.ghost_sessions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(sessions);
            return result;
        }
        self.inner.delete_user(cx, id, fx).await
    }

    async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        let accepted = self.inner.accept_totp_step(user, step).await?;
        if !accepted && self.is(Broken::TotpReplayAccepted) {
            let last = self.inner.user(user).await?.totp.and_then(|t| t.last_step);
            return Ok(last == Some(step));
        }
        Ok(accepted)
    }

    async fn replace_recovery_codes(
        &self,
        cx: WriteContext,
        user: UserId,
        codes: &[TokenHash],
        fx: &EffectsFn<'_, UserId>,
    ) -> StoreResult<()> {
        self.inner.replace_recovery_codes(cx, user, codes, fx).await
    }

    async fn use_recovery_code(
        &self,
        cx: WriteContext,
        user: UserId,
        code: &TokenHash,
        fx: &EffectsFn<'_, UserId>,
    ) -> StoreResult<bool> {
        self.inner.use_recovery_code(cx, user, code, fx).await
    }

    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<u32> {
        self.inner.recovery_codes_left(user).await
    }

    async fn api_token(&self, id: ApiTokenId) -> StoreResult<ApiToken> {
        self.inner.api_token(id).await
    }

    async fn api_token_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiToken>> {
        self.inner.api_token_by_hash(hash).await
    }

    async fn api_tokens(&self, q: &ApiTokenQuery) -> StoreResult<Page<ApiToken>> {
        self.inner.api_tokens(q).await
    }

    async fn create_api_token(
        &self,
        cx: WriteContext,
        new: &NewApiToken,
        fx: &EffectsFn<'_, ApiToken>,
    ) -> StoreResult<ApiToken> {
        self.inner.create_api_token(cx, new, fx).await
    }

    async fn update_api_token(
        &self,
        cx: WriteContext,
        id: ApiTokenId,
        patch: &ApiTokenPatch,
        fx: &EffectsFn<'_, Changed<ApiToken>>,
    ) -> StoreResult<ApiToken> {
        self.inner.update_api_token(cx, id, patch, fx).await
    }

    async fn delete_api_token(
        &self,
        cx: WriteContext,
        id: ApiTokenId,
        fx: &EffectsFn<'_, ApiToken>,
    ) -> StoreResult<()> {
        self.inner.delete_api_token(cx, id, fx).await
    }

    async fn session_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
        if let Some(s) = self
            .ghost_sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|s| s.hash == *hash)
        {
            return Ok(Some(s.clone()));
        }
        self.inner.session_by_hash(hash).await
    }

    async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<Session>> {
        self.inner.sessions_of(user).await
    }

    async fn create_session(&self, cx: WriteContext, new: &NewSession) -> StoreResult<Session> {
        self.inner.create_session(cx, new).await
    }

    async fn update_session(&self, id: SessionId, patch: &SessionPatch) -> StoreResult<Session> {
        self.inner.update_session(id, patch).await
    }

    async fn delete_session(&self, id: SessionId) -> StoreResult<()> {
        self.inner.delete_session(id).await
    }

    async fn delete_sessions_of(
        &self,
        user: UserId,
        except: Option<SessionId>,
    ) -> StoreResult<u64> {
        self.inner.delete_sessions_of(user, except).await
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        self.inner.delete_expired_sessions(now).await
    }

    async fn end_one_time_tokens(
        &self,
        purpose: TokenPurpose,
        subject: i64,
        now: Timestamp,
    ) -> StoreResult<u64> {
        if self.is(Broken::SiblingTokensSurvive) {
            return Ok(0);
        }
        self.inner.end_one_time_tokens(purpose, subject, now).await
    }

    async fn password_history(&self, user: UserId) -> StoreResult<Vec<PasswordHash>> {
        self.inner.password_history(user).await
    }

    async fn create_one_time_token(
        &self,
        cx: WriteContext,
        new: &NewOneTimeToken,
    ) -> StoreResult<OneTimeToken> {
        self.inner.create_one_time_token(cx, new).await
    }

    async fn consume_one_time_token(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>> {
        if self.is(Broken::OneTimeTokenReusable) {
            return self.inner.peek_one_time_token(purpose, hash, now).await;
        }
        let now = if self.is(Broken::ExpiryInclusive) {
            now - TimeDelta::microseconds(1)
        } else {
            now
        };
        self.inner.consume_one_time_token(purpose, hash, now).await
    }

    async fn peek_one_time_token(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>> {
        let now = if self.is(Broken::ExpiryInclusive) {
            now - TimeDelta::microseconds(1)
        } else {
            now
        };
        self.inner.peek_one_time_token(purpose, hash, now).await
    }

    async fn prune_one_time_tokens(&self, now: Timestamp) -> StoreResult<u64> {
        self.inner.prune_one_time_tokens(now).await
    }
}

#[async_trait]
impl ThrottleStore for BrokenStore {
    async fn throttle(&self, key: &str) -> StoreResult<Option<ThrottleState>> {
        self.inner.throttle(key).await
    }

    async fn save_throttle(&self, state: &ThrottleState) -> StoreResult<()> {
        self.inner.save_throttle(state).await
    }

    async fn clear_throttle(&self, key: &str) -> StoreResult<()> {
        self.inner.clear_throttle(key).await
    }

    async fn prune_throttles(&self, before: Timestamp) -> StoreResult<u64> {
        self.inner.prune_throttles(before).await
    }
}

#[async_trait]
impl RateLimitStore for BrokenStore {
    async fn hit_rate_limit(
        &self,
        key: &RateLimitKey,
        window: RateLimitWindow,
        limit: u32,
    ) -> StoreResult<WindowCounts> {
        if self.is(Broken::RateLimitCountRaces) {
            let seen = *self
                .racy_hits
                .lock()
                .unwrap()
                .get(key.as_str())
                .unwrap_or(&0);
            tokio::task::yield_now().await;
            let current = (seen + 1).min(limit + 1);
            self.racy_hits
                .lock()
                .unwrap()
                .insert(key.as_str().to_owned(), current);
            return Ok(WindowCounts {
                current,
                previous: 0,
            });
        }
        let window = if self.is(Broken::RateLimitWindowsNeverRoll) {
            *self
                .first_windows
                .lock()
                .unwrap()
                .entry(key.as_str().to_owned())
                .or_insert(window)
        } else {
            window
        };
        let key = if self.is(Broken::RateLimitKeysShared) {
            RateLimitKey::new("shared").unwrap()
        } else {
            key.clone()
        };
        self.inner.hit_rate_limit(&key, window, limit).await
    }

    async fn prune_rate_limits(&self, before: Timestamp) -> StoreResult<u64> {
        let before = if self.is(Broken::RateLimitPruneForgetsAll) {
            Timestamp::MAX_UTC
        } else {
            before
        };
        self.inner.prune_rate_limits(before).await
    }
}

#[async_trait]
impl IdempotencyStore for BrokenStore {
    async fn claim_idempotency_key(
        &self,
        claim: &IdempotencyClaim,
    ) -> StoreResult<IdempotencyOutcome> {
        if self.is(Broken::IdempotencyLeaseIgnored) {
            // Claims as if every lease had already run out.
            let mut late = claim.clone();
            late.now = Timestamp::MAX_UTC;
            return self.inner.claim_idempotency_key(&late).await;
        }
        let outcome = self.inner.claim_idempotency_key(claim).await?;
        if outcome == IdempotencyOutcome::Mismatch && self.is(Broken::IdempotencyMismatchReplayed) {
            let mut same = claim.clone();
            same.fingerprint = self.first_fingerprint(&claim.key);
            return self.inner.claim_idempotency_key(&same).await;
        }
        Ok(outcome)
    }

    async fn finish_idempotency_key(
        &self,
        key: &str,
        fingerprint: &str,
        answer: &IdempotentAnswer,
    ) -> StoreResult<()> {
        self.remember_fingerprint(key, fingerprint);
        self.inner
            .finish_idempotency_key(key, fingerprint, answer)
            .await
    }

    async fn release_idempotency_key(&self, key: &str, fingerprint: &str) -> StoreResult<()> {
        self.inner.release_idempotency_key(key, fingerprint).await
    }

    async fn prune_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        self.inner.prune_idempotency_keys(before).await
    }
}

impl BackupStore for BrokenStore {}

// The alert area passes through unbroken: `conformance_support/alerts.rs`.
#[path = "conformance_support/alerts.rs"]
mod alerts;

#[async_trait]
impl AuditStore for BrokenStore {
    async fn prune_audit(&self, before: Timestamp) -> StoreResult<u64> {
        if self.is(Broken::AuditNeverPruned) {
            return Ok(0);
        }
        self.inner.prune_audit(before).await
    }

    async fn append_audit(&self, event: &NewAuditEvent) -> StoreResult<AuditEvent> {
        self.inner.append_audit(event).await
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Page<AuditEvent>> {
        self.inner.audit_events(q).await
    }
}

#[async_trait]
impl OutboxStore for BrokenStore {
    async fn enqueue(&self, cx: WriteContext, event: &NewOutboxEvent) -> StoreResult<OutboxEvent> {
        self.inner.enqueue(cx, event).await
    }

    async fn outbox_events(&self, q: &OutboxQuery) -> StoreResult<Page<OutboxEvent>> {
        self.inner.outbox_events(q).await
    }

    async fn claim_outbox_events(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutboxEvent>> {
        if self.is(Broken::LeaseIgnored) {
            // claims as if every lease had already expired
            return self
                .inner
                .claim_outbox_events(
                    owner,
                    now + TimeDelta::days(365),
                    lease_until + TimeDelta::days(365),
                    limit,
                )
                .await;
        }
        self.inner
            .claim_outbox_events(owner, now, lease_until, limit)
            .await
    }

    async fn complete_outbox_event(
        &self,
        cx: WriteContext,
        id: OutboxEventId,
        owner: &str,
        deliveries: &[NewDelivery],
    ) -> StoreResult<()> {
        self.inner
            .complete_outbox_event(cx, id, owner, deliveries)
            .await
    }

    async fn fail_outbox_event(
        &self,
        id: OutboxEventId,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        self.inner
            .fail_outbox_event(id, owner, error, retry_at)
            .await
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        channel: Option<&str>,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        self.inner
            .claim_deliveries(owner, channel, now, lease_until, limit)
            .await
    }

    async fn record_delivery_attempt(
        &self,
        id: DeliveryId,
        owner: &str,
        attempt: &NewDeliveryAttempt,
    ) -> StoreResult<Delivery> {
        self.inner.record_delivery_attempt(id, owner, attempt).await
    }

    async fn renew_outbox_leases(
        &self,
        owner: &str,
        events: &[OutboxEventId],
        deliveries: &[DeliveryId],
        lease_until: Timestamp,
    ) -> StoreResult<u64> {
        if self.is(Broken::LeaseRenewalIgnored) {
            // reports a renewal of everything named without extending anything
            return Ok((events.len() + deliveries.len()) as u64);
        }
        self.inner
            .renew_outbox_leases(owner, events, deliveries, lease_until)
            .await
    }

    async fn release_outbox_leases(&self, owner: &str) -> StoreResult<u64> {
        self.inner.release_outbox_leases(owner).await
    }

    async fn release_deliveries(&self, owner: &str, ids: &[DeliveryId]) -> StoreResult<u64> {
        if self.is(Broken::HandBackIgnoresOwner) {
            let mut n = 0;
            for d in self.inner.deliveries(&DeliveryQuery::all()).await?.items {
                if ids.contains(&d.id)
                    && let Some(holder) = d.lease_owner
                {
                    n += self.inner.release_deliveries(&holder, &[d.id]).await?;
                }
            }
            return Ok(n);
        }
        self.inner.release_deliveries(owner, ids).await
    }

    async fn deliveries(&self, q: &DeliveryQuery) -> StoreResult<Page<Delivery>> {
        self.inner.deliveries(q).await
    }

    async fn delivery_attempts(&self, id: DeliveryId) -> StoreResult<Vec<DeliveryAttempt>> {
        self.inner.delivery_attempts(id).await
    }

    async fn prune_outbox(&self, before: Timestamp) -> StoreResult<u64> {
        self.inner.prune_outbox(before).await
    }
}

/// Runs every check against fresh broken stores; returns the names of the failing checks.
async fn failing_checks(broken: Option<Broken>) -> Vec<String> {
    let mut failed = Vec::new();
    for (name, check) in CHECKS {
        let store = BrokenStore::new(broken);
        if let Err(f) = check(&store).await {
            println!("{broken:?} caught by {name}: {f}");
            failed.push((*name).to_owned());
        }
    }
    failed
}

macro_rules! catches {
    ($($test:ident => $broken:ident),+ $(,)?) => {$(
        #[test]
        fn $test() {
            cachet_core::testing::__run(async {
                let failed = failing_checks(Some(Broken::$broken)).await;
                assert!(!failed.is_empty(), "no check caught Broken::{}", stringify!($broken));
                println!("Broken::{} caught by {} check(s): {}", stringify!($broken), failed.len(), failed.join(", "));
            });
        }
    )+};
}

catches! {
    catches_sort_direction_ignored => SortDirectionIgnored,
    catches_revision_frozen => RevisionFrozen,
    catches_subscriber_conflict_missed => SubscriberConflictMissed,
    catches_one_time_token_reusable => OneTimeTokenReusable,
    catches_history_without_prior_entry => HistoryWithoutPriorEntry,
    catches_expiry_inclusive => ExpiryInclusive,
    catches_incident_not_atomic => IncidentNotAtomic,
    catches_total_is_page_length => TotalIsPageLength,
    catches_compare_and_set_ignored => CompareAndSetIgnored,
    catches_effects_on_failure => EffectsOnFailure,
    catches_totp_replay_accepted => TotpReplayAccepted,
    catches_lease_ignored => LeaseIgnored,
    catches_user_delete_keeps_sessions => UserDeleteKeepsSessions,
    catches_sibling_tokens_survive => SiblingTokensSurvive,
    catches_audit_never_pruned => AuditNeverPruned,
    catches_idempotency_mismatch_replayed => IdempotencyMismatchReplayed,
    catches_idempotency_lease_ignored => IdempotencyLeaseIgnored,
    catches_lease_renewal_ignored => LeaseRenewalIgnored,
    catches_hand_back_ignores_owner => HandBackIgnoresOwner,
    catches_rate_limit_count_races => RateLimitCountRaces,
    catches_rate_limit_windows_never_roll => RateLimitWindowsNeverRoll,
    catches_rate_limit_prune_forgets_all => RateLimitPruneForgetsAll,
    catches_rate_limit_keys_shared => RateLimitKeysShared,
}

/// The delegate itself is faithful: with nothing broken, every check passes.
#[test]
fn unbroken_delegate_passes_every_check() {
    cachet_core::testing::__run(async {
        let failed = failing_checks(None).await;
        assert!(
            failed.is_empty(),
            "checks failing on the faithful delegate: {failed:?}"
        );
    });
}

#[test]
fn checks_are_listed_once_and_plenty() {
    let mut names: Vec<&str> = CHECKS.iter().map(|(n, _)| *n).collect();
    assert!(names.len() >= 65, "only {} checks", names.len());
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CHECKS.len(), "duplicate check names");
}
