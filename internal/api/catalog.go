package api

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/motcua/motcua/definitions"
)

func summary(p *definitions.Plan) ProcedureSummary {
	s := ProcedureSummary{Code: p.Code, Name: p.Name, Sector: p.Sector, Level: p.Level, Agency: p.Agency,
		Version: p.Version, Hash: p.Hash, EffectiveFrom: string(p.EffectiveFrom), Modes: []string{}}
	for _, m := range p.Modes {
		s.Modes = append(s.Modes, m.Mode)
		if m.Mode == "full_online" {
			s.FullOnline = true
		}
	}
	return s
}

// listProcedures handles GET /v1/procedures.
func (s *Server) listProcedures(c *call) (any, error) {
	level, err := oneOf(c.r, "level", "province", "district", "commune")
	if err != nil {
		return nil, err
	}
	mode, err := oneOf(c.r, "mode", "full_online", "partial_online")
	if err != nil {
		return nil, err
	}
	sector := c.r.URL.Query().Get("sector")
	out := ProcedureList{Items: []ProcedureSummary{}}
	for _, p := range s.svc.Catalog().Plans() {
		sum := summary(p)
		if (sector != "" && p.Sector != sector) || (level != "" && p.Level != level) || (mode != "" && !slices.Contains(sum.Modes, mode)) {
			continue
		}
		out.Items = append(out.Items, sum)
	}
	return out, nil
}

func (s *Server) plan(c *call) (*definitions.Plan, error) {
	code := c.r.PathValue("code")
	p := s.svc.Catalog().Plan(code)
	if p == nil {
		return nil, notFound("no procedure %q in the catalog", code)
	}
	return p, nil
}

// getProcedure handles GET /v1/procedures/{code}.
func (s *Server) getProcedure(c *call) (any, error) {
	p, err := s.plan(c)
	if err != nil {
		return nil, err
	}
	out := Procedure{ProcedureSummary: summary(p), Plan: p, Diagrams: map[string]string{}}
	for _, m := range p.Modes {
		out.Diagrams[m.Mode] = "/v1/procedures/" + url.PathEscape(p.Code) + "/diagram?mode=" + url.QueryEscape(m.Mode)
	}
	return out, nil
}

// getDiagram handles GET /v1/procedures/{code}/diagram.
func (s *Server) getDiagram(c *call) (any, error) {
	p, err := s.plan(c)
	if err != nil {
		return nil, err
	}
	format, err := oneOf(c.r, "format", "svg", "mermaid", "dot")
	if err != nil {
		return nil, err
	}
	mode := c.r.URL.Query().Get("mode")
	if mode == "" && len(p.Modes) > 0 {
		mode = p.Modes[0].Mode
	}
	if p.Mode(mode) == nil {
		return nil, badRequest("mode", "procedure %s has no mode %q", p.Code, mode)
	}
	var (
		body []byte
		ct   string
	)
	switch format {
	case "mermaid":
		text, derr := definitions.Mermaid(p, mode)
		body, ct, err = []byte(text), "text/plain; charset=utf-8", derr
	case "dot":
		text, derr := definitions.DOT(p, mode)
		body, ct, err = []byte(text), "text/vnd.graphviz; charset=utf-8", derr
	default:
		body, err = definitions.DiagramSVG(p, mode)
		ct = "image/svg+xml"
	}
	if err != nil {
		return nil, err
	}
	c.w.Header().Set("Content-Type", ct)
	c.w.Header().Set("X-Content-Type-Options", "nosniff")
	c.w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(body)
	return nil, nil
}
