package definitions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// loadShippedCalendar parses definitions/calendars/<year>.yaml and requires
// it to be free of diagnostics.
func loadShippedCalendar(tb testing.TB, year string) *Calendar {
	tb.Helper()
	file := filepath.Join("calendars", year+".yaml")
	data, err := os.ReadFile(file)
	require.NoError(tb, err)
	cal, diags := ParseCalendar(file, data)
	require.Empty(tb, diags, "diagnostics of %s", file)
	require.NotNil(tb, cal)
	return cal
}

// vnDate is noon of a date in Vietnam's time zone.
func vnDate(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation(time.DateOnly, s, vietnam)
	require.NoError(tb, err)
	return t.Add(12 * time.Hour)
}

func TestShippedCalendarsParse(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("calendars", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			cal, diags := ParseCalendar(file, data)
			require.Empty(t, diags)
			require.NotNil(t, cal)
			require.Equal(t, strings.TrimSuffix(filepath.Base(file), ".yaml"), time.Date(cal.Year, 1, 1, 0, 0, 0, 0, vietnam).Format("2006"),
				"the file name is the year it covers")
			require.Equal(t, []time.Weekday{time.Saturday, time.Sunday}, cal.Weekend)
			require.Equal(t, DefaultOfficeHours, cal.OfficeHours)
		})
	}
}

func TestShippedCalendarStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year    string
		status  string
		daysOff int // holidays (including weekend ones listed) and swapped days off
	}{
		{"2025", "official", 12},
		{"2026", "official", 14},
		{"2027", "draft", 12},
	}
	for _, tt := range tests {
		t.Run(tt.year, func(t *testing.T) {
			t.Parallel()
			cal := loadShippedCalendar(t, tt.year)
			require.Equal(t, tt.status, cal.Status)
			require.Equal(t, tt.daysOff, cal.DaysOff())
		})
	}
}

func TestShippedCalendarWorkingDays(t *testing.T) {
	t.Parallel()
	cals := map[string]*Calendar{}
	for _, y := range []string{"2025", "2026", "2027"} {
		cals[y] = loadShippedCalendar(t, y)
	}
	tests := []struct {
		date    string
		working bool
		name    string // DayName, "" for an ordinary day
	}{
		// 2025
		{"2025-01-01", false, "Tết Dương lịch"},
		{"2025-01-02", true, ""},
		{"2025-01-24", true, ""},
		{"2025-01-25", false, ""}, // Saturday, first day of the Tết break
		{"2025-01-27", false, "Tết Nguyên đán Ất Tỵ (28 tháng Chạp đến mùng 3 tháng Giêng)"},
		{"2025-01-31", false, "Tết Nguyên đán Ất Tỵ (28 tháng Chạp đến mùng 3 tháng Giêng)"},
		{"2025-02-02", false, ""},
		{"2025-02-03", true, ""},
		{"2025-04-07", false, "Giỗ Tổ Hùng Vương (10/3 âm lịch)"},
		{"2025-04-26", true, "Làm bù cho ngày nghỉ hoán đổi thứ Sáu 02/5/2025"},
		{"2025-04-30", false, "Ngày Chiến thắng"},
		{"2025-05-01", false, "Ngày Quốc tế Lao động"},
		{"2025-05-02", false, "Nghỉ hoán đổi dịp 30/4 - 1/5 (làm bù thứ Bảy 26/4/2025)"},
		{"2025-05-05", true, ""},
		{"2025-09-01", false, "Quốc khánh (ngày liền kề)"},
		{"2025-09-02", false, "Quốc khánh"},
		{"2025-09-03", true, ""},
		// 2026
		{"2026-01-01", false, "Tết Dương lịch"},
		{"2026-01-02", false, "Nghỉ hoán đổi dịp Tết Dương lịch (làm bù thứ Bảy 10/01/2026)"},
		{"2026-01-05", true, ""},
		{"2026-01-10", true, "Làm bù cho ngày nghỉ hoán đổi thứ Sáu 02/01/2026"},
		{"2026-01-11", false, ""}, // ordinary Sunday
		{"2026-01-17", false, ""}, // ordinary Saturday
		{"2026-02-13", true, ""},
		{"2026-02-14", false, ""},
		{"2026-02-15", false, ""},
		{"2026-02-16", false, "Tết Nguyên đán Bính Ngọ (29 tháng Chạp đến mùng 4 tháng Giêng)"},
		{"2026-02-17", false, "Tết Nguyên đán Bính Ngọ (29 tháng Chạp đến mùng 4 tháng Giêng)"},
		{"2026-02-20", false, "Tết Nguyên đán Bính Ngọ (29 tháng Chạp đến mùng 4 tháng Giêng)"},
		{"2026-02-21", false, ""},
		{"2026-02-22", false, ""},
		{"2026-02-23", true, ""},
		{"2026-04-26", false, "Giỗ Tổ Hùng Vương (10/3 âm lịch; trùng Chủ nhật)"},
		{"2026-04-27", false, "Nghỉ bù Giỗ Tổ Hùng Vương (ngày lễ trùng Chủ nhật 26/4)"},
		{"2026-04-28", true, ""},
		{"2026-04-30", false, "Ngày Chiến thắng"},
		{"2026-05-01", false, "Ngày Quốc tế Lao động"},
		{"2026-05-04", true, ""},
		{"2026-08-22", true, "Làm bù cho ngày nghỉ hoán đổi thứ Hai 31/8/2026"},
		{"2026-08-31", false, "Nghỉ hoán đổi dịp Quốc khánh (làm bù thứ Bảy 22/8/2026)"},
		{"2026-09-01", false, "Quốc khánh (ngày liền kề)"},
		{"2026-09-02", false, "Quốc khánh"},
		{"2026-09-03", true, ""},
		// 2027 (draft)
		{"2027-01-01", false, "Tết Dương lịch"},
		{"2027-02-03", true, ""},
		{"2027-02-04", false, "Tết Nguyên đán Đinh Mùi (dự kiến; 2 ngày cuối năm âm lịch)"},
		{"2027-02-06", false, ""}, // mùng 1 Tết, a Saturday
		{"2027-02-10", false, "Tết Nguyên đán Đinh Mùi (dự kiến; mùng 3 đến mùng 5 tháng Giêng)"},
		{"2027-02-11", true, ""},
		{"2027-04-16", false, "Giỗ Tổ Hùng Vương (10/3 âm lịch)"},
		{"2027-04-30", false, "Ngày Chiến thắng"},
		{"2027-05-01", false, "Ngày Quốc tế Lao động (trùng thứ Bảy)"},
		{"2027-05-03", false, "Nghỉ bù Ngày Quốc tế Lao động (ngày lễ trùng thứ Bảy 01/5)"},
		{"2027-05-04", true, ""},
		{"2027-09-02", false, "Quốc khánh"},
		{"2027-09-03", false, "Quốc khánh (ngày liền kề, dự kiến)"},
		{"2027-09-06", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			t.Parallel()
			cal := cals[tt.date[:4]]
			day := vnDate(t, tt.date)
			require.Equal(t, tt.working, cal.IsWorkingDay(day))
			require.Equal(t, tt.name, cal.DayName(day))
		})
	}
}

// TestIsWorkingDayUsesVietnamTime checks that an instant is judged by its
// date in Vietnam, not in UTC: 17:30 UTC on 1 Jan 2026 is already 2 Jan in
// Hà Nội (a swapped day off), and 17:30 UTC on 9 Jan is Saturday 10 Jan there
// (a make-up working day).
func TestIsWorkingDayUsesVietnamTime(t *testing.T) {
	t.Parallel()
	cal := loadShippedCalendar(t, "2026")
	tests := []struct {
		at      time.Time
		working bool
	}{
		{time.Date(2026, 1, 1, 16, 59, 0, 0, time.UTC), false}, // 23:59 on 1 Jan, a holiday
		{time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC), false},   // 08:00 on 2 Jan, swapped off
		{time.Date(2026, 1, 9, 17, 30, 0, 0, time.UTC), true},  // 00:30 on Saturday 10 Jan, worked
		{time.Date(2026, 1, 4, 17, 30, 0, 0, time.UTC), true},  // 00:30 on Monday 5 Jan
	}
	for _, tt := range tests {
		t.Run(tt.at.Format(time.RFC3339), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.working, cal.IsWorkingDay(tt.at))
		})
	}
}

func TestParseCalendarErrors(t *testing.T) {
	t.Parallel()
	const head = "year: 2026\nstatus: official\nweekend: [saturday, sunday]\n"
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "make-up working day on a weekday",
			yaml: head + "working_days:\n  - { date: 2026-01-09, name: Làm bù }\n",
			want: []string{"cal.yaml:5:13: working_days[0]: 2026-01-09 is a Friday, already a working day"},
		},
		{
			name: "swapped day off on a weekend",
			yaml: head + "days_off:\n  - date: 2026-01-10\n    name: Nghỉ hoán đổi\n",
			want: []string{"cal.yaml:5:11: days_off[0]: 2026-01-10 is a Saturday, already a day off"},
		},
		{
			name: "date outside the year",
			yaml: head + "holidays:\n  - { date: 2025-12-31, name: Tết Dương lịch }\n",
			want: []string{"cal.yaml:5:13: holidays[0]: 2025-12-31 is not in 2026"},
		},
		{
			name: "range running into the next year",
			yaml: head + "holidays:\n  - { date: 2026-12-31, to: 2027-01-02, name: Tết Dương lịch }\n",
			want: []string{"cal.yaml:5:13: holidays[0]: 2027-01-01 is not in 2026"},
		},
		{
			name: "date listed twice",
			yaml: head + "holidays:\n  - { date: 2026-01-01, name: Tết Dương lịch }\ndays_off:\n  - { date: 2026-01-01, name: Nghỉ hoán đổi }\n",
			want: []string{"cal.yaml:7:13: days_off[0]: 2026-01-01 is already listed at line 5"},
		},
		{
			name: "day inside a range listed again",
			yaml: head + "holidays:\n  - { date: 2026-02-16, to: 2026-02-20, name: Tết }\n  - { date: 2026-02-18, name: Mùng 2 Tết }\n",
			want: []string{"cal.yaml:6:13: holidays[1]: 2026-02-18 is already listed at line 5"},
		},
		{
			name: "range ending before it starts",
			yaml: head + "holidays:\n  - { date: 2026-02-22, to: 2026-02-14, name: Tết }\n",
			want: []string{"cal.yaml:5:29: holidays[0]: range ends on 2026-02-14, before it starts on 2026-02-22"},
		},
		{
			name: "range longer than a month",
			yaml: head + "holidays:\n  - { date: 2026-01-01, to: 2026-03-01, name: Tết }\n",
			want: []string{"cal.yaml:5:29: holidays[0]: a range of more than 31 days is surely a typo"},
		},
		{
			name: "unknown weekday name",
			yaml: "year: 2026\nstatus: official\nweekend: [saturday, sundy]\n",
			want: []string{`cal.yaml:3:21: weekend[1]: "sundy" is not one of: monday, tuesday, wednesday, thursday, friday, saturday, sunday (did you mean "sunday"?)`},
		},
		{
			name: "office hours ending before they start",
			yaml: head + "office_hours:\n  - { from: \"13:30\", to: \"11:30\" }\n",
			want: []string{"cal.yaml:5:5: office_hours[0]: 13:30-11:30 ends before it starts"},
		},
		{
			name: "office hours overlapping",
			yaml: head + "office_hours:\n  - { from: \"07:30\", to: \"11:30\" }\n  - { from: \"11:00\", to: \"17:00\" }\n",
			want: []string{"cal.yaml:6:5: office_hours[1]: starts at 11:00, before the previous span ends at 11:30"},
		},
		{
			name: "office hours not a time of day",
			yaml: head + "office_hours:\n  - { from: \"7:30\", to: \"11:30\" }\n",
			want: []string{`cal.yaml:5:13: office_hours[0].from: "7:30" is not a time of day (HH:MM)`},
		},
		{
			name: "not a date",
			yaml: head + "holidays:\n  - { date: 2026-02-30, name: Tết }\n",
			want: []string{`cal.yaml:5:13: holidays[0].date: expected a date (YYYY-MM-DD), got "2026-02-30"`},
		},
		{
			name: "unknown status",
			yaml: "year: 2026\nstatus: final\nweekend: [saturday, sunday]\n",
			want: []string{`cal.yaml:2:9: status: "final" is not one of: official, draft`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cal, diags := ParseCalendar("cal.yaml", []byte(tt.yaml))
			got := make([]string, len(diags))
			for i, d := range diags {
				got[i] = d.String()
			}
			require.Equal(t, tt.want, got)
			require.Nil(t, cal, "a calendar with errors is not returned")
		})
	}
}
