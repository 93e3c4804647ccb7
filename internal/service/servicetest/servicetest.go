// Package servicetest runs the whole engine for end-to-end tests: a real
// Temporal server (go.temporal.io/server/temporaltest) with the dossier
// search attributes registered, real workers on every task queue with the
// real activities (working calendar from the catalog, a SQLite read model,
// a signing issuer, the log notifier), and local HTTP servers standing in
// for the payment platform, the automated checks and the postal service,
// reached through the clients of internal/integrations. It is for tests
// only.
package servicetest

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/temporaltest"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/integrations"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

// Env is a running engine.
type Env struct {
	Server    *temporaltest.TestServer
	Client    client.Client
	HostPort  string
	Namespace string
	// DataDir is laid out as the command line expects: read.db, files/,
	// results/, keys/.
	DataDir     string
	Definitions string
	Catalog     *definitions.Catalog
	Store       *store.Store
	Roots       *x509.CertPool
	Service     *service.Service
	// CheckPassed is what the automated checks answer (true at start).
	CheckPassed atomic.Bool

	mu       sync.Mutex
	payments []activities.PaymentRequest
}

// Payments returns the payment requests the stand-in platform received.
func (e *Env) Payments() []activities.PaymentRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]activities.PaymentRequest(nil), e.payments...)
}

// Start starts an engine over the catalog in definitionsDir; everything
// stops when the test ends.
func Start(t testing.TB, definitionsDir string) *Env {
	t.Helper()
	cat, err := definitions.LoadCatalog(definitionsDir)
	if err != nil {
		t.Fatalf("loading the catalog: %v", err)
	}
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	opts := []temporaltest.TestServerOption{temporaltest.WithBaseClientOptions(client.Options{Logger: quiet})}
	tt, isTest := t.(*testing.T)
	if isTest {
		opts = append(opts, temporaltest.WithT(tt))
	}
	ts := temporaltest.NewServer(opts...)
	if !isTest { // a benchmark: stop the server ourselves
		t.Cleanup(ts.Stop)
	}
	c := ts.GetDefaultClient()
	e := &Env{Server: ts, Client: c, HostPort: ts.GetFrontendHostPort(), Namespace: ts.GetDefaultNamespace(),
		DataDir: t.TempDir(), Definitions: definitionsDir, Catalog: cat}
	e.CheckPassed.Store(true)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	attrs := map[string]enums.IndexedValueType{}
	for _, k := range workflows.SearchAttributes {
		attrs[k.GetName()] = k.GetValueType()
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: e.Namespace, SearchAttributes: attrs}); err != nil {
		t.Fatalf("registering search attributes: %v", err)
	}

	st, err := store.Open(ctx, filepath.Join(e.DataDir, "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.Store = st
	cal, err := workcal.FromCatalog(cat)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signing.EnsureAgencyCertificate(filepath.Join(e.DataDir, "keys"), "UBND xã Thử Nghiệm")
	if err != nil {
		t.Fatal(err)
	}
	e.Roots = signer.CertPool()
	issuer, err := signing.NewIssuer(filepath.Join(e.DataDir, "results"), signer)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.standIns())
	t.Cleanup(srv.Close)
	payments, err := integrations.NewPaymentsClient(integrations.Config{URL: srv.URL + "/payments"})
	if err != nil {
		t.Fatal(err)
	}
	checks, err := integrations.NewChecksClient(integrations.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	postal, err := integrations.NewPostalClient(integrations.Config{URL: srv.URL + "/postal"})
	if err != nil {
		t.Fatal(err)
	}
	acts := &activities.Activities{Calendar: cal, Store: st, Issuer: issuer,
		Notifier: integrations.NewLogNotifier(slog.New(slog.NewTextHandler(io.Discard, nil))),
		Payments: payments, Checker: checks, Postal: postal}
	ws, err := worker.New(c, worker.Deps{Activities: acts, Catalog: cat},
		worker.Options{DeadlockDetectionTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ws.Stop)

	svc, err := service.New(service.Options{Client: c, Store: st, Catalog: cat,
		FilesDir: filepath.Join(e.DataDir, "files"), ResultsDir: filepath.Join(e.DataDir, "results"), Roots: e.Roots})
	if err != nil {
		t.Fatal(err)
	}
	e.Service = svc
	return e
}

// standIns answers as the payment platform, the checks gateway and the
// postal service would.
func (e *Env) standIns() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /payments", func(w http.ResponseWriter, r *http.Request) {
		var req activities.PaymentRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		e.payments = append(e.payments, req)
		e.mu.Unlock()
		writeJSON(w, map[string]string{"reference": "PAY-" + req.Code, "url": "http://pay.test/" + req.Code})
	})
	mux.HandleFunc("POST /checks/{name}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"passed": e.CheckPassed.Load(), "note": "stand-in for " + r.PathValue("name")})
	})
	mux.HandleFunc("POST /postal", func(w http.ResponseWriter, r *http.Request) {
		var s activities.Shipment
		if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]string{"tracking": "VN" + strings.ReplaceAll(s.ResultCode, "-", "")})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Minimal files of each type, recognised by net/http.DetectContentType.
var (
	PDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	PNG = append([]byte("\x89PNG\x0d\x0a\x1a\x0a"), make([]byte, 32)...)
	JPG = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 32)...)
)

// WriteFile writes data to a file named name in a temporary folder and
// returns its path.
func WriteFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Files lists the regular files under dir, relative to it.
func Files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
