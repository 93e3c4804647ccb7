// Package analysis gives the evidence a re-engineering needs: for each
// version of a procedure found in the read model, how its dossiers went —
// on-time rate, handling time, the time each step took against the time it
// was allotted and its share of the lateness (the bottleneck), which
// components citizens had to supplement, how often they came in person —
// and a before/after comparison of two versions. It is what
// `motcua analyze`, the API's GET /v1/procedures/{code}/analysis and the
// console's analysis page show.
//
// The on-time rate of a version is the indicators package's (the same
// formula, treatment of supplements and cut as `motcua report --by
// version`); the rest is measured from each dossier's timeline.
package analysis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/steptime"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
)

// ErrInvalid is wrapped by the errors of parameters out of their domain:
// the caller's mistake, not the read model's.
var ErrInvalid = errors.New("invalid analysis parameters")

// ErrNoDossiers is returned when the read model holds no dossier of the
// procedure in the period.
var ErrNoDossiers = errors.New("no dossier to analyze")

// Params says what an analysis covers.
type Params struct {
	// Procedure is the procedure code; required.
	Procedure string
	// From and To bound the reception of the dossiers, [From, To). Zero
	// From: from the first dossier of the procedure; zero To: up to Now.
	From, To time.Time
	// Now is when the analysis is made; dossiers are judged at the earlier
	// of To and Now. Zero: time.Now().
	Now time.Time
	// Before and After are the versions compared; empty: the two versions
	// that received dossiers last, the older as Before.
	Before, After string
	// Plans are definitions of earlier versions of the procedure (the
	// catalog holds only the one in force), used for the names of their
	// steps and components and for their in-person steps.
	Plans []*definitions.Plan
	// Calendar counts working time. Default: the catalog's calendars.
	Calendar *workcal.Calendar
}

// Analysis is how each version of a procedure did.
type Analysis struct {
	Procedure string `json:"procedure"`
	Name      string `json:"name"`
	// From and To bound the reception of the dossiers analysed; AsOf is
	// the cut they are judged at.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	AsOf time.Time `json:"as_of"`
	// Versions are in the order they first received a dossier.
	Versions []Version `json:"versions"`
	// Comparison compares two versions; nil with fewer than two.
	Comparison *Comparison `json:"comparison,omitempty"`
}

// Ratio is a share with the counts it is made of, so that anyone can
// recompute it.
type Ratio struct {
	Numerator   int `json:"numerator"`
	Denominator int `json:"denominator"`
	// Value is Numerator / Denominator, absent when Denominator is 0.
	Value *float64 `json:"value,omitempty"`
}

func ratio(num, den int) Ratio {
	r := Ratio{Numerator: num, Denominator: den}
	if den > 0 {
		v := float64(num) / float64(den)
		r.Value = &v
	}
	return r
}

// Version is how the dossiers of one version of the procedure did.
type Version struct {
	Version string `json:"version"`
	// PlanHashes are the short hashes of the compiled plans the dossiers
	// of the version ran (usually one).
	PlanHashes []string `json:"plan_hashes"`
	// Known is set when the version's definition was at hand (the
	// catalog's or one of Params.Plans): step and component names and
	// in-person steps come from it.
	Known         bool      `json:"definition_known"`
	FirstReceived time.Time `json:"first_received"`
	LastReceived  time.Time `json:"last_received"`
	// Dossiers are those received in the period; Online of them online.
	Dossiers int   `json:"dossiers"`
	Online   Ratio `json:"online"`
	// Processed are those processed before the cut (status 9 or 10).
	Processed int `json:"processed"`
	// OnTime is the indicators' on-time rate of the version: finished on
	// or before the appointment date, plus those open and not past it, over
	// the dossiers handled. Late is its late rate.
	OnTime indicators.Figure `json:"on_time_rate"`
	Late   indicators.Figure `json:"late_rate"`
	// HandlingDays summarises the handling time of the processed
	// dossiers, in working days from acceptance (else reception) to
	// processing, paused time subtracted — the indicators' average
	// handling time, with its median and 90th percentile.
	HandlingDays steptime.Summary `json:"handling_working_days"`
	// HandlingMissing says why HandlingDays has no value (a date outside
	// the calendars), when it has none.
	HandlingMissing string `json:"handling_missing,omitempty"`
	// Supplemented are the dossiers asked for a supplement at least once,
	// over Dossiers.
	Supplemented Ratio `json:"supplemented"`
	// Components are, per component, the dossiers whose applicant
	// supplemented it, over Dossiers; most supplemented first.
	Components []ComponentStat `json:"components"`
	// Visits counts the times citizens came in person.
	Visits Visits `json:"visits"`
	// Steps are the tasks of the version, in plan order when the plan is
	// known, then by key.
	Steps []StepStat `json:"steps"`
	// Bottleneck is the key of the step with the largest share of the
	// lateness; empty when no step overran.
	Bottleneck string `json:"bottleneck,omitempty"`
}

// ComponentStat is how often one component had to be supplemented.
type ComponentStat struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Supplemented Ratio  `json:"supplemented"`
}

// Visits counts the times citizens came to an office: to submit at the
// counter, to bring a supplement (entered by an officer), to pay at the
// counter, for an in-person step of the definition (showing originals, an
// inspection), and to collect the result.
type Visits struct {
	Total       int     `json:"total"`
	Submission  int     `json:"submission"`
	Supplement  int     `json:"supplement"`
	Payment     int     `json:"payment"`
	InPerson    int     `json:"in_person_steps"`
	Pickup      int     `json:"pickup"`
	NoVisit     int     `json:"dossiers_without_visit"`
	PerDossier  float64 `json:"per_dossier"`
	WithoutPlan bool    `json:"in_person_steps_unknown,omitempty"` // the version's definition was not at hand
}

// StepStat is how one kind of task of a version went. Times are working
// hours.
type StepStat struct {
	// Key is the step id, or "S.supplement", "S.pickup", "S.withdrawal"
	// for the applicant's and the counter's tasks beside step S.
	Key  string `json:"key"`
	Step string `json:"step"`
	Name string `json:"name"`
	// Kind is the step's kind (review, approve, sign, consult, pay, …) or
	// supplement, pickup, withdrawal; empty when the plan is unknown.
	Kind string `json:"kind"`
	// Applicant is set for the applicant's own time (supplement, payment,
	// coming to collect the result), which is not the agency's and not a
	// bottleneck.
	Applicant bool `json:"applicant,omitempty"`
	Count     int  `json:"count"`
	// Actual summarises the working time the tasks took.
	Actual steptime.Summary `json:"actual_hours"`
	// Allotted is the median working time the tasks were given (their
	// due time at opening); 0 without a due time.
	Allotted float64 `json:"allotted_hours"`
	// Late are the tasks done after their due time, over Count.
	Late Ratio `json:"late"`
	// OverrunHours sums the working time spent past the allotted time.
	OverrunHours float64 `json:"overrun_hours"`
	// LatenessShare is OverrunHours over the overrun of every agency step
	// of the version: the step's share of the lateness.
	LatenessShare float64 `json:"lateness_share"`
}

// Comparison sets two versions side by side.
type Comparison struct {
	Before string   `json:"before"`
	After  string   `json:"after"`
	Rows   []Change `json:"rows"`
	// Steps compare the median time of each step key found in either.
	Steps []StepChange `json:"steps"`
}

// Change is one measure before and after.
type Change struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Unit   string   `json:"unit"` // ratio, working_days, count, visits
	Before *float64 `json:"before,omitempty"`
	After  *float64 `json:"after,omitempty"`
	// Better says whether After is an improvement; absent when the
	// measure has no direction or a side has no value.
	Better *bool `json:"better,omitempty"`
}

// StepChange compares a step's times; a side is absent when the step was
// not in that version (removed or added by the re-engineering).
type StepChange struct {
	Key            string   `json:"key"`
	Name           string   `json:"name"`
	BeforeP50      *float64 `json:"before_p50_hours,omitempty"`
	AfterP50       *float64 `json:"after_p50_hours,omitempty"`
	BeforeAllotted *float64 `json:"before_allotted_hours,omitempty"`
	AfterAllotted  *float64 `json:"after_allotted_hours,omitempty"`
}

// Version returns the version with the given name, or nil.
func (a *Analysis) Version(name string) *Version {
	for i := range a.Versions {
		if a.Versions[i].Version == name {
			return &a.Versions[i]
		}
	}
	return nil
}

// Analyze reads the procedure's dossiers from the read model and measures
// each version.
func Analyze(ctx context.Context, st *store.Store, cat *definitions.Catalog, p Params) (*Analysis, error) {
	if p.Procedure == "" {
		return nil, fmt.Errorf("%w: the procedure code is required", ErrInvalid)
	}
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	if !p.From.IsZero() && !p.To.IsZero() && !p.From.Before(p.To) {
		return nil, fmt.Errorf("%w: the period is empty (from %s, to %s)", ErrInvalid, p.From.Format(time.RFC3339), p.To.Format(time.RFC3339))
	}
	cut := p.Now
	if !p.To.IsZero() && p.To.Before(cut) {
		cut = p.To
	}
	cal := p.Calendar
	if cal == nil {
		var err error
		if cal, err = workcal.FromCatalog(cat); err != nil {
			return nil, fmt.Errorf("analysis: the catalog's calendars: %w", err)
		}
	}
	plans := knownPlans(cat, p)
	a := &Analysis{Procedure: p.Procedure, From: p.From, To: p.To, AsOf: cut}
	if cp := cat.Plan(p.Procedure); cp != nil {
		a.Name = cp.Name
	}

	acc := map[string]*versionAcc{}
	var order []*versionAcc
	err := st.ProcedureHistory(ctx, store.HistoryParams{Procedure: p.Procedure, From: p.From, To: cut}, func(d store.HistoryDossier) error {
		v := acc[d.Version]
		if v == nil {
			v = newVersionAcc(d.Version, plans)
			acc[d.Version] = v
			order = append(order, v)
		}
		return v.add(cal, d.State, cut)
	})
	if err != nil {
		return nil, fmt.Errorf("analysis of %s: %w", p.Procedure, err)
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("%w: the read model has no dossier of procedure %s received %s", ErrNoDossiers, p.Procedure, periodText(p.From, cut))
	}
	slices.SortStableFunc(order, func(x, y *versionAcc) int { return x.v.FirstReceived.Compare(y.v.FirstReceived) })
	if a.From.IsZero() {
		// From the first dossier's Vietnamese day.
		first := order[0].v.FirstReceived
		for _, v := range order {
			if v.v.FirstReceived.Before(first) {
				first = v.v.FirstReceived
			}
		}
		f := first.In(dossier.Vietnam)
		a.From = time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, dossier.Vietnam)
	}
	if a.To.IsZero() {
		a.To = cut
	}

	rep, err := indicators.Compute(ctx, st, cat, indicators.Params{From: a.From, To: a.To, Now: p.Now,
		Procedure: p.Procedure, By: indicators.ByVersion, Calendar: cal})
	if err != nil {
		return nil, fmt.Errorf("analysis of %s: the on-time rate by version: %w", p.Procedure, err)
	}
	for _, v := range order {
		v.finish(rep, p.Procedure)
		a.Versions = append(a.Versions, v.v)
	}
	if err := a.compare(p.Before, p.After); err != nil {
		return nil, err
	}
	return a, nil
}

// knownPlans indexes the definitions at hand by version.
func knownPlans(cat *definitions.Catalog, p Params) map[string]*definitions.Plan {
	out := map[string]*definitions.Plan{}
	for _, pl := range p.Plans {
		if pl != nil && pl.Code == p.Procedure {
			out[pl.Version] = pl
		}
	}
	if cp := cat.Plan(p.Procedure); cp != nil {
		out[cp.Version] = cp
	}
	return out
}

func periodText(from, to time.Time) string {
	if from.IsZero() {
		return "before " + to.In(dossier.Vietnam).Format("2006-01-02 15:04")
	}
	return "between " + from.In(dossier.Vietnam).Format("2006-01-02") + " and " + to.In(dossier.Vietnam).Format("2006-01-02 15:04")
}

// compare fills the comparison of the two versions asked for, or of the
// last two.
func (a *Analysis) compare(before, after string) error {
	if before == "" && after == "" {
		if len(a.Versions) < 2 {
			return nil
		}
		before, after = a.Versions[len(a.Versions)-2].Version, a.Versions[len(a.Versions)-1].Version
	}
	if before == "" || after == "" {
		return fmt.Errorf("%w: give both versions to compare (before %q, after %q)", ErrInvalid, before, after)
	}
	b, f := a.Version(before), a.Version(after)
	for _, miss := range []struct {
		side, name string
		v          *Version
	}{{"before", before, b}, {"after", after, f}} {
		if miss.v == nil {
			return &VersionError{Side: miss.side, Version: miss.name, Procedure: a.Procedure, Known: a.versionNames()}
		}
	}
	if before == after {
		return fmt.Errorf("%w: compare two different versions (both are %q)", ErrInvalid, before)
	}
	a.Comparison = compareVersions(b, f)
	return nil
}

// VersionError is a version asked to compare that has no dossier in the
// period. It wraps ErrInvalid.
type VersionError struct {
	Side      string   // "before" or "after": Params.Before or Params.After
	Version   string   // the version asked for
	Procedure string   // the procedure analysed
	Known     []string // the versions with dossiers in the period
}

// Error says which version and which ones there are.
func (e *VersionError) Error() string {
	return fmt.Sprintf("%s: version %q of %s has no dossier in the period (versions with dossiers: %s)",
		ErrInvalid, e.Version, e.Procedure, strings.Join(e.Known, ", "))
}

// Unwrap returns ErrInvalid.
func (e *VersionError) Unwrap() error { return ErrInvalid }

func (a *Analysis) versionNames() []string {
	out := make([]string, len(a.Versions))
	for i, v := range a.Versions {
		out[i] = v.Version
	}
	return out
}

func compareVersions(b, f *Version) *Comparison {
	c := &Comparison{Before: b.Version, After: f.Version}
	fig := func(x indicators.Figure) *float64 { return x.Value }
	handled := func(v *Version, pick func(steptime.Summary) float64) *float64 {
		if v.Processed == 0 || v.HandlingMissing != "" {
			return nil
		}
		x := pick(v.HandlingDays)
		return &x
	}
	num := func(x float64) *float64 { return &x }
	add := func(id, name, unit string, lowerIsBetter *bool, before, after *float64) {
		ch := Change{ID: id, Name: name, Unit: unit, Before: before, After: after}
		if lowerIsBetter != nil && before != nil && after != nil && *before != *after {
			better := (*after < *before) == *lowerIsBetter
			ch.Better = &better
		}
		c.Rows = append(c.Rows, ch)
	}
	lower, higher := new(bool), new(bool)
	*lower = true
	add("dossiers", "Số hồ sơ tiếp nhận", "count", nil, num(float64(b.Dossiers)), num(float64(f.Dossiers)))
	add("online_share", "Tỷ lệ hồ sơ nộp trực tuyến", "ratio", higher, b.Online.Value, f.Online.Value)
	add("on_time_rate", "Tỷ lệ giải quyết đúng hạn", "ratio", higher, fig(b.OnTime), fig(f.OnTime))
	add("late_rate", "Tỷ lệ hồ sơ quá hạn", "ratio", lower, fig(b.Late), fig(f.Late))
	add("handling_mean", "Thời gian giải quyết trung bình", "working_days", lower,
		handled(b, func(s steptime.Summary) float64 { return s.Mean }), handled(f, func(s steptime.Summary) float64 { return s.Mean }))
	add("handling_p50", "Thời gian giải quyết (trung vị)", "working_days", lower,
		handled(b, func(s steptime.Summary) float64 { return s.P50 }), handled(f, func(s steptime.Summary) float64 { return s.P50 }))
	add("handling_p90", "Thời gian giải quyết (phân vị 90)", "working_days", lower,
		handled(b, func(s steptime.Summary) float64 { return s.P90 }), handled(f, func(s steptime.Summary) float64 { return s.P90 }))
	add("supplemented", "Tỷ lệ hồ sơ phải bổ sung", "ratio", lower, b.Supplemented.Value, f.Supplemented.Value)
	perDossier := func(v *Version) *float64 {
		if v.Dossiers == 0 {
			return nil
		}
		return num(v.Visits.PerDossier)
	}
	add("visits_per_dossier", "Số lần công dân đến trực tiếp / hồ sơ", "visits", lower, perDossier(b), perDossier(f))

	steps := map[string]*StepChange{}
	var keys []string
	side := func(v *Version, before bool) {
		for _, s := range v.Steps {
			ch := steps[s.Key]
			if ch == nil {
				ch = &StepChange{Key: s.Key, Name: s.Name}
				steps[s.Key] = ch
				keys = append(keys, s.Key)
			}
			p50, allotted := num(s.Actual.P50), (*float64)(nil)
			if s.Allotted > 0 {
				allotted = num(s.Allotted)
			}
			if before {
				ch.BeforeP50, ch.BeforeAllotted = p50, allotted
			} else {
				ch.AfterP50, ch.AfterAllotted = p50, allotted
				ch.Name = cmp.Or(s.Name, ch.Name)
			}
		}
	}
	side(b, true)
	side(f, false)
	for _, k := range keys {
		c.Steps = append(c.Steps, *steps[k])
	}
	return c
}
