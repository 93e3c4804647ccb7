package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/motcua/motcua/internal/dossier"
)

// Retention: once a dossier has ended long enough ago, the read model
// keeps its figures (report_facts, report_step_days and the dossier's
// statuses and times, which the indicators and the analytics read) but no
// longer the citizen's personal data: the applicant's identity number and
// name, the components' file names, the rating's comment, the notes the
// applicant wrote (supplements, withdrawal, rating), the applicant's id on
// the timeline and the content of complaints. Officers' names and actions
// stay: they are the record of the administration's work. The audit log is
// not touched: it is the record of who did what.
//
// An anonymised dossier is no longer the applicant's in the API: a
// citizen does not find it among their dossiers.

// ErrRetentionTooShort is returned for a cut-off later than the retention
// floor allows.
var ErrRetentionTooShort = errors.New("retention: the cut-off must leave finished dossiers at least a year")

// AnonymizeCounts says what AnonymizeEnded changed.
type AnonymizeCounts struct {
	Dossiers   int64 `json:"dossiers"`
	Events     int64 `json:"events"`
	Complaints int64 `json:"complaints"`
}

// endedBefore selects the dossiers that ended before a time and are not
// anonymised yet: finished (9, 10, the stop of 8) or refused at reception.
const endedBefore = `SELECT code FROM dossiers WHERE applicant_id <> '' AND status IN (3, 8, 9, 10)
	AND COALESCE(returned_at, finished_at, received_at) < ?`

// AnonymizeEnded removes the personal data of the dossiers that ended
// before the cut-off (their result returned, or stopped, or refused), in
// one transaction. With dryRun it only counts them. now guards against a
// mistaken cut-off: it must be at least a year before now.
func (s *Store) AnonymizeEnded(ctx context.Context, cutoff, now time.Time, dryRun bool) (AnonymizeCounts, error) {
	var c AnonymizeCounts
	if cutoff.After(now.AddDate(-1, 0, 0)) {
		return c, fmt.Errorf("%w (cut-off %s, now %s)", ErrRetentionTooShort, cutoff.Format(time.DateOnly), now.Format(time.DateOnly))
	}
	tx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return c, fmt.Errorf("retention: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	at := s.at(cutoff)
	if err := tx.GetContext(ctx, &c.Dossiers, s.rebind(`SELECT COUNT(*) FROM (`+endedBefore+`) x`), at); err != nil {
		return c, fmt.Errorf("retention: counting the dossiers: %w", err)
	}
	if dryRun || c.Dossiers == 0 {
		return c, nil
	}
	steps := []struct {
		what string
		sql  string
		n    *int64
	}{
		{"the timelines", `UPDATE events SET actor_id = '', note = CASE WHEN kind IN ('submitted', 'supplemented', 'withdraw_requested', 'rated')
			THEN '' ELSE note END WHERE actor_role = ? AND dossier_code IN (` + endedBefore + `)`, &c.Events},
		{"the complaints", `UPDATE complaints SET content = '' WHERE content <> '' AND dossier_code IN (` + endedBefore + `)`, &c.Complaints},
		{"the dossiers", `UPDATE dossiers SET applicant_id = '', applicant_name = '', rating_comment = '', components = '[]'
			WHERE code IN (` + endedBefore + `)`, nil},
	}
	for _, st := range steps {
		args := []any{at}
		if st.what == "the timelines" {
			args = []any{dossier.RoleApplicant, at}
		}
		res, err := tx.ExecContext(ctx, s.rebind(st.sql), args...)
		if err != nil {
			return c, fmt.Errorf("retention: anonymising %s: %w", st.what, err)
		}
		if st.n != nil {
			if *st.n, err = res.RowsAffected(); err != nil {
				return c, fmt.Errorf("retention: anonymising %s: %w", st.what, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return c, fmt.Errorf("retention: %w", err)
	}
	return c, nil
}
