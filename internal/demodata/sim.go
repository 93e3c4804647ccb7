package demodata

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/signing"
)

// The simulator replays what the Dossier and Consultation workflows
// (package workflows) do for one dossier, with the decisions people make
// drawn at random: the same events in the same order with the same
// statuses, due times from the same calendar arithmetic, and the SLA
// loop's warnings and escalations. Activities take no time, as in the
// SDK's test environment. Keep it in step with the workflows:
// TestMatchesWorkflow runs generated dossiers through the real workflow
// and compares.

// Outcomes the workflow gives a meaning of their own (workflows.Outcome*).
const (
	outcomeAccept     = "accept"
	outcomeRefuse     = "refuse"
	outcomeSupplement = "supplement"
	outcomeReturned   = "returned"
	outcomeStop       = "stop"
)

// ratingWindow is workflows.RatingWindow.
const ratingWindow = 30 * 24 * time.Hour

// maxVisits bounds how often one step runs in a dossier, against plans
// that loop.
const maxVisits = 6

var (
	errCut       = errors.New("history cut") // the next thing happens after Options.Now
	errStopped   = errors.New("stopped")     // processing stops (status 8)
	errWithdrawn = errors.New("withdrawn")   // the stop notice of a withdrawal was issued
)

type deadline struct{ due, warn time.Time }

type task struct {
	dossier.Task
	warnAt          time.Time
	warned, overdue bool
	done            bool
}

// flow is a workflow's timeline and tasks: the dossier's own, or a
// consultation child's (core in package workflows).
type flow struct {
	id       string
	timeline []dossier.Event
	tasks    []*task
	count    map[string]int
	child    bool
	active   bool // its SLA loop runs
}

// sim is one dossier being simulated.
type sim struct {
	g    *generator
	p    *procedure
	m    *modeInfo
	mp   *definitions.ModePlan
	r    *rand.Rand
	code string

	channel, delivery string
	applicant         dossier.Applicant
	form, env         map[string]any
	comps             []dossier.ComponentRef

	st       dossier.State
	now, cut time.Time
	main     *flow
	children []*flow

	appt                 deadline
	apptWarned, apptLate bool
	accepted, paused     bool
	finished             bool
	results              int
	current              []string
	stopReason           string
	visits               map[string]int
	withdrawal           *task

	// What the people of this dossier will do.
	late, extend bool
	lateDone     bool
	extendAt     time.Time
	extendTo     time.Time
	withdrawAt   time.Time

	script *script // what the people did, for TestMatchesWorkflow
}

func (s *sim) applicantActor() dossier.Actor {
	return dossier.Actor{ID: s.applicant.ID, Role: dossier.RoleApplicant}
}

// officer returns an officer of a role at its agency.
func (s *sim) officer(role, agency string) dossier.Actor {
	n := officersOther
	if role == s.mp.Steps[0].Role {
		n = officersReception
	}
	return dossier.Actor{ID: officerID(role, s.r.IntN(n)), Role: role, Agency: agency}
}

// record appends an event to a timeline (core.record).
func (s *sim) record(f *flow, e dossier.Event) {
	e.Seq = len(f.timeline) + 1
	if e.At.IsZero() {
		e.At = s.now
	}
	if f.child {
		e.Status = dossier.StatusProcessing
	} else {
		e.Status = s.st.Status
	}
	f.timeline = append(f.timeline, e)
}

// advance moves the clock to t, letting the SLA loops record what falls
// due meanwhile. Past the cut it stops at the cut with errCut.
func (s *sim) advance(t time.Time) error {
	if t.Before(s.now) {
		t = s.now
	}
	if t.After(s.cut) {
		s.runSLA(s.cut)
		s.now = s.cut
		return errCut
	}
	s.runSLA(t)
	s.now = t
	return nil
}

// slaDeadline is a deadline an SLA loop watches (workflows.slaDeadline).
type slaDeadline struct {
	due, warn       time.Time
	warned, overdue *bool
	fire            func(kind string, at time.Time)
}

// runSLA records the warnings and escalations of every running workflow
// due up to limit (core.runSLA): the deadline that comes first fires, one
// at a time; nothing fires while the clock is paused.
func (s *sim) runSLA(limit time.Time) {
	flows := append([]*flow{s.main}, s.children...)
	for _, f := range flows {
		if !f.active || (f == s.main && s.paused) {
			continue
		}
		for {
			d, at := s.nextDeadline(f)
			if d == nil {
				break
			}
			if at.Before(s.now) {
				at = s.now // already due when it was set: fires at once
			}
			if at.After(limit) {
				break
			}
			if !*d.warned && !d.warn.IsZero() && !at.Before(d.warn) {
				*d.warned = true
				d.fire(dossier.EventWarning, at)
			}
			if !*d.overdue && !at.Before(d.due) {
				*d.warned, *d.overdue = true, true
				d.fire(dossier.EventOverdue, at)
			}
		}
	}
}

// nextDeadline returns the deadline of a workflow whose warning or due
// time comes first (core.nextDeadline).
func (s *sim) nextDeadline(f *flow) (*slaDeadline, time.Time) {
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
	for _, t := range f.tasks {
		if t.done || t.Role == dossier.RoleApplicant || t.DueAt.IsZero() {
			continue
		}
		consider(&slaDeadline{due: t.DueAt, warn: t.warnAt, warned: &t.warned, overdue: &t.overdue,
			fire: func(kind string, at time.Time) {
				s.record(f, dossier.Event{Kind: kind, Step: t.Step, Note: t.ID, DueAt: t.DueAt, At: at})
			}})
	}
	if f == s.main && s.accepted && !s.final() {
		consider(&slaDeadline{due: s.appt.due, warn: s.appt.warn, warned: &s.apptWarned, overdue: &s.apptLate,
			fire: func(kind string, at time.Time) {
				s.record(f, dossier.Event{Kind: kind, Note: "appointment", DueAt: s.appt.due, At: at})
			}})
	}
	return best, bestAt
}

func (s *sim) final() bool {
	switch s.st.Status {
	case dossier.StatusRefused, dossier.StatusStopped, dossier.StatusProcessed, dossier.StatusReturned:
		return true
	}
	return s.finished
}

// deadline computes the due time of a step started now (core.deadline).
func (s *sim) deadline(within *definitions.Duration) (deadline, error) {
	if within == nil {
		return deadline{}, nil
	}
	due, err := s.g.cal.StepDue(s.now, *within, s.mp.TimeLimit.Counting)
	if err != nil {
		return deadline{}, err
	}
	return s.withWarning(due)
}

func (s *sim) withWarning(due time.Time) (deadline, error) {
	warn, err := s.g.cal.WarningTime(due)
	if err != nil {
		return deadline{}, err
	}
	return deadline{due: due, warn: warn}, nil
}

// openTask opens and records a task (core.openTask).
func (s *sim) openTask(f *flow, st *definitions.PlanStep, kind, role, agency string, outcomes []string, dl deadline) *task {
	id := st.ID
	if kind != st.Kind {
		id = st.ID + "." + kind
	}
	f.count[id]++
	if n := f.count[id]; n > 1 {
		id = fmt.Sprintf("%s#%d", id, n)
	}
	t := &task{Task: dossier.Task{ID: id, Step: st.ID, Kind: kind, Name: st.Name, Role: role, Agency: agency,
		Outcomes: outcomes, OpenedAt: s.now, DueAt: dl.due}, warnAt: dl.warn}
	t.warned = !dl.warn.After(t.OpenedAt)
	f.tasks = append(f.tasks, t)
	s.record(f, dossier.Event{Kind: dossier.EventTaskOpened, Step: st.ID, Note: id, DueAt: dl.due,
		Actor: dossier.Actor{Role: role, Agency: agency}})
	return t
}

func (s *sim) closeTask(f *flow, t *task) {
	f.tasks = slices.DeleteFunc(f.tasks, func(x *task) bool { return x == t })
}

// act records an officer's action on a task and closes it (core.accept).
func (s *sim) act(f *flow, t *task, actor dossier.Actor, outcome, note string, items []string) {
	t.done = true
	text := note
	if len(items) > 0 {
		text = joinItems(items, note)
	}
	s.record(f, dossier.Event{Kind: dossier.EventActed, Step: t.Step, Actor: actor, Outcome: outcome,
		Note: text, DueAt: t.DueAt, Timeliness: dossier.Judge(s.now, t.DueAt)})
	s.closeTask(f, t)
	s.script.act(s.now, f, t, actor, outcome, note, items)
}

func joinItems(items []string, note string) string {
	out := strings.Join(items, "; ")
	if note != "" {
		out += " — " + note
	}
	return out
}

// wait advances to t while the dossier waits on a task of its own walk:
// the planned extension is sent and the applicant may withdraw meanwhile
// (then it returns errWithdrawn once the stop notice is issued).
func (s *sim) wait(t time.Time, withdrawable bool) error {
	if withdrawable && !s.withdrawAt.IsZero() && s.withdrawal == nil && !s.withdrawAt.After(s.now) {
		// It came while the dossier was with another agency: the
		// applicant asks a little later.
		at, err := s.g.cal.AddWorkingTime(s.now, time.Duration(15+s.r.IntN(465))*time.Minute)
		if err != nil {
			return err
		}
		s.withdrawAt = at
	}
	for {
		next, what := t, ""
		if !s.extendAt.IsZero() && !s.extendAt.After(next) {
			next, what = s.extendAt, "extend"
		}
		if withdrawable && !s.withdrawAt.IsZero() && s.withdrawal == nil && s.withdrawAt.Before(next) && !s.final() {
			next, what = s.withdrawAt, "withdraw"
		}
		if err := s.advance(next); err != nil {
			return err
		}
		switch what {
		case "extend":
			s.sendExtension()
		case "withdraw":
			return s.withdraw()
		default:
			return nil
		}
	}
}

// withdraw: the applicant asks (status 7); the one-stop officer issues the
// stop notice (updates.handleWithdraw, then Dossier's stop).
func (s *sim) withdraw() error {
	s.st.Status = dossier.StatusWithdrawing
	reason := oneOf(s.r, withdrawWhy)
	s.record(s.main, dossier.Event{Kind: dossier.EventWithdrawRequested, Actor: s.applicantActor(), Note: reason})
	s.script.add(entry{At: s.now, Kind: "withdraw", Reason: reason})
	rec := &s.mp.Steps[0]
	t := s.openTask(s.main, rec, "withdrawal", rec.Role, rec.Agency, []string{outcomeStop}, s.appt)
	s.withdrawal = t
	at, err := s.g.cal.AddWorkingTime(s.now, time.Duration(10+s.r.IntN(230))*time.Minute)
	if err != nil {
		return err
	}
	if err := s.advance(at); err != nil {
		return err
	}
	s.act(s.main, t, s.officer(rec.Role, rec.Agency), outcomeStop, reason, nil)
	s.stopReason = "Công dân rút hồ sơ: " + reason
	return errWithdrawn
}

// sendExtension moves the appointment once, with the apology
// (updates.handleExtend).
func (s *sim) sendExtension() {
	s.extendAt = time.Time{}
	actor := s.leader()
	reason := oneOf(s.r, extendWhy)
	s.st.OriginalAppointmentAt = s.st.AppointmentAt
	s.st.AppointmentAt = s.extendTo
	s.st.Extended = true
	s.appt = deadline{due: s.extendTo, warn: s.extendTo}
	s.apptWarned, s.apptLate = true, false
	s.record(s.main, dossier.Event{Kind: dossier.EventExtended, Actor: actor, Note: reason, DueAt: s.extendTo})
	s.script.add(entry{At: s.now, Kind: "extend", Actor: actor, Reason: reason, NewAppointment: s.extendTo})
}

// leader is who signs in this mode, else the reception's officer.
func (s *sim) leader() dossier.Actor {
	for _, st := range s.mp.Steps {
		if st.Kind == definitions.KindSign {
			return s.officer(st.Role, st.Agency)
		}
	}
	return s.officer(s.mp.Steps[0].Role, s.mp.Steps[0].Agency)
}

// run simulates the dossier from its submission (Dossier.execute).
func (s *sim) run() error {
	s.record(s.main, dossier.Event{Kind: dossier.EventSubmitted, Actor: s.applicantActor(), Note: s.channel, At: s.st.ReceivedAt})
	end, err := s.walk(s.mp.Start)
	switch {
	case errors.Is(err, errCut):
		return nil
	case errors.Is(err, errWithdrawn), errors.Is(err, errStopped):
		end = definitions.TargetStopped
	case err != nil:
		return err
	}
	switch end {
	case definitions.TargetStopped:
		s.stop()
	case definitions.TargetRefused:
		if err := s.refuse(); err != nil {
			return err
		}
	}
	s.closeAllTasks()
	if s.st.Status == dossier.StatusReturned && chance(s.r, ratedShare) {
		delay := logNormalDur(s.r, rateMedian, rateSigma, ratingWindow-time.Hour)
		if err := s.advance(s.st.ReturnedAt.Add(delay)); err != nil {
			if errors.Is(err, errCut) {
				return nil
			}
			return err
		}
		share := satisfiedShare
		if s.st.Timeliness == dossier.Late {
			share = satisfiedLateShare
		}
		satisfied := chance(s.r, share)
		comment, outcome := oneOf(s.r, praise), "satisfied"
		if !satisfied {
			comment, outcome = oneOf(s.r, complaints), "dissatisfied"
		}
		s.st.Rating = &dossier.Rating{Satisfied: satisfied, Comment: comment, At: s.now}
		s.record(s.main, dossier.Event{Kind: dossier.EventRated, Actor: s.applicantActor(), Outcome: outcome, Note: comment})
		s.script.add(entry{At: s.now, Kind: "rate", Satisfied: satisfied, Comment: comment})
	}
	s.finished = true
	for _, c := range s.children {
		c.active = false
	}
	s.main.active = false
	return nil
}

// walk runs steps from start until an end (Dossier.walk).
func (s *sim) walk(start string) (string, error) {
	id := start
	for {
		st := s.mp.Step(id)
		if st == nil {
			return "", fmt.Errorf("plan %s has no step %q in mode %s", s.p.plan.ShortHash(), id, s.mp.Mode)
		}
		s.visits[id]++
		s.current = append(s.current, st.ID)
		next, err := s.execStep(st)
		if errors.Is(err, errCut) {
			return "", err // the step is still running at the cut
		}
		s.current = slices.DeleteFunc(s.current, func(x string) bool { return x == st.ID })
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

func (s *sim) execStep(st *definitions.PlanStep) (string, error) {
	switch st.Kind {
	case definitions.KindReception:
		return s.reception(st)
	case definitions.KindTask, definitions.KindSign:
		return s.humanStep(st)
	case definitions.KindPay:
		return s.pay(st)
	case definitions.KindConsult:
		run, err := s.consultStart(st)
		if err != nil {
			return "", err
		}
		if err := s.consultTime(run, 0); err != nil {
			return "", err
		}
		if err := s.wait(run.at, false); err != nil {
			return "", err
		}
		return s.consultFinish(run), nil
	case definitions.KindParallel:
		return s.parallel(st)
	case definitions.KindDecide:
		return s.decide(st)
	case definitions.KindAuto:
		return s.auto(st), nil
	case definitions.KindNotify:
		s.record(s.main, dossier.Event{Kind: dossier.EventNotified, Step: st.ID, Note: st.To})
		return exit(st, "sent"), nil
	case definitions.KindReturn:
		return "", s.returnResult(st)
	}
	return "", fmt.Errorf("step %q has unknown kind %q", st.ID, st.Kind)
}

// exit returns the target of the named outcome of a step.
func exit(st *definitions.PlanStep, outcome string) string {
	for _, e := range st.Exits {
		if e.Outcome == outcome {
			return e.Target
		}
	}
	return ""
}

func outcomes(st *definitions.PlanStep) []string {
	var out []string
	for _, e := range st.Exits {
		if e.Outcome != "" {
			out = append(out, e.Outcome)
		}
	}
	return out
}

// reception: accept, ask for a supplement, or refuse (Dossier.reception).
func (s *sim) reception(st *definitions.PlanStep) (string, error) {
	for attempt := 1; ; attempt++ {
		dl, err := s.deadline(st.Within)
		if err != nil {
			return "", err
		}
		t := s.openTask(s.main, st, st.Kind, st.Role, st.Agency, []string{outcomeAccept, outcomeSupplement, outcomeRefuse}, dl)
		outcome := outcomeAccept
		supp, refuse := receptionSupplement, receptionRefuse
		if attempt > 1 {
			supp = receptionSupplementAgain
		}
		switch x := s.r.Float64(); {
		case attempt > maxVisits:
		case x < supp:
			outcome = outcomeSupplement
		case x < supp+refuse:
			outcome = outcomeRefuse
		}
		var d time.Duration
		if s.channel == dossier.ChannelInPerson {
			d = time.Duration(3+s.r.IntN(23)) * time.Minute // checked at the counter
		} else {
			a, err := s.allotted(t, st)
			if err != nil {
				return "", err
			}
			d = time.Duration(float64(a) * math.Min(logNormal(s.r, receptionMedian, receptionSigma), 3))
		}
		at, err := s.g.cal.AddWorkingTime(s.now, max(d, time.Minute))
		if err != nil {
			return "", err
		}
		if err := s.wait(at, true); err != nil {
			return "", err
		}
		officer := s.officer(st.Role, st.Agency)
		switch outcome {
		case outcomeAccept:
			s.act(s.main, t, officer, outcomeAccept, "", nil)
			if err := s.acceptDossier(); err != nil {
				return "", err
			}
			return exit(st, outcomeAccept), nil
		case outcomeRefuse:
			note := oneOf(s.r, refuseNotes)
			s.act(s.main, t, officer, outcomeRefuse, note, nil)
			s.stopReason = note
			s.st.Status = dossier.StatusRefused
			s.record(s.main, dossier.Event{Kind: dossier.EventRefused, Step: st.ID, Actor: officer, Note: note})
			return definitions.TargetRefused, nil
		default:
			ids, items := s.missingItems()
			s.act(s.main, t, officer, outcomeSupplement, "", items)
			if err := s.supplement(st, officer, ids, items); err != nil {
				return "", err
			}
		}
	}
}

// acceptDossier records the receipt and the appointment (Dossier.acceptDossier).
func (s *sim) acceptDossier() error {
	due, err := s.g.cal.Appointment(s.now, s.mp.TimeLimit)
	if err != nil {
		return err
	}
	dl, err := s.withWarning(due)
	if err != nil {
		return err
	}
	s.accepted = true
	s.appt = dl
	s.apptWarned = !dl.warn.After(s.now)
	s.st.AcceptedAt = s.now
	s.st.AppointmentAt = dl.due
	s.st.Status = dossier.StatusReceived
	s.record(s.main, dossier.Event{Kind: dossier.EventReceived, Note: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", DueAt: dl.due})
	s.st.Status = dossier.StatusProcessing
	return nil
}

// humanStep: a task or sign step (Dossier.humanStep).
func (s *sim) humanStep(st *definitions.PlanStep) (string, error) {
	for round := 1; ; round++ {
		outs := outcomes(st)
		if st.Supplement {
			outs = append(outs, outcomeSupplement)
		}
		dl, err := s.deadline(st.Within)
		if err != nil {
			return "", err
		}
		s.setProcessing()
		t := s.openTask(s.main, st, st.Kind, st.Role, st.Agency, outs, dl)
		canSupplement := st.Supplement && (!s.accepted || s.st.Supplements < s.p.plan.Supplements.Max)
		outcome := s.chooseOutcome(st, canSupplement && round < maxVisits, stepRefuse)
		at, err := s.officerTime(t, st, 0, taskMedian, taskSigma)
		if err != nil {
			return "", err
		}
		if err := s.wait(at, true); err != nil {
			return "", err
		}
		officer := s.officer(st.Role, st.Agency)
		if outcome == outcomeSupplement {
			ids, items := s.missingItems()
			s.act(s.main, t, officer, outcome, "", items)
			if err := s.supplement(st, officer, ids, items); err != nil {
				return "", err
			}
			continue
		}
		s.act(s.main, t, officer, outcome, s.noteFor(st, outcome), nil)
		if st.Kind == definitions.KindSign && outcome == st.Exits[0].Outcome {
			s.issue(officer, "")
		}
		return exit(st, outcome), nil
	}
}

// noteFor is what an officer writes with an outcome: the reasons of a
// refusal, sometimes a remark.
func (s *sim) noteFor(st *definitions.PlanStep, outcome string) string {
	switch exit(st, outcome) {
	case definitions.TargetRefused, definitions.TargetStopped:
		return oneOf(s.r, refuseNotes)
	}
	return oneOf(s.r, approveNotes)
}

// chooseOutcome draws the outcome of a task: mostly the first, sometimes
// another, rarely one that refuses, and a supplement request when allowed.
func (s *sim) chooseOutcome(st *definitions.PlanStep, canSupplement bool, refuseRate float64) string {
	var ending, others []string
	for _, e := range st.Exits {
		if e.Outcome == "" {
			continue
		}
		if e.Target == definitions.TargetRefused || e.Target == definitions.TargetStopped {
			ending = append(ending, e.Outcome)
		} else {
			others = append(others, e.Outcome)
		}
	}
	loops := s.visits[st.ID] >= maxVisits
	switch {
	case canSupplement && chance(s.r, processingSupplement):
		return outcomeSupplement
	case len(others) == 0:
		if len(ending) == 0 {
			return ""
		}
		return ending[s.r.IntN(len(ending))]
	case len(ending) > 0 && !loops && chance(s.r, refuseRate):
		return ending[s.r.IntN(len(ending))]
	case len(others) > 1 && !loops && chance(s.r, otherOutcomes):
		return others[1+s.r.IntN(len(others)-1)]
	}
	return others[0]
}

// allotted is the working time from now to a task's due time (or the
// step's nominal time when it has none).
func (s *sim) allotted(t *task, st *definitions.PlanStep) (time.Duration, error) {
	if t.DueAt.IsZero() {
		return max(s.m.nominal(st), time.Hour), nil
	}
	a, err := s.g.cal.WorkingTimeBetween(s.now, t.DueAt)
	return max(a, time.Minute), err
}

// officerTime draws when an officer (or another agency) acts on a task
// opened now: a share of the allotment; on a dossier that must be on
// time, no more than the step's share of the time left to the
// appointment; on the late step of a late dossier, past the appointment.
// restAfter is the allotment still to come after the step beyond the
// plan's own (for a branch: what follows the parallel step).
func (s *sim) officerTime(t *task, st *definitions.PlanStep, restAfter time.Duration, median, sigma float64) (time.Time, error) {
	a, err := s.allotted(t, st)
	if err != nil {
		return time.Time{}, err
	}
	d := time.Duration(float64(a) * math.Min(logNormal(s.r, median, sigma), 4))
	if s.accepted && !s.final() {
		if s.late && !s.lateDone {
			return s.lateTime()
		}
		if !s.late || s.st.Extended {
			budget, err := s.g.cal.WorkingTimeBetween(s.now, s.st.AppointmentAt)
			if err != nil {
				return time.Time{}, err
			}
			rest := a + s.m.restAfter[st.ID] + restAfter
			d = min(d, time.Duration(0.97*float64(budget)*float64(a)/float64(rest)))
		}
	}
	return s.g.cal.AddWorkingTime(s.now, max(d, time.Minute))
}

// lateTime is when the late step of a late dossier ends: past the
// appointment. Part of the late dossiers are extended, with the apology,
// at least one working day before the appointment.
func (s *sim) lateTime() (time.Time, error) {
	s.lateDone = true
	over := logNormalDur(s.r, overshootMedian, overshootSigma, 40*time.Hour)
	at, err := s.g.cal.AddWorkingTime(s.st.AppointmentAt, over)
	if err != nil {
		return time.Time{}, err
	}
	if s.extend && !s.st.Extended && s.appt.warn.After(s.now) {
		span, err := s.g.cal.WorkingTimeBetween(s.now, s.appt.warn)
		if err != nil {
			return time.Time{}, err
		}
		when, err := s.g.cal.AddWorkingTime(s.now, time.Duration(float64(span)*(0.3+0.7*s.r.Float64())))
		if err != nil {
			return time.Time{}, err
		}
		days := int(math.Ceil(over.Hours()/definitions.HoursPerDay)) + 1 + s.r.IntN(3)
		to, err := s.g.cal.StepDue(s.st.AppointmentAt, definitions.Duration{WorkingDays: days}, "days")
		if err != nil {
			return time.Time{}, err
		}
		if when.After(s.appt.warn) {
			when = s.appt.warn
		}
		s.extendAt, s.extendTo = when, to
	}
	return at, nil
}

// setProcessing puts the status back to 4 (Dossier.setProcessing).
func (s *sim) setProcessing() {
	if s.accepted && s.st.Status != dossier.StatusWithdrawing {
		s.st.Status = dossier.StatusProcessing
	}
}

// missingItems lists what a supplement request asks for: one or two of
// the dossier's files (their ids, and the items as written, with what is
// wrong).
func (s *sim) missingItems() (ids, items []string) {
	var files []string
	for _, c := range s.comps {
		if c.SHA256 != "" {
			files = append(files, c.ID)
		}
	}
	if len(files) == 0 {
		files = []string{s.p.plan.Components[0].ID}
	}
	n := 1
	if len(files) > 1 && chance(s.r, 0.25) {
		n = 2
	}
	start := s.r.IntN(len(files))
	for i := range n {
		id := files[(start+i)%len(files)]
		ids = append(ids, id)
		items = append(items, s.p.componentName(id)+": "+oneOf(s.r, itemFaults))
	}
	return ids, items
}

// supplement asks the applicant for items and waits (Dossier.supplement);
// during processing the clock is paused.
func (s *sim) supplement(st *definitions.PlanStep, asker dossier.Actor, ids, items []string) error {
	if s.accepted {
		s.st.Supplements++
		s.paused = true
		s.st.Paused = true
		s.st.PausedSince = s.now
	}
	prev := s.st.Status
	s.st.Status = dossier.StatusSupplement
	s.record(s.main, dossier.Event{Kind: dossier.EventSupplementAsked, Step: st.ID, Actor: asker, Note: joinItems(items, "")})
	dl, err := s.deadline(s.p.plan.Supplements.Within)
	if err != nil {
		return err
	}
	t := s.openTask(s.main, st, "supplement", dossier.RoleApplicant, "", []string{outcomeSupplement}, dl)
	if !chance(s.r, supplementGiven) {
		if err := s.wait(dl.due, true); err != nil {
			return err
		}
		s.closeTask(s.main, t)
		s.stopReason = "Quá hạn bổ sung hồ sơ"
		return errStopped
	}
	left := dl.due.Sub(s.now)
	var at time.Time
	if s.channel == dossier.ChannelOnline {
		at = s.now.Add(logNormalDur(s.r, supplementOnlineMedian, supplementOnlineSigma, left*9/10))
	} else {
		work, err := s.g.cal.WorkingTimeBetween(s.now, dl.due)
		if err != nil {
			return err
		}
		at, err = s.g.cal.AddWorkingTime(s.now, logNormalDur(s.r, supplementMedian, supplementSigma, work*9/10))
		if err != nil {
			return err
		}
	}
	if err := s.wait(at, true); err != nil {
		return err
	}
	// The applicant sends the files asked for (updates.handleSupplement).
	brought := make([]dossier.ComponentRef, len(ids))
	for i, id := range ids {
		brought[i] = s.p.upload(s.r, id, s.channel)
	}
	for _, c := range brought {
		if i := slices.IndexFunc(s.comps, func(x dossier.ComponentRef) bool { return x.ID == c.ID }); i >= 0 {
			s.comps[i] = c
		} else {
			s.comps = append(s.comps, c)
		}
	}
	names := make([]string, len(brought))
	for i, c := range brought {
		names[i] = c.ID
	}
	note := oneOf(s.r, supplyNotes)
	t.done = true
	s.record(s.main, dossier.Event{Kind: dossier.EventSupplemented, Step: t.Step, Actor: s.applicantActor(),
		Note: strings.TrimSpace(strings.Join(names, ", ") + " " + note), DueAt: t.DueAt, Timeliness: dossier.Judge(s.now, t.DueAt)})
	s.script.add(entry{At: s.now, Kind: "supplement", Components: brought, Note: note})
	s.closeTask(s.main, t)
	if s.accepted {
		if err := s.resume(); err != nil {
			return err
		}
	}
	s.st.Status = prev
	if prev == dossier.StatusSupplement {
		s.st.Status = dossier.StatusProcessing
	}
	return nil
}

// resume ends a pause: the appointment and the open officer tasks move by
// the working time it took (Dossier.resume, activities.Shift).
func (s *sim) resume() error {
	paused, err := s.g.cal.WorkingTimeBetween(s.st.PausedSince, s.now)
	if err != nil {
		return err
	}
	shift := func(due time.Time) (deadline, error) {
		if due.IsZero() {
			return deadline{}, nil
		}
		shifted, err := s.g.cal.AddWorkingTime(due, paused)
		if err != nil {
			return deadline{}, err
		}
		return s.withWarning(shifted)
	}
	appt, err := shift(s.appt.due)
	if err != nil {
		return err
	}
	var moved []deadline
	var open []*task
	for _, t := range s.main.tasks {
		if !t.done && t.Role != dossier.RoleApplicant {
			dl, err := shift(t.DueAt)
			if err != nil {
				return err
			}
			open, moved = append(open, t), append(moved, dl)
		}
	}
	s.st.PausedTotal += paused
	s.st.Paused = false
	s.st.PausedSince = time.Time{}
	s.paused = false
	s.appt = appt
	s.st.AppointmentAt = appt.due
	for i, t := range open {
		t.DueAt, t.warnAt = moved[i].due, moved[i].warn
	}
	return nil
}

// pay asks for the fees and waits (Dossier.pay).
func (s *sim) pay(st *definitions.PlanStep) (string, error) {
	amount, online, err := s.feesDue(st)
	if err != nil {
		return "", err
	}
	if amount == 0 {
		s.record(s.main, dossier.Event{Kind: dossier.EventPaid, Step: st.ID, Note: "Không phải nộp phí"})
		return exit(st, "paid"), nil
	}
	dl, err := s.deadline(st.Timeout)
	if err != nil {
		return "", err
	}
	s.st.Status = dossier.StatusAwaitingFee
	s.st.FeesDue = amount
	ref := fmt.Sprintf("TT%s%06d", s.now.In(dossier.Vietnam).Format("060102"), s.r.IntN(1_000_000))
	s.script.payRef(ref)
	s.record(s.main, dossier.Event{Kind: dossier.EventPaymentRequested, Step: st.ID, Note: ref, DueAt: dl.due})
	t := s.openTask(s.main, st, st.Kind, dossier.RoleApplicant, "", []string{"paid"}, dl)
	if !chance(s.r, feesPaid) {
		if err := s.wait(dl.due, true); err != nil {
			return "", err
		}
		s.closeTask(s.main, t)
		s.stopReason = "Quá hạn nộp phí, lệ phí"
		s.record(s.main, dossier.Event{Kind: dossier.EventOverdue, Step: st.ID, Note: s.stopReason, DueAt: dl.due})
		s.setProcessing()
		return exit(st, "timeout"), nil
	}
	at, err := s.payTime(st, dl)
	if err != nil {
		return "", err
	}
	if err := s.wait(at, true); err != nil {
		return "", err
	}
	share := paidOnlinePostal
	switch s.channel {
	case dossier.ChannelOnline:
		share = paidOnlineOnline
	case dossier.ChannelInPerson:
		share = paidOnlineInPerson
	}
	paidOnline := online && chance(s.r, share)
	t.done = true
	s.st.PaidOnline = paidOnline
	s.record(s.main, dossier.Event{Kind: dossier.EventPaid, Step: t.Step, Note: ref, Outcome: "paid",
		DueAt: t.DueAt, Timeliness: dossier.Judge(s.now, t.DueAt)})
	s.script.add(entry{At: s.now, Kind: "pay", Reference: ref, Amount: amount, Online: paidOnline})
	s.closeTask(s.main, t)
	s.setProcessing()
	return exit(st, "paid"), nil
}

// payTime draws when the applicant pays: online within the hour, at the
// counter on the spot, by post a day later; on a dossier that must be on
// time, within its share of the time left.
func (s *sim) payTime(st *definitions.PlanStep, dl deadline) (time.Time, error) {
	left := dl.due.Sub(s.now) * 9 / 10
	var at time.Time
	var err error
	switch s.channel {
	case dossier.ChannelOnline:
		d := logNormalDur(s.r, payOnlineMedian, paySigma, left)
		if s.accepted && (!s.late || s.st.Extended) {
			budget, err := s.g.cal.WorkingTimeBetween(s.now, s.st.AppointmentAt)
			if err != nil {
				return time.Time{}, err
			}
			rest := payNominal + s.m.restAfter[st.ID]
			d = min(d, max(time.Minute, time.Duration(0.97*float64(budget)*float64(payNominal)/float64(rest))))
		}
		return s.now.Add(d), nil
	case dossier.ChannelInPerson:
		at, err = s.g.cal.AddWorkingTime(s.now, time.Duration(5+s.r.IntN(16))*time.Minute)
	default:
		at, err = s.g.cal.AddWorkingTime(s.now, logNormalDur(s.r, 8*time.Hour, 0.6, 24*time.Hour))
	}
	if err == nil && at.After(s.now.Add(left)) {
		at = s.now.Add(left)
	}
	return at, err
}

// feesDue adds up the fees of a pay step that apply (Dossier.feesDue), and
// whether one of them can be paid online.
func (s *sim) feesDue(st *definitions.PlanStep) (int64, bool, error) {
	var total int64
	online := false
	for _, id := range st.Fees {
		for _, f := range s.p.plan.Fees {
			if f.ID != id {
				continue
			}
			if f.When != "" {
				ok, err := s.p.form.eval(f.When, s.env)
				if err != nil {
					return 0, false, err
				}
				if !ok {
					continue
				}
			}
			amount := f.Amount
			if f.OnlineAmount != nil && s.channel == dossier.ChannelOnline {
				amount = *f.OnlineAmount
			}
			total += amount
			online = online || (f.PayableOnline && amount > 0)
		}
	}
	return total, online, nil
}

// consultRun is a consultation of another agency under way.
type consultRun struct {
	st      *definitions.PlanStep
	child   *flow
	t       *task
	at      time.Time
	outcome string
	note    string
}

// consultStart sends the request and opens the other agency's task
// (Dossier.consult, Consultation).
func (s *sim) consultStart(st *definitions.PlanStep) (*consultRun, error) {
	s.main.count[st.ID+"/consult"]++
	id := s.code + "/" + st.ID
	if n := s.main.count[st.ID+"/consult"]; n > 1 {
		id = fmt.Sprintf("%s#%d", id, n)
	}
	s.record(s.main, dossier.Event{Kind: dossier.EventConsultSent, Step: st.ID, Note: st.Request,
		Actor: dossier.Actor{Role: st.Role, Agency: st.Agency}})
	child := &flow{id: id, count: map[string]int{}, child: true, active: true}
	s.children = append(s.children, child)
	dl, err := s.deadline(st.Within)
	if err != nil {
		return nil, err
	}
	t := s.openTask(child, st, st.Kind, st.Role, st.Agency, outcomes(st), dl)
	run := &consultRun{st: st, child: child, t: t}
	run.outcome = s.chooseOutcome(st, false, consultRefuse)
	run.note = oneOf(s.r, consultNotes)
	if exit(st, run.outcome) == definitions.TargetRefused {
		run.note = oneOf(s.r, refuseNotes)
	}
	return run, nil
}

// consultTime is consultStart's answer time, drawn once the run is known.
func (s *sim) consultTime(run *consultRun, restAfter time.Duration) error {
	at, err := s.officerTime(run.t, run.st, restAfter, taskMedian, taskSigma)
	run.at = at
	return err
}

// consultFinish records the other agency's answer in its timeline and the
// dossier's.
func (s *sim) consultFinish(run *consultRun) string {
	actor := s.officer(run.st.Role, run.st.Agency)
	s.act(run.child, run.t, actor, run.outcome, run.note, nil)
	run.child.active = false
	s.record(s.main, dossier.Event{Kind: dossier.EventConsultAnswered, Step: run.st.ID, Actor: actor, Outcome: run.outcome,
		Note: run.note, Timeliness: dossier.Judge(s.now, run.t.DueAt)})
	return exit(run.st, run.outcome)
}

// branch is one branch of a parallel step under way.
type branch struct {
	cur      *definitions.PlanStep
	at       time.Time // when its pending step completes
	complete func() (string, error)
	done     bool
	end      string
}

// parallel runs the branches at once and joins them (Dossier.parallel).
// Branches hold task, sign, consult, auto, notify and decide steps; their
// tasks take their first outcome that does not end the dossier.
func (s *sim) parallel(st *definitions.PlanStep) (string, error) {
	after := s.m.restAfter[st.ID]
	var branches []*branch
	for _, b := range st.Branches {
		if b.Start == "" {
			continue
		}
		br := &branch{cur: s.mp.Step(b.Start)}
		branches = append(branches, br)
		if err := s.branchStart(br, after); err != nil {
			return "", err
		}
	}
	for {
		var next *branch
		for _, b := range branches {
			if !b.done && (next == nil || b.at.Before(next.at)) {
				next = b
			}
		}
		if next == nil {
			break
		}
		if err := s.wait(next.at, false); err != nil {
			return "", err
		}
		target, err := next.complete()
		if err != nil {
			return "", err
		}
		if err := s.branchMove(next, target, after); err != nil {
			return "", err
		}
	}
	for _, b := range branches {
		if b.end != definitions.TargetJoin {
			return b.end, nil
		}
	}
	return exit(st, "joined"), nil
}

// branchMove goes on to a branch's next step.
func (s *sim) branchMove(b *branch, target string, after time.Duration) error {
	switch target {
	case "", definitions.TargetRefused, definitions.TargetStopped, definitions.TargetJoin:
		b.done, b.end = true, target
		return nil
	}
	b.cur = s.mp.Step(target)
	if b.cur == nil {
		return fmt.Errorf("plan %s has no step %q in mode %s", s.p.plan.ShortHash(), target, s.mp.Mode)
	}
	return s.branchStart(b, after)
}

// branchStart runs a branch's steps that take no time and starts the
// next that does.
func (s *sim) branchStart(b *branch, after time.Duration) error {
	st := b.cur
	s.visits[st.ID]++
	if s.visits[st.ID] > maxVisits {
		return fmt.Errorf("step %q runs more than %d times: the plan loops", st.ID, maxVisits)
	}
	s.current = append(s.current, st.ID)
	done := func() { s.current = slices.DeleteFunc(s.current, func(x string) bool { return x == st.ID }) }
	switch st.Kind {
	case definitions.KindTask, definitions.KindSign:
		dl, err := s.deadline(st.Within)
		if err != nil {
			return err
		}
		s.setProcessing()
		t := s.openTask(s.main, st, st.Kind, st.Role, st.Agency, outcomes(st), dl)
		outcome := s.chooseOutcome(st, false, 0)
		if b.at, err = s.officerTime(t, st, after, taskMedian, taskSigma); err != nil {
			return err
		}
		b.complete = func() (string, error) {
			officer := s.officer(st.Role, st.Agency)
			s.act(s.main, t, officer, outcome, s.noteFor(st, outcome), nil)
			if st.Kind == definitions.KindSign && outcome == st.Exits[0].Outcome {
				s.issue(officer, "")
			}
			done()
			return exit(st, outcome), nil
		}
		return nil
	case definitions.KindConsult:
		run, err := s.consultStart(st)
		if err != nil {
			return err
		}
		if exit(st, run.outcome) == definitions.TargetRefused || exit(st, run.outcome) == definitions.TargetStopped {
			run.outcome, run.note = s.chooseOutcome(st, false, 0), oneOf(s.r, consultNotes)
		}
		if err := s.consultTime(run, after); err != nil {
			return err
		}
		b.at = run.at
		b.complete = func() (string, error) {
			target := s.consultFinish(run)
			done()
			return target, nil
		}
		return nil
	case definitions.KindAuto:
		target := s.auto(st)
		done()
		return s.branchMove(b, target, after)
	case definitions.KindNotify:
		s.record(s.main, dossier.Event{Kind: dossier.EventNotified, Step: st.ID, Note: st.To})
		done()
		return s.branchMove(b, exit(st, "sent"), after)
	case definitions.KindDecide:
		target, err := s.decide(st)
		if err != nil {
			return err
		}
		done()
		return s.branchMove(b, target, after)
	}
	return fmt.Errorf("a %s step (%q) inside a parallel branch is not simulated", st.Kind, st.ID)
}

// decide takes the first case whose condition holds (Dossier.decide).
func (s *sim) decide(st *definitions.PlanStep) (string, error) {
	for _, e := range st.Exits {
		if e.When == "" {
			s.record(s.main, dossier.Event{Kind: dossier.EventChecked, Step: st.ID, Outcome: "otherwise"})
			return e.Target, nil
		}
		ok, err := s.p.form.eval(e.When, s.env)
		if err != nil {
			return "", err
		}
		if ok {
			s.record(s.main, dossier.Event{Kind: dossier.EventChecked, Step: st.ID, Outcome: e.When})
			return e.Target, nil
		}
	}
	return "", fmt.Errorf("decide step %q has no otherwise exit", st.ID)
}

// auto runs an automated check (Dossier.auto).
func (s *sim) auto(st *definitions.PlanStep) string {
	pass, ok := checkPass[st.Check]
	if !ok {
		pass = defaultCheckPass
	}
	passed := chance(s.r, pass)
	outcome, note := "passed", "Thông tin khớp với cơ sở dữ liệu"
	if !passed {
		outcome, note = "failed", "Không tìm thấy hoặc không khớp thông tin trong cơ sở dữ liệu"
	}
	s.script.check(passed, note)
	s.record(s.main, dossier.Event{Kind: dossier.EventChecked, Step: st.ID, Outcome: outcome, Note: note})
	return exit(st, outcome)
}

// issue produces and signs the result or the refusal notice (Dossier.issue).
func (s *sim) issue(by dossier.Actor, refusal string) {
	s.results++
	kind := s.p.plan.Result.Kind
	if kind == "" {
		kind = "document"
	}
	name := s.p.plan.Result.Name
	if strings.TrimSpace(refusal) != "" {
		name = signing.RefusalTitle
	}
	res := &dossier.Result{Code: signing.ResultCode(s.code, s.results), Kind: kind, Name: name,
		SHA256: hexDigits(s.r, 64), Signature: "demo", SignedBy: s.g.signer, SignedAt: s.now,
		Refusal: strings.TrimSpace(refusal) != ""}
	s.st.Result = res
	s.script.result(*res)
	s.record(s.main, dossier.Event{Kind: dossier.EventSigned, Actor: by, Note: res.Code})
}

// returnResult marks the dossier processed and returns the result
// (Dossier.returnResult, deliver).
func (s *sim) returnResult(st *definitions.PlanStep) error {
	if s.st.Result == nil && s.p.plan.Result.Kind == "document" {
		s.issue(dossier.Actor{Role: st.Role, Agency: st.Agency}, "")
	}
	s.processed(st.ID)
	if s.st.Result != nil {
		s.st.Result.Delivery = s.delivery
	}
	if s.delivery == "counter" {
		dl, err := s.deadline(st.Within)
		if err != nil {
			return err
		}
		t := s.openTask(s.main, st, "pickup", st.Role, st.Agency, []string{outcomeReturned}, dl)
		var d time.Duration
		if a, err := s.allotted(t, st); err != nil {
			return err
		} else if chance(s.r, pickupOnTime) {
			d = time.Duration(float64(a) * (0.05 + 0.95*s.r.Float64()))
		} else {
			d = logNormalDur(s.r, pickupLateMedian, pickupLateSigma, 160*time.Hour)
		}
		at, err := s.g.cal.AddWorkingTime(s.now, max(d, time.Minute))
		if err != nil {
			return err
		}
		if err := s.wait(at, false); err != nil {
			return err
		}
		s.act(s.main, t, s.officer(st.Role, st.Agency), outcomeReturned, "", nil)
	}
	s.st.Status = dossier.StatusReturned
	s.st.ReturnedAt = s.now
	s.record(s.main, dossier.Event{Kind: dossier.EventReturned, Step: st.ID, Note: s.delivery})
	return nil
}

// processed sets status 9 and judges the dossier (Dossier.processed).
func (s *sim) processed(step string) {
	s.st.Status = dossier.StatusProcessed
	s.st.FinishedAt = s.now
	s.st.Timeliness = dossier.Judge(s.now, s.st.AppointmentAt)
	if s.st.Extended || s.st.Supplements > s.p.plan.Supplements.Max {
		s.st.Timeliness = dossier.Late
	}
	s.record(s.main, dossier.Event{Kind: dossier.EventProcessed, Step: step, DueAt: s.st.AppointmentAt, Timeliness: s.st.Timeliness})
}

// refuse ends a dossier refused after reception (Dossier.refuse).
func (s *sim) refuse() error {
	if s.st.Status == dossier.StatusRefused {
		return nil
	}
	var reason string
	var by dossier.Actor
	for i := len(s.main.timeline) - 1; i >= 0; i-- {
		if e := s.main.timeline[i]; e.Kind == dossier.EventActed && e.Note != "" {
			reason = e.Note
			break
		}
	}
	for i := len(s.main.timeline) - 1; i >= 0; i-- {
		if e := s.main.timeline[i]; e.Kind == dossier.EventActed {
			by = e.Actor
			break
		}
	}
	s.issue(by, reason)
	s.st.Result.Refusal = true
	s.processed("")
	s.st.Result.Delivery = dossier.ChannelOnline
	s.st.Status = dossier.StatusReturned
	s.st.ReturnedAt = s.now
	s.record(s.main, dossier.Event{Kind: dossier.EventRefused, Note: reason})
	return nil
}

// stop ends the dossier with status 8 (Dossier.stop).
func (s *sim) stop() {
	s.st.Status = dossier.StatusStopped
	s.st.FinishedAt = s.now
	s.record(s.main, dossier.Event{Kind: dossier.EventStopped, Note: s.stopReason})
}

func (s *sim) closeAllTasks() {
	s.main.tasks = nil
	s.current = nil
}

// facts are the figures the indicators need (Dossier.facts).
func (s *sim) facts() dossier.Facts {
	p := s.p.plan
	f := dossier.Facts{ProcedureVersion: p.Version, ResultIsDocument: p.Result.Kind == "document", Digitised: len(s.comps) > 0}
	for _, fee := range p.Fees {
		if fee.Amount > 0 {
			f.HasFee = true
		}
	}
	for _, c := range s.comps {
		if c.Reused {
			f.ReusedComponents++
		}
		if c.SHA256 == "" && !c.Reused {
			f.Digitised = false
		}
	}
	f.EResult = s.st.Result != nil && !s.st.Result.Refusal && s.st.Result.Signature != "" && s.delivery == "e_result"
	return f
}

func openTasks(f *flow) []dossier.Task {
	out := make([]dossier.Task, 0, len(f.tasks))
	for _, t := range f.tasks {
		if !t.done {
			out = append(out, t.Task)
		}
	}
	return out
}

// projections are what the workflows would have projected last: the
// dossier's own with its snapshot, then its consultations'.
func (s *sim) projections() []dossier.Projection {
	st := s.st
	st.StatusName = st.Status.String()
	st.OpenTasks = openTasks(s.main)
	st.CurrentSteps = slices.Clone(s.current)
	if st.CurrentSteps == nil {
		st.CurrentSteps = []string{}
	}
	st.Components = slices.Clone(s.comps)
	if s.st.Result != nil {
		res := *s.st.Result
		st.Result = &res
	}
	out := make([]dossier.Projection, 0, 1+len(s.children))
	out = append(out, dossier.Projection{WorkflowID: s.code, Code: s.code, Seq: len(s.main.timeline), Snapshot: &st,
		Events: s.main.timeline, Tasks: openTasks(s.main), Facts: s.facts()})
	for _, c := range s.children {
		out = append(out, dossier.Projection{WorkflowID: c.id, Code: s.code, Seq: len(c.timeline), Events: c.timeline, Tasks: openTasks(c)})
	}
	return out
}
