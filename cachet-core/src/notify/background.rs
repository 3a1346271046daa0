//! The status page's background work, started by the library for the host that embeds it.
//!
//! A status page does more than answer requests: the outbox [`Dispatcher`] turns committed
//! events into mail, webhook calls and chat messages (and prunes what was delivered), and the [`Scheduler`]
//! starts and ends scheduled maintenance and prunes the audit log and throttles by
//! [`Config::retention`](crate::Config::retention). [`Cachet::start_background`] runs both on
//! the current Tokio runtime with the notifiers the host gives; [`Background::shutdown`] stops
//! them on the host's shutdown, after the tick each is in. Several instances sharing a
//! database may all run it: outbox leases hand each delivery to one of them.
//!
//! ```
//! # use std::sync::Arc;
//! # use cachet_core::{Cachet, Config, secrets::{Keyring, SecretKey}, store::memory::MemoryStore, validate::HttpUrl};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let cachet = Cachet::new(Arc::new(MemoryStore::new()), Keyring::new(1, SecretKey::from_bytes([7; 32])), Config::new(HttpUrl::parse("https://example.com/status")?))?;
//! // Notifiers from cachet-notify (`EmailNotifier`, `WebhookNotifier`, and `ChatNotifier`
//! // for webhook endpoints saved with a chat format) or your own.
//! let background = cachet.start_background(Vec::new());
//! // ... serve until the host shuts down, then:
//! background.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Dispatcher, DispatcherConfig, Notifier, Scheduler};
use crate::Cachet;

/// How long [`Background::shutdown`] waits for the dispatcher and scheduler to finish the tick
/// they are in (a delivery in flight); what is left is handed over by outbox leases.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The running dispatcher and scheduler of one [`Cachet`]. Dropping it stops them too (at
/// their next tick, without waiting); call [`Background::shutdown`] to wait.
#[derive(Debug)]
#[must_use = "dropping Background stops the status page's mail, webhooks and maintenance"]
pub struct Background {
    /// Whether it holds an email notifier (see [`Cachet::sends_email`]).
    sends_email: bool,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    cachet: Cachet,
}

impl Cachet {
    /// Starts the background work (outbox dispatcher with `notifiers`, maintenance scheduler,
    /// retention) on the current Tokio runtime, with the default [`DispatcherConfig`].
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime (as `tokio::spawn` does): call it from the host's `main`
    /// (`#[tokio::main]` or `#[actix_web::main]`), once per process.
    pub fn start_background(&self, notifiers: Vec<Arc<dyn Notifier>>) -> Background {
        self.start_background_with(notifiers, DispatcherConfig::default())
    }

    /// As [`Cachet::start_background`], with the dispatcher's batch size, lease, retries and
    /// per-channel rates.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn start_background_with(
        &self,
        notifiers: Vec<Arc<dyn Notifier>>,
        config: DispatcherConfig,
    ) -> Background {
        let (stop, rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let sends_email = notifiers
            .iter()
            .any(|n| n.channel() == super::Channel::Email);
        let dispatcher = Dispatcher::new(self.clone(), notifiers)
            .with_config(config)
            .run(stopped(rx.clone()));
        let scheduler = Scheduler::new(self.clone()).run(stopped(rx));
        self.note_background(true, sends_email);
        let mut background = Background {
            sends_email,
            stop,
            tasks: vec![tokio::spawn(dispatcher), tokio::spawn(scheduler)],
            cachet: self.clone(),
        };
        // Monitoring alerts' hold times end here, on whichever instance ticks first.
        background.spawn_beside(crate::alerts::run);
        background
    }
}

impl Background {
    /// Runs one more task beside the dispatcher and scheduler, for a module that has
    /// background work of its own (host health, the web layer's mirror): `task` gets the
    /// facade and the stop signal (`true` once the background work is told to stop), and
    /// [`Background::shutdown`] waits for it as for the others.
    pub(crate) fn spawn_beside<F>(&mut self, task: impl FnOnce(Cachet, watch::Receiver<bool>) -> F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let future = task(self.cachet.clone(), self.stop.subscribe());
        self.tasks.push(tokio::spawn(future));
    }

    /// Stops the dispatcher and scheduler and waits up to [`SHUTDOWN_GRACE`] for the tick each
    /// is in. Returns `false` when they were still busy then (they are left to finish alone).
    pub async fn shutdown(mut self) -> bool {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut self.tasks);
        let all = async {
            for task in tasks {
                let _ = task.await;
            }
        };
        let finished = tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_ok();
        if !finished {
            tracing::warn!(
                "the dispatcher or scheduler was still busy when the shutdown grace period ended"
            );
        }
        finished
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.cachet.note_background(false, self.sends_email);
    }
}
