package clustertest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/motcua/motcua/internal/integrations"
)

// recorder stands for an external system (the notification webhook, the
// national portal): it checks each request's signature and keeps every
// delivery by its idempotency key, so the test can tell a retry of one
// call (same key) from a side effect that happened twice (two keys for
// one event).
type recorder struct {
	name   string
	secret []byte
	srv    *httptest.Server

	mu         sync.Mutex
	deliveries map[string]int             // idempotency key → requests received
	bodies     map[string]json.RawMessage // idempotency key → the first body
	refused    int                        // requests with a bad signature or body
}

func newRecorder(t *testing.T, name string, secret []byte) *recorder {
	r := &recorder{name: name, secret: secret, deliveries: map[string]int{}, bodies: map[string]json.RawMessage{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	key := req.Header.Get(integrations.HeaderIdempotencyKey)
	if err == nil {
		err = integrations.VerifyRequest(r.secret, req.Header, body, time.Now(), 5*time.Minute)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil || key == "" || !json.Valid(body) {
		r.refused++
		http.Error(w, "refused", http.StatusBadRequest)
		return
	}
	r.deliveries[key]++
	if _, ok := r.bodies[key]; !ok {
		r.bodies[key] = body
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, "{}")
}

// snapshot returns the first body of every key and the refused count.
func (r *recorder) snapshot() (map[string]json.RawMessage, map[string]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bodies := make(map[string]json.RawMessage, len(r.bodies))
	counts := make(map[string]int, len(r.deliveries))
	for k, v := range r.bodies {
		bodies[k] = v
	}
	for k, v := range r.deliveries {
		counts[k] = v
	}
	return bodies, counts, r.refused
}
