package simulate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/steptime"
	"github.com/motcua/motcua/internal/workcal"
	"github.com/motcua/motcua/workflows"
)

// Defaults of Options.
const (
	DefaultDossiers       = 200
	DefaultArrivalsPerDay = 20.0
	DefaultSupplementRate = 0.05
	// DefaultHorizon is how much working time after the last arrival the
	// calendar must cover: every dossier must be able to finish.
	DefaultHorizon = 60 * definitions.HoursPerDay * time.Hour
	// DefaultDossierTimeout bounds the wall time of one dossier, a guard
	// against a dossier that never ends.
	DefaultDossierTimeout = time.Minute
)

// DefaultStart is when the first simulated day begins: Monday 12 January
// 2026, 08:00 in Vietnam, the first Monday after 5 January 2026 (an
// ordinary working week, far from Tết).
var DefaultStart = time.Date(2026, 1, 12, 8, 0, 0, 0, dossier.Vietnam)

// Options configure a simulation. Every field but Plan and Calendar has a
// default.
type Options struct {
	// Plan is the compiled definition to simulate. Required.
	Plan *definitions.Plan
	// Mode is the mode the dossiers are submitted in. Default: the plan's
	// first mode.
	Mode string
	// Channel and Delivery are how every dossier is submitted and its
	// result returned. Default: the mode's first of each.
	Channel, Delivery string
	// Form is the e-form data of every dossier, for the conditions of
	// decide steps and fees. Default: none (every field its zero value).
	Form map[string]any
	// Calendar is the working calendar. Required; it must cover the
	// simulated span (DefaultHorizon after the last arrival).
	Calendar *workcal.Calendar
	// Dossiers is how many dossiers arrive. Default 200.
	Dossiers int
	// ArrivalsPerDay is the mean number of dossiers arriving per working
	// day, as a Poisson process over office hours. Default 20.
	ArrivalsPerDay float64
	// Start is when arrivals begin. Default DefaultStart.
	Start time.Time
	// Seed seeds every random draw; the same options give the same result.
	// Default 0.
	Seed int64
	// Durations draws how long people take. Default Allotted{}.
	Durations DurationModel
	// SupplementRate is the probability that the one-stop officer asks for
	// a supplement at the first reception of a dossier. Default 0.05; a
	// negative value means never.
	SupplementRate float64
	// Workers is how many dossiers run at once. Default GOMAXPROCS.
	Workers int
	// DossierTimeout bounds the wall time of one dossier. Default
	// DefaultDossierTimeout.
	DossierTimeout time.Duration
	// Progress, when set, is called after each dossier with the number
	// done, from one goroutine at a time.
	Progress func(done, total int)
}

var errNoCalendar = errors.New("no working calendar: load definitions/calendars")

// withDefaults checks the options and fills in the defaults.
func (o Options) withDefaults() (Options, *definitions.ModePlan, error) {
	if o.Plan == nil {
		return o, nil, errors.New("simulate: no plan: compile a definition first")
	}
	if o.Calendar == nil {
		return o, nil, fmt.Errorf("simulate: %w", errNoCalendar)
	}
	if o.Mode == "" {
		o.Mode = o.Plan.Modes[0].Mode
	}
	mp := o.Plan.Mode(o.Mode)
	if mp == nil {
		modes := make([]string, len(o.Plan.Modes))
		for i, m := range o.Plan.Modes {
			modes[i] = m.Mode
		}
		return o, nil, fmt.Errorf("simulate: procedure %s does not offer mode %q (it offers %s)", o.Plan.Code, o.Mode, strings.Join(modes, ", "))
	}
	if o.Channel == "" {
		o.Channel = mp.Channels[0]
	}
	if o.Delivery == "" {
		o.Delivery = mp.Delivery[0]
	}
	switch {
	case o.Dossiers < 0:
		return o, nil, fmt.Errorf("simulate: %d dossiers: give a positive number", o.Dossiers)
	case o.Dossiers == 0:
		o.Dossiers = DefaultDossiers
	}
	switch {
	case math.IsNaN(o.ArrivalsPerDay) || math.IsInf(o.ArrivalsPerDay, 0) || o.ArrivalsPerDay < 0:
		return o, nil, fmt.Errorf("simulate: %v arrivals per day: give a positive number", o.ArrivalsPerDay)
	case o.ArrivalsPerDay == 0:
		o.ArrivalsPerDay = DefaultArrivalsPerDay
	}
	switch {
	case math.IsNaN(o.SupplementRate) || o.SupplementRate > 1:
		return o, nil, fmt.Errorf("simulate: supplement rate %v is not a probability between 0 and 1", o.SupplementRate)
	case o.SupplementRate == 0:
		o.SupplementRate = DefaultSupplementRate
	case o.SupplementRate < 0:
		o.SupplementRate = 0
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.Durations == nil {
		o.Durations = Allotted{}
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.DossierTimeout <= 0 {
		o.DossierTimeout = DefaultDossierTimeout
	}
	return o, mp, nil
}

// Result is what a simulation found. Times are in working time: a working
// day is 8 working hours of the calendar's office hours.
type Result struct {
	Procedure      string    `json:"procedure"`
	Name           string    `json:"name"`
	Version        string    `json:"version"`
	PlanHash       string    `json:"plan_hash"`
	Mode           string    `json:"mode"`
	Channel        string    `json:"channel"`
	Delivery       string    `json:"delivery"`
	Model          string    `json:"model"`
	Seed           int64     `json:"seed"`
	ArrivalsPerDay float64   `json:"arrivals_per_day"`
	SupplementRate float64   `json:"supplement_rate"`
	Start          time.Time `json:"start"`
	LastArrival    time.Time `json:"last_arrival"`
	// End is when the last dossier finished.
	End time.Time `json:"end"`

	Dossiers int `json:"dossiers"`
	// Finished counts the dossiers whose workflow ended: processed and
	// returned, refused or stopped.
	Finished int `json:"finished"`
	Returned int `json:"returned"`
	Refused  int `json:"refused"`
	Stopped  int `json:"stopped"`
	// Early, OnTime and Late count the processed dossiers as the workflow
	// judged them against their appointment (State.Timeliness).
	Early  int `json:"early"`
	OnTime int `json:"on_time"`
	Late   int `json:"late"`
	// OnTimeRate is (Early + OnTime) / (Early + OnTime + Late).
	OnTimeRate float64 `json:"on_time_rate"`
	// HandlingDays is the working time from acceptance to processing, less
	// the time paused for supplements, of the processed dossiers.
	HandlingDays Summary `json:"handling_working_days"`
	// SpanDays is the working time from Start to End.
	SpanDays float64 `json:"span_working_days"`
	// Throughput is Finished / SpanDays: dossiers finished per working day.
	Throughput float64 `json:"throughput_per_working_day"`
	// Supplements counts the supplement requests, at reception and during
	// processing.
	Supplements int `json:"supplements"`
	// Steps are the tasks done, by step in plan order.
	Steps []StepResult `json:"steps"`
	// Bottleneck is the key of the officers' step most often late (then
	// the one using most of its allotted time); empty when none is timed.
	Bottleneck string `json:"bottleneck,omitempty"`
	// WallSeconds is how long the simulation took: the only field that
	// differs between two runs of the same options.
	WallSeconds float64 `json:"wall_time_seconds"`
}

// DossiersPerSecond is the simulator's speed.
func (r Result) DossiersPerSecond() float64 {
	if r.WallSeconds <= 0 {
		return 0
	}
	return float64(r.Dossiers) / r.WallSeconds
}

// Summary is the mean and two percentiles of a measure.
type Summary = steptime.Summary

// StepResult is how one kind of task went: a step's own task, or the
// applicant's supplement ("S.supplement") or counter pick-up ("S.pickup").
type StepResult struct {
	Key  string `json:"key"`
	Step string `json:"step"`
	Name string `json:"name"`
	// Kind is the step's kind, or supplement or pickup.
	Kind  string `json:"kind"`
	Count int    `json:"count"`
	// MeanHours is the mean working time the task took, in hours.
	MeanHours float64 `json:"mean_working_hours"`
	// AllottedHours is the step's allotted working time, 0 when none.
	AllottedHours float64 `json:"allotted_working_hours"`
	// Late counts the tasks done after their due time; LateShare is
	// Late / Count.
	Late      int     `json:"late"`
	LateShare float64 `json:"late_share"`
}

// dossierRun is what one simulated dossier left.
type dossierRun struct {
	state    dossier.State
	timeline []dossier.Event // as the read model has it
	err      error
}

// Run simulates the dossiers and sums up what happened. It returns an
// error when the options are invalid, when the calendar does not cover the
// span, or when a dossier's workflow fails — which, with people who only
// take happy outcomes, is a bug worth seeing rather than a statistic.
func Run(ctx context.Context, opts Options) (Result, error) {
	began := time.Now()
	o, mp, err := opts.withDefaults()
	if err != nil {
		return Result{}, err
	}
	arrivals, err := Arrivals(o.Calendar, o.Start, o.ArrivalsPerDay, o.Dossiers, o.Seed)
	if err != nil {
		return Result{}, fmt.Errorf("simulate: %d dossiers at %v a working day from %s run past the working calendars: %w",
			o.Dossiers, o.ArrivalsPerDay, o.Start.In(dossier.Vietnam).Format("02/01/2006"), err)
	}
	last := arrivals[len(arrivals)-1]
	if _, err := o.Calendar.AddWorkingTime(last, DefaultHorizon); err != nil {
		return Result{}, fmt.Errorf("simulate: the last of %d dossiers arrives %s and the calendar must cover %d working days more: %w",
			o.Dossiers, last.In(dossier.Vietnam).Format("02/01/2006 15:04"), int(DefaultHorizon.Hours()/definitions.HoursPerDay), err)
	}

	runs := make([]dossierRun, o.Dossiers)
	jobs := make(chan int)
	finished := make(chan int)
	var wg sync.WaitGroup
	for range min(o.Workers, o.Dossiers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := ctx.Err(); err != nil {
					runs[i].err = err
				} else {
					runs[i] = runDossier(&o, mp, i, arrivals[i])
				}
				finished <- i
			}
		}()
	}
	go func() {
		for i := range o.Dossiers {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(finished)
	}()
	done := 0
	for range finished {
		done++
		if o.Progress != nil {
			o.Progress(done, o.Dossiers)
		}
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("simulate: %w", err)
	}
	for i := range runs {
		if runs[i].err != nil {
			return Result{}, fmt.Errorf("simulate: dossier %d of %d: %w", i+1, o.Dossiers, runs[i].err)
		}
	}
	res, err := summarize(&o, mp, runs)
	if err != nil {
		return Result{}, err
	}
	res.LastArrival = last.In(dossier.Vietnam)
	res.WallSeconds = time.Since(began).Seconds()
	return res, nil
}

// Arrivals returns the arrival times of n dossiers: a Poisson process of
// perDay arrivals per working day, run through the office hours of the
// calendar from start. The draws come from a PCG stream of seed.
func Arrivals(cal *workcal.Calendar, start time.Time, perDay float64, n int, seed int64) ([]time.Time, error) {
	if perDay <= 0 {
		return nil, fmt.Errorf("arrivals: %v per day: give a positive rate", perDay)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x61727269)) // "arri"
	mean := float64(definitions.HoursPerDay*time.Hour) / perDay
	out := make([]time.Time, n)
	t := start
	for i := range out {
		gap := time.Duration(rng.ExpFloat64() * mean)
		next, err := cal.AddWorkingTime(t, gap)
		if err != nil {
			return nil, fmt.Errorf("arrival of dossier %d: %w", i+1, err)
		}
		out[i], t = next, next
	}
	return out, nil
}

// discard is the logger of every test environment: the workflows' logs are
// not the simulation's output.
var discard = log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

// runDossier runs dossier i, received at arrival, to its end.
func runDossier(o *Options, mp *definitions.ModePlan, i int, arrival time.Time) (run dossierRun) {
	code := fmt.Sprintf("SIM-%s-%05d", o.Plan.Code, i+1)
	defer func() {
		// The test environment panics when a workflow does not end within
		// its timeout.
		if p := recover(); p != nil {
			run = dossierRun{err: fmt.Errorf("dossier %s did not end: %v", code, firstLine(fmt.Sprint(p)))}
		}
	}()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(discard)
	env := suite.NewTestWorkflowEnvironment()
	in := dossier.Input{Code: code, Plan: o.Plan, Mode: o.Mode, Channel: o.Channel, Delivery: o.Delivery, Form: o.Form,
		Applicant: dossier.Applicant{ID: fmt.Sprintf("%012d", i+1), Name: fmt.Sprintf("Công dân %d", i+1)}, ReceivedAt: arrival}
	for _, c := range o.Plan.Components {
		if c.When == "" {
			sum := sha256.Sum256([]byte(code + "/" + c.ID))
			in.Components = append(in.Components, dossier.ComponentRef{ID: c.ID, SHA256: hex.EncodeToString(sum[:])})
		}
	}
	w := newWorld(o, i, env, in, mp)
	workflows.Register(env)
	env.RegisterActivity(&activities.Activities{Calendar: o.Calendar, Store: w, Notifier: w, Issuer: w, Portal: w,
		Payments: w, Checker: w, Postal: w})
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: code, TaskQueue: workflows.TaskQueue})
	env.SetStartTime(arrival)
	env.SetTestTimeout(o.DossierTimeout)
	// Many dossiers at once on a loaded machine can hold a workflow
	// goroutine past the default 1 s deadlock detection.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: o.DossierTimeout})
	env.ExecuteWorkflow(workflows.DossierWorkflow, in)
	if err := w.failed(); err != nil {
		return dossierRun{err: fmt.Errorf("dossier %s: %w", code, err)}
	}
	if !env.IsWorkflowCompleted() {
		return dossierRun{err: fmt.Errorf("dossier %s did not end", code)}
	}
	if err := env.GetWorkflowError(); err != nil {
		return dossierRun{err: fmt.Errorf("dossier %s failed: %w", code, err)}
	}
	var st dossier.State
	if err := env.GetWorkflowResult(&st); err != nil {
		return dossierRun{err: fmt.Errorf("reading the result of dossier %s: %w", code, err)}
	}
	return dossierRun{state: st, timeline: w.timeline(code)}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// workingDays converts working time to working days.
func workingDays(d time.Duration) float64 {
	return d.Hours() / definitions.HoursPerDay
}

// summarize sums up the dossiers, in dossier order.
func summarize(o *Options, mp *definitions.ModePlan, runs []dossierRun) (Result, error) {
	p := o.Plan
	res := Result{Procedure: p.Code, Name: p.Name, Version: p.Version, PlanHash: p.ShortHash(), Mode: o.Mode,
		Channel: o.Channel, Delivery: o.Delivery, Model: describe(o.Durations), Seed: o.Seed,
		ArrivalsPerDay: o.ArrivalsPerDay, SupplementRate: o.SupplementRate, Start: o.Start.In(dossier.Vietnam), Dossiers: len(runs)}
	var handling []float64
	byKey := map[string][]steptime.Observation{}
	for _, r := range runs {
		st := r.state
		switch st.Status {
		case dossier.StatusReturned, dossier.StatusProcessed:
			res.Returned++
		case dossier.StatusRefused:
			res.Refused++
		case dossier.StatusStopped:
			res.Stopped++
		}
		res.Finished++
		switch st.Timeliness {
		case dossier.Early:
			res.Early++
		case dossier.OnTime:
			res.OnTime++
		case dossier.Late:
			res.Late++
		}
		if end := endOf(st); end.After(res.End) {
			res.End = end.In(dossier.Vietnam)
		}
		if !st.FinishedAt.IsZero() && st.Timeliness != "" {
			from := st.AcceptedAt
			if from.IsZero() {
				from = st.ReceivedAt
			}
			w, err := o.Calendar.WorkingTimeBetween(from, st.FinishedAt)
			if err != nil {
				return Result{}, fmt.Errorf("simulate: handling time of %s: %w", st.Code, err)
			}
			handling = append(handling, workingDays(max(w-st.PausedTotal, 0)))
		}
		for _, e := range r.timeline {
			if e.Kind == dossier.EventSupplementAsked {
				res.Supplements++
			}
		}
		obs, err := steptime.Observe(o.Calendar, r.timeline)
		if err != nil {
			return Result{}, fmt.Errorf("simulate: timeline of %s: %w", st.Code, err)
		}
		for _, ob := range obs {
			byKey[ob.Key] = append(byKey[ob.Key], ob)
		}
	}
	if judged := res.Early + res.OnTime + res.Late; judged > 0 {
		res.OnTimeRate = float64(res.Early+res.OnTime) / float64(judged)
	}
	res.HandlingDays = steptime.Summarize(handling)
	if !res.End.IsZero() {
		span, err := o.Calendar.WorkingTimeBetween(res.Start, res.End)
		if err != nil {
			return Result{}, fmt.Errorf("simulate: span: %w", err)
		}
		res.SpanDays = workingDays(span)
		if res.SpanDays > 0 {
			res.Throughput = float64(res.Finished) / res.SpanDays
		}
	}
	res.Steps = stepResults(p, mp, byKey)
	res.Bottleneck = bottleneck(res.Steps)
	return res, nil
}

// endOf is when a dossier's handling ended.
func endOf(st dossier.State) time.Time {
	switch {
	case !st.FinishedAt.IsZero():
		return st.FinishedAt
	case !st.ReturnedAt.IsZero():
		return st.ReturnedAt
	case len(st.Timeline) > 0:
		return st.Timeline[len(st.Timeline)-1].At
	}
	return time.Time{}
}

func describe(m DurationModel) string {
	if s, ok := m.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", m)
}

// stepResults lists the tasks by step in plan order: each step's own task,
// then its supplement and pick-up tasks.
func stepResults(p *definitions.Plan, mp *definitions.ModePlan, byKey map[string][]steptime.Observation) []StepResult {
	var keys []string
	for _, s := range mp.Steps {
		for _, k := range []string{s.ID, s.ID + "." + KindSupplement, s.ID + "." + KindPickup} {
			if len(byKey[k]) > 0 {
				keys = append(keys, k)
			}
		}
	}
	var extra []string
	for k := range byKey {
		if !slices.Contains(keys, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	keys = append(keys, extra...)

	out := make([]StepResult, 0, len(keys))
	for _, k := range keys {
		obs := byKey[k]
		stepID, kind, _ := strings.Cut(k, ".")
		sr := StepResult{Key: k, Step: stepID, Kind: kind, Count: len(obs),
			AllottedHours: allottedFor(p, mp, k).Hours()}
		if s := mp.Step(stepID); s != nil {
			sr.Name = s.Name
			if kind == "" {
				sr.Kind = s.Kind
			}
		}
		var total time.Duration
		for _, ob := range obs {
			total += ob.Working
			if ob.Timeliness == dossier.Late {
				sr.Late++
			}
		}
		sr.MeanHours = total.Hours() / float64(len(obs))
		sr.LateShare = float64(sr.Late) / float64(len(obs))
		out = append(out, sr)
	}
	return out
}

// bottleneck picks, among the steps done by officers and other agencies,
// the one most often late, then the one using most of its allotted time.
func bottleneck(steps []StepResult) string {
	best, bestLate, bestUse := "", -1.0, -1.0
	for _, s := range steps {
		switch s.Kind {
		case definitions.KindPay, KindSupplement, KindPickup:
			continue // the applicant's time
		}
		if s.AllottedHours == 0 {
			continue
		}
		use := s.MeanHours / s.AllottedHours
		if s.LateShare > bestLate || (s.LateShare == bestLate && use > bestUse) {
			best, bestLate, bestUse = s.Key, s.LateShare, use
		}
	}
	return best
}
