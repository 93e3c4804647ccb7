package reportquery_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/reportquery"
)

func vn(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, dossier.Vietnam)
}

func TestPeriod(t *testing.T) {
	t.Parallel()
	// 23:30 UTC on 14 May is already 15 May in Vietnam.
	now := time.Date(2025, 5, 14, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		from, to string
		first    time.Time
		end      time.Time
	}{
		{"", "", vn(2025, 1, 1, 0), vn(2025, 5, 16, 0)},
		{"2025-03-01", "2025-03-31", vn(2025, 3, 1, 0), vn(2025, 4, 1, 0)},
		{"2025-03-01", "2025-03-01", vn(2025, 3, 1, 0), vn(2025, 3, 2, 0)},
		{"2024-12-01", "", vn(2024, 12, 1, 0), vn(2025, 5, 16, 0)},
	} {
		first, end, err := reportquery.Period(tc.from, tc.to, now)
		require.NoError(t, err, "%s %s", tc.from, tc.to)
		require.True(t, tc.first.Equal(first), "%s: %s", tc.from, first)
		require.True(t, tc.end.Equal(end), "%s: %s", tc.to, end)
	}
}

func TestDays(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to   string
		first, end time.Time
	}{
		{"", "", time.Time{}, time.Time{}},
		{"2025-03-01", "", vn(2025, 3, 1, 0), time.Time{}},
		{"", "2025-03-31", time.Time{}, vn(2025, 4, 1, 0)},
		{"2025-03-01", "2025-03-01", vn(2025, 3, 1, 0), vn(2025, 3, 2, 0)},
		// Without defaults, a period in a past year is no error.
		{"", "2020-01-31", time.Time{}, vn(2020, 2, 1, 0)},
	} {
		first, end, err := reportquery.Days(tc.from, tc.to)
		require.NoError(t, err, "%s %s", tc.from, tc.to)
		require.True(t, tc.first.Equal(first), "%q: %s", tc.from, first)
		require.True(t, tc.end.Equal(end), "%q: %s", tc.to, end)
	}
	_, _, err := reportquery.Days("2025-04-01", "2025-03-31")
	var e *reportquery.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "to", e.Param)
	require.EqualError(t, err, "to 2025-03-31 is before from 2025-04-01")
	_, _, err = reportquery.Days("", "2025-02-30")
	require.ErrorAs(t, err, &e)
	require.Equal(t, "to", e.Param)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	now := vn(2025, 5, 15, 9)
	for _, tc := range []struct {
		q           reportquery.Query
		param, msg  string
		flagMessage string
	}{
		{reportquery.Query{From: "2025/03/01"}, "from", `from "2025/03/01": write YYYY-MM-DD, e.g. 2025-01-01`,
			`--from "2025/03/01": write YYYY-MM-DD, e.g. 2025-01-01`},
		{reportquery.Query{To: "31-03-2025"}, "to", `to "31-03-2025": write YYYY-MM-DD, e.g. 2025-12-31`,
			`--to "31-03-2025": write YYYY-MM-DD, e.g. 2025-12-31`},
		{reportquery.Query{From: "2025-04-01", To: "2025-03-31"}, "to", "to 2025-03-31 is before from 2025-04-01",
			"--to 2025-03-31 is before --from 2025-04-01"},
		{reportquery.Query{By: "week", From: "nonsense"}, "by", `unknown by "week" (use one of month, agency, procedure, version)`,
			`unknown --by "week" (use one of month, agency, procedure, version)`},
	} {
		_, err := tc.q.Params(now)
		var e *reportquery.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, tc.param, e.Param)
		require.EqualError(t, err, tc.msg)
		require.Equal(t, tc.flagMessage, e.Flag())
		require.True(t, errors.Is(err, indicators.ErrInvalid))
	}
}

func TestParamsAndValues(t *testing.T) {
	t.Parallel()
	now := vn(2025, 5, 15, 9)
	v := url.Values{"from": {"2025-02-01"}, "to": {"2025-03-31"}, "agency": {" ubnd_xa "}, "procedure": {"1.001193"},
		"sector": {"Hộ tịch"}, "by": {"month"}, "kind": {"trend"}}
	q := reportquery.FromValues(v)
	p, err := q.Params(now)
	require.NoError(t, err)
	require.Equal(t, indicators.Params{From: vn(2025, 2, 1, 0), To: vn(2025, 4, 1, 0), Now: now, Agency: "ubnd_xa",
		Procedure: "1.001193", Sector: "Hộ tịch", By: indicators.ByMonth}, p)
	back := q.Values()
	require.Empty(t, back.Get("kind"), "only the report's parameters")
	require.Equal(t, q, reportquery.FromValues(back))
	require.Equal(t, url.Values{"by": {"agency"}}, reportquery.Query{By: "agency"}.Values())
}
