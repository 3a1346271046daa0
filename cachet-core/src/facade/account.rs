//! The signed-in user's own account: new-password rules, password changes, TOTP enrolment,
//! recovery codes and turning two-factor sign-in off.

use super::{Actor, Cachet, Error, Result};
use crate::auth::policy::Permission;
use crate::auth::throttle::account_key;
use crate::auth::tokens::{
    RECOVERY_CODE_COUNT, hash_secret, hashes_equal, mint_recovery_code, normalize_recovery_code,
};
use crate::auth::totp;
use crate::model::*;
use crate::store::{Changed, Effects, no_effects};
use crate::validate::{Email, Name, ValidationError, Violation};

use super::identity::{Enrollment, SessionTicket, TOTP_AAD, two_factor_active};

impl Cachet {
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
}
