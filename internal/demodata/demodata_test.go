package demodata

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/workcal"
)

// year is a year of the province's dossiers: July 2025 to June 2026.
var (
	yearFrom = vnDate(2025, 7, 1)
	yearTo   = vnDate(2026, 7, 1)
)

// generate collects what Generate yields.
func generate(t testing.TB, opts Options) []Dossier {
	t.Helper()
	cat, cal := catalog(t)
	seq, err := Generate(cat, cal, opts)
	require.NoError(t, err)
	var out []Dossier
	for d, err := range seq {
		require.NoError(t, err)
		out = append(out, d)
	}
	return out
}

// large is the 20,000 dossiers the statistical tests share.
var large = sync.OnceValue(func() []Dossier {
	cat, err := loadCatalog()
	if err != nil {
		panic(err)
	}
	cal, err := workcal.FromCatalog(cat)
	if err != nil {
		panic(err)
	}
	seq, err := Generate(cat, cal, Options{Dossiers: 20000, Seed: 2026, From: yearFrom, To: yearTo})
	if err != nil {
		panic(err)
	}
	var out []Dossier
	for d, err := range seq {
		if err != nil {
			panic(err)
		}
		out = append(out, d)
	}
	return out
})

// digest hashes everything generated.
func digest(t testing.TB, ds []Dossier) string {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, d := range ds {
		require.NoError(t, enc.Encode(d))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	opts := Options{Dossiers: 3000, Seed: 42, From: yearFrom, To: yearTo, Workers: 1}
	one := generate(t, opts)
	require.Len(t, one, 3000)
	opts.Workers = 4
	four := generate(t, opts)
	require.Equal(t, digest(t, one), digest(t, four), "the number of workers changes nothing")
	require.Equal(t, digest(t, one), digest(t, generate(t, opts)), "the same seed gives the same history")
	opts.Seed = 43
	other := generate(t, opts)
	require.NotEqual(t, digest(t, one), digest(t, other), "another seed gives another history")
	require.NotEqual(t, one[0].Projections, other[0].Projections)
}

// TestStopEarly: a consumer that stops leaves nothing running behind.
func TestStopEarly(t *testing.T) {
	t.Parallel()
	cat, cal := catalog(t)
	seq, err := Generate(cat, cal, Options{Dossiers: 50000, Seed: 1, From: yearFrom, To: yearTo, Workers: 3})
	require.NoError(t, err)
	n := 0
	for _, err := range seq {
		require.NoError(t, err)
		if n++; n == 700 {
			break
		}
	}
	require.Equal(t, 700, n)
}

// share returns the share of ds for which ok holds, among those for which
// of holds.
func share(ds []Dossier, of, ok func(d *Dossier) bool) float64 {
	n, k := 0, 0
	for i := range ds {
		if of(&ds[i]) {
			n++
			if ok(&ds[i]) {
				k++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

func all(*Dossier) bool { return true }

func has(kind string) func(d *Dossier) bool {
	return func(d *Dossier) bool {
		return slices.ContainsFunc(d.Projections[0].Events, func(e dossier.Event) bool { return e.Kind == kind })
	}
}

// TestProportions checks the shares of 20,000 dossiers against the
// province's figures and the generator's documented rates.
func TestProportions(t *testing.T) {
	t.Parallel()
	ds := large()
	require.Len(t, ds, 20000)
	processed := func(d *Dossier) bool { return d.State().Timeliness != "" }
	returned := func(d *Dossier) bool { return d.State().Status == dossier.StatusReturned }
	events := 0
	for i := range ds {
		events += ds[i].Events()
	}
	checks := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"events per dossier", float64(events) / float64(len(ds)), 14, 20},
		{"online", share(ds, all, func(d *Dossier) bool { return d.State().Channel == dossier.ChannelOnline }), 0.88, 0.93},
		{"full-online", share(ds, all, func(d *Dossier) bool { return d.State().Mode == definitions.ModeFullOnline }), 0.72, 0.80},
		{"in person", share(ds, all, func(d *Dossier) bool { return d.State().Channel == dossier.ChannelInPerson }), 0.06, 0.10},
		{"postal", share(ds, all, func(d *Dossier) bool { return d.State().Channel == dossier.ChannelPostal }), 0.01, 0.03},
		{"birth registration", share(ds, all, func(d *Dossier) bool { return d.State().ProcedureCode == "1.001193" }), 0.34, 0.39},
		{"construction permit", share(ds, all, func(d *Dossier) bool { return d.State().ProcedureCode == "9.000001" }), 0.02, 0.04},
		{"on time, of the processed", share(ds, processed, func(d *Dossier) bool { return d.State().Timeliness != dossier.Late }), 0.97, 0.995},
		{"extended", share(ds, all, func(d *Dossier) bool { return d.State().Extended }), 0.003, 0.012},
		{"supplement asked", share(ds, all, has(dossier.EventSupplementAsked)), 0.08, 0.12},
		{"supplement during processing", share(ds, all, func(d *Dossier) bool { return d.State().Supplements > 0 }), 0.01, 0.04},
		{"refused at reception", share(ds, all, func(d *Dossier) bool { return d.State().Status == dossier.StatusRefused }), 0.015, 0.035},
		{"refused after review", share(ds, all, func(d *Dossier) bool { r := d.State().Result; return r != nil && r.Refusal }), 0.005, 0.03},
		{"stopped", share(ds, all, func(d *Dossier) bool { return d.State().Status == dossier.StatusStopped }), 0.005, 0.03},
		{"withdrawn", share(ds, all, has(dossier.EventWithdrawRequested)), 0.001, 0.008},
		{"rated, of the returned", share(ds, returned, func(d *Dossier) bool { return d.State().Rating != nil }), 0.57, 0.63},
		{"satisfied, of the rated", share(ds, func(d *Dossier) bool { return d.State().Rating != nil }, func(d *Dossier) bool { return d.State().Rating.Satisfied }), 0.93, 0.98},
		{"paid online, of those who paid", share(ds, has(dossier.EventPaymentRequested), func(d *Dossier) bool { return d.State().PaidOnline }), 0.8, 0.95},
		{"e-result", share(ds, all, func(d *Dossier) bool { return d.Projections[0].Facts.EResult }), 0.55, 0.70},
		{"re-used component", share(ds, all, func(d *Dossier) bool { return d.Projections[0].Facts.ReusedComponents > 0 }), 0.75, 0.95},
		{"submitted on a day off", share(ds, all, func(d *Dossier) bool {
			return d.State().ReceivedAt.In(dossier.Vietnam).Weekday()%6 == 0
		}), 0.01, 0.05},
		// Outside the workflows (outside.go).
		{"synced to the portal", share(ds, all, synced), 0.82, 0.87},
		{"synced, of integrated procedures", share(ds, inPortal, synced), 0.985, 1},
		{"synced, of the others", share(ds, func(d *Dossier) bool { return !inPortal(d) }, synced), 0, 0},
		{"complained about", share(ds, all, complained), 0.005, 0.02},
		{"complained, of the rated dissatisfied", share(ds, dissatisfied, complained), 0.2, 0.4},
		{"complained, of the processed on time and not dissatisfied", share(ds, func(d *Dossier) bool {
			return processed(d) && d.State().Timeliness != dossier.Late && !dissatisfied(d)
		}, complained), 0, 0.006},
	}
	for _, c := range checks {
		t.Logf("%-32s %.4f", c.name, c.got)
		require.GreaterOrEqual(t, c.got, c.min, c.name)
		require.LessOrEqual(t, c.got, c.max, c.name)
	}
	// Satisfaction as the index computes it: 100% − late − dissatisfied
	// or complained about.
	late := share(ds, all, func(d *Dossier) bool { return d.State().Timeliness == dossier.Late })
	unhappy := share(ds, all, func(d *Dossier) bool { return dissatisfied(d) || complained(d) })
	t.Logf("%-32s %.4f", "satisfaction index", 1-late-unhappy)
	require.InDelta(t, 0.93, 1-late-unhappy, 0.04)
}

func synced(d *Dossier) bool       { return !d.PortalSyncedAt.IsZero() }
func complained(d *Dossier) bool   { return len(d.Complaints) > 0 }
func inPortal(d *Dossier) bool     { return integrated(d.State().ProcedureCode) }
func dissatisfied(d *Dossier) bool { r := d.State().Rating; return r != nil && !r.Satisfied }

// TestOutside checks the outside data of every dossier of the large run:
// synced after its submission and within the day the activity retries,
// complaints after it, before the end of the history, with references of
// their own.
func TestOutside(t *testing.T) {
	t.Parallel()
	refs := map[string]bool{}
	quick, twice := 0, 0
	n := 0
	for i := range large() {
		d := &large()[i]
		st := d.State()
		if synced(d) {
			n++
			require.True(t, d.PortalSyncedAt.After(st.ReceivedAt), d.Code)
			require.LessOrEqual(t, d.PortalSyncedAt.Sub(st.ReceivedAt), syncLateMax, d.Code)
			require.False(t, d.PortalSyncedAt.After(yearTo), d.Code)
			if d.PortalSyncedAt.Sub(st.ReceivedAt) <= syncMax {
				quick++
			}
		}
		require.LessOrEqual(t, len(d.Complaints), 2, d.Code)
		if len(d.Complaints) == 2 {
			twice++
			require.True(t, d.Complaints[1].At.After(d.Complaints[0].At), d.Code)
		}
		for j, c := range d.Complaints {
			require.Equal(t, d.Code, c.DossierCode)
			require.Equal(t, fmt.Sprintf("PAKN-%s-%d", d.Code, j+1), c.Reference)
			require.False(t, refs[c.Reference], "reference %s twice", c.Reference)
			refs[c.Reference] = true
			require.True(t, c.At.After(st.ReceivedAt), c.Reference)
			require.False(t, c.At.After(yearTo), c.Reference)
			require.NotEmpty(t, c.Content)
			if st.Rating != nil && !st.Rating.Satisfied && j == 0 {
				require.True(t, c.At.After(st.Rating.At), "%s: a complaint of a dissatisfied citizen follows the rating", c.Reference)
			}
		}
	}
	require.Greater(t, float64(quick)/float64(n), 0.97, "synced within minutes")
	require.Greater(t, twice, 0, "some complain twice")
}

// legal are the status changes the workflow makes between two events of
// a dossier's timeline.
var legal = map[[2]dossier.Status]bool{}

func init() {
	for from, tos := range map[dossier.Status][]dossier.Status{
		dossier.StatusNew:         {1, 2, 3, 5, 7},
		dossier.StatusReceived:    {4, 6, 7, 9},
		dossier.StatusRefused:     {3},
		dossier.StatusProcessing:  {4, 5, 6, 7, 8, 9},
		dossier.StatusSupplement:  {1, 4, 5, 6, 7, 8},
		dossier.StatusAwaitingFee: {4, 6, 7, 8},
		dossier.StatusWithdrawing: {7, 8},
		dossier.StatusStopped:     {},
		dossier.StatusProcessed:   {9, 10},
		dossier.StatusReturned:    {10},
	} {
		for _, to := range tos {
			legal[[2]dossier.Status{from, to}] = true
		}
	}
}

// TestConsistent checks every dossier of the large run on its own.
func TestConsistent(t *testing.T) {
	t.Parallel()
	cat, cal := catalog(t)
	codeRe := regexp.MustCompile(`^([A-Z0-9_.]+)-(\d{6})-(\d{4,})$`)
	next := map[string]int{} // agency and day → next number
	var last time.Time
	for i := range large() {
		d := &large()[i]
		st := d.State()
		plan := cat.Plan(st.ProcedureCode)
		require.NotNil(t, plan)
		where := d.Code

		m := codeRe.FindStringSubmatch(d.Code)
		require.NotNil(t, m, where)
		require.Equal(t, st.ReceivedAt.In(dossier.Vietnam).Format("060102"), m[2], where)
		key := m[1] + " " + m[2]
		next[key]++
		require.Equal(t, fmt.Sprintf("%04d", next[key]), m[3], "%s: numbered in order of submission", where)
		require.False(t, st.ReceivedAt.Before(last), "%s: in order of submission", where)
		last = st.ReceivedAt
		require.False(t, plan.EffectiveFrom.Time().After(st.ReceivedAt), "%s: submitted before its procedure took effect", where)

		open := 0
		for _, p := range d.Projections {
			require.Equal(t, d.Code, p.Code)
			require.Equal(t, len(p.Events), p.Seq, where)
			open += len(p.Tasks)
			for j, e := range p.Events {
				require.Equal(t, j+1, e.Seq, "%s: seqs 1..n", p.WorkflowID)
				if j > 0 {
					require.False(t, e.At.Before(p.Events[j-1].At), "%s #%d: time goes forward", p.WorkflowID, e.Seq)
				}
				require.False(t, e.At.After(yearTo), "%s #%d: after the end of the history", p.WorkflowID, e.Seq)
				if !e.DueAt.IsZero() {
					requireWorkingTime(t, cal, e.DueAt, "%s #%d %s: due time", p.WorkflowID, e.Seq, e.Kind)
				}
				if e.Kind == dossier.EventActed {
					require.Equal(t, dossier.Judge(e.At, e.DueAt), e.Timeliness, "%s #%d", p.WorkflowID, e.Seq)
					requireWorkingTime(t, cal, e.At, "%s #%d: an officer acts in office hours", p.WorkflowID, e.Seq)
				}
			}
			for _, task := range p.Tasks {
				if !task.DueAt.IsZero() {
					requireWorkingTime(t, cal, task.DueAt, "%s task %s: due time", p.WorkflowID, task.ID)
				}
			}
		}

		events := d.Projections[0].Events
		require.Equal(t, dossier.EventSubmitted, events[0].Kind, where)
		require.Equal(t, dossier.StatusNew, events[0].Status, where)
		for j := 1; j < len(events); j++ {
			from, to := events[j-1].Status, events[j].Status
			require.True(t, legal[[2]dossier.Status{from, to}], "%s #%d %s: status %d after %d", where, events[j].Seq, events[j].Kind, to, from)
		}
		end := events[len(events)-1]
		require.Equal(t, end.Status, st.Status, "%s: the snapshot has the last event's status", where)
		final := true
		switch st.Status {
		case dossier.StatusRefused:
			require.Equal(t, dossier.EventRefused, end.Kind, where)
		case dossier.StatusStopped:
			require.Equal(t, dossier.EventStopped, end.Kind, where)
			require.False(t, st.FinishedAt.IsZero(), where)
		case dossier.StatusReturned:
			require.Contains(t, []string{dossier.EventReturned, dossier.EventRated, dossier.EventRefused}, end.Kind, where)
			require.False(t, st.ReturnedAt.IsZero(), where)
			require.NotEmpty(t, st.Timeliness, where)
		default:
			final = false
		}
		require.Equal(t, final, len(st.CurrentSteps) == 0, "%s: steps under way only while open", where)
		require.Equal(t, final, open == 0, "%s: open tasks only while open", where)

		if !st.AcceptedAt.IsZero() {
			require.False(t, st.AcceptedAt.Before(st.ReceivedAt), where)
			require.True(t, st.AppointmentAt.After(st.AcceptedAt), "%s: appointment after reception", where)
			requireWorkingTime(t, cal, st.AppointmentAt, "%s: appointment", where)
			if st.Extended {
				require.True(t, st.AppointmentAt.After(st.OriginalAppointmentAt), where)
			}
		}
		if !st.FinishedAt.IsZero() && st.Timeliness != "" {
			want := dossier.Judge(st.FinishedAt, st.AppointmentAt)
			if st.Extended || st.Supplements > plan.Supplements.Max {
				want = dossier.Late
			}
			require.Equal(t, want, st.Timeliness, where)
		}
		require.Equal(t, st.Paused, !st.PausedSince.IsZero(), where)
		f := d.Projections[0].Facts
		require.Equal(t, plan.Version, f.ProcedureVersion)
		reused := 0
		for _, c := range st.Components {
			if c.Reused {
				reused++
			} else {
				require.Len(t, c.SHA256, 64, where)
			}
		}
		require.Equal(t, reused, f.ReusedComponents, where)
		if f.EResult {
			// Signed, and returned electronically (or not returned yet).
			require.True(t, st.Result != nil && !st.Result.Refusal && st.Result.Delivery != "postal" && st.Result.Delivery != "counter", where)
		}
	}
}

// requireWorkingTime checks that t is within office hours (ends included)
// of a working day.
func requireWorkingTime(t *testing.T, cal *workcal.Calendar, at time.Time, msg string, args ...any) {
	t.Helper()
	ok, err := cal.IsWorkingDay(at)
	require.NoError(t, err)
	clock := at.In(dossier.Vietnam).Format("15:04:05.000000")
	in := ok && ((clock >= "07:30" && clock <= "11:30:00.000000") || (clock >= "13:00" && clock <= "17:00:00.000000"))
	require.True(t, in, append([]any{msg + " %s is not working time"}, append(args, at.In(dossier.Vietnam).Format(time.DateTime))...)...)
}

// TestArrivals: dossiers at the counter and by post come in office hours
// of working days; the day's dossiers of an agency are numbered from 1.
func TestArrivals(t *testing.T) {
	t.Parallel()
	_, cal := catalog(t)
	for _, d := range large() {
		st := d.State()
		if st.Channel != dossier.ChannelOnline {
			requireWorkingTime(t, cal, st.ReceivedAt, "%s submitted %s", d.Code, st.Channel)
		}
	}
}

// TestNumbered: numbering goes on after the numbers already handed out.
func TestNumbered(t *testing.T) {
	t.Parallel()
	ds := generate(t, Options{Dossiers: 300, Seed: 3, From: vnDate(2025, 9, 1), To: vnDate(2025, 9, 6),
		Numbered: func(agency string, day time.Time) int {
			if agency == "UBND_XA" && day.Equal(vnDate(2025, 9, 3)) {
				return 41
			}
			return 0
		}})
	var firsts []string
	for _, d := range ds {
		if d.N == 1 || d.N == 42 {
			firsts = append(firsts, d.Code)
		}
	}
	require.Contains(t, firsts, "UBND_XA-250903-0042")
	require.NotContains(t, firsts, "UBND_XA-250903-0001")
	require.Contains(t, firsts, "UBND_XA-250904-0001")
}

// TestOpenAtNow: histories stop at Options.Now; dossiers still being
// handled then are open, with their tasks.
func TestOpenAtNow(t *testing.T) {
	t.Parallel()
	now := vnDate(2025, 9, 10).Add(10 * time.Hour)
	ds := generate(t, Options{Dossiers: 2000, Seed: 5, From: vnDate(2025, 8, 1), To: vnDate(2025, 9, 10), Now: now})
	open := 0
	for _, d := range ds {
		for _, p := range d.Projections {
			for _, e := range p.Events {
				require.False(t, e.At.After(now), "%s #%d after Now", p.WorkflowID, e.Seq)
			}
		}
		switch d.State().Status {
		case dossier.StatusRefused, dossier.StatusStopped, dossier.StatusReturned:
		default:
			open++
		}
	}
	require.Greater(t, open, 50, "the last days' dossiers are still open")
}

func TestConditionsMatchDefinitions(t *testing.T) {
	t.Parallel()
	cat, _ := catalog(t)
	g, err := newGenerator(cat, mustCal(t), Options{Dossiers: 1, From: yearFrom, To: yearTo})
	require.NoError(t, err)
	for _, p := range g.procs {
		r := newRand(7, uint64(len(p.plan.Code)))
		for range 300 {
			form := p.form.generate(r)
			for _, m := range p.plan.Modes {
				for _, ch := range m.Channels {
					env := p.form.env(form, m.Mode, ch)
					for src := range p.form.conds {
						want, err := definitions.EvalCondition(p.plan, src, form, m.Mode, ch)
						require.NoError(t, err)
						got, err := p.form.eval(src, env)
						require.NoError(t, err)
						require.Equal(t, want, got, "%s: %s over %v", p.plan.Code, src, form)
					}
				}
			}
		}
	}
}

func TestCodesAsTheService(t *testing.T) {
	t.Parallel()
	day := vnDate(2025, 7, 1).Add(15 * time.Hour)
	for _, n := range []int{1, 42, 9999, 10000} {
		require.Equal(t, service.DefaultCodeFormat("000.00.01.H22", day, n), dossierCode("000.00.01.H22", day, n))
	}
	cat, _ := catalog(t)
	require.Equal(t, "UBND_XA", agencyCode(cat.Plan("1.001193")))
	coded := *cat.Plan("1.001193")
	coded.Agencies = []definitions.Agency{{ID: "ubnd_xa", Code: "000.00.01.H22"}}
	require.Equal(t, "000.00.01.H22", agencyCode(&coded))
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	cat, cal := catalog(t)
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{From: yearFrom, To: yearTo}, "demodata: Options.Dossiers is 0: generate at least 1 dossier"},
		{Options{Dossiers: 10}, "demodata: Options.From and Options.To are required: the days dossiers are submitted on"},
		{Options{Dossiers: 10, From: yearTo, To: yearTo}, "demodata: the period from 2026-07-01 to 2026-07-01 is empty"},
		{Options{Dossiers: 10, From: yearFrom, To: yearTo, Now: yearTo.Add(-time.Hour)},
			"demodata: Options.Now (2026-06-30 23:00:00) is before the end of the period (2026-07-01)"},
		{Options{Dossiers: 10, From: vnDate(2027, 1, 1), To: vnDate(2027, 12, 1)},
			"demodata: dossiers of 2027-01-01 to 2027-11-30 are handled until about 2028-03-01: no working calendar for 2028: add definitions/calendars/2028.yaml"},
		{Options{Dossiers: 10, From: yearFrom, To: yearTo, Mix: map[string]float64{"1.001193": -1}},
			"demodata: procedure 1.001193 has weight -1: give a weight of 0 or more"},
		{Options{Dossiers: 10, From: yearFrom, To: yearTo, Mix: map[string]float64{"1.001193": 1, "1.999999": 2}},
			"demodata: procedure 1.999999 of the mix is not in the catalog"},
		{Options{Dossiers: 10, From: vnDate(2025, 1, 1), To: vnDate(2025, 2, 1)},
			"demodata: no procedure of the catalog is in force between 2025-01-01 and 2025-02-01"},
	} {
		_, err := Generate(cat, cal, tc.opts)
		require.EqualError(t, err, tc.want)
	}
	_, err := Generate(nil, cal, Options{})
	require.EqualError(t, err, "demodata: no catalog")
}

// TestHappyPathsAsRecorded: the happy paths of the replay corpus (real
// workflow runs, recorded on a Temporal server) are among the generated
// histories, event kind for event kind, step for step, status for status.
// It reads the v0 generation, whose projections are activities with their
// input in the history (v1 projects through local activities, whose
// markers keep only the result); workflows' TestGenerationsRecordTheSameTimelines
// checks that both generations record the same timelines.
func TestHappyPathsAsRecorded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, procedure string }{
		{"v0-birth-full-online.json", "1.001193"},
		{"v0-household-business-full-online.json", "1.001612"},
		{"v0-inter-agency-parallel.json", "9.000003"},
	} {
		want := recordedPath(t, "../../workflows/testdata/replay/"+tc.file)
		require.NotEmpty(t, want)
		found := false
		for i := range large() {
			d := &large()[i]
			st := d.State()
			if st.ProcedureCode != tc.procedure || st.Mode != definitions.ModeFullOnline || st.Channel != dossier.ChannelOnline {
				continue
			}
			if slices.Equal(path(d.Projections[0].Events), want) {
				found = true
				break
			}
		}
		require.True(t, found, "no generated dossier of %s follows %s:\n%s", tc.procedure, tc.file, strings.Join(want, "\n"))
	}
}

func path(es []dossier.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%s %s %d", e.Kind, e.Step, e.Status)
	}
	return out
}

// recordedPath reads the dossier's own events from the Project activities
// of a recorded workflow history.
func recordedPath(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var h struct {
		Events []struct {
			Scheduled *struct {
				ActivityType struct{ Name string } `json:"activityType"`
				Input        struct {
					Payloads []struct{ Data string } `json:"payloads"`
				} `json:"input"`
			} `json:"activityTaskScheduledEventAttributes"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal(data, &h))
	var events []dossier.Event
	for _, e := range h.Events {
		if e.Scheduled == nil || e.Scheduled.ActivityType.Name != "Project" {
			continue
		}
		for _, pl := range e.Scheduled.Input.Payloads {
			raw, err := base64.StdEncoding.DecodeString(pl.Data)
			require.NoError(t, err)
			var p dossier.Projection
			require.NoError(t, json.Unmarshal(raw, &p))
			if p.Snapshot != nil {
				events = append(events, p.Events...)
			}
		}
	}
	return path(events)
}

// BenchmarkGenerate measures generation alone, with the default workers.
func BenchmarkGenerate(b *testing.B) {
	cat, cal := catalog(b)
	seq, err := Generate(cat, cal, Options{Dossiers: max(b.N, 1), Seed: 1, From: yearFrom, To: yearTo})
	require.NoError(b, err)
	b.ResetTimer()
	events := 0
	for d, err := range seq {
		require.NoError(b, err)
		events += d.Events()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "dossiers/s")
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
