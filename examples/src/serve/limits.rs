//! Limits on slow and greedy clients, the same under axum and actix-web.
//!
//! A connection costs the server a socket, a task and buffers whether or not a request ever
//! arrives, so a client that opens many connections and sends their headers one byte at a time
//! (slowloris), or that keeps connections open without using them, can exhaust the server
//! without sending much traffic. Three rules bound what one client can hold:
//!
//! * **Header-read timeout** ([`ServeLimits::header_read_timeout`]): a new connection must
//!   deliver the complete head (request line and headers) of its first request within this
//!   time of being accepted.
//! * **Keep-alive timeout** ([`ServeLimits::keep_alive_timeout`]): after a response, the
//!   complete head of the next request must arrive within this time, or the connection is
//!   closed. This bounds idle keep-alive connections and heads trickled on a kept-alive
//!   connection alike.
//! * **Per-address cap** ([`ServeLimits::max_connections_per_address`], [`ConnectionLimiter`]):
//!   one client address (IPv6: one /64, as the login throttle counts them) holds at most this
//!   many connections at once; a connection over the cap is closed as soon as it is accepted,
//!   before anything is read from it. Trusted proxies are exempt: behind one, every visitor
//!   arrives from the proxy's address, and the proxy limits its own clients.
//!
//! Neither framework enforces the two timeouts exactly like this on its own: hyper (under
//! axum) has one header timer that also runs while a kept-alive connection waits, and
//! actix-web's `client_request_timeout` covers only a connection's first request, so the head
//! of a later request may take forever once its first byte arrived. Both servers therefore
//! run one [`ConnectionActivity`] per connection, told by the server when a request starts and
//! when its response is done, and close the connection when [`ConnectionActivity::expired`]
//! says so. The frameworks' own timers stay on as a second line.
//!
//! What these rules do not bound: the time a request's body may take to arrive and the time a
//! client may take to read a response (a request in flight has no deadline here). The
//! per-address cap bounds how many such connections one address can hold.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// The default [`ServeLimits::header_read_timeout`]: 10 s. A browser sends a request's head
/// in one packet as soon as the connection is open, so even a slow mobile link needs well
/// under a second; 10 s leaves room for a congested network while a slowloris connection is
/// gone before it costs much.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default [`ServeLimits::keep_alive_timeout`]: 15 s. A page load fetches its stylesheet
/// and images within a second of the page, and a visitor who clicks on within 15 s still
/// reuses the connection; an idle visitor holds a socket for seconds, not minutes. A reverse
/// proxy keeping upstream connections alive must close them sooner than this (nginx:
/// `keepalive_timeout 10s;` in the `upstream` block), or it may send a request on a
/// connection the server is closing.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(15);

/// The default [`ServeLimits::max_connections_per_address`]: 64. A browser opens at most six
/// HTTP/1.1 connections per host, so 64 serves an office or a carrier-grade NAT of several
/// visitors, while a single attacker cannot hold more than 64 sockets.
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: u32 = 64;

/// The limits a server applies to every connection (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// How long a new connection has to deliver its first request's complete head.
    pub header_read_timeout: Duration,
    /// How long after a response the next request's complete head may take.
    pub keep_alive_timeout: Duration,
    /// How many connections one client address (IPv6: one /64) may hold at once.
    pub max_connections_per_address: u32,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
        }
    }
}

/// Counts open connections per client address and refuses those over the cap. Shared by all
/// of a server's workers; [`ConnectionLimiter::try_acquire`] at accept, and the returned
/// [`ConnectionPermit`] lives as long as the connection.
#[derive(Debug)]
pub struct ConnectionLimiter {
    cap: u32,
    exempt: HashSet<IpAddr>,
    open: Mutex<HashMap<String, u32>>,
}

impl ConnectionLimiter {
    /// A limiter allowing `cap` connections per address; addresses in `exempt` (trusted
    /// proxies) are not counted.
    #[must_use]
    pub fn new(cap: u32, exempt: impl IntoIterator<Item = IpAddr>) -> Arc<Self> {
        Arc::new(Self {
            cap,
            exempt: exempt.into_iter().map(|ip| ip.to_canonical()).collect(),
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Counts a new connection from `ip`: a permit to keep for the connection's life, or
    /// `None` when the address already holds `cap` connections (close the new one then).
    #[must_use]
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<ConnectionPermit> {
        let ip = ip.to_canonical();
        if self.exempt.contains(&ip) {
            return Some(ConnectionPermit {
                limiter: Arc::clone(self),
                key: None,
            });
        }
        let key = cachet_core::auth::throttle::address_key(ip);
        let mut open = self.lock();
        let count = open.entry(key.clone()).or_insert(0);
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(ConnectionPermit {
            limiter: Arc::clone(self),
            key: Some(key),
        })
    }

    /// How many connections `ip`'s address (IPv6: its /64) holds now; exempt addresses
    /// always read 0.
    #[must_use]
    pub fn open_connections(&self, ip: IpAddr) -> u32 {
        let key = cachet_core::auth::throttle::address_key(ip.to_canonical());
        self.lock().get(&key).copied().unwrap_or(0)
    }

    // A panic while the lock is held cannot leave a count half-updated (each change is one
    // statement), so a poisoned map is still right.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One counted connection; dropping it (when the connection closes) frees its place.
#[derive(Debug)]
pub struct ConnectionPermit {
    limiter: Arc<ConnectionLimiter>,
    key: Option<String>,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut open = self.limiter.lock();
        if let Some(count) = open.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                // Forget the address, so the map holds only addresses with open connections.
                open.remove(&key);
            }
        }
    }
}

/// Where a connection is in its life, as far as the timeouts care.
#[derive(Debug, Clone, Copy)]
struct Phase {
    /// Requests whose head has arrived and whose response is not done.
    in_flight: u32,
    /// When the connection was accepted or its last response was done.
    waiting_since: Instant,
    /// Whether a response was done (the wait is then for a later request).
    served: bool,
}

/// The request clock of one connection: the server calls [`ConnectionActivity::begin`] when a
/// request's head has arrived and drops the [`RequestGuard`] when its response is done, and
/// [`ConnectionActivity::expired`] resolves when the connection waited too long for a head.
///
/// A framework is done with a response when it has buffered the last of it, which for a large
/// response to a slow reader can be long before the client has it. A server that can see its
/// socket's writes reports them ([`ConnectionActivity::wrote`]), and the clock then starts at
/// the last write.
#[derive(Debug)]
pub struct ConnectionActivity {
    phase: watch::Sender<Phase>,
    /// When the clock was made: `last_write` counts from here.
    origin: Instant,
    /// Milliseconds from `origin` to the last write to the socket (0: none yet). An atomic, not
    /// part of `phase`, so a write never wakes the watchdog.
    last_write: AtomicU64,
}

impl ConnectionActivity {
    /// The clock of a connection accepted now.
    #[must_use]
    pub fn new() -> Arc<Self> {
        let now = Instant::now();
        Arc::new(Self {
            phase: watch::Sender::new(Phase {
                in_flight: 0,
                waiting_since: now,
                served: false,
            }),
            origin: now,
            last_write: AtomicU64::new(0),
        })
    }

    /// The server wrote to the connection's socket: a response is still going out, so the
    /// keep-alive clock starts again from now.
    pub fn wrote(&self) {
        let since = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_write.store(since, Ordering::Relaxed);
    }

    /// When the server last wrote to the socket, if it has.
    fn last_write(&self) -> Option<Instant> {
        match self.last_write.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(self.origin + Duration::from_millis(ms)),
        }
    }

    /// A request's head has arrived; keep the guard until its response is done.
    #[must_use]
    pub fn begin(self: &Arc<Self>) -> RequestGuard {
        self.phase.send_modify(|p| p.in_flight += 1);
        RequestGuard {
            activity: Arc::clone(self),
        }
    }

    /// Resolves when the connection has waited longer than the limits allow for a request's
    /// head: [`ServeLimits::header_read_timeout`] after it was accepted, or
    /// [`ServeLimits::keep_alive_timeout`] after its last response. Never resolves while a
    /// request is in flight. The caller closes the connection when it does.
    pub async fn expired(&self, limits: &ServeLimits) {
        let mut phase = self.phase.subscribe();
        loop {
            let now = *phase.borrow_and_update();
            if now.in_flight > 0 {
                // The sender lives in `self`, so this only ends with a change.
                let _ = phase.changed().await;
                continue;
            }
            let allowed = if now.served {
                limits.keep_alive_timeout
            } else {
                limits.header_read_timeout
            };
            let since = self
                .last_write()
                .map_or(now.waiting_since, |w| w.max(now.waiting_since));
            tokio::select! {
                () = tokio::time::sleep_until(since + allowed) => {
                    // A request may have started in the same instant, or a write pushed the
                    // deadline; look again then.
                    let wrote_since = self.last_write().is_some_and(|w| w > since);
                    if !phase.has_changed().unwrap_or(false) && !wrote_since {
                        return;
                    }
                }
                _ = phase.changed() => {}
            }
        }
    }
}

/// One request in flight on a connection; dropping it marks the response done and starts
/// the keep-alive clock.
#[derive(Debug)]
pub struct RequestGuard {
    activity: Arc<ConnectionActivity>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.activity.phase.send_modify(|p| {
            p.in_flight = p.in_flight.saturating_sub(1);
            if p.in_flight == 0 {
                p.waiting_since = Instant::now();
                p.served = true;
            }
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_address_gets_the_cap_and_a_closed_connection_frees_its_place() {
        let limiter = ConnectionLimiter::new(2, []);
        let a = limiter.try_acquire(ip("192.0.2.1")).expect("first");
        let b = limiter.try_acquire(ip("192.0.2.1")).expect("second");
        assert!(
            limiter.try_acquire(ip("192.0.2.1")).is_none(),
            "over the cap"
        );
        assert_eq!(limiter.open_connections(ip("192.0.2.1")), 2);
        // Another address has its own count.
        let _other = limiter.try_acquire(ip("192.0.2.2")).expect("other address");
        drop(a);
        assert_eq!(limiter.open_connections(ip("192.0.2.1")), 1);
        let _c = limiter
            .try_acquire(ip("192.0.2.1"))
            .expect("a place was freed");
        drop(b);
        drop(_c);
        assert_eq!(limiter.open_connections(ip("192.0.2.1")), 0);
        assert!(
            !limiter.lock().contains_key("ip:192.0.2.1"),
            "addresses without connections are forgotten"
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_counts_as_ipv4() {
        let limiter = ConnectionLimiter::new(1, []);
        let _a = limiter.try_acquire(ip("2001:db8:1:2::1")).expect("first");
        assert!(
            limiter.try_acquire(ip("2001:db8:1:2:ffff::9")).is_none(),
            "the same /64 shares the cap"
        );
        let _b = limiter
            .try_acquire(ip("2001:db8:1:3::1"))
            .expect("another /64");
        let _c = limiter.try_acquire(ip("192.0.2.7")).expect("ipv4");
        assert!(
            limiter.try_acquire(ip("::ffff:192.0.2.7")).is_none(),
            "a v4-mapped address is the IPv4 address"
        );
    }

    #[test]
    fn trusted_proxies_are_not_capped() {
        let limiter = ConnectionLimiter::new(1, [ip("10.0.0.1")]);
        let held: Vec<_> = (0..10)
            .map(|_| limiter.try_acquire(ip("::ffff:10.0.0.1")).expect("exempt"))
            .collect();
        assert_eq!(held.len(), 10);
        assert_eq!(limiter.open_connections(ip("10.0.0.1")), 0);
        let _a = limiter.try_acquire(ip("10.0.0.2")).expect("first");
        assert!(limiter.try_acquire(ip("10.0.0.2")).is_none());
    }

    const LIMITS: ServeLimits = ServeLimits {
        header_read_timeout: Duration::from_secs(10),
        keep_alive_timeout: Duration::from_secs(15),
        max_connections_per_address: 64,
    };

    /// Whether `expired` resolves within `within` of (paused, auto-advancing) test time.
    async fn expires_within(activity: &ConnectionActivity, within: Duration) -> bool {
        tokio::time::timeout(within, activity.expired(&LIMITS))
            .await
            .is_ok()
    }

    // Tokio's paused clock: time moves only when every task waits, so these run instantly and
    // measure the rule, not the machine.
    #[tokio::test(start_paused = true)]
    async fn a_new_connection_has_the_header_read_timeout_for_its_first_head() {
        let activity = ConnectionActivity::new();
        assert!(!expires_within(&activity, Duration::from_millis(9_999)).await);
        assert!(expires_within(&activity, Duration::from_millis(2)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_never_expires_and_the_keep_alive_clock_starts_after_it() {
        let activity = ConnectionActivity::new();
        tokio::time::sleep(Duration::from_secs(9)).await;
        let request = activity.begin();
        assert!(
            !expires_within(&activity, Duration::from_secs(3600)).await,
            "a slow response is not an idle connection"
        );
        drop(request);
        assert!(!expires_within(&activity, Duration::from_millis(14_999)).await);
        assert!(expires_within(&activity, Duration::from_millis(2)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_still_being_written_keeps_the_connection() {
        let activity = ConnectionActivity::new();
        drop(activity.begin());
        // A slow reader takes a large response for a minute after the framework is done with
        // it: the keep-alive clock runs from the last write, 60 s + 15 s after the start.
        let writer = {
            let activity = Arc::clone(&activity);
            tokio::spawn(async move {
                for _ in 0..60 {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    activity.wrote();
                }
            })
        };
        assert!(!expires_within(&activity, Duration::from_millis(74_900)).await);
        assert!(expires_within(&activity, Duration::from_millis(200)).await);
        writer.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn pipelined_requests_keep_the_connection_busy_until_the_last_is_done() {
        let activity = ConnectionActivity::new();
        let first = activity.begin();
        let second = activity.begin();
        drop(first);
        assert!(!expires_within(&activity, Duration::from_secs(60)).await);
        drop(second);
        assert!(expires_within(&activity, Duration::from_secs(16)).await);
    }
}
