package definitions

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// baseDefinition is a small valid definition; each rule test changes one
// part of it. Line numbers in the expected messages refer to the changed text.
const baseDefinition = `code: "1.000001"
name: Thủ tục mẫu
sector: Hộ tịch
level: commune
agency: ubnd_xa
version: "1"
effective_from: 2025-07-01
modes:
  full_online:
    channels: [online]
    delivery: [e_result]
  partial_online:
    channels: [online, in_person]
    delivery: [counter]
time_limit: { working_days: 3 }
fees:
  - { id: le_phi, name: Lệ phí, amount: 50000, payable_online: true }
result: { kind: document, name: Giấy chứng nhận }
agencies:
  - { id: ubnd_xa, name: UBND xã }
  - { id: cong_an, name: Công an tỉnh }
roles:
  - { id: mot_cua, name: Một cửa, agency: ubnd_xa }
  - { id: chuyen_vien, name: Chuyên viên, agency: ubnd_xa }
  - { id: lanh_dao, name: Lãnh đạo, agency: ubnd_xa }
  - { id: can_bo_ca, name: Cán bộ công an, agency: cong_an }
components:
  - id: to_khai
    name: Tờ khai
    form:
      - { id: area, label: Diện tích, type: number, rules: "required,gt=0" }
      - { id: owner, label: Chủ sở hữu, type: string, rules: "required,max=100" }
steps:
  - id: tiep_nhan
    kind: reception
    role: mot_cua
    within: { working_hours: 4 }
  - id: nop_phi
    kind: pay
    timeout: { working_days: 5 }
  - id: tham_dinh
    kind: task
    role: chuyen_vien
    within: { working_days: 1 }
    supplement: true
    outcomes:
      approve: ky
      refuse: refused
  - id: ky
    kind: sign
    role: lanh_dao
    within: { working_hours: 4 }
  - id: tra
    kind: return
    role: mot_cua
    within: { working_hours: 4 }
`

func lintText(t *testing.T, text string) []string {
	t.Helper()
	doc := Parse("p.yaml", []byte(text))
	out := make([]string, len(doc.Diagnostics))
	for i, d := range doc.Diagnostics {
		out[i] = d.String()
	}
	return out
}

func TestBaseDefinitionIsValid(t *testing.T) {
	t.Parallel()
	require.Empty(t, lintText(t, baseDefinition))
}

// edit replaces old (which must occur exactly once) by new in the base.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	require.Equal(t, 1, strings.Count(baseDefinition, old), "edit target %q must occur once", old)
	return strings.Replace(baseDefinition, old, new, 1)
}

func TestLintRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"unknown field with suggestion", "    role: chuyen_vien\n", "    rol: chuyen_vien\n",
			[]string{`p.yaml:43:5: steps[2]: unknown field "rol" (did you mean "role"?)`}},
		{"comma in a flow mapping", "label: Chủ sở hữu,", `label: Chủ, sở hữu,`,
			[]string{`p.yaml:32:34: components[0].form[1]: unknown field "sở hữu" (a value with a comma inside { } must be quoted)`}},
		{"unknown top-level field", "sector: Hộ tịch\n", "sector: Hộ tịch\nasignee: x\n",
			[]string{`p.yaml:4:1: unknown field "asignee"`}},
		{"wrong type", "time_limit: { working_days: 3 }", "time_limit: { working_days: ba }",
			[]string{`p.yaml:15:29: time_limit.working_days: expected a whole number, got "ba"`}},
		{"list expected", "    channels: [online]\n", "    channels: online\n",
			[]string{`p.yaml:10:15: modes.full_online.channels: expected a list, got "online"`}},
		{"missing required field", "name: Thủ tục mẫu\n", "",
			[]string{`p.yaml:1:1: missing required field "name"`}},
		{"bad enum with suggestion", "level: commune", "level: comune",
			[]string{`p.yaml:4:8: level: "comune" is not one of: province, district, commune (did you mean "commune"?)`}},
		{"bad procedure code", `code: "1.000001"`, `code: "1-000001"`,
			[]string{`p.yaml:1:7: code: "1-000001" is not a national catalog code such as "1.001193"`}},
		{"bad id", "  - id: tra\n", "  - id: Tra\n",
			[]string{`p.yaml:53:9: steps[4].id: "Tra" is not a valid id: use lower-case letters, digits and _ and start with a letter`}},
		{"duplicate step id", "  - id: ky\n", "  - id: tham_dinh\n",
			[]string{`p.yaml:47:16: step "tham_dinh": outcome "approve" leads to unknown step "ky"`,
				`p.yaml:49:9: steps[3]: step id "tham_dinh" is already used at line 41`}},
		{"duplicate key", "    supplement: true\n", "    supplement: true\n    supplement: false\n",
			[]string{`p.yaml:46:5: field "supplement" is given twice`}},
		{"dangling reference", "      approve: ky\n", "      approve: kyy\n",
			[]string{`p.yaml:47:16: step "tham_dinh": outcome "approve" leads to unknown step "kyy" (did you mean "ky"?)`}},
		{"unknown role", "    role: lanh_dao\n", "    role: lanhdao\n",
			[]string{`p.yaml:51:11: steps[3].role: unknown role "lanhdao" (did you mean "lanh_dao"?)`}},
		{"key foreign to kind", "    timeout: { working_days: 5 }\n", "    timeout: { working_days: 5 }\n    role: mot_cua\n",
			[]string{`p.yaml:41:5: step "nop_phi": "role" does not apply to a pay step`}},
		{"unknown kind", "    kind: sign\n", "    kind: sing\n",
			[]string{`p.yaml:50:11: steps[3].kind: "sing" is not one of: reception, task, sign, pay, consult, parallel, decide, auto, notify, return (did you mean "sign"?)`}},
		{"loop without exit", "      refuse: refused\n", "      refuse: tiep_nhan\n    next: tiep_nhan\n",
			[]string{`p.yaml:49:5: step "tham_dinh": "next" does not apply to a task step`,
				`p.yaml:49:5: step "tham_dinh": give either next or outcomes, not both`}},
		{"loop without exit (real)", "    role: lanh_dao\n    within: { working_hours: 4 }\n", "    role: lanh_dao\n    within: { working_hours: 4 }\n    outcomes: { back: xem_lai }\n  - id: xem_lai\n    kind: task\n    role: chuyen_vien\n    within: { working_hours: 1 }\n    outcomes: { again: ky }\n",
			[]string{`p.yaml:10:5: full_online: no return step is reached, so the result is never returned`,
				`p.yaml:13:5: partial_online: no return step is reached, so the result is never returned`,
				`p.yaml:49:9: step "ky": in full_online every path from here loops without an exit: ky → xem_lai → ky`,
				`p.yaml:49:9: step "ky": in partial_online every path from here loops without an exit: ky → xem_lai → ky`,
				`p.yaml:54:9: step "xem_lai": in full_online every path from here loops without an exit: xem_lai → ky → xem_lai`,
				`p.yaml:54:9: step "xem_lai": in partial_online every path from here loops without an exit: xem_lai → ky → xem_lai`,
				`p.yaml:59:9: step "tra" is never reached in full_online`,
				`p.yaml:59:9: step "tra" is never reached in partial_online`}},
		{"path never ends", "  - id: tra\n    kind: return\n", "  - id: tra\n    kind: notify\n    to: applicant\n    message: Xong\n",
			[]string{`p.yaml:53:5: step "tra" is the last step and is not a return step: add next, or end the procedure with a return step`,
				`p.yaml:57:5: step "tra": "role" does not apply to a notify step`,
				`p.yaml:58:5: step "tra": "within" does not apply to a notify step`}},
		{"time limit exceeded", "time_limit: { working_days: 3 }", "time_limit: { working_days: 2 }",
			[]string{`p.yaml:15:13: full_online: the allotted times add up to 2 working days 4 hours along tiep_nhan → tham_dinh → ky → tra, more than the time limit of 2 working days`,
				`p.yaml:15:13: partial_online: the allotted times add up to 2 working days 4 hours along tiep_nhan → tham_dinh → ky → tra, more than the time limit of 2 working days`}},
		{"full-online needs citizen in person", "    supplement: true\n", "    supplement: true\n    in_person: true\n",
			[]string{`p.yaml:46:5: step "tham_dinh" needs the citizen in person, which a full-online mode cannot (limit the step to partial_online with modes)`}},
		{"full-online counter delivery", "    delivery: [e_result]\n", "    delivery: [e_result, counter]\n",
			[]string{`p.yaml:11:26: modes.full_online: delivery "counter" needs the citizen in person; return the result as e_result or by postal`}},
		{"full-online fee not payable online", "amount: 50000, payable_online: true }", "amount: 50000 }",
			[]string{`p.yaml:17:5: fees[0]: fee "le_phi" cannot be paid online, so the procedure cannot be full-online (set payable_online: true)`}},
		{"unknown validator tag", `rules: "required,max=100"`, `rules: "required,maxx=100"`,
			[]string{`p.yaml:32:62: components[0].form[1].rules: unknown validator tag "maxx" (did you mean "max"?)`}},
		{"bad validator parameter", `rules: "required,gt=0"`, `rules: "required,gt=abc"`,
			[]string{`p.yaml:31:60: components[0].form[0].rules: invalid rules "required,gt=abc" for a number field: strconv.ParseFloat: parsing "abc": invalid syntax`}},
		{"ill-typed expression", "  - id: tra\n", "  - id: chon\n    kind: decide\n    cases:\n      - { when: area > \"x\", next: tra }\n    otherwise: tra\n  - id: tra\n",
			[]string{`p.yaml:56:22: steps[4].cases[0].when: condition "area > \"x\"": invalid operation: > (mismatched types float64 and string)`}},
		{"unknown name in expression", "  - id: tra\n", "  - id: chon\n    kind: decide\n    cases:\n      - { when: \"arae > 5\", next: tra }\n    otherwise: tra\n  - id: tra\n",
			[]string{`p.yaml:56:18: steps[4].cases[0].when: condition "arae > 5": unknown name arae`}},
		{"consult role of another agency", "  - id: tra\n", "  - id: hoi\n    kind: consult\n    agency: cong_an\n    role: lanh_dao\n    within: { working_hours: 1 }\n  - id: tra\n",
			[]string{`p.yaml:56:11: step "hoi": role "lanh_dao" belongs to "ubnd_xa", not to the consulted agency "cong_an"`}},
		{"first step not reception", "  - id: tiep_nhan\n    kind: reception\n    role: mot_cua\n    within: { working_hours: 4 }\n", "",
			[]string{`p.yaml:34:5: full_online: the first step must be a reception step, got pay step "nop_phi"`,
				`p.yaml:34:5: partial_online: the first step must be a reception step, got pay step "nop_phi"`}},
		{"bad mode name", "    kind: pay\n", "    kind: pay\n    modes: [full_online, partial_onlin]\n",
			[]string{`p.yaml:40:26: steps[1].modes[1]: "partial_onlin" is not one of: full_online, partial_online (did you mean "partial_online"?)`}},
		{"mode not offered", "  full_online:\n    channels: [online]\n    delivery: [e_result]\n", "",
			[]string{`p.yaml:37:13: step "nop_phi" applies to full_online, which the procedure does not offer`}},
		{"parallel branch leaves its list", "  - id: tra\n", "  - id: song_song\n    kind: parallel\n    branches:\n      - steps:\n          - { id: hoi_a, kind: consult, agency: cong_an, role: can_bo_ca, within: { working_hours: 1 }, next: tra }\n      - steps:\n          - { id: hoi_b, kind: consult, agency: cong_an, role: can_bo_ca, within: { working_hours: 1 } }\n  - id: tra\n",
			[]string{`p.yaml:57:111: step "hoi_a": next leads to step "tra" in another branch; steps may only lead to steps of their own list`}},
		{"invalid YAML", "level: commune\n", "level: [commune\n",
			[]string{`p.yaml:3:1: invalid YAML: did not find expected ',' or ']'`}},
		{"empty time limit", "time_limit: { working_days: 3 }", "time_limit: {}",
			[]string{`p.yaml:15:13: time_limit: set one of working_days, working_hours or same_day`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			text := edit(t, tc.old, tc.new)
			if tc.name == "mode not offered" {
				text = strings.Replace(text, "    kind: pay\n", "    kind: pay\n    modes: [full_online]\n", 1)
			}
			got := lintText(t, text)
			if os.Getenv("PRINT_LINT") != "" {
				fmt.Printf("%q: %#v\n", tc.name, got)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestLintEmptyAndNonMapping(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{`p.yaml:1:1: file is empty: a definition starts with code, name and steps`}, lintText(t, ""))
	require.Equal(t, []string{`p.yaml:1:1: document: expected a mapping, got a list`}, lintText(t, "- a\n- b\n")[:1])
}

func TestPlanHashIsStableAndSensitive(t *testing.T) {
	t.Parallel()
	p1, d1 := Load("a.yaml", []byte(baseDefinition))
	require.Empty(t, d1)
	p2, _ := Load("b.yaml", []byte(baseDefinition))
	require.Equal(t, p1.Hash, p2.Hash, "the file name is not part of the hash")
	p3, _ := Load("a.yaml", []byte(edit(t, "within: { working_days: 1 }", "within: { working_hours: 7 }")))
	require.NotEqual(t, p1.Hash, p3.Hash)
	require.Len(t, p1.Hash, 64)
}

func TestLintHostileYAML(t *testing.T) {
	t.Parallel()
	got := lintText(t, "steps: &a [{branches: [{steps: *a}], id: x, kind: parallel}]\n")
	require.Contains(t, got, `p.yaml:1:32: steps[0].branches[0].steps: alias *a refers to a value that contains it`)

	// 30 parallel steps nested in each other: more levels than the decoder takes.
	deep := "steps: " + strings.Repeat("[{id: x, kind: parallel, branches: [{steps: ", 30) + strings.Repeat("}]}]", 30) + "\n"
	got = lintText(t, deep)
	require.Contains(t, strings.Join(got, "\n"), "nested more than 40 levels deep")
}

// A return step limited to one mode is passed over in the other, so each
// mode can return its own way.
func TestReturnStepPerMode(t *testing.T) {
	t.Parallel()
	text := edit(t, "  - id: tra\n    kind: return\n    role: mot_cua\n    within: { working_hours: 4 }\n",
		"  - id: tra_dien_tu\n    kind: return\n    role: mot_cua\n    modes: [full_online]\n"+
			"  - id: tra_quay\n    kind: return\n    role: mot_cua\n    in_person: true\n    modes: [partial_online]\n")
	p, diags := Load("p.yaml", []byte(text))
	require.Empty(t, diags)
	require.Equal(t, []Exit{{Outcome: "signed", Target: "tra_dien_tu"}}, p.Mode(ModeFullOnline).Step("ky").Exits)
	require.Equal(t, []Exit{{Outcome: "signed", Target: "tra_quay"}}, p.Mode(ModePartialOnline).Step("ky").Exits)
	require.Equal(t, 0, p.Mode(ModeFullOnline).InPersonVisits)
	require.Equal(t, 1, p.Mode(ModePartialOnline).InPersonVisits, "collecting at the counter is the in-person return step, counted once")
}

// InPersonVisits is the most visits along one path, not the sum over
// alternative branches.
func TestInPersonVisitsTakesTheWorstPath(t *testing.T) {
	t.Parallel()
	text := edit(t, "  - id: tra\n",
		"  - id: chon\n    kind: decide\n    cases:\n      - { when: area > 100, next: do_dac }\n    otherwise: xem_nha\n"+
			"  - id: do_dac\n    kind: task\n    role: chuyen_vien\n    within: { working_hours: 1 }\n    in_person: true\n    modes: [partial_online]\n    outcomes: { ok: xem_nha }\n"+
			"  - id: xem_nha\n    kind: task\n    role: chuyen_vien\n    within: { working_hours: 1 }\n    in_person: true\n    modes: [partial_online]\n    outcomes: { ok: tra }\n"+
			"  - id: tra\n")
	text = strings.Replace(text, "time_limit: { working_days: 3 }", "time_limit: { working_days: 4 }", 1)
	// full_online would skip do_dac and xem_nha: each has one way out.
	p, diags := Load("p.yaml", []byte(text))
	require.Empty(t, diags)
	require.Equal(t, 3, p.Mode(ModePartialOnline).InPersonVisits, "do_dac then xem_nha, then the counter pick-up; the otherwise path has two")
	require.Equal(t, 0, p.Mode(ModeFullOnline).InPersonVisits)
}

func TestSupplementPolicyDefaults(t *testing.T) {
	t.Parallel()
	p, diags := Load("p.yaml", []byte(baseDefinition))
	require.Empty(t, diags)
	require.Equal(t, Supplements{Max: 1, Within: &Duration{WorkingDays: 15}}, p.Supplements)

	p, diags = Load("p.yaml", []byte(edit(t, "result: {", "supplements: { max: 0, within: { working_days: 5 } }\nresult: {")))
	require.Empty(t, diags)
	require.Equal(t, Supplements{Max: 0, Within: &Duration{WorkingDays: 5}}, p.Supplements, "an explicit 0 forbids supplements during processing")

	require.Equal(t, []string{`p.yaml:18:32: supplements.within: set working_days or working_hours to more than 0`},
		lintText(t, edit(t, "result: {", "supplements: { max: 2, within: {} }\nresult: {")))
}

func TestAgencyCode(t *testing.T) {
	t.Parallel()
	require.Empty(t, lintText(t, edit(t, "  - { id: ubnd_xa, name: UBND xã }", `  - { id: ubnd_xa, code: "000.00.01.H22", name: UBND xã }`)))
	require.Equal(t, []string{`p.yaml:20:26: agencies[0].code: "000 00" must not contain any of " "`},
		lintText(t, edit(t, "  - { id: ubnd_xa, name: UBND xã }", `  - { id: ubnd_xa, code: "000 00", name: UBND xã }`)))
}
