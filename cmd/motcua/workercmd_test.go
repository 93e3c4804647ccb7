package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/codec"
	"github.com/motcua/motcua/internal/devserver"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

// syncBuffer is a buffer written by the command while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWorkerAgainstAServer runs `motcua worker` against a Temporal server
// it does not embed, with the payload codec, and a dossier goes through it.
func TestWorkerAgainstAServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	port, err := devserver.FreePort()
	require.NoError(t, err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := devserver.Start(ctx, devserver.Options{DataDir: t.TempDir(), FrontendPort: port, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Stop() })

	keys := filepath.Join(t.TempDir(), "codec-keys.yaml")
	_, err = codec.WriteKeyFile(keys)
	require.NoError(t, err)
	data, db := t.TempDir(), filepath.Join(t.TempDir(), "read.db")
	config := filepath.Join(t.TempDir(), "worker.yaml")
	require.NoError(t, os.WriteFile(config, []byte("namespace: "+srv.Namespace()+"\nqueues: [dossiers, ubnd_xa]\n"), 0o600))

	wctx, stop := context.WithCancel(ctx)
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		root := newRootCmd(streams{in: strings.NewReader(""), out: &out, err: &errOut})
		root.SetArgs([]string{"worker", "--temporal-address", srv.FrontendAddress(), "--codec-keys", keys, "--config", config,
			"--db", db, "--data", data, "--definitions", "../../definitions", "--log-level", "warn"})
		done <- root.ExecuteContext(wctx)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "motcua worker running") }, time.Minute, 50*time.Millisecond,
		"stderr: %s", errOut.String())
	require.Contains(t, out.String(), workflows.TaskQueue+", "+workflows.AgencyTaskQueue("ubnd_xa")+"\n", "the queues of the config file")

	ring, err := codec.LoadKeyFile(keys)
	require.NoError(t, err)
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace(),
		DataConverter: codec.DataConverter(ring), Logger: sdklog.NewStructuredLogger(quiet)})
	require.NoError(t, err)
	defer c.Close()
	cat, err := definitions.LoadCatalog("../../definitions")
	require.NoError(t, err)
	code := "000.00.01.H22-261125-0042"
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: code, TaskQueue: workflows.TaskQueue}, workflows.DossierWorkflow,
		dossier.Input{Code: code, Plan: cat.Plan("1.001193"), Mode: "full_online", Channel: dossier.ChannelOnline, Delivery: "e_result",
			Applicant: dossier.Applicant{ID: "079090001234", Name: "Nguyễn Văn A"}})
	require.NoError(t, err)

	// The worker projected it into the read model, with its first task.
	st, err := store.Open(ctx, db)
	require.NoError(t, err)
	defer st.Close()
	require.Eventually(t, func() bool {
		got, err := st.DossierGet(ctx, code)
		return err == nil && len(got.OpenTasks) > 0
	}, time.Minute, 100*time.Millisecond)

	stop()
	select {
	case err := <-done:
		require.NoError(t, err, "stderr: %s", errOut.String())
	case <-time.After(time.Minute):
		t.Fatal("motcua worker did not stop")
	}
}

func TestWorkerRefusesUnsafeSettings(t *testing.T) {
	t.Parallel()
	keys := filepath.Join(t.TempDir(), "keys.yaml")
	_, err := codec.WriteKeyFile(keys)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"remote without TLS": {[]string{"--temporal-address", "temporal.example:7233", "--codec-keys", keys},
			"the Temporal frontend temporal.example:7233 is not on this machine and the connection is not TLS"},
		"no codec key": {[]string{"--temporal-address", "127.0.0.1:" + strconv.Itoa(1)},
			"no payload codec key (--codec-keys FILE)"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCLI(t, append([]string{"worker", "--definitions", "../../definitions"}, tc.args...)...)
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, "motcua worker refuses to start with unsafe settings")
			require.Contains(t, errOut, tc.want)
			require.Contains(t, errOut, "--allow-insecure")
		})
	}
}

func TestWorkerConfigFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("namespace: x\ntemporal-adress: y\n"), 0o600))
	code, _, errOut := runCLI(t, "worker", "--config", bad)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, bad+`:2:1: unknown setting "temporal-adress"`)

	// The environment wins over the file, the command line over both.
	keys := filepath.Join(dir, "keys.yaml")
	_, err := codec.WriteKeyFile(keys)
	require.NoError(t, err)
	conf := filepath.Join(dir, "w.yaml")
	require.NoError(t, os.WriteFile(conf, []byte("temporal-address: file.example:7233\ncodec-keys: "+keys+"\nqueues: [nowhere]\n"), 0o600))
	t.Setenv("MOTCUA_TEMPORAL_ADDRESS", "env.example:7233")
	code, _, errOut = runCLI(t, "worker", "--config", conf, "--definitions", "../../definitions")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "env.example:7233 is not on this machine")
	code, _, errOut = runCLI(t, "worker", "--config", conf, "--definitions", "../../definitions", "--temporal-address", "127.0.0.1:1")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `--queues "nowhere": not "dossiers" nor an agency of the catalog`)
}

func TestAPIRefusesUnsafeSettings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sample := filepath.Join(dir, "tokens.yaml")
	_, err := auth.WriteSample(sample, []auth.Principal{{Subject: "quan-tri", Kind: auth.KindAdmin}})
	require.NoError(t, err)
	code, _, errOut := runCLI(t, "api", "--tokens", sample, "--address", "temporal.example:7233", "--definitions", "../../definitions")
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "motcua api refuses to start with unsafe settings")
	for _, want := range []string{
		"the Temporal frontend temporal.example:7233 is not on this machine", // --address still names the frontend
		"no payload codec key",
		"the tokens file " + sample + " is the development sample",
	} {
		require.Contains(t, errOut, want)
	}
	// A tokens file of one's own, TLS and a codec key: nothing to refuse
	// (it then fails to reach the frontend, which is not there).
	own := filepath.Join(dir, "own.yaml")
	require.NoError(t, os.WriteFile(own, []byte("tokens:\n  - {token_sha256: "+strings.Repeat("ab", 32)+", subject: a, kind: admin}\n"), 0o600))
	keys := filepath.Join(dir, "keys.yaml")
	_, err = codec.WriteKeyFile(keys)
	require.NoError(t, err)
	code, _, errOut = runCLI(t, "api", "--tokens", own, "--codec-keys", keys, "--temporal-address", "127.0.0.1:1",
		"--definitions", "../../definitions", "--db", filepath.Join(dir, "read.db"), "--listen", "127.0.0.1:0")
	require.Equal(t, 1, code)
	require.NotContains(t, errOut, "unsafe")
	require.Contains(t, errOut, "connecting to Temporal at 127.0.0.1:1")
}

// --blobs says where uploaded files and signed results are kept; by
// default the database with a PostgreSQL read model, else the folder.
func TestBlobsDefault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ blobs, dsn, want string }{
		{"", "", worker.BlobsFolder},
		{"", "/srv/motcua/read.db", worker.BlobsFolder},
		{"", "sqlite:/srv/motcua/read.db", worker.BlobsFolder},
		{"", "postgres://motcua@db/motcua", worker.BlobsDatabase},
		{"", "postgresql://motcua@db/motcua", worker.BlobsDatabase},
		{"folder", "postgres://motcua@db/motcua", worker.BlobsFolder},
		{"database", "/srv/motcua/read.db", worker.BlobsDatabase},
	} {
		got, err := worker.BlobsFor(tc.blobs, tc.dsn)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "--blobs %q, --db %q", tc.blobs, tc.dsn)
	}
}

// A --blobs that is neither folder nor database is refused, given on the
// command line, in the environment or in the --config file, by every
// command that takes it.
func TestBlobsFlagRefusesUnknownValues(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(conf, []byte("blobs: s3\n"), 0o600))
	const want = `motcua: --blobs: unknown storage "s3" for files and results: want "folder" or "database"`
	check := func(t *testing.T, args ...string) {
		t.Helper()
		code, _, errOut := runCLI(t, args...)
		require.Equal(t, 2, code, errOut)
		require.Contains(t, errOut, want)
	}
	for _, args := range [][]string{
		{"worker", "--blobs", "s3"},
		{"worker", "--config", conf},
		{"api", "--blobs", "s3", "--tokens", filepath.Join(dir, "tokens.yaml")},
		{"api", "--config", conf, "--tokens", filepath.Join(dir, "tokens.yaml")},
		{"status", "UBND_XA-250101-0001", "--data", dir, "--blobs", "s3"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) { check(t, args...) })
	}
	t.Run("environment", func(t *testing.T) {
		t.Setenv("MOTCUA_BLOBS", "s3")
		check(t, "worker")
		check(t, "api", "--tokens", filepath.Join(dir, "tokens.yaml"))
	})
}
