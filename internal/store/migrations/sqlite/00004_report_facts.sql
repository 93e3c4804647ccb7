-- The indicators' read of the read model (internal/store/report.go), kept
-- by the same writes as the dossiers and events (ProjectionApply, BulkLoad):
-- report_facts (one narrow row of integers per dossier) and
-- report_step_days (the officers' actions with a due time counted per
-- Vietnamese day); see the PostgreSQL flavour for the details. The covering
-- index dossiers_report of 00003, which the report read before, goes.
-- SQLite flavour.

-- +goose Up
CREATE TABLE report_facts (
    code              text PRIMARY KEY,
    agency            text NOT NULL,
    procedure_code    text NOT NULL,
    procedure_version text NOT NULL,
    received          bigint,           -- reception (received_at)
    channel           integer NOT NULL, -- 1 online, 2 in person, 3 by post, 0 another
    result_document   boolean NOT NULL, -- the procedure's result is a document
    e_result          boolean NOT NULL,
    fee               integer NOT NULL, -- 0 no fees due, 1 due and not paid online, 2 paid online
    reused            boolean NOT NULL, -- at least one re-used component
    appointment       bigint,           -- appointment_at; NULL without an appointment date
    appointment_day   bigint,           -- the start of the appointment's Vietnamese day
    paused_since      bigint,           -- paused_since while paused, else NULL
    extended          boolean NOT NULL,
    supplements       integer NOT NULL,
    status            integer NOT NULL,
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
    (CAST(strftime('%s', d.received_at) AS INTEGER) * 1000000 + CAST(substr(d.received_at, 21, 6) AS INTEGER)),
    CASE d.channel WHEN 'online' THEN 1 WHEN 'in_person' THEN 2 WHEN 'postal' THEN 3 ELSE 0 END,
    d.result_is_document, d.e_result,
    CASE WHEN d.fees_due <= 0 THEN 0 WHEN d.paid_online THEN 2 ELSE 1 END,
    d.reused_components > 0,
    (CAST(strftime('%s', d.appointment_at) AS INTEGER) * 1000000 + CAST(substr(d.appointment_at, 21, 6) AS INTEGER)),
    (((CAST(julianday(d.appointment_at, '+7 hours') + 0.5 AS INTEGER) - 2440588)) * 86400 - 25200) * 1000000,
    CASE WHEN d.paused THEN (CAST(strftime('%s', d.paused_since) AS INTEGER) * 1000000 + CAST(substr(d.paused_since, 21, 6) AS INTEGER)) END,
    d.extended, d.supplements, d.status,
    CASE WHEN d.status = 3 THEN (CAST(strftime('%s', COALESCE(d.finished_at, d.returned_at, r.at, d.received_at)) AS INTEGER) * 1000000 + CAST(substr(COALESCE(d.finished_at, d.returned_at, r.at, d.received_at), 21, 6) AS INTEGER))
        ELSE (CAST(strftime('%s', COALESCE(d.finished_at, d.returned_at)) AS INTEGER) * 1000000 + CAST(substr(COALESCE(d.finished_at, d.returned_at), 21, 6) AS INTEGER)) END,
    (CAST(strftime('%s', d.returned_at) AS INTEGER) * 1000000 + CAST(substr(d.returned_at, 21, 6) AS INTEGER)),
    d.result_refusal,
    EXISTS (SELECT 1 FROM events e WHERE e.dossier_code = d.code AND e.kind = 'withdraw_requested'),
    (CAST(strftime('%s', d.finished_at) AS INTEGER) * 1000000 + CAST(substr(d.finished_at, 21, 6) AS INTEGER)),
    CASE WHEN d.finished_at IS NOT NULL THEN (CAST(julianday(COALESCE(d.accepted_at, d.received_at), '+7 hours') + 0.5 AS INTEGER) - 2440588) END,
    CASE WHEN d.finished_at IS NOT NULL THEN (CAST(julianday(d.finished_at, '+7 hours') + 0.5 AS INTEGER) - 2440588) END,
    d.paused_seconds, d.digitised,
    CASE WHEN NOT d.rating_satisfied THEN (CAST(strftime('%s', d.rated_at) AS INTEGER) * 1000000 + CAST(substr(d.rated_at, 21, 6) AS INTEGER)) END,
    CASE WHEN d.appointment_at IS NULL THEN d.mode END,
    CASE WHEN d.appointment_at IS NULL THEN (SELECT MAX((CAST(strftime('%s', e.at) AS INTEGER) * 1000000 + CAST(substr(e.at, 21, 6) AS INTEGER))) FROM events e WHERE e.dossier_code = d.code AND e.kind = 'supplement_requested') END,
    CASE WHEN d.appointment_at IS NULL THEN (SELECT MAX((CAST(strftime('%s', e.at) AS INTEGER) * 1000000 + CAST(substr(e.at, 21, 6) AS INTEGER))) FROM events e WHERE e.dossier_code = d.code AND e.kind = 'supplemented') END
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
SELECT (CAST(julianday(e.at, '+7 hours') + 0.5 AS INTEGER) - 2440588), COALESCE(d.agency, ''), COALESCE(d.procedure_code, ''), COALESCE(d.procedure_version, ''),
    e.timeliness, COUNT(*)
FROM events e LEFT JOIN dossiers d ON d.code = e.dossier_code
WHERE e.kind = 'acted' AND e.due_at IS NOT NULL AND e.timeliness IN ('early', 'on_time', 'late')
GROUP BY 1, 2, 3, 4, 5;

DROP INDEX dossiers_report;

-- +goose Down
DROP TABLE report_step_days;
DROP TABLE report_facts;
CREATE INDEX dossiers_report ON dossiers (
    received_at, status, agency, procedure_code, procedure_version, mode, channel,
    accepted_at, appointment_at, extended, paused, paused_since, paused_seconds, supplements,
    fees_due, paid_online, finished_at, returned_at, result_refusal, result_is_document,
    e_result, digitised, reused_components, rating_satisfied, rated_at, code
);
