package workflows

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
)

// TestReplayCorpus replays every recorded history under testdata/replay
// against the current workflow code: a change that would break a running
// dossier fails here. Record new histories with
//
//	UPDATE_REPLAY=1 go test ./workflows -run TestRecordReplayCorpus
func TestReplayCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/replay/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "the replay corpus is empty")
	quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			replayer := worker.NewWorkflowReplayer()
			Register(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(quiet, f))
		})
	}
}

// replayGeneration prefixes the files TestRecordReplayCorpus writes. The
// histories of each earlier generation stay in the corpus: running dossiers
// started under them must still replay. v0: before
// changeBatchedSideEffects; v1: its version 1.
const replayGeneration = "v1"

// TestRecordReplayCorpus runs dossiers through every kind of step on an
// in-process Temporal server and stores their histories for
// TestReplayCorpus. It runs only with UPDATE_REPLAY set.
func TestRecordReplayCorpus(t *testing.T) {
	if os.Getenv("UPDATE_REPLAY") == "" {
		t.Skip("set UPDATE_REPLAY=1 to record the replay corpus")
	}
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	c := ts.GetDefaultClient()
	ctx := context.Background()
	attrs := map[string]enumspb.IndexedValueType{}
	for _, k := range SearchAttributes {
		attrs[k.GetName()] = enumspb.IndexedValueType(k.GetValueType())
	}
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: ts.GetDefaultNamespace(), SearchAttributes: attrs})
	require.NoError(t, err)

	rec := &recorder{checkResult: true}
	acts := &activities.Activities{Calendar: loadCalendar(t), Store: rec, Notifier: rec, Issuer: rec, Portal: rec,
		Payments: rec, Checker: rec, Postal: rec}
	queues := []string{TaskQueue}
	cat, err := catalog()
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, p := range append(cat.Plans(), planFrom(t, testDefinition)) {
		for _, a := range p.Agencies {
			if !seen[a.ID] {
				seen[a.ID] = true
				queues = append(queues, AgencyTaskQueue(a.ID))
			}
		}
	}
	for _, q := range queues {
		w := worker.New(c, q, worker.Options{})
		Register(w)
		w.RegisterActivity(acts)
		require.NoError(t, w.Start())
		t.Cleanup(w.Stop)
	}
	require.NoError(t, os.MkdirAll("testdata/replay", 0o755))

	scenarios := []struct {
		name, code, mode, channel string
		plan                      *definitions.Plan
		drive                     func(d *driver)
	}{
		{"birth-full-online", "1.001193", definitions.ModeFullOnline, "online", nil, (*driver).happy},
		{"household-business-full-online", "1.001612", definitions.ModeFullOnline, "online", nil, (*driver).happy},
		{"judicial-record-consult", "3.000333", definitions.ModeFullOnline, "online", nil, (*driver).happy},
		{"inter-agency-parallel", "9.000003", definitions.ModeFullOnline, "online", nil, (*driver).happy},
		{"land-decide-partial", "9.000002", definitions.ModePartialOnline, "in_person", nil, (*driver).happy},
		{"supplement-and-withdrawal", "", definitions.ModeFullOnline, "online", planFrom(t, testDefinition), (*driver).supplementThenWithdraw},
	}
	for i, sc := range scenarios {
		p := sc.plan
		if p == nil {
			p = examplePlan(t, sc.code)
		}
		mp := p.Mode(sc.mode)
		code := fmt.Sprintf("REPLAY-%s-%d", strings.ToUpper(strings.ReplaceAll(sc.name, "-", "")), i+1)
		in := dossier.Input{Code: code, Plan: p, Mode: sc.mode, Channel: sc.channel,
			Applicant:  dossier.Applicant{ID: "079090001234", Name: "Nguyễn Văn A"},
			Components: []dossier.ComponentRef{{ID: p.Components[0].ID, SHA256: strings.Repeat("ab", 32)}},
			Delivery:   mp.Delivery[0], ReceivedAt: time.Now()}
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: code, TaskQueue: TaskQueue}, DossierWorkflow, in)
		require.NoError(t, err)
		d := &driver{t: t, c: c, ctx: ctx, code: code, plan: p}
		sc.drive(d)
		var final dossier.State
		require.NoError(t, run.Get(ctx, &final))
		d.save(sc.name, run.GetRunID())
	}
}

// driver acts on a dossier on a real server.
type driver struct {
	t    *testing.T
	c    client.Client
	ctx  context.Context
	code string
	plan *definitions.Plan
}

func (d *driver) state(workflowID string) dossier.State {
	v, err := d.c.QueryWorkflow(d.ctx, workflowID, "", QueryState)
	require.NoError(d.t, err)
	var s dossier.State
	require.NoError(d.t, v.Get(&s))
	return s
}

func (d *driver) update(workflowID, name string, arg any) {
	h, err := d.c.UpdateWorkflow(d.ctx, client.UpdateWorkflowOptions{WorkflowID: workflowID, UpdateName: name,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	require.NoError(d.t, err)
	require.NoError(d.t, h.Get(d.ctx, nil))
}

func (d *driver) officer(role string) dossier.Actor {
	for _, r := range d.plan.Roles {
		if r.ID == role {
			return dossier.Actor{ID: "cb-" + role, Role: role, Agency: r.Agency}
		}
	}
	d.t.Fatalf("no role %q", role)
	return dossier.Actor{}
}

// happy acts with the first outcome of every task until the result is
// returned, then rates it.
func (d *driver) happy() {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		s := d.state(d.code)
		if s.Status == dossier.StatusReturned {
			d.update(d.code, UpdateRate, RateRequest{Actor: dossier.Actor{ID: "079090001234", Role: dossier.RoleApplicant}, Satisfied: true})
			return
		}
		acted := false
		for _, task := range s.OpenTasks {
			switch {
			case task.Kind == definitions.KindPay:
				d.update(d.code, UpdatePay, PayRequest{Reference: "PAY-" + d.code, Amount: s.FeesDue, Online: true})
				acted = true
			case task.Role != dossier.RoleApplicant:
				d.update(d.code, UpdateAct, ActRequest{Task: task.ID, Outcome: task.Outcomes[0], Actor: d.officer(task.Role)})
				acted = true
			}
		}
		for _, step := range s.CurrentSteps {
			child := d.code + "/" + step
			if _, err := d.c.DescribeWorkflowExecution(d.ctx, child, ""); err != nil {
				continue
			}
			for _, task := range d.state(child).OpenTasks {
				d.update(child, UpdateAct, ActRequest{Task: task.ID, Outcome: task.Outcomes[0], Actor: d.officer(task.Role)})
				acted = true
			}
		}
		if !acted {
			time.Sleep(50 * time.Millisecond)
		}
	}
	d.t.Fatalf("dossier %s did not finish in a minute: %+v", d.code, d.state(d.code))
}

// supplementThenWithdraw: accept, pay, ask for a supplement, supplement,
// then the applicant withdraws and the officer stops the dossier.
func (d *driver) supplementThenWithdraw() {
	applicant := dossier.Actor{ID: "079090001234", Role: dossier.RoleApplicant}
	d.waitTask("tiep_nhan")
	d.update(d.code, UpdateAct, ActRequest{Task: "tiep_nhan", Outcome: OutcomeAccept, Actor: d.officer("mot_cua")})
	d.waitTask("nop_phi")
	d.update(d.code, UpdatePay, PayRequest{Reference: "PAY-" + d.code, Amount: 50000, Online: true})
	d.waitTask("tham_dinh")
	d.update(d.code, UpdateAct, ActRequest{Task: "tham_dinh", Outcome: OutcomeSupplement, Items: []string{"Bản sao"}, Actor: d.officer("chuyen_vien")})
	d.waitTask("tham_dinh.supplement")
	d.update(d.code, UpdateSupplement, SupplementRequest{Actor: applicant, Components: []dossier.ComponentRef{{ID: "to_khai", SHA256: strings.Repeat("cd", 32)}}})
	d.waitTask("tham_dinh#2")
	d.update(d.code, UpdateWithdraw, WithdrawRequest{Actor: applicant, Reason: "Không còn nhu cầu"})
	d.waitTask("tiep_nhan.withdrawal")
	d.update(d.code, UpdateAct, ActRequest{Task: "tiep_nhan.withdrawal", Outcome: OutcomeStop, Actor: d.officer("mot_cua")})
}

// waitTask waits until a task with the given id is open.
func (d *driver) waitTask(id string) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, task := range d.state(d.code).OpenTasks {
			if task.ID == id {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.t.Fatalf("task %s never opened on %s: %+v", id, d.code, d.state(d.code).OpenTasks)
}

// save writes the workflow's history as JSON for the replayer.
func (d *driver) save(name, runID string) {
	iter := d.c.GetWorkflowHistory(d.ctx, d.code, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for iter.HasNext() {
		e, err := iter.Next()
		require.NoError(d.t, err)
		hist.Events = append(hist.Events, e)
	}
	out, err := temporalproto.CustomJSONMarshalOptions{Indent: " "}.Marshal(hist)
	require.NoError(d.t, err)
	require.NoError(d.t, os.WriteFile(filepath.Join("testdata", "replay", replayGeneration+"-"+name+".json"), out, 0o644))
}

// TestReplayGuardCatchesUnversionedChanges proves that the replay corpus
// guards determinism: the Dossier workflow changed to schedule one more
// timer fails to replay every dossier of the corpus, while the same change
// behind workflow.GetVersion replays them all.
func TestReplayGuardCatchesUnversionedChanges(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/replay/*.json")
	require.NoError(t, err)
	quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	unversioned := func(ctx workflow.Context, in dossier.Input) (dossier.State, error) {
		if err := workflow.Sleep(ctx, time.Second); err != nil { // a command the recorded histories lack
			return dossier.State{}, err
		}
		return Dossier(ctx, in)
	}
	versioned := func(ctx workflow.Context, in dossier.Input) (dossier.State, error) {
		if workflow.GetVersion(ctx, "replay-guard-test", workflow.DefaultVersion, 1) == 1 {
			if err := workflow.Sleep(ctx, time.Second); err != nil {
				return dossier.State{}, err
			}
		}
		return Dossier(ctx, in)
	}
	replay := func(f string, dossierFn func(workflow.Context, dossier.Input) (dossier.State, error)) error {
		replayer := worker.NewWorkflowReplayer()
		replayer.RegisterWorkflowWithOptions(dossierFn, workflow.RegisterOptions{Name: DossierWorkflow})
		replayer.RegisterWorkflowWithOptions(Consultation, workflow.RegisterOptions{Name: ConsultationWorkflow})
		return replayer.ReplayWorkflowHistoryFromJSONFile(quiet, f)
	}
	checked := 0
	for _, f := range files {
		hist, err := os.ReadFile(f)
		require.NoError(t, err)
		if !strings.Contains(string(hist), `"`+DossierWorkflow+`"`) {
			continue // a consultation's history
		}
		checked++
		err = replay(f, unversioned)
		require.Error(t, err, "%s: an unversioned change replayed without error", f)
		// TMPRL1100 is the SDK's code for a non-deterministic replay.
		msg := strings.ToLower(err.Error())
		require.True(t, strings.Contains(msg, "nondetermin") || strings.Contains(msg, "tmprl1100"), "%s: %v", f, err)
		require.NoError(t, replay(f, versioned), "%s: the change behind GetVersion", f)
	}
	require.NotZero(t, checked)
}

// TestGenerationsRecordTheSameTimelines: each scenario of the replay corpus
// ends with the same timeline in every generation of the interpreter (the
// same events, steps and statuses; events of parallel branches may come in
// another order, the order people answered in).
func TestGenerationsRecordTheSameTimelines(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/replay/v*-*.json")
	require.NoError(t, err)
	byScenario := map[string][]string{}
	for _, f := range files {
		_, scenario, _ := strings.Cut(filepath.Base(f), "-")
		byScenario[scenario] = append(byScenario[scenario], f)
	}
	require.NotEmpty(t, byScenario)
	for scenario, files := range byScenario {
		if len(files) < 2 {
			continue
		}
		want := finalTimeline(t, files[0])
		require.NotEmpty(t, want, files[0])
		for _, f := range files[1:] {
			require.ElementsMatch(t, want, finalTimeline(t, f), "%s: %s against %s", scenario, f, files[0])
		}
	}
}

// finalTimeline is the timeline of the state a recorded dossier ended
// with, one line per event.
func finalTimeline(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var h historypb.History
	require.NoError(t, temporalproto.CustomJSONUnmarshalOptions{}.Unmarshal(data, &h))
	for _, e := range h.GetEvents() {
		done := e.GetWorkflowExecutionCompletedEventAttributes()
		if done == nil {
			continue
		}
		var st dossier.State
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(done.GetResult(), &st))
		var out []string
		for _, ev := range st.Timeline {
			out = append(out, fmt.Sprintf("%s %s %d", ev.Kind, ev.Step, ev.Status))
		}
		return out
	}
	t.Fatalf("%s: the dossier did not complete", file)
	return nil
}
