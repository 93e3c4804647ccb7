package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/charts"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/reportchart"
	"github.com/motcua/motcua/internal/reportquery"
)

// reportParams are the query parameters of the indicators report: those
// of `motcua report`.
var reportParams = []param{
	{name: reportquery.ParamFrom, doc: "First day of the period, YYYY-MM-DD, a Vietnamese date (default: 1 January of this year)."},
	{name: reportquery.ParamTo, doc: "Last day of the period, YYYY-MM-DD, included (default: today)."},
	{name: reportquery.ParamAgency, doc: "Only the dossiers and procedures of this competent agency (its id). Officers read only their own agency's: the report is filtered by it, and another agency is 403."},
	{name: reportquery.ParamProcedure, doc: "Only this procedure (its code)."},
	{name: reportquery.ParamSector, doc: "Only the procedures of this sector of the catalog (exact)."},
	{name: reportquery.ParamBy, doc: "Group the dossier figures (default: one group for the whole period).",
		enum: []string{string(indicators.ByMonth), string(indicators.ByAgency), string(indicators.ByProcedure), string(indicators.ByVersion)}},
}

// chartParams are the query parameters of the report's chart besides the
// report's own.
var chartParams = []param{
	{name: "kind", doc: "trend: the on-time rate of each month (by month; by defaults to month); channels: the dossiers received online, in person and by post in each group. Default: trend when by is month, else channels.",
		enum: []string{string(reportchart.KindTrend), string(reportchart.KindChannels)}},
	{name: "format", doc: "Default svg.", enum: []string{"svg", "png"}},
}

// reportInput reads the report's parameters and decides what the caller
// may read: citizens are refused, an officer's report is filtered by their
// agency.
func (s *Server) reportInput(c *call) (indicators.Params, error) {
	if err := access.ReadIndicators(c.p); err != nil {
		return indicators.Params{}, err
	}
	p, err := reportquery.FromValues(c.r.URL.Query()).Params(time.Now())
	if err != nil {
		var qe *reportquery.Error
		if errors.As(err, &qe) {
			return indicators.Params{}, badRequest(qe.Param, "%s", qe.Error())
		}
		return indicators.Params{}, err
	}
	if p.Agency, err = access.IndicatorAgency(c.p, p.Agency); err != nil {
		return indicators.Params{}, err
	}
	return p, nil
}

// compute computes a report over the read model and the service's
// catalog; the catalog's calendars judge the dossiers without an
// appointment date.
func (s *Server) compute(c *call, p indicators.Params) (*indicators.Report, error) {
	r, err := indicators.Compute(c.r.Context(), s.store, s.svc.Catalog(), p)
	if errors.Is(err, indicators.ErrInvalid) {
		return nil, badRequest("", "%s", err.Error())
	}
	if err != nil {
		return nil, fmt.Errorf("api: computing the indicators: %w", err)
	}
	return r, nil
}

// getReport handles GET /v1/reports: the JSON of `motcua report --format
// json`.
func (s *Server) getReport(c *call) (any, error) {
	p, err := s.reportInput(c)
	if err != nil {
		return nil, err
	}
	r, err := s.compute(c, p)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// getReportChart handles GET /v1/reports/chart: the report drawn as SVG
// or PNG. A report with nothing to draw (no dossier) is 404.
func (s *Server) getReportChart(c *call) (any, error) {
	kind, err := oneOf(c.r, "kind", string(reportchart.KindTrend), string(reportchart.KindChannels))
	if err != nil {
		return nil, err
	}
	format, err := oneOf(c.r, "format", "svg", "png")
	if err != nil {
		return nil, err
	}
	if format == "" {
		format = "svg"
	}
	p, err := s.reportInput(c)
	if err != nil {
		return nil, err
	}
	k := reportchart.DefaultKind(p.By)
	if kind != "" {
		k = reportchart.Kind(kind)
	}
	if k == reportchart.KindTrend {
		switch p.By {
		case indicators.ByNone:
			p.By = indicators.ByMonth
		case indicators.ByMonth:
		default:
			return nil, badRequest(reportquery.ParamBy, "the trend draws the on-time rate of each month: use by=month or leave by out, not by=%s", p.By)
		}
	}
	r, err := s.compute(c, p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := reportchart.Draw(&buf, format, k, r); err != nil {
		if errors.Is(err, charts.ErrNoData) {
			return nil, notFound("nothing to draw: %v", err)
		}
		return nil, fmt.Errorf("api: drawing the %s chart: %w", k, err)
	}
	writeChart(c, format, buf.Bytes())
	return nil, nil
}

// writeChart answers a chart drawn as svg or png.
func writeChart(c *call, format string, body []byte) {
	ct := "image/svg+xml"
	if format == "png" {
		ct = "image/png"
	}
	h := c.w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(body)
}
