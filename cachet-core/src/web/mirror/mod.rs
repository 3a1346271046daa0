//! A failover mirror of the public page in object storage (feature `mirror`).
//!
//! A status page must stay up when its own host, database or region is down. The mirror
//! publishes every public answer a guest can reach to any [`ObjectStore`] (S3 and
//! S3-compatible stores, Google Cloud Storage, Azure, a local directory), so a bucket website
//! or a CDN in front of it keeps the page up:
//!
//! - **What**: the status page, the incident, maintenance and component pages, the
//!   Statuspage v2 JSON (`/api/v2/*.json`), the feeds (RSS, Atom, iCalendar), the badges,
//!   the metrics' chart data and the static assets. Each is fetched as a guest's `GET`
//!   through [`Cachet::handle`] (the snapshot cache's answer: the very bytes a visitor gets),
//!   and stored with its `Content-Type`, `Cache-Control` and `Content-Language`.
//! - **Keys**: an object's key is the path the pages link it by, without the leading slash
//!   (`/incidents/12` is `incidents/12`, `/api/v2/summary.json` is `api/v2/summary.json`);
//!   the home `/` is `index.html` (under a mount path `/status`: `status` and
//!   `status/index.html`), and the page's own 404 page is `404.html`. Served at the public
//!   URL's origin, every link of the pages resolves. Query strings do not exist in an object
//!   store: `/?start_date=...` (older history) and `/metrics/{id}?filter=...` show the
//!   default view.
//! - **Forms**: `/subscribe` (the only form a public page links to) is a read-only stand-in
//!   page saying that subscribing and signing in work on the live site only. Nothing a form
//!   posts to, no API v1, no dashboard, no sign-in page is ever published.
//! - **Nothing per visitor**: the requests carry no cookie, token or address; an answer with
//!   `Set-Cookie`, `Cache-Control: private` or `no-store`, or a page with a form, fails the
//!   publish instead of being published.
//! - **Changes only**: a manifest object (`.cachet-mirror.json` under the prefix: object
//!   keys and content hashes, nothing else) records what was published; an object is
//!   uploaded when its hash (body and attributes) changed, and an object of the manifest
//!   the page no longer has (a deleted incident) is deleted. Objects the manifest does not
//!   name are never touched.
//!
//! [`Background::with_mirror`] runs it beside the notification dispatcher: it polls the
//! store's revision (every write bumps it), waits for a burst of writes to settle
//! ([`MirrorConfig::debounce`]), publishes, and retries failures with exponential back-off.
//! It reads the page only through the snapshot cache and never holds a lock a request
//! needs, so a slow or failing bucket never affects serving.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use cachet_core::web::mirror::{Mirror, MirrorConfig};
//! # async fn run(cachet: cachet_core::Cachet) {
//! let bucket = Arc::new(object_store::memory::InMemory::new());
//! let mirror = Mirror::new(MirrorConfig::new(bucket));
//! let background = cachet.start_background(Vec::new()).with_mirror(mirror.clone());
//! // ... serve; `mirror.stats()` tells what was published ...
//! background.shutdown().await;
//! # }
//! ```

mod collect;
mod links;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt as _, PutOptions, PutPayload,
};
use tokio::sync::watch;

use crate::Cachet;
use crate::notify::Background;

/// The manifest's object name under the prefix.
const MANIFEST: &str = ".cachet-mirror.json";

/// Where and how often the mirror publishes. Build it with [`MirrorConfig::new`] and change
/// the fields you need.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MirrorConfig {
    /// The bucket (or directory) the page is published to.
    pub store: Arc<dyn ObjectStore>,
    /// The key prefix inside it (empty: the bucket's root). `object_store::parse_url`
    /// returns it with the store for a URL such as `s3://bucket/prefix`.
    pub prefix: Path,
    /// How often the store's revision is read to notice writes (default 1 s).
    pub poll: Duration,
    /// A publish waits until the revision has not moved for this long, so a burst of writes
    /// makes one publish (default 2 s).
    pub debounce: Duration,
    /// ... but never longer than this after the first write it waits for (default 30 s).
    pub max_delay: Duration,
    /// Republish (uploading only what changed) at least this often without writes, since
    /// what the page shows moves with time: maintenance starts, the history bars' days
    /// (default 5 minutes).
    pub refresh: Duration,
    /// The first wait after a failed publish; each further failure doubles it (default 1 s).
    pub retry_min: Duration,
    /// The longest wait between attempts (default 5 minutes).
    pub retry_max: Duration,
    /// How paths become keys (default [`Layout::Keys`]).
    pub layout: Layout,
}

/// How the mirror names objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// An object per linked path, named as the path (`components/3` and
    /// `components/3/badge.svg`): object stores, bucket websites and CDNs.
    #[default]
    Keys,
    /// As `Keys`, except that a path with paths below it is `<path>/index.html`
    /// (`components/3/index.html` beside `components/3/badge.svg`): a file system, where
    /// `components/3` cannot be a file and a directory at once. The web server in front
    /// serves `<path>/index.html` for `<path>` (nginx: `try_files $uri $uri/index.html`).
    Directories,
}

impl MirrorConfig {
    /// The defaults, publishing to the root of `store`.
    #[must_use]
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            prefix: Path::default(),
            poll: Duration::from_secs(1),
            debounce: Duration::from_secs(2),
            max_delay: Duration::from_secs(30),
            refresh: Duration::from_secs(300),
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            layout: Layout::Keys,
        }
    }

    /// The same, under a key prefix.
    #[must_use]
    pub fn with_prefix(mut self, prefix: Path) -> Self {
        self.prefix = prefix;
        self
    }
}

/// Why a publish failed. The background loop logs it and tries again after a back-off; what
/// was published before stays.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MirrorError {
    /// The object store refused or failed a request.
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    /// The status page's data could not be read.
    #[error("the status page could not be read: {0}")]
    Cachet(#[from] crate::Error),
    /// A page answered neither `200` nor `404`: nothing is published until it does.
    #[error("{path} answered {status}")]
    Render {
        /// The path under the mount point.
        path: String,
        /// Its status code.
        status: u16,
    },
    /// A page was served from memory while the store is down: nothing is published until
    /// the store answers again.
    #[error("{path} was served stale (the store is down)")]
    Stale {
        /// The path under the mount point.
        path: String,
    },
    /// An answer carried something per visitor; it is never published.
    #[error("{path} carries {what}: not published")]
    PerVisitor {
        /// The path under the mount point.
        path: String,
        /// What it carried.
        what: &'static str,
    },
    /// The manifest in the bucket is not one this crate wrote.
    #[error("the mirror manifest is unreadable")]
    Manifest,
}

/// What one publish did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// The store revision the published page shows (at least).
    pub revision: u64,
    /// How many objects the mirror holds now.
    pub objects: usize,
    /// How many were uploaded (new or changed).
    pub uploaded: usize,
    /// How many were deleted (no longer on the page).
    pub deleted: usize,
}

/// Counters of a [`Mirror`] since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MirrorStats {
    /// Publishes that completed.
    pub publishes: u64,
    /// Publishes that failed (each retried).
    pub failures: u64,
    /// Objects uploaded, over all publishes.
    pub uploaded: u64,
    /// Objects deleted, over all publishes.
    pub deleted: u64,
    /// The revision of the last completed publish, if any.
    pub last_revision: Option<u64>,
}

/// The mirror of one site: publishes with [`Mirror::publish`], or in the background with
/// [`Background::with_mirror`].
#[derive(Debug)]
pub struct Mirror {
    config: MirrorConfig,
    /// What the bucket holds as far as this process knows: `None` until the manifest is read.
    published: tokio::sync::Mutex<Option<Published>>,
    publishes: AtomicU64,
    failures: AtomicU64,
    uploaded: AtomicU64,
    deleted: AtomicU64,
    /// The last published revision plus one (0: none yet).
    last_revision: AtomicU64,
    /// The store refused attributes once (`NotImplemented`): objects go without them.
    no_attributes: AtomicBool,
}

/// The manifest as held in memory.
#[derive(Debug, Default)]
struct Published {
    /// Object key (under the prefix) to content hash; `""` while an upload is pending.
    objects: BTreeMap<String, String>,
    /// Whether the bucket's manifest differs from `objects`.
    dirty: bool,
}

impl Mirror {
    /// A mirror with this configuration.
    #[must_use]
    pub fn new(config: MirrorConfig) -> Arc<Self> {
        Arc::new(Self {
            config,
            published: tokio::sync::Mutex::new(None),
            publishes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            uploaded: AtomicU64::new(0),
            deleted: AtomicU64::new(0),
            last_revision: AtomicU64::new(0),
            no_attributes: AtomicBool::new(false),
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &MirrorConfig {
        &self.config
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> MirrorStats {
        MirrorStats {
            publishes: self.publishes.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            uploaded: self.uploaded.load(Ordering::Relaxed),
            deleted: self.deleted.load(Ordering::Relaxed),
            last_revision: self.last_revision.load(Ordering::Relaxed).checked_sub(1),
        }
    }

    fn key(&self, key: &str) -> Path {
        key.split('/')
            .fold(self.config.prefix.clone(), |path, part| path.join(part))
    }

    /// Publishes the page as a guest sees it now: uploads what changed since the last
    /// publish, deletes what the page no longer has, and writes the manifest when anything
    /// changed. One publish runs at a time.
    ///
    /// # Errors
    ///
    /// [`MirrorError`]: the store is down (nothing is published or deleted), an answer holds
    /// something per visitor, or the object store failed (what was done is remembered, and
    /// the next publish does the rest).
    pub async fn publish(&self, cachet: &Cachet) -> Result<PublishReport, MirrorError> {
        let result = self.publish_once(cachet).await;
        match &result {
            Ok(report) => {
                self.publishes.fetch_add(1, Ordering::Relaxed);
                self.uploaded
                    .fetch_add(report.uploaded as u64, Ordering::Relaxed);
                self.deleted
                    .fetch_add(report.deleted as u64, Ordering::Relaxed);
                self.last_revision
                    .store(report.revision.saturating_add(1), Ordering::Relaxed);
            }
            Err(_) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
            }
        }
        result
    }

    async fn publish_once(&self, cachet: &Cachet) -> Result<PublishReport, MirrorError> {
        let mut guard = self.published.lock().await;
        // Read before rendering: a write during the publish moves the revision past it and
        // causes the next publish.
        let revision = cachet
            .store()
            .revision()
            .await
            .map_err(crate::Error::from)?;
        let objects = collect::collect(cachet, self.config.layout).await?;
        if guard.is_none() {
            *guard = Some(self.read_manifest().await?);
        }
        let Some(published) = guard.as_mut() else {
            return Err(MirrorError::Manifest);
        };
        // Write-ahead: a key is in the bucket's manifest before its object exists, so a
        // crash between the two cannot leave an object no manifest names (never deleted).
        let mut added = false;
        for key in objects.keys() {
            if !published.objects.contains_key(key) {
                published.objects.insert(key.clone(), String::new());
                added = true;
            }
        }
        if added {
            published.dirty = true;
            self.write_manifest(published).await?;
        }
        let mut report = PublishReport {
            revision,
            objects: objects.len(),
            ..PublishReport::default()
        };
        // Deletions first: what goes away may stand where a new object goes (on a file
        // system `components/3` the file, before `components/3/index.html`).
        let gone: Vec<String> = published
            .objects
            .keys()
            .filter(|k| !objects.contains_key(*k))
            .cloned()
            .collect();
        for key in gone {
            match self.config.store.delete(&self.key(&key)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            published.objects.remove(&key);
            published.dirty = true;
            report.deleted += 1;
        }
        for (key, object) in &objects {
            let hash = object.hash();
            if published.objects.get(key) == Some(&hash) {
                continue;
            }
            let mut attributes = Attributes::new();
            attributes.insert(Attribute::ContentType, object.content_type.clone().into());
            attributes.insert(Attribute::CacheControl, object.cache_control.clone().into());
            if let Some(language) = &object.content_language {
                attributes.insert(Attribute::ContentLanguage, language.clone().into());
            }
            self.put(key, object.body.clone(), attributes).await?;
            published.objects.insert(key.clone(), hash);
            published.dirty = true;
            report.uploaded += 1;
        }
        if published.dirty {
            self.write_manifest(published).await?;
        }
        Ok(report)
    }

    async fn read_manifest(&self) -> Result<Published, MirrorError> {
        let got = match self.config.store.get(&self.key(MANIFEST)).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(Published::default()),
            Err(e) => return Err(e.into()),
        };
        let bytes = got.bytes().await?;
        let objects: BTreeMap<String, String> =
            serde_json::from_slice(&bytes).map_err(|_| MirrorError::Manifest)?;
        Ok(Published {
            objects,
            dirty: false,
        })
    }

    async fn write_manifest(&self, published: &mut Published) -> Result<(), MirrorError> {
        let body =
            serde_json::to_vec_pretty(&published.objects).map_err(|_| MirrorError::Manifest)?;
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, "application/json".into());
        attributes.insert(Attribute::CacheControl, "no-cache".into());
        self.put(MANIFEST, Bytes::from(body), attributes).await?;
        published.dirty = false;
        Ok(())
    }

    /// Uploads one object with its attributes; to a store that keeps none (a local
    /// directory: the web server in front decides the types), without them.
    async fn put(&self, key: &str, body: Bytes, attributes: Attributes) -> Result<(), MirrorError> {
        let location = self.key(key);
        if !self.no_attributes.load(Ordering::Relaxed) {
            let options = PutOptions {
                attributes,
                ..PutOptions::default()
            };
            match self
                .config
                .store
                .put_opts(&location, PutPayload::from(body.clone()), options)
                .await
            {
                Ok(_) => return Ok(()),
                Err(object_store::Error::NotImplemented { .. }) => {
                    tracing::warn!(
                        target: "cachet::mirror",
                        "the mirror's store keeps no Content-Type or Cache-Control: the server in front of it must set them"
                    );
                    self.no_attributes.store(true, Ordering::Relaxed);
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.config
            .store
            .put_opts(&location, PutPayload::from(body), PutOptions::default())
            .await?;
        Ok(())
    }

    /// The background loop: publish at start, then after every settled burst of writes and
    /// every [`MirrorConfig::refresh`], with back-off after failures, until `stop` is set.
    async fn run(self: Arc<Self>, cachet: Cachet, mut stop: watch::Receiver<bool>) {
        let config = self.config.clone();
        // Sleeps, or answers `true` when told to stop.
        let mut pause = async |d: Duration| -> bool {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => true,
                () = tokio::time::sleep(d) => false,
            }
        };
        let revision = async || {
            tokio::time::timeout(
                config.poll.max(Duration::from_secs(1)),
                cachet.store().revision(),
            )
            .await
            .ok()
            .and_then(Result::ok)
        };
        let mut published: Option<u64> = None;
        let mut last = Instant::now();
        let mut failures: u32 = 0;
        loop {
            let Some(now) = revision().await else {
                if pause(config.poll).await {
                    return;
                }
                continue;
            };
            let due = published.is_none_or(|p| p != now) || last.elapsed() >= config.refresh;
            if !due {
                if pause(config.poll).await {
                    return;
                }
                continue;
            }
            if published.is_some_and(|p| p != now) {
                // Debounce: one publish per burst of writes.
                let first = Instant::now();
                let mut seen = now;
                loop {
                    if pause(config.debounce).await {
                        return;
                    }
                    match revision().await {
                        Some(r) if r != seen && first.elapsed() < config.max_delay => seen = r,
                        _ => break,
                    }
                }
            }
            let started = Instant::now();
            match self.publish(&cachet).await {
                Ok(report) => {
                    failures = 0;
                    published = Some(report.revision);
                    last = Instant::now();
                    // A change at info; a publish that changed nothing (a refresh) at debug.
                    if report.uploaded + report.deleted > 0 {
                        tracing::info!(
                            target: "cachet::mirror",
                            revision = report.revision,
                            objects = report.objects,
                            uploaded = report.uploaded,
                            deleted = report.deleted,
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "mirror published"
                        );
                    } else {
                        tracing::debug!(
                            target: "cachet::mirror",
                            revision = report.revision,
                            objects = report.objects,
                            uploaded = 0,
                            deleted = 0,
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "mirror published"
                        );
                    }
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff(config.retry_min, config.retry_max, failures);
                    tracing::warn!(
                        target: "cachet::mirror",
                        error = %crate::log::Escaped(&error),
                        retry_in_ms = wait.as_millis() as u64,
                        "mirror publish failed"
                    );
                    if pause(wait).await {
                        return;
                    }
                }
            }
        }
    }
}

/// The wait after the `failures`-th failure in a row: `min` doubled each time, at most `max`.
fn backoff(min: Duration, max: Duration, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    min.saturating_mul(1u32 << doublings).min(max)
}

impl Background {
    /// Runs `mirror` with the background work: it publishes the page at once, then after
    /// every burst of writes, until [`Background::shutdown`] (which waits for a publish in
    /// flight like for the other tasks).
    #[must_use = "dropping Background stops the status page's background work"]
    pub fn with_mirror(mut self, mirror: Arc<Mirror>) -> Self {
        self.spawn_beside(move |cachet, stop| mirror.run(cachet, stop));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_minimum_up_to_the_maximum() {
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(60));
        let waits: Vec<u64> = (1..=8).map(|n| backoff(min, max, n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(min, max, u32::MAX), max);
    }
}
