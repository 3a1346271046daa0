-- Shared rate limits: one row per limit key (a client key the web layer derived, at most 128
-- printable ASCII bytes), counting a sliding window counter's two fixed windows: the hits of
-- the window starting at `window_start` and of the one before it.
CREATE TABLE cachet_rate_limits (
    limit_key VARCHAR(128) PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    prev_hits BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX cachet_rate_limits_window ON cachet_rate_limits (window_start);
