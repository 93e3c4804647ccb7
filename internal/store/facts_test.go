package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/analysis/analysistest"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
)

// factsStores returns a fresh SQLite store and, when MOTCUA_TEST_POSTGRES
// is set, a PostgreSQL one.
func factsStores(t *testing.T) map[string]*Store {
	t.Helper()
	ctx := context.Background()
	out := map[string]*Store{}
	s, err := Open(ctx, filepath.Join(t.TempDir(), "read.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	out["SQLite"] = s
	if os.Getenv("MOTCUA_TEST_POSTGRES") != "" {
		s, err := Open(ctx, indicatorstest.PostgresDSN(t))
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		out["Postgres"] = s
	}
	return out
}

// dumpReportTables returns the rows of report_facts and report_step_days
// as text, in key order.
func dumpReportTables(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT * FROM report_facts ORDER BY code`,
		`SELECT * FROM report_step_days ORDER BY day, agency, procedure_code, procedure_version, timeliness`,
	} {
		rows, err := s.read.QueryxContext(context.Background(), q)
		require.NoError(t, err)
		for rows.Next() {
			cols, err := rows.SliceScan()
			require.NoError(t, err)
			for i, c := range cols {
				switch v := c.(type) {
				case []byte:
					cols[i] = string(v)
				case bool: // SQLite reads back 0/1
					cols[i] = boolInt(v)
				}
			}
			out = append(out, fmt.Sprint(cols...))
		}
		require.NoError(t, rows.Err())
	}
	return out
}

// TestReportTablesBackfill checks that migration 00004 fills report_facts
// and report_step_days from existing rows exactly as the writes do: the
// fixtures' projections are written through ProjectionApply, then the
// migration is taken down and up again and the tables compared. (The
// outside data of migration 00005, the portal syncs and complaints, is
// not rebuilt from projections: taking 00005 down drops it.)
func TestReportTablesBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, s := range factsStores(t) {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, indicatorstest.ApplyProjections(ctx, s))
			require.NoError(t, analysistest.Apply(ctx, s))
			written := dumpReportTables(t, s)
			require.Greater(t, len(written), 30)

			p, err := migrationProvider(s.write.DB, s.pg)
			require.NoError(t, err)
			_, err = p.DownTo(ctx, 3)
			require.NoError(t, err)
			_, err = p.Up(ctx)
			require.NoError(t, err)
			require.Equal(t, written, dumpReportTables(t, s))
		})
	}
}

// TestStepDaysCountOnce applies a projection twice and an older one late:
// each action counts once, and a withdrawal request that arrives late
// still marks the dossier.
func TestStepDaysCountOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := time.Date(2025, 3, 10, 9, 0, 0, 0, dossier.Vietnam)
	snap := &dossier.State{Code: "D1", ProcedureCode: "P", Agency: "A", Channel: dossier.ChannelOnline,
		Status: dossier.StatusStopped, ReceivedAt: at, FinishedAt: at.Add(3 * time.Hour), CurrentSteps: []string{}}
	acted := func(seq int, at time.Time) dossier.Event {
		return dossier.Event{Seq: seq, Kind: dossier.EventActed, Step: "s", At: at, DueAt: at.Add(time.Hour), Timeliness: dossier.Early}
	}
	for name, s := range factsStores(t) {
		t.Run(name, func(t *testing.T) {
			p := dossier.Projection{WorkflowID: "D1", Code: "D1", Seq: 3, Snapshot: snap, Facts: dossier.Facts{ProcedureVersion: "1"},
				Events: []dossier.Event{acted(1, at), acted(3, at.Add(2*time.Hour))}}
			require.NoError(t, s.ProjectionApply(ctx, p))
			require.NoError(t, s.ProjectionApply(ctx, p))
			// Seq 2, the withdrawal request, arrives after seq 3.
			late := dossier.Projection{WorkflowID: "D1", Code: "D1", Seq: 2, Snapshot: snap,
				Events: []dossier.Event{{Seq: 2, Kind: dossier.EventWithdrawRequested, At: at.Add(time.Hour)}}}
			require.NoError(t, s.ProjectionApply(ctx, late))

			var n int64
			require.NoError(t, s.read.GetContext(ctx, &n, `SELECT SUM(n) FROM report_step_days`))
			require.EqualValues(t, 2, n, "two actions, each counted once")
			var withdrawn bool
			require.NoError(t, s.read.GetContext(ctx, &withdrawn, `SELECT withdrawn FROM report_facts WHERE code = 'D1'`))
			require.True(t, withdrawn)
			rows, err := s.ReportDossiers(ctx, ReportParams{Periods: []ReportPeriod{{From: at.Add(-time.Hour), To: at.Add(24 * time.Hour)}}})
			require.NoError(t, err)
			require.Len(t, rows, 1)
			require.Equal(t, 1, rows[0].EndedWithdrawn)
		})
	}
}

// TestReportStepsAcrossDayEdges counts actions over periods that start or
// end within a day, against a direct count of the actions.
func TestReportStepsAcrossDayEdges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, s := range factsStores(t) {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, indicatorstest.Apply(ctx, s))
			var events []struct {
				At         dbTime `db:"at"`
				Timeliness string `db:"timeliness"`
			}
			require.NoError(t, s.read.SelectContext(ctx, &events,
				`SELECT at, timeliness FROM events WHERE kind = 'acted' AND due_at IS NOT NULL AND timeliness IN ('early', 'on_time', 'late')`))
			require.NotEmpty(t, events)
			vn := func(d, h, m int) time.Time { return time.Date(2025, 3, d, h, m, 0, 0, dossier.Vietnam) }
			for _, per := range []ReportPeriod{
				{From: vn(1, 0, 0), To: vn(31, 0, 0)},   // whole days
				{From: vn(4, 9, 30), To: vn(12, 10, 0)}, // both edges within days
				{From: vn(5, 0, 0), To: vn(5, 9, 30)},   // within one day
				{From: vn(3, 8, 0), To: vn(20, 0, 0)},   // a partial first day
			} {
				want := StepRow{}
				for _, e := range events {
					if !e.At.t.Before(per.From) && e.At.t.Before(per.To) {
						switch e.Timeliness {
						case "early":
							want.Early++
						case "on_time":
							want.OnTime++
						case "late":
							want.Late++
						}
					}
				}
				rows, err := s.ReportSteps(ctx, ReportParams{Periods: []ReportPeriod{per}})
				require.NoError(t, err)
				got := StepRow{}
				if len(rows) == 1 {
					got = rows[0]
				}
				require.Equal(t, want, got, "%v – %v", per.From, per.To)
				byAgency, err := s.ReportSteps(ctx, ReportParams{Periods: []ReportPeriod{per}, Group: ReportGroupAgency})
				require.NoError(t, err)
				sum := StepRow{}
				for _, r := range byAgency {
					sum.Early, sum.OnTime, sum.Late = sum.Early+r.Early, sum.OnTime+r.OnTime, sum.Late+r.Late
				}
				require.Equal(t, want, sum, "by agency, %v – %v", per.From, per.To)
			}
		})
	}
}

func TestStepSpans(t *testing.T) {
	vn := func(d, h int) time.Time { return time.Date(2025, 3, d, h, 0, 0, 0, dossier.Vietnam) }
	first, last, edges := stepSpans(ReportPeriod{From: vn(1, 0), To: vn(3, 0)})
	require.Equal(t, dayNumberOf(vn(1, 0)), first)
	require.Equal(t, first+2, last)
	require.Empty(t, edges)
	first, last, edges = stepSpans(ReportPeriod{From: vn(1, 10), To: vn(3, 15)})
	require.Equal(t, dayNumberOf(vn(2, 0)), first)
	require.Equal(t, first+1, last)
	require.Equal(t, []ReportPeriod{{From: vn(1, 10), To: vn(2, 0)}, {From: vn(3, 0), To: vn(3, 15)}}, edges)
	_, _, edges = stepSpans(ReportPeriod{From: vn(1, 10), To: vn(1, 15)})
	require.Equal(t, []ReportPeriod{{From: vn(1, 10), To: vn(1, 15)}}, edges)
}
