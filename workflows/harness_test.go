package workflows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/workcal"
)

// catalog is the example catalog, loaded once.
var catalog = sync.OnceValues(func() (*definitions.Catalog, error) {
	return definitions.LoadCatalog("../definitions")
})

func loadCalendar(t testing.TB) *workcal.Calendar {
	t.Helper()
	cat, err := catalog()
	require.NoError(t, err)
	cal, err := workcal.FromCatalog(cat)
	require.NoError(t, err)
	return cal
}

// recorder keeps what the activities were asked to do: the read model's
// projections, notifications and portal pushes. It is the real
// implementation of those interfaces for workflow tests.
type recorder struct {
	mu          sync.Mutex
	projections []dossier.Projection
	notes       []activities.Notification
	portal      []activities.PortalStatus
	payments    []activities.PaymentRequest
	checks      []activities.CheckRequest
	shipments   []activities.Shipment
	checkResult bool
}

func (r *recorder) ProjectionApply(_ context.Context, p dossier.Projection) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.projections = append(r.projections, p)
	return nil
}

func (r *recorder) Notify(_ context.Context, n activities.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, n)
	return nil
}

func (r *recorder) PushStatus(_ context.Context, s activities.PortalStatus) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.portal = append(r.portal, s)
	return nil
}

func (r *recorder) RequestPayment(_ context.Context, p activities.PaymentRequest) (activities.PaymentOrder, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payments = append(r.payments, p)
	return activities.PaymentOrder{Reference: "PAY-" + p.Code, URL: "https://pay.example/" + p.Code}, nil
}

func (r *recorder) Check(_ context.Context, c activities.CheckRequest) (activities.CheckResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, c)
	return activities.CheckResult{Passed: r.checkResult}, nil
}

func (r *recorder) Ship(_ context.Context, s activities.Shipment) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shipments = append(r.shipments, s)
	return "VN" + strings.ReplaceAll(s.ResultCode, "-", ""), nil
}

// Issue hashes a JSON result document; signing proper is tested in
// internal/signing and end to end.
func (r *recorder) Issue(_ context.Context, s activities.SignRequest) (dossier.Result, error) {
	doc, _ := json.Marshal(s)
	sum := sha256.Sum256(doc)
	return dossier.Result{Code: fmt.Sprintf("%s-KQ%d", s.Code, s.N), Kind: s.Result.Kind, Name: s.Result.Name,
		SHA256: hex.EncodeToString(sum[:]), Signature: "test", SignedBy: s.SignedBy.ID, SignedAt: s.At}, nil
}

// notesTo returns the subjects of the notifications sent to a recipient.
func (r *recorder) notesTo(to string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.notes {
		if n.To == to {
			out = append(out, n.Subject)
		}
	}
	return out
}

// harness runs one dossier in the SDK's test environment with time
// skipping.
type harness struct {
	t    *testing.T
	env  *testsuite.TestWorkflowEnvironment
	rec  *recorder
	plan *definitions.Plan
	in   dossier.Input
	// rejected collects the errors of rejected updates, by a label.
	rejected map[string]error
	updates  int
}

// start is Monday 10 March 2025, 08:00 in Vietnam: an ordinary working week.
var start = time.Date(2025, 3, 10, 8, 0, 0, 0, dossier.Vietnam)

func newHarness(t *testing.T, plan *definitions.Plan, mode, channel string) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	rec := &recorder{checkResult: true}
	a := &activities.Activities{Calendar: loadCalendar(t), Store: rec, Notifier: rec, Issuer: rec, Portal: rec,
		Payments: rec, Checker: rec, Postal: rec}
	env.RegisterWorkflowWithOptions(Dossier, workflowOptions(DossierWorkflow))
	env.RegisterWorkflowWithOptions(Consultation, workflowOptions(ConsultationWorkflow))
	env.RegisterActivity(a)
	env.SetStartTime(start)
	env.SetTestTimeout(30 * time.Second)
	// The race detector on a loaded 2-core machine can hold a workflow
	// goroutine past the default 1 s deadlock detection.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 20 * time.Second})
	mp := plan.Mode(mode)
	require.NotNil(t, mp, "plan %s has no mode %s", plan.Code, mode)
	in := dossier.Input{Code: "000.00.01.H22-250310-0001", Plan: plan, Mode: mode, Channel: channel,
		Applicant:  dossier.Applicant{ID: "079090001234", Name: "Nguyễn Văn A", Contact: "a@example.vn"},
		Components: []dossier.ComponentRef{{ID: plan.Components[0].ID, SHA256: strings.Repeat("ab", 32)}},
		Delivery:   mp.Delivery[0], ReceivedAt: start}
	return &harness{t: t, env: env, rec: rec, plan: plan, in: in, rejected: map[string]error{}}
}

// planFrom compiles a definition given as text.
func planFrom(t *testing.T, text string) *definitions.Plan {
	t.Helper()
	p, diags := definitions.Load("test.yaml", []byte(text))
	require.Empty(t, diags)
	return p
}

// examplePlan loads one of the example procedures.
func examplePlan(t *testing.T, code string) *definitions.Plan {
	t.Helper()
	cat, err := catalog()
	require.NoError(t, err)
	p := cat.Plan(code)
	require.NotNil(t, p, "no example procedure %s", code)
	return p
}

// at runs fn after d of workflow time.
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

// state queries the dossier's state.
func (h *harness) state() dossier.State {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(QueryState)
	require.NoError(h.t, err)
	var s dossier.State
	require.NoError(h.t, v.Get(&s))
	return s
}

// update sends an update and records a rejection under label.
func (h *harness) update(label, name string, arg any) {
	h.updateByID(label, "", name, arg)
}

func (h *harness) updateByID(label, workflowID, name string, arg any) {
	cb := &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { h.rejected[label] = err },
		OnAccept:   func() {},
		OnComplete: func(any, error) {},
	}
	h.updates++
	id := fmt.Sprintf("%s-%d", label, h.updates)
	if workflowID == "" {
		h.env.UpdateWorkflow(name, id, cb, arg)
		return
	}
	require.NoError(h.t, h.env.UpdateWorkflowByID(workflowID, name, id, cb, arg))
}

// officer returns an actor holding the role of a step.
func (h *harness) officer(role string) dossier.Actor {
	for _, r := range h.plan.Roles {
		if r.ID == role {
			return dossier.Actor{ID: "cb-" + role, Role: role, Agency: r.Agency}
		}
	}
	h.t.Fatalf("plan has no role %q", role)
	return dossier.Actor{}
}

func (h *harness) applicant() dossier.Actor {
	return dossier.Actor{ID: h.in.Applicant.ID, Role: dossier.RoleApplicant}
}

// act acts on the open task of a step with an outcome.
func (h *harness) act(step, outcome string, opts ...func(*ActRequest)) {
	h.t.Helper()
	s := h.state()
	for _, task := range s.OpenTasks {
		if task.Step == step && task.Role != dossier.RoleApplicant {
			req := ActRequest{Task: task.ID, Outcome: outcome, Actor: h.officer(task.Role), Note: "ghi chú"}
			for _, o := range opts {
				o(&req)
			}
			h.update(step+":"+outcome, UpdateAct, req)
			return
		}
	}
	h.t.Fatalf("no open officer task of step %q at %s; open: %+v", step, h.env.Now().In(dossier.Vietnam), s.OpenTasks)
}

// run executes the dossier to its end and returns the final state.
func (h *harness) run() dossier.State {
	h.t.Helper()
	h.env.ExecuteWorkflow(DossierWorkflow, h.in)
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var s dossier.State
	require.NoError(h.t, h.env.GetWorkflowResult(&s))
	return s
}

// driveHappyPath acts on whatever opens, every hour of workflow time, with
// the first outcome of each task (accept at reception), pays, answers
// consultations and confirms counter pick-ups, until the result is
// returned; then it rates the dossier.
func (h *harness) driveHappyPath() {
	var tick func()
	tick = func() {
		s := h.state()
		if s.Status == dossier.StatusReturned {
			if s.Rating == nil {
				h.update("rate", UpdateRate, RateRequest{Actor: h.applicant(), Satisfied: true, Comment: "Tốt"})
			}
			return
		}
		for _, task := range s.OpenTasks {
			switch {
			case task.Kind == definitions.KindPay:
				h.update("pay", UpdatePay, PayRequest{Reference: "PAY-" + h.in.Code, Amount: s.FeesDue, Online: true})
			case task.Role == dossier.RoleApplicant:
			default:
				h.update("act:"+task.ID, UpdateAct, ActRequest{Task: task.ID, Outcome: task.Outcomes[0], Actor: h.officer(task.Role)})
			}
		}
		for _, step := range s.CurrentSteps {
			childID := h.in.Code + "/" + step
			v, err := h.env.QueryWorkflowByID(childID, QueryState)
			if err != nil {
				continue // not a consultation
			}
			var cs dossier.State
			require.NoError(h.t, v.Get(&cs))
			for _, task := range cs.OpenTasks {
				h.updateByID("consult:"+task.ID, childID, UpdateAct, ActRequest{Task: task.ID, Outcome: task.Outcomes[0], Actor: h.officer(task.Role)})
			}
		}
		h.at(time.Hour, tick)
	}
	h.at(time.Hour, tick)
}

// eventKinds lists the kinds of a timeline, for compact assertions.
func eventKinds(s dossier.State) []string {
	out := make([]string, len(s.Timeline))
	for i, e := range s.Timeline {
		out[i] = e.Kind
	}
	return out
}
