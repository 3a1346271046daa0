//! Managing integrations and their rules: admins only (`ManageSettings`), audited, through
//! the store's alert area.

use super::SECRET_PREFIX;
use crate::auth::policy::Permission;
use crate::auth::tokens::{hash_secret, random_secret};
use crate::model::{
    AlertRule, AlertRuleId, AlertRuleSettings, AuditAction, ComponentStatus, EntityKind,
    Integration, IntegrationId, IntegrationKind, IntegrationPatch, MAX_HOLD_SECS, NewAlertRule,
    NewIntegration,
};
use crate::store::Changed;
use crate::validate::{Name, ValidationError, Violation};
use crate::{Actor, Cachet, Error};

type Result<T> = std::result::Result<T, Error>;

/// An integration just made or given a new secret: the secret is in this answer only.
#[derive(Clone)]
pub struct IssuedSecret {
    /// The integration.
    pub integration: Integration,
    /// The secret, to show once (`cachet_alert_` and 43 characters of 256 random bits).
    pub secret: String,
}

impl std::fmt::Debug for IssuedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedSecret")
            .field("integration", &self.integration)
            .field("secret", &"<redacted>")
            .finish()
    }
}

fn new_secret() -> Result<String> {
    Ok(format!("{SECRET_PREFIX}{}", random_secret()?))
}

impl Cachet {
    /// Every integration (`ManageSettings`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Store`].
    pub async fn integrations(&self, actor: &Actor) -> Result<Vec<Integration>> {
        self.authorize(actor, Permission::ManageSettings).await?;
        Ok(self.store().integrations().await?)
    }

    /// One integration (`ManageSettings`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn integration(&self, actor: &Actor, id: IntegrationId) -> Result<Integration> {
        self.authorize(actor, Permission::ManageSettings).await?;
        Ok(self.store().integration(id).await?)
    }

    /// Adds an integration (`ManageSettings`) with a new secret of 256 random bits, stored as
    /// its SHA-256 and answered once.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::Store`].
    pub async fn create_integration(
        &self,
        actor: &Actor,
        kind: IntegrationKind,
        name: Name,
        enabled: bool,
    ) -> Result<IssuedSecret> {
        self.authorize(actor, Permission::ManageSettings).await?;
        let secret = new_secret()?;
        let new = NewIntegration {
            kind,
            name,
            enabled,
            secret_hash: hash_secret(&secret),
        };
        let fx = self.audited(
            actor,
            AuditAction::Create,
            EntityKind::Integration,
            |i: &Integration| i.id.get(),
        );
        let integration = self
            .store()
            .create_integration(self.cx(), &new, &fx)
            .await?;
        Ok(IssuedSecret {
            integration,
            secret,
        })
    }

    /// Renames, enables or disables an integration (`ManageSettings`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn update_integration(
        &self,
        actor: &Actor,
        id: IntegrationId,
        name: Option<Name>,
        enabled: Option<bool>,
    ) -> Result<Integration> {
        self.authorize(actor, Permission::ManageSettings).await?;
        let patch = IntegrationPatch {
            name,
            enabled,
            secret_hash: None,
        };
        self.patch_integration(actor, id, &patch).await
    }

    /// Gives an integration a new secret (`ManageSettings`); the old one stops working at
    /// once.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn rotate_integration_secret(
        &self,
        actor: &Actor,
        id: IntegrationId,
    ) -> Result<IssuedSecret> {
        self.authorize(actor, Permission::ManageSettings).await?;
        let secret = new_secret()?;
        let patch = IntegrationPatch {
            secret_hash: Some(hash_secret(&secret)),
            ..IntegrationPatch::default()
        };
        let integration = self.patch_integration(actor, id, &patch).await?;
        Ok(IssuedSecret {
            integration,
            secret,
        })
    }

    async fn patch_integration(
        &self,
        actor: &Actor,
        id: IntegrationId,
        patch: &IntegrationPatch,
    ) -> Result<Integration> {
        let fx = self.audited(
            actor,
            AuditAction::Update,
            EntityKind::Integration,
            |c: &Changed<Integration>| c.after.id.get(),
        );
        Ok(self
            .store()
            .update_integration(self.cx(), id, patch, &fx)
            .await?)
    }

    /// Deletes an integration with its rules (`ManageSettings`). Component statuses stay as
    /// they are.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn delete_integration(&self, actor: &Actor, id: IntegrationId) -> Result<()> {
        self.authorize(actor, Permission::ManageSettings).await?;
        let fx = self.audited(
            actor,
            AuditAction::Delete,
            EntityKind::Integration,
            |i: &Integration| i.id.get(),
        );
        Ok(self.store().delete_integration(self.cx(), id, &fx).await?)
    }

    /// An integration's rules (`ManageSettings`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`] for an unknown integration.
    pub async fn alert_rules(&self, actor: &Actor, id: IntegrationId) -> Result<Vec<AlertRule>> {
        self.authorize(actor, Permission::ManageSettings).await?;
        self.store().integration(id).await?;
        Ok(self.store().alert_rules(Some(id)).await?)
    }

    /// One rule of an integration (`ManageSettings`); a rule of another integration is not
    /// found.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn alert_rule(
        &self,
        actor: &Actor,
        integration: IntegrationId,
        id: AlertRuleId,
    ) -> Result<AlertRule> {
        self.authorize(actor, Permission::ManageSettings).await?;
        let rule = self.store().alert_rule(id).await?;
        if rule.integration_id != integration {
            return Err(Error::NotFound {
                entity: "alert_rule",
            });
        }
        Ok(rule)
    }

    /// Adds a rule to an integration (`ManageSettings`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`] for an unknown integration,
    /// [`Error::Validation`] naming the setting (an unknown component or template, a firing
    /// status that is not an outage or performance issue, a hold over a day, a message
    /// without a title).
    pub async fn create_alert_rule(
        &self,
        actor: &Actor,
        integration: IntegrationId,
        settings: AlertRuleSettings,
    ) -> Result<AlertRule> {
        self.authorize(actor, Permission::ManageSettings).await?;
        self.store().integration(integration).await?;
        self.check_rule(&settings).await?;
        let fx = self.audited(
            actor,
            AuditAction::Create,
            EntityKind::AlertRule,
            |r: &AlertRule| r.id.get(),
        );
        let new = NewAlertRule {
            integration_id: integration,
            settings,
        };
        Ok(self.store().create_alert_rule(self.cx(), &new, &fx).await?)
    }

    /// Replaces a rule's settings (`ManageSettings`).
    ///
    /// # Errors
    ///
    /// As [`Cachet::create_alert_rule`]; [`Error::NotFound`] for a rule of another
    /// integration.
    pub async fn update_alert_rule(
        &self,
        actor: &Actor,
        integration: IntegrationId,
        id: AlertRuleId,
        settings: AlertRuleSettings,
    ) -> Result<AlertRule> {
        self.alert_rule(actor, integration, id).await?;
        self.check_rule(&settings).await?;
        let fx = self.audited(
            actor,
            AuditAction::Update,
            EntityKind::AlertRule,
            |c: &Changed<AlertRule>| c.after.id.get(),
        );
        Ok(self
            .store()
            .update_alert_rule(self.cx(), id, &settings, &fx)
            .await?)
    }

    /// Deletes a rule (`ManageSettings`). The component keeps its status.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn delete_alert_rule(
        &self,
        actor: &Actor,
        integration: IntegrationId,
        id: AlertRuleId,
    ) -> Result<()> {
        self.alert_rule(actor, integration, id).await?;
        let fx = self.audited(
            actor,
            AuditAction::Delete,
            EntityKind::AlertRule,
            |r: &AlertRule| r.id.get(),
        );
        Ok(self.store().delete_alert_rule(self.cx(), id, &fx).await?)
    }

    async fn check_rule(&self, s: &AlertRuleSettings) -> Result<()> {
        let invalid =
            |field: &'static str, v: Violation| Error::Validation(ValidationError::new(field, v));
        if !matches!(
            s.status,
            ComponentStatus::PerformanceIssues
                | ComponentStatus::PartialOutage
                | ComponentStatus::MajorOutage
        ) {
            return Err(invalid("status", Violation::OutOfRange { min: 2, max: 4 }));
        }
        for (field, secs) in [
            ("hold_secs", s.hold_secs),
            ("recovery_hold_secs", s.recovery_hold_secs),
        ] {
            if secs > MAX_HOLD_SECS {
                return Err(invalid(
                    field,
                    Violation::OutOfRange {
                        min: 0,
                        max: i64::from(MAX_HOLD_SECS),
                    },
                ));
            }
        }
        if s.incident_message.is_some() && s.incident_title.is_none() && s.template_id.is_none() {
            return Err(invalid("incident_title", Violation::Required));
        }
        match self.store().component(s.component_id).await {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {
                return Err(invalid(
                    "component_id",
                    Violation::Format {
                        expected: "the id of an existing component",
                    },
                ));
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(t) = s.template_id {
            match self.store().template(t).await {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {
                    return Err(invalid(
                        "template_id",
                        Violation::Format {
                            expected: "the id of an existing incident template",
                        },
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}
