//! Sign-in, the second factor, device cookies and sessions. The account's own settings are in
//! `account.rs`, users, tokens and setup in `users.rs`.

use std::net::IpAddr;

use super::{Actor, ActorKind, Cachet, Error, Result};
use crate::auth::device::DeviceCookie;
use crate::auth::password::{PasswordError, hash_password, verify_password};
use crate::auth::session::SessionCheck;
use crate::auth::throttle::{ThrottlePolicy, account_key, address_key, second_factor_key};
use crate::auth::tokens::{hash_secret, normalize_recovery_code, random_secret};
use crate::auth::{csrf, totp};
use crate::model::*;
use crate::store::{Effects, no_effects};
use crate::validate::{Email, Name, ValidationError};

/// A new session: the secret for the cookie (shown to the browser only) and the stored row.
#[derive(Clone)]
pub struct SessionTicket {
    /// The session id for the cookie.
    pub secret: String,
    /// The `Set-Cookie` header value.
    pub set_cookie: String,
    /// A second `Set-Cookie` value, the browser's device cookie, once a sign-in completes
    /// (see [`crate::auth::device`]); `None` for a pending sign-in and for rotations.
    pub device_cookie: Option<String>,
    /// The stored session.
    pub session: Session,
}

impl std::fmt::Debug for SessionTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SessionTicket {{ session: {:?}, secret: <redacted> }}",
            self.session.id
        )
    }
}

/// The result of a correct password.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// Signed in.
    SignedIn(SessionTicket),
    /// The password was right; the second factor is owed (the ticket's session can do
    /// nothing but [`Cachet::complete_second_factor`]).
    SecondFactorRequired(SessionTicket),
}

/// What a session cookie resolves to.
#[derive(Debug, Clone)]
pub enum SessionLookup {
    /// No session (none presented, unknown, expired or revoked).
    None,
    /// Password accepted, second factor owed.
    PendingSecondFactor(Session),
    /// A signed-in user.
    Active(Actor),
}

/// A started TOTP enrolment: what the user scans or types. Active only after a correct code.
#[derive(Clone)]
pub struct Enrollment {
    /// The `otpauth://` URI.
    pub otpauth_uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
    /// The secret in base32 for manual entry.
    pub secret_base32: String,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrollment { <redacted> }")
    }
}

/// What creating a user needs, as typed by a person.
///
/// Build it with [`NewUserInput::new`]; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Clone)]
#[non_exhaustive]
pub struct NewUserInput {
    /// Display name.
    pub name: Name,
    /// Sign-in address.
    pub email: Email,
    /// Role.
    pub role: Role,
    /// The chosen password (checked against the policy).
    pub password: String,
}

impl NewUserInput {
    /// The input with every field.
    #[must_use]
    pub fn new(name: Name, email: Email, role: Role, password: String) -> Self {
        Self {
            name,
            email,
            role,
            password,
        }
    }
}

impl std::fmt::Debug for NewUserInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserInput")
            .field("name", &self.name)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("password", &"<redacted>")
            .finish()
    }
}

pub(super) const TOTP_AAD: &[u8] = crate::auth::totp::SECRET_AAD;

/// Whether a user's second factor is enrolled and confirmed.
pub(super) fn two_factor_active(user: &User) -> bool {
    user.totp.as_ref().is_some_and(|t| t.confirmed_at.is_some())
}

/// The key counting one pending sign-in's wrong codes (kept in the throttle table, so every
/// instance sees the same count; pruned with it).
fn pending_tries_key(session: &Session) -> String {
    format!("pending-2fa:{}", session.id.get())
}

/// Who is signing in: what the request carried besides the credentials.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct SignInClient<'a> {
    /// The client's address (as the trusted-proxy rule determined it).
    pub ip: Option<IpAddr>,
    /// The `User-Agent`, kept (shortened) with the session.
    pub user_agent: Option<&'a str>,
    /// The device cookie the browser presented, if any ([`crate::auth::device`]).
    pub device: Option<&'a str>,
    /// A session cookie presented with the request: ended at sign-in (the id rotates).
    pub previous_session: Option<&'a str>,
}

impl<'a> SignInClient<'a> {
    /// A client at `ip` with nothing else known.
    #[must_use]
    pub fn at(ip: Option<IpAddr>) -> Self {
        Self {
            ip,
            ..Self::default()
        }
    }

    /// With a `User-Agent`.
    #[must_use]
    pub fn user_agent(mut self, user_agent: Option<&'a str>) -> Self {
        self.user_agent = user_agent;
        self
    }

    /// With the device cookie the browser presented.
    #[must_use]
    pub fn device(mut self, device: Option<&'a str>) -> Self {
        self.device = device;
        self
    }

    /// With the session cookie the browser presented.
    #[must_use]
    pub fn previous_session(mut self, previous_session: Option<&'a str>) -> Self {
        self.previous_session = previous_session;
        self
    }
}

/// Which throttle keys a sign-in step counts on.
pub(super) struct Budget {
    /// Checked before, and charged on failure.
    pub(super) keys: Vec<String>,
    /// The browser's device cookie, when it is trusted for this account.
    device: Option<DeviceCookie>,
}

impl Cachet {
    /// The budget of a password check: a trusted browser's own key, or the account's and the
    /// address's keys for everyone else (OWASP's device-cookie scheme: a stranger's failures
    /// lock out strangers, not the user's own browser).
    async fn password_budget(
        &self,
        email_norm: &str,
        user: Option<&User>,
        client: &SignInClient<'_>,
    ) -> Result<Budget> {
        if let Some(device) = self.trusted_device(user, client.device).await? {
            return Ok(Budget {
                keys: vec![device.throttle_key()],
                device: Some(device),
            });
        }
        let mut keys = vec![account_key(&self.keyring().blind_index(email_norm))];
        if let Some(ip) = client.ip {
            keys.push(address_key(ip));
        }
        Ok(Budget { keys, device: None })
    }

    /// The budget of a second-factor check: per trusted browser, else per account whatever
    /// the address.
    pub(super) async fn second_factor_budget(
        &self,
        user: &User,
        device: Option<&str>,
    ) -> Result<Budget> {
        if let Some(device) = self.trusted_device(Some(user), device).await? {
            return Ok(Budget {
                keys: vec![format!("2fa-{}", device.throttle_key())],
                device: Some(device),
            });
        }
        Ok(Budget {
            keys: vec![second_factor_key(
                &self.keyring().blind_index(user.email.as_str()),
            )],
            device: None,
        })
    }

    /// The presented device cookie, if it verifies, names this user, and its own budget is
    /// not spent (a locked device is treated as any other client).
    async fn trusted_device(
        &self,
        user: Option<&User>,
        presented: Option<&str>,
    ) -> Result<Option<DeviceCookie>> {
        let (Some(user), Some(presented)) = (user, presented) else {
            return Ok(None);
        };
        let lifetime = self.config().trusted_device_lifetime;
        let Some(device) =
            DeviceCookie::verify(self.keyring(), presented, user, self.now(), lifetime)
        else {
            return Ok(None);
        };
        let state = self.store().throttle(&device.throttle_key()).await?;
        let locked = self
            .config()
            .throttle
            .locked_until(state.as_ref(), self.now())
            .is_some();
        Ok((!locked).then_some(device))
    }

    pub(super) async fn check_throttle(
        &self,
        policy: &ThrottlePolicy,
        keys: &[String],
    ) -> Result<()> {
        let now = self.now();
        let mut until = None;
        for key in keys {
            let state = self.store().throttle(key).await?;
            if let Some(u) = policy.locked_until(state.as_ref(), now) {
                until = Some(until.map_or(u, |x: crate::clock::Timestamp| x.max(u)));
            }
        }
        if until.is_some() {
            self.telemetry().record_sign_in_throttled();
        }
        match until {
            Some(u) => Err(Error::Throttled {
                retry_after: u - now,
            }),
            None => Ok(()),
        }
    }

    pub(super) async fn record_failure(
        &self,
        actor: &Actor,
        policy: &ThrottlePolicy,
        keys: &[String],
        action: AuditAction,
        user: Option<UserId>,
    ) {
        let now = self.now();
        let mut locked = false;
        for key in keys {
            let previous = self.store().throttle(key).await.ok().flatten();
            let next = policy.record_failure(key, previous.as_ref(), now);
            locked |= policy.is_lockout(&next);
            let _ = self.store().save_throttle(&next).await;
        }
        let id = user.map(UserId::get);
        self.append_audit(
            actor,
            action,
            EntityKind::User,
            id,
            AuditOutcome::Failure,
            "",
        )
        .await;
        if locked {
            self.telemetry().record_lockout();
            self.append_audit(
                actor,
                AuditAction::Lockout,
                EntityKind::User,
                id,
                AuditOutcome::Denied,
                "",
            )
            .await;
        }
    }

    /// A completed sign-in (password, and the second factor where enrolled) clears the counts
    /// of the budget it was made on and (re)issues the browser's device cookie. A sign-in
    /// from a trusted browser clears only that browser's counts: the account's count of
    /// strangers' failures stands, or every sign-in of the user would launder it.
    async fn complete_sign_in(&self, user: &User, device: Option<&DeviceCookie>) -> Result<String> {
        let keys = match device {
            Some(d) => vec![d.throttle_key(), format!("2fa-{}", d.throttle_key())],
            None => {
                let index = self.keyring().blind_index(user.email.as_str());
                vec![account_key(&index), second_factor_key(&index)]
            }
        };
        for key in &keys {
            self.store().clear_throttle(key).await?;
        }
        let (_, value) = DeviceCookie::mint(self.keyring(), user, self.now())?;
        Ok(self
            .cookie_policy()
            .set_device_cookie(&value, self.config().trusted_device_lifetime))
    }

    /// Checks a password against a hash off the async workers (argon2 takes tens of
    /// milliseconds of CPU; a flood of sign-ins must not stall unrelated requests).
    pub(crate) async fn verify_password(
        &self,
        hash: &PasswordHash,
        password: &str,
    ) -> Result<crate::auth::password::Verification> {
        let (params, hash, password) = (self.config().argon2, hash.clone(), password.to_owned());
        crate::cpu::offload(move || verify_password(params, &hash, &password))
            .await
            .map_err(|_| Error::Internal)
    }

    /// Hashes a new password off the async workers.
    pub(crate) async fn hash_password(&self, password: &str) -> Result<PasswordHash> {
        let (params, password) = (self.config().argon2, password.to_owned());
        crate::cpu::offload(move || hash_password(params, &password))
            .await
            .map_err(|_| Error::Internal)?
            .map_err(|e| match e {
                PasswordError::Policy(v) => Error::Validation(ValidationError::new("password", v)),
                PasswordError::Hashing => Error::Internal,
            })
    }

    pub(super) async fn new_session(
        &self,
        user: &User,
        pending: bool,
        ip: Option<IpAddr>,
        user_agent: Option<&str>,
    ) -> Result<SessionTicket> {
        let secret = random_secret()?;
        let now = self.now();
        let new = NewSession {
            hash: hash_secret(&secret),
            user_id: user.id,
            pending_second_factor: pending,
            expires_at: self.config().session.expires_at(now),
            ip: ip.map(|i| i.to_string()),
            user_agent: user_agent
                .map(|ua| ua.chars().filter(|c| !c.is_control()).take(200).collect()),
        };
        let session = self.store().create_session(self.cx(), &new).await?;
        Ok(SessionTicket {
            set_cookie: self.cookie_policy().set_cookie(&secret),
            device_cookie: None,
            secret,
            session,
        })
    }

    /// Signs in with email and password, as [`Self::sign_in`] for a client that presents no
    /// device cookie (the command line, tests, hosts without cookies).
    ///
    /// # Errors
    ///
    /// As [`Self::sign_in`].
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        ip: Option<IpAddr>,
        user_agent: Option<&str>,
        previous_session: Option<&str>,
    ) -> Result<LoginOutcome> {
        let client = SignInClient::at(ip)
            .user_agent(user_agent)
            .previous_session(previous_session);
        self.sign_in(email, password, client).await
    }

    /// Signs in with email and password. The answer and its timing are the same for an
    /// unknown address and a wrong password. A browser that presents a valid device cookie
    /// for the account is throttled on its own budget; every other client counts against
    /// the account's and the address's budgets, so a stranger can slow strangers down but
    /// not lock the user's own browser out. A correct password resets nothing until the
    /// sign-in is complete (with the second factor, where enrolled). A previous session
    /// presented with the request is ended (the id rotates at sign-in).
    ///
    /// # Errors
    ///
    /// [`Error::InsecureTransport`], [`Error::Throttled`], [`Error::InvalidCredentials`].
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: SignInClient<'_>,
    ) -> Result<LoginOutcome> {
        if !self.cookie_policy().sign_in_allowed() {
            return Err(Error::InsecureTransport);
        }
        let visitor = Actor::anonymous(client.ip);
        let email_norm = email.trim().to_ascii_lowercase();
        let user = match Email::parse(&email_norm) {
            Ok(e) => self.store().user_by_email(&e).await?,
            Err(_) => None,
        };
        let budget = self
            .password_budget(&email_norm, user.as_ref(), &client)
            .await?;
        // One attempt at a time per budget: parallel guesses cannot all pass the check
        // before the first failure is written.
        let _turn = self.inner.attempts.enter(&budget.keys[0]).await;
        if let Err(e) = self
            .check_throttle(&self.config().throttle, &budget.keys)
            .await
        {
            self.append_audit(
                &visitor,
                AuditAction::LoginFailure,
                EntityKind::User,
                None,
                AuditOutcome::Denied,
                "throttled",
            )
            .await;
            return Err(e);
        }
        let hash = user
            .as_ref()
            .map_or(&self.inner.dummy_hash, |u| &u.password_hash);
        let verdict = self.verify_password(hash, password).await?;
        let Some(user) = user.filter(|u| verdict.ok && u.active) else {
            let policy = self.config().throttle;
            self.record_failure(
                &visitor,
                &policy,
                &budget.keys,
                AuditAction::LoginFailure,
                None,
            )
            .await;
            return Err(Error::InvalidCredentials);
        };
        if let Some(prev) = client.previous_session
            && let Some(s) = self.store().session_by_hash(&hash_secret(prev)).await?
        {
            self.store().delete_session(s.id).await?;
        }
        let mut patch = UserPatch::default();
        if verdict.needs_rehash {
            // Same password, stronger parameters: not a password change, so no history.
            patch.password_hash = Some(self.hash_password(password).await?);
        }
        let two_factor = two_factor_active(&user);
        if !two_factor {
            patch.last_login_at = Some(self.now());
        }
        let user = if patch == UserPatch::default() {
            user
        } else {
            self.store()
                .update_user(self.cx(), user.id, &patch, &no_effects)
                .await?
        };
        let mut ticket = self
            .new_session(&user, two_factor, client.ip, client.user_agent)
            .await?;
        if !two_factor {
            ticket.device_cookie =
                Some(self.complete_sign_in(&user, budget.device.as_ref()).await?);
        }
        let detail = if two_factor {
            "password accepted, second factor owed"
        } else {
            ""
        };
        self.append_audit(
            &visitor,
            AuditAction::LoginSuccess,
            EntityKind::User,
            Some(user.id.get()),
            AuditOutcome::Success,
            detail,
        )
        .await;
        Ok(if two_factor {
            LoginOutcome::SecondFactorRequired(ticket)
        } else {
            LoginOutcome::SignedIn(ticket)
        })
    }

    /// Completes sign-in with a TOTP code or a recovery code. The pending session is replaced
    /// by a new one (rotation). Wrong codes count against the account's second-factor budget
    /// (or a trusted browser's own), which only a completed sign-in resets; a pending
    /// sign-in that sent [`Config::pending_second_factor_tries`](crate::Config) wrong codes
    /// ends, and the client must start again with the password.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthenticated`] (no pending session, or it just ended), [`Error::Throttled`],
    /// [`Error::InvalidCode`].
    pub async fn complete_second_factor(
        &self,
        pending_secret: &str,
        code: &str,
        ip: Option<IpAddr>,
        user_agent: Option<&str>,
    ) -> Result<SessionTicket> {
        let client = SignInClient::at(ip).user_agent(user_agent);
        self.complete_second_factor_from(pending_secret, code, client)
            .await
    }

    /// As [`Self::complete_second_factor`], for a client that may present a device cookie.
    ///
    /// # Errors
    ///
    /// As [`Self::complete_second_factor`].
    pub(crate) async fn complete_second_factor_from(
        &self,
        pending_secret: &str,
        code: &str,
        client: SignInClient<'_>,
    ) -> Result<SessionTicket> {
        let Some(session) = self
            .store()
            .session_by_hash(&hash_secret(pending_secret))
            .await?
        else {
            return Err(Error::Unauthenticated);
        };
        if !session.pending_second_factor
            || !matches!(
                self.config().session.check(&session, self.now()),
                SessionCheck::Valid { .. }
            )
        {
            return Err(Error::Unauthenticated);
        }
        let visitor = Actor::anonymous(client.ip);
        let user = self.store().user(session.user_id).await?;
        if !user.active || !two_factor_active(&user) {
            // Deactivated, or 2FA switched off since the password step: start again.
            self.store().delete_session(session.id).await?;
            return Err(Error::Unauthenticated);
        }
        let budget = self.second_factor_budget(&user, client.device).await?;
        let policy = self.config().second_factor_throttle;
        // One code at a time per budget, so parallel guesses are counted one by one.
        let _turn = self.inner.attempts.enter(&budget.keys[0]).await;
        // The pending sign-in may have ended while this request waited its turn.
        if self
            .store()
            .session_by_hash(&hash_secret(pending_secret))
            .await?
            .is_none()
        {
            return Err(Error::Unauthenticated);
        }
        self.check_throttle(&policy, &budget.keys).await?;
        let accepted = match self.accept_totp(&user, code).await? {
            true => Some(AuditAction::TwoFactorSuccess),
            false => match normalize_recovery_code(code) {
                Some(norm) => {
                    let fx = |u: &UserId| {
                        Effects::audit(self.audit_event(
                            &visitor,
                            AuditAction::RecoveryCodeUse,
                            EntityKind::User,
                            Some(u.get()),
                            AuditOutcome::Success,
                            "",
                        ))
                    };
                    self.store()
                        .use_recovery_code(self.cx(), user.id, &hash_secret(&norm), &fx)
                        .await?
                        .then_some(AuditAction::TwoFactorSuccess)
                }
                None => None,
            },
        };
        let Some(action) = accepted else {
            self.record_failure(
                &visitor,
                &policy,
                &budget.keys,
                AuditAction::TwoFactorFailure,
                Some(user.id),
            )
            .await;
            return Err(self.count_pending_try(&session).await);
        };
        self.store().delete_session(session.id).await?;
        self.store()
            .clear_throttle(&pending_tries_key(&session))
            .await?;
        let patch = UserPatch {
            last_login_at: Some(self.now()),
            ..UserPatch::default()
        };
        let user = self
            .store()
            .update_user(self.cx(), user.id, &patch, &no_effects)
            .await?;
        let mut ticket = self
            .new_session(&user, false, client.ip, client.user_agent)
            .await?;
        ticket.device_cookie = Some(self.complete_sign_in(&user, budget.device.as_ref()).await?);
        self.append_audit(
            &visitor,
            action,
            EntityKind::User,
            Some(user.id.get()),
            AuditOutcome::Success,
            "",
        )
        .await;
        Ok(ticket)
    }

    /// Counts a wrong code against a pending sign-in; the last allowed one ends it. Returns
    /// the answer for the client.
    async fn count_pending_try(&self, session: &Session) -> Error {
        let key = pending_tries_key(session);
        let now = self.now();
        let tries = match self.store().throttle(&key).await {
            Ok(state) => state.map_or(0, |s| s.failures).saturating_add(1),
            Err(e) => return e.into(),
        };
        if tries >= self.config().pending_second_factor_tries {
            let _ = self.store().delete_session(session.id).await;
            let _ = self.store().clear_throttle(&key).await;
            return Error::Unauthenticated;
        }
        let state = ThrottleState {
            key,
            failures: tries,
            last_failure_at: now,
            locked_until: None,
        };
        match self.store().save_throttle(&state).await {
            Ok(()) => Error::InvalidCode,
            Err(e) => e.into(),
        }
    }

    /// Checks a TOTP code for a user with confirmed 2FA and records its step.
    pub(super) async fn accept_totp(&self, user: &User, code: &str) -> Result<bool> {
        let Some(state) = user.totp.as_ref().filter(|t| t.confirmed_at.is_some()) else {
            return Ok(false);
        };
        self.accept_totp_code(user, state, code).await
    }

    pub(super) async fn accept_totp_code(
        &self,
        user: &User,
        state: &TotpState,
        code: &str,
    ) -> Result<bool> {
        let secret = self
            .keyring()
            .open(&state.secret, TOTP_AAD)
            .map_err(|_| Error::Internal)?;
        let Some(step) = totp::matching_step(&secret, code, self.now(), state.last_step) else {
            return Ok(false);
        };
        Ok(self.store().accept_totp_step(user.id, step).await?)
    }

    /// Resolves a session cookie: checks the idle and absolute timeouts (an expired session
    /// is deleted and the refusal audited) and records activity.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn resolve_session(&self, secret: &str, ip: Option<IpAddr>) -> Result<SessionLookup> {
        let Some(session) = self.store().session_by_hash(&hash_secret(secret)).await? else {
            // A session id from before a rotation, after sign-out or a password change, or a
            // forged one: refused, and audited so replays of stolen cookies are visible.
            self.append_audit(
                &Actor::anonymous(ip),
                AuditAction::SessionRefused,
                EntityKind::Session,
                None,
                AuditOutcome::Denied,
                "unknown or ended session",
            )
            .await;
            return Ok(SessionLookup::None);
        };
        let now = self.now();
        let touch = match self.config().session.check(&session, now) {
            SessionCheck::Valid { touch } => touch,
            expired => {
                self.store().delete_session(session.id).await?;
                let detail = format!("{expired:?}");
                self.append_audit(
                    &Actor::anonymous(ip),
                    AuditAction::SessionRefused,
                    EntityKind::Session,
                    Some(session.id.get()),
                    AuditOutcome::Denied,
                    &detail,
                )
                .await;
                return Ok(SessionLookup::None);
            }
        };
        if session.pending_second_factor {
            return Ok(SessionLookup::PendingSecondFactor(session));
        }
        let user = match self.store().user(session.user_id).await {
            Ok(u) if u.active => u,
            Ok(_) | Err(crate::store::StoreError::NotFound { .. }) => {
                self.store().delete_session(session.id).await?;
                return Ok(SessionLookup::None);
            }
            Err(e) => return Err(e.into()),
        };
        let session = if touch {
            self.store()
                .update_session(
                    session.id,
                    &SessionPatch {
                        last_seen_at: Some(now),
                        ..SessionPatch::default()
                    },
                )
                .await?
        } else {
            session
        };
        let must_enroll_2fa = user.role == Role::Admin
            && !two_factor_active(&user)
            && self.settings().await?.require_2fa_for_admins;
        Ok(SessionLookup::Active(Actor {
            kind: ActorKind::Session {
                user: Box::new(user),
                session: Box::new(session),
                must_enroll_2fa,
            },
            ip,
        }))
    }

    /// The CSRF synchronizer token of a session actor's forms.
    #[must_use]
    pub fn csrf_token(&self, actor: &Actor) -> Option<String> {
        actor
            .session()
            .map(|s| csrf::session_token(self.keyring(), &s.hash))
    }

    /// Signs out: the session is deleted server-side.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthenticated`] without a session.
    pub async fn logout(&self, actor: &Actor) -> Result<()> {
        let session = actor.session().ok_or(Error::Unauthenticated)?;
        self.store().delete_session(session.id).await?;
        self.append_audit(
            actor,
            AuditAction::Logout,
            EntityKind::Session,
            Some(session.id.get()),
            AuditOutcome::Success,
            "",
        )
        .await;
        Ok(())
    }
}
