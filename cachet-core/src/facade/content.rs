//! Content operations: components, groups, incidents and their updates, templates,
//! maintenance, metrics, subscribers, settings, the audit log and deliveries.
//!
//! Reads hide what visitors may not see *by id too* (Cachet leaked hidden incidents and
//! disabled components through `GET /…/{id}`): without `ReadPrivate`, a hidden entity is
//! simply not found. Which components a reader sees is decided in one place,
//! [`super::visibility`]; incidents and maintenance windows name only those.

use super::{Actor, Cachet, Error, Result};
use crate::auth::policy::Permission;
use crate::metrics::merge_window_start;
use crate::model::*;
use crate::notify::events;
use crate::store::*;
use crate::validate::{Email, HttpUrl, Locale, MetricValue, PhoneNumber};

/// Generates the audited create / update / delete of a content entity (`WriteContent`).
macro_rules! content_writes {
    ($( $entity:literal: $create:ident, $update:ident, $delete:ident, $New:ty, $Patch:ty, $Id:ty, $T:ty, $kind:expr, $on_create:expr, $on_update:expr; )+) => {
        /// A subscriber's opened address or number, for admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriberAddress {
    /// A mail subscriber's address.
    Email(Email),
    /// An SMS subscriber's number.
    Sms(PhoneNumber),
    /// A chat subscriber's incoming-webhook URL (a credential: lists show it
    /// [redacted](crate::redacted_chat_url)).
    Chat(HttpUrl),
}

impl SubscriberAddress {
    /// The address, for a mail subscriber.
    #[must_use]
    pub fn email(&self) -> Option<&Email> {
        match self {
            Self::Email(e) => Some(e),
            Self::Sms(_) | Self::Chat(_) => None,
        }
    }

    /// What a list shows: the address, the number masked, or the URL's scheme and host (the
    /// dashboard names whom an action is about without putting whole numbers or a
    /// channel's credential on screen).
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Email(e) => e.as_str().to_owned(),
            Self::Sms(p) => p.masked(),
            Self::Chat(u) => crate::redacted_chat_url(u),
        }
    }
}

impl Cachet {$(
            #[doc = concat!("Creates a ", $entity, " (`WriteContent`), audited in the same transaction.")]
            ///
            /// # Errors
            ///
            /// [`Error::Unauthenticated`], [`Error::Forbidden`], [`Error::Conflict`] (uniqueness or
            /// an unknown reference).
            pub async fn $create(&self, actor: &Actor, new: &$New) -> Result<$T> {
                self.authorize(actor, Permission::WriteContent).await?;
                let now = self.now();
                let audit = self.audited(actor, AuditAction::Create, $kind, |t: &$T| t.id.get());
                // Notifications commit with the write.
                let fx = move |t: &$T| {
                    let mut fx = audit(t);
                    fx.outbox.extend(($on_create)(t, now));
                    fx
                };
                Ok(self.store().$create(self.cx_notifying(), new, &fx).await?)
            }

            #[doc = concat!("Changes a ", $entity, " (`WriteContent`), audited in the same transaction.")]
            ///
            /// # Errors
            ///
            /// As for creating, and [`Error::NotFound`].
            pub async fn $update(&self, actor: &Actor, id: $Id, patch: &$Patch) -> Result<$T> {
                self.authorize(actor, Permission::WriteContent).await?;
                let now = self.now();
                let audit = self.audited(actor, AuditAction::Update, $kind, |c: &Changed<$T>| c.after.id.get());
                let fx = move |c: &Changed<$T>| {
                    let mut fx = audit(c);
                    fx.outbox.extend(($on_update)(c, now));
                    fx
                };
                Ok(self.store().$update(self.cx_notifying(), id, patch, &fx).await?)
            }

            #[doc = concat!("Deletes a ", $entity, " (`WriteContent`), audited in the same transaction.")]
            ///
            /// # Errors
            ///
            /// [`Error::Unauthenticated`], [`Error::Forbidden`], [`Error::NotFound`].
            pub async fn $delete(&self, actor: &Actor, id: $Id) -> Result<()> {
                self.authorize(actor, Permission::WriteContent).await?;
                let fx = self.audited(actor, AuditAction::Delete, $kind, |t: &$T| t.id.get());
                Ok(self.store().$delete(self.cx(), id, &fx).await?)
            }
        )+}
    };
}

// The last two columns build each write's notifications (`crate::notify::events`).
content_writes! {
    "component": create_component, update_component, delete_component, NewComponent, ComponentPatch, ComponentId, Component, EntityKind::Component, quiet, |c: &Changed<Component>, now| events::component_status_changed(c, false, now);
    "component group": create_group, update_group, delete_group, NewComponentGroup, ComponentGroupPatch, GroupId, ComponentGroup, EntityKind::ComponentGroup, quiet, quiet;
    "incident": create_incident, update_incident, delete_incident, NewIncident, IncidentPatch, IncidentId, Incident, EntityKind::Incident, events::incident_created, quiet;
    "incident template": create_template, update_template, delete_template, NewIncidentTemplate, IncidentTemplatePatch, TemplateId, IncidentTemplate, EntityKind::IncidentTemplate, quiet, quiet;
    "maintenance schedule": create_schedule, update_schedule, delete_schedule, NewSchedule, SchedulePatch, ScheduleId, Schedule, EntityKind::Schedule, events::maintenance_scheduled, events::maintenance_changed;
    "metric": create_metric, update_metric, delete_metric, NewMetric, MetricPatch, MetricId, Metric, EntityKind::Metric, quiet, quiet;
}

/// No notification for this write.
fn quiet<T>(_: &T, _: Timestamp) -> Vec<NewOutboxEvent> {
    Vec::new()
}

impl Cachet {
    /// Changes a component (`WriteContent`) without notifying subscribers of a status change
    /// (API v1's `silent`, the dashboard's quick toggles), audited in the same transaction.
    ///
    /// # Errors
    ///
    /// As for [`Cachet::update_component`].
    pub async fn update_component_silently(
        &self,
        actor: &Actor,
        id: ComponentId,
        patch: &ComponentPatch,
    ) -> Result<Component> {
        self.authorize(actor, Permission::WriteContent).await?;
        let fx = self.audited(
            actor,
            AuditAction::Update,
            EntityKind::Component,
            |c: &Changed<Component>| c.after.id.get(),
        );
        Ok(self
            .store()
            .update_component(self.cx(), id, patch, &fx)
            .await?)
    }

    pub(super) async fn private(&self, actor: &Actor) -> Result<bool> {
        self.authorize(actor, Permission::ReadPublic).await?;
        Ok(self.can(actor, Permission::ReadPrivate))
    }

    /// An empty page answering `page` (a visitor who filtered for what only signed-in users
    /// may see).
    pub(super) fn nothing<T>(page: PageRequest) -> Page<T> {
        Page {
            items: Vec::new(),
            total: 0,
            request: page,
        }
    }

    // Components: `super::visibility`, the one rule of who sees which component.

    /// One group; signed-in-only groups need `ReadPrivate`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn group(&self, actor: &Actor, id: GroupId) -> Result<ComponentGroup> {
        let private = self.private(actor).await?;
        let g = self.store().group(id).await?;
        if g.visible == GroupVisibility::Public || private {
            Ok(g)
        } else {
            Err(Error::NotFound {
                entity: "component_group",
            })
        }
    }

    /// Groups; visitors see public ones only.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn groups(&self, actor: &Actor, mut q: GroupQuery) -> Result<Page<ComponentGroup>> {
        if !self.private(actor).await? {
            if q.filter
                .visible
                .is_some_and(|v| v != GroupVisibility::Public)
            {
                return Ok(Self::nothing(q.page));
            }
            q.filter.visible = Some(GroupVisibility::Public);
        }
        Ok(self.store().groups(&q).await?)
    }

    /// One incident; hidden ones only with `ReadPrivate`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn incident(&self, actor: &Actor, id: IncidentId) -> Result<Incident> {
        let private = self.private(actor).await?;
        let mut i = self.store().incident(id).await?;
        if i.visible || private {
            if let Some(sight) = self.sight_for(actor, !i.components.is_empty()).await? {
                sight.redact_incident(&mut i);
            }
            Ok(i)
        } else {
            Err(Error::NotFound { entity: "incident" })
        }
    }

    /// Incidents; visitors see visible ones only.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn incidents(&self, actor: &Actor, mut q: IncidentQuery) -> Result<Page<Incident>> {
        if !self.private(actor).await? {
            if q.filter.visible == Some(false) {
                return Ok(Self::nothing(q.page));
            }
            q.filter.visible = Some(true);
        }
        if self
            .filters_hidden_component(actor, q.filter.component_id)
            .await?
        {
            return Ok(Self::nothing(q.page));
        }
        let mut page = self.store().incidents(&q).await?;
        let names = page.items.iter().any(|i| !i.components.is_empty());
        if let Some(sight) = self.sight_for(actor, names).await? {
            page.items.iter_mut().for_each(|i| sight.redact_incident(i));
        }
        Ok(page)
    }

    /// An incident's updates, newest first (the incident must be visible to the actor).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn incident_updates(
        &self,
        actor: &Actor,
        incident: IncidentId,
        page: PageRequest,
    ) -> Result<Page<IncidentUpdate>> {
        self.incident(actor, incident).await?;
        Ok(self.store().incident_updates(incident, page).await?)
    }

    /// The updates of incidents the caller already holds (from [`Cachet::incidents`]), newest
    /// first per incident, in one store read. Incidents hidden from the actor get none, as
    /// [`Cachet::incident_updates`] would refuse them.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub(crate) async fn incident_updates_of(
        &self,
        actor: &Actor,
        incidents: &[Incident],
    ) -> Result<std::collections::HashMap<IncidentId, Vec<IncidentUpdate>>> {
        let private = self.private(actor).await?;
        let ids: Vec<IncidentId> = incidents
            .iter()
            .filter(|i| i.visible || private)
            .map(|i| i.id)
            .collect();
        let mut by_incident: std::collections::HashMap<IncidentId, Vec<IncidentUpdate>> =
            std::collections::HashMap::with_capacity(ids.len());
        for u in self.store().incident_updates_of(&ids).await? {
            by_incident.entry(u.incident_id).or_default().push(u);
        }
        Ok(by_incident)
    }

    /// One update of an incident (the incident must be visible to the actor; an update of
    /// another incident is not found).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn incident_update(
        &self,
        actor: &Actor,
        incident: IncidentId,
        id: IncidentUpdateId,
    ) -> Result<IncidentUpdate> {
        self.incident(actor, incident).await?;
        Ok(self.store().incident_update(incident, id).await?)
    }

    /// Edits an update of an incident (`WriteContent`), audited in the same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`] (also for an update of another incident).
    pub async fn update_incident_update(
        &self,
        actor: &Actor,
        incident: IncidentId,
        id: IncidentUpdateId,
        patch: &IncidentUpdatePatch,
    ) -> Result<IncidentUpdate> {
        self.authorize(actor, Permission::WriteContent).await?;
        let fx = self.audited(
            actor,
            AuditAction::Update,
            EntityKind::IncidentUpdate,
            |c: &Changed<IncidentUpdate>| c.after.id.get(),
        );
        Ok(self
            .store()
            .update_incident_update(self.cx(), incident, id, patch, &fx)
            .await?)
    }

    /// Posts an update to an incident (`WriteContent`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn create_incident_update(
        &self,
        actor: &Actor,
        incident: IncidentId,
        new: &NewIncidentUpdate,
    ) -> Result<IncidentUpdate> {
        self.authorize(actor, Permission::WriteContent).await?;
        // Read first: whether the update notifies depends on the incident's flags.
        let parent = self.store().incident(incident).await?;
        let now = self.now();
        let audit = self.audited(
            actor,
            AuditAction::Create,
            EntityKind::IncidentUpdate,
            |u: &IncidentUpdate| u.id.get(),
        );
        let fx = move |u: &IncidentUpdate| {
            let mut fx = audit(u);
            fx.outbox.extend(events::incident_updated(&parent, u, now));
            fx
        };
        Ok(self
            .store()
            .create_incident_update(self.cx_notifying(), incident, new, &fx)
            .await?)
    }

    /// Deletes an incident update (`WriteContent`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn delete_incident_update(
        &self,
        actor: &Actor,
        incident: IncidentId,
        id: IncidentUpdateId,
    ) -> Result<()> {
        self.authorize(actor, Permission::WriteContent).await?;
        let fx = self.audited(
            actor,
            AuditAction::Delete,
            EntityKind::IncidentUpdate,
            |u: &IncidentUpdate| u.id.get(),
        );
        Ok(self
            .store()
            .delete_incident_update(self.cx(), incident, id, &fx)
            .await?)
    }

    /// Templates (public, as in Cachet).
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn templates(
        &self,
        actor: &Actor,
        q: TemplateQuery,
    ) -> Result<Page<IncidentTemplate>> {
        self.private(actor).await?;
        Ok(self.store().templates(&q).await?)
    }

    /// One template (public, as in Cachet).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn template(&self, actor: &Actor, id: TemplateId) -> Result<IncidentTemplate> {
        self.private(actor).await?;
        Ok(self.store().template(id).await?)
    }

    /// The template with this slug, if any (what API clients name as `template`).
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) async fn template_by_slug(
        &self,
        actor: &Actor,
        slug: &crate::validate::Slug,
    ) -> Result<Option<IncidentTemplate>> {
        self.private(actor).await?;
        let q = TemplateQuery::filtered(TemplateFilter {
            slug: Some(slug.clone()),
        })
        .paged(PageRequest::new(1, 1));
        Ok(self.store().templates(&q).await?.items.into_iter().next())
    }

    /// One maintenance schedule (public), naming only the components the reader sees.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn schedule(&self, actor: &Actor, id: ScheduleId) -> Result<Schedule> {
        self.private(actor).await?;
        let mut s = self.store().schedule(id).await?;
        if let Some(sight) = self.sight_for(actor, !s.components.is_empty()).await? {
            sight.redact_schedule(&mut s);
        }
        Ok(s)
    }

    /// Maintenance schedules (public), naming only the components the reader sees; a filter
    /// by a component the reader may not see finds nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn schedules(&self, actor: &Actor, q: ScheduleQuery) -> Result<Page<Schedule>> {
        self.private(actor).await?;
        if self
            .filters_hidden_component(actor, q.filter.component_id)
            .await?
        {
            return Ok(Self::nothing(q.page));
        }
        let mut page = self.store().schedules(&q).await?;
        let names = page.items.iter().any(|s| !s.components.is_empty());
        if let Some(sight) = self.sight_for(actor, names).await? {
            page.items.iter_mut().for_each(|s| sight.redact_schedule(s));
        }
        Ok(page)
    }

    /// One metric; only public ones for visitors.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn metric(&self, actor: &Actor, id: MetricId) -> Result<Metric> {
        let private = self.private(actor).await?;
        let m = self.store().metric(id).await?;
        if m.visible == Visibility::Public || private {
            Ok(m)
        } else {
            Err(Error::NotFound { entity: "metric" })
        }
    }

    /// Metrics; visitors see public ones only.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn metrics(&self, actor: &Actor, mut q: MetricQuery) -> Result<Page<Metric>> {
        if !self.private(actor).await? {
            if q.filter.visible.is_some_and(|v| v != Visibility::Public) {
                return Ok(Self::nothing(q.page));
            }
            q.filter.visible = Some(Visibility::Public);
        }
        Ok(self.store().metrics(&q).await?)
    }

    /// Records a metric point (`WriteContent`) with Cachet's merge rule: the same value inside
    /// the metric's threshold window increments the existing point's counter.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn record_metric_point(
        &self,
        actor: &Actor,
        metric: MetricId,
        value: MetricValue,
        at: Option<Timestamp>,
    ) -> Result<MetricPoint> {
        self.authorize(actor, Permission::WriteContent).await?;
        let m = self.store().metric(metric).await?;
        let now = self.now();
        let new = NewMetricPoint {
            value,
            created_at: at.unwrap_or(now),
            merge_since: Some(merge_window_start(now, m.threshold)),
        };
        let fx = self.audited(
            actor,
            AuditAction::Create,
            EntityKind::MetricPoint,
            |p: &MetricPoint| p.id.get(),
        );
        Ok(self
            .store()
            .record_metric_point(self.cx(), metric, &new, &fx)
            .await?)
    }

    /// A metric's points, newest first unless sorted (the metric must be visible to the
    /// actor).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn metric_points(
        &self,
        actor: &Actor,
        metric: MetricId,
        q: MetricPointQuery,
    ) -> Result<Page<MetricPoint>> {
        self.metric(actor, metric).await?;
        Ok(self.store().metric_points(metric, &q).await?)
    }

    /// Changes a metric point's value (kept when `None`) and, optionally, its time
    /// (`WriteContent`), audited in the same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`] (also for a point of another metric).
    pub async fn update_metric_point(
        &self,
        actor: &Actor,
        metric: MetricId,
        id: MetricPointId,
        value: Option<MetricValue>,
        at: Option<Timestamp>,
    ) -> Result<MetricPoint> {
        self.authorize(actor, Permission::WriteContent).await?;
        let value = match value {
            Some(v) => v,
            None => self.store().metric_point(metric, id).await?.value,
        };
        let fx = self.audited(
            actor,
            AuditAction::Update,
            EntityKind::MetricPoint,
            |c: &Changed<MetricPoint>| c.after.id.get(),
        );
        Ok(self
            .store()
            .update_metric_point(self.cx(), metric, id, value, at, &fx)
            .await?)
    }

    /// Deletes a metric point (`WriteContent`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn delete_metric_point(
        &self,
        actor: &Actor,
        metric: MetricId,
        id: MetricPointId,
    ) -> Result<()> {
        self.authorize(actor, Permission::WriteContent).await?;
        let fx = self.audited(
            actor,
            AuditAction::Delete,
            EntityKind::MetricPoint,
            |p: &MetricPoint| p.id.get(),
        );
        Ok(self
            .store()
            .delete_metric_point(self.cx(), metric, id, &fx)
            .await?)
    }

    /// How many subscribers there are (`ManageSubscribers`: managers see the number, not the
    /// addresses).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`].
    pub async fn subscriber_count(&self, actor: &Actor) -> Result<u64> {
        self.authorize(actor, Permission::ManageSubscribers).await?;
        let q = SubscriberQuery::all().paged(PageRequest::new(1, 1));
        Ok(self.store().subscribers(&q).await?.total)
    }

    /// Subscribers with their opened addresses (`ReadSubscriberAddresses`: admins only).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Internal`] when an address cannot be opened.
    pub async fn subscribers_with_addresses(
        &self,
        actor: &Actor,
        q: SubscriberQuery,
    ) -> Result<Page<(Subscriber, SubscriberAddress)>> {
        self.authorize(actor, Permission::ReadSubscriberAddresses)
            .await?;
        let page = self.store().subscribers(&q).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for s in page.items {
            let address = self.open_subscriber_address(&s)?;
            items.push((s, address));
        }
        Ok(Page {
            items,
            total: page.total,
            request: page.request,
        })
    }

    /// Adds a subscriber (`ManageSubscribers`), sealing the address; an address that is
    /// already subscribed returns the existing subscriber unchanged, as Cachet's API does.
    /// Starts verified only when `verified` is asked (and audited as such).
    ///
    /// This returns the stored subscriber whoever asks: code answering an actor (the API,
    /// the dashboard) uses `Cachet::add_subscriber_answer`, which tells an actor who may not
    /// read addresses nothing about whether the address was known.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Validation`] (an unknown component, checked before the
    /// address is looked up, so the error cannot tell a known address from a new one).
    pub async fn add_subscriber(
        &self,
        actor: &Actor,
        email: &Email,
        components: Vec<ComponentId>,
        verified: bool,
        locale: Locale,
    ) -> Result<Subscriber> {
        self.add_subscriber_contact(
            actor,
            &SubscriberAddress::Email(email.clone()),
            components,
            verified,
            locale,
        )
        .await
    }

    /// Refuses a contact an admin's subscriber may not have: a number outside the SMS
    /// regions (naming `phone_number`), a chat URL that breaks [`crate::CHAT_URL_RULE`]
    /// (naming `slack_webhook_url`, the field of Cachet's API). An address is always fine.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`].
    pub fn check_subscriber_contact(&self, contact: &SubscriberAddress) -> Result<()> {
        match contact {
            SubscriberAddress::Email(_) => Ok(()),
            SubscriberAddress::Sms(p) => self.sms_region_allowed(p),
            SubscriberAddress::Chat(u) => self.check_chat_url(u, "slack_webhook_url"),
        }
    }

    /// Adds a subscriber on the channel of `contact` as [`Cachet::add_subscriber`] does for
    /// an address: a number (in the SMS regions) becomes an SMS subscriber, a chat URL (see
    /// [`Cachet::check_subscriber_contact`]) a chat subscriber. A known contact returns the
    /// existing subscriber unchanged; an unverified new one gets its verification (the SMS
    /// code, the confirmation posted into the channel).
    ///
    /// # Errors
    ///
    /// As for [`Cachet::add_subscriber`], and [`Error::Validation`] for a contact
    /// [`Cachet::check_subscriber_contact`] refuses.
    pub async fn add_subscriber_contact(
        &self,
        actor: &Actor,
        contact: &SubscriberAddress,
        components: Vec<ComponentId>,
        verified: bool,
        locale: Locale,
    ) -> Result<Subscriber> {
        self.authorize(actor, Permission::ManageSubscribers).await?;
        self.check_subscriber_contact(contact)?;
        for id in &components {
            match self.store().component(*id).await {
                Ok(_) => {}
                Err(StoreError::NotFound { .. }) => {
                    return Err(crate::validate::ValidationError::new(
                        "components",
                        crate::validate::Violation::NotAllowed {
                            allowed: "ids of existing components",
                        },
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        let ((sealed, index), channel) = match contact {
            SubscriberAddress::Email(e) => {
                (self.keyring().seal_email(e)?, SubscriberChannel::Email)
            }
            SubscriberAddress::Sms(p) => (self.keyring().seal_phone(p)?, SubscriberChannel::Sms),
            SubscriberAddress::Chat(u) => {
                (self.keyring().seal_chat_url(u)?, SubscriberChannel::Chat)
            }
        };
        if let Some(existing) = self.store().subscriber_by_blind_index(&index).await? {
            return Ok(existing);
        }
        let new = NewSubscriber {
            email: sealed,
            blind_index: index,
            channel,
            locale,
            verified_at: verified.then(|| self.now()),
            components,
        };
        let detail = if verified {
            "created verified"
        } else {
            "created unverified"
        };
        // An unverified subscriber gets the verification mail; its outbox event commits
        // with the subscriber. One created verified gets no mail.
        let now = self.now();
        let fx = |s: &Subscriber| {
            let mut fx = Effects::audit(self.audit_event(
                actor,
                AuditAction::Create,
                EntityKind::Subscriber,
                Some(s.id.get()),
                AuditOutcome::Success,
                detail,
            ));
            if !verified {
                fx.outbox = events::subscriber_verification(s.id, now);
            }
            fx
        };
        match self
            .store()
            .create_subscriber(self.cx_notifying(), &new, &fx)
            .await
        {
            Ok(s) => Ok(s),
            Err(StoreError::Conflict { .. }) => self
                .store()
                .subscriber_by_blind_index(&index)
                .await?
                .ok_or(Error::Conflict("address already subscribed")),
            Err(e) => Err(e.into()),
        }
    }

    /// Adds a subscriber as [`Cachet::add_subscriber`] does, and says what the actor may be
    /// told: the stored subscriber (`Some`) to an actor who may read addresses; `None` to
    /// anyone else, for a new address and a known one alike, so that a manager's token cannot
    /// learn whether an address is subscribed, nor its id, verification or subscriptions.
    ///
    /// # Errors
    ///
    /// As for [`Cachet::add_subscriber`].
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) async fn add_subscriber_answer(
        &self,
        actor: &Actor,
        email: &Email,
        components: Vec<ComponentId>,
        verified: bool,
        locale: Locale,
    ) -> Result<Option<Subscriber>> {
        self.add_subscribers_answer(
            actor,
            &[SubscriberAddress::Email(email.clone())],
            components,
            verified,
            locale,
        )
        .await
    }

    /// Adds one subscriber per contact, each as [`Cachet::add_subscriber_contact`] does with
    /// the same components and `verified` (an API client's address with a sibling number and
    /// chat URL), and answers for the first as [`Cachet::add_subscriber_answer`] does. Every
    /// contact and the components are checked before anything is stored, so a refused one
    /// leaves nothing behind.
    ///
    /// # Errors
    ///
    /// As for [`Cachet::add_subscriber_contact`].
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) async fn add_subscribers_answer(
        &self,
        actor: &Actor,
        contacts: &[SubscriberAddress],
        components: Vec<ComponentId>,
        verified: bool,
        locale: Locale,
    ) -> Result<Option<Subscriber>> {
        self.authorize(actor, Permission::ManageSubscribers).await?;
        for contact in contacts {
            self.check_subscriber_contact(contact)?;
        }
        let mut first = None;
        // The first contact's create checks the components before it stores anything.
        for contact in contacts {
            let s = self
                .add_subscriber_contact(
                    actor,
                    contact,
                    components.clone(),
                    verified,
                    locale.clone(),
                )
                .await?;
            first.get_or_insert(s);
        }
        Ok(first.filter(|_| self.can(actor, Permission::ReadSubscriberAddresses)))
    }

    /// Deletes a subscriber and their subscriptions (`ManageSubscribers`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn delete_subscriber(&self, actor: &Actor, id: SubscriberId) -> Result<()> {
        self.authorize(actor, Permission::ManageSubscribers).await?;
        let fx = self.audited(
            actor,
            AuditAction::Delete,
            EntityKind::Subscriber,
            |s: &Subscriber| s.id.get(),
        );
        Ok(self.store().delete_subscriber(self.cx(), id, &fx).await?)
    }

    /// A subscriber's subscriptions, by component id (`ManageSubscribers`: ids only, no
    /// address).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn subscriptions_of(
        &self,
        actor: &Actor,
        subscriber: SubscriberId,
    ) -> Result<Vec<Subscription>> {
        self.authorize(actor, Permission::ManageSubscribers).await?;
        Ok(self.store().subscriptions_of(subscriber).await?)
    }

    /// Deletes one subscription (`ManageSubscribers`); a subscriber left with none becomes
    /// global. Audited in the same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn delete_subscription(&self, actor: &Actor, id: SubscriptionId) -> Result<()> {
        self.authorize(actor, Permission::ManageSubscribers).await?;
        let fx = self.audited(
            actor,
            AuditAction::Delete,
            EntityKind::Subscription,
            |s: &Subscription| s.id.get(),
        );
        Ok(self.store().delete_subscription(self.cx(), id, &fx).await?)
    }

    /// Changes settings (`ManageSettings`): each value is validated for its key first, so
    /// nothing is written unless all are valid.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Validation`] naming the key.
    pub async fn put_settings(
        &self,
        actor: &Actor,
        values: &[(SettingKey, String)],
    ) -> Result<Settings> {
        self.authorize(actor, Permission::ManageSettings).await?;
        let mut settings = self.settings().await?;
        for (k, v) in values {
            settings.set(*k, v)?;
        }
        let normalized: Vec<(SettingKey, String)> =
            values.iter().map(|(k, _)| (*k, settings.get(*k))).collect();
        let keys: Vec<&str> = values.iter().map(|(k, _)| k.as_str()).collect();
        let fx = Effects::audit(self.audit_event(
            actor,
            AuditAction::SettingsChange,
            EntityKind::Settings,
            None,
            AuditOutcome::Success,
            &keys.join(", "),
        ));
        self.store()
            .put_settings(self.cx(), &normalized, &fx)
            .await?;
        Ok(settings)
    }

    /// The audit log (`ReadAudit`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`].
    pub async fn audit_log(&self, actor: &Actor, q: AuditQuery) -> Result<Page<AuditEvent>> {
        self.authorize(actor, Permission::ReadAudit).await?;
        Ok(self.store().audit_events(&q).await?)
    }

    /// Notification deliveries (`ReadDeliveries`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`].
    pub async fn deliveries(&self, actor: &Actor, q: DeliveryQuery) -> Result<Page<Delivery>> {
        self.authorize(actor, Permission::ReadDeliveries).await?;
        Ok(self.store().deliveries(&q).await?)
    }

    /// Users (`ManageUsers`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`].
    pub async fn users(&self, actor: &Actor, q: UserQuery) -> Result<Page<User>> {
        self.authorize(actor, Permission::ManageUsers).await?;
        Ok(self.store().users(&q).await?)
    }
}

// ---- for the dashboard's content sections -------------------------------------------------

impl Cachet {
    /// A maintenance schedule's updates, oldest first (public, as the schedule is).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn schedule_updates(
        &self,
        actor: &Actor,
        schedule: ScheduleId,
    ) -> Result<Vec<ScheduleUpdate>> {
        self.private(actor).await?;
        Ok(self.store().schedule_updates(schedule).await?)
    }

    /// Posts an update to a maintenance schedule (`WriteContent`), audited in the same
    /// transaction.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn create_schedule_update(
        &self,
        actor: &Actor,
        schedule: ScheduleId,
        new: &NewScheduleUpdate,
    ) -> Result<ScheduleUpdate> {
        self.authorize(actor, Permission::WriteContent).await?;
        let fx = self.audited(
            actor,
            AuditAction::Create,
            EntityKind::ScheduleUpdate,
            |u: &ScheduleUpdate| u.id.get(),
        );
        Ok(self
            .store()
            .create_schedule_update(self.cx(), schedule, new, &fx)
            .await?)
    }

    /// One subscriber with the opened address (`ReadSubscriberAddresses`: admins only).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`], [`Error::Internal`] when the address cannot
    /// be opened.
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) async fn subscriber_with_address(
        &self,
        actor: &Actor,
        id: SubscriberId,
    ) -> Result<(Subscriber, SubscriberAddress)> {
        self.authorize(actor, Permission::ReadSubscriberAddresses)
            .await?;
        let s = self.store().subscriber(id).await?;
        let address = self.open_subscriber_address(&s)?;
        Ok((s, address))
    }

    /// Opens a subscriber's sealed address or number, by its channel.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when it cannot be opened (a missing key, a tampered row).
    pub(crate) fn open_subscriber_address(&self, s: &Subscriber) -> Result<SubscriberAddress> {
        match s.channel {
            SubscriberChannel::Email => self
                .keyring()
                .open_email(&s.email)
                .map(SubscriberAddress::Email),
            SubscriberChannel::Sms => self
                .keyring()
                .open_phone(&s.email)
                .map(SubscriberAddress::Sms),
            SubscriberChannel::Chat => self
                .keyring()
                .open_chat_url(&s.email)
                .map(SubscriberAddress::Chat),
        }
        .map_err(|_| Error::Internal)
    }

    /// Deletes an update of a maintenance schedule (`WriteContent`), audited in the same
    /// transaction.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`] (also for an update of another schedule).
    pub async fn delete_schedule_update(
        &self,
        actor: &Actor,
        schedule: ScheduleId,
        id: ScheduleUpdateId,
    ) -> Result<()> {
        self.authorize(actor, Permission::WriteContent).await?;
        let fx = self.audited(
            actor,
            AuditAction::Delete,
            EntityKind::ScheduleUpdate,
            |u: &ScheduleUpdate| u.id.get(),
        );
        Ok(self
            .store()
            .delete_schedule_update(self.cx(), schedule, id, &fx)
            .await?)
    }
}
