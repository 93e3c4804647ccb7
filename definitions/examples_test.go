package definitions

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// compileShippedProcedure parses definitions/procedures/<name>, requires it
// to be free of diagnostics and returns its plan.
func compileShippedProcedure(tb testing.TB, name string) *Plan {
	tb.Helper()
	file := filepath.Join("procedures", name)
	data, err := os.ReadFile(file)
	require.NoError(tb, err)
	doc := Parse(file, data)
	require.Empty(tb, doc.Diagnostics, "diagnostics of %s", file)
	plan := doc.Compile()
	require.NotNil(tb, plan)
	return plan
}

// modeStep returns a step of a mode's plan, failing when it is absent.
func modeStep(tb testing.TB, p *Plan, mode, id string) *PlanStep {
	tb.Helper()
	mp := p.Mode(mode)
	require.NotNil(tb, mp, "mode %s of %s", mode, p.Code)
	s := mp.Step(id)
	require.NotNil(tb, s, "step %s in %s of %s", id, mode, p.Code)
	return s
}

func TestShippedProceduresAreValid(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("procedures", "*.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 6)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			p := compileShippedProcedure(t, filepath.Base(file))
			require.True(t, strings.HasPrefix(filepath.Base(file), p.Code+"-"), "a file is named <code>-<slug>.yaml")
			require.Len(t, p.Hash, 64)
			require.NotEmpty(t, p.Modes)
			for _, mp := range p.Modes {
				require.Equal(t, "tiep_nhan", mp.Start, "every shipped procedure starts at its reception step")
				require.Equal(t, KindReception, mp.Step(mp.Start).Kind)
			}

			f, err := os.Open(file)
			require.NoError(t, err)
			defer f.Close()
			first := bufio.NewScanner(f)
			require.True(t, first.Scan())
			require.Equal(t, "# yaml-language-server: $schema=../../schema/procedure.schema.json", first.Text())
		})
	}
}

func TestShippedCatalogLoads(t *testing.T) {
	t.Parallel()
	cat, err := LoadCatalog(".")
	require.NoError(t, err)
	require.Equal(t, []int{2025, 2026, 2027}, cat.Years())
	for _, code := range []string{"1.001193", "1.001612", "3.000333", "9.000001", "9.000002", "9.000003"} {
		require.NotNil(t, cat.Plan(code), "procedure %s", code)
	}
}

func TestShippedProcedurePlans(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		level  string
		modes  []string
		visits map[string]int // in-person visits per mode
		check  func(t *testing.T, p *Plan)
	}{
		{
			file:   "1.001193-dang-ky-khai-sinh.yaml",
			level:  "commune",
			modes:  []string{ModeFullOnline, ModePartialOnline},
			visits: map[string]int{ModeFullOnline: 0, ModePartialOnline: 0},
			check: func(t *testing.T, p *Plan) {
				mp := p.Mode(ModeFullOnline)
				require.True(t, mp.TimeLimit.SameDay)
				require.Equal(t, "15:00", mp.TimeLimit.Cutoff)
				require.Equal(t, []Exit{{Outcome: "passed", Target: "tham_dinh"}, {Outcome: "failed", Target: "tham_dinh"}},
					modeStep(t, p, ModeFullOnline, "xac_thuc").Exits)
			},
		},
		{
			file:   "1.001612-dang-ky-thanh-lap-ho-kinh-doanh.yaml",
			level:  "commune",
			modes:  []string{ModeFullOnline, ModePartialOnline},
			visits: map[string]int{ModeFullOnline: 0, ModePartialOnline: 0},
			check: func(t *testing.T, p *Plan) {
				require.Equal(t, "phong_kinh_te", p.Agency)
				require.Equal(t, TimeLimit{WorkingDays: 3, Counting: "days", Cutoff: DefaultCutoff}, p.Mode(ModeFullOnline).TimeLimit)
				require.Len(t, p.Fees, 1)
				require.Equal(t, int64(100000), p.Fees[0].Amount)
				require.Equal(t, int64(50000), *p.Fees[0].OnlineAmount)
				require.True(t, p.Fees[0].PayableOnline)
				for _, mode := range []string{ModeFullOnline, ModePartialOnline} {
					pay := modeStep(t, p, mode, "nop_le_phi")
					require.Equal(t, KindPay, pay.Kind)
					require.Equal(t, []string{"le_phi_dang_ky_hkd"}, pay.Fees)
					require.Equal(t, []Exit{{Outcome: "paid", Target: "kiem_tra_ten"}, {Outcome: "timeout", Target: TargetStopped}}, pay.Exits)
					name := modeStep(t, p, mode, "kiem_tra_ten")
					require.Equal(t, "business_name", name.Check)
					require.Equal(t, []Exit{{Outcome: "passed", Target: "tham_dinh"}, {Outcome: "failed", Target: "xu_ly_trung_ten"}}, name.Exits)
				}
				require.Equal(t, []Exit{{Outcome: "da_sua_ten", Target: "tham_dinh"}, {Outcome: "refuse", Target: TargetRefused}},
					modeStep(t, p, ModeFullOnline, "xu_ly_trung_ten").Exits)
				members, err := EvalCondition(p, p.Components[1].When, map[string]any{"thanh_vien_ho_gia_dinh": true}, ModeFullOnline, "online")
				require.NoError(t, err)
				require.True(t, members, "the household meeting minutes are asked for when members register together")
			},
		},
		{
			file:   "3.000333-cap-phieu-ly-lich-tu-phap.yaml",
			level:  "province",
			modes:  []string{ModeFullOnline, ModePartialOnline},
			visits: map[string]int{ModeFullOnline: 0, ModePartialOnline: 0},
			check: func(t *testing.T, p *Plan) {
				require.Equal(t, "cong_an_tinh", p.Agency)
				require.Equal(t, 10, p.Mode(ModePartialOnline).TimeLimit.WorkingDays)
				lookup := modeStep(t, p, ModeFullOnline, "tra_cuu")
				require.Equal(t, "criminal_record_db", lookup.Check)
				require.Equal(t, []Exit{{Outcome: "passed", Target: "lap_phieu"}, {Outcome: "failed", Target: "xac_minh_toa_an"}}, lookup.Exits)
				consult := modeStep(t, p, ModeFullOnline, "xac_minh_toa_an")
				require.Equal(t, KindConsult, consult.Kind)
				require.Equal(t, "toa_an", consult.Agency)
				require.Equal(t, &Duration{WorkingDays: 5}, consult.Within)
				require.Equal(t, []Exit{
					{Outcome: "da_xoa_an_tich", Target: "lap_phieu"},
					{Outcome: "chua_xoa_an_tich", Target: "lap_phieu"},
					{Outcome: "khong_co_thong_tin", Target: "lap_phieu"},
				}, consult.Exits)
				require.Equal(t, []string{"phi_lltp", "phi_lltp_uu_dai"}, modeStep(t, p, ModeFullOnline, "nop_phi").Fees)
				for _, tt := range []struct {
					group      string
					full, half bool
				}{
					{"Công dân (mức thông thường)", true, false},
					{"Sinh viên, người có công với cách mạng, thân nhân liệt sĩ", false, true},
					{"Đối tượng được miễn phí", false, false},
				} {
					values := map[string]any{"doi_tuong_phi": tt.group}
					full, err := EvalCondition(p, p.Fees[0].When, values, ModeFullOnline, "online")
					require.NoError(t, err)
					half, err := EvalCondition(p, p.Fees[1].When, values, ModeFullOnline, "online")
					require.NoError(t, err)
					require.Equal(t, []bool{tt.full, tt.half}, []bool{full, half}, tt.group)
				}
			},
		},
		{
			file:   "9.000001-cap-giay-phep-xay-dung-nha-o-rieng-le.yaml",
			level:  "commune",
			modes:  []string{ModeFullOnline, ModePartialOnline},
			visits: map[string]int{ModeFullOnline: 0, ModePartialOnline: 1},
			check: func(t *testing.T, p *Plan) {
				full, partial := p.Mode(ModeFullOnline), p.Mode(ModePartialOnline)
				require.Nil(t, full.Step("kiem_tra_thuc_dia"), "the in-person inspection is not part of the full-online mode")
				require.Nil(t, partial.Step("doi_chieu_hien_trang"))
				require.Equal(t, []Exit{{Outcome: "da_kiem_tra", Target: "tham_dinh"}}, full.Step("doi_chieu_hien_trang").Exits,
					"the skipped in-person step is resolved to the step after it")
				require.Equal(t, "doi_chieu_hien_trang", full.Step("nop_le_phi").Exits[0].Target)
				require.Equal(t, "kiem_tra_thuc_dia", partial.Step("nop_le_phi").Exits[0].Target)
				inspect := partial.Step("kiem_tra_thuc_dia")
				require.True(t, inspect.InPerson)
				require.True(t, inspect.Supplement)
				require.Equal(t, &Duration{WorkingDays: 7}, inspect.Within)
				require.Equal(t, 15, partial.TimeLimit.WorkingDays)
				require.Equal(t, []Exit{{Outcome: "approve", Target: "ky_giay_phep"}, {Outcome: "refuse", Target: TargetRefused}},
					partial.Step("tham_dinh").Exits)
				photos := p.Components[len(p.Components)-1]
				require.Equal(t, "anh_hien_trang", photos.ID)
				for mode, want := range map[string]bool{ModeFullOnline: true, ModePartialOnline: false} {
					got, err := EvalCondition(p, photos.When, nil, mode, "online")
					require.NoError(t, err)
					require.Equal(t, want, got, mode)
				}
			},
		},
		{
			file:   "9.000002-dang-ky-cap-giay-chung-nhan-lan-dau.yaml",
			level:  "commune",
			modes:  []string{ModePartialOnline},
			visits: map[string]int{ModePartialOnline: 0},
			check: func(t *testing.T, p *Plan) {
				require.Nil(t, p.Mode(ModeFullOnline))
				mp := p.Mode(ModePartialOnline)
				require.Equal(t, []Exit{{Outcome: "passed", Target: "phan_loai"}, {Outcome: "failed", Target: "trich_do"}},
					mp.Step("tra_cuu_thua_dat").Exits)
				require.Equal(t, "land_parcel", mp.Step("tra_cuu_thua_dat").Check)
				require.Equal(t, []Exit{{Outcome: "da_trich_do", Target: "phan_loai"}, {Outcome: "co_tranh_chap_ranh_gioi", Target: TargetRefused}},
					mp.Step("trich_do").Exits)

				origin := mp.Step("phan_loai")
				require.Equal(t, KindDecide, origin.Kind)
				require.Equal(t, []Exit{
					{When: `nguon_goc != "Có giấy tờ về quyền sử dụng đất"`, Target: "xac_nhan_nguon_goc"},
					{Outcome: "otherwise", Target: "tham_tra"},
				}, origin.Exits)

				duty := mp.Step("nghia_vu_tai_chinh")
				require.Len(t, duty.Exits, 3)
				require.Equal(t, Exit{Outcome: "otherwise", Target: "nop_le_phi"}, duty.Exits[2])
				require.Equal(t, []Exit{{Outcome: "answered", Target: "thong_bao_nghia_vu"}}, mp.Step("chuyen_thue").Exits)
				require.Equal(t, "co_quan_thue", mp.Step("chuyen_thue").Agency)

				// Which way the dossier goes for some form data: the first
				// case that holds wins.
				route := func(s *PlanStep, values map[string]any) string {
					for _, e := range s.Exits {
						if e.When == "" {
							return e.Target
						}
						ok, err := EvalCondition(p, e.When, values, ModePartialOnline, "in_person")
						require.NoError(t, err)
						if ok {
							return e.Target
						}
					}
					return ""
				}
				withPapers := "Có giấy tờ về quyền sử dụng đất"
				since1993 := "Không có giấy tờ, sử dụng từ ngày 15/10/1993 đến trước ngày 01/7/2014"
				before1993 := "Không có giấy tờ, sử dụng ổn định trước ngày 15/10/1993"
				for _, tt := range []struct {
					name         string
					values       map[string]any
					origin, duty string
				}{
					{"residential land with papers within the limit", map[string]any{"nguon_goc": withPapers, "loai_dat": "Đất ở", "dien_tich": 150.0}, "tham_tra", "nop_le_phi"},
					{"residential land with papers over the limit", map[string]any{"nguon_goc": withPapers, "loai_dat": "Đất ở", "dien_tich": 250.5}, "tham_tra", "chuyen_thue"},
					{"farm land without papers since 1993", map[string]any{"nguon_goc": since1993, "loai_dat": "Đất nông nghiệp", "dien_tich": 5000.0}, "xac_nhan_nguon_goc", "chuyen_thue"},
					{"farm land without papers before 1993", map[string]any{"nguon_goc": before1993, "loai_dat": "Đất nông nghiệp", "dien_tich": 5000.0}, "xac_nhan_nguon_goc", "nop_le_phi"},
				} {
					require.Equal(t, tt.origin, route(origin, tt.values), tt.name)
					require.Equal(t, tt.duty, route(duty, tt.values), tt.name)
				}
			},
		},
		{
			file:   "9.000003-lien-thong-khai-sinh-thuong-tru-bhyt.yaml",
			level:  "commune",
			modes:  []string{ModeFullOnline},
			visits: map[string]int{ModeFullOnline: 0},
			check: func(t *testing.T, p *Plan) {
				mp := p.Mode(ModeFullOnline)
				require.Equal(t, 3, mp.TimeLimit.WorkingDays)
				par := mp.Step("lien_thong")
				require.Equal(t, KindParallel, par.Kind)
				require.Equal(t, []PlanBranch{{Name: "Đăng ký thường trú", Start: "dang_ky_thuong_tru"}, {Name: "Cấp thẻ bảo hiểm y tế", Start: "cap_the_bhyt"}}, par.Branches)
				require.Equal(t, []Exit{{Outcome: "joined", Target: "thong_bao_ket_qua"}}, par.Exits)
				for _, tt := range []struct{ step, agency string }{
					{"dang_ky_thuong_tru", "cong_an_xa"},
					{"cap_the_bhyt", "bhxh_co_so"},
				} {
					s := mp.Step(tt.step)
					require.Equal(t, KindConsult, s.Kind)
					require.Equal(t, tt.agency, s.Agency)
					require.Equal(t, "lien_thong", s.Parent)
					require.Equal(t, &Duration{WorkingDays: 2}, s.Within)
					require.Equal(t, []Exit{{Outcome: "answered", Target: TargetJoin}}, s.Exits)
				}
				require.Equal(t, []Exit{{Outcome: "signed", Target: "lien_thong"}}, mp.Step("ky_giay_khai_sinh").Exits)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			p := compileShippedProcedure(t, tt.file)
			require.Equal(t, tt.level, p.Level)
			var modes []string
			for _, mp := range p.Modes {
				modes = append(modes, mp.Mode)
				require.Equal(t, "tiep_nhan", mp.Start)
				want, ok := tt.visits[mp.Mode]
				require.True(t, ok, "visits of %s", mp.Mode)
				require.Equal(t, want, mp.InPersonVisits, "in-person visits in %s", mp.Mode)
			}
			require.Equal(t, tt.modes, modes)
			tt.check(t, p)
		})
	}
}
