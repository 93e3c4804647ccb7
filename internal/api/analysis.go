package api

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/analysis"
	"github.com/motcua/motcua/internal/analysisquery"
	"github.com/motcua/motcua/internal/charts"
)

// analysisParams are the query parameters of the analysis of a procedure:
// those of `motcua analyze`.
var analysisParams = []param{
	{name: analysisquery.ParamFrom, doc: "First day of reception, YYYY-MM-DD, a Vietnamese date (default: the day of the procedure's first dossier)."},
	{name: analysisquery.ParamTo, doc: "Last day of reception, YYYY-MM-DD, included (default: up to now). The dossiers are judged at the end of that day, or now if earlier."},
	{name: analysisquery.ParamBefore, doc: "The version before the re-engineering, given with after (default: the second latest version that received dossiers)."},
	{name: analysisquery.ParamAfter, doc: "The version after the re-engineering, given with before (default: the latest version that received dossiers)."},
}

// analysisChartParams are the query parameters of the analysis's chart.
var analysisChartParams = slices.Concat(analysisParams, []param{{name: "format", doc: "Default svg.", enum: []string{"svg", "png"}}})

// analyze reads the analysis's parameters, decides whether the caller may
// read it (analysts and admins: it spans every agency handling the
// procedure) and analyses the procedure of the path over the read model
// and the service's catalog. A procedure with no dossier in the period is
// 404, whether or not the catalog has it.
func (s *Server) analyze(c *call) (*analysis.Analysis, error) {
	if err := access.ReadAnalysis(c.p); err != nil {
		return nil, err
	}
	code := c.r.PathValue("code")
	p, err := analysisquery.FromValues(c.r.URL.Query()).Params(code, time.Now())
	if err != nil {
		return nil, analysisError(err)
	}
	a, err := analysis.Analyze(c.r.Context(), s.store, s.svc.Catalog(), p)
	switch {
	case err == nil:
		return a, nil
	case errors.Is(err, analysis.ErrNoDossiers):
		if s.svc.Catalog().Plan(code) == nil {
			return nil, notFound("no procedure %q in the catalog, and %v", code, err)
		}
		return nil, notFound("%v", err)
	case errors.Is(err, analysis.ErrInvalid):
		return nil, analysisError(analysisquery.Blame(err))
	}
	return nil, fmt.Errorf("api: analysing procedure %s: %w", code, err)
}

// analysisError makes a parameter out of its domain a 400 naming it.
func analysisError(err error) error {
	var qe *analysisquery.Error
	if errors.As(err, &qe) {
		return badRequest(qe.Param, "%s", qe.Error())
	}
	if errors.Is(err, analysis.ErrInvalid) {
		return badRequest("", "%s", err.Error())
	}
	return err
}

// getAnalysis handles GET /v1/procedures/{code}/analysis: the JSON of
// `motcua analyze --format json`.
func (s *Server) getAnalysis(c *call) (any, error) {
	a, err := s.analyze(c)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// getAnalysisChart handles GET /v1/procedures/{code}/analysis/chart: the
// steps of the later version compared, or of the only one, drawn as SVG
// or PNG (analysis.DrawSteps). Nothing to draw is 404.
func (s *Server) getAnalysisChart(c *call) (any, error) {
	if err := access.ReadAnalysis(c.p); err != nil {
		return nil, err
	}
	format, err := oneOf(c.r, "format", "svg", "png")
	if err != nil {
		return nil, err
	}
	if format == "" {
		format = "svg"
	}
	a, err := s.analyze(c)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := analysis.DrawSteps(&buf, format, a); err != nil {
		if errors.Is(err, charts.ErrNoData) {
			return nil, notFound("nothing to draw: %v", err)
		}
		return nil, fmt.Errorf("api: drawing the steps of %s: %w", a.Procedure, err)
	}
	writeChart(c, format, buf.Bytes())
	return nil, nil
}
