package reqid_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"

	"github.com/motcua/motcua/internal/reqid"
)

// header is a Temporal header for the propagator.
type header map[string]*commonpb.Payload

func (h header) Set(k string, v *commonpb.Payload) { h[k] = v }
func (h header) Get(k string) (*commonpb.Payload, bool) {
	v, ok := h[k]
	return v, ok
}
func (h header) ForEachKey(f func(string, *commonpb.Payload) error) error {
	for k, v := range h {
		if err := f(k, v); err != nil {
			return err
		}
	}
	return nil
}

func TestPropagatorCarriesTheID(t *testing.T) {
	p := reqid.Propagator()
	h := header{}
	require.NoError(t, p.Inject(reqid.With(context.Background(), "abc-123"), h))
	ctx, err := p.Extract(context.Background(), h)
	require.NoError(t, err)
	require.Equal(t, "abc-123", reqid.From(ctx))

	// No ID, no header; a forged one is dropped.
	empty := header{}
	require.NoError(t, p.Inject(context.Background(), empty))
	require.Empty(t, empty)
	require.NoError(t, p.Inject(reqid.With(context.Background(), "bad id\nwith=newline"), empty))
	ctx, err = p.Extract(context.Background(), empty)
	require.NoError(t, err)
	require.Empty(t, reqid.From(ctx))
}

func TestValid(t *testing.T) {
	require.True(t, reqid.Valid(reqid.New()))
	require.True(t, reqid.Valid("client-Request_1.2"))
	for _, bad := range []string{"", strings.Repeat("a", 65), "a b", "a\nb", "ä", "a;b"} {
		require.False(t, reqid.Valid(bad), "%q", bad)
	}
	require.NotEqual(t, reqid.New(), reqid.New())
}

func TestLogHandlerAddsTheID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(reqid.LogHandler{Handler: slog.NewTextHandler(&buf, nil)}).With("component", "api")
	log.InfoContext(reqid.With(context.Background(), "r-1"), "hello")
	log.InfoContext(context.Background(), "bye")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	require.Contains(t, lines[0], "component=api request_id=r-1")
	require.NotContains(t, lines[1], "request_id")
}
