//! The host's own health: only an embedded status page can watch the service it lives in.
//!
//! The adapters' layer (`cachet_axum::HostHealthLayer`) and middleware
//! (`cachet_actix::HostHealthMiddleware`) count the host's own answers per route group, and
//! the host reports its own signals ([`HostHealth::report`]: a pool exhausted, a circuit
//! open). [`Rule`]s map each route group or signal to a component, with thresholds (a share
//! of 5xx answers over a sliding window with a least number of answers, a latency percentile
//! bound) and hold times: a state must last its hold time before the component changes, both
//! ways, so a flapping check does not spam subscribers. A rule may open an incident (visible,
//! notifying subscribers) when its component leaves operational and resolve it on recovery,
//! one incident per episode.
//!
//! Recording is a short lock of the group's own counters: no store I/O and no allocation on
//! the host's request path. The evaluation and every write happen in [`HostHealth::tick`],
//! which the library's background work runs every few seconds
//! ([`Background::with_host_health`]); every write goes through the facade as the system
//! actor `system:host-health` (which may write content and nothing else), so it is audited
//! and notifies like any other. Time comes from the facade's [`Clock`](crate::clock::Clock):
//! a test moves a manual clock instead of sleeping.
//!
//! ```
//! # use std::sync::Arc;
//! # use std::time::Duration;
//! # use cachet_core::{Actor, Cachet, Config, secrets::{Keyring, SecretKey}, store::memory::MemoryStore, validate::{HttpUrl, Name}};
//! # use cachet_core::model::{ComponentStatus, NewComponent, Role};
//! use cachet_core::host_health::{HostHealth, Rule, Signal};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let cachet = Cachet::new(Arc::new(MemoryStore::new()), Keyring::new(1, SecretKey::from_bytes([7; 32])), Config::new(HttpUrl::parse("https://example.com/status")?))?;
//! # let actor = Actor::host("setup", Role::Manager, None);
//! # let checkout = cachet.create_component(&actor, &NewComponent::named(Name::parse("Checkout")?, ComponentStatus::Operational)).await?.id;
//! let health = HostHealth::new(&cachet);
//! health
//!     .add_rule(Rule::routes("checkout", checkout).incident("Checkout fails", "We are on it."))
//!     .await?;
//! health.add_rule(Rule::signal("payments-pool", checkout)).await?;
//! let background = cachet.start_background(Vec::new()).with_host_health(&health);
//! // The adapters record each answer of the routes they wrap; by hand:
//! health.record("checkout", 200, Duration::from_millis(12));
//! health.report("payments-pool", Signal::Healthy)?;
//! background.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! State lives in this process: after a restart every rule waits for its first verdict, and an
//! incident this module opened for a component (marked in its meta) is adopted, not opened
//! again, and resolved once the component is healthy. With several instances, each watches its
//! own answers and signals; they share the open incident the same way.

pub(crate) mod episode;
mod rule;
pub(crate) mod window;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::watch;

pub use rule::{HostHealthError, Rule, Signal};
pub use window::is_error;

use self::episode::Applied;
use self::rule::{Checked, IncidentText, Source};
use self::window::{Hysteresis, Level, Window};
use crate::clock::Timestamp;
use crate::model::{ComponentId, ComponentStatus};
use crate::notify::Background;
use crate::validate::Markdown;
use crate::{Actor, Cachet, Error};

/// The meta key that marks an incident this module opened, with the component's id.
pub const INCIDENT_MARKER: &str = "cachet_host_health";

/// The audit log's name for host health's writes (`system:host-health`).
const ACTOR: &str = "host-health";

/// How often the background work evaluates the rules, unless [`HostHealth::with_interval`]
/// says otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// The host's health: rules, the counters the adapters feed and the evaluation (see the
/// [module docs](self)). Cheap to clone; every clone is the same watcher.
#[derive(Debug, Clone)]
pub struct HostHealth {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cachet: Cachet,
    interval: Duration,
    /// Route groups by name, made by the first layer or rule naming them (names come from the
    /// host's code, never from a request, so the map stays small).
    groups: RwLock<HashMap<String, Arc<Window>>>,
    /// Signals by name, made by their rule; 0 not reported yet, else [`signal_code`].
    signals: RwLock<HashMap<String, Arc<AtomicU8>>>,
    /// Rules and what has been written; one tick at a time.
    eval: tokio::sync::Mutex<Eval>,
}

#[derive(Debug, Default)]
struct Eval {
    rules: Vec<Watch>,
    components: BTreeMap<ComponentId, Applied>,
    /// Route groups with answers but no rule, already warned about.
    warned: BTreeSet<String>,
}

#[derive(Debug)]
struct Watch {
    rule: Checked,
    probe: Probe,
    hysteresis: Hysteresis,
}

#[derive(Debug)]
enum Probe {
    Routes {
        window: Arc<Window>,
        min_requests: u64,
        max_error_ratio: f64,
        /// The share of answers over the latency bound that breaches it (1 - percentile).
        max_slow_ratio: Option<f64>,
        latency_status: ComponentStatus,
    },
    Signal(Arc<AtomicU8>),
}

/// What one [`HostHealth::tick`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostHealthReport {
    /// Components whose shown status this tick changed (or confirmed after a start).
    pub changed: usize,
    /// Incidents opened.
    pub opened: usize,
    /// Incidents resolved.
    pub resolved: usize,
    /// Components whose write failed (retried next tick).
    pub failed: usize,
}

/// A route group's counters, for an adapter's layer: [`RouteGroup::record`] per answer.
#[derive(Debug, Clone)]
pub struct RouteGroup {
    cachet: Cachet,
    window: Arc<Window>,
}

impl RouteGroup {
    /// Counts one answer of the group: its status code and how long it took. Cheap: a short
    /// lock of this group's counters, no I/O.
    pub fn record(&self, status: u16, latency: Duration) {
        self.window.record(self.cachet.now(), status, latency);
    }
}

fn signal_code(s: Signal) -> u8 {
    match s {
        Signal::Healthy => 1,
        Signal::Degraded => 2,
        Signal::Down => 3,
    }
}

impl HostHealth {
    /// A watcher over the facade's components, without rules, evaluated every
    /// [`DEFAULT_INTERVAL`] by the background work.
    #[must_use]
    pub fn new(cachet: &Cachet) -> Self {
        Self::with_interval(cachet, DEFAULT_INTERVAL)
    }

    /// As [`HostHealth::new`], evaluated every `interval` (at least 10 ms).
    #[must_use]
    pub fn with_interval(cachet: &Cachet, interval: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                cachet: cachet.clone(),
                interval: interval.max(Duration::from_millis(10)),
                groups: RwLock::default(),
                signals: RwLock::default(),
                eval: tokio::sync::Mutex::default(),
            }),
        }
    }

    /// The counters of route group `group`, made on first use: what an adapter's layer keeps
    /// to record each answer without looking the group up again.
    #[must_use]
    pub fn route_group(&self, group: &str) -> RouteGroup {
        RouteGroup {
            cachet: self.inner.cachet.clone(),
            window: self.window(group),
        }
    }

    fn window(&self, group: &str) -> Arc<Window> {
        if let Some(w) = read(&self.inner.groups).get(group) {
            return Arc::clone(w);
        }
        let mut groups = write(&self.inner.groups);
        Arc::clone(
            groups
                .entry(group.to_owned())
                .or_insert_with(|| Arc::new(Window::new(chrono::TimeDelta::seconds(60), None))),
        )
    }

    /// Counts one answer of route group `group` (what the adapters call per answer): its
    /// status code and how long it took. Cheap, no I/O; a group no rule watches is counted
    /// and ignored (the evaluation warns about it once).
    pub fn record(&self, group: &str, status: u16, latency: Duration) {
        self.window(group)
            .record(self.inner.cachet.now(), status, latency);
    }

    /// Reports the state of signal `name`. The latest report stands until the next one.
    ///
    /// # Errors
    ///
    /// [`HostHealthError::UnknownSignal`] when no rule watches the signal.
    pub fn report(&self, name: &str, signal: Signal) -> Result<(), HostHealthError> {
        let signals = read(&self.inner.signals);
        let slot = signals
            .get(name)
            .ok_or_else(|| HostHealthError::UnknownSignal {
                name: name.to_owned(),
            })?;
        slot.store(signal_code(signal), Ordering::Relaxed);
        Ok(())
    }

    /// Adds a rule. Its component must exist (hidden and disabled components count), and no
    /// other rule may watch the same route group or signal; a route group's counters start
    /// again with the rule's window.
    ///
    /// # Errors
    ///
    /// [`HostHealthError::UnknownComponent`] naming the component,
    /// [`HostHealthError::DuplicateRule`], [`HostHealthError::InvalidRule`] and
    /// [`HostHealthError::InvalidIncident`] naming the setting, [`HostHealthError::Facade`]
    /// when the store fails.
    pub async fn add_rule(&self, rule: Rule) -> Result<(), HostHealthError> {
        let checked = rule.check()?;
        match self
            .inner
            .cachet
            .component(&Actor::system(ACTOR), rule.component)
            .await
        {
            Ok(_) => {}
            Err(Error::NotFound { .. }) => {
                return Err(HostHealthError::UnknownComponent {
                    rule: checked.name,
                    component: rule.component,
                });
            }
            Err(e) => return Err(HostHealthError::Facade(e)),
        }
        let mut eval = self.inner.eval.lock().await;
        if eval.rules.iter().any(|w| w.rule.name == checked.name) {
            return Err(HostHealthError::DuplicateRule { rule: checked.name });
        }
        let probe = match &rule.source {
            Source::Routes(r) => {
                let window = self.window(&r.group);
                let delta =
                    |d: Duration| chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX);
                window.configure(delta(r.window), r.latency.map(|(_, bound)| delta(bound)));
                Probe::Routes {
                    window,
                    min_requests: r.min_requests,
                    max_error_ratio: r.max_error_ratio,
                    max_slow_ratio: r.latency.map(|(p, _)| 1.0 - p),
                    latency_status: r.latency_status,
                }
            }
            Source::Signal(name) => {
                let slot = Arc::clone(
                    write(&self.inner.signals)
                        .entry(name.clone())
                        .or_insert_with(|| Arc::new(AtomicU8::new(0))),
                );
                Probe::Signal(slot)
            }
        };
        eval.components.entry(checked.component).or_default();
        eval.rules.push(Watch {
            rule: checked,
            probe,
            hysteresis: Hysteresis::default(),
        });
        Ok(())
    }

    /// Evaluates every rule once and writes what changed: what the background work runs every
    /// interval (tests call it after moving a manual clock). A failed write is logged, counted
    /// and tried again next tick.
    pub async fn tick(&self) -> HostHealthReport {
        let cachet = &self.inner.cachet;
        let now = cachet.now();
        let mut report = HostHealthReport::default();
        let mut eval = self.inner.eval.lock().await;
        let Eval {
            rules,
            components,
            warned,
        } = &mut *eval;
        for w in rules.iter_mut() {
            let seen = w.probe.verdict(now, w.rule.status);
            if w.hysteresis
                .observe(seen, now, w.rule.hold, w.rule.recovery_hold)
            {
                tracing::info!(target: "cachet::host_health", rule = %crate::log::Escaped(&w.rule.name), state = ?w.hysteresis.confirmed, "host health changed");
            }
        }
        self.warn_unwatched(rules, warned, now);
        for (&id, applied) in components.iter_mut() {
            let mine = || rules.iter().filter(move |w| w.rule.component == id);
            let mut known = false;
            let mut worst: Option<ComponentStatus> = None;
            for w in mine() {
                match w.hysteresis.confirmed {
                    None => {}
                    Some(Level::Healthy) => known = true,
                    Some(Level::Breached(s)) => {
                        known = true;
                        if worst.is_none_or(|b| s.severity() > b.severity()) {
                            worst = Some(s);
                        }
                    }
                }
            }
            if !known {
                continue;
            }
            let desired = worst.unwrap_or(ComponentStatus::Operational);
            if applied.status == Some(desired) {
                continue;
            }
            // The incident to open: the first breached rule that asks for one; the
            // resolution: the first rule of the component that has an incident.
            let opening = mine()
                .filter(|w| matches!(w.hysteresis.confirmed, Some(Level::Breached(_))))
                .find_map(|w| w.rule.incident.as_ref());
            let resolution = mine()
                .find_map(|w| w.rule.incident.as_ref())
                .map(|t| t.resolution.clone());
            match self
                .apply(id, applied, desired, opening, resolution, &mut report)
                .await
            {
                Ok(()) => report.changed += 1,
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(target: "cachet::host_health", component = id.get(), error = %crate::log::Escaped(&e), "host health could not update the component");
                }
            }
        }
        report
    }

    /// Warns once per route group that has answers but no rule (a typo in a layer's name).
    fn warn_unwatched(&self, rules: &[Watch], warned: &mut BTreeSet<String>, now: Timestamp) {
        let groups = read(&self.inner.groups);
        for (name, window) in groups.iter() {
            let watched = rules.iter().any(|w| match &w.probe {
                Probe::Routes { window: ours, .. } => Arc::ptr_eq(ours, window),
                Probe::Signal(_) => false,
            });
            if !watched && !warned.contains(name) && window.counts(now).total > 0 {
                tracing::warn!(target: "cachet::host_health", group = %crate::log::Escaped(name), "answers are recorded for a route group that no rule watches");
                warned.insert(name.clone());
            }
        }
    }

    /// Moves component `id` to `desired` through the facade, opening, adopting or resolving
    /// its incident ([`episode::apply`], shared with the alert integrations).
    async fn apply(
        &self,
        id: ComponentId,
        applied: &mut Applied,
        desired: ComponentStatus,
        opening: Option<&IncidentText>,
        resolution: Option<Markdown>,
        report: &mut HostHealthReport,
    ) -> Result<(), Error> {
        let episode = episode::Episode {
            cachet: &self.inner.cachet,
            actor: Actor::system(ACTOR),
            marker: INCIDENT_MARKER,
        };
        let opening = opening.map(|t| episode::Opening {
            title: t.title.clone(),
            message: t.message.clone(),
        });
        let outcome = episode
            .apply(id, applied, desired, opening, resolution)
            .await?;
        report.opened += usize::from(outcome.opened);
        report.resolved += usize::from(outcome.resolved);
        Ok(())
    }

    /// Evaluates every interval until `stop` turns true.
    async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(self.inner.interval) => {}
            }
            let report = self.tick().await;
            tracing::debug!(
                target: "cachet::host_health",
                changed = report.changed,
                opened = report.opened,
                resolved = report.resolved,
                failed = report.failed,
                "host health tick"
            );
        }
    }
}

impl Probe {
    /// This tick's verdict: `None` when there is too little evidence.
    fn verdict(&self, now: Timestamp, status: ComponentStatus) -> Option<Level> {
        match self {
            Self::Routes {
                window,
                min_requests,
                max_error_ratio,
                max_slow_ratio,
                latency_status,
            } => {
                let c = window.counts(now);
                if c.total < *min_requests {
                    return None;
                }
                // A share exactly at the bound is within it; the tolerance keeps `1 - 0.9`
                // (0.0999...) from making exactly 10 % a breach.
                #[allow(clippy::cast_precision_loss)] // counts far below 2^52
                let over = |n: u64, max: f64| n as f64 / c.total as f64 > max + 1e-9;
                let mut worst: Option<ComponentStatus> = None;
                let mut breach = |s: ComponentStatus| {
                    if worst.is_none_or(|w| s.severity() > w.severity()) {
                        worst = Some(s);
                    }
                };
                if over(c.errors, *max_error_ratio) {
                    breach(status);
                }
                if max_slow_ratio.is_some_and(|max| over(c.slow, max)) {
                    breach(*latency_status);
                }
                Some(worst.map_or(Level::Healthy, Level::Breached))
            }
            Self::Signal(slot) => match slot.load(Ordering::Relaxed) {
                1 => Some(Level::Healthy),
                2 => Some(Level::Breached(status)),
                3 => Some(Level::Breached(ComponentStatus::MajorOutage)),
                _ => None,
            },
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // The maps only grow by whole entries: a panic elsewhere cannot leave one half-made.
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Background {
    /// Runs `health`'s evaluation with the background work, until [`Background::shutdown`]
    /// (which waits for a tick in progress like for the other tasks).
    #[must_use = "dropping Background stops the status page's background work"]
    pub fn with_host_health(mut self, health: &HostHealth) -> Self {
        let health = health.clone();
        self.spawn_beside(move |_, stop| health.run(stop));
        self
    }
}
