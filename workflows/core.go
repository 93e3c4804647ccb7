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

	// batched is true from version 1 of changeBatchedSideEffects on (see
	// start and runBatched).
	batched bool
	// computing counts the local activities in progress (due times, the
	// appointment): the state is between two settled points, so runBatched
	// waits for them before projecting.
	computing int
	// sent are the notifications and portal pushes started and not yet
	// known to have ended (runBatched).
	sent []workflow.Future

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

// changeBatchedSideEffects is the workflow.GetVersion change id of the
// batched projector and the SLA loop that keeps its timer (version 1).
// Histories recorded before it (no marker) replay the earlier projector,
// which sent every addition to the timeline at once and each notification
// and portal push in turn, and the earlier SLA loop, which started a new
// timer on every change of the tasks.
const changeBatchedSideEffects = "batched-side-effects"

// start picks the version of the side effects; with the earlier version
// it starts the projector and the SLA loop at once, as it always did.
func (c *core) start(ctx workflow.Context) {
	c.batched = workflow.GetVersion(ctx, changeBatchedSideEffects, workflow.DefaultVersion, 1) >= 1
	if !c.batched {
		workflow.Go(ctx, c.runProjector)
		workflow.Go(ctx, c.runSLA)
	}
}

// startBatched starts runBatched when start chose it. The dossier starts
// it after the coroutine that walks its steps: coroutines run in the order
// they were started, so runBatched looks at the state only after the walk
// has taken it as far as it goes (an officer's action is recorded by its
// update, and the walk then computes the next due time before anything is
// projected).
func (c *core) startBatched(ctx workflow.Context) {
	if c.batched {
		workflow.Go(ctx, c.runBatched)
	}
}

// settle waits, in an update handler, until the other coroutines have
// taken what the handler changed as far as they go without waiting for
// something outside (a person, an activity, a timer): one pass of the
// workflow's coroutines, which are started before any handler and so run
// before it in each pass, then until no due time is being computed.
func (c *core) settle(ctx workflow.Context) {
	passed := false
	_ = workflow.Await(ctx, func() bool {
		if !passed {
			passed = true
			return false
		}
		return c.computing == 0
	})
}

// local runs a local activity that computes something the state needs
// (a due time, the appointment), telling runBatched to wait.
func (c *core) local(ctx workflow.Context, activity, arg, result any) error {
	c.computing++
	defer func() { c.computing-- }()
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	return workflow.ExecuteLocalActivity(lctx, activity, arg).Get(ctx, result)
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
	// projectLocalOptions are runBatched's: a projection is one
	// short transaction on the read model, run by the worker that runs the
	// workflow task.
	projectLocalOptions = workflow.LocalActivityOptions{
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
	err := c.local(ctx, acts.StepDue, activities.StepDueRequest{
		Start: workflow.Now(ctx), Within: *within, Counting: c.counting}, &dl)
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

// runBatched is version 1 of changeBatchedSideEffects: the SLA loop and
// the projector in one coroutine (a worker holding thousands of open
// dossiers holds one goroutine less for each), with fewer round trips.
//
// Deadlines: one timer for the next warning or due time, kept while that
// time stays the same, where runSLA started a new one on every change of
// the tasks; a timer whose time no longer matters is cancelled, so it does
// not wake the dossier later.
//
// Projections: one once the state has settled (no due time or appointment
// being computed), so it carries a whole step's events, through a local
// activity in the workflow task that changed the state (one marker in the
// history instead of three events and a workflow task of its own; the read
// model holds an officer's action when the action's Update returns); what
// accumulates while a projection runs waits for the next one, so the read
// model receives the dossier's projections one at a time and in order.
//
// Notifications and portal pushes start as soon as they are queued, side by
// side, without waiting for each other or for the projection: the mail
// relay and the portal do not hold the dossier back (notifications carry
// idempotency keys, portal pushes their sequence numbers). finish waits
// for all of them.
func (c *core) runBatched(ctx workflow.Context) {
	pctx := workflow.WithLocalActivityOptions(ctx, projectLocalOptions)
	xctx := workflow.WithActivityOptions(ctx, externalOptions)
	d := &deadlineTimer{}
	slaSeen := -1
	var projection workflow.Future
	settled := func() bool { return c.computing == 0 || c.finished }
	for {
		if c.slaVersion != slaSeen || d.fired() {
			slaSeen = c.slaVersion
			c.watchDeadlines(ctx, d)
		}
		c.sent = slices.DeleteFunc(c.sent, func(f workflow.Future) bool {
			if !f.IsReady() {
				return false
			}
			if err := f.Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("notification or portal push failed", "workflow", c.workflowID, "error", err)
			}
			return true
		})
		if projection != nil && projection.IsReady() {
			if err := projection.Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("projection failed", "workflow", c.workflowID, "error", err)
			}
			projection = nil
		}
		if projection == nil && settled() && len(c.timeline) > c.projected {
			p := dossier.Projection{WorkflowID: c.workflowID, Code: c.code, Seq: len(c.timeline),
				Events: slices.Clone(c.timeline[c.projected:]), Tasks: c.openTasks()}
			if c.snapshot != nil {
				p.Snapshot = c.snapshot()
				p.Facts = c.facts()
			}
			if c.beforeProject != nil {
				if err := c.beforeProject(ctx); err != nil {
					workflow.GetLogger(ctx).Error("search attributes not updated", "workflow", c.workflowID, "error", err)
				}
			}
			projection = workflow.ExecuteLocalActivity(pctx, acts.Project, p)
			c.projected = len(c.timeline)
		}
		for _, s := range c.portalOut {
			c.sent = append(c.sent, workflow.ExecuteActivity(xctx, acts.SyncPortal, s))
		}
		c.portalOut = nil
		for _, n := range c.outbox {
			c.sent = append(c.sent, workflow.ExecuteActivity(xctx, acts.Notify, n))
		}
		c.outbox = nil
		if c.finished && projection == nil && len(c.timeline) == c.projected {
			for _, f := range c.sent {
				if err := f.Get(ctx, nil); err != nil {
					workflow.GetLogger(ctx).Error("notification or portal push failed", "workflow", c.workflowID, "error", err)
				}
			}
			c.sent = nil
			c.flushed = true
			return
		}
		_ = workflow.Await(ctx, func() bool {
			return c.slaVersion != slaSeen || d.fired() ||
				(projection != nil && projection.IsReady()) ||
				(projection == nil && settled() && len(c.timeline) > c.projected) ||
				len(c.outbox) > 0 || len(c.portalOut) > 0 ||
				(c.finished && projection == nil)
		})
	}
}

// deadlineTimer is the timer runBatched keeps for the next deadline.
type deadlineTimer struct {
	timer  workflow.Future
	at     time.Time
	cancel func()
}

// fired reports whether the timer has fired.
func (d *deadlineTimer) fired() bool { return d.timer != nil && d.timer.IsReady() }

// stop cancels a timer that has not fired and forgets it.
func (d *deadlineTimer) stop() {
	if d.timer != nil && !d.timer.IsReady() {
		d.cancel()
	}
	d.timer = nil
}

// watchDeadlines records the warnings and escalations that are due and
// keeps a timer for the next one (runBatched).
func (c *core) watchDeadlines(ctx workflow.Context, d *deadlineTimer) {
	if d.fired() {
		d.timer = nil
	}
	for !c.finished {
		next, at := c.nextDeadline()
		if next == nil || c.paused {
			d.stop()
			return
		}
		now := workflow.Now(ctx)
		if now.Before(at) {
			if d.timer == nil || !at.Equal(d.at) {
				d.stop()
				tctx, cancel := workflow.WithCancel(ctx)
				d.timer, d.at, d.cancel = workflow.NewTimer(tctx, at.Sub(now)), at, cancel
			}
			return
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
