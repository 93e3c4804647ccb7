package console

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/workflows"
)

// dossierView is the dossier page.
type dossierView struct {
	base
	Code          string
	Status        int
	StatusName    string
	StatusClass   string
	ProcedureCode string
	ProcedureName string
	Version       string
	PlanHash      string
	Mode          string
	Channel       string
	Agency        string
	Applicant     dossier.Applicant

	ReceivedAt            string
	AcceptedAt            string
	AppointmentAt         string
	OriginalAppointmentAt string
	Extended              bool
	FinishedAt            string
	ReturnedAt            string
	Timeliness            string
	Paused                bool
	PausedSince           string
	PausedTotal           string
	Supplements           int
	FeesDue               string
	PaidOnline            bool

	Form       []formRow
	Components []componentRow
	OpenTasks  []taskView
	DueHistory []dueRow
	Timeline   []eventRow
	Result     *resultView
	Rating     string
	Actions    []actionForm
	Extend     *extendForm
	Prints     []printLink
}

type formRow struct {
	ID, Label, Value string
}

type componentRow struct {
	ID, Name, FileName, Size, SHA256 string
	Reused                           bool
	Download, Preview                string // links; empty when there is no file to serve
}

type taskView struct {
	ID, Name, Role, Agency, OpenedAt, DueAt string
	Badge                                   badge
}

type dueRow struct {
	Kind, At, Event, Step, DueAt, Note string
}

type eventRow struct {
	Seq                                int
	Kind, At, Event, Step, Actor, Note string
	Outcome, Status                    string
	Timeliness, TimelinessClass, DueAt string
}

type resultView struct {
	Code, Name, SignedBy, SignedAt, Delivery string
	Refusal                                  bool
	Link                                     string
}

// actionForm is one open task the principal may act on.
type actionForm struct {
	TaskID     string
	Name       string
	Role       string
	DueAt      string
	Badge      badge
	Outcomes   []outcomeButton
	Supplement bool // offers the supplement outcome: show the items box
	Refuse     bool // offers an outcome that needs reasons
	Note       string
	Items      string
}

type outcomeButton struct {
	Value, Label, Class string
}

type extendForm struct {
	Current string
	Value   string // datetime-local
	Min     string
	Reason  string
}

type printLink struct {
	Form, Title, URL string
}

// posted is what an action form sent, shown again when it is refused.
type posted struct {
	Task, Note, Items      string
	NewAppointment, Reason string
}

// dossierPage handles GET /console/dossiers/{code}.
func (c *Console) dossierPage(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	c.showDossier(w, r, p, r.PathValue("code"), http.StatusOK, nil, posted{})
}

// showDossier renders the dossier page with status; actErr, when set, is
// an action's refusal shown above the page.
func (c *Console) showDossier(w http.ResponseWriter, r *http.Request, p auth.Principal, code string, status int, actErr error, form posted) {
	st, tasks, err := c.dossierFor(r.Context(), p, code)
	if err != nil {
		c.dossierError(w, r, p, code, err)
		return
	}
	v := c.dossierView(w, r, p, st, tasks, form)
	if actErr != nil {
		_, v.Error = classify(actErr)
		v.Problems = problemLines(actErr)
	}
	c.render(w, r, status, "dossier.html", v)
}

// dossierError answers a dossier that cannot be shown.
func (c *Console) dossierError(w http.ResponseWriter, r *http.Request, p auth.Principal, code string, err error) {
	if errors.Is(err, service.ErrNotFound) {
		c.errorPage(w, r, &p, http.StatusNotFound, fmt.Sprintf("Không tìm thấy hồ sơ %s.", code))
		return
	}
	c.fail(w, r, &p, err)
}

func (c *Console) dossierView(w http.ResponseWriter, r *http.Request, p auth.Principal, st dossier.State, tasks []dossier.Task, form posted) dossierView {
	plan := c.planOf(st)
	n := c.names(plan, st.Mode)
	now := c.now()
	v := dossierView{
		base:          c.pageBase(w, r, &p, "Hồ sơ "+st.Code, "dossier"),
		Code:          st.Code,
		Status:        int(st.Status),
		StatusName:    st.Status.String(),
		StatusClass:   statusClass(st.Status),
		ProcedureCode: st.ProcedureCode,
		ProcedureName: n.procedure(st.ProcedureCode),
		PlanHash:      st.PlanHash,
		Mode:          label(modeNames, st.Mode),
		Channel:       label(channelNames, st.Channel),
		Agency:        n.agency(st.Agency),
		Applicant:     st.Applicant,
		ReceivedAt:    fmtTime(st.ReceivedAt),
		AcceptedAt:    fmtTime(st.AcceptedAt),
		AppointmentAt: fmtTime(st.AppointmentAt),
		Extended:      st.Extended,
		FinishedAt:    fmtTime(st.FinishedAt),
		ReturnedAt:    fmtTime(st.ReturnedAt),
		Timeliness:    timelinessNames[st.Timeliness],
		Paused:        st.Paused,
		PausedSince:   fmtTime(st.PausedSince),
		PausedTotal:   fmtDuration(st.PausedTotal),
		Supplements:   st.Supplements,
		PaidOnline:    st.PaidOnline,
	}
	if plan != nil {
		v.Version = plan.Version
	}
	if st.Extended {
		v.OriginalAppointmentAt = fmtTime(st.OriginalAppointmentAt)
	}
	if st.FeesDue > 0 {
		v.FeesDue = fmtVND(st.FeesDue)
	}
	v.Form = formRows(plan, st.Form)
	for _, ref := range st.Components {
		comp := n.component(ref.ID)
		row := componentRow{ID: ref.ID, Name: comp.Name, FileName: ref.Name, Size: fmtSize(ref.Size), SHA256: ref.SHA256, Reused: ref.Reused}
		if ref.Reused {
			row.FileName = "Khai thác từ " + label(reuseNames, comp.Reuse)
			if comp.Reuse == "" {
				row.FileName = "Khai thác từ cơ sở dữ liệu"
			}
		}
		if ref.SHA256 != "" && !ref.Reused {
			row.Download = "/console/dossiers/" + url.PathEscape(st.Code) + "/files/" + url.PathEscape(ref.SHA256)
			if previewable(ref.Name) {
				row.Preview = row.Download + "?inline=1"
			}
		}
		v.Components = append(v.Components, row)
	}
	all := openTasks(st.OpenTasks, tasks)
	for _, t := range all {
		v.OpenTasks = append(v.OpenTasks, taskView{ID: t.ID, Name: n.task(t), Role: n.role(t.Role), Agency: n.agency(t.Agency),
			OpenedAt: fmtTime(t.OpenedAt), DueAt: fmtTime(t.DueAt), Badge: dueBadge(t.DueAt, now)})
	}
	v.DueHistory = dueHistory(n, st.Timeline)
	for _, e := range st.Timeline {
		row := eventRow{Seq: e.Seq, Kind: e.Kind, At: fmtTime(e.At), Event: label(eventNames, e.Kind), Step: n.step(e.Step),
			Actor: n.actor(e.Actor), Note: e.Note, Status: fmt.Sprintf("%d — %s", e.Status, e.Status)}
		if e.Kind == dossier.EventSubmitted {
			row.Note = "Kênh: " + label(channelNames, e.Note) // the workflow notes the channel
		}
		if e.Outcome != "" {
			row.Outcome = outcomeLabel(e.Outcome)
		}
		if e.Timeliness != "" {
			row.Timeliness = timelinessNames[e.Timeliness]
			row.TimelinessClass = "timeliness-" + string(e.Timeliness)
		}
		if !e.DueAt.IsZero() {
			row.DueAt = fmtTime(e.DueAt)
		}
		v.Timeline = append(v.Timeline, row)
	}
	if res := st.Result; res != nil {
		v.Result = &resultView{Code: res.Code, Name: res.Name, SignedBy: res.SignedBy, SignedAt: fmtTime(res.SignedAt),
			Delivery: label(deliveryNames, res.Delivery), Refusal: res.Refusal}
		if res.Code != "" && res.SHA256 != "" {
			// Served by the JSON API, which reads the same session cookie.
			v.Result.Link = "/v1/dossiers/" + url.PathEscape(st.Code) + "/result"
		}
	}
	if rt := st.Rating; rt != nil {
		v.Rating = "Không hài lòng"
		if rt.Satisfied {
			v.Rating = "Hài lòng"
		}
		if rt.Comment != "" {
			v.Rating += ": " + rt.Comment
		}
	}
	for _, t := range all {
		if _, err := access.Act(p, st, t); err != nil {
			continue
		}
		f := actionForm{TaskID: t.ID, Name: n.task(t), Role: n.role(t.Role), DueAt: fmtTime(t.DueAt), Badge: dueBadge(t.DueAt, now)}
		for _, o := range t.Outcomes {
			f.Outcomes = append(f.Outcomes, outcomeButton{Value: o, Label: outcomeLabel(o), Class: outcomeClass(o)})
			if o == workflows.OutcomeSupplement {
				f.Supplement = true
			}
			if o == workflows.OutcomeRefuse || o == "reject" {
				f.Refuse = true
			}
		}
		if form.Task == t.ID {
			f.Note, f.Items = form.Note, form.Items
		}
		v.Actions = append(v.Actions, f)
	}
	if _, err := access.Extend(p, st); err == nil && !st.Extended && !final(st.Status) && !st.AppointmentAt.IsZero() {
		current := st.AppointmentAt.In(dossier.Vietnam)
		v.Extend = &extendForm{Current: fmtTime(st.AppointmentAt), Min: current.Format(localLayout),
			Value: form.NewAppointment, Reason: form.Reason}
		if v.Extend.Value == "" {
			v.Extend.Value = current.AddDate(0, 0, 2).Format(localLayout)
		}
	}
	for _, f := range printForms {
		if _, ok := findPrint(st, f.id); ok {
			v.Prints = append(v.Prints, printLink{Form: f.id, Title: f.name,
				URL: "/console/dossiers/" + url.PathEscape(st.Code) + "/print/" + f.id})
		}
	}
	return v
}

// formRows lists the e-form's values with their labels, in the plan's
// order; values the plan does not name come last, by id.
func formRows(plan *definitions.Plan, form map[string]any) []formRow {
	if len(form) == 0 {
		return nil
	}
	var rows []formRow
	seen := map[string]bool{}
	if plan != nil {
		for _, comp := range plan.Components {
			for _, f := range comp.Form {
				v, ok := form[f.ID]
				if !ok || seen[f.ID] {
					continue
				}
				seen[f.ID] = true
				rows = append(rows, formRow{ID: f.ID, Label: f.Label, Value: formValue(v, f.Type)})
			}
		}
	}
	var rest []string
	for k := range form {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		rows = append(rows, formRow{ID: k, Label: k, Value: formValue(form[k], "")})
	}
	return rows
}

// dueHistory is the table of due times and pauses: every event that
// opened a clock, paused or resumed it, warned of it or moved it.
func dueHistory(n names, timeline []dossier.Event) []dueRow {
	var rows []dueRow
	for _, e := range timeline {
		row := dueRow{Kind: e.Kind, At: fmtTime(e.At), Step: n.step(e.Step)}
		if !e.DueAt.IsZero() {
			row.DueAt = fmtTime(e.DueAt)
		}
		switch e.Kind {
		case dossier.EventReceived:
			row.Event = "Hẹn trả kết quả"
		case dossier.EventTaskOpened:
			row.Event = "Giao xử lý, bắt đầu tính hạn"
			row.Note = e.Note
		case dossier.EventSupplementAsked:
			row.Event = "Tạm dừng: yêu cầu bổ sung"
			row.Note = e.Note
		case dossier.EventSupplemented:
			row.Event = "Tiếp tục: đã bổ sung"
			row.Note = e.Note
		case dossier.EventPaymentRequested:
			row.Event = "Chờ nộp phí, lệ phí"
		case dossier.EventWarning:
			row.Event = "Cảnh báo sắp đến hạn"
			row.Note = dueNote(e.Note)
		case dossier.EventOverdue:
			row.Event = "Quá hạn"
			row.Note = dueNote(e.Note)
		case dossier.EventExtended:
			row.Event = "Gia hạn: ngày hẹn trả mới"
			row.Note = e.Note
		default:
			continue
		}
		rows = append(rows, row)
	}
	return rows
}

// dueNote explains what a warning or an overdue is about.
func dueNote(note string) string {
	if note == "appointment" {
		return "Ngày hẹn trả kết quả"
	}
	return note
}

// localLayout is the value of an <input type="datetime-local">.
const localLayout = "2006-01-02T15:04"

// act handles POST /console/dossiers/{code}/act: the API's action, from a
// form. The actor is always the signed-in officer.
func (c *Console) act(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	code := r.PathValue("code")
	if !c.readForm(w, r, p) {
		return
	}
	form := posted{Task: strings.TrimSpace(r.PostForm.Get("task")), Note: strings.TrimSpace(r.PostForm.Get("note")),
		Items: r.PostForm.Get("items")}
	outcome := strings.TrimSpace(r.PostForm.Get("outcome"))
	st, tasks, err := c.dossierFor(r.Context(), p, code)
	if err != nil {
		c.auditErr(w, r, p, "dossier.act", code, err)
		c.dossierError(w, r, p, code, err)
		return
	}
	items := splitLines(form.Items)
	refuse := func(err error) {
		status, msg := classify(err)
		c.audit(w, r, p, "dossier.act", st.Code, status, msg)
		if status >= 500 {
			c.fail(w, r, &p, err)
			return
		}
		c.showDossier(w, r, p, st.Code, status, err, form)
	}
	if problems := checkAct(form.Task, outcome, form.Note, items); len(problems) > 0 {
		refuse(&service.ValidationError{Problems: problems})
		return
	}
	task, ok := access.FindTask(form.Task, st.OpenTasks, tasks)
	if !ok {
		refuse(&service.RejectedError{Message: fmt.Sprintf("hồ sơ %s không có công việc đang mở %q (đang mở: %s)",
			st.Code, form.Task, taskIDs(openTasks(st.OpenTasks, tasks)))})
		return
	}
	if _, err := access.Act(p, st, task); err != nil {
		refuse(err)
		return
	}
	_, err = c.svc.Act(r.Context(), st.Code, workflows.ActRequest{Task: task.ID, Outcome: outcome,
		Actor: access.OfficerFor(p, task), Note: form.Note, Items: items})
	if err != nil {
		refuse(err)
		return
	}
	c.audit(w, r, p, "dossier.act", st.Code, http.StatusSeeOther, "")
	n := c.names(c.planOf(st), st.Mode)
	setFlash(w, r, fmt.Sprintf("Đã ghi nhận: %s — %s.", outcomeLabel(outcome), n.task(task)))
	http.Redirect(w, r, "/console/dossiers/"+url.PathEscape(st.Code), http.StatusSeeOther)
}

// checkAct checks an action form as the API's validator checks its body.
func checkAct(task, outcome, note string, items []string) []service.Problem {
	var out []service.Problem
	add := func(field, msg string) { out = append(out, service.Problem{Field: field, Message: msg}) }
	switch {
	case task == "":
		add("task", "chưa chọn công việc")
	case utf8.RuneCountInString(task) > 200:
		add("task", "mã công việc quá dài")
	}
	switch {
	case outcome == "":
		add("outcome", "hãy bấm một nút kết quả xử lý")
	case utf8.RuneCountInString(outcome) > 100:
		add("outcome", "kết quả xử lý quá dài")
	}
	if utf8.RuneCountInString(note) > maxNote {
		add("note", fmt.Sprintf("tối đa %d ký tự", maxNote))
	}
	if len(items) > maxItems {
		add("items", fmt.Sprintf("tối đa %d dòng", maxItems))
	}
	for i, it := range items {
		if utf8.RuneCountInString(it) > maxItem {
			add("items", fmt.Sprintf("dòng %d dài quá %d ký tự", i+1, maxItem))
		}
	}
	return out
}

// splitLines reads a textarea of one item a line, dropping empty lines.
func splitLines(s string) []string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// extend handles POST /console/dossiers/{code}/extend.
func (c *Console) extend(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	code := r.PathValue("code")
	if !c.readForm(w, r, p) {
		return
	}
	form := posted{NewAppointment: strings.TrimSpace(r.PostForm.Get("new_appointment")), Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	st, _, err := c.dossierFor(r.Context(), p, code)
	if err != nil {
		c.auditErr(w, r, p, "dossier.extend", code, err)
		c.dossierError(w, r, p, code, err)
		return
	}
	refuse := func(err error) {
		status, msg := classify(err)
		c.audit(w, r, p, "dossier.extend", st.Code, status, msg)
		if status >= 500 {
			c.fail(w, r, &p, err)
			return
		}
		c.showDossier(w, r, p, st.Code, status, err, form)
	}
	var problems []service.Problem
	at, perr := time.ParseInLocation(localLayout, form.NewAppointment, dossier.Vietnam)
	switch {
	case form.NewAppointment == "":
		problems = append(problems, service.Problem{Field: "new_appointment", Message: "chưa nhập ngày hẹn trả mới"})
	case perr != nil:
		problems = append(problems, service.Problem{Field: "new_appointment", Message: "ngày giờ phải viết dạng dd/mm/yyyy HH:MM"})
	}
	switch {
	case form.Reason == "":
		problems = append(problems, service.Problem{Field: "reason", Message: "chưa nêu lý do gia hạn (ghi trong văn bản xin lỗi)"})
	case utf8.RuneCountInString(form.Reason) > maxNote:
		problems = append(problems, service.Problem{Field: "reason", Message: fmt.Sprintf("tối đa %d ký tự", maxNote)})
	}
	if len(problems) > 0 {
		refuse(&service.ValidationError{Problems: problems})
		return
	}
	actor, err := access.Extend(p, st)
	if err != nil {
		refuse(err)
		return
	}
	if _, err := c.svc.Extend(r.Context(), st.Code, workflows.ExtendRequest{Actor: actor, NewAppointment: at, Reason: form.Reason}); err != nil {
		refuse(err)
		return
	}
	c.audit(w, r, p, "dossier.extend", st.Code, http.StatusSeeOther, "")
	setFlash(w, r, "Đã ghi nhận: gia hạn, ngày hẹn trả mới "+fmtTime(at)+". In phiếu xin lỗi và hẹn lại ngày trả kết quả để gửi công dân.")
	http.Redirect(w, r, "/console/dossiers/"+url.PathEscape(st.Code), http.StatusSeeOther)
}

// readForm parses a POSTed form of bounded size; it answers itself and
// returns false when the form is unreadable.
func (c *Console) readForm(w http.ResponseWriter, r *http.Request, p auth.Principal) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			c.errorPage(w, r, &p, http.StatusRequestEntityTooLarge, "Nội dung gửi lên quá lớn.")
			return false
		}
		c.errorPage(w, r, &p, http.StatusBadRequest, "Không đọc được nội dung biểu mẫu gửi lên.")
		return false
	}
	return true
}

// auditErr audits a request refused before it reached the engine.
func (c *Console) auditErr(w http.ResponseWriter, r *http.Request, p auth.Principal, action, target string, err error) {
	status, msg := classify(err)
	c.audit(w, r, p, action, target, status, msg)
}

// file handles GET /console/dossiers/{code}/files/{sha256}: a component
// file, as an attachment, or inline (?inline=1) for PDF and images.
func (c *Console) file(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	code := r.PathValue("code")
	st, _, err := c.dossierFor(r.Context(), p, code)
	if err != nil {
		c.auditErr(w, r, p, "dossier.file", code, err)
		c.dossierError(w, r, p, code, err)
		return
	}
	f, ref, err := c.svc.OpenFile(r.Context(), st.Code, r.PathValue("sha256"))
	if err != nil {
		if errors.Is(err, service.ErrNotFound) {
			c.errorPage(w, r, &p, http.StatusNotFound, fmt.Sprintf("Hồ sơ %s không có tệp này.", st.Code))
			return
		}
		c.fail(w, r, &p, err)
		return
	}
	defer f.Close()
	c.audit(w, r, p, "dossier.file", st.Code, http.StatusOK, "")
	name := ref.Name
	if name == "" {
		name = ref.ID
	}
	ct := mime.TypeByExtension(strings.ToLower(path.Ext(name)))
	inline := r.URL.Query().Get("inline") == "1"
	switch ct {
	case "application/pdf", "image/jpeg", "image/png":
	default:
		ct, inline = "application/octet-stream", false
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "private, no-store")
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": name}))
	http.ServeContent(w, r, "", time.Time{}, f)
}

// pageNumber reads ?page=, from 1.
func pageNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}
