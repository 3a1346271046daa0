//! The cache's state: the site at the current revision, the slots (one per key) with their
//! single-flight cells, eviction, and the bookkeeping of local writes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use tokio::sync::OnceCell;

use super::entry::Entry;
use super::key::Key;
use super::{LOCAL_WRITE_SETTLE, SnapshotStats};
use crate::Cachet;
use crate::clock::Timestamp;
use crate::validate::HttpUrl;
use crate::web_config::SnapshotConfig;

/// What the cache knows of the site at one revision.
#[derive(Debug)]
pub(super) struct Site {
    pub(super) revision: u64,
    pub(super) automatic_localization: bool,
    /// The `app_locale` setting: the locale when `Accept-Language` names no supported one.
    pub(super) app_locale: String,
    pub(super) allowed_domains: Vec<HttpUrl>,
}

pub(super) type Cell = Arc<OnceCell<Option<Arc<Entry>>>>;

#[derive(Debug)]
pub(super) struct Slot {
    pub(super) revision: u64,
    /// When the slot was made, by the facade's clock.
    pub(super) born: Timestamp,
    pub(super) cell: Cell,
    pub(super) used: u64,
    /// While `cell` renders because the previous one aged out (the revision unchanged), the
    /// previous answer, served to everyone but the one request that renders, and only while
    /// that request is still rendering (`rendering`). Dropped once `cell` holds its answer.
    pub(super) stale: Option<Arc<Entry>>,
    /// Set while `cell` is being rendered; cleared by its [`RenderGuard`] when the render's
    /// job ends or is dropped before it started (a client that went away).
    pub(super) rendering: Arc<AtomicBool>,
    /// The key's last answer of an earlier revision or age, kept until `cell` holds a new
    /// one: served only when the store cannot answer in time (stale-if-error).
    pub(super) fallback: Option<Arc<Entry>>,
}

/// What a lookup found for a key: the cell to read or fill, and the answer to serve meanwhile.
pub(super) struct Found {
    pub(super) cell: Cell,
    /// Held by the request that made `cell` (it renders); `None` for everyone else.
    pub(super) renderer: Option<RenderGuard>,
    /// The same revision's previous answer, while `cell` is being re-rendered for age by a
    /// request that is still at it.
    pub(super) stale: Option<Arc<Entry>>,
    /// Whether the path already had another entry when this one was made: the key is one
    /// more variant (a query value, a locale) of a path already cached, the only way one
    /// client can make renders without end, so its render pays the address's budget. The
    /// first entry of a path does not: after a write every page is a miss for whoever comes
    /// first (a visitor or a crawler reading many pages), and the number of paths is that of
    /// the site's content.
    pub(super) extra_variant: bool,
    /// The key's last answer of any revision, served if the render fails or times out.
    pub(super) fallback: Option<Arc<Entry>>,
}

/// Marks a slot's render as in progress until dropped. It moves into the render's job, so it
/// lives as long as the render does: past the deadline of the request that started it (the
/// readers keep getting the previous answer, not a wait), and no longer (a job that ends
/// without an answer, or is dropped unstarted when its request went away, clears the mark,
/// so the next reader renders instead of being served the previous answer without end).
pub(super) struct RenderGuard(Arc<AtomicBool>);

impl Drop for RenderGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The snapshot cache's state, held by the facade.
#[derive(Debug)]
pub(crate) struct Snapshots {
    pub(super) config: SnapshotConfig,
    pub(super) base: Instant,
    /// Nanoseconds since `base` (+1) when the revision was last read; 0: never.
    pub(super) last_poll: AtomicU64,
    /// Nanoseconds since `base` (+1) when a local write was last noted; 0: never.
    pub(super) last_write: AtomicU64,
    /// Nanoseconds since `base` (+1) when a facade write last began; 0: never.
    pub(super) write_started: AtomicU64,
    pub(super) site: RwLock<Option<Arc<Site>>>,
    pub(super) slots: Mutex<HashMap<Key, Slot>>,
    pub(super) tick: AtomicU64,
    pub(super) renders: AtomicU64,
    pub(super) hits: AtomicU64,
    pub(super) revision_reads: AtomicU64,
    pub(super) stale_served: AtomicU64,
    pub(super) renders_refused: AtomicU64,
    /// Nanoseconds since `base` (+1) until which the store is taken as down; 0: it is not.
    pub(super) down_until: AtomicU64,
    pub(super) stale_if_error: AtomicU64,
    pub(super) unavailable: AtomicU64,
    pub(super) late_renders: AtomicU64,
    pub(super) late_fills: AtomicU64,
    /// Where renders run: [`SnapshotConfig::max_concurrent_renders`] threads of their own,
    /// apart from the process-wide [`crate::cpu::offload`] threads, so renders never queue
    /// behind a flood of password hashes, and at normal priority, so they finish on a busy
    /// host.
    pub(super) render_threads: crate::cpu::Offloader,
}

impl Snapshots {
    /// An empty cache.
    pub(crate) fn new(config: SnapshotConfig) -> Self {
        Self {
            base: Instant::now(),
            last_poll: AtomicU64::new(0),
            last_write: AtomicU64::new(0),
            write_started: AtomicU64::new(0),
            site: RwLock::new(None),
            slots: Mutex::new(HashMap::new()),
            tick: AtomicU64::new(0),
            renders: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            revision_reads: AtomicU64::new(0),
            stale_served: AtomicU64::new(0),
            renders_refused: AtomicU64::new(0),
            down_until: AtomicU64::new(0),
            stale_if_error: AtomicU64::new(0),
            unavailable: AtomicU64::new(0),
            late_renders: AtomicU64::new(0),
            late_fills: AtomicU64::new(0),
            // Renders are bounded by the cache, the per-client render limit and these
            // threads; they must finish on a saturated host, so they are not made to yield
            // like password hashing.
            render_threads: crate::cpu::Offloader::keeping_priority(
                "cachet-render",
                config.max_concurrent_renders,
            ),
            config,
        }
    }

    pub(super) fn now(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    /// Notes that this process is about to write (the facade, before a store write): reads
    /// re-read the revision during [`LOCAL_WRITE_SETTLE`], so they see it once committed.
    pub(crate) fn note_write_started(&self) {
        let now = self.now();
        self.write_started.fetch_max(now, Ordering::AcqRel);
        self.last_write.fetch_max(now, Ordering::AcqRel);
    }

    /// Notes that this process answered a request that may have written: the next read
    /// re-reads the revision once.
    pub(crate) fn note_write_done(&self) {
        self.last_write.fetch_max(self.now(), Ordering::AcqRel);
    }

    pub(crate) fn stats(&self) -> SnapshotStats {
        SnapshotStats {
            entries: self.slots.lock().map(|s| s.len()).unwrap_or(0),
            renders: self.renders.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
            revision_reads: self.revision_reads.load(Ordering::Relaxed),
            stale_served: self.stale_served.load(Ordering::Relaxed),
            renders_refused: self.renders_refused.load(Ordering::Relaxed),
            stale_if_error: self.stale_if_error.load(Ordering::Relaxed),
            unavailable: self.unavailable.load(Ordering::Relaxed),
            late_renders: self.late_renders.load(Ordering::Relaxed),
            late_fills: self.late_fills.load(Ordering::Relaxed),
        }
    }

    pub(super) fn current_site(&self) -> Option<Arc<Site>> {
        self.site.read().ok().and_then(|s| s.clone())
    }

    /// The site at the current revision, re-reading the revision when due; `None` when the
    /// store is known down or does not answer by the revision deadline (nor by `until`, the
    /// read's own deadline), and is then noted as down.
    pub(super) async fn site(&self, cachet: &Cachet, until: Instant) -> Option<Arc<Site>> {
        let deadline = self
            .config
            .revision_deadline
            .min(until.saturating_duration_since(Instant::now()));
        if self.store_known_down() {
            return None;
        }
        let now = self.now();
        let last_poll = self.last_poll.load(Ordering::Acquire);
        let last_write = self.last_write.load(Ordering::Acquire);
        let write_started = self.write_started.load(Ordering::Acquire);
        let current = self.current_site();
        let poll_nanos = u64::try_from(self.config.revision_poll.as_nanos()).unwrap_or(u64::MAX);
        let settle = u64::try_from(LOCAL_WRITE_SETTLE.as_nanos()).unwrap_or(u64::MAX);
        let due = current.is_none()
            || last_poll == 0
            || now.saturating_sub(last_poll) >= poll_nanos
            || last_write >= last_poll
            || (write_started != 0 && now.saturating_sub(write_started) < settle)
            // After an outage, nothing is current until the store answered again: what the
            // cache holds is served as stale (with `Age`) until the probe succeeds.
            || self.down_until.load(Ordering::Acquire) != 0;
        if !due {
            return current;
        }
        if !self.may_ask_store(deadline) {
            return None;
        }
        self.last_poll.fetch_max(now, Ordering::AcqRel);
        self.revision_reads.fetch_add(1, Ordering::Relaxed);
        // One deadline for both reads: a store that is slow to answer the tiny revision
        // query is failing, and no reader waits with it.
        let read = async {
            let revision = cachet.store().revision().await.ok()?;
            if let Some(site) = &current
                && site.revision == revision
            {
                return Some((revision, None));
            }
            Some((revision, Some(cachet.settings().await.ok()?)))
        };
        let Ok(Some((revision, settings))) = tokio::time::timeout(deadline, read).await else {
            self.note_store_down();
            return None;
        };
        self.note_store_up();
        let Some(settings) = settings else {
            return current;
        };
        let site = Arc::new(Site {
            revision,
            automatic_localization: settings.automatic_localization,
            app_locale: settings.app_locale.as_str().to_owned(),
            allowed_domains: settings.allowed_domains,
        });
        if let Ok(mut held) = self.site.write()
            && held.as_ref().is_none_or(|s| s.revision <= revision)
        {
            *held = Some(site.clone());
        }
        // Slots of older revisions stay (bounded by `max_entries`): each is re-rendered when
        // its key is next read, and until then it is the answer served if the store fails.
        Some(site)
    }

    /// The cell of a key at a revision, inserted (evicting as needed) when missing or too
    /// old. A slot that only aged (same revision) keeps its answer as `stale` while the new
    /// cell renders: the content moved with time only, so the previous answer is still a
    /// correct answer for the few milliseconds of the render (server-side
    /// stale-while-revalidate), and readers do not queue behind the render. A new revision
    /// never does this: a write is visible on the very next read.
    pub(super) fn cell(&self, key: &Key, revision: u64, now: Timestamp) -> Option<Found> {
        let used = self.tick.fetch_add(1, Ordering::Relaxed);
        let max_age = chrono::TimeDelta::from_std(self.config.max_render_age)
            .unwrap_or(chrono::TimeDelta::MAX);
        let mut slots = self.slots.lock().ok()?;
        let mut aged = false;
        if let Some(slot) = slots.get_mut(key)
            && slot.revision == revision
            && slot.born <= now
        {
            if now - slot.born < max_age {
                slot.used = used;
                if slot.cell.initialized() {
                    slot.stale = None;
                }
                let rendering = slot.rendering.load(Ordering::Acquire);
                return Some(Found {
                    cell: slot.cell.clone(),
                    renderer: None,
                    stale: slot.stale.clone().filter(|_| rendering),
                    extra_variant: false,
                    fallback: slot.fallback.clone(),
                });
            }
            aged = true;
        }
        // The key's last answer, of whatever revision: served meanwhile if it only aged, and
        // kept in any case for when the store cannot answer.
        let fallback = slots.remove(key).and_then(|old| {
            old.cell
                .get()
                .cloned()
                .flatten()
                .or(old.fallback)
                .or(old.stale)
        });
        let stale = if aged { fallback.clone() } else { None };
        let max_variants = self.config.max_variants_per_path.max(1);
        let same_path = slots.keys().filter(|k| k.path == key.path).count();
        if same_path >= max_variants {
            evict_lru(&mut slots, |k| k.path == key.path);
        }
        while slots.len() >= self.config.max_entries.max(1) {
            if !evict_lru(&mut slots, |_| true) {
                break;
            }
        }
        let cell: Cell = Arc::new(OnceCell::new());
        let rendering = Arc::new(AtomicBool::new(true));
        slots.insert(
            key.clone(),
            Slot {
                revision,
                born: now,
                cell: cell.clone(),
                used,
                stale,
                rendering: rendering.clone(),
                fallback: fallback.clone(),
            },
        );
        // The renderer itself never serves the previous answer: it is not handed one.
        Some(Found {
            cell,
            renderer: Some(RenderGuard(rendering)),
            extra_variant: same_path > 0,
            stale: None,
            fallback,
        })
    }

    /// Drops a slot's previous answer once its cell holds the new one, so a key that goes
    /// cold right after a re-render does not keep two answers in memory.
    pub(super) fn settled(&self, key: &Key, cell: &Cell) {
        if let Ok(mut slots) = self.slots.lock()
            && let Some(slot) = slots.get_mut(key)
            && Arc::ptr_eq(&slot.cell, cell)
        {
            slot.stale = None;
            slot.fallback = None;
        }
    }

    /// Forgets a key's slot if it still holds this cell (its answer was not cacheable).
    pub(super) fn forget(&self, key: &Key, cell: &Cell) {
        if let Ok(mut slots) = self.slots.lock()
            && slots.get(key).is_some_and(|s| Arc::ptr_eq(&s.cell, cell))
        {
            slots.remove(key);
        }
    }
}

/// Removes the least recently used slot among those matching; whether one was removed.
pub(super) fn evict_lru(slots: &mut HashMap<Key, Slot>, matching: impl Fn(&Key) -> bool) -> bool {
    let victim = slots
        .iter()
        .filter(|(k, _)| matching(k))
        .min_by_key(|(_, s)| s.used)
        .map(|(k, _)| k.clone());
    match victim {
        Some(k) => slots.remove(&k).is_some(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    use super::super::key::Surface;
    use bytes::Bytes;
    use http::HeaderMap;

    /// A render must finish on a host whose own service saturates the CPU: its threads are
    /// not dropped to batch priority as password hashing is.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn renders_run_at_the_hosts_priority_not_batch() {
        let snapshots = Snapshots::new(SnapshotConfig::default());
        let policy = snapshots
            .render_threads
            .run(thread_priority::thread_schedule_policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(policy, thread_priority::thread_schedule_policy().unwrap());
        assert_ne!(
            policy,
            thread_priority::ThreadSchedulePolicy::Normal(
                thread_priority::NormalThreadSchedulePolicy::Batch
            )
        );
    }

    fn entry(body: &'static str) -> Arc<Entry> {
        Arc::new(Entry {
            headers: HeaderMap::new(),
            identity: Bytes::from_static(body.as_bytes()),
            gzip: None,
            brotli: None,
            tag: body.to_owned(),
            vary: "Accept-Encoding",
            cors: false,
            born: Instant::now(),
        })
    }

    fn body(e: &Option<Arc<Entry>>) -> Option<&[u8]> {
        e.as_ref().map(|e| e.identity.as_ref())
    }

    /// Server-side stale-while-revalidate, step by step: an entry that only aged is re-rendered
    /// by the one lookup that finds it aged, while every other lookup gets the previous answer
    /// until the new one is in, and only while that render is alive; a new revision never
    /// serves the old answer.
    #[test]
    fn an_aged_entry_is_served_stale_only_while_its_rerender_runs() {
        let snapshots = Snapshots::new(SnapshotConfig::default());
        let key = Key {
            surface: Surface::Page,
            path: "/".to_owned(),
            query: String::new(),
            language: String::new(),
            zone: String::new(),
        };
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-24T00:00:00Z")
            .unwrap()
            .to_utc();
        let first = snapshots.cell(&key, 1, t0).unwrap();
        assert!(first.renderer.is_some() && first.stale.is_none());
        first.cell.set(Some(entry("v1"))).unwrap();
        drop(first.renderer);
        // Fresh: the same cell, nothing stale.
        let again = snapshots.cell(&key, 1, t0).unwrap();
        assert!(again.renderer.is_none() && again.stale.is_none());
        assert!(Arc::ptr_eq(&again.cell, &first.cell));
        // Aged, same revision: this lookup renders anew (and is not offered the old answer) ...
        let t1 = t0 + chrono::TimeDelta::seconds(11);
        let renderer = snapshots.cell(&key, 1, t1).unwrap();
        assert!(renderer.renderer.is_some() && renderer.stale.is_none());
        assert!(!renderer.cell.initialized());
        // ... and every lookup while it renders is offered the old answer.
        for _ in 0..3 {
            let reader = snapshots.cell(&key, 1, t1).unwrap();
            assert!(reader.renderer.is_none());
            assert!(Arc::ptr_eq(&reader.cell, &renderer.cell));
            assert_eq!(body(&reader.stale), Some(&b"v1"[..]));
        }
        // Once the new answer is in, the old one is gone.
        renderer.cell.set(Some(entry("v2"))).unwrap();
        drop(renderer.renderer);
        snapshots.settled(&key, &renderer.cell);
        let after = snapshots.cell(&key, 1, t1).unwrap();
        assert!(after.renderer.is_none() && after.stale.is_none());
        assert_eq!(body(&after.cell.get().cloned().flatten()), Some(&b"v2"[..]));
        // A re-render whose request went away: the next readers are not served the old
        // answer (they take the render over through the cell) ...
        let t2 = t1 + chrono::TimeDelta::seconds(11);
        let abandoned = snapshots.cell(&key, 1, t2).unwrap();
        assert!(abandoned.renderer.is_some());
        let reader = snapshots.cell(&key, 1, t2).unwrap();
        assert_eq!(body(&reader.stale), Some(&b"v2"[..]), "while it renders");
        drop(abandoned);
        let reader = snapshots.cell(&key, 1, t2).unwrap();
        assert!(
            reader.renderer.is_none() && reader.stale.is_none(),
            "after it went away"
        );
        assert!(!reader.cell.initialized());
        // A new revision: no stale answer, whatever the age.
        let t3 = t2 + chrono::TimeDelta::seconds(11);
        let written = snapshots.cell(&key, 2, t3).unwrap();
        assert!(written.renderer.is_some() && written.stale.is_none());
        let waiting = snapshots.cell(&key, 2, t3).unwrap();
        assert!(waiting.renderer.is_none() && waiting.stale.is_none());
    }
}
