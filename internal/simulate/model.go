package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/steptime"
)

// Task kinds beside the step kinds, as the workflow names them: a task of
// kind K on step S has the id "S.K".
const (
	KindSupplement = steptime.KindSupplement // the applicant's supplement
	KindPickup     = steptime.KindPickup     // the counter pick-up of the result
)

// DurationModel says how long people take over a task.
//
// Draw returns WORKING time: the time spent within office hours. The
// simulator converts it to a wall-clock instant with the working calendar
// (workcal.Calendar.AddWorkingTime from the moment the task opened), so a
// task opened at 16:00 and drawn 2 working hours is answered at 09:30 the
// next working day.
//
// The step is the plan step of the task. For the tasks the workflow opens
// beside a step's own, the step is a copy whose ID is the task's ("S.supplement",
// "S.pickup") and whose Kind is KindSupplement or KindPickup; a supplement
// task's Within is the procedure's supplement window. A pay step is the
// applicant paying; a consult step is the other agency answering.
//
// A model must be safe for concurrent use: dossiers run in parallel, each
// with its own rng.
type DurationModel interface {
	Draw(step definitions.PlanStep, rng *rand.Rand) time.Duration
}

// CheckModel is implemented by a DurationModel that also knows how often an
// automated check fails. Without it every check passes.
type CheckModel interface {
	// FailRate is the probability, from 0 to 1, that the auto step fails.
	FailRate(step definitions.PlanStep) float64
}

// MinDuration is the shortest time anyone takes over a task.
const MinDuration = time.Minute

// Defaults of Allotted.
const (
	DefaultFraction        = 0.6
	DefaultSigma           = 0.5
	DefaultPayment         = time.Hour
	DefaultSupplementReply = 2 * definitions.HoursPerDay * time.Hour
	DefaultPickup          = 4 * time.Hour
	DefaultUntimed         = time.Hour
)

// Allotted draws each officer's time from a lognormal distribution whose
// median is Fraction of the step's allotted time (its within). The
// applicant's and other times have medians of their own. Every field has a
// default when zero.
type Allotted struct {
	// Fraction of the allotted time that is the median time taken.
	// Default 0.6.
	Fraction float64 `json:"fraction"`
	// Sigma is the standard deviation of the logarithm of the time taken:
	// 0.5 puts 90% of the draws between 0.44 and 2.3 times the median.
	// Default 0.5.
	Sigma float64 `json:"sigma"`
	// Payment is the median working time before the applicant pays a fee.
	// Default 1 working hour.
	Payment time.Duration `json:"payment"`
	// SupplementReply is the median working time before the applicant
	// brings a supplement. Default 2 working days.
	SupplementReply time.Duration `json:"supplement_reply"`
	// Pickup is the median working time before the applicant collects the
	// result at the counter. Default 4 working hours.
	Pickup time.Duration `json:"pickup"`
	// Untimed is the median of a step that has no allotted time. Default
	// 1 working hour.
	Untimed time.Duration `json:"untimed"`
	// CheckFailRate is the probability that an automated check fails.
	// Default 0: every check passes.
	CheckFailRate float64 `json:"check_fail_rate"`
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Median returns the median working time of a task of the step.
func (a Allotted) Median(step definitions.PlanStep) time.Duration {
	switch step.Kind {
	case definitions.KindPay:
		return orDefault(a.Payment, DefaultPayment)
	case KindSupplement:
		return orDefault(a.SupplementReply, DefaultSupplementReply)
	case KindPickup:
		return orDefault(a.Pickup, DefaultPickup)
	}
	if step.Within == nil {
		return orDefault(a.Untimed, DefaultUntimed)
	}
	return time.Duration(orDefault(a.Fraction, DefaultFraction) * step.Within.Hours() * float64(time.Hour))
}

// Draw returns the working time of a task: the median times
// exp(Sigma × a standard normal draw), at least MinDuration.
func (a Allotted) Draw(step definitions.PlanStep, rng *rand.Rand) time.Duration {
	d := float64(a.Median(step)) * math.Exp(orDefault(a.Sigma, DefaultSigma)*rng.NormFloat64())
	return max(time.Duration(d), MinDuration)
}

// FailRate returns CheckFailRate for every auto step.
func (a Allotted) FailRate(definitions.PlanStep) float64 { return a.CheckFailRate }

// String describes the model for a summary.
func (a Allotted) String() string {
	return fmt.Sprintf("lognormal, median %g × allotted time, sigma %g", orDefault(a.Fraction, DefaultFraction), orDefault(a.Sigma, DefaultSigma))
}

// Empirical resamples observed working times: a task's time is one of the
// samples of its key, drawn uniformly. The key is the task's step id, or
// "S.supplement" and "S.pickup" for the applicant's supplement and the
// counter pick-up of step S (the ids DurationModel describes). A key with
// no samples — a step the earlier versions did not have — is drawn from
// Fallback.
//
// The samples come from the history of earlier versions of the procedure:
// SamplesFromTimelines turns dossier timelines (as the read model's
// DossierGet returns them) into samples; `motcua simulate --history DSN`
// fills the model that way from the read model.
type Empirical struct {
	// ByStep holds the observed working times by key.
	ByStep map[string][]time.Duration
	// CheckFailRates holds the observed failure rate of auto steps by
	// step id; a step without one passes always.
	CheckFailRates map[string]float64
	// Fallback draws the keys without samples. Default Allotted{}.
	Fallback DurationModel
}

// NewEmpirical returns a model that resamples the given per-key working
// times, falling back to Allotted{} for keys without samples. The samples
// are copied and sorted; non-positive ones are dropped.
func NewEmpirical(byStep map[string][]time.Duration) *Empirical {
	e := &Empirical{ByStep: make(map[string][]time.Duration, len(byStep))}
	for k, ds := range byStep {
		kept := make([]time.Duration, 0, len(ds))
		for _, d := range ds {
			if d > 0 {
				kept = append(kept, d)
			}
		}
		if len(kept) > 0 {
			slices.Sort(kept)
			e.ByStep[k] = kept
		}
	}
	return e
}

// Draw resamples the step's observations, or asks Fallback when it has
// none.
func (e *Empirical) Draw(step definitions.PlanStep, rng *rand.Rand) time.Duration {
	if ds := e.ByStep[step.ID]; len(ds) > 0 {
		return max(ds[rng.IntN(len(ds))], MinDuration)
	}
	if e.Fallback != nil {
		return e.Fallback.Draw(step, rng)
	}
	return Allotted{}.Draw(step, rng)
}

// FailRate returns the observed failure rate of the step, else the
// fallback's when it is a CheckModel, else 0.
func (e *Empirical) FailRate(step definitions.PlanStep) float64 {
	if r, ok := e.CheckFailRates[step.ID]; ok {
		return r
	}
	if cm, ok := e.Fallback.(CheckModel); ok {
		return cm.FailRate(step)
	}
	return 0
}

// Keys returns the keys that have samples, sorted.
func (e *Empirical) Keys() []string {
	keys := make([]string, 0, len(e.ByStep))
	for k := range e.ByStep {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// String describes the model for a summary.
func (e *Empirical) String() string {
	n := 0
	for _, ds := range e.ByStep {
		n += len(ds)
	}
	return fmt.Sprintf("resampled history: %d observations of %d steps", n, len(e.ByStep))
}
