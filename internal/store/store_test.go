package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	exercise(t, func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "read.db")
	})
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("MOTCUA_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("MOTCUA_TEST_POSTGRES is unset (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Close() })

	// Each test gets its own schema; the store reaches it through search_path.
	exercise(t, func(t *testing.T) string {
		t.Helper()
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "motcua_test_" + hex.EncodeToString(b[:])
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
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "nowhere")

	_, err := store.Open(ctx, filepath.Join(missing, "read.db"))
	require.EqualError(t, err, "opening read model at "+filepath.Join(missing, "read.db")+
		": folder "+missing+" does not exist (create it first)")

	_, err = store.Open(ctx, "")
	require.EqualError(t, err, "opening read model at : missing database path (give a SQLite file path or a postgres:// URL)")

	_, err = store.Open(ctx, "postgres://someone:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	require.ErrorContains(t, err, "opening read model at postgres://someone:xxxxx@127.0.0.1:1/none?")
	require.NotContains(t, err.Error(), "secret")
}

func TestOpenSQLitePrefix(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "read.db")
	s, err := store.Open(context.Background(), "sqlite:"+path)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = os.Stat(path)
	require.NoError(t, err)
}

// exercise runs the store's suite on the database newDSN makes: a fresh,
// empty one per call.
func exercise(t *testing.T, newDSN func(t *testing.T) string) {
	ctx := context.Background()

	open := func(t *testing.T, dsn string) *store.Store {
		t.Helper()
		s, err := store.Open(ctx, dsn)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		return s
	}
	setup := func(t *testing.T) *store.Store {
		t.Helper()
		return open(t, newDSN(t))
	}

	t.Run("MigrationsTwice", func(t *testing.T) {
		t.Parallel()
		dsn := newDSN(t)
		s1 := open(t, dsn)
		require.NoError(t, s1.ProjectionApply(ctx, projection("D1", 1, dossier.StatusReceived)))
		s2 := open(t, dsn) // while s1 is still open
		st, err := s2.DossierGet(ctx, "D1")
		require.NoError(t, err)
		require.Equal(t, dossier.StatusReceived, st.Status)
		require.NoError(t, s1.Close())
		s3, err := store.Open(ctx, dsn)
		require.NoError(t, err)
		require.NoError(t, s3.Close())
	})

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		p := projection("D1", 3, dossier.StatusProcessing)
		require.NoError(t, s.ProjectionApply(ctx, p))

		got, err := s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		want := *p.Snapshot
		want.StatusName = want.Status.String()
		want.Applicant.Contact = "" // not kept in the read model
		want.Timeline = p.Events
		want.OpenTasks = p.Tasks
		requireSameState(t, want, got)
		require.Equal(t, "Đang xử lý", got.StatusName)

		n, err := s.EventCount(ctx, "D1")
		require.NoError(t, err)
		require.Equal(t, 3, n)
		mark, ok, err := s.ProjectionMark(ctx, "D1")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, 3, mark)
	})

	t.Run("Idempotent", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		p := projection("D1", 3, dossier.StatusProcessing)
		require.NoError(t, s.ProjectionApply(ctx, p))
		first, err := s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		require.NoError(t, s.ProjectionApply(ctx, p))
		second, err := s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		requireSameState(t, first, second)
		n, err := s.EventCount(ctx, "D1")
		require.NoError(t, err)
		require.Equal(t, 3, n)
	})

	t.Run("OlderAfterNewer", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		older := projection("D1", 3, dossier.StatusReceived)
		newer := projection("D1", 5, dossier.StatusProcessing)
		newer.Events = append(newer.Events,
			event(4, at(2025, 3, 14, 10, 0), dossier.EventActed, dossier.StatusProcessing),
			event(5, at(2025, 3, 14, 11, 0), dossier.EventTaskOpened, dossier.StatusProcessing))
		newer.Events = newer.Events[3:] // only the events since the older projection
		newer.Tasks = []dossier.Task{task("phe_duyet#1", "lanh_dao", "UBND-X", at(2025, 3, 20, 17, 0))}

		// The newer projection arrives first (the older one's activity was retried).
		require.NoError(t, s.ProjectionApply(ctx, newer))
		require.NoError(t, s.ProjectionApply(ctx, older))

		st, err := s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		require.Equal(t, dossier.StatusProcessing, st.Status)
		require.Len(t, st.Timeline, 5, "the older projection's events still count")
		for i, e := range st.Timeline {
			require.Equal(t, i+1, e.Seq)
		}
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, "phe_duyet#1", st.OpenTasks[0].ID)
		mark, _, err := s.ProjectionMark(ctx, "D1")
		require.NoError(t, err)
		require.Equal(t, 5, mark)
	})

	t.Run("TasksReplaced", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		p := projection("D1", 1, dossier.StatusProcessing)
		p.Tasks = []dossier.Task{
			task("a#1", "chuyen_vien", "UBND-X", time.Time{}),
			task("b#1", "chuyen_vien", "UBND-X", time.Time{}),
		}
		require.NoError(t, s.ProjectionApply(ctx, p))
		p.Seq, p.Events, p.Tasks = 2, nil, p.Tasks[1:]
		require.NoError(t, s.ProjectionApply(ctx, p))

		_, err := s.TaskGet(ctx, "D1", "a#1")
		require.ErrorIs(t, err, store.ErrNotFound)
		got, err := s.TaskGet(ctx, "D1", "b#1")
		require.NoError(t, err)
		require.Equal(t, "D1", got.WorkflowID)

		p.Seq, p.Tasks = 3, nil
		require.NoError(t, s.ProjectionApply(ctx, p))
		st, err := s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		require.Empty(t, st.OpenTasks)
		rows, err := s.TaskList(ctx, store.TaskListParams{})
		require.NoError(t, err)
		require.Empty(t, rows)
	})

	t.Run("InboxOrder", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		now := at(2025, 3, 14, 12, 0)
		p := projection("D1", 1, dossier.StatusProcessing)
		p.Tasks = []dossier.Task{
			task("later#1", "chuyen_vien", "UBND-X", now.Add(48*time.Hour)),
			task("none#1", "chuyen_vien", "UBND-X", time.Time{}),
			task("late#1", "chuyen_vien", "UBND-X", now.Add(-time.Hour)),
			task("soon#1", "chuyen_vien", "UBND-X", now.Add(time.Hour)),
			task("latest#1", "chuyen_vien", "UBND-X", now.Add(-48*time.Hour)),
		}
		require.NoError(t, s.ProjectionApply(ctx, p))

		rows, err := s.TaskList(ctx, store.TaskListParams{Roles: []string{"chuyen_vien"}, Agency: "UBND-X", Now: now})
		require.NoError(t, err)
		require.Equal(t, []string{"latest#1", "late#1", "soon#1", "later#1", "none#1"}, taskIDs(rows))
		require.Equal(t, []bool{true, true, false, false, false}, overdue(rows))
		for _, r := range rows {
			require.Equal(t, "D1", r.DossierCode)
			require.Equal(t, "D1", r.WorkflowID)
			require.Equal(t, "1.001234", r.ProcedureCode)
		}

		page, err := s.TaskList(ctx, store.TaskListParams{Roles: []string{"chuyen_vien"}, Now: now, Limit: 2, Offset: 2})
		require.NoError(t, err)
		require.Equal(t, []string{"soon#1", "later#1"}, taskIDs(page))
	})

	t.Run("InboxFilters", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		due := at(2025, 3, 20, 17, 0)
		p1 := projection("D1", 1, dossier.StatusProcessing)
		p1.Tasks = []dossier.Task{
			task("tham_dinh#1", "chuyen_vien", "UBND-X", due),
			task("ky#1", "lanh_dao", "UBND-X", due.Add(time.Hour)),
		}
		p2 := projection("D2", 1, dossier.StatusSupplement)
		p2.Snapshot.Applicant = dossier.Applicant{ID: "CCCD-2", Name: "Trần Thị B"}
		p2.Tasks = []dossier.Task{
			task("bo_sung#1", dossier.RoleApplicant, "UBND-X", due.Add(2*time.Hour)),
			task("tham_dinh#1", "chuyen_vien", "UBND-Y", due.Add(3*time.Hour)),
		}
		require.NoError(t, s.ProjectionApply(ctx, p1))
		require.NoError(t, s.ProjectionApply(ctx, p2))

		list := func(p store.TaskListParams) []string {
			t.Helper()
			rows, err := s.TaskList(ctx, p)
			require.NoError(t, err)
			ids := make([]string, len(rows))
			for i, r := range rows {
				ids[i] = r.DossierCode + "/" + r.ID
			}
			return ids
		}
		require.Equal(t, []string{"D1/tham_dinh#1", "D2/tham_dinh#1"},
			list(store.TaskListParams{Roles: []string{"chuyen_vien"}}))
		require.Equal(t, []string{"D1/tham_dinh#1"},
			list(store.TaskListParams{Roles: []string{"chuyen_vien"}, Agency: "UBND-X"}))
		require.Equal(t, []string{"D1/tham_dinh#1", "D1/ky#1"},
			list(store.TaskListParams{Roles: []string{"chuyen_vien", "lanh_dao"}, Agency: "UBND-X"}))
		require.Equal(t, []string{"D1/tham_dinh#1", "D1/ky#1"},
			list(store.TaskListParams{Agency: "UBND-X"}), "an agency's officers' tasks, not the applicant's")
		require.Equal(t, []string{"D2/bo_sung#1"},
			list(store.TaskListParams{ApplicantID: "CCCD-2"}))
		require.Empty(t, list(store.TaskListParams{ApplicantID: "CCCD-1"}), "D1's applicant has nothing to do")
		require.Empty(t, list(store.TaskListParams{Roles: []string{dossier.RoleApplicant}}),
			"the applicant's tasks need the applicant")
		require.Equal(t, []string{"D1/ky#1", "D2/bo_sung#1"},
			list(store.TaskListParams{Roles: []string{"lanh_dao"}, ApplicantID: "CCCD-2"}), "both inboxes at once")
		require.Equal(t, []string{"D1/tham_dinh#1", "D1/ky#1", "D2/bo_sung#1", "D2/tham_dinh#1"},
			list(store.TaskListParams{}), "no filter: every task")
	})

	t.Run("ConsultationChild", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		parent := projection("D1", 3, dossier.StatusProcessing)
		parent.Tasks = nil
		parent.Events = append(parent.Events,
			event(4, at(2025, 3, 14, 9, 0), dossier.EventConsultSent, dossier.StatusProcessing))
		parent.Seq = 4
		child := dossier.Projection{
			WorkflowID: "D1/consult/CA-TINH",
			Code:       "D1",
			Seq:        2,
			Events: []dossier.Event{
				event(1, at(2025, 3, 14, 9, 0), dossier.EventSubmitted, dossier.StatusProcessing),
				event(2, at(2025, 3, 14, 9, 30), dossier.EventTaskOpened, dossier.StatusProcessing),
			},
			Tasks: []dossier.Task{task("tra_loi#1", "can_bo_ca", "CA-TINH", at(2025, 3, 17, 17, 0))},
		}
		// The child's first projection may land before the parent's.
		require.NoError(t, s.ProjectionApply(ctx, child))
		_, err := s.DossierGet(ctx, "D1")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, s.ProjectionApply(ctx, parent))

		st, err := s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		var got []string
		for _, e := range st.Timeline {
			got = append(got, e.At.Format("15:04")+" "+e.Kind)
		}
		// Ordered by time, then workflow id: at 09:00 the parent ("D1")
		// comes before its child ("D1/consult/…").
		require.Equal(t, []string{
			"07:30 submitted", "08:00 acted", "08:30 task_opened", "09:00 consult_sent",
			"09:00 submitted", "09:30 task_opened",
		}, got)

		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, "tra_loi#1", st.OpenTasks[0].ID)
		tr, err := s.TaskGet(ctx, "D1", "tra_loi#1")
		require.NoError(t, err)
		require.Equal(t, "D1/consult/CA-TINH", tr.WorkflowID)
		require.Equal(t, "D1", tr.DossierCode)
		require.Equal(t, "1.001234", tr.ProcedureCode)
		wf, err := s.TaskWorkflow(ctx, "D1", "tra_loi#1")
		require.NoError(t, err)
		require.Equal(t, "D1/consult/CA-TINH", wf)

		rows, err := s.TaskList(ctx, store.TaskListParams{Roles: []string{"can_bo_ca"}, Agency: "CA-TINH"})
		require.NoError(t, err)
		require.Equal(t, []string{"tra_loi#1"}, taskIDs(rows))

		n, err := s.EventCount(ctx, "D1/consult/CA-TINH")
		require.NoError(t, err)
		require.Equal(t, 2, n)

		// The child's newer projection closes its task; the parent's stay.
		child.Seq, child.Events, child.Tasks = 3, []dossier.Event{
			event(3, at(2025, 3, 15, 8, 0), dossier.EventConsultAnswered, dossier.StatusProcessing),
		}, nil
		require.NoError(t, s.ProjectionApply(ctx, child))
		st, err = s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		require.Empty(t, st.OpenTasks)
		require.Len(t, st.Timeline, 7)
		require.Equal(t, dossier.StatusProcessing, st.Status, "a child never touches the dossier row")
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		_, err := s.DossierGet(ctx, "NONE")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.EqualError(t, err, "getting dossier NONE: not found")
		_, err = s.TaskGet(ctx, "NONE", "x#1")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.EqualError(t, err, "getting task x#1 of dossier NONE: not found")
		_, err = s.TaskWorkflow(ctx, "NONE", "x#1")
		require.ErrorIs(t, err, store.ErrNotFound)
		n, err := s.EventCount(ctx, "NONE")
		require.NoError(t, err)
		require.Zero(t, n)
		_, ok, err := s.ProjectionMark(ctx, "NONE")
		require.NoError(t, err)
		require.False(t, ok)
	})

	t.Run("InvalidProjection", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		p := projection("D1", 1, dossier.StatusNew)
		p.Tasks = append(p.Tasks, p.Tasks[0])
		require.EqualError(t, s.ProjectionApply(ctx, p),
			`applying projection of workflow D1 seq 1: task "tham_dinh#1" listed twice`)
		p = projection("D1", 1, dossier.StatusNew)
		p.WorkflowID = ""
		require.EqualError(t, s.ProjectionApply(ctx, p), `applying projection of workflow  seq 1: missing workflow id`)
		_, err := s.DossierGet(ctx, "D1")
		require.ErrorIs(t, err, store.ErrNotFound, "nothing of a refused projection is kept")
	})

	t.Run("DossierList", func(t *testing.T) {
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
		} {
			p := projection(c.code, 1, c.status)
			p.Snapshot.ProcedureCode, p.Snapshot.Agency = c.procedure, c.agency
			p.Snapshot.Applicant.ID = c.applicant
			p.Snapshot.ReceivedAt = at(2025, 3, 10+i, 8, 0)
			require.NoError(t, s.ProjectionApply(ctx, p))
		}
		list := func(p store.DossierListParams) []string {
			t.Helper()
			ds, err := s.DossierList(ctx, p)
			require.NoError(t, err)
			codes := make([]string, len(ds))
			for i, d := range ds {
				require.Empty(t, d.Timeline)
				codes[i] = d.Code
			}
			return codes
		}
		require.Equal(t, []string{"D4", "D3", "D2", "D1"}, list(store.DossierListParams{}))
		require.Equal(t, []string{"D2", "D1"}, list(store.DossierListParams{Procedure: "P1"}))
		require.Equal(t, []string{"D4", "D3", "D1"}, list(store.DossierListParams{Agency: "A1"}))
		require.Equal(t, []string{"D3", "D1"}, list(store.DossierListParams{Status: dossier.StatusProcessing}))
		require.Equal(t, []string{"D3", "D1"}, list(store.DossierListParams{ApplicantID: "U1"}))
		require.Equal(t, []string{"D3"}, list(store.DossierListParams{Agency: "A1", Procedure: "P2", Status: dossier.StatusProcessing}))
		require.Equal(t, []string{"D3", "D2"}, list(store.DossierListParams{Limit: 2, Offset: 1}))
		require.Empty(t, list(store.DossierListParams{Agency: "A9"}))
	})

	t.Run("SequenceNextConcurrent", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		const callers = 50
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			got []int
		)
		start := make(chan struct{})
		for range callers {
			wg.Go(func() {
				<-start
				n, err := s.SequenceNext(ctx, "UBND-X", "2025-03-14")
				require.NoError(t, err)
				mu.Lock()
				got = append(got, n)
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		sort.Ints(got)
		want := make([]int, callers)
		for i := range want {
			want[i] = i + 1
		}
		require.Equal(t, want, got)

		n, err := s.SequenceNext(ctx, "UBND-X", "2025-03-15")
		require.NoError(t, err)
		require.Equal(t, 1, n, "a new day starts again")
		n, err = s.SequenceNext(ctx, "UBND-Y", "2025-03-14")
		require.NoError(t, err)
		require.Equal(t, 1, n, "each agency counts on its own")
		_, err = s.SequenceNext(ctx, "", "2025-03-14")
		require.EqualError(t, err, "next sequence number: agency and day must not be empty")
	})

	t.Run("TimeZones", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		ny, err := time.LoadLocation("America/New_York")
		require.NoError(t, err)
		received := time.Date(2025, 3, 14, 23, 59, 59, 123456789, time.UTC) // 06:59:59 next day in Vietnam
		appointment := time.Date(2025, 3, 20, 17, 0, 0, 0, dossier.Vietnam)
		accepted := time.Date(2025, 3, 14, 20, 0, 0, 999, ny)

		p := projection("D1", 1, dossier.StatusReceived)
		p.Snapshot.ReceivedAt, p.Snapshot.AppointmentAt, p.Snapshot.AcceptedAt = received, appointment, accepted
		p.Snapshot.FinishedAt, p.Snapshot.ReturnedAt, p.Snapshot.Rating = time.Time{}, time.Time{}, nil
		p.Events = []dossier.Event{event(1, received, dossier.EventSubmitted, dossier.StatusNew)}
		p.Events[0].DueAt = appointment
		p.Tasks = []dossier.Task{task("x#1", "chuyen_vien", "UBND-X", appointment)}
		p.Tasks[0].OpenedAt = accepted
		require.NoError(t, s.ProjectionApply(ctx, p))

		st, err := s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		requireVietnam := func(want, got time.Time) {
			t.Helper()
			require.True(t, want.Truncate(time.Microsecond).Equal(got), "want %v, got %v", want, got)
			require.Equal(t, "Asia/Ho_Chi_Minh", got.Location().String())
		}
		requireVietnam(received, st.ReceivedAt)
		require.Equal(t, "2025-03-15 06:59:59.123456 +07", st.ReceivedAt.Format("2006-01-02 15:04:05.999999 -07"))
		requireVietnam(appointment, st.AppointmentAt)
		requireVietnam(accepted, st.AcceptedAt)
		require.True(t, st.FinishedAt.IsZero(), "a zero time stays zero")
		require.True(t, st.ReturnedAt.IsZero())
		require.Nil(t, st.Rating)
		requireVietnam(received, st.Timeline[0].At)
		requireVietnam(appointment, st.Timeline[0].DueAt)
		requireVietnam(accepted, st.OpenTasks[0].OpenedAt)
		requireVietnam(appointment, st.OpenTasks[0].DueAt)

		// Overdue compares instants whatever the zones.
		rows, err := s.TaskList(ctx, store.TaskListParams{Now: appointment.In(ny).Add(time.Second)})
		require.NoError(t, err)
		require.True(t, rows[0].Overdue)
		rows, err = s.TaskList(ctx, store.TaskListParams{Now: appointment.In(time.UTC)})
		require.NoError(t, err)
		require.False(t, rows[0].Overdue)
	})

	t.Run("ConcurrentProjections", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		var wg sync.WaitGroup
		for seq := 1; seq <= 20; seq++ {
			wg.Go(func() {
				p := projection("D1", seq, dossier.StatusProcessing)
				p.Snapshot.Supplements = seq
				p.Events = []dossier.Event{event(seq, at(2025, 3, 14, 8, seq), dossier.EventActed, dossier.StatusProcessing)}
				p.Tasks = []dossier.Task{task("t#"+string(rune('a'+seq)), "chuyen_vien", "UBND-X", time.Time{})}
				require.NoError(t, s.ProjectionApply(ctx, p))
			})
		}
		wg.Wait()
		st, err := s.DossierGet(ctx, "D1")
		require.NoError(t, err)
		require.Equal(t, 20, st.Supplements, "the newest snapshot wins")
		require.Len(t, st.Timeline, 20)
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, "t#"+string(rune('a'+20)), st.OpenTasks[0].ID)
	})

	exerciseMore(t, setup) // store_more_test.go
	exerciseReport(t, setup)
}

// at is a time in Vietnam.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, dossier.Vietnam)
}

func event(seq int, t time.Time, kind string, status dossier.Status) dossier.Event {
	return dossier.Event{Seq: seq, At: t, Kind: kind, Status: status}
}

func task(id, role, agency string, due time.Time) dossier.Task {
	return dossier.Task{
		ID: id, Step: "step", Kind: "task", Name: "Task " + id, Role: role, Agency: agency,
		Outcomes: []string{"approve", "reject"}, OpenedAt: at(2025, 3, 14, 8, 30), DueAt: due,
	}
}

// projection is a dossier's projection with every field set.
func projection(code string, seq int, status dossier.Status) dossier.Projection {
	received := at(2025, 3, 14, 7, 30)
	return dossier.Projection{
		WorkflowID: code,
		Code:       code,
		Seq:        seq,
		Snapshot: &dossier.State{
			Code:                  code,
			ProcedureCode:         "1.001234",
			PlanHash:              "sha256:abc",
			Mode:                  "full_online",
			Channel:               dossier.ChannelOnline,
			Agency:                "UBND-X",
			Applicant:             dossier.Applicant{ID: "CCCD-1", Name: "Nguyễn Văn A", Contact: "a@example.vn"},
			Components:            components(code),
			Status:                status,
			ReceivedAt:            received,
			AcceptedAt:            received.Add(30 * time.Minute),
			AppointmentAt:         at(2025, 3, 21, 17, 0),
			OriginalAppointmentAt: at(2025, 3, 20, 17, 0),
			Extended:              true,
			CurrentSteps:          []string{"tham_dinh"},
			Paused:                true,
			PausedSince:           at(2025, 3, 15, 9, 0),
			PausedTotal:           90 * time.Minute,
			Supplements:           1,
			FeesDue:               50000,
			PaidOnline:            true,
			Result: &dossier.Result{
				Code: code + "-KQ1", Kind: "document", Name: "Giấy phép", SHA256: "deadbeef",
				SignedBy: "lanh_dao_1", SignedAt: at(2025, 3, 19, 15, 0), Delivery: "e_result",
			},
			Rating:     &dossier.Rating{Satisfied: false, Comment: "chậm", At: at(2025, 3, 22, 8, 0)},
			FinishedAt: at(2025, 3, 19, 15, 0),
			ReturnedAt: at(2025, 3, 20, 8, 0),
			Timeliness: dossier.Early,
		},
		Events: []dossier.Event{
			{Seq: 1, At: received, Kind: dossier.EventSubmitted, Actor: dossier.Actor{ID: "CCCD-1", Role: dossier.RoleApplicant}, Status: dossier.StatusNew},
			{Seq: 2, At: received.Add(30 * time.Minute), Kind: dossier.EventActed, Step: "tiep_nhan",
				Actor: dossier.Actor{ID: "u1", Role: "mot_cua", Agency: "UBND-X"}, Outcome: "accept", Note: "đủ",
				Status: dossier.StatusReceived, DueAt: received.Add(time.Hour), Timeliness: dossier.Early},
			{Seq: 3, At: received.Add(time.Hour), Kind: dossier.EventTaskOpened, Step: "tham_dinh", Status: status},
		},
		Tasks: []dossier.Task{task("tham_dinh#1", "chuyen_vien", "UBND-X", at(2025, 3, 18, 17, 0))},
		Facts: dossier.Facts{
			ProcedureVersion: "2025.1", ResultIsDocument: true, HasFee: true, EResult: true,
			Digitised: true, ReusedComponents: 2,
		},
	}
}

// requireSameState compares states by instant rather than by time zone.
func requireSameState(t *testing.T, want, got dossier.State) {
	t.Helper()
	norm := func(s dossier.State) dossier.State {
		u := func(tm *time.Time) {
			if !tm.IsZero() {
				*tm = tm.UTC()
			}
		}
		for _, tm := range []*time.Time{&s.ReceivedAt, &s.AcceptedAt, &s.AppointmentAt,
			&s.OriginalAppointmentAt, &s.PausedSince, &s.FinishedAt, &s.ReturnedAt} {
			u(tm)
		}
		if s.Result != nil {
			r := *s.Result
			u(&r.SignedAt)
			s.Result = &r
		}
		if s.Rating != nil {
			r := *s.Rating
			u(&r.At)
			s.Rating = &r
		}
		s.Timeline = append([]dossier.Event(nil), s.Timeline...)
		for i := range s.Timeline {
			u(&s.Timeline[i].At)
			u(&s.Timeline[i].DueAt)
		}
		s.OpenTasks = append([]dossier.Task(nil), s.OpenTasks...)
		for i := range s.OpenTasks {
			u(&s.OpenTasks[i].OpenedAt)
			u(&s.OpenTasks[i].DueAt)
		}
		return s
	}
	require.Equal(t, norm(want), norm(got))
}

func taskIDs(rows []store.TaskRow) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

func overdue(rows []store.TaskRow) []bool {
	o := make([]bool, len(rows))
	for i, r := range rows {
		o[i] = r.Overdue
	}
	return o
}
