package definitions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file draws the step graph of one mode of a plan as a top-down
// flowchart, in Mermaid (for wikis and Markdown), Graphviz DOT, or SVG (for
// the web console).
//
// Roles are shown as a line of each node's label, not as lanes. A procedure
// passes the dossier back and forth between a few roles (one-stop section →
// specialist → leader → one-stop section), so with lanes (Mermaid subgraphs,
// DOT clusters) every step is an edge across lanes: the layout engines place
// each subgraph as one box, the return step lands in the reception's box far
// above the sign step, and the edges loop back up through the other lanes.
// Steps without a role (decide, auto, notify, pay, the fork and join of a
// parallel step, the ends) would need a lane of their own, and a branch whose
// steps belong to different roles would have to be split across lanes. With
// the role in the label the chart keeps the order of the procedure from top
// to bottom, which is what a reader follows, and still says who acts.
//
// The renderers (Mermaid and DOT here, SVG in diagram_svg.go) share one
// model built by buildDiagram, so the outputs always show the same nodes and
// edges, in the same order.

// diagramNode is one node of a diagram.
type diagramNode struct {
	id    string
	lines []string // label lines, plain text
	shape string   // one of the shape constants
	class string   // "", classInPerson, or an end class
	// step is the id of the step drawn, or of the parallel step a join
	// closes; "" for an end.
	step string
}

// diagramEdge is one edge of a diagram.
type diagramEdge struct {
	from, to string
	label    string
	dashed   bool // leads to a refusal or a stop
}

type diagram struct {
	title []string // lines: the procedure, then mode, time limit, version, hash
	start string   // the node of the first step
	nodes []diagramNode
	edges []diagramEdge
}

// Node shapes.
const (
	shapeStep     = "step"     // rectangle: an officer acts
	shapeSystem   = "system"   // rounded rectangle: automated, notification, payment
	shapeDecide   = "decide"   // diamond
	shapeFork     = "fork"     // hexagon: a parallel step splits into branches
	shapeJoin     = "join"     // hexagon: the branches join again
	shapeTerminal = "terminal" // stadium / ellipse: the dossier ends
)

// Node classes.
const (
	classInPerson = "inperson"
	classRefused  = "refused"
	classStopped  = "stopped"
	classDone     = "done"
)

// Ids of the end (terminal) nodes; step nodes are prefixed "s_" and joins
// "j_", so no step id can collide with them, nor with keywords of either
// syntax (Mermaid's end, DOT's node or graph).
const (
	nodeRefused = "t_refused"
	nodeStopped = "t_stopped"
	nodeDone    = "t_done"
)

// kindNamesVI are the Vietnamese names of step kinds shown in diagrams.
var kindNamesVI = map[string]string{
	KindReception: "Tiếp nhận",
	KindTask:      "Xử lý",
	KindSign:      "Ký duyệt",
	KindPay:       "Thanh toán phí",
	KindConsult:   "Lấy ý kiến liên thông",
	KindParallel:  "Song song",
	KindDecide:    "Rẽ nhánh",
	KindAuto:      "Tự động",
	KindNotify:    "Thông báo",
	KindReturn:    "Trả kết quả",
}

// modeNamesVI are the Vietnamese names of the modes.
var modeNamesVI = map[string]string{
	ModeFullOnline:    "toàn trình",
	ModePartialOnline: "một phần",
}

func modeLabel(mode string) string {
	if vi, ok := modeNamesVI[mode]; ok {
		return fmt.Sprintf("trực tuyến %s (%s)", vi, mode)
	}
	return mode
}

// FormatDuration writes an allotted time in Vietnamese, e.g. "2 ngày làm
// việc" or "4 giờ làm việc".
func FormatDuration(d Duration) string {
	switch {
	case d.WorkingDays > 0 && d.WorkingHours > 0:
		return fmt.Sprintf("%d ngày %d giờ làm việc", d.WorkingDays, d.WorkingHours)
	case d.WorkingDays > 0:
		return fmt.Sprintf("%d ngày làm việc", d.WorkingDays)
	default:
		return fmt.Sprintf("%d giờ làm việc", d.WorkingHours)
	}
}

// FormatTimeLimit writes a time limit in Vietnamese, e.g. "3 ngày làm việc"
// or "trong ngày (nhận trước 15:00)".
func FormatTimeLimit(tl TimeLimit) string {
	var s string
	switch {
	case tl.SameDay:
		s = "trong ngày"
	case tl.WorkingDays > 0 && tl.WorkingHours > 0:
		s = fmt.Sprintf("%d ngày %d giờ làm việc", tl.WorkingDays, tl.WorkingHours)
	case tl.WorkingDays > 0:
		s = fmt.Sprintf("%d ngày làm việc", tl.WorkingDays)
	default:
		s = fmt.Sprintf("%d giờ làm việc", tl.WorkingHours)
	}
	var notes []string
	if tl.SameDay || (tl.Cutoff != "" && tl.Cutoff != DefaultCutoff) {
		cutoff := tl.Cutoff
		if cutoff == "" {
			cutoff = DefaultCutoff
		}
		notes = append(notes, "nhận trước "+cutoff)
	}
	if !tl.SameDay {
		switch {
		case tl.Counting == "hours" && tl.WorkingHours == 0:
			notes = append(notes, "tính theo giờ")
		case tl.Counting == "days" && tl.WorkingHours > 0:
			notes = append(notes, "tính theo ngày")
		}
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

// formatHoursVI writes an amount of working hours in Vietnamese, in days
// and hours with the total in hours from one day on, e.g. "7 giờ làm việc",
// "1 ngày 4 giờ làm việc (12 giờ)".
func formatHoursVI(h float64) string {
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	days := int(h) / HoursPerDay
	rest := h - float64(days*HoursPerDay)
	switch {
	case days == 0:
		return num(rest) + " giờ làm việc"
	case rest == 0:
		return fmt.Sprintf("%d ngày làm việc (%s giờ)", days, num(h))
	default:
		return fmt.Sprintf("%d ngày %s giờ làm việc (%s giờ)", days, num(rest), num(h))
	}
}

// Mermaid draws the steps of one mode of the plan as a Mermaid flowchart.
// It returns an error when the plan does not offer mode.
func Mermaid(p *Plan, mode string) (string, error) {
	d, err := buildDiagram(p, mode)
	if err != nil {
		return "", err
	}
	return d.mermaid(), nil
}

// DOT draws the steps of one mode of the plan as a Graphviz digraph. It
// returns an error when the plan does not offer mode.
func DOT(p *Plan, mode string) (string, error) {
	d, err := buildDiagram(p, mode)
	if err != nil {
		return "", err
	}
	return d.dot(), nil
}

// offeredModes lists the modes a plan offers.
func (p *Plan) offeredModes() []string {
	out := make([]string, len(p.Modes))
	for i, m := range p.Modes {
		out[i] = m.Mode
	}
	return out
}

func buildDiagram(p *Plan, mode string) (*diagram, error) {
	if p == nil {
		return nil, fmt.Errorf("no plan to draw")
	}
	mp := p.Mode(mode)
	if mp == nil {
		return nil, fmt.Errorf("procedure %s does not offer mode %q (it offers %s)", p.Code, mode, strings.Join(p.offeredModes(), ", "))
	}
	roles := map[string]string{}
	for _, r := range p.Roles {
		roles[r.ID] = r.Name
	}
	agencies := map[string]string{}
	for _, a := range p.Agencies {
		agencies[a.ID] = a.Name
	}
	d := &diagram{title: []string{
		p.Code + " " + p.Name,
		fmt.Sprintf("%s · thời hạn %s · phiên bản %s · %s", modeLabel(mode), FormatTimeLimit(mp.TimeLimit), p.Version, p.ShortHash()),
	}}

	ids := newNodeIDs()
	stepNode := func(id string) string { return ids.get("s_", id) }
	joinNode := func(id string) string { return ids.get("j_", id) }
	parent := map[string]string{}
	for _, s := range mp.Steps {
		parent[s.ID] = s.Parent
	}
	// isWithin reports whether step id lies inside parallel step par.
	isWithin := func(id, par string) bool {
		for at := parent[id]; at != ""; at = parent[at] {
			if at == par {
				return true
			}
		}
		return false
	}

	var open []string // parallel steps whose join is not drawn yet, innermost last
	closeUntil := func(next string) {
		for len(open) > 0 && (next == "" || !isWithin(next, open[len(open)-1])) {
			par := open[len(open)-1]
			open = open[:len(open)-1]
			// The join's edges say which fork it closes; the label stays
			// short so that the hexagon does not span the chart.
			d.nodes = append(d.nodes, diagramNode{id: joinNode(par), lines: []string{"Hợp nhánh"}, shape: shapeJoin, step: par})
		}
	}
	ends := map[string]bool{}
	for _, s := range mp.Steps {
		closeUntil(s.ID)
		d.nodes = append(d.nodes, stepDiagramNode(p, &s, stepNode(s.ID), roles, agencies))
		if s.Kind == KindParallel {
			open = append(open, s.ID)
		}
	}
	closeUntil("")
	if mp.Step(mp.Start) != nil {
		d.start = stepNode(mp.Start)
	}

	target := func(t, from string) string {
		switch t {
		case TargetRefused:
			ends[nodeRefused] = true
			return nodeRefused
		case TargetStopped:
			ends[nodeStopped] = true
			return nodeStopped
		case TargetJoin:
			return joinNode(parent[from])
		}
		return stepNode(t)
	}
	for _, s := range mp.Steps {
		from := stepNode(s.ID)
		for i, b := range s.Branches {
			label := fmt.Sprintf("nhánh %d", i+1)
			if b.Name != "" {
				label = b.Name
			}
			to := stepNode(b.Start)
			if b.Start == "" {
				to = joinNode(s.ID) // a branch with no step in this mode
			}
			d.edges = append(d.edges, diagramEdge{from: from, to: to, label: label})
		}
		if s.Kind == KindParallel {
			from = joinNode(s.ID) // the ways out of a parallel step leave from its join
		}
		for _, e := range s.Exits {
			label := e.Outcome
			if e.When != "" {
				label = e.When
			}
			to := target(e.Target, s.ID)
			// Outcomes leading to the same place share one edge.
			if i := slices.IndexFunc(d.edges, func(x diagramEdge) bool { return x.from == from && x.to == to }); i >= 0 {
				d.edges[i].label += " / " + label
				continue
			}
			d.edges = append(d.edges, diagramEdge{from: from, to: to, label: label,
				dashed: e.Target == TargetRefused || e.Target == TargetStopped})
		}
		if s.Kind == KindReturn {
			ends[nodeDone] = true
			d.edges = append(d.edges, diagramEdge{from: from, to: nodeDone})
		}
	}
	for _, end := range []struct{ id, label, class string }{
		{nodeDone, "Kết thúc", classDone},
		{nodeRefused, "Từ chối", classRefused},
		{nodeStopped, "Dừng xử lý", classStopped},
	} {
		if ends[end.id] {
			d.nodes = append(d.nodes, diagramNode{id: end.id, lines: []string{end.label}, shape: shapeTerminal, class: end.class})
		}
	}
	return d, nil
}

// stepDiagramNode builds the node of one step: its name, then its kind and
// who acts, then its allotted time and what else a reader needs.
func stepDiagramNode(p *Plan, s *PlanStep, id string, roles, agencies map[string]string) diagramNode {
	n := diagramNode{id: id, shape: shapeStep, step: s.ID}
	name := s.Name
	if name == "" {
		name = s.ID
	}
	n.lines = append(n.lines, name)
	second := kindNamesVI[s.Kind]
	if second == "" {
		second = s.Kind
	}
	who := roles[s.Role]
	if who == "" {
		who = s.Role
	}
	if who != "" {
		second += " · " + who
	}
	n.lines = append(n.lines, second)
	if s.Kind == KindConsult && s.Agency != "" {
		agency := agencies[s.Agency]
		if agency == "" {
			agency = s.Agency
		}
		n.lines = append(n.lines, "tại "+agency)
	}
	switch s.Kind {
	case KindDecide:
		n.shape = shapeDecide
	case KindParallel:
		n.shape = shapeFork
	case KindAuto:
		n.shape = shapeSystem
		if s.Check != "" {
			n.lines = append(n.lines, "kiểm tra "+s.Check)
		}
	case KindNotify:
		n.shape = shapeSystem
		to := "người nộp hồ sơ"
		if s.To != "" && s.To != "applicant" {
			to = roles[s.To]
			if to == "" {
				to = s.To
			}
		}
		n.lines = append(n.lines, "gửi "+to)
	case KindPay:
		n.shape = shapeSystem
		var fees []string
		for _, id := range s.Fees {
			fees = append(fees, feeName(p, id))
		}
		if len(fees) > 0 {
			n.lines = append(n.lines, strings.Join(fees, ", "))
		}
		if s.Timeout != nil {
			n.lines = append(n.lines, "hạn nộp "+FormatDuration(*s.Timeout))
		}
	}
	if s.Within != nil {
		n.lines = append(n.lines, FormatDuration(*s.Within))
	}
	if s.InPerson {
		n.lines = append(n.lines, "Công dân đến trực tiếp")
		n.class = classInPerson
	}
	return n
}

func feeName(p *Plan, id string) string {
	for _, f := range p.Fees {
		if f.ID == id {
			return f.Name
		}
	}
	return id
}

// nodeIDs gives every step a node id made of ASCII letters, digits and _,
// which both Mermaid and DOT accept unquoted, and keeps them unique.
type nodeIDs struct {
	byKey map[string]string
	used  map[string]bool
}

func newNodeIDs() *nodeIDs {
	return &nodeIDs{byKey: map[string]string{}, used: map[string]bool{nodeRefused: true, nodeStopped: true, nodeDone: true}}
}

func (n *nodeIDs) get(prefix, id string) string {
	key := prefix + id
	if v, ok := n.byKey[key]; ok {
		return v
	}
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range id {
		if r < 128 && (r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	v := b.String()
	for i := 2; n.used[v]; i++ {
		v = fmt.Sprintf("%s_%d", b.String(), i)
	}
	n.used[v] = true
	n.byKey[key] = v
	return v
}

// oneLine turns any line breaks of a text into spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// mermaidText escapes a text for a quoted Mermaid label. Mermaid reads
// "#code;" as a character entity and renders labels as HTML, so every
// character that could end the label, start an entity or a tag is written
// as a numeric entity.
var mermaidText = strings.NewReplacer(
	"#", "#35;",
	`"`, "#34;",
	"&", "#38;",
	"<", "#60;",
	">", "#62;",
	"|", "#124;",
	"`", "#96;",
	"\\", "#92;",
)

func mermaidLabel(lines []string) string {
	esc := make([]string, len(lines))
	for i, l := range lines {
		esc[i] = mermaidText.Replace(oneLine(l))
	}
	return `"` + strings.Join(esc, "<br/>") + `"`
}

var mermaidShapes = map[string][2]string{
	shapeStep:     {"[", "]"},
	shapeSystem:   {"(", ")"},
	shapeDecide:   {"{", "}"},
	shapeFork:     {"{{", "}}"},
	shapeJoin:     {"{{", "}}"},
	shapeTerminal: {"([", "])"},
}

func (d *diagram) mermaid() string {
	var b strings.Builder
	// The title goes in the front matter, as a double-quoted YAML string.
	title := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(oneLine(strings.Join(d.title, " · ")))
	fmt.Fprintf(&b, "---\ntitle: \"%s\"\n---\nflowchart TD\n", title)
	classes := map[string][]string{}
	var classOrder []string
	for _, n := range d.nodes {
		sh := mermaidShapes[n.shape]
		fmt.Fprintf(&b, "    %s%s%s%s\n", n.id, sh[0], mermaidLabel(n.lines), sh[1])
		if n.class != "" {
			if _, ok := classes[n.class]; !ok {
				classOrder = append(classOrder, n.class)
			}
			classes[n.class] = append(classes[n.class], n.id)
		}
	}
	for _, e := range d.edges {
		arrow := "-->"
		if e.dashed {
			arrow = "-.->"
		}
		if e.label == "" {
			fmt.Fprintf(&b, "    %s %s %s\n", e.from, arrow, e.to)
		} else {
			fmt.Fprintf(&b, "    %s %s|%s| %s\n", e.from, arrow, mermaidLabel([]string{e.label}), e.to)
		}
	}
	for _, c := range classOrder {
		fmt.Fprintf(&b, "    classDef %s %s\n", c, mermaidClassStyles[c])
		fmt.Fprintf(&b, "    class %s %s\n", strings.Join(classes[c], ","), c)
	}
	return b.String()
}

var mermaidClassStyles = map[string]string{
	classInPerson: "stroke:#b45309,stroke-width:3px",
	classRefused:  "fill:#fde2e1,stroke:#b91c1c,color:#7f1d1d",
	classStopped:  "fill:#fef3c7,stroke:#b45309,color:#78350f",
	classDone:     "fill:#dcfce7,stroke:#15803d,color:#14532d",
}

// dotText escapes a text for a double-quoted DOT string. Backslashes are
// doubled so that no escape such as \N or \l of Graphviz labels is formed.
var dotText = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func dotLabel(lines []string) string {
	esc := make([]string, len(lines))
	for i, l := range lines {
		esc[i] = dotText.Replace(oneLine(l))
	}
	return `"` + strings.Join(esc, `\n`) + `"`
}

var dotShapes = map[string]string{
	shapeStep:     `shape=box`,
	shapeSystem:   `shape=box, style=rounded`,
	shapeDecide:   `shape=diamond`,
	shapeFork:     `shape=hexagon`,
	shapeJoin:     `shape=hexagon`,
	shapeTerminal: `shape=ellipse`,
}

var dotClassStyles = map[string]string{
	classInPerson: `color="#b45309", penwidth=3`,
	classRefused:  `style=filled, fillcolor="#fde2e1", color="#b91c1c"`,
	classStopped:  `style=filled, fillcolor="#fef3c7", color="#b45309"`,
	classDone:     `style=filled, fillcolor="#dcfce7", color="#15803d"`,
}

func (d *diagram) dot() string {
	var b strings.Builder
	b.WriteString("digraph procedure {\n")
	fmt.Fprintf(&b, "    graph [label=%s, labelloc=t, fontsize=16, rankdir=TB, fontname=\"Arial\"];\n", dotLabel(d.title))
	b.WriteString("    node [fontname=\"Arial\", fontsize=11];\n")
	b.WriteString("    edge [fontname=\"Arial\", fontsize=10];\n")
	for _, n := range d.nodes {
		attrs := dotShapes[n.shape]
		if st := dotClassStyles[n.class]; st != "" {
			attrs += ", " + st
		}
		fmt.Fprintf(&b, "    %s [label=%s, %s];\n", n.id, dotLabel(n.lines), attrs)
	}
	for _, e := range d.edges {
		var attrs []string
		if e.label != "" {
			attrs = append(attrs, "label="+dotLabel([]string{e.label}))
		}
		if e.dashed {
			attrs = append(attrs, "style=dashed")
		}
		if len(attrs) == 0 {
			fmt.Fprintf(&b, "    %s -> %s;\n", e.from, e.to)
		} else {
			fmt.Fprintf(&b, "    %s -> %s [%s];\n", e.from, e.to, strings.Join(attrs, ", "))
		}
	}
	b.WriteString("}\n")
	return b.String()
}
