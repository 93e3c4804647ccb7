// Package yearreport measures the indicator report over a year of
// dossiers: it generates a synthetic year into a read model once
// (internal/demodata, seed 1) and times indicators.Compute over it against a
// plain count of the dossiers table, in the same run. `motcua bench` and
// the indicators package's BenchmarkReportYear both use it.
package yearreport

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/demodata"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
)

// DataVersion counts the versions of the generated data (2: with the
// portal syncs and complaints), so that a cached year of an earlier version
// is not reused.
const DataVersion = 2

// From is the first day of the generated year (1 July 2025, in Vietnam);
// the year ends a year later.
var From = time.Date(2025, 7, 1, 0, 0, 0, 0, dossier.Vietnam)

// CachePath is the SQLite file that holds a generated year of n dossiers
// in dir.
func CachePath(dir string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("motcua-bench-report-v%d-%d.db", DataVersion, n))
}

// EnsureSQLite returns the SQLite file of a year of n dossiers in dir,
// generating it first when it is not there (through a temporary file, so
// that an interrupted generation is not taken for a year). logf, when not
// nil, is told when generation starts.
func EnsureSQLite(ctx context.Context, dir string, cat *definitions.Catalog, cal *workcal.Calendar, n int,
	logf func(format string, args ...any)) (string, error) {
	path := CachePath(dir, n)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp := path + ".loading"
	_ = os.Remove(tmp)
	if logf != nil {
		logf("generating %d dossiers into %s (once; later runs reuse them)", n, path)
	}
	if err := Generate(ctx, tmp, cat, cal, n, From, From.AddDate(1, 0, 0)); err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("year report: keeping the generated year: %w", err)
	}
	return path, nil
}

// Generate writes n synthetic dossiers received over [from, to) into the
// read model at dsn.
func Generate(ctx context.Context, dsn string, cat *definitions.Catalog, cal *workcal.Calendar, n int, from, to time.Time) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	seq, err := demodata.Generate(cat, cal, demodata.Options{Dossiers: n, Seed: 1, From: from, To: to})
	if err != nil {
		return err
	}
	batches := make(chan []dossier.Projection, 2)
	done := make(chan error, 1)
	var outside sync.Map // dossier code → store.Outside, until written
	go func() {
		done <- st.BulkLoad(ctx, store.BulkLoadParams{Batches: batches, Outside: func(p *dossier.Projection) store.Outside {
			if o, ok := outside.LoadAndDelete(p.Code); ok {
				return o.(store.Outside)
			}
			return store.Outside{}
		}})
	}()
	var batch []dossier.Projection
	var genErr error
	for d, err := range seq {
		if err != nil {
			genErr = err
			break
		}
		if !d.PortalSyncedAt.IsZero() || len(d.Complaints) > 0 {
			outside.Store(d.Code, store.Outside{PortalSyncedAt: d.PortalSyncedAt, Complaints: d.Complaints})
		}
		batch = append(batch, d.Projections...)
		if len(batch) >= 4000 {
			batches <- batch
			batch = nil
		}
	}
	if len(batch) > 0 && genErr == nil {
		batches <- batch
	}
	close(batches)
	if err := <-done; err != nil {
		return fmt.Errorf("year report: loading the generated year: %w", err)
	}
	if genErr != nil {
		return fmt.Errorf("year report: generating the year: %w", genErr)
	}
	return nil
}

// Timer times the report over an open read model.
type Timer struct {
	st       *store.Store
	cat      *definitions.Catalog
	params   indicators.Params
	warmedUp bool
}

// Open opens the read model at dsn for timing the report over [from, to).
func Open(ctx context.Context, dsn string, cat *definitions.Catalog, cal *workcal.Calendar, from, to time.Time) (*Timer, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &Timer{st: st, cat: cat, params: indicators.Params{From: from, To: to, Now: to, Calendar: cal}}, nil
}

// Close closes the read model.
func (t *Timer) Close() error { return t.st.Close() }

// Count times SELECT count(*) FROM dossiers, the baseline, and returns
// the count.
func (t *Timer) Count(ctx context.Context) (time.Duration, int, error) {
	start := time.Now()
	n, err := t.st.DossierCount(ctx, store.DossierListParams{})
	if err != nil {
		return 0, 0, fmt.Errorf("year report: counting dossiers: %w", err)
	}
	return time.Since(start), n, nil
}

// Report times one full report. The first call warms the database's cache
// with a count, as a report's first run would find it.
func (t *Timer) Report(ctx context.Context) (time.Duration, error) {
	if !t.warmedUp {
		if _, _, err := t.Count(ctx); err != nil {
			return 0, err
		}
		t.warmedUp = true
	}
	start := time.Now()
	r, err := indicators.Compute(ctx, t.st, t.cat, t.params)
	if err != nil {
		return 0, fmt.Errorf("year report: %w", err)
	}
	d := time.Since(start)
	if len(r.Groups) != 1 {
		return 0, fmt.Errorf("year report: %d groups, want 1", len(r.Groups))
	}
	return d, nil
}

// Median returns the median of durations (the upper one of an even count).
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
