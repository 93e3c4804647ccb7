package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

// printForm is one of the printable forms of the one-stop mechanism.
type printForm struct {
	id    string
	title string // as printed
	name  string // in a sentence
	event string // the event kind that issues it
}

var printForms = []printForm{
	{"receipt", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", dossier.EventReceived},
	{"supplement", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", dossier.EventSupplementAsked},
	{"refusal", "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ", "Phiếu từ chối tiếp nhận, giải quyết hồ sơ", dossier.EventRefused},
	{"apology", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Phiếu xin lỗi và hẹn lại ngày trả kết quả", dossier.EventExtended},
	{"stop", "THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ", "Thông báo dừng xử lý hồ sơ", dossier.EventStopped},
}

func formByID(id string) (printForm, bool) {
	for _, f := range printForms {
		if f.id == id {
			return f, true
		}
	}
	return printForm{}, false
}

// findPrint returns the index in the timeline of the last event that
// issued the form, and false when none did yet.
func findPrint(st dossier.State, form string) (int, bool) {
	f, ok := formByID(form)
	if !ok {
		return 0, false
	}
	for i := len(st.Timeline) - 1; i >= 0; i-- {
		if st.Timeline[i].Kind == f.event {
			return i, true
		}
	}
	return 0, false
}

// printView is a printable form.
type printView struct {
	Form          string
	Title         string
	Code          string
	Agency        string
	ProcedureName string
	ProcedureCode string
	Applicant     dossier.Applicant
	Mode          string
	Channel       string
	Date          string // "ngày dd tháng mm năm yyyy"
	SignerTitle   string
	Signer        string
	SignerRole    string
	Back          string

	// receipt
	ReceivedAt  string
	AcceptedAt  string
	Appointment string
	Delivery    string
	Components  []string
	// supplement
	AskedAt  string
	Items    []string
	Reason   string
	Deadline string
	// refusal
	Stage string
	// apology
	OriginalAppointment string
	NewAppointment      string
	// stop
	WithdrawAt     string
	WithdrawReason string
	StopAt         string
}

// print handles GET /console/dossiers/{code}/print/{form}.
func (c *Console) print(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	code := r.PathValue("code")
	st, _, err := c.dossierFor(r.Context(), p, code)
	if err != nil {
		c.dossierError(w, r, p, code, err)
		return
	}
	form, ok := formByID(r.PathValue("form"))
	if !ok {
		c.errorPage(w, r, &p, http.StatusNotFound, fmt.Sprintf("Không có biểu mẫu %q. Các biểu mẫu: receipt, supplement, refusal, apology, stop.", r.PathValue("form")))
		return
	}
	i, ok := findPrint(st, form.id)
	if !ok {
		c.errorPage(w, r, &p, http.StatusNotFound, fmt.Sprintf("Hồ sơ %s chưa có %s: việc này chưa diễn ra.", st.Code, strings.ToLower(form.name[:1])+form.name[1:]))
		return
	}
	c.execute(w, r, http.StatusOK, "print.html", "print", c.printView(st, form, i))
}

func (c *Console) printView(st dossier.State, form printForm, i int) printView {
	plan := c.planOf(st)
	n := c.names(plan, st.Mode)
	e := st.Timeline[i]
	v := printView{Form: form.id, Title: form.title, Code: st.Code, Agency: n.agency(st.Agency),
		ProcedureName: n.procedure(st.ProcedureCode), ProcedureCode: st.ProcedureCode, Applicant: st.Applicant,
		Mode: strings.ToLower(label(modeNames, st.Mode)), Channel: strings.ToLower(label(channelNames, st.Channel)), Date: fmtDay(e.At),
		SignerTitle: "CÁN BỘ XỬ LÝ", Back: "/console/dossiers/" + url.PathEscape(st.Code)}
	signer := e.Actor
	atReception := isReception(plan, st.Mode, e.Step)
	switch form.id {
	case "receipt":
		v.SignerTitle = "NGƯỜI TIẾP NHẬN"
		signer = lastActed(st.Timeline[:i], workflows.OutcomeAccept)
		v.ReceivedAt = fmtTime(st.ReceivedAt)
		v.AcceptedAt = fmtTime(e.At)
		v.Appointment = fmtTime(e.DueAt)
		for _, ref := range st.Components {
			comp := n.component(ref.ID)
			line := comp.Name
			switch {
			case ref.Reused:
				line += " — tái sử dụng từ " + label(reuseNames, comp.Reuse)
			case ref.Name != "":
				line += " (tệp " + ref.Name + ")"
			}
			v.Components = append(v.Components, line)
		}
		v.Delivery = c.delivery(st, plan)
	case "supplement":
		if atReception {
			v.SignerTitle = "NGƯỜI TIẾP NHẬN"
		}
		v.AskedAt = fmtTime(e.At)
		v.Items, v.Reason = splitItems(e.Note)
		// The applicant's supplement task, opened right after, carries
		// the deadline.
		for _, next := range st.Timeline[i+1:] {
			if next.Kind == dossier.EventTaskOpened && next.Actor.Role == dossier.RoleApplicant {
				v.Deadline = fmtTime(next.DueAt)
				break
			}
		}
	case "refusal":
		v.Stage = "giải quyết"
		if atReception {
			v.Stage = "tiếp nhận"
			v.SignerTitle = "NGƯỜI TIẾP NHẬN"
		}
		v.Reason = e.Note
		if signer.ID == "" {
			signer = lastActed(st.Timeline[:i], "")
		}
	case "apology":
		v.SignerTitle = "THỦ TRƯỞNG CƠ QUAN"
		v.NewAppointment = fmtTime(e.DueAt)
		original := st.OriginalAppointmentAt
		if original.IsZero() {
			for _, prev := range st.Timeline[:i] {
				if prev.Kind == dossier.EventReceived {
					original = prev.DueAt
				}
			}
		}
		v.OriginalAppointment = fmtTime(original)
		v.Reason = e.Note
	case "stop":
		v.StopAt = fmtTime(e.At)
		v.Reason = e.Note
		for j := i - 1; j >= 0; j-- {
			if prev := st.Timeline[j]; prev.Kind == dossier.EventWithdrawRequested {
				v.WithdrawAt, v.WithdrawReason = fmtTime(prev.At), prev.Note
				break
			}
		}
		if signer.ID == "" {
			signer = lastActed(st.Timeline[:i], workflows.OutcomeStop)
		}
	}
	v.Signer = signer.ID
	if signer.Role != "" {
		v.SignerRole = n.role(signer.Role)
	}
	return v
}

// lastActed is the actor of the last officer's action among events, with
// the outcome when one is given.
func lastActed(events []dossier.Event, outcome string) dossier.Actor {
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.Kind == dossier.EventActed && e.Actor.ID != "" && (outcome == "" || e.Outcome == outcome) {
			return e.Actor
		}
	}
	return dossier.Actor{}
}

// isReception reports whether a step is the reception of its mode.
func isReception(plan *definitions.Plan, mode, step string) bool {
	if plan == nil || step == "" {
		return false
	}
	if mp := plan.Mode(mode); mp != nil {
		if s := mp.Step(step); s != nil {
			return s.Kind == definitions.KindReception
		}
	}
	return false
}

// delivery says how the result will be returned: the applicant's choice
// as the live dossier or its result records it; from the read model,
// which keeps neither, the ways the mode offers.
func (c *Console) delivery(st dossier.State, plan *definitions.Plan) string {
	if st.Result != nil && st.Result.Delivery != "" {
		return label(deliveryNames, st.Result.Delivery)
	}
	if st.Delivery != "" {
		return label(deliveryNames, st.Delivery)
	}
	if plan != nil {
		if mp := plan.Mode(st.Mode); mp != nil && len(mp.Delivery) > 0 {
			if len(mp.Delivery) == 1 {
				return label(deliveryNames, mp.Delivery[0])
			}
			return "Theo đăng ký của người nộp hồ sơ: " + strings.ToLower(labels(deliveryNames, mp.Delivery))
		}
	}
	return "Theo đăng ký của người nộp hồ sơ"
}

// splitItems reads the note of a supplement request as the workflow
// writes it: the items joined by "; ", then " — " and the officer's note
// when there is one.
func splitItems(note string) (items []string, reason string) {
	list, reason, _ := strings.Cut(note, " — ")
	for _, it := range strings.Split(list, "; ") {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	return items, strings.TrimSpace(reason)
}
