package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/motcua/motcua/internal/api"
	"github.com/motcua/motcua/internal/bench/handwritten"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

// BenchmarkOfficerActionRoundTrip measures an officer's action through
// the API (HTTP → authentication → access check → service → Temporal
// Update on the dossier → answer with the new state) against a raw
// Temporal Update on a no-op workflow, on the same embedded server, in
// the same run, alternating one of each. Each iteration accepts a fresh
// dossier waiting at reception. It reports the p50 and p99 latency of
// both and their ratios, and, to show where the time goes, the same
// acceptance sent as a raw Update straight to another dossier's workflow
// (dossier-update-*). Run:
//
//	go test ./internal/api -run '^$' -bench OfficerActionRoundTrip -benchtime 200x -count 5
func BenchmarkOfficerActionRoundTrip(b *testing.B) {
	e := start(b)
	ctx := context.Background()
	w := sdkworker.New(e.engine.Client, "bench-noop", sdkworker.Options{})
	handwritten.Register(w) // its Noop workflow: the floor of an Update round trip
	require.NoError(b, w.Start())
	b.Cleanup(w.Stop)
	_, err := e.engine.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-noop", TaskQueue: "bench-noop"}, handwritten.NoopWorkflowName)
	require.NoError(b, err)
	raw := func(i int) {
		h, err := e.engine.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: "bench-noop", UpdateName: handwritten.NoopUpdate,
			UpdateID: fmt.Sprintf("noop-%d-%d", b.N, i), Args: []any{i}, WaitForStage: client.WorkflowUpdateStageCompleted})
		require.NoError(b, err)
		var n int
		require.NoError(b, h.Get(ctx, &n))
	}
	raw(-1) // warm up

	// Dossiers waiting at reception, two per iteration, in the read model.
	codes := make([]string, b.N)
	direct := make([]string, b.N)
	for i := range codes {
		codes[i], direct[i] = e.submitted().Code, e.submitted().Code
	}
	for i := range codes {
		e.waitInbox(codes[i], "tiep_nhan")
		e.waitInbox(direct[i], "tiep_nhan")
	}
	var apiTimes, rawTimes, dossierTimes []time.Duration
	b.ResetTimer()
	for i, code := range codes {
		began := time.Now()
		a := e.postJSON(dossierPath(code, "/actions"), tokMotCua, api.ActBody{Task: "tiep_nhan", Outcome: "accept"})
		apiTimes = append(apiTimes, time.Since(began))
		if a.status != http.StatusOK {
			b.Fatalf("accepting %s: %d %s", code, a.status, a.body)
		}
		began = time.Now()
		raw(i)
		rawTimes = append(rawTimes, time.Since(began))
		began = time.Now()
		h, err := e.engine.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: direct[i], UpdateName: workflows.UpdateAct,
			WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{workflows.ActRequest{Task: "tiep_nhan", Outcome: "accept",
				Actor: dossier.Actor{ID: "cb-mot-cua", Role: "mot_cua", Agency: "ubnd_xa"}}}})
		require.NoError(b, err)
		require.NoError(b, h.Get(ctx, nil))
		dossierTimes = append(dossierTimes, time.Since(began))
	}
	b.StopTimer()
	q := func(ds []time.Duration, p float64) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(apiTimes, .5), "api-p50-ms")
	b.ReportMetric(q(apiTimes, .99), "api-p99-ms")
	b.ReportMetric(q(rawTimes, .5), "raw-p50-ms")
	b.ReportMetric(q(rawTimes, .99), "raw-p99-ms")
	b.ReportMetric(q(dossierTimes, .5), "dossier-update-p50-ms")
	b.ReportMetric(q(dossierTimes, .99), "dossier-update-p99-ms")
	b.ReportMetric(q(apiTimes, .5)/q(rawTimes, .5), "p50-ratio")
	b.ReportMetric(q(apiTimes, .99)/q(rawTimes, .99), "p99-ratio")
}
