-- cachet-rs schema, MySQL/MariaDB dialect. Times are microseconds since the Unix epoch (UTC);
-- every table is InnoDB, utf8mb4 with binary (code point) collation; enums are their integer
-- codes or names; metric values are thousandths; JSON is text.
-- Keep in step with ../sqlite and ../postgres (a test checks the file names match).

CREATE TABLE cachet_revision (
    id BIGINT PRIMARY KEY,
    value BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO cachet_revision (id, value) VALUES (1, 0);

CREATE TABLE cachet_component_groups (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    position BIGINT NOT NULL,
    collapsed BIGINT NOT NULL,
    visible BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE cachet_components (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    description MEDIUMTEXT NOT NULL,
    link MEDIUMTEXT,
    status BIGINT NOT NULL,
    position BIGINT NOT NULL,
    group_id BIGINT,
    enabled BOOLEAN NOT NULL,
    meta MEDIUMTEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (group_id) REFERENCES cachet_component_groups (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_components_group ON cachet_components (group_id);

CREATE TABLE cachet_component_tags (
    component_id BIGINT NOT NULL,
    slug VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    PRIMARY KEY (component_id, slug),
    FOREIGN KEY (component_id) REFERENCES cachet_components (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_component_tags_slug ON cachet_component_tags (slug);

CREATE TABLE cachet_status_changes (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    component_id BIGINT NOT NULL,
    old_status BIGINT,
    new_status BIGINT NOT NULL,
    cause_kind VARCHAR(32) NOT NULL,
    cause_user_id BIGINT,
    cause_incident_id BIGINT,
    cause_schedule_id BIGINT,
    at BIGINT NOT NULL,
    FOREIGN KEY (component_id) REFERENCES cachet_components (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_status_changes_component ON cachet_status_changes (component_id, at, id);

CREATE TABLE cachet_users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    email VARCHAR(254) NOT NULL,
    role VARCHAR(32) NOT NULL,
    password_hash MEDIUMTEXT NOT NULL,
    active BOOLEAN NOT NULL,
    totp_key_id BIGINT,
    totp_secret BLOB,
    totp_confirmed_at BIGINT,
    totp_last_step BIGINT,
    last_login_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX cachet_users_email ON cachet_users (email);

CREATE TABLE cachet_recovery_codes (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    hash BINARY(32) NOT NULL,
    used_at BIGINT,
    FOREIGN KEY (user_id) REFERENCES cachet_users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_recovery_codes_user ON cachet_recovery_codes (user_id);

CREATE TABLE cachet_incidents (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT,
    name VARCHAR(255) NOT NULL,
    status BIGINT NOT NULL,
    message MEDIUMTEXT NOT NULL,
    visible BOOLEAN NOT NULL,
    stickied BOOLEAN NOT NULL,
    notify BOOLEAN NOT NULL,
    occurred_at BIGINT NOT NULL,
    meta MEDIUMTEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (user_id) REFERENCES cachet_users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_incidents_occurred ON cachet_incidents (occurred_at, id);

CREATE TABLE cachet_incident_components (
    incident_id BIGINT NOT NULL,
    component_id BIGINT NOT NULL,
    status BIGINT NOT NULL,
    PRIMARY KEY (incident_id, component_id),
    FOREIGN KEY (incident_id) REFERENCES cachet_incidents (id),
    FOREIGN KEY (component_id) REFERENCES cachet_components (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_incident_components_component ON cachet_incident_components (component_id);

CREATE TABLE cachet_incident_updates (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    incident_id BIGINT NOT NULL,
    status BIGINT NOT NULL,
    message MEDIUMTEXT NOT NULL,
    user_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (incident_id) REFERENCES cachet_incidents (id),
    FOREIGN KEY (user_id) REFERENCES cachet_users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_incident_updates_incident ON cachet_incident_updates (incident_id);

CREATE TABLE cachet_incident_templates (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    slug VARCHAR(64) NOT NULL,
    template MEDIUMTEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX cachet_incident_templates_slug ON cachet_incident_templates (slug);

CREATE TABLE cachet_schedules (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    message MEDIUMTEXT NOT NULL,
    status BIGINT NOT NULL,
    scheduled_at BIGINT NOT NULL,
    completed_at BIGINT,
    notify BOOLEAN NOT NULL,
    user_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (user_id) REFERENCES cachet_users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_schedules_scheduled ON cachet_schedules (scheduled_at, id);

CREATE TABLE cachet_schedule_components (
    schedule_id BIGINT NOT NULL,
    component_id BIGINT NOT NULL,
    PRIMARY KEY (schedule_id, component_id),
    FOREIGN KEY (schedule_id) REFERENCES cachet_schedules (id),
    FOREIGN KEY (component_id) REFERENCES cachet_components (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_schedule_components_component ON cachet_schedule_components (component_id);

CREATE TABLE cachet_schedule_updates (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    schedule_id BIGINT NOT NULL,
    message MEDIUMTEXT NOT NULL,
    user_id BIGINT,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (schedule_id) REFERENCES cachet_schedules (id),
    FOREIGN KEY (user_id) REFERENCES cachet_users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_schedule_updates_schedule ON cachet_schedule_updates (schedule_id);

CREATE TABLE cachet_metrics (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    suffix MEDIUMTEXT NOT NULL,
    description MEDIUMTEXT NOT NULL,
    default_value BIGINT NOT NULL,
    calc_type BIGINT NOT NULL,
    display_chart BOOLEAN NOT NULL,
    places BIGINT NOT NULL,
    default_view BIGINT NOT NULL,
    threshold BIGINT NOT NULL,
    position BIGINT NOT NULL,
    visible BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE cachet_metric_points (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    metric_id BIGINT NOT NULL,
    value BIGINT NOT NULL,
    counter BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (metric_id) REFERENCES cachet_metrics (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_metric_points_metric ON cachet_metric_points (metric_id, created_at, id);

CREATE TABLE cachet_subscribers (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email_key_id BIGINT NOT NULL,
    email_ciphertext BLOB NOT NULL,
    blind_index BINARY(32) NOT NULL,
    locale VARCHAR(64) NOT NULL,
    verified_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX cachet_subscribers_blind_index ON cachet_subscribers (blind_index);

CREATE TABLE cachet_subscriptions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    subscriber_id BIGINT NOT NULL,
    component_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (subscriber_id) REFERENCES cachet_subscribers (id),
    FOREIGN KEY (component_id) REFERENCES cachet_components (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX cachet_subscriptions_pair ON cachet_subscriptions (subscriber_id, component_id);
CREATE INDEX cachet_subscriptions_component ON cachet_subscriptions (component_id);

CREATE TABLE cachet_webhooks (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    url MEDIUMTEXT NOT NULL,
    secret_key_id BIGINT NOT NULL,
    secret_ciphertext BLOB NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE cachet_api_tokens (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    name VARCHAR(255) NOT NULL,
    prefix MEDIUMTEXT NOT NULL,
    hash BINARY(32) NOT NULL,
    scope VARCHAR(32) NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (user_id) REFERENCES cachet_users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX cachet_api_tokens_hash ON cachet_api_tokens (hash);
CREATE INDEX cachet_api_tokens_user ON cachet_api_tokens (user_id);

CREATE TABLE cachet_sessions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    hash BINARY(32) NOT NULL,
    user_id BIGINT NOT NULL,
    pending_second_factor BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip MEDIUMTEXT,
    user_agent MEDIUMTEXT,
    FOREIGN KEY (user_id) REFERENCES cachet_users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX cachet_sessions_hash ON cachet_sessions (hash);
CREATE INDEX cachet_sessions_user ON cachet_sessions (user_id);

CREATE TABLE cachet_throttles (
    throttle_key VARCHAR(512) PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE cachet_one_time_tokens (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    purpose VARCHAR(32) NOT NULL,
    hash BINARY(32) NOT NULL,
    subject_id BIGINT,
    payload MEDIUMTEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX cachet_one_time_tokens_hash ON cachet_one_time_tokens (hash);

CREATE TABLE cachet_settings (
    setting_key VARCHAR(64) PRIMARY KEY,
    value MEDIUMTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE cachet_audit_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_user_id BIGINT,
    actor_token_id BIGINT,
    actor MEDIUMTEXT NOT NULL,
    action VARCHAR(64) NOT NULL,
    entity VARCHAR(64) NOT NULL,
    entity_id BIGINT,
    ip MEDIUMTEXT,
    outcome VARCHAR(32) NOT NULL,
    detail MEDIUMTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE cachet_outbox_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind VARCHAR(64) NOT NULL,
    payload MEDIUMTEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner MEDIUMTEXT,
    lease_expires_at BIGINT,
    last_error MEDIUMTEXT,
    created_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_outbox_events_due ON cachet_outbox_events (status, next_attempt_at);

CREATE TABLE cachet_deliveries (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id BIGINT NOT NULL,
    recipient MEDIUMTEXT NOT NULL,
    channel MEDIUMTEXT NOT NULL,
    idempotency_key VARCHAR(512) NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner MEDIUMTEXT,
    lease_expires_at BIGINT,
    last_error MEDIUMTEXT,
    delivered_at BIGINT,
    created_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX cachet_deliveries_idempotency_key ON cachet_deliveries (idempotency_key);
CREATE INDEX cachet_deliveries_event ON cachet_deliveries (event_id);
CREATE INDEX cachet_deliveries_due ON cachet_deliveries (status, next_attempt_at);

CREATE TABLE cachet_delivery_attempts (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    delivery_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    ok BOOLEAN NOT NULL,
    error MEDIUMTEXT,
    FOREIGN KEY (delivery_id) REFERENCES cachet_deliveries (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_delivery_attempts_delivery ON cachet_delivery_attempts (delivery_id);
