-- Inbound monitoring alerts: integrations (a sender authenticated by the SHA-256 of its
-- secret), their rules, and the state of each alert a rule matched (what the sender last
-- said and since when, so hold times survive restarts and run on any instance).
CREATE TABLE cachet_integrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX cachet_integrations_secret ON cachet_integrations (secret_hash);

CREATE TABLE cachet_alert_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id INTEGER NOT NULL REFERENCES cachet_integrations (id),
    component_id INTEGER NOT NULL REFERENCES cachet_components (id),
    matcher TEXT NOT NULL,
    status INTEGER NOT NULL,
    template_id INTEGER,
    incident_title TEXT,
    incident_message TEXT,
    resolution TEXT,
    hold_secs INTEGER NOT NULL,
    recovery_hold_secs INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cachet_alert_rules_integration ON cachet_alert_rules (integration_id);
CREATE INDEX cachet_alert_rules_component ON cachet_alert_rules (component_id);

CREATE TABLE cachet_alert_states (
    rule_id INTEGER NOT NULL REFERENCES cachet_alert_rules (id),
    alert_key TEXT NOT NULL,
    firing BOOLEAN NOT NULL,
    since INTEGER NOT NULL,
    confirmed BOOLEAN NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (rule_id, alert_key)
);
