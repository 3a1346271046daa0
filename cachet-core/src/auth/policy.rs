//! Who may do what: roles x token scopes x permissions.
//!
//! A user session can do what its role allows. An API token can do what **both** its scope
//! and its user's role allow (ARCHITECTURE.md section 4): `read` = reads; `write` = reads and the
//! content writes the role allows; `admin` = also users, tokens and settings. A token never
//! changes its owner's password or second factor. Visitors only read what is public. The
//! checks run in the [`crate::Cachet`] facade, never only in the web layer.

use crate::model::{Role, TokenScope};

/// A permission an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read what visitors see.
    ReadPublic,
    /// Read what is not public (hidden incidents, disabled components, private groups).
    ReadPrivate,
    /// Create, change and delete components, groups, incidents, maintenance, metrics,
    /// templates.
    WriteContent,
    /// Add and remove subscribers and see how many there are (not their addresses).
    ManageSubscribers,
    /// See subscriber addresses, export and erase them.
    ReadSubscriberAddresses,
    /// Create, change and delete users and their roles.
    ManageUsers,
    /// Create and revoke one's own API tokens.
    ManageOwnTokens,
    /// See and revoke anyone's API tokens.
    ManageAllTokens,
    /// Change one's own password, 2FA and profile (sessions only, never a token).
    ManageOwnAccount,
    /// Change settings and webhooks.
    ManageSettings,
    /// Read the audit log.
    ReadAudit,
    /// See notification delivery state.
    ReadDeliveries,
}

impl Permission {
    /// Every permission, for tests and matrices.
    pub const ALL: &'static [Self] = &[
        Self::ReadPublic,
        Self::ReadPrivate,
        Self::WriteContent,
        Self::ManageSubscribers,
        Self::ReadSubscriberAddresses,
        Self::ManageUsers,
        Self::ManageOwnTokens,
        Self::ManageAllTokens,
        Self::ManageOwnAccount,
        Self::ManageSettings,
        Self::ReadAudit,
        Self::ReadDeliveries,
    ];
}

/// Whether a role allows a permission.
#[must_use]
pub fn role_allows(role: Role, p: Permission) -> bool {
    use Permission as P;
    match role {
        Role::Admin => true,
        Role::Manager => matches!(
            p,
            P::ReadPublic
                | P::ReadPrivate
                | P::WriteContent
                | P::ManageSubscribers
                | P::ManageOwnTokens
                | P::ManageOwnAccount
        ),
        Role::Viewer => matches!(
            p,
            P::ReadPublic | P::ReadPrivate | P::ManageOwnTokens | P::ManageOwnAccount
        ),
    }
}

/// Whether a token scope allows a permission (before the role is considered).
#[must_use]
pub fn scope_allows(scope: TokenScope, p: Permission) -> bool {
    use Permission as P;
    match scope {
        TokenScope::Read => matches!(p, P::ReadPublic | P::ReadPrivate),
        TokenScope::Write => matches!(
            p,
            P::ReadPublic | P::ReadPrivate | P::WriteContent | P::ManageSubscribers
        ),
        TokenScope::Admin => p != P::ManageOwnAccount,
    }
}

/// Whether a visitor (no session, no token) has a permission.
#[must_use]
pub fn anonymous_allows(p: Permission) -> bool {
    p == Permission::ReadPublic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_admin_manager_viewer() {
        for p in Permission::ALL {
            if role_allows(Role::Viewer, *p) {
                assert!(role_allows(Role::Manager, *p), "{p:?}");
            }
            if role_allows(Role::Manager, *p) {
                assert!(role_allows(Role::Admin, *p), "{p:?}");
            }
        }
        assert!(!role_allows(
            Role::Manager,
            Permission::ReadSubscriberAddresses
        ));
        assert!(!role_allows(Role::Viewer, Permission::WriteContent));
    }

    #[test]
    fn scopes_are_ordered_and_never_touch_the_account() {
        for p in Permission::ALL {
            if scope_allows(TokenScope::Read, *p) {
                assert!(scope_allows(TokenScope::Write, *p));
            }
            if scope_allows(TokenScope::Write, *p) {
                assert!(scope_allows(TokenScope::Admin, *p));
            }
        }
        assert!(!scope_allows(
            TokenScope::Admin,
            Permission::ManageOwnAccount
        ));
        assert!(!scope_allows(TokenScope::Write, Permission::ManageUsers));
    }
}
