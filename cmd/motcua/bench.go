package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/motcua/motcua/internal/atomicfile"
	"github.com/motcua/motcua/internal/bench"
	"github.com/motcua/motcua/internal/dossier"
)

// benchChildEnv, set in the environment of a process, makes it the memory
// measurement's worker process; `motcua bench` sets it for its child (a
// test binary, which has no `bench` command line of its own, reads it
// too).
const benchChildEnv = "MOTCUA_BENCH_MEMORY_CHILD"

// benchNotReproduced are the flags the reproduce line leaves out: where
// the output goes, not what is measured.
var benchNotReproduced = map[string]bool{"json": true, "out": true, "cpuprofile": true, "memprofile": true, "worker-memprofile": true, "dir": true, "memory-child": true}

type benchFlags struct {
	cfg                   bench.Config
	only                  string
	reportFrom            string
	json                  bool
	out, cpuprof, memprof string
	memoryChild           bool
}

func newBenchCmd(s streams) *cobra.Command {
	var f benchFlags
	d := bench.Defaults
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure what interpreting a procedure costs against hand-written Temporal code",
		Long: `bench starts an embedded Temporal server (SQLite, as dev runs it) once and
measures, in the same run and on the same server, the benchmark's six-step
procedure (reception, automated check, review, fee, signature, return at the
counter) run by motcua's Dossier workflow from its YAML plan against the same
procedure written by hand as a Go workflow calling the same activities:

  throughput  dossiers per second from submission to the end of the workflow,
              a scripted citizen and officers acting as soon as their task
              shows in the read model, --concurrency dossiers in flight;
              rounds alternate the variants (target: motcua ≥ 0.9 ×)
  history     events per dossier, by event type (target ≤ 1.1 ×)
  latency     an officer's action through the service layer against a raw
              Update on a no-op workflow, p50 and p99 (target ≤ 1.2 × at p99)
  memory      resident memory of a worker process per 10,000 dossiers
              waiting on a human task
  lint        the province's 1,622 generated definitions against
              yaml.Unmarshal of the same files
  report      the indicator report over a year of dossiers against count(*)

Figures are medians of --rounds rounds, with the smallest and largest. The
Markdown table (figure, motcua, baseline, ratio, target, machine) and the
line that reproduces it go to stdout, followed by where the events, the
activities and the memory go; --json writes everything as JSON instead.
Progress lines go to stderr. Timings depend on the machine and on what else
runs on it: compare ratios.`,
		Example: `  motcua bench                                       # every figure: about 20 minutes on two cores
  motcua bench --only throughput,history --rounds 3 --dossiers 100
  motcua bench --only memory --memory-dossiers 10000
  motcua bench --only report --report-db postgres://motcua@db/motcua
  motcua bench --out docs/benchmarks.md --cpuprofile cpu.pprof`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.memoryChild || os.Getenv(benchChildEnv) != "" {
				return bench.RunMemoryChild(contextOf(cmd), s.in, s.out)
			}
			return runBench(cmd, s, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.cfg.Definitions, "definitions", d.Definitions, "catalog folder: calendars/ for the benchmark's procedure, procedures/ for the generated catalog and the year")
	fl.IntVar(&f.cfg.Rounds, "rounds", d.Rounds, "rounds of each measurement; figures are their medians")
	fl.IntVar(&f.cfg.Dossiers, "dossiers", d.Dossiers, "dossiers per throughput round and variant")
	fl.IntVar(&f.cfg.Concurrency, "concurrency", d.Concurrency, "dossiers in flight at once")
	fl.IntVar(&f.cfg.LatencySamples, "latency-samples", d.LatencySamples, "officer actions per latency round")
	fl.IntVar(&f.cfg.MemoryDossiers, "memory-dossiers", d.MemoryDossiers, "dossiers waiting on a human task in the memory measurement")
	fl.IntVar(&f.cfg.ReportDossiers, "report-dossiers", d.ReportDossiers, "synthetic dossiers in the year of the report (generated once, kept in --report-cache)")
	fl.StringVar(&f.cfg.ReportDB, "report-db", "", "report on this read model (SQLite file or postgres:// URL) instead of a generated year")
	fl.StringVar(&f.reportFrom, "report-from", "", "first day of the year reported on, YYYY-MM-DD (default 2025-07-01, the generated year's)")
	fl.StringVar(&f.cfg.ReportCache, "report-cache", "", "folder keeping generated years for later runs (default the temporary folder)")
	fl.StringVar(&f.only, "only", "", "comma-separated phases to run: "+strings.Join(bench.Phases, ", ")+" (default all)")
	fl.StringVar(&f.cfg.Dir, "dir", "", "folder for the server's database and the read model, kept afterwards (default a temporary folder, removed)")
	fl.IntVar(&f.cfg.Worker.StickyCacheSize, "sticky-cache", 0, "workflows kept in the worker's cache (default the SDK's, 10,000)")
	fl.IntVar(&f.cfg.Worker.MaxConcurrentWorkflowTasks, "max-workflow-tasks", 0, "workflow tasks a worker runs at once (default the SDK's)")
	fl.IntVar(&f.cfg.Worker.MaxConcurrentActivities, "max-activities", 0, "activities a worker runs at once (default the SDK's)")
	fl.IntVar(&f.cfg.Worker.MaxConcurrentLocalActivities, "max-local-activities", 0, "local activities a worker runs at once (default the SDK's)")
	fl.BoolVar(&f.json, "json", false, "write the report as JSON instead of Markdown")
	fl.StringVar(&f.out, "out", "", "also write the Markdown report to this file")
	fl.StringVar(&f.cpuprof, "cpuprofile", "", "write a CPU profile of the run (server, workers and driver) to this file")
	fl.StringVar(&f.memprof, "memprofile", "", "write a heap profile at the end of the run to this file")
	fl.StringVar(&f.cfg.WorkerHeapProfile, "worker-memprofile", "", "write heap profiles of the memory phase's worker processes, every dossier waiting, to this file name with -i (motcua) or -h (hand-written) added")
	fl.BoolVar(&f.memoryChild, "memory-child", false, "run as the worker process of the memory measurement (internal)")
	_ = fl.MarkHidden("memory-child")
	return cmd
}

func contextOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

func runBench(cmd *cobra.Command, s streams, f *benchFlags) error {
	cfg := f.cfg
	if f.only != "" {
		for _, p := range strings.Split(f.only, ",") {
			if p = strings.TrimSpace(p); p != "" {
				cfg.Only = append(cfg.Only, p)
			}
		}
		for _, p := range cfg.Only {
			if err := checkChoice("only", p, bench.Phases...); err != nil {
				return err
			}
		}
	}
	for _, n := range []struct {
		flag string
		v    int
	}{{"rounds", cfg.Rounds}, {"dossiers", cfg.Dossiers}, {"concurrency", cfg.Concurrency}, {"latency-samples", cfg.LatencySamples},
		{"memory-dossiers", cfg.MemoryDossiers}, {"report-dossiers", cfg.ReportDossiers}} {
		if n.v < 1 {
			return usageError{fmt.Errorf("--%s %d: give a positive number", n.flag, n.v)}
		}
	}
	if f.reportFrom != "" {
		t, err := time.ParseInLocation("2006-01-02", f.reportFrom, dossier.Vietnam)
		if err != nil {
			return usageError{fmt.Errorf("--report-from %q: give a day as YYYY-MM-DD", f.reportFrom)}
		}
		cfg.ReportFrom = t
	}
	cfg.Command = reproduceCommand(cmd.Flags())
	cfg.Progress = func(format string, args ...any) {
		fmt.Fprintf(s.err, "motcua bench: "+format+"\n", args...)
	}
	cfg.MemoryChild = func() *exec.Cmd {
		exe, err := os.Executable()
		if err != nil {
			exe = os.Args[0]
		}
		c := exec.Command(exe, "bench", "--memory-child")
		c.Env = append(os.Environ(), benchChildEnv+"=1")
		return c
	}
	if f.cpuprof != "" {
		pf, err := os.Create(f.cpuprof)
		if err != nil {
			return fmt.Errorf("bench: CPU profile: %w", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("bench: CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(contextOf(cmd), cfg)
	if err != nil {
		return err
	}
	if f.memprof != "" {
		if err := writeHeapProfile(f.memprof); err != nil {
			return err
		}
	}
	var md bytes.Buffer
	if err := rep.Markdown(&md); err != nil {
		return err
	}
	if f.out != "" {
		if err := atomicfile.Write(f.out, md.Bytes(), 0o644); err != nil {
			return fmt.Errorf("bench: writing %s: %w", f.out, err)
		}
	}
	if f.json {
		return rep.JSON(s.out)
	}
	_, err = s.out.Write(md.Bytes())
	return err
}

func writeHeapProfile(path string) error {
	pf, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: heap profile: %w", err)
	}
	if err := pprof.WriteHeapProfile(pf); err != nil {
		pf.Close()
		return fmt.Errorf("bench: heap profile: %w", err)
	}
	return pf.Close()
}

// reproduceCommand is the command line of this run, with the flags that
// change what is measured.
func reproduceCommand(fl *pflag.FlagSet) string {
	args := []string{"motcua", "bench"}
	fl.Visit(func(f *pflag.Flag) {
		if !benchNotReproduced[f.Name] {
			args = append(args, "--"+f.Name, shellQuote(f.Value.String()))
		}
	})
	return strings.Join(args, " ")
}

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,=@+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
