// Package bench is `motcua bench`: it measures what interpreting a
// procedure costs against the same procedure written by hand as a Temporal
// workflow in Go (internal/bench/handwritten), on one embedded server
// (internal/devserver, SQLite, as `motcua dev` runs) started once, in the
// same run:
//
//   - throughput: dossiers per second from submission to the end of the
//     workflow, for the six-step procedure of procedure.yaml, with a
//     scripted citizen and officers acting as soon as their task shows in
//     the read model, a bounded number of dossiers in flight; rounds
//     alternate the variants and the figures are medians;
//   - history: events per dossier, by event type, and the activities run;
//   - latency: an officer's action through the service layer against a raw
//     Update on a no-op workflow, p50 and p99;
//   - memory: the resident memory of a worker process holding dossiers that
//     wait on a human task, per 10,000;
//   - lint of the province's 1,622 generated definitions, and the
//     indicator report over a year of dossiers, against their baselines.
//
// Run returns a Report; Markdown and JSON render it. Figures are measured,
// never typed in: the report says the one command that reproduces it.
package bench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/motcua/motcua/worker"
)

// Phases of a run, as --only names them.
const (
	PhaseThroughput = "throughput"
	PhaseHistory    = "history"
	PhaseLatency    = "latency"
	PhaseMemory     = "memory"
	PhaseLint       = "lint"
	PhaseReport     = "report"
)

// Phases lists every phase in the order a run takes them.
var Phases = []string{PhaseThroughput, PhaseHistory, PhaseLatency, PhaseMemory, PhaseLint, PhaseReport}

// Config configures a run. Zero values take the defaults of Defaults.
type Config struct {
	// Definitions is the catalog folder: its calendars/ serve the
	// benchmark's procedure, its procedures/ are the templates of the
	// generated province catalog and the year's report.
	Definitions string
	// Dir holds the server's database, the read model and the rest; ""
	// means a temporary folder removed at the end.
	Dir string
	// Rounds of each measurement; the figures are medians.
	Rounds int
	// Dossiers per throughput round and variant, at most Concurrency in
	// flight.
	Dossiers    int
	Concurrency int
	// LatencySamples are the officer actions per latency round.
	LatencySamples int
	// MemoryDossiers are the waiting dossiers of the memory measurement.
	MemoryDossiers int
	// ReportDossiers is the size of the generated year; ReportDB, when
	// set, is a read model (SQLite file or postgres:// URL) to report on
	// instead, over the year from ReportFrom (default 1 July 2025).
	ReportDossiers int
	ReportDB       string
	ReportFrom     time.Time
	// ReportCache is where generated years are kept for later runs;
	// "" means the system's temporary folder.
	ReportCache string
	// Only restricts the run to these phases; empty runs them all.
	Only []string
	// Worker are the worker options of every worker of the run.
	Worker worker.Options
	// MemoryChild returns the command of the memory measurement's worker
	// process, which must run RunMemoryChild (`motcua bench
	// --memory-child`); required for the memory phase.
	MemoryChild func() *exec.Cmd
	// WorkerHeapProfile, when set, is where each memory measurement's
	// worker process writes a heap profile with every dossier waiting
	// (the variant's short name is added before the extension).
	WorkerHeapProfile string
	// Command is the command line that reproduces the run, for the report.
	Command string
	// Progress, when set, is told what the run is doing.
	Progress func(format string, args ...any)
}

// Defaults are the sizes a zero Config takes: a run of about 20 minutes on
// two cores, a third of it the memory phase's 10,000 dossiers.
var Defaults = Config{
	Definitions: "definitions", Rounds: 5, Dossiers: 100, Concurrency: 16, LatencySamples: 200,
	MemoryDossiers: 10000, ReportDossiers: 50000,
}

func (c Config) withDefaults() (Config, error) {
	d := Defaults
	if c.Definitions == "" {
		c.Definitions = d.Definitions
	}
	for _, f := range []struct {
		v    *int
		def  int
		name string
	}{
		{&c.Rounds, d.Rounds, "rounds"}, {&c.Dossiers, d.Dossiers, "dossiers"}, {&c.Concurrency, d.Concurrency, "concurrency"},
		{&c.LatencySamples, d.LatencySamples, "latency samples"}, {&c.MemoryDossiers, d.MemoryDossiers, "memory dossiers"},
		{&c.ReportDossiers, d.ReportDossiers, "report dossiers"},
	} {
		switch {
		case *f.v == 0:
			*f.v = f.def
		case *f.v < 0:
			return c, fmt.Errorf("bench: %s must be positive, not %d", f.name, *f.v)
		}
	}
	if c.ReportCache == "" {
		c.ReportCache = os.TempDir()
	}
	for _, p := range c.Only {
		if !slices.Contains(Phases, p) {
			return c, fmt.Errorf("bench: unknown phase %q (phases: %s)", p, strings.Join(Phases, ", "))
		}
	}
	if len(c.Only) == 0 {
		c.Only = Phases
	}
	if c.Progress == nil {
		c.Progress = func(string, ...any) {}
	}
	return c, nil
}

func (c Config) runs(phase string) bool { return slices.Contains(c.Only, phase) }

// Run measures the phases of cfg and returns the report.
func Run(ctx context.Context, cfg Config) (_ *Report, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	began := time.Now()
	rep := &Report{Machine: DescribeMachine(), Command: cfg.Command, Started: began.UTC(), Settings: settingsOf(cfg)}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "motcua-bench-"); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	progress := cfg.Progress

	if cfg.runs(PhaseThroughput) || cfg.runs(PhaseHistory) || cfg.runs(PhaseLatency) || cfg.runs(PhaseMemory) {
		progress("starting the embedded Temporal server and the workers in %s", dir)
		e, err := startEngine(ctx, cfg.Definitions, dir, cfg.Worker)
		if err != nil {
			return nil, err
		}
		err = runEngine(ctx, e, cfg, rep)
		err = errors.Join(err, e.stop())
		if err != nil {
			return nil, err
		}
	}
	if cfg.runs(PhaseLint) {
		rounds, err := lintCatalog(ctx, cfg.Definitions, filepath.Join(dir, "lint"), cfg.Rounds, progress)
		if err != nil {
			return nil, err
		}
		rep.Lint = rounds
	}
	if cfg.runs(PhaseReport) {
		y, err := reportYear(ctx, cfg, progress)
		if err != nil {
			return nil, err
		}
		rep.YearReport = &y
	}
	rep.Seconds = time.Since(began).Seconds()
	rep.Figures = rep.figures(cfg)
	return rep, nil
}

// runEngine runs the phases that need the engine.
func runEngine(ctx context.Context, e *engine, cfg Config, rep *Report) error {
	progress := cfg.Progress
	variants := []*variant{e.interpreted, e.handwritten}
	last := map[string]Round{}
	if cfg.runs(PhaseThroughput) || cfg.runs(PhaseHistory) {
		rounds := cfg.Rounds
		if !cfg.runs(PhaseThroughput) {
			rounds = 1 // the histories need dossiers that ran
		}
		warm := min(cfg.Dossiers, cfg.Concurrency)
		for _, v := range variants {
			progress("warming up: %d %s dossiers", warm, v.name)
			if _, err := e.throughputRound(ctx, v, 0, warm, cfg.Concurrency, progress); err != nil {
				return err
			}
		}
		for r := 1; r <= rounds; r++ {
			order := variants
			if r%2 == 0 { // alternate which variant goes first
				order = []*variant{e.handwritten, e.interpreted}
			}
			for _, v := range order {
				settle(ctx, time.Second)
				res, err := e.throughputRound(ctx, v, r, cfg.Dossiers, cfg.Concurrency, progress)
				if err != nil {
					return err
				}
				progress("throughput round %d/%d, %s: %d dossiers in %.1f s, %.2f/s", r, rounds, v.name, res.Dossiers, res.Seconds, res.PerSecond)
				if cfg.runs(PhaseThroughput) {
					rep.Throughput = append(rep.Throughput, res)
				}
				last[v.name] = res
			}
		}
	}
	if cfg.runs(PhaseHistory) {
		for _, v := range variants {
			res := last[v.name]
			progress("reading the histories of %d %s dossiers", len(res.codes), v.name)
			h, err := e.histories(ctx, v.name, res.codes)
			if err != nil {
				return err
			}
			h.Activities = map[string]float64{}
			for k, n := range res.Activities {
				h.Activities[k] = float64(n) / float64(res.Dossiers)
			}
			rep.Histories = append(rep.Histories, h)
		}
	}
	if cfg.runs(PhaseLatency) {
		for r := 1; r <= cfg.Rounds; r++ {
			settle(ctx, time.Second)
			res, err := e.latencyRound(ctx, r, cfg.LatencySamples, cfg.Concurrency, progress)
			if err != nil {
				return err
			}
			progress("latency round %d/%d: service p50 %.1f ms p99 %.1f ms, raw update p50 %.1f ms p99 %.1f ms",
				r, cfg.Rounds, res.ServiceP50, res.ServiceP99, res.RawP50, res.RawP99)
			rep.Latency = append(rep.Latency, res)
		}
	}
	if cfg.runs(PhaseMemory) {
		for _, v := range variants {
			settle(ctx, time.Second)
			progress("memory, %s: a worker process with %d dossiers waiting at reception", v.name, cfg.MemoryDossiers)
			m, err := e.memory(ctx, v, cfg, progress)
			if err != nil {
				return err
			}
			progress("memory, %s: %.0f MiB resident per 10,000 dossiers", v.name, m.RSSPer10k)
			rep.Memory = append(rep.Memory, m)
		}
	}
	return nil
}

// redact drops the password of a URL; a file name stays as it is.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" || u.User == nil {
		return dsn
	}
	return u.Redacted()
}
