//! The audit flood: every unauthenticated refusal used to write an audit row, so 6,000
//! forged requests wrote 6,000 rows, and nothing ever deleted audit rows or throttle keys.
//! Repeated refusals are now coalesced per key and window into one entry plus a count
//! (`facade/audit.rs`), and the scheduler's tick prunes the audit log and the throttle table
//! after their retention. Everything runs on a `ManualClock`; nothing sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::TimeDelta;
use common::*;

use cachet_core::auth::throttle::address_key;
use cachet_core::model::*;
use cachet_core::notify::Scheduler;
use cachet_core::store::{AuditFilter, AuditQuery, PageRequest};
use cachet_core::validate::HttpUrl;
use cachet_core::{Actor, Config, Retention, SessionLookup};

const FLOOD: u64 = 6_000;
const REFUSED: &str = "unknown or ended session";

async fn rows(h: &Harness, action: AuditAction) -> Vec<AuditEvent> {
    let q = AuditQuery::filtered(AuditFilter {
        action: Some(action),
        ..AuditFilter::default()
    })
    .paged(PageRequest::new(1, PageRequest::MAX_PER_PAGE));
    let page = h.store.audit_events(&q).await.unwrap();
    assert!(
        page.total < u64::from(PageRequest::MAX_PER_PAGE),
        "too many rows to read"
    );
    page.items
}

/// How many refusals one row stands for.
fn represented(e: &AuditEvent) -> u64 {
    coalesced_count(e.detail.as_str())
}

/// An unknown session cookie from `ip`: a real unauthenticated refusal path.
async fn forged_cookie(h: &Harness, n: u64, ip: IpAddr) {
    let lookup = h
        .cachet
        .resolve_session(&format!("forged-session-{n}"), Some(ip))
        .await
        .unwrap();
    assert!(matches!(lookup, SessionLookup::None));
}

fn v4(n: u64) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + u32::try_from(n).unwrap()))
}

/// A different /64 per `n` (and a different host within it, which must not matter).
fn v6(n: u64) -> IpAddr {
    let hi = u16::try_from(n >> 16).unwrap();
    let lo = u16::try_from(n & 0xffff).unwrap();
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, hi, lo, 0, 0, 0, lo ^ 0x55))
}

fn config(retention: Retention) -> Config {
    let mut config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    config.retention = retention;
    config
}

#[tokio::test]
async fn audit_flood_of_refusals_is_coalesced() {
    // One address, 6,000 forged cookies over ten minutes (ten per second), with the
    // scheduler ticking every 15 s as in production: two rows per minute.
    let h = Harness::new().await;
    let scheduler = Scheduler::new(h.cachet.clone());
    let attacker = ip(9).unwrap();
    forged_cookie(&h, 0, attacker).await;
    assert_eq!(
        rows(&h, AuditAction::SessionRefused).await.len(),
        1,
        "visible at once"
    );
    for n in 1..FLOOD {
        h.clock.advance(TimeDelta::milliseconds(100));
        forged_cookie(&h, n, attacker).await;
        if n % 150 == 0 {
            scheduler.tick().await.unwrap();
        }
    }
    h.clock.advance(TimeDelta::seconds(60));
    let report = scheduler.tick().await.unwrap();
    assert_eq!(report.retention.summaries, 1, "the last window's count");
    let all = rows(&h, AuditAction::SessionRefused).await;
    assert_eq!(all.len(), 20, "ten windows of a minute, two rows each");
    assert_eq!(
        all.iter().map(represented).sum::<u64>(),
        FLOOD,
        "the count is exact"
    );
    let counts: Vec<&AuditEvent> = all.iter().filter(|e| represented(e) > 1).collect();
    assert_eq!(counts.len(), 10);
    for e in &counts {
        assert_eq!(
            e.detail.as_str(),
            format!("{REFUSED} (repeated 599 more times in 60 s)")
        );
        assert_eq!(e.ip.as_deref(), Some("192.0.2.9"));
        assert_eq!(e.outcome, AuditOutcome::Denied);
        assert_eq!(e.actor, "anonymous");
    }

    // 6,000 forged cookies in 30 s from rotating addresses (IPv4 and IPv6 /64s): each of a
    // few addresses gets its own row, the rest share one window, flushed at shutdown.
    let h = Harness::new().await;
    for n in 0..FLOOD {
        let from = if n % 2 == 0 { v4(n) } else { v6(n) };
        forged_cookie(&h, n, from).await;
        h.clock.advance(TimeDelta::milliseconds(5));
    }
    let per_address = Retention::default().audit_coalescing_addresses;
    let written = rows(&h, AuditAction::SessionRefused).await;
    assert_eq!(
        written.len(),
        per_address + 1,
        "a handful of rows, not 6,000"
    );
    assert_eq!(h.cachet.flush_audit().await, 1);
    let all = rows(&h, AuditAction::SessionRefused).await;
    assert_eq!(all.len(), per_address + 2);
    assert_eq!(
        all.iter().map(represented).sum::<u64>(),
        FLOOD,
        "the count is exact"
    );
    let summary = all.iter().find(|e| represented(e) > 1).unwrap();
    assert_eq!(
        summary.detail.as_str(),
        format!("{REFUSED} (repeated 5,983 more times in 60 s from many addresses)")
    );
    assert_eq!(summary.ip, None, "the count spans addresses");
    assert!(
        !summary.detail.as_str().contains('\n'),
        "the count entry is one line"
    );
    assert_eq!(h.cachet.open_audit_windows(), 0, "flushed");
    assert_eq!(h.cachet.flush_audit().await, 0, "nothing twice");
}

#[tokio::test]
async fn coalescing_never_delays_successes() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    // A window of refusals is open from this address...
    for n in 0..100 {
        forged_cookie(&h, n, ip(1).unwrap()).await;
    }
    assert_eq!(rows(&h, AuditAction::SessionRefused).await.len(), 1);
    // ...and successes from the same address are written at once, each: sign-ins (audited
    // on their own, like the refusals) and writes (audited in the write's transaction).
    let created = rows(&h, AuditAction::Create).await.len();
    for n in 0..3 {
        let ticket = h.session("admin@example.com").await;
        let actor = h.actor(&ticket.secret).await;
        h.cachet
            .create_component(&actor, &component(&format!("Api {n}")))
            .await
            .unwrap();
    }
    h.cachet
        .create_component(&Actor::operator(), &component("Web"))
        .await
        .unwrap();
    assert_eq!(rows(&h, AuditAction::LoginSuccess).await.len(), 3);
    assert_eq!(rows(&h, AuditAction::Create).await.len(), created + 4);
    // A refusal of another kind opens its own window: visible at once too.
    let _ = h
        .cachet
        .login(
            "admin@example.com",
            "not the password at all",
            ip(1),
            None,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(rows(&h, AuditAction::LoginFailure).await.len(), 1);
    // Nothing was held back for the successes: flushing adds only the refusals' count.
    assert_eq!(h.cachet.flush_audit().await, 1);
    assert_eq!(rows(&h, AuditAction::LoginSuccess).await.len(), 3);
    assert_eq!(rows(&h, AuditAction::SessionRefused).await.len(), 2);
}

#[tokio::test]
async fn coalescer_memory_is_bounded_under_rotating_addresses() {
    // Defaults: one refusal from 50,000 rotating addresses keeps 17 windows open.
    let h = Harness::new().await;
    let per_address = Retention::default().audit_coalescing_addresses;
    let mut most = 0;
    for n in 0..50_000u64 {
        let from = if n % 2 == 0 { v4(n) } else { v6(n) };
        forged_cookie(&h, n, from).await;
        most = most.max(h.cachet.open_audit_windows());
        h.clock.advance(TimeDelta::milliseconds(3)); // 150 s: three windows
    }
    assert_eq!(most, per_address + 1);
    let written = rows(&h, AuditAction::SessionRefused).await.len();
    assert!(written <= 3 * (per_address + 2), "{written} rows");
    h.clock.advance(TimeDelta::seconds(60));
    Scheduler::new(h.cachet.clone()).tick().await.unwrap();
    assert_eq!(
        h.cachet.open_audit_windows(),
        0,
        "closed windows are forgotten"
    );

    // The cap on open keys binds whatever the per-refusal share: with room for 8 windows,
    // 5,000 addresses keep 8 windows with their address plus one without.
    let h = Harness::over(
        new_store().await,
        config({
            let mut r = Retention::default();
            r.audit_coalescing_keys = 8;
            r.audit_coalescing_addresses = 1_000_000;
            r
        }),
    );
    for n in 0..5_000u64 {
        forged_cookie(&h, n, v6(n)).await;
        assert!(h.cachet.open_audit_windows() <= 9);
    }
    assert_eq!(h.cachet.open_audit_windows(), 9);
    assert_eq!(rows(&h, AuditAction::SessionRefused).await.len(), 9);
    assert_eq!(h.cachet.flush_audit().await, 1);
    let all = rows(&h, AuditAction::SessionRefused).await;
    assert_eq!(all.iter().map(represented).sum::<u64>(), 5_000);
}

#[tokio::test]
async fn audit_and_throttles_are_pruned_after_their_retention() {
    let h = Harness::new().await;
    let scheduler = Scheduler::new(h.cachet.clone());
    let start = h.clock_now();
    h.user("ops@example.com", Role::Manager).await;
    for _ in 0..3 {
        let _ = h
            .cachet
            .login(
                "ops@example.com",
                "not the password at all",
                ip(3),
                None,
                None,
            )
            .await;
    }
    let address = address_key(ip(3).unwrap());
    assert!(h.store.throttle(&address).await.unwrap().is_some());

    // The first tick prunes (nothing is old yet); the next ones wait for the interval.
    let first = scheduler.tick().await.unwrap().retention;
    assert!(first.pruned);
    assert_eq!((first.audit_pruned, first.throttles_pruned), (0, 0));
    h.clock.advance(TimeDelta::seconds(15));
    assert!(
        !scheduler.tick().await.unwrap().retention.pruned,
        "at most every 10 minutes"
    );

    // Throttle keys: kept for 7 days after the last failure, then deleted.
    h.clock.advance(TimeDelta::days(6));
    let report = scheduler.tick().await.unwrap().retention;
    assert!(report.pruned);
    assert_eq!(report.throttles_pruned, 0);
    assert!(h.store.throttle(&address).await.unwrap().is_some());
    h.clock.advance(TimeDelta::days(2));
    let report = scheduler.tick().await.unwrap().retention;
    assert_eq!(
        report.throttles_pruned, 2,
        "the account's key and the address's"
    );
    assert!(h.store.throttle(&address).await.unwrap().is_none());
    assert_eq!(report.audit_pruned, 0, "the audit log keeps a year");

    // Audit entries: kept for 365 days, then deleted; younger ones stay.
    let before = h
        .store
        .audit_events(&AuditQuery::all())
        .await
        .unwrap()
        .total;
    assert!(before >= 3, "the user, the failures and their count");
    h.clock
        .set(start + TimeDelta::days(365) + TimeDelta::minutes(1));
    forged_cookie(&h, 1, ip(4).unwrap()).await;
    let report = scheduler.tick().await.unwrap().retention;
    assert_eq!(report.audit_pruned, before);
    let left = h
        .store
        .audit_events(&AuditQuery::all())
        .await
        .unwrap()
        .items;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].detail.as_str(), REFUSED);

    // `None` keeps the audit log forever.
    let h = Harness::over(
        new_store().await,
        config({
            let mut r = Retention::default();
            r.audit_log = None;
            r
        }),
    );
    forged_cookie(&h, 1, ip(4).unwrap()).await;
    h.clock.advance(TimeDelta::days(3650));
    let report = h.cachet.retention_tick().await.unwrap();
    assert!(report.pruned);
    assert_eq!(report.audit_pruned, 0);
    assert_eq!(rows(&h, AuditAction::SessionRefused).await.len(), 1);
}
