package simulate

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/workcal"
)

// catalog is the example catalog, loaded once.
var catalog = sync.OnceValues(func() (*definitions.Catalog, error) {
	return definitions.LoadCatalog("../../definitions")
})

// testBundle is what most tests need: the calendar and the two example
// procedures they simulate.
type testBundle struct {
	cal      *workcal.Calendar
	birth    *definitions.Plan // 1.001193, same-day limit, an auto check, no fee
	business *definitions.Plan // 1.001612, 3 working days, a fee and an auto check
}

func setup(tb testing.TB) testBundle {
	tb.Helper()
	cat, err := catalog()
	require.NoError(tb, err)
	cal, err := workcal.FromCatalog(cat)
	require.NoError(tb, err)
	b := testBundle{cal: cal, birth: cat.Plan("1.001193"), business: cat.Plan("1.001612")}
	require.NotNil(tb, b.birth)
	require.NotNil(tb, b.business)
	return b
}

// simulate runs 30 dossiers of a plan with the given changes to the options.
func (b testBundle) simulate(tb testing.TB, plan *definitions.Plan, change func(*Options)) Result {
	tb.Helper()
	o := Options{Plan: plan, Calendar: b.cal, Dossiers: 30, Seed: 7}
	if change != nil {
		change(&o)
	}
	res, err := Run(context.Background(), o)
	require.NoError(tb, err)
	tb.Logf("%s: %d dossiers in %.2f s, %.0f dossiers/s", plan.Code, res.Dossiers, res.WallSeconds, res.DossiersPerSecond())
	return res
}

func keys(steps []StepResult) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Key
	}
	return out
}

func step(tb testing.TB, r Result, key string) StepResult {
	tb.Helper()
	for _, s := range r.Steps {
		if s.Key == key {
			return s
		}
	}
	tb.Fatalf("no step %q in %v", key, keys(r.Steps))
	return StepResult{}
}

// withoutWallTime returns the result as JSON, with the one field that
// differs between runs zeroed.
func withoutWallTime(tb testing.TB, r Result) string {
	tb.Helper()
	r.WallSeconds = 0
	data, err := json.Marshal(r)
	require.NoError(tb, err)
	return string(data)
}

func TestBirthRegistration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.simulate(t, b.birth, func(o *Options) { o.SupplementRate = -1 })

	require.Equal(t, 30, r.Dossiers)
	require.Equal(t, 30, r.Finished)
	require.Equal(t, 30, r.Returned, "every dossier is processed and its result returned")
	require.Equal(t, 30, r.Early+r.OnTime+r.Late)
	require.InDelta(t, float64(r.Early+r.OnTime)/30, r.OnTimeRate, 1e-9)
	require.Zero(t, r.Supplements)
	require.Equal(t, "full_online", r.Mode)
	require.Equal(t, "online", r.Channel)
	require.Equal(t, "e_result", r.Delivery)
	require.Equal(t, DefaultStart, r.Start)

	// The check against the population database passes: no manual review
	// of a failed check, and e-results need no counter pick-up.
	require.Equal(t, []string{"tiep_nhan", "tham_dinh", "ky_duyet"}, keys(r.Steps))
	for _, s := range r.Steps {
		require.Equal(t, 30, s.Count, s.Key)
		require.Positive(t, s.MeanHours, s.Key)
	}
	require.Equal(t, 4.0, step(t, r, "tham_dinh").AllottedHours)
	require.Equal(t, "task", step(t, r, "tham_dinh").Kind)
	require.Contains(t, []string{"tiep_nhan", "tham_dinh", "ky_duyet"}, r.Bottleneck)

	require.Positive(t, r.HandlingDays.Mean)
	require.LessOrEqual(t, r.HandlingDays.P50, r.HandlingDays.P90)
	require.True(t, r.End.After(r.LastArrival))
	require.False(t, r.LastArrival.Before(r.Start))
	require.Positive(t, r.SpanDays)
	require.InDelta(t, 30/r.SpanDays, r.Throughput, 1e-9)
}

func TestBusinessRegistration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.simulate(t, b.business, func(o *Options) { o.SupplementRate = -1 })
	require.Equal(t, 30, r.Returned)
	require.Equal(t, 30, r.Early+r.OnTime+r.Late)
	require.Equal(t, []string{"tiep_nhan", "nop_le_phi", "tham_dinh", "ky_giay_chung_nhan"}, keys(r.Steps),
		"the fee is paid, the name check passes")
	fee := step(t, r, "nop_le_phi")
	require.Equal(t, 30, fee.Count)
	require.Equal(t, "pay", fee.Kind)
	require.Equal(t, 40.0, fee.AllottedHours, "the payment times out after 5 working days")
	require.Zero(t, fee.Late)
}

// A failing automated check takes the dossier to its on_fail step.
func TestFailedChecksTakeTheOtherPath(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.simulate(t, b.business, func(o *Options) {
		o.SupplementRate = -1
		o.Durations = Allotted{CheckFailRate: 1}
	})
	require.Equal(t, 30, r.Returned)
	require.Equal(t, []string{"tiep_nhan", "nop_le_phi", "xu_ly_trung_ten", "tham_dinh", "ky_giay_chung_nhan"}, keys(r.Steps))
	require.Equal(t, 30, step(t, r, "xu_ly_trung_ten").Count)
}

// Consultations of other agencies run as Consultation child workflows and
// are answered there; parallel branches join.
func TestConsultations(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cat, err := catalog()
	require.NoError(t, err)
	r := b.simulate(t, cat.Plan("9.000003"), func(o *Options) { o.Dossiers = 10 })
	require.Equal(t, 10, r.Returned)
	require.Equal(t, 10, step(t, r, "dang_ky_thuong_tru").Count)
	require.Equal(t, 10, step(t, r, "cap_the_bhyt").Count)
	require.Equal(t, "consult", step(t, r, "cap_the_bhyt").Kind)
}

func TestSameSeedSameResult(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.simulate(t, b.business, func(o *Options) { o.Workers = 1 })
	second := b.simulate(t, b.business, func(o *Options) { o.Workers = 4 })
	require.Positive(t, first.WallSeconds)
	require.JSONEq(t, withoutWallTime(t, first), withoutWallTime(t, second),
		"the order in which dossiers run does not matter")
	other := b.simulate(t, b.business, func(o *Options) { o.Seed = 8 })
	require.NotEqual(t, withoutWallTime(t, first), withoutWallTime(t, other))
}

// Officers who take three times the allotted time make dossiers late;
// officers who take a third of it do not.
func TestSlowOfficersMakeDossiersLate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fast := b.simulate(t, b.business, func(o *Options) { o.Durations = Allotted{Fraction: 0.3} })
	slow := b.simulate(t, b.business, func(o *Options) { o.Durations = Allotted{Fraction: 3} })
	t.Logf("on-time rate: fraction 0.3 %.2f, fraction 3 %.2f", fast.OnTimeRate, slow.OnTimeRate)
	require.GreaterOrEqual(t, fast.OnTimeRate, 0.95)
	require.LessOrEqual(t, slow.OnTimeRate, 0.2)
	require.Greater(t, slow.HandlingDays.Mean, 2*fast.HandlingDays.Mean)
	require.Equal(t, 1.0, step(t, slow, "tham_dinh").LateShare, "3 × 12 h is always past 12 h")
}

func TestEverySupplementRequestIsCounted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.simulate(t, b.birth, func(o *Options) { o.SupplementRate = 1 })
	require.Equal(t, 30, r.Returned, "the applicant supplements in time")
	require.Equal(t, r.Dossiers, r.Supplements)
	require.Equal(t, 60, step(t, r, "tiep_nhan").Count, "asked once, then accepted")
	require.Equal(t, 30, step(t, r, "tiep_nhan.supplement").Count)
	require.Equal(t, "supplement", step(t, r, "tiep_nhan.supplement").Kind)
	require.Equal(t, 120.0, step(t, r, "tiep_nhan.supplement").AllottedHours, "15 working days")
}

// Counter delivery: an officer confirms the pick-up in partial_online.
func TestCounterPickup(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.simulate(t, b.birth, func(o *Options) { o.Mode = "partial_online"; o.Dossiers = 10 })
	require.Equal(t, "counter", r.Delivery)
	require.Equal(t, 10, r.Returned)
	require.Equal(t, 10, step(t, r, "tra_ket_qua.pickup").Count)
}

// The in-memory read model holds the whole timeline the workflow kept.
func TestReadModelKeepsTheTimeline(t *testing.T) {
	t.Parallel()
	b := setup(t)
	o, mp, err := Options{Plan: b.business, Calendar: b.cal, SupplementRate: 1}.withDefaults()
	require.NoError(t, err)
	run := runDossier(&o, mp, 0, DefaultStart)
	require.NoError(t, run.err)
	require.Equal(t, dossier.StatusReturned, run.state.Status)
	require.NotEmpty(t, run.state.Timeline)
	require.Equal(t, run.state.Timeline, run.timeline)
}

func TestArrivals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	at, err := Arrivals(b.cal, DefaultStart, 20, 2000, 1)
	require.NoError(t, err)
	again, err := Arrivals(b.cal, DefaultStart, 20, 2000, 1)
	require.NoError(t, err)
	require.Equal(t, at, again)

	prev := DefaultStart
	for _, a := range at {
		require.False(t, a.Before(prev))
		prev = a
		ok, err := b.cal.IsWorkingDay(a)
		require.NoError(t, err)
		require.True(t, ok, "%s is not a working day", a)
		clock := a.In(dossier.Vietnam).Format("15:04")
		require.True(t, (clock >= "07:30" && clock <= "11:30") || (clock >= "13:00" && clock <= "17:00"), "%s is outside office hours", a)
	}
	span, err := b.cal.WorkingTimeBetween(DefaultStart, at[len(at)-1])
	require.NoError(t, err)
	perDay := 2000 / (span.Hours() / 8)
	require.InDelta(t, 20, perDay, 1.5, "a Poisson process of 20 a working day")
}

func TestOptionsErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Calendar: b.cal}, "simulate: no plan: compile a definition first"},
		{Options{Plan: b.birth}, "simulate: no working calendar: load definitions/calendars"},
		{Options{Plan: b.birth, Calendar: b.cal, Mode: "offline"}, `simulate: procedure 1.001193 does not offer mode "offline" (it offers full_online, partial_online)`},
		{Options{Plan: b.birth, Calendar: b.cal, Dossiers: -1}, "simulate: -1 dossiers: give a positive number"},
		{Options{Plan: b.birth, Calendar: b.cal, ArrivalsPerDay: math.Inf(1)}, "simulate: +Inf arrivals per day: give a positive number"},
		{Options{Plan: b.birth, Calendar: b.cal, SupplementRate: 1.5}, "simulate: supplement rate 1.5 is not a probability between 0 and 1"},
		{Options{Plan: b.birth, Calendar: b.cal, Start: time.Date(2029, 1, 1, 8, 0, 0, 0, dossier.Vietnam)},
			"arrival of dossier 1: adding"},
		{Options{Plan: b.birth, Calendar: b.cal, Start: time.Date(2027, 12, 1, 8, 0, 0, 0, dossier.Vietnam)},
			"simulate: the last of 200 dossiers arrives"},
	} {
		_, err := Run(context.Background(), c.opts)
		require.ErrorContains(t, err, c.want)
	}
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Options{Plan: b.birth, Calendar: b.cal, Dossiers: 5})
	require.EqualError(t, err, "simulate: context canceled")
}

func TestProgress(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var seen []int
	b.simulate(t, b.birth, func(o *Options) {
		o.Dossiers = 5
		o.Progress = func(done, total int) {
			require.Equal(t, 5, total)
			seen = append(seen, done)
		}
	})
	require.Equal(t, []int{1, 2, 3, 4, 5}, seen)
}

func TestAllotted(t *testing.T) {
	t.Parallel()
	review := definitions.PlanStep{ID: "tham_dinh", Kind: "task", Within: &definitions.Duration{WorkingHours: 10}}
	days := definitions.PlanStep{ID: "x", Kind: "task", Within: &definitions.Duration{WorkingDays: 2}}
	for _, c := range []struct {
		m    Allotted
		step definitions.PlanStep
		want time.Duration
	}{
		{Allotted{}, review, 6 * time.Hour},
		{Allotted{Fraction: 0.5}, days, 8 * time.Hour},
		{Allotted{}, definitions.PlanStep{Kind: "sign"}, DefaultUntimed},
		{Allotted{}, definitions.PlanStep{Kind: "pay", Timeout: &definitions.Duration{WorkingDays: 5}}, DefaultPayment},
		{Allotted{}, definitions.PlanStep{Kind: KindSupplement}, DefaultSupplementReply},
		{Allotted{Pickup: time.Hour}, definitions.PlanStep{Kind: KindPickup}, time.Hour},
	} {
		require.Equal(t, c.want, c.m.Median(c.step), "%+v %+v", c.m, c.step)
	}

	// The draws are lognormal around the median: their median is the
	// median, their mean exp(sigma²/2) times it.
	rng := rand.New(rand.NewPCG(1, 2))
	var sum float64
	below := 0
	const n = 20000
	for range n {
		d := Allotted{}.Draw(review, rng)
		sum += d.Hours()
		if d < 6*time.Hour {
			below++
		}
	}
	require.InDelta(t, 6*math.Exp(0.125), sum/n, 0.1)
	require.InDelta(t, 0.5, float64(below)/n, 0.02)
	require.Equal(t, MinDuration, Allotted{Sigma: 1e-9}.Draw(definitions.PlanStep{Kind: "task", Within: &definitions.Duration{}}, rng))
}

func TestEmpirical(t *testing.T) {
	t.Parallel()
	samples := map[string][]time.Duration{"tham_dinh": {3 * time.Hour, 0, 5 * time.Hour}, "ky": {-time.Hour}}
	e := NewEmpirical(samples)
	samples["tham_dinh"][0] = time.Hour // the model keeps its own copy
	require.Equal(t, []string{"tham_dinh"}, e.Keys(), "non-positive samples are dropped")
	require.Equal(t, "resampled history: 2 observations of 1 steps", e.String())

	rng := rand.New(rand.NewPCG(1, 2))
	got := map[time.Duration]int{}
	for range 1000 {
		got[e.Draw(definitions.PlanStep{ID: "tham_dinh"}, rng)]++
	}
	require.Len(t, got, 2)
	require.InDelta(t, 500, got[3*time.Hour], 60)
	require.InDelta(t, 500, got[5*time.Hour], 60)

	unseen := definitions.PlanStep{ID: "ky", Kind: "sign", Within: &definitions.Duration{WorkingHours: 4}}
	e.Fallback = Allotted{Sigma: 1e-9}
	require.InDelta(t, 2.4, e.Draw(unseen, rng).Hours(), 1e-3, "a step without samples falls back")

	auto := definitions.PlanStep{ID: "kiem_tra", Kind: "auto"}
	require.Zero(t, e.FailRate(auto))
	e.Fallback = Allotted{CheckFailRate: 0.25}
	require.Equal(t, 0.25, e.FailRate(auto))
	e.CheckFailRates = map[string]float64{"kiem_tra": 0.5}
	require.Equal(t, 0.5, e.FailRate(auto))
}

// vn builds a time in Vietnam in the week of the default start.
func vn(day, hh, mm int) time.Time {
	return time.Date(2026, 1, day, hh, mm, 0, 0, dossier.Vietnam)
}

// A dossier's timeline as the read model returns it, with a consultation
// child's own events mixed in.
var pastTimeline = []dossier.Event{
	{Kind: dossier.EventSubmitted, At: vn(12, 8, 0)},
	{Kind: dossier.EventTaskOpened, Step: "tiep_nhan", Note: "tiep_nhan", At: vn(12, 8, 0)},
	{Kind: dossier.EventActed, Step: "tiep_nhan", Outcome: "supplement", At: vn(12, 10, 0)},
	{Kind: dossier.EventSupplementAsked, Step: "tiep_nhan", At: vn(12, 10, 0)},
	{Kind: dossier.EventTaskOpened, Step: "tiep_nhan", Note: "tiep_nhan.supplement", At: vn(12, 10, 0)},
	{Kind: dossier.EventSupplemented, Step: "tiep_nhan", At: vn(13, 9, 30)},
	{Kind: dossier.EventTaskOpened, Step: "tiep_nhan", Note: "tiep_nhan#2", At: vn(13, 9, 30)},
	{Kind: dossier.EventActed, Step: "tiep_nhan", Outcome: "accept", At: vn(13, 10, 0)},
	{Kind: dossier.EventTaskOpened, Step: "nop_phi", Note: "nop_phi", At: vn(13, 10, 0), Actor: dossier.Actor{Role: "applicant"}},
	{Kind: dossier.EventPaid, Step: "nop_phi", At: vn(13, 10, 45)},
	{Kind: dossier.EventChecked, Step: "kiem_tra", Outcome: "failed"},
	{Kind: dossier.EventConsultSent, Step: "hoi_y_kien", At: vn(13, 11, 0)},
	{Kind: dossier.EventTaskOpened, Step: "hoi_y_kien", Note: "hoi_y_kien", At: vn(13, 11, 0)}, // the child's
	{Kind: dossier.EventActed, Step: "hoi_y_kien", Outcome: "dong_y", At: vn(14, 8, 0)},        // the child's
	{Kind: dossier.EventConsultAnswered, Step: "hoi_y_kien", At: vn(14, 8, 0), Timeliness: dossier.Early},
	{Kind: dossier.EventTaskOpened, Step: "tham_dinh", Note: "tham_dinh", At: vn(14, 8, 0)},
	{Kind: dossier.EventActed, Step: "tham_dinh", Outcome: "approve", At: vn(14, 16, 0), Timeliness: dossier.Late},
	{Kind: dossier.EventTaskOpened, Step: "tra", Note: "tra.pickup", At: vn(14, 16, 0)},
	{Kind: dossier.EventActed, Step: "tra", Outcome: "returned", At: vn(15, 8, 0)},
}

func TestSamplesFromTimelines(t *testing.T) {
	t.Parallel()
	b := setup(t)
	got, err := SamplesFromTimelines(b.cal, pastTimeline, pastTimeline[:8])
	require.NoError(t, err)
	require.Equal(t, map[string][]time.Duration{
		"tiep_nhan":            {2 * time.Hour, 30 * time.Minute, 2 * time.Hour, 30 * time.Minute},
		"tiep_nhan.supplement": {(90 + 240 + 120) * time.Minute, (90 + 240 + 120) * time.Minute}, // Mon 10:00–11:30, 13:00–17:00, Tue 07:30–09:30
		"nop_phi":              {45 * time.Minute},
		"hoi_y_kien":           {(30 + 240 + 30) * time.Minute}, // Tue 11:00–11:30, 13:00–17:00, Wed 07:30–08:00
		"tham_dinh":            {(210 + 180) * time.Minute},     // Wed 08:00–11:30, 13:00–16:00
		"tra.pickup":           {90 * time.Minute},              // Wed 16:00–17:00, Thu 07:30–08:00
	}, got)
	require.Equal(t, map[string]float64{"kiem_tra": 1}, CheckFailRates(pastTimeline))

	_, err = SamplesFromTimelines(nil, pastTimeline)
	require.EqualError(t, err, "samples from timelines: no working calendar: load definitions/calendars")
}

// A model filled from history drives the simulation: a review that always
// took 20 working hours against 12 allotted is always late.
func TestEmpiricalDrivesTheSimulation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	m := NewEmpirical(map[string][]time.Duration{"tham_dinh": {20 * time.Hour}})
	r := b.simulate(t, b.business, func(o *Options) { o.Durations = m })
	review := step(t, r, "tham_dinh")
	require.Equal(t, 1.0, review.LateShare)
	require.InDelta(t, 20, review.MeanHours, 1e-9)
	require.Equal(t, "resampled history: 1 observations of 1 steps", r.Model)
	require.Less(t, step(t, r, "ky_giay_chung_nhan").LateShare, 0.5, "the other steps fall back to the allotted times")
}

func BenchmarkDossier(b *testing.B) {
	tb := setup(b)
	o, mp, err := Options{Plan: tb.business, Calendar: tb.cal}.withDefaults()
	require.NoError(b, err)
	for i := 0; b.Loop(); i++ {
		if run := runDossier(&o, mp, i, DefaultStart); run.err != nil {
			b.Fatal(run.err)
		}
	}
}
