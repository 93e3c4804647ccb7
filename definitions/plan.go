package definitions

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// HoursPerDay is the length of a working day in working hours.
const HoursPerDay = 8

// DefaultCutoff is the afternoon cut-off used when a definition sets none.
const DefaultCutoff = "15:00"

// Defaults of the supplement policy.
const (
	DefaultMaxSupplements        = 1
	DefaultSupplementWorkingDays = 15
)

// Hours returns the duration in working hours.
func (d Duration) Hours() float64 {
	return float64(d.WorkingDays*HoursPerDay + d.WorkingHours)
}

// hours returns the limit in working hours; a same-day limit is one day.
func (tl TimeLimit) hours() float64 {
	if tl.SameDay {
		return HoursPerDay
	}
	return float64(tl.WorkingDays*HoursPerDay + tl.WorkingHours)
}

// timeLimitFor returns the limit of a mode and the path it was written at.
func (def *Definition) timeLimitFor(mode string) (TimeLimit, string) {
	spec := def.Modes.FullOnline
	if mode == ModePartialOnline {
		spec = def.Modes.PartialOnline
	}
	if spec != nil && spec.TimeLimit != nil {
		return *spec.TimeLimit, "modes." + mode + ".time_limit"
	}
	return def.TimeLimit, "time_limit"
}

func (def *Definition) totalFees() int64 {
	var total int64
	for _, f := range def.Fees {
		total += f.Amount
	}
	return total
}

// Plan is a compiled, immutable definition: what a dossier runs. It is
// plain data, serialised into the workflow input; Hash identifies it.
type Plan struct {
	// Hash is the hex SHA-256 of the plan's canonical JSON (with Hash empty).
	Hash          string      `json:"hash"`
	Code          string      `json:"code"`
	Name          string      `json:"name"`
	Sector        string      `json:"sector"`
	Level         string      `json:"level"`
	Agency        string      `json:"agency"`
	LegalBasis    []string    `json:"legal_basis,omitempty"`
	Version       string      `json:"version"`
	EffectiveFrom Date        `json:"effective_from"`
	Result        Result      `json:"result"`
	Supplements   Supplements `json:"supplements"`
	Fees          []Fee       `json:"fees,omitempty"`
	Agencies      []Agency    `json:"agencies"`
	Roles         []Role      `json:"roles"`
	Components    []Component `json:"components"`
	Modes         []ModePlan  `json:"modes"`
}

// ModePlan is the normalised step graph of one mode.
type ModePlan struct {
	Mode      string    `json:"mode"`
	Channels  []string  `json:"channels"`
	Delivery  []string  `json:"delivery"`
	TimeLimit TimeLimit `json:"time_limit"`
	// Start is the id of the first step.
	Start string `json:"start"`
	// Steps holds the steps that apply to the mode, in document order, with
	// every way out resolved to a step of this mode or an end.
	Steps []PlanStep `json:"steps"`
	// InPersonVisits is the most times a citizen must come in person.
	InPersonVisits int `json:"in_person_visits"`
}

// PlanStep is one step of a mode with its resolved ways out.
type PlanStep struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Name       string    `json:"name,omitempty"`
	Role       string    `json:"role,omitempty"`
	Agency     string    `json:"agency,omitempty"` // the agency acting: the role's, or the consulted one
	Within     *Duration `json:"within,omitempty"`
	Supplement bool      `json:"supplement,omitempty"`
	InPerson   bool      `json:"in_person,omitempty"`
	// Exits are the ways out in order. Each target is a step id, "refused",
	// "stopped", or "$join" at the end of a branch. For decide steps the
	// cases come first (When set), then "otherwise".
	Exits []Exit `json:"exits,omitempty"`
	// Parent is the parallel step a branch step belongs to.
	Parent string `json:"parent,omitempty"`
	// Branches holds the branches of a parallel step, in order; a branch
	// with no step in this mode has an empty Start and is done at once.
	Branches []PlanBranch `json:"branches,omitempty"`
	Request  string       `json:"request,omitempty"`
	Fees     []string     `json:"fees,omitempty"`
	Timeout  *Duration    `json:"timeout,omitempty"`
	Check    string       `json:"check,omitempty"`
	To       string       `json:"to,omitempty"`
	Message  string       `json:"message,omitempty"`
}

// PlanBranch is one branch of a parallel step.
type PlanBranch struct {
	Name  string `json:"name,omitempty"`
	Start string `json:"start"`
}

// Exit is one resolved way out of a step.
type Exit struct {
	Outcome string `json:"outcome"`
	When    string `json:"when,omitempty"`
	Target  string `json:"target"`
}

// TargetJoin is the target of the last step of a parallel branch.
const TargetJoin = targetJoin

// Compile turns a valid document into its plan. It must only be called when
// Valid reports true.
func (doc *Document) Compile() *Plan {
	def := doc.Definition
	p := &Plan{
		Code: def.Code, Name: def.Name, Sector: def.Sector, Level: def.Level, Agency: def.Agency,
		LegalBasis: def.LegalBasis, Version: def.Version, EffectiveFrom: def.EffectiveFrom,
		Result: def.Result, Supplements: def.Supplements, Fees: def.Fees, Agencies: def.Agencies, Roles: def.Roles, Components: def.Components,
	}
	if !doc.dec.has("supplements.max") {
		p.Supplements.Max = DefaultMaxSupplements
	}
	if p.Supplements.Within == nil {
		p.Supplements.Within = &Duration{WorkingDays: DefaultSupplementWorkingDays}
	}
	for _, g := range doc.graphs {
		p.Modes = append(p.Modes, compileMode(def, doc.ix, g))
	}
	p.Hash = p.computeHash()
	return p
}

func compileMode(def *Definition, ix *stepIndex, g *modeGraph) ModePlan {
	spec := def.Modes.FullOnline
	if g.mode == ModePartialOnline {
		spec = def.Modes.PartialOnline
	}
	tl, _ := def.timeLimitFor(g.mode)
	if tl.Counting == "" {
		tl.Counting = "days"
		if tl.WorkingHours > 0 {
			tl.Counting = "hours"
		}
	}
	if tl.Cutoff == "" {
		tl.Cutoff = DefaultCutoff
	}
	mp := ModePlan{Mode: g.mode, Channels: spec.Channels, Delivery: spec.Delivery, TimeLimit: tl, Start: g.start}
	roleAgency := map[string]string{}
	for _, r := range def.Roles {
		roleAgency[r.ID] = r.Agency
	}
	for _, ref := range g.steps {
		s := ref.step
		ps := PlanStep{
			ID: s.ID, Kind: s.Kind, Name: s.Name, Role: s.Role, Agency: roleAgency[s.Role], Within: s.Within,
			Supplement: s.Supplement || s.Kind == KindReception, InPerson: s.InPerson,
			Request: s.Request, Fees: s.Fees, Timeout: s.Timeout, Check: s.Check, To: s.To, Message: s.Message,
		}
		if s.Kind == KindConsult {
			ps.Agency = s.Agency
		}
		if s.Kind == KindPay && len(ps.Fees) == 0 {
			for _, f := range def.Fees {
				ps.Fees = append(ps.Fees, f.ID)
			}
		}
		if ref.parent != nil {
			ps.Parent = ref.parent.step.ID
		}
		for i, start := range g.branchStart[s.ID] {
			ps.Branches = append(ps.Branches, PlanBranch{Name: s.Branches[i].Name, Start: start})
		}
		for i, e := range g.out[s.ID] {
			ex := Exit{Outcome: e.label, Target: e.target}
			if s.Kind == KindDecide && i < len(g.out[s.ID])-1 {
				ex = Exit{When: e.label, Target: e.target}
			}
			ps.Exits = append(ps.Exits, ex)
		}
		mp.Steps = append(mp.Steps, ps)
	}
	mp.InPersonVisits = g.mostVisits(ix, g.start, map[string]bool{})
	if !slices.Contains(spec.Channels, "online") && !slices.Contains(spec.Channels, "postal") {
		mp.InPersonVisits++
	}
	returnsInPerson := slices.ContainsFunc(mp.Steps, func(s PlanStep) bool { return s.Kind == KindReturn && s.InPerson })
	if !returnsInPerson && len(spec.Delivery) > 0 && !slices.ContainsFunc(spec.Delivery, func(d string) bool { return d != "counter" }) {
		mp.InPersonVisits++ // collecting the result at the counter is a visit
	}
	return mp
}

func (p *Plan) computeHash() string {
	c := *p
	c.Hash = ""
	data, err := json.Marshal(&c)
	if err != nil {
		panic("definitions: plan cannot be encoded: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// HashValid reports whether Hash is the hash of the plan as it is: false
// for a plan changed after it was compiled, or compiled by a version of
// motcua whose plans encode differently.
func (p *Plan) HashValid() bool {
	return p.Hash != "" && p.computeHash() == p.Hash
}

// ShortHash is the first 12 hex digits of the hash, for display.
func (p *Plan) ShortHash() string {
	if len(p.Hash) < 12 {
		return p.Hash
	}
	return p.Hash[:12]
}

// Mode returns the plan of one mode, or nil when the procedure does not
// offer it.
func (p *Plan) Mode(mode string) *ModePlan {
	for i := range p.Modes {
		if p.Modes[i].Mode == mode {
			return &p.Modes[i]
		}
	}
	return nil
}

// Step returns the step with the given id, or nil.
func (mp *ModePlan) Step(id string) *PlanStep {
	for i := range mp.Steps {
		if mp.Steps[i].ID == id {
			return &mp.Steps[i]
		}
	}
	return nil
}
