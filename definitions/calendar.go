package definitions

import (
	"fmt"
	"reflect"
	"slices"
	"time"
)

// CalendarFile is one year of a working calendar as written in
// definitions/calendars/<year>.yaml. The calendar is data: the government
// fixes holidays and swapped days every year.
type CalendarFile struct {
	Year        int           `yaml:"year" validate:"required,gte=2000,lte=2100" doc:"The year the file covers."`
	Status      string        `yaml:"status" validate:"required,oneof=official draft" doc:"official: announced by the government; draft: computed ahead (e.g. from the lunar calendar)."`
	Source      string        `yaml:"source,omitempty" doc:"The announcement the dates come from."`
	Weekend     []string      `yaml:"weekend" validate:"required,min=1,unique,dive,oneof=monday tuesday wednesday thursday friday saturday sunday" doc:"Days of the week that are off."`
	OfficeHours []OfficeHours `yaml:"office_hours,omitempty" validate:"omitempty,dive" doc:"Office hours of a working day, for counting in working hours. Default: 07:30-11:30 and 13:00-17:00 (8 working hours)."`
	Holidays    []DayEntry    `yaml:"holidays,omitempty" validate:"omitempty,dive" doc:"Public holidays and their compensatory days off."`
	DaysOff     []DayEntry    `yaml:"days_off,omitempty" validate:"omitempty,dive" doc:"Weekdays swapped to be days off."`
	WorkingDays []DayEntry    `yaml:"working_days,omitempty" validate:"omitempty,dive" doc:"Weekend days worked to make up for swapped days off."`
}

// OfficeHours is one span of office time in a working day.
type OfficeHours struct {
	From string `yaml:"from" validate:"required,clock" doc:"Start (HH:MM)."`
	To   string `yaml:"to" validate:"required,clock" doc:"End (HH:MM)."`
}

// DayEntry is a date, or a range of dates when To is set, with its name.
type DayEntry struct {
	Date Date   `yaml:"date" validate:"required" doc:"The date, or the first date of a range (YYYY-MM-DD)."`
	To   Date   `yaml:"to,omitempty" doc:"Last date of a range, inclusive."`
	Name string `yaml:"name" validate:"required" doc:"What the day is, in Vietnamese."`
}

// DefaultOfficeHours are used when a calendar gives none.
var DefaultOfficeHours = []OfficeHours{{"07:30", "11:30"}, {"13:00", "17:00"}}

// Calendar is a checked working calendar of one year.
type Calendar struct {
	Year        int
	Status      string
	Weekend     []time.Weekday
	OfficeHours []OfficeHours
	off         map[string]string // date -> name of holiday or swapped day off
	worked      map[string]string // date -> name of make-up working day
}

var weekdayNames = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// ParseCalendar decodes and checks one calendar file.
func ParseCalendar(file string, data []byte) (*Calendar, Diagnostics) {
	r := &reporter{file: file}
	defer r.diags.Sort()
	if len(data) > MaxFileSize {
		r.errorf(Pos{}, "", "file is larger than %d bytes", MaxFileSize)
		return nil, r.diags
	}
	root, err := parseYAML(data)
	if err != nil {
		r.errorf(Pos{}, "", "invalid YAML: %v", err)
		return nil, r.diags
	}
	if root == nil {
		r.errorf(Pos{}, "", "file is empty: a calendar starts with year, status and weekend")
		return nil, r.diags
	}
	var cf CalendarFile
	d := newDecoder(r)
	d.decode(root, reflect.ValueOf(&cf).Elem(), "")
	if d.nodes > maxNodes {
		return nil, r.diags
	}
	checkStructErr(d, structRules.Struct(&cf))
	cal := &Calendar{Year: cf.Year, Status: cf.Status, OfficeHours: cf.OfficeHours, off: map[string]string{}, worked: map[string]string{}}
	if len(cal.OfficeHours) == 0 {
		cal.OfficeHours = DefaultOfficeHours
	}
	for _, w := range cf.Weekend {
		if wd, ok := weekdayNames[w]; ok {
			cal.Weekend = append(cal.Weekend, wd)
		}
	}
	prevEnd := ""
	for i, oh := range cf.OfficeHours {
		p := fmt.Sprintf("office_hours[%d]", i)
		if oh.From >= oh.To && clockRe.MatchString(oh.From) && clockRe.MatchString(oh.To) {
			r.errorf(d.at(p), "", "%s: %s-%s ends before it starts", p, oh.From, oh.To)
		}
		if prevEnd != "" && oh.From < prevEnd {
			r.errorf(d.at(p), "", "%s: starts at %s, before the previous span ends at %s", p, oh.From, prevEnd)
		}
		prevEnd = oh.To
	}
	seen := map[string]string{} // date -> path of the entry that named it
	expand := func(list string, entries []DayEntry, into map[string]string, wantWeekend bool) {
		for i, e := range entries {
			p := fmt.Sprintf("%s[%d]", list, i)
			if e.Date == "" || d.bad[p+".date"] || d.bad[p+".to"] {
				continue
			}
			first, last := e.Date.Time(), e.Date.Time()
			if e.To != "" {
				last = e.To.Time()
				if last.Before(first) {
					r.errorf(d.at(p+".to"), "", "%s: range ends on %s, before it starts on %s", p, e.To, e.Date)
					continue
				}
				if last.Sub(first) > 31*24*time.Hour {
					r.errorf(d.at(p+".to"), "", "%s: a range of more than 31 days is surely a typo", p)
					continue
				}
			}
			for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
				key := day.Format(time.DateOnly)
				if cf.Year != 0 && day.Year() != cf.Year {
					r.errorf(d.at(p+".date"), "", "%s: %s is not in %d", p, key, cf.Year)
					break
				}
				if prev, dup := seen[key]; dup {
					r.errorf(d.at(p+".date"), "", "%s: %s is already listed at line %d", p, key, d.at(prev).Line)
					continue
				}
				seen[key] = p + ".date"
				isWeekend := slices.Contains(cal.Weekend, day.Weekday())
				switch {
				case wantWeekend && !isWeekend:
					r.errorf(d.at(p+".date"), "", "%s: %s is a %s, already a working day", p, key, day.Weekday())
				case list == "days_off" && isWeekend:
					r.errorf(d.at(p+".date"), "", "%s: %s is a %s, already a day off", p, key, day.Weekday())
				}
				into[key] = e.Name
			}
		}
	}
	expand("holidays", cf.Holidays, cal.off, false)
	expand("days_off", cf.DaysOff, cal.off, false)
	expand("working_days", cf.WorkingDays, cal.worked, true)
	if r.diags.HasErrors() {
		return nil, r.diags
	}
	return cal, r.diags
}

// IsWorkingDay reports whether the date of t (in Vietnam's time zone) is a
// working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	key := t.In(vietnam).Format(time.DateOnly)
	if _, ok := c.worked[key]; ok {
		return true
	}
	if _, ok := c.off[key]; ok {
		return false
	}
	return !slices.Contains(c.Weekend, t.In(vietnam).Weekday())
}

// DayName returns the name of a holiday, swapped day off or make-up working
// day, or "" for an ordinary day.
func (c *Calendar) DayName(t time.Time) string {
	key := t.In(vietnam).Format(time.DateOnly)
	if n, ok := c.off[key]; ok {
		return n
	}
	return c.worked[key]
}

// DaysOff returns the number of listed days off (holidays and swapped days).
func (c *Calendar) DaysOff() int { return len(c.off) }
