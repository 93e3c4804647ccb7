-- What the indicators need from outside the workflows: whether each
-- dossier reached the national portal, and the citizens' complaints.
-- Neither is in the projections, so, like the audit log, neither is
-- rebuilt by replaying them. PostgreSQL flavour.
--
--   report_facts.portal_synced_at  the first status push the national
--                                  portal accepted (Store.PortalSynced,
--                                  from the SyncPortal activity), in
--                                  microseconds since 1970;
--   report_facts.complained_at     the time of the first complaint about
--                                  the dossier, likewise;
--   complaints                     the complaints the citizen feedback
--                                  system sent (POST /v1/callbacks/feedback,
--                                  Store.ComplaintAdd), one per reference.
--
-- The projections' writes of report_facts leave the two columns alone;
-- BulkLoad writes them, and the complaints, with the dossier.

-- +goose Up
ALTER TABLE report_facts ADD COLUMN portal_synced_at bigint;
ALTER TABLE report_facts ADD COLUMN complained_at bigint;

CREATE TABLE complaints (
    reference    text PRIMARY KEY, -- the feedback system's id: a repeat is a no-op
    dossier_code text NOT NULL,
    at           timestamptz NOT NULL,     -- when the citizen complained
    received_at  timestamptz NOT NULL,     -- when the read model learnt of it
    content      text NOT NULL DEFAULT ''
);
CREATE INDEX complaints_dossier ON complaints (dossier_code, at);

-- +goose Down
DROP TABLE complaints;
ALTER TABLE report_facts DROP COLUMN complained_at;
ALTER TABLE report_facts DROP COLUMN portal_synced_at;
