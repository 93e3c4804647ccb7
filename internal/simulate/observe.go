package simulate

import (
	"fmt"
	"strings"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/steptime"
	"github.com/motcua/motcua/internal/workcal"
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
		obs, err := steptime.Observe(cal, tl)
		if err != nil {
			return nil, fmt.Errorf("timeline #%d: %w", i+1, err)
		}
		for _, o := range obs {
			out[o.Key] = append(out[o.Key], o.Working)
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
