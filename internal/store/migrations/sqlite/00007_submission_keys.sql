-- Idempotency keys of submissions: a client that sends a submission again
-- with the same key (its answer was lost: a timeout, a node restarted)
-- gets the dossier of the first attempt instead of a second dossier.
-- SQLite flavour.
--
--   applicant_id     whose submission: keys are the applicant's own
--   idempotency_key  the client's key (Idempotency-Key header)
--   procedure_code   what it submitted: the key cannot name another
--   dossier_code     the code numbered for it, before its workflow starts
--   created_at       when the key was first seen

-- +goose Up
CREATE TABLE submission_keys (
    applicant_id    text NOT NULL,
    idempotency_key text NOT NULL,
    procedure_code  text NOT NULL,
    dossier_code    text NOT NULL,
    created_at      text NOT NULL,
    PRIMARY KEY (applicant_id, idempotency_key)
);

-- +goose Down
DROP TABLE submission_keys;
