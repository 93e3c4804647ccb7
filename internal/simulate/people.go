package simulate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sync"

	"go.temporal.io/sdk/testsuite"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/steptime"
	"github.com/motcua/motcua/workflows"
)

// world is the stand-in for everything outside one dossier's workflows: the
// read model (kept in memory), the instant external systems and the people
// who answer the tasks the projections show. Its interface methods run on
// the activity goroutines of the test environment; the answers run on its
// main loop as delayed callbacks.
type world struct {
	o     *Options
	n     int // the dossier's number, from 0
	env   *testsuite.TestWorkflowEnvironment
	in    dossier.Input
	mp    *definitions.ModePlan
	model DurationModel

	mu      sync.Mutex
	events  map[string][]dossier.Event // by workflow id: the read model's timelines
	seen    map[string]bool            // "<workflow id>/<task id>" of tasks already scheduled
	checks  map[string]int             // runs of each check, to key their draws
	updates int
	err     error // the first thing that went wrong
}

func newWorld(o *Options, n int, env *testsuite.TestWorkflowEnvironment, in dossier.Input, mp *definitions.ModePlan) *world {
	return &world{o: o, n: n, env: env, in: in, mp: mp, model: o.Durations,
		events: map[string][]dossier.Event{}, seen: map[string]bool{}, checks: map[string]int{}}
}

// rng returns the random stream of one decision of the dossier, keyed so
// that it does not depend on when or on which goroutine it is asked for.
func (w *world) rng(key string) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", w.n, key)
	return rand.New(rand.NewPCG(uint64(w.o.Seed), h.Sum64()))
}

func (w *world) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *world) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// timeline returns the read model's timeline of a workflow.
func (w *world) timeline(workflowID string) []dossier.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.events[workflowID])
}

// ProjectionApply keeps the projection's events and schedules an answer to
// every task it shows open for the first time.
func (w *world) ProjectionApply(_ context.Context, p dossier.Projection) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range p.Events {
		if evs := w.events[p.WorkflowID]; len(evs) > 0 && evs[len(evs)-1].Seq >= e.Seq {
			continue // already applied: projections are idempotent
		}
		w.events[p.WorkflowID] = append(w.events[p.WorkflowID], e)
	}
	for _, t := range p.Tasks {
		k := p.WorkflowID + "/" + t.ID
		if w.seen[k] {
			continue
		}
		w.seen[k] = true
		w.schedule(p.WorkflowID, t)
	}
	return nil
}

// schedule decides how a task will be answered and when, and registers the
// answer with the test environment. The callback is posted now, while the
// projection activity runs and the test clock stands still; it then sets a
// timer for the answer's instant.
func (w *world) schedule(workflowID string, t dossier.Task) {
	s := w.mp.Step(t.Step)
	if s == nil {
		w.err = fmt.Errorf("task %s of %s: step %q is not in mode %s", t.ID, workflowID, t.Step, w.mp.Mode)
		return
	}
	key := steptime.TaskKey(t.ID)
	step := *s
	if kind := steptime.TaskKind(key); kind != "" {
		if kind != KindSupplement && kind != KindPickup {
			return // a withdrawal's stop notice: nobody withdraws here
		}
		step.ID, step.Kind = key, kind
		if kind == KindSupplement {
			step.Within = w.in.Plan.Supplements.Within
		}
	}
	rng := w.rng(workflowID + "/" + t.ID)
	outcome := happyOutcome(s, t)
	if t.Kind == definitions.KindReception && t.ID == s.ID && rng.Float64() < w.o.SupplementRate {
		outcome = workflows.OutcomeSupplement // asked once, at the first reception
	}
	work := w.model.Draw(step, rng)
	at, err := w.o.Calendar.AddWorkingTime(t.OpenedAt, work)
	if err != nil {
		w.err = fmt.Errorf("answering task %s of %s: %w", t.ID, workflowID, err)
		return
	}
	w.env.RegisterDelayedCallback(func() {
		if d := at.Sub(w.env.Now()); d > 0 {
			w.env.RegisterDelayedCallback(func() { w.answer(workflowID, t, outcome) }, d)
			return
		}
		w.answer(workflowID, t, outcome)
	}, 0)
}

// happyOutcome is the outcome an officer takes to move the dossier on: the
// first of the step's outcomes that neither refuses nor stops it.
func happyOutcome(s *definitions.PlanStep, t dossier.Task) string {
	switch t.Kind {
	case definitions.KindReception:
		return workflows.OutcomeAccept
	case KindPickup:
		return workflows.OutcomeReturned
	case KindSupplement:
		return workflows.OutcomeSupplement
	case definitions.KindPay:
		return "paid"
	}
	for _, e := range s.Exits {
		if e.Outcome == "" || e.Target == definitions.TargetRefused || e.Target == definitions.TargetStopped {
			continue
		}
		if slices.Contains(t.Outcomes, e.Outcome) {
			return e.Outcome
		}
	}
	for _, o := range t.Outcomes {
		if o != workflows.OutcomeSupplement {
			return o
		}
	}
	return t.Outcomes[0]
}

// answer sends the task's answer, if the task is still open (a payment may
// have timed out meanwhile).
func (w *world) answer(workflowID string, t dossier.Task, outcome string) {
	v, err := w.env.QueryWorkflowByID(workflowID, workflows.QueryState)
	if err != nil {
		return // a consultation that has ended
	}
	var st dossier.State
	if err := v.Get(&st); err != nil {
		w.fail(fmt.Errorf("reading the state of %s: %w", workflowID, err))
		return
	}
	if !slices.ContainsFunc(st.OpenTasks, func(x dossier.Task) bool { return x.ID == t.ID }) {
		return
	}
	applicant := dossier.Actor{ID: w.in.Applicant.ID, Role: dossier.RoleApplicant}
	switch t.Kind {
	case KindSupplement:
		sum := sha256.Sum256([]byte(w.in.Code + "/" + t.ID))
		w.update(workflowID, workflows.UpdateSupplement, workflows.SupplementRequest{Actor: applicant,
			Components: []dossier.ComponentRef{{ID: w.in.Plan.Components[0].ID, SHA256: hex.EncodeToString(sum[:])}},
			Note:       "Bổ sung theo phiếu yêu cầu"})
	case definitions.KindPay:
		w.update(workflowID, workflows.UpdatePay, workflows.PayRequest{Reference: paymentReference(w.in.Code),
			Amount: st.FeesDue, Online: w.in.Channel == dossier.ChannelOnline})
	default:
		req := workflows.ActRequest{Task: t.ID, Outcome: outcome,
			Actor: dossier.Actor{ID: "cb-" + t.Role, Role: t.Role, Agency: t.Agency}}
		if outcome == workflows.OutcomeSupplement {
			req.Items = []string{"Bản sao giấy tờ còn thiếu (mô phỏng)"}
		}
		w.update(workflowID, workflows.UpdateAct, req)
	}
}

// update sends an update; a rejection means the simulator misread the
// workflow, and fails the run.
func (w *world) update(workflowID, name string, arg any) {
	w.updates++
	id := fmt.Sprintf("sim-%d", w.updates)
	cb := &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { w.fail(fmt.Errorf("update %s of %s was rejected: %w", name, workflowID, err)) },
		OnAccept:   func() {},
		OnComplete: func(any, error) {},
	}
	if workflowID == w.in.Code {
		w.env.UpdateWorkflow(name, id, cb, arg)
		return
	}
	if err := w.env.UpdateWorkflowByID(workflowID, name, id, cb, arg); err != nil {
		w.fail(fmt.Errorf("update %s of %s: %w", name, workflowID, err))
	}
}

func paymentReference(code string) string { return "PAY-" + code }

// Notify delivers nothing.
func (w *world) Notify(context.Context, activities.Notification) error { return nil }

// PushStatus accepts every push.
func (w *world) PushStatus(context.Context, activities.PortalStatus) error { return nil }

// RequestPayment returns an order at once.
func (w *world) RequestPayment(_ context.Context, r activities.PaymentRequest) (activities.PaymentOrder, error) {
	return activities.PaymentOrder{Reference: paymentReference(r.Code)}, nil
}

// Check passes unless the model's failure rate for the step says otherwise.
func (w *world) Check(_ context.Context, r activities.CheckRequest) (activities.CheckResult, error) {
	cm, ok := w.model.(CheckModel)
	if !ok {
		return activities.CheckResult{Passed: true}, nil
	}
	i := slices.IndexFunc(w.mp.Steps, func(s definitions.PlanStep) bool {
		return s.Kind == definitions.KindAuto && s.Check == r.Check
	})
	if i < 0 {
		return activities.CheckResult{Passed: true}, nil
	}
	w.mu.Lock()
	w.checks[r.Check]++
	key := fmt.Sprintf("check/%s/%d", r.Check, w.checks[r.Check])
	w.mu.Unlock()
	passed := w.rng(key).Float64() >= cm.FailRate(w.mp.Steps[i])
	return activities.CheckResult{Passed: passed}, nil
}

// Ship returns a tracking number at once.
func (w *world) Ship(_ context.Context, s activities.Shipment) (string, error) {
	return "SIM" + s.Code, nil
}

// Issue returns an unsigned stand-in of the result document.
func (w *world) Issue(_ context.Context, s activities.SignRequest) (dossier.Result, error) {
	return dossier.Result{Code: fmt.Sprintf("%s-KQ%d", s.Code, s.N), Kind: s.Result.Kind, Name: s.Result.Name,
		Signature: "mô phỏng", SignedBy: s.SignedBy.ID, SignedAt: s.At}, nil
}
