//! The dispatcher's exactly-once rules, each against the failure it is for: a channel slower
//! than the lease (the heartbeat keeps the work), a killed instance (its work is taken over
//! after one lease and not before), a restart under the same name (its work goes on at once),
//! a stop in the middle of a batch (unstarted deliveries are handed back, none is sent
//! twice), a database that fails right after the channel accepted a message (the record
//! is retried until stored, so the message is not sent again), and a database that fails
//! while a delivery is rendered (waited out: no failed attempt, no backoff, and nothing sent
//! once another instance took the delivery over meanwhile). Attempts that finish together
//! are recorded together, in one store call.
//!
//! Leases are read on the facade's manual clock; the heartbeat and the notifiers run on real
//! time, so each step waits a few heartbeats of real time after moving the clock.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeDelta;
use common::*;
use notify_support::*;
use tokio::sync::{Notify, Semaphore};

use cachet_core::model::{AttemptResult, DeliveryStatus, NewDeliveryAttempt};
use cachet_core::notify::{
    Channel, DeliveryError, Dispatcher, DispatcherConfig, Message, Notifier,
};
use cachet_core::store::*;
use cachet_core::testing::faults::FaultyStore;
use cachet_core::{Actor, Config};

/// The lease of these tests: the heartbeat renews every 100 ms of real time.
const LEASE: Duration = Duration::from_millis(300);
/// Real time that holds several heartbeats.
const HEARTBEATS: Duration = Duration::from_millis(350);

/// A mail channel that holds each message until the test lets it go, and records what it
/// accepted; `on_accept` runs as a message is accepted (before the dispatcher records it).
struct Gate {
    entered: Notify,
    release: Semaphore,
    accepted: std::sync::Mutex<Vec<String>>,
    calls: AtomicU32,
    fail_store_on_accept: Option<Arc<FaultyStore>>,
}

impl Gate {
    fn new() -> Arc<Self> {
        Self::build(None)
    }

    fn build(fail_store_on_accept: Option<Arc<FaultyStore>>) -> Arc<Self> {
        Arc::new(Self {
            entered: Notify::new(),
            release: Semaphore::new(0),
            accepted: std::sync::Mutex::new(Vec::new()),
            calls: AtomicU32::new(0),
            fail_store_on_accept,
        })
    }

    /// Lets `n` held or future messages through.
    fn open(&self, n: usize) {
        self.release.add_permits(n);
    }

    fn accepted(&self) -> Vec<String> {
        self.accepted.lock().unwrap().clone()
    }
}

#[async_trait]
impl Notifier for Gate {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.entered.notify_one();
        self.release.acquire().await.unwrap().forget();
        self.accepted
            .lock()
            .unwrap()
            .push(message.idempotency_key().to_owned());
        if let Some(store) = &self.fail_store_on_accept {
            // The database goes down between the channel's acceptance and the record.
            store.fail();
        }
        Ok(())
    }
}

fn short_lease(instance: &str) -> DispatcherConfig {
    DispatcherConfig {
        lease: LEASE,
        // No pacing: the tests hold messages themselves.
        send_rates: std::collections::HashMap::new(),
        ..config(instance)
    }
}

fn dispatcher_with(
    cachet: &cachet_core::Cachet,
    n: Arc<dyn Notifier>,
    cfg: DispatcherConfig,
) -> Dispatcher {
    Dispatcher::new(cachet.clone(), vec![n]).with_config(cfg)
}

/// `n` verified global subscribers and one notifying incident: `n` mail deliveries, fanned
/// out by a tick of a dispatcher without a mail channel.
async fn deliveries_for(h: &Harness, n: usize) {
    for i in 0..n {
        verified(&h.cachet, &format!("s{i}@example.com"), &[]).await;
    }
    h.cachet
        .create_incident(&Actor::operator(), &new_incident("Down", &[], true, true))
        .await
        .unwrap();
    let fan_out = Dispatcher::new(h.cachet.clone(), Vec::new()).with_config(short_lease("fan-out"));
    let report = fan_out.tick().await.unwrap();
    assert_eq!(report.deliveries_created, n);
    // The fan-out tick also claimed the deliveries and, having no mail channel, left them
    // waiting under its lease: let that lease run out.
    h.clock.advance(TimeDelta::milliseconds(400));
}

/// A harness over a store that fails on command (over `inner`), with `n` mail deliveries
/// waiting as [`deliveries_for`] leaves them.
async fn faulty_with_deliveries(
    inner: Arc<dyn cachet_core::store::Store>,
    n: usize,
) -> (Harness, Arc<FaultyStore>) {
    let faulty = Arc::new(FaultyStore::new(inner));
    let h = Harness::over(
        faulty.clone(),
        Config::new(cachet_core::validate::HttpUrl::parse(ORIGIN).unwrap()),
    );
    deliveries_for(&h, n).await;
    (h, faulty)
}

async fn delivered_count(h: &Harness) -> usize {
    h.store
        .deliveries(&DeliveryQuery::all())
        .await
        .unwrap()
        .items
        .iter()
        .filter(|d| d.status == DeliveryStatus::Delivered)
        .count()
}

async fn entered(gate: &Gate) {
    tokio::time::timeout(Duration::from_secs(10), gate.entered.notified())
        .await
        .expect("the dispatcher handed a message to the channel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_slower_than_the_lease_keeps_its_delivery() {
    let h = Harness::new().await;
    deliveries_for(&h, 1).await;
    let slow = Gate::new();
    let other = Recorder::email();
    let a = Arc::new(dispatcher_with(&h.cachet, slow.clone(), short_lease("a")));
    let b = dispatcher_with(&h.cachet, other.clone(), short_lease("b"));
    let working = tokio::spawn({
        let a = a.clone();
        async move { a.tick().await }
    });
    entered(&slow).await;
    // Ten leases pass while the channel holds the message; the other instance looks every
    // two thirds of a lease and must never find it.
    for _ in 0..15 {
        h.clock.advance(TimeDelta::milliseconds(200));
        tokio::time::sleep(HEARTBEATS).await;
        let report = b.tick().await.unwrap();
        assert_eq!(report.delivered, 0, "a live instance's work was taken over");
    }
    slow.open(1);
    let report = working.await.unwrap().unwrap();
    assert_eq!(report.delivered, 1);
    h.clock.advance(TimeDelta::seconds(5));
    b.tick().await.unwrap();
    assert!(other.sent().is_empty(), "sent twice");
    assert_eq!(slow.accepted().len(), 1);
    assert_eq!(delivered_count(&h).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instance_is_taken_over_after_one_lease_and_not_before() {
    let h = Harness::new().await;
    deliveries_for(&h, 1).await;
    let dying = Gate::new();
    let other = Recorder::email();
    let a = Arc::new(dispatcher_with(&h.cachet, dying.clone(), short_lease("a")));
    let b = dispatcher_with(&h.cachet, other.clone(), short_lease("b"));
    let working = tokio::spawn({
        let a = a.clone();
        async move { a.tick().await }
    });
    entered(&dying).await;
    // The process dies before the channel accepted: no heartbeat, no record.
    working.abort();
    let _ = working.await;
    tokio::time::sleep(HEARTBEATS).await;
    h.clock.advance(TimeDelta::milliseconds(200));
    assert_eq!(
        b.tick().await.unwrap().delivered,
        0,
        "taken before the lease ran out"
    );
    h.clock.advance(TimeDelta::milliseconds(150));
    assert_eq!(
        b.tick().await.unwrap().delivered,
        1,
        "not taken over after one lease"
    );
    assert_eq!(other.sent().len(), 1);
    assert!(dying.accepted().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_under_the_same_name_resumes_its_work_at_once() {
    let h = Harness::new().await;
    deliveries_for(&h, 3).await;
    let dying = Gate::new();
    let first = Arc::new(dispatcher_with(
        &h.cachet,
        dying.clone(),
        short_lease("host-1:8000"),
    ));
    let working = tokio::spawn({
        let first = first.clone();
        async move { first.tick().await }
    });
    entered(&dying).await;
    working.abort();
    let _ = working.await;
    // Another name does not touch the leases before they run out.
    let stranger = Recorder::email();
    let b = dispatcher_with(&h.cachet, stranger.clone(), short_lease("host-2:8000"));
    assert_eq!(b.tick().await.unwrap().delivered, 0);
    // The same name, started again on the same clock instant, delivers all three at once.
    let again = Recorder::email();
    let restarted = dispatcher_with(&h.cachet, again.clone(), short_lease("host-1:8000"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(restarted.run(async {
        let _ = stopped.await;
    }));
    for _ in 0..100 {
        if again.sent().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    run.await.unwrap();
    assert_eq!(
        again.sent().len(),
        3,
        "the restarted instance waited for its own leases"
    );
    assert!(stranger.sent().is_empty());
    assert_eq!(delivered_count(&h).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_instance_finishes_what_it_started_and_hands_back_the_rest() {
    let h = Harness::new().await;
    deliveries_for(&h, 10).await;
    let gate = Gate::new();
    let a = dispatcher_with(
        &h.cachet,
        gate.clone(),
        DispatcherConfig {
            concurrency: 2,
            ..short_lease("a")
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(a.run(async {
        let _ = stopped.await;
    }));
    entered(&gate).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = gate.calls.load(Ordering::SeqCst) as usize;
    assert!((1..=2).contains(&started), "{started} hand-overs in flight");
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    gate.open(started);
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the dispatcher stopped")
        .unwrap();
    assert_eq!(
        gate.accepted().len(),
        started,
        "a hand-over began after the stop"
    );
    assert_eq!(
        delivered_count(&h).await,
        started,
        "an accepted message went unrecorded"
    );
    // The rest is free at once, on the same clock instant, for another instance.
    let other = Recorder::email();
    let b = dispatcher_with(&h.cachet, other.clone(), short_lease("b"));
    drain(&b).await;
    assert_eq!(other.sent().len(), 10 - started);
    let mut keys: Vec<String> = gate
        .accepted()
        .into_iter()
        .chain(other.sent().iter().map(|m| m.idempotency_key().to_owned()))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 10, "every delivery exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_that_fails_after_the_send_is_retried_until_stored() {
    let (h, faulty) = faulty_with_deliveries(new_store().await, 1).await;
    let gate = Gate::build(Some(faulty.clone()));
    let a = Arc::new(dispatcher_with(&h.cachet, gate.clone(), short_lease("a")));
    gate.open(1);
    let working = tokio::spawn({
        let a = a.clone();
        async move { a.tick().await }
    });
    // The store is down from the channel's acceptance on; it comes back after a while.
    let healed = Arc::new(AtomicBool::new(false));
    tokio::spawn({
        let faulty = faulty.clone();
        let healed = healed.clone();
        async move {
            while faulty.failed_calls() < 3 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            healed.store(true, Ordering::SeqCst);
            faulty.heal();
        }
    });
    let report = tokio::time::timeout(Duration::from_secs(10), working)
        .await
        .expect("the record landed after the store came back")
        .unwrap()
        .unwrap();
    assert!(healed.load(Ordering::SeqCst));
    assert!(faulty.failed_calls() >= 3, "the store never failed");
    assert_eq!(report.delivered, 1);
    assert_eq!(delivered_count(&h).await, 1);
    // Long after the lease, another instance finds nothing to send again.
    h.clock.advance(TimeDelta::seconds(60));
    let other = Recorder::email();
    let b = dispatcher_with(&h.cachet, other.clone(), short_lease("b"));
    drain(&b).await;
    assert!(
        other.sent().is_empty(),
        "the accepted message was sent again"
    );
    assert_eq!(gate.accepted().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_before_the_send_costs_no_attempt_and_no_backoff() {
    let (h, faulty) = faulty_with_deliveries(new_store().await, 1).await;
    let mail = Recorder::email();
    let a = dispatcher_with(&h.cachet, mail.clone(), short_lease("a"));
    // The tick's two claims (events, deliveries) get through; the database goes down as the
    // claimed delivery is rendered, before anything is sent.
    faulty.hang_after(2);
    let working = tokio::spawn(async move { a.tick().await });
    tokio::time::timeout(Duration::from_secs(10), async {
        while faulty.held_calls() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the render reached the store");
    faulty.fail();
    tokio::time::timeout(Duration::from_secs(10), async {
        while faulty.failed_calls() < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the store failed the render");
    faulty.heal();
    // Back within a lease: the same tick sends the mail, with no failed attempt recorded and
    // no retry waiting its backoff (30 s and more by default) for a database outage.
    let report = tokio::time::timeout(Duration::from_secs(10), working)
        .await
        .expect("the tick ended after the store came back")
        .unwrap()
        .unwrap();
    assert_eq!((report.delivered, report.retried), (1, 0), "{report:?}");
    assert_eq!(mail.sent().len(), 1);
    let d = h
        .store
        .deliveries(&DeliveryQuery::all())
        .await
        .unwrap()
        .items;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].status, DeliveryStatus::Delivered);
    let attempts = h.store.delivery_attempts(d[0].id).await.unwrap();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_that_waited_out_the_lease_never_sends_what_another_instance_took_over() {
    let inner = new_store().await;
    let (h, faulty) = faulty_with_deliveries(inner.clone(), 1).await;
    let mail = Recorder::email();
    let a = dispatcher_with(&h.cachet, mail.clone(), short_lease("a"));
    faulty.hang_after(2);
    let working = tokio::spawn(async move { a.tick().await });
    tokio::time::timeout(Duration::from_secs(10), async {
        while faulty.held_calls() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the render reached the store");
    faulty.fail();
    tokio::time::timeout(Duration::from_secs(10), async {
        while faulty.failed_calls() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the store failed the render");
    // While `a` cannot reach the store, its lease runs out and another instance, which can,
    // takes the delivery over and sends it.
    h.clock.advance(TimeDelta::milliseconds(400));
    let now = h.cachet.now();
    let taken = inner
        .claim_deliveries("b", None, now, now + TimeDelta::milliseconds(300), 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1, "the expired lease was not free");
    inner
        .record_delivery_attempt(
            taken[0].id,
            "b",
            &NewDeliveryAttempt::new(now, AttemptResult::Delivered),
        )
        .await
        .unwrap();
    faulty.heal();
    let report = tokio::time::timeout(Duration::from_secs(10), working)
        .await
        .expect("the tick ended after the store came back")
        .unwrap()
        .unwrap();
    assert!(
        mail.sent().is_empty(),
        "sent what another instance had sent"
    );
    assert_eq!((report.delivered, report.lost), (0, 1), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_that_finish_together_are_recorded_in_one_store_call() {
    let (h, faulty) = faulty_with_deliveries(new_store().await, 16).await;
    let gate = Gate::new();
    let a = Arc::new(dispatcher_with(
        &h.cachet,
        gate.clone(),
        DispatcherConfig {
            concurrency: 8,
            ..short_lease("a")
        },
    ));
    let reads_before = faulty.calls_of("subscriber");
    let working = tokio::spawn({
        let a = a.clone();
        async move { a.tick().await }
    });
    // Eight messages in the channel at once; then every store call takes a while, so the
    // attempts that finish while one group is being recorded wait for the next.
    tokio::time::timeout(Duration::from_secs(10), async {
        while gate.calls.load(Ordering::SeqCst) < 8 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("eight messages reached the channel");
    faulty.slow(Duration::from_millis(50));
    gate.open(16);
    let report = tokio::time::timeout(Duration::from_secs(20), working)
        .await
        .expect("the tick ended")
        .unwrap()
        .unwrap();
    faulty.heal();
    assert_eq!(report.delivered, 16, "{report:?}");
    assert_eq!(gate.accepted().len(), 16);
    assert_eq!(delivered_count(&h).await, 16);
    let groups = faulty.calls_of("record_delivery_attempts");
    assert!(
        (1..16).contains(&groups),
        "16 attempts took {groups} store calls: not grouped"
    );
    assert_eq!(faulty.calls_of("record_delivery_attempt"), 0);
    // The batch's subscribers were read in one call, not one per message.
    assert_eq!(faulty.calls_of("subscribers_by_id"), 1);
    assert_eq!(faulty.calls_of("subscriber"), reads_before);
    for d in h
        .store
        .deliveries(&DeliveryQuery::all())
        .await
        .unwrap()
        .items
    {
        assert_eq!(
            h.store.delivery_attempts(d.id).await.unwrap().len(),
            1,
            "one attempt per delivery"
        );
    }
}
