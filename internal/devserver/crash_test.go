package devserver_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

// TestCrashesWithManyDossiers drives 200 dossiers (MOTCUA_CRASH_DOSSIERS)
// through `motcua dev` on its SQLite file while the process is killed with
// SIGKILL three times at random moments and started again: every dossier
// completes, every transition is in the read model exactly once, and each
// dossier has exactly one signed result.
//
// The officers and citizens of the test retry what failed while the engine
// was down with the same update IDs, so an action the engine took before
// it died is not taken twice: that is what a client of the engine must do.
func TestCrashesWithManyDossiers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills the embedded server three times")
	}
	n := 200
	if v := os.Getenv("MOTCUA_CRASH_DOSSIERS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)

	bin, plan, data, port, args := devSetup(t, "--listen", "off", "--log-level", "error")

	proc := startDev(t, bin, args...)
	c := dial(t, port, data)
	defer c.Close()

	codes := make([]string, n)
	for i := range codes {
		codes[i] = fmt.Sprintf("000.00.01.H22-261126-%04d", i+1)
	}
	began := time.Now()
	var wg sync.WaitGroup
	queue := make(chan string)
	errs := make(chan error, n)
	for range 16 {
		wg.Go(func() {
			for code := range queue {
				if err := drive(ctx, c, plan, code); err != nil {
					errs <- fmt.Errorf("dossier %s: %w", code, err)
				}
			}
		})
	}
	go func() {
		defer close(queue)
		for _, code := range codes {
			select {
			case queue <- code:
			case <-ctx.Done():
				return
			}
		}
	}()

	// Three kills at random moments while the dossiers move.
	for k := range 3 {
		select {
		case <-time.After(time.Duration(2000+rng.IntN(6000)) * time.Millisecond):
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
		require.NoError(t, proc.cmd.Process.Signal(syscall.SIGKILL))
		<-proc.exited
		t.Logf("kill -9 #%d after %s", k+1, time.Since(began).Round(time.Millisecond))
		proc = startDev(t, bin, args...)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.False(t, t.Failed())
	t.Logf("%d dossiers returned and rated in %s through 3 kills", n, time.Since(began).Round(time.Millisecond))

	st, err := store.Open(ctx, filepath.Join(data, "read.db"))
	require.NoError(t, err)
	defer st.Close()
	results, err := filepath.Glob(filepath.Join(data, "results", "*.sig.json"))
	require.NoError(t, err)
	require.Len(t, results, n, "one signed result per dossier")
	for _, code := range codes {
		var final dossier.State
		require.NoError(t, c.GetWorkflow(ctx, code, "").Get(ctx, &final))
		require.Equal(t, dossier.StatusReturned, final.Status, code)
		require.NotNil(t, final.Rating, code)
		var got dossier.State
		require.Eventually(t, func() bool {
			got, err = st.DossierGet(ctx, code)
			return err == nil && len(got.Timeline) == len(final.Timeline)
		}, time.Minute, 100*time.Millisecond, "dossier %s in the read model: %v", code, err)
		seqs := make([]int, len(got.Timeline))
		for i, e := range got.Timeline {
			seqs[i] = e.Seq
		}
		slices.Sort(seqs)
		for i, s := range seqs {
			require.Equal(t, i+1, s, "dossier %s: events %v", code, seqs)
		}
		kinds := map[string]int{}
		for _, e := range final.Timeline {
			kinds[e.Kind]++
		}
		for _, k := range []string{dossier.EventSubmitted, dossier.EventReceived, dossier.EventSigned, dossier.EventProcessed,
			dossier.EventReturned, dossier.EventRated} {
			require.Equal(t, 1, kinds[k], "dossier %s: %s events", code, k)
		}
		require.FileExists(t, filepath.Join(data, "results", final.Result.Code+".sig.json"))
	}
	require.NoError(t, proc.cmd.Process.Signal(syscall.SIGTERM))
	<-proc.exited
}

// drive submits a dossier and acts on its tasks until it is returned and
// rated, retrying through the engine's restarts. Every update has an ID of
// its own task, so a retry of one the engine already took is answered
// with its first outcome instead of acting twice.
func drive(ctx context.Context, c client.Client, plan *definitions.Plan, code string) error {
	retry := func(what string, f func() error) error {
		for {
			err := f()
			if err == nil {
				return nil
			}
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if errors.As(err, &started) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	err := retry("submitting", func() error {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: code, TaskQueue: workflows.TaskQueue}, workflows.DossierWorkflow,
			dossier.Input{Code: code, Plan: plan, Mode: "full_online", Channel: dossier.ChannelOnline, Delivery: "e_result",
				Applicant: dossier.Applicant{ID: "0790" + code[len(code)-4:] + "0000", Name: "Trần Thị B", Contact: "b@example.vn"}})
		return err
	})
	if err != nil {
		return err
	}
	for {
		var st dossier.State
		if err := retry("reading the state", func() error {
			v, err := c.QueryWorkflow(ctx, code, "", workflows.QueryState)
			if err != nil {
				return err
			}
			return v.Get(&st)
		}); err != nil {
			return err
		}
		if st.Rating != nil {
			return nil
		}
		update := func(id, name string, arg any) error {
			return retry(id, func() error {
				h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: code, UpdateID: id, UpdateName: name,
					WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{arg}})
				if err != nil {
					return err
				}
				if err := h.Get(ctx, nil); err != nil {
					var app interface{ Type() string }
					if errors.As(err, &app) {
						return nil // rejected (the task was done meanwhile): read the state again
					}
					return err
				}
				return nil
			})
		}
		switch {
		case st.Status == dossier.StatusReturned:
			if err := update(code+"/rate", workflows.UpdateRate,
				workflows.RateRequest{Actor: dossier.Actor{ID: st.Applicant.ID, Role: dossier.RoleApplicant}, Satisfied: true}); err != nil {
				return err
			}
			continue
		default:
			for _, task := range st.OpenTasks {
				if task.Role == dossier.RoleApplicant {
					continue
				}
				actor := dossier.Actor{ID: "cb-" + task.Role, Role: task.Role}
				for _, r := range plan.Roles {
					if r.ID == task.Role {
						actor.Agency = r.Agency
					}
				}
				if err := update(code+"/"+task.ID, workflows.UpdateAct,
					workflows.ActRequest{Task: task.ID, Outcome: task.Outcomes[0], Actor: actor, Note: "đồng ý"}); err != nil {
					return err
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting: %w (status %s)", ctx.Err(), st.StatusName)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
