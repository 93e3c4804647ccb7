-- The read model: what officers' inboxes, dossier pages and the indicators
-- read. Only the projection activity writes it; every row can be rebuilt from
-- the workflows' projections.

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
    received_at             timestamptz,
    accepted_at             timestamptz,
    appointment_at          timestamptz,
    original_appointment_at timestamptz,
    extended                boolean NOT NULL DEFAULT false,
    current_steps           text NOT NULL DEFAULT '[]', -- JSON array of step ids
    paused                  boolean NOT NULL DEFAULT false,
    paused_since            timestamptz,
    paused_seconds          bigint NOT NULL DEFAULT 0,
    supplements             integer NOT NULL DEFAULT 0,
    fees_due                bigint NOT NULL DEFAULT 0,
    paid_online             boolean NOT NULL DEFAULT false,
    finished_at             timestamptz,
    returned_at             timestamptz,
    timeliness              text NOT NULL DEFAULT '',
    result_code             text NOT NULL DEFAULT '',
    result_kind             text NOT NULL DEFAULT '',
    result_name             text NOT NULL DEFAULT '',
    result_sha256           text NOT NULL DEFAULT '',
    result_signed_by        text NOT NULL DEFAULT '',
    result_signed_at        timestamptz,
    result_delivery         text NOT NULL DEFAULT '',
    result_refusal          boolean NOT NULL DEFAULT false,
    result_is_document      boolean NOT NULL DEFAULT false,
    has_fee                 boolean NOT NULL DEFAULT false,
    e_result                boolean NOT NULL DEFAULT false,
    digitised               boolean NOT NULL DEFAULT false,
    reused_components       integer NOT NULL DEFAULT 0,
    rating_satisfied        boolean,
    rating_comment          text NOT NULL DEFAULT '',
    rated_at                timestamptz,
    last_seq                bigint NOT NULL,
    updated_at              timestamptz NOT NULL
);
CREATE INDEX dossiers_agency_received ON dossiers (agency, received_at);
CREATE INDEX dossiers_procedure_received ON dossiers (procedure_code, received_at);
CREATE INDEX dossiers_applicant_received ON dossiers (applicant_id, received_at);
CREATE INDEX dossiers_status ON dossiers (status);
CREATE INDEX dossiers_received ON dossiers (received_at);
CREATE INDEX dossiers_result_code ON dossiers (result_code) WHERE result_code <> '';

CREATE TABLE events (
    workflow_id  text NOT NULL,
    seq          bigint NOT NULL,
    dossier_code text NOT NULL,
    at           timestamptz NOT NULL,
    kind         text NOT NULL,
    step         text NOT NULL DEFAULT '',
    actor_id     text NOT NULL DEFAULT '',
    actor_role   text NOT NULL DEFAULT '',
    actor_agency text NOT NULL DEFAULT '',
    outcome      text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    status       integer NOT NULL DEFAULT 0,
    due_at       timestamptz,
    timeliness   text NOT NULL DEFAULT '',
    PRIMARY KEY (workflow_id, seq)
);
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
    opened_at    timestamptz NOT NULL,
    due_at       timestamptz,
    PRIMARY KEY (workflow_id, task_id)
);
CREATE INDEX tasks_inbox ON tasks (role, agency, due_at);
CREATE INDEX tasks_dossier ON tasks (dossier_code, task_id);

CREATE TABLE projection_marks (
    workflow_id text PRIMARY KEY,
    last_seq    bigint NOT NULL
);

CREATE TABLE code_sequences (
    agency text NOT NULL,
    day    text NOT NULL,
    n      integer NOT NULL,
    PRIMARY KEY (agency, day)
);

-- +goose Down
DROP TABLE code_sequences;
DROP TABLE projection_marks;
DROP TABLE tasks;
DROP TABLE events;
DROP TABLE dossiers;
