//! `cachet serve`: the standalone status page over axum or actix-web.
//!
//! Start-up, in order: the secret key (created beside a new SQLite database), the database
//! (migrated), the listening socket, the demo data (`--demo`, only while there are no
//! components), and, while no admin exists, a one-time setup token printed on standard output
//! as the line `setup token: <token>` (it is never logged). Then the server runs until SIGINT
//! or SIGTERM, when it stops accepting connections, finishes the requests in flight (up to
//! [`GRACE`]), and closes the database pool, so a write that was accepted is committed and
//! answered before the process exits with status 0.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use cachet_core::Cachet;

use crate::Error;
use crate::cli::{Framework, GlobalArgs, ServeArgs};

/// How long a shutdown waits for requests in flight before closing their connections.
pub const GRACE: Duration = Duration::from_secs(30);

/// SIGINT and SIGTERM, installed before the server announces itself so an early signal is
/// never lost (or fatal).
#[derive(Debug)]
pub struct ShutdownSignal {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    /// Installs the handlers (needs a Tokio runtime).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a handler cannot be installed.
    pub fn install() -> Result<Self, Error> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let io = |source| Error::Io {
                context: "installing the signal handlers".to_owned(),
                source,
            };
            Ok(Self {
                interrupt: signal(SignalKind::interrupt()).map_err(io)?,
                terminate: signal(SignalKind::terminate()).map_err(io)?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Waits for SIGINT or SIGTERM (Ctrl-C elsewhere).
    pub async fn recv(mut self) {
        #[cfg(unix)]
        {
            let which = tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            };
            tracing::info!("{which} received: finishing requests in flight, then stopping");
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C received: finishing requests in flight, then stopping");
        }
        let _ = &mut self;
    }
}

/// Binds the listening socket (non-blocking, ready for either framework).
///
/// # Errors
///
/// [`Error::Io`] naming the address.
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, Error> {
    let io = |source| Error::Io {
        context: format!("cannot listen on {addr}"),
        source,
    };
    let listener = std::net::TcpListener::bind(addr).map_err(io)?;
    listener.set_nonblocking(true).map_err(io)?;
    Ok(listener)
}

/// Runs `cachet serve` until SIGINT or SIGTERM.
///
/// # Errors
///
/// [`Error`] for a bad key, database, address or public URL, or a server failure.
pub async fn serve(
    global: &GlobalArgs,
    args: &ServeArgs,
    env_key: Option<String>,
) -> Result<(), Error> {
    let shutdown = ShutdownSignal::install()?;
    let listener = bind(args.bind)?;
    let local = listener.local_addr().map_err(|source| Error::Io {
        context: "reading the bound address".to_owned(),
        source,
    })?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let (cachet, db) = crate::open(global, env_key, &public_url).await?;
    if insecure_remote(&public_url) {
        tracing::warn!(
            "the public URL {public_url} is plain http on a non-loopback host: sign-in is refused; serve it behind https and pass --public-url https://..."
        );
    }
    let result = run(cachet, args, listener, local, &public_url, shutdown).await;
    db.close().await;
    if result.is_ok() {
        tracing::info!("stopped");
    }
    result
}

/// Whether a public URL is plain http on a host other than loopback (where the core refuses
/// sign-in, since passwords and session cookies would cross the network in clear).
fn insecure_remote(public_url: &str) -> bool {
    let Some(rest) = public_url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_ascii_lowercase();
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .unwrap_or_default()
            .trim_start_matches('[')
            .to_owned()
    } else {
        host.split(':').next().unwrap_or_default().to_owned()
    };
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

async fn run(
    cachet: Cachet,
    args: &ServeArgs,
    listener: std::net::TcpListener,
    local: SocketAddr,
    public_url: &str,
    shutdown: ShutdownSignal,
) -> Result<(), Error> {
    if args.demo {
        match crate::demo::seed(&cachet).await {
            Ok(Some(s)) => tracing::info!(
                groups = s.groups,
                components = s.components,
                incidents = s.incidents,
                schedules = s.schedules,
                metrics = s.metrics,
                "seeded the demo page"
            ),
            Ok(None) => tracing::info!("--demo: the page already has components; left as it is"),
            Err(e) => return Err(Error::cachet("seeding the demo page", &e)),
        }
    }
    let token = cachet
        .issue_setup_token()
        .await
        .map_err(|e| Error::cachet("checking for an admin", &e))?;
    if let Some(token) = token {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "setup token: {token}").and_then(|()| out.flush());
        tracing::info!(
            "no admin exists yet: open {public_url}/setup and enter the setup token printed on standard output, or run `cachet user create --role admin --email ...`"
        );
    }
    let framework = match args.framework {
        Framework::Axum => "axum",
        Framework::Actix => "actix-web",
    };
    tracing::info!(%public_url, framework, "listening on http://{local}");
    match args.framework {
        Framework::Axum => serve_axum(listener, cachet, shutdown).await,
        Framework::Actix => serve_actix(listener, cachet, shutdown).await,
    }
}

/// Serves with axum until the signal, then waits up to [`GRACE`] for requests in flight.
///
/// # Errors
///
/// [`Error::Io`] when the listener cannot be used or serving fails.
pub async fn serve_axum(
    listener: std::net::TcpListener,
    cachet: Cachet,
    shutdown: ShutdownSignal,
) -> Result<(), Error> {
    let io = |source| Error::Io {
        context: "serving over axum".to_owned(),
        source,
    };
    let listener = tokio::net::TcpListener::from_std(listener).map_err(io)?;
    let app: axum::Router = cachet_axum::router(cachet);
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut stopping = rx.clone();
    tokio::spawn(async move {
        shutdown.recv().await;
        let _ = tx.send(true);
    });
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let mut rx = rx;
        let _ = rx.wait_for(|stop| *stop).await;
    });
    tokio::select! {
        r = server.into_future() => r.map_err(io),
        () = async {
            let _ = stopping.wait_for(|stop| *stop).await;
            tokio::time::sleep(GRACE).await;
        } => {
            tracing::warn!("requests still running {} s after the signal; closing them", GRACE.as_secs());
            Ok(())
        }
    }
}

/// Serves with actix-web until the signal; actix stops accepting, then waits up to [`GRACE`]
/// for its workers to finish the requests in flight.
///
/// # Errors
///
/// [`Error::Io`] when the listener cannot be used or serving fails.
pub async fn serve_actix(
    listener: std::net::TcpListener,
    cachet: Cachet,
    shutdown: ShutdownSignal,
) -> Result<(), Error> {
    use actix_web::{App, HttpServer};
    let io = |source| Error::Io {
        context: "serving over actix-web".to_owned(),
        source,
    };
    HttpServer::new(move || App::new().configure(cachet_actix::configure(cachet.clone())))
        .shutdown_timeout(GRACE.as_secs())
        // Our own signal future replaces actix's handlers, which stop SIGINT without waiting.
        .shutdown_signal(shutdown.recv())
        .listen(listener)
        .map_err(io)?
        .run()
        .await
        .map_err(io)
}

#[cfg(test)]
mod tests {
    use super::insecure_remote;

    #[test]
    fn plain_http_is_flagged_off_loopback_only() {
        assert!(!insecure_remote("http://127.0.0.1:8000"));
        assert!(!insecure_remote("http://localhost:8000/status"));
        assert!(!insecure_remote("http://[::1]:8000"));
        assert!(!insecure_remote("https://status.example.com"));
        assert!(insecure_remote("http://0.0.0.0:8000"));
        assert!(insecure_remote("http://status.example.com"));
        assert!(insecure_remote("http://10.0.0.5:8000"));
    }
}
