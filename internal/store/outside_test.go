package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
)

// outsideCounts are the counts of the report's dossier pass that the
// outside data makes, for the dossiers received from 1 March 2025, cut at
// cut.
func outsideCounts(t *testing.T, s *store.Store, cut time.Time) [4]int {
	t.Helper()
	rows, err := s.ReportDossiers(context.Background(), store.ReportParams{Periods: []store.ReportPeriod{{From: at(2025, 3, 1, 0, 0), To: cut}}})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	r := rows[0]
	return [4]int{r.Synced, r.Dissatisfied, r.Complained, r.DissatisfiedOrComplained}
}

// TestPortalSyncedAndComplaintAdd records a dossier's accepted pushes and
// complaints: the earliest of each counts, from its time on; a later
// projection keeps them; a repeated complaint changes nothing; a dossier
// the read model does not hold is not found.
func TestPortalSyncedAndComplaintAdd(t *testing.T) {
	t.Parallel()
	bulkDatabases(t, func(t *testing.T, newDSN func(t *testing.T) string) {
		ctx := context.Background()
		dsn := newDSN(t)
		s := openStore(t, dsn)
		// D1: received 14/03 07:30, rated dissatisfied 22/03 08:00.
		require.NoError(t, s.ProjectionApply(ctx, projection("D1", 2, dossier.StatusReturned)))

		require.ErrorIs(t, s.PortalSynced(ctx, "D9", at(2025, 3, 14, 8, 0)), store.ErrNotFound)
		require.ErrorIs(t, s.PortalSynced(ctx, "D1", time.Time{}), store.ErrInvalid)
		require.ErrorIs(t, s.PortalSynced(ctx, "", at(2025, 3, 14, 8, 0)), store.ErrInvalid)
		require.EqualError(t, s.PortalSynced(ctx, "D9", at(2025, 3, 14, 8, 0)),
			"recording the portal sync of dossier D9: not found: no dossier D9 in the read model")

		// A later push recorded first, then the first one.
		require.NoError(t, s.PortalSynced(ctx, "D1", at(2025, 3, 16, 9, 0)))
		require.Equal(t, [4]int{0, 0, 0, 0}, outsideCounts(t, s, at(2025, 3, 15, 0, 0)))
		require.NoError(t, s.PortalSynced(ctx, "D1", at(2025, 3, 14, 7, 35)))
		require.NoError(t, s.PortalSynced(ctx, "D1", at(2025, 3, 18, 9, 0)))
		require.Equal(t, [4]int{1, 0, 0, 0}, outsideCounts(t, s, at(2025, 3, 15, 0, 0)))
		require.Equal(t, [4]int{0, 0, 0, 0}, outsideCounts(t, s, at(2025, 3, 14, 7, 35)), "the cut is excluded")

		// A newer projection replaces the snapshot, not what came from
		// outside.
		p := projection("D1", 3, dossier.StatusReturned)
		p.Events = append(p.Events, dossier.Event{Seq: 3, At: at(2025, 3, 20, 9, 0), Kind: dossier.EventReturned, Status: dossier.StatusReturned})
		require.NoError(t, s.ProjectionApply(ctx, p))
		require.Equal(t, [4]int{1, 0, 0, 0}, outsideCounts(t, s, at(2025, 3, 15, 0, 0)))

		// Complaints: the first dated 20/03, then an earlier one.
		first := store.Complaint{Reference: "PAKN-1", DossierCode: "D1", At: at(2025, 3, 20, 10, 0),
			Content: "Trả kết quả chậm\x00, \xffkhông báo trước"}
		added, err := s.ComplaintAdd(ctx, first)
		require.NoError(t, err)
		require.True(t, added)
		require.Equal(t, [4]int{1, 0, 0, 0}, outsideCounts(t, s, at(2025, 3, 20, 10, 0)))
		require.Equal(t, [4]int{1, 0, 1, 1}, outsideCounts(t, s, at(2025, 3, 21, 0, 0)))
		// Rated dissatisfied on 22/03 as well: counted once.
		require.Equal(t, [4]int{1, 1, 1, 1}, outsideCounts(t, s, at(2025, 3, 23, 0, 0)))

		// The same reference again, dated earlier: nothing changes.
		repeat := first
		repeat.At, repeat.Content = at(2025, 3, 15, 0, 0), "khác"
		added, err = s.ComplaintAdd(ctx, repeat)
		require.NoError(t, err)
		require.False(t, added)
		require.Equal(t, [4]int{1, 0, 0, 0}, outsideCounts(t, s, at(2025, 3, 20, 0, 0)))

		// Another complaint, earlier: the dossier counts from it.
		added, err = s.ComplaintAdd(ctx, store.Complaint{Reference: "PAKN-2", DossierCode: "D1", At: at(2025, 3, 19, 9, 0), Content: "Chờ lâu"})
		require.NoError(t, err)
		require.True(t, added)
		require.Equal(t, [4]int{1, 0, 1, 1}, outsideCounts(t, s, at(2025, 3, 20, 0, 0)))

		_, err = s.ComplaintAdd(ctx, store.Complaint{Reference: "PAKN-3", DossierCode: "D9", At: at(2025, 3, 19, 9, 0)})
		require.ErrorIs(t, err, store.ErrNotFound)
		for _, bad := range []store.Complaint{
			{DossierCode: "D1", At: at(2025, 3, 19, 9, 0)},
			{Reference: "PAKN-\x00", DossierCode: "D1", At: at(2025, 3, 19, 9, 0)},
			{Reference: "PAKN-4", At: at(2025, 3, 19, 9, 0)},
			{Reference: "PAKN-4", DossierCode: "D1"},
		} {
			_, err = s.ComplaintAdd(ctx, bad)
			require.ErrorIs(t, err, store.ErrInvalid, "%+v", bad)
		}

		rows := tableRows(t, dsn, "complaints", "reference")
		require.Len(t, rows, 2)
		require.Equal(t, "PAKN-1", rows[0]["reference"])
		require.Equal(t, "D1", rows[0]["dossier_code"])
		require.Equal(t, "Trả kết quả chậm\uFFFD, \uFFFDkhông báo trước", rows[0]["content"], "as the audit log keeps texts")
		require.Equal(t, "2025-03-20T03:00:00Z", rows[0]["at"].(string)[:19]+"Z")
	})
}

// TestBulkLoadOutside checks that BulkLoad's outside data gives the read
// model PortalSynced and ComplaintAdd give: the same report_facts rows, the
// same complaints (but the time they were recorded), the same report
// figures.
func TestBulkLoadOutside(t *testing.T) {
	t.Parallel()
	ds, err := generatedDossiers()
	require.NoError(t, err)
	// A hand-made dossier with what generated ones may lack: two
	// complaints, one without its dossier code, given latest first.
	hand := projection("HAND-1", 4, dossier.StatusReturned)
	ps := []dossier.Projection{}
	outside := map[string]store.Outside{"HAND-1": {PortalSyncedAt: at(2025, 3, 14, 7, 31), Complaints: []store.Complaint{
		{Reference: "PAKN-HAND-2", DossierCode: "HAND-1", At: at(2025, 3, 25, 9, 0), Content: "Lần hai"},
		{Reference: "PAKN-HAND-1", At: at(2025, 3, 21, 9, 0), Content: "Chậm trả kết quả"},
	}}}
	complaints := 2
	for _, d := range ds {
		ps = append(ps, d.Projections...)
		if !d.PortalSyncedAt.IsZero() || len(d.Complaints) > 0 {
			outside[d.Code] = store.Outside{PortalSyncedAt: d.PortalSyncedAt, Complaints: d.Complaints}
			complaints += len(d.Complaints)
		}
	}
	ps = append(ps, hand)
	require.Greater(t, len(outside), 300)

	bulkDatabases(t, func(t *testing.T, newDSN func(t *testing.T) string) {
		ctx := context.Background()
		applied, bulk := newDSN(t), newDSN(t)
		a, b := openStore(t, applied), openStore(t, bulk)
		for _, p := range ps {
			require.NoError(t, a.ProjectionApply(ctx, p))
		}
		for code, o := range outside {
			if !o.PortalSyncedAt.IsZero() {
				require.NoError(t, a.PortalSynced(ctx, code, o.PortalSyncedAt))
			}
			for _, c := range o.Complaints {
				c.DossierCode = code
				added, err := a.ComplaintAdd(ctx, c)
				require.NoError(t, err)
				require.True(t, added)
			}
		}
		asked := map[string]int{}
		total := 0
		require.NoError(t, b.BulkLoad(ctx, store.BulkLoadParams{Batches: batches(ps, 97),
			Committed: func(c store.BulkCounts) { total += c.Complaints },
			Outside: func(p *dossier.Projection) store.Outside {
				require.NotNil(t, p.Snapshot, "asked only of a dossier's own projection")
				asked[p.Code]++
				return outside[p.Code]
			}}))
		require.Equal(t, complaints, total)
		require.Len(t, asked, len(ds)+1, "every dossier, once")
		for code, n := range asked {
			require.Equal(t, 1, n, code)
		}

		// The rows.
		for _, table := range []struct{ name, order string }{{"report_facts", "code"}, {"complaints", "reference"}} {
			want := tableRows(t, applied, table.name, table.order)
			got := tableRows(t, bulk, table.name, table.order)
			require.Equal(t, len(want), len(got), table.name)
			for i := range want {
				if table.name == "complaints" {
					delete(want[i], "received_at")
					delete(got[i], "received_at")
				}
				require.Equal(t, want[i], got[i], "%s row %d", table.name, i)
			}
		}
		require.Len(t, tableRows(t, bulk, "complaints", "reference"), complaints)

		// The report.
		day := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 0, 0, 0, 0, dossier.Vietnam) }
		sums := [3]int{}
		for _, p := range []store.ReportParams{
			{Periods: []store.ReportPeriod{{From: day(3, 1), To: day(4, 1)}}},
			{Periods: []store.ReportPeriod{{From: day(8, 1), To: day(9, 1)}, {From: day(9, 1), To: day(9, 10).Add(10 * time.Hour)}},
				Group: store.ReportGroupProcedure},
			{Periods: []store.ReportPeriod{{From: day(8, 1), To: day(8, 15)}, {From: day(8, 20), To: day(8, 21)}}, Group: store.ReportGroupAgency},
		} {
			want, err := a.ReportDossiers(ctx, p)
			require.NoError(t, err)
			got, err := b.ReportDossiers(ctx, p)
			require.NoError(t, err)
			require.Equal(t, want, got)
			for _, r := range got {
				sums[0] += r.Synced
				sums[1] += r.Complained
				sums[2] += r.DissatisfiedOrComplained
			}
		}
		require.Greater(t, sums[0], 300, "synced")
		require.Greater(t, sums[1], 1, "complained about")
		require.GreaterOrEqual(t, sums[2], sums[1])
	})
}

// TestBulkLoadOutsideChecks refuses outside data the read model cannot
// hold, and a complaint reference already recorded.
func TestBulkLoadOutsideChecks(t *testing.T) {
	t.Parallel()
	bulkDatabases(t, func(t *testing.T, newDSN func(t *testing.T) string) {
		ctx := context.Background()
		s := openStore(t, newDSN(t))
		load := func(code string, o store.Outside) error {
			return s.BulkLoad(ctx, store.BulkLoadParams{Batches: batches([]dossier.Projection{projection(code, 2, dossier.StatusProcessing)}, 1),
				Outside: func(*dossier.Projection) store.Outside { return o }})
		}
		require.ErrorContains(t, load("D1", store.Outside{Complaints: []store.Complaint{{Reference: "R1", DossierCode: "D2", At: at(2025, 3, 20, 9, 0)}}}),
			`projection of workflow D1 seq 2: complaint "R1" is about dossier "D2", not "D1"`)
		require.ErrorContains(t, load("D1", store.Outside{Complaints: []store.Complaint{{Reference: "R1"}}}),
			`projection of workflow D1 seq 2: complaint "R1": invalid parameter: the complaint has no time`)
		require.NoError(t, load("D1", store.Outside{Complaints: []store.Complaint{{Reference: "R1", At: at(2025, 3, 20, 9, 0)}}}))
		err := load("D2", store.Outside{Complaints: []store.Complaint{{Reference: "R1", At: at(2025, 3, 20, 9, 0)}}})
		require.ErrorContains(t, err, "writing complaints: a complaint reference of the batch is already in the read model or twice in the batch")
		_, err = s.DossierGet(ctx, "D2")
		require.ErrorIs(t, err, store.ErrNotFound, "the batch is rolled back")
		n, err := s.DossierCount(ctx, store.DossierListParams{})
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}
