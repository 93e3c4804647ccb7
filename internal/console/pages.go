package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
)

// loginView is the login page.
type loginView struct {
	base
	Next string
	// OIDC is the link that starts the sign-in through the identity
	// provider, when the authenticator offers it.
	OIDC string
}

// newLoginView is the login page for next.
func (c *Console) newLoginView(w http.ResponseWriter, r *http.Request, next string) loginView {
	v := loginView{base: c.pageBase(w, r, nil, "Đăng nhập", "login"), Next: next}
	if c.idp != nil {
		v.OIDC = oidcHref(returnPath(next))
	}
	return v
}

// loginForm handles GET /console/login.
func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !localPath(next) {
		next = ""
	}
	c.render(w, r, http.StatusOK, "login.html", c.newLoginView(w, r, next))
}

// login handles POST /console/login: the token of the tokens file (or of
// the identity provider) becomes the session cookie.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, nil, http.StatusBadRequest, "Không đọc được nội dung biểu mẫu đăng nhập.")
		return
	}
	next := r.PostForm.Get("next")
	if !localPath(next) {
		next = ""
	}
	v := c.newLoginView(w, r, next)
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" {
		v.Error = "Hãy nhập mã đăng nhập."
		c.render(w, r, http.StatusUnauthorized, "login.html", v)
		return
	}
	p, err := c.auth.Authenticate(r.Context(), token)
	if err != nil {
		var cred *auth.CredentialError
		if errors.As(err, &cred) || errors.Is(err, auth.ErrNoCredential) {
			c.log.InfoContext(r.Context(), "console: login refused", "reason", err.Error(), "request_id", requestID(w))
			v.Error = "Mã đăng nhập không đúng hoặc đã hết hiệu lực. Hãy kiểm tra lại."
			c.render(w, r, http.StatusUnauthorized, "login.html", v)
			return
		}
		c.log.ErrorContext(r.Context(), "console: authenticating", "auth", c.auth.Name(), "err", err, "request_id", requestID(w))
		v.Error = "Dịch vụ đăng nhập không phản hồi. Hãy thử lại sau ít phút."
		c.render(w, r, http.StatusServiceUnavailable, "login.html", v)
		return
	}
	setSession(w, r, token)
	if next == "" {
		next = landing(p)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout handles POST /console/logout.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	clearCookie(w, r, auth.SessionCookie, "/")
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// pager is the pagination of a list.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string
}

func newPager(r *http.Request, page, total int) pager {
	pg := pager{Page: page, Total: total, Pages: max(1, (total+perPage-1)/perPage)}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if page > 1 {
		pg.Prev = link(min(page-1, pg.Pages))
	}
	if page < pg.Pages {
		pg.Next = link(page + 1)
	}
	return pg
}

// option is one choice of a filter.
type option struct {
	Value, Label string
	Selected     bool
}

func (c *Console) procedureOptions(selected string) []option {
	opts := []option{{Value: "", Label: "Tất cả thủ tục", Selected: selected == ""}}
	plans := slices.Clone(c.svc.Catalog().Plans())
	slices.SortFunc(plans, func(a, b *definitions.Plan) int { return strings.Compare(a.Code, b.Code) })
	for _, p := range plans {
		opts = append(opts, option{Value: p.Code, Label: p.Code + " — " + p.Name, Selected: p.Code == selected})
	}
	return opts
}

// inboxView is the officer's inbox.
type inboxView struct {
	base
	Procedures []option
	Dues       []option
	Code       string
	Rows       []inboxRow
	Pager      pager
}

type inboxRow struct {
	Code, Link, Procedure, ProcedureCode, Applicant string
	TaskID, Task, Role, OpenedAt, DueAt             string
	Badge                                           badge
}

var dueFilters = []option{
	{Value: store.DueAll, Label: "Tất cả"},
	{Value: store.DueOverdue, Label: "Quá hạn"},
	{Value: store.DueSoon, Label: "Sắp đến hạn (trong 24 giờ)"},
	{Value: store.DueOnTime, Label: "Trong hạn"},
}

// inbox handles GET /console/inbox.
func (c *Console) inbox(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := access.Inbox(p); err != nil {
		c.errorPage(w, r, &p, http.StatusForbidden, "Chỉ cán bộ có hộp việc. Tài khoản của bạn là "+strings.ToLower(kindNames[p.Kind])+".")
		return
	}
	q := r.URL.Query()
	procedure := strings.TrimSpace(q.Get("procedure"))
	due := q.Get("due")
	if !slices.ContainsFunc(dueFilters, func(o option) bool { return o.Value == due }) {
		due = store.DueAll
	}
	code := strings.TrimSpace(q.Get("code"))
	page := pageNumber(r)
	now := c.now()
	params := store.TaskListParams{Roles: p.Roles, Agency: p.Agency, Procedure: procedure, DossierCode: code, Due: due,
		Limit: perPage, Offset: (page - 1) * perPage, Now: now}
	total, err := c.store.TaskCount(r.Context(), params)
	if err != nil {
		c.fail(w, r, &p, err)
		return
	}
	rows, err := c.store.TaskList(r.Context(), params)
	if err != nil {
		c.fail(w, r, &p, err)
		return
	}
	v := inboxView{base: c.pageBase(w, r, &p, "Hộp việc", "inbox"), Procedures: c.procedureOptions(procedure), Code: code,
		Pager: newPager(r, page, total)}
	for _, o := range dueFilters {
		o.Selected = o.Value == due
		v.Dues = append(v.Dues, o)
	}
	cat := c.svc.Catalog()
	for _, t := range rows {
		n := c.names(cat.Plan(t.ProcedureCode), "")
		v.Rows = append(v.Rows, inboxRow{Code: t.DossierCode, Link: "/console/dossiers/" + url.PathEscape(t.DossierCode),
			Procedure: n.procedure(t.ProcedureCode), ProcedureCode: t.ProcedureCode, Applicant: t.ApplicantName,
			TaskID: t.ID, Task: n.task(t.Task), Role: n.role(t.Role), OpenedAt: fmtTime(t.OpenedAt), DueAt: fmtTime(t.DueAt),
			Badge: dueBadge(t.DueAt, now)})
	}
	c.render(w, r, http.StatusOK, "inbox.html", v)
}

// dossiersView lists dossiers.
type dossiersView struct {
	base
	Statuses []option
	Scope    string
	Rows     []dossierRow
	Pager    pager
}

type dossierRow struct {
	Code, Link, Procedure, ProcedureCode, Applicant string
	Status                                          int
	StatusName, StatusClass                         string
	ReceivedAt, AppointmentAt                       string
	Extended                                        bool
}

// dossiers handles GET /console/dossiers.
func (c *Console) dossiers(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := access.ListDossiers(p); err != nil {
		c.errorPage(w, r, &p, http.StatusForbidden, "Tài khoản phân tích đọc thủ tục và chỉ số, không xem hồ sơ.")
		return
	}
	page := pageNumber(r)
	params := store.DossierListParams{Limit: perPage, Offset: (page - 1) * perPage}
	status, _ := strconv.Atoi(r.URL.Query().Get("status"))
	if status >= 1 && status <= 10 {
		params.Status = dossier.Status(status)
	} else {
		status = 0
	}
	v := dossiersView{}
	switch p.Kind {
	case auth.KindCitizen:
		params.ApplicantID = access.ApplicantID(p)
		v.Scope = "Hồ sơ của bạn"
	case auth.KindOfficer:
		params.Agency = p.Agency
		v.Scope = "Hồ sơ của " + c.agencyName(p.Agency)
	default:
		v.Scope = "Tất cả hồ sơ"
	}
	total, err := c.store.DossierCount(r.Context(), params)
	if err != nil {
		c.fail(w, r, &p, err)
		return
	}
	items, err := c.store.DossierList(r.Context(), params)
	if err != nil {
		c.fail(w, r, &p, err)
		return
	}
	v.base = c.pageBase(w, r, &p, "Danh sách hồ sơ", "dossiers")
	v.Pager = newPager(r, page, total)
	v.Statuses = []option{{Value: "", Label: "Tất cả trạng thái", Selected: status == 0}}
	for s := dossier.StatusNew; s <= dossier.StatusReturned; s++ {
		v.Statuses = append(v.Statuses, option{Value: strconv.Itoa(int(s)), Label: strconv.Itoa(int(s)) + " — " + s.String(), Selected: int(s) == status})
	}
	for _, st := range items {
		n := c.names(c.planOf(st), st.Mode)
		v.Rows = append(v.Rows, dossierRow{Code: st.Code, Link: "/console/dossiers/" + url.PathEscape(st.Code),
			Procedure: n.procedure(st.ProcedureCode), ProcedureCode: st.ProcedureCode, Applicant: st.Applicant.Name,
			Status: int(st.Status), StatusName: st.Status.String(), StatusClass: statusClass(st.Status),
			ReceivedAt: fmtTime(st.ReceivedAt), AppointmentAt: fmtTime(st.AppointmentAt), Extended: st.Extended})
	}
	c.render(w, r, http.StatusOK, "dossiers.html", v)
}
