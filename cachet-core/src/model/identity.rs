//! Users, roles, API tokens, sessions, login throttling, TOTP state and one-time tokens.

use std::fmt;

use super::{
    ApiTokenId, OneTimeTokenId, Sealed, SessionId, Timestamp, UserId, set, str_enum, with_setters,
};
use crate::validate::{Email, Name};

str_enum! {
    /// What a user may do. admin > manager > viewer.
    pub enum Role : "admin, manager, viewer" {
        /// Everything, including users, tokens of others, settings and subscriber addresses.
        Admin = "admin",
        /// Components, groups, incidents, maintenance, metrics, templates; subscriber counts.
        Manager = "manager",
        /// Reads what is not public.
        Viewer = "viewer",
    }
}

str_enum! {
    /// What an API token may do, intersected with its user's role.
    pub enum TokenScope : "read, write, admin" {
        /// Reads.
        Read = "read",
        /// Reads and the writes the role allows.
        Write = "write",
        /// Also users, tokens and settings.
        Admin = "admin",
    }
}

str_enum! {
    /// What a one-time token is for. A token only ever works for its own purpose.
    pub enum TokenPurpose : "verification, invitation, password_reset, setup, sms_code" {
        /// Confirming a subscriber's address.
        Verification = "verification",
        /// Accepting an invitation.
        Invitation = "invitation",
        /// Resetting a password.
        PasswordReset = "password_reset",
        /// The first-run setup.
        Setup = "setup",
        /// Confirming an SMS subscriber's number with the code sent to it.
        SmsCode = "sms_code",
    }
}

/// A password hash as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`). Its `Debug`
/// output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

/// How many replaced password hashes a user's history keeps: a new password may match none
/// of them (nor the current one).
pub const PASSWORD_HISTORY_LEN: usize = 5;

impl PasswordHash {
    /// Whether this is an argon2 PHC string. Only these enter a user's password history: a
    /// replaced hash of another kind (the bcrypt hash an imported Cachet user signed in with)
    /// is dropped, so no weaker hash outlives the sign-in that replaced it.
    #[must_use]
    pub fn is_argon2(&self) -> bool {
        self.0.starts_with("$argon2")
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// A SHA-256 digest of a high-entropy secret (API token, session id, one-time token,
/// recovery code). Stores keep and look up only these. Its `Debug` output is redacted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenHash(pub [u8; 32]);

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(<redacted>)")
    }
}

/// A user's TOTP enrolment.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TotpState {
    /// The sealed shared secret.
    pub secret: Sealed,
    /// When enrolment was confirmed with a correct code; until then 2FA is not active.
    pub confirmed_at: Option<Timestamp>,
    /// The last accepted time step: a code for this step or an earlier one never works again.
    pub last_step: Option<i64>,
}

/// A user of the dashboard and the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Display name.
    pub name: Name,
    /// Sign-in address; unique.
    pub email: Email,
    /// Role.
    pub role: Role,
    /// PHC password hash.
    pub password_hash: PasswordHash,
    /// Inactive users cannot sign in or use tokens.
    pub active: bool,
    /// TOTP enrolment, if any.
    pub totp: Option<TotpState>,
    /// When they last signed in.
    pub last_login_at: Option<Timestamp>,
    /// When the account was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// What creating a user needs.
///
/// Build it with [`NewUser::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewUser {
    /// Display name.
    pub name: Name,
    /// Sign-in address; unique.
    pub email: Email,
    /// Role.
    pub role: Role,
    /// PHC password hash.
    pub password_hash: PasswordHash,
    /// Active.
    pub active: bool,
    /// Create only if no admin exists yet, atomically (the one-time setup): otherwise
    /// [`crate::store::StoreError::Conflict`].
    pub only_if_no_admin: bool,
}

impl NewUser {
    /// An active user, created whether or not an admin exists.
    #[must_use]
    pub fn new(name: Name, email: Email, role: Role, password_hash: PasswordHash) -> Self {
        Self {
            name,
            email,
            role,
            password_hash,
            active: true,
            only_if_no_admin: false,
        }
    }
}

with_setters! {
    NewUser {
        with_active => active: bool,
        with_only_if_no_admin => only_if_no_admin: bool,
    }
}

/// A change to a user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserPatch {
    /// New name.
    pub name: Option<Name>,
    /// New address (must stay unique).
    pub email: Option<Email>,
    /// New role.
    pub role: Option<Role>,
    /// New password hash.
    pub password_hash: Option<PasswordHash>,
    /// New active flag.
    pub active: Option<bool>,
    /// New TOTP state; `Some(None)` removes 2FA.
    pub totp: Option<Option<TotpState>>,
    /// New last sign-in time.
    pub last_login_at: Option<Timestamp>,
}

impl UserPatch {
    /// Sets on `user` every field this patch names and nothing else (`updated_at` is the
    /// store's to stamp). Keeping the replaced password hash in the history is the store's
    /// job too: it needs the hash as it was, which this overwrites.
    pub fn apply_to(&self, user: &mut User) {
        set(&mut user.name, self.name.as_ref());
        set(&mut user.email, self.email.as_ref());
        set(&mut user.role, self.role.as_ref());
        set(&mut user.password_hash, self.password_hash.as_ref());
        set(&mut user.active, self.active.as_ref());
        set(&mut user.totp, self.totp.as_ref());
        if let Some(at) = self.last_login_at {
            user.last_login_at = Some(at);
        }
    }
}

/// An API token. Only its hash and a short display prefix are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Its id.
    pub id: ApiTokenId,
    /// The owner.
    pub user_id: UserId,
    /// Display name.
    pub name: Name,
    /// The non-secret start of the token, shown in lists to tell tokens apart.
    pub prefix: String,
    /// SHA-256 of the token; unique.
    pub hash: TokenHash,
    /// Scope.
    pub scope: TokenScope,
    /// Expiry, if any.
    pub expires_at: Option<Timestamp>,
    /// Last use.
    pub last_used_at: Option<Timestamp>,
    /// Revocation time; revoked tokens never work again.
    pub revoked_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// What creating a token needs.
///
/// Build it with [`NewApiToken::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewApiToken {
    /// Owner; must exist.
    pub user_id: UserId,
    /// Display name.
    pub name: Name,
    /// Display prefix.
    pub prefix: String,
    /// Hash; unique.
    pub hash: TokenHash,
    /// Scope.
    pub scope: TokenScope,
    /// Expiry.
    pub expires_at: Option<Timestamp>,
}

impl NewApiToken {
    /// A token that never expires.
    #[must_use]
    pub fn new(
        user_id: UserId,
        name: Name,
        prefix: String,
        hash: TokenHash,
        scope: TokenScope,
    ) -> Self {
        Self {
            user_id,
            name,
            prefix,
            hash,
            scope,
            expires_at: None,
        }
    }
}

with_setters! {
    NewApiToken {
        with_expires_at => expires_at: Option<Timestamp>,
    }
}

/// A change to a token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiTokenPatch {
    /// New name.
    pub name: Option<Name>,
    /// New last-use time.
    pub last_used_at: Option<Timestamp>,
    /// Revocation time.
    pub revoked_at: Option<Timestamp>,
}

impl ApiTokenPatch {
    /// Sets on `token` every field this patch names and nothing else. A token has no
    /// `updated_at`: its last use is itself a field.
    pub fn apply_to(&self, token: &mut ApiToken) {
        set(&mut token.name, self.name.as_ref());
        if let Some(at) = self.last_used_at {
            token.last_used_at = Some(at);
        }
        if let Some(at) = self.revoked_at {
            token.revoked_at = Some(at);
        }
    }
}

/// A signed-in session. Only the SHA-256 of its id is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Its row id.
    pub id: SessionId,
    /// SHA-256 of the session id in the cookie; unique.
    pub hash: TokenHash,
    /// The user.
    pub user_id: UserId,
    /// Password accepted but the second factor still owed.
    pub pending_second_factor: bool,
    /// When it was created (the absolute timeout counts from here).
    pub created_at: Timestamp,
    /// Last activity (the idle timeout counts from here).
    pub last_seen_at: Timestamp,
    /// Hard expiry.
    pub expires_at: Timestamp,
    /// The client address at sign-in, for the user's session list.
    pub ip: Option<String>,
    /// The client's user agent at sign-in, truncated.
    pub user_agent: Option<String>,
}

/// What creating a session needs.
///
/// Build it with [`NewSession::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewSession {
    /// Hash of the id.
    pub hash: TokenHash,
    /// User; must exist.
    pub user_id: UserId,
    /// Second factor owed.
    pub pending_second_factor: bool,
    /// Hard expiry.
    pub expires_at: Timestamp,
    /// Client address.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
}

impl NewSession {
    /// A complete session (no second factor pending) with no client address or agent recorded.
    #[must_use]
    pub fn new(hash: TokenHash, user_id: UserId, expires_at: Timestamp) -> Self {
        Self {
            hash,
            user_id,
            pending_second_factor: false,
            expires_at,
            ip: None,
            user_agent: None,
        }
    }
}

with_setters! {
    NewSession {
        with_pending_second_factor => pending_second_factor: bool,
        with_ip => ip: Option<String>,
        with_user_agent => user_agent: Option<String>,
    }
}

/// A change to a session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionPatch {
    /// New last activity.
    pub last_seen_at: Option<Timestamp>,
    /// New second-factor flag.
    pub pending_second_factor: Option<bool>,
}

impl SessionPatch {
    /// Sets on `session` every field this patch names and nothing else.
    pub fn apply_to(&self, session: &mut Session) {
        set(&mut session.last_seen_at, self.last_seen_at.as_ref());
        set(
            &mut session.pending_second_factor,
            self.pending_second_factor.as_ref(),
        );
    }
}

/// Failed sign-in bookkeeping for one key (an account's blind index or a client address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleState {
    /// The key, such as `account:<hex>` or `ip:192.0.2.1`.
    pub key: String,
    /// Consecutive failures.
    pub failures: u32,
    /// The most recent failure.
    pub last_failure_at: Timestamp,
    /// No attempt is accepted before this time.
    pub locked_until: Option<Timestamp>,
}

/// A purpose-bound, single-use, expiring token. Only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeToken {
    /// Its id.
    pub id: OneTimeTokenId,
    /// What it is for.
    pub purpose: TokenPurpose,
    /// Hash; unique.
    pub hash: TokenHash,
    /// The subscriber or user it is for, when there is one.
    pub subject_id: Option<i64>,
    /// Extra data for its purpose (an invitation's role and sealed address), as JSON.
    pub payload: serde_json::Value,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was used; used tokens never work again.
    pub used_at: Option<Timestamp>,
    /// When it was issued.
    pub created_at: Timestamp,
}

/// What issuing a one-time token needs.
///
/// Build it with [`NewOneTimeToken::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewOneTimeToken {
    /// Purpose.
    pub purpose: TokenPurpose,
    /// Hash; unique.
    pub hash: TokenHash,
    /// Subject.
    pub subject_id: Option<i64>,
    /// Extra data.
    pub payload: serde_json::Value,
    /// Expiry.
    pub expires_at: Timestamp,
}

impl NewOneTimeToken {
    /// A token for no particular subject.
    #[must_use]
    pub fn new(
        purpose: TokenPurpose,
        hash: TokenHash,
        payload: serde_json::Value,
        expires_at: Timestamp,
    ) -> Self {
        Self {
            purpose,
            hash,
            subject_id: None,
            payload,
            expires_at,
        }
    }
}

with_setters! {
    NewOneTimeToken {
        with_subject_id => subject_id: Option<i64>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::{at, check, name};

    fn sealed(byte: u8) -> Sealed {
        Sealed {
            key_id: 1,
            ciphertext: vec![byte; 40],
        }
    }

    #[test]
    fn user_patch_sets_what_it_names() {
        let before = User {
            id: UserId(3),
            name: name("Ada"),
            email: Email::parse("ada@example.com").expect("valid email"),
            role: Role::Viewer,
            password_hash: PasswordHash("old".into()),
            active: true,
            totp: Some(TotpState {
                secret: sealed(1),
                confirmed_at: Some(at(5)),
                last_step: Some(9),
            }),
            last_login_at: None,
            created_at: at(1),
            updated_at: at(2),
        };
        let patch = UserPatch {
            name: Some(name("Grace")),
            email: Some(Email::parse("grace@example.com").expect("valid email")),
            role: Some(Role::Admin),
            password_hash: Some(PasswordHash("new".into())),
            active: Some(false),
            totp: Some(None),
            last_login_at: Some(at(10)),
        };
        let expected = User {
            name: name("Grace"),
            email: Email::parse("grace@example.com").expect("valid email"),
            role: Role::Admin,
            password_hash: PasswordHash("new".into()),
            active: false,
            totp: None,
            last_login_at: Some(at(10)),
            ..before.clone()
        };
        check(&before, &patch, &expected, UserPatch::apply_to);
    }

    #[test]
    fn api_token_patch_sets_what_it_names() {
        let before = ApiToken {
            id: ApiTokenId(4),
            user_id: UserId(3),
            name: name("ci"),
            prefix: "ct_abcd".into(),
            hash: TokenHash([7; 32]),
            scope: TokenScope::Read,
            expires_at: Some(at(100)),
            last_used_at: Some(at(3)),
            revoked_at: None,
            created_at: at(1),
        };
        let patch = ApiTokenPatch {
            name: Some(name("deploy")),
            last_used_at: Some(at(20)),
            revoked_at: Some(at(21)),
        };
        let expected = ApiToken {
            name: name("deploy"),
            last_used_at: Some(at(20)),
            revoked_at: Some(at(21)),
            ..before.clone()
        };
        check(&before, &patch, &expected, ApiTokenPatch::apply_to);
    }

    #[test]
    fn session_patch_sets_what_it_names() {
        let before = Session {
            id: SessionId(5),
            hash: TokenHash([8; 32]),
            user_id: UserId(3),
            pending_second_factor: true,
            created_at: at(1),
            last_seen_at: at(2),
            expires_at: at(100),
            ip: Some("192.0.2.1".into()),
            user_agent: None,
        };
        let patch = SessionPatch {
            last_seen_at: Some(at(30)),
            pending_second_factor: Some(false),
        };
        let expected = Session {
            last_seen_at: at(30),
            pending_second_factor: false,
            ..before.clone()
        };
        check(&before, &patch, &expected, SessionPatch::apply_to);
    }
}
