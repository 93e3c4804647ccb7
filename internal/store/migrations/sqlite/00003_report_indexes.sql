-- Indexes for the indicators (internal/store/report.go, motcua report).
-- No column is added: every figure is computed from columns of 00001.
--
-- SQLite flavour. A report reads most dossiers of its period, so the
-- dossiers are read through dossiers_report, a covering index holding every
-- column the report queries read: a fraction of the table (no names,
-- components, result hashes), ordered by received_at so a short period
-- reads only the dossiers received before its end.

-- +goose Up
CREATE INDEX dossiers_report ON dossiers (
    received_at, status, agency, procedure_code, procedure_version, mode, channel,
    accepted_at, appointment_at, extended, paused, paused_since, paused_seconds, supplements,
    fees_due, paid_online, finished_at, returned_at, result_refusal, result_is_document,
    e_result, digitised, reused_components, rating_satisfied, rated_at, code
);
-- Dossiers that never got an appointment date (refused at reception, withdrawn
-- or stopped before acceptance, not yet checked): judged by the legal time limit.
CREATE INDEX dossiers_unscheduled ON dossiers (received_at) WHERE appointment_at IS NULL;
-- Dossiers per procedure received in a period, read from the index alone:
-- dossiers_procedure_received of 00001 with the channel.
DROP INDEX dossiers_procedure_received;
CREATE INDEX dossiers_procedure_received ON dossiers (procedure_code, received_at, channel);
-- The officers' actions: per-step timeliness, counted by ranges of
-- (timeliness, at). A partial index on kind = 'acted' covers the queries,
-- which name the kind; due_at and dossier_code are there to be read.
CREATE INDEX events_acted ON events (timeliness, at, due_at, dossier_code) WHERE kind = 'acted';
-- The few events the report looks up per dossier.
CREATE INDEX events_refused ON events (dossier_code, at) WHERE kind = 'refused';
CREATE INDEX events_withdraw_requested ON events (dossier_code) WHERE kind = 'withdraw_requested';
CREATE INDEX events_supplement_requested ON events (dossier_code, at) WHERE kind = 'supplement_requested';
CREATE INDEX events_supplemented ON events (dossier_code, at) WHERE kind = 'supplemented';

-- +goose Down
DROP INDEX events_supplemented;
DROP INDEX events_supplement_requested;
DROP INDEX events_withdraw_requested;
DROP INDEX events_refused;
DROP INDEX events_acted;
DROP INDEX dossiers_procedure_received;
CREATE INDEX dossiers_procedure_received ON dossiers (procedure_code, received_at);
DROP INDEX dossiers_unscheduled;
DROP INDEX dossiers_report;
