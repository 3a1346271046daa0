-- Replaced password hashes, so a new password can be refused when it repeats a recent one.
CREATE TABLE cachet_password_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES cachet_users (id),
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX cachet_password_history_user ON cachet_password_history (user_id, id);

-- Retention: audit entries and throttle keys are pruned by age.
CREATE INDEX cachet_audit_events_at ON cachet_audit_events (at);
CREATE INDEX cachet_throttles_last_failure ON cachet_throttles (last_failure_at);
CREATE INDEX cachet_one_time_tokens_subject ON cachet_one_time_tokens (purpose, subject_id);
