package indicators

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
)

// groupKey names a group of the store's rows: a period and a group.
type groupKey struct {
	period int
	group  string
}

// tally is what a group's figures are computed from.
type tally struct {
	store.ReportRow
	steps store.StepRow
	// The unscheduled dossiers, as judged here.
	early, onTime, late, within, overdue, unknown int
	// daysErr says why the working days of the processed dossiers cannot
	// be counted.
	daysErr error
}

// builder turns the store's rows into groups of figures.
type builder struct {
	cat      *definitions.Catalog
	cal      *workcal.Calendar
	calErr   error
	calYears map[int]bool // the years the calendar covers, among those probed
	periods  []store.ReportPeriod
	keys     []string
	by       Grouping

	groups map[groupKey]*tally
	order  []groupKey
	// unjudged holds, per reason, the codes of the dossiers without
	// appointment that could not be judged.
	unjudged map[string]map[string]bool
}

func (b *builder) tally(k groupKey) *tally {
	t, ok := b.groups[k]
	if !ok {
		t = &tally{}
		b.groups[k] = t
		b.order = append(b.order, k)
	}
	return t
}

// add folds the store's rows into the groups.
func (b *builder) add(d store.ReportData) {
	for _, r := range d.Dossiers {
		b.tally(groupKey{r.Period, r.Group}).ReportRow = r
	}
	for _, r := range d.Steps {
		b.tally(groupKey{r.Period, r.Group}).steps = r
	}
	for _, u := range d.Unscheduled {
		t := b.tally(groupKey{u.Period, u.Group})
		switch cls, why := b.judge(u, b.periods[u.Period].To); cls {
		case dossier.Early:
			t.early++
		case dossier.OnTime:
			t.onTime++
		case dossier.Late:
			if u.EndedAt.IsZero() {
				t.overdue++
			} else {
				t.late++
			}
		case "":
			t.within++
		default:
			t.unknown++
			if b.unjudged == nil {
				b.unjudged = map[string]map[string]bool{}
			}
			if b.unjudged[why] == nil {
				b.unjudged[why] = map[string]bool{}
			}
			b.unjudged[why][u.Code] = true
		}
	}
	for _, k := range b.order {
		b.groups[k].daysErr = b.coversDays(b.groups[k].ReportRow)
	}
	sort.SliceStable(b.order, func(i, j int) bool {
		if b.order[i].period != b.order[j].period {
			return b.order[i].period < b.order[j].period
		}
		return b.order[i].group < b.order[j].group
	})
}

// unknownClass marks a dossier that could not be judged.
const unknownClass dossier.Timeliness = "unknown"

// judge judges a dossier without an appointment date against the
// appointment its procedure's legal time limit would have given it. It
// returns Early, OnTime or Late for an ended dossier, "" (within time) or
// Late (overdue) for an open one, and unknownClass with the reason when it
// cannot be judged.
func (b *builder) judge(u store.UnscheduledRow, cut time.Time) (dossier.Timeliness, string) {
	plan := b.cat.Plan(u.Procedure)
	if plan == nil {
		return unknownClass, fmt.Sprintf("procedure %s is not in the catalog", u.Procedure)
	}
	mp := plan.Mode(u.Mode)
	if mp == nil {
		return unknownClass, fmt.Sprintf("procedure %s does not offer mode %q", u.Procedure, u.Mode)
	}
	if b.cal == nil {
		return unknownClass, fmt.Sprintf("no working calendar (%v)", b.calErr)
	}
	due, err := b.cal.Appointment(u.ReceivedAt, mp.TimeLimit)
	if err == nil && u.PausedSeconds > 0 {
		due, err = b.cal.AddWorkingTime(due, time.Duration(u.PausedSeconds)*time.Second)
	}
	if err != nil {
		return unknownClass, err.Error()
	}
	at, ended := cut, !u.EndedAt.IsZero()
	if ended {
		at = u.EndedAt
	}
	if !u.PausedSince.IsZero() && u.PausedSince.Before(at) {
		at = u.PausedSince
	}
	if !u.AskedAt.IsZero() && u.AskedAt.Before(at) {
		at = u.AskedAt
	}
	forced := u.Extended || u.OverSupplemented
	switch {
	case forced || at.After(due):
		return dossier.Late, ""
	case ended:
		return dossier.Judge(at, due), ""
	}
	return "", ""
}

// workingDayExceptions returns the dates of the years from first to last
// whose working status in the calendar differs from Monday to Friday, and
// the years the calendar covers.
func workingDayExceptions(cal *workcal.Calendar, first, last int) ([]store.WorkingDayException, map[int]bool) {
	var out []store.WorkingDayException
	years := map[int]bool{}
	if cal == nil {
		return nil, years
	}
	for y := first; y <= last; y++ {
		var exceptions []store.WorkingDayException
		covered := true
		for d := time.Date(y, 1, 1, 12, 0, 0, 0, dossier.Vietnam); d.Year() == y; d = d.AddDate(0, 0, 1) {
			working, err := cal.IsWorkingDay(d)
			if err != nil {
				covered = false
				break
			}
			weekday := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
			if working != weekday {
				exceptions = append(exceptions, store.WorkingDayException{Day: d, Working: working})
			}
		}
		if covered {
			years[y] = true
			out = append(out, exceptions...)
		}
	}
	return out, years
}

// coversDays reports why the working days of a group's processed dossiers
// cannot be counted: no calendar, or none for a year they span.
func (b *builder) coversDays(r store.ReportRow) error {
	if r.Processed == 0 {
		return nil
	}
	if b.cal == nil {
		return fmt.Errorf("no working calendar: %w", b.calErr)
	}
	first, err1 := time.Parse(time.DateOnly, r.ProcessedFirstDay)
	last, err2 := time.Parse(time.DateOnly, r.ProcessedLastDay)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	for y := first.Year(); y <= last.Year(); y++ {
		if !b.calYears[y] {
			return fmt.Errorf("no working calendar for %d (processed dossiers were handled from %s to %s)", y,
				first.Format("02/01/2006"), last.Format("02/01/2006"))
		}
	}
	return nil
}

// figures returns the groups with their figures.
func (b *builder) figures() []Group {
	out := make([]Group, 0, len(b.order))
	for _, k := range b.order {
		t := b.groups[k]
		key, name := b.name(k)
		per := b.periods[k.period]
		out = append(out, Group{Key: key, Name: name, From: per.From.In(dossier.Vietnam), To: per.To.In(dossier.Vietnam),
			Figures: t.figures()})
	}
	return out
}

// name returns a group's key and its name in Vietnamese.
func (b *builder) name(k groupKey) (string, string) {
	switch b.by {
	case ByMonth:
		m := b.periods[k.period].From.In(dossier.Vietnam)
		return b.keys[k.period], fmt.Sprintf("Tháng %02d/%d", m.Month(), m.Year())
	case ByAgency:
		for _, pl := range b.cat.Plans() {
			for _, a := range pl.Agencies {
				if a.ID == k.group {
					return k.group, a.Name
				}
			}
		}
	case ByProcedure:
		if pl := b.cat.Plan(k.group); pl != nil {
			return k.group, pl.Name
		}
	case ByVersion:
		code, version, _ := strings.Cut(k.group, "@")
		if pl := b.cat.Plan(code); pl != nil {
			return k.group, fmt.Sprintf("%s — phiên bản %s", pl.Name, version)
		}
		return k.group, fmt.Sprintf("%s — phiên bản %s", code, version)
	default:
		return "", "Toàn bộ"
	}
	return k.group, k.group
}

// notes says what the report could not compute.
func (b *builder) notes() []string {
	var notes []string
	reasons := make([]string, 0, len(b.unjudged))
	for why := range b.unjudged {
		reasons = append(reasons, why)
	}
	sort.Strings(reasons)
	for _, why := range reasons {
		codes := slices.Sorted(maps.Keys(b.unjudged[why]))
		n, more := len(codes), ""
		if n > 10 {
			codes, more = codes[:10], fmt.Sprintf(" and %d more", n-10)
		}
		notes = append(notes, fmt.Sprintf("timeliness_unknown: %d dossier(s) without appointment date not judged, %s: %s%s",
			n, why, strings.Join(codes, ", "), more))
	}
	var daysErrs []string
	for _, k := range b.order {
		if err := b.groups[k].daysErr; err != nil && !slices.Contains(daysErrs, err.Error()) {
			daysErrs = append(daysErrs, err.Error())
		}
	}
	for _, e := range daysErrs {
		notes = append(notes, "avg_handling_days: "+e)
	}
	return notes
}

// Percent returns a ratio's value as a percentage in Vietnamese, with a
// decimal comma and two decimals truncated, not rounded, as the province
// publishes its figures (324 / 1,622 = 19.975…% is 19,97%), computed
// exactly from the numerator and denominator; and false for a figure
// that is not a ratio or has no value.
func (f Figure) Percent() (string, bool) {
	if f.Unit != UnitRatio || f.Value == nil || f.Denominator == nil || *f.Denominator <= 0 {
		return "", false
	}
	num := int64(f.Numerator)
	if float64(num) != f.Numerator || num < 0 {
		// Not a count (a negative satisfaction numerator): round the value.
		return strings.Replace(fmt.Sprintf("%.2f%%", *f.Value*100), ".", ",", 1), true
	}
	hundredths := num * 10000 / int64(*f.Denominator)
	return fmt.Sprintf("%d,%02d%%", hundredths/100, hundredths%100), true
}

// Figure constructors.

func ratio(id, name, formula string, num, den int) Figure {
	f := Figure{ID: id, Name: name, Numerator: float64(num), Denominator: &den, Unit: UnitRatio, Formula: formula}
	if den > 0 {
		v := float64(num) / float64(den)
		f.Value = &v
	}
	return f
}

func count(id, name, formula string, n int) Figure {
	v := float64(n)
	return Figure{ID: id, Name: name, Numerator: v, Value: &v, Unit: UnitCount, Formula: formula}
}

// figures returns a group's dossier figures, in the order reports show
// them.
func (t *tally) figures() []Figure {
	early := t.FinishedEarly + t.early
	onTime := t.FinishedOnTime + t.onTime
	late := t.FinishedLate + t.late
	within := t.OpenWithin + t.within
	overdue := t.OpenOverdue + t.overdue
	h := t.Handled
	steps := t.steps.Early + t.steps.OnTime + t.steps.Late

	figs := []Figure{
		count("handled", "Hồ sơ giải quyết trong kỳ (tiếp nhận trong kỳ và tồn kỳ trước chuyển sang)",
			"handled = received + carried_over: received before the cut and not ended before the period", h),
		count("received", "Hồ sơ tiếp nhận trong kỳ", "received = dossiers submitted in the period", t.Received),
		count("carried_over", "Hồ sơ tồn kỳ trước chuyển sang",
			"carried_over = handled - received: received before the period, not ended before it", h-t.Received),

		ratio("received_online_share", "Tỷ lệ hồ sơ nộp trực tuyến",
			"received_online_share = received online / received", t.ReceivedOnline, t.Received),
		ratio("received_in_person_share", "Tỷ lệ hồ sơ nộp trực tiếp",
			"received_in_person_share = received in person / received", t.ReceivedInPerson, t.Received),
		ratio("received_postal_share", "Tỷ lệ hồ sơ nộp qua bưu chính công ích",
			"received_postal_share = received by post / received", t.ReceivedPostal, t.Received),
		ratio("online_rate", "Tỷ lệ hồ sơ trực tuyến (có kết quả điện tử khi kết quả là giấy tờ)",
			"online_rate = received online, with an e-result where the result is a document / received",
			t.OnlineWithEResult, t.Received),

		ratio("on_time_rate", "Tỷ lệ hồ sơ đúng hạn (trước hạn, đúng hạn và đang trong hạn)",
			"on_time_rate = (finished_early + finished_on_time + open_within) / handled", early+onTime+within, h),
		ratio("late_rate", "Tỷ lệ hồ sơ trễ hạn", "late_rate = (finished_late + open_overdue) / handled", late+overdue, h),
		ratio("finished_early", "Đã giải quyết trước hạn",
			"finished_early = ended before the cut on a date before the appointment / handled", early, h),
		ratio("finished_on_time", "Đã giải quyết đúng hạn",
			"finished_on_time = ended before the cut on the appointment date, not after it / handled", onTime, h),
		ratio("finished_late", "Đã giải quyết quá hạn",
			"finished_late = ended after the appointment, extended, or over the supplement limit / handled", late, h),
		ratio("open_within", "Đang giải quyết trong hạn",
			"open_within = open at the cut (or waiting on its supplement since before the appointment) / handled", within, h),
		ratio("open_overdue", "Đang giải quyết quá hạn",
			"open_overdue = open at the cut and past the appointment, extended, or over the supplement limit / handled",
			overdue, h),
		ratio("timeliness_unknown", "Không xác định được hạn (không có ngày hẹn, không tính được thời hạn)",
			"timeliness_unknown = without appointment date and without a time limit or calendar to judge by / handled",
			t.unknown, h),

		ratio("step_on_time_rate", "Tỷ lệ bước xử lý đúng hạn",
			"step_on_time_rate = (steps_early + steps_on_time) / officers' actions with a due time in the period",
			t.steps.Early+t.steps.OnTime, steps),
		ratio("steps_early", "Bước xử lý trước hạn", "steps_early = actions early / actions with a due time", t.steps.Early, steps),
		ratio("steps_on_time", "Bước xử lý đúng hạn", "steps_on_time = actions on time / actions with a due time", t.steps.OnTime, steps),
		ratio("steps_late", "Bước xử lý quá hạn", "steps_late = actions late / actions with a due time", t.steps.Late, steps),

		ratio("open", "Chưa kết thúc tại thời điểm chốt", "open = not ended before the cut / handled", t.Open, h),
		ratio("ended_processed", "Đã xử lý xong, chưa trả kết quả (9)",
			"ended_processed = processed before the cut, not returned by then / handled", t.EndedProcessed, h),
		ratio("ended_returned", "Đã trả kết quả (10)", "ended_returned = result returned before the cut / handled", t.EndedReturned, h),
		ratio("ended_refused", "Từ chối tiếp nhận hoặc từ chối giải quyết (3)",
			"ended_refused = refused at reception or after review before the cut / handled", t.EndedRefused, h),
		ratio("ended_withdrawn", "Công dân rút hồ sơ, dừng xử lý (8)",
			"ended_withdrawn = stopped before the cut after the applicant's withdrawal request / handled", t.EndedWithdrawn, h),
		ratio("ended_stopped", "Dừng xử lý (8): quá hạn bổ sung hoặc nộp phí",
			"ended_stopped = stopped before the cut otherwise (supplement or fee not given in time) / handled", t.EndedStopped, h),
	}

	avg := Figure{ID: "avg_handling_days", Name: "Thời gian giải quyết trung bình (ngày làm việc)",
		Unit: UnitWorkingDays, Denominator: ptr(t.Processed),
		Formula: "avg_handling_days = (sum of working days from acceptance to processing - paused working hours / 8) / processed"}
	if t.daysErr != nil {
		avg.Missing = t.daysErr.Error()
	} else {
		avg.Numerator = float64(t.ProcessedWorkingDays) - float64(t.ProcessedPausedSeconds)/(definitions.HoursPerDay*3600)
		if t.Processed > 0 {
			v := avg.Numerator / float64(t.Processed)
			avg.Value = &v
		}
	}
	figs = append(figs, avg)

	figs = append(figs,
		ratio("sync_rate", "Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia",
			"sync_rate = received, with a status push accepted by the national portal before the cut / received",
			t.Synced, t.Received),
		ratio("online_payment_rate", "Tỷ lệ hồ sơ thanh toán trực tuyến",
			"online_payment_rate = received with fees due and paid online / received with fees due", t.PaidOnline, t.WithFee),
		ratio("e_result_rate", "Tỷ lệ hồ sơ trả kết quả điện tử",
			"e_result_rate = results with an electronic result / results of procedures whose result is a document",
			t.EResults, t.DocumentResults),
		ratio("digitisation_rate", "Tỷ lệ số hóa hồ sơ và kết quả",
			"digitisation_rate = results with digitised components and an electronic result / results (processed, not refusals)",
			t.DigitisedEResults, t.Results),
		ratio("reuse_rate", "Tỷ lệ hồ sơ tái sử dụng dữ liệu",
			"reuse_rate = received with at least one re-used component / received", t.Reused, t.Received),
		ratio("dissatisfied_rate", "Tỷ lệ hồ sơ bị đánh giá không hài lòng",
			"dissatisfied_rate = handled, rated dissatisfied before the cut / handled", t.Dissatisfied, h),
		ratio("complaint_rate", "Tỷ lệ hồ sơ bị phản ánh, kiến nghị",
			"complaint_rate = handled, with a complaint from the citizen feedback system before the cut / handled", t.Complained, h),
		ratio("satisfaction_rate", "Mức độ hài lòng",
			"satisfaction_rate = 1 - late_rate - dissatisfied_or_complained / handled = "+
				"(handled - finished_late - open_overdue - dissatisfied_or_complained) / handled, "+
				"a dossier rated dissatisfied and complained about counting once",
			h-late-overdue-t.DissatisfiedOrComplained, h),
	)
	return figs
}

func ptr[T any](v T) *T { return &v }

// CatalogFigures computes the catalog figures over the plans given (the
// catalog, filtered) and the procedures that received at least one
// dossier online in the period.
func CatalogFigures(plans []*definitions.Plan, usedOnline map[string]bool) []Figure {
	var online, full, used, usedFull, fees, payable int
	for _, pl := range plans {
		isOnline, isFull := false, pl.Mode(definitions.ModeFullOnline) != nil
		for _, m := range pl.Modes {
			if slices.Contains(m.Channels, dossier.ChannelOnline) {
				isOnline = true
			}
		}
		if isOnline {
			online++
			if isFull {
				full++
			}
			if usedOnline[pl.Code] {
				used++
				if isFull {
					usedFull++
				}
			}
		}
		charged, all := false, true
		for _, f := range pl.Fees {
			if f.Amount > 0 {
				charged = true
				all = all && f.PayableOnline
			}
		}
		if charged {
			fees++
			if all {
				payable++
			}
		}
	}
	n := len(plans)
	return []Figure{
		count("procedures", "Thủ tục hành chính trong danh mục", "procedures = procedures of the catalog (filtered)", n),
		ratio("procedures_online", "Tỷ lệ thủ tục cung cấp dịch vụ công trực tuyến (toàn trình hoặc một phần)",
			"procedures_online = procedures with a mode accepting online submission / procedures", online, n),
		ratio("procedures_full_online", "Tỷ lệ thủ tục cung cấp dịch vụ công trực tuyến toàn trình",
			"procedures_full_online = procedures offering the full_online mode / procedures", full, n),
		ratio("procedures_partial_online", "Tỷ lệ thủ tục cung cấp dịch vụ công trực tuyến một phần",
			"procedures_partial_online = online procedures without the full_online mode / procedures", online-full, n),
		ratio("online_services_used", "Tỷ lệ dịch vụ công trực tuyến phát sinh hồ sơ trực tuyến",
			"online_services_used = online services with at least one dossier received online in the period / online services",
			used, online),
		ratio("full_online_share_used", "Tỷ lệ toàn trình trong các dịch vụ công trực tuyến phát sinh hồ sơ",
			"full_online_share_used = full-online services among online_services_used / online services with a dossier",
			usedFull, used),
		ratio("fee_procedures_payable_online", "Tỷ lệ thủ tục có phí, lệ phí thanh toán trực tuyến được",
			"fee_procedures_payable_online = fee-charging procedures whose fees are all payable online / fee-charging procedures",
			payable, fees),
	}
}
