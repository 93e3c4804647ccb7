package console

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/analysis"
	"github.com/motcua/motcua/internal/analysisquery"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/charts"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/vnformat"
)

// analysisPath is the analysis page of a procedure; its chart is at
// analysisPath + "/chart".
func analysisPath(code string) string {
	return "/console/procedures/" + url.PathEscape(code) + "/analysis"
}

// analysisView is the analysis page: the form, then each version's
// figures and steps, the comparison and the steps chart.
type analysisView struct {
	base
	Code, Name, Action string
	// ProcedureLink is the procedure's page, when the catalog has it.
	ProcedureLink string
	// The form: the dates shown (the defaults filled in) and the versions.
	From, To       string
	Before, After  []option
	AnalysisResult *analysisResult
}

// analysisResult is a computed analysis, in Vietnamese.
type analysisResult struct {
	Period     string
	Versions   []versionView
	Comparison *comparisonView
	Chart      *chartView
}

type versionView struct {
	Version, Received, Hashes string
	Known                     bool
	Figures                   []figureRow
	Components                []figureRow
	Steps                     []stepRow
}

type stepRow struct {
	Key, Name, Count, P50, P90, Allotted, Late, LateParts, Share string
	Applicant, Bottleneck                                        bool
}

type comparisonView struct {
	Before, After string
	Rows          []changeRow
	Steps         []stepChangeRow
}

type changeRow struct {
	ID, Name, Before, After string
	// Verdict is better, worse, same or empty; VerdictText says it in
	// Vietnamese.
	Verdict, VerdictText string
}

type stepChangeRow struct {
	Key, Name                                          string
	BeforeP50, BeforeAllotted, AfterP50, AfterAllotted string
}

// analysisParamNames name the analysis's parameters in messages.
var analysisParamNames = map[string]string{
	analysisquery.ParamFrom:   "Từ ngày",
	analysisquery.ParamTo:     "Đến ngày",
	analysisquery.ParamBefore: "Phiên bản trước",
	analysisquery.ParamAfter:  "Phiên bản sau",
}

// analysisRun is the outcome of reading a request and analysing: the
// analysis, or the status and message of the page that says why not;
// versions lists the versions with dossiers for the form, when known.
type analysisRun struct {
	q      analysisquery.Query
	a      *analysis.Analysis
	status int
	msg    string
	// page is set when the message goes on the analysis page, its form
	// kept, rather than on the error page.
	page bool
	// err is a failure of ours or of the read model, for c.fail.
	err      error
	versions []analysis.Version
}

// analyze reads the analysis's parameters of a request, decides whether
// p may read it (analysts and admins, as the API) and analyses the
// procedure of the path.
func (c *Console) analyze(r *http.Request, p auth.Principal) analysisRun {
	code := r.PathValue("code")
	run := analysisRun{q: analysisquery.FromValues(r.URL.Query())}
	if err := access.ReadAnalysis(p); err != nil {
		var den *access.Denied
		msg := err.Error()
		if errors.As(err, &den) {
			msg = den.Message
		}
		run.status, run.msg = http.StatusForbidden, "Chỉ chuyên viên phân tích và quản trị viên xem được phân tích thủ tục, "+
			"vì phân tích bao trùm mọi cơ quan giải quyết thủ tục. Chi tiết: "+msg
		return run
	}
	params, err := run.q.Params(code, c.now())
	if err == nil {
		run.a, err = analysis.Analyze(r.Context(), c.store, c.svc.Catalog(), params)
		err = analysisquery.Blame(err)
	}
	var qe *analysisquery.Error
	switch {
	case err == nil:
		run.versions = run.a.Versions
	case errors.As(err, &qe):
		run.status, run.page = http.StatusBadRequest, true
		run.msg = "Tham số phân tích chưa hợp lệ (" + label(analysisParamNames, qe.Param) + "). Chi tiết: " + qe.Error()
		if qe.Param == analysisquery.ParamBefore || qe.Param == analysisquery.ParamAfter {
			// Offer the versions that have dossiers in the period.
			q := run.q
			q.Before, q.After = "", ""
			if params, err := q.Params(code, c.now()); err == nil {
				if a, err := analysis.Analyze(r.Context(), c.store, c.svc.Catalog(), params); err == nil {
					run.versions = a.Versions
				}
			}
		}
	case errors.Is(err, analysis.ErrInvalid):
		run.status, run.page, run.msg = http.StatusBadRequest, true, "Tham số phân tích chưa hợp lệ. Chi tiết: "+err.Error()
	case errors.Is(err, analysis.ErrNoDossiers):
		run.status = http.StatusNotFound
		if c.svc.Catalog().Plan(code) == nil {
			run.msg = fmt.Sprintf("Không có thủ tục %s trong danh mục, cũng không có hồ sơ nào của thủ tục này.", code)
		} else {
			run.page = true
			run.msg = fmt.Sprintf("Không có hồ sơ nào của thủ tục %s được tiếp nhận trong kỳ đã chọn. Chi tiết: %v", code, err)
		}
	default:
		run.a, run.err = nil, fmt.Errorf("console: analysing procedure %s: %w", code, err)
	}
	return run
}

// analysisPage handles GET /console/procedures/{code}/analysis.
func (c *Console) analysisPage(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	run := c.analyze(r, p)
	if run.err != nil {
		c.fail(w, r, &p, run.err)
		return
	}
	if run.status != 0 && !run.page {
		c.errorPage(w, r, &p, run.status, run.msg)
		return
	}
	code := r.PathValue("code")
	name := code
	v := analysisView{Code: code, Action: analysisPath(code), From: run.q.From, To: run.q.To}
	if pl := c.svc.Catalog().Plan(code); pl != nil {
		name, v.ProcedureLink = pl.Name, "/console/procedures/"+url.PathEscape(code)
	} else if run.a != nil && run.a.Name != "" {
		name = run.a.Name
	}
	v.Name = name
	v.base = c.pageBase(w, r, &p, "Phân tích thủ tục "+code, "analysis")
	v.Before = versionOptions("Mặc định: phiên bản liền trước phiên bản mới nhất", run.q.Before, run.versions)
	v.After = versionOptions("Mặc định: phiên bản mới nhất có hồ sơ", run.q.After, run.versions)
	if run.status != 0 {
		v.Error = run.msg
		c.render(w, r, run.status, "analysis.html", v)
		return
	}
	a := run.a
	// Show the dates analysed, the defaults filled in.
	v.From = a.From.In(dossier.Vietnam).Format(time.DateOnly)
	v.To = lastDay(a.To).Format(time.DateOnly)
	v.AnalysisResult = analysisResultView(a, run.q)
	c.render(w, r, http.StatusOK, "analysis.html", v)
}

// lastDay is the last Vietnamese day of a period ending at end: the day
// before a midnight, else end's day.
func lastDay(end time.Time) time.Time {
	end = end.In(dossier.Vietnam)
	if end.Equal(time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, dossier.Vietnam)) {
		end = end.AddDate(0, 0, -1)
	}
	return end
}

// versionOptions are the choices of a version select: the default, then
// the versions with dossiers, and the version asked for when it is none of
// them (the form keeps what was asked).
func versionOptions(defaultLabel, selected string, versions []analysis.Version) []option {
	opts := []option{{Value: "", Label: defaultLabel, Selected: selected == ""}}
	found := selected == ""
	for _, v := range versions {
		opts = append(opts, option{Value: v.Version, Label: fmt.Sprintf("%s (%s hồ sơ)", v.Version, vnformat.Number(float64(v.Dossiers))),
			Selected: v.Version == selected})
		found = found || v.Version == selected
	}
	if !found {
		lbl := selected
		if len(versions) > 0 {
			lbl += " (không có hồ sơ trong kỳ)"
		}
		opts = append(opts, option{Value: selected, Label: lbl, Selected: true})
	}
	return opts
}

// analysisResultView writes an analysis for the page.
func analysisResultView(a *analysis.Analysis, q analysisquery.Query) *analysisResult {
	out := &analysisResult{Period: periodText(a.From, a.To) + ", số liệu chốt lúc " + fmtTime(a.AsOf)}
	for i := range a.Versions {
		out.Versions = append(out.Versions, versionFigures(&a.Versions[i]))
	}
	if a.Comparison != nil {
		out.Comparison = comparisonFigures(a.Comparison)
	}
	if v := analysis.StepsVersion(a); v != nil && len(analysis.StepBars(v)) > 0 {
		out.Chart = &chartView{ID: "chart-steps", Src: analysisPath(a.Procedure) + "/chart?" + q.Values().Encode(),
			Alt: "Biểu đồ thời gian từng bước của phiên bản " + v.Version + ": thời gian thực tế (trung vị) so với thời gian quy định, giờ làm việc"}
	}
	return out
}

// ratioParts writes a ratio as its truncated percentage and its parts.
func ratioParts(r analysis.Ratio) (string, string) {
	parts := vnformat.Number(float64(r.Numerator)) + " / " + vnformat.Number(float64(r.Denominator))
	if r.Value == nil {
		return "—", parts
	}
	return vnformat.Percent(*r.Value), parts
}

func days(v float64) string { return vnformat.Decimal(v) + " ngày" }

// versionFigures writes a version's headline figures, components and
// steps.
func versionFigures(v *analysis.Version) versionView {
	out := versionView{Version: v.Version, Known: v.Known, Hashes: strings.Join(v.PlanHashes, ", "),
		Received: v.FirstReceived.In(dossier.Vietnam).Format(dateLayout) + " đến " + v.LastReceived.In(dossier.Vietnam).Format(dateLayout)}
	add := func(id, name, value, parts, title string) {
		out.Figures = append(out.Figures, figureRow{ID: id, Name: name, Value: value, Parts: parts, Title: title})
	}
	add("dossiers", "Hồ sơ tiếp nhận", vnformat.Number(float64(v.Dossiers)), "", "")
	online, onlineParts := ratioParts(v.Online)
	add("online", "Hồ sơ nộp trực tuyến", online, onlineParts, "")
	add("processed", "Hồ sơ đã xử lý xong", vnformat.Number(float64(v.Processed)), "", "")
	onTime, onTimeParts := vnformat.Figure(v.OnTime)
	add("on_time_rate", "Tỷ lệ giải quyết đúng hạn", onTime, onTimeParts, cmp.Or(v.OnTime.Missing, v.OnTime.Formula))
	handling := func(pick func() float64) (string, string) {
		switch {
		case v.HandlingMissing != "":
			return "chưa tính được", v.HandlingMissing
		case v.Processed == 0:
			return "—", "Không có hồ sơ nào của phiên bản đã xử lý xong trong kỳ."
		}
		return days(pick()), ""
	}
	for _, h := range []struct {
		id, name string
		pick     func() float64
	}{
		{"handling_mean", "Thời gian giải quyết trung bình (ngày làm việc)", func() float64 { return v.HandlingDays.Mean }},
		{"handling_p50", "Thời gian giải quyết, trung vị (ngày làm việc)", func() float64 { return v.HandlingDays.P50 }},
		{"handling_p90", "Thời gian giải quyết, phân vị 90 (ngày làm việc)", func() float64 { return v.HandlingDays.P90 }},
	} {
		value, title := handling(h.pick)
		add(h.id, h.name, value, "", title)
	}
	sup, supParts := ratioParts(v.Supplemented)
	add("supplemented", "Tỷ lệ hồ sơ phải bổ sung", sup, supParts, "")
	vs := v.Visits
	perDossier := ""
	if v.Dossiers > 0 {
		perDossier = vnformat.Decimal(vs.PerDossier) + " lần / hồ sơ"
	}
	add("visits", "Số lần công dân đến trực tiếp", vnformat.Number(float64(vs.Total)), perDossier, "")
	add("visits_submission", "— nộp hồ sơ tại Bộ phận một cửa", vnformat.Number(float64(vs.Submission)), "", "")
	add("visits_supplement", "— mang hồ sơ bổ sung đến", vnformat.Number(float64(vs.Supplement)), "", "")
	add("visits_payment", "— nộp phí, lệ phí tại quầy", vnformat.Number(float64(vs.Payment)), "", "")
	inPerson, inPersonTitle := vnformat.Number(float64(vs.InPerson)), ""
	if vs.WithoutPlan {
		inPerson, inPersonTitle = "chưa đếm được", "Không có định nghĩa của phiên bản: chưa biết bước nào phải có mặt trực tiếp."
	}
	add("visits_in_person_steps", "— có mặt ở bước trực tiếp (xuất trình bản chính, kiểm tra thực địa)", inPerson, "", inPersonTitle)
	add("visits_pickup", "— nhận kết quả tại quầy", vnformat.Number(float64(vs.Pickup)), "", "")
	add("dossiers_without_visit", "Hồ sơ công dân không phải đến lần nào", vnformat.Number(float64(vs.NoVisit)), "", "")

	for _, comp := range v.Components {
		value, parts := ratioParts(comp.Supplemented)
		out.Components = append(out.Components, figureRow{ID: comp.ID, Name: comp.Name, Value: value, Parts: parts})
	}
	for _, s := range v.Steps {
		row := stepRow{Key: s.Key, Name: s.Name, Count: vnformat.Number(float64(s.Count)), P50: vnformat.Decimal(s.Actual.P50),
			P90: vnformat.Decimal(s.Actual.P90), Allotted: "—", Applicant: s.Applicant, Bottleneck: s.Key == v.Bottleneck}
		if s.Allotted > 0 {
			row.Allotted = vnformat.Decimal(s.Allotted)
		}
		row.Late, row.LateParts = ratioParts(s.Late)
		if !s.Applicant {
			row.Share = vnformat.Percent(s.LatenessShare)
		}
		out.Steps = append(out.Steps, row)
	}
	return out
}

// comparisonFigures writes the comparison of two versions.
func comparisonFigures(c *analysis.Comparison) *comparisonView {
	out := &comparisonView{Before: c.Before, After: c.After}
	for _, r := range c.Rows {
		row := changeRow{ID: r.ID, Name: r.Name, Before: changeValue(r.Unit, r.Before), After: changeValue(r.Unit, r.After)}
		switch {
		case r.Better != nil && *r.Better:
			row.Verdict, row.VerdictText = "better", "tốt hơn"
		case r.Better != nil:
			row.Verdict, row.VerdictText = "worse", "kém hơn"
		case r.ID != "dossiers" && r.Before != nil && r.After != nil && *r.Before == *r.After:
			row.Verdict, row.VerdictText = "same", "không đổi"
		}
		out.Rows = append(out.Rows, row)
	}
	hours := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return vnformat.Decimal(*v)
	}
	for _, s := range c.Steps {
		row := stepChangeRow{Key: s.Key, Name: s.Name, BeforeP50: hours(s.BeforeP50), BeforeAllotted: hours(s.BeforeAllotted),
			AfterP50: hours(s.AfterP50), AfterAllotted: hours(s.AfterAllotted)}
		if s.BeforeP50 == nil {
			row.BeforeP50, row.BeforeAllotted = "không có bước này", ""
		}
		if s.AfterP50 == nil {
			row.AfterP50, row.AfterAllotted = "không có bước này", ""
		}
		out.Steps = append(out.Steps, row)
	}
	return out
}

// changeValue writes a measure of the comparison in its unit.
func changeValue(unit string, v *float64) string {
	if v == nil {
		return "—"
	}
	switch unit {
	case "ratio":
		return vnformat.Percent(*v)
	case "count":
		return vnformat.Number(*v)
	case "working_days":
		return days(*v)
	case "visits":
		return vnformat.Decimal(*v) + " lần"
	}
	return vnformat.Decimal(*v)
}

// analysisChart handles GET /console/procedures/{code}/analysis/chart:
// the steps chart of the analysis as SVG, for the page's <img>
// (analysis.DrawSteps). Nothing to draw is 404.
func (c *Console) analysisChart(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	run := c.analyze(r, p)
	if run.err != nil {
		c.fail(w, r, &p, run.err)
		return
	}
	if run.status != 0 {
		c.errorPage(w, r, &p, run.status, run.msg)
		return
	}
	var buf bytes.Buffer
	if err := analysis.DrawSteps(&buf, "svg", run.a); err != nil {
		if errors.Is(err, charts.ErrNoData) {
			c.errorPage(w, r, &p, http.StatusNotFound, "Không có bước nào có thời gian quy định để vẽ biểu đồ. Chi tiết: "+err.Error())
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
