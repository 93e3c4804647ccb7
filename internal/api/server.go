// Package api is motcua's JSON HTTP API under /v1: the catalog, dossiers
// (submit, state and timeline, files, supplement, withdraw, rating,
// signed result), the officers' inbox and actions, the indicators report
// and its charts, the analysis of a procedure's versions and its steps
// chart, the payment platform's callback, the portal's and notifier's
// receipts and the citizen feedback system's complaints, the audit log,
// and /openapi.json, /healthz, /readyz and /metrics.
//
// Every route is declared once in the route table (routes.go), which feeds
// both the router and the OpenAPI document. Requests are authenticated by
// an auth.Authenticator (bearer token or the console's session cookie);
// internal/access decides what a caller may see and do; every action,
// accepted or denied, is written to the audit log of the read model. All
// work goes through internal/service, the same path as the command line.
package api

import (
	"context"
	"errors"
	"fmt"
	"go.temporal.io/sdk/converter"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/metrics"
	"github.com/motcua/motcua/internal/reqid"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/store"
)

// Secrets are the shared secrets of the systems that call back: their
// requests carry an HMAC-SHA256 signature of the body
// (integrations.VerifyRequest). A system without a secret cannot call.
type Secrets struct {
	Payments      []byte
	Portal        []byte
	Notifications []byte
	// Feedback is the citizen feedback system's, which sends complaints.
	Feedback []byte
}

// Options are the dependencies and limits of a Server.
type Options struct {
	Service *service.Service // required
	Store   *store.Store     // required: inbox, audit log, readiness
	Auth    auth.Authenticator
	Metrics *metrics.Metrics // nil: no /metrics
	Logger  *slog.Logger     // nil: slog.Default()
	Secrets Secrets
	// MaxBody bounds JSON request bodies; default 1 MiB.
	MaxBody int64
	// MaxUpload bounds a multipart submission or supplement, files
	// included; default 64 MiB.
	MaxUpload int64
	// Timeout bounds the work of one request; default 60 s.
	Timeout time.Duration
	// Ready, when set, is asked by /readyz besides the read model (the
	// Temporal frontend's health).
	Ready func(ctx context.Context) error
	// Extra is served for paths the API does not know (the web console).
	Extra http.Handler
	// Codec, when set, is served to administrators at /codec/encode and
	// /codec/decode; CodecOrigins are the web origins (the Temporal UI's)
	// allowed to call it from a browser.
	Codec        converter.PayloadCodec
	CodecOrigins []string
}

// Server serves the API.
type Server struct {
	svc     *service.Service
	store   *store.Store
	auth    auth.Authenticator
	metrics *metrics.Metrics
	log     *slog.Logger
	secrets Secrets
	maxBody int64
	maxUp   int64
	timeout time.Duration
	ready   func(ctx context.Context) error
	codec   converter.PayloadCodec
	// codecOrigins may call the codec endpoint from a browser.
	codecOrigins []string
	routes       []*route
	handler      http.Handler
	docOnce      sync.Once
	doc          []byte
}

// New checks the options and builds the router.
func New(o Options) (*Server, error) {
	var missing []string
	if o.Service == nil {
		missing = append(missing, "Service")
	}
	if o.Store == nil {
		missing = append(missing, "Store")
	}
	if o.Auth == nil {
		missing = append(missing, "Auth")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("api: missing %s", strings.Join(missing, ", "))
	}
	s := &Server{svc: o.Service, store: o.Store, auth: o.Auth, metrics: o.Metrics, log: o.Logger,
		secrets: o.Secrets, maxBody: o.MaxBody, maxUp: o.MaxUpload, timeout: o.Timeout, ready: o.Ready,
		codec: o.Codec, codecOrigins: o.CodecOrigins}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	if s.maxUp <= 0 {
		s.maxUp = 64 << 20
	}
	if s.timeout <= 0 {
		s.timeout = time.Minute
	}
	s.routes = s.table()
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	if o.Extra != nil {
		mux.Handle("/", o.Extra)
	} else {
		mux.Handle("/", s.wrap(&route{pattern: "/", handle: func(c *call) (any, error) {
			return nil, notFound("no route %s %s: see /openapi.json", c.r.Method, c.r.URL.Path)
		}}))
	}
	s.handler = s.outer(mux)
	return s, nil
}

// Handler returns the API's handler.
func (s *Server) Handler() http.Handler { return s.handler }

// outer gives every request an ID, a bound, a recovery and a log line.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(reqid.Header)
		if !reqid.Valid(id) {
			id = reqid.New()
		}
		w.Header().Set(reqid.Header, id)
		ctx, cancel := context.WithTimeout(reqid.With(r.Context(), id), s.timeout)
		defer cancel()
		r = r.WithContext(ctx)
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		began := time.Now()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(ctx, "api: panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				if !rec.wrote {
					writeJSON(rec, http.StatusInternalServerError, ErrorBody{RequestID: id,
						Error: &Error{Code: CodeInternal, Message: "internal error"}})
				}
			}
			d := time.Since(began)
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			s.metrics.ObserveHTTP(route, r.Method, rec.status, d)
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelError
			}
			s.log.Log(ctx, level, "http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration_ms", d.Milliseconds(), "remote", remoteAddr(r))
		}()
		next.ServeHTTP(rec, r)
	})
}

// recorder remembers the status written.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// remoteAddr is the client's address: the connection's peer (a proxy's
// X-Forwarded-For is not trusted).
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Serve runs handler on addr until ctx ends, then shuts down gracefully:
// new connections are refused and requests in flight get up to grace to
// finish. It returns nil after a clean shutdown.
func Serve(ctx context.Context, ln net.Listener, handler http.Handler, log *slog.Logger, grace time.Duration) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads on slow lines
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
