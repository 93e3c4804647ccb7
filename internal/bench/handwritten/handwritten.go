// Package handwritten holds the baselines `motcua bench` measures the
// interpreter against: Procedure, the benchmark's six-step procedure
// (internal/bench/procedure.yaml) written by hand as a Temporal workflow in
// Go, the way a team would write it without motcua; and Noop, a workflow
// whose only update does nothing, the floor of an Update round trip.
//
// Procedure calls the same activities as the interpreted Dossier workflow
// (the same *activities.Activities, by method value), keeps the same
// timeline, open tasks, read-model projections, notifications, portal
// pushes and search attributes, watches the same deadlines, and answers the
// same Updates with the same arguments (workflows.UpdateAct, UpdatePay,
// UpdateRate) and the same state query, so one scripted driver drives both.
// It implements the paths the benchmark takes and the refusals; a
// supplement, a withdrawal or an extension it refuses (the interpreter
// handles them, the benchmark never asks for them).
//
// It is written as a careful engineer would: the procedure is code, not
// data (no plan travels in its input); due times are local activities;
// side effects that nothing waits on (projections, notifications, portal
// pushes) are started without blocking the procedure and awaited before
// it ends, since the read model and the portal order what they receive by
// sequence number.
package handwritten

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

// Names under which the baselines are registered.
const (
	// WorkflowName is the workflow type of Procedure.
	WorkflowName = "BenchHandwritten"
	// NoopWorkflowName is the workflow type of Noop.
	NoopWorkflowName = "BenchNoop"
	// NoopUpdate is Noop's update: it answers its argument.
	NoopUpdate = "noop"
)

// The procedure, as constants: what internal/bench/procedure.yaml says.
// TestMatchesDefinition keeps them in step with the YAML.
const (
	ProcedureCode    = "9.999006"
	ProcedureName    = "Cấp giấy xác nhận (thủ tục mẫu đo hiệu năng)"
	ProcedureVersion = "bench.1"
	Mode             = definitions.ModePartialOnline
	Agency           = "ubnd_xa"
	RoleOneStop      = "mot_cua"
	RoleReviewer     = "chuyen_vien"
	RoleSigner       = "chu_tich_xa"
	Fee              = int64(50000)
	FeeID            = "le_phi"
	Check            = "population_lookup"
	ResultName       = "Giấy xác nhận"

	StepReception = "tiep_nhan"
	StepCheck     = "kiem_tra"
	StepReview    = "tham_dinh"
	StepPay       = "nop_le_phi"
	StepSign      = "ky_duyet"
	StepReturn    = "tra_ket_qua"

	// TaskPickup is the id of the counter pick-up task of the return step.
	TaskPickup = StepReturn + ".pickup"
)

// Allotted times, as the YAML gives them (with the plan's defaults).
var (
	TimeLimit        = definitions.TimeLimit{WorkingDays: 3, Counting: "days", Cutoff: definitions.DefaultCutoff}
	ReceptionWithin  = definitions.Duration{WorkingHours: 2}
	ReviewWithin     = definitions.Duration{WorkingHours: 8}
	PayTimeout       = definitions.Duration{WorkingDays: 5}
	SignWithin       = definitions.Duration{WorkingHours: 4}
	ReturnWithin     = definitions.Duration{WorkingHours: 2}
	stepNames        = map[string]string{StepReception: "Tiếp nhận và kiểm tra hồ sơ", StepReview: "Thẩm định hồ sơ", StepPay: "Nộp lệ phí", StepSign: "Ký duyệt giấy xác nhận", StepReturn: "Trả kết quả"}
	reviewOutcomes   = []string{"approve", workflows.OutcomeRefuse}
	signOutcome      = "signed"
	ratingWindow     = workflows.RatingWindow
	errNotApplicable = errors.New("the hand-written baseline does not implement this")
)

// StepName is the name of a step, as the definition gives it.
func StepName(step string) string { return stepNames[step] }

// acts names the activities by method value; the workflow never calls them.
var acts *activities.Activities

// Activity options: the interpreter's.
var (
	localOptions = workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	}
	projectOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	}
	externalOptions = workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{MaximumInterval: 10 * time.Minute},
	}
)

// Registry is where the baselines are registered: a worker.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers Procedure and Noop under their names.
func Register(r Registry) {
	r.RegisterWorkflowWithOptions(Procedure, workflow.RegisterOptions{Name: WorkflowName})
	r.RegisterWorkflowWithOptions(Noop, workflow.RegisterOptions{Name: NoopWorkflowName})
}

// Noop waits forever, answering NoopUpdate with its argument.
func Noop(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandler(ctx, NoopUpdate, func(ctx workflow.Context, n int) (int, error) { return n, nil }); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return false })
}

// task is an open task.
type task struct {
	dossier.Task
	warnAt          time.Time
	warned, overdue bool
	done            bool
	act             workflows.ActRequest
	reference       string // the payment order, for the pay task
}

// proc is the state of one dossier.
type proc struct {
	in        dossier.Input
	st        dossier.State
	timeline  []dossier.Event
	projected int
	tasks     []*task
	outbox    int // notifications sent, for their keys

	accepted    bool
	appointment activities.Deadline
	apptWarned  bool
	apptLate    bool
	rated       bool

	// pending are the side effects started and not yet awaited.
	pending []workflow.Future

	searchSet         bool
	searchStatus      int64
	searchAppointment time.Time
}

// Procedure is the benchmark's procedure written by hand: reception, the
// population check, review, the fee, signature and return at the counter,
// then the rating window.
func Procedure(ctx workflow.Context, in dossier.Input) (dossier.State, error) {
	if in.Code == "" {
		return dossier.State{}, temporal.NewNonRetryableApplicationError("dossier input has no code", "InvalidInput", nil)
	}
	p := &proc{in: in}
	p.st = dossier.State{Code: in.Code, ProcedureCode: ProcedureCode, Mode: Mode, Channel: in.Channel, Agency: Agency,
		Applicant: in.Applicant, Status: dossier.StatusNew, ReceivedAt: in.ReceivedAt}
	if p.st.ReceivedAt.IsZero() {
		p.st.ReceivedAt = workflow.Now(ctx)
	}
	if p.in.Delivery == "" {
		p.in.Delivery = "counter"
	}
	if err := p.register(ctx); err != nil {
		return dossier.State{}, err
	}
	err := p.run(ctx)
	p.finish(ctx)
	if err != nil {
		return p.st, err
	}
	return p.state(true), nil
}

// run walks the procedure.
func (p *proc) run(ctx workflow.Context) error {
	p.record(ctx, dossier.Event{Kind: dossier.EventSubmitted, Actor: dossier.Actor{ID: p.in.Applicant.ID, Role: dossier.RoleApplicant},
		Note: p.in.Channel, At: p.st.ReceivedAt})
	p.portal(ctx, "")

	// Reception.
	t, err := p.open(ctx, StepReception, definitions.KindReception, RoleOneStop, Agency,
		[]string{workflows.OutcomeAccept, workflows.OutcomeRefuse}, &ReceptionWithin)
	if err != nil {
		return err
	}
	if err := p.wait(ctx, t); err != nil {
		return err
	}
	if t.act.Outcome == workflows.OutcomeRefuse {
		p.st.Status = dossier.StatusRefused
		p.record(ctx, dossier.Event{Kind: dossier.EventRefused, Step: StepReception, Actor: t.act.Actor, Note: t.act.Note})
		p.notifyApplicant(ctx, dossier.EventRefused, "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
			fmt.Sprintf("Hồ sơ %s không được tiếp nhận. Lý do: %s", p.in.Code, t.act.Note))
		p.portal(ctx, StepReception)
		return nil
	}
	if err := p.accept(ctx); err != nil {
		return err
	}

	// The automated check.
	var res activities.CheckResult
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, externalOptions), acts.RunCheck, activities.CheckRequest{
		Code: p.in.Code, Check: Check, Applicant: p.in.Applicant, Form: p.in.Form}).Get(ctx, &res); err != nil {
		return err
	}
	outcome := "failed"
	if res.Passed {
		outcome = "passed"
	}
	p.record(ctx, dossier.Event{Kind: dossier.EventChecked, Step: StepCheck, Outcome: outcome, Note: res.Note})
	if !res.Passed {
		return p.refuse(ctx, res.Note)
	}

	// Review.
	if t, err = p.officerStep(ctx, StepReview, definitions.KindTask, RoleReviewer, reviewOutcomes, &ReviewWithin); err != nil {
		return err
	}
	if t.act.Outcome == workflows.OutcomeRefuse {
		return p.refuse(ctx, t.act.Note)
	}

	// The fee.
	if stopped, err := p.pay(ctx); err != nil || stopped {
		return err
	}

	// Approval with the signature.
	if t, err = p.officerStep(ctx, StepSign, definitions.KindSign, RoleSigner, []string{signOutcome}, &SignWithin); err != nil {
		return err
	}
	if err := p.issue(ctx, t.act.Actor, ""); err != nil {
		return err
	}

	// Return at the counter.
	p.processed(ctx, StepReturn)
	dl, err := p.deadline(ctx, &ReturnWithin)
	if err != nil {
		return err
	}
	p.st.Result.Delivery = p.in.Delivery
	p.notifyApplicant(ctx, dossier.EventProcessed, "Thông báo trả kết quả",
		fmt.Sprintf("Hồ sơ %s đã có kết quả. Mời ông/bà đến Bộ phận một cửa để nhận.", p.in.Code))
	t = p.openWith(ctx, TaskPickup, StepReturn, "pickup", RoleOneStop, Agency, []string{workflows.OutcomeReturned}, dl)
	if err := p.wait(ctx, t); err != nil {
		return err
	}
	p.st.Status = dossier.StatusReturned
	p.st.ReturnedAt = workflow.Now(ctx)
	p.record(ctx, dossier.Event{Kind: dossier.EventReturned, Step: StepReturn, Note: p.in.Delivery})
	p.portal(ctx, StepReturn)
	p.awaitRating(ctx)
	return nil
}

// officerStep opens an officer's task with its due time and waits for it.
func (p *proc) officerStep(ctx workflow.Context, step, kind, role string, outcomes []string, within *definitions.Duration) (*task, error) {
	p.setProcessing()
	t, err := p.open(ctx, step, kind, role, Agency, outcomes, within)
	if err != nil {
		return nil, err
	}
	return t, p.wait(ctx, t)
}

// accept computes the appointment and starts watching it.
func (p *proc) accept(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	var dl activities.Deadline
	if err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localOptions), acts.Appointment,
		activities.AppointmentRequest{ReceivedAt: now, TimeLimit: TimeLimit}).Get(ctx, &dl); err != nil {
		return err
	}
	p.accepted = true
	p.appointment = dl
	p.apptWarned = !dl.Warn.After(now)
	p.st.AcceptedAt = now
	p.st.AppointmentAt = dl.Due
	p.st.Status = dossier.StatusReceived
	p.record(ctx, dossier.Event{Kind: dossier.EventReceived, Note: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", DueAt: dl.Due})
	p.notifyApplicant(ctx, dossier.EventActed, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
		fmt.Sprintf("Hồ sơ %s đã được tiếp nhận. Ngày hẹn trả kết quả: %s.", p.in.Code, formatTime(dl.Due)))
	p.portal(ctx, "")
	p.st.Status = dossier.StatusProcessing
	workflow.Go(ctx, p.watchAppointment)
	return nil
}

// watchAppointment warns one working day before the appointment and
// escalates to the signer when it passes, until the dossier is processed.
func (p *proc) watchAppointment(ctx workflow.Context) {
	for !p.final() && !p.apptLate {
		at := p.appointment.Due
		if !p.apptWarned && p.appointment.Warn.Before(at) {
			at = p.appointment.Warn
		}
		if wait := at.Sub(workflow.Now(ctx)); wait > 0 {
			done, err := workflow.AwaitWithTimeout(ctx, wait, p.final)
			if err != nil || done {
				return
			}
		}
		if !p.apptWarned {
			p.apptWarned = true
			p.record(ctx, dossier.Event{Kind: dossier.EventWarning, Note: "appointment", DueAt: p.appointment.Due})
			p.notify(ctx, activities.Notification{To: RoleSigner, Agency: Agency, Kind: dossier.EventWarning,
				Subject: fmt.Sprintf("Hồ sơ %s sắp đến ngày hẹn trả", p.in.Code),
				Body: fmt.Sprintf("Hồ sơ %s hẹn trả lúc %s. Nếu không kịp, gửi văn bản xin lỗi và đề nghị gia hạn trước ngày hẹn.",
					p.in.Code, formatTime(p.appointment.Due))})
			continue
		}
		p.apptLate = true
		p.record(ctx, dossier.Event{Kind: dossier.EventOverdue, Note: "appointment", DueAt: p.appointment.Due})
		p.notify(ctx, activities.Notification{To: RoleSigner, Agency: Agency, Kind: dossier.EventOverdue,
			Subject: fmt.Sprintf("Hồ sơ %s đã quá hạn", p.in.Code),
			Body:    fmt.Sprintf("Hồ sơ %s đã quá ngày hẹn trả %s.", p.in.Code, formatTime(p.appointment.Due))})
	}
}

// pay asks for the fee and waits for the payment; it reports whether the
// dossier stopped because the payment did not come in time.
func (p *proc) pay(ctx workflow.Context) (bool, error) {
	dl, err := p.deadline(ctx, &PayTimeout)
	if err != nil {
		return false, err
	}
	p.st.Status = dossier.StatusAwaitingFee
	p.st.FeesDue = Fee
	var order activities.PaymentOrder
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, externalOptions), acts.RequestPayment, activities.PaymentRequest{
		Code: p.in.Code, Amount: Fee, Fees: []string{FeeID}, Payer: p.in.Applicant.ID, Deadline: dl.Due}).Get(ctx, &order); err != nil {
		return false, err
	}
	p.record(ctx, dossier.Event{Kind: dossier.EventPaymentRequested, Step: StepPay, Note: order.Reference, DueAt: dl.Due})
	p.notifyApplicant(ctx, dossier.EventPaymentRequested, "Yêu cầu thực hiện nghĩa vụ tài chính",
		fmt.Sprintf("Hồ sơ %s: vui lòng nộp %s đồng trước %s. %s", p.in.Code, formatVND(Fee), formatTime(dl.Due), order.URL))
	p.portal(ctx, StepPay)
	t := p.openWith(ctx, StepPay, StepPay, definitions.KindPay, dossier.RoleApplicant, "", []string{"paid"}, dl)
	t.reference = order.Reference
	p.project(ctx)
	paid, err := workflow.AwaitWithTimeout(ctx, dl.Due.Sub(workflow.Now(ctx)), func() bool { return t.done })
	p.close(t)
	if err != nil {
		return false, err
	}
	p.setProcessing()
	if !paid {
		reason := "Quá hạn nộp phí, lệ phí"
		p.record(ctx, dossier.Event{Kind: dossier.EventOverdue, Step: StepPay, Note: reason, DueAt: dl.Due})
		p.stop(ctx, reason)
		return true, nil
	}
	return false, nil
}

// issue produces and signs the result, or the refusal notice.
func (p *proc) issue(ctx workflow.Context, by dossier.Actor, refusal string) error {
	var res dossier.Result
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, projectOptions), acts.IssueResult, activities.SignRequest{
		Code: p.in.Code, N: 1, Procedure: ProcedureName, Result: definitions.Result{Kind: "document", Name: ResultName},
		Applicant: p.in.Applicant, SignedBy: by, Refusal: refusal, At: workflow.Now(ctx)}).Get(ctx, &res); err != nil {
		return err
	}
	p.st.Result = &res
	p.record(ctx, dossier.Event{Kind: dossier.EventSigned, Actor: by, Note: res.Code})
	return nil
}

// processed sets status 9 and judges the dossier against its appointment.
func (p *proc) processed(ctx workflow.Context, step string) {
	now := workflow.Now(ctx)
	p.st.Status = dossier.StatusProcessed
	p.st.FinishedAt = now
	p.st.Timeliness = dossier.Judge(now, p.st.AppointmentAt)
	p.record(ctx, dossier.Event{Kind: dossier.EventProcessed, Step: step, DueAt: p.st.AppointmentAt, Timeliness: p.st.Timeliness})
	p.portal(ctx, step)
}

// refuse ends a dossier refused after reception with a signed notice.
func (p *proc) refuse(ctx workflow.Context, reason string) error {
	by := dossier.Actor{Role: RoleSigner, Agency: Agency}
	for i := len(p.timeline) - 1; i >= 0; i-- {
		if p.timeline[i].Kind == dossier.EventActed {
			by = p.timeline[i].Actor
			break
		}
	}
	if err := p.issue(ctx, by, reason); err != nil {
		return err
	}
	p.st.Result.Refusal = true
	p.processed(ctx, "")
	p.notifyApplicant(ctx, dossier.EventRefused, "Thông báo từ chối giải quyết hồ sơ",
		fmt.Sprintf("Hồ sơ %s không được giải quyết. Lý do: %s", p.in.Code, reason))
	p.st.Result.Delivery = dossier.ChannelOnline
	p.st.Status = dossier.StatusReturned
	p.st.ReturnedAt = workflow.Now(ctx)
	p.record(ctx, dossier.Event{Kind: dossier.EventRefused, Note: reason})
	p.portal(ctx, "")
	p.awaitRating(ctx)
	return nil
}

// stop ends the dossier with status 8.
func (p *proc) stop(ctx workflow.Context, reason string) {
	p.st.Status = dossier.StatusStopped
	p.st.FinishedAt = workflow.Now(ctx)
	p.record(ctx, dossier.Event{Kind: dossier.EventStopped, Note: reason})
	p.notifyApplicant(ctx, dossier.EventStopped, "Thông báo dừng xử lý hồ sơ",
		fmt.Sprintf("Hồ sơ %s đã dừng xử lý. Lý do: %s", p.in.Code, reason))
	p.portal(ctx, "")
}

// awaitRating gives the applicant the rating window.
func (p *proc) awaitRating(ctx workflow.Context) {
	p.project(ctx)
	_, _ = workflow.AwaitWithTimeout(ctx, ratingWindow, func() bool { return p.rated })
}

// finish projects what is left and waits for every side effect.
func (p *proc) finish(ctx workflow.Context) {
	p.tasks = nil
	p.project(ctx)
	for _, f := range p.pending {
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("side effect failed", "workflow", p.in.Code, "error", err)
		}
	}
}

func (p *proc) setProcessing() {
	if p.accepted {
		p.st.Status = dossier.StatusProcessing
	}
}

func (p *proc) final() bool {
	switch p.st.Status {
	case dossier.StatusRefused, dossier.StatusStopped, dossier.StatusProcessed, dossier.StatusReturned:
		return true
	}
	return false
}

// deadline computes the due time of a step started now.
func (p *proc) deadline(ctx workflow.Context, within *definitions.Duration) (activities.Deadline, error) {
	var dl activities.Deadline
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localOptions), acts.StepDue,
		activities.StepDueRequest{Start: workflow.Now(ctx), Within: *within, Counting: TimeLimit.Counting}).Get(ctx, &dl)
	return dl, err
}

// open computes a step's due time and opens its task.
func (p *proc) open(ctx workflow.Context, step, kind, role, agency string, outcomes []string, within *definitions.Duration) (*task, error) {
	dl, err := p.deadline(ctx, within)
	if err != nil {
		return nil, err
	}
	return p.openWith(ctx, step, step, kind, role, agency, outcomes, dl), nil
}

func (p *proc) openWith(ctx workflow.Context, id, step, kind, role, agency string, outcomes []string, dl activities.Deadline) *task {
	now := workflow.Now(ctx)
	t := &task{Task: dossier.Task{ID: id, Step: step, Kind: kind, Name: stepNames[step], Role: role, Agency: agency,
		Outcomes: outcomes, OpenedAt: now, DueAt: dl.Due}, warnAt: dl.Warn}
	t.warned = !dl.Warn.After(now)
	p.tasks = append(p.tasks, t)
	p.record(ctx, dossier.Event{Kind: dossier.EventTaskOpened, Step: step, Note: id, DueAt: dl.Due,
		Actor: dossier.Actor{Role: role, Agency: agency}})
	return t
}

func (p *proc) close(t *task) {
	p.tasks = slices.DeleteFunc(p.tasks, func(x *task) bool { return x == t })
}

// wait projects (the inbox shows the task) and waits for an officer's
// action, warning one working day before the due time and escalating to
// the signer when it passes.
func (p *proc) wait(ctx workflow.Context, t *task) error {
	p.project(ctx)
	for !t.done {
		at := t.DueAt
		if !t.warned && t.warnAt.Before(at) {
			at = t.warnAt
		}
		if t.overdue {
			if err := workflow.Await(ctx, func() bool { return t.done }); err != nil {
				return err
			}
			break
		}
		if wait := at.Sub(workflow.Now(ctx)); wait > 0 {
			done, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return t.done })
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
		if !t.warned {
			t.warned = true
			p.record(ctx, dossier.Event{Kind: dossier.EventWarning, Step: t.Step, Note: t.ID, DueAt: t.DueAt})
			p.notify(ctx, activities.Notification{To: t.Role, Agency: t.Agency, Kind: dossier.EventWarning,
				Subject: fmt.Sprintf("Hồ sơ %s sắp đến hạn", p.in.Code),
				Body:    fmt.Sprintf("Bước \"%s\" của hồ sơ %s đến hạn lúc %s.", t.Name, p.in.Code, formatTime(t.DueAt))})
		} else {
			t.overdue = true
			p.record(ctx, dossier.Event{Kind: dossier.EventOverdue, Step: t.Step, Note: t.ID, DueAt: t.DueAt})
			p.notify(ctx, activities.Notification{To: RoleSigner, Agency: Agency, Kind: dossier.EventOverdue,
				Subject: fmt.Sprintf("Hồ sơ %s đã quá hạn", p.in.Code),
				Body:    fmt.Sprintf("Bước \"%s\" của hồ sơ %s đã quá hạn từ %s.", t.Name, p.in.Code, formatTime(t.DueAt))})
		}
		p.project(ctx)
	}
	p.close(t)
	return nil
}

// record appends an event to the timeline.
func (p *proc) record(ctx workflow.Context, e dossier.Event) {
	e.Seq = len(p.timeline) + 1
	if e.At.IsZero() {
		e.At = workflow.Now(ctx)
	}
	e.Status = p.st.Status
	p.timeline = append(p.timeline, e)
}

// project sends what the read model does not hold yet, with the open
// tasks and the state, and keeps the search attributes in step.
func (p *proc) project(ctx workflow.Context) {
	if p.projected == len(p.timeline) {
		return
	}
	p.upsertSearch(ctx)
	snap := p.state(false)
	pr := dossier.Projection{WorkflowID: p.in.Code, Code: p.in.Code, Seq: len(p.timeline),
		Events: slices.Clone(p.timeline[p.projected:]), Tasks: p.openTasks(), Snapshot: &snap, Facts: p.facts()}
	p.projected = len(p.timeline)
	p.start(workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, projectOptions), acts.Project, pr))
}

// upsertSearch writes the search attributes that changed.
func (p *proc) upsertSearch(ctx workflow.Context) {
	var updates []temporal.SearchAttributeUpdate
	if !p.searchSet {
		p.searchSet = true
		updates = append(updates, workflows.SearchProcedure.ValueSet(ProcedureCode), workflows.SearchAgency.ValueSet(Agency),
			workflows.SearchMode.ValueSet(Mode))
	}
	if s := int64(p.st.Status); s != p.searchStatus {
		p.searchStatus = s
		updates = append(updates, workflows.SearchStatus.ValueSet(s))
	}
	if !p.st.AppointmentAt.Equal(p.searchAppointment) {
		p.searchAppointment = p.st.AppointmentAt
		updates = append(updates, workflows.SearchAppointment.ValueSet(p.searchAppointment))
	}
	if len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("search attributes not updated", "workflow", p.in.Code, "error", err)
	}
}

// notifyApplicant and notify send a notification without waiting for it.
func (p *proc) notifyApplicant(ctx workflow.Context, kind, subject, body string) {
	p.notify(ctx, activities.Notification{To: dossier.RoleApplicant, Contact: p.in.Applicant.Contact, Kind: kind, Subject: subject, Body: body})
}

func (p *proc) notify(ctx workflow.Context, n activities.Notification) {
	n.Code = p.in.Code
	n.Key = fmt.Sprintf("%s#%d#%d", p.in.Code, len(p.timeline), p.outbox)
	p.outbox++
	p.start(workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, externalOptions), acts.Notify, n))
}

// portal pushes the status to the national portal without waiting.
func (p *proc) portal(ctx workflow.Context, step string) {
	s := activities.PortalStatus{Code: p.in.Code, Procedure: ProcedureCode, Agency: Agency, Status: p.st.Status,
		StatusName: p.st.Status.String(), Step: step, Seq: len(p.timeline), At: workflow.Now(ctx)}
	if p.st.Result != nil {
		s.ResultCode = p.st.Result.Code
	}
	p.start(workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, externalOptions), acts.SyncPortal, s))
}

func (p *proc) start(f workflow.Future) { p.pending = append(p.pending, f) }

func (p *proc) openTasks() []dossier.Task {
	out := make([]dossier.Task, 0, len(p.tasks))
	for _, t := range p.tasks {
		if !t.done {
			out = append(out, t.Task)
		}
	}
	return out
}

// state returns the dossier's state; with the timeline when asked.
func (p *proc) state(withTimeline bool) dossier.State {
	s := p.st
	s.StatusName = s.Status.String()
	s.OpenTasks = p.openTasks()
	s.CurrentSteps = []string{}
	for _, t := range s.OpenTasks {
		s.CurrentSteps = append(s.CurrentSteps, t.Step)
	}
	s.Components = slices.Clone(p.in.Components)
	if withTimeline {
		s.Timeline = slices.Clone(p.timeline)
		s.Form = p.in.Form
		s.Delivery = p.in.Delivery
	}
	if p.st.Result != nil {
		r := *p.st.Result
		s.Result = &r
	}
	return s
}

// facts are the figures the indicators need.
func (p *proc) facts() dossier.Facts {
	f := dossier.Facts{ProcedureVersion: ProcedureVersion, ResultIsDocument: true, HasFee: true, Digitised: len(p.in.Components) > 0}
	for _, c := range p.in.Components {
		if c.Reused {
			f.ReusedComponents++
		}
		if c.SHA256 == "" && !c.Reused {
			f.Digitised = false
		}
	}
	return f
}

// register sets up the state query and the updates people send.
func (p *proc) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, workflows.QueryState, func() (dossier.State, error) { return p.state(true), nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, workflows.UpdateAct, p.handleAct,
		workflow.UpdateHandlerOptions{Validator: p.validateAct}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, workflows.UpdatePay, p.handlePay,
		workflow.UpdateHandlerOptions{Validator: p.validatePay}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, workflows.UpdateRate, p.handleRate,
		workflow.UpdateHandlerOptions{Validator: p.validateRate}); err != nil {
		return err
	}
	for _, name := range []string{workflows.UpdateSupplement, workflows.UpdateWithdraw, workflows.UpdateExtend} {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, name, func(workflow.Context, any) (dossier.State, error) {
			return dossier.State{}, errNotApplicable
		}, workflow.UpdateHandlerOptions{Validator: func(workflow.Context, any) error {
			return fmt.Errorf("update %q: %w", name, errNotApplicable)
		}}); err != nil {
			return err
		}
	}
	return nil
}

// findTask finds an open task by its id, or by its step.
func (p *proc) findTask(ref string) *task {
	for _, t := range p.tasks {
		if !t.done && (t.ID == ref || t.Step == ref) {
			return t
		}
	}
	return nil
}

func (p *proc) validateAct(ctx workflow.Context, req workflows.ActRequest) error {
	if req.Task == "" || req.Outcome == "" {
		return errors.New("invalid request: task and outcome are required")
	}
	t := p.findTask(req.Task)
	switch {
	case t == nil:
		return fmt.Errorf("task %q is not open on dossier %s", req.Task, p.in.Code)
	case t.Role == dossier.RoleApplicant:
		return fmt.Errorf("task %q waits for the applicant, not an officer", t.ID)
	case req.Actor.ID == "":
		return errors.New("the actor has no id")
	case req.Actor.Role != t.Role:
		return fmt.Errorf("role %q may not act on task %q: it needs role %q", req.Actor.Role, t.ID, t.Role)
	case req.Actor.Agency != t.Agency:
		return fmt.Errorf("an officer of agency %q may not act on task %q: it belongs to agency %q", req.Actor.Agency, t.ID, t.Agency)
	case !slices.Contains(t.Outcomes, req.Outcome):
		return fmt.Errorf("outcome %q is not one of task %q's: %s", req.Outcome, t.ID, strings.Join(t.Outcomes, ", "))
	case req.Outcome == workflows.OutcomeRefuse && strings.TrimSpace(req.Note) == "":
		return errors.New("a refusal must give its reasons (note)")
	}
	return nil
}

func (p *proc) handleAct(ctx workflow.Context, req workflows.ActRequest) (dossier.State, error) {
	t := p.findTask(req.Task)
	now := workflow.Now(ctx)
	t.done, t.act = true, req
	p.record(ctx, dossier.Event{Kind: dossier.EventActed, Step: t.Step, Actor: req.Actor, Outcome: req.Outcome,
		Note: req.Note, DueAt: t.DueAt, Timeliness: dossier.Judge(now, t.DueAt)})
	return p.state(false), nil
}

func (p *proc) payTask() *task {
	for _, t := range p.tasks {
		if !t.done && t.Kind == definitions.KindPay {
			return t
		}
	}
	return nil
}

func (p *proc) validatePay(ctx workflow.Context, req workflows.PayRequest) error {
	t := p.payTask()
	switch {
	case t == nil:
		return fmt.Errorf("dossier %s is not waiting for a payment", p.in.Code)
	case req.Reference != t.reference:
		return fmt.Errorf("payment reference %q does not match the order %q of dossier %s", req.Reference, t.reference, p.in.Code)
	case req.Amount < p.st.FeesDue:
		return fmt.Errorf("payment of %d VND is less than the %d VND due", req.Amount, p.st.FeesDue)
	}
	return nil
}

func (p *proc) handlePay(ctx workflow.Context, req workflows.PayRequest) (dossier.State, error) {
	t := p.payTask()
	now := workflow.Now(ctx)
	t.done = true
	p.st.PaidOnline = req.Online
	p.record(ctx, dossier.Event{Kind: dossier.EventPaid, Step: t.Step, Note: req.Reference, Outcome: "paid",
		DueAt: t.DueAt, Timeliness: dossier.Judge(now, t.DueAt)})
	return p.state(false), nil
}

func (p *proc) validateRate(ctx workflow.Context, req workflows.RateRequest) error {
	switch {
	case req.Actor.ID != p.in.Applicant.ID || (req.Actor.Role != "" && req.Actor.Role != dossier.RoleApplicant):
		return fmt.Errorf("only the applicant of dossier %s may do this", p.in.Code)
	case p.st.Status != dossier.StatusReturned:
		return fmt.Errorf("dossier %s can be rated once its result is returned; it is %s", p.in.Code, p.st.Status)
	case p.rated:
		return fmt.Errorf("dossier %s is already rated", p.in.Code)
	}
	return nil
}

func (p *proc) handleRate(ctx workflow.Context, req workflows.RateRequest) (dossier.State, error) {
	p.rated = true
	p.st.Rating = &dossier.Rating{Satisfied: req.Satisfied, Comment: req.Comment, At: workflow.Now(ctx)}
	outcome := "dissatisfied"
	if req.Satisfied {
		outcome = "satisfied"
	}
	p.record(ctx, dossier.Event{Kind: dossier.EventRated, Actor: req.Actor, Outcome: outcome, Note: req.Comment})
	return p.state(false), nil
}

func formatTime(t time.Time) string {
	return t.In(dossier.Vietnam).Format("15:04 02/01/2006")
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
