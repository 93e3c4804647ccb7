package indicators_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/demodata"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
)

// BenchmarkReportYear computes the full indicator report of a year of
// synthetic dossiers (demodata, seed 1, July 2025 to June 2026) on SQLite
// and, when MOTCUA_TEST_POSTGRES is set, on PostgreSQL, and reports it
// against a plain count(*) of the dossiers table measured in the same run:
//
//	report_ms  median wall time of one report
//	count_ms   median wall time of SELECT count(*) FROM dossiers
//	x_count    report_ms / count_ms
//
// MOTCUA_BENCH_DOSSIERS sets the year's size (default 50,000; the
// province's year is 1,700,000). The read models are generated once and
// kept for the next runs: a SQLite file in MOTCUA_BENCH_CACHE (default the
// temporary folder) and a PostgreSQL schema motcua_bench_vV_N, V counting
// the versions of the generated data (2: with the portal syncs and
// complaints), so that data of an earlier version is not reused.
//
//	MOTCUA_BENCH_DOSSIERS=1700000 go test ./internal/indicators -run '^$' -bench ReportYear -benchtime 5x
func BenchmarkReportYear(b *testing.B) {
	const benchDataVersion = 2
	n := 50_000
	if v := os.Getenv("MOTCUA_BENCH_DOSSIERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("MOTCUA_BENCH_DOSSIERS=%q: give a positive number", v)
		}
	}
	cat, err := definitions.LoadCatalog("../../definitions")
	if err != nil {
		b.Fatal(err)
	}
	cal, err := workcal.FromCatalog(cat)
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2025, 7, 1, 0, 0, 0, 0, dossier.Vietnam)
	to := from.AddDate(1, 0, 0)

	b.Run("sqlite", func(b *testing.B) {
		dir := os.Getenv("MOTCUA_BENCH_CACHE")
		if dir == "" {
			dir = os.TempDir()
		}
		path := filepath.Join(dir, fmt.Sprintf("motcua-bench-report-v%d-%d.db", benchDataVersion, n))
		if _, err := os.Stat(path); err != nil {
			tmp := path + ".loading"
			os.Remove(tmp)
			if err := generate(b, tmp, cat, cal, n, from, to); err != nil {
				b.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				b.Fatal(err)
			}
		}
		benchReport(b, path, cat, cal, from, to)
	})
	b.Run("postgres", func(b *testing.B) {
		base := os.Getenv("MOTCUA_TEST_POSTGRES")
		if base == "" {
			b.Skip("MOTCUA_TEST_POSTGRES is unset")
		}
		schema := fmt.Sprintf("motcua_bench_v%d_%d", benchDataVersion, n)
		admin, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close()
		var exists bool
		if err := admin.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
			b.Fatal(err)
		}
		if !exists {
			loading := schema + "_loading"
			for _, q := range []string{`DROP SCHEMA IF EXISTS ` + loading + ` CASCADE`, `CREATE SCHEMA ` + loading} {
				if _, err := admin.Exec(q); err != nil {
					b.Fatal(err)
				}
			}
			if err := generate(b, withSchema(b, base, loading), cat, cal, n, from, to); err != nil {
				b.Fatal(err)
			}
			if _, err := admin.Exec(`ALTER SCHEMA ` + loading + ` RENAME TO ` + schema); err != nil {
				b.Fatal(err)
			}
			if _, err := admin.Exec(`ANALYZE`); err != nil {
				b.Fatal(err)
			}
		}
		benchReport(b, withSchema(b, base, schema), cat, cal, from, to)
	})
}

func withSchema(b *testing.B, dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// generate writes n synthetic dossiers received over [from, to) into the
// read model at dsn.
func generate(b *testing.B, dsn string, cat *definitions.Catalog, cal *workcal.Calendar, n int, from, to time.Time) error {
	b.Logf("generating %d dossiers into %s (once; later runs reuse them)", n, filepath.Base(dsn))
	ctx := context.Background()
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
		return err
	}
	return genErr
}

// benchReport times the year's report against count(*) on the read model
// at dsn.
func benchReport(b *testing.B, dsn string, cat *definitions.Catalog, cal *workcal.Calendar, from, to time.Time) {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	count := func() time.Duration {
		start := time.Now()
		if _, err := st.DossierCount(ctx, store.DossierListParams{}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	count() // warm the cache as the report's first run will be
	p := indicators.Params{From: from, To: to, Now: to, Calendar: cal}
	var reports, counts []time.Duration
	for b.Loop() {
		start := time.Now()
		r, err := indicators.Compute(ctx, st, cat, p)
		if err != nil {
			b.Fatal(err)
		}
		reports = append(reports, time.Since(start))
		if len(r.Groups) != 1 {
			b.Fatalf("the year's report has %d groups, want 1", len(r.Groups))
		}
		b.StopTimer()
		counts = append(counts, count())
		b.StartTimer()
	}
	rm, cm := median(reports), median(counts)
	b.ReportMetric(float64(rm.Microseconds())/1000, "report_ms")
	b.ReportMetric(float64(cm.Microseconds())/1000, "count_ms")
	b.ReportMetric(float64(rm)/float64(cm), "x_count")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
