//! The store trait impls of each backend: every method forwards to its generic function in
//! [`crate::sql`]. A backend that implements every area's trait is a
//! [`Store`](cachet_core::store::Store) by `cachet-core`'s blanket impl.
//!
//! This is the one macro left, and it only forwards. It exists because the area traits
//! (`ComponentStore`, `PeopleStore`, ...) are `cachet-core`'s and the three store types are
//! distinct public structs: a blanket `impl<D: Dialect> ComponentStore for D` is not allowed
//! for a foreign trait, and folding the stores into one generic public type would put the
//! private [`Dialect`](crate::sql::Dialect) into the public API. So each backend module calls
//! [`forward_store!`] once, and the SQL, the transactions and the error mapping live in
//! ordinary generic functions.

/// One impl block per area trait for `$Store`, forwarding each method to
/// `crate::sql::<area>::<method>`. The impls sit in an anonymous `const` block so their
/// imports do not leak into the calling backend module.
macro_rules! forward_store {
    ($Store:ty) => {
        const _: () = {
            use cachet_core::model::*;
            use cachet_core::store::prelude::*;
            use cachet_core::store::{
                Changed, Effects, EffectsFn, Page, RateLimitKey, RateLimitWindow, StoreResult,
                WindowCounts, WriteContext, query::*,
            };
            use cachet_core::validate::{Email, MetricValue};

            #[async_trait::async_trait]
            impl RevisionStore for $Store {
                async fn revision(&self) -> StoreResult<u64> {
                    $crate::sql::settings::revision(self).await
                }

                fn pool_stats(&self) -> Option<cachet_core::store::PoolStats> {
                    Some(self.pool_figures())
                }
            }

            #[async_trait::async_trait]
            impl SettingsStore for $Store {
                async fn settings(&self) -> StoreResult<Vec<(SettingKey, String)>> {
                    $crate::sql::settings::settings(self).await
                }

                async fn put_settings(
                    &self,
                    cx: WriteContext,
                    values: &[(SettingKey, String)],
                    fx: &Effects,
                ) -> StoreResult<()> {
                    $crate::sql::settings::put_settings(self, cx, values, fx).await
                }
            }

            #[async_trait::async_trait]
            impl ComponentStore for $Store {
                async fn component(&self, id: ComponentId) -> StoreResult<Component> {
                    $crate::sql::components::component(self, id).await
                }

                async fn components(&self, q: &ComponentQuery) -> StoreResult<Page<Component>> {
                    $crate::sql::components::components(self, q).await
                }

                async fn create_component(
                    &self,
                    cx: WriteContext,
                    new: &NewComponent,
                    fx: &EffectsFn<'_, Component>,
                ) -> StoreResult<Component> {
                    $crate::sql::components::create_component(self, cx, new, fx).await
                }

                async fn update_component(
                    &self,
                    cx: WriteContext,
                    id: ComponentId,
                    patch: &ComponentPatch,
                    fx: &EffectsFn<'_, Changed<Component>>,
                ) -> StoreResult<Component> {
                    $crate::sql::components::update_component(self, cx, id, patch, fx).await
                }

                async fn delete_component(
                    &self,
                    cx: WriteContext,
                    id: ComponentId,
                    fx: &EffectsFn<'_, Component>,
                ) -> StoreResult<()> {
                    $crate::sql::components::delete_component(self, cx, id, fx).await
                }

                async fn status_history(
                    &self,
                    id: ComponentId,
                    since: Timestamp,
                ) -> StoreResult<Vec<StatusChange>> {
                    $crate::sql::components::status_history(self, id, since).await
                }

                async fn group(&self, id: GroupId) -> StoreResult<ComponentGroup> {
                    $crate::sql::components::group(self, id).await
                }

                async fn groups(&self, q: &GroupQuery) -> StoreResult<Page<ComponentGroup>> {
                    $crate::sql::components::groups(self, q).await
                }

                async fn create_group(
                    &self,
                    cx: WriteContext,
                    new: &NewComponentGroup,
                    fx: &EffectsFn<'_, ComponentGroup>,
                ) -> StoreResult<ComponentGroup> {
                    $crate::sql::components::create_group(self, cx, new, fx).await
                }

                async fn update_group(
                    &self,
                    cx: WriteContext,
                    id: GroupId,
                    patch: &ComponentGroupPatch,
                    fx: &EffectsFn<'_, Changed<ComponentGroup>>,
                ) -> StoreResult<ComponentGroup> {
                    $crate::sql::components::update_group(self, cx, id, patch, fx).await
                }

                async fn delete_group(
                    &self,
                    cx: WriteContext,
                    id: GroupId,
                    fx: &EffectsFn<'_, ComponentGroup>,
                ) -> StoreResult<()> {
                    $crate::sql::components::delete_group(self, cx, id, fx).await
                }
            }

            #[async_trait::async_trait]
            impl IncidentStore for $Store {
                async fn incident(&self, id: IncidentId) -> StoreResult<Incident> {
                    $crate::sql::incidents::incident(self, id).await
                }

                async fn incidents(&self, q: &IncidentQuery) -> StoreResult<Page<Incident>> {
                    $crate::sql::incidents::incidents(self, q).await
                }

                async fn create_incident(
                    &self,
                    cx: WriteContext,
                    new: &NewIncident,
                    fx: &EffectsFn<'_, Incident>,
                ) -> StoreResult<Incident> {
                    $crate::sql::incidents::create_incident(self, cx, new, fx).await
                }

                async fn update_incident(
                    &self,
                    cx: WriteContext,
                    id: IncidentId,
                    patch: &IncidentPatch,
                    fx: &EffectsFn<'_, Changed<Incident>>,
                ) -> StoreResult<Incident> {
                    $crate::sql::incidents::update_incident(self, cx, id, patch, fx).await
                }

                async fn delete_incident(
                    &self,
                    cx: WriteContext,
                    id: IncidentId,
                    fx: &EffectsFn<'_, Incident>,
                ) -> StoreResult<()> {
                    $crate::sql::incidents::delete_incident(self, cx, id, fx).await
                }

                async fn incident_update(
                    &self,
                    incident: IncidentId,
                    id: IncidentUpdateId,
                ) -> StoreResult<IncidentUpdate> {
                    $crate::sql::incidents::incident_update(self, incident, id).await
                }

                async fn incident_updates(
                    &self,
                    incident: IncidentId,
                    page: PageRequest,
                ) -> StoreResult<Page<IncidentUpdate>> {
                    $crate::sql::incidents::incident_updates(self, incident, page).await
                }

                async fn incident_updates_of(
                    &self,
                    incidents: &[IncidentId],
                ) -> StoreResult<Vec<IncidentUpdate>> {
                    $crate::sql::incidents::incident_updates_of(self, incidents).await
                }

                async fn create_incident_update(
                    &self,
                    cx: WriteContext,
                    incident: IncidentId,
                    new: &NewIncidentUpdate,
                    fx: &EffectsFn<'_, IncidentUpdate>,
                ) -> StoreResult<IncidentUpdate> {
                    $crate::sql::incidents::create_incident_update(self, cx, incident, new, fx)
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
                    $crate::sql::incidents::update_incident_update(
                        self, cx, incident, id, patch, fx,
                    )
                    .await
                }

                async fn delete_incident_update(
                    &self,
                    cx: WriteContext,
                    incident: IncidentId,
                    id: IncidentUpdateId,
                    fx: &EffectsFn<'_, IncidentUpdate>,
                ) -> StoreResult<()> {
                    $crate::sql::incidents::delete_incident_update(self, cx, incident, id, fx).await
                }

                async fn template(&self, id: TemplateId) -> StoreResult<IncidentTemplate> {
                    $crate::sql::incidents::template(self, id).await
                }

                async fn templates(
                    &self,
                    q: &TemplateQuery,
                ) -> StoreResult<Page<IncidentTemplate>> {
                    $crate::sql::incidents::templates(self, q).await
                }

                async fn create_template(
                    &self,
                    cx: WriteContext,
                    new: &NewIncidentTemplate,
                    fx: &EffectsFn<'_, IncidentTemplate>,
                ) -> StoreResult<IncidentTemplate> {
                    $crate::sql::incidents::create_template(self, cx, new, fx).await
                }

                async fn update_template(
                    &self,
                    cx: WriteContext,
                    id: TemplateId,
                    patch: &IncidentTemplatePatch,
                    fx: &EffectsFn<'_, Changed<IncidentTemplate>>,
                ) -> StoreResult<IncidentTemplate> {
                    $crate::sql::incidents::update_template(self, cx, id, patch, fx).await
                }

                async fn delete_template(
                    &self,
                    cx: WriteContext,
                    id: TemplateId,
                    fx: &EffectsFn<'_, IncidentTemplate>,
                ) -> StoreResult<()> {
                    $crate::sql::incidents::delete_template(self, cx, id, fx).await
                }
            }

            #[async_trait::async_trait]
            impl ScheduleStore for $Store {
                async fn schedule(&self, id: ScheduleId) -> StoreResult<Schedule> {
                    $crate::sql::schedules::schedule(self, id).await
                }

                async fn schedules(&self, q: &ScheduleQuery) -> StoreResult<Page<Schedule>> {
                    $crate::sql::schedules::schedules(self, q).await
                }

                async fn create_schedule(
                    &self,
                    cx: WriteContext,
                    new: &NewSchedule,
                    fx: &EffectsFn<'_, Schedule>,
                ) -> StoreResult<Schedule> {
                    $crate::sql::schedules::create_schedule(self, cx, new, fx).await
                }

                async fn update_schedule(
                    &self,
                    cx: WriteContext,
                    id: ScheduleId,
                    patch: &SchedulePatch,
                    fx: &EffectsFn<'_, Changed<Schedule>>,
                ) -> StoreResult<Schedule> {
                    $crate::sql::schedules::update_schedule(self, cx, id, patch, fx).await
                }

                async fn delete_schedule(
                    &self,
                    cx: WriteContext,
                    id: ScheduleId,
                    fx: &EffectsFn<'_, Schedule>,
                ) -> StoreResult<()> {
                    $crate::sql::schedules::delete_schedule(self, cx, id, fx).await
                }

                async fn schedule_updates(
                    &self,
                    schedule: ScheduleId,
                ) -> StoreResult<Vec<ScheduleUpdate>> {
                    $crate::sql::schedules::schedule_updates(self, schedule).await
                }

                async fn create_schedule_update(
                    &self,
                    cx: WriteContext,
                    schedule: ScheduleId,
                    new: &NewScheduleUpdate,
                    fx: &EffectsFn<'_, ScheduleUpdate>,
                ) -> StoreResult<ScheduleUpdate> {
                    $crate::sql::schedules::create_schedule_update(self, cx, schedule, new, fx)
                        .await
                }

                async fn delete_schedule_update(
                    &self,
                    cx: WriteContext,
                    schedule: ScheduleId,
                    id: ScheduleUpdateId,
                    fx: &EffectsFn<'_, ScheduleUpdate>,
                ) -> StoreResult<()> {
                    $crate::sql::schedules::delete_schedule_update(self, cx, schedule, id, fx).await
                }
            }

            #[async_trait::async_trait]
            impl MetricStore for $Store {
                async fn metric(&self, id: MetricId) -> StoreResult<Metric> {
                    $crate::sql::metrics::metric(self, id).await
                }

                async fn metrics(&self, q: &MetricQuery) -> StoreResult<Page<Metric>> {
                    $crate::sql::metrics::metrics(self, q).await
                }

                async fn create_metric(
                    &self,
                    cx: WriteContext,
                    new: &NewMetric,
                    fx: &EffectsFn<'_, Metric>,
                ) -> StoreResult<Metric> {
                    $crate::sql::metrics::create_metric(self, cx, new, fx).await
                }

                async fn update_metric(
                    &self,
                    cx: WriteContext,
                    id: MetricId,
                    patch: &MetricPatch,
                    fx: &EffectsFn<'_, Changed<Metric>>,
                ) -> StoreResult<Metric> {
                    $crate::sql::metrics::update_metric(self, cx, id, patch, fx).await
                }

                async fn delete_metric(
                    &self,
                    cx: WriteContext,
                    id: MetricId,
                    fx: &EffectsFn<'_, Metric>,
                ) -> StoreResult<()> {
                    $crate::sql::metrics::delete_metric(self, cx, id, fx).await
                }

                async fn metric_point(
                    &self,
                    metric: MetricId,
                    id: MetricPointId,
                ) -> StoreResult<MetricPoint> {
                    $crate::sql::metrics::metric_point(self, metric, id).await
                }

                async fn metric_points(
                    &self,
                    metric: MetricId,
                    q: &MetricPointQuery,
                ) -> StoreResult<Page<MetricPoint>> {
                    $crate::sql::metrics::metric_points(self, metric, q).await
                }

                async fn record_metric_point(
                    &self,
                    cx: WriteContext,
                    metric: MetricId,
                    new: &NewMetricPoint,
                    fx: &EffectsFn<'_, MetricPoint>,
                ) -> StoreResult<MetricPoint> {
                    $crate::sql::metrics::record_metric_point(self, cx, metric, new, fx).await
                }

                async fn update_metric_point(
                    &self,
                    cx: WriteContext,
                    metric: MetricId,
                    id: MetricPointId,
                    value: MetricValue,
                    created_at: Option<Timestamp>,
                    fx: &EffectsFn<'_, Changed<MetricPoint>>,
                ) -> StoreResult<MetricPoint> {
                    $crate::sql::metrics::update_metric_point(
                        self, cx, metric, id, value, created_at, fx,
                    )
                    .await
                }

                async fn delete_metric_point(
                    &self,
                    cx: WriteContext,
                    metric: MetricId,
                    id: MetricPointId,
                    fx: &EffectsFn<'_, MetricPoint>,
                ) -> StoreResult<()> {
                    $crate::sql::metrics::delete_metric_point(self, cx, metric, id, fx).await
                }
            }

            #[async_trait::async_trait]
            impl SubscriberStore for $Store {
                async fn subscriber(&self, id: SubscriberId) -> StoreResult<Subscriber> {
                    $crate::sql::subscribers::subscriber(self, id).await
                }

                async fn subscribers_by_id(
                    &self,
                    ids: &[SubscriberId],
                ) -> StoreResult<Vec<Subscriber>> {
                    $crate::sql::subscribers::subscribers_by_id(self, ids).await
                }

                async fn subscriber_by_blind_index(
                    &self,
                    index: &BlindIndex,
                ) -> StoreResult<Option<Subscriber>> {
                    $crate::sql::subscribers::subscriber_by_blind_index(self, index).await
                }

                async fn subscribers(&self, q: &SubscriberQuery) -> StoreResult<Page<Subscriber>> {
                    $crate::sql::subscribers::subscribers(self, q).await
                }

                async fn audience(
                    &self,
                    components: &[ComponentId],
                    after: Option<SubscriberId>,
                    limit: u32,
                ) -> StoreResult<Vec<(SubscriberId, SubscriberChannel)>> {
                    $crate::sql::subscribers::audience(self, components, after, limit).await
                }

                async fn create_subscriber(
                    &self,
                    cx: WriteContext,
                    new: &NewSubscriber,
                    fx: &EffectsFn<'_, Subscriber>,
                ) -> StoreResult<Subscriber> {
                    $crate::sql::subscribers::create_subscriber(self, cx, new, fx).await
                }

                async fn update_subscriber(
                    &self,
                    cx: WriteContext,
                    id: SubscriberId,
                    patch: &SubscriberPatch,
                    fx: &EffectsFn<'_, Changed<Subscriber>>,
                ) -> StoreResult<Subscriber> {
                    $crate::sql::subscribers::update_subscriber(self, cx, id, patch, fx).await
                }

                async fn delete_subscriber(
                    &self,
                    cx: WriteContext,
                    id: SubscriberId,
                    fx: &EffectsFn<'_, Subscriber>,
                ) -> StoreResult<()> {
                    $crate::sql::subscribers::delete_subscriber(self, cx, id, fx).await
                }

                async fn subscription(&self, id: SubscriptionId) -> StoreResult<Subscription> {
                    $crate::sql::subscribers::subscription(self, id).await
                }

                async fn subscriptions_of(
                    &self,
                    subscriber: SubscriberId,
                ) -> StoreResult<Vec<Subscription>> {
                    $crate::sql::subscribers::subscriptions_of(self, subscriber).await
                }

                async fn delete_subscription(
                    &self,
                    cx: WriteContext,
                    id: SubscriptionId,
                    fx: &EffectsFn<'_, Subscription>,
                ) -> StoreResult<()> {
                    $crate::sql::subscribers::delete_subscription(self, cx, id, fx).await
                }
            }

            #[async_trait::async_trait]
            impl WebhookStore for $Store {
                async fn webhook(&self, id: WebhookId) -> StoreResult<Webhook> {
                    $crate::sql::webhooks::webhook(self, id).await
                }

                async fn webhooks(&self) -> StoreResult<Vec<Webhook>> {
                    $crate::sql::webhooks::webhooks(self).await
                }

                async fn create_webhook(
                    &self,
                    cx: WriteContext,
                    new: &NewWebhook,
                    fx: &EffectsFn<'_, Webhook>,
                ) -> StoreResult<Webhook> {
                    $crate::sql::webhooks::create_webhook(self, cx, new, fx).await
                }

                async fn update_webhook(
                    &self,
                    cx: WriteContext,
                    id: WebhookId,
                    patch: &WebhookPatch,
                    fx: &EffectsFn<'_, Changed<Webhook>>,
                ) -> StoreResult<Webhook> {
                    $crate::sql::webhooks::update_webhook(self, cx, id, patch, fx).await
                }

                async fn delete_webhook(
                    &self,
                    cx: WriteContext,
                    id: WebhookId,
                    fx: &EffectsFn<'_, Webhook>,
                ) -> StoreResult<()> {
                    $crate::sql::webhooks::delete_webhook(self, cx, id, fx).await
                }
            }

            #[async_trait::async_trait]
            impl AlertStore for $Store {
                async fn integration(&self, id: IntegrationId) -> StoreResult<Integration> {
                    $crate::sql::alerts::integration(self, id).await
                }

                async fn integration_by_secret(
                    &self,
                    hash: &TokenHash,
                ) -> StoreResult<Option<Integration>> {
                    $crate::sql::alerts::integration_by_secret(self, hash).await
                }

                async fn integrations(&self) -> StoreResult<Vec<Integration>> {
                    $crate::sql::alerts::integrations(self).await
                }

                async fn create_integration(
                    &self,
                    cx: WriteContext,
                    new: &NewIntegration,
                    fx: &EffectsFn<'_, Integration>,
                ) -> StoreResult<Integration> {
                    $crate::sql::alerts::create_integration(self, cx, new, fx).await
                }

                async fn update_integration(
                    &self,
                    cx: WriteContext,
                    id: IntegrationId,
                    patch: &IntegrationPatch,
                    fx: &EffectsFn<'_, Changed<Integration>>,
                ) -> StoreResult<Integration> {
                    $crate::sql::alerts::update_integration(self, cx, id, patch, fx).await
                }

                async fn delete_integration(
                    &self,
                    cx: WriteContext,
                    id: IntegrationId,
                    fx: &EffectsFn<'_, Integration>,
                ) -> StoreResult<()> {
                    $crate::sql::alerts::delete_integration(self, cx, id, fx).await
                }

                async fn alert_rule(&self, id: AlertRuleId) -> StoreResult<AlertRule> {
                    $crate::sql::alerts::alert_rule(self, id).await
                }

                async fn alert_rules(
                    &self,
                    integration: Option<IntegrationId>,
                ) -> StoreResult<Vec<AlertRule>> {
                    $crate::sql::alerts::alert_rules(self, integration).await
                }

                async fn create_alert_rule(
                    &self,
                    cx: WriteContext,
                    new: &NewAlertRule,
                    fx: &EffectsFn<'_, AlertRule>,
                ) -> StoreResult<AlertRule> {
                    $crate::sql::alerts::create_alert_rule(self, cx, new, fx).await
                }

                async fn update_alert_rule(
                    &self,
                    cx: WriteContext,
                    id: AlertRuleId,
                    settings: &AlertRuleSettings,
                    fx: &EffectsFn<'_, Changed<AlertRule>>,
                ) -> StoreResult<AlertRule> {
                    $crate::sql::alerts::update_alert_rule(self, cx, id, settings, fx).await
                }

                async fn delete_alert_rule(
                    &self,
                    cx: WriteContext,
                    id: AlertRuleId,
                    fx: &EffectsFn<'_, AlertRule>,
                ) -> StoreResult<()> {
                    $crate::sql::alerts::delete_alert_rule(self, cx, id, fx).await
                }

                async fn alert_states(&self) -> StoreResult<Vec<AlertState>> {
                    $crate::sql::alerts::alert_states(self).await
                }

                async fn observe_alert(
                    &self,
                    cx: WriteContext,
                    obs: &AlertObservation,
                ) -> StoreResult<bool> {
                    $crate::sql::alerts::observe_alert(self, cx, obs).await
                }

                async fn settle_alert(
                    &self,
                    rule: AlertRuleId,
                    key: &AlertKey,
                    firing: bool,
                    since: Timestamp,
                ) -> StoreResult<bool> {
                    $crate::sql::alerts::settle_alert(self, rule, key, firing, since).await
                }
            }

            #[async_trait::async_trait]
            impl PeopleStore for $Store {
                async fn user(&self, id: UserId) -> StoreResult<User> {
                    $crate::sql::people::user(self, id).await
                }

                async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
                    $crate::sql::people::user_by_email(self, email).await
                }

                async fn users(&self, q: &UserQuery) -> StoreResult<Page<User>> {
                    $crate::sql::people::users(self, q).await
                }

                async fn create_user(
                    &self,
                    cx: WriteContext,
                    new: &NewUser,
                    fx: &EffectsFn<'_, User>,
                ) -> StoreResult<User> {
                    $crate::sql::people::create_user(self, cx, new, fx).await
                }

                async fn update_user(
                    &self,
                    cx: WriteContext,
                    id: UserId,
                    patch: &UserPatch,
                    fx: &EffectsFn<'_, Changed<User>>,
                ) -> StoreResult<User> {
                    $crate::sql::people::update_user(self, cx, id, patch, fx).await
                }

                async fn delete_user(
                    &self,
                    cx: WriteContext,
                    id: UserId,
                    fx: &EffectsFn<'_, User>,
                ) -> StoreResult<()> {
                    $crate::sql::people::delete_user(self, cx, id, fx).await
                }

                async fn password_history(&self, user: UserId) -> StoreResult<Vec<PasswordHash>> {
                    $crate::sql::people::password_history(self, user).await
                }

                async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
                    $crate::sql::people::accept_totp_step(self, user, step).await
                }

                async fn replace_recovery_codes(
                    &self,
                    cx: WriteContext,
                    user: UserId,
                    codes: &[TokenHash],
                    fx: &EffectsFn<'_, UserId>,
                ) -> StoreResult<()> {
                    $crate::sql::people::replace_recovery_codes(self, cx, user, codes, fx).await
                }

                async fn use_recovery_code(
                    &self,
                    cx: WriteContext,
                    user: UserId,
                    code: &TokenHash,
                    fx: &EffectsFn<'_, UserId>,
                ) -> StoreResult<bool> {
                    $crate::sql::people::use_recovery_code(self, cx, user, code, fx).await
                }

                async fn recovery_codes_left(&self, user: UserId) -> StoreResult<u32> {
                    $crate::sql::people::recovery_codes_left(self, user).await
                }

                async fn api_token(&self, id: ApiTokenId) -> StoreResult<ApiToken> {
                    $crate::sql::people::api_token(self, id).await
                }

                async fn api_token_by_hash(
                    &self,
                    hash: &TokenHash,
                ) -> StoreResult<Option<ApiToken>> {
                    $crate::sql::people::api_token_by_hash(self, hash).await
                }

                async fn api_tokens(&self, q: &ApiTokenQuery) -> StoreResult<Page<ApiToken>> {
                    $crate::sql::people::api_tokens(self, q).await
                }

                async fn create_api_token(
                    &self,
                    cx: WriteContext,
                    new: &NewApiToken,
                    fx: &EffectsFn<'_, ApiToken>,
                ) -> StoreResult<ApiToken> {
                    $crate::sql::people::create_api_token(self, cx, new, fx).await
                }

                async fn update_api_token(
                    &self,
                    cx: WriteContext,
                    id: ApiTokenId,
                    patch: &ApiTokenPatch,
                    fx: &EffectsFn<'_, Changed<ApiToken>>,
                ) -> StoreResult<ApiToken> {
                    $crate::sql::people::update_api_token(self, cx, id, patch, fx).await
                }

                async fn delete_api_token(
                    &self,
                    cx: WriteContext,
                    id: ApiTokenId,
                    fx: &EffectsFn<'_, ApiToken>,
                ) -> StoreResult<()> {
                    $crate::sql::people::delete_api_token(self, cx, id, fx).await
                }

                async fn session_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
                    $crate::sql::people::session_by_hash(self, hash).await
                }

                async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<Session>> {
                    $crate::sql::people::sessions_of(self, user).await
                }

                async fn create_session(
                    &self,
                    cx: WriteContext,
                    new: &NewSession,
                ) -> StoreResult<Session> {
                    $crate::sql::people::create_session(self, cx, new).await
                }

                async fn update_session(
                    &self,
                    id: SessionId,
                    patch: &SessionPatch,
                ) -> StoreResult<Session> {
                    $crate::sql::people::update_session(self, id, patch).await
                }

                async fn delete_session(&self, id: SessionId) -> StoreResult<()> {
                    $crate::sql::people::delete_session(self, id).await
                }

                async fn delete_sessions_of(
                    &self,
                    user: UserId,
                    except: Option<SessionId>,
                ) -> StoreResult<u64> {
                    $crate::sql::people::delete_sessions_of(self, user, except).await
                }

                async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
                    $crate::sql::people::delete_expired_sessions(self, now).await
                }

                async fn end_one_time_tokens(
                    &self,
                    purpose: TokenPurpose,
                    subject: i64,
                    now: Timestamp,
                ) -> StoreResult<u64> {
                    $crate::sql::people::end_one_time_tokens(self, purpose, subject, now).await
                }

                async fn create_one_time_token(
                    &self,
                    cx: WriteContext,
                    new: &NewOneTimeToken,
                ) -> StoreResult<OneTimeToken> {
                    $crate::sql::people::create_one_time_token(self, cx, new).await
                }

                async fn consume_one_time_token(
                    &self,
                    purpose: TokenPurpose,
                    hash: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<OneTimeToken>> {
                    $crate::sql::people::consume_one_time_token(self, purpose, hash, now).await
                }

                async fn peek_one_time_token(
                    &self,
                    purpose: TokenPurpose,
                    hash: &TokenHash,
                    now: Timestamp,
                ) -> StoreResult<Option<OneTimeToken>> {
                    $crate::sql::people::peek_one_time_token(self, purpose, hash, now).await
                }

                async fn prune_one_time_tokens(&self, now: Timestamp) -> StoreResult<u64> {
                    $crate::sql::people::prune_one_time_tokens(self, now).await
                }
            }

            #[async_trait::async_trait]
            impl ThrottleStore for $Store {
                async fn throttle(&self, key: &str) -> StoreResult<Option<ThrottleState>> {
                    $crate::sql::throttles::throttle(self, key).await
                }

                async fn save_throttle(&self, state: &ThrottleState) -> StoreResult<()> {
                    $crate::sql::throttles::save_throttle(self, state).await
                }

                async fn clear_throttle(&self, key: &str) -> StoreResult<()> {
                    $crate::sql::throttles::clear_throttle(self, key).await
                }

                async fn prune_throttles(&self, before: Timestamp) -> StoreResult<u64> {
                    $crate::sql::throttles::prune_throttles(self, before).await
                }
            }

            #[async_trait::async_trait]
            impl RateLimitStore for $Store {
                async fn hit_rate_limit(
                    &self,
                    key: &RateLimitKey,
                    window: RateLimitWindow,
                    limit: u32,
                ) -> StoreResult<WindowCounts> {
                    $crate::sql::rate_limits::hit_rate_limit(self, key, window, limit).await
                }

                async fn prune_rate_limits(&self, before: Timestamp) -> StoreResult<u64> {
                    $crate::sql::rate_limits::prune_rate_limits(self, before).await
                }
            }

            #[async_trait::async_trait]
            impl IdempotencyStore for $Store {
                async fn claim_idempotency_key(
                    &self,
                    claim: &IdempotencyClaim,
                ) -> StoreResult<IdempotencyOutcome> {
                    $crate::sql::idempotency::claim_idempotency_key(self, claim).await
                }

                async fn finish_idempotency_key(
                    &self,
                    key: &str,
                    fingerprint: &str,
                    answer: &IdempotentAnswer,
                ) -> StoreResult<()> {
                    $crate::sql::idempotency::finish_idempotency_key(self, key, fingerprint, answer)
                        .await
                }

                async fn release_idempotency_key(
                    &self,
                    key: &str,
                    fingerprint: &str,
                ) -> StoreResult<()> {
                    $crate::sql::idempotency::release_idempotency_key(self, key, fingerprint).await
                }

                async fn prune_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
                    $crate::sql::idempotency::prune_idempotency_keys(self, before).await
                }
            }

            #[async_trait::async_trait]
            impl BackupStore for $Store {
                async fn dump(&self) -> StoreResult<cachet_core::store::backup::Dump> {
                    $crate::sql::backup::dump(self).await
                }

                async fn load(&self, dump: &cachet_core::store::backup::Dump) -> StoreResult<()> {
                    $crate::sql::backup::load(self, dump).await
                }
            }

            #[async_trait::async_trait]
            impl AuditStore for $Store {
                async fn append_audit(&self, event: &NewAuditEvent) -> StoreResult<AuditEvent> {
                    $crate::sql::audit::append_audit(self, event).await
                }

                async fn prune_audit(&self, before: Timestamp) -> StoreResult<u64> {
                    $crate::sql::audit::prune_audit(self, before).await
                }

                async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Page<AuditEvent>> {
                    $crate::sql::audit::audit_events(self, q).await
                }
            }

            #[async_trait::async_trait]
            impl OutboxStore for $Store {
                async fn enqueue(
                    &self,
                    cx: WriteContext,
                    event: &NewOutboxEvent,
                ) -> StoreResult<OutboxEvent> {
                    $crate::sql::outbox::enqueue(self, cx, event).await
                }

                async fn outbox_events(&self, q: &OutboxQuery) -> StoreResult<Page<OutboxEvent>> {
                    $crate::sql::outbox::outbox_events(self, q).await
                }

                async fn outbox_event(&self, id: OutboxEventId) -> StoreResult<OutboxEvent> {
                    $crate::sql::outbox::outbox_event(self, id).await
                }

                async fn claim_outbox_events(
                    &self,
                    owner: &str,
                    now: Timestamp,
                    lease_until: Timestamp,
                    limit: u32,
                ) -> StoreResult<Vec<OutboxEvent>> {
                    $crate::sql::outbox::claim_outbox_events(self, owner, now, lease_until, limit)
                        .await
                }

                async fn complete_outbox_event(
                    &self,
                    cx: WriteContext,
                    id: OutboxEventId,
                    owner: &str,
                    deliveries: &[NewDelivery],
                ) -> StoreResult<()> {
                    $crate::sql::outbox::complete_outbox_event(self, cx, id, owner, deliveries)
                        .await
                }

                async fn fail_outbox_event(
                    &self,
                    id: OutboxEventId,
                    owner: &str,
                    error: &str,
                    retry_at: Option<Timestamp>,
                ) -> StoreResult<()> {
                    $crate::sql::outbox::fail_outbox_event(self, id, owner, error, retry_at).await
                }

                async fn claim_deliveries(
                    &self,
                    owner: &str,
                    channel: Option<&str>,
                    now: Timestamp,
                    lease_until: Timestamp,
                    limit: u32,
                ) -> StoreResult<Vec<Delivery>> {
                    $crate::sql::outbox::claim_deliveries(
                        self,
                        owner,
                        channel,
                        now,
                        lease_until,
                        limit,
                    )
                    .await
                }

                async fn record_delivery_attempt(
                    &self,
                    id: DeliveryId,
                    owner: &str,
                    attempt: &NewDeliveryAttempt,
                ) -> StoreResult<Delivery> {
                    $crate::sql::outbox::record_delivery_attempt(self, id, owner, attempt).await
                }

                async fn record_delivery_attempts(
                    &self,
                    owner: &str,
                    attempts: &[(DeliveryId, NewDeliveryAttempt)],
                ) -> StoreResult<Vec<bool>> {
                    $crate::sql::outbox::record_delivery_attempts(self, owner, attempts).await
                }

                async fn renew_outbox_leases(
                    &self,
                    owner: &str,
                    events: &[OutboxEventId],
                    deliveries: &[DeliveryId],
                    lease_until: Timestamp,
                ) -> StoreResult<u64> {
                    $crate::sql::outbox::renew_outbox_leases(
                        self,
                        owner,
                        events,
                        deliveries,
                        lease_until,
                    )
                    .await
                }

                async fn release_outbox_leases(&self, owner: &str) -> StoreResult<u64> {
                    $crate::sql::outbox::release_outbox_leases(self, owner).await
                }

                async fn release_deliveries(
                    &self,
                    owner: &str,
                    ids: &[DeliveryId],
                ) -> StoreResult<u64> {
                    $crate::sql::outbox::release_deliveries(self, owner, ids).await
                }

                async fn deliveries(&self, q: &DeliveryQuery) -> StoreResult<Page<Delivery>> {
                    $crate::sql::outbox::deliveries(self, q).await
                }

                async fn delivery_attempts(
                    &self,
                    id: DeliveryId,
                ) -> StoreResult<Vec<DeliveryAttempt>> {
                    $crate::sql::outbox::delivery_attempts(self, id).await
                }

                async fn prune_outbox(&self, before: Timestamp) -> StoreResult<u64> {
                    $crate::sql::outbox::prune_outbox(self, before).await
                }
            }
        };
    };
}
pub(crate) use forward_store;
