package definitions

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// updateGolden rewrites the files under testdata/golden instead of comparing
// with them: go test ./definitions -run Golden -update
var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden compares got with testdata/golden/name, or rewrites the file with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./definitions -run Golden -update")
	require.Equal(t, string(want), got, "%s differs: check the change, then run go test ./definitions -run Golden -update", path)
}

// loadPlanFile compiles a definition that must be valid.
func loadPlanFile(t *testing.T, path string) *Plan {
	t.Helper()
	p, diags, err := LoadFile(path)
	require.NoError(t, err)
	require.NotNil(t, p, "%s is invalid:\n%s", path, diags.Error())
	return p
}

// The definitions drawn by the golden tests, named one by one: other
// procedures in procedures/ are not part of these tests.
var diagramCases = []struct {
	file  string
	modes []string
}{
	{"procedures/1.001193-dang-ky-khai-sinh.yaml", []string{ModeFullOnline, ModePartialOnline}},
	{"testdata/diff/khai-sinh-2024.yaml", []string{ModePartialOnline}},
	{"testdata/diff/khai-sinh-2025.yaml", []string{ModeFullOnline, ModePartialOnline}},
}

func TestGoldenDiagrams(t *testing.T) {
	t.Parallel()
	for _, c := range diagramCases {
		p := loadPlanFile(t, c.file)
		base := strings.TrimSuffix(filepath.Base(c.file), ".yaml")
		for _, mode := range c.modes {
			for _, f := range []struct {
				ext  string
				draw func(*Plan, string) (string, error)
			}{{"mmd", Mermaid}, {"dot", DOT}} {
				name := base + "." + mode + "." + f.ext
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					got, err := f.draw(p, mode)
					require.NoError(t, err)
					again, err := f.draw(p, mode)
					require.NoError(t, err)
					require.Equal(t, got, again, "output must be deterministic")
					golden(t, name, got)
				})
			}
		}
	}
}

func TestDiagramModeNotOffered(t *testing.T) {
	t.Parallel()
	p := loadPlanFile(t, "testdata/diff/khai-sinh-2024.yaml")
	for _, draw := range []func(*Plan, string) (string, error){Mermaid, DOT} {
		_, err := draw(p, ModeFullOnline)
		require.ErrorContains(t, err, `does not offer mode "full_online" (it offers partial_online)`)
		_, err = draw(p, "online")
		require.Error(t, err)
	}
}

func TestDiagramShowsTheProcedure(t *testing.T) {
	t.Parallel()
	p := loadPlanFile(t, "testdata/diff/khai-sinh-2025.yaml")

	full, err := Mermaid(p, ModeFullOnline)
	require.NoError(t, err)
	for _, want := range []string{
		"title: \"1.001193 Đăng ký khai sinh · trực tuyến toàn trình (full_online) · thời hạn trong ngày (nhận trước 15:00) · phiên bản 2025.2 · " + p.ShortHash() + "\"",
		"flowchart TD",
		// name, kind, role's name, allotted time
		`s_tham_dinh["Thẩm định, ghi sổ hộ tịch<br/>Xử lý · Công chức Tư pháp - Hộ tịch<br/>2 giờ làm việc"]`,
		// decide: a diamond, edges labelled by condition, then otherwise
		`s_nguoi_di_dang_ky{"Người đi đăng ký<br/>Rẽ nhánh"}`,
		`s_nguoi_di_dang_ky -->|"via_representative"| s_kiem_tra_uy_quyen`,
		`s_nguoi_di_dang_ky -->|"otherwise"| s_tham_dinh`,
		// parallel: fork to each branch, branches end at the join, the join goes on
		`s_lien_thong -->|"Công dân"| s_thong_bao_cong_dan`,
		`s_lien_thong -->|"Công an xã"| s_bao_cong_an`,
		`s_gui_vneid -->|"sent"| j_lien_thong`,
		`s_bao_cong_an -->|"sent"| j_lien_thong`,
		`j_lien_thong -->|"joined"| s_tra_ket_qua`,
		// the ends
		`s_tham_dinh -.->|"refuse"| t_refused`,
		`s_nop_phi -.->|"timeout"| t_stopped`,
		`s_tra_ket_qua --> t_done`,
		`t_done(["Kết thúc"])`, `t_refused(["Từ chối"])`, `t_stopped(["Dừng xử lý"])`,
	} {
		require.Contains(t, full, want)
	}
	require.NotContains(t, full, "s_lien_thong -->|\"joined\"", "the ways out of a parallel step leave from its join")

	partial, err := Mermaid(p, ModePartialOnline)
	require.NoError(t, err)
	require.NotContains(t, partial, "gui_vneid", "a full-online step is not drawn in partial_online")
	require.Contains(t, partial, `s_thong_bao_cong_dan -->|"sent"| j_lien_thong`)

	old := loadPlanFile(t, "testdata/diff/khai-sinh-2024.yaml")
	m, err := Mermaid(old, ModePartialOnline)
	require.NoError(t, err)
	require.Contains(t, m, "1 giờ làm việc<br/>Công dân đến trực tiếp\"]")
	require.Contains(t, m, "class s_tra_ket_qua inperson")
	require.NotContains(t, m, "t_stopped", "an end no edge leads to is not drawn")
	d, err := DOT(old, ModePartialOnline)
	require.NoError(t, err)
	require.Contains(t, d, `s_tra_ket_qua [label="Trả kết quả tại Bộ phận một cửa\nTrả kết quả · Công chức Bộ phận một cửa\n1 giờ làm việc\nCông dân đến trực tiếp", shape=box, color="#b45309", penwidth=3];`)

	ex := loadPlanFile(t, "procedures/1.001193-dang-ky-khai-sinh.yaml")
	m, err = Mermaid(ex, ModeFullOnline)
	require.NoError(t, err)
	require.Contains(t, m, `s_xac_thuc -->|"passed / failed"| s_tham_dinh`, "outcomes to the same step share an edge")
}

// escapePlan is a small plan whose texts hold every character that could
// break out of a label in either syntax.
func escapePlan() *Plan {
	p := &Plan{
		Code: "1.000001", Name: `Thủ tục "thử" <b>#1</b> a|b \N`, Version: `v"1`,
		Roles: []Role{{ID: "r", Name: "Vai trò `x` & <y>", Agency: "a"}},
		Modes: []ModePlan{{
			Mode: ModeFullOnline, Start: "end",
			TimeLimit: TimeLimit{WorkingDays: 2, Counting: "days", Cutoff: DefaultCutoff},
			Steps: []PlanStep{
				{ID: "end", Kind: KindReception, Name: "Tiếp nhận\n\"hồ sơ\"", Role: "r", Within: &Duration{WorkingHours: 4},
					Exits: []Exit{{Outcome: "accept", Target: "chon"}, {Outcome: "refuse", Target: TargetRefused}}},
				{ID: "chon", Kind: KindDecide,
					Exits: []Exit{{When: `gender == "Nữ" && age > 1 || x < 2 # y`, Target: "tra"}, {Outcome: "otherwise", Target: "tra"}}},
				{ID: "tra", Kind: KindReturn, Role: "r", Within: &Duration{WorkingDays: 2}},
			},
		}},
	}
	p.Hash = p.computeHash()
	return p
}

func TestDiagramEscapesLabels(t *testing.T) {
	t.Parallel()
	p := escapePlan()
	m, err := Mermaid(p, ModeFullOnline)
	require.NoError(t, err)
	require.Contains(t, m, `title: "1.000001 Thủ tục \"thử\" <b>#1</b> a|b \\N · `, "the front matter title is a YAML double-quoted string")
	require.Contains(t, m, `s_end["Tiếp nhận #34;hồ sơ#34;<br/>Tiếp nhận · Vai trò #96;x#96; #38; #60;y#62;<br/>4 giờ làm việc"]`)
	require.Contains(t, m, `s_chon -->|"gender == #34;Nữ#34; #38;#38; age #62; 1 #124;#124; x #60; 2 #35; y / otherwise"| s_tra`)
	require.Contains(t, m, `s_tra["tra<br/>Trả kết quả · Vai trò #96;x#96; #38; #60;y#62;<br/>2 ngày làm việc"]`, "a step without a name shows its id")
	for _, l := range strings.Split(m, "\n")[4:] {
		// Outside the title, quotes only open and close labels.
		require.Zero(t, strings.Count(l, `"`)%2, l)
		require.NotContains(t, l, "<b>", l)
	}

	d, err := DOT(p, ModeFullOnline)
	require.NoError(t, err)
	require.Contains(t, d, `graph [label="1.000001 Thủ tục \"thử\" <b>#1</b> a|b \\N\ntrực tuyến toàn trình (full_online) · thời hạn 2 ngày làm việc · phiên bản v\"1 · `)
	require.Contains(t, d, `s_end [label="Tiếp nhận \"hồ sơ\"\nTiếp nhận · Vai trò `+"`x`"+` & <y>\n4 giờ làm việc", shape=box];`)
	require.Contains(t, d, `s_chon -> s_tra [label="gender == \"Nữ\" && age > 1 || x < 2 # y / otherwise"];`)
}

func TestNodeIDsAreSafeAndUnique(t *testing.T) {
	t.Parallel()
	ids := newNodeIDs()
	require.Equal(t, "s_end", ids.get("s_", "end"))
	require.Equal(t, "s_end", ids.get("s_", "end"), "the same step keeps its id")
	require.Equal(t, "s_a_b", ids.get("s_", "a-b"))
	require.Equal(t, "s_a_b_2", ids.get("s_", "a.b"), "ids that clean up alike stay apart")
	require.Equal(t, "s_b__c", ids.get("s_", "bước"), "letters outside ASCII become _")
	require.Equal(t, "j_x", ids.get("j_", "x"))
	require.Equal(t, "t_done_2", ids.get("t_", "done"), "no step takes the id of an end")
}

func TestFormatDurations(t *testing.T) {
	t.Parallel()
	require.Equal(t, "2 ngày làm việc", FormatDuration(Duration{WorkingDays: 2}))
	require.Equal(t, "4 giờ làm việc", FormatDuration(Duration{WorkingHours: 4}))
	require.Equal(t, "trong ngày (nhận trước 15:00)", FormatTimeLimit(TimeLimit{SameDay: true, Counting: "days", Cutoff: "15:00"}))
	require.Equal(t, "3 ngày làm việc", FormatTimeLimit(TimeLimit{WorkingDays: 3, Counting: "days", Cutoff: "15:00"}))
	require.Equal(t, "3 ngày làm việc (nhận trước 16:30, tính theo giờ)", FormatTimeLimit(TimeLimit{WorkingDays: 3, Counting: "hours", Cutoff: "16:30"}))
	require.Equal(t, "12 giờ làm việc (tính theo ngày)", FormatTimeLimit(TimeLimit{WorkingHours: 12, Counting: "days", Cutoff: "15:00"}))
	require.Equal(t, "7 giờ làm việc", formatHoursVI(7))
	require.Equal(t, "1 ngày làm việc (8 giờ)", formatHoursVI(8))
	require.Equal(t, "1 ngày 4.5 giờ làm việc (12.5 giờ)", formatHoursVI(12.5))
}

func TestDiagramNestedParallelAndConsult(t *testing.T) {
	t.Parallel()
	p := &Plan{
		Code: "1.000002", Name: "Lồng nhau", Version: "1",
		Agencies: []Agency{{ID: "so", Name: "Sở Xây dựng"}},
		Roles:    []Role{{ID: "cv", Name: "Chuyên viên", Agency: "so"}},
		Modes: []ModePlan{{
			Mode: ModePartialOnline, Start: "p",
			TimeLimit: TimeLimit{WorkingDays: 5, Counting: "days", Cutoff: DefaultCutoff},
			Steps: []PlanStep{
				{ID: "p", Kind: KindParallel, Branches: []PlanBranch{{Start: "q"}, {Start: "z"}}, Exits: []Exit{{Outcome: "joined", Target: "tra"}}},
				{ID: "q", Kind: KindParallel, Parent: "p", Branches: []PlanBranch{{Start: "x"}, {Start: "y"}}, Exits: []Exit{{Outcome: "joined", Target: TargetJoin}}},
				{ID: "x", Kind: KindConsult, Parent: "q", Role: "cv", Agency: "so", Within: &Duration{WorkingDays: 2},
					Exits: []Exit{{Outcome: "agree", Target: TargetJoin}, {Outcome: "disagree", Target: TargetStopped}}},
				{ID: "y", Kind: KindNotify, Parent: "q", To: "cv", Exits: []Exit{{Outcome: "sent", Target: TargetJoin}}},
				{ID: "z", Kind: KindTask, Parent: "p", Role: "cv", InPerson: true, Within: &Duration{WorkingHours: 4},
					Exits: []Exit{{Outcome: "done", Target: TargetJoin}}},
				{ID: "tra", Kind: KindReturn, Role: "cv"},
			},
		}},
	}
	m, err := Mermaid(p, ModePartialOnline)
	require.NoError(t, err)
	var order []string
	for _, match := range regexp.MustCompile(`(?m)^    ([a-z0-9_]+)[\[({]`).FindAllStringSubmatch(m, -1) {
		order = append(order, match[1])
	}
	require.Equal(t, []string{"s_p", "s_q", "s_x", "s_y", "j_q", "s_z", "j_p", "s_tra", "t_done", "t_stopped"}, order,
		"each join follows the steps of its branches")
	for _, want := range []string{
		`s_x["x<br/>Lấy ý kiến liên thông · Chuyên viên<br/>tại Sở Xây dựng<br/>2 ngày làm việc"]`,
		`s_y("y<br/>Thông báo<br/>gửi Chuyên viên")`,
		`s_z["z<br/>Xử lý · Chuyên viên<br/>4 giờ làm việc<br/>Công dân đến trực tiếp"]`,
		`s_p -->|"nhánh 1"| s_q`, `s_p -->|"nhánh 2"| s_z`,
		`s_q -->|"nhánh 1"| s_x`, `s_q -->|"nhánh 2"| s_y`,
		`s_x -->|"agree"| j_q`, `s_x -.->|"disagree"| t_stopped`, `s_y -->|"sent"| j_q`,
		`j_q -->|"joined"| j_p`, `s_z -->|"done"| j_p`, `j_p -->|"joined"| s_tra`,
		"class s_z inperson",
	} {
		require.Contains(t, m, want)
	}
	require.Equal(t, 16.0, p.Modes[0].LongestPathHours(), "a parallel step counts its longest branch")
}
