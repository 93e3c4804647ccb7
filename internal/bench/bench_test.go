package bench

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/bench/handwritten"
)

// The hand-written workflow's constants say what procedure.yaml says, so
// that both variants run the same procedure. (`motcua bench`'s test, in
// cmd/motcua, runs both and compares the activities they call.)
func TestHandwrittenMatchesDefinition(t *testing.T) {
	cat, err := LoadCatalog("../../definitions", t.TempDir())
	require.NoError(t, err)
	p := cat.Plan(handwritten.ProcedureCode)
	require.NotNil(t, p)
	require.Equal(t, handwritten.ProcedureName, p.Name)
	require.Equal(t, handwritten.ProcedureVersion, p.Version)
	require.Equal(t, handwritten.Agency, p.Agency)
	require.Equal(t, definitions.Result{Kind: "document", Name: handwritten.ResultName}, p.Result)
	require.Len(t, p.Fees, 1)
	require.Equal(t, handwritten.FeeID, p.Fees[0].ID)
	require.Equal(t, handwritten.Fee, p.Fees[0].Amount)
	require.Len(t, p.Modes, 1)
	mp := p.Mode(handwritten.Mode)
	require.NotNil(t, mp)
	require.Equal(t, handwritten.TimeLimit, mp.TimeLimit)

	type stepOf struct {
		id, kind, role string
		within         *definitions.Duration
		exits          []string
	}
	var got []stepOf
	for _, s := range mp.Steps {
		st := stepOf{id: s.ID, kind: s.Kind, role: s.Role, within: s.Within}
		if s.Kind == definitions.KindPay {
			st.within = s.Timeout
		}
		if s.Kind == definitions.KindAuto {
			require.Equal(t, handwritten.Check, s.Check)
		}
		for _, e := range s.Exits {
			st.exits = append(st.exits, e.Outcome+"→"+e.Target)
		}
		got = append(got, st)
		if s.Kind != definitions.KindAuto {
			require.Equal(t, s.Name, handwritten.StepName(s.ID), "name of step %s", s.ID)
		}
	}
	require.Equal(t, []stepOf{
		{handwritten.StepReception, definitions.KindReception, handwritten.RoleOneStop, &handwritten.ReceptionWithin, []string{"accept→kiem_tra", "refuse→refused"}},
		{handwritten.StepCheck, definitions.KindAuto, "", nil, []string{"passed→tham_dinh", "failed→refused"}},
		{handwritten.StepReview, definitions.KindTask, handwritten.RoleReviewer, &handwritten.ReviewWithin, []string{"approve→nop_le_phi", "refuse→refused"}},
		{handwritten.StepPay, definitions.KindPay, "", &handwritten.PayTimeout, []string{"paid→ky_duyet", "timeout→stopped"}},
		{handwritten.StepSign, definitions.KindSign, handwritten.RoleSigner, &handwritten.SignWithin, []string{"signed→tra_ket_qua"}},
		{handwritten.StepReturn, definitions.KindReturn, handwritten.RoleOneStop, &handwritten.ReturnWithin, nil},
	}, got)
}

// The table has the columns, one row per figure, the verdicts, and
// the line that reproduces it.
func TestTable(t *testing.T) {
	r := &Report{Machine: Machine{CPU: "Test CPU", Cores: 2, OS: "linux/amd64", Go: "go1.26"}, Command: "motcua bench --rounds 3",
		Throughput: []Round{{Variant: Interpreted, Round: 1, PerSecond: 9}, {Variant: Handwritten, Round: 1, PerSecond: 10},
			{Variant: Interpreted, Round: 2, PerSecond: 11}, {Variant: Handwritten, Round: 2, PerSecond: 10}},
		Lint: []LintRound{{Files: 1622, LintMS: 900, UnmarshalMS: 600}},
	}
	r.Figures = r.figures(Config{Rounds: 2, Dossiers: 100, Concurrency: 16})
	var b bytes.Buffer
	require.NoError(t, r.Table(&b))
	out := b.String()
	require.Contains(t, out, "| figure | motcua | baseline | ratio | target | machine |\n|---|---|---|---|---|---|\n")
	require.Contains(t, out, "| 10.00/s (9.00–11.00) | the same procedure as a hand-written Go workflow")
	require.Contains(t, out, "| 1.00 (0.90–1.10) | ≥ 0.9 ×: met | Test CPU, 2 cores, linux/amd64, go1.26 |")
	require.Contains(t, out, "| lint of 1,622 generated definitions from disk, median of 1 | 900 ms | reading and yaml.Unmarshal of the same files: 600 ms | 1.50 | < 1 s: met |")
	require.Contains(t, out, "Reproduce: `motcua bench --rounds 3`")
	require.Contains(t, out, "the median of the rounds' own ratios")
}
