package devenv_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/apiclient"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/devenv"
	"github.com/motcua/motcua/internal/devserver"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/service/servicetest"
	"github.com/motcua/motcua/workflows"
)

// TestLoad submits birth registrations through the HTTP API at a steady
// pace for MOTCUA_LOAD_SECONDS (default 20) while an officer works the
// inbox, on `motcua dev`'s whole engine in this process, then lets the
// officer finish: no request may fail, every dossier must end returned,
// and the process's heap after the run may not exceed the heap after the
// warm-up by more than a bound.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole engine under load")
	}
	seconds := 20
	if v := os.Getenv("MOTCUA_LOAD_SECONDS"); v != "" {
		var err error
		seconds, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	const perSecond = 5 // submissions
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second+5*time.Minute)
	defer cancel()
	port, err := devserver.FreePort()
	require.NoError(t, err)
	e, err := devenv.Start(ctx, devenv.Config{DataDir: t.TempDir(), Definitions: "../../definitions", FrontendPort: port,
		APIListen: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer e.Stop()

	var citizenTok, officerTok string
	best := 0
	for _, s := range e.Samples {
		switch {
		case s.Principal.Kind == auth.KindCitizen && citizenTok == "":
			citizenTok = s.Token
		case s.Principal.Kind == auth.KindOfficer && s.Principal.Agency == "ubnd_xa" && len(s.Principal.Roles) > best:
			officerTok, best = s.Token, len(s.Principal.Roles)
		}
	}
	require.NotEmpty(t, citizenTok)
	require.NotEmpty(t, officerTok)
	citizen, err := apiclient.New(e.HTTP.URL(), citizenTok)
	require.NoError(t, err)
	officer, err := apiclient.New(e.HTTP.URL(), officerTok)
	require.NoError(t, err)
	plan := e.Catalog.Plan("1.001193")

	var (
		mu        sync.Mutex
		codes     []string
		failures  []error
		submitLat []time.Duration
		actions   atomic.Int64
		stale     atomic.Int64
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, err)
	}
	// The officer acts on every task of the inbox, oldest first.
	stopOfficer := make(chan struct{})
	officerDone := make(chan struct{})
	work := func() bool {
		tasks, err := officer.Tasks(ctx, service.TasksRequest{Limit: 200})
		if err != nil {
			fail(err)
			return false
		}
		for _, task := range tasks {
			_, err := officer.Act(ctx, task.DossierCode, workflows.ActRequest{Task: task.ID, Outcome: task.Outcomes[0], Note: "đồng ý"})
			var rejected *service.RejectedError
			switch {
			case errors.As(err, &rejected):
				// The inbox (the read model) still listed a task the
				// officer had just done: the dossier answers 409 and
				// nothing happens, as the API documents.
				stale.Add(1)
				continue
			case err != nil:
				fail(err)
				continue
			}
			actions.Add(1)
		}
		return len(tasks) > 0
	}
	go func() {
		defer close(officerDone)
		for {
			select {
			case <-stopOfficer:
				return
			default:
			}
			if !work() {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}()

	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	began := time.Now()
	var warm uint64
	tick := time.NewTicker(time.Second / perSecond)
	defer tick.Stop()
	for n := 0; time.Since(began) < time.Duration(seconds)*time.Second; n++ {
		<-tick.C
		if warm == 0 && time.Since(began) > time.Duration(seconds)*time.Second/4 {
			warm = heap()
		}
		req := servicetest.ExampleRequest(t, plan, *plan.Mode("full_online")) // its files are read once
		start := time.Now()
		st, err := citizen.Submit(ctx, req)
		if err != nil {
			fail(err)
			continue
		}
		mu.Lock()
		codes = append(codes, st.Code)
		submitLat = append(submitLat, time.Since(start))
		mu.Unlock()
	}
	loadTime := time.Since(began)
	after := heap()

	// No dossier left behind: the officer finishes the work.
	require.Eventually(t, func() bool {
		for _, code := range codes {
			st, err := citizen.Status(ctx, code)
			if err != nil || st.Status != dossier.StatusReturned {
				return false
			}
		}
		return true
	}, 3*time.Minute, 500*time.Millisecond, "dossiers still open")
	close(stopOfficer)
	<-officerDone
	require.Empty(t, failures, "requests failed")

	slices.Sort(submitLat)
	t.Logf("%d submissions in %s (%.1f/s), %d officer actions (%.1f/s, %d refused as already done: the inbox lags the dossier); "+
		"submit p50 %s p99 %s; heap %d MiB after warm-up, %d MiB after the run",
		len(codes), loadTime.Round(time.Millisecond), float64(len(codes))/loadTime.Seconds(), actions.Load(),
		float64(actions.Load())/time.Since(began).Seconds(), stale.Load(), submitLat[len(submitLat)/2].Round(time.Millisecond),
		submitLat[len(submitLat)*99/100].Round(time.Millisecond), warm>>20, after>>20)
	require.Less(t, after, warm+256<<20, "the heap grew by more than 256 MiB under load")
}
