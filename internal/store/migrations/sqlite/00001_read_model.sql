-- The read model: what officers' inboxes, dossier pages and the indicators
-- read. Only the projection activity writes it; every row can be rebuilt from
-- the workflows' projections.
--
-- SQLite flavour: times are text in UTC with a fixed width,
-- 2006-01-02T15:04:05.000000Z, so they compare and sort as text; NULL is no
-- time. Booleans are integers 0/1. Tables are STRICT so a wrong type fails
-- loudly instead of being stored as something else.

-- +goose Up
CREATE TABLE dossiers (
    code                    text PRIMARY KEY,
    procedure_code          text NOT NULL DEFAULT '',
    plan_hash               text NOT NULL DEFAULT '',
    procedure_version       text NOT NULL DEFAULT '',
    agency                  text NOT NULL DEFAULT '',
    mode                    text NOT NULL DEFAULT '',
    channel                 text NOT NULL DEFAULT '',
    applicant_id            text NOT NULL DEFAULT '',
    applicant_name          text NOT NULL DEFAULT '',
    status                  integer NOT NULL,
    received_at             text,
    accepted_at             text,
    appointment_at          text,
    original_appointment_at text,
    extended                integer NOT NULL DEFAULT 0,
    current_steps           text NOT NULL DEFAULT '[]', -- JSON array of step ids
    paused                  integer NOT NULL DEFAULT 0,
    paused_since            text,
    paused_seconds          integer NOT NULL DEFAULT 0,
    supplements             integer NOT NULL DEFAULT 0,
    fees_due                integer NOT NULL DEFAULT 0,
    paid_online             integer NOT NULL DEFAULT 0,
    finished_at             text,
    returned_at             text,
    timeliness              text NOT NULL DEFAULT '',
    result_code             text NOT NULL DEFAULT '',
    result_kind             text NOT NULL DEFAULT '',
    result_name             text NOT NULL DEFAULT '',
    result_sha256           text NOT NULL DEFAULT '',
    result_signed_by        text NOT NULL DEFAULT '',
    result_signed_at        text,
    result_delivery         text NOT NULL DEFAULT '',
    result_refusal          integer NOT NULL DEFAULT 0,
    result_is_document      integer NOT NULL DEFAULT 0,
    has_fee                 integer NOT NULL DEFAULT 0,
    e_result                integer NOT NULL DEFAULT 0,
    digitised               integer NOT NULL DEFAULT 0,
    reused_components       integer NOT NULL DEFAULT 0,
    rating_satisfied        integer, -- NULL: not rated, 0: dissatisfied, 1: satisfied
    rating_comment          text NOT NULL DEFAULT '',
    rated_at                text,
    last_seq                integer NOT NULL,
    updated_at              text NOT NULL
) STRICT;
CREATE INDEX dossiers_agency_received ON dossiers (agency, received_at);
CREATE INDEX dossiers_procedure_received ON dossiers (procedure_code, received_at);
CREATE INDEX dossiers_applicant_received ON dossiers (applicant_id, received_at);
CREATE INDEX dossiers_status ON dossiers (status);
CREATE INDEX dossiers_received ON dossiers (received_at);
CREATE INDEX dossiers_result_code ON dossiers (result_code) WHERE result_code <> '';

CREATE TABLE events (
    workflow_id  text NOT NULL,
    seq          integer NOT NULL,
    dossier_code text NOT NULL,
    at           text NOT NULL,
    kind         text NOT NULL,
    step         text NOT NULL DEFAULT '',
    actor_id     text NOT NULL DEFAULT '',
    actor_role   text NOT NULL DEFAULT '',
    actor_agency text NOT NULL DEFAULT '',
    outcome      text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    status       integer NOT NULL DEFAULT 0,
    due_at       text,
    timeliness   text NOT NULL DEFAULT '',
    PRIMARY KEY (workflow_id, seq)
) STRICT;
CREATE INDEX events_dossier_timeline ON events (dossier_code, at, workflow_id, seq);

CREATE TABLE tasks (
    workflow_id  text NOT NULL,
    task_id      text NOT NULL,
    dossier_code text NOT NULL,
    step         text NOT NULL DEFAULT '',
    kind         text NOT NULL DEFAULT '',
    name         text NOT NULL DEFAULT '',
    role         text NOT NULL,
    agency       text NOT NULL DEFAULT '',
    outcomes     text NOT NULL DEFAULT '[]', -- JSON array of outcome ids
    opened_at    text NOT NULL,
    due_at       text,
    PRIMARY KEY (workflow_id, task_id)
) STRICT;
CREATE INDEX tasks_inbox ON tasks (role, agency, due_at);
CREATE INDEX tasks_dossier ON tasks (dossier_code, task_id);

CREATE TABLE projection_marks (
    workflow_id text PRIMARY KEY,
    last_seq    integer NOT NULL
) STRICT;

CREATE TABLE code_sequences (
    agency text NOT NULL,
    day    text NOT NULL,
    n      integer NOT NULL,
    PRIMARY KEY (agency, day)
) STRICT;

-- +goose Down
DROP TABLE code_sequences;
DROP TABLE projection_marks;
DROP TABLE tasks;
DROP TABLE events;
DROP TABLE dossiers;
