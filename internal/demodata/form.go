package demodata

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/motcua/motcua/definitions"
)

// Form values matter only where a condition reads them (decide steps,
// fees, components); the read model does not keep the form. Booleans,
// selects and numbers are generated; text and dates are left out, as
// conditions of the catalog do not read them.

// boolShare is the share of true answers of a boolean field; others take
// defaultBoolShare.
var boolShare = map[string]float64{
	"co_thong_tin_cha":       0.92,
	"thuong_tru_cung_cha_me": 0.88,
	"via_representative":     0.08,
	"thanh_vien_ho_gia_dinh": 0.15,
	"nop_qua_uy_quyen":       0.1,
	"uy_quyen":               0.12,
	"uy_quyen_cho_than_nhan": 0.6,
	"co_tang_ham":            0.08,
	"tu_thiet_ke":            0.55,
	"dang_ky_tai_san":        0.65,
}

const defaultBoolShare = 0.2

// selectShares are the shares of the options of a select field, in order;
// others give the first option 70% and share the rest equally.
var selectShares = map[string][]float64{
	"doi_tuong_phi": {0.82, 0.1, 0.08},
	"nguon_goc":     {0.62, 0.13, 0.25},
	"loai_dat":      {0.7, 0.25, 0.05},
	"loai_phieu":    {0.85, 0.15},
	"gioi_tinh":     {0.51, 0.49},
	"gender":        {0.51, 0.49},
}

// numberMedians are log-normal medians (sigma 0.6) of numeric fields;
// others are drawn between their rules' bounds, skewed to small values.
var numberMedians = map[string]float64{
	"dien_tich":          170,
	"dien_tich_xay_dung": 75,
	"tong_dien_tich_san": 190,
	"chieu_cao":          10,
	"von_kinh_doanh":     80_000_000,
	"so_tang":            2.2,
	"so_lao_dong":        2,
	"so_luong_phieu":     1,
}

// field is a form field of a plan with its generation bounds.
type field struct {
	definitions.Field
	lo, hi float64 // numeric bounds from the rules
}

// planForm holds a plan's fields and its compiled conditions.
type planForm struct {
	fields []field
	zero   map[string]any // every field's zero value, as EvalCondition sees it
	conds  map[string]*vm.Program
}

func newPlanForm(p *definitions.Plan) (*planForm, error) {
	pf := &planForm{zero: map[string]any{}, conds: map[string]*vm.Program{}}
	for _, c := range p.Components {
		for _, f := range c.Form {
			pf.zero[f.ID] = definitions.ZeroValue(f.Type)
			switch f.Type {
			case "boolean", "select", "integer", "number":
				lo, hi := bounds(f.Rules, f.Type)
				pf.fields = append(pf.fields, field{Field: f, lo: lo, hi: hi})
			}
		}
	}
	add := func(src string) error {
		if src == "" || pf.conds[src] != nil {
			return nil
		}
		// Compiled without an environment, as definitions.EvalCondition
		// (expr.Eval) compiles, so that both read the form alike.
		prog, err := expr.Compile(src)
		if err != nil {
			return fmt.Errorf("procedure %s: condition %q: %w", p.Code, src, err)
		}
		pf.conds[src] = prog
		return nil
	}
	for _, c := range p.Components {
		if err := add(c.When); err != nil {
			return nil, err
		}
	}
	for _, f := range p.Fees {
		if err := add(f.When); err != nil {
			return nil, err
		}
	}
	for _, m := range p.Modes {
		for _, s := range m.Steps {
			for _, e := range s.Exits {
				if err := add(e.When); err != nil {
					return nil, err
				}
			}
		}
	}
	return pf, nil
}

// bounds reads the numeric bounds of a field's rules.
func bounds(rules, typ string) (lo, hi float64) {
	lo, hi = 0, 1e6
	for tag := range strings.SplitSeq(rules, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(tag), "=")
		if !ok {
			continue
		}
		x, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		switch name {
		case "gt":
			lo = x
			if typ == "integer" {
				lo = x + 1
			}
		case "gte", "min":
			lo = x
		case "lt":
			hi = x
			if typ == "integer" {
				hi = x - 1
			}
		case "lte", "max":
			hi = x
		}
	}
	return lo, hi
}

// generate fills a form.
func (pf *planForm) generate(r *rand.Rand) map[string]any {
	form := make(map[string]any, len(pf.fields))
	for _, f := range pf.fields {
		switch f.Type {
		case "boolean":
			share, ok := boolShare[f.ID]
			if !ok {
				share = defaultBoolShare
			}
			form[f.ID] = chance(r, share)
		case "select":
			if len(f.Options) == 0 {
				continue
			}
			form[f.ID] = f.Options[pickIndex(r, selectWeights(f.ID, len(f.Options)))]
		case "integer", "number":
			var x float64
			if m, ok := numberMedians[f.ID]; ok {
				x = logNormal(r, m, 0.6)
			} else {
				x = f.lo + (f.hi-f.lo)*math.Pow(r.Float64(), 4)
			}
			x = math.Min(math.Max(x, f.lo), f.hi)
			if f.Type == "integer" {
				form[f.ID] = int64(math.Round(math.Min(math.Max(math.Round(x), math.Ceil(f.lo)), math.Floor(f.hi))))
			} else {
				form[f.ID] = math.Round(x*10) / 10
			}
		}
	}
	return form
}

func selectWeights(id string, n int) []float64 {
	if w, ok := selectShares[id]; ok && len(w) == n {
		return w
	}
	w := make([]float64, n)
	w[0] = 0.7
	for i := 1; i < n; i++ {
		w[i] = 0.3 / float64(n-1)
	}
	if n == 1 {
		w[0] = 1
	}
	return w
}

func pickIndex(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// env returns the environment conditions are evaluated in, as
// definitions.EvalCondition builds it.
func (pf *planForm) env(form map[string]any, mode, channel string) map[string]any {
	env := make(map[string]any, len(pf.zero)+2)
	for k, v := range pf.zero {
		env[k] = v
	}
	env["mode"], env["channel"] = mode, channel
	for k, v := range form {
		if _, ok := pf.zero[k]; ok && k != "mode" && k != "channel" {
			env[k] = v
		}
	}
	return env
}

// eval evaluates a condition of the plan.
func (pf *planForm) eval(src string, env map[string]any) (bool, error) {
	prog := pf.conds[src]
	if prog == nil {
		return false, fmt.Errorf("condition %q is not one of the plan's", src)
	}
	out, err := expr.Run(prog, env)
	if err != nil {
		return false, fmt.Errorf("evaluating condition %q: %w", src, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition %q gave %T, not a boolean", src, out)
	}
	return b, nil
}
