package api

import (
	"context"
	"net/http"
	"time"

	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/store"
)

// health handles GET /healthz: the process answers.
func (s *Server) health(c *call) (any, error) {
	return Health{Status: "ok"}, nil
}

// readyz handles GET /readyz: the read model and Temporal answer.
func (s *Server) readyz(c *call) (any, error) {
	ctx, cancel := context.WithTimeout(c.r.Context(), 5*time.Second)
	defer cancel()
	h := Health{Status: "ok", Checks: map[string]string{"read_model": "ok"}}
	if err := s.store.Ping(ctx); err != nil {
		h.Status, h.Checks["read_model"] = "unavailable", err.Error()
	}
	if s.ready != nil {
		h.Checks["temporal"] = "ok"
		if err := s.ready(ctx); err != nil {
			h.Status, h.Checks["temporal"] = "unavailable", err.Error()
		}
	}
	if h.Status != "ok" {
		writeJSON(c.w, http.StatusServiceUnavailable, h)
		return nil, nil
	}
	return h, nil
}

// serveMetrics handles GET /metrics.
func (s *Server) serveMetrics(c *call) (any, error) {
	if s.metrics == nil {
		return nil, notFound("metrics are not enabled on this server")
	}
	s.metrics.Handler().ServeHTTP(c.w, c.r)
	return nil, nil
}

// me handles GET /v1/me.
func (s *Server) me(c *call) (any, error) {
	p := c.p
	return Me{Subject: p.Subject, Name: p.Name, Kind: string(p.Kind), Roles: p.Roles, Agency: p.Agency,
		ApplicantID: p.ApplicantID, Authenticator: s.auth.Name()}, nil
}

// inbox handles GET /v1/inbox.
func (s *Server) inbox(c *call) (any, error) {
	if err := access.Inbox(c.p); err != nil {
		return nil, err
	}
	pageNo, perPage, err := page(c.r)
	if err != nil {
		return nil, err
	}
	due, err := oneOf(c.r, "due", "overdue", "soon", "on_time")
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	p := store.TaskListParams{Roles: c.p.Roles, Agency: c.p.Agency, Procedure: q.Get("procedure"),
		DossierCode: q.Get("code"), Due: due, Limit: perPage, Offset: (pageNo - 1) * perPage}
	if len(p.Roles) == 0 {
		return Inbox{Items: []store.TaskRow{}, Page: pageNo, PerPage: perPage}, nil
	}
	items, err := s.store.TaskList(c.r.Context(), p)
	if err != nil {
		return nil, err
	}
	total, err := s.store.TaskCount(c.r.Context(), p)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []store.TaskRow{}
	}
	return Inbox{Items: items, Total: total, Page: pageNo, PerPage: perPage}, nil
}

// auditList handles GET /v1/audit.
func (s *Server) auditList(c *call) (any, error) {
	if err := access.ReadAudit(c.p); err != nil {
		return nil, err
	}
	pageNo, perPage, err := page(c.r)
	if err != nil {
		return nil, err
	}
	decision, err := oneOf(c.r, "decision", "accepted", "denied", "failed")
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	items, err := s.store.AuditList(c.r.Context(), store.AuditListParams{Subject: q.Get("subject"), Target: q.Get("target"),
		Decision: decision, Action: q.Get("action"), Limit: perPage, Offset: (pageNo - 1) * perPage})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []store.AuditEntry{}
	}
	return AuditList{Items: items, Page: pageNo, PerPage: perPage}, nil
}
