package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SubmissionKey is what the read model remembers of a submission sent
// with an idempotency key (migration 00007): the dossier code numbered for
// it, so that the same submission sent again gets the same dossier.
type SubmissionKey struct {
	ApplicantID string
	Key         string
	Procedure   string
	DossierCode string
	CreatedAt   time.Time
}

// SubmissionKeyClaim records that the applicant's submission with key is
// dossier code, unless the key is already recorded; either way it returns
// the record that holds (the earlier one when there is one), so of two
// attempts racing with one key both number the same dossier. Empty or
// invalid text is ErrInvalid.
func (s *Store) SubmissionKeyClaim(ctx context.Context, k SubmissionKey) (SubmissionKey, error) {
	for _, f := range [][2]string{{"applicant id", k.ApplicantID}, {"idempotency key", k.Key},
		{"procedure code", k.Procedure}, {"dossier code", k.DossierCode}} {
		if err := checkText(f[0], f[1]); err != nil {
			return SubmissionKey{}, fmt.Errorf("recording submission key %q: %w", k.Key, err)
		}
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	_, err := s.write.ExecContext(ctx, s.rebind(`INSERT INTO submission_keys
		(applicant_id, idempotency_key, procedure_code, dossier_code, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (applicant_id, idempotency_key) DO NOTHING`),
		k.ApplicantID, k.Key, k.Procedure, k.DossierCode, k.CreatedAt.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return SubmissionKey{}, fmt.Errorf("recording submission key %q: %w", k.Key, err)
	}
	got, err := s.SubmissionKeyGet(ctx, k.ApplicantID, k.Key)
	if err != nil {
		return SubmissionKey{}, fmt.Errorf("recording submission key %q: %w", k.Key, err)
	}
	return got, nil
}

// SubmissionKeyGet returns the record of the applicant's submission key,
// or ErrNotFound.
func (s *Store) SubmissionKeyGet(ctx context.Context, applicantID, key string) (SubmissionKey, error) {
	var row struct {
		Procedure   string `db:"procedure_code"`
		DossierCode string `db:"dossier_code"`
		CreatedAt   string `db:"created_at"`
	}
	err := s.write.GetContext(ctx, &row, s.rebind(`SELECT procedure_code, dossier_code, created_at
		FROM submission_keys WHERE applicant_id = ? AND idempotency_key = ?`), applicantID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return SubmissionKey{}, fmt.Errorf("submission key %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return SubmissionKey{}, fmt.Errorf("reading submission key %q: %w", key, err)
	}
	at, _ := time.Parse(time.RFC3339Nano, row.CreatedAt)
	return SubmissionKey{ApplicantID: applicantID, Key: key, Procedure: row.Procedure, DossierCode: row.DossierCode, CreatedAt: at}, nil
}
