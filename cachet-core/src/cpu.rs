//! CPU-bound work off the async workers, with a bounded concurrency.
//!
//! Entry point: `cachet_core::cpu::offload(f)` in `cachet-core/src/cpu.rs`:
//!
//! ```text
//! pub async fn offload<T, F>(f: F) -> Result<T, OffloadError>
//! where
//!     F: FnOnce() -> T + Send + 'static,
//!     T: Send + 'static;
//! ```
//!
//! An async worker that spends 100 ms in argon2, in a large Markdown render or in brotli
//! stalls every other request scheduled on it for those 100 ms: a flood of such work turns
//! into latency for unrelated cheap requests (a ping, a cached page). [`offload`] runs the
//! closure on a small fixed set of threads of its own instead, so
//! the workers keep answering, and the flood queues instead of oversubscribing the CPU
//! (the process-wide offloader leaves one core to the workers, see [`global`]).
//!
//! Why dedicated threads rather than tokio's blocking pool: the allocator keeps what a thread
//! allocated in that thread's arena. argon2 allocates 19 MiB per hash and a page render
//! several megabytes; on the blocking pool such work lands on whichever of up to hundreds of
//! pool threads is idle, and each arena it touched kept its peak: a login flood took the
//! binary's resident memory to 726 MB (`bench/login_flood.sh`). A fixed set of threads bounds
//! both the concurrency and the memory that CPU-bound work can ever hold.
//!
//! A closure whose caller went away before it started (the client disconnected while it
//! queued) is skipped, so a flood of abandoned requests costs no hashing. Once started, it
//! runs to the end.
//!
//! When no thread can be started (resource limits), the closure runs inline on the caller's
//! thread: the bound then does not apply, but the call still works, with or without a tokio
//! runtime, on a current-thread runtime as on a multi-thread one.
//!
//! Separate kinds of work that should not queue behind each other can each have their own
//! [`Offloader`]; [`offload`] uses the process-wide [`global`] one.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

/// Why an offloaded closure gave no value.
#[derive(Debug, thiserror::Error)]
pub enum OffloadError {
    /// The closure panicked; the panic was contained on its thread.
    #[error("offloaded work panicked")]
    Panicked,
    /// The work was dropped before it ran (its threads are gone).
    #[error("offloaded work was cancelled")]
    Cancelled,
}

/// One queued closure, type-erased.
type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads (started on first use) that run closures one at a time each: at
/// most [`Offloader::limit`] run at once; further ones wait in a queue, in FIFO order. The
/// threads end when the last clone of the offloader is dropped.
#[derive(Clone)]
pub struct Offloader {
    shared: Arc<Shared>,
}

struct Shared {
    limit: usize,
    name: &'static str,
    /// Whether the threads drop to batch priority (see [`lower_priority`]).
    batch_priority: bool,
    busy: Arc<AtomicUsize>,
    /// The queue's sending end once the threads are started; `None` when none could be.
    queue: OnceLock<Option<Mutex<Sender<Job>>>>,
}

impl std::fmt::Debug for Offloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Offloader")
            .field("name", &self.shared.name)
            .field("limit", &self.shared.limit)
            .finish_non_exhaustive()
    }
}

impl Offloader {
    /// An offloader running at most `limit` closures at once on as many threads (a `limit`
    /// of 0 is taken as 1, so work is never refused forever).
    pub fn new(limit: usize) -> Self {
        Self::named("cachet-cpu", limit)
    }

    /// As [`Offloader::new`], its threads named `{name}-{n}` (seen in `top -H`, debuggers).
    pub fn named(name: &'static str, limit: usize) -> Self {
        Self::build(name, limit, true)
    }

    /// As [`Offloader::named`], but its threads keep the priority of the thread that starts
    /// them instead of dropping to batch priority. For work that is bounded by other means
    /// and must finish on a busy machine: the status page's own renders. At nice 19 a render
    /// gets about 1/70 of a core beside one busy normal thread, so on a host whose own
    /// service saturates the CPU (during its outage, when the page is read) a render of a few
    /// milliseconds took seconds, missed its deadline every time, and the page answered 503.
    pub fn keeping_priority(name: &'static str, limit: usize) -> Self {
        Self::build(name, limit, false)
    }

    fn build(name: &'static str, limit: usize, batch_priority: bool) -> Self {
        Self {
            shared: Arc::new(Shared {
                limit: limit.max(1),
                name,
                batch_priority,
                busy: Arc::new(AtomicUsize::new(0)),
                queue: OnceLock::new(),
            }),
        }
    }

    /// An offloader sized to the cores this process may use
    /// (`std::thread::available_parallelism`, 1 when unknown).
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
    }

    /// The bound on concurrently running closures (the number of threads).
    pub fn limit(&self) -> usize {
        self.shared.limit
    }

    /// How many closures could start right now without waiting.
    pub fn available(&self) -> usize {
        self.shared
            .limit
            .saturating_sub(self.shared.busy.load(Ordering::Acquire))
    }

    /// The queue, starting the threads on first use.
    fn queue(&self) -> Option<&Mutex<Sender<Job>>> {
        self.shared
            .queue
            .get_or_init(|| {
                let (sender, receiver) = channel::<Job>();
                let receiver = Arc::new(Mutex::new(receiver));
                let mut started = 0;
                let batch_priority = self.shared.batch_priority;
                for n in 0..self.shared.limit {
                    let receiver = Arc::clone(&receiver);
                    let spawned = std::thread::Builder::new()
                        .name(format!("{}-{n}", self.shared.name))
                        .spawn(move || work(&receiver, batch_priority));
                    started += usize::from(spawned.is_ok());
                }
                (started > 0).then(|| Mutex::new(sender))
            })
            .as_ref()
    }

    /// Runs `f` on one of the offloader's threads once one is free, and returns its value.
    ///
    /// Runs `f` inline when no thread could be started (see the module docs).
    pub async fn run<T, F>(&self, f: F) -> Result<T, OffloadError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let Some(queue) = self.queue() else {
            return std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
                .map_err(|_| OffloadError::Panicked);
        };
        let (done, outcome) = tokio::sync::oneshot::channel();
        let busy = Arc::clone(&self.shared.busy);
        let job: Job = Box::new(move || {
            // The caller went away while this queued: nobody wants the value.
            if done.is_closed() {
                return;
            }
            busy.fetch_add(1, Ordering::AcqRel);
            let value = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            busy.fetch_sub(1, Ordering::AcqRel);
            let _ = done.send(value.map_err(|_| OffloadError::Panicked));
        });
        let sent = queue
            .lock()
            .map_err(|_| OffloadError::Cancelled)?
            .send(job)
            .is_ok();
        if !sent {
            return Err(OffloadError::Cancelled);
        }
        outcome.await.unwrap_or(Err(OffloadError::Cancelled))
    }
}

/// A thread's loop: the next job, until the queue closes.
fn work(receiver: &Mutex<Receiver<Job>>, batch_priority: bool) {
    if batch_priority {
        lower_priority();
    }
    loop {
        // The lock is held only while waiting for the next job, never while running one.
        let next = match receiver.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match next {
            // Jobs catch their own panics (see `run`).
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// The process-wide offloader behind [`offload`], started on first use: one thread per core
/// but one (at least one). Threads off the async workers still share the cores with them,
/// and a flood of argon2 hashes on every core left the workers a fraction of a core each
/// (measured with `bench/login_flood.sh` on 2 cores: two hashing threads took the p99 of a
/// cached page from 1.3 to 7.1 ms); one core is kept for serving.
pub fn global() -> &'static Offloader {
    static GLOBAL: OnceLock<Offloader> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Offloader::new(cores.saturating_sub(1))
    })
}

/// Runs the CPU-bound `f` off the async workers, on the [`global`] offloader (one closure
/// per core but one at once, process-wide), and returns its value.
///
/// Use it for password hashing, large renders and compression: anything that would hold an
/// async worker for more than a millisecond or so.
pub async fn offload<T, F>(f: F) -> Result<T, OffloadError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    global().run(f).await
}

/// Puts the calling offload thread at the lowest time-sharing priority (`SCHED_BATCH`, nice
/// 19) on Linux. A flood of sign-ins then hashes with the CPU time that requests leave over
/// instead of taking time slices from the request workers, so pages stay fast under it;
/// hashing still progresses on a busy machine (`SCHED_IDLE` could starve sign-ins, and a
/// status page's admins sign in precisely when traffic is high). Lowering one's own
/// priority needs no privilege; if it fails anyway the thread runs at normal priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id,
        };
        let batch = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
        if let Err(e) =
            set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, batch)
        {
            tracing::debug!(target: "cachet::cpu", error = %crate::log::Escaped(&e), "offload thread keeps its priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn offloaded_work_runs_at_batch_priority() {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let policy = offload(thread_priority::thread_schedule_policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            policy,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch)
        );
        let here = thread_priority::thread_schedule_policy().unwrap();
        assert_ne!(here, policy, "the caller's thread keeps its own priority");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn an_offloader_keeping_priority_runs_at_the_callers_priority() {
        let here = thread_priority::thread_schedule_policy().unwrap();
        let offloader = Offloader::keeping_priority("cachet-test", 1);
        let there = offloader
            .run(thread_priority::thread_schedule_policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(there, here);
        let niceness = offloader
            .run(thread_priority::get_current_thread_priority)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            niceness,
            thread_priority::get_current_thread_priority().unwrap()
        );
    }

    #[tokio::test]
    async fn runs_on_a_current_thread_runtime() {
        let worker = std::thread::current().id();
        let ran_on = offload(move || std::thread::current().id()).await.unwrap();
        assert_ne!(
            ran_on, worker,
            "the closure must not run on the async worker"
        );
    }

    #[test]
    fn works_without_a_runtime() {
        let value = block_on(offload(|| 6 * 7));
        assert_eq!(value.unwrap(), 42);
    }

    #[tokio::test]
    async fn a_panic_is_an_error_not_a_crash() {
        let outcome = offload(|| -> u8 { panic!("boom") }).await;
        assert!(matches!(outcome, Err(OffloadError::Panicked)));
        // The thread survived and its slot was given back.
        assert_eq!(offload(|| 1).await.unwrap(), 1);
        assert_eq!(global().available(), global().limit());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrency_never_exceeds_the_limit() {
        let offloader = Offloader::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(std::sync::Mutex::new(gate));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (offloader, running, peak, gate) = (
                offloader.clone(),
                running.clone(),
                peak.clone(),
                gate.clone(),
            );
            tasks.push(tokio::spawn(async move {
                offloader
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        // Each closure waits for one release: the test decides the order,
                        // not the clock.
                        let _ = gate.lock().map(|gate| gate.recv());
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
            }));
        }
        for _ in 0..6 {
            release.send(()).unwrap();
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert!(
            peak.load(Ordering::SeqCst) <= 2,
            "peak {}",
            peak.load(Ordering::SeqCst)
        );
        assert_eq!(offloader.available(), 2);
    }

    /// A minimal executor for the no-runtime case: parks the thread until woken.
    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut context = std::task::Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
                return value;
            }
            std::thread::park();
        }
    }
}
