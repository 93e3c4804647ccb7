package console

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/motcua/motcua/internal/auth"
)

// Sign-in through the identity provider (OpenID Connect authorization code
// flow with PKCE), offered when the authenticator is an auth.LoginProvider.
//
// The secrets of a sign-in in progress — state, nonce, PKCE verifier, the
// page to return to and the redirect URL — stay in the server's memory
// (flows), under a random 128-bit id; the browser holds only that id, in
// the HttpOnly cookie flowCookie (SameSite=Lax, since the provider sends
// the browser back with a top-level cross-site GET). A flow lives ten
// minutes and is taken out of memory by the first callback that presents
// its id, whatever the outcome, so a callback URL cannot be replayed.
// Keeping the flow server-side needs no key to configure or rotate and
// keeps the verifier off the wire but for the token endpoint; the price is
// that the callback must reach the instance that started the sign-in
// (several instances behind a load balancer need sticky sessions) and that
// a restart forgets sign-ins in progress, which then simply start again.

// flowCookie is the cookie holding the id of a sign-in in progress.
const flowCookie = "motcua_oidc"

// Limits of sign-ins.
const (
	flowTTL  = 10 * time.Minute
	maxFlows = 10000
	// maxSessionCookie is the longest session cookie browsers keep: they
	// drop a larger one silently (4096 bytes of name and value).
	maxSessionCookie = 4096
)

// Paths of the sign-in.
const (
	oidcLoginPath    = "/console/oidc/login"
	oidcCallbackPath = "/console/oidc/callback"
	oidcCookiePath   = "/console/oidc/"
)

// flow is a sign-in in progress.
type flow struct {
	state, nonce, verifier string
	next                   string // a local console path, or "" for the principal's first page
	redirect               string // the callback URL sent to the provider
	expires                time.Time
}

// flows are the sign-ins in progress, by the id of their cookie. At most
// maxFlows are kept: when full, expired ones are dropped first, then the
// oldest.
type flows struct {
	mu sync.Mutex
	m  map[string]flow
}

func (f *flows) put(id string, fl flow, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]flow{}
	}
	if len(f.m) >= maxFlows {
		for k, v := range f.m {
			if !now.Before(v.expires) {
				delete(f.m, k)
			}
		}
	}
	if len(f.m) >= maxFlows {
		oldest := ""
		for k, v := range f.m {
			if oldest == "" || v.expires.Before(f.m[oldest].expires) {
				oldest = k
			}
		}
		delete(f.m, oldest)
	}
	f.m[id] = fl
}

// take removes the flow of id and returns it.
func (f *flows) take(id string) (flow, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, ok := f.m[id]
	delete(f.m, id)
	return fl, ok
}

// oidcHref is the link of the login page's button.
func oidcHref(next string) string {
	if next == "" {
		return oidcLoginPath
	}
	return oidcLoginPath + "?next=" + url.QueryEscape(next)
}

// returnPath keeps next if a sign-in may return to it: a local console
// path other than the login pages themselves.
func returnPath(next string) string {
	if !localPath(next) || strings.HasPrefix(next, oidcCookiePath) || next == "/console/login" || strings.HasPrefix(next, "/console/login?") {
		return ""
	}
	return next
}

// redirectURL is the callback URL the provider sends the browser back to:
// the configured one, or this server's as the request names it.
func (c *Console) redirectURL(r *http.Request) string {
	if u := c.idp.RedirectURL(); u != "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + oidcCallbackPath
}

// oidcStart handles GET /console/oidc/login: it starts a sign-in and sends
// the browser to the provider.
func (c *Console) oidcStart(w http.ResponseWriter, r *http.Request) {
	now := c.now()
	id := rand.Text()
	fl := flow{state: rand.Text(), nonce: rand.Text(), verifier: oauth2.GenerateVerifier(),
		next: returnPath(r.URL.Query().Get("next")), redirect: c.redirectURL(r), expires: now.Add(flowTTL)}
	c.flows.put(id, fl, now)
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: id, Path: oidcCookiePath, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, MaxAge: int(flowTTL / time.Second)})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, c.idp.AuthCodeURL(fl.state, fl.nonce, fl.verifier, fl.redirect), http.StatusSeeOther)
}

// signedInView is the page of a completed sign-in.
type signedInView struct {
	base
	Next string
}

// oidcCallback handles GET /console/oidc/callback: the provider sends the
// browser back with a code (or an error) and the state.
func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var (
		fl    flow
		found bool
	)
	if ck, err := r.Cookie(flowCookie); err == nil && ck.Value != "" {
		fl, found = c.flows.take(ck.Value)
		clearCookie(w, r, flowCookie, oidcCookiePath)
	}
	const again = " Hãy đăng nhập lại."
	switch {
	case !found:
		c.loginFailed(w, r, http.StatusBadRequest, "no sign-in in progress (no flow cookie, or its flow is used, dropped or forgotten by a restart)",
			"Phiên đăng nhập không còn hiệu lực: không tìm thấy yêu cầu đăng nhập đang chờ (đã dùng, đã hết hạn hoặc được mở từ trình duyệt khác)."+again)
		return
	case !c.now().Before(fl.expires):
		c.loginFailed(w, r, http.StatusBadRequest, "the sign-in expired",
			"Phiên đăng nhập đã hết hạn (quá "+durationVi(flowTTL)+" kể từ khi bắt đầu)."+again)
		return
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(fl.state)) != 1:
		c.loginFailed(w, r, http.StatusBadRequest, "the state does not match the sign-in's",
			"Yêu cầu đăng nhập không khớp với phiên đăng nhập của trình duyệt này (tham số state không đúng), nên đã bị từ chối để bảo vệ tài khoản."+again)
		return
	case q.Get("error") != "":
		code, desc := clip(q.Get("error"), 64), clip(q.Get("error_description"), 300)
		reason := "the provider answered " + code
		msg := "Hệ thống định danh không cho phép đăng nhập (" + code
		if desc != "" {
			reason += ": " + desc
			msg += ": " + desc
		}
		msg += ")."
		if code == "access_denied" {
			msg = "Đăng nhập đã bị hủy hoặc bị hệ thống định danh từ chối (" + code + ")."
		}
		c.loginFailed(w, r, http.StatusUnauthorized, reason, msg+again)
		return
	case q.Get("code") == "":
		c.loginFailed(w, r, http.StatusBadRequest, "no code in the callback",
			"Hệ thống định danh không trả về mã xác thực."+again)
		return
	}

	login, err := c.idp.Exchange(r.Context(), q.Get("code"), fl.verifier, fl.nonce, fl.redirect)
	if err != nil {
		var le *auth.LoginError
		if !errors.As(err, &le) {
			c.log.ErrorContext(r.Context(), "console: sign-in: the identity provider", "err", err, "request_id", requestID(w))
			c.errorPage(w, r, nil, http.StatusServiceUnavailable,
				"Hệ thống định danh không phản hồi. Hãy thử lại sau ít phút.")
			return
		}
		var msg string
		switch le.Failure {
		case auth.LoginRefused:
			msg = "Hệ thống định danh từ chối mã xác thực của lần đăng nhập này (mã đã được dùng, đã hết hạn hoặc không khớp với phiên đăng nhập)."
		case auth.LoginUnmapped:
			msg = "Tài khoản định danh của bạn đã được xác thực nhưng chưa được cấp đủ thông tin để dùng hệ thống Một cửa (ví dụ: cơ quan, vai trò). " +
				"Hãy liên hệ quản trị viên. Chi tiết: " + le.Reason
		default:
			msg = "Mã định danh (ID token) do hệ thống định danh trả về không hợp lệ cho lần đăng nhập này."
		}
		c.loginFailed(w, r, http.StatusUnauthorized, le.Error(), msg+again)
		return
	}

	ttl := min(time.Until(login.Expiry), sessionAge)
	if ttl < time.Second {
		c.loginFailed(w, r, http.StatusUnauthorized, "the ID token expires at once",
			"Mã định danh do hệ thống định danh trả về đã hết hạn."+again)
		return
	}
	if len(auth.SessionCookie)+1+len(login.IDToken) > maxSessionCookie {
		c.log.ErrorContext(r.Context(), "console: sign-in: the ID token is too large for a cookie",
			"subject", login.Principal.Subject, "bytes", len(login.IDToken), "request_id", requestID(w))
		c.errorPage(w, r, nil, http.StatusInternalServerError,
			"Mã định danh do hệ thống định danh trả về quá lớn để trình duyệt lưu giữ. Hãy báo quản trị viên giảm bớt thông tin trong ID token.")
		return
	}
	p := login.Principal
	setSessionFor(w, r, login.IDToken, ttl)
	next := returnPath(fl.next)
	if next == "" {
		next = landing(p)
	}
	c.log.InfoContext(r.Context(), "console: signed in through the identity provider", "subject", p.Subject, "kind", p.Kind,
		"agency", p.Agency, "session", ttl.Round(time.Second).String(), "request_id", requestID(w))
	// A page that moves on by itself, not a redirect: the session cookie
	// is SameSite=Strict, and browsers do not send it on a redirect that
	// continues the provider's cross-site navigation; they do on the
	// navigation this page of the console starts.
	b := c.pageBase(w, r, &p, "Đăng nhập thành công", "signed-in")
	b.Refresh = next
	c.render(w, r, http.StatusOK, "signedin.html", signedInView{base: b, Next: next})
}

// loginFailed logs why a sign-in failed (never a code or a token) and
// answers the error page.
func (c *Console) loginFailed(w http.ResponseWriter, r *http.Request, status int, reason, msg string) {
	c.log.InfoContext(r.Context(), "console: sign-in refused", "reason", reason, "status", status, "request_id", requestID(w))
	c.errorPage(w, r, nil, status, msg)
}

// clip cuts s, a parameter of the provider, to n bytes of valid UTF-8.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// durationVi says a whole number of minutes in Vietnamese.
func durationVi(d time.Duration) string {
	return strconv.Itoa(int(d/time.Minute)) + " phút"
}
