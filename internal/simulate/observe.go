package simulate

import (
	"fmt"
	"strings"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/workcal"
)

// observation is one task done, read from a timeline.
type observation struct {
	key        string // step id, or "S.supplement", "S.pickup"
	step       string
	opened     time.Time
	done       time.Time
	working    time.Duration // office-hours time between opened and done
	timeliness dossier.Timeliness
}

// taskKey strips the repeat number from a task id: "tham_dinh#2" is
// "tham_dinh".
func taskKey(id string) string {
	key, _, _ := strings.Cut(id, "#")
	return key
}

// taskKind returns the kind suffix of a task id ("supplement" for
// "S.supplement"), or "" for a step's own task.
func taskKind(key string) string {
	_, kind, _ := strings.Cut(key, ".")
	return kind
}

// observe pairs the openings and closings of the tasks of a timeline: an
// officer's task with the next action on its step, a supplement task with
// the supplement, a pay task with the payment, a consultation with its
// answer. Tasks never closed (a supplement or payment that timed out, a
// withdrawal) are left out. The timeline may hold the events of the
// dossier's consultation children too (as the read model's DossierGet
// returns them): their tasks are measured by the consultation's sending and
// answer instead.
func observe(cal *workcal.Calendar, events []dossier.Event) ([]observation, error) {
	consulted := map[string]bool{}
	for _, e := range events {
		if e.Kind == dossier.EventConsultSent {
			consulted[e.Step] = true
		}
	}
	type open struct {
		key string
		at  time.Time
	}
	var opens []open // tasks open, in the order they opened
	var out []observation
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
			out = append(out, observation{key: o.key, step: e.Step, opened: o.at, done: e.At, working: w, timeliness: e.Timeliness})
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
			opens = append(opens, open{key: taskKey(e.Note), at: e.At})
		case dossier.EventConsultSent:
			opens = append(opens, open{key: e.Step, at: e.At})
		case dossier.EventActed:
			err = closeTask(e, func(key string) bool {
				switch taskKind(key) {
				case "":
					return key == e.Step && e.Outcome != OutcomeStop
				case KindPickup:
					return key == e.Step+"."+KindPickup && e.Outcome == OutcomeReturned
				case "withdrawal":
					return key == e.Step+".withdrawal" && e.Outcome == OutcomeStop
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

// Outcomes the simulator reads in timelines; they mirror the workflows
// package's, which this package does not import for its constants alone.
const (
	OutcomeStop     = "stop"
	OutcomeReturned = "returned"
)

// SamplesFromTimelines reads the working time each task took in the given
// dossier timelines (the events of a dossier and of its consultation
// children, as the read model keeps them), by the keys Empirical uses. The
// result feeds NewEmpirical.
func SamplesFromTimelines(cal *workcal.Calendar, timelines ...[]dossier.Event) (map[string][]time.Duration, error) {
	if cal == nil {
		return nil, fmt.Errorf("samples from timelines: %w", errNoCalendar)
	}
	out := map[string][]time.Duration{}
	for i, tl := range timelines {
		obs, err := observe(cal, tl)
		if err != nil {
			return nil, fmt.Errorf("timeline #%d: %w", i+1, err)
		}
		for _, o := range obs {
			out[o.key] = append(out[o.key], o.working)
		}
	}
	return out, nil
}

// CheckFailRates reads, per auto step, the share of its checks that failed
// in the given timelines.
func CheckFailRates(timelines ...[]dossier.Event) map[string]float64 {
	runs, fails := map[string]int{}, map[string]int{}
	for _, tl := range timelines {
		for _, e := range tl {
			if e.Kind != dossier.EventChecked || (e.Outcome != "passed" && e.Outcome != "failed") {
				continue
			}
			runs[e.Step]++
			if e.Outcome == "failed" {
				fails[e.Step]++
			}
		}
	}
	out := make(map[string]float64, len(runs))
	for step, n := range runs {
		out[step] = float64(fails[step]) / float64(n)
	}
	return out
}

// allottedFor returns the allotted working time of the task key in a mode,
// 0 when it has none.
func allottedFor(plan *definitions.Plan, mp *definitions.ModePlan, key string) time.Duration {
	stepID, kind, _ := strings.Cut(key, ".")
	s := mp.Step(stepID)
	if s == nil {
		return 0
	}
	var d *definitions.Duration
	switch {
	case kind == KindSupplement:
		d = plan.Supplements.Within
	case kind != "":
		d = s.Within
	case s.Kind == definitions.KindPay:
		d = s.Timeout
	default:
		d = s.Within
	}
	if d == nil {
		return 0
	}
	return time.Duration(d.Hours() * float64(time.Hour))
}
