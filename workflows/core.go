package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
)

// acts refers to the activities by method value, so the compiler checks
// every reference; the workflow never calls them directly.
var acts *activities.Activities

// task is an open (or just closed) task of a workflow.
type task struct {
	dossier.Task
	step    *definitions.PlanStep
	warnAt  time.Time
	warned  bool
	overdue bool
	done    bool
	act     ActRequest
	actedAt time.Time
}

// core is what the dossier and consultation workflows share: the timeline,
// open tasks, the SLA clock and the projector.
type core struct {
	workflowID string
	code       string
	counting   string

	timeline  []dossier.Event
	projected int // timeline entries already projected
	tasks     []*task
	taskCount map[string]int // per step, to number repeated tasks
	outbox    []activities.Notification
	portalOut []activities.PortalStatus

	// slaVersion changes whenever a deadline is added, removed or moved, so
	// the SLA loop recomputes its next timer.
	slaVersion int
	paused     bool
	finished   bool
	flushed    bool

	// snapshot returns the state to project; nil for a consultation.
	snapshot func() *dossier.State
	facts    func() dossier.Facts
	status   func() dossier.Status
	// escalateTo names the role (and agency) told when a deadline passes.
	escalateTo func(t *task) (string, string)
	// deadlines beyond the tasks' (the dossier's appointment).
	extraDeadline func() *slaDeadline
	// beforeProject runs before each projection (search attributes).
	beforeProject func(ctx workflow.Context) error
}

func newCore(workflowID, code, counting string) *core {
	return &core{workflowID: workflowID, code: code, counting: counting, taskCount: map[string]int{}}
}

// record appends an event to the timeline.
func (c *core) record(ctx workflow.Context, e dossier.Event) dossier.Event {
	e.Seq = len(c.timeline) + 1
	if e.At.IsZero() {
		e.At = workflow.Now(ctx)
	}
	if c.status != nil {
		e.Status = c.status()
	}
	c.timeline = append(c.timeline, e)
	return e
}

// notify queues a notification; the projector sends it.
func (c *core) notify(n activities.Notification) {
	n.Code = c.code
	n.Key = fmt.Sprintf("%s#%d#%d", c.workflowID, len(c.timeline), len(c.outbox))
	c.outbox = append(c.outbox, n)
}

// openTask opens a task and records it.
func (c *core) openTask(ctx workflow.Context, s *definitions.PlanStep, kind, role, agency string, outcomes []string, dl activities.Deadline) *task {
	id := s.ID
	if kind != s.Kind {
		id = s.ID + "." + kind
	}
	c.taskCount[id]++
	if n := c.taskCount[id]; n > 1 {
		id = fmt.Sprintf("%s#%d", id, n)
	}
	t := &task{
		Task: dossier.Task{ID: id, Step: s.ID, Kind: kind, Name: s.Name, Role: role, Agency: agency,
			Outcomes: outcomes, OpenedAt: workflow.Now(ctx), DueAt: dl.Due},
		step: s, warnAt: dl.Warn,
	}
	// A task allotted less than a working day gets no warning: it would
	// come before the task itself.
	t.warned = !dl.Warn.After(t.OpenedAt)
	c.tasks = append(c.tasks, t)
	c.slaVersion++
	c.record(ctx, dossier.Event{Kind: dossier.EventTaskOpened, Step: s.ID, Note: id, DueAt: dl.Due,
		Actor: dossier.Actor{Role: role, Agency: agency}})
	return t
}

// closeTask removes a task from the open ones.
func (c *core) closeTask(t *task) {
	c.tasks = slices.DeleteFunc(c.tasks, func(x *task) bool { return x == t })
	c.slaVersion++
}

// findTask finds an open task by its id, or by its step id when only one
// task of that step is open.
func (c *core) findTask(ref string) *task {
	var byStep []*task
	for _, t := range c.tasks {
		if t.done {
			continue
		}
		if t.ID == ref {
			return t
		}
		if t.Step == ref {
			byStep = append(byStep, t)
		}
	}
	if len(byStep) == 1 {
		return byStep[0]
	}
	return nil
}

// openTasks lists the open tasks for the state.
func (c *core) openTasks() []dossier.Task {
	out := make([]dossier.Task, 0, len(c.tasks))
	for _, t := range c.tasks {
		if !t.done {
			out = append(out, t.Task)
		}
	}
	return out
}

// waitTask waits until the task is acted on; it returns the context's error
// when the wait is cancelled (withdrawal, a sibling branch ending).
func (c *core) waitTask(ctx workflow.Context, t *task) error {
	if err := workflow.Await(ctx, func() bool { return t.done }); err != nil {
		c.closeTask(t)
		return err
	}
	c.closeTask(t)
	return nil
}

// accept applies an accepted action to a task.
func (c *core) accept(ctx workflow.Context, t *task, req ActRequest) {
	now := workflow.Now(ctx)
	t.done, t.act, t.actedAt = true, req, now
	note := req.Note
	if len(req.Items) > 0 {
		note = joinItems(req.Items, req.Note)
	}
	c.record(ctx, dossier.Event{Kind: dossier.EventActed, Step: t.Step, Actor: req.Actor, Outcome: req.Outcome,
		Note: note, DueAt: t.DueAt, Timeliness: dossier.Judge(now, t.DueAt)})
	c.slaVersion++
}

func joinItems(items []string, note string) string {
	s := ""
	for i, it := range items {
		if i > 0 {
			s += "; "
		}
		s += it
	}
	if note != "" {
		s += " — " + note
	}
	return s
}

// Activity options. Projection and notifications retry until they succeed;
// the read model or a mail relay being down must not lose a transition.
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

// deadline computes the due time of a step started now, through a local
// activity over the calendar. A step without an allotted time has none.
func (c *core) deadline(ctx workflow.Context, within *definitions.Duration) (activities.Deadline, error) {
	if within == nil {
		return activities.Deadline{}, nil
	}
	var dl activities.Deadline
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	err := workflow.ExecuteLocalActivity(lctx, acts.StepDue, activities.StepDueRequest{
		Start: workflow.Now(ctx), Within: *within, Counting: c.counting}).Get(ctx, &dl)
	return dl, err
}

// slaDeadline is one deadline the SLA loop watches.
type slaDeadline struct {
	due, warn         time.Time
	warned, overdue   *bool
	onWarn, onOverdue func(ctx workflow.Context)
}

// runSLA watches the deadlines of open officer tasks (and the extra one)
// and records a warning one working day before each and an escalation when
// it passes. It sleeps while the clock is paused.
func (c *core) runSLA(ctx workflow.Context) {
	for !c.finished {
		version := c.slaVersion
		next, at := c.nextDeadline()
		changed := func() bool { return c.slaVersion != version || c.finished }
		if next == nil || c.paused {
			_ = workflow.Await(ctx, changed)
			continue
		}
		wait := at.Sub(workflow.Now(ctx))
		if wait > 0 {
			ok, err := workflow.AwaitWithTimeout(ctx, wait, changed)
			if err != nil {
				return
			}
			if ok {
				continue // something changed before the deadline: recompute
			}
		}
		// The state may have moved on while waiting (a status change that
		// ends the dossier's clock): fire only what is still due.
		next, at = c.nextDeadline()
		now := workflow.Now(ctx)
		if next == nil || c.paused || now.Before(at) {
			continue
		}
		if !*next.warned && !next.warn.IsZero() && !now.Before(next.warn) {
			*next.warned = true
			next.onWarn(ctx)
		}
		if !*next.overdue && !now.Before(next.due) {
			*next.warned = true
			*next.overdue = true
			next.onOverdue(ctx)
		}
	}
}

// nextDeadline returns the deadline whose warning or due time comes first.
func (c *core) nextDeadline() (*slaDeadline, time.Time) {
	var best *slaDeadline
	var bestAt time.Time
	consider := func(d *slaDeadline) {
		if d == nil || d.due.IsZero() || *d.overdue {
			return
		}
		at := d.due
		if !*d.warned && !d.warn.IsZero() && d.warn.Before(d.due) {
			at = d.warn
		}
		if best == nil || at.Before(bestAt) {
			best, bestAt = d, at
		}
	}
	for _, t := range c.tasks {
		if t.done || t.Role == dossier.RoleApplicant || t.DueAt.IsZero() {
			continue
		}
		consider(c.taskDeadline(t))
	}
	if c.extraDeadline != nil {
		consider(c.extraDeadline())
	}
	return best, bestAt
}

func (c *core) taskDeadline(t *task) *slaDeadline {
	return &slaDeadline{
		due: t.DueAt, warn: t.warnAt, warned: &t.warned, overdue: &t.overdue,
		onWarn: func(ctx workflow.Context) {
			c.record(ctx, dossier.Event{Kind: dossier.EventWarning, Step: t.Step, Note: t.ID, DueAt: t.DueAt})
			c.notify(activities.Notification{To: t.Role, Agency: t.Agency, Kind: dossier.EventWarning,
				Subject: fmt.Sprintf("Hồ sơ %s sắp đến hạn", c.code),
				Body:    fmt.Sprintf("Bước \"%s\" của hồ sơ %s đến hạn lúc %s.", stepLabel(t.step), c.code, formatTime(t.DueAt))})
		},
		onOverdue: func(ctx workflow.Context) {
			c.record(ctx, dossier.Event{Kind: dossier.EventOverdue, Step: t.Step, Note: t.ID, DueAt: t.DueAt})
			role, agency := t.Role, t.Agency
			if c.escalateTo != nil {
				role, agency = c.escalateTo(t)
			}
			c.notify(activities.Notification{To: role, Agency: agency, Kind: dossier.EventOverdue,
				Subject: fmt.Sprintf("Hồ sơ %s đã quá hạn", c.code),
				Body:    fmt.Sprintf("Bước \"%s\" của hồ sơ %s đã quá hạn từ %s.", stepLabel(t.step), c.code, formatTime(t.DueAt))})
		},
	}
}

// runProjector sends the timeline, open tasks, notifications and portal
// pushes, in order, whenever there is something new. It batches whatever
// accumulated while the previous send ran.
func (c *core) runProjector(ctx workflow.Context) {
	actx := workflow.WithActivityOptions(ctx, projectOptions)
	xctx := workflow.WithActivityOptions(ctx, externalOptions)
	for {
		_ = workflow.Await(ctx, func() bool {
			return len(c.timeline) > c.projected || len(c.outbox) > 0 || len(c.portalOut) > 0 || c.finished
		})
		if len(c.timeline) > c.projected {
			p := dossier.Projection{WorkflowID: c.workflowID, Code: c.code, Seq: len(c.timeline),
				Events: slices.Clone(c.timeline[c.projected:]), Tasks: c.openTasks()}
			if c.snapshot != nil {
				p.Snapshot = c.snapshot()
				p.Facts = c.facts()
			}
			upto := len(c.timeline)
			if c.beforeProject != nil {
				if err := c.beforeProject(ctx); err != nil {
					workflow.GetLogger(ctx).Error("search attributes not updated", "workflow", c.workflowID, "error", err)
				}
			}
			if err := workflow.ExecuteActivity(actx, acts.Project, p).Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("projection failed", "workflow", c.workflowID, "error", err)
			}
			c.projected = upto
			continue
		}
		if len(c.portalOut) > 0 {
			s := c.portalOut[0]
			c.portalOut = c.portalOut[1:]
			if err := workflow.ExecuteActivity(xctx, acts.SyncPortal, s).Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("portal sync failed", "workflow", c.workflowID, "error", err)
			}
			continue
		}
		if len(c.outbox) > 0 {
			n := c.outbox[0]
			c.outbox = c.outbox[1:]
			if err := workflow.ExecuteActivity(xctx, acts.Notify, n).Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("notification failed", "workflow", c.workflowID, "error", err)
			}
			continue
		}
		if c.finished {
			c.flushed = true
			return
		}
	}
}

// finish stops the SLA loop and waits until the projector has sent
// everything.
func (c *core) finish(ctx workflow.Context) {
	c.finished = true
	c.slaVersion++
	_ = workflow.Await(ctx, func() bool { return c.flushed })
}

func stepLabel(s *definitions.PlanStep) string {
	if s == nil {
		return ""
	}
	if s.Name != "" {
		return s.Name
	}
	return s.ID
}

func formatTime(t time.Time) string {
	return t.In(dossier.Vietnam).Format("15:04 02/01/2006")
}
