//! API tokens, users and roles, the one-time setup and the operator's command-line calls.

use std::net::IpAddr;

use chrono::TimeDelta;

use super::{Actor, ActorKind, Cachet, Error, Result};
use crate::auth::policy::Permission;
use crate::auth::tokens::{
    hash_secret, hashes_equal, is_legacy_cachet_api_token, is_well_formed_api_token,
    mint_api_token, random_secret, split_sanctum_api_token,
};
use crate::model::*;
use crate::store::{Changed, Effects, no_effects};
use crate::validate::{Email, Name, ValidationError, Violation, ViolationExt};

use super::identity::NewUserInput;

impl Cachet {
    /// Resolves an API token from `X-Cachet-Token` or `Authorization: Bearer`. Malformed,
    /// unknown, revoked and expired tokens and inactive owners are refused (the known ones
    /// audited); last use is recorded at most once a minute.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthenticated`].
    pub async fn resolve_api_token(&self, presented: &str, ip: Option<IpAddr>) -> Result<Actor> {
        let mut presented = presented.trim();
        // A Cachet 3 key, imported: Sanctum's `<id>|<secret>` (the id must be the key's) or
        // the bare secret, looked up by the secret's SHA-256 as Sanctum stored it.
        let mut claimed_id = None;
        if let Some((id, secret)) = split_sanctum_api_token(presented) {
            claimed_id = id;
            presented = secret;
        } else if !is_well_formed_api_token(presented) && !is_legacy_cachet_api_token(presented) {
            return Err(Error::Unauthenticated);
        }
        let hash = hash_secret(presented);
        let Some(token) = self.store().api_token_by_hash(&hash).await? else {
            return Err(Error::Unauthenticated);
        };
        let now = self.now();
        let refused = if !hashes_equal(&token.hash, &hash) {
            Some("hash mismatch")
        } else if claimed_id.is_some_and(|id| id != token.id.get()) {
            Some("id mismatch")
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
