-- The components of a dossier, kept with its snapshot, and the audit log of
-- the requests people made. Unlike the rest of the read model, the audit
-- log is not rebuilt from projections: it is the only copy.

-- +goose Up
ALTER TABLE dossiers ADD COLUMN components jsonb NOT NULL DEFAULT '[]'; -- array of dossier.ComponentRef

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    request_id  text NOT NULL DEFAULT '',
    subject     text NOT NULL DEFAULT '',
    kind        text NOT NULL DEFAULT '',
    roles       jsonb NOT NULL DEFAULT '[]', -- array of role ids
    agency      text NOT NULL DEFAULT '',
    remote_addr text NOT NULL DEFAULT '',
    method      text NOT NULL DEFAULT '',
    action      text NOT NULL DEFAULT '',
    target      text NOT NULL DEFAULT '',
    decision    text NOT NULL CHECK (decision IN ('accepted', 'denied', 'failed')),
    status      integer NOT NULL DEFAULT 0,
    reason      text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_target_at ON audit_log (target, at, id);
CREATE INDEX audit_log_subject_at ON audit_log (subject, at, id);

-- +goose Down
DROP TABLE audit_log;
ALTER TABLE dossiers DROP COLUMN components;
