package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
)

// sha is the hex SHA-256 of s, as component hashes are written.
func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// components are the components of a dossier of the projection fixture.
func components(code string) []dossier.ComponentRef {
	return []dossier.ComponentRef{
		{ID: "don", SHA256: sha("don " + code), Name: "Đơn đề nghị.pdf", Size: 12345},
		{ID: "cccd", SHA256: sha("cccd"), Name: "CCCD", Size: 2048, Reused: true},
	}
}

// exerciseMore runs the tests of components, the audit log, inbox filters
// and counts, dossier counts and statistics; exercise calls it, so they run
// on every database it runs on.
func exerciseMore(t *testing.T, setup func(t *testing.T) *store.Store) {
	ctx := context.Background()

	t.Run("Components", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		p := projection("D1", 1, dossier.StatusReceived)
		p.Snapshot.Components = append(p.Snapshot.Components,
			dossier.ComponentRef{ID: "ghi_chu"}, // no file
			// A name that looks like a hash entry must not count as one.
			dossier.ComponentRef{ID: "bay", SHA256: sha("bay"), Name: `{"sha256":"` + sha("trap") + `"}`})
		require.NoError(t, s.ProjectionApply(ctx, p))
		p2 := projection("D2", 1, dossier.StatusReceived)
		p2.Snapshot.Components = nil
		require.NoError(t, s.ProjectionApply(ctx, p2))

		st, err := s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		require.Equal(t, p.Snapshot.Components, st.Components)
		st, err = s.DossierGet(ctx, "D2")
		require.NoError(t, err)
		require.Nil(t, st.Components, "no components stay none")
		list, err := s.DossierList(ctx, store.DossierListParams{})
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "D2", list[0].Code)
		require.Nil(t, list[0].Components)
		require.Equal(t, p.Snapshot.Components, list[1].Components)

		has := func(code, hash string) bool {
			t.Helper()
			ok, err := s.DossierHasFile(ctx, code, hash)
			require.NoError(t, err)
			return ok
		}
		require.True(t, has("D1", sha("don D1")))
		require.True(t, has("D1", sha("cccd")), "a reused component counts")
		require.True(t, has("D1", sha("bay")))
		require.False(t, has("D1", sha("trap")), "hashes are matched as fields, not as text")
		require.False(t, has("D1", sha("don D2")), "another dossier's file")
		require.False(t, has("D1", ""), "a component without a file authorises nothing")
		require.False(t, has("D1", "%"))
		require.False(t, has("D1", "' OR '1'='1"))
		require.False(t, has("D2", sha("cccd")), "D2 has no components")
		require.False(t, has("NONE", sha("cccd")), "an unknown dossier")
		require.False(t, has("D1", p.Snapshot.Result.SHA256), "the result is not a component")

		// A newer snapshot replaces the components; an older one does not.
		newer := projection("D1", 2, dossier.StatusProcessing)
		newer.Snapshot.Components = []dossier.ComponentRef{{ID: "don", SHA256: sha("don v2"), Name: "Đơn.pdf", Size: 1}}
		require.NoError(t, s.ProjectionApply(ctx, newer))
		require.NoError(t, s.ProjectionApply(ctx, p))
		require.True(t, has("D1", sha("don v2")))
		require.False(t, has("D1", sha("don D1")), "a file no longer held")
		st, err = s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		require.Equal(t, newer.Snapshot.Components, st.Components)
	})

	t.Run("Audit", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		base := time.Date(2025, 3, 14, 1, 0, 0, 0, time.UTC)
		entries := []store.AuditEntry{
			{At: base, RequestID: "r1", Subject: "u1", Kind: "officer", Roles: []string{"mot_cua", "chuyen_vien"},
				Agency: "UBND-X", RemoteAddr: "10.0.0.1:5555", Method: "POST", Action: "dossier.act",
				Target: "D1", Decision: store.AuditAccepted, Status: 200},
			{At: base.Add(time.Minute), RequestID: "r2", Subject: "u2", Kind: "officer", Roles: []string{"lanh_dao"},
				Agency: "UBND-Y", Method: "POST", Action: "dossier.act", Target: "D1",
				Decision: store.AuditDenied, Status: 403, Reason: "role lanh_dao may not act on step tiep_nhan"},
			{At: base.Add(2 * time.Minute), RequestID: "r3", Subject: "CCCD-1", Kind: "citizen",
				Method: "GET", Action: "file.get", Target: "D2", Decision: store.AuditDenied, Status: 404,
				Reason: "file not in dossier"},
			{At: base.Add(3 * time.Minute), RequestID: "r4", Subject: "u1", Kind: "officer", Roles: []string{"mot_cua"},
				Method: "GET", Action: "tasks.list", Decision: store.AuditAccepted, Status: 200},
			{At: base.Add(3 * time.Minute), RequestID: "r5", Subject: "u1", Kind: "officer", Roles: []string{"mot_cua"},
				Method: "POST", Action: "dossier.act", Target: "D2", Decision: store.AuditFailed, Status: 500,
				Reason: "temporal unavailable"},
		}
		for _, e := range entries {
			require.NoError(t, s.AuditAppend(ctx, e))
		}
		list := func(p store.AuditListParams) []string {
			t.Helper()
			got, err := s.AuditList(ctx, p)
			require.NoError(t, err)
			ids := make([]string, len(got))
			for i, e := range got {
				ids[i] = e.RequestID
			}
			return ids
		}
		require.Equal(t, []string{"r5", "r4", "r3", "r2", "r1"}, list(store.AuditListParams{}),
			"newest first; ties in reverse order of appending")
		require.Equal(t, []string{"r5", "r4", "r1"}, list(store.AuditListParams{Subject: "u1"}))
		require.Equal(t, []string{"r2", "r1"}, list(store.AuditListParams{Target: "D1"}))
		require.Equal(t, []string{"r3", "r2"}, list(store.AuditListParams{Decision: store.AuditDenied}))
		require.Equal(t, []string{"r5", "r2", "r1"}, list(store.AuditListParams{Action: "dossier.act"}))
		require.Equal(t, []string{"r5"}, list(store.AuditListParams{Subject: "u1", Action: "dossier.act", Target: "D2"}))
		require.Equal(t, []string{"r3", "r2"}, list(store.AuditListParams{
			From: base.Add(time.Minute), To: base.Add(3 * time.Minute)}), "From inclusive, To exclusive")
		require.Equal(t, []string{"r5", "r4"}, list(store.AuditListParams{From: base.Add(3 * time.Minute).In(dossier.Vietnam)}))
		require.Equal(t, []string{"r1"}, list(store.AuditListParams{To: base.Add(time.Second)}))
		require.Equal(t, []string{"r4", "r3"}, list(store.AuditListParams{Limit: 2, Offset: 1}))
		require.Equal(t, []string{"r1"}, list(store.AuditListParams{Limit: 2, Offset: 4}))
		require.Empty(t, list(store.AuditListParams{Subject: "nobody"}))

		got, err := s.AuditList(ctx, store.AuditListParams{Target: "D1", Decision: store.AuditAccepted})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Positive(t, got[0].ID)
		require.True(t, base.Equal(got[0].At))
		require.Equal(t, "Asia/Ho_Chi_Minh", got[0].At.Location().String())
		want := entries[0]
		want.ID, want.At = got[0].ID, got[0].At
		require.Equal(t, want, got[0], "every field round-trips")

		all, err := s.AuditList(ctx, store.AuditListParams{})
		require.NoError(t, err)
		for i := 1; i < len(all); i++ {
			require.Greater(t, all[i-1].ID, all[i].ID, "ids increase with appending")
		}
		require.Equal(t, "r3", all[2].RequestID)
		require.Equal(t, []string{}, all[2].Roles, "no roles read back as an empty list")

		// A zero time is now; texts are stored verbatim.
		evil := `'; DROP TABLE dossiers; --`
		before := time.Now()
		require.NoError(t, s.AuditAppend(ctx, store.AuditEntry{
			Subject: evil, Roles: []string{evil, `"]`}, Action: "auth.login", Target: `%_\`,
			Decision: store.AuditDenied, Status: 401, Reason: evil + "\n\tünicode 😀",
		}))
		after := time.Now()
		// NUL bytes and invalid UTF-8 (PostgreSQL's text holds neither) are
		// replaced rather than making the entry fail.
		require.NoError(t, s.AuditAppend(ctx, store.AuditEntry{
			Subject: "nul\x00", Roles: []string{"r\x00", "\xff"}, Action: "file.get", Target: "D1\x00\xfe",
			Decision: store.AuditDenied, Status: 404, Reason: "a\x00b\xffc",
			At: base.Add(-time.Hour),
		}))
		got, err = s.AuditList(ctx, store.AuditListParams{Target: "D1\x00\xfe"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, "nul\uFFFD", got[0].Subject)
		require.Equal(t, []string{"r\uFFFD", "\uFFFD"}, got[0].Roles)
		require.Equal(t, "D1\uFFFD\uFFFD", got[0].Target)
		require.Equal(t, "a\uFFFDb\uFFFDc", got[0].Reason)

		got, err = s.AuditList(ctx, store.AuditListParams{Subject: evil})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, evil, got[0].Subject)
		require.Equal(t, evil+"\n\tünicode 😀", got[0].Reason)
		require.Equal(t, []string{evil, `"]`}, got[0].Roles)
		require.Equal(t, `%_\`, got[0].Target)
		require.False(t, got[0].At.Before(before.Truncate(time.Microsecond)) || got[0].At.After(after),
			"At %v is not between %v and %v", got[0].At, before, after)
		require.Equal(t, []string{"r5", "r4", "r3"}, list(store.AuditListParams{
			From: base.Add(2 * time.Minute), To: before.Add(-time.Hour)}))
		require.Empty(t, list(store.AuditListParams{Target: "%"}), "no wildcards")
		_, err = s.DossierList(ctx, store.DossierListParams{})
		require.NoError(t, err, "the dossiers table is still there")

		err = s.AuditAppend(ctx, store.AuditEntry{Subject: "u1", Action: "x", Decision: "maybe"})
		require.ErrorIs(t, err, store.ErrInvalid)
		require.EqualError(t, err, `appending to the audit log: invalid parameter: decision "maybe" (want "accepted", "denied" or "failed")`)
		all2, err := s.AuditList(ctx, store.AuditListParams{})
		require.NoError(t, err)
		require.Len(t, all2, len(entries)+2, "a refused entry is not written")
	})

	t.Run("InboxDue", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		now := at(2025, 3, 14, 12, 0)
		p := projection("D1", 1, dossier.StatusProcessing)
		p.Tasks = []dossier.Task{
			task("late#1", "chuyen_vien", "UBND-X", now.Add(-time.Hour)),
			task("justlate#1", "chuyen_vien", "UBND-X", now.Add(-time.Microsecond)),
			task("now#1", "chuyen_vien", "UBND-X", now),
			task("soon#1", "chuyen_vien", "UBND-X", now.Add(time.Hour)),
			task("edge#1", "chuyen_vien", "UBND-X", now.Add(24*time.Hour-time.Microsecond)),
			task("day#1", "chuyen_vien", "UBND-X", now.Add(24*time.Hour)),
			task("later#1", "chuyen_vien", "UBND-X", now.Add(72*time.Hour)),
			task("none#1", "chuyen_vien", "UBND-X", time.Time{}),
		}
		require.NoError(t, s.ProjectionApply(ctx, p))

		for _, c := range []struct {
			due  string
			want []string
		}{
			{store.DueAll, []string{"late#1", "justlate#1", "now#1", "soon#1", "edge#1", "day#1", "later#1", "none#1"}},
			{store.DueOverdue, []string{"late#1", "justlate#1"}},
			{store.DueSoon, []string{"now#1", "soon#1", "edge#1"}},
			{store.DueOnTime, []string{"day#1", "later#1", "none#1"}},
		} {
			for _, when := range []time.Time{now, now.UTC(), now.Add(999 * time.Nanosecond)} {
				params := store.TaskListParams{Roles: []string{"chuyen_vien"}, Due: c.due, Now: when}
				rows, err := s.TaskList(ctx, params)
				require.NoError(t, err)
				require.Equal(t, c.want, taskIDs(rows), "due %q at %v", c.due, when)
				for _, r := range rows {
					require.Equal(t, c.due == store.DueOverdue || (c.due == store.DueAll && !r.DueAt.IsZero() && r.DueAt.Before(now)),
						r.Overdue, "the Overdue flag agrees with the filter: %s", r.ID)
				}
				n, err := s.TaskCount(ctx, params)
				require.NoError(t, err)
				require.Equal(t, len(c.want), n)
			}
		}
		page, err := s.TaskList(ctx, store.TaskListParams{Due: store.DueSoon, Now: now, Limit: 2, Offset: 1})
		require.NoError(t, err)
		require.Equal(t, []string{"soon#1", "edge#1"}, taskIDs(page))

		_, err = s.TaskList(ctx, store.TaskListParams{Due: "late"})
		require.ErrorIs(t, err, store.ErrInvalid)
		require.EqualError(t, err, `listing tasks: invalid parameter: due filter "late" (want "overdue", "soon", "on_time" or empty)`)
		_, err = s.TaskCount(ctx, store.TaskListParams{Due: "Overdue"})
		require.ErrorIs(t, err, store.ErrInvalid)
	})

	t.Run("InboxProcedureAndCode", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		due := at(2025, 3, 20, 17, 0)
		for _, c := range []struct{ code, procedure, applicant string }{
			{"H12-250314-0001", "P1", "Nguyễn Văn A"},
			{"H12-250314-0002", "P2", "Trần Thị B"},
			{"H12-250315-0001", "P1", "Lê Văn C"},
			{"H12-250314-00010", "P1", "Phạm Thị D"},
		} {
			p := projection(c.code, 1, dossier.StatusProcessing)
			p.Snapshot.ProcedureCode, p.Snapshot.Applicant.Name = c.procedure, c.applicant
			p.Tasks = []dossier.Task{task("tham_dinh#1", "chuyen_vien", "UBND-X", due)}
			due = due.Add(time.Hour)
			require.NoError(t, s.ProjectionApply(ctx, p))
		}
		// A consultation child whose dossier has no snapshot yet.
		require.NoError(t, s.ProjectionApply(ctx, dossier.Projection{
			WorkflowID: "H12-250316-0001/consult/CA", Code: "H12-250316-0001", Seq: 1,
			Tasks: []dossier.Task{task("tra_loi#1", "can_bo_ca", "CA", due)},
		}))

		list := func(p store.TaskListParams) []string {
			t.Helper()
			rows, err := s.TaskList(ctx, p)
			require.NoError(t, err)
			n, err := s.TaskCount(ctx, p)
			require.NoError(t, err)
			require.Equal(t, len(rows), n, "TaskCount agrees with TaskList")
			ids := make([]string, len(rows))
			for i, r := range rows {
				ids[i] = r.DossierCode + "/" + r.ID
			}
			return ids
		}
		require.Equal(t, []string{"H12-250314-0001/tham_dinh#1", "H12-250315-0001/tham_dinh#1", "H12-250314-00010/tham_dinh#1"},
			list(store.TaskListParams{Procedure: "P1"}))
		require.Equal(t, []string{"H12-250314-0002/tham_dinh#1"}, list(store.TaskListParams{Procedure: "P2"}))
		require.Empty(t, list(store.TaskListParams{Procedure: "P9"}))
		require.Empty(t, list(store.TaskListParams{Roles: []string{"can_bo_ca"}, Procedure: "P1"}),
			"a dossier without a snapshot has no procedure yet")

		require.Equal(t, []string{"H12-250314-0001/tham_dinh#1", "H12-250314-0002/tham_dinh#1", "H12-250314-00010/tham_dinh#1"},
			list(store.TaskListParams{DossierCode: "H12-250314"}), "a prefix")
		require.Equal(t, []string{"H12-250314-0002/tham_dinh#1"}, list(store.TaskListParams{DossierCode: "H12-250314-0002"}))
		require.Equal(t, []string{"H12-250314-0001/tham_dinh#1", "H12-250314-00010/tham_dinh#1"},
			list(store.TaskListParams{DossierCode: "H12-250314-0001"}), "a complete code also begins a longer one")
		require.Equal(t, []string{"H12-250314-0001/tham_dinh#1", "H12-250314-00010/tham_dinh#1"},
			list(store.TaskListParams{DossierCode: "H12-250314", Procedure: "P1"}))
		require.Empty(t, list(store.TaskListParams{DossierCode: "h12-250314"}), "case-sensitive")
		require.Empty(t, list(store.TaskListParams{DossierCode: "H12-25031_"}), "no wildcards")
		require.Empty(t, list(store.TaskListParams{DossierCode: "%"}), "no wildcards")
		require.Empty(t, list(store.TaskListParams{DossierCode: "250314"}), "not a substring")
		require.Empty(t, list(store.TaskListParams{DossierCode: "H12-250314-0001-and-more"}))
		require.Equal(t, []string{"H12-250316-0001/tra_loi#1"},
			list(store.TaskListParams{Roles: []string{"can_bo_ca"}, DossierCode: "H12-250316"}))
		require.Equal(t, []string{"H12-250314-0002/tham_dinh#1"},
			list(store.TaskListParams{DossierCode: "H12-250314", Procedure: "P2", Limit: 1}))
		require.Equal(t, []string{"H12-250314-0002/tham_dinh#1"},
			list(store.TaskListParams{DossierCode: "H12-250314", Procedure: "P2", Due: store.DueOnTime,
				Now: at(2025, 3, 14, 12, 0)}))
		require.Empty(t, list(store.TaskListParams{DossierCode: "H12-250314", Due: store.DueOverdue,
			Now: at(2025, 3, 14, 12, 0)}))

		rows, err := s.TaskList(ctx, store.TaskListParams{DossierCode: "H12-250314-0002"})
		require.NoError(t, err)
		require.Equal(t, "P2", rows[0].ProcedureCode)
		require.Equal(t, "Trần Thị B", rows[0].ApplicantName)
		child, err := s.TaskGet(ctx, "H12-250316-0001", "tra_loi#1")
		require.NoError(t, err)
		require.Empty(t, child.ApplicantName)
		require.Empty(t, child.ProcedureCode)
	})

	t.Run("TaskCount", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		p1 := projection("D1", 1, dossier.StatusProcessing)
		p1.Tasks = nil
		for i := range 7 {
			p1.Tasks = append(p1.Tasks, task("a#"+string(rune('a'+i)), "chuyen_vien", "UBND-X", at(2025, 3, 14+i, 17, 0)))
		}
		p2 := projection("D2", 1, dossier.StatusSupplement)
		p2.Snapshot.Applicant.ID = "CCCD-2"
		p2.Tasks = []dossier.Task{
			task("bo_sung#1", dossier.RoleApplicant, "", time.Time{}),
			task("ky#1", "lanh_dao", "UBND-Y", at(2025, 3, 15, 17, 0)),
		}
		require.NoError(t, s.ProjectionApply(ctx, p1))
		require.NoError(t, s.ProjectionApply(ctx, p2))
		now := at(2025, 3, 17, 12, 0)
		for _, p := range []store.TaskListParams{
			{},
			{Roles: []string{"chuyen_vien"}},
			{Agency: "UBND-Y"},
			{ApplicantID: "CCCD-2"},
			{Roles: []string{"lanh_dao"}, ApplicantID: "CCCD-2"},
			{Due: store.DueOverdue},
			{Due: store.DueOnTime},
			{Procedure: "1.001234", Due: store.DueSoon},
		} {
			p.Now = now
			rows, err := s.TaskList(ctx, p)
			require.NoError(t, err)
			for _, lim := range []int{0, 1, 3} {
				p.Limit, p.Offset = lim, 1
				n, err := s.TaskCount(ctx, p)
				require.NoError(t, err)
				require.Equal(t, len(rows), n, "%+v: Limit and Offset do not count", p)
			}
		}
		n, err := s.TaskCount(ctx, store.TaskListParams{})
		require.NoError(t, err)
		require.Equal(t, 9, n)
		n, err = s.TaskCount(ctx, store.TaskListParams{Due: store.DueOverdue, Now: now})
		require.NoError(t, err)
		require.Equal(t, 4, n, "a..c of D1 and ky#1 of D2")
	})

	t.Run("DossierCount", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		for i, c := range []struct {
			code, procedure, agency, applicant string
			status                             dossier.Status
		}{
			{"D1", "P1", "A1", "U1", dossier.StatusProcessing},
			{"D2", "P1", "A2", "U2", dossier.StatusReturned},
			{"D3", "P2", "A1", "U1", dossier.StatusProcessing},
			{"D4", "P2", "A1", "U3", dossier.StatusSupplement},
			{"D5", "P1", "A1", "U1", dossier.StatusReturned},
		} {
			p := projection(c.code, 1, c.status)
			p.Snapshot.ProcedureCode, p.Snapshot.Agency = c.procedure, c.agency
			p.Snapshot.Applicant.ID = c.applicant
			p.Snapshot.ReceivedAt = at(2025, 3, 10+i, 8, 0)
			require.NoError(t, s.ProjectionApply(ctx, p))
		}
		for _, c := range []struct {
			p    store.DossierListParams
			want []string
		}{
			{store.DossierListParams{}, []string{"D5", "D4", "D3", "D2", "D1"}},
			{store.DossierListParams{ApplicantID: "U1"}, []string{"D5", "D3", "D1"}},
			{store.DossierListParams{ApplicantID: "U1", Status: dossier.StatusProcessing}, []string{"D3", "D1"}},
			{store.DossierListParams{Agency: "A1", Procedure: "P1"}, []string{"D5", "D1"}},
			{store.DossierListParams{Status: dossier.StatusReturned}, []string{"D5", "D2"}},
			{store.DossierListParams{Procedure: "P2"}, []string{"D4", "D3"}},
			{store.DossierListParams{ApplicantID: "U9"}, []string{}},
			{store.DossierListParams{ApplicantID: "' OR ''='"}, []string{}},
		} {
			ds, err := s.DossierList(ctx, c.p)
			require.NoError(t, err)
			codes := []string{}
			for _, d := range ds {
				codes = append(codes, d.Code)
			}
			require.Equal(t, c.want, codes, "%+v", c.p)
			c.p.Limit, c.p.Offset = 1, 1
			n, err := s.DossierCount(ctx, c.p)
			require.NoError(t, err)
			require.Equal(t, len(c.want), n, "%+v: Limit and Offset do not count", c.p)
			if len(c.want) > 1 {
				page, err := s.DossierList(ctx, c.p)
				require.NoError(t, err)
				require.Len(t, page, 1)
				require.Equal(t, c.want[1], page[0].Code)
			}
		}
	})

	t.Run("Stats", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		now := at(2025, 3, 17, 12, 0)

		empty, err := s.Stats(ctx, now)
		require.NoError(t, err)
		require.Empty(t, empty.Dossiers)
		require.Zero(t, empty.OpenTasks)
		require.Zero(t, empty.OverdueTasks)
		require.True(t, empty.LastProjectedAt.IsZero())

		before := time.Now()
		// P1: D1 and D2 processing, D3 returned; P2: D4 in supplement.
		// Tasks: D1 two (one overdue), D2 one without due time, D4 the
		// applicant's (overdue), D3's consultation child one (overdue),
		// one due exactly now (not overdue).
		mk := func(code, procedure string, status dossier.Status, tasks ...dossier.Task) {
			p := projection(code, 1, status)
			p.Snapshot.ProcedureCode = procedure
			p.Tasks = tasks
			require.NoError(t, s.ProjectionApply(ctx, p))
		}
		mk("D1", "P1", dossier.StatusProcessing,
			task("a#1", "chuyen_vien", "UBND-X", now.Add(-time.Hour)),
			task("b#1", "chuyen_vien", "UBND-X", now.Add(time.Hour)))
		mk("D2", "P1", dossier.StatusProcessing, task("c#1", "chuyen_vien", "UBND-X", time.Time{}))
		mk("D3", "P1", dossier.StatusReturned)
		mk("D4", "P2", dossier.StatusSupplement,
			task("bo_sung#1", dossier.RoleApplicant, "", now.Add(-48*time.Hour)),
			task("d#1", "chuyen_vien", "UBND-X", now))
		require.NoError(t, s.ProjectionApply(ctx, dossier.Projection{
			WorkflowID: "D3/consult/CA", Code: "D3", Seq: 1,
			Tasks: []dossier.Task{task("tra_loi#1", "can_bo_ca", "CA", now.Add(-time.Minute))},
		}))
		after := time.Now()

		st, err := s.Stats(ctx, now)
		require.NoError(t, err)
		require.Equal(t, []store.StatusCount{
			{Procedure: "P1", Status: dossier.StatusProcessing, N: 2},
			{Procedure: "P1", Status: dossier.StatusReturned, N: 1},
			{Procedure: "P2", Status: dossier.StatusSupplement, N: 1},
		}, st.Dossiers)
		require.Equal(t, 6, st.OpenTasks)
		require.Equal(t, 3, st.OverdueTasks)
		require.False(t, st.LastProjectedAt.Before(before.Truncate(time.Microsecond)) || st.LastProjectedAt.After(after),
			"LastProjectedAt %v is not between %v and %v", st.LastProjectedAt, before, after)

		later, err := s.Stats(ctx, now.Add(time.Hour+time.Second))
		require.NoError(t, err)
		require.Equal(t, 5, later.OverdueTasks, "d#1 and b#1 are overdue an hour later")
		current, err := s.Stats(ctx, time.Time{})
		require.NoError(t, err)
		require.Equal(t, 5, current.OverdueTasks, "a zero time is now, long after 2025")
	})

	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		require.NoError(t, s.Ping(ctx))
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		require.Error(t, s.Ping(cancelled))
	})
}

func TestPingClosed(t *testing.T) {
	t.Parallel()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "read.db"))
	require.NoError(t, err)
	require.NoError(t, s.Ping(context.Background()))
	require.NoError(t, s.Close())
	require.ErrorContains(t, s.Ping(context.Background()), "pinging read model at ")
}
