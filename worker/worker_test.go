package worker_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/temporaltest"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/devserver"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestBirthRegistrationEndToEnd runs a birth registration (full online)
// on a real Temporal server with the real activities: SQLite read model,
// agency certificate, signed results, and the development stand-in of the
// population check.
func TestBirthRegistrationEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	began := time.Now()
	ts := temporaltest.NewServer(temporaltest.WithT(t),
		temporaltest.WithBaseClientOptions(client.Options{Logger: sdklog.NewStructuredLogger(quiet)}))
	c := ts.GetDefaultClient()
	_, err := devserver.RegisterSearchAttributes(ctx, c, ts.GetDefaultNamespace(), workflows.SearchAttributes)
	require.NoError(t, err)
	t.Logf("test server up in %s", time.Since(began).Round(time.Millisecond))

	cat, err := definitions.LoadCatalog("../definitions")
	require.NoError(t, err)
	dir := t.TempDir()
	built, err := worker.Build(ctx, worker.Config{Catalog: cat, DataDir: dir, DevServices: true, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, built.Close()) })
	require.Equal(t, filepath.Join(dir, worker.ReadModelDB), built.ReadModel)

	w, err := worker.New(c, worker.Deps{Activities: built.Activities, Catalog: cat},
		worker.Options{DeadlockDetectionTimeout: 20 * time.Second})
	require.NoError(t, err)
	require.Contains(t, w.TaskQueues(), workflows.TaskQueue)
	require.Contains(t, w.TaskQueues(), workflows.AgencyTaskQueue("ubnd_xa"))
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	plan := cat.Plan("1.001193")
	require.NotNil(t, plan)
	code := "000.00.01.H22-261125-0001"
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: code, TaskQueue: workflows.TaskQueue},
		workflows.DossierWorkflow, dossier.Input{
			Code: code, Plan: plan, Mode: "full_online", Channel: dossier.ChannelOnline, Delivery: "e_result",
			Applicant:  dossier.Applicant{ID: "079090001234", Name: "Nguyễn Văn A", Contact: "a@example.vn"},
			Components: []dossier.ComponentRef{{ID: plan.Components[0].ID, SHA256: fmt.Sprintf("%064x", 1)}},
		})
	require.NoError(t, err)

	final := drive(ctx, t, c, plan, run)
	require.Equal(t, dossier.StatusReturned, final.Status)
	require.NotNil(t, final.Result)
	t.Logf("dossier returned after %s", time.Since(began).Round(time.Millisecond))

	// The read model catches up with the last projection.
	var got dossier.State
	require.Eventually(t, func() bool {
		got, err = built.Store.DossierGet(ctx, code)
		return err == nil && got.Status == dossier.StatusReturned && got.Rating != nil
	}, 30*time.Second, 100*time.Millisecond, "read model: %+v %v", got, err)
	require.Equal(t, len(final.Timeline), len(got.Timeline))
	require.Empty(t, got.OpenTasks)

	// The result is signed with the agency's certificate, on disk.
	doc := filepath.Join(dir, worker.ResultsDir, final.Result.Code+".json")
	sig := filepath.Join(dir, worker.ResultsDir, final.Result.Code+".sig.json")
	roots, err := signing.LoadRoots(built.Certificate)
	require.NoError(t, err)
	v, err := signing.VerifyFiles(doc, sig, roots)
	require.NoError(t, err)
	t.Logf("result %s signed by %v", final.Result.Code, v)
}

// drive acts on every open officer task with its first outcome until the
// result is returned, rates the dossier and waits for the workflow's end.
func drive(ctx context.Context, t *testing.T, c client.Client, plan *definitions.Plan, run client.WorkflowRun) dossier.State {
	t.Helper()
	id := run.GetID()
	for {
		st := queryState(ctx, t, c, id)
		if st.Status == dossier.StatusReturned {
			_, err := update(ctx, c, id, workflows.UpdateRate, workflows.RateRequest{
				Actor: dossier.Actor{ID: st.Applicant.ID, Role: dossier.RoleApplicant}, Satisfied: true})
			require.NoError(t, err)
			break
		}
		for _, task := range st.OpenTasks {
			if task.Role == dossier.RoleApplicant {
				continue
			}
			_, err := update(ctx, c, id, workflows.UpdateAct, workflows.ActRequest{
				Task: task.ID, Outcome: task.Outcomes[0], Actor: officer(t, plan, task.Role), Note: "đồng ý"})
			require.NoError(t, err, "acting on %s", task.ID)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("dossier %s did not finish: %+v", id, st)
		case <-time.After(100 * time.Millisecond):
		}
	}
	var final dossier.State
	require.NoError(t, run.Get(ctx, &final))
	return final
}

func queryState(ctx context.Context, t *testing.T, c client.Client, id string) dossier.State {
	t.Helper()
	v, err := c.QueryWorkflow(ctx, id, "", workflows.QueryState)
	require.NoError(t, err)
	var st dossier.State
	require.NoError(t, v.Get(&st))
	return st
}

func update(ctx context.Context, c client.Client, id, name string, arg any) (dossier.State, error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{arg}})
	if err != nil {
		return dossier.State{}, err
	}
	var st dossier.State
	return st, h.Get(ctx, &st)
}

// officer is an actor holding a role of the plan at its agency.
func officer(t *testing.T, plan *definitions.Plan, role string) dossier.Actor {
	for _, r := range plan.Roles {
		if r.ID == role {
			return dossier.Actor{ID: "cb-" + role, Role: role, Agency: r.Agency}
		}
	}
	t.Fatalf("plan %s has no role %q", plan.Code, role)
	return dossier.Actor{}
}
