//! Who hears of an event: the recipients, their idempotency keys, and maintenance
//! suppression. Kept apart from the tick loop that leases and hands work over.

use super::*;

/// A recipient of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recipient {
    Subscriber(SubscriberId),
    /// An SMS subscriber: the same key as a mail subscriber's, delivered on [`Channel::Sms`].
    SmsSubscriber(SubscriberId),
    /// A chat subscriber (an incoming-webhook URL a visitor subscribed): the same key as a
    /// mail subscriber's, delivered on [`Channel::Chat`].
    ChatSubscriber(SubscriberId),
    Webhook(WebhookId),
    /// A webhook endpoint whose format is a chat platform's: the same endpoint (and key, so
    /// its delivery log lists it), delivered on [`Channel::Chat`].
    Chat(WebhookId),
    /// The address in the event's payload (`to`): a user's reset, invitation or test mail.
    Direct(Option<UserId>),
}

impl Recipient {
    /// The subscriber a delivery goes to, on whichever channel.
    pub(super) fn subscriber_id(self) -> Option<SubscriberId> {
        match self {
            Self::Subscriber(id) | Self::SmsSubscriber(id) | Self::ChatSubscriber(id) => Some(id),
            Self::Webhook(_) | Self::Chat(_) | Self::Direct(_) => None,
        }
    }

    pub(super) fn key(self) -> String {
        match self {
            Self::Subscriber(id) | Self::SmsSubscriber(id) | Self::ChatSubscriber(id) => {
                format!("subscriber:{}", id.get())
            }
            Self::Webhook(id) | Self::Chat(id) => format!("webhook:{}", id.get()),
            Self::Direct(Some(id)) => format!("user:{}", id.get()),
            Self::Direct(None) => "address".to_owned(),
        }
    }

    /// A subscriber as a recipient: on the SMS channel when they subscribed a number, on the
    /// chat channel when they subscribed an incoming-webhook URL.
    pub(super) fn subscriber(id: SubscriberId, channel: SubscriberChannel) -> Self {
        match channel {
            SubscriberChannel::Email => Self::Subscriber(id),
            SubscriberChannel::Sms => Self::SmsSubscriber(id),
            SubscriberChannel::Chat => Self::ChatSubscriber(id),
        }
    }

    /// The recipient of a delivery's `recipient` key on `channel` (an endpoint's key is the
    /// same on both of its channels).
    pub(super) fn parse(s: &str, channel: Channel) -> Option<Self> {
        if s == "address" {
            return Some(Self::Direct(None));
        }
        let (kind, id) = s.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "subscriber" if channel == Channel::Sms => Some(Self::SmsSubscriber(SubscriberId(id))),
            "subscriber" if channel == Channel::Chat => {
                Some(Self::ChatSubscriber(SubscriberId(id)))
            }
            "subscriber" => Some(Self::Subscriber(SubscriberId(id))),
            "webhook" if channel == Channel::Chat => Some(Self::Chat(WebhookId(id))),
            "webhook" => Some(Self::Webhook(WebhookId(id))),
            "user" => Some(Self::Direct(Some(UserId(id)))),
            _ => None,
        }
    }

    pub(super) fn channel(self) -> Channel {
        match self {
            Self::Subscriber(_) | Self::Direct(_) => Channel::Email,
            Self::Webhook(_) => Channel::Webhook,
            Self::Chat(_) | Self::ChatSubscriber(_) => Channel::Chat,
            Self::SmsSubscriber(_) => Channel::Sms,
        }
    }
}

/// An endpoint as a recipient: on the chat channel when its format is a chat platform's.
pub(super) fn webhook_recipient(w: &Webhook) -> Recipient {
    if w.format.is_chat() {
        Recipient::Chat(w.id)
    } else {
        Recipient::Webhook(w.id)
    }
}

/// The idempotency key of an event x recipient x channel; also the Message-ID's local part
/// (dot-atom characters only).
pub(super) fn idempotency_key(event: OutboxEventId, r: Recipient) -> String {
    let who = match r {
        Recipient::Subscriber(id)
        | Recipient::SmsSubscriber(id)
        | Recipient::ChatSubscriber(id) => format!("subscriber-{}", id.get()),
        Recipient::Webhook(id) | Recipient::Chat(id) => format!("webhook-{}", id.get()),
        Recipient::Direct(Some(id)) => format!("user-{}", id.get()),
        Recipient::Direct(None) => "address".to_owned(),
    };
    format!("cachet.{}.{who}.{}", event.get(), r.channel().as_str())
}

pub(super) fn channel_of(s: &str) -> Option<Channel> {
    Channel::parse(s)
}

/// Whether a schedule's window was open at `t`: started, not past its end, and not marked
/// complete before `t`.
pub(super) fn window_open(s: &Schedule, t: Timestamp) -> bool {
    crate::status::window_phase_at(s, t) == crate::status::MaintenancePhase::InProgress
        && !(s.status == ScheduleStatus::Complete && s.updated_at <= t)
}

impl Dispatcher {
    /// The recipients of an event; `None` when it cannot be sent (malformed, unknown kind).
    pub(super) async fn recipients(
        &self,
        event: &OutboxEvent,
    ) -> Result<Option<Vec<Recipient>>, Error> {
        let p = &event.payload;
        // Every arm that does not return names the webhook event it is, so an endpoint's filter
        // always has something to match.
        let (components, suppressible, webhook_event) = match event.kind {
            EventKind::SubscriberVerification | EventKind::SubscriberAlreadySubscribed => {
                let Ok(d) = serde_json::from_value::<SubscriberData>(p.clone()) else {
                    return Ok(None);
                };
                let id = SubscriberId(d.subscriber_id);
                // On the subscriber's channel; one deleted meanwhile fails when rendered.
                let recipient = match self.cachet.store().subscriber(id).await {
                    Ok(s) => Recipient::subscriber(id, s.channel),
                    Err(StoreError::NotFound { .. }) => Recipient::Subscriber(id),
                    Err(e) => return Err(e.into()),
                };
                return Ok(Some(vec![recipient]));
            }
            EventKind::IncidentCreated | EventKind::IncidentUpdated => {
                let Ok(d) = serde_json::from_value::<IncidentData>(p.clone()) else {
                    return Ok(None);
                };
                let webhook_event = match &d.update {
                    None => WebhookEvent::IncidentCreated,
                    Some(u) if u.status == IncidentStatus::Fixed.code() => {
                        WebhookEvent::IncidentResolved
                    }
                    Some(_) => WebhookEvent::IncidentUpdated,
                };
                (d.components, true, webhook_event)
            }
            EventKind::ComponentStatusChanged => {
                let Ok(d) = serde_json::from_value::<ComponentData>(p.clone()) else {
                    return Ok(None);
                };
                (vec![d.component_id], true, WebhookEvent::ComponentStatus)
            }
            EventKind::MaintenanceScheduled
            | EventKind::MaintenanceStarted
            | EventKind::MaintenanceCompleted => {
                let Ok(d) = serde_json::from_value::<ScheduleData>(p.clone()) else {
                    return Ok(None);
                };
                (d.components, false, WebhookEvent::Maintenance)
            }
            EventKind::WebhookTest => {
                // An admin's test goes to the one endpoint it names, whatever it chose.
                let Some(id) = p.get("webhook_id").and_then(serde_json::Value::as_i64) else {
                    return Ok(None);
                };
                let id = WebhookId(id);
                // On the channel of the endpoint's format; one deleted meanwhile fails when it
                // is rendered, as before formats existed.
                let recipient = match self.cachet.store().webhook(id).await {
                    Ok(w) => webhook_recipient(&w),
                    Err(StoreError::NotFound { .. }) => Recipient::Webhook(id),
                    Err(e) => return Err(e.into()),
                };
                return Ok(Some(vec![recipient]));
            }
            EventKind::PasswordReset | EventKind::UserInvitation | EventKind::TestMail => {
                if direct_address(p).is_none() {
                    return Ok(None);
                }
                let user = p
                    .get("user_id")
                    .and_then(serde_json::Value::as_i64)
                    .map(UserId);
                return Ok(Some(vec![Recipient::Direct(user)]));
            }
        };
        // Subscribers are visitors: the components hidden from visitors are not theirs to hear
        // about (the one rule, `Cachet::sight`). A status change of a hidden component goes to
        // webhooks only; an incident or window naming only hidden ones goes to global
        // subscribers, as the page shows it without components.
        let about_component = event.kind == EventKind::ComponentStatusChanged;
        let sight = self.cachet.sight(&crate::Actor::anonymous(None)).await?;
        let affected: BTreeSet<ComponentId> = components
            .into_iter()
            .map(ComponentId)
            .filter(|c| sight.sees_id(*c))
            .collect();
        let silent_for_subscribers = about_component && affected.is_empty();
        let mut remaining = affected.clone();
        if suppressible
            && !affected.is_empty()
            && self
                .cachet
                .settings()
                .await?
                .suppress_notifications_in_maintenance
        {
            let under = self.under_maintenance(event.created_at).await?;
            remaining.retain(|c| !under.contains(c));
        }
        let mut out = Vec::new();
        if !silent_for_subscribers && (affected.is_empty() || !remaining.is_empty()) {
            // SMS cost money per message: SMS subscribers hear of incidents and maintenance,
            // not of every component status change (an outage comes with an incident). Mail
            // and chat subscribers hear of all three.
            let sms = !about_component;
            for (id, channel) in self.subscribers_for(&remaining).await? {
                if channel != SubscriberChannel::Sms || sms {
                    out.push(Recipient::subscriber(id, channel));
                }
            }
        }
        for w in self.cachet.store().webhooks().await? {
            if w.enabled && w.events.contains(webhook_event) {
                out.push(webhook_recipient(&w));
            }
        }
        Ok(Some(out))
    }

    /// Components whose maintenance window was open at `t`.
    pub(super) async fn under_maintenance(
        &self,
        t: Timestamp,
    ) -> Result<BTreeSet<ComponentId>, Error> {
        let q = ScheduleQuery::filtered(ScheduleFilter {
            scheduled_before: Some(t),
            ..ScheduleFilter::default()
        });
        let mut out = BTreeSet::new();
        let mut page = 1;
        loop {
            let p = self
                .cachet
                .store()
                .schedules(
                    &q.clone()
                        .paged(PageRequest::new(page, PageRequest::MAX_PER_PAGE)),
                )
                .await?;
            let n = p.items.len();
            for s in p.items.iter().filter(|s| window_open(s, t)) {
                out.extend(s.components.iter().copied());
            }
            if n < PageRequest::MAX_PER_PAGE as usize {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// Verified subscribers of any of `components` or global (only global when empty), each
    /// once with their channel, in id order: the store's keyset scan
    /// ([`SubscriberStore::audience`](crate::store::SubscriberStore::audience)), a page of
    /// `AUDIENCE_PAGE` at a time, so a million subscribers cost a hundred lean queries.
    pub(super) async fn subscribers_for(
        &self,
        components: &BTreeSet<ComponentId>,
    ) -> Result<Vec<(SubscriberId, SubscriberChannel)>, Error> {
        const AUDIENCE_PAGE: u32 = 10_000;
        let components: Vec<ComponentId> = components.iter().copied().collect();
        let store = self.cachet.store();
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = store.audience(&components, after, AUDIENCE_PAGE).await?;
            let full = page.len() >= AUDIENCE_PAGE as usize;
            after = page.last().map(|(id, _)| *id);
            out.extend(page);
            if !full || after.is_none() {
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_subscriber_keeps_the_subscriber_key_on_the_chat_channel() {
        let r = Recipient::subscriber(SubscriberId(5), SubscriberChannel::Chat);
        assert_eq!(r, Recipient::ChatSubscriber(SubscriberId(5)));
        assert_eq!(r.key(), "subscriber:5");
        assert_eq!(r.channel(), Channel::Chat);
        assert_eq!(Recipient::parse(&r.key(), Channel::Chat), Some(r));
        // The same key on the chat channel is an endpoint's only with the endpoint's prefix.
        assert_eq!(
            Recipient::parse("webhook:5", Channel::Chat),
            Some(Recipient::Chat(WebhookId(5)))
        );
        assert_eq!(
            idempotency_key(OutboxEventId(17), r),
            "cachet.17.subscriber-5.chat"
        );
    }
}
