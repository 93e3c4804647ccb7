package definitions

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// encodeJSON writes v as motcua diff --format json does.
func encodeJSON(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	return b.String()
}

func diffPair(t *testing.T) (old, new *Plan) {
	t.Helper()
	return loadPlanFile(t, "testdata/diff/khai-sinh-2024.yaml"), loadPlanFile(t, "testdata/diff/khai-sinh-2025.yaml")
}

func TestGoldenDiff(t *testing.T) {
	t.Parallel()
	old, new := diffPair(t)
	d := Diff(old, new)
	golden(t, "diff-khai-sinh.txt", d.Text())
	data := encodeJSON(t, d)
	golden(t, "diff-khai-sinh.json", data)
	require.Equal(t, data, encodeJSON(t, Diff(old, new)), "the diff must be deterministic")
}

func TestDiffReengineering(t *testing.T) {
	t.Parallel()
	old, new := diffPair(t)
	d := Diff(old, new)
	require.False(t, d.Unchanged)
	require.Equal(t, Change{Old: "2024.1", New: "2025.2"}, d.Version)
	require.Equal(t, Change{Old: old.Hash, New: new.Hash}, d.Hash)
	require.Equal(t, &Change{Old: ModePartialOnline, New: ModeFullOnline}, d.OnlineLevel)

	require.Len(t, d.ModesAdded, 1)
	require.Equal(t, ModeSummary{Mode: ModeFullOnline, TimeLimit: "trong ngày (nhận trước 15:00)", InPersonVisits: 0,
		Channels: []string{"online"}, Delivery: []string{"e_result", "postal"}, Steps: 12, LongestPathHours: 7}, d.ModesAdded[0])
	require.Empty(t, d.ModesRemoved)

	require.Len(t, d.Modes, 1)
	md := d.Modes[0]
	require.Equal(t, ModePartialOnline, md.Mode)
	require.Nil(t, md.TimeLimit)
	require.Equal(t, &IntChange{Old: 2, New: 1}, md.InPersonVisits)
	require.Equal(t, &HoursChange{Old: 8, New: 7}, md.LongestPathHours)
	require.Equal(t, []string{"online", "postal"}, md.ChannelsAdded)
	require.Equal(t, []string{"postal"}, md.DeliveryRemoved)
	require.Empty(t, md.Steps.Removed)
	ids := func(items []Item) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	require.Equal(t, []string{"xac_thuc", "nguoi_di_dang_ky", "kiem_tra_uy_quyen", "nop_phi", "lien_thong", "thong_bao_cong_dan", "bao_cong_an"},
		ids(md.Steps.Added), "steps in document order; gui_vneid is full-online only")
	require.Equal(t, ItemDiff{ID: "tham_dinh", Name: "Thẩm định, ghi sổ hộ tịch", Changes: []Change{
		{Field: "within", Old: "4 giờ làm việc", New: "2 giờ làm việc"},
		{Field: "exits.approve", Old: "ky_duyet", New: "nop_phi"},
	}}, md.Steps.Changed[1])

	require.Equal(t, []Item{{ID: "xac_nhan_cu_tru", Name: "Giấy xác nhận thông tin về cư trú của cha, mẹ", Detail: "1 bản chính"}}, d.Components.Removed)
	require.Equal(t, []string{"giay_uy_quyen"}, ids(d.Components.Added))
	var reuse *ItemDiff
	for i := range d.Components.Changed {
		if d.Components.Changed[i].ID == "giay_to_tuy_than" {
			reuse = &d.Components.Changed[i]
		}
	}
	require.NotNil(t, reuse)
	require.Equal(t, []Change{{Field: "reuse", Old: "", New: "population_db"}}, reuse.Changes)
	require.Equal(t, "to_khai", d.Components.Changed[0].ID)
	require.Equal(t, []string{"via_representative", "so_ban_sao"}, ids(d.Components.Changed[0].Form.Added))

	require.Equal(t, []Item{{ID: "phi_ban_sao", Name: "Lệ phí cấp bản sao trích lục khai sinh", Detail: "8.000 đồng, nộp trực tuyến được, khi so_ban_sao > 0"}}, d.Fees.Added)
	require.Equal(t, []Change{{Field: "payable_online", Old: "no", New: "yes"}}, d.Fees.Changed[0].Changes)
	require.Equal(t, []Change{{Field: "name", Old: "Giấy khai sinh (bản giấy)", New: "Giấy khai sinh (bản chính điện tử và bản giấy)"}}, d.Result)
}

func TestDiffBackwards(t *testing.T) {
	t.Parallel()
	old, new := diffPair(t)
	d := Diff(new, old)
	require.Equal(t, &Change{Old: ModeFullOnline, New: ModePartialOnline}, d.OnlineLevel)
	require.Len(t, d.ModesRemoved, 1)
	require.Equal(t, ModeFullOnline, d.ModesRemoved[0].Mode)
	require.Empty(t, d.ModesAdded)
	require.Equal(t, "giay_uy_quyen", d.Components.Removed[0].ID)
	require.Contains(t, d.Text(), "- trực tuyến toàn trình (full_online): thời hạn trong ngày")
}

func TestDiffUnchanged(t *testing.T) {
	t.Parallel()
	_, new := diffPair(t)
	d := Diff(new, loadPlanFile(t, "testdata/diff/khai-sinh-2025.yaml"))
	require.True(t, d.Unchanged)
	require.True(t, d.Empty())
	require.Equal(t, "Thủ tục 1.001193 Đăng ký khai sinh\nPhiên bản: 2025.2 (không đổi)\nMã băm: "+new.ShortHash()+" (không đổi)\nKhông có thay đổi nào về nội dung.\n", d.Text())
	data, err := json.Marshal(d)
	require.NoError(t, err)
	require.JSONEq(t, `{"code":"1.001193","name":"Đăng ký khai sinh","version":{"old":"2025.2","new":"2025.2"},
		"hash":{"old":"`+new.Hash+`","new":"`+new.Hash+`"},"unchanged":true}`, string(data))

	// Only the version label: still no change of content.
	relabelled := *new
	relabelled.Version = "2025.3"
	relabelled.Hash = relabelled.computeHash()
	d = Diff(new, &relabelled)
	require.True(t, d.Unchanged)
	require.Contains(t, d.Text(), "Phiên bản: 2025.2 → 2025.3\n")
	require.Contains(t, d.Text(), "Không có thay đổi nào về nội dung.")
}

func TestDiffExits(t *testing.T) {
	t.Parallel()
	a := []Exit{{When: "x > 1", Target: "s1"}, {When: "x > 2", Target: "s2"}, {Outcome: "otherwise", Target: "s3"}}
	require.Empty(t, diffExits(a, a))
	reordered := []Exit{a[1], a[0], a[2]}
	require.Equal(t, []Change{{Field: "exits", Old: "[x > 1] → s1, [x > 2] → s2, otherwise → s3", New: "[x > 2] → s2, [x > 1] → s1, otherwise → s3"}},
		diffExits(a, reordered), "decide cases are tried in order")
	require.Equal(t, []Change{
		{Field: "exits.[x > 2]", Old: "s2", New: ""},
		{Field: "exits.otherwise", Old: "s3", New: "refused"},
		{Field: "exits.[y]", Old: "", New: "s4"},
	}, diffExits(a, []Exit{a[0], {Outcome: "otherwise", Target: "refused"}, {When: "y", Target: "s4"}}))
}

func TestLongestPathMatchesTheLinter(t *testing.T) {
	t.Parallel()
	for _, c := range diagramCases {
		doc, err := ParseFile(c.file)
		require.NoError(t, err)
		require.True(t, doc.Valid())
		p := doc.Compile()
		for _, g := range doc.graphs {
			want := g.longest(doc.ix, g.start, map[string]bool{}, map[string]timedPath{}).hours
			require.Equal(t, want, p.Mode(g.mode).LongestPathHours(), "%s %s", c.file, g.mode)
		}
	}
	old, new := diffPair(t)
	require.Equal(t, 8.0, old.Mode(ModePartialOnline).LongestPathHours())
	require.Equal(t, 7.0, new.Mode(ModeFullOnline).LongestPathHours())
}

func TestFormatVND(t *testing.T) {
	t.Parallel()
	require.Equal(t, "0 đồng", formatVND(0))
	require.Equal(t, "8.000 đồng", formatVND(8000))
	require.Equal(t, "1.250.000 đồng", formatVND(1250000))
	require.Equal(t, "100 đồng", formatVND(100))
}
