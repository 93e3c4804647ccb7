package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
)

// timeVN formats an instant in Vietnam; "—" for none.
func timeVN(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(dossier.Vietnam).Format("15:04 02/01/2006")
}

var modeNames = map[string]string{
	"full_online":    "trực tuyến toàn trình",
	"partial_online": "trực tuyến một phần",
}

var channelNames = map[string]string{
	dossier.ChannelInPerson: "trực tiếp",
	dossier.ChannelOnline:   "trực tuyến",
	dossier.ChannelPostal:   "bưu chính",
}

var deliveryNames = map[string]string{
	"e_result": "kết quả điện tử",
	"postal":   "bưu chính",
	"counter":  "tại Bộ phận một cửa",
}

func named(names map[string]string, v string) string {
	if n, ok := names[v]; ok {
		return fmt.Sprintf("%s (%s)", n, v)
	}
	return v
}

var timelinessNames = map[dossier.Timeliness]string{
	dossier.Early:  "sớm hạn",
	dossier.OnTime: "đúng hạn",
	dossier.Late:   "trễ hạn",
}

// who says who may act on a task.
func who(t dossier.Task) string {
	if t.Role == dossier.RoleApplicant {
		return "người nộp hồ sơ (applicant)"
	}
	if t.Agency != "" {
		return t.Role + "@" + t.Agency
	}
	return t.Role
}

// printState writes a dossier's state for people: status, appointment,
// open tasks with who may act and their due times, paused time, result,
// rating and timeline.
func printState(w io.Writer, st dossier.State, cat *definitions.Catalog, now time.Time) {
	title := st.ProcedureCode
	if p := cat.Plan(st.ProcedureCode); p != nil {
		title = fmt.Sprintf("%s %s", p.Code, p.Name)
	}
	fmt.Fprintf(w, "Hồ sơ %s — %s\n", st.Code, title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(label, value string) { fmt.Fprintf(tw, "  %s\t%s\n", label, value) }
	row("Trạng thái:", fmt.Sprintf("%d — %s", st.Status, st.Status))
	row("Người nộp:", strings.TrimSpace(fmt.Sprintf("%s (%s) %s", st.Applicant.Name, st.Applicant.ID, st.Applicant.Contact)))
	row("Hình thức:", fmt.Sprintf("%s, nộp %s", named(modeNames, st.Mode), named(channelNames, st.Channel)))
	row("Nộp lúc:", timeVN(st.ReceivedAt))
	if !st.AcceptedAt.IsZero() {
		row("Tiếp nhận lúc:", timeVN(st.AcceptedAt))
	}
	appointment := timeVN(st.AppointmentAt)
	if st.Extended {
		appointment += fmt.Sprintf(" (đã gia hạn; hẹn ban đầu %s)", timeVN(st.OriginalAppointmentAt))
	}
	row("Ngày hẹn trả:", appointment)
	paused := "không"
	switch {
	case st.Paused:
		paused = fmt.Sprintf("đang tạm dừng từ %s chờ bổ sung", timeVN(st.PausedSince))
		if st.PausedTotal > 0 {
			paused += fmt.Sprintf("; trước đó đã dừng %s giờ làm việc", hours(st.PausedTotal))
		}
	case st.PausedTotal > 0:
		paused = fmt.Sprintf("%s giờ làm việc chờ bổ sung", hours(st.PausedTotal))
	}
	row("Tạm dừng:", paused)
	if st.Supplements > 0 {
		row("Yêu cầu bổ sung:", fmt.Sprint(st.Supplements))
	}
	if st.FeesDue > 0 {
		fee := fmt.Sprintf("%d đồng", st.FeesDue)
		if st.PaidOnline {
			fee += " (đã nộp trực tuyến)"
		}
		row("Phí, lệ phí:", fee)
	}
	if st.Result != nil {
		r := st.Result
		kind := "Kết quả:"
		if r.Refusal {
			kind = "Thông báo từ chối:"
		}
		v := fmt.Sprintf("%s — %s", r.Code, r.Name)
		if r.SignedBy != "" {
			v += fmt.Sprintf(", ký bởi %s lúc %s", r.SignedBy, timeVN(r.SignedAt))
		}
		if r.Delivery != "" {
			v += ", trả " + named(deliveryNames, r.Delivery)
		}
		row(kind, v)
	}
	if !st.FinishedAt.IsZero() {
		v := timeVN(st.FinishedAt)
		if st.Timeliness != "" {
			v += " — " + timelinessNames[st.Timeliness]
		}
		row("Xử lý xong:", v)
	}
	if !st.ReturnedAt.IsZero() {
		row("Trả kết quả:", timeVN(st.ReturnedAt))
	}
	if st.Rating != nil {
		v := "không hài lòng"
		if st.Rating.Satisfied {
			v = "hài lòng"
		}
		if st.Rating.Comment != "" {
			v += " — " + st.Rating.Comment
		}
		row("Đánh giá:", v)
	}
	tw.Flush()

	fmt.Fprintln(w)
	if len(st.OpenTasks) == 0 {
		fmt.Fprintln(w, "Việc đang chờ: không có")
	} else {
		fmt.Fprintln(w, "Việc đang chờ:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  TASK\tAI XỬ LÝ\tHẠN\tKẾT QUẢ CHỌN\tBƯỚC")
		for _, t := range st.OpenTasks {
			due := timeVN(t.DueAt)
			if !t.DueAt.IsZero() && t.DueAt.Before(now) {
				due += " QUÁ HẠN"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", t.ID, who(t), due, strings.Join(t.Outcomes, ", "), t.Name)
		}
		tw.Flush()
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Tiến trình:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, e := range st.Timeline {
		actor := ""
		switch {
		case e.Actor.Role == dossier.RoleApplicant:
			actor = "người nộp"
		case e.Actor.Role != "":
			actor = e.Actor.Role
			if e.Actor.Agency != "" {
				actor += "@" + e.Actor.Agency
			}
			if e.Actor.ID != "" {
				actor = e.Actor.ID + " (" + actor + ")"
			}
		}
		detail := e.Outcome
		if e.Note != "" {
			if detail != "" {
				detail += ": "
			}
			detail += e.Note
		}
		if !e.DueAt.IsZero() && e.Timeliness == "" {
			detail += " (hạn " + timeVN(e.DueAt) + ")"
		}
		if e.Timeliness != "" {
			detail += " [" + timelinessNames[e.Timeliness] + "]"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", timeVN(e.At), e.Kind, e.Step, actor, oneLine(detail))
	}
	tw.Flush()
}

func hours(d time.Duration) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", d.Hours()), "0"), ".0")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 120 {
		return string(r[:119]) + "…"
	}
	return s
}

// printTasks writes an inbox: overdue tasks first (marked), then by due time.
func printTasks(w io.Writer, tasks []store.TaskRow) {
	if len(tasks) == 0 {
		fmt.Fprintln(w, "Không có việc nào đang chờ.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tHẠN\tHỒ SƠ\tTASK\tAI XỬ LÝ\tKẾT QUẢ CHỌN\tTHỦ TỤC")
	overdue := 0
	for _, t := range tasks {
		mark := ""
		if t.Overdue {
			mark = "QUÁ HẠN"
			overdue++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, timeVN(t.DueAt), t.DossierCode, t.ID, who(t.Task),
			strings.Join(t.Outcomes, ", "), t.ProcedureCode)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d việc, %d quá hạn.\n", len(tasks), overdue)
}
