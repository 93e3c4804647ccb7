// Package reqid carries one request ID from an HTTP request through the
// service layer, Temporal (as a header of workflow starts, updates and
// activities) and into every log line: the ID a citizen or officer is
// given in an error is the one to grep for in the API's, the worker's and
// the activities' logs.
package reqid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// Header is the HTTP header that carries a request ID in and out.
const Header = "X-Request-ID"

// temporalHeader is the Temporal header key of the ID.
const temporalHeader = "motcua-request-id"

type ctxKey struct{}

// New returns a fresh random ID: 16 hex digits.
func New() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Valid reports whether an ID given by a client may be kept: 1–64
// characters of letters, digits, '-', '_' and '.'. Anything else is
// replaced by a fresh ID, so logs never carry a client's injection.
func Valid(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the ID ctx carries, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// FromWorkflow returns the ID a workflow context carries, or "".
func FromWorkflow(ctx workflow.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// LogHandler wraps a slog.Handler so that every record logged with a
// context carrying an ID gets a request_id attribute.
type LogHandler struct{ slog.Handler }

// Handle adds the request ID of ctx, if any.
func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := From(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h LogHandler) WithGroup(name string) slog.Handler {
	return LogHandler{h.Handler.WithGroup(name)}
}

// Propagator carries the ID through Temporal: from the client's context
// into the headers of workflow starts, updates and queries, from there
// into the workflow's context, and on into the activities the workflow
// schedules. Register it on the client (client.Options.ContextPropagators)
// of both the API and the worker.
func Propagator() workflow.ContextPropagator { return propagator{} }

type propagator struct{}

var dc = converter.GetDefaultDataConverter()

func (propagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	return inject(From(ctx), w)
}

func (propagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	return inject(FromWorkflow(ctx), w)
}

func inject(id string, w workflow.HeaderWriter) error {
	if id == "" {
		return nil
	}
	p, err := dc.ToPayload(id)
	if err != nil {
		return err
	}
	w.Set(temporalHeader, p)
	return nil
}

func (propagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	if id := extract(r); id != "" {
		return With(ctx, id), nil
	}
	return ctx, nil
}

func (propagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	if id := extract(r); id != "" {
		return workflow.WithValue(ctx, ctxKey{}, id), nil
	}
	return ctx, nil
}

func extract(r workflow.HeaderReader) string {
	p, ok := r.Get(temporalHeader)
	if !ok {
		return ""
	}
	var id string
	if err := dc.FromPayload(p, &id); err != nil || !Valid(strings.TrimSpace(id)) {
		return ""
	}
	return id
}
