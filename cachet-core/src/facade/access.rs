//! Getting into an account without a session: invitations and password resets by
//! emailed, single-use, expiring links; the listing of API tokens; webhook endpoints (their
//! secrets write-only, each with the events it chose, and a test event); the dashboard's
//! test mail.
//!
//! # The links
//!
//! A link's secret is 256 random bits. The store keeps only its SHA-256 (a one-time token
//! with its purpose, used at most once, atomically, and only before it expires). The mail
//! goes through the outbox; the event's payload carries the link **sealed** with the keyring
//! (AEAD, key outside the database, [`OUTBOX_LINK_AAD`]), so a copy of the database holds no
//! working link. The mail dispatcher opens it with [`Cachet::open_outbox_link`].
//!
//! Asking for a reset answers the same whether or not the address has an account (no
//! enumeration); only an active account gets a mail.

use chrono::TimeDelta;
use serde_json::{Value, json};

use super::{Actor, Cachet, Error, NewUserInput, Result};
use crate::auth::policy::Permission;
use crate::auth::tokens::{hash_secret, random_secret};
use crate::model::*;
use crate::store::{ApiTokenFilter, ApiTokenQuery, Changed, Effects, Page, PageRequest};
use crate::validate::{Email, HttpUrl, Name, ValidationError, Violation};

/// How long a password reset link works.
pub const PASSWORD_RESET_TTL: TimeDelta = TimeDelta::hours(1);
/// How long an invitation link works.
pub const INVITATION_TTL: TimeDelta = TimeDelta::days(7);
/// The associated data binding a sealed link to the outbox payload field `link_sealed`.
pub const OUTBOX_LINK_AAD: &[u8] = b"cachet-rs/outbox-link";

/// A webhook endpoint's settings as an admin enters them (the signing secret is passed
/// apart: it is sealed on the way in and never read back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Display name.
    pub name: Name,
    /// Where payloads go (checked against private networks unless allowed).
    pub url: HttpUrl,
    /// Disabled endpoints get nothing but a test event.
    pub enabled: bool,
    /// The events it receives; `None` means every event for a new endpoint and no change for
    /// an existing one (what a client that predates the choice sends).
    pub events: Option<WebhookEvents>,
    /// The wire format; `None` means [`WebhookFormat::Json`] for a new endpoint and no change
    /// for an existing one. A chat format needs a URL of its platform's webhook hosts.
    pub format: Option<WebhookFormat>,
}

/// An accepted invitation or reset link, looked up without spending it.
#[derive(Debug, Clone)]
pub struct LinkInfo {
    /// The address the link was sent to.
    pub email: Email,
    /// The role an invitation grants (`None` for a reset).
    pub role: Option<Role>,
}

impl Cachet {
    /// The absolute link to `path` under the public URL.
    fn public_link(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.config().public_url.as_str().trim_end_matches('/')
        )
    }

    /// The payload field holding a sealed link.
    fn sealed_link(&self, link: &str) -> Result<Value> {
        use base64::Engine as _;
        let sealed = self.keyring().seal(link.as_bytes(), OUTBOX_LINK_AAD)?;
        Ok(json!({
            "key_id": sealed.key_id,
            "ciphertext": base64::engine::general_purpose::STANDARD.encode(&sealed.ciphertext),
        }))
    }

    /// Opens the `link_sealed` field of an invitation or password reset event's payload (for
    /// the mail dispatcher). `None` when absent or not sealed by a key of this keyring.
    #[must_use]
    pub fn open_outbox_link(&self, payload: &Value) -> Option<String> {
        use base64::Engine as _;
        let field = payload.get("link_sealed")?;
        let key_id = u32::try_from(field.get("key_id")?.as_u64()?).ok()?;
        let ciphertext = base64::engine::general_purpose::STANDARD
            .decode(field.get("ciphertext")?.as_str()?)
            .ok()?;
        let sealed = Sealed { key_id, ciphertext };
        let plain = self.keyring().open(&sealed, OUTBOX_LINK_AAD).ok()?;
        String::from_utf8(plain).ok()
    }

    async fn enqueue_mail(&self, kind: EventKind, payload: Value) -> Result<()> {
        let event = NewOutboxEvent {
            kind,
            payload,
            next_attempt_at: self.now(),
        };
        self.store().enqueue(self.cx(), &event).await?;
        Ok(())
    }

    /// Asks for a password reset link for `email`. Answers `Ok` whatever the address (no
    /// enumeration); an active account gets a mail with a link that works once within
    /// one hour. The caller rate-limits by client address and account.
    ///
    /// # Errors
    ///
    /// [`Error::Store`], [`Error::Internal`].
    pub async fn request_password_reset(
        &self,
        email: &str,
        ip: Option<std::net::IpAddr>,
    ) -> Result<()> {
        let visitor = Actor::anonymous(ip);
        let user = match Email::parse(email.trim()) {
            Ok(e) => self.store().user_by_email(&e).await?,
            Err(_) => None,
        };
        let Some(user) = user.filter(|u| u.active) else {
            self.append_audit(
                &visitor,
                AuditAction::PasswordChange,
                EntityKind::User,
                None,
                AuditOutcome::Failure,
                "reset asked for an unknown address",
            )
            .await;
            return Ok(());
        };
        let secret = random_secret()?;
        let expires_at = self.now() + PASSWORD_RESET_TTL;
        let new = NewOneTimeToken {
            purpose: TokenPurpose::PasswordReset,
            hash: hash_secret(&secret),
            subject_id: Some(user.id.get()),
            payload: Value::Null,
            expires_at,
        };
        self.store().create_one_time_token(self.cx(), &new).await?;
        let link = self.public_link(&format!("/auth/reset/{secret}"));
        let payload = json!({
            "user_id": user.id.get(),
            "to": user.email.as_str(),
            "name": user.name.as_str(),
            "link_sealed": self.sealed_link(&link)?,
            "expires_at": expires_at.to_rfc3339(),
        });
        self.enqueue_mail(EventKind::PasswordReset, payload).await?;
        self.append_audit(
            &visitor,
            AuditAction::PasswordChange,
            EntityKind::User,
            Some(user.id.get()),
            AuditOutcome::Success,
            "reset link sent",
        )
        .await;
        Ok(())
    }

    /// Whether a reset link is valid now (for its form), without spending it.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown, used or expired link.
    pub async fn peek_password_reset(&self, secret: &str) -> Result<LinkInfo> {
        let token = self
            .store()
            .peek_one_time_token(
                TokenPurpose::PasswordReset,
                &hash_secret(secret),
                self.now(),
            )
            .await?
            .ok_or(Error::NotFound { entity: "link" })?;
        let id = token.subject_id.ok_or(Error::NotFound { entity: "link" })?;
        let user = self.store().user(UserId(id)).await?;
        Ok(LinkInfo {
            email: user.email,
            role: None,
        })
    }

    /// Sets a new password with a reset link. The password is checked against the policy
    /// before the link is spent (a weak password does not burn it); then the link is used
    /// (once, atomically), the password replaced and every session of the user ended. The
    /// second factor stays: the user signs in with the new password and their code.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] (bad, used or expired link), [`Error::Validation`] (policy).
    pub async fn complete_password_reset(
        &self,
        secret: &str,
        password: &str,
        ip: Option<std::net::IpAddr>,
    ) -> Result<User> {
        let visitor = Actor::anonymous(ip);
        let hash = hash_secret(secret);
        let peeked = self
            .store()
            .peek_one_time_token(TokenPurpose::PasswordReset, &hash, self.now())
            .await?
            .ok_or(Error::NotFound { entity: "link" })?;
        let user_id = UserId(
            peeked
                .subject_id
                .ok_or(Error::NotFound { entity: "link" })?,
        );
        let user = self.store().user(user_id).await?;
        if !user.active {
            return Err(Error::NotFound { entity: "link" });
        }
        self.check_new_password(password, &user.email, &user.name)
            .await?;
        self.store()
            .consume_one_time_token(TokenPurpose::PasswordReset, &hash, self.now())
            .await?
            .ok_or(Error::NotFound { entity: "link" })?;
        // Every other link the user asked for ends with this one.
        self.end_reset_links(user_id).await?;
        // Only now, with the link spent: a link that could be tried again and again would
        // be an oracle for the current and recent passwords (and six argon2 checks a try).
        self.check_not_reused(&user, password).await?;
        let password_hash = self.hash_password(password).await?;
        let patch = UserPatch {
            password_hash: Some(password_hash),
            ..UserPatch::default()
        };
        let fx = |c: &Changed<User>| {
            Effects::audit(self.audit_event(
                &visitor,
                AuditAction::PasswordChange,
                EntityKind::User,
                Some(c.after.id.get()),
                AuditOutcome::Success,
                "reset by link",
            ))
        };
        let user = self
            .store()
            .update_user(self.cx(), user_id, &patch, &fx)
            .await?;
        self.store().delete_sessions_of(user_id, None).await?;
        Ok(user)
    }

    /// Invites `email` to join with `role` (`ManageUsers`): a mail with a link that works
    /// once within seven days. Refused when a user already has the address.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Conflict`].
    pub async fn invite_user(&self, actor: &Actor, email: Email, role: Role) -> Result<()> {
        self.authorize(actor, Permission::ManageUsers).await?;
        if self.store().user_by_email(&email).await?.is_some() {
            return Err(Error::Conflict("a user with this email address exists"));
        }
        // A new invitation replaces the earlier ones to the same address (an older one may
        // grant another role).
        self.store()
            .end_one_time_tokens(
                TokenPurpose::Invitation,
                self.invitation_subject(&email),
                self.now(),
            )
            .await?;
        let secret = random_secret()?;
        let expires_at = self.now() + INVITATION_TTL;
        let new = NewOneTimeToken {
            purpose: TokenPurpose::Invitation,
            hash: hash_secret(&secret),
            subject_id: Some(self.invitation_subject(&email)),
            payload: json!({ "email": email.as_str(), "role": role.as_str() }),
            expires_at,
        };
        self.store().create_one_time_token(self.cx(), &new).await?;
        let site = self
            .settings()
            .await?
            .app_name
            .map_or_else(|| "Cachet".to_owned(), Name::into_string);
        let payload = json!({
            "to": email.as_str(),
            "role": role.as_str(),
            "site": site,
            "invited_by": actor.user().map(|u| u.name.as_str().to_owned()),
            "link_sealed": self.sealed_link(&self.public_link(&format!("/invite/{secret}")))?,
            "expires_at": expires_at.to_rfc3339(),
        });
        self.enqueue_mail(EventKind::UserInvitation, payload)
            .await?;
        let detail = format!(
            "invitation for {} as {}, expires {}",
            email.as_str(),
            role.as_str(),
            expires_at.format("%Y-%m-%d %H:%M UTC")
        );
        self.append_audit(
            actor,
            AuditAction::Create,
            EntityKind::User,
            None,
            AuditOutcome::Success,
            &detail,
        )
        .await;
        Ok(())
    }

    /// The subject of an address's invitations (no user exists yet): a number from its blind
    /// index, so accepting one invitation can end the address's others without the token
    /// table holding the address in the clear.
    fn invitation_subject(&self, email: &Email) -> i64 {
        let index = self.keyring().blind_index(email.as_str());
        let mut first = [0u8; 8];
        first.copy_from_slice(&index.0[..8]);
        i64::from_be_bytes(first)
    }

    fn invitation_of(token: &OneTimeToken) -> Result<LinkInfo> {
        let missing = || Error::NotFound {
            entity: "invitation",
        };
        let email = token
            .payload
            .get("email")
            .and_then(Value::as_str)
            .and_then(|e| Email::parse(e).ok())
            .ok_or_else(missing)?;
        let role = token
            .payload
            .get("role")
            .and_then(Value::as_str)
            .and_then(|r| Role::parse(r).ok())
            .ok_or_else(missing)?;
        Ok(LinkInfo {
            email,
            role: Some(role),
        })
    }

    /// The invitation behind a link, without spending it.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown, used or expired link.
    pub async fn peek_invitation(&self, secret: &str) -> Result<LinkInfo> {
        let token = self
            .store()
            .peek_one_time_token(TokenPurpose::Invitation, &hash_secret(secret), self.now())
            .await?
            .ok_or(Error::NotFound {
                entity: "invitation",
            })?;
        Self::invitation_of(&token)
    }

    /// Accepts an invitation: the invitee chooses a name and a password; the account gets the
    /// invited address and role. Input is validated before the link is spent; the link then
    /// works once.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] (bad, used or expired link), [`Error::Validation`],
    /// [`Error::Conflict`] (the address got an account meanwhile).
    pub async fn accept_invitation(
        &self,
        secret: &str,
        name: Name,
        password: String,
        ip: Option<std::net::IpAddr>,
    ) -> Result<User> {
        let hash = hash_secret(secret);
        let peeked = self
            .store()
            .peek_one_time_token(TokenPurpose::Invitation, &hash, self.now())
            .await?
            .ok_or(Error::NotFound {
                entity: "invitation",
            })?;
        let info = Self::invitation_of(&peeked)?;
        self.check_new_password(&password, &info.email, &name)
            .await?;
        let used = self
            .store()
            .consume_one_time_token(TokenPurpose::Invitation, &hash, self.now())
            .await?
            .ok_or(Error::NotFound {
                entity: "invitation",
            })?;
        let info = Self::invitation_of(&used)?;
        let subject = self.invitation_subject(&info.email);
        let input = NewUserInput {
            name,
            email: info.email,
            role: info.role.unwrap_or(Role::Viewer),
            password,
        };
        // The invitation is the authority: an admin granted it; the new account is created
        // on the operator's trust, and audited as the visitor who accepted it.
        let user = self.operator_create_user(input).await?;
        // Other invitations to the same address end with this one.
        self.store()
            .end_one_time_tokens(TokenPurpose::Invitation, subject, self.now())
            .await?;
        self.append_audit(
            &Actor::anonymous(ip),
            AuditAction::Create,
            EntityKind::User,
            Some(user.id.get()),
            AuditOutcome::Success,
            "invitation accepted",
        )
        .await;
        Ok(user)
    }

    /// API tokens: one's own (`ManageOwnTokens`), or everyone's with `ManageAllTokens` when
    /// `all` is set. The rows carry hashes only; the secret was shown once at creation.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`].
    pub async fn api_tokens(&self, actor: &Actor, all: bool) -> Result<Page<ApiToken>> {
        let owner = actor.user().map(|u| u.id).ok_or(Error::Forbidden)?;
        let filter = if all {
            self.authorize(actor, Permission::ManageAllTokens).await?;
            ApiTokenFilter::default()
        } else {
            self.authorize(actor, Permission::ManageOwnTokens).await?;
            ApiTokenFilter {
                user_id: Some(owner),
            }
        };
        let q = ApiTokenQuery::filtered(filter).paged(PageRequest::all());
        Ok(self.store().api_tokens(&q).await?)
    }

    /// Refuses a webhook URL naming `localhost` or a non-public address when it is saved
    /// ([`crate::validate::check_webhook_target`]), unless the operator allows private
    /// networks. Names resolving to such addresses are refused at delivery.
    fn check_webhook_url(&self, url: &HttpUrl) -> Result<()> {
        if self.config().webhook_allow_private_networks {
            return Ok(());
        }
        crate::validate::check_webhook_target(url)
            .map_err(|v| ValidationError::new("url", v).into())
    }

    /// Refuses a URL that the endpoint's chat format would not post to
    /// ([`crate::notify::ChatPlatform::accepts`]): a "Slack" endpoint sends Slack-shaped requests to Slack
    /// only.
    fn check_webhook_format(format: WebhookFormat, url: &HttpUrl) -> Result<()> {
        let fits = match format {
            WebhookFormat::Matrix => {
                url.parsed().is_some_and(|u| u.scheme() == "https")
                    && crate::notify::matrix_room(url).is_some()
            }
            _ => crate::notify::ChatPlatform::of_format(format).is_none_or(|p| p.accepts(url)),
        };
        if fits {
            return Ok(());
        }
        Err(ValidationError::new(
            "url",
            Violation::Format {
                expected: format.url_rule(),
            },
        )
        .into())
    }

    /// The secret a new endpoint gets: the admin's, checked, for a format that uses it (the
    /// signing key of signed JSON, Matrix's access token); for an incoming-webhook chat
    /// format, which no platform verifies (the URL carries the platform's own secret), the
    /// admin's when one is given, else a random one, so the stored endpoint keeps one shape
    /// whatever its format.
    fn webhook_secret_for(format: WebhookFormat, secret: &str) -> Result<String> {
        if secret.is_empty() && !format.uses_secret() {
            return Ok(crate::auth::tokens::random_secret()?);
        }
        Self::check_webhook_secret(secret)?;
        Ok(secret.to_owned())
    }

    fn check_webhook_secret(secret: &str) -> Result<()> {
        let n = secret.chars().count();
        let violation = if n < 16 {
            Some(Violation::TooShort { min: 16 })
        } else if n > 256 {
            Some(Violation::TooLong { max: 256 })
        } else if secret.chars().any(char::is_control) {
            Some(Violation::ControlCharacter)
        } else {
            None
        };
        match violation {
            Some(v) => Err(Error::Validation(ValidationError::new("secret", v))),
            None => Ok(()),
        }
    }

    /// Webhook endpoints (`ManageSettings`). Their secrets stay sealed; nothing here opens
    /// them.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`].
    pub async fn webhooks(&self, actor: &Actor) -> Result<Vec<Webhook>> {
        self.authorize(actor, Permission::ManageSettings).await?;
        Ok(self.store().webhooks().await?)
    }

    /// Adds a webhook endpoint (`ManageSettings`); the signing secret (16 to 256
    /// characters; for Matrix, the bot's access token) is sealed and never shown again. An
    /// incoming-webhook chat endpoint needs none (those platforms check no signature): an
    /// empty `secret` gets it a random one.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Validation`].
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        endpoint: WebhookEndpoint,
        secret: &str,
    ) -> Result<Webhook> {
        self.authorize(actor, Permission::ManageSettings).await?;
        self.check_webhook_url(&endpoint.url)?;
        let format = endpoint.format.unwrap_or_default();
        Self::check_webhook_format(format, &endpoint.url)?;
        let secret = Self::webhook_secret_for(format, secret)?;
        let new = NewWebhook {
            name: endpoint.name,
            url: endpoint.url,
            secret: self
                .keyring()
                .seal(secret.as_bytes(), crate::notify::AAD_WEBHOOK_SECRET)?,
            enabled: endpoint.enabled,
            events: endpoint.events.unwrap_or(WebhookEvents::ALL),
            format,
        };
        let fx = self.audited(
            actor,
            AuditAction::Create,
            EntityKind::Webhook,
            |w: &Webhook| w.id.get(),
        );
        Ok(self.store().create_webhook(self.cx(), &new, &fx).await?)
    }

    /// Deletes a webhook endpoint (`ManageSettings`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn delete_webhook(&self, actor: &Actor, id: WebhookId) -> Result<()> {
        self.authorize(actor, Permission::ManageSettings).await?;
        let fx = self.audited(
            actor,
            AuditAction::Delete,
            EntityKind::Webhook,
            |w: &Webhook| w.id.get(),
        );
        Ok(self.store().delete_webhook(self.cx(), id, &fx).await?)
    }

    /// Changes a webhook endpoint (`ManageSettings`); an empty `secret` keeps the old one,
    /// except when the format changes to one that uses the secret (signed JSON, Matrix),
    /// which needs one given.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`], [`Error::Validation`].
    pub async fn update_webhook(
        &self,
        actor: &Actor,
        id: WebhookId,
        endpoint: WebhookEndpoint,
        secret: &str,
    ) -> Result<()> {
        self.authorize(actor, Permission::ManageSettings).await?;
        self.check_webhook_url(&endpoint.url)?;
        let before = self.store().webhook(id).await?.format;
        // The format the endpoint will have: the new one, or the one it keeps.
        let format = endpoint.format.unwrap_or(before);
        Self::check_webhook_format(format, &endpoint.url)?;
        let secret = if secret.is_empty() {
            // An incoming-webhook endpoint's secret may be one nobody knows (see
            // `webhook_secret_for`), and Matrix's token is no signing key nor a signing key a
            // token: a format that uses the secret needs one given when the format changes.
            if format.uses_secret() && format != before {
                return Err(ValidationError::new("secret", Violation::Required).into());
            }
            None
        } else {
            Self::check_webhook_secret(secret)?;
            Some(
                self.keyring()
                    .seal(secret.as_bytes(), crate::notify::AAD_WEBHOOK_SECRET)?,
            )
        };
        let patch = WebhookPatch {
            name: Some(endpoint.name),
            url: Some(endpoint.url),
            secret,
            enabled: Some(endpoint.enabled),
            events: endpoint.events,
            format: endpoint.format,
        };
        let fx = self.audited(
            actor,
            AuditAction::Update,
            EntityKind::Webhook,
            |c: &Changed<Webhook>| c.after.id.get(),
        );
        self.store()
            .update_webhook(self.cx(), id, &patch, &fx)
            .await?;
        Ok(())
    }

    /// Queues a test event for one webhook endpoint (`ManageSettings`), through the outbox
    /// like every delivery, so it shows in the endpoint's delivery log. It goes out even when
    /// the endpoint is disabled or has not chosen any content event, so an endpoint can be
    /// tried before it is switched on.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn send_test_webhook(&self, actor: &Actor, id: WebhookId) -> Result<()> {
        self.authorize(actor, Permission::ManageSettings).await?;
        let webhook = self.store().webhook(id).await?;
        self.enqueue_mail(
            EventKind::WebhookTest,
            json!({ "webhook_id": webhook.id.get() }),
        )
        .await?;
        self.append_audit(
            actor,
            AuditAction::Create,
            EntityKind::Webhook,
            Some(webhook.id.get()),
            AuditOutcome::Success,
            "test event queued",
        )
        .await;
        Ok(())
    }

    /// Queues a test mail to the signed-in admin's address (`ManageSettings`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`].
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) async fn send_test_mail(&self, actor: &Actor) -> Result<()> {
        self.authorize(actor, Permission::ManageSettings).await?;
        let user = actor.user().ok_or(Error::Forbidden)?;
        let payload = json!({
            "user_id": user.id.get(),
            "to": user.email.as_str(),
            "name": user.name.as_str(),
        });
        self.enqueue_mail(EventKind::TestMail, payload).await?;
        self.append_audit(
            actor,
            AuditAction::Create,
            EntityKind::Settings,
            None,
            AuditOutcome::Success,
            "test mail queued",
        )
        .await;
        Ok(())
    }
}
