package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/internal/dossier"
)

// Consultation is the workflow another agency runs when a dossier consults
// it (liên thông): its officers answer from their own inbox, within the
// step's allotted time, which is tracked here on its own.
func Consultation(ctx workflow.Context, in ConsultationInput) (ConsultationResult, error) {
	c := newCore(in.WorkflowID, in.DossierCode, in.Counting)
	c.status = func() dossier.Status { return dossier.StatusProcessing }
	c.start(ctx)
	c.startBatched(ctx)

	var open *task
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (dossier.State, error) {
		return dossier.State{Code: in.DossierCode, ProcedureCode: in.Procedure, Agency: in.Step.Agency, Status: dossier.StatusProcessing,
			StatusName: dossier.StatusProcessing.String(), OpenTasks: c.openTasks(), CurrentSteps: []string{in.Step.ID},
			Timeline: slices.Clone(c.timeline)}, nil
	}); err != nil {
		return ConsultationResult{}, err
	}
	validate := func(ctx workflow.Context, req ActRequest) error {
		if err := checkPayload(req); err != nil {
			return err
		}
		t := c.findTask(req.Task)
		if t == nil || t != open {
			return fmt.Errorf("task %q is not open on consultation %s", req.Task, in.WorkflowID)
		}
		if err := checkOfficer(t, req.Actor); err != nil {
			return err
		}
		if !slices.Contains(t.Outcomes, req.Outcome) {
			return fmt.Errorf("outcome %q is not one of task %q's: %s", req.Outcome, t.ID, strings.Join(t.Outcomes, ", "))
		}
		return nil
	}
	handle := func(ctx workflow.Context, req ActRequest) (dossier.State, error) {
		c.accept(ctx, open, req)
		return dossier.State{Code: in.DossierCode, OpenTasks: c.openTasks()}, nil
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAct, handle, workflow.UpdateHandlerOptions{Validator: validate}); err != nil {
		return ConsultationResult{}, err
	}

	step := in.Step
	dl, err := c.deadline(ctx, step.Within)
	if err != nil {
		return ConsultationResult{}, err
	}
	c.notify(activities.Notification{To: step.Role, Agency: step.Agency, Kind: dossier.EventConsultSent,
		Subject: fmt.Sprintf("Đề nghị phối hợp giải quyết hồ sơ %s", in.DossierCode),
		Body:    fmt.Sprintf("%s Hạn trả lời: %s.", step.Request, formatTime(dl.Due))})
	open = c.openTask(ctx, &step, step.Kind, step.Role, step.Agency, outcomes(&step), dl)
	if err := c.waitTask(ctx, open); err != nil {
		c.finish(ctx)
		return ConsultationResult{}, err
	}
	res := ConsultationResult{Outcome: open.act.Outcome, Note: open.act.Note, Actor: open.act.Actor, At: open.actedAt,
		Timeliness: dossier.Judge(open.actedAt, open.DueAt)}
	c.finish(ctx)
	return res, nil
}
