// Package httpserver assembles motcua's HTTP front door — the JSON API,
// the officers' web console and /metrics, over one service — and serves
// it with request limits and a graceful shutdown. `motcua dev` and
// `motcua api` both start it.
package httpserver

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/api"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/blobstore"
	"github.com/motcua/motcua/internal/console"
	"github.com/motcua/motcua/internal/metrics"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
)

// DefaultListen is where the API listens by default.
const DefaultListen = "127.0.0.1:8080"

// Config configures the front door.
type Config struct {
	// Listen is host:port; default DefaultListen. Port 0 picks a free one.
	Listen string
	// Auth selects the authenticator.
	Auth auth.Config
	// Secrets are the shared secrets of the systems that call back.
	Secrets api.Secrets
	// Files and Results keep the uploaded files and the signed results
	// (e.g. in the read model, shared by a cluster's nodes); when nil,
	// FilesDir and ResultsDir are the folders that keep them.
	Files                blobstore.Store
	Results              signing.ResultStore
	FilesDir, ResultsDir string
	// Roots, when set, are the certificates results are verified against.
	Roots *x509.CertPool

	Catalog *definitions.Catalog // required
	Client  client.Client        // required
	Store   *store.Store         // required
	// Metrics, when nil, is made over Store.
	Metrics *metrics.Metrics
	// Codec, when set, is served to administrators at /codec/encode and
	// /codec/decode (the Temporal UI's and CLI's codec endpoint), and
	// CodecOrigins are the web origins allowed to call it (the UI's).
	Codec        converter.PayloadCodec
	CodecOrigins []string
	Logger       *slog.Logger
}

// Server is a running front door.
type Server struct {
	API     *api.Server
	Service *service.Service
	Metrics *metrics.Metrics
	Auth    auth.Authenticator

	ln     net.Listener
	cancel context.CancelFunc
	done   chan error
}

// Start builds the service, the API and the console and starts serving.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Catalog == nil || cfg.Client == nil || cfg.Store == nil {
		return nil, errors.New("httpserver: Catalog, Client and Store are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	authn, err := auth.New(ctx, cfg.Auth)
	if err != nil {
		return nil, fmt.Errorf("authentication (%s): %w", orDefault(cfg.Auth.Mode, "tokens"), err)
	}
	m := cfg.Metrics
	if m == nil {
		m = metrics.New(cfg.Store, log)
	}
	svc, err := service.New(service.Options{Client: cfg.Client, Store: cfg.Store, Catalog: cfg.Catalog,
		Files: cfg.Files, FilesDir: cfg.FilesDir, Results: cfg.Results, ResultsDir: cfg.ResultsDir,
		Roots: cfg.Roots, ObserveUpdate: m.ObserveUpdate})
	if err != nil {
		return nil, err
	}
	con, err := console.New(console.Options{Service: svc, Store: cfg.Store, Auth: authn, Logger: log})
	if err != nil {
		return nil, err
	}
	srv, err := api.New(api.Options{Service: svc, Store: cfg.Store, Auth: authn, Metrics: m, Logger: log,
		Secrets: cfg.Secrets, Extra: con.Handler(), Codec: cfg.Codec, CodecOrigins: cfg.CodecOrigins,
		Ready: func(ctx context.Context) error {
			_, err := cfg.Client.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}})
	if err != nil {
		return nil, err
	}
	listen := orDefault(cfg.Listen, DefaultListen)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("API: listening on %s: %w", listen, err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{API: srv, Service: svc, Metrics: m, Auth: authn, ln: ln, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- api.Serve(sctx, ln, srv.Handler(), log, 15*time.Second) }()
	return s, nil
}

// URL is the base URL the server answers on.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Stop shuts down gracefully: requests in flight get 15 s to finish.
func (s *Server) Stop() error {
	s.cancel()
	err := <-s.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
