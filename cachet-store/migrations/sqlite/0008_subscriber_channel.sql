-- How each subscriber is reached: `email` (the sealed address) or `sms` (the sealed E.164
-- number, with a blind index in a domain of its own). Subscribers made before SMS existed are
-- reached by mail.
ALTER TABLE cachet_subscribers ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
