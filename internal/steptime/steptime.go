// Package steptime measures, in a dossier's timeline, how long each task
// took in working time: an officer's task from its opening to the action
// that closed it, the applicant's supplement and payment, another agency's
// answer to a consultation. The simulator (internal/simulate) draws step
// times from these measures and the re-engineering analytics
// (internal/analysis) compare them with the time each step was allotted.
package steptime

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/workcal"
)

// Task kinds beside the step kinds, as the workflow names them: a task of
// kind K on step S has the id "S.K".
const (
	KindSupplement = "supplement" // the applicant's supplement
	KindPickup     = "pickup"     // the counter pick-up of the result
	KindWithdrawal = "withdrawal" // the stop notice after a withdrawal request
)

// Outcomes the measures read in timelines; they mirror the workflows
// package's, which this package does not import for its constants alone.
const (
	OutcomeStop     = "stop"
	OutcomeReturned = "returned"
)

// Observation is one task done, read from a timeline.
type Observation struct {
	// Key is the task id without its repeat number: the step id for a
	// step's own task (and for a consultation, measured from its sending
	// to its answer), "S.supplement", "S.pickup" or "S.withdrawal" for the
	// tasks the workflow opens beside step S.
	Key string
	// Step is the step of the closing event.
	Step string
	// ClosedBy is the kind of the event that closed the task: acted,
	// supplemented, paid or consult_answered.
	ClosedBy string
	// Opened and Done are when the task opened and when it was closed.
	Opened, Done time.Time
	// Due is the due time the task was given when it opened; zero when the
	// task had none. Supplement pauses may have moved it afterwards.
	Due time.Time
	// Working is the office-hours time between Opened and Done.
	Working time.Duration
	// Allotted is the office-hours time between Opened and Due; zero
	// without a due time.
	Allotted time.Duration
	// Timeliness is how the workflow judged the closing against the due
	// time (moved by pauses); empty without a due time.
	Timeliness dossier.Timeliness
}

// TaskKey strips the repeat number from a task id: "tham_dinh#2" is
// "tham_dinh".
func TaskKey(id string) string {
	key, _, _ := strings.Cut(id, "#")
	return key
}

// TaskKind returns the kind suffix of a task key ("supplement" for
// "S.supplement"), or "" for a step's own task.
func TaskKind(key string) string {
	_, kind, _ := strings.Cut(key, ".")
	return kind
}

// Observe pairs the openings and closings of the tasks of a timeline: an
// officer's task with the next action on its step, a supplement task with
// the supplement, a pay task with the payment, a consultation with its
// answer. Tasks never closed (a supplement or payment that timed out, a
// withdrawal) are left out. The timeline may hold the events of the
// dossier's consultation children too (as the read model's DossierGet
// returns them): their tasks are measured by the consultation's sending and
// answer instead.
func Observe(cal *workcal.Calendar, events []dossier.Event) ([]Observation, error) {
	if cal == nil {
		return nil, fmt.Errorf("steptime: no working calendar to measure with")
	}
	consulted := map[string]bool{}
	for _, e := range events {
		if e.Kind == dossier.EventConsultSent {
			consulted[e.Step] = true
		}
	}
	type open struct {
		key     string
		at, due time.Time
	}
	var opens []open // tasks open, in the order they opened
	var out []Observation
	closeTask := func(e dossier.Event, match func(key string) bool) error {
		for i, o := range opens {
			if !match(o.key) {
				continue
			}
			opens = append(opens[:i], opens[i+1:]...)
			w, err := cal.WorkingTimeBetween(o.at, e.At)
			if err != nil {
				return fmt.Errorf("measuring step %s: %w", o.key, err)
			}
			ob := Observation{Key: o.key, Step: e.Step, ClosedBy: e.Kind, Opened: o.at, Done: e.At, Due: o.due, Working: w, Timeliness: e.Timeliness}
			if !o.due.IsZero() && o.due.After(o.at) {
				if ob.Allotted, err = cal.WorkingTimeBetween(o.at, o.due); err != nil {
					return fmt.Errorf("measuring the allotted time of step %s: %w", o.key, err)
				}
			}
			out = append(out, ob)
			return nil
		}
		return nil
	}
	for _, e := range events {
		if consulted[e.Step] && (e.Kind == dossier.EventTaskOpened || e.Kind == dossier.EventActed) {
			continue // the other agency's own task: measured by consult_sent → consult_answered
		}
		var err error
		switch e.Kind {
		case dossier.EventTaskOpened:
			opens = append(opens, open{key: TaskKey(e.Note), at: e.At, due: e.DueAt})
		case dossier.EventConsultSent:
			opens = append(opens, open{key: e.Step, at: e.At, due: e.DueAt})
		case dossier.EventActed:
			err = closeTask(e, func(key string) bool {
				switch TaskKind(key) {
				case "":
					return key == e.Step && e.Outcome != OutcomeStop
				case KindPickup:
					return key == e.Step+"."+KindPickup && e.Outcome == OutcomeReturned
				case KindWithdrawal:
					return key == e.Step+"."+KindWithdrawal && e.Outcome == OutcomeStop
				}
				return false
			})
		case dossier.EventSupplemented:
			err = closeTask(e, func(key string) bool { return key == e.Step+"."+KindSupplement })
		case dossier.EventPaid, dossier.EventConsultAnswered:
			err = closeTask(e, func(key string) bool { return key == e.Step })
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Summary is the mean and two nearest-rank percentiles of a set of values.
type Summary struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
}

// Summarize returns the mean and the nearest-rank median and 90th
// percentile of xs; the zero Summary when xs is empty.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	sum := 0.0
	for _, x := range sorted {
		sum += x
	}
	rank := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(sorted)))) - 1
		return sorted[min(max(i, 0), len(sorted)-1)]
	}
	return Summary{Mean: sum / float64(len(sorted)), P50: rank(0.5), P90: rank(0.9)}
}
