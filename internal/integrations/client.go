// Package integrations holds the HTTP clients of the external systems a
// dossier talks to: notification webhook, national portal, payment
// platform, automated checks and postal service. Each implements an
// interface of package activities against a configurable endpoint.
//
// # Requests
//
// Every call is a POST of one JSON object, with these headers:
//
//	Content-Type: application/json
//	Accept: application/json
//	User-Agent: motcua/1
//	Idempotency-Key: <key>                 the same for every retry of one call
//	X-Motcua-Timestamp: <unix seconds>     only when a secret is configured
//	X-Motcua-Signature: sha256=<hex>       only when a secret is configured
//
// The signature is HMAC-SHA256, keyed with the configured secret, of
//
//	<X-Motcua-Timestamp value> "." <request body>
//
// so that a receiver can tell the request comes from motcua and refuse old
// replays (VerifyRequest does it). Idempotency keys are built from the
// request: see each client. They are ASCII: anything else is
// percent-encoded.
//
// # Answers
//
// A 2xx answer is a success; its body, when the call expects one, is a
// JSON object (at most 1 MiB). Any other status, redirects included, is a
// *StatusError carrying the status and the first 512 bytes of the body. A
// call that outlasts Config.Timeout (10 s by default) or its context fails
// with an error that says so.
package integrations

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Header names.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderTimestamp      = "X-Motcua-Timestamp"
	HeaderSignature      = "X-Motcua-Signature"
)

// Limits.
const (
	DefaultTimeout = 10 * time.Second
	maxAnswer      = 1 << 20
	maxExcerpt     = 512
)

// Config is the configuration of one endpoint.
type Config struct {
	// URL is the endpoint, http or https. For the checks client it is the
	// base under which /checks/<name> lives.
	URL string `json:"url" yaml:"url"`
	// Secret, when set, signs every request body (see the package
	// documentation).
	Secret string `json:"secret,omitempty" yaml:"secret,omitempty"`
	// Timeout bounds each call, answer included; zero means DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// endpoint is a validated Config with its HTTP client.
type endpoint struct {
	system string // e.g. "portal", for error messages
	url    *url.URL
	secret []byte
	client *http.Client
	now    func() time.Time
}

func newEndpoint(system string, cfg Config) (*endpoint, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, fmt.Errorf("%s: config URL is empty", system)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("%s: config URL %q: %v", system, cfg.URL, errors.Unwrap(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s: config URL %q: scheme must be http or https", system, u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s: config URL %q: no host", system, u.Redacted())
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("%s: config URL %q: a fragment (#…) is not allowed", system, u.Redacted())
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%s: config Timeout %s is negative", system, cfg.Timeout)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	e := &endpoint{
		system: system,
		url:    u,
		client: &http.Client{
			Timeout: timeout,
			// A redirected POST would turn into a GET: report it instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: time.Now,
	}
	if cfg.Secret != "" {
		e.secret = []byte(cfg.Secret)
	}
	return e, nil
}

// StatusError is a non-2xx answer.
type StatusError struct {
	System     string // e.g. "portal"
	URL        string // redacted
	StatusCode int
	Status     string // e.g. "502 Bad Gateway"
	Excerpt    string // the start of the body, valid UTF-8, at most 512 bytes and an ellipsis
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s: POST %s: %s", e.System, e.URL, e.Status)
	if e.Excerpt != "" {
		msg += ": " + e.Excerpt
	}
	return msg
}

// Temporary reports whether a retry may succeed: 408, 425, 429 and 5xx.
func (e *StatusError) Temporary() bool {
	switch e.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return e.StatusCode >= 500
}

// post sends in as JSON to u and, when out is not nil, decodes the answer
// into it.
func (e *endpoint) post(ctx context.Context, u *url.URL, key string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: encoding request: %w", e.system, err)
	}
	where := "POST " + u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %s: %w", e.system, where, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "motcua/1")
	if key == "" {
		key = "sha256:" + hexSum(body)
	}
	req.Header.Set(HeaderIdempotencyKey, headerSafe(key))
	if e.secret != nil {
		ts := strconv.FormatInt(e.now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(e.secret, ts, body))
	}

	resp, err := e.client.Do(req)
	if err != nil {
		return e.transportError(ctx, where, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Read a little more than shown: whitespace is collapsed.
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 4*maxExcerpt+1))
		return &StatusError{
			System:     e.system,
			URL:        u.Redacted(),
			StatusCode: resp.StatusCode,
			Status:     resp.Status,
			Excerpt:    excerpt(head, len(head) > 4*maxExcerpt),
		}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return e.transportError(ctx, where, fmt.Errorf("reading the answer: %w", err))
	}
	if out == nil {
		return nil
	}
	if len(data) > maxAnswer {
		return fmt.Errorf("%s: %s: answer larger than %d bytes", e.system, where, maxAnswer)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: %s: answer (%s) is not the JSON expected: %v: %s",
			e.system, where, resp.Status, err, orEmpty(excerpt(data, false)))
	}
	return nil
}

func (e *endpoint) transportError(ctx context.Context, where string, err error) error {
	// *url.Error repeats the method and URL that where already gives.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %s: %w", e.system, where, ctx.Err())
	case isTimeout(err):
		return fmt.Errorf("%s: %s: timed out after %s: %w", e.system, where, e.client.Timeout, err)
	}
	return fmt.Errorf("%s: %s: %w", e.system, where, err)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &t) && t.Timeout()
}

// Sign returns the X-Motcua-Signature value of body sent at timestamp.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyRequest checks the signature headers of a request received from
// motcua, for receivers written in Go: the signature must match body and
// the timestamp must be within maxSkew of now.
func VerifyRequest(secret []byte, h http.Header, body []byte, now time.Time, maxSkew time.Duration) error {
	ts, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return fmt.Errorf("missing %s or %s header", HeaderTimestamp, HeaderSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%s %q is not a number of seconds", HeaderTimestamp, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)).Abs(); d > maxSkew {
		return fmt.Errorf("%s is %s away from now, more than %s", HeaderTimestamp, d.Truncate(time.Second), maxSkew)
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, ts, body))) {
		return fmt.Errorf("%s does not match the body", HeaderSignature)
	}
	return nil
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// headerSafe percent-encodes anything in a key outside printable ASCII.
func headerSafe(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] >= 0x7f || key[i] == '%' {
			return url.PathEscape(key)
		}
	}
	return key
}

// excerpt returns the start of a body fit for an error message: valid
// UTF-8, whitespace runs collapsed, at most maxExcerpt bytes and an
// ellipsis when cut or when more is set (the body went on).
func excerpt(b []byte, more bool) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "�")), " ")
	if len(s) <= maxExcerpt {
		if more {
			s += "…"
		}
		return s
	}
	cut := maxExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func orEmpty(s string) string {
	if s == "" {
		return "(empty body)"
	}
	return s
}

// keyPart is a short digest of a request, for idempotency keys of requests
// that carry no sequence of their own.
func keyPart(v any) string {
	b, _ := json.Marshal(v)
	return hexSum(b)[:16]
}
