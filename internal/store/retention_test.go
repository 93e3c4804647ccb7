package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/store"
)

// TestAnonymizeEnded removes the personal data of the fixture's dossiers
// that ended before April 2025, and the indicators do not change.
func TestAnonymizeEnded(t *testing.T) {
	t.Parallel()
	t.Run("SQLite", func(t *testing.T) { t.Parallel(); testAnonymizeEnded(t, filepath.Join(t.TempDir(), "read.db")) })
	t.Run("Postgres", func(t *testing.T) { t.Parallel(); testAnonymizeEnded(t, indicatorstest.PostgresDSN(t)) })
}

func testAnonymizeEnded(t *testing.T, dsn string) {
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, indicatorstest.Apply(ctx, s))
	march := store.ReportParams{Periods: []store.ReportPeriod{{From: indicatorstest.March[0], To: indicatorstest.March[1]}}}
	before, err := s.ReportAll(ctx, march)
	require.NoError(t, err)
	cutoff := indicatorstest.VN(4, 1, 0, 0)
	now := cutoff.AddDate(1, 2, 0)

	_, err = s.AnonymizeEnded(ctx, cutoff, cutoff.AddDate(0, 6, 0), false)
	require.True(t, errors.Is(err, store.ErrRetentionTooShort), "%v", err)

	dry, err := s.AnonymizeEnded(ctx, cutoff, now, true)
	require.NoError(t, err)
	require.Positive(t, dry.Dossiers)
	a, err := s.DossierGet(ctx, "A")
	require.NoError(t, err)
	require.NotEmpty(t, a.Applicant.ID, "a dry run changes nothing")

	done, err := s.AnonymizeEnded(ctx, cutoff, now, false)
	require.NoError(t, err)
	require.Equal(t, dry.Dossiers, done.Dossiers)
	require.Positive(t, done.Events)
	a, err = s.DossierGet(ctx, "A") // returned 05/03
	require.NoError(t, err)
	require.Empty(t, a.Applicant.ID)
	require.Empty(t, a.Applicant.Name)
	require.Empty(t, a.Components)
	for _, e := range a.Timeline {
		if e.Actor.Role == dossier.RoleApplicant {
			require.Empty(t, e.Actor.ID, "event %d %s", e.Seq, e.Kind)
		}
	}
	l, err := s.DossierGet(ctx, "L") // still in processing
	require.NoError(t, err)
	require.NotEmpty(t, l.Applicant.ID, "an open dossier keeps its applicant")

	after, err := s.ReportAll(ctx, march)
	require.NoError(t, err)
	require.Equal(t, before, after, "the indicators do not change")
	again, err := s.AnonymizeEnded(ctx, cutoff, now, false)
	require.NoError(t, err)
	require.Zero(t, again.Dossiers, "nothing left to anonymise")
}
