package demodata

import (
	"time"

	"github.com/motcua/motcua/internal/dossier"
)

// script is what the people of a simulated dossier did and what the
// systems around it answered, in order: enough to drive the real workflow
// through the same history (TestMatchesWorkflow). It is only kept when
// asked for; a nil script records nothing.
type script struct {
	// What the dossier was submitted with.
	form       map[string]any
	delivery   string
	components []dossier.ComponentRef

	entries []entry
	checks  []check
	payRefs []string
	results []dossier.Result
}

// entry is one thing a person did.
type entry struct {
	At   time.Time
	Kind string // act, supplement, pay, withdraw, extend, rate
	// Workflow is the consultation's workflow id for an act on it, empty
	// for the dossier's own.
	Workflow       string
	Task           string
	Outcome        string
	Actor          dossier.Actor
	Note           string
	Items          []string
	Components     []dossier.ComponentRef
	Reference      string
	Amount         int64
	Online         bool
	Reason         string
	NewAppointment time.Time
	Satisfied      bool
	Comment        string
}

// check is the answer of an automated check.
type check struct {
	Passed bool
	Note   string
}

func (sc *script) add(e entry) {
	if sc != nil {
		sc.entries = append(sc.entries, e)
	}
}

func (sc *script) act(at time.Time, f *flow, t *task, actor dossier.Actor, outcome, note string, items []string) {
	if sc == nil {
		return
	}
	e := entry{At: at, Kind: "act", Task: t.ID, Outcome: outcome, Actor: actor, Note: note, Items: items}
	if f.child {
		e.Workflow = f.id
	}
	sc.add(e)
}

func (sc *script) check(passed bool, note string) {
	if sc != nil {
		sc.checks = append(sc.checks, check{Passed: passed, Note: note})
	}
}

func (sc *script) payRef(ref string) {
	if sc != nil {
		sc.payRefs = append(sc.payRefs, ref)
	}
}

func (sc *script) result(r dossier.Result) {
	if sc != nil {
		sc.results = append(sc.results, r)
	}
}
