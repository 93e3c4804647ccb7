package definitions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/motcua/motcua/internal/suggest"
)

// checker runs the checks that the struct rules cannot express: references,
// the step graph of each mode, time limits, the full-online test and
// expressions.
type checker struct {
	def    *Definition
	d      *decoder
	r      *reporter
	ix     *stepIndex
	env    *exprEnv
	graphs []*modeGraph
}

func (c *checker) run() {
	c.ix = indexSteps(c.def)
	c.checkIdentity()
	c.checkTimeLimit(c.def.TimeLimit, "time_limit")
	c.checkDuration(c.def.Supplements.Within, "supplements.within")
	c.checkModes()
	c.checkAgenciesAndRoles()
	c.checkFees()
	c.checkComponents()
	before := len(c.r.diags)
	c.checkSteps()
	if len(c.r.diags) > before || c.d.badUnder("steps") {
		// The steps themselves are wrong (unknown targets, kinds, ids): the
		// graph of each mode would only repeat those errors in other words.
		return
	}
	for _, mode := range c.offeredModes() {
		g := c.buildModeGraph(mode)
		c.graphs = append(c.graphs, g)
		c.checkModeGraph(g)
	}
}

// offeredModes lists the modes the definition offers, in AllModes order.
func (c *checker) offeredModes() []string {
	var out []string
	if c.def.Modes.FullOnline != nil {
		out = append(out, ModeFullOnline)
	}
	if c.def.Modes.PartialOnline != nil {
		out = append(out, ModePartialOnline)
	}
	return out
}

func (c *checker) modeSpec(mode string) *ModeSpec {
	if mode == ModeFullOnline {
		return c.def.Modes.FullOnline
	}
	return c.def.Modes.PartialOnline
}

func (c *checker) checkIdentity() {
	if c.def.EffectiveFrom != "" && c.def.EffectiveFrom.Time().Year() < 2000 {
		c.r.errorf(c.d.at("effective_from"), "", "effective_from: %s is before 2000", c.def.EffectiveFrom)
	}
}

func (c *checker) checkTimeLimit(tl TimeLimit, path string) {
	set := 0
	for _, on := range []bool{tl.WorkingDays > 0, tl.WorkingHours > 0, tl.SameDay} {
		if on {
			set++
		}
	}
	switch {
	case set == 0 && !c.d.badUnder(path):
		c.r.errorf(c.d.at(path), "", "%s: set one of working_days, working_hours or same_day", path)
	case set > 1:
		c.r.errorf(c.d.at(path), "", "%s: set only one of working_days, working_hours or same_day", path)
	}
}

func (c *checker) checkDuration(dur *Duration, path string) {
	if dur == nil || c.d.bad[path] {
		return
	}
	switch {
	case dur.WorkingDays == 0 && dur.WorkingHours == 0:
		c.r.errorf(c.d.at(path), "", "%s: set working_days or working_hours to more than 0", path)
	case dur.WorkingDays > 0 && dur.WorkingHours > 0:
		c.r.errorf(c.d.at(path), "", "%s: set only one of working_days or working_hours", path)
	}
}

func (c *checker) checkModes() {
	if c.def.Modes.FullOnline == nil && c.def.Modes.PartialOnline == nil && !c.d.bad["modes"] {
		c.r.errorf(c.d.at("modes"), "", "modes: offer full_online, partial_online or both")
	}
	for _, mode := range c.offeredModes() {
		spec := c.modeSpec(mode)
		if spec.TimeLimit != nil {
			c.checkTimeLimit(*spec.TimeLimit, "modes."+mode+".time_limit")
		}
	}
	full := c.def.Modes.FullOnline
	if full == nil {
		return
	}
	for i, ch := range full.Channels {
		if ch != "online" {
			c.r.errorf(c.d.at(fmt.Sprintf("modes.full_online.channels[%d]", i)), "", "modes.full_online: channel %q is not online; a full-online dossier is submitted online only", ch)
		}
	}
	for i, dl := range full.Delivery {
		if dl == "counter" {
			c.r.errorf(c.d.at(fmt.Sprintf("modes.full_online.delivery[%d]", i)), "", "modes.full_online: delivery %q needs the citizen in person; return the result as e_result or by postal", dl)
		}
	}
	if c.def.Result.Kind == "document" && len(full.Delivery) > 0 && !slices.Contains(full.Delivery, "e_result") {
		c.r.errorf(c.d.at("modes.full_online.delivery"), "", "modes.full_online: the result is a document, so a full-online mode must deliver an e_result")
	}
	for i, f := range c.def.Fees {
		if f.Amount > 0 && !f.PayableOnline {
			c.r.errorf(c.d.at(fmt.Sprintf("fees[%d]", i)), "set payable_online: true", "fees[%d]: fee %q cannot be paid online, so the procedure cannot be full-online", i, f.ID)
		}
	}
}

func (c *checker) checkAgenciesAndRoles() {
	agencies := uniqueIDs(c, "agencies", len(c.def.Agencies), func(i int) string { return c.def.Agencies[i].ID })
	roles := uniqueIDs(c, "roles", len(c.def.Roles), func(i int) string { return c.def.Roles[i].ID })
	_ = roles
	c.ref("agency", c.def.Agency, "agency", agencies)
	for i, r := range c.def.Roles {
		c.ref(fmt.Sprintf("roles[%d].agency", i), r.Agency, "agency", agencies)
	}
}

// uniqueIDs reports ids given twice in a list and returns the ids in order.
func uniqueIDs(c *checker, list string, n int, id func(int) string) []string {
	first := map[string]int{}
	var ids []string
	for i := 0; i < n; i++ {
		v := id(i)
		if v == "" {
			continue
		}
		p := fmt.Sprintf("%s[%d].id", list, i)
		if j, dup := first[v]; dup {
			prev := c.d.at(fmt.Sprintf("%s[%d].id", list, j))
			c.r.errorf(c.d.at(p), "", "%s: id %q is already used at line %d", list, v, prev.Line)
			continue
		}
		first[v] = i
		ids = append(ids, v)
	}
	return ids
}

// ref reports value at path when it is not one of the known ids.
func (c *checker) ref(path, value, what string, known []string) bool {
	if value == "" || c.d.bad[path] || slices.Contains(known, value) {
		return true
	}
	c.r.errorf(c.d.at(path), suggest.DidYouMean(value, known), "%s: unknown %s %q", path, what, value)
	return false
}

func (c *checker) roleIDs() []string {
	ids := make([]string, len(c.def.Roles))
	for i, r := range c.def.Roles {
		ids[i] = r.ID
	}
	return ids
}

func (c *checker) roleAgency(role string) string {
	for _, r := range c.def.Roles {
		if r.ID == role {
			return r.Agency
		}
	}
	return ""
}

func (c *checker) checkFees() {
	uniqueIDs(c, "fees", len(c.def.Fees), func(i int) string { return c.def.Fees[i].ID })
}

func (c *checker) checkComponents() {
	uniqueIDs(c, "components", len(c.def.Components), func(i int) string { return c.def.Components[i].ID })
	type fieldAt struct {
		path string
	}
	fields := map[string]fieldAt{}
	for i, comp := range c.def.Components {
		for j, f := range comp.Form {
			p := fmt.Sprintf("components[%d].form[%d]", i, j)
			if f.ID != "" {
				if prev, dup := fields[f.ID]; dup {
					c.r.errorf(c.d.at(p+".id"), "", "%s: field id %q is already used at line %d (field ids are unique in a definition)", p, f.ID, c.d.at(prev.path+".id").Line)
				} else if reservedNames[f.ID] {
					c.r.errorf(c.d.at(p+".id"), "", "%s: field id %q is reserved for expressions", p, f.ID)
				} else {
					fields[f.ID] = fieldAt{p}
				}
			}
			if err := checkFormRules(f.Rules, f.Type); err != nil {
				hint := ""
				if tag, ok := strings.CutPrefix(err.Error(), "unknown validator tag "); ok {
					hint = suggest.DidYouMean(strings.Trim(tag, `"`), knownFormTags)
				}
				c.r.errorf(c.d.at(p+".rules"), hint, "%s.rules: %v", p, err)
			}
			switch {
			case f.Type == "select" && len(f.Options) == 0:
				c.r.errorf(c.d.at(p), "", "%s: a select field needs options", p)
			case f.Type != "select" && len(f.Options) > 0:
				c.r.errorf(c.d.at(p+".options"), "", "%s: options apply to select fields only", p)
			}
		}
	}
	c.env = newExprEnv(c.def)
	for i, comp := range c.def.Components {
		if comp.When != "" {
			c.checkExpr(fmt.Sprintf("components[%d].when", i), comp.When)
			if comp.Optional {
				c.r.errorf(c.d.at(fmt.Sprintf("components[%d].optional", i)), "", "components[%d]: a component is either optional or required when a condition holds, not both", i)
			}
		}
	}
	for i, f := range c.def.Fees {
		if f.When != "" {
			c.checkExpr(fmt.Sprintf("fees[%d].when", i), f.When)
		}
	}
}

func (c *checker) checkExpr(path, src string) {
	if msg, col := c.env.check(src); msg != "" {
		p := c.d.at(path)
		if shift, ok := c.d.shift[path]; ok && col > 0 {
			p.Col += shift + col - 1
		}
		c.r.errorf(p, "", "%s: %s", path, msg)
	}
}

// reservedNames may not be used as form field ids.
var reservedNames = map[string]bool{"mode": true, "channel": true, "true": true, "false": true, "nil": true}

func (c *checker) checkSteps() {
	stepIDs := make([]string, 0, len(c.ix.all))
	first := map[string]*stepRef{}
	for _, ref := range c.ix.all {
		id := ref.step.ID
		if id == "" {
			continue
		}
		if prev, dup := first[id]; dup {
			c.r.errorf(c.d.at(ref.path+".id"), "", "%s: step id %q is already used at line %d", ref.path, id, c.d.at(prev.path+".id").Line)
			continue
		}
		if id == TargetRefused || id == TargetStopped {
			c.r.errorf(c.d.at(ref.path+".id"), "", "%s: %q is reserved for the end of a dossier and cannot name a step", ref.path, id)
		}
		first[id] = ref
		stepIDs = append(stepIDs, id)
	}
	offered := c.offeredModes()
	for _, ref := range c.ix.all {
		c.checkStep(ref, stepIDs, offered)
	}
}

func (c *checker) checkStep(ref *stepRef, stepIDs, offered []string) {
	s, p := ref.step, ref.path
	kind, ok := findStepKind(s.Kind)
	if !ok {
		return // the struct rules report an unknown kind
	}
	name := s.ID
	if name == "" {
		name = p
	}
	for _, key := range kind.Required {
		if !c.d.has(p+"."+key) && !c.d.bad[p] {
			c.r.errorf(c.d.at(p), "", "step %q: a %s step needs %q", name, s.Kind, key)
		}
	}
	for _, f := range yamlFields(stepType) {
		if !c.d.has(p+"."+f.name) || slices.Contains(commonStepKeys, f.name) || slices.Contains(kind.Required, f.name) || slices.Contains(kind.Optional, f.name) {
			continue
		}
		c.r.errorf(c.d.keyAt(p+"."+f.name), "", "step %q: %q does not apply to a %s step", name, f.name, s.Kind)
	}
	for i, m := range s.Modes {
		if !slices.Contains(offered, m) && slices.Contains(AllModes, m) {
			c.r.errorf(c.d.at(fmt.Sprintf("%s.modes[%d]", p, i)), "", "step %q applies to %s, which the procedure does not offer", name, m)
		}
	}
	c.checkDuration(s.Within, p+".within")
	c.checkDuration(s.Timeout, p+".timeout")
	if s.Role != "" {
		c.ref(p+".role", s.Role, "role", c.roleIDs())
	}
	if s.Next != "" && len(s.Outcomes) > 0 {
		c.r.errorf(c.d.keyAt(p+".next"), "", "step %q: give either next or outcomes, not both", name)
	}
	// References to other steps must stay within the step's own list: a
	// branch cannot jump out of its parallel step, nor the main path into one.
	for _, e := range ref.edges() {
		switch {
		case e.target == "" && s.Kind == KindAuto:
			// on_fail missing: reported as a required key
		case e.target == "":
			c.r.errorf(c.d.at(p), "", "step %q is the last step and is not a return step: add next, or end the procedure with a return step", name)
		case isTerminal(e.target):
		case !slices.Contains(stepIDs, e.target):
			c.r.errorf(c.d.at(e.path), suggest.DidYouMean(e.target, append(slices.Clone(stepIDs), TargetRefused, TargetStopped)), "step %q: %s leads to unknown step %q", name, describeEdge(e), e.target)
		case c.ix.byID[e.target].parent != ref.parent:
			c.r.errorf(c.d.at(e.path), "", "step %q: %s leads to step %q in another branch; steps may only lead to steps of their own list", name, describeEdge(e), e.target)
		case e.target == s.ID:
			c.r.errorf(c.d.at(e.path), "", "step %q: %s leads back to the step itself", name, describeEdge(e))
		}
	}
	for _, o := range s.Outcomes {
		if !identRe.MatchString(o.Name) {
			c.r.errorf(c.d.keyAt(p+".outcomes."+o.Name), "", "step %q: outcome %q is not a valid name: use lower-case letters, digits and _", name, o.Name)
		}
	}
	switch s.Kind {
	case KindConsult:
		if s.Agency != "" {
			agencies := make([]string, len(c.def.Agencies))
			for i, a := range c.def.Agencies {
				agencies[i] = a.ID
			}
			if c.ref(p+".agency", s.Agency, "agency", agencies) {
				if s.Agency == c.def.Agency {
					c.r.errorf(c.d.at(p+".agency"), "", "step %q consults %q, the competent agency itself: use a task step", name, s.Agency)
				} else if ra := c.roleAgency(s.Role); ra != "" && ra != s.Agency {
					c.r.errorf(c.d.at(p+".role"), "", "step %q: role %q belongs to %q, not to the consulted agency %q", name, s.Role, ra, s.Agency)
				}
			}
		}
	case KindPay:
		feeIDs := make([]string, len(c.def.Fees))
		for i, f := range c.def.Fees {
			feeIDs[i] = f.ID
		}
		if len(c.def.Fees) == 0 {
			c.r.errorf(c.d.at(p), "", "step %q: a pay step needs fees, and the procedure has none", name)
		}
		for i, f := range s.Fees {
			c.ref(fmt.Sprintf("%s.fees[%d]", p, i), f, "fee", feeIDs)
		}
	case KindDecide:
		for i, cs := range s.Cases {
			c.checkExpr(fmt.Sprintf("%s.cases[%d].when", p, i), cs.When)
		}
	case KindAuto:
		if s.Check != "" {
			c.ref(p+".check", s.Check, "automated check", knownCheckNames())
		}
	case KindNotify:
		if s.To != "" && s.To != "applicant" {
			c.ref(p+".to", s.To, "recipient (applicant or a role)", append([]string{"applicant"}, c.roleIDs()...))
		}
	case KindParallel:
		if len(s.Branches) == 1 {
			c.r.errorf(c.d.at(p+".branches"), "", "step %q: a parallel step needs at least two branches", name)
		}
	}
}

// checkModeGraph checks one mode's graph: its start, reachability, that every
// path ends, that a result is returned, the time limit and the full-online
// test.
func (c *checker) checkModeGraph(g *modeGraph) {
	mode := g.mode
	if g.start == "" {
		if len(c.ix.top) > 0 {
			c.r.errorf(c.d.at("modes."+mode), "", "%s: no step applies to this mode", mode)
		}
		return
	}
	startRef := c.ix.byID[g.start]
	if startRef.step.Kind != KindReception {
		c.r.errorf(c.d.at(startRef.path), "", "%s: the first step must be a reception step, got %s step %q", mode, startRef.step.Kind, g.start)
	}
	reached := g.reachable()
	ends := g.canEnd(c.ix)
	returns := false
	for _, ref := range g.steps {
		id := ref.step.ID
		if !reached[id] {
			c.r.errorf(c.d.at(ref.path+".id"), "", "step %q is never reached in %s", id, mode)
			continue
		}
		if ref.step.Kind == KindReturn {
			returns = true
		}
		if !ends[id] {
			c.r.errorf(c.d.at(ref.path+".id"), "", "step %q: in %s every path from here loops without an exit: %s", id, mode, g.loopFrom(id, ends))
		}
		if mode == ModeFullOnline && ref.step.InPerson {
			c.r.errorf(c.d.keyAt(ref.path+".in_person"), "limit the step to partial_online with modes", "step %q needs the citizen in person, which a full-online mode cannot", id)
		}
	}
	if !returns {
		c.r.errorf(c.d.at("modes."+mode), "", "%s: no return step is reached, so the result is never returned", mode)
	}
	if mode == ModeFullOnline && c.def.totalFees() > 0 {
		paid := false
		for _, ref := range g.steps {
			paid = paid || (ref.step.Kind == KindPay && reached[ref.step.ID])
		}
		if !paid {
			c.r.errorf(c.d.at("modes.full_online"), "", "full_online: the procedure charges fees but no pay step is reached; a full-online mode collects fees online")
		}
	}
	limit, limitPath := c.def.timeLimitFor(mode)
	if limit.hours() > 0 {
		p := g.longest(c.ix, g.start, map[string]bool{}, map[string]timedPath{})
		if p.hours > limit.hours() {
			c.r.errorf(c.d.at(limitPath), "", "%s: the allotted times add up to %s along %s, more than the time limit of %s",
				mode, formatHours(p.hours), strings.Join(p.steps, " → "), formatHours(limit.hours()))
		}
	}
}

// formatHours writes working hours as days and hours, e.g. "2 working days 4 hours".
func formatHours(h float64) string {
	days, hours := int(h)/HoursPerDay, h-float64(int(h)/HoursPerDay*HoursPerDay)
	var parts []string
	if days == 1 {
		parts = append(parts, "1 working day")
	} else if days > 1 {
		parts = append(parts, fmt.Sprintf("%d working days", days))
	}
	if hours > 0 || days == 0 {
		unit := "working hours"
		if len(parts) > 0 {
			unit = "hours"
		}
		if hours == 1 {
			unit = strings.TrimSuffix(unit, "s")
		}
		parts = append(parts, fmt.Sprintf("%g %s", hours, unit))
	}
	return strings.Join(parts, " ")
}
