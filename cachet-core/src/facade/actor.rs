//! Who is asking.

use std::net::IpAddr;

use crate::model::{ApiToken, Role, Session, User};

/// Who performs an operation. Session and token actors can only be obtained from the facade
/// ([`crate::Cachet::resolve_session`], [`crate::Cachet::resolve_api_token`]), so nobody can
/// claim to be a user without their credentials; a host application that authenticates its
/// own users vouches for them with [`Actor::host`].
#[derive(Debug, Clone)]
pub struct Actor {
    pub(crate) kind: ActorKind,
    pub(crate) ip: Option<IpAddr>,
}

#[derive(Debug, Clone)]
pub(crate) enum ActorKind {
    Anonymous,
    Session {
        user: Box<User>,
        session: Box<Session>,
        must_enroll_2fa: bool,
    },
    Token {
        user: Box<User>,
        token: Box<ApiToken>,
    },
    Host {
        name: String,
        role: Role,
    },
    Operator,
    /// The library's own background work acting on the host's behalf (host health): it may
    /// read and write content, nothing else.
    System {
        name: &'static str,
    },
    /// A monitoring integration whose delivery carried its secret: like the library's own
    /// background work, it may read and write content, nothing else; the audit log names it
    /// `integration:<name>`.
    Integration {
        name: String,
    },
}

impl Actor {
    /// A visitor.
    #[must_use]
    pub fn anonymous(ip: Option<IpAddr>) -> Self {
        Self {
            kind: ActorKind::Anonymous,
            ip,
        }
    }

    /// A principal the host application authenticated itself and vouches for, with the role
    /// it grants. `name` (single-line, printable) appears in the audit log as `host:<name>`.
    #[must_use]
    pub fn host(name: &str, role: Role, ip: Option<IpAddr>) -> Self {
        // No control characters, line separators or bidi overrides: the label is shown in the
        // audit log and must read as what it is.
        let name: String = name
            .chars()
            .filter(|c| !crate::log::needs_escape(*c))
            .take(64)
            .collect();
        Self {
            kind: ActorKind::Host { name, role },
            ip,
        }
    }

    /// The operator at the command line, who holds the database and the key and is trusted
    /// with everything (creating the first admin, say).
    #[must_use]
    pub fn operator() -> Self {
        Self {
            kind: ActorKind::Operator,
            ip: None,
        }
    }

    /// The library's own background work, named `name` in the audit log (`system:<name>`).
    /// Only crate code makes one: it may read everything and write content (components,
    /// incidents), like a manager, and nothing about people, tokens or settings.
    pub(crate) fn system(name: &'static str) -> Self {
        Self {
            kind: ActorKind::System { name },
            ip: None,
        }
    }

    /// A monitoring integration, named `name` in the audit log (`integration:<name>`). Only
    /// crate code makes one (the alert evaluation): it may write content, nothing else.
    pub(crate) fn integration(name: &str) -> Self {
        let name: String = name
            .chars()
            .filter(|c| !crate::log::needs_escape(*c))
            .take(64)
            .collect();
        Self {
            kind: ActorKind::Integration { name },
            ip: None,
        }
    }

    /// The client address.
    #[must_use]
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The signed-in or token user, if any.
    #[must_use]
    pub fn user(&self) -> Option<&User> {
        match &self.kind {
            ActorKind::Session { user, .. } | ActorKind::Token { user, .. } => Some(user),
            _ => None,
        }
    }

    /// The session, for session actors.
    #[must_use]
    pub fn session(&self) -> Option<&Session> {
        match &self.kind {
            ActorKind::Session { session, .. } => Some(session),
            _ => None,
        }
    }

    /// The token, for token actors.
    #[must_use]
    pub fn token(&self) -> Option<&ApiToken> {
        match &self.kind {
            ActorKind::Token { token, .. } => Some(token),
            _ => None,
        }
    }

    /// Whether nobody is signed in.
    #[must_use]
    pub fn is_anonymous(&self) -> bool {
        matches!(self.kind, ActorKind::Anonymous)
    }

    /// Whether this is an admin whose dashboard session may do nothing but enrol in 2FA
    /// (the "require 2FA for admins" setting).
    #[must_use]
    pub fn must_enroll_2fa(&self) -> bool {
        matches!(
            self.kind,
            ActorKind::Session {
                must_enroll_2fa: true,
                ..
            }
        )
    }

    /// How the audit log names the actor.
    #[must_use]
    pub fn label(&self) -> String {
        match &self.kind {
            ActorKind::Anonymous => "anonymous".to_owned(),
            ActorKind::Session { user, .. } => format!("user:{}", user.id),
            ActorKind::Token { token, .. } => format!("token:{}", token.id),
            ActorKind::Host { name, .. } => format!("host:{name}"),
            ActorKind::Operator => "operator".to_owned(),
            ActorKind::System { name } => format!("system:{name}"),
            ActorKind::Integration { name } => format!("integration:{name}"),
        }
    }
}
