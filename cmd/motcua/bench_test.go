package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/bench"
)

// TestMain lets this test binary be the memory measurement's worker
// process, as `motcua bench` starts it (with benchChildEnv set).
func TestMain(m *testing.M) {
	if os.Getenv(benchChildEnv) != "" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestBenchTiny runs every phase of `motcua bench` at a tiny size so that
// it keeps working. It asserts no timing: only that every figure was
// produced, that both variants took every dossier to its end, and that
// they ran the same activities.
func TestBenchTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server and a worker process")
	}
	const dossiers = 3
	var out, errOut bytes.Buffer
	code := run([]string{"bench", "--json", "--definitions", "../../definitions", "--rounds", "1", "--dossiers", "3",
		"--concurrency", "3", "--latency-samples", "3", "--memory-dossiers", "4", "--report-dossiers", "300",
		"--report-cache", t.TempDir()}, strings.NewReader(""), &out, &errOut)
	require.Equal(t, 0, code, "stderr:\n%s", errOut.String())
	require.Contains(t, errOut.String(), "motcua bench: throughput round 1/1", "progress lines on stderr")

	var rep bench.Report
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep), out.String())
	for _, flag := range []string{"--rounds 1", "--dossiers 3", "--concurrency 3", "--memory-dossiers 4", "--definitions ../../definitions"} {
		require.Contains(t, rep.Command, flag, "the command that reproduces the run")
	}
	require.NotContains(t, rep.Command, "--json")
	ids := []string{}
	for _, f := range rep.Figures {
		ids = append(ids, f.ID)
		require.Positive(t, f.Motcua.Median, "figure %s", f.ID)
		require.Positive(t, f.Baseline.Median, "figure %s", f.ID)
		require.Positive(t, f.Ratio.Median, "figure %s", f.ID)
		require.NotEmpty(t, f.Machine, "figure %s", f.ID)
	}
	require.Equal(t, []string{"throughput", "cpu_per_dossier", "history_events", "history_bytes", "action_p50", "action_p99", "worker_memory", "lint", "report_year"}, ids)

	require.Len(t, rep.Throughput, 2)
	var acts []map[string]int
	for _, r := range rep.Throughput {
		require.Equal(t, dossiers, r.Dossiers, "%s completed every dossier", r.Variant)
		acts = append(acts, r.Activities)
	}
	// The interpreter projects through a local activity, once per settled
	// state; the hand-written workflow through an activity at each wait.
	for _, a := range acts {
		require.Positive(t, a["Project"]+a["Project (local)"], "projections")
		delete(a, "Project")
		delete(a, "Project (local)")
	}
	require.Equal(t, slices.Sorted(maps.Keys(acts[0])), slices.Sorted(maps.Keys(acts[1])), "the same activity types")
	for name, n := range acts[0] {
		require.Equal(t, n, acts[1][name], "runs of %s", name)
	}
	require.Len(t, rep.Histories, 2)
	for _, m := range rep.Memory {
		require.Equal(t, 4, m.After.Waiting, "%s: every dossier waits at reception", m.Variant)
	}

	// The Markdown table of the same report.
	var md bytes.Buffer
	require.NoError(t, rep.Markdown(&md))
	require.Contains(t, md.String(), "| figure | motcua | baseline | ratio | target | machine |")
	require.Contains(t, md.String(), "Reproduce: `motcua bench --concurrency 3 --definitions ../../definitions")
	require.Contains(t, md.String(), "Where the events go")
	t.Log("\n" + md.String())
}

// Bad flags are usage errors, before anything starts.
func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--only", "throughput,speed"},
		{"bench", "--rounds", "0"},
		{"bench", "--report-from", "1 July"},
	} {
		var out, errOut bytes.Buffer
		require.Equal(t, 2, run(args, strings.NewReader(""), &out, &errOut), "%v: %s", args, errOut.String())
	}
}
