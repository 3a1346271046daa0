-- cachet-rs schema, SQLite dialect. Times are microseconds since the Unix epoch (UTC);
-- enums are their integer codes or names; metric values are thousandths; JSON is text.
-- Keep in step with ../postgres and ../mysql (a test checks the file names match).

CREATE TABLE cachet_revision (
    id INTEGER PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO cachet_revision (id, value) VALUES (1, 0);

CREATE TABLE cachet_component_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    collapsed INTEGER NOT NULL,
    visible INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE cachet_components (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    link TEXT,
    status INTEGER NOT NULL,
    position INTEGER NOT NULL,
    group_id INTEGER REFERENCES cachet_component_groups (id),
    enabled BOOLEAN NOT NULL,
    meta TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cachet_components_group ON cachet_components (group_id);

CREATE TABLE cachet_component_tags (
    component_id INTEGER NOT NULL REFERENCES cachet_components (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (component_id, slug)
);
CREATE INDEX cachet_component_tags_slug ON cachet_component_tags (slug);

CREATE TABLE cachet_status_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    component_id INTEGER NOT NULL REFERENCES cachet_components (id),
    old_status INTEGER,
    new_status INTEGER NOT NULL,
    cause_kind TEXT NOT NULL,
    cause_user_id INTEGER,
    cause_incident_id INTEGER,
    cause_schedule_id INTEGER,
    at INTEGER NOT NULL
);
CREATE INDEX cachet_status_changes_component ON cachet_status_changes (component_id, at, id);

CREATE TABLE cachet_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    totp_key_id INTEGER,
    totp_secret BLOB,
    totp_confirmed_at INTEGER,
    totp_last_step INTEGER,
    last_login_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX cachet_users_email ON cachet_users (email);

CREATE TABLE cachet_recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES cachet_users (id),
    hash BLOB NOT NULL,
    used_at INTEGER
);
CREATE INDEX cachet_recovery_codes_user ON cachet_recovery_codes (user_id);

CREATE TABLE cachet_incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER REFERENCES cachet_users (id),
    name TEXT NOT NULL,
    status INTEGER NOT NULL,
    message TEXT NOT NULL,
    visible BOOLEAN NOT NULL,
    stickied BOOLEAN NOT NULL,
    notify BOOLEAN NOT NULL,
    occurred_at INTEGER NOT NULL,
    meta TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cachet_incidents_occurred ON cachet_incidents (occurred_at, id);

CREATE TABLE cachet_incident_components (
    incident_id INTEGER NOT NULL REFERENCES cachet_incidents (id),
    component_id INTEGER NOT NULL REFERENCES cachet_components (id),
    status INTEGER NOT NULL,
    PRIMARY KEY (incident_id, component_id)
);
CREATE INDEX cachet_incident_components_component ON cachet_incident_components (component_id);

CREATE TABLE cachet_incident_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES cachet_incidents (id),
    status INTEGER NOT NULL,
    message TEXT NOT NULL,
    user_id INTEGER REFERENCES cachet_users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cachet_incident_updates_incident ON cachet_incident_updates (incident_id);

CREATE TABLE cachet_incident_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    template TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX cachet_incident_templates_slug ON cachet_incident_templates (slug);

CREATE TABLE cachet_schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    message TEXT NOT NULL,
    status INTEGER NOT NULL,
    scheduled_at INTEGER NOT NULL,
    completed_at INTEGER,
    notify BOOLEAN NOT NULL,
    user_id INTEGER REFERENCES cachet_users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cachet_schedules_scheduled ON cachet_schedules (scheduled_at, id);

CREATE TABLE cachet_schedule_components (
    schedule_id INTEGER NOT NULL REFERENCES cachet_schedules (id),
    component_id INTEGER NOT NULL REFERENCES cachet_components (id),
    PRIMARY KEY (schedule_id, component_id)
);
CREATE INDEX cachet_schedule_components_component ON cachet_schedule_components (component_id);

CREATE TABLE cachet_schedule_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id INTEGER NOT NULL REFERENCES cachet_schedules (id),
    message TEXT NOT NULL,
    user_id INTEGER REFERENCES cachet_users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX cachet_schedule_updates_schedule ON cachet_schedule_updates (schedule_id);

CREATE TABLE cachet_metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    suffix TEXT NOT NULL,
    description TEXT NOT NULL,
    default_value INTEGER NOT NULL,
    calc_type INTEGER NOT NULL,
    display_chart BOOLEAN NOT NULL,
    places INTEGER NOT NULL,
    default_view INTEGER NOT NULL,
    threshold INTEGER NOT NULL,
    position INTEGER NOT NULL,
    visible INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE cachet_metric_points (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    metric_id INTEGER NOT NULL REFERENCES cachet_metrics (id),
    value INTEGER NOT NULL,
    counter INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cachet_metric_points_metric ON cachet_metric_points (metric_id, created_at, id);

CREATE TABLE cachet_subscribers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email_key_id INTEGER NOT NULL,
    email_ciphertext BLOB NOT NULL,
    blind_index BLOB NOT NULL,
    locale TEXT NOT NULL,
    verified_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX cachet_subscribers_blind_index ON cachet_subscribers (blind_index);

CREATE TABLE cachet_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id INTEGER NOT NULL REFERENCES cachet_subscribers (id),
    component_id INTEGER NOT NULL REFERENCES cachet_components (id),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX cachet_subscriptions_pair ON cachet_subscriptions (subscriber_id, component_id);
CREATE INDEX cachet_subscriptions_component ON cachet_subscriptions (component_id);

CREATE TABLE cachet_webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    secret_key_id INTEGER NOT NULL,
    secret_ciphertext BLOB NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE cachet_api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES cachet_users (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    hash BLOB NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX cachet_api_tokens_hash ON cachet_api_tokens (hash);
CREATE INDEX cachet_api_tokens_user ON cachet_api_tokens (user_id);

CREATE TABLE cachet_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash BLOB NOT NULL,
    user_id INTEGER NOT NULL REFERENCES cachet_users (id),
    pending_second_factor BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE UNIQUE INDEX cachet_sessions_hash ON cachet_sessions (hash);
CREATE INDEX cachet_sessions_user ON cachet_sessions (user_id);

CREATE TABLE cachet_throttles (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until INTEGER
);

CREATE TABLE cachet_one_time_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    purpose TEXT NOT NULL,
    hash BLOB NOT NULL,
    subject_id INTEGER,
    payload TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX cachet_one_time_tokens_hash ON cachet_one_time_tokens (hash);

CREATE TABLE cachet_settings (
    setting_key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE cachet_audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor_user_id INTEGER,
    actor_token_id INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    ip TEXT,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE TABLE cachet_outbox_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_expires_at INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX cachet_outbox_events_due ON cachet_outbox_events (status, next_attempt_at);

CREATE TABLE cachet_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    channel TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_expires_at INTEGER,
    last_error TEXT,
    delivered_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX cachet_deliveries_idempotency_key ON cachet_deliveries (idempotency_key);
CREATE INDEX cachet_deliveries_event ON cachet_deliveries (event_id);
CREATE INDEX cachet_deliveries_due ON cachet_deliveries (status, next_attempt_at);

CREATE TABLE cachet_delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES cachet_deliveries (id),
    at INTEGER NOT NULL,
    ok BOOLEAN NOT NULL,
    error TEXT
);
CREATE INDEX cachet_delivery_attempts_delivery ON cachet_delivery_attempts (delivery_id);
