package clustertest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/apiclient"
	"github.com/motcua/motcua/internal/codec"
	"github.com/motcua/motcua/internal/devservices"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/service/servicetest"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

const (
	namespace = "motcua"
	procedure = "1.001193" // birth registration: reception, automated check, review, signature, e-result
	citizens  = 5
)

func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// TestCluster runs motcua's cluster mode end to end: the official Temporal
// server on PostgreSQL, two `motcua worker` processes and one `motcua api`.
// Citizens submit 500 dossiers (MOTCUA_CLUSTER_DOSSIERS) through the API and
// rate them once returned, while officers work their inbox; mid-way one
// worker is killed with SIGKILL (and started again later, as systemd would),
// and the Temporal server is restarted once. Then:
//   - every dossier is returned and rated, and the read model holds exactly
//     the dossiers submitted, each transition once (sequences 1…n, the
//     workflow's own timeline);
//   - no side effect happened twice: one notification per event and
//     recipient, one portal push per status, one signed result per dossier
//     (which verifies);
//   - no applicant's identity number or name is in any row of Temporal's
//     databases, in plain or hex (the payload codec seals them).
func TestCluster(t *testing.T) {
	dsn := os.Getenv("MOTCUA_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("MOTCUA_TEST_POSTGRES is not set: the cluster test runs the Temporal server on PostgreSQL")
	}
	if testing.Short() {
		t.Skip("builds and runs the Temporal server, two workers and the API")
	}
	n := 500
	if v := os.Getenv("MOTCUA_CLUSTER_DOSSIERS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	began := time.Now()
	root := moduleRoot(t)
	dir := t.TempDir()
	serverBin, sqlTool := temporalBinaries(t, root)
	motcua := buildMotcua(t, root, dir)
	t.Logf("binaries ready in %s", time.Since(began).Round(time.Second))

	// Temporal on PostgreSQL, set up as an operator would.
	pg := newPostgres(t, dsn)
	pg.setupSchemas(t, sqlTool)
	srv := newTemporalServer(t, serverBin, dir, pg)
	srv.registerNamespace(t, namespace)
	t.Logf("the official Temporal server (%s) on PostgreSQL ready at %s", serverBin, srv.frontend)

	// What every node shares: the codec key, the catalog, the read model.
	keys := filepath.Join(dir, "codec-keys.yaml")
	out, err := exec.Command(motcua, "keys", "init", "--file", keys).CombinedOutput()
	require.NoError(t, err, "%s", out)
	ring, err := codec.LoadKeyFile(keys)
	require.NoError(t, err)
	defs := filepath.Join(root, "definitions")
	cat, err := definitions.LoadCatalog(defs)
	require.NoError(t, err)
	plan := cat.Plan(procedure)
	require.NotNil(t, plan)
	tokens, citizenTokens, officerTokens := writeTokens(t, dir, plan)

	// The external systems: recorders for the webhook and the portal,
	// the development stand-in for the automated checks.
	webhookSecret, portalSecret := []byte("webhook-secret-0123456789"), []byte("portal-secret-0123456789")
	webhook, portal := newRecorder(t, "webhook", webhookSecret), newRecorder(t, "portal", portalSecret)
	stands, err := devservices.Start(devservices.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = stands.Close() })
	writeSecret := func(name string, secret []byte) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, secret, 0o600))
		return path
	}
	common := []string{"--temporal-address", srv.frontend, "--namespace", namespace, "--codec-keys", keys,
		"--db", pg.url(pg.readModel), "--definitions", defs, "--log-level", "warn"}
	// Each node has a data folder of its own, as on machines of their own:
	// files and results go to the read model (--blobs defaults to database
	// with PostgreSQL); only the agency's certificate (keys/) is copied
	// from the first worker, which creates it.
	data := func(node string) string { return filepath.Join(dir, "data-"+node) }
	workerArgs := func(i int) []string {
		args := append(slices.Clone(common), "--data", data(fmt.Sprintf("worker-%d", i)), "--identity", fmt.Sprintf("worker-%d", i),
			"--webhook-url", webhook.srv.URL, "--webhook-secret-file", writeSecret("webhook.secret", webhookSecret),
			"--portal-url", portal.srv.URL, "--portal-secret-file", writeSecret("portal.secret", portalSecret),
			"--checks-url", stands.ChecksConfig().URL)
		if i == 1 {
			args = append(args, "--register-search-attributes")
		}
		return append([]string{"worker"}, args...)
	}
	startWorker := func(i int) *process {
		return startProcess(t, fmt.Sprintf("worker %d", i), filepath.Join(dir, fmt.Sprintf("worker-%d.log", i)),
			"motcua worker running", 2*time.Minute, motcua, workerArgs(i)...)
	}
	workers := []*process{startWorker(1)}
	for _, node := range []string{"worker-2", "api"} {
		copyKeys(t, filepath.Join(data("worker-1"), "keys"), filepath.Join(data(node), "keys"))
	}
	workers = append(workers, startWorker(2))
	listen := freeAddr(t)
	api := startProcess(t, "api", filepath.Join(dir, "api.log"), "motcua api listening", 2*time.Minute, motcua,
		append([]string{"api", "--listen", listen, "--tokens", tokens, "--data", data("api")}, common...)...)
	defer api.stop(syscall.SIGTERM)
	t.Logf("two workers and the API running after %s", time.Since(began).Round(time.Second))

	base := "http://" + listen
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	run := newDriver(t, base, plan, citizenTokens, officerTokens)

	// The disruptions, at fixed shares of the dossiers returned.
	var (
		disruptions sync.WaitGroup
		events      []string
	)
	note := func(s string) {
		events = append(events, fmt.Sprintf("%s at %d/%d returned (%s)", s, run.returned.Load(), n, time.Since(began).Round(time.Second)))
	}
	finished := make(chan struct{})
	disruptions.Go(func() {
		if !run.waitReturned(ctx, finished, n*3/10) {
			return
		}
		workers[0].stop(syscall.SIGKILL)
		note("kill -9 worker 1")
		if !run.waitReturned(ctx, finished, n*5/10) {
			return
		}
		srv.restart(t)
		note("Temporal server restarted")
		if !run.waitReturned(ctx, finished, n*7/10) {
			return
		}
		workers[0] = startWorker(1)
		note("worker 1 started again")
	})
	drove := time.Now()
	codes := run.run(ctx, n)
	close(finished)
	disruptions.Wait()
	elapsed := time.Since(drove)
	for _, e := range events {
		t.Log(e)
	}
	require.Empty(t, run.failures(), "requests that failed for good")
	require.Len(t, events, 3, "every disruption happened")
	stats := run.stats()
	t.Logf("%d dossiers submitted, returned and rated in %s (%.1f/s): %s", n, elapsed.Round(time.Second),
		float64(n)/elapsed.Seconds(), stats)

	// What the engine kept: the workflows' own states, through the codec.
	c, err := client.Dial(client.Options{HostPort: srv.frontend, Namespace: namespace, DataConverter: codec.DataConverter(ring),
		Logger: quietLogger()})
	require.NoError(t, err)
	defer c.Close()
	st, err := store.Open(ctx, pg.url(pg.readModel))
	require.NoError(t, err)
	defer st.Close()
	finals := checkReadModel(ctx, t, c, st, pg, codes)
	checkSideEffects(t, codes, finals, webhook, portal)
	checkResults(ctx, t, base, officerTokens[0], pg, codes, finals)
	for _, node := range []string{"worker-1", "worker-2", "api"} {
		for _, sub := range []string{"files", "results"} {
			entries, _ := os.ReadDir(filepath.Join(data(node), sub))
			require.Empty(t, entries, "%s keeps %s of its own", node, sub)
		}
	}
	for _, w := range workers {
		w.stop(syscall.SIGTERM)
	}
	api.stop(syscall.SIGTERM)
	checkNoPlaintext(t, pg, finals)
	t.Logf("cluster test done in %s", time.Since(began).Round(time.Second))
}

// copyKeys copies the agency's certificate and key to another node's data
// folder, keeping their permissions (the key must stay private).
func copyKeys(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "the first worker created no certificate in %s", from)
	require.NoError(t, os.MkdirAll(to, 0o700))
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		content, err := os.ReadFile(filepath.Join(from, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(to, e.Name()), content, info.Mode().Perm()))
	}
}

// writeTokens writes a tokens file (not the development sample, which the
// API refuses in cluster mode): citizens, and two officers of the agency
// with every role of the procedure.
func writeTokens(t *testing.T, dir string, plan *definitions.Plan) (path string, citizenTokens, officerTokens []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("tokens:\n")
	for i := range citizens {
		tok := fmt.Sprintf("citizen-token-%02d-%d", i, os.Getpid())
		citizenTokens = append(citizenTokens, tok)
		fmt.Fprintf(&b, "  - {token: %q, subject: %q, kind: citizen, name: %q}\n", tok, applicantID(i), applicantNames[i])
	}
	agency := plan.Roles[0].Agency
	var roles []string
	for _, r := range plan.Roles {
		roles = append(roles, r.ID)
	}
	for i := range 2 {
		tok := fmt.Sprintf("officer-token-%02d-%d", i, os.Getpid())
		officerTokens = append(officerTokens, tok)
		fmt.Fprintf(&b, "  - {token: %q, subject: \"can-bo-%d\", kind: officer, agency: %s, roles: [%s]}\n", tok, i, agency, strings.Join(roles, ", "))
	}
	path = filepath.Join(dir, "tokens.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path, citizenTokens, officerTokens
}

// applicantNames are the citizens' names.
var applicantNames = [citizens]string{"Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Võ Minh Em"}

// applicantID is citizen i's identity number: 12 digits no dossier code
// or other number of the test contains.
func applicantID(i int) string { return fmt.Sprintf("0791%02d%06d", 77+i, 424242+i) }

// driver plays the citizens (submitting, then rating what was returned)
// and the officers (working their inbox), retrying what failed while a
// node was down.
type driver struct {
	t        *testing.T
	plan     *definitions.Plan
	citizens []*apiclient.Client
	officers []*apiclient.Client

	returned  atomic.Int64
	actions   atomic.Int64
	stale     atomic.Int64 // 409: the inbox listed a task done meanwhile
	transient atomic.Int64 // failures retried (a node was down)
	mu        sync.Mutex
	permanent []error
	firstTemp error // the first failure retried, for the log
}

func newDriver(t *testing.T, base string, plan *definitions.Plan, citizenTokens, officerTokens []string) *driver {
	d := &driver{t: t, plan: plan}
	for _, tok := range citizenTokens {
		c, err := apiclient.New(base, tok)
		require.NoError(t, err)
		d.citizens = append(d.citizens, c)
	}
	for _, tok := range officerTokens {
		c, err := apiclient.New(base, tok)
		require.NoError(t, err)
		d.officers = append(d.officers, c)
	}
	return d
}

func (d *driver) stats() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return fmt.Sprintf("%d officer actions, %d answered 409 (the inbox lagged the dossier), %d requests retried while a node was down (first: %v)",
		d.actions.Load(), d.stale.Load(), d.transient.Load(), d.firstTemp)
}

// retried counts a failure retried.
func (d *driver) retried(err error) {
	d.transient.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.firstTemp == nil {
		d.firstTemp = err
	}
}

func (d *driver) failures() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.permanent
}

func (d *driver) fail(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.permanent = append(d.permanent, err)
}

// waitReturned waits until at least k dossiers were returned and rated;
// false when the run finished first.
func (d *driver) waitReturned(ctx context.Context, finished <-chan struct{}, k int) bool {
	for int(d.returned.Load()) < k {
		select {
		case <-finished:
			return false
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return true
}

// retryable tells a failure worth retrying (the API or Temporal was
// down: no answer, or a 5xx) from an answer that is final (a 4xx).
func retryable(err error) bool {
	var (
		rejected *service.RejectedError
		invalid  *service.ValidationError
	)
	if errors.As(err, &rejected) || errors.As(err, &invalid) || errors.Is(err, service.ErrNotFound) {
		return false
	}
	var apiErr *apiclient.Error
	if errors.As(err, &apiErr) {
		return apiErr.Status >= 500
	}
	return true
}

// retry calls f until it succeeds, fails for good or ctx ends.
func (d *driver) retry(ctx context.Context, what string, f func() error) error {
	for {
		err := f()
		if err == nil || !retryable(err) {
			return err
		}
		d.retried(err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// run submits n dossiers, has the officers work until every one is
// returned and the citizens rate each, and returns the dossiers' codes.
func (d *driver) run(ctx context.Context, n int) []string {
	var (
		officers sync.WaitGroup
		stop     = make(chan struct{})
	)
	for k, o := range d.officers {
		officers.Go(func() { d.officer(ctx, o, k, stop) })
	}
	codes := make([]string, n)
	var citizens sync.WaitGroup
	next := atomic.Int64{}
	for range 8 {
		citizens.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				code, err := d.submit(ctx, d.citizens[i%len(d.citizens)], i)
				if err != nil {
					d.fail(fmt.Errorf("submission %d: %w", i, err))
					continue
				}
				codes[i] = code
			}
		})
	}
	citizens.Wait()
	// Each citizen rates a dossier once it is returned.
	var raters sync.WaitGroup
	queue := make(chan int)
	for range 8 {
		raters.Go(func() {
			for i := range queue {
				if err := d.rate(ctx, d.citizens[i%len(d.citizens)], codes[i], i); err != nil {
					d.fail(fmt.Errorf("dossier %s: %w", codes[i], err))
				}
			}
		})
	}
	for i := range codes {
		if codes[i] != "" {
			queue <- i
		}
	}
	close(queue)
	raters.Wait()
	close(stop)
	officers.Wait()
	return slices.DeleteFunc(codes, func(c string) bool { return c == "" })
}

// submit sends the example birth registration of the procedure with an
// idempotency key, so a retry after a lost answer does not start a
// second dossier.
func (d *driver) submit(ctx context.Context, c *apiclient.Client, i int) (string, error) {
	var code string
	key := fmt.Sprintf("cluster-test-%d-%d", os.Getpid(), i)
	err := d.retry(ctx, "submitting", func() error {
		req := servicetest.ExampleRequest(d.t, d.plan, *d.plan.Mode("full_online"))
		req.Applicant.ID, req.Applicant.Name = applicantID(i%len(d.citizens)), applicantNames[i%len(d.citizens)]
		req.IdempotencyKey = key
		st, err := c.Submit(ctx, req)
		code = st.Code
		return err
	})
	return code, err
}

// rate waits for the dossier to be returned and rates it.
func (d *driver) rate(ctx context.Context, c *apiclient.Client, code string, i int) error {
	for {
		var st dossier.State
		if err := d.retry(ctx, "reading", func() (err error) { st, err = c.Status(ctx, code); return err }); err != nil {
			return err
		}
		if st.Status == dossier.StatusReturned && st.Rating == nil {
			err := d.retry(ctx, "rating", func() error {
				_, err := c.Rate(ctx, code, workflows.RateRequest{Satisfied: i%7 != 0, Comment: "cảm ơn"})
				return err
			})
			var rejected *service.RejectedError
			if err != nil && !errors.As(err, &rejected) {
				return err
			}
			continue
		}
		if st.Rating != nil {
			d.returned.Add(1)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the dossier to be returned: %w (status %s)", ctx.Err(), st.StatusName)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// officer acts on the tasks of the inbox, oldest first, until stop: its
// share of them (the officers of the agency split the dossiers by code).
func (d *driver) officer(ctx context.Context, o *apiclient.Client, k int, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		tasks, err := o.Tasks(ctx, service.TasksRequest{Limit: 50})
		if err != nil {
			if !retryable(err) {
				d.fail(fmt.Errorf("inbox: %w", err))
			}
			d.retried(err)
			time.Sleep(300 * time.Millisecond)
			continue
		}
		mine := 0
		for _, task := range tasks {
			if crc32.ChecksumIEEE([]byte(task.DossierCode))%uint32(len(d.officers)) != uint32(k) {
				continue
			}
			mine++
			_, err := o.Act(ctx, task.DossierCode, workflows.ActRequest{Task: task.ID, Outcome: task.Outcomes[0], Note: "đồng ý"})
			var rejected *service.RejectedError
			switch {
			case err == nil:
				d.actions.Add(1)
			case errors.As(err, &rejected):
				d.stale.Add(1)
			case retryable(err):
				d.retried(err) // the inbox lists it again
			default:
				d.fail(fmt.Errorf("acting on %s of %s: %w", task.ID, task.DossierCode, err))
			}
		}
		if mine == 0 {
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// checkReadModel compares each dossier's read model with the workflow's
// final state: returned and rated, its timeline whole and each event once.
func checkReadModel(ctx context.Context, t *testing.T, c client.Client, st *store.Store, pg *postgres, codes []string) map[string]dossier.State {
	t.Helper()
	finals := make(map[string]dossier.State, len(codes))
	for _, code := range codes {
		var final dossier.State
		require.NoError(t, c.GetWorkflow(ctx, code, "").Get(ctx, &final), code)
		require.Equal(t, dossier.StatusReturned, final.Status, code)
		require.NotNil(t, final.Rating, code)
		finals[code] = final
		var got dossier.State
		var err error
		require.Eventually(t, func() bool {
			got, err = st.DossierGet(ctx, code)
			return err == nil && len(got.Timeline) == len(final.Timeline)
		}, time.Minute, 100*time.Millisecond, "dossier %s in the read model: %v (%d of %d events)", code, err, len(got.Timeline), len(final.Timeline))
		seqs := make([]int, len(got.Timeline))
		for i, e := range got.Timeline {
			seqs[i] = e.Seq
		}
		slices.Sort(seqs)
		for i, s := range seqs {
			require.Equal(t, i+1, s, "dossier %s: events %v", code, seqs)
		}
		kinds := map[string]int{}
		for _, e := range final.Timeline {
			kinds[e.Kind]++
		}
		for _, k := range []string{dossier.EventSubmitted, dossier.EventReceived, dossier.EventSigned, dossier.EventProcessed,
			dossier.EventReturned, dossier.EventRated} {
			require.Equal(t, 1, kinds[k], "dossier %s: %s events", code, k)
		}
	}
	// Nothing but the dossiers submitted: a retried submission started none.
	db := pg.open(t, pg.readModel)
	defer db.Close()
	var count int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM dossiers").Scan(&count))
	require.Equal(t, len(codes), count, "dossiers in the read model")
	return finals
}

// checkSideEffects checks that no notification or portal push happened
// twice: an event that happens once in a dossier's timeline was notified
// to each recipient under one idempotency key, and each event of the
// timeline was pushed to the portal under one key (a retry of a call keeps
// its key, so the receivers can tell it; a second key would be a second
// side effect).
func checkSideEffects(t *testing.T, codes []string, finals map[string]dossier.State, webhook, portal *recorder) {
	t.Helper()
	once := map[string]map[string]bool{} // code → kinds the timeline holds once
	for code, st := range finals {
		kinds := map[string]int{}
		for _, e := range st.Timeline {
			kinds[e.Kind]++
		}
		once[code] = map[string]bool{}
		for k, v := range kinds {
			once[code][k] = v == 1
		}
	}

	bodies, counts, refused := webhook.snapshot()
	require.Zero(t, refused, "notifications refused by the webhook (bad signature or body)")
	perEvent := map[string][]string{} // "code kind → recipient" → keys
	retried := 0
	for key, body := range bodies {
		var nt activities.Notification
		require.NoError(t, json.Unmarshal(body, &nt))
		require.Equal(t, key, nt.Key)
		require.Contains(t, finals, nt.Code, "a notification of an unknown dossier")
		if once[nt.Code][nt.Kind] {
			id := nt.Code + " " + nt.Kind + " → " + nt.To
			perEvent[id] = append(perEvent[id], key)
		}
		if counts[key] > 1 {
			retried++
		}
	}
	for id, keys := range perEvent {
		if len(keys) > 1 {
			t.Errorf("notification %s sent %d times: %v", id, len(keys), keys)
		}
	}
	for _, code := range codes {
		require.Contains(t, perEvent, code+" "+dossier.EventReturned+" → "+dossier.RoleApplicant, "the applicant heard the result of %s", code)
	}
	t.Logf("notifications: %d sent, %d of them delivered more than once under one key (retries the receiver can tell)", len(bodies), retried)

	bodies, counts, refused = portal.snapshot()
	require.Zero(t, refused, "portal pushes refused (bad signature or body)")
	pushes := map[string]map[int][]string{} // code → seq → keys
	returned := map[string]bool{}
	retried = 0
	for key, body := range bodies {
		var ps activities.PortalStatus
		require.NoError(t, json.Unmarshal(body, &ps))
		final, ok := finals[ps.Code]
		require.True(t, ok, "a portal push of an unknown dossier: %s", body)
		require.True(t, ps.Seq >= 1 && ps.Seq <= len(final.Timeline), "push %s beyond the timeline of %d events", key, len(final.Timeline))
		if pushes[ps.Code] == nil {
			pushes[ps.Code] = map[int][]string{}
		}
		pushes[ps.Code][ps.Seq] = append(pushes[ps.Code][ps.Seq], key)
		returned[ps.Code] = returned[ps.Code] || ps.Status == dossier.StatusReturned
		if counts[key] > 1 {
			retried++
		}
	}
	for _, code := range codes {
		require.NotEmpty(t, pushes[code], "portal pushes of %s", code)
		for seq, keys := range pushes[code] {
			if len(keys) > 1 {
				t.Errorf("dossier %s: event %d pushed to the portal %d times: %v", code, seq, len(keys), keys)
			}
		}
		require.True(t, returned[code], "the portal heard %s was returned", code)
	}
	t.Logf("portal: %d pushes, %d delivered more than once under one key", len(bodies), retried)
}

// checkResults checks each dossier has exactly one signed result in the
// read model, which the API verifies.
func checkResults(ctx context.Context, t *testing.T, base, officerToken string, pg *postgres, codes []string, finals map[string]dossier.State) {
	t.Helper()
	db := pg.open(t, pg.readModel)
	defer db.Close()
	var stored int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM results").Scan(&stored))
	require.Equal(t, len(codes), stored, "one signed result per dossier")
	c, err := apiclient.New(base, officerToken)
	require.NoError(t, err)
	for _, code := range codes {
		res := finals[code].Result
		require.NotNil(t, res, code)
		v, err := c.VerifyResult(ctx, code)
		require.NoError(t, err, "verifying %s", res.Code)
		require.NotEmpty(t, v.Signer, res.Code)
	}
}

// checkNoPlaintext reads every row of the Temporal server's two databases
// as text (bytea columns in hex) and looks for the applicants' identity
// numbers and names.
func checkNoPlaintext(t *testing.T, pg *postgres, finals map[string]dossier.State) {
	t.Helper()
	var needles [][]byte
	seen := map[string]bool{}
	for _, st := range finals {
		for _, s := range []string{st.Applicant.ID, st.Applicant.Name} {
			if s != "" && !seen[s] {
				seen[s] = true
				needles = append(needles, []byte(s), []byte(hex.EncodeToString([]byte(s))))
			}
		}
	}
	require.NotEmpty(t, needles)
	rows, size := 0, 0
	for _, name := range []string{pg.temporal, pg.visibility} {
		db := pg.open(t, name)
		var tables []string
		r, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
		require.NoError(t, err)
		for r.Next() {
			var s string
			require.NoError(t, r.Scan(&s))
			tables = append(tables, s)
		}
		require.NoError(t, r.Err())
		r.Close()
		for _, table := range tables {
			r, err := db.Query(fmt.Sprintf("SELECT t::text FROM %q t", table))
			require.NoError(t, err, table)
			for r.Next() {
				var row []byte
				require.NoError(t, r.Scan(&row))
				rows++
				size += len(row)
				for _, needle := range needles {
					if bytes.Contains(row, needle) {
						t.Errorf("%s.%s holds %q in plain text", name, table, needle)
					}
				}
			}
			require.NoError(t, r.Err())
			r.Close()
		}
		db.Close()
	}
	t.Logf("no applicant's identity number or name in %d rows (%d MiB) of Temporal's databases", rows, size>>20)
}
