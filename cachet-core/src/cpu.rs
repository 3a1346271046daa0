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
//! closure on tokio's blocking pool instead, so the workers keep answering, and bounds how
//! many such closures run at once (a semaphore, by default sized to the cores) so the flood
//! queues instead of oversubscribing the CPU and the memory of the blocking pool.
//!
//! The permit is moved into the blocking closure: when the awaiting request is dropped (the
//! client went away), the work still running keeps its slot until it ends, so cancelled
//! requests cannot push the real concurrency above the bound.
//!
//! Outside a tokio runtime (a synchronous caller, a test without a runtime) the closure runs
//! inline on the calling thread: the bound then does not apply, but the call still works.
//! In a current-thread runtime it goes to that runtime's blocking pool like anywhere else.
//!
//! Separate kinds of work that should not queue behind each other can each have their own
//! [`Offloader`]; [`offload`] uses the process-wide [`global`] one.

use std::num::NonZeroUsize;
use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

/// Why an offloaded closure gave no value.
#[derive(Debug, thiserror::Error)]
pub enum OffloadError {
    /// The closure panicked; the panic was contained on the blocking thread.
    #[error("offloaded work panicked")]
    Panicked,
    /// The runtime is shutting down and dropped the work before it ran.
    #[error("offloaded work was cancelled (the runtime is shutting down)")]
    Cancelled,
}

/// A bounded gate in front of the blocking pool: at most [`Offloader::limit`] closures run
/// at once; further callers wait (asynchronously, in FIFO order) for a slot.
#[derive(Debug, Clone)]
pub struct Offloader {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl Offloader {
    /// An offloader running at most `limit` closures at once (a `limit` of 0 is taken as 1,
    /// so work is never refused forever).
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// An offloader sized to the cores this process may use
    /// (`std::thread::available_parallelism`, 1 when unknown).
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
    }

    /// The bound on concurrently running closures.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How many closures could start right now without waiting.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// Runs `f` on the blocking pool once a slot is free, and returns its value.
    ///
    /// Outside a tokio runtime, runs `f` inline (see the module docs).
    pub async fn run<T, F>(&self, f: F) -> Result<T, OffloadError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
                .map_err(|_| OffloadError::Panicked);
        };
        // The semaphore is owned here and never closed, so acquiring cannot fail; the error
        // arm is kept total rather than unwrapped.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| OffloadError::Cancelled)?;
        let task = handle.spawn_blocking(move || {
            // Held until the work ends, even if the awaiting future is dropped meanwhile.
            let _permit = permit;
            f()
        });
        task.await.map_err(|error| {
            if error.is_panic() {
                OffloadError::Panicked
            } else {
                OffloadError::Cancelled
            }
        })
    }
}

/// The process-wide offloader behind [`offload`], sized to the cores
/// ([`Offloader::per_core`]), created on first use.
pub fn global() -> &'static Offloader {
    static GLOBAL: OnceLock<Offloader> = OnceLock::new();
    GLOBAL.get_or_init(Offloader::per_core)
}

/// Runs the CPU-bound `f` off the async workers, at most one closure per core at once
/// process-wide (the [`global`] offloader), and returns its value.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

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
    fn runs_inline_without_a_runtime() {
        let value = futures_lite_block_on(offload(|| 6 * 7));
        assert_eq!(value.unwrap(), 42);
    }

    #[tokio::test]
    async fn a_panic_is_an_error_not_a_crash() {
        let outcome = offload(|| -> u8 { panic!("boom") }).await;
        assert!(matches!(outcome, Err(OffloadError::Panicked)));
        // The slot was given back.
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

    /// A minimal executor for the no-runtime case: the future completes on its first poll
    /// because the closure runs inline.
    fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => panic!("inline offload must complete on first poll"),
        }
    }
}
