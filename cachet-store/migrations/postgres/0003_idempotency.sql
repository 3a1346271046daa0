-- Idempotent API writes: one row per scoped Idempotency-Key (a hash of who sent it and the key
-- they chose). `answer_status` is NULL while the write runs under `lease_until`.
CREATE TABLE cachet_idempotency_keys (
    idempotency_key TEXT COLLATE "C" PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL,
    answer_status BIGINT,
    answer_content_type TEXT,
    answer_location TEXT,
    answer_body BYTEA
);
CREATE INDEX cachet_idempotency_keys_created ON cachet_idempotency_keys (created_at);
