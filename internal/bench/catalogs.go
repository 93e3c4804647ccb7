package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/bench/yearreport"
	"github.com/motcua/motcua/internal/catalogtest"
	"github.com/motcua/motcua/internal/workcal"
)

// LintRound is one timing of the lint of the generated province catalog,
// in milliseconds.
type LintRound struct {
	Files int `json:"files"`
	// LintMS is definitions.LintPaths over the folder; UnmarshalMS reads
	// each file and yaml.Unmarshal's it into a map, the baseline.
	LintMS      float64 `json:"lint_ms"`
	UnmarshalMS float64 `json:"unmarshal_ms"`
}

// lintCatalog generates the province's catalog (1,622 definitions made
// from the example procedures of definitionsDir) in dir and times its lint
// against reading and unmarshalling the same files, rounds times.
func lintCatalog(ctx context.Context, definitionsDir, dir string, rounds int, progress func(string, ...any)) ([]LintRound, error) {
	templates, err := catalogtest.ReadTemplates(filepath.Join(definitionsDir, "procedures"))
	if err != nil {
		return nil, fmt.Errorf("lint: %w", err)
	}
	procs := filepath.Join(dir, "procedures")
	if err := os.MkdirAll(procs, 0o750); err != nil {
		return nil, fmt.Errorf("lint: %w", err)
	}
	if err := catalogtest.WriteDir(procs, catalogtest.Generate(templates, catalogtest.ProvinceCatalogSize)); err != nil {
		return nil, fmt.Errorf("lint: writing the generated catalog: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(procs, "*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []LintRound
	for r := range rounds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		progress("lint round %d/%d: %d definitions", r+1, rounds, len(files))
		start := time.Now()
		res, err := definitions.LintPaths([]string{procs})
		lint := time.Since(start)
		if err != nil {
			return nil, fmt.Errorf("lint: %w", err)
		}
		if res.Errors > 0 || res.Files != len(files) {
			return nil, fmt.Errorf("lint: %d files checked of %d, %d error(s):\n%w", res.Files, len(files), res.Errors, res.Diagnostics)
		}
		start = time.Now()
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("lint: %w", err)
			}
			var v map[string]any
			if err := yaml.Unmarshal(data, &v); err != nil {
				return nil, fmt.Errorf("lint: %s: %w", f, err)
			}
		}
		out = append(out, LintRound{Files: len(files), LintMS: ms(lint), UnmarshalMS: ms(time.Since(start))})
	}
	return out, nil
}

// ReportRound is one timing of the year's indicator report, in
// milliseconds.
type ReportRound struct {
	ReportMS float64 `json:"report_ms"`
	CountMS  float64 `json:"count_ms"`
}

// YearReport is the report over a year of dossiers.
type YearReport struct {
	// Source is the read model: a SQLite file or a PostgreSQL URL
	// without its password.
	Source   string        `json:"source"`
	Dossiers int           `json:"dossiers"`
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	Rounds   []ReportRound `json:"rounds"`
}

// reportYear times the indicator report over a year: of the read model
// cfg.ReportDB when given, else of cfg.ReportDossiers synthetic dossiers
// generated once into a SQLite file in cfg.ReportCache.
func reportYear(ctx context.Context, cfg Config, progress func(string, ...any)) (YearReport, error) {
	y := YearReport{From: cfg.ReportFrom}
	if y.From.IsZero() {
		y.From = yearreport.From
	}
	y.To = y.From.AddDate(1, 0, 0)
	cat, err := definitions.LoadCatalog(cfg.Definitions)
	if err != nil {
		return y, fmt.Errorf("report: %w", err)
	}
	cal, err := workcal.FromCatalog(cat)
	if err != nil {
		return y, fmt.Errorf("report: %w", err)
	}
	dsn := cfg.ReportDB
	if dsn == "" {
		if dsn, err = yearreport.EnsureSQLite(ctx, cfg.ReportCache, cat, cal, cfg.ReportDossiers, progress); err != nil {
			return y, err
		}
	}
	y.Source = redact(dsn)
	t, err := yearreport.Open(ctx, dsn, cat, cal, y.From, y.To)
	if err != nil {
		return y, fmt.Errorf("report: %w", err)
	}
	defer t.Close()
	for r := range cfg.Rounds {
		progress("report round %d/%d over %s", r+1, cfg.Rounds, y.Source)
		rep, err := t.Report(ctx)
		if err != nil {
			return y, err
		}
		c, n, err := t.Count(ctx)
		if err != nil {
			return y, err
		}
		y.Dossiers = n
		y.Rounds = append(y.Rounds, ReportRound{ReportMS: ms(rep), CountMS: ms(c)})
	}
	return y, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
