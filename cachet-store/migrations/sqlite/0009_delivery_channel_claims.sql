-- The dispatcher claims due deliveries channel by channel, so a paced channel (SMS at one a
-- second) never holds another's; this index keeps each channel's claim from scanning the
-- others' pending rows.
CREATE INDEX cachet_deliveries_channel_due ON cachet_deliveries (channel, status, next_attempt_at);
