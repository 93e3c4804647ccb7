// Package workcal does the due-time arithmetic of the dossier engine over the
// working calendars of definitions/calendars: the appointment date of a
// dossier (ngày hẹn trả), the due time of a step, working time between two
// instants (to pause the clock for a supplement request) and the warning time
// before a due time.
//
// Every time is computed in Asia/Ho_Chi_Minh. A day is a working day when its
// year's calendar says so; working time runs only through the office hours
// (e.g. 07:30–11:30 and 13:00–17:00, 8 hours) of working days. Asking about a date
// whose year has no calendar is an error wrapping ErrNoCalendar: the package
// never guesses a day off or a working day.
package workcal

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/motcua/motcua/definitions"
)

// ErrNoCalendar is wrapped by every error caused by a date whose year has no
// working calendar.
var ErrNoCalendar = errors.New("no working calendar")

// hoursPerDay is the working time of one working day when a limit or an
// allotment in working days is counted in hours (and for WarningTime).
const hoursPerDay = definitions.HoursPerDay * time.Hour

// Counting modes of a time limit or a step allotment.
const (
	countingDays  = "days"
	countingHours = "hours"
)

// vietnam is the time zone of every date computed here.
var vietnam = loadVietnam()

func loadVietnam() *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*60*60) // no tz database: Vietnam has kept UTC+7 since 1975
	}
	return loc
}

// span is one office-hours span, as offsets from midnight.
type span struct{ from, to time.Duration }

// year is the calendar of one year with its office hours parsed.
type year struct {
	cal   *definitions.Calendar
	spans []span
}

// Calendar answers working-time questions over the working calendars of one
// or more years. It is immutable and safe for concurrent use.
type Calendar struct {
	years      map[int]*year
	noRounding bool
}

// New returns a Calendar over the given yearly calendars. It fails when none
// is given, when one is nil, when two cover the same year, or when a
// calendar's office hours are not ordered "HH:MM" spans.
func New(cals ...*definitions.Calendar) (*Calendar, error) {
	if len(cals) == 0 {
		return nil, errors.New("workcal: no calendar given: add at least one definitions/calendars/<year>.yaml")
	}
	c := &Calendar{years: make(map[int]*year, len(cals))}
	for i, dc := range cals {
		if dc == nil {
			return nil, fmt.Errorf("workcal: calendar #%d is nil", i+1)
		}
		if _, dup := c.years[dc.Year]; dup {
			return nil, fmt.Errorf("workcal: two calendars for %d", dc.Year)
		}
		spans, err := parseSpans(dc.OfficeHours)
		if err != nil {
			return nil, fmt.Errorf("workcal: calendar %d: %w", dc.Year, err)
		}
		c.years[dc.Year] = &year{cal: dc, spans: spans}
	}
	return c, nil
}

// FromCatalog returns a Calendar over every calendar of a loaded catalog.
func FromCatalog(cat *definitions.Catalog) (*Calendar, error) {
	if cat == nil {
		return nil, errors.New("workcal: catalog is nil")
	}
	cals := make([]*definitions.Calendar, 0, len(cat.Years()))
	for _, y := range cat.Years() {
		cals = append(cals, cat.Calendar(y))
	}
	return New(cals...)
}

// WithoutHalfDayRounding returns a copy of c whose Appointment, in hours
// counting, does not round the due time up to the end of the half day, for
// provinces that do not round.
func (c *Calendar) WithoutHalfDayRounding() *Calendar {
	cp := *c
	cp.noRounding = true
	return &cp
}

func parseSpans(hours []definitions.OfficeHours) ([]span, error) {
	if len(hours) == 0 {
		hours = definitions.DefaultOfficeHours
	}
	spans := make([]span, 0, len(hours))
	for i, oh := range hours {
		from, err := parseClock(oh.From)
		if err != nil {
			return nil, fmt.Errorf("office_hours[%d].from: %w", i, err)
		}
		to, err := parseClock(oh.To)
		if err != nil {
			return nil, fmt.Errorf("office_hours[%d].to: %w", i, err)
		}
		if to <= from {
			return nil, fmt.Errorf("office_hours[%d]: %s-%s ends before it starts", i, oh.From, oh.To)
		}
		if i > 0 && from < spans[i-1].to {
			return nil, fmt.Errorf("office_hours[%d]: starts at %s, before the previous span ends", i, oh.From)
		}
		spans = append(spans, span{from, to})
	}
	return spans, nil
}

// parseClock parses "HH:MM" into an offset from midnight.
func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// midnight returns the start of t's date in Vietnam.
func midnight(t time.Time) time.Time {
	t = t.In(vietnam)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, vietnam)
}

func noCalendar(y int) error {
	return fmt.Errorf("%w for %d: add definitions/calendars/%d.yaml", ErrNoCalendar, y, y)
}

// day returns whether the date starting at mid is a working day and the
// office spans of its year.
func (c *Calendar) day(mid time.Time) (bool, []span, error) {
	y, ok := c.years[mid.Year()]
	if !ok {
		return false, nil, noCalendar(mid.Year())
	}
	return y.cal.IsWorkingDay(mid), y.spans, nil
}

// IsWorkingDay reports whether the date of t (in Vietnam) is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) (bool, error) {
	ok, _, err := c.day(midnight(t))
	return ok, err
}

// nextWorkingDay returns the midnight of the first working day after the date
// starting at mid, and its office spans.
func (c *Calendar) nextWorkingDay(mid time.Time) (time.Time, []span, error) {
	for {
		mid = mid.AddDate(0, 0, 1)
		ok, spans, err := c.day(mid)
		if err != nil || ok {
			return mid, spans, err
		}
	}
}

// NextWorkingDay returns the office opening of the first working day after
// the date of t (in Vietnam), e.g. 07:30 on Monday for any time on a Friday.
func (c *Calendar) NextWorkingDay(t time.Time) (time.Time, error) {
	mid, spans, err := c.nextWorkingDay(midnight(t))
	if err != nil {
		return time.Time{}, fmt.Errorf("next working day after %s: %w", t.In(vietnam).Format(time.DateOnly), err)
	}
	return mid.Add(spans[0].from), nil
}

// nthWorkingDayClose returns the close of office of the n-th working day
// after the date starting at mid.
func (c *Calendar) nthWorkingDayClose(mid time.Time, n int) (time.Time, error) {
	var spans []span
	var err error
	for range n {
		if mid, spans, err = c.nextWorkingDay(mid); err != nil {
			return time.Time{}, err
		}
	}
	return mid.Add(spans[len(spans)-1].to), nil
}

// startDay returns the midnight of the day a period is counted from: the
// date of t when it is a working day and t is before limit (a clock time,
// which is capped at the close of office), else the next working day.
// same reports whether it is t's own date.
func (c *Calendar) startDay(t time.Time, limit time.Duration) (mid time.Time, spans []span, same bool, err error) {
	mid = midnight(t)
	ok, spans, err := c.day(mid)
	if err != nil {
		return time.Time{}, nil, false, err
	}
	limit = min(limit, spans[len(spans)-1].to)
	if ok && t.Sub(mid) < limit {
		return mid, spans, true, nil
	}
	mid, spans, err = c.nextWorkingDay(mid)
	return mid, spans, false, err
}

// Appointment returns the appointment date-time (ngày hẹn trả) of a dossier
// received at received under the time limit tl:
//
//   - The event day is the date of receipt when it is a working day and the
//     dossier came strictly before tl.Cutoff (default 15:00) and before the
//     close of office; otherwise the next working day.
//   - same_day: the close of office of the event day.
//   - Days counting (Civil Code 2015 Art. 147–148), N working days: the close
//     of office of the N-th working day after the event day.
//   - Hours counting: the working time (WorkingHours, or WorkingDays × 8
//     hours) is added through office hours from the receipt, or from the
//     event day's opening when received on another day; the result is
//     rounded up to the close of the office span (half day) it falls in,
//     unless the Calendar was made WithoutHalfDayRounding.
//
// Counting defaults as in definitions: hours when WorkingHours is set, else
// days. Days counting of a WorkingHours limit counts ceil(hours/8) days.
func (c *Calendar) Appointment(received time.Time, tl definitions.TimeLimit) (time.Time, error) {
	due, err := c.appointment(received.In(vietnam), tl)
	if err != nil {
		return time.Time{}, fmt.Errorf("appointment of a dossier received %s: %w", received.In(vietnam).Format("2006-01-02 15:04"), err)
	}
	return due, nil
}

func (c *Calendar) appointment(received time.Time, tl definitions.TimeLimit) (time.Time, error) {
	if tl.WorkingDays < 0 || tl.WorkingHours < 0 {
		return time.Time{}, fmt.Errorf("time limit of %d working days, %d working hours is negative", tl.WorkingDays, tl.WorkingHours)
	}
	set := 0
	for _, on := range []bool{tl.WorkingDays > 0, tl.WorkingHours > 0, tl.SameDay} {
		if on {
			set++
		}
	}
	if set != 1 {
		return time.Time{}, errors.New("time limit must set exactly one of working_days, working_hours or same_day")
	}
	cutoffText := tl.Cutoff
	if cutoffText == "" {
		cutoffText = definitions.DefaultCutoff
	}
	cutoff, err := parseClock(cutoffText)
	if err != nil {
		return time.Time{}, fmt.Errorf("time limit cutoff: %w", err)
	}
	counting := tl.Counting
	if counting == "" {
		counting = countingDays
		if tl.WorkingHours > 0 {
			counting = countingHours
		}
	}
	event, spans, same, err := c.startDay(received, cutoff)
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case tl.SameDay:
		return event.Add(spans[len(spans)-1].to), nil
	case counting == countingDays:
		n := tl.WorkingDays + (tl.WorkingHours+definitions.HoursPerDay-1)/definitions.HoursPerDay
		return c.nthWorkingDayClose(event, n)
	case counting == countingHours:
		start := received
		if !same {
			start = event.Add(spans[0].from)
		}
		d := time.Duration(tl.WorkingDays)*hoursPerDay + time.Duration(tl.WorkingHours)*time.Hour
		due, err := c.add(start, d)
		if err != nil || c.noRounding {
			return due, err
		}
		return c.roundUpToSpanEnd(due)
	default:
		return time.Time{}, fmt.Errorf("time limit counting %q is neither %q nor %q", tl.Counting, countingDays, countingHours)
	}
}

// roundUpToSpanEnd returns the close of the office span t falls in (From <
// t <= To), or t when it is in none.
func (c *Calendar) roundUpToSpanEnd(t time.Time) (time.Time, error) {
	mid := midnight(t)
	_, spans, err := c.day(mid)
	if err != nil {
		return time.Time{}, err
	}
	off := t.Sub(mid)
	for _, s := range spans {
		if s.from < off && off <= s.to {
			return mid.Add(s.to), nil
		}
	}
	return t, nil
}

// StepDue returns the due time of a step started at start with the allotment
// d, counted as counting ("days", or "" for days, or "hours"):
//
//   - days counting, WorkingDays N: the close of office of the N-th working
//     day after the start day; the start day is the date of start when it is
//     a working day and start is before the close of office, else the next
//     working day;
//   - days counting, WorkingHours H: H working hours added through office
//     hours (an allotment in hours is always counted in hours);
//   - hours counting: WorkingDays × 8 + WorkingHours working hours added
//     through office hours, without half-day rounding.
func (c *Calendar) StepDue(start time.Time, d definitions.Duration, counting string) (time.Time, error) {
	due, err := c.stepDue(start.In(vietnam), d, counting)
	if err != nil {
		return time.Time{}, fmt.Errorf("due time of a step started %s: %w", start.In(vietnam).Format("2006-01-02 15:04"), err)
	}
	return due, nil
}

func (c *Calendar) stepDue(start time.Time, d definitions.Duration, counting string) (time.Time, error) {
	switch {
	case d.WorkingDays < 0 || d.WorkingHours < 0:
		return time.Time{}, fmt.Errorf("allotment of %d working days, %d working hours is negative", d.WorkingDays, d.WorkingHours)
	case d.WorkingDays == 0 && d.WorkingHours == 0:
		return time.Time{}, errors.New("allotment is zero: set working_days or working_hours")
	case d.WorkingDays > 0 && d.WorkingHours > 0:
		return time.Time{}, errors.New("allotment sets both working_days and working_hours: set only one")
	}
	hours := time.Duration(d.WorkingHours) * time.Hour
	switch counting {
	case "", countingDays:
		if d.WorkingDays > 0 {
			mid, _, _, err := c.startDay(start, 24*time.Hour)
			if err != nil {
				return time.Time{}, err
			}
			return c.nthWorkingDayClose(mid, d.WorkingDays)
		}
		return c.add(start, hours)
	case countingHours:
		return c.add(start, time.Duration(d.WorkingDays)*hoursPerDay+hours)
	default:
		return time.Time{}, fmt.Errorf("counting %q is neither %q nor %q", counting, countingDays, countingHours)
	}
}

// WorkingTimeBetween returns the working time (office hours of working days)
// between a and b, or 0 when b is not after a.
func (c *Calendar) WorkingTimeBetween(a, b time.Time) (time.Duration, error) {
	a, b = a.In(vietnam), b.In(vietnam)
	where := func(err error) error {
		return fmt.Errorf("working time between %s and %s: %w", a.Format("2006-01-02 15:04"), b.Format("2006-01-02 15:04"), err)
	}
	for _, t := range []time.Time{a, b} {
		if _, _, err := c.day(midnight(t)); err != nil {
			return 0, where(err)
		}
	}
	var total time.Duration
	for mid := midnight(a); mid.Before(b); mid = mid.AddDate(0, 0, 1) {
		ok, spans, err := c.day(mid)
		if err != nil {
			return 0, where(err)
		}
		if !ok {
			continue
		}
		for _, s := range spans {
			from, to := mid.Add(s.from), mid.Add(s.to)
			if from.Before(a) {
				from = a
			}
			if to.After(b) {
				to = b
			}
			if to.After(from) {
				total += to.Sub(from)
			}
		}
	}
	return total, nil
}

// AddWorkingTime moves t forward by d of working time through office hours
// and returns the earliest instant reached, so a move that ends exactly at a
// close stays there (17:00, not 07:30 the next working day). A negative d
// moves backward as SubWorkingTime. For any u inside office hours (From < u
// <= To on a working day) after t,
// AddWorkingTime(t, WorkingTimeBetween(t, u)) is u.
func (c *Calendar) AddWorkingTime(t time.Time, d time.Duration) (time.Time, error) {
	if d < 0 {
		return c.SubWorkingTime(t, -d)
	}
	r, err := c.add(t.In(vietnam), d)
	if err != nil {
		return time.Time{}, fmt.Errorf("adding %s of working time to %s: %w", d, t.In(vietnam).Format("2006-01-02 15:04"), err)
	}
	return r, nil
}

func (c *Calendar) add(t time.Time, d time.Duration) (time.Time, error) {
	for mid := midnight(t); ; mid = mid.AddDate(0, 0, 1) {
		ok, spans, err := c.day(mid)
		if err != nil {
			return time.Time{}, err
		}
		if d == 0 {
			return t, nil
		}
		if !ok {
			continue
		}
		for _, s := range spans {
			from, to := mid.Add(s.from), mid.Add(s.to)
			if !to.After(t) {
				continue
			}
			if from.Before(t) {
				from = t
			}
			if avail := to.Sub(from); d > avail {
				d -= avail
				continue
			}
			return from.Add(d), nil
		}
	}
}

// SubWorkingTime moves t backward by d of working time through office hours
// and returns the latest instant reached, so a move that ends exactly at an
// opening stays there (07:30, not 17:00 the working day before). A negative
// d moves forward as AddWorkingTime.
func (c *Calendar) SubWorkingTime(t time.Time, d time.Duration) (time.Time, error) {
	if d < 0 {
		return c.AddWorkingTime(t, -d)
	}
	r, err := c.sub(t.In(vietnam), d)
	if err != nil {
		return time.Time{}, fmt.Errorf("subtracting %s of working time from %s: %w", d, t.In(vietnam).Format("2006-01-02 15:04"), err)
	}
	return r, nil
}

func (c *Calendar) sub(t time.Time, d time.Duration) (time.Time, error) {
	for mid := midnight(t); ; mid = mid.AddDate(0, 0, -1) {
		ok, spans, err := c.day(mid)
		if err != nil {
			return time.Time{}, err
		}
		if d == 0 {
			return t, nil
		}
		if !ok {
			continue
		}
		for _, s := range slices.Backward(spans) {
			from, to := mid.Add(s.from), mid.Add(s.to)
			if !from.Before(t) {
				continue
			}
			if to.After(t) {
				to = t
			}
			if avail := to.Sub(from); d > avail {
				d -= avail
				continue
			}
			return to.Add(-d), nil
		}
	}
}

// WarningTime returns when to warn about a due time: one working day (8
// working hours, through office hours) before due. Where that instant is
// both an opening and the previous close (8 hours before 17:00 is 07:30 the
// same day, and 17:00 the working day before), the earlier one is taken, so
// a due time at a close is warned about at the same clock time on the
// previous working day.
func (c *Calendar) WarningTime(due time.Time) (time.Time, error) {
	w, err := c.sub(due.In(vietnam), hoursPerDay)
	if err == nil && c.isOpening(w) {
		var before time.Time
		if before, err = c.sub(w, time.Nanosecond); err == nil {
			w = before.Add(time.Nanosecond)
		}
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("warning time before %s: %w", due.In(vietnam).Format("2006-01-02 15:04"), err)
	}
	return w, nil
}

// isOpening reports whether t is exactly the start of an office span of a
// working day.
func (c *Calendar) isOpening(t time.Time) bool {
	mid := midnight(t)
	ok, spans, err := c.day(mid)
	if err != nil || !ok {
		return false
	}
	for _, s := range spans {
		if mid.Add(s.from).Equal(t) {
			return true
		}
	}
	return false
}
