package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-playground/validator/v10"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
)

// requestRules validates the payloads of updates.
var requestRules = validator.New()

// checkPayload validates a request's fields and says which one is wrong.
func checkPayload(req any) error {
	err := requestRules.Struct(req)
	var verrs validator.ValidationErrors
	if errors.As(err, &verrs) {
		msgs := make([]string, len(verrs))
		for i, fe := range verrs {
			_, field, _ := strings.Cut(fe.Namespace(), ".")
			msgs[i] = fmt.Sprintf("%s fails %q", strings.ToLower(field), fe.Tag())
		}
		return fmt.Errorf("invalid request: %s", strings.Join(msgs, "; "))
	}
	return err
}

// register sets up the state query and the update handlers.
func (r *run) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (dossier.State, error) {
		return r.state(true), nil
	}); err != nil {
		return err
	}
	handlers := []struct {
		name     string
		handler  any
		validate any
	}{
		{UpdateAct, r.handleAct, r.validateAct},
		{UpdateSupplement, r.handleSupplement, r.validateSupplement},
		{UpdateWithdraw, r.handleWithdraw, r.validateWithdraw},
		{UpdateRate, r.handleRate, r.validateRate},
		{UpdatePay, r.handlePay, r.validatePay},
		{UpdateExtend, r.handleExtend, r.validateExtend},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler, workflow.UpdateHandlerOptions{Validator: h.validate}); err != nil {
			return err
		}
	}
	return nil
}

// checkOfficer checks that the actor holds the task's role at its agency.
func checkOfficer(t *task, a dossier.Actor) error {
	if a.ID == "" {
		return errors.New("the actor has no id")
	}
	if t.Role == dossier.RoleApplicant {
		return fmt.Errorf("task %q waits for the applicant, not an officer", t.ID)
	}
	if a.Role != t.Role {
		return fmt.Errorf("role %q may not act on task %q: it needs role %q", a.Role, t.ID, t.Role)
	}
	if t.Agency != "" && a.Agency != t.Agency {
		return fmt.Errorf("an officer of agency %q may not act on task %q: it belongs to agency %q", a.Agency, t.ID, t.Agency)
	}
	return nil
}

func (r *run) checkApplicant(a dossier.Actor) error {
	if a.ID != r.in.Applicant.ID || (a.Role != "" && a.Role != dossier.RoleApplicant) {
		return fmt.Errorf("only the applicant of dossier %s may do this", r.in.Code)
	}
	return nil
}

func (r *run) validateAct(ctx workflow.Context, req ActRequest) error {
	if err := checkPayload(req); err != nil {
		return err
	}
	t := r.findTask(req.Task)
	if t == nil {
		return fmt.Errorf("task %q is not open on dossier %s (open: %s)", req.Task, r.in.Code, r.openTaskIDs())
	}
	if err := checkOfficer(t, req.Actor); err != nil {
		return err
	}
	if !slices.Contains(t.Outcomes, req.Outcome) {
		return fmt.Errorf("outcome %q is not one of task %q's: %s", req.Outcome, t.ID, strings.Join(t.Outcomes, ", "))
	}
	switch req.Outcome {
	case OutcomeSupplement:
		if len(req.Items) == 0 {
			return errors.New("a supplement request must list the missing or wrong items (items)")
		}
		if r.accepted && r.st.Supplements >= r.plan.Supplements.Max {
			return fmt.Errorf("procedure %s allows %d supplement request(s) per dossier during processing, and dossier %s has had %d",
				r.plan.Code, r.plan.Supplements.Max, r.in.Code, r.st.Supplements)
		}
	case OutcomeRefuse:
		if strings.TrimSpace(req.Note) == "" {
			return errors.New("a refusal must give its reasons (note)")
		}
	}
	if target := exit(t.step, req.Outcome); target == definitions.TargetRefused && strings.TrimSpace(req.Note) == "" {
		return fmt.Errorf("outcome %q refuses the dossier: give the reasons (note)", req.Outcome)
	}
	return nil
}

func (r *run) handleAct(ctx workflow.Context, req ActRequest) (dossier.State, error) {
	t := r.findTask(req.Task)
	r.accept(ctx, t, req)
	if !r.batched {
		return r.state(false), nil
	}
	// Batched side effects: answer with the state once the walk has taken
	// the action as far as it goes in this workflow task, timeline
	// included, so the caller needs no query after the update.
	r.settle(ctx)
	return r.state(true), nil
}

func (r *run) openTaskIDs() string {
	ids := []string{}
	for _, t := range r.tasks {
		if !t.done {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// supplementTask returns the open task waiting for the applicant's supplement.
func (r *run) supplementTask() *task {
	for _, t := range r.tasks {
		if !t.done && t.Kind == "supplement" {
			return t
		}
	}
	return nil
}

func (r *run) validateSupplement(ctx workflow.Context, req SupplementRequest) error {
	if err := checkPayload(req); err != nil {
		return err
	}
	if err := r.checkApplicant(req.Actor); err != nil {
		return err
	}
	if r.supplementTask() == nil {
		return fmt.Errorf("dossier %s is not waiting for a supplement", r.in.Code)
	}
	if len(req.Components) == 0 && len(req.Form) == 0 {
		return errors.New("a supplement must bring components or form fields")
	}
	for _, c := range req.Components {
		if !slices.ContainsFunc(r.plan.Components, func(pc definitions.Component) bool { return pc.ID == c.ID }) {
			return fmt.Errorf("component %q is not one of procedure %s's", c.ID, r.plan.Code)
		}
	}
	return nil
}

func (r *run) handleSupplement(ctx workflow.Context, req SupplementRequest) (dossier.State, error) {
	t := r.supplementTask()
	for _, c := range req.Components {
		i := slices.IndexFunc(r.in.Components, func(x dossier.ComponentRef) bool { return x.ID == c.ID })
		if i >= 0 {
			r.in.Components[i] = c
		} else {
			r.in.Components = append(r.in.Components, c)
		}
	}
	if len(req.Form) > 0 && r.in.Form == nil {
		r.in.Form = map[string]any{}
	}
	for k, v := range req.Form {
		r.in.Form[k] = v
	}
	names := make([]string, len(req.Components))
	for i, c := range req.Components {
		names[i] = c.ID
	}
	t.done, t.actedAt = true, workflow.Now(ctx)
	r.record(ctx, dossier.Event{Kind: dossier.EventSupplemented, Step: t.Step, Actor: req.Actor,
		Note: strings.TrimSpace(strings.Join(names, ", ") + " " + req.Note), DueAt: t.DueAt, Timeliness: dossier.Judge(t.actedAt, t.DueAt)})
	return r.state(false), nil
}

func (r *run) final() bool {
	switch r.st.Status {
	case dossier.StatusRefused, dossier.StatusStopped, dossier.StatusProcessed, dossier.StatusReturned:
		return true
	}
	return r.finished
}

func (r *run) validateWithdraw(ctx workflow.Context, req WithdrawRequest) error {
	if err := checkPayload(req); err != nil {
		return err
	}
	if err := r.checkApplicant(req.Actor); err != nil {
		return err
	}
	if r.final() {
		return fmt.Errorf("dossier %s is %s and can no longer be withdrawn", r.in.Code, r.st.Status)
	}
	if r.withdrawal != nil {
		return fmt.Errorf("dossier %s already has a withdrawal request", r.in.Code)
	}
	return nil
}

// handleWithdraw records the request (status 7) and opens the stop notice
// for the one-stop officer; the dossier stops when the officer issues it.
func (r *run) handleWithdraw(ctx workflow.Context, req WithdrawRequest) (dossier.State, error) {
	r.st.Status = dossier.StatusWithdrawing
	r.record(ctx, dossier.Event{Kind: dossier.EventWithdrawRequested, Actor: req.Actor, Note: req.Reason})
	reception := &r.mp.Steps[0]
	t := r.openTask(ctx, reception, "withdrawal", reception.Role, reception.Agency, []string{OutcomeStop}, r.appointment)
	r.withdrawal = t
	r.pushPortal(ctx, "")
	return r.state(false), nil
}

func (r *run) validateRate(ctx workflow.Context, req RateRequest) error {
	if err := checkPayload(req); err != nil {
		return err
	}
	if err := r.checkApplicant(req.Actor); err != nil {
		return err
	}
	if r.st.Status != dossier.StatusReturned {
		return fmt.Errorf("dossier %s can be rated once its result is returned; it is %s", r.in.Code, r.st.Status)
	}
	if r.rated {
		return fmt.Errorf("dossier %s is already rated", r.in.Code)
	}
	return nil
}

func (r *run) handleRate(ctx workflow.Context, req RateRequest) (dossier.State, error) {
	r.rated = true
	r.st.Rating = &dossier.Rating{Satisfied: req.Satisfied, Comment: req.Comment, At: workflow.Now(ctx)}
	outcome := "dissatisfied"
	if req.Satisfied {
		outcome = "satisfied"
	}
	r.record(ctx, dossier.Event{Kind: dossier.EventRated, Actor: req.Actor, Outcome: outcome, Note: req.Comment})
	return r.state(false), nil
}

// payTask returns the open task waiting for a payment.
func (r *run) payTask() *task {
	for _, t := range r.tasks {
		if !t.done && t.Kind == definitions.KindPay {
			return t
		}
	}
	return nil
}

func (r *run) validatePay(ctx workflow.Context, req PayRequest) error {
	if err := checkPayload(req); err != nil {
		return err
	}
	t := r.payTask()
	if t == nil {
		return fmt.Errorf("dossier %s is not waiting for a payment", r.in.Code)
	}
	if req.Reference != t.act.Note {
		return fmt.Errorf("payment reference %q does not match the order %q of dossier %s", req.Reference, t.act.Note, r.in.Code)
	}
	if req.Amount < r.st.FeesDue {
		return fmt.Errorf("payment of %d VND is less than the %d VND due", req.Amount, r.st.FeesDue)
	}
	return nil
}

func (r *run) handlePay(ctx workflow.Context, req PayRequest) (dossier.State, error) {
	t := r.payTask()
	t.done, t.actedAt = true, workflow.Now(ctx)
	r.st.PaidOnline = req.Online
	r.record(ctx, dossier.Event{Kind: dossier.EventPaid, Step: t.Step, Note: req.Reference, Outcome: "paid",
		DueAt: t.DueAt, Timeliness: dossier.Judge(t.actedAt, t.DueAt)})
	return r.state(false), nil
}

func (r *run) validateExtend(ctx workflow.Context, req ExtendRequest) error {
	if err := checkPayload(req); err != nil {
		return err
	}
	if req.Actor.ID == "" || r.roleAgency(req.Actor.Role) == "" || r.roleAgency(req.Actor.Role) != req.Actor.Agency {
		return fmt.Errorf("role %q at agency %q is not an officer role of procedure %s", req.Actor.Role, req.Actor.Agency, r.plan.Code)
	}
	if !r.accepted || r.final() {
		return fmt.Errorf("dossier %s has no running appointment to extend (it is %s)", r.in.Code, r.st.Status)
	}
	if r.st.Extended {
		return fmt.Errorf("dossier %s was already extended once, to %s", r.in.Code, formatTime(r.st.AppointmentAt))
	}
	if !req.NewAppointment.After(r.st.AppointmentAt) {
		return fmt.Errorf("the new appointment %s must be after the current one, %s", formatTime(req.NewAppointment), formatTime(r.st.AppointmentAt))
	}
	if now := workflow.Now(ctx); now.After(r.appointment.Warn) {
		return fmt.Errorf("an extension must be sent at least one working day before the appointment, by %s", formatTime(r.appointment.Warn))
	}
	return nil
}

// handleExtend moves the appointment once, keeping the original; the
// dossier still counts as late.
func (r *run) handleExtend(ctx workflow.Context, req ExtendRequest) (dossier.State, error) {
	r.st.OriginalAppointmentAt = r.st.AppointmentAt
	r.st.AppointmentAt = req.NewAppointment
	r.st.Extended = true
	r.appointment.Due = req.NewAppointment
	r.appointment.Warn = req.NewAppointment // warned again only when it passes
	r.appointmentWarned, r.appointmentLate = true, false
	r.slaVersion++
	r.record(ctx, dossier.Event{Kind: dossier.EventExtended, Actor: req.Actor, Note: req.Reason, DueAt: req.NewAppointment})
	r.notifyApplicant(dossier.EventExtended, "Văn bản xin lỗi và hẹn lại ngày trả kết quả",
		fmt.Sprintf("Hồ sơ %s chưa giải quyết kịp hạn. Lý do: %s. Ngày hẹn trả mới: %s. Chúng tôi xin lỗi ông/bà.",
			r.in.Code, req.Reason, formatTime(req.NewAppointment)))
	return r.state(false), nil
}
