-- The events each webhook endpoint receives: event names separated by commas. Endpoints made
-- before events could be chosen keep receiving every event.
ALTER TABLE cachet_webhooks ADD COLUMN events TEXT COLLATE "C" NOT NULL DEFAULT 'incident_created,incident_updated,incident_resolved,component_status,maintenance';
-- A webhook endpoint's delivery log reads its deliveries by recipient.
CREATE INDEX cachet_deliveries_recipient ON cachet_deliveries (recipient, id);
