//! Keeping the audit log useful under attack: repeated refusals are coalesced, and the audit
//! log and the throttle table are pruned after their retention. The rules are documented on
//! [`Retention`], the public face of this module; the refusals come in through
//! [`Cachet::append_audit`], every lone audit entry's way to the store.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::TimeDelta;

use super::{Cachet, Result};
use crate::clock::Timestamp;
use crate::model::{ApiTokenId, AuditAction, AuditOutcome, EntityKind, NewAuditEvent, UserId};
use crate::validate::Text;

/// How long the audit log and the throttle table keep their rows, and how repeated refusals
/// are coalesced in the audit log.
///
/// # Coalescing
///
/// Every refusal and failure the facade audits on its own (unknown sessions, refused tokens,
/// CSRF refusals, wrong passwords...) can be caused by anyone, so without a bound a flood of
/// refusals writes a flood of rows. Entries with the outcome `denied` or `failure` are
/// therefore grouped by a key (the action, the entity and its id, the outcome, the detail,
/// the actor, and the client address keyed like the login throttle,
/// [`crate::auth::throttle::address_key`]: IPv4 by address, IPv6 by /64) within a window
/// ([`Retention::audit_coalescing_window`], 60 s by default):
///
/// * the first entry of a window is written at once, so an attack shows in the log
///   immediately;
/// * the repeats are only counted;
/// * when the window is over, one more entry is written with the count, e.g. `unknown or
///   ended session (repeated 5,999 more times in 60 s)`, dated at the last repeat. That
///   happens on the next audited refusal after the window closed, on the periodic sweep
///   ([`Cachet::retention_tick`], which the [`crate::notify::Scheduler`] runs on every tick),
///   or on [`Cachet::flush_audit`], which a host calls at shutdown.
///
/// Successes are never delayed or grouped: they are written at once, one entry each. The
/// count entry adds no text of its own beyond the count and the window length.
///
/// Rows and memory are bounded, whatever the number of client addresses:
///
/// * One refusal gets windows of its own for at most [`Retention::audit_coalescing_addresses`]
///   addresses at a time (16 by default). Further addresses are grouped under the key without
///   the address (the window's first entry still names its address; the count entry says
///   "from many addresses"), so an attacker rotating addresses writes at most that many plus
///   two rows per window, not one per address.
/// * At most [`Retention::audit_coalescing_keys`] windows (4,096 by default) are open with
///   their client address. Past that, keys without the address may take a quarter of the cap
///   more; past that, refusals are grouped by action, entity and outcome alone (the count
///   entry then names no actor, address or detail), a set bounded by the number of actions,
///   entities and outcomes.
///
/// # Retention
///
/// [`Cachet::retention_tick`] also deletes, at most once per [`Retention::prune_interval`],
/// audit entries older than [`Retention::audit_log`] (365 days by default) and throttle keys
/// whose last failure and lock are older than [`Retention::throttle_keys`] (7 days by
/// default, never less than the throttle policies' lockout, after which a key starts from
/// zero anyway), and idempotency keys older than [`Retention::idempotency_keys`] (24 hours).
///
/// Start from [`Retention::default()`](Default::default) and assign the fields to change; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retention {
    /// How long audit entries are kept (default 365 days); `None` keeps them forever. Values
    /// under one day are taken as one day, so a slip cannot empty the log.
    pub audit_log: Option<TimeDelta>,
    /// How long a throttle key is kept after its last failure and lock (default 7 days).
    /// Never less than the longest lockout of the throttle policies.
    pub throttle_keys: TimeDelta,
    /// The window within which repeated refusals with the same key are counted instead of
    /// written (default 60 s). Zero or less turns coalescing off.
    pub audit_coalescing_window: TimeDelta,
    /// The most coalescing windows kept open with their client address (default 4,096).
    pub audit_coalescing_keys: usize,
    /// The most client addresses one refusal (the key without the address) gets windows of
    /// its own for at a time; more addresses share one window (default 16).
    pub audit_coalescing_addresses: usize,
    /// How long an API write's `Idempotency-Key` replays its answer (default 24 hours).
    /// Never less than one hour, so a client's retry schedule is not cut short by a slip.
    pub idempotency_keys: TimeDelta,
    /// How often the audit log, the throttle table and the idempotency keys are pruned
    /// (default 10 minutes).
    pub prune_interval: TimeDelta,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            audit_log: Some(TimeDelta::days(365)),
            throttle_keys: TimeDelta::days(7),
            audit_coalescing_window: TimeDelta::seconds(60),
            audit_coalescing_keys: 4096,
            audit_coalescing_addresses: 16,
            idempotency_keys: TimeDelta::hours(24),
            prune_interval: TimeDelta::minutes(10),
        }
    }
}

/// The shortest audit retention applied, whatever the configuration says.
const MIN_AUDIT_RETENTION: TimeDelta = TimeDelta::days(1);

/// What one [`Cachet::retention_tick`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetentionReport {
    /// Count entries written for coalescing windows that had closed.
    pub summaries: usize,
    /// Whether pruning ran (at most once per [`Retention::prune_interval`]).
    pub pruned: bool,
    /// Audit entries deleted.
    pub audit_pruned: u64,
    /// Throttle keys deleted.
    pub throttles_pruned: u64,
    /// Idempotency keys deleted.
    pub idempotency_keys_pruned: u64,
    /// Shared rate-limit keys deleted (keys whose windows have both ended).
    pub rate_limits_pruned: u64,
}

/// How precisely a window's key names its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    /// Every field, with the client address.
    Exact,
    /// Every field but the client address (the refusal's share of addresses, or the cap of
    /// exact keys, was reached).
    AnyAddress,
    /// Action, entity and outcome alone (the reserve was reached as well).
    Coarse,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    scope: Scope,
    action: AuditAction,
    entity: EntityKind,
    outcome: AuditOutcome,
    entity_id: Option<i64>,
    actor: Option<(String, Option<UserId>, Option<ApiTokenId>)>,
    address: Option<String>,
    detail: Option<Text>,
}

impl Key {
    fn exact(event: &NewAuditEvent, ip: Option<IpAddr>) -> Self {
        Self {
            scope: Scope::Exact,
            action: event.action,
            entity: event.entity,
            outcome: event.outcome,
            entity_id: event.entity_id,
            actor: Some((
                event.actor.clone(),
                event.actor_user_id,
                event.actor_token_id,
            )),
            address: ip.map(crate::auth::throttle::address_key),
            detail: Some(event.detail.clone()),
        }
    }

    fn any_address(&self) -> Self {
        Self {
            scope: Scope::AnyAddress,
            address: None,
            ..self.clone()
        }
    }

    fn coarse(&self) -> Self {
        Self {
            scope: Scope::Coarse,
            entity_id: None,
            actor: None,
            address: None,
            detail: None,
            ..self.clone()
        }
    }
}

/// One open window.
#[derive(Debug)]
struct Window {
    /// The entry written when the window opened; the count entry is built from it.
    first: NewAuditEvent,
    opened: Timestamp,
    /// The latest repeat (the count entry's date).
    last: Timestamp,
    repeats: u64,
}

#[derive(Debug, Default)]
struct State {
    open: HashMap<Key, Window>,
    /// How many exact windows are open per key without the address.
    addresses: HashMap<Key, usize>,
    /// The earliest end of an open window: before it there is nothing to close, so the
    /// common path never scans the map.
    next_close: Option<Timestamp>,
    /// When pruning last started.
    last_prune: Option<Timestamp>,
}

/// The coalescer's state, kept in the facade (one per [`Cachet`] and its clones).
#[derive(Debug)]
pub(crate) struct Coalescer {
    window: TimeDelta,
    exact_keys: usize,
    /// Exact keys plus the reserve for keys without an address.
    all_keys: usize,
    addresses_per_key: usize,
    state: Mutex<State>,
}

impl Coalescer {
    pub(crate) fn new(retention: &Retention) -> Self {
        let exact_keys = retention.audit_coalescing_keys;
        Self {
            window: retention.audit_coalescing_window,
            exact_keys,
            all_keys: exact_keys.saturating_add(exact_keys / 4),
            addresses_per_key: retention.audit_coalescing_addresses,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a cache of counts; after a panic elsewhere it is still consistent
        // enough to keep counting.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes one event; returns the entries to write now, in order (count entries of
    /// windows that closed, then the event itself when it opens a window or is not
    /// coalesced). `ip` is the client address the event's `ip` field was written from.
    pub(crate) fn admit(&self, event: NewAuditEvent, ip: Option<IpAddr>) -> Vec<NewAuditEvent> {
        if event.outcome == AuditOutcome::Success || self.window <= TimeDelta::zero() {
            return vec![event];
        }
        let now = event.at;
        let mut out = Vec::new();
        let mut state = self.lock();
        self.close_ended(&mut state, now, &mut out);
        let key = self.key_for(&state, Key::exact(&event, ip));
        if let Some(w) = state.open.get_mut(&key) {
            // Open, since every ended window was closed above.
            w.repeats = w.repeats.saturating_add(1);
            w.last = w.last.max(now);
            return out;
        }
        if key.scope == Scope::Exact {
            *state.addresses.entry(key.any_address()).or_insert(0) += 1;
        }
        let end = now + self.window;
        state.next_close = Some(state.next_close.map_or(end, |t| t.min(end)));
        state.open.insert(
            key,
            Window {
                first: event.clone(),
                opened: now,
                last: now,
                repeats: 0,
            },
        );
        out.push(event);
        out
    }

    /// The key an event is counted under: its own while the caps allow, else without the
    /// address, else the coarse one.
    fn key_for(&self, state: &State, exact: Key) -> Key {
        if state.open.contains_key(&exact) {
            return exact;
        }
        let any = exact.any_address();
        let addresses = state.addresses.get(&any).copied().unwrap_or(0);
        if addresses < self.addresses_per_key && state.open.len() < self.exact_keys {
            return exact;
        }
        if state.open.contains_key(&any) || state.open.len() < self.all_keys {
            return any;
        }
        exact.coarse()
    }

    /// Closes the windows that have ended by `now`; returns their count entries.
    pub(crate) fn sweep(&self, now: Timestamp) -> Vec<NewAuditEvent> {
        let mut out = Vec::new();
        let mut state = self.lock();
        self.close_ended(&mut state, now, &mut out);
        out
    }

    /// Closes every window, ended or not; returns their count entries.
    pub(crate) fn drain(&self) -> Vec<NewAuditEvent> {
        let mut state = self.lock();
        state.next_close = None;
        state.addresses.clear();
        let closed: Vec<(Key, Window)> = state.open.drain().collect();
        drop(state);
        self.summaries(closed)
    }

    /// How many windows are open.
    pub(crate) fn open_windows(&self) -> usize {
        self.lock().open.len()
    }

    fn close_ended(&self, state: &mut State, now: Timestamp, out: &mut Vec<NewAuditEvent>) {
        if state.next_close.is_none_or(|t| t > now) {
            return;
        }
        let window = self.window;
        let ended: Vec<Key> = state
            .open
            .iter()
            .filter(|(_, w)| w.opened + window <= now)
            .map(|(k, _)| k.clone())
            .collect();
        let mut closed = Vec::with_capacity(ended.len());
        for key in ended {
            let Some(entry) = state.open.remove_entry(&key) else {
                continue;
            };
            if key.scope == Scope::Exact {
                let any = key.any_address();
                if let Some(n) = state.addresses.get_mut(&any) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        state.addresses.remove(&any);
                    }
                }
            }
            closed.push(entry);
        }
        state.next_close = state.open.values().map(|w| w.opened + window).min();
        out.extend(self.summaries(closed));
    }

    /// The count entries of closed windows, oldest last repeat first.
    fn summaries(&self, mut closed: Vec<(Key, Window)>) -> Vec<NewAuditEvent> {
        closed.sort_by_key(|(_, w)| w.last);
        closed
            .into_iter()
            .filter_map(|(key, w)| self.summary(&key, w))
            .collect()
    }

    /// The count entry of a closed window, if anything was counted.
    fn summary(&self, key: &Key, w: Window) -> Option<NewAuditEvent> {
        if w.repeats == 0 {
            return None;
        }
        let times = if w.repeats == 1 { "time" } else { "times" };
        let count = format!(
            "repeated {} more {times} in {} s",
            thousands(w.repeats),
            self.window.num_seconds()
        );
        let mut event = w.first;
        event.at = w.last;
        let note = match key.scope {
            Scope::Exact => format!("({count})"),
            Scope::AnyAddress => {
                event.ip = None;
                format!("({count} from many addresses)")
            }
            Scope::Coarse => {
                event.ip = None;
                event.entity_id = None;
                event.actor_user_id = None;
                event.actor_token_id = None;
                "various".clone_into(&mut event.actor);
                event.detail = Text::empty();
                format!("({count} from many actors and addresses, details not kept)")
            }
        };
        let detail = if event.detail.is_empty() {
            note.clone()
        } else {
            format!("{} {note}", event.detail)
        };
        // The detail was valid text and the note is plain ASCII; only the length can fail,
        // and then the count matters more than the original detail.
        event.detail = Text::parse(&detail)
            .or_else(|_| Text::parse(&note))
            .unwrap_or_default();
        Some(event)
    }

    /// Claims the pruning run due at `now`, if one is (so concurrent ticks prune once).
    fn claim_prune(&self, now: Timestamp, every: TimeDelta) -> bool {
        let mut state = self.lock();
        if state.last_prune.is_some_and(|t| now < t + every) {
            return false;
        }
        state.last_prune = Some(now);
        true
    }
}

/// `5999` as `5,999`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Cachet {
    /// Writes audit entries, logging (never returning) a failure: an audit write must not
    /// turn a refusal into a different answer for the client.
    pub(crate) async fn write_audit(&self, events: Vec<NewAuditEvent>) -> usize {
        let mut written = 0;
        for event in events {
            match self.inner.store.append_audit(&event).await {
                Ok(_) => written += 1,
                Err(e) => {
                    tracing::warn!(target: "cachet::audit", action = %crate::log::Escaped(event.action.as_str()), error = %crate::log::Escaped(&e), "writing an audit entry failed");
                }
            }
        }
        written
    }

    /// Passes a lone audit entry through the coalescer and writes what it lets through.
    pub(crate) async fn append_coalesced(&self, event: NewAuditEvent, ip: Option<IpAddr>) {
        let events = self.inner.audit.admit(event, ip);
        self.write_audit(events).await;
    }

    /// How many coalescing windows are open: a gauge for monitoring, bounded as
    /// [`Retention`] says.
    #[must_use]
    pub fn open_audit_windows(&self) -> usize {
        self.inner.audit.open_windows()
    }

    /// Writes the count entries of every coalescing window, ended or not, and forgets the
    /// windows. Call it when shutting down, after the server and background work stopped, so
    /// no count is lost; returns how many entries were written.
    pub async fn flush_audit(&self) -> usize {
        let events = self.inner.audit.drain();
        self.write_audit(events).await
    }

    /// The background step of the audit log and the throttle table: writes the count entries
    /// of coalescing windows that have ended and, when [`Retention::prune_interval`] has
    /// passed since the last time, deletes audit entries, throttle keys, idempotency keys and
    /// shared rate-limit keys past their retention. The [`crate::notify::Scheduler`] calls it on every tick; a host that runs
    /// no scheduler calls it every few seconds to a minute.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Store`] when pruning fails (it is tried again after the interval).
    pub async fn retention_tick(&self) -> Result<RetentionReport> {
        let now = self.now();
        let retention = self.config().retention;
        let mut report = RetentionReport {
            summaries: self.write_audit(self.inner.audit.sweep(now)).await,
            ..RetentionReport::default()
        };
        if !self.inner.audit.claim_prune(now, retention.prune_interval) {
            return Ok(report);
        }
        report.pruned = true;
        if let Some(keep) = retention.audit_log {
            let before = now - keep.max(MIN_AUDIT_RETENTION);
            report.audit_pruned = self.store().prune_audit(before).await?;
        }
        let keep = retention
            .throttle_keys
            .max(self.config().throttle.max_delay)
            .max(self.config().second_factor_throttle.max_delay);
        report.throttles_pruned = self.store().prune_throttles(now - keep).await?;
        report.idempotency_keys_pruned = self
            .store()
            .prune_idempotency_keys(now - self.idempotency_key_lifetime())
            .await?;
        // A shared rate-limit key whose current window started two periods ago has nothing
        // left to count: neither of its windows overlaps the last period. Pruned whether or
        // not sharing is on now, so rows of an earlier run with it on go too.
        let limits = self.config().web.rate_limits;
        let longest = [
            limits.api_per_token,
            limits.api_per_address,
            limits.sign_in,
            limits.subscribe,
            limits.uncached_render,
        ]
        .iter()
        .map(|l| l.per)
        .max()
        .unwrap_or_default();
        let keep = TimeDelta::from_std(longest.saturating_mul(2)).unwrap_or(TimeDelta::days(1));
        report.rate_limits_pruned = self.store().prune_rate_limits(now - keep).await?;
        if report.audit_pruned > 0
            || report.throttles_pruned > 0
            || report.idempotency_keys_pruned > 0
            || report.rate_limits_pruned > 0
        {
            tracing::info!(
                target: "cachet::audit",
                audit_entries = %crate::log::Escaped(report.audit_pruned),
                throttle_keys = %crate::log::Escaped(report.throttles_pruned),
                idempotency_keys = %crate::log::Escaped(report.idempotency_keys_pruned),
                rate_limit_keys = %crate::log::Escaped(report.rate_limits_pruned),
                "deleted rows past their retention"
            );
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn event(at: Timestamp, outcome: AuditOutcome, ip: IpAddr, detail: &str) -> NewAuditEvent {
        NewAuditEvent {
            at,
            actor_user_id: None,
            actor_token_id: None,
            actor: "anonymous".to_owned(),
            action: AuditAction::SessionRefused,
            entity: EntityKind::Session,
            entity_id: None,
            ip: Some(ip.to_string()),
            outcome,
            detail: Text::parse(detail).unwrap(),
        }
    }

    fn v4(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0xc000_0200 + n))
    }

    fn coalescer(window_s: i64, keys: usize) -> Coalescer {
        Coalescer::new(&Retention {
            audit_coalescing_window: TimeDelta::seconds(window_s),
            audit_coalescing_keys: keys,
            ..Retention::default()
        })
    }

    fn admit(c: &Coalescer, at: Timestamp, ip: IpAddr) -> Vec<NewAuditEvent> {
        c.admit(event(at, AuditOutcome::Denied, ip, "bad"), Some(ip))
    }

    #[test]
    fn the_first_refusal_is_written_at_once_and_repeats_are_counted() {
        let clock = ManualClock::at_epoch_2026();
        let c = coalescer(60, 16);
        let t0 = clock.now();
        assert_eq!(admit(&c, t0, v4(1)).len(), 1);
        for s in 1..60 {
            assert!(admit(&c, t0 + TimeDelta::seconds(s), v4(1)).is_empty());
        }
        // The window ends at t0 + 60 s: the next refusal writes the count, then itself.
        let out = admit(&c, t0 + TimeDelta::seconds(60), v4(1));
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].detail.as_str(),
            "bad (repeated 59 more times in 60 s)"
        );
        assert_eq!(
            out[0].at,
            t0 + TimeDelta::seconds(59),
            "dated at the last repeat"
        );
        assert_eq!(out[0].ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(out[1].detail.as_str(), "bad");
        assert_eq!(out[1].at, t0 + TimeDelta::seconds(60));
    }

    #[test]
    fn a_window_without_repeats_closes_without_an_entry() {
        let clock = ManualClock::at_epoch_2026();
        let c = coalescer(60, 16);
        let t0 = clock.now();
        admit(&c, t0, v4(1));
        assert!(c.sweep(t0 + TimeDelta::seconds(59)).is_empty());
        assert_eq!(c.open_windows(), 1);
        assert!(c.sweep(t0 + TimeDelta::seconds(60)).is_empty());
        assert_eq!(c.open_windows(), 0);
    }

    #[test]
    fn sweep_closes_only_ended_windows_and_drain_closes_all() {
        let clock = ManualClock::at_epoch_2026();
        let c = coalescer(60, 16);
        let t0 = clock.now();
        admit(&c, t0, v4(1));
        admit(&c, t0 + TimeDelta::seconds(1), v4(1));
        admit(&c, t0 + TimeDelta::seconds(30), v4(2));
        admit(&c, t0 + TimeDelta::seconds(31), v4(2));
        admit(&c, t0 + TimeDelta::seconds(32), v4(2));
        let swept = c.sweep(t0 + TimeDelta::seconds(60));
        assert_eq!(swept.len(), 1);
        assert_eq!(
            swept[0].detail.as_str(),
            "bad (repeated 1 more time in 60 s)"
        );
        assert_eq!(c.open_windows(), 1);
        let drained = c.drain();
        assert_eq!(drained.len(), 1);
        assert_eq!(
            drained[0].detail.as_str(),
            "bad (repeated 2 more times in 60 s)"
        );
        assert_eq!(drained[0].ip.as_deref(), Some("192.0.2.2"));
        assert_eq!(c.open_windows(), 0);
        assert!(c.drain().is_empty());
    }

    #[test]
    fn successes_and_different_keys_are_never_merged() {
        let clock = ManualClock::at_epoch_2026();
        let c = coalescer(60, 16);
        let t0 = clock.now();
        for _ in 0..3 {
            let ok = c.admit(event(t0, AuditOutcome::Success, v4(1), "bad"), Some(v4(1)));
            assert_eq!(ok.len(), 1, "a success is written at once, every time");
        }
        assert_eq!(c.open_windows(), 0);
        assert_eq!(admit(&c, t0, v4(1)).len(), 1);
        assert_eq!(
            c.admit(event(t0, AuditOutcome::Failure, v4(1), "bad"), Some(v4(1)))
                .len(),
            1,
            "another outcome"
        );
        assert_eq!(
            c.admit(event(t0, AuditOutcome::Denied, v4(1), "other"), Some(v4(1)))
                .len(),
            1,
            "another detail"
        );
        assert_eq!(admit(&c, t0, v4(2)).len(), 1, "another address");
        assert_eq!(c.open_windows(), 4);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let clock = ManualClock::at_epoch_2026();
        let c = coalescer(60, 16);
        let t0 = clock.now();
        let a = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, 1));
        let b = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0xffff, 3, 4, 5));
        let other = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        assert_eq!(admit(&c, t0, a).len(), 1);
        assert!(admit(&c, t0, b).is_empty(), "same /64");
        assert_eq!(admit(&c, t0, other).len(), 1, "another /64");
    }

    #[test]
    fn a_full_table_groups_new_addresses_without_the_address_and_stays_bounded() {
        let clock = ManualClock::at_epoch_2026();
        let c = coalescer(60, 8);
        let t0 = clock.now();
        let mut written = 0;
        for n in 0..1000 {
            written += admit(&c, t0, v4(n)).len();
        }
        // 8 exact keys, then one key without the address.
        assert_eq!(written, 9);
        assert_eq!(c.open_windows(), 9);
        let out = c.drain();
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].detail.as_str(),
            "bad (repeated 991 more times in 60 s from many addresses)"
        );
        assert_eq!(out[0].ip, None);
    }

    #[test]
    fn one_refusal_gets_its_own_windows_for_a_few_addresses_only() {
        let clock = ManualClock::at_epoch_2026();
        let c = Coalescer::new(&Retention {
            audit_coalescing_addresses: 3,
            ..Retention::default()
        });
        let t0 = clock.now();
        let written: usize = (0..1000).map(|n| admit(&c, t0, v4(n)).len()).sum();
        assert_eq!(written, 4, "three addresses, then one window for the rest");
        // Another refusal still gets addresses of its own.
        let other = event(t0, AuditOutcome::Denied, v4(1), "other");
        assert_eq!(c.admit(other, Some(v4(1))).len(), 1);
        let out = c.sweep(t0 + TimeDelta::seconds(60));
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].detail.as_str(),
            "bad (repeated 996 more times in 60 s from many addresses)"
        );
        // Closed windows give their addresses back.
        let t1 = t0 + TimeDelta::seconds(60);
        let again: usize = (0..3).map(|n| admit(&c, t1, v4(100 + n)).len()).sum();
        assert_eq!(again, 3);
    }

    #[test]
    fn past_the_reserve_keys_are_coarse_and_still_bounded() {
        let clock = ManualClock::at_epoch_2026();
        let c = coalescer(60, 4);
        let t0 = clock.now();
        for n in 0..500u32 {
            // A different detail per event: no key repeats without the address either.
            let e = event(t0, AuditOutcome::Denied, v4(n), &format!("d{n}"));
            c.admit(e, Some(v4(n)));
        }
        // 4 exact, 1 reserve (a quarter of 4), 1 coarse.
        assert_eq!(c.open_windows(), 6);
        let out = c.drain();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].actor, "various");
        assert_eq!(
            out[0].detail.as_str(),
            "(repeated 494 more times in 60 s from many actors and addresses, details not kept)"
        );
    }

    #[test]
    fn a_zero_window_turns_coalescing_off() {
        let clock = ManualClock::at_epoch_2026();
        let c = coalescer(0, 16);
        let t0 = clock.now();
        for _ in 0..5 {
            assert_eq!(admit(&c, t0, v4(1)).len(), 1);
        }
        assert_eq!(c.open_windows(), 0);
    }

    #[test]
    fn a_clock_moving_back_keeps_counting() {
        let clock = ManualClock::at_epoch_2026();
        let c = coalescer(60, 16);
        let t0 = clock.now();
        admit(&c, t0, v4(1));
        assert!(admit(&c, t0 - TimeDelta::seconds(5), v4(1)).is_empty());
        let out = c.sweep(t0 + TimeDelta::seconds(60));
        assert_eq!(
            out[0].at, t0,
            "the count entry is never dated before the first"
        );
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(5_999), "5,999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
