//! The outbox dispatcher: a task the host starts (`cachet serve` does) that fans events out
//! into deliveries and delivers them through the configured [`Notifier`]s.
//!
//! # A tick
//!
//! 1. **Fan out.** Lease up to `batch_size` pending outbox events (the lease is the
//!    instance's name; PostgreSQL and MySQL claim with `FOR UPDATE SKIP LOCKED`, so several
//!    instances share the work), resolve each event's recipients and write one delivery per
//!    recipient and channel with the idempotency key `{event}.{recipient}.{channel}`
//!    (unique, so a repeated fan-out after a crash adds nothing), marking the event done in
//!    the same transaction.
//! 2. **Deliver**, channel by channel. For each channel with a notifier, lease up to
//!    `batch_size` of that channel's due deliveries, render each for its recipient
//!    (localised mail with the manage and one-click unsubscribe links; webhook body with the
//!    opened signing secret), hand it to the channel's notifier, and record the attempt:
//!    delivered; a transient failure retried with exponential backoff and full jitter in
//!    the upper half (`base * 2^(n-1)`, capped); a permanent failure, or the last allowed
//!    attempt, failed for good. A delivery for a channel without a notifier (no SMTP
//!    configured) is never claimed: it waits, unleased, never failed.
//! 3. **Retention** (every `retention_interval`): delivered outbox rows older than
//!    `delivered_retention`, expired or used one-time tokens, expired sessions, and
//!    subscribers never verified within `unverified_retention` are deleted.
//!
//! [`Dispatcher::tick`] runs the three steps once, in order (what tests and one-shot hosts
//! want). [`Dispatcher::run`] runs them as independent loops: one for fan-out and retention
//! and one per channel, each going again at once after a full batch and after
//! `poll_interval` otherwise. So a paced or slow channel never holds another: fifty SMS at
//! one a second keep the SMS loop busy for fifty seconds while mail, webhooks and chat go on
//! claiming and sending their own batches, and new events keep being fanned out.
//!
//! # Exactly once, as near as the channel allows
//!
//! A notifier cannot take a message back, so what a dispatcher must never do is hand the same
//! delivery over twice. Four rules keep it from that, and a fifth keeps an outage from
//! delaying what it did not touch:
//!
//! - **Short leases, renewed while the work is alive.** A claim holds for `lease` (30 s);
//!   while a tick works, a heartbeat extends the leases of exactly the events and deliveries
//!   it holds every third of that. A dead instance's work is taken over within one lease; a
//!   live one's is never taken from it, however slow the channel.
//! - **The record of a sent message is retried until it is stored.** When the store fails
//!   after the notifier accepted a message (a database outage), the attempt is recorded again,
//!   with a short capped backoff, instead of leaving the delivery to be sent again when its
//!   lease runs out. Attempts that finish while the store is recording others are recorded
//!   with the next group, in one call; none waits for a group to fill (see `recorder`).
//! - **A stopping dispatcher finishes or hands back.** On shutdown no new hand-over starts;
//!   the ones in flight finish and are recorded; deliveries claimed but not started are
//!   released at once for another instance (or the next start).
//! - **A restart resumes its own leases.** An instance that starts under the name it had
//!   (`instance`; the standalone binary uses host and port) releases whatever its previous
//!   run still held, so that work goes on at once instead of after the lease.
//! - **An outage before the send costs nothing.** When the store fails while a claimed
//!   delivery is rendered (nothing sent yet), the render is tried again with the same short
//!   capped backoff for up to one lease, and the lease is renewed before the send (a lease
//!   another instance took over meanwhile leaves the delivery to it). The delivery goes out
//!   as soon as the store is back, without a failed attempt or a retry's backoff.
//!
//! What is left is the one case no protocol closes: a process killed after the channel
//! accepted a message and before the attempt was stored sends that message again (at most the
//! deliveries in flight, `concurrency` of them). The idempotency key (also the Message-ID)
//! lets the receiver drop it.
//!
//! # Recipients
//!
//! Verified subscribers who are global or subscribed to an affected component, each once,
//! plus every enabled webhook. Subscribers hear only of the components a visitor sees
//! (`Cachet::sight`): a status change of a disabled component or of one in a signed-in-only
//! group reaches webhooks only. With `suppress_notifications_in_maintenance` on, incident and
//! component notifications skip the components whose maintenance window was open when the
//! event happened (started, not completed, end not passed); when every affected component was
//! under maintenance, no subscriber is notified. Maintenance notices themselves are never
//! suppressed, and a schedule whose end has passed never suppresses anything (Cachet's
//! stuck-window bug cannot happen).
//!
//! # SMS
//!
//! An SMS subscriber's deliveries go on the `sms` channel (key `subscriber:{id}`, idempotency
//! key `cachet.{event}.subscriber-{id}.sms`): the confirmation code, the manage link once
//! confirmed, and incidents and maintenance (not component status changes: each SMS is
//! billed) cut to three segments with the page's link kept whole. Before each hand-over the
//! instance's SMS count for the UTC day is spent ([`crate::SmsPolicy::daily_limit`], kept in
//! the throttle table). Past the limit an SMS fails for good rather than waiting for the next
//! day: a held incident notice would arrive stale and a held code expired, and the failure
//! stays visible in the delivery log; the first refusal of a day writes one audit entry.

mod delivery;
mod recipients;
mod recorder;

use self::delivery::*;
use self::recipients::*;
use self::recorder::{Recorded, Recorder};

use std::collections::{BTreeSet, HashMap};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::Mutex;

use super::budget::SendRate;
use super::events::{ComponentData, IncidentData, ScheduleData, SubscriberData};
use super::links::{self, LinkPurpose};
use super::render::{self, MailParts};
use super::{
    Channel, ChatMessage, ChatSeverity, DeliveryError, EmailMessage, Message, Notifier, SmsMessage,
    WebhookMessage,
};
use crate::clock::Timestamp;
use crate::i18n::{Catalog, Lang, Msg};
use crate::model::*;
use crate::store::*;
use crate::telemetry::DeliveryOutcome;
use crate::validate::HttpUrl;
use crate::{Cachet, Error};

/// The first wait before recording an attempt again after the store failed.
const RECORD_RETRY_FIRST: Duration = Duration::from_millis(50);
/// The longest wait between tries to record an attempt: short, so that after a database
/// outage this instance's record lands before another instance could take the delivery over.
const RECORD_RETRY_CAP: Duration = Duration::from_secs(1);

/// What authenticates a webhook's secret when sealed: the secret of one endpoint cannot be
/// moved into another kind of field.
pub const AAD_WEBHOOK_SECRET: &[u8] = b"webhook-secret";

/// The dispatcher's settings.
#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// This instance's name, used as the lease owner (default `cachet-` and 8 random hex
    /// digits). Instances sharing a database need different names.
    pub instance: String,
    /// Events and deliveries claimed per tick (default 100).
    pub batch_size: u32,
    /// Deliveries sent at the same time within a tick, per channel (default 8): a slow or
    /// paced channel does not take the slots of another.
    pub concurrency: usize,
    /// Sleep between ticks when there was nothing more to do (default 2 s).
    pub poll_interval: Duration,
    /// How long a claim holds without renewal (default 30 s): a crashed instance's work is
    /// taken over after it. A working dispatcher renews its leases every third of it.
    pub lease: Duration,
    /// How long a notifier may take over one message before it counts as a transient
    /// failure (default 60 s).
    pub send_timeout: Duration,
    /// Attempts per delivery before giving up (default 8).
    pub max_attempts: u32,
    /// First retry delay (default 30 s).
    pub backoff_base: Duration,
    /// Longest retry delay (default 1 h).
    pub backoff_cap: Duration,
    /// How long a verification link works (default 48 h).
    pub verification_ttl: Duration,
    /// Delivered outbox rows are kept this long (default 7 days).
    pub delivered_retention: Duration,
    /// Subscribers who never verified are deleted after this (default 7 days).
    pub unverified_retention: Duration,
    /// How often retention runs (default 1 h; the first tick runs it).
    pub retention_interval: Duration,
    /// A global send rate per channel in messages a second ([`super::budget::SendRate`]):
    /// deliveries wait for a permit, none is dropped (default 20 mails, 50 webhook calls,
    /// 20 chat messages and 1 SMS a second; a channel missing here is not paced). Keep `batch_size` over the rate well
    /// below `send_timeout`: a delivery's wait for its permit and its send are both part of
    /// its tick.
    pub send_rates: HashMap<Channel, NonZeroU32>,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        let suffix = crate::auth::tokens::random_bytes::<4>()
            .map(hex::encode)
            .unwrap_or_else(|_| "00000000".to_owned());
        Self {
            instance: format!("cachet-{suffix}"),
            batch_size: 100,
            concurrency: 8,
            poll_interval: Duration::from_secs(2),
            lease: Duration::from_secs(30),
            send_timeout: Duration::from_secs(60),
            max_attempts: 8,
            backoff_base: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(3600),
            verification_ttl: Duration::from_secs(48 * 3600),
            delivered_retention: Duration::from_secs(7 * 24 * 3600),
            unverified_retention: Duration::from_secs(7 * 24 * 3600),
            retention_interval: Duration::from_secs(3600),
            send_rates: HashMap::from([
                (
                    Channel::Email,
                    NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
                ),
                (
                    Channel::Webhook,
                    NonZeroU32::new(50).unwrap_or(NonZeroU32::MIN),
                ),
                // Chat platforms throttle hard (Slack about one message a second per
                // webhook, Discord a few per second), and a 429 costs a retry.
                (
                    Channel::Chat,
                    NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
                ),
                // One SMS a second: what a single long-code sender number may send in the US,
                // and a modest pace for a channel billed per message.
                (Channel::Sms, NonZeroU32::MIN),
            ]),
        }
    }
}

/// What one tick (or one pass of a [`Dispatcher::run`] loop) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickReport {
    /// Events fanned out.
    pub events: usize,
    /// Events given up (malformed or of a kind nothing renders).
    pub events_failed: usize,
    /// Deliveries written by the fan-out.
    pub deliveries_created: usize,
    /// Deliveries accepted by their channel.
    pub delivered: usize,
    /// Deliveries to be retried.
    pub retried: usize,
    /// Deliveries given up.
    pub failed: usize,
    /// Deliveries whose lease another instance took over meanwhile.
    pub lost: usize,
    /// Deliveries claimed but not started when the dispatcher was stopped, handed back.
    pub handed_back: usize,
    /// Rows removed by retention.
    pub pruned: u64,
}

impl TickReport {
    /// Adds the delivery counts of one channel's pass.
    fn add_deliveries(&mut self, pass: &TickReport) {
        self.delivered += pass.delivered;
        self.retried += pass.retried;
        self.failed += pass.failed;
        self.lost += pass.lost;
        self.handed_back += pass.handed_back;
    }

    /// Whether the tick filled a batch (so another tick right away may find more).
    fn busy(&self, batch: u32) -> bool {
        let batch = batch as usize;
        self.events + self.events_failed >= batch
            || self.delivered + self.retried + self.failed + self.lost + self.handed_back >= batch
    }
}

/// A full delay `d` jittered into `[d/2, d]`, in whole milliseconds (stores keep
/// microseconds, so a finer time would read back earlier than written).
fn jitter(d: Duration) -> Duration {
    let r = crate::auth::tokens::random_bytes::<8>().map_or(0, u64::from_le_bytes);
    let half = u64::try_from((d / 2).as_millis()).unwrap_or(u64::MAX / 2);
    let extra = if half == 0 { 0 } else { r % (half + 1) };
    Duration::from_millis(half + extra)
}

/// The retry delay after the `n`th failed attempt (1-based): `base * 2^(n-1)`, capped,
/// jittered.
#[must_use]
pub fn backoff(config: &DispatcherConfig, n: u32) -> Duration {
    let exp = n.saturating_sub(1).min(30);
    let raw = config.backoff_base.saturating_mul(1u32 << exp);
    jitter(raw.min(config.backoff_cap))
}

/// One [`SendRate`] per configured channel.
fn rates_of(config: &DispatcherConfig) -> HashMap<Channel, Arc<SendRate>> {
    config
        .send_rates
        .iter()
        .map(|(c, n)| (*c, Arc::new(SendRate::per_second(*n))))
        .collect()
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// What a delivery came to.
enum Outcome {
    Delivered,
    Retry,
    Failed,
    Lost,
    /// Not started because the dispatcher is stopping: to be handed back.
    NotStarted(DeliveryId),
}

/// The events and deliveries the dispatcher's loops are working on: what the heartbeat
/// renews. Each loop replaces its own entry when it claims and empties it when done.
#[derive(Debug, Default)]
struct Held {
    events: Vec<OutboxEventId>,
    deliveries: HashMap<Channel, Vec<DeliveryId>>,
}

/// The outbox dispatcher (see the [module docs](self)).
pub struct Dispatcher {
    cachet: Cachet,
    notifiers: HashMap<Channel, Arc<dyn Notifier>>,
    config: DispatcherConfig,
    /// The send rates of `config`, shared by every tick's delivery tasks.
    rates: HashMap<Channel, Arc<SendRate>>,
    last_retention: Mutex<Option<Timestamp>>,
    held: std::sync::Mutex<Held>,
    /// Set when the dispatcher is told to stop: no new hand-over starts after it.
    stopping: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("channels", &self.notifiers.keys().collect::<Vec<_>>())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher over the facade's store with these notifiers (one per channel; a later one
    /// for the same channel replaces an earlier one) and the default configuration.
    #[must_use]
    pub fn new(cachet: Cachet, notifiers: Vec<Arc<dyn Notifier>>) -> Self {
        let notifiers = notifiers.into_iter().map(|n| (n.channel(), n)).collect();
        let config = DispatcherConfig::default();
        Self {
            cachet,
            notifiers,
            rates: rates_of(&config),
            config,
            last_retention: Mutex::new(None),
            held: std::sync::Mutex::new(Held::default()),
            stopping: tokio::sync::watch::Sender::new(false),
        }
    }

    /// With a configuration.
    #[must_use]
    pub fn with_config(mut self, config: DispatcherConfig) -> Self {
        self.rates = rates_of(&config);
        self.config = config;
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &DispatcherConfig {
        &self.config
    }

    /// Runs until `shutdown` completes: a loop for fan-out and retention and one per channel
    /// with a notifier (see the [module docs](self)); each goes again at once after a full
    /// batch and after `poll_interval` otherwise.
    ///
    /// It starts by resuming what a previous run under the same `instance` name still held
    /// ([`OutboxStore::release_outbox_leases`]). When `shutdown` completes, no loop starts a
    /// new pass or a new hand-over; the hand-overs in flight finish and are recorded, the
    /// deliveries claimed but not started are handed back, and then `run` returns.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send) {
        self.resume_own_leases().await;
        let this = &self;
        let stop = async {
            shutdown.await;
            this.stopping.send_replace(true);
            std::future::pending::<()>().await;
        };
        let mut channels: Vec<Channel> = self.notifiers.keys().copied().collect();
        channels.sort_by_key(|c| c.as_str());
        let loops = async {
            let fan_out = this.repeat(|| async {
                let mut report = TickReport::default();
                this.fan_out(&mut report).await?;
                report.pruned = this.retention().await?;
                Ok(report)
            });
            let deliveries = futures_util::future::join_all(
                channels
                    .iter()
                    .map(|c| this.repeat(move || this.deliver_channel(*c))),
            );
            tokio::join!(fan_out, deliveries);
        };
        tokio::select! {
            () = loops => {}
            never = self.heartbeat() => match never {},
            () = stop => {}
        }
    }

    /// Runs `pass` until the dispatcher stops: again at once after a full batch, after
    /// `poll_interval` otherwise. A failed pass is logged and waits like an idle one.
    async fn repeat<F, Fut>(&self, mut pass: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<TickReport, Error>>,
    {
        let mut stopping = self.stopping.subscribe();
        while !self.is_stopping() {
            let busy = match pass().await {
                Ok(report) => report.busy(self.config.batch_size),
                Err(e) => {
                    tracing::warn!(target: "cachet::notify", error = %crate::log::Escaped(&e), "dispatcher pass failed");
                    false
                }
            };
            if busy {
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                _ = stopping.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }

    /// One tick: fan out, deliver (every channel with a notifier at once, each its own
    /// batch), and (when due) retention.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when claiming fails; failures of single events or deliveries are
    /// recorded on them instead.
    pub async fn tick(&self) -> Result<TickReport, Error> {
        let work = async {
            let mut report = TickReport::default();
            self.fan_out(&mut report).await?;
            let passes = futures_util::future::join_all(
                self.notifiers.keys().map(|c| self.deliver_channel(*c)),
            )
            .await;
            for pass in passes {
                report.add_deliveries(&pass?);
            }
            report.pruned = self.retention().await?;
            Ok(report)
        };
        tokio::select! {
            r = work => r,
            never = self.heartbeat() => match never {},
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        // The guarded lists are replaced whole, never left half-written: a panic elsewhere
        // while it was held leaves nothing to distrust.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Renews the leases of the work in hand every third of `lease`, for as long as the tick
    /// (or `run`) runs. A failed renewal is only logged: the next one may get through, and the lease
    /// itself is the fallback.
    async fn heartbeat(&self) -> std::convert::Infallible {
        let every = (self.config.lease / 3).max(Duration::from_millis(10));
        loop {
            tokio::time::sleep(every).await;
            let (events, deliveries) = {
                let held = self.held();
                let deliveries: Vec<DeliveryId> =
                    held.deliveries.values().flatten().copied().collect();
                (held.events.clone(), deliveries)
            };
            if events.is_empty() && deliveries.is_empty() {
                continue;
            }
            let until = self.lease_until(self.cachet.now());
            if let Err(e) = self
                .cachet
                .store()
                .renew_outbox_leases(&self.config.instance, &events, &deliveries, until)
                .await
            {
                tracing::warn!(target: "cachet::notify", error = %crate::log::Escaped(&e), "renewing the dispatcher's leases failed");
            }
        }
    }

    /// Releases what a previous run under this instance name still held, so it is taken up
    /// at once (by this run or another instance) instead of after its lease.
    async fn resume_own_leases(&self) {
        match self
            .cachet
            .store()
            .release_outbox_leases(&self.config.instance)
            .await
        {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(target: "cachet::notify", leases = n, "resuming the work a previous run of this instance held");
            }
            Err(e) => {
                tracing::warn!(target: "cachet::notify", error = %crate::log::Escaped(&e), "could not resume this instance's earlier leases; they run out instead");
            }
        }
    }

    fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    fn lease_until(&self, now: Timestamp) -> Timestamp {
        now + delta(self.config.lease)
    }

    // ---- fan-out ----------------------------------------------------------------------

    async fn fan_out(&self, report: &mut TickReport) -> Result<(), Error> {
        let result = self.fan_out_claimed(report).await;
        self.held().events.clear();
        result
    }

    async fn fan_out_claimed(&self, report: &mut TickReport) -> Result<(), Error> {
        let store = self.cachet.store();
        let now = self.cachet.now();
        let owner = self.config.instance.as_str();
        let events = store
            .claim_outbox_events(owner, now, self.lease_until(now), self.config.batch_size)
            .await?;
        self.held().events = events.iter().map(|e| e.id).collect();
        for event in events {
            match self.recipients(&event).await {
                Ok(Some(recipients)) => {
                    let deliveries: Vec<NewDelivery> = recipients
                        .into_iter()
                        .map(|r| NewDelivery {
                            recipient: r.key(),
                            channel: r.channel().as_str().to_owned(),
                            idempotency_key: idempotency_key(event.id, r),
                        })
                        .collect();
                    let n = deliveries.len();
                    match store
                        .complete_outbox_event(
                            WriteContext::at(self.cachet.now()),
                            event.id,
                            owner,
                            &deliveries,
                        )
                        .await
                    {
                        Ok(()) => {
                            report.events += 1;
                            report.deliveries_created += n;
                        }
                        Err(StoreError::Conflict { .. }) => {}
                        Err(e) => {
                            tracing::warn!(target: "cachet::notify", event = event.id.get(), error = %crate::log::Escaped(&e), "fan-out failed");
                            self.retry_event(&event, "store error during fan-out").await;
                        }
                    }
                }
                Ok(None) => {
                    report.events_failed += 1;
                    let _ = store
                        .fail_outbox_event(
                            event.id,
                            owner,
                            "malformed payload or an event kind this dispatcher does not send",
                            None,
                        )
                        .await;
                }
                Err(e) => {
                    tracing::warn!(target: "cachet::notify", event = event.id.get(), error = %crate::log::Escaped(&e), "resolving recipients failed");
                    self.retry_event(&event, "store error while resolving recipients")
                        .await;
                }
            }
        }
        Ok(())
    }

    async fn retry_event(&self, event: &OutboxEvent, error: &str) {
        let at = self.cachet.now() + delta(backoff(&self.config, event.attempts.max(1)));
        let _ = self
            .cachet
            .store()
            .fail_outbox_event(event.id, &self.config.instance, error, Some(at))
            .await;
    }

    // ---- delivery ---------------------------------------------------------------------

    /// One pass over `channel`: claims a batch of its due deliveries and hands them over,
    /// `concurrency` at a time.
    async fn deliver_channel(&self, channel: Channel) -> Result<TickReport, Error> {
        let mut report = TickReport::default();
        if self.is_stopping() {
            return Ok(report);
        }
        let store = self.cachet.store();
        let now = self.cachet.now();
        let owner = self.config.instance.as_str();
        let claimed = store
            .claim_deliveries(
                owner,
                Some(channel.as_str()),
                now,
                self.lease_until(now),
                self.config.batch_size,
            )
            .await?;
        if claimed.is_empty() {
            return Ok(report);
        }
        self.held()
            .deliveries
            .insert(channel, claimed.iter().map(|d| d.id).collect());
        let ctx = Arc::new(DeliverCtx {
            cachet: self.cachet.clone(),
            notifiers: self.notifiers.clone(),
            rates: self.rates.clone(),
            config: self.config.clone(),
            events: Mutex::new(HashMap::new()),
            stopping: self.stopping.subscribe(),
            sms_day: Mutex::new(()),
            recorder: Recorder::default(),
            cache: PassCache::default(),
        });
        // The batch's subscribers in one read. When it fails, each render reads its own (and
        // waits out the outage that made it fail).
        let subscribers: Vec<SubscriberId> = claimed
            .iter()
            .filter_map(|d| Recipient::parse(&d.recipient, channel)?.subscriber_id())
            .collect();
        if !subscribers.is_empty() {
            match store.subscribers_by_id(&subscribers).await {
                Ok(found) => ctx.cache.keep_subscribers(found),
                Err(e) => {
                    tracing::debug!(target: "cachet::notify", error = %crate::log::Escaped(&e), "reading the batch's subscribers failed; each delivery reads its own");
                }
            }
        }
        let mut queue = claimed.into_iter();
        let mut set = tokio::task::JoinSet::new();
        let mut not_started = Vec::new();
        loop {
            while set.len() < self.config.concurrency.max(1) {
                let Some(d) = queue.next() else { break };
                if self.is_stopping() {
                    not_started.push(d.id);
                    continue;
                }
                let ctx = ctx.clone();
                set.spawn(async move { ctx.deliver_one(d).await });
            }
            let Some(joined) = set.join_next().await else {
                break;
            };
            match joined {
                Ok(Outcome::Delivered) => report.delivered += 1,
                Ok(Outcome::Retry) => report.retried += 1,
                Ok(Outcome::Failed) => report.failed += 1,
                Ok(Outcome::NotStarted(id)) => not_started.push(id),
                Ok(Outcome::Lost) | Err(_) => report.lost += 1,
            }
        }
        if !not_started.is_empty() {
            report.handed_back = not_started.len();
            if let Err(e) = store.release_deliveries(owner, &not_started).await {
                tracing::warn!(target: "cachet::notify", error = %crate::log::Escaped(&e), "could not hand back unstarted deliveries; their leases run out instead");
            }
        }
        self.held().deliveries.remove(&channel);
        Ok(report)
    }

    // ---- retention --------------------------------------------------------------------

    async fn retention(&self) -> Result<u64, Error> {
        let now = self.cachet.now();
        {
            let mut last = self.last_retention.lock().await;
            if last.is_some_and(|t| now < t + delta(self.config.retention_interval)) {
                return Ok(0);
            }
            *last = Some(now);
        }
        self.cachet
            .prune_notifications(
                now - delta(self.config.delivered_retention),
                now - delta(self.config.unverified_retention),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered_into_the_upper_half() {
        let c = DispatcherConfig {
            backoff_base: Duration::from_secs(10),
            backoff_cap: Duration::from_secs(100),
            ..DispatcherConfig::default()
        };
        for _ in 0..50 {
            let first = backoff(&c, 1);
            assert!(first >= Duration::from_secs(5) && first <= Duration::from_secs(10));
            let third = backoff(&c, 3);
            assert!(third >= Duration::from_secs(20) && third <= Duration::from_secs(40));
            let capped = backoff(&c, 30);
            assert!(capped >= Duration::from_secs(50) && capped <= Duration::from_secs(100));
        }
    }

    #[test]
    fn keys_and_recipients_round_trip() {
        let r = Recipient::Subscriber(SubscriberId(5));
        assert_eq!(Recipient::parse(&r.key(), r.channel()), Some(r));
        assert_eq!(
            idempotency_key(OutboxEventId(17), r),
            "cachet.17.subscriber-5.email"
        );
        assert_eq!(Recipient::parse("group:1", Channel::Email), None);
        assert_eq!(
            Recipient::parse("user:1", Channel::Email),
            Some(Recipient::Direct(Some(UserId(1))))
        );
        assert_eq!(Recipient::parse("subscriber:x", Channel::Email), None);
        // An SMS subscriber keeps the subscriber's key on the SMS channel.
        let sms = Recipient::subscriber(SubscriberId(5), SubscriberChannel::Sms);
        assert_eq!(sms, Recipient::SmsSubscriber(SubscriberId(5)));
        assert_eq!(sms.key(), "subscriber:5");
        assert_eq!(sms.channel(), Channel::Sms);
        assert_eq!(Recipient::parse(&sms.key(), Channel::Sms), Some(sms));
        assert_eq!(channel_of("sms"), Some(Channel::Sms));
        assert_eq!(
            idempotency_key(OutboxEventId(17), sms),
            "cachet.17.subscriber-5.sms"
        );
        assert_eq!(
            Recipient::subscriber(SubscriberId(5), SubscriberChannel::Email),
            Recipient::Subscriber(SubscriberId(5))
        );
        // A chat endpoint keeps the endpoint's key (its delivery log) on the chat channel.
        for r in [
            Recipient::Webhook(WebhookId(9)),
            Recipient::Chat(WebhookId(9)),
        ] {
            assert_eq!(r.key(), "webhook:9");
            assert_eq!(Recipient::parse(&r.key(), r.channel()), Some(r));
            assert_eq!(channel_of(r.channel().as_str()), Some(r.channel()));
        }
        assert_eq!(
            idempotency_key(OutboxEventId(17), Recipient::Chat(WebhookId(9))),
            "cachet.17.webhook-9.chat"
        );
        assert_eq!(
            idempotency_key(OutboxEventId(17), Recipient::Webhook(WebhookId(9))),
            "cachet.17.webhook-9.webhook"
        );
    }

    #[test]
    fn errors_never_keep_the_address() {
        assert_eq!(
            scrub("550 <a@b.example> refused\r\n", Some("a@b.example")),
            "550 <<recipient>> refused  "
        );
    }
}
