// Package devservices stands in for the national systems a dossier talks
// to — the payment platform, the automated checks gateway and the public
// postal service — IN DEVELOPMENT ONLY. `motcua dev` starts it when no URL
// is configured for those systems, so that a procedure with a fee, an auto
// step or postal delivery runs end to end on one machine. Nothing here
// checks, charges or ships anything: never point a production worker at it.
//
// It is a real HTTP server on 127.0.0.1 (a port of the system's choosing)
// that speaks the protocol of the clients in internal/integrations, which
// talk to it exactly as they would to the real systems:
//
//	POST /payments             activities.PaymentRequest → {"reference", "url"}
//	POST /checks/<name>        activities.CheckRequest   → {"passed": true, "note"}
//	POST /postal               activities.Shipment       → {"tracking"}
//	GET  /pay/<reference>      the order, as JSON
//	POST /pay/<reference>      confirms the payment (see Options.ConfirmPayment)
//	GET  /orders               every payment order since the start, as JSON
//
// Answers are derived from the request's Idempotency-Key (or its body), so a
// retried call, even after a restart, gets the same reference or tracking
// number.
package devservices

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/internal/integrations"
)

// Order is a payment order the stand-in payment platform issued.
type Order struct {
	Reference string                    `json:"reference"`
	URL       string                    `json:"url"`
	Request   activities.PaymentRequest `json:"request"`
	Paid      bool                      `json:"paid"`
	PaidAt    time.Time                 `json:"paid_at,omitzero"`
}

// Options configure the stand-ins.
type Options struct {
	// Logger receives one line per call; nil means slog.Default().
	Logger *slog.Logger
	// ConfirmPayment is called by POST /pay/<reference>: it tells the
	// dossier the fee was paid (`motcua dev` sends the pay update). Without
	// it, confirming answers 501.
	ConfirmPayment func(ctx context.Context, o Order) error
	// Addr is where to listen; "" means 127.0.0.1:0.
	Addr string
}

// Services is the running stand-in server.
type Services struct {
	base   string
	srv    *http.Server
	done   chan struct{}
	log    *slog.Logger
	opts   Options
	mu     sync.Mutex
	orders map[string]*Order // by reference
}

// Start listens and serves in the background until Close.
func Start(opts Options) (*Services, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("development stand-ins: %w", err)
	}
	s := &Services{
		base:   "http://" + l.Addr().String(),
		done:   make(chan struct{}),
		log:    opts.Logger.With("component", "devservices"),
		opts:   opts,
		orders: map[string]*Order{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /payments", s.payment)
	mux.HandleFunc("POST /checks/{name}", s.check)
	mux.HandleFunc("POST /postal", s.ship)
	mux.HandleFunc("GET /pay/{reference}", s.order)
	mux.HandleFunc("POST /pay/{reference}", s.confirm)
	mux.HandleFunc("GET /orders", s.list)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("development stand-ins stopped", "error", err)
		}
	}()
	return s, nil
}

// URL returns the base address, e.g. http://127.0.0.1:41234.
func (s *Services) URL() string { return s.base }

// PaymentsConfig, ChecksConfig and PostalConfig configure the real clients
// of internal/integrations to talk to the stand-ins.
func (s *Services) PaymentsConfig() integrations.Config {
	return integrations.Config{URL: s.base + "/payments"}
}

// ChecksConfig: see PaymentsConfig.
func (s *Services) ChecksConfig() integrations.Config { return integrations.Config{URL: s.base} }

// PostalConfig: see PaymentsConfig.
func (s *Services) PostalConfig() integrations.Config {
	return integrations.Config{URL: s.base + "/postal"}
}

// Orders returns the payment orders issued since the start, oldest first.
func (s *Services) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b Order) int { return strings.Compare(a.Reference, b.Reference) })
	return out
}

// Close stops the server.
func (s *Services) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}

// key identifies a call: its Idempotency-Key, else its body.
func key(r *http.Request, body []byte) string {
	k := r.Header.Get(integrations.HeaderIdempotencyKey)
	if k == "" {
		k = string(body)
	}
	sum := sha256.Sum256([]byte(k))
	return strings.ToUpper(hex.EncodeToString(sum[:6]))
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return nil, false
	}
	return body, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Services) payment(w http.ResponseWriter, r *http.Request) {
	var req activities.PaymentRequest
	body, ok := readJSON(w, r, &req)
	if !ok {
		return
	}
	ref := "DEV-PAY-" + key(r, body)
	s.mu.Lock()
	o, ok := s.orders[ref]
	if !ok {
		o = &Order{Reference: ref, URL: s.base + "/pay/" + ref, Request: req}
		s.orders[ref] = o
	}
	answer := activities.PaymentOrder{Reference: o.Reference, URL: o.URL}
	s.mu.Unlock()
	s.log.Info("payment order (development stand-in)", "code", req.Code, "amount", req.Amount, "reference", ref,
		"confirm", "curl -X POST "+answer.URL)
	writeJSON(w, http.StatusOK, answer)
}

func (s *Services) check(w http.ResponseWriter, r *http.Request) {
	var req activities.CheckRequest
	if _, ok := readJSON(w, r, &req); !ok {
		return
	}
	name := r.PathValue("name")
	s.log.Info("automated check passed (development stand-in)", "code", req.Code, "check", name)
	writeJSON(w, http.StatusOK, map[string]any{"passed": true, "note": "development stand-in: check " + name + " passes every dossier"})
}

func (s *Services) ship(w http.ResponseWriter, r *http.Request) {
	var req activities.Shipment
	body, ok := readJSON(w, r, &req)
	if !ok {
		return
	}
	tracking := "DEV" + key(r, body) + "VN"
	s.log.Info("shipment (development stand-in)", "code", req.Code, "result", req.ResultCode, "tracking", tracking)
	writeJSON(w, http.StatusOK, map[string]string{"tracking": tracking})
}

func (s *Services) lookup(w http.ResponseWriter, r *http.Request) (*Order, bool) {
	ref := r.PathValue("reference")
	s.mu.Lock()
	o, ok := s.orders[ref]
	s.mu.Unlock()
	if !ok {
		http.Error(w, fmt.Sprintf("no payment order %q since this process started", ref), http.StatusNotFound)
	}
	return o, ok
}

func (s *Services) order(w http.ResponseWriter, r *http.Request) {
	if o, ok := s.lookup(w, r); ok {
		s.mu.Lock()
		cp := *o
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, cp)
	}
}

func (s *Services) confirm(w http.ResponseWriter, r *http.Request) {
	o, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if s.opts.ConfirmPayment == nil {
		http.Error(w, "confirming payments is not wired in this process", http.StatusNotImplemented)
		return
	}
	s.mu.Lock()
	cp := *o
	s.mu.Unlock()
	if err := s.opts.ConfirmPayment(r.Context(), cp); err != nil {
		http.Error(w, "confirming payment: "+err.Error(), http.StatusConflict)
		return
	}
	s.mu.Lock()
	o.Paid, o.PaidAt = true, time.Now()
	cp = *o
	s.mu.Unlock()
	s.log.Info("payment confirmed (development stand-in)", "code", cp.Request.Code, "reference", cp.Reference)
	writeJSON(w, http.StatusOK, cp)
}

func (s *Services) list(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Orders())
}
