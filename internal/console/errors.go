package console

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"go.temporal.io/api/serviceerror"

	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/store"
)

// classify maps an error to the status of its page and a message in
// Vietnamese. The engine's own messages (validators, access decisions) are
// kept after the Vietnamese sentence: they name the task, the role or the
// rule at fault.
func classify(err error) (int, string) {
	var (
		den   *access.Denied
		verr  *service.ValidationError
		rej   *service.RejectedError
		unav  *serviceerror.Unavailable
		dline *serviceerror.DeadlineExceeded
		big   *http.MaxBytesError
	)
	switch {
	case errors.As(err, &den):
		return http.StatusForbidden, "Bạn không có quyền thực hiện việc này. Chi tiết: " + den.Message
	case errors.As(err, &verr):
		return http.StatusUnprocessableEntity, "Dữ liệu chưa hợp lệ, hãy sửa các mục dưới đây rồi gửi lại."
	case errors.As(err, &rej):
		for _, h := range hints {
			if strings.HasPrefix(rej.Message, h.prefix) {
				return http.StatusConflict, "Hồ sơ không chấp nhận thao tác này: " + h.vi + " (" + rej.Message + ")"
			}
		}
		return http.StatusConflict, "Hồ sơ không chấp nhận thao tác này: " + rej.Message
	case errors.Is(err, service.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "Không tìm thấy hồ sơ hoặc tệp được yêu cầu."
	case errors.As(err, &big):
		return http.StatusRequestEntityTooLarge, "Nội dung gửi lên quá lớn."
	case errors.As(err, &unav), errors.As(err, &dline), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "Hệ thống xử lý hồ sơ không phản hồi kịp. Hãy thử lại sau ít phút."
	}
	return http.StatusInternalServerError, "Đã xảy ra lỗi hệ thống. Hãy báo cho quản trị viên kèm mã yêu cầu bên dưới."
}

// hints say in Vietnamese what the workflow's most frequent refusals
// mean; the workflow's own message follows.
var hints = []struct{ prefix, vi string }{
	{"a supplement request must list", "yêu cầu bổ sung phải liệt kê nội dung cần bổ sung, mỗi dòng một mục"},
	{"a refusal must give its reasons", "từ chối phải nêu rõ lý do trong ô ghi chú"},
	{"an extension must be sent at least one working day before", "chỉ được gia hạn chậm nhất một ngày làm việc trước ngày hẹn trả"},
	{"the new appointment", "ngày hẹn trả mới phải sau ngày hẹn hiện tại"},
}

// problemLines lists a validation error's problems for the page.
func problemLines(err error) []string {
	var verr *service.ValidationError
	if !errors.As(err, &verr) {
		return nil
	}
	out := make([]string, len(verr.Problems))
	for i, p := range verr.Problems {
		label := fieldLabels[p.Field]
		if label == "" {
			label = p.Field
		}
		out[i] = label + ": " + p.Message
	}
	return out
}

// fieldLabels name the console's own form fields in messages.
var fieldLabels = map[string]string{
	"task":            "Công việc",
	"outcome":         "Kết quả xử lý",
	"note":            "Ghi chú",
	"items":           "Nội dung cần bổ sung",
	"new_appointment": "Ngày hẹn trả mới",
	"reason":          "Lý do",
}
