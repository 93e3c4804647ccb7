package definitions

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// This file draws the diagram of diagram.go as SVG, for the web console:
// no layout engine, no script and nothing fetched from elsewhere, so it is
// laid out here, in the simple layered way of a flowchart drawn by hand.
//
//  1. Loops are broken: a depth-first walk from the start, in the order of
//     the nodes and edges, finds the edges that lead back to a node on the
//     current path. They are left out of the layout and drawn at the end,
//     on the right side of the steps they span.
//  2. Each node goes in the layer of its longest path from the start; an
//     edge that spans several layers passes through a thin invisible node in
//     each layer between, so that it takes room and no box is drawn over it.
//  3. The order within each layer starts from the depth-first order (the
//     first outcome on the left) and is improved by a few barycentre sweeps,
//     keeping the order with the fewest crossings.
//  4. The nodes of a layer are placed as near the mean of their neighbours
//     in the layer above, then below, as the gaps between them allow (least
//     squares under order and separation constraints: pool adjacent
//     violators), sweeping down and up a few times. Steps count far more
//     than the edges passing by and the refusal and stop ends, so that the
//     main flow runs straight down and the ways out make room.
//  5. An edge meets a node straight above or below the next node it leads
//     to, as far as the flat part of the side allows; it runs straight down
//     through layers and curves in the gaps between them, where its label
//     stands. A loop goes up a lane right of what it passes, label beside.
//
// Text is not measured: widths are estimated from the number of runes (not
// bytes, nor combining marks), a little generously for Vietnamese.

// Sizes, in user units (pixels at 100 %).
const (
	svgMargin        = 16.0
	svgFontSize      = 12.0 // node lines
	svgNameFontSize  = 13.0 // the first line of a step: its name, in bold
	svgLabelFontSize = 11.0 // edge labels
	svgTitleFontSize = 15.0
	svgLineHeight    = 1.3 // times the font size
	svgNodeGap       = 32.0
	svgDummyGap      = 12.0 // beside an edge passing through a layer
	svgDummyWidth    = 8.0
	svgMinLayerGap   = 40.0
	svgLabelPad      = 4.0
	svgNameWrap      = 28  // runes: longer names take two lines
	svgNameMaxLine   = 40  // runes: names too long for two such lines take more
	svgLineWrap      = 60  // runes per line of the other lines of a node
	svgLabelWrap     = 32  // runes per line of an edge label
	svgTitleWrap     = 120 // runes per line of the title
	svgSweeps        = 8
)

// svgFontFamily has glyphs for Vietnamese on every common system.
const svgFontFamily = `'Noto Sans', 'Segoe UI', Roboto, Arial, 'Helvetica Neue', sans-serif`

// shapeStart is the shape of the start node, which only the SVG draws.
const shapeStart = "start"

// DiagramSVG draws one mode of a plan as a standalone SVG document: the
// nodes and edges of Mermaid and DOT, after a start node, laid out from top
// to bottom without any external tool. It returns an error when the plan
// does not offer mode.
//
// The document has no script and no external reference. Colours are
// presentation attributes, which any CSS rule overrides; the classes are:
// procedure-diagram on the root; node on every node, with node-step,
// node-system, node-decide, node-fork or node-join, start on the start node,
// end with end-done, end-refused or end-stopped on the ends, and inperson on
// a step the citizen attends in person; edge on every edge, with edge-dashed
// (to a refusal or a stop) or edge-back (a loop back up); edge-label on the
// label of an edge. Node groups have the ids step-<step id>, join-<parallel
// step id>, start, end-done, end-refused and end-stopped, and a <title>
// shown on hover.
func DiagramSVG(p *Plan, mode string) ([]byte, error) {
	d, err := buildDiagram(p, mode)
	if err != nil {
		return nil, err
	}
	l, err := layoutDiagram(d)
	if err != nil {
		return nil, fmt.Errorf("procedure %s, mode %s: %w", p.Code, mode, err)
	}
	return l.svg(svgIDPart("arrow-" + mode + "-" + p.ShortHash())), nil
}

// svgText is one line of text.
type svgText struct {
	s    string
	size float64
	bold bool
}

func (t svgText) width() float64  { return textWidth(t.s, t.size, t.bold) }
func (t svgText) height() float64 { return t.size * svgLineHeight }

// svgNode is a node of the layout, or a dummy an edge passes through.
type svgNode struct {
	id    string // SVG id
	class string
	title string // hover text
	shape string
	paint string // key of svgColours
	lines []svgText
	dummy bool

	w, h  float64
	x, y  float64 // centre
	rank  int
	pos   int // index in its layer
	up    []int
	down  []int
	inset float64 // corner radius, or the slant of a hexagon
}

// aside reports whether the node is a dummy or an end other than the
// result: off the main flow.
func (n *svgNode) aside() bool {
	return n.dummy || n.shape == shapeTerminal && n.id != svgEndClasses[classDone]
}

func (n *svgNode) left() float64   { return n.x - n.w/2 }
func (n *svgNode) right() float64  { return n.x + n.w/2 }
func (n *svgNode) top() float64    { return n.y - n.h/2 }
func (n *svgNode) bottom() float64 { return n.y + n.h/2 }

// svgEdge is an edge of the layout.
type svgEdge struct {
	from, to int
	via      []int // dummies, top to bottom
	back     bool
	dashed   bool
	label    []svgText
	lw, lh   float64    // label size with its padding
	lx, ly   float64    // label centre
	out, in  float64    // x of the ports on the source and target
	lane     float64    // x of the vertical part of a back edge
	laneY    [2]float64 // y of its horizontal parts: at the source, at the target
	backK    [2]int     // its place among the back edges leaving the source's layer, entering the target's
}

func (e *svgEdge) hasLabel() bool { return len(e.label) > 0 }

type svgLayout struct {
	name   string     // the title on one line
	title  []svgText  // the title, wrapped
	nodes  []*svgNode // the start, the nodes of the diagram, then dummies
	edges  []*svgEdge
	layers [][]int
	top    []float64 // per layer
	bottom []float64
	labelY []float64  // per gap below a layer: the middle of its labels
	backs  []*svgEdge // the edges looping back, inner loops first
	width  float64
	height float64
}

// layoutDiagram places the nodes and routes the edges of a diagram.
func layoutDiagram(d *diagram) (*svgLayout, error) {
	l := &svgLayout{name: oneLine(strings.Join(d.title, " · "))}
	for i, line := range d.title {
		t := svgText{s: oneLine(line), size: svgFontSize}
		if i == 0 {
			t = svgText{s: oneLine(line), size: svgTitleFontSize, bold: true}
		}
		for _, w := range wrapText(t.s, svgTitleWrap) {
			l.title = append(l.title, svgText{s: w, size: t.size, bold: t.bold})
		}
	}

	index := map[string]int{}
	l.nodes = append(l.nodes, newSVGNode("start", "node start", "Bắt đầu", shapeStart, []svgText{{s: "Bắt đầu", size: svgFontSize}}))
	for _, n := range d.nodes {
		index[n.id] = len(l.nodes)
		l.nodes = append(l.nodes, diagramSVGNode(d, n))
	}
	addEdge := func(from, to string, e *svgEdge) error {
		fi, ok := index[from]
		if from == "" {
			fi, ok = 0, true
		}
		ti, ok2 := index[to]
		if !ok || !ok2 {
			return fmt.Errorf("an edge from %s leads to %s, which is not drawn", from, to)
		}
		e.from, e.to = fi, ti
		l.edges = append(l.edges, e)
		return nil
	}
	if d.start != "" {
		if err := addEdge("", d.start, &svgEdge{}); err != nil {
			return nil, err
		}
	}
	for _, de := range d.edges {
		e := &svgEdge{dashed: de.dashed}
		if de.label != "" {
			for _, line := range wrapText(oneLine(de.label), svgLabelWrap) {
				e.label = append(e.label, svgText{s: line, size: svgLabelFontSize})
			}
			e.lw, e.lh = textBlockSize(e.label)
			e.lw += 2 * svgLabelPad
			e.lh += svgLabelPad
		}
		if err := addEdge(de.from, de.to, e); err != nil {
			return nil, err
		}
	}

	l.rank()
	l.order()
	l.placeY()
	l.placeX()
	l.route()
	l.fit()
	return l, nil
}

// newSVGNode sizes a node for its text and shape.
func newSVGNode(id, class, title, shape string, lines []svgText) *svgNode {
	n := &svgNode{id: id, class: class, title: title, shape: shape, paint: shape, lines: lines}
	tw, th := textBlockSize(lines)
	switch shape {
	case shapeDecide:
		// The text block fits in the diamond when tw/w + th/h ≤ 1.
		n.h = th + 40
		n.w = math.Ceil(tw*n.h/(n.h-th)) + 12
	case shapeFork, shapeJoin:
		n.h = th + 16
		n.inset = 14
		n.w = tw + 24 + 2*n.inset
	case shapeTerminal, shapeStart:
		n.h = th + 14
		n.inset = n.h / 2
		n.w = tw + n.h + 8
	case shapeSystem:
		n.h = th + 16
		n.inset = 10
		n.w = tw + 28
	default:
		n.h = th + 16
		n.inset = 2
		n.w = tw + 24
	}
	n.w = math.Ceil(max(n.w, 64))
	n.h = math.Ceil(n.h)
	return n
}

// svgEndClasses are the classes of the ends, by diagram class.
var svgEndClasses = map[string]string{
	classDone:    "end-done",
	classRefused: "end-refused",
	classStopped: "end-stopped",
}

func diagramSVGNode(d *diagram, n diagramNode) *svgNode {
	var lines []svgText
	var id, class, title string
	switch n.shape {
	case shapeTerminal:
		end := svgEndClasses[n.class]
		id, class = end, "node end "+end
		lines = []svgText{{s: oneLine(n.lines[0]), size: svgFontSize, bold: true}}
		title = oneLine(n.lines[0])
	case shapeJoin:
		id, class = "join-"+n.step, "node node-join"
		lines = []svgText{{s: oneLine(n.lines[0]), size: svgFontSize}}
		title = oneLine(n.lines[0])
		for _, f := range d.nodes {
			if f.shape == shapeFork && f.step == n.step {
				title += " · " + oneLine(f.lines[0])
			}
		}
	default:
		id, class = "step-"+n.step, "node node-"+n.shape
		if n.class != "" {
			class += " " + n.class
		}
		for i, line := range n.lines {
			if i == 0 {
				for _, w := range splitName(oneLine(line)) {
					lines = append(lines, svgText{s: w, size: svgNameFontSize, bold: true})
				}
				continue
			}
			for _, w := range wrapText(oneLine(line), svgLineWrap) {
				lines = append(lines, svgText{s: w, size: svgFontSize})
			}
		}
		texts := make([]string, len(n.lines))
		for i, line := range n.lines {
			texts[i] = oneLine(line)
		}
		title = strings.Join(texts, "\n") + "\n(" + n.step + ")"
	}
	sn := newSVGNode(id, class, title, n.shape, lines)
	if n.class != "" {
		sn.paint = n.class
	}
	return sn
}

// rank breaks the loops, puts every node in the layer of its longest path
// from the start and adds a dummy wherever an edge crosses a layer.
func (l *svgLayout) rank() {
	n := len(l.nodes)
	out := make([][]*svgEdge, n)
	for _, e := range l.edges {
		out[e.from] = append(out[e.from], e)
	}
	state := make([]int, n) // 0 unseen, 1 on the path, 2 done
	var post []int
	var visit func(v int)
	visit = func(v int) {
		state[v] = 1
		for _, e := range out[v] {
			switch state[e.to] {
			case 0:
				visit(e.to)
			case 1:
				e.back = true
			}
		}
		state[v] = 2
		post = append(post, v)
	}
	for v := range n {
		if state[v] == 0 {
			visit(v)
		}
	}
	rank := make([]int, n)
	for i := len(post) - 1; i >= 0; i-- {
		u := post[i]
		for _, e := range out[u] {
			if !e.back {
				rank[e.to] = max(rank[e.to], rank[u]+1)
			}
		}
	}
	layers := 0
	for v, nd := range l.nodes {
		nd.rank = rank[v]
		layers = max(layers, rank[v]+1)
	}
	// Dummies, and the neighbours of each node in the layers next to it.
	for _, e := range l.edges {
		if e.back {
			continue
		}
		prev := e.from
		for r := rank[e.from] + 1; r < rank[e.to]; r++ {
			d := len(l.nodes)
			l.nodes = append(l.nodes, &svgNode{dummy: true, w: svgDummyWidth, rank: r})
			e.via = append(e.via, d)
			l.link(prev, d)
			prev = d
		}
		l.link(prev, e.to)
	}
	// The first order: depth first, from the start, in the order of the
	// edges, so that the first way out of a step stands on the left.
	l.layers = make([][]int, layers)
	seen := make([]bool, len(l.nodes))
	var walk func(v int)
	walk = func(v int) {
		seen[v] = true
		nd := l.nodes[v]
		nd.pos = len(l.layers[nd.rank])
		l.layers[nd.rank] = append(l.layers[nd.rank], v)
		for _, w := range nd.down {
			if !seen[w] {
				walk(w)
			}
		}
	}
	for v := range l.nodes {
		if !seen[v] {
			walk(v)
		}
	}
}

func (l *svgLayout) link(from, to int) {
	l.nodes[from].down = append(l.nodes[from].down, to)
	l.nodes[to].up = append(l.nodes[to].up, from)
}

// order reduces crossings with barycentre sweeps and keeps the best order.
func (l *svgLayout) order() {
	best := l.copyLayers()
	fewest := l.crossings()
	for i := range svgSweeps {
		if i%2 == 0 {
			for r := 1; r < len(l.layers); r++ {
				l.sortLayer(r, func(n *svgNode) []int { return n.up })
			}
		} else {
			for r := len(l.layers) - 2; r >= 0; r-- {
				l.sortLayer(r, func(n *svgNode) []int { return n.down })
			}
		}
		if c := l.crossings(); c < fewest {
			best, fewest = l.copyLayers(), c
		}
	}
	l.layers = best
	for _, layer := range l.layers {
		for i, v := range layer {
			l.nodes[v].pos = i
		}
	}
}

func (l *svgLayout) copyLayers() [][]int {
	out := make([][]int, len(l.layers))
	for i, layer := range l.layers {
		out[i] = slices.Clone(layer)
	}
	return out
}

func (l *svgLayout) sortLayer(r int, neighbours func(*svgNode) []int) {
	layer := l.layers[r]
	key := make(map[int]float64, len(layer))
	for _, v := range layer {
		n := l.nodes[v]
		key[v] = float64(n.pos)
		if nb := neighbours(n); len(nb) > 0 {
			sum := 0.0
			for _, w := range nb {
				sum += float64(l.nodes[w].pos)
			}
			key[v] = sum / float64(len(nb))
		}
	}
	slices.SortStableFunc(layer, func(a, b int) int { return cmp.Compare(key[a], key[b]) })
	for i, v := range layer {
		l.nodes[v].pos = i
	}
}

// crossings counts the pairs of segments that cross between layers.
func (l *svgLayout) crossings() int {
	count := 0
	for r := 0; r+1 < len(l.layers); r++ {
		var segs [][2]int
		for _, v := range l.layers[r] {
			for _, w := range l.nodes[v].down {
				segs = append(segs, [2]int{l.nodes[v].pos, l.nodes[w].pos})
			}
		}
		for i := range segs {
			for j := i + 1; j < len(segs); j++ {
				a, b := segs[i], segs[j]
				if (a[0]-b[0])*(a[1]-b[1]) < 0 {
					count++
				}
			}
		}
	}
	return count
}

// gapLabels lists the labelled edges whose label stands in the gap below
// layer r: the forward edges leaving it.
func (l *svgLayout) gapLabels(r int) []*svgEdge {
	var out []*svgEdge
	for _, e := range l.edges {
		if !e.back && e.hasLabel() && l.nodes[e.from].rank == r {
			out = append(out, e)
		}
	}
	return out
}

// Back edges run across the gaps next to the layers they join, this far
// from the nodes and from each other.
const (
	svgBackOffset = 7.0
	svgBackPitch  = 8.0
)

// placeY sets the height of every layer and gap, from the title down. A
// gap holds the labels of the edges leaving the layer above in its middle,
// and the back edges along its sides.
func (l *svgLayout) placeY() {
	// Inner loops first: nearest to the nodes, so that the loops around
	// them do not cross them.
	for _, e := range l.edges {
		if e.back {
			l.backs = append(l.backs, e)
		}
	}
	slices.SortStableFunc(l.backs, func(a, b *svgEdge) int {
		return (l.nodes[a.from].rank - l.nodes[a.to].rank) - (l.nodes[b.from].rank - l.nodes[b.to].rank)
	})
	backsFrom := make([]int, len(l.layers)) // back edges leaving layer r, across the gap above it
	backsTo := make([]int, len(l.layers))   // back edges entering layer r, across the gap below it
	for _, e := range l.backs {
		e.backK[0] = backsFrom[l.nodes[e.from].rank]
		e.backK[1] = backsTo[l.nodes[e.to].rank]
		backsFrom[l.nodes[e.from].rank]++
		backsTo[l.nodes[e.to].rank]++
	}
	side := func(n int) float64 {
		if n == 0 {
			return 0
		}
		return svgBackOffset + float64(n)*svgBackPitch
	}
	y := svgMargin
	for _, t := range l.title {
		y += t.height()
	}
	y += 20
	l.top = make([]float64, len(l.layers))
	l.bottom = make([]float64, len(l.layers))
	l.labelY = make([]float64, len(l.layers))
	for r, layer := range l.layers {
		y += side(backsFrom[r])
		h := 0.0
		for _, v := range layer {
			h = max(h, l.nodes[v].h)
		}
		l.top[r], l.bottom[r] = y, y+h
		for _, v := range layer {
			l.nodes[v].y = y + h/2
		}
		band := svgMinLayerGap
		for _, e := range l.gapLabels(r) {
			band = max(band, e.lh+28)
		}
		l.labelY[r] = y + h + side(backsTo[r]) + band/2
		y += h + side(backsTo[r]) + band
	}
}

// placeX places the nodes of each layer near their neighbours.
func (l *svgLayout) placeX() {
	for r := range l.layers {
		l.placeLayer(r, nil)
	}
	up := func(n *svgNode) []int { return n.up }
	down := func(n *svgNode) []int { return n.down }
	both := func(n *svgNode) []int { return append(slices.Clone(n.up), n.down...) }
	for range svgSweeps {
		for r := 1; r < len(l.layers); r++ {
			l.placeLayer(r, up)
		}
		for r := len(l.layers) - 2; r >= 0; r-- {
			l.placeLayer(r, down)
		}
	}
	for range 2 {
		for r := range l.layers {
			l.placeLayer(r, both)
		}
	}
}

// placeLayer moves the nodes of layer r as near the mean x of their
// neighbours as the gaps allow; nodes without neighbours stay. A nil
// neighbours packs the layer around 0.
func (l *svgLayout) placeLayer(r int, neighbours func(*svgNode) []int) {
	layer := l.layers[r]
	desired := make([]float64, len(layer))
	weight := make([]float64, len(layer))
	sep := make([]float64, len(layer))
	for i, v := range layer {
		n := l.nodes[v]
		weight[i] = 4
		if n.aside() {
			weight[i] = 0.1 // edges passing by and refusals make way for the steps
		}
		if neighbours != nil {
			// A step lines up with the steps next to it rather than with
			// the edges passing by or a refusal, or the chart drifts
			// sideways.
			desired[i] = n.x
			sum, total := 0.0, 0.0
			for _, w := range neighbours(n) {
				k := 1.0
				if !n.dummy && l.nodes[w].aside() {
					k = 0.1
				}
				sum += k * l.nodes[w].x
				total += k
			}
			if total > 0 {
				desired[i] = sum / total
			}
		}
		if i > 0 {
			prev := l.nodes[layer[i-1]]
			gap := svgNodeGap
			if prev.dummy || n.dummy {
				gap = svgDummyGap
			}
			sep[i-1] = (prev.w+n.w)/2 + gap
		}
	}
	for i, x := range spreadRow(desired, weight, sep) {
		l.nodes[layer[i]].x = x
	}
}

// spreadRow places items in a row as near their desired centres as it can (the
// least weighted squares), in order and with at least sep[i] between the
// centres of items i and i+1, by pooling adjacent violators over the
// positions in a packed row.
func spreadRow(desired, weight, sep []float64) []float64 {
	n := len(desired)
	off := make([]float64, n)
	for i := 1; i < n; i++ {
		off[i] = off[i-1] + sep[i-1]
	}
	type block struct {
		w, wt float64
		n     int
	}
	var blocks []block
	for i := range n {
		b := block{weight[i], weight[i] * (desired[i] - off[i]), 1}
		for len(blocks) > 0 {
			last := blocks[len(blocks)-1]
			if last.wt/last.w <= b.wt/b.w {
				break
			}
			blocks = blocks[:len(blocks)-1]
			b = block{last.w + b.w, last.wt + b.wt, last.n + b.n}
		}
		blocks = append(blocks, b)
	}
	x := make([]float64, 0, n)
	for _, b := range blocks {
		for range b.n {
			x = append(x, b.wt/b.w+off[len(x)])
		}
	}
	return x
}

// flat is the width of the straight part of a node's top and bottom, where
// several edges may meet it side by side.
func (n *svgNode) flat() float64 {
	switch n.shape {
	case shapeDecide:
		return 0
	case shapeTerminal, shapeStart:
		return max(0, n.w-n.h)
	}
	return max(0, n.w-2*n.inset-8)
}

// route sets the ports of the edges, places their labels and the lanes of
// the edges that loop back.
func (l *svgLayout) route() {
	// Ports: an edge leaves the bottom of its source (enters the top of
	// its target) straight above (below) the node its first (last) segment
	// leads to (comes from), as far as the flat part of the side reaches,
	// and apart from the other edges there.
	type port struct {
		e       *svgEdge
		desired float64
	}
	outs := make([][]port, len(l.nodes))
	ins := make([][]port, len(l.nodes))
	for _, e := range l.edges {
		if !e.back {
			next := e.to
			if len(e.via) > 0 {
				next = e.via[0]
			}
			outs[e.from] = append(outs[e.from], port{e, l.nodes[next].x})
		}
	}
	// The right ends of the sides are kept for the edges looping back.
	backTop := make([]int, len(l.nodes))
	backBottom := make([]int, len(l.nodes))
	for _, e := range l.backs {
		backTop[e.from]++
		backBottom[e.to]++
	}
	setPorts := func(n *svgNode, ps []port, backs int, set func(*svgEdge, float64)) {
		slices.SortStableFunc(ps, func(a, b port) int { return cmp.Compare(a.desired, b.desired) })
		desired := make([]float64, len(ps))
		for i, p := range ps {
			desired[i] = p.desired
		}
		lo, hi := n.x-n.portRange(), n.x+n.portRange()
		hi = max(lo, hi-float64(backs)*portPitch)
		for i, x := range portRow(desired, lo, hi) {
			set(ps[i].e, x)
		}
	}
	for v, n := range l.nodes {
		setPorts(n, outs[v], backBottom[v], func(e *svgEdge, x float64) { e.out = x })
	}
	for _, e := range l.edges {
		if !e.back {
			prev := e.out
			if len(e.via) > 0 {
				prev = l.nodes[e.via[len(e.via)-1]].x
			}
			ins[e.to] = append(ins[e.to], port{e, prev})
		}
	}
	for v, n := range l.nodes {
		setPorts(n, ins[v], backTop[v], func(e *svgEdge, x float64) { e.in = x })
	}

	// Labels of forward edges: in the gap below the source, on the middle
	// of the edge's first segment, moved apart where they would overlap.
	for r := range l.layers {
		labels := l.gapLabels(r)
		for _, e := range labels {
			next := e.in
			if len(e.via) > 0 {
				next = l.nodes[e.via[0]].x
			}
			// The curve between is x = x1 + (x2-x1)·s, y = y1 + (y2-y1)·s
			// for one s(t): x is linear in y along it.
			e.ly = l.labelY[r]
			e.lx = e.out + (next-e.out)*(e.ly-l.bottom[r])/(l.top[r+1]-l.bottom[r])
		}
		slices.SortStableFunc(labels, func(a, b *svgEdge) int { return cmp.Compare(a.lx, b.lx) })
		desired := make([]float64, len(labels))
		weight := make([]float64, len(labels))
		sep := make([]float64, len(labels))
		for i, e := range labels {
			desired[i], weight[i] = e.lx, 1
			if i > 0 {
				sep[i-1] = (labels[i-1].lw+e.lw)/2 + 6
			}
		}
		for i, x := range spreadRow(desired, weight, sep) {
			labels[i].lx = x
		}
	}

	// Back edges: inner loops first, each on a lane right of everything in
	// the layers it spans, its label right of the lane, and right of the
	// lanes and labels it would meet.
	var placed []*svgEdge
	tops := make([]int, len(l.nodes)) // back edges placed on the top of each node
	bottoms := make([]int, len(l.nodes))
	for _, e := range l.backs {
		src, dst := l.nodes[e.from], l.nodes[e.to]
		e.out = backPort(src) - float64(tops[e.from])*portPitch
		e.in = backPort(dst) - float64(bottoms[e.to])*portPitch
		tops[e.from]++
		bottoms[e.to]++
		e.laneY = [2]float64{
			l.top[src.rank] - svgBackOffset - float64(e.backK[0])*svgBackPitch,
			l.bottom[dst.rank] + svgBackOffset + float64(e.backK[1])*svgBackPitch,
		}
		e.ly = (e.laneY[0] + e.laneY[1]) / 2
		lo, hi := e.band()
		right := max(e.out, e.in)
		for _, n := range l.nodes {
			if n.bottom() >= lo && n.top() <= hi {
				right = max(right, n.right())
			}
		}
		for _, f := range l.edges {
			if !f.back && f.hasLabel() && f.ly+f.lh/2 >= lo && f.ly-f.lh/2 <= hi {
				right = max(right, f.lx+f.lw/2)
			}
		}
		e.lane = right + 16
		for _, o := range placed {
			if olo, ohi := o.band(); olo <= hi && ohi >= lo {
				e.lane = max(e.lane, o.lane+o.lw+16)
			}
		}
		e.lx = e.lane + 4 + e.lw/2
		placed = append(placed, e)
	}
}

// band is the height a back edge takes: its lane and its label.
func (e *svgEdge) band() (lo, hi float64) {
	lo, hi = min(e.laneY[0], e.laneY[1]), max(e.laneY[0], e.laneY[1])
	if e.hasLabel() {
		lo, hi = min(lo, e.ly-e.lh/2), max(hi, e.ly+e.lh/2)
	}
	return lo, hi
}

// portRange is how far from the middle of a node's top or bottom edges
// may meet it side by side; the right end is kept for edges looping back.
func (n *svgNode) portRange() float64 {
	return max(0, n.flat()/2-12)
}

// portPitch is the least distance between edges meeting a node.
const portPitch = 10.0

// portRow places the ports of a side between lo and hi, each as near its
// desired x as it can while portPitch apart; desired is in order.
func portRow(desired []float64, lo, hi float64) []float64 {
	n := len(desired)
	if n == 0 {
		return nil
	}
	if float64(n-1)*portPitch >= hi-lo {
		// No room to spare: evenly over the side.
		x := make([]float64, n)
		for i := range x {
			x[i] = (lo + hi) / 2
			if n > 1 {
				x[i] = lo + (hi-lo)*float64(i)/float64(n-1)
			}
		}
		return x
	}
	weight := make([]float64, n)
	sep := make([]float64, n)
	for i := range desired {
		desired[i] = min(max(desired[i], lo), hi)
		weight[i], sep[i] = 1, portPitch
	}
	x := spreadRow(desired, weight, sep)
	if d := lo - x[0]; d > 0 {
		for i := range x {
			x[i] += d
		}
	}
	if d := x[n-1] - hi; d > 0 {
		for i := range x {
			x[i] -= d
		}
	}
	return x
}

// backPort is the x where an edge looping back leaves the top of its
// source or enters the bottom of its target: on the right, clear of the
// forward edges in the middle.
func backPort(n *svgNode) float64 {
	if n.shape == shapeDecide {
		return n.x + n.w/4 // on the slanted side: straight up (down) is outside
	}
	return n.x + max(n.flat()/2-2, 0)
}

// fit moves the drawing to the margins and sets its size.
func (l *svgLayout) fit() {
	minX, maxX := math.Inf(1), math.Inf(-1)
	maxY := 0.0
	for _, n := range l.nodes {
		minX, maxX = min(minX, n.left()), max(maxX, n.right())
		maxY = max(maxY, n.bottom())
	}
	for _, e := range l.edges {
		if e.hasLabel() {
			minX, maxX = min(minX, e.lx-e.lw/2), max(maxX, e.lx+e.lw/2)
		}
		if e.back {
			maxX = max(maxX, e.lane)
			maxY = max(maxY, e.laneY[0], e.laneY[1])
		}
	}
	titleW := 0.0
	for _, t := range l.title {
		titleW = max(titleW, t.width())
	}
	dx := svgMargin - minX
	if w := maxX - minX; w < titleW {
		dx += (titleW - w) / 2
	}
	for _, n := range l.nodes {
		n.x += dx
	}
	for _, e := range l.edges {
		e.out += dx
		e.in += dx
		e.lx += dx
		e.lane += dx
	}
	l.width = math.Ceil(max(maxX-minX, titleW) + 2*svgMargin)
	l.height = math.Ceil(maxY + svgMargin)
}

// path draws an edge: straight down through the layers it crosses, curved
// in the gaps between; a back edge goes up a lane on the right with rounded
// corners.
func (l *svgLayout) path(e *svgEdge) string {
	src, dst := l.nodes[e.from], l.nodes[e.to]
	var b strings.Builder
	if e.back {
		pts := [][2]float64{
			{e.out, backY(src, e.out, -1)},
			{e.out, e.laneY[0]},
			{e.lane, e.laneY[0]},
			{e.lane, e.laneY[1]},
			{e.in, e.laneY[1]},
			{e.in, backY(dst, e.in, 1)},
		}
		roundedPath(&b, pts, 8)
		return b.String()
	}
	x, y := e.out, src.bottom()
	fmt.Fprintf(&b, "M%s %s", svgNum(x), svgNum(y))
	down := false // a vertical line to y is pending
	flush := func() {
		if down {
			fmt.Fprintf(&b, "V%s", svgNum(y))
			down = false
		}
	}
	lineTo := func(ny float64) {
		if ny > y+0.05 {
			y, down = ny, true
		}
	}
	curveTo := func(nx, ny float64) {
		if math.Abs(nx-x) < 0.05 {
			lineTo(ny)
			return
		}
		flush()
		m := (y + ny) / 2
		fmt.Fprintf(&b, "C%s %s %s %s %s %s", svgNum(x), svgNum(m), svgNum(nx), svgNum(m), svgNum(nx), svgNum(ny))
		x, y = nx, ny
	}
	lineTo(l.bottom[src.rank])
	for _, v := range e.via {
		d := l.nodes[v]
		curveTo(d.x, l.top[d.rank])
		lineTo(l.bottom[d.rank])
	}
	curveTo(e.in, l.top[dst.rank])
	lineTo(dst.top())
	flush()
	return b.String()
}

// backY is where a back edge meets a node at x, right of its middle: on
// its top (dir -1) or bottom (dir 1).
func backY(n *svgNode, x, dir float64) float64 {
	if n.shape == shapeDecide {
		return n.y + dir*n.h/2*(1-(x-n.x)/(n.w/2))
	}
	return n.y + dir*n.h/2
}

// roundedPath draws a polyline of horizontal and vertical segments with
// rounded corners.
func roundedPath(b *strings.Builder, pts [][2]float64, radius float64) {
	fmt.Fprintf(b, "M%s %s", svgNum(pts[0][0]), svgNum(pts[0][1]))
	for i := 1; i < len(pts)-1; i++ {
		p, c, n := pts[i-1], pts[i], pts[i+1]
		lin, lout := math.Hypot(c[0]-p[0], c[1]-p[1]), math.Hypot(n[0]-c[0], n[1]-c[1])
		if lin < 0.05 || lout < 0.05 {
			continue
		}
		r := min(radius, lin/2, lout/2)
		ax, ay := c[0]-(c[0]-p[0])/lin*r, c[1]-(c[1]-p[1])/lin*r
		bx, by := c[0]+(n[0]-c[0])/lout*r, c[1]+(n[1]-c[1])/lout*r
		fmt.Fprintf(b, "L%s %sQ%s %s %s %s", svgNum(ax), svgNum(ay), svgNum(c[0]), svgNum(c[1]), svgNum(bx), svgNum(by))
	}
	last := pts[len(pts)-1]
	fmt.Fprintf(b, "L%s %s", svgNum(last[0]), svgNum(last[1]))
}

// Colours of the nodes, by shape or diagram class: fill, stroke, text.
var svgColours = map[string][3]string{
	shapeStep:     {"#ffffff", "#334155", "#0f172a"},
	shapeSystem:   {"#f1f5f9", "#64748b", "#0f172a"},
	shapeDecide:   {"#fef9c3", "#a16207", "#422006"},
	shapeFork:     {"#e0e7ff", "#4338ca", "#1e1b4b"},
	shapeJoin:     {"#e0e7ff", "#4338ca", "#1e1b4b"},
	shapeStart:    {"#e2e8f0", "#334155", "#0f172a"},
	classDone:     {"#dcfce7", "#15803d", "#14532d"},
	classRefused:  {"#fde2e1", "#b91c1c", "#7f1d1d"},
	classStopped:  {"#fef3c7", "#b45309", "#78350f"},
	classInPerson: {"#ffffff", "#b45309", "#0f172a"},
}

const (
	svgEdgeColour  = "#475569"
	svgLabelColour = "#334155"
)

// svg writes the document.
func (l *svgLayout) svg(marker string) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w(`<svg xmlns="http://www.w3.org/2000/svg" class="procedure-diagram" role="img" width="%s" height="%s" viewBox="0 0 %s %s" font-family="%s" font-size="%s">`+"\n",
		svgNum(l.width), svgNum(l.height), svgNum(l.width), svgNum(l.height), svgFontFamily, svgNum(svgFontSize))
	w("<title>%s</title>\n", svgEsc(l.name))
	w(`<defs><marker id="%s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto"><path d="M0 0L10 5L0 10z" fill="%s"/></marker></defs>`+"\n", marker, svgEdgeColour)

	w(`<g class="diagram-title">`)
	y := svgMargin
	for _, t := range l.title {
		y += t.height()
		w(`<text x="%s" y="%s"%s>%s</text>`, svgNum(svgMargin), svgNum(y-t.size*0.3), textAttrs(t, svgFontSize, "#0f172a"), svgEsc(t.s))
	}
	w("</g>\n")

	w(`<g class="edges" fill="none" stroke="%s" stroke-width="1.4">`+"\n", svgEdgeColour)
	for _, e := range l.edges {
		class, extra := "edge", ""
		switch {
		case e.back:
			class += " edge-back"
		case e.dashed:
			class += " edge-dashed"
			extra = ` stroke-dasharray="6 4"`
		}
		w(`<path class="%s" d="%s"%s marker-end="url(#%s)"/>`+"\n", class, l.path(e), extra, marker)
	}
	w("</g>\n")

	w(`<g class="edge-labels" font-size="%s" fill="%s">`+"\n", svgNum(svgLabelFontSize), svgLabelColour)
	for _, e := range l.edges {
		if !e.hasLabel() {
			continue
		}
		w(`<g class="edge-label"><rect x="%s" y="%s" width="%s" height="%s" rx="3" fill="#ffffff" fill-opacity="0.92"/>`,
			svgNum(e.lx-e.lw/2), svgNum(e.ly-e.lh/2), svgNum(e.lw), svgNum(e.lh))
		writeLines(&b, e.label, e.lx, e.ly, svgLabelFontSize, "")
		w("</g>\n")
	}
	w("</g>\n")

	w(`<g class="nodes">` + "\n")
	for _, n := range l.nodes {
		if n.dummy {
			continue
		}
		colours := svgColours[n.paint]
		w(`<g id="%s" class="%s"><title>%s</title>`, svgEsc(n.id), n.class, svgEsc(n.title))
		width := "1.4"
		if n.paint == classInPerson {
			width = "3"
		}
		paint := fmt.Sprintf(`fill="%s" stroke="%s" stroke-width="%s"`, colours[0], colours[1], width)
		switch n.shape {
		case shapeDecide:
			w(`<path d="M%s %sL%s %sL%s %sL%s %sz" %s/>`,
				svgNum(n.x), svgNum(n.top()), svgNum(n.right()), svgNum(n.y), svgNum(n.x), svgNum(n.bottom()), svgNum(n.left()), svgNum(n.y), paint)
		case shapeFork, shapeJoin:
			w(`<path d="M%s %sL%s %sL%s %sL%s %sL%s %sL%s %sz" %s/>`,
				svgNum(n.left()+n.inset), svgNum(n.top()), svgNum(n.right()-n.inset), svgNum(n.top()), svgNum(n.right()), svgNum(n.y),
				svgNum(n.right()-n.inset), svgNum(n.bottom()), svgNum(n.left()+n.inset), svgNum(n.bottom()), svgNum(n.left()), svgNum(n.y), paint)
		default:
			w(`<rect x="%s" y="%s" width="%s" height="%s" rx="%s" %s/>`,
				svgNum(n.left()), svgNum(n.top()), svgNum(n.w), svgNum(n.h), svgNum(n.inset), paint)
		}
		writeLines(&b, n.lines, n.x, n.y, svgFontSize, colours[2])
		w("</g>\n")
	}
	w("</g>\n</svg>\n")
	return b.Bytes()
}

// writeLines writes a block of lines centred on (cx, cy).
func writeLines(b *bytes.Buffer, lines []svgText, cx, cy, baseSize float64, fill string) {
	_, h := textBlockSize(lines)
	y := cy - h/2
	fmt.Fprintf(b, `<text text-anchor="middle"`)
	if fill != "" {
		fmt.Fprintf(b, ` fill="%s"`, fill)
	}
	b.WriteString(">")
	for _, t := range lines {
		lh := t.height()
		// The baseline, so that the glyphs sit in the middle of the line.
		fmt.Fprintf(b, `<tspan x="%s" y="%s"%s>%s</tspan>`, svgNum(cx), svgNum(y+lh/2+t.size*0.35), textAttrs(t, baseSize, ""), svgEsc(t.s))
		y += lh
	}
	b.WriteString("</text>")
}

func textAttrs(t svgText, baseSize float64, fill string) string {
	var s string
	if t.size != baseSize {
		s += ` font-size="` + svgNum(t.size) + `"`
	}
	if t.bold {
		s += ` font-weight="bold"`
	}
	if fill != "" {
		s += ` fill="` + fill + `"`
	}
	return s
}

// textWidth estimates the width of a line: a generous mean advance per
// rune, combining marks aside.
func textWidth(s string, size float64, bold bool) float64 {
	n := 0
	for _, r := range s {
		if !unicode.Is(unicode.Mn, r) {
			n++
		}
	}
	em := 0.58
	if bold {
		em = 0.63
	}
	return float64(n) * size * em
}

func textBlockSize(lines []svgText) (w, h float64) {
	for _, t := range lines {
		w = max(w, t.width())
		h += t.height()
	}
	return w, h
}

// splitName breaks a name longer than svgNameWrap runes in two lines, at
// the space nearest its middle, or a very long one in lines of at most
// svgNameMaxLine runes.
func splitName(s string) []string {
	runes := []rune(s)
	if len(runes) <= svgNameWrap {
		return []string{s}
	}
	two := splitMiddle(runes)
	for _, line := range two {
		if len([]rune(line)) > svgNameMaxLine {
			return wrapText(s, svgNameMaxLine)
		}
	}
	return two
}

// splitMiddle breaks a text in two at the space nearest its middle.
func splitMiddle(runes []rune) []string {
	s := string(runes)
	best := -1
	for i, r := range runes {
		if r == ' ' && (best < 0 || absInt(i-len(runes)/2) < absInt(best-len(runes)/2)) {
			best = i
		}
	}
	if best < 0 {
		return []string{s}
	}
	return []string{string(runes[:best]), string(runes[best+1:])}
}

func absInt(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// wrapText breaks a text into lines of at most width runes, between words,
// as even as it can; a longer word stands on a line of its own.
func wrapText(s string, width int) []string {
	lines := wrapGreedy(s, width)
	// The fewest lines, each as short as it can be.
	for w := width - 1; w > 0 && len(lines) > 1; w-- {
		shorter := wrapGreedy(s, w)
		if len(shorter) > len(lines) {
			break
		}
		lines = shorter
	}
	return lines
}

func wrapGreedy(s string, width int) []string {
	var lines []string
	var cur []string
	n := 0
	for _, word := range strings.Fields(s) {
		wl := len([]rune(word))
		if n > 0 && n+1+wl > width {
			lines = append(lines, strings.Join(cur, " "))
			cur, n = nil, 0
		}
		if n > 0 {
			n++
		}
		cur = append(cur, word)
		n += wl
	}
	if len(cur) > 0 {
		lines = append(lines, strings.Join(cur, " "))
	}
	return lines
}

// svgNum writes a coordinate with at most one decimal.
func svgNum(f float64) string {
	f = math.Round(f*10) / 10
	if f == 0 {
		f = 0 // no "-0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// svgEsc escapes a text for XML content or a double-quoted attribute.
func svgEsc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// svgIDPart keeps the characters of s that an id may hold in a url(#…).
func svgIDPart(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, s)
}
