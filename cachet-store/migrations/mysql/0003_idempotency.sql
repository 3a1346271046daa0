-- Idempotent API writes: one row per scoped Idempotency-Key (a hash of who sent it and the key
-- they chose). `answer_status` is NULL while the write runs under `lease_until`.
CREATE TABLE cachet_idempotency_keys (
    idempotency_key VARCHAR(64) PRIMARY KEY,
    fingerprint VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL,
    answer_status BIGINT,
    answer_content_type VARCHAR(255),
    answer_location VARCHAR(2048),
    answer_body LONGBLOB
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_idempotency_keys_created ON cachet_idempotency_keys (created_at);
