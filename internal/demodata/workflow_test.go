package demodata

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

// TestMatchesWorkflow is the generator's contract: a sample of generated
// dossiers covering every procedure, mode, channel, delivery and kind of
// event is run through the real Dossier workflow (the SDK's test
// environment, with time skipping), driven by the decisions the generator
// drew — the same acts at the same instants, the same check results and
// payment references — and the workflow must produce the same timeline,
// the same consultation timelines, the same final state and facts. Each
// history is also cut at a random instant: the generated dossier, still
// open then, must equal what the workflows had projected by that instant
// (events, open tasks, snapshot and facts of every workflow).
func TestMatchesWorkflow(t *testing.T) {
	t.Parallel()
	cat, cal := catalog(t)
	g, err := newGenerator(cat, cal, Options{Dossiers: 6000, Seed: 7, From: vnDate(2025, 9, 1), To: vnDate(2025, 12, 1),
		Now: vnDate(2026, 9, 1), Workers: 1})
	require.NoError(t, err)
	plans, err := g.days()
	require.NoError(t, err)

	// One dossier per combination of procedure, mode, channel, delivery
	// and set of event kinds, the rarer combinations first.
	type pick struct {
		a   arrival
		sig string
	}
	var picks []pick
	seen := map[string]bool{}
	kindsSeen := map[string]bool{}
	var next uint64
	for _, d := range plans {
		for _, a := range g.arrivals(d, &next) {
			dos, err := g.simulate(a, nil)
			require.NoError(t, err)
			st := dos.State()
			var kinds []string
			for _, p := range dos.Projections {
				for _, e := range p.Events {
					if !slices.Contains(kinds, e.Kind) {
						kinds = append(kinds, e.Kind)
					}
				}
			}
			slices.Sort(kinds)
			sig := fmt.Sprintf("%s %s %s %s %d %s", st.ProcedureCode, st.Mode, st.Channel, a.channel, st.Status, strings.Join(kinds, ","))
			newKind := false
			for _, k := range kinds {
				newKind = newKind || !kindsSeen[k]
			}
			if seen[sig] || (len(picks) >= 120 && !newKind) {
				continue
			}
			seen[sig] = true
			for _, k := range kinds {
				kindsSeen[k] = true
			}
			picks = append(picks, pick{a, sig})
		}
	}
	for _, k := range []string{dossier.EventSupplementAsked, dossier.EventSupplemented, dossier.EventWithdrawRequested,
		dossier.EventExtended, dossier.EventWarning, dossier.EventOverdue, dossier.EventConsultAnswered, dossier.EventRated,
		dossier.EventRefused, dossier.EventStopped, dossier.EventPaid, dossier.EventNotified} {
		require.True(t, kindsSeen[k], "the sample has no %s event", k)
	}
	t.Logf("running %d generated dossiers through the workflow", len(picks))
	for _, pk := range picks {
		t.Run(dossierCode(pk.a.agency, pk.a.day, pk.a.n), func(t *testing.T) {
			t.Parallel()
			replayThroughWorkflow(t, g, pk.a)
		})
	}
}

// replayThroughWorkflow runs one generated dossier through the workflow
// and compares.
func replayThroughWorkflow(t *testing.T, g *generator, a arrival) {
	sc := &script{}
	want, err := g.simulate(a, sc)
	require.NoError(t, err)
	wantState := want.State()

	// A cut in a quiet gap between two events (the test environment moves
	// its clock to a pending callback while an activity runs, so a cut
	// right after an event would land inside the workflow's next steps).
	var times []time.Time
	for _, p := range want.Projections {
		for _, e := range p.Events {
			times = append(times, e.At)
		}
	}
	slices.SortFunc(times, time.Time.Compare)
	var gaps []int
	for i := 0; i+1 < len(times); i++ {
		if times[i+1].Sub(times[i]) >= 2*time.Minute {
			gaps = append(gaps, i)
		}
	}
	cutAt := times[len(times)-1].Add(time.Hour)
	if len(gaps) > 0 {
		i := gaps[int(a.index)%len(gaps)]
		cutAt = times[i].Add(times[i+1].Sub(times[i]) / 2).Truncate(time.Second).Add(1500 * time.Microsecond)
	}
	cg := *g
	cg.cut = cutAt
	wantCut, err := cg.simulate(a, nil)
	require.NoError(t, err)

	in := dossier.Input{Code: want.Code, Plan: a.proc.plan, Mode: wantState.Mode, Channel: wantState.Channel,
		Applicant: wantState.Applicant, Form: sc.form, Components: sc.components, Delivery: sc.delivery, ReceivedAt: wantState.ReceivedAt}

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	sys := &systems{script: sc}
	acts := &activities.Activities{Calendar: g.cal, Store: sys, Notifier: sys, Issuer: sys, Payments: sys, Checker: sys, Postal: sys}
	workflows.Register(env)
	env.RegisterActivity(acts)
	env.SetStartTime(in.ReceivedAt)
	env.SetTestTimeout(2 * time.Minute)
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})

	var rejected []string
	var mu sync.Mutex
	for i, e := range sc.entries {
		e := e
		label := fmt.Sprintf("%s#%d at %s", e.Kind, i, e.At.In(dossier.Vietnam).Format(time.DateTime))
		cb := &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { mu.Lock(); rejected = append(rejected, label+": "+err.Error()); mu.Unlock() },
			OnAccept:   func() {},
			OnComplete: func(any, error) {},
		}
		applicant := dossier.Actor{ID: in.Applicant.ID, Role: dossier.RoleApplicant}
		env.RegisterDelayedCallback(func() {
			id := fmt.Sprintf("u%d", i)
			switch e.Kind {
			case "act":
				req := workflows.ActRequest{Task: e.Task, Outcome: e.Outcome, Actor: e.Actor, Note: e.Note, Items: e.Items}
				if e.Workflow != "" {
					require.NoError(t, env.UpdateWorkflowByID(e.Workflow, workflows.UpdateAct, id, cb, req))
					return
				}
				env.UpdateWorkflow(workflows.UpdateAct, id, cb, req)
			case "supplement":
				env.UpdateWorkflow(workflows.UpdateSupplement, id, cb, workflows.SupplementRequest{Actor: applicant, Components: e.Components, Note: e.Note})
			case "pay":
				env.UpdateWorkflow(workflows.UpdatePay, id, cb, workflows.PayRequest{Reference: e.Reference, Amount: e.Amount, Online: e.Online})
			case "withdraw":
				env.UpdateWorkflow(workflows.UpdateWithdraw, id, cb, workflows.WithdrawRequest{Actor: applicant, Reason: e.Reason})
			case "extend":
				env.UpdateWorkflow(workflows.UpdateExtend, id, cb, workflows.ExtendRequest{Actor: e.Actor, NewAppointment: e.NewAppointment, Reason: e.Reason})
			case "rate":
				env.UpdateWorkflow(workflows.UpdateRate, id, cb, workflows.RateRequest{Actor: applicant, Satisfied: e.Satisfied, Comment: e.Comment})
			default:
				t.Errorf("unknown script entry %q", e.Kind)
			}
		}, e.At.Sub(in.ReceivedAt))
	}
	var atCut []dossier.Projection
	env.RegisterDelayedCallback(func() {
		sys.mu.Lock()
		defer sys.mu.Unlock()
		atCut = slices.Clone(sys.projections)
	}, cutAt.Sub(in.ReceivedAt))
	env.ExecuteWorkflow(workflows.DossierWorkflow, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Empty(t, rejected, "the workflow refused what the generator did")
	var got dossier.State
	require.NoError(t, env.GetWorkflowResult(&got))

	require.Equal(t, events(want.Projections[0].Events), events(got.Timeline), "timeline of %s", want.Code)
	require.Equal(t, snapshot(*wantState), snapshot(got), "final state of %s", want.Code)

	// The consultations' timelines and the last facts, from the projections.
	sys.mu.Lock()
	defer sys.mu.Unlock()
	gotEvents := map[string][]dossier.Event{}
	var lastFacts dossier.Facts
	for _, p := range sys.projections {
		gotEvents[p.WorkflowID] = append(gotEvents[p.WorkflowID], p.Events...)
		if p.WorkflowID == want.Code {
			lastFacts = p.Facts
		}
	}
	require.Len(t, gotEvents, len(want.Projections), "workflows of %s", want.Code)
	for _, p := range want.Projections[1:] {
		require.Equal(t, events(p.Events), events(gotEvents[p.WorkflowID]), "timeline of consultation %s", p.WorkflowID)
	}
	require.Equal(t, want.Projections[0].Facts, lastFacts, "facts of %s", want.Code)

	// At the cut: what the read model held then.
	cutAt = cutAt.In(dossier.Vietnam)
	type flowAt struct {
		events []event
		tasks  []openTask
		seq    int
	}
	gotAt := map[string]*flowAt{}
	var gotSnap *dossier.State
	var gotFacts dossier.Facts
	var order []string
	for _, p := range atCut {
		f := gotAt[p.WorkflowID]
		if f == nil {
			f = &flowAt{}
			gotAt[p.WorkflowID] = f
			order = append(order, p.WorkflowID)
		}
		f.events = append(f.events, events(p.Events)...)
		f.tasks, f.seq = tasks(p.Tasks), p.Seq
		if p.Snapshot != nil {
			gotSnap, gotFacts = p.Snapshot, p.Facts
		}
	}
	require.Len(t, order, len(wantCut.Projections), "workflows of %s at %s", want.Code, cutAt)
	for _, p := range wantCut.Projections {
		f := gotAt[p.WorkflowID]
		require.NotNil(t, f, "workflow %s at %s", p.WorkflowID, cutAt)
		require.Equal(t, events(p.Events), f.events, "events of %s at %s", p.WorkflowID, cutAt)
		require.Equal(t, tasks(p.Tasks), f.tasks, "open tasks of %s at %s", p.WorkflowID, cutAt)
		require.Equal(t, p.Seq, f.seq, "sequence of %s at %s", p.WorkflowID, cutAt)
	}
	require.NotNil(t, gotSnap)
	require.Equal(t, snapshot(*wantCut.State()), snapshot(*gotSnap), "state of %s at %s", want.Code, cutAt)
	require.Equal(t, wantCut.Projections[0].Facts, gotFacts, "facts of %s at %s", want.Code, cutAt)
}

// task is an open task with its times in UTC, for comparison.
type openTask struct {
	ID, Step, Kind, Name, Role, Agency string
	Outcomes                           []string
	OpenedAt, DueAt                    string
}

func tasks(ts []dossier.Task) []openTask {
	out := make([]openTask, len(ts))
	for i, t := range ts {
		out[i] = openTask{ID: t.ID, Step: t.Step, Kind: t.Kind, Name: t.Name, Role: t.Role, Agency: t.Agency,
			Outcomes: t.Outcomes, OpenedAt: utc(t.OpenedAt), DueAt: utc(t.DueAt)}
	}
	return out
}

// systems stands for what surrounds the workflow, answering as the
// generator drew: the read model, notifications, results, payments, checks
// and the post.
type systems struct {
	mu          sync.Mutex
	script      *script
	projections []dossier.Projection
	issued      int
	paid        int
	checked     int
}

func (s *systems) ProjectionApply(_ context.Context, p dossier.Projection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projections = append(s.projections, p)
	return nil
}

func (s *systems) Notify(context.Context, activities.Notification) error { return nil }

func (s *systems) Issue(_ context.Context, r activities.SignRequest) (dossier.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issued >= len(s.script.results) {
		return dossier.Result{}, fmt.Errorf("result %d of %s was not generated", r.N, r.Code)
	}
	res := s.script.results[s.issued]
	s.issued++
	return res, nil
}

func (s *systems) RequestPayment(_ context.Context, r activities.PaymentRequest) (activities.PaymentOrder, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paid >= len(s.script.payRefs) {
		return activities.PaymentOrder{}, fmt.Errorf("payment %d of %s was not generated", s.paid+1, r.Code)
	}
	ref := s.script.payRefs[s.paid]
	s.paid++
	return activities.PaymentOrder{Reference: ref}, nil
}

func (s *systems) Check(_ context.Context, r activities.CheckRequest) (activities.CheckResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checked >= len(s.script.checks) {
		return activities.CheckResult{}, fmt.Errorf("check %s of %s was not generated", r.Check, r.Code)
	}
	c := s.script.checks[s.checked]
	s.checked++
	return activities.CheckResult{Passed: c.Passed, Note: c.Note}, nil
}

func (s *systems) Ship(_ context.Context, sh activities.Shipment) (string, error) {
	return "VN" + strings.ReplaceAll(sh.ResultCode, "-", ""), nil
}

// event is an event with its times in UTC, for comparison.
type event struct {
	Seq                 int
	At, DueAt           string
	Kind, Step, Outcome string
	Actor               dossier.Actor
	Note                string
	Status              dossier.Status
	Timeliness          dossier.Timeliness
}

func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func events(es []dossier.Event) []event {
	out := make([]event, len(es))
	for i, e := range es {
		out[i] = event{Seq: e.Seq, At: utc(e.At), DueAt: utc(e.DueAt), Kind: e.Kind, Step: e.Step, Outcome: e.Outcome,
			Actor: e.Actor, Note: e.Note, Status: e.Status, Timeliness: e.Timeliness}
	}
	return out
}

// snapshot is what a final state holds besides its timeline, times in UTC.
func snapshot(s dossier.State) map[string]any {
	m := map[string]any{
		"code": s.Code, "procedure": s.ProcedureCode, "plan": s.PlanHash, "mode": s.Mode, "channel": s.Channel,
		"agency": s.Agency, "applicant": s.Applicant, "components": s.Components, "status": s.Status,
		"received": utc(s.ReceivedAt), "accepted": utc(s.AcceptedAt), "appointment": utc(s.AppointmentAt),
		"original": utc(s.OriginalAppointmentAt), "extended": s.Extended, "steps": s.CurrentSteps,
		"tasks": tasks(s.OpenTasks), "paused": s.Paused, "paused_since": utc(s.PausedSince), "paused_total": s.PausedTotal,
		"supplements": s.Supplements, "fees": s.FeesDue, "paid_online": s.PaidOnline, "finished": utc(s.FinishedAt),
		"returned": utc(s.ReturnedAt), "timeliness": s.Timeliness,
	}
	if r := s.Result; r != nil {
		m["result"] = []any{r.Code, r.Kind, r.Name, r.SHA256, r.SignedBy, utc(r.SignedAt), r.Delivery, r.Refusal}
	}
	if r := s.Rating; r != nil {
		m["rating"] = []any{r.Satisfied, r.Comment, utc(r.At)}
	}
	return m
}

func vnDate(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, dossier.Vietnam)
}
