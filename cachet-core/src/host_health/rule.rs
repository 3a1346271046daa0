//! Rules: which of the host's signals drives which component, with which thresholds.

use std::time::Duration;

use chrono::TimeDelta;

use crate::model::{ComponentId, ComponentStatus};
use crate::validate::{Markdown, Name, ValidationError, ViolationExt as _};

/// What the host reports about one of its own dependencies with [`super::HostHealth::report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Working.
    Healthy,
    /// Working badly (a pool near exhaustion, a circuit half open): the rule's status.
    Degraded,
    /// Not working (a pool exhausted, a circuit open): major outage.
    Down,
}

/// One rule: a route group of the host (fed by the adapters' layer and middleware) or a
/// signal the host reports, mapped to a component, with thresholds and hold times. Build it
/// with [`Rule::routes`] or [`Rule::signal`] and change what you need:
///
/// ```
/// # use std::time::Duration;
/// # use cachet_core::host_health::Rule;
/// # use cachet_core::model::ComponentId;
/// # let checkout = ComponentId(1);
/// let rule = Rule::routes("checkout", checkout)
///     .error_ratio(0.2) // more than 20 % of answers are 5xx
///     .latency(0.95, Duration::from_millis(800)) // or the 95th percentile is above 800 ms
///     .window(Duration::from_secs(60))
///     .min_requests(20)
///     .hold(Duration::from_secs(30))
///     .incident("Checkout is failing", "Some payments fail; we are looking into it.");
/// ```
#[derive(Debug, Clone)]
pub struct Rule {
    pub(super) source: Source,
    pub(super) component: ComponentId,
    pub(super) status: ComponentStatus,
    pub(super) hold: Duration,
    pub(super) recovery_hold: Option<Duration>,
    pub(super) incident: Option<(String, String)>,
    pub(super) resolution: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) enum Source {
    Routes(Routes),
    Signal(String),
}

#[derive(Debug, Clone)]
pub(super) struct Routes {
    pub group: String,
    pub window: Duration,
    pub min_requests: u64,
    pub max_error_ratio: f64,
    pub latency: Option<(f64, Duration)>,
    pub latency_status: ComponentStatus,
}

impl Rule {
    /// The default hold time, both ways.
    pub const DEFAULT_HOLD: Duration = Duration::from_secs(30);

    fn new(source: Source, component: ComponentId) -> Self {
        Self {
            source,
            component,
            status: ComponentStatus::PartialOutage,
            hold: Self::DEFAULT_HOLD,
            recovery_hold: None,
            incident: None,
            resolution: None,
        }
    }

    /// A rule over the answers of the host's route group `group` (the name given to the
    /// adapter's layer or middleware): over the last minute, with at least 20 answers, more
    /// than 10 % of them 5xx makes `component` a partial outage. No latency bound until
    /// [`Rule::latency`] sets one.
    #[must_use]
    pub fn routes(group: &str, component: ComponentId) -> Self {
        Self::new(
            Source::Routes(Routes {
                group: group.to_owned(),
                window: Duration::from_secs(60),
                min_requests: 20,
                max_error_ratio: 0.1,
                latency: None,
                latency_status: ComponentStatus::PerformanceIssues,
            }),
            component,
        )
    }

    /// A rule over the signal `name` the host reports: [`Signal::Degraded`] makes `component`
    /// a partial outage (or [`Rule::status`]), [`Signal::Down`] a major outage.
    #[must_use]
    pub fn signal(name: &str, component: ComponentId) -> Self {
        Self::new(Source::Signal(name.to_owned()), component)
    }

    /// The status a breach shows (default partial outage): a route group over its error
    /// ratio, a signal reported degraded.
    #[must_use]
    pub fn status(mut self, status: ComponentStatus) -> Self {
        self.status = status;
        self
    }

    /// The largest share of 5xx answers that is still healthy, above 0 and at most 1
    /// (default 0.1). Route rules only.
    #[must_use]
    pub fn error_ratio(mut self, ratio: f64) -> Self {
        if let Source::Routes(r) = &mut self.source {
            r.max_error_ratio = ratio;
        }
        self
    }

    /// A latency bound: the `percentile` (above 0, below 1: 0.95 for the 95th) of the answers'
    /// durations must not exceed `bound`; beyond it the component shows performance issues
    /// (or [`Rule::latency_status`]). Route rules only.
    #[must_use]
    pub fn latency(mut self, percentile: f64, bound: Duration) -> Self {
        if let Source::Routes(r) = &mut self.source {
            r.latency = Some((percentile, bound));
        }
        self
    }

    /// The status a latency breach shows (default performance issues). Route rules only.
    #[must_use]
    pub fn latency_status(mut self, status: ComponentStatus) -> Self {
        if let Source::Routes(r) = &mut self.source {
            r.latency_status = status;
        }
        self
    }

    /// How far back the answers count (default 60 s). Route rules only.
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        if let Source::Routes(r) = &mut self.source {
            r.window = window;
        }
        self
    }

    /// The fewest answers in the window that say anything (default 20): with fewer, the
    /// rule gives no verdict and nothing changes. Route rules only.
    #[must_use]
    pub fn min_requests(mut self, n: u64) -> Self {
        if let Source::Routes(r) = &mut self.source {
            r.min_requests = n;
        }
        self
    }

    /// How long a breach must last before the component changes (default 30 s); also the
    /// wait before recovery unless [`Rule::recovery_hold`] sets another.
    #[must_use]
    pub fn hold(mut self, hold: Duration) -> Self {
        self.hold = hold;
        self
    }

    /// How long health must last before the component turns back operational.
    #[must_use]
    pub fn recovery_hold(mut self, hold: Duration) -> Self {
        self.recovery_hold = Some(hold);
        self
    }

    /// Opens an incident (visible, notifying subscribers) with this title and Markdown
    /// message when the breach changes the component, and resolves it on recovery. Without
    /// it only the component's status changes.
    #[must_use]
    pub fn incident(mut self, title: &str, message: &str) -> Self {
        self.incident = Some((title.to_owned(), message.to_owned()));
        self
    }

    /// The Markdown message of the update that resolves the incident (default: "Resolved:
    /// the service works normally again.").
    #[must_use]
    pub fn resolution(mut self, message: &str) -> Self {
        self.resolution = Some(message.to_owned());
        self
    }

    /// The rule's name in errors and logs: `routes:<group>` or `signal:<name>`.
    #[must_use]
    pub fn name(&self) -> String {
        match &self.source {
            Source::Routes(r) => format!("routes:{}", r.group),
            Source::Signal(s) => format!("signal:{s}"),
        }
    }
}

/// Why host health refused a rule or a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostHealthError {
    /// The rule names a component that does not exist.
    #[error("rule {rule}: component {component} does not exist")]
    UnknownComponent {
        /// The rule ([`Rule::name`]).
        rule: String,
        /// The component it names.
        component: ComponentId,
    },
    /// Another rule already watches this route group or signal.
    #[error("rule {rule}: another rule already watches it")]
    DuplicateRule {
        /// The rule ([`Rule::name`]).
        rule: String,
    },
    /// A setting of the rule breaks its rule.
    #[error("rule {rule}: {field} must be {expected}")]
    InvalidRule {
        /// The rule ([`Rule::name`]).
        rule: String,
        /// The setting.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The incident's title or message is not valid (the error names the field).
    #[error("rule {rule}: {source}")]
    InvalidIncident {
        /// The rule ([`Rule::name`]).
        rule: String,
        /// What is wrong.
        source: ValidationError,
    },
    /// No rule watches this signal.
    #[error("no rule watches the signal {name}")]
    UnknownSignal {
        /// The signal.
        name: String,
    },
    /// Reading the component failed.
    #[error("checking the rule's component failed: {0}")]
    Facade(#[source] crate::Error),
}

/// A rule checked and ready to evaluate.
#[derive(Debug)]
pub(super) struct Checked {
    pub name: String,
    pub component: ComponentId,
    pub status: ComponentStatus,
    pub hold: TimeDelta,
    pub recovery_hold: TimeDelta,
    pub incident: Option<IncidentText>,
}

/// What the incident of a rule says.
#[derive(Debug, Clone)]
pub(super) struct IncidentText {
    pub title: Name,
    pub message: Markdown,
    pub resolution: Markdown,
}

impl Rule {
    /// Checks every setting but the component's existence (which needs the store).
    pub(super) fn check(&self) -> Result<Checked, HostHealthError> {
        let name = self.name();
        let invalid = |field, expected| HostHealthError::InvalidRule {
            rule: name.clone(),
            field,
            expected,
        };
        let label = match &self.source {
            Source::Routes(r) => &r.group,
            Source::Signal(s) => s,
        };
        let field = match &self.source {
            Source::Routes(_) => "group",
            Source::Signal(_) => "signal",
        };
        if label.is_empty()
            || label.chars().count() > 64
            || label.chars().any(crate::log::needs_escape)
        {
            return Err(invalid(field, "1 to 64 printable characters"));
        }
        let breach = |s: ComponentStatus| s.severity() > 0;
        if !breach(self.status) {
            return Err(invalid(
                "status",
                "performance issues, partial outage or major outage",
            ));
        }
        if let Source::Routes(r) = &self.source {
            if !(r.max_error_ratio > 0.0 && r.max_error_ratio <= 1.0) {
                return Err(invalid("error_ratio", "above 0 and at most 1"));
            }
            if r.window.is_zero() {
                return Err(invalid("window", "longer than zero"));
            }
            if r.min_requests == 0 {
                return Err(invalid("min_requests", "at least 1"));
            }
            if let Some((p, _)) = r.latency
                && !(p > 0.0 && p < 1.0)
            {
                return Err(invalid("latency percentile", "above 0 and below 1"));
            }
            if !breach(r.latency_status) {
                return Err(invalid(
                    "latency_status",
                    "performance issues, partial outage or major outage",
                ));
            }
        }
        let delta = |d: Duration| TimeDelta::from_std(d).ok();
        let hold = delta(self.hold).ok_or_else(|| invalid("hold", "within the clock's range"))?;
        let recovery_hold = match self.recovery_hold {
            Some(d) => {
                delta(d).ok_or_else(|| invalid("recovery_hold", "within the clock's range"))?
            }
            None => hold,
        };
        let incident = match &self.incident {
            None => None,
            Some((title, message)) => {
                let text = || -> Result<IncidentText, ValidationError> {
                    Ok(IncidentText {
                        title: Name::parse(title).field("incident title")?,
                        message: Markdown::parse(message).field("incident message")?,
                        resolution: Markdown::parse(
                            self.resolution
                                .as_deref()
                                .unwrap_or("Resolved: the service works normally again."),
                        )
                        .field("resolution")?,
                    })
                };
                Some(text().map_err(|source| HostHealthError::InvalidIncident {
                    rule: name.clone(),
                    source,
                })?)
            }
        };
        Ok(Checked {
            name,
            component: self.component,
            status: self.status,
            hold,
            recovery_hold,
            incident,
        })
    }
}
