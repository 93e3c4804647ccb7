package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/auth/oidctest"
)

// officer is how the identity provider knows the officer at the counter.
var officer = map[string]any{"sub": "cb-mot-cua", "name": "Trần Thị Bình", "roles": []string{"mot_cua"}, "agency": "ubnd_xa"}

// setupOIDC runs the console with an OIDC authenticator of a local
// provider, which offers the sign-in.
func setupOIDC(t *testing.T) (*bundle, *oidctest.Provider) {
	t.Helper()
	idp := oidctest.New(t, oidctest.Options{})
	authn, err := auth.New(context.Background(), auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{Issuer: idp.URL(), Audience: "motcua"}})
	require.NoError(t, err)
	b := &bundle{tokens: map[string]string{}}
	b.start(t, authn)
	return b, idp
}

// browser is a client with a cookie jar that follows no redirect itself.
type browser struct {
	t      *testing.T
	b      *bundle
	client *http.Client
}

func (b *bundle) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, b: b, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches target, a URL or a path of the console.
func (br *browser) get(target string) page {
	br.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = br.b.srv.URL + target
	}
	req, err := http.NewRequestWithContext(ctx(br.t), http.MethodGet, target, nil)
	require.NoError(br.t, err)
	res, err := br.client.Do(req)
	require.NoError(br.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(br.t, err)
	p := page{status: res.StatusCode, header: res.Header, body: string(data)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		wellFormed(br.t, "GET "+target, p.body)
	}
	return p
}

// session is the session cookie the browser holds for the console, or "".
func (br *browser) session() string {
	u, err := url.Parse(br.b.srv.URL + "/console/")
	require.NoError(br.t, err)
	for _, c := range br.client.Jar.Cookies(u) {
		if c.Name == auth.SessionCookie {
			return c.Value
		}
	}
	return ""
}

// attr returns attribute name of the first element of tag with the
// attributes attrs, or fails.
func attr(t *testing.T, body, tag string, attrs map[string]string, name string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err)
	var walk func(*html.Node) (string, bool)
	walk = func(n *html.Node) (string, bool) {
		if n.Type == html.ElementNode && n.Data == tag && matches(n, attrs) {
			for _, a := range n.Attr {
				if a.Key == name {
					return a.Val, true
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if v, ok := walk(c); ok {
				return v, true
			}
		}
		return "", false
	}
	v, ok := walk(doc)
	require.True(t, ok, "no <%s %v %s=…>", tag, attrs, name)
	return v
}

// toProvider starts a sign-in from the login page of next, follows it to
// the provider and returns the URL the provider sends the browser back to,
// not yet followed.
func (br *browser) toProvider(next string) *url.URL {
	br.t.Helper()
	p := br.get("/console/login?next=" + url.QueryEscape(next))
	require.Equal(br.t, http.StatusOK, p.status)
	href := attr(br.t, p.body, "a", map[string]string{"id": "oidc-login"}, "href")
	p = br.get(href)
	require.Equal(br.t, http.StatusSeeOther, p.status, p.body)
	p = br.get(p.header.Get("Location"))
	require.Equal(br.t, http.StatusFound, p.status, p.body)
	back, err := url.Parse(p.header.Get("Location"))
	require.NoError(br.t, err)
	require.Equal(br.t, br.b.srv.URL+"/console/oidc/callback", back.Scheme+"://"+back.Host+back.Path)
	return back
}

// with returns u with query parameter k set to v.
func with(u *url.URL, k, v string) string {
	q := u.Query()
	q.Set(k, v)
	c := *u
	c.RawQuery = q.Encode()
	return c.String()
}

// refused checks an error page of a failed sign-in that set no session.
func refused(t *testing.T, br *browser, p page, status int, msg string) {
	t.Helper()
	require.Equal(t, status, p.status, p.body)
	require.Equal(t, 1, count(t, p.body, "section", map[string]string{"id": "error", "data-status": strconv.Itoa(status)}))
	require.Contains(t, text(t, p.body, "error"), msg)
	for _, line := range p.header.Values("Set-Cookie") {
		require.False(t, strings.HasPrefix(line, auth.SessionCookie+"="), "a session cookie was set: %s", line)
	}
	require.Empty(t, br.session())
	require.Equal(t, 0, count(t, p.body, "span", map[string]string{"id": "user"}))
}

func TestOIDCSignIn(t *testing.T) {
	b, idp := setupOIDC(t)
	st, err := b.env.Service.Submit(ctx(t), birthRequest())
	require.NoError(t, err)
	b.waitTask(t, st.Code, "tiep_nhan")

	t.Run("sign in and land on the inbox", func(t *testing.T) {
		idp.SignIn(officer)
		br := b.browser(t)

		// The page asked for sends to the login page, which offers both ways.
		p := br.get("/console/inbox?due=overdue")
		require.Equal(t, http.StatusSeeOther, p.status)
		p = br.get(p.header.Get("Location"))
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, "/console/oidc/login?next="+url.QueryEscape("/console/inbox?due=overdue"),
			attr(t, p.body, "a", map[string]string{"id": "oidc-login"}, "href"))
		require.Equal(t, "Đăng nhập bằng tài khoản định danh", text(t, p.body, "oidc-login"))
		require.Equal(t, 1, count(t, p.body, "form", map[string]string{"id": "login-form"}), "the token form stays, for service accounts")

		// To the provider, with a flow cookie.
		p = br.get(attr(t, p.body, "a", map[string]string{"id": "oidc-login"}, "href"))
		require.Equal(t, http.StatusSeeOther, p.status)
		fc := cookieOf(t, p.header, "motcua_oidc")
		require.True(t, fc.HttpOnly)
		require.Equal(t, http.SameSiteLaxMode, fc.SameSite)
		require.Equal(t, "/console/oidc/", fc.Path)
		require.Equal(t, 600, fc.MaxAge)
		authz, err := url.Parse(p.header.Get("Location"))
		require.NoError(t, err)
		require.Equal(t, idp.URL()+"/authorize", authz.Scheme+"://"+authz.Host+authz.Path)
		for _, secret := range []string{"state", "nonce", "code_challenge"} {
			require.NotContains(t, fc.Value, authz.Query().Get(secret), "the cookie holds only the flow's id")
		}

		p = br.get(authz.String())
		require.Equal(t, http.StatusFound, p.status)
		back, err := url.Parse(p.header.Get("Location"))
		require.NoError(t, err)
		a := idp.Authorizations()
		require.Len(t, a, 1)
		require.Equal(t, b.srv.URL+"/console/oidc/callback", a[0].RedirectURI, "derived from the request")
		require.Equal(t, "motcua", a[0].ClientID)
		require.Equal(t, "S256", a[0].ChallengeMethod)
		require.NotEmpty(t, a[0].Nonce)
		require.Equal(t, "openid profile email", a[0].Scope)

		// Back at the console: the session is the ID token.
		before := time.Now()
		p = br.get(back.String())
		require.Equal(t, http.StatusOK, p.status, p.body)
		require.Equal(t, 1, count(t, p.body, "main", map[string]string{"class": "page-signed-in"}))
		sc := cookieOf(t, p.header, auth.SessionCookie)
		require.True(t, sc.HttpOnly)
		require.Equal(t, http.SameSiteStrictMode, sc.SameSite)
		require.Equal(t, "/", sc.Path)
		require.InDelta(t, 300, sc.MaxAge, 5, "the ID token's lifetime")
		require.WithinDuration(t, before.Add(5*time.Minute), sc.Expires, 5*time.Second)
		require.Equal(t, -1, cookieOf(t, p.header, "motcua_oidc").MaxAge, "the flow cookie is cleared")
		require.Equal(t, 1, idp.TokensIssued())
		next := attr(t, p.body, "a", map[string]string{"id": "continue"}, "href")
		require.Equal(t, "/console/inbox?due=overdue", next)
		require.Equal(t, "0; url=/console/inbox?due=overdue", attr(t, p.body, "meta", map[string]string{"http-equiv": "refresh"}, "content"))
		require.Equal(t, "cb-mot-cua", attr(t, p.body, "span", map[string]string{"id": "user"}, "data-subject"))

		// The inbox loads as that officer.
		b.clock.Store(time.Now().Add(30 * 24 * time.Hour).UnixNano())
		defer b.clock.Store(0)
		p = br.get(next)
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, "cb-mot-cua", attr(t, p.body, "span", map[string]string{"id": "user"}, "data-subject"))
		require.Contains(t, text(t, p.body, "user"), "Trần Thị Bình")
		require.Equal(t, 1, count(t, p.body, "tr", map[string]string{"class": "task-row", "data-code": st.Code}))
		b.clock.Store(0)

		// The callback cannot be replayed: its flow is spent.
		p = br.get(back.String())
		require.Equal(t, http.StatusBadRequest, p.status)
		require.Contains(t, text(t, p.body, "error"), "Phiên đăng nhập không còn hiệu lực")
		require.Empty(t, p.header.Values("Set-Cookie"))
		require.Equal(t, 1, idp.TokensIssued(), "a spent flow does not reach the provider")
	})

	t.Run("session capped at 12 hours, next only local", func(t *testing.T) {
		idp.SignIn(merge(officer, map[string]any{"exp": time.Now().Add(48 * time.Hour).Unix()}))
		br := b.browser(t)
		back := br.toProvider("https://evil.example/console/")
		p := br.get(back.String())
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, 12*60*60, cookieOf(t, p.header, auth.SessionCookie).MaxAge)
		require.Equal(t, "/console/inbox", attr(t, p.body, "a", map[string]string{"id": "continue"}, "href"))
	})

	t.Run("another login page as next", func(t *testing.T) {
		idp.SignIn(officer)
		br := b.browser(t)
		p := br.get("/console/login?next=" + url.QueryEscape("/console/oidc/callback?code=x"))
		require.Equal(t, "/console/oidc/login", attr(t, p.body, "a", map[string]string{"id": "oidc-login"}, "href"))
	})

	t.Run("wrong state", func(t *testing.T) {
		idp.SignIn(officer)
		br := b.browser(t)
		back := br.toProvider("/console/inbox")
		issued := idp.TokensIssued()
		refused(t, br, br.get(with(back, "state", "forged-state")), http.StatusBadRequest, "tham số state không đúng")
		require.Equal(t, issued, idp.TokensIssued(), "the code is not redeemed")
		// The flow is spent: the right state no longer helps.
		refused(t, br, br.get(back.String()), http.StatusBadRequest, "Phiên đăng nhập không còn hiệu lực")
	})

	t.Run("no flow cookie", func(t *testing.T) {
		idp.SignIn(officer)
		back := b.browser(t).toProvider("/console/inbox")
		other := b.browser(t)
		refused(t, other, other.get(back.String()), http.StatusBadRequest, "Phiên đăng nhập không còn hiệu lực")
	})

	t.Run("expired flow", func(t *testing.T) {
		idp.SignIn(officer)
		br := b.browser(t)
		back := br.toProvider("/console/inbox")
		b.clock.Store(time.Now().Add(11 * time.Minute).UnixNano())
		defer b.clock.Store(0)
		refused(t, br, br.get(back.String()), http.StatusBadRequest, "Phiên đăng nhập đã hết hạn (quá 10 phút")
	})

	t.Run("replayed code", func(t *testing.T) {
		idp.SignIn(officer)
		first := b.browser(t)
		used := first.toProvider("/console/inbox")
		require.Equal(t, http.StatusOK, first.get(used.String()).status)

		// The same code, in a sign-in of its own with a good state.
		br := b.browser(t)
		back := br.toProvider("/console/inbox")
		refused(t, br, br.get(with(back, "code", used.Query().Get("code"))), http.StatusUnauthorized,
			"Hệ thống định danh từ chối mã xác thực")
		require.Equal(t, "invalid_grant: code already used", last(idp.Refusals()))
	})

	t.Run("PKCE verifier mismatch: a code of another sign-in", func(t *testing.T) {
		idp.SignIn(officer)
		// An attacker's code, issued for the attacker's own challenge,
		// injected into the victim's callback with the victim's state.
		stolen := b.browser(t).toProvider("/console/inbox").Query().Get("code")
		victim := b.browser(t)
		back := victim.toProvider("/console/inbox")
		refused(t, victim, victim.get(with(back, "code", stolen)), http.StatusUnauthorized,
			"Hệ thống định danh từ chối mã xác thực")
		require.Equal(t, "invalid_grant: PKCE verification failed: code_verifier does not match code_challenge", last(idp.Refusals()))
	})

	t.Run("nonce mismatch", func(t *testing.T) {
		idp.SignIn(officer)
		idp.SetIDTokenHook(func(c map[string]any) { c["nonce"] = "nonce-of-another-sign-in" })
		defer idp.SetIDTokenHook(nil)
		br := b.browser(t)
		refused(t, br, br.get(br.toProvider("/console/inbox").String()), http.StatusUnauthorized,
			"Mã định danh (ID token) do hệ thống định danh trả về không hợp lệ")
	})

	t.Run("no agency claim", func(t *testing.T) {
		idp.SignIn(merge(officer, map[string]any{"agency": nil}))
		br := b.browser(t)
		refused(t, br, br.get(br.toProvider("/console/inbox").String()), http.StatusUnauthorized,
			`chưa được cấp đủ thông tin để dùng hệ thống Một cửa (ví dụ: cơ quan, vai trò). Hãy liên hệ quản trị viên. Chi tiết: claim "agency" is missing`)
	})

	t.Run("the provider refuses", func(t *testing.T) {
		idp.SignIn(officer)
		idp.Deny("access_denied", "the user cancelled")
		br := b.browser(t)
		refused(t, br, br.get(br.toProvider("/console/inbox").String()), http.StatusUnauthorized,
			"Đăng nhập đã bị hủy hoặc bị hệ thống định danh từ chối (access_denied)")

		idp.Deny("temporarily_unavailable", "try later")
		br = b.browser(t)
		refused(t, br, br.get(br.toProvider("/console/inbox").String()), http.StatusUnauthorized,
			"Hệ thống định danh không cho phép đăng nhập (temporarily_unavailable: try later)")
	})

	t.Run("a forged error needs the state", func(t *testing.T) {
		idp.SignIn(officer)
		br := b.browser(t)
		back := br.toProvider("/console/inbox")
		q := url.Values{"state": {"guess"}, "error": {"server_error"}, "error_description": {"Gọi số 0900 để được hỗ trợ"}}
		p := br.get(b.srv.URL + back.Path + "?" + q.Encode())
		refused(t, br, p, http.StatusBadRequest, "tham số state không đúng")
		require.NotContains(t, p.body, "0900")
	})
}

func last(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[len(xs)-1]
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
