package workcal

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
)

// The expected dates below are worked out by hand from
// definitions/calendars/2025.yaml, 2026.yaml and 2027.yaml:
//
//	weekend Saturday and Sunday; office hours 07:30-11:30 and 13:00-17:00
//	(4 h + 4 h = 8 h a day, definitions.HoursPerDay; 2025.yaml lists them,
//	2026 and 2027 take definitions.DefaultOfficeHours); default cut-off 15:00.
//	Adding working time gives the earliest instant reached, subtracting the
//	latest (see AddWorkingTime and SubWorkingTime).
//	2025 off: Wed 1 Jan; Mon 27 - Fri 31 Jan (Tết); Mon 7 Apr; Wed 30 Apr;
//	  Thu 1 May; Fri 2 May (swapped); Mon 1 and Tue 2 Sep. Worked: Sat 26 Apr.
//	2026 off: Thu 1 Jan; Fri 2 Jan (swapped); Mon 16 - Fri 20 Feb (Tết, so
//	  Sat 14 - Sun 22 Feb off); Sun 26 Apr; Mon 27 Apr (compensatory);
//	  Thu 30 Apr; Fri 1 May; Mon 31 Aug (swapped); Tue 1 and Wed 2 Sep.
//	  Worked: Sat 10 Jan, Sat 22 Aug.
//	2027: the draft; no calendar for 2024 or 2028.

const layout = "Mon 2006-01-02 15:04"

var vn = loadVietnam()

// at parses "2006-01-02 15:04" in Vietnam.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, vn)
	require.NoError(t, err)
	return v
}

func show(t time.Time) string { return t.In(vn).Format(layout) }

func load(t *testing.T) *Calendar {
	t.Helper()
	cat, err := definitions.LoadCatalog("../../definitions")
	require.NoError(t, err)
	c, err := FromCatalog(cat)
	require.NoError(t, err)
	return c
}

func days(n int) definitions.TimeLimit {
	return definitions.TimeLimit{WorkingDays: n, Counting: "days", Cutoff: "15:00"}
}

var sameDay = definitions.TimeLimit{SameDay: true, Counting: "days", Cutoff: "15:00"}

func hours(n int) definitions.TimeLimit {
	return definitions.TimeLimit{WorkingHours: n, Counting: "hours", Cutoff: "15:00"}
}

func TestAppointmentDays(t *testing.T) {
	t.Parallel()
	c := load(t)
	cases := []struct {
		name     string
		received string
		limit    definitions.TimeLimit
		want     string
	}{
		// Event day Thu 13; Fri 14 is day 1, Mon 17 day 2, Tue 18 day 3.
		{"three days from a thursday morning cross the weekend", "2025-03-13 10:00", days(3), "Tue 2025-03-18 17:00"},
		{"received just before the cut-off counts from that day", "2025-03-13 14:59", days(3), "Tue 2025-03-18 17:00"},
		// Event day moves to Fri 14: Mon 17, Tue 18, Wed 19.
		{"received exactly at the cut-off counts from the next working day", "2025-03-13 15:00", days(3), "Wed 2025-03-19 17:00"},
		{"received after the cut-off counts from the next working day", "2025-03-13 15:30", days(3), "Wed 2025-03-19 17:00"},
		{"received at 18:00 counts from the next working day", "2025-03-13 18:00", days(3), "Wed 2025-03-19 17:00"},
		{"received at 06:00 before opening counts from that day", "2025-03-13 06:00", days(3), "Tue 2025-03-18 17:00"},
		{"received at 12:00 during lunch counts from that day", "2025-03-13 12:00", days(3), "Tue 2025-03-18 17:00"},
		// Event day Mon 17: Tue 18, Wed 19, Thu 20.
		{"received on a saturday counts from monday", "2025-03-15 09:00", days(3), "Thu 2025-03-20 17:00"},
		{"received on a sunday evening counts from monday", "2025-03-16 20:00", days(1), "Tue 2025-03-18 17:00"},
		// Fri 13 Feb; Sat 14 - Sun 22 all off; Mon 23, Tue 24, Wed 25.
		{"three days across Tết 2026", "2026-02-13 10:00", days(3), "Wed 2026-02-25 17:00"},
		// Event day is the first working day after Tết, Mon 23; day 1 is Tue 24.
		{"received after the cut-off on the eve of Tết 2026", "2026-02-13 16:00", days(1), "Tue 2026-02-24 17:00"},
		{"received during Tết 2026", "2026-02-18 09:00", days(1), "Tue 2026-02-24 17:00"},
		// Wed 31 Dec 2025 event day; Thu 1 Jan holiday, Fri 2 Jan swapped off,
		// weekend; Mon 5 is day 1, Tue 6 day 2.
		{"the swapped day off friday 2 january 2026 is skipped", "2025-12-31 10:00", days(2), "Tue 2026-01-06 17:00"},
		{"the make-up saturday 10 january 2026 is a working day", "2026-01-09 10:00", days(1), "Sat 2026-01-10 17:00"},
		// Sat 10 Jan is worked, so a receipt that morning has it as event day;
		// day 1 is Mon 12 (Sun 11 is off).
		{"received on the make-up saturday morning", "2026-01-10 09:00", days(1), "Mon 2026-01-12 17:00"},
		// Received after the cut-off on Sat 10 Jan: event day Mon 12, day 1 Tue 13.
		{"received on the make-up saturday after the cut-off", "2026-01-10 16:00", days(1), "Tue 2026-01-13 17:00"},
		{"the make-up saturday 26 april 2025 is a working day", "2025-04-25 10:00", days(1), "Sat 2025-04-26 17:00"},
		// Tue 29 Apr 2025; Wed 30 Apr, Thu 1 May, Fri 2 May (swapped) off,
		// weekend; Mon 5 May day 1, Tue 6 May day 2.
		{"30 april and 1 may 2025 with the swapped friday", "2025-04-29 10:00", days(2), "Tue 2025-05-06 17:00"},
		// Wed 29 Apr 2026; Thu 30 Apr and Fri 1 May off, weekend; Mon 4 May.
		{"30 april and 1 may 2026", "2026-04-29 10:00", days(1), "Mon 2026-05-04 17:00"},
		// Fri 24 Apr 2026; Sat 25, Sun 26 (Giỗ Tổ), Mon 27 (compensatory) off.
		{"the compensatory monday 27 april 2026 is off", "2026-04-24 10:00", days(1), "Tue 2026-04-28 17:00"},
		// Fri 29 Aug 2025; weekend, Mon 1 and Tue 2 Sep off; Wed 3 Sep.
		{"national day 2025", "2025-08-29 10:00", days(1), "Wed 2025-09-03 17:00"},
		// Fri 28 Aug 2026; weekend, Mon 31 Aug (swapped), Tue 1, Wed 2 Sep off.
		{"national day 2026 with the swapped monday", "2026-08-28 10:00", days(1), "Thu 2026-09-03 17:00"},
		{"the make-up saturday 22 august 2026 is a working day", "2026-08-21 10:00", days(1), "Sat 2026-08-22 17:00"},
		// Fri 26 Dec 2025; Mon 29, Tue 30, Wed 31 are days 1-3; Thu 1 and Fri
		// 2 Jan off; Mon 5 day 4, Tue 6 day 5.
		{"five days across the year boundary", "2025-12-26 10:00", days(5), "Tue 2026-01-06 17:00"},
		// A later cut-off: 15:30 is before 16:00, so Thu 13 is the event day.
		{"a later cut-off set by the procedure", "2025-03-13 15:30", definitions.TimeLimit{WorkingDays: 1, Counting: "days", Cutoff: "16:00"}, "Fri 2025-03-14 17:00"},
		// A cut-off after the close of office: the close still ends the day.
		{"a cut-off after the close of office", "2025-03-13 17:30", definitions.TimeLimit{WorkingDays: 1, Counting: "days", Cutoff: "18:00"}, "Mon 2025-03-17 17:00"},
		{"no cut-off given uses 15:00", "2025-03-13 15:30", definitions.TimeLimit{WorkingDays: 1}, "Mon 2025-03-17 17:00"},
		// Days counting of 12 working hours: ceil(12/8) = 2 days, Fri 14 and Mon 17.
		{"working hours counted in days round up to whole days", "2025-03-13 10:00", definitions.TimeLimit{WorkingHours: 12, Counting: "days"}, "Mon 2025-03-17 17:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Appointment(at(t, tc.received), tc.limit)
			require.NoError(t, err)
			require.Equal(t, tc.want, show(got))
			require.Equal(t, vn.String(), got.Location().String())
		})
	}
}

func TestAppointmentSameDay(t *testing.T) {
	t.Parallel()
	c := load(t)
	cases := []struct {
		name     string
		received string
		want     string
	}{
		{"received in the morning", "2025-03-13 10:00", "Thu 2025-03-13 17:00"},
		{"received at 06:00", "2025-03-13 06:00", "Thu 2025-03-13 17:00"},
		{"received at 12:00", "2025-03-13 12:00", "Thu 2025-03-13 17:00"},
		{"received before the cut-off", "2025-03-13 14:59", "Thu 2025-03-13 17:00"},
		{"received after the cut-off", "2025-03-13 15:30", "Fri 2025-03-14 17:00"},
		{"received at 18:00", "2025-03-13 18:00", "Fri 2025-03-14 17:00"},
		{"received on a saturday", "2025-03-15 09:00", "Mon 2025-03-17 17:00"},
		{"received on the make-up saturday", "2026-01-10 09:00", "Sat 2026-01-10 17:00"},
		// Tue 29 Apr 2025 after cut-off: Wed 30 Apr - Sun 4 May all off.
		{"received after the cut-off before 30 april 2025", "2025-04-29 16:00", "Mon 2025-05-05 17:00"},
		{"received after the cut-off on new year's eve 2025", "2025-12-31 16:00", "Mon 2026-01-05 17:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Appointment(at(t, tc.received), sameDay)
			require.NoError(t, err)
			require.Equal(t, tc.want, show(got))
		})
	}
}

func TestAppointmentHours(t *testing.T) {
	t.Parallel()
	c := load(t)
	plain := c.WithoutHalfDayRounding()
	cases := []struct {
		name     string
		received string
		limit    definitions.TimeLimit
		rounded  string
		exact    string
	}{
		// 09:00 + 4 h: 09:00-11:30 is 2.5 h, then 13:00-14:30 -> 14:30,
		// rounded up to the close of the afternoon span 17:00.
		{"four hours from 09:00 end in the afternoon", "2025-03-13 09:00", hours(4), "Thu 2025-03-13 17:00", "Thu 2025-03-13 14:30"},
		{"four hours from the opening end exactly at noon", "2025-03-13 07:30", hours(4), "Thu 2025-03-13 11:30", "Thu 2025-03-13 11:30"},
		// Thu 10:00-11:30 1.5 h + 13:00-17:00 4 h = 5.5 h; 2.5 h on Fri from
		// 07:30 -> 10:00, rounded up to the close of the morning span 11:30.
		{"eight hours from 10:00 end the next morning", "2025-03-13 10:00", hours(8), "Fri 2025-03-14 11:30", "Fri 2025-03-14 10:00"},
		// Starts at 07:30: 07:30-11:30 4 h + 13:00-17:00 4 h is the whole
		// 8 h, ending exactly at Thu 17:00 (the earliest instant, not Fri
		// 07:30); 17:00 is already a close, so rounding keeps it.
		{"eight hours from 06:00 start at the opening and end at that day's close", "2025-03-13 06:00", hours(8), "Thu 2025-03-13 17:00", "Thu 2025-03-13 17:00"},
		// Starts at 13:00: Thu 13:00-17:00 4 h; Fri 07:30-11:30 4 h (8) ends
		// exactly at the morning close Fri 11:30, which rounding keeps.
		{"eight hours from 12:00 start after lunch and end at the next noon", "2025-03-13 12:00", hours(8), "Fri 2025-03-14 11:30", "Fri 2025-03-14 11:30"},
		// After the cut-off: starts Fri 07:30; Fri's whole 8 h end at Fri
		// 17:00 (not Mon 07:30).
		{"eight hours from 15:30 start the next working day and fill it", "2025-03-13 15:30", hours(8), "Fri 2025-03-14 17:00", "Fri 2025-03-14 17:00"},
		{"eight hours from 18:00 start the next working day and fill it", "2025-03-13 18:00", hours(8), "Fri 2025-03-14 17:00", "Fri 2025-03-14 17:00"},
		// Saturday: starts Mon 07:30; 4 h end Mon 11:30.
		{"four hours from a saturday", "2025-03-15 09:00", hours(4), "Mon 2025-03-17 11:30", "Mon 2025-03-17 11:30"},
		// Fri 13 Feb 14:00-17:00 is 3 h; 1 h on Mon 23 Feb: 08:30.
		{"four hours across Tết 2026", "2026-02-13 14:00", hours(4), "Mon 2026-02-23 11:30", "Mon 2026-02-23 08:30"},
		// 2 working days = 16 h: Thu 10:00-17:00 5.5 h, Fri 8 h (13.5), Mon
		// 2.5 h: 07:30-10:00 -> 10:00, rounded up to 11:30.
		{"working days in hours counting are eight hours each", "2025-03-13 10:00", definitions.TimeLimit{WorkingDays: 2, Counting: "hours", Cutoff: "15:00"}, "Mon 2025-03-17 11:30", "Mon 2025-03-17 10:00"},
		// No counting given: working_hours means hours counting; as the first
		// case, 09:00 + 4 h -> 14:30, rounded up to 17:00.
		{"working hours without counting are counted in hours", "2025-03-13 09:00", definitions.TimeLimit{WorkingHours: 4}, "Thu 2025-03-13 17:00", "Thu 2025-03-13 14:30"},
		// Wed 31 Dec 16:00 is after the cut-off: starts Mon 5 Jan 07:30; 4 h: 11:30.
		{"four hours across new year 2026", "2025-12-31 16:00", hours(4), "Mon 2026-01-05 11:30", "Mon 2026-01-05 11:30"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Appointment(at(t, tc.received), tc.limit)
			require.NoError(t, err)
			require.Equal(t, tc.rounded, show(got), "with half-day rounding")
			got, err = plain.Appointment(at(t, tc.received), tc.limit)
			require.NoError(t, err)
			require.Equal(t, tc.exact, show(got), "without half-day rounding")
		})
	}
}

func TestAppointmentRejectsBadLimits(t *testing.T) {
	t.Parallel()
	c := load(t)
	cases := []struct {
		name  string
		limit definitions.TimeLimit
		want  string
	}{
		{"nothing set", definitions.TimeLimit{Counting: "days"}, "exactly one"},
		{"same day and working days", definitions.TimeLimit{SameDay: true, WorkingDays: 2}, "exactly one"},
		{"negative days", definitions.TimeLimit{WorkingDays: -1}, "negative"},
		{"unknown counting", definitions.TimeLimit{WorkingDays: 1, Counting: "weeks"}, `"weeks"`},
		{"bad cut-off", definitions.TimeLimit{WorkingDays: 1, Cutoff: "3pm"}, "cutoff"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Appointment(at(t, "2025-03-13 10:00"), tc.limit)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "2025-03-13 10:00")
		})
	}
}

func TestStepDue(t *testing.T) {
	t.Parallel()
	c := load(t)
	cases := []struct {
		name     string
		start    string
		d        definitions.Duration
		counting string
		want     string
	}{
		// Start day Thu 13 (before close): Fri 14 day 1, Mon 17 day 2.
		{"two days from a thursday afternoon", "2025-03-13 16:30", definitions.Duration{WorkingDays: 2}, "days", "Mon 2025-03-17 17:00"},
		// After close: start day Fri 14; Mon 17, Tue 18.
		{"two days from after the close", "2025-03-13 17:30", definitions.Duration{WorkingDays: 2}, "days", "Tue 2025-03-18 17:00"},
		{"two days from exactly the close", "2025-03-13 17:00", definitions.Duration{WorkingDays: 2}, "days", "Tue 2025-03-18 17:00"},
		// Start day Mon 17: Tue 18, Wed 19.
		{"two days from a saturday", "2025-03-15 10:00", definitions.Duration{WorkingDays: 2}, "days", "Wed 2025-03-19 17:00"},
		{"empty counting means days", "2025-03-13 10:00", definitions.Duration{WorkingDays: 1}, "", "Fri 2025-03-14 17:00"},
		// Thu 16:00-17:00 1 h; 3 h on Fri: 10:30.
		{"four hours in hours counting are not rounded", "2025-03-13 16:00", definitions.Duration{WorkingHours: 4}, "hours", "Fri 2025-03-14 10:30"},
		{"an allotment in hours is counted in hours under days counting", "2025-03-13 16:00", definitions.Duration{WorkingHours: 4}, "days", "Fri 2025-03-14 10:30"},
		// 8 h: Thu 10:00-11:30 1.5 h + 13:00-17:00 4 h = 5.5 h; 2.5 h on Fri
		// from 07:30 -> 10:00, the same clock time the next working day.
		{"one day in hours counting is eight hours", "2025-03-13 10:00", definitions.Duration{WorkingDays: 1}, "hours", "Fri 2025-03-14 10:00"},
		// 8 h from the opening: 07:30-11:30 4 h + 13:00-17:00 4 h end exactly
		// at Thu 17:00, the same day's close.
		{"one day in hours counting from the opening ends at that day's close", "2025-03-13 07:30", definitions.Duration{WorkingDays: 1}, "hours", "Thu 2025-03-13 17:00"},
		// Wed 31 Dec 16:00-17:00 1 h; Mon 5 Jan 07:30 + 1 h.
		{"two hours across new year 2026", "2025-12-31 16:00", definitions.Duration{WorkingHours: 2}, "hours", "Mon 2026-01-05 08:30"},
		// Wed 31 Dec start day; Mon 5 Jan is the next working day.
		{"one day across new year 2026", "2025-12-31 10:00", definitions.Duration{WorkingDays: 1}, "days", "Mon 2026-01-05 17:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.StepDue(at(t, tc.start), tc.d, tc.counting)
			require.NoError(t, err)
			require.Equal(t, tc.want, show(got))
		})
	}

	t.Run("rejects a zero allotment and an unknown counting", func(t *testing.T) {
		t.Parallel()
		_, err := c.StepDue(at(t, "2025-03-13 10:00"), definitions.Duration{}, "days")
		require.ErrorContains(t, err, "zero")
		_, err = c.StepDue(at(t, "2025-03-13 10:00"), definitions.Duration{WorkingDays: 1}, "weeks")
		require.ErrorContains(t, err, `"weeks"`)
	})
}

func TestWorkingTimeBetween(t *testing.T) {
	t.Parallel()
	c := load(t)
	cases := []struct {
		name string
		a, b string
		want time.Duration
	}{
		{"inside one span", "2025-03-13 08:00", "2025-03-13 10:00", 2 * time.Hour},
		// 11:00-11:30 0.5 h and 13:00-14:00 1 h.
		{"across lunch", "2025-03-13 11:00", "2025-03-13 14:00", 90 * time.Minute},
		// 07:30-11:30 4 h and 13:00-17:00 4 h.
		{"a whole working day is eight hours", "2025-03-13 00:00", "2025-03-14 00:00", 8 * time.Hour},
		{"a saturday has none", "2025-03-15 00:00", "2025-03-16 00:00", 0},
		// Fri 16:00-17:00 and Mon 07:30-08:00.
		{"across a weekend", "2025-03-14 16:00", "2025-03-17 08:00", 90 * time.Minute},
		// Thu 12 Feb 15:00-17:00 2 h; Fri 13 8 h (10); Sat 14 - Sun 22 none;
		// Mon 23 8 h (18); Tue 24 07:30-09:00 1.5 h (19.5).
		{"a supplement pausing across Tết 2026", "2026-02-12 15:00", "2026-02-24 09:00", 19*time.Hour + 30*time.Minute},
		// Fri 9 Jan 16:00-17:00 1 h; Sat 10 (worked) 8 h (9); Sun 11 none;
		// Mon 12 07:30-08:00 0.5 h (9.5).
		{"the make-up saturday counts", "2026-01-09 16:00", "2026-01-12 08:00", 9*time.Hour + 30*time.Minute},
		// Wed 31 Dec 16:00-17:00 1 h; 1-4 Jan none; Mon 5 Jan 0.5 h.
		{"across the year boundary", "2025-12-31 16:00", "2026-01-05 08:00", 90 * time.Minute},
		{"outside office hours on both ends of one night", "2025-03-13 18:00", "2025-03-14 07:00", 0},
		{"b before a", "2025-03-14 10:00", "2025-03-13 10:00", 0},
		{"b equal to a", "2025-03-13 10:00", "2025-03-13 10:00", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.WorkingTimeBetween(at(t, tc.a), at(t, tc.b))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestAddAndSubWorkingTime(t *testing.T) {
	t.Parallel()
	c := load(t)
	cases := []struct {
		name string
		from string
		d    time.Duration
		want string
	}{
		{"zero stays put even outside office hours", "2025-03-15 09:00", 0, "Sat 2025-03-15 09:00"},
		// The whole afternoon span 13:00-17:00 is 4 h.
		{"ending exactly at the close stays at the close", "2025-03-13 13:00", 4 * time.Hour, "Thu 2025-03-13 17:00"},
		// 07:30 + 8 h fills the whole day: Thu 17:00, not Fri 07:30.
		{"a whole working day from the opening ends at that day's close", "2025-03-13 07:30", 8 * time.Hour, "Thu 2025-03-13 17:00"},
		{"from outside office hours starts at the next opening", "2025-03-13 18:00", time.Hour, "Fri 2025-03-14 08:30"},
		// Fri 13 Feb 16:00-17:00 1 h; Mon 23 Feb 07:30 + 1 h.
		{"a due time shifted across Tết 2026", "2026-02-13 16:00", 2 * time.Hour, "Mon 2026-02-23 08:30"},
		{"negative moves backward", "2026-02-23 08:30", -2 * time.Hour, "Fri 2026-02-13 16:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.AddWorkingTime(at(t, tc.from), tc.d)
			require.NoError(t, err)
			require.Equal(t, tc.want, show(got))
		})
	}

	subs := []struct {
		name string
		from string
		d    time.Duration
		want string
	}{
		{"back across Tết 2026", "2026-02-23 08:30", 2 * time.Hour, "Fri 2026-02-13 16:00"},
		{"ending exactly at the opening stays at the opening", "2025-03-14 11:30", 4 * time.Hour, "Fri 2025-03-14 07:30"},
		// Mon 5 Jan 08:00 back 0.5 h to 07:30; 1-4 Jan off; 1 h more: Wed 31 Dec 16:00.
		{"back across the year boundary", "2026-01-05 08:00", 90 * time.Minute, "Wed 2025-12-31 16:00"},
	}
	for _, tc := range subs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.SubWorkingTime(at(t, tc.from), tc.d)
			require.NoError(t, err)
			require.Equal(t, tc.want, show(got))
		})
	}

	t.Run("a due time moved by the time a supplement paused the clock", func(t *testing.T) {
		t.Parallel()
		// Paused from Thu 12 Feb 15:00 to Tue 24 Feb 09:00: 19.5 h (see
		// TestWorkingTimeBetween). Due Wed 25 Feb 17:00 + 19.5 h: Thu 26 8 h,
		// Fri 27 8 h (16), Sat 28 and Sun 1 Mar off, Mon 2 Mar 3.5 h:
		// 07:30-11:00.
		paused, err := c.WorkingTimeBetween(at(t, "2026-02-12 15:00"), at(t, "2026-02-24 09:00"))
		require.NoError(t, err)
		got, err := c.AddWorkingTime(at(t, "2026-02-25 17:00"), paused)
		require.NoError(t, err)
		require.Equal(t, "Mon 2026-03-02 11:00", show(got))
	})

	t.Run("round trip lands on an instant inside office hours", func(t *testing.T) {
		t.Parallel()
		pairs := [][2]string{
			{"2026-02-12 15:00", "2026-02-24 09:00"},
			{"2025-12-31 16:00", "2026-01-05 08:00"},
			{"2025-03-14 18:00", "2025-03-17 17:00"},
			{"2025-03-13 12:00", "2025-03-13 11:30"}, // u before t: 0 and t itself
		}
		for _, p := range pairs {
			from, to := at(t, p[0]), at(t, p[1])
			d, err := c.WorkingTimeBetween(from, to)
			require.NoError(t, err)
			got, err := c.AddWorkingTime(from, d)
			require.NoError(t, err)
			if to.After(from) {
				require.Equal(t, show(to), show(got))
			} else {
				require.Equal(t, show(from), show(got))
			}
		}
	})
}

func TestWarningTime(t *testing.T) {
	t.Parallel()
	c := load(t)
	cases := []struct {
		name string
		due  string
		want string
	}{
		// With 8-hour days, one working day before a due time inside a span
		// is the same clock time on the previous working day. Fri 10:00:
		// Fri 07:30-10:00 2.5 h; Thu 13:00-17:00 4 h (6.5); 1.5 h back from
		// Thu 11:30 -> 10:00.
		{"one working day before a morning due is the same time the day before", "2025-03-14 10:00", "Thu 2025-03-13 10:00"},
		// Fri 13:00-15:00 2 h; Fri 07:30-11:30 4 h (6); Thu 15:00-17:00 2 h (8).
		{"one working day before an afternoon due is the same time the day before", "2025-03-14 15:00", "Thu 2025-03-13 15:00"},
		// Due at a span's close: Fri 13:00-17:00 4 h and 07:30-11:30 4 h make
		// exactly 8 h, ending at Fri 07:30, which is the same working instant
		// as Thu 17:00; WarningTime takes the earlier, the previous close.
		{"eight working hours before a friday close is thursday's close", "2025-03-14 17:00", "Thu 2025-03-13 17:00"},
		// Fri 07:30-11:30 4 h; Thu 13:00-17:00 4 h (8) -> Thu 13:00, the same
		// working instant as Thu 11:30, the earlier of the two.
		{"eight working hours before a friday noon is thursday noon", "2025-03-14 11:30", "Thu 2025-03-13 11:30"},
		// Mon 23 Feb 07:30-11:30 4 h; Sat 14 - Sun 22 off; Fri 13 Feb
		// 13:00-17:00 4 h (8) -> Fri 13:00, taken as the earlier Fri 11:30.
		{"across Tết 2026", "2026-02-23 11:30", "Fri 2026-02-13 11:30"},
		// Mon 5 Jan 07:30-10:00 2.5 h; Sun 4 - Thu 1 Jan off; Wed 31 Dec
		// 13:00-17:00 4 h (6.5); 1.5 h back from 11:30 -> 10:00.
		{"across the year boundary", "2026-01-05 10:00", "Wed 2025-12-31 10:00"},
		// Tue 28 Apr 2026 07:30-09:00 1.5 h; Mon 27 (compensatory), Sun 26,
		// Sat 25 off; Fri 24 Apr 13:00-17:00 4 h (5.5); 2.5 h back from 11:30
		// -> 09:00.
		{"across the compensatory monday 27 april 2026", "2026-04-28 09:00", "Fri 2026-04-24 09:00"},
		// Mon 12 Jan 2026 07:30-10:00 2.5 h; Sun 11 off; Sat 10 (worked)
		// 13:00-17:00 4 h (6.5); 1.5 h back from 11:30 -> 10:00.
		{"back onto the make-up saturday 10 january 2026", "2026-01-12 10:00", "Sat 2026-01-10 10:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.WarningTime(at(t, tc.due))
			require.NoError(t, err)
			require.Equal(t, tc.want, show(got))
		})
	}
}

// TestWarningTimeAtAClose checks that, with 8-hour days, the warning before a
// due time at a span's close is exactly one working day before it, that is at
// the same clock time on the previous working day: no working time lies
// between that instant and the warning, and 8 h lie between it and the due
// time. The warning is the earlier of the two equal instants, the close of
// the previous span (see the close cases of TestWarningTime).
func TestWarningTimeAtAClose(t *testing.T) {
	t.Parallel()
	c := load(t)
	cases := []struct {
		name     string
		due      string
		previous string // the same clock time on the previous working day
	}{
		{"the afternoon close", "2025-03-14 17:00", "2025-03-13 17:00"},
		{"the morning close", "2025-03-14 11:30", "2025-03-13 11:30"},
		// Mon 23 Feb 2026: the previous working day is Fri 13 Feb (Tết).
		{"the afternoon close after Tết 2026", "2026-02-23 17:00", "2026-02-13 17:00"},
		// Mon 5 Jan 2026: the previous working day is Wed 31 Dec 2025.
		{"the morning close after new year 2026", "2026-01-05 11:30", "2025-12-31 11:30"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			due, previous := at(t, tc.due), at(t, tc.previous)
			got, err := c.WarningTime(due)
			require.NoError(t, err)
			day, err := c.WorkingTimeBetween(previous, due)
			require.NoError(t, err)
			require.Equal(t, 8*time.Hour, day, "%s is not one working day before %s", tc.previous, tc.due)
			require.False(t, got.Before(previous), "warning %s", show(got))
			gap, err := c.WorkingTimeBetween(previous, got)
			require.NoError(t, err)
			require.Zero(t, gap, "warning %s is not %s in working time", show(got), show(previous))
		})
	}
}

func TestNextWorkingDay(t *testing.T) {
	t.Parallel()
	c := load(t)
	got, err := c.NextWorkingDay(at(t, "2026-02-13 10:00"))
	require.NoError(t, err)
	require.Equal(t, "Mon 2026-02-23 07:30", show(got))
	got, err = c.NextWorkingDay(at(t, "2026-01-09 23:59"))
	require.NoError(t, err)
	require.Equal(t, "Sat 2026-01-10 07:30", show(got))
	ok, err := c.IsWorkingDay(at(t, "2026-04-27 10:00"))
	require.NoError(t, err)
	require.False(t, ok)
}

func TestNoCalendar(t *testing.T) {
	t.Parallel()
	c := load(t)
	const fix2028 = "no working calendar for 2028: add definitions/calendars/2028.yaml"
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"appointment received in 2028", func() error {
			_, err := c.Appointment(at(t, "2028-03-01 10:00"), days(1))
			return err
		}, fix2028},
		// Thu 30 Dec 2027 event day; Fri 31 Dec is day 1; day 2 needs 2028.
		{"appointment running into 2028", func() error {
			_, err := c.Appointment(at(t, "2027-12-30 10:00"), days(2))
			return err
		}, fix2028},
		{"receipt in 2024", func() error {
			_, err := c.Appointment(at(t, "2024-12-31 10:00"), sameDay)
			return err
		}, "no working calendar for 2024: add definitions/calendars/2024.yaml"},
		{"warning time going back into 2024", func() error {
			_, err := c.WarningTime(at(t, "2025-01-02 08:00"))
			return err
		}, "no working calendar for 2024"},
		{"working time between 2027 and 2028", func() error {
			_, err := c.WorkingTimeBetween(at(t, "2027-12-30 10:00"), at(t, "2028-01-03 10:00"))
			return err
		}, fix2028},
		{"step due in 2028", func() error {
			_, err := c.StepDue(at(t, "2028-01-03 10:00"), definitions.Duration{WorkingHours: 1}, "hours")
			return err
		}, fix2028},
		{"adding zero in 2028", func() error {
			_, err := c.AddWorkingTime(at(t, "2028-01-03 10:00"), 0)
			return err
		}, fix2028},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.call()
			require.ErrorIs(t, err, ErrNoCalendar)
			require.ErrorContains(t, err, tc.want)
		})
	}

	t.Run("the last day of 2027 is still answered", func(t *testing.T) {
		t.Parallel()
		got, err := c.Appointment(at(t, "2027-12-30 10:00"), days(1))
		require.NoError(t, err)
		require.Equal(t, "Fri 2027-12-31 17:00", show(got))
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	cat, err := definitions.LoadCatalog("../../definitions")
	require.NoError(t, err)
	y25 := cat.Calendar(2025)
	require.NotNil(t, y25)

	_, err = New()
	require.ErrorContains(t, err, "no calendar")
	_, err = New(y25, y25)
	require.ErrorContains(t, err, "two calendars for 2025")
	_, err = New(y25, nil)
	require.ErrorContains(t, err, "nil")
	_, err = New(&definitions.Calendar{Year: 2030, OfficeHours: []definitions.OfficeHours{{From: "13:00", To: "12:00"}}})
	require.ErrorContains(t, err, "calendar 2030: office_hours[0]")
	_, err = FromCatalog(nil)
	require.Error(t, err)

	only25, err := New(y25)
	require.NoError(t, err)
	_, err = only25.Appointment(at(t, "2025-12-31 10:00"), days(1))
	require.ErrorIs(t, err, ErrNoCalendar)
	require.ErrorContains(t, err, "2026")
}

// insideOffice reports whether t is on a working day and within its office
// hours (From < t <= To for some span), read straight from the calendar files.
func insideOffice(t *testing.T, cat *definitions.Catalog, v time.Time) bool {
	t.Helper()
	v = v.In(vn)
	dc := cat.Calendar(v.Year())
	require.NotNil(t, dc, "no calendar for %d", v.Year())
	if !dc.IsWorkingDay(v) {
		return false
	}
	require.Zero(t, v.Second()*int(time.Second)+v.Nanosecond(), "%s is not a whole minute", v)
	clock := v.Format("15:04") // "HH:MM" strings order like the times they name
	for _, oh := range dc.OfficeHours {
		if oh.From < clock && clock <= oh.To {
			return true
		}
	}
	return false
}

func TestAppointmentProperties(t *testing.T) {
	t.Parallel()
	cat, err := definitions.LoadCatalog("../../definitions")
	require.NoError(t, err)
	c, err := FromCatalog(cat)
	require.NoError(t, err)
	plain := c.WithoutHalfDayRounding()

	rng := rand.New(rand.NewPCG(2025, 2026))
	first := time.Date(2025, 1, 1, 0, 0, 0, 0, vn)
	last := time.Date(2027, 1, 1, 0, 0, 0, 0, vn)
	for range 2000 {
		received := first.Add(time.Duration(rng.Int64N(int64(last.Sub(first))/int64(time.Minute))) * time.Minute)
		var prev time.Time
		for n := 1; n <= 12; n++ {
			due, err := c.Appointment(received, days(n))
			require.NoError(t, err)
			require.True(t, due.After(received), "%d days from %s: %s is not after the receipt", n, show(received), show(due))
			require.True(t, insideOffice(t, cat, due), "%d days from %s: %s is not inside office hours", n, show(received), show(due))
			require.Equal(t, "17:00", due.Format("15:04"))
			require.True(t, due.After(prev), "%d days from %s: %s is not after %s for %d days", n, show(received), show(due), show(prev), n-1)
			prev = due
		}
		same, err := c.Appointment(received, sameDay)
		require.NoError(t, err)
		require.True(t, same.After(received))
		require.True(t, insideOffice(t, cat, same))
		one, err := c.Appointment(received, days(1))
		require.NoError(t, err)
		require.True(t, same.Before(one))

		prev = time.Time{}
		for _, h := range []int{1, 2, 4, 8, 16, 24, 40} {
			for _, cal := range []*Calendar{c, plain} {
				due, err := cal.Appointment(received, hours(h))
				require.NoError(t, err)
				require.True(t, due.After(received), "%d hours from %s: %s", h, show(received), show(due))
				require.True(t, insideOffice(t, cat, due), "%d hours from %s: %s", h, show(received), show(due))
			}
			due, err := c.Appointment(received, hours(h))
			require.NoError(t, err)
			require.False(t, due.Before(prev), "%d hours from %s: %s is before %s", h, show(received), show(due), show(prev))
			prev = due
		}
	}
}

func TestRoundTripProperty(t *testing.T) {
	t.Parallel()
	cat, err := definitions.LoadCatalog("../../definitions")
	require.NoError(t, err)
	c, err := FromCatalog(cat)
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(7, 30))
	first := time.Date(2025, 1, 1, 0, 0, 0, 0, vn)
	span := int64(2*365*24*time.Hour) / int64(time.Minute)
	checked := 0
	for range 5000 {
		a := first.Add(time.Duration(rng.Int64N(span)) * time.Minute)
		b := a.Add(time.Duration(rng.Int64N(int64(30*24*time.Hour)/int64(time.Minute))) * time.Minute)
		if !insideOffice(t, cat, b) || !b.After(a) {
			continue
		}
		checked++
		d, err := c.WorkingTimeBetween(a, b)
		require.NoError(t, err)
		got, err := c.AddWorkingTime(a, d)
		require.NoError(t, err)
		require.Equal(t, show(b), show(got), "from %s adding %s", show(a), d)
		require.True(t, got.Equal(b))
		back, err := c.SubWorkingTime(b, d)
		require.NoError(t, err)
		again, err := c.WorkingTimeBetween(back, b)
		require.NoError(t, err)
		require.Equal(t, d, again, "from %s back %s to %s", show(b), d, show(back))
	}
	require.Greater(t, checked, 500)
}
