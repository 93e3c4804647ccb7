package analysisquery_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/analysis"
	"github.com/motcua/motcua/internal/analysis/analysistest"
	"github.com/motcua/motcua/internal/analysisquery"
	"github.com/motcua/motcua/internal/store"
)

var now = analysistest.VN(5, 15, 9, 0)

func TestParams(t *testing.T) {
	t.Parallel()
	v := url.Values{"from": {"2025-03-01"}, "to": {" 2025-03-31 "}, "before": {"2025.1"}, "after": {"2025.2"}, "format": {"png"}}
	q := analysisquery.FromValues(v)
	require.Equal(t, analysisquery.Query{From: "2025-03-01", To: "2025-03-31", Before: "2025.1", After: "2025.2"}, q)
	p, err := q.Params("9.000001", now)
	require.NoError(t, err)
	require.Equal(t, analysis.Params{Procedure: "9.000001", Now: now, From: analysistest.VN(3, 1, 0, 0), To: analysistest.VN(4, 1, 0, 0),
		Before: "2025.1", After: "2025.2"}, p)
	back := q.Values()
	require.Empty(t, back.Get("format"), "only the analysis's parameters")
	require.Equal(t, q, analysisquery.FromValues(back))

	// No dates: the analysis's defaults (zero), not a report's.
	p, err = analysisquery.Query{}.Params("9.000001", now)
	require.NoError(t, err)
	require.True(t, p.From.IsZero())
	require.True(t, p.To.IsZero())
	p, err = analysisquery.Query{To: "2024-12-31"}.Params("9.000001", now)
	require.NoError(t, err, "a last day in an earlier year needs no first day")
	require.Equal(t, time.Date(2025, 1, 1, 0, 0, 0, 0, p.To.Location()), p.To)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		q          analysisquery.Query
		param, msg string
	}{
		{analysisquery.Query{From: "2025/03/01"}, "from", `from "2025/03/01": write YYYY-MM-DD, e.g. 2025-01-01`},
		{analysisquery.Query{To: "31-03-2025"}, "to", `to "31-03-2025": write YYYY-MM-DD, e.g. 2025-12-31`},
		{analysisquery.Query{From: "2025-04-01", To: "2025-03-31"}, "to", "to 2025-03-31 is before from 2025-04-01"},
		{analysisquery.Query{Before: "2025.1"}, "after", `give the version after too, or neither (before "2025.1")`},
		{analysisquery.Query{After: "2025.2"}, "before", `give the version before too, or neither (after "2025.2")`},
		{analysisquery.Query{Before: "2025.2", After: "2025.2"}, "after", `compare two different versions (before and after are both "2025.2")`},
	} {
		_, err := tc.q.Params("9.000001", now)
		var e *analysisquery.Error
		require.ErrorAs(t, err, &e, "%+v", tc.q)
		require.Equal(t, tc.param, e.Param, "%+v", tc.q)
		require.EqualError(t, err, tc.msg)
		require.ErrorIs(t, err, analysis.ErrInvalid)
	}
}

// TestBlame checks that the versions analysis.Analyze refuses are blamed
// on their parameter, through analysis.VersionError.
func TestBlame(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "read.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, analysistest.Apply(ctx, st))
	cat, err := definitions.LoadCatalog("../../definitions")
	require.NoError(t, err)

	for _, tc := range []struct {
		before, after, param string
	}{
		{"2024.1", "2025.2", "before"},
		{"2025.1", "2099.9", "after"},
		{"2024.1", "2099.9", "before"},
	} {
		p, err := analysisquery.Query{To: "2025-03-31", Before: tc.before, After: tc.after}.Params(analysistest.Procedure, now)
		require.NoError(t, err)
		_, err = analysis.Analyze(ctx, st, cat, p)
		require.ErrorIs(t, err, analysis.ErrInvalid)
		blamed := analysisquery.Blame(err)
		var e *analysisquery.Error
		require.ErrorAs(t, blamed, &e, "%v", err)
		require.Equal(t, tc.param, e.Param, "%v", err)
		require.Equal(t, err.Error(), blamed.Error(), "the analysis's message")
		require.ErrorIs(t, blamed, analysis.ErrInvalid)
	}

	// Other errors are left alone.
	p := analysis.Params{Procedure: "1.001193", Before: "2025.1", After: "2025.2"}
	_, err = analysis.Analyze(ctx, st, cat, p)
	require.ErrorIs(t, err, analysis.ErrNoDossiers)
	require.Same(t, err, analysisquery.Blame(err))
	other := errors.New("boom")
	require.Same(t, other, analysisquery.Blame(other))
}
