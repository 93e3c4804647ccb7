package activities_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/integrations"
	"github.com/motcua/motcua/internal/store"
)

// The read model keeps the portal's acceptances: the worker's Store is a
// PortalRecorder.
var (
	_ activities.Store          = (*store.Store)(nil)
	_ activities.PortalRecorder = (*store.Store)(nil)
)

// portal is a stand-in of the national portal: it accepts pushes while ok
// is set, and counts them.
type portal struct {
	mu     sync.Mutex
	ok     bool
	pushes int
}

func (p *portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pushes++
	if !p.ok {
		http.Error(w, `{"error": "bảo trì"}`, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{}`))
}

// synced counts the dossiers received in March 2025 that the read model
// holds as synced before the cut.
func synced(t *testing.T, st *store.Store, cut time.Time) int {
	t.Helper()
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, dossier.Vietnam)
	rows, err := st.ReportDossiers(context.Background(), store.ReportParams{Periods: []store.ReportPeriod{{From: from, To: cut}}})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	return rows[0].Synced
}

// TestSyncPortalRecordsAcceptedPushes runs SyncPortal as an activity
// against a local portal and a real read model: an accepted push is
// recorded at the activity's clock, a refused one fails and is not, and a
// push the read model cannot record still succeeds (it is not pushed
// again).
func TestSyncPortalRecordsAcceptedPushes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "read.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	received := time.Date(2025, 3, 10, 8, 0, 0, 0, dossier.Vietnam)
	require.NoError(t, st.ProjectionApply(ctx, dossier.Projection{WorkflowID: "D1", Code: "D1", Seq: 1,
		Snapshot: &dossier.State{Code: "D1", ProcedureCode: "P", Agency: "A", Channel: dossier.ChannelOnline,
			Status: dossier.StatusNew, ReceivedAt: received, CurrentSteps: []string{}},
		Events: []dossier.Event{{Seq: 1, Kind: dossier.EventSubmitted, At: received, Status: dossier.StatusNew}}}))

	stand := &portal{}
	srv := httptest.NewServer(stand)
	t.Cleanup(srv.Close)
	client, err := integrations.NewPortalClient(integrations.Config{URL: srv.URL})
	require.NoError(t, err)
	acts := &activities.Activities{Store: st, Portal: client}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	push := func(code string) (bool, error) {
		v, err := env.ExecuteActivity(acts.SyncPortal, activities.PortalStatus{Code: code, Status: dossier.StatusNew, Seq: 1, At: received})
		if err != nil {
			return false, err
		}
		var ok bool
		require.NoError(t, v.Get(&ok))
		return ok, nil
	}
	farFuture := time.Now().Add(24 * time.Hour)

	// Refused: the activity fails, to be retried; nothing is recorded.
	_, err = push("D1")
	require.ErrorContains(t, err, "syncing D1 status 1 to the portal")
	require.Zero(t, synced(t, st, farFuture))

	// Accepted: recorded at the activity's clock.
	stand.mu.Lock()
	stand.ok = true
	stand.mu.Unlock()
	before := time.Now()
	ok, err := push("D1")
	require.NoError(t, err)
	require.True(t, ok)
	after := time.Now()
	require.Equal(t, 1, synced(t, st, after.Add(time.Microsecond)))
	require.Zero(t, synced(t, st, before.Truncate(time.Microsecond)), "synced when the push was accepted, not earlier")

	// A dossier the read model does not hold: pushed once, logged, done.
	ok, err = push("D404")
	require.NoError(t, err)
	require.True(t, ok)

	// The read model unreachable: the push still counts as done.
	require.NoError(t, st.Close())
	ok, err = push("D1")
	require.NoError(t, err)
	require.True(t, ok)
	stand.mu.Lock()
	defer stand.mu.Unlock()
	require.Equal(t, 4, stand.pushes, "each push reached the portal once")
}

// TestSyncPortalWithoutPortal: no portal configured, nothing is pushed or
// recorded.
func TestSyncPortalWithoutPortal(t *testing.T) {
	t.Parallel()
	acts := &activities.Activities{}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	v, err := env.ExecuteActivity(acts.SyncPortal, activities.PortalStatus{Code: "D1", Status: dossier.StatusNew})
	require.NoError(t, err)
	var ok bool
	require.NoError(t, v.Get(&ok))
	require.False(t, ok)
}
