-- The wire format each webhook endpoint receives: `json` (the signed Statuspage body) or a chat
-- platform's incoming-webhook message (`slack`, `teams`, `discord`, `mattermost`,
-- `google_chat`). Endpoints made before formats existed keep receiving JSON.
ALTER TABLE cachet_webhooks ADD COLUMN format TEXT COLLATE "C" NOT NULL DEFAULT 'json';
