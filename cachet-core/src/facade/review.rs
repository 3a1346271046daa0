//! The access review: every account with its role, second factor, last sign-in, live
//! sessions and API tokens, and the flags an auditor acts on (accounts unused for
//! [`ACCESS_REVIEW_UNUSED_AFTER`], admins without a second factor, stale or unbounded tokens).
//!
//! The security reviews ask for administrator accounts to be audited regularly; this is the
//! read that makes that a page rather than a database query. It needs the admins'
//! permissions (`ManageUsers` and `ManageAllTokens`), refused and audited for anyone else as
//! every facade operation is. It reads only: hashes never leave the store's types here
//! (tokens are shown by name and display prefix, sessions by address and user agent).

use std::collections::HashMap;

use chrono::TimeDelta;

use super::{Actor, Cachet, Error, Result};
use crate::auth::policy::Permission;
use crate::auth::session::SessionCheck;
use crate::clock::Timestamp;
use crate::model::{ApiToken, ApiTokenId, Role, Session, SessionId, TokenScope, User, UserId};
use crate::store::{ApiTokenQuery, PageRequest, UserQuery};
use crate::validate::{Email, Name};

/// How long without a sign-in and without any token use makes an account (or, without a
/// use, a token) "unused": 90 days, the period the security reviews name.
pub const ACCESS_REVIEW_UNUSED_AFTER: TimeDelta = TimeDelta::days(90);

/// With a second factor on, this many unused recovery codes or fewer is flagged: one more
/// lost phone and the account needs an admin to get back in.
pub const ACCESS_REVIEW_FEW_RECOVERY_CODES: u32 = 2;

/// The whole review, as of [`AccessReview::generated_at`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessReview {
    /// When the review was taken (the facade's clock).
    pub generated_at: Timestamp,
    /// The "unused" threshold applied ([`ACCESS_REVIEW_UNUSED_AFTER`]).
    pub unused_after: TimeDelta,
    /// Whether the site requires admins to enrol in two-factor authentication
    /// (`require_2fa_for_admins`).
    pub require_2fa_for_admins: bool,
    /// Every account, by id.
    pub accounts: Vec<AccountReview>,
}

impl AccessReview {
    /// The accounts with at least one flag.
    pub fn flagged(&self) -> impl Iterator<Item = &AccountReview> {
        self.accounts.iter().filter(|a| a.is_flagged())
    }
}

/// One account in the review.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountReview {
    /// Its id.
    pub id: UserId,
    /// Display name.
    pub name: Name,
    /// Sign-in address.
    pub email: Email,
    /// Role.
    pub role: Role,
    /// Whether it may sign in and use its tokens.
    pub active: bool,
    /// When the account was created.
    pub created_at: Timestamp,
    /// The second factor.
    pub two_factor: TwoFactorState,
    /// The last completed sign-in ([`User::last_login_at`]).
    pub last_sign_in: Option<Timestamp>,
    /// The latest of the last sign-in and every token's last use (revoked and expired tokens
    /// included: a use is a use): what "unused" is measured from.
    pub last_activity: Option<Timestamp>,
    /// The sessions that are still good now (not idle or past their lifetime), by id.
    pub sessions: Vec<SessionReview>,
    /// Every API token of the account, revoked and expired ones included, by id.
    pub tokens: Vec<TokenReview>,
    /// What an auditor should look at: the account's own flags, then those of its tokens,
    /// each once, in [`ReviewFlag::ALL`] order.
    pub flags: Vec<ReviewFlag>,
}

impl AccountReview {
    /// Whether anything is flagged.
    #[must_use]
    pub fn is_flagged(&self) -> bool {
        !self.flags.is_empty()
    }

    /// Whether a flag is set.
    #[must_use]
    pub fn has(&self, flag: ReviewFlag) -> bool {
        self.flags.contains(&flag)
    }

    /// The newest activity among the live sessions.
    #[must_use]
    pub fn newest_session_seen(&self) -> Option<Timestamp> {
        self.sessions.iter().map(|s| s.last_seen_at).max()
    }

    /// How many tokens still work (neither revoked nor expired).
    #[must_use]
    pub fn live_tokens(&self) -> usize {
        self.tokens
            .iter()
            .filter(|t| t.state == TokenState::Live)
            .count()
    }
}

/// An account's second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TwoFactorState {
    /// None.
    Off,
    /// Enrolment started but not confirmed with a code: sign-in does not ask for one yet.
    Enrolling,
    /// On: sign-in needs a code.
    On {
        /// When enrolment was confirmed.
        since: Timestamp,
        /// Unused recovery codes.
        recovery_codes_left: u32,
    },
}

impl TwoFactorState {
    /// Whether sign-in needs a second factor.
    #[must_use]
    pub fn is_on(self) -> bool {
        matches!(self, Self::On { .. })
    }

    /// `off`, `enrolling` or `on`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Enrolling => "enrolling",
            Self::On { .. } => "on",
        }
    }
}

/// A live session, as stored (never its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionReview {
    /// Its row id.
    pub id: SessionId,
    /// When it was created (the sign-in).
    pub created_at: Timestamp,
    /// Its last activity.
    pub last_seen_at: Timestamp,
    /// Its hard expiry.
    pub expires_at: Timestamp,
    /// The password was accepted but the second factor is still owed.
    pub pending_second_factor: bool,
    /// The client address at sign-in, as stored.
    pub ip: Option<String>,
    /// The user agent at sign-in, as stored (truncated at sign-in).
    pub user_agent: Option<String>,
}

/// Whether a token still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenState {
    /// It works.
    Live,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

impl TokenState {
    /// `live`, `expired` or `revoked`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

/// An API token (name and display prefix; never its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenReview {
    /// Its id.
    pub id: ApiTokenId,
    /// Display name.
    pub name: Name,
    /// The non-secret start of the token.
    pub prefix: String,
    /// Scope.
    pub scope: TokenScope,
    /// When it was created.
    pub created_at: Timestamp,
    /// Its last use.
    pub last_used_at: Option<Timestamp>,
    /// Its expiry, if any.
    pub expires_at: Option<Timestamp>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
    /// Whether it still works.
    pub state: TokenState,
    /// The token's flags (only live tokens have any).
    pub flags: Vec<ReviewFlag>,
}

/// Something an auditor should act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReviewFlag {
    /// No sign-in and no token use for longer than [`ACCESS_REVIEW_UNUSED_AFTER`] (or none
    /// ever, and the account is older than that): deactivate or delete it.
    Unused,
    /// An admin whose sign-in needs no second factor.
    AdminWithout2fa,
    /// The second factor is on with [`ACCESS_REVIEW_FEW_RECOVERY_CODES`] recovery codes or
    /// fewer left.
    FewRecoveryCodes,
    /// The account is deactivated but still holds a live session or token (neither works
    /// while it is inactive, but reactivating it would revive them).
    InactiveWithCredentials,
    /// A live token created longer ago than [`ACCESS_REVIEW_UNUSED_AFTER`] was never used.
    TokenNeverUsed,
    /// A live token's last use is older than [`ACCESS_REVIEW_UNUSED_AFTER`].
    TokenUnused,
    /// A live token with the admin scope that never expires.
    AdminTokenWithoutExpiry,
}

impl ReviewFlag {
    /// Every flag, in the order accounts list them.
    pub const ALL: &'static [Self] = &[
        Self::Unused,
        Self::AdminWithout2fa,
        Self::FewRecoveryCodes,
        Self::InactiveWithCredentials,
        Self::TokenNeverUsed,
        Self::TokenUnused,
        Self::AdminTokenWithoutExpiry,
    ];

    /// A stable machine name (`unused`, `admin_without_2fa`, …) for exports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unused => "unused",
            Self::AdminWithout2fa => "admin_without_2fa",
            Self::FewRecoveryCodes => "few_recovery_codes",
            Self::InactiveWithCredentials => "inactive_with_credentials",
            Self::TokenNeverUsed => "token_never_used",
            Self::TokenUnused => "token_unused",
            Self::AdminTokenWithoutExpiry => "admin_token_without_expiry",
        }
    }

    /// What the flag means, in words for the page.
    #[must_use]
    pub fn describe(self) -> String {
        let days = ACCESS_REVIEW_UNUSED_AFTER.num_days();
        match self {
            Self::Unused => format!("Unused for more than {days} days"),
            Self::AdminWithout2fa => "Admin without two-factor authentication".to_owned(),
            Self::FewRecoveryCodes => {
                format!("{ACCESS_REVIEW_FEW_RECOVERY_CODES} or fewer recovery codes left")
            }
            Self::InactiveWithCredentials => {
                "Deactivated but holds a live session or token".to_owned()
            }
            Self::TokenNeverUsed => format!("Token created over {days} days ago, never used"),
            Self::TokenUnused => format!("Token not used for more than {days} days"),
            Self::AdminTokenWithoutExpiry => "Admin-scope token that never expires".to_owned(),
        }
    }
}

impl Cachet {
    /// The access review of every account (`ManageUsers` and `ManageAllTokens`: admins, or
    /// an admin's admin-scope token). Reads only; the clock is the facade's.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] (audited) for anyone but an admin, [`Error::Unauthenticated`] for
    /// a visitor, [`Error::Store`] when the store fails.
    pub async fn access_review(&self, actor: &Actor) -> Result<AccessReview> {
        self.authorize(actor, Permission::ManageUsers).await?;
        self.authorize(actor, Permission::ManageAllTokens).await?;
        let now = self.now();
        let require_2fa_for_admins = self.settings().await?.require_2fa_for_admins;
        let users = self.every_user().await?;
        let mut tokens = self.every_token_by_owner().await?;
        let mut accounts = Vec::with_capacity(users.len());
        for user in users {
            let two_factor = match &user.totp {
                None => TwoFactorState::Off,
                Some(t) => match t.confirmed_at {
                    None => TwoFactorState::Enrolling,
                    Some(since) => TwoFactorState::On {
                        since,
                        recovery_codes_left: self.store().recovery_codes_left(user.id).await?,
                    },
                },
            };
            let sessions = self
                .store()
                .sessions_of(user.id)
                .await?
                .iter()
                .filter(|s| {
                    matches!(
                        self.config().session.check(s, now),
                        SessionCheck::Valid { .. }
                    )
                })
                .map(session_review)
                .collect();
            let owned = tokens.remove(&user.id).unwrap_or_default();
            accounts.push(review_account(user, two_factor, sessions, &owned, now));
        }
        Ok(AccessReview {
            generated_at: now,
            unused_after: ACCESS_REVIEW_UNUSED_AFTER,
            require_2fa_for_admins,
            accounts,
        })
    }

    /// Every user, page after page until the store's total is reached (never only the first
    /// page: a review that silently stops at 1,000 accounts would hide the rest).
    async fn every_user(&self) -> Result<Vec<User>> {
        let mut users: Vec<User> = Vec::new();
        let mut page: u32 = 1;
        loop {
            let q = UserQuery::all().paged(PageRequest::new(page, PageRequest::MAX_PER_PAGE));
            let got = self.store().users(&q).await?;
            let empty = got.items.is_empty();
            users.extend(got.items);
            if empty || u64::try_from(users.len()).unwrap_or(u64::MAX) >= got.total {
                break;
            }
            page = page.checked_add(1).ok_or(Error::Internal)?;
        }
        // Offset pages can repeat a row when accounts are added while paging; show each once.
        users.sort_by_key(|u| u.id);
        users.dedup_by_key(|u| u.id);
        Ok(users)
    }

    /// Every API token, page after page, grouped by owner (one scan instead of one query
    /// per account).
    async fn every_token_by_owner(&self) -> Result<HashMap<UserId, Vec<ApiToken>>> {
        let mut by_owner: HashMap<UserId, Vec<ApiToken>> = HashMap::new();
        let mut seen: u64 = 0;
        let mut page: u32 = 1;
        loop {
            let q = ApiTokenQuery::all().paged(PageRequest::new(page, PageRequest::MAX_PER_PAGE));
            let got = self.store().api_tokens(&q).await?;
            let empty = got.items.is_empty();
            seen = seen.saturating_add(u64::try_from(got.items.len()).unwrap_or(u64::MAX));
            for t in got.items {
                by_owner.entry(t.user_id).or_default().push(t);
            }
            if empty || seen >= got.total {
                break;
            }
            page = page.checked_add(1).ok_or(Error::Internal)?;
        }
        for tokens in by_owner.values_mut() {
            tokens.sort_by_key(|t| t.id);
            tokens.dedup_by_key(|t| t.id);
        }
        Ok(by_owner)
    }
}

fn session_review(s: &Session) -> SessionReview {
    SessionReview {
        id: s.id,
        created_at: s.created_at,
        last_seen_at: s.last_seen_at,
        expires_at: s.expires_at,
        pending_second_factor: s.pending_second_factor,
        ip: s.ip.clone(),
        user_agent: s.user_agent.clone(),
    }
}

/// Whether `at` (or, never, `created`) is longer ago than the threshold.
fn older_than_threshold(at: Option<Timestamp>, created: Timestamp, now: Timestamp) -> bool {
    now - at.unwrap_or(created) > ACCESS_REVIEW_UNUSED_AFTER
}

fn review_token(t: &ApiToken, now: Timestamp) -> TokenReview {
    let state = if t.revoked_at.is_some() {
        TokenState::Revoked
    } else if t.expires_at.is_some_and(|e| e <= now) {
        TokenState::Expired
    } else {
        TokenState::Live
    };
    let mut flags = Vec::new();
    // A token that no longer works is no risk: only live ones are flagged.
    if state == TokenState::Live {
        if older_than_threshold(t.last_used_at, t.created_at, now) {
            flags.push(if t.last_used_at.is_some() {
                ReviewFlag::TokenUnused
            } else {
                ReviewFlag::TokenNeverUsed
            });
        }
        if t.scope == TokenScope::Admin && t.expires_at.is_none() {
            flags.push(ReviewFlag::AdminTokenWithoutExpiry);
        }
    }
    TokenReview {
        id: t.id,
        name: t.name.clone(),
        prefix: t.prefix.clone(),
        scope: t.scope,
        created_at: t.created_at,
        last_used_at: t.last_used_at,
        expires_at: t.expires_at,
        revoked_at: t.revoked_at,
        state,
        flags,
    }
}

fn review_account(
    user: User,
    two_factor: TwoFactorState,
    sessions: Vec<SessionReview>,
    owned: &[ApiToken],
    now: Timestamp,
) -> AccountReview {
    let tokens: Vec<TokenReview> = owned.iter().map(|t| review_token(t, now)).collect();
    let last_activity = owned
        .iter()
        .filter_map(|t| t.last_used_at)
        .chain(user.last_login_at)
        .max();
    let mut found = Vec::new();
    if older_than_threshold(last_activity, user.created_at, now) {
        found.push(ReviewFlag::Unused);
    }
    if user.role == Role::Admin && !two_factor.is_on() {
        found.push(ReviewFlag::AdminWithout2fa);
    }
    if let TwoFactorState::On {
        recovery_codes_left,
        ..
    } = two_factor
        && recovery_codes_left <= ACCESS_REVIEW_FEW_RECOVERY_CODES
    {
        found.push(ReviewFlag::FewRecoveryCodes);
    }
    let holds_credentials =
        !sessions.is_empty() || tokens.iter().any(|t| t.state == TokenState::Live);
    if !user.active && holds_credentials {
        found.push(ReviewFlag::InactiveWithCredentials);
    }
    found.extend(tokens.iter().flat_map(|t| t.flags.iter().copied()));
    let flags = ReviewFlag::ALL
        .iter()
        .copied()
        .filter(|f| found.contains(f))
        .collect();
    AccountReview {
        id: user.id,
        name: user.name,
        email: user.email,
        role: user.role,
        active: user.active,
        created_at: user.created_at,
        two_factor,
        last_sign_in: user.last_login_at,
        last_activity,
        sessions,
        tokens,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_strictly_more_than_ninety_days() {
        let created = chrono::DateTime::UNIX_EPOCH;
        let at = |d: i64| created + TimeDelta::days(d);
        assert!(!older_than_threshold(None, created, at(90)));
        assert!(older_than_threshold(
            None,
            created,
            at(90) + TimeDelta::seconds(1)
        ));
        assert!(!older_than_threshold(Some(at(10)), created, at(100)));
        assert!(older_than_threshold(Some(at(10)), created, at(101)));
    }

    #[test]
    fn flags_have_distinct_names_and_words() {
        let mut names: Vec<_> = ReviewFlag::ALL.iter().map(|f| f.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ReviewFlag::ALL.len());
        assert!(ReviewFlag::ALL.iter().all(|f| !f.describe().is_empty()));
    }
}
