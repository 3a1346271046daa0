//! The `Cachet` facade: the documented Rust API that the web layer, the command line and host
//! applications all call. Every operation takes an [`Actor`] and checks a policy
//! ([`crate::auth::policy`]) before touching the store, and every write carries its audit
//! entry into the same transaction, so no caller can skip a control.

mod access;
mod account;
mod actor;
mod audit;
mod chat;
mod content;
mod error;
mod idempotency;
mod identity;
mod review;
mod sms;
mod subscribers;
mod users;
mod visibility;

use std::sync::Arc;

pub use access::WebhookEndpoint;
pub use actor::Actor;
pub(crate) use actor::ActorKind;
pub use audit::{Retention, RetentionReport};
pub use chat::{CHAT_URL_RULE, redacted_chat_url};
pub use content::SubscriberAddress;
pub use error::{Error, Result};
#[cfg(feature = "web")]
pub(crate) use idempotency::IdempotentRequest;
pub use identity::{
    Enrollment, LoginOutcome, NewUserInput, SessionLookup, SessionTicket, SignInClient,
};
pub use review::{
    ACCESS_REVIEW_FEW_RECOVERY_CODES, ACCESS_REVIEW_UNUSED_AFTER, AccessReview, AccountReview,
    ReviewFlag, SessionReview, TokenReview, TokenState, TwoFactorState,
};
pub use sms::{DEFAULT_SMS_DAILY_LIMIT, SMS_CODE_DIGITS, SMS_CODE_TRIES, SMS_CODE_TTL, SmsPolicy};
pub(crate) use sms::{random_sms_code, sms_code_hash};
pub use subscribers::ManagedSubscription;
pub use users::parse_new_user;
pub use visibility::Sight;

use crate::auth::password::{Argon2Params, PasswordPolicy, hash_password};
use crate::auth::policy::{Permission, anonymous_allows, role_allows, scope_allows};
use crate::auth::session::{CookiePolicy, SessionPolicy};
use crate::auth::throttle::ThrottlePolicy;
use crate::clock::{Clock, SystemClock};
use crate::model::{AuditAction, AuditOutcome, EntityKind, NewAuditEvent, PasswordHash, Settings};
use crate::secrets::Keyring;
use crate::store::{Effects, Store, WriteContext};
use crate::validate::{HttpUrl, Text};

/// Configuration of the security controls. The defaults are the secure baseline SECURITY.md
/// describes; most values may only be made stricter. Build it with [`Config::new`] and change
/// the fields you need (`config.retention.audit = ...`); new fields arrive with defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The public URL the site is reached at. Cookie flags, the CSRF origin and every absolute
    /// link follow it, never the `Host` header.
    pub public_url: HttpUrl,
    /// Allow sign-in although the public URL is plain http on a non-loopback host.
    pub allow_insecure_http: bool,
    /// argon2id parameters for new hashes.
    pub argon2: Argon2Params,
    /// Rules for new passwords.
    pub password_policy: PasswordPolicy,
    /// Password throttling: per account and per address for untrusted clients, per device
    /// for a browser that signed in before (see [`crate::auth::device`]).
    pub throttle: ThrottlePolicy,
    /// Second-factor throttling (TOTP and recovery codes) per account, or per device for a
    /// trusted browser; only a completed sign-in resets it.
    pub second_factor_throttle: ThrottlePolicy,
    /// Wrong codes one pending sign-in may send before it ends (default 3).
    pub pending_second_factor_tries: u32,
    /// How long a device cookie is honoured after the sign-in that set it (default 180 days).
    pub trusted_device_lifetime: chrono::TimeDelta,
    /// Session lifetimes.
    pub session: SessionPolicy,
    /// How long a setup token stays valid.
    pub setup_token_ttl: chrono::TimeDelta,
    /// Web-layer limits (body size, JSON depth, trusted proxies, rate limits).
    pub web: crate::web_config::WebConfig,
    /// A description of how mail is sent, for the dashboard's mail page (say
    /// `SMTP smtp.example.com:587, STARTTLS, from status@example.com`). The binary fills it
    /// from its configuration and must leave every secret out; `None` means not configured.
    pub mail_info: Option<String>,
    /// Accept webhook URLs naming `localhost` or a private, loopback, link-local or
    /// unique-local address when they are saved (default off). Set it together with the
    /// webhook notifier's own `allow_private_networks`, which rules at delivery.
    pub webhook_allow_private_networks: bool,
    /// How long the audit log and the throttle table keep rows, and how repeated refusals
    /// are coalesced in the audit log (see [`Retention`]).
    pub retention: Retention,
    /// SMS subscriptions (default: off).
    pub sms: SmsPolicy,
}

impl Config {
    /// The defaults for a public URL.
    #[must_use]
    pub fn new(public_url: HttpUrl) -> Self {
        Self {
            public_url,
            allow_insecure_http: false,
            argon2: Argon2Params::default(),
            password_policy: PasswordPolicy::default(),
            throttle: ThrottlePolicy::default(),
            second_factor_throttle: ThrottlePolicy::second_factor(),
            pending_second_factor_tries: 3,
            trusted_device_lifetime: chrono::TimeDelta::days(180),
            session: SessionPolicy::default(),
            setup_token_ttl: chrono::TimeDelta::hours(24),
            web: crate::web_config::WebConfig::default(),
            mail_info: None,
            webhook_allow_private_networks: false,
            retention: Retention::default(),
            sms: SmsPolicy::default(),
        }
    }
}

/// The hook through which the facade tells the layer above about writes (the web layer's
/// snapshot cache re-reads the store's revision until a write settles), without holding or
/// knowing that layer's state.
pub(crate) trait LayerState: std::any::Any + Send + Sync + std::fmt::Debug {
    /// A store write is about to start in this process.
    fn write_started(&self);

    /// The state itself, for the layer that made it.
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    fn as_any(&self) -> &dyn std::any::Any;
}

/// The facade. Cheap to clone; build it once and share it (actix runs one app factory per
/// worker: build `Cachet` outside and clone it in).
#[derive(Clone, Debug)]
pub struct Cachet {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    keyring: Keyring,
    config: Config,
    cookie: CookiePolicy,
    /// A hash of a random password, verified against when the account does not exist so the
    /// answer takes as long as for a wrong password.
    dummy_hash: PasswordHash,
    /// What the layer above keeps for this facade (the web layer's rate limiters and snapshot
    /// cache), made on its first request; the facade only tells it about writes.
    layer: std::sync::OnceLock<Arc<dyn LayerState>>,
    /// Open coalescing windows of repeated refusals, and when pruning last ran.
    audit: audit::Coalescer,
    /// One attempt at a time per throttle key (sign-in budgets, a recipient's mail budget).
    attempts: crate::auth::throttle::AttemptGate,
    /// How many [`crate::notify::Background`]s of this facade run, and whether a write that
    /// queues notifications without one has been warned about (once per facade).
    background: std::sync::atomic::AtomicUsize,
    /// How many of them deliver email (hold an email notifier).
    email_background: std::sync::atomic::AtomicUsize,
    warned_no_background: std::sync::atomic::AtomicBool,
    /// The operators' counters (requests, renders, deliveries, throttling), per facade so
    /// two sites in one process do not mix their figures.
    telemetry: crate::telemetry::Telemetry,
    /// One evaluation of monitoring alerts at a time in this process (a delivery's and the
    /// background work's would otherwise write the same change twice).
    alerts: tokio::sync::Mutex<()>,
}

impl Cachet {
    /// A facade over a store with a keyring and configuration, on the system clock.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when the random source fails.
    pub fn new(store: Arc<dyn Store>, keyring: Keyring, config: Config) -> Result<Self> {
        Self::with_clock(store, keyring, config, Arc::new(SystemClock))
    }

    /// As [`Cachet::new`] with an injected clock (tests move time without sleeping).
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when the random source fails.
    pub fn with_clock(
        store: Arc<dyn Store>,
        keyring: Keyring,
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let dummy = crate::auth::tokens::random_secret()?;
        let dummy_hash = hash_password(config.argon2, &dummy).map_err(|_| Error::Internal)?;
        let cookie = CookiePolicy::for_public_url(&config.public_url, config.allow_insecure_http);
        let audit = audit::Coalescer::new(&config.retention);
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                keyring,
                config,
                cookie,
                dummy_hash,
                layer: std::sync::OnceLock::new(),
                audit,
                attempts: crate::auth::throttle::AttemptGate::default(),
                background: std::sync::atomic::AtomicUsize::new(0),
                email_background: std::sync::atomic::AtomicUsize::new(0),
                warned_no_background: std::sync::atomic::AtomicBool::new(false),
                telemetry: crate::telemetry::Telemetry::default(),
                alerts: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The store, behind every rule of the facade: only the facade's own methods reach it.
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The store without the facade's checks, for tests that look behind the policy (what a
    /// write left in the database). Not for applications: every read and write an
    /// application needs is a method of `Cachet`, authorized and audited.
    #[cfg(feature = "testing")]
    #[must_use]
    pub fn store_unchecked(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The keyring.
    #[must_use]
    pub fn keyring(&self) -> &Keyring {
        &self.inner.keyring
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The web layer's configuration.
    #[must_use]
    pub fn web_config(&self) -> &crate::web_config::WebConfig {
        &self.inner.config.web
    }

    /// The state the layer above keeps for this facade, made by `init` on first use.
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) fn layer_state(
        &self,
        init: impl FnOnce() -> Arc<dyn LayerState>,
    ) -> &dyn LayerState {
        self.inner.layer.get_or_init(init).as_ref()
    }

    /// The operators' counters of this facade (served by the Prometheus endpoint).
    #[must_use]
    pub fn telemetry(&self) -> &crate::telemetry::Telemetry {
        &self.inner.telemetry
    }

    /// The lock that keeps this process's evaluations of monitoring alerts one at a time.
    pub(crate) fn alerts_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.inner.alerts
    }

    /// The session cookie's name and attributes.
    #[must_use]
    pub fn cookie_policy(&self) -> &CookiePolicy {
        &self.inner.cookie
    }

    /// The current time.
    #[must_use]
    pub fn now(&self) -> crate::clock::Timestamp {
        self.inner.clock.now()
    }

    /// The context of a store write. Every write takes one, so this is where the snapshot
    /// cache learns that this process is writing (it re-reads the revision until it settles).
    pub(crate) fn cx(&self) -> WriteContext {
        if let Some(layer) = self.inner.layer.get() {
            layer.write_started();
        }
        WriteContext::at(self.now())
    }

    /// As [`Cachet::cx`], for a write that may queue notifications: warns once when no
    /// background work runs in this process, since an embedder who never called
    /// [`Cachet::start_background`] would otherwise wait for mail that never leaves.
    pub(crate) fn cx_notifying(&self) -> WriteContext {
        use std::sync::atomic::Ordering;
        if self.inner.background.load(Ordering::Relaxed) == 0
            && !self
                .inner
                .warned_no_background
                .swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                "notifications are queued but this process runs no background work: mail, \
                 webhooks and scheduled maintenance wait until Cachet::start_background runs \
                 (here or in another instance sharing the database)"
            );
        }
        self.cx()
    }

    /// Counts a [`crate::notify::Background`] of this facade starting or stopping, and
    /// whether it delivers email.
    pub(crate) fn note_background(&self, started: bool, sends_email: bool) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let count = |n: &AtomicUsize| {
            if started {
                n.fetch_add(1, Ordering::Relaxed);
            } else {
                let _ = n.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
            }
        };
        count(&self.inner.background);
        if sends_email {
            count(&self.inner.email_background);
        }
    }

    /// Whether this process delivers email: background work runs with an email notifier
    /// ([`Cachet::start_background`]). The subscribe page promises a confirmation mail only
    /// then: in a deployment where only some instances deliver, the others' pages do not
    /// promise one.
    #[must_use]
    pub fn sends_email(&self) -> bool {
        self.inner
            .email_background
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    }

    /// The typed settings.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the store fails; invalid stored values are a store corruption.
    pub async fn settings(&self) -> Result<Settings> {
        let pairs = self.inner.store.settings().await?;
        Settings::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
            .map_err(|e| Error::Store(crate::store::StoreError::corrupt("settings", e)))
    }

    /// Whether the actor has a permission, without auditing.
    #[must_use]
    pub fn can(&self, actor: &Actor, p: Permission) -> bool {
        match &actor.kind {
            ActorKind::Anonymous => anonymous_allows(p),
            ActorKind::Session {
                user,
                must_enroll_2fa,
                ..
            } => {
                if *must_enroll_2fa {
                    matches!(p, Permission::ReadPublic | Permission::ManageOwnAccount)
                } else {
                    user.active && role_allows(user.role, p)
                }
            }
            ActorKind::Token { user, token } => {
                user.active && role_allows(user.role, p) && scope_allows(token.scope, p)
            }
            ActorKind::Host { role, .. } => role_allows(*role, p),
            ActorKind::Operator => true,
            ActorKind::System { .. } | ActorKind::Integration { .. } => matches!(
                p,
                Permission::ReadPublic | Permission::ReadPrivate | Permission::WriteContent
            ),
        }
    }

    /// Checks a permission; a refusal of a known actor is audited (a visitor is told to sign
    /// in instead).
    ///
    /// # Errors
    ///
    /// [`Error::Unauthenticated`] for visitors, [`Error::Forbidden`] for others.
    pub(crate) async fn authorize(&self, actor: &Actor, p: Permission) -> Result<()> {
        if self.can(actor, p) {
            return Ok(());
        }
        if actor.is_anonymous() {
            return Err(Error::Unauthenticated);
        }
        let action = if actor.token().is_some() {
            AuditAction::TokenRefused
        } else {
            AuditAction::AccessDenied
        };
        let detail = format!("needs {p:?}");
        self.append_audit(
            actor,
            action,
            EntityKind::Site,
            None,
            AuditOutcome::Denied,
            &detail,
        )
        .await;
        Err(Error::Forbidden)
    }

    /// Builds an audit entry for the actor.
    pub(crate) fn audit_event(
        &self,
        actor: &Actor,
        action: AuditAction,
        entity: EntityKind,
        entity_id: Option<i64>,
        outcome: AuditOutcome,
        detail: &str,
    ) -> NewAuditEvent {
        NewAuditEvent {
            at: self.now(),
            actor_user_id: actor.user().map(|u| u.id),
            actor_token_id: actor.token().map(|t| t.id),
            actor: actor.label(),
            action,
            entity,
            entity_id,
            ip: actor.ip().map(|ip| ip.to_string()),
            outcome,
            // Details are built by the facade from non-secret facts only; the Text type
            // strips nothing, so a value that is not valid text is replaced.
            detail: Text::parse(detail).unwrap_or_default(),
        }
    }

    /// Appends a lone audit entry (failures and refusals). A failure to write it is logged,
    /// never turned into a different answer for the client. Repeated refusals and failures
    /// are coalesced (see [`audit`]), so a flood of them cannot flood the log.
    pub(crate) async fn append_audit(
        &self,
        actor: &Actor,
        action: AuditAction,
        entity: EntityKind,
        entity_id: Option<i64>,
        outcome: AuditOutcome,
        detail: &str,
    ) {
        let event = self.audit_event(actor, action, entity, entity_id, outcome, detail);
        self.append_coalesced(event, actor.ip()).await;
    }

    /// An effects closure that audits a successful write of one entity.
    pub(crate) fn audited<'a, T>(
        &'a self,
        actor: &'a Actor,
        action: AuditAction,
        entity: EntityKind,
        id_of: impl Fn(&T) -> i64 + Send + Sync + 'a,
    ) -> impl Fn(&T) -> Effects + Send + Sync + 'a {
        move |t: &T| {
            Effects::audit(self.audit_event(
                actor,
                action,
                entity,
                Some(id_of(t)),
                AuditOutcome::Success,
                "",
            ))
        }
    }
}
