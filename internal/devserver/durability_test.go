package devserver_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/codec"
	"github.com/motcua/motcua/internal/devenv"
	"github.com/motcua/motcua/internal/devserver"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

// devProcess is a `motcua dev` subprocess.
type devProcess struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	output strings.Builder
	exited chan error
}

func (p *devProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

// startDev runs `motcua dev` and waits until it says it is running.
func startDev(t *testing.T, bin string, args ...string) *devProcess {
	t.Helper()
	began := time.Now()
	p := &devProcess{cmd: exec.Command(bin, append([]string{"dev"}, args...)...), exited: make(chan error, 1)}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	require.NoError(t, p.cmd.Start())
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.output.WriteString(line + "\n")
			p.mu.Unlock()
			if strings.HasPrefix(line, "motcua dev is running") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() {
		err := p.cmd.Wait()
		pw.Close()
		p.exited <- err
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
		}
	})
	select {
	case <-ready:
		t.Logf("motcua dev ready in %s (wall clock, process start to summary)", time.Since(began).Round(time.Millisecond))
	case err := <-p.exited:
		t.Fatalf("motcua dev exited early: %v\n%s", err, p.log())
	case <-time.After(3 * time.Minute):
		t.Fatalf("motcua dev did not start:\n%s", p.log())
	}
	return p
}

// TestDurabilityAcrossKill starts dossiers on `motcua dev`, kills the process
// with SIGKILL mid-way, starts it again on the same folder and finishes every
// dossier; the read model must hold each transition exactly once.
func TestDurabilityAcrossKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the embedded server twice")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	began := time.Now()
	bin, plan, data, port, args := devSetup(t, "--log-level", "warn")

	first := startDev(t, bin, args...)
	require.FileExists(t, filepath.Join(data, devserver.DatabaseFile))
	c := dial(t, port, data)

	// Five dossiers, left at different points: 0 just submitted, 1 received,
	// 2 past the review, 3 and 4 signed.
	codes := make([]string, 5)
	for i := range codes {
		codes[i] = fmt.Sprintf("000.00.01.H22-261125-%04d", i+1)
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: codes[i], TaskQueue: workflows.TaskQueue},
			workflows.DossierWorkflow, dossier.Input{
				Code: codes[i], Plan: plan, Mode: "full_online", Channel: dossier.ChannelOnline, Delivery: "e_result",
				Applicant: dossier.Applicant{ID: fmt.Sprintf("07909000%04d", i), Name: "Nguyễn Văn A", Contact: "a@example.vn"},
			})
		require.NoError(t, err)
	}
	for i, code := range codes {
		for n := 0; n < i && n < 3; n++ {
			actOnce(ctx, t, c, plan, code)
		}
	}
	c.Close()

	// kill -9, mid-way.
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	<-first.exited

	second := startDev(t, bin, args...)
	c = dial(t, port, data)
	defer c.Close()
	finals := map[string]dossier.State{}
	for _, code := range codes {
		finals[code] = finish(ctx, t, c, plan, code)
	}
	t.Logf("all %d dossiers returned and rated after %s", len(codes), time.Since(began).Round(time.Millisecond))

	// The read model, opened beside the running process (SQLite WAL).
	st, err := store.Open(ctx, filepath.Join(data, "read.db"))
	require.NoError(t, err)
	defer st.Close()
	for _, code := range codes {
		final := finals[code]
		var got dossier.State
		require.Eventually(t, func() bool {
			got, err = st.DossierGet(ctx, code)
			return err == nil && got.Rating != nil && len(got.Timeline) == len(final.Timeline)
		}, time.Minute, 200*time.Millisecond, "dossier %s in the read model: %v %+v", code, err, got)
		require.Equal(t, dossier.StatusReturned, got.Status)

		seqs := make([]int, len(got.Timeline))
		for i, e := range got.Timeline {
			seqs[i] = e.Seq
		}
		slices.Sort(seqs)
		for i, s := range seqs {
			require.Equal(t, i+1, s, "dossier %s: events %v", code, seqs)
		}
		n, err := st.EventCount(ctx, code)
		require.NoError(t, err)
		require.Equal(t, len(final.Timeline), n, "dossier %s", code)
		mark, ok, err := st.ProjectionMark(ctx, code)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, len(final.Timeline), mark)

		// Each transition once, as the workflow recorded it.
		bySeq := map[int]dossier.Event{}
		for _, e := range got.Timeline {
			bySeq[e.Seq] = e
		}
		for _, e := range final.Timeline {
			require.Equal(t, e.Kind, bySeq[e.Seq].Kind, "dossier %s event %d", code, e.Seq)
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

	// No personal data rests in plaintext in Temporal's database: the
	// payload codec sealed the applicants' identity numbers, names and
	// contacts in every history (the read model keeps what inboxes need).
	for _, f := range []string{devserver.DatabaseFile, devserver.DatabaseFile + "-wal"} {
		raw, err := os.ReadFile(filepath.Join(data, f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		require.NoError(t, err)
		require.Greater(t, len(raw), 10_000, "%s holds the histories", f)
		for i := range codes {
			id := fmt.Sprintf("07909000%04d", i)
			require.False(t, bytes.Contains(raw, []byte(id)), "%s holds the identity number %s in plaintext", f, id)
		}
		for _, s := range []string{"Nguyễn Văn A", "a@example.vn"} {
			require.False(t, bytes.Contains(raw, []byte(s)), "%s holds %q in plaintext", f, s)
		}
		require.True(t, bytes.Contains(raw, []byte(codes[0])), "%s: the dossier codes (workflow ids) are not personal and stay readable", f)
	}

	// Ctrl-C stops it cleanly.
	require.NoError(t, second.cmd.Process.Signal(os.Interrupt))
	select {
	case err := <-second.exited:
		require.NoError(t, err, "%s", second.log())
	case <-time.After(time.Minute):
		t.Fatalf("motcua dev did not stop on SIGINT:\n%s", second.log())
	}
	require.Contains(t, second.log(), "stopped")
}

// devSetup builds the binary and picks what a `motcua dev` of a test runs
// with: the birth registration's plan, a data folder, a free frontend port
// and the arguments (no Web UI), extra ones appended.
func devSetup(t *testing.T, extra ...string) (bin string, plan *definitions.Plan, data string, port int, args []string) {
	t.Helper()
	bin = buildMotcua(t)
	defs, err := filepath.Abs("../../definitions")
	require.NoError(t, err)
	cat, err := definitions.LoadCatalog(defs)
	require.NoError(t, err)
	plan = cat.Plan("1.001193")
	data = t.TempDir()
	port, err = devserver.FreePort()
	require.NoError(t, err)
	args = append([]string{"--data", data, "--port", strconv.Itoa(port), "--ui-port", "0", "--definitions", defs}, extra...)
	return bin, plan, data, port, args
}

// buildMotcua builds the motcua binary into a temporary folder.
func buildMotcua(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "motcua")
	began := time.Now()
	out, err := exec.Command("go", "build", "-o", bin, "github.com/motcua/motcua/cmd/motcua").CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Logf("go build: %s", time.Since(began).Round(time.Millisecond))
	return bin
}

// dial connects with the payload codec of the data folder, as every
// client of the engine must.
func dial(t *testing.T, port int, data string) client.Client {
	t.Helper()
	ring, err := codec.LoadKeyFile(filepath.Join(data, devenv.CodecKeysFile))
	require.NoError(t, err)
	c, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", port), DataConverter: codec.DataConverter(ring),
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	require.NoError(t, err)
	return c
}

// actOnce waits for an open officer task of the dossier and acts on it
// with its first outcome.
func actOnce(ctx context.Context, t *testing.T, c client.Client, plan *definitions.Plan, code string) {
	t.Helper()
	for {
		st := state(ctx, t, c, code)
		for _, task := range st.OpenTasks {
			if task.Role != dossier.RoleApplicant {
				act(ctx, t, c, plan, code, task)
				return
			}
		}
		wait(ctx, t, code)
	}
}

// finish acts on every open task until the result is returned, rates the
// dossier and returns its final state.
func finish(ctx context.Context, t *testing.T, c client.Client, plan *definitions.Plan, code string) dossier.State {
	t.Helper()
	for {
		st := state(ctx, t, c, code)
		if st.Status == dossier.StatusReturned {
			h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: code, UpdateName: workflows.UpdateRate,
				WaitForStage: client.WorkflowUpdateStageCompleted,
				Args:         []any{workflows.RateRequest{Actor: dossier.Actor{ID: st.Applicant.ID, Role: dossier.RoleApplicant}, Satisfied: true}}})
			require.NoError(t, err)
			require.NoError(t, h.Get(ctx, nil))
			break
		}
		for _, task := range st.OpenTasks {
			if task.Role != dossier.RoleApplicant {
				act(ctx, t, c, plan, code, task)
			}
		}
		wait(ctx, t, code)
	}
	var final dossier.State
	require.NoError(t, c.GetWorkflow(ctx, code, "").Get(ctx, &final))
	return final
}

func act(ctx context.Context, t *testing.T, c client.Client, plan *definitions.Plan, code string, task dossier.Task) {
	t.Helper()
	actor := dossier.Actor{ID: "cb-" + task.Role, Role: task.Role}
	for _, r := range plan.Roles {
		if r.ID == task.Role {
			actor.Agency = r.Agency
		}
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: code, UpdateName: workflows.UpdateAct,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{workflows.ActRequest{Task: task.ID, Outcome: task.Outcomes[0], Actor: actor, Note: "đồng ý"}}})
	require.NoError(t, err, "dossier %s task %s", code, task.ID)
	require.NoError(t, h.Get(ctx, nil), "dossier %s task %s", code, task.ID)
}

func state(ctx context.Context, t *testing.T, c client.Client, code string) dossier.State {
	t.Helper()
	v, err := c.QueryWorkflow(ctx, code, "", workflows.QueryState)
	require.NoError(t, err, "querying %s", code)
	var st dossier.State
	require.NoError(t, v.Get(&st))
	return st
}

func wait(ctx context.Context, t *testing.T, code string) {
	select {
	case <-ctx.Done():
		t.Fatalf("dossier %s: %v", code, ctx.Err())
	case <-time.After(100 * time.Millisecond):
	}
}
