package console

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/reqid"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/store"
)

//go:embed templates/*.html static/style.css
var assets embed.FS

// Options are the console's dependencies.
type Options struct {
	// Service runs every action and reads dossiers (required).
	Service *service.Service
	// Store is the read model: inboxes, dossier lists, the audit log
	// (required).
	Store *store.Store
	// Auth checks the session token (required). When it is also an
	// auth.LoginProvider, the login page offers the sign-in through the
	// identity provider (see the package documentation).
	Auth auth.Authenticator
	// Logger receives failures of ours; default slog.Default().
	Logger *slog.Logger
	// Now is the clock that judges due times; default time.Now.
	Now func() time.Time
	// AgencyNames maps agency ids to display names; default built from
	// the agencies of the catalog's plans.
	AgencyNames map[string]string
}

// Console is the officers' web console. It is safe for concurrent use.
type Console struct {
	svc      *service.Service
	store    *store.Store
	auth     auth.Authenticator
	log      *slog.Logger
	now      func() time.Time
	agencies map[string]string
	pages    map[string]*template.Template
	style    []byte
	handler  http.Handler
	// idp is the identity provider's sign-in, when the authenticator
	// offers one; flows are its sign-ins in progress.
	idp   auth.LoginProvider
	flows flows
}

// Names of the console's cookies besides auth.SessionCookie.
const flashCookie = "motcua_flash"

// Limits.
const (
	perPage      = 25
	sessionAge   = 12 * time.Hour
	maxFormBytes = 1 << 20
	maxNote      = 2000
	maxItems     = 50
	maxItem      = 500
)

// pageFiles are the templates rendered inside layout.html.
var pageFiles = []string{"login.html", "signedin.html", "inbox.html", "dossiers.html", "dossier.html", "procedures.html", "procedure.html",
	"indicators.html", "analysis.html", "error.html"}

// New checks the options, parses the templates and builds the router.
func New(o Options) (*Console, error) {
	var missing []string
	if o.Service == nil {
		missing = append(missing, "Service")
	}
	if o.Store == nil {
		missing = append(missing, "Store")
	}
	if o.Auth == nil {
		missing = append(missing, "Auth")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("console: missing %s", strings.Join(missing, ", "))
	}
	c := &Console{svc: o.Service, store: o.Store, auth: o.Auth, log: o.Logger, now: o.Now, agencies: o.AgencyNames}
	c.idp, _ = o.Auth.(auth.LoginProvider)
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.agencies == nil {
		c.agencies = map[string]string{}
		for _, p := range c.svc.Catalog().Plans() {
			for _, a := range p.Agencies {
				if _, ok := c.agencies[a.ID]; !ok && a.Name != "" {
					c.agencies[a.ID] = a.Name
				}
			}
		}
	}
	c.pages = map[string]*template.Template{}
	for _, name := range pageFiles {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("console: parsing template %s: %w", name, err)
		}
		c.pages[name] = t
	}
	t, err := template.New("print.html").Funcs(funcs).ParseFS(assets, "templates/print.html")
	if err != nil {
		return nil, fmt.Errorf("console: parsing template print.html: %w", err)
	}
	c.pages["print.html"] = t
	if c.style, err = fs.ReadFile(assets, "static/style.css"); err != nil {
		return nil, fmt.Errorf("console: reading style.css: %w", err)
	}
	c.handler = c.routes()
	return c, nil
}

// Handler serves the console under /console/; "/" redirects to it and
// any other path gets the console's 404 page. Every POST passes
// net/http's cross-origin protection first.
func (c *Console) Handler() http.Handler { return c.handler }

func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /console/{$}", c.signedIn(func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		http.Redirect(w, r, landing(p), http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /console/static/style.css", c.serveStyle)
	mux.HandleFunc("GET /console/login", c.loginForm)
	mux.HandleFunc("POST /console/login", c.login)
	mux.HandleFunc("POST /console/logout", c.logout)
	if c.idp != nil {
		mux.HandleFunc("GET "+oidcLoginPath, c.oidcStart)
		mux.HandleFunc("GET "+oidcCallbackPath, c.oidcCallback)
	}
	mux.HandleFunc("GET /console/inbox", c.signedIn(c.inbox))
	mux.HandleFunc("GET /console/dossiers", c.signedIn(c.dossiers))
	mux.HandleFunc("GET /console/dossiers/{code}", c.signedIn(c.dossierPage))
	mux.HandleFunc("POST /console/dossiers/{code}/act", c.signedIn(c.act))
	mux.HandleFunc("POST /console/dossiers/{code}/extend", c.signedIn(c.extend))
	mux.HandleFunc("GET /console/dossiers/{code}/files/{sha256}", c.signedIn(c.file))
	mux.HandleFunc("GET /console/dossiers/{code}/print/{form}", c.signedIn(c.print))
	mux.HandleFunc("GET /console/procedures", c.signedIn(c.procedures))
	mux.HandleFunc("GET /console/procedures/{code}", c.signedIn(c.procedure))
	mux.HandleFunc("GET /console/procedures/{code}/analysis", c.signedIn(c.analysisPage))
	mux.HandleFunc("GET /console/procedures/{code}/analysis/chart", c.signedIn(c.analysisChart))
	mux.HandleFunc("GET "+indicatorsPath, c.signedIn(c.indicators))
	mux.HandleFunc("GET "+chartPath, c.signedIn(c.indicatorChart))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, nil, http.StatusNotFound, "Không tìm thấy trang "+r.URL.Path+".")
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, nil, http.StatusForbidden,
			"Yêu cầu bị từ chối vì được gửi từ một trang web khác. Hãy mở lại trang của hệ thống Một cửa và thao tác lại.")
	}))
	return headers(cop.Handler(mux))
}

// headers sets the security headers every answer of the console carries;
// the handler of component files replaces the CSP with a sandbox.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", cspPage)
		next.ServeHTTP(w, r)
	})
}

// cspPage is the content security policy of every page: the console's
// style sheet and nothing else (the SVG diagrams inlined in the procedure
// page colour with presentation attributes, which need no style-src).
const cspPage = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// handlerFunc is a handler of a signed-in page.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal)

// signedIn runs h for a request with a valid session, and sends any other
// to the login page with the page asked for as next.
func (c *Console) signedIn(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := auth.Credential(r)
		if token == "" {
			c.toLogin(w, r)
			return
		}
		p, err := c.auth.Authenticate(r.Context(), token)
		if err != nil {
			var cred *auth.CredentialError
			if errors.As(err, &cred) || errors.Is(err, auth.ErrNoCredential) {
				clearCookie(w, r, auth.SessionCookie, "/")
				c.toLogin(w, r)
				return
			}
			c.log.ErrorContext(r.Context(), "console: authenticating", "auth", c.auth.Name(), "err", err, "request_id", requestID(w))
			c.errorPage(w, r, nil, http.StatusServiceUnavailable,
				"Dịch vụ đăng nhập ("+c.auth.Name()+") không phản hồi. Hãy thử lại sau ít phút.")
			return
		}
		h(w, r, p)
	}
}

// toLogin redirects to the login page, with the page to return to.
func (c *Console) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Path
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		next = r.URL.RequestURI()
	} else {
		// After a POST, come back to the page the form was on.
		for _, suffix := range []string{"/act", "/extend"} {
			next = strings.TrimSuffix(next, suffix)
		}
	}
	target := "/console/login"
	if localPath(next) && next != "/console/login" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath reports whether next is a path of the console that a redirect
// may go to: absolute, under /console/, with no scheme, host or
// backslash, so that a crafted link cannot send a signed-in officer to
// another site.
func localPath(next string) bool {
	if !strings.HasPrefix(next, "/console/") || strings.ContainsAny(next, "\\\r\n\t") {
		return false
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return false
	}
	return !strings.Contains(u.Path, "/../") && !strings.HasSuffix(u.Path, "/..")
}

// landing is the first page of a principal.
func landing(p auth.Principal) string {
	switch p.Kind {
	case auth.KindOfficer:
		return "/console/inbox"
	case auth.KindAnalyst:
		// Analysts read procedures and indicators, not dossiers.
		return "/console/procedures"
	}
	return "/console/dossiers"
}

func (c *Console) serveStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, "style.css", time.Time{}, bytes.NewReader(c.style))
}

// base is what every page of the layout shows.
type base struct {
	Title     string
	Page      string // the page's name, a class of <main>
	User      *userView
	Flash     string
	Error     string
	Problems  []string
	RequestID string
	// Refresh, when set, is a local path the page moves on to at once.
	Refresh string
}

type userView struct {
	Subject    string
	Name       string
	Kind       string // in Vietnamese
	Agency     string
	Officer    bool
	Reader     bool // may list dossiers
	Indicators bool // may read indicators
}

// pageBase builds the common part of a page and takes the flash message,
// if one is waiting.
func (c *Console) pageBase(w http.ResponseWriter, r *http.Request, p *auth.Principal, title, page string) base {
	b := base{Title: title, Page: page, RequestID: requestID(w)}
	if p != nil {
		u := &userView{Subject: p.Subject, Name: p.Name, Kind: kindNames[p.Kind], Agency: c.agencyName(p.Agency),
			Officer: p.Kind == auth.KindOfficer, Reader: p.Kind != auth.KindAnalyst, Indicators: access.ReadIndicators(*p) == nil}
		if u.Name == "" {
			u.Name = p.Subject
		}
		b.User = u
	}
	if ck, err := r.Cookie(flashCookie); err == nil && ck.Value != "" {
		if msg, err := base64.RawURLEncoding.DecodeString(ck.Value); err == nil && utf8.Valid(msg) {
			b.Flash = string(msg)
		}
		clearCookie(w, r, flashCookie, "/console/")
	}
	return b
}

var kindNames = map[auth.Kind]string{
	auth.KindCitizen: "Công dân",
	auth.KindOfficer: "Cán bộ",
	auth.KindAnalyst: "Chuyên viên phân tích",
	auth.KindAdmin:   "Quản trị",
}

func (c *Console) agencyName(id string) string {
	if n := c.agencies[id]; n != "" {
		return n
	}
	return id
}

// render writes a page of the layout with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	c.execute(w, r, status, page, "layout", data)
}

func (c *Console) execute(w http.ResponseWriter, r *http.Request, status int, page, name string, data any) {
	var buf bytes.Buffer
	if err := c.pages[page].ExecuteTemplate(&buf, name, data); err != nil {
		c.log.ErrorContext(r.Context(), "console: rendering", "page", page, "err", err, "request_id", requestID(w))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintf(w, "Lỗi hệ thống khi hiển thị trang. Mã yêu cầu: %s\n", requestID(w))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// errorPage is a 403, 404, 500 or 503 page.
type errorPageData struct {
	base
	Status  int
	Heading string
	Message string
}

var errorHeadings = map[int]string{
	http.StatusBadRequest:          "Yêu cầu không hợp lệ",
	http.StatusUnauthorized:        "Chưa đăng nhập",
	http.StatusForbidden:           "Không có quyền truy cập",
	http.StatusNotFound:            "Không tìm thấy",
	http.StatusConflict:            "Không thực hiện được",
	http.StatusUnprocessableEntity: "Dữ liệu chưa hợp lệ",
	http.StatusServiceUnavailable:  "Hệ thống tạm thời không phản hồi",
	http.StatusInternalServerError: "Lỗi hệ thống",
}

func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, p *auth.Principal, status int, message string) {
	heading := errorHeadings[status]
	if heading == "" {
		heading = "Lỗi"
	}
	d := errorPageData{base: c.pageBase(w, r, p, heading, "error"), Status: status, Heading: heading, Message: message}
	c.render(w, r, status, "error.html", d)
}

// fail answers an error of ours or of the engine with an error page: a
// denial 403, an unknown dossier 404, Temporal or the database not
// answering 503, anything else 500 (logged with the request ID).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, p *auth.Principal, err error) {
	status, msg := classify(err)
	if status >= 500 {
		c.log.ErrorContext(r.Context(), "console: request failed", "method", r.Method, "path", r.URL.Path,
			"err", err, "request_id", requestID(w))
	}
	c.errorPage(w, r, p, status, msg)
}

// requestID is the ID the API's middleware put on the answer, if any.
func requestID(w http.ResponseWriter) string { return w.Header().Get(reqid.Header) }

// setSession writes the session cookie, for sessionAge.
func setSession(w http.ResponseWriter, r *http.Request, token string) {
	setSessionFor(w, r, token, sessionAge)
}

// setSessionFor writes the session cookie, for ttl.
func setSessionFor(w http.ResponseWriter, r *http.Request, token string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(ttl / time.Second),
		Expires: time.Now().Add(ttl)})
}

func clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: -1})
}

// setFlash leaves a message for the next page, for a minute.
func setFlash(w http.ResponseWriter, r *http.Request, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)),
		Path: "/console/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 60})
}

// audit writes an officer's action through the console to the audit log,
// as the API does for its own. A failure to write is logged.
func (c *Console) audit(w http.ResponseWriter, r *http.Request, p auth.Principal, action, target string, status int, reason string) {
	decision := store.AuditAccepted
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		decision = store.AuditDenied
	case status >= 400:
		decision = store.AuditFailed
	}
	remote := r.RemoteAddr
	if host, _, err := net.SplitHostPort(remote); err == nil {
		remote = host
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	e := store.AuditEntry{At: time.Now().UTC(), RequestID: requestID(w), Subject: p.Subject, Kind: string(p.Kind),
		Roles: p.Roles, Agency: p.Agency, RemoteAddr: remote, Method: r.Method, Action: action, Target: target,
		Decision: decision, Status: status, Reason: reason}
	if err := c.store.AuditAppend(ctx, e); err != nil {
		c.log.ErrorContext(ctx, "console: writing the audit log", "action", action, "target", target, "err", err)
	}
}
