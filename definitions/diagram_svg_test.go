package definitions

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type examplePlan struct {
	base string // the file name without .yaml
	plan *Plan
}

// examplePlans compiles every example procedure under procedures/.
func examplePlans(t *testing.T) []examplePlan {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("procedures", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []examplePlan
	for _, f := range files {
		out = append(out, examplePlan{strings.TrimSuffix(filepath.Base(f), ".yaml"), loadPlanFile(t, f)})
	}
	return out
}

// svgDoc is what the tests read back from an SVG document.
type svgDoc struct {
	ids     []string            // id attributes, in document order
	classes map[string][]string // classes of the element with each id
	texts   []string            // character data of <text> and <title>, in order
	refs    []string            // url(#…) references
}

// parseSVG parses a document with encoding/xml, failing on any error.
func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	doc := svgDoc{classes: map[string][]string{}}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	root := true
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		switch tok := tok.(type) {
		case xml.StartElement:
			if root {
				require.Equal(t, "svg", tok.Name.Local)
				require.Equal(t, "http://www.w3.org/2000/svg", tok.Name.Space)
				root = false
			}
			require.NotContains(t, []string{"script", "foreignObject", "image", "use", "a", "style"}, tok.Name.Local)
			stack = append(stack, tok.Name.Local)
			var id, class string
			for _, a := range tok.Attr {
				require.NotContains(t, strings.ToLower(a.Name.Local), "href")
				require.False(t, strings.HasPrefix(strings.ToLower(a.Name.Local), "on"), "event handler %s", a.Name.Local)
				switch a.Name.Local {
				case "id":
					id = a.Value
				case "class":
					class = a.Value
				}
				for _, m := range regexp.MustCompile(`url\(([^)]*)\)`).FindAllStringSubmatch(a.Value, -1) {
					require.True(t, strings.HasPrefix(m[1], "#"), "only references inside the document: %s", m[0])
					doc.refs = append(doc.refs, m[1][1:])
				}
			}
			if id != "" {
				require.NotContains(t, doc.classes, id, "duplicate id %s", id)
				doc.ids = append(doc.ids, id)
				doc.classes[id] = strings.Fields(class)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && (stack[len(stack)-1] == "tspan" || stack[len(stack)-1] == "text" || stack[len(stack)-1] == "title") {
				if s := strings.TrimSpace(string(tok)); s != "" {
					doc.texts = append(doc.texts, string(tok))
				}
			}
		}
	}
	require.False(t, root, "no root element")
	for _, ref := range doc.refs {
		require.Contains(t, doc.classes, ref, "url(#%s) refers to no element", ref)
	}
	return doc
}

func TestGoldenDiagramSVG(t *testing.T) {
	t.Parallel()
	for _, ex := range examplePlans(t) {
		p := ex.plan
		for _, mp := range p.Modes {
			name := ex.base + "." + mp.Mode + ".svg"
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				got, err := DiagramSVG(p, mp.Mode)
				require.NoError(t, err)
				again, err := DiagramSVG(p, mp.Mode)
				require.NoError(t, err)
				require.Equal(t, string(got), string(again), "output must be deterministic")
				require.Less(t, len(got), 48<<10, "an SVG of one procedure stays small")
				golden(t, name, string(got))

				doc := parseSVG(t, got)
				for _, s := range mp.Steps {
					require.Contains(t, doc.ids, "step-"+s.ID, "step %s is drawn", s.ID)
					require.Contains(t, doc.classes["step-"+s.ID], "node")
					if s.Kind == KindParallel {
						require.Contains(t, doc.ids, "join-"+s.ID)
					}
					if s.Kind == KindDecide {
						require.Contains(t, doc.classes["step-"+s.ID], "node-decide")
					}
				}
				require.Contains(t, doc.ids, "start")
				require.Contains(t, doc.ids, "end-done")
				require.Equal(t, "start", doc.ids[1], "the start comes first, after the arrowhead")
			})
		}
	}
}

func TestDiagramSVGShowsTheProcedure(t *testing.T) {
	t.Parallel()
	p := loadPlanFile(t, "testdata/diff/khai-sinh-2025.yaml")
	got, err := DiagramSVG(p, ModeFullOnline)
	require.NoError(t, err)
	s := string(got)
	doc := parseSVG(t, got)

	// The same nodes as the Mermaid chart, with the start before them.
	m, err := Mermaid(p, ModeFullOnline)
	require.NoError(t, err)
	var mermaidIDs []string
	for _, match := range regexp.MustCompile(`(?m)^    ([a-z0-9_]+)[\[({]`).FindAllStringSubmatch(m, -1) {
		mermaidIDs = append(mermaidIDs, match[1])
	}
	svgIDs := []string{"start"}
	for _, id := range mermaidIDs {
		switch {
		case strings.HasPrefix(id, "s_"):
			svgIDs = append(svgIDs, "step-"+p.Mode(ModeFullOnline).Step(id[2:]).ID)
		case strings.HasPrefix(id, "j_"):
			svgIDs = append(svgIDs, "join-"+id[2:])
		default:
			svgIDs = append(svgIDs, "end-"+strings.TrimPrefix(id, "t_"))
		}
	}
	require.Equal(t, svgIDs, doc.ids[1:])
	require.Equal(t, strings.Count(m, "-->")+strings.Count(m, "-.->")+1, strings.Count(s, `<path class="edge`), "every edge of the chart, and the one from the start")
	require.Equal(t, strings.Count(m, "-.->"), strings.Count(s, `class="edge edge-dashed"`))

	for _, want := range []string{
		`<title>1.001193 Đăng ký khai sinh · trực tuyến toàn trình (full_online) · thời hạn trong ngày (nhận trước 15:00) · phiên bản 2025.2 · ` + p.ShortHash() + `</title>`,
		// name, kind and role, allotted time
		`<g id="step-tham_dinh" class="node node-step"><title>Thẩm định, ghi sổ hộ tịch&#xA;Xử lý · Công chức Tư pháp - Hộ tịch&#xA;2 giờ làm việc&#xA;(tham_dinh)</title>`,
		`font-weight="bold">Thẩm định, ghi sổ hộ tịch</tspan>`, `>Xử lý · Công chức Tư pháp - Hộ tịch</tspan>`, `>2 giờ làm việc</tspan>`,
		// a name of more than 28 runes on two lines
		`font-weight="bold">Đối chiếu thông tin với Cơ sở</tspan>`, `font-weight="bold">dữ liệu quốc gia về dân cư</tspan>`,
		`<g id="step-nguoi_di_dang_ky" class="node node-decide">`,
		`<g id="step-lien_thong" class="node node-fork">`,
		`<g id="join-lien_thong" class="node node-join"><title>Hợp nhánh · Thông báo và liên thông</title>`,
		`<g id="step-nop_phi" class="node node-system">`,
		`<g id="end-done" class="node end end-done">`, `<g id="end-refused" class="node end end-refused">`, `<g id="end-stopped" class="node end end-stopped">`,
		`>Kết thúc</tspan>`, `>Từ chối</tspan>`, `>Dừng xử lý</tspan>`, `>Bắt đầu</tspan>`,
		// outcomes and branches as labels
		`>via_representative</tspan>`, `>otherwise</tspan>`, `>Công an xã</tspan>`, `>joined</tspan>`, `>timeout</tspan>`,
		`font-family="'Noto Sans', 'Segoe UI', Roboto, Arial, 'Helvetica Neue', sans-serif"`,
		`<marker id="arrow-full_online-` + p.ShortHash() + `"`,
	} {
		require.Contains(t, s, want)
	}
	partial, err := DiagramSVG(p, ModePartialOnline)
	require.NoError(t, err)
	require.NotContains(t, string(partial), "gui_vneid", "a full-online step is not drawn in partial_online")
	require.Contains(t, string(partial), `id="step-thong_bao_cong_dan"`)
	require.Regexp(t, `^<svg xmlns="http://www.w3.org/2000/svg" class="procedure-diagram" role="img" width="(\d+)" height="(\d+)" viewBox="0 0 (\d+) (\d+)"`, s)

	old := loadPlanFile(t, "testdata/diff/khai-sinh-2024.yaml")
	got, err = DiagramSVG(old, ModePartialOnline)
	require.NoError(t, err)
	require.Contains(t, string(got), `<g id="step-tra_ket_qua" class="node node-step inperson">`)
	require.Contains(t, string(got), `>Công dân đến trực tiếp</tspan>`)
	require.NotContains(t, string(got), "end-stopped", "an end no edge leads to is not drawn")
}

func TestDiagramSVGModeNotOffered(t *testing.T) {
	t.Parallel()
	p := loadPlanFile(t, "testdata/diff/khai-sinh-2024.yaml")
	_, err := DiagramSVG(p, ModeFullOnline)
	require.EqualError(t, err, `procedure 1.001193 does not offer mode "full_online" (it offers partial_online)`)
	_, err = DiagramSVG(p, "online")
	require.EqualError(t, err, `procedure 1.001193 does not offer mode "online" (it offers partial_online)`)
	_, err = DiagramSVG(nil, ModeFullOnline)
	require.Error(t, err)

	broken := &Plan{Code: "1.000009", Name: "Hỏng", Modes: []ModePlan{{Mode: ModeFullOnline, Start: "a", Steps: []PlanStep{
		{ID: "a", Kind: KindTask, Exits: []Exit{{Outcome: "done", Target: "khong_co"}}},
	}}}}
	_, err = DiagramSVG(broken, ModeFullOnline)
	require.EqualError(t, err, "procedure 1.000009, mode full_online: an edge from s_a leads to s_khong_co, which is not drawn")
}

func TestDiagramSVGEscapesTexts(t *testing.T) {
	t.Parallel()
	p := escapePlan()
	got, err := DiagramSVG(p, ModeFullOnline)
	require.NoError(t, err)
	doc := parseSVG(t, got)
	s := string(got)
	require.NotContains(t, s, "<b>")
	require.NotContains(t, s, "<y>")
	require.Contains(t, s, `Vai trò `+"`x`"+` &amp; &lt;y&gt;`)
	require.Contains(t, s, `Tiếp nhận &#34;hồ sơ&#34;`)
	require.Contains(t, s, `&amp;&amp; age &gt; 1`)
	// Read back, the texts are the original ones.
	require.Contains(t, doc.texts, `1.000001 Thủ tục "thử" <b>#1</b> a|b \N`)
	require.Contains(t, doc.texts, `Tiếp nhận · Vai trò `+"`x`"+` & <y>`)
	require.Contains(t, doc.texts, `Tiếp nhận "hồ sơ"`, "a line break in a name becomes a space")
	require.Contains(t, strings.Join(doc.texts, " "), `gender == "Nữ" && age > 1 || x < 2 # y / otherwise`)
	require.Contains(t, doc.ids, "step-end")

	// A control character, which XML cannot hold, does not break the document.
	p.Modes[0].Steps[0].Name = "a\x01b\uFFFEc"
	got, err = DiagramSVG(p, ModeFullOnline)
	require.NoError(t, err)
	parseSVG(t, got)
}

// loopPlan sends the dossier back: a leader returns it for another review
// or to the reception, and the review can ask the reception again.
func loopPlan() *Plan {
	p := &Plan{
		Code: "1.000003", Name: "Vòng lặp", Version: "1",
		Roles: []Role{{ID: "cv", Name: "Chuyên viên"}, {ID: "ld", Name: "Lãnh đạo"}},
		Modes: []ModePlan{{
			Mode: ModePartialOnline, Start: "nhan",
			TimeLimit: TimeLimit{WorkingDays: 5, Counting: "days", Cutoff: DefaultCutoff},
			Steps: []PlanStep{
				{ID: "nhan", Kind: KindReception, Role: "cv", Within: &Duration{WorkingHours: 4},
					Exits: []Exit{{Outcome: "accept", Target: "xem"}, {Outcome: "refuse", Target: TargetRefused}}},
				{ID: "xem", Kind: KindTask, Role: "cv", Within: &Duration{WorkingDays: 1},
					Exits: []Exit{{Outcome: "approve", Target: "ky"}, {Outcome: "hoi_lai_bo_phan_mot_cua", Target: "nhan"}}},
				{ID: "ky", Kind: KindSign, Role: "ld", Within: &Duration{WorkingHours: 4},
					Exits: []Exit{{Outcome: "signed", Target: "tra"}, {Outcome: "xem_lai", Target: "xem"}, {Outcome: "nhan_lai", Target: "nhan"}}},
				{ID: "tra", Kind: KindReturn, Role: "cv"},
			},
		}},
	}
	p.Hash = p.computeHash()
	return p
}

func TestDiagramSVGLoopsBack(t *testing.T) {
	t.Parallel()
	p := loopPlan()
	got, err := DiagramSVG(p, ModePartialOnline)
	require.NoError(t, err)
	parseSVG(t, got)
	require.Equal(t, 3, strings.Count(string(got), `class="edge edge-back"`))
	require.Contains(t, string(got), ">xem_lai</tspan>")

	d, err := buildDiagram(p, ModePartialOnline)
	require.NoError(t, err)
	l, err := layoutDiagram(d)
	require.NoError(t, err)
	ranks := map[string]int{}
	for _, n := range l.nodes {
		if !n.dummy {
			ranks[n.id] = n.rank
		}
	}
	require.Equal(t, map[string]int{"start": 0, "step-nhan": 1, "step-xem": 2, "step-ky": 3, "step-tra": 4, "end-done": 5, "end-refused": 2}, ranks,
		"the layer of the longest path from the start, loops aside")
	lanes := map[string]float64{}
	for _, e := range l.edges {
		if !e.back {
			continue
		}
		lo, hi := e.band()
		for _, n := range l.nodes {
			if n.bottom() >= lo && n.top() <= hi {
				require.Greater(t, e.lane, n.right(), "a loop passes right of the steps beside it")
			}
		}
		lanes[e.label[0].s] = e.lane
	}
	require.Len(t, lanes, 3)
	require.Greater(t, lanes["nhan_lai"], lanes["xem_lai"], "the longer loop goes round the shorter ones")
	require.Greater(t, lanes["nhan_lai"], lanes["hoi_lai_bo_phan_mot_cua"], "the longer loop goes round the shorter ones")
}

type svgTestRect struct {
	what                     string
	left, top, right, bottom float64
}

func (a svgTestRect) overlaps(b svgTestRect) bool {
	return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
}

// TestDiagramSVGNodesDoNotOverlap checks the layout of every example, and
// of the plans of the other tests: no two boxes overlap, nor a label a box
// or another label, and everything lies inside the document.
func TestDiagramSVGNodesDoNotOverlap(t *testing.T) {
	t.Parallel()
	type drawing struct {
		name string
		p    *Plan
		mode string
	}
	var drawings []drawing
	for _, ex := range examplePlans(t) {
		for _, mp := range ex.plan.Modes {
			drawings = append(drawings, drawing{ex.base, ex.plan, mp.Mode})
		}
	}
	for _, f := range []string{"testdata/diff/khai-sinh-2024.yaml", "testdata/diff/khai-sinh-2025.yaml"} {
		p := loadPlanFile(t, f)
		for _, mp := range p.Modes {
			drawings = append(drawings, drawing{f, p, mp.Mode})
		}
	}
	drawings = append(drawings, drawing{"escape", escapePlan(), ModeFullOnline}, drawing{"loop", loopPlan(), ModePartialOnline})
	for _, dr := range drawings {
		d, err := buildDiagram(dr.p, dr.mode)
		require.NoError(t, err)
		l, err := layoutDiagram(d)
		require.NoError(t, err)
		var rects []svgTestRect
		for _, n := range l.nodes {
			if !n.dummy {
				rects = append(rects, svgTestRect{n.id, n.left(), n.top(), n.right(), n.bottom()})
			}
		}
		boxes := len(rects)
		for _, e := range l.edges {
			if e.hasLabel() {
				rects = append(rects, svgTestRect{"label " + e.label[0].s, e.lx - e.lw/2, e.ly - e.lh/2, e.lx + e.lw/2, e.ly + e.lh/2})
			}
		}
		require.Greater(t, boxes, 3)
		for i, a := range rects {
			require.GreaterOrEqual(t, a.left, 0.0, "%s %s: %s", dr.name, dr.mode, a.what)
			require.GreaterOrEqual(t, a.top, 0.0, "%s %s: %s", dr.name, dr.mode, a.what)
			require.LessOrEqual(t, a.right, l.width, "%s %s: %s", dr.name, dr.mode, a.what)
			require.LessOrEqual(t, a.bottom, l.height, "%s %s: %s", dr.name, dr.mode, a.what)
			for _, b := range rects[i+1:] {
				require.False(t, a.overlaps(b), "%s %s: %s overlaps %s", dr.name, dr.mode, a.what, b.what)
			}
		}
	}
}

func TestSVGTextHelpers(t *testing.T) {
	t.Parallel()
	// Runes, not bytes: "Đăng ký" is 7 runes and 11 bytes; a combining
	// mark takes no room of its own.
	require.Equal(t, textWidth("Dang ky", 10, false), textWidth("Đăng ký", 10, false))
	require.Equal(t, textWidth("Đăng ký", 10, false), textWidth("Đăng ky\u0301", 10, false))
	require.Greater(t, textWidth("Đăng ký", 10, true), textWidth("Đăng ký", 10, false))

	require.Equal(t, []string{"Tiếp nhận hồ sơ"}, splitName("Tiếp nhận hồ sơ"))
	require.Equal(t, []string{"Đối chiếu thông tin với Cơ sở", "dữ liệu quốc gia về dân cư"}, splitName("Đối chiếu thông tin với Cơ sở dữ liệu quốc gia về dân cư"))
	require.Equal(t, []string{strings.Repeat("ư", 40)}, splitName(strings.Repeat("ư", 40)), "a name without a space stays on one line")
	require.Equal(t, []string{"Kiểm tra trùng tên hộ kinh doanh", "trên Hệ thống thông tin quốc gia", "về đăng ký hộ kinh doanh"},
		splitName("Kiểm tra trùng tên hộ kinh doanh trên Hệ thống thông tin quốc gia về đăng ký hộ kinh doanh"), "a very long name takes more lines")

	require.Equal(t, []string{"a b", "ccc", "dddddd"}, wrapText("a b ccc dddddd", 4))
	require.Equal(t, []string{"passed / failed"}, wrapText("passed / failed", 32))

	require.Equal(t, []float64{-15, 15}, spreadRow([]float64{0, 0}, []float64{1, 1}, []float64{30}), "packed around the desired centre")
	require.Equal(t, []float64{0, 100}, spreadRow([]float64{0, 100}, []float64{1, 1}, []float64{30}), "free where there is room")
	require.Equal(t, []float64{-10, 20}, spreadRow([]float64{0, 0}, []float64{2, 1}, []float64{30}), "the heavier moves less")

	require.Equal(t, "0", svgNum(-0.01))
	require.Equal(t, "12.3", svgNum(12.34))
	require.Equal(t, "arrow-full_online-abc", svgIDPart(`arrow-full_online-a"b c)`))
}
