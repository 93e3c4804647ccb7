-- The indicators' read of the read model (internal/store/report.go), kept
-- by the same writes as the dossiers and events (ProjectionApply, BulkLoad):
--
--   report_facts      one narrow row per dossier: the columns the report
--                     judges a dossier by, times as microseconds since
--                     1970-01-01 UTC and days as Vietnamese day numbers,
--                     so that a year of the province (1.7 million
--                     dossiers) is read as integers, in parallel, without
--                     a date function or a join per dossier;
--   report_step_days  the officers' actions with a due time counted per
--                     Vietnamese day, agency, procedure, version and
--                     timeliness, so that a period's per-step counts read
--                     a row per day instead of every action.
--
-- Both are filled from the existing rows here. PostgreSQL flavour.

-- +goose Up
CREATE TABLE report_facts (
    code              text PRIMARY KEY,
    agency            text NOT NULL,
    procedure_code    text NOT NULL,
    procedure_version text NOT NULL,
    received          bigint,           -- reception (received_at)
    channel           smallint NOT NULL, -- 1 online, 2 in person, 3 by post, 0 another
    result_document   boolean NOT NULL, -- the procedure's result is a document
    e_result          boolean NOT NULL,
    fee               smallint NOT NULL, -- 0 no fees due, 1 due and not paid online, 2 paid online
    reused            boolean NOT NULL, -- at least one re-used component
    appointment       bigint,           -- appointment_at; NULL without an appointment date
    appointment_day   bigint,           -- the start of the appointment's Vietnamese day
    paused_since      bigint,           -- paused_since while paused, else NULL
    extended          boolean NOT NULL,
    supplements       integer NOT NULL,
    status            smallint NOT NULL,
    end_at            bigint,           -- the end time (report.go), NULL while open
    returned          bigint,
    refusal           boolean NOT NULL, -- the result is a refusal notice
    withdrawn         boolean NOT NULL, -- the applicant asked to withdraw
    finished          bigint,
    start_day         integer,          -- day number of acceptance (else reception), when finished
    end_day           integer,          -- day number of finished
    paused_seconds    bigint NOT NULL,
    digitised         boolean NOT NULL,
    dissatisfied_at   bigint,           -- rated_at of a dissatisfied rating
    -- Only for a dossier without an appointment date, which the report
    -- lists for its caller to judge: its mode and the last supplement
    -- request and supplement.
    mode              text,
    last_asked        bigint,
    last_supplied     bigint
);
CREATE INDEX report_facts_procedure_received ON report_facts (procedure_code, received, channel);
CREATE INDEX report_facts_unscheduled ON report_facts (received) WHERE appointment IS NULL;

INSERT INTO report_facts
SELECT d.code, d.agency, d.procedure_code, d.procedure_version,
    (extract(epoch FROM d.received_at) * 1000000)::bigint,
    CASE d.channel WHEN 'online' THEN 1 WHEN 'in_person' THEN 2 WHEN 'postal' THEN 3 ELSE 0 END,
    d.result_is_document, d.e_result,
    CASE WHEN d.fees_due <= 0 THEN 0 WHEN d.paid_online THEN 2 ELSE 1 END,
    d.reused_components > 0,
    (extract(epoch FROM d.appointment_at) * 1000000)::bigint,
    (((CAST((d.appointment_at) AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date) - DATE '1970-01-01'))::bigint * 86400 - 25200) * 1000000,
    CASE WHEN d.paused THEN (extract(epoch FROM d.paused_since) * 1000000)::bigint END,
    d.extended, d.supplements, d.status,
    CASE WHEN d.status = 3 THEN (extract(epoch FROM COALESCE(d.finished_at, d.returned_at, r.at, d.received_at)) * 1000000)::bigint
        ELSE (extract(epoch FROM COALESCE(d.finished_at, d.returned_at)) * 1000000)::bigint END,
    (extract(epoch FROM d.returned_at) * 1000000)::bigint,
    d.result_refusal,
    EXISTS (SELECT 1 FROM events e WHERE e.dossier_code = d.code AND e.kind = 'withdraw_requested'),
    (extract(epoch FROM d.finished_at) * 1000000)::bigint,
    CASE WHEN d.finished_at IS NOT NULL THEN (CAST((COALESCE(d.accepted_at, d.received_at)) AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date) - DATE '1970-01-01') END,
    CASE WHEN d.finished_at IS NOT NULL THEN (CAST((d.finished_at) AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date) - DATE '1970-01-01') END,
    d.paused_seconds, d.digitised,
    CASE WHEN NOT d.rating_satisfied THEN (extract(epoch FROM d.rated_at) * 1000000)::bigint END,
    CASE WHEN d.appointment_at IS NULL THEN d.mode END,
    CASE WHEN d.appointment_at IS NULL THEN (SELECT MAX((extract(epoch FROM e.at) * 1000000)::bigint) FROM events e WHERE e.dossier_code = d.code AND e.kind = 'supplement_requested') END,
    CASE WHEN d.appointment_at IS NULL THEN (SELECT MAX((extract(epoch FROM e.at) * 1000000)::bigint) FROM events e WHERE e.dossier_code = d.code AND e.kind = 'supplemented') END
FROM dossiers d
LEFT JOIN (SELECT e.dossier_code, MIN(e.at) AS at FROM events e WHERE e.kind = 'refused' GROUP BY e.dossier_code) r
    ON r.dossier_code = d.code;

CREATE TABLE report_step_days (
    day               integer NOT NULL, -- Vietnamese day number: days since 1970-01-01
    agency            text NOT NULL,    -- the dossier's, '' when the read model has no dossier row
    procedure_code    text NOT NULL,
    procedure_version text NOT NULL,
    timeliness        text NOT NULL,    -- early, on_time or late
    n                 bigint NOT NULL,
    PRIMARY KEY (day, agency, procedure_code, procedure_version, timeliness)
);

INSERT INTO report_step_days
SELECT (CAST((e.at) AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date) - DATE '1970-01-01'), COALESCE(d.agency, ''), COALESCE(d.procedure_code, ''), COALESCE(d.procedure_version, ''),
    e.timeliness, COUNT(*)
FROM events e LEFT JOIN dossiers d ON d.code = e.dossier_code
WHERE e.kind = 'acted' AND e.due_at IS NOT NULL AND e.timeliness IN ('early', 'on_time', 'late')
GROUP BY 1, 2, 3, 4, 5;

-- +goose Down
DROP TABLE report_step_days;
DROP TABLE report_facts;
