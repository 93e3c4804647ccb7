package analysis

import (
	"github.com/motcua/motcua/internal/charts"
	"github.com/motcua/motcua/internal/steptime"
)

// StepBars returns the bars of charts.Bottlenecks for a version: each
// agency step with an allotted time, its median working time next to its
// allotted time, labelled by step id (names are too long for an axis);
// the stop notices after withdrawals are left out.
func StepBars(v *Version) []charts.Bar {
	var out []charts.Bar
	for _, s := range v.Steps {
		if s.Applicant || s.Allotted == 0 || s.Kind == steptime.KindWithdrawal {
			continue
		}
		out = append(out, charts.Bar{Label: s.Key, Actual: s.Actual.P50, Allotted: s.Allotted})
	}
	return out
}
