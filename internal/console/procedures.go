package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/auth"
)

// proceduresView is the catalog.
type proceduresView struct {
	base
	Rows []procedureRow
}

type procedureRow struct {
	Code, Link, Name, Sector, Level, Modes, Version string
	FullOnline                                      bool
}

// procedures handles GET /console/procedures.
func (c *Console) procedures(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := access.ReadCatalog(p); err != nil {
		c.fail(w, r, &p, err)
		return
	}
	plans := slices.Clone(c.svc.Catalog().Plans())
	slices.SortFunc(plans, func(a, b *definitions.Plan) int { return strings.Compare(a.Code, b.Code) })
	v := proceduresView{base: c.pageBase(w, r, &p, "Danh mục thủ tục hành chính", "procedures")}
	for _, pl := range plans {
		row := procedureRow{Code: pl.Code, Link: "/console/procedures/" + url.PathEscape(pl.Code), Name: pl.Name,
			Sector: pl.Sector, Level: label(levelNames, pl.Level), Version: pl.Version}
		var modes []string
		for _, m := range pl.Modes {
			modes = append(modes, label(modeNames, m.Mode))
			if m.Mode == definitions.ModeFullOnline {
				row.FullOnline = true
			}
		}
		row.Modes = strings.Join(modes, ", ")
		v.Rows = append(v.Rows, row)
	}
	c.render(w, r, http.StatusOK, "procedures.html", v)
}

// procedureView is one procedure.
type procedureView struct {
	base
	Code, Name, Sector, Level, Agency string
	Version, Hash, EffectiveFrom      string
	LegalBasis                        []string
	Result                            string
	ResultKind                        string
	Supplements                       string
	Modes                             []modeView
	Components                        []procComponent
	Fees                              []feeRow
	// AnalysisLink is the analysis page of the procedure, for those who
	// may read it (access.ReadAnalysis).
	AnalysisLink string
}

type modeView struct {
	Mode, Name, Channels, Delivery, TimeLimit string
	InPersonVisits                            int
	Steps                                     int
	// Diagram is the SVG drawn by definitions.DiagramSVG, which escapes
	// every text of the definition it draws.
	Diagram      template.HTML
	DiagramError string
}

type procComponent struct {
	ID, Name, Copies, FileTypes, Condition, Reuse, Note string
	Optional                                            bool
	Fields                                              int
}

type feeRow struct {
	ID, Name, Amount, OnlineAmount, Condition, Note string
	PayableOnline                                   bool
}

// procedure handles GET /console/procedures/{code}.
func (c *Console) procedure(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	code := r.PathValue("code")
	pl := c.svc.Catalog().Plan(code)
	if pl == nil {
		c.errorPage(w, r, &p, http.StatusNotFound, fmt.Sprintf("Không có thủ tục %s trong danh mục.", code))
		return
	}
	n := c.names(pl, "")
	v := procedureView{base: c.pageBase(w, r, &p, pl.Name, "procedure"), Code: pl.Code, Name: pl.Name, Sector: pl.Sector,
		Level: label(levelNames, pl.Level), Agency: n.agency(pl.Agency), Version: pl.Version, Hash: pl.Hash,
		EffectiveFrom: string(pl.EffectiveFrom), LegalBasis: pl.LegalBasis, Result: pl.Result.Name}
	if t := pl.EffectiveFrom.Time(); !t.IsZero() {
		v.EffectiveFrom = t.Format(dateLayout)
	}
	if access.ReadAnalysis(p) == nil {
		v.AnalysisLink = analysisPath(pl.Code)
	}
	v.ResultKind = "Văn bản (ký số)"
	if pl.Result.Kind == "none" {
		v.ResultKind = "Không có văn bản kết quả"
	}
	v.Supplements = fmt.Sprintf("Tối đa %d lần yêu cầu bổ sung trong quá trình xử lý", pl.Supplements.Max)
	if pl.Supplements.Within != nil {
		v.Supplements += "; công dân bổ sung trong " + definitions.FormatDuration(*pl.Supplements.Within)
	}
	for _, m := range pl.Modes {
		mv := modeView{Mode: m.Mode, Name: strings.ToLower(label(modeNames, m.Mode)), Channels: labels(channelNames, m.Channels),
			Delivery: labels(deliveryNames, m.Delivery), TimeLimit: definitions.FormatTimeLimit(m.TimeLimit),
			InPersonVisits: m.InPersonVisits, Steps: len(m.Steps)}
		svg, err := definitions.DiagramSVG(pl, m.Mode)
		if err != nil {
			c.log.ErrorContext(r.Context(), "console: drawing a diagram", "procedure", pl.Code, "mode", m.Mode, "err", err)
			mv.DiagramError = "Không vẽ được sơ đồ quy trình: " + err.Error()
		} else {
			mv.Diagram = template.HTML(svg) //nolint:gosec // generated and escaped by definitions.DiagramSVG
		}
		v.Modes = append(v.Modes, mv)
	}
	for _, comp := range pl.Components {
		pc := procComponent{ID: comp.ID, Name: comp.Name, Copies: copies(comp.Copies), FileTypes: "pdf, jpg, png",
			Condition: comp.When, Note: comp.Note, Optional: comp.Optional, Fields: len(comp.Form)}
		if len(comp.FileTypes) > 0 {
			pc.FileTypes = strings.Join(comp.FileTypes, ", ")
		}
		if comp.Reuse != "" {
			pc.Reuse = label(reuseNames, comp.Reuse)
		}
		v.Components = append(v.Components, pc)
	}
	for _, f := range pl.Fees {
		fr := feeRow{ID: f.ID, Name: f.Name, Amount: fmtVND(f.Amount), Condition: f.When, Note: f.Note, PayableOnline: f.PayableOnline}
		if f.OnlineAmount != nil {
			fr.OnlineAmount = fmtVND(*f.OnlineAmount)
		}
		v.Fees = append(v.Fees, fr)
	}
	c.render(w, r, http.StatusOK, "procedure.html", v)
}

// copies writes the paper documents a component requires.
func copies(cp definitions.Copies) string {
	var parts []string
	if cp.Original > 0 {
		parts = append(parts, fmt.Sprintf("%d bản chính", cp.Original))
	}
	if cp.Copy > 0 {
		parts = append(parts, fmt.Sprintf("%d bản sao", cp.Copy))
	}
	if cp.CertifiedCopy > 0 {
		parts = append(parts, fmt.Sprintf("%d bản sao chứng thực", cp.CertifiedCopy))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}
