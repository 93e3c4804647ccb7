package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/reqid"
	"github.com/motcua/motcua/internal/store"
)

// access says who may call a route at all; finer decisions are the
// handler's, through internal/access.
type exposure int

const (
	public   exposure = iota // no credential: health, the OpenAPI document
	signedIn                 // any principal
	signed                   // an HMAC-signed system callback
)

// route is one operation of the API: it feeds the router and the OpenAPI
// document.
type route struct {
	method  string
	pattern string // net/http ServeMux pattern, e.g. /v1/dossiers/{code}
	id      string // OpenAPI operationId
	tag     string
	summary string
	access  exposure
	// action names the operation in the audit log; "" for reads, which
	// are audited only when denied.
	action string
	// status is the success status; default 200.
	status int
	// query lists the query parameters.
	query []param
	// body is a zero value of the JSON request body, for the document;
	// multipart is set when the body may be multipart/form-data.
	body      any
	multipart bool
	// result is a zero value of the success answer; nil for raw answers.
	result any
	// produces is the media type of a raw answer; alsoProduces lists the
	// others it may have (a query parameter chooses).
	produces     string
	alsoProduces []string
	// errors are the error statuses the operation documents.
	errors []int
	// handle does the work: a value to answer as JSON, or nil when it
	// wrote the answer itself.
	handle func(c *call) (any, error)
}

// param is a documented query parameter.
type param struct {
	name, doc string
	enum      []string
	integer   bool
}

// call is one request being handled.
type call struct {
	w http.ResponseWriter
	r *http.Request
	p auth.Principal
	// target is the object acted on, for the audit log (a dossier code).
	target string
	// system names the caller of a signed callback.
	system string
	// reason is what the audit log says of the decision.
	reason string
}

// wrap authenticates, runs the handler, answers and audits.
func (s *Server) wrap(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, target: r.PathValue("code")}
		var (
			v   any
			err error
		)
		if rt.access == signedIn {
			c.p, err = s.authenticate(r)
		}
		if err == nil {
			v, err = rt.handle(c)
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		if err != nil {
			e, internal := toError(err)
			if internal {
				s.log.ErrorContext(r.Context(), "api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			status = e.Status
			c.reason = e.Message
			writeJSON(w, status, ErrorBody{Error: e, RequestID: reqid.From(r.Context())})
		} else if v != nil {
			writeJSON(w, status, v)
		}
		if rt.action != "" || status == http.StatusUnauthorized || status == http.StatusForbidden {
			s.audit(c, rt, status)
		}
	})
}

// authenticate finds the caller of a request.
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	token := auth.Credential(r)
	if token == "" {
		return auth.Principal{}, auth.ErrNoCredential
	}
	p, err := s.auth.Authenticate(r.Context(), token)
	if err != nil {
		var cred *auth.CredentialError
		if errors.As(err, &cred) || errors.Is(err, auth.ErrNoCredential) {
			return auth.Principal{}, err
		}
		return auth.Principal{}, errorf(http.StatusServiceUnavailable, CodeUnavailable, "",
			"the sign-in service (%s) did not answer: %v", s.auth.Name(), err)
	}
	return p, nil
}

// audit writes the decision on a request to the audit log. A failure to
// write is logged: the answer has gone.
func (s *Server) audit(c *call, rt *route, status int) {
	decision := "accepted"
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		decision = "denied"
	case status >= 400:
		decision = "failed"
	}
	action := rt.action
	if action == "" {
		action = rt.id
	}
	e := store.AuditEntry{At: time.Now().UTC(), RequestID: reqid.From(c.r.Context()), Subject: c.p.Subject,
		Kind: string(c.p.Kind), Roles: c.p.Roles, Agency: c.p.Agency, RemoteAddr: remoteAddr(c.r),
		Method: c.r.Method, Action: action, Target: c.target, Decision: decision, Status: status, Reason: c.reason}
	if c.system != "" {
		e.Subject, e.Kind = c.system, "system"
	}
	// The request's context may be ending; the audit row must still land.
	ctx, cancel := contextWithoutCancel(c.r)
	defer cancel()
	if err := s.store.AuditAppend(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "api: writing the audit log", "action", action, "target", c.target, "err", err)
	}
}

// contextWithoutCancel keeps the request's values (its ID) with a bound
// of its own.
func contextWithoutCancel(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
}
