package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/store"
)

// IdempotencyHeader is the HTTP header a client sends its submission's
// idempotency key in (SubmitRequest.IdempotencyKey).
const IdempotencyHeader = "Idempotency-Key"

// MaxIdempotencyKey is the longest idempotency key, in characters.
const MaxIdempotencyKey = 128

// checkIdempotencyKey returns what is wrong with a key, or "".
func checkIdempotencyKey(key string) string {
	if len(key) > MaxIdempotencyKey {
		return fmt.Sprintf("must be at most %d characters long", MaxIdempotencyKey)
	}
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return "must be printable ASCII without spaces (e.g. a UUID)"
		}
	}
	return ""
}

// submissionCode numbers a new dossier. With an idempotency key, the
// number is recorded under the applicant's key before the workflow
// starts, and a submission sent again with that key gets the number of
// the first attempt: its workflow then either starts now (the first
// attempt failed before starting it) or is found started, and Submit
// answers with it. A key recorded for another procedure is a
// *ValidationError.
func (s *Service) submissionCode(ctx context.Context, plan *definitions.Plan, applicantID, key string, received time.Time) (string, error) {
	if key == "" {
		return s.nextCode(ctx, plan, received)
	}
	claim, err := s.store.SubmissionKeyGet(ctx, applicantID, key)
	if errors.Is(err, store.ErrNotFound) {
		var code string
		if code, err = s.nextCode(ctx, plan, received); err != nil {
			return "", err
		}
		// Of two attempts racing with one key, the first recorded wins
		// and the other's number stays unused.
		claim, err = s.store.SubmissionKeyClaim(ctx, store.SubmissionKey{ApplicantID: applicantID, Key: key,
			Procedure: plan.Code, DossierCode: code, CreatedAt: received})
	}
	if err != nil {
		return "", err
	}
	if claim.Procedure != plan.Code {
		return "", &ValidationError{Problems: []Problem{{Field: "idempotency_key",
			Message: fmt.Sprintf("was used for a submission of procedure %s (dossier %s): send a new key for a new submission",
				claim.Procedure, claim.DossierCode)}}}
	}
	return claim.DossierCode, nil
}
