-- Inbound monitoring alerts: integrations (a sender authenticated by the SHA-256 of its
-- secret), their rules, and the state of each alert a rule matched (what the sender last
-- said and since when, so hold times survive restarts and run on any instance).
CREATE TABLE cachet_integrations (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind VARCHAR(32) NOT NULL,
    name VARCHAR(255) NOT NULL,
    enabled BOOLEAN NOT NULL,
    secret_hash BINARY(32) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX cachet_integrations_secret ON cachet_integrations (secret_hash);

CREATE TABLE cachet_alert_rules (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    integration_id BIGINT NOT NULL,
    component_id BIGINT NOT NULL,
    matcher MEDIUMTEXT NOT NULL,
    status BIGINT NOT NULL,
    template_id BIGINT,
    incident_title VARCHAR(255),
    incident_message MEDIUMTEXT,
    resolution MEDIUMTEXT,
    hold_secs BIGINT NOT NULL,
    recovery_hold_secs BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (integration_id) REFERENCES cachet_integrations (id),
    FOREIGN KEY (component_id) REFERENCES cachet_components (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_alert_rules_integration ON cachet_alert_rules (integration_id);
CREATE INDEX cachet_alert_rules_component ON cachet_alert_rules (component_id);

CREATE TABLE cachet_alert_states (
    rule_id BIGINT NOT NULL,
    alert_key VARCHAR(128) NOT NULL,
    firing BOOLEAN NOT NULL,
    since BIGINT NOT NULL,
    confirmed BOOLEAN NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (rule_id, alert_key),
    FOREIGN KEY (rule_id) REFERENCES cachet_alert_rules (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
