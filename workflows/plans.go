package workflows

import (
	"sync"

	"github.com/motcua/motcua/definitions"
)

// plans keeps one copy of each plan the dossiers of this worker process
// run, by hash. Every dossier carries its plan in its input, so a worker
// holding thousands of open dossiers of a procedure would otherwise hold as
// many decoded copies of the same plan (about 14 KiB each for a six-step
// procedure, by `motcua bench --worker-memprofile`). Plans are read-only
// to the workflows, so dossiers share them.
var plans sync.Map // hash → *definitions.Plan

// sharedPlan returns the copy of p that dossiers share: the first one
// seen with p's hash. A plan whose hash does not match its content (changed
// after it was compiled, or compiled by a version that encodes plans
// differently) is never shared: its dossier keeps its own copy, so every
// worker runs it the same way.
//
// The copy it replaces is emptied: the SDK keeps the workflow's decoded
// arguments, and with them that copy, for as long as the workflow runs, and
// nothing reads it once the dossier holds the shared one.
func sharedPlan(p *definitions.Plan) *definitions.Plan {
	if p == nil || !p.HashValid() {
		return p
	}
	v, _ := plans.LoadOrStore(p.Hash, p)
	shared := v.(*definitions.Plan)
	if shared != p {
		*p = definitions.Plan{}
	}
	return shared
}
