package indicators_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/bench/yearreport"
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
// the versions of the generated data (yearreport.DataVersion), so that
// data of an earlier version is not reused. Generating and timing are
// internal/bench/yearreport's, which `motcua bench` uses too.
//
//	MOTCUA_BENCH_DOSSIERS=1700000 go test ./internal/indicators -run '^$' -bench ReportYear -benchtime 5x
func BenchmarkReportYear(b *testing.B) {
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
	from := yearreport.From
	to := from.AddDate(1, 0, 0)
	ctx := context.Background()

	b.Run("sqlite", func(b *testing.B) {
		dir := os.Getenv("MOTCUA_BENCH_CACHE")
		if dir == "" {
			dir = os.TempDir()
		}
		path, err := yearreport.EnsureSQLite(ctx, dir, cat, cal, n, b.Logf)
		if err != nil {
			b.Fatal(err)
		}
		benchReport(b, path, cat, cal, from, to)
	})
	b.Run("postgres", func(b *testing.B) {
		base := os.Getenv("MOTCUA_TEST_POSTGRES")
		if base == "" {
			b.Skip("MOTCUA_TEST_POSTGRES is unset")
		}
		schema := fmt.Sprintf("motcua_bench_v%d_%d", yearreport.DataVersion, n)
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
			b.Logf("generating %d dossiers into schema %s (once; later runs reuse them)", n, schema)
			if err := yearreport.Generate(ctx, withSchema(b, base, loading), cat, cal, n, from, to); err != nil {
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

// benchReport times the year's report against count(*) on the read model
// at dsn.
func benchReport(b *testing.B, dsn string, cat *definitions.Catalog, cal *workcal.Calendar, from, to time.Time) {
	ctx := context.Background()
	t, err := yearreport.Open(ctx, dsn, cat, cal, from, to)
	if err != nil {
		b.Fatal(err)
	}
	defer t.Close()
	var reports, counts []time.Duration
	for b.Loop() {
		r, err := t.Report(ctx)
		if err != nil {
			b.Fatal(err)
		}
		reports = append(reports, r)
		b.StopTimer()
		c, _, err := t.Count(ctx)
		if err != nil {
			b.Fatal(err)
		}
		counts = append(counts, c)
		b.StartTimer()
	}
	rm, cm := yearreport.Median(reports), yearreport.Median(counts)
	b.ReportMetric(float64(rm.Microseconds())/1000, "report_ms")
	b.ReportMetric(float64(cm.Microseconds())/1000, "count_ms")
	b.ReportMetric(float64(rm)/float64(cm), "x_count")
}
