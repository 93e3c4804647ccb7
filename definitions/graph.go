package definitions

import (
	"fmt"
	"slices"
	"strings"
)

// targetJoin is the internal target at the end of a parallel branch.
const targetJoin = "$join"

// stepRef locates one step of a definition.
type stepRef struct {
	step   *Step
	path   string     // e.g. "steps[3].branches[0].steps[1]"
	list   []*stepRef // the list the step stands in
	index  int        // its index in that list
	parent *stepRef   // the parallel step of a branch step, nil at top level
}

// edge is one way out of a step: an outcome name and the target as written.
type edge struct {
	label  string
	target string // step id, refused, stopped or $join
	path   string // path of the value naming the target, for positions; "" when implicit
}

// stepIndex indexes every step of a definition, nested branches included.
type stepIndex struct {
	top  []*stepRef
	byID map[string]*stepRef
	all  []*stepRef // in document order
}

func indexSteps(def *Definition) *stepIndex {
	ix := &stepIndex{byID: map[string]*stepRef{}}
	ix.top = ix.addList(def.Steps, "steps", nil)
	return ix
}

func (ix *stepIndex) addList(steps []Step, path string, parent *stepRef) []*stepRef {
	list := make([]*stepRef, len(steps))
	for i := range steps {
		ref := &stepRef{step: &steps[i], path: indexPath(path, i), index: i, parent: parent}
		list[i] = ref
		ix.all = append(ix.all, ref)
		if _, dup := ix.byID[steps[i].ID]; !dup && steps[i].ID != "" {
			ix.byID[steps[i].ID] = ref
		}
		for b := range steps[i].Branches {
			ix.addList(steps[i].Branches[b].Steps, fmt.Sprintf("%s.branches[%d].steps", ref.path, b), ref)
		}
	}
	for _, ref := range list {
		ref.list = list
	}
	return list
}

// implicitNext is the step after ref in its list, or $join at the end of a
// branch, or "" at the end of the top-level list.
func (ref *stepRef) implicitNext() string {
	if ref.index+1 < len(ref.list) {
		return ref.list[ref.index+1].step.ID
	}
	if ref.parent != nil {
		return targetJoin
	}
	return ""
}

// nextOr returns the explicit next of the step, else the implicit one.
func (ref *stepRef) nextEdge(label string) edge {
	if ref.step.Next != "" {
		return edge{label: label, target: ref.step.Next, path: ref.path + ".next"}
	}
	return edge{label: label, target: ref.implicitNext()}
}

// edges lists the ways out of a step as written, before mode resolution.
func (ref *stepRef) edges() []edge {
	s := ref.step
	outcomes := func(def string) []edge {
		if len(s.Outcomes) == 0 {
			return []edge{ref.nextEdge(def)}
		}
		out := make([]edge, len(s.Outcomes))
		for i, o := range s.Outcomes {
			out[i] = edge{label: o.Name, target: o.Target, path: ref.path + ".outcomes." + o.Name}
		}
		return out
	}
	switch s.Kind {
	case KindReception:
		return []edge{ref.nextEdge("accept"), {label: "refuse", target: TargetRefused}}
	case KindTask:
		return outcomes("done")
	case KindSign:
		return outcomes("signed")
	case KindConsult:
		return outcomes("answered")
	case KindPay:
		timeout := edge{label: "timeout", target: TargetStopped}
		if s.OnTimeout != "" {
			timeout = edge{label: "timeout", target: s.OnTimeout, path: ref.path + ".on_timeout"}
		}
		return []edge{ref.nextEdge("paid"), timeout}
	case KindParallel:
		return []edge{ref.nextEdge("joined")}
	case KindDecide:
		out := make([]edge, 0, len(s.Cases)+1)
		for i, c := range s.Cases {
			out = append(out, edge{label: c.When, target: c.Next, path: fmt.Sprintf("%s.cases[%d].next", ref.path, i)})
		}
		return append(out, edge{label: "otherwise", target: s.Otherwise, path: ref.path + ".otherwise"})
	case KindAuto:
		return []edge{ref.nextEdge("passed"), {label: "failed", target: s.OnFail, path: ref.path + ".on_fail"}}
	case KindNotify:
		return []edge{ref.nextEdge("sent")}
	}
	return nil // return steps end the dossier
}

func isTerminal(target string) bool {
	return target == TargetRefused || target == TargetStopped || target == targetJoin
}

// appliesTo reports whether the step, and every parallel step around it,
// applies to mode.
func (ref *stepRef) appliesTo(mode string) bool {
	for r := ref; r != nil; r = r.parent {
		if len(r.step.Modes) > 0 && !slices.Contains(r.step.Modes, mode) {
			return false
		}
	}
	return true
}

// modeEdge is a way out of a step once resolved for one mode.
type modeEdge struct {
	label  string
	target string // step id applying to the mode, refused, stopped or $join
}

// modeGraph is the step graph of one mode.
type modeGraph struct {
	mode  string
	start string
	steps []*stepRef // applicable steps in document order
	out   map[string][]modeEdge
	// branchStart holds, for each parallel step, the first applicable step of
	// each branch ("" for a branch with no step in this mode).
	branchStart map[string][]string
}

// resolveTarget follows target past steps that do not apply to mode. It
// returns an error message when a skipped step has more than one way out.
func (ix *stepIndex) resolveTarget(target, mode string) (string, string) {
	seen := map[string]bool{}
	for !isTerminal(target) {
		ref, ok := ix.byID[target]
		if !ok {
			return "", "" // unknown ids are reported once, mode-independently
		}
		if ref.appliesTo(mode) {
			return target, ""
		}
		if seen[target] {
			return "", fmt.Sprintf("steps skipped in %s loop back to %q", mode, target)
		}
		seen[target] = true
		es := ref.edges()
		if len(es) == 0 {
			// A step with no way out (a return step of another mode) is
			// passed over to the step below it.
			es = []edge{{target: ref.implicitNext()}}
		}
		if len(es) != 1 {
			return "", fmt.Sprintf("leads to step %q, which does not apply to %s and has %d ways out: name a step that applies", target, mode, len(es))
		}
		target = es[0].target
		if target == "" {
			return "", fmt.Sprintf("leads to step %q, which does not apply to %s and has no next step", ref.step.ID, mode)
		}
	}
	return target, ""
}

// firstApplicable returns the first step of list that applies to mode, or "".
func firstApplicable(list []*stepRef, mode string) string {
	for _, r := range list {
		if r.appliesTo(mode) {
			return r.step.ID
		}
	}
	return ""
}

// buildModeGraph resolves the steps of one mode. Problems are reported through
// c; the graph is still built as far as possible.
func (c *checker) buildModeGraph(mode string) *modeGraph {
	g := &modeGraph{mode: mode, out: map[string][]modeEdge{}, branchStart: map[string][]string{}}
	for _, ref := range c.ix.all {
		if !ref.appliesTo(mode) || ref.step.ID == "" {
			continue
		}
		g.steps = append(g.steps, ref)
		for _, e := range ref.edges() {
			if e.target == "" {
				continue // reported by the mode-independent checks
			}
			t, problem := c.ix.resolveTarget(e.target, mode)
			if problem != "" {
				c.r.errorf(c.edgePos(ref, e), "", "step %q: %s %s", ref.step.ID, describeEdge(e), problem)
				continue
			}
			if t == "" {
				continue
			}
			g.out[ref.step.ID] = append(g.out[ref.step.ID], modeEdge{label: e.label, target: t})
		}
		for _, b := range ref.step.Branches {
			start := ""
			for i := range b.Steps {
				if r := c.ix.byID[b.Steps[i].ID]; r != nil && r.appliesTo(mode) {
					start = r.step.ID
					break
				}
			}
			g.branchStart[ref.step.ID] = append(g.branchStart[ref.step.ID], start)
		}
	}
	g.start = firstApplicable(c.ix.top, mode)
	return g
}

func describeEdge(e edge) string {
	if e.label == "" || strings.HasSuffix(e.path, ".next") {
		return "next"
	}
	return fmt.Sprintf("outcome %q", e.label)
}

func (c *checker) edgePos(ref *stepRef, e edge) Pos {
	if e.path != "" {
		return c.d.at(e.path)
	}
	return c.d.at(ref.path)
}

// successors lists the steps a step may be followed by in the graph,
// entering branches of parallel steps.
func (g *modeGraph) successors(id string) []string {
	var out []string
	for _, s := range g.branchStart[id] {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, e := range g.out[id] {
		if !isTerminal(e.target) {
			out = append(out, e.target)
		}
	}
	return out
}

// reachable returns the steps reachable from the start of the mode.
func (g *modeGraph) reachable() map[string]bool {
	seen := map[string]bool{}
	if g.start == "" {
		return seen
	}
	stack := []string{g.start}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		stack = append(stack, g.successors(id)...)
	}
	return seen
}

// canEnd returns the steps from which some path reaches an end: a return
// step, a refusal, a stop, or the join of its branch. A parallel step can end
// when its join leads on to an end.
func (g *modeGraph) canEnd(ix *stepIndex) map[string]bool {
	ok := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, ref := range g.steps {
			id := ref.step.ID
			if ok[id] {
				continue
			}
			if ref.step.Kind == KindReturn {
				ok[id], changed = true, true
				continue
			}
			for _, e := range g.out[id] {
				if isTerminal(e.target) || ok[e.target] {
					ok[id], changed = true, true
					break
				}
			}
		}
	}
	return ok
}

// loopFrom walks from a step that cannot end through others that cannot,
// until a step repeats, and returns the loop as "a → b → a".
func (g *modeGraph) loopFrom(id string, ends map[string]bool) string {
	var path []string
	at := map[string]int{}
	for {
		if i, ok := at[id]; ok {
			return strings.Join(append(path[i:], id), " → ")
		}
		at[id] = len(path)
		path = append(path, id)
		next := ""
		for _, e := range g.out[id] {
			if !isTerminal(e.target) && !ends[e.target] {
				next = e.target
				break
			}
		}
		if next == "" {
			return strings.Join(path, " → ")
		}
		id = next
	}
}

// longest returns the longest allotted working time, in hours, from step id
// to an end of its list, with the steps along it. Edges back to a step on the
// current path (loops) are not followed.
func (g *modeGraph) longest(ix *stepIndex, id string, onPath map[string]bool, memo map[string]timedPath) timedPath {
	if p, ok := memo[id]; ok {
		return p
	}
	ref := ix.byID[id]
	if ref == nil || onPath[id] {
		return timedPath{}
	}
	onPath[id] = true
	defer delete(onPath, id)

	self := timedPath{}
	if timedKinds[ref.step.Kind] && ref.step.Within != nil {
		self = timedPath{hours: ref.step.Within.Hours(), steps: []string{id}}
	}
	if ref.step.Kind == KindParallel {
		var widest timedPath
		for _, start := range g.branchStart[id] {
			if start == "" {
				continue
			}
			if p := g.longest(ix, start, onPath, memo); p.hours > widest.hours || widest.steps == nil {
				widest = p
			}
		}
		self = timedPath{hours: widest.hours, steps: append([]string{id + "{"}, append(widest.steps, "}")...)}
		if widest.hours == 0 {
			self = timedPath{}
		}
	}
	var best timedPath
	for _, e := range g.out[id] {
		if isTerminal(e.target) || onPath[e.target] {
			continue
		}
		if p := g.longest(ix, e.target, onPath, memo); p.hours > best.hours {
			best = p
		}
	}
	result := timedPath{hours: self.hours + best.hours, steps: append(slices.Clone(self.steps), best.steps...)}
	memo[id] = result
	return result
}

// mostVisits returns the most in-person steps along any one path from id
// to an end, counting every branch of a parallel step (they all run).
func (g *modeGraph) mostVisits(ix *stepIndex, id string, onPath map[string]bool) int {
	ref := ix.byID[id]
	if ref == nil || onPath[id] {
		return 0
	}
	onPath[id] = true
	defer delete(onPath, id)
	self := 0
	if ref.step.InPerson {
		self = 1
	}
	for _, start := range g.branchStart[id] {
		if start != "" {
			self += g.mostVisits(ix, start, onPath)
		}
	}
	best := 0
	for _, e := range g.out[id] {
		if !isTerminal(e.target) {
			best = max(best, g.mostVisits(ix, e.target, onPath))
		}
	}
	return self + best
}

// timedPath is a path through the steps with its allotted time.
type timedPath struct {
	hours float64
	steps []string
}
