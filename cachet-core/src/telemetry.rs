//! Operational counters for operators (ARCHITECTURE.md section 9): requests by route group and
//! status class, page renders and their duration, notification deliveries by channel and
//! outcome, sign-in throttling and lockouts, and the writer of the Prometheus text format
//! they are exposed in.
//!
//! Every counter is a relaxed atomic add on a fixed array: no lock, no allocation, no map
//! look-up on the hot path, because the cached status page is served in microseconds and
//! benchmarked against a static file server. The label sets are closed enums, so a client
//! cannot grow the number of series (no path, no token and no address is ever a label).
//!
//! The counters live in the domain layer so the facade (sign-in throttling) and the
//! notification dispatcher can count without knowing the web layer; the web layer classifies
//! requests, gathers the cache and rate-limit figures and serves the text.

use std::fmt::{Display, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which part of the site a request was for: the `group` label of
/// `cachet_http_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteGroup {
    /// The public HTML pages, subscribe and unsubscribe.
    Pages,
    /// API v1 (`/api/v1/...`).
    ApiV1,
    /// The Statuspage v2 JSON (`/api/v2/...`).
    Statuspage,
    /// The dashboard, sign-in, setup and invitations.
    Dashboard,
    /// Feeds, badges and chart data.
    Feeds,
    /// Hash-versioned static assets.
    Assets,
    /// Everything else: `/health`, the OpenAPI document, this endpoint, unknown paths.
    Other,
}

impl RouteGroup {
    /// Every group, in exposition order.
    pub const ALL: [RouteGroup; 7] = [
        Self::Pages,
        Self::ApiV1,
        Self::Statuspage,
        Self::Dashboard,
        Self::Feeds,
        Self::Assets,
        Self::Other,
    ];

    /// The label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pages => "pages",
            Self::ApiV1 => "api_v1",
            Self::Statuspage => "statuspage",
            Self::Dashboard => "dashboard",
            Self::Feeds => "feeds",
            Self::Assets => "assets",
            Self::Other => "other",
        }
    }
}

/// The status classes counted (`1xx` .. `5xx`); anything else is counted as `5xx`.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The outcome of one delivery attempt, as the dispatcher records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Accepted by the channel.
    Sent,
    /// Failed for now; retried later.
    Retried,
    /// Given up (permanent error or too many attempts).
    Failed,
}

impl DeliveryOutcome {
    const ALL: [DeliveryOutcome; 3] = [Self::Sent, Self::Retried, Self::Failed];

    fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Retried => "retried",
            Self::Failed => "failed",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Sent => 0,
            Self::Retried => 1,
            Self::Failed => 2,
        }
    }
}

/// The channels counted; a delivery row naming anything else counts as `other`.
const CHANNELS: [&str; 4] = ["email", "webhook", "chat", "other"];

/// Upper bounds of the render-duration buckets, in seconds: a small page renders in a
/// millisecond or two, the big status page of the benchmark's data set in about 200 ms.
pub const RENDER_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A histogram of durations with the fixed [`RENDER_BUCKETS`]: per-bucket counts (the last
/// one for longer than every bound) and the sum in microseconds.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; RENDER_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let at = RENDER_BUCKETS
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(RENDER_BUCKETS.len());
        self.buckets[at].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// The counters of one [`Cachet`](crate::Cachet) facade (every clone shares them). Read them
/// through the Prometheus endpoint, or in tests through [`Telemetry::requests`] and friends.
#[derive(Debug, Default)]
pub struct Telemetry {
    requests: [[AtomicU64; CLASSES.len()]; RouteGroup::ALL.len()],
    renders: Histogram,
    deliveries: [[AtomicU64; DeliveryOutcome::ALL.len()]; CHANNELS.len()],
    sign_in_throttled: AtomicU64,
    lockouts: AtomicU64,
}

fn group_index(group: RouteGroup) -> usize {
    match group {
        RouteGroup::Pages => 0,
        RouteGroup::ApiV1 => 1,
        RouteGroup::Statuspage => 2,
        RouteGroup::Dashboard => 3,
        RouteGroup::Feeds => 4,
        RouteGroup::Assets => 5,
        RouteGroup::Other => 6,
    }
}

fn class_index(status: u16) -> usize {
    match status {
        100..=199 => 0,
        200..=299 => 1,
        300..=399 => 2,
        400..=499 => 3,
        _ => 4,
    }
}

fn channel_index(channel: &str) -> usize {
    CHANNELS
        .iter()
        .position(|c| *c == channel)
        .unwrap_or(CHANNELS.len() - 1)
}

impl Telemetry {
    /// Counts one answered request.
    pub fn record_request(&self, group: RouteGroup, status: u16) {
        self.requests[group_index(group)][class_index(status)].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one render made for the snapshot cache and how long it took (with its
    /// compression).
    pub fn record_render(&self, took: Duration) {
        self.renders.observe(took);
    }

    /// Counts one recorded delivery attempt on a channel (`email`, `webhook`).
    pub fn record_delivery(&self, channel: &str, outcome: DeliveryOutcome) {
        self.deliveries[channel_index(channel)][outcome.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a sign-in or second-factor attempt refused because its key is throttled.
    pub fn record_sign_in_throttled(&self) {
        self.sign_in_throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failure that reached the full lockout.
    pub fn record_lockout(&self) {
        self.lockouts.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests answered in a group with a status of the class of `status` (`200` for `2xx`).
    #[must_use]
    pub fn requests(&self, group: RouteGroup, status: u16) -> u64 {
        self.requests[group_index(group)][class_index(status)].load(Ordering::Relaxed)
    }

    /// Renders made for the snapshot cache.
    #[must_use]
    pub fn renders(&self) -> u64 {
        self.renders
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .sum()
    }

    /// Delivery attempts recorded on a channel with an outcome.
    #[must_use]
    pub fn deliveries(&self, channel: &str, outcome: DeliveryOutcome) -> u64 {
        self.deliveries[channel_index(channel)][outcome.index()].load(Ordering::Relaxed)
    }

    /// Sign-in attempts refused while throttled.
    #[must_use]
    pub fn sign_in_throttled(&self) -> u64 {
        self.sign_in_throttled.load(Ordering::Relaxed)
    }

    /// Lockouts reached.
    #[must_use]
    pub fn lockouts(&self) -> u64 {
        self.lockouts.load(Ordering::Relaxed)
    }

    /// Writes every family these counters hold.
    pub fn write_to(&self, out: &mut Exposition) {
        out.family(
            "cachet_http_requests_total",
            "Requests answered, by route group and status class.",
            "counter",
        );
        for group in RouteGroup::ALL {
            for (c, class) in CLASSES.iter().enumerate() {
                let n = self.requests[group_index(group)][c].load(Ordering::Relaxed);
                out.sample(
                    "cachet_http_requests_total",
                    &[("group", group.as_str()), ("class", class)],
                    n,
                );
            }
        }
        out.family(
            "cachet_render_duration_seconds",
            "Time to render (and compress) one snapshot-cache entry.",
            "histogram",
        );
        let mut cumulative = 0;
        for (i, bucket) in self.renders.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = RENDER_BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), f64::to_string);
            out.sample(
                "cachet_render_duration_seconds_bucket",
                &[("le", &le)],
                cumulative,
            );
        }
        let sum = self.renders.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        out.sample("cachet_render_duration_seconds_sum", &[], sum);
        out.sample("cachet_render_duration_seconds_count", &[], cumulative);
        out.family(
            "cachet_notify_deliveries_total",
            "Delivery attempts recorded, by channel and outcome.",
            "counter",
        );
        for (c, channel) in CHANNELS.iter().enumerate() {
            for outcome in DeliveryOutcome::ALL {
                let n = self.deliveries[c][outcome.index()].load(Ordering::Relaxed);
                out.sample(
                    "cachet_notify_deliveries_total",
                    &[("channel", channel), ("outcome", outcome.as_str())],
                    n,
                );
            }
        }
        out.counter(
            "cachet_sign_in_throttled_total",
            "Sign-in and second-factor attempts refused because their key is throttled.",
            self.sign_in_throttled(),
        );
        out.counter(
            "cachet_lockouts_total",
            "Failed sign-ins that reached the full lockout.",
            self.lockouts(),
        );
    }
}

/// The Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines, then
/// one `name{label="value"} number` line per sample.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// The content type of the format.
    pub const CONTENT_TYPE: &'static str = "text/plain; version=0.0.4; charset=utf-8";

    /// An empty document.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a family: its help text and type (`counter`, `gauge`, `histogram`).
    pub fn family(&mut self, name: &str, help: &str, kind: &str) {
        // Help texts are constants of this crate; escaped anyway as the format asks.
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// One sample of the current family.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (key, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let v = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(self.text, "{key}=\"{v}\"");
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }

    /// A family of one unlabelled counter.
    pub fn counter(&mut self, name: &str, help: &str, value: u64) {
        self.family(name, help, "counter");
        self.sample(name, &[], value);
    }

    /// A family of one unlabelled gauge.
    pub fn gauge(&mut self, name: &str, help: &str, value: impl Display) {
        self.family(name, help, "gauge");
        self.sample(name, &[], value);
    }

    /// The document.
    #[must_use]
    pub fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_land_in_their_series() {
        let t = Telemetry::default();
        t.record_request(RouteGroup::ApiV1, 200);
        t.record_request(RouteGroup::ApiV1, 204);
        t.record_request(RouteGroup::Pages, 429);
        t.record_request(RouteGroup::Other, 999);
        t.record_delivery("email", DeliveryOutcome::Sent);
        t.record_delivery("pigeon", DeliveryOutcome::Failed);
        t.record_delivery("chat", DeliveryOutcome::Retried);
        t.record_render(Duration::from_millis(3));
        t.record_render(Duration::from_secs(60));
        assert_eq!(t.requests(RouteGroup::ApiV1, 200), 2);
        assert_eq!(t.requests(RouteGroup::Pages, 400), 1);
        assert_eq!(t.requests(RouteGroup::Other, 500), 1);
        assert_eq!(t.deliveries("email", DeliveryOutcome::Sent), 1);
        assert_eq!(t.deliveries("other", DeliveryOutcome::Failed), 1);
        assert_eq!(t.deliveries("chat", DeliveryOutcome::Retried), 1);
        assert_eq!(t.deliveries("other", DeliveryOutcome::Retried), 0);
        assert_eq!(t.renders(), 2);
        let mut out = Exposition::new();
        t.write_to(&mut out);
        let text = out.finish();
        assert!(text.contains("cachet_http_requests_total{group=\"api_v1\",class=\"2xx\"} 2\n"));
        assert!(text.contains("cachet_render_duration_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("cachet_render_duration_seconds_bucket{le=\"10\"} 1\n"));
        assert!(text.contains("cachet_render_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("cachet_render_duration_seconds_count 2\n"));
        assert!(text.contains("cachet_render_duration_seconds_sum 60.003\n"));
        assert!(text.contains("# TYPE cachet_render_duration_seconds histogram\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = Exposition::new();
        out.family("x", "a\nb", "gauge");
        out.sample("x", &[("l", "q\"\\\n")], 1);
        assert_eq!(
            out.finish(),
            "# HELP x a\\nb\n# TYPE x gauge\nx{l=\"q\\\"\\\\\\n\"} 1\n"
        );
    }
}
