//! Delivering one delivery: rendering it for its recipient, handing it to the channel's
//! notifier, and recording the attempt. Kept apart from the tick loop that leases the work.

use super::*;

/// How a failure is recorded: without control characters, bounded, and never holding the
/// recipient's address even if a notifier put it there.
pub(super) fn scrub(error: &str, address: Option<&str>) -> String {
    let mut s: String = error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(500)
        .collect();
    if let Some(a) = address
        && !a.is_empty()
    {
        s = s.replace(a, "<recipient>");
    }
    s
}

/// The validated `to` address of a user mail's payload.
pub(super) fn direct_address(payload: &serde_json::Value) -> Option<crate::validate::Email> {
    crate::validate::Email::parse(payload.get("to")?.as_str()?).ok()
}

/// What the delivery tasks share.
pub(super) struct DeliverCtx {
    pub(super) cachet: Cachet,
    pub(super) notifiers: HashMap<Channel, Arc<dyn Notifier>>,
    pub(super) rates: HashMap<Channel, Arc<SendRate>>,
    pub(super) config: DispatcherConfig,
    /// Events by id, read once per tick; `None` when the event is gone.
    pub(super) events: Mutex<HashMap<OutboxEventId, Option<Arc<OutboxEvent>>>>,
    /// The dispatcher's stop flag: a delivery still waiting for its send permit gives up.
    pub(super) stopping: tokio::sync::watch::Receiver<bool>,
    /// Held while the day's SMS count is read and written, so the tick's concurrent SMS
    /// deliveries each count once.
    pub(super) sms_day: Mutex<()>,
    /// Records the pass's attempts, those that finish together in one store call.
    pub(super) recorder: Recorder,
    /// What every render of the pass reads, read once: the settings, the subscribers of the
    /// claimed deliveries (one query for the batch instead of one per message), and the page
    /// object of webhook bodies.
    pub(super) cache: PassCache,
}

/// The reads a pass shares between its renders ([`DeliverCtx::cache`]). They are used only
/// while the store answers: once a store call of the pass has failed, renders read the store
/// again (and so wait out an outage before sending, as without the cache) until a record is
/// stored again.
#[derive(Default)]
pub(super) struct PassCache {
    settings: std::sync::Mutex<Option<Arc<Settings>>>,
    subscribers: std::sync::Mutex<HashMap<SubscriberId, Subscriber>>,
    /// The Statuspage `page` object of the webhook bodies: it reads every visible component,
    /// schedule and incident, so once per pass rather than once per endpoint.
    page: std::sync::Mutex<Option<Arc<serde_json::Value>>>,
    /// Set when a store call of the pass failed, cleared when one succeeds again.
    store_failing: std::sync::atomic::AtomicBool,
}

/// A cache's lock: what it guards is replaced whole, so a panic elsewhere while it was held
/// leaves nothing to distrust.
fn guard<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PassCache {
    pub(super) fn store_failed(&self, failed: bool) {
        self.store_failing
            .store(failed, std::sync::atomic::Ordering::Relaxed);
    }

    fn usable(&self) -> bool {
        !self
            .store_failing
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The pass's copy in `slot` while the store answers; else `read` (awaited only then),
    /// kept for the renders after it.
    async fn shared<T>(
        &self,
        slot: &std::sync::Mutex<Option<Arc<T>>>,
        read: impl std::future::Future<Output = Result<T, RenderError>>,
    ) -> Result<Arc<T>, RenderError> {
        if self.usable()
            && let Some(kept) = guard(slot).clone()
        {
            return Ok(kept);
        }
        let fresh = Arc::new(read.await?);
        *guard(slot) = Some(fresh.clone());
        Ok(fresh)
    }

    /// Keeps the subscribers read for the pass's deliveries.
    pub(super) fn keep_subscribers(&self, found: Vec<Subscriber>) {
        guard(&self.subscribers).extend(found.into_iter().map(|s| (s.id, s)));
    }
}

/// What rendering a delivery came to, a store outage waited out.
pub(super) enum Rendered {
    /// The message and the address to scrub from errors.
    Ready(Message, Option<String>),
    /// Not rendered: recorded as an attempt that failed (to be retried, or for good).
    Failed(RenderError),
    /// The dispatcher is stopping: to be handed back.
    NotStarted,
    /// The lease ran out during an outage and another instance took the delivery.
    Lost,
}

/// Why a message could not be rendered.
pub(super) enum RenderError {
    /// Will not get better (recipient gone, unverified, malformed event).
    Permanent(&'static str),
    /// The store failed; try again later.
    Transient(&'static str),
}

/// A store that failed while a delivery was being rendered: tried again later.
const STORE: RenderError = RenderError::Transient("store unavailable while rendering");

impl DeliverCtx {
    pub(super) async fn event(&self, id: OutboxEventId) -> Result<Option<Arc<OutboxEvent>>, Error> {
        let mut events = self.events.lock().await;
        if let Some(e) = events.get(&id) {
            return Ok(e.clone());
        }
        let e = match self.cachet.store().outbox_event(id).await {
            Ok(e) => Some(Arc::new(e)),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        events.insert(id, e.clone());
        Ok(e)
    }

    pub(super) async fn deliver_one(&self, d: Delivery) -> Outcome {
        let Some(channel) = channel_of(&d.channel) else {
            return self
                .record(
                    &d,
                    Err(DeliveryError::Permanent("unknown channel".into())),
                    None,
                )
                .await;
        };
        let Some(notifier) = self.notifiers.get(&channel).cloned() else {
            // Only channels with a notifier are claimed, so this is a delivery on another
            // channel than the one it was claimed for: handed back, it waits for its own.
            return Outcome::NotStarted(d.id);
        };
        let (message, address) = match self.render_through_outage(&d).await {
            Rendered::Ready(Message::Email(mut m), a) => {
                m.idempotency_key.clone_from(&d.idempotency_key);
                (Message::Email(m), a)
            }
            Rendered::Ready(m, a) => (m, a),
            Rendered::NotStarted => return Outcome::NotStarted(d.id),
            Rendered::Lost => return Outcome::Lost,
            Rendered::Failed(RenderError::Permanent(why)) => {
                return self
                    .record(&d, Err(DeliveryError::Permanent(why.into())), None)
                    .await;
            }
            Rendered::Failed(RenderError::Transient(why)) => {
                return self
                    .record(&d, Err(DeliveryError::Transient(why.into())), None)
                    .await;
            }
        };
        // The instance's daily SMS maximum: past it an SMS fails for good (see the module docs
        // of the dispatcher for why it is not held for the next day).
        if channel == Channel::Sms {
            match self.spend_sms_day().await {
                Ok(true) => {}
                Ok(false) => {
                    return self
                        .record(
                            &d,
                            Err(DeliveryError::Permanent(
                                "the daily SMS limit is reached".into(),
                            )),
                            None,
                        )
                        .await;
                }
                Err(()) => {
                    return self
                        .record(
                            &d,
                            Err(DeliveryError::Transient(
                                "store unavailable while counting the day's SMS".into(),
                            )),
                            None,
                        )
                        .await;
                }
            }
        }
        // The channel's global rate paces the hand-over; the wait is not part of the
        // notifier's time limit.
        if let Some(rate) = self.rates.get(&channel) {
            let mut stopping = self.stopping.clone();
            tokio::select! {
                () = rate.wait() => {}
                _ = stopping.wait_for(|stop| *stop) => return Outcome::NotStarted(d.id),
            }
        }
        if *self.stopping.borrow() {
            return Outcome::NotStarted(d.id);
        }
        let limit = self.config.send_timeout;
        let result = match tokio::time::timeout(limit, notifier.deliver(&message)).await {
            Ok(r) => r,
            Err(_) => Err(DeliveryError::Transient(
                "the channel did not answer in time".into(),
            )),
        };
        self.record(&d, result, address.as_deref()).await
    }

    /// Renders the delivery, waiting out a store that fails meanwhile (a database outage)
    /// with a short capped backoff, for up to one lease: nothing has been sent yet, so an
    /// outage costs the delivery neither an attempt nor a retry's backoff, and it goes out as
    /// soon as the store is back. After such a wait the lease is renewed before anything is
    /// sent: if it ran out and another instance took the delivery over, it is that one's.
    /// A store still failing after a lease is a transient failure, recorded as one.
    pub(super) async fn render_through_outage(&self, d: &Delivery) -> Rendered {
        let started = tokio::time::Instant::now();
        let mut wait = RECORD_RETRY_FIRST;
        let mut waited = false;
        loop {
            let why = match self.render(d).await {
                Ok((message, address)) if !waited => return Rendered::Ready(message, address),
                Ok((message, address)) => {
                    let until = self.cachet.now() + delta(self.config.lease);
                    match self
                        .cachet
                        .store()
                        .renew_outbox_leases(&self.config.instance, &[], &[d.id], until)
                        .await
                    {
                        Ok(0) => return Rendered::Lost,
                        Ok(_) => return Rendered::Ready(message, address),
                        Err(_) => "store unavailable while renewing the lease",
                    }
                }
                Err(RenderError::Transient(why)) => {
                    self.cache.store_failed(true);
                    why
                }
                Err(permanent) => return Rendered::Failed(permanent),
            };
            if started.elapsed() >= self.config.lease {
                return Rendered::Failed(RenderError::Transient(why));
            }
            if !waited {
                tracing::warn!(target: "cachet::notify", delivery = d.id.get(), error = why, "the store failed while rendering a delivery; waiting for it");
            }
            waited = true;
            let mut stopping = self.stopping.clone();
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stopping.wait_for(|stop| *stop) => return Rendered::NotStarted,
            }
            wait = (wait * 2).min(RECORD_RETRY_CAP);
        }
    }

    pub(super) async fn record(
        &self,
        d: &Delivery,
        result: Result<(), DeliveryError>,
        address: Option<&str>,
    ) -> Outcome {
        let now = self.cachet.now();
        let n = d.attempts.saturating_add(1);
        let (attempt, outcome) = match result {
            Ok(()) => (AttemptResult::Delivered, Outcome::Delivered),
            Err(DeliveryError::Transient(e)) if n < self.config.max_attempts => (
                AttemptResult::Retry {
                    error: scrub(&format!("transient: {e}"), address),
                    next_attempt_at: now + delta(backoff(&self.config, n)),
                },
                Outcome::Retry,
            ),
            Err(DeliveryError::Transient(e)) => (
                AttemptResult::Failed {
                    error: scrub(&format!("gave up after {n} attempts: {e}"), address),
                },
                Outcome::Failed,
            ),
            Err(DeliveryError::Permanent(e)) => (
                AttemptResult::Failed {
                    error: scrub(&format!("permanent: {e}"), address),
                },
                Outcome::Failed,
            ),
        };
        let attempt = NewDeliveryAttempt {
            at: now,
            result: attempt,
        };
        // The message may have gone out: the recorder tries until the store takes the record
        // (or says the delivery is no longer this instance's). The heartbeat keeps the lease
        // meanwhile.
        let counted = match outcome {
            Outcome::Delivered => Some(DeliveryOutcome::Sent),
            Outcome::Retry => Some(DeliveryOutcome::Retried),
            Outcome::Failed => Some(DeliveryOutcome::Failed),
            Outcome::Lost | Outcome::NotStarted(_) => None,
        };
        let store = self.cachet.store().as_ref();
        match self
            .recorder
            .record(store, &self.config.instance, d.id, attempt, &self.cache)
            .await
        {
            Recorded::Stored => {
                // Counted once recorded: an attempt whose lease was lost is another
                // instance's to count.
                if let Some(counted) = counted {
                    self.cachet.telemetry().record_delivery(&d.channel, counted);
                }
                outcome
            }
            Recorded::Lost => Outcome::Lost,
        }
    }

    /// Spends one SMS of the instance's day ([`crate::SmsPolicy::daily_limit`]): `Ok(false)`
    /// when the day's SMS are spent, and then, once a day, an audit entry saying so.
    /// Instances sharing a database each count in it; two may overshoot the limit by the
    /// SMS they count in the same instant.
    async fn spend_sms_day(&self) -> Result<bool, ()> {
        let _day = self.sms_day.lock().await;
        let store = self.cachet.store();
        let now = self.cachet.now();
        let limit = self.cachet.config().sms.daily_limit;
        let key = super::super::budget::sms_day_key(now);
        let state = store.throttle(&key).await.map_err(drop)?;
        if let Some(next) = super::super::budget::spend_sms_day(&key, state.as_ref(), limit, now) {
            store.save_throttle(&next).await.map_err(drop)?;
            return Ok(true);
        }
        let spent = super::super::budget::sms_day_spent_key(now);
        if store.throttle(&spent).await.map_err(drop)?.is_none() {
            let end = state.and_then(|s| s.locked_until).unwrap_or(now);
            store
                .save_throttle(&ThrottleState {
                    key: spent,
                    failures: 1,
                    last_failure_at: now,
                    locked_until: Some(end),
                })
                .await
                .map_err(drop)?;
            tracing::warn!(target: "cachet::notify", daily_limit = limit, "the daily SMS limit is reached; further SMS today fail");
            self.cachet
                .append_audit(
                    &crate::Actor::operator(),
                    AuditAction::AccessDenied,
                    EntityKind::Site,
                    None,
                    AuditOutcome::Denied,
                    &format!("daily SMS limit of {limit} reached; further SMS today fail"),
                )
                .await;
        }
        Ok(false)
    }

    pub(super) fn base_url(&self) -> String {
        self.cachet
            .config()
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    /// Renders the delivery's message; also returns the address (to scrub it from errors).
    pub(super) async fn render(
        &self,
        d: &Delivery,
    ) -> Result<(Message, Option<String>), RenderError> {
        let event = match self.event(d.event_id).await {
            Ok(Some(e)) => e,
            Ok(None) => return Err(RenderError::Permanent("the event no longer exists")),
            Err(_) => return Err(STORE),
        };
        let channel = channel_of(&d.channel).ok_or(RenderError::Permanent("unknown channel"))?;
        let recipient = Recipient::parse(&d.recipient, channel)
            .ok_or(RenderError::Permanent("unknown recipient"))?;
        let settings = self.settings().await?;
        let tz = settings.app_timezone.tz();
        match recipient {
            Recipient::Subscriber(id) => {
                let (s, cat) = self.subscriber_on(id, SubscriberChannel::Email).await?;
                let to = self
                    .cachet
                    .keyring()
                    .open_email(&s.email)
                    .map_err(|_| RenderError::Permanent("the address cannot be opened"))?;
                let site = site_name(&settings, &cat);
                let base = self.base_url();
                let manage = format!(
                    "{base}{}",
                    LinkPurpose::Manage.path(&links::sign(
                        self.cachet.keyring(),
                        LinkPurpose::Manage,
                        s.id
                    ))
                );
                let unsubscribe = format!(
                    "{base}{}",
                    LinkPurpose::Unsubscribe.path(&links::sign(
                        self.cachet.keyring(),
                        LinkPurpose::Unsubscribe,
                        s.id
                    ))
                );
                let (parts, list_unsubscribe) = match event.kind {
                    EventKind::SubscriberVerification => {
                        if s.verified_at.is_some() {
                            return Err(RenderError::Permanent("already verified"));
                        }
                        let raw = self.mint_verification(s.id).await?;
                        (
                            MailParts {
                                subject: cat.tf(Msg::MailVerifySubject, &[&site]),
                                heading: cat.t(Msg::VerifyTitle).to_owned(),
                                lines: vec![cat.t(Msg::MailVerifyBody).to_owned()],
                                action: Some((
                                    cat.t(Msg::VerifyButton).to_owned(),
                                    format!("{base}/subscribe/verify/{raw}"),
                                )),
                                ..MailParts::default()
                            },
                            None,
                        )
                    }
                    EventKind::SubscriberAlreadySubscribed => (
                        MailParts {
                            subject: cat.tf(Msg::MailAlreadySubject, &[&site]),
                            heading: cat.t(Msg::ManageTitle).to_owned(),
                            lines: vec![cat.t(Msg::MailAlreadyBody).to_owned()],
                            action: Some((cat.t(Msg::MailManage).to_owned(), manage.clone())),
                            footer_links: vec![(
                                cat.t(Msg::MailUnsubscribe).to_owned(),
                                unsubscribe.clone(),
                            )],
                            ..MailParts::default()
                        },
                        None,
                    ),
                    kind => {
                        if s.verified_at.is_none() {
                            return Err(RenderError::Permanent("the subscriber is not verified"));
                        }
                        let mut parts =
                            render::notification_parts(&cat, tz, kind, &event.payload, &base)
                                .ok_or(RenderError::Permanent("malformed event"))?;
                        parts.why = Some(cat.t(Msg::MailWhy).to_owned());
                        parts.footer_links = vec![
                            (cat.t(Msg::MailManage).to_owned(), manage.clone()),
                            (cat.t(Msg::MailUnsubscribe).to_owned(), unsubscribe.clone()),
                        ];
                        (parts, HttpUrl::parse(&unsubscribe).ok())
                    }
                };
                let mail = render::render_mail(cat.lang(), &site, &parts)
                    .map_err(|_| RenderError::Permanent("the mail template failed"))?;
                let address = to.as_str().to_owned();
                Ok((
                    Message::Email(EmailMessage {
                        to,
                        subject: mail.subject,
                        text: mail.text,
                        html: mail.html,
                        idempotency_key: d.idempotency_key.clone(),
                        list_unsubscribe,
                        locale: cat.lang().tag().to_owned(),
                    }),
                    Some(address),
                ))
            }
            Recipient::SmsSubscriber(id) => self.render_sms(d, id, &event, &settings).await,
            Recipient::ChatSubscriber(id) => {
                self.render_chat_subscriber(d, id, &event, &settings).await
            }
            Recipient::Direct(_) => self.render_direct(&event, &settings),
            Recipient::Chat(id) => {
                let w = self.endpoint(id, &event).await?;
                // The delivery's channel was the endpoint's format when the event fanned out.
                let Some(platform) = super::super::ChatPlatform::of_format(w.format) else {
                    return Err(RenderError::Permanent(
                        "the endpoint's format is no longer a chat platform",
                    ));
                };
                // Matrix: the endpoint's URL names the homeserver and the room, its sealed
                // secret is the access token.
                let (url, room, token) = if platform == super::super::ChatPlatform::Matrix {
                    let (base, room) = super::super::matrix_room(&w.url).ok_or(
                        RenderError::Permanent("the endpoint's URL is no Matrix room"),
                    )?;
                    let token = self
                        .cachet
                        .keyring()
                        .open(&w.secret, AAD_WEBHOOK_SECRET)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .ok_or(RenderError::Permanent("the access token cannot be opened"))?;
                    (base, Some(room), Some(token))
                } else {
                    (w.url.clone(), None, None)
                };
                let lang = Lang::from_tag(settings.app_locale.as_str()).unwrap_or(Lang::En);
                let cat = Catalog::new(lang);
                let parts = if event.kind == EventKind::WebhookTest {
                    let site = site_name(&settings, &cat);
                    render::ChatParts {
                        title: cat.tf(Msg::MailTestSubject, &[&site]),
                        text:
                            "A test event sent from the dashboard; nothing has changed on the page."
                                .to_owned(),
                        link: None,
                        severity: ChatSeverity::Info,
                    }
                } else {
                    render::chat_parts(&cat, tz, event.kind, &event.payload, &self.base_url())
                        .ok_or(RenderError::Permanent("malformed event"))?
                };
                Ok((
                    Message::Chat(ChatMessage {
                        platform,
                        url,
                        room,
                        token,
                        title: parts.title,
                        text: parts.text,
                        link: parts.link.and_then(|l| HttpUrl::parse(&l).ok()),
                        more_links: Vec::new(),
                        severity: parts.severity,
                        idempotency_key: d.idempotency_key.clone(),
                    }),
                    None,
                ))
            }
            Recipient::Webhook(id) => {
                let w = self.endpoint(id, &event).await?;
                if w.format.is_chat() {
                    return Err(RenderError::Permanent(
                        "the endpoint's format changed to a chat platform",
                    ));
                }
                let secret = self
                    .cachet
                    .keyring()
                    .open(&w.secret, AAD_WEBHOOK_SECRET)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .filter(|s| !s.is_empty());
                let page = self.pass_page_object(&settings).await?;
                let body = render::webhook_body(
                    event.kind,
                    &event.payload,
                    &page,
                    None,
                    self.cachet.now(),
                )
                .ok_or(RenderError::Permanent("malformed event"))?;
                Ok((
                    Message::Webhook(WebhookMessage {
                        url: w.url.clone(),
                        secret,
                        body: body.to_string(),
                        idempotency_key: d.idempotency_key.clone(),
                    }),
                    None,
                ))
            }
        }
    }

    /// The site's settings: the pass's copy while the store answers, else read again.
    async fn settings(&self) -> Result<Arc<Settings>, RenderError> {
        let read = async { self.cachet.settings().await.map_err(|_| STORE) };
        self.cache.shared(&self.cache.settings, read).await
    }

    /// [`DeliverCtx::page_object`]: the pass's copy while the store answers, else built again.
    async fn pass_page_object(
        &self,
        settings: &Settings,
    ) -> Result<Arc<serde_json::Value>, RenderError> {
        let read = async { self.page_object(settings).await.map_err(|_| STORE) };
        self.cache.shared(&self.cache.page, read).await
    }

    /// The subscriber a delivery goes to: gone is for good, a failing store is not.
    async fn subscriber(&self, id: SubscriberId) -> Result<Subscriber, RenderError> {
        if self.cache.usable()
            && let Some(s) = guard(&self.cache.subscribers).get(&id).cloned()
        {
            return Ok(s);
        }
        match self.cachet.store().subscriber(id).await {
            Ok(s) => Ok(s),
            Err(StoreError::NotFound { .. }) => {
                Err(RenderError::Permanent("the subscriber no longer exists"))
            }
            Err(_) => Err(STORE),
        }
    }

    /// The subscriber a delivery on `channel` goes to, with the catalog of their language;
    /// one on another channel (changed since the fan-out) is a permanent failure.
    async fn subscriber_on(
        &self,
        id: SubscriberId,
        channel: SubscriberChannel,
    ) -> Result<(Subscriber, Catalog), RenderError> {
        let s = self.subscriber(id).await?;
        if s.channel != channel {
            return Err(RenderError::Permanent(match channel {
                SubscriberChannel::Email => "the subscriber is not a mail subscriber",
                SubscriberChannel::Sms => "the subscriber is not an SMS subscriber",
                SubscriberChannel::Chat => "the subscriber is not a chat subscriber",
            }));
        }
        let cat = Catalog::new(Lang::from_tag(s.locale.as_str()).unwrap_or(Lang::En));
        Ok((s, cat))
    }

    /// The webhook endpoint a delivery goes to, if it still takes `event`.
    async fn endpoint(&self, id: WebhookId, event: &OutboxEvent) -> Result<Webhook, RenderError> {
        let w = match self.cachet.store().webhook(id).await {
            Ok(w) => w,
            Err(StoreError::NotFound { .. }) => {
                return Err(RenderError::Permanent("the webhook no longer exists"));
            }
            Err(_) => {
                return Err(STORE);
            }
        };
        // An admin may test an endpoint before enabling it.
        if !w.enabled && event.kind != EventKind::WebhookTest {
            return Err(RenderError::Permanent("the webhook is disabled"));
        }
        Ok(w)
    }

    /// A mail to the address in the payload: password reset, invitation, test mail (in the
    /// site's locale; the link was sealed into the payload by the facade).
    pub(super) fn render_direct(
        &self,
        event: &OutboxEvent,
        settings: &Settings,
    ) -> Result<(Message, Option<String>), RenderError> {
        let to = direct_address(&event.payload).ok_or(RenderError::Permanent("malformed event"))?;
        let lang = Lang::from_tag(settings.app_locale.as_str()).unwrap_or(Lang::En);
        let cat = Catalog::new(lang);
        let site = site_name(settings, &cat);
        let link = || {
            self.cachet
                .open_outbox_link(&event.payload)
                .ok_or(RenderError::Permanent("the link cannot be opened"))
        };
        let parts = match event.kind {
            EventKind::PasswordReset => MailParts {
                subject: cat.tf(Msg::MailResetSubject, &[&site]),
                heading: cat.t(Msg::MailResetButton).to_owned(),
                lines: vec![cat.t(Msg::MailResetBody).to_owned()],
                action: Some((cat.t(Msg::MailResetButton).to_owned(), link()?)),
                ..MailParts::default()
            },
            EventKind::UserInvitation => {
                let role = event
                    .payload
                    .get("role")
                    .and_then(serde_json::Value::as_str)
                    .and_then(|r| Role::parse(r).ok())
                    .map_or("viewer", Role::as_str);
                MailParts {
                    subject: cat.tf(Msg::MailInviteSubject, &[&site]),
                    heading: cat.t(Msg::MailInviteButton).to_owned(),
                    lines: vec![cat.tf(Msg::MailInviteBody, &[role])],
                    action: Some((cat.t(Msg::MailInviteButton).to_owned(), link()?)),
                    ..MailParts::default()
                }
            }
            EventKind::TestMail => MailParts {
                subject: cat.tf(Msg::MailTestSubject, &[&site]),
                heading: cat.tf(Msg::MailTestSubject, &[&site]),
                lines: vec![cat.t(Msg::MailTestBody).to_owned()],
                ..MailParts::default()
            },
            _ => return Err(RenderError::Permanent("malformed event")),
        };
        let mail = render::render_mail(lang, &site, &parts)
            .map_err(|_| RenderError::Permanent("the mail template failed"))?;
        let address = to.as_str().to_owned();
        Ok((
            Message::Email(EmailMessage {
                to,
                subject: mail.subject,
                text: mail.text,
                html: mail.html,
                idempotency_key: String::new(),
                list_unsubscribe: None,
                locale: lang.tag().to_owned(),
            }),
            Some(address),
        ))
    }

    /// Mints a verification token for this mail: random, stored only as its hash, single use,
    /// expiring. A retried mail mints another; each works once until it expires.
    pub(super) async fn mint_verification(
        &self,
        subscriber: SubscriberId,
    ) -> Result<String, RenderError> {
        let raw = crate::auth::tokens::random_secret().map_err(|_| STORE)?;
        let now = self.cachet.now();
        let new = NewOneTimeToken {
            purpose: TokenPurpose::Verification,
            hash: crate::auth::tokens::hash_secret(&raw),
            subject_id: Some(subscriber.get()),
            payload: serde_json::Value::Null,
            expires_at: now + delta(self.config.verification_ttl),
        };
        self.cachet
            .store()
            .create_one_time_token(WriteContext::at(now), &new)
            .await
            .map_err(|_| STORE)?;
        Ok(raw)
    }

    /// An SMS to a subscriber's number: the confirmation code, the manage link once confirmed
    /// (or subscribed again), or an incident or maintenance notice with its link.
    async fn render_sms(
        &self,
        d: &Delivery,
        id: SubscriberId,
        event: &OutboxEvent,
        settings: &Settings,
    ) -> Result<(Message, Option<String>), RenderError> {
        let (s, cat) = self.subscriber_on(id, SubscriberChannel::Sms).await?;
        let to = self
            .cachet
            .keyring()
            .open_phone(&s.email)
            .map_err(|_| RenderError::Permanent("the number cannot be opened"))?;
        let site = site_name(settings, &cat);
        let base = self.base_url();
        let body = match event.kind {
            EventKind::SubscriberVerification => {
                if s.verified_at.is_some() {
                    return Err(RenderError::Permanent("already verified"));
                }
                let code = self.mint_sms_code(&s).await?;
                SmsMessage::fit(&cat.tf(Msg::SmsVerifyBody, &[&site, &code]))
            }
            EventKind::SubscriberAlreadySubscribed => {
                if s.verified_at.is_none() {
                    return Err(RenderError::Permanent("the subscriber is not verified"));
                }
                let manage = format!(
                    "{base}{}",
                    LinkPurpose::Manage.path(&links::sign(
                        self.cachet.keyring(),
                        LinkPurpose::Manage,
                        s.id
                    ))
                );
                SmsMessage::fit_with_tail(
                    &cat.tf(Msg::SmsSubscribedBody, &[&site]),
                    &format!("\n{manage}"),
                )
            }
            kind => {
                if s.verified_at.is_none() {
                    return Err(RenderError::Permanent("the subscriber is not verified"));
                }
                let tz = settings.app_timezone.tz();
                let parts = render::notification_parts(&cat, tz, kind, &event.payload, &base)
                    .ok_or(RenderError::Permanent("malformed event"))?;
                let mut head = format!("{site}: {}", parts.subject);
                for line in &parts.lines {
                    head.push('\n');
                    head.push_str(line);
                }
                if let Some(body) = parts.body.as_ref().map(crate::validate::Markdown::as_str) {
                    // Line breaks and runs of spaces cost characters an SMS has few of.
                    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !flat.is_empty() {
                        head.push('\n');
                        head.push_str(&flat);
                    }
                }
                let tail = parts
                    .action
                    .map(|(_, url)| format!("\n{url}"))
                    .unwrap_or_default();
                SmsMessage::fit_with_tail(&head, &tail)
            }
        };
        let address = to.as_str().to_owned();
        Ok((
            Message::Sms(SmsMessage {
                to,
                body,
                idempotency_key: d.idempotency_key.clone(),
            }),
            Some(address),
        ))
    }

    /// A message posted to a chat subscriber's incoming webhook, in the platform's format
    /// (recognised from the URL): the confirmation link, the manage link once confirmed (or
    /// subscribed again), or an incident, maintenance or component notice with the manage
    /// and unsubscribe links. The URL goes through the notifier's guarded client, which
    /// checks every address it resolves to, as for any webhook.
    async fn render_chat_subscriber(
        &self,
        d: &Delivery,
        id: SubscriberId,
        event: &OutboxEvent,
        settings: &Settings,
    ) -> Result<(Message, Option<String>), RenderError> {
        let (s, cat) = self.subscriber_on(id, SubscriberChannel::Chat).await?;
        let url = self
            .cachet
            .keyring()
            .open_chat_url(&s.email)
            .map_err(|_| RenderError::Permanent("the URL cannot be opened"))?;
        let platform = super::super::ChatPlatform::of_incoming_webhook(&url);
        let site = site_name(settings, &cat);
        let base = self.base_url();
        // Links go in as captioned links, which each platform renders natively (its text
        // markup would escape a URL written into the text).
        let link = |caption: Msg, path: String| {
            HttpUrl::parse(&format!("{base}{path}"))
                .map(|u| (cat.t(caption).to_owned(), u))
                .map_err(|_| RenderError::Permanent("the public URL makes no valid link"))
        };
        let signed =
            |purpose: LinkPurpose| purpose.path(&links::sign(self.cachet.keyring(), purpose, s.id));
        let manage_links = || -> Result<Vec<(String, HttpUrl)>, RenderError> {
            Ok(vec![
                link(Msg::MailManage, signed(LinkPurpose::Manage))?,
                link(Msg::MailUnsubscribe, signed(LinkPurpose::Unsubscribe))?,
            ])
        };
        let (parts, more_links) = match event.kind {
            EventKind::SubscriberVerification => {
                if s.verified_at.is_some() {
                    return Err(RenderError::Permanent("already verified"));
                }
                let raw = self.mint_verification(s.id).await?;
                let parts = render::ChatParts {
                    title: cat.tf(Msg::MailVerifySubject, &[&site]),
                    text: cat.t(Msg::ChatVerifyBody).to_owned(),
                    link: None,
                    severity: ChatSeverity::Info,
                };
                (
                    parts,
                    vec![link(Msg::VerifyButton, format!("/subscribe/verify/{raw}"))?],
                )
            }
            EventKind::SubscriberAlreadySubscribed => {
                if s.verified_at.is_none() {
                    return Err(RenderError::Permanent("the subscriber is not verified"));
                }
                let parts = render::ChatParts {
                    title: cat.tf(Msg::MailAlreadySubject, &[&site]),
                    text: cat.t(Msg::ChatAlreadyBody).to_owned(),
                    link: None,
                    severity: ChatSeverity::Info,
                };
                (parts, manage_links()?)
            }
            kind => {
                if s.verified_at.is_none() {
                    return Err(RenderError::Permanent("the subscriber is not verified"));
                }
                let tz = settings.app_timezone.tz();
                let parts = render::chat_parts(&cat, tz, kind, &event.payload, &base)
                    .ok_or(RenderError::Permanent("malformed event"))?;
                (parts, manage_links()?)
            }
        };
        // The URL is the channel's credential: scrubbed from any error the notifier returns.
        let address = url.as_str().to_owned();
        Ok((
            Message::Chat(ChatMessage {
                platform,
                url,
                room: None,
                token: None,
                title: parts.title,
                text: parts.text,
                link: parts.link.and_then(|l| HttpUrl::parse(&l).ok()),
                more_links,
                severity: parts.severity,
                idempotency_key: d.idempotency_key.clone(),
            }),
            Some(address),
        ))
    }

    /// Mints a confirmation code for this SMS: six random digits stored only as their keyed
    /// hash, expiring after [`crate::SMS_CODE_TTL`]. The number's earlier codes end and
    /// its count of wrong tries starts again, so one code is live at a time.
    async fn mint_sms_code(&self, s: &Subscriber) -> Result<String, RenderError> {
        let code = crate::facade::random_sms_code().map_err(|_| STORE)?;
        let now = self.cachet.now();
        let store = self.cachet.store();
        store
            .end_one_time_tokens(TokenPurpose::SmsCode, s.id.get(), now)
            .await
            .map_err(|_| STORE)?;
        store
            .clear_throttle(&super::super::budget::sms_code_key(&s.blind_index))
            .await
            .map_err(|_| STORE)?;
        let new = NewOneTimeToken {
            purpose: TokenPurpose::SmsCode,
            hash: crate::facade::sms_code_hash(self.cachet.keyring(), s.id, &code),
            subject_id: Some(s.id.get()),
            payload: serde_json::Value::Null,
            expires_at: now + crate::facade::SMS_CODE_TTL,
        };
        store
            .create_one_time_token(WriteContext::at(now), &new)
            .await
            .map_err(|_| STORE)?;
        Ok(code)
    }

    /// Statuspage's `page` object: the page's indicator as a visitor sees it now.
    pub(super) async fn page_object(
        &self,
        settings: &Settings,
    ) -> Result<serde_json::Value, Error> {
        let actor = crate::Actor::anonymous(None);
        let (_, components) = self.cachet.visible_components(&actor).await?;
        let schedules = self
            .cachet
            .schedules(&actor, ScheduleQuery::all())
            .await?
            .items;
        let incidents = self
            .cachet
            .incidents(&actor, IncidentQuery::all())
            .await?
            .items;
        let indicator =
            crate::status::page_indicator(&components, &schedules, &incidents, self.cachet.now());
        let name = settings
            .app_name
            .as_ref()
            .map_or("Status", |n| n.as_str())
            .to_owned();
        Ok(serde_json::json!({
            "id": self.base_url(),
            "name": name,
            "url": self.base_url(),
            "status_indicator": indicator.as_str(),
            "status_description": indicator.description(),
        }))
    }
}

/// The site's name as mails and messages show it: the configured one, else the catalogue's
/// default in the message's language.
fn site_name(settings: &Settings, cat: &Catalog) -> String {
    settings.app_name.as_ref().map_or_else(
        || cat.t(Msg::DefaultSiteName).to_owned(),
        |n| n.as_str().to_owned(),
    )
}
