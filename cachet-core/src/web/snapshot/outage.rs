//! Serving through a store outage (stale-if-error).
//!
//! A status page is read most when something is down, and the database may be what is down.
//! So no public read waits for the store longer than its deadline
//! ([`SnapshotConfig::revision_deadline`] for the revision check, and
//! [`SnapshotConfig::render_deadline`] for the whole read): when the store does not answer in
//! time, the answer this cache holds for the key is served as it stands, whatever its
//! revision or age, with `Age` (seconds since it was rendered), and a key with nothing held
//! answers `503` with `Retry-After`, never a hang and never a `500`.
//!
//! A render that is late while the store still answers a quick revision read (the machine is
//! busy: a flood of sign-ins hashing passwords, a large page on a loaded host) is served the
//! same way but says nothing about the store: the render goes on and fills the cache when it
//! is done, and writes are not refused.
//!
//! A store that failed or missed its deadline is taken as down for
//! [`SnapshotConfig::outage_backoff`]: reads do not ask it at all (they are answered from
//! memory at once), and writes answer `503` with `Retry-After` at once instead of each
//! waiting for a connection. When the backoff is over, one read probes the store (the others
//! keep being served from memory while it does), and its success ends the outage.
//!
//! [`SnapshotConfig::revision_deadline`]: crate::web_config::SnapshotConfig::revision_deadline
//! [`SnapshotConfig::render_deadline`]: crate::web_config::SnapshotConfig::render_deadline
//! [`SnapshotConfig::outage_backoff`]: crate::web_config::SnapshotConfig::outage_backoff

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};

use super::entry::{Entry, serve};
use super::key::Key;
use super::state::{Site, Snapshots};
use crate::web::response;

/// Nanoseconds of a duration, saturating.
pub(super) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Snapshots {
    /// Whether the store is taken as down now (it failed to answer in time within the last
    /// [`crate::web_config::SnapshotConfig::outage_backoff`], or a probe of it is under way).
    pub(crate) fn store_known_down(&self) -> bool {
        let until = self.down_until.load(Ordering::Acquire);
        until != 0 && self.now() < until
    }

    /// Notes that the store failed to answer in time: it is taken as down for the backoff.
    pub(crate) fn note_store_down(&self) {
        let until = self
            .now()
            .saturating_add(nanos(self.config.outage_backoff).max(1));
        self.down_until.fetch_max(until, Ordering::AcqRel);
    }

    /// Notes that the store answered: the outage, if any, is over.
    pub(super) fn note_store_up(&self) {
        self.down_until.store(0, Ordering::Release);
    }

    /// Whether this request may ask the store: always outside an outage; once its backoff is
    /// over, only the one request that claims the probe (the others are held off for the
    /// probe's own deadline, so they are answered from memory meanwhile).
    pub(super) fn may_ask_store(&self, probe: Duration) -> bool {
        let until = self.down_until.load(Ordering::Acquire);
        if until == 0 {
            return true;
        }
        let now = self.now();
        if now < until {
            return false;
        }
        let hold = now.saturating_add(nanos(probe).max(1));
        self.down_until
            .compare_exchange(until, hold, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The `Retry-After` of answers refused because the store is down, in whole seconds.
    pub(crate) fn retry_after_secs(&self) -> u64 {
        let backoff = self.config.outage_backoff;
        (backoff.as_secs() + u64::from(backoff.subsec_nanos() > 0)).max(1)
    }

    /// Whatever this cache holds for a key, of any revision or age: the current cell's
    /// answer, else the previous one kept while a re-render runs or failed.
    pub(super) fn held(&self, key: &Key) -> Option<Arc<Entry>> {
        let slots = self.slots.lock().ok()?;
        let slot = slots.get(key)?;
        slot.cell
            .get()
            .cloned()
            .flatten()
            .or_else(|| slot.fallback.clone())
            .or_else(|| slot.stale.clone())
    }

    /// The answer when the store could not answer in time: the held answer with `Age`, or
    /// `503` with `Retry-After`.
    pub(super) fn outage_answer(
        &self,
        held: Option<Arc<Entry>>,
        req: &Request<Bytes>,
        site: Option<&Site>,
    ) -> Response<Bytes> {
        match (held, site) {
            (Some(entry), Some(site)) => {
                self.stale_if_error.fetch_add(1, Ordering::Relaxed);
                let mut resp = serve(&entry, req, site);
                let age = entry.born.elapsed().as_secs();
                resp.headers_mut()
                    .insert(http::header::AGE, HeaderValue::from(age));
                resp
            }
            _ => {
                self.unavailable.fetch_add(1, Ordering::Relaxed);
                unavailable(self.retry_after_secs())
            }
        }
    }
}

/// `503` with `Retry-After` and a short body: the store cannot answer and nothing cached can.
/// Never stored (`no-store`), so no cache keeps the refusal once the store is back.
pub(crate) fn unavailable(retry_after_secs: u64) -> Response<Bytes> {
    let mut resp = response::plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily unavailable: the database is not answering; retry in a few seconds\n",
    );
    resp.headers_mut().insert(
        http::header::RETRY_AFTER,
        HeaderValue::from(retry_after_secs.max(1)),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web_config::SnapshotConfig;

    /// Down after a failure for the backoff; then exactly one request may probe, the others
    /// are held off while it does; a success ends the outage.
    #[test]
    fn one_probe_after_the_backoff_and_a_success_ends_the_outage() {
        let config = SnapshotConfig {
            outage_backoff: Duration::from_millis(30),
            ..SnapshotConfig::default()
        };
        let snapshots = Snapshots::new(config);
        assert!(!snapshots.store_known_down());
        assert!(snapshots.may_ask_store(Duration::from_secs(1)));
        snapshots.note_store_down();
        assert!(snapshots.store_known_down());
        assert!(!snapshots.may_ask_store(Duration::from_secs(1)));
        assert_eq!(snapshots.retry_after_secs(), 1, "rounded up, at least one");
        std::thread::sleep(Duration::from_millis(40));
        assert!(!snapshots.store_known_down());
        assert!(snapshots.may_ask_store(Duration::from_secs(1)), "the probe");
        assert!(!snapshots.may_ask_store(Duration::from_secs(1)), "held off");
        assert!(snapshots.store_known_down(), "while the probe runs");
        snapshots.note_store_up();
        assert!(!snapshots.store_known_down());
        assert!(snapshots.may_ask_store(Duration::from_secs(1)));
    }

    #[test]
    fn unavailable_says_when_to_come_back_and_is_never_stored() {
        let r = unavailable(5);
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[http::header::RETRY_AFTER], "5");
        assert_eq!(r.headers()[http::header::CACHE_CONTROL], "no-store");
        assert!(r.body().len() < 100);
    }
}
