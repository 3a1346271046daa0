-- Replaced password hashes, so a new password can be refused when it repeats a recent one.
CREATE TABLE cachet_password_history (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    password_hash MEDIUMTEXT NOT NULL,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (user_id) REFERENCES cachet_users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_password_history_user ON cachet_password_history (user_id, id);

-- Retention: audit entries and throttle keys are pruned by age.
CREATE INDEX cachet_audit_events_at ON cachet_audit_events (at);
CREATE INDEX cachet_throttles_last_failure ON cachet_throttles (last_failure_at);
CREATE INDEX cachet_one_time_tokens_subject ON cachet_one_time_tokens (purpose, subject_id);
