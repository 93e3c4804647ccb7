package indicators_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/store"
)

var (
	catalogOnce sync.Once
	catalog     *definitions.Catalog
	catalogErr  error
)

// testCatalog is the repository's catalog: six procedures, the calendars
// of 2025–2027.
func testCatalog(t testing.TB) *definitions.Catalog {
	t.Helper()
	catalogOnce.Do(func() { catalog, catalogErr = definitions.LoadCatalog("../../definitions") })
	require.NoError(t, catalogErr)
	return catalog
}

// databases returns the read models the tests run on, each holding the
// fixture: SQLite always, PostgreSQL when MOTCUA_TEST_POSTGRES is set.
func databases(t *testing.T) map[string]func(t *testing.T) *store.Store {
	open := func(t *testing.T, dsn string) *store.Store {
		t.Helper()
		ctx := context.Background()
		s, err := store.Open(ctx, dsn)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		require.NoError(t, indicatorstest.Apply(ctx, s))
		return s
	}
	return map[string]func(t *testing.T) *store.Store{
		"SQLite":   func(t *testing.T) *store.Store { return open(t, filepath.Join(t.TempDir(), "read.db")) },
		"Postgres": func(t *testing.T) *store.Store { return open(t, indicatorstest.PostgresDSN(t)) },
	}
}

// march is the report on March 2025, made later.
func march(p indicators.Params) indicators.Params {
	p.From, p.To = indicatorstest.March[0], indicatorstest.March[1]
	p.Now = indicatorstest.VN(4, 15, 9, 0)
	return p
}

// frac is an expected figure: numerator over denominator (-1: a count).
type frac struct{ num, den float64 }

// requireFigures checks figures against expected numerators and
// denominators, and that each value is their quotient.
func requireFigures(t *testing.T, figs []indicators.Figure, want map[string]frac) {
	t.Helper()
	got := map[string]indicators.Figure{}
	for _, f := range figs {
		got[f.ID] = f
	}
	for id, w := range want {
		f, ok := got[id]
		require.True(t, ok, "figure %s is missing", id)
		require.InDelta(t, w.num, f.Numerator, 1e-9, "numerator of %s", id)
		if w.den < 0 {
			require.Nil(t, f.Denominator, "%s is a count", id)
			require.NotNil(t, f.Value)
			require.InDelta(t, w.num, *f.Value, 1e-9, "value of %s", id)
			continue
		}
		require.NotNil(t, f.Denominator, "denominator of %s", id)
		require.EqualValues(t, w.den, *f.Denominator, "denominator of %s", id)
		if w.den == 0 {
			require.Nil(t, f.Value, "value of %s", id)
			continue
		}
		require.NotNil(t, f.Value, "value of %s", id)
		require.InDelta(t, w.num/w.den, *f.Value, 1e-9, "value of %s", id)
	}
}

// marchFigures are the figures of March 2025 over the whole fixture,
// computed by hand from the table of indicatorstest (dossiers A–V).
var marchFigures = map[string]frac{
	// Received in March: all but N (25/02), O (February), P (April) = 20;
	// N, processed on 04/03, is carried over: 21 handled.
	"handled":      {21, -1},
	"received":     {20, -1},
	"carried_over": {1, -1},
	// Channels: online A D E F H I K Q R S U V, in person B E2 G J L T,
	// by post C M.
	"received_online_share":    {12, 20},
	"received_in_person_share": {6, 20},
	"received_postal_share":    {2, 20},
	// Online with an e-result: A D F K R; E H I Q S U V have none (yet).
	"online_rate": {5, 20},
	// Early: A (05/03 < 06/03), I (26/03 < 27/03), J (07/03 < 10/03),
	// V (waiting on its supplement since 06/03 < 10/03); without appointment
	// G (refused 12/03, the limit of 3 working days gives 17/03) and U (its
	// request of 04/03 < 07/03) = 6.
	"finished_early": {6, 21},
	// On time: B (06/03 16:00 ≤ 17:00), D (17/03 11:00: due 13/03, moved
	// by 16 working hours of supplement to 17/03 17:00), R (same day) = 3.
	"finished_on_time": {3, 21},
	// Late: C (10/03 > 07/03), F (two supplement requests, although before
	// its moved date), K (extended, although before the new date), N
	// (04/03 > 28/02), H (never accepted, stopped 10/03 > 06/03) = 5.
	"finished_late": {5, 21},
	// Within: E (its request of 19/03 < 20/03), L (due 01/04 17:00), Q
	// (processed after the cut, due 02/04), S (submitted 31/03 16:00 after
	// the cut-off: limit 01/04 17:00) = 4.
	"open_within": {4, 21},
	// Overdue: E2 (asked 07/03 > due 06/03), M (due 25/03) = 2.
	"open_overdue": {2, 21},
	// T: its procedure is not in the catalog.
	"timeliness_unknown": {1, 21},
	// (6 + 3 + 4) / 21 and (5 + 2) / 21.
	"on_time_rate": {13, 21},
	"late_rate":    {7, 21},
	// Actions with a due time in March: A early and on time, C late, N
	// late, K's consultation early; R's had no due time.
	"step_on_time_rate": {3, 5},
	"steps_early":       {2, 5},
	"steps_on_time":     {1, 5},
	"steps_late":        {2, 5},
	// At the cut: open E E2 L M Q S; B processed; A C D F K N R returned;
	// G T J refused; H I withdrawn; U V stopped.
	"open":            {6, 21},
	"ended_processed": {1, 21},
	"ended_returned":  {7, 21},
	"ended_refused":   {3, 21},
	"ended_withdrawn": {2, 21},
	"ended_stopped":   {2, 21},
	// Processed in March: A 2, B 3, C 4, D 5, F 5, J 2, K 7, N 5, R 0
	// working days = 33, less the 32 paused working hours of D and F = 4
	// days: 29 over 9.
	"avg_handling_days": {29, 9},
	// Fees due: A B C D F K Q; paid online A D F K.
	"online_payment_rate": {4, 7},
	// Results (not J's refusal): A B C D F K N R; electronic A D F K R;
	// digitised with an e-result A D F R.
	"e_result_rate":     {5, 8},
	"digitisation_rate": {4, 8},
	// Re-used components: A R.
	"reuse_rate": {2, 20},
	// Rated dissatisfied: C.
	"dissatisfied_rate": {1, 21},
	// Complaints before the cut: C (twice), L; Q's of 05/04 is after it.
	"complaint_rate": {2, 21},
	// Late 5 + 2; dissatisfied or complained about: C (both, once) and L.
	// 21 - 5 - 2 - 2.
	"satisfaction_rate": {12, 21},
	// Received and synced before the cut: all but E2 and M (refused by the
	// portal), S (synced on 01/04, after the cut) and T (not integrated).
	"sync_rate": {16, 20},
}

// catalogFigures are the catalog figures of March over the six procedures
// of the repository: all online (9.000002 partially), five full-online;
// 1.001193 and 1.001612 received dossiers online, both full-online; four
// charge fees, all payable online.
var catalogFigures = map[string]frac{
	"procedures":                    {6, -1},
	"procedures_online":             {6, 6},
	"procedures_full_online":        {5, 6},
	"procedures_partial_online":     {1, 6},
	"online_services_used":          {2, 6},
	"full_online_share_used":        {2, 2},
	"fee_procedures_payable_online": {4, 4},
}

func TestMarch(t *testing.T) {
	t.Parallel()
	for name, setup := range databases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			r, err := indicators.Compute(context.Background(), s, testCatalog(t), march(indicators.Params{}))
			require.NoError(t, err)
			require.Equal(t, indicatorstest.VN(4, 1, 0, 0), r.AsOf)
			require.Len(t, r.Groups, 1)
			g := r.Groups[0]
			require.Equal(t, "", g.Key)
			require.Equal(t, "Toàn bộ", g.Name)
			requireFigures(t, g.Figures, marchFigures)
			requireFigures(t, r.Catalog, catalogFigures)

			for _, f := range g.Figures {
				require.Empty(t, f.Missing, f.ID)
				require.Empty(t, f.Note, f.ID)
			}
			require.Equal(t, []string{
				"timeliness_unknown: 1 dossier(s) without appointment date not judged, procedure X.999999 is not in the catalog: T",
			}, r.Notes)
		})
	}
}

// TestEveryFigureHasItsParts checks what an auditor relies on: each
// figure has a name, a formula and a unit, and a value exactly when it has
// its parts.
func TestEveryFigureHasItsParts(t *testing.T) {
	t.Parallel()
	s := databases(t)["SQLite"](t)
	r, err := indicators.Compute(context.Background(), s, testCatalog(t), march(indicators.Params{By: indicators.ByAgency}))
	require.NoError(t, err)
	for _, figs := range [][]indicators.Figure{r.Groups[0].Figures, r.Catalog} {
		for _, f := range figs {
			require.NotEmpty(t, f.Name, f.ID)
			require.True(t, strings.HasPrefix(f.Formula, f.ID+" = "), "formula of %s: %s", f.ID, f.Formula)
			require.NotContains(t, f.Formula, "\n")
			switch {
			case f.Missing != "":
				require.Nil(t, f.Value, f.ID)
			case f.Unit == indicators.UnitCount:
				require.Nil(t, f.Denominator, f.ID)
			default:
				require.NotNil(t, f.Denominator, f.ID)
				require.Equal(t, *f.Denominator > 0, f.Value != nil, f.ID)
			}
		}
	}
	// The timeliness classes and the states at the cut each add up to the
	// dossiers handled.
	for _, g := range r.Groups {
		h := g.Figure("handled").Numerator
		sum := 0.0
		for _, id := range []string{"finished_early", "finished_on_time", "finished_late", "open_within", "open_overdue", "timeliness_unknown"} {
			sum += g.Figure(id).Numerator
		}
		require.Equal(t, h, sum, g.Key)
		sum = 0
		for _, id := range []string{"open", "ended_processed", "ended_returned", "ended_refused", "ended_withdrawn", "ended_stopped"} {
			sum += g.Figure(id).Numerator
		}
		require.Equal(t, h, sum, g.Key)
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	s := databases(t)["SQLite"](t)
	ctx := context.Background()
	cat := testCatalog(t)

	r, err := indicators.Compute(ctx, s, cat, march(indicators.Params{By: indicators.ByAgency}))
	require.NoError(t, err)
	var keys, names []string
	for _, g := range r.Groups {
		keys, names = append(keys, g.Key), append(names, g.Name)
	}
	require.Equal(t, []string{"phong_kinh_te", "so_cu", "ubnd_xa"}, keys)
	require.Equal(t, "so_cu", names[1], "an agency the catalog does not know keeps its id")
	// UBND xã: R on time, S within time, both received online, R with an
	// e-result; R's same-day handling took 0 working days.
	requireFigures(t, r.Groups[2].Figures, map[string]frac{
		"handled": {2, -1}, "on_time_rate": {2, 2}, "finished_on_time": {1, 2}, "open_within": {1, 2},
		"online_rate": {1, 2}, "avg_handling_days": {0, 1}, "online_payment_rate": {0, 0}, "reuse_rate": {1, 2},
	})

	r, err = indicators.Compute(ctx, s, cat, march(indicators.Params{By: indicators.ByVersion}))
	require.NoError(t, err)
	require.Equal(t, "1.001612@2025.1", r.Groups[1].Key)
	require.Equal(t, "Đăng ký thành lập hộ kinh doanh — phiên bản 2025.1", r.Groups[1].Name)
	// C (late) and N (carried over, late); processed in 4 and 5 working days.
	requireFigures(t, r.Groups[1].Figures, map[string]frac{
		"handled": {2, -1}, "received": {1, -1}, "late_rate": {2, 2}, "avg_handling_days": {9, 2}, "steps_late": {2, 2},
	})

	// The sector Hộ tịch holds 1.001193 and 9.000003: R and S.
	r, err = indicators.Compute(ctx, s, cat, march(indicators.Params{Sector: "Hộ tịch", By: indicators.ByProcedure}))
	require.NoError(t, err)
	require.Len(t, r.Groups, 1)
	require.Equal(t, "1.001193", r.Groups[0].Key)
	require.Equal(t, "Đăng ký khai sinh", r.Groups[0].Name)
	requireFigures(t, r.Catalog, map[string]frac{
		"procedures": {2, -1}, "procedures_full_online": {2, 2}, "online_services_used": {1, 2},
		"fee_procedures_payable_online": {0, 0},
	})

	r, err = indicators.Compute(ctx, s, cat, march(indicators.Params{Agency: "ubnd_xa", Procedure: "9.000001"}))
	require.NoError(t, err)
	require.Empty(t, r.Groups, "no dossier")
	requireFigures(t, r.Catalog, map[string]frac{"procedures": {1, -1}, "online_services_used": {0, 1}})
}

// TestByMonth checks that each month of a report by month has the figures
// of a report on that month alone, and that the last month stops at the
// time of the report.
func TestByMonth(t *testing.T) {
	t.Parallel()
	s := databases(t)["SQLite"](t)
	ctx := context.Background()
	cat := testCatalog(t)
	p := indicators.Params{From: indicatorstest.February[0], To: indicatorstest.VN(5, 1, 0, 0), Now: indicatorstest.VN(4, 2, 12, 0),
		By: indicators.ByMonth}
	r, err := indicators.Compute(ctx, s, cat, p)
	require.NoError(t, err)
	require.Len(t, r.Groups, 3)
	require.Equal(t, []string{"2025-02", "2025-03", "2025-04"}, []string{r.Groups[0].Key, r.Groups[1].Key, r.Groups[2].Key})
	require.Equal(t, "Tháng 03/2025", r.Groups[1].Name)
	require.Equal(t, indicatorstest.VN(4, 2, 12, 0), r.Groups[2].To)
	require.Equal(t, indicatorstest.VN(4, 2, 12, 0), r.AsOf)
	for _, g := range r.Groups {
		alone, err := indicators.Compute(ctx, s, cat, indicators.Params{From: g.From, To: g.To, Now: p.Now})
		require.NoError(t, err)
		require.Equal(t, alone.Groups[0].Figures, g.Figures, g.Key)
	}
	// February: O early; N open at the cut (01/03) and past its appointment
	// (28/02 17:00). O processed in 2 working days (10/02 → 12/02).
	requireFigures(t, r.Groups[0].Figures, map[string]frac{
		"handled": {2, -1}, "on_time_rate": {1, 2}, "open_overdue": {1, 2}, "avg_handling_days": {2, 1},
		"step_on_time_rate": {2, 2},
	})
}

// TestHandlingAcrossDaysOff counts working days over the 2025 calendar:
// 30/04, 01/05 and 02/05 off, Saturday 26/04 worked.
func TestHandlingAcrossDaysOff(t *testing.T) {
	t.Parallel()
	s := databases(t)["SQLite"](t)
	ctx := context.Background()
	month := func(m time.Month) indicators.Params {
		return indicators.Params{From: indicatorstest.VN(m, 1, 0, 0), To: indicatorstest.VN(m+1, 1, 0, 0), Now: indicatorstest.VN(7, 1, 0, 0)}
	}
	// April: X 25/04 → 28/04 (26/04 worked) 2 days, Q 28/03 → 03/04 4 days.
	r, err := indicators.Compute(ctx, s, testCatalog(t), month(time.April))
	require.NoError(t, err)
	requireFigures(t, r.Groups[0].Figures, map[string]frac{"avg_handling_days": {6, 2}})
	// May: W 28/04 → 06/05: 29/04, 05/05, 06/05.
	r, err = indicators.Compute(ctx, s, testCatalog(t), month(time.May))
	require.NoError(t, err)
	requireFigures(t, r.Groups[0].Figures, map[string]frac{"avg_handling_days": {3, 1}})
}

// TestSameOnBothDatabases checks that SQLite and PostgreSQL give the same
// JSON for the same read model.
func TestSameOnBothDatabases(t *testing.T) {
	t.Parallel()
	dbs := databases(t)
	sqlite, pg := dbs["SQLite"](t), dbs["Postgres"](t)
	ctx := context.Background()
	cat := testCatalog(t)
	for _, p := range []indicators.Params{
		march(indicators.Params{}),
		march(indicators.Params{By: indicators.ByAgency}),
		march(indicators.Params{By: indicators.ByVersion, Agency: "phong_kinh_te"}),
		march(indicators.Params{By: indicators.ByProcedure, Sector: "Hộ tịch"}),
		{From: indicatorstest.February[0], To: indicatorstest.VN(4, 3, 0, 0), Now: indicatorstest.VN(4, 2, 12, 0), By: indicators.ByMonth},
	} {
		a, err := indicators.Compute(ctx, sqlite, cat, p)
		require.NoError(t, err)
		b, err := indicators.Compute(ctx, pg, cat, p)
		require.NoError(t, err)
		ja, err := json.MarshalIndent(a, "", " ")
		require.NoError(t, err)
		jb, err := json.MarshalIndent(b, "", " ")
		require.NoError(t, err)
		require.Equal(t, string(ja), string(jb), "by %q", p.By)
	}
}

func TestInvalidParams(t *testing.T) {
	t.Parallel()
	s := databases(t)["SQLite"](t)
	ctx := context.Background()
	cat := testCatalog(t)
	for _, tc := range []struct {
		p    indicators.Params
		want string
	}{
		{indicators.Params{}, "invalid report parameters: a report needs the start and the end of its period"},
		{march(indicators.Params{By: "week"}), `invalid report parameters: unknown grouping "week" (use month, agency, procedure or version)`},
		{indicators.Params{From: indicatorstest.March[1], To: indicatorstest.March[0]},
			"invalid report parameters: the period is empty: it starts at 2025-04-01 00:00 and ends at 2025-03-01 00:00"},
		{indicators.Params{From: indicatorstest.March[0], To: indicatorstest.March[1], Now: indicatorstest.VN(2, 1, 8, 0)},
			"invalid report parameters: the period starts at 2025-03-01 00:00, after the time of the report 2025-02-01 08:00"},
		{march(indicators.Params{Sector: "Hộ tich"}),
			`invalid report parameters: no procedure of the catalog is in sector "Hộ tich" (its sectors: Hoạt động xây dựng, Hộ tịch, Lý lịch tư pháp, Thành lập và hoạt động của hộ kinh doanh, Đất đai)`},
		{march(indicators.Params{Sector: "Hộ tịch", Procedure: "1.001612"}),
			`invalid report parameters: procedure 1.001612 is not in sector "Hộ tịch"`},
	} {
		_, err := indicators.Compute(ctx, s, cat, tc.p)
		require.EqualError(t, err, tc.want)
		require.True(t, errors.Is(err, indicators.ErrInvalid))
	}
}

// TestWithoutCalendar: with no working calendar, the dossiers without an
// appointment date cannot be judged and the average handling time cannot
// be counted; the rest stands.
func TestWithoutCalendar(t *testing.T) {
	t.Parallel()
	s := databases(t)["SQLite"](t)
	var nothing definitions.LintResult
	empty := nothing.Catalog()
	r, err := indicators.Compute(context.Background(), s, empty, march(indicators.Params{}))
	require.NoError(t, err)
	g := r.Groups[0]
	// G H S T U are unknown; without a catalog nothing more is late, and
	// the scheduled ones are judged as before.
	requireFigures(t, g.Figures, map[string]frac{
		"timeliness_unknown": {5, 21}, "finished_early": {4, 21}, "finished_late": {4, 21}, "open_within": {3, 21},
		"on_time_rate": {10, 21},
	})
	avg := g.Figure("avg_handling_days")
	require.Nil(t, avg.Value)
	require.Equal(t, "no working calendar: workcal: no calendar given: add at least one definitions/calendars/<year>.yaml", avg.Missing)
	requireFigures(t, r.Catalog, map[string]frac{"procedures": {0, -1}, "procedures_online": {0, 0}})
}

// TestProvinceCatalogFigures reproduces the figures Tây Ninh publishes:
// 1,622 procedures offered online, 324 of them with dossiers (19.97 %),
// 83.02 % of those full-online (269 of 324).
func TestProvinceCatalogFigures(t *testing.T) {
	t.Parallel()
	plans := make([]*definitions.Plan, 0, 1622)
	used := map[string]bool{}
	online := func(modes ...string) []definitions.ModePlan {
		var out []definitions.ModePlan
		for _, m := range modes {
			out = append(out, definitions.ModePlan{Mode: m, Channels: []string{"online", "in_person"}})
		}
		return out
	}
	for i := range 1622 {
		code := fmt.Sprintf("1.%06d", i)
		p := &definitions.Plan{Code: code}
		switch {
		case i < 269: // used, full-online
			p.Modes = online(definitions.ModeFullOnline, definitions.ModePartialOnline)
			used[code] = true
		case i < 324: // used, partial-online only
			p.Modes = online(definitions.ModePartialOnline)
			used[code] = true
		case i < 1000:
			p.Modes = online(definitions.ModeFullOnline)
		default:
			p.Modes = online(definitions.ModePartialOnline)
		}
		plans = append(plans, p)
	}
	figs := indicators.CatalogFigures(plans, used)
	requireFigures(t, figs, map[string]frac{
		"procedures": {1622, -1}, "procedures_online": {1622, 1622},
		"online_services_used": {324, 1622}, "full_online_share_used": {269, 324},
	})
	pct := func(id string) string {
		for _, f := range figs {
			if f.ID == id {
				p, ok := f.Percent()
				require.True(t, ok)
				return p
			}
		}
		return ""
	}
	// Truncated, as the province publishes them: 324/1622 is 19.9753…%.
	require.Equal(t, "19,97%", pct("online_services_used"))
	require.Equal(t, "83,02%", pct("full_online_share_used"))
}

func TestPercent(t *testing.T) {
	t.Parallel()
	f := func(num float64, den int, unit indicators.Unit) indicators.Figure {
		v := num / float64(den)
		return indicators.Figure{Numerator: num, Denominator: &den, Value: &v, Unit: unit}
	}
	for _, tc := range []struct {
		fig  indicators.Figure
		want string
	}{
		{f(29, 100, indicators.UnitRatio), "29,00%"}, // 0.29 * 10000 is 2899.99… in floating point
		{f(2, 3, indicators.UnitRatio), "66,66%"},
		{f(1, 1, indicators.UnitRatio), "100,00%"},
		{f(0, 7, indicators.UnitRatio), "0,00%"},
		{f(-1, 3, indicators.UnitRatio), "-33,33%"},
	} {
		got, ok := tc.fig.Percent()
		require.True(t, ok)
		require.Equal(t, tc.want, got)
	}
	_, ok := f(29, 9, indicators.UnitWorkingDays).Percent()
	require.False(t, ok)
	zero := 0
	_, ok = indicators.Figure{Unit: indicators.UnitRatio, Denominator: &zero}.Percent()
	require.False(t, ok)
}
