// Package workflows holds the Dossier workflow, which interprets a
// compiled procedure plan for one dossier, and the Consultation workflow an
// agency runs when another consults it. Workflows do no I/O: time comes
// from workflow.Now, due times and every side effect from activities.
package workflows

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
)

// RatingWindow is how long after the result the applicant may rate it.
const RatingWindow = 30 * 24 * time.Hour

// errStopped ends the walk when processing stops (status 8).
var errStopped = errors.New("processing stopped")

// Dossier is the workflow of one dossier: it walks the plan of its mode,
// waits durably on officers, the applicant, timers and other agencies, and
// keeps the national status at every transition.
func Dossier(ctx workflow.Context, in dossier.Input) (dossier.State, error) {
	r, err := newRun(ctx, in)
	if err != nil {
		return dossier.State{}, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidInput", err)
	}
	if err := r.register(ctx); err != nil {
		return dossier.State{}, err
	}
	return r.execute(ctx)
}

// run is the state of one dossier workflow.
type run struct {
	*core
	in   dossier.Input
	plan *definitions.Plan
	mp   *definitions.ModePlan
	st   dossier.State

	appointment       activities.Deadline
	appointmentWarned bool
	appointmentLate   bool
	accepted          bool // past reception: the clock runs
	withdrawal        *task
	stopReason        string
	results           int
	current           []string // steps being executed
	rated             bool
	refused           bool

	searchSet         bool
	searchStatus      int64
	searchAppointment time.Time
}

func newRun(ctx workflow.Context, in dossier.Input) (*run, error) {
	if in.Plan == nil {
		return nil, errors.New("dossier input has no plan")
	}
	mp := in.Plan.Mode(in.Mode)
	if mp == nil {
		return nil, fmt.Errorf("procedure %s does not offer mode %q", in.Plan.Code, in.Mode)
	}
	if in.Code == "" {
		return nil, errors.New("dossier input has no code")
	}
	if !slices.Contains(mp.Channels, in.Channel) {
		return nil, fmt.Errorf("mode %s of procedure %s does not accept channel %q", in.Mode, in.Plan.Code, in.Channel)
	}
	if in.Delivery == "" {
		in.Delivery = mp.Delivery[0]
	}
	if !slices.Contains(mp.Delivery, in.Delivery) {
		return nil, fmt.Errorf("mode %s of procedure %s does not deliver by %q", in.Mode, in.Plan.Code, in.Delivery)
	}
	in.Plan = sharedPlan(in.Plan)
	mp = in.Plan.Mode(in.Mode)
	r := &run{in: in, plan: in.Plan, mp: mp}
	r.core = newCore(in.Code, in.Code, mp.TimeLimit.Counting)
	r.st = dossier.State{
		Code: in.Code, ProcedureCode: in.Plan.Code, PlanHash: in.Plan.Hash, Mode: in.Mode, Channel: in.Channel,
		Agency: in.Plan.Agency, Applicant: in.Applicant, Status: dossier.StatusNew, ReceivedAt: in.ReceivedAt,
	}
	if r.st.ReceivedAt.IsZero() {
		r.st.ReceivedAt = workflow.Now(ctx)
	}
	r.core.status = func() dossier.Status { return r.st.Status }
	r.core.snapshot = func() *dossier.State { s := r.state(false); return &s }
	r.core.facts = r.facts
	r.core.escalateTo = r.escalateTo
	r.core.extraDeadline = r.appointmentDeadline
	r.core.beforeProject = r.upsertSearch
	return r, nil
}

// execute walks the plan and finishes the dossier.
func (r *run) execute(ctx workflow.Context) (dossier.State, error) {
	r.start(ctx)
	r.record(ctx, dossier.Event{Kind: dossier.EventSubmitted, Actor: dossier.Actor{ID: r.in.Applicant.ID, Role: dossier.RoleApplicant},
		Note: r.in.Channel, At: r.st.ReceivedAt})
	r.pushPortal(ctx, "")

	walkCtx, cancelWalk := workflow.WithCancel(ctx)
	var end string
	var walkErr error
	walked := false
	workflow.Go(walkCtx, func(ctx workflow.Context) {
		end, walkErr = r.walk(ctx, r.mp.Start)
		walked = true
	})
	r.startBatched(ctx)
	stopping := func() bool { return r.withdrawal != nil && r.withdrawal.done }
	if err := workflow.Await(ctx, func() bool { return walked || stopping() }); err != nil {
		return r.st, err
	}
	if !walked {
		cancelWalk()
		_ = workflow.Await(ctx, func() bool { return walked })
		r.stopReason = "Công dân rút hồ sơ: " + r.withdrawal.act.Note
		end, walkErr = definitions.TargetStopped, nil
	}
	if errors.Is(walkErr, errStopped) {
		end, walkErr = definitions.TargetStopped, nil
	}
	if walkErr != nil {
		return r.st, walkErr
	}
	switch end {
	case definitions.TargetStopped:
		r.stop(ctx)
	case definitions.TargetRefused:
		if err := r.refuse(ctx); err != nil {
			return r.st, err
		}
	}
	r.closeAllTasks()
	if r.st.Status == dossier.StatusReturned {
		// The applicant may rate the handling for a while after the result.
		_, _ = workflow.AwaitWithTimeout(ctx, RatingWindow, func() bool { return r.rated })
	}
	r.finish(ctx)
	return r.state(true), nil
}

// walk runs steps from start until an end: it returns the terminal target
// (refused, stopped, $join), or "" after a return step.
func (r *run) walk(ctx workflow.Context, start string) (string, error) {
	id := start
	for {
		s := r.mp.Step(id)
		if s == nil {
			return "", fmt.Errorf("plan %s has no step %q in mode %s", r.plan.ShortHash(), id, r.mp.Mode)
		}
		r.current = append(r.current, s.ID)
		next, err := r.execStep(ctx, s)
		r.current = slices.DeleteFunc(r.current, func(x string) bool { return x == s.ID })
		if err != nil {
			return "", err
		}
		switch next {
		case "", definitions.TargetRefused, definitions.TargetStopped, definitions.TargetJoin:
			return next, nil
		}
		id = next
	}
}

// exit returns the target of the named outcome of a step.
func exit(s *definitions.PlanStep, outcome string) string {
	for _, e := range s.Exits {
		if e.Outcome == outcome {
			return e.Target
		}
	}
	return ""
}

func outcomes(s *definitions.PlanStep) []string {
	var out []string
	for _, e := range s.Exits {
		if e.Outcome != "" {
			out = append(out, e.Outcome)
		}
	}
	return out
}

func (r *run) execStep(ctx workflow.Context, s *definitions.PlanStep) (string, error) {
	switch s.Kind {
	case definitions.KindReception:
		return r.reception(ctx, s)
	case definitions.KindTask, definitions.KindSign:
		return r.humanStep(ctx, s)
	case definitions.KindPay:
		return r.pay(ctx, s)
	case definitions.KindConsult:
		return r.consult(ctx, s)
	case definitions.KindParallel:
		return r.parallel(ctx, s)
	case definitions.KindDecide:
		return r.decide(ctx, s)
	case definitions.KindAuto:
		return r.auto(ctx, s)
	case definitions.KindNotify:
		return r.notifyStep(ctx, s)
	case definitions.KindReturn:
		return "", r.returnResult(ctx, s)
	}
	return "", fmt.Errorf("step %q has unknown kind %q", s.ID, s.Kind)
}

// reception: accept (the clock starts), ask for a supplement, or refuse.
func (r *run) reception(ctx workflow.Context, s *definitions.PlanStep) (string, error) {
	for {
		dl, err := r.deadline(ctx, s.Within)
		if err != nil {
			return "", err
		}
		t := r.openTask(ctx, s, s.Kind, s.Role, s.Agency, []string{OutcomeAccept, OutcomeSupplement, OutcomeRefuse}, dl)
		if err := r.waitTask(ctx, t); err != nil {
			return "", err
		}
		switch t.act.Outcome {
		case OutcomeAccept:
			if err := r.acceptDossier(ctx); err != nil {
				return "", err
			}
			return exit(s, OutcomeAccept), nil
		case OutcomeRefuse:
			r.stopReason = t.act.Note
			r.refused = true
			r.st.Status = dossier.StatusRefused
			r.record(ctx, dossier.Event{Kind: dossier.EventRefused, Step: s.ID, Actor: t.act.Actor, Note: t.act.Note})
			r.notifyApplicant(dossier.EventRefused, "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
				fmt.Sprintf("Hồ sơ %s không được tiếp nhận. Lý do: %s", r.in.Code, t.act.Note))
			r.pushPortal(ctx, s.ID)
			return definitions.TargetRefused, nil
		case OutcomeSupplement:
			if err := r.supplement(ctx, s, t); err != nil {
				return "", err
			}
		}
	}
}

// acceptDossier records the receipt and computes the appointment date.
func (r *run) acceptDossier(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	var dl activities.Deadline
	if err := r.local(ctx, acts.Appointment, activities.AppointmentRequest{
		ReceivedAt: now, TimeLimit: r.mp.TimeLimit}, &dl); err != nil {
		return err
	}
	r.accepted = true
	r.appointment = dl
	r.appointmentWarned = !dl.Warn.After(now)
	r.st.AcceptedAt = now
	r.st.AppointmentAt = dl.Due
	r.st.Status = dossier.StatusReceived
	r.slaVersion++
	r.record(ctx, dossier.Event{Kind: dossier.EventReceived, Note: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", DueAt: dl.Due})
	r.notifyApplicant(dossier.EventActed, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
		fmt.Sprintf("Hồ sơ %s đã được tiếp nhận. Ngày hẹn trả kết quả: %s.", r.in.Code, formatTime(dl.Due)))
	r.pushPortal(ctx, "")
	r.st.Status = dossier.StatusProcessing
	return nil
}

// humanStep runs a task or sign step: an officer chooses an outcome, may
// ask for a supplement where the step allows it; the first outcome of a
// sign step issues and signs the result.
func (r *run) humanStep(ctx workflow.Context, s *definitions.PlanStep) (string, error) {
	for {
		outs := outcomes(s)
		if s.Supplement {
			outs = append(outs, OutcomeSupplement)
		}
		dl, err := r.deadline(ctx, s.Within)
		if err != nil {
			return "", err
		}
		r.setProcessing()
		t := r.openTask(ctx, s, s.Kind, s.Role, s.Agency, outs, dl)
		if err := r.waitTask(ctx, t); err != nil {
			return "", err
		}
		if t.act.Outcome == OutcomeSupplement {
			if err := r.supplement(ctx, s, t); err != nil {
				return "", err
			}
			continue
		}
		if s.Kind == definitions.KindSign && t.act.Outcome == s.Exits[0].Outcome {
			if err := r.issue(ctx, t.act.Actor, ""); err != nil {
				return "", err
			}
		}
		return exit(s, t.act.Outcome), nil
	}
}

// setProcessing puts the status back to 4 after a fee or supplement wait.
func (r *run) setProcessing() {
	if r.accepted && r.st.Status != dossier.StatusWithdrawing {
		r.st.Status = dossier.StatusProcessing
	}
}

// supplement asks the applicant for the listed items, pauses the clock
// while processing, and waits for the supplement or the deadline.
func (r *run) supplement(ctx workflow.Context, s *definitions.PlanStep, asked *task) error {
	now := workflow.Now(ctx)
	if r.accepted {
		r.st.Supplements++
		r.paused = true
		r.st.Paused = true
		r.st.PausedSince = now
		r.slaVersion++
	}
	prev := r.st.Status
	r.st.Status = dossier.StatusSupplement
	items := joinItems(asked.act.Items, asked.act.Note)
	r.record(ctx, dossier.Event{Kind: dossier.EventSupplementAsked, Step: s.ID, Actor: asked.act.Actor, Note: items})
	dl, err := r.deadline(ctx, r.plan.Supplements.Within)
	if err != nil {
		return err
	}
	r.notifyApplicant(dossier.EventSupplementAsked, "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
		fmt.Sprintf("Hồ sơ %s cần bổ sung: %s. Hạn bổ sung: %s.", r.in.Code, items, formatTime(dl.Due)))
	r.pushPortal(ctx, s.ID)
	t := r.openTask(ctx, s, "supplement", dossier.RoleApplicant, "", []string{OutcomeSupplement}, dl)
	wait := dl.Due.Sub(workflow.Now(ctx))
	ok, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return t.done })
	r.closeTask(t)
	if err != nil {
		return err
	}
	if !ok {
		r.stopReason = "Quá hạn bổ sung hồ sơ"
		return errStopped
	}
	if r.accepted {
		if err := r.resume(ctx); err != nil {
			return err
		}
	}
	r.st.Status = prev
	if prev == dossier.StatusSupplement {
		r.st.Status = dossier.StatusProcessing
	}
	r.pushPortal(ctx, s.ID)
	return nil
}

// resume ends a pause: the working time it took is added to the
// appointment and to the due times of the officers' open tasks.
func (r *run) resume(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	var open []*task
	dues := []time.Time{r.appointment.Due}
	for _, t := range r.tasks {
		if !t.done && t.Role != dossier.RoleApplicant {
			open = append(open, t)
			dues = append(dues, t.DueAt)
		}
	}
	var res activities.ShiftResult
	if err := r.local(ctx, acts.Shift, activities.ShiftRequest{
		PausedFrom: r.st.PausedSince, PausedTo: now, Dues: dues}, &res); err != nil {
		return err
	}
	r.st.PausedTotal += res.Paused
	r.st.Paused = false
	r.st.PausedSince = time.Time{}
	r.paused = false
	r.appointment = res.Deadlines[0]
	r.st.AppointmentAt = r.appointment.Due
	for i, t := range open {
		t.DueAt, t.warnAt = res.Deadlines[i+1].Due, res.Deadlines[i+1].Warn
	}
	r.slaVersion++
	return nil
}

// pay asks for the fees and waits for the payment or the time-out.
func (r *run) pay(ctx workflow.Context, s *definitions.PlanStep) (string, error) {
	amount, err := r.feesDue(s)
	if err != nil {
		return "", err
	}
	if amount == 0 {
		r.record(ctx, dossier.Event{Kind: dossier.EventPaid, Step: s.ID, Note: "Không phải nộp phí"})
		return exit(s, "paid"), nil
	}
	dl, err := r.deadline(ctx, s.Timeout)
	if err != nil {
		return "", err
	}
	r.st.Status = dossier.StatusAwaitingFee
	r.st.FeesDue = amount
	var order activities.PaymentOrder
	xctx := workflow.WithActivityOptions(ctx, externalOptions)
	if err := workflow.ExecuteActivity(xctx, acts.RequestPayment, activities.PaymentRequest{
		Code: r.in.Code, Amount: amount, Fees: s.Fees, Payer: r.in.Applicant.ID, Deadline: dl.Due}).Get(ctx, &order); err != nil {
		return "", err
	}
	r.record(ctx, dossier.Event{Kind: dossier.EventPaymentRequested, Step: s.ID, Note: order.Reference, DueAt: dl.Due})
	r.notifyApplicant(dossier.EventPaymentRequested, "Yêu cầu thực hiện nghĩa vụ tài chính",
		fmt.Sprintf("Hồ sơ %s: vui lòng nộp %s đồng trước %s. %s", r.in.Code, formatVND(amount), formatTime(dl.Due), order.URL))
	r.pushPortal(ctx, s.ID)
	t := r.openTask(ctx, s, s.Kind, dossier.RoleApplicant, "", []string{"paid"}, dl)
	t.act.Note = order.Reference
	ok, err := workflow.AwaitWithTimeout(ctx, dl.Due.Sub(workflow.Now(ctx)), func() bool { return t.done })
	r.closeTask(t)
	if err != nil {
		return "", err
	}
	if !ok {
		r.stopReason = "Quá hạn nộp phí, lệ phí"
		r.record(ctx, dossier.Event{Kind: dossier.EventOverdue, Step: s.ID, Note: r.stopReason, DueAt: dl.Due})
		r.setProcessing()
		return exit(s, "timeout"), nil
	}
	r.setProcessing()
	return exit(s, "paid"), nil
}

// feesDue adds up the fees of a pay step that apply to this dossier.
func (r *run) feesDue(s *definitions.PlanStep) (int64, error) {
	var total int64
	for _, id := range s.Fees {
		for _, f := range r.plan.Fees {
			if f.ID != id {
				continue
			}
			if f.When != "" {
				ok, err := definitions.EvalCondition(r.plan, f.When, r.in.Form, r.in.Mode, r.in.Channel)
				if err != nil {
					return 0, temporal.NewNonRetryableApplicationError(err.Error(), "BadCondition", err)
				}
				if !ok {
					continue
				}
			}
			amount := f.Amount
			if f.OnlineAmount != nil && r.in.Channel == dossier.ChannelOnline {
				amount = *f.OnlineAmount
			}
			total += amount
		}
	}
	return total, nil
}

// consult runs the other agency's consultation as a child workflow on its
// own task queue, with its own allotted time and timeline.
func (r *run) consult(ctx workflow.Context, s *definitions.PlanStep) (string, error) {
	r.taskCount[s.ID+"/consult"]++
	id := fmt.Sprintf("%s/%s", r.in.Code, s.ID)
	if n := r.taskCount[s.ID+"/consult"]; n > 1 {
		id = fmt.Sprintf("%s#%d", id, n)
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: id, TaskQueue: AgencyTaskQueue(s.Agency)})
	r.record(ctx, dossier.Event{Kind: dossier.EventConsultSent, Step: s.ID, Note: s.Request,
		Actor: dossier.Actor{Role: s.Role, Agency: s.Agency}})
	var res ConsultationResult
	err := workflow.ExecuteChildWorkflow(cctx, ConsultationWorkflow, ConsultationInput{
		DossierCode: r.in.Code, WorkflowID: id, Procedure: r.plan.Code, Step: *s, Counting: r.mp.TimeLimit.Counting, From: r.plan.Agency,
	}).Get(ctx, &res)
	if err != nil {
		return "", err
	}
	r.record(ctx, dossier.Event{Kind: dossier.EventConsultAnswered, Step: s.ID, Actor: res.Actor, Outcome: res.Outcome,
		Note: res.Note, Timeliness: res.Timeliness, At: res.At})
	return exit(s, res.Outcome), nil
}

// parallel runs every branch at once and joins them; a branch that ends
// the dossier (refused, stopped) cancels the others.
func (r *run) parallel(ctx workflow.Context, s *definitions.PlanStep) (string, error) {
	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	pending := 0
	var end string
	var firstErr error
	for _, b := range s.Branches {
		if b.Start == "" {
			continue
		}
		pending++
		start := b.Start
		workflow.Go(bctx, func(gctx workflow.Context) {
			defer func() { pending-- }()
			t, err := r.walk(gctx, start)
			switch {
			case err != nil && !temporal.IsCanceledError(err) && firstErr == nil:
				firstErr = err
			case err == nil && t != definitions.TargetJoin && end == "":
				end = t
			}
		})
	}
	if err := workflow.Await(ctx, func() bool { return pending == 0 || end != "" || firstErr != nil }); err != nil {
		return "", err
	}
	if end != "" || firstErr != nil {
		cancel()
		_ = workflow.Await(ctx, func() bool { return pending == 0 })
	}
	if firstErr != nil {
		return "", firstErr
	}
	if end != "" {
		return end, nil
	}
	return exit(s, "joined"), nil
}

// decide takes the first case whose condition holds on the form data.
func (r *run) decide(ctx workflow.Context, s *definitions.PlanStep) (string, error) {
	for _, e := range s.Exits {
		if e.When == "" {
			r.record(ctx, dossier.Event{Kind: dossier.EventChecked, Step: s.ID, Outcome: "otherwise"})
			return e.Target, nil
		}
		ok, err := definitions.EvalCondition(r.plan, e.When, r.in.Form, r.in.Mode, r.in.Channel)
		if err != nil {
			return "", temporal.NewNonRetryableApplicationError(err.Error(), "BadCondition", err)
		}
		if ok {
			r.record(ctx, dossier.Event{Kind: dossier.EventChecked, Step: s.ID, Outcome: e.When})
			return e.Target, nil
		}
	}
	return "", fmt.Errorf("decide step %q has no otherwise exit", s.ID)
}

// auto runs a named automated check.
func (r *run) auto(ctx workflow.Context, s *definitions.PlanStep) (string, error) {
	var res activities.CheckResult
	xctx := workflow.WithActivityOptions(ctx, externalOptions)
	if err := workflow.ExecuteActivity(xctx, acts.RunCheck, activities.CheckRequest{
		Code: r.in.Code, Check: s.Check, Applicant: r.in.Applicant, Form: r.in.Form}).Get(ctx, &res); err != nil {
		return "", err
	}
	outcome := "failed"
	if res.Passed {
		outcome = "passed"
	}
	r.record(ctx, dossier.Event{Kind: dossier.EventChecked, Step: s.ID, Outcome: outcome, Note: res.Note})
	return exit(s, outcome), nil
}

// notifyStep sends the step's message.
func (r *run) notifyStep(ctx workflow.Context, s *definitions.PlanStep) (string, error) {
	n := activities.Notification{To: s.To, Kind: dossier.EventNotified, Subject: stepLabel(s), Body: s.Message}
	if s.To == dossier.RoleApplicant {
		n.Contact = r.in.Applicant.Contact
	} else {
		n.Agency = r.roleAgency(s.To)
	}
	r.notify(n)
	r.record(ctx, dossier.Event{Kind: dossier.EventNotified, Step: s.ID, Note: s.To})
	return exit(s, "sent"), nil
}

// issue produces and signs the result, or the refusal notice.
func (r *run) issue(ctx workflow.Context, by dossier.Actor, refusal string) error {
	r.results++
	var res dossier.Result
	actx := workflow.WithActivityOptions(ctx, projectOptions)
	if err := workflow.ExecuteActivity(actx, acts.IssueResult, activities.SignRequest{
		Code: r.in.Code, N: r.results, Procedure: r.plan.Name, Result: r.plan.Result, Applicant: r.in.Applicant,
		SignedBy: by, Refusal: refusal, At: workflow.Now(ctx)}).Get(ctx, &res); err != nil {
		return err
	}
	r.st.Result = &res
	r.record(ctx, dossier.Event{Kind: dossier.EventSigned, Actor: by, Note: res.Code})
	return nil
}

// returnResult marks the dossier processed and returns the result by the
// applicant's chosen way; a counter pick-up waits for the officer.
func (r *run) returnResult(ctx workflow.Context, s *definitions.PlanStep) error {
	if r.st.Result == nil && r.plan.Result.Kind == "document" {
		if err := r.issue(ctx, dossier.Actor{Role: s.Role, Agency: s.Agency}, ""); err != nil {
			return err
		}
	}
	r.processed(ctx, s.ID)
	return r.deliver(ctx, s)
}

// processed sets status 9 and judges the dossier against its appointment.
func (r *run) processed(ctx workflow.Context, step string) {
	now := workflow.Now(ctx)
	r.st.Status = dossier.StatusProcessed
	r.st.FinishedAt = now
	r.st.Timeliness = dossier.Judge(now, r.st.AppointmentAt)
	if r.st.Extended || r.st.Supplements > r.plan.Supplements.Max {
		r.st.Timeliness = dossier.Late
	}
	r.record(ctx, dossier.Event{Kind: dossier.EventProcessed, Step: step, DueAt: r.st.AppointmentAt, Timeliness: r.st.Timeliness})
	r.pushPortal(ctx, step)
}

// deliver returns the result (or refusal notice) and sets status 10.
func (r *run) deliver(ctx workflow.Context, s *definitions.PlanStep) error {
	delivery := r.in.Delivery
	if r.st.Result != nil {
		r.st.Result.Delivery = delivery
	}
	switch delivery {
	case "counter":
		dl, err := r.deadline(ctx, s.Within)
		if err != nil {
			return err
		}
		r.notifyApplicant(dossier.EventProcessed, "Thông báo trả kết quả",
			fmt.Sprintf("Hồ sơ %s đã có kết quả. Mời ông/bà đến Bộ phận một cửa để nhận.", r.in.Code))
		t := r.openTask(ctx, s, "pickup", s.Role, s.Agency, []string{OutcomeReturned}, dl)
		if err := r.waitTask(ctx, t); err != nil {
			return err
		}
	case "postal":
		resultCode := ""
		if r.st.Result != nil {
			resultCode = r.st.Result.Code
		}
		var tracking string
		xctx := workflow.WithActivityOptions(ctx, externalOptions)
		if err := workflow.ExecuteActivity(xctx, acts.ShipResult, activities.Shipment{
			Code: r.in.Code, ResultCode: resultCode, Applicant: r.in.Applicant}).Get(ctx, &tracking); err != nil {
			return err
		}
		r.notifyApplicant(dossier.EventReturned, "Kết quả đã gửi qua bưu chính",
			fmt.Sprintf("Kết quả hồ sơ %s đã được gửi qua dịch vụ bưu chính công ích, mã vận đơn %s.", r.in.Code, tracking))
	default: // e_result
		body := fmt.Sprintf("Kết quả điện tử của hồ sơ %s đã được ký số và trả trên Cổng dịch vụ công.", r.in.Code)
		if r.st.Result != nil {
			body += " Mã kết quả: " + r.st.Result.Code + "."
		}
		r.notifyApplicant(dossier.EventReturned, "Trả kết quả điện tử", body)
	}
	r.st.Status = dossier.StatusReturned
	r.st.ReturnedAt = workflow.Now(ctx)
	r.record(ctx, dossier.Event{Kind: dossier.EventReturned, Step: s.ID, Note: delivery})
	r.pushPortal(ctx, s.ID)
	return nil
}

// refuse ends a dossier refused after reception with a written notice of
// the reasons (at reception, status 3 was already set).
func (r *run) refuse(ctx workflow.Context) error {
	if r.st.Status == dossier.StatusRefused {
		return nil
	}
	reason := r.lastNote()
	if err := r.issue(ctx, r.lastActor(), reason); err != nil {
		return err
	}
	r.st.Result.Refusal = true
	r.processed(ctx, "")
	r.notifyApplicant(dossier.EventRefused, "Thông báo từ chối giải quyết hồ sơ",
		fmt.Sprintf("Hồ sơ %s không được giải quyết. Lý do: %s", r.in.Code, reason))
	r.st.Result.Delivery = dossier.ChannelOnline
	r.st.Status = dossier.StatusReturned
	r.st.ReturnedAt = workflow.Now(ctx)
	r.record(ctx, dossier.Event{Kind: dossier.EventRefused, Note: reason})
	r.pushPortal(ctx, "")
	return nil
}

// stop ends the dossier with status 8 and a stop notice.
func (r *run) stop(ctx workflow.Context) {
	r.st.Status = dossier.StatusStopped
	r.st.FinishedAt = workflow.Now(ctx)
	r.record(ctx, dossier.Event{Kind: dossier.EventStopped, Note: r.stopReason})
	r.notifyApplicant(dossier.EventStopped, "Thông báo dừng xử lý hồ sơ",
		fmt.Sprintf("Hồ sơ %s đã dừng xử lý. Lý do: %s", r.in.Code, r.stopReason))
	r.pushPortal(ctx, "")
}

func (r *run) closeAllTasks() {
	for _, t := range slices.Clone(r.tasks) {
		r.closeTask(t)
	}
	r.current = nil
}

// lastNote and lastActor return the note and actor of the latest action.
func (r *run) lastNote() string {
	for i := len(r.timeline) - 1; i >= 0; i-- {
		if e := r.timeline[i]; e.Kind == dossier.EventActed && e.Note != "" {
			return e.Note
		}
	}
	return ""
}

func (r *run) lastActor() dossier.Actor {
	for i := len(r.timeline) - 1; i >= 0; i-- {
		if e := r.timeline[i]; e.Kind == dossier.EventActed {
			return e.Actor
		}
	}
	return dossier.Actor{}
}

func (r *run) roleAgency(role string) string {
	for _, x := range r.plan.Roles {
		if x.ID == role {
			return x.Agency
		}
	}
	return ""
}

// escalateTo names who hears of a passed deadline: the leader who signs in
// this mode, else the task's own role.
func (r *run) escalateTo(t *task) (string, string) {
	for _, s := range r.mp.Steps {
		if s.Kind == definitions.KindSign {
			return s.Role, s.Agency
		}
	}
	return t.Role, t.Agency
}

// appointmentDeadline is the dossier-level deadline the SLA loop watches.
func (r *run) appointmentDeadline() *slaDeadline {
	if !r.accepted || r.final() {
		return nil
	}
	role, agency := r.escalateTo(&task{Task: dossier.Task{Role: r.mp.Steps[0].Role, Agency: r.mp.Steps[0].Agency}})
	return &slaDeadline{
		due: r.appointment.Due, warn: r.appointment.Warn, warned: &r.appointmentWarned, overdue: &r.appointmentLate,
		onWarn: func(ctx workflow.Context) {
			r.record(ctx, dossier.Event{Kind: dossier.EventWarning, Note: "appointment", DueAt: r.appointment.Due})
			r.notify(activities.Notification{To: role, Agency: agency, Kind: dossier.EventWarning,
				Subject: fmt.Sprintf("Hồ sơ %s sắp đến ngày hẹn trả", r.in.Code),
				Body: fmt.Sprintf("Hồ sơ %s hẹn trả lúc %s. Nếu không kịp, gửi văn bản xin lỗi và đề nghị gia hạn trước ngày hẹn.",
					r.in.Code, formatTime(r.appointment.Due))})
		},
		onOverdue: func(ctx workflow.Context) {
			r.record(ctx, dossier.Event{Kind: dossier.EventOverdue, Note: "appointment", DueAt: r.appointment.Due})
			r.notify(activities.Notification{To: role, Agency: agency, Kind: dossier.EventOverdue,
				Subject: fmt.Sprintf("Hồ sơ %s đã quá hạn", r.in.Code),
				Body:    fmt.Sprintf("Hồ sơ %s đã quá ngày hẹn trả %s.", r.in.Code, formatTime(r.appointment.Due))})
		},
	}
}

func (r *run) notifyApplicant(kind, subject, body string) {
	r.notify(activities.Notification{To: dossier.RoleApplicant, Contact: r.in.Applicant.Contact, Kind: kind, Subject: subject, Body: body})
}

// pushPortal queues a status push to the national portal.
func (r *run) pushPortal(ctx workflow.Context, step string) {
	s := activities.PortalStatus{Code: r.in.Code, Procedure: r.plan.Code, Agency: r.plan.Agency, Status: r.st.Status,
		StatusName: r.st.Status.String(), Step: step, Seq: len(r.timeline), At: workflow.Now(ctx)}
	if r.st.Result != nil {
		s.ResultCode = r.st.Result.Code
	}
	r.portalOut = append(r.portalOut, s)
}

// state returns the dossier's state; with the timeline when asked.
func (r *run) state(withTimeline bool) dossier.State {
	s := r.st
	s.StatusName = s.Status.String()
	s.OpenTasks = r.openTasks()
	s.CurrentSteps = slices.Clone(r.current)
	if s.CurrentSteps == nil {
		s.CurrentSteps = []string{}
	}
	s.Components = slices.Clone(r.in.Components)
	if withTimeline {
		s.Timeline = slices.Clone(r.timeline)
		s.Form = maps.Clone(r.in.Form)
		s.Delivery = r.in.Delivery
	}
	if r.st.Result != nil {
		res := *r.st.Result
		s.Result = &res
	}
	return s
}

// facts are the per-dossier figures the indicators need.
func (r *run) facts() dossier.Facts {
	f := dossier.Facts{
		ProcedureVersion: r.plan.Version,
		ResultIsDocument: r.plan.Result.Kind == "document",
		Digitised:        len(r.in.Components) > 0,
	}
	for _, fee := range r.plan.Fees {
		if fee.Amount > 0 {
			f.HasFee = true
		}
	}
	for _, c := range r.in.Components {
		if c.Reused {
			f.ReusedComponents++
		}
		if c.SHA256 == "" && !c.Reused {
			f.Digitised = false
		}
	}
	f.EResult = r.st.Result != nil && !r.st.Result.Refusal && r.st.Result.Signature != "" && r.in.Delivery == "e_result"
	return f
}

func formatVND(v int64) string {
	s := fmt.Sprint(v)
	out := ""
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out += "."
		}
		out += string(c)
	}
	return out
}
