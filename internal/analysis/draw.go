package analysis

import (
	"fmt"
	"io"

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

// StepsVersion returns the version whose steps DrawSteps draws: the later
// version of the comparison, or the last version when there is none; nil
// for an analysis without versions.
func StepsVersion(a *Analysis) *Version {
	if a.Comparison != nil {
		if v := a.Version(a.Comparison.After); v != nil {
			return v
		}
	}
	if len(a.Versions) == 0 {
		return nil
	}
	return &a.Versions[len(a.Versions)-1]
}

// stepsTitle is the title of the steps chart of version v of a's
// procedure, in Vietnamese.
func stepsTitle(a *Analysis, v *Version) string {
	return fmt.Sprintf("Thủ tục %s, phiên bản %s: thời gian từng bước", a.Procedure, v.Version)
}

// DrawSteps draws the steps chart of an analysis as svg or png: for the
// version StepsVersion picks, each step's median working time next to its
// allotted time (StepBars). It is the chart of `motcua analyze --chart`,
// GET /v1/procedures/{code}/analysis/chart and the console's analysis
// page. A version without a step to draw is an error wrapping
// charts.ErrNoData, which names the version.
func DrawSteps(w io.Writer, format string, a *Analysis) error {
	v := StepsVersion(a)
	if v == nil {
		return fmt.Errorf("the analysis of %s has no version to draw: %w", a.Procedure, charts.ErrNoData)
	}
	bars := StepBars(v)
	if len(bars) == 0 {
		return fmt.Errorf("version %s of %s has no step with an allotted time to draw: %w", v.Version, a.Procedure, charts.ErrNoData)
	}
	if err := charts.Bottlenecks(w, format, stepsTitle(a, v), bars); err != nil {
		return fmt.Errorf("drawing the steps of version %s of %s: %w", v.Version, a.Procedure, err)
	}
	return nil
}
