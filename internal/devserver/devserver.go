// Package devserver embeds a complete Temporal server (go.temporal.io/server:
// frontend, history, matching and worker services in this process) for
// `motcua dev`, so that nothing has to be installed to run the engine.
//
// # Persistence
//
// Everything the server knows lives in one SQLite file, <DataDir>/temporal.db,
// through the server's own "sqlite" persistence plugin (pure Go,
// modernc.org/sqlite), for both the default store and visibility, with one
// history shard. The file is opened with mode=rwc, journal_mode=WAL,
// synchronous=NORMAL and busy_timeout=10000: a committed transaction is in the
// file (or its WAL) before the server acknowledges it, so killing the process
// (kill -9) loses nothing that was acknowledged; a power cut may lose the last
// transactions but never corrupts the file. The server uses one connection
// (MaxConns 1), so it reads and writes serially: with more, WAL lets reads
// run beside the writer, but the server's transactions, which begin deferred
// and write after reading, then fail with SQLITE_BUSY_SNAPSHOT and are
// retried — `motcua bench` measured no gain with four connections, and
// hundreds of retried updates.
//
// On the first start the schema is created (schema/sqlite.SetupSchema) and a
// marker file, temporal.db.ready, is written once it is complete; a
// temporal.db without its marker is a setup that was interrupted and is
// created again. The namespace (Options.Namespace, "default" by default) is
// written into the database before the server starts, with a retention of
// Retention, when it does not exist yet. The custom search attributes of
// dossier workflows (workflows.SearchAttributes) are registered through the
// operator API after every start; registering is idempotent.
//
// A lock file, <DataDir>/temporal.lock, keeps a second process from opening
// the same folder.
//
// # Network
//
// The frontend listens on 127.0.0.1:FrontendPort (gRPC); the history,
// matching and worker services take free ports on 127.0.0.1 at every start
// and find each other through static membership, so no gossip port is
// needed; the frontend's HTTP API takes a free port too. The Temporal Web UI (github.com/temporalio/ui-server) serves on
// 127.0.0.1:UIPort unless UIPort is 0.
//
// The embedded server is for development and single-machine use; a
// production deployment runs a real Temporal cluster (see the README).
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	tserver "go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/motcua/motcua/workflows"
)

// Defaults of Options.
const (
	DefaultFrontendPort = 7233
	DefaultUIPort       = 8233 // what `motcua dev` passes unless told otherwise
	DefaultNamespace    = "default"
	DefaultRetention    = 30 * 24 * time.Hour
)

// File names inside the data folder.
const (
	DatabaseFile = "temporal.db"
	readyFile    = "temporal.db.ready"
	lockFile     = "temporal.lock"
)

const (
	localhost   = "127.0.0.1"
	clusterName = "active"
)

// Options configure the embedded server.
type Options struct {
	// DataDir holds temporal.db; it is created (0750) when missing. Required.
	DataDir string
	// FrontendPort is the gRPC port of the frontend on 127.0.0.1;
	// 0 means DefaultFrontendPort.
	FrontendPort int
	// UIPort is the Web UI's port on 127.0.0.1; 0 turns the UI off.
	// (`motcua dev` passes DefaultUIPort unless --ui-port says otherwise.)
	UIPort int
	// CodecEndpoint, when set, is the payload codec endpoint the Web UI
	// decodes payloads with (the API's /codec), called with the browser's
	// cookies: an administrator signed in to the console reads payloads.
	CodecEndpoint string
	// Namespace is created on the first start; "" means DefaultNamespace.
	Namespace string
	// Retention is how long closed workflows are kept, for a namespace
	// created by this start; 0 means DefaultRetention.
	Retention time.Duration
	// Logger receives the server's warnings and errors; its informational
	// messages are logged at debug level, since the server is chatty. nil
	// means slog.Default().
	Logger *slog.Logger
	// SearchAttributes to register; nil means workflows.SearchAttributes.
	SearchAttributes []temporal.SearchAttributeKey
}

// Server is a running embedded Temporal server.
type Server struct {
	server    tserver.Server
	ui        *uiserver.Server
	frontend  string
	uiURL     string
	namespace string
	dbPath    string
	unlock    func()
	log       *slog.Logger
}

// Start sets up the database when needed, starts the Temporal services and
// the Web UI, registers the search attributes and returns once the
// frontend answers. Stop it with Stop.
func Start(ctx context.Context, opts Options) (_ *Server, err error) {
	if opts.DataDir == "" {
		return nil, errors.New("devserver: no data folder")
	}
	if opts.FrontendPort == 0 {
		opts.FrontendPort = DefaultFrontendPort
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SearchAttributes == nil {
		opts.SearchAttributes = workflows.SearchAttributes
	}
	if opts.FrontendPort < 0 || opts.FrontendPort > 65535 || opts.UIPort < 0 || opts.UIPort > 65535 {
		return nil, fmt.Errorf("devserver: invalid port (frontend %d, UI %d)", opts.FrontendPort, opts.UIPort)
	}
	if opts.UIPort != 0 && opts.UIPort == opts.FrontendPort {
		return nil, fmt.Errorf("devserver: the frontend and the UI cannot share port %d", opts.UIPort)
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("devserver: creating the data folder: %w", err)
	}
	unlock, err := lockDir(filepath.Join(dir, lockFile))
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()

	// Fail early and clearly on a port in use: the server would fail
	// deep inside, and the UI server exits the process.
	if err := checkPort(opts.FrontendPort); err != nil {
		return nil, fmt.Errorf("devserver: frontend %w", err)
	}
	if opts.UIPort != 0 {
		if err := checkPort(opts.UIPort); err != nil {
			return nil, fmt.Errorf("devserver: Web UI %w (choose another with --ui-port, or 0 for none)", err)
		}
	}

	s := &Server{
		frontend:  net.JoinHostPort(localhost, strconv.Itoa(opts.FrontendPort)),
		namespace: opts.Namespace,
		dbPath:    filepath.Join(dir, DatabaseFile),
		unlock:    unlock,
		log:       opts.Logger,
	}
	sqlCfg, err := s.prepareDatabase(dir, opts)
	if err != nil {
		return nil, err
	}
	cfg, err := s.serverConfig(opts, sqlCfg)
	if err != nil {
		return nil, err
	}
	logger := &slogAdapter{log: opts.Logger.With("component", "temporal")}
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: claim mapper: %w", err)
	}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range cfg.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(localhost, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	dyn := dynamicconfig.StaticClient{
		// New search attributes are visible at once, not after the
		// cache's refresh interval.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():            []dynamicconfig.ConstrainedValue{{Value: 8192}},
		// The Web UI lists and counts workflows often.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): []dynamicconfig.ConstrainedValue{{Value: 100}},
	}
	srv, err := tserver.NewServer(
		tserver.WithConfig(cfg),
		tserver.ForServices(tserver.DefaultServices),
		tserver.WithStaticHosts(hosts),
		tserver.WithLogger(logger),
		tserver.WithAuthorizer(authorizer),
		tserver.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		tserver.WithDynamicConfigClient(dyn),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: creating the server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: starting the server: %w", err)
	}
	s.server = srv
	defer func() {
		if err != nil {
			_ = srv.Stop()
		}
	}()
	if err := s.registerSearchAttributes(ctx, opts.SearchAttributes); err != nil {
		return nil, err
	}
	if opts.UIPort != 0 {
		s.startUI(opts.UIPort, opts.CodecEndpoint)
	}
	return s, nil
}

// LoopbackConnection are the connection options of a client of the
// embedded server: no gRPC compression. The SDK gzips every request by
// default (and the server its answers), which on loopback only costs CPU —
// a few percent of a busy engine's, by `motcua bench`'s profile — and gains
// nothing on payloads the codec has sealed, which do not compress.
func LoopbackConnection() client.ConnectionOptions {
	return client.ConnectionOptions{GrpcCompression: &client.GrpcCompressionNone{}}
}

// FrontendAddress is the host:port clients and workers dial.
func (s *Server) FrontendAddress() string { return s.frontend }

// UIURL is the address of the Web UI, or "" when it is off.
func (s *Server) UIURL() string { return s.uiURL }

// Namespace is the namespace the server created.
func (s *Server) Namespace() string { return s.namespace }

// DatabasePath is the SQLite file the server persists to.
func (s *Server) DatabasePath() string { return s.dbPath }

// Stop stops the UI and the server's services and releases the data folder.
func (s *Server) Stop() error {
	if s.ui != nil {
		s.ui.Stop()
	}
	err := s.server.Stop()
	s.unlock()
	if err != nil {
		return fmt.Errorf("devserver: stopping: %w", err)
	}
	return nil
}

// prepareDatabase creates the schema on the first start and the namespace
// when it does not exist, and returns the SQL configuration.
func (s *Server) prepareDatabase(dir string, opts Options) (*config.SQL, error) {
	cfg := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: s.dbPath,
		MaxConns:     1, // see the package documentation
		MaxIdleConns: 1,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
			"busy_timeout": "10000",
		},
	}
	ready := filepath.Join(dir, readyFile)
	if _, err := os.Stat(ready); errors.Is(err, os.ErrNotExist) {
		// No marker: a first start, or a setup that was interrupted.
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			if err := os.Remove(s.dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("devserver: removing an incomplete database: %w", err)
			}
		}
		if err := sqliteschema.SetupSchema(cfg); err != nil {
			return nil, fmt.Errorf("devserver: creating the schema in %s: %w", s.dbPath, err)
		}
		if err := os.WriteFile(ready, []byte("schema created "+time.Now().UTC().Format(time.RFC3339)+"\n"), 0o640); err != nil {
			return nil, fmt.Errorf("devserver: %w", err)
		}
		s.log.Info("created the Temporal database", "path", s.dbPath)
	} else if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace %s: %w", opts.Namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(opts.Retention)
	if err := sqliteschema.CreateNamespaces(cfg, ns); err != nil {
		return nil, fmt.Errorf("devserver: creating namespace %s: %w", opts.Namespace, err)
	}
	return cfg, nil
}

// serverConfig is the static configuration of a single-node cluster.
func (s *Server) serverConfig(opts Options, sqlCfg *config.SQL) (*config.Config, error) {
	var cfg config.Config
	cfg.Global.Membership.MaxJoinDuration = 30 * time.Second
	cfg.Global.Membership.BroadcastAddress = localhost
	const store = "sqlite-default"
	cfg.Persistence.DefaultStore = store
	cfg.Persistence.VisibilityStore = store
	cfg.Persistence.NumHistoryShards = 1
	cfg.Persistence.DataStores = map[string]config.DataStore{store: {SQL: sqlCfg}}
	cfg.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: s.frontend},
		},
	}
	cfg.DCRedirectionPolicy.Policy = "noop"
	cfg.Services = map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		port := opts.FrontendPort
		if name != "frontend" {
			p, err := freePort()
			if err != nil {
				return nil, fmt.Errorf("devserver: finding a port for the %s service: %w", name, err)
			}
			port = p
		}
		cfg.Services[name] = config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: localhost}}
	}
	// The frontend's HTTP API (and Nexus) on a free port of 127.0.0.1.
	httpPort, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("devserver: finding a port for the HTTP API: %w", err)
	}
	fe := cfg.Services["frontend"]
	fe.RPC.HTTPPort = httpPort
	cfg.Services["frontend"] = fe
	info := cfg.ClusterMetadata.ClusterInformation[clusterName]
	info.HTTPAddress = net.JoinHostPort(localhost, strconv.Itoa(httpPort))
	cfg.ClusterMetadata.ClusterInformation[clusterName] = info
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	cfg.PublicClient.HostPort = s.frontend
	return &cfg, nil
}

// registerSearchAttributes registers the search attributes through the
// server's own frontend.
func (s *Server) registerSearchAttributes(ctx context.Context, keys []temporal.SearchAttributeKey) error {
	c, err := client.Dial(client.Options{HostPort: s.frontend, Namespace: s.namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(discardHandler{}))})
	if err != nil {
		return fmt.Errorf("devserver: connecting to the frontend: %w", err)
	}
	defer c.Close()
	added, err := RegisterSearchAttributes(ctx, c, s.namespace, keys)
	if err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	if len(added) > 0 {
		s.log.Info("registered search attributes", "names", added)
	}
	return nil
}

// RegisterSearchAttributes adds to a namespace the search attributes it
// lacks and returns their names; those already registered with the same
// type are left alone, one registered with another type is an error. A
// server that has just started may need a moment to serve the namespace,
// so it retries for up to 30 seconds.
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string, keys []temporal.SearchAttributeKey) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		added, err := addMissing(ctx, c.OperatorService(), namespace, keys)
		if err == nil {
			return added, nil
		}
		var mismatch mismatchError
		if errors.As(err, &mismatch) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("registering search attributes: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

type mismatchError struct{ error }

func addMissing(ctx context.Context, op operatorservice.OperatorServiceClient, namespace string, keys []temporal.SearchAttributeKey) ([]string, error) {
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, err
	}
	missing := map[string]enumspb.IndexedValueType{}
	var names []string
	for _, k := range keys {
		t, ok := have.GetCustomAttributes()[k.GetName()]
		switch {
		case !ok:
			missing[k.GetName()] = k.GetValueType()
			names = append(names, k.GetName())
		case t != k.GetValueType():
			return nil, mismatchError{fmt.Errorf("search attribute %s is registered as %s, not %s", k.GetName(), t, k.GetValueType())}
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if _, err := op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing}); err != nil {
		return nil, err
	}
	return names, nil
}

// startUI serves the Temporal Web UI. Its Start blocks, so it runs in the
// background; the port was checked to be free.
func (s *Server) startUI(port int, codecEndpoint string) {
	s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                localhost,
		Port:                port,
		TemporalGRPCAddress: s.frontend,
		EnableUI:            true,
		DefaultNamespace:    s.namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true,
		Codec: uiconfig.Codec{Endpoint: codecEndpoint, IncludeCredentials: codecEndpoint != "",
			DefaultErrorMessage: "Payloads are encrypted: sign in to the motcua console as an administrator to read them."},
	}))
	s.uiURL = fmt.Sprintf("http://%s", net.JoinHostPort(localhost, strconv.Itoa(port)))
	go func() {
		if err := s.ui.Start(); err != nil {
			s.log.Error("the Web UI stopped", "error", err)
		}
	}()
}

// checkPort fails when a port of 127.0.0.1 is taken.
func checkPort(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(localhost, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d is not free: %w", port, err)
	}
	return l.Close()
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago, for
// tests and for callers that want the server on any port.
func FreePort() (int, error) { return freePort() }
