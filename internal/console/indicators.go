package console

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/charts"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/reportchart"
	"github.com/motcua/motcua/internal/reportquery"
	"github.com/motcua/motcua/internal/vnformat"
)

// Paths of the indicators page and of its charts.
const (
	indicatorsPath = "/console/indicators"
	chartPath      = "/console/indicators/chart"
)

// indicatorsView is the indicators page: the form, the figures and the
// charts.
type indicatorsView struct {
	base
	// The form: the dates shown (the defaults filled in) and the choices.
	From, To                          string
	Agencies, Procedures, Sectors, By []option
	// AgencyFixed is set for an officer, who reads only their agency's.
	AgencyFixed bool
	// Report is set once the report is computed.
	Report *reportView
}

// reportView is a computed report, in Vietnamese.
type reportView struct {
	Period  string
	Filters string
	Groups  []figureGroup
	Catalog []figureRow
	Notes   []string
	Charts  []chartView
}

type figureGroup struct {
	Key, Title string
	Rows       []figureRow
}

type figureRow struct {
	ID, Name, Value, Parts, Title string
}

type chartView struct {
	ID, Src, Alt string
}

// groupingNames label the groupings in the form.
var groupingNames = map[indicators.Grouping]string{
	indicators.ByNone:      "Không nhóm (cả kỳ)",
	indicators.ByMonth:     "Theo tháng",
	indicators.ByAgency:    "Theo cơ quan",
	indicators.ByProcedure: "Theo thủ tục",
	indicators.ByVersion:   "Theo phiên bản thủ tục",
}

// paramNames name the report's parameters in messages.
var paramNames = map[string]string{
	reportquery.ParamFrom: "Từ ngày",
	reportquery.ParamTo:   "Đến ngày",
	reportquery.ParamBy:   "Nhóm theo",
	"kind":                "Loại biểu đồ",
}

// indicatorInput reads the report's parameters of a request and decides
// what p may read: citizens are refused (403), an officer's report is
// their agency's (403 for another). A parameter out of its domain is
// status 400 with a message. status 0: go on with params.
func (c *Console) indicatorInput(r *http.Request, p auth.Principal) (reportquery.Query, indicators.Params, int, string) {
	q := reportquery.FromValues(r.URL.Query())
	if err := access.ReadIndicators(p); err != nil {
		return q, indicators.Params{}, http.StatusForbidden,
			"Tài khoản công dân không xem được chỉ số giải quyết thủ tục hành chính."
	}
	params, err := q.Params(c.now())
	if err != nil {
		var qe *reportquery.Error
		if errors.As(err, &qe) {
			return q, indicators.Params{}, http.StatusBadRequest,
				"Tham số báo cáo chưa hợp lệ (" + label(paramNames, qe.Param) + "). Chi tiết: " + qe.Error()
		}
		return q, indicators.Params{}, http.StatusBadRequest, "Tham số báo cáo chưa hợp lệ. Chi tiết: " + err.Error()
	}
	agency, err := access.IndicatorAgency(p, params.Agency)
	if err != nil {
		var den *access.Denied
		msg := err.Error()
		if errors.As(err, &den) {
			msg = den.Message
		}
		return q, indicators.Params{}, http.StatusForbidden, "Cán bộ chỉ xem được chỉ số của cơ quan mình. Chi tiết: " + msg
	}
	params.Agency = agency
	q.Agency = agency
	return q, params, 0, ""
}

// indicators handles GET /console/indicators.
func (c *Console) indicators(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	q, params, status, msg := c.indicatorInput(r, p)
	if status == http.StatusForbidden {
		c.errorPage(w, r, &p, status, msg)
		return
	}
	v := indicatorsView{base: c.pageBase(w, r, &p, "Chỉ số giải quyết thủ tục hành chính", "indicators"),
		From: q.From, To: q.To, AgencyFixed: p.Kind == auth.KindOfficer}
	if status == 0 {
		// Show the dates the report covers, the defaults filled in.
		v.From = params.From.In(dossier.Vietnam).Format(time.DateOnly)
		v.To = params.To.In(dossier.Vietnam).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	c.indicatorForm(&v, q, p)
	if status != 0 {
		v.Error = msg
		c.render(w, r, status, "indicators.html", v)
		return
	}
	rep, err := indicators.Compute(r.Context(), c.store, c.svc.Catalog(), params)
	if errors.Is(err, indicators.ErrInvalid) {
		v.Error = "Tham số báo cáo chưa hợp lệ. Chi tiết: " + err.Error()
		c.render(w, r, http.StatusBadRequest, "indicators.html", v)
		return
	}
	if err != nil {
		c.fail(w, r, &p, err)
		return
	}
	v.Report = c.reportView(rep, q)
	c.render(w, r, http.StatusOK, "indicators.html", v)
}

// indicatorForm fills the form's choices.
func (c *Console) indicatorForm(v *indicatorsView, q reportquery.Query, p auth.Principal) {
	if p.Kind == auth.KindOfficer {
		v.Agencies = []option{{Value: p.Agency, Label: c.agencyName(p.Agency), Selected: true}}
	} else {
		v.Agencies = []option{{Value: "", Label: "Tất cả cơ quan", Selected: q.Agency == ""}}
		ids := make([]string, 0, len(c.agencies))
		for id := range c.agencies {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int { return strings.Compare(c.agencies[a], c.agencies[b]) })
		for _, id := range ids {
			v.Agencies = append(v.Agencies, option{Value: id, Label: c.agencies[id], Selected: id == q.Agency})
		}
	}
	v.Procedures = c.procedureOptions(q.Procedure)
	var sectors []string
	for _, pl := range c.svc.Catalog().Plans() {
		if pl.Sector != "" && !slices.Contains(sectors, pl.Sector) {
			sectors = append(sectors, pl.Sector)
		}
	}
	slices.Sort(sectors)
	v.Sectors = []option{{Value: "", Label: "Tất cả lĩnh vực", Selected: q.Sector == ""}}
	for _, s := range sectors {
		v.Sectors = append(v.Sectors, option{Value: s, Label: s, Selected: s == q.Sector})
	}
	for _, g := range append([]indicators.Grouping{indicators.ByNone}, indicators.Groupings...) {
		v.By = append(v.By, option{Value: string(g), Label: groupingNames[g], Selected: string(g) == q.By})
	}
}

// reportView writes a report for the page, with the links of its charts.
func (c *Console) reportView(r *indicators.Report, q reportquery.Query) *reportView {
	v := &reportView{Period: periodText(r.From, r.AsOf) + ", số liệu chốt lúc " + fmtTime(r.AsOf), Notes: r.Notes}
	var filters []string
	if r.Filters.Agency != "" {
		filters = append(filters, "cơ quan "+c.agencyName(r.Filters.Agency))
	}
	if r.Filters.Procedure != "" {
		filters = append(filters, "thủ tục "+r.Filters.Procedure)
	}
	if r.Filters.Sector != "" {
		filters = append(filters, "lĩnh vực "+r.Filters.Sector)
	}
	v.Filters = strings.Join(filters, "; ")
	handled, received := 0.0, 0.0
	for _, g := range r.Groups {
		title := g.Name
		switch {
		case r.By == indicators.ByMonth:
			title += " (" + periodText(g.From, g.To) + ")"
		case g.Key != "" && g.Key != g.Name:
			title = g.Key + " — " + g.Name
		}
		v.Groups = append(v.Groups, figureGroup{Key: g.Key, Title: title, Rows: figureRows(g.Figures)})
		if f := g.Figure("handled"); f != nil {
			handled += f.Numerator
		}
		if f := g.Figure("received"); f != nil {
			received += f.Numerator
		}
	}
	v.Catalog = figureRows(r.Catalog)
	// A period with dossiers handled has a month with an on-time rate; one
	// with dossiers received has a channel mix. The channel mix follows
	// the grouping asked for, by month without one.
	if handled > 0 {
		trend := q
		trend.By = string(indicators.ByMonth)
		v.Charts = append(v.Charts, chartView{ID: "chart-trend", Src: chartLink(reportchart.KindTrend, trend),
			Alt: "Biểu đồ tỷ lệ hồ sơ giải quyết đúng hạn theo tháng"})
	}
	if received > 0 {
		mix := q
		if mix.By == "" {
			mix.By = string(indicators.ByMonth)
		}
		v.Charts = append(v.Charts, chartView{ID: "chart-channels", Src: chartLink(reportchart.KindChannels, mix),
			Alt: "Biểu đồ hồ sơ tiếp nhận theo kênh nộp: trực tuyến, trực tiếp, bưu chính công ích"})
	}
	return v
}

// chartLink is the console's link to a chart of the report of q.
func chartLink(kind reportchart.Kind, q reportquery.Query) string {
	vals := q.Values()
	vals.Set("kind", string(kind))
	return chartPath + "?" + vals.Encode()
}

// figureRows writes figures for the page's tables.
func figureRows(figs []indicators.Figure) []figureRow {
	rows := make([]figureRow, 0, len(figs))
	for _, f := range figs {
		value, parts := vnformat.Figure(f)
		title := f.Formula
		if f.Missing != "" {
			title += " (" + f.Missing + ")"
		}
		rows = append(rows, figureRow{ID: f.ID, Name: f.Name, Value: value, Parts: parts, Title: title})
	}
	return rows
}

// periodText writes [from, to) as the days it covers, both included, or
// up to its end time when to is not a midnight (a period cut now).
func periodText(from, to time.Time) string {
	from, to = from.In(dossier.Vietnam), to.In(dossier.Vietnam)
	if to.Hour() != 0 || to.Minute() != 0 || to.Second() != 0 || to.Nanosecond() != 0 {
		return from.Format(dateLayout) + " – " + fmtTime(to)
	}
	return from.Format(dateLayout) + " – " + to.Add(-time.Nanosecond).Format(dateLayout)
}

// cspChart lets a chart opened on its own show its inline styles, as the
// API's diagrams do; it runs nothing.
const cspChart = "default-src 'none'; style-src 'unsafe-inline'"

// indicatorChart handles GET /console/indicators/chart: a chart of the
// report as SVG, for the page's <img>. kind is trend (by month; by
// defaults to month) or channels; the default follows the grouping.
// Nothing to draw is 404.
func (c *Console) indicatorChart(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	_, params, status, msg := c.indicatorInput(r, p)
	if status != 0 {
		c.errorPage(w, r, &p, status, msg)
		return
	}
	kind := reportchart.DefaultKind(params.By)
	if k := r.URL.Query().Get("kind"); k != "" {
		var err error
		if kind, err = reportchart.ParseKind(k); err != nil {
			c.errorPage(w, r, &p, http.StatusBadRequest, "Loại biểu đồ chưa hợp lệ. Chi tiết: "+err.Error())
			return
		}
	}
	if kind == reportchart.KindTrend {
		switch params.By {
		case indicators.ByNone:
			params.By = indicators.ByMonth
		case indicators.ByMonth:
		default:
			c.errorPage(w, r, &p, http.StatusBadRequest, "Biểu đồ tỷ lệ đúng hạn vẽ theo tháng: hãy chọn nhóm theo tháng.")
			return
		}
	}
	rep, err := indicators.Compute(r.Context(), c.store, c.svc.Catalog(), params)
	if errors.Is(err, indicators.ErrInvalid) {
		c.errorPage(w, r, &p, http.StatusBadRequest, "Tham số báo cáo chưa hợp lệ. Chi tiết: "+err.Error())
		return
	}
	if err != nil {
		c.fail(w, r, &p, err)
		return
	}
	var buf bytes.Buffer
	if err := reportchart.Draw(&buf, "svg", kind, rep); err != nil {
		if errors.Is(err, charts.ErrNoData) {
			c.errorPage(w, r, &p, http.StatusNotFound, "Không có số liệu để vẽ biểu đồ trong kỳ này.")
			return
		}
		c.fail(w, r, &p, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", cspChart)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
