package bench

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/bench/handwritten"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

// ProcedureYAML is the benchmark's six-step procedure: reception, an
// automated check, review, a fee, signature and return at the counter.
//
//go:embed procedure.yaml
var ProcedureYAML []byte

// ProcedureFile is the name the procedure is written under.
const ProcedureFile = "9.999006-bench.yaml"

// LoadCatalog writes the benchmark's procedure into dir/procedures and
// loads it with the working calendars of definitionsDir/calendars: the
// catalog the engine runs in the benchmark.
func LoadCatalog(definitionsDir, dir string) (*definitions.Catalog, error) {
	procs := filepath.Join(dir, "procedures")
	if err := os.MkdirAll(procs, 0o750); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	file := filepath.Join(procs, ProcedureFile)
	if err := os.WriteFile(file, ProcedureYAML, 0o640); err != nil {
		return nil, fmt.Errorf("bench: writing the procedure: %w", err)
	}
	calendars := filepath.Join(definitionsDir, "calendars")
	if _, err := os.Stat(calendars); err != nil {
		return nil, fmt.Errorf("bench: the working calendars (--definitions): %w", err)
	}
	res, err := definitions.LintPaths([]string{file, calendars})
	if err != nil {
		return nil, fmt.Errorf("bench: loading the catalog: %w", err)
	}
	if res.Errors > 0 {
		return nil, fmt.Errorf("bench: the benchmark's procedure or the calendars of %s have %d error(s):\n%w",
			definitionsDir, res.Errors, res.Diagnostics)
	}
	cat := res.Catalog()
	if cat.Plan(handwritten.ProcedureCode) == nil {
		return nil, fmt.Errorf("bench: procedure %s is not in the loaded catalog", handwritten.ProcedureCode)
	}
	return cat, nil
}

// The dossier's people, as the driver plays them.
var (
	applicant = dossier.Applicant{ID: "079090001234", Name: "Nguyễn Văn A", Contact: "a@example.vn"}
	officers  = map[string]dossier.Actor{
		handwritten.RoleOneStop:  {ID: "cb-mot-cua", Role: handwritten.RoleOneStop, Agency: handwritten.Agency},
		handwritten.RoleReviewer: {ID: "cb-chuyen-vien", Role: handwritten.RoleReviewer, Agency: handwritten.Agency},
		handwritten.RoleSigner:   {ID: "cb-chu-tich", Role: handwritten.RoleSigner, Agency: handwritten.Agency},
	}
)

// input is the start of one dossier; the hand-written workflow carries no
// plan.
func input(code string, plan *definitions.Plan) dossier.Input {
	return dossier.Input{
		Code: code, Plan: plan, Mode: handwritten.Mode, Channel: dossier.ChannelOnline, Applicant: applicant,
		Form:       map[string]any{"noi_dung": "Xác nhận nơi cư trú để bổ sung hồ sơ xin việc"},
		Components: []dossier.ComponentRef{{ID: "giay_to_tuy_than", Name: "Giấy tờ tùy thân", Reused: true}},
		Delivery:   "counter",
	}
}

// step is one action of the script: who does what on which task.
type step struct {
	task    string
	outcome string
	role    string // "" for the applicant's payment
}

// script is what the people do to a dossier of the benchmark's procedure,
// in order; the rating ends it.
var script = []step{
	{handwritten.StepReception, workflows.OutcomeAccept, handwritten.RoleOneStop},
	{handwritten.StepReview, "approve", handwritten.RoleReviewer},
	{handwritten.StepPay, "paid", ""},
	{handwritten.StepSign, "signed", handwritten.RoleSigner},
	{handwritten.TaskPickup, workflows.OutcomeReturned, handwritten.RoleOneStop},
}
