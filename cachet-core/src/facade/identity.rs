//! Sign-in, second factor, sessions, passwords, TOTP enrolment, API tokens, users and the
//! one-time setup.

use std::net::IpAddr;

use chrono::TimeDelta;

use super::{Actor, ActorKind, Cachet, Error, Result};
use crate::auth::device::DeviceCookie;
use crate::auth::password::{PasswordError, hash_password, verify_password};
use crate::auth::policy::Permission;
use crate::auth::session::SessionCheck;
use crate::auth::throttle::{ThrottlePolicy, account_key, address_key, second_factor_key};
use crate::auth::tokens::{
    RECOVERY_CODE_COUNT, hash_secret, hashes_equal, is_well_formed_api_token, mint_api_token,
    mint_recovery_code, normalize_recovery_code, random_secret,
};
use crate::auth::{csrf, totp};
use crate::model::*;
use crate::store::{Changed, Effects, no_effects};
use crate::validate::{Email, Name, ValidationError, Violation, ViolationExt};

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
#[derive(Clone)]
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

const TOTP_AAD: &[u8] = b"cachet-rs/totp-secret";

/// Whether a user's second factor is enrolled and confirmed.
fn two_factor_active(user: &User) -> bool {
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
struct Budget {
    /// Checked before, and charged on failure.
    keys: Vec<String>,
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
    async fn second_factor_budget(&self, user: &User, device: Option<&str>) -> Result<Budget> {
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

    async fn check_throttle(&self, policy: &ThrottlePolicy, keys: &[String]) -> Result<()> {
        let now = self.now();
        let mut until = None;
        for key in keys {
            let state = self.store().throttle(key).await?;
            if let Some(u) = policy.locked_until(state.as_ref(), now) {
                until = Some(until.map_or(u, |x: crate::clock::Timestamp| x.max(u)));
            }
        }
        match until {
            Some(u) => Err(Error::Throttled {
                retry_after: u - now,
            }),
            None => Ok(()),
        }
    }

    async fn record_failure(
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

    async fn new_session(
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
    pub async fn complete_second_factor_from(
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
    async fn accept_totp(&self, user: &User, code: &str) -> Result<bool> {
        let Some(state) = user.totp.as_ref().filter(|t| t.confirmed_at.is_some()) else {
            return Ok(false);
        };
        self.accept_totp_code(user, state, code).await
    }

    async fn accept_totp_code(&self, user: &User, state: &TotpState, code: &str) -> Result<bool> {
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

    /// The policy check of a new password (length, strength, no site or account words).
    pub(crate) async fn check_new_password(
        &self,
        password: &str,
        email: &Email,
        name: &Name,
    ) -> Result<()> {
        let site = self
            .settings()
            .await?
            .app_name
            .map(Name::into_string)
            .unwrap_or_default();
        self.config()
            .password_policy
            .check(password, &[email.as_str(), name.as_str(), &site])
            .map_err(|v| Error::Validation(ValidationError::new("password", v)))
    }

    /// Refuses a new password that repeats the user's current one or one of the last
    /// [`PASSWORD_HISTORY_LEN`] (the history holds argon2 hashes only, so it is no weaker
    /// than the password itself).
    pub(crate) async fn check_not_reused(&self, user: &User, password: &str) -> Result<()> {
        let mut hashes = vec![user.password_hash.clone()];
        hashes.extend(self.store().password_history(user.id).await?);
        for hash in &hashes {
            if self.verify_password(hash, password).await?.ok {
                return Err(Error::Validation(ValidationError::new(
                    "password",
                    Violation::Format {
                        expected: "a password not used for this account recently",
                    },
                )));
            }
        }
        Ok(())
    }

    /// The password check behind a session (password change, 2FA changes, recovery codes):
    /// the sign-in form's policy on the session's own key, with one answer for every wrong
    /// password, so a stolen session cookie does not turn into a fast password oracle.
    /// Failures also count on the account's key (they are guesses at the account's password),
    /// but that key is not checked here: a stranger keeping the sign-in form locked for
    /// strangers must not stop the signed-in user from changing their password.
    async fn check_session_password(
        &self,
        actor: &Actor,
        user: &User,
        password: &str,
        action: AuditAction,
    ) -> Result<()> {
        let session = actor.session().ok_or(Error::Forbidden)?;
        let session_key = format!("session-password:{}", session.id.get());
        let policy = self.config().throttle;
        let _turn = self.inner.attempts.enter(&session_key).await;
        self.check_throttle(&policy, std::slice::from_ref(&session_key))
            .await?;
        if self
            .verify_password(&user.password_hash, password)
            .await?
            .ok
        {
            return Ok(());
        }
        let keys = [
            session_key,
            account_key(&self.keyring().blind_index(user.email.as_str())),
        ];
        self.record_failure(actor, &policy, &keys, action, Some(user.id))
            .await;
        Err(Error::InvalidCredentials)
    }

    /// Ends every outstanding password reset link of a user (after any password change, and
    /// when one link is used).
    pub(crate) async fn end_reset_links(&self, user: UserId) -> Result<()> {
        self.store()
            .end_one_time_tokens(TokenPurpose::PasswordReset, user.get(), self.now())
            .await?;
        Ok(())
    }

    /// Changes the signed-in user's password. Needs the current password; ends every other
    /// session of the user and rotates the current one, and ends outstanding reset links.
    /// The new password is checked against the policy before the current one is looked at,
    /// so the answer to a wrong current password never depends on what else was typed.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] (not a session), [`Error::Validation`] (policy, or a recently
    /// used password), [`Error::Throttled`], [`Error::InvalidCredentials`] (wrong current
    /// password).
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
    ) -> Result<SessionTicket> {
        let user = self.own_account(actor).await?;
        self.check_new_password(new, &user.email, &user.name)
            .await?;
        self.check_session_password(actor, &user, current, AuditAction::PasswordChange)
            .await?;
        self.check_not_reused(&user, new).await?;
        let patch = UserPatch {
            password_hash: Some(self.hash_password(new).await?),
            ..UserPatch::default()
        };
        let fx = self.audited(
            actor,
            AuditAction::PasswordChange,
            EntityKind::User,
            |c: &Changed<User>| c.after.id.get(),
        );
        let user = self
            .store()
            .update_user(self.cx(), user.id, &patch, &fx)
            .await?;
        self.store().delete_sessions_of(user.id, None).await?;
        self.end_reset_links(user.id).await?;
        let user_agent = actor.session().and_then(|s| s.user_agent.clone());
        self.new_session(&user, false, actor.ip(), user_agent.as_deref())
            .await
    }

    /// Starts TOTP enrolment for the signed-in user. Refused while 2FA is already active
    /// (disable it first).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Conflict`].
    pub async fn begin_totp_enrollment(&self, actor: &Actor) -> Result<Enrollment> {
        let user = self.own_account(actor).await?;
        if two_factor_active(&user) {
            return Err(Error::Conflict(
                "two-factor authentication is already active",
            ));
        }
        let secret = totp::new_secret()?;
        let enrollment = self.enrollment_of(&user, &secret).await?;
        let state = TotpState {
            secret: self.keyring().seal(&secret, TOTP_AAD)?,
            confirmed_at: None,
            last_step: None,
        };
        let patch = UserPatch {
            totp: Some(Some(state)),
            ..UserPatch::default()
        };
        self.store()
            .update_user(self.cx(), user.id, &patch, &no_effects)
            .await?;
        Ok(enrollment)
    }

    /// The enrolment in progress, shown again after a mistyped confirmation code, so the
    /// user keeps the secret their authenticator already holds (only "start again" replaces
    /// it). The form sends back the secret it showed (`shown_secret_base32`); the enrolment
    /// is shown only when it matches the one in progress, so another session of the same
    /// user cannot read a secret it was never shown.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Conflict`] (no enrolment in progress, or another one).
    pub async fn pending_totp_enrollment(
        &self,
        actor: &Actor,
        shown_secret_base32: &str,
    ) -> Result<Enrollment> {
        let user = self.own_account(actor).await?;
        let state = user
            .totp
            .as_ref()
            .filter(|t| t.confirmed_at.is_none())
            .ok_or(Error::Conflict("no enrolment in progress"))?;
        let secret = self
            .keyring()
            .open(&state.secret, TOTP_AAD)
            .map_err(|_| Error::Internal)?;
        let enrollment = self.enrollment_of(&user, &secret).await?;
        let shown = shown_secret_base32
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if hashes_equal(
            &hash_secret(&shown),
            &hash_secret(&enrollment.secret_base32),
        ) {
            Ok(enrollment)
        } else {
            Err(Error::Conflict("another enrolment is in progress"))
        }
    }

    async fn enrollment_of(&self, user: &User, secret: &[u8]) -> Result<Enrollment> {
        let issuer = self
            .settings()
            .await?
            .app_name
            .map_or_else(|| "Cachet".to_owned(), Name::into_string);
        let uri = totp::otpauth_uri(secret, &issuer, user.email.as_str()).ok_or(Error::Internal)?;
        Ok(Enrollment {
            qr_svg: totp::qr_svg(&uri).ok_or(Error::Internal)?,
            secret_base32: totp::secret_base32(secret).ok_or(Error::Internal)?,
            otpauth_uri: uri,
        })
    }

    /// Confirms enrolment with a correct code: 2FA becomes active, the session rotates (a
    /// privilege change), and ten recovery codes are returned, to be shown once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidCode`], [`Error::Conflict`] (nothing to confirm).
    pub async fn confirm_totp_enrollment(
        &self,
        actor: &Actor,
        code: &str,
    ) -> Result<(Vec<String>, SessionTicket)> {
        let user = self.own_account(actor).await?;
        let state = user
            .totp
            .clone()
            .filter(|t| t.confirmed_at.is_none())
            .ok_or(Error::Conflict("no enrolment in progress"))?;
        if !self.accept_totp_code(&user, &state, code).await? {
            self.append_audit(
                actor,
                AuditAction::TwoFactorFailure,
                EntityKind::User,
                Some(user.id.get()),
                AuditOutcome::Failure,
                "enrolment",
            )
            .await;
            return Err(Error::InvalidCode);
        }
        let user = self.store().user(user.id).await?;
        let mut state = user.totp.clone().ok_or(Error::Internal)?;
        state.confirmed_at = Some(self.now());
        let patch = UserPatch {
            totp: Some(Some(state)),
            ..UserPatch::default()
        };
        let fx = self.audited(
            actor,
            AuditAction::TwoFactorEnroll,
            EntityKind::User,
            |c: &Changed<User>| c.after.id.get(),
        );
        let user = self
            .store()
            .update_user(self.cx(), user.id, &patch, &fx)
            .await?;
        let codes = self.replace_recovery_codes(actor, &user).await?;
        let ticket = self.rotate_session(actor, &user).await?;
        Ok((codes, ticket))
    }

    async fn replace_recovery_codes(&self, actor: &Actor, user: &User) -> Result<Vec<String>> {
        let codes: Vec<String> = (0..RECOVERY_CODE_COUNT)
            .map(|_| mint_recovery_code())
            .collect::<Result<_, _>>()?;
        let hashes: Vec<TokenHash> = codes
            .iter()
            .filter_map(|c| normalize_recovery_code(c))
            .map(|c| hash_secret(&c))
            .collect();
        let fx = |u: &UserId| {
            Effects::audit(self.audit_event(
                actor,
                AuditAction::Update,
                EntityKind::User,
                Some(u.get()),
                AuditOutcome::Success,
                "recovery codes replaced",
            ))
        };
        self.store()
            .replace_recovery_codes(self.cx(), user.id, &hashes, &fx)
            .await?;
        Ok(codes)
    }

    /// Replaces the signed-in user's recovery codes (the old ones stop working). Needs the
    /// password (on the sign-in budget). Whether 2FA is active is decided before the password
    /// is looked at, so the answer to a wrong password is always the same.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] (2FA not active), [`Error::Throttled`],
    /// [`Error::InvalidCredentials`].
    pub async fn regenerate_recovery_codes(
        &self,
        actor: &Actor,
        password: &str,
    ) -> Result<Vec<String>> {
        let user = self.own_account(actor).await?;
        if !two_factor_active(&user) {
            return Err(Error::Conflict("two-factor authentication is not active"));
        }
        self.check_session_password(actor, &user, password, AuditAction::LoginFailure)
            .await?;
        self.replace_recovery_codes(actor, &user).await
    }

    /// Disables 2FA for the signed-in user; needs the password and a current code (or a
    /// recovery code). A wrong password and a wrong code get the same answer
    /// ([`Error::InvalidCredentials`]), so the form cannot tell a stolen session whether the
    /// password was right; the code is checked only after the password, and a wrong code also
    /// counts against the account's second-factor budget.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] (2FA not active), [`Error::Throttled`],
    /// [`Error::InvalidCredentials`].
    pub async fn disable_totp(&self, actor: &Actor, password: &str, code: &str) -> Result<()> {
        let user = self.own_account(actor).await?;
        if !two_factor_active(&user) {
            return Err(Error::Conflict("two-factor authentication is not active"));
        }
        let budget = self.second_factor_budget(&user, None).await?;
        let policy = self.config().second_factor_throttle;
        self.check_throttle(&policy, &budget.keys).await?;
        self.check_session_password(actor, &user, password, AuditAction::LoginFailure)
            .await?;
        let ok = self.accept_totp(&user, code).await?
            || match normalize_recovery_code(code) {
                Some(n) => {
                    self.store()
                        .use_recovery_code(self.cx(), user.id, &hash_secret(&n), &no_effects)
                        .await?
                }
                None => false,
            };
        if !ok {
            self.record_failure(
                actor,
                &policy,
                &budget.keys,
                AuditAction::TwoFactorFailure,
                Some(user.id),
            )
            .await;
            return Err(Error::InvalidCredentials);
        }
        let patch = UserPatch {
            totp: Some(None),
            ..UserPatch::default()
        };
        let fx = self.audited(
            actor,
            AuditAction::TwoFactorDisable,
            EntityKind::User,
            |c: &Changed<User>| c.after.id.get(),
        );
        self.store()
            .update_user(self.cx(), user.id, &patch, &fx)
            .await?;
        self.store()
            .replace_recovery_codes(self.cx(), user.id, &[], &no_effects)
            .await?;
        Ok(())
    }

    /// The signed-in user managing their own account (a session, never a token), freshly read.
    async fn own_account(&self, actor: &Actor) -> Result<User> {
        self.authorize(actor, Permission::ManageOwnAccount).await?;
        let user = actor
            .user()
            .filter(|_| actor.session().is_some())
            .ok_or(Error::Forbidden)?;
        Ok(self.store().user(user.id).await?)
    }

    async fn rotate_session(&self, actor: &Actor, user: &User) -> Result<SessionTicket> {
        if let Some(s) = actor.session() {
            self.store().delete_session(s.id).await?;
        }
        // The browser stays the same across a rotation: keep what it said it was.
        let user_agent = actor.session().and_then(|s| s.user_agent.clone());
        self.new_session(user, false, actor.ip(), user_agent.as_deref())
            .await
    }

    /// Resolves an API token from `X-Cachet-Token` or `Authorization: Bearer`. Malformed,
    /// unknown, revoked and expired tokens and inactive owners are refused (the known ones
    /// audited); last use is recorded at most once a minute.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthenticated`].
    pub async fn resolve_api_token(&self, presented: &str, ip: Option<IpAddr>) -> Result<Actor> {
        let presented = presented.trim();
        if !is_well_formed_api_token(presented) {
            return Err(Error::Unauthenticated);
        }
        let hash = hash_secret(presented);
        let Some(token) = self.store().api_token_by_hash(&hash).await? else {
            return Err(Error::Unauthenticated);
        };
        let now = self.now();
        let refused = if !hashes_equal(&token.hash, &hash) {
            Some("hash mismatch")
        } else if token.revoked_at.is_some() {
            Some("revoked")
        } else if token.expires_at.is_some_and(|e| e <= now) {
            Some("expired")
        } else {
            None
        };
        let user = self.store().user(token.user_id).await?;
        let refused = refused.or((!user.active).then_some("owner inactive"));
        let actor = Actor {
            kind: ActorKind::Token {
                user: Box::new(user),
                token: Box::new(token.clone()),
            },
            ip,
        };
        if let Some(why) = refused {
            self.append_audit(
                &actor,
                AuditAction::TokenRefused,
                EntityKind::ApiToken,
                Some(token.id.get()),
                AuditOutcome::Denied,
                why,
            )
            .await;
            return Err(Error::Unauthenticated);
        }
        if token
            .last_used_at
            .is_none_or(|t| now - t >= TimeDelta::seconds(60))
        {
            let patch = ApiTokenPatch {
                last_used_at: Some(now),
                ..ApiTokenPatch::default()
            };
            let _ = self
                .store()
                .update_api_token(self.cx(), token.id, &patch, &no_effects)
                .await;
        }
        Ok(actor)
    }

    /// Creates an API token for `owner` (oneself needs `ManageOwnTokens`, anyone else
    /// `ManageAllTokens`). Returns the row and the secret, which is never shown again.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        owner: UserId,
        name: Name,
        scope: TokenScope,
        expires_in: Option<TimeDelta>,
    ) -> Result<(ApiToken, String)> {
        let own = actor.user().is_some_and(|u| u.id == owner);
        self.authorize(
            actor,
            if own {
                Permission::ManageOwnTokens
            } else {
                Permission::ManageAllTokens
            },
        )
        .await?;
        let minted = mint_api_token()?;
        let new = NewApiToken {
            user_id: owner,
            name,
            prefix: minted.prefix.clone(),
            hash: minted.hash,
            scope,
            expires_at: expires_in.map(|d| self.now() + d),
        };
        let fx = self.audited(
            actor,
            AuditAction::TokenCreate,
            EntityKind::ApiToken,
            |t: &ApiToken| t.id.get(),
        );
        let token = self
            .store()
            .create_api_token(self.cx(), &new, &fx)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Invalid { .. } => Error::NotFound { entity: "user" },
                other => other.into(),
            })?;
        Ok((token, minted.secret))
    }

    /// Revokes a token (one's own, or anyone's with `ManageAllTokens`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn revoke_api_token(&self, actor: &Actor, id: ApiTokenId) -> Result<ApiToken> {
        let token = self.store().api_token(id).await?;
        let own = actor.user().is_some_and(|u| u.id == token.user_id);
        self.authorize(
            actor,
            if own {
                Permission::ManageOwnTokens
            } else {
                Permission::ManageAllTokens
            },
        )
        .await?;
        let patch = ApiTokenPatch {
            revoked_at: Some(self.now()),
            ..ApiTokenPatch::default()
        };
        let fx = self.audited(
            actor,
            AuditAction::TokenRevoke,
            EntityKind::ApiToken,
            |c: &Changed<ApiToken>| c.after.id.get(),
        );
        Ok(self
            .store()
            .update_api_token(self.cx(), id, &patch, &fx)
            .await?)
    }

    /// Creates a user (`ManageUsers`; the operator always may).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Validation`] (password policy), [`Error::Conflict`]
    /// (email taken).
    pub async fn create_user(&self, actor: &Actor, input: NewUserInput) -> Result<User> {
        self.authorize(actor, Permission::ManageUsers).await?;
        self.insert_user(actor, input, false).await
    }

    async fn insert_user(
        &self,
        actor: &Actor,
        input: NewUserInput,
        only_if_no_admin: bool,
    ) -> Result<User> {
        self.check_new_password(&input.password, &input.email, &input.name)
            .await?;
        let new = NewUser {
            password_hash: self.hash_password(&input.password).await?,
            name: input.name,
            email: input.email,
            role: input.role,
            active: true,
            only_if_no_admin,
        };
        let fx = self.audited(actor, AuditAction::Create, EntityKind::User, |u: &User| {
            u.id.get()
        });
        Ok(self.store().create_user(self.cx(), &new, &fx).await?)
    }

    /// Changes a user's role (`ManageUsers`). Their sessions end (a privilege change rotates
    /// sessions). The last admin cannot be demoted.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Conflict`].
    pub async fn set_user_role(&self, actor: &Actor, id: UserId, role: Role) -> Result<User> {
        self.authorize(actor, Permission::ManageUsers).await?;
        let user = self.store().user(id).await?;
        if user.role == Role::Admin && role != Role::Admin && self.admin_count().await? <= 1 {
            return Err(Error::Conflict("the last admin cannot be demoted"));
        }
        let patch = UserPatch {
            role: Some(role),
            ..UserPatch::default()
        };
        let fx = |c: &Changed<User>| {
            let detail = format!("{} -> {}", c.before.role, c.after.role);
            Effects::audit(self.audit_event(
                actor,
                AuditAction::RoleChange,
                EntityKind::User,
                Some(c.after.id.get()),
                AuditOutcome::Success,
                &detail,
            ))
        };
        let user = self.store().update_user(self.cx(), id, &patch, &fx).await?;
        self.store().delete_sessions_of(id, None).await?;
        Ok(user)
    }

    /// Deletes a user (`ManageUsers`); never the last admin.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Conflict`].
    pub async fn delete_user(&self, actor: &Actor, id: UserId) -> Result<()> {
        self.authorize(actor, Permission::ManageUsers).await?;
        let user = self.store().user(id).await?;
        if user.role == Role::Admin && self.admin_count().await? <= 1 {
            return Err(Error::Conflict("the last admin cannot be deleted"));
        }
        let fx = self.audited(actor, AuditAction::Delete, EntityKind::User, |u: &User| {
            u.id.get()
        });
        Ok(self.store().delete_user(self.cx(), id, &fx).await?)
    }

    async fn admin_count(&self) -> Result<u64> {
        let q = crate::store::UserQuery::filtered(crate::store::UserFilter {
            role: Some(Role::Admin),
            active: Some(true),
        });
        Ok(self.store().users(&q).await?.total)
    }

    /// Whether the one-time setup is still open (no admin exists).
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn setup_open(&self) -> Result<bool> {
        let q = crate::store::UserQuery::filtered(crate::store::UserFilter {
            role: Some(Role::Admin),
            active: None,
        });
        Ok(self.store().users(&q).await?.total == 0)
    }

    /// Issues a setup token while no admin exists (the server prints it to its log at
    /// start). `None` once setup is closed.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn issue_setup_token(&self) -> Result<Option<String>> {
        if !self.setup_open().await? {
            return Ok(None);
        }
        let secret = random_secret()?;
        let new = NewOneTimeToken {
            purpose: TokenPurpose::Setup,
            hash: hash_secret(&secret),
            subject_id: None,
            payload: serde_json::Value::Null,
            expires_at: self.now() + self.config().setup_token_ttl,
        };
        self.store().create_one_time_token(self.cx(), &new).await?;
        Ok(Some(secret))
    }

    /// Completes the one-time setup: with a valid setup token, names the site and creates the
    /// first admin. Creating the admin is atomic with the "no admin yet" check, so two
    /// concurrent attempts cannot both win; once an admin exists, setup is closed for good.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] (bad or used token, or setup closed), [`Error::Validation`].
    pub async fn complete_setup(
        &self,
        token: &str,
        site_name: Name,
        admin: NewUserInput,
        ip: Option<IpAddr>,
    ) -> Result<User> {
        let visitor = Actor::anonymous(ip);
        if !self.setup_open().await? {
            return Err(Error::Forbidden);
        }
        // Validate before spending the token, so a weak password does not burn it.
        if admin.role != Role::Admin {
            return Err(Error::Validation(ValidationError::new(
                "role",
                Violation::NotAllowed { allowed: "admin" },
            )));
        }
        self.check_new_password(&admin.password, &admin.email, &admin.name)
            .await?;
        let Some(_) = self
            .store()
            .consume_one_time_token(TokenPurpose::Setup, &hash_secret(token), self.now())
            .await?
        else {
            self.append_audit(
                &visitor,
                AuditAction::SetupComplete,
                EntityKind::Site,
                None,
                AuditOutcome::Denied,
                "bad setup token",
            )
            .await;
            return Err(Error::Forbidden);
        };
        let user = self
            .insert_user(&visitor, admin, true)
            .await
            .map_err(|e| match e {
                Error::Conflict(_) => Error::Forbidden,
                other => other,
            })?;
        let fx = Effects::audit(self.audit_event(
            &visitor,
            AuditAction::SetupComplete,
            EntityKind::Site,
            Some(user.id.get()),
            AuditOutcome::Success,
            "",
        ));
        self.store()
            .put_settings(
                self.cx(),
                &[(SettingKey::AppName, site_name.into_string())],
                &fx,
            )
            .await?;
        Ok(user)
    }

    /// Creates a user from the command line (trusted: the operator holds the database and the
    /// key). Creating an admin this way closes the web setup.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`], [`Error::Conflict`].
    pub async fn operator_create_user(&self, input: NewUserInput) -> Result<User> {
        self.create_user(&Actor::operator(), input).await
    }

    /// The user with this sign-in address, for the command line (trusted, as
    /// [`Cachet::operator_create_user`]).
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn operator_user_by_email(&self, email: &Email) -> Result<Option<User>> {
        Ok(self.store().user_by_email(email).await?)
    }
}

/// Parses the `email`, `name` and `role` of a new user from text (command line, forms).
///
/// # Errors
///
/// A [`ValidationError`] naming the field.
pub fn parse_new_user(
    name: &str,
    email: &str,
    role: &str,
    password: String,
) -> Result<NewUserInput, ValidationError> {
    Ok(NewUserInput {
        name: Name::parse(name).field("name")?,
        email: Email::parse(email).field("email")?,
        role: Role::parse(role).field("role")?,
        password,
    })
}
