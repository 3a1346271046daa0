-- Shared rate limits: one row per limit key (a client key the web layer derived, at most 128
-- printable ASCII bytes), counting a sliding window counter's two fixed windows: the hits of
-- the window starting at `window_start` and of the one before it.
CREATE TABLE cachet_rate_limits (
    limit_key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    hits INTEGER NOT NULL,
    prev_hits INTEGER NOT NULL
);
CREATE INDEX cachet_rate_limits_window ON cachet_rate_limits (window_start);
