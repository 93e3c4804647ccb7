package clustertest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the read model's and the checks' driver
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

// postgres is where the test's databases live: MOTCUA_TEST_POSTGRES split
// into what the Temporal server and its SQL tool take.
type postgres struct {
	dsn                  *url.URL
	host, port           string
	user, password       string
	temporal, visibility string // the Temporal server's databases
	readModel            string // motcua's
}

// newPostgres names the test's databases after the process, so that runs
// on one machine do not meet, and drops them when the test ends (unless
// MOTCUA_KEEP_CLUSTER is set, to look at them).
func newPostgres(t *testing.T, dsn string) *postgres {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("MOTCUA_TEST_POSTGRES is not a postgres:// URL: %q", dsn)
	}
	pg := &postgres{dsn: u, host: u.Hostname(), port: u.Port(), user: u.User.Username()}
	pg.password, _ = u.User.Password()
	if pg.port == "" {
		pg.port = "5432"
	}
	prefix := fmt.Sprintf("motcua_cluster_%d_", os.Getpid())
	pg.temporal, pg.visibility, pg.readModel = prefix+"temporal", prefix+"visibility", prefix+"read"
	admin := pg.open(t, u.Path[1:])
	defer admin.Close()
	pg.drop(t, admin) // what a killed run with the same pid left
	if _, err := admin.Exec("CREATE DATABASE " + pg.readModel); err != nil {
		t.Fatalf("creating the read model's database: %v", err)
	}
	t.Cleanup(func() {
		if os.Getenv("MOTCUA_KEEP_CLUSTER") != "" {
			t.Logf("kept the databases %s, %s and %s", pg.temporal, pg.visibility, pg.readModel)
			return
		}
		admin := pg.open(t, u.Path[1:])
		defer admin.Close()
		pg.drop(t, admin)
	})
	return pg
}

// url returns the DSN of database name.
func (pg *postgres) url(name string) string {
	u := *pg.dsn
	u.Path = "/" + name
	return u.String()
}

func (pg *postgres) open(t *testing.T, name string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", pg.url(name))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func (pg *postgres) drop(t *testing.T, admin *sql.DB) {
	for _, name := range []string{pg.temporal, pg.visibility, pg.readModel} {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	}
}

// setupSchemas creates the Temporal server's two databases and their
// schemas with the official SQL tool, as an operator would.
func (pg *postgres) setupSchemas(t *testing.T, sqlTool string) {
	t.Helper()
	for _, db := range []struct{ name, schema string }{
		{pg.temporal, "postgresql/v12/temporal"}, {pg.visibility, "postgresql/v12/visibility"},
	} {
		base := []string{"--plugin", "postgres12", "--ep", pg.host, "-p", pg.port, "-u", pg.user, "--db", db.name}
		if pg.password != "" {
			base = append(base, "--pw", pg.password)
		}
		for _, step := range [][]string{
			{"create-database"},
			{"setup-schema", "-v", "0.0"},
			{"update-schema", "--schema-name", db.schema},
		} {
			out, err := exec.Command(sqlTool, append(base, step...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("sql %s on %s: %v\n%s", step[0], db.name, err, out)
			}
		}
	}
}

// temporalServer is the official server, started from a configuration file
// of its own, on ports picked for the test.
type temporalServer struct {
	bin, config, logPath string
	frontend             string // host:port
	proc                 *process
}

var serverConfig = template.Must(template.New("config").Parse(`log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
      sql:
        pluginName: postgres12
        databaseName: {{.PG.Temporal}}
        connectAddr: "{{.PG.Host}}:{{.PG.Port}}"
        connectProtocol: tcp
        user: "{{.PG.User}}"
        password: "{{.PG.Password}}"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: postgres12
        databaseName: {{.PG.Visibility}}
        connectAddr: "{{.PG.Host}}:{{.PG.Port}}"
        connectProtocol: tcp
        user: "{{.PG.User}}"
        password: "{{.PG.Password}}"
        maxConns: 4
        maxIdleConns: 4
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:
    rpc: { grpcPort: {{index .Ports 0}}, membershipPort: {{index .Ports 1}}, httpPort: {{index .Ports 2}}, bindOnLocalHost: true }
  history:
    rpc: { grpcPort: {{index .Ports 3}}, membershipPort: {{index .Ports 4}}, bindOnLocalHost: true }
  matching:
    rpc: { grpcPort: {{index .Ports 5}}, membershipPort: {{index .Ports 6}}, bindOnLocalHost: true }
  worker:
    rpc: { grpcPort: {{index .Ports 7}}, membershipPort: {{index .Ports 8}}, bindOnLocalHost: true }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:{{index .Ports 0}}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "{{.Dynamic}}"
  pollInterval: 10s
`))

// dynamicConfig makes a new namespace and new search attributes visible
// at once instead of after the caches' refresh.
const dynamicConfig = `system.namespaceCacheRefreshInterval:
  - value: 1s
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
`

// newTemporalServer writes the configuration in dir and starts the server.
func newTemporalServer(t *testing.T, bin, dir string, pg *postgres) *temporalServer {
	t.Helper()
	ports := lowPorts(t, 9)
	s := &temporalServer{bin: bin, config: filepath.Join(dir, "temporal.yaml"), logPath: filepath.Join(dir, "temporal.log"),
		frontend: fmt.Sprintf("127.0.0.1:%d", ports[0])}
	dynamic := filepath.Join(dir, "dynamic.yaml")
	if err := os.WriteFile(dynamic, []byte(dynamicConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	err := serverConfig.Execute(&b, map[string]any{"Ports": ports, "Dynamic": dynamic, "PG": map[string]string{
		"Temporal": pg.temporal, "Visibility": pg.visibility, "Host": pg.host, "Port": pg.port, "User": pg.user, "Password": pg.password,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.config, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start(t)
	return s
}

// start runs the server and waits until its frontend answers.
func (s *temporalServer) start(t *testing.T) {
	t.Helper()
	s.proc = startProcess(t, "temporal server", s.logPath, "", 0, s.bin, "--config-file", s.config, "--allow-no-auth", "start")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		c, err := client.Dial(client.Options{HostPort: s.frontend, Logger: quietLogger()})
		if err == nil {
			_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			c.Close()
			if err == nil {
				return
			}
		}
		select {
		case exitErr := <-s.proc.exited:
			s.proc.done = true
			t.Fatalf("the Temporal server exited: %v\n%s", exitErr, s.proc.tail())
		case <-ctx.Done():
			t.Fatalf("the Temporal server's frontend %s did not answer: %v\n%s", s.frontend, err, s.proc.tail())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// restart stops the server (SIGTERM, as systemd would) and starts it again.
func (s *temporalServer) restart(t *testing.T) {
	t.Helper()
	s.proc.stop(syscall.SIGTERM)
	s.start(t)
}

// registerNamespace registers ns, with a day of retention, and waits until
// the frontend knows it.
func (s *temporalServer) registerNamespace(t *testing.T, ns string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nc, err := client.NewNamespaceClient(client.Options{HostPort: s.frontend, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: ns,
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)})
	if err != nil {
		t.Fatalf("registering namespace %s: %v", ns, err)
	}
	for {
		if _, err = nc.Describe(ctx, ns); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("namespace %s: %v", ns, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// lowPorts returns n loopback ports nobody listens on, below 32768: the
// server's SQL schema keeps membership ports in a smallint, so the
// kernel's ephemeral ports (from 32768) do not fit.
func lowPorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	taken := map[int]bool{}
	for tries := 0; len(ports) < n; tries++ {
		if tries > 10000 {
			t.Fatal("no free loopback port between 20000 and 32767")
		}
		p := 20000 + rand.IntN(12768)
		if taken[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		taken[p] = true
		ports = append(ports, p)
	}
	return ports
}

// freeAddr is a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
