package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/demodata"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
)

// bulkDatabases runs fn on a fresh SQLite database and, when
// MOTCUA_TEST_POSTGRES is set, on a fresh PostgreSQL schema; newDSN gives
// another empty database of the same kind each time it is called.
func bulkDatabases(t *testing.T, fn func(t *testing.T, newDSN func(t *testing.T) string)) {
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		fn(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "read.db") })
	})
	t.Run("Postgres", func(t *testing.T) {
		t.Parallel()
		dsn := os.Getenv("MOTCUA_TEST_POSTGRES")
		if dsn == "" {
			t.Skip("MOTCUA_TEST_POSTGRES is unset (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
		}
		admin, err := sql.Open("pgx", dsn)
		require.NoError(t, err)
		t.Cleanup(func() { admin.Close() })
		fn(t, func(t *testing.T) string {
			t.Helper()
			var b [6]byte
			_, _ = rand.Read(b[:])
			schema := "motcua_bulk_" + hex.EncodeToString(b[:])
			_, err := admin.Exec(`CREATE SCHEMA ` + schema)
			require.NoError(t, err)
			t.Cleanup(func() {
				_, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
				require.NoError(t, err)
			})
			u, err := url.Parse(dsn)
			require.NoError(t, err)
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		})
	})
}

func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// generatedDossiers are histories of every kind: finished, refused,
// stopped, withdrawn, extended, rated, and open ones (with open tasks,
// paused, waiting for another agency) cut on 10 September 2025 at 10:00,
// with their portal syncs and complaints.
var generatedDossiers = sync.OnceValues(func() ([]demodata.Dossier, error) {
	cat, err := definitions.LoadCatalog("../../definitions")
	if err != nil {
		return nil, err
	}
	cal, err := workcal.FromCatalog(cat)
	if err != nil {
		return nil, err
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 0, 0, 0, 0, dossier.Vietnam) }
	seq, err := demodata.Generate(cat, cal, demodata.Options{Dossiers: 400, Seed: 11, From: day(8, 1), To: day(9, 10),
		Now: day(9, 10).Add(10 * time.Hour)})
	if err != nil {
		return nil, err
	}
	var out []demodata.Dossier
	for d, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
})

// generated are the projections of generatedDossiers.
var generated = sync.OnceValues(func() ([]dossier.Projection, error) {
	ds, err := generatedDossiers()
	if err != nil {
		return nil, err
	}
	var out []dossier.Projection
	for _, d := range ds {
		out = append(out, d.Projections...)
	}
	return out, nil
})

// batches sends projections in batches of n and closes the channel.
func batches(ps []dossier.Projection, n int) <-chan []dossier.Projection {
	ch := make(chan []dossier.Projection, len(ps)/n+1)
	for len(ps) > 0 {
		k := min(n, len(ps))
		ch <- ps[:k]
		ps = ps[k:]
	}
	close(ch)
	return ch
}

func TestBulkLoad(t *testing.T) {
	t.Parallel()
	ps, err := generated()
	require.NoError(t, err)
	// A hand-made dossier with what generated ones may lack: every field
	// set at once, a task without a due time.
	hand := projection("HAND-1", 4, dossier.StatusReturned)
	hand.Tasks = append(hand.Tasks, dossier.Task{ID: "x", Step: "x", Kind: "task", Role: "r", OpenedAt: hand.Snapshot.ReceivedAt})
	ps = append(ps, hand)

	var codes []string
	var workflows []string
	for _, p := range ps {
		if p.Snapshot != nil {
			codes = append(codes, p.Code)
		}
		workflows = append(workflows, p.WorkflowID)
	}
	require.Greater(t, len(codes), 300)

	bulkDatabases(t, func(t *testing.T, newDSN func(t *testing.T) string) {
		ctx := context.Background()
		applied, bulk := newDSN(t), newDSN(t)
		a, b := openStore(t, applied), openStore(t, bulk)
		for _, p := range ps {
			require.NoError(t, a.ProjectionApply(ctx, p))
		}
		var total store.BulkCounts
		commits := 0
		require.NoError(t, b.BulkLoad(ctx, store.BulkLoadParams{Batches: batches(ps, 97), Committed: func(c store.BulkCounts) {
			commits++
			total.Projections += c.Projections
			total.Dossiers += c.Dossiers
			total.Events += c.Events
			total.Tasks += c.Tasks
		}}))
		events, tasks := 0, 0
		for _, p := range ps {
			events += len(p.Events)
			tasks += len(p.Tasks)
		}
		require.Equal(t, store.BulkCounts{Projections: len(ps), Dossiers: len(codes), Events: events, Tasks: tasks}, total)
		require.Equal(t, (len(ps)+96)/97, commits)

		// What the read model answers.
		for _, code := range codes {
			want, err := a.DossierGet(ctx, code)
			require.NoError(t, err)
			got, err := b.DossierGet(ctx, code)
			require.NoError(t, err)
			require.Equal(t, want, got, code)
		}
		for _, wf := range workflows {
			want, err := a.EventCount(ctx, wf)
			require.NoError(t, err)
			got, err := b.EventCount(ctx, wf)
			require.NoError(t, err)
			require.Equal(t, want, got, wf)
			wantMark, wantOK, err := a.ProjectionMark(ctx, wf)
			require.NoError(t, err)
			gotMark, gotOK, err := b.ProjectionMark(ctx, wf)
			require.NoError(t, err)
			require.Equal(t, wantOK, gotOK, wf)
			require.Equal(t, wantMark, gotMark, wf)
		}
		now := time.Date(2025, 9, 10, 10, 0, 0, 0, dossier.Vietnam)
		for off := 0; ; off += store.MaxLimit {
			p := store.TaskListParams{Now: now, Limit: store.MaxLimit, Offset: off}
			want, err := a.TaskList(ctx, p)
			require.NoError(t, err)
			got, err := b.TaskList(ctx, p)
			require.NoError(t, err)
			require.Equal(t, want, got)
			if len(want) < store.MaxLimit {
				break
			}
		}
		wantStats, err := a.Stats(ctx, now)
		require.NoError(t, err)
		gotStats, err := b.Stats(ctx, now)
		require.NoError(t, err)
		wantStats.LastProjectedAt, gotStats.LastProjectedAt = time.Time{}, time.Time{}
		require.Equal(t, wantStats, gotStats)
		require.Greater(t, wantStats.OpenTasks, 20)

		// The rows themselves, column by column (but updated_at).
		for _, table := range []struct{ name, order string }{
			{"dossiers", "code"},
			{"events", "workflow_id, seq"},
			{"tasks", "workflow_id, task_id"},
			{"projection_marks", "workflow_id"},
		} {
			want := tableRows(t, applied, table.name, table.order)
			got := tableRows(t, bulk, table.name, table.order)
			require.Equal(t, len(want), len(got), table.name)
			for i := range want {
				require.Equal(t, want[i], got[i], "%s row %d", table.name, i)
			}
		}
	})
}

// tableRows reads a table's rows in order, every column but updated_at.
func tableRows(t *testing.T, dsn, table, order string) []map[string]any {
	t.Helper()
	driver, source := "pgx", dsn
	if !strings.HasPrefix(dsn, "postgres") {
		driver, source = "sqlite", dsn+"?_pragma=query_only(1)"
	}
	db, err := sql.Open(driver, source)
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY ` + order)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		row := map[string]any{}
		for i, c := range cols {
			if c == "updated_at" {
				continue
			}
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
			if tm, ok := vals[i].(time.Time); ok {
				vals[i] = tm.UTC().Format(time.RFC3339Nano)
			}
			row[c] = vals[i]
		}
		out = append(out, row)
	}
	require.NoError(t, rows.Err())
	return out
}

// BulkLoad adds only new workflows: a batch holding one already there
// fails as a whole; what was committed before stays.
func TestBulkLoadConflicts(t *testing.T) {
	t.Parallel()
	bulkDatabases(t, func(t *testing.T, newDSN func(t *testing.T) string) {
		ctx := context.Background()
		s := openStore(t, newDSN(t))
		first := []dossier.Projection{projection("D1", 2, dossier.StatusProcessing), projection("D2", 2, dossier.StatusProcessing)}
		require.NoError(t, s.BulkLoad(ctx, store.BulkLoadParams{Batches: batches(first, 10)}))
		again := []dossier.Projection{projection("D3", 2, dossier.StatusProcessing), projection("D1", 2, dossier.StatusProcessing)}
		err := s.BulkLoad(ctx, store.BulkLoadParams{Batches: batches(again, 10)})
		require.ErrorContains(t, err, "a workflow of the batch is already in the read model (BulkLoad only adds new workflows)")
		n, err := s.DossierCount(ctx, store.DossierListParams{})
		require.NoError(t, err)
		require.Equal(t, 2, n, "the failed batch is rolled back")
		_, err = s.DossierGet(ctx, "D3")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestBulkLoadChecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "read.db")
	s := openStore(t, dsn)
	bad := func(edit func(p *dossier.Projection)) error {
		p := projection("D1", 2, dossier.StatusProcessing)
		edit(&p)
		return s.BulkLoad(ctx, store.BulkLoadParams{Batches: batches([]dossier.Projection{p}, 1)})
	}
	prefix := "bulk load into " + dsn + ": projection of workflow "
	require.EqualError(t, bad(func(p *dossier.Projection) { p.WorkflowID = "" }), prefix+" seq 2: missing workflow id")
	require.EqualError(t, bad(func(p *dossier.Projection) { p.Code = "" }), prefix+"D1 seq 2: missing dossier code")
	require.EqualError(t, bad(func(p *dossier.Projection) { p.Snapshot.Code = "D9" }), prefix+`D1 seq 2: snapshot is of dossier "D9", projection of "D1"`)
	require.EqualError(t, bad(func(p *dossier.Projection) { p.Tasks = append(p.Tasks, p.Tasks[0]) }), prefix+`D1 seq 2: task "tham_dinh#1" listed twice`)
	require.EqualError(t, bad(func(p *dossier.Projection) { p.Events[1].At = time.Time{} }), prefix+"D1 seq 2: event 2 (acted) has no time")
	require.EqualError(t, s.BulkLoad(ctx, store.BulkLoadParams{}), "bulk load: no batches (BulkLoadParams.Batches is nil)")

	// A cancelled load stops waiting for batches.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err := s.BulkLoad(cctx, store.BulkLoadParams{Batches: make(chan []dossier.Projection)})
	require.ErrorIs(t, err, context.Canceled)
}

func TestSequenceRaise(t *testing.T) {
	t.Parallel()
	bulkDatabases(t, func(t *testing.T, newDSN func(t *testing.T) string) {
		ctx := context.Background()
		s := openStore(t, newDSN(t))
		n, err := s.SequenceNext(ctx, "UBND_XA", "2025-07-01")
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.NoError(t, s.SequenceRaise(ctx, []store.Sequence{
			{Agency: "UBND_XA", Day: "2025-07-01", N: 40},
			{Agency: "UBND_XA", Day: "2025-07-02", N: 7},
			{Agency: "CONG_AN_TINH", Day: "2025-07-01", N: 3},
		}))
		require.NoError(t, s.SequenceRaise(ctx, []store.Sequence{{Agency: "UBND_XA", Day: "2025-07-02", N: 2}}), "never lowers")
		list, err := s.SequenceList(ctx)
		require.NoError(t, err)
		require.Equal(t, []store.Sequence{
			{Agency: "CONG_AN_TINH", Day: "2025-07-01", N: 3},
			{Agency: "UBND_XA", Day: "2025-07-01", N: 40},
			{Agency: "UBND_XA", Day: "2025-07-02", N: 7},
		}, list)
		n, err = s.SequenceNext(ctx, "UBND_XA", "2025-07-01")
		require.NoError(t, err)
		require.Equal(t, 41, n, "numbering goes on after the raised sequence")
		require.EqualError(t, s.SequenceRaise(ctx, []store.Sequence{{Agency: "X", Day: "2025-07-01"}}),
			`raising code sequences: agency "X" day "2025-07-01" n 0: agency and day must be set and n at least 1`)
	})
}

// BenchmarkBulkLoad loads the generated dossiers into a new SQLite file
// (the command demo-data measures larger loads on both databases).
func BenchmarkBulkLoad(b *testing.B) {
	ps, err := generated()
	require.NoError(b, err)
	events := 0
	for _, p := range ps {
		events += len(p.Events)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dsn := filepath.Join(b.TempDir(), fmt.Sprintf("read-%d.db", time.Now().UnixNano()))
		s, err := store.Open(context.Background(), dsn)
		require.NoError(b, err)
		ch := batches(ps, 2000)
		b.StartTimer()
		require.NoError(b, s.BulkLoad(context.Background(), store.BulkLoadParams{Batches: ch}))
		b.StopTimer()
		require.NoError(b, s.Close())
	}
	b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
}
