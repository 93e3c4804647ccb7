package console

import (
	"fmt"
	"html/template"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/vnformat"
	"github.com/motcua/motcua/workflows"
)

// funcs are the templates' helpers; the pages' data is prepared in Go, so
// they stay few.
var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
}

// Times are shown in Vietnam as dd/mm/yyyy HH:MM.
const (
	timeLayout = "02/01/2006 15:04"
	dateLayout = "02/01/2006"
)

// fmtTime writes an instant in Vietnam; "—" for none.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(dossier.Vietnam).Format(timeLayout)
}

// fmtDay writes a date as a letter does: "ngày 05 tháng 07 năm 2025".
func fmtDay(t time.Time) string {
	if t.IsZero() {
		return "ngày … tháng … năm …"
	}
	v := t.In(dossier.Vietnam)
	return fmt.Sprintf("ngày %02d tháng %02d năm %d", v.Day(), int(v.Month()), v.Year())
}

// fmtDuration writes an amount of time in hours and minutes.
func fmtDuration(d time.Duration) string {
	if d <= 0 {
		return "0 phút"
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%d phút", m)
	case m == 0:
		return fmt.Sprintf("%d giờ", h)
	}
	return fmt.Sprintf("%d giờ %d phút", h, m)
}

// fmtSize writes a file size.
func fmtSize(n int64) string {
	switch {
	case n <= 0:
		return "—"
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}

// fmtVND writes an amount with dots between thousands: "75.000 đồng".
func fmtVND(v int64) string {
	return vnformat.Integer(v) + " đồng"
}

var modeNames = map[string]string{
	definitions.ModeFullOnline:    "Toàn trình",
	definitions.ModePartialOnline: "Một phần",
}

var channelNames = map[string]string{
	dossier.ChannelInPerson: "Trực tiếp",
	dossier.ChannelOnline:   "Trực tuyến",
	dossier.ChannelPostal:   "Bưu chính công ích",
}

var deliveryNames = map[string]string{
	"e_result": "Nhận kết quả điện tử",
	"postal":   "Nhận qua bưu chính công ích",
	"counter":  "Nhận trực tiếp tại Bộ phận một cửa",
	"online":   "Gửi trực tuyến",
}

var levelNames = map[string]string{
	"province": "Cấp tỉnh",
	"district": "Cấp huyện",
	"commune":  "Cấp xã",
	"central":  "Trung ương",
}

var reuseNames = map[string]string{
	"population_db":     "CSDL quốc gia về dân cư",
	"earlier_result":    "kết quả giải quyết trước đây",
	"business_registry": "CSDL đăng ký doanh nghiệp",
	"land_registry":     "CSDL đất đai",
	"civil_status_db":   "CSDL hộ tịch",
	"insurance_db":      "CSDL bảo hiểm",
}

// label looks a key up in a table of names, falling back to the key.
func label(names map[string]string, key string) string {
	if n, ok := names[key]; ok {
		return n
	}
	return key
}

func labels(names map[string]string, keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = label(names, k)
	}
	return strings.Join(out, ", ")
}

// outcomeNames label the outcomes officers choose most often.
var outcomeNames = map[string]string{
	workflows.OutcomeAccept:     "Tiếp nhận",
	workflows.OutcomeSupplement: "Yêu cầu bổ sung",
	workflows.OutcomeRefuse:     "Từ chối",
	workflows.OutcomeReturned:   "Đã trả kết quả",
	workflows.OutcomeStop:       "Ra thông báo dừng xử lý",
	"approve":                   "Đồng ý",
	"reject":                    "Không đồng ý",
	"signed":                    "Ký duyệt",
	"done":                      "Hoàn thành",
	"answered":                  "Đã trả lời",
	"paid":                      "Đã nộp phí",
	"satisfied":                 "Hài lòng",
	"dissatisfied":              "Không hài lòng",
	"passed":                    "Đạt",
	"failed":                    "Không đạt",
}

func outcomeLabel(o string) string { return label(outcomeNames, o) }

// outcomeClass colours an outcome's button.
func outcomeClass(o string) string {
	switch o {
	case workflows.OutcomeRefuse, "reject", workflows.OutcomeStop:
		return "btn-danger"
	case workflows.OutcomeSupplement:
		return "btn-warning"
	}
	return "btn-primary"
}

var eventNames = map[string]string{
	dossier.EventSubmitted:         "Nộp hồ sơ",
	dossier.EventReceived:          "Tiếp nhận hồ sơ, hẹn trả kết quả",
	dossier.EventTaskOpened:        "Chuyển xử lý",
	dossier.EventActed:             "Xử lý",
	dossier.EventSupplementAsked:   "Yêu cầu bổ sung hồ sơ (tạm dừng tính thời gian)",
	dossier.EventSupplemented:      "Bổ sung hồ sơ (tiếp tục tính thời gian)",
	dossier.EventPaymentRequested:  "Yêu cầu nộp phí, lệ phí",
	dossier.EventPaid:              "Nộp phí, lệ phí",
	dossier.EventConsultSent:       "Gửi xin ý kiến liên thông",
	dossier.EventConsultAnswered:   "Nhận ý kiến liên thông",
	dossier.EventChecked:           "Kiểm tra tự động",
	dossier.EventNotified:          "Gửi thông báo",
	dossier.EventSigned:            "Ký số kết quả",
	dossier.EventWarning:           "Cảnh báo sắp đến hạn",
	dossier.EventOverdue:           "Quá hạn",
	dossier.EventExtended:          "Gia hạn, xin lỗi và hẹn lại ngày trả",
	dossier.EventWithdrawRequested: "Công dân yêu cầu rút hồ sơ",
	dossier.EventStopped:           "Dừng xử lý",
	dossier.EventRefused:           "Từ chối",
	dossier.EventProcessed:         "Đã xử lý xong",
	dossier.EventReturned:          "Trả kết quả",
	dossier.EventRated:             "Đánh giá mức độ hài lòng",
}

var timelinessNames = map[dossier.Timeliness]string{
	dossier.Early:  "Sớm hạn",
	dossier.OnTime: "Đúng hạn",
	dossier.Late:   "Trễ hạn",
}

// statusClass colours a national status.
func statusClass(s dossier.Status) string {
	switch s {
	case dossier.StatusRefused, dossier.StatusStopped:
		return "status status-bad"
	case dossier.StatusSupplement, dossier.StatusAwaitingFee, dossier.StatusWithdrawing:
		return "status status-wait"
	case dossier.StatusProcessed, dossier.StatusReturned:
		return "status status-done"
	}
	return "status status-open"
}

// final reports whether a dossier's status ends it.
func final(s dossier.Status) bool {
	return slices.Contains([]dossier.Status{dossier.StatusRefused, dossier.StatusStopped, dossier.StatusProcessed, dossier.StatusReturned}, s)
}

// badge is the due badge of a task.
type badge struct {
	Due   string // overdue, soon, on_time or none: data-due
	Class string
	Text  string
}

func dueBadge(due, now time.Time) badge {
	switch {
	case due.IsZero():
		return badge{Due: "none", Class: "badge due-none", Text: "Không hạn"}
	case due.Before(now):
		return badge{Due: "overdue", Class: "badge due-overdue", Text: "Quá hạn"}
	case due.Before(now.Add(24 * time.Hour)):
		return badge{Due: "soon", Class: "badge due-soon", Text: "Sắp đến hạn"}
	}
	return badge{Due: "on_time", Class: "badge due-ok", Text: "Trong hạn"}
}

// previewable reports whether a browser may show a file inline: PDF and
// images only.
func previewable(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf", ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

// formValue writes an e-form value of a field of type typ for people.
func formValue(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case bool:
		if x {
			return "Có"
		}
		return "Không"
	case string:
		if x == "" {
			return "—"
		}
		if typ == "date" {
			if t, err := time.Parse("2006-01-02", x); err == nil {
				return t.Format(dateLayout)
			}
		}
		if typ == "boolean" {
			switch x {
			case "true":
				return "Có"
			case "false":
				return "Không"
			}
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
