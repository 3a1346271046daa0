//! The append-only audit log.

use super::{ApiTokenId, AuditEventId, Timestamp, UserId, str_enum, with_setters};
use crate::validate::Text;

str_enum! {
    /// What happened.
    pub enum AuditAction : "a known audit action" {
        /// An entity was created.
        Create = "create",
        /// An entity was changed.
        Update = "update",
        /// An entity was deleted.
        Delete = "delete",
        /// A sign-in succeeded.
        LoginSuccess = "login_success",
        /// A sign-in failed.
        LoginFailure = "login_failure",
        /// An account or address was locked out.
        Lockout = "lockout",
        /// A user signed out.
        Logout = "logout",
        /// 2FA was enrolled.
        TwoFactorEnroll = "two_factor_enroll",
        /// 2FA was disabled.
        TwoFactorDisable = "two_factor_disable",
        /// A second factor was accepted.
        TwoFactorSuccess = "two_factor_success",
        /// A second factor was refused.
        TwoFactorFailure = "two_factor_failure",
        /// A recovery code was used.
        RecoveryCodeUse = "recovery_code_use",
        /// An API token was created.
        TokenCreate = "token_create",
        /// An API token was revoked.
        TokenRevoke = "token_revoke",
        /// A token was refused (revoked, expired, too small a scope).
        TokenRefused = "token_refused",
        /// A user's role changed.
        RoleChange = "role_change",
        /// A password changed.
        PasswordChange = "password_change",
        /// Settings changed.
        SettingsChange = "settings_change",
        /// A request was refused by policy.
        AccessDenied = "access_denied",
        /// A request was refused by the CSRF check.
        CsrfRejected = "csrf_rejected",
        /// The first-run setup completed.
        SetupComplete = "setup_complete",
        /// A subscriber's data was exported.
        SubscriberExport = "subscriber_export",
        /// A session was refused (expired, rotated, revoked).
        SessionRefused = "session_refused",
        /// Data imported from another status page (one entry per import).
        Import = "import",
    }
}

str_enum! {
    /// What kind of thing an audit event is about.
    pub enum EntityKind : "a known entity kind" {
        /// A component.
        Component = "component",
        /// A component group.
        ComponentGroup = "component_group",
        /// An incident.
        Incident = "incident",
        /// An incident update.
        IncidentUpdate = "incident_update",
        /// An incident template.
        IncidentTemplate = "incident_template",
        /// A maintenance schedule.
        Schedule = "schedule",
        /// A maintenance update.
        ScheduleUpdate = "schedule_update",
        /// A metric.
        Metric = "metric",
        /// A metric point.
        MetricPoint = "metric_point",
        /// A subscriber.
        Subscriber = "subscriber",
        /// A subscription.
        Subscription = "subscription",
        /// A webhook endpoint.
        Webhook = "webhook",
        /// An integration that sends monitoring alerts.
        Integration = "integration",
        /// A rule of an integration.
        AlertRule = "alert_rule",
        /// A user.
        User = "user",
        /// An API token.
        ApiToken = "api_token",
        /// A session.
        Session = "session",
        /// The settings.
        Settings = "settings",
        /// The site as a whole (setup).
        Site = "site",
    }
}

str_enum! {
    /// How it ended.
    pub enum AuditOutcome : "success, denied, failure" {
        /// Done.
        Success = "success",
        /// Refused by policy.
        Denied = "denied",
        /// Failed (bad credentials, invalid input).
        Failure = "failure",
    }
}

/// One audit log entry. Never carries a secret: `detail` is built by the core from
/// non-secret facts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Its id.
    pub id: AuditEventId,
    /// When.
    pub at: Timestamp,
    /// The acting user, if any.
    pub actor_user_id: Option<UserId>,
    /// The token used, if any.
    pub actor_token_id: Option<ApiTokenId>,
    /// A printable description of the actor (`user:3`, `token:7`, `anonymous`, `host:ci`).
    pub actor: String,
    /// What happened.
    pub action: AuditAction,
    /// What it happened to.
    pub entity: EntityKind,
    /// Which one.
    pub entity_id: Option<i64>,
    /// From which client address.
    pub ip: Option<String>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// A short, non-secret description.
    pub detail: Text,
}

/// What appending an audit entry needs. Inside a write, the [`crate::store::EffectsFn`]
/// closure builds it from the written entity, so it can name the id the store assigned.
///
/// Build it with [`NewAuditEvent::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewAuditEvent {
    /// When.
    pub at: Timestamp,
    /// Acting user.
    pub actor_user_id: Option<UserId>,
    /// Token used.
    pub actor_token_id: Option<ApiTokenId>,
    /// Printable actor.
    pub actor: String,
    /// What.
    pub action: AuditAction,
    /// On what.
    pub entity: EntityKind,
    /// Which.
    pub entity_id: Option<i64>,
    /// Client address.
    pub ip: Option<String>,
    /// Outcome.
    pub outcome: AuditOutcome,
    /// Detail.
    pub detail: Text,
}

impl NewAuditEvent {
    /// An entry by an actor known only by name, about no entity in particular, from no recorded address.
    #[must_use]
    pub fn new(
        at: Timestamp,
        actor: String,
        action: AuditAction,
        entity: EntityKind,
        outcome: AuditOutcome,
        detail: Text,
    ) -> Self {
        Self {
            at,
            actor_user_id: None,
            actor_token_id: None,
            actor,
            action,
            entity,
            entity_id: None,
            ip: None,
            outcome,
            detail,
        }
    }
}

with_setters! {
    NewAuditEvent {
        with_actor_user_id => actor_user_id: Option<UserId>,
        with_actor_token_id => actor_token_id: Option<ApiTokenId>,
        with_entity_id => entity_id: Option<i64>,
        with_ip => ip: Option<String>,
    }
}
