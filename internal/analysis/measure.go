package analysis

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/steptime"
	"github.com/motcua/motcua/internal/workcal"
)

// versionAcc gathers the measures of one version, dossier by dossier.
type versionAcc struct {
	v        Version
	plan     *definitions.Plan // nil when the definition is not at hand
	hashes   map[string]bool
	handling []float64
	online   int
	supplied map[string]int    // component id → dossiers that supplemented it
	names    map[string]string // component id → name
	obs      map[string][]steptime.Observation
	keys     []string // step keys in the order first seen
	visited  int      // dossiers with at least one visit
	daysErr  error
}

func newVersionAcc(version string, plans map[string]*definitions.Plan) *versionAcc {
	v := &versionAcc{v: Version{Version: version}, plan: plans[version], hashes: map[string]bool{},
		supplied: map[string]int{}, names: map[string]string{}, obs: map[string][]steptime.Observation{}}
	v.v.Known = v.plan != nil
	v.v.Visits.WithoutPlan = v.plan == nil
	if v.plan != nil {
		for _, c := range v.plan.Components {
			v.names[c.ID] = c.Name
		}
	}
	return v
}

// add measures one dossier judged at the cut.
func (v *versionAcc) add(cal *workcal.Calendar, st dossier.State, cut time.Time) error {
	v.v.Dossiers++
	if st.PlanHash != "" && !v.hashes[st.PlanHash] {
		v.hashes[st.PlanHash] = true
		v.v.PlanHashes = append(v.v.PlanHashes, shortHash(st.PlanHash))
	}
	if v.v.FirstReceived.IsZero() || st.ReceivedAt.Before(v.v.FirstReceived) {
		v.v.FirstReceived = st.ReceivedAt
	}
	if st.ReceivedAt.After(v.v.LastReceived) {
		v.v.LastReceived = st.ReceivedAt
	}
	if st.Channel == dossier.ChannelOnline {
		v.online++
	}
	if err := v.addHandling(cal, st, cut); err != nil && v.daysErr == nil {
		v.daysErr = err
	}

	var timeline []dossier.Event
	for _, e := range st.Timeline {
		if e.At.Before(cut) {
			timeline = append(timeline, e)
		}
	}
	asked, supplied := false, map[string]bool{}
	visits := Visits{}
	if st.Channel == dossier.ChannelInPerson {
		visits.Submission++
	}
	var inPerson map[string]bool
	if v.plan != nil {
		inPerson = inPersonSteps(v.plan, st.Mode)
	}
	known := map[string]bool{}
	for _, c := range st.Components {
		known[c.ID] = true
		if _, ok := v.names[c.ID]; !ok {
			v.names[c.ID] = c.ID
		}
	}
	for _, c := range v.planComponents() {
		known[c] = true
	}
	for _, e := range timeline {
		switch e.Kind {
		case dossier.EventSupplementAsked:
			asked = true
		case dossier.EventSupplemented:
			for _, id := range suppliedComponents(e.Note, known) {
				supplied[id] = true
			}
			if e.Actor.Role != "" && e.Actor.Role != dossier.RoleApplicant {
				visits.Supplement++ // an officer entered it at the counter
			}
		case dossier.EventPaid:
			if e.Outcome == "paid" && !st.PaidOnline {
				visits.Payment++
			}
		case dossier.EventActed:
			switch {
			case e.Outcome == steptime.OutcomeReturned:
				visits.Pickup++
			case inPerson[e.Step]:
				visits.InPerson++
			}
		}
	}
	if asked {
		v.v.Supplemented.Numerator++
	}
	for id := range supplied {
		v.supplied[id]++
	}
	visits.Total = visits.Submission + visits.Supplement + visits.Payment + visits.InPerson + visits.Pickup
	if visits.Total > 0 {
		v.visited++
	}
	v.v.Visits.Total += visits.Total
	v.v.Visits.Submission += visits.Submission
	v.v.Visits.Supplement += visits.Supplement
	v.v.Visits.Payment += visits.Payment
	v.v.Visits.InPerson += visits.InPerson
	v.v.Visits.Pickup += visits.Pickup

	obs, err := steptime.Observe(cal, timeline)
	if err != nil {
		return fmt.Errorf("dossier %s: %w", st.Code, err)
	}
	for _, o := range obs {
		if _, ok := v.obs[o.Key]; !ok {
			v.keys = append(v.keys, o.Key)
		}
		v.obs[o.Key] = append(v.obs[o.Key], o)
	}
	return nil
}

// addHandling adds the handling time of a dossier processed before the
// cut, as the indicators count it: the working days after the date its
// handling started (acceptance, else reception) up to and including the
// date it was processed, less its paused working time in days of 8 hours.
func (v *versionAcc) addHandling(cal *workcal.Calendar, st dossier.State, cut time.Time) error {
	if st.Status != dossier.StatusProcessed && st.Status != dossier.StatusReturned {
		return nil
	}
	if st.FinishedAt.IsZero() || !st.FinishedAt.Before(cut) {
		return nil
	}
	v.v.Processed++
	start := st.AcceptedAt
	if start.IsZero() {
		start = st.ReceivedAt
	}
	days, err := workingDaysAfter(cal, start, st.FinishedAt)
	if err != nil {
		return fmt.Errorf("handling time of dossier %s: %w", st.Code, err)
	}
	v.handling = append(v.handling, float64(days)-st.PausedTotal.Hours()/definitions.HoursPerDay)
	return nil
}

// workingDaysAfter counts the working days after a's Vietnamese date up to
// and including b's.
func workingDaysAfter(cal *workcal.Calendar, a, b time.Time) (int, error) {
	a, b = a.In(dossier.Vietnam), b.In(dossier.Vietnam)
	day := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, dossier.Vietnam)
	last := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, dossier.Vietnam)
	n := 0
	for day = day.AddDate(0, 0, 1); !day.After(last); day = day.AddDate(0, 0, 1) {
		ok, err := cal.IsWorkingDay(day)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// planComponents lists the component ids of the version's definition.
func (v *versionAcc) planComponents() []string {
	if v.plan == nil {
		return nil
	}
	out := make([]string, len(v.plan.Components))
	for i, c := range v.plan.Components {
		out[i] = c.ID
	}
	return out
}

// inPersonSteps returns the ids of the steps of a mode that need the
// citizen in person.
func inPersonSteps(p *definitions.Plan, mode string) map[string]bool {
	mp := p.Mode(mode)
	if mp == nil {
		return nil
	}
	out := map[string]bool{}
	for _, s := range mp.Steps {
		if s.InPerson {
			out[s.ID] = true
		}
	}
	return out
}

// suppliedComponents reads the component ids a supplement event names:
// the workflow writes them first, joined by ", ", then the applicant's
// note. Only ids of the dossier's or the definition's components count, so
// a note without components names none.
func suppliedComponents(note string, known map[string]bool) []string {
	var out []string
	for _, tok := range strings.Fields(note) {
		id, more := strings.CutSuffix(tok, ",")
		if known[id] && !slices.Contains(out, id) {
			out = append(out, id)
		}
		if !more {
			break
		}
	}
	return out
}

// finish turns the sums into the version's figures.
func (v *versionAcc) finish(rep *indicators.Report, procedure string) {
	out := &v.v
	out.Online = ratio(v.online, out.Dossiers)
	out.Supplemented = ratio(out.Supplemented.Numerator, out.Dossiers)
	out.OnTime = indicators.Figure{ID: "on_time_rate", Missing: "no dossier of the version handled in the period"}
	out.Late = indicators.Figure{ID: "late_rate", Missing: out.OnTime.Missing}
	for i := range rep.Groups {
		g := &rep.Groups[i]
		if g.Key != procedure+"@"+out.Version {
			continue
		}
		if f := g.Figure("on_time_rate"); f != nil {
			out.OnTime = *f
		}
		if f := g.Figure("late_rate"); f != nil {
			out.Late = *f
		}
	}
	if v.daysErr != nil {
		out.HandlingMissing = v.daysErr.Error()
	} else {
		out.HandlingDays = steptime.Summarize(v.handling)
	}

	for id, n := range v.supplied {
		out.Components = append(out.Components, ComponentStat{ID: id, Name: cmp.Or(v.names[id], id), Supplemented: ratio(n, out.Dossiers)})
	}
	slices.SortFunc(out.Components, func(a, b ComponentStat) int {
		return cmp.Or(cmp.Compare(b.Supplemented.Numerator, a.Supplemented.Numerator), cmp.Compare(a.ID, b.ID))
	})

	if out.Dossiers > 0 {
		out.Visits.PerDossier = float64(out.Visits.Total) / float64(out.Dossiers)
	}
	out.Visits.NoVisit = out.Dossiers - v.visited

	out.Steps = v.steps()
	var overrun float64
	for _, s := range out.Steps {
		if !s.Applicant {
			overrun += s.OverrunHours
		}
	}
	best := -1
	for i := range out.Steps {
		s := &out.Steps[i]
		if s.Applicant || overrun == 0 {
			continue
		}
		s.LatenessShare = s.OverrunHours / overrun
		if s.OverrunHours > 0 && (best < 0 || s.LatenessShare > out.Steps[best].LatenessShare ||
			(s.LatenessShare == out.Steps[best].LatenessShare && s.Late.Numerator > out.Steps[best].Late.Numerator)) {
			best = i
		}
	}
	if best >= 0 {
		out.Bottleneck = out.Steps[best].Key
	}
}

// steps lists the version's tasks: in plan order when the plan is known
// (each step's own task, then the tasks beside it), then the others by
// key.
func (v *versionAcc) steps() []StepStat {
	var keys []string
	if v.plan != nil {
		seen := map[string]bool{}
		for _, mp := range v.plan.Modes {
			for _, s := range mp.Steps {
				if seen[s.ID] {
					continue
				}
				seen[s.ID] = true
				for _, k := range []string{s.ID, s.ID + "." + steptime.KindSupplement, s.ID + "." + steptime.KindPickup, s.ID + "." + steptime.KindWithdrawal} {
					if len(v.obs[k]) > 0 {
						keys = append(keys, k)
					}
				}
			}
		}
	}
	var extra []string
	for _, k := range v.keys {
		if !slices.Contains(keys, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	keys = append(keys, extra...)

	out := make([]StepStat, 0, len(keys))
	for _, k := range keys {
		out = append(out, v.step(k))
	}
	return out
}

// step measures the tasks of one key.
func (v *versionAcc) step(key string) StepStat {
	obs := v.obs[key]
	stepID, kind, _ := strings.Cut(key, ".")
	s := StepStat{Key: key, Step: stepID, Kind: kind, Name: stepID, Count: len(obs)}
	if ps := v.planStep(stepID); ps != nil {
		s.Name = cmp.Or(ps.Name, stepID)
		if kind == "" {
			s.Kind = ps.Kind
		}
	}
	switch kind {
	case steptime.KindSupplement:
		s.Name += " — công dân bổ sung"
	case steptime.KindPickup:
		s.Name += " — nhận kết quả tại quầy"
	case steptime.KindWithdrawal:
		s.Name += " — thông báo dừng xử lý"
	}
	s.Applicant = kind == steptime.KindSupplement || kind == steptime.KindPickup || s.Kind == definitions.KindPay ||
		(len(obs) > 0 && obs[0].ClosedBy == dossier.EventPaid)
	actual := make([]float64, len(obs))
	var allotted []float64
	late := 0
	for i, o := range obs {
		actual[i] = o.Working.Hours()
		if o.Allotted > 0 {
			allotted = append(allotted, o.Allotted.Hours())
			s.OverrunHours += max(o.Working-o.Allotted, 0).Hours()
		}
		if o.Timeliness == dossier.Late {
			late++
		}
	}
	s.Actual = steptime.Summarize(actual)
	s.Allotted = steptime.Summarize(allotted).P50
	s.Late = ratio(late, len(obs))
	return s
}

// planStep finds a step of the version's definition in any mode.
func (v *versionAcc) planStep(id string) *definitions.PlanStep {
	if v.plan == nil {
		return nil
	}
	for i := range v.plan.Modes {
		if s := v.plan.Modes[i].Step(id); s != nil {
			return s
		}
	}
	return nil
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
