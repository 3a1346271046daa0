//! `cachet serve`: the standalone status page over axum or actix-web.
//!
//! Start-up, in order: the secret key (created beside a new SQLite database), the database
//! (migrated), the listening socket, the demo data (`--demo`, only while there are no
//! components), and, while no admin exists, a one-time setup token printed on standard output
//! as the line `setup token: <token>` (it is never logged). Then the server runs until SIGINT
//! or SIGTERM, when it stops accepting connections, finishes the requests in flight (up to
//! [`GRACE`]), and closes the database pool, so a write that was accepted is committed and
//! answered before the process exits with status 0.
//!
//! Both frameworks apply the same [`limits::ServeLimits`] to every connection: a header-read
//! timeout, a keep-alive timeout and a cap on connections per client address
//! (`--header-read-timeout`, `--keep-alive-timeout`, `--max-connections-per-address`).

pub mod limits;
pub mod metrics;
pub mod mirror;

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cachet_core::Cachet;
use cachet_core::notify::{DispatcherConfig, Notifier};
use cachet_notify::{
    ChatConfig, ChatNotifier, Dkim, EmailNotifier, Mailbox, SmsConfig, SmsNotifier, SmsProvider,
    SmtpUrl, WebhookConfig, WebhookNotifier,
};

use self::limits::{ConnectionActivity, ConnectionLimiter, RequestGuard, ServeLimits};
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

/// The environment variable `serve` reads the SMTP password from (kept out of the process
/// list and `--help`; a password in `--smtp-url` works too and this one replaces it).
pub const SMTP_PASSWORD_ENV: &str = "CACHET_SMTP_PASSWORD";

/// Builds the notification channels from the mail and webhook options: email when
/// `--smtp-url` is given, webhooks always. Runs before anything else so a bad option fails
/// the start with a message naming it. Needs a Tokio runtime (the SMTP pool starts there).
///
/// # Errors
///
/// [`Error::Invalid`] naming the option (`--smtp-url`, `--mail-from`, `--dkim-key`, ...) and
/// the rule; no message contains the SMTP password.
pub fn notifiers(
    args: &ServeArgs,
    smtp_password: Option<String>,
) -> Result<Vec<Arc<dyn Notifier>>, Error> {
    let mut out: Vec<Arc<dyn Notifier>> = Vec::new();
    if let Some(url) = &args.smtp_url {
        let smtp = SmtpUrl::parse(&url.0, args.smtp_allow_plaintext).map_err(|e| {
            Error::Invalid(format!(
                "--smtp-url: {e}{}",
                if matches!(e, cachet_notify::EmailSetupError::PlaintextToRemote { .. }) {
                    " (--smtp-allow-plaintext)"
                } else {
                    ""
                }
            ))
        })?;
        let from_text = args.mail_from.as_deref().unwrap_or_default();
        let from: Mailbox = from_text.parse().map_err(|_| {
            Error::Invalid(
                "--mail-from: expected a mailbox such as \"Status <status@example.com>\" or \
                 status@example.com"
                    .to_owned(),
            )
        })?;
        let mut builder = EmailNotifier::builder(smtp, from.clone());
        if let Some(password) = smtp_password.filter(|p| !p.is_empty()) {
            builder = builder.password(password);
        }
        if let Some(key) = &args.dkim_key {
            let selector = args.dkim_selector.as_deref().unwrap_or_default();
            let domain = args
                .dkim_domain
                .clone()
                .unwrap_or_else(|| from.email.domain().to_owned());
            let dkim = Dkim::from_pem_file(key, selector, &domain).map_err(|e| {
                Error::Invalid(format!("--dkim-key/--dkim-selector/--dkim-domain: {e}"))
            })?;
            builder = builder.dkim(dkim);
        }
        let email = builder.build().map_err(|e| {
            Error::Invalid(match e {
                cachet_notify::EmailSetupError::PasswordWithoutUser => {
                    format!("{SMTP_PASSWORD_ENV} is set but --smtp-url names no user (smtps://USER@host)")
                }
                other => format!("--smtp-url: {other}"),
            })
        })?;
        tracing::info!(
            host = email.smtp_url().host(),
            tls = ?email.smtp_url().tls(),
            dkim = args.dkim_key.is_some(),
            "mail goes out over SMTP"
        );
        out.push(Arc::new(email));
    } else {
        tracing::info!(
            "no --smtp-url: mail notifications wait in the outbox until a server is configured"
        );
    }
    let http = WebhookConfig::default()
        .allow_private_networks(args.webhook_allow_private)
        .allow_plain_http(args.webhook_allow_http);
    let webhooks =
        WebhookNotifier::new(http.clone()).map_err(|e| Error::Invalid(format!("webhooks: {e}")))?;
    // Endpoints saved with a chat format (Slack, Teams, ...) go out on the chat channel,
    // with the webhooks' network rules; each message still goes to its platform's hosts only.
    let chat = ChatNotifier::new(ChatConfig::default().http(http))
        .map_err(|e| Error::Invalid(format!("chat: {e}")))?;
    if args.webhook_allow_private {
        tracing::warn!("--webhook-allow-private: webhooks may reach loopback and private networks");
    }
    out.push(Arc::new(webhooks));
    out.push(Arc::new(chat));
    Ok(out)
}

/// The variable that turns SMS on: the provider (`twilio`, `vonage`, `http`).
pub const SMS_PROVIDER_ENV: &str = "CACHET_SMS_PROVIDER";
/// Vonage's signature secret, which verifies its signed inbound webhooks (STOP replies).
pub const VONAGE_SIGNATURE_SECRET_ENV: &str = "CACHET_VONAGE_SIGNATURE_SECRET";
/// The most SMS a day the instance sends (default [`cachet_core::DEFAULT_SMS_DAILY_LIMIT`]).
pub const SMS_DAILY_LIMIT_ENV: &str = "CACHET_SMS_DAILY_LIMIT";

/// SMS from `(name, value)` pairs of the environment: `None` without
/// [`SMS_PROVIDER_ENV`], else the notifier ([`SmsConfig::from_vars`]) and the facade's
/// [`cachet_core::SmsPolicy`] from the same variables: its regions, the Twilio auth token
/// for inbound webhooks, [`VONAGE_SIGNATURE_SECRET_ENV`] and [`SMS_DAILY_LIMIT_ENV`].
///
/// # Errors
///
/// [`Error::Invalid`] naming the variable; never a secret's value.
pub fn sms_from_vars(
    vars: &[(String, String)],
) -> Result<Option<(SmsNotifier, cachet_core::SmsPolicy)>, Error> {
    let get = |name: &str| {
        vars.iter()
            .rev()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
    };
    if get(SMS_PROVIDER_ENV).is_none() {
        return Ok(None);
    }
    let config = SmsConfig::from_vars(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| Error::Invalid(format!("SMS: {e}")))?;
    let mut policy = cachet_core::SmsPolicy::for_regions(&config.allowed_regions);
    if let SmsProvider::Twilio { auth_token, .. } = &config.provider {
        // Twilio signs its inbound webhooks with the account's auth token.
        policy.twilio_auth_token = Some(auth_token.expose().to_owned());
    }
    policy.vonage_signature_secret = get(VONAGE_SIGNATURE_SECRET_ENV);
    if let Some(limit) = get(SMS_DAILY_LIMIT_ENV) {
        policy.daily_limit = limit.parse().map_err(|_| {
            Error::Invalid(format!(
                "{SMS_DAILY_LIMIT_ENV}: must be a whole number of SMS a day, such as 500"
            ))
        })?;
    }
    let notifier = SmsNotifier::new(config).map_err(|e| Error::Invalid(format!("SMS: {e}")))?;
    Ok(Some((notifier, policy)))
}

/// How mail goes out, for the dashboard's mail page: server, port, TLS mode, sender and
/// DKIM, never the user name or password. `None` without `--smtp-url` (or when it does not
/// parse: [`notifiers`] has already refused to start then).
fn mail_info(args: &ServeArgs) -> Option<String> {
    use cachet_notify::SmtpTls;
    let url = args.smtp_url.as_ref()?;
    let smtp = SmtpUrl::parse(&url.0, args.smtp_allow_plaintext).ok()?;
    let tls = match smtp.tls() {
        SmtpTls::Implicit => "TLS (smtps)",
        SmtpTls::StartTlsRequired => "STARTTLS required",
        SmtpTls::StartTlsOpportunistic => "STARTTLS when offered",
        SmtpTls::None => "no TLS",
        _ => "TLS mode unknown",
    };
    let port = smtp.port().map(|p| format!(":{p}")).unwrap_or_default();
    let from = args
        .mail_from
        .as_deref()
        .and_then(|f| f.parse::<Mailbox>().ok())
        .map(|m| m.email.to_string())
        .unwrap_or_default();
    let dkim = match (&args.dkim_key, &args.dkim_selector) {
        (Some(_), Some(selector)) => format!(", DKIM selector {selector}"),
        (Some(_), None) => ", DKIM".to_owned(),
        _ => String::new(),
    };
    Some(format!(
        "SMTP {}{port}, {tls}, from {from}{dkim}",
        smtp.host()
    ))
}

/// The connection limits `serve`'s options ask for.
#[must_use]
pub fn limits(args: &ServeArgs) -> ServeLimits {
    ServeLimits {
        header_read_timeout: Duration::from_secs(args.header_read_timeout),
        keep_alive_timeout: Duration::from_secs(args.keep_alive_timeout),
        max_connections_per_address: args.max_connections_per_address,
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
    let mut notifiers = notifiers(args, std::env::var(SMTP_PASSWORD_ENV).ok())?;
    // Variables that are not valid Unicode cannot be ours; skip them rather than panic.
    let env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let sms_policy = match sms_from_vars(&env)? {
        Some((notifier, policy)) => {
            tracing::info!(regions = ?policy.allowed_regions, daily_limit = policy.daily_limit, "SMS subscriptions are on");
            notifiers.push(Arc::new(notifier));
            policy
        }
        None => cachet_core::SmsPolicy::default(),
    };
    let mirror = mirror::from_args(args)?;
    let listener = bind(args.bind)?;
    let local = listener.local_addr().map_err(|source| Error::Io {
        context: "reading the bound address".to_owned(),
        source,
    })?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let mail_info = mail_info(args);
    let trusted_proxies = args.trusted_proxies.clone();
    let prometheus = metrics::prometheus(args)?;
    if let Some(p) = &prometheus {
        tracing::info!(path = p.path(), "the Prometheus endpoint is on");
    }
    if args.shared_rate_limits {
        tracing::info!("rate limits are counted in the database, shared by every instance");
    }
    // 0 keeps the audit log forever.
    let audit_retention = (args.audit_retention_days > 0)
        .then(|| chrono::TimeDelta::days(i64::from(args.audit_retention_days)));
    let (cachet, db) = crate::open_with(global, env_key, &public_url, |config| {
        config.mail_info = mail_info;
        // The same choice rules when a webhook is saved and when it is delivered.
        config.webhook_allow_private_networks = args.webhook_allow_private;
        config.web.trusted_proxies = trusted_proxies;
        config.web.snapshot.revision_deadline = Duration::from_millis(args.revision_deadline_ms);
        config.web.snapshot.render_deadline = Duration::from_millis(args.render_deadline_ms);
        config.web.prometheus = prometheus;
        config.web.shared_rate_limits = args.shared_rate_limits;
        config.retention.audit_log = audit_retention;
        config.sms = sms_policy;
    })
    .await?;
    if insecure_remote(&public_url) {
        tracing::warn!(
            "the public URL {public_url} is plain http on a non-loopback host: sign-in is refused; serve it behind https and pass --public-url https://..."
        );
    }
    // Kept to write the counts of coalesced refusals once the server and background work stop.
    let audit = cachet.clone();
    let result = run(
        cachet,
        args,
        Beside { notifiers, mirror },
        listener,
        local,
        &public_url,
        shutdown,
    )
    .await;
    audit.flush_audit().await;
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

/// The name this instance claims outbox work under: `--instance-name`, or the host name and
/// the bound port, which stay the same across restarts (so a restart takes up at once what
/// the stopped process held) and differ between instances on one host.
fn instance_name(args: &ServeArgs, local: SocketAddr) -> String {
    if let Some(name) = &args.instance_name {
        return name.clone();
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or_else(|| "cachet".to_owned());
    let mut name = format!("{host}:{}", local.port());
    name.truncate(64);
    name
}

/// What runs beside the server: the outbox dispatcher's notifiers and the mirror.
struct Beside {
    notifiers: Vec<Arc<dyn Notifier>>,
    mirror: Option<Arc<cachet_core::web::mirror::Mirror>>,
}

async fn run(
    cachet: Cachet,
    args: &ServeArgs,
    beside: Beside,
    listener: std::net::TcpListener,
    local: SocketAddr,
    public_url: &str,
    shutdown: ShutdownSignal,
) -> Result<(), Error> {
    // The dispatcher, scheduler and retention run beside the server and stop after it (each
    // finishes the tick it is in; leases hand unfinished work to the next start). Started
    // first, so the demo's writes find them running.
    let dispatcher = DispatcherConfig {
        instance: instance_name(args, local),
        ..DispatcherConfig::default()
    };
    tracing::info!(instance = %cachet_core::log::Escaped(&dispatcher.instance), "outbox work is claimed under this instance name");
    let mut background = cachet.start_background_with(beside.notifiers, dispatcher);
    if let Some(mirror) = beside.mirror {
        background = background.with_mirror(mirror);
    }
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
    let limits = limits(args);
    tracing::info!(
        %public_url,
        framework,
        header_read_timeout_s = limits.header_read_timeout.as_secs(),
        keep_alive_timeout_s = limits.keep_alive_timeout.as_secs(),
        max_connections_per_address = limits.max_connections_per_address,
        "listening on http://{local}"
    );
    // Trusted proxies carry every visitor behind them on their own address: not capped.
    let limiter = ConnectionLimiter::new(
        limits.max_connections_per_address,
        args.trusted_proxies.iter().copied(),
    );
    let served = match args.framework {
        Framework::Axum => serve_axum(listener, cachet, shutdown, limits, limiter).await,
        Framework::Actix => serve_actix(listener, cachet, shutdown, limits, limiter).await,
    };
    background.shutdown().await;
    served
}

/// Serves with axum until the signal, then waits up to [`GRACE`] for requests in flight.
///
/// One single-threaded Tokio runtime per CPU, each accepting from the same listening socket
/// and serving its connections to the end (as nginx's workers and actix-web's do): a
/// connection never hops between threads, so a cached answer costs no cross-thread wake-up.
/// On a 2-core machine this doubled throughput of small cached responses over one
/// work-stealing runtime (see BENCHMARKS.md).
///
/// Each worker runs its own accept loop over hyper's HTTP/1 connection builder rather than
/// `axum::serve`, which sets no header-read timeout and cannot refuse a connection: a
/// connection over `limiter`'s cap is closed at accept, and every other one is closed when it
/// overstays `limits` (see [`limits`](mod@limits)).
///
/// # Errors
///
/// [`Error::Io`] when the listener cannot be used or serving fails.
pub async fn serve_axum(
    listener: std::net::TcpListener,
    cachet: Cachet,
    shutdown: ShutdownSignal,
    limits: ServeLimits,
    limiter: Arc<ConnectionLimiter>,
) -> Result<(), Error> {
    let io = |source| Error::Io {
        context: "serving over axum".to_owned(),
        source,
    };
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut threads = Vec::with_capacity(workers);
    for n in 0..workers {
        let listener = listener.try_clone().map_err(io)?;
        let cachet = cachet.clone();
        let rx = rx.clone();
        let limiter = Arc::clone(&limiter);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(io)?;
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("cachet-http-{n}"))
            .spawn(move || {
                let result =
                    runtime.block_on(serve_axum_worker(listener, cachet, rx, limits, limiter));
                let _ = done_tx.send(result);
            })
            .map_err(io)?;
        threads.push((thread, done_rx));
    }
    drop(listener);
    let mut stopping = rx.clone();
    tokio::spawn(async move {
        shutdown.recv().await;
        let _ = tx.send(true);
    });
    let all = async {
        let mut first_error = None;
        for (_, done) in threads {
            if let Ok(Err(e)) = done.await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    };
    tokio::select! {
        r = all => r.map_err(io),
        () = async {
            let _ = stopping.wait_for(|stop| *stop).await;
            tokio::time::sleep(GRACE).await;
        } => {
            tracing::warn!("requests still running {} s after the signal; closing them", GRACE.as_secs());
            Ok(())
        }
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// One axum worker: accepts and serves connections until `stop` turns true, then lets every
/// connection finish its request in flight (hyper's graceful shutdown) and returns when the
/// last one is closed.
async fn serve_axum_worker(
    listener: std::net::TcpListener,
    cachet: Cachet,
    stop: tokio::sync::watch::Receiver<bool>,
    limits: ServeLimits,
    limiter: Arc<ConnectionLimiter>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let app: axum::Router = cachet_axum::router(cachet);
    let mut http = hyper::server::conn::http1::Builder::new();
    // hyper's own header timer, as a second line behind the connection's clock: it runs from
    // the moment hyper waits for a head, including while a kept-alive connection is idle, so
    // it must not be shorter than either limit.
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout.max(limits.keep_alive_timeout));
    // Every connection task holds a clone; `recv` returns `None` once the last one is gone.
    let (open_tx, mut open_rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut stop_accepting = stop.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut stop_accepting) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                if !is_connection_error(&e) {
                    // Out of file descriptors or memory: accepting again at once would spin.
                    tracing::warn!(error = %e, "accepting a connection failed; pausing for 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                continue;
            }
        };
        let Some(permit) = limiter.try_acquire(peer.ip()) else {
            tracing::debug!(client = %peer.ip(), "over the per-address connection cap; closed");
            // Dropping the stream closes the connection before anything is read from it.
            continue;
        };
        let activity = ConnectionActivity::new();
        let service = {
            let app = app.clone();
            let activity = Arc::clone(&activity);
            hyper::service::service_fn(
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    let request = activity.begin();
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    let mut app = app.clone();
                    async move {
                        let response = tower::Service::call(&mut app, req).await;
                        response.map(|r| {
                            r.map(|body| TrackedBody {
                                body,
                                _request: request,
                            })
                        })
                    }
                },
            )
        };
        let io = WriteTracked {
            stream,
            activity: Arc::clone(&activity),
        };
        let conn = http.serve_connection(hyper_util::rt::TokioIo::new(io), service);
        let mut stop = stop.clone();
        let open = open_tx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _open = open;
            let mut conn = std::pin::pin!(conn);
            let expired = activity.expired(&limits);
            let mut expired = std::pin::pin!(expired);
            let mut draining = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    () = expired.as_mut() => {
                        tracing::debug!(client = %peer.ip(), "no request head in time; connection closed");
                        break;
                    }
                    () = stopped(&mut stop), if !draining => {
                        draining = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        });
    }
    drop(open_tx);
    let _ = open_rx.recv().await;
    Ok(())
}

/// Errors of one incoming connection (the client gave up before it was accepted), after which
/// accepting the next one goes on at once.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// The accepted socket, reporting every write to the connection's clock, so a large response
/// still going out to a slow reader is not mistaken for an idle connection.
struct WriteTracked {
    stream: tokio::net::TcpStream,
    activity: Arc<ConnectionActivity>,
}

impl tokio::io::AsyncRead for WriteTracked {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for WriteTracked {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(written, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        written
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(written, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A response body that marks its request done when hyper drops it (after the last byte or
/// when the connection fails), which starts the connection's keep-alive clock.
struct TrackedBody {
    body: axum::body::Body,
    _request: RequestGuard,
}

impl http_body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Serves with actix-web until the signal; actix stops accepting, then waits up to [`GRACE`]
/// for its workers to finish the requests in flight.
///
/// actix's own timers take the limits (`client_request_timeout` for the first head,
/// `keep_alive` for idle connections), and every connection also gets the same clock as
/// under axum, because actix's head timer covers only the first request: once a byte of a
/// later request has arrived, no actix timer runs until its head is complete. The cap is
/// checked when actix hands over the connection (`on_connect`); a connection over it is shut
/// down there, before actix reads from it.
///
/// # Errors
///
/// [`Error::Io`] when the listener cannot be used or serving fails.
pub async fn serve_actix(
    listener: std::net::TcpListener,
    cachet: Cachet,
    shutdown: ShutdownSignal,
    limits: ServeLimits,
    limiter: Arc<ConnectionLimiter>,
) -> Result<(), Error> {
    use actix_web::{App, HttpServer, middleware};
    let io = |source| Error::Io {
        context: "serving over actix-web".to_owned(),
        source,
    };
    HttpServer::new(move || {
        App::new()
            .wrap(middleware::from_fn(track_actix_request))
            .configure(cachet_actix::configure(cachet.clone()))
    })
    .client_request_timeout(limits.header_read_timeout)
    .keep_alive(limits.keep_alive_timeout)
    // Must come before `listen`: actix captures the callback when a listener is added.
    .on_connect(move |io, extensions| on_actix_connect(io, extensions, &limiter, limits))
    .shutdown_timeout(GRACE.as_secs())
    // Our own signal future replaces actix's handlers, which stop SIGINT without waiting.
    .shutdown_signal(shutdown.recv())
    .listen(listener)
    .map_err(io)?
    .run()
    .await
    .map_err(io)
}

/// What one actix-web connection keeps in its connection data: dropped with the connection,
/// which frees its place under the cap and ends its watchdog.
struct ActixConnection {
    activity: Arc<ConnectionActivity>,
    _permit: limits::ConnectionPermit,
    _closed: tokio::sync::oneshot::Sender<()>,
}

/// actix-web's `on_connect`: counts the connection against the cap (shutting it down when
/// over it) and starts its watchdog for when the connection overstays the limits. The
/// watchdog shuts down only the socket's read side: actix's next read sees the end of the
/// stream, and with no request in flight actix flushes what it still has to send (the end of
/// a large response to a slow reader, which actix counts as done once buffered) and closes
/// the connection itself.
fn on_actix_connect(
    io: &dyn std::any::Any,
    extensions: &mut actix_web::dev::Extensions,
    limiter: &Arc<ConnectionLimiter>,
    limits: ServeLimits,
) {
    use std::net::Shutdown;
    let Some(stream) = io.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    let socket = socket2::SockRef::from(stream);
    let permit = match stream.peer_addr() {
        Ok(peer) => limiter.try_acquire(peer.ip()),
        // The client is already gone.
        Err(_) => None,
    };
    let Some(permit) = permit else {
        tracing::debug!("over the per-address connection cap; closed");
        let _ = socket.shutdown(Shutdown::Both);
        return;
    };
    let activity = ConnectionActivity::new();
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
    // A second descriptor of the same socket, so the watchdog can shut it down later.
    match socket.try_clone() {
        Ok(handle) => {
            let activity = Arc::clone(&activity);
            actix_web::rt::spawn(async move {
                tokio::select! {
                    () = activity.expired(&limits) => {
                        tracing::debug!("no request head in time; connection closed");
                        let _ = handle.shutdown(Shutdown::Read);
                    }
                    _ = closed_rx => {}
                }
            });
        }
        Err(e) => {
            tracing::warn!(error = %e, "no watchdog for a connection (actix's own timers still apply)");
        }
    }
    extensions.insert(ActixConnection {
        activity,
        _permit: permit,
        _closed: closed_tx,
    });
}

/// Marks a request in flight on its connection's clock from its head until actix drops the
/// response body.
async fn track_actix_request<B: actix_web::body::MessageBody + 'static>(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<actix_web::dev::ServiceResponse<TrackedActixBody<B>>, actix_web::Error> {
    let request = req
        .conn_data::<ActixConnection>()
        .map(|c| c.activity.begin());
    let response = next.call(req).await?;
    Ok(response.map_body(|_, body| TrackedActixBody {
        body: Box::pin(body),
        _request: request,
    }))
}

/// An actix-web response body that marks its request done when dropped.
struct TrackedActixBody<B> {
    body: std::pin::Pin<Box<B>>,
    _request: Option<RequestGuard>,
}

impl<B: actix_web::body::MessageBody> actix_web::body::MessageBody for TrackedActixBody<B> {
    type Error = B::Error;

    fn size(&self) -> actix_web::body::BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<axum::body::Bytes, Self::Error>>> {
        self.body.as_mut().poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::insecure_remote;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn sms_is_off_without_a_provider_and_takes_its_policy_from_the_same_variables() {
        assert!(super::sms_from_vars(&vars(&[])).expect("no SMS").is_none());
        let twilio = vars(&[
            ("CACHET_SMS_PROVIDER", "twilio"),
            ("CACHET_SMS_ALLOWED_REGIONS", "us, gb"),
            ("CACHET_TWILIO_ACCOUNT_SID", "AC0123"),
            ("CACHET_TWILIO_AUTH_TOKEN", "token-1"),
            ("CACHET_TWILIO_FROM", "+12015550100"),
            ("CACHET_SMS_DAILY_LIMIT", "40"),
        ]);
        let (_, policy) = super::sms_from_vars(&twilio)
            .expect("valid")
            .expect("SMS on");
        assert_eq!(
            policy.allowed_regions.iter().cloned().collect::<Vec<_>>(),
            vec!["GB".to_owned(), "US".to_owned()]
        );
        assert_eq!(policy.twilio_auth_token.as_deref(), Some("token-1"));
        assert_eq!(policy.vonage_signature_secret, None);
        assert_eq!(policy.daily_limit, 40);
        let mut bad = twilio.clone();
        bad.push(("CACHET_SMS_DAILY_LIMIT".to_owned(), "lots".to_owned()));
        let Err(crate::Error::Invalid(message)) = super::sms_from_vars(&bad) else {
            panic!("a bad daily limit is refused")
        };
        assert!(message.starts_with("CACHET_SMS_DAILY_LIMIT:"), "{message}");
        let mut no_regions = twilio;
        no_regions.retain(|(k, _)| k != "CACHET_SMS_ALLOWED_REGIONS");
        let Err(crate::Error::Invalid(message)) = super::sms_from_vars(&no_regions) else {
            panic!("regions are required")
        };
        assert!(message.contains("CACHET_SMS_ALLOWED_REGIONS"), "{message}");
        assert!(!message.contains("token-1"));
    }

    #[test]
    fn trusted_proxies_are_ip_addresses_and_nothing_else() {
        use clap::Parser as _;
        let parse = |args: &[&str]| {
            crate::cli::Cli::try_parse_from(["cachet", "serve"].iter().chain(args).copied())
        };
        let cli =
            parse(&["--trusted-proxy", "10.0.0.1", "--trusted-proxy", "::1"]).expect("parses");
        let crate::cli::Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        assert_eq!(
            args.trusted_proxies,
            vec![
                "10.0.0.1".parse::<std::net::IpAddr>().expect("ip"),
                "::1".parse().expect("ip")
            ]
        );
        for bad in ["proxy.example.com", "10.0.0.0/8", "10.0.0.1:80"] {
            let err = parse(&["--trusted-proxy", bad]).expect_err(bad).to_string();
            assert!(err.contains("--trusted-proxy"), "{err}");
        }
    }

    #[test]
    fn the_mail_description_names_the_server_and_never_the_credentials() {
        use clap::Parser as _;
        let cli = crate::cli::Cli::try_parse_from([
            "cachet",
            "serve",
            "--smtp-url",
            "smtps://alice:hunter2@mail.example.com:465",
            "--mail-from",
            "Status <status@example.com>",
        ])
        .expect("parses");
        let crate::cli::Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        assert!(
            args.trusted_proxies.is_empty(),
            "no proxy is trusted by default"
        );
        let info = super::mail_info(&args).expect("configured");
        assert_eq!(
            info,
            "SMTP mail.example.com:465, TLS (smtps), from status@example.com"
        );
        assert!(!info.contains("alice") && !info.contains("hunter2"));
    }

    #[test]
    fn shared_rate_limits_are_off_unless_asked_for() {
        use clap::Parser as _;
        let parse = |args: &[&str]| {
            let cli =
                crate::cli::Cli::try_parse_from(["cachet", "serve"].iter().chain(args).copied())
                    .expect("parses");
            let crate::cli::Command::Serve(args) = cli.command else {
                panic!("serve")
            };
            args.shared_rate_limits
        };
        assert!(!parse(&[]), "off by default");
        assert!(parse(&["--shared-rate-limits"]));
    }

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
